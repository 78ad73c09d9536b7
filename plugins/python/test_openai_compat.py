#!/usr/bin/env python3
"""Tests of yat-provider-openai-compat, standard library only: the plugin
runs as a real child process speaking the protocol on its pipes, against a
fake OpenAI-compatible server on 127.0.0.1.

    python3 plugins/python/test_openai_compat.py
"""

import json
import os
import queue
import subprocess
import sys
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PLUGIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "yat-provider-openai-compat")
WAIT = 20
KEY = "sk-test-secret-4242"


def chunk(delta=None, finish=None, usage=None):
    c = {"id": "c1", "object": "chat.completion.chunk", "choices": []}
    if delta is not None or finish is not None:
        c["choices"] = [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
    c["usage"] = usage
    return "data: " + json.dumps(c) + "\n\n"


TEXT = (chunk({"role": "assistant", "content": ""}) + chunk({"content": "Hel"}) + chunk({"content": "lo ✓"})
        + chunk({}, "stop") + chunk(usage={"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11,
                                            "prompt_tokens_details": {"cached_tokens": 4}})
        + "data: [DONE]\n\n")

# Ids repeated on every piece (llama-cpp-python does this), two calls.
TOOLS = (chunk({"role": "assistant", "content": None})
         + chunk({"tool_calls": [{"index": 0, "id": "call_a", "type": "function",
                                  "function": {"name": "get_weather", "arguments": "{\"ci"}}]})
         + chunk({"tool_calls": [{"index": 1, "id": "call_b", "type": "function",
                                  "function": {"name": "now", "arguments": ""}}]})
         + chunk({"tool_calls": [{"index": 0, "id": "call_a", "function": {"arguments": "ty\": \"Paris\"}"}}]})
         + chunk({"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]})
         + chunk({}, "tool_calls") + "data: [DONE]\n\n")

# CRLF line ends, a comment, a data field split over two lines, no [DONE].
ODD = (": keep-alive\r\n\r\n"
       + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\r\ndata: \"finish_reason\":null}]}\r\n\r\n"
       + "data: " + json.dumps({"choices": [{"index": 0, "delta": {"reasoning_content": "hm"}, "finish_reason": None}]})
       + "\r\n\r\n"
       + "data: " + json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]}) + "\r\n\r\n")

CUT = chunk({"content": "partial"})


class Fake(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests = []

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def stream(self, pieces, pause=0.0):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            for piece in pieces:
                self.wfile.write(piece.encode("utf-8"))
                self.wfile.flush()
                time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            Fake.disconnects += 1
        self.close_connection = True

    def do_GET(self):
        Fake.requests.append(("GET", self.path, dict(self.headers), None))
        if self.path == "/v1/models":
            self.reply(200, json.dumps({"object": "list", "data": [{"id": "m-text", "object": "model"},
                                                                   {"id": "m-tools", "object": "model"}]}))
        else:
            self.reply(404, "{}")

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Fake.requests.append(("POST", self.path, dict(self.headers), body))
        model = body["model"]
        if model == "m-text":
            self.stream([TEXT])
        elif model == "m-tools":
            self.stream([TOOLS])
        elif model == "m-odd":
            self.stream([ODD[i:i + 7] for i in range(0, len(ODD), 7)])
        elif model == "m-cut":
            self.stream([CUT])
        elif model == "m-slow":
            self.stream([chunk({"content": "x%d " % i}) for i in range(100)]
                        + [chunk({}, "stop"), "data: [DONE]\n\n"], pause=0.02)
        elif model == "e401":
            self.reply(401, json.dumps({"error": {"message": "Incorrect API key provided: %s" % KEY,
                                                  "code": "invalid_api_key"}}))
        elif model == "e429":
            self.reply(429, json.dumps({"error": {"message": "slow down", "code": "rate_limit_exceeded"}}),
                       [("Retry-After", "2"), ("x-request-id", "req-9")])
        elif model == "e400ctx":
            self.reply(400, json.dumps({"error": {"message": "too long", "code": "context_length_exceeded"}}))
        elif model == "e404":
            self.reply(404, json.dumps({"error": {"message": "The model `e404` does not exist"}}))
        else:
            self.reply(502, "<html>Bad Gateway</html>")


Fake.disconnects = 0


class Plugin:
    def __init__(self):
        self.proc = subprocess.Popen([PLUGIN], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env={"PATH": os.environ.get("PATH", "")})
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, msg):
        data = msg if isinstance(msg, bytes) else json.dumps(msg).encode("utf-8")
        self.proc.stdin.write(data + b"\n")
        self.proc.stdin.flush()

    def recv(self):
        line = self.lines.get(timeout=WAIT)
        assert line is not None, "the plugin closed its stdout"
        return json.loads(line)

    def collect(self, rid):
        out = []
        while True:
            m = self.recv()
            assert m.get("id") == rid, m
            out.append(m)
            if m["op"] != "event":
                return out

    def close(self):
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        code = self.proc.wait(timeout=WAIT)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code


