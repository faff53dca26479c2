/*
 * inkan/policy.h - the receiver's local policy (docs/policy.md): the
 * authserv-id, how DMARC is enforced (monitor, enforce, staged by Author
 * Domain, people-centric by recipient), exceptions (client address
 * ranges, MAIL FROM domain patterns, Author Domains, trusted ARC
 * sealers), what a temperror or permerror does; and the verdict for one
 * evaluated message (accept / quarantine / reject / tempfail with the
 * SMTP reply a server would send).  Parsed from YAML in memory (libyaml).
 */
#ifndef INKAN_POLICY_H
#define INKAN_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/inbound.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Largest policy file accepted. */
#define INK_POLICY_SIZE_MAX (256u * 1024u)
/* YAML nesting accepted (top mapping, a section, a list). */
#define INK_POLICY_DEPTH_MAX 4
/* Entries one list may hold. */
#define INK_POLICY_LIST_MAX 1024
/* Longest scalar (a pattern, an address, the authserv-id). */
#define INK_POLICY_SCALAR_MAX 320
/* The authserv-id used when the policy gives none. */
#define INK_POLICY_AUTHSERV_DEFAULT "localhost"

enum ink_policy_mode {
    INK_POLICY_ENFORCE = 0, /* apply the DMARC disposition */
    INK_POLICY_MONITOR,     /* evaluate and record; never act */
    INK_POLICY_STAGED,      /* enforce for the listed Author Domains only */
    INK_POLICY_PEOPLE       /* enforce for the listed recipients only */
};

enum ink_verdict_action {
    INK_VERDICT_ACCEPT = 0,
    INK_VERDICT_QUARANTINE,
    INK_VERDICT_REJECT,
    INK_VERDICT_TEMPFAIL
};

/* One client address range. */
struct ink_policy_cidr {
    int family;
    uint8_t addr[16];
    unsigned prefix;
    char *text;          /* as written (owned) */
};

struct ink_policy {
    char *authserv_id;                       /* (owned) */
    enum ink_policy_mode mode;
    size_t nstaged;
    char **staged;                           /* Author Domain patterns */
    size_t npeople;
    char **people;                           /* recipient addresses or domain patterns */
    size_t nip;
    struct ink_policy_cidr *ip;
    size_t nmailfrom;
    char **mailfrom;                         /* MAIL FROM domain patterns */
    size_t nauthor;
    char **author;                           /* Author Domain patterns */
    size_t nsealers;
    char **sealers;                          /* trusted ARC sealers (AS d=) */
    enum ink_verdict_action on_temperror;    /* ACCEPT or TEMPFAIL (default TEMPFAIL) */
    enum ink_verdict_action on_permerror;    /* ACCEPT, QUARANTINE or REJECT (default ACCEPT) */
};

/* ink_policy_default - enforce, no exceptions, temperror tempfails;
 * caller owns.  NULL on ENOMEM. */
struct ink_policy *ink_policy_default(void);
/* ink_policy_parse - the YAML bytes; NULL with "LINE:COL: why" in err */
struct ink_policy *ink_policy_parse(const uint8_t *buf, size_t len, struct ink_str *err);
void ink_policy_free(struct ink_policy *p);

/* ink_policy_pattern_match - "example.com" matches that domain only;
 * "*.example.com" every name below it (not itself); case-insensitive */
int ink_policy_pattern_match(const char *pattern, const char *domain);

/* What ARC says, for the trusted-sealer exception (RFC 8617): filled by
 * the caller from an ARC verifier, or NULL when none ran. */
struct ink_policy_arc {
    const char *cv;       /* "none", "pass", "fail" */
    const char *sealer;   /* d= of the newest ARC-Seal, or NULL */
    int upstream_pass;    /* the oldest AAR says DMARC, or SPF/DKIM, passed */
};

struct ink_verdict {
    enum ink_verdict_action action;
    char smtp_reply[256];
    int enforced;            /* the DMARC disposition was applied as is */
    const char *override;    /* RFC 9990 PolicyOverrideType: "local_policy",
                              * "trusted_forwarder", or NULL (static) */
    char comment[640];       /* which exception or mode changed it, or "" */
};

/*
 * ink_policy_decide - the verdict for m (DONE) under p; arc may be NULL.
 * A DMARC fail is acted on (quarantine/reject) unless an exception
 * matches or the mode does not enforce for this message; temperror and
 * permerror follow on_temperror/on_permerror; the rest is accepted.
 */
void ink_policy_decide(const struct ink_policy *p, const struct ink_inbound *m,
                       const struct ink_policy_arc *arc, struct ink_verdict *v);

/*
 * ink_policy_rcpt_protected - whether a failing message to rcpt ("a@b" or
 * "<a@b>") would be enforced as far as this recipient decides: in
 * people-centric mode 1 when rcpt matches a people-centric entry (*entry,
 * when entry is not NULL, is that entry, owned by p; else NULL) and 0 when
 * it is monitored; in monitor mode 0; in enforce and staged mode 1 (the
 * recipients do not change the verdict).  Recipients with different
 * answers cannot share one verdict: `inkan milter` answers the second
 * kind 452 4.5.3 at RCPT so that each kind goes in a transaction of its
 * own (docs/milter.md).
 */
int ink_policy_rcpt_protected(const struct ink_policy *p, const char *rcpt, const char **entry);

const char *ink_verdict_name(enum ink_verdict_action a);
const char *ink_policy_mode_name(enum ink_policy_mode m);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
