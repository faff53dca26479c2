/*
 * arc_field.c - parser of the three ARC header fields (RFC 8617 4.1):
 * ARC-Authentication-Results ("i=N; authres-payload"), and the tag lists
 * of ARC-Message-Signature and ARC-Seal (read with the DKIM tag-list
 * splitter, inkan/dkim_prim.h), with byte offsets for every refusal.
 * Also the header-hash helpers the verifier and the sealer share.
 */
#include "inkan/arc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "arc_int.h"

/* Digits accepted in t= (a uint64_t holds 19). */
#define ARC_T_DIGITS_MAX 19
/* Digits accepted in i= ("50" has 2; leading zeros are refused anyway). */
#define ARC_I_DIGITS_MAX 2

/* ink_arc_cv_name - the cv= word */
const char *ink_arc_cv_name(enum ink_arc_cv cv)
{
    switch (cv) {
    case INK_ARC_CV_NONE: return "none";
    case INK_ARC_CV_PASS: return "pass";
    case INK_ARC_CV_FAIL: return "fail";
    }
    return "fail";
}

/* ink_arc_kind_name - the field name of a kind */
const char *ink_arc_kind_name(enum ink_arc_kind k)
{
    switch (k) {
    case INK_ARC_AAR: return "ARC-Authentication-Results";
    case INK_ARC_AMS: return "ARC-Message-Signature";
    case INK_ARC_AS: return "ARC-Seal";
    }
    return "ARC-?";
}

/* ink_arc_kind_of - which ARC field name/len is, or -1 */
int ink_arc_kind_of(const uint8_t *name, size_t len)
{
    int k;

    for (k = INK_ARC_AAR; k <= INK_ARC_AS; k++) {
        const char *n = ink_arc_kind_name((enum ink_arc_kind)k);
        if (strlen(n) == len && strncasecmp((const char *)name, n, len) == 0)
            return k;
    }
    return -1;
}

/* ink_arc_sig_result_name - the word for a signature result */
const char *ink_arc_sig_result_name(enum ink_arc_sig_result r)
{
    switch (r) {
    case INK_ARC_SIG_UNCHECKED: return "unchecked";
    case INK_ARC_SIG_PASS: return "pass";
    case INK_ARC_SIG_FAIL: return "fail";
    case INK_ARC_SIG_TEMPERROR: return "temperror";
    case INK_ARC_SIG_PERMERROR: return "permerror";
    }
    return "permerror";
}

