/*
 * test_dkim.c - DKIM verification and signing in-process, DNS from an
 * in-memory zone: the RFC 6376 Appendix A and RFC 8463 Appendix A
 * examples with the keys printed in the RFCs, sign -> verify round trips
 * (RSA and Ed25519, every canonicalization, any chunking), and each
 * failure with its result word and reason: tampering, expiry, revoked
 * and missing keys, DNS failures, t=y, t=s, rsa-sha1, short RSA keys,
 * l=.
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

#include "inkan/dkim.h"
#include "inkan/mailhdr.h"
#include "inkan/memzone.h"
#include "inkan/query.h"

/* ---- the RFC examples (LF line ends here; the verifier normalises) ---- */

/* RFC 6376 Appendix A.2, continuation lines as in the RFC text */
static const char rfc6376_msg[] =
    "DKIM-Signature: v=1; a=rsa-sha256; s=brisbane; d=example.com;\n"
    "      c=simple/simple; q=dns/txt; i=joe@football.example.com;\n"
    "      h=Received : From : To : Subject : Date : Message-ID;\n"
    "      bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n"
    "      b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB\n"
    "        4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut\n"
    "        KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV\n"
    "        4bmp/YzhwvcubU4=;\n"
    "Received: from client1.football.example.com  [192.0.2.1]\n"
    "      by submitserver.example.com with SUBMISSION;\n"
    "      Fri, 11 Jul 2003 21:01:54 -0700 (PDT)\n"
    "From: Joe SixPack <joe@football.example.com>\n"
    "To: Suzie Q <suzie@shopping.example.net>\n"
    "Subject: Is dinner ready?\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\n"
    "\n"
    "Hi.\n"
    "\n"
    "We lost the game. Are you hungry yet?\n"
    "\n"
    "Joe.\n";

/* RFC 6376 Appendix A.3 */
static const char rfc6376_key[] = "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQ"
                                  "KBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYt"
                                  "IxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v"
                                  "/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhi"
                                  "tdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB";

/* RFC 8463 Appendix A.3: the same message signed with both keys */
static const char rfc8463_msg[] =
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
    "   d=football.example.com; i=@football.example.com;\r\n"
    "   q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
    "   subject : date : message-id : from : subject : date;\r\n"
    "   bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    "   b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
    "   Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
    "   d=football.example.com; i=@football.example.com;\r\n"
    "   q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
    "   date : message-id : from : subject : date;\r\n"
    "   bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    "   b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
    "   DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
    "   dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";

/* RFC 8463 Appendix A.2 */
static const char rfc8463_ed_key[] = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
static const char rfc8463_rsa_key[] = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
                                      "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
                                      "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
                                      "Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

/* ---- driving a verification ---- */

static struct ink_memzone *zone;
/* the key cache verify() gives its verifiers (NULL: none) */
static struct ink_dkim_keycache *verify_cache;

static void add_key(const char *name, const char *rec)
{
    const char *p = rec;
    size_t len = strlen(rec), n = 0;
    const uint8_t *strs[16];
    size_t lens[16];

    /* split into 255-byte strings as DNS would carry them */
    while (len > 0) {
        size_t k = len > 255 ? 255 : len;
        strs[n] = (const uint8_t *)p;
        lens[n++] = k;
        p += k;
        len -= k;
    }
    assert_int_equal(ink_memzone_add_txt(zone, name, INK_DNS_TXT, 300, n, strs, lens), 0);
}

/* verify - verify msg in chunks of step bytes; answers from zone (or
 * from override when not NULL); returns the finished verifier */
static struct ink_dkim_verify *verify(const char *msg, size_t len, size_t step, uint64_t now,
                                      const struct ink_dns_answer *override)
{
    struct ink_dkim_verify_opts o = {0};
    struct ink_dkim_verify *v;
    size_t off = 0;
    struct ink_query q;

    o.now = now;
    o.flags = INK_DKIM_VERIFY_LF_TO_CRLF;
    o.cache = verify_cache;
    v = ink_dkim_verify_new(&o);
    assert_non_null(v);
    if (step == 0)
        step = len;
    while (off < len) {
        size_t n = len - off < step ? len - off : step;
        assert_int_equal(ink_dkim_verify_push(v, (const uint8_t *)msg + off, n), 0);
        off += n;
        /* answer queries as soon as they appear, before the body is in */
        while (ink_dkim_verify_next(v, &q) == INK_NEXT_READY) {
            assert_int_equal(q.type, INK_DNS_TXT);
            if (override != NULL) {
                struct ink_dns_answer *a = ink_dns_answer_dup(override);
                free(a->qname);
                a->qname = strdup(q.name);
                assert_int_equal(ink_dkim_verify_feed(v, q.token, a), 0);
                ink_dns_answer_free(a);
            } else {
                struct ink_dns_answer *a = ink_memzone_lookup(zone, q.name, INK_DNS_TXT);
                assert_int_equal(ink_dkim_verify_feed(v, q.token, a), 0);
                ink_dns_answer_free(a);
            }
        }
        /* every query is answered at once and end() is still to come:
         * WAIT means "nothing to ask until more input" */
        assert_int_equal(ink_dkim_verify_next(v, &q), INK_NEXT_WAIT);
    }
    assert_int_equal(ink_dkim_verify_end(v), 0);
    while (ink_dkim_verify_next(v, &q) == INK_NEXT_READY) {
        struct ink_dns_answer *a = ink_memzone_lookup(zone, q.name, INK_DNS_TXT);
        assert_int_equal(ink_dkim_verify_feed(v, q.token, a), 0);
        ink_dns_answer_free(a);
    }
    assert_int_equal(ink_dkim_verify_next(v, &q), INK_NEXT_DONE);
    return v;
}

