#!/bin/bash
# verify.sh - `inkan verify` through the real binary, DNS from a zone
# file: the verdict line, the Authentication-Results line, the checks,
# --json fields, the local policy's modes and exceptions, --batch JSON
# Lines, forged Authentication-Results, usage and operational errors.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/cli/verify_lib.sh"

T=$TMPDIR_TEST
if ! verify_setup "$T"; then
    _notok "set up the scenarios"
    finish
    exit 1
fi
Z=(--zone "$T/verify.zone" --now "$(( $(date +%s) + 60 ))" --authserv-id mx.example.net)

# --- usage ---
expect_exit 0 "$INKAN" verify --help
expect_exit 2 "$INKAN" verify --ip 300.1.1.1 "$T/plain.eml"
expect_exit 2 "$INKAN" verify --org-domain nope "$T/plain.eml"
expect_exit 2 "$INKAN" verify --now soon "$T/plain.eml"
expect_exit 2 "$INKAN" verify "$T/plain.eml" "$T/plain.eml"
expect_exit 1 "$INKAN" verify "${Z[@]}" "$T/no-such.eml"

# verdict scenario args... - the first line
verdict() {
    local want=$1 file=$2
    shift 2
    expect_first_line "$want" "$INKAN" verify "${Z[@]}" "$@" "$T/$file"
}
# line scenario: every scenario's verdict and DMARC result
while IFS='|' read -r name file args; do
    # shellcheck disable=SC2086
    "$INKAN" verify "${Z[@]}" --json $args "$T/$file" >"$T/$name.json" 2>"$T/err"
    check "$name: exit 0" test $? = 0
done <<<"$VERIFY_SCENARIOS"
jqv() { jq -r "$2" "$T/$1.json"; }
check "aligned: accept"            test "$(jqv aligned .verdict)" = accept
check "aligned: dmarc pass, both aligned" test "$(jqv aligned '[.dmarc.result, .dmarc.spf_aligned, .dmarc.dkim_aligned] | join(" ")')" = "pass true true"
check "aligned: trust high"        test "$(jqv aligned .trust)" = high
check "aligned: iprev pass"        test "$(jqv aligned '.iprev.result + " " + .iprev.name')" = "pass mail.example.org"
check "aligned: spf pass"          test "$(jqv aligned '.spf.result + " " + .spf.domain')" = "pass example.org"
check "aligned: dkim pass d= s= a=" test "$(jqv aligned '.dkim[0] | [.result, .d, .s, .a] | join(" ")')" = "pass example.org sel ed25519-sha256"
check "aligned: record tags"       test "$(jqv aligned '[.dmarc.p, .dmarc.sp, .dmarc.np, .dmarc.policy_domain, .dmarc.org_domain] | join(" ")')" = "reject quarantine reject example.org example.org"
check "spf-relaxed: SPF aligned (relaxed)" test "$(jqv spf-relaxed '[.dmarc.result, .dmarc.spf_aligned] | join(" ")')" = "pass true"
check "dkim-only: DKIM aligned, SPF not" test "$(jqv dkim-only '[.dmarc.result, .dmarc.spf_aligned, .dmarc.dkim_aligned] | join(" ")')" = "pass false true"
check "dkim-only: dynamic PTR is generic, not confirmed" test "$(jqv dkim-only '[.iprev.result, .iprev.generic] | join(" ")')" = "fail true"
check "spoofed: reject with 550" test "$(jqv spoofed '.verdict + " " + .smtp_reply[0:9]')" = "reject 550 5.7.1"
check "spoofed: disposition reject" test "$(jqv spoofed .dmarc.disposition)" = reject
check "third-party: DKIM pass unaligned: reject" test "$(jqv third-party '[.dkim[0].result, .dmarc.dkim_aligned, .verdict] | join(" ")')" = "pass false reject"
check "sp: quarantine"  test "$(jqv sp '[.verdict, .dmarc.policy_tag] | join(" ")')" = "quarantine sp"
check "np: reject by np" test "$(jqv np '[.verdict, .dmarc.policy_tag] | join(" ")')" = "reject np"
check "t=y: reject lowered to quarantine" test "$(jqv testing '[.verdict, .dmarc.t, .dmarc.disposition] | join(" ")')" = "quarantine true quarantine"
check "two From fields: permerror, accepted by default" test "$(jqv two-from '[.dmarc.result, .dmarc.from_status, .verdict] | join(" ")')" = "permerror multiple-from accept"
check "two From fields: an rfc5322 finding" test "$(jqv two-from '[.rfc5322[].code] | index("rfc5322-from-multiple") != null')" = true
check "null path: SPF of the HELO" test "$(jqv null-path '[.spf.from_helo, .spf.domain] | join(" ")')" = "true mail.example.org"
check "forwarded: DKIM broken, DMARC fails" test "$(jqv forwarded '[.dkim[] | select(.d == "example.org") | .result][0] + " " + .dmarc.result')" = "fail fail"
check "forwarded: ARC passes, sealed by forwarder.example, passed upstream" test "$(jqv forwarded '[.arc.result, .arc.sealer, .arc.upstream_pass] | map(tostring) | join(" ")')" = "pass forwarder.example true"
check "forwarded: rejected without an exception" test "$(jqv forwarded .verdict)" = reject
"$INKAN" verify "${Z[@]}" --org-domain psl --json --ip 192.0.2.1 --helo mail.example.org \
    --mail-from b@bounce.example.org "$T/plain.eml" >"$T/psl.json"
