/*
 * report_xml.c - the streaming DMARC aggregate report parser
 * (include/inkan/report.h): libxml2's SAX2 push parser over bytes pushed
 * in chunks, a stack of element ids for where we are, and one record
 * built at a time and handed to the caller when </record> ends.
 *
 * Safety: a DOCTYPE stops the parse at its name (internalSubset), before
 * any entity is declared; undeclared entity references are libxml2's
 * well-formedness errors; XML_PARSE_NONET; no entity substitution or DTD
 * loading is asked for.  Text is accumulated only inside the leaf
 * elements we keep, each at most field_max bytes.
 */
#include "inkan/report.h"

#include <assert.h>
#include <arpa/inet.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "inkan/dns.h"
#include "inkan/str.h"

/* Bytes of the refusal message kept. */
#define REPORT_MSG_MAX 256

/* Every element we know, by position in the schema. */
enum el {
    EL_UNKNOWN = 0,
    EL_ROOT, /* above the document element */
    EL_FEEDBACK,
    EL_VERSION,
    EL_META,
    EL_ORG_NAME,
    EL_EMAIL,
    EL_EXTRA,
    EL_REPORT_ID,
    EL_DATE_RANGE,
    EL_BEGIN,
    EL_END,
    EL_ERROR,
    EL_GENERATOR,
    EL_POLICY,
    EL_P_DOMAIN,
    EL_P_ADKIM,
    EL_P_ASPF,
    EL_P_P,
    EL_P_SP,
    EL_P_NP,
    EL_P_PCT,
    EL_P_FO,
    EL_P_TESTING,
    EL_P_DISCOVERY,
    EL_EXTENSION,
    EL_RECORD,
    EL_ROW,
    EL_SOURCE_IP,
    EL_COUNT,
    EL_EVALUATED,
    EL_DISPOSITION,
    EL_EV_DKIM,
    EL_EV_SPF,
    EL_REASON,
    EL_REASON_TYPE,
    EL_REASON_COMMENT,
    EL_IDENTIFIERS,
    EL_ENVELOPE_TO,
    EL_ENVELOPE_FROM,
    EL_HEADER_FROM,
    EL_AUTH,
    EL_AUTH_DKIM,
    EL_AUTH_SPF,
    EL_DKIM_DOMAIN,
    EL_DKIM_SELECTOR,
    EL_DKIM_RESULT,
    EL_DKIM_HUMAN,
    EL_SPF_DOMAIN,
    EL_SPF_SCOPE,
    EL_SPF_RESULT,
    EL_SPF_HUMAN,
    EL_COUNT_
};

/* How a leaf's text is normalised. */
enum kind {
    K_NONE = 0, /* a container: text ignored */
    K_TEXT,     /* kept as it is (trimmed) */
    K_DOMAIN,   /* lower-cased silently */
    K_WORD,     /* an enumerated value: lower-cased with a note */
    K_SKIP      /* known, not kept (extension content) */
};

struct el_def {
    enum el parent;
    const char *name;
    enum el id;
    enum kind kind;
};

/* (parent, local name) -> element.  The same name means different things
 * under different parents (dkim, spf, domain), so the parent is the key.
 * One parent's children are listed together: lookup() relies on it, and
 * ink_report_new asserts it (table_grouped). */
static const struct el_def el_table[] = {
    {EL_ROOT, "feedback", EL_FEEDBACK, K_NONE},
    {EL_FEEDBACK, "version", EL_VERSION, K_TEXT},
    {EL_FEEDBACK, "report_metadata", EL_META, K_NONE},
    {EL_FEEDBACK, "policy_published", EL_POLICY, K_NONE},
    {EL_FEEDBACK, "extension", EL_EXTENSION, K_SKIP},
    {EL_FEEDBACK, "record", EL_RECORD, K_NONE},
    {EL_META, "org_name", EL_ORG_NAME, K_TEXT},
    {EL_META, "email", EL_EMAIL, K_TEXT},
    {EL_META, "extra_contact_info", EL_EXTRA, K_TEXT},
    {EL_META, "report_id", EL_REPORT_ID, K_TEXT},
    {EL_META, "date_range", EL_DATE_RANGE, K_NONE},
    {EL_META, "error", EL_ERROR, K_TEXT},
    {EL_META, "generator", EL_GENERATOR, K_TEXT},
    {EL_DATE_RANGE, "begin", EL_BEGIN, K_TEXT},
    {EL_DATE_RANGE, "end", EL_END, K_TEXT},
    {EL_POLICY, "domain", EL_P_DOMAIN, K_DOMAIN},
    {EL_POLICY, "adkim", EL_P_ADKIM, K_WORD},
    {EL_POLICY, "aspf", EL_P_ASPF, K_WORD},
    {EL_POLICY, "p", EL_P_P, K_WORD},
    {EL_POLICY, "sp", EL_P_SP, K_WORD},
    {EL_POLICY, "np", EL_P_NP, K_WORD},
    {EL_POLICY, "pct", EL_P_PCT, K_TEXT},
    {EL_POLICY, "fo", EL_P_FO, K_TEXT},
    {EL_POLICY, "testing", EL_P_TESTING, K_WORD},
    {EL_POLICY, "discovery_method", EL_P_DISCOVERY, K_WORD},
    {EL_RECORD, "row", EL_ROW, K_NONE},
    {EL_RECORD, "identifiers", EL_IDENTIFIERS, K_NONE},
    {EL_RECORD, "auth_results", EL_AUTH, K_NONE},
    {EL_RECORD, "extension", EL_EXTENSION, K_SKIP},
    {EL_ROW, "source_ip", EL_SOURCE_IP, K_TEXT},
    {EL_ROW, "count", EL_COUNT, K_TEXT},
    {EL_ROW, "policy_evaluated", EL_EVALUATED, K_NONE},
    {EL_EVALUATED, "disposition", EL_DISPOSITION, K_WORD},
    {EL_EVALUATED, "dkim", EL_EV_DKIM, K_WORD},
    {EL_EVALUATED, "spf", EL_EV_SPF, K_WORD},
    {EL_EVALUATED, "reason", EL_REASON, K_NONE},
    {EL_REASON, "type", EL_REASON_TYPE, K_WORD},
    {EL_REASON, "comment", EL_REASON_COMMENT, K_TEXT},
    {EL_IDENTIFIERS, "envelope_to", EL_ENVELOPE_TO, K_DOMAIN},
    {EL_IDENTIFIERS, "envelope_from", EL_ENVELOPE_FROM, K_DOMAIN},
    {EL_IDENTIFIERS, "header_from", EL_HEADER_FROM, K_DOMAIN},
    {EL_AUTH, "dkim", EL_AUTH_DKIM, K_NONE},
    {EL_AUTH, "spf", EL_AUTH_SPF, K_NONE},
    {EL_AUTH_DKIM, "domain", EL_DKIM_DOMAIN, K_DOMAIN},
    {EL_AUTH_DKIM, "selector", EL_DKIM_SELECTOR, K_TEXT},
    {EL_AUTH_DKIM, "result", EL_DKIM_RESULT, K_WORD},
    {EL_AUTH_DKIM, "human_result", EL_DKIM_HUMAN, K_TEXT},
    {EL_AUTH_SPF, "domain", EL_SPF_DOMAIN, K_DOMAIN},
    {EL_AUTH_SPF, "scope", EL_SPF_SCOPE, K_WORD},
    {EL_AUTH_SPF, "result", EL_SPF_RESULT, K_WORD},
    {EL_AUTH_SPF, "human_result", EL_SPF_HUMAN, K_TEXT},
};

