/*
 * test_dmarc.c - DMARC record parser, lint and serializer; policy
 * discovery (RFC 9989 tree walk cases from section 4.10, PSL mode) and
 * external report destination authorization, driven from an in-memory zone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <libpsl.h>

#include "inkan/dmarc.h"
#include "inkan/memzone.h"
#include "inkan/query.h"

static struct ink_dmarc_record *parse(const char *s)
{
    struct ink_dmarc_record *r = ink_dmarc_record_parse((const uint8_t *)s, strlen(s));

    assert_non_null(r);
    return r;
}

/* find_diag - the first diagnostic with code, or NULL */
static const struct ink_finding *find_diag(const struct ink_dmarc_record *r, const char *code)
{
    size_t i;

    for (i = 0; i < r->ndiag; i++)
        if (strcmp(r->diag[i].code, code) == 0)
            return &r->diag[i];
    return NULL;
}

static void test_parse_full(void **state)
{
    struct ink_dmarc_record *r =
        parse("v=DMARC1; p=reject; sp=quarantine; np=Reject; psd=n; t=y; adkim=s; aspf=r; "
              "rua=mailto:agg@example.com!10m, mailto:Agg@Reports.Example.NET; "
              "ruf=mailto:fail@example.com; fo=0:d;");

    (void)state;
    assert_true(r->is_dmarc);
    assert_int_equal(r->p, INK_DMARC_P_REJECT);
    assert_int_equal(r->sp, INK_DMARC_P_QUARANTINE);
    assert_int_equal(r->np, INK_DMARC_P_REJECT);
    assert_int_equal(r->psd, INK_DMARC_PSD_NO);
    assert_int_equal(r->t, INK_DMARC_FLAG_YES);
    assert_int_equal(r->adkim, INK_DMARC_ALIGN_STRICT);
    assert_int_equal(r->aspf, INK_DMARC_ALIGN_RELAXED);
    assert_int_equal(r->nrua, 2);
    assert_string_equal(r->rua[0].uri, "mailto:agg@example.com");
    assert_string_equal(r->rua[0].scheme, "mailto");
    assert_string_equal(r->rua[0].address, "agg@example.com");
    assert_string_equal(r->rua[0].host, "example.com");
    assert_true(r->rua[0].has_size);
    assert_int_equal(r->rua[0].max_size, 10ULL * 1024 * 1024);
    assert_string_equal(r->rua[1].host, "reports.example.net");
    assert_int_equal(r->nruf, 1);
    assert_int_equal(r->fo, INK_DMARC_FO_0 | INK_DMARC_FO_D);
    assert_int_equal(r->nerrors, 0);
    assert_non_null(find_diag(r, "obsolete-uri-size"));
    assert_int_equal(ink_dmarc_record_usable(r), INK_DMARC_P_REJECT);
    ink_dmarc_record_free(r);
}

static void test_not_dmarc(void **state)
{
    static const char *const bad[] = {
        "v=dmarc1; p=reject", "p=reject; v=DMARC1", "v=spf1 -all", "", "   ",
        "v=DMARC1x; p=none", "v = DMARC2", "DMARC1",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ink_dmarc_record *r = parse(bad[i]);

        assert_false(r->is_dmarc);
        assert_non_null(find_diag(r, "not-dmarc"));
        assert_false(ink_dmarc_is_record((const uint8_t *)bad[i], strlen(bad[i])));
        ink_dmarc_record_free(r);
    }
    assert_true(ink_dmarc_is_record((const uint8_t *)"v = DMARC1 ;p=none", 18));
    assert_true(ink_dmarc_is_record((const uint8_t *)"v=DMARC1", 8));
}

