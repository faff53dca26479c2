/*
 * test_dkim_key.c - DKIM key records (RFC 6376 3.6.1, RFC 8463): tags,
 * defaults, revocation, malformed records with offsets, unusable keys;
 * private keys, keygen round trips and the zone-file line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "inkan/dkim_key.h"

/* RFC 8463 Appendix A.2 */
#define ED_RFC8463 "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

static struct ink_dkim_key *parse(const char *s)
{
    struct ink_dkim_key *k = ink_dkim_key_parse((const uint8_t *)s, strlen(s));

    assert_non_null(k);
    return k;
}

static void test_ed25519_rfc8463(void **state)
{
    struct ink_dkim_key *k = parse(ED_RFC8463);

    (void)state;
    assert_int_equal(k->status, INK_DKIM_KEY_OK);
    assert_int_equal(k->type, INK_DKIM_KEY_ED25519);
    assert_int_equal(k->bits, 256);
    assert_int_equal(k->data_len, 32);
    assert_int_equal(k->hashes, INK_DKIM_HASH_ALL);
    assert_true(k->service_email);
    assert_true(k->has_v);
    assert_non_null(k->pkey);
    assert_int_equal(k->nwarn, 0);
    ink_dkim_key_free(k);
}

static void test_revoked(void **state)
{
    struct ink_dkim_key *k = parse("v=DKIM1; k=rsa; p=");

    (void)state;
    assert_int_equal(k->status, INK_DKIM_KEY_REVOKED);
    assert_null(k->pkey);
    assert_non_null(strstr(k->reason, "revoked"));
    ink_dkim_key_free(k);
    k = parse("p= ;");
    assert_int_equal(k->status, INK_DKIM_KEY_REVOKED);
    ink_dkim_key_free(k);
}

