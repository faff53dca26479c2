/*
 * dkim_canon.c - DKIM canonicalization (RFC 6376 section 3.4): header
 * fields one at a time, and the body as a stream.
 *
 * The body canonicalizers pass output on in runs taken straight from the
 * input wherever it is unchanged (almost all of it), so the body is not
 * copied; only the small pieces that change (a collapsed WSP run, CRLFs
 * held back at the end of a chunk) go through a staging buffer, which
 * keeps the number of hash updates low.  Canonicalization and hashing
 * are fused: an unchanged run is passed on every DKIM_FUSE_BLOCK bytes,
 * so the hash reads each block while the scan has just brought it into
 * the L1 cache, instead of the scan walking a whole large chunk first.
 *
 * The relaxed scanner looks at 32 bytes at a time with AVX2 where the
 * CPU has it (chosen at run time), else 16 with SSE2, for the few bytes
 * that need attention (TAB, CR, LF, and a SP followed by WSP or a line
 * end).  The scalar scanner is the reference: every build has it, the
 * internal DKIM_BODY_SCAN_* flags force one scanner (the unit tests and
 * the fuzz target run every case over each), and the meson option
 * -Dsimd=false builds without any SIMD scanner at all.
 */
#include "inkan/dkim.h"
#include "dkim_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if !defined(INK_NO_SIMD) && defined(__SSE2__)
#define DKIM_SSE2 1
#include <emmintrin.h>
#endif
#if !defined(INK_NO_SIMD) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DKIM_AVX2 1
#include <immintrin.h>
#endif

/* Bytes of unchanged input scanned before they are passed to the hash
 * (a quarter of a 32 KB L1 data cache: scanned, then hashed, in cache). */
#define DKIM_FUSE_BLOCK 8192

/* Bytes of small output gathered before they are passed to the sink. */
#define BODY_STAGE_SIZE 4096
/* Runs at least this long go to the sink directly, not via the stage. */
#define BODY_DIRECT_MIN 256

/* The scanners (bc->scan). */
enum scanner { SCAN_SCALAR, SCAN_SSE2, SCAN_AVX2 };

struct ink_dkim_bodycanon {
    enum ink_dkim_canon canon;
    unsigned flags;
    enum scanner scan;
    ink_dkim_sink sink;
    void *arg;
    int line_has_content; /* the current line has output (non-WSP for relaxed) */
    int cr_pend;          /* the previous chunk ended in a CR not yet passed on */
    int wsp_pend;         /* relaxed: a WSP run ended the previous chunk */
    uint64_t empty_pend;  /* empty lines held back (dropped if the body ends) */
    uint64_t out_total;   /* bytes passed on */
    size_t stage_len;
    uint8_t stage[BODY_STAGE_SIZE];
};

static const uint8_t crlf_block[64] = "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
                                      "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";

/* ink_dkim_canon_name - canonicalization as a word */
const char *ink_dkim_canon_name(enum ink_dkim_canon c)
{
    return c == INK_DKIM_CANON_RELAXED ? "relaxed" : "simple";
}

/* stage_flush - pass the staged bytes on */
static void stage_flush(struct ink_dkim_bodycanon *bc)
{
    if (bc->stage_len) {
        bc->sink(bc->arg, bc->stage, bc->stage_len);
        bc->stage_len = 0;
    }
}

/* emit - pass n output bytes on (directly when long, else via the stage) */
static void emit(struct ink_dkim_bodycanon *bc, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    bc->out_total += n;
    if (n >= BODY_DIRECT_MIN) {
        stage_flush(bc);
        bc->sink(bc->arg, p, n);
        return;
    }
    if (bc->stage_len + n > sizeof(bc->stage))
        stage_flush(bc);
    memcpy(bc->stage + bc->stage_len, p, n);
    bc->stage_len += n;
}

/* emit_crlfs - pass n CRLFs on */
static void emit_crlfs(struct ink_dkim_bodycanon *bc, uint64_t n)
{
    while (n > 0) {
        size_t k = n > sizeof(crlf_block) / 2 ? sizeof(crlf_block) / 2 : (size_t)n;
        emit(bc, crlf_block, k * 2);
        n -= k;
    }
}

