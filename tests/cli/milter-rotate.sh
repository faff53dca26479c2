#!/bin/bash
# milter-rotate.sh - `inkan milter` follows a DKIM key rotation in front
# of a real Postfix on loopback (the private instance of
# tests/lib/postfix.sh: its own queue, smtpd on a free port, a pipe sink):
# the configuration lists example.org's old key (s1) and names the
# rotation store (`rotations:`, looked at every second).  Mail from
# 127.0.0.1 (internal) is signed with s1 while the rotation is
# PUBLISH_NEW; once `inkan dkim rotate --advance` makes it ACTIVE the
# milter notices by itself (no signal) and signs with the new selector,
# from the key file the store names, held by a new signer process; the
# old selector is no longer used.  A rotation store that cannot be read
# is refused at start with its name.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

. "$INKAN_SRC/tests/lib/postfix.sh"
pf_require

T=$TMPDIR_TEST
T0=1800000000
DB=$T/rot.db

# the old key, published, and a zone for the milter's DNS
"$INKAN" dkim keygen --domain example.org --selector s1 --type ed25519 --out "$T/sk" >/dev/null
cp "$T/sk/s1.example.org.zone" "$T/dns.zone"
expect_exit 0 "$INKAN" dkim rotate example.org --selector-format 'inkan-%Y%m' --dkim ed25519 \
    --old-selector s1 --out "$T/rk" --db "$DB" --now $T0
grep -v '^;' "$T/out" >"$T/new.zone"
check "rotation started: PUBLISH_NEW" grep -q '^inkan-202701._domainkey.example.org. ' "$T/new.zone"

MPORT=$(pf_free_port)
pf_setup "$T" "$MPORT"
SPORT=$PF_SPORT
OUT=$PF_OUT
cat >"$T/milter.yaml" <<M
socket: inet:$MPORT@127.0.0.1
authserv-id: mx.example.net
dns:
  zone: dns.zone
internal-networks:
  - 127.0.0.1/32
signing:
  - {domain: example.org, selector: s1, key: sk/s1.example.org.private}
signer-user: nobody
rotations: rot.db
rotation-recheck: 1
M
sed 's/^rotations: .*/rotations: missing.db/' "$T/milter.yaml" >"$T/missing.yaml"
expect_exit 1 "$INKAN" milter --check-config "$T/missing.yaml"
check "a rotation store that cannot be read is named" grep -q "rotations $T/missing.db" "$T/err"
sed 's/^rotation-recheck: .*/rotation-recheck: 1d/' "$T/milter.yaml" >"$T/bad.yaml"
expect_exit 1 "$INKAN" milter --check-config "$T/bad.yaml"
check "a bad rotation-recheck is named with its line" grep -q "bad.yaml:11:19: rotation-recheck: '1d' is not a number of seconds" "$T/err"
expect_out_contains "ok: " "$INKAN" milter --check-config "$T/milter.yaml"
check "  ... reports the old key signing" grep -q 'rotation 1 of example.org (PUBLISH_NEW): signing with the old keys: s1' "$T/err"

trap 'pf_stop_all; wait "$MPID" 2>/dev/null; rm -rf "$TMPDIR_TEST"' EXIT
pf_up "$T/milter.yaml" "$MPORT"

# send_out ID - an outbound message from 127.0.0.1; waits for its delivery
send_out() {
    printf 'From: Alice <alice@example.org>\nTo: bob@example.net\nSubject: %s\nDate: Wed, 02 Dec 2026 10:00:00 +0000\nMessage-ID: <%s@example.org>\n\nSigned on the way out.\n' "$1" "$1" >"$T/$1.eml"
    pf_send "$1" "$T/$1.eml" alice@example.org 127.0.0.1
    pf_wait_message "$1@example.org" >/dev/null
}
# selectors ID - the s= of each DKIM-Signature of the delivered copy
selectors() {
    local f
    f=$(grep -l "^Message-ID: <$1@example.org>" "$OUT"/*.eml | head -1)
    awk '/^$/ { exit } /^[ \t]/ { printf "%s", $0; next } { if (NR > 1) print ""; printf "%s", $0 } END { print "" }' "$f" |
        tr -d '\r' | grep -i '^DKIM-Signature:' | sed -n 's/.*[; \t]s=\([^;]*\);.*/\1/p' | tr '\n' ' '
}

check "PUBLISH_NEW: delivered" send_out m1
check "  ... signed with the old selector only" test "$(selectors m1)" = "s1 "
cat "$T/new.zone" >>"$T/dns.zone"
expect_exit 0 "$INKAN" dkim rotate --advance example.org --zone "$T/dns.zone" --db "$DB" --now $((T0 + 600))
check "the rotation is ACTIVE" grep -q 'PUBLISH_NEW -> ACTIVE' "$T/out"
for _ in $(seq 100); do
    grep -q 'signing with the new keys: inkan-202701' "$T/milter.err" && break
    sleep 0.1
done
check "the milter picked the new selector up without a signal" grep -q 'the rotation store changed what signs: reloading' "$T/milter.err"
check "  ... and signs with the new key" grep -q 'rotation 1 of example.org (ACTIVE): signing with the new keys: inkan-202701$' "$T/milter.err"
check "ACTIVE: delivered" send_out m2
check "  ... signed with the new selector only" test "$(selectors m2)" = "inkan-202701 "
M2=$(grep -l '^Message-ID: <m2@example.org>' "$OUT"/*.eml | head -1)
expect_out_contains "pass d=example.org s=inkan-202701 a=ed25519-sha256" "$INKAN" dkim verify --zone "$T/dns.zone" "$M2"
SIGNER=$(pgrep -n -P "$MPID")
NEWKEY=$T/rk/inkan-202701.example.org.private
/usr/bin/python3 "$INKAN_SRC/tests/tools/keyscan.py" "$MPID" "$NEWKEY" >"$T/scan" 2>&1
check "key scan of the milter ran ($(tail -1 "$T/scan"))" grep -q '^regions [1-9]' "$T/scan"
check "  ... its own memory holds no byte of the new key" bash -c "! grep -v '^regions' '$T/scan' | awk '\$3 > 0' | grep -q ."
/usr/bin/python3 "$INKAN_SRC/tests/tools/keyscan.py" "$SIGNER" "$NEWKEY" >"$T/scan.signer" 2>&1
check "  ... the same scan finds the new key's seed in the new signer ($SIGNER)" grep -q 'inkan-202701.example.org.private seed [1-9]' "$T/scan.signer"
kill -HUP "$MPID"
for _ in $(seq 50); do
    [ "$(grep -c 'signing with the new keys' "$T/milter.err")" -ge 2 ] && break
    sleep 0.1
done
check "SIGHUP reads the rotation store again" test "$(grep -c 'signing with the new keys: inkan-202701$' "$T/milter.err")" -ge 2
check "after SIGHUP: delivered" send_out m3
check "  ... still the new selector" test "$(selectors m3)" = "inkan-202701 "

pf_down
pf_finish
