/*
 * dnswire.c - decode a DNS response packet into struct ink_dns_answer
 * records (see dnswire.h).  Pure decoding, no I/O: a cursor {buf, len,
 * off, err} whose first error sticks; every read checks the remaining
 * length; name compression is followed only backwards-or-anywhere within
 * the packet and at most DNSWIRE_POINTER_MAX times per name, so a hostile
 * packet cannot loop us.
 */
#include "dnswire.h"

#include <stdlib.h>
#include <string.h>

/* Class IN. */
#define DNSWIRE_CLASS_IN 1
/* Top two bits of a length byte that mark a compression pointer. */
#define DNSWIRE_POINTER_BITS 0xc0
/* Wire length of an A and an AAAA rdata. */
#define DNSWIRE_A_LEN 4
#define DNSWIRE_AAAA_LEN 16
/* Character-strings one TXT record may hold here (the answer model's cap). */
#define DNSWIRE_TXT_STRINGS_MAX INK_DNS_ANSWER_RR_MAX

/* fail - record the first error */
static void fail(struct dnswire *c, const char *why)
{
    if (c->err == NULL)
        c->err = why;
}

/* need - at least n bytes remain; otherwise the error sticks */
static int need(struct dnswire *c, size_t n)
{
    if (c->err != NULL)
        return 0;
    if (c->off > c->len || c->len - c->off < n) {
        fail(c, "packet truncated");
        return 0;
    }
    return 1;
}

/* get_u16/u32 - big-endian reads; 0 after an error */
static uint16_t get_u16(struct dnswire *c)
{
    uint16_t v;

    if (!need(c, 2))
        return 0;
    v = (uint16_t)((c->buf[c->off] << 8) | c->buf[c->off + 1]);
    c->off += 2;
    return v;
}

static uint32_t get_u32(struct dnswire *c)
{
    uint32_t v;

    if (!need(c, 4))
        return 0;
    v = ((uint32_t)c->buf[c->off] << 24) | ((uint32_t)c->buf[c->off + 1] << 16) |
        ((uint32_t)c->buf[c->off + 2] << 8) | (uint32_t)c->buf[c->off + 3];
    c->off += 4;
    return v;
}

