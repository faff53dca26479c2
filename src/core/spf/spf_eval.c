/*
 * spf_eval.c - check_host() of RFC 7208 (sections 4, 5, 6 and 11) as a
 * resumable, sans-I/O state machine.
 *
 * The evaluation is a stack of frames, one per record being evaluated
 * (the root, then one per include; a redirect replaces its frame).  At any
 * time at most one DNS query is outstanding, so the per-mechanism state
 * (the MX or PTR names being walked, the target name) lives once in the
 * evaluation, not per frame.  ink_spf_next() runs the machine until it needs
 * a query and hands it out once (then says WAIT); ink_spf_feed() checks
 * the token and that the answer fits the question, then gives it (or NULL,
 * a DNS error) to the handler of the state that asked, which moves the
 * machine on.
 *
 * Memory: the evaluation struct, one parsed record per open frame (one
 * allocation each, never re-parsed), a small frame array and a few
 * scratch strings reused across terms.  The tree of records visited is
 * only built when asked for (INK_SPF_EF_TREE).
 */
#include "inkan/spf.h"
#include "spf_int.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Frames allocated at first; the array doubles as includes nest. */
#define SPF_FRAMES_INITIAL 4
/* Longest receiver (%{r}) name kept. */
#define SPF_RECEIVER_MAX INK_DNS_NAME_MAX

enum spf_op {
    OP_START = 0,
    OP_RECORD,       /* waiting: TXT of a frame's domain */
    OP_TERMS,        /* evaluating the top frame's terms */
    OP_A,            /* waiting: A/AAAA of an "a" target */
    OP_MX,           /* waiting: MX of an "mx" target */
    OP_MX_ADDR,      /* waiting: A/AAAA of one exchange */
    OP_PTR,          /* waiting: PTR of the client ("ptr") */
    OP_PTR_ADDR,     /* waiting: A/AAAA of one PTR name ("ptr") */
    OP_EXISTS,       /* waiting: A of an "exists" target */
    OP_P_PTR,        /* waiting: PTR of the client (%{p}) */
    OP_P_ADDR,       /* waiting: A/AAAA of one PTR name (%{p}) */
    OP_EXPLAIN,      /* a fail: start on the explanation */
    OP_EXP,          /* waiting: TXT of the exp= target */
    OP_EXPLAIN_TEXT, /* expand the explanation text held in exptext */
    OP_DONE
};

/* Where a frame's record came from. */
enum spf_via { VIA_ROOT = 0, VIA_INCLUDE, VIA_REDIRECT };

struct spf_frame {
    struct ink_spf_record *rec; /* NULL while its TXT query is out */
    struct ink_spf_node *node;  /* tree node (INK_SPF_EF_TREE) */
    unsigned serial;            /* which record fetch this is (for %{p}) */
    uint16_t term;              /* index of the term being evaluated */
    uint8_t via;                /* enum spf_via of the frame as pushed */
    uint8_t redirected;         /* a redirect replaced the record */
    char domain[INK_DNS_NAME_MAX + 1];
};

struct ink_spf {
    /* identity (section 4.1) */
    int family;
    uint8_t ip[16];
    char sender[INK_SPF_SENDER_MAX + 1];
    size_t sender_len, local_len; /* local-part is sender[0..local_len) */
    char helo[INK_DNS_NAME_MAX + 1];
    size_t helo_len;
    char *receiver;               /* owned copy, or NULL */
    char *default_exp;            /* owned copy, or NULL for the built-in */
    int64_t now;
    struct ink_spf_limits lim;
    unsigned flags;

    /* machine */
    enum spf_op op;
    int waiting;                  /* a query is pending (asked by the machine) */
    int handed;                   /* ... and next() has handed it out */
    uint32_t token;               /* the pending query's token */
    char qname[INK_DNS_NAME_MAX + 2]; /* normalised: lower case, no final dot */
    uint16_t qtype;
    struct spf_frame *frames;
    size_t nframes, maxframes;
    unsigned serial;
    unsigned lookups, voids, queries;

    /* per-mechanism state */
    char target[INK_DNS_NAME_MAX + 1];
    struct ink_str names;         /* NUL-separated names (MX exchanges, PTR names) */
    size_t name_off;              /* offset of the name being looked up */
    struct ink_str scratch;       /* macro expansions */

    /* %{p} */
    enum spf_op p_return;
    unsigned p_serial;            /* frame serial the validated name is for; 0 none */
    int p_rank;
    char pname[INK_DNS_NAME_MAX + 1];
    size_t pname_len;

    /* explanation */
    struct ink_str exptext;
    int exp_default;              /* exptext is the default explanation */

    /* results */
    enum ink_spf_result result;
    struct ink_str reason, explanation, decided, decided_domain, matched, matched_domain;
    int has_explanation;
    int err_term_set;             /* decided names the term at fault */
    int reason_done;              /* finish_reason ran */
    struct ink_spf_node *tree;
};

static void frame_finish(struct ink_spf *ev, enum ink_spf_result r, int by_match);

/* ---- small helpers ------------------------------------------------------ */

/* lc - ASCII lower-case */
static int lc(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* name_eq_n - case-insensitive equality of two names, each of given length,
 * ignoring one trailing dot on either */
static int name_eq_n(const char *a, size_t al, const char *b, size_t bl)
{
    size_t i;

    if (al > 0 && a[al - 1] == '.')
        al--;
    if (bl > 0 && b[bl - 1] == '.')
        bl--;
    if (al != bl)
        return 0;
    for (i = 0; i < al; i++)
        if (lc((unsigned char)a[i]) != lc((unsigned char)b[i]))
            return 0;
    return 1;
}

/* name_under - 1 if name equals parent, 2 if it is a proper subdomain, else 0 */
static int name_under(const char *name, const char *parent)
{
    size_t nl = strlen(name), pl = strlen(parent);

    if (nl > 0 && name[nl - 1] == '.')
        nl--;
    if (pl > 0 && parent[pl - 1] == '.')
        pl--;
    if (name_eq_n(name, nl, parent, pl))
        return 1;
    if (nl > pl && name[nl - pl - 1] == '.' && name_eq_n(name + nl - pl, pl, parent, pl))
        return 2;
    return 0;
}

/* dns_name_ok - can a query be made for this name: after one trailing dot
 * is dropped, 1..253 bytes, labels 1..63 bytes */
static int dns_name_ok(const char *s, size_t len)
{
    size_t i, lab = 0;

    if (len > 0 && s[len - 1] == '.')
        len--;
    if (len == 0 || len > INK_DNS_NAME_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (lab == 0)
                return 0;
            lab = 0;
        } else if (++lab > INK_DNS_LABEL_MAX) {
            return 0;
        }
    }
    return lab > 0;
}

/* identity_domain_ok - section 4.3: a well-formed, multi-label domain name
 * whose last label is a valid top label (so IP and domain literals fail) */
