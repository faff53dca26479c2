/*
 * fuzz_machines.c - libFuzzer target for the query protocol (inkan/query.h)
 * of every machine kind: the first byte picks the kind (a fixed value per
 * kind, see enum kind_byte) and the second one
 * of a few fixed inputs (a DKIM-signed message, a domain to discover
 * DMARC for, SPF check_host() parameters, a domain or record to lint, a
 * sender profile to provision, a name whose servers to find, a domain's
 * expected records to check, a domain to audit, a message to evaluate
 * as a receiver);
 * then every query the machine asks is answered from the
 * fuzz bytes: NULL, an empty NOERROR, a failure status, an answer of the
 * wrong type or for a name not asked, a stale or unknown token, or records
 * of random types built with ink_dns_answer_add_*, the TXT ones from a
 * small dictionary of plausible records or raw bytes.  Answers go back in
 * an order the bytes choose when several queries are out.
 *
 * Promises checked (abort on a broken one): the machine ends with DONE
 * within STEPS_MAX steps; WAIT comes only with a query out; a token handed
 * out is taken once (0), a stale or unknown one refused (-1); DONE stays;
 * the results are readable.  When the bytes run out, every answer is NULL
 * (a timeout), which must end any machine.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/audit.h"
#include "inkan/dkim.h"
#include "inkan/inbound.h"
#include "inkan/dmarc.h"
#include "inkan/dns.h"
#include "inkan/finding.h"
#include "inkan/profile.h"
#include "inkan/provision.h"
#include "inkan/query.h"
#include "inkan/report_sim.h"
#include "inkan/rotate.h"
#include "inkan/spf.h"
#include "inkan/spf_lint.h"
#include "inkan/str.h"
#include "inkan/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* next() calls one run may take. */
#define STEPS_MAX 20000
/* Queries out at once that the target keeps track of. */
#define PENDING_MAX 64
/* Records one random answer holds at most. */
#define RR_MAX 8
/* Longest raw TXT string taken from the bytes. */
#define RAW_TXT_MAX 300
/* Room for a query name as handed out (a _dmarc. prefix may take a name
 * past INK_DNS_NAME_MAX). */
#define QNAME_BUF 512
/* A token these machines never hand out in one run. */
#define TOKEN_NEVER 0xfffffff0u

/* die - a broken promise: say which, then crash for libFuzzer */
static void die(const char *kind, const char *what)
{
    fprintf(stderr, "fuzz_machines: %s: %s\n", kind, what);
    abort();
}

/* ---- the fuzz bytes ---- */

struct bytes {
    const uint8_t *p;
    size_t n;
};

/* take - the next byte, or 0 once they ran out (exhausted set) */
static uint8_t take(struct bytes *b, int *exhausted)
{
    uint8_t c;

    if (b->n == 0) {
        *exhausted = 1;
        return 0;
    }
    c = *b->p++;
    b->n--;
    return c;
}

/* ---- fixed inputs ---- */

/* RFC 8463 Appendix A.3: one message, an Ed25519 and an RSA signature */
static const char msg_two_sigs[] =
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

/* The same signatures three times over (same key names: one query each)
 * plus one with another selector. */
static const char msg_shared_keys[] =
    "DKIM-Signature: v=1; a=ed25519-sha256; d=football.example.com; s=brisbane;\r\n"
    "   h=from; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=AAAA\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; d=football.example.com; s=brisbane;\r\n"
    "   h=from:to; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=AAAA\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; d=football.example.com; s=other; l=3;\r\n"
    "   h=from; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=AAAA\r\n"
    "From: Joe <joe@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n";

/* Plausible TXT records the random answers pick from. */
static const char *const txt_dict[] = {
    "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy"
    "5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9Pz"
    "oxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB",
    "v=DKIM1; p=",
    "v=DKIM1; k=ed25519; t=y:s; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    "v=DMARC1; p=reject; rua=mailto:a@agg.example.net,mailto:b@example.com",
    "v=DMARC1; p=none; psd=y",
    "v=DMARC1; p=quarantine; psd=n; sp=none; np=reject",
    "v=DMARC1; p=reject; ruf=mailto:f@wild.example.org; rua=mailto:x@y.example",
    "v=DMARC1",
    "v=spf1 -all",
    "v=spf1 include:example.net a mx ip4:192.0.2.0/24 ~all",
};

