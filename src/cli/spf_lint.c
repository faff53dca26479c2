/*
 * spf_lint.c - `inkan spf lint (DOMAIN | --record TEXT) [--domain D]
 * [--zone FILE | --dns HOST[:PORT]] [--json]`: run the sans-I/O SPF lint
 * (inkan/spf_lint.h) with the driver (inkan/driver.h) over a resolver and
 * print its findings as text or JSON.  Reached through `inkan spf lint` (spf.c hands argv over).
 *
 * Exit status: 0 when the lint ran, whatever it found (the findings say
 * how bad things are; --fail-on turns them into a status for scripts),
 * 1 operational error (no resolver, unreadable zone file), 2 usage error.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inkan/driver.h"
#include "inkan/spf_lint.h"
#include "inkan/str.h"

/* Longest record shown with a caret under the term a finding is about. */
#define LINT_CARET_RECORD_MAX 160
/* Exit status with --fail-on when a finding at that severity exists. */
#define LINT_EXIT_FINDINGS 3

enum {
    OPT_RECORD = CLI_OPT_FIRST_FREE,
    OPT_DOMAIN,
    OPT_FAIL_ON
};

static const char lint_usage[] =
    "usage: inkan spf lint DOMAIN [DNS SOURCE] [--json]\n"
    "       inkan spf lint --record TEXT [--domain DOMAIN] [DNS SOURCE] [--json]\n"
    "\n"
    "Check a domain's SPF record and everything it includes: syntax (with the\n"
    "column), duplicate records, +all/?all, ptr, DNS lookups over the limit of 10\n"
    "counted through the whole include/redirect tree, void lookups, includes that\n"
    "do not exist, sizes.  Each finding has a severity, a stable code and, where\n"
    "one can be computed, the corrected record to publish.\n"
    "\n"
    "  --record TEXT        lint this record text instead of a published one\n"
    "  --domain DOMAIN      with --record: the domain it would be published at\n"
    "  --json               print one JSON object\n"
    "  --fail-on LEVEL      exit 3 if a finding of LEVEL (error, warning, info)\n"
    "                       or worse exists\n" CLI_DNS_HELP
    "\n"
    "Exit status: 0 the lint ran (whatever it found), 1 operational error,\n"
    "2 usage error, 3 with --fail-on when such a finding exists.\n";

/* lint_drive - run l to completion over r with the driver; 0, or -1
 * after printing why */
static int lint_drive(struct ink_spf_lint *l, struct ink_resolver *r, int timeout_ms)
{
    struct ink_driver_opts opts;

    memset(&opts, 0, sizeof(opts));
    opts.timeout_ms = timeout_ms;
    opts.no_cache = 1; /* the lint asks each question once */
    if (ink_drive_sync(r, ink_spf_lint_machine(l), &opts) != INK_NEXT_DONE) {
        cli_error("spf lint: out of memory");
        return -1;
    }
    return 0;
}

/* printable - untrusted text made printable (caller frees) */
static char *printable(const char *s)
{
    struct ink_str o = INK_STR_INIT;

    if (s == NULL)
        return NULL;
    ink_str_put_printable(&o, s, strlen(s), strlen(s));
    return ink_str_steal(&o);
}

/* ---- JSON ---------------------------------------------------------------- */

static json_t *json_str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* tree_json - one node and its children */
static json_t *tree_json(const struct ink_spf_lint_node *n)
{
    json_t *o = json_object(), *kids = json_array();
    size_t i;

    json_object_set_new(o, "domain", json_string(n->domain));
    json_object_set_new(o, "via", json_string(n->via));
    json_object_set_new(o, "offset", n->offset >= 0 ? json_integer(n->offset) : json_null());
    json_object_set_new(o, "record", json_str_or_null(n->record));
    json_object_set_new(o, "status", json_string(n->status));
    json_object_set_new(o, "lookups", json_integer(n->lookups_self));
    json_object_set_new(o, "lookups_total", json_integer(n->lookups_total));
    json_object_set_new(o, "void_lookups", json_integer(n->voids_total));
    json_object_set_new(o, "repeated", json_boolean(n->repeated));
    for (i = 0; i < n->nchild; i++)
        json_array_append_new(kids, tree_json(&n->child[i]));
    json_object_set_new(o, "children", kids);
    return o;
}

