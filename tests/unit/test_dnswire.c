/*
 * test_dnswire.c - the DNS response decoder used by the libunbound
 * backend: records kept (CNAME chain + the type asked), compression,
 * negative TTL from the SOA, and hostile packets (pointer loops, forward
 * pointers, truncation, labels that cannot be represented, bad lengths)
 * refused with a reason rather than read past or looped on.  Also the
 * libunbound backend's argument checking, which needs no server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dnswire.h"
#include "inkan/dnsio.h"

/* A response header: id 0x1234, QR+RD+RA, rcode, counts. */
#define HDR(rcode, qd, an, ns) 0x12, 0x34, 0x81, 0x80 | (rcode), 0, qd, 0, an, 0, ns, 0, 0

/* parse - decode pkt for qtype into a fresh answer; returns it, rc in *rc */
static struct ink_dns_answer *parse(const uint8_t *pkt, size_t len, uint16_t qtype, int *rc,
                                    struct dnswire_info *info, const char **why)
{
    /* an exact-size heap copy, so ASan catches any over-read */
    uint8_t *copy = malloc(len);
    struct ink_dns_answer *a = ink_dns_answer_new("q.example", qtype, INK_DNS_SERVFAIL);

    assert_non_null(copy);
    assert_non_null(a);
    memcpy(copy, pkt, len);
    *why = NULL;
    *rc = dnswire_parse_answer(copy, len, a, info, why);
    free(copy);
    return a;
}

static void test_cname_chain_and_compression(void **state)
{
    static const uint8_t pkt[] = {
        HDR(0, 1, 3, 0),
        /* 12: question www.example.com A IN */
        3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
        /* www CNAME mail.(ptr example.com at 16) */
        0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 7, 4, 'M', 'A', 'I', 'L', 0xc0, 16,
        /* an RRSIG (type 46) to pass over */
        0xc0, 12, 0, 46, 0, 1, 0, 0, 0, 60, 0, 2, 0xaa, 0xbb,
        /* mail.example.com (ptr to the CNAME target at 45) A */
        0xc0, 45, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 25,
    };
    struct dnswire_info info;
    const char *why;
    int rc;
    struct ink_dns_answer *a = parse(pkt, sizeof(pkt), INK_DNS_A, &rc, &info, &why);

    (void)state;
    assert_int_equal(rc, 0);
    assert_int_equal(info.rcode, 0);
    assert_int_equal(a->nrr, 2);
    assert_int_equal(a->rr[0].type, INK_DNS_CNAME);
    assert_string_equal(a->rr[0].owner, "www.example.com");
    assert_string_equal(a->rr[0].name, "mail.example.com");
    assert_int_equal(a->rr[1].type, INK_DNS_A);
    assert_string_equal(a->rr[1].owner, "mail.example.com");
    assert_int_equal(a->rr[1].ttl, 300);
    assert_memory_equal(a->rr[1].addr, "\xc0\x00\x02\x19", 4);
    ink_dns_answer_free(a);
}

static void test_txt_mx_and_negative_ttl(void **state)
{
    static const uint8_t txt[] = {
        HDR(0, 0, 1, 0),
        1, 'q', 0, 0, 16, 0, 1, 0, 0, 0, 9, 0, 8, 3, 'a', 'b', 'c', 0, 2, 0, 'z',
    };
    static const uint8_t mx[] = {
        HDR(0, 0, 1, 0),
        1, 'q', 0, 0, 15, 0, 1, 0, 0, 0, 9, 0, 7, 0, 10, 2, 'm', 'x', 0xc0, 12,
    };
    static const uint8_t nx[] = {
        HDR(3, 0, 0, 1),
        /* authority: q SOA m. r. 1 2 3 4 30, TTL 100 -> negative TTL 30 */
        1, 'q', 0, 0, 6, 0, 1, 0, 0, 0, 100, 0, 26, 1, 'm', 0, 1, 'r', 0,
        0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 30,
    };
    struct dnswire_info info;
    const char *why;
    int rc;
    struct ink_dns_answer *a;

    (void)state;
    a = parse(txt, sizeof(txt), INK_DNS_TXT, &rc, &info, &why);
    assert_int_equal(rc, 0);
    assert_int_equal(a->nrr, 1);
    assert_int_equal(a->rr[0].ntxt, 3);
    assert_int_equal(a->rr[0].txtlen[0], 3);
    assert_int_equal(a->rr[0].txtlen[1], 0);
    assert_memory_equal(a->rr[0].txt[2], "\0z", 2);
    ink_dns_answer_free(a);

    a = parse(mx, sizeof(mx), INK_DNS_MX, &rc, &info, &why);
    assert_int_equal(rc, 0);
    assert_int_equal(a->rr[0].pref, 10);
    assert_string_equal(a->rr[0].name, "mx.q");
    ink_dns_answer_free(a);

    a = parse(nx, sizeof(nx), INK_DNS_A, &rc, &info, &why);
    assert_int_equal(rc, 0);
    assert_int_equal(info.rcode, 3);
    assert_int_equal(a->nrr, 0);
    assert_true(info.have_neg_ttl);
    assert_int_equal(info.neg_ttl, 30);
    ink_dns_answer_free(a);
}

