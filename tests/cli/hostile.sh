#!/bin/bash
# hostile.sh - hostile input through the real binary (issue 8): a sender
# profile that tries to inject zone-file records, deep YAML, file options
# without a size limit, database paths that are not files.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
T=$TMPDIR_TEST
: >"$T/empty.zone"

# --- a newline in a profile's name: or a CNAME's role: never becomes a record ---
printf 'profile: 1\nname: "evil\\nexample.com. 3600 IN MX 0 mx.attacker.example."\nspf: {include: spf.example.net}\n' >"$T/name.yaml"
printf 'profile: 1\nname: x\nspf: {include: spf.example.net}\ncnames:\n  - {role: "r\\nexample.com. 3600 IN TXT \\"v=spf1 +all\\"", name: u, cname: u.example.net}\n' >"$T/role.yaml"
for f in name role; do
    expect_exit 1 "$INKAN" provision example.com --profile "$T/$f.yaml" --zone "$T/empty.zone" --out "$T/out-$f"
    expect_err_contains "control character" "$INKAN" provision example.com --profile "$T/$f.yaml" --zone "$T/empty.zone" --out "$T/out-$f"
    check "$f: no zone file written" test ! -e "$T/out-$f/example.com.zone"
    check "$f: no injected record anywhere" sh -c "! grep -rqs -e 'IN MX 0 mx.attacker' -e 'spf1 +all' '$T/out-$f'"
done

# --- deep YAML is refused at once ---
python3 -c "print('profile: 1\nname: x\nspf:\n  include: ' + '['*100000)" >"$T/deep.yaml"
start=$(date +%s)
expect_err_contains "nested deeper than" "$INKAN" provision example.com --profile "$T/deep.yaml" --zone "$T/empty.zone" --out "$T/out-deep"
check "deep YAML refused within 2 s" test $(( $(date +%s) - start )) -le 2

finish
