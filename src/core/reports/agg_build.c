/*
 * agg_build.c - the RFC 9990 aggregate report builder (include/inkan/
 * report_gen.h): evaluation rows in, grouped into <record>s with counts,
 * one report's XML out; and the report's file name and Report-ID rules.
 *
 * Each row is checked and normalised (enumerated values lower-cased and
 * checked against the schema, text made valid XML character data and cut
 * to INK_AGG_FIELD_MAX, DKIM results put in RFC 9990 3.1.3's order), then
 * encoded as one key: every field length-prefixed, in a fixed order.  Two
 * rows are the same record exactly when their keys are equal, so a hash
 * table over the keys does the grouping and the XML is written back from
 * the keys, sorted (the same rows give the same bytes).  libxml2's text
 * writer does the escaping.  No I/O.
 */
#include "inkan/report_gen.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

/* The RFC 9990 namespace written on <feedback>. */
#define AGG_NS "urn:ietf:params:xml:ns:dmarc-2.0"
/* Slots of the first hash table (doubled when half full). */
#define AGG_HASH_INITIAL 64
/* Key bytes one report may hold in all: the XML is at most a few times
 * its keys (tags, escaping), so this keeps it under INK_AGG_XML_MAX. */
#define AGG_KEYS_MAX (INK_AGG_XML_MAX / 8)
/* Bytes of a value shown in an error message. */
#define AGG_SHOWN_MAX 64
/* Longest domain name (RFC 1035 2.3.4, text form without the root dot). */
#define AGG_DOMAIN_MAX 253

/* One record: its key (owned) and count. */
struct rec {
    uint8_t *key;
    size_t len;
    uint64_t count;
    uint64_t hash;
};

struct ink_agg {
    struct rec *recs;
    size_t n, cap;
    size_t *slots;      /* index + 1 into recs; 0 = empty */
    size_t nslots;
    size_t keybytes;
    uint64_t messages;
};

/* ---- values ---- */

static const char *const dispositions[] = {"none", "pass", "quarantine", "reject", NULL};
static const char *const dmarc_results[] = {"pass", "fail", NULL};
static const char *const dkim_results[] = {"none", "pass", "fail", "policy", "neutral",
                                           "temperror", "permerror", NULL};
static const char *const spf_results[] = {"none", "pass", "fail", "softfail", "policy",
                                          "neutral", "temperror", "permerror", NULL};
static const char *const reason_types[] = {"local_policy", "mailing_list", "other",
                                           "policy_test_mode", "trusted_forwarder", NULL};
static const char *const policies[] = {"none", "quarantine", "reject", NULL};
static const char *const alignments[] = {"r", "s", NULL};
static const char *const discoveries[] = {"psl", "treewalk", NULL};
static const char *const testings[] = {"n", "y", NULL};
static const char *const scopes[] = {"mfrom", NULL};

/* shown - v printable and cut short, for err */
static void shown(struct ink_str *err, const char *v)
{
    ink_str_putc(err, '\'');
    ink_str_put_printable(err, v, strlen(v), AGG_SHOWN_MAX);
    ink_str_putc(err, '\'');
}

/* enum_value - v lower-cased into buf if it is one of set; else NULL
 * with err "FIELD 'v' is not one of a, b, c" (or "missing") */
static const char *enum_value(const char *field, const char *v, const char *const *set,
                              char *buf, size_t cap, struct ink_str *err)
{
    size_t i, n;

    if (v == NULL) {
        ink_str_printf(err, "%s is missing", field);
        return NULL;
    }
    n = strlen(v);
    if (n < cap) {
        for (i = 0; i < n; i++)
            buf[i] = (char)tolower((unsigned char)v[i]);
        buf[n] = '\0';
        for (i = 0; set[i] != NULL; i++)
            if (strcmp(buf, set[i]) == 0)
                return set[i];
    }
    ink_str_printf(err, "%s ", field);
    shown(err, v);
    ink_str_puts(err, " is not one of");
    for (i = 0; set[i] != NULL; i++)
        ink_str_printf(err, "%s %s", i ? "," : "", set[i]);
    return NULL;
}

/* utf8_len - bytes of the valid UTF-8 sequence at p (n left) that is an
 * XML 1.0 Char (section 2.2), or 0 */
