#!/bin/bash
# serve-config.sh - `inkan serve --config FILE` and `--check-config FILE`
# (docs/serve.md): a valid file, files refused with the line, the column
# and the key (unknown keys, bad types, a bad listen, a password in an
# IMAP URL...), the same refusal at start; command-line options over the
# file's; and the scheduled report imports, on a service on a free
# loopback port stopped by its PID:
#   - a spool directory read every second: report files (XML, gzip, zip,
#     refused ones) dropped into it are imported, the totals of GET
#     /api/reports/summary become those of `inkan report summary --json`
#     over a store the CLI imported the same files into, the files are
#     moved to processed/ and refused/, the same files again count as
#     duplicates and never overwrite (NAME.1), hidden files are left,
#     /metrics counts it all, each run is logged
#   - a mailbox on a private Dovecot (tests/lib/dovecot.sh) imported every
#     second: the reports stored, the messages moved to the processed and
#     refused folders, counted in /metrics
#   - SIGTERM while a mailbox run waits on a server that never answers:
#     the service stops at once (the transfer is aborted)
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

T=$TMPDIR_TEST
R=$INKAN_SRC/tests/data
DB=$T/state.db
PID=
SPID=
stop() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; PID=; }
trap 'stop; [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; type dovecot_stop >/dev/null 2>&1 && dovecot_stop; rm -rf "$T"' EXIT

# conf NAME - write stdin as $T/NAME.yaml
conf() { cat >"$T/$1.yaml"; }

# --- --check-config: accepted ------------------------------------------------------
mkdir -p "$T/spool"
conf good <<EOF
# every key of the file
listen: 127.0.0.1:0
db: state.db
profiles: $INKAN_SRC/examples/profiles
rate: 120
check-timeout: 20
auth-port: 5353
zone: z.zone
timeout: 3
insecure-listen: false
imports:
  - dir: spool
    every: 60
  - imap: imaps://reports@127.0.0.1:1/INBOX
    password-file: pw
    processed-folder: Done
    refused-folder: Refused
    ca: cert.pem
    every: 600
EOF
printf 'secret\n' >"$T/pw"
: >"$T/cert.pem"
expect_exit 0 "$INKAN" serve --check-config "$T/good.yaml"
expect_out_contains "ok: $T/good.yaml (listen http://127.0.0.1:0, 2 scheduled imports)" \
    "$INKAN" serve --check-config "$T/good.yaml"
check "--check-config makes no directory" test ! -e "$T/spool/processed"
: >"$T/empty.yaml"
expect_exit 0 "$INKAN" serve --check-config "$T/empty.yaml"
expect_out_contains "listen http://127.0.0.1:8025, 0 scheduled imports" \
    "$INKAN" serve --check-config "$T/empty.yaml"
cp "$INKAN_SRC/examples/serve.yaml" "$T/example.yaml"
mkdir -p "$T/reports-spool" "$T/profiles"
printf 'secret\n' >"$T/imap-password"
expect_exit 0 "$INKAN" serve --check-config "$T/example.yaml"

