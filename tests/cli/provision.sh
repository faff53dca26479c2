#!/bin/bash
# provision.sh - `inkan provision` and `inkan domain` over zone files
# (--zone: before publication): the files written, key modes, the SPF
# merge, profile errors with line:column, the state machine through the
# CLI with an injected clock (INKAN_NOW / --now), and bad input.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

T=$TMPDIR_TEST
P=$INKAN_SRC/examples/profiles
DB=$T/state.db
T0=1800000000

cat >"$T/example.com.zone" <<'EOF'
$ORIGIN example.com.
$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 86400 60
@ IN NS ns1
ns1 IN A 192.0.2.53
@ IN MX 10 mail.example.com.
mail IN A 192.0.2.25
@ IN TXT "v=spf1 mx include:_spf.example.org -all"
EOF

# --- provision: the three example profiles -------------------------------
expect_exit 0 "$INKAN" provision example.com --profile "$P/include-bounce.yaml" \
    --zone "$T/example.com.zone" --out "$T/a"
for f in example.com.zone records.json CHECKLIST.txt; do
    check "include-bounce wrote $f" test -s "$T/a/$f"
done
check "SPF merged before -all, existing terms kept" \
    grep -qF 'example.com. 3600 IN TXT "v=spf1 mx include:_spf.example.org include:_spf.mail.example.net -all"' "$T/a/example.com.zone"
check "never a second SPF record: the old one is replaced, not added" \
    grep -qF 'replace the TXT record now published' "$T/a/example.com.zone"
check "bounce CNAME" grep -qF 'bounce.example.com. 3600 IN CNAME bounces.mail.example.net.' "$T/a/example.com.zone"
check "DMARC p=none with reporting" grep -qF '_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com"' "$T/a/example.com.zone"
check "checklist says not to add a second SPF record" grep -qF 'do not add a second' "$T/a/CHECKLIST.txt"
check "records.json is JSON with verification data" \
    /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["domain"]=="example.com"; assert all("verify" in r for r in d["records"])' "$T/a/records.json"

expect_exit 0 "$INKAN" provision example.com --profile "$P/keys-tracking-ips.yaml" \
    --dkim ed25519,rsa2048 --zone "$T/example.com.zone" --out "$T/b"
for s in helpdesk1-ed25519 helpdesk1-rsa2048 helpdesk2-ed25519 helpdesk2-rsa2048; do
    check "key $s written with mode 0600" test "$(stat -c %a "$T/b/$s.private")" = 600
    check "key $s is a PEM private key" grep -q 'BEGIN PRIVATE KEY' "$T/b/$s.private"
    check "key $s published in the fragment" grep -q "^$s._domainkey.example.com. 3600 IN TXT \"v=DKIM1; k=" "$T/b/example.com.zone"
done
check "IP ranges merged" grep -qF 'ip4:192.0.2.0/24 ip4:198.51.100.16/28 ip6:2001:db8:40::/48 -all' "$T/b/example.com.zone"
check "tracking CNAME" grep -qF 'links.example.com. 3600 IN CNAME track.helpdesk.example.org.' "$T/b/example.com.zone"
# the private key fits the published record (dkim testkey uses the zone)
cat "$T/example.com.zone" "$T/b/example.com.zone" >"$T/b.zone"
expect_exit 0 "$INKAN" dkim testkey --zone "$T/b.zone" --key "$T/b/helpdesk1-ed25519.private" \
    --selector helpdesk1-ed25519 --domain example.com
# keys are never overwritten without --force: a re-run reuses them
cp "$T/b/helpdesk1-ed25519.private" "$T/key-before"
expect_exit 0 "$INKAN" provision example.com --profile "$P/keys-tracking-ips.yaml" \
    --dkim ed25519,rsa2048 --zone "$T/example.com.zone" --out "$T/b"
