/*
 * audit_int.h - what the audit's source files (audit.c, audit_checks.c,
 * audit_spf.c, audit_dkim.c) share: the audit object, its jobs, and the
 * helpers that add findings, records and queries.  Not installed.
 */
#ifndef INKAN_AUDIT_INT_H
#define INKAN_AUDIT_INT_H

#include <stdarg.h>

#include "inkan/audit.h"
#include "inkan/dmarc.h"

/* Longest record text shown in the "records" part of a report. */
#define AUDIT_RECORD_SHOW_MAX 4096
/* A token slot not in use. */
#define TOKEN_FREE ((size_t)-1)

enum audit_job_kind {
    JOB_QUERY = 0, /* one query, answered to a handler */
    JOB_DMARC,     /* the DMARC discovery machine */
    JOB_SPF_LINT,  /* the SPF lint machine */
    JOB_SPF_EVAL   /* one SPF check_host() evaluation (--ip authorization) */
};

/* Handlers of plain query jobs. */
enum audit_handler {
    H_MX = 0,      /* MX of the domain */
    H_DOMAIN_ADDR, /* A/AAAA of the domain when it has no MX */
    H_MX_ADDR,     /* A/AAAA of MX host i */
    H_PTR,         /* PTR of address item i */
    H_FWD,         /* A/AAAA of PTR name k of address item i */
    H_HELO_ADDR,   /* A/AAAA of HELO name i */
    H_CNAME,       /* CNAME at expected name i */
    H_INFO,        /* TXT of info record i (MTA-STS, TLS-RPT, BIMI) */
    H_DKIM         /* TXT at selector i */
};

struct audit_job {
    enum audit_job_kind kind;
    int done;
    int sent;          /* JOB_QUERY: handed out */
    int inflight;      /* queries out for this job */
    char *name;        /* JOB_QUERY: the name asked (owned) */
    uint16_t type;
    enum audit_handler handler;
    size_t i, k;       /* handler arguments */
    void *machine;     /* the wrapped state machine (owned) */
    uint32_t token;    /* JOB_DMARC: token of the query out */
};

/* An MX host. */
struct audit_mx {
    char *name;
    uint16_t pref;
    int pending;       /* address queries not answered */
    int naddr;
    int cname;         /* the name is an alias */
    int temp;          /* a lookup failed temporarily */
};

/* An address whose reverse name is checked. */
struct audit_ptr {
    int family;
    uint8_t addr[16];
    char *source;      /* what it is ("MX host mail.example.com", "sending IP") */
    char *hint;        /* a name that should be its PTR (for the fix), or NULL */
    int sender;        /* a sending IP: missing/mismatching PTR is an error */
    int pending;
    int temp;
    int none;          /* no PTR */
    size_t nnames;
    char *names[INK_AUDIT_PTR_NAMES_MAX];
    int confirmed;     /* some PTR name resolves back to the address */
};

struct audit_helo {
    char *name;
    int pending;
    int naddr;
    int temp;
    int matches_ip;    /* resolves to one of the --ip addresses */
    int checked;       /* passed the syntax checks and was looked up */
};

struct audit_cname {
    char *name;
    char *target;
};

/* A query in flight: its job, and what was asked (to make up an answer
 * when the driver cannot deliver one). */
struct audit_tok {
    size_t job;        /* TOKEN_FREE when the slot is unused */
    char *name;
    uint16_t type;
    size_t *waiters;   /* other jobs that asked the same question meanwhile */
    size_t nwait;
};

/* An answer already received: the same question from another check of
 * this audit is answered from here (each question goes out once). */
struct audit_cached {
    char *name;
    uint16_t type;
    struct ink_dns_answer *ans;
};

struct audit_spf;  /* audit_spf.c */
struct audit_dkim; /* audit_dkim.c */

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
    struct audit_helo *helos; size_t nhelos;
    struct ink_audit_ip *ips; size_t nips;
    struct audit_cname *cnames; size_t ncnames;
    /* jobs and tokens */
    struct audit_job *jobs; size_t njobs, capjobs, scan;
    struct audit_tok *tok; size_t ntok, captok, tok_hint;
    size_t nqueries;
    size_t nshared;    /* questions answered from another check's query */
    struct audit_cached *cache; size_t ncache, capcache;
    size_t inflight;   /* queries handed out and not answered */
    /* results */
    struct ink_finding *find; size_t nfind, capfind;
    struct ink_audit_key_wanted *keys; size_t nkeys, capkeys;
    struct ink_audit_record *rec; size_t nrec, caprec;
    /* MX */
    struct audit_mx mx[INK_AUDIT_MX_MAX]; size_t nmx;
    int mx_state;      /* 0 pending, 1 has MX, 2 none, 3 null MX, 4 temperror, 5 nxdomain */
    int domain_addr_pending, domain_naddr;
    /* PTR items */
    struct audit_ptr *ptr; size_t nptr, capptr;
    /* DMARC outcome kept for cross checks */
    int dmarc_done;
    enum ink_dmarc_policy dmarc_policy; /* applied policy (UNSET: none) */
    int dmarc_testing;
    int bimi_present;
    /* SPF and DKIM state */
    struct audit_spf *spf;
    struct audit_dkim *dkim;
};

/* helpers (audit.c) */
char *audit_strdup(struct ink_audit *a, const char *s);
struct ink_finding *audit_finding(struct ink_audit *a, enum ink_severity sev, const char *area,
                                  const char *code, const char *subject, const char *fix,
                                  const char *fmt, ...) __attribute__((format(printf, 7, 8)));
struct ink_finding *audit_finding_pass(struct ink_audit *a, enum ink_severity sev,
                                       const char *area, const char *code, const char *subject,
                                       const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
void audit_key_wanted(struct ink_audit *a, const char *sel, const char *owner,
                      const struct ink_finding *f);
void audit_set_fix(struct ink_audit *a, struct ink_finding *f, const char *fix);
void audit_record(struct ink_audit *a, const char *area, const char *name, const char *type,
                  const void *data, size_t len);
char *audit_fix_line(struct ink_audit *a, const char *owner, uint16_t type, const char *data);
long audit_job_new(struct ink_audit *a, enum audit_job_kind kind);
int audit_query(struct ink_audit *a, const char *name, uint16_t type, enum audit_handler h,
                size_t i, size_t k);

/* checks (audit_checks.c) */
int audit_start_checks(struct ink_audit *a);
void audit_finish_checks(struct ink_audit *a);
void audit_handle(struct ink_audit *a, size_t job, const struct ink_dns_answer *ans);
int audit_machine_next(struct ink_audit *a, size_t job, const char **name, uint16_t *type);
void audit_machine_feed(struct ink_audit *a, size_t job, struct ink_dns_answer *ans);
void audit_job_fail(struct ink_audit *a, size_t job);
void audit_job_release(struct audit_job *j);
int audit_is_temp(const struct ink_dns_answer *ans);

/* SPF (audit_spf.c) */
int audit_spf_start(struct ink_audit *a);
int audit_spf_next(struct ink_audit *a, size_t job, const char **name, uint16_t *type);
void audit_spf_feed(struct ink_audit *a, size_t job, struct ink_dns_answer *ans);
void audit_spf_finish(struct ink_audit *a);
void audit_spf_release(struct audit_job *j);
void audit_spf_free(struct ink_audit *a);

/* DKIM (audit_dkim.c) */
int audit_dkim_start(struct ink_audit *a);
void audit_dkim_answer(struct ink_audit *a, size_t i, const struct ink_dns_answer *ans);
void audit_dkim_free(struct ink_audit *a);

#endif
