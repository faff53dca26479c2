#!/bin/bash
# serve.sh - `inkan serve` and `inkan token` over a zone file: the JSON API
# with curl on a free loopback port (the service picks it: --listen
# 127.0.0.1:0, and says it on stderr), stopped by its PID.  Tokens (401),
# adding a domain with a shipped profile, its records as JSON and as a
# zone file, verify -> VERIFIED once published, a removed record ->
# TEMPORARY_FAILURE naming it, the cookie session's CSRF rule (403), the
# body limit (413), the rate limit (429), a TXT with <script> escaped,
# /metrics, the refusal of a non-loopback listen without TLS, the
# recorded inbound evaluations (pages newest first with a stable cursor,
# the summary counts).
#
# INKAN_TEST_STORE=pg (meson test cli-serve-pg): the same API over a real
# PostgreSQL server the test starts (tests/lib/postgres.sh) instead of a
# SQLite file; the checks of the SQLite file itself, and those of
# `inkan check` and its slow DNS (no store in them), run over SQLite only.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

T=$TMPDIR_TEST
P=$INKAN_SRC/examples/profiles
STORE=${INKAN_TEST_STORE:-sqlite}
PID=

stop() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; PID=; }
if [ "$STORE" = pg ]; then
    . "$INKAN_SRC/tests/lib/postgres.sh"
    pg_start
    rc=$?
    if [ $rc != 0 ]; then
        [ $rc = 77 ] && [ "${CI:-}" != true ] && exit 77
        echo "# cannot start PostgreSQL"
        exit 1
    fi
    DB=$(pg_createdb serve)
    sql() { "$PG_BIN/psql" -Atq "$DB" -c "$1"; }
    # the service first, then the database (pg_stop is idempotent)
    trap 'stop; pg_stop; rm -rf "$T"' EXIT
else
    DB=$T/state.db
    sql() { sqlite3 "$DB" "$1"; }
    trap 'stop; rm -rf "$T"' EXIT
fi
cat >"$T/z.zone" <<'EOF'
$ORIGIN example.com.
$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 86400 60
@ IN NS ns1
ns1 IN A 192.0.2.53
EOF

# --- tokens ------------------------------------------------------------------
expect_exit 0 "$INKAN" token create admin --db "$DB"
TOK=$(cat "$T/out")
check "token create prints 64 hex digits once" grep -qE '^[0-9a-f]{64}$' "$T/out"
check "the store keeps only the token's SHA-256" \
    test "$(sql "SELECT sha256 FROM api_tokens WHERE name = 'admin'")" = \
         "$(printf %s "$TOK" | sha256sum | cut -d' ' -f1)"
if [ "$STORE" = sqlite ]; then
    check "the token itself is nowhere in the database file" bash -c "! grep -qF '$TOK' '$DB'"
    check "schema version 8" test "$(sql 'PRAGMA user_version')" = 8
else
    # (store-pg.sh checks the PostgreSQL schema version)
    sql 'SELECT * FROM api_tokens' >"$T/tokens.txt"
    check "the token table has the token's row" grep -qF admin "$T/tokens.txt"
    check "  ... and the token itself is nowhere in it" bash -c "! grep -qF '$TOK' '$T/tokens.txt'"
fi
expect_exit 1 "$INKAN" token create admin --db "$DB"
expect_err_contains "exists" "$INKAN" token create admin --db "$DB"
expect_exit 0 "$INKAN" token create old --db "$DB"
OLD=$(cat "$T/out")
expect_out_contains "old" "$INKAN" token list --db "$DB"
expect_exit 0 "$INKAN" token revoke old --db "$DB"
expect_exit 1 "$INKAN" token revoke old --db "$DB"
expect_exit 2 "$INKAN" token create 'a b' --db "$DB"
expect_exit 2 "$INKAN" token frob --db "$DB"

