#!/bin/bash
# report.sh - 'inkan report import' and 'summary' against a real SQLite
# store: a directory of mixed reports (XML of both formats, .xml.gz, .zip,
# sloppy, refused) imported twice (the second time every report is a
# duplicate, and the summary is unchanged); hostile inputs (billion laughs,
# XXE naming /etc/passwd, a zip bomb, a gzip of zeros, invalid UTF-8) each
# refused with a clear message in bounded time; stdin; a SIGKILL during a
# large import leaves no half report and a re-run finishes the job.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

T=$TMPDIR_TEST
D=$INKAN_SRC/tests/data/reports
DB=$T/r.db
mkdir -p "$T/in/sub"
cp "$D/rfc7489-google.xml" "$D/sloppy.xml" "$D/no-report-id.xml" "$T/in/"
gzip -c "$D/rfc9990-sample.xml" >"$T/in/sub/reporter-two.xml.gz"
(cd "$D" && zip -q "$T/in/sub/other.zip" other-domain.xml)

# --- a mixed directory, twice -------------------------------------------------
"$INKAN" report import --db "$DB" "$T/in" >"$T/first" 2>&1
rc=$?
check "first import: exit 3 (one refused, the rest imported)" test $rc = 3
check "first import: 4 imported, 1 refused" grep -q '^imported 4, duplicates 0, refused 1, failed 0$' "$T/first"
check "the .zip entry is named" grep -q 'other.zip:other-domain.xml: imported: example.net report other-1' "$T/first"
check "the .xml.gz is imported" grep -q 'reporter-two.xml.gz: imported: example.org report r2-20261201-example.org' "$T/first"
check "no report_id: refused with the reason and offset" grep -q 'no-report-id.xml: refused: report_metadata has no report_id (byte [0-9]*)' "$T/first"
check "sloppy report: imported with notes" grep -q 'sloppy.xml: imported: .*noted: upper-case x4.*long-range x1' "$T/first"
"$INKAN" report summary --no-dns --db "$DB" --json >"$T/sum1.json"
check "summary --json exits 0" test $? = 0

"$INKAN" report import --db "$DB" "$T/in" >"$T/second" 2>&1
check "second import: every report a duplicate" grep -q '^imported 0, duplicates 4, refused 1, failed 0$' "$T/second"
"$INKAN" report summary --no-dns --db "$DB" --json | sed '/"duplicates"/d' >"$T/sum2.json"
sed '/"duplicates"/d' "$T/sum1.json" >"$T/sum1b.json"
check "summary unchanged by the duplicates" cmp -s "$T/sum1b.json" "$T/sum2.json"
# the same bytes under another name (a copy) are a duplicate as well
cp "$D/rfc7489-google.xml" "$T/copy.xml"
expect_out_contains "copy.xml: duplicate:" "$INKAN" report import --db "$DB" "$T/copy.xml"

# --- summary numbers (fixtures: 47 + 15 + 2 messages for example.org) -------
py() { /usr/bin/python3 -c "import json,sys; d={x['domain']: x for x in json.load(open(sys.argv[1]))['domains']}; $1" "$T/sum1.json"; }
check "example.org: 3 reports, 64 messages" test "$(py 'o=d["example.org"]; print(o["reports"], o["messages"])')" = "3 64"
check "example.org: dmarc_pass 54, dmarc_fail 10" test "$(py 'o=d["example.org"]; print(o["dmarc_pass"], o["dmarc_fail"])')" = "54 10"
check "example.org: spf_aligned_pass 42, dkim_aligned_pass 52" test "$(py 'o=d["example.org"]; print(o["spf_aligned_pass"], o["dkim_aligned_pass"])')" = "42 52"
check "example.org: 192.0.2.10 first, 52 messages, aligned" test "$(py 's=d["example.org"]["sources"][0]; print(s["ip"], s["messages"], s["class"], s["ptr"], s["platform"])')" = "192.0.2.10 52 aligned None None"
check "IPv6 source in canonical form, legitimate-failing (SPF passed for its own domain)" test "$(py 's=[x for x in d["example.org"]["sources"] if x["ip"]=="2001:db8::25"][0]; print(s["class"])')" = "legitimate-failing"
check "spoofing source: unknown" test "$(py 's=[x for x in d["example.org"]["sources"] if x["ip"]=="198.51.100.7"][0]; print(s["class"])')" = "unknown"
check "example.net: one report, 5 messages failing" test "$(py 'o=d["example.net"]; print(o["reports"], o["messages"], o["dmarc_fail"])')" = "1 5 5"
expect_out_contains "example.net  2025-12-01 .. 2025-12-01  reports 1 (duplicates 1)  failure reports 0" "$INKAN" report summary --no-dns --db "$DB" example.net
expect_out_contains "no reports stored for nothing.example" "$INKAN" report summary --no-dns --db "$DB" nothing.example

