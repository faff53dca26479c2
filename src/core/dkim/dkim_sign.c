/*
 * dkim_sign.c - DKIM signing (RFC 6376 section 5, RFC 8463): one pass
 * over the message makes a signature per key (RSA and Ed25519 side by
 * side), the body hashed as it streams through one canonicalizer per
 * canonicalization in use.
 */
#include "inkan/dkim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "dkim_int.h"
#include "inkan/dkim_prim.h"
#include "inkan/mailhdr.h"

#define DIGEST_LEN 32

/*
 * Header fields signed by default when present: RFC 6376 section 5.4.1's
 * list, plus the fields whose change alters what a reader sees or what a
 * receiver acts on (Message-ID, the MIME structure fields, Sender, and
 * List-Unsubscribe-Post, which RFC 8058 requires to be signed).
 */
static const char *const default_headers[] = {
    "From", "Reply-To", "Subject", "Date", "To", "Cc", "Resent-Date", "Resent-From",
    "Resent-To", "Resent-Cc", "In-Reply-To", "References", "List-Id", "List-Help",
    "List-Unsubscribe", "List-Subscribe", "List-Post", "List-Owner", "List-Archive",
    "List-Unsubscribe-Post", "Message-ID", "Sender", "MIME-Version", "Content-Type",
    "Content-Transfer-Encoding", "Content-ID", "Content-Description",
};

/* Longest untrusted value (domain, selector, identity) an error shows. */
#define SIGN_SHOW_MAX 64
/* Names one --headers or --oversign list may give. */
#define SIGN_NAMES_MAX 64

struct sign_body {
    struct ink_dkim_bodycanon *bc;
    EVP_MD_CTX *ctx;
    uint64_t total;
    uint8_t digest[DIGEST_LEN];
};

struct ink_dkim_sign {
    struct ink_dkim_sign_key keys[INK_DKIM_SIGN_KEYS_MAX];
    size_t nkeys;
    unsigned flags;
    struct ink_mailhdr *hdr;
    int header_done, failed, ended;
    struct sign_body body[2]; /* simple, relaxed */
    char err[256];
};

/* sign_fail - record an error */
static int sign_fail(struct ink_dkim_sign *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int sign_fail(struct ink_dkim_sign *s, const char *fmt, ...)
{
    va_list ap;

    s->failed = 1;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, ap);
    va_end(ap);
    return -1;
}

/* split_names - a colon- or comma-separated list of field names into
 * out (pointers into a copy kept in *store); count, or -1 when an item is
 * not a field name or there are too many */
static int split_names(const char *list, char **store, const char *out[], size_t max)
{
    char *copy = strdup(list), *p, *tok, *save = NULL;
    size_t n = 0;

    *store = copy;
    if (copy == NULL)
        return -1;
    for (p = copy; (tok = strtok_r(p, ":, \t", &save)) != NULL; p = NULL) {
        const char *c;
        for (c = tok; *c; c++)
            if ((unsigned char)*c < 33 || (unsigned char)*c > 126)
                return -1;
        if (n >= max)
            return -1;
        out[n++] = tok;
    }
    return (int)n;
}

/* body_sink_sign - canonical body bytes into the hash */
static void body_sink_sign(void *arg, const uint8_t *p, size_t n)
{
    struct sign_body *b = arg;

    EVP_DigestUpdate(b->ctx, p, n);
    b->total += n;
}