static void expect(struct ink_dkim_verify *v, size_t i, enum ink_dkim_result_code code,
                   const char *reason_part)
{
    const struct ink_dkim_result *r = ink_dkim_verify_result(v, i);

    assert_non_null(r);
    if (r->code != code || (reason_part != NULL && strstr(r->reason, reason_part) == NULL))
        fail_msg("signature %zu: %s (%s), wanted %s (%s)", i, ink_dkim_result_name(r->code),
                 r->reason, ink_dkim_result_name(code), reason_part ? reason_part : "");
}

static int setup(void **state)
{
    (void)state;
    zone = ink_memzone_new();
    add_key("brisbane._domainkey.example.com", rfc6376_key);
    add_key("brisbane._domainkey.football.example.com", rfc8463_ed_key);
    add_key("test._domainkey.football.example.com", rfc8463_rsa_key);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ink_memzone_free(zone);
    return 0;
}

static void test_rfc6376_appendix_a(void **state)
{
    size_t steps[] = {0, 1, 3, 64, 777};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct ink_dkim_verify *v = verify(rfc6376_msg, strlen(rfc6376_msg), steps[i], 1700000000, NULL);
        const struct ink_dkim_result *r;
        assert_int_equal(ink_dkim_verify_count(v), 1);
        expect(v, 0, INK_DKIM_PASS, NULL);
        r = ink_dkim_verify_result(v, 0);
        assert_string_equal(r->d, "example.com");
        assert_string_equal(r->s, "brisbane");
        assert_int_equal(r->key_bits, 1024);
        assert_int_equal(r->body_hash_ok, 1);
        assert_int_equal(r->header_sig_ok, 1);
        assert_string_equal(r->body_hash, "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
        assert_string_equal(r->key_name, "brisbane._domainkey.example.com");
        ink_dkim_verify_free(v);
    }
}

/* counters of the key cache's lock hooks */
struct lock_count {
    int locks, unlocks, held;
};

static void count_lock(void *arg)
{
    struct lock_count *l = arg;

    assert_int_equal(l->held, 0); /* never taken twice */
    l->held = 1;
    l->locks++;
}

static void count_unlock(void *arg)
{
    struct lock_count *l = arg;

    assert_int_equal(l->held, 1);
    l->held = 0;
    l->unlocks++;
}

/* a shared key cache (a milter's): a key lent to a verifier that is still
 * alive survives the cache filling up with other keys (a full cache drops
 * only the keys nobody holds), every use goes through the caller's lock,
 * and verifications through it give the same results */
static void test_keycache_held_key_survives(void **state)
{
    struct ink_dkim_keycache *c = ink_dkim_keycache_new();
    struct lock_count l = {0, 0, 0};
    struct ink_dkim_verify *held, *v;
    size_t i, n;
    char rec[512];

    (void)state;
    assert_non_null(c);
    ink_dkim_keycache_set_lock(c, count_lock, count_unlock, &l);
    verify_cache = c;
    held = verify(rfc6376_msg, strlen(rfc6376_msg), 0, 1700000000, NULL);
    expect(held, 0, INK_DKIM_PASS, NULL);
    assert_int_equal(ink_dkim_keycache_count(c), 1);
    /* the same key again: from the cache, no second entry */
    v = verify(rfc6376_msg, strlen(rfc6376_msg), 0, 1700000000, NULL);
    expect(v, 0, INK_DKIM_PASS, NULL);
    ink_dkim_verify_free(v);
    assert_int_equal(ink_dkim_keycache_count(c), 1);
    /* more distinct key records (the same key, a different n= note) than
     * the cache holds, each verifier freed at once */
    for (i = 0; i < INK_DKIM_KEYCACHE_MAX + 10; i++) {
        struct ink_memzone *kz = ink_memzone_new();
        struct ink_dns_answer *a;
        const uint8_t *str[4];
        size_t len[4], k = 0, off = 0, rl;

        snprintf(rec, sizeof(rec), "%s; n=note%zu", rfc6376_key, i);
        rl = strlen(rec);
        while (off < rl) {
            len[k] = rl - off > 255 ? 255 : rl - off;
            str[k++] = (const uint8_t *)rec + off;
            off += len[k - 1];
        }
        assert_non_null(kz);
        assert_int_equal(ink_memzone_add_txt(kz, "brisbane._domainkey.example.com", INK_DNS_TXT,
                                             300, k, str, len),
                         0);
        a = ink_memzone_lookup(kz, "brisbane._domainkey.example.com", INK_DNS_TXT);
        assert_non_null(a);
        v = verify(rfc6376_msg, strlen(rfc6376_msg), 0, 1700000000, a);
        expect(v, 0, INK_DKIM_PASS, NULL);
        ink_dkim_verify_free(v);
        ink_dns_answer_free(a);
        ink_memzone_free(kz);
        assert_true(ink_dkim_keycache_count(c) <= INK_DKIM_KEYCACHE_MAX);
    }
    /* the held verifier's key is still cached: the original record is a
     * hit (a dropped entry would come back as a new one) */
    n = ink_dkim_keycache_count(c);
    assert_true(n < INK_DKIM_KEYCACHE_MAX);
    v = verify(rfc6376_msg, strlen(rfc6376_msg), 0, 1700000000, NULL);
    expect(v, 0, INK_DKIM_PASS, NULL);
    assert_int_equal(ink_dkim_keycache_count(c), n);
    ink_dkim_verify_free(v);
    expect(held, 0, INK_DKIM_PASS, NULL);
    ink_dkim_verify_free(held);
    verify_cache = NULL;
    assert_true(l.locks > 0);
    assert_int_equal(l.locks, l.unlocks);
    ink_dkim_keycache_free(c);
}

