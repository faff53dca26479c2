/*
 * inkan/spf.h - SPF (RFC 7208): the record model (parse with byte
 * offsets, serialize), the macro expander (section 7) and check_host()
 * (sections 4 to 6 and 11) as a resumable, sans-I/O state machine.
 *
 * Three layers, each usable alone:
 *
 *   1. Records.  ink_spf_record_parse() turns the text of one TXT record
 *      into terms.  Every term and every diagnostic carries its byte offset
 *      in the input, so a linter can point at column N.  Parsing never
 *      fails on bad bytes: it returns a record holding the terms it could
 *      read plus the errors (a record with errors evaluates to permerror).
 *      ink_spf_record_format() writes the terms back as text.
 *
 *   2. Macros.  ink_spf_macro_expand() expands a macro-string (a
 *      domain-spec or an explanation) against a struct ink_spf_macro_ctx.
 *      %{p} needs DNS; the expander reports INK_SPF_MACRO_NEED_P instead of
 *      looking anything up, and the evaluator resolves it through its own
 *      state machine.
 *
 *   3. Evaluation.  ink_spf_new() starts check_host(), a machine of the
 *      one query protocol (inkan/query.h): ink_spf_next() hands out one DNS
 *      query at a time (INK_NEXT_READY, then INK_NEXT_WAIT until it is
 *      fed) or says the result is ready (INK_NEXT_DONE); ink_spf_feed()
 *      takes the answer (borrowed).  Any driver will do; the usual one is
 *      inkan/driver.h:
 *
 *          struct ink_spf *ev = ink_spf_new(&params);
 *          ink_drive_sync(resolver, ink_spf_machine(ev), NULL);
 *          puts(ink_spf_result_name(ink_spf_result(ev)));
 *          ink_spf_free(ev);
 *
 *      Nothing here sleeps, reads a clock or touches a socket, so one
 *      thread can drive thousands of evaluations at once.
 */
#ifndef INKAN_SPF_H
#define INKAN_SPF_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/dns.h"
#include "inkan/query.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* ---- limits (RFC 7208 section 4.6.4 and local guards) ---------------- */

/* Terms that cause DNS lookups (include a mx ptr exists redirect), plus
 * the PTR query of a %{p} expanded during evaluation (4.6.4). */
#define INK_SPF_DNS_LOOKUP_MAX 10
/* Void lookups (NODATA or NXDOMAIN) allowed before the evaluation is a
 * permerror.  Counted on the query a term makes itself (a, mx, ptr,
 * exists), not on the address lookups of MX or PTR names, nor on record,
 * exp= or %{p} lookups. */
#define INK_SPF_VOID_LOOKUP_MAX 2
/* MX records one "mx" term may look at (more is a permerror). */
#define INK_SPF_MX_NAMES_MAX 10
/* PTR names one "ptr" term or %{p} looks at (the rest are ignored). */
#define INK_SPF_PTR_NAMES_MAX 10
/* Nesting of include/redirect; the lookup limit stops it first, this is a
 * guard for callers who raise the lookup limit. */
#define INK_SPF_DEPTH_MAX 32
/* Longest record text the parser accepts (a 64 KiB TXT answer is refused
 * with a diagnostic, not parsed). */
#define INK_SPF_RECORD_MAX 65535
/* Terms one record may hold. */
#define INK_SPF_TERMS_MAX 1024
/* Longest macro expansion (an explanation; domain-specs are further cut to
 * INK_DNS_NAME_MAX as section 7.3 says). */
#define INK_SPF_EXPAND_MAX 4096
/* Longest explanation string kept (section 6.2: one TXT record's text). */
#define INK_SPF_EXPLANATION_MAX 1024
/* Longest <sender> accepted (RFC 5321: 64 local-part + @ + 255 domain). */
#define INK_SPF_SENDER_MAX 320
/* Digits transformer values above this are taken as "all labels". */
#define INK_SPF_MACRO_DIGITS_MAX 128

/* ---- results ---------------------------------------------------------- */

