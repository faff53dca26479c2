/*
 * arc_verify.c - ARC chain verification (RFC 8617 section 5.2) as a
 * machine on the query protocol (inkan/query.h).
 *
 * The message streams in: the header is collected (ink_mailhdr), its
 * ARC fields parsed and the sets' structure checked as soon as it is
 * complete; then one TXT query per distinct key name of every AS and AMS
 * is handed out, all at once, while the body is canonicalized and hashed
 * (one hash per body canonicalization in use, so memory does not grow
 * with the body).  When the message has ended and every answer is in,
 * every AMS and AS is checked and the chain gets its cv.
 */
#include "inkan/arc.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "arc_int.h"
#include "inkan/mailhdr.h"

/* Distinct key names one chain can ask for: an AS and an AMS per set. */
/* Key records kept per key name (a name may publish several). */
#define ARC_KEYS_PER_NAME_MAX 4

struct keyq {
    char name[INK_DNS_NAME_MAX + 1];
    int handed_out, answered;
    enum ink_dns_status status;
    enum ink_dnssec dnssec;
    char why[INK_DKIM_REASON_MAX];
    size_t nkeys;
    struct ink_dkim_key *keys[ARC_KEYS_PER_NAME_MAX];
};

/* A body hash for one canonicalization. */
struct bodyhash {
    int used;
    EVP_MD_CTX *ctx;
    struct ink_dkim_bodycanon *bc;
    uint8_t digest[INK_DKIM_DIGEST_LEN];
};

/* Per set: the header index of each of its three fields, and its key queries. */
struct vset {
    size_t idx[3];
    int have[3];
    int keyq[3]; /* for AMS and AS: index in qs, -1 if no usable name */
};

struct ink_arc_verify {
    struct ink_arc_verify_opts opts;
    struct ink_mailhdr *hdr;
    int header_done, ended, failed, evaluated;
    char err[INK_DKIM_REASON_MAX];
    size_t nfields;
    struct arc_hfield fields[INK_ARC_FIELDS_MAX];
    int structure_failed;               /* the result is known from the header */
    struct vset vs[INK_ARC_INSTANCE_MAX];
    /* sets and key questions: allocated once the header shows a chain
     * (2 * count questions at most), so a message without ARC, the usual
     * case, does not pay for 50 instances (90 KB zeroed per message) */
    struct ink_arc_set *sets;
    struct ink_arc_result res;
    struct bodyhash bh[2];              /* by enum ink_dkim_canon */
    size_t nq, nq_cap;
    struct keyq *qs;
};

