/*
 * test_machines.c - the cross-machine hostile-answer test (issue 7): every
 * machine that speaks inkan/query.h is run against an in-memory zone, and
 * at query number k (k = 0..N, N the queries of a clean run) the answer is
 * replaced by each of: NULL, an empty NOERROR answer, SERVFAIL, an answer
 * of the wrong type, an answer for a name it did not ask, and a stale or
 * unknown token before the real answer.  Each run must not crash (ASan in
 * `make test`), must end within a bounded number of steps with DONE, and
 * must give the result its kind's rules say: a temporary failure where the
 * answer is unusable, the RFC's result where it is usable (an empty
 * answer is "no record"), the clean result where nothing changed.
 *
 * The machines are a table of factories (struct kind): adding a machine
 * is one entry with its zone, how to make it, and what it must conclude.
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
#include "inkan/arc.h"
#include "inkan/dkim.h"
#include "inkan/dmarc.h"
#include "inkan/dns.h"
#include "inkan/finding.h"
#include "inkan/report.h"
#include "inkan/report_sim.h"
#include "inkan/inbound.h"
#include "inkan/memzone.h"
#include "inkan/profile.h"
#include "inkan/provision.h"
#include "inkan/query.h"
#include "inkan/rotate.h"
#include "inkan/spf.h"
#include "inkan/spf_lint.h"
#include "inkan/str.h"
#include "inkan/verify.h"

/* next() calls one run may take before it counts as not ending. */
#define STEPS_MAX 10000
/* Queries one run may have out at once. */
#define PENDING_MAX 64
/* Queries one run may ask in all. */
#define QUERIES_MAX 256
/* A token no machine hands out in these runs (they count from 1). */
#define TOKEN_NEVER 0xfffffff0u
/* The name of an answer "for a name it did not ask". */
#define DECOY_NAME "decoy.invalid"

/* What replaces the answer to query k. */
enum hostile {
    H_NULL = 0,   /* no answer at all */
    H_EMPTY,      /* NOERROR with no record */
    H_SERVFAIL,   /* SERVFAIL */
    H_WRONG_TYPE, /* the zone's answer for the name, another type */
    H_WRONG_NAME, /* the right records, under a name not asked */
    H_STALE,      /* a stale and an unknown token first (refused), then the
                   * real answer */
    H_COUNT
};

static const char *const hostile_names[H_COUNT] = {
    "NULL", "empty", "SERVFAIL", "wrong-type", "wrong-name", "stale-token",
};

/* Where the hostile answer went in one run. */
struct at {
    enum hostile h;
    size_t k;                          /* the query number replaced */
    int replaced;                      /* 0: the run asked fewer than k+1 */
    char name[INK_DNS_NAME_MAX + 1];   /* the question replaced */
    uint16_t type;
};

/* unusable - the hostile answer says nothing about the question: the
 * machine must read it as a temporary failure of that query */
static int unusable(const struct at *at)
{
    return at->replaced && (at->h == H_NULL || at->h == H_SERVFAIL || at->h == H_WRONG_TYPE ||
                            at->h == H_WRONG_NAME);
}

/* emptied - query at->name (at->type) was answered "no record" */
static int emptied(const struct at *at, const char *name)
{
    return at->replaced && at->h == H_EMPTY && strcmp(at->name, name) == 0;
}

/* hit - the hostile, unusable answer went to the question name */
static int hit(const struct at *at, const char *name)
{
    return unusable(at) && strcmp(at->name, name) == 0;
}

/* One machine kind. */
struct kind {
    const char *name;
    void (*zone)(struct ink_memzone *z);         /* the records it needs */
    void *(*make)(void);                         /* a fresh object, given its input */
    struct ink_machine (*machine)(void *obj);
    void (*check)(void *obj, const struct at *at); /* assert its result */
    void (*release)(void *obj);
};

/* ---- helpers ---- */

/* add_txt - a TXT record at owner, split into 255-byte strings */
static void add_txt(struct ink_memzone *z, const char *owner, const char *text)
{
    const uint8_t *strs[32];
    size_t lens[32], len = strlen(text), n = 0;
    const char *p = text;

    while (len > 0) {
        size_t take = len > INK_DNS_TXT_STRING_MAX ? INK_DNS_TXT_STRING_MAX : len;
        assert_true(n < 32);
        strs[n] = (const uint8_t *)p;
        lens[n++] = take;
        p += take;
        len -= take;
    }
    assert_int_equal(ink_memzone_add_txt(z, owner, INK_DNS_TXT, 300, n, strs, lens), 0);
}

/* hostile_answer - the answer replacing the zone's for q (NULL for H_NULL);
 * caller frees */
static struct ink_dns_answer *hostile_answer(const struct ink_memzone *z, enum hostile h,
                                             const char *name, uint16_t type)
{
    struct ink_dns_answer *a = NULL;
    size_t i;

    switch (h) {
    case H_NULL:
        return NULL;
    case H_EMPTY:
        a = ink_dns_answer_new(name, type, INK_DNS_OK);
        break;
    case H_SERVFAIL:
        a = ink_dns_answer_new(name, type, INK_DNS_SERVFAIL);
        break;
    case H_WRONG_TYPE:
        a = ink_memzone_lookup(z, name, type == INK_DNS_TXT ? INK_DNS_A : INK_DNS_TXT);
        break;
    case H_WRONG_NAME:
        /* the very records asked for, but under another name */
        a = ink_memzone_lookup(z, name, type);
        assert_non_null(a);
        free(a->qname);
        a->qname = strdup(DECOY_NAME);
        assert_non_null(a->qname);
        for (i = 0; i < a->nrr; i++) {
            free(a->rr[i].owner);
            a->rr[i].owner = strdup(DECOY_NAME);
            assert_non_null(a->rr[i].owner);
        }
        break;
    case H_STALE:
    case H_COUNT:
    default:
        a = ink_memzone_lookup(z, name, type);
        break;
    }
    assert_non_null(a);
    return a;
}

/* A query handed out and not fed yet. */
struct pending {
    char name[INK_DNS_NAME_MAX + 1];
    uint16_t type;
    uint32_t token;
    size_t number; /* in the order next() handed them out */
};

/*
 * drive - run m to its end: every query is handed out first (several may
 * be out), then fed in order from z, except query number k, answered by
 * h.  Fills at and returns the queries asked.  Asserts the protocol: WAIT
 * only with a query out, a bounded run, DONE at the end and after it.
 */
