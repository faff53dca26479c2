/*
 * report_span.c - the stored reports over a time span: reading --since /
 * --until (and the API's since= / until=), the per-day timeline
 * (`inkan report timeline`, GET /api/reports/timeline) as JSON and text.
 * A report belongs to the UTC day its period begins; the span keeps the
 * reports whose period begins in [since, until].
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "report_json.h"
#include "inkan/store.h"

/* Seconds in a day (reports are grouped by UTC day). */
#define SPAN_DAY 86400
/* Largest epoch --since/--until take (year 9999). */
#define SPAN_EPOCH_MAX 253402300799LL
/* Days between the first and the last of a timeline filled in with
 * zeros; a longer timeline lists only the days with reports. */
#define TIMELINE_FILL_MAX 3660

enum { OPT_DB = CLI_OPT_FIRST_FREE, OPT_SINCE, OPT_UNTIL };

/* cli_report_when - see report_json.h */
int cli_report_when(const char *text, int until, int64_t *out)
{
    size_t len = strlen(text), i;

    if (len == 0 || len > 12)
        return -1;
    if (len == 10 && text[4] == '-' && text[7] == '-') {
        struct tm tm;
        int y, m, d;
        time_t t;

        for (i = 0; i < len; i++)
            if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
                return -1;
        y = atoi(text);
        m = atoi(text + 5);
        d = atoi(text + 8);
        if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
            return -1;
        memset(&tm, 0, sizeof(tm));
        tm.tm_year = y - 1900;
        tm.tm_mon = m - 1;
        tm.tm_mday = d;
        t = timegm(&tm);
        /* timegm carries 2025-02-30 into March: refuse what was carried */
        if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != m - 1)
            return -1;
        *out = (int64_t)t + (until ? SPAN_DAY - 1 : 0);
        return 0;
    }
    for (i = 0; i < len; i++)
        if (text[i] < '0' || text[i] > '9')
            return -1;
    *out = strtoll(text, NULL, 10);
    return *out <= SPAN_EPOCH_MAX ? 0 : -1;
}

/* day_text - a day's 00:00 UTC as YYYY-MM-DD into buf */
static void day_text(int64_t day, char *buf, size_t len)
{
    time_t t = (time_t)day;
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL)
        snprintf(buf, len, "?");
    else
        strftime(buf, len, "%Y-%m-%d", &tm);
}

/* day_json - one day's object */
static json_t *day_json(int64_t day, uint64_t reports, uint64_t messages, uint64_t pass,
                        uint64_t fail)
{
    char d[32];

    day_text(day, d, sizeof(d));
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "day", d, "begin", (json_int_t)day,
                     "reports", (json_int_t)reports, "messages", (json_int_t)messages,
                     "dmarc_pass", (json_int_t)pass, "dmarc_fail", (json_int_t)fail);
}

/* cli_report_timeline_json - see report_json.h */
json_t *cli_report_timeline_json(const char *domain, int64_t since, int64_t until,
                                 const struct ink_report_day *v, size_t n)
{
    json_t *o = json_object(), *days = json_array();
    uint64_t reports = 0, messages = 0, pass = 0, fail = 0;
    size_t i;
    int fill = n > 0 && (v[n - 1].day - v[0].day) / SPAN_DAY <= TIMELINE_FILL_MAX;

    if (o == NULL || days == NULL) {
        json_decref(o);
        json_decref(days);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (fill && i > 0) {
            int64_t d;
            for (d = v[i - 1].day + SPAN_DAY; d < v[i].day; d += SPAN_DAY)
                json_array_append_new(days, day_json(d, 0, 0, 0, 0));
        }
        json_array_append_new(days, day_json(v[i].day, v[i].reports, v[i].messages,
                                             v[i].dmarc_pass, v[i].dmarc_fail));
        reports += v[i].reports;
        messages += v[i].messages;
        pass += v[i].dmarc_pass;
        fail += v[i].dmarc_fail;
    }
    json_object_set_new(o, "domain", domain ? json_string(domain) : json_null());
    json_object_set_new(o, "since", since != INT64_MIN ? json_integer(since) : json_null());
    json_object_set_new(o, "until", until != INT64_MAX ? json_integer(until) : json_null());
    json_object_set_new(o, "days", days);
    json_object_set_new(o, "totals",
                        json_pack("{s:I, s:I, s:I, s:I}", "reports", (json_int_t)reports,
                                  "messages", (json_int_t)messages, "dmarc_pass",
                                  (json_int_t)pass, "dmarc_fail", (json_int_t)fail));
    return o;
}

