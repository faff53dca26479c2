/*
 * resolver_compare.c - checks of the c-ares stub backend against a real
 * server, for tests/cli/resolver-knot.sh.  Prints TAP lines ("ok N - ..."
 * / "not ok N - ..."); exits 1 if any check failed.
 *
 *   resolver_compare compare HOST:PORT FILE
 *       every "NAME TYPE" line of FILE asked of libunbound (a fresh context: its cache
 *       only joins repeated questions) and
 *       of the c-ares backend, all at once on each, each backend driven
 *       only from a poll() loop over its fd() and timeout(): the status,
 *       the records (in order, CNAMEs first) and the TTLs (within
 *       TTL_SLACK seconds) must agree, and every question must be
 *       answered before the loop's own deadline.
 *   resolver_compare ids
 *       CMP_ID_QUERIES questions sent by the c-ares backend to a socket of
 *       this program: they arrive with random query IDs, nearly all
 *       distinct (c-ares's ares_send keeps the ID of the packet it is
 *       given; a backend that built every query with ID 0 sent them all
 *       with one ID), and the IDs are not a counter.
 *   resolver_compare burst
 *       many questions at once to a server that never answers: only a
 *       window of them leaves, the rest wait (no flood).
 *   resolver_compare dead TIMEOUT_MS
 *       questions to a closed loopback port and to a bound socket that
 *       never answers: each comes back TIMEOUT within TIMEOUT_MS (plus
 *       slack for a loaded machine), driven from a poll() loop.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "inkan/dnsio.h"

/* Longest question line read. */
#define CMP_LINE_MAX 512
/* Questions one compare run takes. */
#define CMP_QUESTIONS_MAX 4096
/* TTLs may differ by this much (a record's TTL counted down in transit). */
#define CMP_TTL_SLACK 2
/* A poll loop gives up after this long: a backend that never answers. */
#define CMP_LOOP_LIMIT_MS 60000
/* Extra time a TIMEOUT may take over the timeout on a loaded machine. */
#define CMP_DEAD_SLACK_MS 1500
/* Queries sent at once to each dead server. */
#define CMP_DEAD_QUERIES 40
/* Queries whose IDs the ids check looks at: fewer than the stub's first
 * window (128 at c-ares at once), so all leave at submit. */
#define CMP_ID_QUERIES 100
/* Repeated IDs allowed among them: about 0.1 are expected from random
 * IDs, 99 from one fixed ID. */
#define CMP_ID_REPEATS_MAX 5
/* The burst check: queries submitted at once, how long to listen, and
 * how many may leave before any answer (the stub's first window is 128). */
#define CMP_BURST_QUERIES 400
#define CMP_BURST_WAIT_MS 300
#define CMP_BURST_WINDOW_MIN 32
#define CMP_BURST_WINDOW_MAX 200
/* Room for one answer in text. */
#define CMP_TEXT_MAX 65536

static int tap_count, tap_fails;