static size_t drive(struct ink_machine m, const struct ink_memzone *z, size_t k, enum hostile h,
                    struct at *at)
{
    struct pending pend[PENDING_MAX];
    size_t np = 0, asked = 0, steps = 0;
    uint32_t last_fed = 0;
    struct ink_query q;
    enum ink_next st;

    memset(at, 0, sizeof(*at));
    at->h = h;
    at->k = k;
    for (;;) {
        if (++steps > STEPS_MAX)
            fail_msg("%s: no end after %d steps (%s at query %zu)", m.ops->kind, STEPS_MAX,
                     hostile_names[h], k);
        st = ink_machine_next(m, &q);
        if (st == INK_NEXT_READY) {
            size_t n = strlen(q.name);
            assert_true(np < PENDING_MAX);
            assert_true(asked < QUERIES_MAX);
            assert_true(n <= INK_DNS_NAME_MAX);
            memcpy(pend[np].name, q.name, n + 1);
            pend[np].type = q.type;
            pend[np].token = q.token;
            pend[np].number = asked++;
            np++;
            continue;
        }
        if (st != INK_NEXT_WAIT)
            break;
        /* WAIT with nothing out would stall any driver */
        if (np == 0)
            fail_msg("%s: WAIT with no query out (%s at query %zu)", m.ops->kind,
                     hostile_names[h], k);
        {
            struct pending p = pend[0];
            struct ink_dns_answer *a;

            memmove(pend, pend + 1, (np - 1) * sizeof(pend[0]));
            np--;
            if (p.number == k) {
                at->replaced = 1;
                memcpy(at->name, p.name, sizeof(at->name));
                at->type = p.type;
                a = hostile_answer(z, h, p.name, p.type);
                if (h == H_STALE) {
                    size_t i;
                    /* neither a token fed before (unless handed out again)
                     * nor one never handed out */
                    for (i = 0; i < np; i++)
                        if (pend[i].token == last_fed)
                            last_fed = 0;
                    if (last_fed != 0 && last_fed != p.token)
                        assert_int_equal(ink_machine_feed(m, last_fed, a), -1);
                    assert_int_equal(ink_machine_feed(m, TOKEN_NEVER, a), -1);
                }
            } else {
                a = ink_memzone_lookup(z, p.name, p.type);
                assert_non_null(a);
            }
            assert_int_equal(ink_machine_feed(m, p.token, a), 0);
            /* the same token again is stale now */
            assert_int_equal(ink_machine_feed(m, p.token, a), -1);
            last_fed = p.token;
            ink_dns_answer_free(a);
        }
    }
    if (st != INK_NEXT_DONE)
        fail_msg("%s: ended %s (%s at query %zu)", m.ops->kind, ink_next_name(st),
                 hostile_names[h], k);
    assert_int_equal(np, 0);
    assert_int_equal(ink_machine_next(m, &q), INK_NEXT_DONE);
    if (last_fed != 0)
        assert_int_equal(ink_machine_feed(m, last_fed, NULL), -1);
    return asked;
}

/* ---- DKIM verification: RFC 8463 A.3, two signatures, two keys ---- */

/* RFC 8463 Appendix A.3: one message signed with Ed25519 and RSA keys */
static const char dkim_msg[] =
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
    "   d=football.example.com; i=@football.example.com;\r\n"
    "   q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
    "   subject : date : message-id : from : subject : date;\r\n"
    "   bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    "   b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
    "   Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
    "   d=football.example.com; i=@football.example.com;\r\n"
    "   q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
    "   date : message-id : from : subject : date;\r\n"
    "   bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    "   b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
    "   DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
    "   dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";

/* RFC 8463 Appendix A.2 */
static const char dkim_ed_key[] = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
static const char dkim_rsa_key[] = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
                                   "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
                                   "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
                                   "Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

static void dkim_zone(struct ink_memzone *z)
{
    add_txt(z, "brisbane._domainkey.football.example.com", dkim_ed_key);
    add_txt(z, "test._domainkey.football.example.com", dkim_rsa_key);
    /* something of another type at a key name, for the wrong-type answer */
    assert_int_equal(ink_memzone_add_addr_text(z, "test._domainkey.football.example.com", 300,
                                               "192.0.2.1"),
                     0);
}

/* dkim_make - the whole message pushed and ended: what is left is DNS (a
 * driver that only has the machine sees WAIT only with a query out) */
static void *dkim_make(void)
{
    struct ink_dkim_verify *v = ink_dkim_verify_new(NULL);

    assert_non_null(v);
    assert_int_equal(ink_dkim_verify_push(v, (const uint8_t *)dkim_msg, sizeof(dkim_msg) - 1), 0);
    assert_int_equal(ink_dkim_verify_end(v), 0);
    return v;
}

static struct ink_machine dkim_machine(void *obj)
{
    return ink_dkim_verify_machine(obj);
}

/* dkim_check - RFC 6376 6.1.2: a key lookup that fails is TEMPFAIL
 * (temperror) for the signatures using that key; no key record is
 * PERMFAIL (permerror); the other signature keeps its pass */
static void dkim_check(void *obj, const struct at *at)
{
    struct ink_dkim_verify *v = obj;
    size_t i;

    assert_int_equal(ink_dkim_verify_count(v), 2);
    for (i = 0; i < 2; i++) {
        const struct ink_dkim_result *r = ink_dkim_verify_result(v, i);
        enum ink_dkim_result_code want = INK_DKIM_PASS;

        if (hit(at, r->key_name))
            want = INK_DKIM_TEMPERROR;
        else if (emptied(at, r->key_name))
            want = INK_DKIM_PERMERROR;
        if (r->code != want)
            fail_msg("dkim: %s at query %zu (%s): signature %zu is %s (%s), wanted %s",
                     hostile_names[at->h], at->k, at->name, i, ink_dkim_result_name(r->code),
                     r->reason, ink_dkim_result_name(want));
    }
}

static void dkim_release(void *obj)
{
    ink_dkim_verify_free(obj);
}

/* ---- ARC verification: a two-hop chain, two keys ---- */

/* The chain, sealed once per process with two fresh Ed25519 keys (one
 * per hop, so the verifier asks two key names at once). */
static struct ink_str arc_msg = INK_STR_INIT;
static struct ink_str arc_rec[2] = {INK_STR_INIT, INK_STR_INIT};
static const char *const arc_keyname[2] = {"h1._domainkey.one.example", "h2._domainkey.two.example"};

