/*
 * test_audit.c - the audit core (inkan/audit.h) driven directly from an
 * in-memory zone, with no resolver: every finding expected for a broken
 * domain, the same findings whatever order the answers come back in (FIFO,
 * LIFO, all at once), shared questions asked once, temporary failures
 * reported as such, the zone-file line writer, and many audits at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/audit.h"
#include "inkan/memzone.h"
#include "inkan/zonefile.h"

enum order { FIFO, LIFO };

/* Queries handed out and not answered yet. */
struct pending {
    char name[300];
    uint16_t type;
    uint32_t token;
};

/* drive - run an audit against z, answering in the given order; returns
 * the number of queries asked */
static size_t drive(struct ink_audit *a, const struct ink_memzone *z, enum order ord)
{
    struct pending q[256];
    size_t n = 0, asked = 0;
    struct ink_audit_query aq;
    int guard = 0;

    for (;;) {
        while (ink_audit_next(a, &aq)) {
            assert_true(n < 256);
            assert_true(strlen(aq.name) < sizeof(q[n].name));
            strcpy(q[n].name, aq.name);
            q[n].type = aq.type;
            q[n].token = aq.token;
            n++;
            asked++;
        }
        if (n == 0)
            break;
        {
            struct pending p = ord == FIFO ? q[0] : q[n - 1];
            struct ink_dns_answer *ans = ink_memzone_lookup(z, p.name, p.type);

            if (ord == FIFO)
                memmove(q, q + 1, (n - 1) * sizeof(q[0]));
            n--;
            assert_int_equal(ink_audit_feed(a, p.token, ans), 0);
        }
        assert_true(++guard < 5000);
    }
    assert_true(ink_audit_done(a));
    return asked;
}

static void txt(struct ink_memzone *z, const char *owner, const char *text)
{
    assert_int_equal(ink_memzone_add_txt1(z, owner, INK_DNS_TXT, 300, text, strlen(text)), 0);
}

/* a domain with one problem in every area */
static struct ink_memzone *broken_zone(void)
{
    struct ink_memzone *z = ink_memzone_new();

    assert_non_null(z);
    txt(z, "bad.example", "v=spf1 ip4:192.0.2.0/24 +all");
    txt(z, "_dmarc.bad.example", "v=DMARC1; p=quarantine; t=y; rua=mailto:r@elsewhere.example");
    assert_int_equal(ink_memzone_add_mx(z, "bad.example", 300, 10, "mx.bad.example"), 0);
    assert_int_equal(ink_memzone_add_mx(z, "bad.example", 300, 20, "gone.bad.example"), 0);
    assert_int_equal(ink_memzone_add_addr_text(z, "mx.bad.example", 300, "192.0.2.25"), 0);
    assert_int_equal(ink_memzone_add_name(z, "25.2.0.192.in-addr.arpa", INK_DNS_PTR, 300,
                                          "other.example"),
                     0);
    assert_int_equal(ink_memzone_add_name(z, "click.bad.example", INK_DNS_CNAME, 300,
                                          "wrong.example"),
                     0);
    txt(z, "s1._domainkey.bad.example", "v=DKIM1; k=rsa; p=");
    txt(z, "default._bimi.bad.example", "v=BIMI1; l=https://bad.example/logo.svg");
    assert_int_equal(ink_memzone_set_fault(z, "_smtp._tls.bad.example", 0, INK_DNS_TIMEOUT), 0);
    return z;
}

static struct ink_audit *broken_audit(void)
{
    static const char *const sels[] = {"s1"};
    static const char *const helos[] = {"localhost"};
    static const struct ink_audit_cname cn[] = {{"click", "track.platform.example"}};
    struct ink_audit_opts o;
    struct ink_audit *a;

    memset(&o, 0, sizeof(o));
    o.domain = "Bad.Example.";
    o.selectors = sels;
    o.nselectors = 1;
    o.helos = helos;
    o.nhelos = 1;
    o.cnames = cn;
    o.ncnames = 1;
    a = ink_audit_new(&o);
    assert_non_null(a);
    return a;
}

