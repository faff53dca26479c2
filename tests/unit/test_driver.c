/*
 * test_driver.c - the one driver (inkan/driver.h) with machines made for
 * the test: answers reach the right machine and token, identical
 * questions go to the resolver once, the cache answers repeats (and keeps
 * NXDOMAIN but not SERVFAIL), no_cache asks again, the in-flight limit
 * holds, a silent resolver times out into NULL answers, done callbacks
 * add machines (batches), a machine waiting for input stalls run() until
 * poked, fd()/timeout() for outside event loops, and ink_drive_sync.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/driver.h"
#include "inkan/memzone.h"
#include "inkan/resolver.h"

/* ---- a counting resolver in front of the memzone one ---- */

struct counting {
    struct ink_resolver base;
    struct ink_resolver *below;
    size_t submitted;
    size_t max_pending;
    int silent;       /* hold every query until released */
    int released;
    struct held { char name[64]; uint16_t type; ink_resolver_cb cb; void *arg; } held[64];
    size_t nheld;
};

/* A negative answer of the memzone carries no TTL (it has no SOA); the
 * counting resolver gives NXDOMAIN the 60 s a server's SOA would. */
struct wrap {
    ink_resolver_cb cb;
    void *arg;
};

static void wrap_cb(void *arg, struct ink_dns_answer *a)
{
    struct wrap w = *(struct wrap *)arg;

    free(arg);
    if (a != NULL && a->status == INK_DNS_NXDOMAIN && a->ttl == 0)
        a->ttl = 60;
    w.cb(w.arg, a);
}

static int cnt_submit(struct ink_resolver *r, const char *name, uint16_t type,
                      ink_resolver_cb cb, void *arg)
{
    struct counting *c = (struct counting *)r;
    int rc;

    c->submitted++;
    if (c->silent) {
        assert_true(c->nheld < 64);
        snprintf(c->held[c->nheld].name, sizeof c->held[0].name, "%s", name);
        c->held[c->nheld].type = type;
        c->held[c->nheld].cb = cb;
        c->held[c->nheld].arg = arg;
        c->nheld++;
        return 0;
    }
    struct wrap *w = malloc(sizeof(*w));
    assert_non_null(w);
    w->cb = cb;
    w->arg = arg;
    rc = ink_resolver_submit(c->below, name, type, wrap_cb, w);
    if (ink_resolver_pending(c->below) > c->max_pending)
        c->max_pending = ink_resolver_pending(c->below);
    return rc;
}

static int cnt_process(struct ink_resolver *r, int timeout_ms)
{
    struct counting *c = (struct counting *)r;

    if (c->silent && c->released) {
        size_t i, n = c->nheld;
        c->nheld = 0;
        for (i = 0; i < n; i++)
            c->held[i].cb(c->held[i].arg,
                          ink_dns_answer_new(c->held[i].name, c->held[i].type, INK_DNS_NXDOMAIN));
        return (int)n;
    }
    return ink_resolver_process(c->below, c->silent ? 0 : timeout_ms);
}

static size_t cnt_pending(const struct ink_resolver *r)
{
    const struct counting *c = (const struct counting *)r;

    return c->nheld + ink_resolver_pending(c->below);
}

static void cnt_free(struct ink_resolver *r)
{
    struct counting *c = (struct counting *)r;

    ink_resolver_free(c->below);
    free(c);
}

static const struct ink_resolver_ops cnt_ops = {
    "counting", cnt_submit, cnt_process, cnt_pending, cnt_free, NULL, NULL,
};

static struct counting *counting_new(void)
{
    struct ink_memzone *z = ink_memzone_new();
    struct counting *c = calloc(1, sizeof(*c));

