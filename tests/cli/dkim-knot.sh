#!/bin/bash
# dkim-knot.sh - `inkan dkim verify|testkey --dns` against a real server:
# Knot on 127.0.0.1 at a free port (tests/lib/knot.sh) serving the RFC
# example keys, one zone DNSSEC-signed; the key's DNSSEC state is
# reported (secure / insecure / unknown), a bogus answer and a dead
# server give temperror.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/lib/knot.sh"

dir=$TMPDIR_TEST
D=$INKAN_SRC/tests/data/dkim
# the RFC 8463 keys in a signed zone, the RFC 6376 key in a plain one
cat >"$dir/football.example.com.zone" <<'Z'
brisbane._domainkey 300 TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
test._domainkey 300 TXT ( "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
  "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
  "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
  "Ip3G+2kryOTIKT+l/K4w3QIDAQAB" )
Z
# the first record of rfc.zone (RFC 6376 A.3), up to its closing parenthesis
sed -n '/^brisbane._domainkey IN/,/)/p' "$D/rfc.zone" >"$dir/example.com.zone"
# a zone whose signatures cannot validate under the anchor given for it
"$INKAN" dkim keygen --domain bogus.test --selector k --type ed25519 --out "$dir" >/dev/null
sed 's/^k\._domainkey\.bogus\.test\. 3600 IN /k._domainkey 300 /' "$dir/k.bogus.test.zone" >"$dir/bogus.test.zone"
printf 'From: a@bogus.test\nSubject: x\n\nhello\n' | "$INKAN" dkim sign --domain bogus.test --selector k \
    --key "$dir/k.bogus.test.private" >"$dir/bogus.eml"

export KNOT_SIGNED_ZONES="football.example.com bogus.test"
if ! knot_start "$dir" "$dir/football.example.com.zone" "$dir/example.com.zone" "$dir/bogus.test.zone"; then
    _notok "Knot starts"
    finish
    exit 1
fi
_ok "Knot started on 127.0.0.1:$KNOT_PORT (pid $KNOT_PID)"
ta=$dir/anchors.key
if knot_dnskey football.example.com >"$ta" && knot_dnskey bogus.test >/dev/null; then
    sed 's/^football\.example\.com\./bogus.test./' "$ta" >"$ta.bogus" && cat "$ta.bogus" >>"$ta"
    _ok "trust anchors written"
else
    _notok "Knot did not sign the zones"
fi
dns=(--dns "127.0.0.1:$KNOT_PORT" --timeout 5)

"$INKAN" dkim verify "${dns[@]}" "$D/rfc8463-a3.eml" >"$dir/out" 2>&1
check "RFC 8463 A.3 over DNS: both signatures pass" test "$(grep -c '^pass d=football.example.com' "$dir/out")" = 2
expect_first_line "pass d=example.com s=brisbane a=rsa-sha256" "$INKAN" dkim verify "${dns[@]}" "$D/rfc6376-a2.eml"
# DNSSEC state of the key answer
"$INKAN" dkim verify --json "${dns[@]}" --trust-anchor "$ta" "$D/rfc8463-a3.eml" >"$dir/json" 2>&1
check "signed zone under its anchor: dnssec secure (both keys)" \
    test "$(grep -c '"dnssec": "secure"' "$dir/json")" = 2
expect_out_contains '"dnssec": "insecure"' "$INKAN" dkim verify --json "${dns[@]}" --trust-anchor "$ta" "$D/rfc6376-a2.eml"
expect_out_contains '"dnssec": "unknown"' "$INKAN" dkim verify --json "${dns[@]}" "$D/rfc8463-a3.eml"
expect_first_line "pass d=bogus.test s=k a=ed25519-sha256" "$INKAN" dkim verify "${dns[@]}" "$dir/bogus.eml"
expect_out_contains "temperror d=bogus.test s=k a=ed25519-sha256 (key lookup k._domainkey.bogus.test TXT failed: SERVFAIL" \
    "$INKAN" dkim verify "${dns[@]}" --trust-anchor "$ta" "$dir/bogus.eml"
# testkey over DNS
expect_first_line "match: k._domainkey.bogus.test publishes the public half of $dir/k.bogus.test.private (ed25519, 256 bits)" \
    "$INKAN" dkim testkey --domain bogus.test --selector k --key "$dir/k.bogus.test.private" "${dns[@]}"
expect_out_contains '"dnssec": "secure"' \
    "$INKAN" dkim testkey --json --domain football.example.com --selector brisbane \
    --key "$dir/k.bogus.test.private" "${dns[@]}" --trust-anchor "$ta"

# the server goes away: temperror, exit 0 (verification ran)
knot_stop
expect_exit 0 "$INKAN" dkim verify --dns "127.0.0.1:$KNOT_PORT" --timeout 1 "$D/rfc6376-a2.eml"
expect_out_contains "temperror d=example.com s=brisbane a=rsa-sha256 (key lookup brisbane._domainkey.example.com TXT failed: TIMEOUT" \
    "$INKAN" dkim verify --dns "127.0.0.1:$KNOT_PORT" --timeout 1 "$D/rfc6376-a2.eml"
expect_exit 1 "$INKAN" dkim testkey --domain bogus.test --selector k --key "$dir/k.bogus.test.private" \
    --dns "127.0.0.1:$KNOT_PORT" --timeout 1
finish
