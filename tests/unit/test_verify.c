/*
 * test_verify.c - the publication-verification state machine: matching
 * answers against expectations, every state transition (including FAILURE
 * when the 72-hour window ends), and the polling schedule; the check and
 * the authoritative-server search as machines of the query protocol, fed
 * NULL, SERVFAIL, empty, wrong-type and wrong-name answers at every point.
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
#include "inkan/verify.h"

#define T0 1700000000

/* drive - a check of d run over z through the driver (caller frees) */
static struct ink_vcheck *drive(struct ink_memzone *z, const struct ink_vdomain *d)
{
    struct ink_resolver *r = ink_resolver_memzone_new(z, 0);
    struct ink_vcheck *c = ink_vcheck_new(d);

    assert_non_null(r);
    assert_non_null(c);
    assert_int_equal(ink_drive_sync(r, ink_vcheck_machine(c), NULL), INK_NEXT_DONE);
    ink_resolver_free(r);
    return c;
}

/* observe - what the zone shows of every record of d (copies in obs) */
static void observe(struct ink_memzone *z, const struct ink_vdomain *d, struct ink_vobs *obs)
{
    struct ink_vcheck *c = drive(z, d);
    size_t i;

    for (i = 0; i < d->nrec; i++) {
        const struct ink_vobs *o = ink_vcheck_obs(c, i);
        assert_non_null(o);
        obs[i].kind = o->kind;
        obs[i].seen = o->seen ? strdup(o->seen) : NULL;
        obs[i].detail = o->detail ? strdup(o->detail) : NULL;
    }
    ink_vcheck_free(c);
}

/* check - one check of d against z at now; returns the new state */
static enum ink_vstate check(struct ink_memzone *z, struct ink_vdomain *d, int64_t now,
                             size_t *nchanges)
{
    struct ink_vchange ch[17];
    struct ink_vcheck *c = drive(z, d);
    size_t n = 0;
    int st;

    st = ink_vcheck_apply(c, d, now, ch, &n);
    assert_true(st >= 0);
    ink_vcheck_free(c);
    if (nchanges != NULL)
        *nchanges = n;
    return (enum ink_vstate)st;
}

/* domain - example.com expecting an SPF include, a CNAME, an MX, a DKIM key and DMARC */
static struct ink_vdomain *domain(void)
{
    struct ink_vdomain *d = ink_vdomain_new("Example.COM.", "test", T0);

    assert_non_null(d);
    assert_int_equal(ink_vdomain_add_record(d, "example.com", INK_DNS_TXT, INK_VMATCH_SPF,
                                            "include:_spf.example.net ip4:192.0.2.0/24", "spf"), 0);
    assert_int_equal(ink_vdomain_add_record(d, "bounce.example.com", INK_DNS_CNAME,
                                            INK_VMATCH_CNAME, "bounces.example.net", "return-path"), 0);
    assert_int_equal(ink_vdomain_add_record(d, "em.example.com", INK_DNS_MX, INK_VMATCH_MX,
                                            "10 mx1.example.net", "mx"), 0);
    assert_int_equal(ink_vdomain_add_record(d, "s1._domainkey.example.com", INK_DNS_TXT,
                                            INK_VMATCH_DKIM, "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", "dkim"), 0);
    assert_int_equal(ink_vdomain_add_record(d, "_dmarc.example.com", INK_DNS_TXT,
                                            INK_VMATCH_DMARC, "", "dmarc"), 0);
    assert_string_equal(d->domain, "example.com");
    assert_int_equal(d->state, INK_VSTATE_NOT_STARTED);
    return d;
}

/* publish - every record d expects */
static void publish(struct ink_memzone *z)
{
    static const char spf[] = "v=spf1 mx +include:_spf.example.net IP4:192.0.2.0/24 ~all";
    static const char dkim[] = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQH Og7hcvPapiMlrwIaaPcHURo=";
    static const char dmarc[] = "v=DMARC1; p=none";

    assert_int_equal(ink_memzone_add_txt1(z, "example.com", INK_DNS_TXT, 60, spf, strlen(spf)), 0);
    assert_int_equal(ink_memzone_add_name(z, "bounce.example.com", INK_DNS_CNAME, 60,
                                          "Bounces.Example.NET."), 0);
    assert_int_equal(ink_memzone_add_mx(z, "em.example.com", 60, 20, "mx1.example.net"), 0);
    assert_int_equal(ink_memzone_add_txt1(z, "s1._domainkey.example.com", INK_DNS_TXT, 60, dkim,
                                          strlen(dkim)), 0);
    assert_int_equal(ink_memzone_add_txt1(z, "_dmarc.example.com", INK_DNS_TXT, 60, dmarc,
                                          strlen(dmarc)), 0);
}

