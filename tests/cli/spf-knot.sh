#!/bin/bash
# spf-knot.sh - "Real DNS server": serve every scenario of the RFC 7208
# conformance suite from Knot on 127.0.0.1 (a free port), and check that
# `inkan spf --dns 127.0.0.1:PORT` gives the same result, explanation,
# deciding term and lookup counts as `inkan spf --zone` on the same zone
# file, for every test of the suite.
#
# tests/tools/suite2zone.py writes one root zone per scenario.  What a zone
# file cannot hold is skipped, and listed in the output as "# skip": the
# suite's TIMEOUT entries (a query that never gets an answer) and a TXT
# record of zero strings (null.example.com).  A test is skipped only if its
# --zone evaluation actually asked such a (name, type); every other test of
# the scenario is compared.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/lib/knot.sh"

SUITE=${INKAN_SHARED}/testsuites/spf/rfc7208-tests.yml
T=$TMPDIR_TEST
if ! /usr/bin/python3 "$INKAN_SRC/tests/tools/suite2zone.py" "$SUITE" "$T/suite"; then
    _notok "suite2zone.py $SUITE"
    finish
    exit 1
fi
mkdir -p "$T/knot"
cp "$T/suite/s0.zone" "$T/root.zone"
if ! knot_start "$T/knot" ".=$T/root.zone"; then
    _notok "start Knot"
    finish
    exit 1
fi
_ok "Knot serves the suite's zones on 127.0.0.1:$KNOT_PORT (pid $KNOT_PID)"

# The fields that must agree between the two DNS sources.
FIELDS='[.result, .explanation, .decided_by, .dns_lookups, .void_lookups] | tojson'

compared=0
skipped=0
cur=-1
while IFS=$'\t' read -r scen id host mailfrom helo want; do
    if [ "$scen" != "$cur" ]; then
        cp "$T/suite/s$scen.zone" "$T/root.zone"
        if ! knot_reload; then
            _notok "reload Knot with scenario $scen"
            break
        fi
        cur=$scen
    fi
    zone_json=$("$INKAN" spf --zone "$T/suite/s$scen.zone" --json --ip "$host" \
        --mail-from "$mailfrom" --helo "$helo" 2>"$T/err" </dev/null)
    rc=$?
    if [ $rc != 0 ]; then
        _notok "$id: --zone exit $rc: $(head -c 300 "$T/err")"
        continue
    fi
    # Did this evaluation ask a query the zone file cannot serve as the suite means?
    hit=$(printf '%s' "$zone_json" | jq -r '.queries[] | "\(.name) \(.type)"' |
        while read -r qn qt; do
            if grep -qixF -e "$qn $qt" -e "$qn *" "$T/suite/s$scen.unservable"; then
                echo "$qn $qt"
                break
            fi
        done)
    if [ -n "$hit" ]; then
        skipped=$((skipped + 1))
        echo "# skip $id: it queries $hit, a TIMEOUT (or zero-string TXT) entry a zone file cannot hold"
        continue
    fi
    dns_json=$(timeout 120 "$INKAN" spf --dns "127.0.0.1:$KNOT_PORT" --timeout 3 --json --ip "$host" \
        --mail-from "$mailfrom" --helo "$helo" 2>"$T/err" </dev/null)
    rc=$?
    if [ $rc != 0 ]; then
        _notok "$id: --dns exit $rc: $(head -c 300 "$T/err")"
        continue
    fi
    a=$(printf '%s' "$zone_json" | jq -c "$FIELDS")
    b=$(printf '%s' "$dns_json" | jq -c "$FIELDS")
    compared=$((compared + 1))
    if [ "$a" = "$b" ]; then
        _ok "$id: --dns = --zone: $a (suite: $want)"
    else
        _notok "$id: --zone gives $a, --dns gives $b"
    fi
done <"$T/suite/tests.tsv"

total=$(wc -l <"$T/suite/tests.tsv")
echo "# $compared of $total tests compared, $skipped skipped (TIMEOUT / zero-string TXT)"
check "every test was compared or skipped for a stated reason" test $((compared + skipped)) = "$total"
check "most tests were compared (skips are only the TIMEOUT ones)" test "$skipped" -le 15
knot_stop
finish
