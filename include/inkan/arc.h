/*
 * inkan/arc.h - Authenticated Received Chain (RFC 8617): the three ARC
 * header fields, chain verification as a machine on the query protocol
 * (inkan/query.h), and sealing a forwarding hop.
 *
 * ARC reuses DKIM's canonicalization, tag lists, key records and
 * signature primitives (inkan/dkim.h, inkan/dkim_prim.h); what it adds
 * is the instance numbering (i=1..INK_ARC_INSTANCE_MAX), the seal over
 * all sets, and the chain rules of RFC 8617 section 5.2.
 *
 * Verification: ink_arc_verify_new, push the raw message in chunks of
 * any size, end it, and drive it (ink_arc_verify_next/_feed, or
 * ink_arc_verify_machine with a driver).  Once the header is complete it
 * asks one TXT query per distinct key name of every AS and AMS, all out
 * at once.  The body is hashed as it streams.  When DONE,
 * ink_arc_verify_result() gives cv (none/pass/fail), the oldest-pass
 * instance, each set's AMS and AS results and each AAR's bytes (whose
 * Authentication-Results payload the caller parses).
 *
 * Sealing: ink_arc_seal_new with the key, d=, s=, authserv-id and the cv
 * the verifier found, push the message, end: out gets the new
 * ARC-Seal, ARC-Message-Signature and ARC-Authentication-Results fields
 * (in that order, to go on top of the message).
 */
#ifndef INKAN_ARC_H
#define INKAN_ARC_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/dkim.h"
#include "inkan/dkim_key.h"
#include "inkan/dkim_prim.h"
#include "inkan/query.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Highest instance number (RFC 8617 4.2.1: i= is 1..50); a chain with
 * more sets fails, and a chain of this many cannot be sealed again. */
#define INK_ARC_INSTANCE_MAX 50
/* Longest ARC field value accepted (as for DKIM-Signature). */
#define INK_ARC_FIELD_MAX INK_DKIM_SIG_FIELD_MAX
/* ARC fields (of the three kinds together) looked at per message: a
 * complete chain has 3 * INK_ARC_INSTANCE_MAX; more is a failed chain. */
#define INK_ARC_FIELDS_MAX (3 * INK_ARC_INSTANCE_MAX + 3)
/* Header names one AMS h= may list. */
#define INK_ARC_H_NAMES_MAX INK_DKIM_H_NAMES_MAX

/* Chain validation status (RFC 8617 4.4: the cv= values). */
enum ink_arc_cv { INK_ARC_CV_NONE = 0, INK_ARC_CV_PASS, INK_ARC_CV_FAIL };
/* ink_arc_cv_name - "none", "pass", "fail" */
const char *ink_arc_cv_name(enum ink_arc_cv cv);

/* The three ARC header fields. */
enum ink_arc_kind {
    INK_ARC_AAR = 0, /* ARC-Authentication-Results */
    INK_ARC_AMS,     /* ARC-Message-Signature */
    INK_ARC_AS       /* ARC-Seal */
};
/* ink_arc_kind_name - the field name ("ARC-Seal", ...) */
const char *ink_arc_kind_name(enum ink_arc_kind k);
/* ink_arc_kind_of - the kind of a field called name/len (case-insensitive),
 * or -1 when it is not an ARC field */
int ink_arc_kind_of(const uint8_t *name, size_t len);

/*
 * One parsed ARC field.  Everything is owned by the struct; tags point
 * into value.  Offsets are into value (the bytes after the colon).
 */
struct ink_arc_field {
    enum ink_arc_kind kind;
    int ok;                          /* usable; else why/why_off say what is wrong */
    char why[INK_DKIM_REASON_MAX];
    size_t why_off;
    unsigned instance;               /* i=, 0 when absent or not 1..INK_ARC_INSTANCE_MAX */
    uint8_t *value;                  /* owned copy of the field value */
    size_t value_len;
    size_t ntags;                    /* AMS, AS: the tag list */
    struct ink_dkim_tag tags[INK_DKIM_TAGLIST_MAX];
    /* AMS and AS */
    enum ink_dkim_alg alg;
    char *d;                         /* d= lower-cased (owned), or NULL */
    char *s;                         /* s= (owned), or NULL */
    uint8_t *b;                      /* b= decoded (owned) */
    size_t blen;
    size_t b_val_start, b_val_end;   /* b= value span in value, to blank it */
    int has_t;
    uint64_t t;
    /* AMS */
    enum ink_dkim_canon hcanon, bcanon;
    uint8_t *bh;                     /* bh= decoded (owned) */
    size_t bhlen;
    size_t nh;                       /* h= names in order, as written (owned) */
    char **h;
    /* AS */
    enum ink_arc_cv cv;
    /* AAR: value + payload_off is "authserv-id; results" (after "i=N;") */
    size_t payload_off;
};

