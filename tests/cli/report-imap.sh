#!/bin/bash
# report-imap.sh - 'inkan report import imaps://...' against a private
# Dovecot (tests/lib/dovecot.sh): IMAPS on a free 127.0.0.1 port with a
# certificate made here by openssl, one passwd-file user, Maildir in the
# test's directory.  INBOX
# holds three messages with real reports (tests/data/reports, gzip and zip
# attachments) and one whose report is refused:
#   - the import stores the three, moves their messages to Processed, and
#     leaves the refused one in INBOX with its reason printed (exit 3)
#   - a crash: SIGKILL while a message's reports are committed but the
#     message not yet moved (INKAN_TEST_IMAP_STALL holds that window
#     open); the re-run stores nothing twice and moves every message once
#   - --refused-folder moves the refused message there
#   - a server announcing no MOVE (imap_capability): UID COPY + STORE
#     \Deleted + UID EXPUNGE; without UIDPLUS too, the original is left
#     flagged \Deleted and the next run skips it
#   - a wrong password, a server that is down, a password in the URL and
#     an unverified certificate each fail at once with a clear error
# Dovecot is stopped by its PID and checked gone.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

. "$INKAN_SRC/tests/lib/dovecot.sh"
T=$TMPDIR_TEST
D=$INKAN_SRC/tests/data/reports
dovecot_setup "$T"
rc=$?
[ $rc = 0 ] || exit $rc
PORT=$DOVECOT_PORT
check "test certificate made" test -s "$T/cert.pem"
M=$DOVECOT_MAILDIR

/usr/bin/python3 - "$D" "$M/new" <<'EOF'
import gzip, io, sys, zipfile
from email.message import EmailMessage
src, out = sys.argv[1:]
def rd(n): return open(src + '/' + n, 'rb').read()
def msg(i, data, fn, maintype, subtype):
    m = EmailMessage()
    m['From'] = 'noreply-dmarc@reporter.example'
    m['To'] = 'dmarc@example.org'
    m['Subject'] = 'Report %d' % i
    m['Message-ID'] = '<r%d@reporter.example>' % i
    m.set_content('A DMARC aggregate report.')
    m.add_attachment(data, maintype=maintype, subtype=subtype, filename=fn)
    open('%s/%d.test:2,' % (out, 1000 + i), 'wb').write(m.as_bytes())
z = io.BytesIO()
with zipfile.ZipFile(z, 'w') as f: f.writestr('other-domain.xml', rd('other-domain.xml'))
msg(1, gzip.compress(rd('rfc7489-google.xml')), 'google.xml.gz', 'application', 'gzip')
msg(2, gzip.compress(rd('rfc9990-sample.xml')), 'two.xml.gz', 'application', 'gzip')
msg(3, z.getvalue(), 'other.zip', 'application', 'zip')
msg(4, rd('no-report-id.xml'), 'broken.xml', 'application', 'xml')
EOF
dovecot_chown
check "four messages in INBOX" test "$(ls "$M/new" | wc -l)" = 4

dovecot_start "$T/dc/dovecot.conf"
trap 'dovecot_stop; rm -rf "$TMPDIR_TEST"' EXIT
if ! check "dovecot started on 127.0.0.1:$PORT" test -n "$DPID"; then
    sed 's/^/#   /' "$T/dc/start.err" "$T/dc/log" 2>/dev/null | tail -20
    finish
    exit 1
fi

URL="imaps://reports@127.0.0.1:$PORT/INBOX"
DB=$T/r.db
count() { # count DB - the aggregate reports stored
    /usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from reports").fetchone()[0])' "$1"
}
inbox() { find "$M/cur" "$M/new" -type f | wc -l; }
folder() { find "$M/.$1/cur" "$M/.$1/new" -type f 2>/dev/null | wc -l; }

# --- the import -----------------------------------------------------------------
timeout 60 "$INKAN" report import --db "$DB" --ca "$T/cert.pem" --password-file "$T/pw" \
    "$URL" >"$T/first" 2>&1
