#!/usr/bin/env bash
# yat against curl -N (and any peer you name) on streams from the fake
# server, whole processes, output to /dev/null. Prints Markdown tables:
#
#   * streaming, per wire format (OpenAI, Anthropic): CPU per chunk at MID
#     chunks (start-up included), marginal CPU per chunk (LARGE minus SMALL
#     chunks, start-up cancelled out), wall time, peak RSS at SMALL, MID and
#     LARGE chunks; ratios to curl from the same run;
#   * cold start: `yat providers`, `yat models --provider mock` and
#     `yat --version` against a minimal Rust binary that prints one line;
#   * time to first token on a paced stream, and the in-process delay from
#     the socket read that delivered a token to the write that printed it
#     (syscall tracepoints recorded with perf, else strace).
#
# Every figure is the median of RUNS runs (runs of the clients interleaved,
# so that background noise hits them alike). See BENCHMARKS.md.
#
#   benches/compare.sh                          # the full set, a few minutes
#   RUNS=3 LARGE=50000 benches/compare.sh       # quicker
#   NO_BUILD=1 benches/compare.sh               # binaries already built
#   NO_HISTORY_ROW=1 benches/compare.sh         # without the history-on row
#
# A peer client can be added per format with PEER_OPENAI / PEER_ANTHROPIC:
# a command line run through `sh -c`, with $BASE set to the server's base URL
# (e.g. PEER_OPENAI='mytool --base-url "$BASE/v1" --model m hi'); its name in
# the table is PEER_NAME (default "peer").
#
# Needs: cargo, rustc, curl, python3 (standard library only) and
# /usr/bin/time. Uses hyperfine for the cold start, and perf (else strace)
# for the in-process delay, when they are on PATH. Binaries are built into
# and run from cargo's target dir ($CARGO_TARGET_DIR, default target/).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-5}
SMALL=${SMALL:-200}
MID=${MID:-20000}
LARGE=${LARGE:-200000}
PACE=${PACE:-20}
TOKENS=${TOKENS:-20}
STARTS=${STARTS:-200}
FEATURES=${FEATURES:-all}
PEER_NAME=${PEER_NAME:-peer}
MEASURE=(python3 "$ROOT/benches/support/measure.py")

for tool in cargo rustc curl python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool is needed" >&2; exit 1; }
done

# Where cargo puts the binaries: $CARGO_TARGET_DIR, a configured target
# dir, or the workspace's target/.
TARGET=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
BIN=$TARGET/release

if [ -z "${NO_BUILD:-}" ]; then
  echo "building release binaries (yat-cli features: $FEATURES) ..." >&2
  (cd "$ROOT" && cargo build --release -q -p yat-cli -p yat-fakeserver --features "yat-cli/$FEATURES yat-fakeserver/cli")
fi
rustc -C opt-level=3 --edition 2021 -o "$BIN/bench-hello" "$ROOT/benches/support/hello.rs"
YAT=$BIN/yat
HELLO=$BIN/bench-hello

. "$ROOT/benches/support/scratch.sh"
export OPENAI_API_KEY=dummy ANTHROPIC_API_KEY=dummy

# start_server CHUNKS PACE: starts a fake server, sets PORT.
start_server() {
  local log=$WORK/server-$1-$2.log
  "$BIN/yat-fakeserver" --chunks "$1" --pace "$2" >"$log" 2>&1 &
  PIDS+=($!)
  PORT=
  for _ in $(seq 200); do
    PORT=$(sed -n 's#^listening on http://127\.0\.0\.1:\([0-9]*\)$#\1#p' "$log")
    [ -n "$PORT" ] && return 0
    sleep 0.02
  done
  echo "compare.sh: the fake server did not start: $(cat "$log")" >&2
  exit 1
}

# point_at PORT: the environment that sends yat (and peers) to that server.
point_at() {
  export OPENAI_BASE_URL=http://127.0.0.1:$1/v1 ANTHROPIC_BASE_URL=http://127.0.0.1:$1
  export BASE=http://127.0.0.1:$1
}

OPENAI_BODY='{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}'
ANTHROPIC_BODY='{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"hi"}]}'

# cmd CLIENT FORMAT: sets the array CMD.
cmd() {
  case "$1/$2" in
    yat/openai) CMD=("$YAT" chat --no-history -m openai/gpt-4o-mini hi) ;;
    # The default: the conversation is stored in SQLite at the end.
    yat-history/openai) CMD=("$YAT" chat -m openai/gpt-4o-mini hi) ;;
    yat/anthropic) CMD=("$YAT" chat --no-history -m anthropic/claude-sonnet-4-5 hi) ;;
    curl/openai) CMD=(curl -sSN -X POST -H 'content-type: application/json'
      -H 'authorization: Bearer dummy' --data-binary "$OPENAI_BODY" "$BASE/v1/chat/completions") ;;
    curl/anthropic) CMD=(curl -sSN -X POST -H 'content-type: application/json'
      -H 'x-api-key: dummy' -H 'anthropic-version: 2023-06-01' --data-binary "$ANTHROPIC_BODY"
      "$BASE/v1/messages") ;;
    peer/openai) CMD=(sh -c "$PEER_OPENAI") ;;
    peer/anthropic) CMD=(sh -c "$PEER_ANTHROPIC") ;;
  esac
}