/* Names random records point at or are owned by. */
static const char *const name_dict[] = {
    "example.com", "mail.example.com", "agg.example.net", "football.example.com",
    "brisbane._domainkey.football.example.com", "_dmarc.example.com", "decoy.invalid", "com",
};

/* Record types random answers use. */
static const uint16_t type_dict[] = {
    INK_DNS_A, INK_DNS_AAAA, INK_DNS_CNAME, INK_DNS_MX, INK_DNS_TXT,
    INK_DNS_PTR, INK_DNS_NS, INK_DNS_SPF, INK_DNS_SOA,
};

#define DICT_N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- machine kinds ---- */

struct kind {
    const char *name;
    void *(*make)(uint8_t variant);            /* NULL when it cannot be made */
    struct ink_machine (*machine)(void *obj);
    void (*check)(void *obj);                  /* results readable and sane */
    void (*release)(void *obj);
};

static void *dkim_make(uint8_t variant)
{
    struct ink_dkim_verify_opts o;
    struct ink_dkim_verify *v;
    const char *msg = (variant & 1) ? msg_shared_keys : msg_two_sigs;
    size_t len = strlen(msg), step = (size_t)(variant >> 1) % 7 + 1, off = 0;

    memset(&o, 0, sizeof(o));
    o.max_signatures = (variant & 0x80) ? 1 : 0;
    v = ink_dkim_verify_new(&o);
    if (v == NULL)
        return NULL;
    /* in pushes of a few hundred bytes: the header ends inside one */
    step *= 97;
    while (off < len) {
        size_t n = len - off < step ? len - off : step;
        if (ink_dkim_verify_push(v, (const uint8_t *)msg + off, n) < 0)
            die("dkim", "the fixed message was refused");
        off += n;
    }
    if (ink_dkim_verify_end(v) < 0)
        die("dkim", "end failed");
    return v;
}

static struct ink_machine dkim_machine(void *obj)
{
    return ink_dkim_verify_machine(obj);
}

static void dkim_check(void *obj)
{
    struct ink_dkim_verify *v = obj;
    size_t i;

    for (i = 0; i < ink_dkim_verify_count(v); i++) {
        const struct ink_dkim_result *r = ink_dkim_verify_result(v, i);
        if (r == NULL)
            die("dkim", "a result is missing");
        if (memchr(r->reason, '\0', sizeof(r->reason)) == NULL)
            die("dkim", "unterminated reason");
        if (r->code != INK_DKIM_PASS && r->reason[0] == '\0')
            die("dkim", "a signature that did not pass has no reason");
    }
}

static void dkim_release(void *obj)
{
    ink_dkim_verify_free(obj);
}

static void *dmarc_make(uint8_t variant)
{
    static const char *const domains[] = {
        "mail.example.com", "a.b.c.d.e.f.g.h.example.com", "example.com", "com",
    };
    enum ink_dmarc_org_mode mode = (variant & 4) ? INK_DMARC_ORG_PSL : INK_DMARC_ORG_TREEWALK;
    unsigned flags = (variant & 8) ? INK_DMARC_DISC_NO_DESTS : 0;

    return ink_dmarc_disc_new(domains[variant & 3], mode, NULL, flags);
}

static struct ink_machine dmarc_machine(void *obj)
{
    return ink_dmarc_disc_machine(obj);
}

static void dmarc_check(void *obj)
{
    const struct ink_dmarc_result *r = ink_dmarc_disc_result(obj);
    size_t i;

    if (r->status == INK_DMARC_DISC_FOUND && (r->record == NULL || r->policy_domain == NULL))
        die("dmarc", "found without a record");
    if (r->status != INK_DMARC_DISC_FOUND && r->record != NULL)
        die("dmarc", "a record without found");
    for (i = 0; i < r->nlookups; i++)
        if (r->lookups[i].domain == NULL)
            die("dmarc", "a lookup without its domain");
    for (i = 0; i < r->ndests; i++)
        if (r->dests[i].host == NULL)
            die("dmarc", "a destination without its host");
}

static void dmarc_release(void *obj)
{
    ink_dmarc_disc_free(obj);
}

