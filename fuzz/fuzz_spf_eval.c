/*
 * fuzz_spf_eval.c - libFuzzer target for check_host(): the input is split
 * at newlines into the TXT records of a small zone (line 1 at example.com,
 * then a.example.com, b.example.com, ...; a line may carry several records
 * separated by '|'), beside fixed A, AAAA, MX and PTR records, and
 * evaluated for a client address taken from the last four bytes.  The
 * evaluation must finish (within a query budget the RFC limits imply),
 * never crash, and give a result, a reason and consistent counters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/memzone.h"
#include "inkan/spf.h"

/* More queries than the RFC limits allow (10 terms x 10 names, %{p},
 * exp) means the machine does not stop. */
#define FUZZ_QUERY_MAX 400
#define FUZZ_NAMES 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[FUZZ_NAMES] = {"example.com",   "a.example.com",
                                                  "b.example.com", "c.example.com",
                                                  "d.example.com", "e.example.com"};
    struct ink_memzone *z = ink_memzone_new();
    struct ink_spf_params p;
    struct ink_query q;
    struct ink_spf *ev;
    size_t i = 0, line = 0, nq = 0;

    if (z == NULL)
        return 0;
    while (i < size && line < FUZZ_NAMES) {
        size_t s = i;
        while (i < size && data[i] != '\n' && data[i] != '|')
            i++;
        ink_memzone_add_txt1(z, names[line], INK_DNS_TXT, 60, data + s, i - s);
        if (i < size && data[i] == '\n')
            line++;
        i++;
    }
    ink_memzone_add_addr_text(z, "example.com", 60, "192.0.2.1");
    ink_memzone_add_addr_text(z, "a.example.com", 60, "2001:db8::1");
    ink_memzone_add_mx(z, "example.com", 60, 10, "a.example.com");
    ink_memzone_add_mx(z, "b.example.com", 60, 10, "example.com");
    ink_memzone_add_name(z, "1.2.0.192.in-addr.arpa", INK_DNS_PTR, 60, "example.com");
    ink_memzone_add_name(z, "c.example.com", INK_DNS_CNAME, 60, "d.example.com");
    ink_memzone_set_fault(z, "t.example.com", 0, INK_DNS_TIMEOUT);

    memset(&p, 0, sizeof(p));
    p.family = size >= 4 && (data[size - 1] & 1) ? 6 : 4;
    if (size >= 4)
        memcpy(p.ip + (p.family == 6 ? 12 : 0), data + size - 4, 4);
    if (p.family == 6)
        memcpy(p.ip, "\x20\x01\x0d\xb8", 4);
    p.mail_from = size > 0 && (data[0] & 1) ? "" : "first.last@example.com";
    p.helo = "example.com";
    p.now = 1700000000;
    p.flags = size > 1 && (data[1] & 1) ? INK_SPF_EF_TREE : 0;
    ev = ink_spf_new(&p);
    if (ev == NULL) {
        ink_memzone_free(z);
        return 0;
    }
    while (ink_spf_next(ev, &q) == INK_NEXT_READY) {
        struct ink_dns_answer *a;
        if (++nq > FUZZ_QUERY_MAX)
            abort(); /* runaway evaluation */
        a = ink_memzone_lookup(z, q.name, q.type);
        if (ink_spf_feed(ev, q.token, a) != 0)
            abort();
        ink_dns_answer_free(a);
    }
    if (ink_spf_reason(ev) == NULL || ink_spf_queries(ev) != nq ||
        ink_spf_dns_lookups(ev) > INK_SPF_DNS_LOOKUP_MAX + 1 ||
        ink_spf_void_lookups(ev) > INK_SPF_VOID_LOOKUP_MAX + 1)
        abort();
    if ((ink_spf_explanation(ev) != NULL) != (ink_spf_result(ev) == INK_SPF_FAIL))
        abort();
    ink_spf_free(ev);
    ink_memzone_free(z);
    return 0;
}
