/*
 * str.c - the length-tracked string (see include/inkan/str.h).
 */
#include "inkan/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Smallest allocation, so that short strings do not realloc per byte. */
#define STR_MIN_CAP 32

/* ink_str_init - make s empty */
void ink_str_init(struct ink_str *s)
{
    s->buf = NULL;
    s->len = 0;
    s->cap = 0;
}

/* ink_str_free - release s's buffer */
void ink_str_free(struct ink_str *s)
{
    if (s == NULL)
        return;
    free(s->buf);
    ink_str_init(s);
}

/* ink_str_reserve - make room for extra bytes plus the terminator */
int ink_str_reserve(struct ink_str *s, size_t extra)
{
    size_t need, ncap;
    char *nbuf;

    if (extra > INK_STR_MAX || s->len > INK_STR_MAX - extra)
        return -1;
    need = s->len + extra + 1;
    if (need <= s->cap)
        return 0;
    ncap = s->cap < STR_MIN_CAP ? STR_MIN_CAP : s->cap;
    while (ncap < need) {
        if (ncap > INK_STR_MAX)
            return -1;
        ncap *= 2;
    }
    nbuf = realloc(s->buf, ncap);
    if (nbuf == NULL)
        return -1;
    if (s->buf == NULL)
        nbuf[0] = '\0';
    s->buf = nbuf;
    s->cap = ncap;
    return 0;
}

/* ink_str_append - append len bytes */
int ink_str_append(struct ink_str *s, const void *p, size_t len)
{
    if (ink_str_reserve(s, len) < 0)
        return -1;
    if (len > 0)
        memcpy(s->buf + s->len, p, len);
    s->len += len;
    s->buf[s->len] = '\0';
    return 0;
}

/* ink_str_puts - append a C string */
int ink_str_puts(struct ink_str *s, const char *cstr)
{
    return ink_str_append(s, cstr, strlen(cstr));
}

/* ink_str_putc - append one byte */
int ink_str_putc(struct ink_str *s, int c)
{
    unsigned char ch = (unsigned char)c;

    return ink_str_append(s, &ch, 1);
}

/* ink_str_vprintf - append formatted text */
int ink_str_vprintf(struct ink_str *s, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return -1;
    if (ink_str_reserve(s, (size_t)n) < 0)
        return -1;
    vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
    s->len += (size_t)n;
    return 0;
}

/* ink_str_printf - append formatted text */
int ink_str_printf(struct ink_str *s, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = ink_str_vprintf(s, fmt, ap);
    va_end(ap);
    return rc;
}

/* ink_str_truncate - cut to len bytes */
void ink_str_truncate(struct ink_str *s, size_t len)
{
    if (len < s->len) {
        s->len = len;
        s->buf[len] = '\0';
    }
}

/* ink_str_cstr - contents as a C string, owned by s */
const char *ink_str_cstr(const struct ink_str *s)
{
    return s->buf != NULL ? s->buf : "";
}

/* ink_str_steal - give the buffer to the caller */
char *ink_str_steal(struct ink_str *s)
{
    char *p = s->buf;

    if (p == NULL)
        p = calloc(1, 1);
    ink_str_init(s);
    return p;
}

/* ink_str_put_printable - append untrusted bytes made printable and cut short */
int ink_str_put_printable(struct ink_str *s, const void *p, size_t len, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *b = p;
    size_t i, n = len < max ? len : max;

    for (i = 0; i < n; i++) {
        unsigned char c = b[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            if (ink_str_putc(s, c) < 0)
                return -1;
        } else {
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            if (ink_str_append(s, esc, sizeof(esc)) < 0)
                return -1;
        }
    }
    if (n < len && ink_str_puts(s, "...") < 0)
        return -1;
    return 0;
}

/* ink_memdup_cstr - heap copy as a C string; caller frees */
char *ink_memdup_cstr(const void *p, size_t len)
{
    char *d;

    if (len == SIZE_MAX)
        return NULL;
    d = malloc(len + 1);
    if (d == NULL)
        return NULL;
    if (len > 0)
        memcpy(d, p, len);
    d[len] = '\0';
    return d;
}

/* ink_strv_free - free n strings and the array; NULL is a no-op */
void ink_strv_free(char **v, size_t n)
{
    size_t i;

    if (v == NULL)
        return;
    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* ink_hex - n bytes as lower-case hex, NUL-terminated, into out (2n + 1) */
void ink_hex(const void *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *b = p;
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}
