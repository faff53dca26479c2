#!/bin/bash
# report-mark.sh - `inkan report mark`: the owner's marks on sending
# sources, over the real reports in tests/data/reports (example.org: 64
# messages from 192.0.2.10 aligned, 2001:db8::25 legitimate-failing,
# 198.51.100.7 unknown, 203.0.113.5 aligned; example.net: 192.0.2.99).
#   - a failing source marked ours moves to legitimate-failing (sources,
#     summary --json class, advise's readiness and fix list);
#   - a passing source marked spoof moves to unknown;
#   - nested IPv6 networks: the most specific mark wins; removing a mark
#     moves the source back; marks are per domain;
#   - --list (text, --json), replacing a mark, --remove of a missing one;
#   - bad input (CIDR, prefix, host bits, --as value, domain): exit 2;
#   - inkan serve's /api/reports/sources shows the same marks;
#   - the same over PostgreSQL (tests/lib/postgres.sh): the documents of
#     both backends identical.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/lib/postgres.sh"

T=$TMPDIR_TEST
D=$INKAN_SRC/tests/data/reports
DB=$T/r.db
PID=
stop() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; PID=; }
trap 'stop; rm -rf "$T"' EXIT

# src DB IP FIELDS - jq FIELDS of one example.org source from `report sources --json`
src() {
    "$INKAN" report sources --no-dns --db "$1" --json example.org |
        jq -r --arg ip "$2" ".domains[0].sources[] | select(.ip == \$ip) | $3"
}
# sumclass DB IP - the class `report summary --json` gives a source
sumclass() {
    "$INKAN" report summary --no-dns --db "$1" --json example.org |
        jq -r --arg ip "$2" '.domains[0].sources[] | select(.ip == $ip) | .class'
}
# ready DB - advise's readiness: "legitimate forwarded unknown fix-ips"
ready() {
    "$INKAN" report advise --no-dns --db "$1" --json example.org |
        jq -r '.domains[0] | "\(.fail_legitimate) \(.fail_forwarded) \(.fail_unknown) \([.fix[].ip] | sort | join(","))"'
}

