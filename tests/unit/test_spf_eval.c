/*
 * test_spf_eval.c - check_host() beyond the conformance suite: the state
 * machine's contract (repeatable step, feed without a query, NULL
 * answers, many evaluations in flight), the results API (deciding and
 * matched term, counters, tree), and bad input: include/redirect loops,
 * CNAME loops, a 64 KiB TXT answer, names over 253 bytes or labels over 63
 * after macro expansion, non-ASCII and control bytes in records, macros
 * and identities.  Each gets its RFC result, never a crash or a hang
 * (spf_run_zone gives up after SUITE_QUERY_MAX queries).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "inkan/driver.h"
#include "spf_suite.h"

/* txt - add one TXT string */
static void txt(struct ink_memzone *z, const char *owner, const char *text)
{
    assert_int_equal(ink_memzone_add_txt1(z, owner, INK_DNS_TXT, 300, text, strlen(text)), 0);
}

/* addr - add an A/AAAA record */
static void addr(struct ink_memzone *z, const char *owner, const char *ip)
{
    assert_int_equal(ink_memzone_add_addr_text(z, owner, 300, ip), 0);
}

/* check - evaluate and compare the result; returns the evaluation */
static struct ink_spf *check(const struct ink_memzone *z, const char *ip, const char *from,
                             const char *helo, enum ink_spf_result want)
{
    struct ink_spf *ev = spf_run_zone(z, ip, from, helo, INK_SPF_EF_TREE);

    if (ev == NULL)
        fail_msg("%s from %s: evaluation hung", from, ip);
    if (ink_spf_result(ev) != want)
        fail_msg("%s from %s: got %s (%s), want %s", from, ip,
                 ink_spf_result_name(ink_spf_result(ev)), ink_spf_reason(ev),
                 ink_spf_result_name(want));
    return ev;
}

/* expect - check and free */
static void expect(const struct ink_memzone *z, const char *ip, const char *from,
                   enum ink_spf_result want)
{
    ink_spf_free(check(z, ip, from, "helo.example.org", want));
}

static void test_result_names(void **state)
{
    static const char *names[] = {"none", "neutral", "pass", "fail",
                                  "softfail", "temperror", "permerror"};
    int i;

    (void)state;
    for (i = 0; i < 7; i++) {
        assert_string_equal(ink_spf_result_name((enum ink_spf_result)i), names[i]);
        assert_int_equal(ink_spf_result_from_name(names[i], strlen(names[i])), i);
    }
    assert_int_equal(ink_spf_result_from_name("PASS", 4), INK_SPF_PASS);
    assert_int_equal(ink_spf_result_from_name("passx", 5), -1);
    assert_string_equal(ink_spf_result_name((enum ink_spf_result)99), "permerror");
    assert_null(ink_spf_new(NULL));
    ink_spf_free(NULL);
}

static void test_state_machine(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_spf_params p;
    struct ink_query q, q2;
    struct ink_spf *ev;
    struct ink_dns_answer *a;
    uint32_t tok;

    (void)state;
    txt(z, "example.com", "v=spf1 a -all");
    addr(z, "example.com", "192.0.2.1");
    memset(&p, 0, sizeof(p));
    p.family = 4;
    memcpy(p.ip, "\xc0\x00\x02\x01", 4);
    p.mail_from = "user@Example.COM";
    p.helo = "mx.example.com";
    ev = ink_spf_new(&p);
    assert_non_null(ev);
    assert_int_equal(ink_spf_feed(ev, 1, NULL), -1); /* nothing asked yet */
    assert_int_equal(ink_spf_next(ev, &q), INK_NEXT_READY);
    assert_string_equal(q.name, "example.com"); /* normalised */
    assert_int_equal(q.type, INK_DNS_TXT);
    tok = q.token;
    assert_int_equal(ink_spf_next(ev, &q2), INK_NEXT_WAIT); /* handed out once */
    assert_int_equal(ink_spf_feed(ev, tok + 1, NULL), -1); /* not its token */
    a = ink_memzone_lookup(z, q.name, q.type);
    assert_int_equal(ink_spf_feed(ev, tok, a), 0);
    ink_dns_answer_free(a);
    assert_int_equal(ink_spf_feed(ev, tok, NULL), -1); /* answered already */
    assert_int_equal(ink_spf_next(ev, &q), INK_NEXT_READY);
    assert_string_equal(q.name, "example.com");
    assert_int_equal(q.type, INK_DNS_A);
    assert_int_not_equal(q.token, tok);
    /* the driver could not resolve: a temporary error */
    assert_int_equal(ink_spf_feed(ev, q.token, NULL), 0);
    assert_int_equal(ink_spf_next(ev, &q), INK_NEXT_DONE);
    assert_int_equal(ink_spf_result(ev), INK_SPF_TEMPERROR);
    assert_string_equal(ink_spf_decided_term(ev), "a");
    assert_non_null(strstr(ink_spf_reason(ev), "DNS error"));
    assert_int_equal(ink_spf_next(ev, &q), INK_NEXT_DONE); /* stays done */
    assert_int_equal(ink_spf_feed(ev, q.token, NULL), -1); /* after DONE: ignored */
    assert_int_equal(ink_spf_result(ev), INK_SPF_TEMPERROR);
    ink_spf_free(ev);
    ink_memzone_free(z);
}

