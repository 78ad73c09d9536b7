#!/usr/bin/env bash
# The gateway (`yat serve`) under load, with yat-fakeserver as the upstream
# and yat-serve's example `gateway_load` as the clients. Prints Markdown
# tables (see BENCHMARKS.md, "The gateway (issue 13)"):
#
#   (a) latency at RATE requests a second, open loop: time to first byte
#       and total time, p50 and p99, calling the fake server directly and
#       through the gateway at the same instants (each tick of the schedule
#       sends one request each way), and the difference (what the gateway
#       adds);
#   (b) requests per second at saturation (WORKERS closed-loop clients),
#       direct and through the gateway, and the gateway's CPU per request;
#   (c) STREAMS streaming clients at once (the upstream paced, so that all
#       are open together): errors, and the gateway's resident memory
#       before, at the peak and after; then SUSTAIN seconds at RATE
#       requests a second on a fresh gateway, its RSS second by second;
#   (d) the gateway's CPU per proxied chunk (utime + stime from
#       /proc/PID/stat over CPU_STREAMS streams of CPU_CHUNKS chunks),
#       against the client path's (`yat chat` on the same stream, same run);
#       with CALLGRIND=1 also instructions per chunk (valgrind).
#
# Every figure is the median of RUNS runs; direct and gateway runs are
# paired (a) or interleaved (b, c) so that background noise hits them alike.
#
#   benches/gateway.sh                         # builds release, ≈ 5 minutes of runs
#   NO_BUILD=1 RUNS=3 SECS=5 SUSTAIN=30 benches/gateway.sh   # quicker
#   CALLGRIND=1 benches/gateway.sh             # and instructions per chunk
#   NICE=-10 benches/gateway.sh                # every process at nice -10 (root):
#                                              # shields the tails from other jobs
#
# Needs cargo, curl and python3 (standard library only); valgrind for
# CALLGRIND=1. Linux only (/proc). Binaries are built into and run from
# cargo's target dir ($CARGO_TARGET_DIR, default target/).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-5}
RATE=${RATE:-200}
SECS=${SECS:-10}
CHUNKS=${CHUNKS:-100}
WORKERS=${WORKERS:-8}
SAT_SECS=${SAT_SECS:-5}
STREAMS=${STREAMS:-500}
PACE=${PACE:-10}
SUSTAIN=${SUSTAIN:-60}
CPU_STREAMS=${CPU_STREAMS:-50}
CPU_CHUNKS=${CPU_CHUNKS:-20000}
SMALL=${SMALL:-200}
PACED_STREAMS=${PACED_STREAMS:-20}
PACED_CHUNKS=${PACED_CHUNKS:-1000}
FEATURES=${FEATURES:-all}

for tool in cargo curl python3; do
  command -v "$tool" >/dev/null || { echo "gateway.sh: $tool is needed" >&2; exit 1; }
done
[ -r /proc/self/stat ] || { echo "gateway.sh: needs Linux's /proc" >&2; exit 1; }
# The client's per-chunk figures subtract a SMALL-chunk run.
if [ "$CPU_CHUNKS" -le "$SMALL" ] || [ "$PACED_CHUNKS" -le "$SMALL" ]; then
  echo "gateway.sh: CPU_CHUNKS and PACED_CHUNKS must be more than SMALL ($SMALL)" >&2
  exit 1
fi

TARGET=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
BIN=$TARGET/release

if [ -z "${NO_BUILD:-}" ]; then
  echo "building release binaries ..." >&2
  (cd "$ROOT" && cargo build --release -q -p yat-cli -p yat-fakeserver --features "yat-cli/$FEATURES yat-cli/serve yat-fakeserver/cli")
  (cd "$ROOT" && cargo build --release -q -p yat-serve --example gateway_load)
fi
YAT=$BIN/yat
FAKE=$BIN/yat-fakeserver
LOAD=$BIN/examples/gateway_load
MEASURE=(python3 "$ROOT/benches/support/measure.py")
# Every process of the benchmark at the niceness NICE asks for, if any.
RUN=()
[ -n "${NICE:-}" ] && RUN=(nice -n "$NICE")
for b in "$YAT" "$FAKE" "$LOAD"; do
  [ -x "$b" ] || { echo "gateway.sh: $b is missing (run without NO_BUILD)" >&2; exit 1; }
done

. "$ROOT/benches/support/scratch.sh"
unset OPENAI_BASE_URL
export OPENAI_API_KEY=dummy