enum ink_spf_result {
    INK_SPF_NONE = 0,
    INK_SPF_NEUTRAL,
    INK_SPF_PASS,
    INK_SPF_FAIL,
    INK_SPF_SOFTFAIL,
    INK_SPF_TEMPERROR,
    INK_SPF_PERMERROR
};

/* ink_spf_result_name - "none", "neutral", "pass", "fail", "softfail",
 * "temperror", "permerror" (static; "permerror" for out-of-range values) */
const char *ink_spf_result_name(enum ink_spf_result r);
/* ink_spf_result_from_name - inverse of the above (case-insensitive, len
 * bytes); -1 if unknown */
int ink_spf_result_from_name(const char *s, size_t len);

/* ---- record model ------------------------------------------------------ */

enum ink_spf_qualifier {
    INK_SPF_QUAL_PASS = 0, /* "+" (the default) */
    INK_SPF_QUAL_FAIL,     /* "-" */
    INK_SPF_QUAL_SOFTFAIL, /* "~" */
    INK_SPF_QUAL_NEUTRAL   /* "?" */
};

enum ink_spf_kind {
    INK_SPF_T_INVALID = 0, /* could not be read; see the record's errors */
    /* mechanisms */
    INK_SPF_T_ALL,
    INK_SPF_T_INCLUDE,
    INK_SPF_T_A,
    INK_SPF_T_MX,
    INK_SPF_T_PTR,
    INK_SPF_T_IP4,
    INK_SPF_T_IP6,
    INK_SPF_T_EXISTS,
    /* modifiers */
    INK_SPF_T_REDIRECT,
    INK_SPF_T_EXP,
    INK_SPF_T_UNKNOWN_MOD /* name=value, ignored by evaluation */
};

/* A piece of the record text: p points into the record's own copy of the
 * text (valid while the record lives), off is the byte offset from the
 * start of the record ("v=spf1" is at 0). */
struct ink_spf_span {
    const char *p;
    size_t off;
    size_t len;
};

/* Term flags. */
#define INK_SPF_TF_QUALIFIED 0x01 /* the qualifier was written out */
#define INK_SPF_TF_DOMAIN 0x02    /* a domain-spec (or modifier value) is present */
#define INK_SPF_TF_CIDR4 0x04     /* an IPv4 prefix length was written */
#define INK_SPF_TF_CIDR6 0x08     /* an IPv6 prefix length was written ("//n" for a/mx) */
#define INK_SPF_TF_MACRO 0x10     /* the domain-spec/value holds macros */
#define INK_SPF_TF_MACRO_P 0x20   /* ... one of which is %{p} */
#define INK_SPF_TF_EXP_ONLY 0x40  /* ... using c, r or t (valid only in explanations) */

/* One directive or modifier. */
struct ink_spf_term {
    enum ink_spf_kind kind;
    enum ink_spf_qualifier qual; /* mechanisms only */
    unsigned flags;              /* INK_SPF_TF_* */
    struct ink_spf_span text;    /* the whole term as written */
    struct ink_spf_span name;    /* mechanism or modifier name as written */
    /* include/a/mx/ptr/exists: the domain-spec; redirect/exp: the value;
     * unknown modifiers: the value; ip4/ip6: the network as written
     * (without the prefix length).  len 0 when absent. */
    struct ink_spf_span arg;
    uint8_t addr[16];  /* ip4 (first 4 bytes) / ip6 network, host bits as written */
    uint8_t cidr4;     /* a/mx/ip4 prefix length: 32 when not written */
    uint8_t cidr6;     /* a/mx/ip6 prefix length: 128 when not written */
};

/* Parse diagnostics. */
enum ink_spf_error {
    INK_SPF_E_VERSION = 1,   /* does not start with "v=spf1" then space or end */
    INK_SPF_E_TOO_LONG,      /* record over INK_SPF_RECORD_MAX or too many terms */
    INK_SPF_E_BAD_BYTE,      /* non-ASCII or control byte */
    INK_SPF_E_UNKNOWN,       /* unknown mechanism (or a term that is neither) */
    INK_SPF_E_SYNTAX,        /* malformed term (missing/extra argument, ...) */
    INK_SPF_E_DOMAIN,        /* malformed domain-spec */
    INK_SPF_E_MACRO,         /* malformed macro */
    INK_SPF_E_CIDR,          /* malformed or out-of-range prefix length */
    INK_SPF_E_ADDR,          /* malformed ip4/ip6 network */
    INK_SPF_E_DUPLICATE,     /* redirect= or exp= given twice */
    INK_SPF_E_MODIFIER       /* malformed modifier name or value */
};

