/*
 * test_spf_record.c - the SPF record parser (terms, byte offsets,
 * diagnostics with columns, canonical serialization round trip) and the
 * macro expander (RFC 7208 section 7.4 examples, transformers, escaping,
 * errors).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/spf.h"

/* parse - parse a C string */
static struct ink_spf_record *parse(const char *s)
{
    struct ink_spf_record *r = ink_spf_record_parse((const uint8_t *)s, strlen(s));

    assert_non_null(r);
    return r;
}

/* span_is - a span holds exactly the text want */
static void span_is(struct ink_spf_span sp, const char *want)
{
    assert_int_equal(sp.len, strlen(want));
    assert_memory_equal(sp.p, want, sp.len);
}

static void test_terms_and_offsets(void **state)
{
    const char *txt = "v=spf1 -ip4:192.0.2.0/24 ~a:mail.%{d}/26//64 mx ip6:2001:DB8::/32 "
                      "include:_spf.example.net ?exists:%{ir}.x.example redirect=other.example "
                      "exp=explain.%{d} foo.bar=%{s} ptr all";
    struct ink_spf_record *r = parse(txt);
    const struct ink_spf_term *t;

    (void)state;
    assert_int_equal(ink_spf_record_nerrors(r), 0);
    assert_int_equal(ink_spf_record_nterms(r), 11);

    t = ink_spf_record_term(r, 0);
    assert_int_equal(t->kind, INK_SPF_T_IP4);
    assert_int_equal(t->qual, INK_SPF_QUAL_FAIL);
    assert_int_equal(t->text.off, 7);
    span_is(t->text, "-ip4:192.0.2.0/24");
    span_is(t->arg, "192.0.2.0");
    assert_int_equal(t->arg.off, 12);
    assert_int_equal(t->cidr4, 24);
    assert_memory_equal(t->addr, "\xc0\x00\x02\x00", 4);

    t = ink_spf_record_term(r, 1);
    assert_int_equal(t->kind, INK_SPF_T_A);
    assert_int_equal(t->qual, INK_SPF_QUAL_SOFTFAIL);
    span_is(t->arg, "mail.%{d}");
    assert_int_equal(t->arg.off, 28);
    assert_int_equal(t->cidr4, 26);
    assert_int_equal(t->cidr6, 64);
    assert_true(t->flags & INK_SPF_TF_CIDR4);
    assert_true(t->flags & INK_SPF_TF_CIDR6);
    assert_true(t->flags & INK_SPF_TF_MACRO);

    t = ink_spf_record_term(r, 2);
    assert_int_equal(t->kind, INK_SPF_T_MX);
    assert_int_equal(t->qual, INK_SPF_QUAL_PASS);
    assert_false(t->flags & INK_SPF_TF_QUALIFIED);
    assert_int_equal(t->arg.len, 0);
    assert_int_equal(t->cidr4, 32);
    assert_int_equal(t->cidr6, 128);

    t = ink_spf_record_term(r, 3);
    assert_int_equal(t->kind, INK_SPF_T_IP6);
    assert_int_equal(t->cidr6, 32);
    assert_memory_equal(t->addr, "\x20\x01\x0d\xb8", 4);

    t = ink_spf_record_term(r, 4);
    assert_int_equal(t->kind, INK_SPF_T_INCLUDE);
    span_is(t->arg, "_spf.example.net");

    t = ink_spf_record_term(r, 5);
    assert_int_equal(t->kind, INK_SPF_T_EXISTS);
    assert_int_equal(t->qual, INK_SPF_QUAL_NEUTRAL);

    t = ink_spf_record_redirect(r);
    assert_non_null(t);
    span_is(t->arg, "other.example");
    t = ink_spf_record_exp(r);
    assert_non_null(t);
    span_is(t->arg, "explain.%{d}");

    t = ink_spf_record_term(r, 8);
    assert_int_equal(t->kind, INK_SPF_T_UNKNOWN_MOD);
    span_is(t->name, "foo.bar");
    span_is(t->arg, "%{s}");
    assert_int_equal(ink_spf_record_term(r, 9)->kind, INK_SPF_T_PTR);
    assert_int_equal(ink_spf_record_term(r, 10)->kind, INK_SPF_T_ALL);
    assert_null(ink_spf_record_term(r, 11));
    ink_spf_record_free(r);
}

