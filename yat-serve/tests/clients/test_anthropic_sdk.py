"""The official `anthropic` Python SDK against `yat serve`'s Messages
endpoint, with the offline mock provider behind it."""

import base64
import unittest

import anthropic
import pydantic

import gateway
from gateway import TIME_ARGUMENTS, TIME_PARAMETERS, WEATHER_ARGUMENTS, WEATHER_PARAMETERS, user

GATEWAY = None
setUpModule, tearDownModule = gateway.module_fixture(__name__)


def client(**options):
    return GATEWAY.client(anthropic.Anthropic, GATEWAY.anthropic_base_url, **options)


WEATHER_TOOL = {"name": "get_weather", "description": "The weather in a city", "input_schema": WEATHER_PARAMETERS}
TIME_TOOL = {"name": "get_time", "description": "The time in a time zone", "input_schema": TIME_PARAMETERS}

# 4096 tokens is the mock's medium effort: two sentences of reasoning.
THINKING = {"type": "enabled", "budget_tokens": 4096}


class City(pydantic.BaseModel):
    name: str
    population: int


class Messages(unittest.TestCase):
    def test_models_list_names_the_mock_models(self):
        ids = {m.id for m in client().models.list()}
        self.assertIn("mock/mock-echo", ids)
        self.assertIn("mock/mock-reasoning", ids)

    def test_a_reply_echoes_the_last_user_message_with_usage(self):
        prompt = "hello gateway, one two three"
        message = client().messages.create(model="mock/mock-echo", max_tokens=256, messages=user(prompt))
        self.assertEqual(message.type, "message")
        self.assertEqual(message.role, "assistant")
        self.assertEqual(message.model, "mock/mock-echo")
        self.assertEqual([b.type for b in message.content], ["text"])
        self.assertEqual(message.content[0].text, prompt)
        self.assertEqual(message.stop_reason, "end_turn")
        self.assertEqual(message.usage.input_tokens, 5)
        self.assertEqual(message.usage.output_tokens, gateway.output_tokens(prompt))

    def test_a_system_prompt_counts_as_input(self):
        message = client().messages.create(
            model="mock/mock-echo",
            max_tokens=256,
            system="answer in one short line",
            messages=user("what now"),
        )
        self.assertEqual(message.content[0].text, "what now")
        self.assertEqual(message.usage.input_tokens, 5 + 2)

    def test_max_tokens_cuts_the_reply(self):
        prompt = "a reply longer than two chunks of eight"
        message = client().messages.create(model="mock/mock-echo", max_tokens=2, messages=user(prompt))
        self.assertEqual(message.stop_reason, "max_tokens")
        self.assertEqual(message.content[0].text, prompt[: 2 * gateway.CHUNK_SIZE])

    def test_the_stream_helper_joins_text_and_reports_usage(self):
        prompt = "streaming through the gateway, piece by piece"
        with client().messages.stream(model="mock/mock-echo", max_tokens=256, messages=user(prompt)) as stream:
            pieces = list(stream.text_stream)
            final = stream.get_final_message()
        self.assertEqual("".join(pieces), prompt)
        self.assertEqual(len(pieces), gateway.output_tokens(prompt), "one text event per mock piece")
        self.assertEqual(final.content[0].text, prompt)
        self.assertEqual(final.stop_reason, "end_turn")
        self.assertEqual(final.usage.input_tokens, 7)
        self.assertEqual(final.usage.output_tokens, gateway.output_tokens(prompt))

    def test_raw_stream_events_come_in_the_documented_order(self):
        events = list(
            client().messages.create(model="mock/mock-echo", max_tokens=256, messages=user("in order"), stream=True)
        )
        kinds = [e.type for e in events]
        self.assertEqual(kinds[:2], ["message_start", "content_block_start"])
        self.assertEqual(kinds[-3:], ["content_block_stop", "message_delta", "message_stop"])
        self.assertEqual(set(kinds[2:-3]), {"content_block_delta"})
        self.assertEqual("".join(e.delta.text for e in events if e.type == "content_block_delta"), "in order")

    def test_a_tool_call_is_a_tool_use_block_with_an_input_dict(self):
        message = client().messages.create(
            model="mock/mock-tools", max_tokens=256, messages=user("Weather in Paris?"), tools=[WEATHER_TOOL]
        )
        self.assertEqual(message.stop_reason, "tool_use")
        uses = [b for b in message.content if b.type == "tool_use"]
        self.assertEqual(len(uses), 1)
        self.assertEqual(uses[0].name, "get_weather")
        self.assertEqual(uses[0].input, WEATHER_ARGUMENTS)
        self.assertTrue(uses[0].id)

    def test_a_streamed_tool_call_accumulates_into_its_input(self):
        with client().messages.stream(
            model="mock/mock-tools", max_tokens=256, messages=user("Weather in Paris?"), tools=[WEATHER_TOOL]
        ) as stream:
            json_pieces = [e.partial_json for e in stream if e.type == "input_json"]
            final = stream.get_final_message()
        self.assertGreater(len(json_pieces), 1, "the input streamed as it came, not buffered")
        self.assertEqual(final.stop_reason, "tool_use")
        use = next(b for b in final.content if b.type == "tool_use")
        self.assertEqual((use.name, use.input), ("get_weather", WEATHER_ARGUMENTS))

    def test_parallel_tool_uses_are_separate_blocks(self):
        with client().messages.stream(
            model="mock/mock-parallel-tools",
            max_tokens=256,
            messages=user("Weather and time in Paris?"),
            tools=[WEATHER_TOOL, TIME_TOOL],
        ) as stream:
            final = stream.get_final_message()
        uses = [(b.name, b.input) for b in final.content if b.type == "tool_use"]
        self.assertEqual(uses, [("get_weather", WEATHER_ARGUMENTS), ("get_time", TIME_ARGUMENTS)])

    def test_a_tool_result_sent_back_is_answered_in_text(self):
        c = client()
        messages = user("Weather in Paris?")
        first = c.messages.create(model="mock/mock-tools", max_tokens=256, messages=messages, tools=[WEATHER_TOOL])
        use = next(b for b in first.content if b.type == "tool_use")
        messages = messages + [
            {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "18 degrees and sunny"}],
            },
        ]
        second = c.messages.create(model="mock/mock-tools", max_tokens=256, messages=messages, tools=[WEATHER_TOOL])
        self.assertEqual(second.stop_reason, "end_turn")
        self.assertEqual(second.content[0].text, "Tool results: get_weather returned 18 degrees and sunny.")

    def test_a_base64_image_reaches_the_model(self):
        png = gateway.png_bytes()
        image = {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": base64.b64encode(png).decode()},
        }
        message = client().messages.create(
            model="mock/mock-vision",
            max_tokens=256,
            messages=[{"role": "user", "content": [image, {"type": "text", "text": "What is this?"}]}],
        )
        self.assertEqual(message.content[0].text, f"Image 1: image/png, {len(png)} bytes.")

    def test_an_image_labelled_with_the_wrong_type_is_a_bad_request(self):
        image = {
            "type": "image",
            "source": {
                "type": "base64",
                "media_type": "image/jpeg",
                "data": base64.b64encode(gateway.png_bytes()).decode(),
            },
        }
        with self.assertRaises(anthropic.BadRequestError) as caught:
            client().messages.create(
                model="mock/mock-vision", max_tokens=256, messages=[{"role": "user", "content": [image]}]
            )
        self.assertIn("image/png", caught.exception.message)

    def test_parse_with_a_pydantic_model_gets_parsed_output(self):
        message = client().messages.parse(
            model="mock/mock-json", max_tokens=256, messages=user("Name a city"), output_format=City
        )
        self.assertEqual(message.parsed_output, City(name="mock", population=0))


