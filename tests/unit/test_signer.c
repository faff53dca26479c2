/*
 * test_signer.c - the signer process (inkan/signer.h, src/signer/signer.c):
 * signatures made through it verify with the published key (RSA and
 * Ed25519); this process's own memory holds no private key byte after
 * signing (it scans /proc/self/mem, and shows the scan finds the key once
 * the key is loaded here); unknown key ids, 0644 and non-regular key files
 * are refused; a killed or stopped signer is an error, not a hang; as
 * root, the signer runs as the configured user.
 *
 * The keys are generated in a forked child, which writes them 0600 and
 * sends back only the key's secret bytes XOR-masked (NEEDLE_MASK), so the
 * plain secret never exists in this process unless a test loads the key.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "inkan/dkim.h"
#include "inkan/dkim_key.h"
#include "inkan/dkim_prim.h"
#include "inkan/signer.h"

/* Byte every needle byte is XORed with while it is in this process. */
#define NEEDLE_MASK 0xa5
/* Longest needle (an RSA-4096 prime is 256 bytes; a PEM line 64). */
#define NEEDLE_MAX 512
/* Needles per key: secret bytes big-endian, little-endian, a PEM line. */
#define NEEDLES_PER_KEY 3
/* Bytes read from /proc/self/mem at a time. */
#define SCAN_CHUNK (1u << 20)
/* Mappings larger than this are skipped (sanitizer shadow and reserved
 * space, terabytes of NORESERVE pages holding no heap data). */
#define SCAN_REGION_MAX ((uint64_t)1 << 30)
/* Reply timeout the stopped-signer test uses, in ms. */
#define TEST_REPLY_TIMEOUT_MS 300

struct needle {
    size_t len;
    uint8_t masked[NEEDLE_MAX];
};

struct testkey {
    char path[256];
    struct needle needles[NEEDLES_PER_KEY];
    size_t nneedles;
};

static char tmpdir[128];
static struct testkey rsa_key, ed_key;

/* put_needle - mask len bytes of p into the next needle of tk */
static void put_needle(struct testkey *tk, const uint8_t *p, size_t len, int reverse)
{
    struct needle *n = &tk->needles[tk->nneedles++];
    size_t i;

    assert_true(len <= NEEDLE_MAX);
    n->len = len;
    for (i = 0; i < len; i++)
        n->masked[i] = (uint8_t)(p[reverse ? len - 1 - i : i] ^ NEEDLE_MASK);
}

/* keygen_child - in a child: generate a key into tk->path (0600) and
 * write the masked needles to fd */
static void keygen_child(enum ink_dkim_keytype type, struct testkey *tk, int fd)
{
    struct ink_str pem = INK_STR_INIT, err = INK_STR_INIT;
    EVP_PKEY *pk;
    BIO *bio;
    uint8_t raw[NEEDLE_MAX];
    size_t rawlen = sizeof(raw);
    const char *line;
    int kf;

    if (ink_dkim_keygen(type, 2048, &pem, NULL, &err) < 0)
        _exit(10);
    kf = open(tk->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (kf < 0 || write(kf, pem.buf, pem.len) != (ssize_t)pem.len || close(kf) < 0)
        _exit(11);
    bio = BIO_new_mem_buf(pem.buf, (int)pem.len);
    pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    if (pk == NULL)
        _exit(12);
    tk->nneedles = 0;
    if (type == INK_DKIM_KEY_ED25519) {
        if (EVP_PKEY_get_raw_private_key(pk, raw, &rawlen) != 1)
            _exit(13);
    } else {
        BIGNUM *p = NULL;
        if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_FACTOR1, &p) != 1)
            _exit(13);
        rawlen = (size_t)BN_bn2bin(p, raw);
        BN_free(p);
    }
    put_needle(tk, raw, rawlen, 0);
    put_needle(tk, raw, rawlen, 1); /* bignum limbs on a little-endian machine */
    /* the second line of the PEM: secret base64 as read from the file */
    line = strchr(pem.buf, '\n');
    if (line == NULL)
        _exit(14);
    put_needle(tk, (const uint8_t *)line + 1, 64, 0);
    if (write(fd, tk, sizeof(*tk)) != (ssize_t)sizeof(*tk))
        _exit(15);
    _exit(0);
}