# --- --check-config: refused, naming line, column and key --------------------------
# refused NAME LINE:COL: KEY: TEXT - exit 2 and stderr has FILE:LINE:COL: KEY: TEXT
refused() {
    local name=$1 want=$2
    expect_exit 2 "$INKAN" serve --check-config "$T/$name.yaml"
    expect_err_contains "inkan serve: $T/$name.yaml:$want" "$INKAN" serve --check-config "$T/$name.yaml"
}
printf 'listen: 127.0.0.1:0\nlisten-port: 80\n' | conf unknown
refused unknown '2:1: listen-port: unknown key (listen, db,'
printf 'rate: [1, 2]\n' | conf badtype
refused badtype '1:7: rate: must be a single value, not a list'
printf 'rate: many\n' | conf badnum
refused badnum "1:7: rate: 'many' is not a number of requests a minute from 1 to 1000000"
printf 'check-timeout: 0\n' | conf badtimeout
refused badtimeout "1:16: check-timeout: '0' is not a number of seconds from 1 to 600"
printf 'auth-port: 65536\n' | conf badport
refused badport "1:12: auth-port: '65536' is not a port number from 1 to 65535"
printf 'insecure-listen: maybe\n' | conf badbool
refused badbool "1:18: insecure-listen: 'maybe' is not true or false"
printf 'db: x.db\nlisten: localhost\n' | conf badlisten
refused badlisten "2:9: listen: 'localhost' is not ADDR:PORT or [ADDR6]:PORT"
printf 'listen: 192.0.2.1:8025\n' | conf farlisten
refused farlisten "1:9: listen: 192.0.2.1:8025 is not a loopback address"
printf 'tls-cert: c.pem\n' | conf halftls
refused halftls "1:1: tls-key: missing: tls-cert and tls-key go together"
printf 'zone: z.zone\ndns: 127.0.0.1:53\n' | conf twodns
refused twodns "1:1: dns: zone and dns cannot be given together"
printf 'listen: 127.0.0.1:0\nlisten: 127.0.0.1:1\n' | conf twice
refused twice "2:1: listen: given twice"
printf 'imports: {dir: spool}\n' | conf importsmap
refused importsmap "1:10: imports: must be a list of"
printf 'imports:\n  - dir: spool\n    every: 0\n' | conf badevery
refused badevery "3:12: imports.every: '0' is not a number of seconds from 1 to 86400"
printf 'imports:\n  - dir: spool\n    folder: x\n' | conf importkey
refused importkey "3:5: imports: unknown key 'folder' for a dir entry (dir, every, processed, refused"
printf 'imports:\n  - imap: imaps://reports@h/INBOX\n    processed: x\n' | conf imapkey
refused imapkey "3:5: imports: unknown key 'processed' for an imap entry"
printf 'imports:\n  - every: 5\n' | conf nokind
refused nokind "2:5: imports: an entry has either dir: (a spool directory) or imap:"
printf 'imports:\n  - imap: imaps://reports:s3cret@h/INBOX\n    password-file: pw\n' | conf urlpw
refused urlpw "2:11: imports.imap: the URL carries a password"
check "  ... and does not show it" bash -c "! grep -q s3cret '$T/err'"
printf 'imports:\n  - imap: https://h/INBOX\n' | conf notimap
refused notimap "2:11: imports.imap: 'https://h/INBOX' is not imaps://"
printf 'imports:\n  - dir: nowhere\n' | conf nospool
refused nospool "2:5: imports: spool directory $T/nowhere: No such file or directory"
printf 'imports:\n  - imap: imaps://reports@h/INBOX\n    password-file: nopw\n' | conf nopw
refused nopw "2:5: imports: password-file $T/nopw: No such file or directory"
printf 'imports:\n  - dir: spool\n    processed: spool\n' | conf samedir
refused samedir "2:5: imports: the spool, its processed and its refused directories must be three"
printf 'listen: [127.0.0.1:0\n' | conf syntax
refused syntax "2:1: YAML:"
printf 'rate: 5\n---\nrate: 6\n' | conf twodocs
refused twodocs "2:1: a serve config file holds one YAML document"
printf 'a: &x 1\nb: *x\n' | conf alias
expect_exit 2 "$INKAN" serve --check-config "$T/alias.yaml"
printf -- '- listen\n' | conf notmap
refused notmap "1:1: config: the file must be a mapping"
expect_exit 2 "$INKAN" serve --check-config "$T/missing.yaml"
expect_exit 2 "$INKAN" serve --config "$T/good.yaml" --check-config "$T/good.yaml"

# a broken file is refused at start with the same error
expect_exit 2 "$INKAN" serve --config "$T/unknown.yaml"
expect_err_contains "inkan serve: $T/unknown.yaml:2:1: listen-port: unknown key" \
    "$INKAN" serve --config "$T/unknown.yaml"

# --- the command line over the file ------------------------------------------------
expect_exit 0 "$INKAN" serve --check-config "$T/farlisten.yaml" --listen 127.0.0.1:0
expect_out_contains "listen http://127.0.0.1:0," \
    "$INKAN" serve --check-config "$T/farlisten.yaml" --listen 127.0.0.1:0
expect_exit 0 "$INKAN" serve --check-config "$T/farlisten.yaml" --insecure-listen
expect_exit 2 "$INKAN" serve --check-config "$T/good.yaml" --rate 0

# --- a service with a spool directory imported every second ------------------------
cat >"$T/z.zone" <<'EOF'
$ORIGIN example.com.
$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 86400 60
@ IN NS ns1
@ IN TXT "v=spf1 ip4:192.0.2.7 -all"
ns1 IN A 192.0.2.53
EOF
# the file says another database and rate 3 a minute: the command line's win
conf live <<EOF
listen: 127.0.0.1:0
db: file.db
rate: 3
profiles: $INKAN_SRC/examples/profiles
zone: z.zone
imports:
  - dir: spool
    every: 1
