/*
 * test_dnscache.c - the caching resolver layer: hits served from memory
 * (the backend is not asked again), identical queries in flight joined,
 * failures and TTL 0 never kept, the entry limit, callbacks that submit,
 * names the cache cannot key, and free with callbacks pending; the fd()
 * and timeout() hooks of the memzone backend and of the cache over it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/dnscache.h"
#include "inkan/memzone.h"
#include "inkan/resolver.h"

struct got {
    int calls;
    enum ink_dns_status status;
    size_t nrr;
    uint8_t first4[4];
};

static void got_cb(void *arg, struct ink_dns_answer *a)
{
    struct got *g = arg;

    assert_non_null(a);
    g->calls++;
    g->status = a->status;
    g->nrr = a->nrr;
    if (a->nrr > 0)
        memcpy(g->first4, a->rr[a->nrr - 1].addr, 4);
    ink_dns_answer_free(a);
}

static struct ink_memzone *zone(void)
{
    struct ink_memzone *z = ink_memzone_new();

    assert_non_null(z);
    assert_int_equal(ink_memzone_add_addr_text(z, "mail.example.com", 300, "192.0.2.1"), 0);
    assert_int_equal(ink_memzone_add_addr_text(z, "zero.example.com", 0, "192.0.2.2"), 0);
    assert_int_equal(ink_memzone_add_txt1(z, "example.com", INK_DNS_TXT, 300, "v=spf1 -all", 11), 0);
    assert_int_equal(ink_memzone_set_fault(z, "broken.example.com", 0, INK_DNS_SERVFAIL), 0);
    return z;
}

static void drain(struct ink_resolver *r)
{
    int guard = 0;

    while (ink_resolver_pending(r) > 0) {
        assert_true(ink_resolver_process(r, -1) >= 0);
        assert_true(++guard < 100);
    }
}

static void test_hit_served_from_memory(void **state)
{
    struct ink_memzone *z = zone();
    struct ink_resolver *r = ink_resolver_cache_new(ink_resolver_memzone_new(z, 1), 0);
    struct got g1 = {0}, g2 = {0};
    struct ink_dnscache_stats st;

    (void)state;
    assert_non_null(r);
    assert_int_equal(ink_resolver_submit(r, "Mail.Example.com.", INK_DNS_A, got_cb, &g1), 0);
    assert_int_equal(g1.calls, 0); /* never inside submit */
    drain(r);
    assert_int_equal(g1.calls, 1);
    assert_int_equal(g1.status, INK_DNS_OK);
    /* The backend's data goes away: the cached answer still comes back. */
    assert_int_equal(ink_memzone_remove(z, "mail.example.com", 0), 1);
    assert_int_equal(ink_resolver_submit(r, "mail.example.com", INK_DNS_A, got_cb, &g2), 0);
    assert_int_equal(g2.calls, 0);
    assert_int_equal(ink_resolver_pending(r), 1);
    drain(r);
    assert_int_equal(g2.calls, 1);
    assert_int_equal(g2.status, INK_DNS_OK);
    assert_memory_equal(g2.first4, "\xc0\x00\x02\x01", 4);
    ink_resolver_cache_stats(r, &st);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.misses, 1);
    /* Another type of the same name is another key. */
    assert_int_equal(ink_resolver_submit(r, "mail.example.com", INK_DNS_AAAA, got_cb, &g2), 0);
    drain(r);
    assert_int_not_equal(g2.status, INK_DNS_OK); /* removed from the zone, not cached */
    ink_resolver_free(r);
}

