/*
 * report_fix.c - the DNS changes that fix a policy domain's legitimate
 * failing report sources (inkan/report_fix.h): the SPF terms merged into
 * the current record with the one SPF editor, the DKIM selector to
 * publish (or what to ask the platform for), and the relaxed alignment
 * mode in the _dmarc record when strict mode is what fails.  No I/O: the
 * current records are given.
 */
#include <libpsl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inkan/dmarc.h"
#include "inkan/dns.h"
#include "inkan/report_fix.h"
#include "inkan/spf.h"
#include "inkan/zonefile.h"

/* Bytes of one SPF term: "include:" and a name. */
#define FIX_TERM_MAX (INK_FIX_NAME_MAX + sizeof("include:"))
/* Bytes of an address as text (IPv6 with an IPv4 tail is 45, plus NUL). */
#define FIX_ADDR_TEXT_MAX 64
/* Bytes of a DKIM owner or target: selector, "._domainkey.", domain. */
#define FIX_DKIM_NAME_MAX (2 * INK_FIX_NAME_MAX + sizeof("._domainkey."))
/* Bytes of the alignment tags set ("aspf=r adkim=r"). */
#define FIX_TAGS_MAX 32

/* What pass one decided for one source. */
struct fix_src {
    char *terms;          /* SPF terms it needs, space-separated, or NULL */
    int spf_strict;       /* SPF passed for another name of the organisation */
    int dkim_strict;      /* DKIM passed for another name of the organisation */
    int has_dkim;         /* some DKIM d= outside the organisation passed */
    int spf_included;     /* an include it would need is in the record already */
    size_t ch[INK_FIX_PER_SOURCE_MAX];
    size_t nch;
};

struct ink_fix_advice {
    char domain[INK_FIX_NAME_MAX];
    const psl_ctx_t *psl;
    struct ink_fix_change ch[INK_FIX_CHANGES_MAX];
    char *ask_key[INK_FIX_CHANGES_MAX]; /* DKIM_ASK: the platform or address asked */
    size_t nch;
    size_t dropped;
    size_t spf_index;     /* (size_t)-1: none */
    struct fix_src *src;
    size_t nsrc;
};

/* ink_fix_kind_name - the kind as JSON and the docs spell it (static) */
const char *ink_fix_kind_name(enum ink_fix_kind k)
{
    switch (k) {
    case INK_FIX_SPF: return "spf";
    case INK_FIX_DKIM_SELECTOR: return "dkim-selector";
    case INK_FIX_DKIM_ASK: return "dkim-ask";
    case INK_FIX_ALIGNMENT: return "dmarc-alignment";
    }
    return "?";
}

/* ink_fix_rec_name - "unknown", "none", "found" (static) */
const char *ink_fix_rec_name(enum ink_fix_rec s)
{
    return s == INK_FIX_REC_FOUND ? "found" : s == INK_FIX_REC_NONE ? "none" : "unknown";
}

/* change_free - the strings of one change */
static void change_free(struct ink_fix_change *c)
{
    free(c->owner);
    free(c->old_value);
    free(c->old_line);
    free(c->new_value);
    free(c->zone_line);
    free(c->terms);
    free(c->note);
    free(c->warning);
}

/* ink_fix_free - release a and everything it owns; NULL is a no-op */
void ink_fix_free(struct ink_fix_advice *a)
{
    size_t i;

    if (a == NULL)
        return;
    for (i = 0; i < a->nch; i++) {
        change_free(&a->ch[i]);
        free(a->ask_key[i]);
    }
    for (i = 0; i < a->nsrc; i++)
        free(a->src[i].terms);
    free(a->src);
    free(a);
}

/* host_ok - name (len bytes) is a host name that may go into a record
 * as it is: letters, digits, '-', '_' and dots, no empty label, at most
 * INK_DNS_NAME_MAX; normalised (lower case, no trailing dot) into out */
