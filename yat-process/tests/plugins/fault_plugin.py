#!/usr/bin/env python3
"""A process plugin for the host's tests: protocol v1, stdlib only.

Usage: fault_plugin.py [--record DIR] [--start MODE] [--id ID]

--record DIR   append one line per start to DIR/starts, one per cancel
               received to DIR/cancels, and write DIR/argv+environ.json
--start MODE   how the handshake goes: ok (default), hang (never answers
               hello), protocol99 (picks a version the host does not
               offer), refuse (answers unsupported_protocol and exits),
               die (exits 7 before hello, after a line on stderr)

What a chat does is chosen by the last user message:
  "crash"        one event, then the process kills itself (SIGKILL)
  "exit"         one event, then exit code 0
  "garbage"      one event, then a line that is not JSON
  "hang"         nothing, ever
  "env"          one delta: the JSON of argv and environ
  "slow N"       N deltas of "." 20 ms apart (cancel stops them)
  "fail"         an error of kind rate_limited after one event
  "leak"         writes the api_key setting to stderr, then crashes
  "huge"         one line of 17 MiB (over the protocol's limit)
  "future"       a message of an op this version does not know, and a
                 field it does not know, then the echo
  anything else  echoed back word by word, then usage and finish
"""
import json
import os
import signal
import sys
import threading
import time

args = sys.argv[1:]
record = None
start_mode = "ok"
plugin_id = "fault"
while args:
    a = args.pop(0)
    if a == "--record":
        record = args.pop(0)
    elif a == "--start":
        start_mode = args.pop(0)
    elif a == "--id":
        plugin_id = args.pop(0)

out_lock = threading.Lock()
cancelled = set()
settings = {}


def note(name, text):
    if record:
        with open(os.path.join(record, name), "a") as f:
            f.write(text + "\n")


def send(msg):
    line = json.dumps(msg) + "\n"
    with out_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def event(rid, ev):
    send({"op": "event", "id": rid, "event": ev})


def last_text(request):
    for m in reversed(request.get("messages", [])):
        if m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, str):
                return c
            if isinstance(c, list):
                return "".join(p.get("text", "") for p in c if isinstance(p, dict))
    return ""


def chat(rid, request):
    prompt = last_text(request)
    words = prompt.split()
    cmd = words[0] if words else ""
    if cmd == "hang":
        return
    if cmd == "env":
        event(rid, {"type": "delta", "text": json.dumps({"argv": sys.argv, "environ": dict(os.environ)})})
        send({"op": "end", "id": rid})
        return
    if cmd == "huge":
        with out_lock:
            sys.stdout.write('{"op":"event","id":"%s","event":{"type":"delta","text":"' % rid)
            sys.stdout.write("x" * (17 * 1024 * 1024))
            sys.stdout.write('"}}\n')
            sys.stdout.flush()
        return
    if cmd == "future":
        send({"op": "progress", "id": rid, "percent": 50})
        send({"op": "event", "id": rid, "event": {"type": "delta", "text": "from the future"}, "trace": {"span": 1}})
        send({"op": "end", "id": rid})
        return
    if cmd == "slow":
        n = int(words[1]) if len(words) > 1 else 100
        for _ in range(n):
            if rid in cancelled:
                note("cancels", rid)
                send({"op": "error", "id": rid, "error": {"kind": "cancelled", "message": "cancelled"}})
                return
            event(rid, {"type": "delta", "text": "."})
            time.sleep(0.02)
        send({"op": "end", "id": rid})
        return
    if cmd in ("crash", "exit", "garbage", "fail", "leak"):
        event(rid, {"type": "delta", "text": "partial "})
        time.sleep(0.05)
        if cmd == "crash":
            sys.stderr.write("fault plugin: crashing on purpose\n")
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        if cmd == "leak":
            sys.stderr.write("my key is %s, oops\n" % settings.get("api_key", ""))
            sys.stderr.flush()
            os._exit(3)
        if cmd == "exit":
            sys.stderr.write("fault plugin: leaving mid-stream\n")
            sys.stderr.flush()
            os._exit(0)
        if cmd == "garbage":
            with out_lock:
                sys.stdout.write("this is not a protocol line\n")
                sys.stdout.flush()
            return
        if cmd == "fail":
            send({"op": "error", "id": rid, "error": {"kind": "rate_limited", "message": "slow down", "retry_after_ms": 1200}})
            return
    for i, w in enumerate(words):
        event(rid, {"type": "delta", "text": w if i == 0 else " " + w})
    event(rid, {"type": "usage", "input_tokens": len(words), "output_tokens": len(words)})
    event(rid, {"type": "finish", "reason": "stop", "raw": "stop"})
    send({"op": "end", "id": rid})


def main():
    note("starts", str(os.getpid()))
    if record:
        with open(os.path.join(record, "argv+environ.json"), "w") as f:
            json.dump({"argv": sys.argv, "environ": dict(os.environ)}, f)
    if start_mode == "die":
        sys.stderr.write("fault plugin: cannot start\n")
        sys.exit(7)
    for raw in sys.stdin:
        raw = raw.strip()
        if not raw:
            continue
        msg = json.loads(raw)
        op = msg.get("op")
        rid = msg.get("id")
        if op == "hello":
            if start_mode == "hang":
                time.sleep(3600)
            if start_mode == "refuse":
                send({"op": "error", "error": {"kind": "unsupported_protocol", "message": "I speak version 9 only"}})
                sys.exit(1)
            send({
                "op": "hello",
                "protocol": 99 if start_mode == "protocol99" else 1,
                "id": plugin_id,
                "name": "Fault plugin",
                "description": "a plugin the tests break on purpose",
                "version": "0.0.1",
                "settings": [
                    {"key": "api_key", "kind": "secret", "env_var": "FAULT_API_KEY", "required": False, "label": "API key"},
                ],
            })
        elif op == "initialize":
            settings.clear()
            settings.update(msg.get("settings", {}))
            send({"op": "result", "id": rid})
        elif op == "list_models":
            send({"op": "result", "id": rid, "models": [
                {"id": "m1", "display_name": "Model one", "provider": plugin_id, "context_length": 1000, "supports_streaming": True},
            ]})
        elif op == "chat":
            threading.Thread(target=chat, args=(rid, msg["request"]), daemon=True).start()
        elif op == "cancel":
            cancelled.add(rid)
        elif op == "shutdown":
            note("shutdowns", str(os.getpid()))
            os._exit(0)
        elif rid is not None:
            send({"op": "error", "id": rid, "error": {"kind": "invalid_request", "message": "unknown op %s" % op}})
    note("eofs", str(os.getpid()))


main()
