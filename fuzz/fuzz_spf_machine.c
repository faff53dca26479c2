/*
 * fuzz_spf_machine.c - libFuzzer target for SPF check_host() (ink_spf)
 * and the SPF lint (ink_spf_lint) as machines of the query protocol
 * (inkan/query.h), with every answer made up by the fuzz bytes.
 *
 * The first byte picks the machine and its parameters; then each query is
 * answered, from the bytes, with one of: NULL, an empty NOERROR, SERVFAIL,
 * an answer of the wrong type, one for a name not asked, NXDOMAIN, NODATA
 * or TIMEOUT, or records of the type asked (or another) - the TXT ones
 * either raw bytes or SPF records assembled from a dictionary of terms
 * that point back at the same few names, so includes, redirects, mx, ptr,
 * exists and %{p} chains form.  The lint's queries are answered in an
 * order the bytes choose.  When the bytes run out every answer is NULL.
 *
 * Promises checked (abort on a broken one): the machine ends within a
 * budget the RFC limits imply; check_host() has one query out at a time
 * (WAIT after READY until fed); a token is taken once, a stale or unknown
 * one refused (-1) without effect; DONE stays DONE and later answers are
 * refused; results are well formed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/dns.h"
#include "inkan/query.h"
#include "inkan/spf.h"
#include "inkan/spf_lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Queries one check_host() may ask: 10 lookup terms of 1 + 10 names
 * each, %{p} and its names, the records and exp= (with room). */
#define SPF_QUERIES_MAX 400
/* next() calls one lint may take. */
#define LINT_STEPS_MAX 100000
/* Records one made-up answer holds at most. */
#define RR_MAX 6
/* Terms one made-up SPF record holds at most. */
#define TERMS_MAX 8
/* Longest raw TXT string taken from the bytes. */
#define RAW_TXT_MAX 300
/* A token neither machine hands out in one run. */
#define TOKEN_NEVER 0xfffffff0u

/* die - a broken promise */
static void die(const char *what)
{
    fprintf(stderr, "fuzz_spf_machine: %s\n", what);
    abort();
}

/* ---- the fuzz bytes ---- */

struct bytes {
    const uint8_t *p;
    size_t n;
    int out; /* ran out */
};

/* take - the next byte, 0 once they ran out */
static uint8_t take(struct bytes *b)
{
    if (b->n == 0) {
        b->out = 1;
        return 0;
    }
    b->n--;
    return *b->p++;
}

#define DICT_N(a) (sizeof(a) / sizeof((a)[0]))

/* Names answers point at; terms below refer to them. */
static const char *const names[] = {
    "example.com", "a.example.com", "b.example.com", "mx.example.com",
    "h.example.com", "1.2.0.192.in-addr.arpa", "other.example", "t.example.com",
};

/* SPF terms a made-up record is built from. */
static const char *const terms[] = {
    "include:a.example.com", "include:b.example.com", "redirect=b.example.com",
    "redirect=a.example.com", "a", "a:h.example.com", "a/24//64", "mx", "mx:mx.example.com",
    "ptr", "ptr:example.com", "exists:%{i}.a.example.com", "exists:%{p}.b.example.com",
    "exists:%{l}.%{d}", "ip4:192.0.2.0/24", "ip6:2001:db8::/32", "-all", "~all", "?all",
    "+all", "exp=a.example.com", "exp=%{d}", "include:%{d}", "foo=bar", "-include:t.example.com",
    "a:%{p}", "%{i} may not send", "v=spf1",
};

/* A client address in 192.0.2.0/24 (the PTR name above) or 2001:db8::/32. */
static const uint8_t ip4[4] = {192, 0, 2, 1};
static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

/* Record types made-up answers use besides the one asked. */
static const uint16_t types[] = {
    INK_DNS_A, INK_DNS_AAAA, INK_DNS_MX, INK_DNS_TXT, INK_DNS_PTR, INK_DNS_CNAME, INK_DNS_SPF,
};