/* make_key - generate a key file through a child; only masked bytes come back */
static void make_key(enum ink_dkim_keytype type, const char *name, struct testkey *tk)
{
    int p[2], status = 0;
    pid_t pid;

    snprintf(tk->path, sizeof(tk->path), "%s/%s.private", tmpdir, name);
    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        keygen_child(type, tk, p[1]);
    }
    close(p[1]);
    assert_int_equal(read(p[0], tk, sizeof(*tk)), (ssize_t)sizeof(*tk));
    close(p[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/inkan-signer-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    make_key(INK_DKIM_KEY_RSA, "rsa", &rsa_key);
    make_key(INK_DKIM_KEY_ED25519, "ed", &ed_key);
    return 0;
}

static int teardown(void **state)
{
    char cmd[256];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* drop_user - the user tests drop to when root */
static const char *drop_user(void)
{
    return geteuid() == 0 ? "nobody" : NULL;
}

/* start - a signer over the two test keys ("rsa", "ed") */
static struct ink_signer *start(int timeout_ms)
{
    struct ink_signer_keyfile kf[2] = {{"rsa", rsa_key.path}, {"ed", ed_key.path}};
    struct ink_signer_config cfg = {kf, 2, drop_user(), timeout_ms};
    struct ink_str err = INK_STR_INIT;
    struct ink_signer *s = ink_signer_start(&cfg, &err);

    if (s == NULL)
        print_error("ink_signer_start: %s\n", ink_str_cstr(&err));
    assert_non_null(s);
    ink_str_free(&err);
    return s;
}

/* sign_and_verify - a digest signed through the signer verifies with the
 * key record the signer published */
static void sign_and_verify(struct ink_signer *s, const char *id, enum ink_dkim_keytype type)
{
    struct ink_signer_key *k = ink_signer_key(s, id);
    struct ink_str sig = INK_STR_INIT, why = INK_STR_INIT;
    struct ink_dkim_key *pub;
    uint8_t digest[INK_DKIM_DIGEST_LEN];
    size_t i;

    assert_non_null(k);
    assert_int_equal(k->type, type);
    for (i = 0; i < sizeof(digest); i++)
        digest[i] = (uint8_t)(i * 7 + 1);
    assert_int_equal(ink_signer_sign(s, id, digest, sizeof(digest), &sig, &why), INK_SIGNER_OK);
    pub = ink_dkim_key_parse((const uint8_t *)k->record, strlen(k->record));
    assert_non_null(pub);
    assert_int_equal(ink_dkim_key_verify_digest(pub, digest, (const uint8_t *)sig.buf, sig.len), 1);
    digest[0] ^= 1; /* the check can fail */
    assert_int_equal(ink_dkim_key_verify_digest(pub, digest, (const uint8_t *)sig.buf, sig.len), 0);
    ink_dkim_key_free(pub);
    ink_str_free(&sig);
    ink_str_free(&why);
}

static void test_sign_rsa_ed25519(void **state)
{
    struct ink_signer *s = start(0);

    (void)state;
    assert_int_equal(ink_signer_key_count(s), 2);
    assert_int_equal(ink_signer_key(s, "rsa")->bits, 2048);
    assert_non_null(strstr(ink_signer_key(s, "ed")->record, "k=ed25519"));
    sign_and_verify(s, "rsa", INK_DKIM_KEY_RSA);
    sign_and_verify(s, "ed", INK_DKIM_KEY_ED25519);
    ink_signer_stop(s);
}

/* the DKIM signer's external path: a whole message signed through the
 * callback carries a signature verifiable with the published key */
static void test_dkim_external(void **state)
{
    static const char msg[] = "From: a@example.com\r\nTo: b@example.org\r\nSubject: x\r\n\r\nhi\r\n";
    struct ink_signer *s = start(0);
    struct ink_dkim_sign_key keys[2];
    struct ink_dkim_sign *ds;
    struct ink_str out = INK_STR_INIT, err = INK_STR_INIT;

    (void)state;
    memset(keys, 0, sizeof(keys));
    keys[0].domain = keys[1].domain = "example.com";
    keys[0].selector = "r";
    keys[1].selector = "e";
    keys[0].alg = INK_DKIM_ALG_RSA_SHA256;
    keys[1].alg = INK_DKIM_ALG_ED25519_SHA256;
    keys[0].sign_fn = keys[1].sign_fn = ink_signer_dkim_sign;
    keys[0].sign_arg = ink_signer_key(s, "rsa");
    keys[1].sign_arg = ink_signer_key(s, "ed");
    keys[0].hcanon = keys[0].bcanon = keys[1].hcanon = keys[1].bcanon = INK_DKIM_CANON_RELAXED;
    ds = ink_dkim_sign_new(keys, 2, 0, &err);
    assert_non_null(ds);
    assert_int_equal(ink_dkim_sign_push(ds, (const uint8_t *)msg, sizeof(msg) - 1), 0);
    assert_int_equal(ink_dkim_sign_end(ds, "\r\n", &out), 0);
    assert_non_null(strstr(out.buf, "a=rsa-sha256"));
    assert_non_null(strstr(out.buf, "a=ed25519-sha256"));
    ink_dkim_sign_free(ds);

    /* external signing without the algorithm is refused (the core
     * cannot know the key's type) */
    keys[0].alg = INK_DKIM_ALG_UNKNOWN;
    ink_str_truncate(&err, 0);
    assert_null(ink_dkim_sign_new(keys, 1, 0, &err));
    assert_non_null(strstr(ink_str_cstr(&err), "algorithm"));
    /* an alg not fitting the key: the callback refuses, the signer says why */
    keys[0].alg = INK_DKIM_ALG_ED25519_SHA256;
    ds = ink_dkim_sign_new(keys, 1, 0, &err);
    assert_non_null(ds);
    assert_int_equal(ink_dkim_sign_push(ds, (const uint8_t *)msg, sizeof(msg) - 1), 0);
    assert_int_equal(ink_dkim_sign_end(ds, "\r\n", &out), -1);
    assert_non_null(strstr(ink_dkim_sign_error(ds), "does not fit"));
    ink_dkim_sign_free(ds);
    ink_str_free(&out);
    ink_str_free(&err);
    ink_signer_stop(s);
}

/* scan_self - how many of the needles of tk occur in this process's
 * readable memory (and how many mappings were skipped, in *skipped) */
static size_t scan_self(const struct testkey *tk, size_t *skipped)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    int mem = open("/proc/self/mem", O_RDONLY);
    uint8_t *buf = malloc(SCAN_CHUNK + NEEDLE_MAX);
    char line[512];
    size_t found = 0, i;
    int hit[NEEDLES_PER_KEY] = {0};

    assert_non_null(maps);
    assert_true(mem >= 0);
    assert_non_null(buf);
    *skipped = 0;
    while (fgets(line, sizeof(line), maps) != NULL) {
        unsigned long long lo, hi, off;
        char perms[8];
        if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r')
            continue;
        if (strstr(line, "[vvar") != NULL || strstr(line, "[vsyscall]") != NULL)
            continue;
        if (hi - lo > SCAN_REGION_MAX) {
            (*skipped)++;
            continue;
        }
        for (off = lo; off < hi;) {
            size_t want = hi - off > SCAN_CHUNK + NEEDLE_MAX ? SCAN_CHUNK + NEEDLE_MAX : (size_t)(hi - off);
            ssize_t n = pread(mem, buf, want, (off_t)off);
            if (n <= 0)
                break; /* unreadable page (guard, device): nothing of ours there */
            for (i = 0; i < tk->nneedles; i++) {
                const struct needle *nd = &tk->needles[i];
                size_t p, j;
                if (hit[i] || (size_t)n < nd->len)
                    continue;
                /* memchr for the first byte (one unmasked byte in a
                 * register, not the secret), then the rest masked */
                for (p = 0; p + nd->len <= (size_t)n; p++) {
                    const uint8_t *q = memchr(buf + p, nd->masked[0] ^ NEEDLE_MASK,
                                              (size_t)n - nd->len + 1 - p);
                    if (q == NULL)
                        break;
                    p = (size_t)(q - buf);
                    for (j = 1; j < nd->len; j++)
                        if ((uint8_t)(buf[p + j] ^ NEEDLE_MASK) != nd->masked[j])
                            break;
                    if (j == nd->len) {
                        hit[i] = 1;
                        break;
                    }
                }
            }
            /* overlap by NEEDLE_MAX so a needle across chunks is seen */
            if ((size_t)n < want || off + (size_t)n >= hi)
                break;
            off += (size_t)n - NEEDLE_MAX;
        }
    }
    for (i = 0; i < tk->nneedles; i++)
        found += (size_t)hit[i];
    /* scrub what the scan read */
    memset(buf, 0, SCAN_CHUNK + NEEDLE_MAX);
    free(buf);
    close(mem);
    fclose(maps);
    return found;
}

/* load_here - read and parse a key file in this process (the positive
 * control of the memory scan); caller frees both */
static struct ink_dkim_privkey *load_here(const char *path, struct ink_str *pem)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_dkim_privkey *k;
    char chunk[4096];
    ssize_t n;
    int fd = open(path, O_RDONLY);

    assert_true(fd >= 0);
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        ink_str_append(pem, chunk, (size_t)n);
    close(fd);
    k = ink_dkim_privkey_parse((const uint8_t *)pem->buf, pem->len, &err);
    assert_non_null(k);
    ink_str_free(&err);
    return k;
}

