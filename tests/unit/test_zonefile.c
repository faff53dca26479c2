/*
 * test_zonefile.c - the RFC 1035 master-file parser: every syntax feature
 * (directives, relative names, '@', omitted owner, TTL/class order,
 * parentheses, comments, quoting, escapes, multi-string TXT), every error
 * with its exact "FILE:LINE: ..." text, truncated input, size limits; and
 * the zone-file resolver backend reading a real file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "inkan/dnsio.h"
#include "inkan/memzone.h"
#include "inkan/zonefile.h"

/* parse_text - parse a NUL-terminated zone text (the NUL is not passed) */
static long parse_text(const char *text, const char *origin, struct ink_memzone *z,
                       struct ink_str *err)
{
    return ink_zonefile_parse((const uint8_t *)text, strlen(text), "t.zone", origin, z, err);
}

/* expect_error - text fails to parse with exactly the message want */
static void expect_error(const char *text, const char *origin, const char *want)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_str err = INK_STR_INIT;
    long n = parse_text(text, origin, z, &err);

    if (n != -1 || strcmp(ink_str_cstr(&err), want) != 0)
        fail_msg("zone:\n%s\nwanted error: %s\ngot (%ld): %s", text, want, n,
                 ink_str_cstr(&err));
    ink_str_free(&err);
    ink_memzone_free(z);
}

/* load - parse text, which must succeed with nrec records */
static struct ink_memzone *load(const char *text, const char *origin, long nrec)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_str err = INK_STR_INIT;
    long n = parse_text(text, origin, z, &err);

    if (n != nrec)
        fail_msg("wanted %ld records, got %ld: %s", nrec, n, ink_str_cstr(&err));
    ink_str_free(&err);
    return z;
}

/* answer - look up (name, type), expecting status and nrr records */
static struct ink_dns_answer *answer(struct ink_memzone *z, const char *name, uint16_t type,
                                     enum ink_dns_status st, size_t nrr)
{
    struct ink_dns_answer *a = ink_memzone_lookup(z, name, type);

    assert_non_null(a);
    if (a->status != st || a->nrr != nrr)
        fail_msg("%s/%s: wanted %s with %zu records, got %s with %zu", name,
                 ink_dns_type_name(type), ink_dns_status_name(st), nrr,
                 ink_dns_status_name(a->status), a->nrr);
    return a;
}

static const char basic_zone[] =
    "; a zone using most of the syntax\n"
    "$ORIGIN Example.COM.\n"
    "$TTL 1h\n"
    "@   IN  SOA ns1 hostmaster (\n"
    "        2024010101 ; serial\n"
    "        7200       ; refresh\n"
    "        1H 2w 300 )\n"
    "    IN  NS  ns1\n"
    "        NS  ns2.example.net.\n"
    "    600 IN MX 10 mail\n"
    "    IN 700 MX 20 mail2.example.net.\n"
    "    TXT \"v=spf1 include:_spf.example.net -all\"\n"
    "ns1 A 192.0.2.53\n"
    "mail    300 A 192.0.2.25\n"
    "        AAAA 2001:db8::25\n"
    "www CNAME mail\n"
    "25.2.0.192.in-addr.arpa. PTR mail.example.com.\n"
    "multi TXT \"one\" two ( \"three\"\n"
    "     \"four\" )   ; strings over lines\n"
    "old SPF \"v=spf1 -all\"\n"
    "\n"
    "   ; blank line with a comment only\n"
    "$ORIGIN sub\n"
    "deep  A 192.0.2.77\n"
    "*.wild.example.com. 60 IN A 192.0.2.99\n";