static void test_inflight_joined(void **state)
{
    struct ink_resolver *r = ink_resolver_cache_new(ink_resolver_memzone_new(zone(), 1), 0);
    struct got g[5];
    struct ink_dnscache_stats st;
    int i;

    (void)state;
    memset(g, 0, sizeof(g));
    for (i = 0; i < 5; i++)
        assert_int_equal(ink_resolver_submit(r, "example.com", INK_DNS_TXT, got_cb, &g[i]), 0);
    assert_int_equal(ink_resolver_pending(r), 5);
    drain(r);
    for (i = 0; i < 5; i++) {
        assert_int_equal(g[i].calls, 1);
        assert_int_equal(g[i].status, INK_DNS_OK);
        assert_int_equal(g[i].nrr, 1);
    }
    ink_resolver_cache_stats(r, &st);
    assert_int_equal(st.misses, 1);
    assert_int_equal(st.joined, 4);
    ink_resolver_free(r);
}

static void test_failures_and_ttl0_not_kept(void **state)
{
    struct ink_memzone *z = zone();
    struct ink_resolver *r = ink_resolver_cache_new(ink_resolver_memzone_new(z, 1), 0);
    struct got g = {0};
    struct ink_dnscache_stats st;

    (void)state;
    assert_int_equal(ink_resolver_submit(r, "broken.example.com", INK_DNS_TXT, got_cb, &g), 0);
    drain(r);
    assert_int_equal(g.status, INK_DNS_SERVFAIL);
    assert_int_equal(ink_resolver_submit(r, "broken.example.com", INK_DNS_TXT, got_cb, &g), 0);
    drain(r);
    assert_int_equal(g.status, INK_DNS_SERVFAIL);
    assert_int_equal(ink_resolver_submit(r, "zero.example.com", INK_DNS_A, got_cb, &g), 0);
    drain(r);
    assert_int_equal(g.status, INK_DNS_OK);
    assert_int_equal(ink_memzone_remove(z, "zero.example.com", 0), 1);
    assert_int_equal(ink_resolver_submit(r, "zero.example.com", INK_DNS_A, got_cb, &g), 0);
    drain(r);
    assert_int_not_equal(g.status, INK_DNS_OK); /* asked again: TTL 0 was not kept */
    ink_resolver_cache_stats(r, &st);
    assert_int_equal(st.hits, 0);
    assert_int_equal(st.misses, 4);
    assert_int_equal(st.entries, 0);
    ink_resolver_free(r);
}

static void test_entry_limit(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_resolver *r;
    struct got g = {0};
    struct ink_dnscache_stats st;
    char name[64];
    int i;

    (void)state;
    for (i = 0; i < 50; i++) {
        snprintf(name, sizeof(name), "h%d.example.com", i);
        assert_int_equal(ink_memzone_add_addr_text(z, name, 300, "192.0.2.3"), 0);
    }
    r = ink_resolver_cache_new(ink_resolver_memzone_new(z, 1), 8);
    for (i = 0; i < 50; i++) {
        snprintf(name, sizeof(name), "h%d.example.com", i);
        assert_int_equal(ink_resolver_submit(r, name, INK_DNS_A, got_cb, &g), 0);
        drain(r);
    }
    ink_resolver_cache_stats(r, &st);
    assert_int_equal(st.entries, 8);
    /* the newest are kept, the oldest went */
    assert_int_equal(ink_resolver_submit(r, "h49.example.com", INK_DNS_A, got_cb, &g), 0);
    assert_int_equal(ink_resolver_submit(r, "h0.example.com", INK_DNS_A, got_cb, &g), 0);
    drain(r);
    ink_resolver_cache_stats(r, &st);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.misses, 51);
    ink_resolver_free(r);
}

/* A chain of queries submitted from inside callbacks. */
struct chain {
    struct ink_resolver *r;
    int left;
    int answered;
};

static void chain_cb(void *arg, struct ink_dns_answer *a)
{
    struct chain *c = arg;

    assert_non_null(a);
    assert_int_equal(a->status, INK_DNS_OK);
    ink_dns_answer_free(a);
    c->answered++;
    if (c->left-- > 0)
        assert_int_equal(ink_resolver_submit(c->r, "example.com", INK_DNS_TXT, chain_cb, c), 0);
}