/* ink_dkim_sign_new - a signer for one message */
struct ink_dkim_sign *ink_dkim_sign_new(const struct ink_dkim_sign_key *keys, size_t nkeys,
                                        unsigned flags, struct ink_str *err)
{
    struct ink_dkim_sign *s;
    size_t i;
    char name[INK_DNS_NAME_MAX + 1];

    if (nkeys == 0 || nkeys > INK_DKIM_SIGN_KEYS_MAX) {
        ink_str_printf(err, "between 1 and %d keys are needed", INK_DKIM_SIGN_KEYS_MAX);
        return NULL;
    }
    if (dkim_sha256() == NULL) {
        ink_str_puts(err, "OpenSSL offers no SHA-256");
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    s->flags = flags;
    s->nkeys = nkeys;
    for (i = 0; i < nkeys; i++) {
        struct ink_dkim_sign_key *k = &s->keys[i];
        enum ink_dkim_keytype kt;
        *k = keys[i];
        if ((k->key == NULL && k->sign_fn == NULL) || k->domain == NULL || k->selector == NULL) {
            ink_str_printf(err, "signature %zu: a key, a domain and a selector are needed", i + 1);
            goto fail;
        }
        if (k->key == NULL && k->alg == INK_DKIM_ALG_UNKNOWN) {
            /* an external key's type is the caller's to say */
            ink_str_printf(err, "signature %zu: external signing needs the algorithm", i + 1);
            goto fail;
        }
        if (k->key != NULL)
            kt = ink_dkim_privkey_type(k->key);
        else
            kt = k->alg == INK_DKIM_ALG_ED25519_SHA256 ? INK_DKIM_KEY_ED25519 : INK_DKIM_KEY_RSA;
        if (k->alg == INK_DKIM_ALG_UNKNOWN)
            k->alg = kt == INK_DKIM_KEY_ED25519 ? INK_DKIM_ALG_ED25519_SHA256
                                                : INK_DKIM_ALG_RSA_SHA256;
        if (k->alg == INK_DKIM_ALG_RSA_SHA1) {
            ink_str_puts(err, "rsa-sha1 is not used for signing (RFC 8301)");
            goto fail;
        }
        if ((k->alg == INK_DKIM_ALG_ED25519_SHA256) != (kt == INK_DKIM_KEY_ED25519)) {
            ink_str_printf(err, "signature %zu: a=%s needs an %s key, the key is %s", i + 1,
                           ink_dkim_alg_name(k->alg),
                           k->alg == INK_DKIM_ALG_ED25519_SHA256 ? "Ed25519" : "RSA",
                           ink_dkim_keytype_name(kt));
            goto fail;
        }
        {
            /* the same syntax a verifier demands (RFC 6376 3.5); one
             * trailing dot is the absolute form of the same name */
            size_t dl = strlen(k->domain), erroff = 0;
            const char *bad = NULL;
            if (dl > 1 && k->domain[dl - 1] == '.')
                dl--;
            if (ink_dkim_domain_check(k->domain, dl, &erroff, &bad) < 0) {
                ink_str_printf(err, "signature %zu: the domain '", i + 1);
                ink_str_put_printable(err, k->domain, strlen(k->domain), SIGN_SHOW_MAX);
                ink_str_printf(err, "' is not a domain name: %s at offset %zu", bad, erroff);
                goto fail;
            }
            if (ink_dkim_selector_check(k->selector, strlen(k->selector), &erroff, &bad) < 0) {
                ink_str_printf(err, "signature %zu: the selector '", i + 1);
                ink_str_put_printable(err, k->selector, strlen(k->selector), SIGN_SHOW_MAX);
                ink_str_printf(err, "' is not a selector: %s at offset %zu", bad, erroff);
                goto fail;
            }
            if (ink_dkim_key_name(k->selector, k->domain, name, sizeof(name)) < 0) {
                ink_str_printf(err, "signature %zu: the key name %s._domainkey.%s is too long",
                               i + 1, k->selector, k->domain);
                goto fail;
            }
            if (k->identity != NULL) {
                /* i= is written as it is: no byte that would need
                 * dkim-quoted-printable, and a domain in d= */
                const char *at = strrchr(k->identity, '@'), *q;
                int plain = 1;
                for (q = k->identity; *q; q++)
                    if ((unsigned char)*q < 0x21 || (unsigned char)*q >= 0x7f || *q == ';' ||
                        *q == '=')
                        plain = 0;
                if (at == NULL || !plain ||
                    ink_dkim_domain_check(at + 1, strlen(at + 1), &erroff, &bad) < 0 ||
                    !ink_dns_name_is_subdomain(at + 1, k->domain)) {
                    ink_str_printf(err, "signature %zu: i=", i + 1);
                    ink_str_put_printable(err, k->identity, strlen(k->identity), SIGN_SHOW_MAX);
                    ink_str_printf(err, " must be an address in %s or a subdomain", k->domain);
                    goto fail;
                }
            }
        }
        {
            const char *names[SIGN_NAMES_MAX];
            char *store = NULL;
            int n = 0;
            if (k->headers != NULL) {
                size_t j;
                int from = 0;
                n = split_names(k->headers, &store, names, SIGN_NAMES_MAX);
                for (j = 0; n > 0 && j < (size_t)n; j++)
                    if (strcasecmp(names[j], "from") == 0)
                        from = 1;
                free(store);
                if (n <= 0 || !from) {
                    ink_str_printf(err, "signature %zu: the header list must name fields and include From",
                                   i + 1);
                    goto fail;
                }
            }
            if (k->oversign != NULL && k->oversign[0] != '\0') {
                n = split_names(k->oversign, &store, names, SIGN_NAMES_MAX);
                free(store);
                if (n < 0) {
                    ink_str_printf(err, "signature %zu: bad --oversign list", i + 1);
                    goto fail;
                }
            }
        }
    }
    s->hdr = ink_mailhdr_new((flags & INK_DKIM_SIGN_LF_TO_CRLF) ? INK_MAILHDR_LF_TO_CRLF : 0);
    if (s->hdr == NULL)
        goto enomem;
    for (i = 0; i < nkeys; i++) {
        struct sign_body *b = &s->body[s->keys[i].bcanon == INK_DKIM_CANON_RELAXED];
        if (b->bc != NULL)
            continue;
        b->ctx = EVP_MD_CTX_new();
        b->bc = ink_dkim_bodycanon_new(s->keys[i].bcanon,
                                       (flags & INK_DKIM_SIGN_LF_TO_CRLF) ? INK_DKIM_BODY_LF_TO_CRLF : 0,
                                       body_sink_sign, b);
        if (b->ctx == NULL || b->bc == NULL || EVP_DigestInit_ex(b->ctx, dkim_sha256(), NULL) != 1)
            goto enomem;
    }
    return s;
enomem:
    ink_str_puts(err, "out of memory");
fail:
    ink_dkim_sign_free(s);
    return NULL;
}

/* ink_dkim_sign_free - release */
void ink_dkim_sign_free(struct ink_dkim_sign *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < 2; i++) {
        ink_dkim_bodycanon_free(s->body[i].bc);
        EVP_MD_CTX_free(s->body[i].ctx);
    }
    ink_mailhdr_free(s->hdr);
    free(s);
}

