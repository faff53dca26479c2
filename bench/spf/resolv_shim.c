/*
 * resolv_shim.c - LD_PRELOAD shim for the SPF benchmark: makes a program
 * that resolves through glibc's res_ninit()/res_nquery() (libspf2, and so
 * spfquery) ask the DNS server named by INKAN_BENCH_DNS="ADDR:PORT"
 * (IPv4) instead of /etc/resolv.conf's, so it can be pointed at a test
 * server on a free loopback port.  Benchmark tooling only.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

typedef int (*res_ninit_fn)(res_state);

int __res_ninit(res_state statp);

/* __res_ninit - glibc's, then the nameserver list replaced by ours */
int __res_ninit(res_state statp)
{
    res_ninit_fn real = (res_ninit_fn)dlsym(RTLD_NEXT, "__res_ninit");
    const char *spec = getenv("INKAN_BENCH_DNS");
    char host[64];
    const char *colon;
    int rc;

    if (real == NULL)
        return -1;
    rc = real(statp);
    if (rc != 0 || spec == NULL || (colon = strrchr(spec, ':')) == NULL ||
        (size_t)(colon - spec) >= sizeof(host))
        return rc;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    memset(&statp->nsaddr_list[0], 0, sizeof(statp->nsaddr_list[0]));
    statp->nsaddr_list[0].sin_family = AF_INET;
    statp->nsaddr_list[0].sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &statp->nsaddr_list[0].sin_addr) != 1)
        return rc;
    statp->nscount = 1;
    statp->retry = 1;
    statp->retrans = 2;
    return rc;
}
