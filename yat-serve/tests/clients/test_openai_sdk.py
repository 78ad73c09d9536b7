"""The official `openai` Python SDK against `yat serve`'s Chat Completions
endpoint, with the offline mock provider behind it."""

import base64
import json
import unittest
from typing import Literal

import openai
import pydantic

import gateway
from gateway import TIME_ARGUMENTS, TIME_PARAMETERS, WEATHER_ARGUMENTS, WEATHER_PARAMETERS, user

GATEWAY = None
setUpModule, tearDownModule = gateway.module_fixture(__name__)


def client(**options):
    return GATEWAY.client(openai.OpenAI, GATEWAY.openai_base_url, **options)


WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "The weather in a city", "parameters": WEATHER_PARAMETERS},
}
TIME_TOOL = {
    "type": "function",
    "function": {"name": "get_time", "description": "The time in a time zone", "parameters": TIME_PARAMETERS},
}


class GetWeather(pydantic.BaseModel):
    """The weather in a city."""

    city: str
    unit: Literal["celsius", "fahrenheit"]


class City(pydantic.BaseModel):
    name: str
    population: int
    districts: list[str]


def accumulate_tool_calls(chunks):
    """The calls of a streamed reply, by index, as a client assembles them."""
    calls = {}
    pieces = {}
    for chunk in chunks:
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                slot = calls.setdefault(call.index, {"id": None, "name": None, "arguments": ""})
                if call.id:
                    slot["id"] = call.id
                if call.function and call.function.name:
                    slot["name"] = call.function.name
                if call.function and call.function.arguments:
                    slot["arguments"] += call.function.arguments
                    pieces[call.index] = pieces.get(call.index, 0) + 1
    return calls, pieces


