#!/bin/bash
# milter-people.sh - the people-centric rollout per recipient through a
# real Postfix (tests/lib/postfix.sh) and `inkan milter`: the policy
# enforces DMARC for ceo@example.net only.  A spoof of example.org
# (p=reject) sent to ceo@example.net and bob@example.net in one
# transaction: the milter answers the recipient of the other kind than the
# first 452 4.5.3 at RCPT, so each transaction holds one kind and its
# verdict is right for all of it:
#   - swaks (ceo first): bob 452, DATA 550 5.7.1 for ceo; bob sent again
#     alone is accepted and delivered; the other order (bob first) too;
#   - Postfix's own SMTP client (mail injected on a second smtpd without
#     the milter, relayed to the first one): the second recipient it sends
#     is deferred with 452 4.5.3 and retried in a transaction of its own:
#     ceo's copy bounces with 550 5.7.1, bob's is delivered (nrcpt=1);
#   - mixed-recipients: enforce (SIGHUP): one verdict for both, 550.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/cli/verify_lib.sh"
. "$INKAN_SRC/tests/lib/postfix.sh"
pf_begin
# one spoof of example.org per scenario (its own Message-ID)
for n in a b c d; do
    sed "s/^Message-ID: .*/Message-ID: <people-$n@example.org>/" "$T/plain.eml" >"$T/spoof-$n.eml"
done

MPORT=$(pf_free_port)
PF_SPORT=$(pf_free_port)
IPORT=$(pf_free_port)
while [ "$PF_SPORT" = "$MPORT" ]; do PF_SPORT=$(pf_free_port); done
while [ "$IPORT" = "$MPORT" ] || [ "$IPORT" = "$PF_SPORT" ]; do IPORT=$(pf_free_port); done
# the injection side: a second smtpd without the milter on IPORT; mail for
# relay.test goes by the "relay" SMTP client (from 127.0.0.2, another
# myhostname so that it does not see a loop) to the first smtpd, its
# addresses rewritten to example.net on the way; deferred mail is retried
# at once when flushed
printf '/^(.+)@relay\\.test$/ ${1}@example.net\n' >"$T/generic"
PF_MAIN_EXTRA="transport_maps = inline:{relay.test=relay:[127.0.0.1]:$PF_SPORT}
minimal_backoff_time = 1s
maximal_backoff_time = 2s
queue_run_delay = 1s"
PF_MASTER_EXTRA="127.0.0.1:$IPORT inet n - n - - smtpd
  -o smtpd_milters=
relay     unix  -       -       n       -       -       smtp
  -o smtp_bind_address=127.0.0.2
  -o smtp_helo_name=mail.example.org
  -o myhostname=relay.example.org
  -o smtp_generic_maps=regexp:$T/generic"
pf_setup "$T" "$MPORT"

cat >"$T/policy.yaml" <<'P'
authserv-id: mx.example.net
mode: people-centric
people-centric: [ceo@example.net]
P
cat >"$T/milter.yaml" <<M
socket: inet:$MPORT@127.0.0.1
authserv-id: mx.example.net
policy: policy.yaml
dns:
  zone: verify.zone
internal-networks: [10.9.9.0/24]
M
expect_out_contains "ok: " "$INKAN" milter --check-config "$T/milter.yaml"
trap 'pf_stop_all; [ -n "${KEEP:-}" ] || rm -rf "$TMPDIR_TEST"' EXIT
pf_up "$T/milter.yaml" "$MPORT"

