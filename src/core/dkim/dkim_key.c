/*
 * dkim_key.c - DKIM key records (RFC 6376 section 3.6.1, RFC 8463),
 * private keys, key generation and the TXT text to publish (see
 * include/inkan/dkim_key.h).
 */
#include "inkan/dkim_key.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkim_int.h"
#include "inkan/dns.h"
#include "inkan/zonefile.h"

struct ink_dkim_privkey {
    EVP_PKEY *pkey;
    enum ink_dkim_keytype type;
    unsigned bits;
};

/* key_warn - add a warning (dropped when the list is full) */
static void key_warn(struct ink_dkim_key *k, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void key_warn(struct ink_dkim_key *k, size_t off, const char *fmt, ...)
{
    va_list ap;

    if (k->nwarn >= INK_DKIM_KEY_WARN_MAX)
        return;
    k->warn[k->nwarn].off = off;
    va_start(ap, fmt);
    vsnprintf(k->warn[k->nwarn].msg, sizeof(k->warn[k->nwarn].msg), fmt, ap);
    va_end(ap);
    k->nwarn++;
}

/* key_fail - set a non-OK status with its reason (the first one wins) */
static void key_fail(struct ink_dkim_key *k, enum ink_dkim_key_status st, size_t off,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void key_fail(struct ink_dkim_key *k, enum ink_dkim_key_status st, size_t off,
                     const char *fmt, ...)
{
    va_list ap;

    if (k->status != INK_DKIM_KEY_OK)
        return;
    k->status = st;
    k->reason_off = off;
    va_start(ap, fmt);
    vsnprintf(k->reason, sizeof(k->reason), fmt, ap);
    va_end(ap);
}

/* list_item - next colon-separated item of v[0..len) from *pos, trimmed;
 * 0 at the end */
static int list_item(const uint8_t *v, size_t len, size_t *pos, size_t *is, size_t *ie)
{
    size_t s = *pos, e;

    if (s > len)
        return 0;
    for (e = s; e < len && v[e] != ':'; e++)
        ;
    *pos = e + 1;
    while (s < e && dkim_is_ws(v[s]))
        s++;
    while (e > s && dkim_is_ws(v[e - 1]))
        e--;
    *is = s;
    *ie = e;
    return 1;
}

/* item_is - whether v[s..e) equals word, ASCII case-insensitively */
static int item_is(const uint8_t *v, size_t s, size_t e, const char *word)
{
    size_t n = strlen(word);

    return e - s == n && strncasecmp((const char *)v + s, word, n) == 0;
}

/* load_pkey - turn the decoded p= data into an OpenSSL public key */
static void load_pkey(struct ink_dkim_key *k, size_t off)
{
    const unsigned char *p = k->data;
    EVP_PKEY *pk = NULL;

    if (k->type == INK_DKIM_KEY_ED25519) {
        if (k->data_len != INK_DKIM_ED25519_KEY_LEN) {
            key_fail(k, INK_DKIM_KEY_UNUSABLE, off,
                     "k=ed25519 key must be %d raw bytes, p= has %zu", INK_DKIM_ED25519_KEY_LEN,
                     k->data_len);
            return;
        }
        pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, k->data, k->data_len);
        if (pk == NULL) {
            key_fail(k, INK_DKIM_KEY_UNUSABLE, off, "p= is not an Ed25519 public key");
            return;
        }
        k->bits = 256;
    } else {
        if (k->data_len > (size_t)INK_DKIM_RSA_BITS_MAX) { /* > 8192 bytes is never a key */
            key_fail(k, INK_DKIM_KEY_UNUSABLE, off, "p= is too long for an RSA key");
            return;
        }
        pk = d2i_PUBKEY(NULL, &p, (long)k->data_len);
        if (pk == NULL || p != k->data + k->data_len) {
            /* RFC 6376 3.6.1 literally says RSAPublicKey: accept that too */
            EVP_PKEY_free(pk);
            p = k->data;
            pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)k->data_len);
            if (pk != NULL && p != k->data + k->data_len) {
                EVP_PKEY_free(pk);
                pk = NULL;
            }
        }
        ERR_clear_error();
        if (pk == NULL) {
            key_fail(k, INK_DKIM_KEY_UNUSABLE, off,
                     "p= is not a DER RSA public key (SubjectPublicKeyInfo or RSAPublicKey)");
            return;
        }
        if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
            int id = EVP_PKEY_get_base_id(pk);
            EVP_PKEY_free(pk);
            key_fail(k, INK_DKIM_KEY_UNUSABLE, off, "p= holds a %s key, but k= says rsa",
                     id == EVP_PKEY_ED25519 ? "ed25519" : "non-RSA");
            return;
        }
        k->bits = (unsigned)EVP_PKEY_get_bits(pk);
        if (k->bits > INK_DKIM_RSA_BITS_MAX) {
            EVP_PKEY_free(pk);
            key_fail(k, INK_DKIM_KEY_UNUSABLE, off, "RSA key of %u bits is over the %d-bit limit",
                     k->bits, INK_DKIM_RSA_BITS_MAX);
            return;
        }
        if (k->bits < INK_DKIM_RSA_BITS_MIN)
            key_warn(k, off, "RSA key of %u bits is below %d: verifiers refuse it (RFC 8301)",
                     k->bits, INK_DKIM_RSA_BITS_MIN);
        else if (k->bits < 2048)
            key_warn(k, off, "RSA key of %u bits: 2048 is recommended (RFC 8301)", k->bits);
    }
    k->pkey = pk;
}

