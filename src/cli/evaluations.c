/*
 * evaluations.c - `inkan evaluations`: the recorded inbound evaluations
 * (inkan/evlog.h rows, written by `inkan milter` and `inkan verify
 * --record`).  `list` shows the rows of a period, of one header From
 * domain or all, as text or JSON; `replay SPOOL` moves the rows of a
 * milter spool file into the store (a row already there is not added
 * twice).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "inkan/evlog.h"
#include "inkan/evwriter.h"
#include "inkan/store.h"

enum { OPT_DB = CLI_OPT_FIRST_FREE, OPT_SINCE, OPT_UNTIL, OPT_DOMAIN };

static const char evaluations_help[] =
    "usage: inkan evaluations list [--since TIME] [--until TIME] [--domain DOMAIN]\n"
    "                              [--db FILE] [--json]\n"
    "       inkan evaluations replay [--db FILE] SPOOL\n\n"
    "The inbound evaluations recorded by 'inkan milter' and 'inkan verify --record':\n"
    "one row per message (time, client, header From and envelope domains, SPF,\n"
    "DKIM, DMARC, disposition, override, the policy published).\n\n"
    "  list      the rows with --since <= time < --until, oldest first\n"
    "  replay    add the rows of a milter spool file to the store (rows already\n"
    "            stored are skipped); stops at a torn tail, fails at a corrupt record\n"
    "  --since TIME   from this time (seconds since 1970, YYYY-MM-DD or\n"
    "                 YYYY-MM-DDTHH:MM:SSZ, UTC); default: the beginning\n"
    "  --until TIME   up to (not including) this time; default: no end\n"
    "  --domain D     only rows whose header From domain is D\n"
    "  --db FILE      the store (default $XDG_DATA_HOME/inkan/inkan.db)\n"
    "  --json         a JSON array of rows\n\n"
    "Exit status: 0 done, 1 operational error (a corrupt spool), 2 usage error.\n";

static void evaluations_usage(FILE *fp)
{
    fputs(evaluations_help, fp);
}

/* parse_time - seconds since 1970, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ
 * (UTC) into *out; -1 when it is none of them */
static int parse_time(const char *s, int64_t *out)
{
    struct tm tm;
    char *end;
    long long v;
    const char *e;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno == 0 && end != s && *end == '\0' && v >= 0) {
        *out = (int64_t)v;
        return 0;
    }
    memset(&tm, 0, sizeof(tm));
    e = strptime(s, "%Y-%m-%d", &tm);
    if (e != NULL && *e == 'T') {
        e = strptime(e + 1, "%H:%M:%S", &tm);
        if (e == NULL || strcmp(e, "Z") != 0)
            return -1;
    } else if (e == NULL || *e != '\0') {
        return -1;
    }
    *out = (int64_t)timegm(&tm);
    return *out < 0 ? -1 : 0;
}

/* fmt_time - t as YYYY-MM-DDTHH:MM:SSZ (static buffer) */
static const char *fmt_time(int64_t t)
{
    static char buf[32];
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        (void)snprintf(buf, sizeof(buf), "%lld", (long long)t);
    return buf;
}

/* dash - "-" for an empty field in text output */
static const char *dash(const char *s)
{
    return s[0] != '\0' ? s : "-";
}

/* row_json - one row as a JSON object (empty text as null) */
static json_t *row_json(const struct ink_evrow *r)
{
    json_t *o = json_object(), *dk = json_array(), *pol = json_object();
    size_t i;
#define S(v) ((v)[0] != '\0' ? json_string(v) : json_null())

    json_object_set_new(o, "key", json_string(r->key));
    json_object_set_new(o, "at", json_integer((json_int_t)r->at));
    json_object_set_new(o, "time", json_string(fmt_time(r->at)));
    json_object_set_new(o, "queue_id", S(r->queue_id));
    json_object_set_new(o, "message_id", S(r->message_id));
    json_object_set_new(o, "source_ip", S(r->source_ip));
    json_object_set_new(o, "header_from", S(r->header_from));
    json_object_set_new(o, "envelope_from", S(r->envelope_from));
    json_object_set_new(o, "envelope_to", S(r->envelope_to));
    json_object_set_new(o, "spf", json_pack("{s:o,s:o,s:o}", "result", S(r->spf_result),
                                            "domain", S(r->spf_domain), "scope",
                                            S(r->spf_scope)));
    for (i = 0; i < r->ndkim; i++)
        json_array_append_new(dk, json_pack("{s:s,s:s,s:s}", "domain", r->dkim[i].domain,
                                            "selector", r->dkim[i].selector, "result",
                                            r->dkim[i].result));
    json_object_set_new(o, "dkim", dk);
    json_object_set_new(o, "dkim_unlisted", json_integer((json_int_t)r->dkim_unlisted));
    json_object_set_new(o, "dmarc", json_pack("{s:o,s:o,s:o}", "result", S(r->dmarc_result),
                                              "spf", S(r->dmarc_spf), "dkim", S(r->dmarc_dkim)));
    json_object_set_new(o, "disposition", S(r->disposition));
    json_object_set_new(o, "override", S(r->override));
    json_object_set_new(o, "override_comment", S(r->override_comment));
    json_object_set_new(pol, "domain", S(r->policy_domain));
    json_object_set_new(pol, "p", S(r->p));
    json_object_set_new(pol, "sp", S(r->sp));
    json_object_set_new(pol, "np", S(r->np));
    json_object_set_new(pol, "t", S(r->t));
    json_object_set_new(pol, "adkim", S(r->adkim));
    json_object_set_new(pol, "aspf", S(r->aspf));
    json_object_set_new(o, "policy_published", pol);
#undef S
    return o;
}