static void test_bad_values_offsets(void **state)
{
    /*                      0         1         2         3
     *                      0123456789012345678901234567890123456 */
    const char *text = "v=DMARC1; p=rejectt; adkim=x; fo=0:1; x-y; pct=150";
    struct ink_dmarc_record *r = parse(text);
    const struct ink_finding *dg;

    (void)state;
    assert_true(r->is_dmarc);
    assert_int_equal(r->p, INK_DMARC_P_UNSET);
    assert_true(r->p_invalid);
    dg = find_diag(r, "bad-policy");
    assert_non_null(dg);
    assert_int_equal(dg->offset, 12);
    dg = find_diag(r, "bad-value");
    assert_non_null(dg);
    assert_int_equal(dg->offset, 27);
    dg = find_diag(r, "bad-fo");
    assert_non_null(dg);
    assert_int_equal(r->fo, 0);
    dg = find_diag(r, "syntax");
    assert_non_null(dg);
    assert_int_equal(dg->offset, 39);
    assert_non_null(find_diag(r, "obsolete-tag"));
    assert_int_equal(r->pct, -1);
    /* no valid p, no rua: no DMARC processing at all */
    assert_int_equal(ink_dmarc_record_usable(r), INK_DMARC_P_UNSET);
    ink_dmarc_record_free(r);
}

static void test_obsolete_unknown_duplicate(void **state)
{
    struct ink_dmarc_record *r =
        parse("v=DMARC1;p=none;pct=20;rf=afrf;ri=3600;foo=bar;p=reject;rua=mailto:a@example.com");

    (void)state;
    assert_true(r->is_dmarc);
    assert_int_equal(r->p, INK_DMARC_P_NONE); /* the first p wins */
    assert_int_equal(r->pct, 20);
    assert_int_equal(r->ri, 3600);
    assert_string_equal(r->rf, "afrf");
    assert_non_null(find_diag(r, "unknown-tag"));
    assert_non_null(find_diag(r, "duplicate-tag"));
    assert_int_equal(find_diag(r, "unknown-tag")->offset, 39);
    ink_dmarc_record_lint(r, "example.com");
    assert_non_null(find_diag(r, "pct-partial"));
    assert_non_null(find_diag(r, "policy-none"));
    assert_null(find_diag(r, "no-rua"));
    ink_dmarc_record_free(r);
}

static void test_missing_p(void **state)
{
    struct ink_dmarc_record *r = parse("v=DMARC1; rua=mailto:d@example.com");

    (void)state;
    assert_int_equal(ink_dmarc_record_usable(r), INK_DMARC_P_NONE);
    ink_dmarc_record_lint(r, "example.com");
    assert_non_null(find_diag(r, "missing-p"));
    ink_dmarc_record_free(r);

    r = parse("v=DMARC1; adkim=r");
    assert_int_equal(ink_dmarc_record_usable(r), INK_DMARC_P_UNSET);
    ink_dmarc_record_lint(r, "example.com");
    assert_non_null(find_diag(r, "no-policy"));
    assert_non_null(find_diag(r, "no-rua"));
    ink_dmarc_record_free(r);

    /* an invalid sp with a rua: treated as p=none */
    r = parse("v=DMARC1; p=reject; sp=never; rua=mailto:d@example.com");
    assert_int_equal(ink_dmarc_record_usable(r), INK_DMARC_P_NONE);
    ink_dmarc_record_free(r);
}

static void test_uris(void **state)
{
    struct ink_dmarc_record *r =
        parse("v=DMARC1; p=none; rua=dmarc@example.com, mailto:x@example.com!big, "
              "https://user@Reports.Example.org:8443/in?x=1, mailto:nodomain, "
              "mailto:a@example.com,mailto:a@example.com,");
    const struct ink_finding *dg;

    (void)state;
    dg = find_diag(r, "uri-no-scheme");
    assert_non_null(dg);
    assert_int_equal(dg->offset, 22);
    assert_non_null(strstr(dg->message, "mailto:dmarc@example.com"));
    assert_non_null(find_diag(r, "bad-uri"));
    assert_non_null(find_diag(r, "bad-mailto"));
    assert_non_null(find_diag(r, "uri-scheme"));
    assert_non_null(find_diag(r, "duplicate-uri"));
    assert_non_null(find_diag(r, "empty-uri"));
    assert_int_equal(r->nrua, 2);
    assert_string_equal(r->rua[0].scheme, "https");
    assert_string_equal(r->rua[0].host, "reports.example.org");
    assert_null(r->rua[0].address);
    assert_string_equal(r->rua[1].address, "a@example.com");
    ink_dmarc_record_free(r);
}