static void test_parent_holds_no_key(void **state)
{
    struct ink_signer *s = start(0);
    struct ink_str pem = INK_STR_INIT;
    struct ink_dkim_privkey *k;
    size_t skipped, found;

    (void)state;
    sign_and_verify(s, "rsa", INK_DKIM_KEY_RSA);
    sign_and_verify(s, "ed", INK_DKIM_KEY_ED25519);
    /* after signing with both, none of their secret bytes is here */
    found = scan_self(&rsa_key, &skipped);
    print_message("# RSA needles found in the parent after signing: %zu (%zu huge mappings skipped)\n",
                  found, skipped);
    assert_int_equal(found, 0);
    found = scan_self(&ed_key, &skipped);
    print_message("# Ed25519 needles found in the parent after signing: %zu\n", found);
    assert_int_equal(found, 0);
    ink_signer_stop(s);

    /* positive control: once the key is loaded here, the scan sees it */
    k = load_here(ed_key.path, &pem);
    found = scan_self(&ed_key, &skipped);
    print_message("# Ed25519 needles found with the key loaded here: %zu\n", found);
    assert_true(found >= 2);
    ink_dkim_privkey_free(k);
    ink_str_free(&pem);
    pem = (struct ink_str)INK_STR_INIT;
    k = load_here(rsa_key.path, &pem);
    found = scan_self(&rsa_key, &skipped);
    print_message("# RSA needles found with the key loaded here: %zu\n", found);
    assert_true(found >= 2);
    ink_dkim_privkey_free(k);
    ink_str_free(&pem);
}

