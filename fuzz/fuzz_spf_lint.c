/*
 * fuzz_spf_lint.c - libFuzzer target for the SPF lint state machine.  The
 * input is split at newlines: the first line is the record linted (as if
 * published at f.example), line N (N >= 1) is the TXT record of
 * iN.f.example, so inputs can build include/redirect trees, loops and
 * broken records.  A few fixed names give A, MX and fault answers.  The
 * lint must finish (bounded steps), never crash, leak or over-read, and
 * its findings must be well formed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/memzone.h"
#include "inkan/spf_lint.h"

/* Lines of the input turned into records. */
#define FUZZ_LINES_MAX 16
/* step() calls after which the lint is considered hung. */
#define FUZZ_STEPS_MAX 100000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_memzone *z = ink_memzone_new();
    struct ink_spf_lint *l;
    const uint8_t *line = data, *end = data + size, *nl;
    const uint8_t *first = data;
    size_t first_len = size, n = 0, i;
    int steps = 0;

    if (z == NULL)
        return 0;
    ink_memzone_add_addr_text(z, "a.f.example", 60, "192.0.2.1");
    ink_memzone_add_addr_text(z, "a.f.example", 60, "2001:db8::1");
    ink_memzone_add_mx(z, "f.example", 60, 10, "a.f.example");
    ink_memzone_add_mx(z, "m.f.example", 60, 10, "gone.f.example");
    ink_memzone_set_fault(z, "t.f.example", 0, INK_DNS_TIMEOUT);
    ink_memzone_set_fault(z, "s.f.example", 0, INK_DNS_SERVFAIL);
    while (line < end && n <= FUZZ_LINES_MAX) {
        size_t len;

        nl = memchr(line, '\n', (size_t)(end - line));
        len = nl ? (size_t)(nl - line) : (size_t)(end - line);
        if (n == 0) {
            first = line;
            first_len = len;
        } else {
            char owner[32];

            snprintf(owner, sizeof(owner), "i%zu.f.example", n);
            ink_memzone_add_txt1(z, owner, INK_DNS_TXT, 60, line, len);
        }
        n++;
        line = nl ? nl + 1 : end;
    }
    l = ink_spf_lint_new_record((size & 1) ? "f.example" : NULL, first, first_len);
    if (l == NULL) {
        ink_memzone_free(z);
        return 0;
    }
    for (;;) {
        struct ink_query q;
        enum ink_next st = ink_spf_lint_next(l, &q);

        if (++steps > FUZZ_STEPS_MAX)
            abort(); /* a hang */
        if (st == INK_NEXT_READY) {
            struct ink_dns_answer *a = ink_memzone_lookup(z, q.name, q.type);

            if (a == NULL || ink_spf_lint_feed(l, q.token, a) != 0)
                abort();
            ink_dns_answer_free(a);
            continue;
        }
        if (st != INK_NEXT_DONE && st != INK_NEXT_FAILED)
            abort(); /* WAIT with nothing outstanding */
        break;
    }
    for (i = 0; i < ink_spf_lint_nfindings(l); i++) {
        const struct ink_finding *f = ink_spf_lint_finding(l, i);

        if (f->code == NULL || f->message == NULL || f->subject == NULL ||
            (f->fix == NULL) != (ink_spf_lint_finding_record(l, i) == NULL))
            abort();
        if (f->offset >= 0 && (size_t)f->offset > first_len + 1 &&
            strcmp(f->subject, "f.example") == 0)
            abort(); /* an offset past the root record */
    }
    ink_spf_lint_free(l);
    ink_memzone_free(z);
    return 0;
}
