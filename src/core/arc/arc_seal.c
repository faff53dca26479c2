/*
 * arc_seal.c - sealing a forwarding hop (RFC 8617 section 5.1): the new
 * ARC-Authentication-Results (the results of this hop's
 * Authentication-Results fields), ARC-Message-Signature (a DKIM-style
 * signature of the message, relaxed/relaxed) and ARC-Seal (a signature
 * over every ARC set, the new one included), with the DKIM signer's key
 * objects (RSA or Ed25519).  The message streams through: the header is
 * kept, the body only hashed.
 */
#include "inkan/arc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "arc_int.h"
#include "inkan/mailhdr.h"

/* Columns the sealer folds its fields at (as the DKIM signer). */
#define ARC_FOLD_WIDTH INK_DKIM_FOLD_WIDTH
/* Longest authserv-id accepted (it is a domain name, RFC 8601 2.5). */
#define ARC_AUTHSERV_ID_MAX INK_DNS_NAME_MAX
/* Longest AAR results text accepted. */
#define ARC_RESULTS_MAX INK_ARC_FIELD_MAX

/* Fields signed by default when present (RFC 6376 5.4.1's list, less
 * the trace and ARC fields a forwarder must not sign). */
static const char *const default_headers[] = {
    "from", "reply-to", "subject", "date", "to", "cc", "resent-date", "resent-from",
    "resent-to", "resent-cc", "in-reply-to", "references", "list-id", "list-help",
    "list-unsubscribe", "list-subscribe", "list-post", "list-owner", "list-archive",
    "message-id", "mime-version", "content-type", "content-transfer-encoding"};

struct ink_arc_seal {
    struct ink_arc_seal_opts opts;
    struct ink_mailhdr *hdr;
    int header_done, ended, failed;
    char err[INK_DKIM_REASON_MAX];
    EVP_MD_CTX *bctx;
    struct ink_dkim_bodycanon *bc;
    unsigned instance;
};

/* seal_fail - record why; returns -1 */
static int seal_fail(struct ink_arc_seal *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int seal_fail(struct ink_arc_seal *s, const char *fmt, ...)
{
    va_list ap;

    s->failed = 1;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, ap);
    va_end(ap);
    return -1;
}

/* body_sink - canonicalized body into the hash */
static void body_sink(void *arg, const uint8_t *p, size_t n)
{
    EVP_DigestUpdate(arg, p, n);
}

