/*
 * test_report_fix.c - the advice builder of `inkan report advise`
 * (inkan/report_fix.h): the SPF include merged into the current record
 * with the SPF editor (before all or redirect=, every other term kept),
 * one SPF change for every source, includes already there left out; the
 * DKIM selector as a CNAME to the key receivers verified, a placeholder
 * when the selector is unknown (one per platform) or taken; aspf/adkim
 * relaxed only when the current record says strict; records not read
 * are never invented; names from reports that are not host names are
 * never put in a record; the limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/report_fix.h"

/* build - the advice for sources over cur; asserts it is built */
static struct ink_fix_advice *build(const char *domain, const struct ink_fix_current *cur,
                                    const struct ink_fix_source *s, size_t n)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_fix_advice *a = ink_fix_build(domain, cur, s, n, NULL, &err);

    if (a == NULL)
        fail_msg("ink_fix_build: %s", ink_str_cstr(&err));
    ink_str_free(&err);
    return a;
}

/* kind_at - the kind name of change i, "" past the end */
static const char *kind_at(const struct ink_fix_advice *a, size_t i)
{
    const struct ink_fix_change *c = ink_fix_change(a, i);

    return c != NULL ? ink_fix_kind_name(c->kind) : "";
}

/* every kind of change over found records: exact records and lines */
static void test_found_records(void **state)
{
    const struct ink_fix_current cur = {
        INK_FIX_REC_FOUND, "v=spf1 mx include:_spf.partner.test ~all",
        INK_FIX_REC_FOUND, "v=DMARC1; p=none; aspf=s; rua=mailto:d@example.com", NULL, NULL};
    const struct ink_fix_source s[] = {
        {"203.0.113.5", 12, "bounces.esp.test", "esp.test/k7", "esp"},
        {"198.51.100.20", 4, "mail.example.com", NULL, NULL},
        {"203.0.113.6", 3, "bounces.esp.test other.esp2.test", "esp.test/k7", "esp"},
    };
    struct ink_fix_advice *a;
    const struct ink_fix_change *c;
    size_t idx[INK_FIX_PER_SOURCE_MAX];

    (void)state;
    a = build("Example.COM.", &cur, s, 3);
    assert_int_equal(ink_fix_nchanges(a), 3);
    assert_string_equal(kind_at(a, 0), "spf");
    assert_string_equal(kind_at(a, 1), "dkim-selector");
    assert_string_equal(kind_at(a, 2), "dmarc-alignment");
    /* one SPF change, both includes, in source order, before ~all */
    c = ink_fix_change(a, 0);
    assert_int_equal(ink_fix_spf_index(a), 0);
    assert_string_equal(c->owner, "example.com.");
    assert_string_equal(c->type, "TXT");
    assert_int_equal(c->old_state, INK_FIX_REC_FOUND);
    assert_string_equal(c->old_value, "v=spf1 mx include:_spf.partner.test ~all");
    assert_string_equal(c->new_value, "v=spf1 mx include:_spf.partner.test "
                                      "include:bounces.esp.test include:other.esp2.test ~all");
    assert_string_equal(c->terms, "include:bounces.esp.test include:other.esp2.test");
    assert_string_equal(c->zone_line, "example.com. IN TXT \"v=spf1 mx include:_spf.partner.test "
                                      "include:bounces.esp.test include:other.esp2.test ~all\"");
    assert_string_equal(c->old_line,
                        "example.com. IN TXT \"v=spf1 mx include:_spf.partner.test ~all\"");
    assert_null(c->warning);
    /* the selector, once for both sources */
    c = ink_fix_change(a, 1);
    assert_string_equal(c->owner, "k7._domainkey.example.com.");
    assert_string_equal(c->type, "CNAME");
    assert_string_equal(c->new_value, "k7._domainkey.esp.test.");
    assert_string_equal(c->zone_line, "k7._domainkey.example.com. IN CNAME k7._domainkey.esp.test.");
    assert_non_null(strstr(c->note, "ask esp to sign with d=example.com and selector k7"));
    /* strict SPF: the one tag changed, the rest as it was */
    c = ink_fix_change(a, 2);
    assert_string_equal(c->owner, "_dmarc.example.com.");
    assert_string_equal(c->terms, "aspf=r");
    assert_string_equal(c->new_value, "v=DMARC1; p=none; aspf=r; rua=mailto:d@example.com");
    assert_string_equal(c->zone_line,
                        "_dmarc.example.com. IN TXT \"v=DMARC1; p=none; aspf=r; "
                        "rua=mailto:d@example.com\"");
    /* which source needs what */
    assert_int_equal(ink_fix_source_changes(a, 0, idx), 2);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[1], 1);
    assert_string_equal(ink_fix_source_spf_term(a, 0), "include:bounces.esp.test");
    assert_int_equal(ink_fix_source_changes(a, 1, idx), 1);
    assert_int_equal(idx[0], 2);
    assert_null(ink_fix_source_spf_term(a, 1));
    assert_string_equal(ink_fix_source_spf_term(a, 2),
                        "include:bounces.esp.test include:other.esp2.test");
    assert_int_equal(ink_fix_source_changes(a, 3, idx), 0); /* past the end */
    /* the caller's lint of the merged record */
    assert_int_equal(ink_fix_set_spf_check(a, 11, "11 DNS-querying terms"), 0);
    assert_int_equal(ink_fix_change(a, 0)->lookups, 11);
    assert_string_equal(ink_fix_change(a, 0)->warning, "11 DNS-querying terms");
    assert_int_equal(ink_fix_set_spf_check(a, 3, NULL), 0);
    assert_null(ink_fix_change(a, 0)->warning);
    ink_fix_free(a);
}

