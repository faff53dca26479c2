/*
 * inkan_bench.c - the SPF benchmark's in-process driver for inkan
 * (bench/spf/run.sh runs it; not installed, not a test).
 *
 *   inkan_spf_bench zone ZONEFILE QUERIES OUT [REPEAT]
 *       CPU cost of evaluation: every query of QUERIES ("IP MAILFROM HELO"
 *       lines) is evaluated by driving the check_host() state machine
 *       directly against the zone held in memory (ink_memzone_lookup),
 *       one after the other, REPEAT times (default 1; results written
 *       once).  Prints "evaluations N wall S cpu S".
 *   inkan_spf_bench memory ZONEFILE QUERIES N
 *       memory per evaluation in flight: N evaluations are started at once
 *       over the in-memory resolver and driven together to the end; the
 *       peak of heap bytes in use (mallinfo2) above the baseline, divided
 *       by N, is printed as "inflight N peak_bytes B per_eval B".
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "inkan/resolver.h"
#include "inkan/spf.h"
#include "inkan/zonefile.h"

/* Longest queries-file line. */
#define QLINE_MAX 2048
/* Largest zone file read. */
#define ZONE_FILE_MAX ((size_t)256 << 20)

struct query {
    char ip[64];
    char mail_from[512];
    char helo[256];
};

/* now_wall / now_cpu - clocks in seconds */
static double now_wall(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_cpu(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* load_zone - read and parse the zone file; NULL after a message */
static struct ink_memzone *load_zone(const char *path)
{
    FILE *fp = fopen(path, "rb");
    struct ink_memzone *z;
    struct ink_str err = INK_STR_INIT;
    uint8_t *buf;
    size_t len;

    if (fp == NULL) {
        perror(path);
        return NULL;
    }
    buf = malloc(ZONE_FILE_MAX);
    if (buf == NULL) {
        fclose(fp);
        return NULL;
    }
    len = fread(buf, 1, ZONE_FILE_MAX, fp);
    fclose(fp);
    z = ink_memzone_new();
    if (z == NULL || ink_zonefile_parse(buf, len, path, NULL, z, &err) < 0) {
        fprintf(stderr, "%s\n", ink_str_cstr(&err));
        ink_memzone_free(z);
        z = NULL;
    }
    free(buf);
    ink_str_free(&err);
    return z;
}

/* load_queries - the queries file; NULL after a message */
static struct query *load_queries(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "r");
    char line[QLINE_MAX];
    struct query *q = NULL;
    size_t cap = 0;

    *n = 0;
    if (fp == NULL) {
        perror(path);
        return NULL;
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        struct query one;
        if (line[0] == '#' ||
            sscanf(line, "%63s %511s %255s", one.ip, one.mail_from, one.helo) != 3)
            continue;
        if (strcmp(one.mail_from, "<>") == 0)
            one.mail_from[0] = '\0';
        if (*n == cap) {
            struct query *nq;
            cap = cap ? cap * 2 : 1024;
            nq = realloc(q, cap * sizeof(*q));
            if (nq == NULL) {
                free(q);
                fclose(fp);
                return NULL;
            }
            q = nq;
        }
        q[(*n)++] = one;
    }
    fclose(fp);
    return q;
}

/* params_for - check_host() parameters for one query */
static int params_for(const struct query *q, struct ink_spf_params *p)
{
    memset(p, 0, sizeof(*p));
    if (ink_ip_parse(q->ip, strlen(q->ip), &p->family, p->ip) < 0)
        return -1;
    p->mail_from = q->mail_from;
    p->helo = q->helo;
    p->now = 1700000000;
    return 0;
}

/* bench_zone - evaluate every query against the memzone, REPEAT times */
static int bench_zone(const struct ink_memzone *z, const struct query *qs, size_t n,
                      const char *out_path, long repeat)
{
    FILE *out = fopen(out_path, "w");
    double w0, c0, w1, c1;
    size_t i, evals = 0;
    long r;

    if (out == NULL) {
        perror(out_path);
        return 1;
    }
    w0 = now_wall();
    c0 = now_cpu();
    for (r = 0; r < repeat; r++) {
        for (i = 0; i < n; i++) {
            struct ink_spf_params p;
            struct ink_spf *ev;
            struct ink_query q;
            if (params_for(&qs[i], &p) < 0)
                continue;
            ev = ink_spf_new(&p);
            if (ev == NULL)
                return 1;
            while (ink_spf_next(ev, &q) == INK_NEXT_READY) {
                struct ink_dns_answer *a = ink_memzone_lookup(z, q.name, q.type);
                ink_spf_feed(ev, q.token, a);
                ink_dns_answer_free(a);
            }
            if (r == 0)
                fprintf(out, "%s\n", ink_spf_result_name(ink_spf_result(ev)));
            ink_spf_free(ev);
            evals++;
        }
    }
    w1 = now_wall();
    c1 = now_cpu();
    fclose(out);
    printf("evaluations %zu wall %.6f cpu %.6f\n", evals, w1 - w0, c1 - c0);
    return 0;
}

/* ---- memory per evaluation in flight ---- */

struct job {
    struct ink_spf *ev;
    uint32_t token;
    struct ink_resolver *r;
    int done;
};

static size_t jobs_done;

static void job_cb(void *arg, struct ink_dns_answer *a);

/* job_advance - step until a query is submitted or the job is done */
static void job_advance(struct job *j)
{
    struct ink_query q;

    while (ink_spf_next(j->ev, &q) == INK_NEXT_READY) {
        j->token = q.token;
        if (ink_resolver_submit(j->r, q.name, q.type, job_cb, j) == 0)
            return;
        ink_spf_feed(j->ev, q.token, NULL);
    }
    j->done = 1;
    jobs_done++;
}

/* job_cb - feed the answer, continue */
static void job_cb(void *arg, struct ink_dns_answer *a)
{
    struct job *j = arg;

    ink_spf_feed(j->ev, j->token, a);
    ink_dns_answer_free(a);
    job_advance(j);
}

/* heap_in_use - bytes the allocator has handed out */
static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}

