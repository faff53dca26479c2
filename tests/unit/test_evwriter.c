/*
 * test_evwriter.c - the evaluation writer (inkan/evwriter.h) over a store
 * that can be made to refuse or to stall: rows from several threads all
 * end in the store; with the store refusing, every submit still returns
 * (the rows are in the spool) and a writer started later replays them;
 * with the store stalling longer than the submitters wait, they spool
 * their rows and none is lost or doubled once the spool is replayed; a
 * full queue spools; a spool that cannot be opened fails the start.
 *
 * Nothing here asserts a duration: waits are for a state (bounded, so a
 * broken writer fails the test instead of hanging it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "inkan/evlog.h"
#include "inkan/evwriter.h"
#include "inkan/store.h"

#include "tmpdir.h"

/* ---- a store that refuses or stalls on demand ---- */

static volatile int g_refuse;        /* evaluations_add fails */
static volatile int g_stall;         /* evaluations_add waits until cleared */
static volatile int g_stalled;       /* an add is waiting now */

struct flaky {
    struct ink_store base;
    struct ink_store *real;
};

static int f_add(struct ink_store *s, const struct ink_evrow *rows, size_t n, size_t *added,
                 struct ink_str *err)
{
    struct flaky *f = (struct flaky *)s;

    while (g_stall) {
        g_stalled = 1;
        usleep(1000);
    }
    g_stalled = 0;
    if (g_refuse) {
        ink_str_puts(err, "database is locked (test)");
        return -1;
    }
    return ink_store_evaluations_add(f->real, rows, n, added, err);
}

static void f_free(struct ink_store *s)
{
    struct flaky *f = (struct flaky *)s;

    ink_store_free(f->real);
    free(f);
}

static struct ink_store_ops flaky_ops;

/* open_flaky - the writer's store: the SQLite file at arg, wrapped */
static struct ink_store *open_flaky(void *arg, struct ink_str *err)
{
    struct flaky *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return NULL;
    f->real = ink_store_sqlite_open(arg, err);
    if (f->real == NULL) {
        free(f);
        return NULL;
    }
    flaky_ops = *f->real->ops;
    flaky_ops.evaluations_add = f_add;
    flaky_ops.free = f_free;
    f->base.ops = &flaky_ops;
    return &f->base;
}

/* ---- helpers ---- */

/* mkrow - row i */
static void mkrow(struct ink_evrow *r, unsigned i)
{
    ink_evrow_clear(r);
    snprintf(r->key, sizeof(r->key), "w%u", i);
    r->at = 1000 + i;
    snprintf(r->header_from, sizeof(r->header_from), "example.org");
    snprintf(r->dmarc_result, sizeof(r->dmarc_result), "pass");
}

static int count_row(void *arg, const struct ink_evrow *r)
{
    (void)r;
    (*(size_t *)arg)++;
    return 0;
}

/* stored - rows in the store at path, after the spool (if any) is replayed */
static size_t stored(const char *db, const char *spool)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_store *s = ink_store_sqlite_open(db, &err);
    size_t n = 0;

    assert_non_null(s);
    if (spool != NULL && access(spool, F_OK) == 0)
        assert_int_equal(ink_evspool_replay_file(spool, s, NULL, &err), 0);
    assert_int_equal(ink_store_evaluations_list(s, 0, INT64_MAX, NULL, count_row, &n, &err), 0);
    ink_store_free(s);
    ink_str_free(&err);
    return n;
}

/* start - a writer over the flaky store at db */
static struct ink_evwriter *start(const char *db, const char *spool, unsigned wait_ms,
                                  size_t queue)
{
    struct ink_evwriter_opts o;
    struct ink_str err = INK_STR_INIT;
    struct ink_evwriter *w;

    memset(&o, 0, sizeof(o));
    o.store_path = db;
    o.spool_path = spool;
    o.wait_ms = wait_ms;
    o.queue_max = queue;
    o.retry_ms = 20;
    o.open_store = open_flaky;
    o.open_arg = (void *)db;
    w = ink_evwriter_start(&o, &err);
    if (w == NULL)
        fail_msg("start: %s", ink_str_cstr(&err));
    ink_str_free(&err);
    return w;
}

/* Submitting threads. */
struct sub {
    struct ink_evwriter *w;
    unsigned first, n;
    int failures;
};

static void *submitter(void *arg)
{
    struct sub *s = arg;
    struct ink_evrow r;
    unsigned i;

    for (i = 0; i < s->n; i++) {
        mkrow(&r, s->first + i);
        if (ink_evwriter_submit(s->w, &r) != 0)
            s->failures++;
    }
    return NULL;
}