/* records not read: the terms named, nothing invented */
static void test_unknown_records(void **state)
{
    const struct ink_fix_current cur = {INK_FIX_REC_UNKNOWN, NULL, INK_FIX_REC_UNKNOWN, NULL,
                                        "not looked up", "a temporary DNS failure"};
    const struct ink_fix_source s[] = {{"203.0.113.5", 12, "bounces.esp.test mail.example.com",
                                        NULL, NULL}};
    struct ink_fix_advice *a;
    const struct ink_fix_change *c;

    (void)state;
    a = build("example.com", &cur, s, 1);
    assert_int_equal(ink_fix_nchanges(a), 2);
    c = ink_fix_change(a, 0);
    assert_int_equal(c->old_state, INK_FIX_REC_UNKNOWN);
    assert_null(c->old_value);
    assert_null(c->old_line);
    assert_null(c->new_value);
    assert_null(c->zone_line);
    assert_non_null(strstr(c->note, "could not be read: not looked up; merge "
                                    "include:bounces.esp.test into it"));
    c = ink_fix_change(a, 1);
    assert_int_equal(c->kind, INK_FIX_ALIGNMENT);
    assert_null(c->new_value);
    assert_non_null(strstr(c->note, "set aspf=r"));
    assert_non_null(strstr(c->note, "could not be read: a temporary DNS failure"));
    /* no DKIM: the source is SPF-strict, the alignment change covers it */
    ink_fix_free(a);
    /* without any current given: the same, "not looked up" */
    a = build("example.com", NULL, s, 1);
    assert_null(ink_fix_change(a, 0)->new_value);
    assert_non_null(strstr(ink_fix_change(a, 0)->note, "could not be read: not looked up;"));
    ink_fix_free(a);
}

/* no SPF record: a new one, said so; no DMARC record: nothing to relax */
static void test_no_records(void **state)
{
    const struct ink_fix_current cur = {INK_FIX_REC_NONE, NULL, INK_FIX_REC_NONE, NULL, NULL, NULL};
    const struct ink_fix_source s[] = {{"203.0.113.5", 2, "bounces.esp.test mail.example.com",
                                        NULL, NULL}};
    struct ink_fix_advice *a;

    (void)state;
    a = build("example.com", &cur, s, 1);
    assert_int_equal(ink_fix_nchanges(a), 1);
    assert_string_equal(ink_fix_change(a, 0)->new_value, "v=spf1 include:bounces.esp.test ~all");
    assert_non_null(strstr(ink_fix_change(a, 0)->note, "publishes no SPF record"));
    ink_fix_free(a);
}