# the run over one store: every check names the backend
run() {
    local db=$1 b=$2
    "$INKAN" report import --db "$db" "$D/rfc7489-google.xml" "$D/rfc9990-sample.xml" \
        "$D/sloppy.xml" "$D/other-domain.xml" >"$T/import.$b" 2>&1
    check "$b: 4 reports imported" grep -q '^imported 4, duplicates 0, refused 0, failed 0$' "$T/import.$b"

    # --- before any mark --------------------------------------------------------
    check "$b: unmarked: 198.51.100.7 unknown, 192.0.2.10 aligned, no mark" \
        test "$(src "$db" 198.51.100.7 '"\(.class) \(.mark)"') $(src "$db" 192.0.2.10 '"\(.class) \(.mark)"')" = "unknown null aligned null"
    check "$b: unmarked readiness: 7 legitimate, 3 spoofing, fix 2001:db8::25" \
        test "$(ready "$db")" = "7 0 3 2001:db8::25"
    check "$b: no marks listed" test "$("$INKAN" report mark --db "$db" example.org --list)" = "no marks for example.org"

    # --- a failing source marked ours: legitimate-failing --------------------------
    expect_out_contains "example.org: 198.51.100.0/24 marked ours" \
        "$INKAN" report mark example.org 198.51.100.0/24 --as ours --note "our old relay" --db "$db"
    check "$b: 198.51.100.7 (in 198.51.100.0/24, marked ours) is legitimate-failing" \
        test "$(src "$db" 198.51.100.7 '"\(.class) \(.mark) \(.mark_network)"')" = "legitimate-failing ours 198.51.100.0/24"
    check "$b: summary --json gives it the same class" test "$(sumclass "$db" 198.51.100.7)" = legitimate-failing
    check "$b: advise counts its 3 failing messages as legitimate, none as spoofing, and lists it to fix" \
        test "$(ready "$db")" = "10 0 0 198.51.100.7,2001:db8::25"
    expect_out_contains "198.51.100.7                            3 failing: SPF passed for -; DKIM passed for -; reverse name -; platform -; marked ours in 198.51.100.0/24" \
        "$INKAN" report advise --no-dns --db "$db" example.org
    check "$b: advise's SPF change for the marked source that authenticated for nothing: its address" \
        test "$("$INKAN" report advise --no-dns --db "$db" --json example.org | jq -r '.domains[0].fix[] | select(.ip == "198.51.100.7") | .spf_terms')" = "ip4:198.51.100.7"
    "$INKAN" report sources --no-dns --db "$db" example.org >"$T/src.$b"
    check "$b: sources table has a MARK column" grep -q '^  SOURCE .* CLASS  *MARK  *PLATFORM' "$T/src.$b"
    check "$b: ... showing ours for 198.51.100.7, - for the unmarked" \
        bash -c "grep -q '^  198.51.100.7 .* legitimate-failing ours ' '$T/src.$b' && grep -q '^  203.0.113.5 .* aligned  *- ' '$T/src.$b'"

    # --- a passing source marked spoof: unknown ------------------------------------
    expect_out_contains "example.org: 192.0.2.10/32 marked spoof" \
        "$INKAN" report mark example.org 192.0.2.10 --as spoof --db "$db"
    check "$b: 192.0.2.10 (52/52 passing) marked spoof is unknown" \
        test "$(src "$db" 192.0.2.10 '"\(.class) \(.mark) \(.dmarc_pass)"')" = "unknown spoof 52"
    check "$b: summary --json: unknown" test "$(sumclass "$db" 192.0.2.10)" = unknown
    check "$b: the other aligned source stays aligned" test "$(src "$db" 203.0.113.5 .class)" = aligned
    check "$b: advise --json lists it as spoof yet passing (52 messages; enforcing will not stop them)" \
        test "$("$INKAN" report advise --no-dns --db "$db" --json example.org | jq -c '.domains[0].spoof_passing')" = \
             '[{"ip":"192.0.2.10","passing":52,"spf_aligned_pass":40,"dkim_aligned_pass":52,"mark_network":"192.0.2.10/32"}]'
    expect_out_contains "192.0.2.10                              52 passing (marked in 192.0.2.10/32): SPF aligned 40; DKIM aligned 52" \
        "$INKAN" report advise --no-dns --db "$db" example.org

    # --- nested IPv6 networks: the most specific mark wins ---------------------------
    expect_exit 0 "$INKAN" report mark example.org 2001:db8::/32 --as spoof --db "$db"
    check "$b: 2001:db8::25 inside 2001:db8::/32 (spoof): unknown" \
        test "$(src "$db" 2001:db8::25 '"\(.class) \(.mark_network)"')" = "unknown 2001:db8::/32"
    expect_exit 0 "$INKAN" report mark example.org 2001:DB8::25 --as ours --db "$db"
    check "$b: ... and 2001:db8::25/128 (ours) is more specific: legitimate-failing" \
        test "$(src "$db" 2001:db8::25 '"\(.class) \(.mark_network)"')" = "legitimate-failing 2001:db8::25/128"
    check "$b: readiness with every mark: 10 legitimate, 0 spoofing (the spoof source passes)" \
        test "$(ready "$db")" = "10 0 0 198.51.100.7,2001:db8::25"

    # --- marks are per domain ---------------------------------------------------------
    check "$b: example.net's 192.0.2.99 is not marked by example.org's marks" \
        test "$("$INKAN" report sources --no-dns --db "$db" --json example.net | jq -r '.domains[0].sources[0] | "\(.class) \(.mark)"')" = "unknown null"
    check "$b: all domains at once: the same marks" \
        test "$("$INKAN" report sources --no-dns --db "$db" --json | jq -r '[.domains[] | .domain as $d | .sources[] | "\($d) \(.ip) \(.mark)"] | join(";")')" = \
             "example.net 192.0.2.99 null;example.org 192.0.2.10 spoof;example.org 2001:db8::25 ours;example.org 198.51.100.7 ours;example.org 203.0.113.5 null"

    # --- listing, replacing, removing ------------------------------------------------------
    "$INKAN" report mark example.org --list --db "$db" >"$T/list.$b"
    check "$b: --list: 4 marks with the note" \
        bash -c "grep -q '^example.org  4 marks$' '$T/list.$b' && grep -q '^  198.51.100.0/24  *ours .* UTC  our old relay$' '$T/list.$b'"
    "$INKAN" report mark --list --json --db "$db" >"$T/list.$b.json"
    check "$b: --list --json: networks in order, with address, prefix and note" \
        test "$(jq -r '[.marks[] | "\(.domain) \(.network) \(.address) \(.prefix) \(.mark) \(.note)"] | join(";")' "$T/list.$b.json")" = \
             "example.org 192.0.2.10/32 192.0.2.10 32 spoof null;example.org 198.51.100.0/24 198.51.100.0 24 ours our old relay;example.org 2001:db8::/32 2001:db8:: 32 spoof null;example.org 2001:db8::25/128 2001:db8::25 128 ours null"
    check "$b: --list --json: created is a time" test "$(jq '[.marks[].created > 1700000000] | all' "$T/list.$b.json")" = true
    expect_out_contains "example.org: 2001:db8::/32 marked ours (its earlier mark replaced)" \
        "$INKAN" report mark example.org 2001:db8::/32 --as ours --db "$db"
    expect_out_contains "example.org: mark on 192.0.2.10/32 removed" \
        "$INKAN" report mark example.org --remove 192.0.2.10 --db "$db"
    check "$b: 192.0.2.10 is aligned again" test "$(src "$db" 192.0.2.10 '"\(.class) \(.mark)"')" = "aligned null"
    check "$b: ... and advise lists no source as spoof yet passing" \
        test "$("$INKAN" report advise --no-dns --db "$db" --json example.org | jq -c '.domains[0].spoof_passing')" = '[]'
    expect_exit 1 "$INKAN" report mark example.org --remove 192.0.2.10/32 --db "$db"
    expect_err_contains "no mark on 192.0.2.10/32" "$INKAN" report mark example.org --remove 192.0.2.10 --db "$db"
    # (another prefix of a marked address is another network)
    expect_exit 1 "$INKAN" report mark example.org --remove 198.51.100.0/23 --db "$db"
    expect_exit 0 "$INKAN" report mark example.org --remove 2001:db8::25/128 --db "$db"
    check "$b: 2001:db8::25 follows 2001:db8::/32 (now ours): legitimate-failing" \
        test "$(src "$db" 2001:db8::25 '"\(.class) \(.mark_network)"')" = "legitimate-failing 2001:db8::/32"

    # the final state, for the comparison of the backends
    "$INKAN" report sources --no-dns --db "$db" --json >"$T/sources.$b.json"
    "$INKAN" report summary --no-dns --db "$db" --json | sed '/"duplicates"/d' >"$T/summary.$b.json"
    "$INKAN" report advise --no-dns --db "$db" --json >"$T/advise.$b.json"
    "$INKAN" report mark --list --json --db "$db" | jq 'del(.marks[].created)' >"$T/marks.$b.json"
}