/* flush_empties - output the held empty lines: content follows them */
static void flush_empties(struct ink_dkim_bodycanon *bc)
{
    if (bc->empty_pend) {
        emit_crlfs(bc, bc->empty_pend);
        bc->empty_pend = 0;
    }
}

/* cpu_has_avx2 - whether this CPU (and the OS) run AVX2 code */
static int cpu_has_avx2(void)
{
#if defined(DKIM_AVX2)
    return __builtin_cpu_supports("avx2");
#else
    return 0;
#endif
}

/* dkim_canon_scan_available - whether this build and CPU have the
 * scanner a DKIM_BODY_SCAN_* flag names */
int dkim_canon_scan_available(unsigned scan_flag)
{
    switch (scan_flag) {
    case DKIM_BODY_SCAN_SCALAR:
        return 1;
    case DKIM_BODY_SCAN_SSE2:
#if defined(DKIM_SSE2)
        return 1;
#else
        return 0;
#endif
    case DKIM_BODY_SCAN_AVX2:
        return cpu_has_avx2();
    default:
        return 0;
    }
}

/* pick_scanner - the scanner flags force (when available), else the best */
static enum scanner pick_scanner(unsigned flags)
{
    if ((flags & DKIM_BODY_SCAN_SCALAR) != 0)
        return SCAN_SCALAR;
    if ((flags & DKIM_BODY_SCAN_SSE2) != 0)
        return dkim_canon_scan_available(DKIM_BODY_SCAN_SSE2) ? SCAN_SSE2 : SCAN_SCALAR;
    if (cpu_has_avx2())
        return SCAN_AVX2;
    return dkim_canon_scan_available(DKIM_BODY_SCAN_SSE2) ? SCAN_SSE2 : SCAN_SCALAR;
}

/* ink_dkim_bodycanon_new - a streaming body canonicalizer */
struct ink_dkim_bodycanon *ink_dkim_bodycanon_new(enum ink_dkim_canon c, unsigned flags,
                                                  ink_dkim_sink sink, void *arg)
{
    /* malloc, not calloc: the stage needs no zeroing, the rest is set here */
    struct ink_dkim_bodycanon *bc = malloc(sizeof(*bc));

    if (bc == NULL)
        return NULL;
    memset(bc, 0, offsetof(struct ink_dkim_bodycanon, stage));
    bc->canon = c;
    bc->flags = flags;
    bc->scan = pick_scanner(flags);
    bc->sink = sink;
    bc->arg = arg;
    return bc;
}

/* ink_dkim_bodycanon_free - release */
void ink_dkim_bodycanon_free(struct ink_dkim_bodycanon *bc)
{
    free(bc);
}

