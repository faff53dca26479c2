/*
 * arc.c - the `inkan arc` command: verify a message's ARC chain (RFC
 * 8617) and seal a forwarding hop.
 *
 * The ARC work is done by the sans-I/O core (inkan/arc.h); this file
 * reads the message and key, runs the verifier's key queries through the
 * one driver (inkan/driver.h) and prints the result, or the new ARC set
 * followed by the message.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "inkan/arc.h"
#include "inkan/driver.h"
#include "inkan/resolver.h"

/* Largest message read (sealing holds the whole message: the new fields
 * go before it and are known only at its end). */
#define ARC_CLI_MESSAGE_MAX (64u * 1024u * 1024u)
/* Bytes read per read(2). */
#define ARC_CLI_READ_CHUNK (256u * 1024u)
/* Largest private-key file read. */
#define ARC_CLI_KEYFILE_MAX (1u << 20)
/* Longest untrusted value (d=, s=, AAR) printed on a result line. */
#define ARC_CLI_SHOW_MAX 512

enum {
    OPT_KEY = CLI_OPT_FIRST_FREE,
    OPT_DOMAIN,
    OPT_SELECTOR,
    OPT_AUTHSERV_ID,
    OPT_HEADERS,
    OPT_NO_TIMESTAMP,
    OPT_TIMESTAMP,
};

/* read_message - the whole message from path (NULL or "-": stdin) into
 * out; 0, or -1 after printing why */
