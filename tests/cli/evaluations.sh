#!/bin/bash
# evaluations.sh - recorded inbound evaluations through the real binary:
# `inkan verify --record` writes one row per message (the same message
# and envelope twice: still one row) and says which (--json: record.key), `inkan evaluations list` shows them
# (text, --json fields, --domain, --since/--until), `inkan evaluations
# replay` of a spool file (rows already stored skipped, a torn tail
# ignored, a corrupt record named with its offset), usage errors.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/cli/verify_lib.sh"

T=$TMPDIR_TEST
if ! verify_setup "$T"; then
    _notok "set up the scenarios"
    finish
    exit 1
fi
NOW=$(( $(date +%s) + 60 ))
DB=$T/db/inkan.db
Z=(--zone "$T/verify.zone" --now "$NOW" --authserv-id mx.example.net)

# --- usage ---
expect_exit 0 "$INKAN" evaluations --help
expect_exit 2 "$INKAN" evaluations
expect_exit 2 "$INKAN" evaluations nope
expect_exit 2 "$INKAN" evaluations list --since yesterday --db "$DB"
expect_err_contains "--since 'yesterday' is not a time" "$INKAN" evaluations list --since yesterday --db "$DB"
expect_exit 2 "$INKAN" evaluations list extra --db "$DB"
expect_exit 2 "$INKAN" evaluations replay --db "$DB"
expect_exit 2 "$INKAN" verify "${Z[@]}" --db "$DB" "$T/plain.eml"
expect_err_contains "--db is for --record" "$INKAN" verify "${Z[@]}" --db "$DB" "$T/plain.eml"

# --- record every scenario ---
while IFS='|' read -r name file args; do
    # shellcheck disable=SC2086
    "$INKAN" verify "${Z[@]}" --record --db "$DB" $args --rcpt "u@one.example" \
        --rcpt "v@Two.Example" --rcpt "w@one.example" "$T/$file" >"$T/$name.out" 2>"$T/err"
    check "$name: recorded, exit 0" test $? = 0
done <<<"$VERIFY_SCENARIOS"
nscen=$(grep -c . <<<"$VERIFY_SCENARIOS")
check "verify --record says the row was added" grep -q '^recorded: verify:[0-9a-f]\{64\} (added)$' "$T/aligned.out"

"$INKAN" evaluations list --db "$DB" --json >"$T/all.json"
check "list --json: exit 0" test $? = 0
check "list --json: one row per scenario ($nscen)" test "$(jq length "$T/all.json")" = "$nscen"
check "keys are unique" test "$(jq '[.[].key] | unique | length' "$T/all.json")" = "$nscen"

# the same message and envelope again: one row still
"$INKAN" verify "${Z[@]}" --record --db "$DB" --ip 192.0.2.1 --helo mail.example.org \
    --mail-from alice@example.org --rcpt "u@one.example" --rcpt "v@Two.Example" \
    --rcpt "w@one.example" "$T/signed.eml" >"$T/again.out" 2>&1
check "the same message recorded again: already stored" grep -q '(already stored)$' "$T/again.out"
check "... and still $nscen rows" test "$("$INKAN" evaluations list --db "$DB" --json | jq length)" = "$nscen"
# --json says the row it wrote: its key, and whether it was new
"$INKAN" verify "${Z[@]}" --record --db "$T/json.db" --json --ip 192.0.2.1 --helo mail.example.org \
    --mail-from alice@example.org "$T/signed.eml" >"$T/rec1.json" 2>"$T/err"
check "verify --record --json: exit 0" test $? = 0
check "verify --record --json: record.key, added true" \
    test "$(jq -r '[(.record.key | test("^verify:[0-9a-f]{64}$")), .record.added] | map(tostring) | join(" ")' "$T/rec1.json")" = "true true"
check "verify --record --json: the key is the stored row's" \
    test "$("$INKAN" evaluations list --db "$T/json.db" --json | jq -r '.[0].key')" = "$(jq -r .record.key "$T/rec1.json")"
"$INKAN" verify "${Z[@]}" --record --db "$T/json.db" --json --ip 192.0.2.1 --helo mail.example.org \
    --mail-from alice@example.org "$T/signed.eml" >"$T/rec2.json" 2>"$T/err"
check "verify --record --json again: the same key, added false" \
    test "$(jq -r '[.record.key == $k, .record.added] | map(tostring) | join(" ")' --arg k "$(jq -r .record.key "$T/rec1.json")" "$T/rec2.json")" = "true false"
check "verify --json without --record: no record" \
    test "$("$INKAN" verify "${Z[@]}" --json --ip 192.0.2.1 --helo mail.example.org \
        --mail-from alice@example.org "$T/signed.eml" | jq -c .record)" = null

