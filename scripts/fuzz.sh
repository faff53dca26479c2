#!/bin/bash
# fuzz.sh BUILD_DIR SECONDS - run every fuzz target in BUILD_DIR for SECONDS
# seconds each (two at a time, one per core), starting from the seed corpus
# under fuzz/corpus/NAME/.  Any crash, leak or sanitizer report fails.
# Prints "fuzz ok NAME" or "fuzz FAILED NAME" per target.
set -u
cd "$(dirname "$0")/.."
build=$1
secs=$2
jobs=${FUZZ_JOBS:-2}
status=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run_one() {
    local exe=$1 name
    name=$(basename "$exe"); name=${name#fuzz_}
    mkdir -p "$work/$name"
    local seeds=fuzz/corpus/$name
    [ -d "$seeds" ] || seeds=
    if "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$work/$name-" -print_final_stats=1 \
        "$work/$name" $seeds >"$work/$name.log" 2>&1; then
        echo "fuzz ok $name ($(awk '/stat::number_of_executed_units:/ {print $2}' "$work/$name.log") runs in ${secs}s)"
    else
        echo "fuzz FAILED $name"
        tail -40 "$work/$name.log"
        for a in "$work/$name"-*; do
            [ -f "$a" ] || continue
            mkdir -p fuzz/findings
            cp "$a" fuzz/findings/ && echo "  reproducer kept: fuzz/findings/$(basename "$a")"
        done
        return 1
    fi
}

targets=$(find "$build" -maxdepth 2 -type f -name 'fuzz_*' -perm -u+x | sort)
if [ -z "$targets" ]; then
    echo "fuzz: no fuzz targets built in $build"
    exit 0
fi
pids=()
for t in $targets; do
    run_one "$t" &
    pids+=($!)
    if [ "${#pids[@]}" -ge "$jobs" ]; then
        wait "${pids[0]}" || status=1
        pids=("${pids[@]:1}")
    fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
