#!/bin/bash
# secrets.sh - private keys are written by one helper (src/cli/secret.c):
# never over an existing key without --force, never through a symlink,
# always mode 0600; and what `dkim sign`/`dkim keygen` accept as a domain
# or selector (RFC 6376 syntax, so nothing odd reaches d=, a file name or
# a zone line).
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
PY=/usr/bin/python3
T=$TMPDIR_TEST
Z=$T/zones
K=$T/keys
mkdir -p "$Z" "$K"
$PY "$INKAN_SRC/tests/cli/check_zones.py" gen "$Z" || { echo "not ok - zone generation"; exit 1; }

# --- check --dkim-keygen ---
"$INKAN" check --zone "$Z/all.zone" weakdkim.example --selector s512 --dkim-keygen "$K" >/dev/null 2>&1
KEY=$K/s512.weakdkim.example.pem
check "check: key written" test -s "$KEY"
check "check: key mode 0600" test "$(stat -c %a "$KEY")" = 600
sum1=$(sha256sum <"$KEY")
expect_exit 1 "$INKAN" check --zone "$Z/all.zone" weakdkim.example --selector s512 --dkim-keygen "$K"
expect_err_contains "exists already" "$INKAN" check --zone "$Z/all.zone" weakdkim.example --selector s512 --dkim-keygen "$K"
check "check: a second run keeps the existing key" test "$(sha256sum <"$KEY")" = "$sum1"
# --force replaces it, and a file that was 0644 ends up 0600
chmod 0644 "$KEY"
"$INKAN" check --zone "$Z/all.zone" weakdkim.example --selector s512 --dkim-keygen "$K" --force >/dev/null 2>&1
check "check --force: key replaced" test "$(sha256sum <"$KEY")" != "$sum1"
check "check --force: replaced key is mode 0600" test "$(stat -c %a "$KEY")" = 600
# a symlink at the key's name is not followed
rm -f "$KEY"
echo "precious" >"$T/victim"
chmod 0644 "$T/victim"
ln -s "$T/victim" "$KEY"
expect_exit 1 "$INKAN" check --zone "$Z/all.zone" weakdkim.example --selector s512 --dkim-keygen "$K"
check "check: the symlink target is untouched" test "$(cat "$T/victim")" = precious
"$INKAN" check --zone "$Z/all.zone" weakdkim.example --selector s512 --dkim-keygen "$K" --force >/dev/null 2>&1
check "check --force: the symlink target is untouched" test "$(cat "$T/victim")" = precious
check "check --force: the symlink itself was replaced by a key" test ! -L "$KEY"
check "check --force: no temporary files left" test "$(ls "$K" | wc -l)" = 1

# --- dkim keygen ---
ln -s "$T/victim" "$K/ln.example.com.private"
expect_exit 1 "$INKAN" dkim keygen --domain example.com --selector ln --out "$K"
check "keygen: the symlink target is untouched" test "$(cat "$T/victim")" = precious
"$INKAN" dkim keygen --domain example.com --selector ln --out "$K" --force >/dev/null 2>&1
check "keygen --force: the symlink target is untouched" test "$(cat "$T/victim")" = precious
check "keygen --force: key mode 0600" test "$(stat -c %a "$K/ln.example.com.private")" = 600
for d in 'exa mple.com' 'legitimate.com(.attacker.com' 'com' '-x.example' 'a_b.example' \
         'x"y.example' 'a,b.example' 'a/b.example' "$(printf 'ex\303\244mple.com')"; do
    expect_exit 2 "$INKAN" dkim keygen --domain "$d" --selector s --out "$K"
done
expect_err_contains "is not a domain name" "$INKAN" dkim keygen --domain 'exa mple.com' --selector s --out "$K"
for s in 'te(st' 'a b' 'te_st' '-s' 's;x' 'x/../y'; do
    expect_exit 2 "$INKAN" dkim keygen --domain example.com --selector "$s" --out "$K"
done
check "keygen: no file with a space or odd name written" test -z "$(ls "$K" | grep -v '^[a-z0-9.-]*$')"
# a trailing dot is the same domain
expect_exit 0 "$INKAN" dkim keygen --domain example.net. --selector dot --type ed25519 --out "$K"
check "keygen: trailing dot dropped from the file name" test -s "$K/dot.example.net.private"

# --- dkim sign ---
printf 'From: a@example.com\r\nTo: b@example.org\r\nSubject: x\r\n\r\nbody\r\n' >"$T/m.eml"
PK=$K/dot.example.net.private
for d in 'exa mple.com' 'legitimate.com(.attacker.com' 'com' 'x;y.example'; do
    "$INKAN" dkim sign --domain "$d" --selector s --key "$PK" <"$T/m.eml" >"$T/out" 2>"$T/err"
    rc=$?
    check "sign --domain '$d' is refused (exit 2, got $rc)" test "$rc" = 2
    check "sign --domain '$d': nothing written" test ! -s "$T/out"
done
"$INKAN" dkim sign --domain example.com --selector 'te(st' --key "$PK" <"$T/m.eml" >"$T/out" 2>"$T/err"
check "sign --selector 'te(st' is refused" test "$?" = 2
check "sign with a valid domain and selector works" \
    "$INKAN" dkim sign --domain example.net --selector dot --key "$PK" <"$T/m.eml" >"$T/out"

# --- dkim sign --key over the size limit: an error, no leak ---
head -c 1100000 /dev/zero | tr '\0' 'A' >"$T/big.key"
expect_exit 1 "$INKAN" dkim sign --domain example.net --selector dot --key "$T/big.key"
expect_err_contains "larger than" "$INKAN" dkim sign --domain example.net --selector dot --key "$T/big.key"
if command -v valgrind >/dev/null 2>&1 && ! ldd "$INKAN" 2>/dev/null | grep -q libasan; then
    valgrind -q --leak-check=full --errors-for-leak-kinds=definite,possible --error-exitcode=99 \
        "$INKAN" dkim sign --domain example.net --selector dot --key "$T/big.key" \
        </dev/null >/dev/null 2>"$T/vg"
    rc=$?
    check "sign --key too large: no leak under valgrind (exit $rc)" test "$rc" = 1
fi

finish
