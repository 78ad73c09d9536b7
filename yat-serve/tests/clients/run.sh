#!/usr/bin/env bash
# Drives `yat serve` with clients nobody here wrote: the official openai and
# anthropic Python SDKs and simonw's llm CLI, installed from PyPI at the
# versions in requirements.txt into a throwaway virtual environment.
#
#   YAT_BIN=target/debug/yat bash yat-serve/tests/clients/run.sh
#
# YAT_BIN: the yat binary to test (built beforehand; this script builds
# nothing). VENV: a virtual environment to create or reuse instead of a
# temporary one (reusing one skips the download). PYTHON: the interpreter
# to make it with (default python3, 3.10 or newer).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

yat_bin="${YAT_BIN:-target/debug/yat}"
case "$yat_bin" in /*) ;; *) yat_bin="$root/$yat_bin" ;; esac
if [ ! -x "$yat_bin" ]; then
  echo "no yat binary at $yat_bin: run \`cargo build -p yat-cli\` or set YAT_BIN" >&2
  exit 1
fi
export YAT_BIN="$yat_bin"

if [ -n "${VENV:-}" ]; then
  venv="$VENV"
else
  venv="$(mktemp -d "${TMPDIR:-/tmp}/yat-clients-venv.XXXXXX")"
  trap 'rm -rf "$venv"' EXIT
fi
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
# The venv's own pip only: nothing is installed into the system's
# site-packages, and a user's pip configuration cannot redirect it there.
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_USER=0 PIP_REQUIRE_VIRTUALENV=1
start=$SECONDS
"$venv/bin/python" -m pip install -q -r "$here/requirements.txt"
echo "pip install: $((SECONDS - start))s"

start=$SECONDS
cd "$here"
PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m unittest discover -v -t . -s . -p 'test_*.py'
echo "client tests: $((SECONDS - start))s"
