/* evrow_json.h - the recorded inbound evaluations (inkan/evlog.h rows) as
 * `inkan evaluations list --json` and `inkan serve`'s GET /api/evaluations
 * show them, and the times both read, so the command line and the API
 * answer with the same row documents. */
#ifndef INKAN_CLI_EVROW_JSON_H
#define INKAN_CLI_EVROW_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "inkan/evlog.h"

/* Bytes cli_ev_time_fmt writes at most (with the terminator). */
#define CLI_EV_TIME_MAX 32

/* cli_evrow_json - one row as a JSON object (empty text as null); a new
 * reference the caller releases, or NULL when out of memory */
json_t *cli_evrow_json(const struct ink_evrow *r);

/* cli_ev_time_parse - seconds since 1970, YYYY-MM-DD or
 * YYYY-MM-DDTHH:MM:SSZ (UTC) into *out; 0, or -1 when it is none of them */
int cli_ev_time_parse(const char *s, int64_t *out);

/* cli_ev_time_fmt - t as YYYY-MM-DDTHH:MM:SSZ into buf (CLI_EV_TIME_MAX
 * bytes, the caller's); returns buf */
const char *cli_ev_time_fmt(int64_t t, char *buf);

#endif