/* refuse - mark f unusable with a reason at offset off; returns f */
static struct ink_arc_field *refuse(struct ink_arc_field *f, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static struct ink_arc_field *refuse(struct ink_arc_field *f, size_t off, const char *fmt, ...)
{
    va_list ap;

    if (!f->ok && f->why[0]) /* the first reason stands */
        return f;
    f->ok = 0;
    f->why_off = off;
    va_start(ap, fmt);
    vsnprintf(f->why, sizeof(f->why), fmt, ap);
    va_end(ap);
    return f;
}

/* parse_instance - i= digits: 1..INK_ARC_INSTANCE_MAX, no leading zero; 0 if bad */
static unsigned parse_instance(const uint8_t *p, size_t n)
{
    unsigned v = 0;
    size_t i;

    if (n == 0 || n > ARC_I_DIGITS_MAX || p[0] == '0')
        return 0;
    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    return v >= 1 && v <= INK_ARC_INSTANCE_MAX ? v : 0;
}

/* dup_lower - NUL-terminated lower-cased copy of p/n; NULL on ENOMEM */
static char *dup_lower(const uint8_t *p, size_t n)
{
    char *s = ink_memdup_cstr(p, n);
    size_t i;

    if (s != NULL)
        for (i = 0; i < n; i++)
            s[i] = (char)tolower((unsigned char)s[i]);
    return s;
}

/* is_wsp - folding whitespace inside a value */
static int is_wsp(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* parse_aar - "i=N;" then the payload */
static struct ink_arc_field *parse_aar(struct ink_arc_field *f)
{
    const uint8_t *v = f->value;
    size_t n = f->value_len, i = 0, ds;

    while (i < n && is_wsp(v[i]))
        i++;
    if (i >= n || v[i] != 'i')
        return refuse(f, i, "ARC-Authentication-Results must begin with i=");
    i++;
    while (i < n && is_wsp(v[i]))
        i++;
    if (i >= n || v[i] != '=')
        return refuse(f, i, "ARC-Authentication-Results must begin with i=");
    i++;
    while (i < n && is_wsp(v[i]))
        i++;
    ds = i;
    while (i < n && v[i] >= '0' && v[i] <= '9')
        i++;
    f->instance = parse_instance(v + ds, i - ds);
    if (f->instance == 0)
        return refuse(f, ds, "i= is not an instance 1..%d", INK_ARC_INSTANCE_MAX);
    while (i < n && is_wsp(v[i]))
        i++;
    if (i >= n || v[i] != ';')
        return refuse(f, i, "i=%u is not followed by ';'", f->instance);
    f->payload_off = i + 1;
    return f;
}

/* parse_alg - a=: rsa-sha256 or ed25519-sha256 (rsa-sha1 is refused, RFC 8617 4.1) */
static int parse_alg(struct ink_arc_field *f, const struct ink_dkim_tag *t)
{
    if (t->val_len == 10 && memcmp(t->val, "rsa-sha256", 10) == 0)
        f->alg = INK_DKIM_ALG_RSA_SHA256;
    else if (t->val_len == 14 && memcmp(t->val, "ed25519-sha256", 14) == 0)
        f->alg = INK_DKIM_ALG_ED25519_SHA256;
    else if (t->val_len == 8 && memcmp(t->val, "rsa-sha1", 8) == 0) {
        refuse(f, t->val_off, "a=rsa-sha1 is not allowed in ARC (RFC 8617 4.1, RFC 8301)");
        return -1;
    } else {
        refuse(f, t->val_off, "unknown algorithm a=%.*s", (int)(t->val_len > 40 ? 40 : t->val_len),
               (const char *)t->val);
        return -1;
    }
    return 0;
}

/* parse_canon - c=: header[/body], each simple or relaxed (default simple) */
static int parse_canon(struct ink_arc_field *f, const struct ink_dkim_tag *t)
{
    const uint8_t *p = t->val, *slash;
    size_t n = t->val_len, hn;
    enum ink_dkim_canon *out[2] = {&f->hcanon, &f->bcanon};
    size_t k;

    slash = n > 0 ? memchr(p, '/', n) : NULL; /* an empty value may have no pointer */
    hn = slash != NULL ? (size_t)(slash - p) : n;
    for (k = 0; k < 2; k++) {
        const uint8_t *q;
        size_t qn;
        if (k == 1 && slash == NULL)
            break; /* before slash + 1: no arithmetic on a NULL pointer */
        q = k == 0 ? p : slash + 1;
        qn = k == 0 ? hn : n - hn - 1;
        if (qn == 6 && memcmp(q, "simple", 6) == 0)
            *out[k] = INK_DKIM_CANON_SIMPLE;
        else if (qn == 7 && memcmp(q, "relaxed", 7) == 0)
            *out[k] = INK_DKIM_CANON_RELAXED;
        else {
            refuse(f, t->val_off + (size_t)(q - p), "unknown canonicalization in c=");
            return -1;
        }
    }
    return 0;
}

/* parse_b64 - decode a base64 tag into *out and *outlen (owned); -1 refused */
static int parse_b64(struct ink_arc_field *f, const struct ink_dkim_tag *t, const char *name,
                     uint8_t **out, size_t *outlen)
{
    struct ink_str s = INK_STR_INIT;
    size_t off = 0;

    if (t->val_len == 0) {
        refuse(f, t->val_off, "%s= is empty", name);
        return -1;
    }
    if (ink_dkim_b64_decode(t->val, t->val_len, &s, &off) < 0) {
        ink_str_free(&s);
        refuse(f, t->val_off + off, "%s= is not valid base64", name);
        return -1;
    }
    *outlen = s.len;
    *out = (uint8_t *)ink_str_steal(&s);
    if (*out == NULL) {
        refuse(f, t->val_off, "out of memory");
        return -1;
    }
    return 0;
}

/* parse_h - AMS h=: colon-separated names (WSP allowed around them) */
static int parse_h(struct ink_arc_field *f, const struct ink_dkim_tag *t)
{
    size_t i = 0, n = t->val_len;
    const uint8_t *p = t->val;

    if (n == 0)
        return 0; /* h= empty: only the AMS itself is signed */
    f->h = calloc(INK_ARC_H_NAMES_MAX, sizeof(*f->h));
    if (f->h == NULL) {
        refuse(f, t->val_off, "out of memory");
        return -1;
    }
    while (i <= n) {
        size_t s, e, j = i;
        while (j < n && p[j] != ':')
            j++;
        s = i;
        e = j;
        while (s < e && is_wsp(p[s]))
            s++;
        while (e > s && is_wsp(p[e - 1]))
            e--;
        /* an empty name (h=from::to) names no field: it adds nothing,
         * as the ARC suite's ams_fields_h_mis_hdr expects */
        if (f->nh >= INK_ARC_H_NAMES_MAX) {
            refuse(f, t->val_off + s, "h= lists more than %d names", INK_ARC_H_NAMES_MAX);
            return -1;
        }
        if (e - s == 8 && strncasecmp((const char *)p + s, "ARC-Seal", 8) == 0) {
            refuse(f, t->val_off + s, "h= must not list ARC-Seal (RFC 8617 4.1.2)");
            return -1;
        }
        f->h[f->nh] = ink_memdup_cstr(p + s, e - s);
        if (f->h[f->nh] == NULL) {
            refuse(f, t->val_off + s, "out of memory");
            return -1;
        }
        f->nh++;
        i = j + 1;
    }
    return 0;
}

/* parse_t - t=: digits */
static int parse_t(struct ink_arc_field *f, const struct ink_dkim_tag *t)
{
    size_t i;
    uint64_t v = 0;

    if (t->val_len == 0 || t->val_len > ARC_T_DIGITS_MAX) {
        refuse(f, t->val_off, "t= is not a timestamp");
        return -1;
    }
    for (i = 0; i < t->val_len; i++) {
        if (t->val[i] < '0' || t->val[i] > '9') {
            refuse(f, t->val_off + i, "t= is not a timestamp");
            return -1;
        }
        v = v * 10 + (uint64_t)(t->val[i] - '0');
    }
    f->has_t = 1;
    f->t = v;
    return 0;
}

/* need - the required tag name, or refuse */
static const struct ink_dkim_tag *need(struct ink_arc_field *f, const char *name)
{
    const struct ink_dkim_tag *t = ink_dkim_tag_get(f->tags, f->ntags, name);

    if (t == NULL)
        refuse(f, f->value_len, "%s has no %s= tag", ink_arc_kind_name(f->kind), name);
    return t;
}

/* parse_sig - AMS or AS tag list */
static struct ink_arc_field *parse_sig(struct ink_arc_field *f)
{
    const struct ink_dkim_tag *t;
    size_t off = 0;

    if (ink_dkim_taglist_parse(f->value, f->value_len, f->tags, INK_DKIM_TAGLIST_MAX, &f->ntags,
                               f->why, sizeof(f->why), &off) < 0) {
        f->ok = 0;
        f->why_off = off;
        return f;
    }
    /* RFC 6376 3.2's tag-list has no empty tag-spec: only a final ';'
     * may stand alone (the DKIM splitter is lenient about ";;") */
    {
        size_t i, last = 0;
        int seen = 0;
        for (i = 0; i < f->value_len; i++) {
            if (f->value[i] != ';')
                continue;
            if (seen) {
                size_t k = last + 1;
                while (k < i && is_wsp(f->value[k]))
                    k++;
                if (k == i)
                    return refuse(f, i, "empty tag (\";;\") in the tag list");
            }
            seen = 1;
            last = i;
        }
    }
    if ((t = need(f, "i")) == NULL)
        return f;
    f->instance = parse_instance(t->val, t->val_len);
    if (f->instance == 0)
        return refuse(f, t->val_off, "i= is not an instance 1..%d", INK_ARC_INSTANCE_MAX);
    if ((t = need(f, "a")) == NULL || parse_alg(f, t) < 0)
        return f;
    if ((t = need(f, "b")) == NULL || parse_b64(f, t, "b", &f->b, &f->blen) < 0)
        return f;
    f->b_val_start = t->raw_val_off;
    f->b_val_end = t->raw_val_end;
    if ((t = need(f, "d")) == NULL)
        return f;
    if (t->val_len == 0)
        return refuse(f, t->val_off, "d= is empty");
    if ((f->d = dup_lower(t->val, t->val_len)) == NULL)
        return refuse(f, t->val_off, "out of memory");
    if ((t = need(f, "s")) == NULL)
        return f;
    if (t->val_len == 0)
        return refuse(f, t->val_off, "s= is empty");
    if ((f->s = ink_memdup_cstr(t->val, t->val_len)) == NULL)
        return refuse(f, t->val_off, "out of memory");
    if ((t = ink_dkim_tag_get(f->tags, f->ntags, "t")) != NULL && parse_t(f, t) < 0)
        return f;
    if (f->kind == INK_ARC_AMS) {
        /* without c=, relaxed/relaxed: ARC's canonicalization (RFC 8617
         * 4.1.2 asks for relaxed; the ARC suite's ams_fields_c_na and
         * dkimpy read a missing c= so) */
        f->hcanon = f->bcanon = INK_DKIM_CANON_RELAXED;
        if ((t = need(f, "bh")) == NULL || parse_b64(f, t, "bh", &f->bh, &f->bhlen) < 0)
            return f;
        if (f->bhlen != INK_DKIM_DIGEST_LEN)
            return refuse(f, t->val_off, "bh= is %zu bytes, not a SHA-256 digest", f->bhlen);
        if ((t = ink_dkim_tag_get(f->tags, f->ntags, "c")) != NULL && parse_canon(f, t) < 0)
            return f;
        if ((t = need(f, "h")) == NULL || parse_h(f, t) < 0)
            return f;
    } else {
        if ((t = need(f, "cv")) == NULL)
            return f;
        if (t->val_len == 4 && strncasecmp((const char *)t->val, "none", 4) == 0)
            f->cv = INK_ARC_CV_NONE;
        else if (t->val_len == 4 && strncasecmp((const char *)t->val, "pass", 4) == 0)
            f->cv = INK_ARC_CV_PASS;
        else if (t->val_len == 4 && strncasecmp((const char *)t->val, "fail", 4) == 0)
            f->cv = INK_ARC_CV_FAIL;
        else
            return refuse(f, t->val_off, "cv= is not none, pass or fail");
        if ((t = ink_dkim_tag_get(f->tags, f->ntags, "h")) != NULL)
            return refuse(f, t->name_off, "an ARC-Seal must not have h= (RFC 8617 4.1.3)");
    }
    return f;
}

/* ink_arc_field_parse - parse one ARC field value of kind k */
struct ink_arc_field *ink_arc_field_parse(enum ink_arc_kind k, const uint8_t *value, size_t len)
{
    struct ink_arc_field *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return NULL;
    f->kind = k;
    f->ok = 1;
    f->value = malloc(len + 1);
    if (f->value == NULL) {
        free(f);
        return NULL;
    }
    if (len)
        memcpy(f->value, value, len);
    f->value[len] = '\0';
    f->value_len = len;
    if (len > INK_ARC_FIELD_MAX)
        return refuse(f, INK_ARC_FIELD_MAX, "the field is longer than %d bytes",
                      INK_ARC_FIELD_MAX);
    if (k == INK_ARC_AAR)
        return parse_aar(f);
    return parse_sig(f);
}

/* ink_arc_field_free - release */
void ink_arc_field_free(struct ink_arc_field *f)
{
    size_t i;

    if (f == NULL)
        return;
    for (i = 0; i < f->nh; i++)
        free(f->h[i]);
    free(f->h);
    free(f->d);
    free(f->s);
    free(f->b);
    free(f->bh);
    free(f->value);
    free(f);
}

/* arc_blank_b - the raw field with its b= value removed */
int arc_blank_b(const struct ink_mailhdr_field *fld, size_t b_start, size_t b_end,
                struct ink_str *out)
{
    size_t s = fld->value_off + b_start, e = fld->value_off + b_end;

    if (s > fld->len || e > fld->len || s > e)
        return -1;
    if (ink_str_append(out, fld->raw, s) < 0 || ink_str_append(out, fld->raw + e, fld->len - e) < 0)
        return -1;
    return 0;
}

/* canon_last - canonicalize the signature field and drop its final CRLF */
static int canon_last(enum ink_dkim_canon c, const uint8_t *p, size_t n, struct ink_str *out)
{
    size_t before = out->len;

    if (ink_dkim_canon_header(c, p, n, out) < 0)
        return -1;
    if (out->len >= before + 2 && out->buf[out->len - 2] == '\r' && out->buf[out->len - 1] == '\n')
        ink_str_truncate(out, out->len - 2);
    return 0;
}

/* finish - hash buf into digest */
static int finish(const struct ink_str *buf, uint8_t *digest)
{
    unsigned dl = 0;
    const EVP_MD *md = ink_dkim_sha256();

    if (md == NULL || EVP_Digest(buf->buf, buf->len, digest, &dl, md, NULL) != 1 ||
        dl != INK_DKIM_DIGEST_LEN)
        return -1;
    return 0;
}

/* arc_ams_digest - the AMS header digest (DKIM rules: h= bottom-up) */
int arc_ams_digest(const struct ink_mailhdr *h, const struct ink_arc_field *ams,
                   const uint8_t *self_raw, size_t self_len, uint8_t *digest)
{
    size_t nf = ink_mailhdr_count(h), i, k;
    struct ink_str buf = INK_STR_INIT;
    uint8_t *used = calloc(nf ? nf : 1, 1);
    int rc = -1;

    if (used == NULL)
        return -1;
    for (i = 0; i < ams->nh; i++) {
        size_t nl = strlen(ams->h[i]);
        for (k = nf; k-- > 0;) {
            const struct ink_mailhdr_field *fl = ink_mailhdr_field(h, k);
            if (used[k] || !ink_mailhdr_name_is(fl, ams->h[i], nl))
                continue;
            used[k] = 1;
            if (ink_dkim_canon_header(ams->hcanon, fl->raw, fl->len, &buf) < 0)
                goto out;
            break;
        }
        /* a name with no field left is signed as absent: nothing added */
    }
    if (canon_last(ams->hcanon, self_raw, self_len, &buf) < 0)
        goto out;
    rc = finish(&buf, digest);
out:
    ink_str_free(&buf);
    free(used);
    return rc;
}

/* arc_seal_digest - the AS digest over sets first..last */
int arc_seal_digest(const struct arc_raw *raws, size_t nsets, const uint8_t *last_as,
                    size_t last_as_len, uint8_t *digest)
{
    struct ink_str buf = INK_STR_INIT;
    size_t k;
    int rc = -1;

    for (k = 0; k < nsets; k++) {
        if (ink_dkim_canon_header(INK_DKIM_CANON_RELAXED, raws[3 * k + INK_ARC_AAR].p,
                                  raws[3 * k + INK_ARC_AAR].len, &buf) < 0 ||
            ink_dkim_canon_header(INK_DKIM_CANON_RELAXED, raws[3 * k + INK_ARC_AMS].p,
                                  raws[3 * k + INK_ARC_AMS].len, &buf) < 0)
            goto out;
        if (k + 1 < nsets) {
            if (ink_dkim_canon_header(INK_DKIM_CANON_RELAXED, raws[3 * k + INK_ARC_AS].p,
                                      raws[3 * k + INK_ARC_AS].len, &buf) < 0)
                goto out;
        } else if (canon_last(INK_DKIM_CANON_RELAXED, last_as, last_as_len, &buf) < 0)
            goto out;
    }
    rc = finish(&buf, digest);
out:
    ink_str_free(&buf);
    return rc;
}
