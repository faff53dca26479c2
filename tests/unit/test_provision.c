/*
 * test_provision.c - record-set computation: SPF merge cases (no record,
 * existing record with all, with redirect, two records, already present,
 * a merge over 10 lookups and the fix proposed), DMARC kept or proposed,
 * CNAME conflicts, MX placement, DKIM key selectors, and the zone fragment
 * read back by the zone-file parser and verified record by record; the
 * query protocol (every query out at once, NULL and unfitting answers,
 * unknown tokens) and every finding code reached by some case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/driver.h"
#include "inkan/memzone.h"
#include "inkan/profile.h"
#include "inkan/provision.h"
#include "inkan/zonefile.h"

static const char profile_include[] =
    "profile: 1\nname: P\nspf: {include: _spf.platform.example.net}\n"
    "return-path: {name: bounce, cname: bounces.platform.example.net}\n";

/* load - parse a profile text */
static struct ink_profile *load(const char *text)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_profile *p = ink_profile_parse((const uint8_t *)text, strlen(text), &err);

    if (p == NULL)
        fail_msg("%s", ink_str_cstr(&err));
    ink_str_free(&err);
    return p;
}

/* run - provision domain against zone z (NULL: nothing published) */
static struct ink_provision *run(const struct ink_profile *prof, const char *domain,
                                 const char *sub, struct ink_memzone *z)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_provision *p = ink_provision_new(prof, domain, sub, NULL, 0, &err);
    size_t i;

    if (p == NULL)
        fail_msg("%s", ink_str_cstr(&err));
    for (i = 0; i < ink_provision_nkeys(p); i++)
        assert_int_equal(ink_provision_set_key(p, i, "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="), 0);
    if (z != NULL) {
        struct ink_resolver *r = ink_resolver_memzone_new(z, 0);
        assert_non_null(r);
        assert_int_equal(ink_drive_sync(r, ink_provision_machine(p), NULL), INK_NEXT_DONE);
        ink_resolver_free(r);
    }
    assert_int_equal(ink_provision_compute(p), 0);
    ink_str_free(&err);
    return p;
}

/* find - the first record of purpose (and action unless -1) */
static const struct ink_prov_record *find(const struct ink_provision *p, const char *purpose,
                                          int action)
{
    size_t i;

    for (i = 0; i < ink_provision_nrecords(p); i++) {
        const struct ink_prov_record *r = ink_provision_record(p, i);
        if (strcmp(r->purpose, purpose) == 0 && (action < 0 || (int)r->action == action))
            return r;
    }
    return NULL;
}

/* has_note - the first finding with this code, or NULL */
static const struct ink_finding *has_note(const struct ink_provision *p, const char *code)
{
    size_t i;

    for (i = 0; i < ink_provision_nfindings(p); i++)
        if (strcmp(ink_provision_finding(p, i)->code, code) == 0)
            return ink_provision_finding(p, i);
    return NULL;
}

/* zone_with_spf - example.com with one TXT record */
static struct ink_memzone *zone_with(const char *owner, const char *txt)
{
    struct ink_memzone *z = ink_memzone_new();

    assert_int_equal(ink_memzone_add_addr_text(z, "example.com", 60, "192.0.2.10"), 0);
    if (txt != NULL)
        assert_int_equal(ink_memzone_add_txt1(z, owner, INK_DNS_TXT, 60, txt, strlen(txt)), 0);
    return z;
}

static void test_spf_no_record(void **state)
{
    struct ink_profile *prof = load(profile_include);
    struct ink_memzone *z = zone_with("example.com", "google-site-verification=abc");
    struct ink_provision *p = run(prof, "example.com", NULL, z);
    const struct ink_prov_record *r = find(p, "spf", -1);

    (void)state;
    assert_non_null(r);
    assert_int_equal(r->action, INK_PROV_ADD);
    assert_string_equal(r->value, "v=spf1 include:_spf.platform.example.net ~all");
    assert_string_equal(r->owner, "example.com");
    assert_int_equal(r->match, INK_VMATCH_SPF);
    assert_string_equal(r->expect, "include:_spf.platform.example.net");
    ink_provision_free(p);
    ink_memzone_free(z);
    ink_profile_free(prof);
}

static void test_spf_merge_before_all(void **state)
{
    struct ink_profile *prof = load(profile_include);
    struct ink_memzone *z = zone_with("example.com", "v=spf1  mx  IP4:198.51.100.0/24 -all");
    struct ink_provision *p = run(prof, "example.com", NULL, z);
    const struct ink_prov_record *r = find(p, "spf", -1);

    (void)state;
    assert_int_equal(r->action, INK_PROV_CHANGE);
    /* existing terms kept exactly as written, the include inserted before -all */
    assert_string_equal(r->value, "v=spf1  mx  IP4:198.51.100.0/24 include:_spf.platform.example.net -all");
    assert_string_equal(r->current, "v=spf1  mx  IP4:198.51.100.0/24 -all");
    assert_null(find(p, "spf-duplicate", -1));
    ink_provision_free(p);
    ink_memzone_free(z);
    ink_profile_free(prof);
}

