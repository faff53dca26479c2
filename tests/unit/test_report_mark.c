/*
 * test_report_mark.c - the owner's marks on report sources
 * (inkan/report_mark.h): IPv4 and IPv6 network text (accepted forms,
 * refused prefixes, host bits refused with the network meant), matching
 * with the most specific mark winning (nested networks, both families,
 * IPv4-mapped IPv6 sources), the classes marks give, and the readiness
 * counts that follow from them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/report.h"
#include "inkan/report_mark.h"

/* parse - ink_net_parse of a C string */
static enum ink_net_error parse(const char *s, struct ink_net *n)
{
    return ink_net_parse((const uint8_t *)s, strlen(s), n);
}

/* net_text - a network formatted, in a static buffer */
static const char *net_text(const struct ink_net *n)
{
    static char buf[INK_NET_TEXT_MAX];

    return ink_net_format(n, buf, sizeof(buf));
}

/* accepted forms, canonical text */
static void test_parse_ok(void **state)
{
    static const struct {
        const char *in, *out;
        int family;
    } ok[] = {
        {"192.0.2.7", "192.0.2.7/32", 4},
        {"198.51.100.0/24", "198.51.100.0/24", 4},
        {"10.0.0.0/8", "10.0.0.0/8", 4},
        {"0.0.0.0/0", "0.0.0.0/0", 4},
        {"203.0.113.128/25", "203.0.113.128/25", 4},
        {"2001:db8::25", "2001:db8::25/128", 6},
        {"2001:DB8:0:0::/32", "2001:db8::/32", 6},
        {"2001:db8:8000::/33", "2001:db8:8000::/33", 6},
        {"::/0", "::/0", 6},
        {"::ffff:192.0.2.1", "::ffff:192.0.2.1/128", 6},
    };
    struct ink_net n;
    char addr[INK_NET_TEXT_MAX];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(parse(ok[i].in, &n), INK_NET_OK);
        assert_int_equal(n.family, ok[i].family);
        assert_string_equal(net_text(&n), ok[i].out);
    }
    assert_int_equal(parse("198.51.100.0/24", &n), INK_NET_OK);
    assert_string_equal(ink_net_addr_format(&n, addr, sizeof(addr)), "198.51.100.0");
    assert_int_equal(n.prefix, 24);
    /* len bounds the read: the bytes after it are not part of the text */
    assert_int_equal(ink_net_parse((const uint8_t *)"10.1.0.0/16junk", 8, &n), INK_NET_OK);
    assert_string_equal(net_text(&n), "10.1.0.0/32");
}

/* refused: no address, bad prefixes, host bits (with the network meant) */
static void test_parse_refused(void **state)
{
    static const char *const bad_addr[] = {"", "/24", "300.1.1.1", "192.0.2", "example.org",
                                           "192.0.2.1 ", " 192.0.2.1", "2001:db8:::1"};
    static const char *const bad_prefix[] = {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1",
                                             "10.0.0.0/+8", "10.0.0.0/08", "10.0.0.0/8 ",
                                             "10.0.0.0/1000", "2001:db8::/129", "2001:db8::/x",
                                             "1.2.3.4/24/8"};
    struct ink_net n;
    char longer[INK_NET_INPUT_MAX + 8];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_addr) / sizeof(bad_addr[0]); i++)
        assert_int_equal(parse(bad_addr[i], &n), INK_NET_E_ADDRESS);
    for (i = 0; i < sizeof(bad_prefix) / sizeof(bad_prefix[0]); i++)
        assert_int_equal(parse(bad_prefix[i], &n), INK_NET_E_PREFIX);
    assert_int_equal(parse("2001:db8::/129", &n), INK_NET_E_PREFIX);
    assert_int_equal(n.family, 6);
    assert_int_equal(parse("192.0.2.1/24", &n), INK_NET_E_HOST_BITS);
    assert_string_equal(net_text(&n), "192.0.2.0/24");
    assert_int_equal(parse("203.0.113.200/25", &n), INK_NET_E_HOST_BITS);
    assert_string_equal(net_text(&n), "203.0.113.128/25");
    assert_int_equal(parse("2001:db8::1/32", &n), INK_NET_E_HOST_BITS);
    assert_string_equal(net_text(&n), "2001:db8::/32");
    assert_int_equal(parse("1.2.3.4/0", &n), INK_NET_E_HOST_BITS);
    assert_string_equal(net_text(&n), "0.0.0.0/0");
    /* a NUL inside the length is no address */
    assert_int_equal(ink_net_parse((const uint8_t *)"10.0.0.1\0/8", 11, &n), INK_NET_E_ADDRESS);
    memset(longer, '1', sizeof(longer));
    assert_int_equal(ink_net_parse((const uint8_t *)longer, sizeof(longer), &n),
                     INK_NET_E_ADDRESS);
    assert_non_null(strstr(ink_net_error_text(INK_NET_E_HOST_BITS), "past the prefix"));
}

/* rules - a rule from text */
static struct ink_mark_rule rule(const char *net, enum ink_mark m)
{
    struct ink_mark_rule r;

    assert_int_equal(parse(net, &r.net), INK_NET_OK);
    r.mark = m;
    return r;
}

/* find - ink_mark_find of a C string */
static long find(const struct ink_mark_rule *r, size_t n, const char *ip)
{
    return ink_mark_find(r, n, ip, strlen(ip));
}

