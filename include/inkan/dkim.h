/*
 * inkan/dkim.h - DKIM signatures (RFC 6376, RFC 8301, RFC 8463): the
 * DKIM-Signature tag list, streaming canonicalization, verification as a
 * sans-I/O state machine, and signing with several keys in one pass.
 *
 * Verification: create a verifier, push the raw message in chunks of any
 * size, end it.  The verifier speaks the query protocol of inkan/query.h
 * (ink_dkim_verify_next / _feed / _machine): once the header is complete
 * it asks one TXT query per distinct key name, all at once if the caller
 * wants.  The body is hashed as it streams (memory does not grow with
 * it).  When the message has ended and every answer is in, next()
 * returns DONE and each signature has a result.
 *
 * Keys come from inkan/dkim_key.h.  All cryptography is OpenSSL 3 EVP.
 */
#ifndef INKAN_DKIM_H
#define INKAN_DKIM_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/dkim_key.h"
#include "inkan/dns.h"
#include "inkan/query.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Signatures evaluated per message (from the top): each costs a key
 * lookup and a public-key operation, so a message cannot make the
 * verifier do unbounded work.  Later ones are not evaluated; their number
 * is given by ink_dkim_verify_skipped(). */
#define INK_DKIM_SIGNATURES_MAX 16
/* Header names one h= may list. */
#define INK_DKIM_H_NAMES_MAX 256
/* Longest DKIM-Signature field accepted. */
#define INK_DKIM_SIG_FIELD_MAX 65536
/* Seconds a t= may lie in the future before it is refused (clock skew). */
#define INK_DKIM_CLOCK_SKEW 300
/* Columns the signer folds DKIM-Signature lines at. */
#define INK_DKIM_FOLD_WIDTH 76
/* Keys one signer signs with in one pass. */
#define INK_DKIM_SIGN_KEYS_MAX 8

/* Canonicalization algorithms (RFC 6376 section 3.4). */
enum ink_dkim_canon { INK_DKIM_CANON_SIMPLE = 0, INK_DKIM_CANON_RELAXED };

/* Signing algorithms (a=). */
enum ink_dkim_alg {
    INK_DKIM_ALG_UNKNOWN = 0,
    INK_DKIM_ALG_RSA_SHA256,
    INK_DKIM_ALG_RSA_SHA1,      /* parsed so that it can be refused (RFC 8301) */
    INK_DKIM_ALG_ED25519_SHA256 /* RFC 8463 */
};

/* ink_dkim_canon_name - "simple" / "relaxed" */
const char *ink_dkim_canon_name(enum ink_dkim_canon c);
/* ink_dkim_alg_name - "rsa-sha256", "rsa-sha1", "ed25519-sha256", "unknown" */
const char *ink_dkim_alg_name(enum ink_dkim_alg a);

/* ---- canonicalization ---- */

/*
 * ink_dkim_canon_header - append the canonical form of one header field
 * (raw bytes from the name to the final CRLF, as ink_mailhdr gives them)
 * to out, ending with CRLF.  simple: the bytes as they are; relaxed:
 * name lower-cased, unfolded, WSP runs made one SP, WSP around the colon
 * and at the end removed.  0, or -1 on ENOMEM.
 */
int ink_dkim_canon_header(enum ink_dkim_canon c, const uint8_t *field, size_t len,
                          struct ink_str *out);

/* Receives canonicalized body bytes, in order, in runs. */
typedef void (*ink_dkim_sink)(void *arg, const uint8_t *p, size_t n);

/* Body canonicalizer flags. */
#define INK_DKIM_BODY_LF_TO_CRLF 0x1u /* a bare LF ends a line as CRLF would */

struct ink_dkim_bodycanon;

/*
 * ink_dkim_bodycanon_new - a streaming body canonicalizer (RFC 6376
 * 3.4.3/3.4.4) that passes its output to sink.  Input is pushed in
 * chunks of any size; output is passed on in runs, straight from the
 * input where it is unchanged, so that memory does not grow with the
 * body.  Caller owns it.  NULL on ENOMEM.
 */
struct ink_dkim_bodycanon *ink_dkim_bodycanon_new(enum ink_dkim_canon c, unsigned flags,
                                                  ink_dkim_sink sink, void *arg);
/* ink_dkim_bodycanon_push - canonicalize the next len body bytes */
void ink_dkim_bodycanon_push(struct ink_dkim_bodycanon *bc, const uint8_t *buf, size_t len);
/* ink_dkim_bodycanon_end - the body ended: pass on what is held back */
void ink_dkim_bodycanon_end(struct ink_dkim_bodycanon *bc);
/* ink_dkim_bodycanon_free - release; NULL is a no-op */
void ink_dkim_bodycanon_free(struct ink_dkim_bodycanon *bc);