static void test_match_kinds(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_vdomain *d = domain();
    struct ink_vobs obs[16];
    size_t i;

    (void)state;
    assert_int_equal(ink_memzone_add_txt1(z, "example.org", INK_DNS_TXT, 60, "x", 1), 0);
    observe(z, d, obs);
    for (i = 0; i < d->nrec; i++)
        assert_int_equal(obs[i].kind, INK_VOBS_ABSENT);
    for (i = 0; i < d->nrec; i++)
        ink_vobs_clear(&obs[i]);

    /* wrong values everywhere */
    assert_int_equal(ink_memzone_add_txt1(z, "example.com", INK_DNS_TXT, 60,
                                          "v=spf1 include:_spf.example.net -all", 37), 0);
    assert_int_equal(ink_memzone_add_name(z, "bounce.example.com", INK_DNS_CNAME, 60, "old.example.org"), 0);
    assert_int_equal(ink_memzone_add_mx(z, "em.example.com", 60, 10, "mx.example.org"), 0);
    assert_int_equal(ink_memzone_add_txt1(z, "s1._domainkey.example.com", INK_DNS_TXT, 60,
                                          "v=DKIM1; k=ed25519; p=21qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", 66), 0);
    assert_int_equal(ink_memzone_add_txt1(z, "_dmarc.example.com", INK_DNS_TXT, 60, "v=DMARC1; rua=mailto:a@example.com", 34), 0);
    observe(z, d, obs);
    for (i = 0; i < d->nrec; i++)
        assert_int_equal(obs[i].kind, INK_VOBS_DIFFERENT);
    assert_non_null(strstr(obs[0].detail, "ip4:192.0.2.0/24"));
    assert_null(strstr(obs[0].detail, "include:"));
    assert_string_equal(obs[1].seen, "old.example.org");
    assert_non_null(strstr(obs[2].seen, "mx.example.org"));
    assert_non_null(strstr(obs[3].detail, "different public key"));
    assert_non_null(strstr(obs[4].detail, "no p="));
    for (i = 0; i < d->nrec; i++)
        ink_vobs_clear(&obs[i]);

    /* two SPF records: an error receivers see, not a match */
    assert_int_equal(ink_memzone_add_txt1(z, "example.com", INK_DNS_TXT, 60,
                                          "v=spf1 include:_spf.example.net ip4:192.0.2.0/24 -all", 53), 0);
    observe(z, d, obs);
    assert_int_equal(obs[0].kind, INK_VOBS_DIFFERENT);
    assert_non_null(strstr(obs[0].detail, "2 SPF records"));
    for (i = 0; i < d->nrec; i++)
        ink_vobs_clear(&obs[i]);
    ink_memzone_free(z);

    /* a revoked key and a timeout */
    z = ink_memzone_new();
    assert_int_equal(ink_memzone_add_txt1(z, "s1._domainkey.example.com", INK_DNS_TXT, 60, "v=DKIM1; p=", 11), 0);
    assert_int_equal(ink_memzone_set_fault(z, "example.com", 0, INK_DNS_TIMEOUT), 0);
    observe(z, d, obs);
    assert_int_equal(obs[0].kind, INK_VOBS_ERROR);
    assert_non_null(strstr(obs[0].detail, "TIMEOUT"));
    assert_int_equal(obs[3].kind, INK_VOBS_DIFFERENT);
    assert_non_null(strstr(obs[3].detail, "revoked"));
    for (i = 0; i < d->nrec; i++)
        ink_vobs_clear(&obs[i]);
    ink_memzone_free(z);
    /* a malformed key record is not a key; testing mode is said */
    z = ink_memzone_new();
    assert_int_equal(ink_memzone_add_txt1(z, "s1._domainkey.example.com", INK_DNS_TXT, 60,
                                          "v=DKIM1; k=ed25519; p=!!!", 25), 0);
    observe(z, d, obs);
    assert_int_equal(obs[3].kind, INK_VOBS_DIFFERENT);
    assert_non_null(strstr(obs[3].detail, "not usable"));
    for (i = 0; i < d->nrec; i++)
        ink_vobs_clear(&obs[i]);
    ink_memzone_free(z);
    z = ink_memzone_new();
    assert_int_equal(ink_memzone_add_txt1(z, "s1._domainkey.example.com", INK_DNS_TXT, 60,
                                          "v=DKIM1; k=ed25519; t=y; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", 71), 0);
    observe(z, d, obs);
    assert_int_equal(obs[3].kind, INK_VOBS_MATCH);
    assert_non_null(strstr(obs[3].detail, "t=y"));
    for (i = 0; i < d->nrec; i++)
        ink_vobs_clear(&obs[i]);
    assert_int_equal(ink_verify_match(&d->rec[0], NULL, &obs[0]), 0);
    assert_int_equal(obs[0].kind, INK_VOBS_ERROR);
    ink_vobs_clear(&obs[0]);
    ink_memzone_free(z);
    ink_vdomain_free(d);
}