static void arc_fixture(void)
{
    static const char *const dom[2] = {"one.example", "two.example"}, *const sel[2] = {"h1", "h2"};
    size_t k;

    if (arc_msg.len)
        return;
    assert_int_equal(ink_str_puts(&arc_msg, "Authentication-Results: one.example; spf=pass\r\n"
                                            "From: a@d.example\r\nTo: b@e.example\r\n"
                                            "Subject: s\r\n\r\nbody\r\n"),
                     0);
    for (k = 0; k < 2; k++) {
        struct ink_str pem = INK_STR_INIT, err = INK_STR_INIT, out = INK_STR_INIT;
        struct ink_dkim_privkey *key;
        struct ink_arc_seal_opts o;
        struct ink_arc_seal *s;
        assert_int_equal(ink_dkim_keygen(INK_DKIM_KEY_ED25519, 0, &pem, &arc_rec[k], &err), 0);
        key = ink_dkim_privkey_parse((const uint8_t *)pem.buf, pem.len, &err);
        assert_non_null(key);
        memset(&o, 0, sizeof(o));
        o.key = key;
        o.domain = dom[k];
        o.selector = sel[k];
        o.authserv_id = dom[k];
        o.cv = INK_ARC_CV_PASS;
        s = ink_arc_seal_new(&o, &err);
        assert_non_null(s);
        assert_int_equal(ink_arc_seal_push(s, (const uint8_t *)arc_msg.buf, arc_msg.len), 0);
        assert_int_equal(ink_arc_seal_end(s, "\r\n", &out), 0);
        assert_int_equal(ink_str_append(&out, arc_msg.buf, arc_msg.len), 0);
        ink_str_free(&arc_msg);
        arc_msg = out;
        ink_arc_seal_free(s);
        ink_dkim_privkey_free(key);
        ink_str_free(&pem);
        ink_str_free(&err);
    }
}

static void arc_zone(struct ink_memzone *z)
{
    arc_fixture();
    add_txt(z, arc_keyname[0], arc_rec[0].buf);
    add_txt(z, arc_keyname[1], arc_rec[1].buf);
}

static void *arc_make(void)
{
    struct ink_arc_verify *v = ink_arc_verify_new(NULL);

    arc_fixture();
    assert_non_null(v);
    assert_int_equal(ink_arc_verify_push(v, (const uint8_t *)arc_msg.buf, arc_msg.len), 0);
    assert_int_equal(ink_arc_verify_end(v), 0);
    return v;
}

static struct ink_machine arc_machine(void *obj)
{
    return ink_arc_verify_machine(obj);
}

/* arc_check - an unusable key answer makes the chain fail temporarily; no
 * key record makes it fail for good; otherwise it passes */
static void arc_check(void *obj, const struct at *at)
{
    const struct ink_arc_result *r = ink_arc_verify_result(obj);
    enum ink_arc_cv want = INK_ARC_CV_PASS;
    int temporary = 0;
    size_t k;

    assert_non_null(r);
    for (k = 0; k < 2; k++) {
        if (hit(at, arc_keyname[k])) {
            want = INK_ARC_CV_FAIL;
            temporary = 1;
        } else if (emptied(at, arc_keyname[k]))
            want = INK_ARC_CV_FAIL;
    }
    if (r->cv != want || r->temporary != temporary)
        fail_msg("arc: %s at query %zu (%s): cv=%s temporary=%d (%s), wanted cv=%s temporary=%d",
                 hostile_names[at->h], at->k, at->name, ink_arc_cv_name(r->cv), r->temporary,
                 r->reason, ink_arc_cv_name(want), temporary);
    assert_int_equal(r->count, 2);
}

static void arc_release(void *obj)
{
    ink_arc_verify_free(obj);
}

/* ---- DMARC discovery: a tree walk that inherits, and a destination ---- */

static void dmarc_zone(struct ink_memzone *z)
{
    add_txt(z, "_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:a@agg.example.net");
    add_txt(z, "example.com._report._dmarc.agg.example.net", "v=DMARC1");
    assert_int_equal(ink_memzone_add_addr_text(z, "_dmarc.example.com", 300, "192.0.2.2"), 0);
}

/* dmarc_make - discovery for mail.example.com: asks _dmarc.mail.example.com
 * (none), _dmarc.example.com (the record), _dmarc.com (none), then the
 * external destination agg.example.net */
static void *dmarc_make(void)
{
    struct ink_dmarc_disc *d = ink_dmarc_disc_new("mail.example.com", INK_DMARC_ORG_TREEWALK,
                                                  NULL, 0);

    assert_non_null(d);
    return d;
}

static struct ink_machine dmarc_machine(void *obj)
{
    return ink_dmarc_disc_machine(obj);
}

#define DMARC_DEST_Q "example.com._report._dmarc.agg.example.net"

/* dmarc_check - RFC 9989 4.10: a walk lookup that fails temporarily
 * before the domain's own record is known makes discovery temperror; an
 * empty answer is "no record there"; a destination whose check fails is
 * temperror, one with no record is unauthorized */
static void dmarc_check(void *obj, const struct at *at)
{
    const struct ink_dmarc_result *r = ink_dmarc_disc_result(obj);
    int walk_failed = unusable(at) && strcmp(at->name, DMARC_DEST_Q) != 0;

    if (walk_failed) {
        if (r->status != INK_DMARC_DISC_TEMPERROR)
            fail_msg("dmarc: %s at query %zu (%s): %s, wanted temperror", hostile_names[at->h],
                     at->k, at->name, ink_dmarc_disc_status_name(r->status));
        assert_non_null(r->temperror_name);
        assert_string_equal(r->temperror_name, at->name);
        assert_null(r->record);
        return;
    }
    if (emptied(at, "_dmarc.example.com")) {
        /* the only record is gone: DMARC does not apply */
        assert_int_equal(r->status, INK_DMARC_DISC_NONE);
        assert_null(r->record);
        return;
    }
    if (r->status != INK_DMARC_DISC_FOUND)
        fail_msg("dmarc: %s at query %zu (%s): %s, wanted found", hostile_names[at->h], at->k,
                 at->name, ink_dmarc_disc_status_name(r->status));
    assert_string_equal(r->policy_domain, "example.com");
    assert_true(r->inherited);
    assert_int_equal(r->policy, INK_DMARC_P_REJECT);
    assert_null(r->temperror_name);
    assert_int_equal(r->ndests, 1);
    if (hit(at, DMARC_DEST_Q))
        assert_int_equal(r->dests[0].status, INK_DMARC_DEST_TEMPERROR);
    else if (emptied(at, DMARC_DEST_Q))
        assert_int_equal(r->dests[0].status, INK_DMARC_DEST_UNAUTHORIZED);
    else
        assert_int_equal(r->dests[0].status, INK_DMARC_DEST_AUTHORIZED);
}

