/*
 * test_arc.c - the ARC core (inkan/arc.h) beside the conformance suite:
 * the field parser's refusals and offsets, the query protocol (every key
 * query out before the first WAIT, unknown and repeated tokens refused),
 * the instance limit INK_ARC_INSTANCE_MAX on both sides (a chain of 50
 * verifies and cannot be sealed again; an i=51 set fails), a failed chain
 * not being continued, results given to the AAR by the caller, and
 * sealing through an external signing callback (the key in the signer
 * process) with the cv given after the message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arc.h"
#include "inkan/driver.h"
#include "inkan/memzone.h"
#include "inkan/resolver.h"

static const char base_msg[] = "Authentication-Results: hop.example; spf=pass smtp.mailfrom=a@d.example\r\n"
                               "From: a@d.example\r\nTo: b@e.example\r\nSubject: s\r\n\r\nbody\r\n";

/* parse - field of kind k from a C string */
static struct ink_arc_field *parse(enum ink_arc_kind k, const char *v)
{
    struct ink_arc_field *f = ink_arc_field_parse(k, (const uint8_t *)v, strlen(v));

    assert_non_null(f);
    return f;
}

static void test_parse(void **state)
{
    struct ink_arc_field *f;

    (void)state;
    f = parse(INK_ARC_AAR, " i=7; mx.example; spf=pass");
    assert_true(f->ok);
    assert_int_equal(f->instance, 7);
    assert_string_equal((const char *)f->value + f->payload_off, " mx.example; spf=pass");
    ink_arc_field_free(f);
    f = parse(INK_ARC_AAR, " i=51; mx.example");
    assert_false(f->ok);
    assert_int_equal(f->why_off, 3);
    ink_arc_field_free(f);
    f = parse(INK_ARC_AAR, " i=01; mx.example");
    assert_false(f->ok);
    ink_arc_field_free(f);
    f = parse(INK_ARC_AAR, " i=1 mx.example");
    assert_false(f->ok);
    assert_non_null(strstr(f->why, "';'"));
    ink_arc_field_free(f);
    /* AMS: bh missing, named with the offset at the end */
    f = parse(INK_ARC_AMS, "i=1; a=rsa-sha256; b=AAAA; d=x.example; s=s; h=from");
    assert_false(f->ok);
    assert_non_null(strstr(f->why, "bh="));
    ink_arc_field_free(f);
    f = parse(INK_ARC_AMS, "i=1; a=rsa-sha256; b=AAAA; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; "
                           "d=x.example; s=s; h=from:ARC-Seal");
    assert_false(f->ok);
    assert_non_null(strstr(f->why, "ARC-Seal"));
    ink_arc_field_free(f);
    f = parse(INK_ARC_AMS, "i=1; a=rsa-sha256; b=AAAA; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; "
                           "d=X.Example; s=s; h=from::to");
    assert_true(f->ok);
    assert_string_equal(f->d, "x.example");
    assert_int_equal(f->nh, 3);
    assert_int_equal(f->hcanon, INK_DKIM_CANON_RELAXED); /* no c=: relaxed */
    ink_arc_field_free(f);
    f = parse(INK_ARC_AMS, "i=1; a=rsa-sha1; b=AAAA; bh=AAAA; d=x.example; s=s; h=from");
    assert_false(f->ok);
    assert_non_null(strstr(f->why, "rsa-sha1"));
    ink_arc_field_free(f);
    /* AS: h= refused, cv checked, ";;" refused at its offset */
    f = parse(INK_ARC_AS, "i=1; a=rsa-sha256; b=AAAA; cv=none; d=x.example; s=s; h=from");
    assert_false(f->ok);
    ink_arc_field_free(f);
    f = parse(INK_ARC_AS, "i=1; a=rsa-sha256; b=AAAA; cv=maybe; d=x.example; s=s");
    assert_false(f->ok);
    assert_non_null(strstr(f->why, "cv="));
    ink_arc_field_free(f);
    f = parse(INK_ARC_AS, "i=1; a=rsa-sha256; b=AAAA; cv=none;; d=x.example; s=s");
    assert_false(f->ok);
    assert_int_equal(f->why_off, 35);
    ink_arc_field_free(f);
    f = parse(INK_ARC_AS, "i=2; a=ed25519-sha256; b=AAAA; cv=Pass; d=x.example; s=s; t=5;");
    assert_true(f->ok);
    assert_int_equal(f->cv, INK_ARC_CV_PASS);
    assert_int_equal(f->t, 5);
    ink_arc_field_free(f);
}