EOF
expect_exit 0 "$INKAN" token create admin --db "$DB"
TOK=$(cat "$T/out")
A="Authorization: Bearer $TOK"
"$INKAN" serve --config "$T/live.yaml" --db "$DB" --rate 1000 >"$T/serve.out" 2>"$T/serve.log" &
PID=$!
for _ in $(seq 100); do grep -q 'listening on' "$T/serve.log" && break; sleep 0.05; done
PORT=$(sed -n 's/.*listening on .* port \([0-9]*\)$/\1/p' "$T/serve.log")
check "the service says its port" test -n "$PORT"
U=http://127.0.0.1:$PORT
# code METHOD PATH [curl args...] - the HTTP status (body in $T/body)
code() {
    local m=$1 p=$2; shift 2
    curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$U$p"
}
check "--db over the file's db: the token of $DB is known" test "$(code GET /api/domains -H "$A")" = 200
check "  ... and the file's db was never opened" test ! -e "$T/file.db"
n429=$(curl -s -o /dev/null -w '%{http_code}\n' -H "$A" $(for _ in $(seq 10); do echo "$U/api/domains"; done) |
    grep -c '^429$')
check "--rate over the file's rate: 10 requests, no 429 ($n429)" test "$n429" = 0
check "the file's profiles are used" test "$(code POST /api/domains -H "$A" \
    -d '{"domain":"example.com","profile":"include-bounce"}')" = 201
check "the file's zone (a path relative to the file) is used" \
    test "$(code GET /api/check/example.com -H "$A")" = 200
check "  ... its SPF record seen" grep -qF 'ip4:192.0.2.7' "$T/body"
check "the processed and refused directories are made at start" \
    test -d "$T/spool/processed" -a -d "$T/spool/refused"

# the inputs: the report files of tests/data (4 stored, 5 refused), and
# three more days as gzip, zip and plain XML
mkdir -p "$T/in"
cp "$R"/reports/*.xml "$T/in/"
gzip -c "$R/reports-timeline/tl-1.xml" >"$T/in/tl-1.xml.gz"
python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z: z.write(sys.argv[2], "tl-2.xml")' \
    "$T/in/tl-2.zip" "$R/reports-timeline/tl-2.xml"
cp "$R/reports-timeline/tl-3.xml" "$T/in/"
NIN=$(ls "$T/in" | wc -l)
"$INKAN" report import --db "$T/ref.db" "$T/in" >"$T/ref.out" 2>&1
"$INKAN" report summary --json --no-dns --db "$T/ref.db" >"$T/ref.json" 2>/dev/null
check "the CLI's store: 7 reports imported, 5 refused" \
    grep -q '^imported 7, duplicates 0, refused 5, failed 0$' "$T/ref.out"

printf 'not yet\n' >"$T/spool/.incoming.xml" # a writer's hidden temporary name
cp "$T/in"/* "$T/spool/"
ok=
for _ in $(seq 150); do
    if [ "$(code GET /api/reports/summary -H "$A")" = 200 ] &&
        [ "$(jq -S . "$T/body")" = "$(jq -S . "$T/ref.json")" ]; then ok=1; break; fi
    sleep 0.2
done
check "GET /api/reports/summary becomes report summary --json of the CLI's store" test -n "$ok"
check "  ... the totals of several domains (messages $(jq -c '[.domains[].messages]' "$T/body"))" \
    test "$(jq '.domains | length' "$T/body")" -ge 2
for _ in $(seq 50); do [ "$(ls "$T/spool/processed" | wc -l)" = 7 ] && break; sleep 0.1; done
check "the 7 files with stored reports are in processed/" test "$(ls "$T/spool/processed" | wc -l)" = 7
check "  ... the gzip and the zip among them" test -f "$T/spool/processed/tl-1.xml.gz" -a -f "$T/spool/processed/tl-2.zip"
check "the 5 refused ones are in refused/" \
    test "$(ls "$T/spool/refused" | sort | tr '\n' ' ')" = "bad-encoding.xml billion-laughs.xml invalid-utf8.xml no-report-id.xml xxe.xml "
check "nothing but the hidden file is left in the spool" \
    test "$(ls -A "$T/spool" | sort | tr '\n' ' ')" = ".incoming.xml processed refused "
check "each file's import is logged" \
    grep -qE '^inkan serve: import .*/spool/tl-2\.zip: imported 1, duplicates 0, refused 0, failed 0; moved to .*/spool/processed/tl-2\.zip$' "$T/serve.log"
check "  ... a refused file with the reason" \
    grep -qE '^inkan serve: import .*/spool/no-report-id\.xml: imported 0, .*refused 1.*; moved to .*/spool/refused/no-report-id\.xml \(report_metadata has no report_id' "$T/serve.log"
check "  ... and each run" \
    grep -qE '^inkan serve: import dir .*/spool: done: imported [0-9]+, duplicates [0-9]+, refused [0-9]+, failed 0; processed [0-9]+, refused [0-9]+, left 0; [0-9]+ ms$' "$T/serve.log"