# --- listening ---------------------------------------------------------------
expect_exit 2 "$INKAN" serve --listen 192.0.2.1:8025 --db "$DB"
expect_err_contains "not a loopback address" "$INKAN" serve --listen 192.0.2.1:8025 --db "$DB"
expect_exit 2 "$INKAN" serve --listen nonsense --db "$DB"
expect_exit 2 "$INKAN" serve --tls-cert /nonexistent --db "$DB"

"$INKAN" serve --listen 127.0.0.1:0 --db "$DB" --profiles "$P" --zone "$T/z.zone" --rate 200 \
    >"$T/serve.out" 2>"$T/serve.log" &
PID=$!
for _ in $(seq 100); do grep -q 'listening on' "$T/serve.log" && break; sleep 0.05; done
PORT=$(sed -n 's/.*listening on .* port \([0-9]*\)$/\1/p' "$T/serve.log")
check "the service says its port" test -n "$PORT"
U=http://127.0.0.1:$PORT
A="Authorization: Bearer $TOK"

# code METHOD PATH [curl args...] - the HTTP status (body in $T/body)
code() {
    local m=$1 p=$2; shift 2
    curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$U$p"
}

# --- authentication ----------------------------------------------------------
check "no token -> 401" test "$(code GET /api/domains)" = 401
check "  ... as a JSON error with a stable code" \
    test "$(jq -r .error.code "$T/body")" = unauthorized
check "wrong token -> 401" test "$(code GET /api/domains -H 'Authorization: Bearer 00')" = 401
check "revoked token -> 401" test "$(code GET /api/domains -H "Authorization: Bearer $OLD")" = 401
check "good token -> 200" test "$(code GET /api/domains -H "$A")" = 200
check "  ... no domains yet" test "$(jq '.domains | length' "$T/body")" = 0
check "unknown endpoint -> 404" test "$(code GET /api/nothing -H "$A")" = 404

# --- domains -----------------------------------------------------------------
check "add with a shipped profile -> 201" test "$(code POST /api/domains -H "$A" \
    -d '{"domain":"Example.COM","profile":"include-bounce"}')" = 201
check "  ... NOT_STARTED with 3 records" \
    test "$(jq -c '[.domain, .state, (.records | length)]' "$T/body")" = '["example.com","NOT_STARTED",3]'
check "add again -> 409" test "$(code POST /api/domains -H "$A" \
    -d '{"domain":"example.com","profile":"include-bounce"}')" = 409
check "unknown profile -> 400" test "$(code POST /api/domains -H "$A" \
    -d '{"domain":"example.org","profile":"nope"}')" = 400
check "profile outside the directory -> 400 bad_profile" test "$(code POST /api/domains -H "$A" \
    -d '{"domain":"example.org","profile":"../x"}')" = 400
check "  ... code bad_profile" test "$(jq -r .error.code "$T/body")" = bad_profile
check "not JSON -> 400" test "$(code POST /api/domains -H "$A" -d 'nope')" = 400
check "list has it" test "$(code GET /api/domains -H "$A")" = 200
check "  ... example.com" test "$(jq -r '.domains[0].domain' "$T/body")" = example.com
check "records as JSON" test "$(code GET /api/domains/example.com/records -H "$A")" = 200
check "  ... the CNAME to publish" test "$(jq -r '.records[] | select(.type == "CNAME") | .expect' "$T/body")" = bounces.mail.example.net
check "records as text/dns" test "$(code GET /api/domains/example.com/records -H "$A" -H 'Accept: text/dns')" = 200
check "  ... a zone fragment" grep -qF 'bounce.example.com. 3600 IN CNAME bounces.mail.example.net.' "$T/body"
check "unknown domain -> 404" test "$(code GET /api/domains/nowhere.example -H "$A")" = 404
check "bad domain -> 400" test "$(code GET '/api/domains/a%00b' -H "$A")" = 400

check "verify before publication -> PENDING" test "$(code POST /api/domains/example.com/verify -H "$A")" = 200
check "  ... PENDING" test "$(jq -r .state "$T/body")" = PENDING