static void test_basic_syntax(void **state)
{
    struct ink_memzone *z = load(basic_zone, NULL, 15);
    struct ink_dns_answer *a;

    (void)state;
    a = answer(z, "example.com", INK_DNS_SOA, INK_DNS_OK, 1);
    assert_string_equal(a->rr[0].name, "ns1.example.com");
    assert_int_equal(a->rr[0].ttl, 3600);
    ink_dns_answer_free(a);

    a = answer(z, "example.com", INK_DNS_NS, INK_DNS_OK, 2);
    ink_dns_answer_free(a);

    a = answer(z, "example.com", INK_DNS_MX, INK_DNS_OK, 2);
    assert_int_equal(a->rr[0].pref, 10);
    assert_string_equal(a->rr[0].name, "mail.example.com");
    assert_int_equal(a->rr[0].ttl, 600);
    assert_int_equal(a->rr[1].pref, 20);
    assert_string_equal(a->rr[1].name, "mail2.example.net");
    assert_int_equal(a->rr[1].ttl, 700);
    ink_dns_answer_free(a);

    /* omitted TTL after $TTL uses $TTL, not the last explicit one */
    a = answer(z, "example.com", INK_DNS_TXT, INK_DNS_OK, 1);
    assert_int_equal(a->rr[0].ttl, 3600);
    assert_int_equal(a->rr[0].ntxt, 1);
    assert_memory_equal(a->rr[0].txt[0], "v=spf1 include:_spf.example.net -all", 36);
    ink_dns_answer_free(a);

    a = answer(z, "ns1.example.com", INK_DNS_A, INK_DNS_OK, 1);
    assert_memory_equal(a->rr[0].addr, "\xc0\x00\x02\x35", 4);
    ink_dns_answer_free(a);

    /* omitted owner repeats "mail" */
    a = answer(z, "mail.example.com", INK_DNS_AAAA, INK_DNS_OK, 1);
    assert_memory_equal(a->rr[0].addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x25", 16);
    ink_dns_answer_free(a);

    /* CNAME chain answered as a server would */
    a = answer(z, "WWW.example.com.", INK_DNS_A, INK_DNS_OK, 2);
    assert_int_equal(a->rr[0].type, INK_DNS_CNAME);
    assert_string_equal(a->rr[0].name, "mail.example.com");
    assert_int_equal(a->rr[1].type, INK_DNS_A);
    ink_dns_answer_free(a);

    a = answer(z, "25.2.0.192.in-addr.arpa", INK_DNS_PTR, INK_DNS_OK, 1);
    assert_string_equal(a->rr[0].name, "mail.example.com");
    ink_dns_answer_free(a);

    a = answer(z, "multi.example.com", INK_DNS_TXT, INK_DNS_OK, 1);
    assert_int_equal(a->rr[0].ntxt, 4);
    assert_int_equal(a->rr[0].txtlen[1], 3);
    assert_memory_equal(a->rr[0].txt[1], "two", 3);
    assert_memory_equal(a->rr[0].txt[3], "four", 4);
    ink_dns_answer_free(a);

    a = answer(z, "old.example.com", INK_DNS_SPF, INK_DNS_OK, 1);
    ink_dns_answer_free(a);

    /* $ORIGIN relative to the previous origin */
    a = answer(z, "deep.sub.example.com", INK_DNS_A, INK_DNS_OK, 1);
    ink_dns_answer_free(a);

    a = answer(z, "x.wild.example.com", INK_DNS_A, INK_DNS_OK, 1);
    ink_dns_answer_free(a);

    a = answer(z, "mail.example.com", INK_DNS_TXT, INK_DNS_NODATA, 0);
    ink_dns_answer_free(a);
    a = answer(z, "nope.example.com", INK_DNS_TXT, INK_DNS_NXDOMAIN, 0);
    ink_dns_answer_free(a);
    ink_memzone_free(z);
}

static void test_ttl_rules(void **state)
{
    struct ink_memzone *z;
    struct ink_dns_answer *a;

    (void)state;
    /* no $TTL: the last explicit TTL carries on (RFC 1035); before any,
     * the default */
    z = load("a.example. A 192.0.2.1\n"
             "b.example. 120 A 192.0.2.2\n"
             "c.example. A 192.0.2.3\n"
             "d.example. IN 1d2h3m4s A 192.0.2.4\n"
             "e.example. 1W IN A 192.0.2.5\n"
             "f.example. 2147483647 A 192.0.2.6\n",
             NULL, 6);
    a = answer(z, "a.example", INK_DNS_A, INK_DNS_OK, 1);
    assert_int_equal(a->rr[0].ttl, INK_ZONEFILE_TTL_DEFAULT);
    ink_dns_answer_free(a);
    a = answer(z, "c.example", INK_DNS_A, INK_DNS_OK, 1);
    assert_int_equal(a->rr[0].ttl, 120);
    ink_dns_answer_free(a);
    a = answer(z, "d.example", INK_DNS_A, INK_DNS_OK, 1);
    assert_int_equal(a->rr[0].ttl, 86400 + 7200 + 180 + 4);
    ink_dns_answer_free(a);
    a = answer(z, "e.example", INK_DNS_A, INK_DNS_OK, 1);
    assert_int_equal(a->rr[0].ttl, 604800);
    ink_dns_answer_free(a);
    a = answer(z, "f.example", INK_DNS_A, INK_DNS_OK, 1);
    assert_int_equal(a->rr[0].ttl, 2147483647u);
    ink_dns_answer_free(a);
    ink_memzone_free(z);
}

static void test_origin_argument(void **state)
{
    struct ink_memzone *z;
    struct ink_dns_answer *a;

    (void)state;
    /* with or without the trailing dot the given origin is absolute */
    z = load("@ A 192.0.2.1\nwww A 192.0.2.2\n", "example.org", 2);
    a = answer(z, "example.org", INK_DNS_A, INK_DNS_OK, 1);
    ink_dns_answer_free(a);
    a = answer(z, "www.example.org", INK_DNS_A, INK_DNS_OK, 1);
    ink_dns_answer_free(a);
    ink_memzone_free(z);

    z = load("www A 192.0.2.2\n$ORIGIN other.test.\nwww A 192.0.2.3\n", "example.org.", 2);
    a = answer(z, "www.other.test", INK_DNS_A, INK_DNS_OK, 1);
    ink_dns_answer_free(a);
    ink_memzone_free(z);

    expect_error("a A 192.0.2.1\n", "bad..origin", "t.zone: origin 'bad..origin' is not a valid domain name");
    expect_error("a A 192.0.2.1\n", "", "t.zone: origin '' is not a valid domain name");
}

static void test_escapes(void **state)
{
    struct ink_memzone *z;
    struct ink_dns_answer *a;

    (void)state;
    z = load("$ORIGIN example.\n"
             "a\\065b A 192.0.2.1\n"               /* \DDD in a name: "aab" */
             "x\\-y A 192.0.2.2\n"                 /* \X in a name */
             "s\\ p A 192.0.2.3\n"                 /* escaped space stays in the label */
             "t TXT \"q\\\"uote\" \"back\\\\slash\" \"\\255\\000\\010\" semi\\;colon\n"
             "u TXT \"(paren;not-comment)\" \"\"\n",
             NULL, 5);
    a = answer(z, "aab.example", INK_DNS_A, INK_DNS_OK, 1);
    ink_dns_answer_free(a);
    a = answer(z, "x-y.example", INK_DNS_A, INK_DNS_OK, 1);
    ink_dns_answer_free(a);
    a = answer(z, "s p.example", INK_DNS_A, INK_DNS_OK, 1);
    ink_dns_answer_free(a);
    a = answer(z, "t.example", INK_DNS_TXT, INK_DNS_OK, 1);
    assert_int_equal(a->rr[0].ntxt, 4);
    assert_int_equal(a->rr[0].txtlen[0], 6);
    assert_memory_equal(a->rr[0].txt[0], "q\"uote", 6);
    assert_memory_equal(a->rr[0].txt[1], "back\\slash", 10);
    assert_int_equal(a->rr[0].txtlen[2], 3);
    assert_memory_equal(a->rr[0].txt[2], "\xff\x00\x0a", 3);
    assert_memory_equal(a->rr[0].txt[3], "semi;colon", 10);
    ink_dns_answer_free(a);
    a = answer(z, "u.example", INK_DNS_TXT, INK_DNS_OK, 1);
    assert_int_equal(a->rr[0].ntxt, 2);
    assert_memory_equal(a->rr[0].txt[0], "(paren;not-comment)", 19);
    assert_int_equal(a->rr[0].txtlen[1], 0);
    ink_dns_answer_free(a);
    ink_memzone_free(z);

    expect_error("a\\256.example. A 192.0.2.1\n", NULL,
                 "t.zone:1: owner name 'a\\256.example.' has a bad '\\' escape (\\DDD is 000 to 255)");
    expect_error("a\\12.example. A 192.0.2.1\n", NULL,
                 "t.zone:1: owner name 'a\\12.example.' has a bad '\\' escape (\\DDD is 000 to 255)");
    expect_error("a\\046b.example. A 192.0.2.1\n", NULL,
                 "t.zone:1: owner name 'a\\046b.example.' has an escaped dot inside a label, "
                 "which inkan cannot represent");
    expect_error("a\\000b.example. A 192.0.2.1\n", NULL,
                 "t.zone:1: owner name 'a\\000b.example.' has a NUL byte");
    expect_error("a.example. TXT \"x\\300\"\n", NULL,
                 "t.zone:1: string 'x\\300' has a bad '\\' escape (\\DDD is 000 to 255)");
}

/* repeat - a heap string of n copies of c */
static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);

    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void test_txt_limits(void **state)
{
    struct ink_str zone = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_memzone *z;
    struct ink_dns_answer *a;
    char *s255 = repeat('x', 255), *s254 = repeat('y', 254);
    size_t i, total = 0;

    (void)state;
    ink_str_printf(&zone, "t.example. TXT \"%s\"\n", s255);
    z = load(ink_str_cstr(&zone), NULL, 1);
    a = answer(z, "t.example", INK_DNS_TXT, INK_DNS_OK, 1);
    assert_int_equal(a->rr[0].txtlen[0], 255);
    ink_dns_answer_free(a);
    ink_memzone_free(z);

    /* 255 bytes written with \DDD escapes count as 255 */
    ink_str_truncate(&zone, 0);
    ink_str_puts(&zone, "t.example. TXT \"");
    for (i = 0; i < 255; i++)
        ink_str_puts(&zone, "\\120");
    ink_str_puts(&zone, "\"\n");
    z = load(ink_str_cstr(&zone), NULL, 1);
    ink_memzone_free(z);

    ink_str_truncate(&zone, 0);
    ink_str_printf(&zone, "t.example. TXT \"%sx\"\n", s255);
    z = ink_memzone_new();
    assert_int_equal(parse_text(ink_str_cstr(&zone), NULL, z, &err), -1);
    assert_non_null(strstr(ink_str_cstr(&err),
                           "t.zone:1: string of 256 bytes is over 255: 'xxxx"));
    assert_non_null(strstr(ink_str_cstr(&err), "(split it into several quoted strings)"));
    ink_memzone_free(z);

    /* a 64 KiB record of 257 strings: 257 * (1 + 254) = 65535 wire bytes */
    ink_str_truncate(&zone, 0);
    ink_str_puts(&zone, "big.example. TXT (\n");
    for (i = 0; i < 257; i++)
        ink_str_printf(&zone, "  \"%s\"\n", s254);
    ink_str_puts(&zone, ")\n");
    z = load(ink_str_cstr(&zone), NULL, 1);
    a = answer(z, "big.example", INK_DNS_TXT, INK_DNS_OK, 1);
    assert_int_equal(a->rr[0].ntxt, 257);
    for (i = 0; i < 257; i++)
        total += a->rr[0].txtlen[i];
    assert_int_equal(total, 257 * 254);
    ink_dns_answer_free(a);
    ink_memzone_free(z);

    /* one byte more does not fit RDLENGTH */
    ink_str_truncate(&zone, 0);
    ink_str_puts(&zone, "big.example. TXT (\n");
    for (i = 0; i < 257; i++)
        ink_str_printf(&zone, "  \"%s\"\n", s254);
    ink_str_puts(&zone, "  \"z\" )\n");
    ink_str_truncate(&err, 0);
    z = ink_memzone_new();
    assert_int_equal(parse_text(ink_str_cstr(&zone), NULL, z, &err), -1);
    assert_string_equal(ink_str_cstr(&err), "t.zone:259: record data over 65535 bytes");
    ink_memzone_free(z);

    free(s255);
    free(s254);
    ink_str_free(&zone);
    ink_str_free(&err);
}

