#!/bin/bash
# arc.sh - `inkan arc` through the real binary: seal -> verify round
# trips over a zone file (RSA and Ed25519, two hops), a tampered body and
# a tampered seal failing with their reasons, a chain that had failed
# not being continued, a key lookup that fails temporarily (temperror,
# and seal refusing), --json, usage errors.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

T=$TMPDIR_TEST
mkdir -p "$T/k"

# --- usage ---
expect_exit 2 "$INKAN" arc
expect_exit 0 "$INKAN" arc --help
expect_exit 2 "$INKAN" arc frobnicate
expect_exit 0 "$INKAN" arc verify --help
expect_exit 0 "$INKAN" arc seal --help
expect_exit 2 "$INKAN" arc seal --domain example.org
expect_exit 2 "$INKAN" arc verify --bogus
expect_exit 1 "$INKAN" arc verify "$T/no-such-file"

"$INKAN" dkim keygen --domain example.org --selector s1 --out "$T/k" >/dev/null
"$INKAN" dkim keygen --domain forward.example --selector ed --type ed25519 --out "$T/k" >/dev/null
cat "$T/k/s1.example.org.zone" "$T/k/ed.forward.example.zone" >"$T/zone"
cat >"$T/m1" <<'MSG'
Authentication-Results: lists.example.org; spf=pass smtp.mailfrom=a@d1.example;
  dkim=pass header.d=d1.example
Authentication-Results: other.example; spf=fail
From: A <a@d1.example>
To: b@example.net
Subject: hi
Date: Thu, 14 Jan 2015 15:00:01 -0800
Message-ID: <1@d1.example>

Hello
MSG

expect_first_line none "$INKAN" arc verify --zone "$T/zone" "$T/m1"
expect_exit 2 "$INKAN" arc seal --zone "$T/zone" --key "$T/k/s1.example.org.private" \
    --domain 'bad..domain' --selector s1 --authserv-id lists.example.org "$T/m1"
expect_exit 2 "$INKAN" arc seal --zone "$T/zone" --key "$T/k/s1.example.org.private" \
    --domain example.org --selector s1 --authserv-id 'a;b' "$T/m1"
expect_exit 2 "$INKAN" arc seal --zone "$T/zone" --key "$T/k/s1.example.org.private" \
    --domain example.org --selector s1 --authserv-id x.example --headers from:arc-seal "$T/m1"

"$INKAN" arc seal --zone "$T/zone" --key "$T/k/s1.example.org.private" --domain example.org \
    --selector s1 --authserv-id lists.example.org --timestamp 1700000000 "$T/m1" >"$T/m2" 2>"$T/err"
check "hop 1 sealed" test -s "$T/m2"
check "hop 1: ARC-Seal on top, cv=none" sh -c "head -1 '$T/m2' | grep -q '^ARC-Seal: a=rsa-sha256;'"
check "hop 1: AAR carries our results only" \
    grep -q '^ARC-Authentication-Results: i=1; lists.example.org; spf=pass smtp.mailfrom=a@d1.example;' "$T/m2"
check "hop 1: other.example's results left out" sh -c "! grep -q 'spf=fail' '$T/m2' || grep -c 'spf=fail' '$T/m2' | grep -qx 1"
expect_first_line pass "$INKAN" arc verify --zone "$T/zone" "$T/m2"

"$INKAN" arc seal --zone "$T/zone" --key "$T/k/ed.forward.example.private" --domain forward.example \
    --selector ed --authserv-id fwd.example "$T/m2" >"$T/m3"
expect_first_line pass "$INKAN" arc verify --zone "$T/zone" "$T/m3"
expect_out_contains 'instances: 2  oldest-pass: 0' "$INKAN" arc verify --zone "$T/zone" "$T/m3"
expect_out_contains 'as=pass cv=pass d=forward.example s=ed' "$INKAN" arc verify --zone "$T/zone" "$T/m3"
expect_out_contains 'aar: fwd.example; arc=pass' "$INKAN" arc verify --zone "$T/zone" "$T/m3"
"$INKAN" arc verify --zone "$T/zone" --json "$T/m3" >"$T/json"
check "--json: cv pass, two sets, AAR text" python3 -c "
import json,sys
j=json.load(open('$T/json'))
assert j['cv']=='pass' and j['instances']==2 and len(j['sets'])==2, j
assert j['sets'][1]['as']['a']=='ed25519-sha256' and j['sets'][1]['ams']['result']=='pass', j
assert j['sets'][0]['aar'].strip().startswith('lists.example.org;'), j
"

