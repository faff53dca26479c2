/*
 * inkan/zonefile.h - RFC 1035 master-file (zone file) parser.
 *
 * Reads bytes (no NUL needed), fills a struct ink_memzone.  Understands
 * $ORIGIN, $TTL, $INCLUDE is refused (the core does no I/O), relative
 * names, "@", parentheses, comments, \DDD and \X escapes in names and
 * strings, multi-string TXT, and the record types of inkan/dns.h; other
 * types are skipped with a note.  Errors read "FILE:LINE: what is wrong".
 */
#ifndef INKAN_ZONEFILE_H
#define INKAN_ZONEFILE_H

#include "inkan/memzone.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Default TTL when neither $TTL nor an explicit TTL is given. */
#define INK_ZONEFILE_TTL_DEFAULT 3600
/* Longest logical line (after joining parentheses) accepted: room for a
 * full 65535-byte TXT RDATA written with \DDD escapes, with room to spare. */
#define INK_ZONEFILE_LINE_MAX 524288
/* Largest zone file the zone-file backend reads. */
#define INK_ZONEFILE_FILE_MAX ((size_t)256 << 20)

/*
 * ink_zonefile_parse - parse buf/len into z.  filename is used only in
 * messages; origin (may be NULL) is the starting $ORIGIN.  Returns the
 * number of records added, or -1 with "FILE:LINE: reason" in err.
 */
long ink_zonefile_parse(const uint8_t *buf, size_t len, const char *filename,
                        const char *origin, struct ink_memzone *z, struct ink_str *err);

/*
 * ink_zonefile_parse_notes - as ink_zonefile_parse, and appends to notes
 * (may be NULL) one line "FILE:LINE: skipped TYPE record (...)" per
 * record of a type inkan does not model (CAA, DS, SRV, TYPE65, ...), the
 * first few of them and then a count.  Such records are not errors.
 */
long ink_zonefile_parse_notes(const uint8_t *buf, size_t len, const char *filename,
                              const char *origin, struct ink_memzone *z, struct ink_str *err,
                              struct ink_str *notes);

/*
 * ink_zone_txt_line - append one RFC 1035 zone-file line publishing text
 * (len bytes, no NUL needed) as one TXT record at owner:
 *   OWNER. TTL IN TXT "first 255 bytes" "next 255 bytes" ...
 * The text is cut into character-strings of at most
 * INK_DNS_TXT_STRING_MAX bytes; '"' and '\' are escaped and bytes outside
 * printable ASCII are written as \DDD; empty text is one "".  A trailing
 * dot on owner is not doubled.  No newline is appended.  0, or -1 on
 * ENOMEM.  This is the one TXT line writer: audit, lints, provisioning
 * and DKIM key records all use it.
 */
int ink_zone_txt_line(struct ink_str *out, const char *owner, uint32_t ttl, const uint8_t *text,
                      size_t len);

/* Flags of ink_zone_txt_line_flags. */
#define INK_ZONE_SPLIT_AT_SPACE 0x1u /* cut character-strings just after the
                                      * last space that fits (SPF records:
                                      * each string then holds whole terms) */
#define INK_ZONE_NO_TTL 0x2u         /* leave the TTL out: the zone's $TTL applies */

/* ink_zone_txt_line_flags - ink_zone_txt_line with flags; an owner that is
 * NULL or "" is written as "@" (the zone's origin).  0, or -1 on ENOMEM. */
int ink_zone_txt_line_flags(struct ink_str *out, const char *owner, uint32_t ttl,
                            const uint8_t *text, size_t len, unsigned flags);

/*
 * ink_zone_rr_line - append "OWNER. TTL IN TYPE DATA" for a record of
 * another type whose presentation (data, len bytes) the caller has
 * written (an MX "10 mail.example.com.", a PTR or CNAME target, an
 * address).  TXT goes through ink_zone_txt_line.  0, or -1 on ENOMEM.
 */
int ink_zone_rr_line(struct ink_str *out, const char *owner, uint32_t ttl, uint16_t type,
                     const char *data, size_t len);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
