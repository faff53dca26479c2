#!/bin/bash
# spf_lint-suite.sh - lint every name holding a TXT record in the RFC 7208
# conformance suite's scenarios (tricky, often broken records: loops,
# macros, bad CIDRs, timeouts, duplicates): each lint exits 0 within its
# time limit and prints well-formed JSON whose counts agree with its
# findings.  Under the ASan build this is a memory-safety sweep over real
# hostile data.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

SUITE=${INKAN_SHARED}/testsuites/spf/rfc7208-tests.yml
require_suite "$SUITE"
# Seconds one lint may take before it counts as a hang.
LINT_SECONDS=20
T=$TMPDIR_TEST
if ! /usr/bin/python3 "$INKAN_SRC/tests/tools/suite2zone.py" "$SUITE" "$T/suite" >/dev/null; then
    _notok "suite2zone.py $SUITE"
    finish
    exit 1
fi
n=0
bad=0
codes=$T/codes
: >"$codes"
for z in "$T"/suite/s*.zone; do
    for d in $(awk 'toupper($0) ~ / (TXT|SPF) / {print $1}' "$z" | sort -u); do
        n=$((n + 1))
        timeout "$LINT_SECONDS" "$INKAN" spf lint --zone "$z" --json "${d%.}" >"$T/out.json" 2>"$T/err"
        rc=$?
        if [ $rc != 0 ]; then
            bad=$((bad + 1))
            _notok "$(basename "$z") $d: exit $rc: $(head -c 200 "$T/err")"
            continue
        fi
        # one jq per lint: the codes, or "MALFORMED" when counts disagree
        if ! jq -r 'if (.findings | map(select(.severity == "error")) | length) == .errors
                    and (.findings | map(select(.severity == "warning")) | length) == .warnings
                    and (.lookups | type) == "number"
                    then .findings[].code else "MALFORMED" end' "$T/out.json" >"$T/c" ||
            grep -qx MALFORMED "$T/c"; then
            bad=$((bad + 1))
            _notok "$(basename "$z") $d: malformed JSON"
            continue
        fi
        cat "$T/c" >>"$codes"
    done
done
check "linted $n suite names, $bad failed" test "$bad" = 0 -a "$n" -gt 150
# the sweep exercised the main checks
for c in syntax-error include-loop too-many-lookups duplicate-records void-lookup pass-all; do
    check "the suite sweep produced $c" grep -qx "$c" "$codes"
done
finish
