/*
 * verify.c - `inkan verify`: evaluate one inbound message as a receiver
 * would (the message machine of inkan/inbound.h: SPF, DKIM, DMARC,
 * iprev, ARC, HELO, RFC 5322, trust), apply the local policy (inkan/policy.h)
 * and print the verdict, the Authentication-Results field it would add,
 * and each check; or, with --batch, evaluate a list of messages with
 * many in flight on one driver and print JSON Lines.  --record also
 * writes each evaluation to the store as a row of inkan/evlog.h (the
 * rows 'inkan evaluations list' shows and aggregate reports are made
 * from), keyed by a digest of the envelope and the message so that
 * recording the same message twice leaves one row.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "cli.h"
#include "inkan/authres.h"
#include "inkan/dkim.h"
#include "inkan/driver.h"
#include "inkan/evlog.h"
#include "inkan/inbound.h"
#include "inkan/mailhdr.h"
#include "inkan/policy.h"
#include "inkan/store.h"

/* Bytes read from the message per read(). */
#define VERIFY_READ_CHUNK 65536
/* Largest message one --batch line may name (read whole, pushed, freed). */
#define VERIFY_BATCH_MESSAGE_MAX (64u * 1024u * 1024u)
/* Largest --batch list file. */
#define VERIFY_BATCH_LIST_MAX (16u * 1024u * 1024u)
/* Messages a batch keeps in flight on the driver. */
#define VERIFY_BATCH_INFLIGHT 64
/* --rcpt options kept. */
#define VERIFY_RCPTS_MAX 100
/* Bytes of a --batch JSON line built on the stack; a longer one is
 * dumped to the heap instead (jansson's stream writer, a call per token,
 * cost a fifth of a warm evaluation). */
#define VERIFY_JSON_LINE_BUF 16384
/* Recipients one --batch line may list after MAIL FROM. */
#define VERIFY_BATCH_FIELDS_MAX 64
/* Rows --record --batch adds per store transaction. */
#define VERIFY_RECORD_BATCH 256
/* Prefix of the row keys --record makes (then the SHA-256 hex). */
#define VERIFY_KEY_PREFIX "verify:"

enum {
    OPT_IP = CLI_OPT_FIRST_FREE,
    OPT_HELO,
    OPT_MAIL_FROM,
    OPT_RCPT,
    OPT_POLICY,
    OPT_AUTHSERV,
    OPT_ORG,
    OPT_NOW,
    OPT_BATCH,
    OPT_RECORD,
    OPT_DB
};

/* What every message of one run shares. */
struct vrun {
    struct ink_policy *pol;
    const char *authserv_id;
    enum ink_dmarc_org_mode org_mode;
    int64_t now;
    int json;
    struct ink_dkim_keycache *cache;
    struct ink_driver *drv;
    /* --record: the store, and the rows of a batch not yet added */
    struct ink_store *store;
    struct ink_evrow *rows;
    size_t nrows;
    size_t recorded, added;
    int record_failed;
};

static void verify_usage(FILE *fp)
{
    fprintf(fp,
            "usage: inkan verify [--ip IP] [--helo NAME] [--mail-from ADDR] [--rcpt ADDR]...\n"
            "                    [--policy FILE] [--authserv-id ID] [--org-domain psl|treewalk]\n"
            "                    [--zone FILE | --dns HOST[:PORT]] [--now TIME]\n"
            "                    [--record [--db FILE]] [--json] [FILE]\n"
            "       inkan verify --batch LIST [options]\n\n"
            "Evaluate one message (FILE or stdin) as a receiving server would: SPF of\n"
            "MAIL FROM and HELO, every DKIM signature, DMARC (alignment, p/sp/np, t=y),\n"
            "iprev, HELO and RFC 5322 checks, a trust level, then the local policy.\n"
            "The first line is the verdict (accept, quarantine, reject, tempfail), the\n"
            "second the Authentication-Results field it would add, then each check.\n\n"
            "  --ip IP            the client's address\n"
            "  --helo NAME        its HELO/EHLO name\n"
            "  --mail-from ADDR   the MAIL FROM path ('' or '<>' for the null path)\n"
            "  --rcpt ADDR        a recipient (repeat; people-centric policies use them)\n"
            "  --policy FILE      local policy (YAML, see docs/policy.md)\n"
            "  --authserv-id ID   the Authentication-Results authserv-id (default: the\n"
            "                     policy's, else " INK_POLICY_AUTHSERV_DEFAULT ")\n"
            "  --org-domain psl   Organizational Domains from the Public Suffix List\n"
            "                     instead of the RFC 9989 DNS tree walk\n"
            "  --now TIME         the time, in seconds since 1970 (DKIM x=, SPF %%{t})\n"
            "  --batch LIST       one message per line: PATH IP HELO MAIL-FROM [RCPT...]\n"
            "                     ('-' for an absent value); JSON Lines out\n"
            "  --record           write the evaluation to the store (one row per message:\n"
            "                     'inkan evaluations list'); the same message and\n"
            "                     envelope recorded again is still one row\n"
            "  --db FILE          the store (default $XDG_DATA_HOME/inkan/inkan.db)\n"
            "  --json             one JSON object\n"
            "  --zone FILE, --dns HOST[:PORT], --timeout MS: where DNS answers come from\n\n"
            "Exit status: 0 whatever the verdict, 1 operational error, 2 usage error.\n");
}

