/*
 * test_inbound.c - the message machine (inkan/inbound.h) and DMARC
 * evaluation (ink_dmarc_eval) over an in-memory zone: a matrix of aligned
 * and unaligned SPF and DKIM, relaxed and strict, p / sp / np, t=y, the
 * tree walk to a psd=y record, no record, temperror from a DNS timeout,
 * several From fields, a tampered signed message, a third-party
 * signature; iprev, HELO findings, RFC 5322 findings, the trust level,
 * the Authentication-Results field it writes; and that SPF, DKIM key and
 * PTR questions are in flight at the same time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/arc.h"
#include "inkan/authres.h"
#include "inkan/dkim.h"
#include "inkan/dkim_key.h"
#include "inkan/dmarc.h"
#include "inkan/driver.h"
#include "inkan/inbound.h"
#include "inkan/mailhdr.h"
#include "inkan/memzone.h"
#include "inkan/policy.h"
#include "inkan/resolver.h"

static struct ink_memzone *zone;
static struct ink_dkim_privkey *key;

#define IP_GOOD "192.0.2.1"
#define IP_OTHER "198.51.100.7"

static void txt(const char *owner, const char *text)
{
    assert_int_equal(ink_memzone_add_txt1(zone, owner, INK_DNS_TXT, 300, text, strlen(text)), 0);
}

static int setup(void **state)
{
    struct ink_str pem = INK_STR_INIT, rec = INK_STR_INIT, err = INK_STR_INIT;
    static const char *const signers[] = {"example.org", "sub.example.org", "thirdparty.example",
                                          "strict.example", "sub.strict.example", "t.example",
                                          "forwarder.example", "untrusted.example",
                                          "a.b.psd.example", NULL};
    size_t i;

    (void)state;
    zone = ink_memzone_new();
    assert_int_equal(ink_dkim_keygen(INK_DKIM_KEY_ED25519, 0, &pem, &rec, &err), 0);
    key = ink_dkim_privkey_parse((const uint8_t *)pem.buf, pem.len, &err);
    assert_non_null(key);
    for (i = 0; signers[i] != NULL; i++) {
        char owner[300];

        snprintf(owner, sizeof(owner), "sel._domainkey.%s", signers[i]);
        txt(owner, rec.buf);
    }
    ink_str_free(&pem);
    ink_str_free(&rec);
    ink_str_free(&err);

    ink_memzone_add_addr_text(zone, "example.org", 300, IP_GOOD);
    ink_memzone_add_addr_text(zone, "mail.example.org", 300, IP_GOOD);
    ink_memzone_add_name(zone, "1.2.0.192.in-addr.arpa", INK_DNS_PTR, 300, "mail.example.org");
    ink_memzone_add_name(zone, "7.100.51.198.in-addr.arpa", INK_DNS_PTR, 300,
                         "198-51-100-7.dynamic.isp.example");
    txt("example.org", "v=spf1 ip4:192.0.2.0/24 -all");
    txt("bounce.example.org", "v=spf1 ip4:192.0.2.0/24 -all");
    txt("_dmarc.example.org", "v=DMARC1; p=reject; sp=quarantine; np=reject");
    ink_memzone_add_addr_text(zone, "sub.example.org", 300, IP_GOOD);

    ink_memzone_add_addr_text(zone, "strict.example", 300, IP_GOOD);
    txt("_dmarc.strict.example", "v=DMARC1; p=reject; aspf=s; adkim=s");
    txt("bounce.strict.example", "v=spf1 ip4:192.0.2.0/24 -all");
    txt("strict.example", "v=spf1 ip4:192.0.2.0/24 -all");

    ink_memzone_add_addr_text(zone, "t.example", 300, IP_GOOD);
    txt("_dmarc.t.example", "v=DMARC1; p=reject; t=y");

    txt("_dmarc.psd.example", "v=DMARC1; p=quarantine; psd=y");
    ink_memzone_add_addr_text(zone, "a.b.psd.example", 300, IP_GOOD);

    ink_memzone_add_addr_text(zone, "nodmarc.example", 300, IP_GOOD);
    ink_memzone_add_addr_text(zone, "thirdparty.example", 300, IP_GOOD);
    txt("thirdparty.example", "v=spf1 ip4:192.0.2.0/24 -all");

    ink_memzone_add_addr_text(zone, "slow.example", 300, IP_GOOD);
    ink_memzone_set_fault(zone, "_dmarc.slow.example", 0, INK_DNS_TIMEOUT);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ink_dkim_privkey_free(key);
    ink_memzone_free(zone);
    return 0;
}

/* message - a plain message From: user@<from> */
static char *message(const char *from_field)
{
    struct ink_str s = INK_STR_INIT;

    ink_str_printf(&s,
                   "%s"
                   "To: bob@example.net\r\n"
                   "Subject: test\r\n"
                   "Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
                   "Message-ID: <1@example.org>\r\n"
                   "\r\n"
                   "Hello.\r\n",
                   from_field);
    return ink_str_steal(&s);
}