/* diag_is - the record has exactly one diagnostic, of code at off */
static void diag_is(const char *txt, enum ink_spf_error code, size_t off)
{
    struct ink_spf_record *r = parse(txt);
    const struct ink_spf_diag *d;

    if (ink_spf_record_nerrors(r) != 1)
        fail_msg("%s: %zu errors", txt, ink_spf_record_nerrors(r));
    d = ink_spf_record_error(r, 0);
    if (d->code != code || d->off != off)
        fail_msg("%s: code %d at %zu (%s), want %d at %zu", txt, d->code, d->off, d->reason,
                 code, off);
    assert_non_null(d->reason);
    ink_spf_record_free(r);
}

static void test_errors(void **state)
{
    (void)state;
    diag_is("v=spf2 -all", INK_SPF_E_VERSION, 0);
    diag_is("v=spf1 -all foo:bar", INK_SPF_E_UNKNOWN, 12);
    diag_is("v=spf1 a:1.2.3.4", INK_SPF_E_DOMAIN, 9);
    diag_is("v=spf1 a:museum", INK_SPF_E_DOMAIN, 9);
    diag_is("v=spf1 a:museum.", INK_SPF_E_DOMAIN, 9);
    diag_is("v=spf1 a:foo.-bar", INK_SPF_E_DOMAIN, 9);
    diag_is("v=spf1 ip4:1.2.3.4/33", INK_SPF_E_CIDR, 18);
    diag_is("v=spf1 ip4:1.2.3.4//32", INK_SPF_E_CIDR, 18);
    diag_is("v=spf1 ip4:1.2.3", INK_SPF_E_ADDR, 11);
    diag_is("v=spf1 ip4:01.2.3.4", INK_SPF_E_ADDR, 11);
    diag_is("v=spf1 ip6:1.2.3.4", INK_SPF_E_ADDR, 11);
    diag_is("v=spf1 ip6:::1/129", INK_SPF_E_CIDR, 14);
    diag_is("v=spf1 a/024", INK_SPF_E_CIDR, 8);
    diag_is("v=spf1 mx//129", INK_SPF_E_CIDR, 9);
    diag_is("v=spf1 include:", INK_SPF_E_DOMAIN, 15);
    diag_is("v=spf1 include", INK_SPF_E_SYNTAX, 14);
    diag_is("v=spf1 all:foo", INK_SPF_E_SYNTAX, 10);
    diag_is("v=spf1 -redirect=a.example", INK_SPF_E_MODIFIER, 7);
    diag_is("v=spf1 redirect=a.example redirect=b.example", INK_SPF_E_DUPLICATE, 26);
    diag_is("v=spf1 exists:%{x}.example.com", INK_SPF_E_MACRO, 16);
    diag_is("v=spf1 exists:%{d0}.example.com", INK_SPF_E_MACRO, 17);
    diag_is("v=spf1 exists:%{c}.example.com", INK_SPF_E_MACRO, 16);
    diag_is("v=spf1 a:foo%.example.com", INK_SPF_E_MACRO, 12);
    diag_is("v=spf1 a:\xc3\xa9.example.com", INK_SPF_E_BAD_BYTE, 9);
    diag_is("v=spf1 a:\x01.example.com", INK_SPF_E_BAD_BYTE, 9);
    diag_is("v=spf1 -all\tmx", INK_SPF_E_BAD_BYTE, 11);
    diag_is("v=spf1 a:foo.%{d}.", INK_SPF_E_DOMAIN, 9);
    diag_is("v=spf1 =foo", INK_SPF_E_UNKNOWN, 7);
    diag_is("v=spf1 moo=%", INK_SPF_E_MACRO, 11);
    {
        /* every error is kept, in order, with its own column */
        char rec[1024] = "x=spf1";
        struct ink_spf_record *r;
        size_t i;
        for (i = 0; i < 60; i++)
            strcat(rec, " bad");
        r = parse(rec);
        assert_int_equal(ink_spf_record_nerrors(r), 61);
        assert_int_equal(ink_spf_record_error(r, 0)->code, INK_SPF_E_VERSION);
        for (i = 1; i <= 60; i++) {
            assert_int_equal(ink_spf_record_error(r, i)->code, INK_SPF_E_UNKNOWN);
            assert_int_equal(ink_spf_record_error(r, i)->off, 7 + (i - 1) * 4);
        }
        assert_null(ink_spf_record_error(r, 61));
        ink_spf_record_free(r);
    }
    ink_spf_record_free(NULL);
}

