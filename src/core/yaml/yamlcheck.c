/*
 * yamlcheck.c - the shape check run on every YAML document before it is
 * loaded (inkan/yamlcheck.h): nesting depth and aliases, from libyaml's
 * event stream.
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
