#!/bin/bash
# report-advise.sh - 'inkan report advise': the DNS change that fixes each
# legitimate failing source, as zone-file lines, over a real report
# (tests/data/advise/example.com.xml) and the records a zone file says
# example.com publishes now (an SPF record with includes already, a DMARC
# record with aspf=s).  The printed lines are fed back as a zone: the SPF
# lint reads exactly the merged record from it, and advise run over it has
# nothing left to change.  Also: the lint's lookup-limit warning, no SPF
# record, --no-dns (the current record is never invented) and a DNS
# server that does not answer.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

T=$TMPDIR_TEST
D=$INKAN_SRC/tests/data/advise
PF=$INKAN_SRC/data/platforms.yaml
DB=$T/a.db
OLD='v=spf1 mx include:_spf.partner.test include:spf.crm.test ~all'
NEW='v=spf1 mx include:_spf.partner.test include:spf.crm.test include:bounces.example-esp.test ~all'

"$INKAN" report import --db "$DB" "$D/example.com.xml" >/dev/null 2>&1
check "import the fixture" test $? = 0

# --- text: each change as zone-file lines ------------------------------------
"$INKAN" report advise --zone "$D/example.com.zone" --db "$DB" --platforms "$PF" example.com \
    >"$T/text" 2>"$T/text.err"
check "advise --zone: exit 0" test $? = 0
check "  ... nothing on stderr" test ! -s "$T/text.err"
check "  ... the platform's source needs the include and the selector" \
    grep -qx '      change 1: SPF: merge include:bounces.example-esp.test' "$T/text"
check "  ... the old SPF record shown as what the change replaces" \
    grep -qxF "      ; replaces: example.com. IN TXT \"$OLD\"" "$T/text"
check "  ... the new SPF line: the include merged before ~all, every old term kept" \
    grep -qxF "      example.com. IN TXT \"$NEW\"" "$T/text"
check "  ... its lookups counted by the lint (mx + 3 includes)" \
    grep -qx '      ; DNS lookups of the new record: 4 (limit 10)' "$T/text"
check "  ... no lookup warning under the limit" bash -c "! grep -q 'warning:' '$T/text'"
check "  ... the DKIM selector the platform signs with, as a CNAME to its key" \
    grep -qx '      k7._domainkey.example.com. IN CNAME k7._domainkey.example-esp.test.' "$T/text"
check "  ... strict SPF alignment: the source passing for mail.example.com" \
    test "$(grep -A1 '^    198.51.100.20 ' "$T/text" | tail -n 1)" = '      change 3: DMARC: set aspf=r'
check "  ... the new _dmarc line, every other tag as it was" \
    grep -qxF '      _dmarc.example.com. IN TXT "v=DMARC1; p=none; aspf=r; rua=mailto:dmarc@example.com"' "$T/text"
check "  ... the spoofing source gets no change" bash -c "! grep -q '198.51.100.66' '$T/text'"

# --- JSON: the same changes as fields ----------------------------------------
"$INKAN" report advise --zone "$D/example.com.zone" --db "$DB" --platforms "$PF" --json \
    example.com >"$T/a.json"
check "advise --json: exit 0" test $? = 0
j() { jq -r "$1" "$T/a.json"; }
check "json: the existing fields stay (ip, failing, spf_pass_domains, platform)" \
    test "$(j '.domains[0].fix[0] | "\(.ip) \(.failing) \(.spf_pass_domains) \(.platform)"')" = \
    "203.0.113.5 12 bounces.example-esp.test example-newsletter-platform"
check "json: three changes: spf, dkim-selector, dmarc-alignment" \
    test "$(j '[.domains[0].changes[].kind] | join(" ")')" = "spf dkim-selector dmarc-alignment"
check "json: the SPF change's old and new values" \
    test "$(j '.domains[0].changes[0] | "\(.owner)|\(.type)|\(.old_state)|\(.old_value)|\(.new_value)|\(.lookups)"')" = \
    "example.com.|TXT|found|$OLD|$NEW|4"
check "json: the source's own changes are 1 and 2" \
    test "$(j '[.domains[0].fix[0].dns[].change] | map(tostring) | join(",")')" = "1,2"
check "json: the zone line of the DKIM change" \
    test "$(j '.domains[0].changes[1].zone_line')" = "k7._domainkey.example.com. IN CNAME k7._domainkey.example-esp.test."

# --- the printed lines, fed back as the zone ---------------------------------
# example.com's SPF and _dmarc lines replaced by the ones printed, the
# CNAME added (and the key it points at, as the platform publishes it)
{
    grep -v -e '^@        IN TXT' -e '^_dmarc' "$D/example.com.zone" | sed '/^\$ORIGIN partner.test./,$d'
    grep -e '^      example.com. IN TXT' -e '^      _dmarc.example.com. IN TXT' \
        -e '^      k7._domainkey.example.com. IN CNAME' "$T/text" | sed 's/^      //'
    sed -n '/^\$ORIGIN partner.test./,$p' "$D/example.com.zone"
    echo 'k7._domainkey IN TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"'
} >"$T/fixed.zone"
check "the fixed zone holds the three printed lines" test "$(grep -c '^[a-z0-9_.]*example.com. IN ' "$T/fixed.zone")" = 3
"$INKAN" spf lint --zone "$T/fixed.zone" --json example.com >"$T/lint.json" 2>"$T/lint.err"
check "spf lint over the fixed zone: exit 0" test $? = 0
check "  ... reads exactly the merged record" test "$(jq -r .record "$T/lint.json")" = "$NEW"
check "  ... with 4 lookups and no error" \
    test "$(jq -r '"\(.lookups) \([.findings[] | select(.severity == "error")] | length)"' "$T/lint.json")" = "4 0"