class ChatCompletions(unittest.TestCase):
    def test_models_list_names_the_mock_models(self):
        ids = {m.id for m in client().models.list()}
        for model in ("mock/mock-echo", "mock/mock-tools", "mock/mock-vision", "mock/mock-reasoning"):
            self.assertIn(model, ids)

    def test_a_reply_echoes_the_last_user_message_with_usage(self):
        prompt = "hello gateway, one two three"
        reply = client().chat.completions.create(model="mock/mock-echo", messages=user(prompt))
        self.assertEqual(reply.object, "chat.completion")
        self.assertEqual(reply.model, "mock/mock-echo")
        self.assertEqual(len(reply.choices), 1)
        self.assertEqual(reply.choices[0].message.role, "assistant")
        self.assertEqual(reply.choices[0].message.content, prompt)
        self.assertEqual(reply.choices[0].finish_reason, "stop")
        self.assertEqual(reply.usage.prompt_tokens, 5)
        self.assertEqual(reply.usage.completion_tokens, gateway.output_tokens(prompt))
        self.assertEqual(reply.usage.total_tokens, 5 + gateway.output_tokens(prompt))

    def test_a_system_message_and_earlier_turns_count_as_input(self):
        messages = [
            {"role": "system", "content": "answer briefly"},
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": "first answer"},
            {"role": "user", "content": "second question here"},
        ]
        reply = client().chat.completions.create(model="mock/mock-echo", messages=messages)
        self.assertEqual(reply.choices[0].message.content, "second question here")
        self.assertEqual(reply.usage.prompt_tokens, 2 + 2 + 2 + 3)

    def test_streamed_deltas_join_to_the_echo_and_the_last_chunk_carries_usage(self):
        prompt = "streaming through the gateway, piece by piece"
        chunks = list(
            client().chat.completions.create(
                model="mock/mock-echo",
                messages=user(prompt),
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        self.assertEqual(text, prompt)
        content_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
        self.assertEqual(len(content_chunks), gateway.output_tokens(prompt), "one chunk per mock piece")
        finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
        self.assertEqual(finishes, ["stop"])
        self.assertEqual(len({c.id for c in chunks}), 1, "every chunk carries the same id")
        last = chunks[-1]
        self.assertEqual(last.choices, [])
        self.assertEqual(last.usage.prompt_tokens, 7)
        self.assertEqual(last.usage.completion_tokens, gateway.output_tokens(prompt))
        self.assertTrue(all(c.usage is None for c in chunks[:-1]), "usage only in the last chunk")

    def test_a_stream_without_include_usage_has_no_usage_chunk(self):
        chunks = list(
            client().chat.completions.create(model="mock/mock-echo", messages=user("no usage please"), stream=True)
        )
        self.assertEqual("".join(c.choices[0].delta.content or "" for c in chunks), "no usage please")
        self.assertTrue(all(c.usage is None and c.choices for c in chunks))

    def test_the_stream_helper_accumulates_the_reply(self):
        prompt = "the helper collects this"
        with client().chat.completions.stream(
            model="mock/mock-echo", messages=user(prompt), stream_options={"include_usage": True}
        ) as stream:
            deltas = [e.delta for e in stream if e.type == "content.delta"]
            final = stream.get_final_completion()
        self.assertEqual("".join(deltas), prompt)
        self.assertEqual(final.choices[0].message.content, prompt)
        self.assertEqual(final.usage.completion_tokens, gateway.output_tokens(prompt))

    def test_a_tool_call_comes_back_whole(self):
        reply = client().chat.completions.create(
            model="mock/mock-tools",
            messages=user("What is the weather in Paris?"),
            tools=[WEATHER_TOOL, TIME_TOOL],
        )
        choice = reply.choices[0]
        self.assertEqual(choice.finish_reason, "tool_calls")
        self.assertEqual(len(choice.message.tool_calls), 1)
        call = choice.message.tool_calls[0]
        self.assertEqual(call.type, "function")
        self.assertEqual(call.function.name, "get_weather")
        self.assertEqual(json.loads(call.function.arguments), WEATHER_ARGUMENTS)
        self.assertTrue(call.id)

    def test_tool_choice_names_the_tool_to_call(self):
        reply = client().chat.completions.create(
            model="mock/mock-tools",
            messages=user("What time is it in Tokyo?"),
            tools=[WEATHER_TOOL, TIME_TOOL],
            tool_choice={"type": "function", "function": {"name": "get_time"}},
        )
        call = reply.choices[0].message.tool_calls[0]
        self.assertEqual((call.function.name, json.loads(call.function.arguments)), ("get_time", TIME_ARGUMENTS))

    def test_a_tool_call_streams_in_pieces(self):
        chunks = list(
            client().chat.completions.create(
                model="mock/mock-tools",
                messages=user("What is the weather in Paris?"),
                tools=[WEATHER_TOOL],
                stream=True,
            )
        )
        calls, pieces = accumulate_tool_calls(chunks)
        self.assertEqual(list(calls), [0])
        self.assertEqual(calls[0]["name"], "get_weather")
        self.assertTrue(calls[0]["id"])
        self.assertEqual(json.loads(calls[0]["arguments"]), WEATHER_ARGUMENTS)
        self.assertGreater(pieces[0], 1, "arguments streamed as they came, not buffered")
        finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
        self.assertEqual(finishes, ["tool_calls"])

    def test_parallel_tool_calls_stream_interleaved(self):
        chunks = list(
            client().chat.completions.create(
                model="mock/mock-parallel-tools",
                messages=user("Weather in Paris and the time there?"),
                tools=[WEATHER_TOOL, TIME_TOOL],
                stream=True,
            )
        )
        calls, _ = accumulate_tool_calls(chunks)
        self.assertEqual(sorted(calls), [0, 1])
        self.assertEqual([calls[i]["name"] for i in (0, 1)], ["get_weather", "get_time"])
        self.assertEqual(json.loads(calls[0]["arguments"]), WEATHER_ARGUMENTS)
        self.assertEqual(json.loads(calls[1]["arguments"]), TIME_ARGUMENTS)
        self.assertNotEqual(calls[0]["id"], calls[1]["id"])
        order = [tc.index for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
        first_of_1 = order.index(1)
        self.assertIn(0, order[first_of_1:], "the two calls' pieces interleave")

    def test_the_stream_helper_parses_a_strict_tool_calls_arguments(self):
        with client().chat.completions.stream(
            model="mock/mock-tools",
            messages=user("What is the weather in Paris?"),
            tools=[openai.pydantic_function_tool(GetWeather, name="get_weather")],
        ) as stream:
            done = [e for e in stream if e.type == "tool_calls.function.arguments.done"]
            final = stream.get_final_completion()
        self.assertEqual([e.name for e in done], ["get_weather"])
        call = final.choices[0].message.tool_calls[0]
        self.assertEqual(call.function.parsed_arguments, GetWeather(city="mock", unit="celsius"))
        self.assertEqual(final.choices[0].finish_reason, "tool_calls")

    def test_a_tool_result_sent_back_is_answered_in_text(self):
        c = client()
        messages = user("What is the weather in Paris?")
        first = c.chat.completions.create(model="mock/mock-tools", messages=messages, tools=[WEATHER_TOOL])
        call = first.choices[0].message.tool_calls[0]
        messages = messages + [
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "18 degrees and sunny"},
        ]
        second = c.chat.completions.create(model="mock/mock-tools", messages=messages, tools=[WEATHER_TOOL])
        self.assertEqual(second.choices[0].finish_reason, "stop")
        self.assertEqual(second.choices[0].message.content, "Tool results: get_weather returned 18 degrees and sunny.")

    def test_a_tool_result_for_an_unknown_call_is_a_bad_request(self):
        messages = user("What is the weather in Paris?") + [
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "call_b", "content": "18 degrees"},
        ]
        with self.assertRaises(openai.BadRequestError) as caught:
            client().chat.completions.create(model="mock/mock-tools", messages=messages, tools=[WEATHER_TOOL])
        self.assertEqual(caught.exception.status_code, 400)
        self.assertIn("call_b", caught.exception.message)

    def test_an_image_as_a_data_url_reaches_the_model(self):
        png = gateway.png_bytes()
        url = "data:image/png;base64," + base64.b64encode(png).decode()
        reply = client().chat.completions.create(
            model="mock/mock-vision",
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is this?"},
                        {"type": "image_url", "image_url": {"url": url}},
                    ],
                }
            ],
        )
        text = reply.choices[0].message.content
        self.assertTrue(text.startswith("Image 1: image/png, "), text)
        self.assertIn(f"{len(png)} bytes", text)

    def test_a_json_schema_format_gets_json_that_fits_it(self):
        schema = City.model_json_schema()
        reply = client().chat.completions.create(
            model="mock/mock-json",
            messages=user("Name a city"),
            response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": schema}},
        )
        value = json.loads(reply.choices[0].message.content)
        self.assertEqual(value, {"name": "mock", "population": 0, "districts": ["mock"]})
        City.model_validate(value)

    def test_parse_with_a_pydantic_model_gets_a_parsed_message(self):
        reply = client().chat.completions.parse(
            model="mock/mock-json", messages=user("Name a city"), response_format=City
        )
        self.assertEqual(reply.choices[0].message.parsed, City(name="mock", population=0, districts=["mock"]))

    def test_a_json_object_format_gets_an_object(self):
        reply = client().chat.completions.create(
            model="mock/mock-json", messages=user("say hi"), response_format={"type": "json_object"}
        )
        self.assertEqual(json.loads(reply.choices[0].message.content), {"reply": "say hi"})

    def test_reasoning_arrives_beside_the_answer(self):
        prompt = "why is the sky blue"
        reply = client().chat.completions.create(
            model="mock/mock-reasoning", messages=user(prompt), reasoning_effort="high"
        )
        message = reply.choices[0].message
        self.assertEqual(message.content, prompt)
        reasoning = (message.model_extra or {}).get("reasoning_content")
        self.assertEqual(
            reasoning, 'The question has 5 words. It begins with "why is the sky". Echoing it back answers it.'
        )
        self.assertEqual(reply.usage.completion_tokens_details.reasoning_tokens, gateway.output_tokens(reasoning))

    def test_reasoning_streams_before_the_content(self):
        chunks = list(
            client().chat.completions.create(
                model="mock/mock-reasoning", messages=user("think first"), reasoning_effort="low", stream=True
            )
        )
        kinds = []
        for c in chunks:
            for choice in c.choices:
                if (choice.delta.model_extra or {}).get("reasoning_content"):
                    kinds.append("reasoning")
                if choice.delta.content:
                    kinds.append("content")
        self.assertIn("reasoning", kinds)
        self.assertEqual(kinds[kinds.index("content") :], ["content"] * kinds.count("content"))
        self.assertEqual("".join(c.choices[0].delta.content or "" for c in chunks if c.choices), "think first")


