/*
 * spf.c - `inkan spf`: evaluate SPF (RFC 7208 check_host()) for one
 * client, or for a whole file of clients with many evaluations in flight
 * on one thread, over any resolver (--zone FILE, --dns HOST[:PORT], or the
 * system's).  `inkan spf lint ...` is handed to cmd_spf_lint (spf_lint.c).
 *
 * The evaluation itself is the core's state machine (inkan/spf.h), run by
 * the one driver (inkan/driver.h): one machine for a single client; for a
 * batch, --parallel machines in flight, each one's done callback adding
 * the next input line's.  The driver's answer cache and de-duplication of
 * identical questions serve the whole batch.  For --json and --verbose
 * each evaluation is wrapped in a machine that notes every query and the
 * status of its answer.  Output: the result word alone on the first line
 * (scripts read that), then details for people; or one JSON object
 * (--json).
 */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "inkan/driver.h"
#include "inkan/spf.h"

/* Evaluations in flight at once in --batch mode, by default and at most. */
#define SPF_PARALLEL_DEFAULT 256
#define SPF_PARALLEL_MAX 100000
/* Longest input line in --batch mode (IP, MAIL FROM and HELO, with room). */
#define SPF_BATCH_LINE_MAX 2048
/* Longest --helo / --receiver accepted (a domain name with a trailing dot). */
#define SPF_NAME_ARG_MAX 255
/* Bytes of untrusted text shown in one line of human output. */
#define SPF_SHOW_MAX 512
/* DNS queries remembered per evaluation for --json / --verbose (the
 * lookup limits keep a real evaluation far below this). */
#define SPF_TRACE_MAX 256

enum {
    OPT_IP = CLI_OPT_FIRST_FREE,
    OPT_MAIL_FROM,
    OPT_HELO,
    OPT_RECEIVER,
    OPT_BATCH,
    OPT_PARALLEL,
    OPT_STATS,
    OPT_VERBOSE
};

static const char spf_usage_text[] =
    "usage: inkan spf --ip IP [--mail-from ADDR] --helo NAME [DNS SOURCE] [--json] [-v]\n"
    "       inkan spf --batch FILE [--parallel N] [--stats] [DNS SOURCE] [--json]\n"
    "       inkan spf lint (DOMAIN | --record TEXT) [DNS SOURCE] [--json]\n"
    "\n"
    "Evaluate SPF (RFC 7208 check_host) for a client: may IP send mail with\n"
    "this MAIL FROM (or, when --mail-from is empty or absent, this HELO name)?\n"
    "The first line of output is the result alone: none, neutral, pass, fail,\n"
    "softfail, temperror or permerror.  Then, for people: the explanation (for\n"
    "fail), the term that decided and the record it is in, the DNS lookups\n"
    "used, and the records visited.\n"
    "\n"
    "Options:\n"
    "  --ip IP              the SMTP client's address (IPv4 or IPv6)\n"
    "  --mail-from ADDR     the MAIL FROM address; empty ('') or absent checks\n"
    "                       postmaster@HELO instead (RFC 7208 section 2.4)\n"
    "  --helo NAME          the HELO/EHLO name the client gave\n"
    "  --receiver NAME      this receiving host's name, for the %{r} macro\n"
    "  --json               print one JSON object: result, explanation, the\n"
    "                       deciding term and its domain, lookup counts, the\n"
    "                       DNS queries asked and the tree of records visited\n"
    "  -v, --verbose        also list every DNS query asked and its answer\n"
    "  --batch FILE         evaluate every line \"IP MAIL-FROM HELO\" of FILE ('-':\n"
    "                       standard input; '<>' is the empty MAIL FROM; '#'\n"
    "                       starts a comment), many at once, printing one line\n"
    "                       \"RESULT IP MAIL-FROM HELO\" (or a JSON object) per\n"
    "                       input line, in input order\n"
    "  --parallel N         evaluations in flight at once with --batch (default 256)\n"
    "  --stats              with --batch: counts per result and the rate, on stderr\n"
    CLI_DNS_HELP
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 a result was computed (whatever it is), 1 operational error\n"
    "(unreadable zone file or batch file, no resolver, a malformed batch line),\n"
    "2 usage error.\n";

/* One DNS query an evaluation asked, for --json and --verbose. */
struct spf_trace {
    char *name;
    uint16_t type;
    enum ink_dns_status status;
    size_t nrr;
};

/* What one evaluation needs beside the core's state machine.  It is the
 * machine the driver runs (job_ops): its next/feed pass through to the
 * evaluation, noting the queries on the way. */
