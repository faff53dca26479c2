/*
 * rotate.c - DKIM key rotation (inkan/rotate.h): the phase machine, the
 * per-server check machine on the one query protocol, the zone lines to
 * publish at each phase and the selector format.  Sans-I/O: time comes
 * in as `now`, DNS answers are fed; which server answered is the
 * caller's business (one check per authoritative server).
 */
#include "inkan/rotate.h"

#include <stdlib.h>
#include <string.h>

#include "inkan/dkim_key.h"

/* ---- the rotation record ---- */

/* ink_rotation_new - an empty rotation in PUBLISH_NEW; caller frees */
struct ink_rotation *ink_rotation_new(const char *domain, int64_t now)
{
    char buf[INK_DNS_NAME_MAX + 2];
    int len = ink_dns_name_normalize(domain, strlen(domain), buf, sizeof(buf));
    struct ink_rotation *r;

    if (len <= 0)
        return NULL;
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->domain = ink_memdup_cstr(buf, (size_t)len);
    if (r->domain == NULL) {
        free(r);
        return NULL;
    }
    r->phase = INK_ROT_PUBLISH_NEW;
    r->created_at = r->phase_since = r->next_check = now;
    r->overlap = INK_ROTATE_OVERLAP_DEFAULT;
    r->ttl = 3600;
    return r;
}

/* key_clear - free what one key owns */
static void key_clear(struct ink_rot_key *k)
{
    free(k->selector);
    free(k->key_type);
    free(k->record);
    free(k->key_file);
    memset(k, 0, sizeof(*k));
}

/* ink_rotation_free - release; NULL is a no-op */
void ink_rotation_free(struct ink_rotation *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->nnew; i++)
        key_clear(&r->newk[i]);
    for (i = 0; i < r->nold; i++)
        key_clear(&r->oldk[i]);
    free(r->domain);
    free(r->detail);
    free(r);
}

/* dup_opt - a copy of s, or NULL for NULL; *oom set when the copy failed */
static char *dup_opt(const char *s, int *oom)
{
    char *d;

    if (s == NULL)
        return NULL;
    d = ink_memdup_cstr(s, strlen(s));
    if (d == NULL)
        *oom = 1;
    return d;
}

/* ink_rotation_add_key - append a key to one side */
int ink_rotation_add_key(struct ink_rotation *r, int is_new, const char *selector,
                         const char *key_type, const char *record, const char *key_file)
{
    size_t *n = is_new ? &r->nnew : &r->nold;
    struct ink_rot_key *k = is_new ? &r->newk[*n] : &r->oldk[*n];
    const char *why;
    size_t erroff;
    int oom = 0;

    if (*n >= INK_ROTATE_KEYS_MAX || selector == NULL ||
        ink_dkim_selector_check(selector, strlen(selector), &erroff, &why) < 0)
        return -1;
    memset(k, 0, sizeof(*k));
    k->selector = dup_opt(selector, &oom);
    k->key_type = dup_opt(key_type, &oom);
    k->record = dup_opt(record, &oom);
    k->key_file = dup_opt(key_file, &oom);
    if (oom) {
        key_clear(k);
        return -1;
    }
    (*n)++;
    return 0;
}

/* ink_rotation_set_detail - replace the detail text */
int ink_rotation_set_detail(struct ink_rotation *r, const char *detail)
{
    char *d = NULL;

    if (detail != NULL) {
        size_t len = strlen(detail);
        d = ink_memdup_cstr(detail, len > INK_ROTATE_DETAIL_MAX ? INK_ROTATE_DETAIL_MAX : len);
        if (d == NULL)
            return -1;
    }
    free(r->detail);
    r->detail = d;
    return 0;
}

/* ink_rotation_checked - which side a DNS check looks at */
int ink_rotation_checked(const struct ink_rotation *r)
{
    if (r->phase == INK_ROT_PUBLISH_NEW)
        return 1;
    if (r->phase == INK_ROT_RETIRE && r->nold > 0)
        return 0;
    return -1;
}

/* ink_rotation_signing_new - whether the new keys sign */
int ink_rotation_signing_new(const struct ink_rotation *r)
{
    return r->phase != INK_ROT_PUBLISH_NEW;
}