/* findings_json - findings of one area (helo, rfc5322) */
static json_t *findings_json(const struct ink_inbound *m, const char *area)
{
    const struct ink_finding *f;
    size_t n = ink_inbound_findings(m, area, &f);
    json_t *j = cli_findings_json(f, n, NULL);

    return j != NULL ? j : json_array();
}

/* str_or_null - a JSON string, or null */
static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* forged_count - Authentication-Results fields naming our authserv-id
 * (RFC 8601 section 5: to be removed before ours is added) */
static size_t forged_count(const struct ink_inbound *m, const char *id)
{
    return ink_authres_forged(ink_inbound_header(m), id, NULL, 0);
}

/* result_json - the whole evaluation as one object (verify(1) JSON) */
static json_t *result_json(const struct vrun *run, const struct ink_inbound *m,
                           const struct ink_verdict *v, const char *ar)
{
    const struct ink_inbound_spf *sp = ink_inbound_spf(m);
    const struct ink_inbound_dmarc *d = ink_inbound_dmarc(m);
    const struct ink_inbound_iprev *ip = ink_inbound_iprev(m);
    const struct ink_dkim_verify *dk = ink_inbound_dkim(m);
    json_t *o = json_object(), *js = json_object(), *jd = json_array(), *jm = json_object();
    json_t *ji = json_object();
    size_t i;

    json_object_set_new(o, "verdict", json_string(ink_verdict_name(v->action)));
    json_object_set_new(o, "smtp_reply", json_string(v->smtp_reply));
    json_object_set_new(o, "trust", json_string(ink_trust_name(ink_inbound_trust(m))));
    json_object_set_new(o, "authentication_results", json_string(ar));
    json_object_set_new(o, "forged_authentication_results",
                        json_integer((json_int_t)forged_count(m, run->authserv_id)));
    json_object_set_new(o, "mode", json_string(ink_policy_mode_name(run->pol->mode)));

    json_object_set_new(js, "result", json_string(ink_spf_result_name(sp->result)));
    json_object_set_new(js, "domain", str_or_null(sp->domain));
    json_object_set_new(js, "from_helo", json_boolean(sp->from_helo));
    json_object_set_new(js, "reason", str_or_null(sp->reason));
    json_object_set_new(js, "helo", str_or_null(sp->helo));
    json_object_set_new(js, "helo_result", sp->helo != NULL
                                               ? json_string(ink_spf_result_name(sp->helo_result))
                                               : json_null());
    json_object_set_new(o, "spf", js);

    for (i = 0; i < ink_dkim_verify_count(dk); i++) {
        const struct ink_dkim_result *r = ink_dkim_verify_result(dk, i);
        json_t *s = json_object();

        json_object_set_new(s, "result", json_string(ink_dkim_result_name(r->code)));
        json_object_set_new(s, "d", json_string(r->d));
        json_object_set_new(s, "s", json_string(r->s));
        json_object_set_new(s, "a", json_string(r->alg));
        json_object_set_new(s, "reason", json_string(r->reason));
        json_array_append_new(jd, s);
    }
    json_object_set_new(o, "dkim", jd);
    json_object_set_new(o, "dkim_not_checked", json_integer((json_int_t)ink_dkim_verify_skipped(dk)));

    json_object_set_new(jm, "result", json_string(ink_dmarc_outcome_name(d->result)));
    json_object_set_new(jm, "header_from", str_or_null(d->author_domain));
    json_object_set_new(jm, "from_status", json_string(ink_from_status_name(d->from_status)));
    json_object_set_new(jm, "reason", json_string(d->eval.reason));
    if (d->disc != NULL && d->disc->record != NULL) {
        const struct ink_dmarc_record *rec = d->disc->record;

        json_object_set_new(jm, "policy_domain", str_or_null(d->disc->policy_domain));
        json_object_set_new(jm, "org_domain", str_or_null(d->disc->org_domain));
        json_object_set_new(jm, "p", str_or_null(ink_dmarc_policy_name(rec->p)));
        json_object_set_new(jm, "sp", str_or_null(ink_dmarc_policy_name(rec->sp)));
        json_object_set_new(jm, "np", str_or_null(ink_dmarc_policy_name(rec->np)));
        json_object_set_new(jm, "t", json_boolean(rec->t == INK_DMARC_FLAG_YES));
        json_object_set_new(jm, "adkim", json_string(ink_dmarc_align_name(d->eval.adkim)));
        json_object_set_new(jm, "aspf", json_string(ink_dmarc_align_name(d->eval.aspf)));
        json_object_set_new(jm, "policy_tag", str_or_null(ink_dmarc_policy_tag_name(d->eval.tag)));
    } else {
        json_object_set_new(jm, "policy_domain", json_null());
        json_object_set_new(jm, "org_domain",
                            str_or_null(d->disc != NULL ? d->disc->org_domain : NULL));
        json_object_set_new(jm, "p", json_null());
        json_object_set_new(jm, "sp", json_null());
        json_object_set_new(jm, "np", json_null());
        json_object_set_new(jm, "t", json_null());
    }
    json_object_set_new(jm, "spf_aligned", json_boolean(d->eval.spf_aligned));
    json_object_set_new(jm, "dkim_aligned", json_boolean(d->eval.dkim_aligned));
    json_object_set_new(jm, "disposition",
                        str_or_null(d->result == INK_DMARC_RES_FAIL ||
                                            d->result == INK_DMARC_RES_PASS
                                        ? ink_dmarc_policy_name(d->eval.disposition)
                                        : NULL));
    if (v->override != NULL) {
        json_t *ov = json_object();

        json_object_set_new(ov, "type", json_string(v->override));
        json_object_set_new(ov, "comment", json_string(v->comment));
        json_object_set_new(jm, "override", ov);
    } else {
        json_object_set_new(jm, "override", json_null());
    }
    json_object_set_new(o, "dmarc", jm);

    json_object_set_new(ji, "result", json_string(ink_iprev_result_name(ip->result)));
    json_object_set_new(ji, "name", str_or_null(ip->name));
    json_object_set_new(ji, "reason", str_or_null(ip->reason));
    json_object_set_new(ji, "generic", json_boolean(ip->generic));
    json_object_set_new(o, "iprev", ji);
    json_object_set_new(o, "helo", findings_json(m, "helo"));
    {
        const struct ink_inbound_arc *a = ink_inbound_arc(m);
        json_t *ja = json_object();

        json_object_set_new(ja, "result", json_string(a->temporary ? "temperror"
                                                                   : ink_arc_cv_name(a->cv)));
        json_object_set_new(ja, "reason", json_string(a->reason));
        json_object_set_new(ja, "instances", json_integer((json_int_t)a->count));
        json_object_set_new(ja, "sealer", str_or_null(a->sealer));
        json_object_set_new(ja, "chain", json_string(a->chain));
        json_object_set_new(ja, "upstream_pass", json_boolean(a->upstream_pass));
        json_object_set_new(o, "arc", ja);
    }
    json_object_set_new(o, "rfc5322", findings_json(m, "rfc5322"));
    return o;
}

