/*
 * fuzz_dkim_roundtrip.c - libFuzzer target for the whole DKIM path: the
 * input is a message.  It is verified as it is (any DKIM-Signature fields
 * in it are checked against an in-memory zone holding one Ed25519 key), in
 * chunks whose sizes come from the first byte; every signature must get a
 * result with a reason unless it passes.  Then it is signed with that key
 * (relaxed/relaxed or simple/simple, LF input normalised or not, from the
 * first byte) and the signed message verified again: whatever inkan signs,
 * inkan must verify (the signer's and the verifier's canonicalization of
 * the same bytes must agree).
 *
 * The key is a throwaway test key made for this target (Ed25519, so that
 * signing and verifying cost microseconds).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/dkim.h"
#include "inkan/query.h"
#include "inkan/dkim_key.h"
#include "inkan/dns.h"
#include "inkan/memzone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char test_key_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                                   "MC4CAQAwBQYDK2VwBCIEIMg3sz7JJ/IL7JA/pOSeacT7FXvSBmGIjm/I6siWFPBH\n"
                                   "-----END PRIVATE KEY-----\n";
static const char test_key_record[] =
    "v=DKIM1; k=ed25519; p=bxt0HfIS+ixif85keCoir2ApHTkLwM//qZfLwMxNkwY=";
#define KEY_NAME "fz._domainkey.example.com"

static struct ink_memzone *zone;
static struct ink_dkim_privkey *key;

/* die - a broken promise: say which, then crash for libFuzzer */
static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_dkim_roundtrip: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

static void setup(void)
{
    struct ink_str err = INK_STR_INIT;

    zone = ink_memzone_new();
    key = ink_dkim_privkey_parse((const uint8_t *)test_key_pem, sizeof test_key_pem - 1, &err);
    if (zone == NULL || key == NULL ||
        ink_memzone_add_txt1(zone, KEY_NAME, INK_DNS_TXT, 300, test_key_record,
                             sizeof test_key_record - 1) != 0)
        die("setup failed", ink_str_cstr(&err));
    ink_str_free(&err);
}

/*
 * verify - verify buf/len in pushes of step bytes (0: one push) with
 * flags; returns the verifier (caller frees) or NULL when the message
 * could not be taken (header over the limit).
 */
static struct ink_dkim_verify *verify(const uint8_t *buf, size_t len, size_t step, unsigned flags)
{
    struct ink_dkim_verify_opts vo;
    struct ink_dkim_verify *v;
    struct ink_query q;
    enum ink_next st;
    size_t off = 0, i;

    memset(&vo, 0, sizeof vo);
    vo.flags = flags;
    v = ink_dkim_verify_new(&vo);
    if (v == NULL)
        return NULL;
    while (off < len) {
        size_t n = step == 0 || step > len - off ? len - off : step;
        if (ink_dkim_verify_push(v, buf + off, n) < 0)
            goto refused;
        off += n;
    }
    if (ink_dkim_verify_end(v) < 0)
        goto refused;
    while ((st = ink_dkim_verify_next(v, &q)) == INK_NEXT_READY) {
        struct ink_dns_answer *a = ink_memzone_lookup(zone, q.name, q.type);
        if (a == NULL)
            die("out of memory", NULL);
        if (ink_dkim_verify_feed(v, q.token, a) != 0)
            die("the answer to a query handed out was refused", q.name);
        ink_dns_answer_free(a);
    }
    if (st != INK_NEXT_DONE)
        die("not done after every query was answered", ink_next_name(st));
    for (i = 0; i < ink_dkim_verify_count(v); i++) {
        const struct ink_dkim_result *r = ink_dkim_verify_result(v, i);
        if (r == NULL || ink_dkim_result_name(r->code) == NULL)
            die("missing result", NULL);
        if (memchr(r->reason, '\0', sizeof r->reason) == NULL)
            die("unterminated reason", NULL);
        if (r->code != INK_DKIM_PASS && r->reason[0] == '\0')
            die("a signature that did not pass has no reason", ink_dkim_result_name(r->code));
    }
    if (ink_dkim_verify_result(v, ink_dkim_verify_count(v)) != NULL)
        die("a result past the count", NULL);
    return v;
refused:
    if (ink_dkim_verify_error(v)[0] == '\0')
        die("push/end failed without saying why", NULL);
    ink_dkim_verify_free(v);
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_dkim_sign_key sk;
    struct ink_dkim_sign *s;
    struct ink_dkim_verify *v, *v1;
    struct ink_str sig = INK_STR_INIT, err = INK_STR_INIT;
    uint8_t *copy, *signed_msg;
    unsigned mode;
    size_t i, step;
    int lf;

