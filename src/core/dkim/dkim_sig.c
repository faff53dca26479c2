/*
 * dkim_sig.c - the DKIM-Signature tag list (RFC 6376 section 3.5) parsed
 * into a struct ink_dkim_sig with a reason and byte offset for anything
 * that makes the signature unusable (a PERMFAIL in the RFC's words).
 */
#include "inkan/dkim.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim_int.h"

/* Digits t= and x= may have (RFC 6376 allows 12); longer values are
 * refused.  l= may have INK_DKIM_L_DIGITS_MAX. */
#define SIG_TIME_DIGITS_MAX 12

/* ink_dkim_alg_name - algorithm as a word */
const char *ink_dkim_alg_name(enum ink_dkim_alg a)
{
    switch (a) {
    case INK_DKIM_ALG_RSA_SHA256:
        return "rsa-sha256";
    case INK_DKIM_ALG_RSA_SHA1:
        return "rsa-sha1";
    case INK_DKIM_ALG_ED25519_SHA256:
        return "ed25519-sha256";
    case INK_DKIM_ALG_UNKNOWN:
        break;
    }
    return "unknown";
}

/* sig_fail - mark s unusable (the first reason wins) */
static void sig_fail(struct ink_dkim_sig *s, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void sig_fail(struct ink_dkim_sig *s, size_t off, const char *fmt, ...)
{
    va_list ap;

    if (!s->ok)
        return;
    s->ok = 0;
    s->why_off = off;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof(s->why), fmt, ap);
    va_end(ap);
}

/* strip_ws_dup - copy v/len without any whitespace, NUL-terminated */
static char *strip_ws_dup(const uint8_t *v, size_t len)
{
    char *out = malloc(len + 1);
    size_t i, n = 0;

    if (out == NULL)
        return NULL;
    for (i = 0; i < len; i++)
        if (!dkim_is_ws(v[i]))
            out[n++] = (char)v[i];
    out[n] = '\0';
    return out;
}

/* parse_number - decimal digits only, at most maxdigits; saturates at
 * UINT64_MAX.  0, or -1 when not a number. */
static int parse_number(const uint8_t *v, size_t len, size_t maxdigits, uint64_t *out)
{
    uint64_t n = 0;
    size_t i;

    if (len == 0 || len > maxdigits)
        return -1;
    for (i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        if (n > (UINT64_MAX - 9) / 10)
            n = UINT64_MAX;
        else
            n = n * 10 + (uint64_t)(v[i] - '0');
    }
    *out = n;
    return 0;
}

/* domain_dup - a d= (or i= domain) value: RFC 6376 domain-name syntax,
 * lower-cased, without a trailing dot.  NULL with *erroff and *why set when it is not one (or on
 * ENOMEM, *why then NULL). */
static char *domain_dup(const uint8_t *v, size_t len, size_t *erroff, const char **why)
{
    char *out;
    size_t i;

    /* one trailing dot (the absolute form) is taken as the same name */
    if (len > 1 && v[len - 1] == '.')
        len--;
    if (ink_dkim_domain_check((const char *)v, len, erroff, why) < 0)
        return NULL;
    *why = NULL;
    out = ink_memdup_cstr(v, len);
    for (i = 0; out != NULL && i < len; i++)
        if (out[i] >= 'A' && out[i] <= 'Z')
            out[i] = (char)(out[i] + 32);
    return out;
}

/* hexval - value of a hex digit, or -1 */
static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/*
 * qp_decode - decode a dkim-quoted-printable value (RFC 6376 2.11): FWS
 * is dropped, "=XX" is the byte XX.  Appends to out; keeps in offs[] the
 * offset in v of each decoded byte (for error offsets).  0, -1 with
 * *erroff on a bad escape or a decoded control byte, -2 on ENOMEM.
 */