#define EL_TABLE_N (sizeof(el_table) / sizeof(el_table[0]))

/* Values a schema defines for each enumerated leaf ("|"-separated); a
 * value outside them is kept with a note. */
static const char *const el_values_of[EL_COUNT_] = {
    [EL_P_ADKIM] = "|r|s|",
    [EL_P_ASPF] = "|r|s|",
    [EL_P_P] = "|none|quarantine|reject|",
    [EL_P_SP] = "|none|quarantine|reject|",
    [EL_P_NP] = "|none|quarantine|reject|",
    [EL_P_TESTING] = "|n|y|",
    [EL_P_DISCOVERY] = "|psl|treewalk|",
    [EL_DISPOSITION] = "|none|pass|quarantine|reject|",
    [EL_EV_DKIM] = "|pass|fail|",
    [EL_EV_SPF] = "|pass|fail|",
    [EL_REASON_TYPE] = "|forwarded|sampled_out|trusted_forwarder|mailing_list|local_policy|other|"
                       "policy_test_mode|",
    [EL_DKIM_RESULT] = "|none|pass|fail|policy|neutral|temperror|permerror|",
    [EL_SPF_SCOPE] = "|helo|mfrom|",
    [EL_SPF_RESULT] = "|none|neutral|pass|fail|softfail|temperror|permerror|",
};

/* One kept text field.  Its buffer is the parser's from ink_report_new to
 * ink_report_free: a record's fields are written into the buffers the
 * previous record used (grown only when a longer value comes, never past
 * field_max + 1), so a report of any number of records allocates once per
 * field, not once per field per record.  set says whether the report (for
 * metadata) or the current record has the field. */
struct field {
    struct ink_str s;
    int set;
};

/* val - the field's text, or NULL when the report or record has none */
static inline const char *val(const struct field *f)
{
    return f->set ? f->s.buf : NULL;
}

/* The strings of the report being read: metadata, then one record. */
struct meta_buf {
    struct field version, org_name, email, extra, report_id, generator, error;
    struct field begin, end;
    struct field domain, adkim, aspf, p, sp, np, pct, fo, testing, discovery;
};

struct rec_buf {
    struct field source_ip, count, disposition, dkim, spf;
    struct field rtype[INK_REPORT_REASONS_MAX], rcomment[INK_REPORT_REASONS_MAX];
    size_t nreason, reasons_seen;
    struct field env_to, env_from, header_from;
    struct field d_domain[INK_REPORT_AUTH_MAX], d_selector[INK_REPORT_AUTH_MAX],
        d_result[INK_REPORT_AUTH_MAX], d_human[INK_REPORT_AUTH_MAX];
    size_t ndkim, dkim_seen;
    struct field s_domain[INK_REPORT_AUTH_MAX], s_scope[INK_REPORT_AUTH_MAX],
        s_result[INK_REPORT_AUTH_MAX], s_human[INK_REPORT_AUTH_MAX];
    size_t nspf, spf_seen;
    size_t offset;
    char ip[INET6_ADDRSTRLEN];
};

struct ink_report_parser {
    xmlParserCtxtPtr ctxt;
    struct ink_report_callbacks cb;
    void *cbctx;
    size_t records_max, depth_max, field_max;
    /* the el_table index of each parent's first child (EL_TABLE_N: none) */
    unsigned char first_child[EL_COUNT_];

    enum el stack[INK_REPORT_DEPTH_MAX + 1];
    /* the table entry of each open element (NULL: unknown or skipped), so
     * an element's end needs no second lookup */
    const struct el_def *defs[INK_REPORT_DEPTH_MAX + 1];
    size_t depth;       /* elements open; stack[0] is EL_ROOT */
    size_t skip_depth;  /* > 0: inside an unknown or skipped element this deep */
    int collecting;     /* inside a kept leaf */
    struct ink_str text;

