#!/bin/bash
# dkim.sh - `inkan dkim` through the real binary: keygen files and modes,
# testkey against a zone file, sign -> verify round trips, the RFC
# examples, usage errors.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

T=$TMPDIR_TEST
K=$T/keys
mkdir -p "$K"

# --- usage ---
expect_exit 2 "$INKAN" dkim
expect_exit 0 "$INKAN" dkim --help
expect_exit 2 "$INKAN" dkim frobnicate
expect_exit 0 "$INKAN" dkim keygen --help
expect_exit 2 "$INKAN" dkim keygen --domain example.com
expect_exit 2 "$INKAN" dkim keygen --domain example.com --selector s --out "$K" --type dsa
expect_exit 2 "$INKAN" dkim keygen --domain example.com --selector s --out "$K" --bits 512
expect_exit 2 "$INKAN" dkim keygen --domain example.com --selector s --out "$K" --type ed25519 --bits 2048
expect_exit 2 "$INKAN" dkim keygen --domain 'bad..name' --selector s --out "$K"

# --- keygen ---
expect_first_line_prefix() {
    local want=$1; shift
    local got
    got=$("$@" 2>"$T/err" </dev/null | head -n 1)
    case "$got" in
    "$want"*) _ok "first line starts '$want': $*" ;;
    *) _notok "first line '$got' (wanted '$want...'): $*"; sed 's/^/#   /' "$T/err" | head -5 ;;
    esac
}
expect_first_line_prefix 's1._domainkey.example.com. 3600 IN TXT "v=DKIM1; k=rsa; p=MIIB' \
    "$INKAN" dkim keygen --domain example.com --selector s1 --out "$K"
check "private key is mode 0600" test "$(stat -c %a "$K/s1.example.com.private")" = 600
check "private key is PEM" grep -q -- '-----BEGIN PRIVATE KEY-----' "$K/s1.example.com.private"
check "zone file written" test -s "$K/s1.example.com.zone"
# --out names a directory that does not exist yet: it is made, private
expect_exit 0 "$INKAN" dkim keygen --domain example.com --selector n1 --type ed25519 --out "$T/new-keys"
check "new key directory is mode 0700" test "$(stat -c %a "$T/new-keys")" = 700
check "key written into the new directory" test -s "$T/new-keys/n1.example.com.private"
expect_exit 1 "$INKAN" dkim keygen --domain example.com --selector n2 --out "$T/no/such/parent"
expect_err_contains "no/such/parent" "$INKAN" dkim keygen --domain example.com --selector n2 --out "$T/no/such/parent"
# a 2048-bit key does not fit one 255-byte string: two strings
check "TXT split into 255-byte strings" \
    awk -F'"' '{ if (NF != 5 || length($2) != 255) exit 1 }' "$K/s1.example.com.zone"
check "JSON names the record" grep -q '"name": "s1._domainkey.example.com"' "$K/s1.example.com.json"
check "JSON strings array" grep -q '"strings"' "$K/s1.example.com.json"
expect_exit 1 "$INKAN" dkim keygen --domain example.com --selector s1 --out "$K"
expect_err_contains "exists already" "$INKAN" dkim keygen --domain example.com --selector s1 --out "$K"
expect_exit 0 "$INKAN" dkim keygen --domain example.com --selector s1 --out "$K" --force
expect_out_contains '"key_type": "ed25519"' \
    "$INKAN" dkim keygen --domain example.com --selector e1 --type ed25519 --out "$K" --json
expect_out_contains 'k=rsa; t=y; p=' \
    "$INKAN" dkim keygen --domain example.org --selector t1 --bits 1024 --testing --out "$K"
expect_exit 1 "$INKAN" dkim keygen --domain example.com --selector x --out "$T/no/such/dir"

# --- verify: the RFC examples, with the RFC keys in a zone file ---
D=$INKAN_SRC/tests/data/dkim
expect_exit 0 "$INKAN" dkim verify --help
expect_first_line "pass d=example.com s=brisbane a=rsa-sha256" \
    "$INKAN" dkim verify --zone "$D/rfc.zone" "$D/rfc6376-a2.eml"
