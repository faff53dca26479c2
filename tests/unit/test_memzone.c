/*
 * test_memzone.c - the in-memory zone answers like a server: NODATA vs
 * NXDOMAIN, empty non-terminals, CNAME chains and loops, wildcards,
 * injected faults; and the memzone resolver backend's async shape.
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

#include "inkan/memzone.h"
#include "inkan/resolver.h"

static struct ink_memzone *zone(void)
{
    struct ink_memzone *z = ink_memzone_new();

    assert_non_null(z);
    assert_int_equal(ink_memzone_add_addr_text(z, "Mail.Example.COM.", 300, "192.0.2.1"), 0);
    assert_int_equal(ink_memzone_add_addr_text(z, "mail.example.com", 300, "2001:db8::1"), 0);
    assert_int_equal(ink_memzone_add_mx(z, "example.com", 300, 10, "mail.example.com"), 0);
    assert_int_equal(ink_memzone_add_txt1(z, "example.com", INK_DNS_TXT, 300, "v=spf1 -all", 11), 0);
    assert_int_equal(ink_memzone_add_name(z, "www.example.com", INK_DNS_CNAME, 60, "mail.example.com"), 0);
    assert_int_equal(ink_memzone_add_name(z, "loop1.example.com", INK_DNS_CNAME, 60, "loop2.example.com"), 0);
    assert_int_equal(ink_memzone_add_name(z, "loop2.example.com", INK_DNS_CNAME, 60, "loop1.example.com"), 0);
    assert_int_equal(ink_memzone_add_addr_text(z, "a.b.c.deep.example.com", 60, "192.0.2.9"), 0);
    assert_int_equal(ink_memzone_add_addr_text(z, "*.wild.example.com", 60, "192.0.2.7"), 0);
    assert_int_equal(ink_memzone_set_fault(z, "slow.example.com", 0, INK_DNS_TIMEOUT), 0);
    return z;
}

static void test_status_kinds(void **state)
{
    struct ink_memzone *z = zone();
    struct ink_dns_answer *a;

    (void)state;
    a = ink_memzone_lookup(z, "MAIL.example.com.", INK_DNS_A);
    assert_int_equal(a->status, INK_DNS_OK);
    assert_int_equal(a->nrr, 1);
    assert_memory_equal(a->rr[0].addr, "\xc0\x00\x02\x01", 4);
    ink_dns_answer_free(a);

    a = ink_memzone_lookup(z, "mail.example.com", INK_DNS_TXT);
    assert_int_equal(a->status, INK_DNS_NODATA);
    ink_dns_answer_free(a);

    a = ink_memzone_lookup(z, "nope.example.com", INK_DNS_A);
    assert_int_equal(a->status, INK_DNS_NXDOMAIN);
    ink_dns_answer_free(a);

    /* empty non-terminal */
    a = ink_memzone_lookup(z, "c.deep.example.com", INK_DNS_A);
    assert_int_equal(a->status, INK_DNS_NODATA);
    ink_dns_answer_free(a);

    a = ink_memzone_lookup(z, "slow.example.com", INK_DNS_TXT);
    assert_int_equal(a->status, INK_DNS_TIMEOUT);
    assert_non_null(a->why);
    ink_dns_answer_free(a);

    a = ink_memzone_lookup(z, "bad..name", INK_DNS_A);
    assert_int_equal(a->status, INK_DNS_NXDOMAIN);
    ink_dns_answer_free(a);
    ink_memzone_free(z);
}

static void test_cname_and_wildcard(void **state)
{
    struct ink_memzone *z = zone();
    struct ink_dns_answer *a;

    (void)state;
    a = ink_memzone_lookup(z, "www.example.com", INK_DNS_AAAA);
    assert_int_equal(a->status, INK_DNS_OK);
    assert_int_equal(a->nrr, 2);
    assert_int_equal(a->rr[0].type, INK_DNS_CNAME);
    assert_string_equal(a->rr[0].name, "mail.example.com");
    assert_int_equal(a->rr[1].type, INK_DNS_AAAA);
    ink_dns_answer_free(a);

    a = ink_memzone_lookup(z, "loop1.example.com", INK_DNS_A);
    assert_int_equal(a->status, INK_DNS_SERVFAIL);
    ink_dns_answer_free(a);

    a = ink_memzone_lookup(z, "x.y.wild.example.com", INK_DNS_A);
    assert_int_equal(a->status, INK_DNS_OK);
    assert_string_equal(a->rr[0].owner, "x.y.wild.example.com");
    ink_dns_answer_free(a);
    ink_memzone_free(z);
}

static void collect(void *arg, struct ink_dns_answer *a)
{
    struct ink_dns_answer **slot = arg;

    *slot = a;
}