run "$DB" sqlite

# --- bad input: exit 2 with the reason -----------------------------------------
expect_exit 2 "$INKAN" report mark example.org 192.0.2.1/24 --as ours --db "$DB"
expect_err_contains "'192.0.2.1/24': bits are set past the prefix length (refused, not changed: did you mean 192.0.2.0/24?)" \
    "$INKAN" report mark example.org 192.0.2.1/24 --as ours --db "$DB"
expect_err_contains "did you mean 2001:db8::/32?" "$INKAN" report mark example.org 2001:db8::1/32 --as spoof --db "$DB"
expect_exit 2 "$INKAN" report mark example.org 192.0.2.0/33 --as ours --db "$DB"
expect_err_contains "the prefix length of an IPv4 network is a number of 0..32" \
    "$INKAN" report mark example.org 192.0.2.0/33 --as ours --db "$DB"
expect_err_contains "the prefix length of an IPv6 network is a number of 0..128" \
    "$INKAN" report mark example.org 2001:db8::/129 --as ours --db "$DB"
expect_exit 2 "$INKAN" report mark example.org 10.0.0.0/ --as ours --db "$DB"
expect_exit 2 "$INKAN" report mark example.org 10.0.0.0/08 --as ours --db "$DB"
expect_exit 2 "$INKAN" report mark example.org 10.0.0.0/-8 --as ours --db "$DB"
expect_exit 2 "$INKAN" report mark example.org 300.1.1.1 --as ours --db "$DB"
expect_err_contains "'300.1.1.1': not an IPv4 or IPv6 address" "$INKAN" report mark example.org 300.1.1.1 --as ours --db "$DB"
expect_exit 2 "$INKAN" report mark example.org mail.example.org --as ours --db "$DB"
expect_exit 2 "$INKAN" report mark example.org 10.0.0.0/8 --as mine --db "$DB"
expect_err_contains "--as 'mine': give ours" "$INKAN" report mark example.org 10.0.0.0/8 --as mine --db "$DB"
expect_exit 2 "$INKAN" report mark example.org 10.0.0.0/8 --as OURS --db "$DB"
expect_exit 2 "$INKAN" report mark 'exa mple.org' 10.0.0.0/8 --as ours --db "$DB"
expect_err_contains "is not a domain name" "$INKAN" report mark 'exa mple.org' 10.0.0.0/8 --as ours --db "$DB"
expect_exit 2 "$INKAN" report mark example.org 10.0.0.0/8 --db "$DB"
expect_exit 2 "$INKAN" report mark example.org --as ours --db "$DB"
expect_exit 2 "$INKAN" report mark example.org 10.0.0.0/8 11.0.0.0/8 --as ours --db "$DB"
expect_exit 2 "$INKAN" report mark example.org --list --remove 10.0.0.0/8 --db "$DB"
expect_exit 2 "$INKAN" report mark example.org --remove 10.0.0.1/8 --db "$DB"
expect_exit 2 "$INKAN" report mark example.org 10.0.0.0/8 --as ours --json --db "$DB"
expect_exit 2 "$INKAN" report mark example.org 10.0.0.0/8 --as ours --note "$(printf 'a\tb')" --db "$DB"
expect_exit 2 "$INKAN" report mark example.org 10.0.0.0/8 --as ours --note "$(head -c 300 /dev/zero | tr '\0' x)" --db "$DB"
expect_exit 2 "$INKAN" report mark example.org 10.0.0.0/8 --as ours --note "$(printf '\xff\xfe')" --db "$DB"
check "nothing was stored by the refused commands" \
    test "$(sqlite3 "$DB" "SELECT count(*) FROM report_marks WHERE network LIKE '10.%' OR network LIKE '192.0.2.0'")" = 0
