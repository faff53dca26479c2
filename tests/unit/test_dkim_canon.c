/*
 * test_dkim_canon.c - DKIM canonicalization (RFC 6376 3.4): the RFC's own
 * example (3.4.6), header fields, and the streaming body canonicalizers
 * checked against a plain whole-buffer reference on many random bodies
 * cut into chunks at every size, so that no chunk boundary changes the
 * output.  The body tests run once per scanner this build and CPU have
 * (scalar, SSE2, AVX2; dkim_int.h's DKIM_BODY_SCAN_*), so the scalar
 * path is tested on every machine and the SIMD ones where they run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/dkim.h"
#include "dkim_int.h"

/* The scanner the body tests force (a DKIM_BODY_SCAN_* flag, or 0: the
 * best available), set by each group's setup. */
static unsigned scan_flag;

static void collect(void *arg, const uint8_t *p, size_t n)
{
    assert_int_equal(ink_str_append(arg, p, n), 0);
}

/* body - canonicalize in chunks of step bytes (0: one chunk) */
static void body(enum ink_dkim_canon c, unsigned flags, const char *in, size_t len, size_t step,
                 struct ink_str *out)
{
    struct ink_dkim_bodycanon *bc = ink_dkim_bodycanon_new(c, flags | scan_flag, collect, out);
    size_t off = 0;

    assert_non_null(bc);
    if (step == 0)
        step = len ? len : 1;
    while (off < len) {
        size_t n = len - off < step ? len - off : step;
        ink_dkim_bodycanon_push(bc, (const uint8_t *)in + off, n);
        off += n;
    }
    ink_dkim_bodycanon_end(bc);
    ink_dkim_bodycanon_free(bc);
}

static void expect_body(enum ink_dkim_canon c, unsigned flags, const char *in, const char *want)
{
    struct ink_str out = INK_STR_INIT;
    size_t step, len = strlen(in);

    for (step = 0; step <= len; step++) {
        ink_str_truncate(&out, 0);
        body(c, flags, in, len, step, &out);
        if (out.len != strlen(want) || memcmp(ink_str_cstr(&out), want, out.len) != 0)
            fail_msg("canon %d step %zu: input '%s' gave '%s', wanted '%s'", c, step, in,
                     ink_str_cstr(&out), want);
    }
    ink_str_free(&out);
}

/* RFC 6376 section 3.4.6 */
static void test_rfc_example(void **state)
{
    struct ink_str h = INK_STR_INIT;
    const char *a = "A: X\r\n", *b = "B : Y\t\r\n\tZ  \r\n";

    (void)state;
    assert_int_equal(ink_dkim_canon_header(INK_DKIM_CANON_RELAXED, (const uint8_t *)a, strlen(a), &h), 0);
    assert_int_equal(ink_dkim_canon_header(INK_DKIM_CANON_RELAXED, (const uint8_t *)b, strlen(b), &h), 0);
    assert_string_equal(ink_str_cstr(&h), "a:X\r\nb:Y Z\r\n");
    ink_str_truncate(&h, 0);
    assert_int_equal(ink_dkim_canon_header(INK_DKIM_CANON_SIMPLE, (const uint8_t *)a, strlen(a), &h), 0);
    assert_int_equal(ink_dkim_canon_header(INK_DKIM_CANON_SIMPLE, (const uint8_t *)b, strlen(b), &h), 0);
    assert_string_equal(ink_str_cstr(&h), "A: X\r\nB : Y\t\r\n\tZ  \r\n");
    ink_str_free(&h);
    expect_body(INK_DKIM_CANON_RELAXED, 0, " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n");
    expect_body(INK_DKIM_CANON_SIMPLE, 0, " C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n");
}

