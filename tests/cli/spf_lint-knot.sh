#!/bin/bash
# spf_lint-knot.sh - `inkan spf lint --dns` against a real DNS server: Knot
# on 127.0.0.1 (a free port) serves tests/cli/spf_lint.zone, and the lint's
# JSON over --dns must equal its JSON over --zone for every name in it
# (findings, offsets, fixes, counts, tree).
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/lib/knot.sh"

T=$TMPDIR_TEST
# served as the root zone so that the out-of-zone provider names resolve too
grep -vE '^@ +IN (SOA|NS) ' "$INKAN_SRC/tests/cli/spf_lint.zone" >"$T/root.zone"
mkdir -p "$T/knot"
if ! knot_start "$T/knot" ".=$T/root.zone"; then
    _notok "start Knot"
    finish
    exit 1
fi
_ok "Knot serves spf_lint.zone on 127.0.0.1:$KNOT_PORT (pid $KNOT_PID)"

for name in clean dup syntax open missing loop1 voids over split long nospf nowhere; do
    d=$name.lint.test
    "$INKAN" spf lint --json --zone "$INKAN_SRC/tests/cli/spf_lint.zone" "$d" >"$T/zone.json" 2>"$T/err"
    rz=$?
    "$INKAN" spf lint --json --dns "127.0.0.1:$KNOT_PORT" "$d" >"$T/dns.json" 2>>"$T/err"
    rd=$?
    if [ $rz != 0 ] || [ $rd != 0 ]; then
        _notok "$d: exit --zone $rz, --dns $rd: $(head -c 300 "$T/err")"
    elif cmp -s "$T/zone.json" "$T/dns.json"; then
        _ok "$d: --dns and --zone agree ($(jq -r '[.errors, .warnings, .infos] | "\(.[0]) errors, \(.[1]) warnings, \(.[2]) info"' "$T/dns.json"))"
    else
        _notok "$d: --dns and --zone differ"
        diff "$T/zone.json" "$T/dns.json" | head -20 | sed 's/^/#   /'
    fi
done
knot_stop
finish