/* Senders the SPF kinds start from. */
static const char *const spf_senders[] = {
    "user@example.com", "a@mail.example.com", "", "x@football.example.com",
};

static void *spf_make(uint8_t variant)
{
    struct ink_spf_params p;

    memset(&p, 0, sizeof(p));
    if (variant & 4) {
        p.family = 6;
        p.ip[0] = 0x20;
        p.ip[1] = 0x01;
        p.ip[2] = 0x0d;
        p.ip[3] = 0xb8;
        p.ip[15] = variant;
    } else {
        p.family = 4;
        p.ip[0] = 192;
        p.ip[2] = 2;
        p.ip[3] = variant;
    }
    p.mail_from = spf_senders[variant & 3];
    p.helo = "mail.example.com";
    p.now = 1700000000;
    return ink_spf_new(&p);
}

static struct ink_machine spf_machine(void *obj)
{
    return ink_spf_machine(obj);
}

static void spf_check(void *obj)
{
    if (ink_spf_reason(obj) == NULL)
        die("spf", "no reason");
    (void)ink_spf_result_name(ink_spf_result(obj));
    (void)ink_spf_explanation(obj);
}

static void spf_release(void *obj)
{
    ink_spf_free(obj);
}

static void *lint_make(uint8_t variant)
{
    static const char rec[] = "v=spf1 include:_spf.example.net a mx exists:%{i}.example.com "
                              "ptr redirect=example.net";

    if (variant & 1)
        return ink_spf_lint_new_record("example.com", (const uint8_t *)rec, sizeof(rec) - 1);
    return ink_spf_lint_new_domain((variant & 2) ? "mail.example.com" : "example.com");
}

static struct ink_machine lint_machine(void *obj)
{
    return ink_spf_lint_machine(obj);
}

static void lint_check(void *obj)
{
    size_t i, n = ink_spf_lint_nfindings(obj);

    for (i = 0; i < n; i++) {
        const struct ink_finding *f = ink_spf_lint_finding(obj, i);
        if (f == NULL || f->code == NULL || f->message == NULL)
            die("spf-lint", "a finding without code or message");
    }
}

static void lint_release(void *obj)
{
    ink_spf_lint_free(obj);
}

/* Profiles provisioning starts from (parsed once, kept for the process). */
static const char *const prov_profiles[] = {
    "profile: 1\nname: P\nspf: {include: _spf.platform.example.net}\n"
    "return-path: {name: bounce, cname: bounces.platform.example.net}\n",
    "profile: 1\nname: E\nsubdomain: em\n"
    "spf: {include: spf.e.example.net, ip4: 203.0.113.0/24, all: -all}\n"
    "dkim:\n  - {selector: k1, key: generate}\n  - {selector: e1, cname: e1.dkim.e.example.net}\n"
    "tracking: {name: click, cname: click.e.example.net}\n"
    "mx: {hosts: [{preference: 10, exchange: mx1.e.example.net}]}\n"
    "dmarc: {rua: mailto:d@example.com}\n",
};
static struct ink_profile *prov_loaded[DICT_N(prov_profiles)];

static void *prov_make(uint8_t variant)
{
    size_t i = variant % DICT_N(prov_profiles), k;
    struct ink_str err = INK_STR_INIT;
    struct ink_provision *p;

    if (prov_loaded[i] == NULL) {
        prov_loaded[i] = ink_profile_parse((const uint8_t *)prov_profiles[i],
                                           strlen(prov_profiles[i]), &err);
        ink_str_free(&err);
        if (prov_loaded[i] == NULL)
            die("provision", "a fixed profile does not parse");
    }
    p = ink_provision_new(prov_loaded[i], "example.com", (variant & 2) ? "mail" : NULL, NULL, 0,
                          &err);
    ink_str_free(&err);
    if (p == NULL)
        return NULL;
    for (k = 0; k < ink_provision_nkeys(p); k++)
        (void)ink_provision_set_key(p, k, txt_dict[0]);
    return p;
}

static struct ink_machine prov_machine(void *obj)
{
    return ink_provision_machine(obj);
}