/* shown - untrusted text made printable for the terminal */
static const char *shown(struct ink_str *s, const char *v)
{
    ink_str_truncate(s, 0);
    if (v == NULL)
        return "-";
    (void)ink_str_put_printable(s, v, strlen(v), 512);
    return ink_str_cstr(s);
}

/* print_text - verdict, field, checks */
static void print_text(const struct vrun *run, const struct ink_inbound *m,
                       const struct ink_verdict *v, const char *ar)
{
    const struct ink_inbound_spf *sp = ink_inbound_spf(m);
    const struct ink_inbound_dmarc *d = ink_inbound_dmarc(m);
    const struct ink_inbound_iprev *ip = ink_inbound_iprev(m);
    const struct ink_dkim_verify *dk = ink_inbound_dkim(m);
    struct ink_str a = INK_STR_INIT, b = INK_STR_INIT;
    const struct ink_finding *f;
    size_t i, n, forged = forged_count(m, run->authserv_id);

    printf("%s\n", ink_verdict_name(v->action));
    /* the field folds with CRLF as it travels; a terminal wants LF */
    for (; *ar != '\0'; ar++)
        if (!(ar[0] == '\r' && ar[1] == '\n'))
            putchar(*ar);
    putchar('\n');
    printf("smtp: %s\n", v->smtp_reply);
    printf("trust: %s\n", ink_trust_name(ink_inbound_trust(m)));
    printf("spf: %s (%s: %s)\n", ink_spf_result_name(sp->result),
           sp->from_helo ? "helo" : "mail-from", shown(&a, sp->domain));
    if (sp->reason != NULL)
        printf("  %s\n", shown(&a, sp->reason));
    if (sp->helo != NULL)
        printf("spf helo: %s (%s)\n", ink_spf_result_name(sp->helo_result), shown(&a, sp->helo));
    if (ink_dkim_verify_count(dk) == 0)
        printf("dkim: none (no signature)\n");
    for (i = 0; i < ink_dkim_verify_count(dk); i++) {
        const struct ink_dkim_result *r = ink_dkim_verify_result(dk, i);

        printf("dkim: %s d=%s s=%s", ink_dkim_result_name(r->code), shown(&a, r->d),
               shown(&b, r->s));
        if (r->reason[0] != '\0')
            printf(" (%s)", shown(&a, r->reason));
        printf("\n");
    }
    printf("dmarc: %s", ink_dmarc_outcome_name(d->result));
    if (d->author_domain != NULL)
        printf(" header.from=%s", d->author_domain);
    if (d->result == INK_DMARC_RES_FAIL)
        printf(" %s=%s disposition=%s%s", ink_dmarc_policy_tag_name(d->eval.tag),
               ink_dmarc_policy_name(d->eval.policy), ink_dmarc_policy_name(d->eval.disposition),
               d->eval.testing ? " (t=y)" : "");
    printf("\n  %s\n", shown(&a, d->eval.reason));
    if (v->override != NULL)
        printf("override: %s (%s)\n", v->override, shown(&a, v->comment));
    printf("iprev: %s%s%s%s\n", ink_iprev_result_name(ip->result), ip->name != NULL ? " " : "",
           ip->name != NULL ? shown(&a, ip->name) : "", ip->generic ? " (generic name)" : "");
    if (ip->reason != NULL)
        printf("  %s\n", shown(&a, ip->reason));
    {
        const struct ink_inbound_arc *ar_ = ink_inbound_arc(m);

        printf("arc: %s", ar_->temporary ? "temperror" : ink_arc_cv_name(ar_->cv));
        if (ar_->count > 0)
            printf(" (%u set%s%s%s%s)", ar_->count, ar_->count == 1 ? "" : "s",
                   ar_->chain[0] != '\0' ? ", sealed by " : "", shown(&a, ar_->chain),
                   ar_->upstream_pass ? ", passed upstream" : "");
        if (ar_->reason[0] != '\0')
            printf(" %s", shown(&a, ar_->reason));
        printf("\n");
    }
    n = ink_inbound_findings(m, "helo", &f);
    printf("helo: %s\n", n == 0 ? "ok" : "findings");
    cli_print_findings(stdout, f, n, NULL);
    n = ink_inbound_findings(m, "rfc5322", &f);
    printf("rfc5322: %s\n", n == 0 ? "ok" : "findings");
    cli_print_findings(stdout, f, n, NULL);
    if (forged > 0)
        printf("removed: %zu Authentication-Results field%s claiming %s (RFC 8601 section 5)\n",
               forged, forged == 1 ? "" : "s", run->authserv_id);
    ink_str_free(&a);
    ink_str_free(&b);
}

