#!/bin/bash
# run-all.sh BUILD_DIR - run every benchmark under bench/ (make bench).
# Each benchmark is a directory bench/NAME/ with an executable run.sh that
# takes the build directory; they run one after another (they measure
# throughput, so never in parallel) and print their own tables.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
status=0
for b in bench/*/run.sh; do
    [ -x "$b" ] || continue
    name=$(basename "$(dirname "$b")")
    echo "=== bench $name"
    "$b" "$build" || { echo "=== bench $name FAILED"; status=1; }
    echo
done
exit $status