static void test_serialize(void **state)
{
    const char *text = "v=DMARC1; rf=afrf; fo=d:1; ruf=mailto:f@example.com; "
                       "rua=mailto:a@example.com!20k; aspf=s; p=quarantine; pct=50; t=n";
    struct ink_dmarc_record *r = parse(text), *r2;
    struct ink_str s = INK_STR_INIT;

    (void)state;
    assert_int_equal(ink_dmarc_record_serialize(r, 0, &s), 0);
    assert_string_equal(ink_str_cstr(&s),
                        "v=DMARC1; p=quarantine; t=n; aspf=s; rua=mailto:a@example.com; "
                        "ruf=mailto:f@example.com; fo=1:d");
    ink_str_truncate(&s, 0);
    assert_int_equal(ink_dmarc_record_serialize(r, INK_DMARC_SER_OBSOLETE, &s), 0);
    assert_string_equal(ink_str_cstr(&s),
                        "v=DMARC1; p=quarantine; t=n; aspf=s; pct=50; "
                        "rua=mailto:a@example.com!20k; ruf=mailto:f@example.com; fo=1:d; "
                        "rf=afrf");
    /* the serialized text parses back to the same record */
    r2 = parse(ink_str_cstr(&s));
    assert_int_equal(r2->nerrors, 0);
    assert_int_equal(r2->p, r->p);
    assert_int_equal(r2->fo, r->fo);
    assert_int_equal(r2->rua[0].max_size, 20 * 1024);
    ink_dmarc_record_free(r2);
    ink_dmarc_record_free(r);
    ink_str_free(&s);

    /* built by hand, as provisioning does */
    r = ink_dmarc_record_new();
    r->p = INK_DMARC_P_NONE;
    assert_int_equal(ink_dmarc_record_add_uri(r, 0, "mailto:dmarc@example.com"), 0);
    assert_int_equal(ink_dmarc_record_add_uri(r, 0, "not a uri"), -1);
    assert_int_equal(r->ndiag, 0);
    assert_int_equal(ink_dmarc_record_serialize(r, 0, &s), 0);
    assert_string_equal(ink_str_cstr(&s), "v=DMARC1; p=none; rua=mailto:dmarc@example.com");
    ink_dmarc_record_free(r);
    ink_str_free(&s);
}

static void test_walk_targets(void **state)
{
    const char *t[INK_DMARC_WALK_QUERIES_MAX];
    static const char *const want[] = {
        "a.b.c.d.e.f.g.h.i.j.mail.example.com", "g.h.i.j.mail.example.com",
        "h.i.j.mail.example.com", "i.j.mail.example.com", "j.mail.example.com",
        "mail.example.com", "example.com", "com",
    };
    size_t n, i;

    (void)state;
    n = ink_dmarc_walk_targets(want[0], t, INK_DMARC_WALK_QUERIES_MAX);
    assert_int_equal(n, 8);
    for (i = 0; i < n; i++)
        assert_string_equal(t[i], want[i]);
    /* exactly 8 labels: itself, then 7 down to 1 */
    n = ink_dmarc_walk_targets("a.b.c.d.e.f.example.com", t, INK_DMARC_WALK_QUERIES_MAX);
    assert_int_equal(n, 8);
    assert_string_equal(t[1], "b.c.d.e.f.example.com");
    n = ink_dmarc_walk_targets("a.mail.example.com", t, INK_DMARC_WALK_QUERIES_MAX);
    assert_int_equal(n, 4);
    assert_string_equal(t[3], "com");
}

/* run - drive a discovery from zone z; returns it (caller frees) and
 * stores the names asked (joined by spaces) in asked */
