#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into fuzz/seeds/<target>/.

The seeds are small realistic wire transcripts in the shapes the providers'
own tests and yat-fakeserver's generators use (OpenAI chat.completion.chunk
lines ending in [DONE], Anthropic named events from message_start to
message_stop, Gemini GenerateContentResponse chunks, Cohere v2 events), with
text, tool calls and reasoning; every recorded transcript in
yat-providers/tests/fixtures/<format>/; error bodies of each vendor,
provider_config.json files and .env files; each behind the few control bytes
its target reads (see the targets' docs).

Run it from anywhere: python3 fuzz/seeds/make_seeds.py
"""

import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(HERE)), "yat-providers", "tests", "fixtures")


def j(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def sse(events, eol="\n"):
    """events: list of (name or None, data string)."""
    out = []
    for name, data in events:
        if name:
            out.append(f"event: {name}{eol}")
        for line in data.split("\n"):
            out.append(f"data: {line}{eol}")
        out.append(eol)
    return "".join(out)


OPENAI_HEAD = {
    "id": "chatcmpl-yat0001",
    "object": "chat.completion.chunk",
    "created": 1764000000,
    "model": "gpt-4o-mini-2024-07-18",
    "system_fingerprint": "fp_yat0001",
}


def openai_events(pieces, finish="stop", usage=True):
    ev = [dict(OPENAI_HEAD, choices=[{"index": 0, "delta": {"role": "assistant", "content": "", "refusal": None}, "logprobs": None, "finish_reason": None}], usage=None)]
    for p in pieces:
        ev.append(dict(OPENAI_HEAD, choices=[{"index": 0, "delta": {"content": p}, "logprobs": None, "finish_reason": None}], usage=None))
    ev.append(dict(OPENAI_HEAD, choices=[{"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish}], usage=None))
    if usage:
        ev.append(dict(OPENAI_HEAD, choices=[], usage={"prompt_tokens": 9, "completion_tokens": len(pieces), "total_tokens": 9 + len(pieces)}))
    return [(None, j(e)) for e in ev] + [(None, "[DONE]")]


def openai_tool_events():
    """Reasoning, then two calls whose fragments interleave, the finish and
    usage with cache and reasoning details."""
    def chunk(delta, finish=None):
        return dict(OPENAI_HEAD, choices=[{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}], usage=None)

    def call(i, piece, first=None):
        entry = {"index": i, "function": {"arguments": piece}}
        if first:
            entry["id"] = first[0]
            entry["type"] = "function"
            entry["function"]["name"] = first[1]
        return chunk({"tool_calls": [entry]})

    ev = [
        chunk({"role": "assistant", "content": None, "reasoning_content": "The user wants"}),
        chunk({"reasoning_content": " the weather."}),
        call(0, "", ("call_paris", "get_weather")),
        call(0, '{"ci'),
        call(1, '{"city"', ("call_oslo", "get_weather")),
        call(0, 'ty": "Paris"}'),
        call(1, ': "Oslo", "unit": "\u00b0C"}'),
        chunk({}, "tool_calls"),
        dict(OPENAI_HEAD, choices=[], usage={"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160,
                                             "prompt_tokens_details": {"cached_tokens": 100},
                                             "completion_tokens_details": {"reasoning_tokens": 12}}),
    ]
    return [(None, j(e)) for e in ev] + [(None, "[DONE]")]


def anthropic_tool_events():
    """A thinking block with its signature, text, a tool_use block whose
    input streams in pieces, and a redacted thinking block."""
    def delta(i, d):
        return ("content_block_delta", {"type": "content_block_delta", "index": i, "delta": d})

    ev = [
        ("message_start", {"type": "message_start", "message": {"id": "msg_01Yat", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929", "content": [], "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 30, "cache_creation_input_tokens": 5, "cache_read_input_tokens": 100, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
        delta(0, {"type": "thinking_delta", "thinking": "The user wants the time."}),
        delta(0, {"type": "signature_delta", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxDYW5kaWRhdGU="}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 1}),
        ("content_block_start", {"type": "content_block_start", "index": 2, "content_block": {"type": "text", "text": ""}}),
        delta(2, {"type": "text_delta", "text": "Let me check."}),
        ("content_block_stop", {"type": "content_block_stop", "index": 2}),
        ("content_block_start", {"type": "content_block_start", "index": 3, "content_block": {"type": "tool_use", "id": "toolu_01Yat", "name": "get_time", "input": {}}}),
        delta(3, {"type": "input_json_delta", "partial_json": ""}),
        delta(3, {"type": "input_json_delta", "partial_json": "{\"timez"}),
        delta(3, {"type": "input_json_delta", "partial_json": "one\": \"Europe/Paris\"}"}),
        ("content_block_stop", {"type": "content_block_stop", "index": 3}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None}, "usage": {"output_tokens": 61}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return [(n, j(d)) for n, d in ev]


def parse_sse(text):
    """The (name, data) events of an SSE body, for the framed layout."""
    events = []
    for block in text.replace("\r\n", "\n").replace("\r", "\n").split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        if data:
            events.append((name, "\n".join(data)))
    return events


def fixtures(fmt):
    """(name, body bytes) of every recorded transcript of `fmt`, sorted."""
    d = os.path.join(FIXTURES, fmt)
    if not os.path.isdir(d):
        return []
    out = []
    for name in sorted(os.listdir(d)):
        if name.endswith(".sse"):
            with open(os.path.join(d, name), "rb") as f:
                out.append((name[:-4], f.read()))
    return out


def anthropic_events(pieces, stop="end_turn"):
    ev = [
        ("message_start", {"type": "message_start", "message": {"id": "msg_01Yat", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929", "content": [], "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 9, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ("ping", {"type": "ping"}),
    ]
    for p in pieces:
        ev.append(("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}))
    ev += [
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hmm"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}, "usage": {"output_tokens": len(pieces)}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return [(n, j(d)) for n, d in ev]


def gemini_events(pieces, finish="STOP"):
    ev = []
    for i, p in enumerate(pieces):
        c = {"content": {"parts": [{"text": p}], "role": "model"}, "index": 0}
        if i == len(pieces) - 1:
            c["finishReason"] = finish
        ev.append({"candidates": [c], "usageMetadata": {"promptTokenCount": 6, "candidatesTokenCount": i + 1, "thoughtsTokenCount": 2, "totalTokenCount": 9 + i}, "modelVersion": "gemini-2.5-flash", "responseId": "mGqHaPm3Ld2F7M8Px4mQ6QE"})
    return [(None, j(e)) for e in ev]


def cohere_events(pieces, finish="COMPLETE"):
    ev = [
        ("message-start", {"type": "message-start", "id": "29f14a5a-11de-4cae-9800-25e4747408ea", "delta": {"message": {"role": "assistant"}}}),
        ("content-start", {"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}}),
    ]
    for p in pieces:
        ev.append(("content-delta", {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": p}}}}))
    ev += [
        ("content-end", {"type": "content-end", "index": 0}),
        ("message-end", {"type": "message-end", "delta": {"finish_reason": finish, "usage": {"billed_units": {"input_tokens": 5, "output_tokens": 26}, "tokens": {"input_tokens": 71, "output_tokens": 26}}}}),
    ]
    return [(n, j(d)) for n, d in ev] + [(None, "[DONE]")]


PIECES = ["Hel", "lo \"q\" \u00e9\u20ac\U0001F600", "\n!"]

ERRORS = {
    "openai_quota": (429, b'{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}'),
    "openai_ctx": (400, b'{"error":{"message":"This model\'s maximum context length is 8192 tokens","type":"invalid_request_error","code":"context_length_exceeded"}}'),
    "anthropic_overloaded": (529, b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}'),
    "anthropic_auth": (401, b'{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}'),
    "gemini_per_minute": (429, b'{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"43s"}]}}'),
    "gemini_key": (400, b'[{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}]'),
    "cohere_monthly": (429, b'{"id":"x","message":"trial key limited to 1000 API calls / month"}'),
    "html": (502, b"<html><body>Bad gateway</body></html>"),
    "detail": (422, b'{"detail":"unprocessable"}'),
}

CONFIGS = {
    "original": """{
  "providers": [
    {
      "id": "openai", "name": "OpenAI", "type": "cloud", "icon": "\\ud83e\\udd16", "color": "#10a37f", "enabled": true,
      "settings": [
        {"key": "api_key", "label": "API Key", "type": "password", "required": true, "env_var": "OPENAI_API_KEY", "placeholder": "sk-..."},
        {"key": "timeout", "type": "number", "default": 30.5, "value": 12}
      ],
      "config": {"timeout": 30}
    },
    {"id": "mock", "enabled": false}
  ],
  "version": 2
}
""",
    "custom": '{"providers": [{"id": "lab-server", "name": "Lab server", "type": "openai-compatible", "base_url": "http://10.0.0.5:8000/v1", "api_key_env": "LAB_SERVER_KEY", "models": ["llama-3.1-70b"], "stream_usage": true, "settings": [{"key": "stream", "value": true}, {"key": "max_retries", "value": "3"}]}]}',
    "timeouts": '{"providers": [{"id": "openai", "settings": [{"key": "connect_timeout", "value": 10}, {"key": "idle_timeout", "value": "90"}, {"key": "first_byte_timeout", "value": 120.5}, {"key": "max_retries", "value": 2}]}]}',
    "empty": "",
    "bare": '{"providers": []}',
}

DOTENVS = {
    "keys": b'# keys\nOPENAI_API_KEY="sk-1"\nexport ANTHROPIC_API_KEY=sk-ant-2\nK=\'single\'\n\x00sk-new',
    "quoted": b'A="multi\nline"\nB=plain # comment\nC=\n\x00 "quoted value" ',
    "subst": b'BASE=http://x\nURL=${BASE}/v1\n',
    "plain": b"K=1\n",
}


JSON_TOKENS = ["{", "}", "[", "]", ":", ",", "\"", "null", "true", "false", "0", "-1", "0.5",
               "1e30", "1e308", "-0.0", "4294967296", "18446744073709551615",
               "18446744073709551616", "99999999999999999999999", "\\u0000", "\\ud800",
               "\\n", "\\\"", "\u00e9", "\U0001F600"]
FIELDS = {
    "openai": ["choices", "delta", "content", "refusal", "role", "finish_reason", "usage",
               "prompt_tokens", "completion_tokens", "error", "message", "code", "[DONE]",
               "stop", "length", "tool_calls", "function", "arguments", "name", "id", "index",
               "type", "function_call", "reasoning_content", "reasoning", "prompt_tokens_details",
               "cached_tokens", "completion_tokens_details", "reasoning_tokens"],
    "anthropic": ["type", "message_start", "content_block_start", "content_block_delta",
                  "content_block_stop", "message_delta", "message_stop", "ping", "error",
                  "text_delta", "thinking_delta", "text", "index", "delta", "content_block",
                  "stop_reason", "usage", "input_tokens", "output_tokens",
                  "cache_creation_input_tokens", "cache_read_input_tokens",
                  "overloaded_error", "rate_limit_error", "end_turn", "max_tokens", "tool_use",
                  "id", "name", "input", "input_json_delta", "partial_json", "thinking",
                  "signature_delta", "signature", "redacted_thinking", "data"],
    "gemini": ["candidates", "content", "parts", "text", "thought", "finishReason",
               "finishMessage", "usageMetadata", "promptTokenCount", "candidatesTokenCount",
               "thoughtsTokenCount", "toolUsePromptTokenCount", "promptFeedback",
               "blockReason", "error", "code", "status", "message", "details", "@type",
               "type.googleapis.com/google.rpc.RetryInfo", "retryDelay",
               "type.googleapis.com/google.rpc.QuotaFailure", "violations", "quotaId", "PerDay",
               "type.googleapis.com/google.rpc.ErrorInfo", "reason", "API_KEY_INVALID",
               "RESOURCE_EXHAUSTED", "PERMISSION_DENIED", "STOP", "SAFETY", "MAX_TOKENS", "s",
               "functionCall", "name", "args", "id", "thoughtSignature", "cachedContentTokenCount",
               "MALFORMED_FUNCTION_CALL"],
    "cohere": ["type", "message-start", "content-start", "content-delta", "content-end",
               "message-end", "error", "delta", "message", "content", "text", "thinking",
               "finish_reason", "COMPLETE", "ERROR", "TIMEOUT", "MAX_TOKENS", "usage",
               "billed_units", "tokens", "input_tokens", "output_tokens", "[DONE]",
               "tool-plan-delta", "tool-call-start", "tool-call-delta", "tool-call-end",
               "tool_plan", "tool_calls", "function", "name", "arguments", "id", "index",
               "TOOL_CALL", "citation-start", "citation-end"],
}
SSE_TOKENS = ["data:", "data: ", "event:", "event: ", "id:", "id: ", "retry:", "retry: ", ":",
              "\n", "\r", "\r\n", "\n\n", "\r\n\r\n", "\ufeff", "\xc3", "\xf0\x9f", "\x00"]
HEADER_TOKENS = ["Wed, 21 Oct 2015 07:28:00 GMT", "Sun, 06 Nov 2094 08:49:37 GMT", "1e30",
                 "1e300", "-1", "NaN", "inf", "1764000000", "1764000000000", "0.5"]
CONFIG_TOKENS = ["providers", "id", "name", "enabled", "settings", "key", "label", "type",
                 "required", "env_var", "default", "value", "password", "openai-compatible",
                 "base_url", "api_key_env", "models", "timeout", "max_retries", "stream",
                 "connect_timeout", "first_byte_timeout", "idle_timeout", "api_key",
                 "-1", "0", "1e30", "1e-30", "\"NaN\"", "\"yes\"", "\"off\""]
DOTENV_TOKENS = ["export ", "=", "\"", "'", "$", "${", "}", "\\", "\\n", "#", " #", "\n",
                 "\r\n", "\t", "K", "K=", "OPENAI_API_KEY", "OPENAI_API_KEY=", "\x00",
                 "\ufeff"]


def dict_line(token):
    out = []
    for b in token.encode():
        c = chr(b)
        if c in '\\"' or b < 0x20 or b >= 0x7F:
            out.append("\\x%02X" % b)
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def write_dict(target, tokens):
    d = os.path.join(os.path.dirname(HERE), "dicts")
    os.makedirs(d, exist_ok=True)
    uniq = list(dict.fromkeys(tokens))
    with open(os.path.join(d, f"{target}.dict"), "w") as f:
        f.write(f"# libFuzzer dictionary of {target}; written by seeds/make_seeds.py\n")
        for t in uniq:
            f.write(dict_line(t) + "\n")


def write(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    # Start afresh, but keep `regress-*`: inputs that once failed (named
    # after libFuzzer's crash files), so that every run tries them again.
    for target in ["sse_decoder", "ndjson_decoder", "stream_openai", "stream_anthropic", "stream_gemini", "stream_cohere", "error_map", "config_json", "dotenv"]:
        d = os.path.join(HERE, target)
        for name in os.listdir(d) if os.path.isdir(d) else []:
            if not name.startswith("regress-"):
                os.remove(os.path.join(d, name))

    streams = {
        "openai": sse(openai_events(PIECES)),
        "anthropic": sse(anthropic_events(PIECES)),
        "gemini": sse(gemini_events(PIECES), eol="\r\n"),
        "cohere": sse(cohere_events(PIECES)),
    }
    cuts = struct.pack("<B5H", 5, 1, 7, 100, 333, 1000)
    # sse_decoder: ctrl, limit byte, cuts, body.
    for name, body in streams.items():
        b = body.encode()
        write("sse_decoder", f"{name}_default", bytes([0, 0, 0]) + b)
        write("sse_decoder", f"{name}_cut", bytes([0, 0]) + cuts + b)
    write("sse_decoder", "crlf_bom_ids", bytes([1, 40, 0]) + "\ufeff: hi\r\nid: 7\r\nretry: 1500\r\nevent: e\r\ndata: a\r\ndata:b\r\n\r\ndata\r\rid\n\ndata: \u00e9\n\n".encode())
    write("sse_decoder", "long_line_small_limit", bytes([2 | (20 << 3), 5, 0]) + b"data: " + b"x" * 200)
    write("sse_decoder", "long_line_medium", bytes([3 | (31 << 3), 1, 0]) + b"data: " + b"y" * 1000 + b"\n\ndata: after\n\n")
    write("sse_decoder", "invalid_utf8", bytes([4, 0, 0]) + b"data: \xff\xfe\n\ndata: ok\r\n\r\n:\xc3")
    # ndjson_decoder: ctrl, limit byte, cuts, body.
    lines = "".join(j({"text": p}) + "\n" for p in PIECES) + j({"done": True})
    write("ndjson_decoder", "lines_default", bytes([0, 0, 0]) + lines.encode())
    write("ndjson_decoder", "lines_cut", bytes([0, 0]) + cuts + lines.encode())
    write("ndjson_decoder", "crlf_bom_blank_seq", bytes([1, 40, 0]) + "\ufeff{\"a\":1}\r\n\r\n  \t\n\x1e{\"b\":\"\u00e9\"}\r\x1e\n{\"c\":3}".encode())
    write("ndjson_decoder", "long_line_small_limit", bytes([2 | (20 << 3), 5, 0]) + b"{\"t\":\"" + b"x" * 200)
    write("ndjson_decoder", "invalid_utf8", bytes([0, 0, 0]) + b"{\"a\":\"\xff\"}\n{\"b\":2}\n\xc3")

    # stream_*: raw mode (odd byte 0) and framed mode (even byte 0).
    gens = {
        "openai": [openai_events(PIECES), openai_events(["x"], finish="length", usage=False), openai_events([], finish="tool_calls"), openai_tool_events()],
        "anthropic": [anthropic_events(PIECES), anthropic_events(["x"], stop="max_tokens"), anthropic_tool_events()],
        "gemini": [gemini_events(PIECES), gemini_events(["x"], finish="SAFETY")],
        "cohere": [cohere_events(PIECES), cohere_events(["x"], finish="MAX_TOKENS")],
    }
    extra = {
        "openai": [[(None, '{"error":{"message":"server overloaded","type":"server_error","code":503}}')]],
        "anthropic": [[("error", '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')]],
        "gemini": [[(None, '{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"0.5s"}]}}')],
                   [(None, '{"promptFeedback":{"blockReason":"SAFETY"}}')]],
        "cohere": [[("message-end", '{"type":"message-end","delta":{"finish_reason":"ERROR","error":"too many tokens"}}')],
                   [(None, '{"message":"internal error"}')]],
    }
    for name, variants in gens.items():
        t = f"stream_{name}"
        for i, events in enumerate(variants + extra[name]):
            body = sse(events).encode()
            write(t, f"raw_{i}", bytes([1, 0]) + body)
            write(t, f"raw_cut_{i}", bytes([1]) + cuts + body)
            framed = b"\x1e".join((n or "").encode() + b"\x1f" + d.encode() for n, d in events)
            write(t, f"framed_{i}", bytes([0]) + framed)
        # What real servers sent (tool calls, reasoning, usage details).
        for stem, body in fixtures(name):
            write(t, f"recorded_{stem}", bytes([1, 0]) + body)
            events = parse_sse(body.decode("utf-8", "replace"))
            framed = b"\x1e".join((n or "").encode() + b"\x1f" + d.encode() for n, d in events)
            write(t, f"recorded_framed_{stem}", bytes([0]) + framed)

    # The shape of the stream_cohere failure: a broken tail after message-end.
    tail = sse(cohere_events(PIECES)[:-1]).encode() + b"data: [DONE]\ndata: \xff\xff\n\n"
    write("stream_cohere", "regress-broken-tail-after-message-end", bytes([1, 0]) + tail)

    # Gemini: a retry delay and token counts beyond what a Duration or a u64
    # sum holds.
    huge_delay = '{"error":{"code":429,"message":"m","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1e30s"}]}}'
    write("stream_gemini", "regress-huge-retry-delay", bytes([0]) + b"\x1f" + huge_delay.encode())
    huge_usage = '{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":18446744073709551615,"toolUsePromptTokenCount":2,"candidatesTokenCount":18446744073709551615,"thoughtsTokenCount":1}}'
    write("stream_gemini", "regress-huge-usage", bytes([0]) + b"\x1f" + huge_usage.encode())
    write("error_map", "regress-huge-retry-delay", struct.pack(">HB", 429, 0) + huge_delay.encode())

    # error_map: status (BE), header flags, headers, body.
    for name, (status, body) in ERRORS.items():
        write("error_map", name, struct.pack(">H", status) + bytes([0]) + body)
    write("error_map", "retry_after_secs", struct.pack(">HB", 429, 1) + bytes([2]) + b"30" + ERRORS["openai_quota"][1])
    write("error_map", "retry_after_date", struct.pack(">HB", 503, 1) + bytes([29]) + b"Wed, 21 Oct 2015 07:28:00 GMT" + b"{}")
    write("error_map", "all_headers", struct.pack(">HB", 429, 7) + bytes([3]) + b"1.5" + bytes([4]) + b"1500" + bytes([10]) + b"1764000000" + b'{"message":"rate"}')

    for name, text in CONFIGS.items():
        write("config_json", name, text.encode())
    for name, data in DOTENVS.items():
        write("dotenv", name, data)

    write_dict("sse_decoder", SSE_TOKENS)
    write_dict("ndjson_decoder", JSON_TOKENS + ["\n", "\r", "\r\n", "\x1e", "\ufeff"])
    for name, fields in FIELDS.items():
        write_dict(f"stream_{name}", SSE_TOKENS + JSON_TOKENS + fields + ["\x1e", "\x1f"])
    write_dict("error_map", JSON_TOKENS + HEADER_TOKENS + sum(FIELDS.values(), []))
    write_dict("config_json", JSON_TOKENS + CONFIG_TOKENS)
    write_dict("dotenv", DOTENV_TOKENS)


if __name__ == "__main__":
    main()
