/*
 * test_report_sim.c - `inkan report simulate`'s two halves: the store's
 * report_rows (rows of a domain and period with their auth results and
 * published policy, SQLite) and the simulation machine (inkan/report_sim.h)
 * over an in-memory zone: a proposed SPF record flips a source to pass and
 * another to fail while the zone's own record is never read; rows of
 * another domain's SPF stay as reported; a temporary DNS failure is a
 * temperror; a proposed DMARC record changes dispositions (p, pct, t=y) and
 * alignment (aspf=s); proposals that are not records are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <unistd.h>

#include "inkan/driver.h"
#include "inkan/memzone.h"
#include "inkan/report_sim.h"
#include "inkan/resolver.h"
#include "inkan/store.h"

#include "tmpdir.h"

#define DAY1 1764547200
#define DAY2 (DAY1 + 86400)

/* store_report - one report of domain beginning at begin with the given
 * records, committed */
static void store_report(struct ink_store *st, const char *id, const char *domain, int64_t begin,
                         const struct ink_report_record *recs, size_t n)
{
    struct ink_report_meta m;
    struct ink_str err = INK_STR_INIT;
    char sha[INK_STORE_SHA256_HEX];
    size_t i;

    memset(&m, 0, sizeof(m));
    m.org_name = "receiver.test";
    m.report_id = id;
    m.begin = begin;
    m.end = begin + 86399;
    m.domain = domain;
    m.adkim = 'r';
    m.aspf = 's';
    m.p = "quarantine";
    m.pct = 50;
    assert_int_equal(ink_store_report_begin(st, &m, "test", &err), 0);
    for (i = 0; i < n; i++)
        assert_int_equal(ink_store_report_record(st, &recs[i], &err), 0);
    snprintf(sha, sizeof(sha), "%064zx", (size_t)begin + strlen(id) + (size_t)id[0]);
    assert_int_equal(ink_store_report_commit(st, sha, 100, NULL, &err), 0);
    ink_str_free(&err);
}

