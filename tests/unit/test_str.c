/*
 * test_str.c - the length-tracked string: growth, binary content,
 * printable escaping and cut-off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/str.h"

static void test_append_binary(void **state)
{
    struct ink_str s = INK_STR_INIT;
    size_t i;

    (void)state;
    assert_string_equal(ink_str_cstr(&s), "");
    assert_int_equal(ink_str_append(&s, "a\0b", 3), 0);
    assert_int_equal(s.len, 3);
    assert_memory_equal(s.buf, "a\0b", 3);
    for (i = 0; i < 1000; i++)
        assert_int_equal(ink_str_putc(&s, 'x'), 0);
    assert_int_equal(s.len, 1003);
    assert_int_equal(s.buf[s.len], '\0');
    ink_str_truncate(&s, 1);
    assert_string_equal(ink_str_cstr(&s), "a");
    ink_str_free(&s);
    ink_str_free(NULL);
}

static void test_printf_and_steal(void **state)
{
    struct ink_str s = INK_STR_INIT;
    char *p;

    (void)state;
    assert_int_equal(ink_str_printf(&s, "%d-%s", 42, "x"), 0);
    assert_int_equal(ink_str_printf(&s, "/%05d", 7), 0);
    assert_string_equal(ink_str_cstr(&s), "42-x/00007");
    p = ink_str_steal(&s);
    assert_string_equal(p, "42-x/00007");
    assert_int_equal(s.len, 0);
    free(p);
}

static void test_overflow_refused(void **state)
{
    struct ink_str s = INK_STR_INIT;

    (void)state;
    assert_int_equal(ink_str_append(&s, "ab", 2), 0);
    assert_int_equal(ink_str_reserve(&s, SIZE_MAX - 1), -1);
    assert_int_equal(ink_str_reserve(&s, INK_STR_MAX), -1);
    assert_string_equal(ink_str_cstr(&s), "ab");
    ink_str_free(&s);
}

static void test_printable(void **state)
{
    struct ink_str s = INK_STR_INIT;

    (void)state;
    assert_int_equal(ink_str_put_printable(&s, "ok\n\x01\xff\\", 6, 100), 0);
    assert_string_equal(ink_str_cstr(&s), "ok\\x0a\\x01\\xff\\x5c");
    ink_str_truncate(&s, 0);
    assert_int_equal(ink_str_put_printable(&s, "abcdef", 6, 3), 0);
    assert_string_equal(ink_str_cstr(&s), "abc...");
    ink_str_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_binary),
        cmocka_unit_test(test_printf_and_steal),
        cmocka_unit_test(test_overflow_refused),
        cmocka_unit_test(test_printable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