static void test_spf_merge_redirect(void **state)
{
    struct ink_profile *prof = load(profile_include);
    struct ink_memzone *z = zone_with("example.com", "v=spf1 a redirect=_spf.example.com");
    struct ink_provision *p = run(prof, "example.com", NULL, z);
    const struct ink_prov_record *r = find(p, "spf", -1);

    (void)state;
    assert_int_equal(r->action, INK_PROV_CHANGE);
    assert_string_equal(r->value, "v=spf1 a include:_spf.platform.example.net redirect=_spf.example.com");
    assert_non_null(has_note(p, "spf-before-redirect"));
    ink_provision_free(p);
    ink_memzone_free(z);
    /* a record of only a redirect: the include goes right after v=spf1 */
    z = zone_with("example.com", "v=spf1 redirect=_spf.example.com");
    p = run(prof, "example.com", NULL, z);
    r = find(p, "spf", -1);
    assert_string_equal(r->value, "v=spf1 include:_spf.platform.example.net redirect=_spf.example.com");
    ink_provision_free(p);
    ink_memzone_free(z);
    ink_profile_free(prof);
}

static void test_spf_already_present_and_ranges(void **state)
{
    struct ink_profile *prof = load("profile: 1\nname: P\nspf:\n  include: _spf.platform.example.net\n"
                                    "  ip4: [192.0.2.128/25, 203.0.113.0/24]\n  ip6: 2001:db8:1::/48\n");
    struct ink_memzone *z = zone_with("example.com",
                                      "v=spf1 include:_SPF.Platform.example.net ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all");
    struct ink_provision *p = run(prof, "example.com", NULL, z);
    const struct ink_prov_record *r = find(p, "spf", -1);

    (void)state;
    /* the include is there (case differs), 192.0.2.128/25 and the IPv6
     * range are covered by wider ranges: only 203.0.113.0/24 is added */
    assert_int_equal(r->action, INK_PROV_CHANGE);
    assert_string_equal(r->value, "v=spf1 include:_SPF.Platform.example.net ip4:192.0.2.0/24 "
                                  "ip6:2001:db8::/32 ip4:203.0.113.0/24 ~all");
    ink_provision_free(p);
    ink_memzone_free(z);
    /* everything present: keep */
    z = zone_with("example.com", "v=spf1 include:_spf.platform.example.net ip4:192.0.2.0/24 "
                                 "ip4:203.0.113.0/24 ip6:2001:db8::/32 -all");
    p = run(prof, "example.com", NULL, z);
    r = find(p, "spf", -1);
    assert_int_equal(r->action, INK_PROV_KEEP);
    ink_provision_free(p);
    ink_memzone_free(z);
    ink_profile_free(prof);
}

static void test_spf_two_records(void **state)
{
    struct ink_profile *prof = load(profile_include);
    struct ink_memzone *z = zone_with("example.com", "v=spf1 mx -all");
    struct ink_provision *p;
    const struct ink_prov_record *r;

    (void)state;
    assert_int_equal(ink_memzone_add_txt1(z, "example.com", INK_DNS_TXT, 60, "v=spf1 a ~all", 13), 0);
    p = run(prof, "example.com", NULL, z);
    r = find(p, "spf", -1);
    assert_int_equal(r->action, INK_PROV_CHANGE);
    /* one record merged, the other to remove: never a second SPF record */
    assert_non_null(find(p, "spf-duplicate", INK_PROV_REMOVE));
    assert_non_null(has_note(p, "spf-multiple-records"));
    assert_int_equal(ink_provision_worst(p), INK_SEV_ERROR);
    ink_provision_free(p);
    ink_memzone_free(z);
    ink_profile_free(prof);
}

