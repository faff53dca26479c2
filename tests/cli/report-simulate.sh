#!/bin/bash
# report-simulate.sh - 'inkan report simulate' over a real SQLite store
# and a zone file: the stored rows of tests/data/simulate (example.com,
# two reports, 63 messages) replayed under a proposed SPF record (its
# include comes from the zone) and a proposed DMARC record; concrete
# numbers in both directions, the period options, JSON fields, and usage
# errors.  Also that the example.org reports beside them do not count.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

T=$TMPDIR_TEST
D=$INKAN_SRC/tests/data/simulate
DB=$T/r.db
ZONE=$D/example.com.zone
PROPOSED='v=spf1 ip4:192.0.2.10 include:_spf.partner.test -all'
"$INKAN" report import --db "$DB" "$D/example.com-a.xml" "$D/example.com-b.xml" \
    "$INKAN_SRC/tests/data/reports/rfc7489-google.xml" >"$T/import" 2>&1
check "import: 3 reports" grep -q '^imported 3, duplicates 0, refused 0, failed 0$' "$T/import"

# --- --spf: the include adds 198.51.100.20, the narrower ip4 drops 192.0.2.77
"$INKAN" report simulate --db "$DB" --zone "$ZONE" --spf "$PROPOSED" example.com >"$T/spf.txt" 2>&1
check "simulate --spf exits 0" test $? = 0
check "text: the period and volume" grep -q '^example.com: 63 messages in 2 reports, 2025-12-01 .. 2025-12-02$' "$T/spf.txt"
check "text: SPF re-evaluated for 58, kept for 5 (another domain's SPF)" grep -q 'SPF re-evaluated for 58 messages (4 source/domain pairs), kept as reported for 5' "$T/spf.txt"
check "text: the source the include adds flips to pass" grep -Eq '^  198\.51\.100\.20 +8  example\.com +fail -> pass +fail -> pass +none +newly-passing$' "$T/spf.txt"
check "text: the source the record drops flips to fail" grep -Eq '^  192\.0\.2\.77 +6  example\.com +pass -> fail +pass -> fail +none +newly-failing$' "$T/spf.txt"
check "text: softfail -> fail (-all), DMARC unchanged" grep -Eq '^  203\.0\.113\.9 +4  example\.com +softfail -> fail +fail +none +spf$' "$T/spf.txt"
check "text: the platform's bounce domain is not re-evaluated" bash -c "! grep -q '2001:db8::25' '$T/spf.txt'"
check "text: totals both ways" grep -q 'newly passing DMARC: 8 messages from 1 source; newly failing: 6 messages from 1 source' "$T/spf.txt"
check "text: DMARC pass 46 -> 48 of 63" grep -q 'DMARC pass: 46 -> 48 of 63 messages' "$T/spf.txt"
check "text: p=none published: no disposition changes" grep -q 'dispositions: none 63 -> 63, quarantine 0 -> 0, reject 0 -> 0 (0 messages change)' "$T/spf.txt"

# without the zone's include the same record fails that source: the tree
# really comes from --zone
printf '$ORIGIN example.com.\n@ IN TXT "v=spf1 -all"\n' >"$T/empty.zone"
"$INKAN" report simulate --db "$DB" --zone "$T/empty.zone" --spf "$PROPOSED" --json example.com >"$T/noinc.json"
check "no include in the zone: 198.51.100.20 permerror, nothing newly passing" test "$(jq -r '"\(.newly_passing.messages) \(.changes[] | select(.ip == "198.51.100.20") | .spf.new)"' "$T/noinc.json")" = "0 permerror"

