#!/bin/bash
# test-all.sh - what `make test` runs: the normal build and its tests, the
# same tests under ASan+UBSan, then every fuzz target briefly.  The slow
# Knot-backed tests (meson suite "knot") run once, in the sanitizer build.
# Prints one closing line "N passed, N failed, N skipped" over all of it; a
# skipped test (a conformance suite missing in a plain clone) does not fail
# the run, except under CI (CI=true), where the test itself fails.
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
# What failed, with the end of its output, printed again just above the
# closing line: a CI log is often read from its tail only.
recap=$(mktemp)
trap 'rm -f "$recap"' EXIT
skipped=0
status=0

# run_meson_tests DIR LABEL [MESON-TEST-ARGS...] - meson test in DIR, add
# its counts
run_meson_tests() {
    local dir=$1 label=$2 log ok fail skip
    shift 2
    log=$(mktemp)
    echo "== $label: meson test -C $dir $*"
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    ok=$(awk '/^Ok:/ {print $2}' "$log" | tail -1)
    fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {s += $NF} END {print s + 0}' "$log")
    skip=$(awk '/^Skipped:/ {print $2}' "$log" | tail -1)
    passed=$((passed + ${ok:-0}))
    failed=$((failed + ${fail:-0}))
    skipped=$((skipped + ${skip:-0}))
    if [ "$rc" != 0 ]; then
        status=1
        recap_meson "$dir" "$label"
        [ "${fail:-0}" = 0 ] && failed=$((failed + 1))
    fi
    rm -f "$log"
}

# recap_meson DIR LABEL - append each failed test of DIR's last meson run,
# with the last lines of its output, to the recap
recap_meson() {
    local json=$1/meson-logs/testlog.json
    [ -f "$json" ] || { echo "-- $2: meson failed before any test ran" >>"$recap"; return; }
    jq -r 'select(.result != "OK" and .result != "SKIP" and .result != "EXPECTEDFAIL")
           | "-- \(.name) (\(.result), \(.duration | floor) s) in '"$2"'\n"
             + ((.stdout // "") | split("\n") | .[-40:] | join("\n"))' \
        "$json" >>"$recap" 2>/dev/null ||
        echo "-- $2: failures not readable from $json" >>"$recap"
}

echo "== build"
if [ ! -f build/build.ninja ]; then meson setup build || exit 1; fi
ninja -C build || exit 1
run_meson_tests build "tests (without the Knot suite: it runs under ASan)" --no-suite knot

echo "== build with ASan+UBSan"
if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fno-sanitize-recover=all -Dbuildtype=debug || exit 1
fi
ninja -C build-asan || exit 1
run_meson_tests build-asan "tests under ASan+UBSan"

echo "== fuzz targets (${TEST_FUZZ_SECONDS:-30}s each)"
if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all' \
        -Ddefault_library=static -Dbuildtype=debugoptimized || exit 1
fi
ninja -C build-fuzz || exit 1
fuzzlog=$(mktemp)
./scripts/fuzz.sh build-fuzz "${TEST_FUZZ_SECONDS:-30}" | tee "$fuzzlog"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
fp=$(grep -c '^fuzz ok ' "$fuzzlog")
ff=$(grep -c '^fuzz FAILED ' "$fuzzlog")
grep -A45 '^fuzz FAILED ' "$fuzzlog" | sed 's/^fuzz FAILED /-- fuzz target /' >>"$recap"
passed=$((passed + fp))
failed=$((failed + ff))
rm -f "$fuzzlog"

if [ -s "$recap" ]; then
    echo
    echo "== what failed (again, with the end of its output)"
    cat "$recap"
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