/* ---- the DKIM-Signature tag list ---- */

/* Digits RFC 6376 allows in l= (76): more than a uint64_t holds. */
#define INK_DKIM_L_DIGITS_MAX 76

/* A parsed DKIM-Signature.  Strings are owned, NUL-terminated copies. */
struct ink_dkim_sig {
    int ok;                            /* usable; else why/why_off say what is wrong */
    char why[INK_DKIM_REASON_MAX];
    size_t why_off;                    /* byte offset in the parsed value */
    enum ink_dkim_alg alg;
    char alg_name[32];                 /* a= as written (printable) */
    enum ink_dkim_canon hcanon, bcanon;
    char *d;                           /* d= lower-cased, no trailing dot */
    char *s;                           /* s= */
    char *i;                           /* i= as written, or "@" d when absent */
    char *i_domain;                    /* domain part of i= lower-cased */
    size_t nh;                         /* h= names, in order, as written */
    char **h;
    uint8_t *b;                        /* b= decoded */
    size_t blen;
    uint8_t *bh;                       /* bh= decoded */
    size_t bhlen;
    char *b_text;                      /* b= as written without whitespace */
    int has_l, has_t, has_x;
    uint64_t l, t, x;                  /* l saturates at UINT64_MAX */
    char l_text[INK_DKIM_L_DIGITS_MAX + 1]; /* l= as written, for messages */
    char *z;                           /* z= as written, or NULL */
    size_t b_val_start, b_val_end;     /* b= value (with its whitespace) in
                                        * the parsed value, to blank it */
};

/*
 * ink_dkim_sig_parse - parse the value of a DKIM-Signature field (the
 * bytes after the colon).  Always returns a struct the caller owns (NULL
 * only on ENOMEM); ok is 0 with a reason and offset for: a malformed tag
 * list (duplicate tag, bad name, control bytes), a missing required tag
 * (v a b bh d h s), v other than 1, bad base64 in b= or bh=, an unknown
 * a= or c=, h= without From, i= outside d=, a non-numeric l= t= x=, x=
 * before t=, or q= without dns/txt.  RSA-SHA1 parses (ok set): the
 * verifier refuses it with a reason.
 */
struct ink_dkim_sig *ink_dkim_sig_parse(const uint8_t *value, size_t len);
/* ink_dkim_sig_free - release; NULL is a no-op */
void ink_dkim_sig_free(struct ink_dkim_sig *s);

/* ---- verification ---- */

/* Per-signature results (RFC 8601 section 2.7.1 words). */
enum ink_dkim_result_code {
    INK_DKIM_PASS = 0,
    INK_DKIM_FAIL,      /* the signature or body hash does not verify */
    INK_DKIM_NEUTRAL,   /* failed, but the key says t=y (testing) */
    INK_DKIM_POLICY,    /* verifiable, but not acceptable: rsa-sha1, RSA < 1024 bits */
    INK_DKIM_TEMPERROR, /* the key lookup failed temporarily */
    INK_DKIM_PERMERROR  /* unusable signature or key: syntax, no key, revoked ... */
};

/* ink_dkim_result_name - "pass", "fail", "neutral", "policy", "temperror", "permerror" */
const char *ink_dkim_result_name(enum ink_dkim_result_code r);

/* The result of one signature.  Owned by the verifier. */
struct ink_dkim_result {
    enum ink_dkim_result_code code;
    char reason[INK_DKIM_REASON_MAX];
    const struct ink_dkim_sig *sig;    /* the parsed tags (d, s, i, alg, ...) */
    const char *d, *s;                 /* printable d= and s= ("" when absent) */
    const char *alg;                   /* printable a= ("" when absent) */
    size_t field_index;                /* which header field (0 = topmost) */
    uint64_t field_off;                /* its byte offset in the message */
    int body_hash_ok;                  /* 1 matches, 0 differs, -1 not computed */
    int header_sig_ok;                 /* 1 verifies, 0 does not, -1 not checked */
    char body_hash[64];                /* computed bh, base64 ("" if not computed) */
    uint64_t body_len;                 /* canonicalized body bytes hashed */
    uint64_t body_total;               /* canonicalized body bytes in all (l= risk) */
    char key_name[INK_DNS_NAME_MAX + 1]; /* SELECTOR._domainkey.DOMAIN */
    enum ink_dns_status dns_status;    /* of the key lookup (when made) */
    enum ink_dnssec dnssec;            /* DNSSEC state of the key answer */
    enum ink_dkim_keytype key_type;    /* of the key used (UNKNOWN if none) */
    unsigned key_bits;
    unsigned key_flags;                /* INK_DKIM_FLAG_* of the key record */
    int l_risk;                        /* l= leaves body bytes unsigned */
    int body_wsp_kept;                 /* the body hash matched only with the
                                        * WSP ending an unterminated last line
                                        * kept as one SP (dkimpy's reading) */
};