# --- report sources: every source with its results and the domains it
# authenticated for (example.org: 64 messages from 4 sources in the three
# reports: google 47 + reporter two 15 + sloppy 2) ---
"$INKAN" report sources --no-dns --db "$DB" --json example.org >"$T/src.json"
check "sources --json exits 0" test $? = 0
check "sources: 4 sources, their messages add up to 64" test "$(jq -r '.domains[0] | "\(.sources | length) \([.sources[].messages] | add) \(.messages)"' "$T/src.json")" = "4 64 64"
check "sources: the largest first, aligned, 52/52 DMARC pass, 40 SPF aligned" test "$(jq -r '.domains[0].sources[0] | "\(.ip) \(.messages) \(.dmarc_pass) \(.dmarc_fail) \(.spf_aligned_pass) \(.class) \(.dkim_domains | join(","))"' "$T/src.json")" = "192.0.2.10 52 52 0 40 aligned example.org"
check "sources: the ESP failing alignment is legitimate-failing, SPF passing for its own domain" test "$(jq -r '.domains[0].sources[] | select(.ip == "2001:db8::25") | "\(.class) \(.dmarc_fail) \(.spf_domains | join(","))"' "$T/src.json")" = "legitimate-failing 7 bounce.example-esp.test"
"$INKAN" report sources --no-dns --db "$DB" example.org >"$T/src.txt"
check "sources: text header and one row per source" test "$(grep -c '^  [0-9a-f:.]* ' "$T/src.txt")" = 4
check "sources: the row names what it authenticated for" grep -q '^  2001:db8::25 .* legitimate-failing .* bounce.example-esp.test; -$' "$T/src.txt"
expect_exit 2 "$INKAN" report sources --no-dns --db "$DB" a.example b.example

# --- mail: .eml, mbox, Maildir (GMime walks the parts) ----------------------
mkdir -p "$T/mail/Maildir/cur" "$T/mail/Maildir/new" "$T/mail/Maildir/tmp"
/usr/bin/python3 - "$D" "$T/mail" <<'PY'
import sys, gzip, io, zipfile, email.message
D, out = sys.argv[1], sys.argv[2]
def msg(att, fn, mt, st):
    m = email.message.EmailMessage()
    m['From'] = 'noreply-dmarc@example-provider.test'
    m['To'] = 'dmarc@example.org'
    m['Subject'] = 'Report domain: example.org'
    m.set_content('DMARC aggregate report attached.')
    m.add_attachment(att, maintype=mt, subtype=st, filename=fn)
    return m.as_bytes()
