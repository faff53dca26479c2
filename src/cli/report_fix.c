/*
 * report_fix.c - the DNS changes of `inkan report advise`: reads each
 * advised domain's current SPF record (the SPF lint machine) and DMARC
 * record (DMARC discovery) through the driver, hands them to the core's
 * advice builder (inkan/report_fix.h), lints the merged SPF record for
 * its lookup count, and prints the changes as zone-file lines or JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report_json.h"
#include "inkan/dmarc.h"
#include "inkan/driver.h"
#include "inkan/report_fix.h"
#include "inkan/spf_lint.h"

/* What is read of one domain before its advice is built. */
struct fix_dns {
    struct ink_spf_lint *lint;   /* the current SPF record */
    struct ink_dmarc_disc *disc; /* the current DMARC record */
    struct ink_spf_lint *check;  /* the merged record, linted */
};

/* is_failing_legit - the sources advise lists to fix */
static int is_failing_legit(const struct ink_report_source *s)
{
    return strcmp(s->class, "legitimate-failing") == 0;
}

/* spf_current - the current SPF record from a finished lint into c */
static void spf_current(struct ink_spf_lint *l, struct ink_fix_current *c)
{
    const struct ink_spf_lint_node *root = l != NULL ? ink_spf_lint_tree(l) : NULL;
    const char *rec = l != NULL ? ink_spf_lint_record(l) : NULL;

    if (root == NULL) {
        c->spf_state = INK_FIX_REC_UNKNOWN;
    } else if (rec != NULL) {
        c->spf_state = INK_FIX_REC_FOUND;
        c->spf = rec;
    } else if (strcmp(root->status, "none") == 0 || strcmp(root->status, "nxdomain") == 0) {
        c->spf_state = INK_FIX_REC_NONE;
    } else if (strcmp(root->status, "temperror") == 0) {
        c->spf_state = INK_FIX_REC_UNKNOWN;
        c->spf_why = "a temporary DNS failure";
    } else {
        c->spf_state = INK_FIX_REC_UNKNOWN;
        c->spf_why = "several SPF records, or none readable: see inkan spf lint";
    }
}

/* dmarc_current - the domain's own _dmarc record from a finished
 * discovery into c */
static void dmarc_current(struct ink_dmarc_disc *d, const char *domain,
                          struct ink_fix_current *c)
{
    const struct ink_dmarc_result *r = d != NULL ? ink_dmarc_disc_result(d) : NULL;
    const struct ink_dmarc_lookup *own;

    c->dmarc_state = INK_FIX_REC_UNKNOWN;
    if (r == NULL || r->nlookups == 0 || !ink_dns_name_eq(r->lookups[0].domain, domain)) {
        c->dmarc_why = "a temporary DNS failure";
        return;
    }
    own = &r->lookups[0];
    if (own->status == INK_DNS_SERVFAIL || own->status == INK_DNS_TIMEOUT) {
        c->dmarc_why = "a temporary DNS failure";
    } else if (own->nrecords == 1 && own->text != NULL) {
        c->dmarc_state = INK_FIX_REC_FOUND;
        c->dmarc = own->text;
    } else if (own->nrecords == 0) {
        c->dmarc_state = INK_FIX_REC_NONE;
    } else {
        c->dmarc_why = "several DMARC records are published";
    }
}

/* sources_of - the legitimate failing sources of s as the builder takes
 * them (fresh array, the strings borrowed); NULL out of memory */
static struct ink_fix_source *sources_of(const struct ink_report_summary *s, size_t *n)
{
    struct ink_fix_source *v = calloc(s->nsources ? s->nsources : 1, sizeof(*v));
    size_t j;

    *n = 0;
    for (j = 0; v != NULL && j < s->nsources && *n < INK_FIX_SOURCES_MAX; j++) {
        const struct ink_report_source *src = &s->sources[j];
        if (!is_failing_legit(src))
            continue;
        v[*n].ip = src->ip;
        v[*n].failing = src->messages - src->dmarc_pass;
        v[*n].spf_domains = src->spf_pass_domains;
        v[*n].dkim_domains = src->dkim_pass_domains;
        v[*n].platform = src->platform;
        (*n)++;
    }
    return v;
}

/* has_failing_legit - s has a source to fix */
static int has_failing_legit(const struct ink_report_summary *s)
{
    size_t j;

    for (j = 0; j < s->nsources; j++)
        if (is_failing_legit(&s->sources[j]))
            return 1;
    return 0;
}

/* too_many_message - the lint's too-many-lookups message, or NULL */
static const char *too_many_message(const struct ink_spf_lint *l)
{
    size_t i, n = ink_spf_lint_nfindings(l);

    for (i = 0; i < n; i++) {
        const struct ink_finding *f = ink_spf_lint_finding(l, i);
        if (strcmp(f->code, INK_SPF_LINT_TOO_MANY_LOOKUPS) == 0)
            return f->message;
    }
    return NULL;
}

/* run_driver - run what was added to d; a resolver failure leaves the
 * lookups as temporary failures (the advice then says so) */