/* many evaluations in flight on one thread, run by the driver: identical
 * questions are asked once */
static void test_interleaved(void **state)
{
    enum { N = 64 };
    struct ink_memzone *z = ink_memzone_new();
    struct ink_resolver *r;
    struct ink_driver *d;
    struct ink_driver_opts opts;
    struct ink_driver_stats st;
    struct ink_spf *ev[N];
    struct ink_spf_params p;
    char from[64];
    int i, active;

    (void)state;
    txt(z, "example.com", "v=spf1 include:_spf.example.net mx -all");
    txt(z, "_spf.example.net", "v=spf1 ip4:198.51.100.0/24 ~all");
    assert_int_equal(ink_memzone_add_mx(z, "example.com", 300, 10, "mx.example.com"), 0);
    addr(z, "mx.example.com", "192.0.2.10");
    memset(&p, 0, sizeof(p));
    p.family = 4;
    p.helo = "h.example.org";
    memset(&opts, 0, sizeof(opts));
    opts.no_cache = 1; /* only the questions in flight are shared */
    r = ink_resolver_memzone_new(z, 0);
    assert_non_null(r);
    d = ink_driver_new(r, &opts);
    assert_non_null(d);
    for (i = 0; i < N; i++) {
        snprintf(from, sizeof(from), "u%d@example.com", i);
        p.mail_from = from;
        /* thirds: 198.51.100.x (pass via include), 192.0.2.10 (pass via mx), other (fail) */
        memcpy(p.ip, i % 3 == 0 ? "\xc6\x33\x64\x07" : i % 3 == 1 ? "\xc0\x00\x02\x0a"
                                                                  : "\xcb\x00\x71\x01", 4);
        ev[i] = ink_spf_new(&p);
        assert_non_null(ev[i]);
        assert_int_equal(ink_driver_add(d, ink_spf_machine(ev[i]), NULL, NULL), 0);
    }
    assert_int_equal(ink_driver_run(d), 0);
    active = (int)ink_driver_running(d);
    ink_driver_stats(d, &st);
    /* every evaluation asks example.com TXT at once: one question sent */
    assert_true(st.joined > 0);
    assert_true(st.sent < st.queries);
    ink_driver_free(d);
    ink_resolver_free(r);
    assert_int_equal(active, 0);
    for (i = 0; i < N; i++) {
        enum ink_spf_result want = i % 3 == 2 ? INK_SPF_FAIL : INK_SPF_PASS;
        assert_int_equal(ink_spf_result(ev[i]), want);
        if (i % 3 == 0) {
            assert_string_equal(ink_spf_decided_term(ev[i]), "include:_spf.example.net");
            assert_string_equal(ink_spf_matched_term(ev[i]), "ip4:198.51.100.0/24");
            assert_string_equal(ink_spf_matched_domain(ev[i]), "_spf.example.net");
        }
        ink_spf_free(ev[i]);
    }
    ink_memzone_free(z);
}

