#!/bin/bash
# domain-knot.sh - verification that follows publication, against a real
# authoritative server (Knot on 127.0.0.1 at a free port) whose zones
# change during the test (knot_reload between polls):
#   - provisioning round trip: provision over DNS -> load its zone fragment
#     into Knot -> domain verify reports VERIFIED;
#   - NOT_STARTED -> PENDING -> VERIFIED as records appear (partly, then all);
#   - a removed record -> TEMPORARY_FAILURE, back to VERIFIED when restored;
#   - never published -> FAILURE after the simulated 72 hours;
#   - a `watch` killed with SIGKILL and restarted loses no state, and sees a
#     just-published record at the authoritative server while the recursive
#     resolver it also asks still holds the cached negative answer;
#   - many domains are checked at once: `verify` of 12 domains whose
#     authoritative server never answers takes about one query timeout,
#     not one per domain, and `watch` checks them all in one round.
# The zones' NS records point at 127.0.0.1, so inkan finds the server the
# way it does in real life (NS, then addresses); --auth-port says which
# port the authoritative server listens on.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/lib/knot.sh"

T=$TMPDIR_TEST
P=$INKAN_SRC/examples/profiles
DB=$T/state.db
T0=1800000000
PY=/usr/bin/python3

# zone ORIGIN [EXTRA-LINE...] - write the base zone of ORIGIN
zone() {
    local origin=$1; shift
    {
        printf '$ORIGIN %s.\n$TTL 300\n' "$origin"
        printf '@ IN SOA ns1 hostmaster 1 3600 600 86400 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n'
        printf '@ IN MX 10 mail\nmail IN A 192.0.2.25\n'
        for l in "$@"; do printf '%s\n' "$l"; done
    } >"$T/$origin.zone"
}

# jq_field DOMAIN EXPR - evaluate a Python expression over `status --json`
# (d is the domain's object)
jq_field() {
    "$INKAN" domain status "$1" --json --history 1000 --db "$DB" 2>/dev/null |
        $PY -c 'import json,sys; d=json.load(sys.stdin)[0]; print(eval(sys.argv[1]))' "$2"
}

zone example.com '@ IN TXT "v=spf1 mx include:_spf.example.org ~all"'
zone example.org
zone example.net '@ IN TXT "v=spf1 mx -all"'
# slow.example is delegated to 127.0.0.2, where nothing ever answers
{
    printf '$ORIGIN slow.example.\n$TTL 300\n'
    printf '@ IN SOA ns1 hostmaster 1 3600 600 86400 60\n@ IN NS ns1\nns1 IN A 127.0.0.2\n'
} >"$T/slow.example.zone"
# half.example has two name servers: the silent one and Knot
{
    printf '$ORIGIN half.example.\n$TTL 300\n'
    printf '@ IN SOA ns1 hostmaster 1 3600 600 86400 60\n@ IN NS ns1\n@ IN NS ns2\n'
    printf 'ns1 IN A 127.0.0.2\nns2 IN A 127.0.0.1\n'
    printf '@ IN TXT "v=spf1 include:_spf.mail.example.net -all"\n'
    printf 'bounce IN CNAME bounces.mail.example.net.\n'
    printf '_dmarc IN TXT "v=DMARC1; p=none"\n'
} >"$T/half.example.zone"
mkdir -p "$T/knot"
if ! knot_start "$T/knot" "$T/example.com.zone" "$T/example.org.zone" "$T/example.net.zone" \
    "$T/slow.example.zone" "$T/half.example.zone"; then
    _notok "start Knot"
    finish
    exit 1
fi
DNS=(--dns "127.0.0.1:$KNOT_PORT" --auth-port "$KNOT_PORT" --timeout 3)

# --- provisioning round trip and NOT_STARTED -> PENDING -> VERIFIED ---------
expect_exit 0 "$INKAN" provision example.com --profile "$P/keys-tracking-ips.yaml" \
    --dkim ed25519 "${DNS[@]:0:2}" --out "$T/prov"