expect_first_line "pass d=football.example.com s=brisbane a=ed25519-sha256" \
    "$INKAN" dkim verify --zone "$D/rfc.zone" "$D/rfc8463-a3.eml"
check "RFC 8463 A.3: both signatures pass" \
    test "$("$INKAN" dkim verify --zone "$D/rfc.zone" < "$D/rfc8463-a3.eml" | grep -c '^pass ')" = 2
expect_out_contains '"dnssec": "unknown"' "$INKAN" dkim verify --json --zone "$D/rfc.zone" "$D/rfc8463-a3.eml"
expect_out_contains '"header_signature": "pass"' "$INKAN" dkim verify --json --zone "$D/rfc.zone" "$D/rfc8463-a3.eml"
expect_out_contains '"bits": 1024' "$INKAN" dkim verify --json --zone "$D/rfc.zone" "$D/rfc6376-a2.eml"
# several files: each line names its file
"$INKAN" dkim verify --zone "$D/rfc.zone" "$D/rfc6376-a2.eml" "$D/rfc8463-a3.eml" > "$T/multi" 2>&1
check "several files: one line per signature, prefixed" \
    test "$(grep -c "rfc8463-a3.eml: pass" "$T/multi")" = 2
# tampered: a body byte, a header
sed 's/We lost the game/We won the game/' "$D/rfc8463-a3.eml" > "$T/body.eml"
expect_first_line "fail d=football.example.com s=brisbane a=ed25519-sha256 (body hash did not verify: the body was changed (the signed header fields are intact))" \
    "$INKAN" dkim verify --zone "$D/rfc.zone" "$T/body.eml"
sed 's/Is dinner ready/Is lunch ready/' "$D/rfc8463-a3.eml" > "$T/hdr.eml"
expect_out_contains "fail d=football.example.com s=test a=rsa-sha256 (signature did not verify" \
    "$INKAN" dkim verify --zone "$D/rfc.zone" "$T/hdr.eml"
# no key in the zone: permerror, still exit 0
sed 's/s=brisbane/s=gone/' "$D/rfc8463-a3.eml" > "$T/nokey.eml"
expect_out_contains "permerror d=football.example.com s=gone a=ed25519-sha256 (no key record at gone._domainkey.football.example.com (NXDOMAIN))" \
    "$INKAN" dkim verify --zone "$D/rfc.zone" "$T/nokey.eml"
expect_exit 0 "$INKAN" dkim verify --zone "$D/rfc.zone" "$T/nokey.eml"
printf 'From: a@example.com\nSubject: x\n\nhello\n' > "$T/unsigned.eml"
expect_first_line "none" "$INKAN" dkim verify --zone "$D/rfc.zone" "$T/unsigned.eml"
expect_exit 1 "$INKAN" dkim verify --zone "$D/rfc.zone" "$T/no-such-file.eml"
expect_exit 1 "$INKAN" dkim verify --zone "$T/no-such.zone" "$D/rfc8463-a3.eml"
expect_exit 2 "$INKAN" dkim verify --bogus
expect_exit 2 "$INKAN" dkim verify --now yesterday "$D/rfc8463-a3.eml"
# a signature expired by the clock given
sed 's/t=1528637909; h=from : to :/t=1528637909; x=1528640000; h=from : to :/' "$D/rfc8463-a3.eml" > "$T/exp.eml"
expect_out_contains "permerror d=football.example.com s=brisbane a=ed25519-sha256 (signature expired at x=1528640000)" \
    "$INKAN" dkim verify --zone "$D/rfc.zone" --now 1600000000 "$T/exp.eml"