/* ink_dkim_sign_push - message bytes */
int ink_dkim_sign_push(struct ink_dkim_sign *s, const uint8_t *buf, size_t len)
{
    size_t used = 0, i;

    if (s->failed)
        return -1;
    if (!s->header_done) {
        enum ink_mailhdr_state st = ink_mailhdr_push(s->hdr, buf, len, &used);
        if (st == INK_MAILHDR_ERROR)
            return sign_fail(s, "%s", ink_mailhdr_why(s->hdr));
        if (st == INK_MAILHDR_MORE)
            return 0;
        s->header_done = 1;
    }
    if (used < len)
        for (i = 0; i < 2; i++)
            if (s->body[i].bc != NULL)
                ink_dkim_bodycanon_push(s->body[i].bc, buf + used, len - used);
    return 0;
}

/* count_fields - instances of name in the header */
static size_t count_fields(const struct ink_mailhdr *h, const char *name)
{
    size_t i, n = 0, nl = strlen(name);

    for (i = 0; i < ink_mailhdr_count(h); i++) {
        const struct ink_mailhdr_field *f = ink_mailhdr_field(h, i);
        if (!f->malformed && ink_mailhdr_name_is(f, name, nl))
            n++;
    }
    return n;
}

/* folder - builds a folded header field */
struct folder {
    struct ink_str *out;
    size_t col;
};