static int host_ok(const char *name, size_t len, char out[INK_FIX_NAME_MAX])
{
    size_t i;
    int n;

    for (i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    n = ink_dns_name_normalize(name, len, out, INK_FIX_NAME_MAX);
    return n > 0 && strchr(out, '.') != NULL;
}

/* org - the organisational domain of name (PSL), name itself when the
 * list knows none (static to the list or name) */
static const char *org(const struct ink_fix_advice *a, const char *name)
{
    const char *r = a->psl != NULL ? psl_registrable_domain(a->psl, name) : NULL;

    return r != NULL ? r : name;
}

/* same_org - name is the policy domain or shares its organisational domain */
static int same_org(const struct ink_fix_advice *a, const char *name)
{
    return ink_dns_name_eq(name, a->domain) || ink_dns_name_eq(org(a, name), org(a, a->domain));
}

/* next_word - the next space-separated word of *p (its length in *len),
 * or NULL at the end; *p moves past it */
static const char *next_word(const char **p, size_t *len)
{
    const char *w = *p, *e;

    if (w == NULL)
        return NULL;
    while (*w == ' ')
        w++;
    if (*w == '\0')
        return NULL;
    e = w;
    while (*e != '\0' && *e != ' ')
        e++;
    *len = (size_t)(e - w);
    *p = e;
    return w;
}

/* record_includes - the SPF record text names include:host at its top level */
static int record_includes(const char *rec, const char *host)
{
    struct ink_spf_record *r;
    size_t i, n;
    int found = 0;

    if (rec == NULL)
        return 0;
    r = ink_spf_record_parse((const uint8_t *)rec, strlen(rec));
    if (r == NULL)
        return 0;
    n = ink_spf_record_nterms(r);
    for (i = 0; i < n && !found; i++) {
        const struct ink_spf_term *t = ink_spf_record_term(r, i);
        char name[INK_FIX_NAME_MAX];
        if (t->kind != INK_SPF_T_INCLUDE || t->arg.len == 0 || t->arg.len >= sizeof(name))
            continue;
        memcpy(name, t->arg.p, t->arg.len);
        name[t->arg.len] = '\0';
        found = ink_dns_name_eq(name, host);
    }
    ink_spf_record_free(r);
    return found;
}

/* add_term - append term to the space-separated list *list unless there;
 * 0, or -1 out of memory */
static int add_term(char **list, const char *term)
{
    struct ink_str s = INK_STR_INIT;
    const char *p = *list, *w;
    size_t len;

    while ((w = next_word(&p, &len)) != NULL)
        if (len == strlen(term) && strncasecmp(w, term, len) == 0)
            return 0;
    if ((*list != NULL && (ink_str_puts(&s, *list) < 0 || ink_str_putc(&s, ' ') < 0)) ||
        ink_str_puts(&s, term) < 0) {
        ink_str_free(&s);
        return -1;
    }
    free(*list);
    *list = ink_str_steal(&s);
    return *list != NULL ? 0 : -1;
}

/* count_terms - words in a space-separated list */
static size_t count_terms(const char *list)
{
    const char *p = list;
    size_t n = 0, len;

    while (next_word(&p, &len) != NULL)
        n++;
    return n;
}

/* source_terms - pass one over source s: the SPF terms it needs and what
 * kind of failure it shows.  0, or -1 out of memory. */
static int source_terms(struct ink_fix_advice *a, const struct ink_fix_current *cur,
                        const struct ink_fix_source *s, struct fix_src *f)
{
    const char *p = s->spf_domains, *w;
    char host[INK_FIX_NAME_MAX], term[FIX_TERM_MAX];
    size_t len;
    int any_spf = 0;

    while ((w = next_word(&p, &len)) != NULL) {
        if (!host_ok(w, len, host))
            continue; /* not a name to put in a record */
        any_spf = 1;
        if (same_org(a, host)) {
            f->spf_strict = 1;
            continue;
        }
        if (cur->spf_state == INK_FIX_REC_FOUND && record_includes(cur->spf, host)) {
            f->spf_included = 1; /* only the return path is not aligned */
            continue;
        }
        if (count_terms(f->terms) >= INK_FIX_TERMS_MAX) {
            a->dropped++;
            continue;
        }
        snprintf(term, sizeof(term), "include:%s", host);
        if (add_term(&f->terms, term) < 0)
            return -1;
    }
    p = s->dkim_domains;
    while ((w = next_word(&p, &len)) != NULL) {
        const char *slash = memchr(w, '/', len);
        size_t dl = slash != NULL ? (size_t)(slash - w) : len;
        if (!host_ok(w, dl, host))
            continue;
        if (same_org(a, host))
            f->dkim_strict = 1;
        else
            f->has_dkim = 1;
    }
    if (!any_spf && !f->has_dkim && !f->dkim_strict && s->ip != NULL) {
        /* nothing authenticated (a source the owner says is theirs): its address */
        int fam;
        uint8_t addr[16];
        char text[FIX_ADDR_TEXT_MAX];
        if (ink_ip_parse(s->ip, strlen(s->ip), &fam, addr) == 0) {
            ink_ip_format(fam, addr, text, sizeof(text));
            snprintf(term, sizeof(term), "ip%d:%s", fam == 4 ? 4 : 6, text);
            if (add_term(&f->terms, term) < 0)
                return -1;
        }
    }
    return 0;
}

/* new_change - the next change slot (zeroed), or NULL when full (counted) */
static struct ink_fix_change *new_change(struct ink_fix_advice *a, enum ink_fix_kind kind,
                                         const char *type)
{
    struct ink_fix_change *c;

    if (a->nch >= INK_FIX_CHANGES_MAX) {
        a->dropped++;
        return NULL;
    }
    c = &a->ch[a->nch++];
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->type = type;
    return c;
}

/* txt_line - rec as a zone-file TXT line for owner (fresh), NULL out of memory */
static char *txt_line(const char *owner, const char *rec)
{
    struct ink_str s = INK_STR_INIT;

    if (ink_zone_txt_line_flags(&s, owner, 0, (const uint8_t *)rec, strlen(rec),
                                INK_ZONE_SPLIT_AT_SPACE | INK_ZONE_NO_TTL) < 0 || s.buf == NULL) {
        ink_str_free(&s);
        return NULL;
    }
    return ink_str_steal(&s);
}

/* dupf - a fresh formatted string, NULL out of memory */
static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *fmt, ...)
{
    struct ink_str s = INK_STR_INIT;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = ink_str_vprintf(&s, fmt, ap);
    va_end(ap);
    if (rc < 0 || s.buf == NULL) {
        ink_str_free(&s);
        return NULL;
    }
    return ink_str_steal(&s);
}

