/*
 * inbound_int.h - what the files of the inbound module share: the
 * header checks done with GMime (msgcheck.c), the iprev machine
 * (iprev.c), the HELO checks (helo.c) and the finding helper.
 */
#ifndef INKAN_INBOUND_INT_H
#define INKAN_INBOUND_INT_H

#include "inkan/inbound.h"
#include "inkan/mailhdr.h"

/* A finding list of fixed capacity. */
struct inb_findings {
    size_t n;
    struct ink_finding f[INK_INBOUND_FINDINGS_MAX];
};

/* inb_add - add a finding (message formatted; subject copied, may be
 * NULL); silently dropped when the list is full.  0, -1 on ENOMEM. */
int inb_add(struct inb_findings *l, enum ink_severity sev, const char *area, const char *code,
            const char *subject, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* inb_findings_clear - free every finding */
void inb_findings_clear(struct inb_findings *l);

/* Domains taken from the header for the existence checks. */
struct inb_domains {
    size_t n;
    char name[INK_INBOUND_EXIST_MAX][INK_DNS_NAME_MAX + 1];
    const char *field[INK_INBOUND_EXIST_MAX]; /* "From", "Sender", "Reply-To" (static) */
};

/*
 * inb_author - RFC 9989 5.3.1: the Author Domain of header h into domain
 * (normalised, A-labels) with status; *reason is static text saying which
 * rule applied, NULL for OK.  -1 on ENOMEM.
 */
int inb_author(const struct ink_mailhdr *h, char domain[INK_DNS_NAME_MAX + 1],
               enum ink_from_status *st, const char **reason);

/*
 * inb_rfc5322 - the RFC 5322 section 3.6 checks of header h into out
 * (area "rfc5322"), and the domains of From, Sender and Reply-To into
 * dom for the existence checks.  -1 on ENOMEM.
 */
int inb_rfc5322(const struct ink_mailhdr *h, struct inb_findings *out, struct inb_domains *dom);

/* ---- iprev ---- */
struct inb_iprev;
/* inb_iprev_new - iprev of the address (family 4/6); NULL on ENOMEM */
struct inb_iprev *inb_iprev_new(int family, const uint8_t ip[16]);
void inb_iprev_free(struct inb_iprev *v);
struct ink_machine inb_iprev_machine(struct inb_iprev *v);
/* inb_iprev_result - once done: fills r (strings owned by v) */
void inb_iprev_result(const struct inb_iprev *v, struct ink_inbound_iprev *r);
/* inb_name_generic - the name looks like a generic or dynamic pool name
 * of the address (its digits, or words such as dynamic, dsl, pool) */
int inb_name_generic(const char *name, int family, const uint8_t ip[16]);

#endif