# another envelope for the same bytes is another evaluation
"$INKAN" verify "${Z[@]}" --record --db "$DB" --ip 192.0.2.1 --helo mail.example.org \
    --mail-from alice@example.org "$T/signed.eml" >"$T/other.out" 2>&1
check "the same bytes with another envelope: a new row" grep -q '(added)$' "$T/other.out"

row() { jq -r --arg k "$1" "$2" "$T/all.json"; }
key_of() { sed -n 's/^recorded: \(verify:[0-9a-f]*\) .*/\1/p' "$T/$1.out"; }
A=$(key_of aligned)
S=$(key_of spoofed)
Q=$(key_of sp)
TY=$(key_of testing)
NP=$(key_of null-path)
F=$(key_of forwarded)
sel() { echo "map(select(.key == \"$1\"))[0] | $2"; }
check "aligned: time is --now" test "$(row x "$(sel "$A" .at)")" = "$NOW"
check "aligned: client, header From, envelope domains" \
    test "$(row x "$(sel "$A" '[.source_ip, .header_from, .envelope_from, .envelope_to] | join("|")')")" = "192.0.2.1|example.org|example.org|one.example two.example"
check "aligned: spf pass mfrom example.org" \
    test "$(row x "$(sel "$A" '[.spf.result, .spf.scope, .spf.domain] | join(" ")')")" = "pass mfrom example.org"
check "aligned: dkim pass d=example.org s=sel" \
    test "$(row x "$(sel "$A" '.dkim[0] | [.result, .domain, .selector] | join(" ")')")" = "pass example.org sel"
check "aligned: dmarc pass, both aligned, disposition none" \
    test "$(row x "$(sel "$A" '[.dmarc.result, .dmarc.spf, .dmarc.dkim, .disposition] | join(" ")')")" = "pass pass pass none"
check "aligned: policy published p/sp/np/adkim/aspf" \
    test "$(row x "$(sel "$A" '.policy_published | [.domain, .p, .sp, .np, .adkim, .aspf] | join(" ")')")" = "example.org reject quarantine reject r r"
check "aligned: Message-ID kept" test "$(row x "$(sel "$A" .message_id)")" != null
check "spoofed: dmarc fail, disposition reject, no dkim" \
    test "$(row x "$(sel "$S" '[.dmarc.result, .dmarc.spf, .disposition, (.dkim | length)] | map(tostring) | join(" ")')")" = "fail fail reject 0"
check "spoofed: spf of partner.example" \
    test "$(row x "$(sel "$S" '[.spf.result, .spf.domain] | join(" ")')")" = "pass partner.example"
check "sp: quarantine" test "$(row x "$(sel "$Q" .disposition)")" = quarantine
check "t=y: t recorded, disposition quarantine" \
    test "$(row x "$(sel "$TY" '[.policy_published.t, .disposition] | join(" ")')")" = "y quarantine"
check "null path: spf scope helo, no envelope_from" \
    test "$(row x "$(sel "$NP" '[.spf.scope, .spf.domain, (.envelope_from | tostring)] | join(" ")')")" = "helo mail.example.org null"
check "forwarded: the broken signature of example.org" test "$(row x "$(sel "$F" '[.dkim[] | select(.domain == "example.org") | .result][0]')")" = fail

# --- an override: monitor mode lets a failure through, and says so ---
cat >"$T/monitor.yaml" <<'P'
authserv-id: mx.example.net
mode: monitor
P
"$INKAN" verify "${Z[@]}" --policy "$T/monitor.yaml" --record --db "$T/mon.db" --ip 198.51.100.7 \
    --helo mail.partner.example --mail-from x@partner.example "$T/plain.eml" >"$T/mon.out" 2>"$T/err"
check "monitor: recorded" test $? = 0
check "monitor: disposition none, override local_policy" \
    test "$("$INKAN" evaluations list --db "$T/mon.db" --json | jq -r '.[0] | [.dmarc.result, .disposition, .override] | join(" ")')" = "fail none local_policy"

# --- filters ---
check "--domain example.org: the example.org rows" \
    test "$("$INKAN" evaluations list --db "$DB" --json --domain example.org | jq '[.[] | select(.header_from != "example.org")] | length')" = 0