/* is_wsp - SP or HTAB */
static inline int is_wsp(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/*
 * bare_lf_scan - index of the first LF at or after i not preceded by CR
 * (the byte before p[0] is taken as not CR: a CR ending the previous
 * chunk is always held back and dealt with first).  n if none.
 */
static size_t bare_lf_scan(const struct ink_dkim_bodycanon *bc, const uint8_t *p, size_t i,
                           size_t n)
{
    (void)bc; /* the scanner choice: unused in a scalar-only build */
    if (i == 0 && n > 0) {
        if (p[0] == '\n')
            return 0;
        i = 1;
    }
#if defined(DKIM_SSE2)
    if (bc->scan != SCAN_SCALAR) {
        const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
        while (i + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            __m128i pv = _mm_loadu_si128((const __m128i *)(const void *)(p + i - 1));
            __m128i m = _mm_andnot_si128(_mm_cmpeq_epi8(pv, cr), _mm_cmpeq_epi8(v, lf));
            int mask = _mm_movemask_epi8(m);
            if (mask != 0)
                return i + (size_t)__builtin_ctz((unsigned)mask);
            i += 16;
        }
    }
#endif
    for (; i < n; i++)
        if (p[i] == '\n' && p[i - 1] != '\r')
            return i;
    return n;
}

/* emit_lf_normalised - pass [a, b) on with bare LFs turned into CRLF */
static void emit_lf_normalised(struct ink_dkim_bodycanon *bc, const uint8_t *p, size_t a, size_t b)
{
    size_t run = a;

    while (a < b) {
        size_t j = bare_lf_scan(bc, p, a, b);
        if (j >= b)
            break;
        emit(bc, p + run, j - run);
        emit(bc, crlf_block, 2);
        run = a = j + 1;
    }
    emit(bc, p + run, b - run);
}

/* at_line_start - whether position x of the chunk starts a line: after
 * a line end (a CRLF, or a bare LF when those are normalised; without
 * normalisation a bare LF is line content), or at the chunk start when
 * the last chunk ended a line */
static inline int at_line_start(const struct ink_dkim_bodycanon *bc, const uint8_t *p, size_t i,
                                size_t x)
{
    if (x <= i)
        return !bc->line_has_content;
    if (p[x - 1] != '\n')
        return 0;
    return (bc->flags & INK_DKIM_BODY_LF_TO_CRLF) || (x >= i + 2 && p[x - 2] == '\r');
}

/*
 * simple_push - RFC 6376 3.4.3: the body as it is, except that empty
 * lines at the end are dropped.  Only the end of a chunk matters: the
 * complete empty lines there (and a CR that may be half a CRLF) are held
 * back; everything before goes on as one run (bare LFs normalised when
 * asked, found 16 bytes at a time).
 */
static void simple_push(struct ink_dkim_bodycanon *bc, const uint8_t *p, size_t n)
{
    size_t i = 0, end = n, t, ls;
    uint64_t k = 0;
    int lf_ok = (bc->flags & INK_DKIM_BODY_LF_TO_CRLF) != 0, hold_cr = 0, last_has;

    if (bc->cr_pend) {
        bc->cr_pend = 0;
        if (p[0] == '\n') { /* CR LF split over two chunks */
            if (bc->line_has_content)
                emit(bc, crlf_block, 2);
            else
                bc->empty_pend++;
            bc->line_has_content = 0;
            i = 1;
        } else { /* the CR was content */
            flush_empties(bc);
            emit(bc, (const uint8_t *)"\r", 1);
            bc->line_has_content = 1;
        }
    }
    if (i >= n)
        return;
    if (p[n - 1] == '\r') { /* may be the first half of a CRLF */
        hold_cr = 1;
        end = n - 1;
    }
    /* the last (partial) line: [ls, end) */
    ls = end;
    while (ls > i && !at_line_start(bc, p, i, ls))
        ls--;
    last_has = end > ls || (ls == i && bc->line_has_content && end == i);
    t = end;
    if (!last_has) {
        /* count the complete empty lines ending at t */
        for (;;) {
            if (t >= i + 2 && p[t - 1] == '\n' && p[t - 2] == '\r' && at_line_start(bc, p, i, t - 2)) {
                t -= 2;
                k++;
            } else if (lf_ok && t >= i + 1 && p[t - 1] == '\n' && !(t >= i + 2 && p[t - 2] == '\r') &&
                       at_line_start(bc, p, i, t - 1)) {
                t -= 1;
                k++;
            } else {
                break;
            }
        }
    }
    if (t > i) {
        /* content (and empty lines inside it) goes on whole */
        flush_empties(bc);
        if (lf_ok)
            emit_lf_normalised(bc, p, i, t);
        else
            emit(bc, p + i, t - i);
        bc->line_has_content = last_has;
    }
    bc->empty_pend += k;
    if (last_has && t == i)
        bc->line_has_content = 1;
    if (!last_has)
        bc->line_has_content = 0;
    bc->cr_pend = hold_cr;
}

/* relaxed_special - whether byte i (0 < i < n) of the chunk p/n needs
 * attention (see relaxed_scan); the scalar reference of the scanners */
static inline int relaxed_special(const uint8_t *p, size_t i, size_t n)
{
    uint8_t c = p[i], pv = p[i - 1];

    if (c == '\t')
        return 1;
    if (c == ' ')
        return i + 1 == n || is_wsp(p[i + 1]) || p[i + 1] == '\r' || p[i + 1] == '\n';
    if (c == '\r')
        return i + 1 == n || p[i + 1] != '\n' || pv == '\n' || is_wsp(pv);
    return c == '\n' && pv != '\r';
}

#if defined(DKIM_SSE2)
/* relaxed_scan_sse2 - relaxed_special 16 bytes at a time over [i, lim)
 * (i >= 1; looks one byte past each block, so stops 16 + 1 before n):
 * the first special index, or where it stopped (the caller goes on) */
static size_t relaxed_scan_sse2(const uint8_t *p, size_t i, size_t lim, size_t n)
{
    const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
    const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');

    while (i + 17 <= n && i + 16 <= lim) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i nx = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 1));
        __m128i pv = _mm_loadu_si128((const __m128i *)(const void *)(p + i - 1));
        __m128i nx_wsp_eol = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(nx, sp), _mm_cmpeq_epi8(nx, tab)),
                                          _mm_or_si128(_mm_cmpeq_epi8(nx, cr), _mm_cmpeq_epi8(nx, lf)));
        __m128i pv_lf_wsp = _mm_or_si128(_mm_cmpeq_epi8(pv, lf),
                                         _mm_or_si128(_mm_cmpeq_epi8(pv, sp), _mm_cmpeq_epi8(pv, tab)));
        __m128i is_cr = _mm_cmpeq_epi8(v, cr);
        __m128i m = _mm_cmpeq_epi8(v, tab);
        int mask;
        m = _mm_or_si128(m, _mm_and_si128(_mm_cmpeq_epi8(v, sp), nx_wsp_eol));
        m = _mm_or_si128(m, _mm_and_si128(is_cr, _mm_or_si128(pv_lf_wsp,
                                                              _mm_andnot_si128(_mm_cmpeq_epi8(nx, lf),
                                                                               _mm_set1_epi8(-1)))));
        m = _mm_or_si128(m, _mm_andnot_si128(_mm_cmpeq_epi8(pv, cr), _mm_cmpeq_epi8(v, lf)));
        mask = _mm_movemask_epi8(m);
        if (mask != 0)
            return i + (size_t)__builtin_ctz((unsigned)mask);
        i += 16;
    }
    return i;
}
#endif