static struct ink_dmarc_disc *run(const struct ink_memzone *z, const char *domain,
                                  enum ink_dmarc_org_mode mode, const void *psl,
                                  struct ink_str *asked)
{
    struct ink_dmarc_disc *d = ink_dmarc_disc_new(domain, mode, psl, 0);
    struct ink_query q, q2;
    int guard = 0;

    assert_non_null(d);
    while (ink_dmarc_disc_next(d, &q) == INK_NEXT_READY) {
        struct ink_dns_answer *a = ink_memzone_lookup(z, q.name, q.type);

        assert_non_null(a);
        assert_int_equal(q.type, INK_DNS_TXT);
        /* one at a time: nothing more until this one is fed */
        assert_int_equal(ink_dmarc_disc_next(d, &q2), INK_NEXT_WAIT);
        if (asked != NULL)
            ink_str_printf(asked, "%s%s", asked->len ? " " : "", q.name);
        assert_int_equal(ink_dmarc_disc_feed(d, q.token, a), 0);
        ink_dns_answer_free(a);
        assert_true(++guard < 40);
    }
    assert_int_equal(ink_dmarc_disc_next(d, &q), INK_NEXT_DONE);
    return d;
}

static void txt(struct ink_memzone *z, const char *owner, const char *text)
{
    assert_int_equal(ink_memzone_add_txt1(z, owner, INK_DNS_TXT, 300, text, strlen(text)), 0);
}

/* draft section 4.10.2 example 1: records at mail.example.com and
 * example.com, none at a.mail.example.com or com: org is example.com */
static void test_discovery_org_fewest_labels(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_str asked = INK_STR_INIT;
    struct ink_dmarc_disc *d;
    const struct ink_dmarc_result *res;

    (void)state;
    txt(z, "_dmarc.mail.example.com", "v=DMARC1; p=none");
    txt(z, "_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; np=reject");
    txt(z, "_dmarc.example.com", "some other text");
    d = run(z, "a.mail.example.com", INK_DMARC_ORG_TREEWALK, NULL, &asked);
    res = ink_dmarc_disc_result(d);
    assert_int_equal(res->status, INK_DMARC_DISC_FOUND);
    assert_string_equal(res->org_domain, "example.com");
    assert_string_equal(res->policy_domain, "example.com");
    assert_true(res->inherited);
    assert_false(res->from_psd);
    assert_int_equal(res->policy, INK_DMARC_P_QUARANTINE);
    assert_int_equal(res->np_policy, INK_DMARC_P_REJECT);
    assert_string_equal(ink_str_cstr(&asked), "_dmarc.a.mail.example.com _dmarc.mail.example.com "
                                              "_dmarc.example.com _dmarc.com");
    assert_int_equal(res->nlookups, 4);
    assert_int_equal(res->lookups[2].nother, 1);
    ink_dmarc_disc_free(d);

    /* the domain's own record applies; the walk still finds the org */
    ink_str_truncate(&asked, 0);
    d = run(z, "mail.example.com", INK_DMARC_ORG_TREEWALK, NULL, &asked);
    res = ink_dmarc_disc_result(d);
    assert_string_equal(res->policy_domain, "mail.example.com");
    assert_false(res->inherited);
    assert_int_equal(res->policy, INK_DMARC_P_NONE);
    assert_string_equal(res->org_domain, "example.com");
    ink_dmarc_disc_free(d);
    ink_str_free(&asked);
    ink_memzone_free(z);
}

/* example 2: psd=n at mail.example.com makes it the org, and stops */
static void test_discovery_psd_n(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_str asked = INK_STR_INIT;
    struct ink_dmarc_disc *d;
    const struct ink_dmarc_result *res;

    (void)state;
    txt(z, "_dmarc.mail.example.com", "v=DMARC1; p=reject; psd=n");
    txt(z, "_dmarc.example.com", "v=DMARC1; p=none");
    d = run(z, "a.mail.example.com", INK_DMARC_ORG_TREEWALK, NULL, &asked);
    res = ink_dmarc_disc_result(d);
    assert_string_equal(res->org_domain, "mail.example.com");
    assert_string_equal(res->policy_domain, "mail.example.com");
    assert_int_equal(res->policy, INK_DMARC_P_REJECT);
    assert_string_equal(ink_str_cstr(&asked), "_dmarc.a.mail.example.com _dmarc.mail.example.com");
    ink_dmarc_disc_free(d);
    ink_str_free(&asked);
    ink_memzone_free(z);
}