/* signed_msg - msg signed with d=domain s=sel */
static char *signed_msg(const char *msg, const char *domain)
{
    struct ink_dkim_sign_key k;
    struct ink_str err = INK_STR_INIT, out = INK_STR_INIT;
    struct ink_dkim_sign *s;

    memset(&k, 0, sizeof(k));
    k.key = key;
    k.domain = domain;
    k.selector = "sel";
    k.hcanon = INK_DKIM_CANON_RELAXED;
    k.bcanon = INK_DKIM_CANON_RELAXED;
    s = ink_dkim_sign_new(&k, 1, 0, &err);
    assert_non_null(s);
    assert_int_equal(ink_dkim_sign_push(s, (const uint8_t *)msg, strlen(msg)), 0);
    assert_int_equal(ink_dkim_sign_end(s, "\r\n", &out), 0);
    ink_str_puts(&out, msg);
    ink_dkim_sign_free(s);
    ink_str_free(&err);
    return ink_str_steal(&out);
}

/* run - evaluate msg, pushing it in chunks of step bytes */
static struct ink_inbound *run(const char *ip, const char *helo, const char *mail_from,
                               const char *msg, size_t step)
{
    struct ink_inbound_params p;
    struct ink_inbound *m;
    struct ink_resolver *r = ink_resolver_memzone_new(zone, 0);
    size_t off = 0, len = strlen(msg);
    const char *err;

    memset(&p, 0, sizeof(p));
    p.ip = ip;
    p.helo = helo;
    p.mail_from = mail_from;
    p.now = 1796205600; /* 2026-12-02 */
    m = ink_inbound_new(&p, &err);
    assert_non_null(m);
    if (step == 0)
        step = len;
    while (off < len) {
        size_t k = len - off < step ? len - off : step;

        assert_int_equal(ink_inbound_push(m, (const uint8_t *)msg + off, k), 0);
        off += k;
    }
    assert_int_equal(ink_inbound_end(m), 0);
    assert_int_equal(ink_drive_sync(r, ink_inbound_machine(m), NULL), INK_NEXT_DONE);
    ink_resolver_free(r);
    return m;
}

/* One row of the DMARC matrix. */
struct row {
    const char *name;
    const char *ip, *mail_from;
    const char *from;       /* the From field(s), with CRLF */
    const char *sign_d;     /* DKIM d=, or NULL for unsigned */
    int tamper;             /* change the body after signing */
    enum ink_dmarc_outcome result;
    enum ink_dmarc_policy disposition;
    enum ink_dmarc_policy_tag tag;
    int spf_aligned, dkim_aligned;
};