static void dmarc_release(void *obj)
{
    ink_dmarc_disc_free(obj);
}

/* ---- SPF check_host(): an include and an a: term ---- */

#define SPF_DOMAIN "example.com"
#define SPF_INCLUDE "_spf.example.net"
#define SPF_A "mx.example.com"

static void spf_zone(struct ink_memzone *z)
{
    add_txt(z, SPF_DOMAIN, "v=spf1 include:" SPF_INCLUDE " a:" SPF_A " -all");
    add_txt(z, SPF_INCLUDE, "v=spf1 ip4:198.51.100.0/24 ~all");
    assert_int_equal(ink_memzone_add_addr_text(z, SPF_A, 300, "192.0.2.10"), 0);
    assert_int_equal(ink_memzone_add_addr_text(z, SPF_DOMAIN, 300, "192.0.2.99"), 0);
}

/* spf_make - check_host(192.0.2.10, example.com, user@example.com):
 * asks example.com TXT, the include's TXT, then mx.example.com A (pass) */
static void *spf_make(void)
{
    struct ink_spf_params p;
    struct ink_spf *ev;

    memset(&p, 0, sizeof(p));
    p.family = 4;
    p.ip[0] = 192;
    p.ip[1] = 0;
    p.ip[2] = 2;
    p.ip[3] = 10;
    p.mail_from = "user@" SPF_DOMAIN;
    p.helo = "mail." SPF_DOMAIN;
    p.now = 1700000000;
    ev = ink_spf_new(&p);
    assert_non_null(ev);
    return ev;
}

static struct ink_machine spf_machine(void *obj)
{
    return ink_spf_machine(obj);
}

/* spf_check - RFC 7208: a record or mechanism lookup that fails is
 * temperror (4.4, 5); no record is none (4.5); an include without one is
 * permerror (5.2); an a: name without addresses does not match (-all:
 * fail) */
static void spf_check(void *obj, const struct at *at)
{
    enum ink_spf_result got = ink_spf_result(obj), want = INK_SPF_PASS;

    if (unusable(at))
        want = INK_SPF_TEMPERROR;
    else if (emptied(at, SPF_DOMAIN))
        want = INK_SPF_NONE;
    else if (emptied(at, SPF_INCLUDE))
        want = INK_SPF_PERMERROR;
    else if (emptied(at, SPF_A))
        want = INK_SPF_FAIL;
    if (got != want)
        fail_msg("spf: %s at query %zu (%s): %s (%s), wanted %s", hostile_names[at->h], at->k,
                 at->name, ink_spf_result_name(got), ink_spf_reason(obj),
                 ink_spf_result_name(want));
}

static void spf_release(void *obj)
{
    ink_spf_free(obj);
}

/* ---- SPF lint: the same tree ---- */

static void *lint_make(void)
{
    struct ink_spf_lint *l = ink_spf_lint_new_domain(SPF_DOMAIN);

    assert_non_null(l);
    return l;
}

static struct ink_machine lint_machine(void *obj)
{
    return ink_spf_lint_machine(obj);
}

/* lint_has - the lint reported code */
static int lint_has(void *obj, const char *code)
{
    size_t i, n = ink_spf_lint_nfindings(obj);

    for (i = 0; i < n; i++)
        if (strcmp(ink_spf_lint_finding(obj, i)->code, code) == 0)
            return 1;
    return 0;
}

/* lint_check - a lookup that fails is reported as temporary (the record's
 * or the include's), never as a missing record; an empty answer is what
 * RFC 7208 makes of no record: no SPF record (4.5), an include without
 * one (5.2), a void lookup (4.6.4); the type-99 lookup is only advice */
static void lint_check(void *obj, const struct at *at)
{
    const char *want = NULL;
    size_t i, n = ink_spf_lint_nfindings(obj);
    int rec = at->type == INK_DNS_TXT, addr = at->type == INK_DNS_A;

    if (unusable(at) && rec && strcmp(at->name, SPF_DOMAIN) == 0)
        want = INK_SPF_LINT_DNS_TEMP;
    else if (unusable(at) && rec && strcmp(at->name, SPF_INCLUDE) == 0)
        want = INK_SPF_LINT_INCLUDE_TEMP;
    else if (unusable(at) && strcmp(at->name, SPF_A) == 0)
        want = INK_SPF_LINT_DNS_TEMP;
    else if (rec && emptied(at, SPF_DOMAIN))
        want = INK_SPF_LINT_NO_RECORD;
    else if (rec && emptied(at, SPF_INCLUDE))
        want = INK_SPF_LINT_INCLUDE_NO_SPF;
    else if (addr && emptied(at, SPF_A))
        want = INK_SPF_LINT_VOID;
    if (want != NULL) {
        if (!lint_has(obj, want))
            fail_msg("spf-lint: %s at query %zu (%s %s): no %s", hostile_names[at->h], at->k,
                     at->name, ink_dns_type_name(at->type), want);
        if (unusable(at) && lint_has(obj, INK_SPF_LINT_NO_RECORD))
            fail_msg("spf-lint: %s at query %zu (%s): a failed lookup read as no record",
                     hostile_names[at->h], at->k, at->name);
        return;
    }
    /* as the clean run: the lookup count, nothing wrong */
    assert_true(lint_has(obj, INK_SPF_LINT_LOOKUPS));
    for (i = 0; i < n; i++) {
        const struct ink_finding *f = ink_spf_lint_finding(obj, i);
        if (f->severity != INK_SEV_INFO)
            fail_msg("spf-lint: %s at query %zu (%s %s): %s %s", hostile_names[at->h], at->k,
                     at->name, ink_dns_type_name(at->type), ink_severity_name(f->severity),
                     f->code);
    }
}

static void lint_release(void *obj)
{
    ink_spf_lint_free(obj);
}

/* ---- provisioning: a platform with an SPF include and a bounce CNAME ---- */

#define PROV_PROFILE                                                                           \
    "profile: 1\nname: P\nspf: {include: _spf.platform.example.net}\n"                        \
    "return-path: {name: bounce, cname: bounces.platform.example.net}\n"

static struct ink_profile *prov_profile;