static void test_spf_over_ten_lookups(void **state)
{
    struct ink_profile *prof = load(profile_include);
    struct ink_memzone *z = zone_with("example.com",
                                      "v=spf1 include:a.example.org include:b.example.org mx ~all");
    struct ink_provision *p = run(prof, "example.com", NULL, z);
    const struct ink_finding *n;
    struct ink_prov_spf_cost costs[] = {
        {"include:a.example.org", 6},
        {"include:b.example.org", 2},
        {"include:_spf.platform.example.net", 3},
    };

    (void)state;
    /* 6 + 2 + 1 (mx) + 3 = 12: over by 2 */
    assert_int_equal(ink_provision_spf_lookups(p, 12, costs, 3), 0);
    n = has_note(p, "spf-too-many-lookups");
    assert_non_null(n);
    assert_int_equal(n->severity, INK_SEV_ERROR);
    assert_non_null(strstr(n->message, "12 DNS lookups"));
    /* at the domain itself: a sending subdomain is the smallest fix, and
     * the cheapest existing include covering the excess is named */
    assert_non_null(strstr(n->fix, "--subdomain"));
    assert_non_null(strstr(n->fix, "include:b.example.org (2 lookups)"));
    /* a flattened record that flattens the platform's own include is not
     * offered (its ranges change); one that keeps it is */
    assert_int_equal(ink_provision_spf_flattened(p, "v=spf1 ip4:192.0.2.1 include:b.example.org mx ip4:203.0.113.9 ~all"), 0);
    assert_null(strstr(has_note(p, "spf-too-many-lookups")->fix, "flattened record"));
    assert_int_equal(ink_provision_spf_flattened(p, "v=spf1 ip4:192.0.2.1 include:b.example.org mx include:_spf.platform.example.net ~all"), 0);
    assert_non_null(strstr(has_note(p, "spf-too-many-lookups")->fix, "flattened record"));
    ink_provision_free(p);
    /* within the limit: no note */
    p = run(prof, "example.com", NULL, z);
    assert_int_equal(ink_provision_spf_lookups(p, 10, costs, 3), 0);
    assert_null(has_note(p, "spf-too-many-lookups"));
    ink_provision_free(p);
    ink_memzone_free(z);
    ink_profile_free(prof);
}

static void test_dmarc_kept_or_proposed(void **state)
{
    struct ink_profile *prof = load("profile: 1\nname: P\nspf: {include: s.example.net}\n"
                                    "dmarc: {rua: mailto:agg@reports.example.net}\n");
    struct ink_memzone *z = zone_with("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:d@example.com");
    struct ink_provision *p = run(prof, "example.com", NULL, z);
    const struct ink_prov_record *r = find(p, "dmarc", -1);

    (void)state;
    assert_int_equal(r->action, INK_PROV_KEEP);
    assert_non_null(has_note(p, "dmarc-rua-missing"));
    ink_provision_free(p);
    ink_memzone_free(z);
    /* none published: p=none with the profile's reporting address, and the
     * outside destination's authorization record named */
    p = run(prof, "example.com", NULL, NULL);
    r = find(p, "dmarc", -1);
    assert_int_equal(r->action, INK_PROV_ADD);
    assert_string_equal(r->owner, "_dmarc.example.com");
    assert_non_null(strstr(r->value, "p=none"));
    assert_non_null(strstr(r->value, "rua=mailto:agg@reports.example.net"));
    assert_non_null(has_note(p, "dmarc-external-rua"));
    ink_provision_free(p);
    /* the outside destination is looked up: not authorized yet, then authorized */
    z = zone_with("example.com", NULL);
    p = run(prof, "example.com", NULL, z);
    assert_non_null(has_note(p, "dmarc-external-rua-unauthorized"));
    assert_non_null(strstr(has_note(p, "dmarc-external-rua-unauthorized")->fix,
                           "example.com._report._dmarc.reports.example.net."));
    ink_provision_free(p);
    assert_int_equal(ink_memzone_add_txt1(z, "example.com._report._dmarc.reports.example.net",
                                          INK_DNS_TXT, 60, "v=DMARC1", 8), 0);
    p = run(prof, "example.com", NULL, z);
    assert_non_null(has_note(p, "dmarc-external-rua-authorized"));
    assert_null(has_note(p, "dmarc-external-rua-unauthorized"));
    ink_provision_free(p);
    ink_memzone_free(z);
    ink_profile_free(prof);
}

