/*
 * test_platform.c - the sending-platform map (parser limits, refusals
 * with line and column, suffix matching on label boundaries, the order
 * ptr > dkim > spf), the shipped data/platforms.yaml, and the reverse-name
 * machine of the report summary (IPv4, IPv6, none, temporary, a wrong
 * answer, an unknown token).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/dns.h"
#include "inkan/report.h"
#include "inkan/str.h"

static const char good[] =
    "version: 1\n"
    "platforms:\n"
    "  - name: SendGrid\n"
    "    ptr: [sendgrid.net]\n"
    "    spf: sendgrid.net\n"
    "    dkim: [sendgrid.info]\n"
    "  - name: google\n"
    "    ptr: [Google.COM.]\n"
    "    dkim: [gappssmtp.com]\n";

/* parse - s as a map; NULL with the message in err */
static struct ink_platforms *parse(const char *s, struct ink_str *err)
{
    return ink_platforms_parse((const uint8_t *)s, strlen(s), err);
}

static void test_match(void **state)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_platforms *m = parse(good, &err);
    (void)state;

    assert_non_null(m);
    assert_int_equal(ink_platforms_count(m), 2);
    /* names are lower-cased; the PTR suffix matches on a label boundary */
    assert_string_equal(ink_platforms_match(m, "o1.outbound.sendgrid.net", NULL, NULL), "sendgrid");
    assert_string_equal(ink_platforms_match(m, "sendgrid.net", NULL, NULL), "sendgrid");
    assert_null(ink_platforms_match(m, "notsendgrid.net", NULL, NULL));
    assert_string_equal(ink_platforms_match(m, "MAIL-SOR-F41.google.com.", NULL, NULL), "google");
    /* DKIM lists hold d/s; SPF lists plain domains; space-separated */
    assert_string_equal(ink_platforms_match(m, NULL, "example.com/s1 x.gappssmtp.com/20230601",
                                            NULL), "google");
    assert_string_equal(ink_platforms_match(m, "unknown.example", "example.com",
                                            "example.com em123.sendgrid.net"), "sendgrid");
    /* spf suffixes are not ptr suffixes: each kind only its own list */
    assert_null(ink_platforms_match(m, NULL, "gmail.sendgrid.net", NULL));
    /* ptr wins over dkim */
    assert_string_equal(ink_platforms_match(m, "a.google.com", "sendgrid.info", NULL), "google");
    assert_null(ink_platforms_match(m, NULL, NULL, NULL));
    assert_null(ink_platforms_match(NULL, "a.google.com", NULL, NULL));
    ink_platforms_free(m);
    ink_str_free(&err);
}

/* refused - s is refused with a message containing want */
static void refused(const char *s, size_t len, const char *want)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_platforms *m = ink_platforms_parse((const uint8_t *)s, len, &err);

    assert_null(m);
    if (strstr(ink_str_cstr(&err), want) == NULL)
        fail_msg("'%s' does not say '%s'", ink_str_cstr(&err), want);
    ink_str_free(&err);
}

static void test_refusals(void **state)
{
    char *deep, *big;
    size_t i, n = 10000;
    (void)state;

    refused("platforms: [{ptr: [a.example]}]\n", 31, "'name' is required");
    refused("platforms:\n  - name: x\n    colour: red\n", 38, "3:5: platform: unknown or repeated key 'colour'");
    refused("platforms: {a: b}\n", 18, "'platforms' must be a list");
    refused("- a\n", 4, "a mapping with a 'platforms' list");
    refused("platforms: [{name: x, ptr: {a: b}}]\n", 36, "ptr: give a list of domain names");
    refused("platforms: [{name: x, ptr: ['']}]\n", 34, "non-empty");
    refused("platforms: [{name: x\n", 21, "YAML:");
    refused("", 0, "a mapping with a 'platforms' list");
    /* nesting: refused where it passes the limit, before a graph is built */
    deep = malloc(n * 2 + 1);
    assert_non_null(deep);
    for (i = 0; i < n; i++)
        deep[i] = '[';
    for (i = 0; i < n; i++)
        deep[n + i] = ']';
    deep[2 * n] = '\0';
    refused(deep, 2 * n, "nested deeper than 8 levels");
    free(deep);
    /* size: refused before any parsing */
    big = malloc(INK_PLATFORMS_SIZE_MAX + 2);
    assert_non_null(big);
    memset(big, '#', INK_PLATFORMS_SIZE_MAX + 1);
    big[INK_PLATFORMS_SIZE_MAX + 1] = '\0';
    refused(big, INK_PLATFORMS_SIZE_MAX + 1, "larger than 262144 bytes");
    free(big);
}

