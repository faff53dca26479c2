/*
 * evwriter.c - the writer thread of evaluation rows (inkan/evwriter.h).
 *
 * Submitters (milter threads) put a row in a bounded ring and wait, at
 * most wait_ms, for the writer to say it is durable.  The writer takes
 * what is queued (up to batch_max rows; interval_ms lets a batch fill),
 * adds it in one store transaction and wakes the submitters of the batch.
 * Each waiting submitter holds a ticket the writer marks; a submitter
 * that stops waiting (the store is slow) spools its own copy of the row,
 * fsync'd, and drops its ticket; it also sets bypass, so the submitters
 * after it spool at once instead of each waiting wait_ms.  A batch the
 * store refuses goes to the spool too (by the writer), and the store is
 * marked down.
 *
 * While the store is down or bypassed the writer tries it every retry_ms
 * by replaying the spool (ink_evspool_take, then
 * ink_evspool_replay_file); a replay that works brings the store back.
 * With the store up and nothing queued, a spool that holds rows is
 * replayed too, and at start.  A row both spooled and stored is one row:
 * the store skips a key it has.
 *
 * The store handle is opened and used by the writer thread alone.
 */
#include "inkan/evwriter.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A submitter's wait for its row: both sides hold a reference, the last
 * to let go frees it (under the writer's mutex). */
struct ticket {
    int state;              /* 0 waiting, 1 durable, -1 neither stored nor spooled */
    int refs;
};

/* A queued row and whose it is. */
struct entry {
    struct ink_evrow row;
    struct ticket *t;       /* NULL when the submitter left */
};

struct ink_evwriter {
    struct ink_evwriter_opts o;
    char *store_path, *spool_path;
    struct ink_evspool *spool;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv_work; /* the writer: rows queued, stop */
    pthread_cond_t cv_done; /* submitters: tickets marked */
    struct entry *ring;
    size_t head, count;     /* ring[head] is the oldest queued */
    int bypass;             /* submitters spool at once: the store is down or slow */
    int stop;
    struct ink_evwriter_stats st;
    /* the writer thread's own */
    struct ink_store *store;
    struct entry *batch;
    struct ink_evrow *rows;
    int64_t next_try_ms;    /* store down: when to try again (monotonic) */
};

/* now_ms - the monotonic clock in milliseconds */
static int64_t now_ms(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* deadline - a CLOCK_MONOTONIC timespec ms from now (the condvars use it) */
static struct timespec deadline(int64_t ms)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* say - one log line through the caller's function */
static void say(struct ink_evwriter *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct ink_evwriter *w, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (w->o.log == NULL)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    w->o.log(w->o.log_arg, line);
}

/* ticket_drop - let go of a ticket (mutex held) */
static void ticket_drop(struct ticket *t)
{
    if (t != NULL && --t->refs == 0)
        free(t);
}

/* open_store - the writer's store (writer thread) */
static struct ink_store *open_store(struct ink_evwriter *w, struct ink_str *err)
{
    if (w->o.open_store != NULL)
        return w->o.open_store(w->o.open_arg, err);
    return ink_store_sqlite_open(w->store_path, err);
}

/* store_down - the store failed: spool from now on, try again later
 * with a handle opened anew (the file may have been replaced, its
 * permissions changed) (writer thread, mutex not held) */
static void store_down(struct ink_evwriter *w, const char *why)
{
    int was;

    ink_store_free(w->store);
    w->store = NULL;
    (void)pthread_mutex_lock(&w->mu);
    was = w->st.store_up;
    w->st.store_up = 0;
    w->bypass = 1;
    (void)pthread_mutex_unlock(&w->mu);
    w->next_try_ms = now_ms() + w->o.retry_ms;
    if (was)
        say(w, "store %s: %s; rows go to the spool %s until it is back", w->store_path, why,
            w->spool_path);
}

/* replay - move what the spool holds into the store (writer thread).
 * 0 when the store took it all (or there was nothing), -1 when the store
 * or the spool failed (said why). */
static int replay(struct ink_evwriter *w)
{
    struct ink_str err = INK_STR_INIT;
    char *taken = NULL;
    int rounds;

    /* a leftover PATH.replay first, then the live spool: two takes */
    for (rounds = 0; rounds < 2; rounds++) {
        struct ink_evspool_stats stats;

        ink_str_truncate(&err, 0);
        if (ink_evspool_take(w->spool, &taken, &err) < 0) {
            say(w, "spool: %s", ink_str_cstr(&err));
            ink_str_free(&err);
            return -1;
        }
        if (taken == NULL)
            break;
        if (ink_evspool_replay_file(taken, w->store, &stats, &err) < 0) {
            if (stats.end > 0 && strstr(ink_str_cstr(&err), "corrupt record") != NULL) {
                /* the rows before it are in; keep the file for a person */
                struct ink_str aside = INK_STR_INIT;

                (void)ink_str_printf(&aside, "%s.corrupt-%zu", taken, stats.end);
                (void)rename(taken, ink_str_cstr(&aside));
                say(w, "%s; kept as %s", ink_str_cstr(&err), ink_str_cstr(&aside));
                ink_str_free(&aside);
                free(taken);
                taken = NULL;
                continue;
            }
            store_down(w, ink_str_cstr(&err));
            free(taken);
            ink_str_free(&err);
            return -1;
        }
        (void)unlink(taken);
        (void)pthread_mutex_lock(&w->mu);
        w->st.replayed += stats.added;
        (void)pthread_mutex_unlock(&w->mu);
        if (stats.records > 0)
            say(w, "replayed %zu spooled row%s into the store (%zu new)", stats.records,
                stats.records == 1 ? "" : "s", stats.added);
        free(taken);
        taken = NULL;
    }
    ink_str_free(&err);
    return 0;
}

/* try_store - the store is down or bypassed: open it if need be and
 * replay the spool; on success submitters use it again (writer thread) */
static void try_store(struct ink_evwriter *w)
{
    struct ink_str err = INK_STR_INIT;

    w->next_try_ms = now_ms() + w->o.retry_ms;
    if (w->store == NULL) {
        w->store = open_store(w, &err);
        if (w->store == NULL) {
            store_down(w, ink_str_cstr(&err));
            ink_str_free(&err);
            return;
        }
    }
    ink_str_free(&err);
    if (replay(w) < 0)
        return;
    (void)pthread_mutex_lock(&w->mu);
    if (!w->st.store_up)
        say(w, "store %s is back", w->store_path);
    w->st.store_up = 1;
    w->bypass = 0;
    (void)pthread_mutex_unlock(&w->mu);
}

/* write_batch - n taken entries into the store, else the spool; their
 * tickets are marked (writer thread, mutex not held) */
static void write_batch(struct ink_evwriter *w, size_t n)
{
    struct ink_str err = INK_STR_INIT;
    size_t i;
    int state = 1, stored = 0;

    for (i = 0; i < n; i++)
        w->rows[i] = w->batch[i].row;
    if (w->store != NULL && w->st.store_up &&
        ink_store_evaluations_add(w->store, w->rows, n, NULL, &err) == 0) {
        stored = 1;
    } else {
        if (w->store != NULL)
            store_down(w, err.len > 0 ? ink_str_cstr(&err) : "refused the rows");
        ink_str_truncate(&err, 0);
        if (ink_evspool_append(w->spool, w->rows, n, &err) < 0) {
            say(w, "%s: %zu row%s lost unless their submitters spool them", ink_str_cstr(&err),
                n, n == 1 ? "" : "s");
            state = -1;
        }
    }
    ink_str_free(&err);
    (void)pthread_mutex_lock(&w->mu);
    if (stored)
        w->st.stored += n;
    else if (state > 0)
        w->st.spooled += n;
    for (i = 0; i < n; i++) {
        if (w->batch[i].t != NULL)
            w->batch[i].t->state = state;
        ticket_drop(w->batch[i].t);
        w->batch[i].t = NULL;
    }
    (void)pthread_cond_broadcast(&w->cv_done);
    (void)pthread_mutex_unlock(&w->mu);
}

/* writer_main - the writer thread */
static void *writer_main(void *arg)
{
    struct ink_evwriter *w = arg;

    try_store(w); /* open the store and replay what a crash left */
    (void)pthread_mutex_lock(&w->mu);
    for (;;) {
        size_t n, i;
        int down;

        while (w->count == 0 && !w->stop) {
            int64_t now = now_ms();
            /* spooled rows with the store up: replayed, at most once a
             * retry interval (a replay that cannot take the file must not
             * spin) */
            int idle_replay = w->st.store_up && !w->bypass && now >= w->next_try_ms &&
                              ink_evspool_size(w->spool) > 0;
            struct timespec ts;

            if ((w->bypass || !w->st.store_up) && now >= w->next_try_ms)
                break;
            if (idle_replay)
                break;
            ts = deadline(w->bypass || !w->st.store_up ? w->next_try_ms - now : w->o.retry_ms);
            (void)pthread_cond_timedwait(&w->cv_work, &w->mu, &ts);
        }
        if (w->count == 0 && w->stop)
            break;
        if (w->count == 0) {
            /* nothing queued: the store is to be tried, or the spool replayed */
            (void)pthread_mutex_unlock(&w->mu);
            try_store(w);
            (void)pthread_mutex_lock(&w->mu);
            continue;
        }
        if (w->o.interval_ms > 0 && w->count < w->o.batch_max && !w->stop) {
            struct timespec ts = deadline(w->o.interval_ms);

            while (w->count < w->o.batch_max && !w->stop &&
                   pthread_cond_timedwait(&w->cv_work, &w->mu, &ts) != ETIMEDOUT)
                ;
        }
        n = w->count < w->o.batch_max ? w->count : w->o.batch_max;
        for (i = 0; i < n; i++) {
            w->batch[i] = w->ring[w->head];
            w->ring[w->head].t = NULL;
            w->head = (w->head + 1) % w->o.queue_max;
        }
        w->count -= n;
        down = !w->st.store_up;
        (void)pthread_mutex_unlock(&w->mu);
        if (down && now_ms() >= w->next_try_ms)
            try_store(w);
        write_batch(w, n);
        (void)pthread_mutex_lock(&w->mu);
    }
    (void)pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* clamp - a value, its default when 0, at most max */
static size_t clamp(size_t v, size_t def, size_t max)
{
    if (v == 0)
        v = def;
    return v > max ? max : v;
}

/* ink_evwriter_start - spool open, writer thread running */
struct ink_evwriter *ink_evwriter_start(const struct ink_evwriter_opts *o, struct ink_str *err)
{
    struct ink_evwriter *w = calloc(1, sizeof(*w));
    pthread_condattr_t ca;
    char *note = NULL;

    if (w == NULL) {
        (void)ink_str_puts(err, "out of memory");
        return NULL;
    }
    w->o = *o;
    w->o.batch_max = clamp(o->batch_max, INK_EVWRITER_BATCH_DEFAULT, INK_EVWRITER_BATCH_MAX);
    w->o.queue_max = clamp(o->queue_max, INK_EVWRITER_QUEUE_DEFAULT, INK_EVWRITER_QUEUE_MAX);
    w->o.wait_ms = (unsigned)clamp(o->wait_ms, INK_EVWRITER_WAIT_MS_DEFAULT, INK_EVWRITER_WAIT_MS_MAX);
    w->o.retry_ms = (unsigned)clamp(o->retry_ms, INK_EVWRITER_RETRY_MS_DEFAULT,
                                    INK_EVWRITER_RETRY_MS_MAX);
    w->o.interval_ms = o->interval_ms > INK_EVWRITER_INTERVAL_MS_MAX ? INK_EVWRITER_INTERVAL_MS_MAX
                                                                     : o->interval_ms;
    w->store_path = strdup(o->store_path != NULL ? o->store_path : "");
    w->spool_path = strdup(o->spool_path != NULL ? o->spool_path : "");
    w->ring = calloc(w->o.queue_max, sizeof(*w->ring));
    w->batch = calloc(w->o.batch_max, sizeof(*w->batch));
    w->rows = calloc(w->o.batch_max, sizeof(*w->rows));
    if (w->store_path == NULL || w->spool_path == NULL || w->ring == NULL || w->batch == NULL ||
        w->rows == NULL) {
        (void)ink_str_puts(err, "out of memory");
        goto fail;
    }
    w->o.store_path = w->store_path;
    w->o.spool_path = w->spool_path;
    w->spool = ink_evspool_open(w->spool_path, &note, err);
    if (w->spool == NULL)
        goto fail;
    if (note != NULL) {
        say(w, "spool %s held a corrupt record: moved aside to %s (inkan evaluations replay "
               "adds the rows before it)", w->spool_path, note);
        free(note);
    }
    (void)pthread_mutex_init(&w->mu, NULL);
    (void)pthread_condattr_init(&ca);
    (void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    (void)pthread_cond_init(&w->cv_work, &ca);
    (void)pthread_cond_init(&w->cv_done, &ca);
    (void)pthread_condattr_destroy(&ca);
    w->st.store_up = 1; /* until the first try says otherwise */
    w->bypass = 1;      /* until the writer has opened the store */
    if (pthread_create(&w->th, NULL, writer_main, w) != 0) {
        (void)ink_str_puts(err, "cannot start the evaluation writer thread");
        ink_evspool_close(w->spool);
        w->spool = NULL;
        goto fail;
    }
    return w;
fail:
    free(w->store_path);
    free(w->spool_path);
    free(w->ring);
    free(w->batch);
    free(w->rows);
    free(w);
    return NULL;
}

/* spool_row - the caller's thread appends its row (fsync'd); 0 or -1 */
static int spool_row(struct ink_evwriter *w, const struct ink_evrow *row)
{
    struct ink_str err = INK_STR_INIT;
    int rc = ink_evspool_append(w->spool, row, 1, &err);

    (void)pthread_mutex_lock(&w->mu);
    if (rc == 0)
        w->st.spooled++;
    else
        w->st.failed++;
    (void)pthread_mutex_unlock(&w->mu);
    if (rc < 0)
        say(w, "%s: an evaluation row could not be kept", ink_str_cstr(&err));
    ink_str_free(&err);
    return rc;
}

/* ink_evwriter_submit - the row durable in the store or the spool */
int ink_evwriter_submit(struct ink_evwriter *w, const struct ink_evrow *row)
{
    struct ticket *t;
    struct entry *e;
    struct timespec ts;
    int state, slow;

    (void)pthread_mutex_lock(&w->mu);
    w->st.submitted++;
    if (w->bypass || w->stop || w->count == w->o.queue_max ||
        (t = malloc(sizeof(*t))) == NULL) {
        (void)pthread_mutex_unlock(&w->mu);
        return spool_row(w, row);
    }
    t->state = 0;
    t->refs = 2;
    e = &w->ring[(w->head + w->count) % w->o.queue_max];
    e->row = *row;
    e->t = t;
    w->count++;
    (void)pthread_cond_signal(&w->cv_work);
    ts = deadline(w->o.wait_ms);
    while (t->state == 0 && pthread_cond_timedwait(&w->cv_done, &w->mu, &ts) != ETIMEDOUT)
        ;
    state = t->state;
    slow = state == 0 && !w->bypass;
    if (state == 0) {
        /* the store is slow: this row goes to the spool now, and so do
         * the next ones until the writer has caught up */
        w->bypass = 1;
    }
    ticket_drop(t);
    (void)pthread_mutex_unlock(&w->mu);
    if (state == 1)
        return 0;
    if (slow)
        say(w, "store %s did not take a row within %u ms: rows go to the spool %s until it "
               "catches up", w->store_path, w->o.wait_ms, w->spool_path);
    return spool_row(w, row);
}

/* ink_evwriter_stats - a copy of the counts */
void ink_evwriter_stats(struct ink_evwriter *w, struct ink_evwriter_stats *out)
{
    (void)pthread_mutex_lock(&w->mu);
    *out = w->st;
    (void)pthread_mutex_unlock(&w->mu);
}

/* ink_evwriter_stop - drain, stop, close */
void ink_evwriter_stop(struct ink_evwriter *w)
{
    size_t i;

    if (w == NULL)
        return;
    (void)pthread_mutex_lock(&w->mu);
    w->stop = 1;
    (void)pthread_cond_broadcast(&w->cv_work);
    (void)pthread_mutex_unlock(&w->mu);
    (void)pthread_join(w->th, NULL);
    /* the thread drained the queue before it ended: no ticket is left */
    for (i = 0; i < w->o.queue_max; i++)
        ticket_drop(w->ring[i].t);
    ink_store_free(w->store);
    ink_evspool_close(w->spool);
    (void)pthread_mutex_destroy(&w->mu);
    (void)pthread_cond_destroy(&w->cv_work);
    (void)pthread_cond_destroy(&w->cv_done);
    free(w->store_path);
    free(w->spool_path);
    free(w->ring);
    free(w->batch);
    free(w->rows);
    free(w);
}