static void test_name_limits(void **state)
{
    struct ink_str zone = INK_STR_INIT, want = INK_STR_INIT;
    struct ink_memzone *z;
    char *l63 = repeat('a', 63), *l64 = repeat('b', 64);
    char name253[254];
    size_t i;

    (void)state;
    ink_str_printf(&zone, "%s.example. A 192.0.2.1\n", l63);
    z = load(ink_str_cstr(&zone), NULL, 1);
    ink_memzone_free(z);

    ink_str_truncate(&zone, 0);
    ink_str_printf(&zone, "%s.example. A 192.0.2.1\n", l64);
    ink_str_printf(&want, "t.zone:1: owner name '%.64s...' has a label over 63 bytes", ink_str_cstr(&zone));
    expect_error(ink_str_cstr(&zone), NULL, ink_str_cstr(&want));

    /* 253 = 63 + 1 + 63 + 1 + 63 + 1 + 61 */
    memset(name253, 'c', 253);
    name253[253] = '\0';
    for (i = 63; i < 253; i += 64)
        name253[i] = '.';
    ink_str_truncate(&zone, 0);
    ink_str_printf(&zone, "%s. A 192.0.2.1\n", name253);
    z = load(ink_str_cstr(&zone), NULL, 1);
    assert_int_equal(ink_memzone_count(z), 1);
    ink_memzone_free(z);

    ink_str_truncate(&zone, 0);
    ink_str_printf(&zone, "x.%s. A 192.0.2.1\n", name253);
    ink_str_truncate(&want, 0);
    ink_str_printf(&want, "t.zone:1: owner name '%.64s...' is longer than 253 bytes", ink_str_cstr(&zone));
    expect_error(ink_str_cstr(&zone), NULL, ink_str_cstr(&want));

    /* a relative name fits, but not with the origin */
    ink_str_truncate(&zone, 0);
    ink_str_printf(&zone, "$ORIGIN example.\n%s A 192.0.2.1\n", name253 + 4);
    ink_str_truncate(&want, 0);
    ink_str_puts(&want, "t.zone:2: owner name '");
    ink_str_append(&want, name253 + 4, 64);
    ink_str_puts(&want, "...' is longer than 253 bytes with the origin");
    expect_error(ink_str_cstr(&zone), NULL, ink_str_cstr(&want));

    /* names in RDATA are checked too */
    ink_str_truncate(&zone, 0);
    ink_str_printf(&zone, "a.example. CNAME %s.example.\n", l64);
    ink_str_truncate(&want, 0);
    ink_str_printf(&want, "t.zone:1: target '%.64s...' has a label over 63 bytes", l64);
    expect_error(ink_str_cstr(&zone), NULL, ink_str_cstr(&want));

    free(l63);
    free(l64);
    ink_str_free(&zone);
    ink_str_free(&want);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("$ORIGIN example.\n$INCLUDE other.zone\n", NULL,
                 "t.zone:2: $INCLUDE is not supported (merge the files instead)");
    expect_error("$GENERATE 1-10 host$ A 192.0.2.$\n", NULL,
                 "t.zone:1: unknown directive '$GENERATE'");
    expect_error("$TTL soon\n", NULL, "t.zone:1: $TTL 'soon' is not a TTL");
    expect_error("$TTL 2147483648\n", NULL, "t.zone:1: $TTL '2147483648' is over 2147483647 seconds");
    expect_error("$TTL\n", NULL, "t.zone:1: $TTL needs exactly one value");
    expect_error("$ORIGIN a. b.\n", NULL, "t.zone:1: $ORIGIN needs exactly one name");
    expect_error("www A 192.0.2.1\n", NULL,
                 "t.zone:1: owner name 'www' is relative but no $ORIGIN is set (end it with '.' "
                 "or use $ORIGIN or --origin)");
    expect_error("@ A 192.0.2.1\n", NULL,
                 "t.zone:1: '@' used but no $ORIGIN is set (use $ORIGIN or --origin)");
    expect_error("   A 192.0.2.1\n", "example.",
                 "t.zone:1: record without an owner name and no previous owner to repeat");
    expect_error("$ORIGIN example.\n\n; comment\na 300 IN A 192.0.2.300\n", NULL,
                 "t.zone:4: '192.0.2.300' is not an IPv4 address");
    expect_error("a.example. A 2001:db8::1\n", NULL, "t.zone:1: '2001:db8::1' is not an IPv4 address");
    expect_error("a.example. AAAA 192.0.2.1\n", NULL, "t.zone:1: '192.0.2.1' is not an IPv6 address");
    expect_error("a.example. A \"192.0.2.1\"\n", NULL, "t.zone:1: '192.0.2.1' is not an IPv4 address");
    expect_error("a.example. A\n", NULL, "t.zone:1: A record needs an address");
    expect_error("a.example. A 192.0.2.1 192.0.2.2\n", NULL,
                 "t.zone:1: unexpected '192.0.2.2' after the data of the A record");
    expect_error("a.example. MX mail.example.\n", NULL,
                 "t.zone:1: MX record needs a preference and an exchange name");
    expect_error("a.example. MX 65536 mail.example.\n", NULL,
                 "t.zone:1: MX preference '65536' is not a number from 0 to 65535");
    expect_error("a.example. MX ten mail.example.\n", NULL,
                 "t.zone:1: MX preference 'ten' is not a number from 0 to 65535");
    expect_error("a.example. CNAME\n", NULL, "t.zone:1: CNAME record needs a target name");
    expect_error("a.example. CNAME \"b.example.\"\n", NULL,
                 "t.zone:1: 'b.example.' is a quoted string where a name was expected");
    expect_error("a.example. NS b..example.\n", NULL,
                 "t.zone:1: target 'b..example.' has an empty label");
    expect_error("a.example. TXT\n", NULL, "t.zone:1: TXT record needs at least one string");
    expect_error("a.example. IN\n", NULL, "t.zone:1: record has no type");
    expect_error("a.example. 300\n", NULL, "t.zone:1: record has no type");
    expect_error("a.example. 300 IN BOGUS x\n", NULL, "t.zone:1: unknown record type 'BOGUS'");
    expect_error("a.example. 300 300 A 192.0.2.1\n", NULL, "t.zone:1: unknown record type '300'");
    expect_error("a.example. 99999999999 A 192.0.2.1\n", NULL,
                 "t.zone:1: TTL '99999999999' is over 2147483647 seconds");
    expect_error("a.example. CH TXT \"x\"\n", NULL, "t.zone:1: class 'CH' is not supported (only IN)");
    expect_error("a.example. SOA ns. host. 1 2 3 4\n", NULL,
                 "t.zone:1: SOA record needs 7 fields: mname rname serial refresh retry expire minimum");
    expect_error("a.example. SOA ns. host. ( 1 2 3\n 4 x )\n", NULL,
                 "t.zone:2: SOA minimum 'x' is not a number in range");
    expect_error("a.example. SOA ns. host. 4294967296 2 3 4 5\n", NULL,
                 "t.zone:1: SOA serial '4294967296' is not a number in range");
    expect_error("a.example. TYPE16 \\# 3 026869\n", NULL,
                 "t.zone:1: generic (RFC 3597) data for 'TYPE16' is not supported; write it in "
                 "the type's own format");
    expect_error("a.example. A 192.0.2.1 )\n", NULL, "t.zone:1: ')' without a matching '('");
    expect_error("a.example. TXT ( \"a\" ( \"b\" ) )\n", NULL,
                 "t.zone:1: nested '(' (the one at line 1 is still open)");
    expect_error("a.example. A\x01 192.0.2.1\n", NULL, "t.zone:1: unknown record type 'A\\001'");
}