struct ink_spf_diag {
    enum ink_spf_error code;
    size_t off;         /* byte offset in the record (0-based column) */
    size_t len;         /* length of the offending part (may be 0) */
    const char *reason; /* static English text, e.g. "unknown mechanism" */
};

struct ink_spf_record; /* opaque */

/* ink_spf_record_is_spf - does this TXT string (joined) select as an SPF
 * record: "v=spf1" (case-insensitive) followed by a space or the end
 * (section 4.5).  Records that do not are ignored, not errors. */
int ink_spf_record_is_spf(const uint8_t *buf, size_t len);

/* ink_spf_record_select - among the TXT records of answer (status OK; other
 * types, e.g. the CNAMEs of a chain, are skipped) count those that select
 * as SPF records; *first (if non-NULL) gets the index in answer->rr of the
 * first one.  More than one is a permerror for check_host() (4.5). */
size_t ink_spf_record_select(const struct ink_dns_answer *answer, size_t *first);

/*
 * ink_spf_record_parse - parse one SPF record of len bytes (no NUL needed;
 * the text is copied).  Always returns a record (NULL only on ENOMEM):
 * check ink_spf_record_nerrors().  After an error the parser resumes at the
 * next space, so a linter sees every problem.  Caller owns the record
 * (ink_spf_record_free).
 */
struct ink_spf_record *ink_spf_record_parse(const uint8_t *buf, size_t len);
/* ink_spf_record_free - release; NULL is a no-op */
void ink_spf_record_free(struct ink_spf_record *r);

/* The record's text (NUL-terminated copy; *len gets its length if non-NULL).
 * Empty for a record refused as too long (INK_SPF_E_TOO_LONG). */
const char *ink_spf_record_text(const struct ink_spf_record *r, size_t *len);
/* Terms in order (the version is not a term).  i < nterms. */
size_t ink_spf_record_nterms(const struct ink_spf_record *r);
const struct ink_spf_term *ink_spf_record_term(const struct ink_spf_record *r, size_t i);
/* Diagnostics in order of offset.  i < nerrors. */
size_t ink_spf_record_nerrors(const struct ink_spf_record *r);
const struct ink_spf_diag *ink_spf_record_error(const struct ink_spf_record *r, size_t i);
/* The redirect= and exp= terms, or NULL. */
const struct ink_spf_term *ink_spf_record_redirect(const struct ink_spf_record *r);
const struct ink_spf_term *ink_spf_record_exp(const struct ink_spf_record *r);

/* ink_spf_record_format - append "v=spf1" and every valid term, one space
 * apart, to out (canonical form: lower-case names, qualifier only when it
 * was written, addresses as RFC 5952 text).  0 or -1 on ENOMEM. */
int ink_spf_record_format(const struct ink_spf_record *r, struct ink_str *out);
/* ink_spf_term_format - append one term in the same canonical form.  The
 * term may be a caller-built one (its arg span need only have p and len). */
int ink_spf_term_format(const struct ink_spf_term *t, struct ink_str *out);

/* ink_spf_kind_name - "all", "include", ..., "redirect", "exp", "unknown-modifier", "invalid" */
const char *ink_spf_kind_name(enum ink_spf_kind k);
/* ink_spf_kind_is_mechanism - 1 for all..exists */
int ink_spf_kind_is_mechanism(enum ink_spf_kind k);
/* ink_spf_kind_counts_lookup - 1 for the terms counted against
 * INK_SPF_DNS_LOOKUP_MAX: include a mx ptr exists redirect */
int ink_spf_kind_counts_lookup(enum ink_spf_kind k);
/* ink_spf_qualifier_char - '+', '-', '~', '?' */
char ink_spf_qualifier_char(enum ink_spf_qualifier q);

/* ---- macros (section 7) ------------------------------------------------ */

