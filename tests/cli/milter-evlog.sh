#!/bin/bash
# milter-evlog.sh - every inbound evaluation of `inkan milter` in front of
# a real Postfix is recorded (issue 10 section 4), and the mail path never
# waits for the store:
#   1. a burst (smtp-source, several sessions) with the milter SIGKILLed
#      in the middle and restarted: Postfix tempfails what the milter was
#      holding, the rest flows;
#   2. the store locked by another process (an exclusive SQLite
#      transaction held open): mail still flows, the rows go to the spool
#      (none reaches the store while it is locked), the milter is
#      SIGKILLed again with rows only in the spool, restarted, the lock
#      released: the rows land in the store;
#   3. a few spoofs rejected with 550: their rows say reject;
# then after SIGTERM and `inkan evaluations replay SPOOL`, every message
# Postfix accepted (the queue ids of the delivered copies, the same as
# the queue ids qmgr logged) has exactly one row, and no queue id has two.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/cli/verify_lib.sh"
. "$INKAN_SRC/tests/lib/postfix.sh"
pf_begin
MPORT=$(pf_free_port)
pf_setup "$T" "$MPORT"
trap 'pf_stop_all; [ -n "${LOCKER:-}" ] && kill "$LOCKER" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$TMPDIR_TEST"' EXIT

DB=$T/ev/inkan.db
SPOOL=$T/ev/evaluations.spool
mkdir -p "$T/ev"
printf 'authserv-id: mx.example.net\nmode: enforce\n' >"$T/policy.yaml"
cat >"$T/milter.yaml" <<M
socket: inet:$MPORT@127.0.0.1
authserv-id: mx.example.net
policy: policy.yaml
dns:
  zone: verify.zone
  timeout: 5
evaluations:
  store: ev/inkan.db
  spool: ev/evaluations.spool
  batch-size: 50
  store-wait: 200
  retry: 300
M
expect_out_contains "evaluations to $DB (spool $SPOOL)" "$INKAN" milter --check-config "$T/milter.yaml"

pf_up "$T/milter.yaml" "$MPORT"

# queue_empty - Postfix holds no message any more (all delivered)
queue_empty() {
    local _
    for _ in $(seq 300); do
        postqueue -c "$PF" -p 2>/dev/null | grep -q 'Mail queue is empty' && return 0
        sleep 0.1
    done
    return 1
}
# burst NAME N SESSIONS - smtp-source from 127.0.0.1 as x@partner.example
# (no DMARC record: accepted), not stopping at a 4xx
burst() {
    smtp-source -A -s "$3" -m "$2" -l 300 -f x@partner.example -t bob@example.net \
        -S "$1" -M mail.partner.example "127.0.0.1:$PF_SPORT" >"$T/$1.out" 2>&1
}
# rows_of_queue_id ID - the rows whose queue id is ID
rows() { "$INKAN" evaluations list --db "$DB" --json 2>/dev/null; }

# --- 1. a burst, the milter SIGKILLed in the middle ---
burst b1 200 5 &
SRC=$!
for _ in $(seq 300); do [ "$(pf_delivered)" -ge 40 ] && break; sleep 0.05; done
check "burst: messages flow before the kill ($(pf_delivered) delivered)" test "$(pf_delivered)" -ge 40
{ kill -KILL "$MPID"; wait "$MPID"; } 2>/dev/null
killed_at=$(pf_delivered)
sleep 0.3
check "the milter restarts" milter_start "$T/milter.yaml" "$MPORT"
wait "$SRC"
burst b1b 60 3
check "burst: queue drained" queue_empty
check "burst: Postfix tempfailed what the dead milter held" grep -q 'milter.*[Tt]emporar\|4\.[0-9]\.[0-9]' "$T/b1.out"
check "burst: messages accepted after the restart too ($killed_at at the kill, $(pf_delivered) now)" \
    test "$(pf_delivered)" -gt "$killed_at"

# --- 2. the store locked: mail flows, rows to the spool ---
/usr/bin/python3 - "$DB" "$T/locked" "$T/unlock" <<'PY' &
import os, sqlite3, sys, time
db, ready, flag = sys.argv[1:]
open(flag, "w").close()
c = sqlite3.connect(db, isolation_level=None, timeout=30)
c.execute("BEGIN EXCLUSIVE")
c.execute("INSERT INTO api_tokens (name, sha256, created) VALUES ('lock', 'x', 0)")
open(ready, "w").close()
while os.path.exists(flag):
    time.sleep(0.05)
