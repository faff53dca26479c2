/*
 * driver.c - the one driver (inkan/driver.h): moves questions from any
 * number of sans-I/O machines (inkan/query.h) to one resolver and their
 * answers back.
 *
 * Three tables keep it cheap per question:
 *   - slots: one per machine added; a slot is stepped only when it may
 *     have something to say (just added, just fed, or poked), so a driver
 *     with thousands of machines waiting costs nothing per round;
 *   - questions: one per distinct (type, name) outstanding, with the list
 *     of (machine, token) waiting for it, so an identical question asked
 *     by many machines goes to the resolver once;
 *   - cache: answers kept for their TTL (NOERROR, NODATA, NXDOMAIN; never
 *     SERVFAIL or TIMEOUT), oldest dropped first when full.
 * An answer is fed, borrowed, to every waiter in turn: no copies.
 *
 * It reads the monotonic clock (deadlines, TTLs), which is why it lives
 * with the adapters and not in the core.
 */
#include "inkan/driver.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* First size of each hash table (a power of two); doubles past one entry a slot. */
#define DRV_TABLE_INITIAL 256
/* How long one wait for the resolver lasts when only abandoned questions
 * are out (their answers are dropped; the resolver's own deadline ends them). */
#define DRV_IDLE_WAIT_MS 100
/* next() calls one machine may make in one round before the others get a turn. */
#define DRV_STEPS_PER_TURN 4096

/* One machine the driver runs. */
struct slot {
    struct ink_machine m;
    ink_driver_done_cb done;
    void *arg;
    unsigned gen;       /* bumped when the slot is reused, so stale waiters are seen */
    int running;
    int queued;         /* on the run queue */
    int stepping;       /* inside step_slot(): a feed then needs no queueing */
    size_t outstanding; /* waiters of this slot in questions */
    struct slot *next_run;
    struct slot *next_free;
};

/* One asker of a question. */
struct waiter {
    struct slot *slot;
    unsigned gen;
    uint32_t token;
    struct waiter *next;
};

/* A distinct (type, name) outstanding: queued to send, or sent. */
struct question {
    struct question *hnext;      /* hash chain (while in the table) */
    struct question *qnext;      /* send queue, or the all-sent list */
    struct question *sprev, *snext; /* the sent list, in deadline order */
    struct ink_driver *d;
    char *name;
    uint32_t hash;
    uint16_t type;
    int sent;
    int abandoned;               /* timed out: the resolver's answer, when it
                                  * comes, is dropped */
    long long deadline_ms;
    struct waiter *waiters;
};

/* A kept answer. */
struct centry {
    struct centry *hnext;
    struct centry *older, *newer;
    struct ink_dns_answer *answer;
    char *name;
    uint32_t hash;
    uint16_t type;
    long long expires_ms;
};

struct ink_driver {
    struct ink_resolver *r;
    size_t inflight_max;
    int timeout_ms;
    int use_cache;
    size_t cache_max;

    struct slot **slots;         /* every slot ever made (freed at the end) */
    size_t nslots, slots_cap;
    struct slot *free_slots;
    struct slot *run_head, *run_tail;
    size_t running;

    struct question **qtab;      /* outstanding questions by key */
    size_t qtsize, qtcount;
    struct question *sendq_head, *sendq_tail; /* not yet sent (in-flight limit) */
    struct question *sent_head, *sent_tail;   /* sent, oldest deadline first */
    size_t inflight;             /* sent and not yet answered nor abandoned */
    size_t at_resolver;          /* sent, callback not run yet (also abandoned) */

    struct centry **ctab;
    size_t ctsize, ctcount;
    struct centry *oldest, *newest;

    int failed;                  /* the resolver refused a submit */
    struct ink_driver_stats st;
};

/* now_ms - monotonic milliseconds */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* key_norm - the key form of a name: lower case, no trailing dot; a fresh
 * string the caller frees, or NULL on ENOMEM */
