/*
 * resolver_unbound.c - the libunbound resolver backend.
 *
 * Queries go out with ub_resolve_async() on a context that resolves in a
 * thread of its own; process() waits on ub_fd() with poll() and calls
 * ub_process(), which hands finished results to unbound_done().  The
 * timeout is ours, per query: libunbound would go on retrying a dead
 * server for a long while, so when a query's deadline passes it is
 * cancelled and answered TIMEOUT.  Answers are decoded from the wire
 * packet (dnswire.c) so that the CNAME chain, owner names and TTLs come
 * back exactly as the server sent them.
 *
 * Forwarding: --dns HOST[:PORT] forwards everything to that server
 * (ub_ctx_set_fwd "ADDR@PORT"); otherwise the servers of
 * /etc/resolv.conf are used, and when it names none libunbound recurses
 * from the root.  The context keeps its cache unless no_cache is asked
 * for, in which case nothing is kept (cache-max-ttl 0).
 *
 * Since issue 7 ink_resolver_open() picks this backend only where the
 * c-ares stub (resolver_cares.c) cannot serve: DNSSEC validation
 * (--trust-anchor) and recursion (no nameserver configured).  Its
 * asynchronous mode costs a worker thread, a pipe each way and a fresh
 * socket per query (about 45 us of CPU a query, bench/README.md).
 */
#include "inkan/dnsio.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <unbound.h>

#include "dnswire.h"
#include "resolver_server.h"

/* DNS class IN, the only one asked for. */
#define UB_CLASS_IN 1
/* RCODE values (RFC 1035 4.1.1, RFC 6895). */
#define UB_RCODE_NOERROR 0
#define UB_RCODE_SERVFAIL 2
#define UB_RCODE_NXDOMAIN 3
#define UB_RCODE_REFUSED 5

/* Zones libunbound answers locally by default (RFC 6761 and friends).
 * When forwarding to a named server the user wants that server's answers,
 * test zones included, so these are made transparent there.  ("nodefault"
 * would be the natural word, but libunbound 1.17's ub_ctx_set_option
 * stores it with the type still attached, and it never matches.) */
static const char *const ub_local_defaults[] = {
    "localhost.", "127.in-addr.arpa.", "onion.", "test.", "invalid.", "home.arpa.",
    "resolver.arpa.", "service.arpa.", "0.in-addr.arpa.", "255.255.255.255.in-addr.arpa.",
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
};

/* One query in flight. */
struct ubq {
    struct ub_resolver *res;
    int async_id;
    int sent;              /* libunbound holds it (cancel or callback due) */
    char *name;            /* normalised qname */
    uint16_t type;
    ink_resolver_cb cb;
    void *arg;
    long long deadline_ms; /* monotonic */
    int timed_out;         /* cancelled at its deadline; callback not wanted */
    struct ink_dns_answer *answer; /* set when done, before delivery */
    struct ubq *prev, *next;
};

struct ub_resolver {
    struct ink_resolver base;
    struct ub_ctx *ctx;
    int timeout_ms;
    char *server;          /* for messages: "127.0.0.1@5353" or "resolv.conf" */
    int validating;        /* a trust anchor is configured */
    struct ubq *inflight;  /* list of queries sent, not answered */
    struct ubq *zombies;   /* timed out but could not be cancelled */
    struct ubq **done;     /* answered, waiting for delivery (FIFO) */
    size_t ndone, capdone;
    size_t npending;       /* inflight + done */
};

/* now_ms - monotonic milliseconds */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* list_unlink - take q out of the doubly linked list at *head */
static void list_unlink(struct ubq **head, struct ubq *q)
{
    if (q->prev != NULL)
        q->prev->next = q->next;
    else
        *head = q->next;
    if (q->next != NULL)
        q->next->prev = q->prev;
    q->prev = q->next = NULL;
}

/* list_push - put q at the front of the list at *head */
static void list_push(struct ubq **head, struct ubq *q)
{
    q->prev = NULL;
    q->next = *head;
    if (*head != NULL)
        (*head)->prev = q;
    *head = q;
}

/* ubq_free - release a query (and an undelivered answer) */
static void ubq_free(struct ubq *q)
{
    ink_dns_answer_free(q->answer);
    free(q->name);
    free(q);
}