# --- --dmarc p=reject: the dispositions that change ---------------------------
"$INKAN" report simulate --db "$DB" --zone "$ZONE" --spf "$PROPOSED" --dmarc 'v=DMARC1; p=reject' --json example.com >"$T/both.json"
check "simulate --spf --dmarc --json exits 0" test $? = 0
j() { jq -r "$1" "$T/both.json"; }
check "json: domain, reports, rows, messages" test "$(j '"\(.domain) \(.reports) \(.rows) \(.messages)"')" = "example.com 2 6 63"
check "json: the proposals" test "$(j '"\(.proposed.spf)|\(.proposed.dmarc)"')" = "$PROPOSED|v=DMARC1; p=reject"
check "json: spf_evaluated 58, spf_kept 5, pairs 4, no temperror" test "$(j '"\(.spf_evaluated) \(.spf_kept) \(.pairs) \(.spf_temperror)"')" = "58 5 4 0"
check "json: dmarc_pass 46 -> 48" test "$(j '"\(.dmarc_pass.old) \(.dmarc_pass.new)"')" = "46 48"
check "json: newly passing 8/1, newly failing 6/1" test "$(j '"\(.newly_passing.messages)/\(.newly_passing.sources) \(.newly_failing.messages)/\(.newly_failing.sources)"')" = "8/1 6/1"
check "json: reject 0 -> 15 (6 + 5 + 4), none 63 -> 48" test "$(j '"\(.dispositions.old.reject) \(.dispositions.new.reject) \(.dispositions.old.none) \(.dispositions.new.none) \(.disposition_changed)"')" = "0 15 63 48 15"
check "json: the platform's source now rejected" test "$(j '.changes[] | select(.ip == "2001:db8::25") | "\(.messages) \(.spf_domain) \(.disposition.old)->\(.disposition.new) \(.direction)"')" = "5 bounce.esp.test none->reject disposition"
check "json: the dropped source rejected" test "$(j '.changes[] | select(.ip == "192.0.2.77") | "\(.dmarc.old)->\(.dmarc.new) \(.disposition.new) \(.direction)"')" = "pass->fail reject newly-failing"
check "json: largest change first" test "$(j '.changes[0].ip')" = "198.51.100.20"

# pct=50 and t=y, no SPF change (no DNS asked at all)
"$INKAN" report simulate --db "$DB" --dmarc 'v=DMARC1; p=reject; pct=50' --json example.com >"$T/pct.json"
check "pct=50: 9 rejected, 8 quarantined, 46 delivered" test "$(jq -r '"\(.dispositions.new.reject) \(.dispositions.new.quarantine) \(.dispositions.new.none) \(.pairs)"' "$T/pct.json")" = "9 8 46 0"
"$INKAN" report simulate --db "$DB" --dmarc 'v=DMARC1; p=reject; t=y' example.com >"$T/t.txt"
check "t=y: one level lower, 17 quarantined" grep -q 'dispositions: none 63 -> 46, quarantine 0 -> 17, reject 0 -> 0 (17 messages change)' "$T/t.txt"

# --- the period ---------------------------------------------------------------
"$INKAN" report simulate --db "$DB" --zone "$ZONE" --spf "$PROPOSED" --since 2025-12-02 --json example.com >"$T/since.json"
check "--since 2025-12-02: the second report only (16 messages, 192.0.2.77 newly failing)" test "$(jq -r '"\(.reports) \(.messages) \(.newly_failing.messages) \(.newly_passing.messages) \(.begin)"' "$T/since.json")" = "1 16 6 0 1764633600"
"$INKAN" report simulate --db "$DB" --zone "$ZONE" --spf "$PROPOSED" --until 2025-12-01 --json example.com >"$T/until.json"
check "--until 2025-12-01 (the whole day): the first report only" test "$(jq -r '"\(.reports) \(.messages) \(.newly_passing.messages) \(.end)"' "$T/until.json")" = "1 47 8 1764633600"
expect_out_contains "no report rows stored for example.com in the period" "$INKAN" report simulate --db "$DB" --dmarc 'v=DMARC1; p=reject' --since 2026-01-01 example.com
expect_out_contains "no report rows stored for nothing.example" "$INKAN" report simulate --db "$DB" --dmarc 'v=DMARC1; p=reject' nothing.example

# --- usage errors ---------------------------------------------------------------
expect_exit 2 "$INKAN" report simulate --db "$DB" example.com
expect_err_contains "give the change to simulate" "$INKAN" report simulate --db "$DB" example.com
expect_exit 2 "$INKAN" report simulate --db "$DB" --spf 'v=spf1 -all'
expect_err_contains "does not start with v=spf1" "$INKAN" report simulate --db "$DB" --spf 'spf1 -all' example.com
expect_err_contains "does not start with v=DMARC1" "$INKAN" report simulate --db "$DB" --dmarc 'p=reject' example.com
expect_err_contains "--since: 'yesterday' is not a date" "$INKAN" report simulate --db "$DB" --dmarc 'v=DMARC1; p=reject' --since yesterday example.com
expect_exit 2 "$INKAN" report simulate --db "$DB" --dmarc 'v=DMARC1; p=reject' --since 2025-12-03 --until 2025-12-01 example.com
expect_exit 1 "$INKAN" report simulate --db "$DB" --zone "$T/missing.zone" --spf "$PROPOSED" example.com

finish
