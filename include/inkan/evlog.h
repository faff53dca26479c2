/*
 * inkan/evlog.h - the record of one inbound evaluation (issue 10 section
 * 4): one row per message a receiver evaluated, the input of DMARC
 * aggregate reports (`inkan report generate`).  A row says when, from
 * which client, for which header From / envelope domains, what SPF, each
 * DKIM signature and DMARC said, what was done (disposition, override),
 * and the policy the domain published.
 *
 * Also the spool codec: rows the store could not take (slow, down, or the
 * writer's queue full) are appended to a file as records
 *
 *     u32 length (big-endian) | u32 CRC-32 of the payload | payload
 *
 * where the payload is a version byte and tag-length-value fields.  The
 * reader is sans-I/O over a buffer: it returns each whole record, stops
 * cleanly at a torn tail (a record cut short by a crash: never
 * acknowledged, so nothing is lost) and reports the byte offset of a
 * record that is whole but corrupt.
 *
 * Every row carries a unique key chosen by whoever made it: the store
 * takes a key once, so a row written both to the store and to the spool,
 * or a spool replayed twice, is one row.
 */
#ifndef INKAN_EVLOG_H
#define INKAN_EVLOG_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/inbound.h"
#include "inkan/policy.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Longest unique row key (with the terminator). */
#define INK_EVROW_KEY_MAX 96
/* Longest queue id / Message-ID kept (longer ones are cut). */
#define INK_EVROW_QUEUE_ID_MAX 64
#define INK_EVROW_MESSAGE_ID_MAX 256
/* A domain name's text with the terminator (RFC 1035: 253 characters). */
#define INK_EVROW_DOMAIN_MAX 254
/* A selector (a DKIM s= is a domain-name label sequence; cut at this). */
#define INK_EVROW_SELECTOR_MAX 128
/* Address text (IPv6 with scope) with the terminator. */
#define INK_EVROW_IP_MAX 64
/* Result words ("pass", "temperror", "quarantine", ...). */
#define INK_EVROW_WORD_MAX 16
/* DKIM results kept per row (signatures past it are counted only). */
#define INK_EVROW_DKIM_MAX 8
/* Distinct recipient domains kept in envelope_to, space-separated. */
#define INK_EVROW_RCPT_DOMAINS_MAX 8
#define INK_EVROW_ENVELOPE_TO_MAX (INK_EVROW_RCPT_DOMAINS_MAX * INK_EVROW_DOMAIN_MAX)
/* Override reason types (RFC 9990 PolicyOverrideType), space-separated. */
#define INK_EVROW_OVERRIDE_MAX 64
/* The override's comment for people (which exception or mode). */
#define INK_EVROW_COMMENT_MAX 256

/* One DKIM signature's result. */
struct ink_evrow_dkim {
    char domain[INK_EVROW_DOMAIN_MAX];     /* d= */
    char selector[INK_EVROW_SELECTOR_MAX]; /* s= */
    char result[INK_EVROW_WORD_MAX];       /* RFC 8601 word: pass, fail, neutral,
                                            * policy, temperror, permerror */
};

/*
 * One evaluation.  Text fields are NUL-terminated, "" when absent (no
 * Author Domain, no DMARC record, no override...).  Words are those of
 * RFC 8601 and RFC 9990's report schema.
 */
struct ink_evrow {
    char key[INK_EVROW_KEY_MAX];           /* unique; the store keeps one row per key */
    int64_t at;                            /* evaluation time, seconds since 1970 */
    char queue_id[INK_EVROW_QUEUE_ID_MAX]; /* the MTA's queue id (Postfix {i}), or "" */
    char message_id[INK_EVROW_MESSAGE_ID_MAX]; /* the Message-ID field's value, or "" */
    char source_ip[INK_EVROW_IP_MAX];      /* client address, or "" */
    char header_from[INK_EVROW_DOMAIN_MAX]; /* Author Domain (RFC 5322 From) */
    char envelope_from[INK_EVROW_DOMAIN_MAX]; /* MAIL FROM domain ("" for <>) */
    char envelope_to[INK_EVROW_ENVELOPE_TO_MAX]; /* recipient domains, distinct,
                                                  * space-separated, in order */
    /* SPF: the identity DMARC uses (MAIL FROM, else HELO for <>) */
    char spf_result[INK_EVROW_WORD_MAX];   /* none, pass, fail, softfail, neutral,
                                            * temperror, permerror */
    char spf_domain[INK_EVROW_DOMAIN_MAX];
    char spf_scope[INK_EVROW_WORD_MAX];    /* "mfrom" or "helo" */
    size_t ndkim;                          /* results in dkim[] */
    size_t dkim_unlisted;                  /* signatures past INK_EVROW_DKIM_MAX */
    struct ink_evrow_dkim dkim[INK_EVROW_DKIM_MAX];
    /* DMARC */
    char dmarc_result[INK_EVROW_WORD_MAX]; /* none, pass, fail, temperror, permerror */
    char dmarc_spf[INK_EVROW_WORD_MAX];    /* policy_evaluated spf: "pass" (aligned
                                            * and authenticated) or "fail" */
    char dmarc_dkim[INK_EVROW_WORD_MAX];   /* policy_evaluated dkim: pass or fail */
    char disposition[INK_EVROW_WORD_MAX];  /* applied: none, quarantine, reject */
    char override[INK_EVROW_OVERRIDE_MAX]; /* RFC 9990 PolicyOverrideType words
                                            * (local_policy, trusted_forwarder,
                                            * ...), space-separated, or "" */
    char override_comment[INK_EVROW_COMMENT_MAX];
    /* the policy published (the applied record), "" when none */
    char policy_domain[INK_EVROW_DOMAIN_MAX]; /* where the record was found */
    char p[INK_EVROW_WORD_MAX];            /* none, quarantine, reject */
    char sp[INK_EVROW_WORD_MAX];
    char np[INK_EVROW_WORD_MAX];
    char t[INK_EVROW_WORD_MAX];            /* "y", "n", or "" (absent) */
    char adkim[INK_EVROW_WORD_MAX];        /* "r" / "s" (the default filled in) */
    char aspf[INK_EVROW_WORD_MAX];
};