static void test_valid_edge_cases(void **state)
{
    static const char *ok[] = {
        "v=spf1", "V=SPF1 -ALL", "v=spf1   mx   ", "v=spf1 a:foo.xn--zckzah -all",
        "v=spf1 a:%{d}", "v=spf1 a:%%", "v=spf1 a:foo:bar.example.com",
        "v=spf1 a//0 mx/0", "v=spf1 ip4:0.0.0.0/0 ip6:::/0", "v=spf1 exp=%{l}.x.example",
        "v=spf1 a:foo.1-2", "v=spf1 unknown=%{c}%{r}%{t} other=", "v=spf1 ptr:example.com.",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct ink_spf_record *r = parse(ok[i]);
        if (ink_spf_record_nerrors(r) != 0)
            fail_msg("%s: %s at %zu", ok[i], ink_spf_record_error(r, 0)->reason,
                     ink_spf_record_error(r, 0)->off);
        ink_spf_record_free(r);
    }
    assert_true(ink_spf_record_is_spf((const uint8_t *)"v=spf1", 6));
    assert_true(ink_spf_record_is_spf((const uint8_t *)"V=Spf1 -all", 11));
    assert_false(ink_spf_record_is_spf((const uint8_t *)"v=spf10", 7));
    assert_false(ink_spf_record_is_spf((const uint8_t *)"v=spf", 5));
    assert_false(ink_spf_record_is_spf((const uint8_t *)" v=spf1", 7));
}

/* record selection among TXT records: the version may straddle strings,
 * CNAMEs and other text are skipped, more than one is counted */
static void test_select(void **state)
{
    struct ink_dns_answer *a = ink_dns_answer_new("example.com", INK_DNS_TXT, INK_DNS_OK);
    const uint8_t *parts[3] = {(const uint8_t *)"v=sp", (const uint8_t *)"f1", (const uint8_t *)" -all"};
    const uint8_t *other[1] = {(const uint8_t *)"v=spf10 nope"};
    const uint8_t *again[2] = {(const uint8_t *)"v=spf1", (const uint8_t *)""};
    size_t lens[3] = {4, 2, 5}, olen[1] = {12}, alen[2] = {6, 0}, first = 99;

    (void)state;
    assert_non_null(a);
    assert_int_equal(ink_spf_record_select(a, &first), 0);
    assert_int_equal(ink_dns_answer_add_name(a, "example.com", INK_DNS_CNAME, 60, "x.example"), 0);
    assert_int_equal(ink_dns_answer_add_txt(a, "x.example", INK_DNS_TXT, 60, 1, other, olen), 0);
    assert_int_equal(ink_dns_answer_add_txt(a, "x.example", INK_DNS_TXT, 60, 0, NULL, NULL), 0);
    assert_int_equal(ink_dns_answer_add_txt(a, "x.example", INK_DNS_TXT, 60, 3, parts, lens), 0);
    assert_int_equal(ink_spf_record_select(a, &first), 1);
    assert_int_equal(first, 3);
    assert_int_equal(ink_dns_answer_add_txt(a, "x.example", INK_DNS_TXT, 60, 2, again, alen), 0);
    assert_int_equal(ink_spf_record_select(a, &first), 2);
    assert_int_equal(first, 3);
    a->status = INK_DNS_SERVFAIL;
    assert_int_equal(ink_spf_record_select(a, NULL), 0);
    assert_int_equal(ink_spf_record_select(NULL, NULL), 0);
    ink_dns_answer_free(a);
}

/* format_of - canonical text of a record */
static void format_is(const char *txt, const char *want)
{
    struct ink_spf_record *r = parse(txt), *r2;
    struct ink_str out = INK_STR_INIT, out2 = INK_STR_INIT;
    size_t i;

    assert_int_equal(ink_spf_record_format(r, &out), 0);
    assert_string_equal(ink_str_cstr(&out), want);
    /* round trip: parsing the canonical text gives the same terms */
    r2 = parse(ink_str_cstr(&out));
    assert_int_equal(ink_spf_record_nerrors(r2), 0);
    assert_int_equal(ink_spf_record_nterms(r2), ink_spf_record_nterms(r));
    for (i = 0; i < ink_spf_record_nterms(r); i++) {
        const struct ink_spf_term *a = ink_spf_record_term(r, i), *b = ink_spf_record_term(r2, i);
        assert_int_equal(a->kind, b->kind);
        assert_int_equal(a->qual, b->qual);
        assert_int_equal(a->cidr4, b->cidr4);
        assert_int_equal(a->cidr6, b->cidr6);
        assert_memory_equal(a->addr, b->addr, 16);
        assert_int_equal(a->arg.len == 0, b->arg.len == 0);
    }
    assert_int_equal(ink_spf_record_format(r2, &out2), 0);
    assert_string_equal(ink_str_cstr(&out2), want);
    ink_str_free(&out);
    ink_str_free(&out2);
    ink_spf_record_free(r);
    ink_spf_record_free(r2);
}