# publish what the zone download says, with a hostile DMARC TXT
code GET /api/domains/example.com/records -H "$A" -H 'Accept: text/dns' >/dev/null
grep -v '^_dmarc' "$T/body" >>"$T/z.zone"
echo '_dmarc.example.com. 300 IN TXT "v=DMARC1; p=none; x=<script>alert(1)</script>"' >>"$T/z.zone"
check "verify after publication -> 200" test "$(code POST /api/domains/example.com/verify -H "$A")" = 200
check "  ... VERIFIED, every record" \
    test "$(jq -c '[.state, ([.records[].state] | unique)]' "$T/body")" = '["VERIFIED",["VERIFIED"]]'
check "status with history" test "$(code GET /api/domains/example.com -H "$A")" = 200
check "  ... history names the changes" test "$(jq '.history | length > 0' "$T/body")" = true
check "the <script> TXT is returned JSON-escaped" grep -qF '\u003cscript\u003e' "$T/body"
check "  ... never as markup" bash -c "! grep -qF '<script>' '$T/body'"
check "  ... and is the record seen" \
    test "$(jq -r '.records[] | select(.purpose == "dmarc") | .seen' "$T/body")" = 'v=DMARC1; p=none; x=<script>alert(1)</script>'

grep -v '^bounce' "$T/z.zone" >"$T/z2.zone" && cp "$T/z2.zone" "$T/z.zone"
check "a removed record, verify -> 200" test "$(code POST /api/domains/example.com/verify -H "$A")" = 200
check "  ... TEMPORARY_FAILURE" test "$(jq -r .state "$T/body")" = TEMPORARY_FAILURE
check "  ... naming bounce.example.com" \
    test "$(jq -r '[.records[] | select(.state == "TEMPORARY_FAILURE") | .name] | join(",")' "$T/body")" = bounce.example.com

# --- inkan check over the API -------------------------------------------------
# (DNS only, no store: over SQLite alone)
if [ "$STORE" = sqlite ]; then
# the same document as `inkan check DOMAIN --json` over the same zone file
"$INKAN" check example.com --json --zone "$T/z.zone" >"$T/cli-check.json" 2>/dev/null
check "check -> 200" test "$(code GET /api/check/example.com -H "$A")" = 200
check "  ... the same document as inkan check --json" \
    test "$(jq -S . "$T/body")" = "$(jq -S . "$T/cli-check.json")"
check "  ... findings for a domain with no MX" test "$(jq '.findings | length > 0' "$T/body")" = true
"$INKAN" check example.com --json --selector s1,s2 --zone "$T/z.zone" >"$T/cli-check.json" 2>/dev/null
check "check with selector=s1,s2 -> 200" test "$(code GET '/api/check/example.com?selector=s1,s2' -H "$A")" = 200
check "  ... the same document as inkan check --selector s1,s2" \
    test "$(jq -S . "$T/body")" = "$(jq -S . "$T/cli-check.json")"
check "  ... the selectors were looked at" grep -qF 's2._domainkey.example.com' "$T/body"
echo 'www.example.com. 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"' >>"$T/z.zone"
check "check of a name added to the zone since -> 200" test "$(code GET /api/check/www.example.com -H "$A")" = 200
check "  ... the new SPF record is seen" grep -qF 'ip4:192.0.2.1' "$T/body"
check "check of a bad domain -> 400" test "$(code GET '/api/check/a%20b' -H "$A")" = 400
check "check with a bad selector -> 400 bad_selector" \
    test "$(code GET '/api/check/example.com?selector=a/b' -H "$A")" = 400
check "  ... code bad_selector" test "$(jq -r .error.code "$T/body")" = bad_selector
check "POST to check -> 405" test "$(code POST /api/check/example.com -H "$A")" = 405
check "check without a token -> 401" test "$(code GET /api/check/example.com)" = 401
fi