check "--domain example.org: some" test "$("$INKAN" evaluations list --db "$DB" --json --domain example.org | jq length)" -ge 3
check "--domain nobody.example: none" test "$("$INKAN" evaluations list --db "$DB" --json --domain nobody.example | jq length)" = 0
check "--until NOW: none (the period excludes its end)" test "$("$INKAN" evaluations list --db "$DB" --json --until "$NOW" | jq length)" = 0
check "--since NOW: all" test "$("$INKAN" evaluations list --db "$DB" --json --since "$NOW" | jq length)" = $((nscen + 1))
check "--since a date (UTC)" test "$("$INKAN" evaluations list --db "$DB" --json --since 1970-01-02 | jq length)" = $((nscen + 1))
check "--until a date and time" test "$("$INKAN" evaluations list --db "$DB" --json --until 1970-01-02T00:00:00Z | jq length)" = 0
"$INKAN" evaluations list --db "$DB" >"$T/list.txt"
check "list: one text line per row" test "$(wc -l <"$T/list.txt")" = $((nscen + 1))
check "list: text line of the spoofed row" grep -q ' 198.51.100.7 from=example.org mfrom=partner.example .* dmarc=fail disposition=reject p=reject' "$T/list.txt"
check "list on an empty store: [] in JSON" test "$("$INKAN" evaluations list --db "$T/empty.db" --json | jq -c .)" = "[]"

# --- batch ---
printf '%s\n' "$T/plain.eml 198.51.100.7 mail.partner.example x@partner.example r@example.net" \
    "$T/signed.eml 192.0.2.1 mail.example.org alice@example.org r@example.net" >"$T/batch.list"
"$INKAN" verify "${Z[@]}" --record --db "$T/batch.db" --batch "$T/batch.list" >"$T/batch.out" 2>"$T/batch.err"
check "--batch --record: exit 0" test $? = 0
check "--batch --record: says 2 recorded" grep -q '2 evaluations recorded (2 added)' "$T/batch.err"
check "--batch --record: 2 rows" test "$("$INKAN" evaluations list --db "$T/batch.db" --json | jq length)" = 2
check "--batch --record: each line names its row's key, the keys stored" \
    test "$(jq -r .record.key "$T/batch.out" | sort | tr '\n' ' ')" = \
         "$("$INKAN" evaluations list --db "$T/batch.db" --json | jq -r '.[].key' | sort | tr '\n' ' ')"

# --- replay a spool (records written as the milter writes them) ---
python3 - "$T" <<'PY'
import struct, sys, zlib
d = sys.argv[1]
def fld(tag, v): return bytes([tag]) + struct.pack('>H', len(v)) + v
def rec(key, at, hfrom):
    p = bytes([1]) + fld(1, key) + fld(2, struct.pack('>q', at)) + fld(5, b'192.0.2.9') \
        + fld(6, hfrom) + fld(14, b'pass') + fld(17, b'none') \
        + fld(12, bytes([len(hfrom)]) + hfrom + b'\x02s1\x04pass')
    return struct.pack('>II', len(p), zlib.crc32(p)) + p
r = [rec(b'spool:%d' % i, 2000 + i, b'spooled.example') for i in range(3)]
open(d + '/good.spool', 'wb').write(b''.join(r))
open(d + '/torn.spool', 'wb').write(r[0] + r[1][:20])
bad = bytearray(b''.join(r)); bad[len(r[0]) + len(r[1]) + 12] ^= 1
open(d + '/bad.spool', 'wb').write(bytes(bad))
open(d + '/offset', 'w').write(str(len(r[0]) + len(r[1])))
PY
expect_out_contains "3 records, 3 added, 0 already stored" "$INKAN" evaluations replay --db "$T/sp.db" "$T/good.spool"
expect_out_contains "3 records, 0 added, 3 already stored" "$INKAN" evaluations replay --db "$T/sp.db" "$T/good.spool"
check "replayed rows: 3, with their DKIM result" \
    test "$("$INKAN" evaluations list --db "$T/sp.db" --json --domain spooled.example | jq -r '[length, .[0].dkim[0].selector, .[0].source_ip] | map(tostring) | join(" ")')" = "3 s1 192.0.2.9"
expect_out_contains "a torn tail at byte" "$INKAN" evaluations replay --db "$T/sp2.db" "$T/torn.spool"
expect_exit 0 "$INKAN" evaluations replay --db "$T/sp2.db" "$T/torn.spool"
expect_exit 1 "$INKAN" evaluations replay --db "$T/sp3.db" "$T/bad.spool"
expect_err_contains "corrupt record at byte $(cat "$T/offset"): checksum mismatch" "$INKAN" evaluations replay --db "$T/sp3.db" "$T/bad.spool"
check "a corrupt spool: the records before it are replayed" test "$("$INKAN" evaluations list --db "$T/sp3.db" --json | jq length)" = 2
expect_exit 1 "$INKAN" evaluations replay --db "$T/sp3.db" "$T/no-such.spool"

# --- a store that cannot be opened ---
echo "not a database" >"$T/junk.db"
expect_exit 1 "$INKAN" evaluations list --db "$T/junk.db"
expect_exit 1 "$INKAN" verify "${Z[@]}" --record --db "$T/junk.db" "$T/plain.eml"

finish
