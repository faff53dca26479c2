#!/bin/bash
# milter-arc.sh - ARC sealing of forwarded mail by `inkan milter` through
# a real Postfix (tests/lib/postfix.sh).  A message is first received
# from outside (127.0.0.2: evaluated, our Authentication-Results added,
# delivered to the sink), then the delivered copy goes out again from
# 127.0.0.1 (internal-networks: a list or a forward re-sending it): that
# is forwarded mail, and the milter ARC-seals it with the arc-seal key,
# held by the signer process.  dkimpy's ARC verifier (python3-dkim,
# tests/tools/arc_dkimpy.py) checks the delivered copies:
#   - a message without ARC: one set, i=1 cv=none, the chain passes, its
#     AAR is our Authentication-Results;
#   - a message already sealed by another hop (forwarder.example, trusted
#     by the policy): i=2 with cv=pass, the chain passes;
#   - the same with its body changed before it goes out again: the milter
#     verified the incoming chain, so its seal says cv=fail (dkimpy: fail);
#   - mail without our Authentication-Results (not forwarded), and inbound
#     mail, are not sealed.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/cli/verify_lib.sh"
. "$INKAN_SRC/tests/lib/postfix.sh"
pf_begin
# our sealer's key (example.net, the receiving domain), published
"$INKAN" dkim keygen --domain example.net --selector arc1 --type rsa --out "$T/ak" >/dev/null &&
    cat "$T/ak/arc1.example.net.zone" >>"$T/verify.zone"
check "ARC key made" test -s "$T/ak/arc1.example.net.private"
# another hop's seal: forwarder.example (trusted by the policy) received
# signed.eml, recorded its results, added a footer and sealed it, with an
# RSA key (dkimpy's ARC verifier knows rsa-sha256 only)
"$INKAN" dkim keygen --domain forwarder.example --selector rsa1 --type rsa --out "$T/fk" >/dev/null &&
    cat "$T/fk/rsa1.forwarder.example.zone" >>"$T/verify.zone" &&
    "$INKAN" arc seal --zone "$T/verify.zone" --key "$T/fk/rsa1.forwarder.example.private" \
        --domain forwarder.example --selector rsa1 --authserv-id forwarder.example \
        "$T/fwd-in.eml" >"$T/fwd-rsa.eml"
check "a message sealed by forwarder.example" grep -q '^ARC-Seal:' "$T/fwd-rsa.eml"
# a message of our own for scenario 1, DKIM-signed by example.org
sed 's/^Message-ID: .*/Message-ID: <arc1@example.org>/' "$T/plain.eml" |
    "$INKAN" dkim sign --domain example.org --selector sel --key "$T/keys/sel.example.org.private" >"$T/m1.eml"

MPORT=$(pf_free_port)
pf_setup "$T" "$MPORT"
cat >"$T/policy.yaml" <<'P'
authserv-id: mx.example.net
mode: enforce
exceptions:
  arc-sealers: [forwarder.example]
P
cat >"$T/milter.yaml" <<M
socket: inet:$MPORT@127.0.0.1
authserv-id: mx.example.net
policy: policy.yaml
dns:
  zone: verify.zone
internal-networks: [127.0.0.1/32]
arc-seal: {domain: example.net, selector: arc1, key: ak/arc1.example.net.private}
signer-user: nobody
M
expect_out_contains "ARC seal d=example.net s=arc1" "$INKAN" milter --check-config "$T/milter.yaml"
trap 'pf_stop_all; [ -n "${KEEP:-}" ] || rm -rf "$TMPDIR_TEST"' EXIT
pf_up "$T/milter.yaml" "$MPORT"

# arc_check FILE - dkimpy's verdict on FILE's chain
arc_check() {
    /usr/bin/python3 "$INKAN_SRC/tests/tools/arc_dkimpy.py" "$1" "$T/verify.zone"
}

# 1. no ARC yet: received (our AR), then out again from the internal network
R1=$(pf_send_wait in1 "$T/m1.eml" alice@example.org)
check "1: received from outside (250)" grep -q '^<- *250 2.0.0 Ok: queued' "$T/in1.swaks"
check "1: the received copy has our Authentication-Results and no ARC set" \
    bash -c "grep -q '^Authentication-Results: mx.example.net;' '$R1' && ! grep -qi '^ARC-' '$R1'"