check "provision read the published SPF record over DNS" \
    grep -qF 'v=spf1 mx include:_spf.example.org ip4:192.0.2.0/24' "$T/prov/example.com.zone"
expect_exit 0 "$INKAN" domain add example.com --out "$T/prov" --db "$DB" --now $T0
check "added: NOT_STARTED" test "$(jq_field example.com 'd["state"]')" = NOT_STARTED
expect_exit 3 "$INKAN" domain verify example.com --db "$DB" "${DNS[@]}" --now $T0
check "first check: PENDING" test "$(jq_field example.com 'd["state"]')" = PENDING
check "every record PENDING" test "$(jq_field example.com 'sorted(set(r["state"] for r in d["records"]))')" = "['PENDING']"
check "the recursive view is reported" test "$(jq_field example.com 'all(r["recursive"] for r in d["records"])')" = True

# IT publishes the CNAMEs first
grep ' IN CNAME ' "$T/prov/example.com.zone" | grep -v '^;' >>"$T/example.com.zone"
knot_reload
expect_exit 3 "$INKAN" domain verify example.com --db "$DB" "${DNS[@]}" --now $((T0 + 300))
check "partly published: still PENDING" test "$(jq_field example.com 'd["state"]')" = PENDING
check "the CNAMEs are VERIFIED" test "$(jq_field example.com '[r["state"] for r in d["records"] if r["type"]=="CNAME"]')" = "['VERIFIED', 'VERIFIED']"
check "the DKIM keys are still PENDING" test "$(jq_field example.com '[r["state"] for r in d["records"] if r["purpose"]=="dkim"]')" = "['PENDING', 'PENDING']"

# then the rest, replacing the old SPF record as the checklist says
grep -v 'v=spf1 mx include:_spf.example.org ~all' "$T/example.com.zone" >"$T/tmp.zone"
grep -v '^;' "$T/prov/example.com.zone" | grep -v ' IN CNAME ' >>"$T/tmp.zone"
mv "$T/tmp.zone" "$T/example.com.zone"
knot_reload
expect_exit 0 "$INKAN" domain verify example.com --db "$DB" "${DNS[@]}" --now $((T0 + 600))
check "round trip: provision -> Knot -> verify is VERIFIED" test "$(jq_field example.com 'd["state"]')" = VERIFIED
check "each record keeps its last seen value" test "$(jq_field example.com 'all(r["seen"] for r in d["records"])')" = True
check "each record keeps its check time" test "$(jq_field example.com 'set(r["last_check"] for r in d["records"])')" = "{$((T0 + 600))}"
check "history: NOT_STARTED -> PENDING -> VERIFIED" \
    test "$(jq_field example.com '[(h["from"],h["to"]) for h in d["history"] if h["name"] is None]')" = \
    "[('NOT_STARTED', 'PENDING'), ('PENDING', 'VERIFIED')]"

# --- a removed record: TEMPORARY_FAILURE, then back ----------------------------
grep -v '^links\.example\.com\. .* CNAME' "$T/example.com.zone" >"$T/tmp.zone"
cp "$T/example.com.zone" "$T/example.com.full"
mv "$T/tmp.zone" "$T/example.com.zone"
knot_reload
expect_exit 4 "$INKAN" domain verify example.com --db "$DB" "${DNS[@]}" --now $((T0 + 6 * 3600))
check "record removed: TEMPORARY_FAILURE" test "$(jq_field example.com 'd["state"]')" = TEMPORARY_FAILURE
check "the removed record is TEMPORARY_FAILURE, the others VERIFIED" \
    test "$(jq_field example.com '[(r["name"], r["state"]) for r in d["records"] if r["state"]!="VERIFIED"]')" = \
    "[('links.example.com', 'TEMPORARY_FAILURE')]"
