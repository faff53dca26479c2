/*
 * fuzz_dkim_canon.c - libFuzzer target for both DKIM canonicalizers
 * (RFC 6376 section 3.4): the streaming body canonicalizer, simple and
 * relaxed, and the one-field header canonicalizer.
 *
 * The first input byte chooses: bit 0 relaxed/simple, bit 1 the LF-to-
 * CRLF flag, bit 2 body or header, the rest seeds how the body is cut
 * into pushes.  Checks:
 *   - cutting the body into pushes of any sizes never changes the output
 *     (the streaming state across chunk boundaries is the risky part);
 *   - on input whose line ends are unambiguous (CRLF only, or LF too when
 *     the flag is set; no bare CR), the output equals a plain in-memory
 *     reference written here from the RFC text (a differential oracle);
 *   - relaxed output is a fixed point (canonicalizing it again changes
 *     nothing), and the header output always ends in CRLF;
 *   - every scanner this build and CPU have (scalar, SSE2, AVX2: the
 *     internal DKIM_BODY_SCAN_* flags) gives the same output, cut or not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/dkim.h"
#include "dkim_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* die - a broken promise: say which, then crash for libFuzzer */
static void die(const char *what)
{
    fprintf(stderr, "fuzz_dkim_canon: %s\n", what);
    abort();
}

/* A growable byte buffer for sink output (ink_str would do too, but the
 * sink must not fail, so grow by hand and abort only on ENOMEM). */
struct buf {
    uint8_t *p;
    size_t len, cap;
};

static void buf_put(struct buf *b, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n > b->cap) {
        size_t ncap = b->cap ? b->cap : 256;
        while (ncap < b->len + n)
            ncap *= 2;
        uint8_t *np = realloc(b->p, ncap);
        if (np == NULL)
            die("out of memory");
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void sink(void *arg, const uint8_t *p, size_t n)
{
    if (n == 0 || p == NULL)
        die("the sink got an empty run");
    buf_put(arg, p, n);
}

/* body_canon - canonicalize in pushes whose sizes come from seed (0: one push) */
static void body_canon(enum ink_dkim_canon c, unsigned flags, const uint8_t *p, size_t n,
                       unsigned seed, struct buf *out)
{
    struct ink_dkim_bodycanon *bc = ink_dkim_bodycanon_new(c, flags, sink, out);
    size_t off = 0, chunk;
    unsigned x = seed;

    if (bc == NULL)
        die("out of memory");
    while (off < n) {
        if (seed == 0) {
            chunk = n - off;
        } else {
            x = x * 1103515245u + 12345u;
            chunk = (x >> 16) % 5 == 0 ? 1 + (x >> 8) % 300 : 1 + (x >> 16) % 7;
            if (chunk > n - off)
                chunk = n - off;
        }
        ink_dkim_bodycanon_push(bc, p + off, chunk);
        off += chunk;
    }
    ink_dkim_bodycanon_end(bc);
    ink_dkim_bodycanon_free(bc);
}

static int is_wsp(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* clean_lines - line ends are unambiguous: every CR starts a CRLF, and a
 * LF not after a CR appears only when lf_ok */
static int clean_lines(const uint8_t *p, size_t n, int lf_ok)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n'))
            return 0;
        if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r') && !lf_ok)
            return 0;
    }
    return 1;
}

/*
 * ref_body - RFC 6376 3.4.3 / 3.4.4 on a whole body held in memory.
 * Lines end at CRLF (or at a bare LF when lf_ok).  A last line without an
 * ending counts as a line (a CRLF is added, as dkimpy and the RFC errata
 * do).  simple: empty lines at the end dropped; an empty body is CRLF.
 * relaxed: WSP at line ends dropped, WSP runs made one SP, then empty
 * lines at the end dropped; an empty result stays empty.
 */
static void ref_body(enum ink_dkim_canon c, int lf_ok, const uint8_t *p, size_t n,
                     struct buf *out)
{
    size_t i = 0, empties = 0;