/* add_txt - a TXT (or SPF) record at owner: raw bytes or SPF terms */
static void add_txt(struct ink_dns_answer *a, const char *owner, uint16_t type, struct bytes *b)
{
    uint8_t raw[RAW_TXT_MAX];
    const uint8_t *strs[2];
    size_t lens[2], len = 0, n = 1, i;
    uint8_t pick = take(b);

    if (pick & 1) {
        size_t k = (size_t)(pick >> 1) % (TERMS_MAX + 1);

        memcpy(raw, "v=spf1", 6);
        len = 6;
        for (i = 0; i < k; i++) {
            const char *t = terms[take(b) % DICT_N(terms)];
            size_t tl = strlen(t);

            if (len + 1 + tl > sizeof(raw))
                break;
            raw[len++] = ' ';
            memcpy(raw + len, t, tl);
            len += tl;
        }
    } else {
        len = (size_t)take(b) % RAW_TXT_MAX;
        for (i = 0; i < len; i++)
            raw[i] = take(b);
    }
    /* one string, or two split where the bytes say */
    strs[0] = raw;
    lens[0] = len;
    if (len > INK_DNS_TXT_STRING_MAX || (pick & 0x80)) {
        size_t cut = len > INK_DNS_TXT_STRING_MAX ? INK_DNS_TXT_STRING_MAX
                                                  : (size_t)take(b) % (len + 1);
        lens[0] = cut;
        strs[1] = raw + cut;
        lens[1] = len - cut;
        n = 2;
    }
    (void)ink_dns_answer_add_txt(a, owner, type, take(b), n, strs, lens);
}

/* add_rr - one record of type at owner */
static void add_rr(struct ink_dns_answer *a, const char *owner, uint16_t type, struct bytes *b)
{
    uint8_t addr[16];
    size_t i;

    switch (type) {
    case INK_DNS_A:
    case INK_DNS_AAAA:
        /* mostly the client's own address, so mechanisms match */
        if (take(b) & 1) {
            memcpy(addr, type == INK_DNS_A ? ip4 : ip6, type == INK_DNS_A ? 4 : 16);
        } else {
            for (i = 0; i < sizeof(addr); i++)
                addr[i] = take(b);
        }
        (void)ink_dns_answer_add_addr(a, owner, take(b), addr, type == INK_DNS_A ? 4 : 16);
        break;
    case INK_DNS_MX:
        (void)ink_dns_answer_add_mx(a, owner, take(b), take(b), names[take(b) % DICT_N(names)]);
        break;
    case INK_DNS_TXT:
    case INK_DNS_SPF:
        add_txt(a, owner, type, b);
        break;
    default:
        (void)ink_dns_answer_add_name(a, owner, type, take(b), names[take(b) % DICT_N(names)]);
        break;
    }
}

/* make_answer - the answer the bytes choose for (name, type); NULL is one
 * of the choices.  *stale set: try a stale token before feeding it. */
