/*
 * test_rotate.c - DKIM key rotation (inkan/rotate.h): every phase
 * transition of the machine, a name server that lags behind, a temporary
 * failure of one server, clock edges (the overlap's last second, a clock
 * that went back), the per-server check machine over in-memory zones
 * (one zone per server), the zone lines proposed at each phase and the
 * selector format.
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
#include "inkan/resolver.h"
#include "inkan/rotate.h"

#define KEY_NEW "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define KEY_NEW2 "v=DKIM1; k=ed25519; p=21qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define KEY_OLD "v=DKIM1; k=ed25519; p=31qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define T0 1796000000 /* 2026-11-30 */
#define DAY 86400

/* rotation - example.com moving from old1 to new1 (and new2 when two) */
static struct ink_rotation *rotation(int two)
{
    struct ink_rotation *r = ink_rotation_new("Example.COM.", T0);

    assert_non_null(r);
    assert_string_equal(r->domain, "example.com");
    assert_int_equal(r->phase, INK_ROT_PUBLISH_NEW);
    assert_int_equal(ink_rotation_add_key(r, 1, "new1", "ed25519", KEY_NEW, "/k/new1"), 0);
    if (two)
        assert_int_equal(ink_rotation_add_key(r, 1, "new2", "ed25519", KEY_NEW2, NULL), 0);
    assert_int_equal(ink_rotation_add_key(r, 0, "old1", "ed25519", KEY_OLD, NULL), 0);
    return r;
}

/* obs - one server's observation, every key seen as s */
static struct ink_rot_obs obs(const char *server, enum ink_rot_seen s)
{
    struct ink_rot_obs o;
    size_t i;

    memset(&o, 0, sizeof(o));
    o.server = server;
    for (i = 0; i < INK_ROTATE_KEYS_MAX; i++)
        o.seen[i] = s;
    return o;
}

/* every transition in order: PUBLISH_NEW -> ACTIVE -> RETIRE -> DONE */
static void test_phases(void **state)
{
    struct ink_rotation *r = rotation(0);
    struct ink_rot_obs o[2];
    enum ink_rot_phase from = INK_ROT_DONE;

    (void)state;
    assert_int_equal(ink_rotation_checked(r), 1);
    assert_int_equal(ink_rotation_signing_new(r), 0);
    o[0] = obs("ns1", INK_ROT_SEEN_KEY);
    o[1] = obs("ns2", INK_ROT_SEEN_KEY);
    assert_int_equal(ink_rotation_advance(r, o, 2, NULL, T0 + 10, &from), 1);
    assert_int_equal(from, INK_ROT_PUBLISH_NEW);
    assert_int_equal(r->phase, INK_ROT_ACTIVE);
    assert_int_equal(r->active_at, T0 + 10);
    assert_int_equal(r->phase_since, T0 + 10);
    assert_int_equal(r->next_check, T0 + 10 + INK_ROTATE_OVERLAP_DEFAULT);
    assert_int_equal(ink_rotation_signing_new(r), 1);
    assert_int_equal(ink_rotation_checked(r), -1);
    /* in ACTIVE DNS is not looked at: the clock alone decides */
    assert_int_equal(ink_rotation_advance(r, NULL, 0, NULL, T0 + 10 + DAY, NULL), 0);
    assert_int_equal(r->phase, INK_ROT_ACTIVE);
    assert_non_null(strstr(r->detail, "stay published"));
    assert_int_equal(ink_rotation_advance(r, NULL, 0, NULL, T0 + 10 + 7 * DAY, &from), 1);
    assert_int_equal(from, INK_ROT_ACTIVE);
    assert_int_equal(r->phase, INK_ROT_RETIRE);
    assert_int_equal(ink_rotation_checked(r), 0);
    assert_int_equal(ink_rotation_signing_new(r), 1);
    /* the old key still published on one server: RETIRE waits */
    o[0] = obs("ns1", INK_ROT_SEEN_REVOKED);
    o[1] = obs("ns2", INK_ROT_SEEN_KEY);
    assert_int_equal(ink_rotation_advance(r, o, 2, NULL, T0 + 8 * DAY, NULL), 0);
    assert_int_equal(r->phase, INK_ROT_RETIRE);
    assert_non_null(strstr(r->detail, "1 of 2 servers ready"));
    assert_int_equal(r->next_check, T0 + 8 * DAY + INK_ROTATE_POLL);
    /* revoked on one, removed on the other: DONE */
    o[1] = obs("ns2", INK_ROT_SEEN_ABSENT);
    assert_int_equal(ink_rotation_advance(r, o, 2, NULL, T0 + 8 * DAY + 300, &from), 1);
    assert_int_equal(from, INK_ROT_RETIRE);
    assert_int_equal(r->phase, INK_ROT_DONE);
    assert_int_equal(r->next_check, 0);
    assert_int_equal(ink_rotation_checked(r), -1);
    /* DONE stays */
    assert_int_equal(ink_rotation_advance(r, o, 2, NULL, T0 + 9 * DAY, NULL), 0);
    assert_int_equal(r->phase, INK_ROT_DONE);
    ink_rotation_free(r);
}