#if defined(DKIM_AVX2)
/* avx2_block - the relaxed_special mask of the 32 bytes at q (q[-1] and
 * q[32] readable).  "Is SP, TAB, CR or LF" is one table lookup: the four
 * have distinct low nibbles (0, 9, 10, 13), so a byte is one of them
 * exactly when the table entry at its low nibble equals it (a byte with
 * the top bit set looks up 0, which it is not). */
__attribute__((target("avx2"), always_inline)) static inline unsigned avx2_block(const uint8_t *q)
{
    const __m256i wsp_eol = _mm256_setr_epi8(' ', 0, 0, 0, 0, 0, 0, 0, 0, '\t', '\n', 0, 0, '\r', 0, 0,
                                             ' ', 0, 0, 0, 0, 0, 0, 0, 0, '\t', '\n', 0, 0, '\r', 0, 0);
    const __m256i sp = _mm256_set1_epi8(' '), tab = _mm256_set1_epi8('\t');
    const __m256i cr = _mm256_set1_epi8('\r'), lf = _mm256_set1_epi8('\n');
    __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)q);
    __m256i nx = _mm256_loadu_si256((const __m256i *)(const void *)(q + 1));
    __m256i pv = _mm256_loadu_si256((const __m256i *)(const void *)(q - 1));
    __m256i nx_we = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(wsp_eol, nx), nx);
    __m256i pv_we = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(wsp_eol, pv), pv);
    __m256i pv_cr = _mm256_cmpeq_epi8(pv, cr);
    __m256i v_cr = _mm256_cmpeq_epi8(v, cr);
    /* CR: not followed by LF, or after LF/SP/TAB */
    __m256i m_cr = _mm256_and_si256(v_cr, _mm256_or_si256(_mm256_andnot_si256(pv_cr, pv_we),
                                                          _mm256_andnot_si256(_mm256_cmpeq_epi8(nx, lf), v_cr)));
    __m256i m = _mm256_or_si256(_mm256_cmpeq_epi8(v, tab),
                                _mm256_and_si256(_mm256_cmpeq_epi8(v, sp), nx_we));
    m = _mm256_or_si256(m, m_cr);
    m = _mm256_or_si256(m, _mm256_andnot_si256(pv_cr, _mm256_cmpeq_epi8(v, lf)));
    return (unsigned)_mm256_movemask_epi8(m);
}

