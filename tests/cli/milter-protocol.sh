#!/bin/bash
# milter-protocol.sh - what `inkan milter` negotiates with the MTA and when
# it answers, seen on the wire (tests/tools/milter_client.py speaks the
# milter protocol as Postfix does, no Postfix needed):
#   - on TCP every step is answered (the MTA's Nagle algorithm would hold
#     commands sent without waiting), DATA and unknown commands are left
#     out; a signed message gets our Authentication-Results;
#   - on a unix socket, offered everything Postfix 3.7 offers, it asks for
#     no reply to the connection, HELO, MAIL, RCPT, each header, the end
#     of the header and the body, for DATA and unknown commands not to be
#     sent, and for header values with their leading space; the only answer is the one
#     at the end of the message (our Authentication-Results and continue
#     for an aligned message, 550 5.7.1 for a spoof of a p=reject domain),
#     and nothing comes after QUIT that the MTA did not wait for;
#   - an MTA without the no-reply options gets an answer to every step
#     (libmilter gives it) and the same result;
#   - under a people-centric policy (mixed-recipients: split) RCPT keeps
#     its answer: the recipient of the other kind gets 452 4.5.3, the
#     message is refused for the protected one.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/cli/verify_lib.sh"
. "$INKAN_SRC/tests/lib/postfix.sh"

T=$TMPDIR_TEST
if ! verify_setup "$T"; then
    _notok "set up the messages and the zone"
    finish
    exit 1
fi
CLIENT=$INKAN_SRC/tests/tools/milter_client.py
# what Postfix 3.7 offers at milter_protocol = 6: SMFIP_NOCONNECT ...
# SMFIP_HDR_LEADSPC, every bit from 0x1 to 0x100000
OFFER_ALL=1fffff
# an MTA of protocol 6 without the no-reply options (nor SKIP, RCPT_REJ):
# the NO* steps and the leading space
OFFER_OLD=100373
# the no-reply steps (SMFIP_NR_CONN, _HELO, _MAIL, _RCPT, _HDR, _EOH,
# _BODY), the skipped ones (SMFIP_NODATA, SMFIP_NOUNKNOWN), SMFIP_HDR_LEADSPC
NR_ALL=$((0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x80 | 0x40000 | 0x80000))
SKIPPED=$((0x200 | 0x100))
LEADSPC=$((0x100000))
WANT_ALL=$(printf '0x%x' $((NR_ALL | SKIPPED | LEADSPC)))
WANT_SPLIT=$(printf '0x%x' $(((NR_ALL & ~0x8000) | SKIPPED | LEADSPC)))
WANT_OLD=$(printf '0x%x' $((SKIPPED | LEADSPC)))

MPORT=$(pf_free_port)
TPORT=$(pf_free_port)
while [ "$TPORT" = "$MPORT" ]; do TPORT=$(pf_free_port); done
SOCK=$T/milter.sock
printf 'authserv-id: mx.example.net\nmode: enforce\n' >"$T/policy.yaml"
cat >"$T/tcp.yaml" <<M
socket: inet:$TPORT@127.0.0.1
authserv-id: mx.example.net
policy: policy.yaml
dns:
  zone: verify.zone
M
cat >"$T/milter.yaml" <<M
socket: unix:$SOCK
authserv-id: mx.example.net
policy: policy.yaml
dns:
  zone: verify.zone
internal-networks: [10.9.9.0/24]
M
# milter_start (tests/lib/postfix.sh) writes into _pf_t
_pf_t=$T
check "the milter listens on TCP" milter_start "$T/tcp.yaml" "$TPORT"
TPID=$MPID
"$INKAN" milter --config "$T/milter.yaml" -f -v >>"$T/milter.out" 2>>"$T/milter.err" &
MPID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
check "the milter listens on $SOCK" test -S "$SOCK"
trap 'kill "$MPID" "$TPID" 2>/dev/null; wait "$MPID" "$TPID" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$TMPDIR_TEST"' EXIT

# 0. TCP: every step answered, DATA and unknown commands left out
/usr/bin/python3 "$CLIENT" "$TPORT" --offer "$OFFER_ALL" --ip 192.0.2.1 --helo mail.example.org \
    --from alice@example.org --rcpt bob@example.net "$T/signed.eml" >"$T/tcp.out" 2>&1
check "TCP: negotiated $WANT_OLD ($(head -1 "$T/tcp.out"))" \
    grep -qE "^negotiated actions=0x[0-9a-f]+ protocol=$WANT_OLD\$" "$T/tcp.out"
for s in connect helo mail rcpt header eoh body; do
    check "TCP: $s answered continue" grep -q "^$s: c\$" "$T/tcp.out"
done
check "TCP: our Authentication-Results, dmarc=pass, continue" \
    bash -c "grep -qE '^eom: insheader Authentication-Results: mx.example.net;.*dmarc=pass' '$T/tcp.out' && grep -q '^eom: c\$' '$T/tcp.out'"
check "TCP: nothing after QUIT" bash -c "! grep -q '^stray' '$T/tcp.out' && grep -q '^closed' '$T/tcp.out'"
[ "$_fails" = 0 ] || sed 's/^/#   /' "$T/tcp.out"

