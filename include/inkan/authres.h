/*
 * inkan/authres.h - the Authentication-Results header field (RFC 8601):
 * a writer that quotes every value taken from a message so that it can
 * never end the field, start a comment or add a method (no CR, LF, ';',
 * '(' outside a quoted-string), and a parser (for tests, for ARC's
 * ARC-Authentication-Results, and to recognise fields that carry our
 * authserv-id, which section 5 says to remove as forged).
 */
#ifndef INKAN_AUTHRES_H
#define INKAN_AUTHRES_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/mailhdr.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Longest field value the parser takes. */
#define INK_AUTHRES_FIELD_MAX 65536
/* Method results (resinfo) kept per field. */
#define INK_AUTHRES_METHODS_MAX 64
/* Properties kept per method result. */
#define INK_AUTHRES_PROPS_MAX 16
/* Comments nested deeper than this are malformed. */
#define INK_AUTHRES_COMMENT_DEPTH_MAX 16
/* Longest value the writer puts in one property (longer is cut). */
#define INK_AUTHRES_VALUE_MAX 512
/* Bytes of b= the writer puts in header.b (RFC 6008: enough to tell
 * signatures apart). */
#define INK_AUTHRES_B_PREFIX 8

/* ---- writer ---- */

/* ink_authres_begin - append "Authentication-Results: " and the
 * authserv-id (quoted if it is not a plain token).  0 or -1 (ENOMEM). */
int ink_authres_begin(struct ink_str *out, const char *authserv_id);
/* ink_authres_method - append ";\r\n\tMETHOD=RESULT".  method and result
 * are the writer's own words (checked: letters, digits, '-', '_'; -1
 * otherwise).  0 or -1. */
int ink_authres_method(struct ink_str *out, const char *method, const char *result);
/* ink_authres_reason - append " reason=" and text quoted (made safe) */
int ink_authres_reason(struct ink_str *out, const char *text);
/* ink_authres_prop - append " PTYPE.PROPERTY=VALUE"; value (untrusted, len
 * bytes) is written bare only when it is a token or a plain
 * local-part@domain, else as a quoted-string with '"' and '\\' escaped and
 * every control or 8-bit byte replaced by '?'.  0 or -1. */
int ink_authres_prop(struct ink_str *out, const char *ptype, const char *property,
                     const char *value, size_t len);
/* ink_authres_none - append "; none" (no method was applied) */
int ink_authres_none(struct ink_str *out);
/* ink_authres_put_value - append value as ink_authres_prop writes it */
int ink_authres_put_value(struct ink_str *out, const char *value, size_t len);

/* ---- parser ---- */

struct ink_authres_prop {
    char *ptype;    /* "smtp", "header", "body", "policy", ... (owned, lower case) */
    char *property; /* (owned, lower case) */
    char *value;    /* unquoted (owned) */
};

struct ink_authres_result {
    char *method;   /* lower case, version removed (owned) */
    char *result;   /* lower case (owned) */
    char *reason;   /* reason=, unquoted, or NULL (owned) */
    size_t nprops;
    struct ink_authres_prop props[INK_AUTHRES_PROPS_MAX];
};

struct ink_authres {
    int ok;              /* 0: malformed, see why / why_off */
    char why[96];
    size_t why_off;      /* byte offset in the value */
    char *authserv_id;   /* (owned) */
    int none;            /* the field says "none" */
    size_t nresults;
    struct ink_authres_result results[INK_AUTHRES_METHODS_MAX];
    size_t dropped;      /* results past INK_AUTHRES_METHODS_MAX */
};

/*
 * ink_authres_parse - parse a field value (the bytes after the colon,
 * folded or not).  Returns a struct the caller owns (NULL on ENOMEM);
 * ok 0 with a reason and offset when it is malformed (what was read up
 * to there is kept).
 */
struct ink_authres *ink_authres_parse(const uint8_t *value, size_t len);
/* ink_authres_free - release; NULL is a no-op */
void ink_authres_free(struct ink_authres *a);
/* ink_authres_find - the first result of method, or NULL */
const struct ink_authres_result *ink_authres_find(const struct ink_authres *a,
                                                  const char *method);
/* ink_authres_prop_value - value of ptype.property in r, or NULL */
const char *ink_authres_prop_value(const struct ink_authres_result *r, const char *ptype,
                                   const char *property);

/*
 * ink_authres_is_ours - 1 when the field value names authserv_id
 * (case-insensitive), so the field claims to be ours and must be removed
 * before ours is added (RFC 8601 section 5); 0 otherwise.  Only the
 * authserv-id is read: a field too broken to parse past it still counts.
 */
int ink_authres_is_ours(const uint8_t *value, size_t len, const char *authserv_id);

/*
 * ink_authres_forged - the Authentication-Results fields of header h that
 * carry authserv_id (RFC 8601 section 5: remove them before adding ours):
 * their indices (ink_mailhdr_field numbering, topmost 0) into idx, at
 * most max of them; returns how many there are in all.
 */
size_t ink_authres_forged(const struct ink_mailhdr *h, const char *authserv_id, size_t *idx,
                          size_t max);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
