#!/bin/bash
# dkim-rotate-knot.sh - a whole DKIM key rotation against real name
# servers: example.com has two authoritative servers, two Knot instances
# on the same port at 127.0.0.1 (ns1) and 127.0.0.2 (ns2), each serving
# its own copy of the zone, reloaded as the test publishes.  ns2 lags
# behind ns1, and the rotation waits for it:
#   - PUBLISH_NEW while neither, then only ns1, serves the new keys; a
#     stopped ns2 (SIGSTOP: its queries time out) keeps it waiting too;
#   - ACTIVE once both serve them (a message signed with the new key
#     verifies against ns2);
#   - with the injected clock (--now): ACTIVE until the 7-day overlap
#     ends, then RETIRE proposing the old record revoked;
#   - RETIRE while only ns1 serves the revoked record, DONE once ns2 does.
# inkan finds the servers as `inkan domain verify` does: NS of the zone
# over --dns (ns1 here), then their addresses, each asked on --auth-port.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/lib/knot.sh"

T=$TMPDIR_TEST
DB=$T/rot.db
T0=1800000000 # 2027-01-15 08:00:00 UTC
PY=/usr/bin/python3
NS1_PID=

# stop_ns1 - the first server is not the one knot.sh holds at exit
stop_ns1() {
    if [ -n "$NS1_PID" ]; then
        kill -CONT "$NS1_PID" 2>/dev/null
        kill "$NS1_PID" 2>/dev/null
        wait "$NS1_PID" 2>/dev/null
        NS1_PID=
    fi
}
trap 'stop_ns1; rm -rf "$TMPDIR_TEST"' EXIT

# zone N SERIAL [LINE...] - write ns N's copy of the zone
zone() {
    local n=$1 serial=$2
    shift 2
    mkdir -p "$T/ns$n"
    {
        printf '$ORIGIN example.com.\n$TTL 300\n'
        printf '@ IN SOA ns1 hostmaster %s 3600 600 86400 60\n' "$serial"
        printf '@ IN NS ns1\n@ IN NS ns2\nns1 IN A 127.0.0.1\nns2 IN A 127.0.0.2\n'
        printf '%s\n' "$@"
    } >"$T/ns$n/example.com.zone"
}

# reload N SERIAL - make ns N serve its copy again and wait for SERIAL
reload() {
    local n=$1 serial=$2 dir conf addr i got
    if [ "$n" = 1 ]; then dir=$NS1_DIR conf=$NS1_CONF addr=127.0.0.1
    else dir=$NS2_DIR conf=$NS2_CONF addr=127.0.0.2; fi
    cp "$T/ns$n/example.com.zone" "$dir/zones/example.com.zone"
    "$KNOTC" -c "$conf" -b zone-reload >/dev/null 2>&1 || return 1
    for i in $(seq 1 100); do
        got=$("$KDIG" -p "$PORT" @"$addr" +time=1 +retry=0 +short example.com SOA 2>/dev/null | awk '{print $3}')
        [ "$got" = "$serial" ] && return 0
        sleep 0.1
    done
    return 1
}

# field EXPR - a Python expression over `--status example.com --json` (r: the rotation)
field() {
    "$INKAN" dkim rotate --status example.com --json --db "$DB" 2>/dev/null |
        $PY -c 'import json,sys; r=json.load(sys.stdin)[-1]; print(eval(sys.argv[1]))' "$1"
}

OLD='s1._domainkey IN TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="'
REVOKED='s1._domainkey IN TXT "v=DKIM1; p="'
zone 1 1 "$OLD"
zone 2 1 "$OLD"
mkdir -p "$T/k1" "$T/k2"
KNOT_ADDR=127.0.0.1
if ! knot_start "$T/k1" "$T/ns1/example.com.zone"; then
    _notok "start Knot at 127.0.0.1"
    finish
    exit 1
fi
NS1_PID=$KNOT_PID NS1_DIR=$KNOT_DIR NS1_CONF=$KNOT_CONF PORT=$KNOT_PORT
KNOT_PID= KNOT_ADDR=127.0.0.2 KNOT_PORT_WANT=$PORT
if ! knot_start "$T/k2" "$T/ns2/example.com.zone"; then
    _notok "start Knot at 127.0.0.2:$PORT"
    finish
    exit 1
fi
NS2_PID=$KNOT_PID NS2_DIR=$KNOT_DIR NS2_CONF=$KNOT_CONF
unset KNOT_PORT_WANT
DNS=(--dns "127.0.0.1:$PORT" --auth-port "$PORT" --timeout 2 --db "$DB")
check "two servers answer: ns2 at 127.0.0.2:$PORT" test "$("$KDIG" -p "$PORT" @127.0.0.2 +short ns2.example.com A)" = 127.0.0.2

# --- start ---------------------------------------------------------------------
expect_exit 0 "$INKAN" dkim rotate example.com --selector-format 'inkan-%Y%m' --dkim ed25519,rsa2048 \
    --old-selector s1 --out "$T/keys" --db "$DB" --now $T0 --ttl 300
grep -v '^;' "$T/out" | sed 's/^inkan-\([^.]*\)\._domainkey\.example\.com\. 300/inkan-\1._domainkey 300/' >"$T/new.lines"
check "two records to publish" test "$(wc -l <"$T/new.lines")" = 2

