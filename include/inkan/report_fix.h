/*
 * inkan/report_fix.h - the DNS changes that fix a domain's legitimate
 * failing report sources (`inkan report advise`), as zone-file lines:
 *
 *   - SPF: the include: (or, for a source with nothing authenticated, the
 *     ip4:/ip6: term) merged into the domain's current SPF record with the
 *     one SPF record editor (ink_spf_edit_insert), so every existing term
 *     stays as it is; one change per domain carries every term needed;
 *   - DKIM: the selector to publish under the domain when a platform
 *     signs with its own d= (a CNAME s._domainkey.DOMAIN to the key the
 *     receivers verified, s._domainkey.PLATFORM-D), or a placeholder
 *     naming what to ask the platform for when the selector is unknown;
 *   - alignment: aspf=r / adkim=r in the _dmarc record when a source
 *     authenticated for another name of the same organisation and the
 *     published mode is strict (relaxed would pass).
 *
 * Sans-I/O: the caller reads the current SPF and DMARC records (through
 * the driver) and passes them in, or says they could not be read; a
 * record that was not read is never invented: the change then names the
 * terms to merge and leaves the new record and zone line NULL.  The
 * caller may lint the merged SPF record (inkan/spf_lint.h) and attach the
 * lookup count and the lint's too-many-lookups message with
 * ink_fix_set_spf_check.
 */
#ifndef INKAN_REPORT_FIX_H
#define INKAN_REPORT_FIX_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/str.h"
#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Sources one advice considers (the store lists at most this many). */
#define INK_FIX_SOURCES_MAX 1000
/* Changes one advice holds; further DKIM selectors are counted, not kept. */
#define INK_FIX_CHANGES_MAX 64
/* SPF terms merged into one record; further ones are counted, not kept. */
#define INK_FIX_TERMS_MAX 32
/* Bytes of a current record accepted (an SPF record may span strings). */
#define INK_FIX_RECORD_MAX 4096
/* Bytes of a domain name with its trailing dot and a NUL. */
#define INK_FIX_NAME_MAX 256
/* Changes one source refers to at most (SPF, DKIM, alignment). */
#define INK_FIX_PER_SOURCE_MAX 4

/* What is known of a record the domain publishes now. */
enum ink_fix_rec {
    INK_FIX_REC_UNKNOWN = 0, /* not read (not looked up, a temporary failure) */
    INK_FIX_REC_NONE,        /* the name publishes no such record */
    INK_FIX_REC_FOUND        /* the text is given */
};

/* The domain's current records (borrowed for the call). */
struct ink_fix_current {
    enum ink_fix_rec spf_state;
    const char *spf;           /* FOUND: the SPF record's text */
    enum ink_fix_rec dmarc_state;
    const char *dmarc;         /* FOUND: the _dmarc record's text */
    const char *spf_why;       /* why an UNKNOWN SPF record was not read ("not
                                * looked up", "a temporary DNS failure"),
                                * or NULL ("not looked up") */
    const char *dmarc_why;     /* the same for the DMARC record */
};

/* One legitimate failing source (borrowed for the call). */
struct ink_fix_source {
    const char *ip;
    uint64_t failing;          /* messages that failed DMARC */
    const char *spf_domains;   /* domains SPF passed for in its failing rows,
                                * space-separated, or NULL */
    const char *dkim_domains;  /* DKIM d= that passed there, "d/s" when the
                                * selector is known, space-separated, or NULL */
    const char *platform;      /* its sending platform, or NULL */
};

enum ink_fix_kind {
    INK_FIX_SPF = 0,       /* TXT at the domain: terms merged into its SPF record */
    INK_FIX_DKIM_SELECTOR, /* CNAME s._domainkey.DOMAIN -> s._domainkey.D */
    INK_FIX_DKIM_ASK,      /* placeholder: the selector and key are the platform's to give */
    INK_FIX_ALIGNMENT      /* TXT at _dmarc.DOMAIN: aspf/adkim relaxed */
};

/* One DNS change; every string owned by the advice. */
struct ink_fix_change {
    enum ink_fix_kind kind;
    char *owner;             /* fully qualified, with the trailing dot
                              * (DKIM_ASK: "SELECTOR._domainkey.DOMAIN.") */
    const char *type;        /* "TXT" or "CNAME" (static) */
    enum ink_fix_rec old_state; /* of the record this one replaces */
    char *old_value;         /* FOUND: the record it replaces, else NULL */
    char *old_line;          /* ... as a zone-file line, else NULL */
    char *new_value;         /* the record to publish, NULL when it cannot be
                              * computed (the current one was not read, or
                              * the platform must give it) */
    char *zone_line;         /* new_value as a zone-file line, or NULL */
    char *terms;             /* SPF: the terms merged ("include:a ip4:b");
                              * ALIGNMENT: the tags set ("aspf=r adkim=r");
                              * DKIM: the selector; else NULL */
    char *note;              /* for people: what else to do or to ask */
    unsigned lookups;        /* SPF: DNS lookups of new_value (0: not checked) */
    char *warning;           /* SPF: the lint's too-many-lookups message, or NULL */
};

struct ink_fix_advice;

/*
 * ink_fix_build - the changes that fix src[0..n) (legitimate failing
 * sources of the policy domain) given its current records.  psl is a
 * psl_ctx_t for the organisational domain (NULL: libpsl's built-in list).
 * NULL with why in err: no or a bad domain, n over INK_FIX_SOURCES_MAX,
 * out of memory.  Free with ink_fix_free.
 */
struct ink_fix_advice *ink_fix_build(const char *domain, const struct ink_fix_current *cur,
                                     const struct ink_fix_source *src, size_t n,
                                     const void *psl, struct ink_str *err);
void ink_fix_free(struct ink_fix_advice *a);

/* The changes, SPF first, then DKIM in source order, then alignment. */
size_t ink_fix_nchanges(const struct ink_fix_advice *a);
const struct ink_fix_change *ink_fix_change(const struct ink_fix_advice *a, size_t i);
/* DKIM selectors and SPF terms left out past the limits. */
size_t ink_fix_dropped(const struct ink_fix_advice *a);
/* ink_fix_source_changes - the changes (indices, at most
 * INK_FIX_PER_SOURCE_MAX) source i needs; returns how many */
size_t ink_fix_source_changes(const struct ink_fix_advice *a, size_t i,
                              size_t out[INK_FIX_PER_SOURCE_MAX]);
/* ink_fix_source_spf_term - the SPF term source i needs ("include:x",
 * "ip4:x"), or NULL (owned by a) */
const char *ink_fix_source_spf_term(const struct ink_fix_advice *a, size_t i);
/* ink_fix_source_spf_included - an include source i would need is in the
 * current record already (only its return path is not aligned) */
int ink_fix_source_spf_included(const struct ink_fix_advice *a, size_t i);
/* ink_fix_spf_index - the SPF change's index, or (size_t)-1 when none */
size_t ink_fix_spf_index(const struct ink_fix_advice *a);
/* ink_fix_set_spf_check - record the lint of the SPF change's new record:
 * its lookup count and, when over the limit, the lint's message (copied;
 * NULL: none).  0, or -1 when there is no such change or out of memory. */
int ink_fix_set_spf_check(struct ink_fix_advice *a, unsigned lookups, const char *warning);
/* ink_fix_kind_name - "spf", "dkim-selector", "dkim-ask", "dmarc-alignment" */
const char *ink_fix_kind_name(enum ink_fix_kind k);
/* ink_fix_rec_name - "unknown", "none", "found" */
const char *ink_fix_rec_name(enum ink_fix_rec s);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
