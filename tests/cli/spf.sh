#!/bin/bash
# spf.sh - `inkan spf` end to end: every result word from zone files, the
# text and JSON output, the HELO identity, --batch, exit codes and error
# messages that name the offending argument or FILE:LINE.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

EX=$INKAN_SRC/examples/example.zone
T=$TMPDIR_TEST
spf() { "$INKAN" spf "$@"; }
# jqc FILTER FILE - the JSON in FILE satisfies FILTER
jqc() { jq -e "$@" >/dev/null; }

# A crafted zone with one domain per result word.
cat >"$T/results.zone" <<'Z'
$ORIGIN test.example.
$TTL 300
none        IN A    192.0.2.1
neutral     IN TXT  "v=spf1 ?all"
pass        IN TXT  "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
fail        IN TXT  "v=spf1 ip4:198.51.100.1 -all"
softfail    IN TXT  "v=spf1 ~all"
permerror   IN TXT  "v=spf1 ip4:192.0.2.1 frobnicate:example.com -all"
twice       IN TXT  "v=spf1 -all"
twice       IN TXT  "v=spf1 +all"
loop        IN TXT  "v=spf1 include:loop.test.example. -all"
voids       IN TXT  "v=spf1 a:no1.test.example a:no2.test.example a:no3.test.example -all"
exp         IN TXT  "v=spf1 -all exp=why.test.example"
why         IN TXT  "Mail from %{s} via %{i} is refused by %{d}"
noexp       IN TXT  "v=spf1 -all exp=nowhere.test.example"
mx          IN MX   10 mail.test.example.
mx          IN TXT  "v=spf1 mx -all"
mail        IN A    203.0.113.25
redir       IN TXT  "v=spf1 redirect=pass.test.example"
Z

# ---- every result word, first line exactly the word ----
for w in neutral pass fail softfail permerror; do
    expect_first_line "$w" spf --zone "$T/results.zone" --ip 192.0.2.7 \
        --mail-from "someone@$w.test.example" --helo client.example.org
    expect_exit 0 spf --zone "$T/results.zone" --ip 192.0.2.7 \
        --mail-from "someone@$w.test.example" --helo client.example.org
done
expect_first_line none spf --zone "$T/results.zone" --ip 192.0.2.7 \
    --mail-from someone@none.test.example --helo client.example.org
expect_first_line none spf --zone "$T/results.zone" --ip 192.0.2.7 \
    --mail-from someone@nosuchdomain.example --helo client.example.org
expect_first_line pass spf --zone "$T/results.zone" --ip 2001:db8::25 \
    --mail-from someone@pass.test.example --helo client.example.org
expect_first_line pass spf --zone "$T/results.zone" --ip ::ffff:192.0.2.9 \
    --mail-from someone@pass.test.example --helo client.example.org
expect_first_line fail spf --zone "$T/results.zone" --ip 2001:db9::25 \
    --mail-from someone@pass.test.example --helo client.example.org
expect_first_line pass spf --zone "$T/results.zone" --ip 203.0.113.25 \
    --mail-from someone@mx.test.example --helo client.example.org
expect_first_line pass spf --zone "$T/results.zone" --ip 192.0.2.200 \
    --mail-from someone@redir.test.example --helo client.example.org
expect_first_line permerror spf --zone "$T/results.zone" --ip 192.0.2.7 \
    --mail-from someone@twice.test.example --helo client.example.org
expect_first_line permerror spf --zone "$T/results.zone" --ip 192.0.2.7 \
    --mail-from someone@loop.test.example --helo client.example.org
expect_first_line permerror spf --zone "$T/results.zone" --ip 192.0.2.7 \
    --mail-from someone@voids.test.example --helo client.example.org

# temperror: a DNS server that does not answer (a closed port on loopback).
DEAD_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_first_line temperror timeout 60 "$INKAN" spf --dns "127.0.0.1:$DEAD_PORT" --timeout 1 \
    --ip 192.0.2.7 --mail-from someone@example.com --helo client.example.org
expect_exit 0 timeout 60 "$INKAN" spf --dns "127.0.0.1:$DEAD_PORT" --timeout 1 \
    --ip 192.0.2.7 --mail-from someone@example.com --helo client.example.org

# ---- the details after the first line ----
expect_out_contains "explanation: Mail from someone@exp.test.example via 192.0.2.7 is refused by exp.test.example" \
    spf --zone "$T/results.zone" --ip 192.0.2.7 --mail-from someone@exp.test.example --helo h.example.org
expect_out_contains "explanation: 192.0.2.7 is not one of noexp.test.example's designated mail servers" \
    spf --zone "$T/results.zone" --ip 192.0.2.7 --mail-from someone@noexp.test.example --helo h.example.org
expect_out_contains "decided by: -all in the record of fail.test.example" \
    spf --zone "$T/results.zone" --ip 192.0.2.7 --mail-from someone@fail.test.example --helo h.example.org
expect_out_contains "frobnicate" \
    spf --zone "$T/results.zone" --ip 192.0.2.7 --mail-from someone@permerror.test.example --helo h.example.org