# --- the cookie session ------------------------------------------------------
check "login with a wrong token -> 401" test "$(code POST /api/login -d '{"token":"x"}')" = 401
check "login -> 200" test "$(code POST /api/login -c "$T/jar" -d "{\"token\":\"$TOK\"}" -D "$T/hdr")" = 200
CSRF=$(jq -r .csrf_token "$T/body")
check "  ... the cookie is HttpOnly; SameSite=Strict" grep -qi '^Set-Cookie: inkan_session=[0-9a-f]*; Path=/; HttpOnly; SameSite=Strict' "$T/hdr"
check "cookie GET -> 200" test "$(code GET /api/domains -b "$T/jar")" = 200
check "cookie POST without X-CSRF-Token -> 403" test "$(code POST /api/domains/example.com/verify -b "$T/jar")" = 403
check "  ... code csrf" test "$(jq -r .error.code "$T/body")" = csrf
check "cookie DELETE with a wrong X-CSRF-Token -> 403" \
    test "$(code DELETE /api/domains/example.com -b "$T/jar" -H "X-CSRF-Token: $(printf 'f%.0s' $(seq 64))")" = 403
check "cookie POST with X-CSRF-Token -> 200" \
    test "$(code POST /api/domains/example.com/verify -b "$T/jar" -H "X-CSRF-Token: $CSRF")" = 200

# --- limits ------------------------------------------------------------------
head -c 10485760 /dev/zero | tr '\0' a >"$T/big"
check "10 MB body -> 413" test "$(code POST /api/domains -H "$A" --data-binary @"$T/big")" = 413
check "  ... code body_too_large" test "$(jq -r .error.code "$T/body")" = body_too_large
check "the service still answers" test "$(code GET /api/domains -H "$A")" = 200

# --- reports -----------------------------------------------------------------
# the same documents as `inkan report VIEW --json --no-dns` over the same store
check "reports summary, empty store -> 200" test "$(code GET /api/reports/summary -H "$A")" = 200
check "  ... no domains" test "$(jq -c .domains "$T/body")" = '[]'
"$INKAN" report import --db "$DB" "$INKAN_SRC/tests/data/reports" >/dev/null 2>&1
for view in summary sources advise; do
    "$INKAN" report $view --json --no-dns --db "$DB" >"$T/cli-$view.json" 2>/dev/null
    check "reports $view -> 200" test "$(code GET /api/reports/$view -H "$A")" = 200
    check "  ... the same document as report $view --json" \
        test "$(jq -S . "$T/body")" = "$(jq -S . "$T/cli-$view.json")"
done
check "  ... summary counts the imported messages" \
    test "$(code GET '/api/reports/summary?domain=example.org' -H "$A")" = 200
check "  ... example.org alone: 64 messages" test "$(jq -c '[.domains[].messages]' "$T/body")" = '[64]'
# since/until and the timeline, over reports of three days (and a gap)
"$INKAN" report import --db "$DB" "$INKAN_SRC/tests/data/reports-timeline" >/dev/null 2>&1
"$INKAN" report timeline --json --db "$DB" example.com >"$T/cli-tl.json" 2>/dev/null
check "timeline -> 200" test "$(code GET '/api/reports/timeline?domain=example.com' -H "$A")" = 200
check "  ... the same document as report timeline --json" \
    test "$(jq -S . "$T/body")" = "$(jq -S . "$T/cli-tl.json")"
check "  ... a day each, the day without reports as zeros" \
    test "$(jq -c '[.days[] | [.day, .messages, .dmarc_pass, .dmarc_fail]]' "$T/body")" = \
    '[["2025-11-01",50,40,10],["2025-11-02",0,0,0],["2025-11-03",35,30,5],["2025-11-04",24,20,4]]'
check "  ... totals as the summary counts them" \
    test "$(jq -c '[.totals.messages, .totals.dmarc_pass, .totals.dmarc_fail]' "$T/body")" = \
    "$(code GET '/api/reports/summary?domain=example.com' -H "$A" >/dev/null; jq -c '.domains[0] | [.messages, .dmarc_pass, .dmarc_fail]' "$T/body")"
