#!/usr/bin/env bash
# Installs the Python MCP reference servers the ignored tests in
# yat-mcp/tests/reference_servers.rs run against, pinned, into a throwaway
# virtual environment. Nothing is installed system-wide.
#
#   YAT_MCP_VENV  where the venv goes (default: $CARGO_TARGET_DIR/mcp-venv,
#                 or target/mcp-venv)
#
# Then: YAT_MCP_VENV=... cargo test -p yat-mcp --test reference_servers -- --ignored
set -euo pipefail

venv="${YAT_MCP_VENV:-${CARGO_TARGET_DIR:-target}/mcp-venv}"
time_version="2026.10.19"
fetch_version="2026.10.24"

installed() {
    # Read the whole output first: `pip show | grep -q` would end pip with
    # SIGPIPE, and pipefail would call that a failure.
    local info
    info="$("$venv/bin/python" -m pip show "$1" 2>/dev/null)" || return 1
    grep -qx "Version: $2" <<<"$info"
}
if [ -x "$venv/bin/mcp-server-time" ] && [ -x "$venv/bin/mcp-server-fetch" ] \
    && installed mcp-server-time "$time_version" && installed mcp-server-fetch "$fetch_version"; then
    echo "reference servers already in $venv"
    exit 0
fi

python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "mcp-server-time==$time_version" "mcp-server-fetch==$fetch_version"
echo "reference servers installed in $venv"
