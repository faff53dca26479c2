#!/bin/bash
# milter-postfix.sh - `inkan milter` in front of a real Postfix on
# loopback: a private Postfix (postfix -c DIR: its own queue, smtpd on a
# free 127.0.0.1 port, delivery to a pipe sink that writes each message
# to a file) with smtpd_milters pointing at `inkan milter` (DNS from a
# zone file).  Mail comes from 127.0.0.2 (not internal) with swaks:
#   - a spoof of a p=reject domain is refused with 550 5.7.1 at end of DATA
#   - a DKIM-aligned message is delivered with exactly one
#     Authentication-Results of ours (dmarc=pass), the forged one removed
#   - a failure under sp=quarantine lands in Postfix's hold queue
# and from 127.0.0.1 (internal-networks): the message leaves signed with
# example.org's RSA and Ed25519 keys (held by the signer process), and
# dkimpy verifies both signatures of the delivered copy.
# Then: SIGHUP reloads the policy (a broken file is refused, the running
# configuration stays); the milter SIGKILLed makes Postfix answer 4xx and
# accept nothing, and once restarted mail flows again; six messages at
# once each get their own verdict; a DNS server that stops answering makes
# the message 4xx within the configured timeout (no hang); a smtp-source
# burst (BURST messages, default 300, over BURST_SESSIONS connections,
# default 6) is delivered and signed to the last message with the milter's
# descriptor count unchanged (tests/soak/milter-burst.sh: 2,000 over 20).
# Both daemons are stopped (postfix stop, kill PID) and checked gone.
# The private Postfix is tests/lib/postfix.sh.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/cli/verify_lib.sh"
. "$INKAN_SRC/tests/lib/postfix.sh"
pf_begin

# outbound keys for example.org, published in the zone
"$INKAN" dkim keygen --domain example.org --selector r1 --type rsa --out "$T/sk" >/dev/null &&
    "$INKAN" dkim keygen --domain example.org --selector e1 --type ed25519 --out "$T/sk" >/dev/null &&
    cat "$T/sk/r1.example.org.zone" "$T/sk/e1.example.org.zone" >>"$T/verify.zone"
check "signing keys made" test -s "$T/sk/e1.example.org.private"

MPORT=$(pf_free_port)
pf_setup "$T" "$MPORT"
SPORT=$PF_SPORT
OUT=$PF_OUT

# --- the milter's configuration ---
cat >"$T/policy.yaml" <<'P'
authserv-id: mx.example.net
mode: enforce
P
cat >"$T/milter.yaml" <<M
socket: inet:$MPORT@127.0.0.1
authserv-id: mx.example.net
policy: policy.yaml
pid-file: milter.pid
dns:
  zone: verify.zone
  timeout: 5
internal-networks:
  - 10.9.9.0/24
  - 127.0.0.1/32
signing:
  - {domain: example.org, selector: r1, key: sk/r1.example.org.private}
  - {domain: example.org, selector: e1, key: sk/e1.example.org.private}
signer-user: nobody
M
expect_out_contains "ok: " "$INKAN" milter --check-config "$T/milter.yaml"
# a key file others may read is refused by the signer, named
cp -p "$T/sk/r1.example.org.private" "$T/sk/open.private"
chmod 644 "$T/sk/open.private"
sed 's|sk/r1.example.org.private|sk/open.private|' "$T/milter.yaml" >"$T/open.yaml"
expect_exit 1 "$INKAN" milter --check-config "$T/open.yaml"
expect_err_contains "open.private" "$INKAN" milter --check-config "$T/open.yaml"
expect_err_contains "inkan milter: $T/bad.yaml:1:9: socket: 'tcp:25' is not" bash -c "sed 's/^socket: .*/socket: tcp:25/' '$T/milter.yaml' >'$T/bad.yaml'; cd / && '$INKAN' milter --check-config '$T/bad.yaml'"

trap 'pf_stop_all; [ -n "${KEEP:-}" ] || rm -rf "$TMPDIR_TEST"' EXIT
pf_up "$T/milter.yaml" "$MPORT"
check "the milter wrote its pid file" test "$(cat "$T/milter.pid" 2>/dev/null)" = "$MPID"

