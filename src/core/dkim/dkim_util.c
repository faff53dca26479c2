/*
 * dkim_util.c - the DKIM core's shared helpers (see dkim_int.h): the
 * RFC 6376 section 3.2 tag-list splitter, base64 with folding
 * whitespace, and digests fetched once per process.
 */
#include "dkim_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* dkim_set_why - format a reason, cut to the buffer */
void dkim_set_why(char *buf, size_t sz, const char *fmt, ...)
{
    va_list ap;

    if (sz == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sz, fmt, ap);
    va_end(ap);
}

/* dkim_printable - untrusted bytes as printable text in a fixed buffer */
char *dkim_printable(char *buf, size_t sz, const uint8_t *p, size_t len, size_t max)
{
    struct ink_str s = INK_STR_INIT;
    size_t n;

    if (sz == 0)
        return buf;
    buf[0] = '\0';
    if (len < sz && len <= max) { /* the usual case: printable already */
        for (n = 0; n < len && p[n] >= 0x20 && p[n] < 0x7f && p[n] != '\\'; n++)
            ;
        if (n == len) {
            memcpy(buf, p, len);
            buf[len] = '\0';
            return buf;
        }
    }
    if (ink_str_put_printable(&s, p, len, max) == 0) {
        n = s.len < sz - 1 ? s.len : sz - 1;
        memcpy(buf, ink_str_cstr(&s), n);
        buf[n] = '\0';
    }
    ink_str_free(&s);
    return buf;
}