/* done_push - queue q for delivery; on ENOMEM the answer is dropped and
 * q delivered later with a SERVFAIL (never lost) */
static int done_push(struct ub_resolver *u, struct ubq *q)
{
    if (u->ndone == u->capdone) {
        size_t ncap = u->capdone ? u->capdone * 2 : 16;
        struct ubq **nd;
        if (ncap < u->capdone || ncap > SIZE_MAX / sizeof(*nd))
            return -1;
        nd = realloc(u->done, ncap * sizeof(*nd));
        if (nd == NULL)
            return -1;
        u->done = nd;
        u->capdone = ncap;
    }
    u->done[u->ndone++] = q;
    return 0;
}

/* failure_answer - an answer with status st and a reason; NULL on ENOMEM */
static struct ink_dns_answer *failure_answer(const char *name, uint16_t type,
                                             enum ink_dns_status st, const char *why)
{
    struct ink_dns_answer *a = ink_dns_answer_new(name, type, st);

    if (a != NULL && ink_dns_answer_set_why(a, why) < 0) {
        ink_dns_answer_free(a);
        return NULL;
    }
    return a;
}

/* rcode_text - a name for an RCODE in messages */
static const char *rcode_text(int rcode)
{
    switch (rcode) {
    case 1:
        return "FORMERR";
    case UB_RCODE_SERVFAIL:
        return "SERVFAIL";
    case 4:
        return "NOTIMP";
    case UB_RCODE_REFUSED:
        return "REFUSED";
    default:
        return "an error";
    }
}

/* answer_from_result - build the model answer from an unbound result */
static struct ink_dns_answer *answer_from_result(struct ub_resolver *u, struct ubq *q,
                                                 int err, struct ub_result *res)
{
    struct ink_str why = INK_STR_INIT;
    struct ink_dns_answer *a;
    struct dnswire_info info;
    const char *bad = NULL;

    if (err != 0 || res == NULL) {
        ink_str_printf(&why, "resolver error: %s", ub_strerror(err));
        a = failure_answer(q->name, q->type, INK_DNS_SERVFAIL, ink_str_cstr(&why));
        ink_str_free(&why);
        return a;
    }
    a = ink_dns_answer_new(q->name, q->type, INK_DNS_SERVFAIL);
    if (a == NULL)
        return NULL;
    if (u->validating)
        a->dnssec = res->secure ? INK_DNSSEC_SECURE
                                : res->bogus ? INK_DNSSEC_BOGUS : INK_DNSSEC_INSECURE;
    if (res->bogus) {
        ink_str_puts(&why, "DNSSEC validation failed");
        if (res->why_bogus != NULL) {
            ink_str_puts(&why, ": ");
            ink_str_put_printable(&why, res->why_bogus, strlen(res->why_bogus), 200);
        }
        goto fail_with_why;
    }
    if (res->rcode != UB_RCODE_NOERROR && res->rcode != UB_RCODE_NXDOMAIN) {
        /* libunbound says SERVFAIL also when the server refused or
         * answered nothing usable */
        ink_str_printf(&why, "%s from %s", rcode_text(res->rcode), u->server);
        goto fail_with_why;
    }
    if (res->answer_packet == NULL || res->answer_len <= 0) {
        ink_str_printf(&why, "no answer packet from %s", u->server);
        goto fail_with_why;
    }
    if (dnswire_parse_answer(res->answer_packet, (size_t)res->answer_len, a, &info, &bad) < 0) {
        ink_str_printf(&why, "malformed answer from %s: %s", u->server, bad);
        goto fail_with_why;
    }
    if (res->rcode == UB_RCODE_NXDOMAIN || res->nxdomain) {
        a->status = INK_DNS_NXDOMAIN;
    } else {
        size_t i, ndata = 0;
        for (i = 0; i < a->nrr; i++)
            if (a->rr[i].type == q->type)
                ndata++;
        a->status = ndata > 0 ? INK_DNS_OK : INK_DNS_NODATA;
    }
    if (a->status != INK_DNS_OK) {
        /* negative TTL (RFC 2308): from the SOA, else unbound's figure */
        if (info.have_neg_ttl)
            a->ttl = info.neg_ttl;
        else if (res->ttl > 0)
            a->ttl = (uint32_t)res->ttl;
    }
    return a;
fail_with_why:
    {
        /* records decoded before the failure are not to be trusted */
        enum ink_dnssec sec = a->dnssec;
        ink_dns_answer_free(a);
        a = failure_answer(q->name, q->type, INK_DNS_SERVFAIL,
                           why.len ? ink_str_cstr(&why) : "server failure");
        if (a != NULL)
            a->dnssec = sec;
    }
    ink_str_free(&why);
    return a;
}