static void test_cnames_and_conflicts(void **state)
{
    struct ink_profile *prof = load("profile: 1\nname: P\n"
                                    "tracking: {name: click, cname: t.example.net}\n"
                                    "images: {name: img, cname: i.example.net}\n"
                                    "landing: {name: go, cname: l.example.net}\n");
    struct ink_memzone *z = ink_memzone_new();
    struct ink_provision *p;

    (void)state;
    assert_int_equal(ink_memzone_add_addr_text(z, "click.example.com", 60, "192.0.2.5"), 0);
    assert_int_equal(ink_memzone_add_name(z, "img.example.com", INK_DNS_CNAME, 60, "old.example.org"), 0);
    assert_int_equal(ink_memzone_add_name(z, "go.example.com", INK_DNS_CNAME, 60, "l.example.net"), 0);
    p = run(prof, "example.com", NULL, z);
    assert_non_null(has_note(p, "cname-conflict"));
    assert_non_null(has_note(p, "cname-points-elsewhere"));
    assert_int_equal(find(p, "tracking", -1)->action, INK_PROV_ADD);
    assert_int_equal(find(p, "images", -1)->action, INK_PROV_CHANGE);
    assert_int_equal(find(p, "landing", -1)->action, INK_PROV_KEEP);
    ink_provision_free(p);
    ink_memzone_free(z);
    ink_profile_free(prof);
    /* a CNAME at the apex is refused */
    prof = load("profile: 1\nname: P\ntracking: {name: '@', cname: t.example.net}\n");
    p = run(prof, "example.com", NULL, NULL);
    assert_non_null(has_note(p, "cname-at-apex"));
    ink_provision_free(p);
    /* ... but fine on a sending subdomain */
    p = run(prof, "example.com", "em", NULL);
    assert_null(has_note(p, "cname-at-apex"));
    assert_string_equal(find(p, "tracking", -1)->owner, "em.example.com");
    ink_provision_free(p);
    ink_profile_free(prof);
}

static void test_mx_placement(void **state)
{
    struct ink_profile *prof = load("profile: 1\nname: P\nmx: {hosts: [{preference: 10, exchange: mx.p.example.net}]}\n");
    struct ink_memzone *z = ink_memzone_new();
    struct ink_provision *p;

    (void)state;
    assert_int_equal(ink_memzone_add_mx(z, "example.com", 60, 10, "mail.example.com"), 0);
    p = run(prof, "example.com", NULL, z);
    assert_non_null(has_note(p, "mx-would-take-domain-mail"));
    ink_provision_free(p);
    p = run(prof, "example.com", "bounces", z);
    assert_null(has_note(p, "mx-would-take-domain-mail"));
    assert_string_equal(find(p, "mx", -1)->owner, "bounces.example.com");
    assert_string_equal(find(p, "mx", -1)->expect, "10 mx.p.example.net");
    ink_provision_free(p);
    ink_memzone_free(z);
    ink_profile_free(prof);
}

static void test_dkim_selectors(void **state)
{
    struct ink_profile *prof = load("profile: 1\nname: P\ndkim:\n  - {selector: s1, key: generate}\n"
                                    "  - {selector: s2, key: rsa1024}\n  - {selector: h, cname: h.dkim.example.net}\n");
    enum ink_profile_keyalg algs[] = {INK_PROFILE_KEY_ED25519, INK_PROFILE_KEY_RSA2048};
    struct ink_str err = INK_STR_INIT;
    struct ink_provision *p;

    (void)state;
    p = ink_provision_new(prof, "example.com", NULL, algs, 2, &err);
    assert_non_null(p);
    /* "generate" with two algorithms: two selectors; a fixed one: one */
    assert_int_equal(ink_provision_nkeys(p), 3);
    assert_string_equal(ink_provision_key(p, 0)->selector, "s1-ed25519");
    assert_string_equal(ink_provision_key(p, 1)->selector, "s1-rsa2048");
    assert_string_equal(ink_provision_key(p, 2)->selector, "s2");
    assert_int_equal(ink_provision_key(p, 2)->alg, INK_PROFILE_KEY_RSA1024);
    assert_string_equal(ink_provision_key(p, 0)->owner, "s1-ed25519._domainkey.example.com");
    ink_provision_free(p);
    p = run(prof, "example.com", NULL, NULL);
    assert_int_equal(ink_provision_nkeys(p), 2);
    assert_string_equal(ink_provision_key(p, 0)->selector, "s1");
    assert_int_equal(find(p, "dkim", -1)->match, INK_VMATCH_DKIM);
    assert_non_null(strstr(find(p, "dkim", -1)->expect, "p=11qYAY"));
    ink_provision_free(p);
    ink_profile_free(prof);
    ink_str_free(&err);
}