/* a server that lags keeps PUBLISH_NEW waiting until it serves every key */
static void test_lagging_server(void **state)
{
    struct ink_rotation *r = rotation(1);
    struct ink_rot_obs o[2];

    (void)state;
    o[0] = obs("ns1", INK_ROT_SEEN_KEY);
    o[1] = obs("ns2", INK_ROT_SEEN_ABSENT);
    assert_int_equal(ink_rotation_advance(r, o, 2, NULL, T0 + 60, NULL), 0);
    assert_int_equal(r->phase, INK_ROT_PUBLISH_NEW);
    assert_non_null(strstr(r->detail, "ns2: new1 absent new2 absent"));
    assert_non_null(strstr(r->detail, "1 of 2 servers ready"));
    assert_int_equal(r->next_check, T0 + 60 + INK_ROTATE_POLL);
    assert_int_equal(r->last_check, T0 + 60);
    /* one of two keys there on the lagging server: still waiting */
    o[1].seen[0] = INK_ROT_SEEN_KEY;
    assert_int_equal(ink_rotation_advance(r, o, 2, NULL, T0 + 400, NULL), 0);
    assert_int_equal(r->phase, INK_ROT_PUBLISH_NEW);
    /* an old key still where the new should be counts as not there */
    o[1].seen[1] = INK_ROT_SEEN_OTHER;
    assert_int_equal(ink_rotation_advance(r, o, 2, NULL, T0 + 700, NULL), 0);
    assert_non_null(strstr(r->detail, "new2 other"));
    o[1].seen[1] = INK_ROT_SEEN_KEY;
    assert_int_equal(ink_rotation_advance(r, o, 2, NULL, T0 + 1000, NULL), 1);
    assert_int_equal(r->phase, INK_ROT_ACTIVE);
    assert_int_equal(r->active_at, T0 + 1000);
    ink_rotation_free(r);
}