/* ---- the phase machine ---- */

/* seen_done - whether what a server shows of a key lets the phase go on:
 * PUBLISH_NEW needs the key itself, RETIRE a revoked or removed record */
static int seen_done(enum ink_rot_phase phase, enum ink_rot_seen s)
{
    if (phase == INK_ROT_PUBLISH_NEW)
        return s == INK_ROT_SEEN_KEY;
    return s == INK_ROT_SEEN_REVOKED || s == INK_ROT_SEEN_ABSENT;
}

/* dns_step - PUBLISH_NEW or RETIRE: every server, every key of the side.
 * Writes what each server shows into detail; returns 1 when all are
 * there, 0 when not, and sets *inconclusive when a server's answer was a
 * temporary failure (the next look comes sooner). */
static int dns_step(const struct ink_rotation *r, const struct ink_rot_obs *obs, size_t nobs,
                    const char *why_none, struct ink_str *detail, int *inconclusive)
{
    const struct ink_rot_key *keys = r->phase == INK_ROT_PUBLISH_NEW ? r->newk : r->oldk;
    size_t nkeys = r->phase == INK_ROT_PUBLISH_NEW ? r->nnew : r->nold;
    size_t i, j, ready = 0;

    *inconclusive = 0;
    if (nobs == 0) {
        *inconclusive = 1;
        ink_str_printf(detail, "no authoritative server could be asked: %s",
                       why_none != NULL ? why_none : "none found");
        return 0;
    }
    if (nobs > INK_ROTATE_SERVERS_MAX)
        nobs = INK_ROTATE_SERVERS_MAX;
    for (i = 0; i < nobs; i++) {
        int ok = 1;
        if (i > 0)
            ink_str_puts(detail, "; ");
        ink_str_printf(detail, "%s:", obs[i].server != NULL ? obs[i].server : "?");
        for (j = 0; j < nkeys; j++) {
            enum ink_rot_seen s = obs[i].seen[j];
            if (!seen_done(r->phase, s))
                ok = 0;
            if (s == INK_ROT_SEEN_ERROR)
                *inconclusive = 1;
            ink_str_printf(detail, " %s %s", keys[j].selector, ink_rot_seen_name(s));
        }
        if (ok)
            ready++;
    }
    if (ready == nobs)
        return 1;
    ink_str_printf(detail, " (%zu of %zu server%s ready)", ready, nobs, nobs == 1 ? "" : "s");
    return 0;
}

/* ink_rotation_advance - one step of the phase machine at now */
int ink_rotation_advance(struct ink_rotation *r, const struct ink_rot_obs *obs, size_t nobs,
                         const char *why_none, int64_t now, enum ink_rot_phase *from)
{
    struct ink_str detail = INK_STR_INIT;
    enum ink_rot_phase old = r->phase, next = r->phase;
    int64_t next_check = r->next_check;
    int inconclusive = 0, rc;

    if (now < r->phase_since) {
        /* the clock went back: what was decided at phase_since stands */
        ink_str_printf(&detail, "the clock is before the last phase change: nothing decided");
        next_check = r->phase_since;
    } else {
        switch (r->phase) {
        case INK_ROT_PUBLISH_NEW:
            if (dns_step(r, obs, nobs, why_none, &detail, &inconclusive)) {
                next = INK_ROT_ACTIVE;
                next_check = now + r->overlap;
            } else
                next_check = now + (inconclusive ? INK_ROTATE_POLL_RETRY : INK_ROTATE_POLL);
            break;
        case INK_ROT_ACTIVE:
            if (now - r->active_at >= r->overlap) {
                next = INK_ROT_RETIRE;
                next_check = now;
                ink_str_puts(&detail, "overlap over: revoke the old keys");
            } else {
                next_check = r->active_at + r->overlap;
                ink_str_printf(&detail, "old keys stay published for %lld s more",
                               (long long)(next_check - now));
            }
            break;
        case INK_ROT_RETIRE:
            if (r->nold == 0) {
                next = INK_ROT_DONE;
                ink_str_puts(&detail, "no old key to revoke");
            } else if (dns_step(r, obs, nobs, why_none, &detail, &inconclusive))
                next = INK_ROT_DONE;
            else
                next_check = now + (inconclusive ? INK_ROTATE_POLL_RETRY : INK_ROTATE_POLL);
            if (next == INK_ROT_DONE)
                next_check = 0;
            break;
        case INK_ROT_DONE:
            next_check = 0;
            break;
        }
    }
    if (detail.len > 0 && ink_rotation_set_detail(r, ink_str_cstr(&detail)) < 0) {
        ink_str_free(&detail);
        return -1;
    }
    ink_str_free(&detail);
    if (now >= r->phase_since)
        r->last_check = now;
    r->next_check = next_check;
    rc = next != old;
    if (rc) {
        r->phase = next;
        r->phase_since = now;
        if (next == INK_ROT_ACTIVE)
            r->active_at = now;
        if (from != NULL)
            *from = old;
    }
    return rc;
}

