/*
 * inkan/dkim_prim.h - the DKIM core's building blocks offered to the
 * modules that sign and verify DKIM-like signatures of their own (ARC,
 * RFC 8617): the RFC 6376 section 3.2 tag-list splitter with byte
 * offsets, base64 with folding whitespace, SHA-256, and the public-key
 * operations over a header digest with the DKIM key objects
 * (inkan/dkim_key.h).  They are the same functions the DKIM verifier and
 * signer use, so ARC reads tag lists and keys exactly as DKIM does.
 */
#ifndef INKAN_DKIM_PRIM_H
#define INKAN_DKIM_PRIM_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/dkim_key.h"
#include "inkan/dns.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Bytes of a SHA-256 digest (the only hash DKIM and ARC accept). */
#define INK_DKIM_DIGEST_LEN 32
/* Tags one tag list may hold; more is a malformed list. */
#define INK_DKIM_TAGLIST_MAX 64

/* One tag=value pair: slices into the parsed text, with byte offsets. */
struct ink_dkim_tag {
    const uint8_t *name;
    size_t name_len;
    const uint8_t *val;  /* value, surrounding whitespace trimmed */
    size_t val_len;
    size_t name_off;     /* offset of the tag name in the text */
    size_t val_off;      /* offset of the trimmed value */
    size_t raw_val_off;  /* offset just after '=' */
    size_t raw_val_end;  /* offset of the ';' ending the value, or the end */
};

/*
 * ink_dkim_taglist_parse - split buf/len into at most max (<=
 * INK_DKIM_TAGLIST_MAX) tags into tags[0..*ntags).  0, or -1 with a
 * sentence in why (size whysz) and the byte offset in *erroff: a tag name
 * that is not ALPHA *(ALNUM / "_"), a missing '=', a control byte in a
 * value, a duplicate tag, or too many tags.  ";;" and a trailing ';' are
 * accepted (RFC 6376 3.2).  tags point into buf.
 */
int ink_dkim_taglist_parse(const uint8_t *buf, size_t len, struct ink_dkim_tag *tags,
                           size_t max, size_t *ntags, char *why, size_t whysz, size_t *erroff);

/* ink_dkim_tag_get - the tag called name (NUL-terminated, case-sensitive), or NULL */
const struct ink_dkim_tag *ink_dkim_tag_get(const struct ink_dkim_tag *tags, size_t ntags,
                                            const char *name);

/* ink_dkim_b64_decode - decode base64 in which SP, HTAB, CR, LF may appear
 * anywhere; appends to out.  0, or -1 with the bad byte's offset in *erroff */
int ink_dkim_b64_decode(const uint8_t *buf, size_t len, struct ink_str *out, size_t *erroff);
/* ink_dkim_b64_encode - append base64 of buf/len (no line breaks); 0/-1 */
int ink_dkim_b64_encode(const uint8_t *buf, size_t len, struct ink_str *out);

/* ink_dkim_sha256 - the OpenSSL SHA-256 (an EVP_MD), fetched once per
 * process; NULL if OpenSSL cannot provide it.  Not owned by the caller. */
const struct evp_md_st *ink_dkim_sha256(void);

/*
 * ink_dkim_key_verify_digest - whether sig/siglen is a valid signature of
 * the SHA-256 header digest (INK_DKIM_DIGEST_LEN bytes) by key k: RSA
 * PKCS#1 v1.5 or Ed25519 (RFC 8463) by k's type.  1 yes, 0 no (also for
 * a key whose status is not OK).  k may cache an OpenSSL context.
 */
int ink_dkim_key_verify_digest(struct ink_dkim_key *k, const uint8_t *digest,
                               const uint8_t *sig, size_t siglen);

/*
 * ink_dkim_privkey_sign - sign the SHA-256 header digest with k (RSA
 * PKCS#1 v1.5 or Ed25519, by the key's type) and append the raw
 * signature to sig.  0, or -1 when OpenSSL fails or memory runs out.
 */
int ink_dkim_privkey_sign(const struct ink_dkim_privkey *k, const uint8_t *digest,
                          struct ink_str *sig);

/*
 * ink_dkim_key_answer - what the answer a to the TXT query for the key
 * record name says, as DKIM and ARC take it: *status, *dnssec and why
 * (whysz bytes, cut short).  NULL a (no answer at all) is a timeout
 * (RFC 6376 6.1.2: temperror); an answer to another question is a
 * SERVFAIL, since it says nothing about this one.  1 when a holds TXT
 * records to read keys from (status OK), else 0.
 */
int ink_dkim_key_answer(const struct ink_dns_answer *a, const char *name,
                        enum ink_dns_status *status, enum ink_dnssec *dnssec, char *why,
                        size_t whysz);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
