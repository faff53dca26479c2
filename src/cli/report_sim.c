/*
 * report_sim.c - `inkan report simulate DOMAIN`: replay the stored
 * aggregate report rows of a period under a proposed SPF record (--spf)
 * and/or DMARC record (--dmarc), and print which sources and how many
 * messages would change result, in both directions.  The rows come from
 * the store (report_rows), the replay is the core's machine
 * (inkan/report_sim.h) run by the one driver over the resolver the DNS
 * options name (--zone FILE for the rest of the SPF tree, --dns, or the
 * system's).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "inkan/driver.h"
#include "inkan/report_sim.h"
#include "inkan/store.h"
#include "inkan/str.h"

enum { OPT_DB = CLI_OPT_FIRST_FREE, OPT_SINCE, OPT_UNTIL, OPT_SPF, OPT_DMARC };

/* Seconds in a day (an --until day counts whole). */
#define SIM_DAY_SECONDS 86400

static const char sim_help[] =
    "usage: inkan report simulate DOMAIN [--db FILE] [--since DATE] [--until DATE]\n"
    "           [--spf RECORD] [--dmarc RECORD] [--json] [DNS OPTIONS]\n\n"
    "Replay the stored aggregate report rows of DOMAIN under a proposed change\n"
    "before publishing it: --spf re-evaluates SPF for every reported (source,\n"
    "SPF domain) pair of DOMAIN's tree with RECORD as DOMAIN's SPF record (the\n"
    "rest of the tree from DNS or --zone); --dmarc recomputes alignment and\n"
    "disposition (p, sp, pct, t, adkim, aspf) under RECORD.  Prints the sources\n"
    "whose messages would change result (newly passing, newly failing, another\n"
    "disposition) with the totals.\n\n"
    "Options:\n"
    "  --spf RECORD    the proposed SPF record ('v=spf1 ...')\n"
    "  --dmarc RECORD  the proposed DMARC record ('v=DMARC1; p=...')\n"
    "  --since DATE    only reports whose range ends at or after DATE\n"
    "                  (YYYY-MM-DD, UTC, or seconds since 1970)\n"
    "  --until DATE    only reports that begin before the end of DATE (a day\n"
    "                  counts whole; seconds: before that second)\n"
    "  --db FILE|URI   the store: an SQLite file or a postgresql:// URI\n"
    "                  (default as 'inkan report import')\n"
    "  --json          one JSON object (fields in inkan(1))\n"
    CLI_DNS_HELP
    "\nExit status: 0 simulated (whatever changes), 1 the store or DNS failed,\n"
    "2 usage (no --spf nor --dmarc, a record that is not one, a bad date).\n";

/* sim_usage - the help */
static void sim_usage(FILE *fp)
{
    fputs(sim_help, fp);
}

/* parse_when - DATE (YYYY-MM-DD at 00:00 UTC, or epoch seconds) into *t;
 * *is_day says which.  0, or -1 when it is neither. */
static int parse_when(const char *arg, int64_t *t, int *is_day)
{
    struct tm tm;
    char *end;
    long long v;

    if (arg[0] >= '0' && arg[0] <= '9' && strchr(arg, '-') == NULL) {
        errno = 0;
        v = strtoll(arg, &end, 10);
        if (*end != '\0' || errno != 0 || v < 0)
            return -1;
        *t = v;
        *is_day = 0;
        return 0;
    }
    memset(&tm, 0, sizeof(tm));
    end = strptime(arg, "%Y-%m-%d", &tm);
    if (end == NULL || *end != '\0')
        return -1;
    *t = (int64_t)timegm(&tm);
    *is_day = 1;
    return 0;
}

/* day_text - an epoch time as YYYY-MM-DD (UTC) into buf */
static const char *day_text(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, len, "%lld", (long long)t);
    return buf;
}

/* pair_json - {"old": a, "new": b} (new reference) */
static json_t *pair_json(const char *a, const char *b)
{
    json_t *o = json_object();

    json_object_set_new(o, "old", json_string(a));
    json_object_set_new(o, "new", json_string(b));
    return o;
}

/* disp_json - {"none": n, "quarantine": q, "reject": r} */
static json_t *disp_json(const uint64_t *v)
{
    json_t *o = json_object();
    size_t i;

    for (i = 0; i < INK_SIM_DISPOSITIONS; i++)
        json_object_set_new(o, ink_sim_disposition_name(i), json_integer((json_int_t)v[i]));
    return o;
}

