/*
 * test_memzone.c - the in-memory zone answers like a server: NODATA vs
 * NXDOMAIN, empty non-terminals, CNAME chains and loops, wildcards,
 * injected faults; and the memzone resolver backend's async shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_kinds),
        cmocka_unit_test(test_cname_and_wildcard),
        cmocka_unit_test(test_resolver_async),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