/* unbound_done - libunbound's callback (runs inside ub_process) */
static void unbound_done(void *mydata, int err, struct ub_result *res)
{
    struct ubq *q = mydata;
    struct ub_resolver *u = q->res;

    if (q->timed_out) {
        /* answered after we gave up and could not cancel: drop it */
        list_unlink(&u->zombies, q);
        ubq_free(q);
        if (res != NULL)
            ub_resolve_free(res);
        return;
    }
    list_unlink(&u->inflight, q);
    q->sent = 0;
    q->answer = answer_from_result(u, q, err, res);
    if (res != NULL)
        ub_resolve_free(res);
    if (done_push(u, q) < 0) {
        /* cannot queue it: keep it in flight with an expired deadline so
         * that the timeout path answers it */
        ink_dns_answer_free(q->answer);
        q->answer = NULL;
        q->deadline_ms = 0;
        list_push(&u->inflight, q);
    }
}

/* ub_submit - send (name, type) */
static int ub_submit(struct ink_resolver *r, const char *name, uint16_t type,
                     ink_resolver_cb cb, void *arg)
{
    struct ub_resolver *u = (struct ub_resolver *)r;
    char norm[INK_DNS_NAME_MAX + 1];
    struct ubq *q;
    int rc;

    q = calloc(1, sizeof(*q));
    if (q == NULL)
        return -1;
    q->res = u;
    q->type = type;
    q->cb = cb;
    q->arg = arg;
    q->deadline_ms = now_ms() + u->timeout_ms;
    if (ink_dns_name_normalize(name, strlen(name), norm, sizeof(norm)) < 0) {
        /* not a name a server could hold: answer as the memzone does */
        q->name = strdup(name);
        if (q->name != NULL)
            q->answer = failure_answer(name, type, INK_DNS_NXDOMAIN, "not a valid domain name");
        if (q->answer == NULL || done_push(u, q) < 0) {
            ubq_free(q);
            return -1;
        }
        u->npending++;
        return 0;
    }
    q->name = strdup(norm);
    if (q->name == NULL) {
        free(q);
        return -1;
    }
    list_push(&u->inflight, q);
    rc = ub_resolve_async(u->ctx, norm[0] != '\0' ? norm : ".", type, UB_CLASS_IN, q,
                          unbound_done, &q->async_id);
    if (rc != 0) {
        list_unlink(&u->inflight, q);
        ubq_free(q);
        return -1;
    }
    q->sent = 1;
    u->npending++;
    return 0;
}

/* expire - answer TIMEOUT for every query past its deadline */
static void expire(struct ub_resolver *u, long long now)
{
    struct ubq *q = u->inflight, *next;

    for (; q != NULL; q = next) {
        char why[128];
        next = q->next;
        if (q->deadline_ms > now)
            continue;
        list_unlink(&u->inflight, q);
        if (q->answer == NULL) {
            snprintf(why, sizeof(why), "no answer from %s within %d ms", u->server,
                     u->timeout_ms);
            q->answer = failure_answer(q->name, q->type, INK_DNS_TIMEOUT, why);
        }
        if (q->sent && ub_cancel(u->ctx, q->async_id) != 0) {
            /* the result may still come: keep q until it does, deliver a
             * copy of the timeout now */
            struct ubq *copy = calloc(1, sizeof(*copy));
            if (copy == NULL) {
                list_push(&u->inflight, q); /* try again next time */
                continue;
            }
            *copy = *q;
            copy->prev = copy->next = NULL;
            copy->name = strdup(q->name);
            q->answer = NULL;
            q->timed_out = 1;
            list_push(&u->zombies, q);
            q = copy;
        }
        q->sent = 0;
        if (q->answer == NULL || done_push(u, q) < 0) {
            /* out of memory: try again on the next call */
            q->deadline_ms = 0;
            list_push(&u->inflight, q);
        }
    }
}

