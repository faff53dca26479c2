/*
 * dkim_int.h - pieces shared inside the DKIM core (not public API): the
 * RFC 6376 section 3.2 tag-list splitter used by both the DKIM-Signature
 * and the key-record parsers, a whitespace-tolerant base64 decoder, the
 * SHA-256 digest fetched once, and small formatting helpers.
 */
#ifndef INKAN_DKIM_INT_H
#define INKAN_DKIM_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "inkan/str.h"

/* Tags kept from one tag-list; more is treated as a malformed list. */
#define DKIM_TAGS_MAX 64

/* One tag=value pair: slices into the parsed text, with byte offsets. */
struct dkim_tag {
    const uint8_t *name;
    size_t name_len;
    const uint8_t *val;  /* value with surrounding whitespace trimmed */
    size_t val_len;
    size_t name_off;     /* offset of the tag name in the text */
    size_t val_off;      /* offset of the (trimmed) value */
    size_t raw_val_off;  /* offset just after '=' (value with its whitespace) */
    size_t raw_val_end;  /* offset of the ';' ending the value, or the end */
};

/*
 * dkim_taglist_parse - split buf/len into tags.  Fills tags[0..*ntags).
 * Returns 0, or -1 with a sentence in why (size whysz) and the byte
 * offset in *erroff: a tag name that is not ALPHA *(ALNUM / "_"), a
 * missing '=', a control byte in a value, a duplicate tag, or more than
 * max tags.  Empty segments (";;", a trailing ';') are accepted.
 */
int dkim_taglist_parse(const uint8_t *buf, size_t len, struct dkim_tag *tags, size_t max,
                       size_t *ntags, char *why, size_t whysz, size_t *erroff);

/* dkim_tag_find - the tag called name (NUL-terminated), or NULL */
const struct dkim_tag *dkim_tag_find(const struct dkim_tag *tags, size_t ntags,
                                     const char *name);

/* dkim_tag_is - whether the tag's name is exactly name */
int dkim_tag_is(const struct dkim_tag *t, const char *name);

/*
 * dkim_b64_decode - decode base64 text in which whitespace (SP, HTAB, CR,
 * LF) may appear anywhere.  Appends to out.  Returns 0, or -1 with the
 * offset of the offending byte in *erroff (bad character, bad padding,
 * data after padding, a length that is not a whole number of quanta).
 */
int dkim_b64_decode(const uint8_t *buf, size_t len, struct ink_str *out, size_t *erroff);

/* dkim_b64_encode - append the base64 encoding of buf/len (no breaks); 0/-1 */
int dkim_b64_encode(const uint8_t *buf, size_t len, struct ink_str *out);

/* dkim_sha256 - SHA-256, fetched from the default provider once per
 * process (an explicit fetch keeps OpenSSL 3 from looking it up on every
 * digest init).  Never NULL after the first successful call; NULL if
 * OpenSSL cannot provide it. */
const EVP_MD *dkim_sha256(void);
/* dkim_sha1 - SHA-1, likewise (only to recognise rsa-sha1 signatures) */
const EVP_MD *dkim_sha1(void);

/* dkim_set_why - format a reason into buf (size sz), cutting it short */
void dkim_set_why(char *buf, size_t sz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* dkim_is_wsp - SP, HTAB, CR or LF (whitespace inside tag lists) */
static inline int dkim_is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* dkim_printable - copy untrusted bytes into buf (size sz) as printable
 * text (ink_str_put_printable rules, cut at max input bytes); returns buf */
char *dkim_printable(char *buf, size_t sz, const uint8_t *p, size_t len, size_t max);

/* ---- ink_* functions only the DKIM core itself uses (not exported) ---- */

struct ink_dkim_bodycanon;
struct ink_dkim_privkey;

/*
 * Internal flags of ink_dkim_bodycanon_new (beside the public
 * INK_DKIM_BODY_*): force the scanner that finds the bytes relaxed
 * canonicalization (and bare-LF normalisation) must look at.  Without
 * one, the best this build and CPU have (AVX2, else SSE2, else scalar);
 * SSE2 when the build lacks it means scalar.  The unit tests and the
 * fuzz target run every case over each available scanner.
 */
#define DKIM_BODY_SCAN_SCALAR 0x100u
#define DKIM_BODY_SCAN_SSE2 0x200u
#define DKIM_BODY_SCAN_AVX2 0x400u
/* dkim_canon_scan_available - whether this build and CPU have the
 * scanner one DKIM_BODY_SCAN_* flag names */
int dkim_canon_scan_available(unsigned scan_flag);

/* ink_dkim_bodycanon_flush - pass on the small pieces gathered so far
 * (the sink has then seen all output except what is held back to decide
 * on: empty lines, a CR, trailing WSP) */
void ink_dkim_bodycanon_flush(struct ink_dkim_bodycanon *bc);
/*
 * ink_dkim_bodycanon_wsp_at_end - 1 when the body so far ends in a line
 * without CRLF whose content ends in WSP that relaxed canonicalization
 * drops at the end (RFC 6376 3.4.4 as written).  Some signers (dkimpy)
 * keep one SP there instead; the verifier checks that reading too.
 */
int ink_dkim_bodycanon_wsp_at_end(const struct ink_dkim_bodycanon *bc);

/* ink_dkim_privkey_pkey - the OpenSSL key (owned by k); the signer's */
EVP_PKEY *ink_dkim_privkey_pkey(const struct ink_dkim_privkey *k);

#endif
