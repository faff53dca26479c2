/*
 * resolver_cache.c - the caching resolver layer (inkan/dnscache.h): a
 * hash table of (type, name) -> answer in front of another backend, with
 * identical queries in flight joined into one.
 *
 * Callbacks run only inside process(), as the interface requires: a hit
 * found at submit() is queued and delivered by the next process(); a
 * joined query is delivered when the backend's answer arrives (inside the
 * backend's process(), itself inside ours).  It reads the monotonic clock
 * for expiry, which is why it lives with the adapters and not in the core.
 */
#include "inkan/dnscache.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* First hash table size (a power of two); it doubles past one entry per slot. */
#define CACHE_TABLE_INITIAL 1024

/* One asker of a query in flight. */
struct waiter {
    ink_resolver_cb cb;
    void *arg;
    struct ink_dns_answer *answer; /* this asker's copy, once answered */
    struct waiter *next;
};

/* One (type, name): an answer held, or a query in flight. */
struct entry {
    struct entry *hnext;          /* hash chain */
    struct entry *older, *newer;  /* age list, stored answers only */
    struct cache_resolver *cache;
    char *name;                   /* normalised */
    uint32_t hash;
    uint16_t type;
    int inflight;
    struct ink_dns_answer *answer; /* stored answer (not while in flight) */
    long long expires_ms;
    struct waiter *waiters, *wtail;
};

/* An answer waiting for the next process(). */
struct ready {
    struct ink_dns_answer *answer;
    ink_resolver_cb cb;
    void *arg;
};

/* A query passed straight to the backend (a name the cache cannot key). */
struct bypass {
    struct cache_resolver *cache;
    ink_resolver_cb cb;
    void *arg;
};

struct cache_resolver {
    struct ink_resolver base;
    struct ink_resolver *below;
    struct entry **table;
    size_t tsize, tcount;         /* slots; entries in the table */
    struct entry *oldest, *newest;
    size_t nstored, max_stored;
    struct ready *rq;
    size_t rhead, rcount, rcap;
    size_t nwaiting;              /* askers of queries in flight */
    size_t nbypass;
    struct ink_dnscache_stats st;
};

static const struct ink_resolver_ops cache_ops;

/* now_ms - monotonic milliseconds */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* key_hash - FNV-1a over the type and the name */
static uint32_t key_hash(const char *name, uint16_t type)
{
    uint32_t h = 2166136261u;

    h = (h ^ (type & 0xff)) * 16777619u;
    h = (h ^ (type >> 8)) * 16777619u;
    for (; *name; name++)
        h = (h ^ (uint8_t)*name) * 16777619u;
    return h;
}