/* tap - print one TAP line */
static void tap(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(int ok, const char *fmt, ...)
{
    va_list ap;

    tap_count++;
    if (!ok)
        tap_fails++;
    printf("%s %d - ", ok ? "ok" : "not ok", tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* now_ms - monotonic milliseconds */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One question and what each backend answered. */
struct slot {
    char name[INK_DNS_NAME_MAX + 2];
    uint16_t type;
    struct ink_dns_answer *answer;
    long long answered_ms;
};

/* got - a backend's callback */
static void got(void *arg, struct ink_dns_answer *a)
{
    struct slot *s = arg;

    s->answer = a;
    s->answered_ms = now_ms();
}

/* drive - run r only through poll(fd(), timeout()) and process(0) until
 * nothing is pending; 0, or -1 on a failure or the loop limit */
static int drive(struct ink_resolver *r, const char *what)
{
    long long start = now_ms();

    while (ink_resolver_pending(r) > 0) {
        struct pollfd p;
        int t = ink_resolver_timeout(r), fd = ink_resolver_fd(r), n;
        if (t < 0) {
            fprintf(stderr, "%s: timeout() is -1 with queries pending\n", what);
            return -1;
        }
        if (now_ms() - start > CMP_LOOP_LIMIT_MS) {
            fprintf(stderr, "%s: nothing answered in %d ms\n", what, CMP_LOOP_LIMIT_MS);
            return -1;
        }
        p.fd = fd;
        p.events = POLLIN;
        p.revents = 0;
        n = poll(&p, fd >= 0 ? 1 : 0, t);
        if (n < 0) {
            perror("poll");
            return -1;
        }
        if (ink_resolver_process(r, 0) < 0) {
            fprintf(stderr, "%s: process() failed\n", what);
            return -1;
        }
    }
    if (ink_resolver_timeout(r) != -1) {
        fprintf(stderr, "%s: timeout() is not -1 with nothing pending\n", what);
        return -1;
    }
    return 0;
}

/* rr_text - one record without its TTL */
static void rr_text(const struct ink_dns_rr *rr, char *out, size_t outsz)
{
    size_t len = 0, j;
    char ip[64];

#define PUT(...)                                                                             \
    do {                                                                                     \
        int n_ = snprintf(out + len, outsz - len, __VA_ARGS__);                              \
        if (n_ > 0)                                                                          \
            len = len + (size_t)n_ < outsz ? len + (size_t)n_ : outsz - 1;                   \
    } while (0)
    out[0] = '\0';
    PUT("%s %s", rr->owner ? rr->owner : "?", ink_dns_type_name(rr->type));
    switch (rr->type) {
    case INK_DNS_A:
    case INK_DNS_AAAA:
        PUT(" %s", ink_ip_format(rr->type == INK_DNS_A ? 4 : 6, rr->addr, ip, sizeof(ip)));
        break;
    case INK_DNS_MX:
        PUT(" %u %s", rr->pref, rr->name);
        break;
    case INK_DNS_TXT:
    case INK_DNS_SPF:
        for (j = 0; j < rr->ntxt; j++) {
            size_t k;
            PUT(" \"");
            for (k = 0; k < rr->txtlen[j]; k++)
                PUT(rr->txt[j][k] >= 0x20 && rr->txt[j][k] < 0x7f ? "%c" : "\\%03u",
                    rr->txt[j][k]);
            PUT("\"");
        }
        break;
    default:
        PUT(" %s", rr->name ? rr->name : "");
    }
#undef PUT
}

/* cmp_str - qsort order of C strings */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* answer_text - status, the CNAME chain in order, then the data records
 * sorted (an RRset has no order: Knot rotates it), without TTLs */
static void answer_text(const struct ink_dns_answer *a, char *out, size_t outsz)
{
    char **lines = calloc(a->nrr + 1, sizeof(*lines));
    size_t i, n = 0, len;

    assert(lines != NULL);
    len = (size_t)snprintf(out, outsz, "%s", ink_dns_status_name(a->status));
    for (i = 0; i < a->nrr; i++) {
        char buf[CMP_TEXT_MAX / 2];
        rr_text(&a->rr[i], buf, sizeof(buf));
        if (a->rr[i].type == INK_DNS_CNAME && a->rr[i].type != a->qtype) {
            len += (size_t)snprintf(out + len, len < outsz ? outsz - len : 0, "\n  %s", buf);
            continue;
        }
        lines[n] = strdup(buf);
        assert(lines[n] != NULL);
        n++;
    }
    qsort(lines, n, sizeof(*lines), cmp_str);
    for (i = 0; i < n; i++) {
        if (len < outsz)
            len += (size_t)snprintf(out + len, outsz - len, "\n  %s", lines[i]);
        free(lines[i]);
    }
    free(lines);
}

/* ttls_agree - same number of records, each TTL within the slack, and
 * the answer TTL too */
static int ttls_agree(const struct ink_dns_answer *a, const struct ink_dns_answer *b)
{
    size_t i;

    if (a->nrr != b->nrr)
        return 0;
    for (i = 0; i < a->nrr; i++)
        if (labs((long)a->rr[i].ttl - (long)b->rr[i].ttl) > CMP_TTL_SLACK)
            return 0;
    return labs((long)a->ttl - (long)b->ttl) <= CMP_TTL_SLACK;
}

/* run_all - ask every question of r at once and drive it from poll() */
static int run_all(struct ink_resolver *r, struct slot *s, size_t n, const char *what)
{
    size_t i;

    if (ink_resolver_timeout(r) != -1) {
        tap(0, "%s: timeout() is -1 before any query", what);
        return -1;
    }
    for (i = 0; i < n; i++)
        if (ink_resolver_submit(r, s[i].name, s[i].type, got, &s[i]) < 0) {
            tap(0, "%s: submit %s", what, s[i].name);
            return -1;
        }
    tap(ink_resolver_timeout(r) >= 0, "%s: timeout() is >= 0 with %zu queries pending", what,
        n);
    if (drive(r, what) < 0) {
        tap(0, "%s: answered every question from a poll() loop over fd()/timeout()", what);
        return -1;
    }
    tap(1, "%s: answered %zu questions from a poll() loop over fd()/timeout()", what, n);
    return 0;
}

/* compare - libunbound and c-ares give the same answers */
static int compare(const char *server, const char *path)
{
    static struct slot ub[CMP_QUESTIONS_MAX], ca[CMP_QUESTIONS_MAX];
    static char ta[CMP_TEXT_MAX], tb[CMP_TEXT_MAX];
    struct ink_str err = INK_STR_INIT;
    struct ink_resolver *u, *c;
    char line[CMP_LINE_MAX];
    size_t n = 0, i, same = 0, ttl_same = 0;
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        perror(path);
        return 1;
    }
    while (fgets(line, sizeof(line), f) != NULL && n < CMP_QUESTIONS_MAX) {
        char name[CMP_LINE_MAX], type[CMP_LINE_MAX];
        if (sscanf(line, "%300s %30s", name, type) != 2 || strlen(name) > INK_DNS_NAME_MAX + 1)
            continue;
        memcpy(ub[n].name, name, strlen(name) + 1); /* length checked above */
        ub[n].type = ink_dns_type_from_name(type, strlen(type));
        if (ub[n].type == 0)
            continue;
        ca[n] = ub[n];
        n++;
    }
    fclose(f);
    u = ink_resolver_unbound_new(server, 5000, 0, &err);
    c = ink_resolver_cares_new(server, 5000, &err);
    if (u == NULL || c == NULL) {
        tap(0, "open both backends: %s", ink_str_cstr(&err));
        return 1;
    }
    tap(ink_resolver_fd(c) >= 0, "c-ares: fd() is a descriptor (%d)", ink_resolver_fd(c));
    tap(ink_resolver_fd(u) >= 0, "libunbound: fd() is a descriptor (%d)", ink_resolver_fd(u));
    if (run_all(u, ub, n, "libunbound") < 0 || run_all(c, ca, n, "c-ares") < 0)
        return 1;
    for (i = 0; i < n; i++) {
        if (ub[i].answer == NULL || ca[i].answer == NULL) {
            printf("# %s %s: no answer\n", ub[i].name, ink_dns_type_name(ub[i].type));
            continue;
        }
        answer_text(ub[i].answer, ta, sizeof(ta));
        answer_text(ca[i].answer, tb, sizeof(tb));
        if (strcmp(ta, tb) == 0)
            same++;
        else {
            printf("# %s %s differs:\n# libunbound: %s\n# c-ares:     %s\n", ub[i].name,
                   ink_dns_type_name(ub[i].type), ta, tb);
        }
        if (ttls_agree(ub[i].answer, ca[i].answer))
            ttl_same++;
        else
            printf("# %s %s: TTLs differ (answer %u vs %u)\n", ub[i].name,
                   ink_dns_type_name(ub[i].type), ub[i].answer->ttl, ca[i].answer->ttl);
    }
    tap(same == n, "c-ares and libunbound: same status and records for %zu of %zu questions",
        same, n);
    tap(ttl_same == n, "c-ares and libunbound: TTLs within %ds for %zu of %zu questions",
        CMP_TTL_SLACK, ttl_same, n);
    for (i = 0; i < n; i++) {
        ink_dns_answer_free(ub[i].answer);
        ink_dns_answer_free(ca[i].answer);
    }
    ink_resolver_free(u);
    ink_resolver_free(c);
    ink_str_free(&err);
    return tap_fails > 0;
}

/* loopback_port - bind a UDP socket on 127.0.0.1; its fd, port in *port */
static int loopback_port(unsigned *port)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
        perror("loopback socket");
        exit(1);
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

/* dead_one - CMP_DEAD_QUERIES questions to port: all TIMEOUT in time */
static void dead_one(unsigned port, int timeout_ms, const char *what)
{
    static struct slot s[CMP_DEAD_QUERIES];
    struct ink_str err = INK_STR_INIT;
    struct ink_resolver *r;
    char server[64];
    long long start, worst = 0;
    size_t i, timeouts = 0;

    snprintf(server, sizeof(server), "127.0.0.1:%u", port);
    r = ink_resolver_cares_new(server, timeout_ms, &err);
    if (r == NULL) {
        tap(0, "%s: open c-ares: %s", what, ink_str_cstr(&err));
        return;
    }
    memset(s, 0, sizeof(s));
    for (i = 0; i < CMP_DEAD_QUERIES; i++) {
        snprintf(s[i].name, sizeof(s[i].name), "q%zu.example.test", i);
        s[i].type = INK_DNS_TXT;
    }
    start = now_ms();
    if (run_all(r, s, CMP_DEAD_QUERIES, what) == 0) {
        for (i = 0; i < CMP_DEAD_QUERIES; i++) {
            if (s[i].answer != NULL && s[i].answer->status == INK_DNS_TIMEOUT)
                timeouts++;
            if (s[i].answered_ms - start > worst)
                worst = s[i].answered_ms - start;
        }
        tap(timeouts == CMP_DEAD_QUERIES, "%s: %zu of %d queries TIMEOUT", what, timeouts,
            CMP_DEAD_QUERIES);
        tap(worst <= timeout_ms + CMP_DEAD_SLACK_MS,
            "%s: last answer after %lld ms (timeout %d ms)", what, worst, timeout_ms);
        if (s[0].answer != NULL && s[0].answer->why != NULL)
            printf("# %s: %s\n", what, s[0].answer->why);
    }
    for (i = 0; i < CMP_DEAD_QUERIES; i++)
        ink_dns_answer_free(s[i].answer);
    ink_resolver_free(r);
    ink_str_free(&err);
}

/* dead - a closed port and a silent one */
static int dead(int timeout_ms)
{
    unsigned closed, silent;
    int fd = loopback_port(&closed), sfd;

    close(fd); /* nobody listens there now */
    sfd = loopback_port(&silent); /* bound, never read: no ICMP, no answer */
    dead_one(closed, timeout_ms, "closed port");
    dead_one(silent, timeout_ms, "silent server");
    close(sfd);
    return tap_fails > 0;
}

/* ids - the stub's query IDs are distinct and not sequential */
static int ids(void)
{
    static int seen[65536];
    struct ink_str err = INK_STR_INIT;
    struct ink_resolver *r;
    unsigned port, prev = 0;
    char server[64];
    size_t i, nrecv = 0, distinct = 0, steps = 0;
    int fd = loopback_port(&port);

    snprintf(server, sizeof(server), "127.0.0.1:%u", port);
    r = ink_resolver_cares_new(server, 1000, &err);
    if (r == NULL) {
        tap(0, "ids: open c-ares: %s", ink_str_cstr(&err));
        return 1;
    }
    for (i = 0; i < CMP_ID_QUERIES; i++) {
        char name[64];
        snprintf(name, sizeof(name), "id%zu.example.test", i);
        if (ink_resolver_submit(r, name, INK_DNS_A, got, NULL) < 0) {
            tap(0, "ids: submit");
            return 1;
        }
    }
    /* c-ares sends at submit; read what arrived (a short wait for stragglers) */
    for (;;) {
        uint8_t pkt[512];
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t n;
        unsigned id;
        if (poll(&p, 1, 1000) <= 0)
            break;
        n = recv(fd, pkt, sizeof(pkt), 0);
        if (n < 12)
            continue;
        id = (unsigned)pkt[0] << 8 | pkt[1];
        if (!seen[id]++)
            distinct++;
        if (nrecv > 0 && id == ((prev + 1) & 0xffff))
            steps++;
        prev = id;
        if (++nrecv == CMP_ID_QUERIES)
            break;
    }
    tap(nrecv == CMP_ID_QUERIES, "ids: %zu of %d queries reached the server", nrecv,
        CMP_ID_QUERIES);
    /* random 16-bit IDs: 200 draws share one now and then (c-ares 1.18
     * does not rule it out; answers are matched on the question too) */
    tap(nrecv > 0 && distinct + CMP_ID_REPEATS_MAX >= nrecv,
        "ids: %zu distinct query IDs among %zu queries", distinct, nrecv);
    tap(steps < nrecv / 4, "ids: IDs are not a counter (%zu of %zu follow the one before)", steps,
        nrecv);
    ink_resolver_free(r);
    close(fd);
    ink_str_free(&err);
    return tap_fails > 0;
}

/* burst - CMP_BURST_QUERIES questions submitted at once to a server that
 * never answers: only the stub's first window leaves (a burst of hundreds
 * of datagrams overflows a server's receive buffer: Knot with one UDP
 * worker dropped 1,024 of them for 1,000 check domains), the rest wait
 * for answers to come back */
static int burst(void)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_resolver *r;
    unsigned port;
    char server[64];
    size_t i, nrecv = 0;
    int fd = loopback_port(&port);

    snprintf(server, sizeof(server), "127.0.0.1:%u", port);
    r = ink_resolver_cares_new(server, 5000, &err);
    if (r == NULL) {
        tap(0, "burst: open c-ares: %s", ink_str_cstr(&err));
        return 1;
    }
    for (i = 0; i < CMP_BURST_QUERIES; i++) {
        char name[64];
        snprintf(name, sizeof(name), "b%zu.example.test", i);
        if (ink_resolver_submit(r, name, INK_DNS_A, got, NULL) < 0) {
            tap(0, "burst: submit");
            return 1;
        }
    }
    for (;;) {
        uint8_t pkt[512];
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, CMP_BURST_WAIT_MS) <= 0)
            break;
        if (recv(fd, pkt, sizeof(pkt), 0) >= 12)
            nrecv++;
    }
    tap(nrecv >= CMP_BURST_WINDOW_MIN && nrecv <= CMP_BURST_WINDOW_MAX,
        "burst: %zu of %d queries submitted at once left before any answer (window %d..%d)",
        nrecv, CMP_BURST_QUERIES, CMP_BURST_WINDOW_MIN, CMP_BURST_WINDOW_MAX);
    tap(ink_resolver_pending(r) == CMP_BURST_QUERIES, "burst: all %d still pending",
        CMP_BURST_QUERIES);
    ink_resolver_free(r);
    close(fd);
    ink_str_free(&err);
    return tap_fails > 0;
}

int main(int argc, char **argv)
{
    int rc;

    if (argc == 4 && strcmp(argv[1], "compare") == 0)
        rc = compare(argv[2], argv[3]);
    else if (argc == 2 && strcmp(argv[1], "ids") == 0)
        rc = ids();
    else if (argc == 2 && strcmp(argv[1], "burst") == 0)
        rc = burst();
    else if (argc == 3 && strcmp(argv[1], "dead") == 0)
        rc = dead(atoi(argv[2]));
    else {
        fprintf(stderr, "usage: resolver_compare compare HOST:PORT FILE | ids | burst | dead TIMEOUT_MS\n");
        return 2;
    }
    printf("1..%d\n", tap_count);
    return rc;
}
