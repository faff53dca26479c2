/*
 * vcheck.c - the two machines of publication verification (inkan/verify.h)
 * on the one query protocol (inkan/query.h): finding a name's
 * authoritative servers (ink_vauth) and one check of one domain
 * (ink_vcheck).  Sans-I/O: they say what they need; a driver asks.
 */
#include "inkan/verify.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- finding the authoritative servers ---- */

/* Where ink_vauth stands. */
enum vauth_phase {
    VAUTH_NS = 0, /* asking NS of cur, one name at a time */
    VAUTH_ADDR,   /* asking A/AAAA of the NS set found */
    VAUTH_DONE
};

/* One address query: A or AAAA of one name server. */
struct vauth_addrq {
    char *host;
    uint16_t type;
    int state;                     /* 0 new, 1 out, 2 fed */
    struct ink_dns_answer *answer; /* kept until DONE (owned), or NULL */
};

struct ink_vauth {
    char *name;      /* searched from */
    const char *cur; /* the name asked now (points into name) */
    enum vauth_phase phase;
    int ns_out;      /* the NS query for cur is out */
    char *apex;
    char *why;
    struct vauth_addrq aq[2 * INK_VAUTH_NS_MAX];
    size_t naq;
    struct ink_vauth_server serv[INK_VAUTH_SERVERS_MAX];
    size_t nserv;
    int oom;
};

/* Token of the NS query; address queries are VAUTH_TOKEN_ADDR + index. */
#define VAUTH_TOKEN_NS 1u
#define VAUTH_TOKEN_ADDR 2u

/* parent_of - the name one label up, or NULL at the top label */
static const char *parent_of(const char *name)
{
    const char *dot = strchr(name, '.');

    return dot != NULL && dot[1] != '\0' ? dot + 1 : NULL;
}

/* ink_vauth_search_name - the parent for a CNAME owner (see verify.h) */
const char *ink_vauth_search_name(const char *owner, uint16_t type)
{
    const char *up = parent_of(owner);

    return type == INK_DNS_CNAME && up != NULL ? up : owner;
}