/* chain_fail - the chain fails for why, at message offset off (first reason stands) */
static void chain_fail(struct ink_arc_verify *v, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void chain_fail(struct ink_arc_verify *v, uint64_t off, const char *fmt, ...)
{
    va_list ap;

    if (v->res.cv == INK_ARC_CV_FAIL)
        return;
    v->res.cv = INK_ARC_CV_FAIL;
    v->res.reason_off = off;
    va_start(ap, fmt);
    vsnprintf(v->res.reason, sizeof(v->res.reason), fmt, ap);
    va_end(ap);
}

/* field_off - message offset of byte off of ARC field fi's value */
static uint64_t field_off(const struct ink_arc_verify *v, size_t fi, size_t off)
{
    const struct ink_mailhdr_field *fl = ink_mailhdr_field(v->hdr, v->fields[fi].index);

    return fl != NULL ? fl->msg_off + fl->value_off + off : 0;
}

/* ink_arc_verify_new - a verifier for one message */
struct ink_arc_verify *ink_arc_verify_new(const struct ink_arc_verify_opts *opts)
{
    struct ink_arc_verify *v = calloc(1, sizeof(*v));

    if (v == NULL)
        return NULL;
    if (opts != NULL)
        v->opts = *opts;
    v->hdr = ink_mailhdr_new((v->opts.flags & INK_ARC_VERIFY_LF_TO_CRLF) ? INK_MAILHDR_LF_TO_CRLF
                                                                         : 0);
    if (v->hdr == NULL) {
        free(v);
        return NULL;
    }
    return v;
}

/* ink_arc_verify_free - release */
void ink_arc_verify_free(struct ink_arc_verify *v)
{
    size_t i, k;

    if (v == NULL)
        return;
    for (i = 0; i < v->nfields; i++)
        ink_arc_field_free(v->fields[i].f);
    for (i = 0; i < 2; i++) {
        EVP_MD_CTX_free(v->bh[i].ctx);
        ink_dkim_bodycanon_free(v->bh[i].bc);
    }
    for (i = 0; i < v->nq; i++)
        for (k = 0; k < v->qs[i].nkeys; k++)
            ink_dkim_key_free(v->qs[i].keys[k]);
    ink_mailhdr_free(v->hdr);
    free(v->sets);
    free(v->qs);
    free(v);
}

/* verify_fail - push/end cannot go on */
static int verify_fail(struct ink_arc_verify *v, const char *why)
{
    v->failed = 1;
    snprintf(v->err, sizeof(v->err), "%s", why);
    return -1;
}

/* body_sink - canonicalized body bytes into one hash */
static void body_sink(void *arg, const uint8_t *p, size_t n)
{
    struct bodyhash *b = arg;

    EVP_DigestUpdate(b->ctx, p, n);
}

/* keyq_for - the query index for (s, d), adding it; -1 when no valid name */
static int keyq_for(struct ink_arc_verify *v, const char *s, const char *d)
{
    char name[INK_DNS_NAME_MAX + 1];
    size_t i;

    if (ink_dkim_key_name(s, d, name, sizeof(name)) < 0)
        return -1;
    for (i = 0; i < v->nq; i++)
        if (strcmp(v->qs[i].name, name) == 0)
            return (int)i;
    if (v->nq >= v->nq_cap)
        return -1;
    memcpy(v->qs[v->nq].name, name, strlen(name) + 1);
    return (int)v->nq++;
}

/* collect - parse the ARC fields of the complete header */
static int collect(struct ink_arc_verify *v)
{
    size_t n = ink_mailhdr_count(v->hdr), i;

    for (i = 0; i < n; i++) {
        const struct ink_mailhdr_field *fl = ink_mailhdr_field(v->hdr, i);
        int kind = ink_arc_kind_of(fl->raw, fl->name_len);
        struct ink_arc_field *f;
        if (fl->malformed || kind < 0)
            continue;
        if (v->nfields >= INK_ARC_FIELDS_MAX) {
            chain_fail(v, fl->msg_off, "more than %d ARC header fields", INK_ARC_FIELDS_MAX);
            return 0;
        }
        f = ink_arc_field_parse((enum ink_arc_kind)kind, fl->raw + fl->value_off,
                                fl->len - fl->value_off);
        if (f == NULL)
            return -1;
        v->fields[v->nfields].index = i;
        v->fields[v->nfields].f = f;
        v->nfields++;
    }
    return 0;
}

/* structure - RFC 8617 5.2 steps 1-3: the sets, their numbering and cv= */
static void structure(struct ink_arc_verify *v)
{
    size_t i;
    unsigned n = 0, k;

    if (v->nfields == 0 || v->res.cv == INK_ARC_CV_FAIL)
        return;
    for (i = 0; i < v->nfields; i++) {
        const struct ink_arc_field *f = v->fields[i].f;
        struct vset *s;
        if (!f->ok) {
            chain_fail(v, field_off(v, i, f->why_off), "%s: %s", ink_arc_kind_name(f->kind),
                       f->why);
            continue;
        }
        s = &v->vs[f->instance - 1];
        if (s->have[f->kind]) {
            chain_fail(v, field_off(v, i, 0), "two %s fields with i=%u",
                       ink_arc_kind_name(f->kind), f->instance);
            continue;
        }
        s->have[f->kind] = 1;
        s->idx[f->kind] = i;
        if (f->instance > n)
            n = f->instance;
    }
    v->res.count = n;
    if (v->res.cv == INK_ARC_CV_FAIL)
        return;
    for (k = 0; k < n; k++) {
        int kind;
        for (kind = INK_ARC_AAR; kind <= INK_ARC_AS; kind++)
            if (!v->vs[k].have[kind]) {
                chain_fail(v, 0, "ARC set %u has no %s", k + 1,
                           ink_arc_kind_name((enum ink_arc_kind)kind));
                return;
            }
    }
    /* step 2: the newest seal says the chain already failed */
    {
        size_t fi = v->vs[n - 1].idx[INK_ARC_AS];
        if (v->fields[fi].f->cv == INK_ARC_CV_FAIL) {
            chain_fail(v, field_off(v, fi, 0), "ARC-Seal i=%u says cv=fail", n);
            return;
        }
    }
    for (k = 0; k < n; k++) {
        size_t fi = v->vs[k].idx[INK_ARC_AS];
        enum ink_arc_cv want = k == 0 ? INK_ARC_CV_NONE : INK_ARC_CV_PASS;
        if (v->fields[fi].f->cv != want) {
            chain_fail(v, field_off(v, fi, 0), "ARC-Seal i=%u has cv=%s, not %s", k + 1,
                       ink_arc_cv_name(v->fields[fi].f->cv), ink_arc_cv_name(want));
            return;
        }
    }
}

/* header_complete - the header is in: parse, check, plan queries and body hashes */
static int header_complete(struct ink_arc_verify *v)
{
    unsigned k;

    v->header_done = 1;
    if (collect(v) < 0)
        return verify_fail(v, "out of memory");
    structure(v);
    if (v->res.cv == INK_ARC_CV_FAIL || v->res.count == 0) {
        v->structure_failed = v->res.cv == INK_ARC_CV_FAIL;
        return 0;
    }
    assert(v->res.count <= INK_ARC_INSTANCE_MAX);
    v->sets = calloc(v->res.count, sizeof(*v->sets));
    v->nq_cap = 2 * (size_t)v->res.count;
    v->qs = calloc(v->nq_cap, sizeof(*v->qs));
    if (v->sets == NULL || v->qs == NULL)
        return verify_fail(v, "out of memory");
    v->res.nsets = v->res.count;
    v->res.sets = v->sets;
    for (k = 0; k < v->res.count; k++) {
        struct ink_arc_set *set = &v->sets[k];
        const struct ink_arc_field *ams = v->fields[v->vs[k].idx[INK_ARC_AMS]].f;
        const struct ink_arc_field *as = v->fields[v->vs[k].idx[INK_ARC_AS]].f;
        const struct ink_arc_field *aar = v->fields[v->vs[k].idx[INK_ARC_AAR]].f;
        set->instance = k + 1;
        set->aar = aar;
        set->ams = ams;
        set->as = as;
        set->aar_payload = aar->value + aar->payload_off;
        set->aar_payload_len = aar->value_len - aar->payload_off;
        v->vs[k].keyq[INK_ARC_AMS] = keyq_for(v, ams->s, ams->d);
        v->vs[k].keyq[INK_ARC_AS] = keyq_for(v, as->s, as->d);
        v->bh[ams->bcanon].used = 1;
    }
    for (k = 0; k < 2; k++) {
        struct bodyhash *b = &v->bh[k];
        if (!b->used)
            continue;
        b->ctx = EVP_MD_CTX_new();
        b->bc = ink_dkim_bodycanon_new((enum ink_dkim_canon)k,
                                       (v->opts.flags & INK_ARC_VERIFY_LF_TO_CRLF)
                                           ? INK_DKIM_BODY_LF_TO_CRLF
                                           : 0,
                                       body_sink, b);
        if (b->ctx == NULL || b->bc == NULL ||
            EVP_DigestInit_ex(b->ctx, ink_dkim_sha256(), NULL) != 1)
            return verify_fail(v, "out of memory");
    }
    return 0;
}

/* body_push - body bytes to every body hash in use */
static void body_push(struct ink_arc_verify *v, const uint8_t *buf, size_t len)
{
    size_t k;

    for (k = 0; k < 2; k++)
        if (v->bh[k].bc != NULL)
            ink_dkim_bodycanon_push(v->bh[k].bc, buf, len);
}

/* ink_arc_verify_push - the next bytes of the message */
int ink_arc_verify_push(struct ink_arc_verify *v, const uint8_t *buf, size_t len)
{
    if (v->failed)
        return -1;
    if (v->ended)
        return 0;
    if (!v->header_done) {
        size_t used = 0;
        enum ink_mailhdr_state st = ink_mailhdr_push(v->hdr, buf, len, &used);
        if (st == INK_MAILHDR_ERROR)
            return verify_fail(v, ink_mailhdr_why(v->hdr));
        if (st == INK_MAILHDR_MORE)
            return 0;
        if (header_complete(v) < 0)
            return -1;
        buf += used;
        len -= used;
    }
    body_push(v, buf, len);
    return 0;
}

/* ink_arc_verify_end - the message ended */
int ink_arc_verify_end(struct ink_arc_verify *v)
{
    size_t k;

    if (v->failed)
        return -1;
    if (v->ended)
        return 0;
    if (!v->header_done) {
        if (ink_mailhdr_end(v->hdr) == INK_MAILHDR_ERROR)
            return verify_fail(v, ink_mailhdr_why(v->hdr));
        if (header_complete(v) < 0)
            return -1;
    }
    for (k = 0; k < 2; k++) {
        unsigned dl = 0;
        if (v->bh[k].bc == NULL)
            continue;
        ink_dkim_bodycanon_end(v->bh[k].bc);
        if (EVP_DigestFinal_ex(v->bh[k].ctx, v->bh[k].digest, &dl) != 1)
            return verify_fail(v, "SHA-256 failed");
    }
    v->ended = 1;
    return 0;
}

/* ink_arc_verify_error - why push/end failed */
const char *ink_arc_verify_error(const struct ink_arc_verify *v)
{
    return v->err;
}

/* set_why - format a reason into buf (size sz), cut short when long */
static void set_why(char *buf, size_t sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_why(char *buf, size_t sz, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sz, fmt, ap);
    va_end(ap);
}

/* key_check - apply key answer q to a signature: the key that verifies
 * digest/sig, or a result saying why none does */
static enum ink_arc_sig_result key_check(const struct keyq *q, enum ink_dkim_alg alg,
                                         const uint8_t *digest, const uint8_t *sig,
                                         size_t siglen, char *why, size_t whysz)
{
    enum ink_dkim_keytype want =
        alg == INK_DKIM_ALG_ED25519_SHA256 ? INK_DKIM_KEY_ED25519 : INK_DKIM_KEY_RSA;
    int tried = 0;
    size_t i;

    if (q->status == INK_DNS_SERVFAIL || q->status == INK_DNS_TIMEOUT) {
        set_why(why, whysz, "key lookup %s TXT failed: %s%s%s", q->name,
                 ink_dns_status_name(q->status), q->why[0] ? ": " : "", q->why);
        return INK_ARC_SIG_TEMPERROR;
    }
    if (q->dnssec == INK_DNSSEC_BOGUS) {
        set_why(why, whysz, "the key answer for %s failed DNSSEC validation", q->name);
        return INK_ARC_SIG_TEMPERROR;
    }
    if (q->nkeys == 0) {
        set_why(why, whysz, "no key record at %s (%s)", q->name,
                 q->status == INK_DNS_OK ? "no TXT record there" : ink_dns_status_name(q->status));
        return INK_ARC_SIG_PERMERROR;
    }
    set_why(why, whysz, "no usable key at %s", q->name);
    for (i = 0; i < q->nkeys; i++) {
        struct ink_dkim_key *k = q->keys[i];
        if (k->status != INK_DKIM_KEY_OK) {
            set_why(why, whysz, "key record at %s %s: %s", q->name,
                     ink_dkim_key_status_name(k->status), k->reason);
            continue;
        }
        if (k->type != want) {
            set_why(why, whysz, "the key at %s is %s but a=%s", q->name,
                     ink_dkim_keytype_name(k->type), ink_dkim_alg_name(alg));
            continue;
        }
        if (!(k->hashes & INK_DKIM_HASH_SHA256)) {
            set_why(why, whysz, "the key at %s does not allow sha256 (h=)", q->name);
            continue;
        }
        if (k->type == INK_DKIM_KEY_RSA && k->bits < INK_DKIM_RSA_BITS_MIN) {
            set_why(why, whysz, "RSA key of %u bits at %s is below %d bits (RFC 8301)", k->bits,
                     q->name, INK_DKIM_RSA_BITS_MIN);
            continue;
        }
        tried = 1;
        if (ink_dkim_key_verify_digest(k, digest, sig, siglen)) {
            why[0] = '\0';
            return INK_ARC_SIG_PASS;
        }
    }
    if (!tried)
        return INK_ARC_SIG_PERMERROR;
    set_why(why, whysz, "the signature does not verify with the key at %s", q->name);
    return INK_ARC_SIG_FAIL;
}

/* raw_of - the raw header field behind ARC field index fi */
static const struct ink_mailhdr_field *raw_of(const struct ink_arc_verify *v, size_t fi)
{
    return ink_mailhdr_field(v->hdr, v->fields[fi].index);
}

/* check_ams - the AMS of set k (0-based) */
static void check_ams(struct ink_arc_verify *v, unsigned k)
{
    struct ink_arc_set *set = &v->sets[k];
    const struct ink_arc_field *ams = set->ams;
    const struct ink_mailhdr_field *fl = raw_of(v, v->vs[k].idx[INK_ARC_AMS]);
    uint8_t digest[INK_DKIM_DIGEST_LEN];
    struct ink_str blank = INK_STR_INIT;
    int qi = v->vs[k].keyq[INK_ARC_AMS];

    if (qi < 0) {
        set->ams_result = INK_ARC_SIG_PERMERROR;
        set_why(set->ams_reason, sizeof(set->ams_reason),
                 "s=%s and d=%s do not form a key name", ams->s, ams->d);
        return;
    }
    if (memcmp(v->bh[ams->bcanon].digest, ams->bh, INK_DKIM_DIGEST_LEN) != 0) {
        set->ams_result = INK_ARC_SIG_FAIL;
        set_why(set->ams_reason, sizeof(set->ams_reason),
                 "the body hash does not match bh= (the body was changed)");
        return;
    }
    if (arc_blank_b(fl, ams->b_val_start, ams->b_val_end, &blank) < 0 ||
        arc_ams_digest(v->hdr, ams, (const uint8_t *)blank.buf, blank.len, digest) < 0) {
        ink_str_free(&blank);
        set->ams_result = INK_ARC_SIG_PERMERROR;
        set_why(set->ams_reason, sizeof(set->ams_reason), "out of memory");
        return;
    }
    ink_str_free(&blank);
    set->ams_result = key_check(&v->qs[qi], ams->alg, digest, ams->b, ams->blen, set->ams_reason,
                                sizeof(set->ams_reason));
}

/* check_as - the AS of set k (0-based), over sets 1..k+1 */
static void check_as(struct ink_arc_verify *v, unsigned k)
{
    struct ink_arc_set *set = &v->sets[k];
    const struct ink_arc_field *as = set->as;
    struct arc_raw raws[3 * INK_ARC_INSTANCE_MAX];
    uint8_t digest[INK_DKIM_DIGEST_LEN];
    struct ink_str blank = INK_STR_INIT;
    int qi = v->vs[k].keyq[INK_ARC_AS];
    unsigned j;
    int kind;

    if (qi < 0) {
        set->as_result = INK_ARC_SIG_PERMERROR;
        set_why(set->as_reason, sizeof(set->as_reason), "s=%s and d=%s do not form a key name",
                 as->s, as->d);
        return;
    }
    for (j = 0; j <= k; j++)
        for (kind = INK_ARC_AAR; kind <= INK_ARC_AS; kind++) {
            const struct ink_mailhdr_field *fl = raw_of(v, v->vs[j].idx[kind]);
            raws[3 * j + (unsigned)kind].p = fl->raw;
            raws[3 * j + (unsigned)kind].len = fl->len;
        }
    if (arc_blank_b(raw_of(v, v->vs[k].idx[INK_ARC_AS]), as->b_val_start, as->b_val_end,
                    &blank) < 0 ||
        arc_seal_digest(raws, k + 1, (const uint8_t *)blank.buf, blank.len, digest) < 0) {
        ink_str_free(&blank);
        set->as_result = INK_ARC_SIG_PERMERROR;
        set_why(set->as_reason, sizeof(set->as_reason), "out of memory");
        return;
    }
    ink_str_free(&blank);
    set->as_result = key_check(&v->qs[qi], as->alg, digest, as->b, as->blen, set->as_reason,
                               sizeof(set->as_reason));
}

/* evaluate - every answer is in and the message ended: RFC 8617 5.2 steps 4-6 */
static void evaluate(struct ink_arc_verify *v)
{
    unsigned n = v->res.count, k;

    v->evaluated = 1;
    if (n == 0 || v->structure_failed || v->sets == NULL)
        return;
    for (k = 0; k < n; k++) {
        check_ams(v, k);
        check_as(v, k);
    }
    /* step 4: the newest AMS must validate */
    if (v->sets[n - 1].ams_result != INK_ARC_SIG_PASS) {
        v->res.temporary = v->sets[n - 1].ams_result == INK_ARC_SIG_TEMPERROR;
        chain_fail(v, field_off(v, v->vs[n - 1].idx[INK_ARC_AMS], 0),
                   "ARC-Message-Signature i=%u: %s: %s", n,
                   ink_arc_sig_result_name(v->sets[n - 1].ams_result), v->sets[n - 1].ams_reason);
    }
    /* step 6: every seal must validate, newest first */
    for (k = n; k-- > 0 && v->res.cv != INK_ARC_CV_FAIL;)
        if (v->sets[k].as_result != INK_ARC_SIG_PASS) {
            v->res.temporary = v->sets[k].as_result == INK_ARC_SIG_TEMPERROR;
            chain_fail(v, field_off(v, v->vs[k].idx[INK_ARC_AS], 0), "ARC-Seal i=%u: %s: %s",
                       k + 1, ink_arc_sig_result_name(v->sets[k].as_result),
                       v->sets[k].as_reason);
        }
    if (v->res.cv == INK_ARC_CV_FAIL)
        return;
    v->res.cv = INK_ARC_CV_PASS;
    /* step 5: oldest-pass, the lowest i from which every AMS validates */
    v->res.oldest_pass = 0;
    for (k = n - 1; k-- > 0;)
        if (v->sets[k].ams_result != INK_ARC_SIG_PASS) {
            v->res.oldest_pass = k + 2;
            break;
        }
}

/* outstanding - queries handed out and not answered */
static size_t outstanding(const struct ink_arc_verify *v)
{
    size_t i, n = 0;

    for (i = 0; i < v->nq; i++)
        if (!v->qs[i].answered)
            n++;
    return n;
}

/* ink_arc_verify_next - the next key query, or the state */
enum ink_next ink_arc_verify_next(struct ink_arc_verify *v, struct ink_query *q)
{
    size_t i;

    if (v->failed)
        return INK_NEXT_FAILED;
    if (v->evaluated)
        return INK_NEXT_DONE;
    if (!v->header_done)
        return INK_NEXT_WAIT;
    for (i = 0; i < v->nq; i++)
        if (!v->qs[i].handed_out) {
            v->qs[i].handed_out = 1;
            q->name = v->qs[i].name;
            q->type = INK_DNS_TXT;
            q->token = (uint32_t)i + 1;
            return INK_NEXT_READY;
        }
    if (v->ended && outstanding(v) == 0) {
        evaluate(v);
        return INK_NEXT_DONE;
    }
    return INK_NEXT_WAIT;
}

/* take_keys - the key records of a fitting NOERROR answer */
static void take_keys(struct keyq *q, const struct ink_dns_answer *a)
{
    size_t i;

    for (i = 0; i < a->nrr && q->nkeys < ARC_KEYS_PER_NAME_MAX; i++) {
        size_t tlen = 0;
        uint8_t *txt;
        struct ink_dkim_key *k;
        if (a->rr[i].type != INK_DNS_TXT)
            continue;
        txt = ink_dns_rr_txt_join(&a->rr[i], &tlen);
        if (txt == NULL)
            continue;
        k = ink_dkim_key_parse(txt, tlen);
        free(txt);
        if (k != NULL)
            q->keys[q->nkeys++] = k;
    }
}

/* ink_arc_verify_feed - the answer to key query token */
int ink_arc_verify_feed(struct ink_arc_verify *v, uint32_t token, const struct ink_dns_answer *a)
{
    struct keyq *q;

    if (token == 0 || token > v->nq)
        return -1;
    q = &v->qs[token - 1];
    if (!q->handed_out || q->answered)
        return -1;
    q->answered = 1;
    if (ink_dkim_key_answer(a, q->name, &q->status, &q->dnssec, q->why, sizeof(q->why)))
        take_keys(q, a);
    return 0;
}

/* machine_next / machine_feed - the verifier behind struct ink_machine */
static enum ink_next machine_next(void *self, struct ink_query *q)
{
    return ink_arc_verify_next(self, q);
}

static int machine_feed(void *self, uint32_t token, const struct ink_dns_answer *answer)
{
    return ink_arc_verify_feed(self, token, answer);
}

static const struct ink_machine_ops arc_machine_ops = {"arc", machine_next, machine_feed};

/* ink_arc_verify_machine - v for a driver */
struct ink_machine ink_arc_verify_machine(struct ink_arc_verify *v)
{
    struct ink_machine m = {&arc_machine_ops, v};

    return m;
}

/* ink_arc_verify_result - the outcome once DONE */
const struct ink_arc_result *ink_arc_verify_result(const struct ink_arc_verify *v)
{
    return v->evaluated ? &v->res : NULL;
}