class OpenAICompatPlugin(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), Fake)
        cls.server.daemon_threads = True
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.base = "http://127.0.0.1:%d/v1" % cls.server.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        Fake.requests.clear()
        self.p = Plugin()
        self.p.send({"op": "hello", "protocol": [1], "host": "test"})
        hello = self.p.recv()
        self.assertEqual((hello["op"], hello["protocol"], hello["id"]), ("hello", 1, "openai-compat"))
        self.p.send({"op": "initialize", "id": "i", "settings": {"base_url": self.base + "/", "api_key": KEY}})
        self.assertEqual(self.p.recv(), {"op": "result", "id": "i"})

    def tearDown(self):
        self.assertEqual(self.p.close(), 0)

    def chat(self, rid, model, **extra):
        request = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
        request.update(extra)
        self.p.send({"op": "chat", "id": rid, "request": request})

    def events(self, rid):
        msgs = self.p.collect(rid)
        self.assertEqual(msgs[-1], {"op": "end", "id": rid})
        return [m["event"] for m in msgs[:-1]]

    def test_text_usage_and_finish(self):
        self.chat("1", "m-text")
        self.assertEqual(self.events("1"), [
            {"type": "delta", "text": "Hel"},
            {"type": "delta", "text": "lo ✓"},
            {"type": "usage", "input_tokens": 5, "output_tokens": 2, "cache_read_tokens": 4},
            {"type": "finish", "reason": "stop", "raw": "stop"},
        ])
        method, path, headers, body = Fake.requests[-1]
        self.assertEqual((method, path), ("POST", "/v1/chat/completions"))
        self.assertEqual(headers["Authorization"], "Bearer " + KEY)
        self.assertEqual(body["stream_options"], {"include_usage": True})

    def test_tool_calls_stream_as_start_deltas_and_end(self):
        self.chat("t", "m-tools")
        evs = self.events("t")
        self.assertEqual(evs[0], {"type": "tool_call_start", "index": 0, "id": "call_a", "name": "get_weather"})
        self.assertEqual(evs[1], {"type": "tool_call_delta", "index": 0, "arguments": "{\"ci"})
        self.assertEqual(evs[2], {"type": "tool_call_start", "index": 1, "id": "call_b", "name": "now"})
        ends = [e for e in evs if e["type"] == "tool_call_end"]
        self.assertEqual(ends, [
            {"type": "tool_call_end", "index": 0, "call": {"id": "call_a", "name": "get_weather", "arguments": {"city": "Paris"}}},
            {"type": "tool_call_end", "index": 1, "call": {"id": "call_b", "name": "now", "arguments": {}}},
        ])
        self.assertEqual(evs[-1], {"type": "finish", "reason": "tool_calls", "raw": "tool_calls"})

    def test_sse_with_crlf_comments_split_data_and_no_done(self):
        self.chat("o", "m-odd")
        self.assertEqual(self.events("o"), [
            {"type": "delta", "text": "a"},
            {"type": "reasoning_delta", "text": "hm"},
            {"type": "finish", "reason": "length", "raw": "length"},
        ])

    def test_a_stream_cut_before_its_end_is_a_network_error_after_its_events(self):
        self.chat("c", "m-cut")
        msgs = self.p.collect("c")
        self.assertEqual(msgs[0]["event"], {"type": "delta", "text": "partial"})
        self.assertEqual(msgs[-1]["error"]["kind"], "network")

    def test_http_errors_map_to_kinds_and_never_carry_the_key(self):
        cases = {
            "e401": {"kind": "authentication", "message": "Incorrect API key provided: [redacted]", "status": 401},
            "e429": {"kind": "rate_limited", "message": "slow down", "status": 429, "retry_after_ms": 2000,
                     "request_id": "req-9"},
            "e400ctx": {"kind": "context_length", "message": "too long", "status": 400},
            "e404": {"kind": "not_found", "message": "The model `e404` does not exist", "status": 404},
            "e502": {"kind": "server", "message": "unexpected error body: <html>Bad Gateway</html>", "status": 502},
        }
        for model, want in cases.items():
            self.chat(model, model)
            self.assertEqual(self.p.collect(model), [{"op": "error", "id": model, "error": want}])

    def test_the_request_is_translated_to_the_openai_body(self):
        call = {"type": "tool_call", "id": "c1", "name": "get_weather", "arguments": {"city": "Paris"}}
        messages = [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "what is this?"},
                                         {"type": "image", "data": "iVBORw0K", "media_type": "image/png"}]},
            {"role": "assistant", "content": [{"type": "reasoning", "text": "hm"}, call]},
            {"role": "tool", "content": [{"type": "tool_result", "call_id": "c1", "name": "get_weather",
                                          "content": {"json": {"t": 12}}}]},
        ]
        self.chat("r", "m-text", messages=messages, temperature=0.5, max_tokens=64, stop=["END"],
                  tools=[{"name": "get_weather", "description": "d", "parameters": {"type": "object"}}],
                  tool_choice={"type": "tool", "name": "get_weather"},
                  response_format={"type": "json_object"},
                  extra={"openai-compat": {"user": "u-1"}, "other": {"ignored": True}})
        self.events("r")
        body = Fake.requests[-1][3]
        self.assertEqual(body["messages"], [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "what is this?"},
                                         {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "{\"t\":12}"},
        ])
        self.assertEqual(body["tools"], [{"type": "function", "function": {
            "name": "get_weather", "description": "d", "parameters": {"type": "object"}}}])
        self.assertEqual(body["tool_choice"], {"type": "function", "function": {"name": "get_weather"}})
        self.assertEqual((body["temperature"], body["max_tokens"], body["stop"]), (0.5, 64, ["END"]))
        self.assertEqual(body["response_format"], {"type": "json_object"})
        self.assertEqual(body["user"], "u-1")
        self.assertNotIn("ignored", body)

    def test_list_models(self):
        self.p.send({"op": "list_models", "id": "m"})
        got = self.p.recv()
        self.assertEqual(got["id"], "m")
        self.assertEqual([m["id"] for m in got["models"]], ["m-text", "m-tools"])
        self.assertEqual(got["models"][0]["provider"], "openai-compat")

    def test_two_chats_at_once_and_cancel_of_one(self):
        Fake.disconnects = 0
        self.chat("a", "m-slow")
        self.chat("b", "m-slow")
        seen = set()
        while seen != {"a", "b"}:
            m = self.p.recv()
            self.assertEqual(m["op"], "event")
            seen.add(m["id"])
        self.p.send({"op": "cancel", "id": "a"})
        # b goes on to its end; a ends once, cancelled.
        terminators = {}
        while len(terminators) < 2:
            m = self.p.recv()
            if m["op"] != "event":
                self.assertNotIn(m["id"], terminators)
                terminators[m["id"]] = m
        self.assertEqual(terminators["a"]["error"]["kind"], "cancelled")
        self.assertEqual(terminators["b"], {"op": "end", "id": "b"})
        # The cancel closed a's connection: the server saw its client go.
        deadline = time.time() + WAIT
        while Fake.disconnects < 1 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(Fake.disconnects, 1)

    def test_broken_lines_unknown_ops_and_bad_settings(self):
        self.p.send(b"not json at all")
        self.p.send({"op": "teleport", "id": "u"})
        self.assertEqual(self.p.recv(), {"op": "error", "id": "u",
                                         "error": {"kind": "invalid_request", "message": "unknown op \"teleport\""}})
        self.p.send({"op": "initialize", "id": "bad", "settings": {"base_url": "ftp://x"}})
        self.assertEqual(self.p.recv()["error"], {"kind": "invalid_setting",
                                                  "message": "expected an http:// or https:// URL", "key": "base_url"})
        self.chat("x", "m-text")
        self.assertEqual(self.p.recv()["error"]["kind"], "unavailable")


    def test_a_line_over_16_mib_is_skipped_and_the_next_one_served(self):
        huge = b'{"op":"list_models","id":"huge","pad":"' + b"a" * (16 * 1024 * 1024 + 10) + b'"}'
        self.p.send(huge)
        self.p.send({"op": "list_models", "id": "after"})
        self.assertEqual(self.p.recv()["id"], "after")


class Handshake(unittest.TestCase):
    def test_no_common_version_is_refused_and_the_plugin_exits(self):
        p = Plugin()
        p.send({"op": "hello", "protocol": [2], "host": "future"})
        self.assertEqual(p.recv()["error"]["kind"], "unsupported_protocol")
        self.assertEqual(p.proc.wait(timeout=WAIT), 1)
        p.close()

    def test_shutdown_exits_at_once(self):
        p = Plugin()
        p.send({"op": "hello", "protocol": [1], "host": "t"})
        p.recv()
        p.send({"op": "shutdown"})
        self.assertEqual(p.proc.wait(timeout=WAIT), 0)
        p.close()


if __name__ == "__main__":
    unittest.main()