/* expect_bad - pkt is refused with reason want */
static void expect_bad(const uint8_t *pkt, size_t len, uint16_t qtype, const char *want)
{
    struct dnswire_info info;
    const char *why;
    int rc;
    struct ink_dns_answer *a = parse(pkt, len, qtype, &rc, &info, &why);

    assert_int_equal(rc, -1);
    assert_non_null(why);
    assert_string_equal(why, want);
    ink_dns_answer_free(a);
}

static void test_hostile_packets(void **state)
{
    /* owner name that points at itself */
    static const uint8_t loop[] = {HDR(0, 0, 1, 0), 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4};
    /* two pointers pointing at each other, forward and back */
    static const uint8_t pingpong[] = {HDR(0, 0, 1, 0), 0xc0, 14, 0xc0, 12, 0, 1, 0, 1,
                                       0, 0, 0, 1, 0, 4, 1, 2, 3, 4};
    static const uint8_t truncated_hdr[] = {0x12, 0x34, 0x81};
    static const uint8_t label_past_end[] = {HDR(0, 0, 1, 0), 10, 'a', 'b'};
    static const uint8_t pointer_past_end[] = {HDR(0, 0, 1, 0), 0xc0};
    static const uint8_t pointer_outside[] = {HDR(0, 0, 1, 0), 0xc0, 0xff, 0, 1, 0, 1,
                                              0, 0, 0, 1, 0, 4, 1, 2, 3, 4};
    static const uint8_t bad_label_type[] = {HDR(0, 0, 1, 0), 0x40, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4};
    static const uint8_t dot_in_label[] = {HDR(0, 0, 1, 0), 3, 'a', '.', 'b', 0, 0, 1, 0, 1,
                                           0, 0, 0, 1, 0, 4, 1, 2, 3, 4};
    static const uint8_t a_len5[] = {HDR(0, 0, 1, 0), 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 5, 1, 2, 3, 4, 5};
    static const uint8_t rdlen_past_end[] = {HDR(0, 0, 1, 0), 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 9, 1, 2, 3, 4};
    static const uint8_t txt_overrun[] = {HDR(0, 0, 1, 0), 0, 0, 16, 0, 1, 0, 0, 0, 1, 0, 3, 5, 'a', 'b'};
    static const uint8_t cname_slack[] = {HDR(0, 0, 1, 0), 0, 0, 5, 0, 1, 0, 0, 0, 1, 0, 2, 1, 'x', 0};
    static const uint8_t cname_extra[] = {HDR(0, 0, 1, 0), 0, 0, 5, 0, 1, 0, 0, 0, 1, 0, 4, 1, 'x', 0, 7};
    uint8_t longname[12 + 5 * 52 + 1 + 10 + 4];
    size_t i, o = 0;
    const uint8_t hdr[] = {HDR(0, 0, 1, 0)};

    (void)state;
    expect_bad(loop, sizeof(loop), INK_DNS_A, "compression pointer loop");
    expect_bad(pingpong, sizeof(pingpong), INK_DNS_A, "compression pointer loop");
    expect_bad(truncated_hdr, sizeof(truncated_hdr), INK_DNS_A, "packet truncated");
    expect_bad(label_past_end, sizeof(label_past_end), INK_DNS_A,
               "label runs past the end of the packet");
    expect_bad(pointer_past_end, sizeof(pointer_past_end), INK_DNS_A,
               "compression pointer runs past the end of the packet");
    expect_bad(pointer_outside, sizeof(pointer_outside), INK_DNS_A,
               "name runs past the end of the packet");
    expect_bad(bad_label_type, sizeof(bad_label_type), INK_DNS_A, "unknown label type");
    expect_bad(dot_in_label, sizeof(dot_in_label), INK_DNS_A,
               "name with a dot or NUL inside a label");
    expect_bad(a_len5, sizeof(a_len5), INK_DNS_A, "address record of the wrong length");
    expect_bad(rdlen_past_end, sizeof(rdlen_past_end), INK_DNS_A, "packet truncated");
    expect_bad(txt_overrun, sizeof(txt_overrun), INK_DNS_TXT, "TXT string runs past its record");
    expect_bad(cname_slack, sizeof(cname_slack), INK_DNS_A, "record data of the wrong length");
    expect_bad(cname_extra, sizeof(cname_extra), INK_DNS_A, "record data of the wrong length");

    /* a name of 5 labels of 51 bytes: 259 > 253 */
    memcpy(longname, hdr, sizeof(hdr));
    o = sizeof(hdr);
    for (i = 0; i < 5; i++) {
        longname[o++] = 51;
        memset(longname + o, 'a', 51);
        o += 51;
    }
    longname[o++] = 0;
    memcpy(longname + o, "\0\1\0\1\0\0\0\1\0\4\1\2\3\4", 14);
    o += 14;
    expect_bad(longname, o, INK_DNS_A, "name longer than 253 bytes");
}