/* a temporary failure of one server is not "published": waits, retries sooner */
static void test_temp_failure(void **state)
{
    struct ink_rotation *r = rotation(0);
    struct ink_rot_obs o[2];

    (void)state;
    o[0] = obs("ns1", INK_ROT_SEEN_KEY);
    o[1] = obs("ns2", INK_ROT_SEEN_ERROR);
    assert_int_equal(ink_rotation_advance(r, o, 2, NULL, T0 + 60, NULL), 0);
    assert_int_equal(r->phase, INK_ROT_PUBLISH_NEW);
    assert_int_equal(r->next_check, T0 + 60 + INK_ROTATE_POLL_RETRY);
    assert_non_null(strstr(r->detail, "ns2: new1 error"));
    /* no server at all (NS lookup failed): waits too */
    assert_int_equal(ink_rotation_advance(r, NULL, 0, "NS query: SERVFAIL", T0 + 200, NULL), 0);
    assert_int_equal(r->phase, INK_ROT_PUBLISH_NEW);
    assert_non_null(strstr(r->detail, "NS query: SERVFAIL"));
    assert_int_equal(r->next_check, T0 + 200 + INK_ROTATE_POLL_RETRY);
    /* a failing server in RETIRE keeps the old key's revocation unconfirmed */
    o[1] = obs("ns2", INK_ROT_SEEN_KEY);
    assert_int_equal(ink_rotation_advance(r, o, 2, NULL, T0 + 300, NULL), 1);
    assert_int_equal(ink_rotation_advance(r, NULL, 0, NULL, T0 + 300 + 7 * DAY, NULL), 1);
    assert_int_equal(r->phase, INK_ROT_RETIRE);
    o[0] = obs("ns1", INK_ROT_SEEN_REVOKED);
    o[1] = obs("ns2", INK_ROT_SEEN_ERROR);
    assert_int_equal(ink_rotation_advance(r, o, 2, NULL, T0 + 301 + 7 * DAY, NULL), 0);
    assert_int_equal(r->phase, INK_ROT_RETIRE);
    ink_rotation_free(r);
}

/* clock edges: the overlap's last second, exactly its end, a clock that went back */
static void test_clock_edges(void **state)
{
    struct ink_rotation *r = rotation(0);
    struct ink_rot_obs o = obs("ns1", INK_ROT_SEEN_KEY);

    (void)state;
    r->overlap = 3600;
    assert_int_equal(ink_rotation_advance(r, &o, 1, NULL, T0, NULL), 1); /* same second as made */
    assert_int_equal(r->phase, INK_ROT_ACTIVE);
    assert_int_equal(r->next_check, T0 + 3600);
    assert_int_equal(ink_rotation_advance(r, NULL, 0, NULL, T0 + 3599, NULL), 0);
    assert_int_equal(r->phase, INK_ROT_ACTIVE);
    assert_int_equal(r->next_check, T0 + 3600);
    /* back in time: nothing decided, last_check unchanged */
    assert_int_equal(ink_rotation_advance(r, NULL, 0, NULL, T0 - 5 * DAY, NULL), 0);
    assert_int_equal(r->phase, INK_ROT_ACTIVE);
    assert_int_equal(r->last_check, T0 + 3599);
    assert_non_null(strstr(r->detail, "clock"));
    assert_int_equal(ink_rotation_advance(r, NULL, 0, NULL, T0 + 3600, NULL), 1);
    assert_int_equal(r->phase, INK_ROT_RETIRE);
    /* a clock back before PUBLISH_NEW's start does not activate either */
    ink_rotation_free(r);
    r = rotation(0);
    assert_int_equal(ink_rotation_advance(r, &o, 1, NULL, T0 - 1, NULL), 0);
    assert_int_equal(r->phase, INK_ROT_PUBLISH_NEW);
    /* zero overlap: ACTIVE, then RETIRE at the same second */
    r->overlap = 0;
    assert_int_equal(ink_rotation_advance(r, &o, 1, NULL, T0 + 1, NULL), 1);
    assert_int_equal(ink_rotation_advance(r, NULL, 0, NULL, T0 + 1, NULL), 1);
    assert_int_equal(r->phase, INK_ROT_RETIRE);
    ink_rotation_free(r);
}

/* no old key (a first key): RETIRE has nothing to revoke and ends */
static void test_no_old_key(void **state)
{
    struct ink_rotation *r = ink_rotation_new("example.com", T0);
    struct ink_rot_obs o = obs("ns1", INK_ROT_SEEN_KEY);

    (void)state;
    assert_int_equal(ink_rotation_add_key(r, 1, "new1", "ed25519", KEY_NEW, NULL), 0);
    r->overlap = 10;
    assert_int_equal(ink_rotation_advance(r, &o, 1, NULL, T0, NULL), 1);
    assert_int_equal(ink_rotation_advance(r, NULL, 0, NULL, T0 + 10, NULL), 1);
    assert_int_equal(r->phase, INK_ROT_RETIRE);
    assert_int_equal(ink_rotation_checked(r), -1);
    assert_int_equal(ink_rotation_advance(r, NULL, 0, NULL, T0 + 11, NULL), 1);
    assert_int_equal(r->phase, INK_ROT_DONE);
    ink_rotation_free(r);
}