/* the most specific mark holding a source wins, whatever the order */
static void test_match(void **state)
{
    struct ink_mark_rule r[6];
    enum ink_mark m;

    (void)state;
    r[0] = rule("2001:db8::/32", INK_MARK_SPOOF);
    r[1] = rule("198.51.100.0/24", INK_MARK_OURS);
    r[2] = rule("2001:db8::25", INK_MARK_OURS);
    r[3] = rule("198.51.100.128/25", INK_MARK_SPOOF);
    r[4] = rule("198.51.100.7", INK_MARK_OURS);
    r[5] = rule("0.0.0.0/0", INK_MARK_SPOOF);
    assert_int_equal(find(r, 6, "2001:db8::25"), 2);
    assert_int_equal(find(r, 6, "2001:db8::26"), 0);
    assert_int_equal(find(r, 6, "2001:db9::25"), -1); /* no IPv6 catch-all */
    assert_int_equal(find(r, 6, "198.51.100.7"), 4);
    assert_int_equal(find(r, 6, "198.51.100.8"), 1);
    assert_int_equal(find(r, 6, "198.51.100.200"), 3);
    assert_int_equal(find(r, 6, "192.0.2.1"), 5);
    assert_int_equal(find(r, 5, "192.0.2.1"), -1);
    assert_int_equal(find(r, 6, "not-an-ip"), -1);
    assert_int_equal(find(r, 0, "198.51.100.7"), -1);
    /* an IPv4-mapped IPv6 source is inside the IPv4 networks too */
    assert_int_equal(find(r, 6, "::ffff:198.51.100.7"), 4);
    assert_int_equal(find(r, 6, "::ffff:198.51.100.9"), 1);
    /* boundaries of a /25 and a /33 */
    r[0] = rule("203.0.113.128/25", INK_MARK_OURS);
    assert_int_equal(find(r, 1, "203.0.113.127"), -1);
    assert_int_equal(find(r, 1, "203.0.113.128"), 0);
    assert_int_equal(find(r, 1, "203.0.113.255"), 0);
    r[0] = rule("2001:db8:8000::/33", INK_MARK_OURS);
    assert_int_equal(find(r, 1, "2001:db8:7fff:ffff::1"), -1);
    assert_int_equal(find(r, 1, "2001:db8:8000::1"), 0);
    assert_int_equal(find(r, 1, "2001:db8:ffff::1"), 0);
    /* names */
    assert_string_equal(ink_mark_name(INK_MARK_OURS), "ours");
    assert_string_equal(ink_mark_name(INK_MARK_SPOOF), "spoof");
    assert_null(ink_mark_name(INK_MARK_NONE));
    assert_int_equal(ink_mark_from_name("ours", 4, &m), 0);
    assert_int_equal(m, INK_MARK_OURS);
    assert_int_equal(ink_mark_from_name("spoof", 5, &m), 0);
    assert_int_equal(m, INK_MARK_SPOOF);
    assert_int_equal(ink_mark_from_name("Ours", 4, &m), -1);
    assert_int_equal(ink_mark_from_name("ours", 3, &m), -1);
    assert_int_equal(ink_mark_from_name("mine", 4, &m), -1);
}

/* what a mark does to a class, and so to the readiness counts */
static void test_class(void **state)
{
    struct ink_report_readiness r;
    const char *failing = ink_report_source_class(10, 0, 0, 0, 0);   /* unknown */
    const char *passing = ink_report_source_class(52, 52, 40, 52, 0); /* aligned */
    const char *fwd = ink_report_source_class(10, 7, 0, 7, 0);        /* forwarder */

    (void)state;
    assert_string_equal(failing, "unknown");
    assert_string_equal(passing, "aligned");
    assert_string_equal(ink_report_class_marked(failing, INK_MARK_NONE), "unknown");
    assert_string_equal(ink_report_class_marked(failing, INK_MARK_OURS), "legitimate-failing");
    assert_string_equal(ink_report_class_marked(fwd, INK_MARK_OURS), "legitimate-failing");
    assert_string_equal(ink_report_class_marked("legitimate-failing", INK_MARK_OURS),
                        "legitimate-failing");
    assert_string_equal(ink_report_class_marked(passing, INK_MARK_OURS), "aligned");
    assert_string_equal(ink_report_class_marked(passing, INK_MARK_SPOOF), "unknown");
    assert_string_equal(ink_report_class_marked("legitimate-failing", INK_MARK_SPOOF),
                        "unknown");
    assert_string_equal(ink_report_class_marked(fwd, INK_MARK_SPOOF), "unknown");
    /* the failing source marked ours counts as legitimate, no longer as spoofing */
    memset(&r, 0, sizeof(r));
    ink_report_readiness_add(&r, 10, 0, failing);
    assert_int_equal(r.fail_unknown, 10);
    memset(&r, 0, sizeof(r));
    ink_report_readiness_add(&r, 10, 0, ink_report_class_marked(failing, INK_MARK_OURS));
    assert_int_equal(r.fail_legitimate, 10);
    assert_int_equal(r.fail_unknown, 0);
    /* a forwarder marked spoof: its 3 failing messages count as spoofing */
    memset(&r, 0, sizeof(r));
    ink_report_readiness_add(&r, 10, 7, ink_report_class_marked(fwd, INK_MARK_SPOOF));
    assert_int_equal(r.fail_unknown, 3);
    assert_int_equal(r.fail_forwarded, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_refused),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_class),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