struct spf_job {
    struct spf_run *run;
    struct ink_spf *ev;
    const char *asked;         /* name of the query out (the evaluation's) */
    uint16_t asked_type;
    size_t index;              /* input line order (batch) */
    size_t lineno;             /* input line number (batch) */
    char *ip_text, *mail_from, *helo; /* as given (mail_from "" = none) */
    int trace_on;
    struct spf_trace *trace;
    size_t ntrace;
    size_t trace_dropped;
};

/* Shared state of a run (one evaluation or a batch). */
struct spf_run {
    struct ink_driver *driver;
    const char *receiver;
    int json;
    int verbose;
    int tree;        /* keep the tree of records visited (not in text batches) */
    int cached;      /* the driver keeps an answer cache */
    int64_t now;
};

/* ---- driving the state machine ---------------------------------------- */

/* job_trace_add - remember one query and its answer's status */
static void job_trace_add(struct spf_job *j, const char *name, uint16_t type,
                          const struct ink_dns_answer *a)
{
    struct spf_trace *nt;

    if (!j->trace_on)
        return;
    if (j->ntrace >= SPF_TRACE_MAX) {
        j->trace_dropped++;
        return;
    }
    nt = realloc(j->trace, (j->ntrace + 1) * sizeof(*nt));
    if (nt == NULL) {
        j->trace_dropped++;
        return;
    }
    j->trace = nt;
    nt[j->ntrace].name = strdup(name);
    nt[j->ntrace].type = type;
    /* no answer: the driver gave up on the query (or the resolver failed) */
    nt[j->ntrace].status = a ? a->status : INK_DNS_TIMEOUT;
    nt[j->ntrace].nrr = a ? a->nrr : 0;
    if (nt[j->ntrace].name == NULL) {
        j->trace_dropped++;
        return;
    }
    j->ntrace++;
}

/* job_next - the driver asks the evaluation for its next step */
static enum ink_next job_next(void *self, struct ink_query *q)
{
    struct spf_job *j = self;
    enum ink_next st = ink_spf_next(j->ev, q);

    if (st == INK_NEXT_READY) {
        /* q->name is the evaluation's and stays valid until the feed */
        j->asked = q->name;
        j->asked_type = q->type;
    }
    return st;
}

/* job_feed - the driver's answer (borrowed; NULL when it had none) */
static int job_feed(void *self, uint32_t token, const struct ink_dns_answer *answer)
{
    struct spf_job *j = self;

    if (j->trace_on && j->asked != NULL)
        job_trace_add(j, j->asked, j->asked_type, answer);
    j->asked = NULL;
    return ink_spf_feed(j->ev, token, answer);
}

static const struct ink_machine_ops job_ops = {"spf", job_next, job_feed};

/* job_machine - the job as the driver's machine */
static struct ink_machine job_machine(struct spf_job *j)
{
    struct ink_machine m;

    m.ops = &job_ops;
    m.self = j;
    return m;
}

/* job_free - release a job and everything it owns; NULL is a no-op */
static void job_free(struct spf_job *j)
{
    size_t i;

    if (j == NULL)
        return;
    ink_spf_free(j->ev);
    for (i = 0; i < j->ntrace; i++)
        free(j->trace[i].name);
    free(j->trace);
    free(j->ip_text);
    free(j->mail_from);
    free(j->helo);
    free(j);
}

/*
 * job_new - set up one evaluation (not started).  The strings are copied.
 * NULL on ENOMEM.  The IP text must already be known to parse.
 */
static struct spf_job *job_new(struct spf_run *run, const char *ip, const char *mail_from,
                               const char *helo)
{
    struct spf_job *j = calloc(1, sizeof(*j));
    struct ink_spf_params p;

    if (j == NULL)
        return NULL;
    j->run = run;
    j->trace_on = run->json || run->verbose;
    j->ip_text = strdup(ip);
    j->mail_from = strdup(mail_from);
    j->helo = strdup(helo);
    if (j->ip_text == NULL || j->mail_from == NULL || j->helo == NULL) {
        job_free(j);
        return NULL;
    }
    memset(&p, 0, sizeof(p));
    if (ink_ip_parse(ip, strlen(ip), &p.family, p.ip) < 0) {
        job_free(j);
        return NULL;
    }
    p.mail_from = mail_from;
    p.helo = helo;
    p.receiver = run->receiver;
    p.now = run->now;
    p.flags = run->tree ? INK_SPF_EF_TREE : 0;
    j->ev = ink_spf_new(&p);
    if (j->ev == NULL) {
        job_free(j);
        return NULL;
    }
    return j;
}