static void prov_zone(struct ink_memzone *z)
{
    struct ink_str err = INK_STR_INIT;

    add_txt(z, "example.com", "v=spf1 mx -all");
    add_txt(z, "_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:d@example.com");
    assert_int_equal(ink_memzone_add_addr_text(z, "example.com", 300, "192.0.2.10"), 0);
    assert_int_equal(ink_memzone_add_mx(z, "example.com", 300, 10, "mx.example.com"), 0);
    if (prov_profile == NULL) {
        prov_profile = ink_profile_parse((const uint8_t *)PROV_PROFILE, strlen(PROV_PROFILE), &err);
        if (prov_profile == NULL)
            fail_msg("%s", ink_str_cstr(&err));
    }
    ink_str_free(&err);
}

static void *prov_make(void)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_provision *p = ink_provision_new(prov_profile, "example.com", NULL, NULL, 0, &err);

    if (p == NULL)
        fail_msg("%s", ink_str_cstr(&err));
    ink_str_free(&err);
    return p;
}

static struct ink_machine prov_machine(void *obj)
{
    return ink_provision_machine(obj);
}

/* prov_action - the action proposed for purpose */
static int prov_action(void *obj, const char *purpose)
{
    size_t i;

    for (i = 0; i < ink_provision_nrecords(obj); i++) {
        const struct ink_prov_record *r = ink_provision_record(obj, i);
        if (strcmp(r->purpose, purpose) == 0)
            return (int)r->action;
    }
    fail_msg("provision: no %s record", purpose);
    return -1;
}

/* prov_unreadable - findings of code dns-unreadable: how many, and
 * whether one is about name */
static size_t prov_unreadable(void *obj, const char *name, int *about)
{
    size_t i, n = 0;

    *about = 0;
    for (i = 0; i < ink_provision_nfindings(obj); i++) {
        const struct ink_finding *f = ink_provision_finding(obj, i);
        if (strcmp(f->code, "dns-unreadable") != 0)
            continue;
        n++;
        if (f->subject != NULL && strcmp(f->subject, name) == 0)
            *about = 1;
    }
    return n;
}

/*
 * prov_check - a record the proposal rests on that cannot be read (the
 * SPF and DMARC TXT, the CNAME's name and the A/TXT/MX lookups there that
 * would show records standing in the CNAME's way) is said
 * (dns-unreadable) and the proposal assumes none is there; an empty
 * answer is "none there": a new SPF or DMARC record.
 */
static void prov_check(void *obj, const struct at *at)
{
    int about, spf = INK_PROV_CHANGE, dmarc = INK_PROV_KEEP, said = 0;
    size_t n;

    assert_int_equal(ink_provision_compute(obj), 0);
    if (unusable(at) && ((at->type == INK_DNS_TXT && (strcmp(at->name, "example.com") == 0 ||
                                                      strcmp(at->name, "_dmarc.example.com") == 0)) ||
                         (strcmp(at->name, "bounce.example.com") == 0 &&
                          (at->type == INK_DNS_CNAME || at->type == INK_DNS_A ||
                           at->type == INK_DNS_TXT || at->type == INK_DNS_MX))))
        said = 1;
    if ((said || emptied(at, "example.com")) && at->type == INK_DNS_TXT &&
        strcmp(at->name, "example.com") == 0)
        spf = INK_PROV_ADD;
    if ((said || emptied(at, "_dmarc.example.com")) && strcmp(at->name, "_dmarc.example.com") == 0)
        dmarc = INK_PROV_ADD;
    n = prov_unreadable(obj, at->name, &about);
    if (said && !about)
        fail_msg("provision: %s at query %zu (%s %s): no dns-unreadable about it",
                 hostile_names[at->h], at->k, at->name, ink_dns_type_name(at->type));
    if (n != (size_t)said)
        fail_msg("provision: %s at query %zu (%s %s): %zu dns-unreadable findings, wanted %d",
                 hostile_names[at->h], at->k, at->name, ink_dns_type_name(at->type), n, said);
    assert_int_equal(prov_action(obj, "spf"), spf);
    assert_int_equal(prov_action(obj, "dmarc"), dmarc);
    assert_int_equal(prov_action(obj, "return-path"), INK_PROV_ADD);
}

static void prov_release(void *obj)
{
    ink_provision_free(obj);
}

/* ---- the authoritative servers of a name ---- */

static void vauth_zone(struct ink_memzone *z)
{
    assert_int_equal(ink_memzone_add_name(z, "example.com", INK_DNS_NS, 300, "ns1.example.com"), 0);
    assert_int_equal(ink_memzone_add_name(z, "example.com", INK_DNS_NS, 300, "ns2.example.net"), 0);
    assert_int_equal(ink_memzone_add_addr_text(z, "ns1.example.com", 300, "192.0.2.53"), 0);
    assert_int_equal(ink_memzone_add_addr_text(z, "ns2.example.net", 300, "2001:db8::53"), 0);
}

static void *vauth_make(void)
{
    struct ink_vauth *a = ink_vauth_new("mail.example.com");

    assert_non_null(a);
    return a;
}

static struct ink_machine vauth_machine(void *obj)
{
    return ink_vauth_machine(obj);
}

/* vauth_check - the NS set at or above the name, then the servers'
 * addresses: a failed or empty NS answer below the apex sends the search
 * higher; one at the apex leaves no servers and says why (the failure,
 * or that there is no NS); a failed or empty address query loses that
 * address only */
static void vauth_check(void *obj, const struct at *at)
{
    int at_apex = at->replaced && at->type == INK_DNS_NS && strcmp(at->name, "example.com") == 0;
    int addr = (at->type == INK_DNS_A && strcmp(at->name, "ns1.example.com") == 0) ||
               (at->type == INK_DNS_AAAA && strcmp(at->name, "ns2.example.net") == 0);
    const char *why = ink_vauth_why(obj);

    if (at_apex && (unusable(at) || at->h == H_EMPTY)) {
        assert_null(ink_vauth_apex(obj));
        assert_int_equal(ink_vauth_nservers(obj), 0);
        assert_non_null(why);
        if (unusable(at) && strstr(why, "NS query for example.com") == NULL)
            fail_msg("verify-auth: %s at query %zu: why is '%s'", hostile_names[at->h], at->k,
                     why);
        if (at->h == H_EMPTY && strstr(why, "no NS record") == NULL)
            fail_msg("verify-auth: empty at query %zu: why is '%s'", at->k, why);
        return;
    }
    assert_non_null(ink_vauth_apex(obj));
    assert_string_equal(ink_vauth_apex(obj), "example.com");
    assert_null(why);
    assert_int_equal(ink_vauth_nservers(obj),
                     at->replaced && addr && (unusable(at) || at->h == H_EMPTY) ? 1 : 2);
}