/* ---- zone lines ---- */

/* key_line - one key's zone line (owner from selector and domain) with
 * text as its value; commented makes it a "; " comment */
static int key_line(const struct ink_rotation *r, const struct ink_rot_key *k, const char *text,
                    int commented, struct ink_str *out)
{
    char owner[INK_DNS_NAME_MAX + 1];
    struct ink_str line = INK_STR_INIT;
    int rc;

    if (ink_dkim_key_name(k->selector, r->domain, owner, sizeof(owner)) < 0)
        return ink_str_printf(out, "; %s: not a valid key name\n", k->selector) < 0 ? -1 : 0;
    rc = ink_dkim_txt_zone_line(owner, r->ttl, (const uint8_t *)text, strlen(text), &line);
    if (rc == 0 && commented)
        rc = ink_str_puts(out, "; ");
    if (rc == 0)
        rc = ink_str_append(out, line.buf, line.len);
    ink_str_free(&line);
    return rc < 0 ? -1 : 0;
}

/* revoked_text - "v=DKIM1; k=TYPE; p=" for k (no k= when unknown) */
static int revoked_text(const struct ink_rot_key *k, struct ink_str *out)
{
    if (k->key_type != NULL)
        return ink_str_printf(out, "v=DKIM1; k=%s; p=", k->key_type);
    return ink_str_puts(out, "v=DKIM1; p=");
}

/* ink_rotation_zone_lines - what to publish at this phase */
int ink_rotation_zone_lines(const struct ink_rotation *r, struct ink_str *out)
{
    size_t i;
    int rc = 0;

    switch (r->phase) {
    case INK_ROT_PUBLISH_NEW:
    case INK_ROT_ACTIVE:
        rc = ink_str_printf(out, "; %s: publish the new key%s (phase %s)\n", r->domain,
                            r->nnew == 1 ? "" : "s", ink_rot_phase_name(r->phase));
        for (i = 0; rc == 0 && i < r->nnew; i++)
            rc = r->newk[i].record != NULL ? key_line(r, &r->newk[i], r->newk[i].record, 0, out)
                                           : 0;
        for (i = 0; rc == 0 && i < r->nold; i++)
            rc = ink_str_printf(out, "; keep %s._domainkey.%s published until the overlap ends\n",
                                r->oldk[i].selector, r->domain);
        break;
    case INK_ROT_RETIRE:
        rc = ink_str_printf(out, "; %s: revoke the old key%s (phase RETIRE); keep the new\n",
                            r->domain, r->nold == 1 ? "" : "s");
        for (i = 0; rc == 0 && i < r->nold; i++) {
            struct ink_str t = INK_STR_INIT;
            rc = ink_str_printf(out, "; remove the record of %s._domainkey.%s and publish:\n",
                                r->oldk[i].selector, r->domain);
            if (rc == 0)
                rc = revoked_text(&r->oldk[i], &t);
            if (rc == 0)
                rc = key_line(r, &r->oldk[i], ink_str_cstr(&t), 0, out);
            ink_str_free(&t);
        }
        for (i = 0; rc == 0 && i < r->nnew; i++)
            rc = r->newk[i].record != NULL ? key_line(r, &r->newk[i], r->newk[i].record, 0, out)
                                           : 0;
        break;
    case INK_ROT_DONE:
        rc = ink_str_printf(out, "; %s: rotation done; nothing to change\n", r->domain);
        for (i = 0; rc == 0 && i < r->nnew; i++)
            rc = r->newk[i].record != NULL ? key_line(r, &r->newk[i], r->newk[i].record, 0, out)
                                           : 0;
        break;
    }
    return rc < 0 ? -1 : 0;
}