static void test_unbound_arguments(void **state)
{
    struct ink_str err = INK_STR_INIT;

    (void)state;
    assert_null(ink_resolver_unbound_new("127.0.0.1:0", 1000, 0, &err));
    assert_string_equal(ink_str_cstr(&err),
                        "--dns '127.0.0.1:0': port '0' is not a number from 1 to 65535");
    ink_str_truncate(&err, 0);
    assert_null(ink_resolver_unbound_new("[::1]x", 1000, 0, &err));
    assert_string_equal(ink_str_cstr(&err), "--dns '[::1]x': write an IPv6 address as [ADDR]:PORT");
    ink_str_truncate(&err, 0);
    assert_null(ink_resolver_unbound_new(":53", 1000, 0, &err));
    assert_string_equal(ink_str_cstr(&err), "--dns ':53': no server address");
    ink_str_truncate(&err, 0);
    assert_null(ink_resolver_unbound_new_ta("127.0.0.1", 1000, 0, "/nonexistent/root.key", &err));
    assert_non_null(strstr(ink_str_cstr(&err), "/nonexistent/root.key: "));
    ink_str_free(&err);
}

/* A query for a name that is no domain name is answered (NXDOMAIN, why
 * set) through process(), never sent, never a crash. */
static void test_unbound_invalid_name(void **state)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_resolver *r = ink_resolver_unbound_new("[::1]:9", 500, 1, &err);
    struct ink_dns_answer *a;

    (void)state;
    assert_non_null(r);
    a = ink_resolve_sync(r, "a..b", INK_DNS_TXT);
    assert_non_null(a);
    assert_int_equal(a->status, INK_DNS_NXDOMAIN);
    assert_string_equal(a->why, "not a valid domain name");
    ink_dns_answer_free(a);
    /* free with a query still in flight drops it without running it */
    assert_int_equal(ink_resolver_submit(r, "example.org", INK_DNS_A, NULL, NULL), 0);
    assert_int_equal(ink_resolver_pending(r), 1);
    ink_resolver_free(r);
    ink_str_free(&err);
}

/* The c-ares stub takes --dns values with the same parser and messages,
 * answers a non-name without sending it, and its fd()/timeout() say
 * what a caller's loop needs: a descriptor always, -1 when idle, 0 with
 * an answer waiting for process() */
static void test_cares_arguments_and_hooks(void **state)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_resolver *r;
    struct ink_dns_answer *a;

    (void)state;
    assert_null(ink_resolver_cares_new("127.0.0.1:0", 1000, &err));
    assert_string_equal(ink_str_cstr(&err),
                        "--dns '127.0.0.1:0': port '0' is not a number from 1 to 65535");
    ink_str_truncate(&err, 0);
    assert_null(ink_resolver_cares_new("[::1]x", 1000, &err));
    assert_string_equal(ink_str_cstr(&err), "--dns '[::1]x': write an IPv6 address as [ADDR]:PORT");
    ink_str_truncate(&err, 0);
    assert_null(ink_resolver_cares_new(":53", 1000, &err));
    assert_string_equal(ink_str_cstr(&err), "--dns ':53': no server address");
    ink_str_truncate(&err, 0);
    r = ink_resolver_cares_new("[::1]:9", 500, &err);
    assert_non_null(r);
    assert_true(ink_resolver_fd(r) >= 0);
    assert_int_equal(ink_resolver_timeout(r), -1);
    assert_int_equal(ink_resolver_submit(r, "a..b", INK_DNS_TXT, NULL, NULL), 0);
    assert_int_equal(ink_resolver_timeout(r), 0); /* answered, not delivered */
    ink_resolver_free(r);                          /* dropped unrun */
    r = ink_resolver_cares_new("[::1]:9", 500, &err);
    assert_non_null(r);
    a = ink_resolve_sync(r, "a..b", INK_DNS_TXT);
    assert_non_null(a);
    assert_int_equal(a->status, INK_DNS_NXDOMAIN);
    assert_string_equal(a->why, "not a valid domain name");
    ink_dns_answer_free(a);
    assert_int_equal(ink_resolver_timeout(r), -1);
    /* free with a query at c-ares drops it without running it */
    assert_int_equal(ink_resolver_submit(r, "example.org", INK_DNS_A, NULL, NULL), 0);
    assert_int_equal(ink_resolver_pending(r), 1);
    assert_true(ink_resolver_timeout(r) > 0 && ink_resolver_timeout(r) <= 500);
    ink_resolver_free(r);
    ink_str_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cname_chain_and_compression),
        cmocka_unit_test(test_txt_mx_and_negative_ttl),
        cmocka_unit_test(test_hostile_packets),
        cmocka_unit_test(test_unbound_arguments),
        cmocka_unit_test(test_unbound_invalid_name),
        cmocka_unit_test(test_cares_arguments_and_hooks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