/* ink_dkim_key_parse - parse one key record */
struct ink_dkim_key *ink_dkim_key_parse(const uint8_t *buf, size_t len)
{
    struct ink_dkim_key *k = calloc(1, sizeof(*k));
    struct dkim_tag tags[DKIM_TAGS_MAX];
    const struct dkim_tag *t;
    struct ink_str data = INK_STR_INIT;
    size_t ntags = 0, erroff, i, pos, s, e;
    char why[INK_DKIM_REASON_MAX], shown[64];

    if (k == NULL)
        return NULL;
    k->status = INK_DKIM_KEY_OK;
    k->type = INK_DKIM_KEY_RSA;
    strcpy(k->type_name, "rsa");
    k->hashes = INK_DKIM_HASH_ALL;
    k->service_email = 1;
    if (len > INK_DKIM_KEY_RECORD_MAX) {
        key_fail(k, INK_DKIM_KEY_MALFORMED, INK_DKIM_KEY_RECORD_MAX,
                 "record is %zu bytes, over the %d-byte limit", len, INK_DKIM_KEY_RECORD_MAX);
        return k;
    }
    if (dkim_taglist_parse(buf, len, tags, DKIM_TAGS_MAX, &ntags, why, sizeof(why), &erroff) < 0) {
        key_fail(k, INK_DKIM_KEY_MALFORMED, erroff, "%s", why);
        return k;
    }
    /* v=: optional, but if present it must be first and say DKIM1 */
    t = dkim_tag_find(tags, ntags, "v");
    if (t != NULL) {
        k->has_v = 1;
        if (t != &tags[0]) {
            key_fail(k, INK_DKIM_KEY_MALFORMED, t->name_off, "v= must be the first tag");
            return k;
        }
        if (!(t->val_len == 5 && memcmp(t->val, "DKIM1", 5) == 0)) {
            key_fail(k, INK_DKIM_KEY_MALFORMED, t->val_off, "v=%s is not v=DKIM1",
                     dkim_printable(shown, sizeof(shown), t->val, t->val_len, 32));
            return k;
        }
    }
    /* p=: required */
    t = dkim_tag_find(tags, ntags, "p");
    if (t == NULL) {
        key_fail(k, INK_DKIM_KEY_MALFORMED, len, "no p= tag (the public key is required)");
        return k;
    }
    if (t->val_len == 0) {
        key_fail(k, INK_DKIM_KEY_REVOKED, t->val_off, "p= is empty: the key has been revoked");
    } else if (dkim_b64_decode(t->val, t->val_len, &data, &erroff) < 0) {
        key_fail(k, INK_DKIM_KEY_MALFORMED, t->val_off + erroff, "p= is not valid base64");
    } else {
        k->data_len = data.len;
        k->data = (uint8_t *)ink_str_steal(&data);
        if (k->data == NULL) {
            ink_dkim_key_free(k);
            return NULL;
        }
    }
    ink_str_free(&data);
    if (k->status == INK_DKIM_KEY_MALFORMED)
        return k;

