/*
 * resolver_cares.c - the stub resolver backend: c-ares sends each query
 * to a configured server (--dns HOST[:PORT], or the nameservers of
 * /etc/resolv.conf) over one UDP socket per server that stays open for
 * the life of the resolver (ARES_FLAG_STAYOPEN), falling back to TCP when
 * an answer is truncated.  No thread, no pipe, no socket per query: a
 * query costs one send and, amortised, one receive.
 *
 * The raw reply (ares_query hands it over whatever its status) is decoded with the project's own decoder
 * (dnswire.c), so answers have the shape the libunbound backend gives:
 * status NOERROR/NODATA/NXDOMAIN/SERVFAIL/TIMEOUT, the records' TTLs, the
 * negative TTL from the SOA (RFC 2308), CNAME chain records first.  When
 * a server hands back a chain that stops at a CNAME whose target it did
 * not include (an authoritative server for the first zone only), the
 * target is asked for next and the chain completed, as a recursive
 * resolver would do, up to INK_DNS_CNAME_CHAIN_MAX links.
 *
 * Every c-ares socket is registered with one epoll descriptor through the
 * socket-state callback; that descriptor is what fd() returns, so a
 * program with its own event loop polls one descriptor whatever the
 * number of servers or TCP connections.  The per-query timeout is ours:
 * at its deadline a query is answered TIMEOUT; c-ares (which cannot
 * cancel one query) finishes it later and that result is dropped.
 *
 * What a stub gives up against libunbound: no DNSSEC validation, no
 * recursion from the root, no source-port randomisation (the query ID is
 * the only guard against spoofed answers).  It is therefore only chosen
 * for talking to a named or a configured resolver (src/dns/open.c).
 */
#include "inkan/dnsio.h"

#include <ares.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dnswire.h"
#include "resolver_server.h"

/* DNS class IN, the only one asked for. */
#define CARES_CLASS_IN 1
/* EDNS0 UDP payload size offered (ARES_FLAG_EDNS; libunbound's default
 * edns-buffer-size, the DNS flag day 2020 figure: no IP fragmentation). */
#define CARES_EDNS_UDP_SIZE 1232
/* First retransmission after this long without an answer; c-ares doubles
 * it at each round over the servers. */
#define CARES_RETRY_FIRST_MS 400
/* Requests handed to c-ares at once (the window); more wait in our own
 * queue.  A burst of datagrams overflows a server's receive buffer (Knot
 * with one UDP worker and the kernel's default 208 KB drops past about
 * 250 small queries) and every drop costs a retransmission timeout, so
 * the window starts at CARES_WINDOW_START, grows by one for each window's
 * worth of answers that needed no retransmission, and halves (at most
 * once per CARES_RETRY_FIRST_MS, never below CARES_WINDOW_MIN) when an
 * answer needed one or a query timed out: TCP's additive increase and
 * multiplicative decrease, with retransmissions as the loss signal. */
#define CARES_WINDOW_START 128
#define CARES_WINDOW_MIN 32
#define CARES_WINDOW_MAX 512
/* Rounds of retransmission at most (each round doubles the wait). */
#define CARES_TRIES_MAX 8
/* Longest sleep while queries are out: c-ares's retransmissions are
 * checked at least this often (a fraction of CARES_RETRY_FIRST_MS). */
#define CARES_TICK_MS 50
/* Socket events taken from epoll per wait. */
#define CARES_EPOLL_EVENTS 64
/* Receive buffer asked for each UDP socket, so that a burst of answers to
 * hundreds of queries in flight is not dropped by the kernel. */
#define CARES_RCVBUF_BYTES (1 << 20)
/* RCODE values (RFC 1035 4.1.1). */
#define CARES_RCODE_NOERROR 0
#define CARES_RCODE_NXDOMAIN 3
/* Room for "ADDR@PORT" or "the resolv.conf servers" in messages. */
#define CARES_SERVER_TEXT_MAX (INET6_ADDRSTRLEN + 16)

struct cares_resolver;