static void test_body_edges(void **state)
{
    (void)state;
    /* empty body: simple gives one CRLF, relaxed nothing (RFC 6376 3.4.3/3.4.4) */
    expect_body(INK_DKIM_CANON_SIMPLE, 0, "", "\r\n");
    expect_body(INK_DKIM_CANON_RELAXED, 0, "", "");
    expect_body(INK_DKIM_CANON_SIMPLE, 0, "\r\n\r\n", "\r\n");
    expect_body(INK_DKIM_CANON_RELAXED, 0, "\r\n \r\n\t\r\n", "");
    /* no final CRLF: one is added */
    expect_body(INK_DKIM_CANON_SIMPLE, 0, "abc", "abc\r\n");
    expect_body(INK_DKIM_CANON_RELAXED, 0, "abc  ", "abc\r\n");
    /* a lone CR is content; WSP before it is kept (as one SP) */
    expect_body(INK_DKIM_CANON_RELAXED, 0, "a \t\rb\r\n", "a \rb\r\n");
    expect_body(INK_DKIM_CANON_RELAXED, 0, "a  \r", "a \r\r\n");
    expect_body(INK_DKIM_CANON_SIMPLE, 0, "a\r", "a\r\r\n");
    /* bare LF ends lines when asked */
    expect_body(INK_DKIM_CANON_SIMPLE, INK_DKIM_BODY_LF_TO_CRLF, "a\nb \n\n\n", "a\r\nb \r\n");
    expect_body(INK_DKIM_CANON_RELAXED, INK_DKIM_BODY_LF_TO_CRLF, "a\nb \n \n\n", "a\r\nb\r\n");
    /* without the flag a bare LF is a byte of the line */
    expect_body(INK_DKIM_CANON_SIMPLE, 0, "a\nb\r\n", "a\nb\r\n");
    /* leading WSP becomes one SP; empty lines in the middle are kept */
    expect_body(INK_DKIM_CANON_RELAXED, 0, "\t\tx\r\n\r\n  \r\ny\r\n", " x\r\n\r\n\r\ny\r\n");
    /* 8-bit bytes pass unchanged */
    expect_body(INK_DKIM_CANON_RELAXED, 0, "caf\xc3\xa9  \xff\r\n", "caf\xc3\xa9 \xff\r\n");
}

/* ref_body - whole-buffer reference canonicalization */
static void ref_body(enum ink_dkim_canon c, int lfmode, const char *in, size_t len, struct ink_str *out)
{
    struct ink_str line = INK_STR_INIT;
    size_t i = 0, keep;

    while (i < len) {
        int term = 0;
        size_t adv = 1;
        if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n') {
            term = 1;
            adv = 2;
        } else if (lfmode && in[i] == '\n') {
            term = 1;
        }
        if (!term) {
            ink_str_putc(&line, in[i]);
            i++;
            if (i < len)
                continue;
        } else {
            i += adv;
        }
        /* a line is complete (or the body ended without a terminator) */
        if (c == INK_DKIM_CANON_RELAXED) {
            struct ink_str r = INK_STR_INIT;
            size_t k;
            int sp = 0;
            for (k = 0; k < line.len; k++) {
                if (line.buf[k] == ' ' || line.buf[k] == '\t') {
                    sp = 1;
                    continue;
                }
                if (sp)
                    ink_str_putc(&r, ' ');
                sp = 0;
                ink_str_putc(&r, line.buf[k]);
            }
            ink_str_append(out, r.buf ? r.buf : "", r.len);
            ink_str_free(&r);
        } else {
            ink_str_append(out, line.buf ? line.buf : "", line.len);
        }
        ink_str_puts(out, "\r\n");
        ink_str_truncate(&line, 0);
    }
    ink_str_free(&line);
    /* drop empty lines at the end */
    keep = out->len;
    while (keep >= 2 && out->buf[keep - 1] == '\n' && out->buf[keep - 2] == '\r' &&
           (keep == 2 || (out->buf[keep - 3] == '\n' && keep >= 4 && out->buf[keep - 4] == '\r')))
        keep -= 2;
    ink_str_truncate(out, keep);
    if (c == INK_DKIM_CANON_SIMPLE && out->len == 0)
        ink_str_puts(out, "\r\n");
}

