/*
 * inkan/dmarc.h - DMARC policy records (RFC 9989, with RFC 7489's
 * obsolete tags still understood): parse with byte-offset diagnostics,
 * lint, serialize; and policy discovery as a sans-I/O state machine (the
 * RFC 9989 section 4.10 DNS tree walk, or the Public Suffix List mode of
 * RFC 7489) that also checks external report destinations
 * (<domain>._report._dmarc.<dest>).
 *
 * Discovery never touches the network: it speaks the query protocol of
 * inkan/query.h (ink_dmarc_disc_next / _feed / _machine), one TXT query
 * at a time.  One thread can drive thousands of them.
 */
#ifndef INKAN_DMARC_H
#define INKAN_DMARC_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/dns.h"
#include "inkan/finding.h"
#include "inkan/query.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Longest record text parsed (a TXT RRset joined); longer is malformed. */
#define INK_DMARC_RECORD_MAX 8192
/* Tags one record may carry before the rest is ignored as abuse. */
#define INK_DMARC_TAGS_MAX 64
/* Reporting URIs kept per rua/ruf tag (RFC 7489 asked receivers for 2). */
#define INK_DMARC_URIS_MAX 16
/* Diagnostics kept per record. */
#define INK_DMARC_DIAGS_MAX 64
/* RFC 9989 section 4.10: a tree walk asks at most this many names, and
 * names longer than this many labels are first cut down to 7 labels. */
#define INK_DMARC_WALK_QUERIES_MAX 8
#define INK_DMARC_WALK_SHORTEN_AT 8
#define INK_DMARC_WALK_SHORTEN_TO 7
/* External destinations checked per record (distinct hosts). */
#define INK_DMARC_REPORT_HOSTS_MAX 16

/* A policy value (p, sp, np).  UNSET: the tag is absent or invalid. */
enum ink_dmarc_policy {
    INK_DMARC_P_UNSET = 0,
    INK_DMARC_P_NONE,
    INK_DMARC_P_QUARANTINE,
    INK_DMARC_P_REJECT
};

/* An alignment mode (adkim, aspf). */
enum ink_dmarc_align { INK_DMARC_ALIGN_UNSET = 0, INK_DMARC_ALIGN_RELAXED, INK_DMARC_ALIGN_STRICT };

/* The psd tag. */
enum ink_dmarc_psd { INK_DMARC_PSD_UNSET = 0, INK_DMARC_PSD_YES, INK_DMARC_PSD_NO, INK_DMARC_PSD_UNKNOWN };

/* A yes/no flag tag (t). */
enum ink_dmarc_flag { INK_DMARC_FLAG_UNSET = 0, INK_DMARC_FLAG_YES, INK_DMARC_FLAG_NO };

/* fo bits */
#define INK_DMARC_FO_0 0x1u
#define INK_DMARC_FO_1 0x2u
#define INK_DMARC_FO_D 0x4u
#define INK_DMARC_FO_S 0x8u

/*
 * A record's diagnostics are findings (inkan/finding.h): area "dmarc", a
 * stable code (see ink_dmarc_codes), a message owned by the record, and
 * offset = the byte offset in the record text it is about (-1 for advice
 * about the record as a whole, from ink_dmarc_record_lint).  subject and
 * fix are left NULL: the record does not know its owner name.
 */

/* Every code a DMARC record's diagnostics can carry (NULL-terminated). */
extern const char *const ink_dmarc_codes[];

/* One reporting URI of rua or ruf. */
struct ink_dmarc_uri {
    char *uri;          /* the URI without any size suffix (owned) */
    char *scheme;       /* lower-case scheme ("mailto", "https") (owned) */
    char *address;      /* mailto: the addr-spec (local@domain), else NULL (owned) */
    char *host;         /* mailto: the address's domain; others: the authority's
                         * host; lower-case, no trailing dot; NULL if none (owned) */
    uint64_t max_size;  /* obsolete "!size" suffix in bytes; 0 when absent */
    int has_size;       /* a size suffix was given */
    size_t off;         /* byte offset of the URI in the record */
};

/*
 * A DMARC record.  Built by ink_dmarc_record_parse() (then with offsets
 * and diagnostics) or by hand (ink_dmarc_record_new + setters, for
 * provisioning) and written out by ink_dmarc_record_serialize().
 */