/* One query asked by the caller (a CNAME chase reuses it). */
struct caq {
    struct cares_resolver *res;
    struct caq *prev, *next;      /* in flight, oldest (first deadline) first */
    char *name;                   /* normalised qname */
    uint16_t type;
    ink_resolver_cb cb;
    void *arg;
    long long deadline_ms;        /* monotonic */
    int in_ares;                  /* c-ares holds a request for it */
    int waiting;                  /* on the send queue (the window is full) */
    struct caq *wnext;            /* send queue */
    char send_name[INK_DNS_NAME_MAX + 1]; /* what to ask when sent from the queue */
    int abandoned;                /* answered TIMEOUT; drop what c-ares says */
    unsigned chased;              /* follow-up queries sent for a CNAME chain */
    struct ink_dns_answer *answer; /* built up over the chain's steps */
};

/* An answer waiting for delivery in process(). */
struct cadone {
    ink_resolver_cb cb;
    void *arg;
    struct ink_dns_answer *answer;
};

struct cares_resolver {
    struct ink_resolver base;
    ares_channel ch;
    int epfd;
    int timeout_ms;
    int destroying;               /* inside ares_destroy: free, do not queue */
    char server[CARES_SERVER_TEXT_MAX];
    struct caq *head, *tail;      /* in flight (not abandoned) */
    struct caq *whead, *wtail;    /* waiting to be sent, oldest first */
    size_t nares;                 /* requests c-ares holds (abandoned too) */
    size_t window;                /* at most this many at c-ares */
    size_t clean;                 /* answers without retransmission since
                                   * the window last changed */
    long long last_cut_ms;        /* when the window was last halved */
    struct cadone *done;          /* FIFO of answers to deliver */
    size_t ndone, capdone;
    size_t npending;              /* in flight + done */
};

/* now_ms - monotonic milliseconds */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

/* list_unlink - take q out of the in-flight list */
static void list_unlink(struct cares_resolver *c, struct caq *q)
{
    if (q->prev != NULL)
        q->prev->next = q->next;
    else
        c->head = q->next;
    if (q->next != NULL)
        q->next->prev = q->prev;
    else
        c->tail = q->prev;
    q->prev = q->next = NULL;
}

/* list_append - put q at the end of the in-flight list (the latest
 * deadline: every query has the same timeout) */
static void list_append(struct cares_resolver *c, struct caq *q)
{
    q->next = NULL;
    q->prev = c->tail;
    if (c->tail != NULL)
        c->tail->next = q;
    else
        c->head = q;
    c->tail = q;
}

/* caq_free - release a query and what it built */
static void caq_free(struct caq *q)
{
    ink_dns_answer_free(q->answer);
    free(q->name);
    free(q);
}

/* done_push - queue an answer for delivery; 0, or -1 on ENOMEM */
static int done_push(struct cares_resolver *c, ink_resolver_cb cb, void *arg,
                     struct ink_dns_answer *a)
{
    if (c->ndone == c->capdone) {
        size_t ncap = c->capdone ? c->capdone * 2 : 64;
        struct cadone *nd;
        if (ncap < c->capdone || ncap > SIZE_MAX / sizeof(*nd))
            return -1;
        nd = realloc(c->done, ncap * sizeof(*nd));
        if (nd == NULL)
            return -1;
        c->done = nd;
        c->capdone = ncap;
    }
    c->done[c->ndone].cb = cb;
    c->done[c->ndone].arg = arg;
    c->done[c->ndone].answer = a;
    c->ndone++;
    return 0;
}

/* finish - q has its final answer (or a failure with why): move it from
 * in flight to delivery.  On ENOMEM q stays in flight with an expired
 * deadline, so the timeout path answers it. */
static void finish(struct cares_resolver *c, struct caq *q, enum ink_dns_status st,
                   const char *why)
{
    struct ink_dns_answer *a = q->answer;

    if (why != NULL) {
        /* records decoded before the failure are not to be trusted */
        ink_dns_answer_free(a);
        a = failure_answer(q->name, q->type, st, why);
    }
    q->answer = NULL;
    if (a == NULL || done_push(c, q->cb, q->arg, a) < 0) {
        ink_dns_answer_free(a);
        q->deadline_ms = 0;
        /* to the front: the expiry walk starts there */
        list_unlink(c, q);
        q->next = c->head;
        if (c->head != NULL)
            c->head->prev = q;
        else
            c->tail = q;
        c->head = q;
        return;
    }
    list_unlink(c, q);
    caq_free(q);
}