/* ---- the selector format ---- */

/* civil - the UTC calendar date and time of t (t >= 0): days since the
 * epoch to year/month/day by the proleptic Gregorian calendar (the
 * era-based conversion of H. Hinnant's date algorithms) */
static void civil(int64_t t, int64_t *y, unsigned *mo, unsigned *d, unsigned *h, unsigned *mi,
                  unsigned *s)
{
    int64_t z = t / 86400 + 719468, era, yoe, doy, mp, doe;
    int64_t secs = t % 86400;

    era = z / 146097; /* z >= 0 since t >= 0 */
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *mo = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*mo <= 2);
    *h = (unsigned)(secs / 3600);
    *mi = (unsigned)(secs / 60 % 60);
    *s = (unsigned)(secs % 60);
}

/* ink_rotate_selector - expand a selector format */
int ink_rotate_selector(const char *fmt, int64_t now, const char *alg, int append_alg,
                        char *out, size_t cap, const char **why, size_t *erroff)
{
    struct ink_str s = INK_STR_INIT;
    unsigned mo, d, h, mi, sec;
    int64_t y;
    size_t i, off = 0;
    int has_alg = 0, rc = -1;

    *why = NULL;
    *erroff = 0;
    if (now < 0) {
        *why = "the time is before 1970";
        return -1;
    }
    civil(now, &y, &mo, &d, &h, &mi, &sec);
    for (i = 0; fmt[i] != '\0'; i++) {
        if (fmt[i] != '%') {
            ink_str_putc(&s, fmt[i]);
            continue;
        }
        switch (fmt[i + 1]) {
        case 'Y': ink_str_printf(&s, "%04lld", (long long)y); break;
        case 'm': ink_str_printf(&s, "%02u", mo); break;
        case 'd': ink_str_printf(&s, "%02u", d); break;
        case 'H': ink_str_printf(&s, "%02u", h); break;
        case 'M': ink_str_printf(&s, "%02u", mi); break;
        case 'S': ink_str_printf(&s, "%02u", sec); break;
        case 's': ink_str_printf(&s, "%lld", (long long)now); break;
        case 'a':
            ink_str_puts(&s, alg != NULL ? alg : "");
            has_alg = 1;
            break;
        case '%': ink_str_putc(&s, '%'); break;
        default:
            *why = fmt[i + 1] == '\0' ? "a lone % at the end"
                                      : "unknown token (use %Y %m %d %H %M %S %s %a %%)";
            *erroff = i;
            goto done;
        }
        i++;
    }
    if (append_alg && !has_alg && alg != NULL)
        ink_str_printf(&s, "-%s", alg);
    if (s.buf == NULL || s.len == 0) {
        *why = s.buf == NULL && fmt[0] != '\0' ? "out of memory" : "the selector is empty";
        goto done;
    }
    if (s.len > INK_ROTATE_SELECTOR_MAX || s.len + 1 > cap) {
        *why = "the selector is too long";
        goto done;
    }
    if (ink_dkim_selector_check(s.buf, s.len, &off, why) < 0) {
        /* an offset in the expansion; the format's is not known exactly */
        *erroff = off < strlen(fmt) ? off : 0;
        if (*why == NULL)
            *why = "not a DKIM selector";
        goto done;
    }
    memcpy(out, s.buf, s.len);
    out[s.len] = '\0';
    rc = (int)s.len;
done:
    ink_str_free(&s);
    return rc;
}

/* ---- what one server shows ---- */

/* is_key_text - a TXT value that is meant as a key record: "v=DKIM1"
 * first, or a p= tag anywhere (v= is optional, RFC 6376 3.6.1) */
