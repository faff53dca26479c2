/*
 * spf_record.c - the SPF record model (RFC 7208 sections 4.5, 4.6, 5, 6
 * and 12): parse a record into terms with byte offsets, keep every
 * diagnostic with its column, and write terms back as text.
 *
 * A record is one allocation: the header, the term array and a copy of the
 * text, so that parsing a valid record costs one malloc and the evaluator
 * can keep a record for the life of a frame without re-parsing.  Only a
 * record with more than one error allocates again, for its diagnostics.
 */
#include "inkan/spf.h"
#include "spf_int.h"

#include <stdlib.h>
#include <string.h>

/* Longest mechanism or modifier name compared against the known ones. */
#define SPF_NAME_CMP_MAX 8

struct ink_spf_record {
    char *text;
    size_t len;
    struct ink_spf_term *terms;
    size_t nterms;
    size_t maxterms;
    struct ink_spf_diag *diags; /* &diag0, or a heap array once there is more than one */
    size_t ndiags;
    size_t maxdiags;            /* room in diags */
    size_t capdiags;            /* most diagnostics the record can produce */
    struct ink_spf_diag diag0;  /* the first diagnostic: a valid record (the
                                 * hot path) allocates nothing for them, and a
                                 * broken one always keeps its first error */
    long redirect; /* index of redirect=, or -1 */
    long exp;      /* index of exp=, or -1 */
};

static const struct {
    const char *name;
    enum ink_spf_kind kind;
} spf_mechs[] = {
    {"all", INK_SPF_T_ALL},   {"include", INK_SPF_T_INCLUDE}, {"a", INK_SPF_T_A},
    {"mx", INK_SPF_T_MX},     {"ptr", INK_SPF_T_PTR},         {"ip4", INK_SPF_T_IP4},
    {"ip6", INK_SPF_T_IP6},   {"exists", INK_SPF_T_EXISTS},
};

/* ink_spf_result_name - the lower-case result word */
const char *ink_spf_result_name(enum ink_spf_result r)
{
    switch (r) {
    case INK_SPF_NONE:
        return "none";
    case INK_SPF_NEUTRAL:
        return "neutral";
    case INK_SPF_PASS:
        return "pass";
    case INK_SPF_FAIL:
        return "fail";
    case INK_SPF_SOFTFAIL:
        return "softfail";
    case INK_SPF_TEMPERROR:
        return "temperror";
    case INK_SPF_PERMERROR:
    default:
        return "permerror";
    }
}

/* ci_eq - case-insensitive comparison of len bytes of s with the lower-case word w */
static int ci_eq(const char *s, size_t len, const char *w)
{
    size_t i;

    for (i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c += 'a' - 'A';
        if (w[i] == '\0' || c != w[i])
            return 0;
    }
    return w[len] == '\0';
}

/* ink_spf_result_from_name - parse a result word */
int ink_spf_result_from_name(const char *s, size_t len)
{
    int r;

    for (r = INK_SPF_NONE; r <= INK_SPF_PERMERROR; r++)
        if (ci_eq(s, len, ink_spf_result_name((enum ink_spf_result)r)))
            return r;
    return -1;
}

/* ink_spf_kind_name - name of a term kind */
const char *ink_spf_kind_name(enum ink_spf_kind k)
{
    size_t i;

    for (i = 0; i < sizeof(spf_mechs) / sizeof(spf_mechs[0]); i++)
        if (spf_mechs[i].kind == k)
            return spf_mechs[i].name;
    switch (k) {
    case INK_SPF_T_REDIRECT:
        return "redirect";
    case INK_SPF_T_EXP:
        return "exp";
    case INK_SPF_T_UNKNOWN_MOD:
        return "unknown-modifier";
    default:
        return "invalid";
    }
}

/* ink_spf_kind_is_mechanism - all..exists */
int ink_spf_kind_is_mechanism(enum ink_spf_kind k)
{
    return k >= INK_SPF_T_ALL && k <= INK_SPF_T_EXISTS;
}