/* How many rows a listing printed, and how. */
struct listing {
    int json;
    size_t n;
};

/* print_row - one row: a JSON array element, or one text line */
static int print_row(void *arg, const struct ink_evrow *r)
{
    struct listing *l = arg;
    size_t i;

    if (l->json) {
        json_t *o = row_json(r);
        char *js = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

        json_decref(o);
        if (js == NULL)
            return -1;
        printf("%s%s", l->n > 0 ? ",\n" : "", js);
        free(js);
    } else {
        printf("%s %s from=%s mfrom=%s rcpt=%s spf=%s(%s:%s) dkim=", fmt_time(r->at),
               dash(r->source_ip), dash(r->header_from), dash(r->envelope_from),
               dash(r->envelope_to), dash(r->spf_result), dash(r->spf_scope),
               dash(r->spf_domain));
        if (r->ndkim == 0)
            printf("none");
        for (i = 0; i < r->ndkim; i++)
            printf("%s%s(%s/%s)", i > 0 ? "," : "", r->dkim[i].result, r->dkim[i].domain,
                   r->dkim[i].selector);
        printf(" dmarc=%s disposition=%s", dash(r->dmarc_result), dash(r->disposition));
        if (r->override[0] != '\0')
            printf(" override=%s", r->override);
        if (r->p[0] != '\0')
            printf(" p=%s", r->p);
        printf(" queue=%s\n", dash(r->queue_id));
    }
    l->n++;
    return 0;
}

/* ev_list - inkan evaluations list */
static int ev_list(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"since", required_argument, NULL, OPT_SINCE},
        {"until", required_argument, NULL, OPT_UNTIL},
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *domain = NULL;
    int64_t since = 0, until = INT64_MAX;
    int opt, json = 0, rc;
    struct listing l;
    struct ink_store *st;
    struct ink_str err = INK_STR_INIT;
    const struct cli_optset set = {.own = longopts, .json = &json, .usage = evaluations_usage};

    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        switch (opt) {
        case OPT_DB:
            db = optarg;
            break;
        case OPT_SINCE:
        case OPT_UNTIL:
            if (parse_time(optarg, opt == OPT_SINCE ? &since : &until) < 0) {
                cli_error("%s '%s' is not a time (seconds since 1970, YYYY-MM-DD or "
                          "YYYY-MM-DDTHH:MM:SSZ)",
                          opt == OPT_SINCE ? "--since" : "--until", cli_shown(optarg));
                return INK_EXIT_USAGE;
            }
            break;
        case OPT_DOMAIN:
            domain = optarg;
            break;
        case CLI_GETOPT_HELP:
            return INK_EXIT_OK;
        default:
            return INK_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("list takes no operand ('%s')", cli_shown(argv[optind]));
        return INK_EXIT_USAGE;
    }
    st = cli_store_open(db, 1);
    if (st == NULL)
        return INK_EXIT_OPERR;
    memset(&l, 0, sizeof(l));
    l.json = json;
    if (json)
        printf("[\n");
    rc = ink_store_evaluations_list(st, since, until, domain, print_row, &l, &err);
    if (json)
        printf("%s]\n", l.n > 0 ? "\n" : "");
    if (rc != 0)
        cli_error("%s", rc < 0 && err.len > 0 ? ink_str_cstr(&err) : "out of memory");
    ink_str_free(&err);
    ink_store_free(st);
    return rc != 0 ? INK_EXIT_OPERR : INK_EXIT_OK;
}

/* ev_replay - inkan evaluations replay SPOOL */
static int ev_replay(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    int opt, rc;
    struct ink_store *st;
    struct ink_evspool_stats stats;
    struct ink_str err = INK_STR_INIT;
    const struct cli_optset set = {.own = longopts, .usage = evaluations_usage};

    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        switch (opt) {
        case OPT_DB:
            db = optarg;
            break;
        case CLI_GETOPT_HELP:
            return INK_EXIT_OK;
        default:
            return INK_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        cli_error("replay takes one SPOOL file");
        return INK_EXIT_USAGE;
    }
    st = cli_store_open(db, 0);
    if (st == NULL)
        return INK_EXIT_OPERR;
    rc = ink_evspool_replay_file(argv[optind], st, &stats, &err);
    if (rc < 0) {
        cli_error("replay: %s", ink_str_cstr(&err));
    } else {
        printf("%s: %zu record%s, %zu added, %zu already stored", argv[optind], stats.records,
               stats.records == 1 ? "" : "s", stats.added, stats.records - stats.added);
        if (stats.torn)
            printf("; a torn tail at byte %zu (a write a crash cut short) was ignored",
                   stats.end);
        printf("\n");
    }
    ink_str_free(&err);
    ink_store_free(st);
    return rc < 0 ? INK_EXIT_OPERR : INK_EXIT_OK;
}

/* cmd_evaluations - inkan evaluations list|replay */
int cmd_evaluations(int argc, char **argv)
{
    if (argc < 2) {
        evaluations_usage(stderr);
        return INK_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        evaluations_usage(stdout);
        return INK_EXIT_OK;
    }
    if (strcmp(argv[1], "list") == 0) {
        cli_set_argv0(argv + 1, "evaluations list");
        return ev_list(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "replay") == 0) {
        cli_set_argv0(argv + 1, "evaluations replay");
        return ev_replay(argc - 1, argv + 1);
    }
    cli_error("unknown subcommand '%s' (list, replay)", cli_shown(argv[1]));
    return INK_EXIT_USAGE;
}