static size_t utf8_len(const uint8_t *p, size_t n)
{
    uint32_t c;
    size_t k, i;

    if (p[0] < 0x80)
        return (p[0] >= 0x20 || p[0] == '\t' || p[0] == '\n' || p[0] == '\r') ? 1 : 0;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        k = 2;
        c = p[0] & 0x1fu;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        k = 3;
        c = p[0] & 0x0fu;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        k = 4;
        c = p[0] & 0x07u;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    for (i = 1; i < k; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3fu);
    }
    /* overlong forms, surrogates, beyond U+10FFFF, U+FFFE and U+FFFF */
    if ((k == 3 && c < 0x800) || (k == 4 && (c < 0x10000 || c > 0x10ffff)) ||
        (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff)
        return 0;
    return k;
}

/* text_value - v as XML character data into out: valid characters kept,
 * every other byte replaced by U+FFFD, cut at INK_AGG_FIELD_MAX bytes on
 * a character boundary.  0 or -1 (ENOMEM). */
static int text_value(const char *v, struct ink_str *out)
{
    const uint8_t *p = (const uint8_t *)v;
    size_t n = strlen(v), i = 0, k;

    ink_str_truncate(out, 0);
    while (i < n) {
        k = utf8_len(p + i, n - i);
        if (out->len + (k ? k : 3) > INK_AGG_FIELD_MAX)
            break;
        if (k == 0) {
            if (ink_str_append(out, "\xef\xbf\xbd", 3) < 0)
                return -1;
            i++;
        } else {
            if (ink_str_append(out, p + i, k) < 0)
                return -1;
            i += k;
        }
    }
    return 0;
}

/* ---- keys ---- */

/* put - one field into the key: 0xff for absent, else a 4-byte length
 * and the bytes */
static int put(struct ink_str *key, const char *v)
{
    uint8_t len[4];
    size_t n;

    if (v == NULL)
        return ink_str_putc(key, 0xff);
    n = strlen(v);
    len[0] = 0;
    len[1] = (uint8_t)(n >> 16);
    len[2] = (uint8_t)(n >> 8);
    len[3] = (uint8_t)n;
    if (ink_str_append(key, len, 4) < 0)
        return -1;
    return ink_str_append(key, v, n);
}

/* put_text - a free-text field (NULL stays absent) made valid XML text */
static int put_text(struct ink_str *key, const char *v, struct ink_str *tmp)
{
    if (v == NULL)
        return put(key, NULL);
    if (text_value(v, tmp) < 0)
        return -1;
    return put(key, ink_str_cstr(tmp));
}

/* A cursor over a key. */
struct cur {
    const uint8_t *p;
    size_t len, off;
    char *buf; /* the last field, NUL-terminated: INK_AGG_FIELD_MAX + 1
                * bytes (owned), room for any field row_key wrote */
};

/* get - the next field of the key (valid until the next get), NULL when absent */
static const char *get(struct cur *c)
{
    size_t n;

    if (c->off >= c->len || c->p[c->off] == 0xff) {
        c->off++;
        return NULL;
    }
    n = ((size_t)c->p[c->off + 1] << 16) | ((size_t)c->p[c->off + 2] << 8) | c->p[c->off + 3];
    c->off += 4;
    assert(n <= INK_AGG_FIELD_MAX && c->off + n <= c->len);
    memcpy(c->buf, c->p + c->off, n);
    c->buf[n] = '\0';
    c->off += n;
    return c->buf;
}

/* get_dup - the next field as a fresh string (caller frees), or NULL */
static char *get_dup(struct cur *c)
{
    const char *v = get(c);

    return v ? strdup(v) : NULL;
}

/* ---- DKIM order (RFC 9990 3.1.3) ---- */

/* A DKIM result being sorted: its rank and normalised fields. */
struct dk {
    int rank;
    const char *result; /* static */
    char *domain, *selector, *human;
};

/* lower_dup - a lower-cased copy of v (for domain names; caller frees) */
static char *lower_dup(const char *v)
{
    char *s = strdup(v), *q;

    if (s != NULL)
        for (q = s; *q; q++)
            *q = (char)tolower((unsigned char)*q);
    return s;
}

/* related - whether one domain is the other or under it: the relaxed
 * alignment RFC 9990 3.1.3 ranks second, without the Organizational
 * Domain (the builder has no PSL; rank only orders, never drops a pass) */