static int is_key_text(const uint8_t *t, size_t len)
{
    size_t i = 0;

    while (i < len && (t[i] == ' ' || t[i] == '\t'))
        i++;
    if (len - i >= 7 && memcmp(t + i, "v=DKIM1", 7) == 0)
        return 1;
    for (i = 0; i + 1 < len; i++)
        if (t[i] == 'p' && (i == 0 || t[i - 1] == ';' || t[i - 1] == ' ' || t[i - 1] == '\t')) {
            size_t k = i + 1;
            while (k < len && (t[k] == ' ' || t[k] == '\t'))
                k++;
            if (k < len && t[k] == '=')
                return 1;
        }
    return 0;
}

/* ink_rot_seen_classify - what an answer shows of an expected key */
enum ink_rot_seen ink_rot_seen_classify(const struct ink_dns_answer *a, const char *expect)
{
    struct ink_dkim_key *pub = NULL, *exp = NULL;
    enum ink_rot_seen res = INK_ROT_SEEN_ABSENT;
    uint8_t *sel = NULL;
    size_t i, nsel = 0, sel_len = 0;

    if (a == NULL || a->status == INK_DNS_SERVFAIL || a->status == INK_DNS_TIMEOUT)
        return INK_ROT_SEEN_ERROR;
    if (a->status != INK_DNS_OK)
        return INK_ROT_SEEN_ABSENT;
    for (i = 0; i < a->nrr; i++) {
        size_t len;
        uint8_t *t;
        if (a->rr[i].type != INK_DNS_TXT)
            continue;
        t = ink_dns_rr_txt_join(&a->rr[i], &len);
        if (t == NULL)
            return INK_ROT_SEEN_ERROR; /* ENOMEM: nothing can be concluded */
        if (is_key_text(t, len) && nsel++ == 0) {
            sel = t;
            sel_len = len;
        } else
            free(t);
    }
    if (nsel == 0)
        return INK_ROT_SEEN_ABSENT;
    if (nsel > 1) {
        free(sel);
        return INK_ROT_SEEN_OTHER; /* several key records: receivers fail them */
    }
    pub = ink_dkim_key_parse(sel, sel_len);
    if (expect != NULL)
        exp = ink_dkim_key_parse((const uint8_t *)expect, strlen(expect));
    if (pub == NULL || (expect != NULL && exp == NULL))
        res = INK_ROT_SEEN_ERROR;
    else if (pub->status == INK_DKIM_KEY_REVOKED)
        res = INK_ROT_SEEN_REVOKED;
    else if (pub->status != INK_DKIM_KEY_OK)
        res = INK_ROT_SEEN_OTHER;
    else if (exp == NULL)
        res = INK_ROT_SEEN_KEY;
    else if (exp->status == INK_DKIM_KEY_OK && exp->type == pub->type &&
             exp->data_len == pub->data_len && memcmp(exp->data, pub->data, pub->data_len) == 0)
        res = INK_ROT_SEEN_KEY; /* compared decoded: formatting does not matter */
    else
        res = INK_ROT_SEEN_OTHER;
    ink_dkim_key_free(pub);
    ink_dkim_key_free(exp);
    free(sel);
    return res;
}

/* ---- the check machine ---- */

struct ink_rotate_check {
    const struct ink_rotation *r;
    const struct ink_rot_key *keys; /* the side checked (into r) */
    size_t nkeys;
    char names[INK_ROTATE_KEYS_MAX][INK_DNS_NAME_MAX + 1];
    int state[INK_ROTATE_KEYS_MAX]; /* 0 new, 1 out, 2 fed */
    enum ink_rot_seen seen[INK_ROTATE_KEYS_MAX];
};

/* ink_rotate_check_new - a check of the side r's phase looks at; caller
 * frees.  A phase that checks nothing makes a check that is DONE at once. */
struct ink_rotate_check *ink_rotate_check_new(const struct ink_rotation *r)
{
    struct ink_rotate_check *c = calloc(1, sizeof(*c));
    int side = ink_rotation_checked(r);
    size_t i;

