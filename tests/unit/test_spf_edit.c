/*
 * test_spf_edit.c - the SPF record editor (ink_spf_edit_*): insertion
 * before all/redirect=, replacement and removal of spans, several edits at
 * once, and the rules every edit keeps: one "v=spf1" version, untouched,
 * and the qualifier of every all left whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/spf.h"

/* insert - ink_spf_edit_insert on a C string, expecting rc; the result
 * compared with want when rc is OK */
static void insert(const char *rec, const char *terms, int rc, const char *want)
{
    char *out = (char *)1;

    assert_int_equal(ink_spf_edit_insert(rec, strlen(rec), terms, &out), rc);
    if (rc == INK_SPF_EDIT_OK) {
        assert_non_null(out);
        assert_string_equal(out, want);
        free(out);
    } else {
        assert_null(out);
    }
}

static void test_insert(void **state)
{
    (void)state;
    /* before all, whatever its qualifier, which stays on it */
    insert("v=spf1 mx -all", "include:_spf.example.net", INK_SPF_EDIT_OK,
           "v=spf1 mx include:_spf.example.net -all");
    insert("v=spf1 mx ~all", "ip4:192.0.2.0/24", INK_SPF_EDIT_OK,
           "v=spf1 mx ip4:192.0.2.0/24 ~all");
    insert("v=spf1 ?ALL", "a", INK_SPF_EDIT_OK, "v=spf1 a ?ALL");
    insert("v=spf1 all", "a", INK_SPF_EDIT_OK, "v=spf1 a all");
    /* before redirect= */
    insert("v=spf1 a redirect=_spf.example.com", "ip4:192.0.2.1", INK_SPF_EDIT_OK,
           "v=spf1 a ip4:192.0.2.1 redirect=_spf.example.com");
    insert("v=spf1 Redirect=x.example", "mx", INK_SPF_EDIT_OK, "v=spf1 mx Redirect=x.example");
    /* all in the middle: before the first one, so the terms are evaluated */
    insert("v=spf1 a -all mx", "ip4:192.0.2.1", INK_SPF_EDIT_OK,
           "v=spf1 a ip4:192.0.2.1 -all mx");
    /* neither: after the last term; trailing spaces stay where they are */
    insert("v=spf1 a", "mx", INK_SPF_EDIT_OK, "v=spf1 a mx");
    insert("v=spf1 a   ", "mx", INK_SPF_EDIT_OK, "v=spf1 a mx   ");
    insert("v=spf1", "mx", INK_SPF_EDIT_OK, "v=spf1 mx");
    insert("v=spf1 ", "mx", INK_SPF_EDIT_OK, "v=spf1 mx ");
    /* spaces around the terms do not double */
    insert("v=spf1 -all", "  a mx  ", INK_SPF_EDIT_OK, "v=spf1 a mx -all");
    /* words that only look like all or redirect are terms like others */
    insert("v=spf1 allx exp=redirect -all", "a", INK_SPF_EDIT_OK,
           "v=spf1 allx exp=redirect a -all");
    /* a second record's version, nothing to insert, or no SPF record */
    insert("v=spf1 -all", "v=spf1 a", INK_SPF_EDIT_REFUSED, NULL);
    insert("v=spf1 -all", "a V=SPF1", INK_SPF_EDIT_REFUSED, NULL);
    insert("v=spf1 -all", "   ", INK_SPF_EDIT_REFUSED, NULL);
    insert("v=spf2 -all", "a", INK_SPF_EDIT_REFUSED, NULL);
    insert("", "a", INK_SPF_EDIT_REFUSED, NULL);
}

/* past one 255-byte string is fine: the zone writer splits */
static void test_insert_long(void **state)
{
    char terms[400], want[512];
    char *out = NULL;
    size_t i;

    (void)state;
    memset(terms, 0, sizeof(terms));
    for (i = 0; i < 20; i++)
        snprintf(terms + strlen(terms), sizeof(terms) - strlen(terms), "%sip4:192.0.2.%zu",
                 i ? " " : "", i + 100);
    snprintf(want, sizeof(want), "v=spf1 include:a.example %s -all", terms);
    assert_int_equal(ink_spf_edit_insert("v=spf1 include:a.example -all", 29, terms, &out),
                     INK_SPF_EDIT_OK);
    assert_true(strlen(out) > 255);
    assert_string_equal(out, want);
    free(out);
}