/* why - the reason a record was not read, for people */
static const char *why(const char *given)
{
    return given != NULL ? given : "not looked up";
}

/* spf_change - the one SPF change carrying every source's terms; 0 or -1 */
static int spf_change(struct ink_fix_advice *a, const struct ink_fix_current *cur)
{
    struct ink_fix_change *c;
    char *terms = NULL;
    size_t i;
    const char *p, *w;
    size_t len;

    for (i = 0; i < a->nsrc; i++) {
        char term[FIX_TERM_MAX];
        p = a->src[i].terms;
        while ((w = next_word(&p, &len)) != NULL) {
            if (len >= sizeof(term))
                continue;
            memcpy(term, w, len);
            term[len] = '\0';
            if (count_terms(terms) >= INK_FIX_TERMS_MAX) {
                a->dropped++;
                continue;
            }
            if (add_term(&terms, term) < 0) {
                free(terms);
                return -1;
            }
        }
    }
    if (terms == NULL)
        return 0;
    c = new_change(a, INK_FIX_SPF, "TXT");
    if (c == NULL) {
        free(terms);
        return 0;
    }
    a->spf_index = a->nch - 1;
    c->terms = terms;
    c->old_state = cur->spf_state;
    if ((c->owner = dupf("%s.", a->domain)) == NULL)
        return -1;
    if (cur->spf_state == INK_FIX_REC_FOUND && cur->spf != NULL) {
        int rc;
        if ((c->old_value = strdup(cur->spf)) == NULL ||
            (c->old_line = txt_line(c->owner, cur->spf)) == NULL)
            return -1;
        rc = ink_spf_edit_insert(cur->spf, strlen(cur->spf), terms, &c->new_value);
        if (rc == INK_SPF_EDIT_NOMEM)
            return -1;
        if (rc != INK_SPF_EDIT_OK) {
            c->note = dupf("the TXT record of %s is not an SPF record the editor can change: "
                           "add %s to it by hand, before its all term", a->domain, terms);
            return c->note != NULL ? 0 : -1;
        }
        c->note = dupf("merges %s into the SPF record of %s; SPF aligns only when the "
                       "platform sends with a return path (MAIL FROM) in %s, so ask it for "
                       "one too", terms, a->domain, a->domain);
    } else if (cur->spf_state == INK_FIX_REC_NONE) {
        c->new_value = dupf("v=spf1 %s ~all", terms);
        c->note = dupf("%s publishes no SPF record: this new one authorizes only %s; add "
                       "the domain's own servers (mx, a, ip4:...) before publishing it",
                       a->domain, terms);
        if (c->new_value == NULL)
            return -1;
    } else {
        c->note = dupf("the current SPF record of %s could not be read: %s; merge %s into "
                       "it, before its all term", a->domain, why(cur->spf_why), terms);
    }
    if (c->new_value != NULL && (c->zone_line = txt_line(c->owner, c->new_value)) == NULL)
        return -1;
    return c->note != NULL ? 0 : -1;
}