static void test_resolver_async(void **state)
{
    struct ink_resolver *r = ink_resolver_memzone_new(zone(), 1);
    struct ink_dns_answer *a1 = NULL, *a2 = NULL;

    (void)state;
    assert_int_equal(ink_resolver_submit(r, "example.com", INK_DNS_MX, collect, &a1), 0);
    assert_int_equal(ink_resolver_submit(r, "example.com", INK_DNS_TXT, collect, &a2), 0);
    assert_null(a1); /* never answered inside submit */
    assert_int_equal(ink_resolver_pending(r), 2);
    assert_int_equal(ink_resolver_process(r, 0), 2);
    assert_int_equal(ink_resolver_pending(r), 0);
    assert_string_equal(a1->rr[0].name, "mail.example.com");
    assert_int_equal(a1->rr[0].pref, 10);
    assert_memory_equal(a2->rr[0].txt[0], "v=spf1 -all", 11);
    ink_dns_answer_free(a1);
    ink_dns_answer_free(a2);
    a1 = ink_resolve_sync(r, "nope.example.com", INK_DNS_A);
    assert_int_equal(a1->status, INK_DNS_NXDOMAIN);
    ink_dns_answer_free(a1);
    ink_resolver_free(r);
    ink_resolver_free(NULL);
}

/* seconds since t0 */
static double since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* many records at one owner load in linear time (the record array grew
 * by one before: 20,000 records took 22-31 s under ASan) */
static void test_many_records_one_owner(void **state)
{
    static const uint16_t types[] = {INK_DNS_A, INK_DNS_AAAA, INK_DNS_TXT, INK_DNS_MX, INK_DNS_NS};
    struct ink_memzone *z = ink_memzone_new();
    struct timespec t0;
    char text[64];
    size_t t, i, total = 0;
    struct ink_dns_answer *a;

    (void)state;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
        for (i = 0; i < INK_MEMZONE_TYPE_RR_MAX; i++, total++) {
            int rc;
            switch (types[t]) {
            case INK_DNS_A:
                snprintf(text, sizeof(text), "10.%zu.%zu.1", i / 256, i % 256);
                rc = ink_memzone_add_addr_text(z, "big.example", 60, text);
                break;
            case INK_DNS_AAAA:
                snprintf(text, sizeof(text), "2001:db8::%zx", i + 1);
                rc = ink_memzone_add_addr_text(z, "big.example", 60, text);
                break;
            case INK_DNS_TXT:
                snprintf(text, sizeof(text), "t%zu", i);
                rc = ink_memzone_add_txt1(z, "big.example", INK_DNS_TXT, 60, text, strlen(text));
                break;
            case INK_DNS_MX:
                snprintf(text, sizeof(text), "mx%zu.example", i);
                rc = ink_memzone_add_mx(z, "big.example", 60, 10, text);
                break;
            default:
                snprintf(text, sizeof(text), "ns%zu.example", i);
                rc = ink_memzone_add_name(z, "big.example", INK_DNS_NS, 60, text);
                break;
            }
            assert_int_equal(rc, 0);
        }
    assert_true(total > 20000);
    assert_int_equal(ink_memzone_count(z), total);
    if (since(&t0) > 8.0) /* 22-31 s before; room for a loaded machine */
        fail_msg("%zu records at one owner took %.1f s", total, since(&t0));
    a = ink_memzone_lookup(z, "big.example", INK_DNS_TXT);
    assert_int_equal(a->status, INK_DNS_OK);
    assert_int_equal(a->nrr, INK_MEMZONE_TYPE_RR_MAX);
    ink_dns_answer_free(a);
    ink_memzone_free(z);
}

/* more records of one type at one name than an answer holds are refused
 * when added (they loaded before, then every lookup failed) */
static void test_type_limit(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_dns_answer *a;
    char text[32];
    size_t i;

    (void)state;
    for (i = 0; i < INK_MEMZONE_TYPE_RR_MAX; i++) {
        snprintf(text, sizeof(text), "t%zu", i);
        assert_int_equal(ink_memzone_add_txt1(z, "x.example", INK_DNS_TXT, 60, text, strlen(text)), 0);
    }
    assert_int_equal(ink_memzone_add_txt1(z, "x.example", INK_DNS_TXT, 60, "over", 4),
                     INK_MEMZONE_TOO_MANY);
    /* another type, another name: still fine */
    assert_int_equal(ink_memzone_add_addr_text(z, "x.example", 60, "192.0.2.1"), 0);
    assert_int_equal(ink_memzone_add_txt1(z, "y.example", INK_DNS_TXT, 60, "ok", 2), 0);
    /* what was loaded is answered, also at the end of a CNAME chain */
    assert_int_equal(ink_memzone_add_name(z, "alias.example", INK_DNS_CNAME, 60, "x.example"), 0);
    a = ink_memzone_lookup(z, "alias.example", INK_DNS_TXT);
    assert_int_equal(a->status, INK_DNS_OK);
    assert_int_equal(a->nrr, INK_MEMZONE_TYPE_RR_MAX + 1);
    ink_dns_answer_free(a);
    /* removing them makes room again */
    assert_int_equal(ink_memzone_remove(z, "x.example", INK_DNS_TXT), INK_MEMZONE_TYPE_RR_MAX);
    assert_int_equal(ink_memzone_add_txt1(z, "x.example", INK_DNS_TXT, 60, "again", 5), 0);
    ink_memzone_free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_kinds),
        cmocka_unit_test(test_cname_and_wildcard),
        cmocka_unit_test(test_resolver_async),
        cmocka_unit_test(test_many_records_one_owner),
        cmocka_unit_test(test_type_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
