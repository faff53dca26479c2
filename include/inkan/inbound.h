/*
 * inkan/inbound.h - the receiver's evaluation of one message: SPF (MAIL
 * FROM and HELO), every DKIM signature, DMARC (RFC 9989: Author Domain,
 * discovery, alignment, p/sp/np, t=y), iprev (RFC 8601 section 3), HELO
 * findings, RFC 5322 sanity and a trust level, as one sans-I/O machine
 * speaking inkan/query.h.  Its sub-evaluations ask their DNS questions at
 * the same time (SPF does not wait for DKIM keys), so one driver with
 * many messages keeps the resolver busy.
 *
 * Use: ink_inbound_new(envelope), push the raw message (header and body)
 * in chunks of any size, ink_inbound_end(); drive next/feed (the driver
 * may start before the message has all arrived: poke it after a push).
 * Memory does not grow with the body.
 */
#ifndef INKAN_INBOUND_H
#define INKAN_INBOUND_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/arc.h"
#include "inkan/dkim.h"
#include "inkan/dmarc.h"
#include "inkan/finding.h"
#include "inkan/query.h"
#include "inkan/spf.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* DNS queries one message may ask in all (two SPF evaluations at their
 * RFC limits, the DKIM keys, DMARC, iprev, HELO, RFC 5322 domains fit);
 * a query past it is failed as temporary, so the result says temperror. */
#define INK_INBOUND_QUERIES_MAX 512
/* Queries one message may have out at once. */
#define INK_INBOUND_PENDING_MAX 64
/* PTR names iprev forward-confirms (RFC 8601 3: a limit is expected). */
#define INK_INBOUND_IPREV_NAMES_MAX 10
/* RCPT TO addresses kept. */
#define INK_INBOUND_RCPTS_MAX 1000
/* Addresses read from one From, Sender or Reply-To field. */
#define INK_INBOUND_ADDRS_MAX 64
/* Identifier domains whose Organizational Domain is looked up. */
#define INK_INBOUND_ORG_LOOKUPS_MAX 8
/* Domains of From, Sender and Reply-To checked for existence. */
#define INK_INBOUND_EXIST_MAX 4
/* Findings kept per area (helo, rfc5322). */
#define INK_INBOUND_FINDINGS_MAX 32
/* Longest address (RFC 5321 path) taken from the envelope. */
#define INK_INBOUND_ADDR_MAX 320

/* iprev results (RFC 8601 section 2.7.3). */
enum ink_iprev_result {
    INK_IPREV_NONE = 0,  /* not checked (no client address) */
    INK_IPREV_PASS,      /* a PTR name maps back to the client */
    INK_IPREV_FAIL,      /* PTR names exist, none maps back */
    INK_IPREV_TEMPERROR, /* a lookup failed temporarily */
    INK_IPREV_PERMERROR  /* no PTR name (NXDOMAIN or no record) */
};
const char *ink_iprev_result_name(enum ink_iprev_result r);

/* The trust level derived from the findings (see the man page). */
enum ink_trust { INK_TRUST_HIGH = 0, INK_TRUST_NORMAL, INK_TRUST_LOW };
const char *ink_trust_name(enum ink_trust t);

/* How the Author Domain was found (RFC 9989 5.3.1, 4.2, 11.5). */
enum ink_from_status {
    INK_FROM_OK = 0,    /* one From field, one domain (maybe several addresses) */
    INK_FROM_NONE,      /* no From field */
    INK_FROM_MULTIPLE,  /* more than one From field */
    INK_FROM_DOMAINS,   /* one From field, addresses in different domains */
    INK_FROM_BAD        /* From cannot be parsed or holds no address */
};
const char *ink_from_status_name(enum ink_from_status s);

struct ink_inbound_params {
    const char *ip;         /* client address text (v4 or v6), or NULL */
    const char *helo;       /* HELO/EHLO name, or NULL */
    const char *mail_from;  /* MAIL FROM address ("" or "<>" for the null path) */
    size_t nrcpt;
    const char *const *rcpt; /* RCPT TO addresses */
    int64_t now;            /* seconds since the epoch (SPF %{t}, DKIM x=) */
    enum ink_dmarc_org_mode org_mode;
    const void *psl;        /* a psl_ctx_t for PSL mode and HELO checks, or NULL */
    unsigned flags;         /* INK_INBOUND_* */
    struct ink_dkim_keycache *keycache; /* shared, or NULL */
    const char *receiver;   /* SPF %{r}, or NULL */
};

/* Flags */
#define INK_INBOUND_LF_TO_CRLF 0x1u /* the message uses bare LF line ends */

struct ink_inbound;

/* ink_inbound_new - one message's evaluation; the params' strings are
 * copied.  NULL on ENOMEM; a bad client address (not an IP literal) gives
 * NULL with *err set to a static reason when err is non-NULL. */
struct ink_inbound *ink_inbound_new(const struct ink_inbound_params *p, const char **err);
/* ink_inbound_free - release; NULL is a no-op */
void ink_inbound_free(struct ink_inbound *m);