/* src_ref - note that source i needs change k */
static void src_ref(struct fix_src *f, size_t k)
{
    size_t j;

    for (j = 0; j < f->nch; j++)
        if (f->ch[j] == k)
            return;
    if (f->nch < INK_FIX_PER_SOURCE_MAX)
        f->ch[f->nch++] = k;
}

/* find_owner - the change of kind at owner, or (size_t)-1 */
static size_t find_owner(const struct ink_fix_advice *a, enum ink_fix_kind kind,
                         const char *owner)
{
    size_t i;

    for (i = 0; i < a->nch; i++)
        if (a->ch[i].kind == kind && ink_dns_name_eq(a->ch[i].owner, owner))
            return i;
    return (size_t)-1;
}

/* selector_ok - s (len bytes) is a DKIM selector: dot-separated labels of
 * letters, digits and '-' (RFC 6376 3.1) */
static int selector_ok(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || s[0] == '.' || s[len - 1] == '.')
        return 0;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || (c == '.' && s[i - 1] != '.')))
            return 0;
    }
    return 1;
}

/* ask_change - the placeholder for a source whose selector is unknown:
 * one per platform (or per source without one).  0 or -1. */
static int ask_change(struct ink_fix_advice *a, const struct ink_fix_source *s, size_t i)
{
    const char *who = s->platform != NULL ? s->platform : s->ip;
    struct ink_fix_change *c;
    size_t k;

    for (k = 0; k < a->nch; k++)
        if (a->ch[k].kind == INK_FIX_DKIM_ASK && a->ask_key[k] != NULL &&
            strcmp(a->ask_key[k], who) == 0) {
            src_ref(&a->src[i], k);
            return 0;
        }
    if ((c = new_change(a, INK_FIX_DKIM_ASK, "CNAME")) == NULL)
        return 0;
    src_ref(&a->src[i], a->nch - 1);
    if ((a->ask_key[a->nch - 1] = strdup(who)) == NULL)
        return -1;
    c->old_state = INK_FIX_REC_UNKNOWN;
    c->owner = dupf("SELECTOR._domainkey.%s.", a->domain);
    c->note = dupf("ask %s%s to sign its mail with d=%s and for its DKIM selector and key "
                   "record: publish that record (usually a CNAME to a key it hosts, or a "
                   "TXT with the public key) at SELECTOR._domainkey.%s",
                   s->platform != NULL ? "the platform " : "the sender at ", who, a->domain,
                   a->domain);
    return c->owner != NULL && c->note != NULL ? 0 : -1;
}

/* dkim_changes - the selectors source i signs with under another
 * organisation's d=, each a CNAME to the key receivers verified; 0 or -1 */