/* Keys for the tests: one Ed25519 key, published at s._domainkey.fwd.example */
struct fixture {
    struct ink_dkim_privkey *key;
    struct ink_memzone *z;
    struct ink_resolver *r;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct ink_str pem = INK_STR_INIT, rec = INK_STR_INIT, err = INK_STR_INIT;

    assert_non_null(fx);
    assert_int_equal(ink_dkim_keygen(INK_DKIM_KEY_ED25519, 0, &pem, &rec, &err), 0);
    fx->key = ink_dkim_privkey_parse((const uint8_t *)pem.buf, pem.len, &err);
    assert_non_null(fx->key);
    fx->z = ink_memzone_new();
    assert_int_equal(ink_memzone_add_txt1(fx->z, "s._domainkey.fwd.example", INK_DNS_TXT, 300,
                                          rec.buf, rec.len),
                     0);
    fx->r = ink_resolver_memzone_new(fx->z, 0);
    ink_str_free(&pem);
    ink_str_free(&rec);
    ink_str_free(&err);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    ink_resolver_free(fx->r);
    ink_memzone_free(fx->z);
    ink_dkim_privkey_free(fx->key);
    free(fx);
    return 0;
}

/* seal - msg with one more set on top (replaced in place); the seal's rc */
static int seal(struct fixture *fx, struct ink_str *msg, enum ink_arc_cv cv, const char *results,
                struct ink_str *why)
{
    struct ink_arc_seal_opts o;
    struct ink_arc_seal *s;
    struct ink_str out = INK_STR_INIT;
    int rc;

    memset(&o, 0, sizeof(o));
    o.key = fx->key;
    o.domain = "fwd.example";
    o.selector = "s";
    o.authserv_id = "hop.example";
    o.cv = cv;
    o.results = results;
    o.timestamp = 1700000000;
    s = ink_arc_seal_new(&o, why);
    assert_non_null(s);
    assert_int_equal(ink_arc_seal_push(s, (const uint8_t *)msg->buf, msg->len), 0);
    rc = ink_arc_seal_end(s, "\r\n", &out);
    if (rc < 0)
        ink_str_puts(why, ink_arc_seal_error(s));
    ink_arc_seal_free(s);
    if (rc == 0) {
        assert_int_equal(ink_str_append(&out, msg->buf, msg->len), 0);
        ink_str_free(msg);
        *msg = out;
    } else
        ink_str_free(&out);
    return rc;
}

/* verify - the chain state of msg (and a copy of the result's count/oldest-pass) */
static enum ink_arc_cv verify(struct fixture *fx, const struct ink_str *msg, unsigned *count)
{
    struct ink_arc_verify *v = ink_arc_verify_new(NULL);
    const struct ink_arc_result *res;
    enum ink_arc_cv cv;

    assert_non_null(v);
    assert_int_equal(ink_arc_verify_push(v, (const uint8_t *)msg->buf, msg->len), 0);
    assert_int_equal(ink_arc_verify_end(v), 0);
    assert_int_equal(ink_drive_sync(fx->r, ink_arc_verify_machine(v), NULL), INK_NEXT_DONE);
    res = ink_arc_verify_result(v);
    assert_non_null(res);
    cv = res->cv;
    if (count != NULL)
        *count = res->count;
    ink_arc_verify_free(v);
    return cv;
}

/* test_limit - INK_ARC_INSTANCE_MAX sets verify; one more cannot be sealed */
static void test_limit(void **state)
{
    struct fixture *fx = *state;
    struct ink_str msg = INK_STR_INIT, why = INK_STR_INIT;
    unsigned k, count = 0;

    assert_int_equal(ink_str_puts(&msg, base_msg), 0);
    for (k = 0; k < INK_ARC_INSTANCE_MAX; k++)
        assert_int_equal(seal(fx, &msg, INK_ARC_CV_PASS, NULL, &why), 0);
    assert_int_equal(verify(fx, &msg, &count), INK_ARC_CV_PASS);
    assert_int_equal(count, INK_ARC_INSTANCE_MAX);
    assert_int_equal(seal(fx, &msg, INK_ARC_CV_PASS, NULL, &why), -1);
    assert_non_null(strstr(ink_str_cstr(&why), "50 sets"));
    /* a set numbered past the limit is a failed chain */
    {
        struct ink_str bad = INK_STR_INIT;
        assert_int_equal(ink_str_puts(&bad, "ARC-Authentication-Results: i=51; hop.example; arc=pass\r\n"), 0);
        assert_int_equal(ink_str_append(&bad, msg.buf, msg.len), 0);
        assert_int_equal(verify(fx, &bad, NULL), INK_ARC_CV_FAIL);
        ink_str_free(&bad);
    }
    ink_str_free(&msg);
    ink_str_free(&why);
}