/* relaxed_scan_avx2 - relaxed_special 64, then 32 bytes at a time, as
 * relaxed_scan_sse2 (two blocks per step halve the loop's own work) */
__attribute__((target("avx2"))) static size_t relaxed_scan_avx2(const uint8_t *p, size_t i,
                                                                 size_t lim, size_t n)
{
    while (i + 65 <= n && i + 64 <= lim) {
        uint64_t mask = (uint64_t)avx2_block(p + i) | ((uint64_t)avx2_block(p + i + 32) << 32);
        if (mask != 0)
            return i + (size_t)__builtin_ctzll(mask);
        i += 64;
    }
    while (i + 33 <= n && i + 32 <= lim) {
        unsigned mask = avx2_block(p + i);
        if (mask != 0)
            return i + (size_t)__builtin_ctz(mask);
        i += 32;
    }
    return i;
}
#endif

/*
 * relaxed_scan - index of the first byte in [i, lim) of the chunk p/n
 * that needs attention in relaxed body canonicalization, or lim: a TAB;
 * a SP followed by WSP, CR, LF or the chunk end; a CR not followed by LF,
 * or at the chunk end, or starting an empty line, or after WSP; a LF not
 * after a CR.  A CRLF after line content is not special, so lines of
 * ordinary text are passed over a block at a time.  The first byte of a
 * chunk is special if it is WSP, CR or LF (what is before it is not in
 * view).  Bytes up to n are looked at to decide about bytes before lim.
 */
static size_t relaxed_scan(const struct ink_dkim_bodycanon *bc, const uint8_t *p, size_t i,
                           size_t lim, size_t n)
{
    if (i == 0) {
        if (lim > 0 && (is_wsp(p[0]) || p[0] == '\r' || p[0] == '\n'))
            return 0;
        i = 1;
    }
    switch (bc->scan) {
#if defined(DKIM_AVX2)
    case SCAN_AVX2:
        i = relaxed_scan_avx2(p, i, lim, n);
        if (i + 33 <= n && i + 32 <= lim)
            return i; /* found in a block */
        break;
#endif
#if defined(DKIM_SSE2)
    case SCAN_SSE2:
        i = relaxed_scan_sse2(p, i, lim, n);
        if (i + 17 <= n && i + 16 <= lim)
            return i;
        break;
#endif
    default:
        break;
    }
    for (; i < lim; i++)
        if (relaxed_special(p, i, n))
            return i;
    return lim;
}

/* segment_state - bytes [a, b) passed over (no special among them):
 * set whether the line holding b has content so far */
static void segment_state(struct ink_dkim_bodycanon *bc, const uint8_t *p, size_t a, size_t b)
{
    const uint8_t *lf;

    if (b <= a)
        return;
    lf = memrchr(p + a, '\n', b - a);
    if (lf == NULL)
        bc->line_has_content = 1;
    else
        bc->line_has_content = (size_t)(lf + 1 - p) < b;
}

/*
 * relaxed_line_end - the line ends at content end e (the line-ending
 * bytes are [e, after)); verbatim says those bytes are a CRLF in the
 * input that can stay in the run.  Updates *run.
 */
static void relaxed_line_end(struct ink_dkim_bodycanon *bc, const uint8_t *p, size_t *run,
                             size_t e, size_t after, int verbatim)
{
    bc->wsp_pend = 0; /* WSP at the end of a line is dropped */
    if (bc->line_has_content) {
        if (!verbatim) {
            emit(bc, p + *run, e - *run);
            emit(bc, crlf_block, 2);
            *run = after;
        }
    } else {
        emit(bc, p + *run, e - *run);
        bc->empty_pend++;
        *run = after;
    }
    bc->line_has_content = 0;
}

/* relaxed_content - output is about to include line content at position
 * a: flush held empty lines first, and a WSP run held from before */