static void test_results_api(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_spf *ev;
    const struct ink_spf_node *root, *n;

    (void)state;
    txt(z, "example.com", "v=spf1 include:a.example.net include:b.example.net redirect=c.example.org");
    txt(z, "a.example.net", "v=spf1 ip4:10.0.0.0/8 -all");
    txt(z, "b.example.net", "v=spf1 a:nothing.example.net ?all");
    txt(z, "c.example.org", "v=spf1 -ip6:2001:db8::/32 exp=why.example.org ~all");
    txt(z, "why.example.org", "%{i} is not allowed to send for %{d} (%{o}) at %{t}");

    ev = check(z, "192.0.2.1", "x@example.com", "h.example", INK_SPF_SOFTFAIL);
    assert_null(ink_spf_explanation(ev)); /* only fail has one */
    assert_string_equal(ink_spf_decided_term(ev), "~all");
    assert_string_equal(ink_spf_decided_domain(ev), "c.example.org");
    assert_string_equal(ink_spf_domain(ev), "example.com");
    assert_string_equal(ink_spf_sender(ev), "x@example.com");
    assert_int_equal(ink_spf_dns_lookups(ev), 4); /* include, include, a, redirect */
    assert_int_equal(ink_spf_void_lookups(ev), 1); /* nothing.example.net */
    assert_true(ink_spf_queries(ev) >= 5);
    root = ink_spf_tree(ev);
    assert_non_null(root);
    assert_string_equal(root->domain, "example.com");
    assert_string_equal(root->via, "check_host");
    assert_int_equal(root->result, INK_SPF_SOFTFAIL);
    assert_null(root->parent);
    n = root->child;
    assert_string_equal(n->domain, "a.example.net");
    assert_string_equal(n->via, "include");
    assert_int_equal(n->result, INK_SPF_FAIL);
    assert_string_equal(n->record, "v=spf1 ip4:10.0.0.0/8 -all");
    assert_ptr_equal(n->parent, root);
    n = n->next;
    assert_string_equal(n->domain, "b.example.net");
    assert_int_equal(n->result, INK_SPF_NEUTRAL);
    n = n->next;
    assert_string_equal(n->domain, "c.example.org");
    assert_string_equal(n->via, "redirect");
    assert_int_equal(n->result, INK_SPF_SOFTFAIL);
    assert_null(n->next);
    ink_spf_free(ev);

    /* fail through the redirect: the redirected record's exp=, %{t} from the
     * injected clock, %{d} the redirected domain, %{o} the sender's */
    ev = check(z, "2001:db8::1", "x@example.com", "h.example", INK_SPF_FAIL);
    assert_string_equal(ink_spf_explanation(ev),
                        "2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1 is not "
                        "allowed to send for c.example.org (example.com) at 1700000000");
    assert_string_equal(ink_spf_decided_term(ev), "-ip6:2001:db8::/32");
    ink_spf_free(ev);

    /* no term decides a default neutral, even after a match inside an
     * include that did not count */
    txt(z, "def.example", "v=spf1 include:a.example.net");
    ev = check(z, "192.0.2.1", "x@def.example", "h.example", INK_SPF_NEUTRAL);
    assert_null(ink_spf_decided_term(ev));
    assert_null(ink_spf_matched_term(ev));
    assert_string_equal(ink_spf_reason(ev), "no mechanism matched (default result)");
    ink_spf_free(ev);
    /* an error inside an include names the inner term, or the include when
     * the included record itself is at fault */
    txt(z, "err.example", "v=spf1 include:a.example.net include:voids.example.net -all");
    txt(z, "voids.example.net", "v=spf1 a:n1.example.net a:n2.example.net a:n3.example.net");
    ev = check(z, "192.0.2.1", "x@err.example", "h.example", INK_SPF_PERMERROR);
    assert_string_equal(ink_spf_decided_term(ev), "a:n3.example.net");
    assert_string_equal(ink_spf_decided_domain(ev), "voids.example.net");
    assert_null(ink_spf_matched_term(ev));
    assert_non_null(strstr(ink_spf_reason(ev), "void"));
    ink_spf_free(ev);
    txt(z, "err2.example", "v=spf1 include:a.example.net include:bad.example.net -all");
    txt(z, "bad.example.net", "v=spf1 a:1.2.3.4");
    ev = check(z, "192.0.2.1", "x@err2.example", "h.example", INK_SPF_PERMERROR);
    assert_string_equal(ink_spf_decided_term(ev), "include:bad.example.net");
    assert_string_equal(ink_spf_decided_domain(ev), "err2.example");
    assert_non_null(strstr(ink_spf_reason(ev), "column 10"));
    ink_spf_free(ev);
    txt(z, "err3.example", "v=spf1 include:nothing.example.net -all");
    ev = check(z, "192.0.2.1", "x@err3.example", "h.example", INK_SPF_PERMERROR);
    assert_string_equal(ink_spf_decided_term(ev), "include:nothing.example.net");
    assert_non_null(strstr(ink_spf_reason(ev), "no SPF record"));
    ink_spf_free(ev);

    /* without the tree flag there is no tree */
    ev = spf_run_zone(z, "192.0.2.1", "x@example.com", "h", 0);
    assert_non_null(ev);
    assert_null(ink_spf_tree(ev));
    ink_spf_free(ev);
    ink_memzone_free(z);
}

