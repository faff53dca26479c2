/*
 * report_send.c - 'inkan report generate' and 'inkan report send': the
 * receiver's side of DMARC aggregate reporting (RFC 9990; docs/reports-send.md).
 *
 * generate reads one UTC day of evaluation rows (from the store the
 * milter records them in, include/inkan/evlog.h, or --rows FILE.jsonl,
 * one JSON object per evaluation with the same fields),
 * groups them per DMARC Policy Domain (RFC 9990 section 3.1: one report
 * per policy domain; subdomains without their own record go into their
 * organization's), builds each report (inkan/report_gen.h), gzips it and
 * writes it into the outbox directory under its RFC 9990 3.5.2 name.
 *
 * send walks the outbox: for each report it looks the policy domain's
 * DMARC record up (the one discovery machine, which also checks external
 * destinations, RFC 9990 section 4), and mails the report to each rua
 * mailto: URI that is internal or authorized and whose size limit the
 * message fits, through an SMTP relay (libcurl).  NAME.sent next to the
 * report records each destination the relay accepted, appended and
 * synced only after the relay said 250 to the data, and "done" once
 * every destination was delivered or permanently refused; a later run
 * sends only what is missing.  --dry-run DIR writes the messages there
 * and records nothing.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "inkan/dmarc.h"
#include "inkan/driver.h"
#include "inkan/report.h"
#include "inkan/evlog.h"
#include "inkan/report_gen.h"
#include "inkan/store.h"
#include "inkan/str.h"

#ifndef INKAN_VERSION
#define INKAN_VERSION "0.1.0"
#endif

/* Exit status when some rows were refused (generate) or some reports
 * could not be delivered now and wait for the next run (send). */
#define GEN_EXIT_PARTIAL 3
/* Seconds of one reporting period (a UTC day, RFC 9990 3.1: daily). */
#define GEN_PERIOD_SECONDS 86400
/* Longest line of a --rows file (a row is a few KB). */
#define GEN_ROWS_LINE_MAX ((size_t)64 * 1024)
/* Largest --rows file. */
#define GEN_ROWS_FILE_MAX ((size_t)4 << 30)
/* DKIM results taken from one row. */
#define GEN_ROW_DKIM_MAX 32
/* Policy domains one period may report on. */
#define GEN_DOMAINS_MAX 100000
/* Bytes of a policy word kept per domain ("quarantine" and the terminator). */
#define GEN_WORD_MAX 16
/* Bytes of a report file send reads (gzip of at most INK_AGG_XML_MAX). */
#define SEND_REPORT_FILE_MAX INK_AGG_XML_MAX
/* Bytes of a NAME.sent state file. */
#define SEND_STATE_MAX ((size_t)1 << 20)
/* Report files one send run looks at. */
#define SEND_FILES_MAX 1000000
/* Seconds to connect to the relay, and for one whole message. */
#define SEND_CONNECT_TIMEOUT 30L
#define SEND_MESSAGE_TIMEOUT 300L
/* Longest --relay URL. */
#define SEND_RELAY_MAX 1024
/* Destinations one report goes to (rua URIs, overrides included). */
#define SEND_DESTS_MAX (2 * INK_DMARC_URIS_MAX)

enum {
    OPT_PERIOD = CLI_OPT_FIRST_FREE,
    OPT_ROWS,
    OPT_OUT,
    OPT_ORG_NAME,
    OPT_EMAIL,
    OPT_SUBMITTER,
    OPT_EXTRA,
    OPT_ID_PREFIX,
    OPT_GEN_DB,
    OPT_DRY_RUN,
    OPT_RELAY,
    OPT_FROM,
};

static const char generate_help[] =
    "usage: inkan report generate --period DAY [--db FILE|URI | --rows FILE.jsonl]\n"
    "           --org-name NAME --email ADDR --submitter DOMAIN\n"
    "           [--extra-contact TEXT] [--id-prefix ALNUM] [--out DIR]\n\n"
    "Build one RFC 9990 aggregate report per DMARC Policy Domain from the\n"
    "evaluations of one UTC day, gzip it and write it to the outbox DIR as\n"
    "SUBMITTER!DOMAIN!BEGIN!END[!PREFIX].xml.gz.\n\n"
    "  --period DAY       YYYY-MM-DD (UTC), or 'yesterday'\n"
    "  --db FILE|URI      the store the milter records evaluations in (default\n"
    "                     $XDG_DATA_HOME/inkan/inkan.db, as 'inkan domain'), or\n"
    "                     postgresql://...\n"
    "  --rows FILE        instead, evaluation rows, one JSON object per line (the\n"
    "                     fields of 'inkan evaluations list --json'; see\n"
    "                     docs/reports-send.md); - reads standard input\n"
    "  --org-name NAME    our organization, as <org_name>\n"
    "  --email ADDR       the contact address, <email>; also send's default From\n"
    "  --submitter DOMAIN our domain: the file name's receiver, the Report-ID's\n"
    "                     right side, the subject's Submitter\n"
    "  --extra-contact TEXT  <extra_contact_info>\n"
    "  --id-prefix ALNUM  letters and digits that set this generator apart from\n"
    "                     others of ours (Report-ID PREFIX.BEGIN.DOMAIN@SUBMITTER\n"
    "                     and the file name's unique-id)\n"
    "  --out DIR          the outbox (default $XDG_DATA_HOME/inkan/outbox or\n"
    "                     ~/.local/share/inkan/outbox)\n\n"
    "A report already (partly) sent is kept, not rewritten.  Exit status: 0 done\n"
    "(also when the day had no evaluations), 3 some rows refused (the rest\n"
    "reported), 1 operational error, 2 usage.\n";

static const char send_help[] =
    "usage: inkan report send [--out DIR] (--relay smtp://HOST[:PORT] | --dry-run DIR)\n"
    "           [--from ADDR] [DNS OPTIONS]\n\n"
    "Mail each report of the outbox to its policy domain's rua mailto: addresses:\n"
    "internal ones, and external ones that authorize it\n"
    "(DOMAIN._report._dmarc.HOST TXT v=DMARC1), within each URI's !SIZE limit.\n"
    "NAME.sent records each delivery the relay accepted; a later run sends only\n"
    "what is missing.\n\n"
    "  --out DIR          the outbox generate wrote (default as generate)\n"
    "  --relay URL        smtp://HOST[:PORT] (STARTTLS when offered) or\n"
    "                     smtps://HOST[:PORT]; a path sets the EHLO name\n"
    "                     (default: the report's submitter)\n"
    "  --dry-run DIR      write the messages to DIR/NAME.ADDRESS.eml instead;\n"
    "                     nothing is recorded as sent\n"
    "  --from ADDR        the From and MAIL FROM address (default: the report's\n"
    "                     <email>)\n" CLI_DNS_HELP
    "\nExit status: 0 every report delivered or refused for good (unauthorized,\n"
    "too large, no rua), 3 some wait for a later run (relay or DNS failed),\n"
    "1 operational error, 2 usage.\n";

static void generate_usage(FILE *fp)
{
    fputs(generate_help, fp);
}

static void send_usage(FILE *fp)
{
    fputs(send_help, fp);
}

/* default_outbox - the outbox beside the default store: $XDG_DATA_HOME/
 * inkan/outbox or ~/.local/share/inkan/outbox (caller frees) */