static void test_pending_to_verified(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_vdomain *d = domain();
    size_t n;
    int64_t prev_iv = 0, t = T0;
    int i;

    (void)state;
    /* first check: NOT_STARTED -> PENDING, the window opens */
    assert_int_equal(check(z, d, t, &n), INK_VSTATE_PENDING);
    assert_int_equal(n, d->nrec + 1);
    assert_int_equal(d->window_start, T0);
    assert_int_equal(d->deadline, T0 + INK_VERIFY_WINDOW);
    assert_int_equal(d->next_poll, T0 + INK_VERIFY_POLL_FIRST);
    for (i = 0; i < (int)d->nrec; i++)
        assert_int_equal(d->rec[i].state, INK_VSTATE_PENDING);
    /* polls back off: each interval at least the one before, at most an hour */
    for (i = 0; i < 12; i++) {
        int64_t iv;
        t = d->next_poll;
        assert_int_equal(check(z, d, t, &n), INK_VSTATE_PENDING);
        assert_int_equal(n, 0);
        iv = d->next_poll - t;
        assert_true(iv >= prev_iv);
        assert_true(iv <= INK_VERIFY_POLL_MAX);
        prev_iv = iv;
    }
    assert_int_equal(prev_iv, INK_VERIFY_POLL_MAX);
    /* one record appears: that record VERIFIED, the domain still PENDING */
    assert_int_equal(ink_memzone_add_name(z, "bounce.example.com", INK_DNS_CNAME, 60, "bounces.example.net"), 0);
    t = d->next_poll;
    assert_int_equal(check(z, d, t, &n), INK_VSTATE_PENDING);
    assert_int_equal(n, 1);
    assert_int_equal(d->rec[1].state, INK_VSTATE_VERIFIED);
    assert_int_equal(d->rec[1].verified_at, t);
    assert_string_equal(d->rec[1].seen, "bounces.example.net");
    /* all of them: VERIFIED, rechecked every few hours */
    ink_memzone_free(z);
    z = ink_memzone_new();
    publish(z);
    t += 60;
    assert_int_equal(check(z, d, t, &n), INK_VSTATE_VERIFIED);
    assert_int_equal(d->verified_at, t);
    assert_int_equal(d->next_poll, t + INK_VERIFY_RECHECK);
    assert_int_equal(d->state_since, t);
    ink_memzone_free(z);
    ink_vdomain_free(d);
}