/* test_protocol - key queries all out at once; tokens checked */
static void test_protocol(void **state)
{
    struct fixture *fx = *state;
    struct ink_str msg = INK_STR_INIT, why = INK_STR_INIT;
    struct ink_arc_verify *v;
    struct ink_query q;
    struct ink_dns_answer *a;
    uint32_t tok;

    assert_int_equal(ink_str_puts(&msg, base_msg), 0);
    assert_int_equal(seal(fx, &msg, INK_ARC_CV_NONE, NULL, &why), 0);
    assert_int_equal(seal(fx, &msg, INK_ARC_CV_PASS, NULL, &why), 0);
    v = ink_arc_verify_new(NULL);
    assert_non_null(v);
    /* nothing to ask before the header is complete */
    assert_int_equal(ink_arc_verify_next(v, &q), INK_NEXT_WAIT);
    assert_int_equal(ink_arc_verify_push(v, (const uint8_t *)msg.buf, msg.len), 0);
    /* one key name for all four signatures: asked once */
    assert_int_equal(ink_arc_verify_next(v, &q), INK_NEXT_READY);
    assert_string_equal(q.name, "s._domainkey.fwd.example");
    assert_int_equal(q.type, INK_DNS_TXT);
    tok = q.token;
    assert_int_equal(ink_arc_verify_next(v, &q), INK_NEXT_WAIT);
    assert_int_equal(ink_arc_verify_feed(v, tok + 7, NULL), -1);
    a = ink_memzone_lookup(fx->z, "s._domainkey.fwd.example", INK_DNS_TXT);
    assert_int_equal(ink_arc_verify_feed(v, tok, a), 0);
    assert_int_equal(ink_arc_verify_feed(v, tok, a), -1);
    ink_dns_answer_free(a);
    /* the answers are in but the message has not ended */
    assert_int_equal(ink_arc_verify_next(v, &q), INK_NEXT_WAIT);
    assert_null(ink_arc_verify_result(v));
    assert_int_equal(ink_arc_verify_end(v), 0);
    assert_int_equal(ink_arc_verify_next(v, &q), INK_NEXT_DONE);
    assert_int_equal(ink_arc_verify_result(v)->cv, INK_ARC_CV_PASS);
    assert_int_equal(ink_arc_verify_result(v)->nsets, 2);
    assert_int_equal(ink_arc_verify_result(v)->sets[1].as_result, INK_ARC_SIG_PASS);
    assert_int_equal(ink_arc_verify_next(v, &q), INK_NEXT_DONE);
    ink_arc_verify_free(v);
    ink_str_free(&msg);
    ink_str_free(&why);
}

/* test_failed_chain - sealed with cv=fail, then not continued; given results go to the AAR */
static void test_failed_chain(void **state)
{
    struct fixture *fx = *state;
    struct ink_str msg = INK_STR_INIT, why = INK_STR_INIT;
    const char *body;
    size_t before;

    assert_int_equal(ink_str_puts(&msg, base_msg), 0);
    assert_int_equal(seal(fx, &msg, INK_ARC_CV_NONE, "dmarc=pass header.from=d.example", &why), 0);
    assert_non_null(strstr(msg.buf, "ARC-Authentication-Results: i=1; hop.example; dmarc=pass header.from=d.example\r\n"));
    /* tamper the body: the chain fails; sealing it says cv=fail */
    body = strstr(msg.buf, "\r\n\r\nbody");
    assert_non_null(body);
    msg.buf[body - msg.buf + 4] = 'B';
    assert_int_equal(verify(fx, &msg, NULL), INK_ARC_CV_FAIL);
    assert_int_equal(seal(fx, &msg, INK_ARC_CV_FAIL, NULL, &why), 0);
    assert_non_null(strstr(msg.buf, "cv=fail"));
    assert_int_equal(verify(fx, &msg, NULL), INK_ARC_CV_FAIL);
    before = msg.len;
    assert_int_equal(seal(fx, &msg, INK_ARC_CV_FAIL, NULL, &why), 0);
    assert_int_equal(msg.len, before);
    ink_str_free(&msg);
    ink_str_free(&why);
}

/* ext_sign - an external signer (as the signer process): signs with the
 * fixture's key, counting calls; refuses once *fail is set */
struct ext {
    const struct ink_dkim_privkey *key;
    int calls, fail;
    enum ink_dkim_alg alg_seen;
};
static int ext_sign(void *arg, enum ink_dkim_alg alg, const uint8_t *digest, struct ink_str *sig,
                    struct ink_str *why)
{
    struct ext *e = arg;