rc=$?
check "import: exit 3 (one refused, the rest imported)" test $rc = 3
check "import: 3 imported, 1 refused" grep -q '^imported 3, duplicates 0, refused 1, failed 0$' "$T/first"
check "the gzip attachment of UID 1 is imported" grep -q "^$URL:UID 1:google.xml.gz: imported: example.org report 4812930581239012345" "$T/first"
check "the zip attachment's entry is named" grep -q "^$URL:UID 3:other.zip:other-domain.xml: imported: example.net" "$T/first"
check "the refused report says why" grep -q "^$URL:UID 4:broken.xml: refused: report_metadata has no report_id (byte [0-9]*)" "$T/first"
check "UID 1..3 moved to Processed" test "$(grep -c "^$URL: UID [123]: moved to Processed$" "$T/first")" = 3
check "UID 4 left in the mailbox" grep -q "^$URL: UID 4: left in the mailbox$" "$T/first"
check "the store holds the three reports" test "$(count "$DB")" = 3
check "Processed holds three messages" test "$(folder Processed)" = 3
check "INBOX holds only the refused one" test "$(inbox)" = 1
check "the password is not printed" sh -c "! grep -q s3cret '$T/first'"
[ "$rc" = 3 ] || sed 's/^/#   /' "$T/first" | head -20

# again: nothing new, the refused message is seen again and stays
timeout 60 "$INKAN" report import --db "$DB" --ca "$T/cert.pem" --password-file "$T/pw" \
    "$URL" >"$T/second" 2>&1
check "second run: only the refused one is read again" grep -q '^imported 0, duplicates 0, refused 1, failed 0$' "$T/second"

# --refused-folder takes it out of INBOX
INKAN_IMAP_PASSWORD=s3cret-pw timeout 60 "$INKAN" report import --db "$DB" --ca "$T/cert.pem" \
    --refused-folder Refused "$URL" >"$T/refused" 2>&1
check "--refused-folder: UID 4 moved to Refused (password from INKAN_IMAP_PASSWORD)" grep -q "^$URL: UID 4: moved (refused) to Refused$" "$T/refused"
check "  ... Refused holds it, INBOX is empty" test "$(folder Refused) $(inbox)" = "1 0"

# --- a crash between commit and move ---------------------------------------------
# three more messages: the same reports again as new mail (duplicates in
# the store) would not show a lost one, so make new ones by report_id
# new_msgs TAG N - N messages whose reports are new (report_id TAG-1..N)
new_msgs() {
    /usr/bin/python3 - "$D" "$M/new" "$1" "$2" <<'EOF'
import gzip, sys
from email.message import EmailMessage
src, out, tag, n = sys.argv[1:]
x = open(src + '/rfc7489-google.xml', 'rb').read()
for i in range(1, int(n) + 1):
    m = EmailMessage()
    m['From'] = 'noreply-dmarc@reporter.example'
    m['To'] = 'dmarc@example.org'
    m['Subject'] = '%s %d' % (tag, i)
    m.set_content('A DMARC aggregate report.')
    body = x.replace(b'4812930581239012345', b'%s-%d' % (tag.encode(), i))
    m.add_attachment(gzip.compress(body), maintype='application', subtype='gzip',
                     filename='%s-%d.xml.gz' % (tag, i))
    open('%s/%s-%d.test:2,' % (out, tag, i), 'wb').write(m.as_bytes())
EOF
    dovecot_chown
}
new_msgs crash 3
INKAN_TEST_IMAP_STALL=30 "$INKAN" report import --db "$DB" --ca "$T/cert.pem" \
    --password-file "$T/pw" "$URL" >"$T/crash" 2>&1 &
ipid=$!
for _ in $(seq 1 100); do grep -q ': imported: ' "$T/crash" 2>/dev/null && break; sleep 0.1; done
kill -KILL $ipid 2>/dev/null
wait $ipid 2>/dev/null
check "killed after the first report was committed" test "$(count "$DB")" = 4
check "  ... and its message was not moved" test "$(inbox) $(folder Processed)" = "3 3"
timeout 60 "$INKAN" report import --db "$DB" --ca "$T/cert.pem" --password-file "$T/pw" \
    "$URL" >"$T/rerun" 2>&1
rc=$?
check "re-run: exit 0" test $rc = 0
check "re-run: the committed one is a duplicate, the other two imported" grep -q '^imported 2, duplicates 1, refused 0, failed 0$' "$T/rerun"
check "every report stored exactly once" test "$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*), count(distinct report_id) from reports").fetchone())' "$DB")" = "(6, 6)"
check "every message moved exactly once (6 in Processed, INBOX empty)" test "$(folder Processed) $(inbox)" = "6 0"
check "  ... no message is in two folders" test "$(cat "$M"/.Processed/*/* | grep -c '^Subject: ')" = 6
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/rerun" | head -20