/* A CNAME is alone at its name (RFC 1034 3.6.2, RFC 2181 10.1) */
static void test_cname_alone(void **state)
{
    struct ink_memzone *z;

    (void)state;
    expect_error("$ORIGIN example.\nwww CNAME a\nwww A 192.0.2.1\n", NULL,
                 "t.zone:3: 'www.example' has a CNAME (line 2): a CNAME must be alone at its name");
    expect_error("$ORIGIN example.\nwww TXT \"x\"\n\nWWW CNAME a\n", NULL,
                 "t.zone:4: 'www.example' gets a CNAME but has other records (line 2): a CNAME "
                 "must be alone at its name");
    expect_error("$ORIGIN example.\nwww CNAME a\n  CNAME b\n", NULL,
                 "t.zone:3: 'www.example' already has a CNAME (line 2): a CNAME must be alone at "
                 "its name");
    expect_error("$ORIGIN example.\nwww CNAME a\nwww CAA 0 issue \"ca\"\n", NULL,
                 "t.zone:3: 'www.example' has a CNAME (line 2): a CNAME must be alone at its name");
    /* RRSIG and NSEC may sit beside it; other names are unaffected */
    z = load("$ORIGIN example.\nwww CNAME a\nwww RRSIG CNAME 13 2 60 1 2 3 example. x\n"
             "www NSEC a.example. CNAME RRSIG NSEC\nwww2 CNAME a\na A 192.0.2.1\n",
             NULL, 3);
    ink_memzone_free(z);
}