static int qp_decode(const uint8_t *v, size_t len, struct ink_str *out, size_t *offs,
                     size_t *erroff)
{
    size_t i;

    for (i = 0; i < len; i++) {
        uint8_t c = v[i];
        size_t at = i;
        if (dkim_is_ws(c))
            continue;
        if (c == '=') {
            int hi = i + 2 < len ? hexval(v[i + 1]) : -1;
            int lo = i + 2 < len ? hexval(v[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                *erroff = i;
                return -1;
            }
            c = (uint8_t)(hi * 16 + lo);
            i += 2;
        }
        if (c < 0x21 || c >= 0x7f) {
            /* whitespace, controls and 8-bit bytes have no place in an
             * identity that will be shown and compared */
            *erroff = at;
            return -1;
        }
        offs[out->len] = at;
        if (ink_str_putc(out, (char)c) < 0)
            return -2;
    }
    return 0;
}

/* parse_canon - c= value into s */
static int parse_canon(struct ink_dkim_sig *s, const uint8_t *v, size_t len)
{
    const uint8_t *slash = memchr(v, '/', len);
    size_t hl = slash ? (size_t)(slash - v) : len;

#define IS_WORD(p, n, w) ((n) == sizeof(w) - 1 && memcmp((p), (w), (n)) == 0)
    if (IS_WORD(v, hl, "simple"))
        s->hcanon = INK_DKIM_CANON_SIMPLE;
    else if (IS_WORD(v, hl, "relaxed"))
        s->hcanon = INK_DKIM_CANON_RELAXED;
    else
        return -1;
    if (slash == NULL) {
        s->bcanon = INK_DKIM_CANON_SIMPLE;
        return 0;
    }
    v = slash + 1;
    len -= hl + 1;
    if (IS_WORD(v, len, "simple"))
        s->bcanon = INK_DKIM_CANON_SIMPLE;
    else if (IS_WORD(v, len, "relaxed"))
        s->bcanon = INK_DKIM_CANON_RELAXED;
    else
        return -1;
#undef IS_WORD
    return 0;
}

/* parse_h - h= names: colon-separated, whitespace around them allowed.
 * The pointer array and the names live in one allocation (s->h). */
static int parse_h(struct ink_dkim_sig *s, const struct dkim_tag *t)
{
    const uint8_t *v = t->val;
    size_t len = t->val_len, pos = 0, has_from = 0, cap = 1, q;
    char shown[64], *names;

    for (q = 0; q < len; q++)
        if (v[q] == ':')
            cap++;
    if (cap > INK_DKIM_H_NAMES_MAX) {
        sig_fail(s, t->val_off, "more than %d names in h=", INK_DKIM_H_NAMES_MAX);
        return 0;
    }
    s->h = malloc(cap * sizeof(char *) + len + cap);
    if (s->h == NULL)
        return -1;
    names = (char *)(s->h + cap);
    while (pos <= len) {
        size_t a = pos, e, k;
        while (a < len && v[a] != ':')
            a++;
        e = a;
        k = pos;
        while (k < e && dkim_is_ws(v[k]))
            k++;
        while (e > k && dkim_is_ws(v[e - 1]))
            e--;
        if (k == e) {
            sig_fail(s, t->val_off + k, "empty header name in h=");
            return 0;
        }
        for (q = k; q < e; q++)
            if (v[q] < 33 || v[q] > 126) {
                sig_fail(s, t->val_off + q, "h= name '%s' has a byte not allowed in a field name",
                         dkim_printable(shown, sizeof(shown), v + k, e - k, 32));
                return 0;
            }
        memcpy(names, v + k, e - k);
        names[e - k] = '\0';
        s->h[s->nh++] = names;
        if (e - k == 4 && strncasecmp(names, "from", 4) == 0)
            has_from = 1;
        names += e - k + 1;
        pos = a + 1;
    }
    if (!has_from)
        sig_fail(s, t->val_off, "h= does not include From (RFC 6376 5.4)");
    return 0;
}

/* parse_i - i= (RFC 6376 3.5): dkim-quoted-printable, decoded, then
 * [Local-part] "@" domain-name with the domain d= or below it.  The
 * decoded text goes to s->i.  0, or -1 on ENOMEM. */
static int parse_i(struct ink_dkim_sig *s, const struct dkim_tag *t)
{
    struct ink_str dec = INK_STR_INIT;
    size_t *offs = malloc((t->val_len + 1) * sizeof(size_t));
    size_t erroff = 0, k;
    const char *at, *bad;
    char shown[64];
    int r;

    if (offs == NULL)
        return -1;
    r = qp_decode(t->val, t->val_len, &dec, offs, &erroff);
    if (r == -2 || (r == 0 && ink_str_putc(&dec, '\0') < 0)) {
        ink_str_free(&dec);
        free(offs);
        return -1;
    }
    if (r < 0) {
        sig_fail(s, t->val_off + erroff,
                 "i= is not dkim-quoted-printable text at offset %zu (a bad '=XX' escape, "
                 "or a space, control or 8-bit byte)",
                 t->val_off + erroff);
        s->i = ink_memdup_cstr(t->val, t->val_len);
        goto done;
    }
    dec.len--; /* the NUL added above stays as the terminator */
    offs[dec.len] = t->val_len;
    s->i = ink_memdup_cstr(dec.buf, dec.len);
    if (s->i == NULL)
        goto enomem;
    at = memrchr(dec.buf, '@', dec.len);
    if (at == NULL) {
        sig_fail(s, t->val_off, "i= has no '@'");
        goto done;
    }
    k = (size_t)(at + 1 - dec.buf);
    s->i_domain = domain_dup((const uint8_t *)at + 1, dec.len - k, &erroff, &bad);
    if (s->i_domain == NULL) {
        if (bad == NULL)
            goto enomem;
        sig_fail(s, t->val_off + offs[k + erroff < dec.len ? k + erroff : dec.len],
                 "the domain of i=%s is not a domain name: %s",
                 dkim_printable(shown, sizeof(shown), (const uint8_t *)dec.buf, dec.len, 48), bad);
    } else if (s->d != NULL && s->ok && !ink_dns_name_is_subdomain(s->i_domain, s->d)) {
        sig_fail(s, t->val_off, "i= domain %s is not d=%s or a subdomain of it", s->i_domain,
                 s->d);
    }
done:
    ink_str_free(&dec);
    free(offs);
    return 0;
enomem:
    ink_str_free(&dec);
    free(offs);
    return -1;
}

/* ink_dkim_sig_parse - parse a DKIM-Signature value */
struct ink_dkim_sig *ink_dkim_sig_parse(const uint8_t *value, size_t len)
{
    static const char *const required[] = {"v", "a", "b", "bh", "d", "h", "s"};
    struct ink_dkim_sig *s = calloc(1, sizeof(*s));
    struct dkim_tag tags[DKIM_TAGS_MAX];
    struct ink_str dec = INK_STR_INIT;
    const struct dkim_tag *t;
    const struct dkim_tag *T_V = NULL, *T_A = NULL, *T_B = NULL, *T_BH = NULL, *T_C = NULL;
    const struct dkim_tag *T_D = NULL, *T_H = NULL, *T_I = NULL, *T_L = NULL, *T_Q = NULL;
    const struct dkim_tag *T_S = NULL, *T_T = NULL, *T_X = NULL, *T_Z = NULL;
    size_t ntags = 0, erroff, i;
    char why[INK_DKIM_REASON_MAX], shown[64];

    if (s == NULL)
        return NULL;
    s->ok = 1;
    if (len > INK_DKIM_SIG_FIELD_MAX) {
        sig_fail(s, 0, "DKIM-Signature of %zu bytes is over the %d-byte limit", len,
                 INK_DKIM_SIG_FIELD_MAX);
        return s;
    }
    if (dkim_taglist_parse(value, len, tags, DKIM_TAGS_MAX, &ntags, why, sizeof(why), &erroff) <
        0) {
        sig_fail(s, erroff, "%s", why);
        return s;
    }
    /* one pass to find the known tags (each at most once: duplicates
     * were refused by the tag-list parser) */
    for (i = 0; i < ntags; i++) {
        const struct dkim_tag *g = &tags[i];
        if (g->name_len == 1) {
            switch (g->name[0]) {
            case 'v': T_V = g; break;
            case 'a': T_A = g; break;
            case 'b': T_B = g; break;
            case 'c': T_C = g; break;
            case 'd': T_D = g; break;
            case 'h': T_H = g; break;
            case 'i': T_I = g; break;
            case 'l': T_L = g; break;
            case 'q': T_Q = g; break;
            case 's': T_S = g; break;
            case 't': T_T = g; break;
            case 'x': T_X = g; break;
            case 'z': T_Z = g; break;
            default: break;
            }
        } else if (g->name_len == 2 && g->name[0] == 'b' && g->name[1] == 'h') {
            T_BH = g;
        }
    }
    /* keep what can be shown about a broken signature: d=, s=, a= */
    if ((t = T_D) != NULL) {
        const char *bad;
        s->d = domain_dup(t->val, t->val_len, &erroff, &bad);
        if (s->d == NULL) {
            if (bad == NULL)
                goto enomem;
            /* kept as written (printable) so that the result can say
             * what was signed; never used as a name */
            s->d = ink_memdup_cstr(t->val, t->val_len);
            sig_fail(s, t->val_off + erroff, "d=%s is not a domain name: %s at offset %zu",
                     dkim_printable(shown, sizeof(shown), t->val, t->val_len, 48), bad,
                     t->val_off + erroff);
        }
    }
    if ((t = T_S) != NULL)
        s->s = ink_memdup_cstr(t->val, t->val_len);
    if ((t = T_A) != NULL) {
        dkim_printable(s->alg_name, sizeof(s->alg_name), t->val, t->val_len, 24);
        if (t->val_len == 10 && memcmp(t->val, "rsa-sha256", 10) == 0)
            s->alg = INK_DKIM_ALG_RSA_SHA256;
        else if (t->val_len == 8 && memcmp(t->val, "rsa-sha1", 8) == 0)
            s->alg = INK_DKIM_ALG_RSA_SHA1;
        else if (t->val_len == 14 && memcmp(t->val, "ed25519-sha256", 14) == 0)
            s->alg = INK_DKIM_ALG_ED25519_SHA256;
        else
            sig_fail(s, t->val_off, "unknown algorithm a=%s", s->alg_name);
    }
    {
        const struct dkim_tag *req[] = {T_V, T_A, T_B, T_BH, T_D, T_H, T_S};
        for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
            if (req[i] == NULL)
                sig_fail(s, len, "required tag %s= is missing", required[i]);
    }

    if ((t = T_V) != NULL && !(t->val_len == 1 && t->val[0] == '1'))
        sig_fail(s, t->val_off, "v=%s is not v=1",
                 dkim_printable(shown, sizeof(shown), t->val, t->val_len, 16));
    if (s->s != NULL) {
        const char *bad;
        t = T_S;
        if (ink_dkim_selector_check((const char *)t->val, t->val_len, &erroff, &bad) < 0)
            sig_fail(s, t->val_off + erroff, "s=%s is not a valid selector: %s at offset %zu",
                     dkim_printable(shown, sizeof(shown), t->val, t->val_len, 48), bad,
                     t->val_off + erroff);
    }
    if ((t = T_B) != NULL) {
        s->b_val_start = t->raw_val_off;
        s->b_val_end = t->raw_val_end;
        s->b_text = strip_ws_dup(t->val, t->val_len);
        ink_str_truncate(&dec, 0);
        if (dkim_b64_decode(t->val, t->val_len, &dec, &erroff) < 0 || dec.len == 0) {
            sig_fail(s, t->val_off + erroff, "b= is not valid base64");
        } else {
            s->blen = dec.len;
            s->b = (uint8_t *)ink_str_steal(&dec);
        }
    }
    if ((t = T_BH) != NULL) {
        ink_str_truncate(&dec, 0);
        if (dkim_b64_decode(t->val, t->val_len, &dec, &erroff) < 0 || dec.len == 0) {
            sig_fail(s, t->val_off + erroff, "bh= is not valid base64");
        } else {
            s->bhlen = dec.len;
            s->bh = (uint8_t *)ink_str_steal(&dec);
        }
    }
    ink_str_free(&dec);
    if ((t = T_C) != NULL && parse_canon(s, t->val, t->val_len) < 0)
        sig_fail(s, t->val_off, "unknown canonicalization c=%s",
                 dkim_printable(shown, sizeof(shown), t->val, t->val_len, 32));
    if ((t = T_H) != NULL && parse_h(s, t) < 0)
        goto enomem;
    if ((t = T_I) != NULL && parse_i(s, t) < 0)
        goto enomem;
    if (T_I == NULL && s->d != NULL) {
        size_t dl = strlen(s->d);
        s->i = malloc(dl + 2);
        s->i_domain = ink_memdup_cstr(s->d, dl);
        if (s->i == NULL || s->i_domain == NULL)
            goto enomem;
        s->i[0] = '@';
        memcpy(s->i + 1, s->d, dl + 1);
    }
    if ((t = T_L) != NULL) {
        s->has_l = 1;
        if (parse_number(t->val, t->val_len, INK_DKIM_L_DIGITS_MAX, &s->l) < 0)
            sig_fail(s, t->val_off, "l= is not a decimal number");
        else /* digits only, at most INK_DKIM_L_DIGITS_MAX: fits */
            memcpy(s->l_text, t->val, t->val_len);
    }
    if ((t = T_T) != NULL) {
        s->has_t = 1;
        if (parse_number(t->val, t->val_len, SIG_TIME_DIGITS_MAX, &s->t) < 0)
            sig_fail(s, t->val_off, "t= is not a timestamp (up to 12 digits)");
    }
    if ((t = T_X) != NULL) {
        s->has_x = 1;
        if (parse_number(t->val, t->val_len, SIG_TIME_DIGITS_MAX, &s->x) < 0)
            sig_fail(s, t->val_off, "x= is not a timestamp (up to 12 digits)");
        else if (s->has_t && s->x < s->t)
            sig_fail(s, t->val_off, "x= (%llu) is before t= (%llu)", (unsigned long long)s->x,
                     (unsigned long long)s->t);
    }
    if ((t = T_Q) != NULL) {
        /* colon-separated methods; dns/txt must be one of them */
        size_t pos = 0, found = 0;
        while (pos <= t->val_len) {
            size_t a = pos, k, e;
            while (a < t->val_len && t->val[a] != ':')
                a++;
            k = pos;
            e = a;
            while (k < e && dkim_is_ws(t->val[k]))
                k++;
            while (e > k && dkim_is_ws(t->val[e - 1]))
                e--;
            if (e - k == 7 && memcmp(t->val + k, "dns/txt", 7) == 0)
                found = 1;
            pos = a + 1;
        }
        if (!found)
            sig_fail(s, t->val_off, "q=%s does not offer dns/txt",
                     dkim_printable(shown, sizeof(shown), t->val, t->val_len, 32));
    }
    if ((t = T_Z) != NULL)
        s->z = ink_memdup_cstr(t->val, t->val_len);
    return s;
enomem:
    ink_str_free(&dec);
    ink_dkim_sig_free(s);
    return NULL;
}

/* ink_dkim_sig_free - release a parsed signature */
void ink_dkim_sig_free(struct ink_dkim_sig *s)
{
    if (s == NULL)
        return;
    free(s->h); /* the names live in the same block */
    free(s->d);
    free(s->s);
    free(s->i);
    free(s->i_domain);
    free(s->b);
    free(s->bh);
    free(s->b_text);
    free(s->z);
    free(s);
}