    assert_non_null(z);
    assert_non_null(c);
    assert_int_equal(ink_memzone_add_addr_text(z, "a.example", 300, "192.0.2.1"), 0);
    assert_int_equal(ink_memzone_add_addr_text(z, "b.example", 300, "192.0.2.2"), 0);
    assert_int_equal(ink_memzone_add_addr_text(z, "zero.example", 0, "192.0.2.3"), 0);
    for (int i = 0; i < 20; i++) {
        char n[32];
        snprintf(n, sizeof n, "h%d.example", i);
        assert_int_equal(ink_memzone_add_addr_text(z, n, 300, "192.0.2.9"), 0);
    }
    assert_int_equal(ink_memzone_set_fault(z, "fail.example", 0, INK_DNS_SERVFAIL), 0);
    c->base.ops = &cnt_ops;
    c->below = ink_resolver_memzone_new(z, 1);
    assert_non_null(c->below);
    return c;
}

/* ---- a test machine: asks its names (all at once or one at a time) ---- */

#define TM_NAMES_MAX 32

struct tmach {
    const char *names[TM_NAMES_MAX];
    size_t n, asked, fed;
    int one_at_a_time;
    int need_input;   /* waits, asking nothing, until input is set */
    int input;
    enum ink_dns_status got[TM_NAMES_MAX]; /* -1 (as int): NULL answer */
    int got_null[TM_NAMES_MAX];
    int fed_twice;
};

static enum ink_next tm_next(void *self, struct ink_query *q)
{
    struct tmach *t = self;

    if (t->need_input && !t->input)
        return INK_NEXT_WAIT;
    if (t->asked < t->n && (!t->one_at_a_time || t->fed == t->asked)) {
        q->name = t->names[t->asked];
        q->type = INK_DNS_A;
        q->token = (uint32_t)t->asked + 100;
        t->asked++;
        return INK_NEXT_READY;
    }
    return t->fed == t->n ? INK_NEXT_DONE : INK_NEXT_WAIT;
}

static int tm_feed(void *self, uint32_t token, const struct ink_dns_answer *a)
{
    struct tmach *t = self;
    size_t i = token - 100;

    if (token < 100 || i >= t->asked)
        return -1;
    if (t->got_null[i] || t->got[i] != 0)
        t->fed_twice = 1;
    if (a == NULL) {
        t->got_null[i] = 1;
    } else {
        assert_true(ink_query_answer_fits(a, t->names[i], INK_DNS_A));
        t->got[i] = a->status == INK_DNS_OK ? 100 : a->status;
    }
    t->fed++;
    return 0;
}

static const struct ink_machine_ops tm_ops = {"test", tm_next, tm_feed};

static struct ink_machine tm_machine(struct tmach *t)
{
    struct ink_machine m = {&tm_ops, t};
    return m;
}

static void count_done(void *arg, struct ink_machine m, enum ink_next how)
{
    (void)m;
    assert_int_equal(how, INK_NEXT_DONE);
    (*(int *)arg)++;
}

static void test_answers_reach_tokens(void **state)
{
    struct counting *c = counting_new();
    struct tmach t = {.names = {"a.example", "b.example", "nope.example", "fail.example"}, .n = 4};
    (void)state;

    assert_int_equal(ink_drive_sync(&c->base, tm_machine(&t), NULL), INK_NEXT_DONE);
    assert_int_equal(t.got[0], 100);
    assert_int_equal(t.got[1], 100);
    assert_int_equal(t.got[2], INK_DNS_NXDOMAIN);
    assert_int_equal(t.got[3], INK_DNS_SERVFAIL);
    assert_false(t.fed_twice);
    cnt_free(&c->base);
}

