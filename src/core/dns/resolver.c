/*
 * resolver.c - the resolver interface's dispatch helpers and the in-memory
 * backend (answers from a struct ink_memzone).  No I/O: the memzone backend
 * queues answers at submit() and hands them out in process(), so callers
 * see the same asynchronous shape as with a real server.
 */
#include "inkan/resolver.h"

#include <stdlib.h>
#include <string.h>

/* ink_resolver_submit - queue a query */
int ink_resolver_submit(struct ink_resolver *r, const char *name, uint16_t type,
                        ink_resolver_cb cb, void *arg)
{
    return r->ops->submit(r, name, type, cb, arg);
}

/* ink_resolver_process - run callbacks of answers that arrived */
int ink_resolver_process(struct ink_resolver *r, int timeout_ms)
{
    return r->ops->process(r, timeout_ms);
}

/* ink_resolver_pending - queries not answered yet */
size_t ink_resolver_pending(const struct ink_resolver *r)
{
    return r->ops->pending(r);
}

/* ink_resolver_free - release a backend */
void ink_resolver_free(struct ink_resolver *r)
{
    if (r != NULL)
        r->ops->free(r);
}

/* ink_resolver_fd - the backend's descriptor, or -1 */
int ink_resolver_fd(const struct ink_resolver *r)
{
    return r->ops->fd != NULL ? r->ops->fd(r) : -1;
}

/* ink_resolver_timeout - ms until process() is due; -1 when idle */
int ink_resolver_timeout(const struct ink_resolver *r)
{
    if (r->ops->timeout != NULL)
        return r->ops->timeout(r);
    return r->ops->pending(r) > 0 ? 0 : -1;
}

struct sync_slot {
    int done;
    struct ink_dns_answer *answer;
};

/* sync_cb - store the answer for ink_resolve_sync */
static void sync_cb(void *arg, struct ink_dns_answer *answer)
{
    struct sync_slot *slot = arg;

    slot->answer = answer;
    slot->done = 1;
}

/* ink_resolve_sync - one query, answered before return; caller owns it */
struct ink_dns_answer *ink_resolve_sync(struct ink_resolver *r, const char *name,
                                        uint16_t type)
{
    struct sync_slot slot = {0, NULL};

    if (ink_resolver_submit(r, name, type, sync_cb, &slot) < 0)
        return NULL;
    while (!slot.done)
        if (ink_resolver_process(r, -1) < 0)
            break;
    return slot.answer;
}

/* ---- the in-memory backend ---- */

struct mz_pending {
    struct ink_dns_answer *answer;
    ink_resolver_cb cb;
    void *arg;
};

struct mz_resolver {
    struct ink_resolver base;
    struct ink_memzone *zone;
    int own;
    struct mz_pending *q; /* FIFO of answered-but-not-delivered queries */
    size_t head, count, cap;
};

/* mz_submit - look the query up now, deliver it in process() */
static int mz_submit(struct ink_resolver *r, const char *name, uint16_t type,
                     ink_resolver_cb cb, void *arg)
{
    struct mz_resolver *m = (struct mz_resolver *)r;
    struct ink_dns_answer *a;

    if (m->head + m->count == m->cap) {
        if (m->head > 0) {
            memmove(m->q, m->q + m->head, m->count * sizeof(*m->q));
            m->head = 0;
        } else {
            size_t ncap = m->cap ? m->cap * 2 : 16;
            struct mz_pending *nq;
            if (ncap < m->cap || ncap > SIZE_MAX / sizeof(*nq))
                return -1;
            nq = realloc(m->q, ncap * sizeof(*nq));
            if (nq == NULL)
                return -1;
            m->q = nq;
            m->cap = ncap;
        }
    }
    a = ink_memzone_lookup(m->zone, name, type);
    if (a == NULL)
        return -1;
    m->q[m->head + m->count].answer = a;
    m->q[m->head + m->count].cb = cb;
    m->q[m->head + m->count].arg = arg;
    m->count++;
    return 0;
}

/* mz_process - deliver the answers queued so far (not those queued by the
 * callbacks themselves, so one call always ends) */
static int mz_process(struct ink_resolver *r, int timeout_ms)
{
    struct mz_resolver *m = (struct mz_resolver *)r;
    size_t n = m->count, i;

    (void)timeout_ms;
    for (i = 0; i < n; i++) {
        struct mz_pending p = m->q[m->head];
        m->head++;
        m->count--;
        if (m->count == 0)
            m->head = 0;
        p.cb(p.arg, p.answer);
    }
    return (int)(n > (size_t)INT32_MAX ? INT32_MAX : n);
}

/* mz_pending_count - queued answers */
static size_t mz_pending_count(const struct ink_resolver *r)
{
    return ((const struct mz_resolver *)r)->count;
}

/* mz_free - drop queued answers, the zone if owned, the backend */
static void mz_free(struct ink_resolver *r)
{
    struct mz_resolver *m = (struct mz_resolver *)r;
    size_t i;

    for (i = 0; i < m->count; i++)
        ink_dns_answer_free(m->q[m->head + i].answer);
    free(m->q);
    if (m->own)
        ink_memzone_free(m->zone);
    free(m);
}

/* mz_fd - no descriptor: answers are ready at once (timeout says 0) */
static int mz_fd(const struct ink_resolver *r)
{
    (void)r;
    return -1;
}

/* mz_timeout - 0 while answers wait for process(), -1 when none do */
static int mz_timeout(const struct ink_resolver *r)
{
    return ((const struct mz_resolver *)r)->count > 0 ? 0 : -1;
}

static const struct ink_resolver_ops mz_ops = {
    "memzone", mz_submit, mz_process, mz_pending_count, mz_free, mz_fd, mz_timeout,
};

/* ink_resolver_memzone_new - in-memory backend over z; caller owns it */
struct ink_resolver *ink_resolver_memzone_new(struct ink_memzone *z, int own)
{
    struct mz_resolver *m = calloc(1, sizeof(*m));

    if (m == NULL)
        return NULL;
    m->base.ops = &mz_ops;
    m->zone = z;
    m->own = own;
    return &m->base;
}
