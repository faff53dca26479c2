/*
 * openssl_limit.c - the OpenSSL work a DKIM operation cannot avoid, done
 * alone, as the reference bench/dkim/bench.py (and a profiler counting
 * instructions) sets inkan's dkim_bench against.  What `openssl speed`
 * measures, but over the same messages and as a program whose loop can
 * be run under `valgrind --tool=callgrind`, where instruction counts do
 * not depend on the load of the (shared) machine:
 *
 *   openssl_limit verify --key PEM [--repeat N]
 *       N RSA-2048 PKCS#1 v1.5 verifications of one SHA-256 digest, the
 *       EVP_PKEY_CTX set up once (as `openssl speed rsa2048` does)
 *   openssl_limit sign --key PEM [--repeat N]
 *       N RSA-2048 signatures of one digest, likewise
 *   openssl_limit sha256 --list LIST [--repeat N]
 *       SHA-256 of each listed message's body (after the first empty
 *       line), one EVP_DigestUpdate per body into one reused EVP_MD_CTX:
 *       the least a verifier must do per body byte
 *
 * Prints "ops N bytes B seconds S" (seconds of process CPU time around
 * the loop, as dkim_bench counts).  Exit 0, 1 on any error.  A bench
 * helper, not part of the product.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

/* Largest file read (the corpus tops at 200 KB messages). */
#define LIMIT_FILE_MAX ((size_t)512 << 20)
/* Bytes of an RSA-2048 signature. */
#define LIMIT_SIG_MAX 512

/* read_all - whole file into memory (caller frees); NULL on error */
static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && (size_t)n <= LIMIT_FILE_MAX &&
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

/* now_s - process CPU seconds */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* arg_after - the value following option name, or NULL */
static const char *arg_after(int argc, char **argv, const char *name)
{
    int i;
    for (i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

/* rsa_loop - n RSA sign or verify operations; 0, or -1 */
static int rsa_loop(const char *keyfile, int sign, size_t n, double *dt)
{
    FILE *f = fopen(keyfile, "r");
    EVP_PKEY *pk = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    EVP_PKEY_CTX *sc = pk ? EVP_PKEY_CTX_new(pk, NULL) : NULL, *vc = NULL;
    uint8_t digest[32], sig[LIMIT_SIG_MAX];
    size_t siglen = sizeof sig, i;
    double t0;
    int rc = -1;

    if (f)
        fclose(f);
    memset(digest, 0x5a, sizeof digest);
    if (sc == NULL || EVP_PKEY_sign_init(sc) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(sc, RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(sc, EVP_sha256()) != 1 ||
        EVP_PKEY_sign(sc, sig, &siglen, digest, sizeof digest) != 1)
        goto out;
    vc = EVP_PKEY_CTX_new(pk, NULL);
    if (vc == NULL || EVP_PKEY_verify_init(vc) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(vc, RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(vc, EVP_sha256()) != 1)
        goto out;
    t0 = now_s();
    for (i = 0; i < n; i++) {
        if (sign) {
            size_t sl = sizeof sig;
            if (EVP_PKEY_sign(sc, sig, &sl, digest, sizeof digest) != 1)
                goto out;
        } else if (EVP_PKEY_verify(vc, sig, siglen, digest, sizeof digest) != 1) {
            goto out;
        }
    }
    *dt = now_s() - t0;
    rc = 0;
out:
    EVP_PKEY_CTX_free(sc);
    EVP_PKEY_CTX_free(vc);
    EVP_PKEY_free(pk);
    return rc;
}

/* body_off - where the body of p/len starts (after the first CRLF CRLF) */
static size_t body_off(const uint8_t *p, size_t len)
{
    size_t i;
    for (i = 0; i + 3 < len; i++)
        if (memcmp(p + i, "\r\n\r\n", 4) == 0)
            return i + 4;
    return len;
}

int main(int argc, char **argv)
{
    const char *rep_s = arg_after(argc, argv, "--repeat");
    size_t repeat = rep_s ? strtoul(rep_s, NULL, 10) : 1, ops = 0, bytes = 0, r, i;
    double dt = 0;

    if (repeat == 0)
        repeat = 1;
    if (argc >= 2 && (strcmp(argv[1], "verify") == 0 || strcmp(argv[1], "sign") == 0)) {
        const char *key = arg_after(argc, argv, "--key");
        if (key == NULL || rsa_loop(key, strcmp(argv[1], "sign") == 0, repeat, &dt) < 0) {
            fprintf(stderr, "openssl_limit: RSA %s failed (--key PEM, RSA-2048)\n", argv[1]);
            return 1;
        }
        ops = repeat;
    } else if (argc >= 2 && strcmp(argv[1], "sha256") == 0) {
        const char *list = arg_after(argc, argv, "--list");
        size_t llen = 0, n = 0, cap = 0;
        uint8_t *lbuf = list ? read_all(list, &llen) : NULL;
        struct {
            uint8_t *p;
            size_t off, len;
        } *m = NULL;
        char *line, *save = NULL;
        EVP_MD_CTX *mc = EVP_MD_CTX_new();
        /* fetched once: an implicit fetch per init is not the limit */
        EVP_MD *sha = EVP_MD_fetch(NULL, "SHA256", NULL);
        uint8_t dg[EVP_MAX_MD_SIZE];
        double t0;

        if (lbuf == NULL || mc == NULL || sha == NULL) {
            fprintf(stderr, "openssl_limit: cannot read --list\n");
            return 1;
        }
        lbuf[llen] = '\0';
        for (line = strtok_r((char *)lbuf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (n == cap) {
                void *nm;
                cap = cap ? cap * 2 : 1024;
                nm = realloc(m, cap * sizeof(*m));
                if (nm == NULL)
                    return 1;
                m = nm;
            }
            m[n].p = read_all(line, &m[n].len);
            if (m[n].p == NULL) {
                fprintf(stderr, "openssl_limit: cannot read %s\n", line);
                return 1;
            }
            m[n].off = body_off(m[n].p, m[n].len);
            n++;
        }
        t0 = now_s();
        for (r = 0; r < repeat; r++)
            for (i = 0; i < n; i++) {
                if (EVP_DigestInit_ex(mc, sha, NULL) != 1 ||
                    EVP_DigestUpdate(mc, m[i].p + m[i].off, m[i].len - m[i].off) != 1 ||
                    EVP_DigestFinal_ex(mc, dg, NULL) != 1)
                    return 1;
                bytes += m[i].len - m[i].off;
                ops++;
            }
        dt = now_s() - t0;
        for (i = 0; i < n; i++)
            free(m[i].p);
        free(m);
        free(lbuf);
        EVP_MD_CTX_free(mc);
        EVP_MD_free(sha);
    } else {
        fprintf(stderr, "usage: openssl_limit verify|sign --key PEM | sha256 --list LIST "
                        "[--repeat N]\n");
        return 2;
    }
    printf("ops %zu bytes %zu seconds %.6f\n", ops, bytes, dt);
    return 0;
}
