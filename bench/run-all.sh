#!/bin/bash
# run-all.sh BUILD_DIR - run every benchmark under bench/ (make bench).
# Each benchmark is a directory bench/NAME/ with an executable run.sh that
# takes the build directory; they run one after another (they measure
# throughput, so never in parallel) and print their own tables.  Among
# them bench/verify (inkan verify against mailauth) is the one that may use
# the network: it runs `npm ci` for its peer when bench/verify/node_modules/
# is missing.
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
