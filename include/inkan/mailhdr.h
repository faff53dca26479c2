/*
 * inkan/mailhdr.h - RFC 5322 header section splitter with a push API.
 *
 * Feed raw message bytes in chunks of any size; the splitter collects
 * the header fields (folded fields kept whole, obsolete syntax such as
 * WSP before the colon accepted, 8-bit bytes kept) and says where the
 * header ends, so that the caller can hand the rest to a body consumer
 * without the splitter ever holding the body.  Memory grows with the
 * header only, up to INK_MAILHDR_SIZE_MAX.
 *
 * Line endings: a bare LF is normalised to CRLF at this edge when
 * INK_MAILHDR_LF_TO_CRLF is set (files on disk, pipes from Unix tools),
 * so that what is stored is the header as it would travel over SMTP.
 */
#ifndef INKAN_MAILHDR_H
#define INKAN_MAILHDR_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Largest header section accepted (bytes after normalisation). */
#define INK_MAILHDR_SIZE_MAX (1024u * 1024u)
/* Most header fields accepted. */
#define INK_MAILHDR_FIELDS_MAX 10000u

/* Flags for ink_mailhdr_new. */
#define INK_MAILHDR_LF_TO_CRLF 0x1u /* a LF not preceded by CR becomes CRLF */

/* What a push or end call left the splitter in. */
enum ink_mailhdr_state {
    INK_MAILHDR_MORE = 0, /* the header goes on: push more */
    INK_MAILHDR_DONE,     /* the empty line was seen: the rest is body */
    INK_MAILHDR_ERROR     /* a limit was passed or memory ran out (see why) */
};

/*
 * One header field.  raw points into the splitter's buffer and stays
 * valid until the splitter is freed (or reset); it holds the whole field
 * from the name to the final CRLF inclusive (CRLF-normalised when the
 * flag is set).  A line that is neither a field nor a continuation (no
 * colon) is kept as a field with name_len 0 and malformed set.
 */
struct ink_mailhdr_field {
    const uint8_t *raw;   /* field bytes */
    size_t len;           /* including the final CRLF (if the input had one) */
    size_t name_len;      /* bytes of the name (before WSP and the colon) */
    size_t value_off;     /* offset in raw just after the colon */
    size_t msg_off;       /* byte offset of the field in the input as fed */
    int malformed;        /* no colon, or a byte not allowed in a name */
};

struct ink_mailhdr;

/* ink_mailhdr_new - an empty splitter; flags are INK_MAILHDR_*.  Caller
 * owns it (ink_mailhdr_free).  NULL on ENOMEM. */
struct ink_mailhdr *ink_mailhdr_new(unsigned flags);
/* ink_mailhdr_free - release; NULL is a no-op */
void ink_mailhdr_free(struct ink_mailhdr *h);

/*
 * ink_mailhdr_push - feed len bytes.  *used gets how many were consumed:
 * all of them while MORE is returned; when DONE is returned, the bytes
 * from buf + *used on are body (the empty line itself is consumed).
 * After DONE or ERROR further pushes consume nothing and return the
 * same state.
 */
enum ink_mailhdr_state ink_mailhdr_push(struct ink_mailhdr *h, const uint8_t *buf, size_t len,
                                        size_t *used);

/*
 * ink_mailhdr_end - the input ended.  A message without the empty line
 * is all header and no body (RFC 5322 allows that); a last line without
 * a line ending is closed with CRLF.  Returns DONE, or ERROR.
 */
enum ink_mailhdr_state ink_mailhdr_end(struct ink_mailhdr *h);

/* ink_mailhdr_count - fields collected so far (complete fields only) */
size_t ink_mailhdr_count(const struct ink_mailhdr *h);
/* ink_mailhdr_field - field i (0 is the topmost); NULL when out of range.
 * The pointer is valid until the next push. */
const struct ink_mailhdr_field *ink_mailhdr_field(const struct ink_mailhdr *h, size_t i);
/* ink_mailhdr_why - reason for ERROR ("" otherwise); owned by h */
const char *ink_mailhdr_why(const struct ink_mailhdr *h);
/* ink_mailhdr_consumed - input bytes consumed so far (header and the
 * empty line) */
uint64_t ink_mailhdr_consumed(const struct ink_mailhdr *h);
/* ink_mailhdr_saw_crlf - 1 if the input's first line ended with CRLF,
 * 0 if with a bare LF, -1 if no line has ended yet */
int ink_mailhdr_saw_crlf(const struct ink_mailhdr *h);

/* ink_mailhdr_name_is - whether field f is called name (ASCII case-insensitive) */
int ink_mailhdr_name_is(const struct ink_mailhdr_field *f, const char *name, size_t len);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
