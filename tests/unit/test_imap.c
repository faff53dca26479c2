/*
 * test_imap.c - the two parsers of the IMAP report source
 * (inkan/report_imap.h) over a server's untagged answers: UID SEARCH and
 * CAPABILITY.  Inputs are copied to an exact-size heap block, so reading
 * past len shows under AddressSanitizer; NUL bytes are data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/report_imap.h"

/* search - parse the len bytes of s from an exact-size copy */
static int search(const char *s, size_t len, uint64_t **out, size_t *n, struct ink_str *err)
{
    uint8_t *b = malloc(len ? len : 1);
    int rc;

    assert_non_null(b);
    memcpy(b, s, len);
    rc = ink_imap_search_parse(b, len, out, n, err);
    free(b);
    return rc;
}

static void test_search_lines(void **state)
{
    const char in[] = "* OK still here\r\n* SEARCH 3 17 4294967295\r\n"
                      "* search 9\r\n* SEARCHING 5\r\n";
    struct ink_str err = INK_STR_INIT;
    uint64_t *u;
    size_t n;

    (void)state;
    assert_int_equal(search(in, sizeof(in) - 1, &u, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_true(u[0] == 3 && u[1] == 17 && u[2] == 4294967295ULL && u[3] == 9);
    free(u);
    /* an empty answer, a bare "* SEARCH" and no final line break */
    assert_int_equal(search("", 0, &u, &n, &err), 0);
    assert_null(u);
    assert_int_equal(n, 0);
    assert_int_equal(search("* SEARCH", 8, &u, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(search("* SEARCH 12", 11, &u, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_true(u[0] == 12);
    free(u);
    ink_str_free(&err);
}

static void test_search_refused(void **state)
{
    static const struct {
        const char *in;
        size_t offset;
    } bad[] = {
        {"* SEARCH 1 4294967296\r\n", 11}, /* over 32 bits */
        {"* SEARCH 1 0\r\n", 11},          /* UIDs start at 1 */
        {"* SEARCH 7x\r\n", 9},
        {"* OK\r\n* SEARCH 99999999999999999999999\r\n", 15},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ink_str err = INK_STR_INIT;
        char want[64];
        uint64_t *u = (uint64_t *)&i;
        size_t n = 99;
        assert_int_equal(search(bad[i].in, strlen(bad[i].in), &u, &n, &err), -1);
        assert_null(u);
        assert_int_equal(n, 0);
        snprintf(want, sizeof(want), "at byte %zu", bad[i].offset);
        assert_non_null(strstr(ink_str_cstr(&err), want));
        ink_str_free(&err);
    }
}

static void test_search_nul_is_data(void **state)
{
    /* a NUL inside the line is a bad UID, not the end of the answer */
    const char in[] = "* SEARCH 5\0 6\r\n";
    struct ink_str err = INK_STR_INIT;
    uint64_t *u;
    size_t n;

    (void)state;
    assert_int_equal(search(in, sizeof(in) - 1, &u, &n, &err), -1);
    ink_str_free(&err);
}

static void test_search_cap(void **state)
{
    struct ink_str in = INK_STR_INIT, err = INK_STR_INIT;
    uint64_t *u;
    size_t n, i;

    (void)state;
    ink_str_puts(&in, "* SEARCH");
    for (i = 1; i <= INK_IMAP_MESSAGES_MAX + 10; i++)
        ink_str_printf(&in, " %zu", i);
    assert_int_equal(search(in.buf, in.len, &u, &n, &err), 0);
    assert_int_equal(n, INK_IMAP_MESSAGES_MAX);
    assert_true(u[n - 1] == INK_IMAP_MESSAGES_MAX);
    free(u);
    ink_str_free(&in);
    ink_str_free(&err);
}

static void test_capability(void **state)
{
    const char in[] = "* CAPABILITY IMAP4rev1 UIDPLUS MOVEX\r\n* capability move\r\n";
    uint8_t *b = malloc(sizeof(in) - 1);

    (void)state;
    assert_non_null(b);
    memcpy(b, in, sizeof(in) - 1);
    assert_true(ink_imap_capability_has(b, sizeof(in) - 1, "CAPABILITY", "UIDPLUS"));
    assert_true(ink_imap_capability_has(b, sizeof(in) - 1, "CAPABILITY", "MOVE"));
    /* MOVEX is not MOVE; the first line alone does not name it */
    assert_false(ink_imap_capability_has(b, 38, "CAPABILITY", "MOVE"));
    assert_false(ink_imap_capability_has(b, sizeof(in) - 1, "CAPABILITY", "IDLE"));
    assert_false(ink_imap_capability_has(b, 0, "CAPABILITY", "MOVE"));
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_lines),
        cmocka_unit_test(test_search_refused),
        cmocka_unit_test(test_search_nul_is_data),
        cmocka_unit_test(test_search_cap),
        cmocka_unit_test(test_capability),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