/* bad keys are refused; the sides have a limit */
static void test_add_key(void **state)
{
    struct ink_rotation *r = ink_rotation_new("example.com", T0);
    int i;

    (void)state;
    assert_null(ink_rotation_new("bad..name", T0));
    assert_int_equal(ink_rotation_add_key(r, 1, "bad_sel", NULL, NULL, NULL), -1);
    assert_int_equal(ink_rotation_add_key(r, 1, "-x", NULL, NULL, NULL), -1);
    assert_int_equal(ink_rotation_add_key(r, 1, NULL, NULL, NULL, NULL), -1);
    for (i = 0; i < INK_ROTATE_KEYS_MAX; i++)
        assert_int_equal(ink_rotation_add_key(r, 0, "s1", NULL, NULL, NULL), 0);
    assert_int_equal(ink_rotation_add_key(r, 0, "s1", NULL, NULL, NULL), -1);
    assert_int_equal(r->nold, INK_ROTATE_KEYS_MAX);
    assert_int_equal(ink_rot_phase_from_name("retire"), INK_ROT_RETIRE);
    assert_int_equal(ink_rot_phase_from_name("PUBLISH_NEW"), INK_ROT_PUBLISH_NEW);
    assert_int_equal(ink_rot_phase_from_name("RETIREX"), -1);
    assert_int_equal(ink_rot_phase_from_name("RETIR"), -1);
    assert_string_equal(ink_rot_phase_name(INK_ROT_DONE), "DONE");
    ink_rotation_free(r);
}

/* check - run one check of r over zone z (one server's view) */
static void check(const struct ink_rotation *r, struct ink_memzone *z, struct ink_rot_obs *o)
{
    struct ink_resolver *res = ink_resolver_memzone_new(z, 0);
    struct ink_rotate_check *c = ink_rotate_check_new(r);

    assert_non_null(c);
    assert_int_equal(ink_drive_sync(res, ink_rotate_check_machine(c), NULL), INK_NEXT_DONE);
    assert_int_equal(ink_rotate_check_obs(c, "srv", o), 0);
    ink_rotate_check_free(c);
    ink_resolver_free(res);
}