static void test_rfc8463_appendix_a(void **state)
{
    size_t steps[] = {0, 1, 5, 100};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct ink_dkim_verify *v = verify(rfc8463_msg, strlen(rfc8463_msg), steps[i], 1700000000, NULL);
        assert_int_equal(ink_dkim_verify_count(v), 2);
        expect(v, 0, INK_DKIM_PASS, NULL);
        expect(v, 1, INK_DKIM_PASS, NULL);
        assert_int_equal(ink_dkim_verify_result(v, 0)->key_type, INK_DKIM_KEY_ED25519);
        assert_string_equal(ink_dkim_verify_result(v, 0)->alg, "ed25519-sha256");
        assert_int_equal(ink_dkim_verify_result(v, 1)->key_type, INK_DKIM_KEY_RSA);
        ink_dkim_verify_free(v);
    }
}

/* replace - copy of s with the first `from` replaced by `to` */
static char *replace(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    char *out;

    assert_non_null(p);
    out = malloc(strlen(s) + strlen(to) + 1);
    memcpy(out, s, (size_t)(p - s));
    strcpy(out + (p - s), to);
    strcat(out, p + strlen(from));
    return out;
}

static void test_rfc_tampered(void **state)
{
    struct ink_dkim_verify *v;
    char *m;

    (void)state;
    /* a changed body byte */
    m = replace(rfc8463_msg, "We lost", "We won ");
    v = verify(m, strlen(m), 0, 0, NULL);
    expect(v, 0, INK_DKIM_FAIL, "body hash did not verify");
    expect(v, 1, INK_DKIM_FAIL, "body hash did not verify");
    assert_int_equal(ink_dkim_verify_result(v, 0)->header_sig_ok, 1);
    ink_dkim_verify_free(v);
    free(m);
    /* a changed signed header */
    m = replace(rfc8463_msg, "Is dinner ready?", "Is lunch ready?");
    v = verify(m, strlen(m), 0, 0, NULL);
    expect(v, 0, INK_DKIM_FAIL, "signature did not verify");
    assert_int_equal(ink_dkim_verify_result(v, 0)->body_hash_ok, 1);
    ink_dkim_verify_free(v);
    free(m);
    /* an added From is caught by the over-signed from in h= */
    m = replace(rfc8463_msg, "From: Joe", "From: Eve <eve@evil.example>\r\nFrom: Joe");
    v = verify(m, strlen(m), 0, 0, NULL);
    expect(v, 0, INK_DKIM_FAIL, "signature did not verify");
    ink_dkim_verify_free(v);
    free(m);
    /* a removed signed header (To) */
    m = replace(rfc8463_msg, "To: Suzie Q <suzie@shopping.example.net>\r\n", "");
    v = verify(m, strlen(m), 0, 0, NULL);
    expect(v, 1, INK_DKIM_FAIL, "signature did not verify");
    ink_dkim_verify_free(v);
    free(m);
    /* an unsigned header added: still passes */
    m = replace(rfc8463_msg, "From: Joe", "X-Mailer: added\r\nFrom: Joe");
    v = verify(m, strlen(m), 0, 0, NULL);
    expect(v, 0, INK_DKIM_PASS, NULL);
    ink_dkim_verify_free(v);
    free(m);
}

static void test_unsigned(void **state)
{
    const char *m = "From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n";
    struct ink_dkim_verify *v;

    (void)state;
    v = verify(m, strlen(m), 0, 0, NULL);
    assert_int_equal(ink_dkim_verify_count(v), 0);
    ink_dkim_verify_free(v);
}