static void relaxed_content(struct ink_dkim_bodycanon *bc, const uint8_t *p, size_t *run,
                            size_t a)
{
    if (!bc->line_has_content && bc->empty_pend) {
        emit(bc, p + *run, a - *run);
        flush_empties(bc);
        *run = a;
    }
    if (bc->wsp_pend) {
        emit(bc, p + *run, a - *run);
        emit(bc, (const uint8_t *)" ", 1);
        *run = a;
        bc->wsp_pend = 0;
    }
    bc->line_has_content = 1;
}

/*
 * relaxed_push - RFC 6376 3.4.4: WSP at line ends removed, other WSP runs
 * made one SP, empty lines at the end dropped.
 */
static void relaxed_push(struct ink_dkim_bodycanon *bc, const uint8_t *p, size_t n)
{
    size_t i = 0, run = 0;
    int lf_ok = (bc->flags & INK_DKIM_BODY_LF_TO_CRLF) != 0;

    if (bc->cr_pend) {
        bc->cr_pend = 0;
        if (p[0] == '\n') {
            /* the held CR and this LF end the line; emit the CRLF ourselves */
            relaxed_line_end(bc, p, &run, 0, 1, 0);
            i = run = 1;
        } else { /* the CR was content */
            relaxed_content(bc, p, &run, 0);
            emit(bc, (const uint8_t *)"\r", 1);
        }
    }
    while (i < n) {
        /* a WSP run continuing one held from the last chunk is handled as
         * a run even when it is a single SP */
        size_t lim = n - i > DKIM_FUSE_BLOCK ? i + DKIM_FUSE_BLOCK : n;
        size_t j = bc->wsp_pend && is_wsp(p[i]) ? i : relaxed_scan(bc, p, i, lim, n);
        uint8_t c;

        if (j > i) { /* ordinary bytes between i and j */
            relaxed_content(bc, p, &run, i);
            segment_state(bc, p, i, j);
        }
        if (j >= n)
            break;
        if (j == lim) {
            /* a block with nothing to change: to the hash while in cache */
            emit(bc, p + run, j - run);
            run = i = j;
            continue;
        }
        c = p[j];
        if (c == '\n') { /* a bare LF (a CRLF is handled at the CR) */
            if (lf_ok)
                relaxed_line_end(bc, p, &run, j, j + 1, 0);
            else
                relaxed_content(bc, p, &run, j);
            i = j + 1;
        } else if (c == '\r') {
            if (j + 1 == n) { /* maybe half a CRLF: hold it */
                emit(bc, p + run, j - run);
                run = n;
                bc->cr_pend = 1;
                i = n;
            } else if (p[j + 1] == '\n') {
                relaxed_line_end(bc, p, &run, j, j + 2, 1);
                i = j + 2;
            } else { /* a bare CR is content */
                relaxed_content(bc, p, &run, j);
                i = j + 1;
            }
        } else { /* a WSP run starting at j */
            size_t k = j;
            while (k < n && is_wsp(p[k]))
                k++;
            if (k == n) { /* runs to the end of the chunk: decide later */
                emit(bc, p + run, j - run);
                run = n;
                bc->wsp_pend = 1;
                i = n;
            } else if ((p[k] == '\n' && lf_ok) ||
                       (p[k] == '\r' && (k + 1 == n || p[k + 1] == '\n'))) {
                /* trailing WSP (or WSP then a CR that may end the line): drop
                 * it now; a CR that turns out to be content brings it back */
                emit(bc, p + run, j - run);
                run = k;
                if (p[k] == '\r' && k + 1 == n)
                    bc->wsp_pend = 1;
                i = k;
                if (p[k] == '\n' && !lf_ok) {
                    /* a bare LF that is not a line end: the WSP was not trailing */
                    bc->wsp_pend = 1;
                    relaxed_content(bc, p, &run, k);
                }
            } else if (k - j == 1 && p[j] == ' ' && !bc->wsp_pend) {
                /* one SP followed by content: unchanged */
                relaxed_content(bc, p, &run, j);
                i = k;
            } else {
                /* WSP then content: one SP */
                bc->wsp_pend = 1;
                emit(bc, p + run, j - run);
                run = k;
                relaxed_content(bc, p, &run, k);
                i = k;
            }
        }
    }
    if (run < n)
        emit(bc, p + run, n - run);
}

