#!/bin/bash
# store-pg.sh - the PostgreSQL store (--db postgresql://...) against a real
# server the test starts itself (tests/lib/postgres.sh: initdb + pg_ctl,
# a Unix socket in a temporary directory, stopped by PID):
#   - the store unit tests (tests/unit/test_store.c, and test_evlog.c's
#     evaluation pages and counts) on PostgreSQL;
#   - a directory of mixed reports (XML of both formats, .xml.gz, .zip, a
#     mail message, failure reports, refused ones) imported twice into
#     SQLite and into PostgreSQL: the same per-input lines, the second time
#     every report a duplicate, and the `report summary`, `sources` and
#     `advise` --json --no-dns documents of both backends identical;
#   - domain add / verify / status on PostgreSQL against Knot, the same
#     status document as SQLite's; a DKIM key rotation (dkim rotate);
#   - inbound evaluations (verify --record): the same `evaluations list`;
#   - SIGKILL during a large import, then a re-run: the totals of a clean
#     import, and nothing left claimed in the work queue;
#   - two importers at once over the same directory: they split it
#     (SELECT ... FOR UPDATE SKIP LOCKED), every report stored once;
#   - inkan serve and token on PostgreSQL, reconnecting after the database
#     is restarted;
#   - time spans and simulate: `report summary/sources/advise --since
#     --until`, `report timeline` and `report simulate --spf --dmarc` (and
#     the API's since=/until= and timeline) print SQLite's documents on
#     PostgreSQL, for spans that cut a report, that are empty, that end on
#     a report's first second; UTC days whatever TZ and PGTZ say;
#   - a URI's password is never printed; a newer schema is refused.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/lib/postgres.sh"
. "$INKAN_SRC/tests/lib/knot.sh"

pg_start
rc=$?
if [ $rc != 0 ]; then
    [ $rc = 77 ] && [ "${CI:-}" != true ] && exit 77
    echo "# cannot start PostgreSQL"
    exit 1
fi
PSQL=("$PG_BIN/psql" -Atq)

T=$TMPDIR_TEST
D=$INKAN_SRC/tests/data/reports

# --- the store unit tests on PostgreSQL ----------------------------------------
U=$(pg_createdb unit)
INKAN_TEST_STORE_URI=$U "$INKAN_BUILD/tests/test_store" >"$T/unit.out" 2>&1
check "test_store on PostgreSQL passes" test $? = 0
check "test_store ran the PostgreSQL round trip" grep -q 'OK \] test_round_trip_pg' "$T/unit.out"
check "test_store ran the PostgreSQL rotations" grep -q "OK \] test_rotations_pg" "$T/unit.out"
check "test_store ran the PostgreSQL marks on report sources" grep -q "OK \] test_marks_pg" "$T/unit.out"
EU=$(pg_createdb evunit)
INKAN_TEST_STORE_URI=$EU "$INKAN_BUILD/tests/test_evlog" >"$T/evunit.out" 2>&1
check "test_evlog on PostgreSQL passes" test $? = 0
check "test_evlog ran the PostgreSQL evaluation pages" grep -q 'OK \] test_store_page_pg' "$T/evunit.out"
check "the schema is versioned: schema_version 5" test "$("${PSQL[@]}" "$U" -c "select version from schema_version")" = 5