    for (i = 0; i < ntags; i++) {
        t = &tags[i];
        if (dkim_tag_is(t, "k")) {
            dkim_printable(k->type_name, sizeof(k->type_name), t->val, t->val_len, 24);
            if (t->val_len == 3 && memcmp(t->val, "rsa", 3) == 0) {
                k->type = INK_DKIM_KEY_RSA;
            } else if (t->val_len == 7 && memcmp(t->val, "ed25519", 7) == 0) {
                k->type = INK_DKIM_KEY_ED25519;
            } else {
                k->type = INK_DKIM_KEY_UNKNOWN;
                key_fail(k, INK_DKIM_KEY_UNUSABLE, t->val_off, "unknown key type k=%s",
                         k->type_name);
            }
        } else if (dkim_tag_is(t, "h")) {
            unsigned h = 0;
            pos = 0;
            while (list_item(t->val, t->val_len, &pos, &s, &e)) {
                if (item_is(t->val, s, e, "sha256"))
                    h |= INK_DKIM_HASH_SHA256;
                else if (item_is(t->val, s, e, "sha1"))
                    h |= INK_DKIM_HASH_SHA1;
                else if (s == e)
                    key_warn(k, t->val_off + s, "empty item in h=");
                else
                    key_warn(k, t->val_off + s, "unknown hash '%s' in h= (ignored)",
                             dkim_printable(shown, sizeof(shown), t->val + s, e - s, 32));
            }
            k->hashes = h;
            if (!(h & INK_DKIM_HASH_SHA256))
                key_fail(k, INK_DKIM_KEY_UNUSABLE, t->val_off,
                         "h= does not allow sha256, the only accepted hash");
        } else if (dkim_tag_is(t, "s")) {
            int email = 0;
            pos = 0;
            while (list_item(t->val, t->val_len, &pos, &s, &e))
                if (item_is(t->val, s, e, "email") || item_is(t->val, s, e, "*"))
                    email = 1;
            k->service_email = email;
            if (!email)
                key_fail(k, INK_DKIM_KEY_UNUSABLE, t->val_off,
                         "s= does not include email or *: the key is not for email");
        } else if (dkim_tag_is(t, "t")) {
            pos = 0;
            while (list_item(t->val, t->val_len, &pos, &s, &e)) {
                if (item_is(t->val, s, e, "y"))
                    k->flags |= INK_DKIM_FLAG_TESTING;
                else if (item_is(t->val, s, e, "s"))
                    k->flags |= INK_DKIM_FLAG_STRICT;
                else if (s != e)
                    key_warn(k, t->val_off + s, "unknown flag '%s' in t= (ignored)",
                             dkim_printable(shown, sizeof(shown), t->val + s, e - s, 32));
            }
        } else if (dkim_tag_is(t, "n")) {
            free(k->notes);
            k->notes = ink_memdup_cstr(t->val, t->val_len);
        } else if (!dkim_tag_is(t, "v") && !dkim_tag_is(t, "p")) {
            key_warn(k, t->name_off, "unknown tag '%s' (ignored)",
                     dkim_printable(shown, sizeof(shown), t->name, t->name_len, 32));
        }
    }
    if (k->status == INK_DKIM_KEY_OK && k->data != NULL) {
        t = dkim_tag_find(tags, ntags, "p");
        load_pkey(k, t->val_off);
    }
    return k;
}

/* ink_dkim_key_free - release a parsed key record */
void ink_dkim_key_free(struct ink_dkim_key *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_CTX_free(k->vctx);
    EVP_PKEY_free(k->pkey);
    free(k->data);
    free(k->notes);
    free(k);
}

/* ink_dkim_key_status_name - status as a word */
const char *ink_dkim_key_status_name(enum ink_dkim_key_status st)
{
    switch (st) {
    case INK_DKIM_KEY_OK:
        return "ok";
    case INK_DKIM_KEY_REVOKED:
        return "revoked";
    case INK_DKIM_KEY_MALFORMED:
        return "malformed";
    case INK_DKIM_KEY_UNUSABLE:
        return "unusable";
    }
    return "unknown";
}