/* ink_dkim_bodycanon_push - canonicalize the next chunk */
void ink_dkim_bodycanon_push(struct ink_dkim_bodycanon *bc, const uint8_t *buf, size_t len)
{
    if (len == 0)
        return;
    if (bc->canon == INK_DKIM_CANON_RELAXED)
        relaxed_push(bc, buf, len);
    else
        simple_push(bc, buf, len);
}

/* ink_dkim_bodycanon_flush - pass staged output on */
void ink_dkim_bodycanon_flush(struct ink_dkim_bodycanon *bc)
{
    stage_flush(bc);
}

/* ink_dkim_bodycanon_wsp_at_end - an unterminated last line ends in WSP */
int ink_dkim_bodycanon_wsp_at_end(const struct ink_dkim_bodycanon *bc)
{
    return bc->canon == INK_DKIM_CANON_RELAXED && bc->wsp_pend && bc->line_has_content &&
           !bc->cr_pend;
}

/* ink_dkim_bodycanon_end - finish the body */
void ink_dkim_bodycanon_end(struct ink_dkim_bodycanon *bc)
{
    if (bc->cr_pend) { /* a CR at the very end is content */
        bc->cr_pend = 0;
        if (!bc->line_has_content)
            flush_empties(bc);
        if (bc->wsp_pend && bc->canon == INK_DKIM_CANON_RELAXED)
            emit(bc, (const uint8_t *)" ", 1);
        bc->wsp_pend = 0;
        emit(bc, (const uint8_t *)"\r", 1);
        bc->line_has_content = 1;
    }
    if (bc->line_has_content) /* no CRLF at the end: add one */
        emit(bc, crlf_block, 2);
    else if (bc->canon == INK_DKIM_CANON_SIMPLE && bc->out_total == 0)
        emit(bc, crlf_block, 2); /* simple: an empty body is one CRLF */
    bc->line_has_content = 0;
    bc->empty_pend = 0;
    bc->wsp_pend = 0;
    stage_flush(bc);
}

/* ---- header fields ---- */

/* ink_dkim_canon_header - one field in canonical form */
int ink_dkim_canon_header(enum ink_dkim_canon c, const uint8_t *f, size_t len,
                          struct ink_str *out)
{
    size_t i, nl, start;
    int sp = 0, rc = 0;

    if (c == INK_DKIM_CANON_SIMPLE)
        return ink_str_append(out, f, len);
    if (ink_str_reserve(out, len + 3) < 0)
        return -1;
    /* the name, lower-cased, up to WSP or the colon */
    for (nl = 0; nl < len && f[nl] != ':' && !is_wsp(f[nl]) && f[nl] != '\r' && f[nl] != '\n';
         nl++) {
        uint8_t ch = f[nl];
        out->buf[out->len++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    i = nl;
    while (i < len && f[i] != ':')
        i++;
    out->buf[out->len++] = ':';
    i = i < len ? i + 1 : len;
    /* the value: unfold (drop CRLF), WSP runs to one SP, trim both ends */
    start = out->len;
    for (; i < len; i++) {
        uint8_t ch = f[i];
        if (ch > ' ') {
            /* a run of visible (or 8-bit) bytes goes over whole */
            size_t j = i + 1;
            while (j < len && f[j] > ' ')
                j++;
            if (sp && out->len > start)
                out->buf[out->len++] = ' ';
            sp = 0;
            memcpy(out->buf + out->len, f + i, j - i);
            out->len += j - i;
            i = j - 1;
            continue;
        }
        if (ch == '\r' && i + 1 < len && f[i + 1] == '\n') {
            i++;
            continue;
        }
        if (ch == '\n') /* a bare LF left in (no normalisation) unfolds too */
            continue;
        if (is_wsp(ch)) {
            sp = 1;
            continue;
        }
        if (sp && out->len > start)
            out->buf[out->len++] = ' ';
        sp = 0;
        out->buf[out->len++] = (char)ch;
    }
    out->buf[out->len++] = '\r';
    out->buf[out->len++] = '\n';
    out->buf[out->len] = '\0';
    return rc;
}