class MessageThreads(unittest.TestCase):
    """The SDK's tool runner asks by default for a thread the server holds
    (`thread: {"type": "create"}`, beta `message-threads-2026-08-12`), then
    sends only each turn's new messages with `{"type": "continue",
    "previous_message_id": ...}` and without `tools` or `system`. A gateway
    keeps no conversations, so it must refuse `thread` with the error the
    SDK recognises (`error.details.error_code` `thread_unsupported_request`),
    on which the runner drops `thread` and sends the whole history."""

    def run_tool_loop(self, **options):
        @anthropic.beta_tool
        def get_weather(city: str) -> str:
            """The weather in a city.

            Args:
                city: The city.
            """
            return f"sunny in {city}"

        runner = client().beta.messages.tool_runner(
            model="mock/mock-tools",
            max_tokens=256,
            messages=user("Weather in Paris?"),
            tools=[get_weather],
            **options,
        )
        replies = list(runner)
        self.assertEqual([m.stop_reason for m in replies], ["tool_use", "end_turn"])
        self.assertEqual(replies[-1].content[0].text, "Tool results: get_weather returned sunny in mock.")

    def test_the_sdks_tool_runner_completes_the_loop_without_a_thread(self):
        self.run_tool_loop(thread=False)

    def test_the_sdks_tool_runner_completes_the_loop_with_its_default_message_thread(self):
        self.run_tool_loop()

    def test_a_server_held_thread_is_refused_as_unsupported(self):
        with self.assertRaises(anthropic.BadRequestError) as caught:
            client().beta.messages.create(
                model="mock/mock-echo", max_tokens=16, messages=user("hi"), thread={"type": "create"}
            )
        self.assertEqual(caught.exception.body["error"]["details"]["error_code"], "thread_unsupported_request")