/* example 3: only _dmarc.com with psd=y: org is example.com, and the PSD
 * policy applies */
static void test_discovery_psd_y(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_dmarc_disc *d;
    const struct ink_dmarc_result *res;

    (void)state;
    txt(z, "_dmarc.com", "v=DMARC1; p=reject; psd=y; np=reject; sp=none");
    d = run(z, "a.mail.example.com", INK_DMARC_ORG_TREEWALK, NULL, NULL);
    res = ink_dmarc_disc_result(d);
    assert_int_equal(res->status, INK_DMARC_DISC_FOUND);
    assert_string_equal(res->org_domain, "example.com");
    assert_string_equal(res->policy_domain, "com");
    assert_true(res->from_psd);
    assert_int_equal(res->policy, INK_DMARC_P_NONE);
    assert_int_equal(res->np_policy, INK_DMARC_P_REJECT);
    ink_dmarc_disc_free(d);
    ink_memzone_free(z);
}

/* long names are cut to 7 labels; two records at one name are discarded;
 * nothing anywhere means DMARC does not apply */
static void test_discovery_long_and_none(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_str asked = INK_STR_INIT;
    struct ink_dmarc_disc *d;
    const struct ink_dmarc_result *res;

    (void)state;
    txt(z, "_dmarc.example.com", "v=DMARC1; p=reject");
    txt(z, "_dmarc.example.com", "v=DMARC1; p=none");
    d = run(z, "a.b.c.d.e.f.g.h.i.j.mail.example.com", INK_DMARC_ORG_TREEWALK, NULL, &asked);
    res = ink_dmarc_disc_result(d);
    assert_int_equal(res->status, INK_DMARC_DISC_NONE);
    assert_string_equal(res->org_domain, "a.b.c.d.e.f.g.h.i.j.mail.example.com");
    assert_int_equal(res->nlookups, 8);
    assert_int_equal(res->lookups[6].nrecords, 2);
    assert_null(res->lookups[6].record);
    assert_non_null(strstr(ink_str_cstr(&asked),
                           "_dmarc.a.b.c.d.e.f.g.h.i.j.mail.example.com "
                           "_dmarc.g.h.i.j.mail.example.com _dmarc.h.i.j"));
    ink_dmarc_disc_free(d);
    ink_str_free(&asked);
    ink_memzone_free(z);
}

static void test_discovery_temperror_badname(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_dmarc_disc *d;
    const struct ink_dmarc_result *res;

    (void)state;
    assert_int_equal(ink_memzone_set_fault(z, "_dmarc.example.com", 0, INK_DNS_TIMEOUT), 0);
    d = run(z, "mail.example.com", INK_DMARC_ORG_TREEWALK, NULL, NULL);
    res = ink_dmarc_disc_result(d);
    assert_int_equal(res->status, INK_DMARC_DISC_TEMPERROR);
    assert_string_equal(res->temperror_name, "_dmarc.example.com");
    ink_dmarc_disc_free(d);

    /* the domain's own record is found: it applies despite the failure above */
    txt(z, "_dmarc.mail.example.com", "v=DMARC1; p=reject");
    d = run(z, "mail.example.com", INK_DMARC_ORG_TREEWALK, NULL, NULL);
    res = ink_dmarc_disc_result(d);
    assert_int_equal(res->status, INK_DMARC_DISC_FOUND);
    assert_int_equal(res->policy, INK_DMARC_P_REJECT);
    assert_string_equal(res->temperror_name, "_dmarc.example.com");
    assert_string_equal(res->org_domain, "mail.example.com");
    ink_dmarc_disc_free(d);

    d = run(z, "bad..name", INK_DMARC_ORG_TREEWALK, NULL, NULL);
    assert_int_equal(ink_dmarc_disc_result(d)->status, INK_DMARC_DISC_BADNAME);
    ink_dmarc_disc_free(d);
    ink_memzone_free(z);
}