static void prov_check(void *obj)
{
    struct ink_str z = INK_STR_INIT, c = INK_STR_INIT;
    size_t i;

    if (ink_provision_compute(obj) < 0)
        return; /* out of memory */
    for (i = 0; i < ink_provision_nrecords(obj); i++)
        if (ink_provision_record(obj, i)->owner == NULL)
            die("provision", "a record without owner");
    (void)ink_provision_zone(obj, &z);
    (void)ink_provision_checklist(obj, &c);
    ink_str_free(&z);
    ink_str_free(&c);
}

static void prov_release(void *obj)
{
    ink_provision_free(obj);
}

static void *vauth_make(uint8_t variant)
{
    return ink_vauth_new((variant & 1) ? "a.b.mail.example.com" : "example.com");
}

static struct ink_machine vauth_machine(void *obj)
{
    return ink_vauth_machine(obj);
}

static void vauth_check(void *obj)
{
    size_t n = ink_vauth_nservers(obj);

    if (n > INK_VAUTH_SERVERS_MAX)
        die("verify-auth", "too many servers");
    if (n == 0 && ink_vauth_why(obj) == NULL)
        die("verify-auth", "no servers and no reason");
}

static void vauth_release(void *obj)
{
    ink_vauth_free(obj);
}

/* The domain one verification check is made for (built once). */
static struct ink_vdomain *vdom;

static void *vcheck_make(uint8_t variant)
{
    (void)variant;
    if (vdom == NULL) {
        vdom = ink_vdomain_new("example.com", "P", 1700000000);
        if (vdom == NULL ||
            ink_vdomain_add_record(vdom, "example.com", INK_DNS_TXT, INK_VMATCH_SPF,
                                   "include:_spf.platform.example.net", "spf") < 0 ||
            ink_vdomain_add_record(vdom, "bounce.example.com", INK_DNS_CNAME, INK_VMATCH_CNAME,
                                   "bounces.platform.example.net", "return-path") < 0 ||
            ink_vdomain_add_record(vdom, "_dmarc.example.com", INK_DNS_TXT, INK_VMATCH_DMARC, "",
                                   "dmarc") < 0 ||
            ink_vdomain_add_record(vdom, "s1._domainkey.example.com", INK_DNS_TXT, INK_VMATCH_DKIM,
                                   txt_dict[0], "dkim") < 0 ||
            ink_vdomain_add_record(vdom, "example.com", INK_DNS_MX, INK_VMATCH_MX,
                                   "10 mx.platform.example.net", "mx") < 0)
            die("verify", "cannot build the fixed domain");
    }
    return ink_vcheck_new(vdom);
}

static struct ink_machine vcheck_machine(void *obj)
{
    return ink_vcheck_machine(obj);
}

static void vcheck_check(void *obj)
{
    size_t i;

    for (i = 0; i < vdom->nrec; i++)
        if (ink_vcheck_obs(obj, i) == NULL)
            die("verify", "a record without an observation");
}

static void vcheck_release(void *obj)
{
    ink_vcheck_free(obj);
}

/* The rotation one server's check is made for (built once): the new
 * keys in PUBLISH_NEW (even variants), the old ones in RETIRE (odd). */
static struct ink_rotation *rot;

static void *rot_make(uint8_t variant)
{
    if (rot == NULL) {
        rot = ink_rotation_new("example.com", 1700000000);
        if (rot == NULL ||
            ink_rotation_add_key(rot, 1, "s1", "ed25519", txt_dict[0], NULL) < 0 ||
            ink_rotation_add_key(rot, 1, "brisbane", "rsa", txt_dict[1], NULL) < 0 ||
            ink_rotation_add_key(rot, 0, "old", NULL, NULL, NULL) < 0)
            die("dkim-rotate", "cannot build the fixed rotation");
    }
    rot->phase = (variant & 1) ? INK_ROT_RETIRE : INK_ROT_PUBLISH_NEW;
    return ink_rotate_check_new(rot);
}

static struct ink_machine rot_machine(void *obj)
{
    return ink_rotate_check_machine(obj);
}

static void rot_check(void *obj)
{
    struct ink_rot_obs o;
    size_t i;

    if (ink_rotate_check_obs(obj, "srv", &o) < 0)
        die("dkim-rotate", "DONE without every observation");
    for (i = 0; i < INK_ROTATE_KEYS_MAX; i++)
        if ((unsigned)o.seen[i] > INK_ROT_SEEN_ERROR)
            die("dkim-rotate", "an observation out of range");
}