static struct ink_dns_answer *make_answer(const char *name, uint16_t type, struct bytes *b,
                                          int *stale)
{
    static const enum ink_dns_status fails[] = {INK_DNS_NXDOMAIN, INK_DNS_NODATA,
                                                INK_DNS_TIMEOUT};
    uint8_t op = take(b);
    const char *qname = name;
    uint16_t qtype = type;
    struct ink_dns_answer *a;
    size_t n, i;

    *stale = (op & 0x80) != 0;
    if (b->out)
        return NULL; /* out of bytes: every query times out */
    switch (op % 8) {
    case 0:
        return NULL;
    case 1:
        return ink_dns_answer_new(name, type, INK_DNS_OK); /* empty */
    case 2:
        return ink_dns_answer_new(name, type, INK_DNS_SERVFAIL);
    case 3:
        qtype = types[take(b) % DICT_N(types)]; /* the wrong type (mostly) */
        break;
    case 4:
        qname = names[take(b) % DICT_N(names)]; /* another name (mostly) */
        break;
    case 5:
        return ink_dns_answer_new(name, type, fails[take(b) % DICT_N(fails)]);
    default:
        break;
    }
    a = ink_dns_answer_new(qname, qtype, INK_DNS_OK);
    if (a == NULL)
        return NULL;
    n = take(b) % (RR_MAX + 1);
    for (i = 0; i < n && !b->out; i++) {
        uint8_t how = take(b);
        /* mostly the type asked at the name asked; sometimes a CNAME chain
         * or a record of another type or elsewhere */
        uint16_t t = (how & 3) != 0 ? qtype : types[(how >> 2) % DICT_N(types)];
        const char *owner = (how & 0x60) == 0x60 ? names[take(b) % DICT_N(names)] : qname;

        add_rr(a, owner, t, b);
    }
    return a;
}

/* ---- check_host() ---- */

static void run_spf(struct bytes *b, uint8_t sel)
{
    struct ink_spf_params p;
    struct ink_spf *ev;
    struct ink_query q;
    enum ink_next st;
    size_t nq = 0;
    uint32_t last = 0;

    memset(&p, 0, sizeof(p));
    p.family = (sel & 2) ? 6 : 4;
    memcpy(p.ip, p.family == 4 ? ip4 : ip6, p.family == 4 ? 4 : 16);
    p.mail_from = (sel & 4) ? "" : (sel & 8) ? "first.last@a.example.com" : "x@example.com";
    p.helo = "h.example.com";
    p.receiver = "rcv.example";
    p.now = 1700000000;
    p.flags = (sel & 16) ? INK_SPF_EF_TREE : 0;
    ev = ink_spf_new(&p);
    if (ev == NULL)
        return;
    if (ink_spf_feed(ev, 1, NULL) != -1)
        die("spf: a feed before any query was taken");
    while ((st = ink_spf_next(ev, &q)) == INK_NEXT_READY) {
        struct ink_dns_answer *a;
        struct ink_query q2;
        int stale;

        if (++nq > SPF_QUERIES_MAX)
            die("spf: no end within the query budget");
        if (q.name == NULL || strlen(q.name) > INK_DNS_NAME_MAX + 1)
            die("spf: a query without a usable name");
        /* one at a time: nothing more until this one is fed */
        if (ink_spf_next(ev, &q2) != INK_NEXT_WAIT)
            die("spf: a second query while one is out");
        a = make_answer(q.name, q.type, b, &stale);
        if (stale && ink_spf_feed(ev, (sel & 32) ? last : TOKEN_NEVER, a) != -1)
            die("spf: a stale or unknown token was taken");
        if (ink_spf_feed(ev, q.token, a) != 0)
            die("spf: the token handed out was refused");
        if (ink_spf_feed(ev, q.token, a) != -1)
            die("spf: a token was taken twice");
        last = q.token;
        ink_dns_answer_free(a);
    }
    if (st != INK_NEXT_DONE)
        die("spf: next() neither READY nor DONE");
    if (ink_spf_next(ev, &q) != INK_NEXT_DONE || ink_spf_feed(ev, last, NULL) != -1)
        die("spf: DONE did not stay");
    if ((unsigned)ink_spf_result(ev) > INK_SPF_PERMERROR || ink_spf_reason(ev) == NULL)
        die("spf: no result or no reason");
    if ((ink_spf_explanation(ev) != NULL) != (ink_spf_result(ev) == INK_SPF_FAIL))
        die("spf: an explanation without fail, or a fail without one");
    if (ink_spf_queries(ev) != nq || ink_spf_dns_lookups(ev) > INK_SPF_DNS_LOOKUP_MAX + 1)
        die("spf: counters do not add up");
    ink_spf_free(ev);
}

/* ---- the lint ---- */

