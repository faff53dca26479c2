/*
 * evspool.c - the spool codec of inkan/evlog.h: rows the store could not
 * take, as append-only records (u32 length, u32 CRC-32, payload), and the
 * reader that takes them back, stopping cleanly at a torn tail and naming
 * the offset of a corrupt record.  Sans-I/O: the milter's spool writer
 * (src/milter/evwriter.c) does the file I/O.
 *
 * Payload: INK_EVSPOOL_VERSION, then fields as tag (1 byte), length
 * (2 bytes, big-endian), value.  Text fields are their bytes (no NUL);
 * "at" is 8 bytes and dkim_unlisted 4, big-endian; a DKIM result is one
 * field holding d=, s= and the result, each as a length byte and bytes.
 * Empty text fields are left out.  A reader skips tags it does not know,
 * so a newer writer's extra fields do not make a spool unreadable.
 */
#include "inkan/evlog.h"

#include <stddef.h>
#include <string.h>

/* CRC-32/ISO-HDLC (reflected polynomial 0xEDB88320), one entry per byte
 * value: the table zlib's crc32() and Ethernet use. */
static const uint32_t crc32_table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu,
    0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
    0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
    0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
    0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
    0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
    0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
    0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
    0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
    0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u, 0x01db7106u,
    0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
    0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du,
    0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
    0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
    0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u,
    0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
    0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau,
    0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
    0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
    0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u,
    0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
    0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
    0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
    0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
    0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
    0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u,
    0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u,
    0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
    0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
    0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
    0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
    0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u,
    0x616bffd3u, 0x166ccf45u, 0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
    0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
    0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u,
    0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
    0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

/* ink_crc32 - CRC-32 of buf, continuing from crc */
uint32_t ink_crc32(uint32_t crc, const uint8_t *buf, size_t len)
{
    size_t i;

    crc = ~crc;
    for (i = 0; i < len; i++)
        crc = crc32_table[(crc ^ buf[i]) & 0xffu] ^ (crc >> 8);
    return ~crc;
}

/* Field tags (never renumbered: spools outlive a version). */
enum {
    T_KEY = 1,
    T_AT,
    T_QUEUE_ID,
    T_MESSAGE_ID,
    T_SOURCE_IP,
    T_HEADER_FROM,
    T_ENVELOPE_FROM,
    T_ENVELOPE_TO,
    T_SPF_RESULT,
    T_SPF_DOMAIN,
    T_SPF_SCOPE,
    T_DKIM,
    T_DKIM_UNLISTED,
    T_DMARC_RESULT,
    T_DMARC_SPF,
    T_DMARC_DKIM,
    T_DISPOSITION,
    T_OVERRIDE,
    T_OVERRIDE_COMMENT,
    T_POLICY_DOMAIN,
    T_P,
    T_SP,
    T_NP,
    T_T,
    T_ADKIM,
    T_ASPF
};

/* Largest value of one field (its length is 2 bytes). */
#define EVSPOOL_FIELD_MAX 0xffffu

/* The text fields: tag, where in the row, its capacity. */
static const struct {
    uint8_t tag;
    size_t off, cap;
} text_fields[] = {
#define F(tag, field) {tag, offsetof(struct ink_evrow, field), sizeof(((struct ink_evrow *)0)->field)}
    F(T_KEY, key),
    F(T_QUEUE_ID, queue_id),
    F(T_MESSAGE_ID, message_id),
    F(T_SOURCE_IP, source_ip),
    F(T_HEADER_FROM, header_from),
    F(T_ENVELOPE_FROM, envelope_from),
    F(T_ENVELOPE_TO, envelope_to),
    F(T_SPF_RESULT, spf_result),
    F(T_SPF_DOMAIN, spf_domain),
    F(T_SPF_SCOPE, spf_scope),
    F(T_DMARC_RESULT, dmarc_result),
    F(T_DMARC_SPF, dmarc_spf),
    F(T_DMARC_DKIM, dmarc_dkim),
    F(T_DISPOSITION, disposition),
    F(T_OVERRIDE, override),
    F(T_OVERRIDE_COMMENT, override_comment),
    F(T_POLICY_DOMAIN, policy_domain),
    F(T_P, p),
    F(T_SP, sp),
    F(T_NP, np),
    F(T_T, t),
    F(T_ADKIM, adkim),
    F(T_ASPF, aspf),
#undef F
};
#define NTEXT (sizeof(text_fields) / sizeof(text_fields[0]))

