/*
 * inkan/rotate.h - DKIM key rotation that waits for DNS (docs/dkim-rotation.md).
 *
 * One rotation moves a domain from its old key(s) to new key(s) under a
 * new selector through four phases:
 *
 *   PUBLISH_NEW --every authoritative server serves every new key--> ACTIVE
 *   ACTIVE      --now >= active_at + overlap-------------------------> RETIRE
 *   RETIRE      --every authoritative server shows every old key
 *                 revoked (p= empty) or gone-------------------------> DONE
 *
 * In PUBLISH_NEW the old keys sign; from ACTIVE on the new ones do
 * (ink_rotation_signing_new).  The old records stay published through
 * ACTIVE (the overlap: mail signed with them is still in flight); RETIRE
 * proposes their revocation (ink_rotation_zone_lines).
 *
 * Sans-I/O: time is a parameter, DNS is what the check machine
 * (ink_rotate_check, the one query protocol of inkan/query.h) is fed.
 * Which server a check sees is the resolver its driver runs over: the
 * caller runs one check per authoritative server (found with ink_vauth,
 * inkan/verify.h) and hands ink_rotation_advance() one observation per
 * server, so one server that lags keeps the rotation waiting.
 */
#ifndef INKAN_ROTATE_H
#define INKAN_ROTATE_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/dns.h"
#include "inkan/query.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Keys on one side of a rotation (one per algorithm: RSA and Ed25519). */
#define INK_ROTATE_KEYS_MAX 4
/* Default and largest overlap (seconds) the old keys stay published. */
#define INK_ROTATE_OVERLAP_DEFAULT (7 * 86400)
#define INK_ROTATE_OVERLAP_MAX (366 * 86400)
/* Next look while DNS is awaited, and after an inconclusive look (s). */
#define INK_ROTATE_POLL 300
#define INK_ROTATE_POLL_RETRY 120
/* Authoritative servers one advance takes observations of. */
#define INK_ROTATE_SERVERS_MAX 8
/* Longest selector a format may expand to (one DNS label is 63). */
#define INK_ROTATE_SELECTOR_MAX 253
/* Longest detail text kept. */
#define INK_ROTATE_DETAIL_MAX 2048

enum ink_rot_phase {
    INK_ROT_PUBLISH_NEW = 0,
    INK_ROT_ACTIVE,
    INK_ROT_RETIRE,
    INK_ROT_DONE
};

/* One key of a rotation. */
struct ink_rot_key {
    char *selector;  /* s= */
    char *key_type;  /* "rsa", "ed25519", or NULL (an old key not made here) */
    char *record;    /* the TXT value ("v=DKIM1; k=...; p=..."), or NULL
                      * (an old key not made here) */
    char *key_file;  /* the private key file, or NULL */
};

struct ink_rotation {
    int64_t id;            /* store id (0: not stored) */
    char *domain;          /* normalised */
    enum ink_rot_phase phase;
    int64_t created_at;
    int64_t phase_since;   /* last phase change */
    int64_t active_at;     /* when it went ACTIVE (0: not yet) */
    int64_t overlap;       /* seconds the old keys stay after ACTIVE */
    int64_t last_check;    /* last advance (0: never) */
    int64_t next_check;    /* when an advance may change something */
    uint32_t ttl;          /* TTL of the zone lines proposed */
    size_t nnew, nold;
    struct ink_rot_key newk[INK_ROTATE_KEYS_MAX];
    struct ink_rot_key oldk[INK_ROTATE_KEYS_MAX];
    char *detail;          /* what the last advance saw (owned), or NULL */
};

/* What one authoritative server showed of one key. */
enum ink_rot_seen {
    INK_ROT_SEEN_KEY = 0,   /* the expected key record */
    INK_ROT_SEEN_REVOKED,   /* a key record with an empty p= */
    INK_ROT_SEEN_ABSENT,    /* NXDOMAIN, NODATA, no key record */
    INK_ROT_SEEN_OTHER,     /* another key, several, or an unusable record */
    INK_ROT_SEEN_ERROR      /* inconclusive: timeout, SERVFAIL, no answer */
};

/* One server's observations of the side being checked (new keys in
 * PUBLISH_NEW, old keys in RETIRE), seen[i] for key i of that side. */
struct ink_rot_obs {
    const char *server;     /* how to name it ("192.0.2.1"), borrowed */
    enum ink_rot_seen seen[INK_ROTATE_KEYS_MAX];
};

/* ink_rotation_new - an empty rotation of domain in PUBLISH_NEW created
 * at now with the default overlap; NULL on a bad name or ENOMEM.  Caller
 * frees. */
struct ink_rotation *ink_rotation_new(const char *domain, int64_t now);
/* ink_rotation_free - release; NULL is a no-op */
void ink_rotation_free(struct ink_rotation *r);
/* ink_rotation_add_key - append a key to the new (is_new) or old side;
 * strings copied, type/record/file may be NULL.  0, or -1 on ENOMEM, a
 * selector that is not one, or INK_ROTATE_KEYS_MAX reached. */