static void test_dns_failures(void **state)
{
    struct ink_dns_answer *a;
    struct ink_dkim_verify *v;
    char *m;

    (void)state;
    /* no key published */
    m = replace(rfc8463_msg, "s=brisbane", "s=nokey");
    v = verify(m, strlen(m), 0, 0, NULL);
    expect(v, 0, INK_DKIM_PERMERROR, "no key record at nokey._domainkey.football.example.com");
    expect(v, 1, INK_DKIM_PASS, NULL);
    assert_int_equal(ink_dkim_verify_result(v, 0)->dns_status, INK_DNS_NXDOMAIN);
    ink_dkim_verify_free(v);
    free(m);
    /* time out */
    a = ink_dns_answer_new("x", INK_DNS_TXT, INK_DNS_TIMEOUT);
    v = verify(rfc8463_msg, strlen(rfc8463_msg), 0, 0, a);
    expect(v, 0, INK_DKIM_TEMPERROR, "TIMEOUT");
    ink_dkim_verify_free(v);
    ink_dns_answer_free(a);
    /* DNSSEC bogus */
    a = ink_memzone_lookup(zone, "brisbane._domainkey.football.example.com", INK_DNS_TXT);
    a->dnssec = INK_DNSSEC_BOGUS;
    v = verify(rfc8463_msg, strlen(rfc8463_msg), 0, 0, a);
    expect(v, 0, INK_DKIM_TEMPERROR, "DNSSEC");
    ink_dkim_verify_free(v);
    /* DNSSEC secure is reported */
    a->dnssec = INK_DNSSEC_SECURE;
    v = verify(rfc8463_msg, strlen(rfc8463_msg), 0, 0, a);
    expect(v, 0, INK_DKIM_PASS, NULL);
    assert_int_equal(ink_dkim_verify_result(v, 0)->dnssec, INK_DNSSEC_SECURE);
    ink_dkim_verify_free(v);
    ink_dns_answer_free(a);
}

/* take_two - push rfc8463_msg whole and take its two key queries (both
 * out at once: one per key name) */
static struct ink_dkim_verify *take_two(struct ink_query qs[2])
{
    struct ink_dkim_verify *v = ink_dkim_verify_new(NULL);
    struct ink_query q;
    size_t half = strlen(rfc8463_msg) / 8;

    assert_non_null(v);
    /* nothing to ask before the header is complete */
    assert_int_equal(ink_dkim_verify_next(v, &q), INK_NEXT_WAIT);
    assert_int_equal(ink_dkim_verify_push(v, (const uint8_t *)rfc8463_msg, half), 0);
    assert_int_equal(ink_dkim_verify_next(v, &q), INK_NEXT_WAIT);
    assert_int_equal(ink_dkim_verify_push(v, (const uint8_t *)rfc8463_msg + half,
                                          strlen(rfc8463_msg) - half),
                     0);
    assert_int_equal(ink_dkim_verify_next(v, &qs[0]), INK_NEXT_READY);
    assert_int_equal(ink_dkim_verify_next(v, &qs[1]), INK_NEXT_READY);
    assert_int_equal(qs[0].type, INK_DNS_TXT);
    assert_int_equal(qs[1].type, INK_DNS_TXT);
    assert_string_equal(qs[0].name, "brisbane._domainkey.football.example.com");
    assert_string_equal(qs[1].name, "test._domainkey.football.example.com");
    assert_int_not_equal(qs[0].token, qs[1].token);
    /* both out, end() not called: nothing to ask */
    assert_int_equal(ink_dkim_verify_next(v, &q), INK_NEXT_WAIT);
    return v;
}

/* The query protocol (inkan/query.h): several keys out at once, WAIT
 * before the header and before end(), NULL and misfit answers are a
 * temperror of that key (a NULL answer used to be dereferenced), unknown
 * and stale tokens are refused without a change. */