/* digest_envelope - start the row key's digest: the envelope, each part
 * ended by a newline (so no two envelopes hash alike), then an empty line */
static EVP_MD_CTX *digest_envelope(const struct ink_inbound_params *p)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t i;

    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return NULL;
    }
#define PART(s) (void)EVP_DigestUpdate(md, (s) != NULL ? (s) : "", (s) != NULL ? strlen(s) : 0), \
                (void)EVP_DigestUpdate(md, "\n", 1)
    PART(p->ip);
    PART(p->helo);
    PART(p->mail_from);
    for (i = 0; i < p->nrcpt; i++)
        PART(p->rcpt[i]);
#undef PART
    (void)EVP_DigestUpdate(md, "\n", 1);
    return md;
}

/* digest_key - finish the digest as the row key (VERIFY_KEY_PREFIX and
 * the SHA-256 hex) into key (INK_EVROW_KEY_MAX bytes); frees md */
static int digest_key(EVP_MD_CTX *md, char *key)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int ok = EVP_DigestFinal_ex(md, d, &n) == 1 && n == 32;

    EVP_MD_CTX_free(md);
    if (!ok)
        return -1;
    memcpy(key, VERIFY_KEY_PREFIX, sizeof(VERIFY_KEY_PREFIX) - 1);
    ink_hex(d, n, key + sizeof(VERIFY_KEY_PREFIX) - 1);
    return 0;
}

/* record_flush - add the rows held back (a batch) in one transaction */
static int record_flush(struct vrun *run)
{
    struct ink_str err = INK_STR_INIT;
    size_t added = 0;
    int rc = 0;

    if (run->nrows == 0)
        return 0;
    if (ink_store_evaluations_add(run->store, run->rows, run->nrows, &added, &err) < 0) {
        cli_error("verify: --record: %s", ink_str_cstr(&err));
        run->record_failed = 1;
        rc = -1;
    } else {
        run->recorded += run->nrows;
        run->added += added;
    }
    run->nrows = 0;
    ink_str_free(&err);
    return rc;
}

