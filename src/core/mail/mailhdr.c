/*
 * mailhdr.c - RFC 5322 header section splitter (see inkan/mailhdr.h).
 *
 * Lines are copied into one growing buffer (CRLF-normalised when asked);
 * a field is closed when the next line does not start with WSP.  memchr
 * finds line ends so the copy is done in runs, not byte by byte.
 */
#include "inkan/mailhdr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inkan/str.h"

/* Fields the array starts with. */
#define MAILHDR_FIELDS_INITIAL 32
/* Bytes the buffer starts with (a typical header fits, so it is not
 * regrown line by line). */
#define MAILHDR_BUF_INITIAL 4096

/* A field as kept: its offset in the buffer (which may move while it
 * grows) and the public view, whose raw pointer is set when handed out. */
struct field_rec {
    size_t off;
    struct ink_mailhdr_field pub;
};

struct ink_mailhdr {
    unsigned flags;
    enum ink_mailhdr_state state;
    struct ink_str buf;              /* the header bytes kept */
    struct field_rec *fields;        /* the complete fields */
    size_t nfields, capfields;
    size_t line_start;               /* offset in buf of the line being read */
    uint64_t line_in_off;            /* input offset of that line */
    int have_field;                  /* a field is open */
    size_t field_start;              /* its offset in buf */
    uint64_t field_in_off;           /* its input offset */
    uint64_t consumed;               /* input bytes consumed */
    int saw_crlf;                    /* -1 unknown, 0 bare LF, 1 CRLF */
    char why[160];
};

/* ink_mailhdr_new - empty splitter */
struct ink_mailhdr *ink_mailhdr_new(unsigned flags)
{
    struct ink_mailhdr *h = calloc(1, sizeof(*h));

    if (h == NULL)
        return NULL;
    h->flags = flags;
    h->saw_crlf = -1;
    ink_str_init(&h->buf);
    if (ink_str_reserve(&h->buf, MAILHDR_BUF_INITIAL) < 0) {
        free(h);
        return NULL;
    }
    return h;
}

/* ink_mailhdr_free - release */
void ink_mailhdr_free(struct ink_mailhdr *h)
{
    if (h == NULL)
        return;
    ink_str_free(&h->buf);
    free(h->fields);
    free(h);
}

/* fail - enter the ERROR state with a reason */
static enum ink_mailhdr_state fail(struct ink_mailhdr *h, const char *why)
{
    h->state = INK_MAILHDR_ERROR;
    snprintf(h->why, sizeof(h->why), "%s", why);
    return h->state;
}

/* is_name_byte - printable US-ASCII except ':' (RFC 5322 ftext) */
static int is_name_byte(uint8_t c)
{
    return c >= 33 && c <= 126 && c != ':';
}

/* close_field - record the open field [field_start, end) */
static int close_field(struct ink_mailhdr *h, size_t end)
{
    struct ink_mailhdr_field *f;
    struct field_rec *rec;
    const uint8_t *p;
    size_t len = end - h->field_start, i = 0;

    if (!h->have_field)
        return 0;
    /* only now: with no field open the buffer may still be NULL */
    p = (const uint8_t *)h->buf.buf + h->field_start;
    h->have_field = 0;
    if (h->nfields >= INK_MAILHDR_FIELDS_MAX) {
        fail(h, "too many header fields");
        return -1;
    }
    if (h->nfields == h->capfields) {
        size_t ncap = h->capfields ? h->capfields * 2 : MAILHDR_FIELDS_INITIAL;
        struct field_rec *nf = realloc(h->fields, ncap * sizeof(*nf));
        if (nf == NULL) {
            fail(h, "out of memory");
            return -1;
        }
        h->fields = nf;
        h->capfields = ncap;
    }
    rec = &h->fields[h->nfields++];
    memset(rec, 0, sizeof(*rec));
    rec->off = h->field_start;
    f = &rec->pub;
    f->len = len;
    f->msg_off = (size_t)h->field_in_off;
    while (i < len && is_name_byte(p[i]))
        i++;
    f->name_len = i;
    while (i < len && (p[i] == ' ' || p[i] == '\t')) /* obs: WSP before the colon */
        i++;
    if (f->name_len == 0 || i >= len || p[i] != ':') {
        f->malformed = 1;
        f->name_len = 0;
        f->value_off = 0;
    } else {
        f->value_off = i + 1;
    }
    return 0;
}

/* line_done - the line [line_start, buf.len) is complete (ends in LF) */
static enum ink_mailhdr_state line_done(struct ink_mailhdr *h)
{
    const uint8_t *l = (const uint8_t *)h->buf.buf + h->line_start;
    size_t n = h->buf.len - h->line_start;

