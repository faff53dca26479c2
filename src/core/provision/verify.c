/*
 * verify.c - the publication-verification state machine (pure): expected
 * records, matching an answer against what a record expects, and the
 * transitions NOT_STARTED / PENDING / VERIFIED / TEMPORARY_FAILURE /
 * FAILURE with the polling schedule.  Time is always a parameter.  Also
 * the two machines of the query protocol that do the asking: finding a
 * name's authoritative servers (ink_vauth) and one check of a domain
 * (ink_vcheck).
 */
#include "inkan/verify.h"

#include "inkan/dkim_key.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- domains and records ---- */

/* ink_vdomain_set_str - replace a heap string slot with a copy */
int ink_vdomain_set_str(char **slot, const char *value)
{
    char *copy = NULL;

    if (value != NULL) {
        copy = ink_memdup_cstr(value, strlen(value));
        if (copy == NULL)
            return -1;
    }
    free(*slot);
    *slot = copy;
    return 0;
}

/* ink_vdomain_new - a domain awaiting its first check; caller frees */
struct ink_vdomain *ink_vdomain_new(const char *domain, const char *profile, int64_t now)
{
    struct ink_vdomain *d = calloc(1, sizeof(*d));
    char buf[INK_DNS_NAME_MAX + 2];
    int len;

    if (d == NULL)
        return NULL;
    len = ink_dns_name_normalize(domain, strlen(domain), buf, sizeof(buf));
    if (len <= 0 || ink_vdomain_set_str(&d->domain, buf) < 0 ||
        ink_vdomain_set_str(&d->profile, profile) < 0) {
        ink_vdomain_free(d);
        return NULL;
    }
    d->state = INK_VSTATE_NOT_STARTED;
    d->added_at = now;
    d->state_since = now;
    d->next_poll = now;
    return d;
}

/* vrecord_clear - free what a record owns */
static void vrecord_clear(struct ink_vrecord *r)
{
    free(r->owner);
    free(r->expect);
    free(r->purpose);
    free(r->seen);
    free(r->detail);
    free(r->recursive);
}

/* ink_vdomain_free - release a domain and its records */
void ink_vdomain_free(struct ink_vdomain *d)
{
    size_t i;

    if (d == NULL)
        return;
    for (i = 0; i < d->nrec; i++)
        vrecord_clear(&d->rec[i]);
    free(d->rec);
    free(d->domain);
    free(d->profile);
    free(d);
}

/* ink_vdomain_add_record - append one expected record */
int ink_vdomain_add_record(struct ink_vdomain *d, const char *owner, uint16_t type,
                           enum ink_vmatch match, const char *expect, const char *purpose)
{
    char buf[INK_DNS_NAME_MAX + 2];
    struct ink_vrecord *grown, *r;
    int len;

    if (d->nrec >= INK_VERIFY_RECORDS_MAX)
        return -1;
    len = ink_dns_name_normalize(owner, strlen(owner), buf, sizeof(buf));
    if (len <= 0)
        return -1;
    grown = realloc(d->rec, (d->nrec + 1) * sizeof(*d->rec));
    if (grown == NULL)
        return -1;
    d->rec = grown;
    r = &d->rec[d->nrec];
    memset(r, 0, sizeof(*r));
    r->type = type;
    r->match = match;
    r->state = INK_VSTATE_NOT_STARTED;
    if (ink_vdomain_set_str(&r->owner, buf) < 0 ||
        ink_vdomain_set_str(&r->expect, expect ? expect : "") < 0 ||
        ink_vdomain_set_str(&r->purpose, purpose ? purpose : "") < 0) {
        vrecord_clear(r);
        return -1;
    }
    d->nrec++;
    return 0;
}

/* ---- matching ---- */

/* vobs_set - fill an observation (strings copied; printable already) */
static int vobs_set(struct ink_vobs *o, enum ink_vobs_kind kind, const char *seen,
                    const char *detail)
{
    o->kind = kind;
    o->seen = NULL;
    o->detail = NULL;
    if (ink_vdomain_set_str(&o->seen, seen) < 0 || ink_vdomain_set_str(&o->detail, detail) < 0) {
        ink_vobs_clear(o);
        return -1;
    }
    return 0;
}

/* ink_vobs_clear - free an observation's strings */
void ink_vobs_clear(struct ink_vobs *o)
{
    free(o->seen);
    free(o->detail);
    o->seen = NULL;
    o->detail = NULL;
}

