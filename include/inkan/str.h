/*
 * inkan/str.h - the one length-tracked, growable byte string of libinkan.
 *
 * Modelled on Postfix VSTRING and Redis sds: the length is tracked, the
 * contents may hold any byte (including NUL), and the buffer is always kept
 * NUL-terminated as a convenience for printing, never as the length.  Every
 * growth is overflow-checked; on failure the string is left unchanged and
 * the call returns -1.
 */
#ifndef INKAN_STR_H
#define INKAN_STR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Largest string the type will grow to (guards against runaway input). */
#define INK_STR_MAX ((size_t)1 << 30)

struct ink_str {
    char *buf;  /* NULL until first growth; then NUL-terminated at len */
    size_t len; /* bytes used, not counting the terminator */
    size_t cap; /* bytes allocated, including room for the terminator */
};

#define INK_STR_INIT {NULL, 0, 0}

/* ink_str_init - make s an empty string (no allocation) */
void ink_str_init(struct ink_str *s);
/* ink_str_free - release s's buffer; s becomes empty. NULL is a no-op. */
void ink_str_free(struct ink_str *s);
/* ink_str_reserve - make room for extra more bytes; 0 or -1 on overflow/ENOMEM */
int ink_str_reserve(struct ink_str *s, size_t extra);
/* ink_str_append - append len bytes from p; 0 or -1 */
int ink_str_append(struct ink_str *s, const void *p, size_t len);
/* ink_str_puts - append a NUL-terminated C string; 0 or -1 */
int ink_str_puts(struct ink_str *s, const char *cstr);
/* ink_str_putc - append one byte; 0 or -1 */
int ink_str_putc(struct ink_str *s, int c);
/* ink_str_printf - append formatted text; 0 or -1 */
int ink_str_printf(struct ink_str *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* ink_str_vprintf - va_list form of ink_str_printf */
int ink_str_vprintf(struct ink_str *s, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* ink_str_truncate - cut s to len bytes (no-op if already shorter) */
void ink_str_truncate(struct ink_str *s, size_t len);
/* ink_str_cstr - contents as a C string; never NULL ("" when empty).
 * Owned by s; valid until the next change to s. */
const char *ink_str_cstr(const struct ink_str *s);
/* ink_str_steal - hand the buffer to the caller (who frees it with free());
 * s becomes empty.  Never NULL: an empty string yields a fresh "" or NULL on ENOMEM. */
char *ink_str_steal(struct ink_str *s);
/* ink_str_put_printable - append untrusted bytes for logging or display:
 * printable ASCII as is, other bytes as \xHH, cut to at most max input
 * bytes with "..." appended when cut.  0 or -1. */
int ink_str_put_printable(struct ink_str *s, const void *p, size_t len, size_t max);

/* ink_memdup_cstr - copy len bytes into a fresh NUL-terminated heap string
 * (caller frees), or NULL on ENOMEM. */
char *ink_memdup_cstr(const void *p, size_t len);

/* ink_strv_free - free the n heap strings of v and v itself (the lists
 * the profile, policy and audit parsers build); NULL v is a no-op. */
void ink_strv_free(char **v, size_t n);

/* ink_hex - n bytes as lower-case hex into out, which holds 2n + 1 bytes
 * (a digest or a random token as stored and shown) */
void ink_hex(const void *p, size_t n, char *out);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