/* ---- one verification check of a domain's expected records ---- */

static struct ink_vdomain *vdom;

static void vcheck_zone(struct ink_memzone *z)
{
    add_txt(z, "example.com", "v=spf1 include:_spf.platform.example.net mx -all");
    add_txt(z, "_dmarc.example.com", "v=DMARC1; p=none");
    assert_int_equal(ink_memzone_add_name(z, "bounce.example.com", INK_DNS_CNAME, 300,
                                          "bounces.platform.example.net"),
                     0);
    assert_int_equal(ink_memzone_add_mx(z, "example.com", 300, 10, "mx.platform.example.net"), 0);
    if (vdom == NULL) {
        vdom = ink_vdomain_new("example.com", "P", 1700000000);
        assert_non_null(vdom);
        assert_int_equal(ink_vdomain_add_record(vdom, "example.com", INK_DNS_TXT, INK_VMATCH_SPF,
                                                "include:_spf.platform.example.net", "spf"),
                         0);
        assert_int_equal(ink_vdomain_add_record(vdom, "bounce.example.com", INK_DNS_CNAME,
                                                INK_VMATCH_CNAME, "bounces.platform.example.net",
                                                "return-path"),
                         0);
        assert_int_equal(ink_vdomain_add_record(vdom, "_dmarc.example.com", INK_DNS_TXT,
                                                INK_VMATCH_DMARC, "", "dmarc"),
                         0);
        assert_int_equal(ink_vdomain_add_record(vdom, "example.com", INK_DNS_MX, INK_VMATCH_MX,
                                                "mx.platform.example.net", "mx"),
                         0);
    }
}

static void *vcheck_make(void)
{
    struct ink_vcheck *c = ink_vcheck_new(vdom);

    assert_non_null(c);
    return c;
}

static struct ink_machine vcheck_machine(void *obj)
{
    return ink_vcheck_machine(obj);
}

/* vcheck_check - each expected record is seen (MATCH) unless its own
 * answer was unusable (ERROR: inconclusive, never ABSENT) or empty
 * (ABSENT) */
static void vcheck_check(void *obj, const struct at *at)
{
    size_t i;

    for (i = 0; i < vdom->nrec; i++) {
        const struct ink_vrecord *r = &vdom->rec[i];
        const struct ink_vobs *o = ink_vcheck_obs(obj, i);
        int mine = at->replaced && at->type == r->type && strcmp(at->name, r->owner) == 0;
        enum ink_vobs_kind want = INK_VOBS_MATCH;

        if (mine && unusable(at))
            want = INK_VOBS_ERROR;
        else if (mine && at->h == H_EMPTY)
            want = INK_VOBS_ABSENT;
        assert_non_null(o);
        if (o->kind != want)
            fail_msg("verify: %s at query %zu (%s %s): record %zu (%s) seen as %d (%s), wanted %d",
                     hostile_names[at->h], at->k, at->name, ink_dns_type_name(at->type), i,
                     r->purpose, (int)o->kind, o->detail ? o->detail : "", (int)want);
    }
}

static void vcheck_release(void *obj)
{
    ink_vcheck_free(obj);
}

static void vauth_release(void *obj)
{
    ink_vauth_free(obj);
}

/* ---- one server's view of a DKIM key rotation ---- */

#define ROT_KEY1 "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define ROT_KEY2 "v=DKIM1; k=ed25519; p=21qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

static struct ink_rotation *rot;

static void rot_zone(struct ink_memzone *z)
{
    add_txt(z, "r1._domainkey.example.com", ROT_KEY1);
    add_txt(z, "r2._domainkey.example.com", ROT_KEY2);
}

static void *rot_make(void)
{
    struct ink_rotate_check *c;

    if (rot == NULL) {
        rot = ink_rotation_new("example.com", 1700000000);
        assert_non_null(rot);
        assert_int_equal(ink_rotation_add_key(rot, 1, "r1", "ed25519", ROT_KEY1, NULL), 0);
        assert_int_equal(ink_rotation_add_key(rot, 1, "r2", "ed25519", ROT_KEY2, NULL), 0);
    }
    c = ink_rotate_check_new(rot);
    assert_non_null(c);
    return c;
}

static struct ink_machine rot_machine(void *obj)
{
    return ink_rotate_check_machine(obj);
}

/* rot_check - each key is there, absent when its answer was emptied, and
 * inconclusive (never "there") when its answer was unusable */
static void rot_check(void *obj, const struct at *at)
{
    static const char *const names[2] = {"r1._domainkey.example.com", "r2._domainkey.example.com"};
    struct ink_rot_obs o;
    size_t i;

    assert_int_equal(ink_rotate_check_obs(obj, "srv", &o), 0);
    for (i = 0; i < 2; i++) {
        enum ink_rot_seen want = hit(at, names[i])       ? INK_ROT_SEEN_ERROR
                                 : emptied(at, names[i]) ? INK_ROT_SEEN_ABSENT
                                                         : INK_ROT_SEEN_KEY;
        if (o.seen[i] != want)
            fail_msg("dkim-rotate: %s at query %zu: key %zu seen %s, want %s",
                     hostile_names[at->h], at->k, i, ink_rot_seen_name(o.seen[i]),
                     ink_rot_seen_name(want));
    }
}

static void rot_release(void *obj)
{
    ink_rotate_check_free(obj);
}

/* ---- the domain audit: SPF, DMARC, MX, PTR and the informational records ---- */

static void audit_zone(struct ink_memzone *z)
{
    add_txt(z, "a.example", "v=spf1 ip4:192.0.2.0/24 -all");
    add_txt(z, "_dmarc.a.example", "v=DMARC1; p=reject; rua=mailto:r@a.example");
    assert_int_equal(ink_memzone_add_mx(z, "a.example", 300, 10, "mx.a.example"), 0);
    assert_int_equal(ink_memzone_add_addr_text(z, "mx.a.example", 300, "192.0.2.3"), 0);
    assert_int_equal(
        ink_memzone_add_name(z, "3.2.0.192.in-addr.arpa", INK_DNS_PTR, 300, "mx.a.example"), 0);
}

static void *audit_make(void)
{
    struct ink_audit_opts o;
    struct ink_audit *a;

    memset(&o, 0, sizeof(o));
    o.domain = "a.example";
    a = ink_audit_new(&o);
    assert_non_null(a);
    return a;
}

static struct ink_machine audit_machine(void *obj)
{
    return ink_audit_machine(obj);
}