static void test_truncated(void **state)
{
    static const char ok[] = "$ORIGIN example.\na TXT \"hello\" ( \"x\" )\n";
    struct ink_memzone *z;
    size_t cut;

    (void)state;
    expect_error("$ORIGIN example.\na TXT \"unterminated", NULL,
                 "t.zone:2: quoted string not closed at end of file");
    expect_error("$ORIGIN example.\na TXT \"unterminated\nb A 192.0.2.1\n", NULL,
                 "t.zone:2: quoted string not closed at end of line");
    expect_error("$ORIGIN example.\n@ SOA ns host (\n 1 2 3\n", NULL,
                 "t.zone:4: '(' opened at line 2 is not closed at end of file");
    expect_error("$ORIGIN example.\na TXT abc\\", NULL, "t.zone:2: '\\' at the end of a line");
    expect_error("$ORIGIN example.\na TXT \"abc\\", NULL,
                 "t.zone:2: quoted string not closed at end of file");
    /* no final newline is fine */
    z = load("$ORIGIN example.\na A 192.0.2.1", NULL, 1);
    ink_memzone_free(z);
    /* every prefix of a valid zone parses or fails cleanly, never reads past len */
    for (cut = 0; cut <= sizeof(ok) - 1; cut++) {
        struct ink_str err = INK_STR_INIT;
        char *copy = malloc(cut ? cut : 1);
        long n;
        assert_non_null(copy);
        memcpy(copy, ok, cut);
        z = ink_memzone_new();
        n = ink_zonefile_parse((const uint8_t *)copy, cut, "t.zone", NULL, z, &err);
        assert_true(n >= 0 || strncmp(ink_str_cstr(&err), "t.zone:", 7) == 0);
        ink_memzone_free(z);
        ink_str_free(&err);
        free(copy);
    }
    /* empty and comment-only input: zero records */
    z = load("", NULL, 0);
    ink_memzone_free(z);
    z = load("; nothing\n\n   \n", NULL, 0);
    ink_memzone_free(z);
}

