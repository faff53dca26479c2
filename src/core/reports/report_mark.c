/*
 * report_mark.c - the owner's marks on sending sources (inkan/report_mark.h):
 * IPv4/IPv6 network text parsed strictly (host bits past the prefix are
 * refused, not silently cleared), the most specific mark holding a source,
 * and the class a mark gives a source.
 */
#include "inkan/report_mark.h"

#include <stdio.h>
#include <string.h>

#include "inkan/dns.h"

/* Bits of an IPv4 and an IPv6 address. */
#define NET_BITS4 32
#define NET_BITS6 128
/* Bits an IPv4 address sits below in an IPv4-mapped IPv6 one (::ffff:0:0/96). */
#define NET_MAPPED_BITS 96
/* Bytes of the ::ffff: part of an IPv4-mapped IPv6 address. */
#define NET_MAPPED_BYTES 12
/* Digits a prefix length may have ("128"). */
#define NET_PREFIX_DIGITS 3

/* family_bits - bits of an address of family (4 or 6) */
static unsigned family_bits(int family)
{
    return family == 4 ? NET_BITS4 : NET_BITS6;
}

/* prefix_equal - 1 when a and b agree in their first bits bits */
static int prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;

    if (memcmp(a, b, full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    return ((a[full] ^ b[full]) & (uint8_t)(0xffu << (8 - rest))) == 0;
}

/* clear_host_bits - zero addr's bits past prefix (of a bits-long address);
 * 1 when any was set */
static int clear_host_bits(uint8_t *addr, unsigned prefix, unsigned bits)
{
    unsigned i, full = prefix / 8, rest = prefix % 8;
    int set = 0;

    if (full < bits / 8 && rest != 0) {
        uint8_t keep = (uint8_t)(0xffu << (8 - rest));
        set |= (addr[full] & (uint8_t)~keep) != 0;
        addr[full] &= keep;
        full++;
    }
    for (i = full; i < bits / 8; i++) {
        set |= addr[i] != 0;
        addr[i] = 0;
    }
    return set;
}

/* ink_net_parse - "ADDR" or "ADDR/PREFIX" into *out (report_mark.h) */
enum ink_net_error ink_net_parse(const uint8_t *buf, size_t len, struct ink_net *out)
{
    const uint8_t *slash = len > 0 ? memchr(buf, '/', len) : NULL;
    size_t alen = slash ? (size_t)(slash - buf) : len, i;
    unsigned bits, prefix = 0;

    memset(out, 0, sizeof(*out));
    if (len > INK_NET_INPUT_MAX || alen == 0 ||
        ink_ip_parse((const char *)buf, alen, &out->family, out->addr) < 0)
        return INK_NET_E_ADDRESS;
    bits = family_bits(out->family);
    if (slash == NULL) {
        out->prefix = bits;
        return INK_NET_OK;
    }
    /* digits only: no sign, no space, no leading zero but "0" itself */
    i = alen + 1;
    if (i >= len || len - i > NET_PREFIX_DIGITS || (buf[i] == '0' && len - i > 1))
        return INK_NET_E_PREFIX;
    for (; i < len; i++) {
        if (buf[i] < '0' || buf[i] > '9')
            return INK_NET_E_PREFIX;
        prefix = prefix * 10 + (unsigned)(buf[i] - '0');
    }
    if (prefix > bits)
        return INK_NET_E_PREFIX;
    out->prefix = prefix;
    return clear_host_bits(out->addr, prefix, bits) ? INK_NET_E_HOST_BITS : INK_NET_OK;
}

/* ink_net_error_text - why a network text was refused */
const char *ink_net_error_text(enum ink_net_error e)
{
    switch (e) {
    case INK_NET_OK: return "ok";
    case INK_NET_E_ADDRESS: return "not an IPv4 or IPv6 address";
    case INK_NET_E_PREFIX: return "the prefix length is not 0..32 (IPv4) or 0..128 (IPv6)";
    case INK_NET_E_HOST_BITS: return "bits are set past the prefix length";
    }
    return "?";
}

/* ink_net_addr_format - the network's address as canonical text */
char *ink_net_addr_format(const struct ink_net *n, char *buf, size_t len)
{
    return ink_ip_format(n->family, n->addr, buf, len);
}

/* ink_net_format - "ADDR/PREFIX" */
char *ink_net_format(const struct ink_net *n, char *buf, size_t len)
{
    char a[INK_NET_TEXT_MAX];

    if (len == 0)
        return buf;
    ink_net_addr_format(n, a, sizeof(a));
    snprintf(buf, len, "%s/%u", a, n->prefix);
    return buf;
}

/* mapped_v4 - 1 when the IPv6 address is IPv4-mapped (::ffff:a.b.c.d) */
static int mapped_v4(const uint8_t addr[16])
{
    static const uint8_t pre[NET_MAPPED_BYTES] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    return memcmp(addr, pre, sizeof(pre)) == 0;
}

/* ink_net_contains - whether the address is inside net */
int ink_net_contains(const struct ink_net *net, int family, const uint8_t addr[16])
{
    if (net->family == family)
        return prefix_equal(net->addr, addr, net->prefix);
    if (net->family == 4 && family == 6 && mapped_v4(addr))
        return prefix_equal(net->addr, addr + NET_MAPPED_BYTES, net->prefix);
    return 0;
}

/* ink_mark_name - the name of a mark */
const char *ink_mark_name(enum ink_mark m)
{
    switch (m) {
    case INK_MARK_OURS: return "ours";
    case INK_MARK_SPOOF: return "spoof";
    case INK_MARK_NONE: break;
    }
    return NULL;
}

/* ink_mark_from_name - "ours" or "spoof" */
int ink_mark_from_name(const char *s, size_t len, enum ink_mark *out)
{
    if (len == 4 && memcmp(s, "ours", 4) == 0) {
        *out = INK_MARK_OURS;
        return 0;
    }
    if (len == 5 && memcmp(s, "spoof", 5) == 0) {
        *out = INK_MARK_SPOOF;
        return 0;
    }
    return -1;
}

/* ink_mark_find - the most specific rule holding ip */
long ink_mark_find(const struct ink_mark_rule *rules, size_t n, const char *ip, size_t len)
{
    uint8_t addr[16];
    int family;
    long best = -1;
    unsigned best_bits = 0, bits;
    size_t i;

    if (ink_ip_parse(ip, len, &family, addr) < 0)
        return -1;
    for (i = 0; i < n; i++) {
        const struct ink_net *net = &rules[i].net;
        if (!ink_net_contains(net, family, addr))
            continue;
        /* an IPv4 rule against a mapped source: its place in the IPv6 space */
        bits = net->prefix + (net->family == 4 && family == 6 ? NET_MAPPED_BITS : 0);
        if (best < 0 || bits > best_bits) {
            best = (long)i;
            best_bits = bits;
        }
    }
    return best;
}

/* ink_report_class_marked - a class under the owner's mark */
const char *ink_report_class_marked(const char *cls, enum ink_mark m)
{
    switch (m) {
    case INK_MARK_OURS:
        return cls != NULL && strcmp(cls, "aligned") == 0 ? "aligned" : "legitimate-failing";
    case INK_MARK_SPOOF:
        return "unknown";
    case INK_MARK_NONE:
        break;
    }
    return cls;
}