static const struct row rows[] = {
    {"spf aligned (same domain)", IP_GOOD, "u@example.org", "From: a@example.org\r\n", NULL, 0,
     INK_DMARC_RES_PASS, INK_DMARC_P_NONE, INK_DMARC_TAG_P, 1, 0},
    {"spf aligned relaxed (subdomain)", IP_GOOD, "u@bounce.example.org", "From: a@example.org\r\n",
     NULL, 0, INK_DMARC_RES_PASS, INK_DMARC_P_NONE, INK_DMARC_TAG_P, 1, 0},
    {"spf pass unaligned", IP_GOOD, "u@thirdparty.example", "From: a@example.org\r\n", NULL, 0,
     INK_DMARC_RES_FAIL, INK_DMARC_P_REJECT, INK_DMARC_TAG_P, 0, 0},
    {"spf fail", IP_OTHER, "u@example.org", "From: a@example.org\r\n", NULL, 0, INK_DMARC_RES_FAIL,
     INK_DMARC_P_REJECT, INK_DMARC_TAG_P, 0, 0},
    {"dkim aligned", IP_OTHER, "u@thirdparty.example", "From: a@example.org\r\n", "example.org", 0,
     INK_DMARC_RES_PASS, INK_DMARC_P_NONE, INK_DMARC_TAG_P, 0, 1},
    {"dkim aligned relaxed (d= subdomain)", IP_OTHER, "", "From: a@example.org\r\n",
     "sub.example.org", 0, INK_DMARC_RES_PASS, INK_DMARC_P_NONE, INK_DMARC_TAG_P, 0, 1},
    {"dkim third-party signature", IP_OTHER, "u@thirdparty.example", "From: a@example.org\r\n",
     "thirdparty.example", 0, INK_DMARC_RES_FAIL, INK_DMARC_P_REJECT, INK_DMARC_TAG_P, 0, 0},
    {"dkim tampered", IP_OTHER, "u@thirdparty.example", "From: a@example.org\r\n", "example.org", 1,
     INK_DMARC_RES_FAIL, INK_DMARC_P_REJECT, INK_DMARC_TAG_P, 0, 0},
    {"strict spf: subdomain does not align", IP_GOOD, "u@bounce.strict.example",
     "From: a@strict.example\r\n", NULL, 0, INK_DMARC_RES_FAIL, INK_DMARC_P_REJECT,
     INK_DMARC_TAG_P, 0, 0},
    {"strict spf: same domain aligns", IP_GOOD, "u@strict.example", "From: a@strict.example\r\n",
     NULL, 0, INK_DMARC_RES_PASS, INK_DMARC_P_NONE, INK_DMARC_TAG_P, 1, 0},
    {"strict dkim: subdomain does not align", IP_OTHER, "", "From: a@strict.example\r\n",
     "sub.strict.example", 0, INK_DMARC_RES_FAIL, INK_DMARC_P_REJECT, INK_DMARC_TAG_P, 0, 0},
    {"sp for an existing subdomain", IP_OTHER, "u@thirdparty.example",
     "From: a@sub.example.org\r\n", NULL, 0, INK_DMARC_RES_FAIL, INK_DMARC_P_QUARANTINE,
     INK_DMARC_TAG_SP, 0, 0},
    {"np for a non-existent subdomain", IP_OTHER, "u@thirdparty.example",
     "From: a@nx.example.org\r\n", NULL, 0, INK_DMARC_RES_FAIL, INK_DMARC_P_REJECT,
     INK_DMARC_TAG_NP, 0, 0},
    {"t=y lowers reject to quarantine", IP_OTHER, "u@thirdparty.example",
     "From: a@t.example\r\n", NULL, 0, INK_DMARC_RES_FAIL, INK_DMARC_P_QUARANTINE,
     INK_DMARC_TAG_P, 0, 0},
    {"tree walk to a psd=y record", IP_OTHER, "u@thirdparty.example",
     "From: a@a.b.psd.example\r\n", NULL, 0, INK_DMARC_RES_FAIL, INK_DMARC_P_QUARANTINE,
     INK_DMARC_TAG_P, 0, 0},
    {"psd record, signed by the author domain", IP_OTHER, "", "From: a@a.b.psd.example\r\n",
     "a.b.psd.example", 0, INK_DMARC_RES_PASS, INK_DMARC_P_NONE, INK_DMARC_TAG_P, 0, 1},
    {"no record", IP_OTHER, "u@thirdparty.example", "From: a@nodmarc.example\r\n", NULL, 0,
     INK_DMARC_RES_NONE, INK_DMARC_P_UNSET, INK_DMARC_TAG_NONE, 0, 0},
    {"temperror from a DNS timeout", IP_OTHER, "u@thirdparty.example",
     "From: a@slow.example\r\n", NULL, 0, INK_DMARC_RES_TEMPERROR, INK_DMARC_P_UNSET,
     INK_DMARC_TAG_NONE, 0, 0},
    {"several From fields", IP_GOOD, "u@example.org",
     "From: a@example.org\r\nFrom: b@evil.example\r\n", NULL, 0, INK_DMARC_RES_PERMERROR,
     INK_DMARC_P_UNSET, INK_DMARC_TAG_NONE, 0, 0},
    {"one From, two domains", IP_GOOD, "u@example.org",
     "From: a@example.org, b@evil.example\r\n", NULL, 0, INK_DMARC_RES_PERMERROR,
     INK_DMARC_P_UNSET, INK_DMARC_TAG_NONE, 0, 0},
    {"one From, two addresses in one domain", IP_GOOD, "u@example.org",
     "From: a@example.org, b@EXAMPLE.org\r\n", NULL, 0, INK_DMARC_RES_PASS, INK_DMARC_P_NONE,
     INK_DMARC_TAG_P, 1, 0},
    {"no From", IP_GOOD, "u@example.org", "", NULL, 0, INK_DMARC_RES_PERMERROR, INK_DMARC_P_UNSET,
     INK_DMARC_TAG_NONE, 0, 0},
    {"unparseable From", IP_GOOD, "u@example.org", "From: not an address\r\n", NULL, 0,
     INK_DMARC_RES_PERMERROR, INK_DMARC_P_UNSET, INK_DMARC_TAG_NONE, 0, 0},
};

static void test_matrix(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        char *msg = message(r->from), *sm = NULL;
        struct ink_inbound *m;
        const struct ink_inbound_dmarc *d;

        if (r->sign_d != NULL) {
            sm = signed_msg(msg, r->sign_d);
            if (r->tamper)
                sm[strlen(sm) - 3] = 'X';
        }
        m = run(r->ip, "mail.example.org", r->mail_from, sm != NULL ? sm : msg, 7);
        d = ink_inbound_dmarc(m);
        if (d->result != r->result || d->eval.disposition != r->disposition ||
            d->eval.tag != r->tag || d->eval.spf_aligned != r->spf_aligned ||
            d->eval.dkim_aligned != r->dkim_aligned)
            fail_msg("%s: dmarc=%s disposition=%s tag=%s spf_aligned=%d dkim_aligned=%d (%s)",
                     r->name, ink_dmarc_outcome_name(d->result),
                     ink_dmarc_policy_name(d->eval.disposition),
                     ink_dmarc_policy_tag_name(d->eval.tag), d->eval.spf_aligned,
                     d->eval.dkim_aligned, d->eval.reason);
        ink_inbound_free(m);
        free(msg);
        free(sm);
    }
}