rd = lambda n: open(D + '/' + n, 'rb').read()
open(out + '/google.eml', 'wb').write(msg(gzip.compress(rd('rfc7489-google.xml')), 'google.xml.gz', 'application', 'gzip'))
b = io.BytesIO()
with zipfile.ZipFile(b, 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('other-domain.xml', rd('other-domain.xml'))
with open(out + '/reports.mbox', 'wb') as f:
    for m in (msg(b.getvalue(), 'other.zip', 'application', 'zip'), msg(rd('rfc9990-sample.xml'), 'r2.xml', 'text', 'xml')):
        f.write(b'From noreply@example-provider.test Tue Dec  2 01:00:00 2025\n' + m.replace(b'\nFrom ', b'\n>From ') + b'\n')
open(out + '/Maildir/new/1.host', 'wb').write(msg(rd('sloppy.xml'), 'sloppy.xml', 'application', 'xml'))
n = email.message.EmailMessage(); n['From'] = 'a@b.test'; n['Subject'] = 'hello'; n.set_content('no report here')
open(out + '/Maildir/cur/2.host:2,S', 'wb').write(n.as_bytes())
PY
"$INKAN" report import --db "$T/mail.db" "$T/mail" >"$T/mail.out" 2>&1
check "mail: 4 imported, 1 message without a report refused" grep -q '^imported 4, duplicates 0, refused 1, failed 0$' "$T/mail.out"
check "mail: .eml with a gzip attachment" grep -q 'google.eml:google.xml.gz: imported: example.org' "$T/mail.out"
check "mail: mbox message 1, a zip attachment" grep -q 'reports.mbox:message 1:other.zip:other-domain.xml: imported: example.net' "$T/mail.out"
check "mail: mbox message 2, a text/xml attachment" grep -q 'reports.mbox:message 2:r2.xml: imported: example.org' "$T/mail.out"
check "mail: Maildir new/ message" grep -q 'Maildir/new/1.host:sloppy.xml: imported' "$T/mail.out"
check "mail: a message without a report is refused, saying so" grep -q 'Maildir/cur/2.host:2,S: refused: a message without a report attachment' "$T/mail.out"
check "mail: nothing on stderr (no GLib criticals)" bash -c "! grep -q CRITICAL '$T/mail.out'"
"$INKAN" report summary --no-dns --db "$T/mail.db" --json | sed '/"duplicates"/d' >"$T/mail.json"
check "mail: the same summary as the files" cmp -s "$T/sum1b.json" "$T/mail.json"
"$INKAN" report import --db "$T/mail.db" - <"$T/mail/google.eml" >"$T/mail2.out" 2>&1
check "mail on stdin: a duplicate" grep -q '^-:google.xml.gz: duplicate' "$T/mail2.out"

# --- failure reports (RFC 6591): ARF with and without the original headers --
/usr/bin/python3 - "$T/arf" <<'PY'
import sys, os, email.message
out = sys.argv[1]; os.makedirs(out)
def arf(with_headers, ip):
    m = email.message.EmailMessage()
    m['From'] = 'dmarc-failures@receiver.test'; m['To'] = 'ruf@example.org'
    m['Subject'] = 'FW: DMARC failure report for example.org'
    m.set_content('This is an authentication failure report for a message from example.org.')
    m.make_mixed()
    m.get_payload()[0].set_param('report-type', 'feedback-report', header='Content-Type') if False else None
    fb = ("Feedback-Type: auth-failure\r\nUser-Agent: Receiver/2.1\r\nVersion: 1\r\n"
          "Original-Mail-From: <carol@example.org>\r\nArrival-Date: Tue, 2 Dec 2025 01:00:00 +0000\r\n"
          "Source-IP: %s\r\nReported-Domain: example.org\r\nAuthentication-Results: mx.receiver.test;\r\n"
          " dmarc=fail header.from=example.org\r\nAuth-Failure: dmarc\r\n" % ip)
    p = email.message.MIMEPart(); p.set_payload(fb); p['Content-Type'] = 'message/feedback-report'
    m.attach(p)
    if with_headers:
        h = email.message.MIMEPart()
        h.set_payload("From: Carol <carol@example.org>\r\nTo: dave@receiver.test\r\nSubject: invoice\r\n")
        h['Content-Type'] = 'text/rfc822-headers'
        m.attach(h)
    return m.as_bytes()
open(out + '/with.eml', 'wb').write(arf(True, '198.51.100.9'))
open(out + '/without.eml', 'wb').write(arf(False, '198.51.100.10'))
open(out + '/bad.eml', 'wb').write(arf(False, '1').replace(b'Version: 1', b'Versio: 1'))
PY
"$INKAN" report import --db "$T/arf.db" --redact "$T/arf" >"$T/arf.out" 2>&1
check "ARF: 2 imported, 1 refused" grep -q '^imported 2, duplicates 0, refused 1, failed 0$' "$T/arf.out"
check "ARF with the original headers" grep -q 'with.eml: imported: failure report for example.org: auth-failure dmarc from 198.51.100.9, with the original headers' "$T/arf.out"
check "ARF without the original message" grep -q 'without.eml: imported: failure report for example.org: auth-failure dmarc from 198.51.100.10$' "$T/arf.out"
check "ARF without Version: refused, saying so" grep -q 'bad.eml: refused: failure report: no Version field' "$T/arf.out"
q() { /usr/bin/python3 -c 'import sqlite3,sys; print("|".join(str(r) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()))' "$T/arf.db" "$1"; }
check "--redact: only the domain of Original-Mail-From kept" test "$(q "select original_mail_from from failure_reports where source_ip='198.51.100.9'")" = "<redacted@example.org>"
check "--redact: the stored headers keep no local part" test "$(q "select headers like '%From: Carol <redacted@example.org>%' and headers not like '%carol@%' and headers not like '%dave@%' from failure_reports where headers is not null")" = 1
"$INKAN" report import --db "$T/arf.db" "$T/arf" >"$T/arf2.out" 2>&1
check "ARF twice: duplicates" grep -q '^imported 0, duplicates 2, refused 1, failed 0$' "$T/arf2.out"
"$INKAN" report import --db "$T/arf-nohdr.db" --headers-max 0 "$T/arf/with.eml" >/dev/null 2>&1
check "--headers-max 0: no original headers stored" test "$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select headers is null from failure_reports").fetchone()[0])' "$T/arf-nohdr.db")" = 1
expect_exit 2 "$INKAN" report import --db "$T/x.db" --headers-max lots "$T/arf"