    enum ink_report_format format;
    int seen_root, meta_done, seen_meta, seen_policy;
    struct meta_buf m;
    struct rec_buf r;
    /* what the record callback is handed, reused like r's buffers: the
     * entries past a record's counts are NULL */
    struct ink_report_record out;
    size_t nrecords;

    size_t fed;         /* bytes pushed so far */
    enum ink_report_error err;
    size_t err_offset;
    char msg[REPORT_MSG_MAX];
    size_t note_count[INK_REPORT_NOTE_COUNT];
    size_t note_offset[INK_REPORT_NOTE_COUNT];
};

/* offset_now - byte offset of what the parser is looking at */
static size_t offset_now(const struct ink_report_parser *p)
{
    long c = p->ctxt ? xmlByteConsumed(p->ctxt) : -1;

    return c < 0 ? p->fed : (size_t)c;
}

/* refuse - record the first refusal and stop libxml2 */
static void refuse(struct ink_report_parser *p, enum ink_report_error e, size_t offset,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void refuse(struct ink_report_parser *p, enum ink_report_error e, size_t offset,
                   const char *fmt, ...)
{
    va_list ap;

    if (p->err != INK_REPORT_OK)
        return;
    p->err = e;
    p->err_offset = offset;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
    va_end(ap);
    if (p->ctxt)
        xmlStopParser(p->ctxt);
}

/* note - count a lenient acceptance */
static void note(struct ink_report_parser *p, enum ink_report_note n)
{
    if (p->note_count[n]++ == 0)
        p->note_offset[n] = offset_now(p);
}

/* in_values - v is one of the '|'-separated words of list ("|a|b|") */
static int in_values(const char *list, const char *v)
{
    size_t n = strlen(v);
    const char *w;

    if (n == 0 || memchr(v, '|', n) != NULL)
        return 0;
    for (w = list; (w = strstr(w, v)) != NULL; w++)
        if (w > list && w[-1] == '|' && w[n] == '|')
            return 1;
    return 0;
}

/* take - copy the collected text into the field (trimmed, normalised
 * per kind), into the buffer it already has; returns 0 or -1 (out of
 * memory: refused) */
static int take(struct ink_report_parser *p, struct field *slot, enum el id, enum kind kind)
{
    const char *s = p->text.buf ? p->text.buf : "";
    size_t len = p->text.len, i, b = 0, e = len;
    char *v;
    int upper = 0;

    while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n'))
        b++;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n'))
        e--;
    /* pretty-printed reports put a newline inside an empty element; only
     * padding around a value is the reporter's sloppiness */
    if ((b > 0 || e < len) && e > b)
        note(p, INK_REPORT_NOTE_WHITESPACE);
    /* a repeated element: the last one wins */
    if (b == 0 && e == len && p->text.buf != NULL) {
        /* nothing to trim: the collected text becomes the field, and the
         * field's old buffer collects the next text (no copy) */
        struct ink_str t = slot->s;
        slot->s = p->text;
        p->text = t;
        ink_str_truncate(&p->text, 0);
    } else if (ink_str_truncate(&slot->s, 0), ink_str_append(&slot->s, s + b, e - b) < 0) {
        slot->set = 0;
        refuse(p, INK_REPORT_E_NOMEM, offset_now(p), "out of memory");
        return -1;
    }
    slot->set = 1;
    v = slot->s.buf;
    if (kind == K_DOMAIN || kind == K_WORD) {
        for (i = 0; v[i]; i++)
            if (v[i] >= 'A' && v[i] <= 'Z') {
                v[i] = (char)(v[i] - 'A' + 'a');
                upper = 1;
            }
        if (upper && kind == K_WORD)
            note(p, INK_REPORT_NOTE_UPPER_CASE);
    }
    if (kind == K_WORD && el_values_of[id] != NULL && !in_values(el_values_of[id], v))
        note(p, INK_REPORT_NOTE_UNKNOWN_VALUE);
    return 0;
}

/* field_free - release a field's buffer */
static void field_free(struct field *f)
{
    ink_str_free(&f->s);
    f->set = 0;
}

/* meta_free - release the metadata's buffers */
static void meta_free(struct meta_buf *m)
{
    struct field *f[] = {&m->version, &m->org_name, &m->email, &m->extra, &m->report_id,
                         &m->generator, &m->error, &m->begin, &m->end, &m->domain, &m->adkim,
                         &m->aspf, &m->p, &m->sp, &m->np, &m->pct, &m->fo, &m->testing,
                         &m->discovery};
    size_t i;

    for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        field_free(f[i]);
}

/* rec_reset - empty the record for the next one, keeping every buffer:
 * the repeated fields past the last record's counts were never set */
static void rec_reset(struct rec_buf *r)
{
    size_t i;

    r->source_ip.set = r->count.set = r->disposition.set = r->dkim.set = r->spf.set = 0;
    r->env_to.set = r->env_from.set = r->header_from.set = 0;
    for (i = 0; i < r->nreason; i++)
        r->rtype[i].set = r->rcomment[i].set = 0;
    for (i = 0; i < r->ndkim; i++)
        r->d_domain[i].set = r->d_selector[i].set = r->d_result[i].set = r->d_human[i].set = 0;
    for (i = 0; i < r->nspf; i++)
        r->s_domain[i].set = r->s_scope[i].set = r->s_result[i].set = r->s_human[i].set = 0;
    r->nreason = r->reasons_seen = r->ndkim = r->dkim_seen = r->nspf = r->spf_seen = 0;
    r->offset = 0;
    r->ip[0] = '\0';
}

/* rec_free - release the record's buffers */
static void rec_free(struct rec_buf *r)
{
    size_t i;

    field_free(&r->source_ip);
    field_free(&r->count);
    field_free(&r->disposition);
    field_free(&r->dkim);
    field_free(&r->spf);
    field_free(&r->env_to);
    field_free(&r->env_from);
    field_free(&r->header_from);
    for (i = 0; i < INK_REPORT_REASONS_MAX; i++) {
        field_free(&r->rtype[i]);
        field_free(&r->rcomment[i]);
    }
    for (i = 0; i < INK_REPORT_AUTH_MAX; i++) {
        field_free(&r->d_domain[i]);
        field_free(&r->d_selector[i]);
        field_free(&r->d_result[i]);
        field_free(&r->d_human[i]);
        field_free(&r->s_domain[i]);
        field_free(&r->s_scope[i]);
        field_free(&r->s_result[i]);
        field_free(&r->s_human[i]);
    }
}

/* parse_u64 - a decimal integer (an optional leading '+' accepted); -1 if
 * not one or above max */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (s == NULL)
        return -1;
    if (*s == '+')
        s++;
    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        if (v > (max - (uint64_t)(*s - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

/* Largest timestamp accepted: year 9999. */
#define REPORT_TIME_MAX 253402300799ULL
/* Largest message count accepted in one row (2^53: exact in JSON). */
#define REPORT_COUNT_MAX 9007199254740992ULL

/* finish_meta - check the metadata and hand it to the caller, once */
static int finish_meta(struct ink_report_parser *p)
{
    struct meta_buf *m = &p->m;
    struct ink_report_meta out;
    uint64_t b, e, pct;
    size_t off = offset_now(p);
    const char *v_version = val(&m->version), *v_org_name = val(&m->org_name),
               *v_email = val(&m->email), *v_extra = val(&m->extra),
               *v_report_id = val(&m->report_id), *v_generator = val(&m->generator),
               *v_error = val(&m->error), *v_begin = val(&m->begin), *v_end = val(&m->end),
               *v_domain = val(&m->domain), *v_adkim = val(&m->adkim), *v_aspf = val(&m->aspf),
               *v_p = val(&m->p), *v_sp = val(&m->sp), *v_np = val(&m->np), *v_pct = val(&m->pct),
               *v_fo = val(&m->fo), *v_testing = val(&m->testing),
               *v_discovery = val(&m->discovery);

    if (p->meta_done)
        return 0;
    p->meta_done = 1;
    if (!p->seen_meta)
        refuse(p, INK_REPORT_E_MISSING, off, "no <report_metadata> before the records");
    else if (v_org_name == NULL || v_org_name[0] == '\0')
        refuse(p, INK_REPORT_E_MISSING, off, "report_metadata has no org_name");
    else if (v_report_id == NULL || v_report_id[0] == '\0')
        refuse(p, INK_REPORT_E_MISSING, off, "report_metadata has no report_id");
    else if (v_begin == NULL || v_end == NULL)
        refuse(p, INK_REPORT_E_MISSING, off, "report_metadata has no date_range begin and end");
    else if (parse_u64(v_begin, REPORT_TIME_MAX, &b) < 0)
        refuse(p, INK_REPORT_E_INVALID, off, "date_range begin '%.64s' is not a time in seconds",
               v_begin);
    else if (parse_u64(v_end, REPORT_TIME_MAX, &e) < 0)
        refuse(p, INK_REPORT_E_INVALID, off, "date_range end '%.64s' is not a time in seconds",
               v_end);
    else if (e < b)
        refuse(p, INK_REPORT_E_INVALID, off, "date_range ends (%s) before it begins (%s)", v_end,
               v_begin);
    else if (!p->seen_policy || v_domain == NULL || v_domain[0] == '\0')
        refuse(p, INK_REPORT_E_MISSING, off, "policy_published has no domain");
    else if (v_pct && parse_u64(v_pct, 100, &pct) < 0)
        refuse(p, INK_REPORT_E_INVALID, off, "policy_published pct '%.64s' is not 0..100", v_pct);
    if (p->err != INK_REPORT_OK)
        return -1;
    if (e - b > INK_REPORT_RANGE_NOTE_SECONDS)
        note(p, INK_REPORT_NOTE_LONG_RANGE);
    if (v_email == NULL || v_adkim == NULL || v_aspf == NULL || v_p == NULL)
        note(p, INK_REPORT_NOTE_MISSING_OPTIONAL);
    memset(&out, 0, sizeof(out));
    out.format = p->format;
    out.version = v_version;
    out.org_name = v_org_name;
    out.email = v_email;
    out.extra_contact_info = v_extra;
    out.report_id = v_report_id;
    out.generator = v_generator;
    out.error = v_error;
    out.begin = (int64_t)b;
    out.end = (int64_t)e;
    out.domain = v_domain;
    out.adkim = v_adkim && strcmp(v_adkim, "s") == 0 ? 's' : 'r';
    out.aspf = v_aspf && strcmp(v_aspf, "s") == 0 ? 's' : 'r';
    out.p = v_p;
    out.sp = v_sp;
    out.np = v_np;
    out.pct = v_pct ? (int)pct : -1;
    out.fo = v_fo;
    out.testing = v_testing;
    out.discovery_method = v_discovery;
    if (p->cb.meta && p->cb.meta(p->cbctx, &out) != 0) {
        refuse(p, INK_REPORT_E_STOPPED, off, "stopped at the report's metadata");
        return -1;
    }
    return 0;
}

/* finish_record - check the record and hand it to the caller */
static void finish_record(struct ink_report_parser *p)
{
    struct rec_buf *r = &p->r;
    struct ink_report_record *out = &p->out;
    const char *source_ip = val(&r->source_ip), *cnt = val(&r->count);
    uint64_t count;
    uint8_t addr[16];
    int fam;
    size_t i;

    if (source_ip == NULL || source_ip[0] == '\0') {
        refuse(p, INK_REPORT_E_MISSING, r->offset, "record %zu has no row/source_ip",
               p->nrecords + 1);
        return;
    }
    if (ink_ip_parse(source_ip, r->source_ip.s.len, &fam, addr) < 0 ||
        ink_ip_format(fam, addr, r->ip, sizeof(r->ip)) == NULL) {
        refuse(p, INK_REPORT_E_INVALID, r->offset,
               "record %zu: source_ip '%.64s' is not an IP address", p->nrecords + 1, source_ip);
        return;
    }
    if (cnt == NULL) {
        refuse(p, INK_REPORT_E_MISSING, r->offset, "record %zu has no row/count",
               p->nrecords + 1);
        return;
    }
    if (parse_u64(cnt, REPORT_COUNT_MAX, &count) < 0) {
        refuse(p, INK_REPORT_E_INVALID, r->offset,
               "record %zu: count '%.64s' is not a number of messages", p->nrecords + 1, cnt);
        return;
    }
    if (!r->disposition.set || !r->dkim.set || !r->spf.set || !r->header_from.set ||
        (r->ndkim == 0 && r->nspf == 0))
        note(p, INK_REPORT_NOTE_MISSING_OPTIONAL);
    out->offset = r->offset;
    out->source_ip = r->ip;
    out->count = count;
    out->disposition = val(&r->disposition);
    out->dkim = val(&r->dkim);
    out->spf = val(&r->spf);
    /* entries the last record used past this one's counts are cleared;
     * the rest were never set (out starts zeroed) */
    for (i = 0; i < r->nreason || i < out->nreason; i++) {
        int k = i < r->nreason;
        out->reason[i].type = k ? val(&r->rtype[i]) : NULL;
        out->reason[i].comment = k ? val(&r->rcomment[i]) : NULL;
    }
    out->nreason = r->nreason;
    out->header_from = val(&r->header_from);
    out->envelope_from = val(&r->env_from);
    out->envelope_to = val(&r->env_to);
    for (i = 0; i < r->ndkim || i < out->ndkim; i++) {
        int k = i < r->ndkim;
        out->dkim_auth[i].domain = k ? val(&r->d_domain[i]) : NULL;
        out->dkim_auth[i].selector = k ? val(&r->d_selector[i]) : NULL;
        out->dkim_auth[i].result = k ? val(&r->d_result[i]) : NULL;
        out->dkim_auth[i].human_result = k ? val(&r->d_human[i]) : NULL;
    }
    out->ndkim = r->ndkim;
    for (i = 0; i < r->nspf || i < out->nspf; i++) {
        int k = i < r->nspf;
        out->spf_auth[i].domain = k ? val(&r->s_domain[i]) : NULL;
        out->spf_auth[i].scope = k ? val(&r->s_scope[i]) : NULL;
        out->spf_auth[i].result = k ? val(&r->s_result[i]) : NULL;
        out->spf_auth[i].human_result = k ? val(&r->s_human[i]) : NULL;
    }
    out->nspf = r->nspf;
    p->nrecords++;
    if (p->cb.record && p->cb.record(p->cbctx, out) != 0)
        refuse(p, INK_REPORT_E_STOPPED, r->offset, "stopped at record %zu", p->nrecords);
}

/* slot_for - where a finished leaf's text goes (NULL: not kept) */
static struct field *slot_for(struct ink_report_parser *p, enum el id)
{
    struct meta_buf *m = &p->m;
    struct rec_buf *r = &p->r;
    size_t d = r->ndkim ? r->ndkim - 1 : 0, s = r->nspf ? r->nspf - 1 : 0,
           k = r->nreason ? r->nreason - 1 : 0;
    int dk = r->dkim_seen <= INK_REPORT_AUTH_MAX, sk = r->spf_seen <= INK_REPORT_AUTH_MAX,
        rk = r->reasons_seen <= INK_REPORT_REASONS_MAX;

    switch (id) {
    case EL_VERSION: return &m->version;
    case EL_ORG_NAME: return &m->org_name;
    case EL_EMAIL: return &m->email;
    case EL_EXTRA: return &m->extra;
    case EL_REPORT_ID: return &m->report_id;
    case EL_BEGIN: return &m->begin;
    case EL_END: return &m->end;
    case EL_ERROR: return m->error.set ? NULL : &m->error;
    case EL_GENERATOR: return &m->generator;
    case EL_P_DOMAIN: return &m->domain;
    case EL_P_ADKIM: return &m->adkim;
    case EL_P_ASPF: return &m->aspf;
    case EL_P_P: return &m->p;
    case EL_P_SP: return &m->sp;
    case EL_P_NP: return &m->np;
    case EL_P_PCT: return &m->pct;
    case EL_P_FO: return &m->fo;
    case EL_P_TESTING: return &m->testing;
    case EL_P_DISCOVERY: return &m->discovery;
    case EL_SOURCE_IP: return &r->source_ip;
    case EL_COUNT: return &r->count;
    case EL_DISPOSITION: return &r->disposition;
    case EL_EV_DKIM: return &r->dkim;
    case EL_EV_SPF: return &r->spf;
    case EL_REASON_TYPE: return rk && r->nreason ? &r->rtype[k] : NULL;
    case EL_REASON_COMMENT: return rk && r->nreason ? &r->rcomment[k] : NULL;
    case EL_ENVELOPE_TO: return &r->env_to;
    case EL_ENVELOPE_FROM: return &r->env_from;
    case EL_HEADER_FROM: return &r->header_from;
    case EL_DKIM_DOMAIN: return dk && r->ndkim ? &r->d_domain[d] : NULL;
    case EL_DKIM_SELECTOR: return dk && r->ndkim ? &r->d_selector[d] : NULL;
    case EL_DKIM_RESULT: return dk && r->ndkim ? &r->d_result[d] : NULL;
    case EL_DKIM_HUMAN: return dk && r->ndkim ? &r->d_human[d] : NULL;
    case EL_SPF_DOMAIN: return sk && r->nspf ? &r->s_domain[s] : NULL;
    case EL_SPF_SCOPE: return sk && r->nspf ? &r->s_scope[s] : NULL;
    case EL_SPF_RESULT: return sk && r->nspf ? &r->s_result[s] : NULL;
    case EL_SPF_HUMAN: return sk && r->nspf ? &r->s_human[s] : NULL;
    default: return NULL;
    }
}

/* lookup - the element a name is under a parent, and its kind */
static const struct el_def *lookup(const struct ink_report_parser *p, enum el parent,
                                   const xmlChar *name)
{
    size_t i;

    /* the table lists each parent's children together: start at the
     * first (p->first_child, found once in ink_report_new), stop after
     * the last (a report names each element once per record, so this is
     * the parser's inner loop) */
    for (i = p->first_child[parent]; i < EL_TABLE_N && el_table[i].parent == parent; i++)
        if (el_table[i].name[0] == (char)name[0] &&
            strcmp(el_table[i].name, (const char *)name) == 0)
            return &el_table[i];
    return NULL;
}

/* Namespaces of the formats. */
#define NS_DRAFT01 "http://dmarc.org/dmarc-xml/0.1"
#define NS_RFC9990 "urn:ietf:params:xml:ns:dmarc-2.0"

/* on_start - an element opens */
static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                     int nns, const xmlChar **ns, int nattr, int ndef, const xmlChar **attrs)
{
    struct ink_report_parser *p = ctx;
    const struct el_def *def;
    enum el parent = p->stack[p->depth];

    (void)prefix, (void)nns, (void)ns, (void)nattr, (void)ndef, (void)attrs;
    if (p->err != INK_REPORT_OK)
        return;
    if (p->depth >= p->depth_max) {
        refuse(p, INK_REPORT_E_LIMIT, offset_now(p),
               "elements nested deeper than %zu at <%.64s>", p->depth_max, (const char *)local);
        return;
    }
    if (p->skip_depth) {
        p->stack[++p->depth] = EL_UNKNOWN;
        p->defs[p->depth] = NULL;
        return;
    }
    if (parent == EL_ROOT) {
        if (strcmp((const char *)local, "feedback") != 0) {
            refuse(p, INK_REPORT_E_NOT_REPORT, offset_now(p),
                   "the document element is <%.64s>, not <feedback>: not a DMARC aggregate report",
                   (const char *)local);
            return;
        }
        if (uri == NULL || uri[0] == '\0')
            p->format = INK_REPORT_FORMAT_RFC7489;
        else if (strcmp((const char *)uri, NS_DRAFT01) == 0)
            p->format = INK_REPORT_FORMAT_DRAFT01;
        else if (strcmp((const char *)uri, NS_RFC9990) == 0)
            p->format = INK_REPORT_FORMAT_RFC9990;
        else {
            p->format = INK_REPORT_FORMAT_UNKNOWN;
            note(p, INK_REPORT_NOTE_UNKNOWN_NAMESPACE);
        }
        p->seen_root = 1;
    }
    def = lookup(p, parent, local);
    if (def == NULL || def->kind == K_SKIP) {
        if (def == NULL)
            note(p, INK_REPORT_NOTE_UNKNOWN_ELEMENT);
        p->stack[++p->depth] = EL_UNKNOWN;
        p->defs[p->depth] = NULL;
        p->skip_depth = p->depth;
        return;
    }
    p->stack[++p->depth] = def->id;
    p->defs[p->depth] = def;
    switch (def->id) {
    case EL_META: p->seen_meta = 1; break;
    case EL_POLICY: p->seen_policy = 1; break;
    case EL_RECORD:
        if (!p->meta_done && finish_meta(p) < 0)
            return;
        if (p->nrecords >= p->records_max) {
            refuse(p, INK_REPORT_E_LIMIT, offset_now(p), "more than %zu records in one report",
                   p->records_max);
            return;
        }
        rec_reset(&p->r);
        p->r.offset = offset_now(p);
        break;
    case EL_REASON:
        if (++p->r.reasons_seen <= INK_REPORT_REASONS_MAX)
            p->r.nreason++;
        else
            note(p, INK_REPORT_NOTE_EXTRA_AUTH);
        break;
    case EL_AUTH_DKIM:
        if (++p->r.dkim_seen <= INK_REPORT_AUTH_MAX)
            p->r.ndkim++;
        else
            note(p, INK_REPORT_NOTE_EXTRA_AUTH);
        break;
    case EL_AUTH_SPF:
        if (++p->r.spf_seen <= INK_REPORT_AUTH_MAX)
            p->r.nspf++;
        else
            note(p, INK_REPORT_NOTE_EXTRA_AUTH);
        break;
    default: break;
    }
    if (def->kind != K_NONE) {
        p->collecting = 1;
        ink_str_truncate(&p->text, 0);
    }
}

/* on_end - an element closes */
static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
    struct ink_report_parser *p = ctx;
    enum el id;
    const struct el_def *def;

    (void)local, (void)prefix, (void)uri;
    if (p->err != INK_REPORT_OK || p->depth == 0)
        return;
    id = p->stack[p->depth];
    if (p->skip_depth) {
        if (p->skip_depth == p->depth)
            p->skip_depth = 0;
        p->depth--;
        return;
    }
    def = p->defs[p->depth];
    p->depth--;
    if (p->collecting) {
        struct field *slot = slot_for(p, id);
        p->collecting = 0;
        if (slot != NULL && def != NULL)
            take(p, slot, id, def->kind);
        return;
    }
    if (id == EL_RECORD)
        finish_record(p);
    else if (id == EL_FEEDBACK)
        if (!p->meta_done)
            finish_meta(p); /* a report without records */
}

/* on_text - character data (and CDATA) */
static void on_text(void *ctx, const xmlChar *s, int len)
{
    struct ink_report_parser *p = ctx;

    if (p->err != INK_REPORT_OK || !p->collecting || p->skip_depth || len <= 0)
        return;
    if ((size_t)len > p->field_max - p->text.len) {
        const struct el_def *def = NULL;
        size_t i;
        for (i = 0; i < EL_TABLE_N; i++)
            if (el_table[i].id == p->stack[p->depth])
                def = &el_table[i];
        refuse(p, INK_REPORT_E_LIMIT, offset_now(p), "<%s> longer than %zu bytes",
               def ? def->name : "?", p->field_max);
        return;
    }
    if (ink_str_append(&p->text, s, (size_t)len) < 0)
        refuse(p, INK_REPORT_E_NOMEM, offset_now(p), "out of memory");
}

/* on_dtd - a DOCTYPE: refused before its declarations are read */
static void on_dtd(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
    struct ink_report_parser *p = ctx;

    (void)name, (void)ext, (void)sys;
    refuse(p, INK_REPORT_E_DTD, offset_now(p),
           "document type declaration refused (DMARC reports have none; entities and external "
           "entities are not read)");
}

/* on_entity_decl - unreachable after on_dtd stops, kept as a second lock */
static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
                           const xmlChar *sys, xmlChar *content)
{
    struct ink_report_parser *p = ctx;

    (void)name, (void)type, (void)pub, (void)sys, (void)content;
    refuse(p, INK_REPORT_E_DTD, offset_now(p), "entity declaration refused");
}

/* on_get_entity - no entity exists besides the five predefined ones,
 * which libxml2 resolves itself */
static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name)
{
    (void)ctx, (void)name;
    return NULL;
}

