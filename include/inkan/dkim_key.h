/*
 * inkan/dkim_key.h - DKIM keys: the public-key record published at
 * SELECTOR._domainkey.DOMAIN (RFC 6376 section 3.6.1, RFC 8463 for
 * k=ed25519), private keys for signing, key generation, and the TXT
 * record text and zone-file line to publish.
 *
 * Pure data and OpenSSL 3 EVP: no file or network I/O (callers read PEM
 * files themselves and pass the bytes).
 */
#ifndef INKAN_DKIM_KEY_H
#define INKAN_DKIM_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Longest key record text parsed (TXT strings joined); longer is malformed. */
#define INK_DKIM_KEY_RECORD_MAX 8192
/* Length of reasons kept in results. */
#define INK_DKIM_REASON_MAX 256
/* RFC 8301 section 3.2: RSA keys below this many bits are not accepted. */
#define INK_DKIM_RSA_BITS_MIN 1024
/* Largest RSA key handled (verification cost guard; RFC 8301 asks for 4096). */
#define INK_DKIM_RSA_BITS_MAX 8192
/* RSA size keygen uses unless told otherwise. */
#define INK_DKIM_RSA_BITS_DEFAULT 2048
/* Ed25519 public keys are this many raw bytes (RFC 8463 section 4). */
#define INK_DKIM_ED25519_KEY_LEN 32
/* Warnings kept per parsed key record. */
#define INK_DKIM_KEY_WARN_MAX 8
/* TTL put on generated zone-file lines when the caller gives 0. */
#define INK_DKIM_TXT_TTL_DEFAULT 3600

/* k= key types. */
enum ink_dkim_keytype {
    INK_DKIM_KEY_UNKNOWN = 0, /* a k= value this library does not know */
    INK_DKIM_KEY_RSA,
    INK_DKIM_KEY_ED25519
};

/* h= hash algorithms (bit set). */
#define INK_DKIM_HASH_SHA1 0x1u
#define INK_DKIM_HASH_SHA256 0x2u
#define INK_DKIM_HASH_ALL (INK_DKIM_HASH_SHA1 | INK_DKIM_HASH_SHA256)

/* t= flags (bit set). */
#define INK_DKIM_FLAG_TESTING 0x1u /* t=y: the domain is testing DKIM */
#define INK_DKIM_FLAG_STRICT 0x2u  /* t=s: i= must be exactly d=, no subdomain */

/* What the record is worth. */
enum ink_dkim_key_status {
    INK_DKIM_KEY_OK = 0,      /* a usable key (pkey set) */
    INK_DKIM_KEY_REVOKED,     /* p= empty: the key was revoked */
    INK_DKIM_KEY_MALFORMED,   /* not a valid key record (syntax, v=, base64) */
    INK_DKIM_KEY_UNUSABLE     /* valid syntax but not usable for email
                               * signatures: unknown k=, s= without email,
                               * h= without sha256, key data that does not
                               * decode as a k= key, or out of size limits */
};

/* A warning about a key record that is still usable. */
struct ink_dkim_key_warn {
    size_t off;
    char msg[INK_DKIM_REASON_MAX];
};

/* A parsed key record.  Everything is owned by the struct. */
struct ink_dkim_key {
    enum ink_dkim_key_status status;
    char reason[INK_DKIM_REASON_MAX]; /* why, when status is not OK ("" if OK) */
    size_t reason_off;                /* byte offset in the record text */
    int has_v;                        /* v=DKIM1 was present */
    enum ink_dkim_keytype type;       /* from k= (RSA when absent) */
    char type_name[32];               /* k= as written (printable), or "rsa" */
    unsigned hashes;                  /* INK_DKIM_HASH_* allowed by h= (ALL when absent) */
    unsigned flags;                   /* INK_DKIM_FLAG_* from t= */
    int service_email;                /* s= absent, "*" or contains "email" */
    uint8_t *data;                    /* p= decoded (owned), NULL if empty */
    size_t data_len;
    unsigned bits;                    /* RSA modulus size; 256 for Ed25519; 0 unknown */
    char *notes;                      /* n= as written (owned), or NULL */
    struct evp_pkey_st *pkey;         /* the public key when status is OK (owned) */
    struct evp_pkey_ctx_st *vctx;     /* internal: an RSA verification context made
                                       * on first use and kept for the next (owned) */
    size_t nwarn;                     /* warnings: unknown flags/tags, RSA < 1024 ... */
    struct ink_dkim_key_warn warn[INK_DKIM_KEY_WARN_MAX];
};

/*
 * ink_dkim_key_parse - parse a key record (the TXT strings joined; no NUL
 * needed).  Always returns a record the caller owns (NULL only on ENOMEM);
 * look at status and reason.  RSA p= is accepted as SubjectPublicKeyInfo
 * (what everyone publishes) or as a bare RSAPublicKey (RFC 6376's
 * wording).  An RSA key below INK_DKIM_RSA_BITS_MIN still parses (status
 * OK, bits set, a warning added): the verifier refuses it with a reason.
 */