static void test_identity(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_spf_params p;
    struct ink_spf *ev;

    (void)state;
    txt(z, "helo.example.org", "v=spf1 ip4:192.0.2.7 -all");
    txt(z, "example.com", "v=spf1 ip4:192.0.2.8 exp=e.example.com -all");
    txt(z, "e.example.com", "%{l} at %{o} via %{h} from %{c} to %{r}");
    /* empty MAIL FROM: postmaster@HELO */
    ev = check(z, "192.0.2.7", "", "helo.example.org", INK_SPF_PASS);
    assert_string_equal(ink_spf_sender(ev), "postmaster@helo.example.org");
    assert_string_equal(ink_spf_domain(ev), "helo.example.org");
    ink_spf_free(ev);
    /* empty local-part: postmaster */
    ev = check(z, "192.0.2.9", "@example.com", "helo.example.org", INK_SPF_FAIL);
    assert_string_equal(ink_spf_explanation(ev),
                        "postmaster at example.com via helo.example.org from 192.0.2.9 to unknown");
    ink_spf_free(ev);
    /* reverse-paths as SMTP writes them */
    ev = check(z, "192.0.2.7", "<>", "helo.example.org", INK_SPF_PASS);
    assert_string_equal(ink_spf_sender(ev), "postmaster@helo.example.org");
    ink_spf_free(ev);
    ev = check(z, "192.0.2.8", "<a@example.com>", "helo.example.org", INK_SPF_PASS);
    assert_string_equal(ink_spf_sender(ev), "a@example.com");
    ink_spf_free(ev);
    /* a quoted local-part holding '@': the domain follows the last one */
    ev = check(z, "192.0.2.8", "\"a@b\"@example.com", "helo.example.org", INK_SPF_PASS);
    assert_string_equal(ink_spf_domain(ev), "example.com");
    ink_spf_free(ev);
    /* no '@' at all: the whole is the domain, local-part postmaster */
    ev = check(z, "192.0.2.8", "example.com", "helo.example.org", INK_SPF_PASS);
    assert_string_equal(ink_spf_sender(ev), "postmaster@example.com");
    ink_spf_free(ev);
    /* IPv4-mapped IPv6 client is IPv4 */
    expect(z, "::ffff:192.0.2.8", "a@example.com", INK_SPF_PASS);
    /* the receiver name for %{r} */
    memset(&p, 0, sizeof(p));
    p.family = 4;
    memcpy(p.ip, "\xc0\x00\x02\x09", 4);
    p.mail_from = "a@example.com";
    p.helo = "h.example";
    p.receiver = "mx.receiver.example";
    {
        ev = ink_spf_new(&p);
        assert_int_equal(spf_drive_zone(z, ev, SUITE_QUERY_MAX), 0);
        assert_non_null(strstr(ink_spf_explanation(ev), "to mx.receiver.example"));
        ink_spf_free(ev);
    }
    /* malformed identities: none, without a single query */
    {
        static const char *bad[] = {"x@localhost", "x@[192.0.2.1]", "x@192.0.2.1",
                                    "x@a..example.com", "x@.example.com", "x@exa\x01mple.com",
                                    "x@ex ample.com", "x@example.\xc3\xa9"};
        size_t i;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            ev = check(z, "192.0.2.1", bad[i], "h.example", INK_SPF_NONE);
            assert_int_equal(ink_spf_queries(ev), 0);
            ink_spf_free(ev);
        }
    }
    ink_memzone_free(z);
}

static void test_loops(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_spf_params p;
    struct ink_spf *ev;

    (void)state;
    txt(z, "inc.example", "v=spf1 include:inc2.example -all");
    txt(z, "inc2.example", "v=spf1 include:inc.example");
    txt(z, "self.example", "v=spf1 include:self.example");
    txt(z, "redir.example", "v=spf1 redirect=redir.example");
    txt(z, "redir1.example", "v=spf1 redirect=redir2.example");
    txt(z, "redir2.example", "v=spf1 ip4:203.0.113.1 redirect=redir1.example");
    assert_int_equal(ink_memzone_add_name(z, "cn1.example", INK_DNS_CNAME, 300, "cn2.example"), 0);
    assert_int_equal(ink_memzone_add_name(z, "cn2.example", INK_DNS_CNAME, 300, "cn1.example"), 0);
    txt(z, "cnloop.example", "v=spf1 a:cn1.example -all");
    txt(z, "cnmx.example", "v=spf1 mx:cnmx.example -all");
    assert_int_equal(ink_memzone_add_mx(z, "cnmx.example", 300, 10, "cn1.example"), 0);
    txt(z, "cnptr.example", "v=spf1 ptr:cn1.example -all");
    assert_int_equal(ink_memzone_add_name(z, "1.2.0.192.in-addr.arpa", INK_DNS_PTR, 300,
                                          "cn1.example"), 0);

    expect(z, "192.0.2.1", "x@inc.example", INK_SPF_PERMERROR);
    expect(z, "192.0.2.1", "x@self.example", INK_SPF_PERMERROR);
    expect(z, "192.0.2.1", "x@redir.example", INK_SPF_PERMERROR);
    expect(z, "192.0.2.1", "x@redir1.example", INK_SPF_PERMERROR);
    expect(z, "203.0.113.1", "x@redir1.example", INK_SPF_PASS);
    /* a CNAME loop is a DNS error: temperror for a and mx ... */
    expect(z, "192.0.2.1", "x@cnloop.example", INK_SPF_TEMPERROR);
    expect(z, "192.0.2.1", "x@cnmx.example", INK_SPF_TEMPERROR);
    /* ... the name in a PTR is skipped (5.5) */
    expect(z, "192.0.2.1", "x@cnptr.example", INK_SPF_FAIL);
    /* the record itself behind a CNAME loop */
    expect(z, "192.0.2.1", "x@cn1.example", INK_SPF_TEMPERROR);

    /* with the lookup limit raised out of the way, the depth guard ends a loop */
    memset(&p, 0, sizeof(p));
    p.family = 4;
    memcpy(p.ip, "\xc0\x00\x02\x01", 4);
    p.mail_from = "x@self.example";
    p.helo = "h.example";
    p.limits.dns_lookups = 100000;
    ev = ink_spf_new(&p);
    assert_int_equal(spf_drive_zone(z, ev, SUITE_QUERY_MAX), 0);
    assert_int_equal(ink_spf_result(ev), INK_SPF_PERMERROR);
    assert_true(ink_spf_queries(ev) <= INK_SPF_DEPTH_MAX + 1);
    ink_spf_free(ev);
    ink_memzone_free(z);
}

