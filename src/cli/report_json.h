/* report_json.h - the JSON views of the report store (summary, advise,
 * sources) shared by `inkan report ... --json` and `inkan serve`'s report
 * endpoints, so the command line and the API answer with the same document. */
#ifndef INKAN_CLI_REPORT_JSON_H
#define INKAN_CLI_REPORT_JSON_H

#include <jansson.h>
#include <stddef.h>
#include "inkan/store.h"

/* Each returns a new reference the caller releases with json_decref, or
 * NULL when out of memory; sum[0..n) is only read. */
json_t *cli_report_summary_json(const struct ink_report_summary *sum, size_t n);
json_t *cli_report_advise_json(const struct ink_report_summary *sum, size_t n);
json_t *cli_report_sources_json(const struct ink_report_summary *sum, size_t n);

/* cli_report_view - the view ("summary", "sources" or "advise") of the
 * stored reports for domain (NULL: every domain) as *out (a new reference),
 * with platforms from the installed map and no reverse lookups (the
 * service must not wait on DNS for a page).  0; -1 with why in err;
 * -2 for an unknown view. */
int cli_report_view(struct ink_store *st, const char *domain, const char *view, json_t **out,
                    struct ink_str *err);

#endif