check "timeline of every domain -> 200" test "$(code GET /api/reports/timeline -H "$A")" = 200
check "  ... example.org's day too" test "$(jq -c '[.days[] | select(.day == "2025-12-01") | .messages]' "$T/body")" = '[69]'
for view in summary sources advise timeline; do
    nodns=--no-dns; [ $view = timeline ] && nodns= # (the timeline looks up nothing)
    "$INKAN" report $view --json $nodns --db "$DB" --since 2025-11-02 --until 2025-11-03 \
        >"$T/cli-$view.json" 2>/dev/null
    check "$view?since=2025-11-02&until=2025-11-03 -> 200" \
        test "$(code GET "/api/reports/$view?since=2025-11-02&until=2025-11-03" -H "$A")" = 200
    check "  ... the same document as report $view --since --until" \
        test "$(jq -S . "$T/body")" = "$(jq -S . "$T/cli-$view.json")"
done
code GET '/api/reports/summary?since=2025-11-02&until=2025-11-03' -H "$A" >/dev/null
check "  ... the one report of that span: 35 messages" \
    test "$(jq -c '[.domains[] | [.domain, .reports, .messages, .dmarc_pass]]' "$T/body")" = '[["example.com",1,35,30]]'
check "since= as epoch seconds" test "$(code GET '/api/reports/summary?domain=example.com&since=1762214400' -H "$A")" = 200
check "  ... the last day alone: 24 messages" test "$(jq '.domains[0].messages' "$T/body")" = 24
check "sources over a span: the spoofer's 4 of the last day" \
    test "$(code GET '/api/reports/sources?domain=example.com&since=2025-11-04' -H "$A")" = 200
check "  ... 203.0.113.66: 4" \
    test "$(jq -c '[.domains[0].sources[] | select(.ip == "203.0.113.66") | .messages]' "$T/body")" = '[4]'
check "bad since= -> 400 bad_time" test "$(code GET '/api/reports/summary?since=yesterday' -H "$A")" = 400
check "  ... code bad_time" test "$(jq -r .error.code "$T/body")" = bad_time
check "2025-02-30 -> 400" test "$(code GET '/api/reports/timeline?until=2025-02-30' -H "$A")" = 400
check "since= after until= -> 400" \
    test "$(code GET '/api/reports/timeline?since=2025-11-04&until=2025-11-01' -H "$A")" = 400
expect_exit 2 "$INKAN" report timeline --since nope --db "$DB"
expect_exit 2 "$INKAN" report summary --until 2025-13-01 --db "$DB"
expect_out_contains "2025-11-03        1         35" "$INKAN" report timeline --db "$DB" example.com
check "unknown report view -> 404" test "$(code GET /api/reports/nope -H "$A")" = 404
check "bad domain= -> 400 bad_domain" test "$(code GET '/api/reports/summary?domain=a%20b' -H "$A")" = 400
check "  ... code bad_domain" test "$(jq -r .error.code "$T/body")" = bad_domain
check "POST to a report view -> 405" test "$(code POST /api/reports/summary -H "$A")" = 405
check "reports without a token -> 401" test "$(code GET /api/reports/summary)" = 401

# --- inbound evaluations -----------------------------------------------------
# rows as the milter spools them (tests/tools/evspool.py), moved into the
# store by `inkan evaluations replay`; two rows share a time (1002): the
# row id orders them
spool() { python3 "$INKAN_SRC/tests/tools/evspool.py" "$@"; }
check "evaluations, empty store -> 200" test "$(code GET /api/evaluations -H "$A")" = 200
check "  ... no rows, no next page" test "$(jq -c '[.evaluations, .next]' "$T/body")" = '[[],null]'
spool "$T/ev.spool" e1:1000:a.example:pass:none e2:1001:a.example:fail:reject \
    e3:1002:a.example:fail:quarantine e4:1002:a.example:pass:none e5:1003:b.example:pass:none \
    e6:1005:b.example:fail:none e7:1010:c.example:none:none
