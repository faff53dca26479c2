/*
 * dkim_bench.c - the benchmark driver bench/dkim/bench.py runs for inkan:
 * verifies or signs many messages in one process through libinkan's API,
 * so that what is measured is DKIM work, not process start-up.
 *
 *   dkim_bench verify --zone FILE --list LIST [--no-cache] [--repeat N]
 *   dkim_bench sign --zone FILE --list LIST --domain D --selector S
 *              --key PEM [--algorithm A] [--repeat N]
 *   dkim_bench hash --zone FILE --list LIST [--canon simple|relaxed] [--repeat N]
 *
 * LIST names one message file per line.  All messages are read into
 * memory first; the clock runs only around the loop and is the process's
 * CPU time (CLOCK_PROCESS_CPUTIME_ID), as `openssl speed` counts CPU
 * time too: on a shared, loaded machine wall-clock time would measure the
 * other processes.
 * verify: each message through a verifier whose key queries the one
 * driver (inkan/driver.h) answers from the zone file loaded in memory (as
 * `inkan dkim verify --zone` does), sharing one key cache unless --no-cache; counts passes.  sign:
 * relaxed/relaxed, one signature per message; the signature fields are
 * produced (and discarded).  hash: only the body path of verification,
 * the streaming body canonicalizer feeding SHA-256 (what the verifier
 * does with every body byte), over each message's body; "bytes" then
 * counts body bytes.  --repeat runs the loop N times over the
 * messages (for profiling: the reading then weighs nothing).  Before the
 * clock starts, the first message goes through once untimed: OpenSSL's
 * one-time provider fetch and the first key parse (the cache's) are then
 * not counted, as `openssl speed` does not count its key set-up: what is
 * measured is the steady state of a long-running verifier or signer.
 * Prints:
 *   messages N bytes B seconds S pass P
 * Exit 0, 1 on any error.  A bench helper, not part of the product.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inkan/dkim.h"
#include "inkan/query.h"
#include "inkan/dkim_key.h"
#include "inkan/dns.h"
#include "inkan/driver.h"
#include "inkan/memzone.h"
#include "inkan/str.h"
#include "inkan/zonefile.h"

#include <openssl/evp.h>

/* Largest message or file the driver reads (the corpus tops at 200 KB). */
#define BENCH_FILE_MAX ((size_t)512 << 20)

struct msg {
    uint8_t *p;
    size_t len;
};

/* read_file - whole file into memory; NULL on error */
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && (size_t)n <= BENCH_FILE_MAX &&
        fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *len = (size_t)n;
    }
    fclose(f);
    return buf;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* hash_sink - the body canonicalizer's output into SHA-256 */
static void hash_sink(void *arg, const uint8_t *p, size_t n)
{
    EVP_DigestUpdate((EVP_MD_CTX *)arg, p, n);
}

/* body_of - where m's body starts (after the first empty line) */
static size_t body_of(const struct msg *m)
{
    size_t i;
    for (i = 0; i + 3 < m->len; i++)
        if (memcmp(m->p + i, "\r\n\r\n", 4) == 0)
            return i + 4;
    return m->len;
}