expect_err_contains "reusing the existing key" "$INKAN" provision example.com --profile "$P/keys-tracking-ips.yaml" \
    --dkim ed25519,rsa2048 --zone "$T/example.com.zone" --out "$T/b"
check "re-run: the key file is untouched" cmp -s "$T/key-before" "$T/b/helpdesk1-ed25519.private"
# ... and nothing is written when one of them is there and is no key
mkdir -p "$T/b2" && : >"$T/b2/helpdesk2-rsa2048.private"
expect_exit 1 "$INKAN" provision example.com --profile "$P/keys-tracking-ips.yaml" \
    --dkim ed25519,rsa2048 --zone "$T/example.com.zone" --out "$T/b2"
check "no key written beside an existing one" test ! -e "$T/b2/helpdesk1-ed25519.private"

expect_exit 0 "$INKAN" provision example.com --profile "$P/engagement-subdomain.yaml" \
    --zone "$T/example.com.zone" --out "$T/c"
check "engagement: SPF on the sending subdomain" grep -qF 'em.example.com. 3600 IN TXT "v=spf1 include:spf.engage.example.net ip4:203.0.113.0/24 -all"' "$T/c/example.com.zone"
check "engagement: MX on the subdomain" grep -qF 'em.example.com. 3600 IN MX 10 mx1.engage.example.net.' "$T/c/example.com.zone"
check "engagement: DKIM CNAME" grep -qF 'eng1._domainkey.em.example.com. 3600 IN CNAME eng1.dkim.engage.example.net.' "$T/c/example.com.zone"
check "engagement: click CNAME" grep -qF 'click.em.example.com. 3600 IN CNAME click.engage.example.net.' "$T/c/example.com.zone"
check "engagement: outside rua authorization named" grep -qF 'example.com._report._dmarc.engage.example.net' "$T/c/CHECKLIST.txt"
expect_out_contains '"sending_domain": "mail.example.com"' "$INKAN" provision example.com \
    --profile "$P/engagement-subdomain.yaml" --subdomain mail --zone "$T/example.com.zone" --out "$T/c2" --json

# an MX on the domain itself that already takes mail: exit 4, said why
cat >"$T/mx.yaml" <<'EOF'
profile: 1
name: MX on the apex
mx:
  hosts:
    - {preference: 5, exchange: in.example.net}
EOF
expect_exit 4 "$INKAN" provision example.com --profile "$T/mx.yaml" --zone "$T/example.com.zone" --out "$T/d"
expect_out_contains "--subdomain" "$INKAN" provision example.com --profile "$T/mx.yaml" --zone "$T/example.com.zone" --out "$T/d"

# a merge that passes 10 lookups: said, with the smallest fix (SPF lint
# walks the include tree: mx 1 + a 1 + big 6 + small 2 + platform 3 = 13)
cat >"$T/deep.zone" <<'EOF'
$ORIGIN example.com.
$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 86400 60
@ IN NS ns1
ns1 IN A 192.0.2.53
@ IN TXT "v=spf1 mx a include:big.example.org include:small.example.org ~all"
@ IN MX 10 mail
mail IN A 192.0.2.25
$ORIGIN example.org.
big IN TXT "v=spf1 include:b1.example.org include:b2.example.org include:b3.example.org include:b4.example.org -all"
b1 IN TXT "v=spf1 ip4:192.0.2.1 -all"
b2 IN TXT "v=spf1 ip4:192.0.2.2 -all"
b3 IN TXT "v=spf1 ip4:192.0.2.3 -all"
b4 IN TXT "v=spf1 a:x.example.org -all"
x IN A 192.0.2.9
small IN TXT "v=spf1 include:s1.example.org -all"
s1 IN TXT "v=spf1 ip4:198.51.100.1 -all"
$ORIGIN example.net.
_spf.mail IN TXT "v=spf1 include:p1.example.net include:p2.example.net -all"
p1 IN TXT "v=spf1 ip4:203.0.113.1 -all"
p2 IN TXT "v=spf1 ip4:203.0.113.2 -all"
EOF
expect_exit 4 "$INKAN" provision example.com --profile "$P/include-bounce.yaml" --zone "$T/deep.zone" --out "$T/deep1"
expect_out_contains "needs 13 DNS lookups, over the limit of 10" "$INKAN" provision example.com \
    --profile "$P/include-bounce.yaml" --zone "$T/deep.zone" --out "$T/deep2"