static void test_query_protocol(void **state)
{
    struct ink_query qs[2], q;
    struct ink_dkim_verify *v;
    struct ink_dns_answer *a;

    (void)state;
    /* NULL for one key, a TXT answer for another name for the other */
    v = take_two(qs);
    assert_int_equal(ink_dkim_verify_feed(v, 0, NULL), -1);
    assert_int_equal(ink_dkim_verify_feed(v, qs[0].token + qs[1].token + 7, NULL), -1);
    assert_int_equal(ink_dkim_verify_feed(v, qs[0].token, NULL), 0);
    assert_int_equal(ink_dkim_verify_feed(v, qs[0].token, NULL), -1); /* stale */
    a = ink_memzone_lookup(zone, "brisbane._domainkey.football.example.com", INK_DNS_TXT);
    assert_int_equal(ink_dkim_verify_feed(v, qs[1].token, a), 0);
    ink_dns_answer_free(a);
    /* every answer is in, but the message has not ended */
    assert_int_equal(ink_dkim_verify_next(v, &q), INK_NEXT_WAIT);
    assert_int_equal(ink_dkim_verify_end(v), 0);
    assert_int_equal(ink_dkim_verify_next(v, &q), INK_NEXT_DONE);
    assert_int_equal(ink_dkim_verify_next(v, &q), INK_NEXT_DONE);
    expect(v, 0, INK_DKIM_TEMPERROR, "no answer");
    expect(v, 1, INK_DKIM_TEMPERROR, "not the question asked");
    assert_int_equal(ink_dkim_verify_feed(v, qs[1].token, NULL), -1); /* after DONE */
    ink_dkim_verify_free(v);

    /* the right name but the wrong type; then the real key for the other */
    v = take_two(qs);
    a = ink_memzone_lookup(zone, "brisbane._domainkey.football.example.com", INK_DNS_TXT);
    a->qtype = INK_DNS_A;
    assert_int_equal(ink_dkim_verify_feed(v, qs[0].token, a), 0);
    ink_dns_answer_free(a);
    a = ink_memzone_lookup(zone, qs[1].name, INK_DNS_TXT);
    assert_int_equal(ink_dkim_verify_feed(v, qs[1].token, a), 0);
    ink_dns_answer_free(a);
    assert_int_equal(ink_dkim_verify_end(v), 0);
    assert_int_equal(ink_dkim_verify_next(v, &q), INK_NEXT_DONE);
    expect(v, 0, INK_DKIM_TEMPERROR, "not the question asked");
    assert_int_equal(ink_dkim_verify_result(v, 0)->dns_status, INK_DNS_SERVFAIL);
    expect(v, 1, INK_DKIM_PASS, NULL);
    ink_dkim_verify_free(v);

    /* a header over the limit: push fails and the machine is FAILED */
    {
        struct ink_dkim_verify *w = ink_dkim_verify_new(NULL);
        size_t n = INK_MAILHDR_SIZE_MAX + 16, i;
        uint8_t *big = malloc(n);
        assert_non_null(w);
        assert_non_null(big);
        memcpy(big, "X-Big: ", 7);
        for (i = 7; i < n; i++)
            big[i] = 'x';
        assert_int_equal(ink_dkim_verify_push(w, big, n), -1);
        assert_int_equal(ink_dkim_verify_next(w, &q), INK_NEXT_FAILED);
        assert_int_equal(ink_dkim_verify_feed(w, 1, NULL), -1);
        free(big);
        ink_dkim_verify_free(w);
    }

    /* through the machine table */
    v = take_two(qs);
    {
        struct ink_machine m = ink_dkim_verify_machine(v);
        assert_string_equal(m.ops->kind, "dkim");
        assert_int_equal(ink_machine_feed(m, qs[0].token, NULL), 0);
        assert_int_equal(ink_machine_feed(m, qs[1].token, NULL), 0);
        assert_int_equal(ink_dkim_verify_end(v), 0);
        assert_int_equal(ink_machine_next(m, &q), INK_NEXT_DONE);
    }
    expect(v, 0, INK_DKIM_TEMPERROR, NULL);
    expect(v, 1, INK_DKIM_TEMPERROR, NULL);
    ink_dkim_verify_free(v);
}

/* with_key - verify rfc8463_msg with the brisbane key replaced by rec */
static struct ink_dkim_verify *with_key(const char *rec)
{
    struct ink_dns_answer *a = ink_dns_answer_new("x", INK_DNS_TXT, INK_DNS_OK);
    const uint8_t *s = (const uint8_t *)rec;
    size_t l = strlen(rec);
    struct ink_dkim_verify *v;

    assert_int_equal(ink_dns_answer_add_txt(a, "x", INK_DNS_TXT, 60, 1, &s, &l), 0);
    v = verify(rfc8463_msg, strlen(rfc8463_msg), 0, 0, a);
    ink_dns_answer_free(a);
    return v;
}

