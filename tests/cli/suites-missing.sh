#!/bin/bash
# suites-missing.sh - the conformance-suite tests in a plain clone (no
# ../shared beside it): each is skipped (exit 77, meson's SKIP) and says
# where to get the suites; under CI (CI=true) each fails instead.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

NOWHERE=$TMPDIR_TEST/no-shared
SUITE_TEST=${TEST_SPF_SUITE:?TEST_SPF_SUITE is not set (tests/meson.build sets it)}

# each conformance-suite test as a command line
run_unit() { "$SUITE_TEST"; }
run_lint() { bash "$INKAN_SRC/tests/cli/spf_lint-suite.sh"; }
run_knot() { bash "$INKAN_SRC/tests/cli/spf-knot.sh"; }

for t in run_unit run_lint run_knot; do
    INKAN_SHARED=$NOWHERE CI= expect_exit 77 "$t"
    check "$t: says what is missing" grep -q "SKIP: $NOWHERE/testsuites/spf/rfc7208-tests.yml" "$TMPDIR_TEST/out"
    check "$t: says where to get the suites" grep -q "python3-spf" "$TMPDIR_TEST/out"
    INKAN_SHARED=$NOWHERE CI=true expect_exit 1 "$t"
    check "$t: CI=true fails" grep -q "CI=true: a missing conformance suite is a failure" "$TMPDIR_TEST/out"
done
finish