expect_out_contains "--subdomain NAME" cat "$T/deep2/CHECKLIST.txt"
expect_out_contains "replace include:big.example.org (6 lookups)" cat "$T/deep2/CHECKLIST.txt"
expect_out_contains '"code": "spf-too-many-lookups"' cat "$T/deep2/records.json"
# on a sending subdomain the platform's record stands alone: within the limit
expect_exit 0 "$INKAN" provision example.com --profile "$P/include-bounce.yaml" --subdomain mail \
    --zone "$T/deep.zone" --out "$T/deep3"

# --- bad input -------------------------------------------------------------
printf 'profile: 1\nname: x\nspf:\n  inclde: a.example.net\n' >"$T/bad.yaml"
expect_exit 1 "$INKAN" provision example.com --profile "$T/bad.yaml" --zone "$T/example.com.zone" --out "$T/e"
expect_err_contains "bad.yaml:4:3: spf: unknown key 'inclde'" "$INKAN" provision example.com --profile "$T/bad.yaml" --zone "$T/example.com.zone" --out "$T/e"
expect_exit 1 "$INKAN" provision example.com --profile "$T/missing.yaml" --zone "$T/example.com.zone" --out "$T/e"
expect_exit 2 "$INKAN" provision example.com --profile "$P/include-bounce.yaml"
expect_exit 2 "$INKAN" provision example.com --profile "$P/include-bounce.yaml" --out "$T/e" --dkim rsa512
expect_exit 2 "$INKAN" provision localhost --profile "$P/include-bounce.yaml" --out "$T/e" --zone "$T/example.com.zone"
expect_exit 2 "$INKAN" domain
expect_exit 2 "$INKAN" domain frobnicate
expect_exit 2 "$INKAN" domain verify --db "$DB"
expect_exit 2 "$INKAN" domain add example.com --db "$DB"
expect_exit 1 "$INKAN" domain verify nowhere.example --db "$DB" --zone "$T/example.com.zone"
expect_exit 2 "$INKAN" domain status --db "$DB" --now yesterday
expect_exit 0 "$INKAN" domain --help

# --- domain: NOT_STARTED -> PENDING -> VERIFIED, over the zone file -------
expect_exit 0 "$INKAN" domain add example.com --out "$T/a" --db "$DB" --now $T0
expect_out_contains "NOT_STARTED" "$INKAN" domain status example.com --db "$DB" --now $T0
expect_exit 1 "$INKAN" domain add example.com --out "$T/a" --db "$DB" --now $T0
expect_exit 3 "$INKAN" domain verify example.com --db "$DB" --zone "$T/example.com.zone" --now $T0
expect_out_contains '"state": "PENDING"' "$INKAN" domain status example.com --json --db "$DB"
# publish the fragment (and drop the old SPF record as the checklist says)
grep -v 'v=spf1 mx include:_spf.example.org -all' "$T/example.com.zone" >"$T/pub.zone"
cat "$T/a/example.com.zone" >>"$T/pub.zone"
expect_exit 0 "$INKAN" domain verify example.com --db "$DB" --zone "$T/pub.zone" --now $((T0 + 600))
expect_out_contains "example.com: PENDING -> VERIFIED" "$INKAN" domain status example.com --db "$DB"
expect_out_contains "VERIFIED" "$INKAN" domain list --db "$DB"