/* What run_bad() feeds in place of the answer to query number k. */
enum bad { BAD_NULL, BAD_OTHER_NAME, BAD_WRONG_TYPE, BAD_STALE };

/* run_bad - run a discovery from z, with query k answered badly; the
 * protocol rules are checked on the way */
static struct ink_dmarc_disc *run_bad(const struct ink_memzone *z, const char *domain,
                                      size_t k, enum bad how)
{
    struct ink_dmarc_disc *d = ink_dmarc_disc_new(domain, INK_DMARC_ORG_TREEWALK, NULL, 0);
    struct ink_query q, q2;
    uint32_t last = 0;
    size_t n = 0;

    assert_non_null(d);
    while (ink_dmarc_disc_next(d, &q) == INK_NEXT_READY) {
        struct ink_dns_answer *a = ink_memzone_lookup(z, q.name, q.type);

        assert_non_null(a);
        assert_int_equal(ink_dmarc_disc_next(d, &q2), INK_NEXT_WAIT);
        /* a token that is not the one outstanding changes nothing */
        assert_int_equal(ink_dmarc_disc_feed(d, q.token + 1, a), -1);
        if (n == k && how == BAD_NULL) {
            assert_int_equal(ink_dmarc_disc_feed(d, q.token, NULL), 0);
        } else if (n == k && how == BAD_OTHER_NAME) {
            struct ink_dns_answer *o = ink_memzone_lookup(z, "_dmarc.example.com", INK_DNS_TXT);
            free(o->qname);
            o->qname = strdup("_dmarc.other.example");
            assert_int_equal(ink_dmarc_disc_feed(d, q.token, o), 0);
            ink_dns_answer_free(o);
        } else if (n == k && how == BAD_WRONG_TYPE) {
            a->qtype = INK_DNS_SPF;
            assert_int_equal(ink_dmarc_disc_feed(d, q.token, a), 0);
        } else {
            if (n == k && how == BAD_STALE && last != 0)
                assert_int_equal(ink_dmarc_disc_feed(d, last, a), -1);
            assert_int_equal(ink_dmarc_disc_feed(d, q.token, a), 0);
        }
        /* the same token again is stale */
        assert_int_equal(ink_dmarc_disc_feed(d, q.token, a), -1);
        last = q.token;
        ink_dns_answer_free(a);
        assert_true(++n < 40);
    }
    assert_int_equal(ink_dmarc_disc_next(d, &q), INK_NEXT_DONE);
    return d;
}

/* The query protocol: a NULL answer (it used to be dereferenced), an
 * answer for another name or of another type are temporary failures by
 * the discovery's own rules; stale and unknown tokens are refused. */
