"""simonw's `llm` CLI with the gateway configured as OpenAI-compatible
models (`extra-openai-models.yaml`), run as a user runs it: a subprocess."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import gateway

GATEWAY = None
LLM_HOME = None
start_gateway, stop_gateway = gateway.module_fixture(__name__)

# The llm model ids the tests use, each a mock model behind the gateway,
# with the abilities llm must be told the model has.
MODELS = {
    "yat-echo": ("mock/mock-echo", {}),
    "yat-tools": ("mock/mock-tools", {"supports_tools": True}),
    "yat-vision": ("mock/mock-vision", {"vision": True}),
    "yat-json": ("mock/mock-json", {"supports_schema": True}),
    "yat-fail-mid": ("mock/mock-fail-mid", {}),
}


def llm_bin():
    # The venv's own `llm`, beside the interpreter running the tests.
    found = Path(sys.executable).with_name("llm")
    return str(found) if found.exists() else shutil.which("llm")


def setUpModule():
    global LLM_HOME
    start_gateway()
    LLM_HOME = tempfile.TemporaryDirectory(prefix="yat-llm-")
    lines = []
    for model_id, (model_name, abilities) in MODELS.items():
        lines += [
            f"- model_id: {model_id}",
            f"  model_name: {model_name}",
            f"  api_base: {GATEWAY.openai_base_url}",
            "  api_key_name: yat",
        ]
        lines += [f"  {ability}: {'true' if on else 'false'}" for ability, on in abilities.items()]
    Path(LLM_HOME.name, "extra-openai-models.yaml").write_text("\n".join(lines) + "\n")
    llm("keys", "set", "yat", "--value", GATEWAY.key)


def tearDownModule():
    LLM_HOME.cleanup()
    stop_gateway()


def llm(*args, check=True):
    # The environment is scrubbed of vendor variables by `gateway`.
    env = dict(os.environ, LLM_USER_PATH=LLM_HOME.name)
    done = subprocess.run([llm_bin(), *args], check=False, env=env, capture_output=True, text=True, timeout=60)
    if check and done.returncode != 0:
        raise AssertionError(f"llm {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def last_logged():
    """The newest entry of llm's own log: what llm recorded of the exchange."""
    return json.loads(llm("logs", "list", "--json", "-n", "1").stdout)[0]


class LlmCli(unittest.TestCase):
    def test_the_gateway_models_are_listed(self):
        listed = llm("models", "list").stdout
        for model_id in MODELS:
            self.assertIn(model_id, listed)

    def test_a_streamed_prompt_prints_the_echo_and_logs_usage(self):
        out = llm("-m", "yat-echo", "hello there").stdout
        self.assertEqual(out, "hello there\n")
        logged = last_logged()
        self.assertEqual(logged["response"], "hello there")
        self.assertEqual((logged["input_tokens"], logged["output_tokens"]), (2, gateway.output_tokens("hello there")))

    def test_a_prompt_without_streaming_prints_the_echo(self):
        out = llm("-m", "yat-echo", "--no-stream", "no streaming today").stdout
        self.assertEqual(out, "no streaming today\n")
        self.assertEqual(last_logged()["input_tokens"], 3)

    def test_a_system_prompt_reaches_the_model(self):
        out = llm("-m", "yat-echo", "-s", "answer in one short line", "what now").stdout
        self.assertEqual(out, "what now\n")
        # The mock counts the words of every message: 5 of system, 2 of user.
        self.assertEqual(last_logged()["input_tokens"], 7)

    def test_a_continued_conversation_sends_the_history(self):
        llm("-m", "yat-echo", "first question")
        out = llm("-c", "second question here").stdout
        self.assertEqual(out, "second question here\n")
        # first question (2) + its echoed answer (2) + the new prompt (3).
        self.assertEqual(last_logged()["input_tokens"], 7)

    def test_a_tool_is_called_and_its_result_answered(self):
        code = 'def get_weather(city: str) -> str:\n    "The weather in a city."\n    return f"sunny in {city}"\n'
        out = llm("-m", "yat-tools", "--functions", code, "What is the weather in Paris?").stdout
        self.assertEqual(out.strip(), "Tool results: get_weather returned sunny in mock.")

    def test_an_image_attachment_reaches_the_model(self):
        png = gateway.png_bytes()
        with tempfile.NamedTemporaryFile(suffix=".png") as f:
            f.write(png)
            f.flush()
            out = llm("-m", "yat-vision", "-a", f.name, "What is this?").stdout
        self.assertIn("Image 1: image/png", out)
        self.assertIn(f"{len(png)} bytes", out)

    def test_a_schema_gets_json_that_fits_it(self):
        out = llm("-m", "yat-json", "--schema", "name, age int", "Invent a dog").stdout
        self.assertEqual(json.loads(out), {"name": "mock", "age": 0})

    def test_a_wrong_key_is_an_error_on_stderr(self):
        done = llm("-m", "yat-echo", "--key", "yat-not-a-key", "hi", check=False)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("invalid gateway key", done.stderr)

    def test_a_failure_mid_stream_is_an_error_after_the_first_chunks(self):
        done = llm("-m", "yat-fail-mid", "hi", check=False)
        self.assertNotEqual(done.returncode, 0)
        self.assertTrue(done.stdout.startswith(gateway.CANNED_OPENING[: 3 * gateway.CHUNK_SIZE]), done.stdout)
        self.assertIn("injected failure", done.stderr)


if __name__ == "__main__":
    unittest.main()