# --- never published: FAILURE after 72 hours (simulated) ------------------
expect_exit 0 "$INKAN" domain add example.org --profile "$P/include-bounce.yaml" --db "$DB" --now $T0
expect_exit 3 "$INKAN" domain verify example.org --db "$DB" --zone "$T/example.com.zone" --now $T0
expect_exit 3 "$INKAN" domain verify example.org --db "$DB" --zone "$T/example.com.zone" --now $((T0 + 71 * 3600))
INKAN_NOW=$((T0 + 72 * 3600)) expect_exit 4 "$INKAN" domain verify example.org --db "$DB" --zone "$T/example.com.zone"
expect_out_contains '"state": "FAILURE"' "$INKAN" domain status example.org --json --db "$DB"
expect_out_contains "PENDING -> FAILURE" "$INKAN" domain status example.org --db "$DB"
# a FAILURE domain is no longer polled by watch
expect_exit 0 "$INKAN" domain watch --once --db "$DB" --zone "$T/example.com.zone" --now $((T0 + 100 * 3600))
expect_out_contains "FAILURE" "$INKAN" domain list --db "$DB"
expect_exit 0 "$INKAN" domain remove example.org --db "$DB"
expect_exit 1 "$INKAN" domain remove example.org --db "$DB"

# --- watch over a zone file re-reads it: edits made while it runs show -----
printf '$ORIGIN example.net.\n@ 300 IN SOA ns1 h 1 3600 600 86400 60\n@ 300 IN NS ns1\nns1 300 IN A 192.0.2.53\n' >"$T/watch.zone"
expect_exit 0 "$INKAN" domain add example.net --profile "$P/include-bounce.yaml" --db "$DB" --now $T0
(
    export INKAN_CLOCK_REF=$(date +%s) INKAN_CLOCK_SPEED=600 INKAN_NOW=$T0
    exec "$INKAN" domain watch --db "$DB" --zone "$T/watch.zone" >"$T/watch.log" 2>&1
) &
WPID=$!
for i in $(seq 1 50); do grep -q 'example.net: NOT_STARTED -> PENDING' "$T/watch.log" && break; sleep 0.2; done
check "watch over a zone file: PENDING" grep -q 'example.net: NOT_STARTED -> PENDING' "$T/watch.log"
cat >>"$T/watch.zone" <<'EOF'
@ 300 IN TXT "v=spf1 include:_spf.mail.example.net -all"
bounce 300 IN CNAME bounces.mail.example.net.
_dmarc 300 IN TXT "v=DMARC1; p=none"
EOF
for i in $(seq 1 100); do grep -q 'example.net: PENDING -> VERIFIED' "$T/watch.log" && break; sleep 0.2; done
check "watch over a zone file: the edit is seen (VERIFIED)" grep -q 'example.net: PENDING -> VERIFIED' "$T/watch.log"
kill -TERM $WPID
wait $WPID
check "watch exits 0 on SIGTERM" test $? = 0

# --- the database: schema versioned, a newer one refused --------------------
check "schema version 8 (2: DMARC reports, 3: failure reports, 4: reverse-name results, 5: API tokens, 6: DKIM key rotations, 7: inbound evaluations, 8: marks on report sources)" test "$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA user_version").fetchone()[0])' "$DB")" = 8
cp "$DB" "$T/newer.db"
/usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA user_version = 99"); c.commit()' "$T/newer.db"
expect_err_contains "newer than this inkan reads" "$INKAN" domain list --db "$T/newer.db"
printf 'this is not a database at all, just text\n%.0s' $(seq 1 200) >"$T/junk.db"
expect_exit 1 "$INKAN" domain list --db "$T/junk.db"
# the default database lives under XDG_DATA_HOME
XDG_DATA_HOME=$T/xdg expect_exit 0 "$INKAN" domain add example.com --profile "$P/include-bounce.yaml" --now $T0
check "default database under \$XDG_DATA_HOME/inkan" test -s "$T/xdg/inkan/inkan.db"

finish