int ink_rotation_add_key(struct ink_rotation *r, int is_new, const char *selector,
                         const char *key_type, const char *record, const char *key_file);
/* ink_rotation_set_detail - replace the detail text (NULL clears); 0/-1 */
int ink_rotation_set_detail(struct ink_rotation *r, const char *detail);

/* ink_rotation_checked - the side a DNS check of r looks at: 1 the new
 * keys (PUBLISH_NEW), 0 the old keys (RETIRE with old keys), -1 none
 * (ACTIVE waits for the clock only; DONE) */
int ink_rotation_checked(const struct ink_rotation *r);
/* ink_rotation_signing_new - 1 when the new keys sign (ACTIVE, RETIRE,
 * DONE), 0 while the old ones do (PUBLISH_NEW) */
int ink_rotation_signing_new(const struct ink_rotation *r);

/*
 * ink_rotation_advance - one step of r at now with what nobs servers
 * showed of the side ink_rotation_checked() names (ignored for ACTIVE and
 * DONE; nobs 0 with why_none saying why no server could be asked keeps a
 * DNS-waiting phase where it is).  Moves at most one phase, sets
 * last_check, next_check and detail.  Returns 1 when the phase changed
 * (*from gets the old one; may be NULL), 0 when not, -1 on ENOMEM (r then
 * keeps its phase).  A clock that went back (now before phase_since)
 * never moves r.
 */
int ink_rotation_advance(struct ink_rotation *r, const struct ink_rot_obs *obs, size_t nobs,
                         const char *why_none, int64_t now, enum ink_rot_phase *from);

/*
 * ink_rotation_zone_lines - append what to publish now as zone-file
 * lines: PUBLISH_NEW and ACTIVE the new records (with the old ones kept,
 * as comments); RETIRE the old selectors revoked ("v=DKIM1; k=...; p=")
 * with their removal proposed as comments; DONE nothing but a comment.
 * 0, or -1 on ENOMEM.
 */
int ink_rotation_zone_lines(const struct ink_rotation *r, struct ink_str *out);

/*
 * ink_rotate_selector - expand a selector format at now (seconds since
 * the epoch, UTC) for the key algorithm alg ("rsa2048", "ed25519"):
 *   %Y year (4 digits)  %m month  %d day  %H hour  %M minute  %S second
 *   (2 digits each)  %s seconds since the epoch  %a the algorithm
 *   %% a percent sign
 * With append_alg set and no %a in fmt, "-ALG" is appended (several
 * algorithms need several selectors).  The result must be a DKIM
 * selector (dot-separated labels of letters, digits and inner hyphens).
 * Writes it into out (cap bytes) and returns its length, or -1 with why
 * and the byte offset of fmt in *erroff.
 */
int ink_rotate_selector(const char *fmt, int64_t now, const char *alg, int append_alg,
                        char *out, size_t cap, const char **why, size_t *erroff);

/*
 * ink_rotate_check - what one server shows of the keys of the side
 * ink_rotation_checked(r) names (TXT at each SELECTOR._domainkey.DOMAIN),
 * as a machine of the query protocol: every query at once, then WAIT,
 * then DONE.  r is borrowed and must outlive c unchanged.  NULL or an
 * unfitting answer counts as INK_ROT_SEEN_ERROR.  FAILED only on ENOMEM.
 */
struct ink_rotate_check;

struct ink_rotate_check *ink_rotate_check_new(const struct ink_rotation *r);
void ink_rotate_check_free(struct ink_rotate_check *c);
enum ink_next ink_rotate_check_next(struct ink_rotate_check *c, struct ink_query *q);
int ink_rotate_check_feed(struct ink_rotate_check *c, uint32_t token,
                          const struct ink_dns_answer *answer);
struct ink_machine ink_rotate_check_machine(struct ink_rotate_check *c);
/* ink_rotate_check_obs - the observations once DONE (server set to the
 * given name, borrowed); 0, or -1 when not DONE */
int ink_rotate_check_obs(const struct ink_rotate_check *c, const char *server,
                         struct ink_rot_obs *out);

/* ink_rot_seen_classify - what answer (borrowed; NULL: none) shows of a
 * key whose expected record is expect (NULL: any key counts as it) */
enum ink_rot_seen ink_rot_seen_classify(const struct ink_dns_answer *answer, const char *expect);

/* ink_rot_phase_name - "PUBLISH_NEW", "ACTIVE", "RETIRE", "DONE" */
const char *ink_rot_phase_name(enum ink_rot_phase p);
/* ink_rot_phase_from_name - inverse (case-insensitive); -1 if unknown */
int ink_rot_phase_from_name(const char *s);
/* ink_rot_seen_name - "key", "revoked", "absent", "other", "error" */
const char *ink_rot_seen_name(enum ink_rot_seen s);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