static void run_driver(struct ink_driver *d)
{
    if (ink_driver_run(d) < 0)
        cli_error("note: the DNS resolver failed; records not read are shown as unknown");
}

/* cli_report_fixes - see report_json.h */
int cli_report_fixes(const struct ink_report_summary *sum, size_t n,
                     const struct ink_resolver_opts *ropts, struct ink_fix_advice ***out)
{
    struct ink_fix_advice **adv = calloc(n ? n : 1, sizeof(*adv));
    struct fix_dns *dns = calloc(n ? n : 1, sizeof(*dns));
    struct ink_resolver *r = NULL;
    struct ink_driver *d = NULL;
    struct ink_driver_opts dopts;
    struct ink_str err = INK_STR_INIT;
    size_t i;
    int rc = -1;

    *out = NULL;
    if (adv == NULL || dns == NULL)
        goto oom;
    for (i = 0; i < n && !has_failing_legit(&sum[i]); i++)
        ;
    if (i == n)
        ropts = NULL; /* nothing to fix: nothing to look up */
    if (ropts != NULL) {
        r = cli_resolver_open(ropts);
        if (r == NULL)
            goto out;
        memset(&dopts, 0, sizeof(dopts));
        dopts.timeout_ms = ropts->timeout_ms;
        d = ink_driver_new(r, &dopts);
        if (d == NULL)
            goto oom;
        for (i = 0; i < n; i++) {
            if (!has_failing_legit(&sum[i]))
                continue;
            dns[i].lint = ink_spf_lint_new_domain(sum[i].domain);
            dns[i].disc = ink_dmarc_disc_new(sum[i].domain, INK_DMARC_ORG_TREEWALK, NULL,
                                             INK_DMARC_DISC_NO_DESTS);
            if ((dns[i].lint != NULL &&
                 ink_driver_add(d, ink_spf_lint_machine(dns[i].lint), NULL, NULL) < 0) ||
                (dns[i].disc != NULL &&
                 ink_driver_add(d, ink_dmarc_disc_machine(dns[i].disc), NULL, NULL) < 0))
                goto oom;
        }
        run_driver(d);
    }
    for (i = 0; i < n; i++) {
        struct ink_fix_current cur;
        struct ink_fix_source *v;
        size_t nv;
        if (!has_failing_legit(&sum[i]))
            continue;
        memset(&cur, 0, sizeof(cur));
        if (ropts != NULL) {
            spf_current(dns[i].lint, &cur);
            dmarc_current(dns[i].disc, sum[i].domain, &cur);
        }
        v = sources_of(&sum[i], &nv);
        if (v == NULL)
            goto oom;
        adv[i] = ink_fix_build(sum[i].domain, &cur, v, nv, NULL, &err);
        free(v);
        if (adv[i] == NULL) { /* that domain's changes are left out, the rest go on */
            cli_error("note: no DNS changes for %s: %s", cli_shown(sum[i].domain),
                      ink_str_cstr(&err));
            ink_str_truncate(&err, 0);
        }
    }
    /* the merged SPF records, linted as if published: the lookup count */
    if (d != NULL) {
        int any = 0;
        for (i = 0; i < n; i++) {
            const struct ink_fix_change *c =
                ink_fix_change(adv[i], ink_fix_spf_index(adv[i]));
            if (c == NULL || c->new_value == NULL)
                continue;
            dns[i].check = ink_spf_lint_new_record(sum[i].domain, (const uint8_t *)c->new_value,
                                                   strlen(c->new_value));
            if (dns[i].check != NULL &&
                ink_driver_add(d, ink_spf_lint_machine(dns[i].check), NULL, NULL) < 0)
                goto oom;
            any = 1;
        }
        if (any)
            run_driver(d);
        for (i = 0; i < n; i++)
            if (dns[i].check != NULL && ink_spf_lint_tree(dns[i].check) != NULL &&
                ink_fix_set_spf_check(adv[i], ink_spf_lint_lookups(dns[i].check),
                                      too_many_message(dns[i].check)) < 0)
                goto oom;
    }
    *out = adv;
    adv = NULL;
    rc = 0;
    goto out;
oom:
    cli_error("out of memory");
out:
    cli_report_fixes_free(adv, n);
    for (i = 0; dns != NULL && i < n; i++) {
        ink_spf_lint_free(dns[i].lint);
        ink_dmarc_disc_free(dns[i].disc);
        ink_spf_lint_free(dns[i].check);
    }
    free(dns);
    ink_driver_free(d);
    ink_resolver_free(r);
    ink_str_free(&err);
    return rc;
}

/* cli_report_fixes_free - see report_json.h */
void cli_report_fixes_free(struct ink_fix_advice **adv, size_t n)
{
    size_t i;

    for (i = 0; adv != NULL && i < n; i++)
        ink_fix_free(adv[i]);
    free(adv);
}