/* set_why - replace the reason (printf-style); sets oom on failure */
static void set_why(struct ink_vauth *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_why(struct ink_vauth *a, const char *fmt, ...)
{
    struct ink_str s = INK_STR_INIT;
    va_list ap;

    va_start(ap, fmt);
    if (ink_str_vprintf(&s, fmt, ap) < 0)
        a->oom = 1;
    va_end(ap);
    free(a->why);
    a->why = ink_str_steal(&s);
}

/* ink_vauth_new - a search from name; caller frees */
struct ink_vauth *ink_vauth_new(const char *name)
{
    char buf[INK_DNS_NAME_MAX + 2];
    int len = ink_dns_name_normalize(name, strlen(name), buf, sizeof(buf));
    struct ink_vauth *a;

    if (len <= 0)
        return NULL;
    a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->name = ink_memdup_cstr(buf, (size_t)len);
    if (a->name == NULL) {
        free(a);
        return NULL;
    }
    a->cur = a->name;
    return a;
}

/* ink_vauth_free - release; NULL is a no-op */
void ink_vauth_free(struct ink_vauth *a)
{
    size_t i;

    if (a == NULL)
        return;
    for (i = 0; i < a->naq; i++) {
        free(a->aq[i].host);
        ink_dns_answer_free(a->aq[i].answer);
    }
    free(a->name);
    free(a->apex);
    free(a->why);
    free(a);
}

/* vauth_finish - collect the addresses, in NS order, A before AAAA */
static void vauth_finish(struct ink_vauth *a)
{
    size_t i, j, k;

    for (i = 0; i < a->naq; i++) {
        const struct ink_dns_answer *an = a->aq[i].answer;
        for (j = 0; an != NULL && j < an->nrr && a->nserv < INK_VAUTH_SERVERS_MAX; j++) {
            struct ink_vauth_server sv;
            int dup = 0;
            if (an->rr[j].type != a->aq[i].type)
                continue;
            memset(&sv, 0, sizeof(sv));
            sv.family = an->rr[j].type == INK_DNS_A ? 4 : 6;
            memcpy(sv.addr, an->rr[j].addr, sv.family == 4 ? 4 : 16);
            for (k = 0; k < a->nserv; k++)
                if (a->serv[k].family == sv.family && memcmp(a->serv[k].addr, sv.addr, 16) == 0)
                    dup = 1;
            if (!dup)
                a->serv[a->nserv++] = sv;
        }
    }
    if (a->nserv == 0)
        set_why(a, "the name servers of %s have no address", a->apex);
    else {
        free(a->why);
        a->why = NULL;
    }
    a->phase = VAUTH_DONE;
}

/* vauth_ns_answer - an NS set owned by cur starts the address phase;
 * anything else moves the search one label up */
static void vauth_ns_answer(struct ink_vauth *a, const struct ink_dns_answer *an)
{
    size_t i;

    if (an == NULL || an->status == INK_DNS_SERVFAIL || an->status == INK_DNS_TIMEOUT) {
        if (a->why == NULL)
            set_why(a, "cannot find the name servers of %s: NS query for %s: %s", a->name, a->cur,
                    an != NULL ? ink_dns_status_name(an->status) : "no answer");
    } else {
        for (i = 0; i < an->nrr && a->naq + 2 <= 2 * INK_VAUTH_NS_MAX; i++) {
            int t;
            if (an->rr[i].type != INK_DNS_NS || an->rr[i].owner == NULL ||
                !ink_dns_name_eq(an->rr[i].owner, a->cur) || an->rr[i].name == NULL)
                continue;
            for (t = 0; t < 2; t++) {
                struct vauth_addrq *q = &a->aq[a->naq++];
                q->host = ink_memdup_cstr(an->rr[i].name, strlen(an->rr[i].name));
                q->type = t == 0 ? INK_DNS_A : INK_DNS_AAAA;
                if (q->host == NULL)
                    a->oom = 1;
            }
        }
        if (a->naq > 0) {
            a->apex = ink_memdup_cstr(a->cur, strlen(a->cur));
            if (a->apex == NULL)
                a->oom = 1;
            a->phase = VAUTH_ADDR;
            return;
        }
    }
    a->cur = parent_of(a->cur);
    if (a->cur == NULL) {
        if (a->why == NULL)
            set_why(a, "no name server found for %s (no NS record at or above it)", a->name);
        a->phase = VAUTH_DONE;
    }
}

/* ink_vauth_next - the next NS or address query */
enum ink_next ink_vauth_next(struct ink_vauth *a, struct ink_query *q)
{
    size_t i;
    int out = 0;

    if (a->oom)
        return INK_NEXT_FAILED;
    switch (a->phase) {
    case VAUTH_NS:
        if (a->ns_out)
            return INK_NEXT_WAIT;
        a->ns_out = 1;
        q->name = a->cur;
        q->type = INK_DNS_NS;
        q->token = VAUTH_TOKEN_NS;
        return INK_NEXT_READY;
    case VAUTH_ADDR:
        for (i = 0; i < a->naq; i++) {
            if (a->aq[i].state == 0) {
                a->aq[i].state = 1;
                q->name = a->aq[i].host;
                q->type = a->aq[i].type;
                q->token = VAUTH_TOKEN_ADDR + (uint32_t)i;
                return INK_NEXT_READY;
            }
            if (a->aq[i].state == 1)
                out = 1;
        }
        if (out)
            return INK_NEXT_WAIT;
        vauth_finish(a);
        return a->oom ? INK_NEXT_FAILED : INK_NEXT_DONE;
    case VAUTH_DONE:
        break;
    }
    return INK_NEXT_DONE;
}

/* ink_vauth_feed - an NS or address answer (borrowed) */
int ink_vauth_feed(struct ink_vauth *a, uint32_t token, const struct ink_dns_answer *an)
{
    if (a->phase == VAUTH_NS && token == VAUTH_TOKEN_NS && a->ns_out) {
        a->ns_out = 0;
        vauth_ns_answer(a, ink_query_answer_fits(an, a->cur, INK_DNS_NS) ? an : NULL);
        return 0;
    }
    if (a->phase == VAUTH_ADDR && token >= VAUTH_TOKEN_ADDR && token - VAUTH_TOKEN_ADDR < a->naq &&
        a->aq[token - VAUTH_TOKEN_ADDR].state == 1) {
        struct vauth_addrq *q = &a->aq[token - VAUTH_TOKEN_ADDR];
        q->state = 2;
        if (ink_query_answer_fits(an, q->host, q->type) && an->status == INK_DNS_OK) {
            q->answer = ink_dns_answer_dup(an);
            if (q->answer == NULL)
                a->oom = 1;
        }
        return 0;
    }
    return -1;
}

/* vauth_m_next / vauth_m_feed - the table's entries */
static enum ink_next vauth_m_next(void *self, struct ink_query *q)
{
    return ink_vauth_next(self, q);
}

static int vauth_m_feed(void *self, uint32_t token, const struct ink_dns_answer *an)
{
    return ink_vauth_feed(self, token, an);
}

static const struct ink_machine_ops vauth_ops = {"verify-auth", vauth_m_next, vauth_m_feed};

/* ink_vauth_machine - a as the driver sees it (a stays the caller's) */
struct ink_machine ink_vauth_machine(struct ink_vauth *a)
{
    struct ink_machine m = {&vauth_ops, a};

    return m;
}

const char *ink_vauth_name(const struct ink_vauth *a) { return a->name; }
const char *ink_vauth_apex(const struct ink_vauth *a) { return a->apex; }
const char *ink_vauth_why(const struct ink_vauth *a) { return a->why; }
size_t ink_vauth_nservers(const struct ink_vauth *a) { return a->nserv; }

/* ink_vauth_server - the i-th address found, or NULL */
const struct ink_vauth_server *ink_vauth_server(const struct ink_vauth *a, size_t i)
{
    return i < a->nserv ? &a->serv[i] : NULL;
}

/* ---- one check of a domain ---- */

/* What one record's query has come to. */
struct vcheck_rec {
    int state; /* 0 new, 1 out, 2 fed */
    uint32_t ttl;
};

struct ink_vcheck {
    const struct ink_vdomain *d;
    struct vcheck_rec *rec; /* d->nrec of them */
    struct ink_vobs *obs;   /* d->nrec of them, contiguous for ink_verify_apply */
    int oom;
};

/* ink_vcheck_new - a check of every record of d (borrowed); caller frees */
struct ink_vcheck *ink_vcheck_new(const struct ink_vdomain *d)
{
    struct ink_vcheck *c = calloc(1, sizeof(*c));
    size_t n = d->nrec > 0 ? d->nrec : 1;

    if (c == NULL)
        return NULL;
    c->d = d;
    c->rec = calloc(n, sizeof(*c->rec));
    c->obs = calloc(n, sizeof(*c->obs));
    if (c->rec == NULL || c->obs == NULL) {
        ink_vcheck_free(c);
        return NULL;
    }
    return c;
}

/* ink_vcheck_free - release; NULL is a no-op */
void ink_vcheck_free(struct ink_vcheck *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; c->obs != NULL && i < c->d->nrec; i++)
        ink_vobs_clear(&c->obs[i]);
    free(c->obs);
    free(c->rec);
    free(c);
}