/* sim_json - the whole simulation as one object (new reference) */
static json_t *sim_json(const struct ink_sim *sim, const char *domain, const char *spf,
                        const char *dmarc, int64_t begin, int64_t end, size_t reports)
{
    const struct ink_sim_totals *t = ink_sim_totals(sim);
    json_t *o = json_object(), *prop = json_object(), *ch = json_array(), *x;
    size_t i;

    json_object_set_new(o, "domain", json_string(domain));
    json_object_set_new(o, "begin", begin ? json_integer(begin) : json_null());
    json_object_set_new(o, "end", end ? json_integer(end) : json_null());
    json_object_set_new(o, "reports", json_integer((json_int_t)reports));
    json_object_set_new(o, "rows", json_integer((json_int_t)t->rows));
    json_object_set_new(o, "messages", json_integer((json_int_t)t->messages));
    json_object_set_new(prop, "spf", spf ? json_string(spf) : json_null());
    json_object_set_new(prop, "dmarc", dmarc ? json_string(dmarc) : json_null());
    json_object_set_new(o, "proposed", prop);
    json_object_set_new(o, "spf_evaluated", json_integer((json_int_t)t->spf_evaluated));
    json_object_set_new(o, "spf_kept", json_integer((json_int_t)t->spf_kept));
    json_object_set_new(o, "spf_temperror", json_integer((json_int_t)t->spf_temperror));
    json_object_set_new(o, "pairs", json_integer((json_int_t)t->pairs));
    x = json_object();
    json_object_set_new(x, "old", json_integer((json_int_t)t->dmarc_pass_old));
    json_object_set_new(x, "new", json_integer((json_int_t)t->dmarc_pass_new));
    json_object_set_new(o, "dmarc_pass", x);
    x = json_object();
    json_object_set_new(x, "messages", json_integer((json_int_t)t->newly_passing));
    json_object_set_new(x, "sources", json_integer((json_int_t)t->sources_newly_passing));
    json_object_set_new(o, "newly_passing", x);
    x = json_object();
    json_object_set_new(x, "messages", json_integer((json_int_t)t->newly_failing));
    json_object_set_new(x, "sources", json_integer((json_int_t)t->sources_newly_failing));
    json_object_set_new(o, "newly_failing", x);
    json_object_set_new(o, "disposition_changed", json_integer((json_int_t)t->disposition_changed));
    x = json_object();
    json_object_set_new(x, "old", disp_json(t->disp_old));
    json_object_set_new(x, "new", disp_json(t->disp_new));
    json_object_set_new(o, "dispositions", x);
    for (i = 0; i < ink_sim_nchanges(sim); i++) {
        const struct ink_sim_change *c = ink_sim_change(sim, i);
        json_t *e = json_object();
        json_object_set_new(e, "ip", json_string(c->ip));
        json_object_set_new(e, "spf_domain", c->spf_domain ? json_string(c->spf_domain)
                                                           : json_null());
        json_object_set_new(e, "messages", json_integer((json_int_t)c->messages));
        json_object_set_new(e, "spf", pair_json(c->spf_old, c->spf_new));
        json_object_set_new(e, "dmarc", pair_json(c->dmarc_old, c->dmarc_new));
        json_object_set_new(e, "disposition", pair_json(c->disp_old, c->disp_new));
        json_object_set_new(e, "direction", json_string(c->direction));
        json_array_append_new(ch, e);
    }
    json_object_set_new(o, "changes", ch);
    return o;
}

/* arrow - "a -> b", or "a" when they are the same, into buf */
static const char *arrow(const char *a, const char *b, char *buf, size_t len)
{
    if (strcmp(a, b) == 0)
        snprintf(buf, len, "%s", a);
    else
        snprintf(buf, len, "%s -> %s", a, b);
    return buf;
}