static void test_zone_round_trip(void **state)
{
    /* the engagement-style profile: everything on a subdomain */
    struct ink_profile *prof = load(
        "profile: 1\nname: E\nsubdomain: em\n"
        "spf: {include: spf.e.example.net, ip4: 203.0.113.0/24, all: -all}\n"
        "dkim:\n  - {selector: k1, key: generate}\n  - {selector: e1, cname: e1.dkim.e.example.net}\n"
        "tracking: {name: click, cname: click.e.example.net}\n"
        "mx: {hosts: [{preference: 10, exchange: mx1.e.example.net}]}\n"
        "dmarc: {rua: mailto:d@example.com}\n");
    struct ink_memzone *z = zone_with("example.com", "v=spf1 mx -all");
    struct ink_provision *p = run(prof, "example.com", NULL, z);
    struct ink_str zone = INK_STR_INIT, check = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_memzone *pub = ink_memzone_new();
    struct ink_vdomain *d = ink_vdomain_new("example.com", "E", 1);
    size_t i;

    (void)state;
    assert_string_equal(ink_provision_sending_domain(p), "em.example.com");
    assert_string_equal(find(p, "spf", -1)->value, "v=spf1 include:spf.e.example.net ip4:203.0.113.0/24 -all");
    assert_string_equal(find(p, "spf", -1)->owner, "em.example.com");
    assert_int_equal(ink_provision_zone(p, &zone), 0);
    assert_int_equal(ink_provision_checklist(p, &check), 0);
    assert_non_null(strstr(ink_str_cstr(&check), "k1.private"));
    /* the fragment is a valid zone file; published, every expectation matches */
    if (ink_zonefile_parse((const uint8_t *)zone.buf, zone.len, "fragment", "example.com", pub, &err) < 0)
        fail_msg("%s\n%s", ink_str_cstr(&err), ink_str_cstr(&zone));
    assert_int_equal(ink_provision_expect(p, d), 0);
    assert_int_equal(d->nrec, ink_provision_nrecords(p));
    for (i = 0; i < d->nrec; i++) {
        struct ink_dns_answer *a = ink_memzone_lookup(pub, d->rec[i].owner, d->rec[i].type);
        struct ink_vobs o;
        assert_int_equal(ink_verify_match(&d->rec[i], a, &o), 0);
        if (o.kind != INK_VOBS_MATCH)
            fail_msg("%s %s: %s", d->rec[i].owner, d->rec[i].purpose, o.detail ? o.detail : "?");
        ink_vobs_clear(&o);
        ink_dns_answer_free(a);
    }
    ink_vdomain_free(d);
    ink_memzone_free(pub);
    ink_str_free(&zone);
    ink_str_free(&check);
    ink_str_free(&err);
    ink_provision_free(p);
    ink_memzone_free(z);
    ink_profile_free(prof);
}

/* what is published now (a TXT record with a line break in it) is
 * quoted in the zone file's comments and the checklist: it never becomes
 * a record line there */
static void test_published_text_never_injected(void **state)
{
    struct ink_profile *prof = load(profile_include);
    struct ink_memzone *z =
        zone_with("example.com", "v=spf1 mx\nexample.com. 3600 IN MX 0 mx.attacker.example. -all");
    struct ink_provision *p = run(prof, "example.com", NULL, z);
    struct ink_str zone = INK_STR_INIT, check = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_memzone *pub = ink_memzone_new();
    struct ink_dns_answer *a;
    size_t i;

    (void)state;
    assert_non_null(find(p, "spf", INK_PROV_CHANGE));
    assert_int_equal(ink_provision_zone(p, &zone), 0);
    assert_int_equal(ink_provision_checklist(p, &check), 0);
    if (ink_zonefile_parse((const uint8_t *)zone.buf, zone.len, "fragment", "example.com", pub, &err) < 0)
        fail_msg("%s\n%s", ink_str_cstr(&err), ink_str_cstr(&zone));
    a = ink_memzone_lookup(pub, "example.com", INK_DNS_MX);
    assert_int_equal(a->nrr, 0);
    ink_dns_answer_free(a);
    for (i = 0; i < check.len; i++)
        if (check.buf[i] == '\n' && strncmp(check.buf + i + 1, "example.com. 3600 IN MX", 23) == 0)
            fail_msg("checklist line injected:\n%s", ink_str_cstr(&check));
    ink_memzone_free(pub);
    ink_str_free(&zone);
    ink_str_free(&check);
    ink_str_free(&err);
    ink_provision_free(p);
    ink_memzone_free(z);
    ink_profile_free(prof);
}

static void test_dns_failure_is_said(void **state)
{
    struct ink_profile *prof = load(profile_include);
    struct ink_memzone *z = zone_with("example.com", NULL);
    struct ink_provision *p;
    const struct ink_finding *n;

    (void)state;
    assert_int_equal(ink_memzone_set_fault(z, "example.com", INK_DNS_TXT, INK_DNS_TIMEOUT), 0);
    p = run(prof, "example.com", NULL, z);
    n = has_note(p, "dns-unreadable");
    assert_non_null(n);
    /* a new SPF record proposed blind might be a second one: an error */
    assert_int_equal(n->severity, INK_SEV_ERROR);
    assert_non_null(strstr(n->message, "TIMEOUT"));
    ink_provision_free(p);
    ink_memzone_free(z);
    ink_profile_free(prof);
}