static void test_skipped_types(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_str err = INK_STR_INIT, notes = INK_STR_INIT;
    static const char text[] =
        "$ORIGIN example.\n"
        "@ CAA 0 issue \"letsencrypt.org\"\n"
        "@ DS 12345 13 2 ( 49FD46E6C4B45C55D4AC\n 49FD46E6C4B45C55D4AC )\n"
        "_sip._tcp SRV 10 60 5060 sip\n"
        "@ TYPE65 \\# 0\n"
        "@ TYPE16 \"typed as a number\"\n"
        "@ A 192.0.2.1\n";
    struct ink_dns_answer *a;

    (void)state;
    assert_int_equal(ink_zonefile_parse_notes((const uint8_t *)text, strlen(text), "t.zone",
                                              NULL, z, &err, &notes),
                     2);
    assert_string_equal(ink_str_cstr(&notes),
                        "t.zone:2: skipped CAA record (type not used by inkan)\n"
                        "t.zone:3: skipped DS record (type not used by inkan)\n"
                        "t.zone:5: skipped SRV record (type not used by inkan)\n"
                        "t.zone:6: skipped TYPE65 record (type not used by inkan)\n");
    a = answer(z, "example", INK_DNS_TXT, INK_DNS_OK, 1);
    ink_dns_answer_free(a);
    /* the SRV owner exists even though its record was skipped: NODATA */
    a = answer(z, "_sip._tcp.example", INK_DNS_A, INK_DNS_NODATA, 0);
    ink_dns_answer_free(a);
    a = answer(z, "_xmpp._tcp.example", INK_DNS_A, INK_DNS_NXDOMAIN, 0);
    ink_dns_answer_free(a);
    ink_str_free(&err);
    ink_str_free(&notes);
    ink_memzone_free(z);
}