/* The Authentication-Results field of a good message, and what the parser
 * reads back from it. */
static void test_authres(void **state)
{
    char *msg = message("From: a@example.org\r\n"), *sm = signed_msg(msg, "example.org");
    struct ink_inbound *m = run(IP_GOOD, "mail.example.org", "<u@example.org>", sm, 0);
    struct ink_str s = INK_STR_INIT;
    struct ink_authres *a;
    const struct ink_authres_result *r;
    const char *colon;

    (void)state;
    assert_int_equal(ink_inbound_authres(m, "mx.example.net", NULL, &s), 0);
    colon = strchr(s.buf, ':');
    a = ink_authres_parse((const uint8_t *)colon + 1, strlen(colon + 1));
    assert_non_null(a);
    assert_true(a->ok);
    assert_string_equal(a->authserv_id, "mx.example.net");
    r = ink_authres_find(a, "spf");
    assert_non_null(r);
    assert_string_equal(r->result, "pass");
    assert_string_equal(ink_authres_prop_value(r, "smtp", "mailfrom"), "u@example.org");
    r = ink_authres_find(a, "dkim");
    assert_string_equal(r->result, "pass");
    assert_string_equal(ink_authres_prop_value(r, "header", "d"), "example.org");
    assert_string_equal(ink_authres_prop_value(r, "header", "s"), "sel");
    assert_string_equal(ink_authres_prop_value(r, "header", "a"), "ed25519-sha256");
    assert_int_equal(strlen(ink_authres_prop_value(r, "header", "b")), INK_AUTHRES_B_PREFIX);
    r = ink_authres_find(a, "dmarc");
    assert_string_equal(r->result, "pass");
    assert_string_equal(ink_authres_prop_value(r, "header", "from"), "example.org");
    assert_string_equal(ink_authres_prop_value(r, "policy", "dmarc"), "reject");
    r = ink_authres_find(a, "iprev");
    assert_string_equal(r->result, "pass");
    assert_string_equal(ink_authres_prop_value(r, "policy", "iprev"), IP_GOOD);
    assert_int_equal(ink_inbound_trust(m), INK_TRUST_HIGH);
    ink_authres_free(a);
    ink_str_free(&s);
    ink_inbound_free(m);
    free(msg);
    free(sm);
}

/* iprev, HELO and trust: passes DMARC (DKIM) but a dynamic PTR that does
 * not confirm, HELO localhost: low trust */
static void test_receiver_checks(void **state)
{
    char *msg = message("From: a@example.org\r\n"), *sm = signed_msg(msg, "example.org");
    struct ink_inbound *m = run(IP_OTHER, "localhost", "u@thirdparty.example", sm, 0);
    const struct ink_finding *f;
    size_t n, i;
    int saw = 0;

    (void)state;
    assert_int_equal(ink_inbound_dmarc(m)->result, INK_DMARC_RES_PASS);
    assert_int_equal(ink_inbound_iprev(m)->result, INK_IPREV_FAIL);
    assert_true(ink_inbound_iprev(m)->generic);
    n = ink_inbound_findings(m, "helo", &f);
    for (i = 0; i < n; i++)
        saw |= strcmp(f[i].code, "helo-localhost") == 0;
    assert_true(saw);
    assert_int_equal(ink_inbound_trust(m), INK_TRUST_LOW);
    ink_inbound_free(m);

    /* a PTR-less client: permerror; HELO that does not resolve to it */
    m = run("203.0.113.9", "mail.example.org", "u@example.org", sm, 0);
    assert_int_equal(ink_inbound_iprev(m)->result, INK_IPREV_PERMERROR);
    n = ink_inbound_findings(m, "helo", &f);
    saw = 0;
    for (i = 0; i < n; i++)
        saw |= strcmp(f[i].code, "helo-not-client") == 0;
    assert_true(saw);
    ink_inbound_free(m);

    /* HELO literal of another address; single label */
    m = run(IP_GOOD, "[192.0.2.99]", "u@example.org", sm, 0);
    n = ink_inbound_findings(m, "helo", &f);
    assert_true(n >= 1);
    assert_string_equal(f[0].code, "helo-literal-mismatch");
    ink_inbound_free(m);
    m = run(IP_GOOD, "nowhere.example.org", "u@example.org", sm, 0);
    n = ink_inbound_findings(m, "helo", &f);
    saw = 0;
    for (i = 0; i < n; i++)
        saw |= strcmp(f[i].code, "helo-nxdomain") == 0;
    assert_true(saw);
    assert_int_equal(ink_inbound_trust(m), INK_TRUST_LOW);
    ink_inbound_free(m);
    m = run(IP_GOOD, "mailhost", "u@example.org", sm, 0);
    n = ink_inbound_findings(m, "helo", &f);
    assert_true(n >= 1);
    assert_string_equal(f[0].code, "helo-single-label");
    ink_inbound_free(m);
    free(msg);
    free(sm);
}

