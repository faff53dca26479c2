/*
 * fuzz_arc.c - libFuzzer target for the ARC core (RFC 8617): the three
 * header-field parsers, the chain verifier over a fixed in-memory zone,
 * and seal-then-verify.  The first byte picks what the rest is:
 *   0 mod 4: a field value, the second byte's kind (AAR, AMS, AS): a
 *            result is always returned; a usable field has an instance
 *            1..INK_ARC_INSTANCE_MAX and its spans inside the input; an
 *            unusable one says why at an offset inside the input;
 *   1 mod 4: a whole message, verified (pushed in pieces whose size the
 *            second byte gives): the machine ends, the result is one of
 *            none/pass/fail with a reason exactly when it fails, and its
 *            sets are numbered 1..count;
 *   2 mod 4: a message sealed with the fixed key and verified again: when
 *            the message had no ARC field and sealing succeeded, the
 *            sealed message's chain must pass.
 *   3 mod 4: as 1, with every key lookup failing (NULL answers): the
 *            chain never passes, and fails only temporarily when it
 *            reached the signatures.
 * The key is a throwaway Ed25519 test key made for this target; its public
 * half is published at f._domainkey.fuzz.example (the seeds in
 * fuzz/corpus/arc/ are chains sealed with it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arc.h"
#include "inkan/driver.h"
#include "inkan/memzone.h"
#include "inkan/resolver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char test_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEINxBYWW+8lkmckG+DqVx0zVJ6DfETJdLjc2TzxMhQ4wf\n"
    "-----END PRIVATE KEY-----\n";
static const char test_key_record[] = "v=DKIM1; k=ed25519; p=cy73K5eAOX4BTJJM8GmVOnGNrzSBt8NsLE+3jAKcKS0=";

/* die - a broken promise: say which, then crash for libFuzzer */
static void die(const char *what)
{
    fprintf(stderr, "fuzz_arc: %s\n", what);
    abort();
}

static struct ink_resolver *resolver;
static struct ink_dkim_privkey *key;

/* init - the fixed zone and key, once */
static void init(void)
{
    struct ink_memzone *z;
    struct ink_str err = INK_STR_INIT;

    if (resolver != NULL)
        return;
    z = ink_memzone_new();
    if (z == NULL || ink_memzone_add_txt1(z, "f._domainkey.fuzz.example", INK_DNS_TXT, 300,
                                          test_key_record, strlen(test_key_record)) < 0)
        die("zone");
    resolver = ink_resolver_memzone_new(z, 1);
    key = ink_dkim_privkey_parse((const uint8_t *)test_key_pem, strlen(test_key_pem), &err);
    if (resolver == NULL || key == NULL)
        die("fixture");
    ink_str_free(&err);
}

static void check_field(enum ink_arc_kind k, const uint8_t *v, size_t n)
{
    struct ink_arc_field *f = ink_arc_field_parse(k, v, n);

    if (f == NULL)
        return; /* ENOMEM */
    if (f->ok) {
        if (f->instance < 1 || f->instance > INK_ARC_INSTANCE_MAX)
            die("usable field with a bad instance");
        if (k == INK_ARC_AAR && f->payload_off > n)
            die("AAR payload past the input");
        if (k != INK_ARC_AAR) {
            if (f->d == NULL || f->s == NULL || f->b == NULL || f->blen == 0)
                die("usable signature without d=, s= or b=");
            if (f->b_val_start > f->b_val_end || f->b_val_end > n)
                die("b= span outside the input");
        }
        if (k == INK_ARC_AMS && (f->bh == NULL || f->bhlen != INK_DKIM_DIGEST_LEN))
            die("usable AMS without a SHA-256 bh=");
    } else if (f->why[0] == '\0' || f->why_off > n) {
        die("unusable field without a reason inside the input");
    }
    ink_arc_field_free(f);
}


/* verify - the chain state of msg, checking the result's promises; *temporary
 * and *has_fields (-1: the message could not be taken) as the result says */