/* ink_spf_kind_counts_lookup - terms counted against the 10-lookup limit */
int ink_spf_kind_counts_lookup(enum ink_spf_kind k)
{
    return k == INK_SPF_T_INCLUDE || k == INK_SPF_T_A || k == INK_SPF_T_MX ||
           k == INK_SPF_T_PTR || k == INK_SPF_T_EXISTS || k == INK_SPF_T_REDIRECT;
}

/* ink_spf_qualifier_char - the qualifier as written */
char ink_spf_qualifier_char(enum ink_spf_qualifier q)
{
    switch (q) {
    case INK_SPF_QUAL_FAIL:
        return '-';
    case INK_SPF_QUAL_SOFTFAIL:
        return '~';
    case INK_SPF_QUAL_NEUTRAL:
        return '?';
    case INK_SPF_QUAL_PASS:
    default:
        return '+';
    }
}

/* ink_spf_record_is_spf - "v=spf1" followed by SP or the end */
int ink_spf_record_is_spf(const uint8_t *buf, size_t len)
{
    return len >= 6 && ci_eq((const char *)buf, 6, "v=spf1") && (len == 6 || buf[6] == ' ');
}

/* txt_starts_spf - do the joined strings of a TXT record select as SPF;
 * done without joining: the version may straddle strings */
static int txt_starts_spf(const struct ink_dns_rr *rr)
{
    uint8_t head[7];
    size_t n = 0, total = 0, i, j;

    for (i = 0; i < rr->ntxt && n < sizeof(head); i++)
        for (j = 0; j < rr->txtlen[i] && n < sizeof(head); j++)
            head[n++] = rr->txt[i][j];
    for (i = 0; i < rr->ntxt; i++)
        total += rr->txtlen[i];
    return ink_spf_record_is_spf(head, total < n ? total : n);
}

/* ink_spf_record_select - count the SPF records among TXT records */
size_t ink_spf_record_select(const struct ink_dns_answer *answer, size_t *first)
{
    size_t i, n = 0;

    if (answer == NULL || answer->status != INK_DNS_OK)
        return 0;
    for (i = 0; i < answer->nrr; i++) {
        if (answer->rr[i].type != INK_DNS_TXT || !txt_starts_spf(&answer->rr[i]))
            continue;
        if (n++ == 0 && first != NULL)
            *first = i;
    }
    return n;
}

/* add_diag - record a diagnostic.  The first lives in the record; more
 * grow a heap array (on ENOMEM the extra ones are dropped: the record
 * still carries its first error, so it is never taken as valid). */
static void add_diag(struct ink_spf_record *r, enum ink_spf_error code, size_t off, size_t len,
                     const char *reason)
{
    struct ink_spf_diag *d;

    if (r->ndiags >= r->maxdiags) {
        size_t n = r->maxdiags * 4;
        struct ink_spf_diag *nd;
        if (r->maxdiags >= r->capdiags)
            return;
        if (n > r->capdiags)
            n = r->capdiags;
        nd = malloc(n * sizeof(*nd));
        if (nd == NULL)
            return;
        memcpy(nd, r->diags, r->ndiags * sizeof(*nd));
        if (r->diags != &r->diag0)
            free(r->diags);
        r->diags = nd;
        r->maxdiags = n;
    }
    d = &r->diags[r->ndiags++];
    d->code = code;
    d->off = off;
    d->len = len;
    d->reason = reason;
}

/* is_alpha, is_digit, is_alnum - ASCII classes */
static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}
static int is_alnum(int c)
{
    return is_alpha(c) || is_digit(c);
}

/* spf_toplabel_ok - RFC 7208 toplabel: alphanumerics with at least one
 * letter, or alphanumerics and dashes, not starting or ending with a dash */
