/*
 * test_dkim_sig.c - the DKIM-Signature tag list (RFC 6376 3.5): values,
 * defaults, and every reason a signature is unusable, with offsets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/dkim.h"

#define BH "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="
#define BASE "v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=" BH "; b=AAAA"

static struct ink_dkim_sig *parse(const char *s)
{
    struct ink_dkim_sig *g = ink_dkim_sig_parse((const uint8_t *)s, strlen(s));

    assert_non_null(g);
    return g;
}

/* expect_bad - s does not parse, for reason why, at the offset where
 * marker last occurs in s (NULL: do not check the offset) */
static void expect_bad(const char *s, const char *why, const char *marker)
{
    struct ink_dkim_sig *g = parse(s);
    size_t off = (size_t)-1;
    const char *p, *m = NULL;

    for (p = marker ? strstr(s, marker) : NULL; p != NULL; p = strstr(p + 1, marker))
        m = p;
    if (m != NULL)
        off = (size_t)(m - s);

    if (g->ok)
        fail_msg("'%s' parsed, wanted '%s'", s, why);
    if (strstr(g->why, why) == NULL)
        fail_msg("'%s': reason '%s', wanted '%s'", s, g->why, why);
    if (off != (size_t)-1 && g->why_off != off)
        fail_msg("'%s': offset %zu, wanted %zu", s, g->why_off, off);
    ink_dkim_sig_free(g);
}

static void test_good(void **state)
{
    struct ink_dkim_sig *g;
    const char *v = " v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n d=Football.Example.COM.;"
                    " i=joe@mail.football.example.com; q=dns/txt; s=brisbane;\r\n"
                    " t=1528637909; x=1528637999; l=42; h=from : to :\r\n subject;"
                    " bh=" BH ";\r\n b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
                    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n";

    (void)state;
    g = parse(v);
    assert_true(g->ok);
    assert_int_equal(g->alg, INK_DKIM_ALG_ED25519_SHA256);
    assert_int_equal(g->hcanon, INK_DKIM_CANON_RELAXED);
    assert_int_equal(g->bcanon, INK_DKIM_CANON_RELAXED);
    assert_string_equal(g->d, "football.example.com");
    assert_string_equal(g->s, "brisbane");
    assert_string_equal(g->i, "joe@mail.football.example.com");
    assert_string_equal(g->i_domain, "mail.football.example.com");
    assert_int_equal(g->nh, 3);
    assert_string_equal(g->h[0], "from");
    assert_string_equal(g->h[2], "subject");
    assert_int_equal(g->bhlen, 32);
    assert_int_equal(g->blen, 64);
    assert_true(g->has_l && g->l == 42);
    assert_true(g->has_t && g->t == 1528637909);
    assert_true(g->has_x && g->x == 1528637999);
    /* the b= value with its surrounding whitespace, to be blanked */
    assert_memory_equal(v + g->b_val_start, "/gCrinpc", 8);
    assert_int_equal(g->b_val_end, strlen(v));
    ink_dkim_sig_free(g);

    /* defaults: c=simple/simple, i=@d */
    g = parse(BASE);
    assert_true(g->ok);
    assert_int_equal(g->hcanon, INK_DKIM_CANON_SIMPLE);
    assert_int_equal(g->bcanon, INK_DKIM_CANON_SIMPLE);
    assert_string_equal(g->i, "@example.com");
    assert_false(g->has_l);
    ink_dkim_sig_free(g);
    /* c=relaxed alone means relaxed/simple */
    g = parse(BASE "; c=relaxed");
    assert_int_equal(g->hcanon, INK_DKIM_CANON_RELAXED);
    assert_int_equal(g->bcanon, INK_DKIM_CANON_SIMPLE);
    ink_dkim_sig_free(g);
    /* rsa-sha1 parses: the verifier refuses it with a reason */
    g = parse("v=1; a=rsa-sha1; d=example.com; s=sel; h=from; bh=" BH "; b=AAAA");
    assert_true(g->ok);
    assert_int_equal(g->alg, INK_DKIM_ALG_RSA_SHA1);
    ink_dkim_sig_free(g);
    /* unknown tags are ignored */
    g = parse(BASE "; zz=whatever");
    assert_true(g->ok);
    ink_dkim_sig_free(g);
}

