/*
 * test_mailhdr.c - the RFC 5322 header splitter: fields, folding,
 * obsolete syntax, 8-bit bytes, LF normalisation, malformed lines, the
 * end of the header found across any chunking, and the size limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/mailhdr.h"

static const char msg1[] = "From: a@example.com\r\n"
                           "Subject : folded\r\n"
                           "\tover two lines\r\n"
                           "X-8bit: caf\xc3\xa9\r\n"
                           "no colon here\r\n"
                           "To:b@example.net\r\n"
                           "\r\n"
                           "body\r\n";

/* split - push s in chunks of size step; returns the splitter and the
 * body offset in *body */
static struct ink_mailhdr *split(const char *s, size_t len, size_t step, unsigned flags, size_t *body)
{
    struct ink_mailhdr *h = ink_mailhdr_new(flags);
    size_t off = 0, used;
    enum ink_mailhdr_state st = INK_MAILHDR_MORE;

    assert_non_null(h);
    while (off < len && st == INK_MAILHDR_MORE) {
        size_t n = len - off < step ? len - off : step;
        st = ink_mailhdr_push(h, (const uint8_t *)s + off, n, &used);
        off += used;
    }
    if (st == INK_MAILHDR_MORE)
        st = ink_mailhdr_end(h);
    assert_int_equal(st, INK_MAILHDR_DONE);
    *body = off;
    return h;
}

static void check_msg1(struct ink_mailhdr *h, size_t body)
{
    const struct ink_mailhdr_field *f;

    assert_int_equal(body, strlen(msg1) - 6);
    assert_int_equal(ink_mailhdr_count(h), 5);
    f = ink_mailhdr_field(h, 0);
    assert_int_equal(f->name_len, 4);
    assert_true(ink_mailhdr_name_is(f, "from", 4));
    assert_int_equal(f->len, 21);
    assert_int_equal(f->msg_off, 0);
    f = ink_mailhdr_field(h, 1);
    assert_true(ink_mailhdr_name_is(f, "SUBJECT", 7));
    assert_int_equal(f->value_off, 9); /* WSP before the colon (obs-optional) */
    assert_memory_equal(f->raw, "Subject : folded\r\n\tover two lines\r\n", f->len);
    assert_int_equal(f->msg_off, 21);
    f = ink_mailhdr_field(h, 2);
    assert_memory_equal(f->raw + f->value_off, " caf\xc3\xa9\r\n", 8);
    f = ink_mailhdr_field(h, 3);
    assert_true(f->malformed);
    assert_int_equal(f->name_len, 0);
    f = ink_mailhdr_field(h, 4);
    assert_true(ink_mailhdr_name_is(f, "to", 2));
    assert_null(ink_mailhdr_field(h, 5));
}

static void test_fields_any_chunking(void **state)
{
    size_t step, body;

    (void)state;
    for (step = 1; step <= sizeof(msg1); step++) {
        struct ink_mailhdr *h = split(msg1, strlen(msg1), step, 0, &body);
        check_msg1(h, body);
        assert_int_equal(ink_mailhdr_saw_crlf(h), 1);
        ink_mailhdr_free(h);
    }
}

static void test_lf_normalised(void **state)
{
    const char *lf = "From: a@example.com\nSubject : folded\n\tover two lines\nX-8bit: caf\xc3\xa9\n"
                     "no colon here\nTo:b@example.net\n\nbody\n";
    size_t step, body;

    (void)state;
    for (step = 1; step <= 7; step++) {
        struct ink_mailhdr *h = split(lf, strlen(lf), step, INK_MAILHDR_LF_TO_CRLF, &body);
        const struct ink_mailhdr_field *f = ink_mailhdr_field(h, 1);
        assert_int_equal(body, strlen(lf) - 5);
        assert_int_equal(ink_mailhdr_count(h), 5);
        assert_memory_equal(f->raw, "Subject : folded\r\n\tover two lines\r\n", f->len);
        assert_int_equal(f->msg_off, 20); /* offsets are in the input as fed */
        assert_int_equal(ink_mailhdr_saw_crlf(h), 0);
        ink_mailhdr_free(h);
    }
}

static void test_no_body(void **state)
{
    size_t body;
    struct ink_mailhdr *h;
    const struct ink_mailhdr_field *f;

    (void)state;
    /* no empty line, and the last line has no line ending */
    h = split("From: a\r\nSubject: x", 19, 4, 0, &body);
    assert_int_equal(ink_mailhdr_count(h), 2);
    f = ink_mailhdr_field(h, 1);
    assert_memory_equal(f->raw, "Subject: x\r\n", 12);
    ink_mailhdr_free(h);
    /* an empty header: the message starts with the empty line */
    h = split("\r\nbody", 6, 100, 0, &body);
    assert_int_equal(ink_mailhdr_count(h), 0);
    assert_int_equal(body, 2);
    ink_mailhdr_free(h);
}

static void test_leading_continuation(void **state)
{
    size_t body;
    struct ink_mailhdr *h = split(" starts folded\r\nFrom: a\r\n\r\n", 27, 3, 0, &body);

    (void)state;
    assert_int_equal(ink_mailhdr_count(h), 2);
    assert_true(ink_mailhdr_field(h, 0)->malformed);
    ink_mailhdr_free(h);
}

static void test_size_limit(void **state)
{
    struct ink_mailhdr *h = ink_mailhdr_new(0);
    char *big = malloc(INK_MAILHDR_SIZE_MAX + 100);
    size_t used;

    (void)state;
    memset(big, 'a', INK_MAILHDR_SIZE_MAX + 100);
    memcpy(big, "X-Long: ", 8);
    assert_int_equal(ink_mailhdr_push(h, (uint8_t *)big, INK_MAILHDR_SIZE_MAX + 100, &used),
                     INK_MAILHDR_ERROR);
    assert_non_null(strstr(ink_mailhdr_why(h), "larger than 1048576 bytes"));
    /* stays in error */
    assert_int_equal(ink_mailhdr_push(h, (uint8_t *)"\r\n", 2, &used), INK_MAILHDR_ERROR);
    assert_int_equal(ink_mailhdr_end(h), INK_MAILHDR_ERROR);
    free(big);
    ink_mailhdr_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_any_chunking), cmocka_unit_test(test_lf_normalised),
        cmocka_unit_test(test_no_body), cmocka_unit_test(test_leading_continuation),
        cmocka_unit_test(test_size_limit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