/* txt_answer - the in-memory zone's answer to (name, type) when name holds
 * one TXT record text (caller frees) */
static struct ink_dns_answer *txt_answer(const char *name, uint16_t type, const char *text)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_dns_answer *a;

    assert_int_equal(ink_memzone_add_txt1(z, name, INK_DNS_TXT, 60, text, strlen(text)), 0);
    a = ink_memzone_lookup(z, name, type);
    ink_memzone_free(z);
    return a;
}

static void test_protocol(void **state)
{
    struct ink_profile *prof = load(profile_include);
    struct ink_str err = INK_STR_INIT;
    struct ink_provision *p = ink_provision_new(prof, "example.com", NULL, NULL, 0, &err);
    struct ink_query q[INK_PROV_QUERIES_MAX];
    struct ink_dns_answer *a;
    size_t n = 0, i, j;
    uint32_t spf = 0, dmarc = 0, other_txt = 0, other = 0;

    (void)state;
    assert_non_null(p);
    /* every query is out at once, each once, with distinct tokens */
    while (ink_provision_next(p, &q[n]) == INK_NEXT_READY) {
        assert_true(n < INK_PROV_QUERIES_MAX);
        n++;
    }
    assert_true(n >= 4);
    assert_int_equal(ink_provision_next(p, &q[n]), INK_NEXT_WAIT);
    for (i = 0; i < n; i++) {
        for (j = 0; j < i; j++)
            assert_true(q[i].token != q[j].token);
        if (q[i].type == INK_DNS_TXT && strcmp(q[i].name, "example.com") == 0)
            spf = q[i].token;
        else if (q[i].type == INK_DNS_TXT && strcmp(q[i].name, "_dmarc.example.com") == 0)
            dmarc = q[i].token;
        else if (q[i].type == INK_DNS_TXT && other_txt == 0)
            other_txt = q[i].token;
        else if (q[i].type != INK_DNS_TXT && other == 0)
            other = q[i].token;
    }
    assert_true(spf != 0 && dmarc != 0 && other_txt != 0 && other != 0);
    /* a token never handed out changes nothing */
    assert_int_equal(ink_provision_feed(p, 0, NULL), -1);
    assert_int_equal(ink_provision_feed(p, 100000, NULL), -1);
    /* NULL: could not be read */
    assert_int_equal(ink_provision_feed(p, spf, NULL), 0);
    /* fed already: -1 */
    assert_int_equal(ink_provision_feed(p, spf, NULL), -1);
    /* an answer for a name not asked for this token: could not be read,
     * even though it holds a DMARC record */
    a = txt_answer("_dmarc.example.org", INK_DNS_TXT, "v=DMARC1; p=reject");
    assert_int_equal(ink_provision_feed(p, dmarc, a), 0);
    ink_dns_answer_free(a);
    /* an answer of the wrong type */
    a = txt_answer("example.com", INK_DNS_MX, "v=spf1 -all");
    assert_int_equal(ink_provision_feed(p, other_txt, a), 0);
    ink_dns_answer_free(a);
    /* SERVFAIL, and an empty answer for the rest */
    for (i = 0; i < n; i++) {
        if (q[i].token == spf || q[i].token == dmarc || q[i].token == other_txt)
            continue;
        a = ink_dns_answer_new(q[i].name, q[i].type,
                               q[i].token == other ? INK_DNS_SERVFAIL : INK_DNS_NODATA);
        assert_non_null(a);
        assert_int_equal(ink_provision_feed(p, q[i].token, a), 0);
        ink_dns_answer_free(a);
    }
    assert_int_equal(ink_provision_next(p, &q[0]), INK_NEXT_DONE);
    assert_int_equal(ink_provision_next(p, &q[0]), INK_NEXT_DONE);
    assert_int_equal(ink_provision_compute(p), 0);
    /* the SPF and DMARC records could not be read: errors naming them */
    for (i = 0, j = 0; i < ink_provision_nfindings(p); i++) {
        const struct ink_finding *f = ink_provision_finding(p, i);
        if (strcmp(f->code, "dns-unreadable") != 0)
            continue;
        j++;
        if (strcmp(f->subject, "example.com") == 0 || strcmp(f->subject, "_dmarc.example.com") == 0) {
            assert_int_equal(f->severity, INK_SEV_ERROR);
            assert_non_null(strstr(f->message, "(no answer)"));
        }
        assert_string_equal(f->area, "provision");
    }
    assert_true(j >= 2);
    /* the DMARC record fed for another name was not taken */
    assert_int_equal(find(p, "dmarc", -1)->action, INK_PROV_ADD);
    assert_int_equal(ink_provision_worst(p), INK_SEV_ERROR);
    ink_provision_free(p);
    ink_profile_free(prof);
    ink_str_free(&err);
}