int spf_toplabel_ok(const char *p, size_t len)
{
    size_t i;
    int alpha = 0, dash = 0;

    if (len == 0 || p[0] == '-' || p[len - 1] == '-')
        return 0;
    for (i = 0; i < len; i++) {
        int c = (unsigned char)p[i];
        if (c == '-')
            dash = 1;
        else if (is_alpha(c))
            alpha = 1;
        else if (!is_digit(c))
            return 0;
    }
    return alpha || dash;
}

/*
 * check_domain_spec - domain-spec = macro-string domain-end, where
 * domain-end = "." toplabel ["."] / macro-expand.  Sets term flags; adds a
 * diagnostic and returns -1 when malformed.
 */
static int check_domain_spec(struct ink_spf_record *r, struct ink_spf_term *t, size_t off,
                             size_t len)
{
    const char *p = r->text + off;
    struct ink_spf_diag err;
    unsigned fl = 0;
    int ends_macro = 0;
    size_t end, dot;

    if (len == 0) {
        add_diag(r, INK_SPF_E_DOMAIN, off, 0, "empty domain-spec");
        return -1;
    }
    /* Fast path: no '%' means no macro, and parse_term has already checked
     * that every byte is visible ASCII (a macro-literal). */
    if (memchr(p, '%', len) != NULL &&
        spf_macro_check_domain(p, len, &fl, &ends_macro, &err) < 0) {
        add_diag(r, INK_SPF_E_MACRO, off + err.off, err.len, err.reason);
        return -1;
    }
    t->flags |= fl;
    if (ends_macro)
        return 0;
    end = len;
    if (p[end - 1] == '.')
        end--;
    for (dot = end; dot > 0 && p[dot - 1] != '.' && p[dot - 1] != '%' && p[dot - 1] != '}';
         dot--)
        ;
    if (dot == 0 || p[dot - 1] != '.' || !spf_toplabel_ok(p + dot, end - dot)) {
        add_diag(r, INK_SPF_E_DOMAIN, off, len,
                 "domain-spec must end with a dot and a valid top label, or a macro");
        return -1;
    }
    return 0;
}

/* parse_cidr - "/" digits with no leading zero, value <= max; the digits
 * are p[0..len); -1 when malformed */