expect_out_contains "7 records, 7 added" "$INKAN" evaluations replay --db "$DB" "$T/ev.spool"
"$INKAN" evaluations list --json --db "$DB" >"$T/cli-ev.json"
check "evaluations -> 200" test "$(code GET /api/evaluations -H "$A")" = 200
check "  ... every row, newest first (equal times: the later stored first)" \
    test "$(jq -r '[.evaluations[].key] | join(" ")' "$T/body")" = "e7 e6 e5 e4 e3 e2 e1"
check "  ... each the document of evaluations list --json, with its row id" \
    test "$(jq -cS '[.evaluations[] | del(.id)] | reverse' "$T/body")" = "$(jq -cS . "$T/cli-ev.json")"
check "  ... row ids grow in the order stored" \
    test "$(jq -c '[.evaluations[].id] | (. == (sort | reverse)) and (unique | length == 7)' "$T/body")" = true
check "  ... no next page" test "$(jq -c .next "$T/body")" = null
check "  ... the Message-ID's <script> JSON-escaped" grep -qF '\u003cscript\u003e' "$T/body"
check "  ... never as markup" bash -c "! grep -qF '<script>' '$T/body'"
check "evaluations without a token -> 401" test "$(code GET /api/evaluations)" = 401
check "  ... code unauthorized" test "$(jq -r .error.code "$T/body")" = unauthorized
# pages of 3, followed by their cursor
check "limit=3 -> 200" test "$(code GET '/api/evaluations?limit=3' -H "$A")" = 200
check "  ... the 3 newest, and a next cursor" \
    test "$(jq -r '[.evaluations[].key] | join(" ")' "$T/body")" = "e7 e6 e5"
NEXT=$(jq -r .next "$T/body")
check "  ... the cursor is the last row's TIME.ID" \
    test "$NEXT" = "$(jq -r '.evaluations[-1] | "\(.at).\(.id)"' "$T/body")"
# a row stored between two pages does not move the next page
spool "$T/ev2.spool" e8:2000:a.example:pass:none
"$INKAN" evaluations replay --db "$DB" "$T/ev2.spool" >/dev/null
check "the next page -> 200" test "$(code GET "/api/evaluations?limit=3&after=$NEXT" -H "$A")" = 200
check "  ... the next 3, a row stored since not shifting them" \
    test "$(jq -r '[.evaluations[].key] | join(" ")' "$T/body")" = "e4 e3 e2"
NEXT=$(jq -r .next "$T/body")
check "the last page -> 200" test "$(code GET "/api/evaluations?limit=3&after=$NEXT" -H "$A")" = 200
check "  ... the oldest row, no next page" \
    test "$(jq -c '[[.evaluations[].key], .next]' "$T/body")" = '[["e1"],null]'
check "the first page again has the new row" test "$(code GET '/api/evaluations?limit=1' -H "$A")" = 200
check "  ... e8" test "$(jq -r '.evaluations[0].key' "$T/body")" = e8
check "domain=A.Example. -> 200" test "$(code GET '/api/evaluations?domain=A.Example.' -H "$A")" = 200
check "  ... the a.example rows only" \
    test "$(jq -r '[.evaluations[].key] | join(" ")' "$T/body")" = "e8 e4 e3 e2 e1"
check "since=1002&until=1005 -> 200" test "$(code GET '/api/evaluations?since=1002&until=1005' -H "$A")" = 200
check "  ... since <= time < until" test "$(jq -r '[.evaluations[].key] | join(" ")' "$T/body")" = "e5 e4 e3"
check "since as a UTC date and time" \
    test "$(code GET '/api/evaluations?since=1970-01-01T00:16:45Z&domain=b.example' -H "$A")" = 200