/* Verifier flags. */
#define INK_DKIM_VERIFY_LF_TO_CRLF 0x1u /* normalise bare LF line ends (files) */

/*
 * A cache of parsed key records shared by many verifications (a bulk
 * verifier, a milter): keyed by the record's exact text, so it never
 * changes what DNS says, it only saves parsing the same key again (the
 * RSA key's verification context is set up once too).  It also keeps
 * the SHA-256 contexts finished verifiers give back, so the next message
 * reuses them instead of allocating and initialising new ones.  Not
 * thread-safe unless given a lock (ink_dkim_keycache_set_lock); the key
 * verification itself is not locked, so verifiers sharing a cache must
 * run their feeds in one thread (a milter's driver thread).  Must outlive
 * the verifiers using it.
 */
struct ink_dkim_keycache;
/* Entries a key cache holds before it starts over. */
#define INK_DKIM_KEYCACHE_MAX 1024
/* ink_dkim_keycache_new - empty cache; caller owns.  NULL on ENOMEM. */
struct ink_dkim_keycache *ink_dkim_keycache_new(void);
/* ink_dkim_keycache_free - release; NULL is a no-op */
void ink_dkim_keycache_free(struct ink_dkim_keycache *c);
/* ink_dkim_keycache_set_lock - make c usable from several threads: every
 * use runs between lock(arg) and unlock(arg) (a mutex the caller owns;
 * a key is parsed outside it).  A cached key lent to a verifier is kept
 * until that verifier is freed, whoever fills the cache meanwhile. */
void ink_dkim_keycache_set_lock(struct ink_dkim_keycache *c, void (*lock)(void *),
                                void (*unlock)(void *), void *arg);
/* ink_dkim_keycache_count - keys c holds now */
size_t ink_dkim_keycache_count(struct ink_dkim_keycache *c);

struct ink_dkim_verify_opts {
    uint64_t now;             /* Unix time for t=/x= checks; 0 skips them */
    unsigned flags;           /* INK_DKIM_VERIFY_* */
    size_t max_signatures;    /* 0 means INK_DKIM_SIGNATURES_MAX */
    struct ink_dkim_keycache *cache; /* shared parsed keys, or NULL */
};

struct ink_dkim_verify;

/* ink_dkim_verify_new - a verifier for one message (opts may be NULL).
 * Caller owns it.  NULL on ENOMEM. */
struct ink_dkim_verify *ink_dkim_verify_new(const struct ink_dkim_verify_opts *opts);
/* ink_dkim_verify_free - release; NULL is a no-op */
void ink_dkim_verify_free(struct ink_dkim_verify *v);

/*
 * ink_dkim_verify_push - feed the next len bytes of the raw message.
 * Returns 0, or -1 when the header cannot be taken (over
 * INK_MAILHDR_SIZE_MAX, out of memory): ink_dkim_verify_error() says why
 * and the message cannot be verified.
 */
int ink_dkim_verify_push(struct ink_dkim_verify *v, const uint8_t *buf, size_t len);
/* ink_dkim_verify_end - the message ended; 0 or -1 as for push */
int ink_dkim_verify_end(struct ink_dkim_verify *v);
/* ink_dkim_verify_error - why push/end failed ("" when they did not) */
const char *ink_dkim_verify_error(const struct ink_dkim_verify *v);

/*
 * ink_dkim_verify_next - the query protocol's next() (inkan/query.h).
 * The verifier is fed two things, message bytes (push/end) and key
 * answers (feed), so next() reads:
 *   READY   *q is a key query (TXT at SELECTOR._domainkey.DOMAIN) to send;
 *           each distinct key name is asked once, and several may be
 *           out at once (one per key name);
 *   WAIT    nothing to ask until more input or an answer: the header is
 *           not complete yet, or every key query is out, or the answers
 *           are in but end() has not been called;
 *   DONE    end() was called and every answer is in: the results are final;
 *   FAILED  push() or end() failed (ink_dkim_verify_error() says why).
 * A driver that cannot wait on the input too should push and end the
 * whole message first, then drive the machine: WAIT then always means a
 * query is out.  q->name is owned by v, valid until its next next()/feed().
 */
enum ink_next ink_dkim_verify_next(struct ink_dkim_verify *v, struct ink_query *q);
/*
 * ink_dkim_verify_feed - the answer to the key query with this token
 * (borrowed for the call).  A NULL answer, or one that does not fit the
 * question (ink_query_answer_fits), is a temporary failure of that key
 * lookup: the signatures using the key get temperror.  0, or -1 (nothing
 * changed) when token is not a query outstanding.
 */
