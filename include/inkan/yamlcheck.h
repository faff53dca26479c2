/*
 * inkan/yamlcheck.h - the one way every YAML reader of inkan (sender
 * profiles, the local policy, the platform map, the milter configuration)
 * loads a document: a size limit, then a check of the document's events
 * before libyaml builds its graph (libyaml's work per token grows with the
 * nesting, so a deep document is refused where the nesting starts, after a
 * few tokens, not after minutes), then the load, every refusal as
 * "LINE:COLUMN: reason".
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

/* Flags of ink_yaml_shape_check and ink_yaml_load. */
#define INK_YAML_NO_ALIASES 0x1u   /* refuse aliases (*name) too */
#define INK_YAML_ONE_DOCUMENT 0x2u /* ink_yaml_load: refuse a second document */

/* libyaml's document (<yaml.h>); only ink_yaml_load's callers need its body */
struct yaml_document_s;

/* What one kind of YAML file may be (the reader's named constants). */
struct ink_yaml_limits {
    const char *what; /* "policy", "profile", ...: named in the messages */
    size_t size_max;  /* bytes */
    int depth_max;    /* nested sequences/mappings */
    unsigned flags;   /* INK_YAML_* */
};

/*
 * ink_yaml_shape_check - read the events of buf (len bytes, no NUL
 * needed) and refuse nesting past depth_max sequences/mappings, and with
 * INK_YAML_NO_ALIASES any alias, naming what ("policy", ...) in the
 * message.  0; -1 with "LINE:COLUMN: reason" in err.  A YAML syntax error
 * is not reported here: the load that follows names it.
 */
int ink_yaml_shape_check(const uint8_t *buf, size_t len, int depth_max, unsigned flags,
                         const char *what, struct ink_str *err);

/*
 * ink_yaml_load - the first document of buf (len bytes, no NUL needed)
 * into doc, after refusing more than lim->size_max bytes and (through
 * ink_yaml_shape_check) nesting past lim->depth_max; with
 * INK_YAML_ONE_DOCUMENT a second document (even "---" alone), or a
 * syntax error after the first, is refused too.  0 with doc loaded (the caller owns it:
 * yaml_document_delete; an empty buf gives a document without a root
 * node); -1 with "LINE:COLUMN: reason" in err (a syntax error as
 * "LINE:COLUMN: YAML: problem (context)") and nothing to free.
 */
int ink_yaml_load(const uint8_t *buf, size_t len, const struct ink_yaml_limits *lim,
                  struct yaml_document_s *doc, struct ink_str *err);

INK_API_END
#ifdef __cplusplus
}
#endif
#endif