/* RFC 5322 findings: missing Date and Message-ID, Reply-To in a domain
 * that does not exist */
static void test_rfc5322(void **state)
{
    const char *msg = "From: a@example.org\r\nReply-To: r@gone.example\r\n\r\nbody\r\n";
    struct ink_inbound *m = run(IP_GOOD, "mail.example.org", "u@example.org", msg, 0);
    const struct ink_finding *f;
    size_t n = ink_inbound_findings(m, "rfc5322", &f), i;
    int date = 0, mid = 0, nx = 0;

    (void)state;
    for (i = 0; i < n; i++) {
        date |= strcmp(f[i].code, "rfc5322-date-missing") == 0;
        mid |= strcmp(f[i].code, "rfc5322-message-id-missing") == 0;
        nx |= strcmp(f[i].code, "rfc5322-domain-nxdomain") == 0 &&
              strcmp(f[i].subject, "gone.example") == 0;
    }
    assert_true(date && mid && nx);
    ink_inbound_free(m);
}

/* SPF, the DKIM key and the PTR are asked before any answer comes back */
static void test_concurrent(void **state)
{
    char *msg = message("From: a@example.org\r\n"), *sm = signed_msg(msg, "example.org");
    struct ink_inbound_params p;
    struct ink_inbound *m;
    struct ink_query q;
    int spf = 0, key_q = 0, ptr = 0, n = 0;

    (void)state;
    memset(&p, 0, sizeof(p));
    p.ip = IP_GOOD;
    p.helo = "mail.example.org";
    p.mail_from = "u@example.org";
    m = ink_inbound_new(&p, NULL);
    assert_int_equal(ink_inbound_push(m, (const uint8_t *)sm, strlen(sm)), 0);
    assert_int_equal(ink_inbound_end(m), 0);
    while (ink_inbound_next(m, &q) == INK_NEXT_READY) {
        n++;
        spf |= q.type == INK_DNS_TXT && strcmp(q.name, "example.org") == 0;
        key_q |= q.type == INK_DNS_TXT && strcmp(q.name, "sel._domainkey.example.org") == 0;
        ptr |= q.type == INK_DNS_PTR;
    }
    assert_true(spf && key_q && ptr);
    assert_true(n >= 5);
    /* an unknown token is refused */
    assert_int_equal(ink_inbound_feed(m, 0xfffffff0u, NULL), -1);
    ink_inbound_free(m);
    free(msg);
    free(sm);
}

/* parse_str - parse a C string */
static struct ink_authres *parse_str(const char *v)
{
    return ink_authres_parse((const uint8_t *)v, strlen(v));
}

/* the Authentication-Results writer quotes hostile values; the parser */
static void test_authres_writer(void **state)
{
    struct ink_str s = INK_STR_INIT;
    struct ink_authres *a;
    const char *evil = "x.example; dkim=pass (\r\n\tforged\") header.d=y";

    (void)state;
    ink_authres_begin(&s, "mx.example.net");
    ink_authres_method(&s, "dkim", "fail");
    ink_authres_prop(&s, "header", "d", evil, strlen(evil));
    assert_null(strstr(s.buf, "\r\n\tforged"));
    a = ink_authres_parse((const uint8_t *)s.buf + 23, s.len - 23);
    assert_true(a->ok);
    assert_int_equal(a->nresults, 1);
    assert_string_equal(ink_authres_prop_value(&a->results[0], "header", "d"),
                        "x.example; dkim=pass (???forged\") header.d=y");
    ink_authres_free(a);
    ink_str_free(&s);
    assert_int_equal(ink_authres_method(&s, "dkim;", "pass"), -1);

    a = parse_str(" example.com (c (nested)) 1; none");
    assert_true(a->ok && a->none);
    ink_authres_free(a);
    a = parse_str(" example.com; spf=pass smtp.mailfrom=");
    assert_false(a->ok);
    ink_authres_free(a);
    /* a property cut short is not kept half-made (its value was NULL) */
    a = parse_str(" ex; spf=pass smtp.mailfrom");
    assert_false(a->ok);
    assert_int_equal(a->nresults, 1);
    assert_int_equal(a->results[0].nprops, 0);
    ink_authres_free(a);
    a = parse_str(" ex; dkim/1=pass reason=\"ok\" header.i=@x.org");
    assert_true(a->ok);
    assert_string_equal(a->results[0].reason, "ok");
    assert_string_equal(ink_authres_prop_value(&a->results[0], "header", "i"), "@x.org");
    ink_authres_free(a);
    assert_int_equal(ink_authres_is_ours((const uint8_t *)" MX.Example.NET; spf=pass", strlen(" MX.Example.NET; spf=pass"),
                                         "mx.example.net"), 1);
    {
        struct ink_mailhdr *h = ink_mailhdr_new(0);
        const char *hdr = "Authentication-Results: mx.example.net; dmarc=pass\r\n"
                          "Authentication-Results: other.example; spf=pass\r\n"
                          "From: a@example.org\r\n"
                          "authentication-results: (c) MX.example.net; none\r\n\r\n";
        size_t used, idx[4];

        ink_mailhdr_push(h, (const uint8_t *)hdr, strlen(hdr), &used);
        assert_int_equal(ink_authres_forged(h, "mx.example.net", idx, 4), 2);
        assert_int_equal(idx[0], 0);
        assert_int_equal(idx[1], 3);
        ink_mailhdr_free(h);
    }
    assert_int_equal(ink_authres_is_ours((const uint8_t *)" mx.example.net.evil; x", strlen(" mx.example.net.evil; x"),
                                         "mx.example.net"), 0);
}

