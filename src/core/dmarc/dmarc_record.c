/*
 * dmarc_record.c - DMARC policy records (RFC 9989 section 4.7/4.8, and
 * RFC 7489's obsolete pct/rf/ri): the tag-value parser with byte-offset
 * diagnostics, reporting-URI parsing (mailto: with the obsolete "!size"
 * suffix, and any other scheme's authority host), advice lint, and the
 * serializer used by provisioning and by `inkan check` fixes.
 *
 * The parser never reads past len and never needs a NUL.  Per RFC 9989
 * 4.8, a syntax error in a tag leaves that tag at its default; only a
 * missing or wrong v=DMARC1 first tag makes the text "not DMARC".
 */
#include "inkan/dmarc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Longest piece of untrusted text quoted in a diagnostic. */
#define DIAG_QUOTE_MAX 64
/* Largest obsolete URI size accepted before it is called malformed. */
#define URI_SIZE_DIGITS_MAX 12
/* Longest rf value kept. */
#define RF_MAX 64
/* Largest ri accepted (seconds; a year is more than anyone asks for). */
#define RI_MAX 31536000L

/* The byte cursor the parser walks; err sticks once set. */
struct cursor {
    const uint8_t *buf;
    size_t len;
    size_t off;
    int err;
};

/* is_wsp - whitespace allowed around tags and separators (WSP, and the
 * CR/LF of folded TXT strings some zone editors leave in) */