    if (zone == NULL)
        setup();
    if (size < 1)
        return 0;
    mode = data[0];
    data++;
    size--;
    copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    if (size)
        memcpy(copy, data, size);
    lf = (mode & 1) != 0;
    step = (mode >> 2) & 0x3f; /* 0: one push; else pushes of 1..63 bytes */

    /* 1. the message as it is: whole and in pushes, same results */
    v = verify(copy, size, 0, lf ? INK_DKIM_VERIFY_LF_TO_CRLF : 0);
    v1 = verify(copy, size, step ? step : 7, lf ? INK_DKIM_VERIFY_LF_TO_CRLF : 0);
    if ((v == NULL) != (v1 == NULL))
        die("pushing in pieces changed whether the message was taken", NULL);
    if (v != NULL) {
        if (ink_dkim_verify_count(v) != ink_dkim_verify_count(v1))
            die("pushing in pieces changed the signature count", NULL);
        for (i = 0; i < ink_dkim_verify_count(v); i++)
            if (ink_dkim_verify_result(v, i)->code != ink_dkim_verify_result(v1, i)->code ||
                strcmp(ink_dkim_verify_result(v, i)->reason, ink_dkim_verify_result(v1, i)->reason))
                die("pushing in pieces changed a result", ink_dkim_verify_result(v1, i)->reason);
    }
    ink_dkim_verify_free(v);
    ink_dkim_verify_free(v1);

    /* 2. sign it, then verify what was signed: it must pass */
    memset(&sk, 0, sizeof sk);
    sk.key = key;
    sk.domain = "example.com";
    sk.selector = "fz";
    sk.alg = INK_DKIM_ALG_ED25519_SHA256;
    sk.hcanon = sk.bcanon = (mode & 2) ? INK_DKIM_CANON_RELAXED : INK_DKIM_CANON_SIMPLE;
    s = ink_dkim_sign_new(&sk, 1, lf ? INK_DKIM_SIGN_LF_TO_CRLF : 0, &err);
    if (s == NULL)
        die("signer refused a fixed, valid key", ink_str_cstr(&err));
    if (ink_dkim_sign_push(s, copy, size) == 0 &&
        ink_dkim_sign_end(s, lf ? "\n" : "\r\n", &sig) == 0) {
        signed_msg = malloc(sig.len + size + 1);
        if (signed_msg == NULL)
            die("out of memory", NULL);
        memcpy(signed_msg, sig.buf, sig.len);
        if (size)
            memcpy(signed_msg + sig.len, copy, size);
        v = verify(signed_msg, sig.len + size, 0, lf ? INK_DKIM_VERIFY_LF_TO_CRLF : 0);
        if (v == NULL)
            die("a message inkan signed could not be verified", NULL);
        if (ink_dkim_verify_count(v) < 1)
            die("the signature inkan added was not found", NULL);
        /* the new signature is the topmost field */
        if (ink_dkim_verify_result(v, 0)->code != INK_DKIM_PASS)
            die("a message inkan signed does not verify", ink_dkim_verify_result(v, 0)->reason);
        ink_dkim_verify_free(v);
        free(signed_msg);
    }
    ink_dkim_sign_free(s);
    ink_str_free(&sig);
    ink_str_free(&err);
    free(copy);
    return 0;
}