check "the table holds network text and prefix" \
    test "$(sqlite3 "$DB" "SELECT network || ' ' || prefix || ' ' || mark FROM report_marks WHERE domain = 'example.org' ORDER BY network" | tr '\n' ';')" = \
         "198.51.100.0 24 ours;2001:db8:: 32 ours;"
expect_out_contains "inkan report mark DOMAIN IP|CIDR --as ours|spoof" "$INKAN" report mark --help
expect_out_contains "mark DOMAIN IP|CIDR --as ours|spoof" "$INKAN" report --help

# --- inkan serve: the API views follow the marks --------------------------------
expect_exit 0 "$INKAN" token create admin --db "$DB"
TOK=$(cat "$T/out")
"$INKAN" serve --listen 127.0.0.1:0 --db "$DB" >"$T/serve.out" 2>"$T/serve.log" &
PID=$!
for _ in $(seq 100); do grep -q 'listening on' "$T/serve.log" && break; sleep 0.05; done
PORT=$(sed -n 's/.*listening on .* port \([0-9]*\)$/\1/p' "$T/serve.log")
check "the service says its port" test -n "$PORT"
curl -s -H "Authorization: Bearer $TOK" "http://127.0.0.1:$PORT/api/reports/sources?domain=example.org" >"$T/api.json"
check "GET /api/reports/sources: the marks and classes of 'report sources --json'" \
    test "$(jq -c '[.domains[0].sources[] | [.ip, .class, .mark]]' "$T/api.json")" = \
         "$("$INKAN" report sources --no-dns --db "$DB" --json example.org | jq -c '[.domains[0].sources[] | [.ip, .class, .mark]]')"
check "  ... 198.51.100.7 legitimate-failing (ours) there" \
    test "$(jq -r '.domains[0].sources[] | select(.ip == "198.51.100.7") | "\(.class) \(.mark)"' "$T/api.json")" = "legitimate-failing ours"
curl -s -H "Authorization: Bearer $TOK" "http://127.0.0.1:$PORT/api/reports/advise?domain=example.org" >"$T/api-advise.json"
check "GET /api/reports/advise: readiness with the marks" \
    test "$(jq -r '.domains[0] | "\(.fail_legitimate) \(.fail_unknown)"' "$T/api-advise.json")" = "10 0"
stop

# --- the same over PostgreSQL ----------------------------------------------------
pg_start
rc=$?
if [ $rc = 0 ]; then
    PGU=$(pg_createdb marks)
    run "$PGU" postgresql
    check "postgresql: schema_version 5 holds report_marks" \
        test "$("$PG_BIN/psql" -Atq "$PGU" -c "select version from schema_version; select count(*) from report_marks")" = "$(printf '5\n2')"
    for doc in sources summary advise marks; do
        check "the $doc documents of SQLite and PostgreSQL are identical" cmp -s "$T/$doc.sqlite.json" "$T/$doc.postgresql.json"
    done
    expect_exit 2 "$INKAN" report mark example.org 192.0.2.1/24 --as ours --db "$PGU"
    pg_stop
elif [ $rc = 77 ] && [ "${CI:-}" != true ]; then
    echo "# PostgreSQL cannot run here: its part skipped"
else
    _notok "PostgreSQL did not start"
fi

finish