cp "$T/example.com.full" "$T/example.com.zone"
knot_reload
expect_exit 0 "$INKAN" domain verify example.com --db "$DB" "${DNS[@]}" --now $((T0 + 7 * 3600))
check "restored: VERIFIED again" test "$(jq_field example.com 'd["state"]')" = VERIFIED

# --- never published: FAILURE after 72 hours -----------------------------------
expect_exit 0 "$INKAN" domain add example.org --profile "$P/include-bounce.yaml" --db "$DB" --now $T0
expect_exit 3 "$INKAN" domain verify example.org --db "$DB" "${DNS[@]}" --now $T0
expect_exit 3 "$INKAN" domain verify example.org --db "$DB" "${DNS[@]}" --now $((T0 + 71 * 3600))
expect_exit 4 "$INKAN" domain verify example.org --db "$DB" "${DNS[@]}" --now $((T0 + 72 * 3600))
check "never published: FAILURE" test "$(jq_field example.org 'd["state"]')" = FAILURE
check "FAILURE is not polled any more" test "$(jq_field example.org 'd["next_poll"]')" = 0

# --- watch: killed with SIGKILL, restarted, loses nothing ---------------------
# Simulated time runs 600 times faster than real time (5 minutes a half second).
export INKAN_CLOCK_REF=$(date +%s) INKAN_CLOCK_SPEED=600 INKAN_NOW=$((T0 + 100 * 3600))
expect_exit 0 "$INKAN" domain add example.net --profile "$P/include-bounce.yaml" --db "$DB"
# wait_for DOMAIN EXPR SECONDS - until the expression is True
wait_for() {
    local i
    for i in $(seq 1 $(($3 * 5))); do
        [ "$(jq_field "$1" "$2")" = True ] && return 0
        sleep 0.2
    done
    return 1
}
"$INKAN" domain watch --db "$DB" "${DNS[@]}" >"$T/watch1.log" 2>&1 &
WPID=$!
check "watch polls: PENDING after 3 polls" wait_for example.net 'd["state"]=="PENDING" and d["polls"]>=3' 30
kill -KILL $WPID
wait $WPID 2>/dev/null
WSTART=$(jq_field example.net 'd["window_start"]')
NHIST=$(jq_field example.net 'len(d["history"])')
check "after SIGKILL the database opens and the state is there" test "$(jq_field example.net 'd["state"]')" = PENDING
expect_exit 3 "$INKAN" domain status example.net --db "$DB"
"$INKAN" domain watch --db "$DB" "${DNS[@]}" >"$T/watch2.log" 2>&1 &
WPID=$!
# let the restarted watch poll (and its resolver cache the NXDOMAIN answers)
POLLS=$(jq_field example.net 'd["polls"]')
check "restarted watch polls on" wait_for example.net "d['polls']>$POLLS" 30
# publish while the watch runs
cat >>"$T/example.net.zone" <<'EOF'
bounce 300 IN CNAME bounces.mail.example.net.
_dmarc 300 IN TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.net"
EOF
sed -i 's/"v=spf1 mx -all"/"v=spf1 mx include:_spf.mail.example.net -all"/' "$T/example.net.zone"
knot_reload
check "restarted watch: VERIFIED once published" wait_for example.net 'd["state"]=="VERIFIED"' 60
kill -TERM $WPID
wait $WPID
check "watch stops cleanly on SIGTERM" test $? = 0
check "the window did not restart" test "$(jq_field example.net 'd["window_start"]')" = "$WSTART"
check "history kept and continued" test "$(jq_field example.net 'len(d["history"])')" -gt "$NHIST"
check "NOT_STARTED -> PENDING happened once, not again after the restart" \
    test "$(jq_field example.net 'sum(1 for h in d["history"] if h["name"] is None and h["from"]=="NOT_STARTED")')" = 1