/* deliver - run the callbacks of the answers queued so far */
static int deliver(struct ub_resolver *u)
{
    size_t n = u->ndone, i;
    struct ubq **batch;

    if (n == 0)
        return 0;
    /* take the batch, so callbacks may submit (and complete) more */
    batch = u->done;
    u->done = NULL;
    u->ndone = u->capdone = 0;
    for (i = 0; i < n; i++) {
        struct ubq *q = batch[i];
        struct ink_dns_answer *a = q->answer;
        q->answer = NULL;
        u->npending--;
        q->cb(q->arg, a);
        ubq_free(q);
    }
    free(batch);
    return n > (size_t)INT32_MAX ? INT32_MAX : (int)n;
}

/* next_deadline - the earliest deadline in flight, or -1 */
static long long next_deadline(const struct ub_resolver *u)
{
    const struct ubq *q;
    long long d = -1;

    for (q = u->inflight; q != NULL; q = q->next)
        if (d < 0 || q->deadline_ms < d)
            d = q->deadline_ms;
    return d;
}

/* ub_process_answers - wait up to timeout_ms for answers and deliver them */
static int ub_process_answers(struct ink_resolver *r, int timeout_ms)
{
    struct ub_resolver *u = (struct ub_resolver *)r;
    long long start = now_ms(), until = timeout_ms >= 0 ? start + timeout_ms : -1;

    for (;;) {
        long long now = now_ms(), dl = next_deadline(u), wait;
        struct pollfd pfd;
        int ran;

        expire(u, now);
        if (u->ndone > 0)
            return deliver(u);
        if (u->inflight == NULL)
            return 0;
        /* sleep until an answer, the first deadline, or the caller's limit */
        dl = next_deadline(u);
        wait = dl - now;
        if (until >= 0 && until - now < wait)
            wait = until - now;
        if (wait < 0)
            wait = 0;
        pfd.fd = ub_fd(u->ctx);
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, (int)wait) < 0 && errno != EINTR)
            return -1;
        if (pfd.revents & POLLIN) {
            if (ub_process(u->ctx) != 0)
                return -1;
        }
        expire(u, now_ms());
        ran = deliver(u);
        if (ran > 0)
            return ran;
        if (until >= 0 && now_ms() >= until)
            return 0;
    }
}

/* ub_pending - queries not yet delivered */
static size_t ub_pending(const struct ink_resolver *r)
{
    return ((const struct ub_resolver *)r)->npending;
}

/* ub_free_resolver - drop everything; pending callbacks are not run */
static void ub_free_resolver(struct ink_resolver *r)
{
    struct ub_resolver *u = (struct ub_resolver *)r;
    struct ubq *q, *next;
    size_t i;

    /* deleting the context first guarantees no callback runs later */
    ub_ctx_delete(u->ctx);
    for (q = u->inflight; q != NULL; q = next) {
        next = q->next;
        ubq_free(q);
    }
    for (q = u->zombies; q != NULL; q = next) {
        next = q->next;
        ubq_free(q);
    }
    for (i = 0; i < u->ndone; i++)
        ubq_free(u->done[i]);
    free(u->done);
    free(u->server);
    free(u);
}

/* ub_fd_op - libunbound's descriptor: readable when results wait in
 * ub_process() (the pipe from its worker thread) */
static int ub_fd_op(const struct ink_resolver *r)
{
    return ub_fd(((const struct ub_resolver *)r)->ctx);
}

/* ub_timeout_op - 0 when answers wait for delivery, else ms until the
 * first deadline in flight; -1 when nothing is pending */
static int ub_timeout_op(const struct ink_resolver *r)
{
    const struct ub_resolver *u = (const struct ub_resolver *)r;
    long long dl, left;

    if (u->ndone > 0)
        return 0;
    dl = next_deadline(u);
    if (dl < 0)
        return -1;
    left = dl - now_ms();
    if (left < 0)
        return 0;
    return left > INT32_MAX ? INT32_MAX : (int)left;
}

static const struct ink_resolver_ops ub_ops = {
    "unbound", ub_submit, ub_process_answers, ub_pending, ub_free_resolver, ub_fd_op,
    ub_timeout_op,
};