static int read_message(const char *cmd, const char *path, struct ink_str *out)
{
    int fd = STDIN_FILENO;
    uint8_t *buf = malloc(ARC_CLI_READ_CHUNK);
    int rc = -1;

    if (buf == NULL) {
        cli_error("%s: out of memory", cmd);
        return -1;
    }
    if (path != NULL && strcmp(path, "-") != 0) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            cli_error("%s: %s: %s", cmd, cli_shown(path), strerror(errno));
            free(buf);
            return -1;
        }
    }
    for (;;) {
        ssize_t n = read(fd, buf, ARC_CLI_READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cli_error("%s: %s: %s", cmd, path ? cli_shown(path) : "stdin", strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        if (out->len + (size_t)n > ARC_CLI_MESSAGE_MAX) {
            cli_error("%s: %s: the message is larger than %u bytes", cmd,
                      path ? cli_shown(path) : "stdin", ARC_CLI_MESSAGE_MAX);
            goto out;
        }
        if (ink_str_append(out, buf, (size_t)n) < 0) {
            cli_error("%s: out of memory", cmd);
            goto out;
        }
    }
    rc = 0;
out:
    if (fd != STDIN_FILENO)
        close(fd);
    free(buf);
    return rc;
}

/* run_verify - verify msg over r; the verifier (caller frees) or NULL after printing */
static struct ink_arc_verify *run_verify(const char *cmd, struct ink_resolver *r,
                                         const struct ink_resolver_opts *ropts,
                                         const struct ink_str *msg)
{
    struct ink_arc_verify_opts vo = {INK_ARC_VERIFY_LF_TO_CRLF};
    struct ink_driver_opts dopts = {0};
    struct ink_arc_verify *v = ink_arc_verify_new(&vo);

    if (v == NULL) {
        cli_error("%s: out of memory", cmd);
        return NULL;
    }
    dopts.timeout_ms = ropts->timeout_ms;
    dopts.no_cache = ropts->no_cache;
    if (ink_arc_verify_push(v, (const uint8_t *)msg->buf, msg->len) < 0 ||
        ink_arc_verify_end(v) < 0 ||
        ink_drive_sync(r, ink_arc_verify_machine(v), &dopts) != INK_NEXT_DONE ||
        ink_arc_verify_result(v) == NULL) {
        cli_error("%s: the message cannot be verified: %s", cmd,
                  ink_arc_verify_error(v)[0] ? ink_arc_verify_error(v) : "out of memory");
        ink_arc_verify_free(v);
        return NULL;
    }
    return v;
}

/* shown - untrusted field bytes as one printable line: folding
 * whitespace runs as one SP, ends trimmed (owned by the caller) */
static char *shown(const void *p, size_t n)
{
    struct ink_str s = INK_STR_INIT, flat = INK_STR_INIT;
    const uint8_t *b = p;
    size_t i;

    for (i = 0; i < n; i++) {
        int ws = b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n';
        if (ws && (flat.len == 0 || flat.buf[flat.len - 1] == ' '))
            continue;
        ink_str_putc(&flat, ws ? ' ' : b[i]);
    }
    if (flat.len && flat.buf[flat.len - 1] == ' ')
        ink_str_truncate(&flat, flat.len - 1);
    ink_str_put_printable(&s, flat.buf ? flat.buf : "", flat.len, ARC_CLI_SHOW_MAX);
    ink_str_free(&flat);
    return s.buf != NULL ? ink_str_steal(&s) : strdup("");
}

/* sig_json - one AMS or AS result as JSON */
static json_t *sig_json(const struct ink_arc_field *f, enum ink_arc_sig_result r,
                        const char *reason)
{
    json_t *o = json_object();

    json_object_set_new(o, "result", json_string(ink_arc_sig_result_name(r)));
    json_object_set_new(o, "reason", json_string(reason));
    json_object_set_new(o, "d", json_string(f->d ? f->d : ""));
    json_object_set_new(o, "s", json_string(f->s ? f->s : ""));
    json_object_set_new(o, "a", json_string(ink_dkim_alg_name(f->alg)));
    if (f->kind == INK_ARC_AS)
        json_object_set_new(o, "cv", json_string(ink_arc_cv_name(f->cv)));
    return o;
}

/* print_result - the chain's outcome, as text or JSON */
static void print_result(const struct ink_arc_result *res, int json)
{
    size_t k;

    if (json) {
        json_t *o = json_object(), *sets = json_array();
        char *js;
        json_object_set_new(o, "cv", json_string(ink_arc_cv_name(res->cv)));
        json_object_set_new(o, "temporary", json_boolean(res->temporary));
        json_object_set_new(o, "reason", json_string(res->reason));
        json_object_set_new(o, "reason_offset", json_integer((json_int_t)res->reason_off));
        json_object_set_new(o, "instances", json_integer((json_int_t)res->count));
        json_object_set_new(o, "oldest_pass", json_integer((json_int_t)res->oldest_pass));
        for (k = 0; k < res->nsets; k++) {
            const struct ink_arc_set *s = &res->sets[k];
            json_t *js_set = json_object();
            json_object_set_new(js_set, "instance", json_integer((json_int_t)s->instance));
            json_object_set_new(js_set, "ams", sig_json(s->ams, s->ams_result, s->ams_reason));
            json_object_set_new(js_set, "as", sig_json(s->as, s->as_result, s->as_reason));
            json_object_set_new(js_set, "aar",
                                json_stringn((const char *)s->aar_payload, s->aar_payload_len));
            json_array_append_new(sets, js_set);
        }
        json_object_set_new(o, "sets", sets);
        js = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (js != NULL)
            printf("%s\n", js);
        free(js);
        json_decref(o);
        return;
    }
    printf("%s\n", res->temporary ? "temperror" : ink_arc_cv_name(res->cv));
    if (res->reason[0])
        printf("reason: %s (byte %llu)\n", res->reason, (unsigned long long)res->reason_off);
    if (res->count == 0)
        return;
    printf("instances: %u  oldest-pass: %u\n", res->count, res->oldest_pass);
    for (k = 0; k < res->nsets; k++) {
        const struct ink_arc_set *s = &res->sets[k];
        char *aar = shown(s->aar_payload, s->aar_payload_len);
        printf("i=%u  ams=%s d=%s s=%s%s%s%s  as=%s cv=%s d=%s s=%s%s%s%s\n", s->instance,
               ink_arc_sig_result_name(s->ams_result), s->ams->d, s->ams->s,
               s->ams_reason[0] ? " (" : "", s->ams_reason, s->ams_reason[0] ? ")" : "",
               ink_arc_sig_result_name(s->as_result), ink_arc_cv_name(s->as->cv), s->as->d,
               s->as->s, s->as_reason[0] ? " (" : "", s->as_reason, s->as_reason[0] ? ")" : "");
        printf("     aar: %s\n", aar);
        free(aar);
    }
}

static void verify_usage(FILE *fp)
{
    fprintf(fp,
            "usage: inkan arc verify [--zone FILE | --dns HOST[:PORT]] [--json] [FILE]\n\n"
            "Verify the ARC chain (RFC 8617) of a message (FILE, or stdin).\n\n"
            "  --json            the result as JSON: cv, temporary, reason,\n"
            "                    reason_offset, instances, oldest_pass, and per set\n"
            "                    the AMS and AS results and the AAR text\n" CLI_DNS_HELP
            "\nThe first line is the chain's state: none, pass, fail, or temperror (a\n"
            "key lookup failed temporarily); then the reason, and one line per ARC\n"
            "set with its AMS and AS results and its AAR.\n"
            "Exit 0 when verification ran (whatever the result), 1 operational error,\n"
            "2 usage.\n");
}

/* cmd_arc_verify - inkan arc verify */
static int cmd_arc_verify(int argc, char **argv)
{
    struct ink_resolver_opts ropts = {0};
    struct ink_resolver *r;
    struct ink_arc_verify *v;
    struct ink_str msg = INK_STR_INIT;
    int json = 0, opt;
    const struct cli_optset set = {.dns = &ropts, .json = &json, .usage = verify_usage};

    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        if (opt == CLI_GETOPT_HELP)
            return INK_EXIT_OK;
        return INK_EXIT_USAGE;
    }
    if (argc - optind > 1) {
        cli_error("arc verify: one message at a time ('%s' is extra)", cli_shown(argv[optind + 1]));
        return INK_EXIT_USAGE;
    }
    if (read_message("arc verify", optind < argc ? argv[optind] : NULL, &msg) < 0) {
        ink_str_free(&msg);
        return INK_EXIT_OPERR;
    }
    r = cli_resolver_open(&ropts);
    if (r == NULL) {
        ink_str_free(&msg);
        return INK_EXIT_OPERR;
    }
    v = run_verify("arc verify", r, &ropts, &msg);
    if (v != NULL)
        print_result(ink_arc_verify_result(v), json);
    ink_arc_verify_free(v);
    ink_resolver_free(r);
    ink_str_free(&msg);
    return v != NULL ? INK_EXIT_OK : INK_EXIT_OPERR;
}