/*
 * ink_arc_field_parse - parse the value of an ARC field of kind k.
 * Always returns a struct the caller owns (NULL only on ENOMEM); ok is 0
 * with a reason and offset for: a malformed tag list, a missing or bad
 * i= (AAR: the value must begin "i=N;"), a missing required tag (AMS: a
 * b bh d h i s; AS: a b cv d i s), an unknown a= or rsa-sha1, bad base64,
 * an unknown c=, a non-numeric t=, a cv= other than none/pass/fail, h=
 * in an AS, ARC-Seal listed in an AMS h=, or an empty tag (";;").  An AMS
 * without c= is relaxed/relaxed; an empty name in h= names no field.
 */
struct ink_arc_field *ink_arc_field_parse(enum ink_arc_kind k, const uint8_t *value, size_t len);
/* ink_arc_field_free - release; NULL is a no-op */
void ink_arc_field_free(struct ink_arc_field *f);

/* ---- verification ---- */

/* The result of one AMS or AS signature. */
enum ink_arc_sig_result {
    INK_ARC_SIG_UNCHECKED = 0, /* not needed for the chain's outcome */
    INK_ARC_SIG_PASS,
    INK_ARC_SIG_FAIL,          /* the signature or body hash does not verify */
    INK_ARC_SIG_TEMPERROR,     /* the key lookup failed temporarily */
    INK_ARC_SIG_PERMERROR      /* unusable field or key: syntax, no key, RSA < 1024 */
};
/* ink_arc_sig_result_name - "unchecked", "pass", "fail", "temperror", "permerror" */
const char *ink_arc_sig_result_name(enum ink_arc_sig_result r);

/* One ARC set, as found in the message.  Owned by the verifier. */
struct ink_arc_set {
    unsigned instance;
    const struct ink_arc_field *aar, *ams, *as; /* NULL when missing */
    enum ink_arc_sig_result ams_result, as_result;
    char ams_reason[INK_DKIM_REASON_MAX];       /* "" on pass */
    char as_reason[INK_DKIM_REASON_MAX];
    const uint8_t *aar_payload;                 /* AAR bytes after "i=N;":
                                                 * "authserv-id; results" */
    size_t aar_payload_len;
};

/* The chain's outcome.  Owned by the verifier. */
struct ink_arc_result {
    enum ink_arc_cv cv;
    int temporary;        /* fail only because a key lookup failed temporarily
                           * (a retry may pass): report temperror, do not seal */
    char reason[INK_DKIM_REASON_MAX]; /* why fail ("" otherwise) */
    uint64_t reason_off;  /* byte offset in the message of what failed */
    unsigned count;       /* highest instance seen (0: no ARC fields) */
    unsigned oldest_pass; /* RFC 8617 5.2: 0 when every AMS validated, else
                           * the lowest i whose AMS and all later ones did */
    size_t nsets;         /* sets[k] is instance k+1 (count of them on pass) */
    const struct ink_arc_set *sets;
};

/* Verifier flags. */
#define INK_ARC_VERIFY_LF_TO_CRLF 0x1u /* bare LF line ends (files) */

struct ink_arc_verify_opts {
    unsigned flags; /* INK_ARC_VERIFY_* */
};

struct ink_arc_verify;

/* ink_arc_verify_new - a verifier for one message (opts may be NULL);
 * caller owns.  NULL on ENOMEM. */
struct ink_arc_verify *ink_arc_verify_new(const struct ink_arc_verify_opts *opts);
/* ink_arc_verify_free - release; NULL is a no-op */
void ink_arc_verify_free(struct ink_arc_verify *v);
/* ink_arc_verify_push - the next len bytes of the raw message; 0, or -1
 * when the header cannot be taken (ink_arc_verify_error says why) */
int ink_arc_verify_push(struct ink_arc_verify *v, const uint8_t *buf, size_t len);
/* ink_arc_verify_end - the message ended; 0 or -1 as for push */
int ink_arc_verify_end(struct ink_arc_verify *v);
/* ink_arc_verify_error - why push/end failed ("" when they did not) */
const char *ink_arc_verify_error(const struct ink_arc_verify *v);
/*
 * ink_arc_verify_next - the query protocol's next(): READY hands out one
 * TXT key query (each distinct SELECTOR._domainkey.DOMAIN once, all of
 * them before any WAIT); WAIT until the header is complete, end() is
 * called or the answers are in; DONE when the result is final; FAILED
 * when push/end failed.  q->name is owned by v.
 */