static int identity_domain_ok(const char *s, size_t len)
{
    const char *dot;
    size_t end = len;

    if (!dns_name_ok(s, len))
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '@')
            return 0; /* not a host name: no query for it */
    if (s[end - 1] == '.')
        end--;
    dot = NULL;
    for (size_t i = 0; i < end; i++)
        if (s[i] == '.')
            dot = s + i;
    if (dot == NULL)
        return 0;
    return spf_toplabel_ok(dot + 1, (size_t)(s + end - dot - 1));
}

/* ip_in_net - does addr (alen bytes) share its first bits bits with net */
static int ip_in_net(const uint8_t *addr, const uint8_t *net, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;

    if (full > 0 && memcmp(addr, net, full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    return ((addr[full] ^ net[full]) & (uint8_t)(0xff00 >> rest)) == 0;
}

/* answer_status - the status of an answer, NULL taken as a timeout */
static enum ink_dns_status answer_status(const struct ink_dns_answer *a)
{
    return a == NULL ? INK_DNS_TIMEOUT : a->status;
}

/* is_temp - SERVFAIL or TIMEOUT (RCODE other than 0 and 3) */
static int is_temp(enum ink_dns_status st)
{
    return st == INK_DNS_SERVFAIL || st == INK_DNS_TIMEOUT;
}

/* top - the innermost frame */
static struct spf_frame *top(struct ink_spf *ev)
{
    return &ev->frames[ev->nframes - 1];
}

/* cur_term - the term the top frame is evaluating */
static const struct ink_spf_term *cur_term(struct ink_spf *ev)
{
    struct spf_frame *f = top(ev);

    return ink_spf_record_term(f->rec, f->term);
}

/* nomem - give up with a temporary error */
static void nomem(struct ink_spf *ev)
{
    ink_str_truncate(&ev->reason, 0);
    ink_str_puts(&ev->reason, "out of memory");
    ev->result = INK_SPF_TEMPERROR;
    ev->waiting = 0;
    ev->op = OP_DONE;
}

/* ask - issue a query and move to the state that handles its answer */
static void ask(struct ink_spf *ev, const char *name, size_t len, uint16_t type, enum spf_op op)
{
    size_t i;

    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len >= sizeof(ev->qname))
        len = sizeof(ev->qname) - 1;
    memmove(ev->qname, name, len);
    ev->qname[len] = '\0';
    for (i = 0; i < len; i++)
        ev->qname[i] = (char)lc((unsigned char)ev->qname[i]);
    ev->qtype = type;
    ev->op = op;
    ev->waiting = 1;
    ev->handed = 0;
    ev->queries++;
    /* one query at a time, so the query's number is a unique token */
    ev->token = ev->queries;
}

/* addr_type - A for an IPv4 client, AAAA for IPv6 */
static uint16_t addr_type(const struct ink_spf *ev)
{
    return ev->family == 4 ? INK_DNS_A : INK_DNS_AAAA;
}

/* reverse_name - the in-addr.arpa / ip6.arpa name of the client */
static size_t reverse_name(const struct ink_spf *ev, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    int i;

    if (ev->family == 4) {
        for (i = 3; i >= 0; i--) {
            unsigned v = ev->ip[i];
            if (v >= 100)
                buf[n++] = (char)('0' + v / 100);
            if (v >= 10)
                buf[n++] = (char)('0' + v / 10 % 10);
            buf[n++] = (char)('0' + v % 10);
            buf[n++] = '.';
        }
        memcpy(buf + n, "in-addr.arpa", 13);
        return n + 12;
    }
    for (i = 15; i >= 0; i--) {
        buf[n++] = hex[ev->ip[i] & 15];
        buf[n++] = '.';
        buf[n++] = hex[ev->ip[i] >> 4];
        buf[n++] = '.';
    }
    memcpy(buf + n, "ip6.arpa", 9);
    return n + 8;
}

/* set_str - replace s with len bytes of p */
static void set_str(struct ink_str *s, const char *p, size_t len)
{
    ink_str_truncate(s, 0);
    ink_str_append(s, p, len);
}

/* set_reason - record why (only the first cause is kept) */
static void set_reason(struct ink_spf *ev, const char *fmt, const char *a, size_t alen,
                       const char *b, size_t blen)
{
    size_t i;

    if (ev->reason.len > 0)
        return;
    /* fmt holds at most two %s, filled with printable copies of a and b */
    for (i = 0; fmt[i] != '\0'; i++) {
        if (fmt[i] == '%' && fmt[i + 1] == 's') {
            ink_str_put_printable(&ev->reason, a, alen, 256);
            a = b;
            alen = blen;
            i++;
        } else {
            ink_str_putc(&ev->reason, fmt[i]);
        }
    }
}

/* set_decided - remember the term that decided and its domain */
static void set_decided(struct ink_spf *ev, const struct ink_spf_term *t, const char *domain)
{
    set_str(&ev->decided, t->text.p, t->text.len); /* as written in the record */
    set_str(&ev->decided_domain, domain, strlen(domain));
}

/* set_err_term - the term at fault in an error result: the first one named
 * (an error inside an include is the inner term, not the include) */
static void set_err_term(struct ink_spf *ev, const struct ink_spf_term *t)
{
    if (ev->err_term_set)
        return;
    set_decided(ev, t, top(ev)->domain);
    ev->err_term_set = 1;
}

/* fail_eval - end the evaluation (from the current frame up) with an
 * error result, naming the term at fault when there is one */
static void fail_eval(struct ink_spf *ev, enum ink_spf_result r, const struct ink_spf_term *t,
                      const char *fmt, const char *a, size_t alen)
{
    struct spf_frame *f = top(ev);

    if (t != NULL)
        set_err_term(ev, t);
    set_reason(ev, fmt, a, alen, f->domain, strlen(f->domain));
    frame_finish(ev, r, 0);
}

/* ---- tree ---------------------------------------------------------------- */

/* node_new - a tree node under parent (NULL: the root) */
static struct ink_spf_node *node_new(struct ink_spf *ev, struct ink_spf_node *parent,
                                     const char *domain, const char *via)
{
    struct ink_spf_node *n, **pp;

    if (!(ev->flags & INK_SPF_EF_TREE))
        return NULL;
    n = calloc(1, sizeof(*n));
    if (n == NULL)
        return NULL;
    n->domain = ink_memdup_cstr(domain, strlen(domain));
    if (n->domain == NULL) {
        free(n);
        return NULL;
    }
    n->via = via;
    n->result = INK_SPF_NONE;
    n->parent = parent;
    if (parent == NULL) {
        ev->tree = n;
    } else {
        for (pp = &parent->child; *pp != NULL; pp = &(*pp)->next)
            ;
        *pp = n;
    }
    return n;
}

/* node_free - free a subtree */
static void node_free(struct ink_spf_node *n)
{
    while (n != NULL) {
        struct ink_spf_node *next = n->next;
        node_free(n->child);
        free(n->domain);
        free(n->record);
        free(n->error);
        free(n);
        n = next;
    }
}

/* ---- frames -------------------------------------------------------------- */

/* frame_push - open a frame for domain and ask for its record */
static int frame_push(struct ink_spf *ev, const char *domain, size_t len, enum spf_via via)
{
    struct spf_frame *f;
    struct ink_spf_node *parent = ev->nframes > 0 ? top(ev)->node : NULL;

    if (ev->nframes >= INK_SPF_DEPTH_MAX)
        return -1;
    if (ev->nframes == ev->maxframes) {
        size_t n = ev->maxframes == 0 ? SPF_FRAMES_INITIAL : ev->maxframes * 2;
        struct spf_frame *nf = realloc(ev->frames, n * sizeof(*nf));
        if (nf == NULL)
            return -2;
        ev->frames = nf;
        ev->maxframes = n;
    }
    f = &ev->frames[ev->nframes++];
    memset(f, 0, offsetof(struct spf_frame, domain));
    if (len > 0 && domain[len - 1] == '.')
        len--;
    memmove(f->domain, domain, len);
    f->domain[len] = '\0';
    f->via = (uint8_t)via;
    f->node = node_new(ev, parent, f->domain, via == VIA_ROOT ? "check_host" : "include");
    ask(ev, f->domain, len, INK_DNS_TXT, OP_RECORD);
    return 0;
}

/* node_finish - note a frame's result (and why) in the tree, up through
 * the redirects that led to it */
static void node_finish(struct ink_spf *ev, struct spf_frame *f, enum ink_spf_result r)
{
    struct ink_spf_node *n = f->node;

    while (n != NULL) {
        n->result = r;
        if (n->error == NULL && (r == INK_SPF_PERMERROR || r == INK_SPF_TEMPERROR ||
                                 r == INK_SPF_NONE) && ev->reason.len > 0)
            n->error = ink_memdup_cstr(ev->reason.buf, ev->reason.len);
        if (n->via == NULL || strcmp(n->via, "redirect") != 0)
            break;
        n = n->parent;
    }
}

/* frame_match - the current term of the top frame matched */
static void frame_match(struct ink_spf *ev, const struct ink_spf_term *t)
{
    static const enum ink_spf_result qres[] = {INK_SPF_PASS, INK_SPF_FAIL, INK_SPF_SOFTFAIL,
                                                INK_SPF_NEUTRAL};
    struct spf_frame *f = top(ev);

    set_decided(ev, t, f->domain);
    if (t->kind != INK_SPF_T_INCLUDE) {
        set_str(&ev->matched, t->text.p, t->text.len);
        set_str(&ev->matched_domain, f->domain, strlen(f->domain));
    }
    frame_finish(ev, qres[t->qual], 1);
}

/* frame_finish - the top frame's check_host() is over with result r:
 * finish the evaluation at the root, or hand the result to the include
 * that opened the frame (section 5.2) */
static void frame_finish(struct ink_spf *ev, enum ink_spf_result r, int by_match)
{
    struct spf_frame *f = top(ev);
    const struct ink_spf_term *inc;
    const char *child;

    if (f->redirected && r == INK_SPF_NONE) {
        /* section 6.1: a redirect to a domain without a record */
        set_reason(ev, "redirect target %s has no SPF record", f->domain, strlen(f->domain),
                   NULL, 0);
        r = INK_SPF_PERMERROR;
    }
    node_finish(ev, f, r);
    ev->waiting = 0;
    if (ev->nframes == 1) {
        /* Only a term that matched at this level, or the term at fault,
         * decided; forget matches inside includes that did not count. */
        if (!by_match && !ev->err_term_set) {
            ink_str_truncate(&ev->decided, 0);
            ink_str_truncate(&ev->decided_domain, 0);
        }
        if (!by_match) {
            ink_str_truncate(&ev->matched, 0);
            ink_str_truncate(&ev->matched_domain, 0);
        }
        ev->result = r;
        ev->op = r == INK_SPF_FAIL ? OP_EXPLAIN : OP_DONE;
        return;
    }
    ink_spf_record_free(f->rec);
    f->rec = NULL;
    child = f->domain; /* stays valid: the array slot is not reused before the next push */
    ev->nframes--;
    f = top(ev);
    inc = cur_term(ev);
    switch (r) {
    case INK_SPF_PASS:
        frame_match(ev, inc);
        break;
    case INK_SPF_FAIL:
    case INK_SPF_SOFTFAIL:
    case INK_SPF_NEUTRAL:
        f->term++;
        ev->op = OP_TERMS;
        break;
    case INK_SPF_TEMPERROR:
        set_err_term(ev, inc);
        frame_finish(ev, INK_SPF_TEMPERROR, 0);
        break;
    case INK_SPF_NONE:
        set_err_term(ev, inc);
        set_reason(ev, "included domain %s has no SPF record (include in %s)", child,
                   strlen(child), f->domain, strlen(f->domain));
        frame_finish(ev, INK_SPF_PERMERROR, 0);
        break;
    case INK_SPF_PERMERROR:
    default:
        set_err_term(ev, inc);
        frame_finish(ev, INK_SPF_PERMERROR, 0);
        break;
    }
}

/* ---- %{p} (section 7.3, validated domain name as in 5.5) ----------------- */

/* p_start - look up the validated name of the client, then resume at ret.
 * During term evaluation the caller has counted the PTR query against the
 * lookup limit (section 4.6.4: "the ptr mechanism or the %{p} macro");
 * for the explanation it is not counted, as exp= itself is not. */
static void p_start(struct ink_spf *ev, enum spf_op ret)
{
    char rev[80];
    size_t n = reverse_name(ev, rev);

    ev->p_return = ret;
    ev->p_rank = 0;
    ev->pname_len = 0;
    ask(ev, rev, n, INK_DNS_PTR, OP_P_PTR);
}

/* p_done - the validated name is known ("unknown" when none) */
static void p_done(struct ink_spf *ev)
{
    if (ev->p_rank == 0) {
        memcpy(ev->pname, "unknown", 8);
        ev->pname_len = 7;
    }
    ev->p_serial = top(ev)->serial;
    ev->waiting = 0;
    ev->op = ev->p_return;
}

/* collect_names - copy the names of answer's records of type into
 * ev->names (at most max); returns how many records of the type there
 * were in all */
static size_t collect_names(struct ink_spf *ev, const struct ink_dns_answer *a, uint16_t type,
                            size_t max, const char *under)
{
    size_t i, total = 0, kept = 0;

    ink_str_truncate(&ev->names, 0);
    ev->name_off = 0;
    for (i = 0; i < a->nrr; i++) {
        const char *nm = a->rr[i].name;
        if (a->rr[i].type != type || nm == NULL)
            continue;
        total++;
        if (kept >= max)
            continue;
        kept++;
        if (nm[0] == '\0' || (under != NULL && !name_under(nm, under)))
            continue; /* null MX, or a PTR name that cannot match */
        if (ink_str_append(&ev->names, nm, strlen(nm) + 1) < 0) {
            nomem(ev);
            return 0;
        }
    }
    return total;
}

/* next_name - ask for the addresses of the name at ev->name_off; 0 when
 * there is none left */
static int next_name(struct ink_spf *ev, enum spf_op op)
{
    const char *nm;

    while (ev->name_off < ev->names.len) {
        nm = ev->names.buf + ev->name_off;
        if (dns_name_ok(nm, strlen(nm))) {
            ask(ev, nm, strlen(nm), addr_type(ev), op);
            return 1;
        }
        ev->name_off += strlen(nm) + 1;
    }
    return 0;
}

/* advance_name - move past the name just looked up */
static void advance_name(struct ink_spf *ev)
{
    ev->name_off += strlen(ev->names.buf + ev->name_off) + 1;
}

/* answer_has_addr - does the answer hold the client's address (in the
 * prefix of bits bits) */
static int answer_has_addr(const struct ink_spf *ev, const struct ink_dns_answer *a,
                           unsigned bits)
{
    uint16_t type = addr_type(ev);
    size_t i;

    if (a == NULL || a->status != INK_DNS_OK)
        return 0;
    for (i = 0; i < a->nrr; i++)
        if (a->rr[i].type == type && ip_in_net(ev->ip, a->rr[i].addr, bits))
            return 1;
    return 0;
}

/* on_p_ptr - the PTR names of the client, for %{p} */
static void on_p_ptr(struct ink_spf *ev, const struct ink_dns_answer *a)
{
    if (answer_status(a) != INK_DNS_OK) {
        p_done(ev);
        return;
    }
    collect_names(ev, a, INK_DNS_PTR, ev->lim.ptr_names, NULL);
    if (ev->op == OP_DONE)
        return;
    if (!next_name(ev, OP_P_ADDR))
        p_done(ev);
}

/* on_p_addr - one PTR name's addresses: is it validated, and is it the
 * best choice (the domain itself, then a subdomain, then any) */
static void on_p_addr(struct ink_spf *ev, const struct ink_dns_answer *a)
{
    const char *nm = ev->names.buf + ev->name_off;

    if (answer_has_addr(ev, a, ev->family == 4 ? 32 : 128)) {
        int u = name_under(nm, top(ev)->domain);
        int rank = u == 1 ? 3 : u == 2 ? 2 : 1;
        if (rank > ev->p_rank) {
            size_t n = strlen(nm);
            ev->p_rank = rank;
            memcpy(ev->pname, nm, n + 1);
            ev->pname_len = n;
        }
    }
    advance_name(ev);
    if (ev->p_rank == 3 || !next_name(ev, OP_P_ADDR))
        p_done(ev);
}

/* ---- macro context -------------------------------------------------------- */

/* macro_ctx - the context for expanding in the top frame */
static void macro_ctx(struct ink_spf *ev, struct ink_spf_macro_ctx *c)
{
    struct spf_frame *f = top(ev);

    memset(c, 0, sizeof(*c));
    c->sender = ev->sender;
    c->sender_len = ev->sender_len;
    c->local = ev->sender;
    c->local_len = ev->local_len;
    c->sender_domain = ev->sender + ev->local_len + 1;
    c->sender_domain_len = ev->sender_len - ev->local_len - 1;
    c->domain = f->domain;
    c->domain_len = strlen(f->domain);
    c->helo = ev->helo;
    c->helo_len = ev->helo_len;
    c->receiver = ev->receiver;
    c->receiver_len = ev->receiver != NULL ? strlen(ev->receiver) : 0;
    if (ev->p_serial == f->serial && ev->p_serial != 0) {
        c->validated = ev->pname;
        c->validated_len = ev->pname_len;
    }
    c->family = ev->family;
    memcpy(c->ip, ev->ip, 16);
    c->now = ev->now;
}

/*
 * expand_target - the target name of term t into ev->target: its
 * domain-spec expanded, or the frame's domain.  Returns 1 when done, 0
 * when the evaluation has moved on (waiting for %{p}, or failed).
 */
static int expand_target(struct ink_spf *ev, const struct ink_spf_term *t, enum spf_op ret)
{
    struct ink_spf_macro_ctx c;
    struct ink_spf_diag err;
    enum ink_spf_macro_rc rc;
    struct spf_frame *f = top(ev);
    size_t n;

    if (t->arg.len == 0) {
        memcpy(ev->target, f->domain, strlen(f->domain) + 1);
        return 1;
    }
    if (!(t->flags & INK_SPF_TF_MACRO)) {
        n = t->arg.len < sizeof(ev->target) ? t->arg.len : sizeof(ev->target) - 1;
        memcpy(ev->target, t->arg.p, n);
        ev->target[n] = '\0';
        if (t->arg.len > INK_DNS_NAME_MAX + 1)
            ev->target[0] = '\0'; /* too long: not a name */
        return 1;
    }
    macro_ctx(ev, &c);
    ink_str_truncate(&ev->scratch, 0);
    rc = ink_spf_macro_expand(t->arg.p, t->arg.len, INK_SPF_MACRO_DOMAIN, &c, &ev->scratch,
                              &err);
    if (rc == INK_SPF_MACRO_NEED_P) {
        p_start(ev, ret);
        return 0;
    }
    if (rc == INK_SPF_MACRO_NOMEM) {
        nomem(ev);
        return 0;
    }
    if (rc != INK_SPF_MACRO_OK) {
        fail_eval(ev, INK_SPF_PERMERROR, t, "macro error: %s (in %s)", err.reason,
                  strlen(err.reason));
        return 0;
    }
    if (ev->scratch.len > INK_DNS_NAME_MAX + 1) {
        ev->target[0] = '\0';
        return 1;
    }
    memcpy(ev->target, ev->scratch.buf, ev->scratch.len + 1);
    return 1;
}

/* count_lookup - one more DNS-querying term (section 4.6.4); 0 when the
 * limit is passed (the evaluation is then a permerror) */
static int count_lookup(struct ink_spf *ev, const struct ink_spf_term *t)
{
    struct ink_str n = INK_STR_INIT;

    if (++ev->lookups <= ev->lim.dns_lookups)
        return 1;
    ink_str_printf(&n, "%u", ev->lim.dns_lookups);
    fail_eval(ev, INK_SPF_PERMERROR, t, "more than %s DNS-querying terms (in %s)",
              ink_str_cstr(&n), n.len);
    ink_str_free(&n);
    return 0;
}

/* count_void - one more void lookup; 0 when the limit is passed */
static int count_void(struct ink_spf *ev)
{
    if (++ev->voids <= ev->lim.void_lookups)
        return 1;
    fail_eval(ev, INK_SPF_PERMERROR, cur_term(ev),
              "too many void lookups (%s answered no data, in %s)", ev->qname,
              strlen(ev->qname));
    return 0;
}

/* temp_fail - a DNS error in a mechanism: temperror (section 5) */
static void temp_fail(struct ink_spf *ev, const struct ink_dns_answer *a)
{
    (void)a;
    fail_eval(ev, INK_SPF_TEMPERROR, cur_term(ev), "DNS error looking up %s (in %s)", ev->qname,
              strlen(ev->qname));
}

/* no_match - the current term did not match: go on with the next */
static void no_match(struct ink_spf *ev)
{
    top(ev)->term++;
    ev->waiting = 0;
    ev->op = OP_TERMS;
}

/* ---- the record -------------------------------------------------------- */

/* on_record - the TXT answer for the top frame's domain (section 4.4, 4.5) */
static void on_record(struct ink_spf *ev, const struct ink_dns_answer *a)
{
    struct spf_frame *f = top(ev);
    enum ink_dns_status st = answer_status(a);
    const struct ink_dns_rr *rr;
    struct ink_spf_record *rec;
    size_t first = 0, n, tlen;
    uint8_t *joined = NULL;

    if (is_temp(st)) {
        set_reason(ev, "DNS error looking up the SPF record of %s", f->domain,
                   strlen(f->domain), NULL, 0);
        frame_finish(ev, INK_SPF_TEMPERROR, 0);
        return;
    }
    n = ink_spf_record_select(a, &first);
    if (n == 0) {
        if (f->via == VIA_ROOT && !f->redirected)
            set_reason(ev, st == INK_DNS_NXDOMAIN ? "%s does not exist"
                                                  : "no SPF record at %s",
                       f->domain, strlen(f->domain), NULL, 0);
        frame_finish(ev, INK_SPF_NONE, 0);
        return;
    }
    if (n > 1) {
        set_reason(ev, "more than one SPF record at %s", f->domain, strlen(f->domain), NULL, 0);
        frame_finish(ev, INK_SPF_PERMERROR, 0);
        return;
    }
    rr = &a->rr[first];
    if (rr->ntxt == 1) {
        rec = ink_spf_record_parse(rr->txt[0], rr->txtlen[0]);
    } else {
        joined = ink_dns_rr_txt_join(rr, &tlen);
        if (joined == NULL) {
            nomem(ev);
            return;
        }
        rec = ink_spf_record_parse(joined, tlen);
        free(joined);
    }
    if (rec == NULL) {
        nomem(ev);
        return;
    }
    f->rec = rec;
    f->serial = ++ev->serial;
    f->term = 0;
    if (f->node != NULL) {
        const char *txt = ink_spf_record_text(rec, &tlen);
        f->node->record = ink_memdup_cstr(txt, tlen);
    }
    if (ink_spf_record_nerrors(rec) > 0) {
        const struct ink_spf_diag *d = ink_spf_record_error(rec, 0);
        if (ev->reason.len == 0) {
            ink_str_puts(&ev->reason, "syntax error in the SPF record of ");
            ink_str_put_printable(&ev->reason, f->domain, strlen(f->domain), 256);
            ink_str_printf(&ev->reason, " at column %zu: %s", d->off + 1, d->reason);
            if (d->len > 0) {
                ink_str_puts(&ev->reason, " ('");
                ink_str_put_printable(&ev->reason, ink_spf_record_text(rec, NULL) + d->off,
                                      d->len, 64);
                ink_str_puts(&ev->reason, "')");
            }
        }
        frame_finish(ev, INK_SPF_PERMERROR, 0);
        return;
    }
    ev->op = OP_TERMS;
}

/* ---- mechanisms ---------------------------------------------------------- */

/* on_a - addresses of an "a" target (section 5.3) */
static void on_a(struct ink_spf *ev, const struct ink_dns_answer *a)
{
    const struct ink_spf_term *t = cur_term(ev);
    enum ink_dns_status st = answer_status(a);

    if (is_temp(st)) {
        temp_fail(ev, a);
        return;
    }
    if (st != INK_DNS_OK) {
        if (count_void(ev))
            no_match(ev);
        return;
    }
    if (answer_has_addr(ev, a, ev->family == 4 ? t->cidr4 : t->cidr6))
        frame_match(ev, t);
    else
        no_match(ev);
}

/* on_exists - any A record at the target matches (section 5.7) */
static void on_exists(struct ink_spf *ev, const struct ink_dns_answer *a)
{
    enum ink_dns_status st = answer_status(a);
    size_t i;

    if (is_temp(st)) {
        temp_fail(ev, a);
        return;
    }
    if (st == INK_DNS_OK)
        for (i = 0; i < a->nrr; i++)
            if (a->rr[i].type == INK_DNS_A) {
                frame_match(ev, cur_term(ev));
                return;
            }
    if (count_void(ev))
        no_match(ev);
}

/* on_mx - the MX records of an "mx" target (section 5.4) */
static void on_mx(struct ink_spf *ev, const struct ink_dns_answer *a)
{
    enum ink_dns_status st = answer_status(a);
    size_t total;

    if (is_temp(st)) {
        temp_fail(ev, a);
        return;
    }
    if (st != INK_DNS_OK) {
        if (count_void(ev))
            no_match(ev);
        return;
    }
    total = collect_names(ev, a, INK_DNS_MX, ev->lim.mx_names, NULL);
    if (ev->op == OP_DONE)
        return;
    if (total > ev->lim.mx_names) {
        fail_eval(ev, INK_SPF_PERMERROR, cur_term(ev), "more than 10 MX records at %s (in %s)",
                  ev->qname, strlen(ev->qname));
        return;
    }
    if (total == 0) {
        if (count_void(ev))
            no_match(ev);
        return;
    }
    if (!next_name(ev, OP_MX_ADDR))
        no_match(ev);
}

/* on_mx_addr - addresses of one exchange */
static void on_mx_addr(struct ink_spf *ev, const struct ink_dns_answer *a)
{
    const struct ink_spf_term *t = cur_term(ev);

    if (is_temp(answer_status(a))) {
        temp_fail(ev, a);
        return;
    }
    if (answer_has_addr(ev, a, ev->family == 4 ? t->cidr4 : t->cidr6)) {
        frame_match(ev, t);
        return;
    }
    advance_name(ev);
    if (!next_name(ev, OP_MX_ADDR))
        no_match(ev);
}

/* on_ptr - the client's PTR names, for "ptr" (section 5.5): DNS errors
 * make the mechanism not match, names not under the target are skipped */
static void on_ptr(struct ink_spf *ev, const struct ink_dns_answer *a)
{
    enum ink_dns_status st = answer_status(a);

    if (is_temp(st)) {
        no_match(ev);
        return;
    }
    if (st != INK_DNS_OK) {
        if (count_void(ev))
            no_match(ev);
        return;
    }
    collect_names(ev, a, INK_DNS_PTR, ev->lim.ptr_names, ev->target);
    if (ev->op == OP_DONE)
        return;
    if (!next_name(ev, OP_PTR_ADDR))
        no_match(ev);
}

/* on_ptr_addr - is this PTR name validated (its addresses hold the client) */
static void on_ptr_addr(struct ink_spf *ev, const struct ink_dns_answer *a)
{
    if (answer_has_addr(ev, a, ev->family == 4 ? 32 : 128)) {
        frame_match(ev, cur_term(ev));
        return;
    }
    advance_name(ev);
    if (!next_name(ev, OP_PTR_ADDR))
        no_match(ev);
}

/* after_terms - no mechanism matched: redirect (section 6.1) or neutral */
static void after_terms(struct ink_spf *ev)
{
    struct spf_frame *f = top(ev);
    const struct ink_spf_term *rd = ink_spf_record_redirect(f->rec);
    struct ink_spf_node *node;
    size_t len;

    if (rd == NULL) {
        frame_finish(ev, INK_SPF_NEUTRAL, 0);
        return;
    }
    if ((rd->flags & INK_SPF_TF_MACRO_P) && ev->p_serial != f->serial) {
        if (count_lookup(ev, rd))
            p_start(ev, OP_TERMS);
        return;
    }
    if (!count_lookup(ev, rd))
        return;
    if (!expand_target(ev, rd, OP_TERMS))
        return;
    len = strlen(ev->target);
    if (!dns_name_ok(ev->target, len)) {
        fail_eval(ev, INK_SPF_PERMERROR, rd, "redirect target %s is not a valid domain name (in %s)",
                  ev->target, len);
        return;
    }
    ink_spf_record_free(f->rec);
    f->rec = NULL;
    f->redirected = 1;
    if (len > 0 && ev->target[len - 1] == '.')
        len--;
    memmove(f->domain, ev->target, len);
    f->domain[len] = '\0';
    node = node_new(ev, f->node, f->domain, "redirect");
    if (node != NULL || !(ev->flags & INK_SPF_EF_TREE))
        f->node = node;
    ask(ev, f->domain, len, INK_DNS_TXT, OP_RECORD);
}

/* terms_run - evaluate the top frame's terms until a query is needed or
 * the frame is over (section 4.6) */
static void terms_run(struct ink_spf *ev)
{
    while (ev->op == OP_TERMS && !ev->waiting) {
        struct spf_frame *f = top(ev);
        const struct ink_spf_term *t;
        char rev[80];
        size_t n;
        int rc;

        if (f->term >= ink_spf_record_nterms(f->rec)) {
            after_terms(ev);
            continue;
        }
        t = cur_term(ev);
        switch (t->kind) {
        case INK_SPF_T_ALL:
            frame_match(ev, t);
            break;
        case INK_SPF_T_IP4:
            if (ev->family == 4 && ip_in_net(ev->ip, t->addr, t->cidr4))
                frame_match(ev, t);
            else
                f->term++;
            break;
        case INK_SPF_T_IP6:
            if (ev->family == 6 && ip_in_net(ev->ip, t->addr, t->cidr6))
                frame_match(ev, t);
            else
                f->term++;
            break;
        case INK_SPF_T_A:
        case INK_SPF_T_MX:
        case INK_SPF_T_PTR:
        case INK_SPF_T_EXISTS:
        case INK_SPF_T_INCLUDE:
            if ((t->flags & INK_SPF_TF_MACRO_P) && ev->p_serial != f->serial) {
                /* 4.6.4: the PTR query of %{p} counts against the limit */
                if (count_lookup(ev, t))
                    p_start(ev, OP_TERMS);
                break;
            }
            if (!count_lookup(ev, t) || !expand_target(ev, t, OP_TERMS))
                break;
            n = strlen(ev->target);
            if (!dns_name_ok(ev->target, n)) {
                /* no query can be made for it: the name does not exist
                 * (4.3/1, 5/10/3); an include of it finds no record */
                if (t->kind == INK_SPF_T_INCLUDE)
                    fail_eval(ev, INK_SPF_PERMERROR, t,
                              "include target %s is not a valid domain name (in %s)",
                              ev->target, n);
                else
                    f->term++;
                break;
            }
            switch (t->kind) {
            case INK_SPF_T_A:
                ask(ev, ev->target, n, addr_type(ev), OP_A);
                break;
            case INK_SPF_T_MX:
                ask(ev, ev->target, n, INK_DNS_MX, OP_MX);
                break;
            case INK_SPF_T_EXISTS:
                ask(ev, ev->target, n, INK_DNS_A, OP_EXISTS);
                break;
            case INK_SPF_T_PTR:
                ask(ev, rev, reverse_name(ev, rev), INK_DNS_PTR, OP_PTR);
                break;
            default:
                rc = frame_push(ev, ev->target, n, VIA_INCLUDE);
                if (rc == -2)
                    nomem(ev);
                else if (rc < 0)
                    fail_eval(ev, INK_SPF_PERMERROR, t, "includes nested too deep (%s, in %s)",
                              ev->target, n);
                break;
            }
            break;
        default:
            f->term++; /* modifiers: redirect comes after the terms, the rest are ignored */
            break;
        }
    }
}

/* ---- explanation (section 6.2) ----------------------------------------- */

/* explain_default - use the default explanation */
static void explain_default(struct ink_spf *ev)
{
    const char *d = ev->default_exp != NULL ? ev->default_exp : INK_SPF_DEFAULT_EXPLANATION;

    set_str(&ev->exptext, d, strlen(d));
    ev->exp_default = 1;
    ev->waiting = 0;
    ev->op = OP_EXPLAIN_TEXT;
}

/* explain_start - a fail at the root: fetch the exp= text if there is one */
static void explain_start(struct ink_spf *ev)
{
    struct spf_frame *f = top(ev);
    const struct ink_spf_term *e = f->rec != NULL ? ink_spf_record_exp(f->rec) : NULL;
    size_t n;

    if (e == NULL) {
        explain_default(ev);
        return;
    }
    if ((e->flags & INK_SPF_TF_MACRO_P) && ev->p_serial != f->serial) {
        p_start(ev, OP_EXPLAIN);
        return;
    }
    if (!(e->flags & INK_SPF_TF_MACRO)) {
        n = e->arg.len < sizeof(ev->target) ? e->arg.len : sizeof(ev->target) - 1;
        memcpy(ev->target, e->arg.p, n);
        ev->target[n] = '\0';
    } else {
        struct ink_spf_macro_ctx c;
        macro_ctx(ev, &c);
        ink_str_truncate(&ev->scratch, 0);
        if (ink_spf_macro_expand(e->arg.p, e->arg.len, INK_SPF_MACRO_DOMAIN, &c, &ev->scratch,
                                 NULL) != INK_SPF_MACRO_OK ||
            ev->scratch.len >= sizeof(ev->target)) {
            explain_default(ev);
            return;
        }
        memcpy(ev->target, ev->scratch.buf, ev->scratch.len + 1);
    }
    n = strlen(ev->target);
    if (!dns_name_ok(ev->target, n)) {
        explain_default(ev);
        return;
    }
    ask(ev, ev->target, n, INK_DNS_TXT, OP_EXP);
}

/* on_exp - the exp= TXT answer: exactly one record, else the default */
static void on_exp(struct ink_spf *ev, const struct ink_dns_answer *a)
{
    size_t i, n = 0, which = 0, len;
    uint8_t *txt;

    if (answer_status(a) != INK_DNS_OK) {
        explain_default(ev);
        return;
    }
    for (i = 0; i < a->nrr; i++)
        if (a->rr[i].type == INK_DNS_TXT && n++ == 0)
            which = i;
    if (n != 1) {
        explain_default(ev);
        return;
    }
    txt = ink_dns_rr_txt_join(&a->rr[which], &len);
    if (txt == NULL) {
        nomem(ev);
        return;
    }
    set_str(&ev->exptext, (const char *)txt, len);
    free(txt);
    ev->exp_default = 0;
    ev->op = OP_EXPLAIN_TEXT;
}

/* explain_text - expand the explanation text */
static void explain_text(struct ink_spf *ev)
{
    struct ink_spf_macro_ctx c;
    enum ink_spf_macro_rc rc;

    macro_ctx(ev, &c);
    ink_str_truncate(&ev->explanation, 0);
    rc = ink_spf_macro_expand(ev->exptext.buf != NULL ? ev->exptext.buf : "", ev->exptext.len,
                              INK_SPF_MACRO_EXPLAIN, &c, &ev->explanation, NULL);
    if (rc == INK_SPF_MACRO_NEED_P) {
        p_start(ev, OP_EXPLAIN_TEXT);
        return;
    }
    if (rc == INK_SPF_MACRO_NOMEM) {
        nomem(ev);
        return;
    }
    if (rc != INK_SPF_MACRO_OK) {
        if (!ev->exp_default) {
            explain_default(ev);
            return;
        }
        ink_str_truncate(&ev->explanation, 0); /* a broken default: none */
        ev->op = OP_DONE;
        return;
    }
    ink_str_truncate(&ev->explanation, INK_SPF_EXPLANATION_MAX);
    ev->has_explanation = 1;
    ev->op = OP_DONE;
}

/* ---- identity and life cycle ------------------------------------------- */

/* copy_cstr - heap copy of an optional string */
static int copy_cstr(char **dst, const char *src)
{
    *dst = NULL;
    if (src == NULL)
        return 0;
    *dst = ink_memdup_cstr(src, strlen(src));
    return *dst == NULL ? -1 : 0;
}

/* ink_spf_new - set up check_host() for the parameters */
struct ink_spf *ink_spf_new(const struct ink_spf_params *p)
{
    struct ink_spf *ev;
    const char *mf, *at, *helo;
    size_t hl;

    if (p == NULL)
        return NULL;
    ev = calloc(1, sizeof(*ev));
    if (ev == NULL)
        return NULL;
    mf = p->mail_from;
    helo = p->helo != NULL ? p->helo : "";
    hl = strlen(helo);
    ev->family = p->family == 6 ? 6 : 4;
    memcpy(ev->ip, p->ip, ev->family == 4 ? 4 : 16);
    if (ev->family == 6 && memcmp(ev->ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
        /* IPv4-mapped IPv6: evaluated as the IPv4 address (section 5) */
        memmove(ev->ip, ev->ip + 12, 4);
        memset(ev->ip + 4, 0, 12);
        ev->family = 4;
    }
    ev->now = p->now;
    ev->flags = p->flags;
    ev->lim = p->limits;
    if (ev->lim.dns_lookups == 0)
        ev->lim.dns_lookups = INK_SPF_DNS_LOOKUP_MAX;
    if (ev->lim.void_lookups == 0)
        ev->lim.void_lookups = INK_SPF_VOID_LOOKUP_MAX;
    if (ev->lim.mx_names == 0)
        ev->lim.mx_names = INK_SPF_MX_NAMES_MAX;
    if (ev->lim.ptr_names == 0)
        ev->lim.ptr_names = INK_SPF_PTR_NAMES_MAX;
    if (copy_cstr(&ev->receiver, p->receiver) < 0 ||
        copy_cstr(&ev->default_exp, p->default_explanation) < 0) {
        ink_spf_free(ev);
        return NULL;
    }
    if (ev->receiver != NULL && strlen(ev->receiver) > SPF_RECEIVER_MAX)
        ev->receiver[SPF_RECEIVER_MAX] = '\0';
    ev->helo_len = hl < sizeof(ev->helo) ? hl : sizeof(ev->helo) - 1;
    memcpy(ev->helo, helo, ev->helo_len);
    ev->helo[ev->helo_len] = '\0';
    ev->op = OP_START;
    /* <sender>: MAIL FROM, or postmaster@HELO when it is empty (2.4);
     * an empty local-part becomes "postmaster" (4.3) */
    {
        const char *local = "postmaster", *dom = helo;
        size_t ll = 10, dl = hl, ml = mf != NULL ? strlen(mf) : 0;
        /* a reverse-path as SMTP writes it, "<a@b>" or "<>", is accepted */
        if (ml >= 2 && mf[0] == '<' && mf[ml - 1] == '>') {
            mf++;
            ml -= 2;
        }
        if (ml > 0) {
            at = NULL;
            for (size_t i = 0; i < ml; i++)
                if (mf[i] == '@')
                    at = mf + i;
            if (at == NULL) {
                dom = mf;
                dl = ml;
            } else {
                dom = at + 1;
                dl = ml - (size_t)(at - mf) - 1;
                if (at > mf) {
                    local = mf;
                    ll = (size_t)(at - mf);
                }
            }
        }
        if (ll + 1 + dl > INK_SPF_SENDER_MAX) {
            ev->sender_len = 0; /* checked at the first step */
            ev->local_len = 0;
        } else {
            memcpy(ev->sender, local, ll);
            ev->sender[ll] = '@';
            memcpy(ev->sender + ll + 1, dom, dl);
            ev->sender_len = ll + 1 + dl;
            ev->sender[ev->sender_len] = '\0';
            ev->local_len = ll;
        }
    }
    return ev;
}

/* start - section 4.3: check the domain, then fetch its record */
static void start(struct ink_spf *ev)
{
    const char *dom = ev->sender + ev->local_len + 1;
    size_t dl = ev->sender_len > 0 ? ev->sender_len - ev->local_len - 1 : 0;
    int rc;

    if (ev->sender_len == 0 || !identity_domain_ok(dom, dl)) {
        ink_str_puts(&ev->reason, "the domain to check is not a valid domain name: '");
        ink_str_put_printable(&ev->reason, dom, ev->sender_len == 0 ? 0 : dl, 256);
        ink_str_putc(&ev->reason, '\'');
        ev->result = INK_SPF_NONE;
        ev->op = OP_DONE;
        return;
    }
    rc = frame_push(ev, dom, dl, VIA_ROOT);
    if (rc < 0)
        nomem(ev);
}

/* finish_reason - when no error named a reason, say which term decided
 * (and, through an include, which inner term matched) */
static void finish_reason(struct ink_spf *ev)
{
    struct ink_str *r = &ev->reason;

    ev->reason_done = 1;
    if (r->len > 0)
        return;
    if (ev->decided.len > 0) {
        ink_str_puts(r, "matched '");
        ink_str_append(r, ev->decided.buf, ev->decided.len);
        ink_str_puts(r, "' in the record of ");
        ink_str_put_printable(r, ev->decided_domain.buf, ev->decided_domain.len, 256);
        if (ev->matched.len > 0 &&
            (ev->matched.len != ev->decided.len ||
             memcmp(ev->matched.buf, ev->decided.buf, ev->decided.len) != 0)) {
            ink_str_puts(r, " (via '");
            ink_str_append(r, ev->matched.buf, ev->matched.len);
            ink_str_puts(r, "' in ");
            ink_str_put_printable(r, ev->matched_domain.buf, ev->matched_domain.len, 256);
            ink_str_putc(r, ')');
        }
    } else if (ev->result == INK_SPF_NEUTRAL) {
        ink_str_puts(r, "no mechanism matched (default result)");
    }
}

/* ink_spf_next - run until a query is needed or the result is known */
enum ink_next ink_spf_next(struct ink_spf *ev, struct ink_query *q)
{
    for (;;) {
        if (ev->waiting) {
            if (ev->handed)
                return INK_NEXT_WAIT;
            ev->handed = 1;
            q->name = ev->qname;
            q->type = ev->qtype;
            q->token = ev->token;
            return INK_NEXT_READY;
        }
        switch (ev->op) {
        case OP_START:
            start(ev);
            break;
        case OP_TERMS:
            terms_run(ev);
            break;
        case OP_EXPLAIN:
            explain_start(ev);
            break;
        case OP_EXPLAIN_TEXT:
            explain_text(ev);
            break;
        case OP_DONE:
            if (!ev->reason_done)
                finish_reason(ev);
            return INK_NEXT_DONE;
        default:
            /* a waiting state without a query: cannot happen */
            nomem(ev);
            break;
        }
    }
}

/* ink_spf_feed - hand over the answer (borrowed) to the outstanding query */
int ink_spf_feed(struct ink_spf *ev, uint32_t token, const struct ink_dns_answer *a)
{
    if (!ev->waiting || !ev->handed || token != ev->token)
        return -1;
    /* an answer to another question is no answer: a DNS error here */
    if (!ink_query_answer_fits(a, ev->qname, ev->qtype))
        a = NULL;
    ev->waiting = 0;
    ev->handed = 0;
    switch (ev->op) {
    case OP_RECORD:
        on_record(ev, a);
        break;
    case OP_A:
        on_a(ev, a);
        break;
    case OP_MX:
        on_mx(ev, a);
        break;
    case OP_MX_ADDR:
        on_mx_addr(ev, a);
        break;
    case OP_PTR:
        on_ptr(ev, a);
        break;
    case OP_PTR_ADDR:
        on_ptr_addr(ev, a);
        break;
    case OP_EXISTS:
        on_exists(ev, a);
        break;
    case OP_P_PTR:
        on_p_ptr(ev, a);
        break;
    case OP_P_ADDR:
        on_p_addr(ev, a);
        break;
    case OP_EXP:
        on_exp(ev, a);
        break;
    default:
        /* waiting is only ever set with one of the states above */
        assert(0);
        return -1;
    }
    return 0;
}

/* machine_next / machine_feed - the driver's view of an evaluation */
static enum ink_next machine_next(void *self, struct ink_query *q)
{
    return ink_spf_next(self, q);
}

static int machine_feed(void *self, uint32_t token, const struct ink_dns_answer *a)
{
    return ink_spf_feed(self, token, a);
}

static const struct ink_machine_ops spf_machine_ops = {"spf", machine_next, machine_feed};

/* ink_spf_machine - the evaluation as a driver's machine (ev stays the caller's) */
struct ink_machine ink_spf_machine(struct ink_spf *ev)
{
    struct ink_machine m;

    m.ops = &spf_machine_ops;
    m.self = ev;
    return m;
}

/* ink_spf_free - release everything */
void ink_spf_free(struct ink_spf *ev)
{
    size_t i;

    if (ev == NULL)
        return;
    for (i = 0; i < ev->nframes; i++)
        ink_spf_record_free(ev->frames[i].rec);
    free(ev->frames);
    free(ev->receiver);
    free(ev->default_exp);
    ink_str_free(&ev->names);
    ink_str_free(&ev->scratch);
    ink_str_free(&ev->exptext);
    ink_str_free(&ev->reason);
    ink_str_free(&ev->explanation);
    ink_str_free(&ev->decided);
    ink_str_free(&ev->decided_domain);
    ink_str_free(&ev->matched);
    ink_str_free(&ev->matched_domain);
    node_free(ev->tree);
    free(ev);
}

/* ---- results --------------------------------------------------------------- */

enum ink_spf_result ink_spf_result(const struct ink_spf *ev)
{
    return ev->result;
}

const char *ink_spf_explanation(const struct ink_spf *ev)
{
    return ev->result == INK_SPF_FAIL && ev->has_explanation ? ink_str_cstr(&ev->explanation)
                                                             : NULL;
}

/* ink_spf_reason - why (see finish_reason) */
const char *ink_spf_reason(const struct ink_spf *ev)
{
    return ev->reason.len > 0 ? ink_str_cstr(&ev->reason) : ink_spf_result_name(ev->result);
}

const char *ink_spf_decided_term(const struct ink_spf *ev)
{
    return ev->decided.len > 0 ? ink_str_cstr(&ev->decided) : NULL;
}

const char *ink_spf_decided_domain(const struct ink_spf *ev)
{
    return ev->decided.len > 0 ? ink_str_cstr(&ev->decided_domain) : NULL;
}

const char *ink_spf_matched_term(const struct ink_spf *ev)
{
    return ev->matched.len > 0 ? ink_str_cstr(&ev->matched) : NULL;
}

const char *ink_spf_matched_domain(const struct ink_spf *ev)
{
    return ev->matched.len > 0 ? ink_str_cstr(&ev->matched_domain) : NULL;
}

const char *ink_spf_domain(const struct ink_spf *ev)
{
    return ev->sender_len > 0 ? ev->sender + ev->local_len + 1 : "";
}

const char *ink_spf_sender(const struct ink_spf *ev)
{
    return ev->sender;
}

unsigned ink_spf_dns_lookups(const struct ink_spf *ev)
{
    return ev->lookups;
}

unsigned ink_spf_void_lookups(const struct ink_spf *ev)
{
    return ev->voids;
}

unsigned ink_spf_queries(const struct ink_spf *ev)
{
    return ev->queries;
}

const struct ink_spf_node *ink_spf_tree(const struct ink_spf *ev)
{
    return ev->tree;
}