/* printable - untrusted bytes as a printable, length-capped string in out */
static int printable(struct ink_str *out, const void *p, size_t len)
{
    return ink_str_put_printable(out, p, len, INK_VERIFY_SEEN_MAX);
}

/* name_eq_expect - compare a record's name with an expected host name */
static int name_eq_expect(const char *name, const char *expect)
{
    return ink_dns_name_eq(name, expect);
}

/* match_cname - a CNAME at the owner pointing at expect */
static int match_cname(const struct ink_vrecord *r, const struct ink_dns_answer *a,
                       struct ink_vobs *out)
{
    struct ink_str seen = INK_STR_INIT, why = INK_STR_INIT;
    size_t i;
    int rc;

    for (i = 0; i < a->nrr; i++)
        if (a->rr[i].type == INK_DNS_CNAME && a->rr[i].owner != NULL &&
            ink_dns_name_eq(a->rr[i].owner, r->owner))
            break;
    if (i == a->nrr) {
        /* an answer with data but no CNAME: the name holds other records */
        if (a->nrr > 0)
            rc = vobs_set(out, INK_VOBS_DIFFERENT, NULL,
                          "the name holds other records instead of a CNAME");
        else
            rc = vobs_set(out, INK_VOBS_ABSENT, NULL, "no CNAME record");
        return rc;
    }
    printable(&seen, a->rr[i].name, strlen(a->rr[i].name));
    if (name_eq_expect(a->rr[i].name, r->expect))
        rc = vobs_set(out, INK_VOBS_MATCH, ink_str_cstr(&seen), NULL);
    else {
        ink_str_printf(&why, "CNAME points to %s, not %s", ink_str_cstr(&seen), r->expect);
        rc = vobs_set(out, INK_VOBS_DIFFERENT, ink_str_cstr(&seen), ink_str_cstr(&why));
    }
    ink_str_free(&seen);
    ink_str_free(&why);
    return rc;
}

/* mx_expect_host - the host part of an MX expectation ("10 host" or "host") */
static const char *mx_expect_host(const char *expect)
{
    const char *sp = strrchr(expect, ' ');

    return sp != NULL ? sp + 1 : expect;
}

/* match_mx - an MX at the owner with the expected exchange */
static int match_mx(const struct ink_vrecord *r, const struct ink_dns_answer *a,
                    struct ink_vobs *out)
{
    struct ink_str seen = INK_STR_INIT, why = INK_STR_INIT;
    const char *host = mx_expect_host(r->expect);
    size_t i, n = 0;
    int found = 0, rc;

    for (i = 0; i < a->nrr; i++) {
        if (a->rr[i].type != INK_DNS_MX || a->rr[i].name == NULL)
            continue;
        if (n++ > 0)
            ink_str_puts(&seen, ", ");
        ink_str_printf(&seen, "%u ", (unsigned)a->rr[i].pref);
        printable(&seen, a->rr[i].name, strlen(a->rr[i].name));
        if (ink_dns_name_eq(a->rr[i].name, host))
            found = 1;
    }
    if (n == 0)
        rc = vobs_set(out, INK_VOBS_ABSENT, NULL, "no MX record");
    else if (found)
        rc = vobs_set(out, INK_VOBS_MATCH, ink_str_cstr(&seen), NULL);
    else {
        ink_str_printf(&why, "MX does not name %s", host);
        rc = vobs_set(out, INK_VOBS_DIFFERENT, ink_str_cstr(&seen), ink_str_cstr(&why));
    }
    ink_str_free(&seen);
    ink_str_free(&why);
    return rc;
}

/* starts_with_tag - does the text begin (after spaces) with tag=value,
 * compared without case and tolerating spaces around '=' */
static int starts_with_tag(const uint8_t *t, size_t len, const char *tag, const char *value)
{
    size_t i = 0, tl = strlen(tag), vl = strlen(value);

    while (i < len && (t[i] == ' ' || t[i] == '\t'))
        i++;
    if (len - i < tl || strncasecmp((const char *)t + i, tag, tl) != 0)
        return 0;
    i += tl;
    while (i < len && (t[i] == ' ' || t[i] == '\t'))
        i++;
    if (i >= len || t[i] != '=')
        return 0;
    i++;
    while (i < len && (t[i] == ' ' || t[i] == '\t'))
        i++;
    if (len - i < vl || strncasecmp((const char *)t + i, value, vl) != 0)
        return 0;
    i += vl;
    return i == len || t[i] == ' ' || t[i] == '\t' || t[i] == ';';
}