static int related(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    if (la > lb)
        return a[la - lb - 1] == '.' && strcmp(a + la - lb, b) == 0;
    if (lb > la)
        return b[lb - la - 1] == '.' && strcmp(b + lb - la, a) == 0;
    return 0;
}

/* dk_cmp - by rank, then by domain, selector, result (a stable order) */
static int dk_cmp(const void *x, const void *y)
{
    const struct dk *a = x, *b = y;
    int c;

    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    if ((c = strcmp(a->domain, b->domain)) != 0)
        return c;
    if ((c = strcmp(a->selector, b->selector)) != 0)
        return c;
    return strcmp(a->result, b->result);
}

/* ---- the hash table ---- */

/* fnv - FNV-1a of a key */
static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* rehash - double the table (or make the first); 0 or -1 */
static int rehash(struct ink_agg *a)
{
    size_t ns = a->nslots ? a->nslots * 2 : AGG_HASH_INITIAL, i, j;
    size_t *s;

    if (ns > SIZE_MAX / sizeof(*s))
        return -1;
    s = calloc(ns, sizeof(*s));
    if (s == NULL)
        return -1;
    for (i = 0; i < a->n; i++) {
        j = a->recs[i].hash & (ns - 1);
        while (s[j] != 0)
            j = (j + 1) & (ns - 1);
        s[j] = i + 1;
    }
    free(a->slots);
    a->slots = s;
    a->nslots = ns;
    return 0;
}

/* ink_agg_new - an empty report (caller frees with ink_agg_free) */
struct ink_agg *ink_agg_new(void)
{
    return calloc(1, sizeof(struct ink_agg));
}

/* ink_agg_free - release the records and the table */
void ink_agg_free(struct ink_agg *a)
{
    size_t i;

    if (a == NULL)
        return;
    for (i = 0; i < a->n; i++)
        free(a->recs[i].key);
    free(a->recs);
    free(a->slots);
    free(a);
}

size_t ink_agg_records(const struct ink_agg *a)
{
    return a->n;
}

uint64_t ink_agg_messages(const struct ink_agg *a)
{
    return a->messages;
}