/* fold_put - append token text, first folding if it would pass the width
 * (a token never starts a line with nothing before it on the field) */
static int fold_put(struct folder *fo, const char *tok, size_t len, int space_before)
{
    int rc = 0;

    if (fo->col + (space_before ? 1 : 0) + len > INK_DKIM_FOLD_WIDTH && fo->col > 1) {
        rc |= ink_str_puts(fo->out, "\r\n ");
        fo->col = 1;
    } else if (space_before) {
        rc |= ink_str_putc(fo->out, ' ');
        fo->col++;
    }
    rc |= ink_str_append(fo->out, tok, len);
    fo->col += len;
    return rc < 0 ? -1 : 0;
}

/* fold_long - append a long value (h= names, base64) cut at the width;
 * cuts only at positions where breaks is NULL or the byte is a member */
static int fold_long(struct folder *fo, const char *val, size_t len, const char *breaks)
{
    size_t i = 0;
    int rc = 0;

    while (i < len) {
        size_t room = fo->col < INK_DKIM_FOLD_WIDTH ? INK_DKIM_FOLD_WIDTH - fo->col : 0;
        size_t take = len - i;
        if (take > room) {
            if (breaks == NULL) {
                take = room;
            } else {
                /* cut after the last break character that fits */
                size_t k = room;
                while (k > 0 && strchr(breaks, val[i + k - 1]) == NULL)
                    k--;
                take = k;
            }
            if (take == 0) {
                if (fo->col > 1) {
                    rc |= ink_str_puts(fo->out, "\r\n ");
                    fo->col = 1;
                    continue;
                }
                /* nothing fits even on a fresh line: take up to the next break */
                take = 1;
                while (i + take < len && (breaks == NULL || strchr(breaks, val[i + take - 1]) == NULL))
                    take++;
            }
        }
        rc |= ink_str_append(fo->out, val + i, take);
        fo->col += take;
        i += take;
        if (i < len) {
            rc |= ink_str_puts(fo->out, "\r\n ");
            fo->col = 1;
        }
    }
    return rc < 0 ? -1 : 0;
}

/* ink_dkim_privkey_sign - sign the header digest with key k; appends the raw signature */
int ink_dkim_privkey_sign(const struct ink_dkim_privkey *k, const uint8_t *digest,
                          struct ink_str *sig)
{
    EVP_PKEY *pk = ink_dkim_privkey_pkey(k);
    size_t siglen = 0;
    int ok = 0;

    if (ink_dkim_privkey_type(k) == INK_DKIM_KEY_ED25519) {
        EVP_MD_CTX *mc = EVP_MD_CTX_new();
        if (mc != NULL && EVP_DigestSignInit_ex(mc, NULL, NULL, NULL, NULL, pk, NULL) == 1 &&
            EVP_DigestSign(mc, NULL, &siglen, digest, DIGEST_LEN) == 1 &&
            ink_str_reserve(sig, siglen) == 0 &&
            EVP_DigestSign(mc, (unsigned char *)sig->buf + sig->len, &siglen, digest, DIGEST_LEN) == 1)
            ok = 1;
        EVP_MD_CTX_free(mc);
    } else {
        EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(pk, NULL);
        if (pc != NULL && EVP_PKEY_sign_init(pc) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
            EVP_PKEY_CTX_set_signature_md(pc, dkim_sha256()) == 1 &&
            EVP_PKEY_sign(pc, NULL, &siglen, digest, DIGEST_LEN) == 1 &&
            ink_str_reserve(sig, siglen) == 0 &&
            EVP_PKEY_sign(pc, (unsigned char *)sig->buf + sig->len, &siglen, digest, DIGEST_LEN) == 1)
            ok = 1;
        EVP_PKEY_CTX_free(pc);
    }
    ERR_clear_error();
    if (!ok)
        return -1;
    sig->len += siglen;
    sig->buf[sig->len] = '\0';
    return 0;
}