static void test_key_problems(void **state)
{
    struct ink_dkim_verify *v;

    (void)state;
    v = with_key("v=DKIM1; k=ed25519; p=");
    expect(v, 0, INK_DKIM_PERMERROR, "revoked");
    ink_dkim_verify_free(v);
    v = with_key("v=DKIM1; k=ed25519; p=!!");
    expect(v, 0, INK_DKIM_PERMERROR, "malformed");
    ink_dkim_verify_free(v);
    v = with_key(rfc8463_rsa_key); /* an RSA key for an ed25519 signature */
    expect(v, 0, INK_DKIM_PERMERROR, "the key is rsa but a=ed25519-sha256");
    ink_dkim_verify_free(v);
    /* the other Ed25519 key: the signature does not verify */
    v = with_key("v=DKIM1; k=ed25519; p=YIpWotY6v6Xr/LlpNTpgJTVDbrFfdrGDeMDyZyowCsA=");
    expect(v, 0, INK_DKIM_FAIL, "signature did not verify");
    ink_dkim_verify_free(v);
    /* ... unless the key is in testing mode */
    v = with_key("v=DKIM1; k=ed25519; t=y; p=YIpWotY6v6Xr/LlpNTpgJTVDbrFfdrGDeMDyZyowCsA=");
    expect(v, 0, INK_DKIM_NEUTRAL, "t=y");
    ink_dkim_verify_free(v);
    /* t=s with i= equal to d= is fine */
    v = with_key("v=DKIM1; k=ed25519; t=s; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    expect(v, 0, INK_DKIM_PASS, NULL);
    ink_dkim_verify_free(v);
    /* two records at the name: the one that fits is used */
    {
        struct ink_dns_answer *a = ink_dns_answer_new("x", INK_DNS_TXT, INK_DNS_OK);
        const uint8_t *s1 = (const uint8_t *)"v=spf1 -all", *s2 = (const uint8_t *)rfc8463_ed_key;
        size_t l1 = 11, l2 = strlen(rfc8463_ed_key);
        ink_dns_answer_add_txt(a, "x", INK_DNS_TXT, 60, 1, &s1, &l1);
        ink_dns_answer_add_txt(a, "x", INK_DNS_TXT, 60, 1, &s2, &l2);
        v = verify(rfc8463_msg, strlen(rfc8463_msg), 0, 0, a);
        expect(v, 0, INK_DKIM_PASS, NULL);
        ink_dkim_verify_free(v);
        ink_dns_answer_free(a);
    }
}

static void test_times(void **state)
{
    struct ink_dkim_verify *v;
    char *m;

    (void)state;
    /* t= in the future of the clock */
    v = verify(rfc8463_msg, strlen(rfc8463_msg), 0, 1528637909 - 3600, NULL);
    expect(v, 0, INK_DKIM_PERMERROR, "in the future");
    ink_dkim_verify_free(v);
    /* within the allowed skew */
    v = verify(rfc8463_msg, strlen(rfc8463_msg), 0, 1528637909 - 60, NULL);
    expect(v, 0, INK_DKIM_PASS, NULL);
    ink_dkim_verify_free(v);
    /* x= in the past (the signature is broken too, but expiry is said first) */
    m = replace(rfc8463_msg, "t=1528637909; h=from : to :", "t=1528637909; x=1528640000; h=from : to :");
    v = verify(m, strlen(m), 0, 1600000000, NULL);
    expect(v, 0, INK_DKIM_PERMERROR, "expired");
    ink_dkim_verify_free(v);
    free(m);
}

static void test_sig_syntax_is_permerror(void **state)
{
    struct ink_dkim_verify *v;
    char *m;

    (void)state;
    m = replace(rfc8463_msg, "h=from : to :\r\n   subject : date : message-id : from : subject : date;",
                "h=to : subject;");
    v = verify(m, strlen(m), 0, 0, NULL);
    expect(v, 0, INK_DKIM_PERMERROR, "does not include From");
    expect(v, 1, INK_DKIM_PASS, NULL);
    ink_dkim_verify_free(v);
    free(m);
    m = replace(rfc8463_msg, "a=rsa-sha256", "a=rsa-sha1");
    v = verify(m, strlen(m), 0, 0, NULL);
    expect(v, 1, INK_DKIM_POLICY, "RFC 8301");
    ink_dkim_verify_free(v);
    free(m);
}

/* ---- signing ---- */

static struct ink_dkim_privkey *genkey(enum ink_dkim_keytype t, unsigned bits, char **record)
{
    struct ink_str pem = INK_STR_INIT, rec = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_dkim_privkey *k;

    if (t == INK_DKIM_KEY_RSA && bits < 1024) {
        /* below what keygen makes: build it with OpenSSL directly */
        EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
        unsigned char *der = NULL;
        int n = i2d_PUBKEY(pk, &der);
        char *b64 = malloc((size_t)n * 2 + 64);
        strcpy(b64, "v=DKIM1; p=");
        EVP_EncodeBlock((unsigned char *)b64 + strlen(b64), der, n);
        OPENSSL_free(der);
        *record = b64;
        {
            BIO *bio = BIO_new(BIO_s_mem());
            BUF_MEM *mem;
            PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL);
            BIO_get_mem_ptr(bio, &mem);
            ink_str_append(&pem, mem->data, mem->length);
            BIO_free(bio);
        }
        EVP_PKEY_free(pk);
        k = ink_dkim_privkey_parse((uint8_t *)pem.buf, pem.len, &err);
        assert_null(k); /* refused for signing */
        assert_non_null(strstr(ink_str_cstr(&err), "1024"));
        ink_str_free(&pem);
        ink_str_free(&err);
        return NULL;
    }
    assert_int_equal(ink_dkim_keygen(t, bits, &pem, &rec, &err), 0);
    k = ink_dkim_privkey_parse((uint8_t *)pem.buf, pem.len, &err);
    assert_non_null(k);
    *record = ink_str_steal(&rec);
    ink_str_free(&pem);
    ink_str_free(&err);
    return k;
}

