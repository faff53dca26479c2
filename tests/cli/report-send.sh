#!/bin/bash
# report-send.sh - our own aggregate reports, end to end: 'inkan report
# generate' from evaluation rows (--rows JSONL) writes one gzip report per
# policy domain, each valid against the RFC 9990 schema (xmllint --schema);
# 'inkan report send' mails them through a local SMTP sink
# (tests/tools/smtp_sink.py on a free loopback port) to the rua addresses a
# zone file publishes: the delivered message is checked, an unauthorized
# external destination and one over its !size limit are refused, a relay
# that is down leaves the report unsent, and the next run sends only the
# rest.  --dry-run writes .eml files and records nothing.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

XSD="${INKAN_SHARED:-$INKAN_SRC/../shared}/specs/dmarc-xml-0.2.xsd"
if [ ! -r "$XSD" ]; then
    echo "SKIP: $XSD is missing (the RFC 9990 schema, in ../shared/specs)."
    [ "${CI:-}" = true ] && exit 1
    exit 77
fi
for tool in xmllint python3 zcat; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing (scripts/install-deps.sh)"; exit 77; }
done

T=$TMPDIR_TEST
DAY=2026-12-03
BEGIN=1796256000   # 2026-12-03T00:00:00Z
END=$((BEGIN + 86399))
GEN=(--org-name "Receiver & Co <ops>" --email dmarc-reports@receiver.example
     --submitter receiver.example --out "$T/outbox")

# ---- the zone: who asks for reports where ----
cat >"$T/zone" <<'EOF'
$ORIGIN example.
$TTL 300
@ IN SOA ns.example. hostmaster.example. 1 7200 3600 1209600 300
@ IN NS ns.example.
ns IN A 192.0.2.53
; example.com: an internal address and an authorized external one with a size limit
_dmarc.example.com. IN TXT "v=DMARC1; p=reject; rua=mailto:rua@example.com,mailto:agg@reports.example.net!10m"
example.com._report._dmarc.reports.example.net. IN TXT "v=DMARC1"
; shop.example.org: reports to an outside host that never agreed
_dmarc.shop.example.org. IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@evil.example.org"
; tiny.example: a limit no report fits in
_dmarc.tiny.example. IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@tiny.example!1k"
; quiet.example: a record without rua
_dmarc.quiet.example. IN TXT "v=DMARC1; p=none"
EOF

# ---- evaluation rows (the fields of include/inkan/evlog.h's row) ----
row() { # at ip header_from policy_domain disposition dmarc_result dkim spf [extra json]
    printf '{"at": %s, "source_ip": "%s", "header_from": "%s", "envelope_from": "%s", "envelope_to": "receiver.example", "spf_result": "%s", "spf_domain": "%s", "spf_scope": "mfrom", "dkim": [{"domain": "%s", "selector": "s1", "result": "%s"}], "dmarc_result": "%s", "dmarc_dkim": "%s", "dmarc_spf": "%s", "disposition": "%s", "policy_domain": "%s", "p": "reject", "adkim": "r", "aspf": "r", "t": "n"%s}\n' \
        "$1" "$2" "$3" "$3" "$8" "$3" "$3" "$7" "$6" "$7" "$8" "$5" "$4" "${9:-}"
}
{
    row $((BEGIN + 10)) 192.0.2.1 example.com example.com none pass pass pass
    row $((BEGIN + 20)) 192.0.2.1 example.com example.com none pass pass pass
    row $((BEGIN + 30)) 192.0.2.1 example.com example.com none pass pass pass
    row $((BEGIN + 40)) 198.51.100.7 sub.example.com example.com reject fail fail fail \
        ', "override": "local_policy", "override_comment": "x < y & z"'
    row $((BEGIN + 50)) 203.0.113.9 shop.example.org shop.example.org none fail fail fail
    row $((BEGIN + 60)) 203.0.113.10 tiny.example tiny.example quarantine fail fail fail
    row $((BEGIN + 70)) 203.0.113.11 quiet.example quiet.example none pass pass pass
    # outside the day, no policy, a temperror: none of them reported
    row $((BEGIN - 1)) 192.0.2.99 example.com example.com none pass pass pass
    row $((END + 1)) 192.0.2.99 example.com example.com none pass pass pass
    printf '{"at": %s, "source_ip": "192.0.2.5", "header_from": "nopolicy.example", "dmarc_result": "none", "disposition": "none"}\n' $((BEGIN + 5))
    printf '{"at": %s, "source_ip": "192.0.2.5", "header_from": "example.com", "policy_domain": "example.com", "dmarc_result": "temperror", "disposition": "none"}\n' $((BEGIN + 6))
} >"$T/rows.jsonl"

