/*
 * dkim_util.c - the DKIM core's shared helpers (see dkim_int.h): the
 * RFC 6376 section 3.2 tag-list splitter, base64 with folding
 * whitespace, and digests fetched once per process.
 */
#include "core/dkim_int.h"

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
        for (seg_end = i; seg_end < len && buf[seg_end] != ';'; seg_end++)
            ;
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
        for (k = vs; k < ve; k++) {
            uint8_t c = buf[k];
            if ((c < 0x20 && !dkim_is_ws(c)) || c == 0x7f) {
                *erroff = k;
                dkim_set_why(why, whysz, "control byte 0x%02x in the value of tag '%s'", c,
                             dkim_printable(shown, sizeof(shown), buf + ns, ne - ns, 32));
                return -1;
            }
        }
        for (k = 0; k < n; k++) {
            if (tags[k].name_len == ne - ns && memcmp(tags[k].name, buf + ns, ne - ns) == 0) {
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

/* b64 value of an ASCII byte: 0..63, 64 for '=', 255 for anything else */
static const uint8_t b64_val[256] = {
    ['A'] = 0,  ['B'] = 1,  ['C'] = 2,  ['D'] = 3,  ['E'] = 4,  ['F'] = 5,  ['G'] = 6,
    ['H'] = 7,  ['I'] = 8,  ['J'] = 9,  ['K'] = 10, ['L'] = 11, ['M'] = 12, ['N'] = 13,
    ['O'] = 14, ['P'] = 15, ['Q'] = 16, ['R'] = 17, ['S'] = 18, ['T'] = 19, ['U'] = 20,
    ['V'] = 21, ['W'] = 22, ['X'] = 23, ['Y'] = 24, ['Z'] = 25, ['a'] = 26, ['b'] = 27,
    ['c'] = 28, ['d'] = 29, ['e'] = 30, ['f'] = 31, ['g'] = 32, ['h'] = 33, ['i'] = 34,
    ['j'] = 35, ['k'] = 36, ['l'] = 37, ['m'] = 38, ['n'] = 39, ['o'] = 40, ['p'] = 41,
    ['q'] = 42, ['r'] = 43, ['s'] = 44, ['t'] = 45, ['u'] = 46, ['v'] = 47, ['w'] = 48,
    ['x'] = 49, ['y'] = 50, ['z'] = 51, ['0'] = 52, ['1'] = 53, ['2'] = 54, ['3'] = 55,
    ['4'] = 56, ['5'] = 57, ['6'] = 58, ['7'] = 59, ['8'] = 60, ['9'] = 61, ['+'] = 62,
    ['/'] = 63, ['='] = 64,
};

/* b64_class - value of c, or 255 when c is not in the alphabet ('A' maps
 * to 0 in the table, so it is told apart from unset entries here) */
static uint8_t b64_class(uint8_t c)
{
    if (c == 'A')
        return 0;
    if (b64_val[c] == 0)
        return 255;
    return b64_val[c];
}

/* dkim_b64_decode - base64 with whitespace anywhere */
int dkim_b64_decode(const uint8_t *buf, size_t len, struct ink_str *out, size_t *erroff)
{
    uint32_t acc = 0;
    size_t i, nq = 0, npad = 0, last = 0;
    uint8_t b3[3];

    *erroff = 0;
    if (ink_str_reserve(out, len / 4 * 3 + 3) < 0)
        return -1;
    for (i = 0; i < len; i++) {
        uint8_t c = buf[i], v;

        if (dkim_is_ws(c))
            continue;
        v = b64_class(c);
        if (v == 255) {
            *erroff = i;
            return -1;
        }
        if (v == 64) {
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
            continue;
        }
        if (npad) { /* data after '=' */
            *erroff = i;
            return -1;
        }
        acc = acc << 6 | v;
        nq++;
        last = i;
        if (nq == 4) {
            b3[0] = (uint8_t)(acc >> 16);
            b3[1] = (uint8_t)(acc >> 8);
            b3[2] = (uint8_t)acc;
            ink_str_append(out, b3, 3);
            acc = 0;
            nq = 0;
        }
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
            b3[0] = (uint8_t)(acc >> 16);
            b3[1] = (uint8_t)(acc >> 8);
            ink_str_append(out, b3, 2);
        } else {
            acc <<= 12;
            b3[0] = (uint8_t)(acc >> 16);
            ink_str_append(out, b3, 1);
        }
        return 0;
    }
    if (nq == 0)
        return 0;
    /* unpadded tail (tolerated: some signers drop the padding) */
    if (nq == 1) {
        *erroff = last;
        return -1;
    }
    if (nq == 2) {
        acc <<= 12;
        b3[0] = (uint8_t)(acc >> 16);
        ink_str_append(out, b3, 1);
    } else {
        acc <<= 6;
        b3[0] = (uint8_t)(acc >> 16);
        b3[1] = (uint8_t)(acc >> 8);
        ink_str_append(out, b3, 2);
    }
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
