/*
 * authres.c - Authentication-Results (RFC 8601): the writer, which makes
 * every value that came from a message safe (it is written bare only
 * when it is a plain token or local-part@domain, else as a quoted-string
 * with its specials escaped and control and 8-bit bytes replaced), and a
 * bounded parser of the field (section 2.2 grammar, CFWS and nested
 * comments allowed wherever the grammar allows them).
 */
#include "inkan/authres.h"

#include <stdlib.h>
#include <string.h>

/* ---- writer ---- */

/* is_keyword_char - letters, digits, '-' and '_' (RFC 8601 Keyword, ldh-str) */
static int is_keyword_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

/* is_keyword - a non-empty run of keyword characters */
static int is_keyword(const char *s)
{
    size_t i;

    if (s == NULL || s[0] == '\0')
        return 0;
    for (i = 0; s[i] != '\0'; i++)
        if (!is_keyword_char((unsigned char)s[i]))
            return 0;
    return 1;
}

/* is_token_char - RFC 2045 token: printable ASCII except tspecials */
static int is_token_char(int c)
{
    return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* is_atext - RFC 5322 atext */
static int is_atext(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* plain_value - value can be written bare: a token, or dot-atom@domain
 * (RFC 8601 pvalue) with a domain of letters, digits, '-' and '.' */
static int plain_value(const char *v, size_t len)
{
    size_t i, at = len;

    if (len == 0)
        return 0;
    for (i = 0; i < len && is_token_char((unsigned char)v[i]); i++)
        ;
    if (i == len)
        return 1;
    for (i = 0; i < len; i++)
        if (v[i] == '@')
            at = i;
    if (at == len || at + 1 == len)
        return 0;
    for (i = 0; i < at; i++) {
        if (!is_atext((unsigned char)v[i]) && v[i] != '.')
            return 0;
        if (v[i] == '.' && (i == 0 || v[i - 1] == '.' || i + 1 == at))
            return 0;
    }
    for (i = at + 1; i < len; i++) {
        int c = (unsigned char)v[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

/* ink_authres_put_value - bare when plain, else a safe quoted-string */
int ink_authres_put_value(struct ink_str *out, const char *value, size_t len)
{
    size_t i;

    if (len > INK_AUTHRES_VALUE_MAX)
        len = INK_AUTHRES_VALUE_MAX;
    if (plain_value(value, len))
        return ink_str_append(out, value, len);
    if (ink_str_putc(out, '"') < 0)
        return -1;
    for (i = 0; i < len; i++) {
        int c = (unsigned char)value[i];

        if (c == '"' || c == '\\') {
            if (ink_str_putc(out, '\\') < 0 || ink_str_putc(out, c) < 0)
                return -1;
        } else if (c < 0x20 || c >= 0x7f) {
            /* CR, LF, TAB and 8-bit bytes: never a line break in the field */
            if (ink_str_putc(out, '?') < 0)
                return -1;
        } else if (ink_str_putc(out, c) < 0) {
            return -1;
        }
    }
    return ink_str_putc(out, '"');
}

/* ink_authres_begin - the field name and authserv-id */
int ink_authres_begin(struct ink_str *out, const char *authserv_id)
{
    if (ink_str_puts(out, "Authentication-Results: ") < 0)
        return -1;
    return ink_authres_put_value(out, authserv_id, strlen(authserv_id));
}

/* ink_authres_method - ";\r\n\tMETHOD=RESULT" */
int ink_authres_method(struct ink_str *out, const char *method, const char *result)
{
    if (!is_keyword(method) || !is_keyword(result))
        return -1;
    return ink_str_printf(out, ";\r\n\t%s=%s", method, result);
}

/* ink_authres_reason - " reason=..." always quoted */
int ink_authres_reason(struct ink_str *out, const char *text)
{
    size_t len = strlen(text), i;

    if (len > INK_AUTHRES_VALUE_MAX)
        len = INK_AUTHRES_VALUE_MAX;
    if (ink_str_puts(out, " reason=\"") < 0)
        return -1;
    for (i = 0; i < len; i++) {
        int c = (unsigned char)text[i];

        if (c == '"' || c == '\\') {
            if (ink_str_putc(out, '\\') < 0 || ink_str_putc(out, c) < 0)
                return -1;
        } else if (ink_str_putc(out, c < 0x20 || c >= 0x7f ? '?' : c) < 0) {
            return -1;
        }
    }
    return ink_str_putc(out, '"');
}

/* ink_authres_prop - " PTYPE.PROPERTY=VALUE" */
int ink_authres_prop(struct ink_str *out, const char *ptype, const char *property,
                     const char *value, size_t len)
{
    if (!is_keyword(ptype) || !is_keyword(property))
        return -1;
    if (ink_str_printf(out, " %s.%s=", ptype, property) < 0)
        return -1;
    return ink_authres_put_value(out, value, len);
}

/* ink_authres_none - "; none" */
int ink_authres_none(struct ink_str *out)
{
    return ink_str_puts(out, "; none");
}

/* ---- parser ---- */

struct cur {
    const uint8_t *p;
    size_t len, i;
    struct ink_authres *a;
};

/* fail - record the first error; returns -1 */
static int fail(struct cur *c, const char *why)
{
    if (c->a->ok) {
        size_t n = strlen(why);

        c->a->ok = 0;
        if (n >= sizeof(c->a->why))
            n = sizeof(c->a->why) - 1;
        memcpy(c->a->why, why, n);
        c->a->why[n] = '\0';
        c->a->why_off = c->i;
    }
    return -1;
}

/* skip_cfws - white space, line breaks and (nested) comments; -1 on an
 * unterminated or too deeply nested comment */
static int skip_cfws(struct cur *c)
{
    int depth = 0;

    while (c->i < c->len) {
        uint8_t ch = c->p[c->i];

        if (depth > 0 && ch == '\\' && c->i + 1 < c->len) {
            c->i += 2;
            continue;
        }
        if (ch == '(') {
            if (++depth > INK_AUTHRES_COMMENT_DEPTH_MAX)
                return fail(c, "comments nested too deeply");
        } else if (ch == ')' && depth > 0) {
            depth--;
        } else if (depth == 0 && ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
            return 0;
        }
        c->i++;
    }
    return depth > 0 ? fail(c, "unterminated comment") : 0;
}

/* keyword - read a Keyword; owned lower-case copy in *out (NULL if none) */
static int keyword(struct cur *c, char **out)
{
    size_t s = c->i, k;

    *out = NULL;
    while (c->i < c->len && is_keyword_char(c->p[c->i]))
        c->i++;
    if (c->i == s)
        return 0;
    *out = ink_memdup_cstr(c->p + s, c->i - s);
    if (*out == NULL)
        return -2;
    for (k = 0; (*out)[k] != '\0'; k++)
        if ((*out)[k] >= 'A' && (*out)[k] <= 'Z')
            (*out)[k] = (char)((*out)[k] - 'A' + 'a');
    return 1;
}

/* value - a quoted-string (unquoted into *out) or a run of bytes up to
 * white space, ';' or '(' (a token, local-part@domain, or a sloppy
 * writer's base64); 1, 0 when there is none, -1 malformed, -2 ENOMEM */
static int value(struct cur *c, char **out)
{
    struct ink_str s = INK_STR_INIT;

    *out = NULL;
    if (c->i >= c->len)
        return 0;
    if (c->p[c->i] == '"') {
        c->i++;
        for (;;) {
            uint8_t ch;

            if (c->i >= c->len) {
                ink_str_free(&s);
                return fail(c, "unterminated quoted-string");
            }
            ch = c->p[c->i++];
            if (ch == '"')
                break;
            if (ch == '\\' && c->i < c->len)
                ch = c->p[c->i++];
            else if (ch == '\r' || ch == '\n')
                continue; /* folding inside the quotes */
            if (ink_str_putc(&s, ch) < 0) {
                ink_str_free(&s);
                return -2;
            }
        }
    } else {
        size_t st = c->i;

        while (c->i < c->len && c->p[c->i] != ' ' && c->p[c->i] != '\t' && c->p[c->i] != '\r' &&
               c->p[c->i] != '\n' && c->p[c->i] != ';' && c->p[c->i] != '(' &&
               c->p[c->i] != '"')
            c->i++;
        if (c->i == st)
            return 0;
        if (ink_str_append(&s, c->p + st, c->i - st) < 0)
            return -2;
    }
    *out = ink_str_steal(&s);
    return *out == NULL ? -2 : 1;
}

/* expect - skip CFWS and take byte ch; -1 if it is not there */
static int expect(struct cur *c, uint8_t ch, const char *why)
{
    if (skip_cfws(c) < 0)
        return -1;
    if (c->i >= c->len || c->p[c->i] != ch)
        return fail(c, why);
    c->i++;
    return skip_cfws(c);
}

/* free_result - release one method result's strings */
static void free_result(struct ink_authres_result *r)
{
    size_t i;

    free(r->method);
    free(r->result);
    free(r->reason);
    for (i = 0; i < r->nprops; i++) {
        free(r->props[i].ptype);
        free(r->props[i].property);
        free(r->props[i].value);
    }
    memset(r, 0, sizeof(*r));
}

/* resinfo - one "; method=result [reason=...] [ptype.prop=value]..." after
 * the ';'; 0, -1 malformed, -2 ENOMEM */
static int resinfo(struct cur *c, struct ink_authres_result *r)
{
    char *name = NULL, *v = NULL;
    int rc;

    if ((rc = keyword(c, &r->method)) <= 0)
        return rc < 0 ? rc : fail(c, "a method name was expected");
    if (skip_cfws(c) < 0)
        return -1;
    if (c->i < c->len && c->p[c->i] == '/') { /* method-version */
        char *ver = NULL;

        c->i++;
        if (skip_cfws(c) < 0)
            return -1;
        if ((rc = keyword(c, &ver)) <= 0)
            return rc < 0 ? rc : fail(c, "a method version was expected");
        free(ver);
    }
    if (expect(c, '=', "'=' was expected after the method") < 0)
        return -1;
    if ((rc = keyword(c, &r->result)) <= 0)
        return rc < 0 ? rc : fail(c, "a result was expected");
    for (;;) {
        if (skip_cfws(c) < 0)
            return -1;
        if (c->i >= c->len || c->p[c->i] == ';')
            return 0;
        if ((rc = keyword(c, &name)) <= 0)
            return rc < 0 ? rc : fail(c, "a property or reason was expected");
        if (skip_cfws(c) < 0) {
            free(name);
            return -1;
        }
        if (strcmp(name, "reason") == 0 && c->i < c->len && c->p[c->i] == '=') {
            free(name);
            c->i++;
            if (skip_cfws(c) < 0)
                return -1;
            if ((rc = value(c, &v)) <= 0)
                return rc < 0 ? rc : fail(c, "a reason value was expected");
            free(r->reason);
            r->reason = v;
            continue;
        }
        if (c->i >= c->len || c->p[c->i] != '.') {
            free(name);
            return fail(c, "'.' was expected after the property type");
        }
        c->i++;
        if (r->nprops >= INK_AUTHRES_PROPS_MAX) {
            free(name);
            return fail(c, "too many properties");
        }
        {
            struct ink_authres_prop *pp = &r->props[r->nprops];

            /* the property counts only once it is whole (name and value) */
            pp->ptype = name;
            if (skip_cfws(c) < 0 || (rc = keyword(c, &pp->property)) <= 0 ||
                expect(c, '=', "'=' was expected after the property") < 0 ||
                (rc = value(c, &pp->value)) <= 0) {
                int nomem = rc == -2;

                if (!nomem && c->a->ok)
                    fail(c, pp->property == NULL ? "a property name was expected"
                                                 : "a property value was expected");
                free(pp->ptype);
                free(pp->property);
                free(pp->value);
                memset(pp, 0, sizeof(*pp));
                return nomem ? -2 : -1;
            }
            r->nprops++;
        }
    }
}

/* ink_authres_parse - parse one field value */
struct ink_authres *ink_authres_parse(const uint8_t *buf, size_t len)
{
    struct ink_authres *a = calloc(1, sizeof(*a));
    struct ink_authres_result tmp;
    struct cur c;
    int rc;

    if (a == NULL)
        return NULL;
    a->ok = 1;
    c.p = buf;
    c.len = len;
    c.i = 0;
    c.a = a;
    if (len > INK_AUTHRES_FIELD_MAX) {
        fail(&c, "the field is too long");
        return a;
    }
    if (skip_cfws(&c) < 0)
        return a;
    rc = value(&c, &a->authserv_id);
    if (rc == -2)
        goto nomem;
    if (rc <= 0) {
        fail(&c, "an authserv-id was expected");
        return a;
    }
    if (skip_cfws(&c) < 0)
        return a;
    while (c.i < c.len && c.p[c.i] >= '0' && c.p[c.i] <= '9') /* authres-version */
        c.i++;
    if (skip_cfws(&c) < 0)
        return a;
    if (c.i >= c.len) {
        fail(&c, "no result after the authserv-id");
        return a;
    }
    while (c.i < c.len) {
        if (c.p[c.i] != ';') {
            fail(&c, "';' was expected");
            return a;
        }
        c.i++;
        if (skip_cfws(&c) < 0)
            return a;
        memset(&tmp, 0, sizeof(tmp));
        if (a->nresults == 0 && c.len - c.i >= 4 && strncmp((const char *)c.p + c.i, "none", 4) == 0 &&
            (c.i + 4 == c.len || !is_keyword_char(c.p[c.i + 4])) &&
            (c.i + 4 >= c.len || c.p[c.i + 4] != '=')) {
            size_t at = c.i + 4;

            c.i = at;
            if (skip_cfws(&c) < 0)
                return a;
            if (c.i < c.len) {
                c.i = at;
                fail(&c, "nothing may follow 'none'");
                return a;
            }
            a->none = 1;
            return a;
        }
        rc = resinfo(&c, &tmp);
        if (rc == -2) {
            free_result(&tmp);
            goto nomem;
        }
        if (a->nresults < INK_AUTHRES_METHODS_MAX && tmp.method != NULL && tmp.result != NULL) {
            a->results[a->nresults++] = tmp;
        } else {
            if (tmp.method != NULL && tmp.result != NULL)
                a->dropped++;
            free_result(&tmp);
        }
        if (rc < 0)
            return a;
    }
    return a;
nomem:
    ink_authres_free(a);
    return NULL;
}

/* ink_authres_free - release */
void ink_authres_free(struct ink_authres *a)
{
    size_t i;

    if (a == NULL)
        return;
    free(a->authserv_id);
    for (i = 0; i < a->nresults; i++)
        free_result(&a->results[i]);
    free(a);
}

/* ink_authres_find - first result of method */
const struct ink_authres_result *ink_authres_find(const struct ink_authres *a,
                                                  const char *method)
{
    size_t i;

    for (i = 0; a != NULL && i < a->nresults; i++)
        if (strcmp(a->results[i].method, method) == 0)
            return &a->results[i];
    return NULL;
}

/* ink_authres_prop_value - ptype.property of r */
const char *ink_authres_prop_value(const struct ink_authres_result *r, const char *ptype,
                                   const char *property)
{
    size_t i;

    for (i = 0; r != NULL && i < r->nprops; i++)
        if (strcmp(r->props[i].ptype, ptype) == 0 && strcmp(r->props[i].property, property) == 0)
            return r->props[i].value;
    return NULL;
}

/* ink_authres_is_ours - does the field name our authserv-id */
int ink_authres_is_ours(const uint8_t *buf, size_t len, const char *authserv_id)
{
    struct ink_authres a;
    struct cur c;
    char *id = NULL;
    int ours = 0;
    size_t k, n;

    memset(&a, 0, sizeof(a));
    a.ok = 1;
    c.p = buf;
    c.len = len > INK_AUTHRES_FIELD_MAX ? INK_AUTHRES_FIELD_MAX : len;
    c.i = 0;
    c.a = &a;
    if (skip_cfws(&c) < 0 || value(&c, &id) <= 0)
        return 0;
    n = strlen(id);
    if (n == strlen(authserv_id)) {
        ours = 1;
        for (k = 0; k < n; k++) {
            int x = (unsigned char)id[k], y = (unsigned char)authserv_id[k];

            if (x >= 'A' && x <= 'Z')
                x += 'a' - 'A';
            if (y >= 'A' && y <= 'Z')
                y += 'a' - 'A';
            if (x != y)
                ours = 0;
        }
    }
    free(id);
    return ours;
}

/* ink_authres_forged - the fields claiming our authserv-id */
size_t ink_authres_forged(const struct ink_mailhdr *h, const char *authserv_id, size_t *idx,
                          size_t max)
{
    size_t i, n = 0;

    for (i = 0; h != NULL && i < ink_mailhdr_count(h); i++) {
        const struct ink_mailhdr_field *f = ink_mailhdr_field(h, i);

        if (f->malformed || !ink_mailhdr_name_is(f, "Authentication-Results", 22) ||
            !ink_authres_is_ours(f->raw + f->value_off, f->len - f->value_off, authserv_id))
            continue;
        if (n < max && idx != NULL)
            idx[n] = i;
        n++;
    }
    return n;
}