/* findings_key - "sev/area/code/subject" of every finding, sorted, joined */
static char *findings_key(const struct ink_audit *a)
{
    size_t n = ink_audit_nfindings(a), i, k;
    char **v = calloc(n + 1, sizeof(char *));
    struct ink_str s = INK_STR_INIT;

    for (i = 0; i < n; i++) {
        const struct ink_finding *f = ink_audit_finding(a, i);
        struct ink_str t = INK_STR_INIT;

        ink_str_printf(&t, "%s/%s/%s/%s", ink_severity_name(f->severity), f->area,
                       f->code, f->subject ? f->subject : "-");
        v[i] = ink_str_steal(&t);
    }
    for (i = 1; i < n; i++)
        for (k = i; k > 0 && strcmp(v[k - 1], v[k]) > 0; k--) {
            char *x = v[k];

            v[k] = v[k - 1];
            v[k - 1] = x;
        }
    for (i = 0; i < n; i++) {
        ink_str_printf(&s, "%s\n", v[i]);
        free(v[i]);
    }
    free(v);
    return ink_str_steal(&s);
}

/* has - a finding with code, severity and (when want_fix) a fix */
static const struct ink_finding *has(const struct ink_audit *a, const char *code,
                                           enum ink_severity sev)
{
    size_t i;

    for (i = 0; i < ink_audit_nfindings(a); i++) {
        const struct ink_finding *f = ink_audit_finding(a, i);

        if (strcmp(f->code, code) == 0 && f->severity == sev)
            return f;
    }
    fail_msg("no finding %s of severity %s", code, ink_severity_name(sev));
    return NULL;
}

static void test_broken_domain(void **state)
{
    struct ink_memzone *z = broken_zone();
    struct ink_audit *a = broken_audit();
    const struct ink_finding *f;

    (void)state;
    drive(a, z, FIFO);
    assert_string_equal(ink_audit_domain(a), "bad.example");
    f = has(a, "pass-all", INK_SEV_ERROR);
    assert_string_equal(f->area, "spf");
    assert_non_null(f->fix);
    assert_non_null(strstr(f->fix, "bad.example. 3600 IN TXT \"v=spf1 ip4:192.0.2.0/24 ~all\""));
    f = has(a, "test-mode", INK_SEV_WARNING);
    assert_non_null(strstr(f->fix, "\"v=DMARC1; p=quarantine; rua=mailto:r@elsewhere.example\""));
    f = has(a, "report-dest-unauthorized", INK_SEV_WARNING);
    assert_string_equal(f->fix,
                        "bad.example._report._dmarc.elsewhere.example. 3600 IN TXT \"v=DMARC1\"");
    f = has(a, "mx-unresolvable", INK_SEV_ERROR);
    assert_string_equal(f->subject, "gone.bad.example");
    f = has(a, "ptr-mismatch", INK_SEV_WARNING);
    assert_string_equal(f->fix, "25.2.0.192.in-addr.arpa. 3600 IN PTR mx.bad.example.");
    has(a, "dkim-revoked", INK_SEV_ERROR);
    has(a, "helo-localhost", INK_SEV_ERROR);
    f = has(a, "cname-mismatch", INK_SEV_ERROR);
    assert_string_equal(f->fix, "click.bad.example. 3600 IN CNAME track.platform.example.");
    has(a, "temperror", INK_SEV_INFO); /* TLS-RPT lookup timed out */
    has(a, "bimi-needs-enforcement", INK_SEV_WARNING);
    has(a, "mta-sts-absent", INK_SEV_INFO);
    assert_true(ink_audit_count(a, INK_SEV_ERROR) >= 5);
    assert_true(ink_audit_nrecords(a) > 0);
    ink_audit_free(a);
    ink_memzone_free(z);
}