static char *default_outbox(void)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    struct ink_str s = INK_STR_INIT;

    if (xdg != NULL && xdg[0] == '/')
        ink_str_printf(&s, "%s/inkan/outbox", xdg);
    else if (home != NULL && home[0] != '\0')
        ink_str_printf(&s, "%s/.local/share/inkan/outbox", home);
    else
        return NULL;
    return ink_str_steal(&s);
}

/* mkdir_p - make dir and its parents (mode 0755); 0 or -1 after printing */
static int mkdir_p(const char *dir)
{
    struct ink_str s = INK_STR_INIT;
    size_t i;
    int rc = 0;

    if (ink_str_puts(&s, dir) < 0) {
        cli_error("out of memory");
        return -1;
    }
    for (i = 1; i <= s.len && rc == 0; i++) {
        if (i < s.len && s.buf[i] != '/')
            continue;
        s.buf[i] = '\0';
        if (mkdir(s.buf, 0755) < 0 && errno != EEXIST) {
            cli_error("%s: %s", s.buf, strerror(errno));
            rc = -1;
        }
        if (i < s.len)
            s.buf[i] = '/';
    }
    ink_str_free(&s);
    return rc;
}

/* write_atomic - dir/name holds buf once this returns 0: written to a
 * hidden temporary name, synced, renamed over (never a half file under the
 * real name).  -1 after printing. */
static int write_atomic(const char *dir, const char *name, const void *buf, size_t len)
{
    struct ink_str tmp = INK_STR_INIT, dst = INK_STR_INIT;
    const char *p = buf;
    int fd, rc = -1;

    if (ink_str_printf(&tmp, "%s/.%s.tmp", dir, name) < 0 ||
        ink_str_printf(&dst, "%s/%s", dir, name) < 0) {
        cli_error("out of memory");
        goto out;
    }
    fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        cli_error("%s: %s", tmp.buf, strerror(errno));
        goto out;
    }
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            cli_error("%s: %s", tmp.buf, strerror(errno));
            close(fd);
            unlink(tmp.buf);
            goto out;
        }
        p += w;
        len -= (size_t)w;
    }
    if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp.buf, dst.buf) < 0) {
        cli_error("%s: %s", dst.buf, strerror(errno));
        unlink(tmp.buf);
        goto out;
    }
    rc = 0;
out:
    ink_str_free(&tmp);
    ink_str_free(&dst);
    return rc;
}

/* ---- generate ---- */

/* One evaluation as generate reads it (strings borrowed from the source). */
struct gen_row {
    int64_t at;
    const char *dmarc_result;
    const char *policy_domain, *p, *sp, *np, *t, *adkim, *aspf;
    struct ink_agg_row agg;
    struct ink_agg_dkim dkim[GEN_ROW_DKIM_MAX];
    struct ink_agg_reason reasons[INK_AGG_REASONS_MAX];
    char words[INK_AGG_FIELD_MAX];   /* the override words, split in place */
    char rcpt[INK_AGG_FIELD_MAX];    /* the first envelope_to domain */
};

/* One policy domain's report under construction. */
struct gen_domain {
    char *name;
    struct ink_agg *agg;
    int64_t last_at;
    /* the policy of its latest row: RFC 9990 3.1 "SHOULD note only the
     * final configuration observed during the period" */
    char p[GEN_WORD_MAX], sp[GEN_WORD_MAX], np[GEN_WORD_MAX], t[GEN_WORD_MAX];
    char adkim[GEN_WORD_MAX], aspf[GEN_WORD_MAX];
};

/* The run: the day, the domains (a hash table of indexes), the counts. */
struct gen {
    int64_t begin, end;
    struct gen_domain *doms;
    size_t ndoms, cap;
    size_t *slots, nslots;
    unsigned long rows, in_period, unreported, refused;
};

