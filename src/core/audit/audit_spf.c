/*
 * audit_spf.c - the audit's SPF checks: the SPF lint machine
 * (inkan/spf_lint.h) over the domain's whole include/redirect tree, plus
 * whether the sending IPs given (--ip, single addresses or ranges) pass
 * check_host() (inkan/spf.h evaluator; a range is tried at its first and
 * last address) and whether the includes given (--include) are reached.
 *
 * Every SPF problem of the domain's own record gets one combined fix: the
 * lint's corrected record with the missing includes and ranges added, so
 * publishing it solves all of them at once.
 */
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"
#include "inkan/spf.h"
#include "inkan/spf_lint.h"

/* One --ip address evaluated. */
struct spf_eval_item {
    size_t ip;                 /* index into a->ips */
    int family;
    uint8_t addr[16];
    enum ink_spf_result result;
    char *reason;
    int done;
};

struct audit_spf {
    int lint_done;
    struct spf_eval_item *evals;
    size_t nevals;
    /* per --ip: authorized by every evaluation of it */
    int *ip_ok;
    /* per --include: reached in the tree */
    int *inc_ok;
    char *record;              /* the root record as published, or NULL */
    char *fixed;               /* lint's corrected root record, or NULL */
    char *merged;              /* several records at the root: the lint's merge */
    int nrecords_none;         /* no SPF record at all */
};

/* snprintf_prefix - write "/N" into out (room for at least 5 bytes) */
static void snprintf_prefix(char *out, size_t n, unsigned prefix)
{
    char tmp[8];
    size_t k = 0, i;

    tmp[k++] = '/';
    if (prefix >= 100)
        tmp[k++] = (char)('0' + prefix / 100);
    if (prefix >= 10)
        tmp[k++] = (char)('0' + prefix / 10 % 10);
    tmp[k++] = (char)('0' + prefix % 10);
    for (i = 0; i < k && i + 1 < n; i++)
        out[i] = tmp[i];
    if (n > 0)
        out[i < n ? i : n - 1] = '\0';
}

/* range_last - the last address of a range */
static void range_last(const struct ink_audit_ip *r, uint8_t *out)
{
    size_t alen = r->family == 4 ? 4 : 16, k;

    memcpy(out, r->addr, alen);
    for (k = 0; k < alen * 8; k++)
        if (k >= r->prefix)
            out[k / 8] |= (uint8_t)(0x80u >> (k % 8));
}

/* range_first - the first address of a range (host bits cleared) */
static void range_first(const struct ink_audit_ip *r, uint8_t *out)
{
    size_t alen = r->family == 4 ? 4 : 16, k;

    memcpy(out, r->addr, alen);
    for (k = 0; k < alen * 8; k++)
        if (k >= r->prefix)
            out[k / 8] &= (uint8_t)~(0x80u >> (k % 8));
}

static void lint_done(struct ink_audit *a, size_t unused, void *machine);

/* eval_done - evaluation i has its check_host() result */
static void eval_done(struct ink_audit *a, size_t i, void *machine)
{
    struct spf_eval_item *it = &a->spf->evals[i];

    it->result = ink_spf_result(machine);
    it->reason = audit_strdup(a, ink_spf_reason(machine));
    it->done = 1;
    if (it->result != INK_SPF_PASS)
        a->spf->ip_ok[it->ip] = 0;
}

/* release_eval, release_lint - free a machine (audit_run's release) */
static void release_eval(void *self)
{
    ink_spf_free(self);
}

static void release_lint(void *self)
{
    ink_spf_lint_free(self);
}

/* add_eval - check_host() of addr (of --ip ip) for the domain */
static int add_eval(struct ink_audit *a, size_t ip, const uint8_t *addr)
{
    struct audit_spf *s = a->spf;
    struct spf_eval_item *it = &s->evals[s->nevals];
    struct ink_spf_params p;
    struct ink_str sender = INK_STR_INIT;
    struct ink_spf *ev;

    memset(&p, 0, sizeof(p));
    p.family = a->ips[ip].family;
    memcpy(p.ip, addr, p.family == 4 ? 4 : 16);
    if (ink_str_printf(&sender, "postmaster@%s", a->domain) < 0) {
        ink_str_free(&sender);
        a->nomem = 1;
        return -1;
    }
    p.mail_from = ink_str_cstr(&sender);
    p.helo = a->nhelos > 0 ? a->helos[0] : a->domain;
    ev = ink_spf_new(&p);
    ink_str_free(&sender);
    if (ev == NULL) {
        a->nomem = 1;
        return -1;
    }
    it->ip = ip;
    it->family = p.family;
    memcpy(it->addr, addr, 16);
    if (audit_run(a, "spf", ink_spf_machine(ev), release_eval, eval_done, s->nevals) < 0)
        return -1;
    s->nevals++;
    return 0;
}

