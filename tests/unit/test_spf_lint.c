/*
 * test_spf_lint.c - the SPF lint state machine driven from an in-memory
 * zone: every check fires on a crafted record and stays quiet on a clean
 * one; the fixes it proposes are records that lint clean of the same
 * problem; limits stop runaway trees; hostile bytes never crash it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/driver.h"
#include "inkan/memzone.h"
#include "inkan/resolver.h"
#include "inkan/spf.h"
#include "inkan/spf_lint.h"

/* Passes of step() a lint may take before the test calls it a hang. */
#define TEST_STEPS_MAX 100000

static struct ink_memzone *Z;

static void txt(const char *owner, const char *text)
{
    assert_int_equal(ink_memzone_add_txt1(Z, owner, INK_DNS_TXT, 300, text, strlen(text)), 0);
}

static void addr(const char *owner, const char *ip)
{
    assert_int_equal(ink_memzone_add_addr_text(Z, owner, 300, ip), 0);
}

/* the shared zone: a clean provider tree and assorted broken names */
static int setup(void **state)
{
    (void)state;
    Z = ink_memzone_new();
    assert_non_null(Z);
    txt("_spf.provider.example", "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:100::/48 -all");
    txt("_spf2.provider.example", "v=spf1 ip4:203.0.113.0/25 include:_spf.provider.example ~all");
    addr("mail.example.com", "192.0.2.25");
    assert_int_equal(ink_memzone_add_mx(Z, "example.com", 300, 10, "mail.example.com"), 0);
    txt("clean.example.com", "v=spf1 mx ip4:192.0.2.0/24 include:_spf.provider.example -all");
    assert_int_equal(ink_memzone_add_mx(Z, "clean.example.com", 300, 10, "mail.example.com"), 0);
    addr("host.example.com", "192.0.2.30");
    assert_int_equal(ink_memzone_set_fault(Z, "slow.example", 0, INK_DNS_TIMEOUT), 0);
    txt("noa.example", "some other text");
    /* deep chain d0 -> d1 -> ... */
    {
        char owner[64], rec[128];
        int i;

        for (i = 0; i < 30; i++) {
            snprintf(owner, sizeof(owner), "d%d.chain.example", i);
            snprintf(rec, sizeof(rec), "v=spf1 include:d%d.chain.example -all", i + 1);
            txt(owner, rec);
        }
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ink_memzone_free(Z);
    return 0;
}

/* run - run a lint to its end with the driver over Z */
static struct ink_spf_lint *run_lint(struct ink_spf_lint *l)
{
    struct ink_resolver *r = ink_resolver_memzone_new(Z, 0);

    assert_non_null(l);
    assert_non_null(r);
    assert_int_equal(ink_drive_sync(r, ink_spf_lint_machine(l), NULL), INK_NEXT_DONE);
    ink_resolver_free(r);
    return l;
}

/* A finding as the tests look at it: the shared finding type, with the
 * corrected record (fix) and its zone-file line when it needs more than
 * one string (zone), as `inkan spf lint` shows them. */
struct test_finding {
    enum ink_severity severity;
    const char *code, *message, *domain;
    long offset;
    size_t length;
    const char *fix, *zone;
};

/* Views handed out at once (a test holds a few findings at a time). */
#define TEST_VIEWS 8

/* tfinding - finding i of l as a test_finding (a static view, reused
 * after TEST_VIEWS calls), or NULL */
static const struct test_finding *tfinding(const struct ink_spf_lint *l, size_t i)
{
    static struct test_finding views[TEST_VIEWS];
    static size_t next;
    const struct ink_finding *f = ink_spf_lint_finding(l, i);
    struct test_finding *v = &views[next++ % TEST_VIEWS];

    if (f == NULL)
        return NULL;
    assert_string_equal(f->area, "spf");
    v->severity = f->severity;
    v->code = f->code;
    v->message = f->message;
    v->domain = f->subject;
    v->offset = f->offset;
    v->length = f->length;
    v->fix = ink_spf_lint_finding_record(l, i);
    /* the finding's fix is the zone-file line of the corrected record */
    assert_true((v->fix == NULL) == (f->fix == NULL));
    v->zone = v->fix != NULL && strlen(v->fix) > INK_SPF_LINT_STRING_MAX ? f->fix : NULL;
    return v;
}

static struct ink_spf_lint *lint_domain(const char *d)
{
    return run_lint(ink_spf_lint_new_domain(d));
}

static struct ink_spf_lint *lint_record(const char *d, const char *rec)
{
    return run_lint(ink_spf_lint_new_record(d, (const uint8_t *)rec, strlen(rec)));
}

/* find - the first finding with this code, or NULL */
static const struct test_finding *find(const struct ink_spf_lint *l, const char *code)
{
    size_t i;

    for (i = 0; i < ink_spf_lint_nfindings(l); i++)
        if (strcmp(tfinding(l, i)->code, code) == 0)
            return tfinding(l, i);
    return NULL;
}

static size_t count_sev(const struct ink_spf_lint *l, enum ink_severity s)
{
    size_t i, n = 0;

    for (i = 0; i < ink_spf_lint_nfindings(l); i++)
        if (tfinding(l, i)->severity == s)
            n++;
    return n;
}

static void dump(const struct ink_spf_lint *l)
{
    size_t i;

    for (i = 0; i < ink_spf_lint_nfindings(l); i++) {
        const struct test_finding *f = tfinding(l, i);

        print_message("  %s %s @%ld: %s%s%s\n", ink_severity_name(f->severity), f->code,
                      f->offset, f->message, f->fix ? " FIX: " : "", f->fix ? f->fix : "");
    }
}

/* expect - code is found with severity sev; returns the finding */
static const struct test_finding *expect(const struct ink_spf_lint *l, const char *code,
                                                 enum ink_severity sev)
{
    const struct test_finding *f = find(l, code);

    if (f == NULL) {
        print_message("missing %s in:\n", code);
        dump(l);
    }
    assert_non_null(f);
    assert_int_equal(f->severity, sev);
    return f;
}

/* clean - no warnings or errors at all */
static void expect_clean(const struct ink_spf_lint *l)
{
    if (count_sev(l, INK_SEV_ERROR) + count_sev(l, INK_SEV_WARNING) != 0)
        dump(l);
    assert_int_equal(count_sev(l, INK_SEV_ERROR), 0);
    assert_int_equal(count_sev(l, INK_SEV_WARNING), 0);
}

/* relint_without - the fix, linted as a record at domain, no longer has code
 * and parses cleanly */
static void relint_without(const char *domain, const char *fix, const char *code)
{
    struct ink_spf_lint *l;
    struct ink_spf_record *r;

    assert_non_null(fix);
    r = ink_spf_record_parse((const uint8_t *)fix, strlen(fix));
    assert_int_equal(ink_spf_record_nerrors(r), 0);
    ink_spf_record_free(r);
    l = lint_record(domain, fix);
    if (find(l, code) != NULL) {
        print_message("fix '%s' still has %s\n", fix, code);
        dump(l);
    }
    assert_null(find(l, code));
    ink_spf_lint_free(l);
}

/* ---- clean records ------------------------------------------------------ */

static void test_clean_domain(void **state)
{
    struct ink_spf_lint *l = lint_domain("clean.example.com");
    const struct ink_spf_lint_node *t;

    (void)state;
    expect_clean(l);
    assert_null(ink_spf_lint_fixed_record(l));
    assert_int_equal(ink_spf_lint_lookups(l), 2);
    assert_int_equal(ink_spf_lint_voids(l), 0);
    assert_string_equal(ink_spf_lint_record(l),
                        "v=spf1 mx ip4:192.0.2.0/24 include:_spf.provider.example -all");
    t = ink_spf_lint_tree(l);
    assert_non_null(t);
    assert_int_equal(t->nchild, 1);
    assert_string_equal(t->child[0].domain, "_spf.provider.example");
    assert_string_equal(t->child[0].via, "include");
    assert_int_equal(t->child[0].offset, 27);
    assert_int_equal(t->lookups_total, 2);
    expect(l, INK_SPF_LINT_LOOKUPS, INK_SEV_INFO);
    ink_spf_lint_free(l);
}

static void test_clean_records(void **state)
{
    static const char *const good[] = {
        "v=spf1 -all",
        "v=spf1 ip4:192.0.2.1 ip6:2001:db8::1 ~all",
        "v=spf1 a:host.example.com include:_spf2.provider.example -all",
        "v=spf1 redirect=_spf.provider.example",
        "v=spf1 exists:%{i}._spf.example.com -all",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct ink_spf_lint *l = lint_record("example.com", good[i]);

        expect_clean(l);
        assert_null(ink_spf_lint_fixed_record(l));
        ink_spf_lint_free(l);
    }
}

static void test_record_without_domain(void **state)
{
    struct ink_spf_lint *l = lint_record(NULL, "v=spf1 a mx a:%{d}.example -all");

    (void)state;
    expect(l, INK_SPF_LINT_LIMIT, INK_SEV_INFO);
    expect(l, INK_SPF_LINT_MACRO_NOT_FOLLOWED, INK_SEV_INFO);
    expect_clean(l);
    ink_spf_lint_free(l);
    l = lint_record("example.com", "v=spf1 a mx -all");
    assert_null(find(l, INK_SPF_LINT_LIMIT));
    ink_spf_lint_free(l);
}

/* ---- no record, duplicates, DNS trouble --------------------------------- */

static void test_no_record(void **state)
{
    struct ink_spf_lint *l = lint_domain("noa.example");

    (void)state;
    expect(l, INK_SPF_LINT_NO_RECORD, INK_SEV_ERROR);
    assert_null(ink_spf_lint_record(l));
    ink_spf_lint_free(l);
    l = lint_domain("nowhere.example");
    expect(l, INK_SPF_LINT_NO_DOMAIN, INK_SEV_ERROR);
    assert_null(find(l, INK_SPF_LINT_NO_RECORD));
    ink_spf_lint_free(l);
    l = lint_domain("slow.example");
    expect(l, INK_SPF_LINT_DNS_TEMP, INK_SEV_WARNING);
    ink_spf_lint_free(l);
}

static void test_duplicate_records(void **state)
{
    struct ink_spf_lint *l;
    const struct test_finding *f;

    (void)state;
    txt("dup.example.com", "v=spf1 include:_spf.provider.example -all");
    txt("dup.example.com", "v=spf1 ip4:192.0.2.7 include:_spf.provider.example ~all");
    txt("dup.example.com", "google-site-verification=abc");
    l = lint_domain("dup.example.com");
    f = expect(l, INK_SPF_LINT_DUPLICATE, INK_SEV_ERROR);
    assert_string_equal(f->fix, "v=spf1 include:_spf.provider.example ip4:192.0.2.7 -all");
    assert_string_equal(ink_spf_lint_fixed_record(l), f->fix);
    relint_without("dup.example.com", f->fix, INK_SPF_LINT_DUPLICATE);

    /* the same RRset in the other order gives the same lint: servers
     * return RRsets in any order */
    {
        struct ink_spf_lint *l2;

        txt("dup2.example.com", "google-site-verification=abc");
        txt("dup2.example.com", "v=spf1 ip4:192.0.2.7 include:_spf.provider.example ~all");
        txt("dup2.example.com", "v=spf1 include:_spf.provider.example -all");
        l2 = lint_domain("dup2.example.com");
        assert_string_equal(ink_spf_lint_record(l2), ink_spf_lint_record(l));
        assert_string_equal(ink_spf_lint_fixed_record(l2), ink_spf_lint_fixed_record(l));
        assert_int_equal(ink_spf_lint_lookups(l2), ink_spf_lint_lookups(l));
        ink_spf_lint_free(l2);
    }
    ink_spf_lint_free(l);
}

static void test_spf_rr_type(void **state)
{
    struct ink_spf_lint *l;

    (void)state;
    txt("rr99.example.com", "v=spf1 -all");
    assert_int_equal(ink_memzone_add_txt1(Z, "rr99.example.com", INK_DNS_SPF, 300, "v=spf1 -all", 11), 0);
    l = lint_domain("rr99.example.com");
    expect(l, INK_SPF_LINT_SPF_RR, INK_SEV_WARNING);
    ink_spf_lint_free(l);
    l = lint_domain("clean.example.com");
    assert_null(find(l, INK_SPF_LINT_SPF_RR));
    ink_spf_lint_free(l);
}

/* ---- syntax ------------------------------------------------------------- */

static void test_syntax_with_column(void **state)
{
    struct ink_spf_lint *l;
    const struct test_finding *f;

    (void)state;
    l = lint_record("example.com", "v=spf1 ip4:192.0.2.0/24 foo:bar -all");
    f = expect(l, INK_SPF_LINT_UNKNOWN_MECH, INK_SEV_ERROR);
    assert_int_equal(f->offset, 24); /* column 25 */
    assert_null(ink_spf_lint_fixed_record(l));
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 ip4:192.0.2.300 -all");
    f = expect(l, INK_SPF_LINT_IP, INK_SEV_ERROR);
    assert_true(f->offset >= 7 && f->offset <= 11);
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 ip4:192.0.2.0/33 -all");
    expect(l, INK_SPF_LINT_CIDR, INK_SEV_ERROR);
    ink_spf_lint_free(l);
    l = lint_record("example.com", "v=spf1 ip6:2001:db8::/129 -all");
    expect(l, INK_SPF_LINT_CIDR, INK_SEV_ERROR);
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 include:%{z}.example.com -all");
    expect(l, INK_SPF_LINT_MACRO, INK_SEV_ERROR);
    ink_spf_lint_free(l);
    l = lint_record("example.com", "v=spf1 exists:%{i.example.com -all");
    expect(l, INK_SPF_LINT_MACRO, INK_SEV_ERROR);
    ink_spf_lint_free(l);
}

static void test_typo_fixes(void **state)
{
    struct ink_spf_lint *l;
    const struct test_finding *f;

    (void)state;
    l = lint_record("example.com", "v=spf1 ipv4:192.0.2.0/24 -all");
    f = expect(l, INK_SPF_LINT_UNKNOWN_MECH, INK_SEV_ERROR);
    assert_string_equal(f->fix, "v=spf1 ip4:192.0.2.0/24 -all");
    relint_without("example.com", f->fix, INK_SPF_LINT_UNKNOWN_MECH);
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 include=_spf.provider.example -all");
    f = expect(l, INK_SPF_LINT_UNKNOWN_MOD, INK_SEV_WARNING);
    assert_string_equal(f->fix, "v=spf1 include:_spf.provider.example -all");
    relint_without("example.com", f->fix, INK_SPF_LINT_UNKNOWN_MOD);
    ink_spf_lint_free(l);

    /* a real unknown modifier is only information */
    l = lint_record("example.com", "v=spf1 -all moo=cow");
    f = expect(l, INK_SPF_LINT_UNKNOWN_MOD, INK_SEV_INFO);
    assert_null(f->fix);
    ink_spf_lint_free(l);
}

/* ---- all, redirect ------------------------------------------------------ */

static void test_all_qualifiers(void **state)
{
    struct ink_spf_lint *l;
    const struct test_finding *f;

    (void)state;
    l = lint_record("example.com", "v=spf1 ip4:192.0.2.0/24 +all");
    f = expect(l, INK_SPF_LINT_PASS_ALL, INK_SEV_ERROR);
    assert_int_equal(f->offset, 24);
    assert_string_equal(f->fix, "v=spf1 ip4:192.0.2.0/24 ~all");
    relint_without("example.com", f->fix, INK_SPF_LINT_PASS_ALL);
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 ip4:192.0.2.0/24 all");
    expect(l, INK_SPF_LINT_PASS_ALL, INK_SEV_ERROR);
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 ip4:0.0.0.0/0 -all");
    expect(l, INK_SPF_LINT_PASS_ALL, INK_SEV_ERROR);
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 ip4:192.0.2.0/24 ?all");
    f = expect(l, INK_SPF_LINT_NEUTRAL_ALL, INK_SEV_WARNING);
    relint_without("example.com", f->fix, INK_SPF_LINT_NEUTRAL_ALL);
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 ip4:192.0.2.0/24");
    f = expect(l, INK_SPF_LINT_NO_ALL, INK_SEV_WARNING);
    assert_string_equal(f->fix, "v=spf1 ip4:192.0.2.0/24 ~all");
    relint_without("example.com", f->fix, INK_SPF_LINT_NO_ALL);
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 -all ip4:192.0.2.0/24 mx");
    f = expect(l, INK_SPF_LINT_AFTER_ALL, INK_SEV_WARNING);
    assert_string_equal(f->fix, "v=spf1 -all");
    assert_int_equal(ink_spf_lint_lookups(l), 0); /* mx is never reached */
    ink_spf_lint_free(l);
}

static void test_redirect(void **state)
{
    struct ink_spf_lint *l;
    const struct test_finding *f;

    (void)state;
    l = lint_record("example.com", "v=spf1 ip4:192.0.2.0/24 -all redirect=_spf.provider.example");
    f = expect(l, INK_SPF_LINT_REDIRECT_IGNORED, INK_SEV_WARNING);
    assert_string_equal(f->fix, "v=spf1 ip4:192.0.2.0/24 -all");
    assert_int_equal(ink_spf_lint_lookups(l), 0);
    relint_without("example.com", f->fix, INK_SPF_LINT_REDIRECT_IGNORED);
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 redirect=nowhere.example");
    expect(l, INK_SPF_LINT_REDIRECT_MISSING, INK_SEV_ERROR);
    ink_spf_lint_free(l);
    l = lint_record("example.com", "v=spf1 redirect=noa.example");
    expect(l, INK_SPF_LINT_REDIRECT_MISSING, INK_SEV_ERROR);
    ink_spf_lint_free(l);
}

/* ---- ptr, ip networks --------------------------------------------------- */

static void test_ptr(void **state)
{
    struct ink_spf_lint *l = lint_record("example.com", "v=spf1 ptr ip4:192.0.2.1 -all");
    const struct test_finding *f;

    (void)state;
    f = expect(l, INK_SPF_LINT_PTR, INK_SEV_WARNING);
    assert_int_equal(f->offset, 7);
    assert_string_equal(f->fix, "v=spf1 ip4:192.0.2.1 -all");
    relint_without("example.com", f->fix, INK_SPF_LINT_PTR);
    assert_int_equal(ink_spf_lint_lookups(l), 1);
    ink_spf_lint_free(l);
}

static void test_host_bits(void **state)
{
    struct ink_spf_lint *l = lint_record("example.com",
                                         "v=spf1 -ip4:192.0.2.77/24 ip6:2001:db8::1/32 -all");
    const struct test_finding *f;

    (void)state;
    f = expect(l, INK_SPF_LINT_HOST_BITS, INK_SEV_INFO);
    assert_string_equal(f->fix, "v=spf1 -ip4:192.0.2.0/24 ip6:2001:db8::1/32 -all");
    relint_without("example.com", f->fix, INK_SPF_LINT_PASS_ALL);
    assert_string_equal(ink_spf_lint_fixed_record(l), "v=spf1 -ip4:192.0.2.0/24 ip6:2001:db8::/32 -all");
    relint_without("example.com", ink_spf_lint_fixed_record(l), INK_SPF_LINT_HOST_BITS);
    ink_spf_lint_free(l);
}

/* ---- includes ----------------------------------------------------------- */

static void test_include_problems(void **state)
{
    struct ink_spf_lint *l;
    const struct test_finding *f;

    (void)state;
    l = lint_record("example.com", "v=spf1 include:nowhere.example ip4:192.0.2.1 -all");
    f = expect(l, INK_SPF_LINT_INCLUDE_MISSING, INK_SEV_ERROR);
    assert_int_equal(f->offset, 7);
    assert_string_equal(f->fix, "v=spf1 ip4:192.0.2.1 -all");
    relint_without("example.com", f->fix, INK_SPF_LINT_INCLUDE_MISSING);
    assert_int_equal(ink_spf_lint_voids(l), 1);
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 include:noa.example -all");
    expect(l, INK_SPF_LINT_INCLUDE_NO_SPF, INK_SEV_ERROR);
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 include:slow.example -all");
    expect(l, INK_SPF_LINT_INCLUDE_TEMP, INK_SEV_WARNING);
    assert_string_equal(ink_spf_lint_tree(l)->child[0].status, "temperror");
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 include:%{d}.provider.example -all");
    expect(l, INK_SPF_LINT_MACRO_NOT_FOLLOWED, INK_SEV_INFO);
    expect_clean(l);
    ink_spf_lint_free(l);
}

static void test_include_loop(void **state)
{
    struct ink_spf_lint *l;
    const struct test_finding *f;

    (void)state;
    txt("loop1.example", "v=spf1 include:loop2.example -all");
    txt("loop2.example", "v=spf1 ip4:192.0.2.1 include:loop1.example -all");
    l = lint_domain("loop1.example");
    f = expect(l, INK_SPF_LINT_LOOP, INK_SEV_ERROR);
    assert_string_equal(f->domain, "loop2.example");
    assert_int_equal(f->offset, 21);
    ink_spf_lint_free(l);
    /* self redirect */
    txt("self.example", "v=spf1 redirect=self.example");
    l = lint_domain("self.example");
    expect(l, INK_SPF_LINT_LOOP, INK_SEV_ERROR);
    ink_spf_lint_free(l);
}

static void test_depth_limit(void **state)
{
    struct ink_spf_lint *l = lint_domain("d0.chain.example");

    (void)state;
    expect(l, INK_SPF_LINT_DEPTH, INK_SEV_ERROR);
    expect(l, INK_SPF_LINT_TOO_MANY_LOOKUPS, INK_SEV_ERROR);
    ink_spf_lint_free(l);
}

/* ---- lookup counting and flattening ------------------------------------- */

static void test_too_many_lookups(void **state)
{
    struct ink_spf_lint *l;
    const struct test_finding *f;
    char owner[64], rec[256];
    int i;

    (void)state;
    /* big.example: 4 lookups inside; heavy.example: a/mx-using (not flattenable) */
    txt("big.example", "v=spf1 include:b1.example include:b2.example include:b3.example "
                       "include:b4.example -all");
    for (i = 1; i <= 4; i++) {
        snprintf(owner, sizeof(owner), "b%d.example", i);
        snprintf(rec, sizeof(rec), "v=spf1 ip4:198.51.%d.0/24 -all", 100 + i);
        txt(owner, rec);
    }
    txt("heavy.example", "v=spf1 a:host.example.com mx:example.com ptr -all");
    l = lint_record("example.com", "v=spf1 mx a include:big.example include:heavy.example "
                                   "include:_spf2.provider.example -all");
    /* mx a include(1+4) include(1+3) include(1+1) = 13 */
    assert_int_equal(ink_spf_lint_lookups(l), 13);
    f = expect(l, INK_SPF_LINT_TOO_MANY_LOOKUPS, INK_SEV_ERROR);
    assert_non_null(strstr(f->message, "include:big.example 5"));
    assert_non_null(strstr(f->message, "include:heavy.example 4"));
    f = expect(l, INK_SPF_LINT_FLATTEN, INK_SEV_INFO);
    assert_non_null(f->fix);
    assert_null(strstr(f->fix, "include:big.example"));
    assert_non_null(strstr(f->fix, "ip4:198.51.101.0/24"));
    assert_non_null(strstr(f->fix, "include:heavy.example"));
    relint_without("example.com", f->fix, INK_SPF_LINT_TOO_MANY_LOOKUPS);
    ink_spf_lint_free(l);

    /* nothing flattenable: the proposal says so */
    l = lint_record("example.com", "v=spf1 include:heavy.example include:heavy.example "
                                   "include:heavy.example mx -all");
    assert_int_equal(ink_spf_lint_lookups(l), 13);
    f = expect(l, INK_SPF_LINT_FLATTEN, INK_SEV_INFO);
    assert_null(f->fix);
    /* repeated includes are counted each time but listed once */
    assert_int_equal(ink_spf_lint_tree(l)->nchild, 3);
    assert_true(ink_spf_lint_tree(l)->child[1].repeated);
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 include:big.example mx a -all");
    assert_null(find(l, INK_SPF_LINT_TOO_MANY_LOOKUPS));
    assert_int_equal(ink_spf_lint_lookups(l), 7);
    ink_spf_lint_free(l);
}

/* ---- mx, a, void lookups ------------------------------------------------ */

static void test_mx_checks(void **state)
{
    struct ink_spf_lint *l;
    char host[64];
    int i;

    (void)state;
    for (i = 0; i < 11; i++) {
        snprintf(host, sizeof(host), "mx%d.many.example", i);
        assert_int_equal(ink_memzone_add_mx(Z, "many.example", 300, (uint16_t)i, host), 0);
        addr(host, "192.0.2.50");
    }
    l = lint_record("example.com", "v=spf1 mx:many.example -all");
    expect(l, INK_SPF_LINT_MX_TOO_MANY, INK_SEV_ERROR);
    ink_spf_lint_free(l);

    assert_int_equal(ink_memzone_add_mx(Z, "hostless.example", 300, 10, "gone.example"), 0);
    l = lint_record("example.com", "v=spf1 mx:hostless.example -all");
    expect(l, INK_SPF_LINT_MX_NO_ADDRESS, INK_SEV_WARNING);
    assert_null(find(l, INK_SPF_LINT_MX_TOO_MANY));
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 mx -all");
    expect_clean(l);
    ink_spf_lint_free(l);
}

static void test_void_lookups(void **state)
{
    struct ink_spf_lint *l;
    const struct test_finding *f;

    (void)state;
    l = lint_record("example.com", "v=spf1 a:gone1.example ip4:192.0.2.1 -all");
    f = expect(l, INK_SPF_LINT_VOID, INK_SEV_WARNING);
    assert_int_equal(f->offset, 7);
    assert_string_equal(f->fix, "v=spf1 ip4:192.0.2.1 -all");
    assert_null(find(l, INK_SPF_LINT_TOO_MANY_VOIDS));
    ink_spf_lint_free(l);

    l = lint_record("example.com",
                    "v=spf1 a:gone1.example mx:gone2.example exists:gone3.example -all");
    assert_int_equal(ink_spf_lint_voids(l), 3);
    expect(l, INK_SPF_LINT_TOO_MANY_VOIDS, INK_SEV_ERROR);
    relint_without("example.com", ink_spf_lint_fixed_record(l), INK_SPF_LINT_TOO_MANY_VOIDS);
    ink_spf_lint_free(l);
}

/* ---- sizes -------------------------------------------------------------- */

static void test_sizes(void **state)
{
    struct ink_str rec = INK_STR_INIT;
    struct ink_spf_lint *l;
    const struct test_finding *f;
    int i;

    (void)state;
    ink_str_puts(&rec, "v=spf1");
    for (i = 0; i < 30; i++)
        ink_str_printf(&rec, " ip4:198.51.100.%d", i);
    ink_str_puts(&rec, " -all"); /* about 550 bytes */
    l = lint_record("example.com", ink_str_cstr(&rec));
    f = expect(l, INK_SPF_LINT_STRING_LONG, INK_SEV_WARNING);
    assert_non_null(strstr(f->message, "example.com. IN TXT \"v=spf1 "));
    expect(l, INK_SPF_LINT_RECORD_LONG, INK_SEV_WARNING);
    expect(l, INK_SPF_LINT_ANSWER_LONG, INK_SEV_WARNING);
    ink_spf_lint_free(l);

    /* published as 3 strings: not a string problem, still a size one */
    {
        const uint8_t *s[3];
        size_t lens[3], third = rec.len / 3;

        s[0] = (const uint8_t *)rec.buf;
        s[1] = (const uint8_t *)rec.buf + third;
        s[2] = (const uint8_t *)rec.buf + 2 * third;
        lens[0] = third;
        lens[1] = third;
        lens[2] = rec.len - 2 * third;
        assert_int_equal(ink_memzone_add_txt(Z, "long.example", INK_DNS_TXT, 300, 3, s, lens), 0);
    }
    l = lint_domain("long.example");
    assert_null(find(l, INK_SPF_LINT_STRING_LONG));
    expect(l, INK_SPF_LINT_RECORD_LONG, INK_SEV_WARNING);
    expect(l, INK_SPF_LINT_ANSWER_LONG, INK_SEV_WARNING);
    ink_spf_lint_free(l);
    ink_str_free(&rec);

    l = lint_record("example.com", "v=spf1 ip4:192.0.2.0/24 -all");
    assert_null(find(l, INK_SPF_LINT_STRING_LONG));
    assert_null(find(l, INK_SPF_LINT_RECORD_LONG));
    assert_null(find(l, INK_SPF_LINT_ANSWER_LONG));
    ink_spf_lint_free(l);
}

static void test_string_split_in_term(void **state)
{
    const uint8_t *s[2] = {(const uint8_t *)"v=spf1 include:_spf.provider.example",
                           (const uint8_t *)"include:_spf2.provider.example -all"};
    size_t lens[2] = {strlen((const char *)s[0]), strlen((const char *)s[1])};
    struct ink_spf_lint *l;
    const struct test_finding *f;
    size_t i;

    (void)state;
    assert_int_equal(ink_memzone_add_txt(Z, "split.example", INK_DNS_TXT, 300, 2, s, lens), 0);
    l = lint_domain("split.example");
    f = expect(l, INK_SPF_LINT_STRING_SPLIT, INK_SEV_WARNING);
    assert_int_equal(f->offset, (long)lens[0]);
    assert_string_equal(f->fix, "v=spf1 include:_spf.provider.example "
                                "include:_spf2.provider.example -all");
    /* the split is the fix, not dropping the "missing" include */
    assert_string_equal(ink_spf_lint_fixed_record(l), f->fix);
    relint_without("split.example", f->fix, INK_SPF_LINT_INCLUDE_MISSING);
    for (i = 0; i < ink_spf_lint_nfindings(l); i++)
        assert_null(strstr(tfinding(l, i)->message, "\\"));
    ink_spf_lint_free(l);
}

static void test_zone_line(void **state)
{
    struct ink_str rec = INK_STR_INIT;
    char *zl;
    int i;

    (void)state;
    ink_str_puts(&rec, "v=spf1");
    for (i = 0; i < 40; i++)
        ink_str_printf(&rec, " ip4:198.51.100.%d", i);
    ink_str_puts(&rec, " -all");
    zl = ink_spf_lint_zone_line("example.com", rec.buf, rec.len);
    assert_non_null(zl);
    /* every string at most 255 bytes, their join is the record */
    {
        struct ink_str joined = INK_STR_INIT;
        const char *p = strchr(zl, '"');
        int nstr = 0;

        while (p != NULL) {
            const char *e = strchr(p + 1, '"');

            assert_non_null(e);
            assert_true(e - p - 1 <= INK_SPF_LINT_STRING_MAX);
            ink_str_append(&joined, p + 1, (size_t)(e - p - 1));
            nstr++;
            p = strchr(e + 1, '"');
        }
        assert_true(nstr >= 3);
        assert_string_equal(ink_str_cstr(&joined), rec.buf);
        ink_str_free(&joined);
    }
    assert_memory_equal(zl, "example.com. IN TXT \"v=spf1 ", 26);
    free(zl);
    zl = ink_spf_lint_zone_line(NULL, "v=spf1 -all", 11);
    assert_string_equal(zl, "@ IN TXT \"v=spf1 -all\"");
    free(zl);
    zl = ink_spf_lint_zone_line("example.com", "a\"b\\c", 5);
    assert_string_equal(zl, "example.com. IN TXT \"a\\\"b\\\\c\"");
    free(zl);
    ink_str_free(&rec);
}

/* ---- exp ---------------------------------------------------------------- */

static void test_exp(void **state)
{
    struct ink_spf_lint *l;
    const struct test_finding *f;

    (void)state;
    txt("why.example.com", "%{i} is not allowed to send for %{d}");
    txt("badwhy.example.com", "%{q} is not allowed");
    l = lint_record("example.com", "v=spf1 -all exp=why.example.com");
    assert_null(find(l, INK_SPF_LINT_EXP));
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 -all exp=nowhy.example.com");
    f = expect(l, INK_SPF_LINT_EXP, INK_SEV_WARNING);
    assert_string_equal(f->fix, "v=spf1 -all");
    ink_spf_lint_free(l);

    l = lint_record("example.com", "v=spf1 -all exp=badwhy.example.com");
    expect(l, INK_SPF_LINT_EXP, INK_SEV_WARNING);
    ink_spf_lint_free(l);

    txt("withexp.example", "v=spf1 ip4:192.0.2.9 -all exp=why.example.com");
    l = lint_record("example.com", "v=spf1 include:withexp.example -all");
    expect(l, INK_SPF_LINT_EXP, INK_SEV_INFO);
    ink_spf_lint_free(l);
}

/* ---- robustness --------------------------------------------------------- */

static void test_query_limit(void **state)
{
    struct ink_str rec = INK_STR_INIT;
    struct ink_spf_lint *l;
    char owner[64], r2[512];
    int i, j;

    (void)state;
    /* a wide tree: 20 includes of 20 a-terms each = 800+ queries wanted */
    ink_str_puts(&rec, "v=spf1");
    for (i = 0; i < 20; i++) {
        struct ink_str sub = INK_STR_INIT;

        snprintf(owner, sizeof(owner), "w%d.wide.example", i);
        ink_str_puts(&sub, "v=spf1");
        for (j = 0; j < 20; j++)
            ink_str_printf(&sub, " a:h%d-%d.wide.example", i, j);
        ink_str_puts(&sub, " -all");
        snprintf(r2, sizeof(r2), "%s", ink_str_cstr(&sub));
        assert_int_equal(ink_memzone_add_txt1(Z, owner, INK_DNS_TXT, 300, sub.buf, sub.len), 0);
        ink_str_free(&sub);
        ink_str_printf(&rec, " include:%s", owner);
    }
    ink_str_puts(&rec, " -all");
    l = lint_record("example.com", ink_str_cstr(&rec));
    expect(l, INK_SPF_LINT_LIMIT, INK_SEV_INFO);
    expect(l, INK_SPF_LINT_TOO_MANY_LOOKUPS, INK_SEV_ERROR);
    ink_spf_lint_free(l);
    ink_str_free(&rec);
}

static void test_hostile_bytes(void **state)
{
    static const char alphabet[] = "v=spf1 :/%{}.-+~?aimnlprtxe46dsc0123456789_ \x01\xff\"\\";
    uint32_t seed = 12345;
    uint8_t buf[300];
    int n, i;

    (void)state;
    for (n = 0; n < 500; n++) {
        struct ink_spf_lint *l;
        size_t len;

        seed = seed * 1103515245u + 12345u;
        len = (seed >> 8) % sizeof(buf);
        memcpy(buf, "v=spf1 ", 7);
        for (i = 7; i < (int)len; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (uint8_t)alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
        }
        l = run_lint(ink_spf_lint_new_record(n % 2 ? "example.com" : NULL, buf, len));
        ink_spf_lint_free(l);
    }
    /* a NUL inside and no terminator needed */
    {
        struct ink_spf_lint *l = lint_record(NULL, "v=spf1 -all");

        ink_spf_lint_free(l);
        l = run_lint(ink_spf_lint_new_record("example.com", (const uint8_t *)"v=spf1 a\0b -all", 15));
        assert_true(ink_spf_lint_nfindings(l) > 0);
        ink_spf_lint_free(l);
    }
    assert_null(ink_spf_lint_new_domain("bad..name"));
    ink_spf_lint_free(NULL);
}

/* hostile DNS data: a 64 KiB TXT record, fifty SPF records at one name */
static void test_hostile_answers(void **state)
{
    static uint8_t chunk[255];
    const uint8_t *strs[257];
    size_t lens[257], i;
    struct ink_spf_lint *l;
    const struct test_finding *f;
    char rec[64];

    (void)state;
    memset(chunk, 'a', sizeof(chunk));
    strs[0] = (const uint8_t *)"v=spf1 include:";
    lens[0] = 15;
    for (i = 1; i < 257; i++) {
        strs[i] = chunk;
        lens[i] = sizeof(chunk);
    }
    assert_int_equal(ink_memzone_add_txt(Z, "huge.example", INK_DNS_TXT, 300, 257, strs, lens), 0);
    l = lint_domain("huge.example");
    assert_true(count_sev(l, INK_SEV_ERROR) > 0);
    expect(l, INK_SPF_LINT_ANSWER_LONG, INK_SEV_WARNING);
    ink_spf_lint_free(l);

    for (i = 0; i < 50; i++) {
        snprintf(rec, sizeof(rec), "v=spf1 ip4:192.0.2.%zu -all", i);
        txt("fifty.example", rec);
    }
    l = lint_domain("fifty.example");
    f = expect(l, INK_SPF_LINT_DUPLICATE, INK_SEV_ERROR);
    assert_null(f->fix);
    ink_spf_lint_free(l);
}

/* answers may arrive in any order and the outcome is the same */
static void test_async_order(void **state)
{
    struct ink_spf_lint *l = ink_spf_lint_new_record(
        "example.com", (const uint8_t *)"v=spf1 mx a:host.example.com include:_spf2.provider.example -all", 64);
    struct ink_dns_answer *held[64], *other;
    uint32_t tokens[64], last_token = 0;
    size_t nheld = 0, i;
    int rounds = 0;

    (void)state;
    assert_non_null(l);
    for (;;) {
        struct ink_query q;
        enum ink_next st = ink_spf_lint_next(l, &q);

        assert_true(++rounds < 1000);
        if (st == INK_NEXT_READY) {
            assert_true(nheld < 64);
            held[nheld] = ink_memzone_lookup(Z, q.name, q.type);
            tokens[nheld++] = q.token;
            continue;
        }
        if (st == INK_NEXT_WAIT) {
            /* feed in reverse order */
            assert_true(nheld > 0);
            for (i = nheld; i-- > 0;) {
                assert_int_equal(ink_spf_lint_feed(l, tokens[i], held[i]), 0);
                /* a token answered already is not outstanding */
                assert_int_equal(ink_spf_lint_feed(l, tokens[i], held[i]), -1);
                last_token = tokens[i] > last_token ? tokens[i] : last_token;
                ink_dns_answer_free(held[i]);
            }
            nheld = 0;
            continue;
        }
        assert_int_equal(st, INK_NEXT_DONE);
        break;
    }
    expect_clean(l);
    assert_int_equal(ink_spf_lint_lookups(l), 4);
    /* a token never handed out is refused, as is any answer after DONE */
    other = ink_memzone_lookup(Z, "other.example", INK_DNS_A);
    assert_int_equal(ink_spf_lint_feed(l, last_token + 1, other), -1);
    assert_int_equal(ink_spf_lint_feed(l, last_token, other), -1);
    assert_int_equal(ink_spf_lint_feed(l, 0, NULL), -1);
    ink_dns_answer_free(other);
    ink_spf_lint_free(l);
}

/* drive_eval - run an evaluation to its end with the driver over Z */
static void drive_eval(struct ink_spf *ev)
{
    struct ink_resolver *r = ink_resolver_memzone_new(Z, 0);

    assert_non_null(r);
    assert_int_equal(ink_drive_sync(r, ink_spf_machine(ev), NULL), INK_NEXT_DONE);
    assert_true(ink_spf_queries(ev) < TEST_STEPS_MAX);
    ink_resolver_free(r);
}

/* eval_counts - run the evaluator (check_host) for an address that matches
 * nothing, so every term is evaluated: its lookup and void counts are what
 * the lint's worst case must equal */
static void eval_counts(const char *domain, unsigned *lookups, unsigned *voids)
{
    struct ink_spf_params prm;
    struct ink_spf *ev;
    char from[128];

    memset(&prm, 0, sizeof(prm));
    prm.family = 4;
    memcpy(prm.ip, "\xcb\x00\x71\xfa", 4); /* 203.0.113.250 */
    snprintf(from, sizeof(from), "user@%s", domain);
    prm.mail_from = from;
    prm.helo = "helo.example";
    ev = ink_spf_new(&prm);
    assert_non_null(ev);
    drive_eval(ev);
    *lookups = ink_spf_dns_lookups(ev);
    *voids = ink_spf_void_lookups(ev);
    ink_spf_free(ev);
}

/* the lint's counts agree with the RFC 7208 evaluator on trees within the
 * limits, where an unmatched address makes it evaluate every term */
static void test_counts_match_evaluator(void **state)
{
    static const char *const doms[] = {"clean.example.com", "cmp1.example", "cmp2.example",
                                       "cmp3.example"};
    size_t i;

    (void)state;
    txt("cmp1.example", "v=spf1 mx:example.com a:host.example.com include:_spf2.provider.example "
                        "exists:gone4.example -all");
    txt("cmp2.example", "v=spf1 ip4:192.0.2.1 include:cmp1.example redirect=clean.example.com");
    txt("cmp3.example", "v=spf1 a:gone1.example include:_spf.provider.example ~all");
    for (i = 0; i < sizeof(doms) / sizeof(doms[0]); i++) {
        struct ink_spf_lint *l = lint_domain(doms[i]);
        unsigned lookups, voids;

        eval_counts(doms[i], &lookups, &voids);
        print_message("%s: lint %u/%u, evaluator %u/%u\n", doms[i], ink_spf_lint_lookups(l),
                      ink_spf_lint_voids(l), lookups, voids);
        assert_int_equal(ink_spf_lint_lookups(l), lookups);
        assert_int_equal(ink_spf_lint_voids(l), voids);
        ink_spf_lint_free(l);
    }
}

/* ---- a bad answer at every query point ------------------------------------ */

/* What the query at the chosen point is answered with. */
enum bad_kind {
    BAD_NULL = 0,   /* no answer at all */
    BAD_SERVFAIL,   /* the server failed */
    BAD_WRONG_TYPE, /* the right name, another type */
    BAD_WRONG_NAME, /* the real records, for another name */
    BAD_TIMEOUT,    /* a TIMEOUT answer: what the ones above must equal */
    BAD_EMPTY,      /* OK with no records */
    BAD_KINDS
};

/* bad_answer - the answer of kind k to (name, type); NULL for BAD_NULL */
static struct ink_dns_answer *bad_answer(enum bad_kind k, const char *name, uint16_t type)
{
    struct ink_dns_answer *a = NULL;

    switch (k) {
    case BAD_NULL:
        return NULL;
    case BAD_SERVFAIL:
        a = ink_dns_answer_new(name, type, INK_DNS_SERVFAIL);
        break;
    case BAD_TIMEOUT:
        a = ink_dns_answer_new(name, type, INK_DNS_TIMEOUT);
        break;
    case BAD_EMPTY:
        a = ink_dns_answer_new(name, type, INK_DNS_OK);
        break;
    case BAD_WRONG_TYPE:
        a = ink_memzone_lookup(Z, name, type == INK_DNS_TXT ? INK_DNS_A : INK_DNS_TXT);
        break;
    case BAD_WRONG_NAME:
        a = ink_memzone_lookup(Z, name, type);
        assert_non_null(a);
        free(a->qname);
        a->qname = strdup("wrong.example");
        break;
    default:
        break;
    }
    assert_non_null(a);
    assert_non_null(a->qname);
    return a;
}

/* lint_bad - lint rec at example.com with the query handed out at (0-based)
 * answered by kind k, the others from Z, answers fed after all queries of
 * a round are out; the findings as "severity code" lines in *out (caller
 * frees); returns the number of queries asked */
static int lint_bad(const char *rec, int at, enum bad_kind k, struct ink_str *out)
{
    struct ink_spf_lint *l = ink_spf_lint_new_record("example.com", (const uint8_t *)rec,
                                                     strlen(rec));
    struct ink_dns_answer *held[64];
    uint32_t tokens[64];
    size_t nheld = 0, i;
    int n = 0, rounds = 0;

    assert_non_null(l);
    for (;;) {
        struct ink_query q;
        enum ink_next st = ink_spf_lint_next(l, &q);

        assert_true(++rounds < 1000);
        if (st == INK_NEXT_READY) {
            assert_true(nheld < 64);
            held[nheld] = n == at ? bad_answer(k, q.name, q.type)
                                  : ink_memzone_lookup(Z, q.name, q.type);
            tokens[nheld++] = q.token;
            n++;
            continue;
        }
        if (st == INK_NEXT_WAIT) {
            for (i = 0; i < nheld; i++) {
                assert_int_equal(ink_spf_lint_feed(l, tokens[i], held[i]), 0);
                ink_dns_answer_free(held[i]);
            }
            nheld = 0;
            continue;
        }
        assert_int_equal(st, INK_NEXT_DONE);
        break;
    }
    for (i = 0; i < ink_spf_lint_nfindings(l); i++) {
        const struct ink_finding *f = ink_spf_lint_finding(l, i);

        ink_str_printf(out, "%s %s\n", ink_severity_name(f->severity), f->code);
    }
    ink_spf_lint_free(l);
    return n;
}

/* NULL, SERVFAIL, a wrong type or a wrong name at any query point is
 * taken as a TIMEOUT there (a temporary failure: the name is unknown); an
 * empty answer is no crash either */
static void test_bad_answers(void **state)
{
    static const char *const recs[] = {
        "v=spf1 mx a:host.example.com include:_spf2.provider.example -all",
        "v=spf1 exists:%{i}.x.example ptr redirect=clean.example.com",
    };
    size_t r;

    (void)state;
    for (r = 0; r < sizeof(recs) / sizeof(recs[0]); r++) {
        struct ink_str clean = INK_STR_INIT;
        int nq = lint_bad(recs[r], -1, BAD_NULL, &clean), at, k;

        assert_true(nq >= 3);
        for (at = 0; at < nq; at++) {
            struct ink_str ref = INK_STR_INIT;

            lint_bad(recs[r], at, BAD_TIMEOUT, &ref);
            for (k = 0; k < BAD_KINDS; k++) {
                struct ink_str got = INK_STR_INIT;

                lint_bad(recs[r], at, (enum bad_kind)k, &got);
                if (k < BAD_TIMEOUT && strcmp(ink_str_cstr(&got), ink_str_cstr(&ref)) != 0)
                    fail_msg("%s: bad answer %d at query %d:\n%swant (as TIMEOUT):\n%s", recs[r],
                             k, at, ink_str_cstr(&got), ink_str_cstr(&ref));
                ink_str_free(&got);
            }
            ink_str_free(&ref);
        }
        ink_str_free(&clean);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_domain),
        cmocka_unit_test(test_clean_records),
        cmocka_unit_test(test_record_without_domain),
        cmocka_unit_test(test_no_record),
        cmocka_unit_test(test_duplicate_records),
        cmocka_unit_test(test_spf_rr_type),
        cmocka_unit_test(test_syntax_with_column),
        cmocka_unit_test(test_typo_fixes),
        cmocka_unit_test(test_all_qualifiers),
        cmocka_unit_test(test_redirect),
        cmocka_unit_test(test_ptr),
        cmocka_unit_test(test_host_bits),
        cmocka_unit_test(test_include_problems),
        cmocka_unit_test(test_include_loop),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_too_many_lookups),
        cmocka_unit_test(test_mx_checks),
        cmocka_unit_test(test_void_lookups),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_string_split_in_term),
        cmocka_unit_test(test_zone_line),
        cmocka_unit_test(test_exp),
        cmocka_unit_test(test_query_limit),
        cmocka_unit_test(test_hostile_bytes),
        cmocka_unit_test(test_hostile_answers),
        cmocka_unit_test(test_async_order),
        cmocka_unit_test(test_counts_match_evaluator),
        cmocka_unit_test(test_bad_answers),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