static void test_malformed(void **state)
{
    struct ink_dkim_key *k;

    (void)state;
    /* v= not first */
    k = parse("k=ed25519; v=DKIM1; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    assert_int_equal(k->status, INK_DKIM_KEY_MALFORMED);
    assert_int_equal(k->reason_off, 11);
    ink_dkim_key_free(k);
    /* wrong version */
    k = parse("v=DKIM2; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    assert_int_equal(k->status, INK_DKIM_KEY_MALFORMED);
    assert_non_null(strstr(k->reason, "DKIM2"));
    ink_dkim_key_free(k);
    /* duplicate tag */
    k = parse("k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=; p=");
    assert_int_equal(k->status, INK_DKIM_KEY_MALFORMED);
    assert_non_null(strstr(k->reason, "twice"));
    assert_int_equal(k->reason_off, 59);
    ink_dkim_key_free(k);
    /* bad base64: offset of the bad byte */
    k = parse("k=ed25519; p=11qYAYKx$rfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    assert_int_equal(k->status, INK_DKIM_KEY_MALFORMED);
    assert_int_equal(k->reason_off, 21);
    ink_dkim_key_free(k);
    /* no p= */
    k = parse("v=DKIM1; k=rsa");
    assert_int_equal(k->status, INK_DKIM_KEY_MALFORMED);
    assert_non_null(strstr(k->reason, "p="));
    ink_dkim_key_free(k);
    /* a tag without '=' */
    k = parse("v=DKIM1; k rsa; p=");
    assert_int_equal(k->status, INK_DKIM_KEY_MALFORMED);
    assert_int_equal(k->reason_off, 11);
    ink_dkim_key_free(k);
    /* tag name starting with a digit */
    k = parse("v=DKIM1; 1k=rsa; p=");
    assert_int_equal(k->status, INK_DKIM_KEY_MALFORMED);
    assert_int_equal(k->reason_off, 9);
    ink_dkim_key_free(k);
    /* not a key record at all */
    k = parse("v=spf1 -all");
    assert_int_equal(k->status, INK_DKIM_KEY_MALFORMED);
    ink_dkim_key_free(k);
}

static void test_unusable(void **state)
{
    struct ink_dkim_key *k;

    (void)state;
    k = parse("v=DKIM1; k=dsa; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    assert_int_equal(k->status, INK_DKIM_KEY_UNUSABLE);
    assert_int_equal(k->type, INK_DKIM_KEY_UNKNOWN);
    assert_string_equal(k->type_name, "dsa");
    ink_dkim_key_free(k);
    k = parse("v=DKIM1; k=ed25519; h=sha1; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    assert_int_equal(k->status, INK_DKIM_KEY_UNUSABLE);
    assert_int_equal(k->hashes, INK_DKIM_HASH_SHA1);
    ink_dkim_key_free(k);
    k = parse("v=DKIM1; k=ed25519; s=web; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    assert_int_equal(k->status, INK_DKIM_KEY_UNUSABLE);
    assert_false(k->service_email);
    ink_dkim_key_free(k);
    /* 31 bytes is not an Ed25519 key */
    k = parse("k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUQ==");
    assert_int_equal(k->status, INK_DKIM_KEY_UNUSABLE);
    ink_dkim_key_free(k);
    /* an Ed25519 key is not DER RSA */
    k = parse("k=rsa; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    assert_int_equal(k->status, INK_DKIM_KEY_UNUSABLE);
    assert_non_null(strstr(k->reason, "DER"));
    ink_dkim_key_free(k);
}

static void test_tags_and_flags(void **state)
{
    struct ink_dkim_key *k;

    (void)state;
    k = parse("v=DKIM1;\tk=ed25519 ; h = sha1 : sha256 ; s=email:*; t=y:s:x; n=hello world; "
              "zz=unknown; p=11qYAYKxCrfVS/7TyWQH\r\n Og7hcvPapiMlrwIaaPcHURo= ;");
    assert_int_equal(k->status, INK_DKIM_KEY_OK);
    assert_int_equal(k->hashes, INK_DKIM_HASH_ALL);
    assert_int_equal(k->flags, INK_DKIM_FLAG_TESTING | INK_DKIM_FLAG_STRICT);
    assert_string_equal(k->notes, "hello world");
    assert_int_equal(k->nwarn, 2); /* unknown flag x, unknown tag zz */
    assert_non_null(strstr(k->warn[0].msg, "'x'"));
    assert_non_null(strstr(k->warn[1].msg, "zz"));
    ink_dkim_key_free(k);
    /* no v=, no k=: RSA is the default */
    k = parse("p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    assert_int_equal(k->type, INK_DKIM_KEY_RSA);
    assert_false(k->has_v);
    ink_dkim_key_free(k);
}

/* pubkey_record - "v=DKIM1; p=<SPKI or PKCS#1>" for an RSA key */
static char *rsa_record(EVP_PKEY *pk, int pkcs1)
{
    unsigned char *der = NULL;
    int n = pkcs1 ? i2d_PublicKey(pk, &der) : i2d_PUBKEY(pk, &der);
    char *out = malloc((size_t)n * 2 + 32);

    assert_true(n > 0);
    strcpy(out, "v=DKIM1; p=");
    EVP_EncodeBlock((unsigned char *)out + strlen(out), der, n);
    OPENSSL_free(der);
    return out;
}

static void test_rsa_forms_and_sizes(void **state)
{
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)512);
    struct ink_dkim_key *k;
    char *rec;

    (void)state;
    assert_non_null(pk);
    assert_non_null(small);
    rec = rsa_record(pk, 0);
    k = parse(rec);
    assert_int_equal(k->status, INK_DKIM_KEY_OK);
    assert_int_equal(k->bits, 1024);
    assert_int_equal(EVP_PKEY_eq(k->pkey, pk), 1);
    assert_int_equal(k->nwarn, 1); /* 2048 recommended */
    ink_dkim_key_free(k);
    free(rec);
    rec = rsa_record(pk, 1); /* bare RSAPublicKey */
    k = parse(rec);
    assert_int_equal(k->status, INK_DKIM_KEY_OK);
    assert_int_equal(EVP_PKEY_eq(k->pkey, pk), 1);
    ink_dkim_key_free(k);
    free(rec);
    rec = rsa_record(small, 0);
    k = parse(rec);
    assert_int_equal(k->status, INK_DKIM_KEY_OK);
    assert_int_equal(k->bits, 512);
    assert_non_null(strstr(k->warn[0].msg, "RFC 8301"));
    ink_dkim_key_free(k);
    free(rec);
    EVP_PKEY_free(pk);
    EVP_PKEY_free(small);
}

static void test_keygen_roundtrip(void **state)
{
    static const enum ink_dkim_keytype types[] = {INK_DKIM_KEY_RSA, INK_DKIM_KEY_ED25519};
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        struct ink_str pem = INK_STR_INIT, rec = INK_STR_INIT, err = INK_STR_INIT;
        struct ink_str pem2 = INK_STR_INIT, rec2 = INK_STR_INIT, why = INK_STR_INIT;
        struct ink_dkim_privkey *pk;
        struct ink_dkim_key *k, *k2;

        assert_int_equal(ink_dkim_keygen(types[i], 0, &pem, &rec, &err), 0);
        assert_non_null(strstr(ink_str_cstr(&pem), "-----BEGIN PRIVATE KEY-----"));
        pk = ink_dkim_privkey_parse((const uint8_t *)pem.buf, pem.len, &err);
        assert_non_null(pk);
        assert_int_equal(ink_dkim_privkey_type(pk), types[i]);
        assert_int_equal(ink_dkim_privkey_bits(pk), i == 0 ? 2048 : 256);
        k = ink_dkim_key_parse((const uint8_t *)rec.buf, rec.len);
        assert_int_equal(k->status, INK_DKIM_KEY_OK);
        assert_int_equal(k->type, types[i]);
        assert_int_equal(ink_dkim_privkey_matches(pk, k, &why), 1);
        /* another key of the same type does not match, and says so */
        assert_int_equal(ink_dkim_keygen(types[i], 0, &pem2, &rec2, &err), 0);
        k2 = ink_dkim_key_parse((const uint8_t *)rec2.buf, rec2.len);
        assert_int_equal(ink_dkim_privkey_matches(pk, k2, &why), 0);
        assert_non_null(strstr(ink_str_cstr(&why), "different"));
        ink_dkim_key_free(k);
        ink_dkim_key_free(k2);
        ink_dkim_privkey_free(pk);
        ink_str_free(&pem);
        ink_str_free(&rec);
        ink_str_free(&pem2);
        ink_str_free(&rec2);
        ink_str_free(&err);
        ink_str_free(&why);
    }
}

static void test_privkey_errors(void **state)
{
    struct ink_str err = INK_STR_INIT, pem = INK_STR_INIT, rec = INK_STR_INIT;
    struct ink_dkim_privkey *pk;

    (void)state;
    pk = ink_dkim_privkey_parse((const uint8_t *)"not a key", 9, &err);
    assert_null(pk);
    assert_non_null(strstr(ink_str_cstr(&err), "PEM"));
    ink_str_truncate(&err, 0);
    assert_int_equal(ink_dkim_keygen(INK_DKIM_KEY_RSA, 512, &pem, &rec, &err), -1);
    assert_non_null(strstr(ink_str_cstr(&err), "1024"));
    ink_str_free(&err);
    ink_str_free(&pem);
    ink_str_free(&rec);
}

static void test_zone_line(void **state)
{
    struct ink_str out = INK_STR_INIT;
    char text[600];
    const char *p;
    size_t nq = 0;

    (void)state;
    memset(text, 'A', sizeof(text));
    text[0] = '"';
    text[1] = '\\';
    assert_int_equal(ink_dkim_txt_zone_line("s._domainkey.example.com", 0, (uint8_t *)text,
                                            sizeof(text), &out), 0);
    p = ink_str_cstr(&out);
    assert_memory_equal(p, "s._domainkey.example.com. 3600 IN TXT \"\\\"\\\\AAA", 46);
    for (; *p; p++)
        if (*p == '"' && p[-1] != '\\')
            nq++;
    assert_int_equal(nq, 6); /* 255 + 255 + 90 bytes: three strings */
    assert_int_equal(out.buf[out.len - 1], '\n');
    ink_str_free(&out);
}

static void test_key_name(void **state)
{
    char out[256];

    (void)state;
    assert_int_equal(ink_dkim_key_name("Sel", "Example.COM.", out, sizeof(out)), 26);
    assert_string_equal(out, "sel._domainkey.example.com");
    assert_int_equal(ink_dkim_key_name("", "example.com", out, sizeof(out)), -1);
    assert_int_equal(ink_dkim_key_name("a..b", "example.com", out, sizeof(out)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ed25519_rfc8463), cmocka_unit_test(test_revoked),
        cmocka_unit_test(test_malformed),       cmocka_unit_test(test_unusable),
        cmocka_unit_test(test_tags_and_flags),  cmocka_unit_test(test_rsa_forms_and_sizes),
        cmocka_unit_test(test_keygen_roundtrip), cmocka_unit_test(test_privkey_errors),
        cmocka_unit_test(test_zone_line),       cmocka_unit_test(test_key_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