struct ink_dmarc_record {
    int is_dmarc;   /* the text starts with v=DMARC1; else it is not a DMARC
                     * record at all and every other field is unset */
    enum ink_dmarc_policy p, sp, np;
    int p_invalid, sp_invalid, np_invalid; /* tag present with a bad value */
    enum ink_dmarc_psd psd;
    enum ink_dmarc_flag t;
    enum ink_dmarc_align adkim, aspf;
    unsigned fo;    /* INK_DMARC_FO_* bits; 0 when absent */
    size_t nrua, nruf;
    struct ink_dmarc_uri rua[INK_DMARC_URIS_MAX];
    struct ink_dmarc_uri ruf[INK_DMARC_URIS_MAX];
    /* RFC 7489 tags, obsolete in RFC 9989 (-1 when absent) */
    int pct;        /* 0..100 */
    long ri;        /* seconds */
    char *rf;       /* owned, or NULL */
    /* diagnostics in the order found */
    size_t ndiag;
    struct ink_finding diag[INK_DMARC_DIAGS_MAX];
    size_t nerrors, nwarnings; /* counts among diag */
};

/* ink_dmarc_record_new - an empty DMARC record (is_dmarc set, all tags
 * unset); caller owns (ink_dmarc_record_free).  NULL on ENOMEM. */
struct ink_dmarc_record *ink_dmarc_record_new(void);
/* ink_dmarc_record_free - release; NULL is a no-op */
void ink_dmarc_record_free(struct ink_dmarc_record *r);

/*
 * ink_dmarc_record_parse - parse len bytes of record text (the TXT
 * strings joined; no NUL needed).  Always returns a record (NULL only on
 * ENOMEM) that the caller owns: check is_dmarc first.  Syntax errors,
 * bad values, obsolete tags (pct, rf, ri, the "!size" URI suffix),
 * unknown and duplicate tags become diagnostics with byte offsets; bad
 * values leave the tag unset (the RFC's default applies).
 */
struct ink_dmarc_record *ink_dmarc_record_parse(const uint8_t *buf, size_t len);

/* ink_dmarc_is_record - 1 if the text starts with the v=DMARC1 tag (the
 * test RFC 9989 4.10 step 2 applies to each TXT record) */
int ink_dmarc_is_record(const uint8_t *buf, size_t len);

/*
 * ink_dmarc_record_lint - add advice about what the record asks for
 * (not its syntax) as diagnostics: no p, p=none, subdomain policy weaker
 * than p, t=y, no rua, ruf without fo context, pct below 100, ...
 * domain is where the record is published (without "_dmarc."), or NULL.
 */
void ink_dmarc_record_lint(struct ink_dmarc_record *r, const char *domain);

/*
 * ink_dmarc_record_usable - RFC 9989 4.10.1: the policy a receiver
 * applies.  Returns the effective p (a missing/invalid p or an invalid
 * sp/np turns into none when rua has a valid URI), or UNSET when no
 * DMARC processing applies at all.
 */
enum ink_dmarc_policy ink_dmarc_record_usable(const struct ink_dmarc_record *r);

/* Serialize flags */
#define INK_DMARC_SER_OBSOLETE 0x1u /* also write pct, rf, ri and URI sizes */

/*
 * ink_dmarc_record_serialize - append the record as TXT text (tags in a
 * fixed order, "v=DMARC1; p=...; ..."); set tags only.  0 or -1 (ENOMEM).
 */
int ink_dmarc_record_serialize(const struct ink_dmarc_record *r, unsigned flags,
                               struct ink_str *out);

/* ink_dmarc_record_add_uri - append a URI (parsed like one from a record)
 * to rua (ruf == 0) or ruf.  0, or -1 if it is not a valid URI, the list
 * is full, or ENOMEM. */
int ink_dmarc_record_add_uri(struct ink_dmarc_record *r, int ruf, const char *uri);

/* Names for values: "none", "quarantine", "reject" (NULL when unset) */
const char *ink_dmarc_policy_name(enum ink_dmarc_policy p);
/* "r" / "s" (NULL when unset) */
const char *ink_dmarc_align_name(enum ink_dmarc_align a);

/* ---- policy discovery ---- */

/* How the organizational domain is found. */
enum ink_dmarc_org_mode {
    INK_DMARC_ORG_TREEWALK = 0, /* RFC 9989 section 4.10 DNS tree walk */
    INK_DMARC_ORG_PSL           /* RFC 7489: registrable domain from the PSL */
};

/* Overall outcome of discovery. */
enum ink_dmarc_disc_status {
    INK_DMARC_DISC_FOUND = 0, /* a policy record applies */
    INK_DMARC_DISC_NONE,      /* no record anywhere: DMARC does not apply */
    INK_DMARC_DISC_TEMPERROR, /* a lookup failed temporarily (SERVFAIL/TIMEOUT) */
    INK_DMARC_DISC_BADNAME    /* the domain is not a valid domain name */
};