/* record - the row of one evaluation into the batch (flushed when full) */
static int record(struct vrun *run, const struct ink_inbound *m, const struct ink_verdict *v,
                  const char *key)
{
    ink_evrow_from_inbound(&run->rows[run->nrows++], m, v, run->now, key, NULL);
    return run->nrows == VERIFY_RECORD_BATCH ? record_flush(run) : 0;
}

/* report - verdict and output of one finished message; file: one
 * compact JSON line with "file" (batch), or NULL (one message, whose row
 * is added before the output says it); key: the row to record
 * (--record), or NULL */
static int report(struct vrun *run, const struct ink_inbound *m, const char *file,
                  const char *key)
{
    struct ink_verdict v;
    struct ink_str ar = INK_STR_INIT;
    int added = -1; /* one message recorded: 1 new row, 0 already stored */

    ink_policy_decide(run->pol, m, NULL, &v);
    if (run->store != NULL && key != NULL) {
        size_t before = run->added;

        if (record(run, m, &v, key) < 0 || (file == NULL && record_flush(run) < 0))
            return -1;
        if (file == NULL)
            added = run->added > before;
    }
    if (ink_inbound_authres(m, run->authserv_id, NULL, &ar) < 0) {
        cli_error("verify: out of memory");
        return -1;
    }
    if (run->json || file != NULL) {
        json_t *o = result_json(run, m, &v, ink_str_cstr(&ar));
        char *js;

        if (file != NULL)
            json_object_set_new(o, "file", json_string(file));
        /* the row written: its key (and whether it was new, once added) */
        if (run->store != NULL && key != NULL)
            json_object_set_new(o, "record",
                                added < 0 ? json_pack("{s:s}", "key", key)
                                          : json_pack("{s:s,s:b}", "key", key, "added", added));
        if (file != NULL) {
            /* a batch line: compact, keys in the order they were set
             * (sorting them cost a tenth of a warm evaluation) */
            char line[VERIFY_JSON_LINE_BUF];
            size_t n = json_dumpb(o, line, sizeof(line), JSON_COMPACT);

            if (n > 0 && n <= sizeof(line)) {
                fwrite(line, 1, n, stdout);
                putchar('\n');
            } else if ((js = json_dumps(o, JSON_COMPACT)) != NULL) {
                printf("%s\n", js);
                free(js);
            }
        } else {
            js = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
            if (js != NULL)
                printf("%s\n", js);
            free(js);
        }
        json_decref(o);
    } else {
        print_text(run, m, &v, ink_str_cstr(&ar));
        if (added >= 0)
            printf("recorded: %s (%s)\n", key, added ? "added" : "already stored");
    }
    ink_str_free(&ar);
    return 0;
}

/* One message streamed: its machine and the digest of its bytes (NULL
 * unless the evaluation is recorded). */
struct vstream {
    struct ink_inbound *m;
    EVP_MD_CTX *md;
};

/* push_inbound - the next bytes into the message machine (and the
 * digest), for cli_stream_drive */
static int push_inbound(void *arg, const uint8_t *p, size_t n)
{
    struct vstream *s = arg;

    if (s->md != NULL)
        (void)EVP_DigestUpdate(s->md, p, n);
    return ink_inbound_push(s->m, p, n);
}

/* end_inbound - the message ended, for cli_stream_drive */
static int end_inbound(void *arg)
{
    struct vstream *s = arg;

    return ink_inbound_end(s->m);
}

/* verify_fd - one message from fd, streamed */
static int verify_fd(struct vrun *run, int fd, const char *label,
                     const struct ink_inbound_params *p)
{
    EVP_MD_CTX *md = run->store != NULL ? digest_envelope(p) : NULL;
    char key[INK_EVROW_KEY_MAX];
    const char *why = NULL;
    struct ink_inbound *m = ink_inbound_new(p, &why);
    uint8_t *buf = malloc(VERIFY_READ_CHUNK);
    struct cli_ended e = {0, INK_NEXT_FAILED};
    struct vstream vs;
    struct ink_machine mach;
    int rc = -1, read_errno = 0, drv_rc;

    if (m == NULL || buf == NULL || (run->store != NULL && md == NULL)) {
        cli_error("verify: %s", why != NULL ? why : "out of memory");
        goto out;
    }
    mach = ink_inbound_machine(m);
    if (ink_driver_add(run->drv, mach, cli_ended, &e) < 0) {
        cli_error("verify: out of memory");
        goto out;
    }
    vs.m = m;
    vs.md = md;
    /* SPF, iprev and (once the header is in) DKIM and DMARC ask as it streams */
    drv_rc = cli_stream_drive(run->drv, mach, fd, buf, VERIFY_READ_CHUNK, push_inbound,
                              end_inbound, &vs, &read_errno);
    if (read_errno != 0) {
        cli_error("verify: %s: %s", label, strerror(read_errno));
        goto out;
    }
    if (!e.done) {
        cli_error("verify: %s: DNS answers are missing", label);
        m = NULL; /* still the driver's: left to the process */
        goto out;
    }
    if (e.how == INK_NEXT_FAILED) {
        cli_error("verify: %s: %s", label, ink_inbound_error(m));
        goto out;
    }
    if (drv_rc < 0) {
        cli_error("verify: %s: the resolver failed", label);
        goto out;
    }
    if (md != NULL) {
        EVP_MD_CTX *d = md;

        md = NULL;
        if (digest_key(d, key) < 0) {
            cli_error("verify: --record: cannot compute the row key");
            goto out;
        }
    }
    rc = report(run, m, NULL, run->store != NULL ? key : NULL);
out:
    EVP_MD_CTX_free(md);
    free(buf);
    ink_inbound_free(m);
    return rc;
}