static int is_wsp(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_alpha(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static void skip_wsp(struct cursor *c)
{
    while (c->off < c->len && is_wsp(c->buf[c->off]))
        c->off++;
}

/* lower - ASCII lower-case */
static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

/* ieq - case-insensitive compare of a slice with a C string */
static int ieq(const uint8_t *p, size_t n, const char *s)
{
    size_t i;

    if (strlen(s) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (lower(p[i]) != (uint8_t)s[i])
            return 0;
    return 1;
}

/* quote - a fresh printable, shortened copy of untrusted bytes for a
 * message (caller frees); NULL on ENOMEM */
static char *quote(const uint8_t *p, size_t n)
{
    struct ink_str s = INK_STR_INIT;

    if (ink_str_put_printable(&s, p, n, DIAG_QUOTE_MAX) < 0) {
        ink_str_free(&s);
        return NULL;
    }
    return ink_str_steal(&s);
}

/* Every diagnostic code add_diag() accepts: the list is the contract (a
 * test makes each of them appear). */
const char *const ink_dmarc_codes[] = {
    "bad-char", "bad-fo", "bad-mailto", "bad-policy", "bad-uri", "bad-value", "duplicate-tag",
    "duplicate-uri", "empty-tag", "empty-uri", "empty-value", "fo-without-ruf", "missing-p",
    "no-policy", "no-rua", "not-dmarc", "np-weaker", "obsolete-tag", "obsolete-uri-size",
    "pct-partial", "policy-none", "policy-quarantine", "sp-weaker", "strict-alignment",
    "syntax", "tag-case", "test-mode", "too-long", "too-many-tags", "too-many-uris",
    "unknown-tag", "uri-no-scheme", "uri-scheme", NULL,
};

/* known_code - whether code is listed in ink_dmarc_codes */
static int known_code(const char *code)
{
    size_t i;

    for (i = 0; ink_dmarc_codes[i] != NULL; i++)
        if (strcmp(ink_dmarc_codes[i], code) == 0)
            return 1;
    return 0;
}

/* add_diag - record a diagnostic at byte off (-1: the whole record); the
 * message is formatted here.  Silently drops it when the list is full or
 * memory runs out (counts still move so the severity totals stay right). */
static void add_diag(struct ink_dmarc_record *r, enum ink_severity sev, const char *code, long off,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add_diag(struct ink_dmarc_record *r, enum ink_severity sev, const char *code, long off,
                     const char *fmt, ...)
{
    struct ink_str s = INK_STR_INIT;
    struct ink_finding *f;
    va_list ap;

    assert(known_code(code));
    if (sev == INK_SEV_ERROR)
        r->nerrors++;
    else if (sev == INK_SEV_WARNING)
        r->nwarnings++;
    if (r->ndiag >= INK_DMARC_DIAGS_MAX)
        return;
    va_start(ap, fmt);
    if (ink_str_vprintf(&s, fmt, ap) < 0) {
        va_end(ap);
        ink_str_free(&s);
        return;
    }
    va_end(ap);
    f = &r->diag[r->ndiag];
    memset(f, 0, sizeof(*f));
    f->severity = sev;
    f->area = "dmarc";
    f->code = code;
    f->offset = off;
    f->message = ink_str_steal(&s);
    if (f->message != NULL)
        r->ndiag++;
}

/* ink_dmarc_record_new - empty record; caller owns */
struct ink_dmarc_record *ink_dmarc_record_new(void)
{
    struct ink_dmarc_record *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->is_dmarc = 1;
    r->pct = -1;
    r->ri = -1;
    return r;
}

static void uri_clear(struct ink_dmarc_uri *u)
{
    free(u->uri);
    free(u->scheme);
    free(u->address);
    free(u->host);
    memset(u, 0, sizeof(*u));
}

/* ink_dmarc_record_free - release a record and everything it owns */
void ink_dmarc_record_free(struct ink_dmarc_record *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->nrua; i++)
        uri_clear(&r->rua[i]);
    for (i = 0; i < r->nruf; i++)
        uri_clear(&r->ruf[i]);
    for (i = 0; i < r->ndiag; i++)
        ink_finding_clear(&r->diag[i]);
    free(r->rf);
    free(r);
}

/* ---- reporting URIs ---- */

/* is_uri_char - bytes RFC 3986 allows in a URI (unreserved, reserved,
 * '%'), minus ',' and '!' which DMARC requires to be percent-encoded */
static int is_uri_char(uint8_t c)
{
    if (is_alpha(c) || is_digit(c))
        return 1;
    return strchr("-._~:/?#[]@$&'()*+;=%", c) != NULL && c != '\0';
}

/* host_norm - normalise a host name slice into a fresh lower-case string;
 * NULL if it is not a valid domain name (or ENOMEM) */
static char *host_norm(const uint8_t *p, size_t n)
{
    char tmp[INK_DNS_NAME_MAX + 2];
    int len;
    size_t i;

    if (n == 0 || n > INK_DNS_NAME_MAX + 1)
        return NULL;
    for (i = 0; i < n; i++)
        if (!(is_alpha(p[i]) || is_digit(p[i]) || p[i] == '-' || p[i] == '.' || p[i] == '_'))
            return NULL;
    len = ink_dns_name_normalize((const char *)p, n, tmp, sizeof(tmp));
    if (len <= 0)
        return NULL;
    return ink_memdup_cstr(tmp, (size_t)len);
}

/*
 * parse_uri - parse one URI (n bytes at p, at offset off of the record)
 * into u.  Returns 0, or -1 with a diagnostic added (error) when it is
 * malformed.  A well-formed URI may still get warnings/infos.
 */
static int parse_uri(struct ink_dmarc_record *r, const uint8_t *p, size_t n, size_t off,
                     const char *tag, struct ink_dmarc_uri *u)
{
    size_t i, end = n, colon = 0, bang = n;
    char *q;

    memset(u, 0, sizeof(*u));
    u->off = off;
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    if (n == 0 || !is_alpha(p[0]))
        goto no_scheme;
    for (i = 1; i < n; i++) {
        if (p[i] == ':') {
            colon = i;
            break;
        }
        if (!(is_alpha(p[i]) || is_digit(p[i]) || p[i] == '+' || p[i] == '-' || p[i] == '.'))
            goto no_scheme;
    }
    if (colon == 0)
        goto no_scheme;
    /* the obsolete size suffix: "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] at the end */
    for (i = colon + 1; i < n; i++)
        if (p[i] == '!') {
            bang = i;
            break;
        }
    if (bang < n) {
        uint64_t v = 0, mult = 1;
        size_t j = bang + 1, digits = 0;

        while (j < n && is_digit(p[j]) && digits < URI_SIZE_DIGITS_MAX) {
            v = v * 10 + (uint64_t)(p[j] - '0');
            j++;
            digits++;
        }
        if (j < n) {
            switch (lower(p[j])) {
            case 'k': mult = 1024ULL; j++; break;
            case 'm': mult = 1024ULL * 1024; j++; break;
            case 'g': mult = 1024ULL * 1024 * 1024; j++; break;
            case 't': mult = 1024ULL * 1024 * 1024 * 1024; j++; break;
            default: break;
            }
        }
        if (digits == 0 || j != n) {
            q = quote(p, n);
            add_diag(r, INK_SEV_ERROR, "bad-uri", off + bang,
                     "%s URI '%s': '!' must be followed by a size (digits and an optional "
                     "k, m, g or t) at the end, or be written %%21",
                     tag, q ? q : "");
            free(q);
            return -1;
        }
        u->has_size = 1;
        u->max_size = v * mult;
        end = bang;
        add_diag(r, INK_SEV_INFO, "obsolete-uri-size", off + bang,
                 "%s: the '!size' suffix is obsolete (RFC 9989) and ignored by receivers", tag);
    }
    for (i = 0; i < end; i++)
        if (!is_uri_char(p[i])) {
            q = quote(p, end);
            add_diag(r, INK_SEV_ERROR, "bad-uri", off + i,
                     "%s URI '%s' holds a character not allowed in a URI at byte %zu "
                     "(spaces, commas and '!' must be percent-encoded)",
                     tag, q ? q : "", off + i);
            free(q);
            return -1;
        }
    u->uri = ink_memdup_cstr(p, end);
    u->scheme = ink_memdup_cstr(p, colon);
    if (u->uri == NULL || u->scheme == NULL)
        goto nomem;
    for (q = u->scheme; *q; q++)
        *q = (char)lower((uint8_t)*q);
    if (strcmp(u->scheme, "mailto") == 0) {
        size_t a = colon + 1, e = a, at = 0;

        while (e < end && p[e] != '?')
            e++;
        for (i = a; i < e; i++)
            if (p[i] == '@')
                at = i;
        if (at == 0 || at == a || at + 1 >= e) {
            q = quote(p, end);
            add_diag(r, INK_SEV_ERROR, "bad-mailto", off + a,
                     "%s URI '%s' is not mailto:LOCAL@DOMAIN", tag, q ? q : "");
            free(q);
            goto bad;
        }
        u->address = ink_memdup_cstr(p + a, e - a);
        u->host = host_norm(p + at + 1, e - at - 1);
        if (u->address == NULL)
            goto nomem;
        if (u->host == NULL) {
            q = quote(p + at + 1, e - at - 1);
            add_diag(r, INK_SEV_ERROR, "bad-mailto", off + at + 1,
                     "%s URI: '%s' is not a valid mail domain", tag, q ? q : "");
            free(q);
            goto bad;
        }
    } else {
        size_t a = colon + 1, e;

        add_diag(r, INK_SEV_INFO, "uri-scheme", off,
                 "%s: receivers are only required to support mailto: URIs, not %s:", tag,
                 u->scheme);
        if (a + 1 < end && p[a] == '/' && p[a + 1] == '/') {
            size_t h;

            a += 2;
            e = a;
            while (e < end && p[e] != '/' && p[e] != '?' && p[e] != '#')
                e++;
            for (h = e; h > a; h--)
                if (p[h - 1] == '@')
                    break;
            if (h > a)
                a = h;
            if (a < e && p[a] == '[') {
                u->host = NULL; /* an IP literal: no domain to authorize */
            } else {
                h = a;
                while (h < e && p[h] != ':')
                    h++;
                u->host = host_norm(p + a, h - a);
            }
        }
    }
    return 0;

no_scheme:
    q = quote(p, n);
    if (memchr(p, '@', n) != NULL)
        add_diag(r, INK_SEV_ERROR, "uri-no-scheme", off,
                 "%s entry '%s' is not a URI: write it as mailto:%s", tag, q ? q : "",
                 q ? q : "");
    else
        add_diag(r, INK_SEV_ERROR, "bad-uri", off, "%s entry '%s' is not a URI", tag,
                 q ? q : "");
    free(q);
    return -1;
bad:
    uri_clear(u);
    return -1;
nomem:
    uri_clear(u);
    return -1;
}

/* parse_urilist - a comma-separated list of URIs into list/count */
static void parse_urilist(struct ink_dmarc_record *r, const struct cursor *v, const char *tag,
                          struct ink_dmarc_uri *list, size_t *count)
{
    size_t i = 0, j, k, s, e;

    while (i <= v->len) {
        j = i;
        while (j < v->len && v->buf[j] != ',')
            j++;
        s = i;
        e = j;
        while (s < e && is_wsp(v->buf[s]))
            s++;
        while (e > s && is_wsp(v->buf[e - 1]))
            e--;
        if (s == e) {
            add_diag(r, INK_SEV_WARNING, "empty-uri", v->off + s,
                     "%s has an empty entry (stray comma)", tag);
        } else if (*count >= INK_DMARC_URIS_MAX) {
            add_diag(r, INK_SEV_WARNING, "too-many-uris", v->off + s,
                     "%s lists more than %d URIs; the rest are ignored", tag,
                     INK_DMARC_URIS_MAX);
            break;
        } else {
            struct ink_dmarc_uri u;

            if (parse_uri(r, v->buf + s, e - s, v->off + s, tag, &u) == 0) {
                int dup = 0;

                for (k = 0; k < *count; k++)
                    if (strcmp(list[k].uri, u.uri) == 0)
                        dup = 1;
                if (dup) {
                    add_diag(r, INK_SEV_WARNING, "duplicate-uri", v->off + s,
                             "%s lists %s twice", tag, u.uri);
                    uri_clear(&u);
                } else {
                    list[(*count)++] = u;
                }
            }
        }
        i = j + 1;
    }
}

/* ---- tag values ---- */

static void parse_policy(struct ink_dmarc_record *r, const struct cursor *v, const char *tag,
                         enum ink_dmarc_policy *out, int *invalid)
{
    char *q;

    if (ieq(v->buf, v->len, "none"))
        *out = INK_DMARC_P_NONE;
    else if (ieq(v->buf, v->len, "quarantine"))
        *out = INK_DMARC_P_QUARANTINE;
    else if (ieq(v->buf, v->len, "reject"))
        *out = INK_DMARC_P_REJECT;
    else {
        *invalid = 1;
        q = quote(v->buf, v->len);
        add_diag(r, INK_SEV_ERROR, "bad-policy", v->off,
                 "%s=%s is not a policy: use none, quarantine or reject", tag, q ? q : "");
        free(q);
    }
}

/* parse_letter - a one-letter value among choices ("rs", "yn", "ynu");
 * returns its index, or -1 after a diagnostic */
static int parse_letter(struct ink_dmarc_record *r, const struct cursor *v, const char *tag,
                        const char *choices, const char *meaning)
{
    const char *hit;
    char *q;

    if (v->len == 1 && (hit = strchr(choices, lower(v->buf[0]))) != NULL && *hit != '\0')
        return (int)(hit - choices);
    q = quote(v->buf, v->len);
    add_diag(r, INK_SEV_ERROR, "bad-value", v->off, "%s=%s is not valid: use %s", tag,
             q ? q : "", meaning);
    free(q);
    return -1;
}

static void parse_fo(struct ink_dmarc_record *r, const struct cursor *v)
{
    unsigned bits = 0, bit;
    size_t i = 0, j;
    char *q;

    while (i <= v->len) {
        j = i;
        while (j < v->len && v->buf[j] != ':')
            j++;
        bit = 0;
        if (j - i == 1) {
            switch (lower(v->buf[i])) {
            case '0': bit = INK_DMARC_FO_0; break;
            case '1': bit = INK_DMARC_FO_1; break;
            case 'd': bit = INK_DMARC_FO_D; break;
            case 's': bit = INK_DMARC_FO_S; break;
            default: break;
            }
        }
        if (bit == 0 || (bits & bit) ||
            ((bit | bits) & (INK_DMARC_FO_0 | INK_DMARC_FO_1)) ==
                (INK_DMARC_FO_0 | INK_DMARC_FO_1)) {
            q = quote(v->buf, v->len);
            add_diag(r, INK_SEV_ERROR, "bad-fo", v->off + i,
                     "fo=%s is not valid: a colon-separated list of 0 or 1, d and s, "
                     "each at most once", q ? q : "");
            free(q);
            return;
        }
        bits |= bit;
        i = j + 1;
    }
    r->fo = bits;
}

/* parse_uint - digits only, at most max; -1 if not */
static long parse_uint(const struct cursor *v, long max)
{
    long n = 0;
    size_t i;

    if (v->len == 0 || v->len > 10)
        return -1;
    for (i = 0; i < v->len; i++) {
        if (!is_digit(v->buf[i]))
            return -1;
        n = n * 10 + (v->buf[i] - '0');
    }
    return n <= max ? n : -1;
}

/* The tags RFC 9989 registers, plus RFC 7489's. */
enum tag_id {
    TAG_V, TAG_P, TAG_SP, TAG_NP, TAG_PSD, TAG_T, TAG_ADKIM, TAG_ASPF, TAG_RUA, TAG_RUF,
    TAG_FO, TAG_PCT, TAG_RF, TAG_RI, TAG_COUNT, TAG_UNKNOWN = TAG_COUNT
};

static const char *const tag_names[TAG_COUNT] = {
    "v", "p", "sp", "np", "psd", "t", "adkim", "aspf", "rua", "ruf", "fo", "pct", "rf", "ri",
};

static enum tag_id tag_lookup(const uint8_t *p, size_t n)
{
    int i;

    for (i = 0; i < TAG_COUNT; i++)
        if (ieq(p, n, tag_names[i]))
            return (enum tag_id)i;
    return TAG_UNKNOWN;
}

/* apply_tag - interpret one tag's value */
static void apply_tag(struct ink_dmarc_record *r, enum tag_id id, const struct cursor *v,
                      size_t name_off)
{
    long n;
    int k;
    char *q;

    switch (id) {
    case TAG_V:
        add_diag(r, INK_SEV_WARNING, "duplicate-tag", name_off,
                 "v appears again; only the first tag may be v");
        break;
    case TAG_P:
        parse_policy(r, v, "p", &r->p, &r->p_invalid);
        break;
    case TAG_SP:
        parse_policy(r, v, "sp", &r->sp, &r->sp_invalid);
        break;
    case TAG_NP:
        parse_policy(r, v, "np", &r->np, &r->np_invalid);
        break;
    case TAG_PSD:
        k = parse_letter(r, v, "psd", "ynu", "y, n or u");
        if (k >= 0)
            r->psd = k == 0 ? INK_DMARC_PSD_YES : k == 1 ? INK_DMARC_PSD_NO
                                                          : INK_DMARC_PSD_UNKNOWN;
        break;
    case TAG_T:
        k = parse_letter(r, v, "t", "yn", "y or n");
        if (k >= 0)
            r->t = k == 0 ? INK_DMARC_FLAG_YES : INK_DMARC_FLAG_NO;
        break;
    case TAG_ADKIM:
    case TAG_ASPF:
        k = parse_letter(r, v, tag_names[id], "rs", "r (relaxed) or s (strict)");
        if (k >= 0) {
            enum ink_dmarc_align a = k == 0 ? INK_DMARC_ALIGN_RELAXED : INK_DMARC_ALIGN_STRICT;

            if (id == TAG_ADKIM)
                r->adkim = a;
            else
                r->aspf = a;
        }
        break;
    case TAG_RUA:
        parse_urilist(r, v, "rua", r->rua, &r->nrua);
        break;
    case TAG_RUF:
        parse_urilist(r, v, "ruf", r->ruf, &r->nruf);
        break;
    case TAG_FO:
        parse_fo(r, v);
        break;
    case TAG_PCT:
        n = parse_uint(v, 100);
        if (n < 0) {
            q = quote(v->buf, v->len);
            add_diag(r, INK_SEV_ERROR, "bad-value", v->off,
                     "pct=%s is not a number from 0 to 100", q ? q : "");
            free(q);
        } else {
            r->pct = (int)n;
        }
        add_diag(r, INK_SEV_INFO, "obsolete-tag", name_off,
                 "pct is obsolete (RFC 9989 removed it): receivers apply the policy to all "
                 "failing mail; use t=y for a test phase");
        break;
    case TAG_RF:
        if (v->len > RF_MAX) {
            add_diag(r, INK_SEV_ERROR, "bad-value", v->off, "rf value is too long");
        } else {
            free(r->rf);
            r->rf = ink_memdup_cstr(v->buf, v->len);
        }
        add_diag(r, INK_SEV_INFO, "obsolete-tag", name_off,
                 "rf is obsolete (RFC 9989 removed it) and is ignored");
        break;
    case TAG_RI:
        n = parse_uint(v, RI_MAX);
        if (n < 0) {
            q = quote(v->buf, v->len);
            add_diag(r, INK_SEV_ERROR, "bad-value", v->off,
                     "ri=%s is not a number of seconds", q ? q : "");
            free(q);
        } else {
            r->ri = n;
        }
        add_diag(r, INK_SEV_INFO, "obsolete-tag", name_off,
                 "ri is obsolete (RFC 9989 removed it): aggregate reports are daily");
        break;
    case TAG_UNKNOWN:
    default:
        break;
    }
}

/*
 * parse_tag - one tag-spec at c->off: name, '=', value up to ';' or the
 * end.  On success sets the name and value slices (value trimmed) and returns 0;
 * on a syntax error adds a diagnostic, skips to the next ';' and returns -1.
 */
static int parse_tag(struct ink_dmarc_record *r, struct cursor *c, struct cursor *name,
                     struct cursor *value)
{
    size_t start = c->off, e;
    char *q;

    while (c->off < c->len && (is_alpha(c->buf[c->off]) || is_digit(c->buf[c->off]) ||
                               c->buf[c->off] == '_'))
        c->off++;
    name->buf = c->buf + start;
    name->len = c->off - start;
    name->off = start;
    if (name->len == 0 || !is_alpha(c->buf[start])) {
        e = c->off;
        while (e < c->len && c->buf[e] != ';')
            e++;
        q = quote(c->buf + start, e - start);
        add_diag(r, INK_SEV_ERROR, "syntax", start, "'%s' at byte %zu is not TAG=VALUE",
                 q ? q : "", start);
        free(q);
        c->off = e;
        return -1;
    }
    skip_wsp(c);
    if (c->off >= c->len || c->buf[c->off] != '=') {
        e = c->off;
        while (e < c->len && c->buf[e] != ';')
            e++;
        q = quote(name->buf, name->len);
        add_diag(r, INK_SEV_ERROR, "syntax", c->off, "tag '%s' has no '=' (byte %zu)",
                 q ? q : "", c->off);
        free(q);
        c->off = e;
        return -1;
    }
    c->off++;
    skip_wsp(c);
    start = c->off;
    while (c->off < c->len && c->buf[c->off] != ';')
        c->off++;
    e = c->off;
    while (e > start && is_wsp(c->buf[e - 1]))
        e--;
    value->buf = c->buf + start;
    value->len = e - start;
    value->off = start;
    if (value->len == 0) {
        q = quote(name->buf, name->len);
        add_diag(r, INK_SEV_ERROR, "empty-value", start, "tag '%s' has an empty value",
                 q ? q : "");
        free(q);
        return -1;
    }
    for (e = 0; e < value->len; e++)
        if (value->buf[e] < 0x20 || value->buf[e] > 0x7e) {
            q = quote(name->buf, name->len);
            add_diag(r, INK_SEV_ERROR, "bad-char", value->off + e,
                     "tag '%s' has a non-printable or non-ASCII byte at offset %zu",
                     q ? q : "", value->off + e);
            free(q);
            return -1;
        }
    return 0;
}

/* check_version - the first tag must be v=DMARC1 (case-sensitive value);
 * leaves c after the value.  1 if it is, 0 (with a diagnostic) if not. */
static int check_version(struct ink_dmarc_record *r, struct cursor *c)
{
    struct cursor name, value;
    char *q;

    skip_wsp(c);
    if (c->off >= c->len) {
        add_diag(r, INK_SEV_ERROR, "not-dmarc", 0, "the record is empty");
        return 0;
    }
    if (parse_tag(r, c, &name, &value) < 0) {
        add_diag(r, INK_SEV_ERROR, "not-dmarc", 0,
                 "the record does not start with v=DMARC1, so receivers ignore it");
        return 0;
    }
    if (!(name.len == 1 && lower(name.buf[0]) == 'v')) {
        add_diag(r, INK_SEV_ERROR, "not-dmarc", name.off,
                 "the first tag must be v=DMARC1; receivers ignore this record");
        return 0;
    }
    if (!(value.len == 6 && memcmp(value.buf, "DMARC1", 6) == 0)) {
        q = quote(value.buf, value.len);
        add_diag(r, INK_SEV_ERROR, "not-dmarc", value.off,
                 "v=%s is not v=DMARC1 (the value is case-sensitive); receivers ignore "
                 "this record",
                 q ? q : "");
        free(q);
        return 0;
    }
    return 1;
}

/* ink_dmarc_is_record - the RFC 9989 4.10 step 2 test */
int ink_dmarc_is_record(const uint8_t *buf, size_t len)
{
    size_t i = 0;

    while (i < len && is_wsp(buf[i]))
        i++;
    if (i >= len || lower(buf[i]) != 'v')
        return 0;
    i++;
    while (i < len && is_wsp(buf[i]))
        i++;
    if (i >= len || buf[i] != '=')
        return 0;
    i++;
    while (i < len && is_wsp(buf[i]))
        i++;
    if (len - i < 6 || memcmp(buf + i, "DMARC1", 6) != 0)
        return 0;
    i += 6;
    while (i < len && is_wsp(buf[i]))
        i++;
    return i == len || buf[i] == ';';
}

/* ink_dmarc_record_parse - parse record text into a new record (caller owns) */
struct ink_dmarc_record *ink_dmarc_record_parse(const uint8_t *buf, size_t len)
{
    struct ink_dmarc_record *r = ink_dmarc_record_new();
    struct cursor c = {buf, len, 0, 0};
    struct cursor name, value;
    unsigned seen[TAG_COUNT];
    size_t ntags = 1;
    enum tag_id id;
    char *q;

    if (r == NULL)
        return NULL;
    r->is_dmarc = 0;
    if (len > INK_DMARC_RECORD_MAX) {
        add_diag(r, INK_SEV_ERROR, "too-long", INK_DMARC_RECORD_MAX,
                 "the record is %zu bytes, more than the %d accepted", len,
                 INK_DMARC_RECORD_MAX);
        return r;
    }
    if (!check_version(r, &c))
        return r;
    r->is_dmarc = 1;
    memset(seen, 0, sizeof(seen));
    seen[TAG_V] = 1;
    for (;;) {
        skip_wsp(&c);
        if (c.off >= c.len)
            break;
        if (c.buf[c.off] != ';') {
            /* only reachable after a value that ended at whitespace then junk */
            add_diag(r, INK_SEV_ERROR, "syntax", c.off, "expected ';' at byte %zu", c.off);
            while (c.off < c.len && c.buf[c.off] != ';')
                c.off++;
            continue;
        }
        c.off++; /* ';' */
        skip_wsp(&c);
        if (c.off >= c.len)
            break; /* a trailing ';' is allowed */
        if (c.buf[c.off] == ';') {
            add_diag(r, INK_SEV_WARNING, "empty-tag", c.off,
                     "empty tag (';;') at byte %zu", c.off);
            continue;
        }
        if (++ntags > INK_DMARC_TAGS_MAX) {
            add_diag(r, INK_SEV_ERROR, "too-many-tags", c.off,
                     "more than %d tags; the rest is ignored", INK_DMARC_TAGS_MAX);
            break;
        }
        if (parse_tag(r, &c, &name, &value) < 0)
            continue;
        id = tag_lookup(name.buf, name.len);
        if (id == TAG_UNKNOWN) {
            q = quote(name.buf, name.len);
            add_diag(r, INK_SEV_WARNING, "unknown-tag", name.off,
                     "unknown tag '%s' is ignored", q ? q : "");
            free(q);
            continue;
        }
        if (seen[id]) {
            add_diag(r, INK_SEV_WARNING, "duplicate-tag", name.off,
                     "%s appears more than once; only the first is used", tag_names[id]);
            continue;
        }
        seen[id] = 1;
        if (name.len > 0 && !(name.buf[0] >= 'a' && name.buf[0] <= 'z')) {
            q = quote(name.buf, name.len);
            add_diag(r, INK_SEV_INFO, "tag-case", name.off,
                     "tag '%s' is written in upper case; write it as %s", q ? q : "",
                     tag_names[id]);
            free(q);
        }
        apply_tag(r, id, &value, name.off);
    }
    return r;
}

/* ---- advice ---- */

static int policy_rank(enum ink_dmarc_policy p)
{
    return p == INK_DMARC_P_REJECT ? 3 : p == INK_DMARC_P_QUARANTINE ? 2
                                   : p == INK_DMARC_P_NONE         ? 1
                                                                   : 0;
}

/* ink_dmarc_record_lint - add advice diagnostics about the record's content */
void ink_dmarc_record_lint(struct ink_dmarc_record *r, const char *domain)
{
    const char *d = domain != NULL ? domain : "the domain";

    if (!r->is_dmarc)
        return;
    if (r->p == INK_DMARC_P_UNSET) {
        if (ink_dmarc_record_usable(r) == INK_DMARC_P_UNSET)
            add_diag(r, INK_SEV_ERROR, "no-policy", -1,
                     "no valid p= tag and no valid rua: receivers apply no DMARC to %s", d);
        else
            add_diag(r, INK_SEV_WARNING, "missing-p", -1,
                     "no valid p= tag: receivers act as if p=none; state the policy for %s", d);
    } else if (r->p == INK_DMARC_P_NONE) {
        add_diag(r, INK_SEV_INFO, "policy-none", -1,
                 "p=none only monitors: once the aggregate reports show all legitimate "
                 "mail aligned, move to p=quarantine, then p=reject");
    } else if (r->p == INK_DMARC_P_QUARANTINE) {
        add_diag(r, INK_SEV_INFO, "policy-quarantine", -1,
                 "p=quarantine: when reports stay clean, the last step is p=reject");
    }
    if (r->sp != INK_DMARC_P_UNSET && r->p != INK_DMARC_P_UNSET &&
        policy_rank(r->sp) < policy_rank(r->p))
        add_diag(r, INK_SEV_WARNING, "sp-weaker", -1,
                 "sp=%s is weaker than p=%s: subdomains of %s are less protected than the "
                 "domain itself",
                 ink_dmarc_policy_name(r->sp), ink_dmarc_policy_name(r->p), d);
    if (r->np != INK_DMARC_P_UNSET && r->p != INK_DMARC_P_UNSET &&
        policy_rank(r->np) < policy_rank(r->p))
        add_diag(r, INK_SEV_INFO, "np-weaker", -1,
                 "np=%s is weaker than p=%s for names that do not exist", 
                 ink_dmarc_policy_name(r->np), ink_dmarc_policy_name(r->p));
    if (r->t == INK_DMARC_FLAG_YES && policy_rank(r->p) > 1)
        add_diag(r, INK_SEV_WARNING, "test-mode", -1,
                 "t=y (testing): receivers apply one level less than p=%s; remove t=y when "
                 "the test is over",
                 ink_dmarc_policy_name(r->p));
    if (r->nrua == 0)
        add_diag(r, INK_SEV_WARNING, "no-rua", -1,
                 "no rua= address: nobody receives aggregate reports for %s, so failures "
                 "go unseen",
                 d);
    if (r->fo != 0 && r->nruf == 0)
        add_diag(r, INK_SEV_INFO, "fo-without-ruf", -1, "fo= has no effect without ruf=");
    if (r->pct >= 0 && r->pct < 100)
        add_diag(r, INK_SEV_WARNING, "pct-partial", -1,
                 "pct=%d no longer limits the policy (RFC 9989 receivers ignore pct): it "
                 "applies to all failing mail",
                 r->pct);
    if (r->adkim == INK_DMARC_ALIGN_STRICT || r->aspf == INK_DMARC_ALIGN_STRICT)
        add_diag(r, INK_SEV_INFO, "strict-alignment", -1,
                 "strict alignment (%s%s%s): mail signed or bounced through a subdomain "
                 "will not align",
                 r->adkim == INK_DMARC_ALIGN_STRICT ? "adkim=s" : "",
                 (r->adkim == INK_DMARC_ALIGN_STRICT && r->aspf == INK_DMARC_ALIGN_STRICT)
                     ? ", "
                     : "",
                 r->aspf == INK_DMARC_ALIGN_STRICT ? "aspf=s" : "");
}

/* ink_dmarc_record_usable - the policy a receiver applies (4.10.1) */
enum ink_dmarc_policy ink_dmarc_record_usable(const struct ink_dmarc_record *r)
{
    size_t i;
    int rua_ok = 0;

    if (r == NULL || !r->is_dmarc)
        return INK_DMARC_P_UNSET;
    for (i = 0; i < r->nrua; i++)
        if (r->rua[i].uri != NULL)
            rua_ok = 1;
    if (r->p == INK_DMARC_P_UNSET || r->sp_invalid || r->np_invalid)
        return rua_ok ? INK_DMARC_P_NONE : INK_DMARC_P_UNSET;
    return r->p;
}

/* ---- serialization ---- */

const char *ink_dmarc_policy_name(enum ink_dmarc_policy p)
{
    switch (p) {
    case INK_DMARC_P_NONE: return "none";
    case INK_DMARC_P_QUARANTINE: return "quarantine";
    case INK_DMARC_P_REJECT: return "reject";
    case INK_DMARC_P_UNSET:
    default: return NULL;
    }
}

const char *ink_dmarc_align_name(enum ink_dmarc_align a)
{
    return a == INK_DMARC_ALIGN_RELAXED ? "r" : a == INK_DMARC_ALIGN_STRICT ? "s" : NULL;
}

/* put_size - the obsolete size suffix in the largest exact unit */
static int put_size(struct ink_str *out, uint64_t n)
{
    static const char units[] = "kmgt";
    int u = -1;

    while (n != 0 && n % 1024 == 0 && u < 3) {
        n /= 1024;
        u++;
    }
    if (u < 0)
        return ink_str_printf(out, "!%llu", (unsigned long long)n);
    return ink_str_printf(out, "!%llu%c", (unsigned long long)n, units[u]);
}

static int put_uris(struct ink_str *out, const char *tag, const struct ink_dmarc_uri *l,
                    size_t n, unsigned flags)
{
    size_t i;
    int rc = 0;

    if (n == 0)
        return 0;
    rc |= ink_str_printf(out, "; %s=", tag);
    for (i = 0; i < n; i++) {
        if (i > 0)
            rc |= ink_str_putc(out, ',');
        rc |= ink_str_puts(out, l[i].uri);
        if ((flags & INK_DMARC_SER_OBSOLETE) && l[i].has_size)
            rc |= put_size(out, l[i].max_size);
    }
    return rc;
}

/* ink_dmarc_record_serialize - write the record as TXT text */
int ink_dmarc_record_serialize(const struct ink_dmarc_record *r, unsigned flags,
                               struct ink_str *out)
{
    int rc = 0;

    rc |= ink_str_puts(out, "v=DMARC1");
    if (r->p != INK_DMARC_P_UNSET)
        rc |= ink_str_printf(out, "; p=%s", ink_dmarc_policy_name(r->p));
    if (r->sp != INK_DMARC_P_UNSET)
        rc |= ink_str_printf(out, "; sp=%s", ink_dmarc_policy_name(r->sp));
    if (r->np != INK_DMARC_P_UNSET)
        rc |= ink_str_printf(out, "; np=%s", ink_dmarc_policy_name(r->np));
    if (r->psd != INK_DMARC_PSD_UNSET)
        rc |= ink_str_printf(out, "; psd=%s", r->psd == INK_DMARC_PSD_YES  ? "y"
                                              : r->psd == INK_DMARC_PSD_NO ? "n"
                                                                           : "u");
    if (r->t != INK_DMARC_FLAG_UNSET)
        rc |= ink_str_printf(out, "; t=%s", r->t == INK_DMARC_FLAG_YES ? "y" : "n");
    if (r->adkim != INK_DMARC_ALIGN_UNSET)
        rc |= ink_str_printf(out, "; adkim=%s", ink_dmarc_align_name(r->adkim));
    if (r->aspf != INK_DMARC_ALIGN_UNSET)
        rc |= ink_str_printf(out, "; aspf=%s", ink_dmarc_align_name(r->aspf));
    if ((flags & INK_DMARC_SER_OBSOLETE) && r->pct >= 0)
        rc |= ink_str_printf(out, "; pct=%d", r->pct);
    rc |= put_uris(out, "rua", r->rua, r->nrua, flags);
    rc |= put_uris(out, "ruf", r->ruf, r->nruf, flags);
    if (r->fo != 0) {
        const char *sep = "";

        rc |= ink_str_puts(out, "; fo=");
        if (r->fo & INK_DMARC_FO_0) {
            rc |= ink_str_puts(out, "0");
            sep = ":";
        }
        if (r->fo & INK_DMARC_FO_1) {
            rc |= ink_str_printf(out, "%s1", sep);
            sep = ":";
        }
        if (r->fo & INK_DMARC_FO_D) {
            rc |= ink_str_printf(out, "%sd", sep);
            sep = ":";
        }
        if (r->fo & INK_DMARC_FO_S)
            rc |= ink_str_printf(out, "%ss", sep);
    }
    if ((flags & INK_DMARC_SER_OBSOLETE) && r->rf != NULL)
        rc |= ink_str_printf(out, "; rf=%s", r->rf);
    if ((flags & INK_DMARC_SER_OBSOLETE) && r->ri >= 0)
        rc |= ink_str_printf(out, "; ri=%ld", r->ri);
    return rc < 0 ? -1 : 0;
}

/* ink_dmarc_record_add_uri - append a parsed URI to rua or ruf */
int ink_dmarc_record_add_uri(struct ink_dmarc_record *r, int ruf, const char *uri)
{
    struct ink_dmarc_uri *list = ruf ? r->ruf : r->rua;
    size_t *count = ruf ? &r->nruf : &r->nrua;
    size_t before = r->ndiag, nerr = r->nerrors, nwarn = r->nwarnings, i;
    struct ink_dmarc_uri u;
    int rc;

    if (*count >= INK_DMARC_URIS_MAX)
        return -1;
    rc = parse_uri(r, (const uint8_t *)uri, strlen(uri), 0, ruf ? "ruf" : "rua", &u);
    /* a URI added by hand leaves no diagnostics behind */
    for (i = before; i < r->ndiag; i++)
        ink_finding_clear(&r->diag[i]);
    r->ndiag = before;
    r->nerrors = nerr;
    r->nwarnings = nwarn;
    if (rc < 0 || u.uri == NULL)
        return -1;
    list[(*count)++] = u;
    return 0;
}