/* The shipped map parses and knows the well-known platforms. */
static void test_shipped(void **state)
{
    const char *src = getenv("INKAN_SRC");
    struct ink_str path = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_platforms *m;
    FILE *fp;
    char *buf = malloc(INK_PLATFORMS_SIZE_MAX);
    size_t len;
    (void)state;

    assert_non_null(src);
    assert_non_null(buf);
    ink_str_printf(&path, "%s/data/platforms.yaml", src);
    fp = fopen(ink_str_cstr(&path), "rb");
    assert_non_null(fp);
    len = fread(buf, 1, INK_PLATFORMS_SIZE_MAX, fp);
    fclose(fp);
    m = ink_platforms_parse((const uint8_t *)buf, len, &err);
    if (m == NULL)
        fail_msg("data/platforms.yaml: %s", ink_str_cstr(&err));
    assert_true(ink_platforms_count(m) >= 12);
    assert_string_equal(ink_platforms_match(m, "mail-sor-f41.google.com", NULL, NULL),
                        "google-workspace");
    assert_string_equal(ink_platforms_match(m, "a1-2.smtp-out.amazonses.com", NULL, NULL),
                        "amazon-ses");
    assert_string_equal(ink_platforms_match(m, NULL, "example-com.20230601.gappssmtp.com/s", NULL),
                        "google-workspace");
    assert_string_equal(ink_platforms_match(m, NULL, NULL, "bounces.mcsv.net"), "mailchimp");
    ink_platforms_free(m);
    ink_str_free(&path);
    ink_str_free(&err);
    free(buf);
}

/* run_ptr - one lookup of ip answered with a (NULL: none fed); the result */
static enum ink_ptr_result run_ptr(const char *ip, const char *want_q, struct ink_dns_answer *a,
                                   const char **name, struct ink_ptr_lookup **out)
{
    struct ink_ptr_lookup *m = ink_ptr_lookup_new(ip);
    struct ink_query q;

    assert_non_null(m);
    assert_int_equal(ink_ptr_lookup_next(m, &q), INK_NEXT_READY);
    assert_string_equal(q.name, want_q);
    assert_int_equal(q.type, INK_DNS_PTR);
    assert_int_equal(ink_ptr_lookup_next(m, &q), INK_NEXT_WAIT);
    assert_int_equal(ink_ptr_lookup_feed(m, q.token + 1, a), -1); /* unknown token */
    assert_int_equal(ink_ptr_lookup_feed(m, q.token, a), 0);
    assert_int_equal(ink_ptr_lookup_next(m, &q), INK_NEXT_DONE);
    assert_int_equal(ink_ptr_lookup_feed(m, q.token, a), -1); /* answered already */
    *out = m;
    return ink_ptr_lookup_result(m, name);
}

static void test_ptr_machine(void **state)
{
    static const char v4[] = "10.2.0.192.in-addr.arpa";
    static const char v6[] =
        "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
    struct ink_dns_answer *a;
    struct ink_ptr_lookup *m;
    const char *name;
    (void)state;

    assert_null(ink_ptr_lookup_new("not-an-address"));
    assert_null(ink_ptr_lookup_new("192.0.2.300"));

    a = ink_dns_answer_new(v4, INK_DNS_PTR, INK_DNS_OK);
    assert_non_null(a);
    assert_int_equal(ink_dns_answer_add_name(a, v4, INK_DNS_PTR, 3600, "mail.example.net"), 0);
    assert_int_equal(run_ptr("192.0.2.10", v4, a, &name, &m), INK_PTR_FOUND);
    assert_string_equal(name, "mail.example.net");
    ink_ptr_lookup_free(m);
    /* the same answer to another address's question does not fit */
    assert_int_equal(run_ptr("192.0.2.11", "11.2.0.192.in-addr.arpa", a, &name, &m),
                     INK_PTR_TEMP);
    assert_null(name);
    ink_ptr_lookup_free(m);
    ink_dns_answer_free(a);

    a = ink_dns_answer_new(v6, INK_DNS_PTR, INK_DNS_NXDOMAIN);
    assert_non_null(a);
    assert_int_equal(run_ptr("2001:db8::25", v6, a, &name, &m), INK_PTR_NONE);
    assert_null(name);
    ink_ptr_lookup_free(m);
    ink_dns_answer_free(a);

    a = ink_dns_answer_new(v4, INK_DNS_PTR, INK_DNS_SERVFAIL);
    assert_non_null(a);
    assert_int_equal(run_ptr("192.0.2.10", v4, a, &name, &m), INK_PTR_TEMP);
    ink_ptr_lookup_free(m);
    ink_dns_answer_free(a);
    /* no answer at all (a timeout) is temporary too */
    assert_int_equal(run_ptr("192.0.2.10", v4, NULL, &name, &m), INK_PTR_TEMP);
    ink_ptr_lookup_free(m);
    ink_ptr_lookup_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_shipped),
        cmocka_unit_test(test_ptr_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