/* Everything a macro can refer to.  Strings need not be NUL-terminated. */
struct ink_spf_macro_ctx {
    const char *sender;        /* %{s}: <sender>, "local@domain" */
    size_t sender_len;
    const char *local;         /* %{l}: local-part of <sender> */
    size_t local_len;
    const char *sender_domain; /* %{o}: domain of <sender> */
    size_t sender_domain_len;
    const char *domain;        /* %{d}: the current <domain> */
    size_t domain_len;
    const char *helo;          /* %{h}: HELO/EHLO domain */
    size_t helo_len;
    const char *receiver;      /* %{r}: receiving host; NULL gives "unknown" */
    size_t receiver_len;
    const char *validated;     /* %{p}: validated name, or NULL when not yet
                                * known (the expander then says NEED_P) */
    size_t validated_len;
    int family;                /* 4 or 6: %{i}, %{c}, %{v} */
    uint8_t ip[16];            /* the client address (4 or 16 bytes used) */
    int64_t now;               /* %{t}: seconds since the epoch */
};

/* Expansion modes. */
enum ink_spf_macro_mode {
    INK_SPF_MACRO_DOMAIN = 0, /* a domain-spec: c, r, t are errors; the
                               * result is cut to INK_DNS_NAME_MAX by
                               * dropping left labels (section 7.3) */
    INK_SPF_MACRO_EXPLAIN     /* an explanation string: every letter */
};

enum ink_spf_macro_rc {
    INK_SPF_MACRO_OK = 0,
    INK_SPF_MACRO_ERROR = -1,  /* syntax error: *err says where and why */
    INK_SPF_MACRO_NEED_P = 1,  /* %{p} used and ctx->validated is NULL */
    INK_SPF_MACRO_NOMEM = -2
};

/*
 * ink_spf_macro_expand - expand the macro-string spec (len bytes) into out
 * (appended).  Upper-case letters URL-escape their value (section 7.3).
 * On error err (if non-NULL) gets the byte offset in spec and a reason, and
 * out is left as it was.
 */
enum ink_spf_macro_rc ink_spf_macro_expand(const char *spec, size_t len,
                                           enum ink_spf_macro_mode mode,
                                           const struct ink_spf_macro_ctx *ctx,
                                           struct ink_str *out, struct ink_spf_diag *err);
/* ink_spf_macro_check - syntax-check a macro-string without expanding;
 * returns 0 or -1 with *err set.  *flags (if non-NULL) gets
 * INK_SPF_TF_MACRO / _MACRO_P / _EXP_ONLY as found. */
int ink_spf_macro_check(const char *spec, size_t len, unsigned *flags,
                        struct ink_spf_diag *err);

/* ---- evaluation (check_host) -------------------------------------------- */

/* Evaluation flags. */
#define INK_SPF_EF_TREE 0x01 /* keep the tree of records visited (for --json) */

/* Limits (0 in a field means the RFC default constant). */
struct ink_spf_limits {
    unsigned dns_lookups;  /* INK_SPF_DNS_LOOKUP_MAX */
    unsigned void_lookups; /* INK_SPF_VOID_LOOKUP_MAX */
    unsigned mx_names;     /* INK_SPF_MX_NAMES_MAX */
    unsigned ptr_names;    /* INK_SPF_PTR_NAMES_MAX */
};

struct ink_spf_params {
    int family;            /* 4 or 6 */
    uint8_t ip[16];        /* client address; an IPv4-mapped IPv6 address
                            * (::ffff:a.b.c.d) is evaluated as IPv4 */
    const char *mail_from; /* MAIL FROM address (bare or as "<a@b>"); NULL,
                            * "" or "<>" checks the HELO identity:
                            * <sender> = postmaster@HELO.  The domain is
                            * what follows the last '@'; an empty local-part
                            * becomes "postmaster" */
    const char *helo;      /* HELO/EHLO name (required when mail_from is empty) */
    const char *receiver;  /* %{r}; NULL gives "unknown" */
    int64_t now;           /* %{t}: seconds since the epoch (injected clock) */
    const char *default_explanation; /* macro-string used for fail when the
                            * record has no usable exp=; NULL gives
                            * INK_SPF_DEFAULT_EXPLANATION */
    struct ink_spf_limits limits;
    unsigned flags;        /* INK_SPF_EF_* */
};