/* sim_text - the aligned table and the totals */
static void sim_text(const struct ink_sim *sim, const char *domain, const char *spf,
                     const char *dmarc, int64_t first, int64_t last, size_t reports)
{
    const struct ink_sim_totals *t = ink_sim_totals(sim);
    char b[32], e[32], s1[64], s2[64], s3[64];
    size_t i;

    printf("%s: %llu messages in %zu report%s", domain, (unsigned long long)t->messages, reports,
           reports == 1 ? "" : "s");
    if (reports > 0)
        printf(", %s .. %s", day_text(first, b, sizeof(b)), day_text(last, e, sizeof(e)));
    printf("\n");
    if (spf != NULL)
        printf("  proposed SPF:   %s\n", cli_shown(spf));
    if (dmarc != NULL)
        printf("  proposed DMARC: %s\n", cli_shown(dmarc));
    if (spf != NULL)
        printf("  SPF re-evaluated for %llu messages (%zu source/domain pair%s), kept as "
               "reported for %llu (no SPF domain reported, or another domain's)\n",
               (unsigned long long)t->spf_evaluated, t->pairs, t->pairs == 1 ? "" : "s",
               (unsigned long long)t->spf_kept);
    if (spf != NULL && t->spf_temperror)
        printf("  (%llu messages got temperror: a DNS lookup failed)\n",
               (unsigned long long)t->spf_temperror);
    if (ink_sim_nchanges(sim) == 0) {
        printf("  no message would change result\n");
    } else {
        printf("  %-39s %9s  %-24s %-22s %-16s %-26s %s\n", "SOURCE", "MESSAGES", "SPF-DOMAIN",
               "SPF", "DMARC", "DISPOSITION", "CHANGE");
        for (i = 0; i < ink_sim_nchanges(sim); i++) {
            const struct ink_sim_change *c = ink_sim_change(sim, i);
            printf("  %-39s %9llu  %-24s %-22s %-16s %-26s %s\n", c->ip,
                   (unsigned long long)c->messages, c->spf_domain ? c->spf_domain : "-",
                   arrow(c->spf_old, c->spf_new, s1, sizeof(s1)),
                   arrow(c->dmarc_old, c->dmarc_new, s2, sizeof(s2)),
                   arrow(c->disp_old, c->disp_new, s3, sizeof(s3)), c->direction);
        }
    }
    printf("  newly passing DMARC: %llu messages from %zu source%s; newly failing: %llu "
           "messages from %zu source%s\n",
           (unsigned long long)t->newly_passing, t->sources_newly_passing,
           t->sources_newly_passing == 1 ? "" : "s", (unsigned long long)t->newly_failing,
           t->sources_newly_failing, t->sources_newly_failing == 1 ? "" : "s");
    printf("  DMARC pass: %llu -> %llu of %llu messages\n",
           (unsigned long long)t->dmarc_pass_old, (unsigned long long)t->dmarc_pass_new,
           (unsigned long long)t->messages);
    printf("  dispositions: none %llu -> %llu, quarantine %llu -> %llu, reject %llu -> %llu "
           "(%llu messages change)\n",
           (unsigned long long)t->disp_old[0], (unsigned long long)t->disp_new[0],
           (unsigned long long)t->disp_old[1], (unsigned long long)t->disp_new[1],
           (unsigned long long)t->disp_old[2], (unsigned long long)t->disp_new[2],
           (unsigned long long)t->disposition_changed);
}

/* count_reports - distinct reports among the rows (they come in report
 * order), and their first begin and last end */
static size_t count_reports(const struct ink_report_row *rows, size_t n, int64_t *first,
                            int64_t *last)
{
    size_t i, k = 0;

    *first = *last = 0;
    for (i = 0; i < n; i++) {
        if (i == 0 || rows[i].begin != rows[i - 1].begin || rows[i].end != rows[i - 1].end ||
            strcmp(rows[i].org_name ? rows[i].org_name : "",
                   rows[i - 1].org_name ? rows[i - 1].org_name : "") != 0)
            k++;
        if (i == 0 || rows[i].begin < *first)
            *first = rows[i].begin;
        if (rows[i].end > *last)
            *last = rows[i].end;
    }
    return k;
}