/* test_store_rows - rows of a domain and period, with auth and policy */
static void test_store_rows(void **state)
{
    struct ink_store *st;
    struct ink_str err = INK_STR_INIT;
    struct ink_report_record r[2];
    struct ink_report_row *rows;
    char path[300];
    size_t n;

    (void)state;
    snprintf(path, sizeof(path), "%s/rows.db", test_tmpdir());
    st = ink_store_sqlite_open(path, &err);
    assert_non_null(st);
    memset(r, 0, sizeof(r));
    r[0].source_ip = "192.0.2.1";
    r[0].count = 7;
    r[0].disposition = "none";
    r[0].dkim = "pass";
    r[0].spf = "fail";
    r[0].header_from = "example.com";
    r[0].envelope_from = "bounce.example.com";
    r[0].ndkim = 1;
    r[0].dkim_auth[0].domain = "example.com";
    r[0].dkim_auth[0].selector = "s1";
    r[0].dkim_auth[0].result = "pass";
    r[0].nspf = 1;
    r[0].spf_auth[0].domain = "bounce.example.com";
    r[0].spf_auth[0].scope = "mfrom";
    r[0].spf_auth[0].result = "softfail";
    r[1].source_ip = "198.51.100.9";
    r[1].count = 3;
    r[1].header_from = "example.com";
    store_report(st, "one", "example.com", DAY1, r, 2);
    store_report(st, "two", "example.com", DAY2, r + 1, 1);
    store_report(st, "three", "example.net", DAY1, r, 1);

    assert_int_equal(ink_store_report_rows(st, "example.com", 0, INT64_MAX, &rows, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(rows[0].source_ip, "192.0.2.1");
    assert_true(rows[0].count == 7);
    assert_int_equal(rows[0].begin, DAY1);
    assert_string_equal(rows[0].org_name, "receiver.test");
    assert_string_equal(rows[0].p, "quarantine");
    assert_null(rows[0].sp);
    assert_int_equal(rows[0].pct, 50);
    assert_int_equal(rows[0].aspf, 's');
    assert_int_equal(rows[0].adkim, 'r');
    assert_string_equal(rows[0].dkim, "pass");
    assert_string_equal(rows[0].envelope_from, "bounce.example.com");
    assert_int_equal(rows[0].nauth, 2);
    assert_string_equal(ink_report_row_spf_domain(&rows[0]), "bounce.example.com");
    assert_int_equal(rows[1].nauth, 0);
    assert_null(rows[1].disposition);
    assert_null(ink_report_row_spf_domain(&rows[1]));
    assert_int_equal(rows[2].begin, DAY2);
    assert_string_equal(rows[2].source_ip, "198.51.100.9");
    ink_report_rows_free(rows, n);

    /* the period: reports overlapping [since, until) */
    assert_int_equal(ink_store_report_rows(st, "example.com", DAY2, INT64_MAX, &rows, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].begin, DAY2);
    ink_report_rows_free(rows, n);
    assert_int_equal(ink_store_report_rows(st, "example.com", 0, DAY1, &rows, &n, &err), 0);
    assert_int_equal(n, 0);
    ink_report_rows_free(rows, n);
    assert_int_equal(ink_store_report_rows(st, "example.com", 0, DAY1 + 1, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    ink_report_rows_free(rows, n);
    assert_int_equal(ink_store_report_rows(st, "nothing.example", 0, INT64_MAX, &rows, &n, &err),
                     0);
    assert_int_equal(n, 0);
    assert_null(rows);
    ink_store_free(st);
    ink_str_free(&err);
}

/* Rows built by hand: a tiny arena, freed by ink_report_rows_free. */
static char *dup0(const char *s)
{
    char *d = s != NULL ? strdup(s) : NULL;

    assert_true(s == NULL || d != NULL);
    return d;
}

/* row - fill r: ip, count, policy_evaluated dkim/spf, SPF domain and result
 * (NULL: none reported), DKIM d= and result (NULL: none) */
static void row(struct ink_report_row *r, const char *ip, uint64_t count, const char *dkim,
                const char *spf, const char *spf_domain, const char *spf_result,
                const char *dkim_domain, const char *dkim_result)
{
    memset(r, 0, sizeof(*r));
    r->begin = DAY1;
    r->end = DAY1 + 86399;
    r->org_name = dup0("receiver.test");
    r->adkim = 'r';
    r->aspf = 'r';
    r->p = dup0("none");
    r->pct = -1;
    r->source_ip = dup0(ip);
    r->count = count;
    r->disposition = dup0("none");
    r->dkim = dup0(dkim);
    r->spf = dup0(spf);
    r->header_from = dup0("example.com");
    r->auth = calloc(2, sizeof(*r->auth));
    assert_non_null(r->auth);
    if (spf_domain != NULL) {
        r->auth[r->nauth].kind = 's';
        r->auth[r->nauth].domain = dup0(spf_domain);
        r->auth[r->nauth].scope = dup0("mfrom");
        r->auth[r->nauth].result = dup0(spf_result);
        r->nauth++;
    }
    if (dkim_domain != NULL) {
        r->auth[r->nauth].kind = 'd';
        r->auth[r->nauth].domain = dup0(dkim_domain);
        r->auth[r->nauth].selector = dup0("k1");
        r->auth[r->nauth].result = dup0(dkim_result);
        r->nauth++;
    }
}

/* The rows of the simulations below: 
 *   0 192.0.2.10     30 aligned (SPF example.com pass, DKIM example.com pass)
 *   1 198.51.100.20   8 SPF example.com fail: the proposal's include adds it
 *   2 192.0.2.77      6 SPF example.com pass, DKIM fail: the proposal drops it
 *   3 2001:db8::25    5 SPF bounce.esp.test pass, DKIM esp.test: another domain
 *   4 203.0.113.9     4 SPF example.com softfail: the proposal's -all fails it
 *   5 192.0.2.10      2 SPF bounce.example.com pass (relaxed aligned), DKIM fail
 */
#define NROWS 6
static struct ink_report_row *make_rows(void)
{
    struct ink_report_row *r = calloc(NROWS, sizeof(*r));

    assert_non_null(r);
    row(&r[0], "192.0.2.10", 30, "pass", "pass", "example.com", "pass", "example.com", "pass");
    row(&r[1], "198.51.100.20", 8, "fail", "fail", "example.com", "fail", NULL, NULL);
    row(&r[2], "192.0.2.77", 6, "fail", "pass", "example.com", "pass", NULL, NULL);
    row(&r[3], "2001:db8::25", 5, "fail", "fail", "bounce.esp.test", "pass", "esp.test", "pass");
    row(&r[4], "203.0.113.9", 4, "fail", "fail", "example.com", "softfail", NULL, NULL);
    row(&r[5], "192.0.2.10", 2, "fail", "pass", "bounce.example.com", "pass", NULL, NULL);
    return r;
}

/* zone - what DNS says: example.com's current record (never read when a
 * record is proposed), the partner's include, the bounce subdomain */
static struct ink_memzone *zone(void)
{
    struct ink_memzone *z = ink_memzone_new();
    static const char cur[] = "v=spf1 ip4:0.0.0.0/0 -all";
    static const char partner[] = "v=spf1 ip4:198.51.100.0/24 -all";
    static const char bounce[] = "v=spf1 ip4:192.0.2.0/24 -all";

    assert_non_null(z);
    assert_int_equal(ink_memzone_add_txt1(z, "example.com", INK_DNS_TXT, 300, cur, strlen(cur)), 0);
    assert_int_equal(ink_memzone_add_txt1(z, "_spf.partner.test", INK_DNS_TXT, 300, partner,
                                          strlen(partner)), 0);
    assert_int_equal(ink_memzone_add_txt1(z, "bounce.example.com", INK_DNS_TXT, 300, bounce,
                                          strlen(bounce)), 0);
    return z;
}

/* run - simulate rows under spf/dmarc over z; caller frees the sim */
static struct ink_sim *run(struct ink_memzone *z, const struct ink_report_row *rows, size_t n,
                           const char *spf, const char *dmarc)
{
    struct ink_sim_opts o;
    struct ink_str err = INK_STR_INIT;
    struct ink_resolver *r = ink_resolver_memzone_new(z, 0);
    struct ink_sim *s;

    assert_non_null(r);
    memset(&o, 0, sizeof(o));
    o.domain = "example.com";
    o.spf = spf;
    o.dmarc = dmarc;
    o.now = DAY2;
    s = ink_sim_new(&o, rows, n, &err);
    assert_non_null(s);
    assert_int_equal(ink_drive_sync(r, ink_sim_machine(s), NULL), INK_NEXT_DONE);
    ink_resolver_free(r);
    ink_str_free(&err);
    return s;
}

/* find - the change of ip with direction dir, or NULL */
static const struct ink_sim_change *find(const struct ink_sim *s, const char *ip,
                                         const char *disp_new)
{
    size_t i;

    for (i = 0; i < ink_sim_nchanges(s); i++) {
        const struct ink_sim_change *c = ink_sim_change(s, i);
        if (strcmp(c->ip, ip) == 0 && (disp_new == NULL || strcmp(c->disp_new, disp_new) == 0))
            return c;
    }
    return NULL;
}

#define PROPOSED "v=spf1 ip4:192.0.2.10 include:_spf.partner.test -all"

/* test_sim_spf - a proposed SPF record, both directions */
static void test_sim_spf(void **state)
{
    struct ink_report_row *rows = make_rows();
    struct ink_memzone *z = zone();
    struct ink_sim *s = run(z, rows, NROWS, PROPOSED, NULL);
    const struct ink_sim_totals *t = ink_sim_totals(s);
    const struct ink_sim_change *c;

    (void)state;
    assert_true(t->messages == 55);
    assert_true(t->rows == NROWS);
    /* 4 pairs of example.com's tree (the bounce subdomain is one) */
    assert_int_equal(t->pairs, 5);
    assert_true(t->spf_evaluated == 50);
    assert_true(t->spf_kept == 5);
    assert_true(t->dmarc_pass_old == 38);
    assert_true(t->dmarc_pass_new == 40);
    assert_true(t->newly_passing == 8);
    assert_true(t->newly_failing == 6);
    assert_int_equal(t->sources_newly_passing, 1);
    assert_int_equal(t->sources_newly_failing, 1);
    assert_true(t->disposition_changed == 0);
    assert_int_equal(ink_sim_nchanges(s), 3);
    c = ink_sim_change(s, 0); /* most messages first */
    assert_string_equal(c->ip, "198.51.100.20");
    assert_true(c->messages == 8);
    assert_string_equal(c->spf_domain, "example.com");
    assert_string_equal(c->spf_old, "fail");
    assert_string_equal(c->spf_new, "pass");
    assert_string_equal(c->dmarc_old, "fail");
    assert_string_equal(c->dmarc_new, "pass");
    assert_string_equal(c->direction, "newly-passing");
    c = find(s, "192.0.2.77", NULL);
    assert_non_null(c);
    assert_string_equal(c->spf_new, "fail");
    assert_string_equal(c->direction, "newly-failing");
    assert_string_equal(c->disp_old, "none");
    assert_string_equal(c->disp_new, "none"); /* p=none published: delivered still */
    c = find(s, "203.0.113.9", NULL);
    assert_non_null(c);
    assert_string_equal(c->spf_old, "softfail");
    assert_string_equal(c->spf_new, "fail");
    assert_string_equal(c->direction, "spf");
    assert_null(find(s, "2001:db8::25", NULL)); /* another domain's SPF: kept */
    ink_sim_free(s);

    /* the zone's own record (0.0.0.0/0) would pass all: never read */
    s = run(z, rows, NROWS, "v=spf1 -all", NULL);
    t = ink_sim_totals(s);
    assert_true(t->newly_failing == 6); /* 192.0.2.77; the others stay aligned by DKIM/bounce */
    assert_true(t->dmarc_pass_new == 32);
    ink_sim_free(s);

    /* a temporary failure of the include: temperror, not fail */
    assert_int_equal(ink_memzone_set_fault(z, "_spf.partner.test", 0, INK_DNS_TIMEOUT), 0);
    s = run(z, rows, NROWS, PROPOSED, NULL);
    t = ink_sim_totals(s);
    assert_true(t->spf_temperror == 8 + 6 + 4);
    c = find(s, "198.51.100.20", NULL);
    assert_non_null(c);
    assert_string_equal(c->spf_new, "temperror");
    assert_string_equal(c->dmarc_new, "temperror");
    ink_sim_free(s);
    ink_memzone_free(z);
    ink_report_rows_free(rows, NROWS);
}

/* test_sim_dmarc - a proposed DMARC record: p, pct, t=y, aspf=s */
static void test_sim_dmarc(void **state)
{
    struct ink_report_row *rows = make_rows();
    struct ink_memzone *z = zone();
    struct ink_sim *s;
    const struct ink_sim_totals *t;
    const struct ink_sim_change *c;

    (void)state;
    s = run(z, rows, NROWS, NULL, "v=DMARC1; p=reject");
    t = ink_sim_totals(s);
    assert_int_equal(t->pairs, 0); /* no SPF proposed: nothing asked */
    assert_true(t->disp_old[0] == 55);
    assert_true(t->disp_new[0] == 38);
    assert_true(t->disp_new[2] == 17); /* 8 + 5 + 4 */
    assert_true(t->disposition_changed == 17);
    c = find(s, "2001:db8::25", NULL);
    assert_non_null(c);
    assert_string_equal(c->direction, "disposition");
    assert_string_equal(c->disp_new, "reject");
    ink_sim_free(s);

    /* pct=50: half (rounded) rejected, the rest quarantined */
    s = run(z, rows, NROWS, NULL, "v=DMARC1; p=reject; pct=50");
    t = ink_sim_totals(s);
    assert_true(t->disp_new[2] == 4 + 3 + 2);
    assert_true(t->disp_new[1] == 4 + 2 + 2);
    c = find(s, "2001:db8::25", "reject");
    assert_non_null(c);
    assert_true(c->messages == 3);
    ink_sim_free(s);

    /* t=y: one level lower */
    s = run(z, rows, NROWS, NULL, "v=DMARC1; p=reject; t=y");
    t = ink_sim_totals(s);
    assert_true(t->disp_new[1] == 17);
    assert_true(t->disp_new[2] == 0);
    ink_sim_free(s);

    /* aspf=s: the bounce subdomain no longer aligns; DKIM d=esp.test never does */
    s = run(z, rows, NROWS, NULL, "v=DMARC1; p=quarantine; aspf=s; adkim=s");
    t = ink_sim_totals(s);
    assert_true(t->newly_failing == 2);
    c = find(s, "192.0.2.10", NULL);
    assert_non_null(c);
    assert_string_equal(c->spf_domain, "bounce.example.com");
    assert_string_equal(c->direction, "newly-failing");
    assert_string_equal(c->disp_new, "quarantine");
    ink_sim_free(s);

    /* both at once */
    s = run(z, rows, NROWS, PROPOSED, "v=DMARC1; p=reject");
    t = ink_sim_totals(s);
    assert_true(t->newly_passing == 8);
    assert_true(t->newly_failing == 6);
    assert_true(t->disp_new[2] == 6 + 5 + 4);
    ink_sim_free(s);
    ink_memzone_free(z);
    ink_report_rows_free(rows, NROWS);
}

/* test_sim_refused - proposals that are not records, no domain */
static void test_sim_refused(void **state)
{
    struct ink_sim_opts o;
    struct ink_str err = INK_STR_INIT;
    char big[INK_SIM_RECORD_MAX + 16];

    (void)state;
    memset(&o, 0, sizeof(o));
    o.domain = "example.com";
    o.spf = "spf1 -all";
    assert_null(ink_sim_new(&o, NULL, 0, &err));
    assert_non_null(strstr(ink_str_cstr(&err), "v=spf1"));
    ink_str_truncate(&err, 0);
    o.spf = NULL;
    o.dmarc = "p=reject";
    assert_null(ink_sim_new(&o, NULL, 0, &err));
    assert_non_null(strstr(ink_str_cstr(&err), "v=DMARC1"));
    ink_str_truncate(&err, 0);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "v=spf1 ", 7);
    o.dmarc = NULL;
    o.spf = big;
    assert_null(ink_sim_new(&o, NULL, 0, &err));
    assert_non_null(strstr(ink_str_cstr(&err), "longer"));
    ink_str_truncate(&err, 0);
    o.spf = "v=spf1 -all";
    o.domain = "bad..name";
    assert_null(ink_sim_new(&o, NULL, 0, &err));
    ink_str_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_rows),
        cmocka_unit_test(test_sim_spf),
        cmocka_unit_test(test_sim_dmarc),
        cmocka_unit_test(test_sim_refused),
    };
    return cmocka_run_group_tests(tests, NULL, test_tmpdir_cleanup);
}