static void test_big_answers(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    enum { NS = 258 };
    uint8_t *strs[NS];
    const uint8_t *cstrs[NS];
    size_t lens[NS], i;
    struct ink_spf *ev;

    (void)state;
    /* one TXT record of 258 strings of 255 bytes (65,790 bytes, over 64 KiB
     * when joined): an SPF record too long to parse */
    for (i = 0; i < NS; i++) {
        strs[i] = malloc(255);
        assert_non_null(strs[i]);
        memset(strs[i], ' ', 255);
        memcpy(strs[i], "ip4:192.0.2.1", 13);
        cstrs[i] = strs[i];
        lens[i] = 255;
    }
    memcpy(strs[0], "v=spf1 ip4:192.0.2.1", 20);
    assert_int_equal(ink_memzone_add_txt(z, "huge.example", INK_DNS_TXT, 300, NS, cstrs, lens), 0);
    ev = check(z, "192.0.2.1", "x@huge.example", "h.example", INK_SPF_PERMERROR);
    assert_non_null(strstr(ink_spf_reason(ev), "too long"));
    ink_spf_free(ev);
    /* 64 KiB of other TXT records beside one SPF record: still found */
    for (i = 0; i < NS; i++)
        memset(strs[i], 'x', 255);
    for (i = 0; i < NS; i++)
        assert_int_equal(ink_memzone_add_txt(z, "busy.example", INK_DNS_TXT, 300, 1, &cstrs[i],
                                             &lens[i]), 0);
    txt(z, "busy.example", "v=spf1 ip4:192.0.2.1 exp=huge-exp.example -all");
    expect(z, "192.0.2.1", "x@busy.example", INK_SPF_PASS);
    /* a 64 KiB explanation: not used, the default is */
    assert_int_equal(ink_memzone_add_txt(z, "huge-exp.example", INK_DNS_TXT, 300, NS, cstrs, lens),
                     0);
    ev = check(z, "192.0.2.2", "x@busy.example", "h.example", INK_SPF_FAIL);
    assert_string_equal(ink_spf_explanation(ev), "DEFAULT");
    ink_spf_free(ev);
    for (i = 0; i < NS; i++)
        free(strs[i]);
    ink_memzone_free(z);
}

static void test_long_names(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    char local[80], from[160], name[300];
    struct ink_spf *ev;

    (void)state;
    /* a local-part of 70 bytes makes a label over 63: not a name, no match */
    memset(local, 'l', 70);
    local[70] = '\0';
    snprintf(from, sizeof(from), "%s@lbl.example", local);
    txt(z, "lbl.example", "v=spf1 exists:%{l}.x.lbl.example ?all");
    ev = check(z, "192.0.2.1", from, "h.example", INK_SPF_NEUTRAL);
    assert_int_equal(ink_spf_queries(ev), 1); /* only the record */
    ink_spf_free(ev);
    /* an include target that is not a name is a permerror */
    txt(z, "lblinc.example", "v=spf1 include:%{l}.x.lbl.example ?all");
    snprintf(from, sizeof(from), "%s@lblinc.example", local);
    expect(z, "192.0.2.1", from, INK_SPF_PERMERROR);
    /* over 253 bytes: labels are dropped from the left (7.3), and the
     * truncated name is queried */
    txt(z, "long.example", "v=spf1 exists:%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}."
                           "%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}."
                           "%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}."
                           "%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}.%{d}."
                           "%{d}.end.example -all");
    name[0] = '\0';
    {
        /* the expected query: as many "long.example." as fit before end.example */
        size_t len = strlen("end.example");
        char tail[300] = "end.example";
        while (len + 13 <= INK_DNS_NAME_MAX) {
            memmove(tail + 13, tail, len + 1);
            memcpy(tail, "long.example.", 13);
            len += 13;
        }
        /* the left-most label "example." may still fit */
        if (len + 8 <= INK_DNS_NAME_MAX) {
            memmove(tail + 8, tail, len + 1);
            memcpy(tail, "example.", 8);
        }
        snprintf(name, sizeof(name), "%s", tail);
    }
    expect(z, "192.0.2.1", "x@long.example", INK_SPF_FAIL);
    addr(z, name, "127.0.0.2");
    expect(z, "192.0.2.1", "x@long.example", INK_SPF_PASS);
    /* a domain over 253 bytes as the identity: none */
    memset(name, 'a', 260);
    for (size_t i = 50; i < 260; i += 50)
        name[i] = '.';
    memcpy(name + 255, ".com", 5);
    ev = spf_run_zone(z, "192.0.2.1", "", name, 0);
    assert_non_null(ev);
    assert_int_equal(ink_spf_result(ev), INK_SPF_NONE);
    ink_spf_free(ev);
    ink_memzone_free(z);
}

