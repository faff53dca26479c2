/*
 * zonefile.c - RFC 1035 section 5 master-file parser (see
 * include/inkan/zonefile.h).  Sans-I/O: it reads a byte buffer (no NUL
 * needed, never past len) and fills a struct ink_memzone.
 *
 * Two stages.  The tokenizer cuts the input into logical lines (one
 * record or directive each: parentheses join physical lines, `;` starts
 * a comment) of tokens that still carry their escapes; it remembers
 * whether the line began with blank space (owner omitted).  The record
 * stage then reads owner, TTL, class and type, and decodes each RDATA
 * token in its context: a name (escaped dots are not separators, `@` is
 * the origin) or a character-string (`\DDD`, `\X`).
 *
 * The first error stops the parse: "FILE:LINE: what is wrong", quoting
 * the offending token made printable.
 */
#include "inkan/zonefile.h"
#include "dns_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bytes of an offending token quoted in a message. */
/* The UTF-8 byte-order mark, skipped at the start of a file. */
#define ZF_BOM "\xef\xbb\xbf"
#define ZF_BOM_LEN 3
#define ZF_SHOW_MAX 64
/* Notes (skipped records) written before "and N more". */
#define ZF_NOTES_MAX 20
/* Largest TTL (RFC 2181 section 8: 2^31 - 1). */
#define ZF_TTL_MAX 2147483647UL
/* Largest RDATA of one record on the wire (RDLENGTH is 16 bits). */
#define ZF_RDATA_MAX 65535
/* Tokens one logical line may hold (each takes at least one byte and a
 * separator, so the line-length limit bounds this too). */
#define ZF_TOKENS_MAX (INK_ZONEFILE_LINE_MAX / 2 + 1)
/* Initial token array size. */
#define ZF_TOKENS_INITIAL 16
/* Fields of SOA RDATA after the two names. */
#define ZF_SOA_NUMBERS 5
/* First size of the owner table (a power of two; doubled at half full). */
#define ZF_OWNERS_INITIAL 64
/* Types that may share a name with a CNAME (RFC 4035 section 2.5). */
#define ZF_TYPE_RRSIG 46
#define ZF_TYPE_NSEC 47

/* zf_show - append zone-file text (a token, a name) to a message as it
 * is written in a zone file: printable ASCII as is, backslash included
 * (it is the file's own escape, "a\\.b" must read as in the file), other
 * bytes as \DDD (RFC 1035 5.1), cut to ZF_SHOW_MAX bytes with "...". */
static int zf_show(struct ink_str *s, const void *p, size_t len)
{
    const unsigned char *b = p;
    size_t i, n = len < ZF_SHOW_MAX ? len : ZF_SHOW_MAX;

    for (i = 0; i < n; i++) {
        if (b[i] >= 0x20 && b[i] < 0x7f) {
            if (ink_str_putc(s, (char)b[i]) < 0)
                return -1;
        } else if (ink_str_printf(s, "\\%03u", (unsigned)b[i]) < 0) {
            return -1;
        }
    }
    return n < len ? ink_str_puts(s, "...") : 0;
}

/* One token of a logical line: a slice of the input, escapes undecoded. */
struct zf_tok {
    const uint8_t *p; /* first byte (inside the quotes when quoted) */
    size_t len;
    size_t line;      /* physical line the token is on */
    int quoted;
};

/* What the parser knows of one owner name, to enforce RFC 1034 3.6.2 /
 * RFC 2181 10.1: a CNAME is alone at its name. */
struct zf_owner {
    char *name;          /* NULL: free slot */
    size_t cname_line;   /* line of its CNAME, or 0 */
    size_t other_line;   /* line of its first other record, or 0 */
};

/* Parser state for one buffer. */
struct zf {
    const uint8_t *buf;
    size_t len, pos;
    size_t line;          /* current physical line (1-based) */
    const char *file;
    struct ink_memzone *z;
    struct ink_str *err;
    struct ink_str *notes; /* may be NULL */
    size_t nnotes;

    /* the logical line being read */
    struct zf_tok *tok;
    size_t ntok, captok;
    size_t lline;         /* line the logical line starts on */
    int owner_blank;      /* began with blank space: owner omitted */

    char origin[INK_DNS_NAME_MAX + 1];
    int have_origin;
    char owner[INK_DNS_NAME_MAX + 1];
    int have_owner;
    uint32_t dollar_ttl;  /* $TTL, when have_dollar_ttl */
    int have_dollar_ttl;
    uint32_t last_ttl;    /* last TTL written on a record (RFC 1035) */
    int have_last_ttl;
    long added;
    struct zf_owner *owners; /* open-addressing table of owner names */
    size_t nowners, capowners;
};