/* row_key - the checked, normalised key of r into key; 0 or -1 (err) */
static int row_key(const struct ink_agg_row *r, struct ink_str *key, struct ink_str *err)
{
    char b1[32], b2[32], b3[32], ipbuf[INET6_ADDRSTRLEN], hf[AGG_DOMAIN_MAX + 1];
    unsigned char addr[16];
    struct ink_str tmp = INK_STR_INIT;
    struct dk *dk = NULL;
    const char *disp, *dkim, *spf, *v;
    size_t i, n = 0;
    int rc = -1;

    if (r->source_ip == NULL) {
        ink_str_puts(err, "source_ip is missing");
        return -1;
    }
    /* the canonical text form, so 2001:DB8::1 and 2001:db8::1 group */
    if (inet_pton(AF_INET, r->source_ip, addr) == 1)
        inet_ntop(AF_INET, addr, ipbuf, sizeof(ipbuf));
    else if (inet_pton(AF_INET6, r->source_ip, addr) == 1)
        inet_ntop(AF_INET6, addr, ipbuf, sizeof(ipbuf));
    else {
        ink_str_puts(err, "source_ip ");
        shown(err, r->source_ip);
        ink_str_puts(err, " is not an IPv4 or IPv6 address");
        return -1;
    }
    if ((disp = enum_value("disposition", r->disposition, dispositions, b1, sizeof(b1), err)) ==
            NULL ||
        (dkim = enum_value("policy_evaluated dkim", r->dkim, dmarc_results, b2, sizeof(b2),
                           err)) == NULL ||
        (spf = enum_value("policy_evaluated spf", r->spf, dmarc_results, b3, sizeof(b3), err)) ==
            NULL)
        return -1;
    if (r->header_from == NULL || r->header_from[0] == '\0' ||
        strlen(r->header_from) > AGG_DOMAIN_MAX) {
        ink_str_puts(err, "header_from is missing or longer than a domain name");
        return -1;
    }
    for (i = 0; r->header_from[i]; i++)
        hf[i] = (char)tolower((unsigned char)r->header_from[i]);
    hf[i] = '\0';
    if (r->nreasons > INK_AGG_REASONS_MAX) {
        ink_str_printf(err, "%zu reasons: at most %d", r->nreasons, INK_AGG_REASONS_MAX);
        return -1;
    }
    if (put(key, ipbuf) < 0 || put(key, disp) < 0 || put(key, dkim) < 0 || put(key, spf) < 0)
        goto nomem;
    snprintf(b1, sizeof(b1), "%zu", r->nreasons);
    if (put(key, b1) < 0)
        goto nomem;
    for (i = 0; i < r->nreasons; i++) {
        if ((v = enum_value("reason type", r->reasons[i].type, reason_types, b2, sizeof(b2),
                            err)) == NULL)
            goto out;
        if (put(key, v) < 0 || put_text(key, r->reasons[i].comment, &tmp) < 0)
            goto nomem;
    }
    if (put(key, hf) < 0 || put_text(key, r->envelope_from, &tmp) < 0 ||
        put_text(key, r->envelope_to, &tmp) < 0)
        goto nomem;

    /* DKIM: checked, ranked, sorted, cut to INK_AGG_DKIM_MAX */
    if (r->ndkim > 0) {
        dk = calloc(r->ndkim, sizeof(*dk));
        if (dk == NULL)
            goto nomem;
    }
    for (n = 0; n < r->ndkim; n++) {
        const struct ink_agg_dkim *d = &r->dkim_auth[n];
        if (d->domain == NULL || d->selector == NULL) {
            ink_str_printf(err, "DKIM result %zu: domain or selector is missing", n + 1);
            goto out;
        }
        if ((dk[n].result = enum_value("DKIM result", d->result, dkim_results, b1, sizeof(b1),
                                       err)) == NULL)
            goto out;
        if ((dk[n].domain = lower_dup(d->domain)) == NULL)
            goto nomem;
        if (text_value(d->selector, &tmp) < 0 || (dk[n].selector = strdup(ink_str_cstr(&tmp))) ==
                                                    NULL)
            goto nomem;
        if (d->human_result != NULL &&
            (text_value(d->human_result, &tmp) < 0 ||
             (dk[n].human = strdup(ink_str_cstr(&tmp))) == NULL))
            goto nomem;
        if (strcmp(dk[n].result, "pass") != 0)
            dk[n].rank = 3;
        else if (strcmp(dk[n].domain, hf) == 0)
            dk[n].rank = 0;
        else if (related(dk[n].domain, hf))
            dk[n].rank = 1;
        else
            dk[n].rank = 2;
    }
    if (n > 1)
        qsort(dk, n, sizeof(*dk), dk_cmp);
    snprintf(b1, sizeof(b1), "%zu", n < INK_AGG_DKIM_MAX ? n : (size_t)INK_AGG_DKIM_MAX);
    if (put(key, b1) < 0)
        goto nomem;
    for (i = 0; i < n && i < INK_AGG_DKIM_MAX; i++)
        if (put_text(key, dk[i].domain, &tmp) < 0 || put(key, dk[i].selector) < 0 ||
            put(key, dk[i].result) < 0 || put(key, dk[i].human) < 0)
            goto nomem;

    /* SPF */
    if (r->spf_domain == NULL) {
        if (put(key, NULL) < 0)
            goto nomem;
    } else {
        char *d = lower_dup(r->spf_domain);
        int bad;
        if (d == NULL)
            goto nomem;
        bad = put_text(key, d, &tmp) < 0;
        free(d);
        if (bad)
            goto nomem;
        v = NULL;
        if (r->spf_scope != NULL &&
            (v = enum_value("SPF scope", r->spf_scope, scopes, b1, sizeof(b1), err)) == NULL)
            goto out;
        if (put(key, v) < 0)
            goto nomem;
        if ((v = enum_value("SPF result", r->spf_result, spf_results, b1, sizeof(b1), err)) ==
            NULL)
            goto out;
        if (put(key, v) < 0 || put_text(key, r->spf_human, &tmp) < 0)
            goto nomem;
    }
    rc = 0;
    goto out;
nomem:
    ink_str_puts(err, "out of memory");
out:
    for (i = 0; i < n; i++) {
        free(dk[i].domain);
        free(dk[i].selector);
        free(dk[i].human);
    }
    free(dk);
    ink_str_free(&tmp);
    return rc;
}