static const char plain_msg[] =
    "From: Alice <alice@example.org>\r\n"
    "To: Bob <bob@example.net>\r\n"
    "Subject:   a  folded\r\n\tsubject   \r\n"
    "Date: Sun, 22 Nov 2026 08:00:00 +0000\r\n"
    "Message-ID: <1@example.org>\r\n"
    "X-Not-Signed: x\r\n"
    "\r\n"
    "Hello  Bob, \r\n"
    "8-bit: caf\xc3\xa9\r\n"
    "\r\n"
    "\r\n";

/* sign - sign msg with keys; returns the signed message (caller frees) */
static char *sign(const struct ink_dkim_sign_key *keys, size_t n, const char *msg, size_t step)
{
    struct ink_str err = INK_STR_INIT, out = INK_STR_INIT;
    struct ink_dkim_sign *s = ink_dkim_sign_new(keys, n, 0, &err);
    size_t len = strlen(msg), off = 0;

    assert_non_null(s);
    if (step == 0)
        step = len;
    while (off < len) {
        size_t k = len - off < step ? len - off : step;
        assert_int_equal(ink_dkim_sign_push(s, (const uint8_t *)msg + off, k), 0);
        off += k;
    }
    assert_int_equal(ink_dkim_sign_end(s, "\r\n", &out), 0);
    ink_str_puts(&out, msg);
    ink_dkim_sign_free(s);
    ink_str_free(&err);
    return ink_str_steal(&out);
}

static void test_sign_verify_roundtrip(void **state)
{
    char *rrec, *erec;
    struct ink_dkim_privkey *rk = genkey(INK_DKIM_KEY_RSA, 2048, &rrec);
    struct ink_dkim_privkey *ek = genkey(INK_DKIM_KEY_ED25519, 0, &erec);
    int hc, bc;
    size_t step;

    (void)state;
    add_key("r1._domainkey.example.org", rrec);
    add_key("e1._domainkey.example.org", erec);
    for (hc = 0; hc < 2; hc++)
        for (bc = 0; bc < 2; bc++)
            for (step = 0; step < 40; step += 13) {
                struct ink_dkim_sign_key keys[2];
                struct ink_dkim_verify *v;
                char *signed_msg;
                memset(keys, 0, sizeof(keys));
                keys[0].key = rk;
                keys[0].domain = "example.org";
                keys[0].selector = "r1";
                keys[0].hcanon = (enum ink_dkim_canon)hc;
                keys[0].bcanon = (enum ink_dkim_canon)bc;
                keys[0].timestamp = 1700000000;
                keys[1] = keys[0];
                keys[1].key = ek;
                keys[1].selector = "e1";
                keys[1].identity = "alice@mail.example.org";
                keys[1].expire = 1700003600;
                signed_msg = sign(keys, 2, plain_msg, step);
                v = verify(signed_msg, strlen(signed_msg), step, 1700000100, NULL);
                assert_int_equal(ink_dkim_verify_count(v), 2);
                expect(v, 0, INK_DKIM_PASS, NULL);
                expect(v, 1, INK_DKIM_PASS, NULL);
                assert_string_equal(ink_dkim_verify_result(v, 1)->sig->i, "alice@mail.example.org");
                ink_dkim_verify_free(v);
                /* later than x=: expired */
                v = verify(signed_msg, strlen(signed_msg), 0, 1700003601, NULL);
                expect(v, 0, INK_DKIM_PASS, NULL);
                expect(v, 1, INK_DKIM_PERMERROR, "expired");
                ink_dkim_verify_free(v);
                free(signed_msg);
            }
    ink_dkim_privkey_free(rk);
    ink_dkim_privkey_free(ek);
    free(rrec);
    free(erec);
}