/* A lint query handed out and not fed yet. */
struct pending {
    char name[INK_DNS_NAME_MAX + 2];
    uint16_t type;
    uint32_t token;
};

static void run_lint(struct bytes *b, uint8_t sel)
{
    static struct pending pend[INK_SPF_LINT_QUERIES_MAX];
    struct ink_spf_lint *l;
    struct ink_query q;
    size_t np = 0, steps = 0, i;
    uint32_t fed_last = 0;
    enum ink_next st;

    if (sel & 2) {
        /* the root record from the bytes, as a TXT answer would carry it */
        struct ink_dns_answer *a = ink_dns_answer_new("example.com", INK_DNS_TXT, INK_DNS_OK);
        uint8_t *rec;
        size_t len;

        if (a == NULL)
            return;
        add_txt(a, "example.com", INK_DNS_TXT, b);
        rec = a->nrr > 0 ? ink_dns_rr_txt_join(&a->rr[0], &len) : NULL;
        l = rec != NULL ? ink_spf_lint_new_record((sel & 4) ? "example.com" : NULL, rec, len)
                        : NULL;
        free(rec);
        ink_dns_answer_free(a);
    } else {
        l = ink_spf_lint_new_domain("example.com");
    }
    if (l == NULL)
        return;
    for (;;) {
        if (++steps > LINT_STEPS_MAX)
            die("lint: no end within the step budget");
        st = ink_spf_lint_next(l, &q);
        if (st == INK_NEXT_READY) {
            size_t n = strlen(q.name);

            if (n >= sizeof(pend[0].name) || np >= DICT_N(pend))
                die("lint: a query name too long, or more queries than its limit");
            for (i = 0; i < np; i++)
                if (pend[i].token == q.token)
                    die("lint: a token handed out twice");
            memcpy(pend[np].name, q.name, n + 1);
            pend[np].type = q.type;
            pend[np].token = q.token;
            np++;
            continue;
        }
        if (st != INK_NEXT_WAIT)
            break;
        if (np == 0)
            die("lint: WAIT with nothing out");
        /* answer one of those out, the one the bytes pick */
        {
            size_t k = take(b) % np;
            int stale;
            struct ink_dns_answer *a = make_answer(pend[k].name, pend[k].type, b, &stale);

            if (stale && fed_last != 0 && ink_spf_lint_feed(l, fed_last, a) != -1)
                die("lint: a token answered already was taken again");
            if (stale && ink_spf_lint_feed(l, TOKEN_NEVER, a) != -1)
                die("lint: an unknown token was taken");
            if (ink_spf_lint_feed(l, pend[k].token, a) != 0)
                die("lint: a token out was refused");
            fed_last = pend[k].token;
            pend[k] = pend[--np];
            ink_dns_answer_free(a);
        }
    }
    if (st == INK_NEXT_DONE) {
        if (ink_spf_lint_next(l, &q) != INK_NEXT_DONE ||
            (fed_last != 0 && ink_spf_lint_feed(l, fed_last, NULL) != -1))
            die("lint: DONE did not stay");
        for (i = 0; i < ink_spf_lint_nfindings(l); i++) {
            const struct ink_finding *f = ink_spf_lint_finding(l, i);

            if (f == NULL || f->code == NULL || f->message == NULL || f->subject == NULL ||
                f->area == NULL || (unsigned)f->severity > INK_SEV_ERROR ||
                (f->fix == NULL) != (ink_spf_lint_finding_record(l, i) == NULL))
                die("lint: a malformed finding");
        }
    } else if (st != INK_NEXT_FAILED) {
        die("lint: next() returned no known step");
    }
    ink_spf_lint_free(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bytes b;
    uint8_t sel;

    b.p = data;
    b.n = size;
    b.out = 0;
    sel = take(&b);
    if (sel & 1)
        run_lint(&b, sel);
    else
        run_spf(&b, sel);
    return 0;
}
