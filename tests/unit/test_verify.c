/*
 * test_verify.c - the publication-verification state machine: matching
 * answers against expectations, every state transition (including FAILURE
 * when the 72-hour window ends), and the polling schedule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/memzone.h"
#include "inkan/verify.h"

#define T0 1700000000

/* observe - what the zone shows of every record of d */
static void observe(struct ink_memzone *z, const struct ink_vdomain *d, struct ink_vobs *obs)
{
    size_t i;

    for (i = 0; i < d->nrec; i++) {
        struct ink_dns_answer *a = ink_memzone_lookup(z, d->rec[i].owner, d->rec[i].type);
        assert_int_equal(ink_verify_match(&d->rec[i], a, &obs[i]), 0);
        ink_dns_answer_free(a);
    }
}

/* check - one check of d against z at now; returns the new state */
static enum ink_vstate check(struct ink_memzone *z, struct ink_vdomain *d, int64_t now,
                             size_t *nchanges)
{
    struct ink_vobs obs[16];
    struct ink_vchange ch[17];
    size_t i, n = 0;
    int st;

    observe(z, d, obs);
    st = ink_verify_apply(d, obs, now, ch, &n);
    assert_true(st >= 0);
    for (i = 0; i < d->nrec; i++)
        ink_vobs_clear(&obs[i]);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_kinds),
        cmocka_unit_test(test_pending_to_verified),
        cmocka_unit_test(test_temporary_failure_and_back),
        cmocka_unit_test(test_failure_after_72_hours),
        cmocka_unit_test(test_just_before_the_deadline),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