enum ink_next ink_arc_verify_next(struct ink_arc_verify *v, struct ink_query *q);
/* ink_arc_verify_feed - the answer to the key query token (borrowed).
 * NULL or an answer not fitting the question: a temporary failure of
 * that key.  0, or -1 (nothing changed) for a token not outstanding. */
int ink_arc_verify_feed(struct ink_arc_verify *v, uint32_t token,
                        const struct ink_dns_answer *answer);
/* ink_arc_verify_machine - v as a machine of kind "arc" (v stays the caller's) */
struct ink_machine ink_arc_verify_machine(struct ink_arc_verify *v);
/* ink_arc_verify_result - the outcome (valid until v is freed); NULL
 * until next() has said DONE */
const struct ink_arc_result *ink_arc_verify_result(const struct ink_arc_verify *v);

/* ---- sealing ---- */

/* Sealer flags. */
#define INK_ARC_SEAL_LF_TO_CRLF 0x1u /* input uses bare LF line ends */
#define INK_ARC_SEAL_NO_FOLD 0x2u    /* write each field on one line, tags in
                                      * alphabetical order with "; " between
                                      * (the ARC test suite's standard form) */

struct ink_arc_seal_opts {
    const struct ink_dkim_privkey *key; /* RSA or Ed25519 (not owned), or NULL
                                         * when sign_fn signs */
    const char *domain;                 /* d= */
    const char *selector;               /* s= */
    const char *authserv_id;            /* of the AAR */
    const char *headers;                /* colon-separated names for the AMS h=,
                                         * or NULL: DKIM's default list, those present */
    uint64_t timestamp;                 /* t= (0: none) */
    enum ink_arc_cv cv;                 /* the verified state of the incoming chain
                                         * (ink_arc_verify_result()->cv); ignored
                                         * (none) when the message has no ARC set */
    const char *results;                /* AAR results after the authserv-id, or
                                         * NULL: the results of the message's
                                         * Authentication-Results fields with
                                         * authserv_id, in order; else "arc=CV" */
    unsigned flags;                     /* INK_ARC_SEAL_* */
    ink_dkim_sign_fn sign_fn;           /* external signing (a key in another
                                         * process, inkan/signer.h), used when
                                         * key is NULL: alg must then be given */
    void *sign_arg;                     /* passed to sign_fn (not owned) */
    enum ink_dkim_alg alg;              /* with sign_fn: rsa-sha256 or ed25519-sha256 */
};

struct ink_arc_seal;

/* ink_arc_seal_new - a sealer for one message; the options' strings and
 * key must outlive it.  NULL with a reason in err (bad d=/s=/authserv-id,
 * ENOMEM). */
struct ink_arc_seal *ink_arc_seal_new(const struct ink_arc_seal_opts *opts, struct ink_str *err);
/* ink_arc_seal_free - release; NULL is a no-op */
void ink_arc_seal_free(struct ink_arc_seal *s);
/* ink_arc_seal_push - the next len bytes of the message; 0 or -1 (see error) */
int ink_arc_seal_push(struct ink_arc_seal *s, const uint8_t *buf, size_t len);
/*
 * ink_arc_seal_end - the message ended: append "ARC-Seal: ...", 
 * "ARC-Message-Signature: ..." and "ARC-Authentication-Results: ..."
 * (each ending with eol, "\r\n" or "\n") to out.  When the newest
 * ARC-Seal of the message already says cv=fail nothing is added (RFC
 * 8617 5.1.2: a failed chain is not continued) and
 * ink_arc_seal_instance() is 0.  -1 with the reason in
 * ink_arc_seal_error() when the chain already has INK_ARC_INSTANCE_MAX
 * sets, a chain exists but cv is none, the message begins with a
 * continuation line (it would continue the fields put on top), or
 * signing fails.
 */
int ink_arc_seal_end(struct ink_arc_seal *s, const char *eol, struct ink_str *out);
/* ink_arc_seal_set_cv - the chain state to seal with, when it is known
 * only once the message has been read (a verifier run over the same
 * bytes): replaces opts.cv; call it before ink_arc_seal_end */
void ink_arc_seal_set_cv(struct ink_arc_seal *s, enum ink_arc_cv cv);
/* ink_arc_seal_error - why a call failed ("" otherwise) */
const char *ink_arc_seal_error(const struct ink_arc_seal *s);
/* ink_arc_seal_instance - the instance the new set got (after end; 0: none added) */
unsigned ink_arc_seal_instance(const struct ink_arc_seal *s);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