/* ---- output ------------------------------------------------------------- */

/* printable - untrusted text as a printable C string in buf (static per call site) */
static const char *printable(struct ink_str *buf, const char *s)
{
    ink_str_truncate(buf, 0);
    if (s == NULL)
        return "";
    if (ink_str_put_printable(buf, s, strlen(s), SPF_SHOW_MAX) < 0)
        return "?";
    return ink_str_cstr(buf);
}

/* jstr - a JSON string for untrusted text: as is when it is UTF-8,
 * else made printable; JSON null for NULL */
static json_t *jstr(const char *s)
{
    json_t *v;
    struct ink_str tmp = INK_STR_INIT;

    if (s == NULL)
        return json_null();
    v = json_string(s);
    if (v != NULL)
        return v;
    if (ink_str_put_printable(&tmp, s, strlen(s), INK_STR_MAX / 8) < 0) {
        ink_str_free(&tmp);
        return json_null();
    }
    v = json_string(ink_str_cstr(&tmp));
    ink_str_free(&tmp);
    return v ? v : json_null();
}

/* tree_json - the records visited, as nested objects */
static json_t *tree_json(const struct ink_spf_node *n, unsigned depth)
{
    json_t *o = json_object(), *kids = json_array();
    const struct ink_spf_node *c;

    json_object_set_new(o, "domain", jstr(n->domain));
    json_object_set_new(o, "via", jstr(n->via));
    json_object_set_new(o, "record", jstr(n->record));
    json_object_set_new(o, "result", json_string(ink_spf_result_name(n->result)));
    json_object_set_new(o, "error", jstr(n->error));
    /* depth is bounded by the core's INK_SPF_DEPTH_MAX; the guard keeps a
     * broken tree from recursing without end */
    if (depth < 4 * INK_SPF_DEPTH_MAX)
        for (c = n->child; c != NULL; c = c->next)
            json_array_append_new(kids, tree_json(c, depth + 1));
    json_object_set_new(o, "children", kids);
    return o;
}

/* job_json - the full JSON object for a finished job; caller owns it */
static json_t *job_json(const struct spf_job *j)
{
    json_t *o = json_object(), *qs;
    const struct ink_spf_node *tree = ink_spf_tree(j->ev);
    const char *term = ink_spf_decided_term(j->ev);
    size_t i;

    json_object_set_new(o, "result", json_string(ink_spf_result_name(ink_spf_result(j->ev))));
    json_object_set_new(o, "explanation", jstr(ink_spf_explanation(j->ev)));
    json_object_set_new(o, "reason", jstr(ink_spf_reason(j->ev)));
    if (term != NULL) {
        json_t *d = json_object();
        json_object_set_new(d, "term", jstr(term));
        json_object_set_new(d, "domain", jstr(ink_spf_decided_domain(j->ev)));
        json_object_set_new(o, "decided_by", d);
    } else {
        json_object_set_new(o, "decided_by", json_null());
    }
    if (ink_spf_matched_term(j->ev) != NULL) {
        json_t *d = json_object();
        json_object_set_new(d, "term", jstr(ink_spf_matched_term(j->ev)));
        json_object_set_new(d, "domain", jstr(ink_spf_matched_domain(j->ev)));
        json_object_set_new(o, "matched", d);
    } else {
        json_object_set_new(o, "matched", json_null());
    }
    json_object_set_new(o, "identity", json_string(j->mail_from[0] ? "mailfrom" : "helo"));
    json_object_set_new(o, "domain", jstr(ink_spf_domain(j->ev)));
    json_object_set_new(o, "sender", jstr(ink_spf_sender(j->ev)));
    json_object_set_new(o, "ip", jstr(j->ip_text));
    json_object_set_new(o, "mail_from", jstr(j->mail_from));
    json_object_set_new(o, "helo", jstr(j->helo));
    json_object_set_new(o, "dns_lookups", json_integer(ink_spf_dns_lookups(j->ev)));
    json_object_set_new(o, "dns_lookup_limit", json_integer(INK_SPF_DNS_LOOKUP_MAX));
    json_object_set_new(o, "void_lookups", json_integer(ink_spf_void_lookups(j->ev)));
    json_object_set_new(o, "void_lookup_limit", json_integer(INK_SPF_VOID_LOOKUP_MAX));
    json_object_set_new(o, "dns_queries", json_integer(ink_spf_queries(j->ev)));
    qs = json_array();
    for (i = 0; i < j->ntrace; i++) {
        json_t *q = json_object();
        json_object_set_new(q, "name", jstr(j->trace[i].name));
        json_object_set_new(q, "type", json_string(ink_dns_type_name(j->trace[i].type)));
        json_object_set_new(q, "status", json_string(ink_dns_status_name(j->trace[i].status)));
        json_object_set_new(q, "records", json_integer((json_int_t)j->trace[i].nrr));
        json_array_append_new(qs, q);
    }
    json_object_set_new(o, "queries", qs);
    if (j->trace_dropped)
        json_object_set_new(o, "queries_not_listed", json_integer((json_int_t)j->trace_dropped));
    json_object_set_new(o, "tree", tree ? tree_json(tree, 0) : json_null());
    return o;
}