static char *key_norm(const char *name)
{
    size_t n = strlen(name), i;
    char *k;

    if (n > 0 && name[n - 1] == '.')
        n--;
    k = malloc(n + 1);
    if (k == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        char c = name[i];
        k[i] = (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
    }
    k[n] = '\0';
    return k;
}

/* key_hash - FNV-1a over the type and the key name */
static uint32_t key_hash(const char *name, uint16_t type)
{
    uint32_t h = 2166136261u;

    h = (h ^ (type & 0xffu)) * 16777619u;
    h = (h ^ (uint32_t)(type >> 8)) * 16777619u;
    for (; *name; name++)
        h = (h ^ (uint8_t)*name) * 16777619u;
    return h;
}

/* grow_table - double a chained table of `size` slots; the chain link is
 * at offset link and the hash at offset hoff of each entry.  Keeps the old
 * table on ENOMEM (only longer chains). */
static void grow_table(void ***tab, size_t *size, size_t link, size_t hoff)
{
    size_t nsize = *size * 2, i;
    void **nt;

    if (nsize < *size || nsize > SIZE_MAX / sizeof(*nt))
        return;
    nt = calloc(nsize, sizeof(*nt));
    if (nt == NULL)
        return;
    for (i = 0; i < *size; i++) {
        char *e = (*tab)[i];
        while (e != NULL) {
            char *next = *(char **)(e + link);
            uint32_t h;
            memcpy(&h, e + hoff, sizeof h);
            *(void **)(e + link) = nt[h & (nsize - 1)];
            nt[h & (nsize - 1)] = e;
            e = next;
        }
    }
    free(*tab);
    *tab = nt;
    *size = nsize;
}

/* ---- the answer cache ---- */

/* cache_keep_ms - how long answer a may be kept, in ms; 0 if not at all */
static long long cache_keep_ms(const struct ink_dns_answer *a)
{
    uint32_t ttl;

    if (a->status != INK_DNS_OK && a->status != INK_DNS_NODATA && a->status != INK_DNS_NXDOMAIN)
        return 0;
    ttl = a->ttl < INK_DRIVER_CACHE_TTL_MAX ? a->ttl : INK_DRIVER_CACHE_TTL_MAX;
    return (long long)ttl * 1000;
}

/* cache_unlink - take e out of its chain and the age list, and free it */
static void cache_drop(struct ink_driver *d, struct centry *e)
{
    struct centry **pp = &d->ctab[e->hash & (d->ctsize - 1)];

    for (; *pp != NULL; pp = &(*pp)->hnext)
        if (*pp == e) {
            *pp = e->hnext;
            break;
        }
    if (e->older != NULL)
        e->older->newer = e->newer;
    else
        d->oldest = e->newer;
    if (e->newer != NULL)
        e->newer->older = e->older;
    else
        d->newest = e->older;
    d->ctcount--;
    ink_dns_answer_free(e->answer);
    free(e->name);
    free(e);
}

/* cache_find - a fresh kept answer for (key, type), or NULL (an expired
 * one is dropped on the way) */
static const struct ink_dns_answer *cache_find(struct ink_driver *d, const char *key,
                                               uint16_t type, uint32_t h, long long now)
{
    struct centry *e;

    if (!d->use_cache)
        return NULL;
    for (e = d->ctab[h & (d->ctsize - 1)]; e != NULL; e = e->hnext)
        if (e->hash == h && e->type == type && strcmp(e->name, key) == 0) {
            if (e->expires_ms <= now) {
                cache_drop(d, e);
                return NULL;
            }
            return e->answer;
        }
    return NULL;
}

/* cache_store - keep answer a (ownership passes to the cache when it is
 * kept; 1), or leave it with the caller (0) */
static int cache_store(struct ink_driver *d, struct question *q, struct ink_dns_answer *a,
                       long long now)
{
    long long keep;
    struct centry *e;

    if (!d->use_cache || a == NULL)
        return 0;
    keep = cache_keep_ms(a);
    if (keep <= 0)
        return 0;
    /* A question is not asked while a fresh answer is kept, but an
     * expired one may still sit in the chain. */
    (void)cache_find(d, q->name, q->type, q->hash, now);
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return 0;
    e->name = strdup(q->name);
    if (e->name == NULL) {
        free(e);
        return 0;
    }
    e->answer = a;
    e->hash = q->hash;
    e->type = q->type;
    e->expires_ms = now + keep;
    while (d->ctcount >= d->cache_max && d->oldest != NULL)
        cache_drop(d, d->oldest);
    if (d->ctcount >= d->ctsize)
        grow_table((void ***)&d->ctab, &d->ctsize, offsetof(struct centry, hnext),
                   offsetof(struct centry, hash));
    e->hnext = d->ctab[e->hash & (d->ctsize - 1)];
    d->ctab[e->hash & (d->ctsize - 1)] = e;
    e->older = d->newest;
    if (d->newest != NULL)
        d->newest->newer = e;
    else
        d->oldest = e;
    d->newest = e;
    d->ctcount++;
    return 1;
}

/* ---- machines ---- */

/* run_push - put s on the run queue (once) */
static void run_push(struct ink_driver *d, struct slot *s)
{
    if (s->queued || !s->running)
        return;
    s->queued = 1;
    s->next_run = NULL;
    if (d->run_tail != NULL)
        d->run_tail->next_run = s;
    else
        d->run_head = s;
    d->run_tail = s;
}

/* feed_slot - hand answer (borrowed, may be NULL) for token to s, which
 * is then stepped again */
static void feed_slot(struct ink_driver *d, struct slot *s, uint32_t token,
                      const struct ink_dns_answer *a)
{
    assert(s->outstanding > 0);
    s->outstanding--;
    (void)ink_machine_feed(s->m, token, a);
    if (!s->stepping)
        run_push(d, s);
}

/* question_find - the outstanding question for (key, type), or NULL */
static struct question *question_find(struct ink_driver *d, const char *key, uint16_t type,
                                      uint32_t h)
{
    struct question *q;

    for (q = d->qtab[h & (d->qtsize - 1)]; q != NULL; q = q->hnext)
        if (q->hash == h && q->type == type && strcmp(q->name, key) == 0)
            return q;
    return NULL;
}

/* question_unhash - take q out of the table (it stays alive) */
static void question_unhash(struct ink_driver *d, struct question *q)
{
    struct question **pp = &d->qtab[q->hash & (d->qtsize - 1)];

    for (; *pp != NULL; pp = &(*pp)->hnext)
        if (*pp == q) {
            *pp = q->hnext;
            d->qtcount--;
            return;
        }
}

/* sent_unlink - take q out of the sent list */
static void sent_unlink(struct ink_driver *d, struct question *q)
{
    if (q->sprev != NULL)
        q->sprev->snext = q->snext;
    else
        d->sent_head = q->snext;
    if (q->snext != NULL)
        q->snext->sprev = q->sprev;
    else
        d->sent_tail = q->sprev;
    q->sprev = q->snext = NULL;
}

/* question_answer - deliver a (borrowed, may be NULL) to every live
 * waiter of q and free the waiters */
static void question_answer(struct ink_driver *d, struct question *q,
                            const struct ink_dns_answer *a)
{
    struct waiter *w = q->waiters, *next;

    q->waiters = NULL;
    for (; w != NULL; w = next) {
        next = w->next;
        if (w->slot->gen == w->gen && w->slot->running)
            feed_slot(d, w->slot, w->token, a);
        free(w);
    }
}

/* question_free - release q (out of every list by now) */
static void question_free(struct question *q)
{
    struct waiter *w = q->waiters, *next;

    for (; w != NULL; w = next) {
        next = w->next;
        free(w);
    }
    free(q->name);
    free(q);
}

static void on_answer(void *arg, struct ink_dns_answer *answer);

/* question_send - hand q to the resolver; on refusal q is answered NULL
 * (a temporary failure) and freed */
static void question_send(struct ink_driver *d, struct question *q)
{
    q->sent = 1;
    q->deadline_ms = now_ms() + d->timeout_ms;
    q->sprev = d->sent_tail;
    q->snext = NULL;
    if (d->sent_tail != NULL)
        d->sent_tail->snext = q;
    else
        d->sent_head = q;
    d->sent_tail = q;
    d->inflight++;
    d->at_resolver++;
    d->st.sent++;
    if (ink_resolver_submit(d->r, q->name, q->type, on_answer, q) < 0) {
        d->failed = 1;
        d->at_resolver--;
        d->inflight--;
        sent_unlink(d, q);
        question_unhash(d, q);
        question_answer(d, q, NULL);
        question_free(q);
    }
}

/* send_queued - send queued questions while the in-flight limit allows */
static void send_queued(struct ink_driver *d)
{
    while (d->sendq_head != NULL && d->inflight < d->inflight_max) {
        struct question *q = d->sendq_head;
        d->sendq_head = q->qnext;
        if (d->sendq_head == NULL)
            d->sendq_tail = NULL;
        q->qnext = NULL;
        question_send(d, q);
    }
}

/* on_answer - the resolver's callback: feed the waiters, keep the answer */
static void on_answer(void *arg, struct ink_dns_answer *answer)
{
    struct question *q = arg;
    struct ink_driver *d = q->d;

    d->at_resolver--;
    if (q->abandoned) {
        ink_dns_answer_free(answer);
        question_free(q);
        return;
    }
    d->inflight--;
    sent_unlink(d, q);
    question_unhash(d, q);
    question_answer(d, q, answer);
    if (!cache_store(d, q, answer, now_ms()))
        ink_dns_answer_free(answer);
    question_free(q);
}

/* ask - slot s asks (name, type) with token: answered from the cache at
 * once, joined to the same question outstanding, or a new question.
 * Returns 1 when s was fed at once. */
static int ask(struct ink_driver *d, struct slot *s, const struct ink_query *qy)
{
    char *key;
    uint32_t h;
    struct question *q;
    struct waiter *w;
    const struct ink_dns_answer *hit;

    d->st.queries++;
    s->outstanding++;
    key = qy->name != NULL ? key_norm(qy->name) : NULL;
    if (key == NULL) {
        feed_slot(d, s, qy->token, NULL);
        return 1;
    }
    h = key_hash(key, qy->type);
    hit = cache_find(d, key, qy->type, h, now_ms());
    if (hit != NULL) {
        free(key);
        d->st.cache_hits++;
        feed_slot(d, s, qy->token, hit);
        return 1;
    }
    w = malloc(sizeof(*w));
    if (w == NULL) {
        free(key);
        feed_slot(d, s, qy->token, NULL);
        return 1;
    }
    w->slot = s;
    w->gen = s->gen;
    w->token = qy->token;
    q = question_find(d, key, qy->type, h);
    if (q != NULL) {
        free(key);
        d->st.joined++;
        w->next = q->waiters;
        q->waiters = w;
        return 0;
    }
    q = calloc(1, sizeof(*q));
    if (q == NULL) {
        free(key);
        free(w);
        feed_slot(d, s, qy->token, NULL);
        return 1;
    }
    q->d = d;
    q->name = key;
    q->hash = h;
    q->type = qy->type;
    w->next = NULL;
    q->waiters = w;
    if (d->qtcount >= d->qtsize)
        grow_table((void ***)&d->qtab, &d->qtsize, offsetof(struct question, hnext),
                   offsetof(struct question, hash));
    q->hnext = d->qtab[h & (d->qtsize - 1)];
    d->qtab[h & (d->qtsize - 1)] = q;
    d->qtcount++;
    if (d->sendq_tail != NULL)
        d->sendq_tail->qnext = q;
    else
        d->sendq_head = q;
    d->sendq_tail = q;
    return 0;
}

/* slot_end - machine s ended with how: out of the driver, done callback */
static void slot_end(struct ink_driver *d, struct slot *s, enum ink_next how)
{
    struct ink_machine m = s->m;
    ink_driver_done_cb done = s->done;
    void *arg = s->arg;

    s->running = 0;
    s->outstanding = 0; /* its waiters are now stale (gen bumps on reuse) */
    s->gen++;
    s->next_free = d->free_slots;
    d->free_slots = s;
    d->running--;
    if (done != NULL)
        done(arg, m, how);
}

/* step_slot - let s ask until it waits or ends (bounded per turn) */
static void step_slot(struct ink_driver *d, struct slot *s)
{
    unsigned n;

    s->stepping = 1;
    for (n = 0; n < DRV_STEPS_PER_TURN && s->running; n++) {
        struct ink_query q = {NULL, 0, 0};
        enum ink_next st = ink_machine_next(s->m, &q);

        if (st == INK_NEXT_READY) {
            (void)ask(d, s, &q); /* a feed at once: step on here */
            continue;
        }
        s->stepping = 0;
        if (st == INK_NEXT_WAIT)
            return;
        /* The done callback may reuse s for a new machine. */
        slot_end(d, s, st == INK_NEXT_DONE ? INK_NEXT_DONE : INK_NEXT_FAILED);
        return;
    }
    s->stepping = 0;
    run_push(d, s); /* a long turn: the others go first */
}

/* run_queue - step every machine on the run queue once (those queued while
 * this runs wait for the next round) */
static void run_queue(struct ink_driver *d)
{
    struct slot *s = d->run_head;

    d->run_head = d->run_tail = NULL;
    while (s != NULL) {
        struct slot *next = s->next_run;
        s->queued = 0;
        s->next_run = NULL;
        if (s->running)
            step_slot(d, s);
        s = next;
    }
}

/* expire - questions past their deadline are answered NULL (temporary
 * failure); the resolver's late answer is dropped when it comes */
static void expire(struct ink_driver *d, long long now)
{
    while (d->sent_head != NULL && d->sent_head->deadline_ms <= now) {
        struct question *q = d->sent_head;
        sent_unlink(d, q);
        question_unhash(d, q);
        q->abandoned = 1;
        d->inflight--;
        d->st.timeouts++;
        question_answer(d, q, NULL);
    }
}

/* ---- the interface ---- */

/* ink_driver_new - a driver over r; caller owns it */
struct ink_driver *ink_driver_new(struct ink_resolver *r, const struct ink_driver_opts *opts)
{
    struct ink_driver *d = calloc(1, sizeof(*d));

    if (d == NULL)
        return NULL;
    d->r = r;
    d->inflight_max = opts && opts->inflight_max ? opts->inflight_max : INK_DRIVER_INFLIGHT_DEFAULT;
    d->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : INK_RESOLVER_TIMEOUT_MS_DEFAULT;
    d->use_cache = !(opts && opts->no_cache);
    d->cache_max = opts && opts->cache_entries ? opts->cache_entries
                                               : INK_DRIVER_CACHE_ENTRIES_DEFAULT;
    d->qtsize = d->ctsize = DRV_TABLE_INITIAL;
    d->qtab = calloc(d->qtsize, sizeof(*d->qtab));
    d->ctab = calloc(d->ctsize, sizeof(*d->ctab));
    if (d->qtab == NULL || d->ctab == NULL) {
        free(d->qtab);
        free(d->ctab);
        free(d);
        return NULL;
    }
    return d;
}

/* ink_driver_free - release; waits for the resolver to give back what the
 * driver sent, since its callbacks point into the driver */
void ink_driver_free(struct ink_driver *d)
{
    size_t i;

    if (d == NULL)
        return;
    /* Machines still running are dropped: no more feeding. */
    for (i = 0; i < d->nslots; i++)
        d->slots[i]->running = 0;
    while (d->sent_head != NULL) {
        struct question *q = d->sent_head;
        sent_unlink(d, q);
        question_unhash(d, q);
        q->abandoned = 1;
        d->inflight--;
    }
    /* Every backend answers or times out each query, so this ends. */
    while (d->at_resolver > 0)
        if (ink_resolver_process(d->r, DRV_IDLE_WAIT_MS) < 0 && ink_resolver_pending(d->r) == 0)
            break;
    while (d->sendq_head != NULL) {
        struct question *q = d->sendq_head;
        d->sendq_head = q->qnext;
        question_free(q);
    }
    while (d->oldest != NULL)
        cache_drop(d, d->oldest);
    for (i = 0; i < d->nslots; i++)
        free(d->slots[i]);
    free(d->slots);
    free(d->qtab);
    free(d->ctab);
    free(d);
}

/* ink_driver_add - start running m */
int ink_driver_add(struct ink_driver *d, struct ink_machine m, ink_driver_done_cb done, void *arg)
{
    struct slot *s = d->free_slots;

    if (s != NULL) {
        d->free_slots = s->next_free;
    } else {
        if (d->nslots == d->slots_cap) {
            size_t ncap = d->slots_cap ? d->slots_cap * 2 : 64;
            struct slot **ns;
            if (ncap < d->slots_cap || ncap > SIZE_MAX / sizeof(*ns))
                return -1;
            ns = realloc(d->slots, ncap * sizeof(*ns));
            if (ns == NULL)
                return -1;
            d->slots = ns;
            d->slots_cap = ncap;
        }
        s = calloc(1, sizeof(*s));
        if (s == NULL)
            return -1;
        d->slots[d->nslots++] = s;
    }
    s->m = m;
    s->done = done;
    s->arg = arg;
    s->running = 1;
    s->queued = 0;
    s->stepping = 0;
    s->outstanding = 0;
    s->next_free = NULL;
    d->running++;
    d->st.machines++;
    run_push(d, s);
    return 0;
}

/* ink_driver_poke - step m again (it was given more input) */
int ink_driver_poke(struct ink_driver *d, struct ink_machine m)
{
    size_t i;

    for (i = 0; i < d->nslots; i++) {
        struct slot *s = d->slots[i];
        if (s->running && s->m.self == m.self && s->m.ops == m.ops) {
            run_push(d, s);
            return 0;
        }
    }
    return -1;
}

/* wait_ms - how long step() may wait for the resolver, given what the
 * caller allows */
static int wait_ms(const struct ink_driver *d, int timeout_ms, long long now)
{
    long long until;

    if (d->run_head != NULL)
        return 0;
    if (d->sent_head == NULL)
        return d->at_resolver > 0 ? (timeout_ms < 0 ? DRV_IDLE_WAIT_MS : timeout_ms) : 0;
    until = d->sent_head->deadline_ms - now;
    if (until < 0)
        until = 0;
    if (timeout_ms >= 0 && timeout_ms < until)
        until = timeout_ms;
    return (int)until;
}

/* ink_driver_step - one round */
int ink_driver_step(struct ink_driver *d, int timeout_ms)
{
    int failed;

    run_queue(d);
    send_queued(d);
    if (d->at_resolver > 0 || ink_resolver_pending(d->r) > 0) {
        if (ink_resolver_process(d->r, wait_ms(d, timeout_ms, now_ms())) < 0)
            d->failed = 1;
    }
    expire(d, now_ms());
    run_queue(d);
    send_queued(d);
    failed = d->failed;
    d->failed = 0;
    return failed ? -1 : (int)d->running;
}

/* ink_driver_run - step until no machine runs */
int ink_driver_run(struct ink_driver *d)
{
    int rc = 0;

    while (d->running > 0) {
        if (ink_driver_step(d, -1) < 0)
            rc = -1;
        /* Machines waiting with nothing asked and nothing to answer them
         * need input from the caller (ink_driver_poke): stalled here. */
        if (d->running > 0 && d->run_head == NULL && d->sendq_head == NULL &&
            d->at_resolver == 0)
            return -1;
    }
    return rc;
}

/* ink_driver_running - machines not ended yet */
size_t ink_driver_running(const struct ink_driver *d)
{
    return d->running;
}

/* ink_driver_fd - the resolver's descriptor */
int ink_driver_fd(const struct ink_driver *d)
{
    return ink_resolver_fd(d->r);
}

/* ink_driver_timeout - ms until step() is due */
int ink_driver_timeout(const struct ink_driver *d)
{
    long long until;
    int rt;

    if (d->run_head != NULL || (d->sendq_head != NULL && d->inflight < d->inflight_max))
        return 0;
    rt = d->at_resolver > 0 ? ink_resolver_timeout(d->r) : -1;
    if (d->sent_head == NULL)
        return rt;
    until = d->sent_head->deadline_ms - now_ms();
    if (until < 0)
        until = 0;
    if (rt >= 0 && rt < until)
        until = rt;
    return (int)until;
}

/* ink_driver_stats - counters so far */
void ink_driver_stats(const struct ink_driver *d, struct ink_driver_stats *st)
{
    *st = d->st;
    st->cache_entries = d->ctcount;
}

/* sync_done - remember how the one machine ended */
static void sync_done(void *arg, struct ink_machine m, enum ink_next how)
{
    (void)m;
    *(enum ink_next *)arg = how;
}

/* ink_drive_sync - run one machine to its end */
enum ink_next ink_drive_sync(struct ink_resolver *r, struct ink_machine m,
                             const struct ink_driver_opts *opts)
{
    enum ink_next how = INK_NEXT_FAILED;
    struct ink_driver *d = ink_driver_new(r, opts);

    if (d == NULL)
        return INK_NEXT_FAILED;
    if (ink_driver_add(d, m, sync_done, &how) == 0)
        (void)ink_driver_run(d);
    ink_driver_free(d);
    return how;
}
