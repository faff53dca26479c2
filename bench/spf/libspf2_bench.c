/*
 * libspf2_bench.c - evaluate the SPF benchmark's queries with libspf2 (the
 * library behind Debian's spfquery), for bench/spf/run.sh.
 *
 *   libspf2_bench zone RECORDS.tsv QUERIES OUT
 *       answers from libspf2's own in-memory zone (SPF_dns_zone), loaded
 *       with the same records inkan and pyspf use: the CPU cost of
 *       evaluation alone.
 *   libspf2_bench dns QUERIES OUT
 *       libspf2's resolver layer (res_nquery) under its cache, as spfquery
 *       uses it; run with LD_PRELOAD=resolv_shim.so and
 *       INKAN_BENCH_DNS=127.0.0.1:PORT to send the queries to the test
 *       server.  One query at a time: libspf2 is synchronous.
 *
 * Writes one result word per query to OUT and prints
 * "evaluations N wall SECONDS cpu SECONDS".
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <spf2/spf.h>
#include <spf2/spf_dns_zone.h>

/* Longest line read from the records or queries file. */
#define LINE_MAX_BYTES 4096

/* cpu_seconds - user+system time of this process */
static double cpu_seconds(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* wall_seconds - monotonic clock */
static double wall_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* load_zone - every "NAME TYPE DATA" line into the libspf2 zone */
static int load_zone(SPF_dns_server_t *dns, const char *path)
{
    FILE *fp = fopen(path, "r");
    char line[LINE_MAX_BYTES];
    long n = 0;

    if (fp == NULL) {
        perror(path);
        return -1;
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        char *name = line, *type, *data, *nl;
        ns_type t;
        if ((nl = strchr(line, '\n')) != NULL)
            *nl = '\0';
        if ((type = strchr(name, '\t')) == NULL || (data = strchr(type + 1, '\t')) == NULL)
            continue;
        *type++ = '\0';
        *data++ = '\0';
        if (strcmp(type, "A") == 0)
            t = ns_t_a;
        else if (strcmp(type, "AAAA") == 0)
            t = ns_t_aaaa;
        else if (strcmp(type, "TXT") == 0)
            t = ns_t_txt;
        else if (strcmp(type, "PTR") == 0)
            t = ns_t_ptr;
        else if (strcmp(type, "MX") == 0) {
            t = ns_t_mx;
            data = strchr(data, ' ') ? strchr(data, ' ') + 1 : data; /* drop the preference */
        } else
            continue;
        if (SPF_dns_zone_add_str(dns, name, t, NETDB_SUCCESS, data) != SPF_E_SUCCESS) {
            fprintf(stderr, "%s: cannot add %s %s\n", path, name, type);
            fclose(fp);
            return -1;
        }
        n++;
    }
    fclose(fp);
    return n > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    SPF_server_t *server;
    FILE *qf, *out;
    char line[LINE_MAX_BYTES];
    long n = 0;
    double w0, c0, w1, c1;
    const char *qpath, *opath;

    if (argc == 5 && strcmp(argv[1], "zone") == 0) {
        SPF_dns_server_t *dns = SPF_dns_zone_new(NULL, "bench", 0);
        if (dns == NULL || load_zone(dns, argv[2]) < 0)
            return 1;
        server = SPF_server_new_dns(dns, 0);
        qpath = argv[3];
        opath = argv[4];
    } else if (argc == 4 && strcmp(argv[1], "dns") == 0) {
        server = SPF_server_new(SPF_DNS_CACHE, 0);
        qpath = argv[2];
        opath = argv[3];
    } else {
        fprintf(stderr, "usage: libspf2_bench zone RECORDS QUERIES OUT | dns QUERIES OUT\n");
        return 2;
    }
    if (server == NULL)
        return 1;
    if ((qf = fopen(qpath, "r")) == NULL || (out = fopen(opath, "w")) == NULL) {
        perror("open");
        return 1;
    }
    w0 = wall_seconds();
    c0 = cpu_seconds();
    while (fgets(line, sizeof(line), qf) != NULL) {
        char ip[128], mf[1024], helo[1024];
        SPF_request_t *req;
        SPF_response_t *resp = NULL;
        if (line[0] == '#' || sscanf(line, "%127s %1023s %1023s", ip, mf, helo) != 3)
            continue;
        req = SPF_request_new(server);
        if (strchr(ip, ':') != NULL)
            SPF_request_set_ipv6_str(req, ip);
        else
            SPF_request_set_ipv4_str(req, ip);
        SPF_request_set_helo_dom(req, helo);
        SPF_request_set_env_from(req, strcmp(mf, "<>") == 0 ? "" : mf);
        SPF_request_query_mailfrom(req, &resp);
        fprintf(out, "%s\n", SPF_strresult(SPF_response_result(resp)));
        SPF_response_free(resp);
        SPF_request_free(req);
        n++;
    }
    w1 = wall_seconds();
    c1 = cpu_seconds();
    fclose(qf);
    fclose(out);
    SPF_server_free(server);
    printf("evaluations %ld wall %.6f cpu %.6f\n", n, w1 - w0, c1 - c0);
    return 0;
}