int ink_dkim_verify_feed(struct ink_dkim_verify *v, uint32_t token,
                         const struct ink_dns_answer *answer);
/* ink_dkim_verify_machine - v as a machine of kind "dkim" for a driver
 * (v stays the caller's) */
struct ink_machine ink_dkim_verify_machine(struct ink_dkim_verify *v);

/* ink_dkim_verify_count - DKIM-Signature fields evaluated (0: the message is unsigned) */
size_t ink_dkim_verify_count(const struct ink_dkim_verify *v);
/* ink_dkim_verify_skipped - DKIM-Signature fields after the first
 * INK_DKIM_SIGNATURES_MAX (or opts.max_signatures): not evaluated, not in
 * the results.  0 when every signature was checked. */
size_t ink_dkim_verify_skipped(const struct ink_dkim_verify *v);
/* ink_dkim_verify_result - result i (valid until v is freed), or NULL */
const struct ink_dkim_result *ink_dkim_verify_result(const struct ink_dkim_verify *v, size_t i);
/* ink_dkim_verify_header - the message's header (valid until v is freed;
 * NULL until the header is complete) */
const struct ink_mailhdr *ink_dkim_verify_header(const struct ink_dkim_verify *v);

/* ---- signing ---- */

/*
 * External signing: the signer computes the SHA-256 header digest
 * (INK_DKIM_DIGEST_LEN bytes, inkan/dkim_prim.h) and asks this callback
 * to sign it with the key the caller knows by arg, appending the raw
 * signature (RSA PKCS#1 v1.5 over SHA-256, or Ed25519 over the digest as
 * its data, RFC 8463 section 3) to sig.  0, or -1 with a reason in why.
 * It lets the private key live elsewhere (a separate process: inkan/
 * signer.h) while the core stays sans-I/O: the callback, not the core,
 * does whatever I/O it needs.
 */
typedef int (*ink_dkim_sign_fn)(void *arg, enum ink_dkim_alg alg, const uint8_t *digest,
                                struct ink_str *sig, struct ink_str *why);

/* One signature to make. */
struct ink_dkim_sign_key {
    const struct ink_dkim_privkey *key; /* RSA or Ed25519 (not owned), or NULL
                                         * when sign_fn signs */
    const char *domain;                 /* d= */
    const char *selector;               /* s= */
    const char *identity;               /* i=, or NULL for none */
    enum ink_dkim_alg alg;              /* 0: from the key's type */
    enum ink_dkim_canon hcanon, bcanon; /* both relaxed is the usual choice */
    const char *headers;                /* colon-separated names to sign, or NULL:
                                         * RFC 6376 5.4.1's list, those present */
    const char *oversign;               /* names signed once more than present, so
                                         * that none can be added; NULL means "From" */
    uint64_t timestamp;                 /* t= (0: none) */
    uint64_t expire;                    /* x= (0: none) */
    int body_length;                    /* add l= with the body length (not advised) */
    ink_dkim_sign_fn sign_fn;           /* external signing, used when key is NULL:
                                         * alg must then be given (not 0) */
    void *sign_arg;                     /* passed to sign_fn (not owned) */
};

/* Signer flags. */
#define INK_DKIM_SIGN_LF_TO_CRLF 0x1u /* input uses bare LF line ends */

struct ink_dkim_sign;

/*
 * ink_dkim_sign_new - a signer for one message, making one signature per
 * key (at most INK_DKIM_SIGN_KEYS_MAX) in one pass.  The keys array and
 * the strings and keys it points to must outlive the signer.  NULL with
 * a reason in err (bad domain/selector/header list, key type not
 * matching alg, ENOMEM).
 */
struct ink_dkim_sign *ink_dkim_sign_new(const struct ink_dkim_sign_key *keys, size_t nkeys,
                                        unsigned flags, struct ink_str *err);
/* ink_dkim_sign_free - release; NULL is a no-op */
void ink_dkim_sign_free(struct ink_dkim_sign *s);
/* ink_dkim_sign_push - feed the next len bytes of the message; 0 or -1 (see error) */
int ink_dkim_sign_push(struct ink_dkim_sign *s, const uint8_t *buf, size_t len);
/*
 * ink_dkim_sign_end - the message ended: append the DKIM-Signature
 * fields (one per key, in key order, each "DKIM-Signature: ...CRLF",
 * folded at INK_DKIM_FOLD_WIDTH columns) to out, ready to be put on top
 * of the message.  eol is the line ending to write ("\r\n" or "\n").
 * 0, or -1 with the reason in ink_dkim_sign_error().
 */
int ink_dkim_sign_end(struct ink_dkim_sign *s, const char *eol, struct ink_str *out);
/* ink_dkim_sign_error - why a call failed ("" otherwise) */
const char *ink_dkim_sign_error(const struct ink_dkim_sign *s);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
