/*
 * audit_int.h - what the audit's engine (audit.c) and its areas
 * (audit_spf.c, audit_dkim.c, audit_dmarc.c, audit_mx.c, audit_ptr.c,
 * audit_helo.c, audit_cname.c, audit_info.c) share.  Not installed.
 *
 * The engine knows no check.  Each area is a struct audit_area in the
 * table of audit.c: start() queues its first work, finish() draws the
 * conclusions that need every answer, release() frees its state.  Work
 * is of two kinds, both owned by the engine:
 *   - a question: audit_ask(name, type, handler, i, k); when its answer
 *     comes the handler runs with i and k (and may ask more);
 *   - a sub-machine of another module (DMARC discovery, SPF lint, SPF
 *     evaluation): audit_run(machine, done, i); done runs once it ends.
 * Areas call the engine, never each other, except that MX hands the
 * addresses of its hosts to PTR (audit_ptr_add).
 */
#ifndef INKAN_AUDIT_INT_H
#define INKAN_AUDIT_INT_H

#include <stdarg.h>

#include "inkan/audit.h"
#include "inkan/dmarc.h"
#include "inkan/query.h"

/* Longest record text shown in the "records" part of a report. */
#define AUDIT_RECORD_SHOW_MAX 4096
/* Room for an address as text (IPv6 with an IPv4 tail fits) and for a
 * reverse-DNS name (32 nibbles of IPv6 and "ip6.arpa"). */
#define AUDIT_ADDR_TEXT_MAX 64
#define AUDIT_REVERSE_NAME_MAX 80

struct ink_audit;

/* audit_handler - the answer to a question asked with audit_ask (never
 * NULL: a missing or unfitting answer arrives as TIMEOUT or SERVFAIL) */
typedef void (*audit_handler)(struct ink_audit *a, size_t i, size_t k,
                              const struct ink_dns_answer *ans);
/* audit_done_fn - sub-machine i (its self given) ended with DONE; the
 * engine frees it afterwards with the release function given to
 * audit_run.  (One that FAILED gets a check-incomplete finding instead.) */
typedef void (*audit_done_fn)(struct ink_audit *a, size_t i, void *machine);

/* One area of checks. */
struct audit_area {
    const char *name;                    /* for messages */
    int (*start)(struct ink_audit *a);   /* 0, or -1 (a->nomem says if fatal) */
    void (*finish)(struct ink_audit *a); /* may be NULL */
    void (*release)(struct ink_audit *a); /* may be NULL */
};

extern const struct audit_area audit_area_spf, audit_area_dkim, audit_area_dmarc,
    audit_area_mx, audit_area_ptr, audit_area_helo, audit_area_cname, audit_area_info;

/* An expected CNAME, NAME below the domain already. */
struct audit_cname {
    char *name;
    char *target;
};

struct audit_job;   /* audit.c */
struct audit_tok;   /* audit.c */
struct audit_ready; /* audit.c */
struct audit_seen;  /* audit.c */
struct audit_spf;   /* audit_spf.c */
struct audit_mx;    /* audit_mx.c */
struct audit_ptr;   /* audit_ptr.c */
struct audit_helo;  /* audit_helo.c */

struct ink_audit {
    char domain[INK_DNS_NAME_MAX + 1];
    char *shown_domain;
    int finished;
    int nomem;
    int over_budget;
    enum ink_dmarc_org_mode org_mode;
    const void *psl;
    char *rua;
    /* inputs */
    char **selectors;  size_t nselectors;
    char **includes;   size_t nincludes;
    char **helos;      size_t nhelos;
    struct ink_audit_ip *ips; size_t nips;
    struct audit_cname *cnames; size_t ncnames;
    /* the engine's work */
    struct audit_job *jobs; size_t njobs, capjobs, scan;
    struct audit_tok *tok; size_t ntok, captok, tok_free;
    uint32_t last_token; /* tokens count from 1 */
    size_t outstanding;  /* queries queued or handed out, not fed */
    struct audit_ready *ready; size_t nready, capready, ready_head; /* queued */
    char *shown_name;    /* the name of the query handed out last */
    struct audit_seen *seen; /* distinct questions asked */
    size_t ndistinct;
    /* results */
    struct ink_finding *find; size_t nfind, capfind;
    struct ink_audit_record *rec; size_t nrec, caprec;
    struct ink_audit_key_wanted *keys; size_t nkeys, capkeys;
    /* DMARC outcome, kept for the conclusions of other areas */
    int dmarc_done;
    enum ink_dmarc_policy dmarc_policy; /* applied policy (UNSET: none) */
    int dmarc_testing;
    int bimi_present;
    /* the areas' own state */
    struct audit_spf *spf;
    struct audit_mx *mx;
    struct audit_ptr *ptr;
    struct audit_helo *helo;
};