static void rot_release(void *obj)
{
    ink_rotate_check_free(obj);
}

static void *audit_make(uint8_t variant)
{
    static const char *const sels[] = {"s1", "brisbane"};
    static const char *const helos[] = {"mx.example.com"};
    static const struct ink_audit_cname cnames[] = {{"bounce", "bounces.platform.example.net"}};
    struct ink_audit_opts o;

    memset(&o, 0, sizeof(o));
    o.domain = (variant & 1) ? "mail.example.com" : "example.com";
    if (variant & 2) {
        o.selectors = sels;
        o.nselectors = 2;
    }
    if (variant & 4) {
        o.helos = helos;
        o.nhelos = 1;
    }
    if (variant & 8) {
        o.cnames = cnames;
        o.ncnames = 1;
    }
    o.org_mode = (variant & 16) ? INK_DMARC_ORG_PSL : INK_DMARC_ORG_TREEWALK;
    return ink_audit_new(&o);
}

static struct ink_machine audit_machine(void *obj)
{
    return ink_audit_machine(obj);
}

static void audit_check(void *obj)
{
    size_t i, n = ink_audit_nfindings(obj);

    if (!ink_audit_done(obj))
        die("audit", "DONE but not done");
    for (i = 0; i < n; i++) {
        const struct ink_finding *f = ink_audit_finding(obj, i);
        if (f == NULL || f->code == NULL || f->area == NULL || f->message == NULL)
            die("audit", "a finding without area, code or message");
    }
}

static void audit_release(void *obj)
{
    ink_audit_free(obj);
}

/* the message machine: the two-signature message from a fixed client,
 * MAIL FROM and HELO chosen by the variant */
static void *inbound_make(uint8_t variant)
{
    static const char *const ips[] = {"192.0.2.1", "2001:db8::1"};
    static const char *const froms[] = {"joe@football.example.com", "", "<>", "x@example.org"};
    struct ink_inbound_params p;
    struct ink_inbound *m;
    const char *msg = (variant & 1) ? msg_shared_keys : msg_two_sigs;

    memset(&p, 0, sizeof(p));
    p.ip = ips[(variant >> 1) & 1];
    p.helo = (variant & 8) ? "[192.0.2.1]" : "mail.example.com";
    p.mail_from = froms[(variant >> 2) & 1 ? 1 + ((variant >> 4) & 1) : 3 * ((variant >> 5) & 1)];
    p.org_mode = (variant & 0x40) ? INK_DMARC_ORG_PSL : INK_DMARC_ORG_TREEWALK;
    m = ink_inbound_new(&p, NULL);
    if (m == NULL)
        return NULL;
    if (ink_inbound_push(m, (const uint8_t *)msg, strlen(msg)) < 0 || ink_inbound_end(m) < 0)
        die("inbound", "the fixed message was refused");
    return m;
}

static struct ink_machine inbound_machine(void *obj)
{
    return ink_inbound_machine(obj);
}

static void inbound_check(void *obj)
{
    struct ink_inbound *m = obj;
    const struct ink_inbound_dmarc *d = ink_inbound_dmarc(m);
    struct ink_str s = INK_STR_INIT;

    if (memchr(d->eval.reason, '\0', sizeof(d->eval.reason)) == NULL)
        die("inbound", "unterminated DMARC reason");
    if (d->result == INK_DMARC_RES_PASS && !d->eval.spf_aligned && !d->eval.dkim_aligned)
        die("inbound", "DMARC pass without an aligned identifier");
    if (ink_inbound_authres(m, "mx.example.net", NULL, &s) < 0)
        die("inbound", "Authentication-Results could not be written");
    if (memchr(s.buf, '\n', s.len) != NULL) {
        size_t i;
        /* every line break is a fold: CRLF then a tab */
        for (i = 0; i + 1 < s.len; i++)
            if (s.buf[i] == '\n' && s.buf[i + 1] != '\t')
                die("inbound", "a line break in Authentication-Results that is not a fold");
    }
    ink_str_free(&s);
}

static void inbound_release(void *obj)
{
    ink_inbound_free(obj);
}

/* ---- report-simulate: two rows replayed under a proposed SPF record ---- */