/* the result does not depend on the order answers arrive in */
static void test_order_independent(void **state)
{
    struct ink_memzone *z = broken_zone();
    struct ink_audit *a = broken_audit(), *b = broken_audit();
    char *ka, *kb;
    size_t qa, qb;

    (void)state;
    qa = drive(a, z, FIFO);
    qb = drive(b, z, LIFO);
    ka = findings_key(a);
    kb = findings_key(b);
    assert_string_equal(ka, kb);
    /* the same questions, each asked once, whatever the order */
    assert_int_equal(qa, qb);
    assert_int_equal(qa, ink_audit_queries(a));
    free(ka);
    free(kb);
    ink_audit_free(a);
    ink_audit_free(b);
    ink_memzone_free(z);
}

/* MX, A and AAAA of the MX host are needed by SPF (mx), MX and PTR
 * checks: each goes out once */
static void test_questions_shared(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_audit_opts o;
    struct ink_audit *a;
    struct ink_audit_query q;
    char seen[64][300];
    uint16_t types[64];
    size_t n = 0, i, k;
    struct {
        uint32_t token;
        char name[300];
        uint16_t type;
    } out[64];
    size_t nout = 0;

    (void)state;
    txt(z, "one.example", "v=spf1 mx -all");
    assert_int_equal(ink_memzone_add_mx(z, "one.example", 300, 10, "mx.one.example"), 0);
    assert_int_equal(ink_memzone_add_addr_text(z, "mx.one.example", 300, "192.0.2.9"), 0);
    memset(&o, 0, sizeof(o));
    o.domain = "one.example";
    a = ink_audit_new(&o);
    assert_non_null(a);
    for (;;) {
        while (ink_audit_next(a, &q)) {
            for (k = 0; k < n; k++)
                assert_false(types[k] == q.type && strcmp(seen[k], q.name) == 0);
            assert_true(n < 64 && nout < 64);
            strcpy(seen[n], q.name);
            types[n++] = q.type;
            out[nout].token = q.token;
            strcpy(out[nout].name, q.name);
            out[nout].type = q.type;
            nout++;
        }
        if (nout == 0)
            break;
        /* answer everything outstanding at once, newest first */
        for (i = nout; i > 0; i--)
            ink_audit_feed(a, out[i - 1].token,
                           ink_memzone_lookup(z, out[i - 1].name, out[i - 1].type));
        nout = 0;
    }
    assert_true(ink_audit_done(a));
    ink_audit_free(a);
    ink_memzone_free(z);
}

/* answers that never come (the driver gives up): NULL is a temporary failure */
static void test_driver_failure(void **state)
{
    struct ink_audit_opts o;
    struct ink_audit *a;
    struct ink_audit_query q;
    int guard = 0;

    (void)state;
    memset(&o, 0, sizeof(o));
    o.domain = "fail.example";
    a = ink_audit_new(&o);
    assert_non_null(a);
    while (!ink_audit_done(a)) {
        if (ink_audit_next(a, &q))
            assert_int_equal(ink_audit_feed(a, q.token, NULL), 0);
        assert_true(++guard < 1000);
    }
    has(a, "dmarc-temperror", INK_SEV_WARNING);
    has(a, "mx-temperror", INK_SEV_WARNING);
    assert_int_equal(ink_audit_count(a, INK_SEV_ERROR), 0);
    /* an unknown token is refused */
    assert_int_equal(ink_audit_feed(a, 12345, NULL), -1);
    ink_audit_free(a);
}

static void test_bad_domain(void **state)
{
    struct ink_audit_opts o;
    struct ink_audit *a;
    struct ink_audit_query q;

    (void)state;
    memset(&o, 0, sizeof(o));
    o.domain = "no..good";
    a = ink_audit_new(&o);
    assert_non_null(a);
    assert_false(ink_audit_next(a, &q));
    assert_true(ink_audit_done(a));
    has(a, "bad-domain", INK_SEV_ERROR);
    ink_audit_free(a);
}