/* zone_of - the zone-file line of a fix, when the corrected record needs
 * more than one string (shown apart from the record only then) */
static const char *zone_of(const char *record, const struct ink_finding *f)
{
    return record != NULL && strlen(record) > INK_SPF_LINT_STRING_MAX ? f->fix : NULL;
}

/* print_json - the whole result as one object */
static int print_json(const struct ink_spf_lint *l, const char *domain_arg)
{
    json_t *o = json_object(), *arr = json_array();
    char *rec = printable(ink_spf_lint_record(l));
    char *fixed = printable(ink_spf_lint_fixed_record(l));
    const char *dom = ink_spf_lint_domain(l);
    size_t i, counts[3] = {0, 0, 0};
    char *text;

    json_object_set_new(o, "domain", json_str_or_null(dom != NULL ? dom : domain_arg));
    json_object_set_new(o, "record", json_str_or_null(rec));
    for (i = 0; i < ink_spf_lint_nfindings(l); i++) {
        const struct ink_finding *f = ink_spf_lint_finding(l, i);
        const char *record = ink_spf_lint_finding_record(l, i);
        json_t *jf = json_object();
        char *fix = printable(record);

        counts[f->severity]++;
        json_object_set_new(jf, "severity", json_string(ink_severity_name(f->severity)));
        json_object_set_new(jf, "code", json_string(f->code));
        json_object_set_new(jf, "message", json_string(f->message));
        json_object_set_new(jf, "domain", json_string(f->subject));
        json_object_set_new(jf, "offset", f->offset >= 0 ? json_integer(f->offset) : json_null());
        json_object_set_new(jf, "column",
                            f->offset >= 0 ? json_integer(f->offset + 1) : json_null());
        json_object_set_new(jf, "length", json_integer((json_int_t)f->length));
        json_object_set_new(jf, "fix", json_str_or_null(fix));
        json_object_set_new(jf, "zone", json_str_or_null(zone_of(record, f)));
        json_array_append_new(arr, jf);
        free(fix);
    }
    json_object_set_new(o, "findings", arr);
    json_object_set_new(o, "errors", json_integer((json_int_t)counts[INK_SEV_ERROR]));
    json_object_set_new(o, "warnings", json_integer((json_int_t)counts[INK_SEV_WARNING]));
    json_object_set_new(o, "infos", json_integer((json_int_t)counts[INK_SEV_INFO]));
    json_object_set_new(o, "lookups", json_integer(ink_spf_lint_lookups(l)));
    json_object_set_new(o, "lookup_limit", json_integer(INK_SPF_LINT_LOOKUP_LIMIT));
    json_object_set_new(o, "void_lookups", json_integer(ink_spf_lint_voids(l)));
    json_object_set_new(o, "void_lookup_limit", json_integer(INK_SPF_LINT_VOID_LIMIT));
    json_object_set_new(o, "fixed_record", json_str_or_null(fixed));
    if (fixed != NULL && strlen(fixed) > INK_SPF_LINT_STRING_MAX) {
        char *zl = ink_spf_lint_zone_line(dom, fixed, strlen(fixed));

        json_object_set_new(o, "fixed_zone", json_str_or_null(zl));
        free(zl);
    } else {
        json_object_set_new(o, "fixed_zone", json_null());
    }
    json_object_set_new(o, "tree", ink_spf_lint_tree(l) ? tree_json(ink_spf_lint_tree(l))
                                                        : json_null());
    text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    free(rec);
    free(fixed);
    if (text == NULL) {
        cli_error("spf lint: out of memory");
        return -1;
    }
    puts(text);
    free(text);
    return 0;
}

/* ---- text ---------------------------------------------------------------- */