/* on_error - libxml2's structured errors: the first fatal one refuses */
static void on_error(void *ctx, xmlErrorPtr e)
{
    struct ink_report_parser *p = ctx;
    char m[REPORT_MSG_MAX];
    size_t n, i;

    if (e == NULL || e->level < XML_ERR_ERROR || p->err != INK_REPORT_OK)
        return;
    snprintf(m, sizeof(m), "%s", e->message ? e->message : "XML error");
    n = strlen(m);
    while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
        m[--n] = '\0';
    for (i = 0; i < n; i++)
        if ((unsigned char)m[i] < 0x20 || (unsigned char)m[i] > 0x7e)
            m[i] = '?';
    refuse(p, INK_REPORT_E_XML, offset_now(p), "invalid XML at line %d column %d: %s", e->line,
           e->int2, m);
}

/* table_grouped - every parent's children are adjacent in el_table */
static int table_grouped(void)
{
    size_t i, j;

    for (i = 1; i < EL_TABLE_N; i++)
        if (el_table[i].parent != el_table[i - 1].parent)
            for (j = 0; j + 1 < i; j++)
                if (el_table[j].parent == el_table[i].parent)
                    return 0;
    return 1;
}

/* ink_report_new - a parser over pushed bytes */
struct ink_report_parser *ink_report_new(const struct ink_report_limits *lim,
                                         const struct ink_report_callbacks *cb, void *ctx)
{
    struct ink_report_parser *p;
    xmlSAXHandler sax;
    size_t i;

    assert(table_grouped());
    _Static_assert(EL_TABLE_N < 256, "first_child holds a table index in a byte");
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    if (cb)
        p->cb = *cb;
    p->cbctx = ctx;
    p->records_max = lim && lim->records_max ? lim->records_max : INK_REPORT_RECORDS_MAX;
    p->depth_max = lim && lim->depth_max && lim->depth_max < INK_REPORT_DEPTH_MAX
                       ? lim->depth_max
                       : INK_REPORT_DEPTH_MAX;
    p->field_max = lim && lim->field_max && lim->field_max < INK_REPORT_FIELD_MAX
                       ? lim->field_max
                       : INK_REPORT_FIELD_MAX;
    p->stack[0] = EL_ROOT;
    ink_str_init(&p->text);
    for (i = 0; i < EL_COUNT_; i++)
        p->first_child[i] = (unsigned char)EL_TABLE_N;
    for (i = EL_TABLE_N; i-- > 0;)
        p->first_child[el_table[i].parent] = (unsigned char)i;

    memset(&sax, 0, sizeof(sax));
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = on_start;
    sax.endElementNs = on_end;
    sax.characters = on_text;
    sax.cdataBlock = on_text;
    sax.internalSubset = on_dtd;
    sax.externalSubset = on_dtd;
    sax.entityDecl = on_entity_decl;
    sax.getEntity = on_get_entity;
    sax.getParameterEntity = on_get_entity;
    sax.serror = on_error;
    xmlInitParser();
    p->ctxt = xmlCreatePushParserCtxt(&sax, p, NULL, 0, NULL);
    if (p->ctxt == NULL) {
        free(p);
        return NULL;
    }
    /* NONET: never fetch; no NOENT (substitution), DTDLOAD, DTDATTR or
     * HUGE (libxml2's own size limits stay on) */
    xmlCtxtUseOptions(p->ctxt, XML_PARSE_NONET | XML_PARSE_NOWARNING);
    return p;
}

