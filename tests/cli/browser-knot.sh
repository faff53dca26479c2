#!/bin/bash
# browser-knot.sh - the dashboard's publication flow against a real
# authoritative server: Knot on 127.0.0.1 at a free port serves
# example.com (SOA, NS, no mail records yet); `inkan serve --dns
# 127.0.0.1:PORT --auth-port PORT` checks against it; headless chromium
# (Debian's /usr/bin/chromium, driven by playwright-core from
# tests/browser's lockfile, nothing downloaded) runs
# tests/browser/knot_flow.js: log in, add the domain with a shipped
# profile, see its records NOT_STARTED/PENDING, download the zone file,
# which this script publishes in Knot (knot_reload), Verify -> VERIFIED;
# a record removed from the zone -> Verify -> TEMPORARY_FAILURE naming it;
# then the service restarted with INKAN_CLOCK_SPEED so its own watch loop
# repairs the domain and, once another record is removed, its periodic
# re-check of a VERIFIED domain (drift monitoring) turns it
# TEMPORARY_FAILURE, with no Verify click (its log shows no verify request).
# knot_flow.js asks for each zone change on a FIFO and waits for the
# answer on another.  Screenshots go to BUILD/browser-knot-shots.  Knot,
# the service and chromium (with node) are stopped by PID.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/lib/knot.sh"

T=$TMPDIR_TEST
B=$INKAN_SRC/tests/browser
SHOTS=$(dirname "$INKAN")/browser-knot-shots
DB=$T/state.db
ZONE=$T/example.com.zone
# Seconds to wait for the service to listen, and to stop on SIGTERM.
SERVE_WAIT=30
# Seconds the whole browser run may take before it is stopped.
RUN_LIMIT=300
# The sped-up clock of the second service: the 6-hour re-check of a
# VERIFIED domain comes every 7.2 real seconds.
SPEED=3000
SPID=
NODE=
KIDS=

# stop_serve - SIGTERM the service, wait for it (SIGKILL after SERVE_WAIT s); its exit status
stop_serve() {
    local i rc
    [ -n "$SPID" ] || return 0
    kill "$SPID" 2>/dev/null
    for i in $(seq 1 $((SERVE_WAIT * 10))); do
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$SPID" 2>/dev/null
    wait "$SPID"
    rc=$?
    SPID=
    return $rc
}
# stop_node - node, and chromium (its child, leader of its own process group)
stop_node() {
    local k
    if [ -n "$NODE" ]; then
        KIDS="$KIDS $(pgrep -P "$NODE" 2>/dev/null | tr '\n' ' ')"
        kill "$NODE" 2>/dev/null
        wait "$NODE" 2>/dev/null
        NODE=
    fi
    # (only if that PID is still chromium's: never a reused one)
    for k in $KIDS; do
        grep -qs chrom "/proc/$k/comm" && { kill -- "-$k" 2>/dev/null || kill "$k" 2>/dev/null; }
    done
}
trap 'stop_node; stop_serve; knot_stop; rm -rf "$T"' EXIT

missing=
for tool in /usr/sbin/knotd /usr/sbin/knotc /usr/bin/kdig /usr/bin/chromium /usr/bin/node; do
    [ -x "$tool" ] || missing="$missing $tool"
done
[ -d "$B/node_modules/playwright-core" ] || missing="$missing tests/browser/node_modules"
if [ -n "$missing" ]; then
    echo "# missing:$missing (apt-get install knot knot-dnsutils chromium nodejs; make deps runs npm ci)"
    if [ "${CI:-}" = true ]; then _notok "the Knot browser test's tools are installed"; finish; exit; fi
    finish || exit 1
    exit 77
fi