/* print_tree - indented tree of records with their lookup counts */
static void print_tree(const struct ink_spf_lint_node *n, int depth)
{
    size_t i;

    printf("  %*s%s%s%s  %u lookup%s", depth * 2, "",
           depth == 0 ? "" : n->via, depth == 0 ? "" : ":", n->domain[0] ? n->domain : "(record)",
           n->lookups_total, n->lookups_total == 1 ? "" : "s");
    if (n->voids_total)
        printf(", %u void", n->voids_total);
    if (strcmp(n->status, "ok") != 0)
        printf(" [%s]", n->status);
    if (n->repeated)
        printf(" [counted again, listed above]");
    putchar('\n');
    for (i = 0; i < n->nchild; i++)
        print_tree(&n->child[i], depth + 1);
}

/* show_caret - point at the term under the record: only for the root's
 * own record, when it is short and printed byte for byte */
static int show_caret(const struct ink_spf_lint *l, const char *printed,
                      const struct ink_finding *f)
{
    const char *raw = ink_spf_lint_record(l), *dom = ink_spf_lint_domain(l);

    if (raw == NULL || printed == NULL || strcmp(raw, printed) != 0 ||
        strlen(raw) > LINT_CARET_RECORD_MAX || (size_t)f->offset > strlen(raw))
        return 0;
    return dom != NULL ? strcmp(f->subject, dom) == 0 : strcmp(f->subject, "(record)") == 0;
}

/* print_caret - the record, and ^~~ under [off, off+len) */
static void print_caret(const char *rec, size_t off, size_t len)
{
    size_t i;

    printf("        %s\n        ", rec);
    for (i = 0; i < off; i++)
        putchar(' ');
    putchar('^');
    for (i = 1; i < len && off + i < strlen(rec); i++)
        putchar('~');
    putchar('\n');
}

/* print_text - findings, counts, tree and the record to publish */
static void print_text(const struct ink_spf_lint *l)
{
    const char *dom = ink_spf_lint_domain(l);
    char *rec = printable(ink_spf_lint_record(l));
    char *fixed = printable(ink_spf_lint_fixed_record(l));
    size_t i, counts[3] = {0, 0, 0};

    printf("%s: %s\n", dom != NULL ? dom : "(record)", rec != NULL ? rec : "(no SPF record)");
    for (i = 0; i < ink_spf_lint_nfindings(l); i++) {
        const struct ink_finding *f = ink_spf_lint_finding(l, i);
        const char *record = ink_spf_lint_finding_record(l, i);
        char *fix = printable(record);

        counts[f->severity]++;
        printf("%-7s %s: %s\n", ink_severity_name(f->severity), f->code, f->message);
        if (f->offset >= 0)
            printf("        at column %ld of %s's record\n", f->offset + 1, f->subject);
        if (f->offset >= 0 && show_caret(l, rec, f))
            print_caret(rec, (size_t)f->offset, f->length);
        if (fix != NULL)
            printf("        fix: %s\n", fix);
        if (zone_of(record, f) != NULL)
            printf("        zone: %s\n", zone_of(record, f));
        free(fix);
    }
    printf("lookups: %u of %d; void lookups: %u of %d\n", ink_spf_lint_lookups(l),
           INK_SPF_LINT_LOOKUP_LIMIT, ink_spf_lint_voids(l), INK_SPF_LINT_VOID_LIMIT);
    if (ink_spf_lint_tree(l) != NULL && ink_spf_lint_tree(l)->record != NULL) {
        printf("tree:\n");
        print_tree(ink_spf_lint_tree(l), 0);
    }
    if (fixed != NULL) {
        printf("publish: %s\n", fixed);
        if (strlen(fixed) > INK_SPF_LINT_STRING_MAX) {
            char *zl = ink_spf_lint_zone_line(dom, fixed,
                                              strlen(fixed));

            if (zl != NULL)
                printf("publish (zone file): %s\n", zl);
            free(zl);
        }
    }
    printf("%zu error%s, %zu warning%s, %zu info\n", counts[INK_SEV_ERROR],
           counts[INK_SEV_ERROR] == 1 ? "" : "s", counts[INK_SEV_WARNING],
           counts[INK_SEV_WARNING] == 1 ? "" : "s", counts[INK_SEV_INFO]);
    free(rec);
    free(fixed);
}