/* print_tree_text - the records visited, indented */
static void print_tree_text(FILE *fp, const struct ink_spf_node *n, unsigned depth,
                            struct ink_str *buf)
{
    const struct ink_spf_node *c;

    fprintf(fp, "  %*s%s%s%s", (int)(2 * depth), "", depth ? n->via : "",
            depth ? " " : "", printable(buf, n->domain));
    fprintf(fp, " -> %s", ink_spf_result_name(n->result));
    if (n->record != NULL)
        fprintf(fp, ": \"%s\"", printable(buf, n->record));
    if (n->error != NULL)
        fprintf(fp, " (%s)", printable(buf, n->error));
    fputc('\n', fp);
    if (depth < 4 * INK_SPF_DEPTH_MAX)
        for (c = n->child; c != NULL; c = c->next)
            print_tree_text(fp, c, depth + 1, buf);
}

/* print_text - the result word, then the details for people */
static void print_text(FILE *fp, const struct spf_job *j, int verbose)
{
    struct ink_str buf = INK_STR_INIT;
    enum ink_spf_result res = ink_spf_result(j->ev);
    const char *term = ink_spf_decided_term(j->ev);
    const struct ink_spf_node *tree = ink_spf_tree(j->ev);
    size_t i;

    fprintf(fp, "%s\n", ink_spf_result_name(res));
    if (res == INK_SPF_FAIL && ink_spf_explanation(j->ev) != NULL)
        fprintf(fp, "explanation: %s\n", printable(&buf, ink_spf_explanation(j->ev)));
    if (term != NULL) {
        fprintf(fp, "decided by: %s", printable(&buf, term));
        fprintf(fp, " in the record of %s\n", printable(&buf, ink_spf_decided_domain(j->ev)));
    } else {
        fprintf(fp, "decided by: no term\n");
    }
    if (ink_spf_matched_term(j->ev) != NULL &&
        (term == NULL || strcmp(ink_spf_matched_term(j->ev), term) != 0)) {
        fprintf(fp, "matched: %s", printable(&buf, ink_spf_matched_term(j->ev)));
        fprintf(fp, " in the record of %s\n", printable(&buf, ink_spf_matched_domain(j->ev)));
    }
    /* When a term decided, the lines above say it all; otherwise (no
     * record, default neutral, an error) the reason is the news. */
    if (term == NULL || res == INK_SPF_PERMERROR || res == INK_SPF_TEMPERROR)
        fprintf(fp, "reason: %s\n", printable(&buf, ink_spf_reason(j->ev)));
    fprintf(fp, "checked: %s identity", j->mail_from[0] ? "MAIL FROM" : "HELO");
    fprintf(fp, " %s", printable(&buf, ink_spf_sender(j->ev)));
    fprintf(fp, " (domain %s)", printable(&buf, ink_spf_domain(j->ev)));
    fprintf(fp, " for client %s", j->ip_text);
    fprintf(fp, ", HELO %s\n", printable(&buf, j->helo));
    fprintf(fp, "dns lookups: %u of %d, void lookups: %u of %d, queries: %u\n",
            ink_spf_dns_lookups(j->ev), INK_SPF_DNS_LOOKUP_MAX, ink_spf_void_lookups(j->ev),
            INK_SPF_VOID_LOOKUP_MAX, ink_spf_queries(j->ev));
    if (tree != NULL) {
        fprintf(fp, "records:\n");
        print_tree_text(fp, tree, 0, &buf);
    }
    if (verbose) {
        fprintf(fp, "dns queries:\n");
        for (i = 0; i < j->ntrace; i++) {
            fprintf(fp, "  %s %s -> %s", ink_dns_type_name(j->trace[i].type),
                    printable(&buf, j->trace[i].name), ink_dns_status_name(j->trace[i].status));
            if (j->trace[i].status == INK_DNS_OK)
                fprintf(fp, " (%zu record%s)", j->trace[i].nrr, j->trace[i].nrr == 1 ? "" : "s");
            fputc('\n', fp);
        }
        if (j->trace_dropped)
            fprintf(fp, "  ... and %zu more\n", j->trace_dropped);
    }
    ink_str_free(&buf);
}