/* policy - parse YAML text (must succeed) */
static struct ink_policy *policy(const char *yaml)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_policy *p = ink_policy_parse((const uint8_t *)yaml, strlen(yaml), &err);

    if (p == NULL)
        fail_msg("policy refused: %s", ink_str_cstr(&err));
    ink_str_free(&err);
    return p;
}

/* policy_error - parse YAML text that must be refused with text in the error */
static void policy_error(const char *yaml, const char *text)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_policy *p = ink_policy_parse((const uint8_t *)yaml, strlen(yaml), &err);

    assert_null(p);
    if (strstr(ink_str_cstr(&err), text) == NULL)
        fail_msg("policy error '%s' does not say '%s'", ink_str_cstr(&err), text);
    ink_str_free(&err);
}

/* run_rcpt - a DMARC-failing message (p=reject at example.org) to rcpt */
static struct ink_inbound *run_fail(const char *from, const char *rcpt, const char *mail_from)
{
    struct ink_inbound_params p;
    struct ink_inbound *m;
    struct ink_resolver *r = ink_resolver_memzone_new(zone, 0);
    char *msg = message(from);
    const char *rc[1];

    rc[0] = rcpt;
    memset(&p, 0, sizeof(p));
    p.ip = IP_OTHER;
    p.helo = "mail.example.org";
    p.mail_from = mail_from;
    p.nrcpt = 1;
    p.rcpt = rc;
    m = ink_inbound_new(&p, NULL);
    assert_int_equal(ink_inbound_push(m, (const uint8_t *)msg, strlen(msg)), 0);
    assert_int_equal(ink_inbound_end(m), 0);
    assert_int_equal(ink_drive_sync(r, ink_inbound_machine(m), NULL), INK_NEXT_DONE);
    ink_resolver_free(r);
    free(msg);
    return m;
}

/* decide - the verdict of m under the YAML policy (NULL: the default) */
static enum ink_verdict_action decide(const char *yaml, struct ink_inbound *m,
                                      const struct ink_policy_arc *arc, struct ink_verdict *v)
{
    struct ink_policy *p = yaml != NULL ? policy(yaml) : ink_policy_default();

    ink_policy_decide(p, m, arc, v);
    ink_policy_free(p);
    return v->action;
}

/* each rollout mode and exception changes the verdict of a p=reject fail,
 * and says so */