check "--org-domain psl: relaxed SPF alignment through the PSL" test "$(jq -r '[.dmarc.result, .dmarc.spf_aligned, .dmarc.org_domain] | map(tostring) | join(" ")' "$T/psl.json")" = "pass true example.org"
check "json has every documented key" test "$(jqv aligned '[has("verdict","smtp_reply","trust","authentication_results","spf","dkim","dmarc","iprev","helo","arc","rfc5322")] | all')" = true

# plain output: verdict, then the field, then the checks
verdict accept signed.eml --ip 192.0.2.1 --helo mail.example.org --mail-from alice@example.org
"$INKAN" verify "${Z[@]}" --ip 192.0.2.1 --helo mail.example.org --mail-from alice@example.org \
    "$T/signed.eml" >"$T/out" 2>&1
check "second line is the Authentication-Results field" \
    test "$(sed -n 2p "$T/out")" = "Authentication-Results: mx.example.net;"
check "field names spf, dkim, dmarc, iprev" \
    grep -q 'dmarc=pass header.from=example.org policy.dmarc=reject' "$T/out"
check "field: dkim header.d" grep -q 'dkim=pass header.d=example.org header.s=sel header.a=ed25519-sha256 header.b=' "$T/out"
check "field: iprev policy.iprev" grep -q 'iprev=pass policy.iprev=192.0.2.1' "$T/out"
check "field: spf smtp.mailfrom" grep -q 'spf=pass smtp.mailfrom=alice@example.org' "$T/out"
check "text: trust line" grep -q '^trust: high' "$T/out"
verdict reject plain.eml --ip 198.51.100.7 --helo mail.partner.example --mail-from x@partner.example
# stdin
check "message from stdin" test "$("$INKAN" verify "${Z[@]}" --ip 192.0.2.1 --helo mail.example.org --mail-from alice@example.org <"$T/signed.eml" | head -1)" = accept

# --- policy ---
pol() { printf '%s\n' "$1" >"$T/policy.yaml"; }
SP=(--ip 198.51.100.7 --helo mail.partner.example --mail-from x@partner.example)
pol 'mode: monitor'
verdict accept plain.eml "${SP[@]}" --policy "$T/policy.yaml"
"$INKAN" verify "${Z[@]}" "${SP[@]}" --policy "$T/policy.yaml" --json "$T/plain.eml" >"$T/p.json"
check "monitor: override local_policy named" test "$(jq -r .dmarc.override.type "$T/p.json")" = local_policy
pol $'mode: staged\nstaged: [example.org]'
verdict reject plain.eml "${SP[@]}" --policy "$T/policy.yaml"
pol $'mode: staged\nstaged: [other.example]'
verdict accept plain.eml "${SP[@]}" --policy "$T/policy.yaml"
pol $'mode: people-centric\npeople-centric: [ceo@example.net]'
verdict reject plain.eml "${SP[@]}" --policy "$T/policy.yaml" --rcpt ceo@example.net
verdict accept plain.eml "${SP[@]}" --policy "$T/policy.yaml" --rcpt bob@example.net
pol $'exceptions:\n  ip: [198.51.100.0/24]'
verdict accept plain.eml "${SP[@]}" --policy "$T/policy.yaml"
pol $'exceptions:\n  mail-from: ["*.partner.example", partner.example]'
verdict accept plain.eml "${SP[@]}" --policy "$T/policy.yaml"
pol $'exceptions:\n  author-domain: [example.org]'
verdict accept plain.eml "${SP[@]}" --policy "$T/policy.yaml"
pol $'exceptions:\n  arc-sealers: [forwarder.example]'
FW=(--ip 198.51.100.7 --helo mail.partner.example --mail-from list@partner.example)
verdict accept forwarded.eml "${FW[@]}" --policy "$T/policy.yaml"
"$INKAN" verify "${Z[@]}" "${FW[@]}" --policy "$T/policy.yaml" --json "$T/forwarded.eml" >"$T/p.json"
check "trusted sealer: override trusted_forwarder" test "$(jq -r .dmarc.override.type "$T/p.json")" = trusted_forwarder
check "trusted sealer: arc=pass arc.chain in the field" grep -q 'arc=pass arc.chain=forwarder.example' "$T/p.json"
pol $'exceptions:\n  arc-sealers: [other-list.example]'
verdict reject forwarded.eml "${FW[@]}" --policy "$T/policy.yaml"
pol $'authserv-id: mx.example.net\npermerror: reject'
verdict reject twofrom.eml --ip 192.0.2.1 --helo mail.example.org --mail-from alice@example.org --policy "$T/policy.yaml"
pol 'mode: sometimes'
expect_exit 1 "$INKAN" verify "${Z[@]}" --policy "$T/policy.yaml" "$T/plain.eml"
expect_err_contains "1:7" "$INKAN" verify "${Z[@]}" --policy "$T/policy.yaml" "$T/plain.eml"
expect_exit 0 "$INKAN" verify "${Z[@]}" --policy "$INKAN_SRC/examples/policy.yaml" "$T/plain.eml"