/* ---- argument checks ----------------------------------------------------- */

/* has_control - whether s holds a control byte (never valid in these) */
static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return 1;
    return 0;
}

/* check_ip - a literal IPv4/IPv6 address; prints the error naming what */
static int check_ip(const char *what, const char *ip)
{
    int fam;
    uint8_t a[16];
    struct ink_str buf = INK_STR_INIT;

    if (ink_ip_parse(ip, strlen(ip), &fam, a) == 0)
        return 0;
    cli_error("%s: '%s' is not an IPv4 or IPv6 address", what, printable(&buf, ip));
    ink_str_free(&buf);
    return -1;
}

/* check_text - a --mail-from/--helo/--receiver value: bounded, no control bytes */
static int check_text(const char *what, const char *s, size_t max)
{
    struct ink_str buf = INK_STR_INIT;
    int rc = 0;

    if (strlen(s) > max) {
        cli_error("%s: longer than %zu bytes", what, max);
        rc = -1;
    } else if (has_control(s)) {
        cli_error("%s: '%s' holds control characters", what, printable(&buf, s));
        rc = -1;
    }
    ink_str_free(&buf);
    return rc;
}

/* ---- one evaluation ------------------------------------------------------ */

/* spf_one - evaluate one client and print the result */
static int spf_one(struct spf_run *run, const char *ip, const char *mail_from, const char *helo)
{
    struct spf_job *j = job_new(run, ip, mail_from, helo);
    int rc = INK_EXIT_OK;

    if (j == NULL) {
        cli_error("spf: out of memory");
        return INK_EXIT_OPERR;
    }
    if (ink_driver_add(run->driver, job_machine(j), NULL, NULL) < 0) {
        cli_error("spf: out of memory");
        job_free(j);
        return INK_EXIT_OPERR;
    }
    if (ink_driver_run(run->driver) < 0 || ink_driver_running(run->driver) > 0) {
        cli_error("spf: the DNS resolver failed");
        job_free(j);
        return INK_EXIT_OPERR;
    }
    if (run->json) {
        json_t *o = job_json(j);
        if (json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
            rc = INK_EXIT_OPERR;
        fputc('\n', stdout);
        json_decref(o);
    } else {
        print_text(stdout, j, run->verbose);
    }
    job_free(j);
    if (fflush(stdout) != 0) {
        cli_error("spf: cannot write the output: %s", strerror(errno));
        rc = INK_EXIT_OPERR;
    }
    return rc;
}

/* ---- batch --------------------------------------------------------------- */

/* Results waiting to be printed in input order. */
struct reorder {
    char **slot;   /* output text of input index base+i, or NULL */
    size_t base;   /* index of slot[0] */
    size_t cap;
};

/* reorder_put - keep out (owned) for index; 0 or -1 on ENOMEM */
static int reorder_put(struct reorder *ro, size_t index, char *out)
{
    size_t need = index - ro->base + 1;

    if (need > ro->cap) {
        size_t ncap = ro->cap ? ro->cap : 64;
        char **ns;
        while (ncap < need) {
            if (ncap > SIZE_MAX / 2 / sizeof(*ns))
                return -1;
            ncap *= 2;
        }
        ns = realloc(ro->slot, ncap * sizeof(*ns));
        if (ns == NULL)
            return -1;
        memset(ns + ro->cap, 0, (ncap - ro->cap) * sizeof(*ns));
        ro->slot = ns;
        ro->cap = ncap;
    }
    ro->slot[index - ro->base] = out;
    return 0;
}

/* reorder_flush - print the results ready at the front, in order */
static void reorder_flush(struct reorder *ro, FILE *fp)
{
    size_t n = 0;

    while (n < ro->cap && ro->slot[n] != NULL) {
        fputs(ro->slot[n], fp);
        free(ro->slot[n]);
        n++;
    }
    if (n > 0) {
        memmove(ro->slot, ro->slot + n, (ro->cap - n) * sizeof(*ro->slot));
        memset(ro->slot + ro->cap - n, 0, n * sizeof(*ro->slot));
        ro->base += n;
    }
}

struct batch_stats {
    size_t count[INK_SPF_PERMERROR + 1];
    size_t bad_lines;
};

/* batch_output - the output line of a finished job (heap string) */
static char *batch_output(const struct spf_run *run, const struct spf_job *j)
{
    struct ink_str s = INK_STR_INIT;

    if (run->json) {
        json_t *o = job_json(j);
        char *txt;
        json_object_set_new(o, "line", json_integer((json_int_t)j->lineno));
        txt = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        if (txt == NULL)
            return NULL;
        if (ink_str_puts(&s, txt) < 0 || ink_str_putc(&s, '\n') < 0) {
            free(txt);
            ink_str_free(&s);
            return NULL;
        }
        free(txt);
    } else if (ink_str_printf(&s, "%s %s %s %s\n", ink_spf_result_name(ink_spf_result(j->ev)),
                              j->ip_text, j->mail_from[0] ? j->mail_from : "<>",
                              j->helo) < 0) {
        ink_str_free(&s);
        return NULL;
    }
    return ink_str_steal(&s);
}

/* batch_parse_line - split "IP MAILFROM HELO" in place; 0, 1 (blank or
 * comment) or -1 with why set */
static int batch_parse_line(char *line, char **ip, char **mf, char **helo, const char **why)
{
    char *f[4];
    int n = 0;
    char *p = line, *hash = strchr(line, '#');

    if (hash != NULL)
        *hash = '\0';
    while (n < 4) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p == '\0')
            break;
        f[n++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            p++;
        if (*p)
            *p++ = '\0';
    }
    if (n == 0)
        return 1;
    if (n != 3) {
        *why = "wants three fields: IP MAIL-FROM HELO";
        return -1;
    }
    *ip = f[0];
    *mf = strcmp(f[1], "<>") == 0 ? f[1] + 2 : f[1];
    *helo = f[2];
    return 0;
}