# --- advise: readiness, what to fix, the next step --------------------------
"$INKAN" report advise --no-dns --db "$DB" example.org >"$T/advise.out" 2>&1
check "advise: the published policy" grep -q '^example.org: 2025-12-01 .. 2025-12-03, 64 messages in 3 reports, published p=none$' "$T/advise.out"
check "advise: readiness in messages and percent" grep -q 'would affect 7 (10.9%) messages from sources that look legitimate, 0 (0.0%) forwarded, and 3 (4.7%) from sources that look like spoofing' "$T/advise.out"
check "advise: the source to fix, with the domain SPF passed for" grep -q '2001:db8::25 .* 7 failing: SPF passed for bounce.example-esp.test; DKIM passed for -' "$T/advise.out"
check "advise: fix before tightening" grep -q 'next step: fix the legitimate failing sources' "$T/advise.out"
check "advise --json: example.net is enforced" test "$("$INKAN" report advise --no-dns --db "$DB" --json example.net | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)["domains"][0]; print(d["p"], d["fail_unknown"], d["next_step"][:8])')" = "reject 5 enforced"

# --- standard input ----------------------------------------------------------
"$INKAN" report import --db "$T/stdin.db" - <"$D/rfc7489-google.xml" >"$T/stdin.out" 2>&1
check "stdin: imported" grep -q '^-: imported: example.org report 4812930581239012345' "$T/stdin.out"