/* on_generic - libxml2's unstructured messages (encoding errors print
 * through it): dropped, as the structured error (on_error) says it */
static void on_generic(void *ctx, const char *fmt, ...)
{
    (void)ctx, (void)fmt;
}

/* parse_chunk - xmlParseChunk with libxml2's generic error printer (which
 * writes to stderr) replaced for the call, then restored */
static int parse_chunk(struct ink_report_parser *p, const char *buf, int n, int end)
{
    xmlGenericErrorFunc old = xmlGenericError;
    void *oldctx = xmlGenericErrorContext;
    int rc;

    xmlSetGenericErrorFunc(NULL, on_generic);
    rc = xmlParseChunk(p->ctxt, buf, n, end);
    xmlSetGenericErrorFunc(oldctx, old);
    return rc;
}

/* ink_report_feed - push bytes */
int ink_report_feed(struct ink_report_parser *p, const uint8_t *buf, size_t len)
{
    while (p->err == INK_REPORT_OK && len > 0) {
        /* xmlParseChunk takes an int */
        size_t n = len > (size_t)INT_MAX ? (size_t)INT_MAX : len;
        int rc = parse_chunk(p, (const char *)buf, (int)n, 0);
        p->fed += n;
        buf += n;
        len -= n;
        if (rc != 0 && p->err == INK_REPORT_OK)
            refuse(p, INK_REPORT_E_XML, offset_now(p), "invalid XML (libxml2 error %d)", rc);
    }
    return p->err == INK_REPORT_OK ? 0 : -1;
}