static void test_bad(void **state)
{
    (void)state;
    expect_bad("a=rsa-sha256; d=example.com; s=sel; h=from; bh=" BH "; b=AAAA", "v= is missing", NULL);
    expect_bad("v=1; a=rsa-sha256; d=example.com; h=from; bh=" BH "; b=AAAA", "s= is missing", NULL);
    expect_bad("v=1; a=rsa-sha256; d=example.com; s=sel; bh=" BH "; b=AAAA", "h= is missing", NULL);
    expect_bad("v=1; a=rsa-sha256; s=sel; h=from; bh=" BH "; b=AAAA", "d= is missing", NULL);
    expect_bad("v=2; a=rsa-sha256; d=example.com; s=sel; h=from; bh=" BH "; b=AAAA", "v=2", "2;");
    expect_bad(BASE "; d=other.com", "twice", "d=other");
    expect_bad("v=1; a=rsa-md5; d=example.com; s=sel; h=from; bh=" BH "; b=AAAA", "unknown algorithm", "rsa-md5");
    expect_bad("v=1; a=rsa-sha256; d=example.com; s=sel; h=to:subject; bh=" BH "; b=AAAA",
               "does not include From", "to:subject");
    expect_bad("v=1; a=rsa-sha256; d=example.com; s=sel; h=from::to; bh=" BH "; b=AAAA",
               "empty header name", ":to");
    expect_bad("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=" BH "; b=AA$A",
               "b= is not valid base64", "$");
    expect_bad("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=2jUS!; b=AAAA",
               "bh= is not valid base64", "!");
    expect_bad(BASE "; c=relaxed/fancy", "unknown canonicalization", "relaxed/fancy");
    expect_bad(BASE "; i=joe@evil.example.net", "not d=example.com", "joe@evil");
    expect_bad(BASE "; i=joe.example.com", "no '@'", "joe.example");
    expect_bad(BASE "; l=12x", "l= is not", "12x");
    expect_bad(BASE "; t=100; x=50", "x= (50) is before t= (100)", "50");
    expect_bad(BASE "; t=1234567890123", "t= is not", "1234567890123");
    expect_bad(BASE "; q=http/well-known", "dns/txt", "http/");
    expect_bad(BASE "; 9x=1", "must start with a letter", "9x");
    expect_bad(BASE "; s2", "has no '='", "s2");
    expect_bad("v=1; a=rsa-sha256; d=exa mple.com; s=sel; h=from; bh=" BH "; b=AAAA",
               "not a domain name", " mple");
    expect_bad("v=1; a=rsa-sha256; d=example.com; s=a..b; h=from; bh=" BH "; b=AAAA",
               "not a valid selector", ".b; h");
    /* control bytes in a value, found at their offset (the check takes
     * a whole value at once, then looks for where) */
    expect_bad(BASE "; z=abc\001def", "control byte 0x01", "\001");
    expect_bad(BASE "; z=abcdefghijklmnopqrstuvwxyz\177", "control byte 0x7f", "\177");
    expect_bad(BASE "; z=a\033b\002c", "control byte 0x1b", "\033");
}

static void test_i_subdomain_and_q_list(void **state)
{
    struct ink_dkim_sig *g;

    (void)state;
    g = parse(BASE "; i=@EXAMPLE.com; q=foo/bar:dns/txt");
    assert_true(g->ok);
    ink_dkim_sig_free(g);
    g = parse(BASE "; i=user@a.b.example.com");
    assert_true(g->ok);
    assert_string_equal(g->i_domain, "a.b.example.com");
    ink_dkim_sig_free(g);
    /* notexample.com is not below example.com */
    expect_bad(BASE "; i=@notexample.com", "not d=", "@notexample");
}