/* ink_dkim_keytype_name - key type as a word */
const char *ink_dkim_keytype_name(enum ink_dkim_keytype t)
{
    switch (t) {
    case INK_DKIM_KEY_RSA:
        return "rsa";
    case INK_DKIM_KEY_ED25519:
        return "ed25519";
    case INK_DKIM_KEY_UNKNOWN:
        break;
    }
    return "unknown";
}

/* ink_dkim_key_name - SELECTOR._domainkey.DOMAIN */
int ink_dkim_key_name(const char *selector, const char *domain, char *out, size_t outsz)
{
    char tmp[2 * INK_DNS_NAME_MAX + 16];
    size_t sl = strlen(selector), dl = strlen(domain);

    if (sl == 0 || dl == 0 || sl + dl + 13 > sizeof(tmp))
        return -1;
    memcpy(tmp, selector, sl);
    memcpy(tmp + sl, "._domainkey.", 12);
    memcpy(tmp + sl + 12, domain, dl);
    return ink_dns_name_normalize(tmp, sl + 12 + dl, out, outsz);
}

/* is_let_dig - RFC 5321 Let-dig: an ASCII letter or digit */
static int is_let_dig(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* labels_check - v/len as dot-separated RFC 5321 sub-domain labels, at
 * least minlabels of them.  0, or -1 with the offset and reason. */
static int labels_check(const char *v, size_t len, size_t minlabels, size_t *erroff,
                        const char **why)
{
    size_t i, start = 0, nlabels = 0;

    if (len == 0) {
        *erroff = 0;
        *why = "empty";
        return -1;
    }
    if (len > INK_DNS_NAME_MAX) {
        *erroff = INK_DNS_NAME_MAX;
        *why = "longer than 253 bytes";
        return -1;
    }
    for (i = 0; i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)v[i] : '.';
        if (c == '.') {
            if (i == start) {
                *erroff = i;
                *why = i == len ? "ends with a dot" : "empty label";
                return -1;
            }
            if (v[i - 1] == '-') {
                *erroff = i - 1;
                *why = "a label ends with '-'";
                return -1;
            }
            if (i - start > INK_DNS_LABEL_MAX) {
                *erroff = start + INK_DNS_LABEL_MAX;
                *why = "label longer than 63 bytes";
                return -1;
            }
            nlabels++;
            start = i + 1;
        } else if (c == '-') {
            if (i == start) {
                *erroff = i;
                *why = "a label starts with '-'";
                return -1;
            }
        } else if (!is_let_dig(c)) {
            *erroff = i;
            *why = c >= 0x80 ? "a byte that is not ASCII (use the A-label, xn--)"
                             : "a character other than a letter, digit, '-' or '.'";
            return -1;
        }
    }
    if (nlabels < minlabels) {
        *erroff = 0;
        *why = "a single label (a domain name has at least two)";
        return -1;
    }
    return 0;
}

/* ink_dkim_domain_check - RFC 6376 domain-name syntax */
int ink_dkim_domain_check(const char *v, size_t len, size_t *erroff, const char **why)
{
    return labels_check(v, len, 2, erroff, why);
}

/* ink_dkim_selector_check - RFC 6376 selector syntax */
int ink_dkim_selector_check(const char *v, size_t len, size_t *erroff, const char **why)
{
    return labels_check(v, len, 1, erroff, why);
}

/* ssl_why - append OpenSSL's last error (or what) to err */
static void ssl_why(struct ink_str *err, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256];

    if (e != 0) {
        ERR_error_string_n(e, buf, sizeof(buf));
        ink_str_printf(err, "%s (%s)", what, buf);
    } else {
        ink_str_puts(err, what);
    }
    ERR_clear_error();
}

/* privkey_wrap - take ownership of pk as a signing key, checking it */
static struct ink_dkim_privkey *privkey_wrap(EVP_PKEY *pk, struct ink_str *err)
{
    struct ink_dkim_privkey *k;
    int id = EVP_PKEY_get_base_id(pk);
    unsigned bits = (unsigned)EVP_PKEY_get_bits(pk);