static const char *arg_after(int argc, char **argv, const char *name)
{
    int i;
    for (i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

static int has_flag(int argc, char **argv, const char *name)
{
    int i;
    for (i = 2; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

/* verify_ended - the driver let go of a verifier: note how it ended */
static void verify_ended(void *arg, struct ink_machine m, enum ink_next how)
{
    (void)m;
    *(enum ink_next *)arg = how;
}

/* verify_one - verify m, its key queries through drv; 1 if every
 * signature passed (and there is one) */
static int verify_one(const struct msg *m, struct ink_driver *drv,
                      const struct ink_dkim_verify_opts *vo)
{
    struct ink_dkim_verify *v = ink_dkim_verify_new(vo);
    enum ink_next how = INK_NEXT_WAIT; /* still running */
    size_t i;
    int ok = 1;

    if (v == NULL || ink_dkim_verify_push(v, m->p, m->len) < 0 || ink_dkim_verify_end(v) < 0 ||
        ink_driver_add(drv, ink_dkim_verify_machine(v), verify_ended, &how) < 0) {
        ink_dkim_verify_free(v);
        return -1;
    }
    if (ink_driver_run(drv) < 0 || how == INK_NEXT_WAIT) {
        /* the driver may still hold v: leave it (the run stops here) */
        return -1;
    }
    if (how != INK_NEXT_DONE || ink_dkim_verify_count(v) == 0)
        ok = 0;
    for (i = 0; i < ink_dkim_verify_count(v); i++)
        if (ink_dkim_verify_result(v, i)->code != INK_DKIM_PASS)
            ok = 0;
    ink_dkim_verify_free(v);
    return ok;
}

int main(int argc, char **argv)
{
    const char *zone = arg_after(argc, argv, "--zone"), *list = arg_after(argc, argv, "--list");
    struct ink_memzone *z = NULL;
    struct ink_str err = INK_STR_INIT;
    struct msg *msgs = NULL;
    size_t n = 0, cap = 0, i, total = 0, npass = 0;
    uint8_t *zbuf = NULL, *lbuf = NULL;
    size_t zlen = 0, llen = 0;
    char *line, *save = NULL;
    double t0, t1;
    int rc = 1, sign;
    const char *rep_s = arg_after(argc, argv, "--repeat");
    size_t repeat = rep_s ? strtoul(rep_s, NULL, 10) : 1, r_i;

    if (argc < 2 || zone == NULL || list == NULL ||
        (strcmp(argv[1], "verify") != 0 && strcmp(argv[1], "sign") != 0 &&
         strcmp(argv[1], "hash") != 0)) {
        fprintf(stderr, "usage: dkim_bench verify|sign|hash --zone FILE --list LIST ...\n");
        return 2;
    }
    sign = strcmp(argv[1], "sign") == 0;
    if (repeat == 0)
        repeat = 1;
    zbuf = read_file(zone, &zlen);
    lbuf = read_file(list, &llen);
    z = ink_memzone_new();
    if (zbuf == NULL || lbuf == NULL || z == NULL ||
        ink_zonefile_parse(zbuf, zlen, zone, NULL, z, &err) < 0) {
        fprintf(stderr, "dkim_bench: cannot load %s / %s: %s\n", zone, list, ink_str_cstr(&err));
        goto out;
    }
    lbuf[llen] = '\0';
    for (line = strtok_r((char *)lbuf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            struct msg *nm = realloc(msgs, cap * sizeof(*nm));
            if (nm == NULL)
                goto out;
            msgs = nm;
        }
        msgs[n].p = read_file(line, &msgs[n].len);
        if (msgs[n].p == NULL) {
            fprintf(stderr, "dkim_bench: cannot read %s\n", line);
            goto out;
        }
        total += msgs[n].len;
        n++;
    }

    if (strcmp(argv[1], "hash") == 0) {
        const char *cn = arg_after(argc, argv, "--canon");
        enum ink_dkim_canon c = cn && strcmp(cn, "simple") == 0 ? INK_DKIM_CANON_SIMPLE
                                                                : INK_DKIM_CANON_RELAXED;
        EVP_MD_CTX *mc = EVP_MD_CTX_new();
        const EVP_MD *sha = EVP_MD_fetch(NULL, "SHA256", NULL);
        uint8_t dg[EVP_MAX_MD_SIZE];

        total = 0;
        for (i = 0; i < n; i++)
            total += msgs[i].len - body_of(&msgs[i]);
        if (n > 0) { /* the untimed warm-up */
            size_t b = body_of(&msgs[0]);
            struct ink_dkim_bodycanon *bc;
            EVP_DigestInit_ex(mc, sha, NULL);
            bc = ink_dkim_bodycanon_new(c, 0, hash_sink, mc);
            if (bc != NULL) {
                ink_dkim_bodycanon_push(bc, msgs[0].p + b, msgs[0].len - b);
                ink_dkim_bodycanon_end(bc);
                ink_dkim_bodycanon_free(bc);
            }
            EVP_DigestFinal_ex(mc, dg, NULL);
        }
        t0 = now_s();
        for (r_i = 0; r_i < repeat; r_i++)
        for (i = 0; i < n; i++) {
            size_t b = body_of(&msgs[i]);
            struct ink_dkim_bodycanon *bc;
            EVP_DigestInit_ex(mc, sha, NULL);
            bc = ink_dkim_bodycanon_new(c, 0, hash_sink, mc);
            if (bc == NULL)
                break;
            ink_dkim_bodycanon_push(bc, msgs[i].p + b, msgs[i].len - b);
            ink_dkim_bodycanon_end(bc);
            ink_dkim_bodycanon_free(bc);
            EVP_DigestFinal_ex(mc, dg, NULL);
            npass++;
        }
        t1 = now_s();
        EVP_MD_free((EVP_MD *)sha);
        EVP_MD_CTX_free(mc);
    } else if (!sign) {
        struct ink_dkim_verify_opts vo;
        memset(&vo, 0, sizeof vo);
        vo.now = 0; /* the corpus is signed at test time: no clock checks */
        vo.cache = has_flag(argc, argv, "--no-cache") ? NULL : ink_dkim_keycache_new();
        /* key queries through the one driver over the zone in memory, as
         * `inkan dkim verify --zone` asks them */
        struct ink_resolver *res = ink_resolver_memzone_new(z, 0);
        struct ink_driver *drv = res != NULL ? ink_driver_new(res, NULL) : NULL;
        if (drv == NULL) {
            fprintf(stderr, "dkim_bench: out of memory\n");
            ink_resolver_free(res);
            ink_dkim_keycache_free(vo.cache);
            goto out;
        }
        if (n > 0 && verify_one(&msgs[0], drv, &vo) < 0) { /* the untimed warm-up */
            fprintf(stderr, "dkim_bench: message 0 could not be verified\n");
            ink_driver_free(drv);
            ink_resolver_free(res);
            ink_dkim_keycache_free(vo.cache);
            goto out;
        }
        t0 = now_s();
        for (r_i = 0; r_i < repeat; r_i++)
        for (i = 0; i < n; i++) {
            int r = verify_one(&msgs[i], drv, &vo);
            if (r < 0) {
                fprintf(stderr, "dkim_bench: message %zu could not be verified\n", i);
                ink_driver_free(drv);
                ink_resolver_free(res);
                ink_dkim_keycache_free(vo.cache);
                goto out;
            }
            npass += (size_t)r;
        }
        t1 = now_s();
        ink_driver_free(drv);
        ink_resolver_free(res);
        ink_dkim_keycache_free(vo.cache);
    } else {
        const char *keyfile = arg_after(argc, argv, "--key");
        const char *alg = arg_after(argc, argv, "--algorithm");
        struct ink_dkim_sign_key sk;
        struct ink_dkim_privkey *pk;
        uint8_t *pem;
        size_t plen = 0;

        memset(&sk, 0, sizeof sk);
        pem = keyfile ? read_file(keyfile, &plen) : NULL;
        pk = pem ? ink_dkim_privkey_parse(pem, plen, &err) : NULL;
        free(pem);
        if (pk == NULL) {
            fprintf(stderr, "dkim_bench: bad key: %s\n", ink_str_cstr(&err));
            goto out;
        }
        sk.key = pk;
        sk.domain = arg_after(argc, argv, "--domain");
        sk.selector = arg_after(argc, argv, "--selector");
        sk.alg = alg && strcmp(alg, "ed25519-sha256") == 0 ? INK_DKIM_ALG_ED25519_SHA256
                                                           : INK_DKIM_ALG_RSA_SHA256;
        sk.hcanon = sk.bcanon = INK_DKIM_CANON_RELAXED;
        sk.timestamp = 1795000000u;
        if (n > 0) { /* the untimed warm-up */
            struct ink_str out = INK_STR_INIT;
            struct ink_dkim_sign *s = ink_dkim_sign_new(&sk, 1, 0, &err);
            if (s != NULL && ink_dkim_sign_push(s, msgs[0].p, msgs[0].len) == 0)
                (void)ink_dkim_sign_end(s, "\r\n", &out);
            ink_dkim_sign_free(s);
            ink_str_free(&out);
        }
        t0 = now_s();
        for (r_i = 0; r_i < repeat; r_i++)
        for (i = 0; i < n; i++) {
            struct ink_str out = INK_STR_INIT;
            struct ink_dkim_sign *s = ink_dkim_sign_new(&sk, 1, 0, &err);
            if (s == NULL || ink_dkim_sign_push(s, msgs[i].p, msgs[i].len) < 0 ||
                ink_dkim_sign_end(s, "\r\n", &out) < 0) {
                fprintf(stderr, "dkim_bench: signing message %zu failed: %s\n", i,
                        s ? ink_dkim_sign_error(s) : ink_str_cstr(&err));
                ink_dkim_sign_free(s);
                ink_str_free(&out);
                ink_dkim_privkey_free(pk);
                goto out;
            }
            npass += out.len > 0;
            ink_dkim_sign_free(s);
            ink_str_free(&out);
        }
        t1 = now_s();
        ink_dkim_privkey_free(pk);
    }
    printf("messages %zu bytes %zu seconds %.6f pass %zu\n", n * repeat, total * repeat, t1 - t0,
           npass);
    rc = 0;
out:
    for (i = 0; i < n; i++)
        free(msgs[i].p);
    free(msgs);
    free(zbuf);
    free(lbuf);
    ink_memzone_free(z);
    ink_str_free(&err);
    return rc;
}