/* submit_all - n rows from 4 threads; failures */
static int submit_all(struct ink_evwriter *w, unsigned first, unsigned n)
{
    pthread_t th[4];
    struct sub s[4];
    int i, failures = 0;

    for (i = 0; i < 4; i++) {
        s[i].w = w;
        s[i].first = first + (unsigned)i * (n / 4);
        s[i].n = n / 4;
        s[i].failures = 0;
        assert_int_equal(pthread_create(&th[i], NULL, submitter, &s[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        failures += s[i].failures;
    }
    return failures;
}

/* wait_for - poll until cond(w) holds; fails after 20 s (a broken writer) */
static void wait_replayed(struct ink_evwriter *w, uint64_t want)
{
    struct ink_evwriter_stats st;
    int i;

    for (i = 0; i < 20000; i++) {
        ink_evwriter_stats(w, &st);
        if (st.replayed >= want && st.store_up)
            return;
        usleep(1000);
    }
    fail_msg("the writer replayed %llu of %llu rows", (unsigned long long)st.replayed,
             (unsigned long long)want);
}

/* ---- tests ---- */

static void test_store_up(void **state)
{
    char *db = test_tmp_path("up.db"), *spool = test_tmp_path("up.spool");
    struct ink_evwriter *w;
    struct ink_evwriter_stats st;

    (void)state;
    g_refuse = g_stall = 0;
    w = start(db, spool, 5000, 0);
    assert_int_equal(submit_all(w, 0, 400), 0);
    ink_evwriter_stats(w, &st);
    assert_int_equal(st.submitted, 400);
    assert_int_equal(st.stored + st.spooled, 400);
    assert_int_equal(st.failed, 0);
    ink_evwriter_stop(w);
    /* rows spooled while the writer opened the store are replayed here */
    assert_int_equal(stored(db, spool), 400);
    free(db);
    free(spool);
}

static void test_store_refuses(void **state)
{
    char *db = test_tmp_path("down.db"), *spool = test_tmp_path("down.spool");
    struct ink_evwriter *w;
    struct ink_evwriter_stats st;

    (void)state;
    g_stall = 0;
    g_refuse = 1;
    w = start(db, spool, 5000, 0);
    assert_int_equal(submit_all(w, 0, 200), 0);
    ink_evwriter_stats(w, &st);
    assert_int_equal(st.stored, 0);
    assert_int_equal(st.spooled, 200);
    assert_false(st.store_up);
    ink_evwriter_stop(w);
    assert_int_equal(stored(db, NULL), 0); /* nothing reached the store */
    /* the store is back: a new writer replays the spool at start */
    g_refuse = 0;
    w = start(db, spool, 5000, 0);
    wait_replayed(w, 200);
    ink_evwriter_stop(w);
    assert_int_equal(stored(db, NULL), 200);
    free(db);
    free(spool);
}

/* The store stalls past the submitters' wait: they spool and go on; once
 * it is unstuck, every row is there exactly once. */
static void test_store_stalls(void **state)
{
    char *db = test_tmp_path("slow.db"), *spool = test_tmp_path("slow.spool");
    struct ink_evwriter *w;
    struct ink_evwriter_stats st;
    int i;

    (void)state;
    g_refuse = 0;
    w = start(db, spool, 5000, 0);
    assert_int_equal(submit_all(w, 0, 40), 0); /* the writer is up */
    ink_evwriter_stop(w);
    w = start(db, spool, 20, 0);
    {
        struct ink_evrow r;

        /* one row first, so the writer is inside the stalled add */
        mkrow(&r, 1000);
        g_stall = 1;
        for (i = 0; i < 20000 && !g_stalled; i++) {
            (void)ink_evwriter_submit(w, &r);
            usleep(1000);
        }
        assert_true(g_stalled);
    }
    assert_int_equal(submit_all(w, 2000, 100), 0); /* they return: spooled */
    ink_evwriter_stats(w, &st);
    assert_true(st.spooled >= 100);
    g_stall = 0;
    wait_replayed(w, 1);
    ink_evwriter_stop(w);
    /* 40 + row 1000 + 100, none twice (replaying again adds nothing) */
    assert_int_equal(stored(db, spool), 141);
    assert_int_equal(stored(db, spool), 141);
    free(db);
    free(spool);
}

/* A queue of one with the store stalled: the others spool at once. */
static void test_queue_full(void **state)
{
    char *db = test_tmp_path("full.db"), *spool = test_tmp_path("full.spool");
    struct ink_evwriter *w;
    struct ink_evwriter_stats st;

    (void)state;
    g_refuse = g_stall = 0;
    w = start(db, spool, 5000, 1);
    assert_int_equal(submit_all(w, 0, 100), 0);
    ink_evwriter_stats(w, &st);
    assert_int_equal(st.stored + st.spooled, 100);
    ink_evwriter_stop(w);
    assert_int_equal(stored(db, spool), 100);
    free(db);
    free(spool);
}

static void test_bad_spool(void **state)
{
    struct ink_evwriter_opts o;
    struct ink_str err = INK_STR_INIT;

    (void)state;
    memset(&o, 0, sizeof(o));
    o.store_path = "/nonexistent/dir/x.db";
    o.spool_path = "/nonexistent/dir/x.spool";
    assert_null(ink_evwriter_start(&o, &err));
    assert_non_null(strstr(ink_str_cstr(&err), "x.spool"));
    ink_evwriter_stop(NULL);
    ink_str_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_up),
        cmocka_unit_test(test_store_refuses),
        cmocka_unit_test(test_store_stalls),
        cmocka_unit_test(test_queue_full),
        cmocka_unit_test(test_bad_spool),
    };

    return cmocka_run_group_tests(tests, NULL, test_tmpdir_cleanup);
}