/* One batch run: the input, the results waiting for their turn, counts. */
struct batch {
    struct spf_run *run;
    FILE *in;
    const char *path;
    size_t lineno, index;
    int eof;
    int rc;
    struct reorder ro;
    struct batch_stats st;
};

static void batch_done(void *arg, struct ink_machine m, enum ink_next how);

/* batch_add_next - read input lines until one gives an evaluation, and
 * hand it to the driver (or the input ends, or the run fails) */
static void batch_add_next(struct batch *b)
{
    char line[SPF_BATCH_LINE_MAX];

    while (!b->eof && b->rc == INK_EXIT_OK) {
        char *ip, *mf, *helo;
        const char *why = NULL;
        struct spf_job *j;
        int prc;

        if (fgets(line, sizeof(line), b->in) == NULL) {
            if (ferror(b->in)) {
                cli_error("--batch: %s: %s", b->path, strerror(errno));
                b->rc = INK_EXIT_OPERR;
            }
            b->eof = 1;
            return;
        }
        b->lineno++;
        if (strchr(line, '\n') == NULL && !feof(b->in)) {
            int c;
            cli_error("%s:%zu: line longer than %d bytes", b->path, b->lineno,
                      SPF_BATCH_LINE_MAX - 2);
            while ((c = fgetc(b->in)) != EOF && c != '\n')
                ;
            b->st.bad_lines++;
            continue;
        }
        prc = batch_parse_line(line, &ip, &mf, &helo, &why);
        if (prc == 1)
            continue;
        if (prc == 0) {
            int fam;
            uint8_t a[16];
            if (ink_ip_parse(ip, strlen(ip), &fam, a) < 0)
                why = "the first field is not an IPv4 or IPv6 address";
            else if (strlen(mf) > INK_SPF_SENDER_MAX)
                why = "the MAIL FROM address is too long";
            else if (strlen(helo) > SPF_NAME_ARG_MAX)
                why = "the HELO name is too long";
        }
        if (why != NULL) {
            cli_error("%s:%zu: %s", b->path, b->lineno, why);
            b->st.bad_lines++;
            continue;
        }
        j = job_new(b->run, ip, mf, helo);
        if (j == NULL || ink_driver_add(b->run->driver, job_machine(j), batch_done, b) < 0) {
            job_free(j);
            cli_error("spf: out of memory");
            b->rc = INK_EXIT_OPERR;
            return;
        }
        j->index = b->index++;
        j->lineno = b->lineno;
        return;
    }
}

/* batch_done - an evaluation ended: queue its output line, print what is
 * next in input order, and start the next input line in its place */