/* One situation and the finding codes provisioning must report in it. */
struct code_case {
    const char *profile;
    const char *sub;      /* --subdomain, or NULL */
    const char *zone;     /* zone-file text for example.com, or NULL: nothing read */
    const char *codes[4]; /* expected, NULL-terminated */
};

#define PROF_SPF "profile: 1\nname: P\nspf: {include: _spf.platform.example.net}\n"
#define ZONE_BASE "$ORIGIN example.com.\n$TTL 300\n@ IN A 192.0.2.10\n"

static const struct code_case code_cases[] = {
    {PROF_SPF, NULL, NULL, {"dns-unreadable", "dmarc-default-rua", "dmarc-staged-rollout"}},
    {PROF_SPF, NULL, ZONE_BASE "@ IN TXT \"v=spf1 ip4:300.1.1.1 ~all\"\n", {"spf-existing-invalid"}},
    {PROF_SPF, NULL, ZONE_BASE "@ IN TXT \"v=spf1 mx +all\"\n", {"spf-pass-all"}},
    {PROF_SPF, NULL, ZONE_BASE "@ IN TXT \"v=spf1 mx -all redirect=_spf.example.org\"\n",
     {"spf-redirect-ignored"}},
    {PROF_SPF, NULL, ZONE_BASE "@ IN TXT \"v=spf1 a redirect=_spf.example.org\"\n",
     {"spf-before-redirect"}},
    {PROF_SPF, NULL, ZONE_BASE "@ IN TXT \"v=spf1 mx\"\n", {"spf-no-all"}},
    {PROF_SPF, NULL, ZONE_BASE "@ IN TXT \"v=spf1 mx -all\"\n@ IN TXT \"v=spf1 a -all\"\n",
     {"spf-multiple-records"}},
    {PROF_SPF, NULL,
     ZONE_BASE "@ IN TXT \"v=spf1 ip4:192.0.2.1 ip4:192.0.2.2 ip4:192.0.2.3 ip4:192.0.2.4 "
               "ip4:192.0.2.5 ip4:192.0.2.6 ip4:192.0.2.7 ip4:192.0.2.8 ip4:192.0.2.9 "
               "ip4:192.0.2.10 ip4:192.0.2.11 ip4:192.0.2.12\" \"ip4:192.0.2.13 ip4:192.0.2.14 "
               "ip4:192.0.2.15 ip4:192.0.2.16 ip4:192.0.2.17 ip4:192.0.2.18 ip4:192.0.2.19 "
               "ip4:192.0.2.20 ip4:192.0.2.21 ip4:192.0.2.22 ip4:192.0.2.23 ip4:192.0.2.24\" "
               "\"ip4:198.51.100.1 ip4:198.51.100.2 ip4:198.51.100.3 ip4:198.51.100.4 "
               "ip4:198.51.100.5 ip4:198.51.100.6 ip4:198.51.100.7 ip4:198.51.100.8 -all\"\n",
     {"spf-record-long"}},
    {PROF_SPF, NULL,
     ZONE_BASE "@ IN TXT \"v=spf1 include:a1.example.org include:a2.example.org "
               "include:a3.example.org include:a4.example.org include:a5.example.org a mx "
               "include:a6.example.org include:a7.example.org include:a8.example.org -all\"\n",
     {"spf-too-many-lookups"}},
    {"profile: 1\nname: P\ntracking: {name: '@', cname: t.example.net}\n", NULL, ZONE_BASE,
     {"cname-at-apex"}},
    {"profile: 1\nname: P\ntracking: {name: click, cname: t.example.net}\n"
     "images: {name: img, cname: i.example.net}\n",
     NULL, ZONE_BASE "click IN A 192.0.2.5\nimg IN CNAME old.example.org.\n",
     {"cname-conflict", "cname-points-elsewhere"}},
    {"profile: 1\nname: P\ndkim:\n  - {selector: s1, key: generate}\n", NULL,
     ZONE_BASE "s1._domainkey IN TXT \"v=DKIM1; p=old\"\n", {"dkim-selector-in-use"}},
    {"profile: 1\nname: P\nmx: {hosts: [{preference: 10, exchange: mx.p.example.net}]}\n", NULL,
     ZONE_BASE "@ IN MX 10 mail.example.com.\n", {"mx-would-take-domain-mail"}},
    {"profile: 1\nname: P\nmx: {hosts: [{preference: 10, exchange: mx.p.example.net}]}\n", "em",
     ZONE_BASE "em IN MX 10 mail.example.com.\n", {"mx-others-present"}},
    {"profile: 1\nname: P\nmx: {hosts: [{preference: 10, exchange: mx.p.example.net}]}\n", NULL,
     ZONE_BASE, {"mx-on-domain"}},
    {"profile: 1\nname: P\ndmarc: {rua: mailto:agg@reports.example.net}\n", NULL,
     ZONE_BASE "_dmarc IN TXT \"v=DMARC1; p=reject\"\n", {"dmarc-rua-missing", "dmarc-no-reports"}},
    {"profile: 1\nname: P\ndmarc: {rua: mailto:agg@reports.example.net}\n", NULL, NULL,
     {"dmarc-external-rua", "dmarc-staged-rollout"}},
    {"profile: 1\nname: P\ndmarc: {rua: mailto:agg@reports.example.net}\n", NULL, ZONE_BASE,
     {"dmarc-external-rua-unauthorized"}},
    {"profile: 1\nname: P\ndmarc: {rua: mailto:agg@reports.example.net}\n", NULL,
     ZONE_BASE "example.com._report._dmarc.reports.example.net. IN TXT \"v=DMARC1\"\n",
     {"dmarc-external-rua-authorized"}},
    {PROF_SPF "tracking: {name: '@', cname: t.example.net}\n", "em", ZONE_BASE,
     {"profile-name-clash"}},
};