static void test_dedup_and_cache(void **state)
{
    struct counting *c = counting_new();
    struct tmach t1 = {.names = {"a.example", "A.Example.", "nope.example", "fail.example"}, .n = 4};
    struct tmach t2 = {.names = {"a.example", "nope.example", "fail.example"}, .n = 3};
    struct tmach t3 = {.names = {"a.example", "nope.example", "fail.example", "zero.example"}, .n = 4};
    struct ink_driver *d = ink_driver_new(&c->base, NULL);
    struct ink_driver_stats st;
    int done = 0;
    (void)state;

    assert_non_null(d);
    /* t1 and t2 at once: one question per distinct name */
    assert_int_equal(ink_driver_add(d, tm_machine(&t1), count_done, &done), 0);
    assert_int_equal(ink_driver_add(d, tm_machine(&t2), count_done, &done), 0);
    assert_int_equal(ink_driver_run(d), 0);
    assert_int_equal(done, 2);
    assert_int_equal(c->submitted, 3);
    assert_int_equal(t1.got[1], 100); /* case and trailing dot ignored */
    /* t3 later: a and the NXDOMAIN from the cache, the SERVFAIL and the
     * TTL-0 answer asked */
    assert_int_equal(ink_driver_add(d, tm_machine(&t3), count_done, &done), 0);
    assert_int_equal(ink_driver_run(d), 0);
    assert_int_equal(c->submitted, 5); /* fail (never kept) and zero */
    assert_int_equal(t3.got[1], INK_DNS_NXDOMAIN);
    assert_int_equal(t3.got[2], INK_DNS_SERVFAIL);
    assert_int_equal(t3.got[3], 100);
    ink_driver_stats(d, &st);
    assert_int_equal(st.machines, 3);
    assert_int_equal(st.queries, 11);
    assert_int_equal(st.sent, 5);
    assert_int_equal(st.cache_hits, 2);  /* t3's a and nope */
    assert_int_equal(st.joined, 4);      /* t1's A.Example. and all of t2 */
    ink_driver_free(d);
    cnt_free(&c->base);
}

static void test_no_cache(void **state)
{
    struct counting *c = counting_new();
    struct ink_driver_opts o = {0};
    struct tmach t1 = {.names = {"a.example"}, .n = 1}, t2 = {.names = {"a.example"}, .n = 1};
    struct ink_driver *d;
    int done = 0;
    (void)state;

    o.no_cache = 1;
    d = ink_driver_new(&c->base, &o);
    assert_int_equal(ink_driver_add(d, tm_machine(&t1), count_done, &done), 0);
    assert_int_equal(ink_driver_run(d), 0);
    assert_int_equal(ink_driver_add(d, tm_machine(&t2), count_done, &done), 0);
    assert_int_equal(ink_driver_run(d), 0);
    assert_int_equal(c->submitted, 2);
    ink_driver_free(d);
    cnt_free(&c->base);
}

static void test_inflight_limit(void **state)
{
    struct counting *c = counting_new();
    struct ink_driver_opts o = {0};
    struct tmach t = {.names = {0}, .n = 20};
    char names[20][32];
    (void)state;

    for (int i = 0; i < 20; i++) {
        snprintf(names[i], sizeof names[i], "h%d.example", i);
        t.names[i] = names[i];
    }
    o.inflight_max = 3;
    assert_int_equal(ink_drive_sync(&c->base, tm_machine(&t), &o), INK_NEXT_DONE);
    assert_int_equal(c->submitted, 20);
    assert_true(c->max_pending <= 3);
    for (int i = 0; i < 20; i++)
        assert_int_equal(t.got[i], 100);
    cnt_free(&c->base);
}

static void test_timeout_feeds_null(void **state)
{
    struct counting *c = counting_new();
    struct ink_driver_opts o = {0};
    struct tmach t = {.names = {"a.example", "b.example"}, .n = 2};
    struct ink_driver *d;
    struct ink_driver_stats st;
    int done = 0;
    (void)state;

    c->silent = 1;
    o.timeout_ms = 50;
    d = ink_driver_new(&c->base, &o);
    assert_int_equal(ink_driver_add(d, tm_machine(&t), count_done, &done), 0);
    assert_int_equal(ink_driver_run(d), 0);
    assert_int_equal(done, 1);
    assert_true(t.got_null[0] && t.got_null[1]);
    ink_driver_stats(d, &st);
    assert_int_equal(st.timeouts, 2);
    /* the late answers are dropped at free, which waits for them */
    c->released = 1;
    ink_driver_free(d);
    assert_int_equal(c->nheld, 0);
    cnt_free(&c->base);
}

/* batch: the done callback adds the next machine, two in flight */
struct batch {
    struct ink_driver *d;
    struct tmach t[10];
    size_t next, ended, max_running;
};