expect_out_contains "k7._domainkey.example-esp.test" "$INKAN" dns --zone "$T/fixed.zone" k7._domainkey.example.com TXT
"$INKAN" report advise --zone "$T/fixed.zone" --db "$DB" --platforms "$PF" --json example.com >"$T/again.json"
check "advise over the fixed zone: no SPF or DMARC change left, the DKIM one unchanged" \
    test "$(jq -r '[.domains[0].changes[].kind] | join(" ")' "$T/again.json")" = "dkim-selector"
check "  ... the include is there already (the return path is what is left)" \
    test "$(jq -r '.domains[0].fix[0].spf_included' "$T/again.json")" = true

# --- over the lookup limit: the lint's warning -------------------------------
"$INKAN" report advise --zone "$D/many-lookups.zone" --db "$DB" --platforms "$PF" example.com >"$T/many" 2>&1
check "many lookups: 11 counted" grep -qx '      ; DNS lookups of the new record: 11 (limit 10)' "$T/many"
check "  ... the lint's too-many-lookups message as a warning" \
    grep -q '^      ; warning: 11 DNS-querying terms through the include/redirect tree, over the limit of 10' "$T/many"
check "  ... aspf=r published: no alignment change" bash -c "! grep -q 'DMARC: set' '$T/many'"

# --- no SPF record: a new one, said to be new --------------------------------
grep -v '^@        IN TXT' "$D/example.com.zone" >"$T/nospf.zone"
"$INKAN" report advise --zone "$T/nospf.zone" --db "$DB" --platforms "$PF" --json example.com >"$T/nospf.json"
check "no SPF record: a new record with the include" \
    test "$(jq -r '.domains[0].changes[0] | "\(.old_state)|\(.old_value)|\(.new_value)"' "$T/nospf.json")" = \
    "none|null|v=spf1 include:bounces.example-esp.test ~all"
check "  ... and a note that it authorizes only that" \
    test "$(jq -r '.domains[0].changes[0].note | test("publishes no SPF record")' "$T/nospf.json")" = true

# --- --no-dns: the current records are not read, and never invented ----------
"$INKAN" report advise --no-dns --db "$DB" --platforms "$PF" example.com >"$T/nodns" 2>&1
check "--no-dns: exit 0" test $? = 0
check "  ... says the current SPF record could not be read, and what to merge" \
    grep -q '; the current SPF record of example.com could not be read: not looked up; merge include:bounces.example-esp.test into it' "$T/nodns"
check "  ... and the DMARC record" \
    grep -q '; the current DMARC record of example.com could not be read: not looked up; if it says strict alignment, set aspf=r' "$T/nodns"
check "  ... no TXT line invented" bash -c "! grep -q ' IN TXT ' '$T/nodns'"
check "  ... the DKIM CNAME still (it needs no current record)" \
    grep -qx '      k7._domainkey.example.com. IN CNAME k7._domainkey.example-esp.test.' "$T/nodns"
"$INKAN" report advise --no-dns --db "$DB" --platforms "$PF" --json example.com >"$T/nodns.json"
check "--no-dns --json: old and new values null, old_state unknown" \
    test "$(jq -r '.domains[0].changes[0] | "\(.old_state) \(.old_value) \(.new_value) \(.zone_line)"' "$T/nodns.json")" = \
    "unknown null null null"

# --- a DNS server that does not answer ---------------------------------------
"$INKAN" report advise --dns 127.0.0.1:9 --timeout 1 --db "$DB" --platforms "$PF" example.com >"$T/dead" 2>"$T/dead.err"
check "dead --dns: exit 0" test $? = 0
check "  ... the current SPF record could not be read (a temporary failure)" \
    grep -q 'the current SPF record of example.com could not be read: a temporary DNS failure' "$T/dead"
check "  ... no TXT line invented" bash -c "! grep -q ' IN TXT ' '$T/dead'"

# --- a policy domain no record can be published at: readiness still shown -----
sed -e 's|<domain>example.com</domain><adkim>|<domain>localhost</domain><adkim>|' \
    -e 's/advise-1/advise-local/' "$D/example.com.xml" >"$T/local.xml"
"$INKAN" report import --db "$T/l.db" "$T/local.xml" >/dev/null 2>&1
"$INKAN" report advise --no-dns --db "$T/l.db" localhost >"$T/local" 2>"$T/local.err"
check "a domain without a dot: exit 0" test $? = 0
check "  ... its readiness and sources printed" grep -q '^    203.0.113.5 .* 12 failing' "$T/local"
check "  ... no DNS change, and a note saying why" \
    grep -q "note: no DNS changes for localhost: 'localhost' is not a domain name" "$T/local.err"
check "  ... no zone line" bash -c "! grep -q ' IN ' '$T/local'"

finish