#define INK_SPF_DEFAULT_EXPLANATION "%{i} is not one of %{d}'s designated mail servers"

struct ink_spf; /* opaque: one check_host() evaluation */

/*
 * ink_spf_new - start check_host(<ip>, <domain>, <sender>) where <sender>
 * and <domain> come from mail_from (or postmaster@helo).  The strings in p
 * are copied.  Never NULL except on ENOMEM; a malformed identity still gives
 * an evaluation whose result is decided at the first step (none, as
 * section 4.3 says).  NULL p gives NULL.  Caller owns it (ink_spf_free).
 *
 * Choices where RFC 7208 leaves room (each covered by tests):
 *   - %{i} of an IPv6 client writes its nibbles in upper-case hex (DNS
 *     ignores case; explanations then read as the conformance suite and
 *     pyspf have them);
 *   - a target name that cannot be queried after macro expansion (empty
 *     label, label over 63, over 253 bytes when no label can be dropped)
 *     does not match; an include of one is a permerror;
 *   - "ptr" validates only the PTR names at or under its target (the
 *     result is the same; fewer queries);
 *   - a CNAME loop or chain too long is a DNS error (temperror), except in
 *     ptr and %{p}, where section 5.5 says to skip the name.
 */
struct ink_spf *ink_spf_new(const struct ink_spf_params *p);
/* ink_spf_free - release; NULL is a no-op */
void ink_spf_free(struct ink_spf *ev);

/*
 * ink_spf_next - run until a DNS answer is needed or the result is known.
 * INK_NEXT_READY: *q is the one query to send (q->name owned by ev, valid
 * until the next ink_spf_next/ink_spf_feed); INK_NEXT_WAIT: that query is
 * out, feed it; INK_NEXT_DONE: the result is ready (and stays so).  Never
 * INK_NEXT_FAILED: running out of memory ends in temperror.
 */
enum ink_next ink_spf_next(struct ink_spf *ev, struct ink_query *q);
/*
 * ink_spf_feed - the answer to the query handed out with token (borrowed:
 * nothing of it is kept after the call).  A NULL answer, or one whose
 * qname/qtype is not the question (ink_query_answer_fits), is a DNS error
 * at that point: what RFC 7208 says for one (temperror for a record or
 * mechanism lookup; the name is skipped in ptr and %{p}).  0, or -1 when
 * token is not the outstanding query (nothing changes).
 */
int ink_spf_feed(struct ink_spf *ev, uint32_t token, const struct ink_dns_answer *answer);
/* ink_spf_machine - ev as a machine for a driver (kind "spf"); ev stays
 * the caller's */
struct ink_machine ink_spf_machine(struct ink_spf *ev);

/* ---- SPF record editing ---------------------------------------------------- */

/*
 * One editor for SPF record text, shared by the lint's fixes, the audit
 * and provisioning: each call returns a new record string and never
 * changes its input.  Whatever the edit, the result
 *   - keeps the "v=spf1" version (no edit may touch it) and gets no second
 *     one (text holding a "v=spf1" term is refused), so it stays one
 *     record;
 *   - keeps the qualifier of every "all" it does not replace or remove
 *     whole (an edit that starts or ends inside an all term is refused).
 * Lengths are not limited to one 255-byte string: a zone writer splits
 * (ink_spf_lint_zone_line).
 *
 * Return codes: INK_SPF_EDIT_OK with *out set (caller frees), else *out is
 * NULL and the code says why.
 */
#define INK_SPF_EDIT_OK 0
#define INK_SPF_EDIT_NOMEM (-1)
#define INK_SPF_EDIT_REFUSED (-2) /* breaks a rule above, a span out of the
                                   * record, overlapping edits, or (insert)
                                   * a record that is not SPF or no terms */
/* Edits one ink_spf_edit_apply() call accepts. */
#define INK_SPF_EDITS_MAX INK_SPF_TERMS_MAX

