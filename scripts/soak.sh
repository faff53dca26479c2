#!/bin/bash
# soak.sh BUILD_DIR - what `make soak` runs: every tests/soak/*.sh against
# BUILD_DIR's inkan (long runs and huge inputs kept out of `make test`).
# Prints "N passed, N failed" over the scripts; non-zero if any failed.
set -u
cd "$(dirname "$0")/.."
build=$(cd "${1:-build}" && pwd)
passed=0
failed=0
for t in tests/soak/*.sh; do
    [ -f "$t" ] || continue
    echo "== $t"
    if INKAN=$build/inkan INKAN_SRC=$PWD bash "$t"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "== FAILED: $t"
    fi
done
echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
