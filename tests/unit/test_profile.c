/*
 * test_profile.c - the sender-profile parser: every section of the schema,
 * the shipped examples, and errors that name line and column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "inkan/profile.h"

/* parse - parse a C string; NULL on error with the message in err */
static struct ink_profile *parse(const char *text, struct ink_str *err)
{
    ink_str_truncate(err, 0);
    return ink_profile_parse((const uint8_t *)text, strlen(text), err);
}

static int mismatches;

/* expect_error - the text fails with a message starting with prefix and
 * containing needle (mismatches are printed and counted, so one run shows
 * them all) */
static void expect_error(const char *text, const char *prefix, const char *needle)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_profile *p = parse(text, &err);

    if (p != NULL) {
        print_error("parsed, wanted error '%s'\n", needle);
        mismatches++;
        ink_profile_free(p);
    } else if (strncmp(ink_str_cstr(&err), prefix, strlen(prefix)) != 0 ||
               strstr(ink_str_cstr(&err), needle) == NULL) {
        print_error("error '%s', wanted '%s...%s'\n", ink_str_cstr(&err), prefix, needle);
        mismatches++;
    }
    ink_str_free(&err);
}

static void test_full_profile(void **state)
{
    static const char text[] =
        "profile: 1\n"
        "name: Example\n"
        "description: all of it\n"
        "subdomain: em\n"
        "spf:\n"
        "  include: [spf.example.net, spf2.example.net]\n"
        "  ip4: 192.0.2.0/24\n"
        "  ip6: [2001:db8::/32, 2001:db8:1::1]\n"
        "  all: -all\n"
        "dkim:\n"
        "  - selector: k1\n"
        "    key: generate\n"
        "  - selector: k2\n"
        "    key: ed25519\n"
        "  - selector: h1\n"
        "    cname: h1.dkim.example.net.\n"
        "    at: domain\n"
        "return-path: {name: bounce, cname: bounces.example.net}\n"
        "tracking: {name: click, cname: Track.Example.NET}\n"
        "landing: {name: go, cname: pages.example.net}\n"
        "images: {name: img, cname: img.example.net, at: domain}\n"
        "cnames:\n"
        "  - {role: unsubscribe, name: u, cname: u.example.net}\n"
        "mx:\n"
        "  name: \"@\"\n"
        "  hosts:\n"
        "    - {preference: 10, exchange: mx1.example.net}\n"
        "    - {preference: 20, exchange: mx2.example.net}\n"
        "dmarc:\n"
        "  policy: none\n"
        "  rua: [mailto:d@example.org, r@example.org]\n"
        "  ruf: mailto:f@example.org\n";
    struct ink_str err = INK_STR_INIT;
    struct ink_profile *p = parse(text, &err);

    (void)state;
    if (p == NULL)
        fail_msg("%s", ink_str_cstr(&err));
    assert_string_equal(p->name, "Example");
    assert_string_equal(p->subdomain, "em");
    assert_int_equal(p->n_include, 2);
    assert_string_equal(p->include[1], "spf2.example.net");
    assert_int_equal(p->n_ip4, 1);
    assert_string_equal(p->ip4[0], "192.0.2.0/24");
    assert_int_equal(p->n_ip6, 2);
    assert_string_equal(p->spf_all, "-all");
    assert_int_equal(p->n_dkim, 3);
    assert_int_equal(p->dkim[0].alg, INK_PROFILE_KEY_DEFAULT);
    assert_null(p->dkim[0].cname);
    assert_int_equal(p->dkim[1].alg, INK_PROFILE_KEY_ED25519);
    assert_string_equal(p->dkim[2].cname, "h1.dkim.example.net");
    assert_int_equal(p->dkim[2].at, INK_PROFILE_AT_DOMAIN);
    assert_int_equal(p->n_cname, 5);
    assert_string_equal(p->cname[0].role, "return-path");
    assert_string_equal(p->cname[1].target, "track.example.net"); /* normalised */
    assert_int_equal(p->cname[3].at, INK_PROFILE_AT_DOMAIN);
    assert_string_equal(p->cname[4].role, "unsubscribe");
    assert_int_equal(p->n_mx, 2);
    assert_int_equal(p->mx[1].preference, 20);
    assert_string_equal(p->mx_name, "@");
    assert_int_equal(p->n_rua, 2);
    assert_string_equal(p->rua[1], "mailto:r@example.org"); /* mailto: added */
    assert_string_equal(p->ruf[0], "mailto:f@example.org");
    assert_string_equal(p->dmarc_policy, "none");
    ink_profile_free(p);
    ink_str_free(&err);
}