# copy ID RCPT - the delivered copy of Message-ID <people-ID@...> for RCPT
copy() {
    grep -l "^Message-ID: <people-$1@example.org>" "$PF_OUT"/*."$2".eml 2>/dev/null | head -1
}
# ncopies ID - how many copies of that message were delivered
ncopies() {
    grep -l "^Message-ID: <people-$1@example.org>" "$PF_OUT"/*.eml 2>/dev/null | wc -l
}

# 1. swaks, the protected recipient first: bob waits for another transaction
pf_send a1 "$T/spoof-a.eml" alice@example.org 127.0.0.2 ceo@example.net,bob@example.net
check "ceo first: ceo's RCPT accepted" grep -q '^<- *250 2.1.5 Ok' "$T/a1.swaks"
check "ceo first: bob's RCPT answered 452 4.5.3" grep -q '^<\*\* *452 4.5.3 Too many recipients' "$T/a1.swaks"
check "ceo first: the spoof is refused for ceo (550 5.7.1 after DATA)" \
    grep -q '^<\*\* *550 5.7.1 rejected by the DMARC policy of example.org' "$T/a1.swaks"
pf_send a2 "$T/spoof-a.eml" alice@example.org 127.0.0.2 bob@example.net
check "ceo first: bob alone, in a transaction of its own: accepted (250)" grep -q '^<- *250 2.0.0 Ok: queued' "$T/a2.swaks"
pf_wait_delivered 1
B=$(copy a bob@example.net)
check "ceo first: bob's copy is delivered" test -n "$B"
check "ceo first: only bob's copy (got $(ncopies a))" test "$(ncopies a)" = 1
unfold() {
    awk '/^\r?$/ { exit } /^[ \t]/ { printf "%s", $0; next } { if (NR > 1) print ""; printf "%s", $0 } END { print "" }' "$1" | tr -d '\r'
}
check "ceo first: bob's copy has our dmarc=fail (monitored, not dropped)" \
    bash -c "$(declare -f unfold); unfold '$B' | grep -qiE '^Authentication-Results: *mx.example.net;.*dmarc=fail'"

# 2. swaks, the monitored recipient first: ceo waits
pf_send b1 "$T/spoof-b.eml" alice@example.org 127.0.0.2 bob@example.net,ceo@example.net
check "bob first: ceo's RCPT answered 452 4.5.3" grep -q '^<\*\* *452 4.5.3 Too many recipients' "$T/b1.swaks"
check "bob first: accepted for bob (250)" grep -q '^<- *250 2.0.0 Ok: queued' "$T/b1.swaks"
pf_send b2 "$T/spoof-b.eml" alice@example.org 127.0.0.2 ceo@example.net
check "bob first: ceo alone: 550 5.7.1" grep -q '^<\*\* *550 5.7.1 rejected by the DMARC policy' "$T/b2.swaks"
pf_wait_delivered 2
check "bob first: bob's copy delivered, none for ceo" \
    bash -c "[ -n \"\$(grep -l '^Message-ID: <people-b@' '$PF_OUT'/*.bob@example.net.eml)\" ] && ! grep -l '^Message-ID: <people-b@' '$PF_OUT'/*.ceo@example.net.eml 2>/dev/null | grep -q ."

# 3. Postfix's SMTP client does the retry itself: injected for ceo and bob
# (relay.test) without the milter, relayed to the milter's smtpd
PF_SEND_PORT=$IPORT pf_send c0 "$T/spoof-c.eml" alice@example.org 127.0.0.1 ceo@relay.test,bob@relay.test
check "relay: injected for both (250)" grep -q '^<- *250 2.0.0 Ok: queued' "$T/c0.swaks"
postqueue -c "$PF" -f # the deferred one now, not after the backoff
for _ in $(seq 100); do
    grep -q 'to=<ceo@relay.test>.*status=bounced' "$T/maillog" 2>/dev/null &&
        grep -q 'to=<bob@relay.test>.*status=sent' "$T/maillog" && break
    sleep 0.1
done
# Postfix sends its recipients in address order: bob goes first, ceo waits
check "relay: one recipient deferred with 452 4.5.3, not dropped ($(grep -oE 'to=<[a-z]+@relay.test>.*status=deferred' "$T/maillog" | cut -d, -f1))" \
    grep -qE 'to=<(bob|ceo)@relay.test>.*status=deferred .*said: 452 4.5.3 Too many recipients' "$T/maillog"
check "relay: ceo's copy bounced with the milter's 550 5.7.1" \
    grep -qE 'to=<ceo@relay.test>.*status=bounced .*said: 550 5.7.1 rejected by the DMARC policy of example.org' "$T/maillog"
check "relay: bob's copy was sent" grep -qE 'to=<bob@relay.test>, relay=127.0.0.1\[127.0.0.1\]:'"$PF_SPORT"'.*status=sent' "$T/maillog"
for _ in $(seq 100); do [ -n "$(copy c bob@example.net)" ] && break; sleep 0.1; done
C=$(copy c bob@example.net)
check "relay: bob's copy is delivered" test -n "$C"
check "relay: only bob's copy (got $(ncopies c))" test "$(ncopies c)" = 1
if [ -n "$C" ]; then
    qid=$(basename "$C" | cut -d. -f1)
    check "relay: bob's copy came in a transaction of its own (queue $qid: nrcpt=1)" \
        grep -qE " $qid: from=<alice@example.org>, size=[0-9]+, nrcpt=1 " "$T/maillog"
fi

# 4. mixed-recipients: enforce: one verdict, enforced for both
printf 'mixed-recipients: enforce\n' >>"$T/milter.yaml"
n0=$(grep -c 'configuration reloaded' "$T/milter.err")
kill -HUP "$MPID"
for _ in $(seq 50); do [ "$(grep -c 'configuration reloaded' "$T/milter.err")" -gt "$n0" ] && break; sleep 0.1; done
pf_send d1 "$T/spoof-d.eml" alice@example.org 127.0.0.2 bob@example.net,ceo@example.net
check "enforce: both RCPT accepted" test "$(grep -c '^<- *250 2.1.5 Ok' "$T/d1.swaks")" = 2
check "enforce: 550 5.7.1 for the message (bob's copy too)" grep -q '^<\*\* *550 5.7.1 rejected' "$T/d1.swaks"

pf_down
pf_finish