static void test_nul_and_crlf(void **state)
{
    static const char text[] = "a.example. TXT \"x\0y\"\r\nb.example. A 192.0.2.1\r\n";
    static const char bad[] = "a\0b.example. A 192.0.2.1\n";
    struct ink_memzone *z = ink_memzone_new();
    struct ink_str err = INK_STR_INIT;
    struct ink_dns_answer *a;

    (void)state;
    assert_int_equal(ink_zonefile_parse((const uint8_t *)text, sizeof(text) - 1, "t.zone", NULL,
                                        z, &err),
                     2);
    a = answer(z, "a.example", INK_DNS_TXT, INK_DNS_OK, 1);
    assert_int_equal(a->rr[0].txtlen[0], 3);
    assert_memory_equal(a->rr[0].txt[0], "x\0y", 3);
    ink_dns_answer_free(a);
    assert_int_equal(ink_zonefile_parse((const uint8_t *)bad, sizeof(bad) - 1, "t.zone", NULL,
                                        z, &err),
                     -1);
    assert_string_equal(ink_str_cstr(&err), "t.zone:1: owner name 'a\\000b.example.' has a NUL byte");
    ink_str_free(&err);
    ink_memzone_free(z);
}

/* write_tmp - a temporary file holding text; returns its path (static) */
static const char *write_tmp(const char *text)
{
    static char path[64];
    FILE *fp;
    int fd;

    strcpy(path, "/tmp/inkan-zone-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    fp = fdopen(fd, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

static void test_backend(void **state)
{
    const char *path = write_tmp(basic_zone);
    struct ink_resolver_opts opts;
    struct ink_str err = INK_STR_INIT, want = INK_STR_INIT;
    struct ink_resolver *r;
    struct ink_dns_answer *a;

    (void)state;
    memset(&opts, 0, sizeof(opts));
    opts.zone_file = path;
    r = ink_resolver_open(&opts, &err);
    assert_non_null(r);
    a = ink_resolve_sync(r, "www.example.com", INK_DNS_AAAA);
    assert_non_null(a);
    assert_int_equal(a->status, INK_DNS_OK);
    assert_int_equal(a->nrr, 2);
    assert_int_equal(a->rr[0].type, INK_DNS_CNAME);
    assert_int_equal(a->rr[1].type, INK_DNS_AAAA);
    ink_dns_answer_free(a);
    a = ink_resolve_sync(r, "nothing.example.com", INK_DNS_TXT);
    assert_int_equal(a->status, INK_DNS_NXDOMAIN);
    ink_dns_answer_free(a);
    ink_resolver_free(r);
    unlink(path);

    /* a parse error names the file and line */
    path = write_tmp("$ORIGIN example.\nok A 192.0.2.1\nbad A 1.2.3\n");
    opts.zone_file = path;
    assert_null(ink_resolver_open(&opts, &err));
    ink_str_printf(&want, "%s:3: '1.2.3' is not an IPv4 address", path);
    assert_string_equal(ink_str_cstr(&err), ink_str_cstr(&want));
    unlink(path);

    /* --origin reaches the parser */
    path = write_tmp("www A 192.0.2.1\n");
    opts.zone_file = path;
    opts.origin = "example.net";
    ink_str_truncate(&err, 0);
    r = ink_resolver_open(&opts, &err);
    assert_non_null(r);
    a = ink_resolve_sync(r, "www.example.net", INK_DNS_A);
    assert_int_equal(a->status, INK_DNS_OK);
    ink_dns_answer_free(a);
    ink_resolver_free(r);
    unlink(path);

    /* an unreadable file: the OS error with the file name */
    ink_str_truncate(&err, 0);
    opts.zone_file = "/nonexistent/inkan.zone";
    assert_null(ink_resolver_open(&opts, &err));
    assert_string_equal(ink_str_cstr(&err), "/nonexistent/inkan.zone: No such file or directory");
    ink_str_truncate(&err, 0);
    opts.zone_file = "/";
    assert_null(ink_resolver_open(&opts, &err));
    assert_string_equal(ink_str_cstr(&err), "/: Is a directory");

    /* zone file and server together are refused */
    ink_str_truncate(&err, 0);
    opts.zone_file = "x.zone";
    opts.server = "127.0.0.1";
    assert_null(ink_resolver_open(&opts, &err));
    assert_string_equal(ink_str_cstr(&err), "a zone file and a DNS server cannot both be given");
    ink_str_free(&err);
    ink_str_free(&want);
}

/* a UTF-8 byte-order mark at the start is skipped, not read as part of
 * the first owner name */
static void test_bom(void **state)
{
    struct ink_memzone *z;
    struct ink_dns_answer *a;

    (void)state;
    z = load("\xef\xbb\xbf" "example.com. 60 IN A 192.0.2.1\n", NULL, 1);
    a = answer(z, "example.com", INK_DNS_A, INK_DNS_OK, 1);
    ink_dns_answer_free(a);
    ink_memzone_free(z);
    /* with $ORIGIN first, and a relative name */
    z = load("\xef\xbb\xbf$ORIGIN example.org.\nwww 60 IN A 192.0.2.2\n", NULL, 1);
    a = answer(z, "www.example.org", INK_DNS_A, INK_DNS_OK, 1);
    ink_dns_answer_free(a);
    ink_memzone_free(z);
}

/* more records of one type at one owner than an answer holds: refused
 * at load time with the file and line */
static void test_too_many_at_owner(void **state)
{
    struct ink_str zone = INK_STR_INIT, err = INK_STR_INIT, want = INK_STR_INIT;
    struct ink_memzone *z = ink_memzone_new();
    size_t i;

    (void)state;
    ink_str_puts(&zone, "$ORIGIN example.com.\n");
    for (i = 0; i <= INK_MEMZONE_TYPE_RR_MAX; i++)
        ink_str_printf(&zone, "big 60 IN TXT \"r%zu\"\n", i);
    assert_int_equal(ink_zonefile_parse((const uint8_t *)zone.buf, zone.len, "t.zone", NULL, z, &err), -1);
    ink_str_printf(&want, "t.zone:%d: more than %d TXT records at big.example.com", INK_MEMZONE_TYPE_RR_MAX + 2,
                   INK_MEMZONE_TYPE_RR_MAX);
    if (strstr(ink_str_cstr(&err), ink_str_cstr(&want)) == NULL)
        fail_msg("got: %s\nwanted: %s", ink_str_cstr(&err), ink_str_cstr(&want));
    ink_str_free(&zone);
    ink_str_free(&err);
    ink_str_free(&want);
    ink_memzone_free(z);
}

/* The one TXT line writer: strings of at most 255 bytes, cut at a space
 * with INK_ZONE_SPLIT_AT_SPACE, no TTL with INK_ZONE_NO_TTL, "@" for no
 * owner, escapes; and the line parses back to the same text. */
static void test_zone_txt_line(void **state)
{
    char rec[400];
    struct ink_str s = INK_STR_INIT;
    struct ink_memzone *z;
    struct ink_str err = INK_STR_INIT;
    struct ink_resolver *r;
    struct ink_dns_answer *a;
    uint8_t *joined;
    size_t jlen;
    (void)state;

    memset(rec, 'a', sizeof rec);
    memcpy(rec, "v=spf1 ", 7);
    rec[250] = ' ';
    rec[sizeof rec - 1] = '\0';
    /* plain: the cut is at 255 bytes exactly */
    assert_int_equal(ink_zone_txt_line(&s, "x.example", 300, (const uint8_t *)rec, strlen(rec)), 0);
    assert_non_null(strstr(ink_str_cstr(&s), "x.example. 300 IN TXT \""));
    assert_int_equal(strchr(ink_str_cstr(&s) + 23, '"') - (ink_str_cstr(&s) + 23), 255);
    ink_str_free(&s);
    /* at a space: the first string ends just after the space at 250 */
    assert_int_equal(ink_zone_txt_line_flags(&s, NULL, 0, (const uint8_t *)rec, strlen(rec),
                                             INK_ZONE_SPLIT_AT_SPACE | INK_ZONE_NO_TTL), 0);
    assert_memory_equal(ink_str_cstr(&s), "@ IN TXT \"v=spf1 ", 16);
    assert_int_equal(strchr(ink_str_cstr(&s) + 10, '"') - (ink_str_cstr(&s) + 10), 251);
    ink_str_free(&s);
    /* escapes and the round trip through the parser */
    assert_int_equal(ink_zone_txt_line(&s, "y.example.", 60, (const uint8_t *)"a\"b\\c\001", 6), 0);
    assert_string_equal(ink_str_cstr(&s), "y.example. 60 IN TXT \"a\\\"b\\\\c\\001\"");
    z = ink_memzone_new();
    assert_true(ink_zonefile_parse((const uint8_t *)s.buf, s.len, "t.zone", NULL, z, &err) >= 0);
    r = ink_resolver_memzone_new(z, 1);
    a = ink_resolve_sync(r, "y.example", INK_DNS_TXT);
    assert_non_null(a);
    assert_int_equal(a->status, INK_DNS_OK);
    joined = ink_dns_rr_txt_join(&a->rr[0], &jlen);
    assert_int_equal(jlen, 6);
    assert_memory_equal(joined, "a\"b\\c\001", 6);
    free(joined);
    ink_dns_answer_free(a);
    ink_resolver_free(r);
    ink_str_free(&s);
    ink_str_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_syntax),   cmocka_unit_test(test_ttl_rules),
        cmocka_unit_test(test_origin_argument), cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_txt_limits),     cmocka_unit_test(test_name_limits),
        cmocka_unit_test(test_errors),         cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_cname_alone),
        cmocka_unit_test(test_skipped_types),  cmocka_unit_test(test_nul_and_crlf),
        cmocka_unit_test(test_backend),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_too_many_at_owner),
        cmocka_unit_test(test_zone_txt_line),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