static void test_sign_oversign_and_l(void **state)
{
    char *rec, *signed_msg, *m;
    struct ink_dkim_privkey *k = genkey(INK_DKIM_KEY_ED25519, 0, &rec);
    struct ink_dkim_sign_key key;
    struct ink_dkim_verify *v;

    (void)state;
    add_key("e2._domainkey.example.org", rec);
    memset(&key, 0, sizeof(key));
    key.key = k;
    key.domain = "example.org";
    key.selector = "e2";
    key.hcanon = key.bcanon = INK_DKIM_CANON_RELAXED;
    key.headers = "from:to:subject";
    key.oversign = "from:subject:reply-to";
    key.body_length = 1;
    signed_msg = sign(&key, 1, plain_msg, 0);
    assert_non_null(strstr(signed_msg, "h=from:from:to:subject:subject:reply-to;"));
    assert_non_null(strstr(signed_msg, "l="));
    v = verify(signed_msg, strlen(signed_msg), 0, 0, NULL);
    expect(v, 0, INK_DKIM_PASS, NULL);
    assert_false(ink_dkim_verify_result(v, 0)->l_risk);
    ink_dkim_verify_free(v);
    /* text appended after l=: passes, but the risk is said */
    m = malloc(strlen(signed_msg) + 32);
    strcpy(m, signed_msg);
    strcat(m, "Appended by someone.\r\n");
    v = verify(m, strlen(m), 0, 0, NULL);
    expect(v, 0, INK_DKIM_PASS, "unsigned");
    assert_true(ink_dkim_verify_result(v, 0)->l_risk);
    ink_dkim_verify_free(v);
    free(m);
    /* adding a Reply-To (over-signed while absent) breaks it */
    m = replace(signed_msg, "From: Alice", "Reply-To: eve@evil.example\r\nFrom: Alice");
    v = verify(m, strlen(m), 0, 0, NULL);
    expect(v, 0, INK_DKIM_FAIL, "signature did not verify");
    ink_dkim_verify_free(v);
    free(m);
    free(signed_msg);
    /* From signed once (no over-signing): the signature still verifies
     * over the bottom-most From, but an added From on top must not pass
     * (RFC 6376 8.15) - the reader and DMARC would see the unsigned one */
    key.oversign = "";
    key.body_length = 0;
    signed_msg = sign(&key, 1, plain_msg, 0);
    assert_non_null(strstr(signed_msg, "h=from:to:subject;"));
    v = verify(signed_msg, strlen(signed_msg), 0, 0, NULL);
    expect(v, 0, INK_DKIM_PASS, NULL);
    ink_dkim_verify_free(v);
    m = replace(signed_msg, "From: Alice", "From: Mallory <ceo@example.org>\r\nFrom: Alice");
    v = verify(m, strlen(m), 0, 0, NULL);
    expect(v, 0, INK_DKIM_FAIL, "unsigned From was added");
    assert_int_equal(ink_dkim_verify_result(v, 0)->header_sig_ok, 1);
    ink_dkim_verify_free(v);
    free(m);
    free(signed_msg);
    ink_dkim_privkey_free(k);
    free(rec);
}

static void test_short_rsa_key_policy(void **state)
{
    char *rec;
    struct ink_dkim_verify *v;
    char *m;

    (void)state;
    genkey(INK_DKIM_KEY_RSA, 512, &rec);
    /* the RFC 8463 RSA signature checked against a 512-bit key */
    m = replace(rfc8463_msg, "s=test", "s=short");
    add_key("short._domainkey.football.example.com", rec);
    v = verify(m, strlen(m), 0, 0, NULL);
    expect(v, 1, INK_DKIM_POLICY, "512 bits");
    ink_dkim_verify_free(v);
    free(m);
    free(rec);
}

static void test_sign_errors(void **state)
{
    char *rec;
    struct ink_dkim_privkey *k = genkey(INK_DKIM_KEY_ED25519, 0, &rec);
    struct ink_dkim_sign_key key;
    struct ink_str err = INK_STR_INIT, out = INK_STR_INIT;
    struct ink_dkim_sign *s;

    (void)state;
    memset(&key, 0, sizeof(key));
    key.key = k;
    key.domain = "example.org";
    key.selector = "e1";
    key.alg = INK_DKIM_ALG_RSA_SHA256;
    assert_null(ink_dkim_sign_new(&key, 1, 0, &err));
    assert_non_null(strstr(ink_str_cstr(&err), "needs an RSA key"));
    key.alg = INK_DKIM_ALG_UNKNOWN;
    key.identity = "joe@other.example";
    ink_str_truncate(&err, 0);
    assert_null(ink_dkim_sign_new(&key, 1, 0, &err));
    key.identity = NULL;
    key.headers = "to:subject";
    assert_null(ink_dkim_sign_new(&key, 1, 0, &err));
    key.headers = NULL;
    /* a message without From cannot be signed */
    s = ink_dkim_sign_new(&key, 1, 0, &err);
    assert_non_null(s);
    assert_int_equal(ink_dkim_sign_push(s, (const uint8_t *)"To: x\r\n\r\nbody\r\n", 15), 0);
    assert_int_equal(ink_dkim_sign_end(s, "\r\n", &out), -1);
    assert_non_null(strstr(ink_dkim_sign_error(s), "no From"));
    ink_dkim_sign_free(s);
    ink_dkim_privkey_free(k);
    ink_str_free(&err);
    ink_str_free(&out);
    free(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6376_appendix_a),
        cmocka_unit_test(test_rfc8463_appendix_a),
        cmocka_unit_test(test_rfc_tampered),
        cmocka_unit_test(test_unsigned),
        cmocka_unit_test(test_dns_failures),
        cmocka_unit_test(test_query_protocol),
        cmocka_unit_test(test_key_problems),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_sig_syntax_is_permerror),
        cmocka_unit_test(test_sign_verify_roundtrip),
        cmocka_unit_test(test_sign_oversign_and_l),
        cmocka_unit_test(test_short_rsa_key_policy),
        cmocka_unit_test(test_sign_errors),
        cmocka_unit_test(test_keycache_held_key_survives),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