/* tag_value - find tag "name=" in a tag-list (";"-separated); copy its
 * value without white space into out.  1 found, 0 not. */
static int tag_value(const uint8_t *t, size_t len, const char *name, struct ink_str *out)
{
    size_t i = 0, nl = strlen(name);

    while (i < len) {
        size_t start, end;
        while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == ';'))
            i++;
        start = i;
        while (i < len && t[i] != ';')
            i++;
        end = i;
        if (end - start > nl && strncasecmp((const char *)t + start, name, nl) == 0) {
            size_t j = start + nl;
            while (j < end && (t[j] == ' ' || t[j] == '\t'))
                j++;
            if (j < end && t[j] == '=') {
                for (j++; j < end; j++)
                    if (!isspace(t[j]))
                        ink_str_putc(out, t[j]);
                return 1;
            }
        }
    }
    return 0;
}

/* spf_has_term - does the SPF record text hold term (a leading "+" and
 * case ignored on both sides) */
static int spf_has_term(const uint8_t *t, size_t len, const char *term, size_t tlen)
{
    size_t i = 0;

    if (tlen > 0 && term[0] == '+') {
        term++;
        tlen--;
    }
    while (i < len) {
        size_t start;
        while (i < len && (t[i] == ' ' || t[i] == '\t'))
            i++;
        start = i;
        while (i < len && t[i] != ' ' && t[i] != '\t')
            i++;
        if (i > start && t[start] == '+')
            start++;
        if (i - start == tlen && strncasecmp((const char *)t + start, term, tlen) == 0)
            return 1;
    }
    return 0;
}

/* match_txt - TXT-based expectations: exact text, SPF terms, DKIM key, DMARC */
static int match_txt(const struct ink_vrecord *r, const struct ink_dns_answer *a,
                     struct ink_vobs *out)
{
    struct ink_str seen = INK_STR_INIT, why = INK_STR_INIT, want = INK_STR_INIT,
                   have = INK_STR_INIT;
    size_t i, nsel = 0, ntxt = 0;
    uint8_t *sel_text = NULL, *text;
    size_t sel_len = 0, len;
    enum ink_vobs_kind kind = INK_VOBS_ABSENT;
    int rc = -1;

