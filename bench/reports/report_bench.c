/*
 * report_bench.c - the streaming aggregate report parser alone, over one
 * file read in 64 KiB chunks: prints "bytes records seconds MB/s
 * peak-RSS-KiB" for bench/reports/run.sh.  Not a test.
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

static int on_record(void *ctx, const struct ink_report_record *r)
{
    unsigned long long *messages = ctx;

    *messages += r->count;
    return 0;
}

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
    double s;
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
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (ink_report_error(p) != INK_REPORT_OK) {
        fprintf(stderr, "%s: %s (byte %zu)\n", argv[1], ink_report_error_message(p),
                ink_report_error_offset(p));
        return 1;
    }
    s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    getrusage(RUSAGE_SELF, &ru);
    printf("%llu %zu %.4f %.1f %ld\n", bytes, ink_report_records(p), s,
           s > 0 ? (double)bytes / 1e6 / s : 0.0, ru.ru_maxrss);
    ink_report_free(p);
    close(fd);
    return 0;
}
