#!/bin/bash
# spf-knot.sh - "Real DNS server": serve every scenario of the RFC 7208
# conformance suite from Knot on 127.0.0.1 (a free port), and check that
# `inkan spf --dns 127.0.0.1:PORT` gives the same result, explanation,
# deciding term and lookup counts as `inkan spf --zone` on the same zone
# file, for every test of the suite.
#
# tests/tools/suite2zone.py writes one root zone per scenario.  What a real
# server cannot reproduce is skipped, and listed in the output as "# skip"
# with the reason: the suite's TIMEOUT entries (a query that never gets an
# answer), a TXT record of zero strings (null.example.com), an RRset with
# the same record twice (multispf1: a server merges them, as the suite's
# comment says) and more PTR records than SPF's 10-name limit (ptr-limit:
# the server's order decides, as the suite's comment says).  A test is
# skipped only if its --zone evaluation actually asked such a (name, type);
# every other test of the scenario is compared.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/lib/knot.sh"

SUITE=${INKAN_SHARED}/testsuites/spf/rfc7208-tests.yml
require_suite "$SUITE"
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
suite_ok=0
cur=-1
# Fields split on \037, not on tabs: tabs are IFS white space, and an empty
# MAIL FROM (the HELO tests) must stay an empty field.
while IFS=$'\037' read -r scen id host mailfrom helo want; do
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
        awk 'NR == FNR { why[tolower($1) " " $2] = substr($0, length($1 $2) + 3); next }
             { k = tolower($1) " " $2; s = tolower($1) " *"
               if (k in why) { print $1 " " $2 ": " why[k]; exit }
               if (s in why) { print $1 " " $2 ": " why[s]; exit } }' \
            "$T/suite/s$scen.unservable" -)
    if [ -n "$hit" ]; then
        skipped=$((skipped + 1))
        echo "# skip $id: it queries $hit"
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
    r=$(printf '%s' "$dns_json" | jq -r .result)
    case ",$want," in *",$r,"*) suite_ok=$((suite_ok + 1)) ;; esac
    if [ "$a" = "$b" ]; then
        _ok "$id: --dns = --zone: $a (suite: $want)"
    else
        _notok "$id: --zone gives $a, --dns gives $b"
    fi
done < <(tr '\t' '\037' <"$T/suite/tests.tsv")

total=$(wc -l <"$T/suite/tests.tsv")
# Information only (conformance is tests/unit's job, on the in-memory zone):
echo "# $suite_ok of $compared compared tests give a result the suite accepts"
echo "# $compared of $total tests compared, $skipped skipped (see the '# skip' lines)"
check "every test was compared or skipped for a stated reason" test $((compared + skipped)) = "$total"
check "at most 15 tests skipped (TIMEOUT and the two live-DNS cases)" test "$skipped" -le 15
knot_stop
finish