    while (i < n) {
        size_t s = i, e, next;
        while (i < n && p[i] != '\n' && !(p[i] == '\r' && i + 1 < n && p[i + 1] == '\n'))
            i++;
        e = i;
        if (i >= n)
            next = n;
        else if (p[i] == '\r')
            next = i + 2;
        else
            next = i + 1;
        (void)lf_ok;
        /* the line is p[s, e) */
        {
            struct buf line = {NULL, 0, 0};
            size_t k = s;
            if (c == INK_DKIM_CANON_RELAXED) {
                while (k < e) {
                    if (is_wsp(p[k])) {
                        while (k < e && is_wsp(p[k]))
                            k++;
                        if (k < e)
                            buf_put(&line, (const uint8_t *)" ", 1);
                    } else {
                        buf_put(&line, p + k, 1);
                        k++;
                    }
                }
            } else {
                buf_put(&line, p + s, e - s);
            }
            if (line.len == 0) {
                empties++;
            } else {
                for (; empties > 0; empties--)
                    buf_put(out, (const uint8_t *)"\r\n", 2);
                buf_put(out, line.p, line.len);
                buf_put(out, (const uint8_t *)"\r\n", 2);
            }
            free(line.p);
        }
        i = next;
    }
    if (c == INK_DKIM_CANON_SIMPLE && out->len == 0)
        buf_put(out, (const uint8_t *)"\r\n", 2);
}

/* clean_field - one well-formed field: a name of printable bytes, a colon,
 * CRLF only where a continuation line (starting with WSP) follows, and a
 * final CRLF */
static int clean_field(const uint8_t *p, size_t n)
{
    size_t i;

    if (n < 3 || p[n - 2] != '\r' || p[n - 1] != '\n' || p[0] <= 32 || p[0] >= 127 ||
        p[0] == ':' || memchr(p, ':', n) == NULL)
        return 0;
    for (i = 0; p[i] != ':'; i++)
        if (!(p[i] > 32 && p[i] < 127) && !is_wsp(p[i]))
            return 0;
    for (i = 0; i < n - 2; i++) {
        if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
            return 0;
        if (p[i] == '\r' && (p[i + 1] != '\n' || !is_wsp(p[i + 2])))
            return 0;
    }
    /* no WSP inside the name (only between it and the colon) */
    for (i = 0; p[i] != ':' && !is_wsp(p[i]); i++)
        ;
    for (; p[i] != ':'; i++)
        if (!is_wsp(p[i]))
            return 0;
    return 1;
}

/* ref_header_relaxed - RFC 6376 3.4.2 on one clean field */
static void ref_header_relaxed(const uint8_t *p, size_t n, struct buf *out)
{
    size_t i = 0, colon;
    int sp = 0, any = 0;

    for (colon = 0; p[colon] != ':'; colon++)
        ;
    for (i = 0; i < colon && !is_wsp(p[i]); i++) {
        uint8_t ch = (uint8_t)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
        buf_put(out, &ch, 1);
    }
    buf_put(out, (const uint8_t *)":", 1);
    for (i = colon + 1; i < n - 2; i++) {
        if (p[i] == '\r' || p[i] == '\n')
            continue;
        if (is_wsp(p[i])) {
            sp = 1;
            continue;
        }
        if (sp && any)
            buf_put(out, (const uint8_t *)" ", 1);
        sp = 0;
        any = 1;
        buf_put(out, p + i, 1);
    }
    buf_put(out, (const uint8_t *)"\r\n", 2);
}