static void test_discovery_bad_answers(void **state)
{
    static const enum bad hows[] = {BAD_NULL, BAD_OTHER_NAME, BAD_WRONG_TYPE};
    struct ink_memzone *z = ink_memzone_new();
    struct ink_dmarc_disc *d;
    const struct ink_dmarc_result *res;
    size_t h;

    (void)state;
    txt(z, "_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:a@agg.example.net");
    txt(z, "example.com._report._dmarc.agg.example.net", "v=DMARC1");
    /* baseline: mail.example.com inherits; the destination is authorized */
    d = run_bad(z, "mail.example.com", 99, BAD_STALE);
    res = ink_dmarc_disc_result(d);
    assert_int_equal(res->status, INK_DMARC_DISC_FOUND);
    assert_int_equal(res->ndests, 1);
    assert_int_equal(res->dests[0].status, INK_DMARC_DEST_AUTHORIZED);
    ink_dmarc_disc_free(d);
    /* a stale token at every query changes nothing */
    for (h = 0; h < 4; h++) {
        d = run_bad(z, "mail.example.com", h, BAD_STALE);
        res = ink_dmarc_disc_result(d);
        assert_int_equal(res->status, INK_DMARC_DISC_FOUND);
        assert_int_equal(res->dests[0].status, INK_DMARC_DEST_AUTHORIZED);
        ink_dmarc_disc_free(d);
    }
    for (h = 0; h < sizeof(hows) / sizeof(hows[0]); h++) {
        /* the domain's own name fails: temperror */
        d = run_bad(z, "mail.example.com", 0, hows[h]);
        res = ink_dmarc_disc_result(d);
        assert_int_equal(res->status, INK_DMARC_DISC_TEMPERROR);
        assert_string_equal(res->temperror_name, "_dmarc.mail.example.com");
        assert_int_equal(res->nlookups, 1);
        assert_int_equal(res->lookups[0].status,
                         hows[h] == BAD_NULL ? INK_DNS_TIMEOUT : INK_DNS_SERVFAIL);
        assert_null(res->record);
        ink_dmarc_disc_free(d);
        /* the organizational domain's name fails: temperror too */
        d = run_bad(z, "mail.example.com", 1, hows[h]);
        res = ink_dmarc_disc_result(d);
        assert_int_equal(res->status, INK_DMARC_DISC_TEMPERROR);
        assert_string_equal(res->temperror_name, "_dmarc.example.com");
        ink_dmarc_disc_free(d);
        /* the domain's own record is in: it applies, the failure is noted */
        d = run_bad(z, "example.com", 1, hows[h]);
        res = ink_dmarc_disc_result(d);
        assert_int_equal(res->status, INK_DMARC_DISC_FOUND);
        assert_string_equal(res->policy_domain, "example.com");
        assert_string_equal(res->temperror_name, "_dmarc.com");
        ink_dmarc_disc_free(d);
        /* the destination check fails: that destination is temperror */
        d = run_bad(z, "example.com", 2, hows[h]);
        res = ink_dmarc_disc_result(d);
        assert_int_equal(res->status, INK_DMARC_DISC_FOUND);
        assert_null(res->temperror_name);
        assert_int_equal(res->ndests, 1);
        assert_int_equal(res->dests[0].status, INK_DMARC_DEST_TEMPERROR);
        ink_dmarc_disc_free(d);
    }
    /* the machine table */
    d = ink_dmarc_disc_new("example.com", INK_DMARC_ORG_TREEWALK, NULL, 0);
    {
        struct ink_machine m = ink_dmarc_disc_machine(d);
        struct ink_query q;
        assert_string_equal(m.ops->kind, "dmarc");
        while (ink_machine_next(m, &q) == INK_NEXT_READY)
            assert_int_equal(ink_machine_feed(m, q.token, NULL), 0);
        assert_int_equal(ink_machine_next(m, &q), INK_NEXT_DONE);
        assert_int_equal(ink_dmarc_disc_result(d)->status, INK_DMARC_DISC_TEMPERROR);
    }
    ink_dmarc_disc_free(d);
    ink_memzone_free(z);
}

