/*
 * evlog.c - the row of one inbound evaluation (inkan/evlog.h): filling it
 * from a finished message machine and the policy's verdict.  Sans-I/O:
 * the time, the key and the queue id come from the caller.
 */
#include "inkan/evlog.h"

#include <string.h>

#include "inkan/dkim.h"
#include "inkan/dmarc.h"
#include "inkan/mailhdr.h"
#include "inkan/spf.h"

/* ink_evrow_clear - every field empty */
void ink_evrow_clear(struct ink_evrow *r)
{
    memset(r, 0, sizeof(*r));
}

/* ink_evrow_set - bounded, printable copy (see evlog.h) */
void ink_evrow_set(char *dst, size_t cap, const char *src, size_t len)
{
    size_t i;

    if (cap == 0)
        return;
    if (src == NULL)
        len = 0;
    for (i = 0; i < len && i + 1 < cap && src[i] != '\0'; i++) {
        unsigned char c = (unsigned char)src[i];

        dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    dst[i] = '\0';
}

/* set_cstr - a C string (or NULL: "") into a field */
static void set_cstr(char *dst, size_t cap, const char *src)
{
    ink_evrow_set(dst, cap, src, src != NULL ? strlen(src) : 0);
}

/* set_lower - a domain into a field, ASCII lower case (DMARC compares
 * domains without case; rows group by them) */
static void set_lower(char *dst, size_t cap, const char *src, size_t len)
{
    char *p;

    ink_evrow_set(dst, cap, src, len);
    for (p = dst; *p != '\0'; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
}

/* addr_domain - the domain of an address ("" for the null path and for
 * text without '@'); a trailing '>' of a path left in is not taken */
static void addr_domain(char *dst, size_t cap, const char *addr)
{
    const char *at, *end;

    dst[0] = '\0';
    if (addr == NULL || (at = strrchr(addr, '@')) == NULL)
        return;
    at++;
    end = at + strcspn(at, "> \t");
    set_lower(dst, cap, at, (size_t)(end - at));
}

/* add_rcpt_domains - the recipients' distinct domains, in order, space-
 * separated, up to INK_EVROW_RCPT_DOMAINS_MAX */
static void add_rcpt_domains(struct ink_evrow *r, const struct ink_inbound *m)
{
    size_t i, n = ink_inbound_nrcpt(m), kept = 0, used = 0;
    char d[INK_EVROW_DOMAIN_MAX];

    for (i = 0; i < n && kept < INK_EVROW_RCPT_DOMAINS_MAX; i++) {
        size_t dl;
        const char *p = r->envelope_to;
        int seen = 0;

        addr_domain(d, sizeof(d), ink_inbound_rcpt(m, i));
        dl = strlen(d);
        if (dl == 0)
            continue;
        while (*p != '\0') {
            size_t w = strcspn(p, " ");

            if (w == dl && memcmp(p, d, dl) == 0)
                seen = 1;
            p += w;
            if (*p == ' ')
                p++;
        }
        if (seen || used + (used > 0) + dl + 1 > sizeof(r->envelope_to))
            continue;
        if (used > 0)
            r->envelope_to[used++] = ' ';
        memcpy(r->envelope_to + used, d, dl + 1);
        used += dl;
        kept++;
    }
}

/* message_id - the first Message-ID field's value, trimmed */
static void message_id(struct ink_evrow *r, const struct ink_inbound *m)
{
    const struct ink_mailhdr *h = ink_inbound_header(m);
    size_t i, n = h != NULL ? ink_mailhdr_count(h) : 0;

    for (i = 0; i < n; i++) {
        const struct ink_mailhdr_field *f = ink_mailhdr_field(h, i);
        const uint8_t *v, *e;

        if (f == NULL || !ink_mailhdr_name_is(f, "Message-ID", 10))
            continue;
        v = f->raw + f->value_off;
        e = f->raw + f->len;
        while (v < e && (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n'))
            v++;
        while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
            e--;
        ink_evrow_set(r->message_id, sizeof(r->message_id), (const char *)v, (size_t)(e - v));
        return;
    }
}

/* policy_published - the applied record's tags */
static void policy_published(struct ink_evrow *r, const struct ink_inbound_dmarc *d)
{
    const struct ink_dmarc_record *rec;

    if (d->disc == NULL || d->disc->record == NULL)
        return;
    rec = d->disc->record;
    set_lower(r->policy_domain, sizeof(r->policy_domain), d->disc->policy_domain,
              d->disc->policy_domain != NULL ? strlen(d->disc->policy_domain) : 0);
    /* p as the receiver applies it (a missing or bad p with rua is none) */
    set_cstr(r->p, sizeof(r->p),
             ink_dmarc_policy_name(rec->p != INK_DMARC_P_UNSET ? rec->p
                                                               : ink_dmarc_record_usable(rec)));
    set_cstr(r->sp, sizeof(r->sp), ink_dmarc_policy_name(rec->sp));
    set_cstr(r->np, sizeof(r->np), ink_dmarc_policy_name(rec->np));
    set_cstr(r->t, sizeof(r->t),
             rec->t == INK_DMARC_FLAG_YES ? "y" : rec->t == INK_DMARC_FLAG_NO ? "n" : "");
    set_cstr(r->adkim, sizeof(r->adkim), ink_dmarc_align_name(d->eval.adkim));
    set_cstr(r->aspf, sizeof(r->aspf), ink_dmarc_align_name(d->eval.aspf));
}

/* ink_evrow_from_inbound - one row from a finished evaluation */
void ink_evrow_from_inbound(struct ink_evrow *r, const struct ink_inbound *m,
                            const struct ink_verdict *v, int64_t now, const char *key,
                            const char *queue_id)
{
    const struct ink_inbound_spf *sp = ink_inbound_spf(m);
    const struct ink_inbound_dmarc *d = ink_inbound_dmarc(m);
    const struct ink_dkim_verify *dk = ink_inbound_dkim(m);
    const char *disp = "none";
    size_t i, n;

    ink_evrow_clear(r);
    set_cstr(r->key, sizeof(r->key), key);
    r->at = now;
    set_cstr(r->queue_id, sizeof(r->queue_id), queue_id);
    message_id(r, m);
    set_cstr(r->source_ip, sizeof(r->source_ip), ink_inbound_ip(m));
    if (d->author_domain != NULL)
        set_lower(r->header_from, sizeof(r->header_from), d->author_domain,
                  strlen(d->author_domain));
    addr_domain(r->envelope_from, sizeof(r->envelope_from), ink_inbound_mail_from(m));
    add_rcpt_domains(r, m);

    set_cstr(r->spf_result, sizeof(r->spf_result), ink_spf_result_name(sp->result));
    if (sp->domain != NULL)
        set_lower(r->spf_domain, sizeof(r->spf_domain), sp->domain, strlen(sp->domain));
    set_cstr(r->spf_scope, sizeof(r->spf_scope), sp->from_helo ? "helo" : "mfrom");

    n = ink_dkim_verify_count(dk);
    for (i = 0; i < n; i++) {
        const struct ink_dkim_result *k = ink_dkim_verify_result(dk, i);

        if (k == NULL)
            continue;
        if (r->ndkim == INK_EVROW_DKIM_MAX) {
            r->dkim_unlisted++;
            continue;
        }
        set_lower(r->dkim[r->ndkim].domain, sizeof(r->dkim[0].domain), k->d, strlen(k->d));
        set_cstr(r->dkim[r->ndkim].selector, sizeof(r->dkim[0].selector), k->s);
        set_cstr(r->dkim[r->ndkim].result, sizeof(r->dkim[0].result),
                 ink_dkim_result_name(k->code));
        r->ndkim++;
    }
    r->dkim_unlisted += ink_dkim_verify_skipped(dk);

    set_cstr(r->dmarc_result, sizeof(r->dmarc_result), ink_dmarc_outcome_name(d->result));
    set_cstr(r->dmarc_spf, sizeof(r->dmarc_spf), d->eval.spf_aligned ? "pass" : "fail");
    set_cstr(r->dmarc_dkim, sizeof(r->dmarc_dkim), d->eval.dkim_aligned ? "pass" : "fail");
    if (v->action == INK_VERDICT_REJECT)
        disp = "reject";
    else if (v->action == INK_VERDICT_QUARANTINE)
        disp = "quarantine";
    set_cstr(r->disposition, sizeof(r->disposition), disp);
    set_cstr(r->override, sizeof(r->override), v->override);
    if (v->override != NULL)
        set_cstr(r->override_comment, sizeof(r->override_comment), v->comment);
    policy_published(r, d);
}