static void test_random_bodies_every_chunking(void **state)
{
    static const char *const tok_lf[] = {"a", "b", " ", "\t", "\r", "\r\n", "\n", "\xe9"};
    static const char *const tok_crlf[] = {"a", "b", " ", "\t", "\r", "\r\n", "\xe9"};
    struct ink_str in = INK_STR_INIT, want = INK_STR_INIT, got = INK_STR_INIT;
    unsigned seed = 12345;
    int iter, lfmode, c;

    (void)state;
    for (iter = 0; iter < 10000; iter++) {
        size_t n, k, step;
        lfmode = iter & 1;
        c = (iter >> 1) & 1;
        ink_str_truncate(&in, 0);
        seed = seed * 1103515245u + 12345u;
        n = (seed >> 16) % 32;
        for (k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            if (lfmode)
                ink_str_puts(&in, tok_lf[(seed >> 16) % 8]);
            else
                ink_str_puts(&in, tok_crlf[(seed >> 16) % 7]);
        }
        ink_str_truncate(&want, 0);
        ref_body((enum ink_dkim_canon)c, lfmode, in.buf ? in.buf : "", in.len, &want);
        for (step = 0; step <= in.len; step++) {
            ink_str_truncate(&got, 0);
            body((enum ink_dkim_canon)c, lfmode ? INK_DKIM_BODY_LF_TO_CRLF : 0, in.buf ? in.buf : "",
                 in.len, step, &got);
            if (got.len != want.len || memcmp(got.buf ? got.buf : "", want.buf ? want.buf : "", got.len)) {
                struct ink_str a = INK_STR_INIT, b = INK_STR_INIT, i2 = INK_STR_INIT;
                ink_str_put_printable(&i2, in.buf, in.len, 200);
                ink_str_put_printable(&a, got.buf, got.len, 200);
                ink_str_put_printable(&b, want.buf, want.len, 200);
                fail_msg("%s lf=%d step %zu: '%s' gave '%s', reference '%s'",
                         c ? "relaxed" : "simple", lfmode, step, ink_str_cstr(&i2),
                         ink_str_cstr(&a), ink_str_cstr(&b));
            }
        }
    }
    ink_str_free(&in);
    ink_str_free(&want);
    ink_str_free(&got);
}

/* longer random bodies, so that the 16-byte scanning paths meet every
 * byte class at every position of a block, cut at block-sized steps */
static void test_random_long_bodies(void **state)
{
    static const char *const tok[] = {"word", "x", " ", " ", "\t", "\r", "\r\n", "\r\n", "\n", "  "};
    struct ink_str in = INK_STR_INIT, want = INK_STR_INIT, got = INK_STR_INIT;
    size_t steps[] = {0, 1, 5, 15, 16, 17, 31, 33, 64};
    unsigned seed = 777;
    int iter;

    (void)state;
    for (iter = 0; iter < 3000; iter++) {
        int lfmode = iter & 1, c = (iter >> 1) & 1;
        size_t n, k, si;
        ink_str_truncate(&in, 0);
        seed = seed * 1103515245u + 12345u;
        n = 20 + (seed >> 16) % 120;
        for (k = 0; k < n; k++) {
            size_t t;
            seed = seed * 1103515245u + 12345u;
            t = (seed >> 16) % 10;
            if (!lfmode && t == 8)
                t = 0;
            ink_str_puts(&in, tok[t]);
        }
        ink_str_truncate(&want, 0);
        ref_body((enum ink_dkim_canon)c, lfmode, in.buf, in.len, &want);
        for (si = 0; si < sizeof(steps) / sizeof(steps[0]); si++) {
            ink_str_truncate(&got, 0);
            body((enum ink_dkim_canon)c, lfmode ? INK_DKIM_BODY_LF_TO_CRLF : 0, in.buf, in.len, steps[si], &got);
            if (got.len != want.len || memcmp(got.buf ? got.buf : "", want.buf ? want.buf : "", got.len)) {
                struct ink_str a = INK_STR_INIT, b = INK_STR_INIT, i2 = INK_STR_INIT;
                ink_str_put_printable(&i2, in.buf, in.len, 400);
                ink_str_put_printable(&a, got.buf, got.len, 400);
                ink_str_put_printable(&b, want.buf, want.len, 400);
                fail_msg("%s lf=%d step %zu: '%s' gave '%s', reference '%s'", c ? "relaxed" : "simple",
                         lfmode, steps[si], ink_str_cstr(&i2), ink_str_cstr(&a), ink_str_cstr(&b));
            }
        }
    }
    ink_str_free(&in);
    ink_str_free(&want);
    ink_str_free(&got);
}