static void batch_done(void *arg, struct ink_machine m, enum ink_next how)
{
    struct batch *b = arg;
    (void)m;

    assert_int_equal(how, INK_NEXT_DONE);
    b->ended++;
    if (ink_driver_running(b->d) > b->max_running)
        b->max_running = ink_driver_running(b->d);
    if (b->next < 10)
        assert_int_equal(ink_driver_add(b->d, tm_machine(&b->t[b->next++]), batch_done, b), 0);
}

static void test_batch_from_callbacks(void **state)
{
    struct counting *c = counting_new();
    struct batch b;
    (void)state;

    memset(&b, 0, sizeof b);
    for (int i = 0; i < 10; i++) {
        b.t[i].names[0] = i % 2 ? "a.example" : "b.example";
        b.t[i].names[1] = "nope.example";
        b.t[i].n = 2;
        b.t[i].one_at_a_time = 1;
    }
    b.d = ink_driver_new(&c->base, NULL);
    assert_int_equal(ink_driver_add(b.d, tm_machine(&b.t[0]), batch_done, &b), 0);
    assert_int_equal(ink_driver_add(b.d, tm_machine(&b.t[1]), batch_done, &b), 0);
    b.next = 2;
    assert_int_equal(ink_driver_run(b.d), 0);
    assert_int_equal(b.ended, 10);
    assert_true(b.max_running <= 2);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(b.t[i].got[0], 100);
        assert_int_equal(b.t[i].got[1], INK_DNS_NXDOMAIN);
    }
    assert_int_equal(c->submitted, 3);
    ink_driver_free(b.d);
    cnt_free(&c->base);
}

static void test_stall_and_poke(void **state)
{
    struct counting *c = counting_new();
    struct tmach t = {.names = {"a.example"}, .n = 1};
    struct ink_driver *d = ink_driver_new(&c->base, NULL);
    int done = 0;
    (void)state;

    t.need_input = 1;
    assert_int_equal(ink_driver_add(d, tm_machine(&t), count_done, &done), 0);
    assert_int_equal(ink_driver_timeout(d), 0); /* a new machine: work now */
    assert_int_equal(ink_driver_run(d), -1);    /* waits for input */
    assert_int_equal(ink_driver_running(d), 1);
    assert_int_equal(ink_driver_timeout(d), -1);
    t.input = 1;
    assert_int_equal(ink_driver_poke(d, tm_machine(&t)), 0);
    assert_int_equal(ink_driver_run(d), 0);
    assert_int_equal(done, 1);
    assert_int_equal(ink_driver_poke(d, tm_machine(&t)), -1);
    assert_int_equal(ink_driver_fd(d), -1); /* the memzone has no descriptor */
    ink_driver_free(d);
    cnt_free(&c->base);
}

/* a machine that ends with queries still out, and feeds of stale tokens */
static enum ink_next quit_next(void *self, struct ink_query *q)
{
    int *n = self;

    if (*n == 0) {
        (*n)++;
        q->name = "a.example";
        q->type = INK_DNS_A;
        q->token = 7;
        return INK_NEXT_READY;
    }
    return INK_NEXT_FAILED;
}

static int quit_feed(void *self, uint32_t token, const struct ink_dns_answer *a)
{
    (void)self;
    (void)token;
    (void)a;
    fail_msg("a machine that ended is never fed");
    return -1;
}

static const struct ink_machine_ops quit_ops = {"quit", quit_next, quit_feed};

static void test_machine_ends_with_queries_out(void **state)
{
    struct counting *c = counting_new();
    int n = 0;
    struct ink_machine m = {&quit_ops, &n};
    (void)state;

    assert_int_equal(ink_drive_sync(&c->base, m, NULL), INK_NEXT_FAILED);
    cnt_free(&c->base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers_reach_tokens),
        cmocka_unit_test(test_dedup_and_cache),
        cmocka_unit_test(test_no_cache),
        cmocka_unit_test(test_inflight_limit),
        cmocka_unit_test(test_timeout_feeds_null),
        cmocka_unit_test(test_batch_from_callbacks),
        cmocka_unit_test(test_stall_and_poke),
        cmocka_unit_test(test_machine_ends_with_queries_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