static void test_temporary_failure_and_back(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_vdomain *d = domain();
    int64_t t = T0;
    size_t n;

    (void)state;
    publish(z);
    assert_int_equal(check(z, d, t, NULL), INK_VSTATE_VERIFIED);
    /* the bounce CNAME disappears */
    assert_int_equal(ink_memzone_remove(z, "bounce.example.com", 0), 1);
    t += INK_VERIFY_RECHECK;
    assert_int_equal(check(z, d, t, &n), INK_VSTATE_TEMPORARY_FAILURE);
    assert_int_equal(n, 2);
    assert_int_equal(d->rec[1].state, INK_VSTATE_TEMPORARY_FAILURE);
    assert_int_equal(d->rec[0].state, INK_VSTATE_VERIFIED);
    assert_non_null(d->rec[1].detail);
    assert_int_equal(d->next_poll, t + INK_VERIFY_POLL_FIRST);
    /* a DNS timeout is inconclusive: nothing changes state */
    assert_int_equal(ink_memzone_set_fault(z, "example.com", 0, INK_DNS_TIMEOUT), 0);
    t += 300;
    assert_int_equal(check(z, d, t, &n), INK_VSTATE_TEMPORARY_FAILURE);
    assert_int_equal(n, 0);
    assert_int_equal(d->rec[0].state, INK_VSTATE_VERIFIED);
    assert_true(d->next_poll - t <= INK_VERIFY_POLL_RETRY);
    ink_memzone_free(z);
    /* it comes back: VERIFIED again */
    z = ink_memzone_new();
    publish(z);
    t += 300;
    assert_int_equal(check(z, d, t, &n), INK_VSTATE_VERIFIED);
    assert_int_equal(d->rec[1].state, INK_VSTATE_VERIFIED);
    /* a record that changes value also counts */
    ink_memzone_remove(z, "em.example.com", INK_DNS_MX);
    assert_int_equal(ink_memzone_add_mx(z, "em.example.com", 60, 10, "other.example.org"), 0);
    t += INK_VERIFY_RECHECK;
    assert_int_equal(check(z, d, t, NULL), INK_VSTATE_TEMPORARY_FAILURE);
    assert_int_equal(d->rec[2].state, INK_VSTATE_TEMPORARY_FAILURE);
    /* ... and left broken for the whole window: FAILURE */
    int64_t since = d->state_since;
    while (d->state == INK_VSTATE_TEMPORARY_FAILURE) {
        assert_true(d->next_poll <= since + INK_VERIFY_WINDOW);
        t = d->next_poll;
        check(z, d, t, NULL);
    }
    assert_int_equal(d->state, INK_VSTATE_FAILURE);
    assert_int_equal(t, since + INK_VERIFY_WINDOW);
    assert_int_equal(d->rec[2].state, INK_VSTATE_FAILURE);
    assert_int_equal(d->next_poll, 0);
    assert_false(ink_verify_due(d, t + 1000000));
    ink_memzone_free(z);
    ink_vdomain_free(d);
}

static void test_failure_after_72_hours(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_vdomain *d = domain();
    size_t n, polls = 0;
    int64_t t = T0 + 5000;

    (void)state;
    /* added at T0, first checked at T0+5000: the window starts then */
    assert_int_equal(check(z, d, t, NULL), INK_VSTATE_PENDING);
    assert_int_equal(d->deadline, t + INK_VERIFY_WINDOW);
    /* one record shows up on the way: it stays VERIFIED at the end */
    assert_int_equal(ink_memzone_add_name(z, "bounce.example.com", INK_DNS_CNAME, 60, "bounces.example.net"), 0);
    while (d->state == INK_VSTATE_PENDING) {
        assert_true(ink_verify_due(d, d->next_poll));
        assert_false(ink_verify_due(d, d->next_poll - 1));
        t = d->next_poll;
        check(z, d, t, &n);
        polls++;
        assert_true(polls < 200);
    }
    /* the last poll falls exactly at the end of the window */
    assert_int_equal(d->state, INK_VSTATE_FAILURE);
    assert_int_equal(t, d->deadline);
    assert_int_equal(d->rec[0].state, INK_VSTATE_FAILURE);
    assert_int_equal(d->rec[1].state, INK_VSTATE_VERIFIED);
    assert_int_equal(d->next_poll, 0);
    /* a manual check that still finds nothing keeps FAILURE ... */
    assert_int_equal(check(z, d, t + 100, NULL), INK_VSTATE_FAILURE);
    /* ... and one that finds everything recovers to VERIFIED */
    ink_memzone_free(z);
    z = ink_memzone_new();
    publish(z);
    assert_int_equal(check(z, d, t + 200, NULL), INK_VSTATE_VERIFIED);
    ink_memzone_free(z);
    ink_vdomain_free(d);
}