/* audit_has - a finding whose code contains part, of severity sev (-1: any) */
static int audit_has(const struct ink_audit *a, const char *part, int sev)
{
    size_t i;

    for (i = 0; i < ink_audit_nfindings(a); i++) {
        const struct ink_finding *f = ink_audit_finding(a, i);

        if (strstr(f->code, part) != NULL && (sev < 0 || (int)f->severity == sev))
            return 1;
    }
    return 0;
}

/* audit_check - an unusable answer is reported as a temporary failure
 * and never as an error (nothing is called missing on no evidence); an
 * empty answer may find real problems; anything else is the clean result */
static void audit_check(void *obj, const struct at *at)
{
    const struct ink_audit *a = obj;

    assert_true(ink_audit_done(a));
    if (unusable(at)) {
        /* a question with no other source of the same fact says so (an
         * MX host with an IPv4 address is fine whatever AAAA says; the
         * lint's look at the obsolete type-99 record is advice only) */
        int sole = hit(at, "_dmarc.a.example") || hit(at, "3.2.0.192.in-addr.arpa") ||
                   (hit(at, "a.example") && at->type != INK_DNS_SPF);

        if (sole && !audit_has(a, "temp", -1))
            fail_msg("audit: %s at query %zu (%s): no temporary failure reported",
                     hostile_names[at->h], at->k, at->name);
        assert_int_equal(ink_audit_count(a, INK_SEV_ERROR), 0);
        return;
    }
    if (at->replaced && at->h == H_EMPTY)
        return;
    assert_true(audit_has(a, "policy-reject", INK_SEV_INFO));
    assert_true(audit_has(a, "mx-ok", INK_SEV_INFO));
    assert_true(audit_has(a, "ptr-confirmed", INK_SEV_INFO));
    assert_int_equal(ink_audit_count(a, INK_SEV_ERROR), 0);
    assert_int_equal(ink_audit_count(a, INK_SEV_WARNING), 0);
}

static void audit_release(void *obj)
{
    ink_audit_free(obj);
}

/* ---- the message machine: SPF, two DKIM signatures, DMARC, iprev, HELO ---- */

static void inbound_zone(struct ink_memzone *z)
{
    dkim_zone(z);
    add_txt(z, "_dmarc.football.example.com", "v=DMARC1; p=reject");
    add_txt(z, "football.example.com", "v=spf1 ip4:192.0.2.1 -all");
    assert_int_equal(ink_memzone_add_addr_text(z, "football.example.com", 300, "192.0.2.1"), 0);
    assert_int_equal(ink_memzone_add_name(z, "1.2.0.192.in-addr.arpa", INK_DNS_PTR, 300,
                                          "mx.football.example.com"),
                     0);
    assert_int_equal(ink_memzone_add_addr_text(z, "mx.football.example.com", 300, "192.0.2.1"), 0);
    assert_int_equal(ink_memzone_add_addr_text(z, "helo.football.example.com", 300, "192.0.2.1"),
                     0);
}

/* inbound_make - the RFC 8463 message from 192.0.2.1, whole */
static void *inbound_make(void)
{
    struct ink_inbound_params p;
    struct ink_inbound *m;

    memset(&p, 0, sizeof(p));
    p.ip = "192.0.2.1";
    p.helo = "helo.football.example.com";
    p.mail_from = "joe@football.example.com";
    m = ink_inbound_new(&p, NULL);
    assert_non_null(m);
    assert_int_equal(ink_inbound_push(m, (const uint8_t *)dkim_msg, sizeof(dkim_msg) - 1), 0);
    assert_int_equal(ink_inbound_end(m), 0);
    return m;
}

static struct ink_machine inbound_machine(void *obj)
{
    return ink_inbound_machine(obj);
}

/* inbound_check - DMARC passes on two aligned signatures and aligned SPF,
 * so one broken answer cannot make it fail: only the policy record's
 * own lookup turns it into temperror (unusable) or none (empty); iprev
 * follows its PTR and forward answers */
static void inbound_check(void *obj, const struct at *at)
{
    struct ink_inbound *m = obj;
    const struct ink_inbound_dmarc *d = ink_inbound_dmarc(m);
    enum ink_dmarc_outcome want = INK_DMARC_RES_PASS;
    enum ink_iprev_result iwant = INK_IPREV_PASS;

    if (hit(at, "_dmarc.football.example.com"))
        want = INK_DMARC_RES_TEMPERROR;
    else if (emptied(at, "_dmarc.football.example.com"))
        want = INK_DMARC_RES_NONE;
    if (d->result != want)
        fail_msg("inbound: %s at query %zu (%s): dmarc %s (%s), wanted %s", hostile_names[at->h],
                 at->k, at->name, ink_dmarc_outcome_name(d->result), d->eval.reason,
                 ink_dmarc_outcome_name(want));
    if (hit(at, "1.2.0.192.in-addr.arpa") ||
        (hit(at, "mx.football.example.com") && at->type == INK_DNS_A))
        iwant = INK_IPREV_TEMPERROR;
    else if (emptied(at, "1.2.0.192.in-addr.arpa"))
        iwant = INK_IPREV_PERMERROR;
    else if (emptied(at, "mx.football.example.com"))
        iwant = INK_IPREV_FAIL;
    if (ink_inbound_iprev(m)->result != iwant)
        fail_msg("inbound: %s at query %zu (%s): iprev %s, wanted %s", hostile_names[at->h], at->k,
                 at->name, ink_iprev_result_name(ink_inbound_iprev(m)->result),
                 ink_iprev_result_name(iwant));
}

static void inbound_release(void *obj)
{
    ink_inbound_free(obj);
}

/* ---- the table ---- */

/* ---- ptr: the reverse name of a report source ---- */

#define PTR_Q "10.2.0.192.in-addr.arpa"

static void ptr_zone(struct ink_memzone *z)
{
    assert_int_equal(ink_memzone_add_name(z, PTR_Q, INK_DNS_PTR, 300, "mail.example.net"), 0);
}

static void *ptr_make(void)
{
    struct ink_ptr_lookup *m = ink_ptr_lookup_new("192.0.2.10");

    assert_non_null(m);
    return m;
}

static struct ink_machine ptr_machine(void *obj)
{
    return ink_ptr_lookup_machine(obj);
}

/* ptr_check - an unusable answer is temporary (not cached as "none"); an
 * empty one is "no reverse name"; else the name */