static void test_format(void **state)
{
    (void)state;
    format_is("v=spf1  +MX  ip6:2001:DB8:0:0::1/64 A:Example.COM/24//48 ~ALL",
              "v=spf1 +mx ip6:2001:db8::1/64 a:Example.COM/24//48 ~all");
    format_is("V=SPF1 include:a.example Redirect=b.example exp=c.example X-Foo=bar",
              "v=spf1 include:a.example redirect=b.example exp=c.example X-Foo=bar");
    format_is("v=spf1 ip4:192.0.2.1 a//64 ?ptr -exists:%{i}.x.example",
              "v=spf1 ip4:192.0.2.1 a//64 ?ptr -exists:%{i}.x.example");
}

/* hostile bytes: every byte value and truncation never crashes */
static void test_any_bytes(void **state)
{
    uint8_t buf[300];
    size_t i, n;

    (void)state;
    for (i = 0; i < 256; i++) {
        memcpy(buf, "v=spf1 a:x", 10);
        buf[10] = (uint8_t)i;
        memcpy(buf + 11, ".example.com/24//64 %{", 22);
        for (n = 0; n <= 33; n++) {
            struct ink_spf_record *r = ink_spf_record_parse(buf, n);
            struct ink_str out = INK_STR_INIT;
            assert_non_null(r);
            assert_int_equal(ink_spf_record_format(r, &out), 0);
            ink_str_free(&out);
            ink_spf_record_free(r);
        }
    }
    {
        size_t big = INK_SPF_RECORD_MAX + 10;
        uint8_t *b = malloc(big);
        struct ink_spf_record *r;
        assert_non_null(b);
        memset(b, 'a', big);
        memcpy(b, "v=spf1 ", 7);
        r = ink_spf_record_parse(b, big);
        assert_int_equal(ink_spf_record_error(r, 0)->code, INK_SPF_E_TOO_LONG);
        ink_spf_record_free(r);
        for (i = 7; i + 1 < big; i += 2)
            b[i] = ' ';
        r = ink_spf_record_parse(b, INK_SPF_RECORD_MAX);
        assert_int_equal(ink_spf_record_error(r, 0)->code, INK_SPF_E_TOO_LONG);
        ink_spf_record_free(r);
        free(b);
    }
}

/* ---- macros ------------------------------------------------------------- */

static struct ink_spf_macro_ctx rfc_ctx(int v6)
{
    struct ink_spf_macro_ctx c;