static void test_hostile_bytes(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    static const char nul_rec[] = "v=spf1 a:foo\0.example.com -all";
    struct ink_spf *ev;
    int c;

    (void)state;
    txt(z, "utf8.example", "v=spf1 a:caf\xc3\xa9.example -all");
    txt(z, "ctrl.example", "v=spf1 ip4:192.0.2.1\r\n -all");
    assert_int_equal(ink_memzone_add_txt1(z, "nul.example", INK_DNS_TXT, 300, nul_rec,
                                          sizeof(nul_rec) - 1), 0);
    txt(z, "badmacro.example", "v=spf1 exists:%{\x80}.example -all");
    txt(z, "expbytes.example", "v=spf1 exp=e.expbytes.example -all");
    txt(z, "e.expbytes.example", "bad \x01 byte %{l}");
    txt(z, "echo.example", "v=spf1 exists:%{l}.q.echo.example exp=e.echo.example -all");
    txt(z, "e.echo.example", "%{L} %{l}");
    expect(z, "192.0.2.1", "x@utf8.example", INK_SPF_PERMERROR);
    expect(z, "192.0.2.1", "x@ctrl.example", INK_SPF_PERMERROR);
    expect(z, "192.0.2.1", "x@nul.example", INK_SPF_PERMERROR);
    expect(z, "192.0.2.1", "x@badmacro.example", INK_SPF_PERMERROR);
    ev = check(z, "192.0.2.1", "x@expbytes.example", "h.example", INK_SPF_FAIL);
    assert_string_equal(ink_spf_explanation(ev), "DEFAULT");
    ink_spf_free(ev);
    /* any byte in the local-part reaches a query name or the explanation
     * safely: upper-case macros URL-escape it, lower-case ones copy it */
    for (c = 1; c < 256; c++) {
        char from[32];
        if (c == '@')
            continue;
        snprintf(from, sizeof(from), "a%cb@echo.example", c);
        ev = check(z, "192.0.2.1", from, "h.example", INK_SPF_FAIL);
        assert_non_null(ink_spf_explanation(ev));
        if (c == '&')
            assert_string_equal(ink_spf_explanation(ev), "a%26b a&b");
        ink_spf_free(ev);
    }
    /* hostile HELO for the HELO identity and for %{h} */
    txt(z, "h.example", "v=spf1 a:%{h}.x.h.example -all");
    for (c = 1; c < 256; c++) {
        char helo[32];
        snprintf(helo, sizeof(helo), "he%clo.h.example", c);
        ev = spf_run_zone(z, "192.0.2.1", "", helo, 0);
        assert_non_null(ev);
        ink_spf_free(ev);
        ev = spf_run_zone(z, "192.0.2.1", "x@h.example", helo, 0);
        assert_non_null(ev);
        assert_int_equal(ink_spf_result(ev), INK_SPF_FAIL);
        ink_spf_free(ev);
    }
    ink_memzone_free(z);
}