# --- forged Authentication-Results with our authserv-id ---
"$INKAN" verify "${Z[@]}" --json "$T/forged.eml" >"$T/f.json"
check "forged field counted" test "$(jq -r .forged_authentication_results "$T/f.json")" = 1
"$INKAN" verify --zone "$T/verify.zone" --authserv-id other.example --json "$T/forged.eml" >"$T/f.json"
check "another authserv-id is not ours" test "$(jq -r .forged_authentication_results "$T/f.json")" = 0

# --- constant memory: a 100 MB message in a 100 MB address space (the
# body streams through the DKIM and ARC verifiers, never held) ---
if ldd "$INKAN" 2>/dev/null | grep -q libasan; then
    echo "ok - # SKIP memory limit: sanitizer builds reserve address space"
else
    big() { cat "$T/signed.eml"; head -c 100000000 /dev/zero | tr '\0' 'x' | fold -w 998; }
    out=$( (ulimit -v 100000; big | "$INKAN" verify "${Z[@]}" --json --ip 192.0.2.1 \
        --helo mail.example.org --mail-from alice@example.org | jq -c '[.verdict, .dkim[0].result]') 2>"$T/err")
    check "100 MB message in a 100 MB address space: evaluated (${out:-nothing})" \
        test "$out" = '["accept","fail"]'
fi

# --- batch ---
{
    echo "# path ip helo mail-from rcpt..."
    echo "$T/signed.eml 192.0.2.1 mail.example.org alice@example.org bob@example.net"
    echo "$T/plain.eml 198.51.100.7 mail.partner.example x@partner.example"
    echo "$T/sub.eml 198.51.100.7 - x@partner.example"
    echo ""
} >"$T/batch"
"$INKAN" verify "${Z[@]}" --batch "$T/batch" >"$T/batch.out" 2>"$T/err"
check "batch: exit 0" test $? = 0
check "batch: three JSON lines" test "$(jq -s length "$T/batch.out")" = 3
check "batch: verdicts by file" test "$(jq -rs 'sort_by(.file) | map(.verdict) | join(" ")' "$T/batch.out")" = "reject accept quarantine"
echo "$T/missing.eml 192.0.2.1 x y" >>"$T/batch"
"$INKAN" verify "${Z[@]}" --batch "$T/batch" >"$T/batch.out" 2>"$T/err"
check "batch: an unreadable message is exit 1" test $? = 1
check "batch: ... and an error line" test "$(jq -rs 'map(select(.error)) | length' "$T/batch.out")" = 1
# --- an internationalized Author Domain is compared in its A-label form,
# an ASCII one as written (lower-cased) ---
printf 'From: Jo <jo@B\xc3\xbccher.Example>\r\nTo: x@example.net\r\nSubject: idn\r\n\r\nhi\r\n' >"$T/idn.eml"
"$INKAN" verify "${Z[@]}" --json "$T/idn.eml" >"$T/idn.json" 2>"$T/err"
check "IDN From: header_from is the A-label" test "$(jq -r .dmarc.header_from "$T/idn.json")" = xn--bcher-kva.example
printf 'From: Jo <jo@Plain.EXAMPLE>\r\nTo: x@example.net\r\nSubject: ascii\r\n\r\nhi\r\n' >"$T/ascii.eml"
"$INKAN" verify "${Z[@]}" --json "$T/ascii.eml" >"$T/ascii.json" 2>"$T/err"
check "ASCII From: header_from lower-cased" test "$(jq -r .dmarc.header_from "$T/ascii.json")" = plain.example
finish