# --- hostile inputs: refused, clearly, in bounded time -----------------------
mkdir "$T/bad"
cp "$D/billion-laughs.xml" "$D/xxe.xml" "$D/invalid-utf8.xml" "$T/bad/"
head -c 50000000 /dev/zero | gzip -1 >"$T/bad/zeros.xml.gz"
# well-formed so far (a report opening, then 50 MB of blanks): only the
# compression ratio stops these
{ printf '<?xml version="1.0"?><feedback>'; head -c 50000000 /dev/zero | tr '\0' ' '; } >"$T/blanks.xml"
gzip -1 -c "$T/blanks.xml" >"$T/bad/blanks.xml.gz"
(cd "$T" && zip -q -1 bad/bomb.zip blanks.xml) && rm -f "$T/blanks.xml"
: >"$T/bad/empty.xml"
start=$(date +%s)
"$INKAN" report import --db "$T/bad.db" "$T/bad" >"$T/bad.out" 2>&1
rc=$?
end=$(date +%s)
check "hostile batch: exit 3" test $rc = 3
check "hostile batch: all refused" grep -q '^imported 0, duplicates 0, refused 7, failed 0$' "$T/bad.out"
check "billion laughs: DTD refused" grep -q 'billion-laughs.xml: refused: document type declaration refused' "$T/bad.out"
check "XXE: DTD refused" grep -q 'xxe.xml: refused: document type declaration refused' "$T/bad.out"
check "XXE: nothing of /etc/passwd shown" bash -c "! grep -q 'root:' '$T/bad.out'"
check "invalid UTF-8: refused at its line" grep -q 'invalid-utf8.xml: refused: invalid XML at line 4.*UTF-8' "$T/bad.out"
check "gzip of zeros: refused at its first bytes" grep -q 'zeros.xml.gz: refused: invalid XML at line 1' "$T/bad.out"
check "gzip bomb of blanks: compression ratio refusal" grep -q 'blanks.xml.gz: refused: compression ratio over 100:1' "$T/bad.out"
check "zip bomb: compression ratio refusal" grep -q 'bomb.zip:blanks.xml: refused: compression ratio over 100:1' "$T/bad.out"
check "empty file: refused" grep -q 'empty.xml: refused: empty, or not a report file' "$T/bad.out"
check "hostile batch took under 20 s" test $((end - start)) -lt 20
check "nothing stored from the hostile batch" test "$("$INKAN" report summary --no-dns --db "$T/bad.db")" = "no reports stored"
# bytes the declared encoding cannot convert: refused, and libxml2 prints
# nothing of its own on stderr (its generic error printer is silenced)
"$INKAN" report import --db "$T/enc.db" "$D/bad-encoding.xml" >"$T/enc.out" 2>"$T/enc.err"
check "undecodable SHIFT_JIS: refused" grep -q 'bad-encoding.xml: refused: ' "$T/enc.out"
check "undecodable SHIFT_JIS: nothing from libxml2 on stderr" test ! -s "$T/enc.err"
expect_exit 1 "$INKAN" report import --db "$T/x.db" "$T/does-not-exist"
expect_exit 2 "$INKAN" report import --db "$T/x.db"
expect_exit 2 "$INKAN" report frobnicate

# --- SIGKILL during a large import: no half report; a re-run finishes --------
/usr/bin/python3 - "$T/big.xml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("<feedback><report_metadata><org_name>Big</org_name><report_id>big-1</report_id>"
            "<date_range><begin>1764547200</begin><end>1764633599</end></date_range>"
            "</report_metadata><policy_published><domain>big.example</domain><p>none</p>"
            "</policy_published>\n")
    for i in range(150000):
        f.write("<record><row><source_ip>10.%d.%d.%d</source_ip><count>2</count>"
                "<policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf>"
                "</policy_evaluated></row><identifiers><header_from>big.example</header_from>"
                "</identifiers><auth_results><dkim><domain>big.example</domain><result>pass</result>"
                "</dkim></auth_results></record>\n" % (i >> 16, (i >> 8) & 255, i & 255))
    f.write("</feedback>\n")