    for (i = 0; i < a->nrr; i++) {
        int selected;
        if (a->rr[i].type != INK_DNS_TXT)
            continue;
        ntxt++;
        text = ink_dns_rr_txt_join(&a->rr[i], &len);
        if (text == NULL)
            goto done;
        switch (r->match) {
        case INK_VMATCH_SPF:
            selected = starts_with_tag(text, len, "v", "spf1");
            break;
        case INK_VMATCH_DMARC:
            selected = starts_with_tag(text, len, "v", "DMARC1");
            break;
        case INK_VMATCH_DKIM:
            /* a key record: "v=DKIM1" first, or no v= but a p= tag */
            selected = starts_with_tag(text, len, "v", "DKIM1");
            if (!selected) {
                struct ink_str tmp = INK_STR_INIT;
                selected = tag_value(text, len, "p", &tmp) && !starts_with_tag(text, len, "v", "spf1");
                ink_str_free(&tmp);
            }
            break;
        default:
            selected = len == strlen(r->expect) && memcmp(text, r->expect, len) == 0;
            break;
        }
        if (selected) {
            if (nsel++ == 0) {
                sel_text = text;
                sel_len = len;
                continue;
            }
        }
        free(text);
    }
    if (nsel == 0) {
        static const char *const none[] = {"no CNAME record", "no MX record", "no such TXT record",
                                           "no SPF record", "no DKIM key record",
                                           "no DMARC record"};
        if (a->status == INK_DNS_NXDOMAIN)
            rc = vobs_set(out, INK_VOBS_ABSENT, NULL, "the name does not exist");
        else if (ntxt > 0 && r->match == INK_VMATCH_TXT)
            rc = vobs_set(out, INK_VOBS_DIFFERENT, NULL, "TXT records differ from the one expected");
        else
            rc = vobs_set(out, INK_VOBS_ABSENT, NULL, none[r->match]);
        goto done;
    }
    printable(&seen, sel_text, sel_len);
    if (nsel > 1 && r->match != INK_VMATCH_TXT) {
        ink_str_printf(&why, "%zu %s records at one name (receivers treat that as an error): "
                             "keep one",
                       nsel, r->match == INK_VMATCH_SPF ? "SPF"
                             : r->match == INK_VMATCH_DMARC ? "DMARC" : "DKIM key");
        kind = INK_VOBS_DIFFERENT;
    } else if (r->match == INK_VMATCH_SPF) {
        const char *p = r->expect;
        kind = INK_VOBS_MATCH;
        while (*p != '\0') {
            size_t tl;
            while (*p == ' ')
                p++;
            tl = strcspn(p, " ");
            if (tl > 0 && !spf_has_term(sel_text, sel_len, p, tl)) {
                if (kind == INK_VOBS_MATCH)
                    ink_str_puts(&why, "the SPF record lacks");
                ink_str_putc(&why, ' ');
                ink_str_append(&why, p, tl);
                kind = INK_VOBS_DIFFERENT;
            }
            p += tl;
        }
    } else if (r->match == INK_VMATCH_DKIM) {
        /* the DKIM key-record parser decides what the record is worth;
         * keys are compared decoded, so formatting does not matter */
        struct ink_dkim_key *pub = ink_dkim_key_parse(sel_text, sel_len), *exp = NULL;
        if (pub == NULL)
            goto done;
        if (r->expect[0] != '\0')
            exp = ink_dkim_key_parse((const uint8_t *)r->expect, strlen(r->expect));
        if (pub->status == INK_DKIM_KEY_REVOKED) {
            kind = INK_VOBS_DIFFERENT;
            ink_str_puts(&why, "the key is revoked (empty p=)");
        } else if (pub->status != INK_DKIM_KEY_OK) {
            kind = INK_VOBS_DIFFERENT;
            ink_str_puts(&why, "the key record is not usable: ");
            printable(&why, pub->reason, strlen(pub->reason));
        } else if (exp == NULL || exp->data == NULL) {
            /* any usable key will do (or the expectation is no key record:
             * compare the p= text) */
            kind = INK_VOBS_MATCH;
            if (exp != NULL && tag_value((const uint8_t *)r->expect, strlen(r->expect), "p", &want) &&
                tag_value(sel_text, sel_len, "p", &have) &&
                (want.len != have.len || memcmp(want.buf, have.buf, want.len) != 0)) {
                kind = INK_VOBS_DIFFERENT;
                ink_str_puts(&why, "a different public key is published at this selector");
            }
        } else if (exp->data_len == pub->data_len &&
                   memcmp(exp->data, pub->data, pub->data_len) == 0) {
            kind = INK_VOBS_MATCH;
        } else {
            kind = INK_VOBS_DIFFERENT;
            ink_str_puts(&why, "a different public key is published at this selector");
        }
        if (kind == INK_VOBS_MATCH && (pub->flags & INK_DKIM_FLAG_TESTING))
            ink_str_puts(&why, "published with t=y (testing): receivers may ignore failures");
        ink_dkim_key_free(pub);
        ink_dkim_key_free(exp);
    } else if (r->match == INK_VMATCH_DMARC) {
        if (tag_value(sel_text, sel_len, "p", &have) && have.len > 0)
            kind = INK_VOBS_MATCH;
        else {
            kind = INK_VOBS_DIFFERENT;
            ink_str_puts(&why, "the DMARC record has no p= policy");
        }
    } else {
        kind = INK_VOBS_MATCH;
    }
    rc = vobs_set(out, kind, ink_str_cstr(&seen), why.len ? ink_str_cstr(&why) : NULL);
done:
    free(sel_text);
    ink_str_free(&seen);
    ink_str_free(&why);
    ink_str_free(&want);
    ink_str_free(&have);
    return rc;
}

/* ink_verify_match - what an answer shows of one expected record */
int ink_verify_match(const struct ink_vrecord *r, const struct ink_dns_answer *answer,
                     struct ink_vobs *out)
{
    struct ink_str why = INK_STR_INIT;
    int rc;