check "  ... e6 alone (1005)" test "$(jq -r '[.evaluations[].key] | join(" ")' "$T/body")" = e6
for bad in 'limit=0:bad_limit' 'limit=501:bad_limit' 'limit=3x:bad_limit' 'after=1002:bad_cursor' \
    'after=a.b:bad_cursor' 'after=1.-2:bad_cursor' 'since=yesterday:bad_time' \
    'since=1005&until=1002:bad_time' 'domain=a%20b:bad_domain' 'domain=com:bad_domain'; do
    check "evaluations?${bad%:*} -> 400" test "$(code GET "/api/evaluations?${bad%:*}" -H "$A")" = 400
    check "  ... code ${bad#*:}" test "$(jq -r .error.code "$T/body")" = "${bad#*:}"
done
check "POST to evaluations -> 405" test "$(code POST /api/evaluations -H "$A")" = 405
check "an unknown evaluations view -> 404" test "$(code GET /api/evaluations/nope -H "$A")" = 404
# the summary: counts per header From domain, DMARC result and disposition
check "evaluations summary -> 200" test "$(code GET /api/evaluations/summary -H "$A")" = 200
check "  ... totals: every row" \
    test "$(jq -cS .totals "$T/body")" = '{"disposition":{"none":6,"quarantine":1,"reject":1},"dmarc":{"fail":3,"none":1,"pass":4},"messages":8}'
check "  ... as many as evaluations list has" \
    test "$(jq .totals.messages "$T/body")" = "$("$INKAN" evaluations list --json --db "$DB" | jq length)"
check "  ... per domain, the busiest first" \
    test "$(jq -c '[.domains[] | [.domain, .messages, .dmarc.pass, .dmarc.fail]]' "$T/body")" = \
    '[["a.example",5,3,2],["b.example",2,1,1],["c.example",1,null,null]]'
check "  ... a.example's dispositions" \
    test "$(jq -cS '.domains[0].disposition' "$T/body")" = '{"none":3,"quarantine":1,"reject":1}'
check "  ... complete, 3 domains" test "$(jq -c '[.complete, .domains_total]' "$T/body")" = '[true,3]'
check "summary limit=1 -> 200" test "$(code GET '/api/evaluations/summary?limit=1' -H "$A")" = 200
check "  ... the busiest domain shown, all counted" \
    test "$(jq -c '[[.domains[].domain], .domains_total, .totals.messages]' "$T/body")" = '[["a.example"],3,8]'
check "summary domain=b.example&until=1005 -> 200" \
    test "$(code GET '/api/evaluations/summary?domain=b.example&until=1005' -H "$A")" = 200
check "  ... b.example's row before 1005" \
    test "$(jq -c '[[.domains[].domain], .totals.messages, .totals.dmarc]' "$T/body")" = '[["b.example"],1,{"pass":1}]'
check "summary since=x -> 400 bad_time" test "$(code GET '/api/evaluations/summary?since=x' -H "$A")" = 400
check "summary without a token -> 401" test "$(code GET /api/evaluations/summary)" = 401

# --- metrics -----------------------------------------------------------------
check "/metrics -> 200" test "$(code GET /metrics -H "$A")" = 200
check "  ... parses as the Prometheus text format" awk '
    /^#/ { next }
    !/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? [0-9.e+-]+$/ { bad = 1 }
    END { exit bad }' "$T/body"
check "  ... 401s counted" grep -qE '^inkan_http_requests_total\{code="401"\} [1-9]' "$T/body"
check "  ... the histogram ends in +Inf" grep -qE '^inkan_http_request_duration_seconds_bucket\{le="\+Inf"\} [1-9]' "$T/body"
check "  ... one domain in TEMPORARY_FAILURE" grep -qx 'inkan_domains{state="TEMPORARY_FAILURE"} 1' "$T/body"

check "every request logged with method, path, status, ms" \
    grep -qE '^inkan serve: 127\.0\.0\.1 POST /api/domains/example\.com/verify 403 [0-9.]+ms$' "$T/serve.log"
check "  ... the NUL of a path shown printable" bash -c "! grep -qa \$'\\x01' '$T/serve.log'"