# --- sign -> verify through the binary ---
cat "$K"/s1.example.com.zone "$K"/e1.example.com.zone > "$T/keys.zone"
printf 'From: Alice <alice@example.com>\nTo: bob@example.net\nSubject:  hello   there \nDate: Sun, 22 Nov 2026 08:00:00 +0000\n\nLine  one \n\ncaf\303\251\n\n\n' > "$T/msg.eml"
expect_exit 0 "$INKAN" dkim sign --help
"$INKAN" dkim sign --domain example.com --selector s1 --key "$K/s1.example.com.private" \
    --selector e1 --key "$K/e1.example.com.private" < "$T/msg.eml" > "$T/signed.eml"
check "sign: two signatures on top" test "$(head -c 15 "$T/signed.eml")" = "DKIM-Signature:"
check "sign: RSA then Ed25519" test "$(grep -c '^DKIM-Signature:' "$T/signed.eml")" = 2
check "sign: From over-signed" grep -q 'h=from:from:subject:date:to;' "$T/signed.eml"
check "sign: message kept byte for byte after the signatures" \
    cmp -s "$T/msg.eml" <(sed -n '/^From:/,$p' "$T/signed.eml")
check "sign: LF input gets LF signature lines" sh -c "! grep -q \$'\\r' '$T/signed.eml'"
"$INKAN" dkim verify --zone "$T/keys.zone" "$T/signed.eml" > "$T/v.out"
check "sign -> verify: both pass" test "$(grep -c '^pass d=example.com' "$T/v.out")" = 2
for c in simple/simple simple/relaxed relaxed/simple relaxed/relaxed; do
    "$INKAN" dkim sign --domain example.com --selector s1 --key "$K/s1.example.com.private" \
        --canon $c --headers from:to:subject --oversign '' < "$T/msg.eml" > "$T/c.eml"
    expect_first_line "pass d=example.com s=s1 a=rsa-sha256" "$INKAN" dkim verify --zone "$T/keys.zone" "$T/c.eml"
done
# CRLF input stays CRLF
sed 's/$/\r/' "$T/msg.eml" > "$T/crlf.eml"
"$INKAN" dkim sign --domain example.com --selector e1 --key "$K/e1.example.com.private" < "$T/crlf.eml" > "$T/crlf-signed.eml"
check "sign: CRLF input gets CRLF signature lines" test "$(head -1 "$T/crlf-signed.eml" | tail -c 2 | od -An -c | tr -d ' ')" = '\r\n'
expect_first_line "pass d=example.com s=e1 a=ed25519-sha256" "$INKAN" dkim verify --zone "$T/keys.zone" "$T/crlf-signed.eml"
# sign errors
expect_exit 2 "$INKAN" dkim sign --domain example.com --selector s1
expect_exit 2 "$INKAN" dkim sign --domain example.com --selector s1 --key "$K/s1.example.com.private" --algorithm rsa-sha1
expect_exit 2 "$INKAN" dkim sign --domain example.com --selector s1 --key "$K/s1.example.com.private" --algorithm ed25519-sha256
expect_exit 1 "$INKAN" dkim sign --domain example.com --selector s1 --key "$T/missing.pem"
expect_exit 2 "$INKAN" dkim sign --domain example.com --domain example.org --domain example.net \
    --selector s1 --selector e1 --key "$K/s1.example.com.private"
printf 'To: x@example.net\n\nno from\n' > "$T/nofrom.eml"
"$INKAN" dkim sign --domain example.com --selector s1 --key "$K/s1.example.com.private" < "$T/nofrom.eml" > /dev/null 2> "$T/err2"
check "sign: a message without From is refused" grep -q "no From" "$T/err2"

# --- testkey ---
cat "$T/keys.zone" > "$T/tk.zone"
echo 'revoked._domainkey.example.com. 300 IN TXT "v=DKIM1; k=rsa; p="' >> "$T/tk.zone"
echo 'broken._domainkey.example.com. 300 IN TXT "v=DKIM1; k=rsa; p=!!!"' >> "$T/tk.zone"
expect_exit 0 "$INKAN" dkim testkey --domain example.com --selector s1 --key "$K/s1.example.com.private" --zone "$T/tk.zone"
expect_first_line "match: s1._domainkey.example.com publishes the public half of $K/s1.example.com.private (rsa, 2048 bits)" \
    "$INKAN" dkim testkey --domain example.com --selector s1 --key "$K/s1.example.com.private" --zone "$T/tk.zone"
