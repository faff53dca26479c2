#!/bin/bash
# check.sh - `inkan check` over a set of broken example zones: each broken
# domain yields the right finding with the right severity and a fix; the
# fixes are applied to the zone and a second check shows the finding gone.
# Also: exit codes, text output grouped by area, --json shape, bulk --file
# (JSON Lines, no progress bar when piped), PSL mode, usage errors.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
PY=/usr/bin/python3
Z=$TMPDIR_TEST/zones
mkdir -p "$Z" "$TMPDIR_TEST/keys"
$PY "$INKAN_SRC/tests/cli/check_zones.py" gen "$Z" || { echo "not ok - zone generation"; exit 1; }

# case DOMAIN CODE SEVERITY EXIT [inkan check options...]
#   the finding is there with a fix; after applying every fix it is gone
case_fix() {
    local dom=$1 code=$2 sev=$3 want=$4; shift 4
    local rep=$TMPDIR_TEST/$dom.json fixed=$TMPDIR_TEST/$dom.fixed.zone rc
    "$INKAN" check --zone "$Z/all.zone" --json "$dom" "$@" >"$rep" 2>"$TMPDIR_TEST/err"
    rc=$?
    if [ "$rc" = "$want" ]; then _ok "$dom: exit $want"
    else _notok "$dom: exit $rc (wanted $want)"; head -3 "$TMPDIR_TEST/err" | sed 's/^/#   /'; fi
    check "$dom: $sev $code with a fix" $PY "$INKAN_SRC/tests/cli/check_zones.py" expect "$rep" "$code" "$sev"
    check "$dom: fixes apply" $PY "$INKAN_SRC/tests/cli/check_zones.py" apply "$rep" "$Z/all.zone" "$fixed"
    "$INKAN" check --zone "$fixed" --json "$dom" "$@" >"$rep.2" 2>"$TMPDIR_TEST/err"
    check "$dom: $code gone after the fix" $PY "$INKAN_SRC/tests/cli/check_zones.py" absent "$rep.2" "$code"
}

case_fix twospf.example   duplicate-records        error   4
case_fix lookups.example  too-many-lookups         error   4
case_fix passall.example  pass-all                 error   4
case_fix nodmarc.example  dmarc-missing            error   4
case_fix nop.example      missing-p                warning 3
case_fix nopolicy.example no-policy                error   4
case_fix extrua.example   report-dest-unauthorized warning 3
case_fix weakdkim.example dkim-weak-key            error   4 --selector s512 --dkim-keygen "$TMPDIR_TEST/keys"
case_fix testing.example  dkim-testing             warning 3 --selector sel
case_fix cname.example    cname-mismatch           error   4 --cname click=track.platform.example
case_fix nomx.example     mx-missing               error   4
case_fix ptr.example      ptr-mismatch             error   4 --ip 192.0.2.77 --helo mail.ptr.example

# the generated key is written where --dkim-keygen says, private
check "private key written for s512" test -s "$TMPDIR_TEST/keys/s512.weakdkim.example.pem"
check "private key mode 0600" test "$(stat -c %a "$TMPDIR_TEST/keys/s512.weakdkim.example.pem")" = 600

# a clean domain: exit 0, nothing but information
expect_exit 0 "$INKAN" check --zone "$Z/all.zone" good.example --ip 192.0.2.25 --helo mx.infra.example --no-info
expect_out_contains "spf-include-missing" "$INKAN" check --zone "$Z/all.zone" good.example --include other.example
expect_exit 4 "$INKAN" check --zone "$Z/all.zone" good.example --ip 198.51.100.1
expect_out_contains "spf-ip-not-authorized" "$INKAN" check --zone "$Z/all.zone" good.example --ip 198.51.100.0/30

# text output: grouped by area, no colour when piped, the fix shown
expect_out_contains "dmarc-missing" "$INKAN" check --zone "$Z/all.zone" nodmarc.example
expect_out_contains "fix: _dmarc.nodmarc.example. 3600 IN TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@nodmarc.example\"" \
    "$INKAN" check --zone "$Z/all.zone" nodmarc.example
"$INKAN" check --zone "$Z/all.zone" nodmarc.example >"$TMPDIR_TEST/t.txt" 2>&1
check "no escape sequences when piped" bash -c "! grep -q $'\\033' '$TMPDIR_TEST/t.txt'"
check "text has an area header" grep -qx "dmarc" "$TMPDIR_TEST/t.txt"
expect_out_contains "rua=mailto:agg@nodmarc.example" \
    "$INKAN" check --zone "$Z/all.zone" nodmarc.example --rua mailto:agg@nodmarc.example

# --json shape
"$INKAN" check --zone "$Z/all.zone" --json twospf.example >"$TMPDIR_TEST/j.json"
check "json has domain, findings, records" $PY -c "
import json,sys
d=json.load(open('$TMPDIR_TEST/j.json'))
assert d['domain']=='twospf.example'
assert all(set(('severity','area','code','message','fix','subject'))<=set(f) for f in d['findings'])
assert any(r['data'].startswith('v=spf1') for r in d['records']['spf'])
assert d['summary']['errors']>=1
"

