#!/bin/bash
# dns-dnssec.sh - the DNSSEC state the libunbound backend reports, against
# Knot signing zones on 127.0.0.1: secure under a matching trust anchor,
# bogus (and SERVFAIL with the reason) under a wrong one, insecure where no
# anchor covers the name, unknown without --trust-anchor.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/lib/knot.sh"

dir=$TMPDIR_TEST
for z in signed bogus plain; do
    printf 'www 300 A 192.0.2.1\n@ 300 TXT "v=spf1 -all"\n' >"$dir/$z.test.zone"
done
export KNOT_SIGNED_ZONES="signed.test bogus.test"
if ! knot_start "$dir" "$dir/signed.test.zone" "$dir/bogus.test.zone" "$dir/plain.test.zone"; then
    _notok "Knot starts with signed zones"
    finish
    exit 1
fi
# The anchor file: signed.test's real keys; for bogus.test, signed.test's
# keys under bogus.test's name, which cannot verify bogus.test's signatures.
ta=$dir/anchors.key
if knot_dnskey signed.test >"$ta" && knot_dnskey bogus.test >/dev/null; then
    sed 's/^signed\.test\./bogus.test./' "$ta" >>"$ta.bogus" && cat "$ta.bogus" >>"$ta"
    _ok "Knot signs the zones; trust anchors written"
else
    _notok "Knot did not sign the zones"
fi
dns=(--dns "127.0.0.1:$KNOT_PORT" --timeout 5)

expect_first_line NOERROR "$INKAN" dns www.signed.test A "${dns[@]}" --trust-anchor "$ta"
expect_out_contains "; dnssec: secure" "$INKAN" dns www.signed.test A "${dns[@]}" --trust-anchor "$ta"
expect_out_contains '"dnssec": "secure"' "$INKAN" dns signed.test TXT "${dns[@]}" --trust-anchor "$ta" --json
# a proven non-existence is secure too
expect_first_line NXDOMAIN "$INKAN" dns nope.signed.test A "${dns[@]}" --trust-anchor "$ta"
expect_out_contains "; dnssec: secure" "$INKAN" dns nope.signed.test A "${dns[@]}" --trust-anchor "$ta"

expect_first_line SERVFAIL "$INKAN" dns www.bogus.test A "${dns[@]}" --trust-anchor "$ta"
expect_out_contains "; DNSSEC validation failed" "$INKAN" dns www.bogus.test A "${dns[@]}" --trust-anchor "$ta"
expect_out_contains "; dnssec: bogus" "$INKAN" dns www.bogus.test A "${dns[@]}" --trust-anchor "$ta"

expect_first_line NOERROR "$INKAN" dns www.plain.test A "${dns[@]}" --trust-anchor "$ta"
expect_out_contains "; dnssec: insecure" "$INKAN" dns www.plain.test A "${dns[@]}" --trust-anchor "$ta"

# without an anchor nothing is validated: the state is unknown, and the
# bogus zone answers like any other
expect_out_contains '"dnssec": "unknown"' "$INKAN" dns www.bogus.test A "${dns[@]}" --json
expect_first_line NOERROR "$INKAN" dns www.bogus.test A "${dns[@]}"

# a missing trust-anchor file is a usage error (checked with the options)
expect_exit 2 "$INKAN" dns www.signed.test --dns "127.0.0.1:$KNOT_PORT" --trust-anchor "$dir/none.key"
expect_err_contains "none.key: No such file or directory" "$INKAN" dns www.signed.test --dns "127.0.0.1:$KNOT_PORT" --trust-anchor "$dir/none.key"
knot_stop
finish