/* ink_report_finish - end of input */
int ink_report_finish(struct ink_report_parser *p)
{
    if (p->err == INK_REPORT_OK && p->fed == 0)
        refuse(p, INK_REPORT_E_XML, 0, "empty input: no XML document");
    if (p->err == INK_REPORT_OK) {
        int rc = parse_chunk(p, NULL, 0, 1);
        if (rc != 0 && p->err == INK_REPORT_OK)
            refuse(p, INK_REPORT_E_XML, offset_now(p), "invalid XML (libxml2 error %d)", rc);
    }
    if (p->err == INK_REPORT_OK && !p->seen_root)
        refuse(p, INK_REPORT_E_XML, p->fed, "empty input: no XML document");
    if (p->err == INK_REPORT_OK && !p->meta_done)
        refuse(p, INK_REPORT_E_XML, p->fed, "the report ends before </feedback>");
    return p->err == INK_REPORT_OK ? 0 : -1;
}

enum ink_report_error ink_report_error(const struct ink_report_parser *p)
{
    return p->err;
}

const char *ink_report_error_message(const struct ink_report_parser *p)
{
    return p->msg;
}

size_t ink_report_error_offset(const struct ink_report_parser *p)
{
    return p->err_offset;
}

size_t ink_report_records(const struct ink_report_parser *p)
{
    return p->nrecords;
}