    if (answer == NULL)
        return vobs_set(out, INK_VOBS_ERROR, NULL, "no answer from DNS");
    switch (answer->status) {
    case INK_DNS_SERVFAIL:
    case INK_DNS_TIMEOUT:
        ink_str_printf(&why, "DNS %s", ink_dns_status_name(answer->status));
        if (answer->why != NULL) {
            ink_str_puts(&why, ": ");
            printable(&why, answer->why, strlen(answer->why));
        }
        rc = vobs_set(out, INK_VOBS_ERROR, NULL, ink_str_cstr(&why));
        ink_str_free(&why);
        return rc;
    case INK_DNS_NXDOMAIN:
        if (r->match == INK_VMATCH_CNAME || r->match == INK_VMATCH_MX)
            return vobs_set(out, INK_VOBS_ABSENT, NULL, "the name does not exist");
        break;
    default:
        break;
    }
    switch (r->match) {
    case INK_VMATCH_CNAME:
        return match_cname(r, answer, out);
    case INK_VMATCH_MX:
        return match_mx(r, answer, out);
    default:
        return match_txt(r, answer, out);
    }
}

/* ---- the state machine ---- */

/* note_change - append a change unless from == to */
static void note_change(struct ink_vchange *changes, size_t *n, long record,
                        enum ink_vstate from, enum ink_vstate to, int64_t now)
{
    if (from == to)
        return;
    changes[*n].record = record;
    changes[*n].from = from;
    changes[*n].to = to;
    changes[*n].at = now;
    (*n)++;
}

/* poll_interval - the pause after the n-th poll of a phase: 5 minutes,
 * growing by half each time, at most an hour */
static int64_t poll_interval(unsigned polls)
{
    int64_t iv = INK_VERIFY_POLL_FIRST;
    unsigned i;

    for (i = 0; i < polls && iv < INK_VERIFY_POLL_MAX; i++)
        iv = iv * 3 / 2;
    return iv < INK_VERIFY_POLL_MAX ? iv : INK_VERIFY_POLL_MAX;
}

/* ink_verify_apply - one check's observations into new states */
int ink_verify_apply(struct ink_vdomain *d, const struct ink_vobs *obs, int64_t now,
                     struct ink_vchange *changes, size_t *nchanges)
{
    size_t i, nverified = 0, ntemp = 0, nerror = 0;
    enum ink_vstate old = d->state, next;
    int window_over;

    *nchanges = 0;
    if (d->state == INK_VSTATE_NOT_STARTED || d->window_start == 0) {
        d->window_start = now;
        d->deadline = now + INK_VERIFY_WINDOW;
    }
    window_over = now >= d->deadline;

    for (i = 0; i < d->nrec; i++) {
        struct ink_vrecord *r = &d->rec[i];
        enum ink_vstate rs = r->state;

        if (ink_vdomain_set_str(&r->detail, obs[i].detail) < 0)
            return -1;
        if (obs[i].kind != INK_VOBS_ERROR && ink_vdomain_set_str(&r->seen, obs[i].seen) < 0)
            return -1;
        switch (obs[i].kind) {
        case INK_VOBS_MATCH:
            rs = INK_VSTATE_VERIFIED;
            break;
        case INK_VOBS_ABSENT:
        case INK_VOBS_DIFFERENT:
            if (r->state == INK_VSTATE_VERIFIED || r->state == INK_VSTATE_TEMPORARY_FAILURE)
                rs = INK_VSTATE_TEMPORARY_FAILURE;
            else if (window_over && d->verified_at == 0)
                rs = INK_VSTATE_FAILURE;
            else
                rs = INK_VSTATE_PENDING;
            break;
        case INK_VOBS_ERROR:
            /* inconclusive: keep the state, but the record is now awaited */
            nerror++;
            if (rs == INK_VSTATE_NOT_STARTED)
                rs = window_over ? INK_VSTATE_FAILURE : INK_VSTATE_PENDING;
            break;
        }
        r->last_check = now;
        if (rs != r->state) {
            note_change(changes, nchanges, (long)i, r->state, rs, now);
            r->state = rs;
            r->changed_at = now;
            if (rs == INK_VSTATE_VERIFIED)
                r->verified_at = now;
        }
        if (rs == INK_VSTATE_VERIFIED)
            nverified++;
        else if (rs == INK_VSTATE_TEMPORARY_FAILURE)
            ntemp++;
    }