static void test_no_such_key_bad_request(void **state)
{
    struct ink_signer *s = start(0);
    struct ink_str sig = INK_STR_INIT, why = INK_STR_INIT;
    uint8_t digest[INK_DKIM_DIGEST_LEN] = {1};

    (void)state;
    assert_int_equal(ink_signer_sign(s, "nope", digest, sizeof(digest), &sig, &why), INK_SIGNER_NO_KEY);
    assert_non_null(strstr(ink_str_cstr(&why), "no key 'nope'"));
    assert_int_equal(sig.len, 0);
    ink_str_truncate(&why, 0);
    /* a digest of the wrong size: bad request, the signer goes on */
    assert_int_equal(ink_signer_sign(s, "rsa", digest, 20, &sig, &why), INK_SIGNER_BAD_REQUEST);
    assert_int_equal(ink_signer_sign(s, "rsa", digest, sizeof(digest), &sig, &why), INK_SIGNER_OK);
    assert_true(sig.len == 256);
    ink_str_free(&sig);
    ink_str_free(&why);
    ink_signer_stop(s);
}

/* raw_reply - write raw bytes to the signer, read one reply header and
 * payload; the reply's type and first payload byte, or -1 on EOF */
static int raw_reply(struct ink_signer *s, const uint8_t *req, size_t len, int *code)
{
    uint8_t h[INK_SIGNER_HDR_LEN], p[INK_SIGNER_PAYLOAD_MAX];
    size_t n;

    assert_int_equal(write(ink_signer_fd(s), req, len), (ssize_t)len);
    if (read(ink_signer_fd(s), h, sizeof(h)) != (ssize_t)sizeof(h))
        return -1;
    assert_int_equal(h[0], INK_SIGNER_WIRE_VERSION);
    n = (size_t)h[6] << 8 | h[7];
    assert_true(n >= 1 && n <= sizeof(p));
    assert_int_equal(read(ink_signer_fd(s), p, n), (ssize_t)n);
    *code = p[0];
    return h[1];
}