/* table_find - the entry for (name, type), or NULL */
static struct entry *table_find(const struct cache_resolver *c, const char *name, uint16_t type,
                                uint32_t h)
{
    struct entry *e;

    for (e = c->table[h & (c->tsize - 1)]; e != NULL; e = e->hnext)
        if (e->hash == h && e->type == type && strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

/* table_grow - double the slots; keeps the old table on ENOMEM (only
 * longer chains) */
static void table_grow(struct cache_resolver *c)
{
    size_t nsize = c->tsize * 2, i;
    struct entry **nt;

    if (nsize < c->tsize || nsize > SIZE_MAX / sizeof(*nt))
        return;
    nt = calloc(nsize, sizeof(*nt));
    if (nt == NULL)
        return;
    for (i = 0; i < c->tsize; i++) {
        struct entry *e = c->table[i], *next;
        for (; e != NULL; e = next) {
            next = e->hnext;
            e->hnext = nt[e->hash & (nsize - 1)];
            nt[e->hash & (nsize - 1)] = e;
        }
    }
    free(c->table);
    c->table = nt;
    c->tsize = nsize;
}

/* table_unlink - take e out of its hash chain */
static void table_unlink(struct cache_resolver *c, struct entry *e)
{
    struct entry **pp = &c->table[e->hash & (c->tsize - 1)];

    for (; *pp != NULL; pp = &(*pp)->hnext)
        if (*pp == e) {
            *pp = e->hnext;
            c->tcount--;
            return;
        }
}

/* age_unlink - take a stored entry out of the age list */
static void age_unlink(struct cache_resolver *c, struct entry *e)
{
    if (e->older != NULL)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    if (e->newer != NULL)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    e->older = e->newer = NULL;
    c->nstored--;
}

/* entry_free - release an entry (its waiters must be gone) */
static void entry_free(struct entry *e)
{
    ink_dns_answer_free(e->answer);
    free(e->name);
    free(e);
}

/* drop_stored - forget a stored answer */
static void drop_stored(struct cache_resolver *c, struct entry *e)
{
    table_unlink(c, e);
    age_unlink(c, e);
    entry_free(e);
}

/* copy_for_asker - a copy of a for one asker; on ENOMEM a bare SERVFAIL,
 * or at worst NULL (which evaluators take as a failed lookup) */
static struct ink_dns_answer *copy_for_asker(const struct ink_dns_answer *a, const char *name,
                                             uint16_t type)
{
    struct ink_dns_answer *d = a ? ink_dns_answer_dup(a) : NULL;

    if (d == NULL) {
        d = ink_dns_answer_new(name, type, INK_DNS_SERVFAIL);
        if (d != NULL)
            ink_dns_answer_set_why(d, "out of memory copying a cached answer");
    }
    return d;
}

/* ready_push - queue an answer for the next process(); 0 or -1 */
static int ready_push(struct cache_resolver *c, struct ink_dns_answer *a, ink_resolver_cb cb,
                      void *arg)
{
    if (c->rhead + c->rcount == c->rcap) {
        if (c->rhead > 0) {
            memmove(c->rq, c->rq + c->rhead, c->rcount * sizeof(*c->rq));
            c->rhead = 0;
        } else {
            size_t ncap = c->rcap ? c->rcap * 2 : 64;
            struct ready *nq;
            if (ncap < c->rcap || ncap > SIZE_MAX / sizeof(*nq))
                return -1;
            nq = realloc(c->rq, ncap * sizeof(*nq));
            if (nq == NULL)
                return -1;
            c->rq = nq;
            c->rcap = ncap;
        }
    }
    c->rq[c->rhead + c->rcount].answer = a;
    c->rq[c->rhead + c->rcount].cb = cb;
    c->rq[c->rhead + c->rcount].arg = arg;
    c->rcount++;
    return 0;
}

/* cacheable_ms - how long answer a may be kept, in ms; 0 if not at all */
static long long cacheable_ms(const struct ink_dns_answer *a)
{
    uint32_t ttl;

    if (a == NULL)
        return 0;
    if (a->status != INK_DNS_OK && a->status != INK_DNS_NODATA && a->status != INK_DNS_NXDOMAIN)
        return 0;
    ttl = a->ttl < INK_DNSCACHE_TTL_MAX ? a->ttl : INK_DNSCACHE_TTL_MAX;
    return (long long)ttl * 1000;
}

/* entry_answered - the backend answered e's query: keep the answer if it
 * may be kept, then hand every asker its copy */
static void entry_answered(void *arg, struct ink_dns_answer *answer)
{
    struct entry *e = arg;
    struct cache_resolver *c = e->cache;
    struct waiter *w = e->waiters, *next;
    long long keep = cacheable_ms(answer);
    char *name = NULL;
    uint16_t type = e->type;

    e->waiters = e->wtail = NULL;
    e->inflight = 0;
    if (keep > 0 && c->max_stored > 0) {
        /* store, then evict the oldest past the limit (never e itself:
         * it is the newest) */
        e->answer = answer;
        e->expires_ms = now_ms() + keep;
        e->older = c->newest;
        e->newer = NULL;
        if (c->newest != NULL)
            c->newest->newer = e;
        else
            c->oldest = e;
        c->newest = e;
        c->nstored++;
        while (c->nstored > c->max_stored && c->oldest != e)
            drop_stored(c, c->oldest);
        answer = NULL; /* owned by the entry now */
    } else {
        table_unlink(c, e);
        name = e->name;
        e->name = NULL;
        entry_free(e);
        e = NULL;
    }
    /* Every asker's copy is made before any callback runs: a callback may
     * submit, and so evict e.  Then the table is no longer touched here. */
    for (struct waiter *x = w; x != NULL; x = x->next) {
        if (e != NULL)
            x->answer = copy_for_asker(e->answer, e->name, type);
        else if (x->next == NULL) {
            x->answer = answer; /* the last asker gets the original */
            answer = NULL;
        } else
            x->answer = copy_for_asker(answer, name, type);
    }
    for (; w != NULL; w = next) {
        next = w->next;
        c->nwaiting--;
        w->cb(w->arg, w->answer);
        free(w);
    }
    ink_dns_answer_free(answer);
    free(name);
}

/* bypass_answered - a query the cache did not key came back */
static void bypass_answered(void *arg, struct ink_dns_answer *answer)
{
    struct bypass *b = arg;
    struct cache_resolver *c = b->cache;
    ink_resolver_cb cb = b->cb;
    void *cbarg = b->arg;

    free(b);
    c->nbypass--;
    cb(cbarg, answer);
}

/* cache_submit - answer from memory, join a query in flight, or ask below */
static int cache_submit(struct ink_resolver *r, const char *name, uint16_t type,
                        ink_resolver_cb cb, void *arg)
{
    struct cache_resolver *c = (struct cache_resolver *)r;
    char norm[INK_DNS_NAME_MAX + 1];
    struct entry *e;
    struct waiter *w;
    uint32_t h;

    if (ink_dns_name_normalize(name, strlen(name), norm, sizeof(norm)) < 0) {
        struct bypass *b = malloc(sizeof(*b));
        if (b == NULL)
            return -1;
        b->cache = c;
        b->cb = cb;
        b->arg = arg;
        if (ink_resolver_submit(c->below, name, type, bypass_answered, b) < 0) {
            free(b);
            return -1;
        }
        c->nbypass++;
        return 0;
    }
    h = key_hash(norm, type);
    e = table_find(c, norm, type, h);
    if (e != NULL && !e->inflight) {
        if (e->expires_ms > now_ms()) {
            struct ink_dns_answer *a = ink_dns_answer_dup(e->answer);
            if (a == NULL || ready_push(c, a, cb, arg) < 0) {
                ink_dns_answer_free(a);
                return -1;
            }
            c->st.hits++;
            return 0;
        }
        drop_stored(c, e);
        e = NULL;
    }
    w = malloc(sizeof(*w));
    if (w == NULL)
        return -1;
    w->cb = cb;
    w->arg = arg;
    w->answer = NULL;
    w->next = NULL;
    if (e != NULL) {
        e->wtail->next = w;
        e->wtail = w;
        c->nwaiting++;
        c->st.joined++;
        return 0;
    }
    e = calloc(1, sizeof(*e));
    if (e == NULL || (e->name = strdup(norm)) == NULL) {
        free(e);
        free(w);
        return -1;
    }
    e->cache = c;
    e->hash = h;
    e->type = type;
    e->inflight = 1;
    e->waiters = e->wtail = w;
    if (c->tcount >= c->tsize)
        table_grow(c);
    e->hnext = c->table[h & (c->tsize - 1)];
    c->table[h & (c->tsize - 1)] = e;
    c->tcount++;
    c->nwaiting++;
    if (ink_resolver_submit(c->below, norm, type, entry_answered, e) < 0) {
        table_unlink(c, e);
        c->nwaiting--;
        free(w);
        entry_free(e);
        return -1;
    }
    c->st.misses++;
    return 0;
}

/* cache_process - deliver queued hits, then whatever the backend has */
static int cache_process(struct ink_resolver *r, int timeout_ms)
{
    struct cache_resolver *c = (struct cache_resolver *)r;
    size_t n = c->rcount, i;
    int ran = 0, below;

    for (i = 0; i < n; i++) {
        struct ready rd = c->rq[c->rhead];
        c->rhead++;
        c->rcount--;
        if (c->rcount == 0)
            c->rhead = 0;
        rd.cb(rd.arg, rd.answer);
        ran++;
    }
    if (ink_resolver_pending(c->below) == 0)
        return ran;
    /* With hits delivered, only poll the backend; else wait as asked. */
    below = ink_resolver_process(c->below, ran > 0 ? 0 : timeout_ms);
    if (below < 0)
        return -1;
    return ran + below;
}

/* cache_pending - askers whose callback has not run */
static size_t cache_pending(const struct ink_resolver *r)
{
    const struct cache_resolver *c = (const struct cache_resolver *)r;

    return c->rcount + c->nwaiting + c->nbypass;
}

/* cache_free - release everything; callbacks not yet run are dropped */
static void cache_free(struct ink_resolver *r)
{
    struct cache_resolver *c = (struct cache_resolver *)r;
    size_t i;

    /* the backend first: it must not call back into freed entries */
    ink_resolver_free(c->below);
    for (i = 0; i < c->tsize; i++) {
        struct entry *e = c->table[i], *next;
        for (; e != NULL; e = next) {
            struct waiter *w = e->waiters, *wn;
            next = e->hnext;
            for (; w != NULL; w = wn) {
                wn = w->next;
                free(w);
            }
            entry_free(e);
        }
    }
    for (i = 0; i < c->rcount; i++)
        ink_dns_answer_free(c->rq[c->rhead + i].answer);
    free(c->rq);
    free(c->table);
    free(c);
}

/* cache_fd - the backend's descriptor (hits need none: timeout says 0) */
static int cache_fd(const struct ink_resolver *r)
{
    return ink_resolver_fd(((const struct cache_resolver *)r)->below);
}

/* cache_timeout - 0 while hits wait for delivery, else the backend's */
static int cache_timeout(const struct ink_resolver *r)
{
    const struct cache_resolver *c = (const struct cache_resolver *)r;

    if (c->rcount > 0)
        return 0;
    if (ink_resolver_pending(c->below) == 0)
        return -1;
    return ink_resolver_timeout(c->below);
}

static const struct ink_resolver_ops cache_ops = {
    "cache", cache_submit, cache_process, cache_pending, cache_free, cache_fd, cache_timeout,
};

/* ink_resolver_cache_new - wrap below in a cache; below is owned */
struct ink_resolver *ink_resolver_cache_new(struct ink_resolver *below, size_t max_entries)
{
    struct cache_resolver *c;

    if (below == NULL)
        return NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL || (c->table = calloc(CACHE_TABLE_INITIAL, sizeof(*c->table))) == NULL) {
        free(c);
        ink_resolver_free(below);
        return NULL;
    }
    c->base.ops = &cache_ops;
    c->below = below;
    c->tsize = CACHE_TABLE_INITIAL;
    c->max_stored = max_entries ? max_entries : INK_DNSCACHE_ENTRIES_DEFAULT;
    return &c->base;
}

/* ink_resolver_cache_stats - counters of a cache resolver */
void ink_resolver_cache_stats(const struct ink_resolver *r, struct ink_dnscache_stats *st)
{
    const struct cache_resolver *c = (const struct cache_resolver *)r;

    *st = c->st;
    st->entries = c->nstored;
}