/* bench_memory - N evaluations in flight at once; peak heap growth */
static int bench_memory(struct ink_memzone *z, const struct query *qs, size_t n, size_t inflight)
{
    struct ink_resolver *r = ink_resolver_memzone_new(z, 0);
    struct job *jobs = calloc(inflight, sizeof(*jobs));
    size_t base, peak, i, cur;

    if (r == NULL || jobs == NULL)
        return 1;
    base = heap_in_use();
    peak = base;
    for (i = 0; i < inflight; i++) {
        struct ink_spf_params p;
        if (params_for(&qs[i % n], &p) < 0)
            return 1;
        jobs[i].ev = ink_spf_new(&p);
        jobs[i].r = r;
        if (jobs[i].ev == NULL)
            return 1;
    }
    for (i = 0; i < inflight; i++)
        job_advance(&jobs[i]);
    while (jobs_done < inflight) {
        cur = heap_in_use();
        if (cur > peak)
            peak = cur;
        if (ink_resolver_process(r, -1) < 0)
            return 1;
    }
    cur = heap_in_use();
    if (cur > peak)
        peak = cur;
    printf("inflight %zu peak_bytes %zu per_eval %.0f\n", inflight, peak - base,
           (double)(peak - base) / (double)inflight);
    for (i = 0; i < inflight; i++)
        ink_spf_free(jobs[i].ev);
    free(jobs);
    ink_resolver_free(r);
    return 0;
}

int main(int argc, char **argv)
{
    struct ink_memzone *z;
    struct query *qs;
    size_t n;
    int rc;

    if (argc < 5 || (strcmp(argv[1], "zone") != 0 && strcmp(argv[1], "memory") != 0)) {
        fprintf(stderr, "usage: inkan_spf_bench zone ZONEFILE QUERIES OUT [REPEAT]\n"
                        "       inkan_spf_bench memory ZONEFILE QUERIES N\n");
        return 2;
    }
    z = load_zone(argv[2]);
    qs = z ? load_queries(argv[3], &n) : NULL;
    if (qs == NULL || n == 0)
        return 1;
    if (strcmp(argv[1], "zone") == 0)
        rc = bench_zone(z, qs, n, argv[4], argc > 5 ? atol(argv[5]) : 1);
    else
        rc = bench_memory(z, qs, n, (size_t)strtoul(argv[4], NULL, 10));
    free(qs);
    ink_memzone_free(z);
    return rc;
}