/* ink_evrow_clear - every field empty, at 0 */
void ink_evrow_clear(struct ink_evrow *r);

/* ink_evrow_set - copy len bytes of src into a field of cap bytes (dst):
 * cut at cap - 1 and at the first NUL, bytes outside printable ASCII made
 * '?' (rows are shown and stored as text) */
void ink_evrow_set(char *dst, size_t cap, const char *src, size_t len);

/*
 * ink_evrow_from_inbound - fill r from a finished evaluation (m DONE) and
 * the verdict the policy gave it, at time now, with the caller's unique
 * key and the MTA's queue id (or NULL).  r is cleared first.  The
 * disposition is the one applied: reject, quarantine, else none (a
 * DMARC failure that a local exception or the mode let through is none,
 * with the override saying why).
 */
void ink_evrow_from_inbound(struct ink_evrow *r, const struct ink_inbound *m,
                            const struct ink_verdict *v, int64_t now, const char *key,
                            const char *queue_id);

/* ---- the spool codec ---- */

/* Bytes before a record's payload: length and CRC-32. */
#define INK_EVSPOOL_HEADER 8
/* Largest payload accepted (a full row is about 6 KB). */
#define INK_EVSPOOL_PAYLOAD_MAX (64u * 1024u)
/* The payload's format version (its first byte). */
#define INK_EVSPOOL_VERSION 1

/* ink_crc32 - the CRC-32 of ISO-HDLC (zlib's, Ethernet's) over len bytes,
 * continuing from crc (0 to start) */
uint32_t ink_crc32(uint32_t crc, const uint8_t *buf, size_t len);

/* ink_evspool_encode - append r's whole record (header and payload) to
 * out.  0, or -1 (ENOMEM). */
int ink_evspool_encode(const struct ink_evrow *r, struct ink_str *out);

/* What the reader found at its offset. */
enum ink_evspool_status {
    INK_EVSPOOL_RECORD = 0, /* a record: *row filled, the offset moved past it */
    INK_EVSPOOL_END,        /* no bytes left: the spool ends cleanly */
    INK_EVSPOOL_TORN,       /* a record cut short: the tail from the offset is
                             * a write a crash interrupted (never acknowledged) */
    INK_EVSPOOL_CORRUPT     /* a whole record that is not valid (CRC, length,
                             * fields): at the offset, why in the reader */
};

/* A reader over a buffer (the caller's, borrowed while reading). */
struct ink_evspool_reader {
    const uint8_t *buf;
    size_t len;
    size_t off;             /* where the next record starts */
    const char *why;        /* static reason of TORN / CORRUPT, else NULL */
    size_t why_off;         /* byte offset of the field at fault (CORRUPT) */
};

/* ink_evspool_reader_init - read buf[0..len) from offset 0 */
void ink_evspool_reader_init(struct ink_evspool_reader *rd, const uint8_t *buf, size_t len);

/*
 * ink_evspool_next - the record at rd->off into *row.  RECORD moves
 * rd->off past it; END, TORN and CORRUPT leave rd->off at the record
 * they are about (the length of the good prefix), and keep returning the
 * same.  Never reads past len.
 */
enum ink_evspool_status ink_evspool_next(struct ink_evspool_reader *rd, struct ink_evrow *row);

/* ink_evspool_status_name - "record", "end", "torn", "corrupt" */
const char *ink_evspool_status_name(enum ink_evspool_status s);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