# ---- the bundled example ----
expect_first_line pass spf --zone "$EX" --ip 198.51.100.7 --mail-from news@example.com --helo mta7.example.net
expect_out_contains "decided by: include:_spf.example.net in the record of example.com" \
    spf --zone "$EX" --ip 198.51.100.7 --mail-from news@example.com --helo mta7.example.net
expect_first_line pass spf --zone "$EX" --ip 203.0.113.9 --mail-from news@example.com --helo mta7.example.net
expect_first_line pass spf --zone "$EX" --ip 192.0.2.25 --mail-from alice@example.com --helo mx1.example.com
expect_first_line pass spf --zone "$EX" --ip 2001:db8:10:1::77 --mail-from alice@example.com --helo gw.example.com
expect_first_line fail spf --zone "$EX" --ip 203.0.113.200 --mail-from alice@example.com --helo unknown.example.org
expect_out_contains "explanation: 203.0.113.200 is not one of example.com's designated mail servers. See https://www.example.com/mail-policy" \
    spf --zone "$EX" --ip 203.0.113.200 --mail-from alice@example.com --helo unknown.example.org
expect_first_line none spf --zone "$EX" --ip 203.0.113.200 --mail-from bob@example.org --helo mail.example.org

# Empty --mail-from checks postmaster@HELO (RFC 7208 2.4); so does no --mail-from.
expect_first_line pass spf --zone "$EX" --ip 192.0.2.130 --mail-from '' --helo gw1.example.com
expect_out_contains "HELO identity postmaster@gw1.example.com" \
    spf --zone "$EX" --ip 192.0.2.130 --mail-from '' --helo gw1.example.com
expect_first_line fail spf --zone "$EX" --ip 192.0.2.131 --helo gw1.example.com
expect_first_line fail spf --zone "$EX" --ip 192.0.2.7 --mail-from '' --helo mta7.example.net

# ---- --json ----
J=$T/out.json
spf --zone "$EX" --json --ip 203.0.113.200 --mail-from alice@example.com --helo unknown.example.org >"$J"
check "json: valid, result fail" jqc '.result == "fail"' "$J"
check "json: explanation" jqc '.explanation | startswith("203.0.113.200 is not one of example.com")' "$J"
check "json: deciding term and its domain" jqc '.decided_by.term == "-all" and .decided_by.domain == "example.com"' "$J"
check "json: domain and sender" jqc '.domain == "example.com" and .sender == "alice@example.com" and .identity == "mailfrom"' "$J"
check "json: lookups counted (mx + include + include)" jqc '.dns_lookups == 3 and .dns_lookup_limit == 10' "$J"
check "json: void lookups" jqc '.void_lookups == 0 and .void_lookup_limit == 2' "$J"
check "json: tree root is example.com's record" jqc '.tree.domain == "example.com" and (.tree.record | startswith("v=spf1 mx"))' "$J"
check "json: tree has the include and the nested include" \
    jqc '.tree.children[0].domain == "_spf.example.net" and .tree.children[0].via == "include" and .tree.children[0].children[0].domain == "_spf-eu.example.net"' "$J"
check "json: queries listed" jqc '[.queries[] | select(.name == "example.com" and .type == "TXT")] | length == 1' "$J"
spf --zone "$T/results.zone" --json --ip 192.0.2.7 --mail-from someone@voids.test.example --helo h.example.org >"$J"
check "json: void lookups over the limit" jqc '.result == "permerror" and .void_lookups >= 2' "$J"
spf --zone "$EX" --json --ip 192.0.2.130 --mail-from '' --helo gw1.example.com >"$J"
check "json: HELO identity" jqc '.identity == "helo" and .sender == "postmaster@gw1.example.com" and .result == "pass"' "$J"

# ---- --batch ----
cat >"$T/batch.txt" <<'B'
# ip  mail-from  helo
198.51.100.7 news@example.com mta7.example.net
203.0.113.200 alice@example.com unknown.example.org

192.0.2.130 <> gw1.example.com
2001:db8:5100::1 news@example.com mta7.example.net
B
spf --zone "$EX" --batch "$T/batch.txt" >"$T/batch.out" 2>"$T/batch.err"
check "batch: exit 0" test $? = 0
printf '%s\n' "pass 198.51.100.7 news@example.com mta7.example.net" \
    "fail 203.0.113.200 alice@example.com unknown.example.org" \
    "pass 192.0.2.130 <> gw1.example.com" \
    "pass 2001:db8:5100::1 news@example.com mta7.example.net" >"$T/batch.want"
check "batch: one result per line, in input order" cmp -s "$T/batch.out" "$T/batch.want"
# Many in flight at once: 2000 evaluations with 500 in flight, same answers
# as with one at a time.
for i in $(seq 1 500); do cat "$T/batch.txt"; done | grep -v '^#' | grep . >"$T/big.txt"
spf --zone "$EX" --batch "$T/big.txt" --parallel 500 >"$T/big.500" 2>/dev/null
spf --zone "$EX" --batch "$T/big.txt" --parallel 1 >"$T/big.1" 2>/dev/null
check "batch: 2000 lines, 500 in flight, same results as one at a time" \
    bash -c "[ \$(wc -l <'$T/big.500') = 2000 ] && cmp -s '$T/big.500' '$T/big.1'"
