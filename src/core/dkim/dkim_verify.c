/*
 * dkim_verify.c - DKIM verification (RFC 6376 section 6, RFC 8301,
 * RFC 8463) as a sans-I/O state machine: push the message, hand out key
 * queries, take answers, report one result per signature.
 *
 * Flow: the header is collected by ink_mailhdr; at its end every
 * DKIM-Signature is parsed, its header hash computed (the header is all
 * there), and one body hasher set up per distinct (body canonicalization,
 * l=) pair, fed by one streaming canonicalizer per canonicalization.
 * Key answers may arrive before the body is over: the header signature
 * is checked as soon as the key is in; the body hash at the end.
 *
 * Key lookups follow inkan/query.h: each key name is one query whose
 * token is its index in qs plus one (0 is never a token), so a token is
 * checked in constant time and a stale or made-up one is refused.
 */
#include "inkan/dkim.h"

#include <stddef.h>
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
#include "inkan/query.h"

/* SHA-256 digest size. */
#define DIGEST_LEN 32
/* Distinct body hashers one message may need (2 canons x l= variants). */
#define BODYHASH_MAX INK_DKIM_SIGNATURES_MAX
/* Parsed key records kept per key name (a TXT RRset may hold several). */
#define KEYS_PER_NAME_MAX 8
/* Spare SHA-256 contexts a key cache keeps for the next verifiers: one
 * message with a header and a body hash per signature fits. */
#define MD_SPARE_MAX (2 * INK_DKIM_SIGNATURES_MAX)

/* One body hash shared by the signatures with the same (canon, l=). */
struct bodyhash {
    enum ink_dkim_canon canon;
    int has_l;
    uint64_t l;
    EVP_MD_CTX *ctx;
    uint64_t hashed; /* canonical bytes hashed (at most l) */
    uint64_t total;  /* canonical bytes seen */
    uint8_t digest[DIGEST_LEN];
    int done;
    int has_alt;                 /* alt_digest: the body with the WSP ending an
                                  * unterminated last line kept as one SP */
    uint8_t alt_digest[DIGEST_LEN];
};

/* One canonicalizer stream and the hashers it feeds. */
struct canon_stream {
    struct ink_dkim_bodycanon *bc;
    struct bodyhash *bh[BODYHASH_MAX];
    size_t nbh;
};

/* One key name to look up, shared by the signatures that use it. */
struct keyq {
    char name[INK_DNS_NAME_MAX + 1];
    int handed_out, answered;
    enum ink_dns_status status;
    enum ink_dnssec dnssec;
    char why[INK_DKIM_REASON_MAX]; /* when no usable key came back */
    struct ink_dkim_key *keys[KEYS_PER_NAME_MAX];
    int owned[KEYS_PER_NAME_MAX]; /* 1 when not borrowed from the cache */
    size_t nkeys;
};

/* One signature being verified. */
struct vsig {
    struct ink_dkim_result res;
    struct ink_dkim_sig *sig;
    int settled;                 /* res.code is final without key or body */
    int bh_index;                /* -1 when the body is not hashed for it */
    int key_index;               /* -1 when no key is looked up */
    uint8_t hdr_digest[DIGEST_LEN];
    int key_checked;             /* the key answer has been applied */
    char key_problem[INK_DKIM_REASON_MAX]; /* permerror/temperror/policy from the key */
    enum ink_dkim_result_code key_code;
    int has_key_problem;
};

struct ink_dkim_verify {
    struct ink_dkim_verify_opts opts;
    EVP_MD_CTX *hctx;               /* header hashing, shared by the signatures */
    struct ink_mailhdr *hdr;
    int header_done, ended, failed;
    char err[160];
    struct vsig *sigs;              /* one per signature evaluated (allocated
                                     * when the header is complete) */
    size_t nsigs;
    size_t nskipped; /* DKIM-Signature fields past the limit, not evaluated */
    size_t nbh;
    struct canon_stream streams[2]; /* simple, relaxed */
    struct keyq *qs;                /* as many as sigs, at most */
    size_t nq;
    /* not zeroed at creation (set up as each is taken into use) */
    struct bodyhash bhs[BODYHASH_MAX];
};

/* ---- key cache ---- */

struct cache_entry {
    uint8_t *text;
    size_t len;
    struct ink_dkim_key *key;
    size_t refs; /* verifiers holding the key: it is not evicted while > 0 */
};

struct ink_dkim_keycache {
    struct cache_entry e[INK_DKIM_KEYCACHE_MAX];
    size_t n;
    EVP_MD_CTX *spare[MD_SPARE_MAX]; /* given back by finished verifiers */
    size_t nspare;
    /* the caller's lock around every use (ink_dkim_keycache_set_lock) */
    void (*lock)(void *);
    void (*unlock)(void *);
    void *lock_arg;
};

/* cache_lock / cache_unlock - the caller's lock, when it gave one */
static void cache_lock(struct ink_dkim_keycache *c)
{
    if (c != NULL && c->lock != NULL)
        c->lock(c->lock_arg);
}

static void cache_unlock(struct ink_dkim_keycache *c)
{
    if (c != NULL && c->unlock != NULL)
        c->unlock(c->lock_arg);
}

/* ink_dkim_keycache_set_lock - run every use of c between lock(arg) and
 * unlock(arg) (a milter's threads share one cache) */
