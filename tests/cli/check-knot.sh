#!/bin/bash
# check-knot.sh - `inkan check --dns` against a real authoritative server
# (Knot on 127.0.0.1, tests/lib/knot.sh) gives the same findings as
# `--zone` over the same zone files; fixes published by reloading the
# server make the findings go away; bulk --file over the async resolver.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/lib/knot.sh"
PY=/usr/bin/python3
Z=$TMPDIR_TEST/zones
mkdir -p "$Z" "$TMPDIR_TEST/knot"
$PY "$INKAN_SRC/tests/cli/check_zones.py" gen "$Z" || { echo "not ok - zone generation"; exit 1; }
cp "$Z/forward.zone" "$TMPDIR_TEST/example.zone"
cp "$Z/reverse.zone" "$TMPDIR_TEST/rev.zone"
knot_start "$TMPDIR_TEST/knot" example="$TMPDIR_TEST/example.zone" \
    2.0.192.in-addr.arpa="$TMPDIR_TEST/rev.zone" || { echo "not ok - knot start"; exit 1; }
DNS=127.0.0.1:$KNOT_PORT

# findings - "severity area code subject" lines of a report, sorted
findings() {
    $PY -c '
import json,sys
d=json.load(open(sys.argv[1]))
for f in sorted("%s %s %s %s" % (f["severity"], f["area"], f["code"], f["subject"]) for f in d["findings"]):
    print(f)' "$1"
}

for args in "twospf.example" "nodmarc.example" "extrua.example" "testing.example --selector sel" \
            "ptr.example --ip 192.0.2.77 --helo mail.ptr.example" "good.example --ip 192.0.2.25" \
            "cname.example --cname click=track.platform.example" "sub.good.example"; do
    # shellcheck disable=SC2086
    "$INKAN" check --zone "$Z/all.zone" --json $args >"$TMPDIR_TEST/z.json" 2>/dev/null
    # shellcheck disable=SC2086
    "$INKAN" check --dns "$DNS" --json $args >"$TMPDIR_TEST/d.json" 2>"$TMPDIR_TEST/err"
    findings "$TMPDIR_TEST/z.json" >"$TMPDIR_TEST/z.txt"
    findings "$TMPDIR_TEST/d.json" >"$TMPDIR_TEST/d.txt"
    if cmp -s "$TMPDIR_TEST/z.txt" "$TMPDIR_TEST/d.txt"; then _ok "--dns = --zone: $args"
    else _notok "--dns differs from --zone: $args"; diff "$TMPDIR_TEST/z.txt" "$TMPDIR_TEST/d.txt" | sed 's/^/#   /' | head -10; fi
done

# publish the fixes for nodmarc.example and twospf.example, reload, re-check
"$INKAN" check --dns "$DNS" --json nodmarc.example >"$TMPDIR_TEST/n.json"
"$INKAN" check --dns "$DNS" --json twospf.example >"$TMPDIR_TEST/t.json"
$PY "$INKAN_SRC/tests/cli/check_zones.py" apply "$TMPDIR_TEST/n.json" "$TMPDIR_TEST/example.zone" "$TMPDIR_TEST/e1.zone" example &&
$PY "$INKAN_SRC/tests/cli/check_zones.py" apply "$TMPDIR_TEST/t.json" "$TMPDIR_TEST/e1.zone" "$TMPDIR_TEST/example.zone" example
check "fixes applied to the served zone" test -s "$TMPDIR_TEST/example.zone"
check "knot reloads" knot_reload
"$INKAN" check --dns "$DNS" --json nodmarc.example >"$TMPDIR_TEST/n2.json"
"$INKAN" check --dns "$DNS" --json twospf.example >"$TMPDIR_TEST/t2.json"
check "dmarc-missing gone after publishing" $PY "$INKAN_SRC/tests/cli/check_zones.py" absent "$TMPDIR_TEST/n2.json" dmarc-missing
check "duplicate-records gone after publishing" $PY "$INKAN_SRC/tests/cli/check_zones.py" absent "$TMPDIR_TEST/t2.json" duplicate-records

# bulk over the async resolver
printf 'good.example\ntwospf.example\nnodmarc.example\nnomx.example\npassall.example\n' >"$TMPDIR_TEST/list"
"$INKAN" check --dns "$DNS" --file "$TMPDIR_TEST/list" --json --concurrency 3 >"$TMPDIR_TEST/b.jsonl" 2>"$TMPDIR_TEST/b.err"
check "bulk --dns: 5 reports" test "$(wc -l <"$TMPDIR_TEST/b.jsonl")" = 5
check "bulk --dns: no temporary errors" bash -c "! grep -q temperror '$TMPDIR_TEST/b.jsonl'"
knot_stop
finish