F1=$(pf_send_wait out1 "$R1" list@example.net 127.0.0.1)
check "1: forwarded from the internal network (250)" grep -q '^<- *250 2.0.0 Ok: queued' "$T/out1.swaks"
res=$(arc_check "$F1")
check "1: dkimpy verifies the forwarded copy's chain ($res)" arc_check "$F1"
check "1: one set, i=1 cv=none" bash -c "echo '$res' | grep -q 'sets=1 seal-cv=none '"
check "1: the seal is ours (d=example.net s=arc1)" bash -c "echo '$res' | grep -q ' newest=d=example.net,s=arc1 '"
check "1: its AAR carries our results (dmarc=pass)" \
    bash -c "tr -d '\r' <'$F1' | awk '/^ARC-Authentication-Results:/ { p = 1 } p && /^[^ \t]/ && !/^ARC-Authentication-Results:/ { exit } p' | tr -d '\n' | grep -q 'i=1; mx.example.net;.*dmarc=pass'"
check "1: inkan arc verify agrees (pass)" bash -c "'$INKAN' arc verify --zone '$T/verify.zone' '$F1' | head -1 | grep -qx pass"

# 2. sealed by another hop first: i=2, cv=pass
R2=$(pf_send_wait in2 "$T/fwd-rsa.eml" list@partner.example)
check "2: a forwarder-sealed message is received (trusted sealer, 250)" grep -q '^<- *250 2.0.0 Ok: queued' "$T/in2.swaks"
check "2: the received copy has one ARC set (forwarder.example's)" test "$(grep -c '^ARC-Seal:' "$R2")" = 1
check "2: our Authentication-Results says arc=pass" \
    bash -c "tr -d '\r' <'$R2' | awk '/^Authentication-Results: mx.example.net;/ { p = 1; print; next } p && /^[ \t]/ { print; next } { p = 0 }' | grep -q 'arc=pass'"
F2=$(pf_send_wait out2 "$R2" list@example.net 127.0.0.1)
check "2: forwarded again from the internal network (250)" grep -q '^<- *250 2.0.0 Ok: queued' "$T/out2.swaks"
res=$(arc_check "$F2")
check "2: dkimpy verifies the chain of two ($res)" arc_check "$F2"
check "2: two sets, i=1 cv=none, i=2 cv=pass, the newest ours" \
    bash -c "echo '$res' | grep -q 'sets=2 seal-cv=none,pass newest=d=example.net,s=arc1 '"
check "2: inkan arc verify agrees (pass)" bash -c "'$INKAN' arc verify --zone '$T/verify.zone' '$F2' | head -1 | grep -qx pass"

# 3. the same, its body changed on the way out: the incoming chain fails,
# and the new seal says so
sed 's/^the list footer$/the list footer, changed/' "$R2" >"$T/m3.eml"
F3=$(pf_send_wait out3 "$T/m3.eml" list@example.net 127.0.0.1)
check "3: a changed message forwarded (250)" grep -q '^<- *250 2.0.0 Ok: queued' "$T/out3.swaks"
res=$(arc_check "$F3")
check "3: its new seal says cv=fail ($res)" bash -c "echo '$res' | grep -q 'sets=2 seal-cv=none,fail '"
check "3: dkimpy: the chain fails" bash -c "! /usr/bin/python3 '$INKAN_SRC/tests/tools/arc_dkimpy.py' '$F3' '$T/verify.zone' >/dev/null"

# 4. not forwarded: internal mail without our Authentication-Results, and
# inbound mail, get no ARC set
printf 'From: list@example.net\nTo: bob@example.net\nSubject: new\nDate: Wed, 02 Dec 2026 10:00:00 +0000\nMessage-ID: <arc4@example.net>\n\nnew mail\n' >"$T/m4.eml"
F4=$(pf_send_wait out4 "$T/m4.eml" list@example.net 127.0.0.1)
check "4: internal mail without our Authentication-Results: delivered, not sealed" \
    bash -c "grep -q '^Message-ID: <arc4@example.net>' '$F4' && ! grep -qi '^ARC-Seal:' '$F4'"
check "4: inbound mail is not sealed (the received copy of 1)" bash -c "! grep -qi '^ARC-Seal:' '$R1'"
check "the milter logged the seals" test "$(grep -c 'sealed: forwarded: ARC-sealed' "$T/milter.err")" = 3

pf_down
pf_finish