void ink_dkim_keycache_set_lock(struct ink_dkim_keycache *c, void (*lock)(void *),
                                void (*unlock)(void *), void *arg)
{
    c->lock = lock;
    c->unlock = unlock;
    c->lock_arg = arg;
}

/* ink_dkim_keycache_count - entries held (tests) */
size_t ink_dkim_keycache_count(struct ink_dkim_keycache *c)
{
    size_t n;

    cache_lock(c);
    n = c->n;
    cache_unlock(c);
    return n;
}

/* ink_dkim_keycache_new - empty cache */
struct ink_dkim_keycache *ink_dkim_keycache_new(void)
{
    return calloc(1, sizeof(struct ink_dkim_keycache));
}

/* cache_evict - drop every entry no verifier holds; the held ones stay
 * (moved to the front) */
static void cache_evict(struct ink_dkim_keycache *c)
{
    size_t i, n = 0;

    for (i = 0; i < c->n; i++) {
        if (c->e[i].refs > 0) {
            c->e[n++] = c->e[i];
            continue;
        }
        free(c->e[i].text);
        ink_dkim_key_free(c->e[i].key);
    }
    c->n = n;
}

/* cache_clear - drop every entry (the cache is being freed: no verifier
 * may hold one) */
static void cache_clear(struct ink_dkim_keycache *c)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        free(c->e[i].text);
        ink_dkim_key_free(c->e[i].key);
    }
    c->n = 0;
}

/* ink_dkim_keycache_free - release */
void ink_dkim_keycache_free(struct ink_dkim_keycache *c)
{
    if (c == NULL)
        return;
    cache_clear(c);
    while (c->nspare > 0)
        EVP_MD_CTX_free(c->spare[--c->nspare]);
    free(c);
}

/* md_take - a SHA-256 context initialised for a new digest: a spare one
 * from the cache (OpenSSL then keeps its provider state: no allocation),
 * else a new one.  The verifier owns it; NULL on failure. */
