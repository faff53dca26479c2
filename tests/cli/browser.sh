#!/bin/bash
# browser.sh - the dashboard of `inkan serve` in headless chromium (Debian's
# /usr/bin/chromium) driven by playwright-core (tests/browser, installed
# from its package-lock.json by `make deps`; nothing is downloaded here):
# tests/browser/dashboard.js logs in, adds a domain, verifies it against
# the zone file the service reads and checks a <script> TXT renders as
# text, copies a record, opens the check findings and the report charts
# (their numbers compared with `inkan report summary/timeline --json` over
# the same store); tests/browser/evaluations.js pages through the recorded
# inbound evaluations (the order and counts of `inkan evaluations list
# --json`, a header From holding markup shown as text).  Screenshots go to
# BUILD/browser-shots.  Also: the page is served
# from the binary with a Content-Security-Policy, and app.js never uses
# innerHTML.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

T=$TMPDIR_TEST
B=$INKAN_SRC/tests/browser
SHOTS=$(dirname "$INKAN")/browser-shots
PID=
stop() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; PID=; }
trap 'stop; rm -rf "$T"' EXIT

check "app.js inserts text with textContent, never innerHTML/outerHTML/insertAdjacentHTML" \
    bash -c "! grep -nE 'innerHTML|outerHTML|insertAdjacentHTML|document\\.write' '$INKAN_SRC/web/app.js'"

"$INKAN" token create browser --db "$T/db" >"$T/tok" 2>/dev/null
TOK=$(cat "$T/tok")
cat >"$T/z.zone" <<'EOF'
$ORIGIN example.com.
$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 86400 60
@ IN NS ns1
ns1 IN A 192.0.2.53
EOF
"$INKAN" report import --db "$T/db" "$INKAN_SRC/tests/data/reports-timeline" >/dev/null 2>&1
"$INKAN" report summary --json --no-dns --db "$T/db" >"$T/summary.json"
"$INKAN" report timeline --json --db "$T/db" example.com >"$T/timeline.json"
check "the reports to chart are stored" test "$(jq '.domains[0].messages' "$T/summary.json")" = 109
# 30 inbound evaluations over three header From domains (two of the same
# second), the last one's header From holding markup
ev=()
for i in $(seq 0 28); do
    ev+=("ev$i:$((1764000000 + i * 60 - (i == 5 ? 60 : 0))):$(printf '%s' abc | cut -c$((i % 3 + 1))).example:$([ $((i % 4)) = 0 ] && echo fail || echo pass):$([ $((i % 4)) = 0 ] && echo reject || echo none)")
done
ev+=("ev29:1764002000:<img src=x onerror=window.pwned=3>:fail:quarantine")
python3 "$INKAN_SRC/tests/tools/evspool.py" "$T/ev.spool" "${ev[@]}"
"$INKAN" evaluations replay --db "$T/db" "$T/ev.spool" >/dev/null
"$INKAN" evaluations list --json --db "$T/db" >"$T/evaluations.json"
check "the evaluations to list are stored" test "$(jq length "$T/evaluations.json")" = 30
"$INKAN" serve --listen 127.0.0.1:0 --db "$T/db" --profiles "$INKAN_SRC/examples/profiles" \
    --zone "$T/z.zone" >"$T/serve.out" 2>"$T/serve.log" &
PID=$!
for _ in $(seq 100); do grep -q 'listening on' "$T/serve.log" && break; sleep 0.05; done
PORT=$(sed -n 's/.*listening on .* port \([0-9]*\)$/\1/p' "$T/serve.log")
U=http://127.0.0.1:$PORT
check "the page is served from the binary" \
    test "$(curl -s -o "$T/index" -D "$T/hdr" -w '%{http_code}' "$U/")" = 200
check "  ... with a Content-Security-Policy of its own files only" \
    grep -qi "^Content-Security-Policy: default-src 'self'; script-src 'self'" "$T/hdr"
check "  ... and it loads nothing from elsewhere" bash -c "! grep -qE '(src|href)=\"(https?:)?//' '$T/index'"
check "app.js is served as JavaScript" \
    test "$(curl -s -o /dev/null -w '%{content_type}' "$U/app.js")" = 'text/javascript; charset=utf-8'

if [ ! -x /usr/bin/chromium ] || [ ! -d "$B/node_modules/playwright-core" ]; then
    echo "# chromium or tests/browser/node_modules missing (make deps installs them)"
    if [ "${CI:-}" = true ]; then _notok "the browser test's tools are installed"; finish; exit; fi
    finish || exit 1
    exit 77
fi
rm -rf "$SHOTS" && mkdir -p "$SHOTS"
HOME=$T node "$B/dashboard.js" "$U" "$TOK" "$T/z.zone" "$SHOTS" "$T/summary.json" "$T/timeline.json" >"$T/node.out" 2>&1
rc=$?
sed 's/^/#   /' "$T/node.out"
check "the browser run passed (dashboard.js: $(grep -c '^ok' "$T/node.out") ok)" test "$rc" = 0
HOME=$T node "$B/evaluations.js" "$U" "$TOK" "$SHOTS" "$T/evaluations.json" >"$T/node-ev.out" 2>&1
rc=$?
sed 's/^/#   /' "$T/node-ev.out"
check "the evaluations view passed (evaluations.js: $(grep -c '^ok' "$T/node-ev.out") ok)" test "$rc" = 0
check "screenshots of each page under the build dir" test "$(ls "$SHOTS"/*.png 2>/dev/null | wc -l)" -ge 7
finish