struct fsim {
    struct ink_report_row rows[2];
    struct ink_report_row_auth auth[2];
    struct ink_sim *sim;
};

static void *sim_make(uint8_t variant)
{
    static const char *const records[] = {
        "v=spf1 include:_spf.example.net mx a:mail.example.com -all",
        "v=spf1 redirect=_spf.example.org",
        "v=spf1 exists:%{i}.bl.example.net ptr ~all",
        "v=spf1 ip4:192.0.2.0/24 include:example.com -all",
    };
    struct fsim *o = calloc(1, sizeof(*o));
    struct ink_sim_opts so;
    size_t i;

    if (o == NULL)
        return NULL;
    for (i = 0; i < 2; i++) {
        struct ink_report_row *r = &o->rows[i];
        r->source_ip = (char *)(i ? "2001:db8::25" : "192.0.2.7");
        r->count = 3 + i;
        r->adkim = r->aspf = (variant & 8) ? 's' : 'r';
        r->pct = -1;
        r->dkim = (char *)"fail";
        r->spf = (char *)(i ? "pass" : "fail");
        r->header_from = (char *)"example.com";
        o->auth[i].kind = 's';
        o->auth[i].domain = (char *)(i ? "mail.example.com" : "example.com");
        o->auth[i].result = (char *)"fail";
        r->auth = &o->auth[i];
        r->nauth = 1;
    }
    memset(&so, 0, sizeof(so));
    so.domain = "example.com";
    so.spf = records[variant & 3];
    so.dmarc = (variant & 4) ? "v=DMARC1; p=reject; pct=40" : NULL;
    so.now = 1700000000;
    o->sim = ink_sim_new(&so, o->rows, 2, NULL);
    if (o->sim == NULL) {
        free(o);
        return NULL;
    }
    return o;
}

static struct ink_machine sim_machine(void *obj)
{
    return ink_sim_machine(((struct fsim *)obj)->sim);
}

static void sim_check(void *obj)
{
    const struct fsim *o = obj;
    const struct ink_sim_totals *t = ink_sim_totals(o->sim);
    size_t i;

    if (t->messages != 7 || t->newly_passing + t->newly_failing > 7)
        die("report-simulate", "totals do not add up");
    for (i = 0; i < ink_sim_nchanges(o->sim); i++)
        if (ink_sim_change(o->sim, i)->direction == NULL)
            die("report-simulate", "a change without a direction");
}

static void sim_release(void *obj)
{
    struct fsim *o = obj;

    ink_sim_free(o->sim);
    free(o);
}

/*
 * The first byte of an input names its kind, for good: every file of
 * fuzz/corpus/machines keeps meaning the kind it was written for.  So a
 * byte value, once given, is never moved or reused; a new kind takes the
 * next value (KIND_N grows), and an input whose first byte is KIND_N or
 * more is skipped, not folded onto the table (a `% N` would hand every
 * byte past the end to another kind each time one is added; one did: the
 * "audit" seeds, written as 7, were read as dkim-rotate once that kind
 * was put before audit).
 */
enum kind_byte {
    KIND_DKIM = 0,
    KIND_DMARC = 1,
    KIND_SPF = 2,
    KIND_SPF_LINT = 3,
    KIND_PROVISION = 4,
    KIND_VERIFY_AUTH = 5,
    KIND_VERIFY = 6,
    KIND_DKIM_ROTATE = 7,
    KIND_AUDIT = 8,
    KIND_INBOUND = 9,
    KIND_REPORT_SIMULATE = 10,
    KIND_N /* new kinds above this line, with the next value */
};

static const struct kind kinds[KIND_N] = {
    [KIND_DKIM] = {"dkim", dkim_make, dkim_machine, dkim_check, dkim_release},
    [KIND_DMARC] = {"dmarc", dmarc_make, dmarc_machine, dmarc_check, dmarc_release},
    [KIND_SPF] = {"spf", spf_make, spf_machine, spf_check, spf_release},
    [KIND_SPF_LINT] = {"spf-lint", lint_make, lint_machine, lint_check, lint_release},
    [KIND_PROVISION] = {"provision", prov_make, prov_machine, prov_check, prov_release},
    [KIND_VERIFY_AUTH] = {"verify-auth", vauth_make, vauth_machine, vauth_check, vauth_release},
    [KIND_VERIFY] = {"verify", vcheck_make, vcheck_machine, vcheck_check, vcheck_release},
    [KIND_DKIM_ROTATE] = {"dkim-rotate", rot_make, rot_machine, rot_check, rot_release},
    [KIND_AUDIT] = {"audit", audit_make, audit_machine, audit_check, audit_release},
    [KIND_INBOUND] = {"inbound", inbound_make, inbound_machine, inbound_check, inbound_release},
    [KIND_REPORT_SIMULATE] = {"report-simulate", sim_make, sim_machine, sim_check, sim_release},
};