/* Replace rec[off, off+len) by text; text NULL removes the span and the
 * spaces just before it (removing a term cleanly); len 0 inserts. */
struct ink_spf_edit {
    size_t off;
    size_t len;
    const char *text; /* NUL-terminated, or NULL */
};

/* ink_spf_edit_apply - apply n edits, all given with offsets in the
 * original rec (any order; none may overlap another) */
int ink_spf_edit_apply(const char *rec, size_t len, const struct ink_spf_edit *e, size_t n,
                       char **out);
/* ink_spf_edit_replace - one edit: rec[off, off+span) becomes text */
int ink_spf_edit_replace(const char *rec, size_t len, size_t off, size_t span, const char *text,
                         char **out);
/* ink_spf_edit_remove - one edit: rec[off, off+span) and the spaces
 * before it go */
int ink_spf_edit_remove(const char *rec, size_t len, size_t off, size_t span, char **out);
/*
 * ink_spf_edit_insert - terms (one or more, space-separated; surrounding
 * spaces ignored) put before the first "all" (whatever its qualifier) or
 * "redirect=" term, so they are evaluated; appended after the last term
 * when there is neither.  Trailing spaces of rec stay where they are.
 */
int ink_spf_edit_insert(const char *rec, size_t len, const char *terms, char **out);

/* ---- results of a finished evaluation ---------------------------------- */

enum ink_spf_result ink_spf_result(const struct ink_spf *ev);
/* Explanation for a fail (exp= text, or the default), else NULL.  It may
 * carry any byte of the sender (%{l}, %{s}): print it with
 * ink_str_put_printable(). */
const char *ink_spf_explanation(const struct ink_spf *ev);
/* Why the result is what it is, for people (complete once ink_spf_next
 * said DONE; untrusted names in it are made printable), e.g.
 * "matched '-all' in the record of example.com", "no SPF record at
 * example.com", "syntax error in the SPF record of example.com at column
 * 12: unknown mechanism ('foo')", "more than 10 DNS-querying terms (in
 * example.com)".  Never NULL. */
const char *ink_spf_reason(const struct ink_spf *ev);
/* The term that decided, as written in its record (e.g. "-all",
 * "include:_spf.example.net"), and the
 * domain whose record holds it; NULL when no term decided (no record,
 * default neutral, errors outside a term). */
const char *ink_spf_decided_term(const struct ink_spf *ev);
const char *ink_spf_decided_domain(const struct ink_spf *ev);
/* The innermost mechanism that matched and its domain: differs from the
 * decided term when an include decided (e.g. decided "include:_spf.x.net",
 * matched "ip4:192.0.2.0/24" in _spf.x.net).  NULL when none matched. */
const char *ink_spf_matched_term(const struct ink_spf *ev);
const char *ink_spf_matched_domain(const struct ink_spf *ev);
/* The <domain> and <sender> checked (after the HELO substitution). */
const char *ink_spf_domain(const struct ink_spf *ev);
const char *ink_spf_sender(const struct ink_spf *ev);
/* Counters: lookups counted against INK_SPF_DNS_LOOKUP_MAX (one more than
 * the limit when the limit ended the evaluation), void lookups, and every
 * DNS query asked (including record, address, exp= and %{p} lookups). */
unsigned ink_spf_dns_lookups(const struct ink_spf *ev);
unsigned ink_spf_void_lookups(const struct ink_spf *ev);
unsigned ink_spf_queries(const struct ink_spf *ev);

/* The tree of records visited (with INK_SPF_EF_TREE; NULL otherwise).
 * Owned by the evaluation. */
struct ink_spf_node {
    char *domain;              /* the domain whose record this is */
    char *record;              /* the SPF record text, NULL if none was found */
    const char *via;           /* "check_host" (root), "include" or "redirect" */
    enum ink_spf_result result;/* the check_host() result for this domain */
    char *error;               /* why it is none/temperror/permerror, or NULL */
    struct ink_spf_node *child;/* first record reached from this one */
    struct ink_spf_node *next; /* next sibling */
    struct ink_spf_node *parent; /* NULL for the root */
};
const struct ink_spf_node *ink_spf_tree(const struct ink_spf *ev);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