# bulk: JSON Lines, one per domain, worst exit, no progress when piped
printf '# test list\ngood.example\ntwospf.example\n\nnodmarc.example  # comment\nnot a domain\n' >"$TMPDIR_TEST/list"
"$INKAN" check --zone "$Z/all.zone" --file "$TMPDIR_TEST/list" --json --concurrency 2 \
    >"$TMPDIR_TEST/bulk.jsonl" 2>"$TMPDIR_TEST/bulk.err"
rc=$?
check "bulk exit 4" test "$rc" = 4
check "bulk: 4 JSON lines" $PY -c "
import json
lines=open('$TMPDIR_TEST/bulk.jsonl').read().splitlines()
assert len(lines)==4, len(lines)
doms=sorted(json.loads(l)['domain'] for l in lines)
assert doms==['good.example','nodmarc.example','not a domain','twospf.example'], doms
"
check "bulk: reports in the order of the list" $PY -c "
import json
doms=[json.loads(l)['domain'] for l in open('$TMPDIR_TEST/bulk.jsonl')]
assert doms==['good.example','twospf.example','nodmarc.example','not a domain'], doms
"
check "bulk: no progress bar when not a terminal" test ! -s "$TMPDIR_TEST/bulk.err"
expect_exit 1 "$INKAN" check --zone "$Z/all.zone" --file "$TMPDIR_TEST/no-such-file"

# PSL mode: the organizational domain from the public suffix list
expect_out_contains "dmarc-inherited" "$INKAN" check --zone "$Z/all.zone" sub.good.example --org-domain treewalk
expect_exit 2 "$INKAN" check --zone "$Z/all.zone" good.example --org-domain nonsense
expect_exit 1 "$INKAN" check --zone "$Z/all.zone" good.example --org-domain psl --psl /no/such/list

# a sending subdomain and a sender profile: two reports, the profile's
# expectations checked on the sending subdomain
EX=$INKAN_SRC/examples/example.zone
PROF=$INKAN_SRC/examples/profiles/engagement-subdomain.yaml
expect_exit 4 "$INKAN" check --zone "$EX" example.com --profile "$PROF"
"$INKAN" check --zone "$EX" example.com --profile "$PROF" --json >"$TMPDIR_TEST/p.jsonl"
check "profile: a report for the domain and one for em.example.com" $PY -c "
import json
r=[json.loads(l) for l in open('$TMPDIR_TEST/p.jsonl')]
assert [x['domain'] for x in r]==['example.com','em.example.com'], [x['domain'] for x in r]
codes={(f['code'],f['subject']) for f in r[1]['findings']}
assert ('cname-missing','click.em.example.com') in codes, codes
assert ('cname-missing','eng1._domainkey.em.example.com') in codes, codes
assert ('spf-include-missing','em.example.com') in codes, codes
assert r[0]['summary']['errors']==0, r[0]['summary']
"
expect_out_contains "cname-missing (bounce.www.example.com)" "$INKAN" check --zone "$EX" example.com \
    --profile "$INKAN_SRC/examples/profiles/include-bounce.yaml" --subdomain www
expect_exit 1 "$INKAN" check --zone "$EX" example.com --profile /no/such/profile.yaml
expect_exit 2 "$INKAN" check --zone "$EX" example.com --subdomain "bad..name"

# usage
expect_exit 2 "$INKAN" check
expect_exit 2 "$INKAN" check a.example b.example
expect_exit 2 "$INKAN" check --ip 300.1.1.1 good.example
expect_exit 2 "$INKAN" check --cname nonsense good.example
expect_exit 0 "$INKAN" check --help
# a dead DNS server: temporary errors, a warning exit, no hang
if "$INKAN" check --dns 127.0.0.1:9 --timeout 0.5 good.example 2>&1 | grep -q "not built"; then
    echo "# skipped: the libunbound backend is not built"
else
    expect_exit 3 "$INKAN" check --dns 127.0.0.1:9 --timeout 0.5 good.example --no-info
fi

# --- the README's example of a broken domain (examples/broken.zone) ---
BZ=$INKAN_SRC/examples/broken.zone
expect_exit 4 "$INKAN" check --zone "$BZ" example.org --selector s1
expect_out_contains 'error   duplicate-records (example.org)' "$INKAN" check --zone "$BZ" example.org --selector s1
expect_out_contains 'warning dkim-testing' "$INKAN" check --zone "$BZ" example.org --selector s1
expect_out_contains 'error   mx-missing (example.org)' "$INKAN" check --zone "$BZ" example.org --selector s1
# a merge of duplicate records never proposes the +all one of them had
expect_out_contains 'fix: example.org. 3600 IN TXT "v=spf1 include:_spf.example.net ip4:203.0.113.0/24 ~all"' \
    "$INKAN" check --zone "$BZ" example.org --selector s1
finish