static void batch_done(void *arg, struct ink_machine m, enum ink_next how)
{
    struct batch *b = arg;
    struct spf_job *j = m.self;
    char *out = batch_output(b->run, j);

    (void)how; /* an evaluation always ends DONE (ENOMEM is temperror) */
    b->st.count[ink_spf_result(j->ev)]++;
    if (out == NULL || reorder_put(&b->ro, j->index, out) < 0) {
        free(out);
        cli_error("spf: out of memory");
        b->rc = INK_EXIT_OPERR;
    }
    job_free(j);
    reorder_flush(&b->ro, stdout);
    batch_add_next(b);
}

/* spf_batch - evaluate every line of path with up to parallel in flight */
static int spf_batch(struct spf_run *run, const char *path, size_t parallel, int stats)
{
    struct batch b;
    size_t i;
    struct timespec t0, t1;

    memset(&b, 0, sizeof(b));
    b.run = run;
    b.path = path;
    b.rc = INK_EXIT_OK;
    b.in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (b.in == NULL) {
        cli_error("--batch: %s: %s", path, strerror(errno));
        return INK_EXIT_OPERR;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* parallel evaluations to start with; each one ending starts the next */
    for (i = 0; i < parallel && !b.eof && b.rc == INK_EXIT_OK; i++)
        batch_add_next(&b);
    if (ink_driver_run(run->driver) < 0 && b.rc == INK_EXIT_OK) {
        cli_error("spf: the DNS resolver failed");
        b.rc = INK_EXIT_OPERR;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    reorder_flush(&b.ro, stdout);
    for (i = 0; i < b.ro.cap; i++)
        free(b.ro.slot[i]);
    free(b.ro.slot);
    if (b.in != stdin)
        fclose(b.in);
    if (fflush(stdout) != 0) {
        cli_error("spf: cannot write the output: %s", strerror(errno));
        b.rc = INK_EXIT_OPERR;
    }
    if (stats) {
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        size_t total = 0;
        for (i = 0; i <= INK_SPF_PERMERROR; i++)
            total += b.st.count[i];
        fprintf(stderr, "evaluations: %zu in %.3f s (%.0f per second), %zu in flight at most\n",
                total, secs, secs > 0 ? (double)total / secs : 0.0, parallel);
        for (i = 0; i <= INK_SPF_PERMERROR; i++)
            if (b.st.count[i])
                fprintf(stderr, "  %-10s %zu\n", ink_spf_result_name((enum ink_spf_result)i),
                        b.st.count[i]);
        if (b.st.bad_lines)
            fprintf(stderr, "  malformed lines: %zu\n", b.st.bad_lines);
        if (run->cached) {
            struct ink_driver_stats ds;
            ink_driver_stats(run->driver, &ds);
            fprintf(stderr, "dns cache: %zu answered from memory, %zu joined a query in flight, "
                            "%zu sent to the server\n", ds.cache_hits, ds.joined, ds.sent);
        }
    }
    if (b.rc == INK_EXIT_OK && b.st.bad_lines > 0)
        b.rc = INK_EXIT_OPERR;
    return b.rc;
}

/* ---- the command ----------------------------------------------------------- */

/* spf_help - the help, for the option layer */
static void spf_help(FILE *fp)
{
    fputs(spf_usage_text, fp);
}

/* cmd_spf - `inkan spf ...` */
int cmd_spf(int argc, char **argv)
{
    static const struct option own[] = {
        {"ip", required_argument, NULL, OPT_IP},
        {"mail-from", required_argument, NULL, OPT_MAIL_FROM},
        {"helo", required_argument, NULL, OPT_HELO},
        {"receiver", required_argument, NULL, OPT_RECEIVER},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"parallel", required_argument, NULL, OPT_PARALLEL},
        {"stats", no_argument, NULL, OPT_STATS},
        {NULL, 0, NULL, 0}};
    struct ink_resolver_opts dns;
    struct ink_driver_opts dopts;
    struct ink_resolver *resolver;
    struct spf_run run;
    const char *ip = NULL, *mail_from = NULL, *helo = NULL, *batch = NULL;
    size_t parallel = SPF_PARALLEL_DEFAULT;
    int stats = 0, opt, rc;
    const struct cli_optset set = {
        .own = own, .dns = &dns, .json = &run.json, .usage = spf_help, .shorts = "v"};

    /* `inkan spf lint ...` is spf_lint.c's */
    if (argc >= 2 && strcmp(argv[1], "lint") == 0) {
        cli_set_argv0(argv + 1, "spf lint");
        return cmd_spf_lint(argc - 1, argv + 1);
    }
    memset(&dns, 0, sizeof(dns));
    memset(&run, 0, sizeof(run));
    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        switch (opt) {
        case OPT_IP:
            ip = optarg;
            break;
        case OPT_MAIL_FROM:
            mail_from = optarg;
            break;
        case OPT_HELO:
            helo = optarg;
            break;
        case OPT_RECEIVER:
            run.receiver = optarg;
            break;
        case 'v':
        case OPT_VERBOSE:
            run.verbose = 1;
            break;
        case OPT_BATCH:
            batch = optarg;
            break;
        case OPT_PARALLEL: {
            char *end;
            unsigned long n;
            errno = 0;
            n = strtoul(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-' || n < 1 ||
                n > SPF_PARALLEL_MAX) {
                cli_error("--parallel: '%s' is not a number from 1 to %d", optarg,
                          SPF_PARALLEL_MAX);
                return INK_EXIT_USAGE;
            }
            parallel = n;
            break;
        }
        case OPT_STATS:
            stats = 1;
            break;
        case CLI_GETOPT_HELP:
            return INK_EXIT_OK;
        default: /* CLI_GETOPT_USAGE: said why */
            return INK_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("spf: unexpected argument '%s' (see 'inkan spf --help')", argv[optind]);
        return INK_EXIT_USAGE;
    }
    if (dns.zone_file != NULL && dns.server != NULL) {
        cli_error("spf: --zone and --dns cannot be used together");
        return INK_EXIT_USAGE;
    }
    if (run.receiver != NULL && check_text("--receiver", run.receiver, SPF_NAME_ARG_MAX) < 0)
        return INK_EXIT_USAGE;
    if (batch != NULL) {
        if (ip != NULL || mail_from != NULL || helo != NULL) {
            cli_error("spf: --batch takes the clients from FILE, not from --ip, --mail-from "
                      "or --helo");
            return INK_EXIT_USAGE;
        }
        if (run.verbose) {
            cli_error("spf: --verbose is for one evaluation; use --json with --batch");
            return INK_EXIT_USAGE;
        }
    } else {
        if (stats) {
            cli_error("spf: --stats goes with --batch");
            return INK_EXIT_USAGE;
        }
        if (ip == NULL) {
            cli_error("spf: --ip is required (see 'inkan spf --help')");
            return INK_EXIT_USAGE;
        }
        if (check_ip("--ip", ip) < 0)
            return INK_EXIT_USAGE;
        if (mail_from == NULL)
            mail_from = "";
        if (check_text("--mail-from", mail_from, INK_SPF_SENDER_MAX) < 0)
            return INK_EXIT_USAGE;
        if (helo == NULL) {
            cli_error("spf: --helo is required (see 'inkan spf --help')");
            return INK_EXIT_USAGE;
        }
        if (helo[0] == '\0') {
            cli_error("--helo: empty name");
            return INK_EXIT_USAGE;
        }
        if (check_text("--helo", helo, SPF_NAME_ARG_MAX) < 0)
            return INK_EXIT_USAGE;
    }
    run.now = (int64_t)time(NULL);
    run.tree = run.json || batch == NULL;
    if ((resolver = cli_resolver_open(&dns)) == NULL)
        return INK_EXIT_OPERR;
    /* A DNS server's answers are kept in-process for their TTL, and one
     * query serves every evaluation asking the same name at once (a zone
     * file is in memory already: no cache).  --no-cache in the DNS options
     * (where a command has it) means every question must reach the
     * server. */
    memset(&dopts, 0, sizeof(dopts));
    dopts.timeout_ms = dns.timeout_ms;
    dopts.no_cache = dns.zone_file != NULL || dns.no_cache;
    /* each evaluation has at most one query out */
    dopts.inflight_max = batch != NULL && parallel > INK_DRIVER_INFLIGHT_DEFAULT
                             ? parallel
                             : INK_DRIVER_INFLIGHT_DEFAULT;
    run.cached = !dopts.no_cache;
    if ((run.driver = ink_driver_new(resolver, &dopts)) == NULL) {
        cli_error("spf: out of memory");
        ink_resolver_free(resolver);
        return INK_EXIT_OPERR;
    }
    if (batch != NULL)
        rc = spf_batch(&run, batch, parallel, stats);
    else
        rc = spf_one(&run, ip, mail_from, helo);
    ink_driver_free(run.driver);
    ink_resolver_free(resolver);
    return rc;
}