static void cares_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen);
static void cares_reply(struct cares_resolver *c, struct caq *q, int status,
                        const unsigned char *abuf, int alen);

/* send_step - ask c-ares for (name, q->type) with ares_query, which
 * picks a random query ID unused among those in flight (ares_send would
 * keep the ID of the packet given to it: every query would share one,
 * and c-ares would match each answer against all of them), sets RD and
 * adds the EDNS0 record.  Its failures come back through cares_done. */
static void send_step(struct cares_resolver *c, struct caq *q, const char *name)
{
    if (c->nares >= c->window) {
        snprintf(q->send_name, sizeof(q->send_name), "%s", name);
        q->waiting = 1;
        q->wnext = NULL;
        if (c->wtail != NULL)
            c->wtail->wnext = q;
        else
            c->whead = q;
        c->wtail = q;
        return;
    }
    q->in_ares = 1;
    c->nares++;
    ares_query(c->ch, name, CARES_CLASS_IN, q->type, cares_done, q);
}

/* adapt_window - one request came back: after retransmissions (lost)
 * or cleanly; see CARES_WINDOW_START */
static void adapt_window(struct cares_resolver *c, int lost)
{
    if (lost) {
        long long now = now_ms();
        if (now - c->last_cut_ms >= CARES_RETRY_FIRST_MS) {
            c->window = c->window / 2 > CARES_WINDOW_MIN ? c->window / 2 : CARES_WINDOW_MIN;
            c->last_cut_ms = now;
            c->clean = 0;
        }
        return;
    }
    if (++c->clean >= c->window) {
        if (c->window < CARES_WINDOW_MAX)
            c->window++;
        c->clean = 0;
    }
}

/* send_waiting - hand queued requests to c-ares while there is room;
 * those that timed out while waiting are dropped */
static void send_waiting(struct cares_resolver *c)
{
    while (c->whead != NULL && c->nares < c->window && !c->destroying) {
        struct caq *q = c->whead;
        c->whead = q->wnext;
        if (c->whead == NULL)
            c->wtail = NULL;
        q->waiting = 0;
        q->wnext = NULL;
        if (q->abandoned) {
            caq_free(q);
            continue;
        }
        send_step(c, q, q->send_name);
    }
}

/* chain_end - the name the CNAME chain in a starting at qname ends at,
 * and the number of links in *links (stops past INK_DNS_CNAME_CHAIN_MAX) */
static const char *chain_end(const struct ink_dns_answer *a, const char *qname, size_t *links)
{
    const char *cur = qname;
    size_t n = 0;

    while (n <= INK_DNS_CNAME_CHAIN_MAX) {
        size_t i;
        for (i = 0; i < a->nrr; i++)
            if (a->rr[i].type == INK_DNS_CNAME && ink_dns_name_eq(a->rr[i].owner, cur))
                break;
        if (i == a->nrr)
            break;
        cur = a->rr[i].name;
        n++;
    }
    *links = n;
    return cur;
}

/* rcode_text - a name for an RCODE or c-ares server status in messages */
static const char *rcode_text(int rcode)
{
    switch (rcode) {
    case 1:
        return "FORMERR";
    case 2:
        return "SERVFAIL";
    case 4:
        return "NOTIMP";
    case 5:
        return "REFUSED";
    default:
        return "an error";
    }
}

/* take_packet - decode one reply into q->answer, decide the status, and
 * finish q or send the next step of its CNAME chain */