clients_for() {
  local list="yat curl"
  case "$1" in
    openai)
      [ -z "${NO_HISTORY_ROW:-}" ] && list="yat yat-history curl"
      [ -n "${PEER_OPENAI:-}" ] && list="$list peer"
      ;;
    anthropic) [ -n "${PEER_ANTHROPIC:-}" ] && list="$list peer" ;;
  esac
  echo "$list"
}

median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
calc() { awk "BEGIN {printf \"$1\", $2}"; }

# ---------------------------------------------------------------- streaming
declare -A WALL CPU RSS
for n in "$SMALL" "$MID" "$LARGE"; do
  start_server "$n" 0
  point_at "$PORT"
  for format in openai anthropic; do
    # Once, checked: yat prints exactly the stream's text.
    "$YAT" chat --no-history -m "$([ $format = openai ] && echo openai/gpt-4o-mini || echo anthropic/claude-sonnet-4-5)" hi >"$WORK/out.txt"
    expected=$((4 * n + 1))
    got=$(wc -c <"$WORK/out.txt")
    [ "$got" -eq "$expected" ] || { echo "compare.sh: yat printed $got bytes for $n chunks of $format, expected $expected" >&2; exit 1; }
    # One unmeasured run each (page cache, server warm), then RUNS runs.
    for client in $(clients_for $format); do
      cmd "$client" "$format"
      "${MEASURE[@]}" run "${CMD[@]}" >/dev/null
    done
    for _ in $(seq "$RUNS"); do
      for client in $(clients_for $format); do
        cmd "$client" "$format"
        "${MEASURE[@]}" run "${CMD[@]}" >>"$WORK/$client-$format-$n.txt"
        /usr/bin/time -f %M -a -o "$WORK/$client-$format-$n.rss" "${CMD[@]}" >/dev/null
      done
    done
    for client in $(clients_for $format); do
      f=$WORK/$client-$format-$n.txt
      WALL[$client/$format/$n]=$(awk '{print $1}' "$f" | median)
      CPU[$client/$format/$n]=$(awk '{print $2}' "$f" | median)
      RSS[$client/$format/$n]=$(median <"$WORK/$client-$format-$n.rss")
    done
  done
done

echo
echo "## Streaming (median of $RUNS runs; ratio = client / curl, same run)"
echo
echo "Machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -r); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
for format in openai anthropic; do
  echo
  echo "### $format format"
  echo
  echo "| client | CPU µs/chunk, $MID chunks | marginal µs/chunk | wall ms, $MID chunks | peak RSS MiB at $SMALL / $MID / $LARGE |"
  echo "|---|---|---|---|---|"
  c_cpu=${CPU[curl/$format/$MID]}
  c_marg=$(calc "%.12g" "(${CPU[curl/$format/$LARGE]} - ${CPU[curl/$format/$SMALL]}) / ($LARGE - $SMALL)")
  c_rss=${RSS[curl/$format/$MID]}
  for client in $(clients_for $format); do
    cpu=${CPU[$client/$format/$MID]}
    per=$(calc "%.3f" "$cpu * 1e6 / $MID")
    marg=$(calc "%.12g" "(${CPU[$client/$format/$LARGE]} - ${CPU[$client/$format/$SMALL]}) / ($LARGE - $SMALL)")
    marg_us=$(calc "%.3f" "$marg * 1e6")
    wall=$(calc "%.1f" "${WALL[$client/$format/$MID]} * 1e3")
    rss=$(calc "%.1f / %.1f / %.1f" "${RSS[$client/$format/$SMALL]} / 1024, ${RSS[$client/$format/$MID]} / 1024, ${RSS[$client/$format/$LARGE]} / 1024")
    name=$client
    [ "$client" = yat ] && name="yat (\`--no-history\`)"
    [ "$client" = yat-history ] && name="yat (history on, the default)"
    [ "$client" = curl ] && name="curl -N"
    [ "$client" = peer ] && name=$PEER_NAME
    if [ "$client" = curl ]; then
      echo "| $name | $per | $marg_us | $wall | $rss |"
    else
      echo "| $name | $per ($(calc "%.2f" "$cpu / $c_cpu")×) | $marg_us ($(calc "%.2f" "$marg / $c_marg")×) | $wall | $rss ($(calc "%.2f" "${RSS[$client/$format/$MID]} / $c_rss")× at $MID) |"
    fi
  done
done

# --------------------------------------------------------------- cold start
echo
echo "## Cold start (wall time per exec, median)"
echo
# In a config and data dir of their own, which must stay empty: start-up
# writes nothing.
mkdir "$WORK/cold"
export YAT_CONFIG=$WORK/cold/provider_config.json YAT_DATA_DIR=$WORK/cold/data
START_CMDS=("$HELLO" "$YAT providers" "$YAT models --provider mock" "$YAT --version")
declare -A START
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 20 --runs "$STARTS" --export-json "$WORK/hf.json" "${START_CMDS[@]}" >/dev/null 2>&1
  i=0
  while read -r m; do
    START[${START_CMDS[$i]}]=$m
    i=$((i + 1))
  done < <(python3 -c 'import json,sys; [print(r["median"]) for r in json.load(open(sys.argv[1]))["results"]]' "$WORK/hf.json")
  how="hyperfine -N, $STARTS runs each"
