/*
 * test_yamlcheck.c - the one YAML shape check (inkan/yamlcheck.h): depth
 * at the limit passes, one more is refused at its line and column, aliases
 * refused only when asked, a syntax error left for the load, and input
 * without a NUL read to its length only.  The one load (ink_yaml_load):
 * the size limit, the shape check through it, a syntax error at
 * line:column with libyaml's context, the one-document rule only when
 * asked, and an empty input as a document without a root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <yaml.h>

#include "inkan/yamlcheck.h"

static int check(const char *doc, int depth, unsigned flags, struct ink_str *err)
{
    ink_str_truncate(err, 0);
    return ink_yaml_shape_check((const uint8_t *)doc, strlen(doc), depth, flags, "policy", err);
}

static void test_depth(void **state)
{
    struct ink_str err = INK_STR_INIT;
    (void)state;

    assert_int_equal(check("a: [b, {c: d}]\n", 3, 0, &err), 0);
    assert_int_equal(check("a: [b, {c: d}]\n", 2, 0, &err), -1);
    assert_string_equal(ink_str_cstr(&err), "1:8: nested deeper than 2 levels");
    assert_int_equal(check("x: 1\ny:\n  - [[[1]]]\n", 3, 0, &err), -1);
    assert_string_equal(ink_str_cstr(&err), "3:6: nested deeper than 3 levels");
    ink_str_free(&err);
}

static void test_aliases_and_syntax(void **state)
{
    struct ink_str err = INK_STR_INIT;
    const char *doc = "a: &x [1]\nb: *x\n";
    (void)state;

    assert_int_equal(check(doc, 8, 0, &err), 0);
    assert_int_equal(check(doc, 8, INK_YAML_NO_ALIASES, &err), -1);
    assert_string_equal(ink_str_cstr(&err), "2:4: YAML aliases are not allowed in a policy");
    /* a syntax error is the load's to name */
    assert_int_equal(check("a: [1\n", 8, INK_YAML_NO_ALIASES, &err), 0);
    ink_str_free(&err);
}

/* the length is the end: bytes past it (a deeper document) are not read */
static void test_length_not_nul(void **state)
{
    struct ink_str err = INK_STR_INIT;
    const char buf[] = "a: [1]\nb: [[[[1]]]]\n";
    uint8_t *copy = malloc(6);
    (void)state;

    assert_non_null(copy);
    memcpy(copy, buf, 6); /* "a: [1]" without a NUL, at the end of its allocation */
    assert_int_equal(ink_yaml_shape_check(copy, 6, 2, 0, "policy", &err), 0);
    assert_int_equal(ink_yaml_shape_check((const uint8_t *)buf, sizeof buf - 1, 2, 0, "policy", &err), -1);
    free(copy);
    ink_str_free(&err);
}

/* load - ink_yaml_load on a C string; the root node's type, -1 refused,
 * 0 loaded without a root */
static int load(const char *doc, const struct ink_yaml_limits *lim, struct ink_str *err)
{
    yaml_document_t d;
    yaml_node_t *root;
    int type;

    ink_str_truncate(err, 0);
    if (ink_yaml_load((const uint8_t *)doc, strlen(doc), lim, &d, err) < 0) {
        assert_true(err->len > 0);
        return -1;
    }
    assert_int_equal(err->len, 0);
    root = yaml_document_get_root_node(&d);
    type = root != NULL ? (int)root->type : 0;
    yaml_document_delete(&d);
    return type;
}

static void test_load(void **state)
{
    static const struct ink_yaml_limits lim = {"policy", 32, 2, INK_YAML_NO_ALIASES};
    static const struct ink_yaml_limits one = {"profile", 64, 2, INK_YAML_ONE_DOCUMENT};
    struct ink_str err = INK_STR_INIT;
    (void)state;

    assert_int_equal(load("a: [b]\n", &lim, &err), YAML_MAPPING_NODE);
    assert_int_equal(load("", &lim, &err), 0);
    assert_int_equal(load("a: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n", &lim, &err), -1);
    assert_string_equal(ink_str_cstr(&err), "1:1: policy larger than 32 bytes");
    assert_int_equal(load("a: [[b]]\n", &lim, &err), -1);
    assert_string_equal(ink_str_cstr(&err), "1:5: nested deeper than 2 levels");
    assert_int_equal(load("a: &x 1\nb: *x\n", &lim, &err), -1);
    assert_string_equal(ink_str_cstr(&err), "2:4: YAML aliases are not allowed in a policy");
    assert_int_equal(load("a: [b\n", &lim, &err), -1);
    assert_string_equal(ink_str_cstr(&err),
                        "2:1: YAML: did not find expected ',' or ']' (while parsing a flow sequence)");
    /* a second document: read past unless refused */
    assert_int_equal(load("a: 1\n---\nb: 2\n", &lim, &err), YAML_MAPPING_NODE);
    assert_int_equal(load("a: 1\n---\nb: 2\n", &one, &err), -1);
    assert_string_equal(ink_str_cstr(&err), "2:1: a profile file holds one YAML document");
    assert_int_equal(load("a: 1\n---\n[b\n", &one, &err), -1);
    assert_non_null(strstr(ink_str_cstr(&err), "4:1: YAML: "));
    /* "---" alone starts a document (an empty scalar): refused too; "..." ends the first */
    assert_int_equal(load("a: 1\n---\n", &one, &err), -1);
    assert_string_equal(ink_str_cstr(&err), "2:1: a profile file holds one YAML document");
    assert_int_equal(load("a: 1\n...\n", &one, &err), YAML_MAPPING_NODE);
    ink_str_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_aliases_and_syntax),
        cmocka_unit_test(test_length_not_nul),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