send() { pf_send "$@"; }

# 1. a spoof of example.org (p=reject): 550 5.7.1 at the end of DATA
send spoof "$T/plain.eml" alice@example.org
check "spoof of a p=reject domain: 550 5.7.1 after DATA" grep -q '^<\*\* *550 5.7.1 rejected by the DMARC policy of example.org' "$T/spoof.swaks"

# 2. a passing (DKIM-aligned) message with a forged field of ours
{ printf 'Authentication-Results: mx.example.net; dmarc=pass header.from=evil.example\n'
  printf 'Authentication-Results: other.example; spf=pass smtp.mailfrom=example.org\n'
  cat "$T/signed.eml"; } >"$T/pass.eml"
send pass "$T/pass.eml" alice@example.org
check "passing message: 250 after DATA" grep -q '^<- *250 2.0.0 Ok: queued' "$T/pass.swaks"

# 3. a failure under sp=quarantine (sub.example.org): accepted, held
send quar "$T/sub.eml" a@sub.example.org
check "p=quarantine failure: accepted (250) after DATA" grep -q '^<- *250 2.0.0 Ok: queued' "$T/quar.swaks"

# 4. outbound: from 127.0.0.1 (internal), unsigned, From example.org
printf 'From: Alice <alice@example.org>\nTo: bob@example.net\nSubject: outbound\nDate: Wed, 02 Dec 2026 10:00:00 +0000\nMessage-ID: <out@example.org>\n\nSigned on the way out.\n' >"$T/out.eml"
send out "$T/out.eml" alice@example.org 127.0.0.1
check "outbound message: 250 after DATA" grep -q '^<- *250 2.0.0 Ok: queued' "$T/out.swaks"

# delivery of the passing and the outbound message
for _ in $(seq 100); do
    [ "$(ls "$OUT" | wc -l)" -ge 2 ] && break
    sleep 0.1