/* What was seen at one _dmarc name (tree walk or PSL). */
struct ink_dmarc_lookup {
    char *domain;             /* the domain (without _dmarc.) (owned) */
    enum ink_dns_status status;
    size_t nrecords;          /* TXT records starting with v=DMARC1 */
    size_t nother;            /* other TXT records there */
    struct ink_dmarc_record *record; /* the one record when nrecords == 1 (owned) */
    char *text;               /* its text (owned), or NULL */
    char *other_text;         /* the first TXT there that is not DMARC (owned),
                               * or NULL: shows typos such as v=dmarc1 */
};

/* Whether an external report destination accepts reports. */
enum ink_dmarc_dest_status {
    INK_DMARC_DEST_INTERNAL = 0, /* same organizational domain: no check needed */
    INK_DMARC_DEST_AUTHORIZED,   /* <domain>._report._dmarc.<host> has v=DMARC1 */
    INK_DMARC_DEST_UNAUTHORIZED, /* no such record: receivers drop the URI */
    INK_DMARC_DEST_TEMPERROR,    /* the lookup failed temporarily */
    INK_DMARC_DEST_TOO_LONG,     /* the name to ask exceeds DNS limits */
    INK_DMARC_DEST_NOHOST        /* the URI names no host (cannot be checked) */
};

/* One destination host of rua/ruf and its authorization. */
struct ink_dmarc_dest {
    char *host;               /* destination host (owned) */
    char *qname;              /* the name asked, or NULL (owned) */
    enum ink_dmarc_dest_status status;
    int in_rua, in_ruf;       /* where it appears */
    char *override_rua;       /* rua= from the authorization record, or NULL (owned) */
};

/* The outcome of discovery; owned by the discovery object. */
struct ink_dmarc_result {
    enum ink_dmarc_disc_status status;
    const char *domain;          /* the domain asked about */
    const char *policy_domain;   /* where the applied record was found, or NULL */
    const char *org_domain;      /* the organizational domain (never NULL when
                                  * status is FOUND or NONE) */
    const struct ink_dmarc_record *record; /* the applied record, or NULL */
    const char *record_text;     /* its text, or NULL */
    int inherited;               /* the record is not the domain's own */
    int from_psd;                /* the record is a public suffix domain's */
    enum ink_dmarc_policy policy;    /* policy for the domain if it exists */
    enum ink_dmarc_policy np_policy; /* policy if the domain does not exist */
    const char *temperror_name;  /* the _dmarc name that failed, or NULL; set
                                  * with status FOUND when the domain's own
                                  * record was found but the walk above it
                                  * failed (org_domain is then from the names
                                  * asked before the failure) */
    size_t nlookups;
    const struct ink_dmarc_lookup *lookups; /* every name asked, in order */
    size_t ndests;
    const struct ink_dmarc_dest *dests;     /* report destinations */
};

struct ink_dmarc_disc;

/* Discovery options */
#define INK_DMARC_DISC_NO_DESTS 0x1u /* do not check report destinations */

/*
 * ink_dmarc_disc_new - discovery for domain (a name, NUL-terminated).
 * In PSL mode psl is the list to use (a psl_ctx_t from libpsl); NULL
 * takes libpsl's built-in list.  Caller owns (ink_dmarc_disc_free).
 * NULL on ENOMEM.  An invalid name gives a machine that is done at once
 * with status BADNAME.
 */
struct ink_dmarc_disc *ink_dmarc_disc_new(const char *domain, enum ink_dmarc_org_mode mode,
                                          const void *psl, unsigned flags);
/* ink_dmarc_disc_free - release; NULL is a no-op */
void ink_dmarc_disc_free(struct ink_dmarc_disc *d);

/*
 * ink_dmarc_disc_next - the query protocol's next() (inkan/query.h):
 * READY with a TXT query in *q (q->name owned by d, valid until the next
 * next()/feed()), WAIT while that query is out (one at a time), DONE
 * when discovery has ended (ink_dmarc_disc_result()).  Never FAILED: out
 * of memory ends discovery with status TEMPERROR, never a wrong answer.
 */
enum ink_next ink_dmarc_disc_next(struct ink_dmarc_disc *d, struct ink_query *q);

/*
 * ink_dmarc_disc_feed - the answer to the query with this token (borrowed
 * for the call).  A NULL answer, or one that does not fit the question
 * (ink_query_answer_fits), is a temporary failure of that lookup (seen as
 * TIMEOUT for NULL, SERVFAIL for a misfit, in the lookup's status): the walk
 * stops there with TEMPERROR (unless the domain's own record is already
 * known), a report destination becomes INK_DMARC_DEST_TEMPERROR.  0, or
 * -1 (nothing changed) when token is not the query outstanding.
 */
int ink_dmarc_disc_feed(struct ink_dmarc_disc *d, uint32_t token,
                        const struct ink_dns_answer *answer);

/* ink_dmarc_disc_machine - d as a machine of kind "dmarc" for a driver
 * (d stays the caller's) */