/* ink_report_note_count - a note's count and first offset */
size_t ink_report_note_count(const struct ink_report_parser *p, enum ink_report_note n,
                             size_t *offset)
{
    if ((unsigned)n >= INK_REPORT_NOTE_COUNT)
        return 0;
    if (offset)
        *offset = p->note_offset[n];
    return p->note_count[n];
}

/* ink_report_note_name - a note's stable name */
const char *ink_report_note_name(enum ink_report_note n)
{
    static const char *const names[INK_REPORT_NOTE_COUNT] = {
        "upper-case",     "whitespace",    "missing-optional", "long-range", "unknown-namespace",
        "unknown-element", "unknown-value", "extra-results"};

    return (unsigned)n < INK_REPORT_NOTE_COUNT ? names[n] : "?";
}

/* ink_report_format_name - a format's stable name */
const char *ink_report_format_name(enum ink_report_format f)
{
    switch (f) {
    case INK_REPORT_FORMAT_RFC7489: return "rfc7489";
    case INK_REPORT_FORMAT_DRAFT01: return "draft-0.1";
    case INK_REPORT_FORMAT_RFC9990: return "rfc9990";
    case INK_REPORT_FORMAT_UNKNOWN: return "unknown-namespace";
    }
    return "?";
}

/* ink_report_free - free everything */
void ink_report_free(struct ink_report_parser *p)
{
    if (p == NULL)
        return;
    if (p->ctxt)
        xmlFreeParserCtxt(p->ctxt);
    meta_free(&p->m);
    rec_free(&p->r);
    ink_str_free(&p->text);
    free(p);
}