/* the check machine over two servers' zones: one has the keys, one lags */
static void test_check_machine(void **state)
{
    struct ink_rotation *r = rotation(1);
    struct ink_memzone *z1 = ink_memzone_new(), *z2 = ink_memzone_new();
    struct ink_rot_obs o[2];
    static const char key_spaced[] = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQH Og7hcvPapiMlrwIaaPcHURo=";

    (void)state;
    assert_int_equal(ink_memzone_add_txt1(z1, "new1._domainkey.example.com", INK_DNS_TXT, 300,
                                          key_spaced, strlen(key_spaced)), 0);
    assert_int_equal(ink_memzone_add_txt1(z1, "new2._domainkey.example.com", INK_DNS_TXT, 300,
                                          KEY_NEW2, strlen(KEY_NEW2)), 0);
    assert_int_equal(ink_memzone_add_txt1(z2, "new1._domainkey.example.com", INK_DNS_TXT, 300,
                                          KEY_NEW, strlen(KEY_NEW)), 0);
    /* the lagging server has the other key under new2 */
    assert_int_equal(ink_memzone_add_txt1(z2, "new2._domainkey.example.com", INK_DNS_TXT, 300,
                                          KEY_OLD, strlen(KEY_OLD)), 0);
    check(r, z1, &o[0]);
    assert_int_equal(o[0].seen[0], INK_ROT_SEEN_KEY);
    assert_int_equal(o[0].seen[1], INK_ROT_SEEN_KEY);
    check(r, z2, &o[1]);
    assert_int_equal(o[1].seen[0], INK_ROT_SEEN_KEY);
    assert_int_equal(o[1].seen[1], INK_ROT_SEEN_OTHER);
    o[0].server = "a";
    o[1].server = "b";
    assert_int_equal(ink_rotation_advance(r, o, 2, NULL, T0 + 5, NULL), 0);
    /* the lagging server catches up */
    ink_memzone_remove(z2, "new2._domainkey.example.com", 0);
    assert_int_equal(ink_memzone_add_txt1(z2, "new2._domainkey.example.com", INK_DNS_TXT, 300,
                                          KEY_NEW2, strlen(KEY_NEW2)), 0);
    check(r, z2, &o[1]);
    o[1].server = "b";
    assert_int_equal(ink_rotation_advance(r, o, 2, NULL, T0 + 305, NULL), 1);
    assert_int_equal(r->phase, INK_ROT_ACTIVE);
    /* ACTIVE: the check asks nothing */
    check(r, z2, &o[1]);
    r->phase = INK_ROT_RETIRE;
    /* RETIRE: the old selector; absent on z1, SERVFAIL on z2, then revoked */
    check(r, z1, &o[0]);
    assert_int_equal(o[0].seen[0], INK_ROT_SEEN_ABSENT);
    assert_int_equal(ink_memzone_set_fault(z2, "old1._domainkey.example.com", 0, INK_DNS_SERVFAIL), 0);
    check(r, z2, &o[1]);
    assert_int_equal(o[1].seen[0], INK_ROT_SEEN_ERROR);
    ink_memzone_free(z2);
    z2 = ink_memzone_new();
    assert_int_equal(ink_memzone_add_txt1(z2, "old1._domainkey.example.com", INK_DNS_TXT, 300,
                                          "v=DKIM1; k=ed25519; p=", 22), 0);
    check(r, z2, &o[1]);
    assert_int_equal(o[1].seen[0], INK_ROT_SEEN_REVOKED);
    ink_memzone_free(z1);
    ink_memzone_free(z2);
    ink_rotation_free(r);
}

/* the check machine's protocol: tokens, NULL and unfitting answers */
static void test_check_protocol(void **state)
{
    struct ink_rotation *r = rotation(0);
    struct ink_rotate_check *c = ink_rotate_check_new(r);
    struct ink_dns_answer *wrong = ink_dns_answer_new("other.example.com", INK_DNS_TXT, INK_DNS_OK);
    struct ink_query q;
    struct ink_rot_obs o;

    (void)state;
    assert_int_equal(ink_rotate_check_next(c, &q), INK_NEXT_READY);
    assert_string_equal(q.name, "new1._domainkey.example.com");
    assert_int_equal(q.type, INK_DNS_TXT);
    assert_int_equal(ink_rotate_check_obs(c, "x", &o), -1);
    assert_int_equal(ink_rotate_check_next(c, &q), INK_NEXT_WAIT);
    assert_int_equal(ink_rotate_check_feed(c, 99, NULL), -1);
    assert_int_equal(ink_rotate_check_feed(c, q.token, wrong), 0);
    assert_int_equal(ink_rotate_check_feed(c, q.token, NULL), -1); /* not outstanding now */
    assert_int_equal(ink_rotate_check_next(c, &q), INK_NEXT_DONE);
    assert_int_equal(ink_rotate_check_obs(c, "x", &o), 0);
    assert_int_equal(o.seen[0], INK_ROT_SEEN_ERROR);
    ink_dns_answer_free(wrong);
    ink_rotate_check_free(c);
    ink_rotation_free(r);
}