static void test_just_before_the_deadline(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_vdomain *d = domain();

    (void)state;
    assert_int_equal(check(z, d, T0, NULL), INK_VSTATE_PENDING);
    assert_int_equal(check(z, d, T0 + INK_VERIFY_WINDOW - 1, NULL), INK_VSTATE_PENDING);
    publish(z);
    /* published at the last second of the window: VERIFIED, not FAILURE */
    assert_int_equal(check(z, d, T0 + INK_VERIFY_WINDOW, NULL), INK_VSTATE_VERIFIED);
    ink_memzone_free(z);
    ink_vdomain_free(d);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(ink_vstate_name(INK_VSTATE_TEMPORARY_FAILURE), "TEMPORARY_FAILURE");
    assert_int_equal(ink_vstate_from_name("failure"), INK_VSTATE_FAILURE);
    assert_int_equal(ink_vstate_from_name("nope"), -1);
    assert_int_equal(ink_vmatch_from_name("dkim"), INK_VMATCH_DKIM);
    assert_string_equal(ink_vmatch_name(INK_VMATCH_SPF), "spf");
}

/* answer_txt - an answer to (name, type) holding one TXT record at owner */
static struct ink_dns_answer *answer_txt(const char *name, uint16_t type, const char *text)
{
    struct ink_dns_answer *a = ink_dns_answer_new(name, type, INK_DNS_OK);
    const uint8_t *str = (const uint8_t *)text;
    size_t len = strlen(text);

    assert_non_null(a);
    assert_int_equal(ink_dns_answer_add_txt(a, name, INK_DNS_TXT, 60, 1, &str, &len), 0);
    return a;
}