static int dkim_changes(struct ink_fix_advice *a, const struct ink_fix_source *s, size_t i)
{
    const char *p = s->dkim_domains, *w;
    char host[INK_FIX_NAME_MAX], owner[FIX_DKIM_NAME_MAX];
    size_t len, k;
    int asked = 0;

    while ((w = next_word(&p, &len)) != NULL) {
        const char *slash = memchr(w, '/', len);
        size_t dl = slash != NULL ? (size_t)(slash - w) : len, sl;
        struct ink_fix_change *c;
        char sel[INK_FIX_NAME_MAX], target[FIX_DKIM_NAME_MAX];
        if (!host_ok(w, dl, host) || same_org(a, host))
            continue;
        sl = slash != NULL ? len - dl - 1 : 0;
        if (slash == NULL || sl >= sizeof(sel) || !selector_ok(slash + 1, sl)) {
            if (!asked++ && ask_change(a, s, i) < 0)
                return -1;
            continue;
        }
        memcpy(sel, slash + 1, sl);
        sel[sl] = '\0';
        for (k = 0; sel[k]; k++)
            if (sel[k] >= 'A' && sel[k] <= 'Z')
                sel[k] = (char)(sel[k] - 'A' + 'a');
        if ((size_t)snprintf(owner, sizeof(owner), "%s._domainkey.%s.", sel, a->domain) >=
                sizeof(owner) ||
            (size_t)snprintf(target, sizeof(target), "%s._domainkey.%s.", sel, host) >=
                sizeof(target) ||
            strlen(owner) > INK_DNS_NAME_MAX + 1 || strlen(target) > INK_DNS_NAME_MAX + 1)
            continue; /* too long a name */
        k = find_owner(a, INK_FIX_DKIM_SELECTOR, owner);
        if (k != (size_t)-1) {
            if (strcmp(a->ch[k].new_value, target) == 0)
                src_ref(&a->src[i], k);
            else if (!asked++ && ask_change(a, s, i) < 0) {
                return -1; /* the name is another platform's already */
            }
            continue;
        }
        if ((c = new_change(a, INK_FIX_DKIM_SELECTOR, "CNAME")) == NULL)
            continue;
        src_ref(&a->src[i], a->nch - 1);
        c->old_state = INK_FIX_REC_UNKNOWN;
        c->owner = strdup(owner);
        c->new_value = strdup(target);
        c->terms = strdup(sel);
        c->zone_line = dupf("%s IN CNAME %s", owner, target);
        c->note = dupf("ask %s to sign with d=%s and selector %s (its custom DKIM domain "
                       "setting); this CNAME publishes the key its signatures verify with "
                       "now (%s); use the record it gives instead if it names another",
                       s->platform != NULL ? s->platform : s->ip, a->domain, sel, target);
        if (c->owner == NULL || c->new_value == NULL || c->terms == NULL ||
            c->zone_line == NULL || c->note == NULL)
            return -1;
    }
    return 0;
}

/* tag_value - the value span of tag name in a DMARC record's text:
 * *off and *len, 1 when found */
static int tag_value(const char *rec, const char *name, size_t *off, size_t *len)
{
    size_t i = 0, n = strlen(rec), nl = strlen(name);

    while (i < n) {
        size_t t0, t1, v0, v1;
        while (i < n && (rec[i] == ' ' || rec[i] == '\t'))
            i++;
        t0 = i;
        while (i < n && rec[i] != '=' && rec[i] != ';' && rec[i] != ' ' && rec[i] != '\t')
            i++;
        t1 = i;
        while (i < n && (rec[i] == ' ' || rec[i] == '\t'))
            i++;
        if (i < n && rec[i] == '=') {
            i++;
            while (i < n && (rec[i] == ' ' || rec[i] == '\t'))
                i++;
            v0 = i;
            while (i < n && rec[i] != ';')
                i++;
            v1 = i;
            while (v1 > v0 && (rec[v1 - 1] == ' ' || rec[v1 - 1] == '\t'))
                v1--;
            if (t1 - t0 == nl && strncasecmp(rec + t0, name, nl) == 0) {
                *off = v0;
                *len = v1 - v0;
                return 1;
            }
        }
        while (i < n && rec[i] != ';')
            i++;
        if (i < n)
            i++;
    }
    return 0;
}

/* set_relaxed - rec with the value of tag name replaced by "r" (fresh) */
static char *set_relaxed(const char *rec, const char *name)
{
    size_t off, len;
    struct ink_str s = INK_STR_INIT;

    if (!tag_value(rec, name, &off, &len))
        return strdup(rec);
    if (ink_str_append(&s, rec, off) < 0 || ink_str_putc(&s, 'r') < 0 ||
        ink_str_puts(&s, rec + off + len) < 0 || s.buf == NULL) {
        ink_str_free(&s);
        return NULL;
    }
    return ink_str_steal(&s);
}