/* spf_start - the lint, and one evaluation per end of each sending range */
static int spf_start(struct ink_audit *a)
{
    struct audit_spf *s = calloc(1, sizeof(*s));
    struct ink_spf_lint *l;
    size_t i;

    if (s == NULL) {
        a->nomem = 1;
        return -1;
    }
    a->spf = s;
    if (a->nips > 0) {
        s->evals = calloc(a->nips * 2, sizeof(*s->evals));
        s->ip_ok = calloc(a->nips, sizeof(*s->ip_ok));
        if (s->evals == NULL || s->ip_ok == NULL) {
            a->nomem = 1;
            return -1;
        }
    }
    if (a->nincludes > 0 && (s->inc_ok = calloc(a->nincludes, sizeof(*s->inc_ok))) == NULL) {
        a->nomem = 1;
        return -1;
    }
    l = ink_spf_lint_new_domain(a->domain);
    if (l == NULL) {
        a->nomem = 1;
        return -1;
    }
    if (audit_run(a, "spf", ink_spf_lint_machine(l), release_lint, lint_done, 0) < 0)
        return -1;
    for (i = 0; i < a->nips; i++) {
        const struct ink_audit_ip *r = &a->ips[i];
        uint8_t first[16], last[16];
        size_t alen = r->family == 4 ? 4 : 16;

        memset(first, 0, sizeof(first));
        memset(last, 0, sizeof(last));
        range_first(r, first);
        range_last(r, last);
        s->ip_ok[i] = 1;
        if (add_eval(a, i, first) < 0)
            return -1;
        if (memcmp(first, last, alen) != 0 && add_eval(a, i, last) < 0)
            return -1;
    }
    return 0;
}

/* find_include - whether the tree reaches domain by include (or redirect) */
static int find_include(const struct ink_spf_lint_node *n, const char *domain, int depth)
{
    size_t i;

    if (n == NULL || depth > INK_SPF_LINT_DEPTH_MAX)
        return 0;
    if (depth > 0 && ink_dns_name_eq(n->domain, domain))
        return 1;
    for (i = 0; i < n->nchild; i++)
        if (find_include(&n->child[i], domain, depth + 1))
            return 1;
    return 0;
}

/* lint_done - the lint has ended: its findings become the audit's */
static void lint_done(struct ink_audit *a, size_t unused, void *machine)
{
    struct ink_spf_lint *l = machine;
    struct audit_spf *s = a->spf;
    size_t i, n = ink_spf_lint_nfindings(l);
    const char *rec = ink_spf_lint_record(l), *fixed = ink_spf_lint_fixed_record(l);

    (void)unused;
    s->lint_done = 1;
    if (rec != NULL) {
        s->record = audit_strdup(a, rec);
        audit_record(a, "spf", a->domain, "TXT", rec, strlen(rec));
    } else {
        s->nrecords_none = 1;
    }
    if (fixed != NULL)
        s->fixed = audit_strdup(a, fixed);
    for (i = 0; i < n; i++) {
        const struct ink_finding *f = ink_spf_lint_finding(l, i);
        const char *fix = ink_spf_lint_finding_record(l, i);
        char *line = NULL;

        if (fix != NULL)
            line = audit_fix_line(a, f->subject, INK_DNS_TXT, fix);
        if (fix != NULL && s->merged == NULL && strcmp(f->code, INK_SPF_LINT_DUPLICATE) == 0 &&
            ink_dns_name_eq(f->subject, a->domain))
            s->merged = audit_strdup(a, fix);
        audit_finding_pass(a, f->severity, "spf", f->code, f->subject, line, "%s", f->message);
        free(line);
    }
    for (i = 0; i < a->nincludes; i++)
        s->inc_ok[i] = find_include(ink_spf_lint_tree(l), a->includes[i], 0);
}