/* ink_vcheck_next - every record's query at once, then wait */
enum ink_next ink_vcheck_next(struct ink_vcheck *c, struct ink_query *q)
{
    size_t i;
    int out = 0;

    if (c->oom)
        return INK_NEXT_FAILED;
    for (i = 0; i < c->d->nrec; i++) {
        if (c->rec[i].state == 0) {
            c->rec[i].state = 1;
            q->name = c->d->rec[i].owner;
            q->type = c->d->rec[i].type;
            q->token = (uint32_t)(i + 1); /* 0 is never a token */
            return INK_NEXT_READY;
        }
        if (c->rec[i].state == 1)
            out = 1;
    }
    return out ? INK_NEXT_WAIT : INK_NEXT_DONE;
}

/* ink_vcheck_feed - what the answer (borrowed) shows of one record */
int ink_vcheck_feed(struct ink_vcheck *c, uint32_t token, const struct ink_dns_answer *an)
{
    const struct ink_vrecord *r;
    size_t i;

    if (token == 0 || token > c->d->nrec || c->rec[token - 1].state != 1)
        return -1;
    i = token - 1;
    r = &c->d->rec[i];
    c->rec[i].state = 2;
    if (!ink_query_answer_fits(an, r->owner, r->type))
        an = NULL; /* "no answer from DNS": inconclusive */
    c->rec[i].ttl = an != NULL ? an->ttl : 0;
    if (ink_verify_match(r, an, &c->obs[i]) < 0)
        c->oom = 1;
    return 0;
}

/* vcheck_m_next / vcheck_m_feed - the table's entries */
static enum ink_next vcheck_m_next(void *self, struct ink_query *q)
{
    return ink_vcheck_next(self, q);
}

static int vcheck_m_feed(void *self, uint32_t token, const struct ink_dns_answer *an)
{
    return ink_vcheck_feed(self, token, an);
}

static const struct ink_machine_ops vcheck_ops = {"verify", vcheck_m_next, vcheck_m_feed};

/* ink_vcheck_machine - c as the driver sees it (c stays the caller's) */
struct ink_machine ink_vcheck_machine(struct ink_vcheck *c)
{
    struct ink_machine m = {&vcheck_ops, c};

    return m;
}

/* vcheck_done - every record fed */
static int vcheck_done(const struct ink_vcheck *c)
{
    size_t i;

    for (i = 0; i < c->d->nrec; i++)
        if (c->rec[i].state != 2)
            return 0;
    return !c->oom;
}

/* ink_vcheck_obs - the observation of record i, NULL before it is fed */
const struct ink_vobs *ink_vcheck_obs(const struct ink_vcheck *c, size_t i)
{
    return i < c->d->nrec && c->rec[i].state == 2 ? &c->obs[i] : NULL;
}

/* ink_vcheck_ttl - the answer's TTL for record i */
uint32_t ink_vcheck_ttl(const struct ink_vcheck *c, size_t i)
{
    return i < c->d->nrec ? c->rec[i].ttl : 0;
}

/* ink_vcheck_apply - the state machine over this check's observations */
int ink_vcheck_apply(const struct ink_vcheck *c, struct ink_vdomain *d, int64_t now,
                     struct ink_vchange *changes, size_t *nchanges)
{
    if (d != c->d || !vcheck_done(c))
        return -1;
    return ink_verify_apply(d, c->obs, now, changes, nchanges);
}