struct ink_machine ink_dmarc_disc_machine(struct ink_dmarc_disc *d);

/* ink_dmarc_disc_result - the outcome (valid once next() returned DONE, until
 * d is freed) */
const struct ink_dmarc_result *ink_dmarc_disc_result(const struct ink_dmarc_disc *d);

/* ink_dmarc_walk_targets - the names (without "_dmarc.") an RFC 9989 tree
 * walk starting at domain (normalised) asks, in order.  Fills up to max
 * pointers, each into domain itself (they are its suffixes); returns the
 * count. */
size_t ink_dmarc_walk_targets(const char *domain, const char **out, size_t max);

/* ink_dmarc_disc_status_name - "found", "none", "temperror", "badname" */
const char *ink_dmarc_disc_status_name(enum ink_dmarc_disc_status s);
/* ink_dmarc_dest_status_name - "internal", "authorized", "unauthorized", ... */
const char *ink_dmarc_dest_status_name(enum ink_dmarc_dest_status s);

/* ---- evaluation (RFC 9989 section 5.3) ---- */

/* The DMARC result of one message (RFC 8601 section 2.7.1 words). */
enum ink_dmarc_outcome {
    INK_DMARC_RES_NONE = 0,  /* no policy record applies (5.3.2) */
    INK_DMARC_RES_PASS,      /* an Authenticated Identifier is aligned (5.3.5) */
    INK_DMARC_RES_FAIL,      /* none is (5.3.5) */
    INK_DMARC_RES_TEMPERROR, /* a lookup needed to decide failed temporarily (5.3.6) */
    INK_DMARC_RES_PERMERROR  /* DMARC cannot be applied: no single Author Domain (5.3.1) */
};

/* Which tag of the record chose the policy. */
enum ink_dmarc_policy_tag { INK_DMARC_TAG_NONE = 0, INK_DMARC_TAG_P, INK_DMARC_TAG_SP, INK_DMARC_TAG_NP };

/* One Authenticated Identifier candidate: the SPF domain or a DKIM d=. */
struct ink_dmarc_ident {
    const char *domain;  /* normalised domain, or NULL when there is none */
    const char *org;     /* its Organizational Domain, or NULL when unknown */
    int org_temperror;   /* finding org failed temporarily */
    int auth;            /* 1 authenticated (SPF pass, DKIM pass), 0 not,
                          * -1 the check ended in temperror */
};

/* What the evaluation is given; all borrowed. */
struct ink_dmarc_eval_in {
    const char *author_domain;            /* normalised */
    const struct ink_dmarc_result *disc;  /* discovery for author_domain */
    int author_nxdomain;                  /* 1: NXDOMAIN (3.2.13), 0: exists,
                                           * -1: the check failed temporarily;
                                           * only read when the policy is inherited */
    struct ink_dmarc_ident spf;           /* domain NULL: no SPF identifier */
    size_t ndkim;
    const struct ink_dmarc_ident *dkim;   /* one per checked signature */
};

/* The outcome. */
struct ink_dmarc_eval {
    enum ink_dmarc_outcome result;
    enum ink_dmarc_policy policy;      /* the policy selected (p/sp/np), before t=y */
    enum ink_dmarc_policy_tag tag;     /* which tag selected it */
    enum ink_dmarc_policy disposition; /* what to apply: NONE unless result is FAIL;
                                        * lowered one level by t=y */
    int testing;                       /* t=y lowered the disposition */
    enum ink_dmarc_align adkim, aspf;  /* modes used (defaults filled in) */
    int spf_aligned, dkim_aligned;     /* an authenticated identifier aligned */
    size_t dkim_index;                 /* the aligned DKIM identifier, when dkim_aligned */
    char reason[160];                  /* why, for people */
};

/*
 * ink_dmarc_eval - RFC 9989 5.3.3-5.3.6: identifier alignment (strict:
 * the same domain; relaxed: the same Organizational Domain, 4.4) of each
 * authenticated identifier, pass/fail, then the policy: p for the Author
 * Domain's own record; sp (else p) for an inherited one; np (else sp,
 * else p) when the Author Domain does not exist; t=y lowers reject to
 * quarantine and quarantine to none.  Pure: no DNS.
 */
void ink_dmarc_eval(const struct ink_dmarc_eval_in *in, struct ink_dmarc_eval *out);

/* ink_dmarc_outcome_name - "none", "pass", "fail", "temperror", "permerror" */
const char *ink_dmarc_outcome_name(enum ink_dmarc_outcome r);
/* ink_dmarc_policy_tag_name - "p", "sp", "np" (NULL for none) */
const char *ink_dmarc_policy_tag_name(enum ink_dmarc_policy_tag t);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
