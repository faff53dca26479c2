/*
 * test_audit.c - the audit (inkan/audit.h) over in-memory zones, through
 * the driver (ink_drive_sync over ink_resolver_memzone_new) and by hand
 * with the query protocol: every finding expected for a broken domain;
 * the same findings whatever order the answers come back in; questions
 * asked twice answered once by the driver; NULL and unfitting answers as
 * temporary failures; the DKIM keys the caller must make; the zone-line
 * writer; many audits in one driver; and every finding code of the audit
 * (ink_audit_codes) and of the DMARC record (ink_dmarc_codes) produced by
 * some scenario.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/audit.h"
#include "inkan/dkim_key.h"
#include "inkan/dmarc.h"
#include "inkan/driver.h"
#include "inkan/memzone.h"
#include "inkan/resolver.h"
#include "inkan/zonefile.h"

/* Queries one hand-driven audit may have out at once in these tests. */
#define PENDING_MAX 512
/* Rounds a hand-driven audit may take before the test calls it a hang. */
#define ROUNDS_MAX 20000
/* Codes remembered across the scenarios of test_every_code. */
#define SEEN_MAX 512

/* RSA public keys (SubjectPublicKeyInfo, base64) too short for RFC 8301. */
static const char rsa512[] =
    "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBANvIPMuzMN4nYmn1+MStUADeZW0+2PnHa2OKI/sQZ2jXlxrCh9wFMszUBD"
    "mxOiuccnmOZa75ja9qmVIhcKUX63sCAwEAAQ==";
static const char rsa1024[] =
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDKFjmz5OKX5/WZh1V76lBeeiP1Ri0YL4fpIrpOay63Kv/rgo45NK"
    "TNpjwbj4a7q60wfazNjKODGui3X2dMSbVvztxIeNUV1EkbzBqxpzNVfHAdRihUYXlSW6onSAUDPsmWgFYUhauW6Byz"
    "QooolZVq3drfEHFocR7mJ83SxqltqwIDAQAB";

enum order { FIFO, LIFO };

/* ---- zones ---- */

/* txt - a TXT record, cut into 255-byte strings */
static void txt(struct ink_memzone *z, const char *owner, const char *text)
{
    const uint8_t *parts[8];
    size_t lens[8], n = 0, len = strlen(text), off;

    for (off = 0; off < len || n == 0; off += INK_DNS_TXT_STRING_MAX) {
        assert_true(n < 8);
        parts[n] = (const uint8_t *)text + off;
        lens[n++] = len - off < INK_DNS_TXT_STRING_MAX ? len - off : INK_DNS_TXT_STRING_MAX;
        if (len == 0)
            break;
    }
    assert_int_equal(ink_memzone_add_txt(z, owner, INK_DNS_TXT, 300, n, parts, lens), 0);
}

static void addr(struct ink_memzone *z, const char *owner, const char *ip)
{
    assert_int_equal(ink_memzone_add_addr_text(z, owner, 300, ip), 0);
}

static void name(struct ink_memzone *z, const char *owner, uint16_t type, const char *target)
{
    assert_int_equal(ink_memzone_add_name(z, owner, type, 300, target), 0);
}

static void mx(struct ink_memzone *z, const char *owner, uint16_t pref, const char *host)
{
    assert_int_equal(ink_memzone_add_mx(z, owner, 300, pref, host), 0);
}

static void fault(struct ink_memzone *z, const char *owner, uint16_t type)
{
    assert_int_equal(ink_memzone_set_fault(z, owner, type, INK_DNS_SERVFAIL), 0);
}

/* a domain with one problem in every area */
static struct ink_memzone *broken_zone(void)
{
    struct ink_memzone *z = ink_memzone_new();

    assert_non_null(z);
    txt(z, "bad.example", "v=spf1 ip4:192.0.2.0/24 +all");
    txt(z, "_dmarc.bad.example", "v=DMARC1; p=quarantine; t=y; rua=mailto:r@elsewhere.example");
    mx(z, "bad.example", 10, "mx.bad.example");
    mx(z, "bad.example", 20, "gone.bad.example");
    addr(z, "mx.bad.example", "192.0.2.25");
    name(z, "25.2.0.192.in-addr.arpa", INK_DNS_PTR, "other.example");
    name(z, "click.bad.example", INK_DNS_CNAME, "wrong.example");
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

/* ---- driving ---- */

/* run - a through the driver over z; returns what the driver saw */
static struct ink_driver_stats run(struct ink_audit *a, struct ink_memzone *z)
{
    struct ink_resolver *r = ink_resolver_memzone_new(z, 0);
    struct ink_driver *d;
    struct ink_driver_stats st;