    memset(&c, 0, sizeof(c));
    c.sender = "strong-bad@email.example.com";
    c.sender_len = strlen(c.sender);
    c.local = "strong-bad";
    c.local_len = strlen(c.local);
    c.sender_domain = "email.example.com";
    c.sender_domain_len = strlen(c.sender_domain);
    c.domain = c.sender_domain;
    c.domain_len = c.sender_domain_len;
    c.helo = "mx.example.org";
    c.helo_len = strlen(c.helo);
    c.now = 1700000000;
    if (v6) {
        c.family = 6;
        memcpy(c.ip, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\xcb\x01", 16);
    } else {
        c.family = 4;
        memcpy(c.ip, "\xc0\x00\x02\x03", 4);
    }
    return c;
}

/* expand_is - expansion of spec in mode equals want */
static void expand_is(const struct ink_spf_macro_ctx *c, enum ink_spf_macro_mode mode,
                      const char *spec, const char *want)
{
    struct ink_str out = INK_STR_INIT;
    struct ink_spf_diag err;
    enum ink_spf_macro_rc rc = ink_spf_macro_expand(spec, strlen(spec), mode, c, &out, &err);

    if (rc != INK_SPF_MACRO_OK)
        fail_msg("%s: rc %d (%s)", spec, rc, rc == INK_SPF_MACRO_ERROR ? err.reason : "");
    if (strcmp(ink_str_cstr(&out), want) != 0)
        fail_msg("%s: got '%s', want '%s'", spec, ink_str_cstr(&out), want);
    ink_str_free(&out);
}

static void test_macro_rfc_examples(void **state)
{
    struct ink_spf_macro_ctx c = rfc_ctx(0), c6 = rfc_ctx(1);
    const enum ink_spf_macro_mode D = INK_SPF_MACRO_DOMAIN;

    (void)state;
    /* RFC 7208 section 7.4 */
    expand_is(&c, D, "%{s}", "strong-bad@email.example.com");
    expand_is(&c, D, "%{o}", "email.example.com");
    expand_is(&c, D, "%{d}", "email.example.com");
    expand_is(&c, D, "%{d4}", "email.example.com");
    expand_is(&c, D, "%{d3}", "email.example.com");
    expand_is(&c, D, "%{d2}", "example.com");
    expand_is(&c, D, "%{d1}", "com");
    expand_is(&c, D, "%{dr}", "com.example.email");
    expand_is(&c, D, "%{d2r}", "example.email");
    expand_is(&c, D, "%{l}", "strong-bad");
    expand_is(&c, D, "%{l-}", "strong.bad");
    expand_is(&c, D, "%{lr}", "strong-bad");
    expand_is(&c, D, "%{lr-}", "bad.strong");
    expand_is(&c, D, "%{l1r-}", "strong");
    expand_is(&c, D, "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com");
    expand_is(&c, D, "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com");
    expand_is(&c, D, "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
              "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
    expand_is(&c, D, "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
              "3.2.0.192.in-addr.strong.lp._spf.example.com");
    expand_is(&c, D, "%{d2}.trusted-domains.example.net",
              "example.com.trusted-domains.example.net");
    /* the RFC writes the nibbles in lower case; inkan writes upper case
     * (same DNS name; what the conformance suite's explanations expect) */
    expand_is(&c6, D, "%{ir}.%{v}._spf.%{d2}",
              "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com");
}

static void test_macro_more(void **state)
{
    struct ink_spf_macro_ctx c = rfc_ctx(0), c6 = rfc_ctx(1);
    const enum ink_spf_macro_mode D = INK_SPF_MACRO_DOMAIN, E = INK_SPF_MACRO_EXPLAIN;
    struct ink_str out = INK_STR_INIT;
    struct ink_spf_diag err;
    char longspec[600];
    size_t i;

    (void)state;
    expand_is(&c, E, "%%%_%-", "% %20");
    expand_is(&c, E, "%{S}", "strong-bad%40email.example.com");
    expand_is(&c, E, "%{c} %{r} %{t} %{V} %{H}", "192.0.2.3 unknown 1700000000 in-addr mx.example.org");
    expand_is(&c6, E, "%{c}", "2001:db8::cb01");
    expand_is(&c, D, "%{D200}", "email.example.com");
    expand_is(&c, D, "%{d99999999999}", "email.example.com");
    expand_is(&c, D, "%{l+-}", "strong.bad");
    expand_is(&c, D, "%{sR.-}", "com.example.bad@email.strong");
    expand_is(&c, E, "x y", "x y");
    c.receiver = "rx.example.net";
    c.receiver_len = strlen(c.receiver);
    expand_is(&c, E, "%{r}", "rx.example.net");
    /* %{p} asks for the validated name */
    assert_int_equal(ink_spf_macro_expand("%{p}", 4, D, &c, &out, &err), INK_SPF_MACRO_NEED_P);
    c.validated = "mx.example.com";
    c.validated_len = strlen(c.validated);
    expand_is(&c, D, "%{p2}", "example.com");
    /* errors leave out untouched */
    assert_int_equal(ink_str_puts(&out, "keep"), 0);
    assert_int_equal(ink_spf_macro_expand("a.%{t}", 6, D, &c, &out, &err), INK_SPF_MACRO_ERROR);
    assert_int_equal(err.off, 4);
    assert_int_equal(ink_spf_macro_expand("a b", 3, D, &c, &out, &err), INK_SPF_MACRO_ERROR);
    assert_int_equal(ink_spf_macro_expand("%{d", 3, D, &c, &out, &err), INK_SPF_MACRO_ERROR);
    assert_int_equal(ink_spf_macro_expand("%{dx}", 5, D, &c, &out, &err), INK_SPF_MACRO_ERROR);
    assert_int_equal(err.off, 3);
    assert_int_equal(ink_spf_macro_expand("\x80", 1, E, &c, &out, &err), INK_SPF_MACRO_ERROR);
    assert_string_equal(ink_str_cstr(&out), "keep");
    ink_str_free(&out);
    /* a domain expansion over 253 bytes loses labels on the left */
    longspec[0] = '\0';
    for (i = 0; i < 20; i++)
        strcat(longspec, "%{d}.");
    strcat(longspec, "example");
    assert_int_equal(ink_spf_macro_expand(longspec, strlen(longspec), D, &c, &out, &err),
                     INK_SPF_MACRO_OK);
    assert_true(out.len <= INK_DNS_NAME_MAX);
    assert_true(out.len > 200);
    assert_string_equal(out.buf + out.len - 8, ".example");
    ink_str_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terms_and_offsets),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_valid_edge_cases),
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_any_bytes),
        cmocka_unit_test(test_macro_rfc_examples),
        cmocka_unit_test(test_macro_more),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