/* ink_inbound_push - the next len bytes of the raw message; 0, or -1 when
 * the header cannot be taken (over INK_MAILHDR_SIZE_MAX / FIELDS_MAX, out
 * of memory): the machine then FAILS with ink_inbound_error() */
int ink_inbound_push(struct ink_inbound *m, const uint8_t *buf, size_t len);
/* ink_inbound_end - the message ended; 0 or -1 as push */
int ink_inbound_end(struct ink_inbound *m);
/* ink_inbound_error - why the machine failed ("" when it did not) */
const char *ink_inbound_error(const struct ink_inbound *m);

/* The query protocol (inkan/query.h).  WAIT also while the message has
 * not ended; DONE once it has and every evaluation is finished. */
enum ink_next ink_inbound_next(struct ink_inbound *m, struct ink_query *q);
int ink_inbound_feed(struct ink_inbound *m, uint32_t token, const struct ink_dns_answer *answer);
/* ink_inbound_machine - m as a machine of kind "inbound" */
struct ink_machine ink_inbound_machine(struct ink_inbound *m);

/* ---- results (valid once next() said DONE, until m is freed) ---- */

struct ink_inbound_spf {
    enum ink_spf_result result;  /* the MAIL FROM identity (postmaster@HELO
                                  * when MAIL FROM is empty); NONE when not run */
    const char *domain;          /* the domain checked, or NULL */
    int from_helo;               /* MAIL FROM was empty: domain is the HELO */
    const char *reason;
    enum ink_spf_result helo_result; /* the HELO identity (NONE when not run) */
    const char *helo;            /* the HELO name checked, or NULL */
    const char *helo_reason;
};

struct ink_inbound_dmarc {
    enum ink_dmarc_outcome result;
    enum ink_from_status from_status;
    const char *from_reason;     /* why there is no Author Domain, or NULL */
    const char *author_domain;   /* NULL when from_status is not OK */
    const struct ink_dmarc_result *disc; /* discovery, or NULL when not run */
    struct ink_dmarc_eval eval;  /* alignment and policy (result PASS/FAIL...) */
    int author_nxdomain;         /* 1 / 0 / -1 (see ink_dmarc_eval_in) */
};

struct ink_inbound_iprev {
    enum ink_iprev_result result;
    const char *name;            /* the confirmed name (pass), else the first PTR name, or NULL */
    const char *reason;
    int generic;                 /* the name looks generic/dynamic (digits of
                                  * the address, dynamic, dsl, pool, ...) */
};

/* ARC (RFC 8617), for the trusted-sealer exception of the local policy */
struct ink_inbound_arc {
    enum ink_arc_cv cv;          /* none / pass / fail */
    int temporary;               /* fail only from a key lookup that failed temporarily */
    const char *reason;          /* why fail ("" otherwise) */
    unsigned count;              /* ARC sets (highest instance) */
    const char *sealer;          /* d= of the newest ARC-Seal, or NULL */
    const char *chain;           /* the sealers' d=, oldest first, ':'-separated ("" if none) */
    int upstream_pass;           /* the oldest ARC-Authentication-Results says
                                  * dmarc=pass, or spf=pass or dkim=pass */
};

const struct ink_inbound_spf *ink_inbound_spf(const struct ink_inbound *m);
const struct ink_inbound_arc *ink_inbound_arc(const struct ink_inbound *m);
const struct ink_inbound_dmarc *ink_inbound_dmarc(const struct ink_inbound *m);
const struct ink_inbound_iprev *ink_inbound_iprev(const struct ink_inbound *m);
/* DKIM: the verifier (ink_dkim_verify_count / _result / _skipped) */
const struct ink_dkim_verify *ink_inbound_dkim(const struct ink_inbound *m);
/* Findings of area "helo" and "rfc5322" */
size_t ink_inbound_findings(const struct ink_inbound *m, const char *area,
                            const struct ink_finding **out);
enum ink_trust ink_inbound_trust(const struct ink_inbound *m);
/* The message's header (valid once the header was pushed), or NULL */
const struct ink_mailhdr *ink_inbound_header(const struct ink_inbound *m);
/* Envelope as copied: client address text ("" if none), HELO, MAIL FROM,
 * recipients */
const char *ink_inbound_ip(const struct ink_inbound *m);
const char *ink_inbound_helo(const struct ink_inbound *m);
const char *ink_inbound_mail_from(const struct ink_inbound *m);
size_t ink_inbound_nrcpt(const struct ink_inbound *m);
const char *ink_inbound_rcpt(const struct ink_inbound *m, size_t i);
/* Queries the message asked in all */
size_t ink_inbound_queries(const struct ink_inbound *m);

/*
 * ink_inbound_authres - append the Authentication-Results field (with
 * "Authentication-Results: " and the CRLF-folded methods, no final CRLF)
 * for authserv_id; arc is "none"/"pass"/"fail" to write instead of the
 * machine's own ARC result, or NULL for the machine's (arc.chain with it).
 * 0 or -1 (ENOMEM).
 */
int ink_inbound_authres(const struct ink_inbound *m, const char *authserv_id, const char *arc,
                        struct ink_str *out);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