static void test_policy(void **state)
{
    struct ink_inbound *m = run_fail("From: a@example.org\r\n", "ceo@example.net",
                                     "u@lists.bounce.example.net");
    struct ink_inbound *q = run_fail("From: a@sub.example.org\r\n", "bob@example.net",
                                     "u@thirdparty.example");
    struct ink_inbound *t = run_fail("From: a@slow.example\r\n", "bob@example.net",
                                     "u@thirdparty.example");
    struct ink_policy_arc arc = {"pass", "forwarder.example", 1};
    struct ink_verdict v;

    (void)state;
    assert_int_equal(ink_inbound_dmarc(m)->result, INK_DMARC_RES_FAIL);
    assert_int_equal(decide(NULL, m, NULL, &v), INK_VERDICT_REJECT);
    assert_true(v.enforced);
    assert_non_null(strstr(v.smtp_reply, "550 5.7.1"));
    assert_non_null(strstr(v.smtp_reply, "example.org"));
    /* sp=quarantine */
    assert_int_equal(decide(NULL, q, NULL, &v), INK_VERDICT_QUARANTINE);
    /* monitor */
    assert_int_equal(decide("mode: monitor\n", m, NULL, &v), INK_VERDICT_ACCEPT);
    assert_string_equal(v.override, "local_policy");
    assert_non_null(strstr(v.comment, "monitor"));
    /* staged: listed author enforced, other not */
    assert_int_equal(decide("mode: staged\nstaged: [example.org]\n", m, NULL, &v),
                     INK_VERDICT_REJECT);
    assert_int_equal(decide("mode: staged\nstaged: [other.example]\n", m, NULL, &v),
                     INK_VERDICT_ACCEPT);
    assert_non_null(strstr(v.comment, "staged"));
    /* people-centric: by address and by domain */
    assert_int_equal(decide("mode: people-centric\npeople-centric: [ceo@example.net]\n", m, NULL, &v),
                     INK_VERDICT_REJECT);
    assert_int_equal(decide("mode: people-centric\npeople-centric: [cfo@example.net]\n", m, NULL, &v),
                     INK_VERDICT_ACCEPT);
    assert_int_equal(decide("mode: people-centric\npeople-centric: [example.net]\n", q, NULL, &v),
                     INK_VERDICT_QUARANTINE);
    /* exceptions: CIDR, MAIL FROM pattern, Author Domain, trusted sealer */
    assert_int_equal(decide("exceptions:\n  ip: [198.51.100.0/24]\n", m, NULL, &v), INK_VERDICT_ACCEPT);
    assert_non_null(strstr(v.comment, "198.51.100.0/24"));
    assert_int_equal(decide("exceptions:\n  ip: [198.51.101.0/24, '2001:db8::/32']\n", m, NULL, &v),
                     INK_VERDICT_REJECT);
    assert_int_equal(decide("exceptions:\n  mail-from: ['*.bounce.example.net']\n", m, NULL, &v),
                     INK_VERDICT_ACCEPT);
    assert_non_null(strstr(v.comment, "*.bounce.example.net"));
    assert_int_equal(decide("exceptions:\n  mail-from: ['bounce.example.net']\n", m, NULL, &v),
                     INK_VERDICT_REJECT);
    assert_int_equal(decide("exceptions:\n  author-domain: [example.org]\n", m, NULL, &v),
                     INK_VERDICT_ACCEPT);
    assert_int_equal(decide("exceptions:\n  arc-sealers: [forwarder.example]\n", m, &arc, &v),
                     INK_VERDICT_ACCEPT);
    assert_string_equal(v.override, "trusted_forwarder");
    arc.sealer = "untrusted.example";
    assert_int_equal(decide("exceptions:\n  arc-sealers: [forwarder.example]\n", m, &arc, &v),
                     INK_VERDICT_REJECT);
    arc.sealer = "forwarder.example";
    arc.upstream_pass = 0;
    assert_int_equal(decide("exceptions:\n  arc-sealers: [forwarder.example]\n", m, &arc, &v),
                     INK_VERDICT_REJECT);
    /* temperror */
    assert_int_equal(ink_inbound_dmarc(t)->result, INK_DMARC_RES_TEMPERROR);
    assert_int_equal(decide(NULL, t, NULL, &v), INK_VERDICT_TEMPFAIL);
    assert_non_null(strstr(v.smtp_reply, "451 4.7."));
    assert_int_equal(decide("temperror: accept\n", t, NULL, &v), INK_VERDICT_ACCEPT);
    ink_inbound_free(m);
    ink_inbound_free(q);
    ink_inbound_free(t);

    /* the file's errors name where */
    policy_error("mode: loose\n", "1:7");
    policy_error("mode: staged\n", "'staged' list");
    policy_error("exceptions:\n  ip: [300.1.2.3/8]\n", "2:");
    policy_error("exceptoins: {}\n", "unknown key");
    policy_error("a: &x [1]\nb: *x\n", "aliases");
    policy_error("exceptions:\n  ip: [[[1]]]\n", "deeper");
}

/* ink_policy_rcpt_protected: per recipient, what the people-centric
 * rollout decides (the milter's split of a transaction); the other modes
 * give every recipient the same answer */
static void test_rcpt_protected(void **state)
{
    struct ink_policy *p =
        policy("mode: people-centric\npeople-centric: [CEO@example.net, '*.finance.example', "
               "board.example]\n");
    const char *e = "x";

    (void)state;
    assert_int_equal(ink_policy_rcpt_protected(p, "ceo@example.net", &e), 1);
    assert_string_equal(e, "ceo@example.net");
    /* angle brackets, case of local part and domain */
    assert_int_equal(ink_policy_rcpt_protected(p, "<CEO@Example.NET>", &e), 1);
    assert_int_equal(ink_policy_rcpt_protected(p, "bob@example.net", &e), 0);
    assert_null(e);
    /* a domain pattern: below it, not itself; a plain domain: only itself */
    assert_int_equal(ink_policy_rcpt_protected(p, "x@ap.finance.example", &e), 1);
    assert_string_equal(e, "*.finance.example");
    assert_int_equal(ink_policy_rcpt_protected(p, "x@finance.example", NULL), 0);
    assert_int_equal(ink_policy_rcpt_protected(p, "chair@board.example", NULL), 1);
    assert_int_equal(ink_policy_rcpt_protected(p, "chair@sub.board.example", NULL), 0);
    /* no domain, empty, NULL, an address over the scalar limit: monitored */
    assert_int_equal(ink_policy_rcpt_protected(p, "postmaster", NULL), 0);
    assert_int_equal(ink_policy_rcpt_protected(p, "", NULL), 0);
    assert_int_equal(ink_policy_rcpt_protected(p, "<>", NULL), 0);
    assert_int_equal(ink_policy_rcpt_protected(p, NULL, &e), 0);
    {
        char big[INK_POLICY_SCALAR_MAX + 40];

        memset(big, 'a', sizeof(big));
        memcpy(big + sizeof(big) - 17, "@board.example", 15);
        big[sizeof(big) - 2] = '\0';
        assert_int_equal(ink_policy_rcpt_protected(p, big, NULL), 0);
    }
    ink_policy_free(p);
    /* the other modes: one answer for every recipient */
    p = policy("mode: monitor\n");
    assert_int_equal(ink_policy_rcpt_protected(p, "ceo@example.net", &e), 0);
    ink_policy_free(p);
    p = policy("mode: staged\nstaged: [example.org]\n");
    assert_int_equal(ink_policy_rcpt_protected(p, "ceo@example.net", NULL), 1);
    assert_int_equal(ink_policy_rcpt_protected(p, "bob@example.net", NULL), 1);
    ink_policy_free(p);
    p = ink_policy_default();
    assert_int_equal(ink_policy_rcpt_protected(p, "bob@example.net", &e), 1);
    assert_null(e);
    ink_policy_free(p);
}