    /* the domain as a whole */
    if (nverified == d->nrec)
        next = INK_VSTATE_VERIFIED;
    else if (old == INK_VSTATE_FAILURE)
        next = INK_VSTATE_FAILURE;
    else if (d->verified_at != 0 && (ntemp > 0 || old == INK_VSTATE_TEMPORARY_FAILURE ||
                                     old == INK_VSTATE_VERIFIED)) {
        /* it was live and something went: TEMPORARY_FAILURE, for one window */
        if (old == INK_VSTATE_TEMPORARY_FAILURE && now >= d->state_since + INK_VERIFY_WINDOW)
            next = INK_VSTATE_FAILURE;
        else
            next = INK_VSTATE_TEMPORARY_FAILURE;
    } else if (window_over)
        next = INK_VSTATE_FAILURE;
    else
        next = INK_VSTATE_PENDING;

    if (next == INK_VSTATE_FAILURE) {
        /* every record not seen ends FAILURE with the domain */
        for (i = 0; i < d->nrec; i++)
            if (d->rec[i].state != INK_VSTATE_VERIFIED && d->rec[i].state != INK_VSTATE_FAILURE) {
                note_change(changes, nchanges, (long)i, d->rec[i].state, INK_VSTATE_FAILURE, now);
                d->rec[i].state = INK_VSTATE_FAILURE;
                d->rec[i].changed_at = now;
            }
    }
    if (next != old) {
        note_change(changes, nchanges, -1, old, next, now);
        d->state = next;
        d->state_since = now;
        d->polls = 0;
    }
    d->polls++;
    d->last_check = now;
    if (next == INK_VSTATE_VERIFIED)
        d->verified_at = old == INK_VSTATE_VERIFIED && d->verified_at ? d->verified_at : now;

    /* when to look again */
    switch (next) {
    case INK_VSTATE_VERIFIED:
        d->next_poll = now + (nerror ? INK_VERIFY_POLL_RETRY : INK_VERIFY_RECHECK);
        break;
    case INK_VSTATE_FAILURE:
        d->next_poll = 0;
        break;
    default: {
        int64_t iv = poll_interval(d->polls - 1), end;
        if (nerror && iv > INK_VERIFY_POLL_RETRY)
            iv = INK_VERIFY_POLL_RETRY;
        end = next == INK_VSTATE_TEMPORARY_FAILURE ? d->state_since + INK_VERIFY_WINDOW
                                                   : d->deadline;
        d->next_poll = now + iv;
        /* the last poll falls exactly on the end of the window */
        if (d->next_poll > end && end > now)
            d->next_poll = end;
        break;
    }
    }
    return (int)next;
}

/* ink_verify_due - poll now? */
int ink_verify_due(const struct ink_vdomain *d, int64_t now)
{
    return d->state != INK_VSTATE_FAILURE && d->next_poll != 0 && d->next_poll <= now;
}

static const char *const vstate_names[] = {"NOT_STARTED", "PENDING", "VERIFIED",
                                           "TEMPORARY_FAILURE", "FAILURE"};
static const char *const vmatch_names[] = {"cname", "mx", "txt", "spf", "dkim", "dmarc"};

/* ink_vstate_name - the state's name (static) */
const char *ink_vstate_name(enum ink_vstate s)
{
    if ((size_t)s >= sizeof(vstate_names) / sizeof(vstate_names[0]))
        return "NOT_STARTED";
    return vstate_names[s];
}

/* ink_vstate_from_name - state from its name, or -1 */
int ink_vstate_from_name(const char *s)
{
    size_t i;

    for (i = 0; i < sizeof(vstate_names) / sizeof(vstate_names[0]); i++)
        if (strcasecmp(s, vstate_names[i]) == 0)
            return (int)i;
    return -1;
}

/* ink_vmatch_name - the match kind's name (static) */
const char *ink_vmatch_name(enum ink_vmatch m)
{
    if ((size_t)m >= sizeof(vmatch_names) / sizeof(vmatch_names[0]))
        return "txt";
    return vmatch_names[m];
}

/* ink_vmatch_from_name - match kind from its name, or -1 */
int ink_vmatch_from_name(const char *s)
{
    size_t i;

    for (i = 0; i < sizeof(vmatch_names) / sizeof(vmatch_names[0]); i++)
        if (strcasecmp(s, vmatch_names[i]) == 0)
            return (int)i;
    return -1;
}
