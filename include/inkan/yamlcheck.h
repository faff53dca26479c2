/*
 * inkan/yamlcheck.h - the one check every YAML reader of inkan (sender
 * profiles, the local policy, the platform map) runs on a document's
 * events before libyaml builds its graph: libyaml's work per token grows
 * with the nesting, so a deep document is refused where the nesting
 * starts, after a few tokens, not after minutes.
 */
#ifndef INKAN_YAMLCHECK_H
#define INKAN_YAMLCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/export.h"
#include "inkan/str.h"

#ifdef __cplusplus
extern "C" {
#endif
INK_API_BEGIN

/* Flags of ink_yaml_shape_check. */
#define INK_YAML_NO_ALIASES 0x1u /* refuse aliases (*name) too */

/*
 * ink_yaml_shape_check - read the events of buf (len bytes, no NUL
 * needed) and refuse nesting past depth_max sequences/mappings, and with
 * INK_YAML_NO_ALIASES any alias, naming what ("policy", ...) in the
 * message.  0; -1 with "LINE:COLUMN: reason" in err.  A YAML syntax error
 * is not reported here: the load that follows names it.
 */
int ink_yaml_shape_check(const uint8_t *buf, size_t len, int depth_max, unsigned flags,
                         const char *what, struct ink_str *err);

INK_API_END
#ifdef __cplusplus
}
#endif
#endif