/* classify: several key records, a non-key TXT, NXDOMAIN, an unusable one */
static void test_classify(void **state)
{
    struct ink_dns_answer *a = ink_dns_answer_new("s._domainkey.example.com", INK_DNS_TXT, INK_DNS_OK);
    const uint8_t *strs[1];
    size_t lens[1];

    (void)state;
    assert_int_equal(ink_rot_seen_classify(a, KEY_NEW), INK_ROT_SEEN_ABSENT);
    strs[0] = (const uint8_t *)"hello world";
    lens[0] = 11;
    assert_int_equal(ink_dns_answer_add_txt(a, "s._domainkey.example.com", INK_DNS_TXT, 60, 1, strs, lens), 0);
    assert_int_equal(ink_rot_seen_classify(a, KEY_NEW), INK_ROT_SEEN_ABSENT);
    strs[0] = (const uint8_t *)KEY_NEW;
    lens[0] = strlen(KEY_NEW);
    assert_int_equal(ink_dns_answer_add_txt(a, "s._domainkey.example.com", INK_DNS_TXT, 60, 1, strs, lens), 0);
    assert_int_equal(ink_rot_seen_classify(a, KEY_NEW), INK_ROT_SEEN_KEY);
    assert_int_equal(ink_rot_seen_classify(a, KEY_NEW2), INK_ROT_SEEN_OTHER);
    assert_int_equal(ink_rot_seen_classify(a, NULL), INK_ROT_SEEN_KEY);
    strs[0] = (const uint8_t *)"p=!!!";
    lens[0] = 5;
    assert_int_equal(ink_dns_answer_add_txt(a, "s._domainkey.example.com", INK_DNS_TXT, 60, 1, strs, lens), 0);
    assert_int_equal(ink_rot_seen_classify(a, KEY_NEW), INK_ROT_SEEN_OTHER); /* two key records */
    ink_dns_answer_free(a);
    a = ink_dns_answer_new("s._domainkey.example.com", INK_DNS_TXT, INK_DNS_NXDOMAIN);
    assert_int_equal(ink_rot_seen_classify(a, KEY_NEW), INK_ROT_SEEN_ABSENT);
    ink_dns_answer_free(a);
    a = ink_dns_answer_new("s._domainkey.example.com", INK_DNS_TXT, INK_DNS_TIMEOUT);
    assert_int_equal(ink_rot_seen_classify(a, KEY_NEW), INK_ROT_SEEN_ERROR);
    ink_dns_answer_free(a);
    assert_int_equal(ink_rot_seen_classify(NULL, KEY_NEW), INK_ROT_SEEN_ERROR);
    a = ink_dns_answer_new("s._domainkey.example.com", INK_DNS_TXT, INK_DNS_OK);
    strs[0] = (const uint8_t *)"v=DKIM1; k=rsa; p=!!!";
    lens[0] = strlen((const char *)strs[0]);
    assert_int_equal(ink_dns_answer_add_txt(a, "s._domainkey.example.com", INK_DNS_TXT, 60, 1, strs, lens), 0);
    assert_int_equal(ink_rot_seen_classify(a, KEY_NEW), INK_ROT_SEEN_OTHER);
    ink_dns_answer_free(a);
}