static void test_report_destinations(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_str asked = INK_STR_INIT;
    struct ink_dmarc_disc *d;
    const struct ink_dmarc_result *res;
    size_t i;
    int seen = 0;

    (void)state;
    txt(z, "_dmarc.example.com",
        "v=DMARC1; p=reject; rua=mailto:d@example.com,mailto:x@reports.example.com,"
        "mailto:a@agg.example.net,mailto:b@nobody.example.org; ruf=mailto:f@wild.example.org");
    txt(z, "example.com._report._dmarc.agg.example.net",
        "v=DMARC1; rua=mailto:other@agg.example.net");
    txt(z, "*._report._dmarc.wild.example.org", "v=DMARC1");
    d = run(z, "example.com", INK_DMARC_ORG_TREEWALK, NULL, &asked);
    res = ink_dmarc_disc_result(d);
    assert_int_equal(res->ndests, 5);
    for (i = 0; i < res->ndests; i++) {
        const struct ink_dmarc_dest *t = &res->dests[i];

        if (strcmp(t->host, "example.com") == 0 || strcmp(t->host, "reports.example.com") == 0) {
            assert_int_equal(t->status, INK_DMARC_DEST_INTERNAL);
            seen |= 1;
        } else if (strcmp(t->host, "agg.example.net") == 0) {
            assert_int_equal(t->status, INK_DMARC_DEST_AUTHORIZED);
            assert_string_equal(t->override_rua, "mailto:other@agg.example.net");
            seen |= 2;
        } else if (strcmp(t->host, "nobody.example.org") == 0) {
            assert_int_equal(t->status, INK_DMARC_DEST_UNAUTHORIZED);
            assert_string_equal(t->qname, "example.com._report._dmarc.nobody.example.org");
            seen |= 4;
        } else {
            assert_string_equal(t->host, "wild.example.org");
            assert_int_equal(t->status, INK_DMARC_DEST_AUTHORIZED);
            assert_true(t->in_ruf);
            seen |= 8;
        }
    }
    assert_int_equal(seen, 15);
    assert_string_equal(ink_str_cstr(&asked),
                        "_dmarc.example.com _dmarc.com "
                        "example.com._report._dmarc.agg.example.net "
                        "example.com._report._dmarc.nobody.example.org "
                        "example.com._report._dmarc.wild.example.org");
    ink_dmarc_disc_free(d);
    ink_str_free(&asked);
    ink_memzone_free(z);
}

/* PSL mode: the registrable domain from the list; two queries at most */
static void test_discovery_psl(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_str asked = INK_STR_INIT;
    struct ink_dmarc_disc *d;
    const struct ink_dmarc_result *res;
    psl_ctx_t *psl = psl_load_file("/usr/share/publicsuffix/public_suffix_list.dat");

    (void)state;
    if (psl == NULL)
        skip();
    txt(z, "_dmarc.example.co.uk", "v=DMARC1; p=quarantine");
    /* a tree walk would stop here (psd=n); PSL mode never asks it */
    txt(z, "_dmarc.b.example.co.uk", "v=DMARC1; p=none; psd=n");
    d = run(z, "a.b.example.co.uk", INK_DMARC_ORG_PSL, psl, &asked);
    res = ink_dmarc_disc_result(d);
    assert_int_equal(res->status, INK_DMARC_DISC_FOUND);
    assert_string_equal(res->org_domain, "example.co.uk");
    assert_string_equal(res->policy_domain, "example.co.uk");
    assert_int_equal(res->policy, INK_DMARC_P_QUARANTINE);
    assert_string_equal(ink_str_cstr(&asked), "_dmarc.a.b.example.co.uk _dmarc.example.co.uk");
    ink_dmarc_disc_free(d);

    /* the same name by tree walk finds b.example.co.uk (psd=n) */
    d = run(z, "a.b.example.co.uk", INK_DMARC_ORG_TREEWALK, NULL, NULL);
    assert_string_equal(ink_dmarc_disc_result(d)->org_domain, "b.example.co.uk");
    ink_dmarc_disc_free(d);
    ink_str_free(&asked);
    psl_free(psl);
    ink_memzone_free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_full),
        cmocka_unit_test(test_not_dmarc),
        cmocka_unit_test(test_bad_values_offsets),
        cmocka_unit_test(test_obsolete_unknown_duplicate),
        cmocka_unit_test(test_missing_p),
        cmocka_unit_test(test_uris),
        cmocka_unit_test(test_serialize),
        cmocka_unit_test(test_walk_targets),
        cmocka_unit_test(test_discovery_org_fewest_labels),
        cmocka_unit_test(test_discovery_psd_n),
        cmocka_unit_test(test_discovery_psd_y),
        cmocka_unit_test(test_discovery_long_and_none),
        cmocka_unit_test(test_discovery_temperror_badname),
        cmocka_unit_test(test_report_destinations),
        cmocka_unit_test(test_discovery_bad_answers),
        cmocka_unit_test(test_discovery_psl),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