    if (c == NULL)
        return NULL;
    c->r = r;
    if (side >= 0) {
        c->keys = side ? r->newk : r->oldk;
        c->nkeys = side ? r->nnew : r->nold;
    }
    for (i = 0; i < c->nkeys; i++) {
        if (ink_dkim_key_name(c->keys[i].selector, r->domain, c->names[i], sizeof(c->names[i])) < 0) {
            /* a name that cannot be asked shows nothing: inconclusive */
            c->state[i] = 2;
            c->seen[i] = INK_ROT_SEEN_ERROR;
        }
    }
    return c;
}

/* ink_rotate_check_free - release; NULL is a no-op */
void ink_rotate_check_free(struct ink_rotate_check *c)
{
    free(c);
}

/* ink_rotate_check_next - every key's TXT query at once, then wait */
enum ink_next ink_rotate_check_next(struct ink_rotate_check *c, struct ink_query *q)
{
    size_t i;
    int out = 0;

    for (i = 0; i < c->nkeys; i++) {
        if (c->state[i] == 0) {
            c->state[i] = 1;
            q->name = c->names[i];
            q->type = INK_DNS_TXT;
            q->token = (uint32_t)(i + 1); /* 0 is never a token */
            return INK_NEXT_READY;
        }
        if (c->state[i] == 1)
            out = 1;
    }
    return out ? INK_NEXT_WAIT : INK_NEXT_DONE;
}

/* ink_rotate_check_feed - what the answer (borrowed) shows of one key */
int ink_rotate_check_feed(struct ink_rotate_check *c, uint32_t token,
                          const struct ink_dns_answer *an)
{
    size_t i;

    if (token == 0 || token > c->nkeys || c->state[token - 1] != 1)
        return -1;
    i = token - 1;
    c->state[i] = 2;
    if (!ink_query_answer_fits(an, c->names[i], INK_DNS_TXT))
        an = NULL;
    c->seen[i] = ink_rot_seen_classify(an, c->keys[i].record);
    return 0;
}

/* check_m_next / check_m_feed - the table's entries */
static enum ink_next check_m_next(void *self, struct ink_query *q)
{
    return ink_rotate_check_next(self, q);
}

static int check_m_feed(void *self, uint32_t token, const struct ink_dns_answer *an)
{
    return ink_rotate_check_feed(self, token, an);
}

static const struct ink_machine_ops check_ops = {"dkim-rotate", check_m_next, check_m_feed};

/* ink_rotate_check_machine - c as the driver sees it (c stays the caller's) */
struct ink_machine ink_rotate_check_machine(struct ink_rotate_check *c)
{
    struct ink_machine m = {&check_ops, c};

    return m;
}

/* ink_rotate_check_obs - the observations once every key is fed */
int ink_rotate_check_obs(const struct ink_rotate_check *c, const char *server,
                         struct ink_rot_obs *out)
{
    size_t i;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < c->nkeys; i++) {
        if (c->state[i] != 2)
            return -1;
        out->seen[i] = c->seen[i];
    }
    out->server = server;
    return 0;
}

/* ---- names ---- */

static const char *const phase_names[] = {"PUBLISH_NEW", "ACTIVE", "RETIRE", "DONE"};

const char *ink_rot_phase_name(enum ink_rot_phase p)
{
    return (unsigned)p < sizeof(phase_names) / sizeof(phase_names[0]) ? phase_names[p] : "?";
}

/* ink_rot_phase_from_name - case-insensitive inverse; -1 if unknown */
int ink_rot_phase_from_name(const char *s)
{
    size_t i, k;

    for (i = 0; i < sizeof(phase_names) / sizeof(phase_names[0]); i++) {
        for (k = 0; s[k] != '\0' && phase_names[i][k] != '\0'; k++) {
            char a = s[k] >= 'a' && s[k] <= 'z' ? (char)(s[k] - 32) : s[k];
            if (a != phase_names[i][k])
                break;
        }
        if (s[k] == '\0' && phase_names[i][k] == '\0')
            return (int)i;
    }
    return -1;
}

static const char *const seen_names[] = {"key", "revoked", "absent", "other", "error"};

const char *ink_rot_seen_name(enum ink_rot_seen s)
{
    return (unsigned)s < sizeof(seen_names) / sizeof(seen_names[0]) ? seen_names[s] : "?";
}
