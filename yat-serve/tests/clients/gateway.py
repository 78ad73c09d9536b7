"""A `yat serve` process for the client tests: its own config directory, a
gateway key, an ephemeral port, stopped with SIGTERM.

The binary is `$YAT_BIN` (default `target/debug/yat`, from the repository
root). Only the offline `mock` provider is configured, with no retries, so a
rate limit reaches the client at once instead of after the manager's backoff.
"""

import json
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zlib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]

# The SDKs read their base URL and credentials from these when a client is
# built; the tests pass both explicitly, so nothing from the caller's shell
# may add a header or redirect a request.
for _name in list(os.environ):
    if _name.startswith(("OPENAI_", "ANTHROPIC_")):
        del os.environ[_name]

# The mock's reply to `mock-long`, `mock-slow` and `mock-fail-mid`
# (yat-providers/src/mock/mod.rs, CANNED_REPLY): its opening words.
CANNED_OPENING = "yat is a command-line and library client"

# One streamed chunk is eight characters (the mock's default `chunk_size`)
# and counts as one output token.
CHUNK_SIZE = 8

# A tool's parameters, and the arguments the mock calls it with: the
# required properties, a string's value "mock", an enum's first member.
WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["city", "unit"],
}
WEATHER_ARGUMENTS = {"city": "mock", "unit": "celsius"}
TIME_PARAMETERS = {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]}
TIME_ARGUMENTS = {"tz": "mock"}

SERVING_LINE = re.compile(r"serving on http://([0-9.]+:[0-9]+)")


def output_tokens(text):
    """What the mock reports as output tokens for a reply of `text`."""
    return -(-len(text) // CHUNK_SIZE)


def yat_bin():
    path = Path(os.environ.get("YAT_BIN", "target/debug/yat"))
    if not path.is_absolute():
        path = REPO_ROOT / path
    if not path.exists():
        raise RuntimeError(f"no yat binary at {path}: build it (cargo build -p yat-cli) or set YAT_BIN")
    return str(path)


def png_bytes():
    """A real 1x1 PNG (the mock sniffs image bytes and refuses a mislabelled one)."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


class Gateway:
    """One running gateway. `start()` returns once `/health` answers."""

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="yat-clients-")
        self.dir = Path(self._dir.name)
        self.config = self.dir / "provider_config.json"
        self.process = None
        self.address = None
        self.key = None
        self.log = []
        self._reader = None

    @property
    def openai_base_url(self):
        return f"http://{self.address}/v1"

    @property
    def anthropic_base_url(self):
        return f"http://{self.address}"

    def client(self, sdk_class, base_url, **options):
        """An SDK client for this gateway: its key, no retries (an error
        reaches the test as the SDK raises it), a bounded wait."""
        options.setdefault("api_key", self.key)
        options.setdefault("max_retries", 0)
        options.setdefault("timeout", 30)
        return sdk_class(base_url=base_url, **options)

    def _env(self):
        # Nothing from the caller's environment reaches the gateway but what
        # a process needs to run: no vendor key can make another provider
        # ready, and the config dir's .env is this temporary one.
        env = {name: os.environ[name] for name in ("PATH", "LANG", "TMPDIR") if name in os.environ}
        env.update(HOME=str(self.dir), YAT_DATA_DIR=str(self.dir / "data"), RUST_BACKTRACE="1")
        return env

    def _yat(self, *args):
        return [yat_bin(), "--config", str(self.config), *args]

    def start(self):
        settings = [{"key": "max_retries", "value": 0}]
        self.config.write_text(json.dumps({"providers": [{"id": "mock", "settings": settings}]}))
        created = subprocess.run(
            self._yat("serve", "keys", "create", "client-tests"),
            env=self._env(),
            capture_output=True,
            text=True,
            check=True,
        )
        self.key = created.stdout.strip()
        if not self.key.startswith("yat-"):
            raise RuntimeError(f"`yat serve keys create` printed {created.stdout!r}")

        self.process = subprocess.Popen(
            self._yat("serve", "--listen", "127.0.0.1:0"),
            env=self._env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        bound = threading.Event()
        self._reader = threading.Thread(target=self._read_log, args=(bound,), daemon=True)
        self._reader.start()
        if not bound.wait(30) or self.address is None:
            self.stop()
            raise RuntimeError("the gateway never said where it listens:\n" + "\n".join(self.log))
        self._wait_healthy()
        return self

    def _read_log(self, bound):
        # Read stderr to the end, so the request log can never fill the pipe
        # and block the server; keep it for failure messages.
        for line in self.process.stderr:
            self.log.append(line.rstrip("\n"))
            found = SERVING_LINE.search(line)
            if found and self.address is None:
                self.address = found.group(1)
                bound.set()
        bound.set()

    def _wait_healthy(self):
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"http://{self.address}/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.05)

    def stop(self):
        """SIGTERM, then the exit code (None if it had to be killed)."""
        if self.process is None:
            return None
        code = None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self._reader is not None:
            self._reader.join(5)
        self.process.stderr.close()
        self.process = None
        self._dir.cleanup()
        return code


def user(text):
    """A conversation of one user message, as both APIs write it."""
    return [{"role": "user", "content": text}]


def module_fixture(module_name):
    """`setUpModule` and `tearDownModule` for a test module: a gateway in
    its `GATEWAY` while the module runs, which must exit 0 on SIGTERM."""
    module = sys.modules[module_name]

    def set_up():
        module.GATEWAY = Gateway().start()

    def tear_down():
        gateway = module.GATEWAY
        log = list(gateway.log)
        code = gateway.stop()
        if code != 0:
            raise AssertionError(f"yat serve exited with {code} after SIGTERM; its log:\n" + "\n".join(log))

    return set_up, tear_down