    e->calls++;
    e->alg_seen = alg;
    if (e->fail) {
        ink_str_puts(why, "the signer has died");
        return -1;
    }
    return ink_dkim_privkey_sign(e->key, digest, sig);
}

/* seal_ext - as seal(), through ext_sign, the cv given after the message */
static int seal_ext(struct fixture *fx, struct ext *e, const struct ink_str *msg, enum ink_arc_cv cv,
                    struct ink_str *out, struct ink_str *why)
{
    struct ink_arc_seal_opts o;
    struct ink_arc_seal *s;
    int rc;

    memset(&o, 0, sizeof(o));
    o.sign_fn = ext_sign;
    o.sign_arg = e;
    o.alg = INK_DKIM_ALG_ED25519_SHA256;
    o.domain = "fwd.example";
    o.selector = "s";
    o.authserv_id = "hop.example";
    o.timestamp = 1700000000;
    e->key = fx->key;
    s = ink_arc_seal_new(&o, why);
    assert_non_null(s);
    assert_int_equal(ink_arc_seal_push(s, (const uint8_t *)msg->buf, msg->len), 0);
    ink_arc_seal_set_cv(s, cv);
    rc = ink_arc_seal_end(s, "\r\n", out);
    if (rc < 0)
        ink_str_puts(why, ink_arc_seal_error(s));
    ink_arc_seal_free(s);
    return rc;
}

/* test_external - sealing through a callback (the key elsewhere) makes
 * the same bytes as with the key (Ed25519 is deterministic), the cv set
 * after the message counts, and a failing callback is named */
static void test_external(void **state)
{
    struct fixture *fx = *state;
    struct ink_str msg = INK_STR_INIT, ext1 = INK_STR_INIT, why = INK_STR_INIT, m2 = INK_STR_INIT;
    struct ink_arc_seal_opts o;
    struct ext e;
    size_t n0;

    memset(&e, 0, sizeof(e));
    assert_int_equal(ink_str_puts(&msg, base_msg), 0);
    assert_int_equal(seal_ext(fx, &e, &msg, INK_ARC_CV_NONE, &ext1, &why), 0);
    assert_int_equal(e.calls, 2); /* AMS and AS */
    assert_int_equal(e.alg_seen, INK_DKIM_ALG_ED25519_SHA256);
    assert_non_null(strstr(ext1.buf, "a=ed25519-sha256"));
    n0 = msg.len;
    assert_int_equal(seal(fx, &msg, INK_ARC_CV_NONE, NULL, &why), 0);
    assert_int_equal(msg.len - n0, ext1.len);
    assert_memory_equal(msg.buf, ext1.buf, ext1.len);
    assert_int_equal(verify(fx, &msg, NULL), INK_ARC_CV_PASS);
    /* i=2 with the cv known only at the end */
    ink_str_free(&ext1);
    assert_int_equal(seal_ext(fx, &e, &msg, INK_ARC_CV_PASS, &ext1, &why), 0);
    assert_non_null(strstr(ext1.buf, "cv=pass"));
    assert_int_equal(ink_str_append(&m2, ext1.buf, ext1.len), 0);
    assert_int_equal(ink_str_append(&m2, msg.buf, msg.len), 0);
    assert_int_equal(verify(fx, &m2, NULL), INK_ARC_CV_PASS);
    /* a chain with cv left none is refused */
    ink_str_free(&ext1);
    assert_int_equal(seal_ext(fx, &e, &msg, INK_ARC_CV_NONE, &ext1, &why), -1);
    assert_non_null(strstr(ink_str_cstr(&why), "cv must be pass or fail"));
    /* the callback fails: its reason is the seal's */
    ink_str_truncate(&why, 0);
    ink_str_free(&ext1);
    e.fail = 1;
    assert_int_equal(seal_ext(fx, &e, &msg, INK_ARC_CV_PASS, &ext1, &why), -1);
    assert_non_null(strstr(ink_str_cstr(&why), "the signer has died"));
    /* external signing without the algorithm is refused */
    memset(&o, 0, sizeof(o));
    o.sign_fn = ext_sign;
    o.sign_arg = &e;
    o.domain = "fwd.example";
    o.selector = "s";
    o.authserv_id = "hop.example";
    ink_str_truncate(&why, 0);
    assert_null(ink_arc_seal_new(&o, &why));
    assert_non_null(strstr(ink_str_cstr(&why), "algorithm"));
    ink_str_free(&msg);
    ink_str_free(&m2);
    ink_str_free(&ext1);
    ink_str_free(&why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_protocol, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_external, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