/* nz - NULL for "" (an evaluation row's "absent") */
static const char *nz(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/* word_copy - s (or "") into a GEN_WORD_MAX buffer */
static void word_copy(char *dst, const char *s)
{
    snprintf(dst, GEN_WORD_MAX, "%s", s ? s : "");
}

/* name_hash - FNV-1a of a lower-case domain name */
static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* gen_domain_get - the report of a (lower-cased) policy domain, made on
 * first use; NULL after printing (out of memory, too many domains) */
static struct gen_domain *gen_domain_get(struct gen *g, const char *name)
{
    size_t j, i;

    if (g->nslots > 0) {
        for (j = name_hash(name) & (g->nslots - 1); g->slots[j] != 0; j = (j + 1) & (g->nslots - 1))
            if (strcmp(g->doms[g->slots[j] - 1].name, name) == 0)
                return &g->doms[g->slots[j] - 1];
    }
    if (g->ndoms >= GEN_DOMAINS_MAX) {
        cli_error("more than %d policy domains in one period", GEN_DOMAINS_MAX);
        return NULL;
    }
    if (g->ndoms == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 16;
        struct gen_domain *nd = realloc(g->doms, nc * sizeof(*nd));
        if (nd == NULL)
            goto nomem;
        g->doms = nd;
        g->cap = nc;
    }
    if ((g->ndoms + 1) * 2 > g->nslots) {
        size_t ns = g->nslots ? g->nslots * 2 : 64;
        size_t *s = calloc(ns, sizeof(*s));
        if (s == NULL)
            goto nomem;
        for (i = 0; i < g->ndoms; i++) {
            for (j = name_hash(g->doms[i].name) & (ns - 1); s[j] != 0; j = (j + 1) & (ns - 1))
                ;
            s[j] = i + 1;
        }
        free(g->slots);
        g->slots = s;
        g->nslots = ns;
    }
    memset(&g->doms[g->ndoms], 0, sizeof(g->doms[0]));
    g->doms[g->ndoms].name = strdup(name);
    g->doms[g->ndoms].agg = ink_agg_new();
    if (g->doms[g->ndoms].name == NULL || g->doms[g->ndoms].agg == NULL) {
        free(g->doms[g->ndoms].name);
        ink_agg_free(g->doms[g->ndoms].agg);
        goto nomem;
    }
    for (j = name_hash(name) & (g->nslots - 1); g->slots[j] != 0; j = (j + 1) & (g->nslots - 1))
        ;
    g->slots[j] = ++g->ndoms;
    return &g->doms[g->ndoms - 1];
nomem:
    cli_error("out of memory");
    return NULL;
}

/* gen_take - count one row into its policy domain's report.  0, 1 when
 * the row was refused (said why, with where), -1 to stop (said why). */
static int gen_take(struct gen *g, struct gen_row *r, const char *where)
{
    struct ink_str err = INK_STR_INIT;
    struct gen_domain *d;
    char dom[INK_AGG_FIELD_MAX];
    size_t i;

    g->rows++;
    if (r->at < g->begin || r->at > g->end)
        return 0;
    g->in_period++;
    /* no policy record, no report (RFC 9990 3.1.2: reports are per policy
     * domain); temperror and permerror rows have no policy applied */
    if (nz(r->policy_domain) == NULL || r->dmarc_result == NULL ||
        (strcmp(r->dmarc_result, "pass") != 0 && strcmp(r->dmarc_result, "fail") != 0)) {
        g->unreported++;
        return 0;
    }
    snprintf(dom, sizeof(dom), "%s", r->policy_domain);
    for (i = 0; dom[i]; i++)
        dom[i] = (char)tolower((unsigned char)dom[i]);
    if (strlen(dom) > 253) {
        printf("%s: refused: policy_domain is longer than a domain name\n", where);
        g->refused++;
        return 1;
    }
    if ((d = gen_domain_get(g, dom)) == NULL)
        return -1;
    if (ink_agg_add(d->agg, &r->agg, &err) < 0) {
        printf("%s: refused: %s\n", where, ink_str_cstr(&err));
        ink_str_free(&err);
        g->refused++;
        return 1;
    }
    ink_str_free(&err);
    if (r->at >= d->last_at) {
        d->last_at = r->at;
        word_copy(d->p, r->p);
        word_copy(d->sp, r->sp);
        word_copy(d->np, r->np);
        word_copy(d->t, r->t);
        word_copy(d->adkim, r->adkim);
        word_copy(d->aspf, r->aspf);
    }
    return 0;
}

/* split_words - the override words (space-separated) as reasons, the
 * comment on the first */
static void split_words(struct gen_row *r, const char *words, const char *comment)
{
    char *p, *save = NULL;

    r->agg.nreasons = 0;
    r->agg.reasons = r->reasons;
    if (nz(words) == NULL)
        return;
    snprintf(r->words, sizeof(r->words), "%s", words);
    for (p = strtok_r(r->words, " ", &save); p != NULL && r->agg.nreasons < INK_AGG_REASONS_MAX;
         p = strtok_r(NULL, " ", &save)) {
        r->reasons[r->agg.nreasons].type = p;
        r->reasons[r->agg.nreasons].comment = r->agg.nreasons == 0 ? nz(comment) : NULL;
        r->agg.nreasons++;
    }
}

/* first_word - the first of the space-separated envelope_to domains */
static const char *first_word(struct gen_row *r, const char *list)
{
    size_t n;

    if (nz(list) == NULL)
        return NULL;
    while (*list == ' ')
        list++;
    n = strcspn(list, " ");
    if (n == 0 || n >= sizeof(r->rcpt))
        return NULL;
    memcpy(r->rcpt, list, n);
    r->rcpt[n] = '\0';
    return r->rcpt;
}

/* jstr - the string member key of o, or NULL (absent, null or not a string) */
static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* jsub - the string member flat of o, else member sub of the object
 * member nest (the shape of 'inkan evaluations list --json': "spf":
 * {"result", ...}, "dmarc": {...}, "policy_published": {...}) */
static const char *jsub(json_t *o, const char *flat, const char *nest, const char *sub)
{
    const char *v = jstr(o, flat);

    return v != NULL ? v : jstr(json_object_get(o, nest), sub);
}

/* row_from_json - an evaluation row from one JSON object (see
 * docs/reports-send.md); strings borrowed from o.  0, or -1 with why. */
static int row_from_json(json_t *o, struct gen_row *r, const char **why)
{
    json_t *at = json_object_get(o, "at"), *dk = json_object_get(o, "dkim"), *v;
    const char *efrom;
    size_t i;

    memset(r, 0, sizeof(*r));
    if (!json_is_object(o)) {
        *why = "not a JSON object";
        return -1;
    }
    if (!json_is_integer(at)) {
        *why = "\"at\" (seconds since 1970) is missing or not an integer";
        return -1;
    }
    r->at = json_integer_value(at);
    r->dmarc_result = jsub(o, "dmarc_result", "dmarc", "result");
    r->policy_domain = jsub(o, "policy_domain", "policy_published", "domain");
    r->p = nz(jsub(o, "p", "policy_published", "p"));
    r->sp = nz(jsub(o, "sp", "policy_published", "sp"));
    r->np = nz(jsub(o, "np", "policy_published", "np"));
    r->t = nz(jsub(o, "t", "policy_published", "t"));
    r->adkim = nz(jsub(o, "adkim", "policy_published", "adkim"));
    r->aspf = nz(jsub(o, "aspf", "policy_published", "aspf"));
    r->agg.source_ip = jstr(o, "source_ip");
    r->agg.count = 1;
    r->agg.disposition = jstr(o, "disposition");
    r->agg.dkim = jsub(o, "dmarc_dkim", "dmarc", "dkim");
    r->agg.spf = jsub(o, "dmarc_spf", "dmarc", "spf");
    r->agg.header_from = jstr(o, "header_from");
    efrom = jstr(o, "envelope_from");
    r->agg.envelope_from = efrom; /* "" stays: a null reverse-path */
    r->agg.envelope_to = first_word(r, jstr(o, "envelope_to"));
    split_words(r, jstr(o, "override"), jstr(o, "override_comment"));
    if (dk != NULL && !json_is_array(dk)) {
        *why = "\"dkim\" is not an array";
        return -1;
    }
    json_array_foreach(dk, i, v) {
        if (i >= GEN_ROW_DKIM_MAX)
            break;
        if (!json_is_object(v)) {
            *why = "a \"dkim\" entry is not an object";
            return -1;
        }
        r->dkim[i].domain = jstr(v, "domain");
        r->dkim[i].selector = jstr(v, "selector");
        r->dkim[i].result = jstr(v, "result");
        r->dkim[i].human_result = nz(jstr(v, "human_result"));
        r->agg.ndkim = i + 1;
    }
    r->agg.dkim_auth = r->dkim;
    if (nz(jsub(o, "spf_result", "spf", "result")) != NULL &&
        nz(jsub(o, "spf_domain", "spf", "domain")) != NULL) {
        const char *scope = jsub(o, "spf_scope", "spf", "scope");
        r->agg.spf_domain = jsub(o, "spf_domain", "spf", "domain");
        r->agg.spf_result = jsub(o, "spf_result", "spf", "result");
        /* the schema knows only mfrom; a HELO identity is left unscoped */
        r->agg.spf_scope = scope != NULL && strcmp(scope, "mfrom") == 0 ? scope : NULL;
    }
    return 0;
}

/* gen_read_rows - every line of path (- : stdin) into g; 0, or -1 after
 * printing (unreadable, a line too long: the input cannot be trusted) */
static int gen_read_rows(struct gen *g, const char *path)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int rc = 0;

    if (fp == NULL) {
        cli_error("--rows %s: %s", cli_shown(path), strerror(errno));
        return -1;
    }
    if (fp != stdin && cli_file_limit("--rows", path, GEN_ROWS_FILE_MAX) < 0) {
        fclose(fp);
        return -1;
    }
    while ((n = getline(&line, &cap, fp)) >= 0) {
        struct gen_row r;
        json_error_t jerr;
        json_t *o;
        const char *why = NULL;
        char where[64];
        int t;

        lineno++;
        if ((size_t)n > GEN_ROWS_LINE_MAX) {
            cli_error("--rows %s:%zu: line longer than %zu bytes", cli_shown(path), lineno,
                      GEN_ROWS_LINE_MAX);
            rc = -1;
            break;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n == 0)
            continue;
        snprintf(where, sizeof(where), "%s:%zu", strcmp(path, "-") == 0 ? "stdin" : "rows",
                 lineno);
        o = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
        if (o == NULL) {
            printf("%s: refused: invalid JSON at column %d: %s\n", where, jerr.column, jerr.text);
            g->refused++;
            continue;
        }
        if (row_from_json(o, &r, &why) < 0) {
            printf("%s: refused: %s\n", where, why);
            g->refused++;
            json_decref(o);
            continue;
        }
        t = gen_take(g, &r, where);
        json_decref(o);
        if (t < 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(fp)) {
        cli_error("--rows %s: %s", cli_shown(path), strerror(errno));
        rc = -1;
    }
    free(line);
    if (fp != stdin)
        fclose(fp);
    return rc;
}

/* row_from_evrow - a generate row from a stored evaluation (strings
 * borrowed from e; "" is absent, except envelope_from: a null path) */
static void row_from_evrow(const struct ink_evrow *e, struct gen_row *r)
{
    size_t i;

    memset(r, 0, sizeof(*r));
    r->at = e->at;
    r->dmarc_result = e->dmarc_result;
    r->policy_domain = e->policy_domain;
    r->p = nz(e->p);
    r->sp = nz(e->sp);
    r->np = nz(e->np);
    r->t = nz(e->t);
    r->adkim = nz(e->adkim);
    r->aspf = nz(e->aspf);
    r->agg.source_ip = e->source_ip;
    r->agg.count = 1;
    r->agg.disposition = e->disposition;
    r->agg.dkim = e->dmarc_dkim;
    r->agg.spf = e->dmarc_spf;
    r->agg.header_from = e->header_from;
    r->agg.envelope_from = e->envelope_from;
    r->agg.envelope_to = first_word(r, e->envelope_to);
    split_words(r, e->override, e->override_comment);
    for (i = 0; i < e->ndkim && i < INK_EVROW_DKIM_MAX && i < GEN_ROW_DKIM_MAX; i++) {
        r->dkim[i].domain = e->dkim[i].domain;
        r->dkim[i].selector = e->dkim[i].selector;
        r->dkim[i].result = e->dkim[i].result;
        r->agg.ndkim = i + 1;
    }
    r->agg.dkim_auth = r->dkim;
    if (nz(e->spf_result) != NULL && nz(e->spf_domain) != NULL) {
        r->agg.spf_domain = e->spf_domain;
        r->agg.spf_result = e->spf_result;
        r->agg.spf_scope = strcmp(e->spf_scope, "mfrom") == 0 ? e->spf_scope : NULL;
    }
}

/* What gen_on_evrow needs. */
struct gen_store_ctx {
    struct gen *g;
    int failed;
};

/* gen_on_evrow - one stored evaluation into the run (evaluations_list's
 * callback); non-zero stops the listing */
static int gen_on_evrow(void *arg, const struct ink_evrow *e)
{
    struct gen_store_ctx *c = arg;
    struct gen_row r;
    char where[INK_EVROW_KEY_MAX + 16];

    row_from_evrow(e, &r);
    snprintf(where, sizeof(where), "row %s", cli_shown(e->key));
    if (gen_take(c->g, &r, where) < 0) {
        c->failed = 1;
        return 1;
    }
    return 0;
}

/* gen_read_store - the period's evaluations from the store at db (NULL:
 * the default) into g; 0, or -1 after printing */
static int gen_read_store(struct gen *g, const char *db)
{
    struct ink_store *st = cli_report_open_db(db);
    struct ink_str err = INK_STR_INIT;
    struct gen_store_ctx c = {g, 0};
    int rc;

    if (st == NULL)
        return -1;
    /* evaluations_list takes begin <= at < end */
    rc = ink_store_evaluations_list(st, g->begin, g->end + 1, NULL, gen_on_evrow, &c, &err);
    if (rc < 0)
        cli_error("%s", ink_str_cstr(&err));
    ink_str_free(&err);
    ink_store_free(st);
    return rc < 0 || c.failed ? -1 : 0;
}

/* parse_day - YYYY-MM-DD (or "yesterday") as the UTC day's first second */
static int parse_day(const char *s, int64_t *begin)
{
    struct tm tm;
    char *end;

    if (strcmp(s, "yesterday") == 0) {
        time_t now = time(NULL);
        *begin = (int64_t)now - (int64_t)now % GEN_PERIOD_SECONDS - GEN_PERIOD_SECONDS;
        return 0;
    }
    memset(&tm, 0, sizeof(tm));
    end = strptime(s, "%Y-%m-%d", &tm);
    if (end == NULL || *end != '\0' || strlen(s) != 10 || tm.tm_year < 70)
        return -1;
    *begin = (int64_t)timegm(&tm);
    return 0;
}

/* state_path - dir/NAME.sent (caller frees the string) */
static int state_path(struct ink_str *out, const char *dir, const char *name)
{
    return ink_str_printf(out, "%s/%s.sent", dir, name);
}

/* gen_write - build, gzip and write every domain's report; counts into
 * *written / *kept.  0, or -1 after printing. */
static int gen_write(struct gen *g, const char *out, const char *org, const char *email,
                     const char *submitter, const char *extra, const char *prefix,
                     unsigned long *written, unsigned long *kept)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < g->ndoms && rc == 0; i++) {
        struct gen_domain *d = &g->doms[i];
        struct ink_str rid = INK_STR_INIT, xml = INK_STR_INIT, gz = INK_STR_INIT,
                       name = INK_STR_INIT, sp = INK_STR_INIT, err = INK_STR_INIT;
        struct ink_agg_meta m;
        struct stat st;

        memset(&m, 0, sizeof(m));
        if (ink_agg_records(d->agg) == 0)
            continue; /* every row of it was refused (said so) */
        if ((prefix ? ink_str_printf(&rid, "%s.%" PRId64 ".%s@%s", prefix, g->begin, d->name,
                                     submitter)
                    : ink_str_printf(&rid, "%" PRId64 ".%s@%s", g->begin, d->name, submitter)) <
                0 ||
            ink_agg_filename(submitter, d->name, g->begin, g->end, prefix, 1, &name) < 0) {
            printf("%s: refused: the policy domain is not a domain name a report can be named "
                   "after\n",
                   cli_shown(d->name));
            goto next;
        }
        if (!ink_agg_report_id_ok(rid.buf)) {
            printf("%s: refused: Report-ID %s is not dot-atom-text\n", cli_shown(d->name),
                   cli_shown(rid.buf));
            goto next;
        }
        if (state_path(&sp, out, name.buf) < 0) {
            cli_error("out of memory");
            rc = -1;
            goto next;
        }
        if (stat(sp.buf, &st) == 0) {
            /* RFC 9990 3.5.2: a re-sent report keeps its name; one being
             * delivered keeps its content too */
            printf("%s: kept %s/%s: already (partly) sent\n", d->name, out, name.buf);
            (*kept)++;
            goto next;
        }
        m.org_name = org;
        m.email = email;
        m.extra_contact_info = extra;
        m.report_id = rid.buf;
        m.generator = "inkan " INKAN_VERSION;
        m.begin = g->begin;
        m.end = g->end;
        m.domain = d->name;
        /* RFC 9989 4.7: p absent with a valid rua is treated as none */
        m.p = d->p[0] ? d->p : "none";
        m.sp = nz(d->sp);
        m.np = nz(d->np);
        m.testing = nz(d->t);
        m.adkim = nz(d->adkim);
        m.aspf = nz(d->aspf);
        if (ink_agg_xml(d->agg, &m, &xml, &err) < 0 ||
            ink_agg_gzip((const uint8_t *)xml.buf, xml.len, &gz, &err) < 0) {
            cli_error("%s: %s", cli_shown(d->name), ink_str_cstr(&err));
            rc = -1;
            goto next;
        }
        if (write_atomic(out, name.buf, gz.buf, gz.len) < 0) {
            rc = -1;
            goto next;
        }
        printf("%s: wrote %s/%s (%zu records, %" PRIu64 " messages)\n", d->name, out, name.buf,
               ink_agg_records(d->agg), ink_agg_messages(d->agg));
        (*written)++;
    next:
        ink_str_free(&rid);
        ink_str_free(&xml);
        ink_str_free(&gz);
        ink_str_free(&name);
        ink_str_free(&sp);
        ink_str_free(&err);
    }
    return rc;
}