spf --zone "$EX" --batch "$T/batch.txt" --json >"$T/batch.jsonl"
check "batch --json: one object per line with its line number" \
    bash -c "[ \$(jq -s 'length' '$T/batch.jsonl') = 4 ] && jq -se '.[1].line == 3 and .[1].result == \"fail\"' '$T/batch.jsonl' >/dev/null"
printf '198.51.100.7 news@example.com mta7.example.net\nnot-an-ip a@example.com h.example\n192.0.2.1 only-two-fields\n' >"$T/badbatch.txt"
expect_exit 1 spf --zone "$EX" --batch "$T/badbatch.txt"
expect_err_contains "$T/badbatch.txt:2: the first field is not an IPv4 or IPv6 address" spf --zone "$EX" --batch "$T/badbatch.txt"
expect_err_contains "$T/badbatch.txt:3: wants three fields" spf --zone "$EX" --batch "$T/badbatch.txt"
expect_first_line "pass 198.51.100.7 news@example.com mta7.example.net" spf --zone "$EX" --batch "$T/badbatch.txt"
expect_exit 1 spf --zone "$EX" --batch "$T/no-such-file"
expect_err_contains "--batch: $T/no-such-file" spf --zone "$EX" --batch "$T/no-such-file"

# ---- usage errors (2) name the argument ----
expect_exit 2 spf --zone "$EX" --ip 300.1.2.3 --mail-from a@example.com --helo h.example
expect_err_contains "--ip: '300.1.2.3' is not an IPv4 or IPv6 address" spf --zone "$EX" --ip 300.1.2.3 --mail-from a@example.com --helo h.example
expect_exit 2 spf --zone "$EX" --mail-from a@example.com --helo h.example
expect_err_contains "--ip is required" spf --zone "$EX" --mail-from a@example.com --helo h.example
expect_exit 2 spf --zone "$EX" --ip 192.0.2.1 --mail-from a@example.com
expect_err_contains "--helo is required" spf --zone "$EX" --ip 192.0.2.1 --mail-from a@example.com
expect_exit 2 spf --zone "$EX" --ip 192.0.2.1 --mail-from "$(printf 'a\tb@example.com')" --helo h.example
expect_err_contains "--mail-from:" spf --zone "$EX" --ip 192.0.2.1 --mail-from "$(printf 'a\tb@example.com')" --helo h.example
expect_exit 2 spf --zone "$EX" --dns 127.0.0.1 --ip 192.0.2.1 --helo h.example
expect_err_contains "--zone and --dns" spf --zone "$EX" --dns 127.0.0.1 --ip 192.0.2.1 --helo h.example
expect_exit 2 spf --zone "$EX" --ip 192.0.2.1 --helo h.example --frobnicate
expect_err_contains "--frobnicate" spf --zone "$EX" --ip 192.0.2.1 --helo h.example --frobnicate
expect_exit 2 spf --zone "$EX" --ip
expect_err_contains "--ip needs a value" spf --zone "$EX" --ip
expect_exit 2 spf --zone "$EX" --batch "$T/batch.txt" --parallel 0
expect_err_contains "--parallel: '0'" spf --zone "$EX" --batch "$T/batch.txt" --parallel 0
expect_exit 2 spf --zone "$EX" --batch "$T/batch.txt" --ip 192.0.2.1
expect_exit 2 spf --zone "$EX" --ip 192.0.2.1 --helo h.example --timeout -3
expect_err_contains "--timeout: '-3'" spf --zone "$EX" --ip 192.0.2.1 --helo h.example --timeout -3
expect_exit 2 spf --zone "$EX" --ip 192.0.2.1 --helo h.example stray

# ---- operational errors (1) name the file and line ----
expect_exit 1 spf --zone "$T/missing.zone" --ip 192.0.2.1 --helo h.example
expect_err_contains "$T/missing.zone" spf --zone "$T/missing.zone" --ip 192.0.2.1 --helo h.example
printf '$ORIGIN example.com.\n@ IN TXT "v=spf1 -all"\nbroken IN A 1.2.3\n' >"$T/broken.zone"
expect_exit 1 spf --zone "$T/broken.zone" --ip 192.0.2.1 --helo h.example
expect_err_contains "$T/broken.zone:3:" spf --zone "$T/broken.zone" --ip 192.0.2.1 --helo h.example

# ---- help: inkan --help, inkan spf --help and the man page agree ----
expect_out_contains "spf" "$INKAN" --help
expect_exit 0 spf --help
expect_out_contains "usage: inkan spf" spf --help
spf --help >"$T/help.txt"
for o in $(grep -oE -- '--[a-z][a-z-]+' "$T/help.txt" | sort -u); do
    check "man page documents spf option $o" grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$INKAN_SRC/man/inkan.1"
done
finish