    assert_non_null(r);
    d = ink_driver_new(r, NULL);
    assert_non_null(d);
    assert_int_equal(ink_driver_add(d, ink_audit_machine(a), NULL, NULL), 0);
    assert_int_equal(ink_driver_run(d), 0);
    ink_driver_stats(d, &st);
    ink_driver_free(d);
    ink_resolver_free(r);
    assert_true(ink_audit_done(a));
    return st;
}

/* run_sync - a alone through ink_drive_sync over z */
static void run_sync(struct ink_audit *a, struct ink_memzone *z)
{
    struct ink_resolver *r = ink_resolver_memzone_new(z, 0);

    assert_non_null(r);
    assert_int_equal(ink_drive_sync(r, ink_audit_machine(a), NULL), INK_NEXT_DONE);
    ink_resolver_free(r);
    assert_true(ink_audit_done(a));
}

/* Queries handed out and not answered yet. */
struct pending {
    char name[INK_DNS_NAME_MAX + 2];
    uint16_t type;
    uint32_t token;
};

/* answer_fn - what a hand-driven audit is fed for one query (the caller
 * frees what it returns; NULL is fed as is) */
typedef struct ink_dns_answer *(*answer_fn)(const struct ink_memzone *z, const struct pending *p);

static struct ink_dns_answer *from_zone(const struct ink_memzone *z, const struct pending *p)
{
    return ink_memzone_lookup(z, p->name, p->type);
}

static struct ink_dns_answer *nothing(const struct ink_memzone *z, const struct pending *p)
{
    (void)z;
    (void)p;
    return NULL;
}

/* an answer to another question: the right name, the wrong type */
static struct ink_dns_answer *misfit(const struct ink_memzone *z, const struct pending *p)
{
    return ink_memzone_lookup(z, p->name, p->type == INK_DNS_TXT ? INK_DNS_A : INK_DNS_TXT);
}

/* drive - run a by hand with the query protocol, answering in order ord
 * with ans(); returns the number of queries handed out */
static size_t drive(struct ink_audit *a, const struct ink_memzone *z, enum order ord,
                    answer_fn ans)
{
    static struct pending q[PENDING_MAX];
    size_t n = 0, asked = 0;
    struct ink_query aq;
    enum ink_next st;
    int guard = 0;

    for (;;) {
        while ((st = ink_audit_next(a, &aq)) == INK_NEXT_READY) {
            assert_true(n < PENDING_MAX);
            assert_true(strlen(aq.name) < sizeof(q[n].name));
            strcpy(q[n].name, aq.name);
            q[n].type = aq.type;
            q[n].token = aq.token;
            n++;
            asked++;
        }
        if (st == INK_NEXT_DONE)
            break;
        assert_int_equal(st, INK_NEXT_WAIT);
        assert_true(n > 0);
        {
            struct pending p = ord == FIFO ? q[0] : q[n - 1];
            struct ink_dns_answer *answer = ans(z, &p);

            if (ord == FIFO)
                memmove(q, q + 1, (n - 1) * sizeof(q[0]));
            n--;
            assert_int_equal(ink_audit_feed(a, p.token, answer), 0);
            ink_dns_answer_free(answer); /* borrowed: still the test's */
        }
        assert_true(++guard < ROUNDS_MAX);
    }
    assert_int_equal(n, 0);
    assert_true(ink_audit_done(a));
    /* done stays done */
    assert_int_equal(ink_audit_next(a, &aq), INK_NEXT_DONE);
    return asked;
}

/* ---- looking at the results ---- */

/* findings_key - "sev/area/code/subject" of every finding, sorted, joined */
static char *findings_key(const struct ink_audit *a)
{
    size_t n = ink_audit_nfindings(a), i, k;
    char **v = calloc(n + 1, sizeof(char *));
    struct ink_str s = INK_STR_INIT;

    assert_non_null(v);
    for (i = 0; i < n; i++) {
        const struct ink_finding *f = ink_audit_finding(a, i);
        struct ink_str t = INK_STR_INIT;

        ink_str_printf(&t, "%s/%s/%s/%s", ink_severity_name(f->severity), f->area, f->code,
                       f->subject ? f->subject : "-");
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

/* find - the first finding with code (and severity, when sev >= 0), or NULL */
static const struct ink_finding *find(const struct ink_audit *a, const char *code, int sev)
{
    size_t i;

    for (i = 0; i < ink_audit_nfindings(a); i++) {
        const struct ink_finding *f = ink_audit_finding(a, i);

        if (strcmp(f->code, code) == 0 && (sev < 0 || (int)f->severity == sev))
            return f;
    }
    return NULL;
}

/* has - a finding with code and severity */
static const struct ink_finding *has(const struct ink_audit *a, const char *code,
                                     enum ink_severity sev)
{
    const struct ink_finding *f = find(a, code, (int)sev);

    if (f == NULL) {
        char *k = findings_key(a);

        print_error("%s", k);
        free(k);
        fail_msg("no finding %s of severity %s", code, ink_severity_name(sev));
    }
    return f;
}

/* ---- tests ---- */

static void test_broken_domain(void **state)
{
    struct ink_memzone *z = broken_zone();
    struct ink_audit *a = broken_audit();
    const struct ink_finding *f;

    (void)state;
    run_sync(a, z);
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
    struct ink_audit *a = broken_audit(), *b = broken_audit(), *c = broken_audit();
    char *ka, *kb, *kc;
    size_t qa, qb;

    (void)state;
    qa = drive(a, z, FIFO, from_zone);
    qb = drive(b, z, LIFO, from_zone);
    run(c, z);
    ka = findings_key(a);
    kb = findings_key(b);
    kc = findings_key(c);
    assert_string_equal(ka, kb);
    assert_string_equal(ka, kc);
    /* the same questions whatever the order */
    assert_int_equal(qa, qb);
    assert_int_equal(ink_audit_queries(a), ink_audit_queries(b));
    assert_true(ink_audit_queries(a) <= qa);
    free(ka);
    free(kb);
    free(kc);
    ink_audit_free(a);
    ink_audit_free(b);
    ink_audit_free(c);
    ink_memzone_free(z);
}

/* MX, A and AAAA of the MX host are needed by SPF (mx), MX and PTR
 * checks: the audit may ask them more than once, the driver sends each
 * once, and the audit counts each once */
static void test_questions_shared(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_audit_opts o;
    struct ink_audit *a;
    struct ink_driver_stats st;

    (void)state;
    txt(z, "one.example", "v=spf1 mx -all");
    mx(z, "one.example", 10, "mx.one.example");
    addr(z, "mx.one.example", "192.0.2.9");
    name(z, "9.2.0.192.in-addr.arpa", INK_DNS_PTR, "mx.one.example");
    memset(&o, 0, sizeof(o));
    o.domain = "one.example";
    a = ink_audit_new(&o);
    assert_non_null(a);
    st = run(a, z);
    assert_true(st.queries > st.sent); /* some question was asked twice */
    assert_int_equal(st.sent, ink_audit_queries(a));
    has(a, "ptr-confirmed", INK_SEV_INFO);
    has(a, "mx-ok", INK_SEV_INFO);
    ink_audit_free(a);
    ink_memzone_free(z);
}

/* answers that never come, or answer another question: temporary failures */
static void test_no_answers(void **state)
{
    static const answer_fn fns[] = {nothing, misfit};
    struct ink_memzone *z = broken_zone();
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
        struct ink_audit *a = broken_audit();

        drive(a, z, i == 0 ? FIFO : LIFO, fns[i]);
        has(a, "dmarc-temperror", INK_SEV_WARNING);
        has(a, "mx-temperror", INK_SEV_WARNING);
        has(a, "dkim-temperror", INK_SEV_WARNING);
        has(a, "cname-temperror", INK_SEV_WARNING);
        /* nothing is claimed missing on the strength of no answer */
        assert_null(find(a, "dmarc-missing", -1));
        assert_null(find(a, "dkim-missing", -1));
        assert_null(find(a, "cname-missing", -1));
        /* an unknown token is refused */
        assert_int_equal(ink_audit_feed(a, 12345, NULL), -1);
        ink_audit_free(a);
    }
    ink_memzone_free(z);
}

static void test_bad_domain(void **state)
{
    struct ink_audit_opts o;
    struct ink_audit *a;
    struct ink_query q;

    (void)state;
    memset(&o, 0, sizeof(o));
    o.domain = "no..good";
    a = ink_audit_new(&o);
    assert_non_null(a);
    assert_int_equal(ink_audit_next(a, &q), INK_NEXT_DONE);
    assert_true(ink_audit_done(a));
    has(a, "bad-domain", INK_SEV_ERROR);
    assert_int_equal(ink_audit_queries(a), 0);
    ink_audit_free(a);
}

/* the audit makes no keys: it says which selectors need one, and the
 * caller's fix replaces the finding's */
static void test_keys_wanted(void **state)
{
    static const char *const sels[] = {"gone", "old", "weak", "fine"};
    struct ink_memzone *z = ink_memzone_new();
    struct ink_str pem = INK_STR_INIT, rec = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_str s = INK_STR_INIT;
    struct ink_audit_opts o;
    struct ink_audit *a;
    const struct ink_audit_key_wanted *w;
    size_t i;

    (void)state;
    assert_int_equal(ink_dkim_keygen(INK_DKIM_KEY_RSA, 2048, &pem, &rec, &err), 0);
    txt(z, "fine._domainkey.k.example", ink_str_cstr(&rec));
    txt(z, "old._domainkey.k.example", "v=DKIM1; p=");
    ink_str_printf(&s, "v=DKIM1; k=rsa; p=%s", rsa512);
    txt(z, "weak._domainkey.k.example", ink_str_cstr(&s));
    memset(&o, 0, sizeof(o));
    o.domain = "k.example";
    o.selectors = sels;
    o.nselectors = 4;
    a = ink_audit_new(&o);
    assert_non_null(a);
    run_sync(a, z);
    has(a, "dkim-ok", INK_SEV_INFO);
    assert_int_equal(ink_audit_nkeys_wanted(a), 3);
    for (i = 0; i < 3; i++) {
        const struct ink_finding *f;

        w = ink_audit_key_wanted(a, i);
        assert_non_null(w);
        f = ink_audit_finding(a, w->finding);
        assert_non_null(f);
        assert_string_equal(f->area, "dkim");
        assert_string_equal(f->subject, w->owner);
        assert_null(f->fix);
        assert_int_equal(strncmp(w->owner, w->selector, strlen(w->selector)), 0);
        assert_true(strcmp(f->code, "dkim-missing") == 0 || strcmp(f->code, "dkim-revoked") == 0 ||
                    strcmp(f->code, "dkim-weak-key") == 0);
    }
    assert_null(ink_audit_key_wanted(a, 3));
    w = ink_audit_key_wanted(a, 0);
    assert_int_equal(ink_audit_set_fix(a, w->finding, "x. 3600 IN TXT \"v=DKIM1; p=AAAA\""), 0);
    assert_string_equal(ink_audit_finding(a, w->finding)->fix, "x. 3600 IN TXT \"v=DKIM1; p=AAAA\"");
    assert_int_equal(ink_audit_set_fix(a, ink_audit_nfindings(a), "x"), -1);
    ink_audit_free(a);
    ink_memzone_free(z);
    ink_str_free(&pem);
    ink_str_free(&rec);
    ink_str_free(&err);
    ink_str_free(&s);
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

/* many audits in one driver, all answered from one zone */
static void test_many_at_once(void **state)
{
    enum { N = 50 };
    struct ink_memzone *z = broken_zone();
    struct ink_resolver *r = ink_resolver_memzone_new(z, 0);
    struct ink_driver *d;
    struct ink_driver_stats st;
    struct ink_audit *a[N];
    char *ref, *k;
    size_t i;

    (void)state;
    assert_non_null(r);
    d = ink_driver_new(r, NULL);
    assert_non_null(d);
    for (i = 0; i < N; i++) {
        a[i] = broken_audit();
        assert_int_equal(ink_driver_add(d, ink_audit_machine(a[i]), NULL, NULL), 0);
    }
    assert_int_equal(ink_driver_run(d), 0);
    ink_driver_stats(d, &st);
    /* one audit's questions went to the resolver, the others' were shared */
    assert_int_equal(st.sent, ink_audit_queries(a[0]));
    ref = findings_key(a[0]);
    for (i = 0; i < N; i++) {
        assert_true(ink_audit_done(a[i]));
        k = findings_key(a[i]);
        assert_string_equal(k, ref);
        free(k);
        ink_audit_free(a[i]);
    }
    free(ref);
    ink_driver_free(d);
    ink_resolver_free(r);
    ink_memzone_free(z);
}

/* ---- every finding code ---- */

/* The codes produced so far by the scenarios. */
static const char *seen[SEEN_MAX];
static size_t nseen;

static void see(const char *code)
{
    size_t i;

    for (i = 0; i < nseen; i++)
        if (strcmp(seen[i], code) == 0)
            return;
    assert_true(nseen < SEEN_MAX);
    seen[nseen++] = code;
}

static int was_seen(const char *code)
{
    size_t i;

    for (i = 0; i < nseen; i++)
        if (strcmp(seen[i], code) == 0)
            return 1;
    return 0;
}

/* scenario - audit opts over z, note every code it produced; the audit
 * is returned for more checks (caller frees) */
static struct ink_audit *scenario(struct ink_memzone *z, const struct ink_audit_opts *o)
{
    struct ink_audit *a = ink_audit_new(o);
    size_t i;

    assert_non_null(a);
    run_sync(a, z);
    for (i = 0; i < ink_audit_nfindings(a); i++)
        see(ink_audit_finding(a, i)->code);
    return a;
}

/* just - a scenario that must produce code; freed here */
static void just(struct ink_memzone *z, const struct ink_audit_opts *o, const char *code)
{
    struct ink_audit *a = scenario(z, o);

    if (find(a, code, -1) == NULL) {
        char *k = findings_key(a);

        print_error("%s", k);
        free(k);
        fail_msg("%s: no finding %s", o->domain, code);
    }
    ink_audit_free(a);
}

/* opts_for - plain opts for domain */
static struct ink_audit_opts opts_for(const char *domain)
{
    struct ink_audit_opts o;

    memset(&o, 0, sizeof(o));
    o.domain = domain;
    return o;
}

/* base - the records a tidy domain has: SPF, DMARC p=reject, an MX host
 * with an address whose PTR confirms, MTA-STS, TLS-RPT, BIMI */
static void base(struct ink_memzone *z, const char *d)
{
    struct ink_str s = INK_STR_INIT;

    txt(z, d, "v=spf1 ip4:192.0.2.0/24 -all");
    ink_str_printf(&s, "_dmarc.%s", d);
    txt(z, ink_str_cstr(&s), "v=DMARC1; p=reject; rua=mailto:agg@mx.infra.example");
    mx(z, d, 10, "mx.infra.example");
    ink_str_truncate(&s, 0);
    ink_str_printf(&s, "_mta-sts.%s", d);
    txt(z, ink_str_cstr(&s), "v=STSv1; id=1");
    ink_str_truncate(&s, 0);
    ink_str_printf(&s, "_smtp._tls.%s", d);
    txt(z, ink_str_cstr(&s), "v=TLSRPTv1; rua=mailto:tls@mx.infra.example");
    ink_str_truncate(&s, 0);
    ink_str_printf(&s, "default._bimi.%s", d);
    txt(z, ink_str_cstr(&s), "v=BIMI1; l=https://logo.example/l.svg");
    ink_str_free(&s);
}

/* the audit's own codes, area by area */
static void audit_scenarios(void)
{
    static const char *const incs[] = {"inc.example", "other.example"};
    static const struct ink_audit_ip ips[] = {
        {4, {192, 0, 2, 5}, 32},      /* authorized, PTR confirmed */
        {4, {198, 51, 100, 1}, 32},   /* not authorized, no PTR */
        {4, {192, 0, 2, 6}, 32},      /* PTR that does not lead back */
        {4, {192, 0, 2, 7}, 32},      /* PTR lookup fails */
    };
    static const struct ink_audit_ip temp_ip[] = {{4, {203, 0, 113, 9}, 32}};
    static const struct ink_audit_ip hinted_ip[] = {{4, {192, 0, 2, 8}, 32}};
    static const char *const helos[] = {"mail.h.example", "192.0.2.1",  "localhost", "bad..name",
                                        "plainname",      "none.h.example", "fail.h.example",
                                        "elsewhere.h.example"};
    static const char *const hinted_helo[] = {"right.h.example"};
    static const struct ink_audit_cname cns[] = {
        {"ok", "target.example"},    {"wrong", "target.example"}, {"absent", "target.example"},
        {"busy", "target.example"},  {"fail", "target.example"},
    };
    static const char *const sels[] = {"bad..x", "alias",  "dangling", "missing", "two",
                                       "revoked", "broken", "strange",  "short",   "weak",
                                       "test",    "noted",  "fail",     "ok"};
    static const char *const ed_sel[] = {"ed"};
    struct ink_memzone *z = ink_memzone_new();
    struct ink_str s = INK_STR_INIT, pem = INK_STR_INIT, rec = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_audit_opts o;
    struct ink_audit *a;
    char host[INK_DNS_NAME_MAX + 1];
    size_t i;

    assert_non_null(z);
    addr(z, "mx.infra.example", "192.0.2.25");
    name(z, "25.2.0.192.in-addr.arpa", INK_DNS_PTR, "mx.infra.example");

    /* spf: includes present and missing, addresses authorized or not */
    base(z, "s.example");
    ink_memzone_remove(z, "s.example", INK_DNS_TXT);
    txt(z, "s.example", "v=spf1 ip4:192.0.2.0/24 include:inc.example -all");
    txt(z, "inc.example", "v=spf1 -all");
    addr(z, "ptr.s.example", "192.0.2.5");
    name(z, "5.2.0.192.in-addr.arpa", INK_DNS_PTR, "ptr.s.example");
    name(z, "6.2.0.192.in-addr.arpa", INK_DNS_PTR, "elsewhere.s.example");
    addr(z, "elsewhere.s.example", "192.0.2.99");
    fault(z, "7.2.0.192.in-addr.arpa", 0);
    o = opts_for("s.example");
    o.includes = incs;
    o.nincludes = 2;
    o.ips = ips;
    o.nips = 4;
    a = scenario(z, &o);
    has(a, "spf-include-present", INK_SEV_INFO);
    has(a, "spf-include-missing", INK_SEV_ERROR);
    has(a, "spf-ip-authorized", INK_SEV_INFO);
    has(a, "spf-ip-not-authorized", INK_SEV_ERROR);
    has(a, "ptr-confirmed", INK_SEV_INFO);
    has(a, "ptr-missing", INK_SEV_ERROR);
    has(a, "ptr-mismatch", INK_SEV_ERROR);
    has(a, "ptr-temperror", INK_SEV_WARNING);
    ink_audit_free(a);

    /* spf: an address that cannot be told (the include fails) */
    base(z, "st.example");
    ink_memzone_remove(z, "st.example", INK_DNS_TXT);
    txt(z, "st.example", "v=spf1 include:down.example -all");
    fault(z, "down.example", 0);
    o = opts_for("st.example");
    o.ips = temp_ip;
    o.nips = 1;
    just(z, &o, "spf-ip-temperror");

    /* ptr: confirmed, though not the name the HELO announces */
    base(z, "p.example");
    name(z, "8.2.0.192.in-addr.arpa", INK_DNS_PTR, "other.p.example");
    addr(z, "other.p.example", "192.0.2.8");
    addr(z, "right.h.example", "192.0.2.8");
    o = opts_for("p.example");
    o.ips = hinted_ip;
    o.nips = 1;
    o.helos = hinted_helo;
    o.nhelos = 1;
    just(z, &o, "ptr-other-name");

    /* helo: every way a HELO name goes wrong, and one right */
    base(z, "h.example");
    addr(z, "mail.h.example", "192.0.2.5");
    fault(z, "fail.h.example", 0);
    addr(z, "elsewhere.h.example", "198.51.100.77");
    o = opts_for("h.example");
    o.helos = helos;
    o.nhelos = sizeof(helos) / sizeof(helos[0]);
    o.ips = ips;
    o.nips = 1;
    a = scenario(z, &o);
    has(a, "helo-ok", INK_SEV_INFO);
    has(a, "helo-ip-literal", INK_SEV_ERROR);
    has(a, "helo-localhost", INK_SEV_ERROR);
    has(a, "helo-invalid", INK_SEV_ERROR);
    has(a, "helo-not-fqdn", INK_SEV_ERROR);
    has(a, "helo-unresolvable", INK_SEV_ERROR);
    has(a, "helo-temperror", INK_SEV_WARNING);
    has(a, "helo-mismatch", INK_SEV_WARNING);
    ink_audit_free(a);

    /* cname: right, wrong, missing, beside other records, failing */
    base(z, "c.example");
    name(z, "ok.c.example", INK_DNS_CNAME, "target.example");
    name(z, "wrong.c.example", INK_DNS_CNAME, "elsewhere.example");
    txt(z, "busy.c.example", "something else");
    fault(z, "fail.c.example", 0);
    o = opts_for("c.example");
    o.cnames = cns;
    o.ncnames = sizeof(cns) / sizeof(cns[0]);
    a = scenario(z, &o);
    has(a, "cname-ok", INK_SEV_INFO);
    has(a, "cname-mismatch", INK_SEV_ERROR);
    has(a, "cname-missing", INK_SEV_ERROR);
    has(a, "cname-conflict", INK_SEV_ERROR);
    has(a, "cname-temperror", INK_SEV_WARNING);
    ink_audit_free(a);

    /* dkim: every state a key record can be in */
    assert_int_equal(ink_dkim_keygen(INK_DKIM_KEY_RSA, 2048, &pem, &rec, &err), 0);
    base(z, "k.example");
    txt(z, "key.target.example", ink_str_cstr(&rec));
    name(z, "alias._domainkey.k.example", INK_DNS_CNAME, "key.target.example");
    name(z, "dangling._domainkey.k.example", INK_DNS_CNAME, "nothing.target.example");
    txt(z, "two._domainkey.k.example", ink_str_cstr(&rec));
    txt(z, "two._domainkey.k.example", "v=DKIM1; p=");
    txt(z, "revoked._domainkey.k.example", "v=DKIM1; p=");
    txt(z, "broken._domainkey.k.example", "v=DKIM1; k=rsa; p=@@@@");
    txt(z, "strange._domainkey.k.example", "v=DKIM1; k=foo; p=AAAA");
    ink_str_printf(&s, "v=DKIM1; k=rsa; p=%s", rsa1024);
    txt(z, "short._domainkey.k.example", ink_str_cstr(&s));
    ink_str_truncate(&s, 0);
    ink_str_printf(&s, "v=DKIM1; k=rsa; p=%s", rsa512);
    txt(z, "weak._domainkey.k.example", ink_str_cstr(&s));
    ink_str_truncate(&s, 0);
    ink_str_printf(&s, "%s; t=y", ink_str_cstr(&rec));
    txt(z, "test._domainkey.k.example", ink_str_cstr(&s));
    ink_str_truncate(&s, 0);
    ink_str_printf(&s, "%s; zz=1", ink_str_cstr(&rec));
    txt(z, "noted._domainkey.k.example", ink_str_cstr(&s));
    fault(z, "fail._domainkey.k.example", 0);
    txt(z, "ok._domainkey.k.example", ink_str_cstr(&rec));
    o = opts_for("k.example");
    o.selectors = sels;
    o.nselectors = sizeof(sels) / sizeof(sels[0]);
    a = scenario(z, &o);
    has(a, "dkim-bad-selector", INK_SEV_ERROR);
    has(a, "dkim-cname", INK_SEV_INFO);
    has(a, "dkim-cname-dangling", INK_SEV_ERROR);
    has(a, "dkim-missing", INK_SEV_ERROR);
    has(a, "dkim-multiple", INK_SEV_ERROR);
    has(a, "dkim-revoked", INK_SEV_ERROR);
    has(a, "dkim-malformed", INK_SEV_ERROR);
    has(a, "dkim-unusable", INK_SEV_ERROR);
    has(a, "dkim-short-key", INK_SEV_WARNING);
    has(a, "dkim-weak-key", INK_SEV_ERROR);
    has(a, "dkim-testing", INK_SEV_WARNING);
    has(a, "dkim-key-note", INK_SEV_INFO);
    has(a, "dkim-temperror", INK_SEV_WARNING);
    has(a, "dkim-ok", INK_SEV_INFO);
    /* the testing flag's fix is the same record without it */
    assert_non_null(strstr(find(a, "dkim-testing", -1)->fix, "test._domainkey.k.example. 3600 IN TXT"));
    assert_null(strstr(find(a, "dkim-testing", -1)->fix, "t=y"));
    ink_audit_free(a);
    ink_str_truncate(&pem, 0);
    ink_str_truncate(&rec, 0);
    assert_int_equal(ink_dkim_keygen(INK_DKIM_KEY_ED25519, 0, &pem, &rec, &err), 0);
    txt(z, "ed._domainkey.k.example", ink_str_cstr(&rec));
    o.selectors = ed_sel;
    o.nselectors = 1;
    just(z, &o, "dkim-ed25519-only");

    /* mx: none (with and without an address), null, mixed, literal,
     * alias, unresolvable, failing; a domain that does not exist */
    base(z, "m1.example");
    ink_memzone_remove(z, "m1.example", INK_DNS_MX);
    addr(z, "m1.example", "192.0.2.50");
    o = opts_for("m1.example");
    just(z, &o, "mx-missing");
    base(z, "m2.example");
    ink_memzone_remove(z, "m2.example", INK_DNS_MX);
    mx(z, "m2.example", 0, "");
    o = opts_for("m2.example");
    just(z, &o, "mx-null");
    base(z, "m3.example");
    mx(z, "m3.example", 0, "");
    o = opts_for("m3.example");
    just(z, &o, "mx-null-mixed");
    base(z, "m4.example");
    ink_memzone_remove(z, "m4.example", INK_DNS_MX);
    mx(z, "m4.example", 10, "192.0.2.25");
    mx(z, "m4.example", 20, "alias.m4.example");
    mx(z, "m4.example", 30, "nowhere.m4.example");
    mx(z, "m4.example", 40, "fail.m4.example");
    name(z, "alias.m4.example", INK_DNS_CNAME, "mx.infra.example");
    fault(z, "fail.m4.example", 0);
    o = opts_for("m4.example");
    a = scenario(z, &o);
    has(a, "mx-ip-literal", INK_SEV_ERROR);
    has(a, "mx-cname", INK_SEV_WARNING);
    has(a, "mx-unresolvable", INK_SEV_ERROR);
    has(a, "mx-temperror", INK_SEV_WARNING);
    ink_audit_free(a);
    base(z, "m5.example");
    fault(z, "m5.example", INK_DNS_MX);
    o = opts_for("m5.example");
    just(z, &o, "mx-temperror");
    o = opts_for("nowhere-at-all.example");
    a = scenario(z, &o);
    has(a, "domain-not-found", INK_SEV_ERROR);
    has(a, "dmarc-missing", INK_SEV_ERROR);
    /* nothing published: every informational record is absent */
    has(a, "mta-sts-absent", INK_SEV_INFO);
    has(a, "tls-rpt-absent", INK_SEV_INFO);
    has(a, "bimi-absent", INK_SEV_INFO);
    ink_audit_free(a);

    /* dmarc */
    base(z, "d1.example");
    o = opts_for("d1.example");
    a = scenario(z, &o);
    has(a, "policy-reject", INK_SEV_INFO);
    has(a, "mta-sts-present", INK_SEV_INFO);
    has(a, "tls-rpt-present", INK_SEV_INFO);
    has(a, "bimi-present", INK_SEV_INFO);
    has(a, "mx-ok", INK_SEV_INFO);
    ink_audit_free(a);
    o = opts_for("sub.d1.example");
    just(z, &o, "dmarc-inherited");
    base(z, "d2.example");
    txt(z, "_dmarc.d2.example", "v=DMARC1; p=none");
    o = opts_for("d2.example");
    just(z, &o, "dmarc-multiple");
    base(z, "d3.example");
    ink_memzone_remove(z, "_dmarc.d3.example", INK_DNS_TXT);
    txt(z, "_dmarc.d3.example", "v=dmarc1; p=reject");
    o = opts_for("d3.example");
    just(z, &o, "dmarc-not-dmarc");
    base(z, "d4.example");
    fault(z, "_dmarc.d4.example", 0);
    o = opts_for("d4.example");
    just(z, &o, "dmarc-temperror");
    txt(z, "_dmarc.psd", "v=DMARC1; p=reject; psd=y; rua=mailto:agg@registry.psd");
    o = opts_for("org.psd");
    just(z, &o, "dmarc-psd-only");
    /* report destinations: authorized, not, failing, too long */
    base(z, "d5.example");
    ink_memzone_remove(z, "_dmarc.d5.example", INK_DNS_TXT);
    memset(host, 0, sizeof(host));
    for (i = 0; i + 8 < INK_DNS_NAME_MAX - 20; i += 8)
        memcpy(host + i, "abcdefg.", 8);
    memcpy(host + i, "example", 8);
    ink_str_truncate(&s, 0);
    ink_str_printf(&s, "v=DMARC1; p=reject; rua=mailto:a@ok.example,mailto:b@no.example,"
                       "mailto:c@fail.example,mailto:d@%s",
                   host);
    txt(z, "_dmarc.d5.example", ink_str_cstr(&s));
    txt(z, "d5.example._report._dmarc.ok.example", "v=DMARC1");
    fault(z, "d5.example._report._dmarc.fail.example", 0);
    o = opts_for("d5.example");
    a = scenario(z, &o);
    has(a, "report-dest-authorized", INK_SEV_INFO);
    has(a, "report-dest-unauthorized", INK_SEV_WARNING);
    has(a, "report-dest-temperror", INK_SEV_WARNING);
    has(a, "report-dest-name-too-long", INK_SEV_WARNING);
    ink_audit_free(a);
    o = opts_for("not a domain");
    just(z, &o, "bad-domain");

    /* info: a lookup that fails, BIMI under a policy not enforced */
    base(z, "i.example");
    ink_memzone_remove(z, "_dmarc.i.example", INK_DNS_TXT);
    txt(z, "_dmarc.i.example", "v=DMARC1; p=none; rua=mailto:agg@mx.infra.example");
    fault(z, "_smtp._tls.i.example", 0);
    o = opts_for("i.example");
    a = scenario(z, &o);
    has(a, "temperror", INK_SEV_INFO);
    has(a, "bimi-needs-enforcement", INK_SEV_WARNING);
    ink_audit_free(a);

    ink_str_free(&s);
    ink_str_free(&pem);
    ink_str_free(&rec);
    ink_str_free(&err);
    ink_memzone_free(z);
}

/* an audit that would ask more than INK_AUDIT_QUERIES_MAX questions: 16
 * MX hosts of 16 addresses each, every address with 8 PTR names */
static void budget_scenario(void)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_audit_opts o = opts_for("big.example");
    struct ink_audit *a;
    char host[64], ip[32], rev[64], ptr[96];
    unsigned h, k, p;

    assert_non_null(z);
    base(z, "big.example");
    ink_memzone_remove(z, "big.example", INK_DNS_MX);
    for (h = 0; h < INK_AUDIT_MX_MAX; h++) {
        snprintf(host, sizeof(host), "mx%u.big.example", h);
        mx(z, "big.example", (uint16_t)h, host);
        for (k = 0; k < INK_AUDIT_ADDRS_MAX; k++) {
            snprintf(ip, sizeof(ip), "10.%u.%u.1", h, k);
            addr(z, host, ip);
            snprintf(rev, sizeof(rev), "1.%u.%u.10.in-addr.arpa", k, h);
            for (p = 0; p < INK_AUDIT_PTR_NAMES_MAX; p++) {
                snprintf(ptr, sizeof(ptr), "n%u.%s", p, host);
                name(z, rev, INK_DNS_PTR, ptr);
            }
        }
    }
    a = scenario(z, &o);
    has(a, "query-budget", INK_SEV_WARNING);
    assert_true(ink_audit_queries(a) <= INK_AUDIT_QUERIES_MAX);
    ink_audit_free(a);
    ink_memzone_free(z);
}

/* The DMARC record's diagnostics, each from a record text (parsed, then
 * linted for the domain); too-long, too-many-tags and too-many-uris are
 * made in dmarc_scenarios. */
static const struct {
    const char *record;
    const char *code;
} dmarc_cases[] = {
    {"v=DMARC1; p=reject; rua=mailto:a@example.com; ruf=mailto:b@example.com; fo=2", "bad-fo"},
    {"v=DMARC1; p=reject; rua=mailto:a@example.com\x01", "bad-char"},
    {"v=DMARC1; p=reject; rua=mailto:@example.com", "bad-mailto"},
    {"v=DMARC1; p=block; rua=mailto:a@example.com", "bad-policy"},
    {"v=DMARC1; p=reject; rua=mailto:a@example.com!10q", "bad-uri"},
    {"v=DMARC1; p=reject; adkim=x; rua=mailto:a@example.com", "bad-value"},
    {"v=DMARC1; p=reject; p=none; rua=mailto:a@example.com", "duplicate-tag"},
    {"v=DMARC1; p=reject; rua=mailto:a@example.com,mailto:a@example.com", "duplicate-uri"},
    {"v=DMARC1; p=reject;; rua=mailto:a@example.com", "empty-tag"},
    {"v=DMARC1; p=reject; rua=mailto:a@example.com,,mailto:b@example.com", "empty-uri"},
    {"v=DMARC1; p=reject; sp=; rua=mailto:a@example.com", "empty-value"},
    {"v=DMARC1; p=reject; fo=1; rua=mailto:a@example.com", "fo-without-ruf"},
    {"v=DMARC1; rua=mailto:a@example.com", "missing-p"},
    {"v=DMARC1; sp=reject", "no-policy"},
    {"v=DMARC1; p=reject", "no-rua"},
    {"v=DMARC2; p=reject", "not-dmarc"},
    {"v=DMARC1; p=reject; np=none; rua=mailto:a@example.com", "np-weaker"},
    {"v=DMARC1; p=reject; ri=3600; rua=mailto:a@example.com", "obsolete-tag"},
    {"v=DMARC1; p=reject; rua=mailto:a@example.com!10m", "obsolete-uri-size"},
    {"v=DMARC1; p=reject; pct=50; rua=mailto:a@example.com", "pct-partial"},
    {"v=DMARC1; p=none; rua=mailto:a@example.com", "policy-none"},
    {"v=DMARC1; p=quarantine; rua=mailto:a@example.com", "policy-quarantine"},
    {"v=DMARC1; p=reject; sp=none; rua=mailto:a@example.com", "sp-weaker"},
    {"v=DMARC1; p=reject; aspf=s; rua=mailto:a@example.com", "strict-alignment"},
    {"v=DMARC1; p=reject; rua mailto:a@example.com", "syntax"},
    {"v=DMARC1; P=reject; rua=mailto:a@example.com", "tag-case"},
    {"v=DMARC1; p=reject; t=y; rua=mailto:a@example.com", "test-mode"},
    {"v=DMARC1; p=reject; rua=mailto:a@example.com; zz=1", "unknown-tag"},
    {"v=DMARC1; p=reject; rua=a@example.com", "uri-no-scheme"},
    {"v=DMARC1; p=reject; rua=https://reports.example.com/dmarc", "uri-scheme"},
};

/* dmarc_code - parse and lint text; note its codes; 1 if code is among them */
static int dmarc_code(const char *text, size_t len, const char *code)
{
    struct ink_dmarc_record *r = ink_dmarc_record_parse((const uint8_t *)text, len);
    size_t i;
    int found = 0;

    assert_non_null(r);
    ink_dmarc_record_lint(r, "example.com");
    for (i = 0; i < r->ndiag; i++) {
        const struct ink_finding *f = &r->diag[i];

        assert_string_equal(f->area, "dmarc");
        assert_non_null(f->message);
        see(f->code);
        if (strcmp(f->code, code) == 0)
            found = 1;
    }
    ink_dmarc_record_free(r);
    return found;
}

static void dmarc_scenarios(void)
{
    struct ink_str s = INK_STR_INIT;
    size_t i;

    for (i = 0; i < sizeof(dmarc_cases) / sizeof(dmarc_cases[0]); i++) {
        if (!dmarc_code(dmarc_cases[i].record, strlen(dmarc_cases[i].record),
                        dmarc_cases[i].code))
            fail_msg("'%s': no %s", dmarc_cases[i].record, dmarc_cases[i].code);
    }
    /* a record longer than INK_DMARC_RECORD_MAX */
    ink_str_puts(&s, "v=DMARC1; p=reject; rua=mailto:a@example.com");
    while (s.len <= INK_DMARC_RECORD_MAX)
        ink_str_puts(&s, "; x=yyyyyyyy");
    assert_true(dmarc_code(s.buf, s.len, "too-long"));
    /* more tags than INK_DMARC_TAGS_MAX */
    ink_str_truncate(&s, 0);
    ink_str_puts(&s, "v=DMARC1; p=reject");
    for (i = 0; i <= INK_DMARC_TAGS_MAX; i++)
        ink_str_printf(&s, "; x%zu=1", i);
    assert_true(dmarc_code(s.buf, s.len, "too-many-tags"));
    /* more report URIs than INK_DMARC_URIS_MAX */
    ink_str_truncate(&s, 0);
    ink_str_puts(&s, "v=DMARC1; p=reject; rua=mailto:a0@example.com");
    for (i = 1; i <= INK_DMARC_URIS_MAX; i++)
        ink_str_printf(&s, ",mailto:a%zu@example.com", i);
    assert_true(dmarc_code(s.buf, s.len, "too-many-uris"));
    ink_str_free(&s);
}

/* every code of ink_audit_codes and ink_dmarc_codes appears in some
 * scenario (the one the audit can only reach when memory runs out, or a
 * module's machine breaks, is named below) */
static void test_every_code(void **state)
{
    size_t i, missing = 0, n = 0;

    (void)state;
    audit_scenarios();
    budget_scenario();
    dmarc_scenarios();
    for (i = 0; ink_audit_codes[i].code != NULL; i++, n++) {
        if (strcmp(ink_audit_codes[i].code, "check-incomplete") == 0)
            continue; /* ENOMEM or a failed machine only */
        if (!was_seen(ink_audit_codes[i].code)) {
            print_error("audit code %s: no scenario produces it\n", ink_audit_codes[i].code);
            missing++;
        }
    }
    for (i = 0; ink_dmarc_codes[i] != NULL; i++, n++)
        if (!was_seen(ink_dmarc_codes[i])) {
            print_error("DMARC code %s: no scenario produces it\n", ink_dmarc_codes[i]);
            missing++;
        }
    print_message("%zu codes listed, %zu not produced\n", n, missing);
    assert_int_equal(missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broken_domain),
        cmocka_unit_test(test_order_independent),
        cmocka_unit_test(test_questions_shared),
        cmocka_unit_test(test_no_answers),
        cmocka_unit_test(test_bad_domain),
        cmocka_unit_test(test_keys_wanted),
        cmocka_unit_test(test_zone_line),
        cmocka_unit_test(test_many_at_once),
        cmocka_unit_test(test_every_code),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