static void seal_usage(FILE *fp)
{
    fprintf(fp,
            "usage: inkan arc seal --key FILE --domain D --selector S --authserv-id ID\n"
            "                      [--headers LIST] [--timestamp T | --no-timestamp]\n"
            "                      [--zone FILE | --dns HOST[:PORT]] [FILE]\n\n"
            "Seal a forwarding hop (RFC 8617): verify the message's ARC chain, then\n"
            "print the new ARC-Seal, ARC-Message-Signature and\n"
            "ARC-Authentication-Results fields followed by the message.\n\n"
            "  --key FILE        PEM private key (RSA or Ed25519), as for dkim sign\n"
            "  --domain D        d= of the seal and the message signature\n"
            "  --selector S      s=\n"
            "  --authserv-id ID  this hop's authserv-id: the AAR carries the results\n"
            "                    of the message's Authentication-Results fields with\n"
            "                    this id (or arc=CV when it has none)\n"
            "  --headers LIST    colon-separated fields for the AMS h= (default: From,\n"
            "                    Subject, Date, To, Cc, Message-ID, MIME and List-*\n"
            "                    fields present; ARC fields cannot be listed)\n"
            "  --timestamp T     t= (Unix time; default: now)\n"
            "  --no-timestamp    no t=\n" CLI_DNS_HELP
            "\nA chain whose newest seal says cv=fail is not continued: the message is\n"
            "printed unchanged, with a note on stderr.  A chain that cannot be\n"
            "verified because a key lookup failed temporarily is not sealed (exit 1).\n"
            "Exit 0 sealed (or left unchanged), 1 error, 2 usage.\n");
}