/* ---- --batch ---- */

struct job {
    struct batch *b;
    struct ink_inbound *m;
    char *file;
    size_t line;
    char key[INK_EVROW_KEY_MAX]; /* --record: the row key */
};

struct batch {
    struct vrun *run;
    char *list;        /* the list file (NUL-terminated), cursor into it */
    size_t len, off, line;
    size_t running;
    int errors;
};

static void batch_next(struct batch *b);

/* batch_error - one line that cannot be evaluated: a JSON line saying why */
static void batch_error(struct batch *b, const char *file, size_t line, const char *why)
{
    json_t *o = json_object();
    char *js;

    json_object_set_new(o, "file", str_or_null(file));
    json_object_set_new(o, "line", json_integer((json_int_t)line));
    json_object_set_new(o, "error", json_string(why));
    js = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    if (js != NULL)
        printf("%s\n", js);
    free(js);
    json_decref(o);
    b->errors = 1;
}

/* batch_ended - a message is done: its line, then the next message */
static void batch_ended(void *arg, struct ink_machine mach, enum ink_next how)
{
    struct job *j = arg;
    struct batch *b = j->b;

    (void)mach;
    if (how == INK_NEXT_DONE) {
        if (report(b->run, j->m, j->file, b->run->store != NULL ? j->key : NULL) < 0)
            b->errors = 1;
    } else {
        batch_error(b, j->file, j->line, ink_inbound_error(j->m));
    }
    ink_inbound_free(j->m);
    free(j->file);
    free(j);
    b->running--;
    batch_next(b);
}

/* dash - "-" means absent */
static const char *dash(const char *s)
{
    return s != NULL && strcmp(s, "-") == 0 ? NULL : s;
}

/* batch_start - evaluate the message of one list line; 0, or -1 when the
 * line was reported as an error */
static int batch_start(struct batch *b, char *text, size_t line)
{
    char *fld[VERIFY_BATCH_FIELDS_MAX], *save = NULL, *t;
    size_t n = 0;
    struct ink_inbound_params p;
    struct job *j;
    uint8_t *msg;
    size_t mlen;
    const char *why = NULL;

    for (t = strtok_r(text, " \t\r", &save); t != NULL && n < VERIFY_BATCH_FIELDS_MAX;
         t = strtok_r(NULL, " \t\r", &save))
        fld[n++] = t;
    if (n == 0 || fld[0][0] == '#')
        return 0;
    if (n < 4) {
        batch_error(b, fld[0], line, "a line is PATH IP HELO MAIL-FROM [RCPT...]");
        return -1;
    }
    memset(&p, 0, sizeof(p));
    p.ip = dash(fld[1]);
    p.helo = dash(fld[2]);
    p.mail_from = dash(fld[3]);
    p.nrcpt = n - 4;
    p.rcpt = (const char *const *)&fld[4];
    p.now = b->run->now;
    p.org_mode = b->run->org_mode;
    p.flags = INK_INBOUND_LF_TO_CRLF;
    p.keycache = b->run->cache;
    if (cli_read_file(fld[0], VERIFY_BATCH_MESSAGE_MAX, &msg, &mlen) < 0) {
        batch_error(b, fld[0], line, "cannot read the message");
        return -1;
    }
    j = calloc(1, sizeof(*j));
    if (j == NULL || (j->file = strdup(fld[0])) == NULL ||
        (j->m = ink_inbound_new(&p, &why)) == NULL) {
        batch_error(b, fld[0], line, why != NULL ? why : "out of memory");
        if (j != NULL)
            free(j->file);
        free(j);
        free(msg);
        return -1;
    }
    j->b = b;
    j->line = line;
    if (b->run->store != NULL) {
        EVP_MD_CTX *md = digest_envelope(&p);

        if (md != NULL)
            (void)EVP_DigestUpdate(md, msg, mlen);
        if (md == NULL || digest_key(md, j->key) < 0) {
            batch_error(b, fld[0], line, "cannot compute the row key");
            ink_inbound_free(j->m);
            free(j->file);
            free(j);
            free(msg);
            return -1;
        }
    }
    /* the body is not kept: the buffer goes as soon as it is pushed */
    (void)ink_inbound_push(j->m, msg, mlen);
    free(msg);
    (void)ink_inbound_end(j->m);
    if (ink_driver_add(b->run->drv, ink_inbound_machine(j->m), batch_ended, j) < 0) {
        batch_error(b, fld[0], line, "out of memory");
        ink_inbound_free(j->m);
        free(j->file);
        free(j);
        return -1;
    }
    b->running++;
    return 0;
}