/* lint_help - the help, for the option layer */
static void lint_help(FILE *fp)
{
    fputs(lint_usage, fp);
}

/* cmd_spf_lint - `inkan spf lint`; argv[0] is "inkan spf lint" */
int cmd_spf_lint(int argc, char **argv)
{
    static const struct option own[] = {
        {"record", required_argument, NULL, OPT_RECORD},
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {"fail-on", required_argument, NULL, OPT_FAIL_ON},
        {NULL, 0, NULL, 0}};
    struct ink_resolver_opts dns;
    struct ink_resolver *r;
    struct ink_spf_lint *l;
    const char *record = NULL, *domain = NULL;
    int json = 0, opt, rc, fail_on = -1;
    const struct cli_optset set = {.own = own, .dns = &dns, .json = &json, .usage = lint_help};

    memset(&dns, 0, sizeof(dns));
    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        switch (opt) {
        case OPT_RECORD:
            record = optarg;
            break;
        case OPT_DOMAIN:
            domain = optarg;
            break;
        case OPT_FAIL_ON:
            if (strcmp(optarg, "error") == 0)
                fail_on = INK_SEV_ERROR;
            else if (strcmp(optarg, "warning") == 0)
                fail_on = INK_SEV_WARNING;
            else if (strcmp(optarg, "info") == 0)
                fail_on = INK_SEV_INFO;
            else {
                cli_error("spf lint: --fail-on: '%s' is not error, warning or info", optarg);
                return INK_EXIT_USAGE;
            }
            break;
        case CLI_GETOPT_HELP:
            return INK_EXIT_OK;
        default: /* CLI_GETOPT_USAGE: said why */
            return INK_EXIT_USAGE;
        }
    }
    if (record == NULL && optind + 1 != argc) {
        cli_error("spf lint: give one DOMAIN or --record TEXT (see 'inkan spf lint --help')");
        return INK_EXIT_USAGE;
    }
    if (record != NULL && optind != argc) {
        cli_error("spf lint: '%s': give either DOMAIN or --record (with --domain)", argv[optind]);
        return INK_EXIT_USAGE;
    }
    if (record == NULL && domain != NULL) {
        cli_error("spf lint: --domain goes with --record; to lint a published record give "
                  "DOMAIN alone");
        return INK_EXIT_USAGE;
    }
    if (record == NULL)
        domain = argv[optind];

    if (record != NULL)
        l = ink_spf_lint_new_record(domain, (const uint8_t *)record, strlen(record));
    else
        l = ink_spf_lint_new_domain(domain);
    if (l == NULL) {
        struct ink_str m = INK_STR_INIT;

        ink_str_put_printable(&m, domain != NULL ? domain : "", domain ? strlen(domain) : 0, 80);
        cli_error("spf lint: '%s' is not a valid domain name", ink_str_cstr(&m));
        ink_str_free(&m);
        return INK_EXIT_USAGE;
    }
    if ((r = cli_resolver_open(&dns)) == NULL) {
        ink_spf_lint_free(l);
        return INK_EXIT_OPERR;
    }
    rc = lint_drive(l, r, dns.timeout_ms);
    ink_resolver_free(r);
    if (rc < 0) {
        ink_spf_lint_free(l);
        return INK_EXIT_OPERR;
    }
    if (json)
        rc = print_json(l, domain);
    else
        print_text(l);
    if (rc == 0 && fail_on >= 0 && ink_spf_lint_worst(l) >= fail_on)
        rc = LINT_EXIT_FINDINGS;
    else if (rc < 0)
        rc = INK_EXIT_OPERR;
    ink_spf_lint_free(l);
    return rc;
}
