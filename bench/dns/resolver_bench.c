/*
 * resolver_bench.c - the resolver backends alone, without any machine:
 * how many queries per second and how much CPU per query each transport
 * costs against one server, at a fixed number of queries in flight.
 * bench/dns/run.sh runs it beside dnsperf against the same Knot.
 *
 *   resolver_bench BACKEND HOST:PORT FILE INFLIGHT
 *
 * BACKEND:
 *   cares          src/dns/resolver_cares.c (the stub: one UDP socket kept
 *                  open, epoll, no thread)
 *   unbound        src/dns/resolver_unbound.c (libunbound's async mode: a
 *                  worker thread, a pipe, a fresh socket per query)
 *   unbound-event  libunbound's event API (ub_ctx_create_event +
 *                  ub_resolve_event on a libevent base in this thread: no
 *                  worker thread, no pipe; still a socket per query), the
 *                  answers decoded with the same wire decoder
 * FILE has "NAME TYPE" lines (dnsperf's format); each is asked once.
 * Prints one line: "BACKEND queries N answered N wall S cpu S".
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unbound-event.h>
#include <unbound.h>

#include "dnswire.h"
#include "inkan/dnsio.h"

/* Longest input line. */
#define RB_LINE_MAX 512
/* DNS class IN. */
#define RB_CLASS_IN 1
/* Per-query timeout given to the backends. */
#define RB_TIMEOUT_MS 5000

struct question {
    char name[INK_DNS_NAME_MAX + 2];
    uint16_t type;
};

static struct question *qs;
static size_t nq, next_q, answered, inflight, errors;

/* now_s - monotonic seconds */
static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* cpu_s - user + system seconds of this process, all threads */
static double cpu_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* load - read FILE into qs */
static void load(const char *path)
{
    char line[RB_LINE_MAX];
    size_t cap = 0;
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        perror(path);
        exit(1);
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char name[RB_LINE_MAX], type[RB_LINE_MAX];
        if (sscanf(line, "%300s %30s", name, type) != 2 || strlen(name) > INK_DNS_NAME_MAX)
            continue;
        if (nq == cap) {
            cap = cap ? cap * 2 : 4096;
            qs = realloc(qs, cap * sizeof(*qs));
            if (qs == NULL)
                exit(1);
        }
        memcpy(qs[nq].name, name, strlen(name) + 1); /* length checked above */
        qs[nq].type = ink_dns_type_from_name(type, strlen(type));
        if (qs[nq].type != 0)
            nq++;
    }
    fclose(f);
}

/* got - an ink_resolver answer */
static void got(void *arg, struct ink_dns_answer *a)
{
    (void)arg;
    if (a->status == INK_DNS_SERVFAIL || a->status == INK_DNS_TIMEOUT)
        errors++;
    ink_dns_answer_free(a);
    answered++;
    inflight--;
}

/* run_resolver - keep max queries in flight at r until all are answered */
static void run_resolver(struct ink_resolver *r, size_t max)
{
    while (answered < nq) {
        while (inflight < max && next_q < nq) {
            if (ink_resolver_submit(r, qs[next_q].name, qs[next_q].type, got, NULL) < 0) {
                fprintf(stderr, "submit failed\n");
                exit(1);
            }
            next_q++;
            inflight++;
        }
        if (ink_resolver_process(r, -1) < 0) {
            fprintf(stderr, "process failed\n");
            exit(1);
        }
    }
}

static struct ub_ctx *ev_ctx;
static size_t ev_max;

static void ev_fill(void);

/* ev_done - libunbound's event-API callback: decode as the backends do */
static void ev_done(void *arg, int rcode, void *pkt, int len, int sec, char *why, int rl)
{
    struct question *q = arg;
    struct ink_dns_answer *a = ink_dns_answer_new(q->name, q->type, INK_DNS_SERVFAIL);
    struct dnswire_info info;
    const char *bad = NULL;

    (void)sec;
    (void)why;
    (void)rl;
    if (a == NULL)
        exit(1);
    if (rcode != 0 || pkt == NULL || len <= 0 ||
        dnswire_parse_answer(pkt, (size_t)len, a, &info, &bad) < 0)
        errors++;
    ink_dns_answer_free(a);
    answered++;
    inflight--;
    ev_fill();
}

/* ev_fill - top the queries in flight up to ev_max */
static void ev_fill(void)
{
    while (inflight < ev_max && next_q < nq) {
        struct question *q = &qs[next_q++];
        inflight++;
        if (ub_resolve_event(ev_ctx, q->name, q->type, RB_CLASS_IN, q, ev_done, NULL) != 0) {
            fprintf(stderr, "ub_resolve_event failed\n");
            exit(1);
        }
    }
}

/* run_unbound_event - the event API on a libevent base of our own */
static void run_unbound_event(const char *server, size_t max)
{
    struct event_base *base = event_base_new();
    struct ink_str err = INK_STR_INIT;
    char fwd[128];
    const char *colon = strrchr(server, ':');

    if (base == NULL || colon == NULL)
        exit(1);
    snprintf(fwd, sizeof(fwd), "%.*s@%s", (int)(colon - server), server, colon + 1);
    ev_ctx = ub_ctx_create_event(base);
    if (ev_ctx == NULL || ub_ctx_set_option(ev_ctx, "do-not-query-localhost:", "no") != 0 ||
        ub_ctx_set_fwd(ev_ctx, fwd) != 0) {
        fprintf(stderr, "cannot set up libunbound's event context\n");
        exit(1);
    }
    ev_max = max;
    ev_fill();
    while (answered < nq)
        if (event_base_loop(base, EVLOOP_ONCE) < 0)
            exit(1);
    ub_ctx_delete(ev_ctx);
    event_base_free(base);
    ink_str_free(&err);
}

int main(int argc, char **argv)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_resolver *r = NULL;
    double w0, c0, w1, c1;
    size_t max;

    if (argc != 5) {
        fprintf(stderr, "usage: resolver_bench cares|unbound|unbound-event HOST:PORT FILE "
                        "INFLIGHT\n");
        return 2;
    }
    load(argv[3]);
    max = (size_t)strtoul(argv[4], NULL, 10);
    if (max == 0)
        max = 1;
    if (strcmp(argv[1], "cares") == 0)
        r = ink_resolver_cares_new(argv[2], RB_TIMEOUT_MS, &err);
    else if (strcmp(argv[1], "unbound") == 0)
        r = ink_resolver_unbound_new(argv[2], RB_TIMEOUT_MS, 0, &err);
    else if (strcmp(argv[1], "unbound-event") != 0) {
        fprintf(stderr, "resolver_bench: unknown backend %s\n", argv[1]);
        return 2;
    }
    if (strcmp(argv[1], "unbound-event") != 0 && r == NULL) {
        fprintf(stderr, "resolver_bench: %s\n", ink_str_cstr(&err));
        return 1;
    }
    w0 = now_s();
    c0 = cpu_s();
    if (r != NULL)
        run_resolver(r, max);
    else
        run_unbound_event(argv[2], max);
    w1 = now_s();
    c1 = cpu_s();
    printf("%s queries %zu answered %zu failed %zu wall %.3f cpu %.3f\n", argv[1], nq, answered,
           errors, w1 - w0, c1 - c0);
    ink_resolver_free(r);
    ink_str_free(&err);
    free(qs);
    return 0;
}
