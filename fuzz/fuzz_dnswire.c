/*
 * fuzz_dnswire.c - libFuzzer target for the DNS response decoder the
 * libunbound backend uses (src/dns/dnswire.c).  The first two bytes pick
 * the query type; the rest is the packet, copied to an exact-size buffer
 * so that any read past its end is caught.  Checks: no crash, no loop
 * (compression pointers), and every record kept is a CNAME or of the
 * type asked, with names inside the model's limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnswire.h"
#include "inkan/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t types[] = {INK_DNS_A,   INK_DNS_AAAA, INK_DNS_MX,  INK_DNS_TXT,
                                     INK_DNS_SPF, INK_DNS_CNAME, INK_DNS_PTR, INK_DNS_NS,
                                     INK_DNS_SOA};
    struct ink_dns_answer *a;
    struct dnswire_info info;
    const char *why = NULL;
    uint8_t *pkt;
    size_t i;
    uint16_t qtype;

    if (size < 1)
        return 0;
    qtype = types[data[0] % (sizeof(types) / sizeof(types[0]))];
    pkt = malloc(size - 1 ? size - 1 : 1);
    a = ink_dns_answer_new("fuzz.example", qtype, INK_DNS_SERVFAIL);
    if (pkt == NULL || a == NULL)
        abort();
    memcpy(pkt, data + 1, size - 1);
    if (dnswire_parse_answer(pkt, size - 1, a, &info, &why) < 0) {
        if (why == NULL)
            abort();
    } else if (info.rcode < 0 || info.rcode > 15) {
        abort();
    }
    for (i = 0; i < a->nrr; i++) {
        const struct ink_dns_rr *rr = &a->rr[i];
        if (rr->type != qtype && rr->type != INK_DNS_CNAME)
            abort();
        if (strlen(rr->owner) > INK_DNS_NAME_MAX ||
            (rr->name != NULL && strlen(rr->name) > INK_DNS_NAME_MAX))
            abort();
        if ((rr->type == INK_DNS_TXT || rr->type == INK_DNS_SPF) && rr->ntxt == 0)
            abort();
    }
    ink_dns_answer_free(a);
    free(pkt);
    return 0;
}