/* sig_ds - a signature with the given d= and s= */
static char *sig_ds(const char *d, const char *sel, const char *extra)
{
    static char buf[1024];

    snprintf(buf, sizeof(buf), "v=1; a=rsa-sha256; d=%s; s=%s; h=from; bh=" BH "; b=AAAA%s", d,
             sel, extra);
    return buf;
}

/* d= and s= follow RFC 6376's syntax exactly: anything else would be
 * written into Authentication-Results as it is (issue 8) */
static void test_d_s_syntax(void **state)
{
    static const struct {
        const char *d, *marker;
    } bad_d[] = {
        {"legitimate.com(.attacker.com", "(.attacker"},
        {"exa\"mple.com", "\"mple"},
        {"example.com,evil.com", ",evil"},
        {"example.com/x", "/x"},
        {"-example.com", "-example"},
        {"example-.com", "-.com"},
        {"com", NULL},
        {"ex\xc3\xa4mple.com", "\xc3"},
        {"_dmarc.example.com", "_dmarc"},
        {"ex_ample.com", "_ample"},
        {"example..com", ".com;"},
        {".example.com", ".example"},
    };
    static const struct {
        const char *s, *marker;
    } bad_s[] = {
        {"te(st", "(st"},
        {"te_st", "_st"},
        {"-sel", "-sel"},
        {"sel-", "-; h"},
        {"s\"el", "\"el"},
        {"sel.", NULL},
    };
    char label64[80], d[128];
    struct ink_dkim_sig *g;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_d) / sizeof(bad_d[0]); i++)
        expect_bad(sig_ds(bad_d[i].d, "sel", ""), "is not a domain name", bad_d[i].marker);
    for (i = 0; i < sizeof(bad_s) / sizeof(bad_s[0]); i++)
        expect_bad(sig_ds("example.com", bad_s[i].s, ""), "is not a valid selector",
                   bad_s[i].marker);
    memset(label64, 'a', 64);
    label64[64] = '\0';
    snprintf(d, sizeof(d), "%s.com", label64);
    expect_bad(sig_ds(d, "sel", ""), "label longer than 63", NULL);
    /* what is allowed: digits, inner hyphens, A-labels, dotted selectors */
    g = parse(sig_ds("xn--bcher-kva.example", "2024-01.mail", ""));
    assert_true(g->ok);
    assert_string_equal(g->d, "xn--bcher-kva.example");
    assert_string_equal(g->s, "2024-01.mail");
    ink_dkim_sig_free(g);
    g = parse(sig_ds("1-2.3com.Example.ORG", "s1", ""));
    assert_true(g->ok);
    assert_string_equal(g->d, "1-2.3com.example.org");
    ink_dkim_sig_free(g);
}

/* i= is dkim-quoted-printable (RFC 6376 3.5): decoded before its
 * syntax is checked */
static void test_i_quoted_printable(void **state)
{
    struct ink_dkim_sig *g;

    (void)state;
    g = parse(BASE "; i=joe=40football=2Eexample.com");
    assert_true(g->ok);
    assert_string_equal(g->i, "joe@football.example.com");
    assert_string_equal(g->i_domain, "football.example.com");
    ink_dkim_sig_free(g);
    g = parse("v=1; a=rsa-sha256; d=football.example.com; s=sel; h=from; bh=" BH
              "; b=AAAA; i=j=3Dx=40FOOTBALL.example.com");
    assert_true(g->ok);
    assert_string_equal(g->i, "j=x@FOOTBALL.example.com");
    ink_dkim_sig_free(g);
    expect_bad(BASE "; i=joe=4@example.com", "dkim-quoted-printable", "=4@");
    expect_bad(BASE "; i=joe=0A@example.com", "dkim-quoted-printable", "=0A");
    expect_bad(BASE "; i=joe@ex(ample.com", "not a domain name", "(ample");
    expect_bad(BASE "; i=joe=40evil=2Enet", "not d=example.com", "joe=40");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_i_subdomain_and_q_list),
        cmocka_unit_test(test_d_s_syntax),
        cmocka_unit_test(test_i_quoted_printable),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