static void test_zone_line(void **state)
{
    struct ink_str s = INK_STR_INIT;
    char big[600];

    (void)state;
    assert_int_equal(ink_zone_txt_line(&s, "_dmarc.example.com", INK_AUDIT_FIX_TTL,
                                       (const uint8_t *)"v=DMARC1; p=\"x\\", 15),
                     0);
    assert_string_equal(ink_str_cstr(&s), "_dmarc.example.com. 3600 IN TXT \"v=DMARC1; p=\\\"x\\\\\"");
    ink_str_truncate(&s, 0);
    memset(big, 'a', sizeof(big));
    assert_int_equal(ink_zone_txt_line(&s, "k.example.", 300, (const uint8_t *)big, sizeof(big)),
                     0);
    assert_non_null(strstr(ink_str_cstr(&s), "\" \""));
    assert_int_equal(strncmp(ink_str_cstr(&s), "k.example. 300 IN TXT \"aaa", 26), 0);
    ink_str_truncate(&s, 0);
    assert_int_equal(ink_zone_txt_line(&s, "e.example", 1, (const uint8_t *)"\001", 1), 0);
    assert_string_equal(ink_str_cstr(&s), "e.example. 1 IN TXT \"\\001\"");
    ink_str_truncate(&s, 0);
    assert_int_equal(ink_zone_txt_line(&s, "e.example", 1, (const uint8_t *)"", 0), 0);
    assert_string_equal(ink_str_cstr(&s), "e.example. 1 IN TXT \"\"");
    ink_str_truncate(&s, 0);
    assert_int_equal(ink_zone_rr_line(&s, "example.com", INK_AUDIT_FIX_TTL, INK_DNS_MX,
                                      "10 mx.example.com.", 18),
                     0);
    assert_string_equal(ink_str_cstr(&s), "example.com. 3600 IN MX 10 mx.example.com.");
    ink_str_free(&s);
}

/* many audits driven by one loop, answers interleaved across them */
static void test_many_at_once(void **state)
{
    enum { N = 50 };
    struct ink_memzone *z = broken_zone();
    struct ink_audit *a[N];
    struct {
        int who;
        uint32_t token;
        char name[300];
        uint16_t type;
    } *q = calloc(4096, sizeof(*q));
    size_t nq = 0, i;
    struct ink_audit_query aq;
    char *ref, *k;
    int guard = 0;

    (void)state;
    for (i = 0; i < N; i++)
        a[i] = broken_audit();
    for (;;) {
        for (i = 0; i < N; i++)
            while (ink_audit_next(a[i], &aq)) {
                assert_true(nq < 4096);
                q[nq].who = (int)i;
                q[nq].token = aq.token;
                strcpy(q[nq].name, aq.name);
                q[nq].type = aq.type;
                nq++;
            }
        if (nq == 0)
            break;
        /* answer every third outstanding query, from the middle out */
        for (i = nq; i > 0; i--) {
            if ((i + (size_t)guard) % 3 != 0 && nq > 3)
                continue;
            ink_audit_feed(a[q[i - 1].who], q[i - 1].token,
                           ink_memzone_lookup(z, q[i - 1].name, q[i - 1].type));
            memmove(&q[i - 1], &q[i], (nq - i) * sizeof(*q));
            nq--;
        }
        assert_true(++guard < 10000);
    }
    ref = findings_key(a[0]);
    for (i = 0; i < N; i++) {
        assert_true(ink_audit_done(a[i]));
        k = findings_key(a[i]);
        assert_string_equal(k, ref);
        free(k);
        ink_audit_free(a[i]);
    }
    free(ref);
    free(q);
    ink_memzone_free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broken_domain),
        cmocka_unit_test(test_order_independent),
        cmocka_unit_test(test_questions_shared),
        cmocka_unit_test(test_driver_failure),
        cmocka_unit_test(test_bad_domain),
        cmocka_unit_test(test_zone_line),
        cmocka_unit_test(test_many_at_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
