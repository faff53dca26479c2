/*
 * yamlcheck.c - how every YAML document of inkan is loaded
 * (inkan/yamlcheck.h): the size limit, the shape check (nesting depth and
 * aliases, from libyaml's event stream), the load with its error at
 * line:column, and the one-document rule.
 */
#include "inkan/yamlcheck.h"

#include <yaml.h>

/* ink_yaml_shape_check - refuse deep nesting (and aliases) from the events */
int ink_yaml_shape_check(const uint8_t *buf, size_t len, int depth_max, unsigned flags,
                         const char *what, struct ink_str *err)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    int depth = 0, rc = 0, done = 0;

    if (!yaml_parser_initialize(&parser)) {
        ink_str_puts(err, "out of memory");
        return -1;
    }
    yaml_parser_set_input_string(&parser, buf, len);
    while (!done && yaml_parser_parse(&parser, &ev)) {
        switch (ev.type) {
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (++depth > depth_max) {
                ink_str_printf(err, "%zu:%zu: nested deeper than %d levels",
                               ev.start_mark.line + 1, ev.start_mark.column + 1, depth_max);
                rc = -1;
                done = 1;
            }
            break;
        case YAML_ALIAS_EVENT:
            if (flags & INK_YAML_NO_ALIASES) {
                ink_str_printf(err, "%zu:%zu: YAML aliases are not allowed in a %s",
                               ev.start_mark.line + 1, ev.start_mark.column + 1, what);
                rc = -1;
                done = 1;
            }
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return rc;
}

/* syntax_error - "LINE:COLUMN: YAML: problem (context)" from the parser */
static void syntax_error(const yaml_parser_t *parser, struct ink_str *err)
{
    ink_str_printf(err, "%zu:%zu: YAML: %s", parser->problem_mark.line + 1,
                   parser->problem_mark.column + 1,
                   parser->problem != NULL ? parser->problem : "malformed document");
    if (parser->context != NULL)
        ink_str_printf(err, " (%s)", parser->context);
}

/* one_document - after the first document: the stream ends (an empty
 * document is the end too); 0, or -1 with the reason in err */
static int one_document(yaml_parser_t *parser, const char *what, struct ink_str *err)
{
    yaml_document_t extra;
    int rc = 0;

    if (!yaml_parser_load(parser, &extra)) {
        syntax_error(parser, err);
        return -1;
    }
    if (yaml_document_get_root_node(&extra) != NULL) {
        ink_str_printf(err, "%zu:%zu: a %s file holds one YAML document",
                       extra.start_mark.line + 1, extra.start_mark.column + 1, what);
        rc = -1;
    }
    yaml_document_delete(&extra);
    return rc;
}

/* ink_yaml_load - size, shape, then the document; the caller owns doc */
int ink_yaml_load(const uint8_t *buf, size_t len, const struct ink_yaml_limits *lim,
                  yaml_document_t *doc, struct ink_str *err)
{
    yaml_parser_t parser;

    if (len > lim->size_max) {
        ink_str_printf(err, "1:1: %s larger than %zu bytes", lim->what, lim->size_max);
        return -1;
    }
    if (ink_yaml_shape_check(buf, len, lim->depth_max, lim->flags, lim->what, err) < 0)
        return -1;
    if (!yaml_parser_initialize(&parser)) {
        ink_str_puts(err, "1:1: out of memory");
        return -1;
    }
    yaml_parser_set_input_string(&parser, buf, len);
    if (!yaml_parser_load(&parser, doc)) {
        syntax_error(&parser, err);
        yaml_parser_delete(&parser);
        return -1;
    }
    if ((lim->flags & INK_YAML_ONE_DOCUMENT) && yaml_document_get_root_node(doc) != NULL &&
        one_document(&parser, lim->what, err) < 0) {
        yaml_document_delete(doc);
        yaml_parser_delete(&parser);
        return -1;
    }
    yaml_parser_delete(&parser);
    return 0;
}
