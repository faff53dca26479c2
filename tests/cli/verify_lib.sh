# verify_lib.sh - the scenarios of `inkan verify` shared by verify.sh
# (--zone) and verify-knot.sh (--dns against Knot, which must agree):
# verify_setup DIR writes DIR/verify.zone (absolute names, no SOA: Knot's
# helper adds one for the root zone), an Ed25519 key for example.org and
# the messages; VERIFY_SCENARIOS lists "name|message|inkan verify args".
# Documentation names and addresses only (RFC 2606, RFC 5737).

verify_setup() {
    local d=$1
    "$INKAN" dkim keygen --domain example.org --selector sel --type ed25519 --out "$d/keys" \
        >/dev/null || return 1
    {
        cat "$d/keys/sel.example.org.zone"
        sed 's/^sel\._domainkey\.example\.org\./sel._domainkey.partner.example./' \
            "$d/keys/sel.example.org.zone"
        sed 's/^sel\._domainkey\.example\.org\./sel._domainkey.forwarder.example./' \
            "$d/keys/sel.example.org.zone"
        cat <<'Z'
example.org. 300 IN A 192.0.2.1
example.org. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.org. 300 IN TXT "v=DMARC1; p=reject; sp=quarantine; np=reject"
bounce.example.org. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
mail.example.org. 300 IN A 192.0.2.1
sub.example.org. 300 IN A 192.0.2.1
1.2.0.192.in-addr.arpa. 300 IN PTR mail.example.org.
7.100.51.198.in-addr.arpa. 300 IN PTR 198-51-100-7.dynamic.isp.example.
partner.example. 300 IN A 198.51.100.7
partner.example. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"
t.example. 300 IN A 192.0.2.1
_dmarc.t.example. 300 IN TXT "v=DMARC1; p=reject; t=y"
Z
    } >"$d/verify.zone"
    local hdr='To: bob@example.net\nSubject: hello\nDate: Wed, 02 Dec 2026 10:00:00 +0000\n'
    printf "From: Alice <alice@example.org>\n${hdr}Message-ID: <1@example.org>\n\nHello Bob.\n" \
        >"$d/plain.eml"
    "$INKAN" dkim sign --domain example.org --selector sel --key "$d/keys/sel.example.org.private" \
        <"$d/plain.eml" >"$d/signed.eml" || return 1
    "$INKAN" dkim sign --domain partner.example --selector sel \
        --key "$d/keys/sel.example.org.private" <"$d/plain.eml" >"$d/third.eml" || return 1
    printf "From: a@sub.example.org\n${hdr}Message-ID: <2@example.org>\n\nx\n" >"$d/sub.eml"
    printf "From: a@nx.example.org\n${hdr}Message-ID: <3@example.org>\n\nx\n" >"$d/nx.eml"
    printf "From: a@t.example\n${hdr}Message-ID: <4@example.org>\n\nx\n" >"$d/t.eml"
    printf "From: a@example.org\nFrom: b@evil.example\n${hdr}Message-ID: <5@example.org>\n\nx\n" \
        >"$d/twofrom.eml"
    # a list at forwarder.example receives signed.eml from example.org's
    # server, records its results, adds a footer (DKIM breaks) and seals
    "$INKAN" verify --zone "$d/verify.zone" --authserv-id forwarder.example --ip 192.0.2.1 \
        --helo mail.example.org --mail-from alice@example.org "$d/signed.eml" |
        awk 'NR == 1 { next } /^smtp: / { exit } { print }' >"$d/fwd-ar.txt" || return 1
    { cat "$d/fwd-ar.txt" "$d/signed.eml"; printf -- '-- \nthe list footer\n'; } >"$d/fwd-in.eml"
    "$INKAN" arc seal --zone "$d/verify.zone" --key "$d/keys/sel.example.org.private" \
        --domain forwarder.example --selector sel --authserv-id forwarder.example \
        "$d/fwd-in.eml" >"$d/forwarded.eml" || return 1
    # a forged field claiming our authserv-id
    { printf 'Authentication-Results: mx.example.net; dmarc=pass header.from=example.org\n'
      cat "$d/plain.eml"; } >"$d/forged.eml"
}

# name|message|arguments (IP, HELO, MAIL FROM: the envelope)
VERIFY_SCENARIOS='aligned|signed.eml|--ip 192.0.2.1 --helo mail.example.org --mail-from alice@example.org
spf-relaxed|plain.eml|--ip 192.0.2.1 --helo mail.example.org --mail-from b@bounce.example.org
dkim-only|signed.eml|--ip 198.51.100.7 --helo mail.partner.example --mail-from x@partner.example
spoofed|plain.eml|--ip 198.51.100.7 --helo mail.partner.example --mail-from x@partner.example
third-party|third.eml|--ip 198.51.100.7 --helo mail.partner.example --mail-from x@partner.example
sp|sub.eml|--ip 198.51.100.7 --helo mail.partner.example --mail-from x@partner.example
np|nx.eml|--ip 198.51.100.7 --helo mail.partner.example --mail-from x@partner.example
testing|t.eml|--ip 198.51.100.7 --helo mail.partner.example --mail-from x@partner.example
two-from|twofrom.eml|--ip 192.0.2.1 --helo mail.example.org --mail-from alice@example.org
null-path|signed.eml|--ip 192.0.2.1 --helo mail.example.org --mail-from <>
forwarded|forwarded.eml|--ip 198.51.100.7 --helo mail.partner.example --mail-from list@partner.example'
