/*
 * fuzz_zonefile.c - libFuzzer target for the RFC 1035 zone-file parser.
 * Checks the parser's promises on any bytes: no crash or over-read (the
 * input is copied to an exact-size buffer so ASan sees any read past
 * len), an error is one printable "fuzz.zone:LINE: ..." line, and the
 * record count matches the zone.  Then a round trip: every record written
 * back as zone-file text (names and strings fully escaped) and parsed
 * again gives a zone that answers every (owner, type) the same way.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/memzone.h"
#include "inkan/str.h"
#include "inkan/zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* put_name - an absolute name, every byte that is not a plain letter,
 * digit, '-', '_' or '*' written as \DDD */
static void put_name(struct ink_str *out, const char *name)
{
    const unsigned char *p = (const unsigned char *)name;

    if (*p == '\0') {
        ink_str_putc(out, '.');
        return;
    }
    for (; *p != '\0'; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
            *p == '*' || *p == '.')
            ink_str_putc(out, *p);
        else
            ink_str_printf(out, "\\%03u", *p);
    }
    ink_str_putc(out, '.');
}

/* serialize_rr - one record as a zone-file line (foreach callback) */
static int serialize_rr(void *arg, const struct ink_dns_rr *rr)
{
    struct ink_str *out = arg;
    char ip[64];
    size_t i, k;

    put_name(out, rr->owner);
    ink_str_printf(out, " %u IN %s ", rr->ttl, ink_dns_type_name(rr->type));
    switch (rr->type) {
    case INK_DNS_A:
        ink_str_puts(out, ink_ip_format(4, rr->addr, ip, sizeof(ip)));
        break;
    case INK_DNS_AAAA:
        ink_str_puts(out, ink_ip_format(6, rr->addr, ip, sizeof(ip)));
        break;
    case INK_DNS_MX:
        ink_str_printf(out, "%u ", rr->pref);
        put_name(out, rr->name);
        break;
    case INK_DNS_SOA:
        put_name(out, rr->name);
        ink_str_puts(out, " hostmaster. 1 2 3 4 5");
        break;
    case INK_DNS_TXT:
    case INK_DNS_SPF:
        for (k = 0; k < rr->ntxt; k++) {
            ink_str_puts(out, " \"");
            for (i = 0; i < rr->txtlen[k]; i++)
                ink_str_printf(out, "\\%03u", rr->txt[k][i]);
            ink_str_putc(out, '"');
        }
        break;
    default:
        put_name(out, rr->name);
        break;
    }
    ink_str_putc(out, '\n');
    return 0;
}

struct pair {
    const struct ink_memzone *a, *b;
};

/* same_answers - lookups of rr's owner and type agree between both zones */
static int same_answers(void *arg, const struct ink_dns_rr *rr)
{
    const struct pair *p = arg;
    struct ink_dns_answer *x = ink_memzone_lookup(p->a, rr->owner[0] ? rr->owner : ".", rr->type);
    struct ink_dns_answer *y = ink_memzone_lookup(p->b, rr->owner[0] ? rr->owner : ".", rr->type);

    if (x == NULL || y == NULL)
        abort();
    if (x->status != y->status || x->nrr != y->nrr)
        abort();
    ink_dns_answer_free(x);
    ink_dns_answer_free(y);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_memzone *z = ink_memzone_new(), *z2;
    struct ink_str err = INK_STR_INIT, text = INK_STR_INIT;
    uint8_t *copy = malloc(size ? size : 1);
    long n;
    size_t i;
    struct pair p;

    if (z == NULL || copy == NULL)
        abort();
    memcpy(copy, data, size);
    /* the first byte picks whether a starting origin is given */
    n = ink_zonefile_parse(copy, size, "fuzz.zone", size > 0 && (copy[0] & 1) ? "example.org" : NULL,
                           z, &err);
    free(copy);
    if (n < 0) {
        const char *e = ink_str_cstr(&err);
        if (strncmp(e, "fuzz.zone:", 10) != 0)
            abort();
        for (i = 0; i < err.len; i++)
            if (e[i] < 0x20 || e[i] > 0x7e)
                abort();
        ink_str_free(&err);
        ink_memzone_free(z);
        return 0;
    }
    if ((size_t)n != ink_memzone_count(z))
        abort();
    /* round trip */
    ink_memzone_foreach(z, serialize_rr, &text);
    z2 = ink_memzone_new();
    if (z2 == NULL)
        abort();
    ink_str_truncate(&err, 0);
    if (ink_zonefile_parse((const uint8_t *)text.buf, text.len, "round.zone", NULL, z2, &err) != n) {
        fprintf(stderr, "round trip failed: %s\n%s\n", ink_str_cstr(&err), ink_str_cstr(&text));
        abort();
    }
    p.a = z;
    p.b = z2;
    ink_memzone_foreach(z, same_answers, &p);
    ink_str_free(&text);
    ink_str_free(&err);
    ink_memzone_free(z);
    ink_memzone_free(z2);
    return 0;
}