/* ink_agg_add - group one row into the report (see report_gen.h) */
int ink_agg_add(struct ink_agg *a, const struct ink_agg_row *r, struct ink_str *err)
{
    struct ink_str key = INK_STR_INIT;
    uint64_t count = r->count ? r->count : 1, h;
    size_t j;

    if (row_key(r, &key, err) < 0) {
        ink_str_free(&key);
        return -1;
    }
    if (a->messages > UINT64_MAX - count) {
        ink_str_puts(err, "the message count overflows");
        ink_str_free(&key);
        return -1;
    }
    h = fnv((const uint8_t *)key.buf, key.len);
    if (a->nslots > 0) {
        j = h & (a->nslots - 1);
        while (a->slots[j] != 0) {
            struct rec *e = &a->recs[a->slots[j] - 1];
            if (e->hash == h && e->len == key.len && memcmp(e->key, key.buf, key.len) == 0) {
                e->count += count; /* no overflow: below a->messages + count */
                a->messages += count;
                ink_str_free(&key);
                return 0;
            }
            j = (j + 1) & (a->nslots - 1);
        }
    }
    if (a->n >= INK_AGG_RECORDS_MAX) {
        ink_str_printf(err, "more than %d distinct records in one report", INK_AGG_RECORDS_MAX);
        ink_str_free(&key);
        return -1;
    }
    if (a->keybytes + key.len > AGG_KEYS_MAX) {
        ink_str_printf(err, "the report would exceed %zu bytes", INK_AGG_XML_MAX);
        ink_str_free(&key);
        return -1;
    }
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 16;
        struct rec *nr;
        if (nc > SIZE_MAX / sizeof(*nr) || (nr = realloc(a->recs, nc * sizeof(*nr))) == NULL) {
            ink_str_puts(err, "out of memory");
            ink_str_free(&key);
            return -1;
        }
        a->recs = nr;
        a->cap = nc;
    }
    if ((a->n + 1) * 2 > a->nslots && rehash(a) < 0) {
        ink_str_puts(err, "out of memory");
        ink_str_free(&key);
        return -1;
    }
    a->recs[a->n].len = key.len;
    a->recs[a->n].hash = h;
    a->recs[a->n].count = count;
    a->recs[a->n].key = (uint8_t *)ink_str_steal(&key);
    if (a->recs[a->n].key == NULL) {
        ink_str_puts(err, "out of memory");
        return -1;
    }
    j = h & (a->nslots - 1);
    while (a->slots[j] != 0)
        j = (j + 1) & (a->nslots - 1);
    a->slots[j] = ++a->n;
    a->keybytes += a->recs[a->n - 1].len;
    a->messages += count;
    return 0;
}

/* ---- writing ---- */

/* rec_cmp - records by key bytes (a stable order) */
static int rec_cmp(const void *x, const void *y)
{
    const struct rec *a = *(const struct rec *const *)x, *b = *(const struct rec *const *)y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->key, b->key, n);

    if (c != 0)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

#define W(call)                                                                                \
    do {                                                                                       \
        if ((call) < 0)                                                                        \
            goto fail;                                                                         \
    } while (0)

/* el - <name>v</name>, or nothing when v is NULL */
static int el(xmlTextWriterPtr w, const char *name, const char *v)
{
    if (v == NULL)
        return 0;
    return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST v);
}