/* alignment_change - aspf=r / adkim=r when a source authenticated for
 * another name of the organisation and the mode is strict; 0 or -1 */
static int alignment_change(struct ink_fix_advice *a, const struct ink_fix_current *cur)
{
    int want_spf = 0, want_dkim = 0, set_spf, set_dkim;
    struct ink_fix_change *c;
    char tags[FIX_TAGS_MAX];
    size_t i;

    for (i = 0; i < a->nsrc; i++) {
        want_spf |= a->src[i].spf_strict;
        want_dkim |= a->src[i].dkim_strict;
    }
    if (!want_spf && !want_dkim)
        return 0;
    set_spf = want_spf;
    set_dkim = want_dkim;
    if (cur->dmarc_state == INK_FIX_REC_NONE)
        return 0; /* nothing published to relax */
    if (cur->dmarc_state == INK_FIX_REC_FOUND) {
        struct ink_dmarc_record *r;
        if (cur->dmarc == NULL)
            return 0;
        r = ink_dmarc_record_parse((const uint8_t *)cur->dmarc, strlen(cur->dmarc));
        if (r == NULL)
            return -1;
        set_spf = want_spf && r->is_dmarc && r->aspf == INK_DMARC_ALIGN_STRICT;
        set_dkim = want_dkim && r->is_dmarc && r->adkim == INK_DMARC_ALIGN_STRICT;
        ink_dmarc_record_free(r);
        if (!set_spf && !set_dkim)
            return 0; /* relaxed already: strict mode is not what fails */
    }
    snprintf(tags, sizeof(tags), "%s%s%s", set_spf ? "aspf=r" : "",
             set_spf && set_dkim ? " " : "", set_dkim ? "adkim=r" : "");
    if ((c = new_change(a, INK_FIX_ALIGNMENT, "TXT")) == NULL)
        return 0;
    for (i = 0; i < a->nsrc; i++)
        if ((set_spf && a->src[i].spf_strict) || (set_dkim && a->src[i].dkim_strict))
            src_ref(&a->src[i], a->nch - 1);
    c->old_state = cur->dmarc_state;
    c->owner = dupf("_dmarc.%s.", a->domain);
    c->terms = strdup(tags);
    if (c->owner == NULL || c->terms == NULL)
        return -1;
    if (cur->dmarc_state == INK_FIX_REC_FOUND) {
        char *t1 = set_spf ? set_relaxed(cur->dmarc, "aspf") : strdup(cur->dmarc);
        char *t2 = t1 != NULL && set_dkim ? set_relaxed(t1, "adkim") : t1;
        if (t2 != t1)
            free(t1);
        c->new_value = t2;
        if (c->new_value == NULL || (c->old_value = strdup(cur->dmarc)) == NULL ||
            (c->old_line = txt_line(c->owner, cur->dmarc)) == NULL ||
            (c->zone_line = txt_line(c->owner, c->new_value)) == NULL)
            return -1;
        c->note = dupf("strict alignment is what fails: these sources authenticate for "
                       "another name of %s's organisation, which relaxed mode (%s) accepts",
                       a->domain, tags);
    } else {
        c->note = dupf("the current DMARC record of %s could not be read: %s; if it says "
                       "strict alignment, set %s in it (these sources authenticate for "
                       "another name of the organisation)", a->domain, why(cur->dmarc_why), tags);
    }
    return c->note != NULL ? 0 : -1;
}