class Thinking(unittest.TestCase):
    PROMPT = "why is the sky blue"
    THOUGHT = 'The question has 5 words. It begins with "why is the sky".'

    def think(self, c):
        return c.messages.create(
            model="mock/mock-reasoning", max_tokens=8192, thinking=THINKING, messages=user(self.PROMPT)
        )

    def test_a_thinking_block_comes_signed_before_the_answer(self):
        message = self.think(client())
        self.assertEqual([b.type for b in message.content], ["thinking", "text"])
        self.assertEqual(message.content[0].thinking, self.THOUGHT)
        self.assertTrue(message.content[0].signature.startswith("mock-sig-"))
        self.assertEqual(message.content[1].text, self.PROMPT)

    def test_thinking_streams_with_its_signature(self):
        with client().messages.stream(
            model="mock/mock-reasoning", max_tokens=8192, thinking=THINKING, messages=user(self.PROMPT)
        ) as stream:
            kinds = [e.type for e in stream if e.type in ("thinking", "signature", "text")]
            final = stream.get_final_message()
        self.assertEqual(kinds[0], "thinking")
        self.assertEqual(kinds.count("signature"), 1)
        self.assertLess(kinds.index("signature"), kinds.index("text"))
        self.assertEqual(final.content[0].thinking, self.THOUGHT)
        self.assertEqual(final.content[0].signature, self.think(client()).content[0].signature)

    def test_a_signed_thinking_block_sent_back_is_accepted(self):
        c = client()
        first = self.think(c)
        messages = user(self.PROMPT) + [
            {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
            {"role": "user", "content": "and at sunset"},
        ]
        second = c.messages.create(model="mock/mock-reasoning", max_tokens=8192, thinking=THINKING, messages=messages)
        self.assertEqual(second.content[-1].text, "and at sunset")

    def test_a_changed_thinking_block_is_refused(self):
        c = client()
        first = self.think(c)
        blocks = [b.model_dump(exclude_none=True) for b in first.content]
        blocks[0]["thinking"] += " Or not."
        messages = user(self.PROMPT) + [
            {"role": "assistant", "content": blocks},
            {"role": "user", "content": "and at sunset"},
        ]
        with self.assertRaises(anthropic.BadRequestError) as caught:
            c.messages.create(model="mock/mock-reasoning", max_tokens=8192, thinking=THINKING, messages=messages)
        self.assertIn("signature", caught.exception.message)


class Errors(unittest.TestCase):
    def test_a_wrong_key_is_an_authentication_error(self):
        with self.assertRaises(anthropic.AuthenticationError) as caught:
            client(api_key="yat-not-a-key").messages.create(model="mock/mock-echo", max_tokens=16, messages=user("hi"))
        self.assertEqual(caught.exception.status_code, 401)
        self.assertEqual(caught.exception.body["error"]["type"], "authentication_error")

    def test_an_unknown_model_is_not_found(self):
        with self.assertRaises(anthropic.NotFoundError) as caught:
            client().messages.create(model="mock/no-such-model", max_tokens=16, messages=user("hi"))
        self.assertEqual(caught.exception.body["error"]["type"], "not_found_error")
        self.assertIn("no-such-model", caught.exception.message)

    def test_a_rate_limit_is_a_rate_limit_error_with_retry_after(self):
        with self.assertRaises(anthropic.RateLimitError) as caught:
            client().messages.create(model="mock/mock-rate-limited", max_tokens=16, messages=user("hi"))
        self.assertEqual(caught.exception.response.headers.get("retry-after"), "2")
        self.assertEqual(caught.exception.body["error"]["type"], "rate_limit_error")

    def test_a_missing_max_tokens_is_a_bad_request_naming_it(self):
        # `omit` is the SDK's own way to leave a field out of the body.
        with self.assertRaises(anthropic.BadRequestError) as caught:
            client().messages.create(model="mock/mock-echo", max_tokens=anthropic.omit, messages=user("hi"))
        self.assertEqual(caught.exception.body["error"]["type"], "invalid_request_error")
        self.assertIn("max_tokens", caught.exception.message)

    def test_a_failure_mid_stream_raises_while_iterating(self):
        received = ""
        with (
            self.assertRaises(anthropic.APIStatusError) as caught,
            client().messages.stream(model="mock/mock-fail-mid", max_tokens=1024, messages=user("hi")) as stream,
        ):
            for text in stream.text_stream:
                received += text
        self.assertEqual(received, gateway.CANNED_OPENING[: 3 * gateway.CHUNK_SIZE])
        self.assertEqual(caught.exception.body["type"], "error")
        self.assertIn("injected failure", caught.exception.body["error"]["message"])


if __name__ == "__main__":
    unittest.main()