/* write_record - one <record> from its key */
static int write_record(xmlTextWriterPtr w, const struct rec *e, struct cur *c)
{
    char cnt[24];
    char *ip = NULL, *disp = NULL, *dkim = NULL, *spf = NULL;
    const char *v;
    size_t n, i;
    int rc = -1;

    c->p = e->key;
    c->len = e->len;
    c->off = 0;
    ip = get_dup(c);
    disp = get_dup(c);
    dkim = get_dup(c);
    spf = get_dup(c);
    if (ip == NULL || disp == NULL || dkim == NULL || spf == NULL)
        goto fail;
    snprintf(cnt, sizeof(cnt), "%" PRIu64, e->count);
    W(xmlTextWriterStartElement(w, BAD_CAST "record"));
    W(xmlTextWriterStartElement(w, BAD_CAST "row"));
    W(el(w, "source_ip", ip));
    W(el(w, "count", cnt));
    W(xmlTextWriterStartElement(w, BAD_CAST "policy_evaluated"));
    W(el(w, "disposition", disp));
    W(el(w, "dkim", dkim));
    W(el(w, "spf", spf));
    n = strtoul(get(c), NULL, 10);
    for (i = 0; i < n; i++) {
        W(xmlTextWriterStartElement(w, BAD_CAST "reason"));
        W(el(w, "type", get(c)));
        W(el(w, "comment", get(c)));
        W(xmlTextWriterEndElement(w));
    }
    W(xmlTextWriterEndElement(w)); /* policy_evaluated */
    W(xmlTextWriterEndElement(w)); /* row */
    W(xmlTextWriterStartElement(w, BAD_CAST "identifiers"));
    W(el(w, "header_from", get(c)));
    /* an empty envelope_from is a null reverse-path (RFC 9990 3.1.1.10) */
    W(el(w, "envelope_from", get(c)));
    W(el(w, "envelope_to", get(c)));
    W(xmlTextWriterEndElement(w));
    W(xmlTextWriterStartElement(w, BAD_CAST "auth_results"));
    n = strtoul(get(c), NULL, 10);
    for (i = 0; i < n; i++) {
        W(xmlTextWriterStartElement(w, BAD_CAST "dkim"));
        W(el(w, "domain", get(c)));
        W(el(w, "selector", get(c)));
        W(el(w, "result", get(c)));
        W(el(w, "human_result", get(c)));
        W(xmlTextWriterEndElement(w));
    }
    if ((v = get(c)) != NULL) {
        W(xmlTextWriterStartElement(w, BAD_CAST "spf"));
        W(el(w, "domain", v));
        W(el(w, "scope", get(c)));
        W(el(w, "result", get(c)));
        W(el(w, "human_result", get(c)));
        W(xmlTextWriterEndElement(w));
    }
    W(xmlTextWriterEndElement(w)); /* auth_results */
    W(xmlTextWriterEndElement(w)); /* record */
    rc = 0;
fail:
    free(ip);
    free(disp);
    free(dkim);
    free(spf);
    return rc;
}

/* meta_text - a metadata text field made valid XML into *slot (a fresh
 * string the caller frees), NULL staying NULL; 0 or -1 */
static int meta_text(const char *v, char **slot)
{
    struct ink_str t = INK_STR_INIT;

    *slot = NULL;
    if (v == NULL)
        return 0;
    if (text_value(v, &t) < 0) {
        ink_str_free(&t);
        return -1;
    }
    *slot = ink_str_steal(&t);
    return *slot ? 0 : -1;
}

/* Metadata text fields, in the order meta_text fills them. */
enum { M_ORG, M_EMAIL, M_EXTRA, M_RID, M_GEN, M_ERR, M_DOMAIN, M_FO, M_COUNT };

/* ink_agg_xml - the report's XML (see report_gen.h) */
int ink_agg_xml(const struct ink_agg *a, const struct ink_agg_meta *m, struct ink_str *out,
                struct ink_str *err)
{
    char b[7][32], begin[24], end[24];
    char *t[M_COUNT] = {NULL};
    const char *p, *sp = NULL, *np = NULL, *adkim = NULL, *aspf = NULL, *disc = NULL,
                   *testing = NULL;
    const struct rec **order = NULL;
    xmlBufferPtr buf = NULL;
    xmlTextWriterPtr w = NULL;
    struct cur c = {0};
    size_t i;
    int rc = -1;