/* ---- answers from the bytes ---- */

/* add_random_rr - one record of a type the bytes choose, at owner */
static void add_random_rr(struct ink_dns_answer *a, const char *owner, struct bytes *b, int *ex)
{
    uint16_t type = type_dict[take(b, ex) % DICT_N(type_dict)];
    uint32_t ttl = take(b, ex);
    uint8_t addr[16];
    size_t i;

    switch (type) {
    case INK_DNS_A:
    case INK_DNS_AAAA:
        for (i = 0; i < sizeof(addr); i++)
            addr[i] = take(b, ex);
        (void)ink_dns_answer_add_addr(a, owner, ttl, addr, type == INK_DNS_A ? 4 : 16);
        break;
    case INK_DNS_MX:
        (void)ink_dns_answer_add_mx(a, owner, ttl, take(b, ex),
                                    name_dict[take(b, ex) % DICT_N(name_dict)]);
        break;
    case INK_DNS_TXT:
    case INK_DNS_SPF: {
        uint8_t pick = take(b, ex);
        const uint8_t *strs[2];
        size_t lens[2], n = 1;
        uint8_t raw[RAW_TXT_MAX];

        if (pick & 0x80) {
            /* raw bytes, one or two strings */
            size_t len = (size_t)(take(b, ex) % RAW_TXT_MAX);
            for (i = 0; i < len; i++)
                raw[i] = take(b, ex);
            if (len > INK_DNS_TXT_STRING_MAX) {
                strs[0] = raw;
                lens[0] = INK_DNS_TXT_STRING_MAX;
                strs[1] = raw + INK_DNS_TXT_STRING_MAX;
                lens[1] = len - INK_DNS_TXT_STRING_MAX;
                n = 2;
            } else {
                strs[0] = raw;
                lens[0] = len;
            }
        } else {
            const char *t = txt_dict[pick % DICT_N(txt_dict)];
            size_t len = strlen(t);
            /* split where the bytes say (a record in two strings) */
            size_t cut = len > INK_DNS_TXT_STRING_MAX ? INK_DNS_TXT_STRING_MAX
                                                     : (size_t)take(b, ex) % (len + 1);
            strs[0] = (const uint8_t *)t;
            lens[0] = cut;
            strs[1] = (const uint8_t *)t + cut;
            lens[1] = len - cut;
            n = lens[1] > 0 ? 2 : 1;
        }
        (void)ink_dns_answer_add_txt(a, owner, type, ttl, n, strs, lens);
        break;
    }
    default:
        (void)ink_dns_answer_add_name(a, owner, type, ttl,
                                      name_dict[take(b, ex) % DICT_N(name_dict)]);
        break;
    }
}

/* make_answer - the answer to (name, type) the bytes describe, or NULL;
 * sets *stale when a stale/unknown token is to be tried first */
