#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each (default 30),
# one after another, and prints executions and coverage per target.
#
#   fuzz/run.sh              # 30 s per target
#   fuzz/run.sh 600          # the 10-minute runs of RESULTS.md
#   fuzz/run.sh 60 dotenv    # one target
#
# Needs cargo-fuzz (`cargo install --locked cargo-fuzz`). cargo-fuzz passes
# nightly-only flags to rustc; on a stable toolchain RUSTC_BOOTSTRAP=1 lets
# it (set here). The corpus grows in fuzz/corpus/<target>/ (not committed),
# seeded from fuzz/seeds/<target>/, with the libFuzzer dictionary
# fuzz/dicts/<target>.dict (both written by seeds/make_seeds.py); a failing input is saved in
# fuzz/artifacts/<target>/ and the full log in fuzz/logs/<target>.log.
# Exits non-zero if any target crashed, hung or ran out of memory.
set -u -o pipefail

secs=${1:-30}
shift || true
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

export RUSTC_BOOTSTRAP=1
# Be kind to whoever else is compiling on this machine.
nice_cmd=(nice -n 10)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: cargo install --locked cargo-fuzz" >&2
    exit 2
fi

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

echo "building ${#targets[@]} targets (release, debug assertions, AddressSanitizer)..."
"${nice_cmd[@]}" cargo fuzz build >/dev/null 2>logs.build || {
    cat logs.build >&2
    exit 2
}
rm -f logs.build
host=$(rustc -vV | sed -n 's/^host: //p')
bin_dir="target/$host/release"

mkdir -p logs
failed=0
rows=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "seeds/$t"
    log="logs/$t.log"
    echo "fuzzing $t for ${secs}s..."
    dict=()
    [ -f "dicts/$t.dict" ] && dict=(-dict="dicts/$t.dict")
    start=$(date +%s)
    # The binary built above, run directly: what `cargo fuzz run` does,
    # without rebuilding if the sources change while the targets run.
    mkdir -p "artifacts/$t"
    "${nice_cmd[@]}" "$bin_dir/$t" -artifact_prefix="$here/artifacts/$t/" \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        "${dict[@]}" -print_final_stats=1 "corpus/$t" "seeds/$t" >"$log" 2>&1
    rc=$?
    took=$(($(date +%s) - start))
    # The last status line: "#N  DONE  cov: C ft: F corp: K/Sb ...".
    status=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$status")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$status")
    corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$status")
    execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
    eps=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log" | tail -n 1)
    rss=$(sed -nE 's/^stat::peak_rss_mb: *([0-9]+).*/\1/p' "$log" | tail -n 1)
    # libFuzzer's own count of fuzzing time ("Done N runs in S second(s)").
    ran=$(sed -nE 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/p' "$log" | tail -n 1)
    [ -n "$ran" ] && took=$ran
    if [ $rc -eq 0 ]; then
        result=ok
    else
        failed=1
        result="FAILED (rc $rc)"
        grep -qE 'deadly signal|panicked' "$log" && result="CRASH"
        grep -q 'ERROR: libFuzzer: timeout' "$log" && result="TIMEOUT"
        grep -qE 'out-of-memory|malloc\(.*\) exceeds limit' "$log" && result="OOM"
        grep -E "^(thread '.*' panicked|artifact_prefix|Test unit written)" "$log" | head -n 3 >&2
    fi
    rows+=("$(printf '%-18s %6ss %12s %8s %7s %7s %6s %6sMB  %s' \
        "$t" "$took" "${execs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}" "$result")")
done

echo
printf '%-18s %7s %12s %8s %7s %7s %6s %8s  %s\n' target time execs exec/s cov ft corpus peakrss result
for r in "${rows[@]}"; do
    echo "$r"
done
exit $failed