/* limits are named constants and can be set per evaluation */
static void test_limits(void **state)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_spf_params p;
    struct ink_spf *ev;

    (void)state;
    assert_int_equal(INK_SPF_DNS_LOOKUP_MAX, 10);
    assert_int_equal(INK_SPF_VOID_LOOKUP_MAX, 2);
    assert_int_equal(INK_SPF_MX_NAMES_MAX, 10);
    assert_int_equal(INK_SPF_PTR_NAMES_MAX, 10);
    txt(z, "v.example", "v=spf1 a:n1.v.example a:n2.v.example a:n3.v.example +all");
    expect(z, "192.0.2.1", "x@v.example", INK_SPF_PERMERROR);
    memset(&p, 0, sizeof(p));
    p.family = 4;
    p.mail_from = "x@v.example";
    p.helo = "h";
    p.limits.void_lookups = 3;
    ev = ink_spf_new(&p);
    assert_int_equal(spf_drive_zone(z, ev, SUITE_QUERY_MAX), 0);
    assert_int_equal(ink_spf_result(ev), INK_SPF_PASS);
    assert_int_equal(ink_spf_void_lookups(ev), 3);
    ink_spf_free(ev);

    /* the PTR query of %{p} counts against the 10-lookup limit (4.6.4) */
    txt(z, "p9.example", "v=spf1 a a a a a a a a a exists:%{p}.x.example -all");
    txt(z, "p8.example", "v=spf1 a a a a a a a a exists:%{p}.x.example -all");
    addr(z, "p9.example", "192.0.2.200");
    addr(z, "p8.example", "192.0.2.200");
    ev = check(z, "192.0.2.1", "x@p9.example", "h", INK_SPF_PERMERROR);
    assert_string_equal(ink_spf_decided_term(ev), "exists:%{p}.x.example");
    ink_spf_free(ev);
    ev = check(z, "192.0.2.1", "x@p8.example", "h", INK_SPF_FAIL);
    assert_int_equal(ink_spf_dns_lookups(ev), 10);
    ink_spf_free(ev);
    ink_memzone_free(z);
}

/* ---- a bad answer at every query point ------------------------------------ */

/* What a query is answered with in test_bad_answers. */
enum bad_kind {
    BAD_NULL = 0,   /* no answer at all */
    BAD_SERVFAIL,   /* the server failed */
    BAD_WRONG_TYPE, /* the right name, another type */
    BAD_WRONG_NAME, /* the real records, for another name */
    BAD_TIMEOUT,    /* a TIMEOUT answer: what the others must equal */
    BAD_EMPTY,      /* OK with no records */
    BAD_KINDS
};

/* bad_answer - the answer of kind k to (name, type); NULL for BAD_NULL */
static struct ink_dns_answer *bad_answer(const struct ink_memzone *z, enum bad_kind k,
                                         const char *name, uint16_t type)
{
    struct ink_dns_answer *a = NULL;

    switch (k) {
    case BAD_NULL:
        return NULL;
    case BAD_SERVFAIL:
        a = ink_dns_answer_new(name, type, INK_DNS_SERVFAIL);
        break;
    case BAD_TIMEOUT:
        a = ink_dns_answer_new(name, type, INK_DNS_TIMEOUT);
        break;
    case BAD_EMPTY:
        a = ink_dns_answer_new(name, type, INK_DNS_OK);
        break;
    case BAD_WRONG_TYPE:
        a = ink_memzone_lookup(z, name, type == INK_DNS_TXT ? INK_DNS_A : INK_DNS_TXT);
        break;
    case BAD_WRONG_NAME:
        a = ink_memzone_lookup(z, name, type);
        assert_non_null(a);
        free(a->qname);
        a->qname = strdup("wrong.example");
        break;
    default:
        break;
    }
    assert_non_null(a);
    assert_non_null(a->qname);
    return a;
}

/* run_bad - evaluate with query number at (0-based) answered by kind k
 * and every other one from z; *nq gets the queries asked */
static struct ink_spf *run_bad(const struct ink_memzone *z, const char *from, int at,
                               enum bad_kind k, int *nq)
{
    struct ink_spf_params p;
    struct ink_spf *ev;
    struct ink_query q;
    int n = 0;

    memset(&p, 0, sizeof(p));
    p.family = 4;
    memcpy(p.ip, "\xc0\x00\x02\x01", 4); /* 192.0.2.1 */
    p.mail_from = from;
    p.helo = "helo.example.org";
    ev = ink_spf_new(&p);
    assert_non_null(ev);
    while (ink_spf_next(ev, &q) == INK_NEXT_READY) {
        struct ink_dns_answer *a = n == at ? bad_answer(z, k, q.name, q.type)
                                           : ink_memzone_lookup(z, q.name, q.type);

        assert_true(++n < SUITE_QUERY_MAX);
        assert_int_equal(ink_spf_feed(ev, q.token, a), 0);
        ink_dns_answer_free(a);
    }
    assert_int_equal(ink_spf_next(ev, &q), INK_NEXT_DONE);
    *nq = n;
    return ev;
}

/* letter - one letter per result, for the expectation strings */
static char letter(enum ink_spf_result r)
{
    return "NnpfsTP"[r];
}

/*
 * Feed NULL, SERVFAIL, a wrong type, a wrong name (all temporary failures,
 * as a TIMEOUT is) and an empty answer at every query point of a few
 * representative records.  The expected results are RFC 7208's: a DNS
 * error is temperror, except in ptr (5.5: the PTR lookup failing is no
 * match; an address lookup failing skips the name), %{p} (7.3: the name
 * becomes "unknown") and exp= (6.2: no explanation, the result stands).
 */
