/*
 * dkim_prim.c - the DKIM core's tag-list, base64 and digest helpers
 * offered to other modules through inkan/dkim_prim.h (ARC signs and
 * verifies DKIM-like header fields with them).  Thin wrappers over the
 * functions the DKIM code itself uses (dkim_util.c), so there is one
 * implementation of each.
 */
#include "inkan/dkim_prim.h"

#include <string.h>

#include "dkim_int.h"
#include "inkan/query.h"

_Static_assert(INK_DKIM_TAGLIST_MAX == DKIM_TAGS_MAX, "one tag-list limit");
_Static_assert(INK_DKIM_DIGEST_LEN == 32, "SHA-256");

/* ink_dkim_taglist_parse - dkim_taglist_parse into the public tag type */
int ink_dkim_taglist_parse(const uint8_t *buf, size_t len, struct ink_dkim_tag *tags,
                           size_t max, size_t *ntags, char *why, size_t whysz, size_t *erroff)
{
    struct dkim_tag in[DKIM_TAGS_MAX];
    size_t i, n = 0;

    if (max > DKIM_TAGS_MAX)
        max = DKIM_TAGS_MAX;
    *ntags = 0;
    if (dkim_taglist_parse(buf, len, in, max, &n, why, whysz, erroff) < 0)
        return -1;
    for (i = 0; i < n; i++) {
        tags[i].name = in[i].name;
        tags[i].name_len = in[i].name_len;
        tags[i].val = in[i].val;
        tags[i].val_len = in[i].val_len;
        tags[i].name_off = in[i].name_off;
        tags[i].val_off = in[i].val_off;
        tags[i].raw_val_off = in[i].raw_val_off;
        tags[i].raw_val_end = in[i].raw_val_end;
    }
    *ntags = n;
    return 0;
}

/* ink_dkim_tag_get - the tag called name, or NULL */
const struct ink_dkim_tag *ink_dkim_tag_get(const struct ink_dkim_tag *tags, size_t ntags,
                                            const char *name)
{
    size_t i, n = strlen(name);

    for (i = 0; i < ntags; i++)
        if (tags[i].name_len == n && memcmp(tags[i].name, name, n) == 0)
            return &tags[i];
    return NULL;
}

/* ink_dkim_b64_decode - see dkim_b64_decode */
int ink_dkim_b64_decode(const uint8_t *buf, size_t len, struct ink_str *out, size_t *erroff)
{
    return dkim_b64_decode(buf, len, out, erroff);
}

/* ink_dkim_b64_encode - see dkim_b64_encode */
int ink_dkim_b64_encode(const uint8_t *buf, size_t len, struct ink_str *out)
{
    return dkim_b64_encode(buf, len, out);
}

/* ink_dkim_sha256 - the digest fetched once (dkim_sha256) */
const struct evp_md_st *ink_dkim_sha256(void)
{
    return dkim_sha256();
}

/* ink_dkim_key_answer - a key query's answer as status, DNSSEC and why;
 * 1 when its TXT records are to be read */
int ink_dkim_key_answer(const struct ink_dns_answer *a, const char *name,
                        enum ink_dns_status *status, enum ink_dnssec *dnssec, char *why,
                        size_t whysz)
{
    if (a == NULL) {
        /* no answer at all: as a timeout (RFC 6376 6.1.2: temperror) */
        *status = INK_DNS_TIMEOUT;
        *dnssec = INK_DNSSEC_UNKNOWN;
        dkim_set_why(why, whysz, "no answer");
        return 0;
    }
    if (!ink_query_answer_fits(a, name, INK_DNS_TXT)) {
        /* an answer to another question says nothing about this one */
        *status = INK_DNS_SERVFAIL;
        *dnssec = INK_DNSSEC_UNKNOWN;
        dkim_set_why(why, whysz, "the answer is for %s %s, not the question asked",
                     a->qname != NULL ? a->qname : "(no name)", ink_dns_type_name(a->qtype));
        return 0;
    }
    *status = a->status;
    *dnssec = a->dnssec;
    if (a->why != NULL)
        dkim_set_why(why, whysz, "%s", a->why);
    return a->status == INK_DNS_OK;
}