struct ink_dkim_key *ink_dkim_key_parse(const uint8_t *buf, size_t len);
/* ink_dkim_key_free - release; NULL is a no-op */
void ink_dkim_key_free(struct ink_dkim_key *k);

/* ink_dkim_key_status_name - "ok", "revoked", "malformed", "unusable" */
const char *ink_dkim_key_status_name(enum ink_dkim_key_status st);
/* ink_dkim_keytype_name - "rsa", "ed25519", "unknown" */
const char *ink_dkim_keytype_name(enum ink_dkim_keytype t);

/*
 * ink_dkim_key_name - write SELECTOR._domainkey.DOMAIN (normalised, no
 * trailing dot) into out (size outsz).  Returns its length, or -1 when
 * the result is not a valid domain name or does not fit.
 */
int ink_dkim_key_name(const char *selector, const char *domain, char *out, size_t outsz);

/*
 * ink_dkim_domain_check - 0 when v (len bytes, no trailing dot) is an RFC
 * 6376 domain-name: at least two RFC 5321 sub-domain labels (letters,
 * digits, hyphens not at either end of a label; at most INK_DNS_LABEL_MAX
 * bytes each, INK_DNS_NAME_MAX in all).  Else -1 with *erroff the offset
 * of the first byte that breaks the syntax and *why a static reason.
 * Underscores, quotes, parentheses, UTF-8 and the like are refused: such
 * a d= would end up in Authentication-Results.
 */
int ink_dkim_domain_check(const char *v, size_t len, size_t *erroff, const char **why);
/*
 * ink_dkim_selector_check - the same for a selector (RFC 6376 3.1:
 * sub-domain *("." sub-domain)): one label is enough.  RFC 6376's ABNF
 * allows no underscore in a selector (the "_domainkey" label is added
 * by the verifier), so none is accepted.
 */
int ink_dkim_selector_check(const char *v, size_t len, size_t *erroff, const char **why);

/* ---- private keys, generation, publication ---- */

/* A private key for signing (opaque OpenSSL key). */
struct ink_dkim_privkey;

/*
 * ink_dkim_privkey_parse - read a PEM private key (PKCS#8 or traditional
 * RSA) from memory.  Caller owns the key (ink_dkim_privkey_free).  NULL
 * with a reason in err when it is not a PEM private key, not RSA or
 * Ed25519, or an RSA key outside 1024..INK_DKIM_RSA_BITS_MAX bits.
 */
struct ink_dkim_privkey *ink_dkim_privkey_parse(const uint8_t *pem, size_t len,
                                                struct ink_str *err);
/* ink_dkim_privkey_free - release; NULL is a no-op */
void ink_dkim_privkey_free(struct ink_dkim_privkey *k);
/* ink_dkim_privkey_type - RSA or Ed25519 */
enum ink_dkim_keytype ink_dkim_privkey_type(const struct ink_dkim_privkey *k);
/* ink_dkim_privkey_bits - RSA modulus size, 256 for Ed25519 */
unsigned ink_dkim_privkey_bits(const struct ink_dkim_privkey *k);

/*
 * ink_dkim_privkey_record - append the key record that publishes k's
 * public half: "v=DKIM1; k=rsa; p=<SubjectPublicKeyInfo>" or
 * "v=DKIM1; k=ed25519; p=<32 raw bytes>".  flags are INK_DKIM_FLAG_* to
 * add as t= (0 for none).  0, or -1 on ENOMEM/OpenSSL failure.
 */
int ink_dkim_privkey_record(const struct ink_dkim_privkey *k, unsigned flags,
                            struct ink_str *out);

/*
 * ink_dkim_privkey_matches - whether the published key record's key is
 * the public half of k.  1 yes, 0 no (with what differs in why: type,
 * size, or a different key), -1 when pub is not a usable key.
 */
int ink_dkim_privkey_matches(const struct ink_dkim_privkey *k, const struct ink_dkim_key *pub,
                             struct ink_str *why);

/*
 * ink_dkim_keygen - generate a key pair: RSA of bits bits (0 means
 * INK_DKIM_RSA_BITS_DEFAULT; 1024..INK_DKIM_RSA_BITS_MAX) or Ed25519
 * (bits ignored).  Appends the private key as PKCS#8 PEM to pem and, when
 * record is not NULL, the key record text to record.  0, or -1 with a
 * reason in err.
 */
int ink_dkim_keygen(enum ink_dkim_keytype type, unsigned bits, struct ink_str *pem,
                    struct ink_str *record, struct ink_str *err);

/*
 * ink_dkim_txt_zone_line - append an RFC 1035 zone-file line publishing
 * text as one TXT record at owner:
 *   OWNER. TTL IN TXT "first 255 bytes" "next 255 bytes" ...
 * split into character-strings of at most INK_DNS_TXT_STRING_MAX bytes,
 * with '"' and '\' escaped and other bytes outside printable ASCII written
 * as \DDD.  ttl 0 means INK_DKIM_TXT_TTL_DEFAULT.  Ends with "\n".  0/-1.
 */
int ink_dkim_txt_zone_line(const char *owner, uint32_t ttl, const uint8_t *text, size_t len,
                           struct ink_str *out);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