static void take_packet(struct cares_resolver *c, struct caq *q, const unsigned char *abuf,
                        size_t alen)
{
    struct dnswire_info info;
    const char *bad = NULL, *end;
    char why[CARES_SERVER_TEXT_MAX + 96];
    size_t i, ndata = 0, links;
    struct ink_dns_answer *a;

    if (q->answer == NULL)
        q->answer = ink_dns_answer_new(q->name, q->type, INK_DNS_SERVFAIL);
    a = q->answer;
    if (a == NULL) {
        finish(c, q, INK_DNS_SERVFAIL, "out of memory");
        return;
    }
    if (dnswire_parse_answer(abuf, alen, a, &info, &bad) < 0) {
        snprintf(why, sizeof(why), "malformed answer from %s: %s", c->server, bad);
        finish(c, q, INK_DNS_SERVFAIL, why);
        return;
    }
    if (info.rcode != CARES_RCODE_NOERROR && info.rcode != CARES_RCODE_NXDOMAIN) {
        snprintf(why, sizeof(why), "%s from %s", rcode_text(info.rcode), c->server);
        finish(c, q, INK_DNS_SERVFAIL, why);
        return;
    }
    for (i = 0; i < a->nrr; i++)
        if (a->rr[i].type == q->type)
            ndata++;
    end = chain_end(a, q->name, &links);
    if (links > INK_DNS_CNAME_CHAIN_MAX) {
        snprintf(why, sizeof(why), "CNAME chain longer than %d links from %s",
                 INK_DNS_CNAME_CHAIN_MAX, c->server);
        finish(c, q, INK_DNS_SERVFAIL, why);
        return;
    }
    if (info.rcode == CARES_RCODE_NOERROR && ndata == 0 && links > 0 &&
        q->type != INK_DNS_CNAME && q->chased < INK_DNS_CNAME_CHAIN_MAX) {
        /* the chain stops at a name the server did not answer for: ask
         * for it (a copy: the answer's records move as it grows) */
        char target[INK_DNS_NAME_MAX + 1];
        snprintf(target, sizeof(target), "%s", end);
        q->chased++;
        send_step(c, q, target);
        return;
    }
    if (info.rcode == CARES_RCODE_NXDOMAIN)
        a->status = INK_DNS_NXDOMAIN;
    else
        a->status = ndata > 0 ? INK_DNS_OK : INK_DNS_NODATA;
    if (a->status != INK_DNS_OK && info.have_neg_ttl)
        a->ttl = info.neg_ttl; /* RFC 2308 */
    finish(c, q, a->status, NULL);
}

/* cares_done - c-ares's callback for one request (runs inside
 * ares_process_fd, ares_query or ares_destroy) */
static void cares_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    struct caq *q = arg;
    struct cares_resolver *c = q->res;

    q->in_ares = 0;
    c->nares--;
    if (!c->destroying)
        adapt_window(c, timeouts > 0 || status == ARES_ETIMEOUT);
    if (c->destroying || q->abandoned) {
        /* the caller has its answer already, or will never want one */
        caq_free(q);
        send_waiting(c);
        return;
    }
    cares_reply(c, q, status, abuf, alen);
    send_waiting(c);
}

/* cares_reply - what c-ares said for q: an answer, a CNAME step, or a
 * failure */
static void cares_reply(struct cares_resolver *c, struct caq *q, int status,
                        const unsigned char *abuf, int alen)
{
    char why[CARES_SERVER_TEXT_MAX + 96];

    if (abuf != NULL && alen > 0) {
        /* a reply (ares_query has turned NXDOMAIN, NODATA, FORMERR into
         * statuses of its own, but the packet says it all) */
        take_packet(c, q, abuf, (size_t)alen);
        return;
    }
    switch (status) {
    case ARES_SUCCESS:
        snprintf(why, sizeof(why), "no answer packet from %s", c->server);
        finish(c, q, INK_DNS_SERVFAIL, why);
        return;
    case ARES_ETIMEOUT:
        snprintf(why, sizeof(why), "no answer from %s within %d ms", c->server, c->timeout_ms);
        finish(c, q, INK_DNS_TIMEOUT, why);
        return;
    case ARES_ECONNREFUSED:
        /* nothing listens there: as good as no answer */
        snprintf(why, sizeof(why), "no answer from %s: connection refused", c->server);
        finish(c, q, INK_DNS_TIMEOUT, why);
        return;
    case ARES_ESERVFAIL:
    case ARES_EREFUSED:
    case ARES_ENOTIMP:
    case ARES_EFORMERR:
        snprintf(why, sizeof(why), "%s from %s",
                 rcode_text(status == ARES_ESERVFAIL  ? 2
                            : status == ARES_EREFUSED ? 5
                            : status == ARES_ENOTIMP  ? 4
                                                      : 1),
                 c->server);
        finish(c, q, INK_DNS_SERVFAIL, why);
        return;
    default:
        snprintf(why, sizeof(why), "resolver error talking to %s: %s", c->server,
                 ares_strerror(status));
        finish(c, q, INK_DNS_SERVFAIL, why);
        return;
    }
}

