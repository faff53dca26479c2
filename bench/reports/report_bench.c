/*
 * report_bench.c - the streaming aggregate report parser alone, over one
 * file read in 64 KiB chunks: prints "bytes records cpu-seconds MB/s
 * peak-RSS-KiB wall-seconds" for bench/reports/run.sh.  The seconds and
 * MB/s are CPU time (user + system, getrusage) of the parse, reading the
 * file included, process start-up not: on the shared machine wall time
 * measures the other jobs as much as the parser.  Not a test.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "inkan/report.h"

/* Bytes read at a time. */
#define BENCH_CHUNK 65536

/* cpu_now - user + system seconds this process has used */
static double cpu_now(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* on_record - count the record's messages (every record is built and handed over) */
static int on_record(void *ctx, const struct ink_report_record *r)
{
    unsigned long long *messages = ctx;

    *messages += r->count;
    return 0;
}

/* main - parse argv[1], print one line */
int main(int argc, char **argv)
{
    static const struct ink_report_callbacks cb = {NULL, on_record};
    static unsigned char buf[BENCH_CHUNK];
    struct ink_report_limits lim = {0};
    struct ink_report_parser *p;
    struct timespec t0, t1;
    struct rusage ru;
    unsigned long long messages = 0, bytes = 0;
    ssize_t n;
    double s, c0, c1;
    int fd;

    if (argc != 2) {
        fprintf(stderr, "usage: report_bench FILE\n");
        return 2;
    }
    fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    lim.records_max = (size_t)-1 / 2; /* the bench measures, the limit is for imports */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    c0 = cpu_now();
    p = ink_report_new(&lim, &cb, &messages);
    if (p == NULL)
        return 1;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        bytes += (unsigned long long)n;
        if (ink_report_feed(p, buf, (size_t)n) < 0)
            break;
    }
    if (ink_report_error(p) == INK_REPORT_OK)
        ink_report_finish(p);
    c1 = cpu_now();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (ink_report_error(p) != INK_REPORT_OK) {
        fprintf(stderr, "%s: %s (byte %zu)\n", argv[1], ink_report_error_message(p),
                ink_report_error_offset(p));
        return 1;
    }
    s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    getrusage(RUSAGE_SELF, &ru);
    printf("%llu %zu %.4f %.1f %ld %.4f\n", bytes, ink_report_records(p), c1 - c0,
           c1 > c0 ? (double)bytes / 1e6 / (c1 - c0) : 0.0, ru.ru_maxrss, s);
    ink_report_free(p);
    close(fd);
    return 0;
}