check "DELETE -> 200" test "$(code DELETE /api/domains/example.com -H "$A")" = 200
check "  ... gone" test "$(code GET /api/domains/example.com -H "$A")" = 404

# rate limit: 200 a minute per client; the burst runs out
# (one curl for all, so a loaded machine does not spread them over minutes)
n429=$(curl -s -o /dev/null -w '%{http_code}\n' -H "$A" $(for _ in $(seq 220); do echo "$U/api/domains"; done) |
    grep -c '^429$')
check "a burst past --rate gets 429 ($n429)" test "$n429" -gt 0

check "the service stops on SIGTERM" kill "$PID"
wait "$PID"
check "  ... with status 0" test $? = 0
PID=

# (DNS only, no store: over SQLite alone)
if [ "$STORE" = sqlite ]; then
# --- a check whose name server never answers -----------------------------------
# the DNS work runs off the HTTP thread: other requests are answered while
# a check waits, the check ends 504 at --check-timeout, and a check still
# waiting when the service stops is answered 503
# (the silent server writes a line to silent.seen for each query it gets:
# the test knows a check is waiting on DNS without guessing at times)
python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True); s.settimeout(120)
with open(sys.argv[1], "a") as seen:
    while True:
        s.recvfrom(4096); print("query", file=seen, flush=True)' "$T/silent.seen" >"$T/silent.port" &
SPID=$!
for _ in $(seq 100); do [ -s "$T/silent.port" ] && break; sleep 0.05; done
"$INKAN" serve --listen 127.0.0.1:0 --db "$DB" --dns "127.0.0.1:$(cat "$T/silent.port")" \
    --timeout 2 --check-timeout 1 >"$T/serve2.out" 2>"$T/serve2.log" &
PID=$!
for _ in $(seq 100); do grep -q 'listening on' "$T/serve2.log" && break; sleep 0.05; done
U=http://127.0.0.1:$(sed -n 's/.*listening on .* port \([0-9]*\)$/\1/p' "$T/serve2.log")
curl -s -o "$T/slow.body" -w '%{http_code}' -H "$A" "$U/api/check/example.net" >"$T/slow.code" &
CPID=$!
for _ in $(seq 200); do [ -s "$T/silent.seen" ] && break; sleep 0.05; done
check "while a check waits on DNS, other requests are answered" \
    test "$(code GET /api/domains -H "$A")" = 200
check "  ... (the check is still waiting)" test ! -s "$T/slow.code"
wait "$CPID"
check "the check ends at --check-timeout: 504" test "$(cat "$T/slow.code")" = 504
check "  ... code check_timeout" test "$(jq -r .error.code "$T/slow.body")" = check_timeout
kill "$PID"
wait "$PID"
# again with a long --check-timeout: the check is surely still waiting
"$INKAN" serve --listen 127.0.0.1:0 --db "$DB" --dns "127.0.0.1:$(cat "$T/silent.port")" \
    --timeout 2 --check-timeout 60 >"$T/serve2.out" 2>"$T/serve3.log" &
PID=$!
for _ in $(seq 100); do grep -q 'listening on' "$T/serve3.log" && break; sleep 0.05; done
U=http://127.0.0.1:$(sed -n 's/.*listening on .* port \([0-9]*\)$/\1/p' "$T/serve3.log")
: >"$T/silent.seen"
curl -s -o "$T/slow.body" -w '%{http_code}' -H "$A" "$U/api/check/example.net" >"$T/slow.code" &
CPID=$!
for _ in $(seq 200); do [ -s "$T/silent.seen" ] && break; sleep 0.05; done
kill "$PID"
wait "$CPID"
check "a check waiting when the service stops is answered 503 ($(cat "$T/slow.code"))" test "$(cat "$T/slow.code")" = 503
wait "$PID"
check "  ... and the service stops with status 0" test $? = 0
PID=
kill "$SPID"; wait "$SPID" 2>/dev/null
expect_exit 2 "$INKAN" serve --check-timeout 0 --db "$DB"
fi
finish