static void test_defaults(void **state)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_profile *p = parse("profile: 1\nname: x\nspf: {include: a.example.net}\n", &err);

    (void)state;
    assert_non_null(p);
    assert_string_equal(p->spf_all, "~all");
    assert_null(p->subdomain);
    assert_int_equal(p->has_dmarc, 0);
    assert_int_equal(p->spf_at, INK_PROFILE_AT_SENDING);
    ink_profile_free(p);
    /* dmarc section without policy defaults to none */
    p = parse("profile: 1\nname: x\ndmarc: {rua: a@example.org}\n", &err);
    assert_non_null(p);
    assert_string_equal(p->dmarc_policy, "none");
    ink_profile_free(p);
    ink_str_free(&err);
}

static void test_errors_with_position(void **state)
{
    (void)state;
    expect_error("profile: 1\nname: x\nspf:\n  inclde: a.example.net\n", "4:3:", "unknown key 'inclde'");
    expect_error("profile: 2\nname: x\n", "1:10:", "schema version");
    expect_error("name: x\nspf: {include: a.example.net}\n", "1:1:", "'profile: 1'");
    expect_error("profile: 1\nspf: {include: a.example.net}\n", "1:1:", "'name' is required");
    expect_error("profile: 1\nname: x\nspf: {ip4: 192.0.2.0/33}\n", "3:12:", "bad prefix length");
    expect_error("profile: 1\nname: x\nspf: {ip4: '2001:db8::/32'}\n", "3:12:", "not an IPv4");
    expect_error("profile: 1\nname: x\nspf: {ip6: 192.0.2.1}\n", "3:12:", "not an IPv6");
    expect_error("profile: 1\nname: x\nspf: {ip4: 0.0.0.0/0}\n", "3:12:", "every address");
    expect_error("profile: 1\nname: x\nspf: {include: nodot}\n", "3:16:", "fully qualified");
    expect_error("profile: 1\nname: x\nspf: {include: 'a b.example.net'}\n", "3:16:", "not allowed");
    expect_error("profile: 1\nname: x\nspf: {include: a.example.net, all: +all}\n", "3:36:", "+all");
    expect_error("profile: 1\nname: x\nspf: {}\n", "3:6:", "at least one");
    expect_error("profile: 1\nname: x\ndkim:\n  - selector: s1\n", "4:5:", "exactly one of 'key'");
    expect_error("profile: 1\nname: x\ndkim:\n  - {selector: s1, key: rsa512}\n", "4:25:", "must be generate");
    expect_error("profile: 1\nname: x\ndkim:\n  - {selector: s1, key: generate}\n  - {selector: s1, cname: a.example.net}\n",
                 "5:5:", "listed twice");
    expect_error("profile: 1\nname: x\ntracking: {name: click}\n", "3:11:", "both 'name' and 'cname'");
    expect_error("profile: 1\nname: x\ntracking: {name: click., cname: a.example.net}\n", "3:18:", "relative");
    expect_error("profile: 1\nname: x\ntracking: {name: t, cname: a.example.net}\nlanding: {name: t, cname: b.example.net}\n",
                 "4:1:", "already the tracking CNAME");
    expect_error("profile: 1\nname: x\nmx: {hosts: [{preference: 70000, exchange: a.example.net}]}\n", "3:27:", "0 to 65535");
    expect_error("profile: 1\nname: x\nmx: {name: '@'}\n", "3:5:", "'hosts' is required");
    expect_error("profile: 1\nname: x\ndmarc: {policy: always}\n", "3:17:", "none, quarantine or reject");
    expect_error("profile: 1\nname: x\ndmarc: {rua: 'mailto:nobody'}\n", "3:14:", "not a mailto");
    expect_error("profile: 1\nname: x\n", "1:1:", "asks for no record");
    expect_error("profile: 1\nname: [x\n", "3:1:", "YAML");
    expect_error("profile: 1\nname: x\nspf: {include: a.example.net}\n---\nprofile: 1\n", "4:1:", "one YAML document");
    expect_error("", "1:1:", "empty profile");
    expect_error("- a\n- b\n", "1:1:", "expected a mapping");
    expect_error("profile: 1\nname: x\ncnames:\n  - {name: u, cname: u.example.net}\n", "4:5:", "'role' is required");
    expect_error("profile: 1\nname: x\ndkim:\n  - {selector: a, key: generate}\ndkim:\n  - {selector: b, key: generate}\n",
                 "5:1:", "key 'dkim' given twice (first at line 3)");
    expect_error("profile: 1\nname: x\nspf: {include: a.example.net, include: b.example.net}\n", "3:31:", "given twice");
    expect_error("profile: 1\nname: x\n[a]: b\n", "3:1:", "plain words");
    assert_int_equal(mismatches, 0);
}