/* sock_state - c-ares opened, changed or closed a socket: mirror it in
 * the epoll set (level-triggered, so nothing is lost between calls) */
static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    struct cares_resolver *c = data;
    struct epoll_event ev;

    if (c->epfd < 0)
        return;
    if (!readable && !writable) {
        /* closing; the kernel drops a closed descriptor by itself too */
        (void)epoll_ctl(c->epfd, EPOLL_CTL_DEL, fd, NULL);
        return;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = (readable ? (uint32_t)EPOLLIN : 0u) | (writable ? (uint32_t)EPOLLOUT : 0u);
    ev.data.fd = fd;
    if (epoll_ctl(c->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
        (void)epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* sock_config - a fresh UDP socket gets a receive buffer large enough
 * for the answers to every query in flight */
static int sock_config(ares_socket_t fd, int type, void *data)
{
    int size = CARES_RCVBUF_BYTES;

    (void)data;
    if (type == SOCK_DGRAM)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    return 0;
}

/* cares_submit - send (name, type) */
static int cares_submit(struct ink_resolver *r, const char *name, uint16_t type,
                        ink_resolver_cb cb, void *arg)
{
    struct cares_resolver *c = (struct cares_resolver *)r;
    char norm[INK_DNS_NAME_MAX + 1];
    struct caq *q;

    if (ink_dns_name_normalize(name, strlen(name), norm, sizeof(norm)) < 0) {
        /* not a name a server could hold: answer as the memzone does */
        struct ink_dns_answer *a =
            failure_answer(name, type, INK_DNS_NXDOMAIN, "not a valid domain name");
        if (a == NULL || done_push(c, cb, arg, a) < 0) {
            ink_dns_answer_free(a);
            return -1;
        }
        c->npending++;
        return 0;
    }
    q = calloc(1, sizeof(*q));
    if (q == NULL || (q->name = strdup(norm)) == NULL) {
        free(q);
        return -1;
    }
    q->res = c;
    q->type = type;
    q->cb = cb;
    q->arg = arg;
    q->deadline_ms = now_ms() + c->timeout_ms;
    list_append(c, q);
    c->npending++;
    /* c-ares may answer at once (a local failure): that only queues it */
    send_step(c, q, norm);
    return 0;
}

/* expire - answer TIMEOUT for every query past its deadline; those that
 * c-ares still holds stay with it, abandoned, until it lets go */
static void expire(struct cares_resolver *c, long long now)
{
    char why[CARES_SERVER_TEXT_MAX + 96];

    while (c->head != NULL && c->head->deadline_ms <= now) {
        struct caq *q = c->head;
        struct ink_dns_answer *a;
        snprintf(why, sizeof(why), "no answer from %s within %d ms", c->server, c->timeout_ms);
        a = failure_answer(q->name, q->type, INK_DNS_TIMEOUT, why);
        if (a == NULL || done_push(c, q->cb, q->arg, a) < 0) {
            ink_dns_answer_free(a);
            return; /* out of memory: again on the next call */
        }
        list_unlink(c, q);
        if (q->in_ares || q->waiting)
            q->abandoned = 1; /* freed when c-ares or the queue lets go */
        else
            caq_free(q);
    }
}

/* deliver - run the callbacks of the answers queued so far; callbacks
 * may submit more (those are delivered by a later call) */
static int deliver(struct cares_resolver *c)
{
    size_t n = c->ndone, i;
    struct cadone *batch = c->done;

    if (n == 0)
        return 0;
    c->done = NULL;
    c->ndone = c->capdone = 0;
    for (i = 0; i < n; i++) {
        c->npending--;
        batch[i].cb(batch[i].arg, batch[i].answer);
    }
    free(batch);
    return n > (size_t)INT32_MAX ? INT32_MAX : (int)n;
}

/* wait_ms - how long process() may sleep: until the first deadline, the
 * next retransmission check, or limit (-1: no limit).  ares_timeout()
 * would give the exact retransmission time but walks every query in
 * flight (c-ares 1.18), an O(n) cost on each wait; a retransmission that
 * is up to CARES_TICK_MS late costs nothing on a healthy server. */
static long long wait_ms(const struct cares_resolver *c, long long now, long long limit)
{
    long long w = -1;

    if (c->head != NULL) {
        w = c->head->deadline_ms - now;
        if (w < 0)
            w = 0;
        if (w > CARES_TICK_MS)
            w = CARES_TICK_MS;
    }
    if (limit >= 0 && (w < 0 || limit < w))
        w = limit;
    return w;
}

/* pump - one epoll wait of at most wait ms, then let c-ares read, write
 * and retransmit; 0, or -1 when the wait itself failed */
static int pump(struct cares_resolver *c, long long wait)
{
    struct epoll_event ev[CARES_EPOLL_EVENTS];
    int n, i;

    n = epoll_wait(c->epfd, ev, CARES_EPOLL_EVENTS,
                   wait > INT32_MAX ? INT32_MAX : (int)wait);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    for (i = 0; i < n; i++) {
        ares_socket_t fd = ev[i].data.fd;
        int rd = (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0;
        int wr = (ev[i].events & EPOLLOUT) != 0;
        ares_process_fd(c->ch, rd ? fd : ARES_SOCKET_BAD, wr ? fd : ARES_SOCKET_BAD);
    }
    if (n == 0)
        ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timers */
    return 0;
}

/* cares_process - wait up to timeout_ms for answers and deliver them */
static int cares_process(struct ink_resolver *r, int timeout_ms)
{
    struct cares_resolver *c = (struct cares_resolver *)r;
    long long until = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;

    for (;;) {
        long long now = now_ms();
        int ran;

        expire(c, now);
        if (c->ndone > 0)
            return deliver(c);
        if (c->head == NULL)
            return 0;
        if (pump(c, wait_ms(c, now, until >= 0 ? (until > now ? until - now : 0) : -1)) < 0)
            return -1;
        expire(c, now_ms());
        ran = deliver(c);
        if (ran > 0)
            return ran;
        if (until >= 0 && now_ms() >= until)
            return 0;
    }
}

/* cares_pending - queries whose callback has not run */
static size_t cares_pending(const struct ink_resolver *r)
{
    return ((const struct cares_resolver *)r)->npending;
}

/* cares_fd - the epoll descriptor every c-ares socket is registered in */
static int cares_fd(const struct ink_resolver *r)
{
    return ((const struct cares_resolver *)r)->epfd;
}

/* cares_timeout - 0 with answers to deliver; else ms until the first
 * deadline or retransmission; -1 with nothing pending */
static int cares_timeout(const struct ink_resolver *r)
{
    const struct cares_resolver *c = (const struct cares_resolver *)r;
    long long w;

    if (c->ndone > 0)
        return 0;
    if (c->head == NULL)
        return -1;
    w = wait_ms(c, now_ms(), -1);
    if (w < 0)
        return 0;
    return w > INT32_MAX ? INT32_MAX : (int)w;
}

/* cares_free - release everything; callbacks not yet run are dropped */
static void cares_free(struct ink_resolver *r)
{
    struct cares_resolver *c = (struct cares_resolver *)r;
    struct caq *q, *next;
    size_t i;

    /* ares_destroy calls back every request it holds (EDESTRUCTION):
     * those free their query; the rest are freed here */
    c->destroying = 1;
    /* the send queue: abandoned entries are on no other list */
    for (q = c->whead; q != NULL; q = next) {
        next = q->wnext;
        q->waiting = 0;
        if (q->abandoned)
            caq_free(q);
    }
    c->whead = c->wtail = NULL;
    for (q = c->head; q != NULL; q = next) {
        next = q->next;
        q->prev = q->next = NULL;
        if (!q->in_ares)
            caq_free(q);
    }
    c->head = c->tail = NULL;
    if (c->ch != NULL)
        ares_destroy(c->ch);
    for (i = 0; i < c->ndone; i++)
        ink_dns_answer_free(c->done[i].answer);
    free(c->done);
    if (c->epfd >= 0)
        close(c->epfd);
    free(c);
    ares_library_cleanup();
}

static const struct ink_resolver_ops cares_ops = {
    "c-ares", cares_submit, cares_process, cares_pending, cares_free, cares_fd, cares_timeout,
};

/* tries_for - retransmission rounds so that c-ares keeps trying for the
 * whole timeout: first wait w, doubled each round, until their sum
 * reaches timeout_ms */
static int tries_for(int first_ms, int timeout_ms)
{
    long long sum = 0, w = first_ms;
    int tries = 0;

    while (sum < timeout_ms && tries < CARES_TRIES_MAX) {
        sum += w;
        w *= 2;
        tries++;
    }
    return tries > 0 ? tries : 1;
}

/* ink_resolver_cares_new - a c-ares channel set up as asked */
struct ink_resolver *ink_resolver_cares_new(const char *server, int timeout_ms,
                                            struct ink_str *err)
{
    struct cares_resolver *c;
    struct ares_options o;
    int rc, mask;

    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    c->base.ops = &cares_ops;
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : INK_RESOLVER_TIMEOUT_MS_DEFAULT;
    c->window = CARES_WINDOW_START;
    c->last_cut_ms = -CARES_RETRY_FIRST_MS;
    c->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (c->epfd < 0) {
        ink_str_printf(err, "epoll: %s", strerror(errno));
        free(c);
        return NULL;
    }
    if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
        ink_str_printf(err, "c-ares: %s", ares_strerror(rc));
        close(c->epfd);
        free(c);
        return NULL;
    }
    memset(&o, 0, sizeof(o));
    /* keep sockets open between queries; no search list; EDNS0 */
    o.flags = ARES_FLAG_STAYOPEN | ARES_FLAG_NOSEARCH | ARES_FLAG_EDNS;
    o.timeout = c->timeout_ms < CARES_RETRY_FIRST_MS ? c->timeout_ms : CARES_RETRY_FIRST_MS;
    o.tries = tries_for(o.timeout, c->timeout_ms);
    o.ednspsz = CARES_EDNS_UDP_SIZE;
    o.sock_state_cb = sock_state;
    o.sock_state_cb_data = c;
    mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_EDNSPSZ |
           ARES_OPT_SOCK_STATE_CB;
    if (server != NULL) {
        /* no resolv.conf servers at all: only the one named */
        o.nservers = 0;
        o.servers = NULL;
        mask |= ARES_OPT_SERVERS;
    }
    if ((rc = ares_init_options(&c->ch, &o, mask)) != ARES_SUCCESS) {
        ink_str_printf(err, "c-ares: %s", ares_strerror(rc));
        c->ch = NULL;
        goto fail;
    }
    ares_set_socket_configure_callback(c->ch, sock_config, NULL);
    if (server != NULL) {
        struct dns_server srv;
        struct ares_addr_port_node node;
        if (dns_server_parse(server, &srv, err) < 0)
            goto fail;
        memset(&node, 0, sizeof(node));
        node.family = srv.family;
        if (srv.family == AF_INET)
            node.addr.addr4 = srv.addr4;
        else
            memcpy(&node.addr.addr6, &srv.addr6, sizeof(node.addr.addr6));
        node.udp_port = (int)srv.port;
        node.tcp_port = (int)srv.port;
        if ((rc = ares_set_servers_ports(c->ch, &node)) != ARES_SUCCESS) {
            ink_str_printf(err, "--dns '%s': %s", server, ares_strerror(rc));
            goto fail;
        }
        snprintf(c->server, sizeof(c->server), "%s@%u", srv.host, srv.port);
    } else {
        snprintf(c->server, sizeof(c->server), "the resolv.conf servers");
    }
    return &c->base;
fail:
    cares_free(&c->base);
    return NULL;
}