static void test_bad_answers(void **state)
{
    static const struct {
        const char *from;
        const char *temp;  /* result letters, one per query: a DNS error there */
        const char *empty; /* ... an empty answer there */
    } cases[] = {
        {"x@inc.example", "TT", "NP"},      /* include: record, included record */
        {"x@mx.example", "TTT", "Nff"},     /* mx: record, MX, A of the exchange */
        {"x@ptr.example", "Tff", "Nff"},    /* ptr: record, PTR, A of the name */
        {"x@ex.example", "TT", "Nf"},       /* exists: record, A */
        {"x@rd.example", "TT", "NP"},       /* redirect: record, target record */
        {"x@pm.example", "TffT", "Nfff"},   /* %{p}: record, PTR, A, exists A */
        {"x@exp.example", "Tf", "Nf"},      /* -all with exp=: record, exp TXT */
    };
    struct ink_memzone *z = ink_memzone_new();
    size_t c;

    (void)state;
    txt(z, "inc.example", "v=spf1 include:_i.example -all");
    txt(z, "_i.example", "v=spf1 ip4:192.0.2.1 -all");
    txt(z, "mx.example", "v=spf1 mx -all");
    assert_int_equal(ink_memzone_add_mx(z, "mx.example", 300, 10, "m1.mx.example"), 0);
    addr(z, "m1.mx.example", "192.0.2.1");
    txt(z, "ptr.example", "v=spf1 ptr -all");
    assert_int_equal(ink_memzone_add_name(z, "1.2.0.192.in-addr.arpa", INK_DNS_PTR, 300,
                                          "h.ptr.example"), 0);
    addr(z, "h.ptr.example", "192.0.2.1");
    txt(z, "ex.example", "v=spf1 exists:%{i}.ex.example -all");
    addr(z, "192.0.2.1.ex.example", "127.0.0.2");
    txt(z, "rd.example", "v=spf1 redirect=_r.example");
    txt(z, "_r.example", "v=spf1 ip4:192.0.2.1 -all");
    txt(z, "pm.example", "v=spf1 exists:%{p}.pm.example -all");
    addr(z, "h.ptr.example.pm.example", "127.0.0.2");
    txt(z, "exp.example", "v=spf1 -all exp=_e.exp.example");
    txt(z, "_e.exp.example", "%{i} may not send");

    for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        int nq, at, clean_nq;
        struct ink_spf *ev = run_bad(z, cases[c].from, -1, BAD_NULL, &clean_nq);

        /* the clean run passes, or fails with the exp= text */
        assert_int_equal(ink_spf_result(ev), c == 6 ? INK_SPF_FAIL : INK_SPF_PASS);
        assert_int_equal(clean_nq, (int)strlen(cases[c].temp));
        ink_spf_free(ev);
        for (at = 0; at < clean_nq; at++) {
            struct ink_spf *ref = run_bad(z, cases[c].from, at, BAD_TIMEOUT, &nq);
            int k;

            if (letter(ink_spf_result(ref)) != cases[c].temp[at])
                fail_msg("%s, DNS error at query %d: got %s (%s)", cases[c].from, at,
                         ink_spf_result_name(ink_spf_result(ref)), ink_spf_reason(ref));
            for (k = 0; k < BAD_TIMEOUT; k++) {
                ev = run_bad(z, cases[c].from, at, (enum bad_kind)k, &nq);
                if (ink_spf_result(ev) != ink_spf_result(ref))
                    fail_msg("%s, bad answer %d at query %d: got %s (%s)", cases[c].from, k,
                             at, ink_spf_result_name(ink_spf_result(ev)), ink_spf_reason(ev));
                assert_string_equal(ink_spf_reason(ev), ink_spf_reason(ref));
                ink_spf_free(ev);
            }
            ink_spf_free(ref);
            ev = run_bad(z, cases[c].from, at, BAD_EMPTY, &nq);
            if (letter(ink_spf_result(ev)) != cases[c].empty[at])
                fail_msg("%s, empty answer at query %d: got %s (%s)", cases[c].from, at,
                         ink_spf_result_name(ink_spf_result(ev)), ink_spf_reason(ev));
            ink_spf_free(ev);
        }
    }
    ink_memzone_free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_result_names),  cmocka_unit_test(test_state_machine),
        cmocka_unit_test(test_interleaved),   cmocka_unit_test(test_results_api),
        cmocka_unit_test(test_identity),      cmocka_unit_test(test_loops),
        cmocka_unit_test(test_big_answers),   cmocka_unit_test(test_long_names),
        cmocka_unit_test(test_hostile_bytes), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_bad_answers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