/* sign_digest - sign the header digest with the key of k (its alg matches
 * the key's type: ink_dkim_sign_new refuses a mismatch), or through the
 * external signer's callback; a reason in why on failure */
static int sign_digest(const struct ink_dkim_sign_key *k, const uint8_t *digest, struct ink_str *sig,
                       struct ink_str *why)
{
    if (k->key == NULL)
        return k->sign_fn(k->sign_arg, k->alg, digest, sig, why);
    return ink_dkim_privkey_sign(k->key, digest, sig);
}

/* make_one - build, hash and sign one DKIM-Signature field into out */
static int make_one(struct ink_dkim_sign *s, const struct ink_dkim_sign_key *k, struct ink_str *out)
{
    const char *names[SIGN_NAMES_MAX], *over[SIGN_NAMES_MAX];
    char *store1 = NULL, *store2 = NULL;
    size_t nnames = 0, nover = 0, i, j, nf = ink_mailhdr_count(s->hdr);
    struct ink_str field = INK_STR_INIT, hlist = INK_STR_INIT, tmp = INK_STR_INIT;
    struct ink_str canon = INK_STR_INIT, sig = INK_STR_INIT, b64 = INK_STR_INIT;
    struct sign_body *b = &s->body[k->bcanon == INK_DKIM_CANON_RELAXED];
    struct folder fo = {&field, 0};
    unsigned char *used = calloc(nf ? nf : 1, 1);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t digest[DIGEST_LEN];
    unsigned dlen = 0;
    int rc = -1, n;

    if (used == NULL || ctx == NULL || EVP_DigestInit_ex(ctx, dkim_sha256(), NULL) != 1) {
        sign_fail(s, "out of memory");
        goto done;
    }
    if (count_fields(s->hdr, "From") == 0) {
        sign_fail(s, "the message has no From field: DKIM signs From (RFC 6376 5.4)");
        goto done;
    }
    if (nf > 0 && ink_mailhdr_field(s->hdr, 0)->len > 0 &&
        (ink_mailhdr_field(s->hdr, 0)->raw[0] == ' ' || ink_mailhdr_field(s->hdr, 0)->raw[0] == '\t')) {
        /* a DKIM-Signature put on top would take that line as its own
         * continuation and no longer verify (found by fuzzing) */
        sign_fail(s, "the message starts with a line beginning with whitespace (a folded "
                     "continuation with no field before it): malformed header, not signed");
        goto done;
    }
    if (k->headers != NULL) {
        n = split_names(k->headers, &store1, names, SIGN_NAMES_MAX);
        nnames = n > 0 ? (size_t)n : 0;
    } else {
        for (i = 0; i < sizeof(default_headers) / sizeof(default_headers[0]); i++)
            names[nnames++] = default_headers[i];
    }
    n = split_names(k->oversign != NULL ? k->oversign : "From", &store2, over, SIGN_NAMES_MAX);
    nover = n > 0 ? (size_t)n : 0;
    /* h=: each listed name as often as it occurs, plus once more if over-signed */
    for (i = 0; i < nnames; i++) {
        size_t c = count_fields(s->hdr, names[i]), dup = 0;
        for (j = 0; j < i; j++)
            if (strcasecmp(names[j], names[i]) == 0)
                dup = 1;
        if (dup)
            continue;
        for (j = 0; j < nover; j++)
            if (strcasecmp(over[j], names[i]) == 0) {
                c++;
                break;
            }
        for (j = 0; j < c; j++) {
            if (hlist.len)
                ink_str_putc(&hlist, ':');
            ink_str_puts(&tmp, names[i]);
            for (char *q = tmp.buf; q && *q; q++)
                if (*q >= 'A' && *q <= 'Z')
                    *q = (char)(*q + 32);
            ink_str_append(&hlist, tmp.buf, tmp.len);
            ink_str_truncate(&tmp, 0);
        }
    }
    /* over-signed names not in the list are still signed (once more than present) */
    for (j = 0; j < nover; j++) {
        int listed = 0;
        for (i = 0; i < nnames; i++)
            if (strcasecmp(names[i], over[j]) == 0)
                listed = 1;
        if (listed)
            continue;
        for (i = count_fields(s->hdr, over[j]) + 1; i > 0; i--) {
            if (hlist.len)
                ink_str_putc(&hlist, ':');
            for (const char *q = over[j]; *q; q++)
                ink_str_putc(&hlist, (*q >= 'A' && *q <= 'Z') ? *q + 32 : *q);
        }
    }

    /* the field, folded, ending in "b=" */
    ink_str_puts(&field, "DKIM-Signature:");
    fo.col = field.len;
#define PUT_TAG(...)                                                  \
    do {                                                              \
        ink_str_truncate(&tmp, 0);                                    \
        ink_str_printf(&tmp, __VA_ARGS__);                            \
        if (fold_put(&fo, tmp.buf, tmp.len, 1) < 0)                   \
            goto enomem;                                              \
    } while (0)
    PUT_TAG("v=1;");
    PUT_TAG("a=%s;", ink_dkim_alg_name(k->alg));
    PUT_TAG("c=%s/%s;", ink_dkim_canon_name(k->hcanon), ink_dkim_canon_name(k->bcanon));
    {
        char d[INK_DNS_NAME_MAX + 2];
        int dl = ink_dns_name_normalize(k->domain, strlen(k->domain), d, sizeof(d));
        if (dl <= 0) {
            sign_fail(s, "bad domain %s", k->domain);
            goto done;
        }
        PUT_TAG("d=%s;", d);
    }
    PUT_TAG("s=%s;", k->selector);
    if (k->identity != NULL)
        PUT_TAG("i=%s;", k->identity);
    if (k->timestamp)
        PUT_TAG("t=%llu;", (unsigned long long)k->timestamp);
    if (k->expire)
        PUT_TAG("x=%llu;", (unsigned long long)k->expire);
    if (k->body_length)
        PUT_TAG("l=%llu;", (unsigned long long)b->total);
    PUT_TAG("h=");
    if (fold_long(&fo, hlist.buf, hlist.len, ":") < 0 || ink_str_putc(&field, ';') < 0)
        goto enomem;
    fo.col++;
    ink_str_truncate(&b64, 0);
    if (dkim_b64_encode(b->digest, DIGEST_LEN, &b64) < 0)
        goto enomem;
    PUT_TAG("bh=%s;", b64.buf);
    PUT_TAG("b=");
#undef PUT_TAG

    /* header hash: the signed fields bottom-up, then this field without b= */
    {
        size_t pos = 0;
        while (pos < hlist.len) {
            size_t e = pos, nl;
            size_t kk;
            while (e < hlist.len && hlist.buf[e] != ':')
                e++;
            nl = e - pos;
            for (kk = nf; kk-- > 0;) {
                const struct ink_mailhdr_field *f = ink_mailhdr_field(s->hdr, kk);
                if (!used[kk] && !f->malformed && ink_mailhdr_name_is(f, hlist.buf + pos, nl))
                    break;
            }
            if (kk != (size_t)-1) {
                const struct ink_mailhdr_field *f = ink_mailhdr_field(s->hdr, kk);
                used[kk] = 1;
                ink_str_truncate(&canon, 0);
                if (ink_dkim_canon_header(k->hcanon, f->raw, f->len, &canon) < 0)
                    goto enomem;
                EVP_DigestUpdate(ctx, canon.buf, canon.len);
            }
            pos = e + 1;
        }
    }
    ink_str_truncate(&canon, 0);
    if (ink_dkim_canon_header(k->hcanon, (const uint8_t *)field.buf, field.len, &canon) < 0)
        goto enomem;
    if (k->hcanon == INK_DKIM_CANON_RELAXED)
        canon.len -= 2; /* relaxed added a CRLF; the signature field is hashed without */
    EVP_DigestUpdate(ctx, canon.buf, canon.len);
    if (EVP_DigestFinal_ex(ctx, digest, &dlen) != 1 || dlen != DIGEST_LEN) {
        sign_fail(s, "hashing failed");
        goto done;
    }
    ink_str_truncate(&tmp, 0);
    if (sign_digest(k, digest, &sig, &tmp) < 0) {
        if (k->key == NULL)
            sign_fail(s, "the external signer failed for %s: %s", k->selector,
                      tmp.len ? ink_str_cstr(&tmp) : "no reason given");
        else
            sign_fail(s, "signing with the %s key failed",
                      ink_dkim_keytype_name(ink_dkim_privkey_type(k->key)));
        goto done;
    }
    ink_str_truncate(&b64, 0);
    if (dkim_b64_encode((uint8_t *)sig.buf, sig.len, &b64) < 0 ||
        fold_long(&fo, b64.buf, b64.len, NULL) < 0 || ink_str_puts(&field, "\r\n") < 0)
        goto enomem;
    if (ink_str_append(out, field.buf, field.len) < 0)
        goto enomem;
    rc = 0;
    goto done;
enomem:
    sign_fail(s, "out of memory");
done:
    free(store1);
    free(store2);
    free(used);
    EVP_MD_CTX_free(ctx);
    ink_str_free(&field);
    ink_str_free(&hlist);
    ink_str_free(&tmp);
    ink_str_free(&canon);
    ink_str_free(&sig);
    ink_str_free(&b64);
    return rc;
}

