/*
 * spf_macro.c - SPF macro-strings (RFC 7208 section 7): syntax check and
 * expansion of %{s l o d i p h c r t v}, transformers (digits, "r"),
 * delimiters, %%, %_, %- and URL escaping of upper-case letters.
 *
 * One walker does both jobs (check when ctx is NULL) so that what the
 * record parser accepts is exactly what the expander can expand.
 */
#include "inkan/spf.h"
#include "spf_int.h"

#include <string.h>

/* Delimiter characters of section 7.1. */
#define MACRO_DELIMS ".-+,/_="
/* Longest value one macro letter can produce (IPv6 nibbles: 63; names are
 * shorter; the sender is capped by the caller). */
#define MACRO_ITOA_MAX 24

/* is_delim - is c one of the section 7.1 delimiters */
static int is_delim(int c)
{
    return c != '\0' && strchr(MACRO_DELIMS, c) != NULL;
}

/* lower - ASCII lower-case */
static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* set_err - fill a diagnostic if the caller wants one */
static void set_err(struct ink_spf_diag *err, size_t off, size_t len, const char *reason)
{
    if (err != NULL) {
        err->code = INK_SPF_E_MACRO;
        err->off = off;
        err->len = len;
        err->reason = reason;
    }
}

/* is_unreserved - RFC 3986 unreserved characters (left as is by URL escaping) */
static int is_unreserved(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* put_escaped - append bytes, URL-escaping all but unreserved ones when esc */
static int put_escaped(struct ink_str *out, const char *p, size_t len, int esc)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;

    if (!esc)
        return ink_str_append(out, p, len);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (is_unreserved(c)) {
            if (ink_str_putc(out, c) < 0)
                return -1;
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            if (ink_str_append(out, e, 3) < 0)
                return -1;
        }
    }
    return 0;
}

/* part_of - the idx-th part (0-based) of value split at any of delims */
static void part_of(const char *v, size_t vlen, const char *delims, size_t ndelims, size_t idx,
                    size_t *start, size_t *plen)
{
    size_t i, cur = 0, s = 0;

    for (i = 0; i <= vlen; i++) {
        if (i == vlen || memchr(delims, v[i], ndelims) != NULL) {
            if (cur == idx) {
                *start = s;
                *plen = i - s;
                return;
            }
            cur++;
            s = i + 1;
        }
    }
    *start = vlen;
    *plen = 0;
}

/*
 * put_transformed - split value at delims (default "."), reverse when rev,
 * keep the rightmost ndig parts (all when 0), join with "." and append
 * (URL-escaped when esc).
 */
static int put_transformed(struct ink_str *out, const char *v, size_t vlen, unsigned ndig,
                           int rev, const char *delims, size_t ndelims, int esc)
{
    size_t nparts = 1, keep, i, k;

    if (ndelims == 0) {
        delims = ".";
        ndelims = 1;
    }
    if (ndig == 0 && !rev && ndelims == 1 && delims[0] == '.')
        return put_escaped(out, v, vlen, esc);
    for (i = 0; i < vlen; i++)
        if (memchr(delims, v[i], ndelims) != NULL)
            nparts++;
    keep = ndig == 0 || ndig > nparts ? nparts : ndig;
    for (k = 0; k < keep; k++) {
        /* The k-th part written: forward order takes parts nparts-keep..,
         * reversed order takes parts keep-1 down to 0. */
        size_t idx = rev ? keep - 1 - k : nparts - keep + k, st, pl;
        part_of(v, vlen, delims, ndelims, idx, &st, &pl);
        if (k > 0 && ink_str_putc(out, '.') < 0)
            return -1;
        if (put_escaped(out, v + st, pl, esc) < 0)
            return -1;
    }
    return 0;
}

/* ip_nibbles - IPv4 dotted quad or IPv6 dotted nibbles (the %{i} form).
 * The nibbles are upper-case hex: RFC 7208 leaves the case open (its 7.4
 * example is lower-case), DNS ignores it, and the conformance suite's
 * explanation test (v-macro-ip6) expects upper case, as pyspf writes it. */
static size_t ip_nibbles(const struct ink_spf_macro_ctx *ctx, char *buf, size_t bufsz)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0, i;

    if (ctx->family == 4) {
        char *s = ink_ip_format(4, ctx->ip, buf, bufsz);
        return strlen(s);
    }
    for (i = 0; i < 16 && n + 4 <= bufsz; i++) {
        if (i > 0)
            buf[n++] = '.';
        buf[n++] = hex[ctx->ip[i] >> 4];
        buf[n++] = '.';
        buf[n++] = hex[ctx->ip[i] & 15];
    }
    buf[n] = '\0';
    return n;
}