/* id_ok - an authserv-id we can write unquoted: a dot-atom-ish token */
static int id_ok(const char *id)
{
    size_t i, n = strlen(id);

    if (n == 0 || n > ARC_AUTHSERV_ID_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

/* ink_arc_seal_new - a sealer for one message */
struct ink_arc_seal *ink_arc_seal_new(const struct ink_arc_seal_opts *o, struct ink_str *err)
{
    struct ink_arc_seal *s;
    size_t off = 0;
    const char *why = NULL;

    if ((o->key == NULL && o->sign_fn == NULL) || o->domain == NULL || o->selector == NULL ||
        o->authserv_id == NULL) {
        ink_str_puts(err, "a key, a domain, a selector and an authserv-id are needed");
        return NULL;
    }
    if (o->key == NULL && o->alg != INK_DKIM_ALG_RSA_SHA256 && o->alg != INK_DKIM_ALG_ED25519_SHA256) {
        /* an external key's type is the caller's to say */
        ink_str_puts(err, "external signing needs the algorithm (rsa-sha256 or ed25519-sha256)");
        return NULL;
    }
    if (ink_dkim_domain_check(o->domain, strlen(o->domain), &off, &why) < 0) {
        ink_str_printf(err, "domain '%s': %s at byte %zu", o->domain, why, off);
        return NULL;
    }
    if (ink_dkim_selector_check(o->selector, strlen(o->selector), &off, &why) < 0) {
        ink_str_printf(err, "selector '%s': %s at byte %zu", o->selector, why, off);
        return NULL;
    }
    if (!id_ok(o->authserv_id)) {
        ink_str_printf(err, "authserv-id '%s' is not a domain-like token", o->authserv_id);
        return NULL;
    }
    if (o->results != NULL &&
        (strlen(o->results) > ARC_RESULTS_MAX || strpbrk(o->results, "\r\n") != NULL)) {
        ink_str_puts(err, "the AAR results text has a line break or is too long");
        return NULL;
    }
    if (o->headers != NULL) {
        const char *p = o->headers;
        while (*p) {
            size_t n = strcspn(p, ":");
            if (n == 0 || (n >= 4 && strncasecmp(p, "arc-", 4) == 0)) {
                ink_str_printf(err, "header list '%s': empty names and ARC fields cannot be signed",
                               o->headers);
                return NULL;
            }
            p += n;
            if (*p == ':')
                p++;
        }
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    s->opts = *o;
    s->hdr = ink_mailhdr_new((o->flags & INK_ARC_SEAL_LF_TO_CRLF) ? INK_MAILHDR_LF_TO_CRLF : 0);
    s->bctx = EVP_MD_CTX_new();
    s->bc = ink_dkim_bodycanon_new(INK_DKIM_CANON_RELAXED,
                                   (o->flags & INK_ARC_SEAL_LF_TO_CRLF) ? INK_DKIM_BODY_LF_TO_CRLF : 0,
                                   body_sink, s->bctx);
    if (s->hdr == NULL || s->bctx == NULL || s->bc == NULL ||
        EVP_DigestInit_ex(s->bctx, ink_dkim_sha256(), NULL) != 1) {
        ink_arc_seal_free(s);
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    return s;
}

/* ink_arc_seal_free - release */
void ink_arc_seal_free(struct ink_arc_seal *s)
{
    if (s == NULL)
        return;
    ink_mailhdr_free(s->hdr);
    ink_dkim_bodycanon_free(s->bc);
    EVP_MD_CTX_free(s->bctx);
    free(s);
}

/* ink_arc_seal_push - the next bytes of the message */
int ink_arc_seal_push(struct ink_arc_seal *s, const uint8_t *buf, size_t len)
{
    if (s->failed)
        return -1;
    if (s->ended)
        return 0;
    if (!s->header_done) {
        size_t used = 0;
        enum ink_mailhdr_state st = ink_mailhdr_push(s->hdr, buf, len, &used);
        if (st == INK_MAILHDR_ERROR)
            return seal_fail(s, "%s", ink_mailhdr_why(s->hdr));
        if (st == INK_MAILHDR_MORE)
            return 0;
        s->header_done = 1;
        buf += used;
        len -= used;
    }
    ink_dkim_bodycanon_push(s->bc, buf, len);
    return 0;
}

/* The output being built: one field, folded or not. */
struct fieldw {
    struct ink_str *out;
    int fold;
    size_t col;
    int first;
};

/* put_tag - "name=value" with "; " before it, folding before the tag when
 * it does not fit.  A long value is broken across lines only where a
 * verifier ignores the break: anywhere in base64 (b=, bh=: whitespace is
 * dropped), after a ':' in h= (whitespace around names is dropped), and
 * nowhere else (d=, s= and the rest stay whole). */
static int put_tag(struct fieldw *w, const char *name, const char *val, size_t vlen)
{
    size_t need = strlen(name) + 1 + vlen + 1;
    int b64 = strcmp(name, "b") == 0 || strcmp(name, "bh") == 0, hlist = strcmp(name, "h") == 0;

    if (!w->first && ink_str_putc(w->out, ';') < 0)
        return -1;
    if (w->fold && !w->first && w->col + 2 + need > ARC_FOLD_WIDTH) {
        if (ink_str_puts(w->out, "\r\n\t") < 0)
            return -1;
        w->col = 8;
    } else if (ink_str_putc(w->out, ' ') < 0)
        return -1;
    else
        w->col += 2;
    w->first = 0;
    if (ink_str_printf(w->out, "%s=", name) < 0)
        return -1;
    w->col += strlen(name) + 1;
    if (!w->fold || (!b64 && !hlist)) {
        w->col += vlen;
        return ink_str_append(w->out, val, vlen);
    }
    while (vlen > 0) {
        size_t room = w->col < ARC_FOLD_WIDTH ? ARC_FOLD_WIDTH - w->col : 0, take;
        if (room == 0) {
            if (ink_str_puts(w->out, "\r\n\t") < 0)
                return -1;
            w->col = 8;
            room = ARC_FOLD_WIDTH - w->col;
        }
        take = vlen < room ? vlen : room;
        if (hlist && take < vlen) {
            /* end the piece just after a ':' (or take one whole name) */
            size_t k = take;
            while (k > 0 && val[k - 1] != ':')
                k--;
            if (k == 0) {
                const char *c = memchr(val, ':', vlen);
                k = c != NULL ? (size_t)(c - val) + 1 : vlen;
            }
            take = k;
        }
        if (ink_str_append(w->out, val, take) < 0)
            return -1;
        w->col += take;
        val += take;
        vlen -= take;
        if (vlen > 0 && w->col >= ARC_FOLD_WIDTH - 1)
            w->col = ARC_FOLD_WIDTH; /* the next piece goes on a new line */
    }
    return 0;
}

/* put_tags - the tags in order; b= last given as b (may be "") */
static int put_tagc(struct fieldw *w, const char *name, const char *val)
{
    return put_tag(w, name, val, strlen(val));
}

/* highest_instance - the newest ARC instance in the header (0: none); *bad
 * set when ARC fields are malformed */
static unsigned highest_instance(const struct ink_arc_seal *s)
{
    size_t n = ink_mailhdr_count(s->hdr), i;
    unsigned top = 0;

    for (i = 0; i < n; i++) {
        const struct ink_mailhdr_field *fl = ink_mailhdr_field(s->hdr, i);
        int kind = ink_arc_kind_of(fl->raw, fl->name_len);
        struct ink_arc_field *f;
        if (fl->malformed || kind < 0)
            continue;
        f = ink_arc_field_parse((enum ink_arc_kind)kind, fl->raw + fl->value_off,
                                fl->len - fl->value_off);
        if (f != NULL && f->instance > top)
            top = f->instance;
        ink_arc_field_free(f);
    }
    return top;
}

/* find_set_field - the raw field of kind with instance i (first found), or NULL */
static const struct ink_mailhdr_field *find_set_field(const struct ink_arc_seal *s, int kind,
                                                      unsigned inst)
{
    size_t n = ink_mailhdr_count(s->hdr), i;

    for (i = 0; i < n; i++) {
        const struct ink_mailhdr_field *fl = ink_mailhdr_field(s->hdr, i);
        struct ink_arc_field *f;
        unsigned got;
        if (fl->malformed || ink_arc_kind_of(fl->raw, fl->name_len) != kind)
            continue;
        f = ink_arc_field_parse((enum ink_arc_kind)kind, fl->raw + fl->value_off,
                                fl->len - fl->value_off);
        got = f != NULL && f->ok ? f->instance : 0;
        ink_arc_field_free(f);
        if (got == inst)
            return fl;
    }
    return NULL;
}

/* is_wsp - whitespace in a header value */
static int is_wsp(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * add_results - append to out the results of one Authentication-Results
 * value p/n whose authserv-id is id ("" when it is someone else's:
 * nothing added).  Results are split at ';' outside comments and quoted
 * strings, trimmed, and each put on out after "; ".
 */
static int add_results(const uint8_t *p, size_t n, const char *id, struct ink_str *out)
{
    size_t i = 0, s, e, idl = strlen(id);
    int depth = 0, quoted = 0, first = 1;

    while (i < n) {
        s = i;
        for (; i < n; i++) {
            uint8_t c = p[i];
            if (quoted) {
                if (c == '\\' && i + 1 < n)
                    i++;
                else if (c == '"')
                    quoted = 0;
            } else if (c == '"')
                quoted = 1;
            else if (c == '(')
                depth++;
            else if (c == ')' && depth > 0)
                depth--;
            else if (c == '\\' && depth > 0 && i + 1 < n)
                i++;
            else if (c == ';' && depth == 0)
                break;
        }
        e = i;
        if (i < n)
            i++; /* the ';' */
        while (s < e && is_wsp(p[s]))
            s++;
        while (e > s && is_wsp(p[e - 1]))
            e--;
        if (first) {
            /* the authserv-id (maybe followed by a version and a comment) */
            size_t k = s;
            first = 0;
            while (k < e && !is_wsp(p[k]) && p[k] != '(')
                k++;
            if (k - s != idl || strncasecmp((const char *)p + s, id, idl) != 0)
                return 0;
            continue;
        }
        if (e == s || (e - s == 4 && strncasecmp((const char *)p + s, "none", 4) == 0))
            continue;
        if (ink_str_puts(out, "; ") < 0)
            return -1;
        /* runs of folding whitespace become one SP: the result stays one line */
        for (; s < e; s++) {
            if (is_wsp(p[s])) {
                if (out->len && out->buf[out->len - 1] == ' ')
                    continue;
                if (ink_str_putc(out, ' ') < 0)
                    return -1;
            } else if (ink_str_putc(out, p[s]) < 0)
                return -1;
        }
    }
    return 0;
}

/* build_aar - the new AAR field ("ARC-Authentication-Results: ...\r\n") */
static int build_aar(struct ink_arc_seal *s, enum ink_arc_cv cv, struct ink_str *f)
{
    struct ink_str res = INK_STR_INIT;
    size_t n = ink_mailhdr_count(s->hdr), i, start, k;
    int rc = -1;

    if (s->opts.results != NULL) {
        if (s->opts.results[0] && ink_str_printf(&res, "; %s", s->opts.results) < 0)
            goto out;
    } else {
        for (i = 0; i < n; i++) {
            const struct ink_mailhdr_field *fl = ink_mailhdr_field(s->hdr, i);
            if (fl->malformed || !ink_mailhdr_name_is(fl, "Authentication-Results", 22))
                continue;
            if (add_results(fl->raw + fl->value_off, fl->len - fl->value_off,
                            s->opts.authserv_id, &res) < 0)
                goto out;
        }
        if (res.len == 0 && ink_str_printf(&res, "; arc=%s", ink_arc_cv_name(cv)) < 0)
            goto out;
    }
    if (ink_str_printf(f, "ARC-Authentication-Results: i=%u; %s", s->instance,
                       s->opts.authserv_id) < 0)
        goto out;
    /* one result per line when folding (the suite's layout) */
    for (start = 0, k = 0; k <= res.len; k++) {
        if (k < res.len && !(res.buf[k] == ';' && k + 1 < res.len && res.buf[k + 1] == ' ' &&
                             k > start))
            continue;
        if (k == res.len) {
            if (ink_str_append(f, res.buf + start, k - start) < 0)
                goto out;
            break;
        }
        if (ink_str_append(f, res.buf + start, k - start) < 0)
            goto out;
        start = k;
        if (!(s->opts.flags & INK_ARC_SEAL_NO_FOLD)) {
            if (ink_str_puts(f, ";\r\n\t") < 0)
                goto out;
            start = k + 2; /* the "; " is written as ";" CRLF TAB */
        }
        k++;
    }
    rc = ink_str_puts(f, "\r\n");
out:
    ink_str_free(&res);
    return rc;
}

/* sign_b64 - sign digest and append its base64 to out */
static int sign_b64(struct ink_arc_seal *s, const uint8_t *digest, struct ink_str *out)
{
    struct ink_str sig = INK_STR_INIT, why = INK_STR_INIT;
    int rc = -1, signed_ok;

    signed_ok = s->opts.key != NULL
                    ? ink_dkim_privkey_sign(s->opts.key, digest, &sig) == 0
                    : s->opts.sign_fn(s->opts.sign_arg, s->opts.alg, digest, &sig, &why) == 0;
    if (signed_ok && ink_dkim_b64_encode((const uint8_t *)sig.buf, sig.len, out) == 0)
        rc = 0;
    else if (!signed_ok && why.len > 0)
        seal_fail(s, "signing failed: %s", ink_str_cstr(&why));
    ink_str_free(&sig);
    ink_str_free(&why);
    return rc;
}

/* alg_name - a= for our key */
static const char *alg_name(const struct ink_arc_seal *s)
{
    if (s->opts.key == NULL)
        return s->opts.alg == INK_DKIM_ALG_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256";
    return ink_dkim_privkey_type(s->opts.key) == INK_DKIM_KEY_ED25519 ? "ed25519-sha256"
                                                                      : "rsa-sha256";
}

/* field_begin - start the field name ("ARC-Seal:") in out, w writing to
 * it (folded unless INK_ARC_SEAL_NO_FOLD), with a= and an empty b=: the
 * field is hashed so and the signature goes in after, at *b_at.  0/-1 */
static int field_begin(const struct ink_arc_seal *s, struct fieldw *w, struct ink_str *out,
                       const char *name, size_t *b_at)
{
    if (ink_str_puts(out, name) < 0)
        return -1;
    w->out = out;
    w->fold = !(s->opts.flags & INK_ARC_SEAL_NO_FOLD);
    w->col = out->len;
    w->first = 1;
    if (put_tagc(w, "a", alg_name(s)) < 0 || put_tag(w, "b", "", 0) < 0)
        return -1;
    *b_at = out->len;
    return 0;
}

/* h_list - the AMS h= value into out */
static int h_list(struct ink_arc_seal *s, struct ink_str *out)
{
    size_t n = ink_mailhdr_count(s->hdr), i, k;

    if (s->opts.headers != NULL)
        return ink_str_puts(out, s->opts.headers);
    for (k = 0; k < sizeof(default_headers) / sizeof(default_headers[0]); k++)
        for (i = 0; i < n; i++) {
            const struct ink_mailhdr_field *fl = ink_mailhdr_field(s->hdr, i);
            if (fl->malformed ||
                !ink_mailhdr_name_is(fl, default_headers[k], strlen(default_headers[k])))
                continue;
            if ((out->len && ink_str_putc(out, ':') < 0) || ink_str_puts(out, default_headers[k]) < 0)
                return -1;
        }
    return 0;
}

/* splice_b - f gets tmp with the base64 signature b put at b_at */
static int splice_b(struct ink_str *f, const struct ink_str *tmp, size_t b_at,
                    const struct ink_str *b, int fold)
{
    size_t col, line_start;
    const char *p = b->buf;
    size_t left = b->len;

    if (ink_str_append(f, tmp->buf, b_at) < 0)
        return -1;
    line_start = f->len;
    while (line_start > 0 && f->buf[line_start - 1] != '\n')
        line_start--;
    col = f->len - line_start + (line_start > 0 ? 7 : 0);
    while (left > 0) {
        size_t room = !fold ? left : col < ARC_FOLD_WIDTH ? ARC_FOLD_WIDTH - col : 0, take;
        if (room == 0) {
            if (ink_str_puts(f, "\r\n\t") < 0)
                return -1;
            col = 8;
            continue;
        }
        take = left < room ? left : room;
        if (ink_str_append(f, p, take) < 0)
            return -1;
        col += take;
        p += take;
        left -= take;
    }
    return ink_str_append(f, tmp->buf + b_at, tmp->len - b_at);
}

/* build_ams - the AMS field: tags alphabetical, b= signed last */
static int build_ams(struct ink_arc_seal *s, const uint8_t *bh, struct ink_str *f)
{
    struct ink_str hv = INK_STR_INIT, bhv = INK_STR_INIT, tmp = INK_STR_INIT, b = INK_STR_INIT;
    struct ink_arc_field names;
    char *hn[INK_ARC_H_NAMES_MAX];
    char *copy = NULL, *p, *save = NULL;
    struct fieldw w;
    char inst[16], ts[24];
    uint8_t digest[INK_DKIM_DIGEST_LEN];
    size_t b_at;
    int rc = -1;

    snprintf(inst, sizeof(inst), "%u", s->instance);
    snprintf(ts, sizeof(ts), "%llu", (unsigned long long)s->opts.timestamp);
    if (h_list(s, &hv) < 0 || ink_dkim_b64_encode(bh, INK_DKIM_DIGEST_LEN, &bhv) < 0 ||
        field_begin(s, &w, &tmp, "ARC-Message-Signature:", &b_at) < 0)
        goto out;
    if (put_tag(&w, "bh", bhv.buf, bhv.len) < 0 || put_tagc(&w, "c", "relaxed/relaxed") < 0 ||
        put_tagc(&w, "d", s->opts.domain) < 0 ||
        put_tag(&w, "h", hv.buf ? hv.buf : "", hv.len) < 0 || put_tagc(&w, "i", inst) < 0 ||
        put_tagc(&w, "s", s->opts.selector) < 0 ||
        (s->opts.timestamp && put_tagc(&w, "t", ts) < 0))
        goto out;
    /* the names to hash, from our own h= list */
    memset(&names, 0, sizeof(names));
    names.hcanon = INK_DKIM_CANON_RELAXED;
    names.h = hn;
    copy = ink_memdup_cstr(hv.buf ? hv.buf : "", hv.len);
    if (copy == NULL)
        goto out;
    for (p = strtok_r(copy, ":", &save); p != NULL && names.nh < INK_ARC_H_NAMES_MAX;
         p = strtok_r(NULL, ":", &save))
        hn[names.nh++] = p;
    if (arc_ams_digest(s->hdr, &names, (const uint8_t *)tmp.buf, tmp.len, digest) < 0 ||
        sign_b64(s, digest, &b) < 0 || ink_str_puts(&tmp, "\r\n") < 0 ||
        splice_b(f, &tmp, b_at, &b, w.fold) < 0)
        goto out;
    rc = 0;
out:
    free(copy);
    ink_str_free(&hv);
    ink_str_free(&bhv);
    ink_str_free(&tmp);
    ink_str_free(&b);
    return rc;
}

/* build_as - the AS over the existing sets 1..instance-1 (unless cv=fail)
 * and the new AAR and AMS */
static int build_as(struct ink_arc_seal *s, enum ink_arc_cv cv, const struct ink_str *aar,
                    const struct ink_str *ams, struct ink_str *f)
{
    struct arc_raw raws[3 * INK_ARC_INSTANCE_MAX];
    struct ink_str tmp = INK_STR_INIT, b = INK_STR_INIT;
    struct fieldw w;
    char inst[16], ts[24];
    uint8_t digest[INK_DKIM_DIGEST_LEN];
    unsigned k, first;
    size_t b_at, nsets = 0;
    int kind, rc = -1;

    snprintf(inst, sizeof(inst), "%u", s->instance);
    snprintf(ts, sizeof(ts), "%llu", (unsigned long long)s->opts.timestamp);
    if (field_begin(s, &w, &tmp, "ARC-Seal:", &b_at) < 0)
        goto out;
    if (put_tagc(&w, "cv", ink_arc_cv_name(cv)) < 0 || put_tagc(&w, "d", s->opts.domain) < 0 ||
        put_tagc(&w, "i", inst) < 0 || put_tagc(&w, "s", s->opts.selector) < 0 ||
        (s->opts.timestamp && put_tagc(&w, "t", ts) < 0))
        goto out;
    /* RFC 8617 5.1.1: a failed chain is not carried on: the seal covers
     * only the set being added */
    first = cv == INK_ARC_CV_FAIL ? s->instance : 1;
    for (k = first; k < s->instance; k++, nsets++)
        for (kind = INK_ARC_AAR; kind <= INK_ARC_AS; kind++) {
            const struct ink_mailhdr_field *fl = find_set_field(s, kind, k);
            if (fl == NULL) {
                seal_fail(s, "the chain has no %s i=%u to seal over",
                          ink_arc_kind_name((enum ink_arc_kind)kind), k);
                goto out;
            }
            raws[3 * nsets + (unsigned)kind].p = fl->raw;
            raws[3 * nsets + (unsigned)kind].len = fl->len;
        }
    raws[3 * nsets + INK_ARC_AAR].p = (const uint8_t *)aar->buf;
    raws[3 * nsets + INK_ARC_AAR].len = aar->len;
    raws[3 * nsets + INK_ARC_AMS].p = (const uint8_t *)ams->buf;
    raws[3 * nsets + INK_ARC_AMS].len = ams->len;
    raws[3 * nsets + INK_ARC_AS].p = NULL;
    raws[3 * nsets + INK_ARC_AS].len = 0;
    if (arc_seal_digest(raws, nsets + 1, (const uint8_t *)tmp.buf, tmp.len, digest) < 0 ||
        sign_b64(s, digest, &b) < 0 || ink_str_puts(&tmp, "\r\n") < 0 ||
        splice_b(f, &tmp, b_at, &b, w.fold) < 0)
        goto out;
    rc = 0;
out:
    ink_str_free(&tmp);
    ink_str_free(&b);
    return rc;
}

/* put_eol - append field f (CRLF line ends) to out with eol line ends */
static int put_eol(struct ink_str *out, const struct ink_str *f, const char *eol)
{
    size_t i, s = 0;

    for (i = 0; i + 1 < f->len; i++)
        if (f->buf[i] == '\r' && f->buf[i + 1] == '\n') {
            if (ink_str_append(out, f->buf + s, i - s) < 0 || ink_str_puts(out, eol) < 0)
                return -1;
            s = i + 2;
            i++;
        }
    return ink_str_append(out, f->buf + s, f->len - s);
}

/* ink_arc_seal_end - the message ended: make the new set */
int ink_arc_seal_end(struct ink_arc_seal *s, const char *eol, struct ink_str *out)
{
    struct ink_str aar = INK_STR_INIT, ams = INK_STR_INIT, as = INK_STR_INIT;
    uint8_t bh[INK_DKIM_DIGEST_LEN];
    unsigned dl = 0, top;
    enum ink_arc_cv cv;
    int rc = -1;

    if (s->failed)
        return -1;
    if (s->ended)
        return seal_fail(s, "the message was already sealed");
    if (!s->header_done) {
        if (ink_mailhdr_end(s->hdr) == INK_MAILHDR_ERROR)
            return seal_fail(s, "%s", ink_mailhdr_why(s->hdr));
        s->header_done = 1;
    }
    s->ended = 1;
    ink_dkim_bodycanon_end(s->bc);
    if (EVP_DigestFinal_ex(s->bctx, bh, &dl) != 1 || dl != INK_DKIM_DIGEST_LEN)
        return seal_fail(s, "SHA-256 failed");
    {
        /* a message whose first line is a continuation would continue the
         * last field put on top of it: what was signed would change */
        const struct ink_mailhdr_field *f0 = ink_mailhdr_field(s->hdr, 0);
        if (f0 != NULL && f0->len > 0 && (f0->raw[0] == ' ' || f0->raw[0] == '\t'))
            return seal_fail(s, "the message begins with a folded (continuation) line: "
                                "no field can be put on top of it");
    }
    top = highest_instance(s);
    if (top >= INK_ARC_INSTANCE_MAX)
        return seal_fail(s, "the chain already has %u sets (RFC 8617 allows %d)", top,
                         INK_ARC_INSTANCE_MAX);
    if (top > 0) {
        const struct ink_mailhdr_field *fl = find_set_field(s, INK_ARC_AS, top);
        struct ink_arc_field *f =
            fl != NULL ? ink_arc_field_parse(INK_ARC_AS, fl->raw + fl->value_off,
                                             fl->len - fl->value_off)
                       : NULL;
        int failed = f != NULL && f->ok && f->cv == INK_ARC_CV_FAIL;
        ink_arc_field_free(f);
        if (failed) {
            /* RFC 8617 5.1.2: a chain whose newest seal says cv=fail gets
             * no further set (the suite's no_additional_sig) */
            s->instance = 0;
            return 0;
        }
    }
    s->instance = top + 1;
    cv = top == 0 ? INK_ARC_CV_NONE : s->opts.cv;
    if (top > 0 && cv == INK_ARC_CV_NONE)
        return seal_fail(s, "the message has an ARC chain (i=%u): cv must be pass or fail", top);
    if (build_aar(s, cv, &aar) < 0 || build_ams(s, bh, &ams) < 0 ||
        build_as(s, cv, &aar, &ams, &as) < 0) {
        if (!s->failed)
            seal_fail(s, "signing failed (out of memory or an OpenSSL error)");
        goto out;
    }
    if (put_eol(out, &as, eol) < 0 || put_eol(out, &ams, eol) < 0 || put_eol(out, &aar, eol) < 0) {
        seal_fail(s, "out of memory");
        goto out;
    }
    rc = 0;
out:
    ink_str_free(&aar);
    ink_str_free(&ams);
    ink_str_free(&as);
    return rc;
}

/* ink_arc_seal_set_cv - the chain state, known after the message */
void ink_arc_seal_set_cv(struct ink_arc_seal *s, enum ink_arc_cv cv)
{
    s->opts.cv = cv;
}

/* ink_arc_seal_error - why a call failed */
const char *ink_arc_seal_error(const struct ink_arc_seal *s)
{
    return s->err;
}

/* ink_arc_seal_instance - the new set's instance */
unsigned ink_arc_seal_instance(const struct ink_arc_seal *s)
{
    return s->instance;
}