class Errors(unittest.TestCase):
    def test_a_wrong_key_is_an_authentication_error(self):
        with self.assertRaises(openai.AuthenticationError) as caught:
            client(api_key="yat-not-a-key").chat.completions.create(model="mock/mock-echo", messages=user("hi"))
        self.assertEqual(caught.exception.status_code, 401)
        self.assertEqual(caught.exception.code, "invalid_api_key")

    def test_an_unknown_model_is_not_found(self):
        with self.assertRaises(openai.NotFoundError) as caught:
            client().chat.completions.create(model="mock/no-such-model", messages=user("hi"))
        self.assertEqual(caught.exception.status_code, 404)
        self.assertIn("no-such-model", caught.exception.message)

    def test_an_unknown_model_in_a_stream_is_not_found_before_any_chunk(self):
        with self.assertRaises(openai.NotFoundError):
            client().chat.completions.create(model="nobody/nothing", messages=user("hi"), stream=True)

    def test_a_rate_limit_is_a_rate_limit_error_with_retry_after(self):
        with self.assertRaises(openai.RateLimitError) as caught:
            client().chat.completions.create(model="mock/mock-rate-limited", messages=user("hi"))
        self.assertEqual(caught.exception.status_code, 429)
        self.assertEqual(caught.exception.response.headers.get("retry-after"), "2")

    def test_an_unsupported_parameter_is_a_bad_request_naming_it(self):
        with self.assertRaises(openai.BadRequestError) as caught:
            client().chat.completions.create(model="mock/mock-echo", messages=user("hi"), n=2)
        self.assertEqual(caught.exception.param, "n")

    def test_a_wrong_type_is_a_bad_request(self):
        with self.assertRaises(openai.BadRequestError) as caught:
            client().chat.completions.create(model="mock/mock-echo", messages="not a list")
        self.assertEqual(caught.exception.param, "messages")

    def test_a_failure_mid_stream_raises_while_iterating(self):
        received = []
        stream = client().chat.completions.create(model="mock/mock-fail-mid", messages=user("hi"), stream=True)
        with self.assertRaises(openai.APIError) as caught:
            for chunk in stream:
                if chunk.choices:
                    received.append(chunk.choices[0].delta.content or "")
        self.assertNotIsInstance(caught.exception, openai.APIConnectionError, "an error event, not a cut connection")
        text = "".join(received)
        self.assertEqual(text, gateway.CANNED_OPENING[: 3 * gateway.CHUNK_SIZE], "the chunks before the failure")
        self.assertEqual(caught.exception.type, "server_error")
        self.assertIn("injected failure", caught.exception.message)


if __name__ == "__main__":
    unittest.main()