# send NAME OFFER MESSAGE IP MAIL-FROM RCPT... - one transaction; output in $T/NAME.out
send() {
    local name=$1 offer=$2 msg=$3 ip=$4 from=$5 r args=()
    shift 5
    for r in "$@"; do args+=(--rcpt "$r"); done
    /usr/bin/python3 "$CLIENT" "$SOCK" --offer "$offer" --ip "$ip" --helo mail.example.org \
        --from "$from" "${args[@]}" "$T/$msg" >"$T/$name.out" 2>&1
}
# has NAME REGEX - a line of $T/NAME.out matches (extended regex)
has() { grep -qE -- "$2" "$T/$1.out"; }
# lines NAME - the output's lines, for a failure
lines() { sed 's/^/#   /' "$T/$1.out"; }

# 1. everything offered: no reply before the end of the message
send aligned "$OFFER_ALL" signed.eml 192.0.2.1 alice@example.org bob@example.net
check "offered all: negotiated $WANT_ALL ($(head -1 "$T/aligned.out"))" \
    has aligned "^negotiated actions=0x[0-9a-f]+ protocol=$WANT_ALL\$"
check "offered all: actions add and change headers, quarantine (0x31)" \
    has aligned '^negotiated actions=0x31 '
check "offered all: no step answered before the end of the message" \
    bash -c "! grep -qE '^(connect|helo|mail|rcpt|header|eoh|body):' '$T/aligned.out'"
check "aligned: our Authentication-Results inserted, dmarc=pass" \
    has aligned '^eom: insheader Authentication-Results: mx.example.net;.*dmarc=pass'
check "aligned: continue at the end" has aligned '^eom: c$'
check "aligned: nothing after QUIT, the milter closes" \
    bash -c "! grep -q '^stray' '$T/aligned.out' && grep -q '^closed' '$T/aligned.out'"
[ "$_fails" = 0 ] || lines aligned

send spoof "$OFFER_ALL" plain.eml 198.51.100.7 x@partner.example bob@example.net
check "spoof: 550 5.7.1 at the end of the message" \
    has spoof '^eom: y 550 5\.7\.1 .*p=reject'
check "spoof: nothing answered before, nothing after QUIT" \
    bash -c "! grep -qE '^(connect|helo|mail|rcpt|header|eoh|body):|^stray' '$T/spoof.out' && grep -q '^closed' '$T/spoof.out'"

# 2. an MTA without the no-reply options: every step answered "continue"
send old "$OFFER_OLD" signed.eml 192.0.2.1 alice@example.org bob@example.net
check "old MTA: negotiated $WANT_OLD ($(head -1 "$T/old.out"))" \
    has old "^negotiated actions=0x[0-9a-f]+ protocol=$WANT_OLD\$"
for s in connect helo mail rcpt header eoh body; do
    check "old MTA: $s answered continue" has old "^$s: c\$"
done
check "old MTA: no step answered otherwise" \
    bash -c "! grep -E '^(connect|helo|mail|rcpt|header|eoh|body):' '$T/old.out' | grep -qv ': c\$'"
check "old MTA: the same Authentication-Results, continue" \
    bash -c "grep -qE '^eom: insheader Authentication-Results: mx.example.net;.*dmarc=pass' '$T/old.out' && grep -q '^eom: c\$' '$T/old.out'"
check "old MTA: nothing after QUIT" bash -c "! grep -q '^stray' '$T/old.out' && grep -q '^closed' '$T/old.out'"
[ "$_fails" = 0 ] || lines old

# 3. people-centric with the split: RCPT is answered (SIGHUP reload)
cat >"$T/policy.yaml" <<'P'
authserv-id: mx.example.net
mode: people-centric
people-centric: [ceo@example.net]
P
n0=$(grep -c 'configuration reloaded' "$T/milter.err")
kill -HUP "$MPID"
for _ in $(seq 50); do [ "$(grep -c 'configuration reloaded' "$T/milter.err")" -gt "$n0" ] && break; sleep 0.1; done
check "reloaded as people-centric" test "$(grep -c 'configuration reloaded' "$T/milter.err")" -gt "$n0"
send split "$OFFER_ALL" plain.eml 198.51.100.7 x@partner.example ceo@example.net bob@example.net
check "split: negotiated $WANT_SPLIT, RCPT answered ($(head -1 "$T/split.out"))" \
    has split "^negotiated actions=0x[0-9a-f]+ protocol=$WANT_SPLIT\$"
check "split: the protected recipient taken (continue)" \
    bash -c "grep '^rcpt:' '$T/split.out' | head -1 | grep -q '^rcpt: c\$'"
check "split: the monitored one answered 452 4.5.3" \
    bash -c "grep '^rcpt:' '$T/split.out' | sed -n 2p | grep -q '^rcpt: y 452 4\.5\.3 '"
check "split: the spoof refused for the protected recipient (550 5.7.1)" \
    has split '^eom: y 550 5\.7\.1 '
check "split: nothing answered but RCPT, nothing after QUIT" \
    bash -c "! grep -qE '^(connect|helo|mail|header|eoh|body):|^stray' '$T/split.out' && grep -q '^closed' '$T/split.out'"
[ "$_fails" = 0 ] || lines split

kill -TERM "$MPID" "$TPID"
wait "$MPID"
rc=$?
wait "$TPID"
rc2=$?
check "SIGTERM: the milters exit cleanly (status $rc, $rc2)" test "$rc" = 0 -a "$rc2" = 0
[ "$_fails" = 0 ] || { echo "# milter stderr:"; sed 's/^/#   /' "$T/milter.err" | tail -20; }
finish