static void test_every_code(void **state)
{
    int seen[64] = {0};
    size_t ncodes, i, j, k;

    (void)state;
    for (ncodes = 0; ink_provision_code(ncodes) != NULL; ncodes++)
        ;
    assert_true(ncodes > 0 && ncodes <= sizeof(seen) / sizeof(seen[0]));
    for (i = 0; i < sizeof(code_cases) / sizeof(code_cases[0]); i++) {
        const struct code_case *c = &code_cases[i];
        struct ink_profile *prof = load(c->profile);
        struct ink_memzone *z = NULL;
        struct ink_provision *p;
        struct ink_str err = INK_STR_INIT;

        if (c->zone != NULL) {
            z = ink_memzone_new();
            if (ink_zonefile_parse((const uint8_t *)c->zone, strlen(c->zone), "case", "example.com",
                                   z, &err) < 0)
                fail_msg("case %zu: %s", i, ink_str_cstr(&err));
        }
        p = run(prof, "example.com", c->sub, z);
        for (j = 0; j < 4 && c->codes[j] != NULL; j++)
            if (has_note(p, c->codes[j]) == NULL)
                fail_msg("case %zu: no finding %s", i, c->codes[j]);
        for (j = 0; j < ink_provision_nfindings(p); j++) {
            const struct ink_finding *f = ink_provision_finding(p, j);
            int known = 0;
            assert_non_null(f->area);
            assert_non_null(f->message);
            assert_int_equal(f->offset, -1);
            for (k = 0; k < ncodes; k++)
                if (strcmp(f->code, ink_provision_code(k)) == 0) {
                    seen[k] = 1;
                    known = 1;
                }
            if (!known)
                fail_msg("case %zu: code %s is not in ink_provision_code()", i, f->code);
        }
        ink_provision_free(p);
        ink_memzone_free(z);
        ink_profile_free(prof);
        ink_str_free(&err);
    }
    for (k = 0; k < ncodes; k++)
        if (!seen[k])
            fail_msg("finding code %s is reached by no case", ink_provision_code(k));
}

static void test_bad_input(void **state)
{
    struct ink_profile *prof = load(profile_include);
    struct ink_str err = INK_STR_INIT;

    (void)state;
    assert_null(ink_provision_new(prof, "localhost", NULL, NULL, 0, &err));
    assert_non_null(strstr(ink_str_cstr(&err), "not a domain name"));
    ink_str_truncate(&err, 0);
    assert_null(ink_provision_new(prof, "example.com", "bad..sub", NULL, 0, &err));
    assert_non_null(strstr(ink_str_cstr(&err), "subdomain"));
    ink_str_free(&err);
    ink_profile_free(prof);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spf_no_record),
        cmocka_unit_test(test_spf_merge_before_all),
        cmocka_unit_test(test_spf_merge_redirect),
        cmocka_unit_test(test_spf_already_present_and_ranges),
        cmocka_unit_test(test_spf_two_records),
        cmocka_unit_test(test_spf_over_ten_lookups),
        cmocka_unit_test(test_dmarc_kept_or_proposed),
        cmocka_unit_test(test_cnames_and_conflicts),
        cmocka_unit_test(test_mx_placement),
        cmocka_unit_test(test_dkim_selectors),
        cmocka_unit_test(test_zone_round_trip),
        cmocka_unit_test(test_published_text_never_injected),
        cmocka_unit_test(test_dns_failure_is_said),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_protocol),
        cmocka_unit_test(test_every_code),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