static void test_long_runs(void **state)
{
    /* runs far longer than the stage, split at odd places */
    struct ink_str in = INK_STR_INIT, want = INK_STR_INIT, got = INK_STR_INIT;
    size_t i, steps[] = {0, 1, 7, 4095, 4097, 65536};

    (void)state;
    for (i = 0; i < 20000; i++)
        ink_str_puts(&in, (i % 97) == 0 ? "  \t\r\n" : (i % 13) == 0 ? " x" : "word");
    ink_str_puts(&in, "\r\n\r\n\r\n");
    for (int c = 0; c < 2; c++) {
        ink_str_truncate(&want, 0);
        ref_body((enum ink_dkim_canon)c, 0, in.buf, in.len, &want);
        for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
            ink_str_truncate(&got, 0);
            body((enum ink_dkim_canon)c, 0, in.buf, in.len, steps[i], &got);
            assert_int_equal(got.len, want.len);
            assert_memory_equal(got.buf, want.buf, got.len);
        }
    }
    ink_str_free(&in);
    ink_str_free(&want);
    ink_str_free(&got);
}

static void test_header_relaxed(void **state)
{
    struct ink_str h = INK_STR_INIT;
    const char *f = "SUBJECT:\t  hello \r\n   world\t \r\n";

    (void)state;
    assert_int_equal(ink_dkim_canon_header(INK_DKIM_CANON_RELAXED, (const uint8_t *)f, strlen(f), &h), 0);
    assert_string_equal(ink_str_cstr(&h), "subject:hello world\r\n");
    ink_str_truncate(&h, 0);
    f = "X-Empty:   \r\n";
    assert_int_equal(ink_dkim_canon_header(INK_DKIM_CANON_RELAXED, (const uint8_t *)f, strlen(f), &h), 0);
    assert_string_equal(ink_str_cstr(&h), "x-empty:\r\n");
    ink_str_free(&h);
}

/* test_scanners_available - the SIMD scanners exist where they should:
 * on x86-64 the SSE2 one always, and none in a -Dsimd=false build */
static void test_scanners_available(void **state)
{
    (void)state;
    assert_true(dkim_canon_scan_available(DKIM_BODY_SCAN_SCALAR));
#if defined(INK_NO_SIMD)
    assert_false(dkim_canon_scan_available(DKIM_BODY_SCAN_SSE2));
    assert_false(dkim_canon_scan_available(DKIM_BODY_SCAN_AVX2));
#elif defined(__x86_64__)
    assert_true(dkim_canon_scan_available(DKIM_BODY_SCAN_SSE2));
#endif
    assert_false(dkim_canon_scan_available(0x1u)); /* not a scanner flag */
}

/* a scanner group's setup: force the scanner in *state (skip if absent) */
static int use_scanner(void **state)
{
    scan_flag = *(unsigned *)*state;
    return 0;
}

int main(void)
{
    static unsigned scans[] = {0, DKIM_BODY_SCAN_SCALAR, DKIM_BODY_SCAN_SSE2,
                               DKIM_BODY_SCAN_AVX2};
    static const char *const names[] = {"best scanner", "scalar scanner", "SSE2 scanner",
                                        "AVX2 scanner"};
    size_t k;
    int failed = 0;

    for (k = 0; k < sizeof(scans) / sizeof(scans[0]); k++) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_prestate_setup_teardown(test_rfc_example, use_scanner, NULL, &scans[k]),
            cmocka_unit_test_prestate_setup_teardown(test_body_edges, use_scanner, NULL, &scans[k]),
            cmocka_unit_test_prestate_setup_teardown(test_random_bodies_every_chunking, use_scanner,
                                                     NULL, &scans[k]),
            cmocka_unit_test_prestate_setup_teardown(test_random_long_bodies, use_scanner, NULL,
                                                     &scans[k]),
            cmocka_unit_test_prestate_setup_teardown(test_long_runs, use_scanner, NULL, &scans[k]),
        };
        if (scans[k] != 0 && !dkim_canon_scan_available(scans[k])) {
            print_message("%s: not in this build or CPU, skipped\n", names[k]);
            continue;
        }
        failed += _cmocka_run_group_tests(names[k], tests, sizeof(tests) / sizeof(tests[0]), NULL,
                                          NULL);
    }
    {
        const struct CMUnitTest once[] = {
            cmocka_unit_test(test_header_relaxed),
            cmocka_unit_test(test_scanners_available),
        };
        failed += cmocka_run_group_tests_name("header and scanners", once, NULL, NULL);
    }
    return failed;
}
