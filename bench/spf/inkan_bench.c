/*
 * inkan_bench.c - the SPF benchmark's in-process driver for inkan
 * (bench/spf/run.sh runs it; not installed, not a test).
 *
 *   inkan_spf_bench zone ZONEFILE QUERIES OUT [REPEAT]
 *       CPU cost of evaluation: every query of QUERIES ("IP MAILFROM HELO"
 *       lines) is evaluated by the driver (inkan/driver.h, no answer
 *       cache) over the in-memory resolver of the zone, one after the
 *       other (each evaluation's done callback adds the next), REPEAT
 *       times (default 1; results written once).  Prints "evaluations N
 *       wall S cpu S".
 *   inkan_spf_bench memory ZONEFILE QUERIES N
 *       memory per evaluation in flight: N evaluations are added to the
 *       driver at once over the in-memory resolver and run together to the
 *       end; the peak of heap bytes in use (mallinfo2) above the baseline,
 *       divided by N, is printed as "inflight N peak_bytes B per_eval B".
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "inkan/driver.h"
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

/* The sequential run of bench_zone: which query is next, which pass. */
struct seq {
    struct ink_driver *d;
    const struct query *qs;
    size_t n, i;
    long r, repeat;
    FILE *out;
    size_t evals;
    int failed;
};

static void seq_done(void *arg, struct ink_machine m, enum ink_next how);

/* seq_add_next - start the next evaluation of the run, if any */
static void seq_add_next(struct seq *s)
{
    while (s->r < s->repeat && !s->failed) {
        struct ink_spf_params p;
        struct ink_spf *ev;
        const struct query *q = &s->qs[s->i];

        if (++s->i == s->n) {
            s->i = 0;
            s->r++;
        }
        if (params_for(q, &p) < 0)
            continue;
        ev = ink_spf_new(&p);
        if (ev == NULL || ink_driver_add(s->d, ink_spf_machine(ev), seq_done, s) < 0) {
            ink_spf_free(ev);
            s->failed = 1;
        }
        return;
    }
}

/* seq_done - one evaluation ended: its result (first pass), then the next */
static void seq_done(void *arg, struct ink_machine m, enum ink_next how)
{
    struct seq *s = arg;
    struct ink_spf *ev = m.self;

    (void)how;
    /* the pass counter moved on when the last query of a pass was added */
    if (s->r == 0 || (s->r == 1 && s->i == 0))
        fprintf(s->out, "%s\n", ink_spf_result_name(ink_spf_result(ev)));
    ink_spf_free(ev);
    s->evals++;
    seq_add_next(s);
}

/* bench_zone - evaluate every query against the memzone, REPEAT times */
static int bench_zone(struct ink_memzone *z, const struct query *qs, size_t n,
                      const char *out_path, long repeat)
{
    struct ink_resolver *r = ink_resolver_memzone_new(z, 0);
    struct ink_driver_opts opts;
    struct seq s;
    double w0, c0, w1, c1;

    memset(&opts, 0, sizeof(opts));
    opts.no_cache = 1; /* the cost of evaluating, not of remembering */
    memset(&s, 0, sizeof(s));
    s.qs = qs;
    s.n = n;
    s.repeat = repeat;
    s.out = fopen(out_path, "w");
    if (s.out == NULL) {
        perror(out_path);
        return 1;
    }
    if (r == NULL || (s.d = ink_driver_new(r, &opts)) == NULL)
        return 1;
    w0 = now_wall();
    c0 = now_cpu();
    seq_add_next(&s);
    if (ink_driver_run(s.d) < 0 || s.failed)
        return 1;
    w1 = now_wall();
    c1 = now_cpu();
    fclose(s.out);
    ink_driver_free(s.d);
    ink_resolver_free(r);
    printf("evaluations %zu wall %.6f cpu %.6f\n", s.evals, w1 - w0, c1 - c0);
    return 0;
}

/* ---- memory per evaluation in flight ---- */

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
    struct ink_spf **evs = calloc(inflight ? inflight : 1, sizeof(*evs));
    struct ink_driver_opts opts;
    struct ink_driver *d;
    size_t base, peak, i, cur;

    memset(&opts, 0, sizeof(opts));
    opts.no_cache = 1;
    opts.inflight_max = inflight; /* every evaluation's query out at once */
    if (r == NULL || evs == NULL)
        return 1;
    base = heap_in_use();
    peak = base;
    if ((d = ink_driver_new(r, &opts)) == NULL)
        return 1;
    for (i = 0; i < inflight; i++) {
        struct ink_spf_params p;
        if (params_for(&qs[i % n], &p) < 0)
            return 1;
        evs[i] = ink_spf_new(&p);
        if (evs[i] == NULL || ink_driver_add(d, ink_spf_machine(evs[i]), NULL, NULL) < 0)
            return 1;
    }
    for (;;) {
        int running;

        cur = heap_in_use();
        if (cur > peak)
            peak = cur;
        running = ink_driver_step(d, 0);
        if (running < 0)
            return 1;
        if (running == 0)
            break;
    }
    cur = heap_in_use();
    if (cur > peak)
        peak = cur;
    printf("inflight %zu peak_bytes %zu per_eval %.0f\n", inflight, peak - base,
           (double)(peak - base) / (double)inflight);
    ink_driver_free(d);
    for (i = 0; i < inflight; i++)
        ink_spf_free(evs[i]);
    free(evs);
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
