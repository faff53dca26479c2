#!/bin/bash
# spf_lint.sh - `inkan spf lint` end to end over tests/cli/spf_lint.zone:
# each broken record gets its finding, fixes re-lint clean, JSON is well
# formed, exit statuses are 0 / 1 / 2 / 3 as documented.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

Z="$INKAN_SRC/tests/cli/spf_lint.zone"
PY=/usr/bin/python3
lint() { "$INKAN" spf lint --zone "$Z" "$@"; }

# exit 0 whatever is found
expect_exit 0 lint clean.lint.test
expect_exit 0 lint syntax.lint.test
expect_exit 0 lint nowhere.lint.test
expect_first_line "clean.lint.test: v=spf1 mx ip4:192.0.2.0/24 include:_spf.provider.test. -all" lint clean.lint.test
expect_out_contains "0 errors, 0 warnings, 1 info" lint clean.lint.test
expect_out_contains "lookups: 2 of 10; void lookups: 0 of 2" lint clean.lint.test

# each broken name and its finding code
while read -r name code; do
    expect_out_contains "$code:" lint "$name.lint.test"
done <<'LIST'
dup duplicate-records
dup spf-rr-type
syntax bad-ip-literal
syntax unknown-mechanism
syntax bad-cidr
syntax invalid-macro
open pass-all
open ptr-deprecated
open network-host-bits
open redirect-ignored
missing include-not-found
missing include-without-spf
loop1 include-loop
voids void-lookup
voids too-many-void-lookups
over too-many-lookups
over flatten-proposal
split string-split-in-term
long record-too-long
long answer-over-512
nospf no-spf-record
nowhere domain-not-found
LIST

# columns: ip4:192.0.2.300's address starts at column 12
expect_out_contains "at column 12 of syntax.lint.test's record" lint syntax.lint.test
expect_out_contains "did you mean 'ip4:10.1.0.0/16'?" lint syntax.lint.test
# where the lookups come from
expect_out_contains "include:big.lint.test 6, include:heavy.lint.test 4" lint over.lint.test

# the record to publish re-lints without errors
for name in open missing voids over split dup; do
    fix=$(lint "$name.lint.test" | sed -n 's/^publish: //p')
    if [ -z "$fix" ]; then _notok "$name: no publish line"; continue; fi
    lint --record "$fix" --domain "$name.lint.test" >"$TMPDIR_TEST/relint" 2>&1
    check "$name: the published fix re-lints with 0 errors: $fix" grep -q '^0 errors,' "$TMPDIR_TEST/relint"
done

# JSON: structure and counts
lint --json over.lint.test >"$TMPDIR_TEST/over.json" 2>&1
check "json: over.lint.test well formed, 12 lookups, tree and findings" $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["domain"] == "over.lint.test", d["domain"]
assert d["lookups"] == 12 and d["lookup_limit"] == 10
codes = [f["code"] for f in d["findings"]]
assert "too-many-lookups" in codes and "flatten-proposal" in codes, codes
for f in d["findings"]:
    assert f["severity"] in ("error", "warning", "info")
    assert set(f) >= {"severity", "code", "message", "offset", "fix"}
t = d["tree"]
assert t["lookups_total"] == 12 and len(t["children"]) == 2, t
assert t["children"][0]["domain"] == "big.lint.test" and t["children"][0]["lookups_total"] == 5
assert "include:big.lint.test" not in d["fixed_record"]
' "$TMPDIR_TEST/over.json"
lint --json syntax.lint.test >"$TMPDIR_TEST/syn.json" 2>&1
check "json: syntax.lint.test offsets and columns" $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = [f for f in d["findings"] if f["code"] == "bad-ip-literal"][0]
assert f["offset"] == 11 and f["column"] == 12, f
' "$TMPDIR_TEST/syn.json"

# --record: a record over 255 bytes is shown split for the zone file
long="v=spf1"
for i in $(seq 1 30); do long="$long ip4:198.51.100.$i"; done
long="$long -all"
expect_out_contains "string-too-long:" lint --record "$long" --domain long.lint.test
expect_out_contains 'long.lint.test. IN TXT "v=spf1 ip4:198.51.100.1 ' lint --record "$long" --domain long.lint.test
# hostile bytes in --record: a finding, no crash
expect_exit 0 lint --record $'v=spf1 \x01\x7f\xff include:%{ -all'
expect_out_contains "syntax-error:" lint --record $'v=spf1 \x01\x7f\xff include:%{ -all'

# --fail-on
expect_exit 3 lint --fail-on error open.lint.test
expect_exit 0 lint --fail-on error clean.lint.test
expect_exit 3 lint --fail-on info clean.lint.test

# usage errors: 2
expect_exit 2 "$INKAN" spf lint
expect_exit 2 "$INKAN" spf lint a.example b.example
expect_exit 2 "$INKAN" spf lint --record "v=spf1 -all" a.example
expect_exit 2 "$INKAN" spf lint --domain a.example
expect_exit 2 "$INKAN" spf lint --fail-on sometimes a.example
expect_exit 2 "$INKAN" spf lint --bogus a.example
expect_exit 2 "$INKAN" spf lint 'bad..name'
expect_exit 0 "$INKAN" spf lint --help
expect_out_contains "inkan spf lint DOMAIN" "$INKAN" spf lint --help

# operational errors: 1, naming the file
expect_exit 1 "$INKAN" spf lint --zone "$TMPDIR_TEST/none.zone" clean.lint.test
expect_err_contains "none.zone" "$INKAN" spf lint --zone "$TMPDIR_TEST/none.zone" clean.lint.test
printf 'x IN TXT "unterminated\n' >"$TMPDIR_TEST/broken.zone"
expect_exit 1 "$INKAN" spf lint --zone "$TMPDIR_TEST/broken.zone" x
expect_err_contains "broken.zone:1" "$INKAN" spf lint --zone "$TMPDIR_TEST/broken.zone" x

finish