static struct ink_dns_answer *make_answer(const char *name, uint16_t type, struct bytes *b,
                                          int *stale)
{
    static const enum ink_dns_status statuses[] = {
        INK_DNS_OK, INK_DNS_NODATA, INK_DNS_NXDOMAIN, INK_DNS_SERVFAIL, INK_DNS_TIMEOUT,
    };
    int ex = 0;
    uint8_t op = take(b, &ex);
    const char *qname = name, *owner = name;
    uint16_t qtype = type;
    struct ink_dns_answer *a;
    size_t n, i;

    *stale = 0;
    if (ex)
        return NULL; /* out of bytes: everything times out */
    switch (op % 8) {
    case 0:
        return NULL;
    case 1:
        return ink_dns_answer_new(name, type, INK_DNS_OK); /* empty NOERROR */
    case 2:
        return ink_dns_answer_new(name, type, statuses[take(b, &ex) % DICT_N(statuses)]);
    case 3:
        qtype = type_dict[take(b, &ex) % DICT_N(type_dict)]; /* maybe the wrong type */
        break;
    case 4:
        qname = name_dict[take(b, &ex) % DICT_N(name_dict)]; /* maybe another name */
        break;
    case 5:
        *stale = 1;
        break;
    default:
        break;
    }
    a = ink_dns_answer_new(qname, qtype, statuses[(op >> 3) % DICT_N(statuses)]);
    if (a == NULL)
        return NULL;
    a->dnssec = (enum ink_dnssec)((op >> 6) & 3);
    n = take(b, &ex) % (RR_MAX + 1);
    for (i = 0; i < n && !ex; i++) {
        /* most records at the name asked, some elsewhere */
        owner = (take(b, &ex) & 7) == 0 ? name_dict[take(b, &ex) % DICT_N(name_dict)] : name;
        add_random_rr(a, owner, b, &ex);
    }
    return a;
}

/* A query handed out and not fed yet. */
struct pending {
    char name[QNAME_BUF];
    uint16_t type;
    uint32_t token;
};

/* run - drive kd's machine obj with answers from b */
static void run(const struct kind *kd, void *obj, struct bytes *b)
{
    struct ink_machine m = kd->machine(obj);
    struct pending pend[PENDING_MAX];
    size_t np = 0, steps = 0, i;
    uint32_t last_fed = 0;
    struct ink_query q;
    enum ink_next st;

    for (;;) {
        if (++steps > STEPS_MAX)
            die(kd->name, "no end within the step budget");
        st = ink_machine_next(m, &q);
        if (st == INK_NEXT_READY) {
            size_t n = strlen(q.name);
            if (n >= QNAME_BUF || np >= PENDING_MAX)
                die(kd->name, "a query name too long, or too many queries out");
            for (i = 0; i < np; i++)
                if (pend[i].token == q.token)
                    die(kd->name, "a token handed out twice");
            memcpy(pend[np].name, q.name, n + 1);
            pend[np].type = q.type;
            pend[np].token = q.token;
            np++;
            continue;
        }
        if (st != INK_NEXT_WAIT)
            break;
        if (np == 0)
            die(kd->name, "WAIT with no query out");
        {
            int ex = 0, stale;
            size_t pick = np > 1 ? take(b, &ex) % np : 0;
            struct pending p = pend[pick];
            struct ink_dns_answer *a;

            pend[pick] = pend[np - 1];
            np--;
            a = make_answer(p.name, p.type, b, &stale);
            /* a token fed before may be handed out again once answered */
            for (i = 0; i < np; i++)
                if (pend[i].token == last_fed)
                    last_fed = 0;
            if (p.token == last_fed)
                last_fed = 0;
            if (stale) {
                if (last_fed != 0 && ink_machine_feed(m, last_fed, a) != -1)
                    die(kd->name, "a stale token was taken");
                if (ink_machine_feed(m, TOKEN_NEVER, a) != -1)
                    die(kd->name, "an unknown token was taken");
            }
            if (ink_machine_feed(m, p.token, a) != 0)
                die(kd->name, "the answer to a query out was refused");
            if (ink_machine_feed(m, p.token, a) != -1)
                die(kd->name, "a token was taken twice");
            last_fed = p.token;
            ink_dns_answer_free(a);
        }
    }
    if (st != INK_NEXT_DONE)
        die(kd->name, ink_next_name(st));
    if (np != 0)
        die(kd->name, "DONE with queries out");
    if (ink_machine_next(m, &q) != INK_NEXT_DONE)
        die(kd->name, "DONE did not stay");
    kd->check(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct kind *kd;
    struct bytes b;
    void *obj;

    if (size < 2 || data[0] >= KIND_N) /* no kind has that byte (yet) */
        return 0;
    kd = &kinds[data[0]];
    if (kd->make == NULL) /* a hole in the table: a kind forgotten */
        die("kinds", "a byte value below KIND_N without a kind");
    obj = kd->make(data[1]);
    if (obj == NULL)
        return 0;
    b.p = data + 2;
    b.n = size - 2;
    run(kd, obj, &b);
    kd->release(obj);
    return 0;
}