/* ink_dkim_sign_end - make the signatures */
int ink_dkim_sign_end(struct ink_dkim_sign *s, const char *eol, struct ink_str *out)
{
    struct ink_str all = INK_STR_INIT;
    size_t i;

    if (s->failed)
        return -1;
    if (!s->header_done) {
        if (ink_mailhdr_end(s->hdr) == INK_MAILHDR_ERROR)
            return sign_fail(s, "%s", ink_mailhdr_why(s->hdr));
        s->header_done = 1;
    }
    if (!s->ended) {
        for (i = 0; i < 2; i++) {
            unsigned dlen = 0;
            if (s->body[i].bc == NULL)
                continue;
            ink_dkim_bodycanon_end(s->body[i].bc);
            EVP_DigestFinal_ex(s->body[i].ctx, s->body[i].digest, &dlen);
        }
        s->ended = 1;
    }
    for (i = 0; i < s->nkeys; i++)
        if (make_one(s, &s->keys[i], &all) < 0) {
            ink_str_free(&all);
            return -1;
        }
    if (eol != NULL && strcmp(eol, "\r\n") != 0) {
        /* write the fields with the message's own line ending */
        size_t p;
        int rc = 0;
        for (p = 0; p < all.len; p++) {
            if (all.buf[p] == '\r' && p + 1 < all.len && all.buf[p + 1] == '\n') {
                rc |= ink_str_puts(out, eol);
                p++;
            } else {
                rc |= ink_str_putc(out, all.buf[p]);
            }
        }
        ink_str_free(&all);
        return rc < 0 ? sign_fail(s, "out of memory") : 0;
    }
    if (ink_str_append(out, all.buf, all.len) < 0) {
        ink_str_free(&all);
        return sign_fail(s, "out of memory");
    }
    ink_str_free(&all);
    return 0;
}

const char *ink_dkim_sign_error(const struct ink_dkim_sign *s)
{
    return s->failed ? s->err : "";
}