/* cli_report_simulate - inkan report simulate DOMAIN ... */
int cli_report_simulate(int argc, char **argv)
{
    static const struct option own[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"since", required_argument, NULL, OPT_SINCE},
        {"until", required_argument, NULL, OPT_UNTIL},
        {"spf", required_argument, NULL, OPT_SPF},
        {"dmarc", required_argument, NULL, OPT_DMARC},
        {NULL, 0, NULL, 0},
    };
    struct ink_resolver_opts ropts;
    int json = 0, c, rc = INK_EXIT_OK, is_day;
    const struct cli_optset set = {.own = own, .dns = &ropts, .json = &json, .usage = sim_usage};
    const char *db = NULL, *spf = NULL, *dmarc = NULL, *domain;
    int64_t since = 0, until = INT64_MAX, given_since = 0, given_until = 0, first, last;
    struct ink_store *st = NULL;
    struct ink_report_row *rows = NULL;
    struct ink_resolver *r = NULL;
    struct ink_sim *sim = NULL;
    struct ink_sim_opts so;
    struct ink_driver_opts dopts;
    struct ink_str err = INK_STR_INIT;
    size_t n = 0, reports;

    memset(&ropts, 0, sizeof(ropts));
    optind = 1;
    while ((c = cli_getopt(&set, argc, argv)) != -1) {
        switch (c) {
        case OPT_DB:
            if (!ink_store_db_ok(optarg)) {
                cli_error("--db '%s': give a database file or a postgresql:// URI",
                          cli_shown(optarg));
                return INK_EXIT_USAGE;
            }
            db = optarg;
            break;
        case OPT_SINCE:
        case OPT_UNTIL: {
            int64_t t;
            if (parse_when(optarg, &t, &is_day) < 0) {
                cli_error("--%s: '%s' is not a date (YYYY-MM-DD) or seconds since 1970",
                          c == OPT_SINCE ? "since" : "until", cli_shown(optarg));
                return INK_EXIT_USAGE;
            }
            if (c == OPT_SINCE) {
                since = given_since = t;
            } else {
                until = given_until = is_day ? t + SIM_DAY_SECONDS : t;
            }
            break;
        }
        case OPT_SPF: spf = optarg; break;
        case OPT_DMARC: dmarc = optarg; break;
        case CLI_GETOPT_HELP: return INK_EXIT_OK;
        default: return INK_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        cli_error("give one DOMAIN (see 'inkan report simulate --help')");
        return INK_EXIT_USAGE;
    }
    domain = argv[optind];
    if (spf == NULL && dmarc == NULL) {
        cli_error("give the change to simulate: --spf RECORD and/or --dmarc RECORD");
        return INK_EXIT_USAGE;
    }
    if (given_until && until <= since) {
        cli_error("--until is not after --since: the period is empty");
        return INK_EXIT_USAGE;
    }
    /* the proposal is checked before the store is read: a typo is a usage error */
    memset(&so, 0, sizeof(so));
    so.domain = domain;
    so.spf = spf;
    so.dmarc = dmarc;
    so.now = (int64_t)time(NULL);
    sim = ink_sim_new(&so, NULL, 0, &err);
    if (sim == NULL) {
        cli_error("%s", ink_str_cstr(&err));
        ink_str_free(&err);
        return INK_EXIT_USAGE;
    }
    ink_sim_free(sim);
    sim = NULL;

    st = cli_report_open_db(db);
    if (st == NULL)
        return INK_EXIT_OPERR;
    if (ink_store_report_rows(st, domain, since, until, &rows, &n, &err) < 0) {
        cli_error("%s", ink_str_cstr(&err));
        rc = INK_EXIT_OPERR;
        goto out;
    }
    sim = ink_sim_new(&so, rows, n, &err);
    if (sim == NULL) {
        cli_error("%s", ink_str_cstr(&err));
        rc = INK_EXIT_OPERR;
        goto out;
    }
    if (spf != NULL) {
        /* only an SPF replay asks DNS */
        r = cli_resolver_open(&ropts);
        if (r == NULL) {
            rc = INK_EXIT_OPERR;
            goto out;
        }
    }
    memset(&dopts, 0, sizeof(dopts));
    dopts.timeout_ms = ropts.timeout_ms;
    if (r != NULL ? ink_drive_sync(r, ink_sim_machine(sim), &dopts) != INK_NEXT_DONE
                  : ink_sim_next(sim, &(struct ink_query){0}) != INK_NEXT_DONE) {
        cli_error("out of memory");
        rc = INK_EXIT_OPERR;
        goto out;
    }
    reports = count_reports(rows, n, &first, &last);
    if (json) {
        json_t *root = sim_json(sim, domain, spf, dmarc, given_since, given_until, reports);
        char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(root);
        if (text == NULL) {
            cli_error("out of memory");
            rc = INK_EXIT_OPERR;
            goto out;
        }
        puts(text);
        free(text);
    } else if (n == 0) {
        printf("no report rows stored for %s in the period\n", cli_shown(domain));
    } else {
        sim_text(sim, domain, spf, dmarc, first, last, reports);
    }
out:
    ink_sim_free(sim);
    ink_resolver_free(r);
    ink_report_rows_free(rows, n);
    ink_str_free(&err);
    ink_store_free(st);
    return rc;
}