check "/metrics -> 200" test "$(code GET /metrics -H "$A")" = 200
cp "$T/body" "$T/metrics1"
check "  ... 7 reports imported" grep -qx 'inkan_report_imports_total{result="imported"} 7' "$T/metrics1"
check "  ... 5 refused" grep -qx 'inkan_report_imports_total{result="refused"} 5' "$T/metrics1"
check "  ... none failed, no duplicate" \
    test "$(grep -cx 'inkan_report_imports_total{result="\(failed\|duplicate\)"} 0' "$T/metrics1")" = 2
check "  ... 7 files processed, 5 refused" \
    test "$(grep -x 'inkan_report_import_inputs_total{fate="\(processed\|refused\)"} [0-9]*' "$T/metrics1" | cut -d' ' -f2 | tr '\n' ' ')" = "7 5 "
check "  ... runs counted" grep -qE '^inkan_report_import_runs_total\{result="ok"\} [1-9]' "$T/metrics1"
check "  ... parses as the Prometheus text format" awk '
    /^#/ { next }
    !/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? [0-9.e+-]+$/ { bad = 1 }
    END { exit bad }' "$T/metrics1"

# the same stored files again (as after a kill between a commit and the
# move): duplicates, nothing stored twice, nothing overwritten
cp "$T/in/rfc7489-google.xml" "$T/in/tl-1.xml.gz" "$T/spool/"
for _ in $(seq 100); do [ -f "$T/spool/processed/tl-1.xml.gz.1" ] && break; sleep 0.1; done
check "a file again goes to processed/ under NAME.1" \
    test -f "$T/spool/processed/rfc7489-google.xml.1" -a -f "$T/spool/processed/tl-1.xml.gz.1"
check "  ... the first one kept" cmp -s "$T/spool/processed/tl-1.xml.gz" "$T/in/tl-1.xml.gz"
code GET /metrics -H "$A" >/dev/null
check "  ... counted as 2 duplicates" grep -qx 'inkan_report_imports_total{result="duplicate"} 2' "$T/body"
check "  ... still 7 imported" grep -qx 'inkan_report_imports_total{result="imported"} 7' "$T/body"
"$INKAN" report import --db "$T/ref.db" "$T/in/rfc7489-google.xml" "$T/in/tl-1.xml.gz" >/dev/null 2>&1
"$INKAN" report summary --json --no-dns --db "$T/ref.db" >"$T/ref2.json" 2>/dev/null
check "  ... the summary as the CLI's after the same duplicates" \
    test "$(code GET /api/reports/summary -H "$A"; jq -S . "$T/body")" = "200$(jq -S . "$T/ref2.json")"
check "the hidden file was never taken" test -f "$T/spool/.incoming.xml"

t0=$(date +%s%N)
check "the service stops on SIGTERM" kill "$PID"
wait "$PID"
rc=$?
t1=$(date +%s%N)
PID=
check "  ... with status 0" test $rc = 0
check "  ... within 5 s ($(( (t1 - t0) / 1000000 )) ms)" test $(( (t1 - t0) / 1000000 )) -lt 5000

# --- a mailbox imported every second --------------------------------------------------
. "$INKAN_SRC/tests/lib/dovecot.sh"
mkdir -p "$T/imap"
chmod 755 "$T" # the mail processes (nobody, when the test runs as root) reach into it
dovecot_setup "$T/imap"
drc=$?
if [ $drc != 0 ]; then
    echo "# the scheduled IMAP import is not tested here: no Dovecot"
    [ $drc = 77 ] || check "dovecot available under CI" false
else
    M=$DOVECOT_MAILDIR
    python3 - "$R/reports" "$M/new" <<'EOF'
import gzip, sys
from email.message import EmailMessage
src, out = sys.argv[1:]
def msg(i, data, fn, sub):
    m = EmailMessage()
    m['From'] = 'noreply-dmarc@reporter.example'
    m['To'] = 'dmarc@example.org'
    m['Subject'] = 'Report %d' % i
    m.set_content('A DMARC aggregate report.')
    m.add_attachment(data, maintype='application', subtype=sub, filename=fn)
    open('%s/%d.test:2,' % (out, 2000 + i), 'wb').write(m.as_bytes())
msg(1, gzip.compress(open(src + '/rfc9990-sample.xml', 'rb').read()), 'r.xml.gz', 'gzip')
msg(2, open(src + '/no-report-id.xml', 'rb').read(), 'broken.xml', 'xml')
EOF
    dovecot_chown
    dovecot_start "$DOVECOT_CONF"
    check "dovecot started on 127.0.0.1:$DOVECOT_PORT" test -n "$DPID"
    URL="imaps://reports@127.0.0.1:$DOVECOT_PORT/INBOX"
    conf imap <<EOF