/* forwarded - msg signed by example.org, changed by a list (a footer),
 * then ARC-sealed by sealer with the upstream results */
static char *forwarded(const char *sealer)
{
    char *msg = message("From: a@example.org\r\n"), *sm = signed_msg(msg, "example.org");
    struct ink_str changed = INK_STR_INIT, out = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_arc_seal_opts o;
    struct ink_arc_seal *s;

    ink_str_puts(&changed, sm);
    ink_str_puts(&changed, "-- \r\nthe list footer\r\n");
    memset(&o, 0, sizeof(o));
    o.key = key;
    o.domain = sealer;
    o.selector = "sel";
    o.authserv_id = sealer;
    o.results = "spf=pass smtp.mailfrom=example.org; dkim=pass header.d=example.org; "
                "dmarc=pass header.from=example.org";
    s = ink_arc_seal_new(&o, &err);
    assert_non_null(s);
    assert_int_equal(ink_arc_seal_push(s, (const uint8_t *)changed.buf, changed.len), 0);
    assert_int_equal(ink_arc_seal_end(s, "\r\n", &out), 0);
    ink_str_append(&out, changed.buf, changed.len);
    ink_arc_seal_free(s);
    ink_str_free(&changed);
    ink_str_free(&err);
    free(msg);
    free(sm);
    return ink_str_steal(&out);
}

/* a forwarded message that breaks DKIM and SPF: ARC passes, and the
 * trusted sealer (not an untrusted one) overrides the DMARC fail */
static void test_arc_forwarded(void **state)
{
    const char *trusted = "exceptions:\n  arc-sealers: [forwarder.example]\n";
    char *fw = forwarded("forwarder.example"), *un = forwarded("untrusted.example");
    struct ink_inbound *m = run(IP_OTHER, "mail.example.org", "list@thirdparty.example", fw, 13);
    struct ink_inbound *u = run(IP_OTHER, "mail.example.org", "list@thirdparty.example", un, 0);
    struct ink_str s = INK_STR_INIT;
    struct ink_verdict v;

    (void)state;
    assert_int_equal(ink_inbound_dmarc(m)->result, INK_DMARC_RES_FAIL);
    assert_int_equal(ink_inbound_arc(m)->cv, INK_ARC_CV_PASS);
    assert_string_equal(ink_inbound_arc(m)->sealer, "forwarder.example");
    assert_true(ink_inbound_arc(m)->upstream_pass);
    assert_int_equal(decide(trusted, m, NULL, &v), INK_VERDICT_ACCEPT);
    assert_string_equal(v.override, "trusted_forwarder");
    assert_int_equal(decide(NULL, m, NULL, &v), INK_VERDICT_REJECT);
    assert_int_equal(ink_inbound_arc(u)->cv, INK_ARC_CV_PASS);
    assert_int_equal(decide(trusted, u, NULL, &v), INK_VERDICT_REJECT);
    assert_int_equal(ink_inbound_authres(m, "mx.example.net", NULL, &s), 0);
    assert_non_null(strstr(s.buf, "arc=pass arc.chain=forwarder.example"));
    ink_str_free(&s);
    ink_inbound_free(m);
    ink_inbound_free(u);
    free(fw);
    free(un);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),          cmocka_unit_test(test_authres),
        cmocka_unit_test(test_receiver_checks), cmocka_unit_test(test_rfc5322),
        cmocka_unit_test(test_concurrent),      cmocka_unit_test(test_authres_writer),
        cmocka_unit_test(test_policy),          cmocka_unit_test(test_arc_forwarded),
        cmocka_unit_test(test_rcpt_protected),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