    if (a->n == 0) {
        ink_str_puts(err, "no evaluations in the period: a report needs at least one record");
        return -1;
    }
    if (m->org_name == NULL || m->org_name[0] == '\0' || m->email == NULL ||
        m->email[0] == '\0' || m->report_id == NULL || m->report_id[0] == '\0' ||
        m->domain == NULL || m->domain[0] == '\0') {
        ink_str_puts(err, "org_name, email, report_id and the policy domain are required");
        return -1;
    }
    if (m->begin > m->end) {
        ink_str_printf(err, "the date range begins (%" PRId64 ") after it ends (%" PRId64 ")",
                       m->begin, m->end);
        return -1;
    }
    if ((p = enum_value("p", m->p, policies, b[0], sizeof(b[0]), err)) == NULL ||
        (m->sp && (sp = enum_value("sp", m->sp, policies, b[1], sizeof(b[1]), err)) == NULL) ||
        (m->np && (np = enum_value("np", m->np, policies, b[2], sizeof(b[2]), err)) == NULL) ||
        (m->adkim &&
         (adkim = enum_value("adkim", m->adkim, alignments, b[3], sizeof(b[3]), err)) == NULL) ||
        (m->aspf &&
         (aspf = enum_value("aspf", m->aspf, alignments, b[4], sizeof(b[4]), err)) == NULL) ||
        (m->discovery_method &&
         (disc = enum_value("discovery_method", m->discovery_method, discoveries, b[5],
                            sizeof(b[5]), err)) == NULL) ||
        (m->testing &&
         (testing = enum_value("testing", m->testing, testings, b[6], sizeof(b[6]), err)) ==
             NULL))
        return -1;
    if (meta_text(m->org_name, &t[M_ORG]) < 0 || meta_text(m->email, &t[M_EMAIL]) < 0 ||
        meta_text(m->extra_contact_info, &t[M_EXTRA]) < 0 ||
        meta_text(m->report_id, &t[M_RID]) < 0 || meta_text(m->generator, &t[M_GEN]) < 0 ||
        meta_text(m->error, &t[M_ERR]) < 0 || meta_text(m->domain, &t[M_DOMAIN]) < 0 ||
        meta_text(m->fo, &t[M_FO]) < 0)
        goto nomem;
    snprintf(begin, sizeof(begin), "%" PRId64, m->begin);
    snprintf(end, sizeof(end), "%" PRId64, m->end);

    order = malloc(a->n * sizeof(*order));
    c.buf = malloc(INK_AGG_FIELD_MAX + 1);
    if (order == NULL || c.buf == NULL)
        goto nomem;
    for (i = 0; i < a->n; i++)
        order[i] = &a->recs[i];
    qsort(order, a->n, sizeof(*order), rec_cmp);

    buf = xmlBufferCreate();
    if (buf == NULL || (w = xmlNewTextWriterMemory(buf, 0)) == NULL)
        goto nomem;
    W(xmlTextWriterSetIndent(w, 1));
    W(xmlTextWriterSetIndentString(w, BAD_CAST "  "));
    W(xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
    W(xmlTextWriterStartElement(w, BAD_CAST "feedback"));
    W(xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns", BAD_CAST AGG_NS));
    W(el(w, "version", "1.0"));
    W(xmlTextWriterStartElement(w, BAD_CAST "report_metadata"));
    W(el(w, "org_name", t[M_ORG]));
    W(el(w, "email", t[M_EMAIL]));
    W(el(w, "extra_contact_info", t[M_EXTRA]));
    W(el(w, "report_id", t[M_RID]));
    W(xmlTextWriterStartElement(w, BAD_CAST "date_range"));
    W(el(w, "begin", begin));
    W(el(w, "end", end));
    W(xmlTextWriterEndElement(w));
    W(el(w, "error", t[M_ERR]));
    W(el(w, "generator", t[M_GEN]));
    W(xmlTextWriterEndElement(w));
    W(xmlTextWriterStartElement(w, BAD_CAST "policy_published"));
    W(el(w, "domain", t[M_DOMAIN]));
    W(el(w, "p", p));
    W(el(w, "sp", sp));
    W(el(w, "np", np));
    W(el(w, "adkim", adkim));
    W(el(w, "aspf", aspf));
    W(el(w, "discovery_method", disc));
    W(el(w, "fo", t[M_FO]));
    W(el(w, "testing", testing));
    W(xmlTextWriterEndElement(w));
    for (i = 0; i < a->n; i++)
        W(write_record(w, order[i], &c));
    W(xmlTextWriterEndElement(w)); /* feedback */
    W(xmlTextWriterEndDocument(w));
    xmlFreeTextWriter(w); /* flushes into buf */
    w = NULL;
    if ((size_t)xmlBufferLength(buf) > INK_AGG_XML_MAX) {
        ink_str_printf(err, "the report exceeds %zu bytes", INK_AGG_XML_MAX);
        goto out;
    }
    if (ink_str_append(out, xmlBufferContent(buf), (size_t)xmlBufferLength(buf)) < 0 ||
        (out->len > 0 && out->buf[out->len - 1] != '\n' && ink_str_putc(out, '\n') < 0))
        goto nomem;
    rc = 0;
    goto out;
fail:
nomem:
    ink_str_puts(err, "out of memory writing the report");
out:
    if (w != NULL)
        xmlFreeTextWriter(w);
    if (buf != NULL)
        xmlBufferFree(buf);
    for (i = 0; i < M_COUNT; i++)
        free(t[i]);
    free(order);
    free(c.buf);
    return rc;
}

/* ---- names ---- */

/* domain_ok - a plausible domain name: 1..253 bytes of letters, digits,
 * '-', '_' and '.', no empty label (the file name's '!' must not appear) */
static int domain_ok(const char *d)
{
    size_t n = strlen(d), i;

    if (n == 0 || n > AGG_DOMAIN_MAX || d[0] == '.' || d[n - 1] == '.')
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)d[i];
        if (!(isalnum(ch) || ch == '-' || ch == '_' || ch == '.'))
            return 0;
        if (ch == '.' && d[i + 1] == '.')
            return 0;
    }
    return 1;
}