/* ink_fix_build - pass one per source, then the changes in order */
struct ink_fix_advice *ink_fix_build(const char *domain, const struct ink_fix_current *cur,
                                     const struct ink_fix_source *src, size_t n,
                                     const void *psl, struct ink_str *err)
{
    static const struct ink_fix_current none = {INK_FIX_REC_UNKNOWN, NULL, INK_FIX_REC_UNKNOWN,
                                                 NULL, NULL, NULL};
    struct ink_fix_advice *a;
    size_t i;

    if (cur == NULL)
        cur = &none;
    if (n > INK_FIX_SOURCES_MAX) {
        ink_str_printf(err, "more than %d sources to fix", INK_FIX_SOURCES_MAX);
        return NULL;
    }
    if ((cur->spf_state == INK_FIX_REC_FOUND && cur->spf != NULL &&
         strlen(cur->spf) > INK_FIX_RECORD_MAX) ||
        (cur->dmarc_state == INK_FIX_REC_FOUND && cur->dmarc != NULL &&
         strlen(cur->dmarc) > INK_FIX_RECORD_MAX)) {
        ink_str_printf(err, "a current record longer than %d bytes", INK_FIX_RECORD_MAX);
        return NULL;
    }
    a = calloc(1, sizeof(*a));
    if (a == NULL || (a->src = calloc(n ? n : 1, sizeof(*a->src))) == NULL) {
        free(a);
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    a->nsrc = n;
    a->spf_index = (size_t)-1;
    if (domain == NULL || !host_ok(domain, strlen(domain), a->domain)) {
        ink_str_printf(err, "'%s' is not a domain name", domain ? domain : "(none)");
        ink_fix_free(a);
        return NULL;
    }
    a->psl = psl != NULL ? (const psl_ctx_t *)psl : psl_builtin();
    for (i = 0; i < n; i++)
        if (source_terms(a, cur, &src[i], &a->src[i]) < 0)
            goto oom;
    if (spf_change(a, cur) < 0)
        goto oom;
    for (i = 0; i < n; i++) {
        if (a->spf_index != (size_t)-1 && a->src[i].terms != NULL)
            src_ref(&a->src[i], a->spf_index);
        if (a->src[i].has_dkim) {
            if (dkim_changes(a, &src[i], i) < 0)
                goto oom;
        } else if (!a->src[i].dkim_strict && !a->src[i].spf_strict && ask_change(a, &src[i], i) < 0) {
            goto oom;
        }
    }
    if (alignment_change(a, cur) < 0)
        goto oom;
    return a;
oom:
    ink_str_puts(err, "out of memory");
    ink_fix_free(a);
    return NULL;
}

/* ink_fix_nchanges - how many changes a holds */
size_t ink_fix_nchanges(const struct ink_fix_advice *a)
{
    return a != NULL ? a->nch : 0;
}

/* ink_fix_change - change i (owned by a), NULL past the end */
const struct ink_fix_change *ink_fix_change(const struct ink_fix_advice *a, size_t i)
{
    return a != NULL && i < a->nch ? &a->ch[i] : NULL;
}

/* ink_fix_dropped - terms and selectors left out past the limits */
size_t ink_fix_dropped(const struct ink_fix_advice *a)
{
    return a != NULL ? a->dropped : 0;
}

/* ink_fix_source_changes - the changes source i needs */
size_t ink_fix_source_changes(const struct ink_fix_advice *a, size_t i,
                              size_t out[INK_FIX_PER_SOURCE_MAX])
{
    size_t j;

    if (a == NULL || i >= a->nsrc)
        return 0;
    for (j = 0; j < a->src[i].nch; j++)
        out[j] = a->src[i].ch[j];
    return a->src[i].nch;
}

/* ink_fix_source_spf_term - the SPF terms source i needs (owned by a), or NULL */
const char *ink_fix_source_spf_term(const struct ink_fix_advice *a, size_t i)
{
    return a != NULL && i < a->nsrc ? a->src[i].terms : NULL;
}

/* ink_fix_source_spf_included - an include source i needs is in the record already */
int ink_fix_source_spf_included(const struct ink_fix_advice *a, size_t i)
{
    return a != NULL && i < a->nsrc ? a->src[i].spf_included : 0;
}

/* ink_fix_spf_index - the SPF change's index, (size_t)-1 when none */
size_t ink_fix_spf_index(const struct ink_fix_advice *a)
{
    return a != NULL ? a->spf_index : (size_t)-1;
}

/* ink_fix_set_spf_check - the lint's verdict on the merged record */
int ink_fix_set_spf_check(struct ink_fix_advice *a, unsigned lookups, const char *warning)
{
    struct ink_fix_change *c;

    if (a == NULL || a->spf_index == (size_t)-1)
        return -1;
    c = &a->ch[a->spf_index];
    c->lookups = lookups;
    free(c->warning);
    c->warning = NULL;
    if (warning != NULL && (c->warning = strdup(warning)) == NULL)
        return -1;
    return 0;
}