c.execute("ROLLBACK")
PY
LOCKER=$!
for _ in $(seq 100); do [ -e "$T/locked" ] && break; sleep 0.05; done
check "another process holds the store locked" test -e "$T/locked"
before=$(pf_delivered)
rows_before=$(rows | jq length)
t0=$(date +%s)
burst b2 40 4
el=$(( $(date +%s) - t0 ))
check "store locked: queue drained" queue_empty
check "store locked: all 40 accepted and delivered ($(( $(pf_delivered) - before )))" \
    test "$(pf_delivered)" = $((before + 40))
check "store locked: the burst did not wait for the store ($el s for 40 messages)" test "$el" -le 20
check "store locked: no new row in the store meanwhile ($rows_before, $(rows | jq length))" \
    test "$(rows | jq length)" = "$rows_before"
check "store locked: the spool holds them" test -s "$SPOOL"
check "store locked: the milter said rows go to the spool" grep -q 'did not take a row within 200 ms: rows go to the spool' "$T/milter.err"
# SIGKILL with those rows only in the spool; restart while still locked
{ kill -KILL "$MPID"; wait "$MPID"; } 2>/dev/null
check "the milter restarts (store still locked)" milter_start "$T/milter.yaml" "$MPORT"
pf_send during "$T/signed.eml" x@partner.example 127.0.0.2
check "store locked, milter restarted: a message is accepted" grep -q '^<- *250 2.0.0 Ok: queued' "$T/during.swaks"
rm -f "$T/unlock"
wait "$LOCKER"
LOCKER=
want=$((rows_before + 41))
for _ in $(seq 400); do [ "$(rows | jq length)" -ge "$want" ] && break; sleep 0.1; done
check "store back: the spooled rows land in the store ($(rows | jq length) of $want)" \
    test "$(rows | jq length)" -ge "$want"
check "store back: the milter said the store is back and replayed" grep -q 'replayed [0-9]* spooled row' "$T/milter.err"

# --- 3. spoofs of a p=reject domain: refused, recorded as reject ---
for i in 1 2 3; do pf_send "spoof$i" "$T/plain.eml" alice@example.org; done
check "spoofs: 550 5.7.1" test "$(grep -l '^<\*\* *550 5.7.1' "$T"/spoof[123].swaks | wc -l)" = 3
queue_empty >/dev/null

# --- stop, replay what is left ---
kill -TERM "$MPID"
wait "$MPID"
check "SIGTERM: the milter exits cleanly" test $? = 0
MPID= # pf_down below stops Postfix only
"$INKAN" evaluations replay --db "$DB" "$SPOOL" >"$T/replay.out" 2>&1
check "evaluations replay SPOOL: exit 0 ($(cat "$T/replay.out"))" test $? = 0

# --- every accepted message has exactly one row, none twice ---
rows >"$T/rows.json"
ls "$PF_OUT" | sed 's/\..*//' | sort -u >"$T/delivered.ids"
sed -n 's/.*postfix\/qmgr\[[0-9]*\]: \([0-9A-Z]*\): from=<.*/\1/p' "$T/maillog" | sort -u >"$T/logged.ids"
jq -r '.[].queue_id // empty' "$T/rows.json" | sort | uniq -c | awk '{print $2, $1}' >"$T/row.counts"
nacc=$(wc -l <"$T/delivered.ids")
check "accepted: $nacc messages, the delivered copies and qmgr's log agree" \
    cmp -s "$T/delivered.ids" "$T/logged.ids"
check "accepted: more than 100 messages" test "$nacc" -gt 100
missing=$(join -v1 "$T/delivered.ids" <(sort "$T/row.counts") | wc -l)
check "every accepted message has its row ($missing missing)" test "$missing" = 0
once=$(join "$T/delivered.ids" <(sort "$T/row.counts") | awk '$2 == 1' | wc -l)
check "every accepted message has exactly one row ($once of $nacc)" test "$once" = "$nacc"
check "no queue id has two rows" test "$(awk '$2 > 1' "$T/row.counts" | wc -l)" = 0
check "every row has a queue id" test "$(jq '[.[] | select(.queue_id == null)] | length' "$T/rows.json")" = 0
check "the accepted rows: header From partner.example, dmarc none, disposition none" \
    test "$(jq -r '[.[] | select(.header_from == "partner.example") | .dmarc.result + "/" + .disposition] | unique | join(",")' "$T/rows.json")" = "none/none"
check "the spoofs: three rows, reject, p=reject of example.org" \
    test "$(jq '[.[] | select(.disposition == "reject" and .header_from == "example.org" and .policy_published.p == "reject")] | length' "$T/rows.json")" = 3
check "rows carry the client and the envelope" \
    test "$(jq -r '[.[] | select(.header_from == "partner.example")][0] | [.source_ip, .envelope_from, .envelope_to, .spf.scope] | join(" ")' "$T/rows.json")" = "127.0.0.1 partner.example example.net mfrom"

pf_down
pf_finish
