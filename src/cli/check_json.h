/* check_json.h - the JSON document of one `inkan check` audit, shared by
 * `inkan check DOMAIN --json` and `inkan serve`'s GET /api/check/{d}, so
 * the command line and the API answer with the same document. */
#ifndef INKAN_CLI_CHECK_JSON_H
#define INKAN_CLI_CHECK_JSON_H

#include <jansson.h>

#include "inkan/audit.h"

/* cli_check_json - the finished audit a as `inkan check --json` prints it
 * with the options at their defaults; a new reference (caller decrefs),
 * or NULL when out of memory */
json_t *cli_check_json(const struct ink_audit *a);

#endif