static EVP_MD_CTX *md_take(struct ink_dkim_keycache *c)
{
    EVP_MD_CTX *ctx = NULL;

    cache_lock(c);
    if (c != NULL && c->nspare > 0)
        ctx = c->spare[--c->nspare];
    cache_unlock(c);
    if (ctx == NULL)
        ctx = EVP_MD_CTX_new();
    if (ctx != NULL && EVP_DigestInit_ex(ctx, dkim_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* md_give - ctx is no longer needed: to the cache's spares, or freed
 * (what it hashed is message text, which verification does not keep
 * secret; the next DigestInit_ex starts it over) */
static void md_give(struct ink_dkim_keycache *c, EVP_MD_CTX *ctx)
{
    if (ctx == NULL)
        return;
    cache_lock(c);
    if (c != NULL && c->nspare < MD_SPARE_MAX) {
        c->spare[c->nspare++] = ctx;
        ctx = NULL;
    }
    cache_unlock(c);
    EVP_MD_CTX_free(ctx);
}

/* key_get - the parsed key for record text: from the cache when there is
 * one (borrowed, *owned = 0: give it back with key_put), else freshly
 * parsed (*owned = 1).  A full cache drops the entries no verifier holds
 * (a held key is never freed under its verifier); when every one is
 * held, the key is parsed for this verifier alone. */
static struct ink_dkim_key *key_get(struct ink_dkim_keycache *c, const uint8_t *text, size_t len,
                                    int *owned)
{
    struct ink_dkim_key *k;
    uint8_t *copy;
    size_t i;

    *owned = 1;
    if (c == NULL)
        return ink_dkim_key_parse(text, len);
    cache_lock(c);
    for (i = 0; i < c->n; i++)
        if (c->e[i].len == len && memcmp(c->e[i].text, text, len) == 0) {
            c->e[i].refs++;
            k = c->e[i].key;
            cache_unlock(c);
            *owned = 0;
            return k;
        }
    cache_unlock(c);
    /* parsed outside the lock: the other threads need not wait for it */
    k = ink_dkim_key_parse(text, len);
    if (k == NULL)
        return NULL;
    copy = malloc(len ? len : 1);
    if (copy == NULL)
        return k;
    memcpy(copy, text, len);
    cache_lock(c);
    if (c->n == INK_DKIM_KEYCACHE_MAX)
        cache_evict(c); /* simple and bounded; keys are cheap to parse again */
    if (c->n == INK_DKIM_KEYCACHE_MAX) {
        cache_unlock(c);
        free(copy);
        return k;
    }
    c->e[c->n].text = copy;
    c->e[c->n].len = len;
    c->e[c->n].key = k;
    c->e[c->n].refs = 1;
    c->n++;
    cache_unlock(c);
    *owned = 0;
    return k;
}

/* key_put - a verifier is done with a key key_get lent it */
static void key_put(struct ink_dkim_keycache *c, const struct ink_dkim_key *k)
{
    size_t i;

    cache_lock(c);
    for (i = 0; i < c->n; i++)
        if (c->e[i].key == k) {
            if (c->e[i].refs > 0)
                c->e[i].refs--;
            break;
        }
    cache_unlock(c);
}

/* ---- results ---- */

/* ink_dkim_result_name - result as a word */
const char *ink_dkim_result_name(enum ink_dkim_result_code r)
{
    switch (r) {
    case INK_DKIM_PASS:
        return "pass";
    case INK_DKIM_FAIL:
        return "fail";
    case INK_DKIM_NEUTRAL:
        return "neutral";
    case INK_DKIM_POLICY:
        return "policy";
    case INK_DKIM_TEMPERROR:
        return "temperror";
    case INK_DKIM_PERMERROR:
        return "permerror";
    }
    return "unknown";
}

/* settle - give a signature its final result now */
static void settle(struct vsig *s, enum ink_dkim_result_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void settle(struct vsig *s, enum ink_dkim_result_code code, const char *fmt, ...)
{
    va_list ap;

    if (s->settled)
        return;
    s->settled = 1;
    s->res.code = code;
    va_start(ap, fmt);
    vsnprintf(s->res.reason, sizeof(s->res.reason), fmt, ap);
    va_end(ap);
}

/* settle_text - settle with a fixed reason (no formatting on the hot path) */
static void settle_text(struct vsig *s, enum ink_dkim_result_code code, const char *text)
{
    size_t n = strlen(text);

    if (s->settled)
        return;
    s->settled = 1;
    s->res.code = code;
    if (n >= sizeof(s->res.reason))
        n = sizeof(s->res.reason) - 1;
    memcpy(s->res.reason, text, n);
    s->res.reason[n] = '\0';
}

/* ---- body hashing ---- */

/* body_sink - canonical body bytes for the hashers of one stream */
static void body_sink(void *arg, const uint8_t *p, size_t n)
{
    struct canon_stream *cs = arg;
    size_t i;

    for (i = 0; i < cs->nbh; i++) {
        struct bodyhash *bh = cs->bh[i];
        size_t take = n;
        bh->total += n;
        if (bh->has_l) {
            uint64_t room = bh->l > bh->hashed ? bh->l - bh->hashed : 0;
            if (room < take)
                take = (size_t)room;
        }
        if (take > 0) {
            EVP_DigestUpdate(bh->ctx, p, take);
            bh->hashed += take;
        }
    }
}

/* bodyhash_for - the hasher for (canon, l=), made on first use; -1 on ENOMEM */
static int bodyhash_for(struct ink_dkim_verify *v, const struct ink_dkim_sig *sig)
{
    struct canon_stream *cs = &v->streams[sig->bcanon == INK_DKIM_CANON_RELAXED];
    struct bodyhash *bh;
    size_t i;

    for (i = 0; i < v->nbh; i++)
        if (v->bhs[i].canon == sig->bcanon && v->bhs[i].has_l == sig->has_l &&
            (!sig->has_l || v->bhs[i].l == sig->l))
            return (int)i;
    if (v->nbh >= BODYHASH_MAX)
        return -1;
    if (cs->bc == NULL) {
        unsigned fl = (v->opts.flags & INK_DKIM_VERIFY_LF_TO_CRLF) ? INK_DKIM_BODY_LF_TO_CRLF : 0;
        cs->bc = ink_dkim_bodycanon_new(sig->bcanon, fl, body_sink, cs);
        if (cs->bc == NULL)
            return -1;
    }
    bh = &v->bhs[v->nbh];
    memset(bh, 0, sizeof(*bh));
    bh->canon = sig->bcanon;
    bh->has_l = sig->has_l;
    bh->l = sig->l;
    bh->ctx = md_take(v->opts.cache);
    if (bh->ctx == NULL)
        return -1;
    cs->bh[cs->nbh++] = bh;
    return (int)v->nbh++;
}

/* ---- header hashing ---- */

/* header_hash - compute the header hash of signature s (field index fi) */
static int header_hash(struct ink_dkim_verify *v, struct vsig *s, size_t fi)
{
    const struct ink_dkim_sig *sig = s->sig;
    size_t nf = ink_mailhdr_count(v->hdr), i, k;
    unsigned char *used = calloc(nf ? nf : 1, 1);
    struct ink_str canon = INK_STR_INIT, blank = INK_STR_INIT;
    const struct ink_mailhdr_field *f;
    EVP_MD_CTX *ctx;
    unsigned dlen = 0;
    int rc = -1;

    /* one context for every signature's header hash, kept until free */
    if (v->hctx == NULL)
        v->hctx = md_take(v->opts.cache);
    else if (EVP_DigestInit_ex(v->hctx, dkim_sha256(), NULL) != 1)
        goto done;
    ctx = v->hctx;
    if (used == NULL || ctx == NULL)
        goto done;
    for (i = 0; i < sig->nh; i++) {
        size_t nl = strlen(sig->h[i]);
        /* the last not yet used instance, searching from the bottom */
        for (k = nf; k-- > 0;) {
            if (used[k])
                continue;
            f = ink_mailhdr_field(v->hdr, k);
            if (!f->malformed && ink_mailhdr_name_is(f, sig->h[i], nl))
                break;
        }
        if (k == (size_t)-1)
            continue; /* not present: signs its absence (over-signing) */
        used[k] = 1;
        f = ink_mailhdr_field(v->hdr, k);
        ink_str_truncate(&canon, 0);
        if (ink_dkim_canon_header(sig->hcanon, f->raw, f->len, &canon) < 0)
            goto done;
        EVP_DigestUpdate(ctx, canon.buf, canon.len);
    }
    /* the signature field itself, b= blanked, without its final CRLF */
    f = ink_mailhdr_field(v->hdr, fi);
    if (ink_str_append(&blank, f->raw, f->value_off + sig->b_val_start) < 0 ||
        ink_str_append(&blank, f->raw + f->value_off + sig->b_val_end,
                       f->len - f->value_off - sig->b_val_end) < 0)
        goto done;
    ink_str_truncate(&canon, 0);
    if (ink_dkim_canon_header(sig->hcanon, (uint8_t *)blank.buf, blank.len, &canon) < 0)
        goto done;
    if (canon.len >= 2 && canon.buf[canon.len - 2] == '\r' && canon.buf[canon.len - 1] == '\n')
        canon.len -= 2;
    else if (canon.len >= 1 && canon.buf[canon.len - 1] == '\n')
        canon.len -= 1;
    EVP_DigestUpdate(ctx, canon.buf, canon.len);
    if (EVP_DigestFinal_ex(ctx, s->hdr_digest, &dlen) == 1 && dlen == DIGEST_LEN)
        rc = 0;
done:
    free(used);
    ink_str_free(&canon);
    ink_str_free(&blank);
    return rc;
}

/* ---- setting up at the end of the header ---- */

/* query_for - the key query index for the signature's key name */
static int query_for(struct ink_dkim_verify *v, struct vsig *s)
{
    size_t i;
    char name[INK_DNS_NAME_MAX + 1];

    if (ink_dkim_key_name(s->sig->s, s->sig->d, name, sizeof(name)) < 0) {
        settle(s, INK_DKIM_PERMERROR, "%s._domainkey.%s is not a valid DNS name", s->sig->s,
               s->sig->d);
        return -1;
    }
    memcpy(s->res.key_name, name, strlen(name) + 1); /* both INK_DNS_NAME_MAX + 1 */
    for (i = 0; i < v->nq; i++)
        if (strcmp(v->qs[i].name, name) == 0)
            return (int)i;
    if (v->nq >= INK_DKIM_SIGNATURES_MAX)
        return -1;
    memset(&v->qs[v->nq], 0, sizeof(v->qs[v->nq]));
    memcpy(v->qs[v->nq].name, name, strlen(name) + 1);
    return (int)v->nq++;
}

/* header_complete - parse the signatures and set up hashing and queries */
static int header_complete(struct ink_dkim_verify *v)
{
    size_t nf = ink_mailhdr_count(v->hdr), i;
    size_t maxsig = v->opts.max_signatures ? v->opts.max_signatures : INK_DKIM_SIGNATURES_MAX;
    char shown[96];

    if (maxsig > INK_DKIM_SIGNATURES_MAX)
        maxsig = INK_DKIM_SIGNATURES_MAX;
    v->header_done = 1;
    {
        /* size the per-signature state to the signatures present */
        size_t want = 0;
        for (i = 0; i < nf && want < maxsig; i++) {
            const struct ink_mailhdr_field *f = ink_mailhdr_field(v->hdr, i);
            if (!f->malformed && ink_mailhdr_name_is(f, "DKIM-Signature", 14))
                want++;
        }
        if (want == 0)
            return 0;
        v->sigs = calloc(want, sizeof(*v->sigs));
        v->qs = calloc(want, sizeof(*v->qs));
        if (v->sigs == NULL || v->qs == NULL)
            return -1;
    }
    for (i = 0; i < nf; i++) {
        const struct ink_mailhdr_field *f = ink_mailhdr_field(v->hdr, i);
        struct vsig *s;

        if (f->malformed || !ink_mailhdr_name_is(f, "DKIM-Signature", 14))
            continue;
        if (v->nsigs >= maxsig) {
            v->nskipped++; /* a stated limit: not evaluated, but counted */
            continue;
        }
        s = &v->sigs[v->nsigs++];
        memset(s, 0, sizeof(*s));
        s->bh_index = s->key_index = -1;
        s->res.body_hash_ok = s->res.header_sig_ok = -1;
        s->res.field_index = i;
        s->res.field_off = f->msg_off;
        s->res.d = s->res.s = s->res.alg = "";
        s->sig = ink_dkim_sig_parse(f->raw + f->value_off, f->len - f->value_off);
        if (s->sig == NULL)
            return -1;
        s->res.sig = s->sig;
        if (s->sig->d)
            s->res.d = s->sig->d;
        if (s->sig->s)
            s->res.s = s->sig->s;
        s->res.alg = s->sig->alg_name;
        if (!s->sig->ok) {
            settle(s, INK_DKIM_PERMERROR, "%s (at byte %zu of the field value)", s->sig->why,
                   s->sig->why_off);
            continue;
        }
        if (s->sig->alg == INK_DKIM_ALG_RSA_SHA1) {
            settle(s, INK_DKIM_POLICY, "rsa-sha1 signatures are not accepted (RFC 8301)");
            continue;
        }
        if (v->opts.now) {
            if (s->sig->has_x && s->sig->x < v->opts.now) {
                settle(s, INK_DKIM_PERMERROR, "signature expired at x=%llu",
                       (unsigned long long)s->sig->x);
                continue;
            }
            if (s->sig->has_t && s->sig->t > v->opts.now + INK_DKIM_CLOCK_SKEW) {
                settle(s, INK_DKIM_PERMERROR, "signature timestamp t=%llu is in the future",
                       (unsigned long long)s->sig->t);
                continue;
            }
        }
        if (header_hash(v, s, i) < 0)
            return -1;
        s->bh_index = bodyhash_for(v, s->sig);
        if (s->bh_index < 0)
            return -1;
        s->key_index = query_for(v, s);
        (void)shown;
    }
    return 0;
}

/* ---- API ---- */

/* ink_dkim_verify_new - a verifier for one message */
struct ink_dkim_verify *ink_dkim_verify_new(const struct ink_dkim_verify_opts *opts)
{
    /* the body hashers (most of the size) are set up as taken into use */
    struct ink_dkim_verify *v = malloc(sizeof(*v));

    if (v == NULL)
        return NULL;
    memset(v, 0, offsetof(struct ink_dkim_verify, bhs));
    if (opts != NULL)
        v->opts = *opts;
    v->hdr = ink_mailhdr_new((v->opts.flags & INK_DKIM_VERIFY_LF_TO_CRLF) ? INK_MAILHDR_LF_TO_CRLF
                                                                         : 0);
    if (v->hdr == NULL || dkim_sha256() == NULL) {
        ink_dkim_verify_free(v);
        return NULL;
    }
    return v;
}

/* ink_dkim_verify_free - release */
void ink_dkim_verify_free(struct ink_dkim_verify *v)
{
    size_t i, k;

    if (v == NULL)
        return;
    for (i = 0; i < v->nsigs; i++)
        ink_dkim_sig_free(v->sigs[i].sig);
    for (i = 0; i < v->nbh; i++)
        md_give(v->opts.cache, v->bhs[i].ctx);
    md_give(v->opts.cache, v->hctx);
    for (i = 0; i < 2; i++)
        ink_dkim_bodycanon_free(v->streams[i].bc);
    for (i = 0; i < v->nq; i++)
        for (k = 0; k < v->qs[i].nkeys; k++) {
            if (v->qs[i].owned[k])
                ink_dkim_key_free(v->qs[i].keys[k]);
            else
                key_put(v->opts.cache, v->qs[i].keys[k]);
        }
    ink_mailhdr_free(v->hdr);
    free(v->sigs);
    free(v->qs);
    free(v);
}

/* verify_fail - stop with an operational error */
static int verify_fail(struct ink_dkim_verify *v, const char *why)
{
    v->failed = 1;
    snprintf(v->err, sizeof(v->err), "%s", why);
    return -1;
}

/* body_push - body bytes to the canonicalizers in use */
static void body_push(struct ink_dkim_verify *v, const uint8_t *buf, size_t len)
{
    size_t i;

    for (i = 0; i < 2; i++)
        if (v->streams[i].bc != NULL)
            ink_dkim_bodycanon_push(v->streams[i].bc, buf, len);
}

/* ink_dkim_verify_push - message bytes */
int ink_dkim_verify_push(struct ink_dkim_verify *v, const uint8_t *buf, size_t len)
{
    size_t used = 0;

    if (v->failed)
        return -1;
    if (v->ended)
        return 0;
    if (!v->header_done) {
        enum ink_mailhdr_state st = ink_mailhdr_push(v->hdr, buf, len, &used);
        if (st == INK_MAILHDR_ERROR)
            return verify_fail(v, ink_mailhdr_why(v->hdr));
        if (st == INK_MAILHDR_MORE)
            return 0;
        if (header_complete(v) < 0)
            return verify_fail(v, "out of memory");
    }
    if (used < len)
        body_push(v, buf + used, len - used);
    return 0;
}

/* unsigned_from_count - From fields of the message that signature sig
 * does not cover: more From fields than h= names "from" (RFC 6376 8.15).
 * A verifier that passes such a message lets an added, unsigned From be
 * the one a reader sees and DMARC aligns with. */
static size_t unsigned_from_count(const struct ink_dkim_verify *v, const struct ink_dkim_sig *sig)
{
    size_t nf = ink_mailhdr_count(v->hdr), present = 0, signed_n = 0, i;

    for (i = 0; i < nf; i++) {
        const struct ink_mailhdr_field *f = ink_mailhdr_field(v->hdr, i);
        if (!f->malformed && ink_mailhdr_name_is(f, "from", 4))
            present++;
    }
    for (i = 0; i < sig->nh; i++)
        if (strlen(sig->h[i]) == 4 && strncasecmp(sig->h[i], "from", 4) == 0)
            signed_n++;
    return present > signed_n ? present - signed_n : 0;
}

/* finish_sig - combine key check and body hash into the final result */
static void finish_sig(struct ink_dkim_verify *v, struct vsig *s)
{
    struct bodyhash *bh;
    size_t extra_from;
    int testing;

    if (s->settled)
        return;
    if (s->key_index >= 0 && !v->qs[s->key_index].answered)
        return; /* still waiting for the key */
    if (!v->ended)
        return; /* still waiting for the body */
    bh = &v->bhs[s->bh_index];
    s->res.body_len = bh->hashed;
    s->res.body_total = bh->total;
    if (s->sig->has_l && bh->total > s->sig->l)
        s->res.l_risk = 1;
    /* 32 bytes are 44 base64 characters: they fit body_hash */
    EVP_EncodeBlock((unsigned char *)s->res.body_hash, bh->digest, DIGEST_LEN);
    s->res.body_hash_ok = s->sig->bhlen == DIGEST_LEN &&
                          CRYPTO_memcmp(s->sig->bh, bh->digest, DIGEST_LEN) == 0;
    if (!s->res.body_hash_ok && bh->has_alt && s->sig->bhlen == DIGEST_LEN &&
        CRYPTO_memcmp(s->sig->bh, bh->alt_digest, DIGEST_LEN) == 0) {
        s->res.body_hash_ok = 1;
        s->res.body_wsp_kept = 1;
    }
    if (s->has_key_problem) {
        settle_text(s, s->key_code, s->key_problem);
        return;
    }
    testing = (s->res.key_flags & INK_DKIM_FLAG_TESTING) != 0;
    if (s->sig->has_l && s->sig->l > bh->total) {
        settle(s, testing ? INK_DKIM_NEUTRAL : INK_DKIM_FAIL,
               "l=%s is longer than the canonicalized body (%llu bytes): the body was cut%s",
               s->sig->l_text, (unsigned long long)bh->total,
               testing ? " (key in testing mode, t=y)" : "");
        return;
    }
    if (!s->res.body_hash_ok && s->res.header_sig_ok != 1) {
        settle(s, testing ? INK_DKIM_NEUTRAL : INK_DKIM_FAIL,
               "body hash did not verify and the signature did not verify%s",
               testing ? " (key in testing mode, t=y)" : "");
    } else if (!s->res.body_hash_ok) {
        settle(s, testing ? INK_DKIM_NEUTRAL : INK_DKIM_FAIL,
               "body hash did not verify: the body was changed (the signed header fields are intact)%s",
               testing ? " (key in testing mode, t=y)" : "");
    } else if (s->res.header_sig_ok != 1) {
        settle(s, testing ? INK_DKIM_NEUTRAL : INK_DKIM_FAIL,
               "signature did not verify: a signed header field was changed, or the key does not match%s",
               testing ? " (key in testing mode, t=y)" : "");
    } else if ((extra_from = unsigned_from_count(v, s->sig)) > 0) {
        settle(s, testing ? INK_DKIM_NEUTRAL : INK_DKIM_FAIL,
               "the message has %zu From field%s more than the signature covers: an unsigned "
               "From was added (RFC 6376 8.15; sign From one more time than it occurs)%s",
               extra_from, extra_from == 1 ? "" : "s",
               testing ? " (key in testing mode, t=y)" : "");
    } else if (s->res.l_risk) {
        settle(s, INK_DKIM_PASS,
               "l=%llu signs only part of the body: %llu canonicalized bytes after it are unsigned",
               (unsigned long long)s->sig->l,
               (unsigned long long)(bh->total - s->sig->l));
    } else if (s->res.body_wsp_kept) {
        settle(s, INK_DKIM_PASS,
               "the body hash counts the whitespace ending the last line, which has no CRLF, "
               "as one SP (as dkimpy does; RFC 6376 3.4.4 drops it)%s",
               testing ? "; key in testing mode (t=y)" : "");
    } else {
        settle_text(s, INK_DKIM_PASS, testing ? "key in testing mode (t=y)" : "");
    }
}

/* finish_all - settle what can be settled */
static void finish_all(struct ink_dkim_verify *v)
{
    size_t i;

    for (i = 0; i < v->nsigs; i++)
        finish_sig(v, &v->sigs[i]);
}

/* ink_dkim_verify_end - the message ended */
int ink_dkim_verify_end(struct ink_dkim_verify *v)
{
    size_t i;

    if (v->failed)
        return -1;
    if (v->ended)
        return 0;
    if (!v->header_done) {
        if (ink_mailhdr_end(v->hdr) == INK_MAILHDR_ERROR)
            return verify_fail(v, ink_mailhdr_why(v->hdr));
        if (header_complete(v) < 0)
            return verify_fail(v, "out of memory");
    }
    for (i = 0; i < 2; i++) {
        struct canon_stream *cs = &v->streams[i];
        size_t k;
        if (cs->bc == NULL)
            continue;
        if (ink_dkim_bodycanon_wsp_at_end(cs->bc)) {
            /* RFC 6376 3.4.4 drops that WSP; dkimpy keeps one SP: hash
             * both readings so either signer's body hash is recognised */
            ink_dkim_bodycanon_flush(cs->bc);
            for (k = 0; k < cs->nbh; k++) {
                struct bodyhash *bh = cs->bh[k];
                EVP_MD_CTX *alt;
                unsigned dl = 0;
                if (bh->has_l)
                    continue;
                alt = EVP_MD_CTX_new();
                if (alt != NULL && EVP_MD_CTX_copy_ex(alt, bh->ctx) == 1 &&
                    EVP_DigestUpdate(alt, " \r\n", 3) == 1 &&
                    EVP_DigestFinal_ex(alt, bh->alt_digest, &dl) == 1)
                    bh->has_alt = 1;
                EVP_MD_CTX_free(alt);
            }
        }
        ink_dkim_bodycanon_end(cs->bc);
    }
    for (i = 0; i < v->nbh; i++) {
        unsigned dlen = 0;
        EVP_DigestFinal_ex(v->bhs[i].ctx, v->bhs[i].digest, &dlen);
        v->bhs[i].done = 1;
    }
    v->ended = 1;
    finish_all(v);
    return 0;
}

const char *ink_dkim_verify_error(const struct ink_dkim_verify *v)
{
    return v->failed ? v->err : "";
}

/* pending - key queries handed out and not yet answered */
static size_t pending(const struct ink_dkim_verify *v)
{
    size_t i, n = 0;

    for (i = 0; i < v->nq; i++)
        if (v->qs[i].handed_out && !v->qs[i].answered)
            n++;
    return n;
}

/* all_settled - every signature has its final result */
static int all_settled(const struct ink_dkim_verify *v)
{
    size_t i;

    for (i = 0; i < v->nsigs; i++)
        if (!v->sigs[i].settled)
            return 0;
    return 1;
}

/* ink_dkim_verify_next - the next key query, or where the verifier stands */
enum ink_next ink_dkim_verify_next(struct ink_dkim_verify *v, struct ink_query *q)
{
    size_t i;

    if (v->failed)
        return INK_NEXT_FAILED;
    if (!v->header_done)
        return INK_NEXT_WAIT; /* the key names are in the header */
    for (i = 0; i < v->nq; i++)
        if (!v->qs[i].handed_out) {
            v->qs[i].handed_out = 1;
            q->name = v->qs[i].name;
            q->type = INK_DNS_TXT;
            q->token = (uint32_t)i + 1;
            return INK_NEXT_READY;
        }
    if (v->ended && pending(v) == 0 && all_settled(v))
        return INK_NEXT_DONE;
    return INK_NEXT_WAIT;
}

/* ink_dkim_key_verify_digest - check signature sig over the header digest with key k */
int ink_dkim_key_verify_digest(struct ink_dkim_key *k, const uint8_t *digest,
                               const uint8_t *sig, size_t siglen)
{
    int ok = 0;

    if (k->status != INK_DKIM_KEY_OK || k->pkey == NULL)
        return 0;
    if (k->type == INK_DKIM_KEY_RSA) {
        /* the initialised context is kept with the key: setting one up
         * costs about a fifth of an RSA-2048 verification in OpenSSL 3 */
        if (k->vctx == NULL) {
            EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(k->pkey, NULL);
            if (pc != NULL && EVP_PKEY_verify_init(pc) == 1 &&
                EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
                EVP_PKEY_CTX_set_signature_md(pc, dkim_sha256()) == 1)
                k->vctx = pc;
            else
                EVP_PKEY_CTX_free(pc);
        }
        if (k->vctx != NULL && EVP_PKEY_verify(k->vctx, sig, siglen, digest, DIGEST_LEN) == 1)
            ok = 1;
    } else if (k->type == INK_DKIM_KEY_ED25519) {
        /* RFC 8463: Ed25519 (pure) over the SHA-256 of the header data */
        EVP_MD_CTX *mc = EVP_MD_CTX_new();
        if (mc != NULL && EVP_DigestVerifyInit_ex(mc, NULL, NULL, NULL, NULL, k->pkey, NULL) == 1 &&
            EVP_DigestVerify(mc, sig, siglen, digest, DIGEST_LEN) == 1)
            ok = 1;
        EVP_MD_CTX_free(mc);
    }
    ERR_clear_error();
    return ok;
}

/* crypto_verify - check signature sig over digest with key; 1 good, 0 bad */
static int crypto_verify(struct ink_dkim_key *k, const struct ink_dkim_sig *sig,
                         const uint8_t *digest)
{
    return ink_dkim_key_verify_digest(k, digest, sig->b, sig->blen);
}

/* key_fit - why key k cannot verify signature s, or NULL when it can */
static const char *key_fit(const struct ink_dkim_key *k, const struct ink_dkim_sig *sig,
                           char *buf, size_t sz)
{
    enum ink_dkim_keytype want =
        sig->alg == INK_DKIM_ALG_ED25519_SHA256 ? INK_DKIM_KEY_ED25519 : INK_DKIM_KEY_RSA;

    if (k->status != INK_DKIM_KEY_OK) {
        dkim_set_why(buf, sz, "key record %s: %s", ink_dkim_key_status_name(k->status), k->reason);
        return buf;
    }
    if (k->type != want) {
        dkim_set_why(buf, sz, "the key is %s but a=%s", ink_dkim_keytype_name(k->type),
                 ink_dkim_alg_name(sig->alg));
        return buf;
    }
    if ((k->flags & INK_DKIM_FLAG_STRICT) && sig->i_domain != NULL &&
        strcasecmp(sig->i_domain, sig->d) != 0) {
        dkim_set_why(buf, sz, "the key has t=s, so i= must be in d=%s itself, not %s", sig->d,
                 sig->i_domain);
        return buf;
    }
    return NULL;
}

/* apply_key - the key answer for signature s is in */
static void apply_key(struct vsig *s, const struct keyq *q)
{
    char why[INK_DKIM_REASON_MAX], policy_why[INK_DKIM_REASON_MAX] = "";
    int tried = 0, first = 1;
    size_t i;

    s->res.dns_status = q->status;
    s->res.dnssec = q->dnssec;
    s->key_checked = 1;
    s->has_key_problem = 1;
    if (q->status == INK_DNS_SERVFAIL || q->status == INK_DNS_TIMEOUT) {
        s->key_code = INK_DKIM_TEMPERROR;
        dkim_set_why(s->key_problem, sizeof(s->key_problem), "key lookup %s TXT failed: %s%s%s",
                 q->name, ink_dns_status_name(q->status), q->why[0] ? ": " : "", q->why);
        return;
    }
    if (q->dnssec == INK_DNSSEC_BOGUS) {
        s->key_code = INK_DKIM_TEMPERROR;
        dkim_set_why(s->key_problem, sizeof(s->key_problem),
                 "the key answer for %s failed DNSSEC validation (bogus)", q->name);
        return;
    }
    s->key_code = INK_DKIM_PERMERROR;
    if (q->nkeys == 0) {
        dkim_set_why(s->key_problem, sizeof(s->key_problem), "no key record at %s (%s)", q->name,
                 q->status == INK_DNS_OK ? "no TXT record there" : ink_dns_status_name(q->status));
        return;
    }
    /* try each key record at the name; one that verifies wins */
    for (i = 0; i < q->nkeys; i++) {
        struct ink_dkim_key *k = q->keys[i];
        const char *bad = key_fit(k, s->sig, why, sizeof(why));
        if (first || bad == NULL) {
            s->res.key_type = k->type;
            s->res.key_bits = k->bits;
            s->res.key_flags = k->flags;
        }
        if (bad != NULL) {
            if (first)
                dkim_set_why(s->key_problem, sizeof(s->key_problem), "%s", bad);
            first = 0;
            continue;
        }
        first = 0;
        if (k->type == INK_DKIM_KEY_RSA && k->bits < INK_DKIM_RSA_BITS_MIN) {
            s->res.header_sig_ok = crypto_verify(k, s->sig, s->hdr_digest);
            dkim_set_why(policy_why, sizeof(policy_why),
                     "RSA key of %u bits is below %d bits and not accepted (RFC 8301)%s", k->bits,
                     INK_DKIM_RSA_BITS_MIN,
                     s->res.header_sig_ok ? "; the signature itself verifies" : "");
            continue;
        }
        tried = 1;
        s->res.header_sig_ok = crypto_verify(k, s->sig, s->hdr_digest);
        if (s->res.header_sig_ok)
            break;
    }
    if (tried) { /* a usable key: the outcome is the cryptography's */
        s->has_key_problem = 0;
        return;
    }
    if (policy_why[0]) {
        s->key_code = INK_DKIM_POLICY;
        dkim_set_why(s->key_problem, sizeof(s->key_problem), "%s", policy_why);
    }
}

/* take_keys - parse the TXT records of a fitting NOERROR answer into q */
static void take_keys(struct ink_dkim_verify *v, struct keyq *q, const struct ink_dns_answer *a)
{
    size_t i;

    for (i = 0; i < a->nrr && q->nkeys < KEYS_PER_NAME_MAX; i++) {
        size_t tlen;
        uint8_t *txt;
        struct ink_dkim_key *k;
        int owned;
        if (a->rr[i].type != INK_DNS_TXT)
            continue;
        txt = ink_dns_rr_txt_join(&a->rr[i], &tlen);
        if (txt == NULL)
            continue;
        k = key_get(v->opts.cache, txt, tlen, &owned);
        free(txt);
        if (k == NULL)
            continue;
        q->keys[q->nkeys] = k;
        q->owned[q->nkeys] = owned;
        q->nkeys++;
    }
}

/* ink_dkim_verify_feed - the answer to the key query token */
int ink_dkim_verify_feed(struct ink_dkim_verify *v, uint32_t token,
                         const struct ink_dns_answer *a)
{
    struct keyq *q;
    size_t i;

    if (token == 0 || token > v->nq)
        return -1;
    q = &v->qs[token - 1];
    if (!q->handed_out || q->answered)
        return -1;
    q->answered = 1;
    if (a == NULL) {
        /* no answer at all: as a timeout (RFC 6376 6.1.2: temperror) */
        q->status = INK_DNS_TIMEOUT;
        q->dnssec = INK_DNSSEC_UNKNOWN;
        snprintf(q->why, sizeof(q->why), "no answer");
    } else if (!ink_query_answer_fits(a, q->name, INK_DNS_TXT)) {
        /* an answer to another question says nothing about this one */
        q->status = INK_DNS_SERVFAIL;
        q->dnssec = INK_DNSSEC_UNKNOWN;
        snprintf(q->why, sizeof(q->why), "the answer is for %s %s, not the question asked",
                 a->qname != NULL ? a->qname : "(no name)", ink_dns_type_name(a->qtype));
    } else {
        q->status = a->status;
        q->dnssec = a->dnssec;
        if (a->why)
            snprintf(q->why, sizeof(q->why), "%s", a->why);
        if (a->status == INK_DNS_OK)
            take_keys(v, q, a);
    }
    for (i = 0; i < v->nsigs; i++)
        if (v->sigs[i].key_index == (int)(q - v->qs) && !v->sigs[i].settled)
            apply_key(&v->sigs[i], q);
    finish_all(v);
    return 0;
}

/* machine_next / machine_feed - the verifier behind struct ink_machine */
static enum ink_next machine_next(void *self, struct ink_query *q)
{
    return ink_dkim_verify_next(self, q);
}

static int machine_feed(void *self, uint32_t token, const struct ink_dns_answer *answer)
{
    return ink_dkim_verify_feed(self, token, answer);
}

static const struct ink_machine_ops verify_machine_ops = {"dkim", machine_next, machine_feed};

/* ink_dkim_verify_machine - v for a driver; v stays the caller's */
struct ink_machine ink_dkim_verify_machine(struct ink_dkim_verify *v)
{
    struct ink_machine m = {&verify_machine_ops, v};

    return m;
}

size_t ink_dkim_verify_count(const struct ink_dkim_verify *v)
{
    return v->nsigs;
}

size_t ink_dkim_verify_skipped(const struct ink_dkim_verify *v)
{
    return v->nskipped;
}

const struct ink_dkim_result *ink_dkim_verify_result(const struct ink_dkim_verify *v, size_t i)
{
    return i < v->nsigs ? &v->sigs[i].res : NULL;
}

const struct ink_mailhdr *ink_dkim_verify_header(const struct ink_dkim_verify *v)
{
    return v->header_done ? v->hdr : NULL;
}
