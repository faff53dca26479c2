/*
 * inkan/report_sim.h - replay stored DMARC aggregate report rows under a
 * proposed change (`inkan report simulate`): a new SPF record for the
 * policy domain, a new DMARC record, or both.  Before a domain owner
 * publishes, it says which sources and how many messages would change
 * result, in both directions.
 *
 * The rows (struct ink_report_row) come from the store
 * (inkan/store.h: report_rows).  The simulation is a machine of the one
 * query protocol (inkan/query.h): one SPF check_host() evaluation
 * (inkan/spf.h) per distinct (source IP, SPF domain) pair whose SPF
 * domain is the policy domain or under it, each asked through the
 * simulation; the question for the policy domain's own TXT record is
 * answered with the proposed record, every other one (includes, a, mx,
 * the subdomains' records) goes to the driver.  Then each row's DMARC
 * result and disposition are recomputed with ink_dmarc_eval
 * (inkan/dmarc.h) under the proposed DMARC record (or, without one, the
 * policy its report saw published), pct applied to the message counts.
 *
 *     sim = ink_sim_new(&opts, rows, nrows, &err);
 *     ink_drive_sync(resolver, ink_sim_machine(sim), NULL);
 *     for (i = 0; i < ink_sim_nchanges(sim); i++) ... ink_sim_change(sim, i)
 *     ink_sim_totals(sim)
 *
 * What cannot be replayed is kept as reported, and counted: a row whose
 * report names no SPF domain keeps its SPF result; a row whose SPF domain
 * is another organisation's (a platform's bounce domain, a spoofer's)
 * keeps it too, since the proposed record is not consulted for it.
 * np= needs to know whether a subdomain exists, which reports do not say:
 * subdomains take sp= (else p=).
 */
#ifndef INKAN_REPORT_SIM_H
#define INKAN_REPORT_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/query.h"
#include "inkan/str.h"
#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Rows one simulation replays at most (the store refuses to return more:
 * narrow the period). */
#define INK_SIM_ROWS_MAX 500000
/* Auth results of one stored row kept at most (as the parser keeps). */
#define INK_SIM_AUTH_MAX 32
/* Bytes of a proposed record (an SPF record may span several strings). */
#define INK_SIM_RECORD_MAX 4096

/* One SPF or DKIM result of a stored row (auth_results). */
struct ink_report_row_auth {
    char kind;          /* 's' SPF, 'd' DKIM */
    char *domain;       /* lower case, or NULL */
    char *selector;     /* DKIM, or NULL */
    char *scope;        /* SPF: "mfrom", "helo", or NULL */
    char *result;       /* "pass", "fail", ... or NULL */
};

/* One stored aggregate-report row with what its report saw published.
 * Every string is owned by the row (free with ink_report_rows_free). */
struct ink_report_row {
    int64_t begin, end;          /* its report's date range */
    char *org_name;              /* its reporter */
    char adkim, aspf;            /* 'r' or 's' */
    char *p, *sp, *np, *testing; /* policy_published; NULL: absent */
    int pct;                     /* -1: absent */
    char *source_ip;
    uint64_t count;              /* messages */
    char *disposition;           /* policy_evaluated; NULL: absent */
    char *dkim, *spf;            /* policy_evaluated "pass"/"fail"; NULL: absent */
    char *header_from, *envelope_from;
    struct ink_report_row_auth *auth;
    size_t nauth;
};

/* ink_report_rows_free - free n rows and the array; NULL is a no-op */
void ink_report_rows_free(struct ink_report_row *rows, size_t n);

/* ink_report_row_spf_domain - the domain SPF was checked for in row r:
 * the first SPF auth result of scope mfrom (or none given), else the
 * envelope_from, else NULL (static to r) */
const char *ink_report_row_spf_domain(const struct ink_report_row *r);

/* What to simulate. */
struct ink_sim_opts {
    const char *domain;      /* the policy domain (required) */
    const char *spf;         /* proposed SPF record for domain, or NULL */
    const char *dmarc;       /* proposed DMARC record for _dmarc.domain, or NULL */
    int64_t now;             /* %{t} of SPF macros */
    const void *psl;         /* a psl_ctx_t for relaxed alignment; NULL:
                              * libpsl's built-in list */
};

/* One group of messages whose outcome changes: same source, SPF domain
 * and outcomes before and after.  Strings static or owned by the sim. */
struct ink_sim_change {
    const char *ip;
    const char *spf_domain;   /* NULL: the reports named none */
    uint64_t messages;
    const char *spf_old, *spf_new;      /* SPF results ("pass", "softfail", ...) */
    const char *dmarc_old, *dmarc_new;  /* "pass", "fail", "temperror", "none" */
    const char *disp_old, *disp_new;    /* "none", "quarantine", "reject" */
    const char *direction;    /* "newly-passing", "newly-failing", "disposition"
                               * (DMARC unchanged, disposition changed) or
                               * "spf" (the SPF result alone changed) */
};

/* Dispositions counted in the totals: none, quarantine, reject. */
#define INK_SIM_DISPOSITIONS 3

/* The totals of a simulation. */
struct ink_sim_totals {
    uint64_t rows, messages;
    uint64_t spf_evaluated;     /* messages whose SPF was re-evaluated */
    uint64_t spf_kept;          /* messages whose SPF stayed as reported
                                 * (no SPF domain, or another domain) */
    uint64_t spf_temperror;     /* messages whose re-evaluation ended in temperror */
    size_t pairs;               /* (source, SPF domain) pairs evaluated */
    uint64_t dmarc_pass_old, dmarc_pass_new;
    uint64_t newly_passing, newly_failing; /* messages whose DMARC result flips */
    size_t sources_newly_passing, sources_newly_failing; /* distinct IPs */
    uint64_t disposition_changed;          /* messages whose disposition changes */
    uint64_t disp_old[INK_SIM_DISPOSITIONS], disp_new[INK_SIM_DISPOSITIONS];
};

struct ink_sim;

/*
 * ink_sim_new - a simulation of rows[0..n) (borrowed: they must outlive
 * it) under o (strings copied).  NULL with why in err: no domain, a
 * proposed SPF record that is not one (no v=spf1, or too long), a DMARC
 * record that is not one, more than INK_SIM_ROWS_MAX rows, no memory.
 * Free with ink_sim_free.
 */
struct ink_sim *ink_sim_new(const struct ink_sim_opts *o, const struct ink_report_row *rows,
                            size_t n, struct ink_str *err);
void ink_sim_free(struct ink_sim *s);
/* The query protocol: every pair's evaluation may have its query out at
 * once; DONE once all have ended (results computed then).  FAILED only
 * when out of memory. */
enum ink_next ink_sim_next(struct ink_sim *s, struct ink_query *q);
int ink_sim_feed(struct ink_sim *s, uint32_t token, const struct ink_dns_answer *answer);
struct ink_machine ink_sim_machine(struct ink_sim *s);

/* Results once DONE (owned by s): the changes, most messages first. */
size_t ink_sim_nchanges(const struct ink_sim *s);
const struct ink_sim_change *ink_sim_change(const struct ink_sim *s, size_t i);
const struct ink_sim_totals *ink_sim_totals(const struct ink_sim *s);
/* ink_sim_disposition_name - "none", "quarantine", "reject" for 0..2 */
const char *ink_sim_disposition_name(size_t i);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
