#!/bin/bash
# verify-knot.sh - `inkan verify --dns` against Knot on 127.0.0.1 (a free
# port, tests/lib/knot.sh) serving the scenarios of verify_lib.sh as a
# root zone must agree with `inkan verify --zone` on the same zone file:
# verdict, SMTP reply, trust, SPF, DKIM, DMARC and iprev results, the
# Authentication-Results field.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/lib/knot.sh"
. "$INKAN_SRC/tests/cli/verify_lib.sh"

T=$TMPDIR_TEST
if ! verify_setup "$T"; then
    _notok "set up the scenarios"
    finish
    exit 1
fi
mkdir -p "$T/knot"
if ! knot_start "$T/knot" ".=$T/verify.zone"; then
    _notok "start Knot"
    finish
    exit 1
fi
_ok "Knot serves the scenarios on 127.0.0.1:$KNOT_PORT (pid $KNOT_PID)"
C=(--now "$(( $(date +%s) + 60 ))" --authserv-id mx.example.net --json)
FIELDS='[.verdict, .smtp_reply, .trust, .spf.result, .spf.domain, [.dkim[].result],
  .dmarc.result, .dmarc.disposition, .dmarc.policy_tag, .dmarc.spf_aligned, .dmarc.dkim_aligned,
  .iprev.result, .iprev.name, .authentication_results] | tojson'
while IFS='|' read -r name file args; do
    # shellcheck disable=SC2086
    z=$("$INKAN" verify "${C[@]}" --zone "$T/verify.zone" $args "$T/$file" 2>"$T/err" | jq -c "$FIELDS")
    # shellcheck disable=SC2086
    d=$("$INKAN" verify "${C[@]}" --dns "127.0.0.1:$KNOT_PORT" --timeout 5 $args "$T/$file" 2>"$T/err" |
        jq -c "$FIELDS")
    if [ -n "$z" ] && [ "$z" = "$d" ]; then
        _ok "$name: --dns agrees with --zone"
    else
        _notok "$name: --zone $z, --dns $d"
        sed 's/^/#   /' "$T/err" | head -5
    fi
done <<<"$VERIFY_SCENARIOS"
finish