    if (n == 1 || (n == 2 && l[0] == '\r')) {
        /* the empty line: the header ends; it is not part of any field */
        if (close_field(h, h->line_start) < 0)
            return h->state;
        ink_str_truncate(&h->buf, h->line_start);
        h->state = INK_MAILHDR_DONE;
        return h->state;
    }
    if (l[0] == ' ' || l[0] == '\t') {
        if (!h->have_field) { /* continuation with nothing to continue */
            h->have_field = 1;
            h->field_start = h->line_start;
            h->field_in_off = h->line_in_off;
        }
    } else {
        if (close_field(h, h->line_start) < 0)
            return h->state;
        h->have_field = 1;
        h->field_start = h->line_start;
        h->field_in_off = h->line_in_off;
    }
    h->line_start = h->buf.len;
    h->line_in_off = h->consumed;
    return INK_MAILHDR_MORE;
}

/* append - add bytes to the buffer within the size limit */
static int append(struct ink_mailhdr *h, const void *p, size_t n)
{
    if (n > INK_MAILHDR_SIZE_MAX - h->buf.len || h->buf.len + n > INK_MAILHDR_SIZE_MAX) {
        /* the limit by its size: a reader cannot look up a C macro */
        h->state = INK_MAILHDR_ERROR;
        snprintf(h->why, sizeof(h->why), "header section larger than %u bytes (%u KiB)",
                 (unsigned)INK_MAILHDR_SIZE_MAX, (unsigned)(INK_MAILHDR_SIZE_MAX / 1024u));
        return -1;
    }
    if (ink_str_append(&h->buf, p, n) < 0) {
        fail(h, "out of memory");
        return -1;
    }
    return 0;
}

/* ink_mailhdr_push - feed bytes */
enum ink_mailhdr_state ink_mailhdr_push(struct ink_mailhdr *h, const uint8_t *buf, size_t len,
                                        size_t *used)
{
    size_t i = 0;

    *used = 0;
    if (h->state != INK_MAILHDR_MORE)
        return h->state;
    while (i < len) {
        const uint8_t *lf = memchr(buf + i, '\n', len - i);
        size_t run = lf ? (size_t)(lf - (buf + i)) : len - i;

        if (run > 0 && append(h, buf + i, run) < 0)
            return h->state;
        i += run;
        h->consumed += run;
        if (lf == NULL)
            break;
        /* the LF: normalise a bare one when asked */
        {
            int had_cr = h->buf.len > h->line_start && h->buf.buf[h->buf.len - 1] == '\r';
            if (h->saw_crlf < 0)
                h->saw_crlf = had_cr;
            if (!had_cr && (h->flags & INK_MAILHDR_LF_TO_CRLF)) {
                if (append(h, "\r\n", 2) < 0)
                    return h->state;
            } else if (append(h, "\n", 1) < 0) {
                return h->state;
            }
        }
        i++;
        h->consumed++;
        if (line_done(h) != INK_MAILHDR_MORE)
            break;
    }
    *used = i;
    return h->state;
}

/* ink_mailhdr_end - no more input */
enum ink_mailhdr_state ink_mailhdr_end(struct ink_mailhdr *h)
{
    if (h->state != INK_MAILHDR_MORE)
        return h->state;
    if (h->buf.len > h->line_start) {
        /* a last line without a line ending: close it with CRLF */
        if (append(h, "\r\n", 2) < 0)
            return h->state;
        if (line_done(h) != INK_MAILHDR_MORE)
            return h->state;
    }
    if (close_field(h, h->buf.len) < 0)
        return h->state;
    h->state = INK_MAILHDR_DONE;
    return h->state;
}

size_t ink_mailhdr_count(const struct ink_mailhdr *h)
{
    return h->nfields;
}

/* ink_mailhdr_field - field i with raw pointing into the buffer */
const struct ink_mailhdr_field *ink_mailhdr_field(const struct ink_mailhdr *h, size_t i)
{
    struct field_rec *rec;

    if (i >= h->nfields)
        return NULL;
    rec = &h->fields[i];
    rec->pub.raw = (const uint8_t *)h->buf.buf + rec->off;
    return &rec->pub;
}

const char *ink_mailhdr_why(const struct ink_mailhdr *h)
{
    return h->state == INK_MAILHDR_ERROR ? h->why : "";
}

uint64_t ink_mailhdr_consumed(const struct ink_mailhdr *h)
{
    return h->consumed;
}

int ink_mailhdr_saw_crlf(const struct ink_mailhdr *h)
{
    return h->saw_crlf;
}

/* ink_mailhdr_name_is - case-insensitive name comparison */
int ink_mailhdr_name_is(const struct ink_mailhdr_field *f, const char *name, size_t len)
{
    /* length and first letter first: most fields differ there */
    return f->name_len == len && len > 0 && ((f->raw[0] ^ (uint8_t)name[0]) & 0xdf) == 0 &&
           strncasecmp((const char *)f->raw, name, len) == 0;
}