/* spf_finish - include/IP authorization findings and the combined fix */
static void spf_finish(struct ink_audit *a)
{
    struct audit_spf *s = a->spf;
    struct ink_str add = INK_STR_INIT;
    char *combined = NULL, *line = NULL;
    size_t i, k, first_new = a->nfind;

    if (s == NULL || !s->lint_done)
        return;
    for (i = 0; i < a->nincludes; i++) {
        if (s->inc_ok[i]) {
            audit_finding(a, INK_SEV_INFO, "spf", "spf-include-present", a->domain, NULL,
                          "the SPF record of %s reaches include:%s", a->domain,
                          a->includes[i]);
            continue;
        }
        ink_str_printf(&add, "%sinclude:%s", add.len ? " " : "", a->includes[i]);
        audit_finding(a, INK_SEV_ERROR, "spf", "spf-include-missing", a->domain, NULL,
                      "the SPF record of %s does not include %s: mail the platform sends for "
                      "%s fails SPF",
                      a->domain, a->includes[i], a->domain);
    }
    for (i = 0; i < a->nips; i++) {
        const struct ink_audit_ip *r = &a->ips[i];
        char ip[AUDIT_ADDR_TEXT_MAX];
        const char *why = NULL;
        enum ink_spf_result res = INK_SPF_PASS;
        uint8_t net[16];
        int single;

        if (s->ip_ok[i]) {
            char shown[AUDIT_ADDR_TEXT_MAX];

            ink_ip_format(r->family, r->addr, shown, sizeof(shown));
            audit_finding(a, INK_SEV_INFO, "spf", "spf-ip-authorized", shown, NULL,
                          "%s%s passes SPF for %s", shown,
                          r->prefix == (r->family == 4 ? 32u : 128u) ? "" : " (the range)",
                          a->domain);
            continue;
        }
        for (k = 0; k < s->nevals; k++)
            if (s->evals[k].ip == i && s->evals[k].done && s->evals[k].result != INK_SPF_PASS) {
                why = s->evals[k].reason;
                res = s->evals[k].result;
                break;
            }
        if (k == s->nevals)
            continue; /* no evaluation finished (reported as incomplete) */
        memset(net, 0, sizeof(net));
        range_first(r, net);
        ink_ip_format(r->family, net, ip, sizeof(ip));
        single = r->prefix == (r->family == 4 ? 32u : 128u);
        if (!single) {
            size_t l = strlen(ip);

            snprintf_prefix(ip + l, sizeof(ip) - l, r->prefix);
        }
        ink_str_printf(&add, "%sip%d:%s", add.len ? " " : "", r->family, ip);
        if (res == INK_SPF_TEMPERROR)
            audit_finding(a, INK_SEV_WARNING, "spf", "spf-ip-temperror", ip, NULL,
                          "could not tell whether %s may send for %s: %s", ip, a->domain,
                          why ? why : "temporary error");
        else
            audit_finding(a, INK_SEV_ERROR, "spf", "spf-ip-not-authorized", ip, NULL,
                          "%s%s is not authorized by the SPF record of %s (result %s: %s)", ip,
                          single ? "" : " (at least part of the range)", a->domain,
                          ink_spf_result_name(res), why ? why : "");
    }
    /* one record that fixes every problem of the domain's own SPF */
    {
        const char *base = s->merged != NULL  ? s->merged
                           : s->fixed != NULL ? s->fixed
                                              : s->record;

        if (base != NULL && add.len > 0) {
            if (ink_spf_edit_insert(base, strlen(base), ink_str_cstr(&add), &combined) ==
                INK_SPF_EDIT_NOMEM)
                a->nomem = 1;
        }
        else if (base == NULL && add.len > 0) {
            struct ink_str t = INK_STR_INIT;

            ink_str_printf(&t, "v=spf1 %s -all", ink_str_cstr(&add));
            combined = ink_str_steal(&t);
        } else if (base != NULL && (s->record == NULL || strcmp(base, s->record) != 0))
            combined = audit_strdup(a, base);
    }
    if (combined != NULL)
        line = audit_fix_line(a, a->domain, INK_DNS_TXT, combined);
    for (i = 0; line != NULL && i < a->nfind; i++) {
        struct ink_finding *f = &a->find[i];

        if (strcmp(f->area, "spf") != 0 || f->severity == INK_SEV_INFO)
            continue;
        if (i >= first_new || (f->subject != NULL && ink_dns_name_eq(f->subject, a->domain)))
            audit_set_fix(a, f, line);
    }
    ink_str_free(&add);
    free(combined);
    free(line);
}

/* spf_release - the SPF state */
static void spf_release(struct ink_audit *a)
{
    struct audit_spf *s = a->spf;
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->nevals; i++)
        free(s->evals[i].reason);
    free(s->evals);
    free(s->ip_ok);
    free(s->inc_ok);
    free(s->record);
    free(s->fixed);
    free(s->merged);
    free(s);
    a->spf = NULL;
}

const struct audit_area audit_area_spf = {"spf", spf_start, spf_finish, spf_release};
