/*
 * spf_edit.c - the one SPF record editor (inkan/spf.h, ink_spf_edit_*):
 * replace, remove or insert spans of a record's text, returning a new
 * string.  Used by the lint's fixes, the audit and provisioning, so that
 * every proposed record keeps its single "v=spf1" version and the
 * qualifier of its "all".
 *
 * The editor works on the text as written (byte offsets from the parser's
 * spans), not on a re-formatted record, so an edit changes only what it
 * says and the rest of the record reads as its owner wrote it.
 */
#include "inkan/spf.h"

#include <stdlib.h>
#include <string.h>

/* Length of the version term "v=spf1". */
#define EDIT_VERSION_LEN 6

/* lc - ASCII lower-case */
static int lc(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* word_is - the len-byte token p equals the lower-case word w (ASCII,
 * case-insensitive) */
static int word_is(const char *p, size_t len, const char *w)
{
    size_t i;

    if (len != strlen(w))
        return 0;
    for (i = 0; i < len; i++)
        if (lc((unsigned char)p[i]) != w[i])
            return 0;
    return 1;
}

/* is_all - the token is an "all" mechanism, with or without qualifier */
static int is_all(const char *p, size_t len)
{
    if (len > 0 && (p[0] == '+' || p[0] == '-' || p[0] == '~' || p[0] == '?')) {
        p++;
        len--;
    }
    return word_is(p, len, "all");
}

/* is_redirect - the token is a redirect= modifier */
static int is_redirect(const char *p, size_t len)
{
    return len >= 9 && word_is(p, 9, "redirect=");
}

/* has_version_term - text holds a "v=spf1" token (a second record's start) */
static int has_version_term(const char *text)
{
    const char *p = text;

    for (;;) {
        size_t n;

        while (*p == ' ')
            p++;
        if (*p == '\0')
            return 0;
        n = strcspn(p, " ");
        if (word_is(p, n, "v=spf1"))
            return 1;
        p += n;
    }
}

/* span_ok - the edit [off, off+len) is inside rec, leaves the version
 * alone and does not cut into an all term (all terms it overlaps must lie
 * wholly inside it) */
static int span_ok(const char *rec, size_t rlen, int is_spf, size_t off, size_t len)
{
    size_t pos, end;

    if (off > rlen || len > rlen - off)
        return 0;
    end = off + len;
    if (is_spf && off < EDIT_VERSION_LEN)
        return 0;
    for (pos = 0; pos < rlen;) {
        size_t t0, t1;

        while (pos < rlen && rec[pos] == ' ')
            pos++;
        t0 = pos;
        while (pos < rlen && rec[pos] != ' ')
            pos++;
        t1 = pos;
        if (t1 > t0 && is_all(rec + t0, t1 - t0)) {
            /* an insertion (len 0) at either edge leaves the term whole */
            int inside = len == 0 ? off > t0 && off < t1 : off < t1 && end > t0;

            if (inside && (len == 0 || off > t0 || end < t1))
                return 0;
        }
    }
    return 1;
}

/* edit_cmp - order edits by offset */
static int edit_cmp(const void *x, const void *y)
{
    const struct ink_spf_edit *a = *(const struct ink_spf_edit *const *)x;
    const struct ink_spf_edit *b = *(const struct ink_spf_edit *const *)y;

    if (a->off != b->off)
        return a->off < b->off ? -1 : 1;
    /* an insertion before a replacement at the same offset */
    return a->len < b->len ? -1 : a->len > b->len;
}

/* ink_spf_edit_apply - every edit at once, offsets in the original text;
 * *out (caller frees) or NULL with the reason code */
int ink_spf_edit_apply(const char *rec, size_t len, const struct ink_spf_edit *e, size_t n,
                       char **out)
{
    const struct ink_spf_edit **order;
    struct ink_str s = INK_STR_INIT;
    int is_spf, bad = 0;
    size_t i, pos = 0;

    *out = NULL;
    if (rec == NULL || (n > 0 && e == NULL) || n > INK_SPF_EDITS_MAX)
        return INK_SPF_EDIT_REFUSED;
    is_spf = ink_spf_record_is_spf((const uint8_t *)rec, len);
    for (i = 0; i < n; i++)
        if (!span_ok(rec, len, is_spf, e[i].off, e[i].len) ||
            (e[i].text != NULL && has_version_term(e[i].text)))
            return INK_SPF_EDIT_REFUSED;
    order = malloc((n > 0 ? n : 1) * sizeof(*order));
    if (order == NULL)
        return INK_SPF_EDIT_NOMEM;
    for (i = 0; i < n; i++)
        order[i] = &e[i];
    qsort(order, n, sizeof(*order), edit_cmp);
    for (i = 1; i < n; i++)
        if (order[i]->off < order[i - 1]->off + order[i - 1]->len ||
            (order[i]->off == order[i - 1]->off && order[i]->len == 0 &&
             order[i - 1]->len == 0)) {
            free(order);
            return INK_SPF_EDIT_REFUSED; /* overlapping (or two inserts at one place) */
        }
    for (i = 0; i < n; i++) {
        size_t start = order[i]->off;

        if (order[i]->text == NULL) {
            /* removal: the spaces before the span go with it, so no
             * double space is left where a term was */
            while (start > pos && rec[start - 1] == ' ')
                start--;
            bad |= ink_str_append(&s, rec + pos, start - pos);
        } else {
            bad |= ink_str_append(&s, rec + pos, start - pos);
            bad |= ink_str_puts(&s, order[i]->text);
        }
        pos = order[i]->off + order[i]->len;
    }
    bad |= ink_str_append(&s, rec + pos, len - pos);
    free(order);
    if (bad) {
        ink_str_free(&s);
        return INK_SPF_EDIT_NOMEM;
    }
    *out = ink_str_steal(&s);
    return *out != NULL ? INK_SPF_EDIT_OK : INK_SPF_EDIT_NOMEM;
}

/* ink_spf_edit_replace - one replacement */
int ink_spf_edit_replace(const char *rec, size_t len, size_t off, size_t span, const char *text,
                         char **out)
{
    struct ink_spf_edit e;

    if (text == NULL) {
        *out = NULL;
        return INK_SPF_EDIT_REFUSED;
    }
    e.off = off;
    e.len = span;
    e.text = text;
    return ink_spf_edit_apply(rec, len, &e, 1, out);
}

/* ink_spf_edit_remove - one removal */
int ink_spf_edit_remove(const char *rec, size_t len, size_t off, size_t span, char **out)
{
    struct ink_spf_edit e;

    e.off = off;
    e.len = span;
    e.text = NULL;
    return ink_spf_edit_apply(rec, len, &e, 1, out);
}

/* ink_spf_edit_insert - terms before the first all/redirect=, else at the end */
int ink_spf_edit_insert(const char *rec, size_t len, const char *terms, char **out)
{
    struct ink_str t = INK_STR_INIT;
    struct ink_spf_edit e;
    size_t tb, te, pos, last_end = EDIT_VERSION_LEN;
    int rc, found = 0, bad = 0;

    *out = NULL;
    if (rec == NULL || terms == NULL || !ink_spf_record_is_spf((const uint8_t *)rec, len))
        return INK_SPF_EDIT_REFUSED;
    tb = 0;
    te = strlen(terms);
    while (tb < te && terms[tb] == ' ')
        tb++;
    while (te > tb && terms[te - 1] == ' ')
        te--;
    if (te == tb)
        return INK_SPF_EDIT_REFUSED;
    for (pos = EDIT_VERSION_LEN; pos < len;) {
        size_t t0, t1;

        while (pos < len && rec[pos] == ' ')
            pos++;
        t0 = pos;
        while (pos < len && rec[pos] != ' ')
            pos++;
        t1 = pos;
        if (t1 == t0)
            break;
        if (is_all(rec + t0, t1 - t0) || is_redirect(rec + t0, t1 - t0)) {
            /* before the term, qualifier included: "x -all" not "-x all" */
            e.off = t0;
            found = 1;
            break;
        }
        last_end = t1;
    }
    if (found) {
        bad |= ink_str_append(&t, terms + tb, te - tb);
        bad |= ink_str_putc(&t, ' ');
    } else {
        e.off = last_end;
        bad |= ink_str_putc(&t, ' ');
        bad |= ink_str_append(&t, terms + tb, te - tb);
    }
    if (bad) {
        ink_str_free(&t);
        return INK_SPF_EDIT_NOMEM;
    }
    e.len = 0;
    e.text = ink_str_cstr(&t);
    rc = ink_spf_edit_apply(rec, len, &e, 1, out);
    ink_str_free(&t);
    return rc;
}