# wait_for_line LOG SED-EXPR WHAT: the first match of SED-EXPR in LOG.
wait_for_line() {
  local got
  for _ in $(seq 3000); do
    got=$(sed -n "$2" "$1" 2>/dev/null | head -1)
    [ -n "$got" ] && { echo "$got"; return 0; }
    sleep 0.02
  done
  echo "gateway.sh: $3 did not start: $(cat "$1")" >&2
  exit 1
}

# start_fake CHUNKS PACE: a fake server; sets FAKE_PID and FAKE_URL.
start_fake() {
  local log=$WORK/fake-$1-$2.log
  "${RUN[@]}" "$FAKE" --chunks "$1" --pace "$2" >"$log" 2>&1 &
  FAKE_PID=$!
  PIDS+=("$FAKE_PID")
  FAKE_URL=$(wait_for_line "$log" 's#^listening on \(http://127\.0\.0\.1:[0-9]*\)$#\1#p' "the fake server")
}

# start_gateway UPSTREAM_URL NAME: `yat serve --no-auth` in front of it,
# with its default request log (one line per request) going to a file;
# sets GW_PID and GW_URL.
GATEWAYS=0
start_gateway() {
  GATEWAYS=$((GATEWAYS + 1))
  local log=$WORK/gateway-$2.log
  OPENAI_BASE_URL=$1/v1 "${RUN[@]}" "$YAT" serve --no-auth --listen 127.0.0.1:0 >"$log" 2>&1 &
  GW_PID=$!
  PIDS+=("$GW_PID")
  GW_URL=$(wait_for_line "$log" 's#.*serving on \(http://127\.0\.0\.1:[0-9]*\) .*#\1#p' "the gateway")
  curl -sf "$GW_URL/health" >/dev/null || { echo "gateway.sh: the gateway is not healthy: $(cat "$log")" >&2; exit 1; }
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# load OUT ARGS...: one generator run, its JSON report in OUT; fails the
# script if any request failed.
load() {
  local out=$1
  shift
  if ! "${RUN[@]}" "$LOAD" "$@" >"$out"; then
    echo "gateway.sh: requests failed in: gateway_load $*" >&2
    cat "$out" >&2
    exit 1
  fi
}

# j FILE EXPR: a value from a report (EXPR in Python over r).
j() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"; }
median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
calc() { awk "BEGIN {printf \"$1\", $2}"; }
# med FILES... -- EXPR: the median of EXPR over the reports.
med() {
  local files=()
  while [ "$1" != -- ]; do files+=("$1"); shift; done
  for f in "${files[@]}"; do j "$f" "$2"; done | median
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -r); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# ------------------------------------------------ (a) latency, (b) saturation
start_fake "$CHUNKS" 0
UP_URL=$FAKE_URL
start_gateway "$UP_URL" latency
DIRECT=$UP_URL/v1/chat/completions
VIA=$GW_URL/v1/chat/completions
echo "(a) $RUNS × $SECS s at $RATE requests/s each way, $CHUNKS chunks each, direct and via the gateway ..." >&2
load "$WORK/warm.json" --url "$DIRECT" --pair "$VIA" --mode rate --rate "$RATE" --duration 2 --chunks "$CHUNKS"
for i in $(seq "$RUNS"); do
  load "$WORK/a-$i.json" --url "$DIRECT" --pair "$VIA" --mode rate --rate "$RATE" --duration "$SECS" --chunks "$CHUNKS" --watch "gateway=$GW_PID"
  # The difference of each percentile, run by run.
  for q in p50 p99; do
    for t in ttfb total; do
      j "$WORK/a-$i.json" "'%.3f' % (r['paired']['${t}_ms']['$q'] - r['${t}_ms']['$q'])" >>"$WORK/added-$t-$q.txt"
    done
  done
done
echo "(b) $RUNS × $SAT_SECS s with $WORKERS workers, direct and via the gateway ..." >&2
for i in $(seq "$RUNS"); do
  load "$WORK/b-direct-$i.json" --url "$DIRECT" --mode saturate --workers "$WORKERS" --duration "$SAT_SECS" --chunks "$CHUNKS" --watch "upstream=$FAKE_PID"
  load "$WORK/b-gw-$i.json" --url "$VIA" --mode saturate --workers "$WORKERS" --duration "$SAT_SECS" --chunks "$CHUNKS" --watch "gateway=$GW_PID" --watch "upstream=$FAKE_PID"
done
stop "$GW_PID"

# ------------------------------------------------ (c) many streams, memory
echo "(c) $RUNS × $STREAMS streams at once ($CHUNKS chunks, one every $PACE ms) ..." >&2
start_fake "$CHUNKS" "$PACE"
PACED_URL=$FAKE_URL
start_gateway "$PACED_URL" streams
RSS_IDLE=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$GW_PID/status")
for i in $(seq "$RUNS"); do
  load "$WORK/c-direct-$i.json" --url "$PACED_URL/v1/chat/completions" --mode concurrent --streams "$STREAMS" --chunks "$CHUNKS" --timeout 120
  load "$WORK/c-$i.json" --url "$GW_URL/v1/chat/completions" --mode concurrent --streams "$STREAMS" --chunks "$CHUNKS" --timeout 120 --watch "gateway=$GW_PID"
done
RSS_END=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$GW_PID/status")
HWM_END=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$GW_PID/status")
stop "$GW_PID"

echo "(c) $SUSTAIN s at $RATE requests/s on a fresh gateway ..." >&2
start_gateway "$UP_URL" sustained
load "$WORK/s.json" --url "$GW_URL/v1/chat/completions" --mode rate --rate "$RATE" --duration "$SUSTAIN" --chunks "$CHUNKS" --watch "gateway=$GW_PID"
stop "$GW_PID"

# ------------------------------------------------ (d) CPU per chunk
echo "(d) $RUNS × $CPU_STREAMS streams of $CPU_CHUNKS chunks through the gateway, and yat chat on the same stream ..." >&2
start_fake "$CPU_CHUNKS" 0
BIG_URL=$FAKE_URL
start_fake "$SMALL" 0
SMALL_URL=$FAKE_URL
start_gateway "$BIG_URL" cpu
load "$WORK/warm.json" --url "$GW_URL/v1/chat/completions" --mode concurrent --streams 2 --chunks "$CPU_CHUNKS"
for i in $(seq "$RUNS"); do
  load "$WORK/d-$i.json" --url "$GW_URL/v1/chat/completions" --mode concurrent --streams "$CPU_STREAMS" --chunks "$CPU_CHUNKS" --watch "gateway=$GW_PID"
  for url in "$BIG_URL" "$SMALL_URL"; do
    OPENAI_BASE_URL=$url/v1 "${MEASURE[@]}" run "${RUN[@]}" "$YAT" chat --no-history -m openai/gpt-4o-mini hi >>"$WORK/chat-$([ "$url" = "$BIG_URL" ] && echo big || echo small).txt"
  done
done
stop "$GW_PID"

echo "(d) $RUNS × $PACED_STREAMS paced streams of $PACED_CHUNKS chunks (one every ms) through the gateway, and yat chat on one ..." >&2
start_fake "$PACED_CHUNKS" 1
TICK_URL=$FAKE_URL
start_gateway "$TICK_URL" paced
for i in $(seq "$RUNS"); do
  load "$WORK/p-$i.json" --url "$GW_URL/v1/chat/completions" --mode concurrent --streams "$PACED_STREAMS" --chunks "$PACED_CHUNKS" --timeout 120 --watch "gateway=$GW_PID"
  OPENAI_BASE_URL=$TICK_URL/v1 "${MEASURE[@]}" run "${RUN[@]}" "$YAT" chat --no-history -m openai/gpt-4o-mini hi >>"$WORK/chat-paced.txt"
done
stop "$GW_PID"

# Instructions per chunk: two gateways under callgrind, one in front of
# CPU_CHUNKS-chunk streams and one of SMALL-chunk streams, the same
# requests to each; the difference over the difference in chunks.
IR_PER_CHUNK=
if [ -n "${CALLGRIND:-}" ]; then
  command -v valgrind >/dev/null || { echo "gateway.sh: CALLGRIND=1 needs valgrind" >&2; exit 1; }
  echo "(d) callgrind: 5 streams through a gateway under valgrind, $CPU_CHUNKS and $SMALL chunks ..." >&2
  declare -A IR
  for size in big small; do
    url=$BIG_URL
    chunks=$CPU_CHUNKS
    [ $size = small ] && url=$SMALL_URL && chunks=$SMALL
    log=$WORK/gateway-callgrind-$size.log
    OPENAI_BASE_URL=$url/v1 valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.$size" \
      "$YAT" serve --no-auth --listen 127.0.0.1:0 >"$log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    gw=$(wait_for_line "$log" 's#.*serving on \(http://127\.0\.0\.1:[0-9]*\) .*#\1#p' "the gateway under valgrind")
    for _ in 1 2 3 4 5; do
      load "$WORK/cg.json" --url "$gw/v1/chat/completions" --mode concurrent --streams 1 --chunks "$chunks" --timeout 600
    done
    kill -TERM "$pid"
    wait "$pid" || true
    IR[$size]=$(sed -n 's/^summary: \([0-9]*\).*/\1/p' "$WORK/callgrind.$size")
  done
  IR_PER_CHUNK=$(calc "%.0f" "(${IR[big]} - ${IR[small]}) / (5 * ($CPU_CHUNKS - $SMALL))")
fi

# ------------------------------------------------ summary
A=("$WORK"/a-*.json)
B_D=("$WORK"/b-direct-*.json)
B_G=("$WORK"/b-gw-*.json)
C=("$WORK"/c-*.json)
D=("$WORK"/d-*.json)

echo
echo "## The gateway: \`yat serve\` in front of yat-fakeserver (median of $RUNS runs)"
echo
echo "Machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -r); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "### (a) Latency at $RATE requests/s ($SECS s per run, open loop, $CHUNKS chunks per stream)"
echo
echo "| | TTFB p50 ms | TTFB p99 ms | total p50 ms | total p99 ms |"
echo "|---|---|---|---|---|"
# row LABEL KEY: the medians of one side's percentiles (KEY: r or r['paired']).
row() { echo "| $1 | $(med "${A[@]}" -- "$2['ttfb_ms']['p50']") | $(med "${A[@]}" -- "$2['ttfb_ms']['p99']") | $(med "${A[@]}" -- "$2['total_ms']['p50']") | $(med "${A[@]}" -- "$2['total_ms']['p99']") |"; }
row "direct (fake server)" "r"
row "via the gateway" "r['paired']"
echo "| **added** (gateway − direct, per run) | $(median <"$WORK/added-ttfb-p50.txt") | $(median <"$WORK/added-ttfb-p99.txt") | $(median <"$WORK/added-total-p50.txt") | $(median <"$WORK/added-total-p99.txt") |"
echo
echo "Added p99 TTFB per run: $(tr '\n' ' ' <"$WORK/added-ttfb-p99.txt")ms; added p99 total per run: $(tr '\n' ' ' <"$WORK/added-total-p99.txt")ms."
echo "Requests per run: $(j "${A[0]}" "r['paired']['requests']") each way; errors in all runs: $(for f in "${A[@]}"; do j "$f" "r['errors']"; done | awk '{s += $1} END {print s}')."
echo "Gateway CPU per request ($CHUNKS chunks): $(med "${A[@]}" -- "r['watched']['gateway']['cpu_s'] * 1e6 / r['paired']['ok']" | xargs printf "%.0f") µs."
echo
echo "### (b) Saturation ($WORKERS workers, $SAT_SECS s per run, $CHUNKS chunks per stream)"
echo
echo "| | requests/s | total p50 ms | total p99 ms | generator CPU s | upstream CPU s | gateway CPU s |"
echo "|---|---|---|---|---|---|---|"
echo "| direct | $(med "${B_D[@]}" -- "r['rps']") | $(med "${B_D[@]}" -- "r['total_ms']['p50']") | $(med "${B_D[@]}" -- "r['total_ms']['p99']") | $(med "${B_D[@]}" -- "r['client_cpu_s']") | $(med "${B_D[@]}" -- "r['watched']['upstream']['cpu_s']") | – |"
echo "| via the gateway | $(med "${B_G[@]}" -- "r['rps']") | $(med "${B_G[@]}" -- "r['total_ms']['p50']") | $(med "${B_G[@]}" -- "r['total_ms']['p99']") | $(med "${B_G[@]}" -- "r['client_cpu_s']") | $(med "${B_G[@]}" -- "r['watched']['upstream']['cpu_s']") | $(med "${B_G[@]}" -- "r['watched']['gateway']['cpu_s']") |"
echo
echo "Gateway CPU per request at saturation: $(med "${B_G[@]}" -- "r['watched']['gateway']['cpu_s'] * 1e6 / r['ok']" | xargs printf "%.0f") µs."
echo
echo "### (c) $STREAMS streams at once ($CHUNKS chunks, one every $PACE ms), then $SUSTAIN s at $RATE requests/s"
echo
echo "| run | ok | errors | most open at once | gateway RSS MiB before / peak / after | total p50 / p99 ms | direct: total p50 / p99 ms |"
echo "|---|---|---|---|---|---|---|"
for i in $(seq "$RUNS"); do
  f=$WORK/c-$i.json
  echo "| $i | $(j "$f" "r['ok']") | $(j "$f" "r['errors']") | $(j "$f" "r['max_in_flight']") | $(j "$f" "'%.1f / %.1f / %.1f' % tuple(r['watched']['gateway'][k] / 1024 for k in ('rss_before_kib', 'rss_max_kib', 'rss_after_kib'))") | $(j "$f" "'%s / %s' % (r['total_ms']['p50'], r['total_ms']['p99'])") | $(j "$WORK/c-direct-$i.json" "'%s / %s' % (r['total_ms']['p50'], r['total_ms']['p99'])") |"
done
echo
echo "Gateway RSS idle before the first run: $(calc "%.1f" "$RSS_IDLE / 1024") MiB; after the last: $(calc "%.1f" "$RSS_END / 1024") MiB; high-water mark: $(calc "%.1f" "$HWM_END / 1024") MiB."
echo
echo "Sustained, a fresh gateway: $(j "$WORK/s.json" "r['ok']") requests, $(j "$WORK/s.json" "r['errors']") errors, total p50 / p99 $(j "$WORK/s.json" "'%s / %s' % (r['total_ms']['p50'], r['total_ms']['p99'])") ms. RSS MiB, highest in each 10 s:"
echo
j "$WORK/s.json" "' '.join('%.1f' % (max(s[i:i + 10]) / 1024) for s in [r['watched']['gateway']['rss_per_second_kib']] for i in range(0, len(s), 10))"
echo
echo "### (d) CPU per chunk"
echo
big=$(awk '{print $2}' "$WORK/chat-big.txt" | median)
small=$(awk '{print $2}' "$WORK/chat-small.txt" | median)
gw_chunk=$(med "${D[@]}" -- "'%.3f' % (r['watched']['gateway']['cpu_s'] * 1e6 / r['chunks'])")
chat_chunk=$(calc "%.3f" "$big * 1e6 / $CPU_CHUNKS")
chat_marginal=$(calc "%.3f" "($big - $small) * 1e6 / ($CPU_CHUNKS - $SMALL)")
echo "| | µs per chunk |"
echo "|---|---|"
echo "| gateway process, $CPU_STREAMS streams of $CPU_CHUNKS chunks at once | $gw_chunk |"
echo "| \`yat chat --no-history\`, one stream of $CPU_CHUNKS chunks (start-up included) | $chat_chunk |"
echo "| \`yat chat\` marginal ($CPU_CHUNKS minus $SMALL chunks) | $chat_marginal |"
echo "| **ratio** gateway / \`yat chat\` marginal | $(calc "%.2f" "$gw_chunk / $chat_marginal")× |"
paced_gw=$(med "$WORK"/p-*.json -- "'%.2f' % (r['watched']['gateway']['cpu_s'] * 1e6 / r['chunks'])")
paced_chat=$(calc "%.2f" "($(awk '{print $2}' "$WORK/chat-paced.txt" | median) - $small) * 1e6 / ($PACED_CHUNKS - $SMALL)")
echo "| paced: gateway process, $PACED_STREAMS streams at once, $PACED_CHUNKS chunks each, one a ms | $paced_gw |"
echo "| paced: \`yat chat\`, one such stream (its CPU minus that of an unpaced $SMALL-chunk stream, per chunk) | $paced_chat |"
echo "| **ratio**, paced | $(calc "%.2f" "$paced_gw / $paced_chat")× |"
echo
echo "Gateway CPU per chunk in each run: $(for f in "${D[@]}"; do j "$f" "'%.3f' % (r['watched']['gateway']['cpu_s'] * 1e6 / r['chunks'])"; done | tr '\n' ' ')(CPU time from /proc/PID/stat, 10 ms ticks)."
if [ -n "$IR_PER_CHUNK" ]; then
  echo "Callgrind: $IR_PER_CHUNK instructions per proxied chunk (whole gateway process, $CPU_CHUNKS minus $SMALL chunks, 5 streams each)."
fi