static void check_body(enum ink_dkim_canon c, unsigned flags, unsigned seed,
                       const uint8_t *p, size_t n)
{
    struct buf one = {NULL, 0, 0}, cut = {NULL, 0, 0}, ref = {NULL, 0, 0}, again = {NULL, 0, 0};

    body_canon(c, flags, p, n, 0, &one);
    body_canon(c, flags, p, n, seed | 1u, &cut);
    if (one.len != cut.len || (one.len && memcmp(one.p, cut.p, one.len) != 0))
        die("body: cutting the input into pushes changed the output");
    if (one.len >= 2 && (one.p[one.len - 2] != '\r' || one.p[one.len - 1] != '\n'))
        die("body: output does not end with CRLF");
    if (clean_lines(p, n, (flags & INK_DKIM_BODY_LF_TO_CRLF) != 0)) {
        ref_body(c, 1, p, n, &ref);
        if (one.len != ref.len || (one.len && memcmp(one.p, ref.p, one.len) != 0))
            die("body: output differs from the reference");
    }
    {
        /* the best scanner gave one/cut: each forced one must agree */
        static const unsigned scans[] = {DKIM_BODY_SCAN_SCALAR, DKIM_BODY_SCAN_SSE2,
                                         DKIM_BODY_SCAN_AVX2};
        size_t si;
        for (si = 0; si < sizeof(scans) / sizeof(scans[0]); si++) {
            struct buf alt = {NULL, 0, 0};
            if (!dkim_canon_scan_available(scans[si]))
                continue;
            body_canon(c, flags | scans[si], p, n, si == 0 ? 0 : seed | 1u, &alt);
            if (alt.len != one.len || (one.len && memcmp(alt.p, one.p, one.len) != 0))
                die("body: a forced scanner (scalar/SSE2/AVX2) gave other output");
            free(alt.p);
        }
    }
    if (c == INK_DKIM_CANON_RELAXED) {
        body_canon(c, 0, one.p ? one.p : (const uint8_t *)"", one.len, 0, &again);
        if (again.len != one.len || (one.len && memcmp(again.p, one.p, one.len) != 0))
            die("body: relaxed output is not a fixed point");
    }
    free(one.p);
    free(cut.p);
    free(ref.p);
    free(again.p);
}

static void check_header(enum ink_dkim_canon c, const uint8_t *p, size_t n)
{
    struct ink_str out = INK_STR_INIT, again = INK_STR_INIT;
    struct buf ref = {NULL, 0, 0};

    if (ink_dkim_canon_header(c, p, n, &out) != 0)
        goto done; /* ENOMEM */
    if (c == INK_DKIM_CANON_SIMPLE) {
        if (out.len != n || (n && memcmp(out.buf, p, n) != 0))
            die("header: simple changed the field");
        goto done;
    }
    if (out.len < 3 || out.buf[out.len - 2] != '\r' || out.buf[out.len - 1] != '\n' ||
        memchr(out.buf, ':', out.len) == NULL)
        die("header: relaxed output is not NAME:VALUE CRLF");
    if (clean_field(p, n)) {
        ref_header_relaxed(p, n, &ref);
        if (ref.len != out.len || memcmp(ref.p, out.buf, out.len) != 0)
            die("header: relaxed output differs from the reference");
    }
    /* canonical output of a field with a name canonicalizes to itself */
    if (out.buf[0] != ':' && ink_dkim_canon_header(c, (const uint8_t *)out.buf, out.len, &again) == 0 &&
        (again.len != out.len || memcmp(again.buf, out.buf, out.len) != 0))
        die("header: relaxed output is not a fixed point");
done:
    ink_str_free(&out);
    ink_str_free(&again);
    free(ref.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum ink_dkim_canon c;
    unsigned flags, seed;
    uint8_t *copy;

    if (size < 1)
        return 0;
    c = (data[0] & 1) ? INK_DKIM_CANON_RELAXED : INK_DKIM_CANON_SIMPLE;
    flags = (data[0] & 2) ? INK_DKIM_BODY_LF_TO_CRLF : 0;
    seed = data[0] >> 3;
    data++;
    size--;
    /* an exact-size copy so that ASan catches any read past len */
    copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    if (size)
        memcpy(copy, data, size);
    if (data[-1] & 4)
        check_header(c, copy, size);
    else
        check_body(c, flags, seed, copy, size);
    free(copy);
    return 0;
}