# CRLF input: sealed with CRLF line ends and verifies
sed 's/$/\r/' "$T/m1" >"$T/m1crlf"
"$INKAN" arc seal --zone "$T/zone" --key "$T/k/s1.example.org.private" --domain example.org \
    --selector s1 --authserv-id lists.example.org "$T/m1crlf" >"$T/m2crlf"
first_ends_crlf() { head -1 "$1" | grep -q $'\r$'; }
check "CRLF message: the new fields end in CRLF" first_ends_crlf "$T/m2crlf"
expect_first_line pass "$INKAN" arc verify --zone "$T/zone" "$T/m2crlf"

# tampering
sed 's/^Hello$/Hullo/' "$T/m3" >"$T/m3body"
expect_first_line fail "$INKAN" arc verify --zone "$T/zone" "$T/m3body"
expect_out_contains 'ARC-Message-Signature i=2: fail: the body hash does not match' \
    "$INKAN" arc verify --zone "$T/zone" "$T/m3body"
sed 's/^ARC-Authentication-Results: i=1; lists.example.org; spf=pass/ARC-Authentication-Results: i=1; lists.example.org; spf=none/' \
    "$T/m3" >"$T/m3aar"
expect_first_line fail "$INKAN" arc verify --zone "$T/zone" "$T/m3aar"
expect_out_contains 'ARC-Seal i=2: fail' "$INKAN" arc verify --zone "$T/zone" "$T/m3aar"
# a set removed: the structure fails
grep -v '^ARC-Authentication-Results: i=1' "$T/m3" | sed '/^\tdkim=pass header.d=d1.example$/d' >"$T/m3gone"
expect_first_line fail "$INKAN" arc verify --zone "$T/zone" "$T/m3gone"
expect_out_contains 'ARC set 1 has no ARC-Authentication-Results' "$INKAN" arc verify --zone "$T/zone" "$T/m3gone"

# sealing a broken chain: cv=fail, and the next hop adds nothing
"$INKAN" arc seal --zone "$T/zone" --key "$T/k/s1.example.org.private" --domain example.org \
    --selector s1 --authserv-id lists.example.org "$T/m3body" >"$T/m4"
check "a failed chain is sealed with cv=fail" sh -c "head -8 '$T/m4' | grep -q 'cv=fail'"
"$INKAN" arc seal --zone "$T/zone" --key "$T/k/s1.example.org.private" --domain example.org \
    --selector s1 --authserv-id lists.example.org "$T/m4" >"$T/m5" 2>"$T/err"
check "a chain whose newest seal says cv=fail is not continued" cmp -s "$T/m4" "$T/m5"
check "... and stderr says so" grep -q 'not continued' "$T/err"

# no key: the zone does not have the forwarder's key -> permerror, fail
grep -v '^ed._domainkey' "$T/zone" >"$T/zone-nokey"
expect_first_line fail "$INKAN" arc verify --zone "$T/zone-nokey" "$T/m3"
expect_out_contains 'no key record at ed._domainkey.forward.example' \
    "$INKAN" arc verify --zone "$T/zone-nokey" "$T/m3"

# a DNS server that does not answer: temperror, and seal refuses (exit 1)
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect_first_line temperror "$INKAN" arc verify --dns "127.0.0.1:$port" --timeout 1 "$T/m3"
expect_exit 1 "$INKAN" arc seal --dns "127.0.0.1:$port" --timeout 1 --key "$T/k/s1.example.org.private" \
    --domain example.org --selector s1 --authserv-id lists.example.org "$T/m3"

finish