static void ptr_check(void *obj, const struct at *at)
{
    const char *name;
    enum ink_ptr_result r = ink_ptr_lookup_result(obj, &name);

    if (hit(at, PTR_Q)) {
        assert_int_equal(r, INK_PTR_TEMP);
        assert_null(name);
    } else if (emptied(at, PTR_Q)) {
        assert_int_equal(r, INK_PTR_NONE);
        assert_null(name);
    } else {
        assert_int_equal(r, INK_PTR_FOUND);
        assert_string_equal(name, "mail.example.net");
    }
}

static void ptr_release(void *obj)
{
    ink_ptr_lookup_free(obj);
}

/* ---- report-simulate: stored rows replayed under a proposed SPF record ---- */

#define SIM_DOMAIN "sim.example"
#define SIM_INCLUDE "_spf.partner.example"

/* The object: one row (owned) and the simulation over it. */
struct sim_obj {
    struct ink_report_row row;
    struct ink_report_row_auth auth;
    struct ink_sim *sim;
};

static void sim_zone(struct ink_memzone *z)
{
    add_txt(z, SIM_INCLUDE, "v=spf1 ip4:198.51.100.0/24 -all");
    add_txt(z, SIM_DOMAIN, "v=spf1 -all"); /* never asked: the proposal replaces it */
}

static void *sim_make(void)
{
    struct sim_obj *o = calloc(1, sizeof(*o));
    struct ink_sim_opts so;

    assert_non_null(o);
    o->row.source_ip = (char *)"198.51.100.20";
    o->row.count = 8;
    o->row.adkim = o->row.aspf = 'r';
    o->row.pct = -1;
    o->row.dkim = (char *)"fail";
    o->row.spf = (char *)"fail";
    o->row.disposition = (char *)"none";
    o->row.header_from = (char *)SIM_DOMAIN;
    o->auth.kind = 's';
    o->auth.domain = (char *)SIM_DOMAIN;
    o->auth.result = (char *)"fail";
    o->row.auth = &o->auth;
    o->row.nauth = 1;
    memset(&so, 0, sizeof(so));
    so.domain = SIM_DOMAIN;
    so.spf = "v=spf1 include:" SIM_INCLUDE " -all";
    so.dmarc = "v=DMARC1; p=reject";
    o->sim = ink_sim_new(&so, &o->row, 1, NULL);
    assert_non_null(o->sim);
    return o;
}

static struct ink_machine sim_machine(void *obj)
{
    return ink_sim_machine(((struct sim_obj *)obj)->sim);
}

/* sim_check - the include unusable: temperror (and DMARC temperror); no
 * record there: permerror, still failing (rejected); else newly passing */
static void sim_check(void *obj, const struct at *at)
{
    const struct sim_obj *o = obj;
    const struct ink_sim_change *c = ink_sim_change(o->sim, 0);

    assert_int_equal(ink_sim_nchanges(o->sim), 1);
    assert_non_null(c);
    if (hit(at, SIM_INCLUDE)) {
        assert_string_equal(c->spf_new, "temperror");
        assert_string_equal(c->dmarc_new, "temperror");
    } else if (emptied(at, SIM_INCLUDE)) {
        assert_string_equal(c->spf_new, "permerror");
        assert_string_equal(c->disp_new, "reject");
    } else {
        assert_string_equal(c->spf_new, "pass");
        assert_string_equal(c->direction, "newly-passing");
    }
}

static void sim_release(void *obj)
{
    struct sim_obj *o = obj;

    ink_sim_free(o->sim);
    free(o);
}

static const struct kind kinds[] = {
    {"dkim", dkim_zone, dkim_make, dkim_machine, dkim_check, dkim_release},
    {"arc", arc_zone, arc_make, arc_machine, arc_check, arc_release},
    {"dmarc", dmarc_zone, dmarc_make, dmarc_machine, dmarc_check, dmarc_release},
    {"spf", spf_zone, spf_make, spf_machine, spf_check, spf_release},
    {"spf-lint", spf_zone, lint_make, lint_machine, lint_check, lint_release},
    {"provision", prov_zone, prov_make, prov_machine, prov_check, prov_release},
    {"verify-auth", vauth_zone, vauth_make, vauth_machine, vauth_check, vauth_release},
    {"verify", vcheck_zone, vcheck_make, vcheck_machine, vcheck_check, vcheck_release},
    {"dkim-rotate", rot_zone, rot_make, rot_machine, rot_check, rot_release},
    {"audit", audit_zone, audit_make, audit_machine, audit_check, audit_release},
    {"inbound", inbound_zone, inbound_make, inbound_machine, inbound_check, inbound_release},
    {"ptr", ptr_zone, ptr_make, ptr_machine, ptr_check, ptr_release},
    {"report-simulate", sim_zone, sim_make, sim_machine, sim_check, sim_release},
};

/* run_kind - the clean run, then every hostile answer at every query */
static void run_kind(const struct kind *kd)
{
    struct ink_memzone *z = ink_memzone_new();
    size_t n, k, runs = 0;
    struct at at;
    void *obj;
    int h;

    assert_non_null(z);
    kd->zone(z);
    /* clean: nothing replaced (k past every query) */
    obj = kd->make();
    n = drive(kd->machine(obj), z, QUERIES_MAX, H_STALE, &at);
    assert_string_equal(kd->machine(obj).ops->kind, kd->name);
    assert_true(n > 0);
    assert_false(at.replaced);
    kd->check(obj, &at);
    kd->release(obj);
    for (k = 0; k <= n; k++)
        for (h = 0; h < H_COUNT; h++) {
            obj = kd->make();
            (void)drive(kd->machine(obj), z, k, (enum hostile)h, &at);
            /* k = n is past the last query of a clean run: nothing replaced */
            assert_true(at.replaced || k >= n);
            kd->check(obj, &at);
            kd->release(obj);
            runs++;
        }
    print_message("%s: %zu queries, %zu hostile runs\n", kd->name, n, runs);
    ink_memzone_free(z);
}

/* test_hostile_answers - one kind (the test's state) */
static void test_hostile_answers(void **state)
{
    run_kind(*state);
}

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

int main(void)
{
    struct CMUnitTest tests[NKINDS];
    size_t i;
    int rc;

    for (i = 0; i < NKINDS; i++) {
        struct CMUnitTest t = cmocka_unit_test_prestate(test_hostile_answers, (void *)&kinds[i]);
        t.name = kinds[i].name;
        tests[i] = t;
    }
    rc = _cmocka_run_group_tests("machines", tests, NKINDS, NULL, NULL);
    ink_profile_free(prov_profile);
    ink_vdomain_free(vdom);
    ink_rotation_free(rot);
    return rc;
}
