/*
 * fuzz_authres.c - libFuzzer target for the Authentication-Results parser
 * (inkan/authres.h).  The bytes are a field value.  Promises: no crash,
 * a malformed field says why and where (offset within the input); what
 * was parsed, written back with the writer and parsed again, gives the
 * same methods, results and property values (for values of printable
 * ASCII, which the writer keeps as they are), and the written field has
 * no line break that is not a fold and no unquoted ';' or '(' from a value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/authres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* printable - only printable ASCII (the writer passes it unchanged) */
static int printable(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_authres *a = ink_authres_parse(data, size), *b;
    struct ink_str s = INK_STR_INIT;
    size_t i, k, len;
    int same = 1;

    (void)ink_authres_is_ours(data, size, "mx.example.net");
    if (a == NULL)
        return 0;
    if (!a->ok && (a->why[0] == '\0' || a->why_off > size))
        abort();
    if (a->nresults > INK_AUTHRES_METHODS_MAX)
        abort();
    if (a->authserv_id == NULL || !printable(a->authserv_id) || a->authserv_id[0] == '\0')
        goto out;
    (void)ink_authres_begin(&s, a->authserv_id);
    for (i = 0; i < a->nresults; i++) {
        const struct ink_authres_result *r = &a->results[i];

        if (ink_authres_method(&s, r->method, r->result) < 0)
            abort(); /* the parser only takes keywords */
        if (r->reason != NULL)
            (void)ink_authres_reason(&s, r->reason);
        for (k = 0; k < r->nprops; k++) {
            const char *v = r->props[k].value;

            same &= printable(v) && strlen(v) <= INK_AUTHRES_VALUE_MAX;
            if (ink_authres_prop(&s, r->props[k].ptype, r->props[k].property, v, strlen(v)) < 0)
                abort();
        }
        same &= r->reason == NULL || (printable(r->reason) && strlen(r->reason) <= INK_AUTHRES_VALUE_MAX);
    }
    if (a->nresults == 0)
        (void)ink_authres_none(&s);
    for (i = 0; i + 1 < s.len; i++)
        if ((s.buf[i] == '\r' || s.buf[i] == '\n') && s.buf[i] == '\n' && s.buf[i + 1] != '\t')
            abort();
    len = strlen("Authentication-Results:");
    b = ink_authres_parse((const uint8_t *)s.buf + len, s.len - len);
    if (b == NULL)
        goto out;
    if (!b->ok || b->nresults != a->nresults)
        abort(); /* our own output always parses, to as many results */
    for (i = 0; same && i < a->nresults; i++) {
        const struct ink_authres_result *r = &a->results[i], *q = &b->results[i];

        if (strcmp(r->method, q->method) != 0 || strcmp(r->result, q->result) != 0 ||
            r->nprops != q->nprops)
            abort();
        if ((r->reason == NULL) != (q->reason == NULL) ||
            (r->reason != NULL && strcmp(r->reason, q->reason) != 0))
            abort();
        for (k = 0; k < r->nprops; k++)
            if (strcmp(r->props[k].value, q->props[k].value) != 0)
                abort();
    }
    ink_authres_free(b);
out:
    ink_str_free(&s);
    ink_authres_free(a);
    return 0;
}