/* ---- the engine (audit.c) ---- */

/* audit_ask - ask (name, type); h(a, i, k, answer) runs when it comes.
 * 0, or -1 (over the query budget, or ENOMEM: a->nomem). */
int audit_ask(struct ink_audit *a, const char *name, uint16_t type, audit_handler h, size_t i,
              size_t k);
/* audit_run - run machine m of area as part of the audit; its self is
 * the audit's from now on (release(self) frees it); done(a, i, self) runs
 * when it has finished.  0, or -1 on ENOMEM (m is then released). */
int audit_run(struct ink_audit *a, const char *area, struct ink_machine m,
              void (*release)(void *), audit_done_fn done, size_t i);

/* ---- helpers every area uses (audit.c) ---- */

/* audit_strdup - a copy of s (NULL stays NULL); NULL on ENOMEM sets a->nomem */
char *audit_strdup(struct ink_audit *a, const char *s);
/* audit_finding - add a finding with one of the codes of ink_audit_codes;
 * subject and fix (may be NULL) are copied.  The finding (owned by a;
 * valid until the next finding is added), or NULL on ENOMEM. */
struct ink_finding *audit_finding(struct ink_audit *a, enum ink_severity sev, const char *area,
                                  const char *code, const char *subject, const char *fix,
                                  const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* audit_finding_pass - the same for a finding another module made (the
 * SPF lint's, the DMARC record's): its code is not the audit's */
struct ink_finding *audit_finding_pass(struct ink_audit *a, enum ink_severity sev,
                                       const char *area, const char *code, const char *subject,
                                       const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* audit_set_fix - replace a finding's fix with a copy of fix */
void audit_set_fix(struct ink_audit *a, struct ink_finding *f, const char *fix);
/* audit_record - note a record read (data made printable here) */
void audit_record(struct ink_audit *a, const char *area, const char *name, const char *type,
                  const void *data, size_t len);
/* audit_fix_line - a zone-file line (TTL INK_AUDIT_FIX_TTL) publishing
 * data at owner; caller frees; NULL on ENOMEM */
char *audit_fix_line(struct ink_audit *a, const char *owner, uint16_t type, const char *data);
/* audit_key_wanted - the key of selector sel (at owner) must be replaced;
 * f is the finding a new key fixes (NULL: nothing noted) */
void audit_key_wanted(struct ink_audit *a, const char *sel, const char *owner,
                      const struct ink_finding *f);
/* audit_is_temp - the answer says nothing either way (SERVFAIL, TIMEOUT) */
int audit_is_temp(const struct ink_dns_answer *ans);
/* audit_is_ip_literal - s is an address, bare or in brackets */
int audit_is_ip_literal(const char *s);
/* audit_addr_text - an address as text into buf (AUDIT_ADDR_TEXT_MAX) */
const char *audit_addr_text(int family, const uint8_t *addr, char *buf, size_t n);

/* ---- what one area offers another ---- */

/* audit_ptr_add - check the reverse DNS of an address (audit_ptr.c):
 * source says what it is, hint a name its PTR should be (or NULL),
 * sender whether it sends (a missing PTR is then an error) */
void audit_ptr_add(struct ink_audit *a, int family, const uint8_t *addr, const char *source,
                   const char *hint, int sender);

#endif
