#!/bin/bash
# dkim-signer.sh - `inkan dkim sign --signer` (issue 10 section 2): the keys
# live in a forked signer process; what it signs (RSA and Ed25519 in one
# pass) verifies with inkan and with dkimpy; a key file others can read is
# refused naming the file; --signer-user needs --signer; as root the
# signer refuses an unknown user.  The memory scan, unknown key ids, a
# killed signer and the privilege drop are in tests/unit/test_signer.c.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

T=$TMPDIR_TEST
K=$T/keys
py=/usr/bin/python3
mkdir -p "$K"
"$INKAN" dkim keygen --domain example.com --selector r1 --out "$K" >/dev/null
"$INKAN" dkim keygen --domain example.com --selector e1 --type ed25519 --out "$K" >/dev/null
cat "$K"/r1.example.com.zone "$K"/e1.example.com.zone > "$T/keys.zone"
printf 'From: a@example.com\r\nTo: b@example.org\r\nSubject: signed by the signer\r\nDate: Wed, 2 Dec 2026 12:00:00 +0000\r\n\r\nHello,\r\nthe keys are elsewhere.\r\n' > "$T/m.eml"

# --- sign through the signer, both keys in one pass ---
"$INKAN" dkim sign --signer --domain example.com --selector r1 --key "$K/r1.example.com.private" \
    --selector e1 --key "$K/e1.example.com.private" < "$T/m.eml" > "$T/s.eml" 2>"$T/err"
check "dkim sign --signer exits 0" test $? = 0
check "two DKIM-Signature fields" test "$(grep -c '^DKIM-Signature:' "$T/s.eml")" = 2
expect_out_contains "pass d=example.com s=r1 a=rsa-sha256" "$INKAN" dkim verify --zone "$T/keys.zone" "$T/s.eml"
expect_out_contains "pass d=example.com s=e1 a=ed25519-sha256" "$INKAN" dkim verify --zone "$T/keys.zone" "$T/s.eml"
# the same with --key alone (no signer) still signs in process
"$INKAN" dkim sign --domain example.com --selector r1 --key "$K/r1.example.com.private" \
    < "$T/m.eml" > "$T/plain.eml" 2>/dev/null
expect_out_contains "pass d=example.com s=r1" "$INKAN" dkim verify --zone "$T/keys.zone" "$T/plain.eml"

# --- dkimpy verifies what the signer signed (RSA and Ed25519) ---
if "$py" -c 'import dkim, nacl' 2>/dev/null; then
    out=$("$py" - "$T/s.eml" "$T/keys.zone" <<'PY'
import re, sys, dkim
msg = open(sys.argv[1], "rb").read()
recs = {}
for line in open(sys.argv[2]):
    m = re.match(r'(\S+)\.\s+\d+\s+IN\s+TXT\s+(.*)$', line.strip())
    if m:
        recs[m.group(1).lower()] = "".join(re.findall(r'"([^"]*)"', m.group(2))).encode()
def dnsfunc(name, timeout=5):
    return recs.get(name.decode().rstrip(".").lower(), b"")
d = dkim.DKIM(msg)
res = [d.verify(idx=i, dnsfunc=dnsfunc) for i in range(2)]
print(" ".join("pass" if r else "fail" for r in res))
PY
)
    check "dkimpy verifies both signatures (got: $out)" test "$out" = "pass pass"
else
    _notok "$py cannot import dkim/nacl (scripts/install-deps.sh installs python3-dkim)"
fi

# --- refusals ---
chmod 644 "$K/r1.example.com.private"
expect_exit 1 "$INKAN" dkim sign --signer --domain example.com --selector r1 --key "$K/r1.example.com.private"
expect_err_contains "permissions 0644 for the key file $K/r1.example.com.private are too open" \
    "$INKAN" dkim sign --signer --domain example.com --selector r1 --key "$K/r1.example.com.private"
chmod 600 "$K/r1.example.com.private"
expect_err_contains "is not a regular file" \
    "$INKAN" dkim sign --signer --domain example.com --selector r1 --key "$K"
expect_exit 2 "$INKAN" dkim sign --signer-user nobody --domain example.com --selector r1 --key "$K/r1.example.com.private"
expect_exit 2 "$INKAN" dkim sign --signer --algorithm ed25519-sha256 --domain example.com --selector r1 --key "$K/r1.example.com.private"
if [ "$(id -u)" = 0 ]; then
    expect_err_contains "no such user 'no-such-user-inkan'" "$INKAN" dkim sign --signer \
        --signer-user no-such-user-inkan --domain example.com --selector r1 --key "$K/r1.example.com.private"
    # as root, the default user is nobody, which still signs with keys only root can read
    "$INKAN" dkim sign --signer --domain example.com --selector e1 \
        --key "$K/e1.example.com.private" < "$T/m.eml" > "$T/root.eml" 2>/dev/null
    expect_out_contains "pass d=example.com s=e1" "$INKAN" dkim verify --zone "$T/keys.zone" "$T/root.eml"
fi
finish