static void test_alias_is_not_expanded(void **state)
{
    /* anchors and aliases are shared nodes: a list of aliases to a list is
     * refused by the list limit, not expanded */
    struct ink_str err = INK_STR_INIT, doc = INK_STR_INIT;
    struct ink_profile *p;
    int i;

    (void)state;
    ink_str_puts(&doc, "profile: 1\nname: x\nspf:\n  ip4: &r [192.0.2.1");
    for (i = 0; i < 40; i++)
        ink_str_printf(&doc, ", 192.0.2.%d", i + 2);
    ink_str_puts(&doc, "]\n");
    p = parse(ink_str_cstr(&doc), &err);
    assert_null(p);
    assert_non_null(strstr(ink_str_cstr(&err), "more than"));
    ink_str_free(&doc);
    ink_str_free(&err);
}

static void test_not_nul_terminated(void **state)
{
    /* the parser reads exactly len bytes */
    static const char text[] = "profile: 1\nname: x\nspf: {include: a.example.net}\nXXXX: bad";
    struct ink_str err = INK_STR_INIT;
    struct ink_profile *p;
    char *copy = malloc(sizeof(text) - 1);

    (void)state;
    memcpy(copy, text, sizeof(text) - 1);
    p = ink_profile_parse((const uint8_t *)copy, strlen("profile: 1\nname: x\nspf: {include: a.example.net}\n"), &err);
    assert_non_null(p);
    ink_profile_free(p);
    free(copy);
    ink_str_free(&err);
}

/* read_example - a file under examples/profiles */
static char *read_example(const char *name, size_t *len)
{
    const char *src = getenv("INKAN_SRC");
    char path[4096];
    FILE *fp;
    char *buf = malloc(65536);

    snprintf(path, sizeof(path), "%s/examples/profiles/%s", src ? src : ".", name);
    fp = fopen(path, "rb");
    if (fp == NULL)
        fail_msg("cannot open %s", path);
    *len = fread(buf, 1, 65535, fp);
    fclose(fp);
    return buf;
}

static void test_examples(void **state)
{
    static const char *const names[] = {"include-bounce.yaml", "keys-tracking-ips.yaml",
                                        "engagement-subdomain.yaml"};
    size_t i, len;

    (void)state;
    for (i = 0; i < 3; i++) {
        struct ink_str err = INK_STR_INIT;
        char *buf = read_example(names[i], &len);
        struct ink_profile *p = ink_profile_parse((const uint8_t *)buf, len, &err);
        if (p == NULL)
            fail_msg("%s: %s", names[i], ink_str_cstr(&err));
        switch (i) {
        case 0:
            assert_int_equal(p->n_include, 1);
            assert_int_equal(p->n_cname, 1);
            assert_string_equal(p->cname[0].role, "return-path");
            break;
        case 1:
            assert_int_equal(p->n_ip4, 2);
            assert_int_equal(p->n_ip6, 1);
            assert_int_equal(p->n_dkim, 2);
            assert_null(p->dkim[0].cname);
            assert_int_equal(p->n_cname, 2);
            break;
        default:
            assert_string_equal(p->subdomain, "em");
            assert_int_equal(p->n_mx, 2);
            assert_int_equal(p->n_dkim, 2);
            assert_non_null(p->dkim[0].cname);
            assert_int_equal(p->has_dmarc, 1);
            break;
        }
        ink_profile_free(p);
        free(buf);
        ink_str_free(&err);
    }
}