/* dnswire_name - read a name, following compression pointers */
void dnswire_name(struct dnswire *c, char out[INK_DNS_NAME_MAX + 1])
{
    size_t pos = c->off, o = 0, after = 0;
    int jumps = 0, jumped = 0;

    out[0] = '\0';
    if (c->err != NULL)
        return;
    for (;;) {
        uint8_t l;
        if (pos >= c->len) {
            fail(c, "name runs past the end of the packet");
            out[0] = '\0';
            return;
        }
        l = c->buf[pos];
        if ((l & DNSWIRE_POINTER_BITS) == DNSWIRE_POINTER_BITS) {
            if (pos + 1 >= c->len) {
                fail(c, "compression pointer runs past the end of the packet");
                out[0] = '\0';
                return;
            }
            if (!jumped)
                after = pos + 2;
            jumped = 1;
            if (++jumps > DNSWIRE_POINTER_MAX) {
                fail(c, "compression pointer loop");
                out[0] = '\0';
                return;
            }
            pos = ((size_t)(l & ~DNSWIRE_POINTER_BITS) << 8) | c->buf[pos + 1];
            continue;
        }
        if ((l & DNSWIRE_POINTER_BITS) != 0) {
            fail(c, "unknown label type");
            out[0] = '\0';
            return;
        }
        pos++;
        if (l == 0)
            break;
        if (c->len - pos < l) {
            fail(c, "label runs past the end of the packet");
            out[0] = '\0';
            return;
        }
        if (o + (o > 0) + l > INK_DNS_NAME_MAX) {
            fail(c, "name longer than 253 bytes");
            out[0] = '\0';
            return;
        }
        if (o > 0)
            out[o++] = '.';
        for (size_t i = 0; i < l; i++) {
            uint8_t ch = c->buf[pos + i];
            if (ch == '.' || ch == '\0') {
                fail(c, "name with a dot or NUL inside a label");
                out[0] = '\0';
                return;
            }
            out[o++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
        }
        pos += l;
    }
    out[o] = '\0';
    c->off = jumped ? after : pos;
}

/* skip_question - pass over one question entry */
static void skip_question(struct dnswire *c)
{
    char name[INK_DNS_NAME_MAX + 1];

    dnswire_name(c, name);
    (void)get_u16(c);
    (void)get_u16(c);
}

/* read_txt - the character-strings of rdata [c->off, end) into a */
static int read_txt(struct dnswire *c, size_t end, struct ink_dns_answer *a, const char *owner,
                    uint16_t type, uint32_t ttl)
{
    const uint8_t **strs;
    size_t *lens, n = 0, p = c->off;
    int rc;

    /* count first, so that the arrays are sized exactly */
    while (p < end) {
        p += 1 + (size_t)c->buf[p];
        n++;
    }
    if (p != end) {
        fail(c, "TXT string runs past its record");
        return -1;
    }
    if (n == 0 || n > DNSWIRE_TXT_STRINGS_MAX) {
        fail(c, n == 0 ? "TXT record without a string" : "TXT record with too many strings");
        return -1;
    }
    strs = calloc(n, sizeof(*strs));
    lens = calloc(n, sizeof(*lens));
    if (strs == NULL || lens == NULL) {
        free(strs);
        free(lens);
        fail(c, "out of memory");
        return -1;
    }
    for (n = 0; c->off < end; n++) {
        lens[n] = c->buf[c->off];
        strs[n] = c->buf + c->off + 1;
        c->off += 1 + lens[n];
    }
    rc = ink_dns_answer_add_txt(a, owner, type, ttl, n, strs, lens);
    free(strs);
    free(lens);
    if (rc < 0) {
        fail(c, "out of memory or too many records");
        return -1;
    }
    return 0;
}

/* read_rr - one resource record at the cursor; added to a when wanted
 * (section 1 = answer).  Negative-TTL SOA noted from the authority. */
static void read_rr(struct dnswire *c, int section, struct ink_dns_answer *a,
                    struct dnswire_info *info)
{
    char owner[INK_DNS_NAME_MAX + 1], target[INK_DNS_NAME_MAX + 1];
    uint16_t type, klass, rdlen, pref;
    uint32_t ttl;
    size_t end;
    int rc = 0;

    dnswire_name(c, owner);
    type = get_u16(c);
    klass = get_u16(c);
    ttl = get_u32(c);
    rdlen = get_u16(c);
    if (c->err != NULL || !need(c, rdlen))
        return;
    end = c->off + rdlen;
    if (klass != DNSWIRE_CLASS_IN) {
        c->off = end;
        return;
    }
    if (section == 2 && type == INK_DNS_SOA) {
        uint32_t minimum;
        dnswire_name(c, target);
        dnswire_name(c, target);
        c->off += 16; /* serial refresh retry expire, bounds checked below */
        minimum = get_u32(c);
        if (c->err == NULL && c->off == end) {
            info->have_neg_ttl = 1;
            info->neg_ttl = ttl < minimum ? ttl : minimum;
        }
        c->off = end;
        return;
    }
    if (section != 1 || (type != INK_DNS_CNAME && type != a->qtype)) {
        c->off = end;
        return;
    }
    switch (type) {
    case INK_DNS_A:
    case INK_DNS_AAAA:
        if (rdlen != (type == INK_DNS_A ? DNSWIRE_A_LEN : DNSWIRE_AAAA_LEN)) {
            fail(c, "address record of the wrong length");
            return;
        }
        rc = ink_dns_answer_add_addr(a, owner, ttl, c->buf + c->off, rdlen);
        c->off = end;
        break;
    case INK_DNS_CNAME:
    case INK_DNS_NS:
    case INK_DNS_PTR:
    case INK_DNS_SOA:
        dnswire_name(c, target);
        if (type == INK_DNS_SOA) {
            char rname[INK_DNS_NAME_MAX + 1];
            dnswire_name(c, rname);
            c->off += 20; /* five 32-bit numbers */
        }
        if (c->err != NULL)
            return;
        if (c->off != end) {
            fail(c, "record data of the wrong length");
            return;
        }
        rc = ink_dns_answer_add_name(a, owner, type, ttl, target);
        break;
    case INK_DNS_MX:
        pref = get_u16(c);
        dnswire_name(c, target);
        if (c->err != NULL)
            return;
        if (c->off != end) {
            fail(c, "MX record data of the wrong length");
            return;
        }
        rc = ink_dns_answer_add_mx(a, owner, ttl, pref, target);
        break;
    case INK_DNS_TXT:
    case INK_DNS_SPF:
        (void)read_txt(c, end, a, owner, type, ttl);
        return;
    default:
        /* a type the model does not hold (asked for by number): skip */
        c->off = end;
        return;
    }
    if (c->err == NULL && rc < 0)
        fail(c, "out of memory or too many records");
}

/* dnswire_parse_answer - decode a response packet into a */
int dnswire_parse_answer(const uint8_t *pkt, size_t len, struct ink_dns_answer *a,
                         struct dnswire_info *info, const char **why)
{
    struct dnswire c = {pkt, len, 0, NULL};
    uint16_t flags, qd, an, ns, i;

    memset(info, 0, sizeof(*info));
    (void)get_u16(&c); /* id */
    flags = get_u16(&c);
    qd = get_u16(&c);
    an = get_u16(&c);
    ns = get_u16(&c);
    (void)get_u16(&c); /* additional: not needed */
    info->rcode = flags & 0xf;
    for (i = 0; i < qd && c.err == NULL; i++)
        skip_question(&c);
    for (i = 0; i < an && c.err == NULL; i++)
        read_rr(&c, 1, a, info);
    for (i = 0; i < ns && c.err == NULL; i++)
        read_rr(&c, 2, a, info);
    if (c.err != NULL) {
        *why = c.err;
        return -1;
    }
    return 0;
}