check "the restarted watch logged the change" grep -q 'example.net: PENDING -> VERIFIED' "$T/watch2.log"
# the authoritative server answered at once; the recursive resolver the
# watch also asks kept its cached negative answer (TTL 60 s)
check "recursive view reported beside the authoritative one" \
    test "$(jq_field example.net '[r["recursive"] for r in d["records"] if r["purpose"]=="dmarc"][0] is not None')" = True
echo "# dmarc record, recursive view: $(jq_field example.net '[r["recursive"] for r in d["records"] if r["purpose"]=="dmarc"][0]')"
unset INKAN_CLOCK_REF INKAN_CLOCK_SPEED INKAN_NOW

# --- many domains at once -------------------------------------------------------
# a UDP server on 127.0.0.2 that reads queries and never answers (stopped by PID)
$PY -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.2", int(sys.argv[1])))
while True:
    s.recv(4096)
' "$KNOT_PORT" &
HOLE=$!
SLOW=()
for i in $(seq 1 12); do
    SLOW+=("d$i.slow.example")
    expect_exit 0 "$INKAN" domain add "d$i.slow.example" --profile "$P/include-bounce.yaml" --db "$DB" --now $T0
done
S0=$(date +%s.%N)
expect_exit 3 "$INKAN" domain verify "${SLOW[@]}" --db "$DB" "${DNS[@]:0:4}" --timeout 1 --now $T0
S1=$(date +%s.%N)
echo "# 12 domains, authoritative server silent, --timeout 1: $($PY -c "print(round($S1 - $S0, 2))") s"
check "verify checks the domains at once (12 silent domains in under 6 s, not 12+)" \
    $PY -c "import sys; sys.exit(0 if $S1 - $S0 < 6 else 1)"
check "a silent server's check is inconclusive: every record still awaited" \
    test "$(jq_field d7.slow.example 'sorted(set(r["state"] for r in d["records"]))')" = "['PENDING']"
check "and says why" test "$(jq_field d7.slow.example 'all("TIMEOUT" in r["detail"] for r in d["records"])')" = True
expect_out_contains "d12.slow.example: PENDING" "$INKAN" domain verify "${SLOW[@]}" --db "$DB" \
    "${DNS[@]:0:4}" --timeout 1 --now $T0
S0=$(date +%s.%N)
expect_exit 0 "$INKAN" domain watch --once --db "$DB" "${DNS[@]:0:4}" --timeout 1 --now $((T0 + 3600))
S1=$(date +%s.%N)
check "watch --once checks the due domains at once (under 6 s)" \
    $PY -c "import sys; sys.exit(0 if $S1 - $S0 < 6 else 1)"
check "watch polled every due domain" \
    test "$(jq_field d12.slow.example 'd["last_check"]')" = $((T0 + 3600))
# one silent server of two: the other one answers, as before the driver
expect_exit 0 "$INKAN" domain add half.example --profile "$P/include-bounce.yaml" --db "$DB" --now $T0
expect_exit 0 "$INKAN" domain verify half.example --db "$DB" "${DNS[@]:0:4}" --timeout 1 --now $T0
check "one silent name server of two: VERIFIED through the other" \
    test "$(jq_field half.example 'd["state"]')" = VERIFIED
"$INKAN" domain remove half.example --db "$DB" >/dev/null
kill $HOLE
wait $HOLE 2>/dev/null
for d in "${SLOW[@]}"; do "$INKAN" domain remove "$d" --db "$DB" >/dev/null; done

# --- a dead server: an inconclusive check changes nothing ----------------------
knot_stop
STATE=$(jq_field example.com 'd["state"]')
"$INKAN" domain verify example.com --db "$DB" --dns 127.0.0.1:$KNOT_PORT --auth-port $KNOT_PORT \
    --timeout 1 --now $((T0 + 8 * 3600)) >/dev/null 2>&1
check "a dead server does not turn VERIFIED into a failure" test "$(jq_field example.com 'd["state"]')" = "$STATE"

finish
