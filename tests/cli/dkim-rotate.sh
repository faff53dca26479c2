#!/bin/bash
# dkim-rotate.sh - `inkan dkim rotate` over a zone file (the one
# authoritative view) with an injected clock (--now, INKAN_NOW): start a
# rotation (RSA and Ed25519 keys under selectors from the format, private
# key files 0600, the zone lines to publish), PUBLISH_NEW waits until
# every new key is in the zone, ACTIVE keeps the old key until the
# overlap ends, RETIRE proposes the revoked record and waits for it, DONE;
# the next rotation takes the last one's keys as its old side; bad input
# is refused with a clear message.  The Knot-backed run with two name
# servers is dkim-rotate-knot.sh.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

T=$TMPDIR_TEST
DB=$T/rot.db
Z=$T/example.com.zone
T0=1800000000 # 2027-01-15 08:00:00 UTC
PY=/usr/bin/python3

# field EXPR - a Python expression over `--status example.com --json` (r: the last rotation)
field() {
    "$INKAN" dkim rotate --status example.com --json --db "$DB" 2>/dev/null |
        $PY -c 'import json,sys; r=json.load(sys.stdin)[-1]; print(eval(sys.argv[1]))' "$1"
}

base_zone() {
    {
        printf '$ORIGIN example.com.\n$TTL 300\n'
        printf '@ IN SOA ns1 hostmaster 1 3600 600 86400 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n'
        printf 's1._domainkey IN TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="\n'
    } >"$Z"
}
base_zone

# --- start ------------------------------------------------------------------
expect_exit 0 "$INKAN" dkim rotate example.com --selector-format 'inkan-%Y%m' --dkim ed25519,rsa2048 \
    --old-selector s1 --out "$T/keys" --db "$DB" --now $T0 --overlap 2d --ttl 600
cp "$T/out" "$T/publish.zone"
check "the Ed25519 record to publish" grep -q '^inkan-202701-ed25519._domainkey.example.com. 600 IN TXT "v=DKIM1; k=ed25519; p=' "$T/publish.zone"
check "the RSA record to publish" grep -q '^inkan-202701-rsa2048._domainkey.example.com. 600 IN TXT "v=DKIM1; k=rsa; p=' "$T/publish.zone"
check "the old key is to stay" grep -qF '; keep s1._domainkey.example.com published' "$T/publish.zone"
check "private keys written 0600" test "$(stat -c %a "$T/keys/inkan-202701-ed25519.example.com.private") $(stat -c %a "$T/keys/inkan-202701-rsa2048.example.com.private")" = "600 600"
check "status: PUBLISH_NEW, the old key signs" test "$(field 'r["phase"], r["signing"]')" = "('PUBLISH_NEW', ['s1'])"
check "  ... keys with their files (absolute)" test "$(field 'r["new"][1]["key_file"]')" = "$(cd "$T/keys" && pwd)/inkan-202701-rsa2048.example.com.private"
check "  ... overlap 2d, TTL 600" test "$(field 'r["overlap"], r["ttl"]')" = "(172800, 600)"
expect_exit 1 "$INKAN" dkim rotate example.com --selector-format 'x%Y%m%d' --out "$T/keys2" --db "$DB" --now $T0
check "  ... a second rotation while one runs is refused" grep -q 'rotation 1 is in phase PUBLISH_NEW' "$T/err"
check "  ... and leaves no key behind" test ! -e "$T/keys2/x20270115.example.com.private"

# --- PUBLISH_NEW waits for every key ----------------------------------------
expect_exit 3 "$INKAN" dkim rotate --advance example.com --zone "$Z" --db "$DB" --now $((T0 + 60))
check "nothing published: waits, both keys absent" grep -q 'inkan-202701-ed25519 absent inkan-202701-rsa2048 absent' "$T/out"
grep '^inkan-202701-ed25519' "$T/publish.zone" >>"$Z"
expect_exit 3 "$INKAN" dkim rotate --advance example.com --zone "$Z" --db "$DB" --now $((T0 + 400))
check "one of two keys published: still PUBLISH_NEW" test "$(field 'r["phase"]')" = PUBLISH_NEW
check "  ... says which one is missing" test "$(field 'r["detail"]')" = "$Z: inkan-202701-ed25519 key inkan-202701-rsa2048 absent (0 of 1 server ready)"
# the RSA key published with a different key is not the key
sed 's/p=MII[A-Za-z0-9+/]*/p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrong/' "$T/publish.zone" | grep '^inkan-202701-rsa2048' >"$T/wrong.line"
cp "$Z" "$T/z.good"
cat "$T/wrong.line" >>"$Z"
expect_exit 3 "$INKAN" dkim rotate --advance example.com --zone "$Z" --db "$DB" --now $((T0 + 500))
check "  ... another key under the new selector does not count" grep -q 'inkan-202701-rsa2048 other' "$T/out"
cp "$T/z.good" "$Z"
grep '^inkan-202701-rsa2048' "$T/publish.zone" >>"$Z"
INKAN_NOW=$((T0 + 700)) expect_exit 0 "$INKAN" dkim rotate --advance example.com --zone "$Z" --db "$DB"
check "both published: PUBLISH_NEW -> ACTIVE (INKAN_NOW)" grep -qF '2027-01-15 08:11:40 UTC example.com: PUBLISH_NEW -> ACTIVE' "$T/out"
check "  ... the new keys sign" test "$(field 'r["signing"]')" = "['inkan-202701-ed25519', 'inkan-202701-rsa2048']"
check "  ... active_at and retire_at" test "$(field 'r["active_at"], r["retire_at"]')" = "($((T0 + 700)), $((T0 + 700 + 172800)))"