/* the zone lines of each phase */
static void test_zone_lines(void **state)
{
    struct ink_rotation *r = rotation(0);
    struct ink_str s = INK_STR_INIT;

    (void)state;
    r->ttl = 600;
    assert_int_equal(ink_rotation_zone_lines(r, &s), 0);
    assert_non_null(strstr(ink_str_cstr(&s), "new1._domainkey.example.com. 600 IN TXT \"" KEY_NEW "\""));
    assert_non_null(strstr(ink_str_cstr(&s), "; keep old1._domainkey.example.com published"));
    ink_str_truncate(&s, 0);
    r->phase = INK_ROT_RETIRE;
    assert_int_equal(ink_rotation_zone_lines(r, &s), 0);
    assert_non_null(strstr(ink_str_cstr(&s), "; remove the record of old1._domainkey.example.com"));
    assert_non_null(strstr(ink_str_cstr(&s), "old1._domainkey.example.com. 600 IN TXT \"v=DKIM1; k=ed25519; p=\""));
    ink_str_truncate(&s, 0);
    r->phase = INK_ROT_DONE;
    assert_int_equal(ink_rotation_zone_lines(r, &s), 0);
    assert_non_null(strstr(ink_str_cstr(&s), "rotation done"));
    assert_null(strstr(ink_str_cstr(&s), "old1"));
    ink_str_free(&s);
    /* an old key of unknown type is revoked without k= */
    ink_rotation_free(r);
    r = ink_rotation_new("example.com", T0);
    assert_int_equal(ink_rotation_add_key(r, 0, "s1", NULL, NULL, NULL), 0);
    r->phase = INK_ROT_RETIRE;
    assert_int_equal(ink_rotation_zone_lines(r, &s), 0);
    assert_non_null(strstr(ink_str_cstr(&s), "\"v=DKIM1; p=\""));
    ink_str_free(&s);
    ink_rotation_free(r);
}

/* the selector format: every token, appended algorithm, errors */
static void test_selector(void **state)
{
    char out[INK_ROTATE_SELECTOR_MAX + 1];
    const char *why;
    size_t off;

    (void)state;
    /* 2026-12-03 15:04:05 UTC */
    assert_int_equal(ink_rotate_selector("inkan-%Y%m", 1796310245, "rsa2048", 0, out, sizeof(out), &why, &off), 12);
    assert_string_equal(out, "inkan-202612");
    assert_true(ink_rotate_selector("s%Y%m%d%H%M%S-%a", 1796310245, "ed25519", 1, out, sizeof(out), &why, &off) > 0);
    assert_string_equal(out, "s20261203150405-ed25519");
    assert_true(ink_rotate_selector("k%Y%m", 1796310245, "ed25519", 1, out, sizeof(out), &why, &off) > 0);
    assert_string_equal(out, "k202612-ed25519");
    assert_true(ink_rotate_selector("e%s", 0, NULL, 1, out, sizeof(out), &why, &off) > 0);
    assert_string_equal(out, "e0");
    /* leap day and year end */
    assert_true(ink_rotate_selector("%Y-%m-%d", 951782400, NULL, 0, out, sizeof(out), &why, &off) > 0);
    assert_string_equal(out, "2000-02-29");
    assert_true(ink_rotate_selector("y%Y%m%d%H%M%S", 1798761599, NULL, 0, out, sizeof(out), &why, &off) > 0);
    assert_string_equal(out, "y20261231235959");
    assert_int_equal(ink_rotate_selector("x%q", 0, NULL, 0, out, sizeof(out), &why, &off), -1);
    assert_int_equal(off, 1);
    assert_non_null(strstr(why, "unknown token"));
    assert_int_equal(ink_rotate_selector("x%", 0, NULL, 0, out, sizeof(out), &why, &off), -1);
    assert_int_equal(off, 1);
    assert_int_equal(ink_rotate_selector("a_b", 0, NULL, 0, out, sizeof(out), &why, &off), -1);
    assert_int_equal(ink_rotate_selector("100%%", 0, NULL, 0, out, sizeof(out), &why, &off), -1);
    assert_int_equal(ink_rotate_selector("", 0, NULL, 0, out, sizeof(out), &why, &off), -1);
    assert_int_equal(ink_rotate_selector("s", -1, NULL, 0, out, sizeof(out), &why, &off), -1);
    assert_int_equal(ink_rotate_selector("inkan-%Y%m", 1796310245, NULL, 0, out, 5, &why, &off), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phases),
        cmocka_unit_test(test_lagging_server),
        cmocka_unit_test(test_temp_failure),
        cmocka_unit_test(test_clock_edges),
        cmocka_unit_test(test_no_old_key),
        cmocka_unit_test(test_add_key),
        cmocka_unit_test(test_check_machine),
        cmocka_unit_test(test_check_protocol),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_zone_lines),
        cmocka_unit_test(test_selector),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