static int parse_cidr(const char *p, size_t len, unsigned max)
{
    unsigned v = 0;
    size_t i;

    if (len == 0 || len > 3 || (len > 1 && p[0] == '0'))
        return -1;
    for (i = 0; i < len; i++) {
        if (!is_digit((unsigned char)p[i]))
            return -1;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    return v > max ? -1 : (int)v;
}

/* parse_ip4_network - strict dotted quad (RFC 7208 ip4-network / qnum) */
static int parse_ip4_network(const char *p, size_t len, uint8_t out[4])
{
    size_t i = 0;
    int part;

    for (part = 0; part < 4; part++) {
        unsigned v = 0;
        size_t nd = 0;
        if (part > 0) {
            if (i >= len || p[i] != '.')
                return -1;
            i++;
        }
        while (i < len && is_digit((unsigned char)p[i]) && nd < 4) {
            v = v * 10 + (unsigned)(p[i] - '0');
            nd++;
            i++;
        }
        if (nd == 0 || nd > 3 || v > 255 || (nd > 1 && p[i - nd] == '0'))
            return -1;
        out[part] = (uint8_t)v;
    }
    return i == len ? 0 : -1;
}

/*
 * strip_dual_cidr - for a/mx: take "/n" and "//m" off the end of the
 * argument [off, *end).  Returns -1 (with a diagnostic) when a prefix
 * length is malformed.
 */
static int strip_dual_cidr(struct ink_spf_record *r, struct ink_spf_term *t, size_t off,
                           size_t *end)
{
    const char *s = r->text;
    size_t e = *end, d;
    int v;

    /* "//m" */
    for (d = e; d > off && is_digit((unsigned char)s[d - 1]); d--)
        ;
    if (d >= off + 2 && s[d - 1] == '/' && s[d - 2] == '/') {
        v = parse_cidr(s + d, e - d, 128);
        if (v < 0) {
            add_diag(r, INK_SPF_E_CIDR, d - 2, e - d + 2, "bad IPv6 prefix length");
            return -1;
        }
        t->cidr6 = (uint8_t)v;
        t->flags |= INK_SPF_TF_CIDR6;
        e = d - 2;
        for (d = e; d > off && is_digit((unsigned char)s[d - 1]); d--)
            ;
    }
    /* "/n" */
    if (d > off && s[d - 1] == '/' && (d - 1 == off || s[d - 2] != '/')) {
        v = parse_cidr(s + d, e - d, 32);
        if (v < 0) {
            add_diag(r, INK_SPF_E_CIDR, d - 1, e - d + 1, "bad IPv4 prefix length");
            return -1;
        }
        t->cidr4 = (uint8_t)v;
        t->flags |= INK_SPF_TF_CIDR4;
        e = d - 1;
    }
    if (e > off && s[e - 1] == '/') {
        add_diag(r, INK_SPF_E_CIDR, e - 1, *end - e + 1, "bad prefix length");
        return -1;
    }
    *end = e;
    return 0;
}

/* domain_arg - [off, end) of the record, the domain-spec after a
 * mechanism's ':', as t's argument; checked as check_domain_spec does */
static int domain_arg(struct ink_spf_record *r, struct ink_spf_term *t, size_t off, size_t end)
{
    t->arg.p = r->text + off;
    t->arg.off = off;
    t->arg.len = end - off;
    t->flags |= INK_SPF_TF_DOMAIN;
    return check_domain_spec(r, t, off, end - off);
}

/* parse_mechanism - the part after the qualifier and name: [off, end) */
static int parse_mechanism(struct ink_spf_record *r, struct ink_spf_term *t, size_t off,
                           size_t end)
{
    const char *s = r->text;
    size_t slash, e = end;
    int v, fam;

    switch (t->kind) {
    case INK_SPF_T_ALL:
        if (off != end) {
            add_diag(r, INK_SPF_E_SYNTAX, off, end - off, "'all' takes no argument");
            return -1;
        }
        return 0;
    case INK_SPF_T_INCLUDE:
    case INK_SPF_T_EXISTS:
    case INK_SPF_T_PTR:
        if (off == end) {
            if (t->kind == INK_SPF_T_PTR)
                return 0;
            add_diag(r, INK_SPF_E_SYNTAX, off, 0, "missing ':' and domain-spec");
            return -1;
        }
        if (s[off] != ':') {
            add_diag(r, INK_SPF_E_SYNTAX, off, end - off, "expected ':' and a domain-spec");
            return -1;
        }
        return domain_arg(r, t, off + 1, end);
    case INK_SPF_T_A:
    case INK_SPF_T_MX:
        if (strip_dual_cidr(r, t, off, &e) < 0)
            return -1;
        if (off == e)
            return 0;
        if (s[off] != ':') {
            add_diag(r, INK_SPF_E_SYNTAX, off, end - off,
                     "expected ':' and a domain-spec, or a prefix length");
            return -1;
        }
        return domain_arg(r, t, off + 1, e);
    case INK_SPF_T_IP4:
    case INK_SPF_T_IP6:
        if (off == end || s[off] != ':') {
            add_diag(r, INK_SPF_E_SYNTAX, off, end - off, "expected ':' and an address");
            return -1;
        }
        off++;
        for (slash = off; slash < end && s[slash] != '/'; slash++)
            ;
        t->arg.p = s + off;
        t->arg.off = off;
        t->arg.len = slash - off;
        t->flags |= INK_SPF_TF_DOMAIN;
        if (t->kind == INK_SPF_T_IP4) {
            if (parse_ip4_network(s + off, slash - off, t->addr) < 0) {
                add_diag(r, INK_SPF_E_ADDR, off, slash - off, "bad IPv4 network");
                return -1;
            }
        } else {
            uint8_t tmp[16];
            size_t i;
            for (i = off; i < slash; i++)
                if (!is_alnum((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
                    break;
            if (i < slash || ink_ip_parse(s + off, slash - off, &fam, tmp) < 0 || fam != 6) {
                add_diag(r, INK_SPF_E_ADDR, off, slash - off, "bad IPv6 network");
                return -1;
            }
            memcpy(t->addr, tmp, 16);
        }
        if (slash < end) {
            unsigned max = t->kind == INK_SPF_T_IP4 ? 32 : 128;
            v = parse_cidr(s + slash + 1, end - slash - 1, max);
            if (v < 0) {
                add_diag(r, INK_SPF_E_CIDR, slash, end - slash,
                         t->kind == INK_SPF_T_IP4 ? "bad IPv4 prefix length"
                                                  : "bad IPv6 prefix length");
                return -1;
            }
            if (t->kind == INK_SPF_T_IP4) {
                t->cidr4 = (uint8_t)v;
                t->flags |= INK_SPF_TF_CIDR4;
            } else {
                t->cidr6 = (uint8_t)v;
                t->flags |= INK_SPF_TF_CIDR6;
            }
        }
        return 0;
    default:
        return -1;
    }
}

/* parse_term - one space-delimited term at [s, e) */
static void parse_term(struct ink_spf_record *r, size_t s, size_t e)
{
    const char *p = r->text;
    struct ink_spf_term *t;
    size_t i = s, ns, j;

    if (r->nterms >= r->maxterms)
        return;
    t = &r->terms[r->nterms++];
    memset(t, 0, sizeof(*t));
    t->text.p = p + s;
    t->text.off = s;
    t->text.len = e - s;
    t->cidr4 = 32;
    t->cidr6 = 128;
    for (j = s; j < e; j++) {
        unsigned char c = (unsigned char)p[j];
        if (c < 0x21 || c > 0x7e) {
            add_diag(r, INK_SPF_E_BAD_BYTE, j, 1, "non-ASCII or control byte");
            return;
        }
    }
    switch (p[i]) {
    case '+':
        t->qual = INK_SPF_QUAL_PASS;
        break;
    case '-':
        t->qual = INK_SPF_QUAL_FAIL;
        break;
    case '~':
        t->qual = INK_SPF_QUAL_SOFTFAIL;
        break;
    case '?':
        t->qual = INK_SPF_QUAL_NEUTRAL;
        break;
    default:
        break;
    }
    if (p[i] == '+' || p[i] == '-' || p[i] == '~' || p[i] == '?') {
        t->flags |= INK_SPF_TF_QUALIFIED;
        i++;
    }
    ns = i;
    if (i < e && is_alpha((unsigned char)p[i])) {
        i++;
        while (i < e && (is_alnum((unsigned char)p[i]) || p[i] == '-' || p[i] == '_' ||
                         p[i] == '.'))
            i++;
    }
    t->name.p = p + ns;
    t->name.off = ns;
    t->name.len = i - ns;
    if (i == ns) {
        add_diag(r, INK_SPF_E_UNKNOWN, s, e - s, "term does not start with a name");
        return;
    }
    if (i < e && p[i] == '=') {
        /* a modifier */
        size_t vo = i + 1;
        if (t->flags & INK_SPF_TF_QUALIFIED) {
            add_diag(r, INK_SPF_E_MODIFIER, s, 1, "a modifier takes no qualifier");
            return;
        }
        t->arg.p = p + vo;
        t->arg.off = vo;
        t->arg.len = e - vo;
        t->flags |= INK_SPF_TF_DOMAIN;
        if (ci_eq(p + ns, i - ns, "redirect") || ci_eq(p + ns, i - ns, "exp")) {
            int redir = p[ns] == 'r' || p[ns] == 'R';
            long *slot = redir ? &r->redirect : &r->exp;
            t->kind = redir ? INK_SPF_T_REDIRECT : INK_SPF_T_EXP;
            if (*slot >= 0) {
                add_diag(r, INK_SPF_E_DUPLICATE, s, e - s,
                         redir ? "redirect= given more than once" : "exp= given more than once");
                t->kind = INK_SPF_T_INVALID;
                return;
            }
            if (check_domain_spec(r, t, vo, e - vo) < 0) {
                t->kind = INK_SPF_T_INVALID;
                return;
            }
            *slot = (long)(r->nterms - 1);
            return;
        }
        {
            struct ink_spf_diag err;
            unsigned fl = 0;
            t->kind = INK_SPF_T_UNKNOWN_MOD;
            if (ink_spf_macro_check(p + vo, e - vo, &fl, &err) < 0) {
                add_diag(r, INK_SPF_E_MACRO, vo + err.off, err.len, err.reason);
                t->kind = INK_SPF_T_INVALID;
                return;
            }
            t->flags |= fl;
        }
        return;
    }
    if (i - ns <= SPF_NAME_CMP_MAX) {
        for (j = 0; j < sizeof(spf_mechs) / sizeof(spf_mechs[0]); j++)
            if (ci_eq(p + ns, i - ns, spf_mechs[j].name)) {
                t->kind = spf_mechs[j].kind;
                break;
            }
    }
    if (t->kind == INK_SPF_T_INVALID) {
        add_diag(r, INK_SPF_E_UNKNOWN, ns, e - ns, "unknown mechanism");
        return;
    }
    if (parse_mechanism(r, t, i, e) < 0)
        t->kind = INK_SPF_T_INVALID;
}

/* ink_spf_record_parse - parse one record into terms and diagnostics */
struct ink_spf_record *ink_spf_record_parse(const uint8_t *buf, size_t len)
{
    struct ink_spf_record *r;
    size_t ntok = 0, i, s, size, tlen = len;
    int too_long = 0;

    if (tlen > INK_SPF_RECORD_MAX) {
        tlen = 0; /* keep nothing of a runaway record but the diagnostic */
        too_long = 1;
    }
    for (i = 0; i < tlen; i++)
        if (buf[i] != ' ' && (i == 0 || buf[i - 1] == ' '))
            ntok++;
    if (ntok > INK_SPF_TERMS_MAX + 1) {
        too_long = 1;
        tlen = 0;
        ntok = 0;
    }
    /* ntok - 1 terms (the version is not one) and the text, in one block;
     * at most one diagnostic per term plus the version's, plus "too long" */
    size = sizeof(*r) + ntok * sizeof(struct ink_spf_term) + tlen + 1;
    r = malloc(size);
    if (r == NULL)
        return NULL;
    memset(r, 0, sizeof(*r));
    r->terms = (struct ink_spf_term *)(r + 1);
    r->maxterms = ntok;
    r->diags = &r->diag0;
    r->maxdiags = 1;
    r->capdiags = ntok + 2;
    r->text = (char *)(r->terms + ntok);
    memcpy(r->text, buf, tlen);
    r->text[tlen] = '\0';
    r->len = tlen;
    r->redirect = r->exp = -1;
    if (too_long) {
        add_diag(r, INK_SPF_E_TOO_LONG, 0, 0, "record too long or too many terms");
        return r;
    }
    /* version */
    for (i = 0; i < tlen && buf[i] != ' '; i++)
        ;
    if (!(i == 6 && ci_eq(r->text, 6, "v=spf1")))
        add_diag(r, INK_SPF_E_VERSION, 0, i, "record does not start with \"v=spf1\"");
    while (i < tlen) {
        while (i < tlen && buf[i] == ' ')
            i++;
        if (i >= tlen)
            break;
        s = i;
        while (i < tlen && buf[i] != ' ')
            i++;
        parse_term(r, s, i);
    }
    return r;
}

/* ink_spf_record_free - release a record */
void ink_spf_record_free(struct ink_spf_record *r)
{
    if (r == NULL)
        return;
    if (r->diags != &r->diag0)
        free(r->diags);
    free(r);
}

/* accessors */
const char *ink_spf_record_text(const struct ink_spf_record *r, size_t *len)
{
    if (len != NULL)
        *len = r->len;
    return r->text;
}

size_t ink_spf_record_nterms(const struct ink_spf_record *r)
{
    return r->nterms;
}

const struct ink_spf_term *ink_spf_record_term(const struct ink_spf_record *r, size_t i)
{
    return i < r->nterms ? &r->terms[i] : NULL;
}

size_t ink_spf_record_nerrors(const struct ink_spf_record *r)
{
    return r->ndiags;
}

const struct ink_spf_diag *ink_spf_record_error(const struct ink_spf_record *r, size_t i)
{
    return i < r->ndiags ? &r->diags[i] : NULL;
}

const struct ink_spf_term *ink_spf_record_redirect(const struct ink_spf_record *r)
{
    return r->redirect >= 0 ? &r->terms[r->redirect] : NULL;
}

const struct ink_spf_term *ink_spf_record_exp(const struct ink_spf_record *r)
{
    return r->exp >= 0 ? &r->terms[r->exp] : NULL;
}

/* ink_spf_term_format - one term in canonical form */
int ink_spf_term_format(const struct ink_spf_term *t, struct ink_str *out)
{
    char ip[64];
    int rc = 0;

    if (t->kind == INK_SPF_T_INVALID)
        return ink_str_append(out, t->text.p, t->text.len);
    if (t->kind == INK_SPF_T_UNKNOWN_MOD) {
        rc |= ink_str_append(out, t->name.p, t->name.len);
        rc |= ink_str_putc(out, '=');
        rc |= ink_str_append(out, t->arg.p, t->arg.len);
        return rc < 0 ? -1 : 0;
    }
    if (ink_spf_kind_is_mechanism(t->kind) && (t->flags & INK_SPF_TF_QUALIFIED))
        rc |= ink_str_putc(out, ink_spf_qualifier_char(t->qual));
    rc |= ink_str_puts(out, ink_spf_kind_name(t->kind));
    switch (t->kind) {
    case INK_SPF_T_REDIRECT:
    case INK_SPF_T_EXP:
        rc |= ink_str_putc(out, '=');
        rc |= ink_str_append(out, t->arg.p, t->arg.len);
        break;
    case INK_SPF_T_IP4:
    case INK_SPF_T_IP6:
        rc |= ink_str_putc(out, ':');
        rc |= ink_str_puts(out, ink_ip_format(t->kind == INK_SPF_T_IP4 ? 4 : 6, t->addr, ip,
                                              sizeof(ip)));
        if (t->kind == INK_SPF_T_IP4 && (t->flags & INK_SPF_TF_CIDR4))
            rc |= ink_str_printf(out, "/%u", t->cidr4);
        if (t->kind == INK_SPF_T_IP6 && (t->flags & INK_SPF_TF_CIDR6))
            rc |= ink_str_printf(out, "/%u", t->cidr6);
        break;
    default:
        if (t->arg.len > 0) {
            rc |= ink_str_putc(out, ':');
            rc |= ink_str_append(out, t->arg.p, t->arg.len);
        }
        if (t->kind == INK_SPF_T_A || t->kind == INK_SPF_T_MX) {
            if (t->flags & INK_SPF_TF_CIDR4)
                rc |= ink_str_printf(out, "/%u", t->cidr4);
            if (t->flags & INK_SPF_TF_CIDR6)
                rc |= ink_str_printf(out, "//%u", t->cidr6);
        }
        break;
    }
    return rc < 0 ? -1 : 0;
}

/* ink_spf_record_format - "v=spf1" and the terms */
int ink_spf_record_format(const struct ink_spf_record *r, struct ink_str *out)
{
    size_t i;

    if (ink_str_puts(out, "v=spf1") < 0)
        return -1;
    for (i = 0; i < r->nterms; i++) {
        if (r->terms[i].kind == INK_SPF_T_INVALID)
            continue;
        if (ink_str_putc(out, ' ') < 0 || ink_spf_term_format(&r->terms[i], out) < 0)
            return -1;
    }
    return 0;
}