/* change_title - what a change does, in a few words */
static const char *change_title(const struct ink_fix_change *c)
{
    switch (c->kind) {
    case INK_FIX_SPF: return "SPF: merge";
    case INK_FIX_DKIM_SELECTOR: return "DKIM: publish selector";
    case INK_FIX_DKIM_ASK: return "DKIM: ask for a selector";
    case INK_FIX_ALIGNMENT: return "DMARC: set";
    }
    return "?";
}

/* cli_report_fix_source_text - see report_json.h */
void cli_report_fix_source_text(const struct ink_fix_advice *a, size_t k, const char *domain)
{
    size_t idx[INK_FIX_PER_SOURCE_MAX], m, j;

    if (a == NULL)
        return;
    m = ink_fix_source_changes(a, k, idx);
    if (ink_fix_source_spf_included(a, k))
        printf("      SPF: its platform is in the SPF record of %s already; ask it to send with "
               "a return path (MAIL FROM) in %s\n", domain, domain);
    for (j = 0; j < m; j++) {
        const struct ink_fix_change *c = ink_fix_change(a, idx[j]);
        printf("      change %zu: %s%s%s\n", idx[j] + 1, change_title(c), c->terms ? " " : "",
               c->terms ? c->terms : "");
    }
    if (m == 0 && !ink_fix_source_spf_included(a, k))
        printf("      no DNS change computed for it (the current records may accept it "
               "already: the reports can be older than they are)\n");
}

/* cli_report_fix_domain_text - see report_json.h */
void cli_report_fix_domain_text(const struct ink_fix_advice *a)
{
    size_t i, n = ink_fix_nchanges(a);

    if (n == 0)
        return;
    printf("  DNS changes (zone-file lines):\n");
    for (i = 0; i < n; i++) {
        const struct ink_fix_change *c = ink_fix_change(a, i);
        printf("    change %zu: %s%s%s at %s\n", i + 1, change_title(c), c->terms ? " " : "",
               c->terms ? c->terms : "", c->owner);
        printf("      ; %s\n", c->note);
        if (c->old_line != NULL)
            printf("      ; replaces: %s\n", c->old_line);
        if (c->zone_line != NULL)
            printf("      %s\n", c->zone_line);
        if (c->lookups > 0)
            printf("      ; DNS lookups of the new record: %u (limit %d)\n", c->lookups,
                   INK_SPF_LINT_LOOKUP_LIMIT);
        if (c->warning != NULL)
            printf("      ; warning: %s\n", c->warning);
    }
    if (ink_fix_dropped(a) > 0)
        printf("    (%zu more terms or selectors left out: fix the ones above first)\n",
               ink_fix_dropped(a));
}

/* str_or_null - a JSON string, or null for NULL */
static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* cli_report_fix_change_json - see report_json.h */
json_t *cli_report_fix_change_json(const struct ink_fix_change *c, size_t index)
{
    json_t *o = json_object();

    if (o == NULL)
        return NULL;
    json_object_set_new(o, "change", json_integer((json_int_t)index + 1));
    json_object_set_new(o, "kind", json_string(ink_fix_kind_name(c->kind)));
    json_object_set_new(o, "owner", json_string(c->owner));
    json_object_set_new(o, "type", json_string(c->type));
    json_object_set_new(o, "ttl", json_null());
    json_object_set_new(o, "terms", str_or_null(c->terms));
    json_object_set_new(o, "old_state", json_string(ink_fix_rec_name(c->old_state)));
    json_object_set_new(o, "old_value", str_or_null(c->old_value));
    json_object_set_new(o, "new_value", str_or_null(c->new_value));
    json_object_set_new(o, "old_line", str_or_null(c->old_line));
    json_object_set_new(o, "zone_line", str_or_null(c->zone_line));
    json_object_set_new(o, "note", json_string(c->note));
    json_object_set_new(o, "lookups", c->lookups > 0 ? json_integer(c->lookups) : json_null());
    json_object_set_new(o, "warning", str_or_null(c->warning));
    return o;
}

/* cli_report_fix_source_json - see report_json.h */
int cli_report_fix_source_json(const struct ink_fix_advice *a, size_t k, json_t *o)
{
    size_t idx[INK_FIX_PER_SOURCE_MAX], m = ink_fix_source_changes(a, k, idx), j;
    json_t *arr = json_array();

    if (arr == NULL)
        return -1;
    for (j = 0; j < m; j++)
        json_array_append_new(arr, cli_report_fix_change_json(ink_fix_change(a, idx[j]), idx[j]));
    json_object_set_new(o, "spf_terms", str_or_null(ink_fix_source_spf_term(a, k)));
    json_object_set_new(o, "spf_included", json_boolean(ink_fix_source_spf_included(a, k)));
    json_object_set_new(o, "dns", arr);
    return 0;
}

/* cli_report_fix_domain_json - see report_json.h */
json_t *cli_report_fix_domain_json(const struct ink_fix_advice *a)
{
    json_t *arr = json_array();
    size_t i, n = ink_fix_nchanges(a);

    for (i = 0; arr != NULL && i < n; i++)
        json_array_append_new(arr, cli_report_fix_change_json(ink_fix_change(a, i), i));
    return arr;
}