done
n=$(ls "$OUT" | wc -l)
check "exactly two messages delivered (got $n)" test "$n" = 2
D=$(grep -l '^Message-ID: <1@example.org>' "$OUT"/*.eml 2>/dev/null | head -1)
O=$(grep -l '^Message-ID: <out@example.org>' "$OUT"/*.eml 2>/dev/null | head -1)
if [ -n "$D" ]; then
    # unfolded header of the delivered copy
    awk '/^$/ { exit } /^[ \t]/ { printf "%s", $0; next } { if (NR > 1) print ""; printf "%s", $0 } END { print "" }' "$D" | tr -d '\r' >"$T/hdr"
    ours=$(grep -ci '^Authentication-Results: *mx.example.net;' "$T/hdr")
    check "delivered: exactly one Authentication-Results of ours (got $ours)" test "$ours" = 1
    check "delivered: ours says dmarc=pass, dkim=pass" grep -qiE '^Authentication-Results: *mx.example.net;.*dkim=pass.*dmarc=pass' "$T/hdr"
    check "delivered: the forged one (header.from=evil.example) is gone" bash -c "! grep -q 'evil.example' '$T/hdr'"
    check "delivered: another server's field is kept" grep -q '^Authentication-Results: other.example;' "$T/hdr"
    check "delivered: ours is above the other server's" test "$(grep -n '^Authentication-Results:' "$T/hdr" | head -1 | grep -c mx.example.net)" = 1
else
    _notok "delivered message missing"
fi
if [ -n "$O" ]; then
    nsig=$(grep -c '^DKIM-Signature:' "$O")
    check "outbound: two DKIM-Signature fields (got $nsig)" test "$nsig" = 2
    check "outbound: no Authentication-Results added" bash -c "! grep -q '^Authentication-Results:' '$O'"
    # Debian's python3 (python3-dkim, python3-nacl), whatever python3 is first in PATH
    out=$(/usr/bin/python3 - "$O" "$T/verify.zone" <<'PY'
import re, sys, dkim
msg = open(sys.argv[1], "rb").read()
recs = {}
for line in open(sys.argv[2]):
    m = re.match(r'(\S+)\.\s+\d+\s+IN\s+TXT\s+(.*)$', line.strip())
    if m:
        recs[m.group(1).lower()] = "".join(re.findall(r'"([^"]*)"', m.group(2))).encode()
def dnsfunc(name, timeout=5):
    return recs.get(name.decode().rstrip(".").lower(), b"")
d = dkim.DKIM(msg)
sigs = [l for l in msg.split(b"\n") if l.lower().startswith(b"dkim-signature:")]
res = []
for i in range(len(sigs)):
    ok = d.verify(idx=i, dnsfunc=dnsfunc)
    res.append(("pass " if ok else "fail ") + d.signature_fields.get(b"a", b"?").decode())
print(", ".join(res))
PY
)
    check "outbound: dkimpy verifies both signatures of the delivered copy ($out)" \
        test "$out" = "pass rsa-sha256, pass ed25519-sha256"
    check "outbound: inkan verifies them too" bash -c "'$INKAN' dkim verify --zone '$T/verify.zone' '$O' | grep -c '^pass' | grep -qx 2"
else
    _notok "the outbound message was not delivered"
fi
# 4b. key isolation (section 2): after signing, the milter's own memory
# (its libmilter worker threads share it) holds no byte of either private
# key (DER, PEM body lines, Ed25519 seed, RSA d/p/q); the same scan of the
# signer process finds them, so the scan can fail
KS="$INKAN_SRC/tests/tools/keyscan.py"
KEYS="$T/sk/r1.example.org.private $T/sk/e1.example.org.private"
SIGNER=$(pgrep -P "$MPID" | head -1)
/usr/bin/python3 "$KS" "$MPID" $KEYS >"$T/scan.milter" 2>&1
check "key scan of the milter ran ($(tail -1 "$T/scan.milter"))" grep -q '^regions [1-9]' "$T/scan.milter"
check "the milter's memory holds no private key bytes (found: $(grep -v '^regions' "$T/scan.milter" | awk '$3 > 0 {print $2}' | tr '\n' ' '))" \
    bash -c "! grep -v '^regions' '$T/scan.milter' | awk '\$3 > 0' | grep -q ."
/usr/bin/python3 "$KS" "$SIGNER" $KEYS >"$T/scan.signer" 2>&1
check "the same scan finds the Ed25519 seed in the signer ($SIGNER)" grep -q 'e1.example.org.private seed [1-9]' "$T/scan.signer"
check "the same scan finds the RSA primes in the signer" grep -qE 'r1.example.org.private [pq]-le [1-9]' "$T/scan.signer"
held=$(find "$T/queue/hold" -type f | wc -l)
check "p=quarantine failure: in the hold queue (got $held)" test "$held" = 1
check "postqueue -p lists the held message (!)" bash -c "postqueue -c '$PF' -p | grep -q '!.*a@sub.example.org'"
check "the milter logged the verdicts" grep -q 'reject: 550 5.7.1' "$T/milter.err"

# 5. SIGHUP: the policy switched to monitor is read again; the spoof now passes
printf 'authserv-id: mx.example.net\nmode: monitor\n' >"$T/policy.yaml"
kill -HUP "$MPID"
for _ in $(seq 50); do grep -q 'configuration reloaded' "$T/milter.err" && break; sleep 0.1; done
check "SIGHUP: the milter says it reloaded" grep -q 'SIGHUP: configuration reloaded' "$T/milter.err"
check "SIGHUP: the milter is still running" kill -0 "$MPID"
send spoof2 "$T/plain.eml" alice@example.org
check "after SIGHUP (monitor mode): the spoof is accepted (250)" grep -q '^<- *250 2.0.0 Ok: queued' "$T/spoof2.swaks"
# a broken file on SIGHUP: refused, the running configuration stays
printf 'socket: [\n' >"$T/milter.yaml.new"
cp "$T/milter.yaml" "$T/milter.yaml.good"
mv "$T/milter.yaml.new" "$T/milter.yaml"
kill -HUP "$MPID"
for _ in $(seq 50); do grep -q 'reload refused' "$T/milter.err" && break; sleep 0.1; done
check "SIGHUP with a broken file: refused, named" grep -q 'milter.yaml:2:1: YAML' "$T/milter.err"
check "SIGHUP with a broken file: still running" kill -0 "$MPID"
mv "$T/milter.yaml.good" "$T/milter.yaml"
printf 'authserv-id: mx.example.net\nmode: enforce\n' >"$T/policy.yaml"

# 6. the milter SIGKILLed: Postfix tempfails (milter_default_action), nothing accepted
SIGNER=$(pgrep -P "$MPID" | head -1)
{ kill -KILL "$MPID"; wait "$MPID"; } 2>/dev/null
send down "$T/pass.eml" alice@example.org
check "milter killed: Postfix answers 4xx" grep -qE '^<\*\* *4[0-9][0-9] ' "$T/down.swaks"
check "milter killed: nothing queued" test "$(ls "$OUT" | wc -l)" = 3
for _ in $(seq 50); do [ -n "$SIGNER" ] && kill -0 "$SIGNER" 2>/dev/null || break; sleep 0.1; done
check "milter killed: its signer process exits too" bash -c "[ -n '$SIGNER' ] && ! kill -0 '$SIGNER' 2>/dev/null"

# 7. restarted: mail flows again
check "restarted milter listens again" milter_start "$T/milter.yaml" "$MPORT"
send again "$T/pass.eml" alice@example.org
check "after the restart: 250" grep -q '^<- *250 2.0.0 Ok: queued' "$T/again.swaks"
for _ in $(seq 100); do [ "$(ls "$OUT" | wc -l)" -ge 4 ] && break; sleep 0.1; done
check "after the restart: delivered (4 in all, got $(ls "$OUT" | wc -l))" test "$(ls "$OUT" | wc -l)" = 4

# 8. messages at once: each milter thread hands its message to the one
# driver thread, every one gets its own verdict
for i in 1 2 3 4 5 6; do
    if [ $((i % 2)) = 0 ]; then send "par$i" "$T/pass.eml" alice@example.org &
    else send "par$i" "$T/plain.eml" alice@example.org & fi
done
wait_jobs() { local p; for p in $(jobs -p); do [ "$p" = "$MPID" ] || wait "$p"; done; }
wait_jobs
ok250=$(grep -l '^<- *250 2.0.0 Ok: queued' "$T"/par[246].swaks 2>/dev/null | wc -l)
rej=$(grep -l '^<\*\* *550 5.7.1 rejected by the DMARC policy' "$T"/par[135].swaks 2>/dev/null | wc -l)
check "6 messages at once: the 3 passing accepted (got $ok250), the 3 spoofs rejected (got $rej)" \
    test "$ok250/$rej" = 3/3
for _ in $(seq 100); do [ "$(ls "$OUT" | wc -l)" -ge 7 ] && break; sleep 0.1; done
check "6 messages at once: 3 more delivered (7 in all, got $(ls "$OUT" | wc -l))" test "$(ls "$OUT" | wc -l)" = 7

# 9. the DNS server stops answering: the message is tempfailed within the
# configured timeout, no hang (a UDP socket that swallows every query)
BPORT=$(pf_free_port)
python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', $BPORT))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(('127.0.0.1', $BPORT)); t.listen(8)
while True: time.sleep(1)
" &
BLACKHOLE=$!
cp "$T/milter.yaml" "$T/milter.yaml.good"
python3 - "$T/milter.yaml" "$BPORT" <<'PY'
import sys, re
p, port = sys.argv[1], sys.argv[2]
s = open(p).read()
s = re.sub(r"dns:\n  zone: verify.zone\n  timeout: 5\n", "dns:\n  server: 127.0.0.1:%s\n  timeout: 2\n" % port, s)
open(p, "w").write(s)
PY
n0=$(grep -c 'configuration reloaded' "$T/milter.err")
kill -HUP "$MPID"
for _ in $(seq 50); do [ "$(grep -c 'configuration reloaded' "$T/milter.err")" -gt "$n0" ] && break; sleep 0.1; done
check "DNS down: the milter reloaded onto the silent server" test "$(grep -c 'configuration reloaded' "$T/milter.err")" -gt "$n0"
t0=$(date +%s)
send dnsdown "$T/pass.eml" alice@example.org
el=$(( $(date +%s) - t0 ))
check "DNS down: Postfix answers 4xx" grep -qE '^<\*\* *4[0-9][0-9] ' "$T/dnsdown.swaks"
check "DNS down: answered within the timeout, no hang ($el s, timeout 2 s a query)" test "$el" -le 10
mv "$T/milter.yaml.good" "$T/milter.yaml"
n0=$(grep -c 'configuration reloaded' "$T/milter.err")
kill -HUP "$MPID"
for _ in $(seq 50); do [ "$(grep -c 'configuration reloaded' "$T/milter.err")" -gt "$n0" ] && break; sleep 0.1; done
kill "$BLACKHOLE" 2>/dev/null; wait "$BLACKHOLE" 2>/dev/null
check "DNS down: nothing more delivered (7 in all)" test "$(ls "$OUT" | wc -l)" = 7

# 9b. quarantine: header - the sp=quarantine failure is delivered with an
# X-Inkan-Quarantine field instead of going to the hold queue
cp "$T/milter.yaml" "$T/milter.yaml.good"
printf 'quarantine: header\n' >>"$T/milter.yaml"
n0=$(grep -c 'configuration reloaded' "$T/milter.err")
kill -HUP "$MPID"
for _ in $(seq 50); do [ "$(grep -c 'configuration reloaded' "$T/milter.err")" -gt "$n0" ] && break; sleep 0.1; done
send quarhdr "$T/sub.eml" a@sub.example.org
check "quarantine: header: accepted (250)" grep -q '^<- *250 2.0.0 Ok: queued' "$T/quarhdr.swaks"
for _ in $(seq 100); do [ "$(ls "$OUT" | wc -l)" -ge 8 ] && break; sleep 0.1; done
check "quarantine: header: delivered, not held (8 in all, got $(ls "$OUT" | wc -l))" test "$(ls "$OUT" | wc -l)" = 8
check "quarantine: header: the delivered copy has X-Inkan-Quarantine" bash -c "grep -l '^X-Inkan-Quarantine: accepted (quarantined by the DMARC policy of sub.example.org)' '$OUT'/*.eml | grep -q ."
mv "$T/milter.yaml.good" "$T/milter.yaml"
n0=$(grep -c 'configuration reloaded' "$T/milter.err")
kill -HUP "$MPID"
for _ in $(seq 50); do [ "$(grep -c 'configuration reloaded' "$T/milter.err")" -gt "$n0" ] && break; sleep 0.1; done

# 10. a burst: smtp-source, BURST messages over BURST_SESSIONS connections
# from 127.0.0.1 (internal: each one goes through the signing path), every
# message accounted for, the milter's open descriptors the same after
BURST=${BURST:-300}
BURST_SESSIONS=${BURST_SESSIONS:-6}
fd0=$(ls /proc/"$MPID"/fd | wc -l)
have=$(ls "$OUT" | wc -l)
smtp-source -s "$BURST_SESSIONS" -m "$BURST" -l 2000 -f alice@example.org \
    -t bob@example.net -S burst -M mail.example.org "127.0.0.1:$SPORT" >"$T/burst.out" 2>&1
src_rc=$?
check "burst: smtp-source sent $BURST messages without an error (status $src_rc)" test "$src_rc" = 0
want=$((have + BURST))
for _ in $(seq $((300 + BURST))); do [ "$(ls "$OUT" | wc -l)" -ge "$want" ] && break; sleep 0.1; done
got=$(ls "$OUT" | wc -l)
check "burst: every message delivered ($((got - have)) of $BURST)" test "$got" = "$want"
signed=$(grep -l '^DKIM-Signature:' $(ls -t "$OUT"/* | head -n "$BURST") 2>/dev/null | wc -l)
check "burst: every one signed ($signed of $BURST)" test "$signed" = "$BURST"
sleep 0.5
fd1=$(ls /proc/"$MPID"/fd | wc -l)
check "burst: the milter's open descriptors the same before and after ($fd0, $fd1)" test "$fd0" = "$fd1"

# --- stop both ---
pf_down
check "SIGTERM: the pid file is removed" test ! -e "$T/milter.pid"
pf_finish