# --- a server without MOVE: UID COPY, STORE \\Deleted, UID EXPUNGE ----------------
dovecot_stop
sed 's/^protocols = imap$/&\nimap_capability = IMAP4rev1 LITERAL+ SASL-IR UIDPLUS/' \
    "$T/dc/dovecot.conf" >"$T/dc/nomove.conf"
dovecot_start "$T/dc/nomove.conf"
check "dovecot restarted without MOVE" test -n "$DPID"
new_msgs copy 2
timeout 60 "$INKAN" report import --db "$DB" --ca "$T/cert.pem" --password-file "$T/pw" \
    "$URL" >"$T/copy.out" 2>&1
check "no MOVE: both imported and moved" test "$(grep -c ': moved to Processed$' "$T/copy.out") $(folder Processed) $(inbox)" = "2 8 0"
dovecot_stop
sed 's/^protocols = imap$/&\nimap_capability = IMAP4rev1 LITERAL+ SASL-IR/' \
    "$T/dc/dovecot.conf" >"$T/dc/noplus.conf"
dovecot_start "$T/dc/noplus.conf"
new_msgs plain 1
timeout 60 "$INKAN" report import --db "$DB" --ca "$T/cert.pem" --password-file "$T/pw" \
    "$URL" >"$T/noplus.out" 2>&1
check "no MOVE, no UIDPLUS: copied, the original flagged \\Deleted and left" test "$(folder Processed) $(find "$M/cur" "$M/new" -type f -name '*,*T*' | wc -l)" = "9 1"
timeout 60 "$INKAN" report import --db "$DB" --ca "$T/cert.pem" --password-file "$T/pw" \
    "$URL" >"$T/noplus2.out" 2>&1
check "  ... and the next run skips it" grep -q '^imported 0, duplicates 0, refused 0, failed 0$' "$T/noplus2.out"
dovecot_stop
dovecot_start "$T/dc/dovecot.conf"

# --- errors ------------------------------------------------------------------------
start=$(date +%s)
timeout 60 "$INKAN" report import --db "$DB" --ca "$T/cert.pem" --password-file "$T/badpw" \
    "$URL" >"$T/badpw.out" 2>&1
check "bad password: exit 1" test $? = 1
check "  ... says the login failed" grep -qi 'logging in.*Login denied' "$T/badpw.out"
timeout 60 "$INKAN" report import --db "$DB" --password-file "$T/pw" "$URL" >"$T/nocert.out" 2>&1
check "unverified certificate (no --ca): exit 1" test $? = 1
check "  ... says it is the certificate" grep -qi 'certificate' "$T/nocert.out"
timeout 60 "$INKAN" report import --db "$DB" --insecure --password-file "$T/pw" "$URL" >"$T/insec.out" 2>&1
check "--insecure: connects (nothing left to import)" grep -q '^imported 0, duplicates 0, refused 0, failed 0$' "$T/insec.out"
timeout 60 "$INKAN" report import --db "$DB" --password-file "$T/pw" \
    "imaps://reports:s3cret-pw@127.0.0.1:$PORT/INBOX" >"$T/urlpw.out" 2>&1
check "a password in the URL: refused" grep -q 'the URL carries a password' "$T/urlpw.out"
check "  ... and not printed" sh -c "! grep -q s3cret '$T/urlpw.out'"
timeout 60 "$INKAN" report import --db "$DB" --ca "$T/cert.pem" --password-file "$T/pw" \
    "imaps://reports@127.0.0.1:$PORT/NoSuchBox" >"$T/nobox.out" 2>&1
check "an unknown mailbox: exit 1, naming the step" test $? = 1 -a -n "$(grep 'selecting the mailbox' "$T/nobox.out")"
env -u INKAN_IMAP_PASSWORD timeout 60 "$INKAN" report import --db "$DB" "$URL" >"$T/nopw.out" 2>&1
check "no password: exit 1, saying how to give it" grep -q 'password-file FILE' "$T/nopw.out"

dovecot_stop
check "dovecot stopped (PID $DPID gone)" sh -c "! kill -0 $DPID 2>/dev/null"
DPID=
timeout 60 "$INKAN" report import --db "$DB" --ca "$T/cert.pem" --password-file "$T/pw" \
    "$URL" >"$T/down.out" 2>&1
check "server down: exit 1" test $? = 1
check "  ... says it cannot connect" grep -qi "connect" "$T/down.out"
end=$(date +%s)
check "the error cases took under 20 s (no hang)" test $((end - start)) -lt 20

finish