/* span_option - an --since/--until value into *v;
 * 0, or -1 after saying why */
static int span_option(const char *opt, const char *arg, int64_t *v)
{
    if (cli_report_when(arg, strcmp(opt, "--until") == 0, v) < 0) {
        cli_error("%s '%s': give YYYY-MM-DD (UTC) or seconds since the epoch", opt,
                  cli_shown(arg));
        return -1;
    }
    return 0;
}

/* cli_report_span_opt - see report_json.h */
int cli_report_span_opt(int opt, const char *arg, int64_t *since, int64_t *until)
{
    if (opt == CLI_REPORT_OPT_SINCE)
        return span_option("--since", arg, since) < 0 ? -1 : 1;
    if (opt == CLI_REPORT_OPT_UNTIL)
        return span_option("--until", arg, until) < 0 ? -1 : 1;
    return 0;
}

/* timeline_usage - inkan report timeline --help */
static void timeline_usage(FILE *fp)
{
    fputs("usage: inkan report timeline [--db FILE] [--json] [--since WHEN] [--until WHEN]\n"
          "                             [DOMAIN]\n\n"
          "Messages and DMARC pass/fail per UTC day of the stored aggregate reports\n"
          "(a report counts on the day its period begins).  WHEN is YYYY-MM-DD (UTC; --until\n"
          "takes the whole day) or seconds since the epoch.\n",
          fp);
}

/* cli_report_timeline_cmd - inkan report timeline */
int cli_report_timeline_cmd(int argc, char **argv)
{
    static const struct option own[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"since", required_argument, NULL, CLI_REPORT_OPT_SINCE},
        {"until", required_argument, NULL, CLI_REPORT_OPT_UNTIL},
        {NULL, 0, NULL, 0},
    };
    int json = 0, c, k, rc = INK_EXIT_OK;
    const struct cli_optset set = {.own = own, .json = &json, .usage = timeline_usage};
    const char *db = NULL, *domain = NULL;
    int64_t since = INT64_MIN, until = INT64_MAX;
    struct ink_report_day *v = NULL;
    struct ink_str err = INK_STR_INIT;
    struct ink_store *st;
    size_t n = 0, i;

    optind = 1;
    while ((c = cli_getopt(&set, argc, argv)) != -1) {
        if ((k = cli_report_span_opt(c, optarg, &since, &until)) != 0) {
            if (k < 0)
                return INK_EXIT_USAGE;
            continue;
        }
        switch (c) {
        case OPT_DB:
            if (!ink_store_db_ok(optarg)) {
                cli_error("--db '%s': give a database file or a postgresql:// URI",
                          cli_shown(optarg));
                return INK_EXIT_USAGE;
            }
            db = optarg;
            break;
        case CLI_GETOPT_HELP: return INK_EXIT_OK;
        default: return INK_EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        cli_error("give at most one DOMAIN");
        return INK_EXIT_USAGE;
    }
    if (optind < argc)
        domain = argv[optind];
    if (since > until) {
        cli_error("--since is after --until");
        return INK_EXIT_USAGE;
    }
    if ((st = cli_report_open_db(db)) == NULL)
        return INK_EXIT_OPERR;
    if (ink_store_report_timeline(st, domain, since, until, &v, &n, &err) < 0) {
        cli_error("%s", ink_str_cstr(&err));
        rc = INK_EXIT_OPERR;
    } else if (json) {
        json_t *j = cli_report_timeline_json(domain, since, until, v, n);
        char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(j);
        if (s == NULL) {
            cli_error("out of memory");
            rc = INK_EXIT_OPERR;
        } else
            puts(s);
        free(s);
    } else if (n == 0) {
        printf("no reports stored%s%s in that span\n", domain ? " for " : "",
               domain ? cli_shown(domain) : "");
    } else {
        printf("%-10s %8s %10s %10s %10s %6s\n", "day", "reports", "messages", "dmarc pass",
               "dmarc fail", "pass");
        for (i = 0; i < n; i++) {
            char d[32];
            day_text(v[i].day, d, sizeof(d));
            printf("%-10s %8llu %10llu %10llu %10llu %5.1f%%\n", d,
                   (unsigned long long)v[i].reports, (unsigned long long)v[i].messages,
                   (unsigned long long)v[i].dmarc_pass, (unsigned long long)v[i].dmarc_fail,
                   v[i].messages ? 100.0 * (double)v[i].dmarc_pass / (double)v[i].messages
                                 : 0.0);
        }
    }
    free(v);
    ink_str_free(&err);
    ink_store_free(st);
    return rc;
}