# --- a mixed directory, twice, into both backends -----------------------------
mkdir -p "$T/in/sub" "$T/in/mail"
cp "$D"/*.xml "$T/in/"
gzip -c "$D/rfc9990-sample.xml" >"$T/in/sub/reporter-two.xml.gz"
(cd "$D" && zip -q "$T/in/sub/other.zip" other-domain.xml)
/usr/bin/python3 - "$T/in" "$D" <<'PY'
import sys, gzip, email.message
out, d = sys.argv[1], sys.argv[2]
# an aggregate report mailed as a .xml.gz attachment
m = email.message.EmailMessage()
m['From'] = 'noreply-dmarc@provider.test'; m['To'] = 'rua@example.org'
m['Subject'] = 'Report domain: example.org'; m.set_content('DMARC aggregate report.')
m.add_attachment(gzip.compress(open(d + '/sloppy.xml', 'rb').read().replace(b'sloppy-1', b'sloppy-mail')),
                 maintype='application', subtype='gzip', filename='sloppy.xml.gz')
open(out + '/mail/report.eml', 'wb').write(m.as_bytes())
# failure reports (RFC 6591), with and without the original headers
def arf(with_headers, ip):
    m = email.message.EmailMessage()
    m['From'] = 'dmarc-failures@receiver.test'; m['To'] = 'ruf@example.org'
    m['Subject'] = 'FW: DMARC failure report for example.org'
    m.set_content('This is an authentication failure report for a message from example.org.')
    m.make_mixed()
    fb = ("Feedback-Type: auth-failure\r\nUser-Agent: Receiver/2.1\r\nVersion: 1\r\n"
          "Original-Mail-From: <carol@example.org>\r\nArrival-Date: Tue, 2 Dec 2025 01:00:00 +0000\r\n"
          "Source-IP: %s\r\nReported-Domain: example.org\r\nAuth-Failure: dmarc\r\n" % ip)
    p = email.message.MIMEPart(); p.set_payload(fb); p['Content-Type'] = 'message/feedback-report'
    m.attach(p)
    if with_headers:
        h = email.message.MIMEPart()
        h.set_payload("From: Carol <carol@example.org>\r\nTo: dave@receiver.test\r\nSubject: x\r\n")
        h['Content-Type'] = 'text/rfc822-headers'
        m.attach(h)
    return m.as_bytes()
open(out + '/mail/arf-with.eml', 'wb').write(arf(True, '198.51.100.9'))
open(out + '/mail/arf-without.eml', 'wb').write(arf(False, '198.51.100.10'))
PY
P=$(pg_createdb reports)
S=$T/reports.db
for b in sqlite pg; do
    db=$S
    [ $b = pg ] && db=$P
    "$INKAN" report import --db "$db" "$T/in" >"$T/$b.first" 2>&1
    echo $? >"$T/$b.first.rc"
    "$INKAN" report import --db "$db" "$T/in" >"$T/$b.second" 2>&1
    for v in summary sources advise; do
        "$INKAN" report $v --json --no-dns --db "$db" >"$T/$b.$v.json" 2>"$T/$b.$v.err"
        echo $? >"$T/$b.$v.rc"
    done
    "$INKAN" report summary --json --no-dns --db "$db" example.org >"$T/$b.one.json" 2>&1
done
check "pg: first import exits 3 (some refused)" test "$(cat "$T/pg.first.rc")" = 3
# the .xml.gz and the .zip entry hold reports the plain copies hold too
check "pg: first import: 7 imported, 2 duplicates, 5 refused" grep -q '^imported 7, duplicates 2, refused 5, failed 0$' "$T/pg.first"
check "pg: the same per-input lines as SQLite" cmp -s "$T/sqlite.first" "$T/pg.first"
check "pg: second import: every report a duplicate" grep -q '^imported 0, duplicates 9, refused 5, failed 0$' "$T/pg.second"
check "pg: second import as SQLite's" cmp -s "$T/sqlite.second" "$T/pg.second"
for v in summary sources advise; do
    check "pg: report $v --json exits 0" test "$(cat "$T/pg.$v.rc")" = 0
    check "report $v --json: PostgreSQL's document is SQLite's" cmp -s "$T/sqlite.$v.json" "$T/pg.$v.json"
done
check "report summary DOMAIN: the same on both" cmp -s "$T/sqlite.one.json" "$T/pg.one.json"
check "the documents hold the reports (example.org: 4 reports, 66 messages, 2 failure reports)" \
    test "$(jq -r '.domains[] | select(.domain=="example.org") | "\(.reports) \(.messages) \(.failure_reports)"' "$T/pg.summary.json")" = "4 66 2"
check "the duplicates are counted in PostgreSQL (2 + 7 aggregate, 2 failure)" test "$("${PSQL[@]}" -F ' ' "$P" -c 'select (select sum(duplicates) from reports), (select sum(duplicates) from failure_reports)')" = "9 2"
check "pg: a report is one transaction: no rows without their report" \
    test "$("${PSQL[@]}" "$P" -c 'select count(*) from report_rows r left join reports p on p.id = r.report where p.id is null')" = 0

# --- inkan serve on PostgreSQL; the database restarted under it ----------------
"$INKAN" token create admin --db "$P" >"$T/tok" 2>/dev/null
check "token create on PostgreSQL" grep -qE '^[0-9a-f]{64}$' "$T/tok"
check "  ... only its SHA-256 is stored" test "$("${PSQL[@]}" "$P" -c "select count(*) from api_tokens where sha256 = encode(sha256('$(cat "$T/tok")'::bytea), 'hex')")" = 1
printf '$ORIGIN example.org.\n@ 300 IN SOA ns hm 1 3600 600 86400 60\n' >"$T/serve.zone"
"$INKAN" serve --listen 127.0.0.1:0 --db "$P" --zone "$T/serve.zone" \
    >"$T/serve.out" 2>"$T/serve.log" &
spid=$!
for _ in $(seq 200); do grep -q 'listening on' "$T/serve.log" && break; sleep 0.05; done
SPORT=$(sed -n 's/.*listening on .* port \([0-9]*\)$/\1/p' "$T/serve.log")
get() { curl -s -o "$T/api.json" -w '%{http_code}' -H "Authorization: Bearer $(cat "$T/tok")" "http://127.0.0.1:$SPORT$1"; }
check "serve on PostgreSQL: GET /api/reports/summary 200" test "$(get /api/reports/summary)" = 200
jq -S . "$T/pg.summary.json" >"$T/cli.sorted"
check "  ... the document of report summary --json --no-dns" bash -c "jq -S . '$T/api.json' | cmp -s - '$T/cli.sorted'"
pg_restart
check "the database restarted (every connection dropped)" test -n "$PG_PID"
check "serve reconnects: GET /api/reports/summary 200 again" test "$(get /api/reports/summary)" = 200
check "  ... the same document" bash -c "jq -S . '$T/api.json' | cmp -s - '$T/cli.sorted'"
kill "$spid"
wait "$spid" 2>/dev/null

# --- time spans, the timeline and simulate: the same on both backends ----------
# Reports of several days (tests/data/reports-timeline, tests/data/simulate),
# one that runs from noon to noon (a span can cut it in the middle) and one
# of another domain.  Every command runs in a time zone far from UTC, and
# PostgreSQL's session in another one: the days are UTC days on both.
mkdir -p "$T/span"
cp "$INKAN_SRC"/tests/data/reports-timeline/*.xml "$INKAN_SRC"/tests/data/simulate/*.xml "$T/span/"
/usr/bin/python3 - "$T/span" <<'PY'
import sys
out = sys.argv[1]
def report(name, org, rid, begin, end, domain, policy, records):
    with open("%s/%s.xml" % (out, name), "w") as f:
        f.write("<feedback><report_metadata><org_name>%s</org_name><report_id>%s</report_id>"
                "<date_range><begin>%d</begin><end>%d</end></date_range></report_metadata>"
                "<policy_published><domain>%s</domain>%s</policy_published>\n"
                % (org, rid, begin, end, domain, policy))
        for ip, count, dkim, spf, auth in records:
            f.write("<record><row><source_ip>%s</source_ip><count>%d</count><policy_evaluated>"
                    "<disposition>none</disposition><dkim>%s</dkim><spf>%s</spf>"
                    "</policy_evaluated></row><identifiers><header_from>%s</header_from>"
                    "</identifiers><auth_results>%s</auth_results></record>\n"
                    % (ip, count, dkim, spf, domain, auth))
        f.write("</feedback>\n")
# 2025-11-05 12:00 .. 2025-11-06 11:59:59 UTC
report("noon", "receiver-c.test", "noon-1", 1762344000, 1762430399, "example.com",
       "<adkim>s</adkim><aspf>r</aspf><p>quarantine</p><sp>reject</sp><pct>50</pct>", [
    ("192.0.2.10", 12, "pass", "pass",
     "<dkim><domain>example.com</domain><selector>s1</selector><result>pass</result></dkim>"
     "<spf><domain>example.com</domain><scope>mfrom</scope><result>pass</result></spf>"),
    ("198.51.100.20", 7, "fail", "fail",
     "<spf><domain>example.com</domain><scope>mfrom</scope><result>fail</result></spf>"),
    ("203.0.113.9", 3, "fail", "fail",
     "<dkim><domain>other.test</domain><selector>x</selector><result>pass</result></dkim>"
     "<dkim><domain>example.com</domain><selector>s2</selector><result>fail</result></dkim>"
     "<spf><domain>example.com</domain><scope>mfrom</scope><result>softfail</result></spf>"),
])
# another domain, 2025-11-05 00:00 UTC
report("other", "receiver-a.test", "other-1", 1762300800, 1762387199, "other.example",
       "<p>reject</p>", [
    ("192.0.2.99", 5, "pass", "fail",
     "<dkim><domain>other.example</domain><result>pass</result></dkim>"),
])
PY
SP=$(pg_createdb spans)
SS=$T/spans.db
PROPOSED='v=spf1 ip4:192.0.2.10 include:_spf.partner.test -all'
SIM=(--zone "$INKAN_SRC/tests/data/simulate/example.com.zone" --spf "$PROPOSED")
# name|command: each run on both backends, its stdout compared (jq -S for
# JSON), and its exit status
SPANS='summary|report summary --json --no-dns
summary-days|report summary --json --no-dns --since 2025-11-03 --until 2025-11-05
summary-cut|report summary --json --no-dns --since 2025-11-06 --until 2025-11-06
summary-epoch|report summary --json --no-dns --since 1762365600 --until 1764633600
summary-one|report summary --json --no-dns --since 2025-11-04 example.com
summary-empty|report summary --json --no-dns --since 2026-01-01 --until 2026-01-31
sources-days|report sources --json --no-dns --since 2025-11-03 --until 2025-11-05
advise-days|report advise --json --no-dns --since 2025-11-03 --until 2025-11-05 example.com
timeline|report timeline --json
timeline-one|report timeline --json example.com
timeline-days|report timeline --json --since 2025-11-03 --until 2025-11-05
timeline-cut|report timeline --json --since 2025-11-06 --until 2025-11-06
timeline-epoch|report timeline --json --since 1762365600 --until 1764633600 example.com
timeline-empty|report timeline --json --since 2026-01-01 --until 2026-01-31
timeline-text|report timeline --since 2025-11-01
sim|report simulate --json SIM --dmarc v=DMARC1;p=reject;adkim=s example.com
sim-text|report simulate SIM example.com
sim-dmarc|report simulate --json --dmarc v=DMARC1;p=quarantine;pct=50;t=y example.com
sim-days|report simulate --json SIM --since 2025-11-03 --until 2025-11-05 example.com
sim-cut|report simulate --json SIM --dmarc v=DMARC1;p=reject --since 2025-11-06 --until 2025-11-06 example.com
sim-epoch|report simulate --json SIM --since 1762365600 --until 1764633600 example.com
sim-empty|report simulate --json SIM --since 2026-01-01 --until 2026-01-31 example.com
sim-other|report simulate --json --dmarc v=DMARC1;p=none other.example'
for b in sqlite pg; do
    db=$SS
    [ $b = pg ] && db=$SP
    "$INKAN" report import --db "$db" "$T/span" >"$T/span.$b.import" 2>&1
    while IFS='|' read -r name command; do
        args=()
        for w in $command; do
            if [ "$w" = SIM ]; then args+=("${SIM[@]}"); else args+=("${w//;/; }"); fi
        done
        TZ=Pacific/Kiritimati PGTZ=America/St_Johns "$INKAN" "${args[@]}" --db "$db" \
            >"$T/span.$b.$name" 2>"$T/span.$b.$name.err"
        echo $? >"$T/span.$b.$name.rc"
        if jq -e . "$T/span.$b.$name" >/dev/null 2>&1; then
            jq -S . "$T/span.$b.$name" >"$T/span.$b.$name.tmp" && mv "$T/span.$b.$name.tmp" "$T/span.$b.$name"
        fi
    done <<<"$SPANS"
done
check "spans: 7 reports imported into PostgreSQL" grep -q '^imported 7, duplicates 0, refused 0, failed 0$' "$T/span.pg.import"
while IFS='|' read -r name command; do
    check "$command: exit $(cat "$T/span.sqlite.$name.rc") on both" \
        test "$(cat "$T/span.sqlite.$name.rc")" = "$(cat "$T/span.pg.$name.rc")"
    check "  ... PostgreSQL prints what SQLite prints" cmp -s "$T/span.sqlite.$name" "$T/span.pg.$name"
done <<<"$SPANS"
sj() { jq -r "$2" "$T/span.pg.$1"; }
# the numbers themselves (so that both backends cannot agree on a wrong one)
check "pg: summary: example.com 6 reports, 194 messages; other.example 1, 5" \
    test "$(sj summary '[.domains[] | "\(.domain) \(.reports) \(.messages)"] | join(",")')" = "example.com 6 194,other.example 1 5"
check "pg: summary of 11-03..11-05: 3 example.com reports (the noon one begins on 11-05)" \
    test "$(sj summary-days '.domains[] | select(.domain == "example.com") | "\(.reports) \(.messages)"')" = "3 81"
check "pg: summary of 11-06: empty (the noon report began the day before)" test "$(sj summary-cut '.domains | length')" = 0
check "pg: summary from inside the noon report to 12-02 00:00: the two reports of 12-01 and 12-02" \
    test "$(sj summary-epoch '[.domains[] | "\(.domain) \(.reports) \(.messages)"] | join(",")')" = "example.com 2 63"
check "pg: summary of 2026-01: nothing" test "$(sj summary-empty '.domains | length')" = 0
check "pg: timeline: the noon report on its UTC day (2025-11-05), with other.example's" \
    test "$(sj timeline '.days[] | select(.begin == 1762300800) | "\(.day) \(.reports) \(.messages) \(.dmarc_pass)"')" = "2025-11-05 2 27 17"
check "pg: timeline of 11-06: no days" test "$(sj timeline-cut '.totals.reports') $(sj timeline-cut '.days | length')" = "0 0"
check "pg: timeline of 2026-01: no days" test "$(sj timeline-empty '.days | length')" = 0
check "pg: simulate: every example.com report" test "$(sj sim '"\(.reports) \(.rows) \(.messages)"')" = "6 16 194"
check "pg: simulate of 11-06: the noon report it cuts (3 rows, 22 messages)" \
    test "$(sj sim-cut '"\(.reports) \(.rows) \(.messages)"')" = "1 3 22"
check "pg: simulate from inside the noon report to 12-02 00:00: it and 12-01's" \
    test "$(sj sim-epoch '"\(.reports) \(.messages)"')" = "2 69"
check "pg: simulate of 2026-01: no rows" test "$(sj sim-empty '"\(.reports) \(.rows) \(.messages)"')" = "0 0 0"
check "pg: simulate sees the auth results (the include makes 198.51.100.20 pass)" \
    test "$(sj sim '[.changes[] | select(.ip == "198.51.100.20") | .messages] | add')" = 15
# the serve API over PostgreSQL: SQLite's documents (since=, until=, the timeline)
"$INKAN" token create spans --db "$SP" >"$T/span.tok" 2>/dev/null
printf '$ORIGIN example.com.\n@ 300 IN SOA ns hm 1 3600 600 86400 60\n' >"$T/span.zone"
"$INKAN" serve --listen 127.0.0.1:0 --db "$SP" --zone "$T/span.zone" \
    >"$T/span.serve.out" 2>"$T/span.serve.log" &
spid=$!
for _ in $(seq 200); do grep -q 'listening on' "$T/span.serve.log" && break; sleep 0.05; done
SPORT=$(sed -n 's/.*listening on .* port \([0-9]*\)$/\1/p' "$T/span.serve.log")
sget() { curl -s -o "$T/span.api" -w '%{http_code}' -H "Authorization: Bearer $(cat "$T/span.tok")" "http://127.0.0.1:$SPORT$1"; }
while IFS='|' read -r name path; do
    check "serve on PostgreSQL: GET $path 200" test "$(sget "$path")" = 200
    check "  ... SQLite's report ${name%%-*} --json document" \
        bash -c "jq -S . '$T/span.api' | cmp -s - '$T/span.sqlite.$name'"
done <<'API'
timeline|/api/reports/timeline
timeline-one|/api/reports/timeline?domain=example.com
timeline-days|/api/reports/timeline?since=2025-11-03&until=2025-11-05
timeline-cut|/api/reports/timeline?since=2025-11-06&until=2025-11-06
timeline-epoch|/api/reports/timeline?domain=example.com&since=1762365600&until=1764633600
summary-days|/api/reports/summary?since=2025-11-03&until=2025-11-05
summary-epoch|/api/reports/summary?since=1762365600&until=1764633600
summary-one|/api/reports/summary?domain=example.com&since=2025-11-04
summary-empty|/api/reports/summary?since=2026-01-01&until=2026-01-31
sources-days|/api/reports/sources?since=2025-11-03&until=2025-11-05
API
kill "$spid"
wait "$spid" 2>/dev/null

# --- passwords are not printed; newer schemas are refused ----------------------
expect_fail() { "$@" >"$T/out" 2>"$T/err" </dev/null; [ $? != 0 ]; }
check "a URI with a password to a database that is not there fails" \
    expect_fail "$INKAN" report summary --no-dns --db "postgresql://inkan:s3cret-pw@/nothere?host=$PG_SOCK"
check "  ... saying why" grep -q 'nothere' "$T/err"
check "  ... without the password" bash -c "! grep -q s3cret-pw '$T/out' '$T/err'"
check "  ... which is shown as ***" grep -qF 'inkan:***@' "$T/err"
check "password= in the parameters is not printed either" \
    expect_fail "$INKAN" domain list --db "postgresql:///nothere?host=$PG_SOCK&password=s3cret-pw"
check "  ... not in the error" bash -c "! grep -q s3cret-pw '$T/out' '$T/err'"
N=$(pg_createdb newer)
"$INKAN" report summary --no-dns --db "$N" >/dev/null 2>&1
"${PSQL[@]}" "$N" -c 'update schema_version set version = 99'
expect_err_contains "database schema version 99 is newer than this inkan reads" \
    "$INKAN" report summary --no-dns --db "$N"

# --- domain add / verify / status on PostgreSQL (Knot serves the zone) --------
P0=$INKAN_SRC/examples/profiles
T0=1800000000
{
    printf '$ORIGIN example.com.\n$TTL 300\n'
    printf '@ IN SOA ns1 hostmaster 1 3600 600 86400 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n'
    printf '@ IN MX 10 mail\nmail IN A 192.0.2.25\n'
    printf '@ IN TXT "v=spf1 mx include:_spf.example.org ~all"\n'
} >"$T/example.com.zone"
mkdir -p "$T/knot"
if knot_start "$T/knot" "$T/example.com.zone"; then
    DNS=(--dns "127.0.0.1:$KNOT_PORT" --auth-port "$KNOT_PORT" --timeout 3)
    "$INKAN" provision example.com --profile "$P0/keys-tracking-ips.yaml" --dkim ed25519 \
        "${DNS[@]:0:2}" --out "$T/prov" >/dev/null 2>&1
    DP=$(pg_createdb domains)
    for db in "$T/domains.db" "$DP"; do
        expect_exit 0 "$INKAN" domain add example.com --out "$T/prov" --db "$db" --now $T0
        expect_exit 3 "$INKAN" domain verify example.com --db "$db" "${DNS[@]}" --now $T0
    done
    # everything is published: VERIFIED
    grep -v 'v=spf1 mx include:_spf.example.org ~all' "$T/example.com.zone" >"$T/tmp.zone"
    grep -v '^;' "$T/prov/example.com.zone" >>"$T/tmp.zone"
    mv "$T/tmp.zone" "$T/example.com.zone"
    knot_reload
    for db in "$T/domains.db" "$DP"; do
        expect_exit 0 "$INKAN" domain verify example.com --db "$db" "${DNS[@]}" --now $((T0 + 600))
    done
    "$INKAN" domain status example.com --json --history 1000 --db "$DP" >"$T/pg.status" 2>&1
    check "pg: domain status exits 0" test $? = 0
    "$INKAN" domain status example.com --json --history 1000 --db "$T/domains.db" >"$T/sqlite.status" 2>&1
    check "pg: example.com is VERIFIED" test "$(jq -r '.[0].state' "$T/pg.status")" = VERIFIED
    check "pg: the history holds the changes" test "$(jq -r '.[0].history | length' "$T/pg.status")" -gt 3
    check "domain status --json: PostgreSQL's document is SQLite's" cmp -s "$T/sqlite.status" "$T/pg.status"
    expect_out_contains "example.com" "$INKAN" domain list --db "$DP"
    expect_exit 0 "$INKAN" domain remove example.com --db "$DP"
    expect_exit 1 "$INKAN" domain status example.com --db "$DP"
    knot_stop
else
    _notok "start Knot for the domain checks"
fi

# --- dkim rotate on PostgreSQL: start, publish, advance ---------------------------
RZ=$T/rot.zone
{
    printf '$ORIGIN example.com.\n$TTL 300\n'
    printf '@ IN SOA ns1 hostmaster 1 3600 600 86400 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n'
} >"$RZ"
RP=$(pg_createdb rotations)
expect_exit 0 "$INKAN" dkim rotate example.com --selector-format 'inkan-%Y%m' --dkim ed25519 \
    --out "$T/rotkeys" --db "$RP" --now $T0 --overlap 2d
grep '^inkan-' "$T/out" >>"$RZ"
expect_exit 1 "$INKAN" dkim rotate example.com --selector-format 'x%Y%m%d' --out "$T/rotkeys2" --db "$RP" --now $T0
check "pg: a second rotation while one runs is refused" grep -q 'rotation 1 is in phase PUBLISH_NEW' "$T/err"
expect_exit 0 "$INKAN" dkim rotate --advance example.com --zone "$RZ" --db "$RP" --now $((T0 + 60))
"$INKAN" dkim rotate --status example.com --json --db "$RP" >"$T/rot.json" 2>&1
check "pg: the rotation is ACTIVE once its key is published" test "$(jq -r '.[-1].phase' "$T/rot.json")" = ACTIVE
check "  ... with its key and overlap from the store" test "$(jq -r '.[-1] | "\(.new[0].selector) \(.overlap)"' "$T/rot.json")" = "inkan-202701 172800"

# --- inbound evaluations on PostgreSQL: verify --record, evaluations list -----
. "$INKAN_SRC/tests/cli/verify_lib.sh"
mkdir -p "$T/ev"
if verify_setup "$T/ev"; then
    EP=$(pg_createdb evaluations)
    NOW=$(( $(date +%s) + 60 ))
    Z=(--zone "$T/ev/verify.zone" --now "$NOW" --authserv-id mx.example.net)
    for db in "$T/ev.db" "$EP"; do
        while IFS='|' read -r name file args; do
            # shellcheck disable=SC2086
            "$INKAN" verify "${Z[@]}" --record --db "$db" $args --rcpt "u@one.example" \
                --rcpt "v@Two.Example" "$T/ev/$file" >/dev/null 2>&1
        done <<<"$VERIFY_SCENARIOS"
    done
    nscen=$(grep -c . <<<"$VERIFY_SCENARIOS")
    "$INKAN" evaluations list --db "$EP" --json >"$T/ev.pg.json" 2>&1
    "$INKAN" evaluations list --db "$T/ev.db" --json >"$T/ev.sqlite.json" 2>&1
    check "pg: one evaluation per scenario ($nscen)" test "$(jq length "$T/ev.pg.json")" = "$nscen"
    check "evaluations list --json: PostgreSQL's document is SQLite's" cmp -s "$T/ev.sqlite.json" "$T/ev.pg.json"
    check "  ... with their DKIM results" test "$(jq '[.[].dkim | length] | add' "$T/ev.pg.json")" -gt 0
    # the same message and envelope again: still one row
    while IFS='|' read -r name file args; do
        # shellcheck disable=SC2086
        "$INKAN" verify "${Z[@]}" --record --db "$EP" $args --rcpt "u@one.example" \
            --rcpt "v@Two.Example" "$T/ev/$file" >"$T/ev.again" 2>&1
        break
    done <<<"$VERIFY_SCENARIOS"
    check "pg: a row recorded again is already stored" grep -q '(already stored)$' "$T/ev.again"
    check "  ... still $nscen rows" test "$("$INKAN" evaluations list --db "$EP" --json | jq length)" = "$nscen"
    # our own aggregate reports, built from either store: the same files
    EVDAY=$(date -u -d "@$NOW" +%Y-%m-%d)
    GEN=(--period "$EVDAY" --org-name "Receiver" --email dmarc@receiver.example
         --submitter receiver.example)
    "$INKAN" report generate "${GEN[@]}" --db "$T/ev.db" --out "$T/gen.sqlite" >/dev/null 2>&1
    "$INKAN" report generate "${GEN[@]}" --db "$EP" --out "$T/gen.pg" >"$T/gen.pg.out" 2>&1
    gen_ls() { (cd "$1" 2>/dev/null && ls); }
    check "pg: report generate --db postgresql:// writes reports" \
        test "$(gen_ls "$T/gen.pg" | grep -c '\.xml\.gz$')" -gt 0
    check "  ... the same files as from SQLite" test "$(gen_ls "$T/gen.pg")" = "$(gen_ls "$T/gen.sqlite")"
    gen_same=yes
    for f in $(gen_ls "$T/gen.pg"); do
        cmp -s <(gzip -dc "$T/gen.pg/$f") <(gzip -dc "$T/gen.sqlite/$f") || gen_same=no
    done
    check "  ... byte for byte" test "$gen_same" = yes
else
    _notok "set up the verify scenarios"
fi

# --- SIGKILL during a large import; the re-run finishes the job ----------------
/usr/bin/python3 - "$T/big.xml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("<feedback><report_metadata><org_name>Big</org_name><report_id>big-1</report_id>"
            "<date_range><begin>1764547200</begin><end>1764633599</end></date_range>"
            "</report_metadata><policy_published><domain>big.example</domain><p>none</p>"
            "</policy_published>\n")
    for i in range(20000):
        f.write("<record><row><source_ip>10.%d.%d.%d</source_ip><count>2</count>"
                "<policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf>"
                "</policy_evaluated></row><identifiers><header_from>big.example</header_from>"
                "</identifiers><auth_results><dkim><domain>big.example</domain><result>pass</result>"
                "</dkim></auth_results></record>\n" % (i >> 16, (i >> 8) & 255, i & 255))
    f.write("</feedback>\n")
PY
K=$(pg_createdb killed)
C=$(pg_createdb clean)
"$INKAN" report import --db "$C" "$T/big.xml" >/dev/null 2>&1
"$INKAN" report summary --no-dns --db "$K" >/dev/null 2>&1 # the schema, first
"$INKAN" report import --db "$K" "$T/big.xml" >/dev/null 2>&1 &
pid=$!
# until the report's transaction is open and writing rows (it holds a lock
# on report_rows), then a little longer
for i in $(seq 1 400); do
    [ "$("${PSQL[@]}" "$K" -c "select count(*) from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'report_rows' and l.pid <> pg_backend_pid()")" -ge 1 ] 2>/dev/null && break
    sleep 0.05
done
sleep 0.3
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
# the server notices the dead client and rolls its transaction back
for i in $(seq 1 100); do
    [ "$("${PSQL[@]}" "$K" -c "select count(*) from pg_stat_activity where datname = 'killed' and pid <> pg_backend_pid()")" = 0 ] && break
    sleep 0.1
done
n=$("${PSQL[@]}" "$K" -c "select (select count(*) from reports) || ' ' || (select count(*) from report_rows)")
check "after SIGKILL: no report or the whole report ($n)" bash -c "[ '$n' = '0 0' ] || [ '$n' = '1 20000' ]"
"$INKAN" report import --db "$K" "$T/big.xml" >"$T/kill.out" 2>&1
check "re-run after SIGKILL finishes the job" grep -Eq '^imported 1, duplicates 0, refused 0, failed 0$|^imported 0, duplicates 1, refused 0, failed 0$' "$T/kill.out"
"$INKAN" report summary --no-dns --json --db "$K" | sed '/"duplicates"/d' >"$T/killed.json"
"$INKAN" report summary --no-dns --json --db "$C" | sed '/"duplicates"/d' >"$T/clean.json"
check "the killed store's summary equals a clean import's" cmp -s "$T/killed.json" "$T/clean.json"
check "  ... 40000 messages, 10000 sources listed (the most a summary lists)" test "$(jq -r '.domains[0] | "\(.messages) \(.sources | length)"' "$T/clean.json")" = "40000 10000"
check "nothing is left pending in the work queue" test "$("${PSQL[@]}" "$K" -c "select count(*) from import_queue where state <> 'done'")" = 0
check "no importer is left registered" test "$("${PSQL[@]}" "$K" -c "select count(*) from import_workers")" = 0

# --- two importers at once over the same directory -----------------------------
mkdir -p "$T/many"
/usr/bin/python3 - "$T/many" <<'PY'
import sys
for n in range(60):
    with open("%s/r%02d.xml" % (sys.argv[1], n), "w") as f:
        f.write("<feedback><report_metadata><org_name>Many</org_name><report_id>many-%d</report_id>"
                "<date_range><begin>1764547200</begin><end>1764633599</end></date_range>"
                "</report_metadata><policy_published><domain>many.example</domain><p>none</p>"
                "</policy_published>\n" % n)
        for i in range(300):
            f.write("<record><row><source_ip>192.0.2.%d</source_ip><count>1</count>"
                    "<policy_evaluated><disposition>none</disposition><dkim>pass</dkim>"
                    "<spf>pass</spf></policy_evaluated></row><identifiers>"
                    "<header_from>many.example</header_from></identifiers><auth_results>"
                    "<spf><domain>many.example</domain><result>pass</result></spf>"
                    "</auth_results></record>\n" % (i % 200))
        f.write("</feedback>\n")
PY
M=$(pg_createdb many)
"$INKAN" report summary --no-dns --db "$M" >/dev/null 2>&1 # the schema, before the race
"$INKAN" report import --db "$M" "$T/many" >"$T/a.out" 2>&1 &
pa=$!
"$INKAN" report import --db "$M" "$T/many" >"$T/b.out" 2>&1 &
pb=$!
wait $pa
ra=$?
wait $pb
rb=$?
check "both importers exit 0" test "$ra $rb" = "0 0"
ia=$(grep -c ': imported: ' "$T/a.out")
ib=$(grep -c ': imported: ' "$T/b.out")
check "between them every report imported once ($ia + $ib = 60)" test $((ia + ib)) = 60
check "they split the directory (each imported some)" test "$ia" -gt 0 -a "$ib" -gt 0
check "neither saw a duplicate: no input was taken twice" \
    bash -c "! grep -q ': duplicate: ' '$T/a.out' '$T/b.out'"
check "what one imported the other lists as skipped" \
    test "$(grep -c ': skipped: another importer took these bytes' "$T/a.out")" = "$ib"
check "every report stored once: 60 reports, 18000 rows" \
    test "$("${PSQL[@]}" "$M" -c "select (select count(*) from reports) || ' ' || (select count(*) from report_rows) || ' ' || (select coalesce(sum(duplicates), 0) from reports)")" = "60 18000 0"
check "the summary counts each message once" \
    test "$("$INKAN" report summary --no-dns --json --db "$M" | jq -r '.domains[0] | "\(.reports) \(.messages)"')" = "60 18000"
# run again, alone: a new import of the same inputs, every report a duplicate
"$INKAN" report import --db "$M" "$T/many" >"$T/c.out" 2>&1
check "a later run imports the directory again: 60 duplicates" grep -q '^imported 0, duplicates 60, refused 0, failed 0$' "$T/c.out"

pid=$PG_PID
pg_stop
check "the server is stopped by its PID" bash -c "[ -n '$pid' ] && ! kill -0 '$pid' 2>/dev/null"
finish