/* cmd_arc_seal - inkan arc seal */
static int cmd_arc_seal(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"key", required_argument, NULL, OPT_KEY},
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {"selector", required_argument, NULL, OPT_SELECTOR},
        {"authserv-id", required_argument, NULL, OPT_AUTHSERV_ID},
        {"headers", required_argument, NULL, OPT_HEADERS},
        {"timestamp", required_argument, NULL, OPT_TIMESTAMP},
        {"no-timestamp", no_argument, NULL, OPT_NO_TIMESTAMP},
        {NULL, 0, NULL, 0},
    };
    struct ink_resolver_opts ropts = {0};
    struct ink_resolver *r = NULL;
    struct ink_arc_verify *v = NULL;
    struct ink_arc_seal *s = NULL;
    struct ink_arc_seal_opts so;
    struct ink_dkim_privkey *key = NULL;
    struct ink_str msg = INK_STR_INIT, out = INK_STR_INIT, err = INK_STR_INIT;
    const struct ink_arc_result *res;
    const char *keyfile = NULL;
    uint8_t *pem = NULL;
    size_t pemlen = 0;
    char *end;
    int opt, rc = INK_EXIT_OPERR, timestamp = 1;
    uint64_t ts = (uint64_t)time(NULL);
    const struct cli_optset set = {.own = longopts, .dns = &ropts, .usage = seal_usage};
    const char *eol;

    memset(&so, 0, sizeof(so));
    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        switch (opt) {
        case OPT_KEY:
            keyfile = optarg;
            break;
        case OPT_DOMAIN:
            so.domain = optarg;
            break;
        case OPT_SELECTOR:
            so.selector = optarg;
            break;
        case OPT_AUTHSERV_ID:
            so.authserv_id = optarg;
            break;
        case OPT_HEADERS:
            so.headers = optarg;
            break;
        case OPT_TIMESTAMP:
            errno = 0;
            ts = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || ts == 0) {
                cli_error("arc seal: --timestamp '%s' is not a Unix time", cli_shown(optarg));
                return INK_EXIT_USAGE;
            }
            break;
        case OPT_NO_TIMESTAMP:
            timestamp = 0;
            break;
        case CLI_GETOPT_HELP:
            return INK_EXIT_OK;
        default:
            return INK_EXIT_USAGE;
        }
    }
    if (keyfile == NULL || so.domain == NULL || so.selector == NULL || so.authserv_id == NULL) {
        cli_error("arc seal: --key, --domain, --selector and --authserv-id are required");
        seal_usage(stderr);
        return INK_EXIT_USAGE;
    }
    if (argc - optind > 1) {
        cli_error("arc seal: one message at a time ('%s' is extra)", cli_shown(argv[optind + 1]));
        return INK_EXIT_USAGE;
    }
    if (cli_read_file(keyfile, ARC_CLI_KEYFILE_MAX, &pem, &pemlen) < 0)
        return INK_EXIT_OPERR;
    key = ink_dkim_privkey_parse(pem, pemlen, &err);
    free(pem);
    if (key == NULL) {
        cli_error("arc seal: %s: %s", cli_shown(keyfile), ink_str_cstr(&err));
        goto done;
    }
    so.key = key;
    so.timestamp = timestamp ? ts : 0;
    so.flags = INK_ARC_SEAL_LF_TO_CRLF;
    if (read_message("arc seal", optind < argc ? argv[optind] : NULL, &msg) < 0)
        goto done;
    r = cli_resolver_open(&ropts);
    if (r == NULL)
        goto done;
    v = run_verify("arc seal", r, &ropts, &msg);
    if (v == NULL)
        goto done;
    res = ink_arc_verify_result(v);
    if (res->temporary) {
        cli_error("arc seal: the chain cannot be verified now (%s): not sealing", res->reason);
        goto done;
    }
    so.cv = res->cv;
    s = ink_arc_seal_new(&so, &err);
    if (s == NULL) {
        cli_error("arc seal: %s", ink_str_cstr(&err));
        rc = INK_EXIT_USAGE;
        goto done;
    }
    /* the new fields use the message's own line ending */
    end = msg.len ? memchr(msg.buf, '\n', msg.len) : NULL;
    eol = end != NULL && end > msg.buf && end[-1] == '\r' ? "\r\n" : "\n";
    if (ink_arc_seal_push(s, (const uint8_t *)msg.buf, msg.len) < 0 ||
        ink_arc_seal_end(s, eol, &out) < 0) {
        cli_error("arc seal: %s", ink_arc_seal_error(s));
        goto done;
    }
    if (ink_arc_seal_instance(s) == 0)
        cli_error("arc seal: the chain's newest seal says cv=fail: not continued (RFC 8617)");
    if ((out.len && fwrite(out.buf, 1, out.len, stdout) != out.len) ||
        (msg.len && fwrite(msg.buf, 1, msg.len, stdout) != msg.len) || fflush(stdout) != 0) {
        cli_error("arc seal: writing the message: %s", strerror(errno));
        goto done;
    }
    rc = INK_EXIT_OK;
done:
    ink_arc_seal_free(s);
    ink_arc_verify_free(v);
    ink_resolver_free(r);
    ink_dkim_privkey_free(key);
    ink_str_free(&msg);
    ink_str_free(&out);
    ink_str_free(&err);
    return rc;
}

static void arc_usage(FILE *fp)
{
    fprintf(fp, "usage: inkan arc SUBCOMMAND [OPTIONS]\n\n"
                "  verify    verify the ARC chain of a message\n"
                "  seal      add an ARC set for a forwarding hop\n\n"
                "Run 'inkan arc SUBCOMMAND --help' for its options.\n");
}

/* cmd_arc - inkan arc SUBCOMMAND */
int cmd_arc(int argc, char **argv)
{
    if (argc < 2) {
        arc_usage(stderr);
        return INK_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        arc_usage(stdout);
        return INK_EXIT_OK;
    }
    if (strcmp(argv[1], "verify") == 0) {
        cli_set_argv0(argv + 1, "arc verify");
        return cmd_arc_verify(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "seal") == 0) {
        cli_set_argv0(argv + 1, "arc seal");
        return cmd_arc_seal(argc - 1, argv + 1);
    }
    cli_error("arc: unknown subcommand '%s' (see 'inkan arc --help')", cli_shown(argv[1]));
    return INK_EXIT_USAGE;
}