# serve_start N [VAR=VALUE...] - start the service (the environment given)
# against Knot; sets SPID and U, logs in T/serveN.{out,log}
serve_start() {
    local n=$1 i port
    shift
    env "$@" "$INKAN" serve --listen 127.0.0.1:0 --db "$DB" --profiles "$INKAN_SRC/examples/profiles" \
        --dns "127.0.0.1:$KNOT_PORT" --auth-port "$KNOT_PORT" >"$T/serve$n.out" 2>"$T/serve$n.log" &
    SPID=$!
    for i in $(seq 1 $((SERVE_WAIT * 10))); do
        grep -q 'listening on' "$T/serve$n.log" && break
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.1
    done
    port=$(sed -n 's/.*listening on .* port \([0-9]*\)$/\1/p' "$T/serve$n.log")
    [ -n "$port" ] || { sed 's/^/#   /' "$T/serve$n.log"; return 1; }
    U=http://127.0.0.1:$port
}

# served NAME TYPE - the data Knot serves for NAME TYPE (nothing when none)
served() {
    kdig -p "$KNOT_PORT" @127.0.0.1 +time=2 +retry=2 +short "$1" "$2" 2>/dev/null
}

# zone_lines FILE - the record lines of a zone file as "NAME TYPE"
zone_lines() { awk '$1 !~ /^[;$]/ && $3 == "IN" { print $1, $4 }' "$1"; }

# all_served FILE - Knot serves every record of FILE
all_served() {
    local name type
    while read -r name type; do
        [ -n "$(served "$name" "$type")" ] || { echo "# $name $type is not served"; return 1; }
    done < <(zone_lines "$1")
}

# do_ask CMD ARG... - carry out one request of knot_flow.js; ANSWER is
# the line to send back ("ok [URL]" or "fail WHY").  Runs in this shell,
# not a subshell: "fast" restarts the service, whose PID it keeps.
do_ask() {
    local cmd=$1 before
    shift
    ANSWER=ok
    case $cmd in
    publish)
        if [ ! -r "${1:-}" ] || [ -z "$(zone_lines "$1")" ]; then ANSWER="fail no records in '${1:-}'"
        else
            cat "$1" >>"$ZONE"
            cp "$ZONE" "$T/full.zone"
            if ! knot_reload; then ANSWER="fail knot_reload"
            elif ! all_served "$ZONE"; then ANSWER="fail not served after the reload"; fi
        fi ;;
    remove)
        before=$(zone_lines "$ZONE" | wc -l)
        awk -v n="${1:-}." -v t="${2:-}" '!($1 == n && $4 == t)' "$ZONE" >"$T/cut.zone"
        if [ "$(zone_lines "$T/cut.zone" | wc -l)" -ge "$before" ]; then ANSWER="fail no ${1:-} ${2:-} in the zone"
        else
            mv "$T/cut.zone" "$ZONE"
            if ! knot_reload; then ANSWER="fail knot_reload"
            elif [ -n "$(served "$1" "$2")" ]; then ANSWER="fail $1 $2 still served"; fi
        fi ;;
    restore)
        cp "$T/full.zone" "$ZONE"
        if ! knot_reload; then ANSWER="fail knot_reload"
        elif ! all_served "$ZONE"; then ANSWER="fail not served after the reload"; fi ;;
    fast)
        if ! stop_serve; then ANSWER="fail the service did not stop cleanly"
        elif ! serve_start 2 INKAN_CLOCK_SPEED=$SPEED INKAN_CLOCK_REF="$(date +%s)"; then
            ANSWER="fail the sped-up service did not start"
        else ANSWER="ok $U"; fi ;;
    *) ANSWER="fail unknown request '$cmd'" ;;
    esac
}

