/* report_json.h - the JSON views of the report store (summary, advise,
 * sources) shared by `inkan report ... --json` and `inkan serve`'s report
 * endpoints, so the command line and the API answer with the same document. */
#ifndef INKAN_CLI_REPORT_JSON_H
#define INKAN_CLI_REPORT_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "cli.h"
#include "inkan/store.h"

/* Each returns a new reference the caller releases with json_decref, or
 * NULL when out of memory; sum[0..n) is only read. */
json_t *cli_report_summary_json(const struct ink_report_summary *sum, size_t n);
json_t *cli_report_advise_json(const struct ink_report_summary *sum, size_t n);
json_t *cli_report_sources_json(const struct ink_report_summary *sum, size_t n);

/* cli_report_view - the view ("summary", "sources", "advise" or
 * "timeline") of the stored reports for domain (NULL: every domain) whose
 * period begins in [since, until] (INT64_MIN, INT64_MAX: all) as *out (a
 * new reference), with platforms from the installed map and no reverse
 * lookups (the service must not wait on DNS for a page).  0; -1 with why
 * in err; -2 for an unknown view. */
int cli_report_view(struct ink_store *st, const char *domain, const char *view, int64_t since,
                    int64_t until, json_t **out, struct ink_str *err);

/* ---- report_fix.c: the DNS changes of advise ---- */

struct ink_fix_advice;
struct ink_fix_change;
/* cli_report_fixes - for each summary with legitimate failing sources,
 * the DNS changes that fix them (*out[i]; NULL for a summary without):
 * the current SPF and DMARC records read through the driver over ropts
 * (NULL: not looked up, the advice says so), the merged SPF record
 * linted for its lookups.  0, or -1 after saying why.  Free with
 * cli_report_fixes_free(*out, n). */
int cli_report_fixes(const struct ink_report_summary *sum, size_t n,
                     const struct ink_resolver_opts *ropts, struct ink_fix_advice ***out);
void cli_report_fixes_free(struct ink_fix_advice **adv, size_t n);
/* cli_report_fix_source_text - under a source's line, the changes the
 * k-th legitimate failing source of domain needs (a may be NULL) */
void cli_report_fix_source_text(const struct ink_fix_advice *a, size_t k, const char *domain);
/* cli_report_fix_domain_text - every change as zone-file lines */
void cli_report_fix_domain_text(const struct ink_fix_advice *a);
/* cli_report_fix_change_json - change index i as an object (new reference) */
json_t *cli_report_fix_change_json(const struct ink_fix_change *c, size_t i);
/* cli_report_fix_source_json - "spf_terms", "spf_included" and "dns" (its
 * changes) of the k-th source into o; 0, or -1 out of memory */
int cli_report_fix_source_json(const struct ink_fix_advice *a, size_t k, json_t *o);
/* cli_report_fix_domain_json - every change as an array (new reference) */
json_t *cli_report_fix_domain_json(const struct ink_fix_advice *a);
/* cli_report_advise_fixes_json - cli_report_advise_json with the changes
 * in adv (from cli_report_fixes; NULL: built without DNS) */
json_t *cli_report_advise_fixes_json(const struct ink_report_summary *sum, size_t n,
                                     struct ink_fix_advice *const *adv);
/* ---- report_mark.c ---- */

/* cli_report_mark - inkan report mark (argv[0] the subcommand) */
int cli_report_mark(int argc, char **argv);
/* cli_report_apply_marks - the owner's marks (of domain; NULL: every
 * domain) onto the summaries' sources: each source inside a marked
 * network gets the most specific mark (src->mark, src->mark_network) and
 * the class it gives (ink_report_class_marked).  0; -1 with why in err. */
int cli_report_apply_marks(struct ink_store *st, const char *domain,
                           struct ink_report_summary *sum, size_t n, struct ink_str *err);

/* ---- report_span.c ---- */

/* The option ids of --since and --until (above report.c's own). */
#define CLI_REPORT_OPT_SINCE (CLI_OPT_FIRST_FREE + 50)
#define CLI_REPORT_OPT_UNTIL (CLI_OPT_FIRST_FREE + 51)

/* cli_report_when - text as a time: YYYY-MM-DD (00:00 UTC that day, or
 * 23:59:59 when until) or seconds since the epoch; 0, or -1 when it is
 * neither */
int cli_report_when(const char *text, int until, int64_t *out);
/* cli_report_span_opt - for an option loop: opt CLI_REPORT_OPT_SINCE or
 * _UNTIL read into *since / *until (1), another option (0), a bad value
 * (-1, said why) */
int cli_report_span_opt(int opt, const char *arg, int64_t *since, int64_t *until);
/* cli_report_timeline_json - {"domain", "since", "until", "days": [{"day",
 * "begin", "reports", "messages", "dmarc_pass", "dmarc_fail"}], "totals"};
 * the days between the first and last without reports given as zeros; a
 * new reference, or NULL out of memory */
json_t *cli_report_timeline_json(const char *domain, int64_t since, int64_t until,
                                 const struct ink_report_day *v, size_t n);
/* cli_report_timeline_cmd - inkan report timeline */
int cli_report_timeline_cmd(int argc, char **argv);
/* (cli_report_open_db, the store of the report commands: cli.h) */

#endif