/* is_alpha / is_alnum_ - ASCII classes of tag names */
static int is_alpha(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum_(uint8_t c)
{
    return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* dkim_tag_is - exact (case-sensitive, RFC 6376 3.2) name comparison */
int dkim_tag_is(const struct dkim_tag *t, const char *name)
{
    size_t n = strlen(name);

    return t->name_len == n && memcmp(t->name, name, n) == 0;
}

/* dkim_tag_find - look a tag up by name */
const struct dkim_tag *dkim_tag_find(const struct dkim_tag *tags, size_t ntags,
                                     const char *name)
{
    size_t i;

    for (i = 0; i < ntags; i++)
        if (dkim_tag_is(&tags[i], name))
            return &tags[i];
    return NULL;
}

/* ctl_byte - 1 for the control bytes no tag value may hold (C0 except
 * the whitespace SP, HTAB, CR, LF; and DEL) */
static const uint8_t ctl_byte[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    [0x7f] = 1,
};

/* dkim_taglist_parse - split a tag-list into tag=value slices */
int dkim_taglist_parse(const uint8_t *buf, size_t len, struct dkim_tag *tags, size_t max,
                       size_t *ntags, char *why, size_t whysz, size_t *erroff)
{
    size_t i = 0, n = 0, j, k;
    char shown[64];

    *ntags = 0;
    *erroff = 0;
    while (i <= len) {
        size_t seg_end, ns, ne, vs, ve;

        /* one segment: up to the next ';' or the end */
        {
            const uint8_t *semi = i < len ? memchr(buf + i, ';', len - i) : NULL;
            seg_end = semi ? (size_t)(semi - buf) : len;
        }
        ns = i;
        while (ns < seg_end && dkim_is_ws(buf[ns]))
            ns++;
        if (ns == seg_end) { /* empty segment */
            i = seg_end + 1;
            continue;
        }
        if (!is_alpha(buf[ns])) {
            *erroff = ns;
            dkim_set_why(why, whysz, "tag name must start with a letter, found '%s'",
                         dkim_printable(shown, sizeof(shown), buf + ns, seg_end - ns, 16));
            return -1;
        }
        for (ne = ns + 1; ne < seg_end && is_alnum_(buf[ne]); ne++)
            ;
        j = ne;
        while (j < seg_end && dkim_is_ws(buf[j]))
            j++;
        if (j >= seg_end || buf[j] != '=') {
            *erroff = j < seg_end ? j : ns;
            dkim_set_why(why, whysz, "tag '%s' has no '='",
                         dkim_printable(shown, sizeof(shown), buf + ns, ne - ns, 32));
            return -1;
        }
        vs = j + 1;
        while (vs < seg_end && dkim_is_ws(buf[vs]))
            vs++;
        ve = seg_end;
        while (ve > vs && dkim_is_ws(buf[ve - 1]))
            ve--;
        /* a control byte in the value: first whether there is one, the
         * whole value at a time without a branch per byte (b= is ~350
         * bytes), then where */
        {
            unsigned bad = 0;
            for (k = vs; k < ve; k++)
                bad |= ctl_byte[buf[k]];
            k = bad ? vs : ve;
        }
        for (; k < ve; k++) {
            uint8_t c = buf[k];
            if (ctl_byte[c]) {
                *erroff = k;
                dkim_set_why(why, whysz, "control byte 0x%02x in the value of tag '%s'", c,
                             dkim_printable(shown, sizeof(shown), buf + ns, ne - ns, 32));
                return -1;
            }
        }
        for (k = 0; k < n; k++) {
            if (tags[k].name_len == ne - ns && tags[k].name[0] == buf[ns] &&
                memcmp(tags[k].name, buf + ns, ne - ns) == 0) {
                *erroff = ns;
                dkim_set_why(why, whysz, "tag '%s' appears twice (first at offset %zu)",
                             dkim_printable(shown, sizeof(shown), buf + ns, ne - ns, 32),
                             tags[k].name_off);
                return -1;
            }
        }
        if (n >= max) {
            *erroff = ns;
            dkim_set_why(why, whysz, "more than %zu tags", max);
            return -1;
        }
        tags[n].name = buf + ns;
        tags[n].name_len = ne - ns;
        tags[n].val = buf + vs;
        tags[n].val_len = ve - vs;
        tags[n].name_off = ns;
        tags[n].val_off = vs;
        tags[n].raw_val_off = j + 1;
        tags[n].raw_val_end = seg_end;
        n++;
        i = seg_end + 1;
    }
    *ntags = n;
    return 0;
}

/* base64 value + 1 of an ASCII byte (65 for '='); 0 for anything else,
 * so that the table needs no entry for the bytes outside the alphabet */
static const uint8_t b64_val1[256] = {
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
    ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
    ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
    ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
    ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
    ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
    ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
    ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
    ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
    ['='] = 65,
};

/* b64_class - value of c (0..63), 64 for '=', 255 when not in the alphabet */
static inline uint8_t b64_class(uint8_t c)
{
    return (uint8_t)(b64_val1[c] - 1);
}

/* dkim_b64_decode - base64 with whitespace anywhere */
int dkim_b64_decode(const uint8_t *buf, size_t len, struct ink_str *out, size_t *erroff)
{
    uint32_t acc = 0;
    size_t i, nq = 0, npad = 0, last = 0;
    uint8_t *o;

    *erroff = 0;
    if (ink_str_reserve(out, len / 4 * 3 + 3) < 0)
        return -1;
    /* room is reserved: write straight into the buffer */
    o = (uint8_t *)out->buf + out->len;
    for (i = 0; i < len; i++) {
        uint8_t c, v;

        /* fast path: four alphabet characters at a quantum boundary (all
         * of b= and bh= between the folds) decode at once */
        while (nq == 0 && i + 4 <= len) {
            uint8_t v0 = b64_class(buf[i]), v1 = b64_class(buf[i + 1]);
            uint8_t v2 = b64_class(buf[i + 2]), v3 = b64_class(buf[i + 3]);
            uint32_t q;
            if ((v0 | v1 | v2 | v3) >= 64) /* '=', whitespace, a bad byte */
                break;
            q = (uint32_t)v0 << 18 | (uint32_t)v1 << 12 | (uint32_t)v2 << 6 | v3;
            *o++ = (uint8_t)(q >> 16);
            *o++ = (uint8_t)(q >> 8);
            *o++ = (uint8_t)q;
            last = i + 3;
            i += 4;
        }
        if (i >= len)
            break;
        c = buf[i];
        v = b64_class(c);
        if (v < 64) {
            if (npad) { /* data after '=' */
                *erroff = i;
                return -1;
            }
            acc = acc << 6 | v;
            last = i;
            if (++nq == 4) {
                *o++ = (uint8_t)(acc >> 16);
                *o++ = (uint8_t)(acc >> 8);
                *o++ = (uint8_t)acc;
                acc = 0;
                nq = 0;
            }
            continue;
        }
        if (dkim_is_ws(c))
            continue;
        if (v != 64) {
            *erroff = i;
            return -1;
        }
        /* padding: only in the last two places of a quantum */
        if (nq < 2) {
            *erroff = i;
            return -1;
        }
        npad++;
        nq++;
        last = i;
        if (nq == 4)
            break;
    }
    if (npad) {
        /* finish the padded quantum; only whitespace may follow */
        for (i = i + 1; i < len; i++)
            if (!dkim_is_ws(buf[i])) {
                *erroff = i;
                return -1;
            }
        if (nq != 4) {
            *erroff = last;
            return -1;
        }
        if (npad == 1) {
            acc <<= 6;
            *o++ = (uint8_t)(acc >> 16);
            *o++ = (uint8_t)(acc >> 8);
        } else {
            acc <<= 12;
            *o++ = (uint8_t)(acc >> 16);
        }
    } else if (nq == 1) {
        *erroff = last;
        return -1;
    } else if (nq == 2) { /* unpadded tail (tolerated: some signers drop the padding) */
        acc <<= 12;
        *o++ = (uint8_t)(acc >> 16);
    } else if (nq == 3) {
        acc <<= 6;
        *o++ = (uint8_t)(acc >> 16);
        *o++ = (uint8_t)(acc >> 8);
    }
    out->len = (size_t)(o - (uint8_t *)out->buf);
    out->buf[out->len] = '\0';
    return 0;
}

/* dkim_b64_encode - plain base64 of buf/len */
int dkim_b64_encode(const uint8_t *buf, size_t len, struct ink_str *out)
{
    size_t need;
    int n;

    if (len > INK_STR_MAX / 2)
        return -1;
    need = (len + 2) / 3 * 4;
    if (ink_str_reserve(out, need + 1) < 0)
        return -1;
    /* EVP_EncodeBlock takes an int length: feed at most 768 MiB at a time
     * (len is already far below that) */
    n = EVP_EncodeBlock((unsigned char *)out->buf + out->len, buf, (int)len);
    if (n < 0)
        return -1;
    out->len += (size_t)n;
    out->buf[out->len] = '\0';
    return 0;
}

static EVP_MD *md_sha256;
static EVP_MD *md_sha1;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

/* md_fetch_once - fetch the digests the DKIM code uses */
static void md_fetch_once(void)
{
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
}

/* dkim_sha256 - the fetched SHA-256 */
const EVP_MD *dkim_sha256(void)
{
    pthread_once(&md_once, md_fetch_once);
    return md_sha256;
}

/* dkim_sha1 - the fetched SHA-1 */
const EVP_MD *dkim_sha1(void)
{
    pthread_once(&md_once, md_fetch_once);
    return md_sha1;
}