/* text values never hold control characters (they end up in zone-file
 * comments, the checklist, the terminal), and name/role are short */
static void test_control_characters_refused(void **state)
{
    struct ink_str doc = INK_STR_INIT;
    int i;

    (void)state;
    mismatches = 0;
    expect_error("profile: 1\nname: \"evil\\nexample.com. 3600 IN MX 0 mx.attacker.example.\"\n"
                 "spf: {include: a.example.net}\n",
                 "2:7:", "control character");
    expect_error("profile: 1\nname: x\nspf: {include: a.example.net}\ncnames:\n"
                 "  - {role: \"r\\nexample.com. IN TXT \\\"v=spf1 +all\\\"\", name: u, cname: u.example.net}\n",
                 "5:", "control character");
    expect_error("profile: 1\nname: \"a\\tb\"\nspf: {include: a.example.net}\n", "2:7:",
                 "control character");
    expect_error("profile: 1\nname: \"a\\x1b[2Jb\"\nspf: {include: a.example.net}\n", "2:7:",
                 "control character");
    expect_error("profile: 1\nname: \"a\\u009bb\"\nspf: {include: a.example.net}\n", "2:7:",
                 "control character");
    expect_error("profile: 1\nname: x\ndescription: \"a\\rb\"\nspf: {include: a.example.net}\n",
                 "3:", "control character");
    ink_str_puts(&doc, "profile: 1\nname: ");
    for (i = 0; i < INK_PROFILE_NAME_MAX + 1; i++)
        ink_str_putc(&doc, 'n');
    ink_str_puts(&doc, "\nspf: {include: a.example.net}\n");
    expect_error(ink_str_cstr(&doc), "2:7:", "longer than 128 bytes");
    ink_str_free(&doc);
    /* UTF-8 that is not a control character is text like any other */
    {
        struct ink_str err = INK_STR_INIT;
        struct ink_profile *p = parse("profile: 1\nname: \"M\xc3\xbcller Mail\"\n"
                                      "spf: {include: a.example.net}\n", &err);
        assert_non_null(p);
        ink_profile_free(p);
        ink_str_free(&err);
    }
    assert_int_equal(mismatches, 0);
}

/* nesting deeper than INK_PROFILE_DEPTH_MAX is refused where it starts,
 * at once (100,000 nested '[' took 54 s before) */
static void test_deep_nesting_refused_fast(void **state)
{
    struct ink_str doc = INK_STR_INIT, err = INK_STR_INIT;
    struct timespec t0, t1;
    size_t i;
    double secs;

    (void)state;
    ink_str_puts(&doc, "profile: 1\nname: x\nspf:\n  include: ");
    for (i = 0; i < 100000; i++)
        ink_str_putc(&doc, '[');
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_null(parse(ink_str_cstr(&doc), &err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_non_null(strstr(ink_str_cstr(&err), "nested deeper than 8 levels"));
    assert_true(strncmp(ink_str_cstr(&err), "4:", 2) == 0);
    assert_true(secs < 5.0); /* 54 s before; generous for a loaded machine */
    ink_str_truncate(&doc, 0);
    ink_str_puts(&doc, "profile: 1\nname: x\nspf:\n  include: ");
    for (i = 0; i < 60000; i++)
        ink_str_puts(&doc, "{a: ");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_null(parse(ink_str_cstr(&doc), &err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_non_null(strstr(ink_str_cstr(&err), "nested deeper than"));
    assert_true(secs < 5.0); /* 54 s before; generous for a loaded machine */
    ink_str_free(&doc);
    ink_str_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_profile),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_errors_with_position),
        cmocka_unit_test(test_alias_is_not_expanded),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_control_characters_refused),
        cmocka_unit_test(test_deep_nesting_refused_fast),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