/* set_option - ub_ctx_set_option with a readable failure */
static int set_option(struct ub_ctx *ctx, const char *opt, const char *val, struct ink_str *err)
{
    int rc = ub_ctx_set_option(ctx, opt, val);

    if (rc != 0) {
        ink_str_printf(err, "libunbound option %s %s: %s", opt, val, ub_strerror(rc));
        return -1;
    }
    return 0;
}

/* ink_resolver_unbound_new - a libunbound context set up as asked */
struct ink_resolver *ink_resolver_unbound_new(const char *server, int timeout_ms,
                                              int no_cache, struct ink_str *err)
{
    return ink_resolver_unbound_new_ta(server, timeout_ms, no_cache, NULL, err);
}

/* ink_resolver_unbound_new_ta - libunbound, validating when trust_anchor */
struct ink_resolver *ink_resolver_unbound_new_ta(const char *server, int timeout_ms,
                                                 int no_cache, const char *trust_anchor,
                                                 struct ink_str *err)
{
    char fwd[DNS_SERVER_TEXT_MAX + 16];
    struct ub_resolver *u;
    int rc;

    u = calloc(1, sizeof(*u));
    if (u == NULL) {
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    u->base.ops = &ub_ops;
    u->timeout_ms = timeout_ms > 0 ? timeout_ms : INK_RESOLVER_TIMEOUT_MS_DEFAULT;
    u->ctx = ub_ctx_create();
    if (u->ctx == NULL) {
        ink_str_puts(err, "cannot create a libunbound context");
        free(u);
        return NULL;
    }
    /* resolve in a thread, not a forked process: we live in a library */
    if ((rc = ub_ctx_async(u->ctx, 1)) != 0) {
        ink_str_printf(err, "libunbound: %s", ub_strerror(rc));
        goto fail;
    }
    /* a local server (tests, a local resolver) must be reachable */
    if (set_option(u->ctx, "do-not-query-localhost:", "no", err) < 0)
        goto fail;
    if (no_cache) {
        /* keep nothing: every query goes to the server (verification polls) */
        if (set_option(u->ctx, "cache-max-ttl:", "0", err) < 0 ||
            set_option(u->ctx, "cache-max-negative-ttl:", "0", err) < 0)
            goto fail;
    }
    if (server != NULL) {
        struct dns_server srv;
        if (dns_server_parse(server, &srv, err) < 0)
            goto fail;
        snprintf(fwd, sizeof(fwd), "%s@%u", srv.host, srv.port);
        if ((rc = ub_ctx_set_fwd(u->ctx, fwd)) != 0) {
            ink_str_printf(err, "--dns '%s': %s", server, ub_strerror(rc));
            goto fail;
        }
        if (set_option(u->ctx, "unblock-lan-zones:", "yes", err) < 0 ||
            set_option(u->ctx, "insecure-lan-zones:", "yes", err) < 0)
            goto fail;
        for (size_t i = 0; i < sizeof(ub_local_defaults) / sizeof(ub_local_defaults[0]); i++) {
            char lz[INK_DNS_NAME_MAX + 16];
            snprintf(lz, sizeof(lz), "%s transparent", ub_local_defaults[i]);
            if (set_option(u->ctx, "local-zone:", lz, err) < 0)
                goto fail;
        }
        u->server = strdup(fwd);
    } else {
        if ((rc = ub_ctx_resolvconf(u->ctx, NULL)) != 0) {
            ink_str_printf(err, "/etc/resolv.conf: %s", ub_strerror(rc));
            goto fail;
        }
        u->server = strdup("the resolv.conf servers");
    }
    if (u->server == NULL) {
        ink_str_puts(err, "out of memory");
        goto fail;
    }
    if (trust_anchor != NULL) {
        /* libunbound only reads the file at the first query: check now */
        if (access(trust_anchor, R_OK) != 0) {
            ink_str_printf(err, "%s: %s", trust_anchor, strerror(errno));
            goto fail;
        }
        if ((rc = ub_ctx_add_ta_file(u->ctx, trust_anchor)) != 0) {
            ink_str_printf(err, "%s: %s", trust_anchor, ub_strerror(rc));
            goto fail;
        }
        u->validating = 1;
    }
    return &u->base;
fail:
    ub_ctx_delete(u->ctx);
    free(u->server);
    free(u);
    return NULL;
}