# --- PUBLISH_NEW: neither, then ns1 only, then ns2 stopped ----------------------
expect_exit 3 "$INKAN" dkim rotate --advance example.com "${DNS[@]}" --now $((T0 + 60))
check "neither server has the keys: PUBLISH_NEW" test "$(field 'r["phase"]')" = PUBLISH_NEW
check "  ... each server asked" test "$(field 'r["detail"]')" = "127.0.0.1: inkan-202701-ed25519 absent inkan-202701-rsa2048 absent; 127.0.0.2: inkan-202701-ed25519 absent inkan-202701-rsa2048 absent (0 of 2 servers ready)"
mapfile -t NEW <"$T/new.lines"
zone 1 2 "$OLD" "${NEW[@]}"
check "ns1 reloaded with the new keys" reload 1 2
check "  ... ns2 still without them (lagging)" test -z "$("$KDIG" -p "$PORT" @127.0.0.2 +short inkan-202701-ed25519._domainkey.example.com TXT)"
expect_exit 3 "$INKAN" dkim rotate --advance example.com "${DNS[@]}" --now $((T0 + 400))
check "ns1 serves both keys, ns2 none: still PUBLISH_NEW" test "$(field 'r["phase"]')" = PUBLISH_NEW
check "  ... the detail names the lagging server" test "$(field 'r["detail"]')" = "127.0.0.1: inkan-202701-ed25519 key inkan-202701-rsa2048 key; 127.0.0.2: inkan-202701-ed25519 absent inkan-202701-rsa2048 absent (1 of 2 servers ready)"
check "  ... the old key still signs" test "$(field 'r["signing"]')" = "['s1']"
zone 2 2 "$OLD" "${NEW[0]}"
check "ns2 reloaded with one of the two keys" reload 2 2
expect_exit 3 "$INKAN" dkim rotate --advance example.com "${DNS[@]}" --now $((T0 + 700))
check "  ... one key on ns2 is not enough" grep -q '127.0.0.2: inkan-202701-ed25519 key inkan-202701-rsa2048 absent' "$T/out"
zone 2 3 "$OLD" "${NEW[@]}"
check "ns2 has both keys now" reload 2 3
kill -STOP "$NS2_PID"
expect_exit 3 "$INKAN" dkim rotate --advance example.com "${DNS[@]}" --timeout 1 --now $((T0 + 1000))
kill -CONT "$NS2_PID"
check "ns2 stopped (its queries time out): still PUBLISH_NEW" test "$(field 'r["phase"]')" = PUBLISH_NEW
check "  ... inconclusive for ns2, retried sooner" test "$(field 'r["detail"].split("; ")[1], r["next_check"] - r["last_check"]')" = "('127.0.0.2: inkan-202701-ed25519 error inkan-202701-rsa2048 error (1 of 2 servers ready)', 120)"

# --- ACTIVE once both serve them ----------------------------------------------
expect_exit 0 "$INKAN" dkim rotate --advance example.com "${DNS[@]}" --now $((T0 + 1300))
check "both serve every new key: PUBLISH_NEW -> ACTIVE" grep -qF 'example.com: PUBLISH_NEW -> ACTIVE' "$T/out"
check "  ... the new keys sign" test "$(field 'r["signing"]')" = "['inkan-202701-ed25519', 'inkan-202701-rsa2048']"
"$INKAN" dkim sign --domain example.com --selector inkan-202701-ed25519 \
    --key "$T/keys/inkan-202701-ed25519.example.com.private" --algorithm ed25519-sha256 \
    <"$INKAN_SRC/examples/msg.eml" >"$T/signed.eml" 2>"$T/err"
expect_out_contains "pass d=example.com s=inkan-202701-ed25519" "$INKAN" dkim verify --dns "127.0.0.2:$PORT" "$T/signed.eml"

# --- the overlap, with the injected clock --------------------------------------
ACT=$((T0 + 1300))
expect_exit 0 "$INKAN" dkim rotate --advance example.com "${DNS[@]}" --now $((ACT + 7 * 86400 - 1))
check "one second before 7 days: ACTIVE, the old key kept" grep -qF '; keep s1._domainkey.example.com published' "$T/out"
expect_exit 3 "$INKAN" dkim rotate --status --check "${DNS[@]}" --now $((ACT + 7 * 86400))
check "overlap over: ACTIVE -> RETIRE" grep -qF 'example.com: ACTIVE -> RETIRE' "$T/out"
expect_out_contains 's1._domainkey.example.com. 300 IN TXT "v=DKIM1; p="' \
    "$INKAN" dkim rotate --advance example.com "${DNS[@]}" --now $((ACT + 7 * 86400 + 10))
check "  ... proposes removing the old record" grep -qF '; remove the record of s1._domainkey.example.com' "$T/out"

# --- RETIRE waits for both servers to drop the old key --------------------------
zone 1 3 "$REVOKED" "${NEW[@]}"
check "ns1 serves the old key revoked" reload 1 3
expect_exit 3 "$INKAN" dkim rotate --advance example.com "${DNS[@]}" --now $((ACT + 8 * 86400))
check "ns2 still has the old key: RETIRE" test "$(field 'r["phase"], r["detail"]')" = "('RETIRE', '127.0.0.1: s1 revoked; 127.0.0.2: s1 key (1 of 2 servers ready)')"
zone 2 4 "${NEW[@]}"
check "ns2 dropped the old record" reload 2 4
expect_exit 0 "$INKAN" dkim rotate --advance example.com "${DNS[@]}" --now $((ACT + 8 * 86400 + 300))
check "revoked on ns1, gone on ns2: RETIRE -> DONE" grep -qF 'example.com: RETIRE -> DONE' "$T/out"
check "  ... DONE in the store" test "$(field 'r["phase"], r["next_check"]')" = "('DONE', 0)"

stop_ns1
finish