/* gen_free - release the run's domains */
static void gen_free(struct gen *g)
{
    size_t i;

    for (i = 0; i < g->ndoms; i++) {
        free(g->doms[i].name);
        ink_agg_free(g->doms[i].agg);
    }
    free(g->doms);
    free(g->slots);
}

/* alnum_only - s is 1..64 letters and digits */
static int alnum_only(const char *s)
{
    size_t i;

    for (i = 0; s[i]; i++)
        if (!isalnum((unsigned char)s[i]))
            return 0;
    return i > 0 && i <= 64;
}

/* cli_report_generate - inkan report generate */
int cli_report_generate(int argc, char **argv)
{
    static const struct option own[] = {
        {"period", required_argument, NULL, OPT_PERIOD},
        {"rows", required_argument, NULL, OPT_ROWS},
        {"out", required_argument, NULL, OPT_OUT},
        {"org-name", required_argument, NULL, OPT_ORG_NAME},
        {"email", required_argument, NULL, OPT_EMAIL},
        {"submitter", required_argument, NULL, OPT_SUBMITTER},
        {"extra-contact", required_argument, NULL, OPT_EXTRA},
        {"id-prefix", required_argument, NULL, OPT_ID_PREFIX},
        {"db", required_argument, NULL, OPT_GEN_DB},
        {NULL, 0, NULL, 0},
    };
    const struct cli_optset set = {.own = own, .usage = generate_usage};
    const char *period = NULL, *rows = NULL, *out = NULL, *org = NULL, *email = NULL,
               *submitter = NULL, *extra = NULL, *prefix = NULL, *db = NULL;
    char *def = NULL;
    struct gen g;
    unsigned long written = 0, kept = 0;
    int c, rc = INK_EXIT_OK;
    struct ink_str probe = INK_STR_INIT;

    optind = 1;
    while ((c = cli_getopt(&set, argc, argv)) != -1) {
        switch (c) {
        case OPT_PERIOD: period = optarg; break;
        case OPT_ROWS: rows = optarg; break;
        case OPT_OUT: out = optarg; break;
        case OPT_ORG_NAME: org = optarg; break;
        case OPT_EMAIL: email = optarg; break;
        case OPT_SUBMITTER: submitter = optarg; break;
        case OPT_EXTRA: extra = optarg; break;
        case OPT_ID_PREFIX: prefix = optarg; break;
        case OPT_GEN_DB:
            if (!ink_store_db_ok(optarg)) {
                cli_error("--db '%s': give a database file or a postgresql:// URI",
                          cli_shown(optarg));
                return INK_EXIT_USAGE;
            }
            db = optarg;
            break;
        case CLI_GETOPT_HELP: return INK_EXIT_OK;
        default: return INK_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("unexpected argument '%s' (see '%s --help')", cli_shown(argv[optind]), argv[0]);
        return INK_EXIT_USAGE;
    }
    memset(&g, 0, sizeof(g));
    if (period == NULL || parse_day(period, &g.begin) < 0) {
        cli_error("--period: give the UTC day as YYYY-MM-DD or 'yesterday'%s%s",
                  period ? ", not " : "", period ? cli_shown(period) : "");
        return INK_EXIT_USAGE;
    }
    g.end = g.begin + GEN_PERIOD_SECONDS - 1;
    if (rows != NULL && db != NULL) {
        cli_error("--rows and --db do not go together: the rows come from one of them");
        return INK_EXIT_USAGE;
    }
    if (org == NULL || org[0] == '\0' || email == NULL || !ink_agg_address_ok(email) ||
        submitter == NULL) {
        cli_error("--org-name, --email ADDR and --submitter DOMAIN are required");
        return INK_EXIT_USAGE;
    }
    if (ink_agg_filename(submitter, "example.com", 0, 0, NULL, 1, &probe) < 0) {
        cli_error("--submitter '%s': give our domain name", cli_shown(submitter));
        ink_str_free(&probe);
        return INK_EXIT_USAGE;
    }
    ink_str_free(&probe);
    if (prefix != NULL && !alnum_only(prefix)) {
        cli_error("--id-prefix '%s': 1 to 64 letters and digits", cli_shown(prefix));
        return INK_EXIT_USAGE;
    }
    if (out == NULL) {
        def = default_outbox();
        if (def == NULL) {
            cli_error("no --out DIR given and neither XDG_DATA_HOME nor HOME is set");
            return INK_EXIT_OPERR;
        }
        out = def;
    }
    if ((rows != NULL ? gen_read_rows(&g, rows) : gen_read_store(&g, db)) < 0 || mkdir_p(out) < 0 ||
        gen_write(&g, out, org, email, submitter, extra, prefix, &written, &kept) < 0) {
        rc = INK_EXIT_OPERR;
    } else {
        if (written + kept == 0)
            printf("no evaluations to report for %s (UTC): no report written\n", period);
        printf("%lu rows read, %lu in the period, %lu without a DMARC policy (not reported), "
               "%lu refused; %lu reports written, %lu kept\n",
               g.rows, g.in_period, g.unreported, g.refused, written, kept);
        if (g.refused > 0)
            rc = GEN_EXIT_PARTIAL;
    }
    gen_free(&g);
    free(def);
    return rc;
}

/* ---- send ---- */

/* What one send run does with each report. */
struct sender {
    const char *dir, *dry_run, *relay, *from;
    struct ink_resolver *res;
    CURL *curl;
    char errbuf[CURL_ERROR_SIZE];
    unsigned long delivered, refused, waiting, done_before;
};

/* The metadata a report file holds (from its XML). */
struct sent_meta {
    char report_id[512], email[256], domain[256];
    int64_t begin, end;
};

static int on_sent_meta(void *ctx, const struct ink_report_meta *m)
{
    struct sent_meta *s = ctx;

    snprintf(s->report_id, sizeof(s->report_id), "%s", m->report_id);
    snprintf(s->email, sizeof(s->email), "%s", m->email ? m->email : "");
    snprintf(s->domain, sizeof(s->domain), "%s", m->domain);
    s->begin = m->begin;
    s->end = m->end;
    return 1; /* the metadata is all we need: stop */
}

/* read_report - the report file's bytes into gz and its metadata into m;
 * 0, or -1 with why */
static int read_report(const char *path, int is_gz, struct ink_str *bytes, struct sent_meta *m,
                       struct ink_str *why)
{
    static const struct ink_report_callbacks cb = {on_sent_meta, NULL};
    struct ink_str xml = INK_STR_INIT;
    enum ink_report_error e;
    char msg[256];
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = -1;

    if (cli_read_file(path, SEND_REPORT_FILE_MAX, &buf, &len) < 0) {
        ink_str_puts(why, "cannot be read");
        return -1;
    }
    if (ink_str_append(bytes, buf, len) < 0) {
        ink_str_puts(why, "out of memory");
        goto out;
    }
    if (is_gz && ink_agg_gunzip(buf, len, &xml, why) < 0)
        goto out;
    if (!is_gz && ink_str_append(&xml, buf, len) < 0) {
        ink_str_puts(why, "out of memory");
        goto out;
    }
    memset(m, 0, sizeof(*m));
    ink_report_parse((const uint8_t *)xml.buf, xml.len, NULL, &cb, m, &e, msg, sizeof(msg), NULL);
    if (m->report_id[0] == '\0') {
        ink_str_printf(why, "not a readable aggregate report: %s", msg);
        goto out;
    }
    rc = 0;
out:
    free(buf);
    ink_str_free(&xml);
    return rc;
}

/* State of one report file: the destinations already delivered. */
struct state {
    char *text;   /* the file's contents, NUL-terminated (owned) */
    int done;     /* a "done" line */
};

/* state_load - NAME.sent if it exists; 0, or -1 with why */
static int state_load(const char *path, struct state *st, struct ink_str *why)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct stat sb;

    memset(st, 0, sizeof(*st));
    if (stat(path, &sb) < 0) {
        if (errno == ENOENT)
            return 0;
        ink_str_printf(why, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (cli_read_file(path, SEND_STATE_MAX, &buf, &len) < 0) {
        ink_str_printf(why, "%s cannot be read", path);
        return -1;
    }
    st->text = ink_memdup_cstr(buf, len);
    free(buf);
    if (st->text == NULL) {
        ink_str_puts(why, "out of memory");
        return -1;
    }
    st->done = strncmp(st->text, "done ", 5) == 0 || strstr(st->text, "\ndone ") != NULL;
    return 0;
}

/* state_has - whether addr has a "sent ADDR ..." line */
static int state_has(const struct state *st, const char *addr)
{
    const char *p = st->text;
    size_t n = strlen(addr);

    while (p != NULL && *p) {
        if (strncmp(p, "sent ", 5) == 0 && strncmp(p + 5, addr, n) == 0 && p[5 + n] == ' ')
            return 1;
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return 0;
}

/* state_append - append one line to NAME.sent and sync it to disk before
 * returning (the relay accepted: this must survive a crash); 0 or -1 */
static int state_append(const char *path, const char *line)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
    size_t len = strlen(line), off = 0;

    if (fd < 0) {
        cli_error("%s: %s", path, strerror(errno));
        return -1;
    }
    while (off < len) {
        ssize_t w = write(fd, line + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            cli_error("%s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        cli_error("%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* One destination of a report. */
struct dest {
    char addr[256];
    uint64_t max_size; /* 0: no limit */
    int refused;       /* permanently: unauthorized, not mailto, ... */
    int temp;          /* temporarily: the authorization lookup failed */
    char why[256];
};

/* dest_add - a mailto: URI (as parsed from a record) as a destination */
static void dest_add(struct dest *d, size_t *n, const struct ink_dmarc_uri *u)
{
    struct dest *x;

    if (*n >= SEND_DESTS_MAX)
        return;
    x = &d[(*n)++];
    memset(x, 0, sizeof(*x));
    snprintf(x->addr, sizeof(x->addr), "%s", u->address ? u->address : u->uri);
    x->max_size = u->has_size ? u->max_size : 0;
    if (strcmp(u->scheme, "mailto") != 0 || u->address == NULL) {
        x->refused = 1;
        snprintf(x->why, sizeof(x->why), "not a mailto: URI (only mail is spoken)");
    } else if (!ink_agg_address_ok(u->address)) {
        x->refused = 1;
        snprintf(x->why, sizeof(x->why), "not a plain address local@domain");
    }
}

/* destinations - the rua destinations of domain's record after RFC 9990
 * section 4 (external ones authorized, overrides applied): into d[0..*n).
 * 0; 1 when the lookup failed temporarily (try later); 2 when there is
 * no record at domain or it has no rua (nothing to send, for good);
 * why says it. */
static int destinations(struct sender *s, const char *domain, struct dest *d, size_t *n,
                        struct ink_str *why)
{
    struct ink_dmarc_disc *disc = ink_dmarc_disc_new(domain, INK_DMARC_ORG_TREEWALK, NULL, 0);
    const struct ink_dmarc_result *res;
    size_t i, k;
    int rc = 0;

    *n = 0;
    if (disc == NULL) {
        ink_str_puts(why, "out of memory");
        return 1;
    }
    if (ink_drive_sync(s->res, ink_dmarc_disc_machine(disc), NULL) != INK_NEXT_DONE) {
        ink_str_puts(why, "the DMARC lookup did not finish");
        rc = 1;
        goto out;
    }
    res = ink_dmarc_disc_result(disc);
    if (res->status == INK_DMARC_DISC_TEMPERROR) {
        ink_str_printf(why, "looking up _dmarc.%s failed temporarily", domain);
        rc = 1;
        goto out;
    }
    if (res->status != INK_DMARC_DISC_FOUND || res->record == NULL ||
        res->policy_domain == NULL || strcmp(res->policy_domain, domain) != 0) {
        ink_str_printf(why, "_dmarc.%s has no DMARC record now", domain);
        rc = 2;
        goto out;
    }
    if (res->record->nrua == 0) {
        ink_str_printf(why, "_dmarc.%s asks for no aggregate reports (no rua)", domain);
        rc = 2;
        goto out;
    }
    for (i = 0; i < res->record->nrua; i++) {
        const struct ink_dmarc_uri *u = &res->record->rua[i];
        const struct ink_dmarc_dest *t = NULL;
        size_t first = *n;

        for (k = 0; u->host != NULL && k < res->ndests; k++)
            if (strcmp(res->dests[k].host, u->host) == 0)
                t = &res->dests[k];
        if (t != NULL && t->status == INK_DMARC_DEST_AUTHORIZED && t->override_rua != NULL) {
            /* step 9: the consumer's own rua replaces ours, on the same host
             * only; another host means neither is used */
            struct ink_dmarc_record *o = ink_dmarc_record_new();
            char *list = strdup(t->override_rua), *p, *save = NULL;
            int other_host = 0;

            for (p = list ? strtok_r(list, ",", &save) : NULL; o != NULL && p != NULL;
                 p = strtok_r(NULL, ",", &save))
                (void)ink_dmarc_record_add_uri(o, 0, p);
            for (k = 0; o != NULL && k < o->nrua; k++)
                if (o->rua[k].host == NULL || strcmp(o->rua[k].host, u->host) != 0)
                    other_host = 1;
            if (o == NULL || list == NULL) {
                ink_str_puts(why, "out of memory");
                rc = 1;
            } else if (other_host || o->nrua == 0) {
                dest_add(d, n, u);
                d[first].refused = 1;
                snprintf(d[first].why, sizeof(d[first].why),
                         "%s overrides rua with a URI on another host: neither is used "
                         "(RFC 9990 section 4)",
                         t->qname ? t->qname : u->host);
            } else {
                for (k = 0; k < o->nrua; k++)
                    dest_add(d, n, &o->rua[k]);
            }
            free(list);
            ink_dmarc_record_free(o);
            if (rc != 0)
                goto out;
            continue;
        }
        dest_add(d, n, u);
        if (first == *n || d[first].refused)
            continue;
        if (t == NULL) {
            d[first].refused = 1;
            snprintf(d[first].why, sizeof(d[first].why), "its host was not checked");
            continue;
        }
        switch (t->status) {
        case INK_DMARC_DEST_INTERNAL:
        case INK_DMARC_DEST_AUTHORIZED:
            break;
        case INK_DMARC_DEST_TEMPERROR:
            d[first].temp = 1;
            snprintf(d[first].why, sizeof(d[first].why),
                     "the authorization lookup %s failed temporarily", t->qname ? t->qname : "");
            break;
        default:
            d[first].refused = 1;
            snprintf(d[first].why, sizeof(d[first].why),
                     "not authorized: %s has no v=DMARC1 record (RFC 9990 section 4)",
                     t->qname ? t->qname : t->host);
            break;
        }
    }
out:
    ink_dmarc_disc_free(disc);
    return rc;
}

/* The bytes libcurl uploads. */
struct upload {
    const char *p;
    size_t left;
};

static size_t on_read(char *buf, size_t size, size_t nitems, void *ctx)
{
    struct upload *u = ctx;
    size_t n = size * nitems;

    if (n > u->left)
        n = u->left;
    memcpy(buf, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

/* smtp_send - one message to one recipient through the relay: 0 when the
 * relay accepted the data (250), -1 with why (nothing to record) */
static int smtp_send(struct sender *s, const char *submitter, const char *from, const char *to,
                     const struct ink_str *msg, struct ink_str *why)
{
    struct curl_slist *rcpt = NULL;
    struct ink_str url = INK_STR_INIT, mf = INK_STR_INIT, rt = INK_STR_INIT;
    struct upload up = {msg->buf, msg->len};
    CURLU *u = curl_url();
    char *path = NULL, *full = NULL;
    long code = 0;
    CURLcode rc;
    int ret = -1;

    if (u == NULL || curl_url_set(u, CURLUPART_URL, s->relay, 0) != CURLUE_OK) {
        ink_str_puts(why, "the relay URL cannot be parsed");
        goto out;
    }
    /* the URL's path is the EHLO name (libcurl): our submitter by default */
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK || path == NULL ||
        strcmp(path, "/") == 0 || path[0] == '\0') {
        ink_str_printf(&url, "/%s", submitter);
        curl_url_set(u, CURLUPART_PATH, url.buf, 0);
    }
    if (curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
        ink_str_puts(why, "the relay URL cannot be built");
        goto out;
    }
    if (ink_str_printf(&mf, "<%s>", from) < 0 || ink_str_printf(&rt, "<%s>", to) < 0 ||
        (rcpt = curl_slist_append(NULL, rt.buf)) == NULL) {
        ink_str_puts(why, "out of memory");
        goto out;
    }
    s->errbuf[0] = '\0';
    curl_easy_setopt(s->curl, CURLOPT_URL, full);
    curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, mf.buf);
    curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(s->curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(s->curl, CURLOPT_READDATA, &up);
    curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
    rc = curl_easy_perform(s->curl);
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK) {
        ink_str_printf(why, "the relay did not accept it: %s", s->errbuf[0] ? s->errbuf
                                                                             : curl_easy_strerror(rc));
        if (code > 0)
            ink_str_printf(why, " (last reply %ld)", code);
        goto out;
    }
    ret = 0;
out:
    curl_slist_free_all(rcpt);
    curl_free(path);
    curl_free(full);
    curl_url_cleanup(u);
    ink_str_free(&url);
    ink_str_free(&mf);
    ink_str_free(&rt);
    return ret;
}

/* dry_run_name - NAME.ADDRESS.eml, '/' in the address made '_' */
static int dry_run_name(struct ink_str *out, const char *name, const char *addr)
{
    const char *p;

    if (ink_str_printf(out, "%s.", name) < 0)
        return -1;
    for (p = addr; *p; p++)
        if (ink_str_putc(out, *p == '/' ? '_' : *p) < 0)
            return -1;
    return ink_str_puts(out, ".eml");
}

/* send_one - deliver one report file of the outbox */
static void send_one(struct sender *s, const char *name)
{
    char receiver[256], domain[256];
    int64_t begin, end;
    int gz, rc;
    struct ink_str path = INK_STR_INIT, spath = INK_STR_INIT, bytes = INK_STR_INIT,
                   why = INK_STR_INIT;
    struct sent_meta m;
    struct state st = {0};
    struct dest d[SEND_DESTS_MAX];
    size_t nd = 0, i;
    unsigned long temp = 0;
    const char *from;

    if (ink_agg_filename_parse(name, strlen(name), receiver, domain, sizeof(receiver), &begin,
                               &end, &gz) < 0)
        return; /* not a report: a note, an .eml of a dry run */
    if (ink_str_printf(&path, "%s/%s", s->dir, name) < 0 || state_path(&spath, s->dir, name) < 0)
        goto nomem;
    if (state_load(spath.buf, &st, &why) < 0) {
        printf("%s: waiting: %s\n", name, ink_str_cstr(&why));
        s->waiting++;
        goto out;
    }
    if (st.done) {
        s->done_before++;
        goto out;
    }
    if (read_report(path.buf, gz, &bytes, &m, &why) < 0) {
        printf("%s: waiting: %s\n", name, ink_str_cstr(&why));
        s->waiting++;
        goto out;
    }
    if (strcmp(m.domain, domain) != 0) {
        printf("%s: waiting: the report is about %s, its name says %s\n", name,
               cli_shown(m.domain), domain);
        s->waiting++;
        goto out;
    }
    from = s->from ? s->from : m.email;
    rc = destinations(s, domain, d, &nd, &why);
    if (rc == 1) {
        printf("%s: waiting: %s\n", name, ink_str_cstr(&why));
        s->waiting++;
        goto out;
    }
    if (rc == 2) {
        printf("%s: not sent: %s\n", name, ink_str_cstr(&why));
        s->refused++;
        if (s->dry_run == NULL) {
            ink_str_truncate(&why, 0);
            ink_str_printf(&why, "done %" PRId64 " no destination\n", (int64_t)time(NULL));
            if (state_append(spath.buf, why.buf) < 0)
                s->waiting++;
        }
        goto out;
    }
    for (i = 0; i < nd; i++) {
        struct ink_agg_mail mail = {
            .from = from,
            .to = d[i].addr,
            .domain = domain,
            .submitter = receiver,
            .report_id = m.report_id,
            .filename = name,
            .report = (const uint8_t *)bytes.buf,
            .report_len = bytes.len,
            .gz = gz,
            .date = (int64_t)time(NULL),
        };
        struct ink_str msg = INK_STR_INIT, err = INK_STR_INIT, line = INK_STR_INIT;

        if (d[i].refused) {
            printf("%s: refused %s: %s\n", name, cli_shown(d[i].addr), d[i].why);
            s->refused++;
            continue;
        }
        if (d[i].temp) {
            printf("%s: waiting %s: %s\n", name, cli_shown(d[i].addr), d[i].why);
            temp++;
            continue;
        }
        if (st.text != NULL && state_has(&st, d[i].addr))
            continue; /* delivered by an earlier run */
        {
            size_t k;
            for (k = 0; k < i && strcmp(d[k].addr, d[i].addr) != 0; k++)
                ;
            if (k < i)
                continue; /* listed twice: one message */
        }
        if (ink_agg_message(&mail, &msg, &err) < 0) {
            /* our side (a bad --from or <email>): fixable, so not for good */
            printf("%s: waiting %s: %s\n", name, cli_shown(d[i].addr), ink_str_cstr(&err));
            temp++;
            goto next;
        }
        if (d[i].max_size > 0 && msg.len > d[i].max_size) {
            /* RFC 7489 6.2's size limit, still published: the whole message
             * is what the destination receives */
            printf("%s: refused %s: the message is %zu bytes, over its limit of %" PRIu64
                   " bytes\n",
                   name, cli_shown(d[i].addr), msg.len, d[i].max_size);
            s->refused++;
            goto next;
        }
        if (s->dry_run != NULL) {
            struct ink_str en = INK_STR_INIT;
            if (dry_run_name(&en, name, d[i].addr) < 0 ||
                write_atomic(s->dry_run, en.buf, msg.buf, msg.len) < 0) {
                temp++;
            } else {
                printf("%s: wrote %s/%s\n", name, s->dry_run, en.buf);
                s->delivered++;
            }
            ink_str_free(&en);
            goto next;
        }
        if (smtp_send(s, receiver, from, d[i].addr, &msg, &err) < 0) {
            printf("%s: waiting %s: %s\n", name, cli_shown(d[i].addr), ink_str_cstr(&err));
            temp++;
            goto next;
        }
        ink_str_printf(&line, "sent %s %" PRId64 "\n", d[i].addr, (int64_t)time(NULL));
        if (state_append(spath.buf, line.buf) < 0) {
            temp++;
            goto next;
        }
        printf("%s: sent to %s\n", name, d[i].addr);
        s->delivered++;
    next:
        ink_str_free(&msg);
        ink_str_free(&err);
        ink_str_free(&line);
    }
    if (temp > 0) {
        s->waiting++;
    } else if (s->dry_run == NULL) {
        ink_str_truncate(&why, 0);
        ink_str_printf(&why, "done %" PRId64 "\n", (int64_t)time(NULL));
        if (state_append(spath.buf, why.buf) < 0)
            s->waiting++;
    }
    goto out;
nomem:
    cli_error("out of memory");
    s->waiting++;
out:
    free(st.text);
    ink_str_free(&path);
    ink_str_free(&spath);
    ink_str_free(&bytes);
    ink_str_free(&why);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* cli_report_send - inkan report send */
int cli_report_send(int argc, char **argv)
{
    static const struct option own[] = {
        {"out", required_argument, NULL, OPT_OUT},
        {"dry-run", required_argument, NULL, OPT_DRY_RUN},
        {"relay", required_argument, NULL, OPT_RELAY},
        {"from", required_argument, NULL, OPT_FROM},
        {NULL, 0, NULL, 0},
    };
    struct ink_resolver_opts ropts;
    const struct cli_optset set = {.own = own, .dns = &ropts, .usage = send_usage};
    struct sender s;
    char *def = NULL, **names = NULL;
    size_t n = 0, cap = 0, i;
    DIR *dp;
    struct dirent *de;
    int c, rc = INK_EXIT_OK, lock_fd = -1;

    memset(&ropts, 0, sizeof(ropts));
    memset(&s, 0, sizeof(s));
    optind = 1;
    while ((c = cli_getopt(&set, argc, argv)) != -1) {
        switch (c) {
        case OPT_OUT: s.dir = optarg; break;
        case OPT_DRY_RUN: s.dry_run = optarg; break;
        case OPT_RELAY: s.relay = optarg; break;
        case OPT_FROM: s.from = optarg; break;
        case CLI_GETOPT_HELP: return INK_EXIT_OK;
        default: return INK_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("unexpected argument '%s' (see '%s --help')", cli_shown(argv[optind]), argv[0]);
        return INK_EXIT_USAGE;
    }
    if ((s.relay == NULL) == (s.dry_run == NULL)) {
        cli_error("give --relay smtp://HOST[:PORT] or --dry-run DIR (one of them)");
        return INK_EXIT_USAGE;
    }
    if (s.relay != NULL && (strlen(s.relay) > SEND_RELAY_MAX ||
                            (strncmp(s.relay, "smtp://", 7) != 0 &&
                             strncmp(s.relay, "smtps://", 8) != 0))) {
        cli_error("--relay '%s': give smtp://HOST[:PORT] or smtps://HOST[:PORT]",
                  cli_shown(s.relay));
        return INK_EXIT_USAGE;
    }
    if (s.from != NULL && !ink_agg_address_ok(s.from)) {
        cli_error("--from '%s': give an address local@domain", cli_shown(s.from));
        return INK_EXIT_USAGE;
    }
    if (s.dir == NULL) {
        def = default_outbox();
        if (def == NULL) {
            cli_error("no --out DIR given and neither XDG_DATA_HOME nor HOME is set");
            return INK_EXIT_OPERR;
        }
        s.dir = def;
    }
    dp = opendir(s.dir);
    if (dp == NULL) {
        cli_error("--out %s: %s", cli_shown(s.dir), strerror(errno));
        free(def);
        return INK_EXIT_OPERR;
    }
    /* one send per outbox at a time: two would both find a destination
     * unsent and both deliver it.  The lock goes with the process. */
    {
        struct ink_str lp = INK_STR_INIT;
        if (s.dry_run == NULL) {
            if (ink_str_printf(&lp, "%s/.send.lock", s.dir) < 0 ||
                (lock_fd = open(lp.buf, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0) {
                cli_error("%s: %s", lp.len ? lp.buf : "lock", strerror(errno));
                rc = INK_EXIT_OPERR;
            } else if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
                cli_error("another 'inkan report send' is running on %s", cli_shown(s.dir));
                rc = INK_EXIT_OPERR;
            }
        }
        ink_str_free(&lp);
        if (rc != INK_EXIT_OK) {
            closedir(dp);
            if (lock_fd >= 0)
                close(lock_fd);
            free(def);
            return rc;
        }
    }
    while ((de = readdir(dp)) != NULL && n < SEND_FILES_MAX) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || !((len > 4 && strcmp(de->d_name + len - 4, ".xml") == 0) ||
                                      (len > 7 && strcmp(de->d_name + len - 7, ".xml.gz") == 0)))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nn = realloc(names, nc * sizeof(*nn));
            if (nn == NULL)
                break;
            names = nn;
            cap = nc;
        }
        if ((names[n] = strdup(de->d_name)) == NULL)
            break;
        n++;
    }
    closedir(dp);
    if (n > 1)
        qsort(names, n, sizeof(*names), str_cmp);
    if (s.dry_run != NULL && mkdir_p(s.dry_run) < 0) {
        rc = INK_EXIT_OPERR;
        goto out;
    }
    s.res = cli_resolver_open(&ropts);
    if (s.res == NULL) {
        rc = INK_EXIT_OPERR;
        goto out;
    }
    if (s.relay != NULL) {
        s.curl = curl_easy_init();
        if (s.curl == NULL) {
            cli_error("libcurl cannot start");
            rc = INK_EXIT_OPERR;
            goto out;
        }
        curl_easy_setopt(s.curl, CURLOPT_ERRORBUFFER, s.errbuf);
        curl_easy_setopt(s.curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        curl_easy_setopt(s.curl, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
        curl_easy_setopt(s.curl, CURLOPT_CONNECTTIMEOUT, SEND_CONNECT_TIMEOUT);
        curl_easy_setopt(s.curl, CURLOPT_TIMEOUT, SEND_MESSAGE_TIMEOUT);
        curl_easy_setopt(s.curl, CURLOPT_NOSIGNAL, 1L);
    }
    for (i = 0; i < n; i++)
        send_one(&s, names[i]);
    printf("%lu delivered%s, %lu refused for good, %lu reports waiting for a later run, "
           "%lu sent before\n",
           s.delivered, s.dry_run ? " (dry run: written)" : "", s.refused, s.waiting,
           s.done_before);
    if (s.waiting > 0)
        rc = GEN_EXIT_PARTIAL;
out:
    if (s.curl != NULL)
        curl_easy_cleanup(s.curl);
    ink_resolver_free(s.res);
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(def);
    if (lock_fd >= 0)
        close(lock_fd);
    return rc;
}