/* an include already there, a redirect, a relaxed record */
static void test_included_redirect_relaxed(void **state)
{
    const struct ink_fix_current cur = {INK_FIX_REC_FOUND,
                                        "v=spf1 INCLUDE:Bounces.esp.test. redirect=_spf.example.com",
                                        INK_FIX_REC_FOUND, "v=DMARC1; p=reject", NULL, NULL};
    const struct ink_fix_source s[] = {
        {"203.0.113.5", 2, "bounces.esp.test", "esp.test/k7", NULL},
        {"203.0.113.9", 1, "other.test mail.example.com", NULL, NULL},
    };
    struct ink_fix_advice *a;
    size_t idx[INK_FIX_PER_SOURCE_MAX];

    (void)state;
    a = build("example.com", &cur, s, 2);
    assert_int_equal(ink_fix_source_spf_included(a, 0), 1);
    assert_null(ink_fix_source_spf_term(a, 0));
    assert_int_equal(ink_fix_source_spf_included(a, 1), 0);
    /* the SPF change carries the second source's include, before redirect= */
    assert_string_equal(ink_fix_change(a, 0)->new_value,
                        "v=spf1 INCLUDE:Bounces.esp.test. include:other.test "
                        "redirect=_spf.example.com");
    /* the owner's own DKIM selector: a CNAME with the address as who to ask */
    assert_string_equal(kind_at(a, 1), "dkim-selector");
    assert_non_null(strstr(ink_fix_change(a, 1)->note, "ask 203.0.113.5 to sign"));
    /* p=reject without aspf: relaxed already, no alignment change */
    assert_int_equal(ink_fix_nchanges(a), 2);
    assert_int_equal(ink_fix_source_changes(a, 1, idx), 1);
    assert_int_equal(idx[0], 0);
    ink_fix_free(a);
}

/* adkim=s alone changed; DKIM of the organisation is an alignment matter */
static void test_dkim_strict(void **state)
{
    const struct ink_fix_current cur = {INK_FIX_REC_FOUND, "v=spf1 -all", INK_FIX_REC_FOUND,
                                        "v=DMARC1;p=quarantine;adkim = s ;aspf=s", NULL, NULL};
    const struct ink_fix_source s[] = {{"192.0.2.7", 5, NULL, "news.example.com/s1", NULL}};
    struct ink_fix_advice *a;

    (void)state;
    a = build("example.com", &cur, s, 1);
    assert_int_equal(ink_fix_nchanges(a), 1);
    assert_string_equal(kind_at(a, 0), "dmarc-alignment");
    assert_string_equal(ink_fix_change(a, 0)->terms, "adkim=r");
    assert_string_equal(ink_fix_change(a, 0)->new_value, "v=DMARC1;p=quarantine;adkim = r ;aspf=s");
    ink_fix_free(a);
}

/* unknown selectors: one placeholder per platform; a selector taken by
 * another platform's key: a placeholder too */
static void test_dkim_ask(void **state)
{
    const struct ink_fix_current cur = {INK_FIX_REC_FOUND, "v=spf1 ~all", INK_FIX_REC_NONE, NULL,
                                        NULL, NULL};
    const struct ink_fix_source s[] = {
        {"203.0.113.1", 2, NULL, "esp.test", "esp"},
        {"203.0.113.2", 2, NULL, "esp.test", "esp"},
        {"203.0.113.3", 2, NULL, "a.test/s1", "a"},
        {"203.0.113.4", 2, NULL, "b.test/s1", "b"},
        {"203.0.113.5", 2, "bounces.c.test", NULL, "c"},
    };
    struct ink_fix_advice *a;
    size_t idx[INK_FIX_PER_SOURCE_MAX], i0, i1;

    (void)state;
    a = build("example.com", &cur, s, 5);
    /* SPF (source 5), ask esp, CNAME s1 -> a.test, ask b, ask c */
    assert_int_equal(ink_fix_nchanges(a), 5);
    assert_string_equal(kind_at(a, 0), "spf");
    assert_string_equal(kind_at(a, 1), "dkim-ask");
    assert_string_equal(ink_fix_change(a, 1)->owner, "SELECTOR._domainkey.example.com.");
    assert_null(ink_fix_change(a, 1)->new_value);
    assert_null(ink_fix_change(a, 1)->zone_line);
    assert_non_null(strstr(ink_fix_change(a, 1)->note, "ask the platform esp"));
    assert_int_equal(ink_fix_source_changes(a, 0, idx), 1);
    i0 = idx[0];
    assert_int_equal(ink_fix_source_changes(a, 1, idx), 1);
    i1 = idx[0];
    assert_int_equal(i0, i1);
    assert_string_equal(ink_fix_change(a, 2)->new_value, "s1._domainkey.a.test.");
    assert_string_equal(kind_at(a, 3), "dkim-ask");
    assert_non_null(strstr(ink_fix_change(a, 3)->note, "platform b"));
    assert_string_equal(kind_at(a, 4), "dkim-ask");
    assert_non_null(strstr(ink_fix_change(a, 4)->note, "platform c"));
    ink_fix_free(a);
}