/* ink_report_parse - one buffer, start to end */
int ink_report_parse(const uint8_t *buf, size_t len, const struct ink_report_limits *lim,
                     const struct ink_report_callbacks *cb, void *ctx,
                     enum ink_report_error *err, char *msg, size_t msglen, size_t *offset)
{
    struct ink_report_parser *p = ink_report_new(lim, cb, ctx);
    int rc;

    if (p == NULL) {
        if (err)
            *err = INK_REPORT_E_NOMEM;
        if (msg && msglen)
            snprintf(msg, msglen, "out of memory");
        return -1;
    }
    rc = ink_report_feed(p, buf, len);
    if (rc == 0)
        rc = ink_report_finish(p);
    if (err)
        *err = p->err;
    if (msg && msglen)
        snprintf(msg, msglen, "%s", p->msg);
    if (offset)
        *offset = p->err_offset;
    ink_report_free(p);
    return rc;
}

/* ink_report_source_class - classify a source by its totals (report.h) */
const char *ink_report_source_class(uint64_t messages, uint64_t dmarc_pass,
                                    uint64_t spf_aligned_pass, uint64_t dkim_aligned_pass,
                                    uint64_t fail_authenticated)
{
    if (dmarc_pass >= messages)
        return "aligned";
    if (fail_authenticated > 0)
        return "legitimate-failing";
    if (dkim_aligned_pass > 0 && spf_aligned_pass == 0)
        return "forwarder";
    return "unknown";
}