static void test_submit_from_callback(void **state)
{
    struct chain c;

    (void)state;
    c.r = ink_resolver_cache_new(ink_resolver_memzone_new(zone(), 1), 0);
    c.left = 20;
    c.answered = 0;
    assert_int_equal(ink_resolver_submit(c.r, "example.com", INK_DNS_TXT, chain_cb, &c), 0);
    drain(c.r);
    assert_int_equal(c.answered, 21);
    ink_resolver_free(c.r);
}

static void test_bad_names_and_free_pending(void **state)
{
    struct ink_resolver *r = ink_resolver_cache_new(ink_resolver_memzone_new(zone(), 1), 0);
    struct got g = {0}, never = {0};
    char longlabel[80];

    (void)state;
    memset(longlabel, 'a', 70);
    strcpy(longlabel + 70, ".example");
    assert_int_equal(ink_resolver_submit(r, longlabel, INK_DNS_TXT, got_cb, &g), 0);
    assert_int_equal(ink_resolver_pending(r), 1);
    drain(r);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.status, INK_DNS_NXDOMAIN);
    /* freed with a hit queued and a query in flight: no callback, no leak */
    assert_int_equal(ink_resolver_submit(r, "mail.example.com", INK_DNS_A, got_cb, &never), 0);
    assert_int_equal(ink_resolver_submit(r, "mail.example.com", INK_DNS_A, got_cb, &never), 0);
    ink_resolver_free(r);
    assert_int_equal(never.calls, 0);
    ink_resolver_free(NULL);
}

/* fd()/timeout(): the memzone has no descriptor; timeout() is 0 while
 * answers wait for process() and -1 when nothing is pending, directly and
 * through the cache (a hit queued in the cache counts as work too) */
static void test_fd_and_timeout(void **state)
{
    struct ink_resolver *m = ink_resolver_memzone_new(zone(), 1);
    struct ink_resolver *r;
    struct got g = {0};

    (void)state;
    assert_non_null(m);
    assert_int_equal(ink_resolver_fd(m), -1);
    assert_int_equal(ink_resolver_timeout(m), -1);
    assert_int_equal(ink_resolver_submit(m, "mail.example.com", INK_DNS_A, got_cb, &g), 0);
    assert_int_equal(ink_resolver_timeout(m), 0);
    drain(m);
    assert_int_equal(ink_resolver_timeout(m), -1);
    assert_non_null(m->ops->fd);      /* the table says it, not the default */
    assert_non_null(m->ops->timeout);

    r = ink_resolver_cache_new(m, 0);
    assert_non_null(r);
    assert_int_equal(ink_resolver_fd(r), -1);
    assert_int_equal(ink_resolver_timeout(r), -1);
    /* a miss: the backend has it queued */
    assert_int_equal(ink_resolver_submit(r, "mail.example.com", INK_DNS_A, got_cb, &g), 0);
    assert_int_equal(ink_resolver_timeout(r), 0);
    drain(r);
    assert_int_equal(ink_resolver_timeout(r), -1);
    /* a hit: queued in the cache itself, the backend idle */
    assert_int_equal(ink_resolver_submit(r, "mail.example.com", INK_DNS_A, got_cb, &g), 0);
    assert_int_equal(ink_resolver_pending(m), 0);
    assert_int_equal(ink_resolver_timeout(r), 0);
    drain(r);
    assert_int_equal(ink_resolver_timeout(r), -1);
    assert_int_equal(g.calls, 3);
    ink_resolver_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_served_from_memory),
        cmocka_unit_test(test_inflight_joined),
        cmocka_unit_test(test_failures_and_ttl0_not_kept),
        cmocka_unit_test(test_entry_limit),
        cmocka_unit_test(test_submit_from_callback),
        cmocka_unit_test(test_bad_names_and_free_pending),
        cmocka_unit_test(test_fd_and_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