# ---- generate ----
expect_exit 0 "$INKAN" report generate --period $DAY --rows "$T/rows.jsonl" "${GEN[@]}"
cp "$T/out" "$T/gen.out"
EX="$T/outbox/receiver.example!example.com!$BEGIN!$END.xml.gz"
check "one report per policy domain (4 written)" \
    test "$(ls "$T/outbox" | grep -c '\.xml\.gz$')" = 4
check "example.com's report is named as RFC 9990 3.5.2 says" test -s "$EX"
if grep -qF "11 rows read, 9 in the period, 2 without a DMARC policy (not reported), 0 refused; 4 reports written" "$T/gen.out"; then
    _ok "generate's counts"
else _notok "generate's counts"; sed 's/^/#   /' "$T/gen.out"; fi
zcat "$EX" >"$T/ex.xml"
for f in "$T"/outbox/*.xml.gz; do
    if zcat "$f" | xmllint --noout --schema "$XSD" - 2>"$T/xmllint.err"; then
        _ok "xmllint --schema: $(basename "$f")"
    else
        _notok "xmllint --schema: $(basename "$f")"; sed 's/^/#   /' "$T/xmllint.err"
    fi
done
check "grouped: the three passes from 192.0.2.1 are one record of count 3" \
    grep -qE '<count>3</count>' "$T/ex.xml"
check "the subdomain's row is in its organization's report" grep -qF '<header_from>sub.example.com</header_from>' "$T/ex.xml"
check "org_name escaped" grep -qF '<org_name>Receiver &amp; Co &lt;ops&gt;</org_name>' "$T/ex.xml"
check "the override comment escaped" grep -qF '<comment>x &lt; y &amp; z</comment>' "$T/ex.xml"
check "Report-ID" grep -qF "<report_id>$BEGIN.example.com@receiver.example</report_id>" "$T/ex.xml"
check "two records in example.com's report" test "$(grep -c '<record>' "$T/ex.xml")" = 2
check "no report for the domain without policy" test ! -e "$T/outbox/receiver.example!nopolicy.example!$BEGIN!$END.xml.gz"

# the same day again: the same bytes (a report is rebuilt, never changed by chance)
cp "$EX" "$T/ex.first"
expect_exit 0 "$INKAN" report generate --period $DAY --rows "$T/rows.jsonl" "${GEN[@]}"
check "regenerating gives the same bytes" cmp -s "$EX" "$T/ex.first"

# an empty period: no report, exit 0
expect_out_contains "no evaluations to report for 2026-11-01" \
    "$INKAN" report generate --period 2026-11-01 --rows "$T/rows.jsonl" "${GEN[@]}"
# bad input: named, the rest goes on, exit 3
printf '%s\n' 'not json' '{"at": "x"}' >"$T/bad.jsonl"
row $((BEGIN + 10)) 192.0.2.1 bad.example bad.example discard fail fail fail >>"$T/bad.jsonl"
row $((BEGIN + 10)) 192.0.2.2 fine.example fine.example none pass pass pass >>"$T/bad.jsonl"
expect_exit 3 "$INKAN" report generate --period $DAY --rows "$T/bad.jsonl" "${GEN[@]}" --out "$T/badbox"
check "bad rows are named by line" grep -qF "rows:3: refused: disposition 'discard' is not one of" "$T/out"
check "a line that is not JSON is named" grep -qF "rows:1: refused: invalid JSON" "$T/out"
check "the good row of that file is reported" test -s "$T/badbox/receiver.example!fine.example!$BEGIN!$END.xml.gz"
expect_exit 2 "$INKAN" report generate --period 2026-13-01 --rows "$T/rows.jsonl" "${GEN[@]}"
expect_err_contains "--period" "$INKAN" report generate --period 2026-13-01 --rows "$T/rows.jsonl" "${GEN[@]}"
expect_exit 2 "$INKAN" report generate --period $DAY --rows "$T/rows.jsonl" --email a@b --submitter x.example
expect_exit 2 "$INKAN" report generate --period $DAY --rows "$T/rows.jsonl" "${GEN[@]}" --id-prefix 'a-b'

# ---- dry run: messages written, nothing recorded ----
expect_exit 0 "$INKAN" report send --out "$T/outbox" --dry-run "$T/eml" --zone "$T/zone"
cp "$T/out" "$T/dry.out"
check "dry run wrote the message to rua@example.com" \
    test -s "$T/eml/receiver.example!example.com!$BEGIN!$END.xml.gz.rua@example.com.eml"
check "dry run wrote the message to the authorized external destination" \
    test -s "$T/eml/receiver.example!example.com!$BEGIN!$END.xml.gz.agg@reports.example.net.eml"
check "dry run recorded nothing as sent" test -z "$(ls "$T/outbox" | grep '\.sent$')"

# ---- relay down: nothing marked sent ----
DOWN=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
expect_exit 3 "$INKAN" report send --out "$T/outbox" --relay "smtp://127.0.0.1:$DOWN" --zone "$T/zone"
cp "$T/out" "$T/down.out"
check "relay down: reported as waiting" grep -qF "waiting rua@example.com: the relay did not accept it" "$T/down.out"
check "relay down: example.com's report not marked sent" test ! -e "$EX.sent"
# refusals for good need no relay: decided (and recorded as done) in that run
check "unauthorized external destination refused" \
    grep -qF "refused dmarc@evil.example.org: not authorized: shop.example.org._report._dmarc.evil.example.org has no v=DMARC1 record" "$T/down.out"
check "size limit honoured" grep -qE "refused dmarc@tiny.example: the message is [0-9]+ bytes, over its limit of 1024 bytes" "$T/down.out"
check "no rua: not sent" grep -qF "quiet.example!$BEGIN!$END.xml.gz: not sent: _dmarc.quiet.example asks for no aggregate reports" "$T/down.out"
check "the refused ones are done" grep -q '^done ' "$T/outbox/receiver.example!shop.example.org!$BEGIN!$END.xml.gz.sent"
check "dry run refused the unauthorized one too" grep -qF "refused dmarc@evil.example.org: not authorized" "$T/dry.out"

# ---- the sink; one recipient refused by it ----
python3 "$INKAN_SRC/tests/tools/smtp_sink.py" --dir "$T/sink" --port-file "$T/port" \
    --reject-rcpt agg@reports.example.net &
SINK=$!
trap 'kill $SINK 2>/dev/null; rm -rf "$TMPDIR_TEST"' EXIT
for _ in $(seq 300); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port")
expect_exit 3 "$INKAN" report send --out "$T/outbox" --relay "smtp://127.0.0.1:$PORT" --zone "$T/zone"
cp "$T/out" "$T/send1.out"
check "sent to the internal address" grep -qF "example.com!$BEGIN!$END.xml.gz: sent to rua@example.com" "$T/send1.out"
check "the refused recipient waits" grep -qF "waiting agg@reports.example.net: the relay did not accept it" "$T/send1.out"
check "first send: the refused ones are not tried again" grep -qF "3 sent before" "$T/send1.out"
check "nothing reached evil.example.org" test -z "$(grep -l 'evil.example.org' "$T"/sink/*.env 2>/dev/null)"
check "one message delivered so far" test "$(ls "$T/sink" | grep -c '\.eml$')" = 1
check "example.com's state records rua@example.com" grep -q '^sent rua@example.com ' "$EX.sent"
check "example.com is not done" test -z "$(grep '^done' "$EX.sent")"

M="$T/sink/001.eml"
check "envelope: MAIL FROM the report's email" grep -qF 'MAIL FROM:<dmarc-reports@receiver.example>' "$T/sink/001.env"
check "envelope: RCPT TO rua@example.com" grep -qF 'RCPT TO:<rua@example.com>' "$T/sink/001.env"
check "Subject as RFC 9990 3.5.2" grep -qE "^Subject: Report Domain: example.com Submitter: receiver.example" "$M"
tr -d '\r' <"$M" | python3 -c '
import email, sys, gzip, email.policy
m = email.message_from_file(sys.stdin, policy=email.policy.default)
subj = " ".join(str(m["Subject"]).split())
assert subj == "Report Domain: example.com Submitter: receiver.example Report-ID: <'$BEGIN'.example.com@receiver.example>", subj
assert m["Message-ID"].strip() == "<'$BEGIN'.example.com@receiver.example>", m["Message-ID"]
assert m["To"].strip() == "rua@example.com"
assert m["Date"]
parts = [p for p in m.iter_attachments()]
assert len(parts) == 1, parts
p = parts[0]
assert p.get_content_type() == "application/gzip", p.get_content_type()
assert p.get_filename() == "receiver.example!example.com!'$BEGIN'!'$END'.xml.gz", p.get_filename()
open(sys.argv[1], "wb").write(gzip.decompress(p.get_content()))
' "$T/att.xml" 2>"$T/py.err"
if [ $? = 0 ]; then _ok "the message parses: subject, Message-ID, one application/gzip attachment named right"
else _notok "the message"; sed 's/^/#   /' "$T/py.err"; fi
check "the attachment is the report" cmp -s "$T/att.xml" "$T/ex.xml"

# ---- the sink takes everything now; re-run sends only the rest ----
kill $SINK; wait $SINK 2>/dev/null
rm -f "$T/port"
python3 "$INKAN_SRC/tests/tools/smtp_sink.py" --dir "$T/sink2" --port-file "$T/port" &
SINK=$!
for _ in $(seq 300); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port")
expect_exit 0 "$INKAN" report send --out "$T/outbox" --relay "smtp://127.0.0.1:$PORT" --zone "$T/zone"
cp "$T/out" "$T/send2.out"
check "re-run: only the destination left is sent" test "$(ls "$T/sink2" | grep -c '\.eml$')" = 1
check "re-run: it is agg@reports.example.net" grep -qF 'RCPT TO:<agg@reports.example.net>' "$T/sink2/001.env"
check "re-run: rua@example.com not sent twice" test -z "$(grep -l 'rua@example.com' "$T"/sink2/*.env)"
check "example.com's report is done" grep -q '^done ' "$EX.sent"
expect_exit 0 "$INKAN" report send --out "$T/outbox" --relay "smtp://127.0.0.1:$PORT" --zone "$T/zone"
check "third run: nothing left to send" grep -qF "0 delivered, 0 refused for good, 0 reports waiting for a later run, 4 sent before" "$T/out"
check "third run: no new message" test "$(ls "$T/sink2" | grep -c '\.eml$')" = 1
# a report already sent is not rewritten by generate
expect_out_contains "kept $T/outbox/receiver.example!example.com!$BEGIN!$END.xml.gz: already (partly) sent" \
    "$INKAN" report generate --period $DAY --rows "$T/rows.jsonl" "${GEN[@]}"

# ---- usage ----
expect_exit 2 "$INKAN" report send --out "$T/outbox" --zone "$T/zone"
expect_exit 2 "$INKAN" report send --out "$T/outbox" --relay "http://127.0.0.1:$PORT" --zone "$T/zone"
expect_err_contains "--relay" "$INKAN" report send --out "$T/outbox" --relay "http://x" --zone "$T/zone"
expect_exit 1 "$INKAN" report send --out "$T/nonexistent" --relay "smtp://127.0.0.1:$PORT" --zone "$T/zone"

kill $SINK; wait $SINK 2>/dev/null
finish