/* the wire format: an unknown request type is a bad request and the
 * signer goes on; another version or an oversized length is a bad
 * request after which the signer ends (the stream is out of step) */
static void test_wire_format(void **state)
{
    /* version 1, type 9 (unknown), length 0 */
    static const uint8_t unknown[] = {1, 9, 0, 0, 0, 0, 0, 0};
    static const uint8_t version2[] = {2, 4, 0, 0, 0, 0, 0, 0};
    static const uint8_t oversized[] = {1, 4, 0, 0, 0, 1, 0, 0}; /* 65536 bytes */
    struct ink_str sig = INK_STR_INIT, why = INK_STR_INIT;
    uint8_t digest[INK_DKIM_DIGEST_LEN] = {3};
    struct ink_signer *s = start(0);
    int code = 0;

    (void)state;
    assert_int_equal(raw_reply(s, unknown, sizeof(unknown), &code), 3 /* ERROR */);
    assert_int_equal(code, INK_SIGNER_BAD_REQUEST);
    assert_int_equal(ink_signer_sign(s, "ed", digest, sizeof(digest), &sig, &why), INK_SIGNER_OK);
    assert_int_equal(raw_reply(s, version2, sizeof(version2), &code), 3);
    assert_int_equal(code, INK_SIGNER_BAD_REQUEST);
    assert_int_equal(ink_signer_sign(s, "ed", digest, sizeof(digest), &sig, &why), INK_SIGNER_DEAD);
    ink_signer_stop(s);

    s = start(0);
    assert_int_equal(raw_reply(s, oversized, sizeof(oversized), &code), 3);
    assert_int_equal(code, INK_SIGNER_BAD_REQUEST);
    ink_str_truncate(&why, 0);
    assert_int_equal(ink_signer_sign(s, "ed", digest, sizeof(digest), &sig, &why), INK_SIGNER_DEAD);
    print_message("# after a bad header: %s\n", ink_str_cstr(&why));
    ink_signer_stop(s);
    ink_str_free(&sig);
    ink_str_free(&why);
}

/* start_fails - starting over one key file fails with a message containing want */
static void start_fails(const char *path, const char *user, const char *want)
{
    struct ink_signer_keyfile kf = {"k", path};
    struct ink_signer_config cfg = {&kf, 1, user, 0};
    struct ink_str err = INK_STR_INIT;

    assert_null(ink_signer_start(&cfg, &err));
    print_message("# refused: %s\n", ink_str_cstr(&err));
    assert_non_null(strstr(ink_str_cstr(&err), want));
    ink_str_free(&err);
}

static void test_refuses_key_files(void **state)
{
    char p[300];
    int fd;

    (void)state;
    /* a 0644 copy of a key */
    snprintf(p, sizeof(p), "%s/open.private", tmpdir);
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "-----BEGIN PRIVATE KEY-----\n", 28), 28);
    close(fd);
    assert_int_equal(chmod(p, 0644), 0);
    start_fails(p, drop_user(), "permissions 0644");
    start_fails(p, drop_user(), p);
    assert_int_equal(chmod(p, 0640), 0);
    start_fails(p, drop_user(), "too open");
    /* not a regular file: a directory, a FIFO (must not hang) */
    start_fails(tmpdir, drop_user(), "not a regular file");
    snprintf(p, sizeof(p), "%s/fifo", tmpdir);
    assert_int_equal(mkfifo(p, 0600), 0);
    start_fails(p, drop_user(), "not a regular file");
    start_fails("/nonexistent/key", drop_user(), "cannot open the key file /nonexistent/key");
    /* a 0600 file that is not a key */
    snprintf(p, sizeof(p), "%s/junk.private", tmpdir);
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_int_equal(write(fd, "junk\n", 5), 5);
    close(fd);
    start_fails(p, drop_user(), "junk.private");
    if (geteuid() == 0) {
        start_fails(rsa_key.path, NULL, "running as root");
        start_fails(rsa_key.path, "no-such-user-inkan", "no such user");
    }
}