    if (id != EVP_PKEY_RSA && id != EVP_PKEY_ED25519) {
        ink_str_puts(err, "the key is neither RSA nor Ed25519");
        EVP_PKEY_free(pk);
        return NULL;
    }
    if (id == EVP_PKEY_RSA && (bits < INK_DKIM_RSA_BITS_MIN || bits > INK_DKIM_RSA_BITS_MAX)) {
        ink_str_printf(err, "RSA key of %u bits: DKIM needs %d to %d bits (RFC 8301)", bits,
                       INK_DKIM_RSA_BITS_MIN, INK_DKIM_RSA_BITS_MAX);
        EVP_PKEY_free(pk);
        return NULL;
    }
    k = calloc(1, sizeof(*k));
    if (k == NULL) {
        EVP_PKEY_free(pk);
        return NULL;
    }
    k->pkey = pk;
    k->type = id == EVP_PKEY_RSA ? INK_DKIM_KEY_RSA : INK_DKIM_KEY_ED25519;
    k->bits = id == EVP_PKEY_RSA ? bits : 256;
    return k;
}

/* ink_dkim_privkey_parse - PEM private key from memory */
struct ink_dkim_privkey *ink_dkim_privkey_parse(const uint8_t *pem, size_t len,
                                                struct ink_str *err)
{
    BIO *bio;
    EVP_PKEY *pk;

    if (len > INT32_MAX) {
        ink_str_puts(err, "key file too large");
        return NULL;
    }
    /* BIO_new_mem_buf refuses an empty buffer as a "null parameter",
     * which would read as out of memory */
    if (len == 0) {
        ink_str_puts(err, "empty: no private key in it (a PEM PKCS#8 or RSA PRIVATE KEY block)");
        return NULL;
    }
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) {
        ssl_why(err, "out of memory");
        return NULL;
    }
    /* an empty passphrase callback: encrypted keys fail instead of prompting */
    pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
    BIO_free(bio);
    if (pk == NULL) {
        ssl_why(err, "not a PEM private key (an unencrypted PKCS#8 or RSA PRIVATE KEY block)");
        return NULL;
    }
    return privkey_wrap(pk, err);
}

/* ink_dkim_privkey_free - release a private key */
void ink_dkim_privkey_free(struct ink_dkim_privkey *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_free(k->pkey);
    free(k);
}

enum ink_dkim_keytype ink_dkim_privkey_type(const struct ink_dkim_privkey *k)
{
    return k->type;
}

unsigned ink_dkim_privkey_bits(const struct ink_dkim_privkey *k)
{
    return k->bits;
}

/* ink_dkim_privkey_pkey - the OpenSSL key (owned by k) */
EVP_PKEY *ink_dkim_privkey_pkey(const struct ink_dkim_privkey *k)
{
    return k->pkey;
}

/* public_der - the bytes p= carries for pk: SubjectPublicKeyInfo for RSA,
 * the raw 32 bytes for Ed25519.  Appended to out; 0/-1. */
static int public_der(EVP_PKEY *pk, struct ink_str *out)
{
    unsigned char *der = NULL;
    size_t rawlen = INK_DKIM_ED25519_KEY_LEN;
    uint8_t raw[INK_DKIM_ED25519_KEY_LEN];
    int n;

    if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
        if (EVP_PKEY_get_raw_public_key(pk, raw, &rawlen) != 1 || rawlen != sizeof(raw))
            return -1;
        return ink_str_append(out, raw, rawlen);
    }
    n = i2d_PUBKEY(pk, &der);
    if (n <= 0)
        return -1;
    if (ink_str_append(out, der, (size_t)n) < 0) {
        OPENSSL_free(der);
        return -1;
    }
    OPENSSL_free(der);
    return 0;
}

/* ink_dkim_privkey_record - the key record publishing k */
int ink_dkim_privkey_record(const struct ink_dkim_privkey *k, unsigned flags,
                            struct ink_str *out)
{
    struct ink_str der = INK_STR_INIT;
    int rc = -1;