/* put_be - n bytes of v, big-endian */
static int put_be(struct ink_str *out, uint64_t v, unsigned n)
{
    uint8_t b[8];
    unsigned i;

    for (i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return ink_str_append(out, b, n);
}

/* get_be - n bytes big-endian */
static uint64_t get_be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* put_field - one tag, length, value */
static int put_field(struct ink_str *out, uint8_t tag, const void *v, size_t len)
{
    if (len > EVSPOOL_FIELD_MAX)
        len = EVSPOOL_FIELD_MAX; /* no row field is this long: cannot happen */
    if (ink_str_putc(out, tag) < 0 || put_be(out, len, 2) < 0)
        return -1;
    return ink_str_append(out, v, len);
}

/* put_short - a length byte and the text (a DKIM part) */
static int put_short(struct ink_str *out, const char *s)
{
    size_t n = strnlen(s, 0xff);

    return ink_str_putc(out, (int)n) < 0 ? -1 : ink_str_append(out, s, n);
}

/* ink_evspool_encode - one whole record of r appended to out */
int ink_evspool_encode(const struct ink_evrow *r, struct ink_str *out)
{
    struct ink_str p = INK_STR_INIT, d = INK_STR_INIT;
    uint8_t at[8];
    size_t i;
    int rc = 0;

    rc |= ink_str_putc(&p, INK_EVSPOOL_VERSION);
    for (i = 0; i < 8; i++)
        at[i] = (uint8_t)((uint64_t)r->at >> (8 * (7 - i)));
    rc |= put_field(&p, T_AT, at, sizeof(at));
    for (i = 0; i < NTEXT; i++) {
        const char *s = (const char *)r + text_fields[i].off;
        size_t n = strnlen(s, text_fields[i].cap - 1);

        if (n > 0)
            rc |= put_field(&p, text_fields[i].tag, s, n);
    }
    for (i = 0; i < r->ndkim && i < INK_EVROW_DKIM_MAX; i++) {
        ink_str_truncate(&d, 0);
        rc |= put_short(&d, r->dkim[i].domain);
        rc |= put_short(&d, r->dkim[i].selector);
        rc |= put_short(&d, r->dkim[i].result);
        if (rc == 0)
            rc |= put_field(&p, T_DKIM, d.buf, d.len);
    }
    if (r->dkim_unlisted > 0) {
        uint8_t u[4];
        uint64_t v = r->dkim_unlisted > 0xffffffffu ? 0xffffffffu : r->dkim_unlisted;

        for (i = 0; i < 4; i++)
            u[i] = (uint8_t)(v >> (8 * (3 - i)));
        rc |= put_field(&p, T_DKIM_UNLISTED, u, sizeof(u));
    }
    if (rc == 0) {
        size_t start = out->len;

        rc |= put_be(out, p.len, 4);
        rc |= put_be(out, ink_crc32(0, (const uint8_t *)p.buf, p.len), 4);
        rc |= ink_str_append(out, p.buf, p.len);
        if (rc != 0)
            ink_str_truncate(out, start);
    }
    ink_str_free(&p);
    ink_str_free(&d);
    return rc != 0 ? -1 : 0;
}

/* ink_evspool_reader_init - a reader at offset 0 */
void ink_evspool_reader_init(struct ink_evspool_reader *rd, const uint8_t *buf, size_t len)
{
    memset(rd, 0, sizeof(*rd));
    rd->buf = buf;
    rd->len = len;
}

/* take_short - a DKIM part (length byte, bytes) into dst of cap bytes;
 * -1 when it runs past the field or does not fit */
static int take_short(const uint8_t *v, size_t vlen, size_t *pos, char *dst, size_t cap)
{
    size_t n;

    if (*pos >= vlen)
        return -1;
    n = v[*pos];
    (*pos)++;
    if (n > vlen - *pos || n >= cap || memchr(v + *pos, '\0', n) != NULL)
        return -1;
    memcpy(dst, v + *pos, n);
    dst[n] = '\0';
    *pos += n;
    return 0;
}

/* corrupt - stop at the current record: why, and the field's offset */
static enum ink_evspool_status corrupt(struct ink_evspool_reader *rd, const char *why,
                                       size_t at)
{
    rd->why = why;
    rd->why_off = at;
    return INK_EVSPOOL_CORRUPT;
}

/* decode - the payload of the record at rd->off (CRC checked) into row */
static enum ink_evspool_status decode(struct ink_evspool_reader *rd, const uint8_t *p,
                                      size_t plen, struct ink_evrow *row)
{
    size_t pos = 1, base = rd->off + INK_EVSPOOL_HEADER, i;
    int have_at = 0;

    ink_evrow_clear(row);
    if (plen < 1 || p[0] != INK_EVSPOOL_VERSION)
        return corrupt(rd, "unknown payload version", base);
    while (pos < plen) {
        size_t fstart = pos, vlen;
        uint8_t tag;
        const uint8_t *v;

        if (plen - pos < 3)
            return corrupt(rd, "a field header runs past the record", base + fstart);
        tag = p[pos];
        vlen = (size_t)get_be(p + pos + 1, 2);
        pos += 3;
        if (vlen > plen - pos)
            return corrupt(rd, "a field runs past the record", base + fstart);
        v = p + pos;
        pos += vlen;
        if (tag == T_AT) {
            if (vlen != 8)
                return corrupt(rd, "the time field is not 8 bytes", base + fstart);
            row->at = (int64_t)get_be(v, 8);
            have_at = 1;
            continue;
        }
        if (tag == T_DKIM_UNLISTED) {
            if (vlen != 4)
                return corrupt(rd, "the unlisted DKIM count is not 4 bytes", base + fstart);
            row->dkim_unlisted = (size_t)get_be(v, 4);
            continue;
        }
        if (tag == T_DKIM) {
            size_t q = 0;
            struct ink_evrow_dkim *k;

            if (row->ndkim == INK_EVROW_DKIM_MAX)
                return corrupt(rd, "more DKIM results than a row holds", base + fstart);
            k = &row->dkim[row->ndkim];
            if (take_short(v, vlen, &q, k->domain, sizeof(k->domain)) < 0 ||
                take_short(v, vlen, &q, k->selector, sizeof(k->selector)) < 0 ||
                take_short(v, vlen, &q, k->result, sizeof(k->result)) < 0 || q != vlen)
                return corrupt(rd, "a DKIM result is malformed", base + fstart);
            row->ndkim++;
            continue;
        }
        for (i = 0; i < NTEXT; i++)
            if (text_fields[i].tag == tag)
                break;
        if (i == NTEXT)
            continue; /* a newer writer's field: skipped */
        if (vlen >= text_fields[i].cap || memchr(v, '\0', vlen) != NULL)
            return corrupt(rd, "a text field is too long or holds NUL", base + fstart);
        memcpy((char *)row + text_fields[i].off, v, vlen);
        ((char *)row + text_fields[i].off)[vlen] = '\0';
    }
    if (!have_at)
        return corrupt(rd, "the record has no time", base);
    if (row->key[0] == '\0')
        return corrupt(rd, "the record has no key", base);
    return INK_EVSPOOL_RECORD;
}

/* ink_evspool_next - the next record, or why there is none */
enum ink_evspool_status ink_evspool_next(struct ink_evspool_reader *rd, struct ink_evrow *row)
{
    size_t left = rd->len - rd->off;
    uint64_t plen;
    uint32_t crc;
    enum ink_evspool_status st;

    rd->why = NULL;
    rd->why_off = rd->off;
    if (left == 0)
        return INK_EVSPOOL_END;
    if (left < INK_EVSPOOL_HEADER) {
        rd->why = "the last record's header is cut short";
        return INK_EVSPOOL_TORN;
    }
    plen = get_be(rd->buf + rd->off, 4);
    if (plen == 0 || plen > INK_EVSPOOL_PAYLOAD_MAX)
        return corrupt(rd, "record length out of range", rd->off);
    if (plen > left - INK_EVSPOOL_HEADER) {
        rd->why = "the last record is cut short";
        return INK_EVSPOOL_TORN;
    }
    crc = (uint32_t)get_be(rd->buf + rd->off + 4, 4);
    if (ink_crc32(0, rd->buf + rd->off + INK_EVSPOOL_HEADER, (size_t)plen) != crc)
        return corrupt(rd, "checksum mismatch", rd->off);
    st = decode(rd, rd->buf + rd->off + INK_EVSPOOL_HEADER, (size_t)plen, row);
    if (st == INK_EVSPOOL_RECORD)
        rd->off += INK_EVSPOOL_HEADER + (size_t)plen;
    return st;
}

/* ink_evspool_status_name - the status as a word */
const char *ink_evspool_status_name(enum ink_evspool_status s)
{
    switch (s) {
    case INK_EVSPOOL_RECORD:
        return "record";
    case INK_EVSPOOL_END:
        return "end";
    case INK_EVSPOOL_TORN:
        return "torn";
    case INK_EVSPOOL_CORRUPT:
        break;
    }
    return "corrupt";
}