listen: 127.0.0.1:0
imports:
  - imap: $URL
    password-file: imap/pw
    ca: imap/cert.pem
    processed-folder: Done
    refused-folder: Refused
    every: 1
EOF
    expect_exit 0 "$INKAN" serve --check-config "$T/imap.yaml"
    "$INKAN" serve --config "$T/imap.yaml" --db "$T/imap.db" >"$T/imap.out" 2>"$T/imap.log" &
    PID=$!
    for _ in $(seq 100); do grep -q 'listening on' "$T/imap.log" && break; sleep 0.05; done
    U=http://127.0.0.1:$(sed -n 's/.*listening on .* port \([0-9]*\)$/\1/p' "$T/imap.log")
    folder() { find "$M/.$1/cur" "$M/.$1/new" -type f 2>/dev/null | wc -l; }
    for _ in $(seq 150); do [ "$(folder Done) $(folder Refused)" = "1 1" ] && break; sleep 0.2; done
    check "the stored message is moved to Done, the refused one to Refused" \
        test "$(folder Done) $(folder Refused) $(find "$M/cur" "$M/new" -type f | wc -l)" = "1 1 0"
    check "  ... its report is in the store" \
        test "$(sqlite3 "$T/imap.db" 'SELECT count(*) FROM reports')" = 1
    "$INKAN" token create admin --db "$T/imap.db" >"$T/imap.tok" 2>/dev/null
    A="Authorization: Bearer $(cat "$T/imap.tok")"
    check "/metrics -> 200" test "$(code GET /metrics -H "$A")" = 200
    check "  ... 1 report imported, 1 refused" \
        test "$(grep -x 'inkan_report_imports_total{result="\(imported\|refused\)"} [0-9]*' "$T/body" | cut -d' ' -f2 | tr '\n' ' ')" = "1 1 "
    check "  ... 1 message processed, 1 refused" \
        test "$(grep -x 'inkan_report_import_inputs_total{fate="\(processed\|refused\)"} [0-9]*' "$T/body" | cut -d' ' -f2 | tr '\n' ' ')" = "1 1 "
    check "each message is logged" grep -qF "inkan serve: import imap $URL: UID 1: moved to Done" "$T/imap.log"
    check "  ... and each run" grep -qE "^inkan serve: import imap $URL: done: imported 1, duplicates 0, refused 1, failed 0; processed 1, refused 1, left 0" "$T/imap.log"
    check "the password is not logged" bash -c "! grep -q s3cret '$T/imap.log'"
    [ "$(folder Done) $(folder Refused)" = "1 1" ] ||
        grep -v ' GET /metrics ' "$T/imap.log" | head -20 | sed 's/^/#   /'
    kill "$PID"
    wait "$PID"
    check "the service stops with status 0" test $? = 0
    PID=
    dovecot_stop
fi

# --- SIGTERM while a mailbox run waits on a server that never answers -------------------
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
held = []
with open(sys.argv[1], "a") as seen:
    while True:
        c, _ = s.accept(); held.append(c); print("conn", file=seen, flush=True)' "$T/silent.seen" >"$T/silent.port" &
SPID=$!
for _ in $(seq 100); do [ -s "$T/silent.port" ] && break; sleep 0.05; done
conf silent <<EOF
listen: 127.0.0.1:0
imports:
  - imap: imaps://reports@127.0.0.1:$(cat "$T/silent.port")/INBOX
    password-file: pw
    every: 60
EOF
"$INKAN" serve --config "$T/silent.yaml" --db "$T/silent.db" >"$T/silent.out" 2>"$T/silent.log" &
PID=$!
for _ in $(seq 200); do [ -s "$T/silent.seen" ] && break; sleep 0.05; done
check "the mailbox run is connected to the silent server" test -s "$T/silent.seen"
sleep 0.5
t0=$(date +%s%N)
kill "$PID"
wait "$PID"
rc=$?
t1=$(date +%s%N)
PID=
check "SIGTERM mid-run: status 0" test $rc = 0
check "  ... within 5 s, not the 30 s connect timeout ($(( (t1 - t0) / 1000000 )) ms)" \
    test $(( (t1 - t0) / 1000000 )) -lt 5000
check "  ... the run is logged as stopped" grep -qE '^inkan serve: import imap .*: failed: ' "$T/silent.log"
kill "$SPID"; wait "$SPID" 2>/dev/null; SPID=
finish