# the domain's zone before publication: SOA, NS, the name server's address
cat >"$ZONE" <<'EOF'
$ORIGIN example.com.
$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 86400 60
@ IN NS ns1
ns1 IN A 127.0.0.1
@ IN MX 10 mail
mail IN A 192.0.2.25
EOF
mkdir "$T/knot"
knot_start "$T/knot" "$ZONE" || { _notok "Knot starts on loopback"; finish; exit; }
check "Knot serves example.com without the mail records" test -z "$(served em.example.com TXT)"
TOK=$("$INKAN" token create browser --db "$DB" 2>/dev/null)
check "a token is made" test -n "$TOK"
serve_start 1 || { _notok "inkan serve --dns --auth-port starts"; finish; exit; }
check "inkan serve --dns 127.0.0.1:$KNOT_PORT --auth-port $KNOT_PORT listens" test -n "$SPID"

rm -rf "$SHOTS" && mkdir -p "$SHOTS"
mkfifo "$T/ask" "$T/said"
# read-write opens: neither side blocks opening, whichever comes first
exec 3<>"$T/ask" 4<>"$T/said"
HOME=$T node "$B/knot_flow.js" "$U" "$TOK" "$SHOTS" "$T/ask" "$T/said" >"$T/node.out" 2>&1 &
NODE=$!
start=$(date +%s)
while kill -0 "$NODE" 2>/dev/null; do
    # chromium, while it runs (stopped by PID even if node is killed);
    # kept once seen, for the check that it is gone at the end
    kids=$(pgrep -P "$NODE" 2>/dev/null | tr '\n' ' ')
    [ -n "$kids" ] && KIDS=$kids
    if [ $(($(date +%s) - start)) -gt $RUN_LIMIT ]; then
        echo "# the browser run took over $RUN_LIMIT s: stopped"
        stop_node
        break
    fi
    read -r -t 1 cmd args <&3 || continue
    # shellcheck disable=SC2086
    do_ask "$cmd" $args 2>>"$T/zone.log"
    echo "# $(($(date +%s) - start)) s: $cmd $args: $ANSWER"
    echo "$ANSWER" >&4
done
rc=1
if [ -n "$NODE" ]; then
    wait "$NODE"
    rc=$?
    NODE=
fi
stop_node
seen_kids=$KIDS
echo "# browser run: $(($(date +%s) - start)) s"
check "chromium (pid $seen_kids) is stopped with node" bash -c "[ -n \"$seen_kids\" ] && ! kill -0 $seen_kids 2>/dev/null"
sed 's/^/#   /' "$T/node.out"
check "the browser run passed (knot_flow.js: $(grep -c '^ok' "$T/node.out") ok)" test "$rc" = 0
check "screenshots of each step under the build dir" test "$(ls "$SHOTS"/*.png 2>/dev/null | wc -l)" -ge 6

# what the services did, from their logs
check "first service: the two Verify clicks reached POST /api/domains/example.com/verify" \
    test "$(grep -c 'POST /api/domains/example.com/verify 200' "$T/serve1.log")" = 2
check "  ... and it logged the removed record's change" \
    grep -q 'CNAME click.em.example.com (tracking): VERIFIED -> TEMPORARY_FAILURE' "$T/serve1.out"
check "the sped-up service had no verify request (its watch loop checked)" \
    bash -c "! grep -q '/verify' '$T/serve2.log'"
check "  ... its watch repaired the domain" grep -q 'example.com: TEMPORARY_FAILURE -> VERIFIED' "$T/serve2.out"
check "  ... and found the drift of the DMARC record" \
    grep -q 'TXT _dmarc.example.com (dmarc): VERIFIED -> TEMPORARY_FAILURE' "$T/serve2.out"
stop_serve
check "the service stops on SIGTERM with exit 0" test $? = 0
"$INKAN" domain status example.com --json --db "$DB" >"$T/status.json" 2>/dev/null
check "the store agrees: TEMPORARY_FAILURE, only _dmarc.example.com not VERIFIED" \
    test "$(jq -c '[.[0].state, [.[0].records[] | select(.state != "VERIFIED") | .name]]' "$T/status.json")" = \
    '["TEMPORARY_FAILURE",["_dmarc.example.com"]]'
finish