PY
"$INKAN" report import --db "$T/kill.db" "$T/big.xml" >/dev/null 2>&1 &
pid=$!
sleep 0.5
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
n=$(/usr/bin/python3 -c 'import sqlite3,sys
c=sqlite3.connect(sys.argv[1])
try:
    print(c.execute("select count(*) from reports").fetchone()[0], c.execute("select count(*) from report_rows").fetchone()[0])
except Exception:
    print("0 0")' "$T/kill.db")
check "after SIGKILL: no report or the whole report ($n)" bash -c "[ '$n' = '0 0' ] || [ '$n' = '1 150000' ]"
"$INKAN" report import --db "$T/kill.db" "$T/big.xml" >"$T/kill.out" 2>&1
check "re-run after SIGKILL finishes the job" grep -Eq '^imported 1, duplicates 0|^imported 0, duplicates 1' "$T/kill.out"
check "the killed store's totals equal a clean import's" test "$("$INKAN" report summary --no-dns --db "$T/kill.db" --json | /usr/bin/python3 -c 'import json,sys; o=json.load(sys.stdin)["domains"][0]; print(o["reports"], o["messages"], o["dkim_aligned_pass"], len(o["sources"]))')" = "1 300000 300000 10000"

# expect_fail_contains TEXT CMD... - exits non-zero with TEXT on stderr
expect_fail_contains() {
    local want=$1; shift
    "$@" >"$TMPDIR_TEST/out" 2>"$TMPDIR_TEST/err" </dev/null
    local got=$?
    if [ "$got" != 0 ] && grep -qF -- "$want" "$TMPDIR_TEST/err"; then _ok "fails with '$want': $*"
    else _notok "exit $got, stderr lacks '$want': $*"; sed 's/^/#   /' "$TMPDIR_TEST/err" | head -5; fi
}

# --- reverse names and platforms (looked up once, cached in the store) ------
# A zone file answers the PTR questions: 192.0.2.10 is Google's, 2001:db8::25
# has a name of its own (its platform comes from the SPF domain it passed
# for), 198.51.100.7 has none (cached as none).  The second run names a zone
# file that does not exist: it succeeds only if nothing is asked.
cat >"$T/rev.zone" <<'ZONE'
$TTL 3600
$ORIGIN 2.0.192.in-addr.arpa.
@   IN SOA ns1.example.org. hostmaster.example.org. 1 7200 3600 1209600 3600
10  IN PTR mail-sor-f41.google.com.
$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR mx1.example.org.
ZONE
PF=$INKAN_SRC/data/platforms.yaml
"$INKAN" report import --db "$T/ptr.db" "$D/rfc7489-google.xml" "$D/sloppy.xml" "$D/rfc9990-sample.xml" >/dev/null 2>&1
ptrs() { /usr/bin/python3 -c 'import json,sys; d={x["domain"]: x for x in json.load(sys.stdin)["domains"]}; print(" ".join("%s=%s/%s" % (s["ip"], s["ptr"], s["platform"]) for s in d["example.org"]["sources"]))'; }
want="192.0.2.10=mail-sor-f41.google.com/google-workspace 2001:db8::25=mx1.example.org/example-newsletter-platform 198.51.100.7=None/None 203.0.113.5=None/None"
check "summary --no-dns before any lookup: no reverse names" test "$("$INKAN" report summary --no-dns --db "$T/ptr.db" --platforms "$PF" --json | ptrs)" = "192.0.2.10=None/None 2001:db8::25=None/example-newsletter-platform 198.51.100.7=None/None 203.0.113.5=None/None"
check "summary --zone: ptr and platform filled" test "$("$INKAN" report summary --zone "$T/rev.zone" --db "$T/ptr.db" --platforms "$PF" --json | ptrs)" = "$want"
check "the lookups are cached in the store (names and none)" test "$(sqlite3 "$T/ptr.db" "SELECT ip || '=' || IFNULL(ptr, '-') || '=' || result FROM report_ptr ORDER BY ip" | tr '\n' ' ')" = "192.0.2.10=mail-sor-f41.google.com=found 198.51.100.7=-=none 2001:db8::25=mx1.example.org=found 203.0.113.5=-=none "
check "second run asks nothing (its --zone file does not exist)" test "$("$INKAN" report summary --zone "$T/no-such.zone" --db "$T/ptr.db" --platforms "$PF" --json | ptrs)" = "$want"
check "second run asks nothing (a dead --dns port: no timeout, no note)" test "$("$INKAN" report summary --dns 127.0.0.1:9 --timeout 1 --db "$T/ptr.db" --platforms "$PF" --json 2>"$T/dead.err" | ptrs)" = "$want"
check "  ... and says nothing on stderr" test ! -s "$T/dead.err"
# the check above can fail: a source not cached is asked and the zone is missing
"$INKAN" report import --db "$T/ptr.db" "$D/other-domain.xml" >/dev/null 2>&1
expect_fail_contains "no-such.zone: No such file or directory" "$INKAN" report summary --zone "$T/no-such.zone" --db "$T/ptr.db" --platforms "$PF"
# a DNS server that does not answer: the summary still prints, the new
# source's name is null with a note, and nothing is cached for it
"$INKAN" report summary --dns 127.0.0.1:9 --timeout 1 --db "$T/ptr.db" --json example.net >"$T/dead.json" 2>"$T/dead.err"
check "dead --dns with a new source: exit 0" test $? = 0
check "  ... its ptr is null" test "$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["domains"][0]["sources"][0]["ptr"])' "$T/dead.json")" = "None"
check "  ... a note says it is asked again" grep -q 'note: 1 reverse name could not be looked up now' "$T/dead.err"
check "  ... and the temporary failure is not cached" test "$(sqlite3 "$T/ptr.db" "SELECT count(*) FROM report_ptr WHERE ip = '192.0.2.99'")" = 0
expect_out_contains "mail-sor-f41.google.com  google-workspace" "$INKAN" report summary --no-dns --db "$T/ptr.db" --platforms "$PF" example.org
expect_out_contains "DKIM passed for -; reverse name mx1.example.org; platform example-newsletter-platform" "$INKAN" report advise --zone "$T/rev.zone" --db "$T/ptr.db" --platforms "$PF" example.org
expect_fail_contains "--no-dns and a DNS source (--zone, --dns) do not go together" "$INKAN" report summary --no-dns --zone "$T/rev.zone" --db "$T/ptr.db"

# a version 3 store (report_ptr without result) is migrated to version 4:
# its cached name stays and counts as found
"$INKAN" report import --db "$T/v3.db" "$D/rfc7489-google.xml" >/dev/null 2>&1
sqlite3 "$T/v3.db" "ALTER TABLE report_ptr DROP COLUMN result; DROP TABLE api_tokens; DROP TABLE dkim_rotation_keys; DROP TABLE dkim_rotations; DROP TABLE evaluation_dkim; DROP TABLE evaluations; DROP TABLE report_marks; PRAGMA user_version = 3; INSERT INTO report_ptr VALUES ('192.0.2.10', 'old.example.net', strftime('%s', 'now'));"
check "a version 3 store's cached name is shown after the migration" test "$("$INKAN" report summary --no-dns --db "$T/v3.db" --json example.org 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["domains"][0]["sources"][0]["ptr"])')" = "old.example.net"
check "  ... and the store is at version 8 with the row found" test "$(sqlite3 "$T/v3.db" "PRAGMA user_version; SELECT result FROM report_ptr" | tr '\n' ' ')" = "8 found "

# hostile or broken platform maps: refused with the file, line and column
/usr/bin/python3 -c 'print("platforms: " + "[" * 5000 + "]" * 5000)' >"$T/deep.yaml"
expect_fail_contains "deep.yaml:1:" "$INKAN" report summary --no-dns --db "$T/ptr.db" --platforms "$T/deep.yaml"
expect_fail_contains "nested deeper than 8 levels" "$INKAN" report summary --no-dns --db "$T/ptr.db" --platforms "$T/deep.yaml"
head -c 300000 /dev/zero | tr '\0' '#' >"$T/huge.yaml"
expect_fail_contains "huge.yaml: larger than 262144 bytes" "$INKAN" report summary --no-dns --db "$T/ptr.db" --platforms "$T/huge.yaml"
printf 'platforms:\n  - name: x\n    colour: red\n' >"$T/bad.yaml"
expect_fail_contains "bad.yaml:3:5: platform: unknown or repeated key 'colour'" "$INKAN" report summary --no-dns --db "$T/ptr.db" --platforms "$T/bad.yaml"
expect_fail_contains "no-such.yaml: No such file" "$INKAN" report summary --no-dns --db "$T/ptr.db" --platforms "$T/no-such.yaml"

# --- memory does not grow with the report ------------------------------------
# Peak RSS of importing the 150,000-record report (about 50 MB) within
# 6 MiB of a one-record one (SQLite's page cache is most of the gap).
# Skipped under ASan, whose quarantine keeps freed memory by design.
rss() { /usr/bin/python3 -c 'import resource,subprocess,sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"; }
if ldd "$INKAN" 2>/dev/null | grep -q libasan; then
    _ok "# SKIP peak RSS under ASan"
else
    head -c 2000 "$T/big.xml" | sed -n 1p | sed 's/big-1/small-1/' >"$T/small.xml"
    echo '<record><row><source_ip>10.0.0.1</source_ip><count>2</count></row></record></feedback>' >>"$T/small.xml"
    small=$(rss "$INKAN" report import --db "$T/rss-small.db" "$T/small.xml")
    large=$(rss "$INKAN" report import --db "$T/rss-large.db" "$T/big.xml")
    check "peak RSS: 150,000 records ${large} KiB, one record ${small} KiB (within 6 MiB)" test $((large - small)) -lt 6144
fi
finish