static void test_replace_remove(void **state)
{
    const char *rec = "v=spf1 +all";
    char *out = NULL;

    (void)state;
    /* the whole all term may be replaced: a new qualifier is a choice */
    assert_int_equal(ink_spf_edit_replace(rec, strlen(rec), 7, 4, "~all", &out), INK_SPF_EDIT_OK);
    assert_string_equal(out, "v=spf1 ~all");
    free(out);
    /* but not cut into: dropping or changing just the qualifier */
    assert_int_equal(ink_spf_edit_remove(rec, strlen(rec), 7, 1, &out), INK_SPF_EDIT_REFUSED);
    assert_null(out);
    assert_int_equal(ink_spf_edit_replace(rec, strlen(rec), 8, 3, "mx", &out),
                     INK_SPF_EDIT_REFUSED);
    assert_int_equal(ink_spf_edit_replace(rec, strlen(rec), 9, 0, "x", &out),
                     INK_SPF_EDIT_REFUSED);
    /* the version is no edit's */
    assert_int_equal(ink_spf_edit_replace(rec, strlen(rec), 0, 6, "v=spf2", &out),
                     INK_SPF_EDIT_REFUSED);
    assert_int_equal(ink_spf_edit_remove(rec, strlen(rec), 2, 3, &out), INK_SPF_EDIT_REFUSED);
    /* no second record */
    assert_int_equal(ink_spf_edit_replace(rec, strlen(rec), 7, 4, "-all v=spf1 a", &out),
                     INK_SPF_EDIT_REFUSED);
    /* spans out of the record, NULL text to replace */
    assert_int_equal(ink_spf_edit_remove(rec, strlen(rec), 7, 5, &out), INK_SPF_EDIT_REFUSED);
    assert_int_equal(ink_spf_edit_remove(rec, strlen(rec), 12, 0, &out), INK_SPF_EDIT_REFUSED);
    assert_int_equal(ink_spf_edit_remove(rec, strlen(rec), (size_t)-1, 2, &out),
                     INK_SPF_EDIT_REFUSED);
    assert_int_equal(ink_spf_edit_replace(rec, strlen(rec), 7, 4, NULL, &out),
                     INK_SPF_EDIT_REFUSED);
    /* a removal takes the spaces before the span with it */
    rec = "v=spf1 a  ptr mx -all";
    assert_int_equal(ink_spf_edit_remove(rec, strlen(rec), 10, 3, &out), INK_SPF_EDIT_OK);
    assert_string_equal(out, "v=spf1 a mx -all");
    free(out);
    /* removing the all term whole is allowed (terms after it, say) */
    rec = "v=spf1 a -all mx";
    assert_int_equal(ink_spf_edit_remove(rec, strlen(rec), 14, 2, &out), INK_SPF_EDIT_OK);
    assert_string_equal(out, "v=spf1 a -all");
    free(out);
    assert_int_equal(ink_spf_edit_remove(rec, strlen(rec), 9, 4, &out), INK_SPF_EDIT_OK);
    assert_string_equal(out, "v=spf1 a mx");
    free(out);
    /* an insertion at either edge of all leaves it whole */
    assert_int_equal(ink_spf_edit_replace(rec, strlen(rec), 13, 0, " a:x", &out), INK_SPF_EDIT_OK);
    assert_string_equal(out, "v=spf1 a -all a:x mx");
    free(out);
    /* any record text: the editor only edits what it is told */
    rec = "not spf at all";
    assert_int_equal(ink_spf_edit_replace(rec, strlen(rec), 0, 3, "yes", &out), INK_SPF_EDIT_OK);
    assert_string_equal(out, "yes spf at all");
    free(out);
    /* the input need not be NUL-terminated */
    assert_int_equal(ink_spf_edit_replace("v=spf1 a -allXYZ", 13, 7, 1, "mx", &out),
                     INK_SPF_EDIT_OK);
    assert_string_equal(out, "v=spf1 mx -all");
    free(out);
}