/* ink_agg_filename - receiver!domain!begin!end[!id].xml[.gz] */
int ink_agg_filename(const char *receiver, const char *domain, int64_t begin, int64_t end,
                     const char *unique_id, int gz, struct ink_str *out)
{
    size_t i;

    if (!domain_ok(receiver) || !domain_ok(domain) || begin < 0 || end < begin)
        return -1;
    if (unique_id != NULL) {
        if (unique_id[0] == '\0')
            return -1;
        for (i = 0; unique_id[i]; i++)
            if (!isalnum((unsigned char)unique_id[i]))
                return -1;
    }
    if (ink_str_printf(out, "%s!%s!%" PRId64 "!%" PRId64, receiver, domain, begin, end) < 0)
        return -1;
    if (unique_id != NULL && ink_str_printf(out, "!%s", unique_id) < 0)
        return -1;
    return ink_str_puts(out, gz ? ".xml.gz" : ".xml");
}

/* digits - parse 1..19 decimal digits of p[0..n) into *v; 0 or -1 */
static int digits(const char *p, size_t n, int64_t *v)
{
    size_t i;
    int64_t x = 0;

    if (n == 0 || n > 18)
        return -1;
    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        x = x * 10 + (p[i] - '0');
    }
    *v = x;
    return 0;
}

/* ink_agg_filename_parse - the parts of a report file name (see report_gen.h) */
int ink_agg_filename_parse(const char *name, size_t len, char *receiver, char *domain,
                           size_t cap, int64_t *begin, int64_t *end, int *gz)
{
    const char *part[5];
    size_t plen[5], np = 0, i, start = 0, stem;

    if (len > 7 && memcmp(name + len - 7, ".xml.gz", 7) == 0) {
        *gz = 1;
        stem = len - 7;
    } else if (len > 4 && memcmp(name + len - 4, ".xml", 4) == 0) {
        *gz = 0;
        stem = len - 4;
    } else {
        return -1;
    }
    for (i = 0; i <= stem; i++) {
        if (i == stem || name[i] == '!') {
            if (np == 5)
                return -1;
            part[np] = name + start;
            plen[np++] = i - start;
            start = i + 1;
        }
    }
    if (np < 4 || plen[0] == 0 || plen[0] >= cap || plen[1] == 0 || plen[1] >= cap)
        return -1;
    if (digits(part[2], plen[2], begin) < 0 || digits(part[3], plen[3], end) < 0)
        return -1;
    memcpy(receiver, part[0], plen[0]);
    receiver[plen[0]] = '\0';
    memcpy(domain, part[1], plen[1]);
    domain[plen[1]] = '\0';
    if (!domain_ok(receiver) || !domain_ok(domain))
        return -1;
    for (i = 0; np == 5 && i < plen[4]; i++)
        if (!isalnum((unsigned char)part[4][i]))
            return -1;
    return np == 5 && plen[4] == 0 ? -1 : 0;
}

/* atext - RFC 5322 3.2.3 atext */
static int atext(unsigned char ch)
{
    return isalnum(ch) || (ch != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL);
}

/* dot_atom - s[0..n) is dot-atom-text */
static int dot_atom(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return 0;
        } else if (!atext((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

/* ink_agg_report_id_ok - ridfmt of RFC 9990 3.5.1 */
int ink_agg_report_id_ok(const char *id)
{
    const char *at = strchr(id, '@');

    if (at == NULL)
        return dot_atom(id, strlen(id));
    return dot_atom(id, (size_t)(at - id)) && dot_atom(at + 1, strlen(at + 1));
}