/* elapsed_ms - since t0 */
static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_killed_signer(void **state)
{
    struct ink_signer *s = start(0);
    struct ink_str sig = INK_STR_INIT, why = INK_STR_INIT;
    uint8_t digest[INK_DKIM_DIGEST_LEN] = {2};
    struct timespec t0;
    enum ink_signer_status st;

    (void)state;
    assert_int_equal(kill(ink_signer_pid(s), SIGKILL), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = ink_signer_sign(s, "rsa", digest, sizeof(digest), &sig, &why);
    print_message("# killed signer: %s: %s\n", ink_signer_status_name(st), ink_str_cstr(&why));
    assert_int_equal(st, INK_SIGNER_DEAD);
    assert_non_null(strstr(ink_str_cstr(&why), "signal 9"));
    assert_true(elapsed_ms(&t0) < 5000); /* seen at once, not after a timeout */
    /* and it stays dead */
    assert_int_equal(ink_signer_sign(s, "rsa", digest, sizeof(digest), &sig, &why), INK_SIGNER_DEAD);
    ink_signer_stop(s);

    /* a stopped signer: a timeout after the configured time, not a hang */
    s = start(TEST_REPLY_TIMEOUT_MS);
    assert_int_equal(kill(ink_signer_pid(s), SIGSTOP), 0);
    ink_str_truncate(&why, 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = ink_signer_sign(s, "ed", digest, sizeof(digest), &sig, &why);
    print_message("# stopped signer: %s: %s\n", ink_signer_status_name(st), ink_str_cstr(&why));
    assert_int_equal(st, INK_SIGNER_TIMEOUT);
    assert_true(elapsed_ms(&t0) >= TEST_REPLY_TIMEOUT_MS - 10);
    assert_true(elapsed_ms(&t0) < 5 * TEST_REPLY_TIMEOUT_MS);
    ink_signer_stop(s); /* kills it after the grace period */
    ink_str_free(&sig);
    ink_str_free(&why);
}

/* status_ids - the four ids of a "Uid:" or "Gid:" line of /proc/PID/status */
static int status_ids(pid_t pid, const char *field, unsigned long ids[4])
{
    char path[64], line[256];
    FILE *f;
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, field, strlen(field)) == 0)
            n = sscanf(line + strlen(field), "%lu %lu %lu %lu", &ids[0], &ids[1], &ids[2], &ids[3]);
    fclose(f);
    return n == 4 ? 0 : -1;
}

static void test_privilege_drop(void **state)
{
    struct ink_signer *s;
    struct passwd *pw;
    unsigned long uids[4], gids[4];
    int i;

    (void)state;
    if (geteuid() != 0) {
        print_message("# not root: the privilege drop is not testable here\n");
        skip();
    }
    pw = getpwnam("nobody");
    assert_non_null(pw);
    s = start(0);
    assert_int_equal(status_ids(ink_signer_pid(s), "Uid:", uids), 0);
    assert_int_equal(status_ids(ink_signer_pid(s), "Gid:", gids), 0);
    for (i = 0; i < 4; i++) {
        assert_int_equal(uids[i], pw->pw_uid);
        assert_int_equal(gids[i], pw->pw_gid);
    }
    /* it keeps only stdin/stdout (/dev/null), stderr and its socket: no
     * descriptor of the parent's (the test opens one to show it) */
    {
        char path[64];
        struct dirent *de;
        DIR *d;
        int n = 0, extra = open("/dev/null", O_RDONLY);
        struct ink_signer *s2 = start(0);
        snprintf(path, sizeof(path), "/proc/%ld/fd", (long)ink_signer_pid(s2));
        d = opendir(path);
        assert_non_null(d);
        while ((de = readdir(d)) != NULL)
            if (de->d_name[0] != '.')
                n++;
        closedir(d);
        assert_int_equal(n, 4);
        ink_signer_stop(s2);
        close(extra);
    }
    /* and it still signs with the keys it read as root */
    sign_and_verify(s, "rsa", INK_DKIM_KEY_RSA);
    ink_signer_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_rsa_ed25519),
        cmocka_unit_test(test_dkim_external),
        cmocka_unit_test(test_parent_holds_no_key),
        cmocka_unit_test(test_no_such_key_bad_request),
        cmocka_unit_test(test_wire_format),
        cmocka_unit_test(test_refuses_key_files),
        cmocka_unit_test(test_killed_signer),
        cmocka_unit_test(test_privilege_drop),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