    if (public_der(k->pkey, &der) < 0)
        goto done;
    if (ink_str_printf(out, "v=DKIM1; k=%s; ", ink_dkim_keytype_name(k->type)) < 0)
        goto done;
    if ((flags & INK_DKIM_FLAG_TESTING) && (flags & INK_DKIM_FLAG_STRICT))
        rc = ink_str_puts(out, "t=y:s; ");
    else if (flags & INK_DKIM_FLAG_TESTING)
        rc = ink_str_puts(out, "t=y; ");
    else if (flags & INK_DKIM_FLAG_STRICT)
        rc = ink_str_puts(out, "t=s; ");
    else
        rc = 0;
    if (rc < 0 || ink_str_puts(out, "p=") < 0 || dkim_b64_encode((uint8_t *)der.buf, der.len, out) < 0)
        rc = -1;
done:
    ink_str_free(&der);
    return rc;
}

/* ink_dkim_privkey_matches - compare the published key with k */
int ink_dkim_privkey_matches(const struct ink_dkim_privkey *k, const struct ink_dkim_key *pub,
                             struct ink_str *why)
{
    if (pub->status != INK_DKIM_KEY_OK || pub->pkey == NULL) {
        ink_str_printf(why, "the published record is not a usable key: %s (%s)",
                       ink_dkim_key_status_name(pub->status), pub->reason);
        return -1;
    }
    if (pub->type != k->type) {
        ink_str_printf(why, "the published key is %s, the private key is %s",
                       ink_dkim_keytype_name(pub->type), ink_dkim_keytype_name(k->type));
        return 0;
    }
    if (EVP_PKEY_eq(k->pkey, pub->pkey) == 1)
        return 1;
    ERR_clear_error();
    if (pub->bits != k->bits)
        ink_str_printf(why, "the published key is a different %u-bit %s key; the private key has %u bits",
                       pub->bits, ink_dkim_keytype_name(pub->type), k->bits);
    else
        ink_str_printf(why, "the published %s key is a different key of the same size (%u bits)",
                       ink_dkim_keytype_name(pub->type), pub->bits);
    return 0;
}

/* ink_dkim_keygen - make a fresh key pair */
int ink_dkim_keygen(enum ink_dkim_keytype type, unsigned bits, struct ink_str *pem,
                    struct ink_str *record, struct ink_str *err)
{
    EVP_PKEY *pk = NULL;
    struct ink_dkim_privkey *k;
    BIO *bio;
    BUF_MEM *mem = NULL;
    int rc = -1;

    if (type == INK_DKIM_KEY_RSA) {
        if (bits == 0)
            bits = INK_DKIM_RSA_BITS_DEFAULT;
        if (bits < INK_DKIM_RSA_BITS_MIN || bits > INK_DKIM_RSA_BITS_MAX) {
            ink_str_printf(err, "RSA keys must have %d to %d bits, not %u", INK_DKIM_RSA_BITS_MIN,
                           INK_DKIM_RSA_BITS_MAX, bits);
            return -1;
        }
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    } else if (type == INK_DKIM_KEY_ED25519) {
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    } else {
        ink_str_puts(err, "unknown key type");
        return -1;
    }
    if (pk == NULL) {
        ssl_why(err, "key generation failed");
        return -1;
    }
    k = privkey_wrap(pk, err);
    if (k == NULL)
        return -1;
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) != 1) {
        ssl_why(err, "cannot write the private key as PEM");
        goto done;
    }
    BIO_get_mem_ptr(bio, &mem);
    if (mem == NULL || ink_str_append(pem, mem->data, mem->length) < 0) {
        ink_str_puts(err, "out of memory");
        goto done;
    }
    if (record != NULL && ink_dkim_privkey_record(k, 0, record) < 0) {
        ssl_why(err, "cannot encode the public key");
        goto done;
    }
    rc = 0;
done:
    BIO_free(bio);
    ink_dkim_privkey_free(k);
    return rc;
}

/* ink_dkim_txt_zone_line - OWNER. TTL IN TXT "..." "..." and a newline
 * (the DNS module's one TXT line writer, with DKIM's default TTL) */
int ink_dkim_txt_zone_line(const char *owner, uint32_t ttl, const uint8_t *text, size_t len,
                           struct ink_str *out)
{
    if (ink_zone_txt_line(out, owner, ttl != 0 ? ttl : INK_DKIM_TXT_TTL_DEFAULT, text, len) < 0)
        return -1;
    return ink_str_putc(out, '\n');
}