/* zf_error - start "FILE:LINE: " and append the formatted message */
static int zf_error(struct zf *zf, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int zf_error(struct zf *zf, size_t line, const char *fmt, ...)
{
    va_list ap;

    ink_str_printf(zf->err, "%s:%zu: ", zf->file, line);
    va_start(ap, fmt);
    ink_str_vprintf(zf->err, fmt, ap);
    va_end(ap);
    return -1;
}

/* zf_error_tok - "FILE:LINE: BEFORE'TOKEN'AFTER", the token made printable */
static int zf_error_tok(struct zf *zf, const struct zf_tok *t, const char *before,
                        const char *after)
{
    ink_str_printf(zf->err, "%s:%zu: %s'", zf->file, t->line, before);
    zf_show(zf->err, t->p, t->len);
    ink_str_printf(zf->err, "'%s", after);
    return -1;
}

/* ---- tokenizer ---- */

/* is_blank - space or tab (and a stray CR, as in CRLF files) */
static int is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* is_delim - a byte that ends an unquoted token */
static int is_delim(uint8_t c)
{
    return is_blank(c) || c == '\n' || c == ';' || c == '(' || c == ')' || c == '"';
}

/* tok_push - append a token to the logical line; 0 or -1 */
static int tok_push(struct zf *zf, const uint8_t *p, size_t len, size_t line, int quoted)
{
    if (zf->ntok == zf->captok) {
        size_t ncap = zf->captok ? zf->captok * 2 : ZF_TOKENS_INITIAL;
        struct zf_tok *nt;
        if (zf->ntok >= ZF_TOKENS_MAX)
            return zf_error(zf, line, "too many fields in one record (over %d)",
                            ZF_TOKENS_MAX);
        if (ncap > ZF_TOKENS_MAX)
            ncap = ZF_TOKENS_MAX;
        nt = realloc(zf->tok, ncap * sizeof(*nt));
        if (nt == NULL)
            return zf_error(zf, line, "out of memory");
        zf->tok = nt;
        zf->captok = ncap;
    }
    zf->tok[zf->ntok].p = p;
    zf->tok[zf->ntok].len = len;
    zf->tok[zf->ntok].line = line;
    zf->tok[zf->ntok].quoted = quoted;
    zf->ntok++;
    return 0;
}

/*
 * read_logical_line - cut the next logical line into zf->tok.  Returns 1
 * when a line with tokens was read, 0 at the end of input, -1 on error.
 * Blank and comment-only lines are skipped.
 */
static int read_logical_line(struct zf *zf)
{
    const uint8_t *b = zf->buf;
    size_t n = zf->len;
    size_t paren_line = 0, start;
    int paren = 0, at_bol = 1;

    zf->ntok = 0;
    zf->owner_blank = 0;
    start = zf->pos;
    zf->lline = zf->line;
    while (zf->pos < n) {
        uint8_t c = b[zf->pos];

        if (zf->pos - start > INK_ZONEFILE_LINE_MAX)
            return zf_error(zf, zf->lline, "record longer than %d bytes",
                            INK_ZONEFILE_LINE_MAX);
        if (at_bol && !paren && zf->ntok == 0) {
            /* a new physical line that may start a record */
            zf->lline = zf->line;
            zf->owner_blank = is_blank(c);
            start = zf->pos;
        }
        at_bol = 0;
        if (is_blank(c)) {
            zf->pos++;
        } else if (c == ';') {
            while (zf->pos < n && b[zf->pos] != '\n')
                zf->pos++;
        } else if (c == '\n') {
            zf->pos++;
            zf->line++;
            at_bol = 1;
            if (!paren && zf->ntok > 0)
                return 1;
        } else if (c == '(') {
            if (paren)
                return zf_error(zf, zf->line, "nested '(' (the one at line %zu is still open)",
                                paren_line);
            paren = 1;
            paren_line = zf->line;
            zf->pos++;
        } else if (c == ')') {
            if (!paren)
                return zf_error(zf, zf->line, "')' without a matching '('");
            paren = 0;
            zf->pos++;
        } else if (c == '"') {
            size_t s = ++zf->pos;
            while (zf->pos < n && b[zf->pos] != '"' && b[zf->pos] != '\n') {
                if (b[zf->pos] == '\\' && zf->pos + 1 < n && b[zf->pos + 1] != '\n')
                    zf->pos++;
                zf->pos++;
            }
            if (zf->pos >= n)
                return zf_error(zf, zf->line, "quoted string not closed at end of file");
            if (b[zf->pos] == '\n')
                return zf_error(zf, zf->line, "quoted string not closed at end of line");
            if (tok_push(zf, b + s, zf->pos - s, zf->line, 1) < 0)
                return -1;
            zf->pos++; /* closing quote */
        } else {
            size_t s = zf->pos;
            while (zf->pos < n && !is_delim(b[zf->pos])) {
                if (b[zf->pos] == '\\') {
                    if (zf->pos + 1 >= n || b[zf->pos + 1] == '\n') {
                        zf->pos++;
                        return zf_error(zf, zf->line, "'\\' at the end of a line");
                    }
                    zf->pos++;
                }
                zf->pos++;
            }
            if (tok_push(zf, b + s, zf->pos - s, zf->line, 0) < 0)
                return -1;
        }
    }
    if (paren)
        return zf_error(zf, zf->line, "'(' opened at line %zu is not closed at end of file",
                        paren_line);
    return zf->ntok > 0 ? 1 : 0;
}

/* ---- token decoding ---- */

/*
 * escape_at - decode the escape starting at p[i] == '\\' within len bytes.
 * Stores the byte in *out and returns the escape's length (2 or 4), or 0
 * for a bad escape (\DDD over 255, \D not followed by three digits).
 */
static size_t escape_at(const uint8_t *p, size_t len, size_t i, uint8_t *out)
{
    if (i + 1 >= len)
        return 0;
    if (p[i + 1] >= '0' && p[i + 1] <= '9') {
        unsigned v;
        if (i + 3 >= len || p[i + 2] < '0' || p[i + 2] > '9' || p[i + 3] < '0' ||
            p[i + 3] > '9')
            return 0;
        v = (unsigned)(p[i + 1] - '0') * 100 + (unsigned)(p[i + 2] - '0') * 10 +
            (unsigned)(p[i + 3] - '0');
        if (v > 255)
            return 0;
        *out = (uint8_t)v;
        return 4;
    }
    *out = p[i + 1];
    return 2;
}

/*
 * decode_name - turn a name token into the model's presentation form in
 * out (lower-case, no trailing dot, "" for the root), applying the
 * origin to relative names.  what names the field in messages.
 */
static int decode_name(struct zf *zf, const struct zf_tok *t, const char *what,
                       char out[INK_DNS_NAME_MAX + 1])
{
    char tmp[INK_DNS_NAME_MAX + 2];
    size_t i = 0, o = 0, label = 0;
    int absolute = 0;

    if (t->quoted)
        return zf_error_tok(zf, t, "", " is a quoted string where a name was expected");
    if (t->len == 1 && t->p[0] == '@') {
        if (!zf->have_origin)
            return zf_error(zf, t->line, "'@' used but no $ORIGIN is set (use $ORIGIN or --origin)");
        memcpy(out, zf->origin, strlen(zf->origin) + 1);
        return 0;
    }
    if (t->len == 1 && t->p[0] == '.') {
        out[0] = '\0';
        return 0;
    }
    while (i < t->len) {
        uint8_t c = t->p[i];
        if (c == '.') {
            if (label == 0)
                return zf_error_tok(zf, t, what, " has an empty label");
            label = 0;
            i++;
            if (i == t->len) {
                absolute = 1;
                break;
            }
            tmp[o++] = '.';
            continue;
        }
        if (c == '\\') {
            size_t el = escape_at(t->p, t->len, i, &c);
            if (el == 0)
                return zf_error_tok(zf, t, what, " has a bad '\\' escape (\\DDD is 000 to 255)");
            if (c == '.')
                return zf_error_tok(zf, t, what,
                                    " has an escaped dot inside a label, which inkan cannot "
                                    "represent");
            i += el;
        } else {
            i++;
        }
        if (c == '\0')
            return zf_error_tok(zf, t, what, " has a NUL byte");
        if (++label > INK_DNS_LABEL_MAX)
            return zf_error_tok(zf, t, what, " has a label over 63 bytes");
        if (o >= INK_DNS_NAME_MAX)
            return zf_error_tok(zf, t, what, " is longer than 253 bytes");
        tmp[o++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    if (!absolute) {
        size_t ol;
        if (!zf->have_origin)
            return zf_error_tok(zf, t, what,
                                " is relative but no $ORIGIN is set (end it with '.' or use "
                                "$ORIGIN or --origin)");
        ol = strlen(zf->origin);
        if (ol > 0) {
            if (o + 1 + ol > INK_DNS_NAME_MAX)
                return zf_error_tok(zf, t, what, " is longer than 253 bytes with the origin");
            tmp[o++] = '.';
            memcpy(tmp + o, zf->origin, ol);
            o += ol;
        }
    }
    memcpy(out, tmp, o);
    out[o] = '\0';
    return 0;
}

/* decode_string - a character-string token's bytes appended to out; -1 with
 * an error on a bad escape */
static int decode_string(struct zf *zf, const struct zf_tok *t, struct ink_str *out,
                         size_t *declen)
{
    size_t i = 0, before = out->len;

    while (i < t->len) {
        uint8_t c = t->p[i];
        if (c == '\\') {
            size_t el = escape_at(t->p, t->len, i, &c);
            if (el == 0)
                return zf_error_tok(zf, t, "string ", " has a bad '\\' escape (\\DDD is 000 to 255)");
            i += el;
        } else {
            i++;
        }
        if (ink_str_putc(out, c) < 0)
            return zf_error(zf, t->line, "out of memory");
    }
    *declen = out->len - before;
    return 0;
}

/* parse_u32 - decimal digits only into *v, at most max; 0 or -1 */
static int parse_u32(const struct zf_tok *t, unsigned long max, uint32_t *v)
{
    unsigned long acc = 0;
    size_t i;

    if (t->quoted || t->len == 0)
        return -1;
    for (i = 0; i < t->len; i++) {
        if (t->p[i] < '0' || t->p[i] > '9')
            return -1;
        acc = acc * 10 + (unsigned long)(t->p[i] - '0');
        if (acc > max)
            return -1;
    }
    *v = (uint32_t)acc;
    return 0;
}

/*
 * parse_ttl - a TTL: decimal seconds, or BIND-style units ("1h30m", "2d",
 * s m h d w, any case).  0 on success, -1 when it is not a TTL at all.
 * Values over ZF_TTL_MAX give -2.
 */
static int parse_ttl(const struct zf_tok *t, uint32_t *ttl)
{
    unsigned long total = 0, acc = 0;
    size_t i;
    int digits = 0;

    if (t->quoted || t->len == 0 || t->p[0] < '0' || t->p[0] > '9')
        return -1;
    for (i = 0; i < t->len; i++) {
        uint8_t c = t->p[i];
        unsigned long mul;
        if (c >= '0' && c <= '9') {
            acc = acc * 10 + (unsigned long)(c - '0');
            if (acc > ZF_TTL_MAX)
                return -2;
            digits = 1;
            continue;
        }
        switch (c | 0x20) {
        case 's': mul = 1; break;
        case 'm': mul = 60; break;
        case 'h': mul = 3600; break;
        case 'd': mul = 86400; break;
        case 'w': mul = 604800; break;
        default: return -1;
        }
        if (!digits)
            return -1;
        if (acc > ZF_TTL_MAX / mul)
            return -2;
        total += acc * mul;
        if (total > ZF_TTL_MAX)
            return -2;
        acc = 0;
        digits = 0;
    }
    total += acc;
    if (total > ZF_TTL_MAX)
        return -2;
    *ttl = (uint32_t)total;
    return 0;
}

/* tok_is - the token is (case-insensitively) word, unquoted */
static int tok_is(const struct zf_tok *t, const char *word)
{
    size_t wl = strlen(word);

    return !t->quoted && t->len == wl && strncasecmp((const char *)t->p, word, wl) == 0;
}

/* Record types inkan does not model: recognised so that they are skipped
 * with a note rather than rejected as unknown words. */
static const char *const skipped_types[] = {
    "AFSDB", "APL", "CAA", "CDNSKEY", "CDS", "CERT", "CSYNC", "DHCID", "DLV", "DNAME",
    "DNSKEY", "DS", "EUI48", "EUI64", "HINFO", "HIP", "HTTPS", "IPSECKEY", "KEY", "KX",
    "L32", "L64", "LOC", "LP", "MB", "MD", "MF", "MG", "MINFO", "MR", "NAPTR", "NID",
    "NSAP", "NSEC", "NSEC3", "NSEC3PARAM", "NULL", "NXT", "OPENPGPKEY", "PX", "RP",
    "RRSIG", "RT", "SIG", "SMIMEA", "SRV", "SSHFP", "SVCB", "TLSA", "URI", "WKS", "X25",
    "ZONEMD",
};

/*
 * type_of - the record type a token names: 1..65535 for inkan's types,
 * TYPEnnn (RFC 3597) numbers, or a recognised unmodelled mnemonic (*skip
 * set).  0 if the token is no type.
 */
static uint32_t type_of(const struct zf_tok *t, int *skip)
{
    uint32_t v;
    size_t i;

    *skip = 0;
    if (t->quoted || t->len == 0)
        return 0;
    v = ink_dns_type_from_name((const char *)t->p, t->len);
    if (v != 0)
        return v;
    if (t->len > 4 && strncasecmp((const char *)t->p, "TYPE", 4) == 0) {
        struct zf_tok num = {t->p + 4, t->len - 4, t->line, 0};
        if (parse_u32(&num, 65535, &v) == 0 && v > 0) {
            *skip = strcmp(ink_dns_type_name((uint16_t)v), "UNKNOWN") == 0;
            return v;
        }
        return 0;
    }
    for (i = 0; i < sizeof(skipped_types) / sizeof(skipped_types[0]); i++)
        if (tok_is(t, skipped_types[i])) {
            *skip = 1;
            return 65536; /* any non-zero marker: the number is not needed */
        }
    return 0;
}

/* class_of - 1 for IN/CLASS1, 2 for another class word, 0 if not a class */
static int class_of(const struct zf_tok *t)
{
    if (tok_is(t, "IN") || tok_is(t, "CLASS1"))
        return 1;
    if (tok_is(t, "CH") || tok_is(t, "HS") || tok_is(t, "CS") || tok_is(t, "NONE") ||
        tok_is(t, "ANY"))
        return 2;
    if (!t->quoted && t->len > 5 && strncasecmp((const char *)t->p, "CLASS", 5) == 0)
        return 2;
    return 0;
}

/* add_note - one "FILE:LINE: text" line into notes, capped */
static void add_note(struct zf *zf, const struct zf_tok *t, const char *what)
{
    if (zf->notes == NULL)
        return;
    zf->nnotes++;
    if (zf->nnotes <= ZF_NOTES_MAX) {
        ink_str_printf(zf->notes, "%s:%zu: skipped ", zf->file, t->line);
        zf_show(zf->notes, t->p, t->len);
        ink_str_printf(zf->notes, " record (%s)\n", what);
    }
}

/* ---- records ---- */

/* need - the record has at least n RDATA tokens from index i */
static int need(struct zf *zf, size_t i, size_t n, const struct zf_tok *type_tok,
                const char *what)
{
    if (zf->ntok - i >= n)
        return 0;
    ink_str_printf(zf->err, "%s:%zu: ", zf->file,
                   zf->ntok > 0 ? zf->tok[zf->ntok - 1].line : type_tok->line);
    zf_show(zf->err, type_tok->p, type_tok->len);
    ink_str_printf(zf->err, " record needs %s", what);
    return -1;
}

/* no_more - no token after index i */
static int no_more(struct zf *zf, size_t i, const struct zf_tok *type_tok)
{
    if (i >= zf->ntok)
        return 0;
    ink_str_printf(zf->err, "%s:%zu: unexpected '", zf->file, zf->tok[i].line);
    zf_show(zf->err, zf->tok[i].p, zf->tok[i].len);
    ink_str_puts(zf->err, "' after the data of the ");
    zf_show(zf->err, type_tok->p, type_tok->len);
    ink_str_puts(zf->err, " record");
    return -1;
}

/* owner_hash - FNV-1a of a name */
static size_t owner_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    while (*s != '\0') {
        h ^= (unsigned char)*s++;
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

/* owner_slot - the table slot of name (found or free); table not full */
static struct zf_owner *owner_slot(struct zf_owner *tab, size_t cap, const char *name)
{
    size_t i = owner_hash(name) & (cap - 1);

    while (tab[i].name != NULL && strcmp(tab[i].name, name) != 0)
        i = (i + 1) & (cap - 1);
    return &tab[i];
}

/* owner_grow - double the owner table; 0 or -1 on ENOMEM */
static int owner_grow(struct zf *zf)
{
    size_t ncap = zf->capowners ? zf->capowners * 2 : ZF_OWNERS_INITIAL, i;
    struct zf_owner *nt;

    if (ncap < zf->capowners || ncap > SIZE_MAX / sizeof(*nt))
        return -1;
    nt = calloc(ncap, sizeof(*nt));
    if (nt == NULL)
        return -1;
    for (i = 0; i < zf->capowners; i++)
        if (zf->owners[i].name != NULL)
            *owner_slot(nt, ncap, zf->owners[i].name) = zf->owners[i];
    free(zf->owners);
    zf->owners = nt;
    zf->capowners = ncap;
    return 0;
}

/* owner_error - "FILE:LINE: 'NAME' what (line N)..." */
static int owner_error(struct zf *zf, size_t line, const char *name, const char *what,
                       size_t other)
{
    ink_str_printf(zf->err, "%s:%zu: '", zf->file, line);
    zf_show(zf->err, name, strlen(name));
    ink_str_printf(zf->err, "' %s (line %zu): a CNAME must be alone at its name", what, other);
    return -1;
}

/* note_owner - record that the current owner gets a record (a CNAME when
 * cname, one that may sit beside a CNAME when cname_ok) and refuse a
 * CNAME sharing its name */
static int note_owner(struct zf *zf, int cname, int cname_ok, size_t line)
{
    struct zf_owner *o;

    if (2 * (zf->nowners + 1) > zf->capowners && owner_grow(zf) < 0)
        return zf_error(zf, line, "out of memory");
    o = owner_slot(zf->owners, zf->capowners, zf->owner);
    if (o->name == NULL) {
        o->name = strdup(zf->owner);
        if (o->name == NULL)
            return zf_error(zf, line, "out of memory");
        zf->nowners++;
    }
    if (cname) {
        if (o->cname_line != 0)
            return owner_error(zf, line, o->name, "already has a CNAME", o->cname_line);
        if (o->other_line != 0)
            return owner_error(zf, line, o->name, "gets a CNAME but has other records",
                               o->other_line);
        o->cname_line = line;
    } else if (!cname_ok) {
        if (o->cname_line != 0)
            return owner_error(zf, line, o->name, "has a CNAME", o->cname_line);
        if (o->other_line == 0)
            o->other_line = line;
    }
    return 0;
}

/* store - add rr to the zone */
static int store(struct zf *zf, struct ink_dns_rr *rr, size_t line)
{
    int rc;

    if (ink_memzone_count(zf->z) >= INK_MEMZONE_RR_MAX)
        return zf_error(zf, line, "too many records (over %d)", INK_MEMZONE_RR_MAX);
    if (note_owner(zf, rr->type == INK_DNS_CNAME, 0, line) < 0)
        return -1;
    rc = ink_memzone_add(zf->z, rr);
    if (rc == INK_MEMZONE_TOO_MANY)
        return zf_error(zf, line, "more than %d %s records at %s (more than one answer can hold)",
                        INK_MEMZONE_TYPE_RR_MAX, ink_dns_type_name(rr->type), rr->owner);
    if (rc < 0)
        return zf_error(zf, line, "cannot store record (out of memory)");
    zf->added++;
    return 0;
}

/* rdata_txt - the character-strings from token i on, as one TXT/SPF record */
static int rdata_txt(struct zf *zf, size_t i, struct ink_dns_rr *rr,
                     const struct zf_tok *type_tok)
{
    struct ink_str data = INK_STR_INIT;
    size_t n = zf->ntok - i, k, wire = 0, off = 0;
    size_t *lens = NULL;
    uint8_t **strs = NULL;
    int rc = -1;

    if (need(zf, i, 1, type_tok, "at least one string") < 0)
        return -1;
    if (n > INK_DNS_ANSWER_RR_MAX)
        return zf_error(zf, zf->tok[i + INK_DNS_ANSWER_RR_MAX].line,
                        "record has more than %d strings", INK_DNS_ANSWER_RR_MAX);
    lens = calloc(n, sizeof(*lens));
    strs = calloc(n, sizeof(*strs));
    if (lens == NULL || strs == NULL) {
        zf_error(zf, type_tok->line, "out of memory");
        goto out;
    }
    for (k = 0; k < n; k++) {
        const struct zf_tok *t = &zf->tok[i + k];
        if (decode_string(zf, t, &data, &lens[k]) < 0)
            goto out;
        if (lens[k] > INK_DNS_TXT_STRING_MAX) {
            ink_str_printf(zf->err, "%s:%zu: string of %zu bytes is over %d: '", zf->file,
                           t->line, lens[k], INK_DNS_TXT_STRING_MAX);
            zf_show(zf->err, t->p, t->len);
            ink_str_puts(zf->err, "' (split it into several quoted strings)");
            goto out;
        }
        wire += 1 + lens[k];
        if (wire > ZF_RDATA_MAX) {
            zf_error(zf, t->line, "record data over %d bytes", ZF_RDATA_MAX);
            goto out;
        }
    }
    /* the strings now sit back to back in data; point into it */
    for (k = 0; k < n; k++) {
        strs[k] = (uint8_t *)(data.len ? data.buf + off : "");
        off += lens[k];
    }
    rr->ntxt = n;
    rr->txt = strs;
    rr->txtlen = lens;
    rc = store(zf, rr, type_tok->line);
    rr->ntxt = 0;
    rr->txt = NULL;
    rr->txtlen = NULL;
out:
    free(lens);
    free(strs);
    ink_str_free(&data);
    return rc;
}

/* rdata_soa - mname rname serial refresh retry expire minimum */
static int rdata_soa(struct zf *zf, size_t i, struct ink_dns_rr *rr,
                     const struct zf_tok *type_tok)
{
    static const char *const field[ZF_SOA_NUMBERS] = {"serial", "refresh", "retry",
                                                      "expire", "minimum"};
    char mname[INK_DNS_NAME_MAX + 1], rname[INK_DNS_NAME_MAX + 1];
    size_t k;

    if (need(zf, i, 2 + ZF_SOA_NUMBERS, type_tok,
             "7 fields: mname rname serial refresh retry expire minimum") < 0)
        return -1;
    if (decode_name(zf, &zf->tok[i], "SOA mname ", mname) < 0 ||
        decode_name(zf, &zf->tok[i + 1], "SOA rname ", rname) < 0)
        return -1;
    for (k = 0; k < ZF_SOA_NUMBERS; k++) {
        const struct zf_tok *t = &zf->tok[i + 2 + k];
        uint32_t v;
        int bad = k == 0 ? parse_u32(t, UINT32_MAX, &v) : parse_ttl(t, &v);
        if (bad < 0) {
            ink_str_printf(zf->err, "%s:%zu: SOA %s '", zf->file, t->line, field[k]);
            zf_show(zf->err, t->p, t->len);
            ink_str_puts(zf->err, "' is not a number in range");
            return -1;
        }
    }
    if (no_more(zf, i + 2 + ZF_SOA_NUMBERS, type_tok) < 0)
        return -1;
    rr->name = mname;
    return store(zf, rr, type_tok->line);
}

/* add_record - the RDATA from token i on, for a type inkan models */
static int add_record(struct zf *zf, size_t i, uint16_t type, uint32_t ttl,
                      const struct zf_tok *type_tok)
{
    char target[INK_DNS_NAME_MAX + 1];
    struct ink_dns_rr rr;
    uint32_t pref;
    int fam;

    memset(&rr, 0, sizeof(rr));
    rr.type = type;
    rr.ttl = ttl;
    rr.owner = zf->owner;
    switch (type) {
    case INK_DNS_A:
    case INK_DNS_AAAA:
        if (need(zf, i, 1, type_tok, "an address") < 0)
            return -1;
        if (zf->tok[i].quoted ||
            ink_ip_parse((const char *)zf->tok[i].p, zf->tok[i].len, &fam, rr.addr) < 0 ||
            fam != (type == INK_DNS_A ? 4 : 6))
            return zf_error_tok(zf, &zf->tok[i], "",
                                type == INK_DNS_A ? " is not an IPv4 address"
                                                  : " is not an IPv6 address");
        if (no_more(zf, i + 1, type_tok) < 0)
            return -1;
        return store(zf, &rr, type_tok->line);
    case INK_DNS_NS:
    case INK_DNS_CNAME:
    case INK_DNS_PTR:
        if (need(zf, i, 1, type_tok, "a target name") < 0)
            return -1;
        if (decode_name(zf, &zf->tok[i], "target ", target) < 0)
            return -1;
        if (no_more(zf, i + 1, type_tok) < 0)
            return -1;
        rr.name = target;
        return store(zf, &rr, type_tok->line);
    case INK_DNS_MX:
        if (need(zf, i, 2, type_tok, "a preference and an exchange name") < 0)
            return -1;
        if (parse_u32(&zf->tok[i], 65535, &pref) < 0)
            return zf_error_tok(zf, &zf->tok[i], "MX preference ",
                                " is not a number from 0 to 65535");
        if (decode_name(zf, &zf->tok[i + 1], "MX exchange ", target) < 0)
            return -1;
        if (no_more(zf, i + 2, type_tok) < 0)
            return -1;
        rr.pref = (uint16_t)pref;
        rr.name = target;
        return store(zf, &rr, type_tok->line);
    case INK_DNS_TXT:
    case INK_DNS_SPF:
        return rdata_txt(zf, i, &rr, type_tok);
    case INK_DNS_SOA:
        return rdata_soa(zf, i, &rr, type_tok);
    default:
        break;
    }
    return zf_error_tok(zf, type_tok, "record type ", " is not handled"); /* not reached */
}

/* directive - $ORIGIN, $TTL; $INCLUDE and others refused */
static int directive(struct zf *zf)
{
    const struct zf_tok *d = &zf->tok[0];
    char name[INK_DNS_NAME_MAX + 1];
    uint32_t ttl;
    int rc;

    if (tok_is(d, "$ORIGIN")) {
        if (zf->ntok != 2)
            return zf_error(zf, d->line, "$ORIGIN needs exactly one name");
        if (zf->tok[1].len == 1 && zf->tok[1].p[0] == '@')
            return zf_error(zf, d->line, "$ORIGIN cannot be '@'");
        if (decode_name(zf, &zf->tok[1], "$ORIGIN ", name) < 0)
            return -1;
        memcpy(zf->origin, name, strlen(name) + 1);
        zf->have_origin = 1;
        return 0;
    }
    if (tok_is(d, "$TTL")) {
        if (zf->ntok != 2)
            return zf_error(zf, d->line, "$TTL needs exactly one value");
        rc = parse_ttl(&zf->tok[1], &ttl);
        if (rc < 0)
            return zf_error_tok(zf, &zf->tok[1], "$TTL ",
                                rc == -2 ? " is over 2147483647 seconds" : " is not a TTL");
        zf->dollar_ttl = ttl;
        zf->have_dollar_ttl = 1;
        return 0;
    }
    if (tok_is(d, "$INCLUDE"))
        return zf_error(zf, d->line, "$INCLUDE is not supported (merge the files instead)");
    return zf_error_tok(zf, d, "unknown directive ", "");
}

/* record - one logical line that is not a directive */
static int record(struct zf *zf)
{
    const struct zf_tok *type_tok = NULL;
    size_t i = 0;
    uint32_t ttl = 0, type = 0;
    int have_ttl = 0, have_class = 0, skip = 0, rc;

    if (!zf->owner_blank) {
        char owner[INK_DNS_NAME_MAX + 1];
        if (decode_name(zf, &zf->tok[0], "owner name ", owner) < 0)
            return -1;
        memcpy(zf->owner, owner, strlen(owner) + 1);
        zf->have_owner = 1;
        i = 1;
    } else if (!zf->have_owner) {
        return zf_error(zf, zf->tok[0].line,
                        "record without an owner name and no previous owner to repeat");
    }
    /* [TTL] [class] type, TTL and class in either order */
    for (; i < zf->ntok; i++) {
        const struct zf_tok *t = &zf->tok[i];
        if (!have_ttl && (rc = parse_ttl(t, &ttl)) != -1) {
            if (rc == -2)
                return zf_error_tok(zf, t, "TTL ", " is over 2147483647 seconds");
            have_ttl = 1;
            continue;
        }
        if (!have_class && (rc = class_of(t)) != 0) {
            if (rc != 1)
                return zf_error_tok(zf, t, "class ", " is not supported (only IN)");
            have_class = 1;
            continue;
        }
        type = type_of(t, &skip);
        if (type == 0)
            return zf_error_tok(zf, t, "unknown record type ", "");
        type_tok = t;
        i++;
        break;
    }
    if (type_tok == NULL)
        return zf_error(zf, zf->tok[zf->ntok - 1].line, "record has no type");
    if (have_ttl) {
        zf->last_ttl = ttl;
        zf->have_last_ttl = 1;
    } else if (zf->have_dollar_ttl) {
        ttl = zf->dollar_ttl;
    } else if (zf->have_last_ttl) {
        ttl = zf->last_ttl;
    } else {
        ttl = INK_ZONEFILE_TTL_DEFAULT;
    }
    if (skip) {
        /* the name exists all the same: queries for it get NODATA */
        int beside_cname = tok_is(type_tok, "RRSIG") || tok_is(type_tok, "NSEC") ||
                           type == ZF_TYPE_RRSIG || type == ZF_TYPE_NSEC;
        if (note_owner(zf, 0, beside_cname, type_tok->line) < 0)
            return -1;
        if (ink_memzone_touch(zf->z, zf->owner) < 0)
            return zf_error(zf, type_tok->line, "out of memory");
        add_note(zf, type_tok, "type not used by inkan");
        return 0;
    }
    if (i < zf->ntok && tok_is(&zf->tok[i], "\\#"))
        return zf_error_tok(zf, type_tok, "generic (RFC 3597) data for ",
                            " is not supported; write it in the type's own format");
    return add_record(zf, i, (uint16_t)type, ttl, type_tok);
}

/* ink_zonefile_parse_notes - parse, noting skipped records */
long ink_zonefile_parse_notes(const uint8_t *buf, size_t len, const char *filename,
                              const char *origin, struct ink_memzone *z, struct ink_str *err,
                              struct ink_str *notes)
{
    struct zf zf;
    long rc = 0;
    size_t i;
    int r;

    memset(&zf, 0, sizeof(zf));
    zf.buf = buf;
    zf.len = buf != NULL ? len : 0;
    /* a UTF-8 byte-order mark (editors on some systems write one) is no
     * part of the first owner name */
    if (zf.len >= ZF_BOM_LEN && memcmp(buf, ZF_BOM, ZF_BOM_LEN) == 0) {
        zf.buf += ZF_BOM_LEN;
        zf.len -= ZF_BOM_LEN;
    }
    zf.line = 1;
    zf.file = filename != NULL ? filename : "(zone)";
    zf.z = z;
    zf.err = err;
    zf.notes = notes;
    if (origin != NULL) {
        /* The starting origin is absolute whether or not it ends in '.':
         * read it relative to the root. */
        struct zf_tok t = {(const uint8_t *)origin, strlen(origin), 0, 0};
        size_t mark = err->len;
        zf.have_origin = 1;
        zf.origin[0] = '\0';
        if (t.len == 0 || (t.len == 1 && origin[0] == '@') ||
            decode_name(&zf, &t, "origin ", zf.origin) < 0) {
            ink_str_truncate(err, mark); /* say it is the option, not a line */
            ink_str_printf(err, "%s: origin '", zf.file);
            zf_show(err, origin, strlen(origin));
            ink_str_puts(err, "' is not a valid domain name");
            return -1;
        }
    }
    while ((r = read_logical_line(&zf)) > 0) {
        if (!zf.owner_blank && !zf.tok[0].quoted && zf.tok[0].len > 0 && zf.tok[0].p[0] == '$')
            r = directive(&zf);
        else
            r = record(&zf);
        if (r < 0)
            break;
    }
    if (r < 0)
        rc = -1;
    else
        rc = zf.added;
    if (notes != NULL && zf.nnotes > ZF_NOTES_MAX)
        ink_str_printf(notes, "%s: and %zu more skipped records\n", zf.file,
                       zf.nnotes - ZF_NOTES_MAX);
    free(zf.tok);
    for (i = 0; i < zf.capowners; i++)
        free(zf.owners[i].name);
    free(zf.owners);
    return rc;
}

/* ink_zonefile_parse - parse buf/len into z */
long ink_zonefile_parse(const uint8_t *buf, size_t len, const char *filename,
                        const char *origin, struct ink_memzone *z, struct ink_str *err)
{
    return ink_zonefile_parse_notes(buf, len, filename, origin, z, err, NULL);
}

/* owner_dot - "." when owner still needs its final dot, else "" */
static const char *owner_dot(const char *owner)
{
    size_t n = strlen(owner);

    return n > 0 && owner[n - 1] == '.' ? "" : ".";
}

/* txt_string_end - where the character-string starting at start ends:
 * INK_DNS_TXT_STRING_MAX bytes on, or (split_at_space) just after the
 * last space that fits, so the joined text is unchanged */
static size_t txt_string_end(const uint8_t *text, size_t len, size_t start, int split_at_space)
{
    size_t cut;

    if (len - start <= INK_DNS_TXT_STRING_MAX)
        return len;
    if (!split_at_space)
        return start + INK_DNS_TXT_STRING_MAX;
    for (cut = INK_DNS_TXT_STRING_MAX; cut > 0 && text[start + cut - 1] != ' '; cut--)
        ;
    return start + (cut > 0 ? cut : INK_DNS_TXT_STRING_MAX);
}

/* ink_zone_txt_line_flags - OWNER. [TTL] IN TXT "..." "..." (no newline) */
int ink_zone_txt_line_flags(struct ink_str *out, const char *owner, uint32_t ttl,
                            const uint8_t *text, size_t len, unsigned flags)
{
    size_t i, start = 0;
    int rc;

    if (owner == NULL || owner[0] == '\0')
        rc = ink_str_puts(out, "@");
    else
        rc = ink_str_printf(out, "%s%s", owner, owner_dot(owner));
    if (flags & INK_ZONE_NO_TTL)
        rc |= ink_str_puts(out, " IN TXT");
    else
        rc |= ink_str_printf(out, " %u IN TXT", ttl);
    do {
        size_t end = txt_string_end(text, len, start, (flags & INK_ZONE_SPLIT_AT_SPACE) != 0);

        rc |= ink_str_puts(out, " \"");
        for (i = start; i < end; i++) {
            uint8_t c = text[i];

            if (c == '"' || c == '\\')
                rc |= ink_str_printf(out, "\\%c", c);
            else if (c < 0x20 || c > 0x7e)
                rc |= ink_str_printf(out, "\\%03u", c);
            else
                rc |= ink_str_putc(out, (char)c);
        }
        rc |= ink_str_putc(out, '"');
        start = end;
    } while (start < len);
    return rc < 0 ? -1 : 0;
}

/* ink_zone_txt_line - OWNER. TTL IN TXT "..." "..." (no newline) */
int ink_zone_txt_line(struct ink_str *out, const char *owner, uint32_t ttl, const uint8_t *text,
                      size_t len)
{
    return ink_zone_txt_line_flags(out, owner, ttl, text, len, 0);
}

/* ink_zone_rr_line - OWNER. TTL IN TYPE DATA for a non-TXT record */
int ink_zone_rr_line(struct ink_str *out, const char *owner, uint32_t ttl, uint16_t type,
                     const char *data, size_t len)
{
    int rc = ink_str_printf(out, "%s%s %u IN %s ", owner, owner_dot(owner), ttl,
                            ink_dns_type_name(type));

    rc |= ink_str_append(out, data, len);
    return rc < 0 ? -1 : 0;
}