static enum ink_arc_cv verify(const uint8_t *msg, size_t n, size_t piece, int null_answers,
                              int *temporary, int *has_fields)
{
    struct ink_arc_verify_opts o = {INK_ARC_VERIFY_LF_TO_CRLF};
    struct ink_arc_verify *v = ink_arc_verify_new(&o);
    const struct ink_arc_result *r;
    enum ink_arc_cv cv;
    size_t off, k;

    if (v == NULL)
        return INK_ARC_CV_NONE;
    for (off = 0; off < n; off += piece) {
        size_t take = n - off < piece ? n - off : piece;
        if (ink_arc_verify_push(v, msg + off, take) < 0)
            break;
    }
    if (ink_arc_verify_end(v) < 0) {
        if (ink_arc_verify_error(v)[0] == '\0')
            die("end failed without a reason");
        ink_arc_verify_free(v);
        *has_fields = -1;
        return INK_ARC_CV_FAIL;
    }
    if (null_answers) {
        struct ink_query q;
        enum ink_next st;
        uint32_t toks[256];
        size_t nt = 0, i;
        while ((st = ink_arc_verify_next(v, &q)) == INK_NEXT_READY)
            if (nt < 256)
                toks[nt++] = q.token;
        for (i = 0; i < nt; i++)
            if (ink_arc_verify_feed(v, toks[i], NULL) != 0)
                die("a handed-out token refused");
        if (ink_arc_verify_next(v, &q) != INK_NEXT_DONE)
            die("not done after every answer");
    } else if (ink_drive_sync(resolver, ink_arc_verify_machine(v), NULL) != INK_NEXT_DONE)
        die("the verifier did not end");
    r = ink_arc_verify_result(v);
    if (r == NULL)
        die("DONE without a result");
    if ((r->cv == INK_ARC_CV_FAIL) != (r->reason[0] != '\0'))
        die("a reason exactly when the chain fails");
    if (r->cv == INK_ARC_CV_PASS && (r->count == 0 || r->nsets != r->count))
        die("a passing chain without its sets");
    if (r->cv == INK_ARC_CV_NONE && r->count != 0)
        die("cv=none with ARC sets");
    if (r->temporary && r->cv != INK_ARC_CV_FAIL)
        die("temporary but not failed");
    for (k = 0; k < r->nsets; k++)
        if (r->sets[k].instance != k + 1 || r->sets[k].ams == NULL || r->sets[k].as == NULL ||
            r->sets[k].aar == NULL)
            die("sets not numbered 1..count");
    if (r->oldest_pass > r->count)
        die("oldest-pass past the chain");
    cv = r->cv;
    *temporary = r->temporary;
    *has_fields = r->count > 0 || r->cv != INK_ARC_CV_NONE;
    ink_arc_verify_free(v);
    return cv;
}

static void seal_verify(const uint8_t *msg, size_t n)
{
    struct ink_arc_seal_opts o;
    struct ink_arc_seal *s;
    struct ink_str out = INK_STR_INIT, err = INK_STR_INIT;
    int temporary = 0, has = 0;
    enum ink_arc_cv cv = verify(msg, n, n ? n : 1, 0, &temporary, &has);

    if (has != 0)
        return; /* only a message without ARC fields makes a promise */
    (void)cv;
    memset(&o, 0, sizeof(o));
    o.key = key;
    o.domain = "fuzz.example";
    o.selector = "f";
    o.authserv_id = "mx.fuzz.example";
    o.timestamp = 1;
    o.flags = INK_ARC_SEAL_LF_TO_CRLF;
    s = ink_arc_seal_new(&o, &err);
    if (s == NULL)
        die("sealer refused fixed options");
    if (ink_arc_seal_push(s, msg, n) == 0 && ink_arc_seal_end(s, "\r\n", &out) == 0 &&
        ink_str_append(&out, msg, n) == 0) {
        if (verify((const uint8_t *)out.buf, out.len, out.len, 0, &temporary, &has) !=
            INK_ARC_CV_PASS) {
            fwrite(out.buf, 1, out.len, stderr);
            die("a message sealed here does not verify");
        }
    }
    ink_arc_seal_free(s);
    ink_str_free(&out);
    ink_str_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int temporary = 0, has = 0;
    size_t piece;

    init();
    if (size < 2)
        return 0;
    piece = (size_t)data[1] + 1;
    switch (data[0] % 4) {
    case 0:
        check_field((enum ink_arc_kind)(data[1] % 3), data + 2, size - 2);
        break;
    case 1:
        (void)verify(data + 2, size - 2, piece, 0, &temporary, &has);
        break;
    case 2:
        seal_verify(data + 2, size - 2);
        break;
    default:
        if (verify(data + 2, size - 2, piece, 1, &temporary, &has) == INK_ARC_CV_PASS)
            die("a chain passed without keys");
        break;
    }
    return 0;
}
