/*
 * inkan/report_mark.h - the marks a domain owner puts on sending sources
 * (`inkan report mark DOMAIN IP|CIDR --as ours|spoof`): an IPv4 or IPv6
 * network, and what the owner says it is.  A source inside a network
 * marked "ours" is the owner's own (legitimate: aligned when all its mail
 * passed DMARC, else legitimate-failing, whatever else it looks like); a
 * source inside one marked "spoof" is classified unknown (spoofing) even
 * when its mail passed.  When networks nest, the most specific (longest
 * prefix) mark that contains the source wins.
 *
 * Parsing, matching and the classification are here (no I/O); the marks
 * themselves live in the store (report_mark_put/list/remove) and the
 * command line hands them in.
 */
#ifndef INKAN_REPORT_MARK_H
#define INKAN_REPORT_MARK_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Marks one policy domain holds at most (a classification compares each
 * source with each mark of its domain: 10,000 sources by 10,000 marks). */
#define INK_MARKS_MAX 10000
/* Bytes of a mark's note. */
#define INK_MARK_NOTE_MAX 256
/* Bytes of a network's text "ADDR/PREFIX" with its terminator (an IPv6
 * address is at most 45 characters, "/128" four more). */
#define INK_NET_TEXT_MAX 64
/* Bytes of a network's input text ink_net_parse reads at most. */
#define INK_NET_INPUT_MAX 64

/* What the owner said a source is. */
enum ink_mark {
    INK_MARK_NONE = 0, /* not marked */
    INK_MARK_OURS,     /* "ours": a legitimate sender of the domain */
    INK_MARK_SPOOF     /* "spoof": not ours, whatever it looks like */
};

/* An address range: family 4 (addr[0..4)) or 6 (addr[0..16)), prefix
 * 0..32 or 0..128; the bits past the prefix are zero. */
struct ink_net {
    int family;
    uint8_t addr[16];
    unsigned prefix;
};

/* Why a network text was refused. */
enum ink_net_error {
    INK_NET_OK = 0,
    INK_NET_E_ADDRESS,   /* not an IPv4 or IPv6 address (or too long) */
    INK_NET_E_PREFIX,    /* the prefix is not a number of 0..32 (IPv4) or 0..128 (IPv6) */
    INK_NET_E_HOST_BITS  /* bits set past the prefix: refused, not normalised */
};

/*
 * ink_net_parse - "ADDR" (one address: /32 or /128) or "ADDR/PREFIX", len
 * bytes of buf (no NUL needed; never read past len), into *out.  Returns
 * INK_NET_OK, or why not.  With INK_NET_E_HOST_BITS, *out holds the
 * network with those bits cleared (for the message "did you mean ...");
 * with INK_NET_E_PREFIX, out->family the address's family; after
 * INK_NET_E_ADDRESS *out is unspecified.
 */
enum ink_net_error ink_net_parse(const uint8_t *buf, size_t len, struct ink_net *out);
/* ink_net_error_text - the reason for a person (static) */
const char *ink_net_error_text(enum ink_net_error e);
/* ink_net_format - "ADDR/PREFIX" (canonical address text) into buf of
 * len (INK_NET_TEXT_MAX) bytes; returns buf */
char *ink_net_format(const struct ink_net *n, char *buf, size_t len);
/* ink_net_addr_format - the network's address alone into buf; returns buf */
char *ink_net_addr_format(const struct ink_net *n, char *buf, size_t len);
/* ink_net_contains - 1 when the address (family 4 or 6, bytes in addr)
 * is inside net; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is inside
 * the IPv4 networks that hold a.b.c.d as well */
int ink_net_contains(const struct ink_net *net, int family, const uint8_t addr[16]);

/* ink_mark_name - "ours", "spoof" (static), NULL for INK_MARK_NONE */
const char *ink_mark_name(enum ink_mark m);
/* ink_mark_from_name - "ours" or "spoof" (len bytes, exactly) into *out:
 * 0, or -1 for anything else */
int ink_mark_from_name(const char *s, size_t len, enum ink_mark *out);

/* One mark as the matcher reads it. */
struct ink_mark_rule {
    struct ink_net net;
    enum ink_mark mark;
};

/*
 * ink_mark_find - the index of the rule among rules[0..n) whose network
 * holds the address ip (len bytes of text) with the longest prefix (an
 * IPv4 rule counts as its prefix + 96 against an IPv4-mapped IPv6 source;
 * equal networks: the first).  -1 when none does or ip is no address.
 */
long ink_mark_find(const struct ink_mark_rule *rules, size_t n, const char *ip, size_t len);

/*
 * ink_report_class_marked - the class of a source that looks like cls
 * (ink_report_source_class) and is marked m: INK_MARK_NONE keeps cls;
 * "ours" keeps "aligned" (every message passed) and makes anything else
 * "legitimate-failing"; "spoof" makes it "unknown".  Static strings.
 */
const char *ink_report_class_marked(const char *cls, enum ink_mark m);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