static void test_check_protocol(void **state)
{
    struct ink_vdomain *d = domain();
    struct ink_vcheck *c = ink_vcheck_new(d);
    struct ink_query q[8];
    struct ink_dns_answer *a;
    struct ink_vchange ch[8];
    size_t n = 0, i, nch = 0;

    (void)state;
    /* every record is asked at once, in order, tokens distinct */
    while (ink_vcheck_next(c, &q[n]) == INK_NEXT_READY)
        n++;
    assert_int_equal(n, d->nrec);
    for (i = 0; i < n; i++) {
        assert_string_equal(q[i].name, d->rec[i].owner);
        assert_int_equal(q[i].type, d->rec[i].type);
        assert_true(i == 0 || q[i].token != q[i - 1].token);
    }
    assert_int_equal(ink_vcheck_next(c, &q[n]), INK_NEXT_WAIT);
    assert_int_equal(ink_vcheck_feed(c, 0, NULL), -1);
    assert_int_equal(ink_vcheck_feed(c, 999, NULL), -1);
    /* NULL: inconclusive */
    assert_int_equal(ink_vcheck_feed(c, q[0].token, NULL), 0);
    assert_int_equal(ink_vcheck_feed(c, q[0].token, NULL), -1);
    /* the right record under another name: not taken */
    a = ink_dns_answer_new("bounce.example.org", INK_DNS_CNAME, INK_DNS_OK);
    assert_int_equal(ink_dns_answer_add_name(a, "bounce.example.org", INK_DNS_CNAME, 60,
                                             "bounces.example.net"), 0);
    assert_int_equal(ink_vcheck_feed(c, q[1].token, a), 0);
    ink_dns_answer_free(a);
    /* SERVFAIL */
    a = ink_dns_answer_new(q[2].name, q[2].type, INK_DNS_SERVFAIL);
    assert_int_equal(ink_vcheck_feed(c, q[2].token, a), 0);
    ink_dns_answer_free(a);
    /* before every record is fed the check cannot be applied */
    assert_int_equal(ink_vcheck_apply(c, d, T0, ch, &nch), -1);
    /* a matching key, but the answer is for another type */
    a = answer_txt(q[3].name, INK_DNS_MX, "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    assert_int_equal(ink_vcheck_feed(c, q[3].token, a), 0);
    ink_dns_answer_free(a);
    /* empty: absent */
    a = ink_dns_answer_new(q[4].name, q[4].type, INK_DNS_NODATA);
    a->ttl = 60;
    assert_int_equal(ink_vcheck_feed(c, q[4].token, a), 0);
    ink_dns_answer_free(a);
    assert_int_equal(ink_vcheck_next(c, &q[0]), INK_NEXT_DONE);
    assert_int_equal(ink_vcheck_next(c, &q[0]), INK_NEXT_DONE);
    for (i = 0; i < 4; i++)
        assert_int_equal(ink_vcheck_obs(c, i)->kind, INK_VOBS_ERROR);
    assert_non_null(strstr(ink_vcheck_obs(c, 0)->detail, "no answer"));
    assert_non_null(strstr(ink_vcheck_obs(c, 2)->detail, "SERVFAIL"));
    assert_int_equal(ink_vcheck_obs(c, 4)->kind, INK_VOBS_ABSENT);
    assert_int_equal(ink_vcheck_ttl(c, 4), 60);
    assert_int_equal(ink_vcheck_ttl(c, 0), 0);
    /* inconclusive records stay as they were; the DMARC one is awaited */
    assert_int_equal(ink_vcheck_apply(c, d, T0, ch, &nch), INK_VSTATE_PENDING);
    assert_int_equal(d->rec[4].state, INK_VSTATE_PENDING);
    ink_vcheck_free(c);
    ink_vdomain_free(d);
}

/* auth_zone - example.com delegated to two servers, one with IPv6 */
static struct ink_memzone *auth_zone(void)
{
    struct ink_memzone *z = ink_memzone_new();

    assert_int_equal(ink_memzone_add_name(z, "example.com", INK_DNS_NS, 60, "ns1.example.com"), 0);
    assert_int_equal(ink_memzone_add_name(z, "example.com", INK_DNS_NS, 60, "ns2.example.net"), 0);
    assert_int_equal(ink_memzone_add_addr_text(z, "ns1.example.com", 60, "192.0.2.53"), 0);
    assert_int_equal(ink_memzone_add_addr_text(z, "ns2.example.net", 60, "198.51.100.53"), 0);
    assert_int_equal(ink_memzone_add_addr_text(z, "ns2.example.net", 60, "2001:db8::53"), 0);
    assert_int_equal(ink_memzone_add_name(z, "bounce.example.com", INK_DNS_CNAME, 60, "b.example.net"), 0);
    return z;
}

static void test_auth_search(void **state)
{
    struct ink_memzone *z = auth_zone();
    struct ink_resolver *r = ink_resolver_memzone_new(z, 0);
    struct ink_vauth *a;
    const struct ink_vauth_server *s;

    (void)state;
    /* a CNAME owner is no apex: the search starts one label up */
    assert_string_equal(ink_vauth_search_name("bounce.example.com", INK_DNS_CNAME), "example.com");
    assert_string_equal(ink_vauth_search_name("bounce.example.com", INK_DNS_TXT), "bounce.example.com");
    assert_string_equal(ink_vauth_search_name("com", INK_DNS_CNAME), "com");
    /* from a name below the apex: up to example.com, its servers in NS
     * order, A before AAAA */
    a = ink_vauth_new("S1._domainkey.Example.COM.");
    assert_non_null(a);
    assert_int_equal(ink_drive_sync(r, ink_vauth_machine(a), NULL), INK_NEXT_DONE);
    assert_string_equal(ink_vauth_name(a), "s1._domainkey.example.com");
    assert_string_equal(ink_vauth_apex(a), "example.com");
    assert_null(ink_vauth_why(a));
    assert_int_equal(ink_vauth_nservers(a), 3);
    s = ink_vauth_server(a, 0);
    assert_int_equal(s->family, 4);
    assert_memory_equal(s->addr, "\300\000\002\065", 4);
    assert_int_equal(ink_vauth_server(a, 1)->family, 4);
    assert_int_equal(ink_vauth_server(a, 2)->family, 6);
    assert_null(ink_vauth_server(a, 3));
    ink_vauth_free(a);
    /* nothing delegated anywhere */
    a = ink_vauth_new("example.org");
    assert_int_equal(ink_drive_sync(r, ink_vauth_machine(a), NULL), INK_NEXT_DONE);
    assert_null(ink_vauth_apex(a));
    assert_int_equal(ink_vauth_nservers(a), 0);
    assert_non_null(strstr(ink_vauth_why(a), "no name server found for example.org"));
    ink_vauth_free(a);
    /* a failing name on the way is passed, and said only if nothing is found */
    assert_int_equal(ink_memzone_set_fault(z, "x.example.com", INK_DNS_NS, INK_DNS_SERVFAIL), 0);
    a = ink_vauth_new("x.example.com");
    assert_int_equal(ink_drive_sync(r, ink_vauth_machine(a), NULL), INK_NEXT_DONE);
    assert_string_equal(ink_vauth_apex(a), "example.com");
    assert_null(ink_vauth_why(a));
    ink_vauth_free(a);
    assert_int_equal(ink_memzone_set_fault(z, "x.example.org", INK_DNS_NS, INK_DNS_TIMEOUT), 0);
    a = ink_vauth_new("x.example.org");
    assert_int_equal(ink_drive_sync(r, ink_vauth_machine(a), NULL), INK_NEXT_DONE);
    assert_non_null(strstr(ink_vauth_why(a), "NS query for x.example.org: TIMEOUT"));
    ink_vauth_free(a);
    assert_null(ink_vauth_new("bad..name"));
    ink_resolver_free(r);
    ink_memzone_free(z);
}

/* feed_bad - feed the query q the k-th kind of bad answer */
static void feed_bad(struct ink_vauth *a, const struct ink_query *q, int k)
{
    struct ink_dns_answer *an = NULL;

    switch (k) {
    case 0: break; /* NULL */
    case 1: an = ink_dns_answer_new(q->name, q->type, INK_DNS_NODATA); break;
    case 2: an = ink_dns_answer_new(q->name, q->type, INK_DNS_SERVFAIL); break;
    case 3: /* an NS set for the name, but as the answer to another type */
        an = ink_dns_answer_new(q->name, INK_DNS_TXT, INK_DNS_OK);
        assert_int_equal(ink_dns_answer_add_name(an, q->name, INK_DNS_NS, 60, "ns.example.net"), 0);
        break;
    default: /* the same for a name not asked */
        an = ink_dns_answer_new("elsewhere.example", q->type, INK_DNS_OK);
        assert_int_equal(ink_dns_answer_add_name(an, "elsewhere.example", INK_DNS_NS, 60, "ns.example.net"), 0);
        break;
    }
    assert_int_equal(ink_vauth_feed(a, q->token, an), 0);
    ink_dns_answer_free(an);
}

static void test_auth_bad_answers(void **state)
{
    int k;

    (void)state;
    for (k = 0; k < 5; k++) {
        /* at the NS step: every bad answer moves the search up, to the end */
        struct ink_vauth *a = ink_vauth_new("a.example.com");
        struct ink_query q;
        enum ink_next st;
        int steps = 0;

        while ((st = ink_vauth_next(a, &q)) == INK_NEXT_READY) {
            assert_int_equal(q.type, INK_DNS_NS);
            assert_int_equal(ink_vauth_next(a, &q), INK_NEXT_WAIT);
            assert_int_equal(ink_vauth_feed(a, q.token + 100, NULL), -1);
            feed_bad(a, &q, k);
            steps++;
        }
        assert_int_equal(st, INK_NEXT_DONE);
        assert_int_equal(steps, 3); /* a.example.com, example.com, com */
        assert_int_equal(ink_vauth_nservers(a), 0);
        assert_non_null(ink_vauth_why(a));
        ink_vauth_free(a);
    }
    for (k = 0; k < 5; k++) {
        /* at the address step: no address, said */
        struct ink_vauth *a = ink_vauth_new("example.com");
        struct ink_dns_answer *ns = ink_dns_answer_new("example.com", INK_DNS_NS, INK_DNS_OK);
        struct ink_query q[4];
        size_t n = 0, i;

        assert_int_equal(ink_dns_answer_add_name(ns, "example.com", INK_DNS_NS, 60, "ns1.example.net"), 0);
        assert_int_equal(ink_vauth_next(a, &q[0]), INK_NEXT_READY);
        assert_int_equal(ink_vauth_feed(a, q[0].token, ns), 0);
        ink_dns_answer_free(ns);
        while (n < 4 && ink_vauth_next(a, &q[n]) == INK_NEXT_READY)
            n++;
        assert_int_equal(n, 2); /* A and AAAA of ns1.example.net, at once */
        assert_int_equal(ink_vauth_next(a, &q[n]), INK_NEXT_WAIT);
        for (i = 0; i < n; i++)
            feed_bad(a, &q[i], k);
        assert_int_equal(ink_vauth_next(a, &q[0]), INK_NEXT_DONE);
        assert_string_equal(ink_vauth_apex(a), "example.com");
        assert_int_equal(ink_vauth_nservers(a), 0);
        assert_non_null(strstr(ink_vauth_why(a), "have no address"));
        ink_vauth_free(a);
    }
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_kinds),
        cmocka_unit_test(test_pending_to_verified),
        cmocka_unit_test(test_temporary_failure_and_back),
        cmocka_unit_test(test_failure_after_72_hours),
        cmocka_unit_test(test_just_before_the_deadline),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_check_protocol),
        cmocka_unit_test(test_auth_search),
        cmocka_unit_test(test_auth_bad_answers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