# --- ACTIVE: the clock decides ----------------------------------------------
expect_exit 0 "$INKAN" dkim rotate --advance example.com --zone "$Z" --db "$DB" --now $((T0 + 700 + 172799))
check "one second before the overlap ends: ACTIVE" test "$(field 'r["phase"]')" = ACTIVE
check "  ... the old key still to be kept" grep -qF '; keep s1._domainkey.example.com published' "$T/out"
expect_exit 3 "$INKAN" dkim rotate --advance example.com --zone "$Z" --db "$DB" --now $((T0 + 700 + 172800))
check "overlap over: ACTIVE -> RETIRE" grep -qF 'example.com: ACTIVE -> RETIRE' "$T/out"
check "  ... proposes removing the old record" grep -qF '; remove the record of s1._domainkey.example.com and publish:' "$T/out"
check "  ... and publishing it revoked (p= empty)" grep -qF 's1._domainkey.example.com. 600 IN TXT "v=DKIM1; p="' "$T/out"
check "  ... the new keys still sign" test "$(field 'r["signing"]')" = "['inkan-202701-ed25519', 'inkan-202701-rsa2048']"

# --- RETIRE: waits until the old key is revoked -----------------------------
expect_exit 3 "$INKAN" dkim rotate --status --check --zone "$Z" --db "$DB" --now $((T0 + 200000))
check "old key still published: --status --check keeps RETIRE" test "$(field 'r["phase"]')" = RETIRE
check "  ... says so" test "$(field 'r["detail"]')" = "$Z: s1 key (0 of 1 server ready)"
sed -i 's|^s1._domainkey IN TXT .*|s1._domainkey IN TXT "v=DKIM1; k=ed25519; p="|' "$Z"
expect_exit 0 "$INKAN" dkim rotate --status --check --zone "$Z" --db "$DB" --now $((T0 + 200300))
check "revoked: RETIRE -> DONE" grep -qF 'example.com: RETIRE -> DONE' "$T/out"
check "  ... status shows DONE" grep -q '^example.com rotation 1: DONE since' "$T/out"
expect_exit 0 "$INKAN" dkim rotate --advance example.com --zone "$Z" --db "$DB" --now $((T0 + 200400))
check "DONE stays DONE" test "$(field 'r["phase"]')" = DONE

# --- the next rotation: the last one's keys are the old side -----------------
expect_exit 0 "$INKAN" dkim rotate example.com --selector-format 'k%Y%m%d' --dkim ed25519 \
    --out "$T/keys" --db "$DB" --now $((T0 + 40 * 86400))
check "single algorithm: no suffix (k20270224)" grep -q '^k20270224._domainkey.example.com. 3600 IN TXT' "$T/out"
check "  ... keeps both keys of rotation 1" test "$(grep -c '^; keep inkan-202701-' "$T/out")" = 2
check "  ... status lists both rotations" test "$("$INKAN" dkim rotate --status --json --db "$DB" | $PY -c 'import json,sys; print([(r["id"], r["phase"]) for r in json.load(sys.stdin)])')" = "[(1, 'DONE'), (2, 'PUBLISH_NEW')]"
check "  ... old key types known (ed25519, rsa)" test "$(field '[k["key_type"] for k in r["old"]]')" = "['ed25519', 'rsa']"

# --- bad input --------------------------------------------------------------
expect_exit 2 "$INKAN" dkim rotate example.org --selector-format 'x%q' --out "$T/k3" --db "$DB"
check "unknown token: named with its offset" grep -q "unknown token.*at byte 1" "$T/err"
expect_exit 2 "$INKAN" dkim rotate example.org --selector-format 's1' --old-selector s1 --dkim ed25519 --out "$T/k3" --db "$DB"
check "a format giving the old selector is refused" grep -q "the selector of a key being replaced" "$T/err"
check "  ... no key left behind" test ! -e "$T/k3/s1.example.org.private"
expect_exit 2 "$INKAN" dkim rotate example.org --selector-format 'x' --dkim ed25519,rsa2048 --out "$T/k3" --db "$DB" --overlap 7x
check "--overlap 7x refused" grep -q -- "--overlap: '7x' is not a duration" "$T/err"
expect_exit 2 "$INKAN" dkim rotate example.org --selector-format 'x' --out "$T/k3" --db "$DB" --overlap 400d
expect_exit 2 "$INKAN" dkim rotate 'exa_mple.org' --selector-format 'x' --out "$T/k3" --db "$DB"
check "a bad domain is named" grep -q "is not a domain name" "$T/err"
expect_exit 1 "$INKAN" dkim rotate --advance nothing.example --zone "$Z" --db "$DB"
check "advance without a rotation says so" grep -q "nothing.example: no rotation" "$T/err"
expect_exit 2 "$INKAN" dkim rotate --advance --status example.com --db "$DB"
expect_exit 2 "$INKAN" dkim rotate --check example.com --db "$DB"
expect_exit 2 "$INKAN" dkim rotate example.com --db "$DB"
expect_exit 0 "$INKAN" dkim rotate --status nothing.example --db "$DB"
check "status of a domain without rotations" grep -qx "no rotation of nothing.example" "$T/out"
expect_out_contains "--selector-format FMT" "$INKAN" dkim rotate --help

finish
