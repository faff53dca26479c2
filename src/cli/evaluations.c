/*
 * evaluations.c - `inkan evaluations`: the recorded inbound evaluations
 * (inkan/evlog.h rows, written by `inkan milter` and `inkan verify
 * --record`).  `list` shows the rows of a period, of one header From
 * domain or all, as text or JSON; `replay SPOOL` moves the rows of a
 * milter spool file into the store (a row already there is not added
 * twice).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "evrow_json.h"
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

/* dash - "-" for an empty field in text output */
static const char *dash(const char *s)
{
    return s[0] != '\0' ? s : "-";
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
    char when[CLI_EV_TIME_MAX];
    size_t i;

    if (l->json) {
        json_t *o = cli_evrow_json(r);
        char *js = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

        json_decref(o);
        if (js == NULL)
            return -1;
        printf("%s%s", l->n > 0 ? ",\n" : "", js);
        free(js);
    } else {
        printf("%s %s from=%s mfrom=%s rcpt=%s spf=%s(%s:%s) dkim=", cli_ev_time_fmt(r->at, when),
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
            if (cli_ev_time_parse(optarg, opt == OPT_SINCE ? &since : &until) < 0) {
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