else
  rounds=5
  per=$(((STARTS + rounds - 1) / rounds))
  for _ in $(seq $rounds); do
    for c in "${START_CMDS[@]}"; do
      # shellcheck disable=SC2086 # the command lines are split on purpose
      "${MEASURE[@]}" spawn "$per" $c >>"$WORK/start-$(echo "$c" | md5sum | cut -c1-8).txt"
    done
  done
  for c in "${START_CMDS[@]}"; do
    START[$c]=$(median <"$WORK/start-$(echo "$c" | md5sum | cut -c1-8).txt")
  done
  how="posix_spawn + wait, $((per * rounds)) runs each in $rounds interleaved rounds (no hyperfine on PATH)"
fi
echo "Measured with $how."
echo
echo "| command | ms | × hello |"
echo "|---|---|---|"
hello=${START[$HELLO]}
for c in "${START_CMDS[@]}"; do
  label=${c/#$BIN\//}
  [ "$c" = "$HELLO" ] && label="hello (Rust, prints one line)"
  echo "| \`$label\` | $(calc "%.2f" "${START[$c]} * 1e3") | $(calc "%.2f" "${START[$c]} / $hello") |"
done
if [ -n "$(ls -A "$WORK/cold")" ]; then
  echo
  echo "Note: these commands wrote to their config or data dir: $(ls -A "$WORK/cold" | tr '\n' ' ')"
fi
export YAT_CONFIG=$WORK/provider_config.json YAT_DATA_DIR=$WORK/data

# ---------------------------------------------------- time to first token
echo
echo "## Time to first token ($TOKENS tokens, one every $PACE ms)"
echo
start_server "$TOKENS" "$PACE"
point_at "$PORT"
# The in-process delay comes from syscall tracepoints recorded by perf
# (about a microsecond each) when perf may record them here, else from
# strace (which stops the process at every traced call: an upper bound).
# curl is measured the same way.
TRACER=
if command -v perf >/dev/null &&
  perf record -q -e syscalls:sys_exit_recvfrom,syscalls:sys_enter_write -o "$WORK/probe.data" true >/dev/null 2>&1; then
  TRACER="perf record"
elif command -v strace >/dev/null; then
  TRACER=strace
fi
rm -f "$WORK/probe.data"
# trace FILE CMD...: the syscall log of one run, in a form `measure.py lag` reads.
trace() {
  local out=$1
  shift
  case "$TRACER" in
    "perf record")
      perf record -q -e syscalls:sys_exit_recvfrom,syscalls:sys_enter_write -o "$WORK/trace.data" "$@" >/dev/null 2>"$WORK/perf.err"
      perf script -i "$WORK/trace.data" -F time,event,trace >"$out" 2>/dev/null
      ;;
    strace)
      local extra=()
      strace --seccomp-bpf -f -o /dev/null true 2>/dev/null && extra=(--seccomp-bpf)
      strace -f -ttt -T -e trace=read,recvfrom,recvmsg,write,writev "${extra[@]}" -o "$out" "$@" >/dev/null
      ;;
  esac
}
echo "| client | first token on stdout, ms after exec | separate stdout reads for $TOKENS tokens | socket read → stdout write, median / max ms (${TRACER:-no tracer}) |"
echo "|---|---|---|---|"
for format in openai anthropic; do
  for client in $(NO_HISTORY_ROW=1 clients_for $format); do
    : >"$WORK/first.txt"
    : >"$WORK/lag.txt"
    for _ in $(seq "$RUNS"); do
      cmd "$client" "$format"
      "${MEASURE[@]}" first "tok " "${CMD[@]}" >>"$WORK/first.txt"
      if [ -n "$TRACER" ]; then
        trace "$WORK/trace.txt" "${CMD[@]}"
        "${MEASURE[@]}" lag "$WORK/trace.txt" >>"$WORK/lag.txt"
      fi
    done
    first=$(awk '{print $1}' "$WORK/first.txt" | median)
    reads=$(awk '{print $2}' "$WORK/first.txt" | median)
    if [ -n "$TRACER" ]; then
      lag="$(awk '{print $1}' "$WORK/lag.txt" | median) / $(awk '{print $2}' "$WORK/lag.txt" | sort -g | tail -1)"
    else
      lag="(no tracer)"
    fi
    name=$client
    [ "$client" = curl ] && name="curl -N"
    [ "$client" = peer ] && name=$PEER_NAME
    echo "| $name, $format | $(calc "%.2f" "$first * 1e3") | $reads | $lag |"
  done
done
echo
echo "The server sends one event every $PACE ms; the first text event is the 2nd (OpenAI) or 4th (Anthropic) event, so the first column includes 1 or 3 such waits."