/* batch_next - start messages until VERIFY_BATCH_INFLIGHT run or the list ends */
static void batch_next(struct batch *b)
{
    while (b->running < VERIFY_BATCH_INFLIGHT && b->off < b->len) {
        char *s = b->list + b->off, *nl = memchr(s, '\n', b->len - b->off);
        size_t n = nl != NULL ? (size_t)(nl - s) : b->len - b->off;

        s[n] = '\0';
        b->off += n + 1;
        b->line++;
        (void)batch_start(b, s, b->line);
    }
}

/* run_batch - every line of the list file */
static int run_batch(struct vrun *run, const char *path)
{
    struct batch b;
    uint8_t *buf;
    size_t len;
    int rc;

    if (cli_read_file(path, VERIFY_BATCH_LIST_MAX, &buf, &len) < 0)
        return -1;
    memset(&b, 0, sizeof(b));
    b.run = run;
    b.list = malloc(len + 1);
    if (b.list == NULL) {
        free(buf);
        cli_error("verify: out of memory");
        return -1;
    }
    memcpy(b.list, buf, len);
    b.list[len] = '\0';
    free(buf);
    b.len = len;
    batch_next(&b);
    rc = ink_driver_run(run->drv);
    free(b.list);
    if (rc < 0) {
        cli_error("verify: the resolver failed");
        return -1;
    }
    return b.errors ? -1 : 0;
}