static void test_apply(void **state)
{
    const char *rec = "v=spf1 ptr a:x.example +all";
    struct ink_spf_edit e[3];
    char *out = NULL;

    (void)state;
    /* given in any order, offsets in the original */
    e[0].off = 23;
    e[0].len = 4;
    e[0].text = "-all";
    e[1].off = 7;
    e[1].len = 3;
    e[1].text = NULL;
    e[2].off = 22;
    e[2].len = 0;
    e[2].text = " mx";
    assert_int_equal(ink_spf_edit_apply(rec, strlen(rec), e, 3, &out), INK_SPF_EDIT_OK);
    assert_string_equal(out, "v=spf1 a:x.example mx -all");
    free(out);
    /* overlapping edits are refused */
    e[1].off = 8;
    e[1].len = 18;
    assert_int_equal(ink_spf_edit_apply(rec, strlen(rec), e, 2, &out), INK_SPF_EDIT_REFUSED);
    assert_null(out);
    /* two insertions at one place: their order would be a guess */
    e[0].off = 10;
    e[0].len = 0;
    e[0].text = " a";
    e[1].off = 10;
    e[1].len = 0;
    e[1].text = " b";
    assert_int_equal(ink_spf_edit_apply(rec, strlen(rec), e, 2, &out), INK_SPF_EDIT_REFUSED);
    /* nothing to do: a copy */
    assert_int_equal(ink_spf_edit_apply(rec, strlen(rec), NULL, 0, &out), INK_SPF_EDIT_OK);
    assert_string_equal(out, rec);
    free(out);
    assert_int_equal(ink_spf_edit_apply("", 0, NULL, 0, &out), INK_SPF_EDIT_OK);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(ink_spf_edit_apply(NULL, 0, NULL, 0, &out), INK_SPF_EDIT_REFUSED);
    assert_int_equal(ink_spf_edit_apply(rec, strlen(rec), e, INK_SPF_EDITS_MAX + 1, &out),
                     INK_SPF_EDIT_REFUSED);
}

/* every result of an edit the editor accepts still parses as one record
 * with the qualifier of its all unchanged: random edits of a record */
static void test_random_edits(void **state)
{
    static const char *const texts[] = {NULL, "", " mx", "a", "-all", " include:x.example",
                                        "v=spf1", " ?all"};
    const char *rec = "v=spf1 a mx:m.example -all include:i.example ~all";
    size_t len = strlen(rec);
    uint32_t seed = 7;
    int n;

    (void)state;
    for (n = 0; n < 5000; n++) {
        struct ink_spf_edit e;
        struct ink_spf_record *r;
        char *out = NULL;
        int rc;

        seed = seed * 1103515245u + 12345u;
        e.off = (seed >> 8) % (len + 2);
        seed = seed * 1103515245u + 12345u;
        e.len = (seed >> 8) % 8;
        seed = seed * 1103515245u + 12345u;
        e.text = texts[(seed >> 8) % (sizeof(texts) / sizeof(texts[0]))];
        rc = ink_spf_edit_apply(rec, len, &e, 1, &out);
        if (rc != INK_SPF_EDIT_OK) {
            assert_int_equal(rc, INK_SPF_EDIT_REFUSED);
            assert_null(out);
            continue;
        }
        /* still one version, at the start */
        assert_memory_equal(out, "v=spf1", 6);
        assert_null(strstr(out + 6, "v=spf1"));
        /* each all that survives keeps its qualifier: no bare "all" term */
        r = ink_spf_record_parse((const uint8_t *)out, strlen(out));
        assert_non_null(r);
        {
            size_t i;
            for (i = 0; i < ink_spf_record_nterms(r); i++) {
                const struct ink_spf_term *t = ink_spf_record_term(r, i);
                if (t->kind == INK_SPF_T_ALL)
                    assert_true((t->flags & INK_SPF_TF_QUALIFIED) != 0);
            }
        }
        ink_spf_record_free(r);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert),         cmocka_unit_test(test_insert_long),
        cmocka_unit_test(test_replace_remove), cmocka_unit_test(test_apply),
        cmocka_unit_test(test_random_edits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