/* u64_text - decimal text of a non-negative count */
static size_t i64_text(int64_t v, char *buf)
{
    char tmp[MACRO_ITOA_MAX];
    size_t n = 0, i;
    uint64_t u = v < 0 ? 0 : (uint64_t)v;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0 && n < sizeof(tmp));
    for (i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

/*
 * macro_walk - check (ctx NULL) or expand spec.  *flags collects
 * INK_SPF_TF_MACRO*, *ends_macro says whether the string ends with a
 * macro-expand (for the domain-end rule).  Returns an ink_spf_macro_rc.
 */
static enum ink_spf_macro_rc macro_walk(const char *spec, size_t len,
                                        enum ink_spf_macro_mode mode,
                                        const struct ink_spf_macro_ctx *ctx,
                                        struct ink_str *out, struct ink_spf_diag *err,
                                        unsigned *flags, int *ends_macro)
{
    size_t i = 0, base = out != NULL ? out->len : 0;
    unsigned fl = 0;
    int last_macro = 0;

    while (i < len) {
        unsigned char c = (unsigned char)spec[i];
        size_t start = i;

        if (c != '%') {
            /* macro-literal: visible ASCII; explanations also allow SP */
            if (c < 0x21 || c > 0x7e) {
                if (!(mode == INK_SPF_MACRO_EXPLAIN && c == ' ')) {
                    set_err(err, i, 1, c == ' ' ? "space in macro-string"
                                                : "non-ASCII or control byte in macro-string");
                    return INK_SPF_MACRO_ERROR;
                }
            }
            if (ctx != NULL) {
                size_t j = i + 1;
                while (j < len && spec[j] != '%' &&
                       (((unsigned char)spec[j] >= 0x21 && (unsigned char)spec[j] <= 0x7e) ||
                        (mode == INK_SPF_MACRO_EXPLAIN && spec[j] == ' ')))
                    j++;
                if (ink_str_append(out, spec + i, j - i) < 0)
                    return INK_SPF_MACRO_NOMEM;
                if (out->len - base > INK_SPF_EXPAND_MAX) {
                    set_err(err, i, j - i, "macro expansion too long");
                    return INK_SPF_MACRO_ERROR;
                }
                i = j;
            } else {
                i++;
            }
            last_macro = 0;
            continue;
        }
        if (i + 1 >= len) {
            set_err(err, i, 1, "'%' at the end of a macro-string");
            return INK_SPF_MACRO_ERROR;
        }
        fl |= INK_SPF_TF_MACRO;
        c = (unsigned char)spec[i + 1];
        if (c == '%' || c == '_' || c == '-') {
            if (ctx != NULL) {
                const char *rep = c == '%' ? "%" : c == '_' ? " " : "%20";
                if (ink_str_puts(out, rep) < 0)
                    return INK_SPF_MACRO_NOMEM;
            }
            i += 2;
            last_macro = 1;
            continue;
        }
        if (c != '{') {
            set_err(err, i, 2, "'%' must be followed by '{', '%', '_' or '-'");
            return INK_SPF_MACRO_ERROR;
        }
        i += 2;
        {
            int letter, upper, rev = 0;
            unsigned ndig = 0;
            size_t ndigits = 0, dstart, nd;
            const char *val = NULL;
            size_t vlen = 0;
            char buf[72];

            if (i >= len) {
                set_err(err, start, len - start, "unterminated macro");
                return INK_SPF_MACRO_ERROR;
            }
            letter = (unsigned char)spec[i];
            upper = letter >= 'A' && letter <= 'Z';
            letter = lower(letter);
            if (strchr("slodiphcrtv", letter) == NULL || letter == '\0') {
                set_err(err, i, 1, "unknown macro letter");
                return INK_SPF_MACRO_ERROR;
            }
            if (letter == 'p')
                fl |= INK_SPF_TF_MACRO_P;
            if (letter == 'c' || letter == 'r' || letter == 't') {
                fl |= INK_SPF_TF_EXP_ONLY;
                if (mode == INK_SPF_MACRO_DOMAIN) {
                    set_err(err, i, 1, "macro letter c, r or t used outside an explanation");
                    return INK_SPF_MACRO_ERROR;
                }
            }
            i++;
            while (i < len && spec[i] >= '0' && spec[i] <= '9') {
                if (ndig <= INK_SPF_MACRO_DIGITS_MAX)
                    ndig = ndig * 10 + (unsigned)(spec[i] - '0');
                ndigits++;
                i++;
            }
            if (ndigits > 0 && ndig == 0) {
                set_err(err, i - ndigits, ndigits, "macro digit transformer must not be zero");
                return INK_SPF_MACRO_ERROR;
            }
            if (ndig > INK_SPF_MACRO_DIGITS_MAX)
                ndig = INK_SPF_MACRO_DIGITS_MAX;
            if (i < len && lower((unsigned char)spec[i]) == 'r') {
                rev = 1;
                i++;
            }
            dstart = i;
            while (i < len && is_delim(spec[i]))
                i++;
            nd = i - dstart;
            if (i >= len || spec[i] != '}') {
                set_err(err, i < len ? i : start, i < len ? 1 : len - start,
                        i < len ? "unexpected character in macro" : "unterminated macro");
                return INK_SPF_MACRO_ERROR;
            }
            i++;
            last_macro = 1;
            if (ctx == NULL)
                continue;
            switch (letter) {
            case 's':
                val = ctx->sender, vlen = ctx->sender_len;
                break;
            case 'l':
                val = ctx->local, vlen = ctx->local_len;
                break;
            case 'o':
                val = ctx->sender_domain, vlen = ctx->sender_domain_len;
                break;
            case 'd':
                val = ctx->domain, vlen = ctx->domain_len;
                break;
            case 'h':
                val = ctx->helo, vlen = ctx->helo_len;
                break;
            case 'p':
                if (ctx->validated == NULL)
                    return INK_SPF_MACRO_NEED_P;
                val = ctx->validated, vlen = ctx->validated_len;
                break;
            case 'r':
                if (ctx->receiver != NULL)
                    val = ctx->receiver, vlen = ctx->receiver_len;
                else
                    val = "unknown", vlen = 7;
                break;
            case 'i':
                vlen = ip_nibbles(ctx, buf, sizeof(buf));
                val = buf;
                break;
            case 'c':
                val = ink_ip_format(ctx->family, ctx->ip, buf, sizeof(buf));
                vlen = strlen(val);
                break;
            case 't':
                vlen = i64_text(ctx->now, buf);
                val = buf;
                break;
            case 'v':
                val = ctx->family == 6 ? "ip6" : "in-addr";
                vlen = strlen(val);
                break;
            default:
                break;
            }
            if (val == NULL)
                val = "", vlen = 0;
            if (put_transformed(out, val, vlen, ndig, rev, spec + dstart, nd, upper) < 0)
                return INK_SPF_MACRO_NOMEM;
        }
        if (ctx != NULL && out->len - base > INK_SPF_EXPAND_MAX) {
            set_err(err, start, i - start, "macro expansion too long");
            return INK_SPF_MACRO_ERROR;
        }
    }
    if (flags != NULL)
        *flags = fl;
    if (ends_macro != NULL)
        *ends_macro = last_macro;
    return INK_SPF_MACRO_OK;
}

/* ink_spf_macro_check - syntax check only */
int ink_spf_macro_check(const char *spec, size_t len, unsigned *flags, struct ink_spf_diag *err)
{
    return macro_walk(spec, len, INK_SPF_MACRO_EXPLAIN, NULL, NULL, err, flags, NULL) ==
                   INK_SPF_MACRO_OK
               ? 0
               : -1;
}

/* spf_macro_check_domain - check in domain mode (see spf_int.h) */
int spf_macro_check_domain(const char *spec, size_t len, unsigned *flags, int *ends_macro,
                           struct ink_spf_diag *err)
{
    return macro_walk(spec, len, INK_SPF_MACRO_DOMAIN, NULL, NULL, err, flags, ends_macro) ==
                   INK_SPF_MACRO_OK
               ? 0
               : -1;
}

/* ink_spf_macro_expand - expand into out; out unchanged on failure */
enum ink_spf_macro_rc ink_spf_macro_expand(const char *spec, size_t len,
                                           enum ink_spf_macro_mode mode,
                                           const struct ink_spf_macro_ctx *ctx,
                                           struct ink_str *out, struct ink_spf_diag *err)
{
    size_t start = out->len;
    enum ink_spf_macro_rc rc;

    rc = macro_walk(spec, len, mode, ctx, out, err, NULL, NULL);
    if (rc != INK_SPF_MACRO_OK) {
        ink_str_truncate(out, start);
        return rc;
    }
    if (mode == INK_SPF_MACRO_DOMAIN) {
        /* Section 7.3: drop labels from the left until it fits. */
        size_t n = out->len - start, cut = 0;
        while (n - cut > INK_DNS_NAME_MAX) {
            const char *dot = memchr(out->buf + start + cut, '.', n - cut);
            if (dot == NULL)
                break;
            cut = (size_t)(dot - (out->buf + start)) + 1;
        }
        if (cut > 0) {
            memmove(out->buf + start, out->buf + start + cut, n - cut);
            ink_str_truncate(out, start + n - cut);
        }
    }
    return INK_SPF_MACRO_OK;
}