/* cmd_verify - inkan verify */
int cmd_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"ip", required_argument, NULL, OPT_IP},
        {"helo", required_argument, NULL, OPT_HELO},
        {"mail-from", required_argument, NULL, OPT_MAIL_FROM},
        {"rcpt", required_argument, NULL, OPT_RCPT},
        {"policy", required_argument, NULL, OPT_POLICY},
        {"authserv-id", required_argument, NULL, OPT_AUTHSERV},
        {"org-domain", required_argument, NULL, OPT_ORG},
        {"now", required_argument, NULL, OPT_NOW},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"record", no_argument, NULL, OPT_RECORD},
        {"db", required_argument, NULL, OPT_DB},
        {NULL, 0, NULL, 0},
    };
    struct ink_resolver_opts ropts = {0};
    struct ink_driver_opts dopts = {0};
    struct ink_inbound_params p;
    struct ink_resolver *r = NULL;
    struct vrun run;
    const char *rcpt[VERIFY_RCPTS_MAX], *policy_file = NULL, *batch = NULL, *authserv = NULL;
    const char *db = NULL;
    int record_opt = 0;
    size_t nrcpt = 0;
    int opt, rc = INK_EXIT_OK, json = 0;
    char *end;
    const struct cli_optset set = {
        .own = longopts, .dns = &ropts, .json = &json, .usage = verify_usage};

    memset(&p, 0, sizeof(p));
    memset(&run, 0, sizeof(run));
    run.now = (int64_t)time(NULL);
    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        switch (opt) {
        case OPT_IP:
            p.ip = optarg;
            break;
        case OPT_HELO:
            p.helo = optarg;
            break;
        case OPT_MAIL_FROM:
            if (strlen(optarg) > INK_INBOUND_ADDR_MAX) {
                cli_error("verify: --mail-from is longer than %d bytes", INK_INBOUND_ADDR_MAX);
                return INK_EXIT_USAGE;
            }
            p.mail_from = optarg;
            break;
        case OPT_RCPT:
            if (nrcpt >= VERIFY_RCPTS_MAX) {
                cli_error("verify: at most %d --rcpt", VERIFY_RCPTS_MAX);
                return INK_EXIT_USAGE;
            }
            rcpt[nrcpt++] = optarg;
            break;
        case OPT_POLICY:
            policy_file = optarg;
            break;
        case OPT_AUTHSERV:
            authserv = optarg;
            break;
        case OPT_ORG:
            if (strcmp(optarg, "psl") == 0) {
                run.org_mode = INK_DMARC_ORG_PSL;
            } else if (strcmp(optarg, "treewalk") == 0) {
                run.org_mode = INK_DMARC_ORG_TREEWALK;
            } else {
                cli_error("verify: --org-domain is psl or treewalk, not '%s'", cli_shown(optarg));
                return INK_EXIT_USAGE;
            }
            break;
        case OPT_NOW:
            errno = 0;
            run.now = strtoll(optarg, &end, 10);
            if (errno || end == optarg || *end || run.now < 0) {
                cli_error("verify: --now '%s' is not a time in seconds since 1970", cli_shown(optarg));
                return INK_EXIT_USAGE;
            }
            break;
        case OPT_BATCH:
            batch = optarg;
            break;
        case OPT_RECORD:
            record_opt = 1;
            break;
        case OPT_DB:
            db = optarg;
            break;
        case CLI_GETOPT_HELP:
            return INK_EXIT_OK;
        default:
            return INK_EXIT_USAGE;
        }
    }
    if (argc - optind > 1 || (batch != NULL && argc - optind > 0)) {
        cli_error("verify: %s", batch != NULL ? "--batch takes no FILE" : "one message at a time (or --batch)");
        return INK_EXIT_USAGE;
    }
    if (db != NULL && !record_opt) {
        cli_error("verify: --db is for --record");
        return INK_EXIT_USAGE;
    }
    if (p.ip != NULL) {
        int fam;
        uint8_t a[16];

        if (ink_ip_parse(p.ip, strlen(p.ip), &fam, a) < 0) {
            cli_error("verify: --ip '%s' is not an IPv4 or IPv6 address", cli_shown(p.ip));
            return INK_EXIT_USAGE;
        }
    }
    if (policy_file != NULL) {
        uint8_t *buf;
        size_t len;
        struct ink_str err = INK_STR_INIT;

        if (cli_read_file(policy_file, INK_POLICY_SIZE_MAX, &buf, &len) < 0)
            return INK_EXIT_OPERR;
        run.pol = ink_policy_parse(buf, len, &err);
        free(buf);
        if (run.pol == NULL) {
            cli_error("verify: %s:%s", policy_file, ink_str_cstr(&err));
            ink_str_free(&err);
            return INK_EXIT_OPERR;
        }
        ink_str_free(&err);
    } else {
        run.pol = ink_policy_default();
    }
    if (run.pol == NULL) {
        cli_error("verify: out of memory");
        return INK_EXIT_OPERR;
    }
    run.authserv_id = authserv != NULL ? authserv : run.pol->authserv_id;
    if (record_opt) {
        run.rows = malloc(VERIFY_RECORD_BATCH * sizeof(*run.rows));
        if (run.rows == NULL) {
            cli_error("verify: out of memory");
            ink_policy_free(run.pol);
            return INK_EXIT_OPERR;
        }
        run.store = cli_store_open(db, 0);
        if (run.store == NULL) {
            free(run.rows);
            ink_policy_free(run.pol);
            return INK_EXIT_OPERR;
        }
    }
    run.json = json;
    r = cli_resolver_open(&ropts);
    if (r == NULL) {
        ink_policy_free(run.pol);
        return INK_EXIT_OPERR;
    }
    dopts.timeout_ms = ropts.timeout_ms;
    dopts.no_cache = ropts.no_cache;
    run.drv = ink_driver_new(r, &dopts);
    run.cache = ink_dkim_keycache_new();
    if (run.drv == NULL || run.cache == NULL) {
        cli_error("verify: out of memory");
        rc = INK_EXIT_OPERR;
        goto out;
    }
    if (batch != NULL) {
        if (run_batch(&run, batch) < 0)
            rc = INK_EXIT_OPERR;
        if (run.store != NULL) {
            if (record_flush(&run) < 0 || run.record_failed)
                rc = INK_EXIT_OPERR;
            else
                fprintf(stderr, "inkan verify: %zu evaluation%s recorded (%zu added)\n",
                        run.recorded, run.recorded == 1 ? "" : "s", run.added);
        }
    } else {
        int fd = STDIN_FILENO;
        const char *label = "stdin";

        p.nrcpt = nrcpt;
        p.rcpt = rcpt;
        p.now = run.now;
        p.org_mode = run.org_mode;
        p.flags = INK_INBOUND_LF_TO_CRLF;
        p.keycache = run.cache;
        if (argc - optind == 1 && strcmp(argv[optind], "-") != 0) {
            label = argv[optind];
            fd = open(label, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                cli_error("verify: %s: %s", label, strerror(errno));
                rc = INK_EXIT_OPERR;
                goto out;
            }
        }
        if (verify_fd(&run, fd, label, &p) < 0)
            rc = INK_EXIT_OPERR;
        if (fd != STDIN_FILENO)
            close(fd);
    }
out:
    ink_store_free(run.store);
    free(run.rows);
    ink_driver_free(run.drv);
    ink_dkim_keycache_free(run.cache);
    ink_resolver_free(r);
    ink_policy_free(run.pol);
    return rc;
}