expect_exit 3 "$INKAN" dkim testkey --domain example.com --selector e1 --key "$K/s1.example.com.private" --zone "$T/tk.zone"
expect_first_line "mismatch: e1._domainkey.example.com: the published key is ed25519, the private key is rsa" \
    "$INKAN" dkim testkey --domain example.com --selector e1 --key "$K/s1.example.com.private" --zone "$T/tk.zone"
expect_out_contains "missing: nope._domainkey.example.com has no TXT record (NXDOMAIN)" \
    "$INKAN" dkim testkey --domain example.com --selector nope --key "$K/s1.example.com.private" --zone "$T/tk.zone"
expect_out_contains "expected: nope._domainkey.example.com. 3600 IN TXT \"v=DKIM1; k=rsa; p=MIIB" \
    "$INKAN" dkim testkey --domain example.com --selector nope --key "$K/s1.example.com.private" --zone "$T/tk.zone"
expect_first_line "revoked: revoked._domainkey.example.com: the record is revoked: p= is empty: the key has been revoked (at offset 18)" \
    "$INKAN" dkim testkey --domain example.com --selector revoked --key "$K/s1.example.com.private" --zone "$T/tk.zone"
expect_out_contains "invalid: broken._domainkey.example.com: the record is malformed: p= is not valid base64" \
    "$INKAN" dkim testkey --domain example.com --selector broken --key "$K/s1.example.com.private" --zone "$T/tk.zone"
expect_out_contains '"result": "match"' \
    "$INKAN" dkim testkey --json --domain example.com --selector e1 --key "$K/e1.example.com.private" --zone "$T/tk.zone"
expect_exit 1 "$INKAN" dkim testkey --domain example.com --selector s1 --key "$T/nokey.pem" --zone "$T/tk.zone"
expect_exit 2 "$INKAN" dkim testkey --domain example.com --key "$K/s1.example.com.private"

# --- a body without final CRLF ending in whitespace: RFC 6376 3.4.4 drops
# the whitespace, dkimpy keeps one SP; both readings are recognised, and
# inkan's own signer adds the missing line ending so nobody has to guess ---
printf 'From: a@example.com\r\nSubject: x\r\n\r\nlast line \t ' > "$T/nocrlf.eml"
if /usr/bin/python3 -c 'import dkim' 2>/dev/null; then
    /usr/bin/python3 - "$K/s1.example.com.private" "$T/nocrlf.eml" "$T/nocrlf-dkimpy.eml" <<'PY'
import sys, dkim
key = open(sys.argv[1], 'rb').read()
msg = open(sys.argv[2], 'rb').read()
sig = dkim.sign(msg, b's1', b'example.com', key, canonicalize=(b'relaxed', b'relaxed'))
open(sys.argv[3], 'wb').write(sig + msg)
PY
    expect_out_contains "pass d=example.com s=s1 a=rsa-sha256 (the body hash counts the whitespace ending the last line" \
        "$INKAN" dkim verify --zone "$T/keys.zone" "$T/nocrlf-dkimpy.eml"
fi
"$INKAN" dkim sign --domain example.com --selector s1 --key "$K/s1.example.com.private" < "$T/nocrlf.eml" > "$T/nocrlf-signed.eml"
check "sign: a missing final line ending is added" test "$(tail -c 2 "$T/nocrlf-signed.eml" | od -An -c | tr -d ' ')" = '\r\n'
expect_first_line "pass d=example.com s=s1 a=rsa-sha256" "$INKAN" dkim verify --zone "$T/keys.zone" "$T/nocrlf-signed.eml"

finish