/* names that are not host names never reach a record; a source with
 * nothing authenticated gets its address (canonical) */
static void test_hostile_and_addresses(void **state)
{
    const struct ink_fix_current cur = {INK_FIX_REC_FOUND, "v=spf1 -all", INK_FIX_REC_NONE, NULL,
                                        NULL, NULL};
    const struct ink_fix_source s[] = {
        {"203.0.113.5", 2, "evil\";-all x\\y.test", "bad\"d.test/s1 ok.test/s\"1", "p"},
        {"2001:DB8:0:0::25", 1, NULL, NULL, NULL},
        {"192.0.2.99", 1, NULL, NULL, NULL},
    };
    struct ink_fix_advice *a;
    size_t i;

    (void)state;
    a = build("example.com", &cur, s, 3);
    assert_string_equal(ink_fix_change(a, 0)->new_value,
                        "v=spf1 ip6:2001:db8::25 ip4:192.0.2.99 -all");
    for (i = 0; i < ink_fix_nchanges(a); i++) {
        const struct ink_fix_change *c = ink_fix_change(a, i);
        assert_null(strchr(c->owner, '"'));
        if (c->new_value != NULL) {
            assert_null(strchr(c->new_value, '"'));
            assert_null(strchr(c->new_value, '\\'));
        }
    }
    /* the first source's bad selector: asked for, never published */
    assert_string_equal(kind_at(a, 1), "dkim-ask");
    ink_fix_free(a);
}

/* refusals and limits */
static void test_limits(void **state)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_fix_source *many = calloc(INK_FIX_SOURCES_MAX + 1, sizeof(*many));
    char (*dk)[64] = calloc(INK_FIX_CHANGES_MAX + 8, sizeof(*dk));
    char big[INK_FIX_RECORD_MAX + 16];
    struct ink_fix_current cur = {INK_FIX_REC_FOUND, NULL, INK_FIX_REC_UNKNOWN, NULL, NULL, NULL};
    struct ink_fix_advice *a;
    size_t i;

    (void)state;
    assert_non_null(many);
    assert_non_null(dk);
    assert_null(ink_fix_build("not a domain", NULL, NULL, 0, NULL, &err));
    assert_non_null(strstr(ink_str_cstr(&err), "is not a domain name"));
    ink_str_free(&err);
    assert_null(ink_fix_build(NULL, NULL, NULL, 0, NULL, &err));
    ink_str_free(&err);
    assert_null(ink_fix_build("example.com", NULL, many, INK_FIX_SOURCES_MAX + 1, NULL, &err));
    assert_non_null(strstr(ink_str_cstr(&err), "more than"));
    ink_str_free(&err);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cur.spf = big;
    assert_null(ink_fix_build("example.com", &cur, NULL, 0, NULL, &err));
    assert_non_null(strstr(ink_str_cstr(&err), "longer than"));
    ink_str_free(&err);
    /* more selectors than changes: the rest counted */
    for (i = 0; i < INK_FIX_CHANGES_MAX + 8; i++) {
        snprintf(dk[i], sizeof(dk[i]), "p%zu.test/s%zu", i, i);
        many[i].ip = "192.0.2.1";
        many[i].failing = 1;
        many[i].dkim_domains = dk[i];
    }
    a = ink_fix_build("example.com", NULL, many, INK_FIX_CHANGES_MAX + 8, NULL, &err);
    assert_non_null(a);
    assert_int_equal(ink_fix_nchanges(a), INK_FIX_CHANGES_MAX);
    assert_int_equal(ink_fix_dropped(a), 8);
    assert_int_equal(ink_fix_set_spf_check(a, 1, NULL), -1); /* no SPF change */
    ink_fix_free(a);
    ink_fix_free(NULL);
    free(many);
    free(dk);
    ink_str_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_found_records),
        cmocka_unit_test(test_unknown_records),
        cmocka_unit_test(test_no_records),
        cmocka_unit_test(test_included_redirect_relaxed),
        cmocka_unit_test(test_dkim_strict),
        cmocka_unit_test(test_dkim_ask),
        cmocka_unit_test(test_hostile_and_addresses),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
