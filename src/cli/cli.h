/*
 * cli.h - what the subcommands of the inkan command share: exit codes,
 * error printing, the DNS source options (--zone, --dns, --timeout) and
 * the command table's entry points.
 *
 * Only main() exits; subcommands return an exit code.
 */
#ifndef INKAN_CLI_H
#define INKAN_CLI_H

#include <getopt.h>
#include <stdio.h>

#include <jansson.h>

#include "inkan/finding.h"

#include "inkan/driver.h"
#include "inkan/profile.h"
#include "inkan/query.h"
#include "inkan/resolver.h"

/* Exit codes common to every subcommand (see man/inkan.1). */
#define INK_EXIT_OK 0
#define INK_EXIT_OPERR 1 /* operational error: unreadable file, no resolver */
#define INK_EXIT_USAGE 2 /* bad command line */

/* Long-option ids shared by subcommands (kept above any single-char id). */
enum {
    CLI_OPT_ZONE = 1000,
    CLI_OPT_DNS,
    CLI_OPT_TIMEOUT,
    CLI_OPT_ORIGIN,
    CLI_OPT_JSON,
    CLI_OPT_TRUST_ANCHOR,
    CLI_OPT_HELP,
    CLI_OPT_FIRST_FREE /* subcommands number their own options from here */
};

/* The getopt_long entries for the DNS source options, to splice in. */
#define CLI_DNS_LONGOPTS                                                  \
    {"zone", required_argument, NULL, CLI_OPT_ZONE},                      \
    {"dns", required_argument, NULL, CLI_OPT_DNS},                        \
    {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},                \
    {"origin", required_argument, NULL, CLI_OPT_ORIGIN},                  \
    {"trust-anchor", required_argument, NULL, CLI_OPT_TRUST_ANCHOR}

/* Help text lines for the DNS source options. */
#define CLI_DNS_HELP                                                          \
    "  --zone FILE          answer DNS queries from an RFC 1035 zone file\n"  \
    "  --origin NAME        $ORIGIN to read --zone FILE with\n"               \
    "  --dns HOST[:PORT]    send DNS queries to this server\n"               \
    "  --timeout SECONDS    time one DNS query may take (default 5)\n"           \
    "  --trust-anchor FILE  validate DNSSEC with these root keys (--dns or\n"   \
    "                       resolv.conf; e.g. /usr/share/dns/root.key)\n"

/* cli_prog - the program name used in messages ("inkan") */
extern const char *cli_prog;

/* Bytes of a user's argument echoed in a message: a longer one is cut
 * short with "..." (a 100 KB --domain must not fill the terminal). */
#define CLI_ECHO_MAX 64

/*
 * cli_shown - arg as a message may show it: printable ASCII kept, other
 * bytes as \xHH, cut to CLI_ECHO_MAX bytes with "...".  Static storage,
 * one of CLI_SHOWN_SLOTS rotating buffers (so a message can show a few).
 */
#define CLI_SHOWN_SLOTS 4
const char *cli_shown(const char *arg);

/*
 * cli_set_argv0 - make argv[0] "inkan NAME" (e.g. "inkan dkim sign"), so
 * getopt's own messages ("inkan dkim sign: unrecognized option '--x'")
 * name the command as the user typed it.  The string is static.
 */
void cli_set_argv0(char **argv, const char *name);

/*
 * cli_error - print "inkan SUB: message" to stderr, SUB the command
 * cli_set_argv0 named ("inkan: message" before one is chosen).  A message
 * that starts with the command's name ("check: ...", "dkim sign: ...")
 * gets it once, not twice.
 */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- the option layer every subcommand parses its options with ---- */

/* Entries of a merged option table (a subcommand's own plus the shared). */
#define CLI_LONGOPTS_MAX 64

/* What a subcommand hands cli_getopt. */
struct cli_optset {
    const struct option *own;      /* its own options, ended by {NULL}; may be NULL */
    struct ink_resolver_opts *dns; /* --zone/--dns/--timeout/--origin/--trust-anchor
                                    * go here; NULL: the command takes none */
    int *json;                     /* --json sets *json = 1; NULL: no --json */
    void (*usage)(FILE *fp);       /* the command's help (--help, -h) */
    const char *shorts;            /* its short options besides -h, as getopt
                                    * letters ("v"); NULL: none */
};
/* cli_getopt's answers besides the subcommand's own ids and -1 (done). */
#define CLI_GETOPT_HELP (-2)  /* --help or -h: the usage is on stdout; exit 0 */
#define CLI_GETOPT_USAGE (-3) /* a bad option or value: said why; exit 2 */

/*
 * cli_getopt - the next option of argv (getopt_long underneath, from
 * optind; set optind = 1 first).  The shared options (DNS source, --json,
 * --help) are handled here, so the loop sees only the command's own; an
 * unknown option, a missing value ("--zone needs a value") and a bad DNS
 * option value are reported in the one message format.  Returns the own
 * option's id (optarg holds its value), CLI_GETOPT_HELP, CLI_GETOPT_USAGE
 * or -1 when the options end (argv[optind...] are the operands).
 */
int cli_getopt(const struct cli_optset *set, int argc, char **argv);

/*
 * cli_dns_option - handle one of the CLI_OPT_ZONE/DNS/TIMEOUT/ORIGIN
 * options into opts.  Returns 1 if opt was one of them, 0 if not, and -1
 * (after printing why) on a bad value.
 */
int cli_dns_option(struct ink_resolver_opts *opts, int opt, const char *arg);

/*
 * cli_resolver_open - open the resolver the options name (zone file or
 * libunbound).  NULL after printing why.  Caller frees with
 * ink_resolver_free().
 */
struct ink_resolver *cli_resolver_open(const struct ink_resolver_opts *opts);

/* Asking one authoritative server directly (inkan domain, inkan dkim rotate). */
/* Room for an address as text and its NUL (INET6_ADDRSTRLEN is 46). */
#define CLI_IP_TEXT_MAX 64
/* cli_query_timeout - the time one query may take under opts (ms): --timeout, else the default */
int cli_query_timeout(const struct ink_resolver_opts *opts);
/* cli_server_string - "ADDR:PORT" ("[ADDR6]:PORT" for IPv6) of one server
 * for cli_server_resolver; caller frees; NULL on ENOMEM */
char *cli_server_string(int family, const uint8_t *addr, int port);
/* cli_server_resolver - an uncached resolver that asks server (a
 * cli_server_string) only; caller frees (ink_resolver_free); NULL after
 * printing "cannot query SERVER: why" */
struct ink_resolver *cli_server_resolver(const char *server, int timeout_ms);
/* cli_parse_auth_port - --auth-port's argument, 1-65535; -1 after printing */
int cli_parse_auth_port(const char *arg);

/* Largest epoch --now / INKAN_NOW accept (9999-12-31 23:59:59 UTC). */
#define CLI_EPOCH_MAX 253402300799LL
/* cli_parse_epoch - a non-negative decimal epoch up to CLI_EPOCH_MAX, or -1 */
int64_t cli_parse_epoch(const char *s);
/* How many cli_fmt_time results one call (a printf) may use at once. */
#define CLI_TIME_SLOTS 4
/* cli_fmt_time - epoch t as "2026-12-03 15:00:00 UTC" ("-" for t <= 0, "?"
 * when it cannot be shown), in a static buffer (one of CLI_TIME_SLOTS) */
const char *cli_fmt_time(int64_t t);

/* cli_stdout_is_tty - whether colour/progress output is wanted */
int cli_stdout_is_tty(void);

/* A subcommand: argc/argv start at the subcommand's own name. */
struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

/* Subcommand entry points (one file each under src/cli/). */
int cmd_version(int argc, char **argv);
/* dns.c */
int cmd_dns(int argc, char **argv);
/* dkim.c */
int cmd_dkim(int argc, char **argv);
/* rotate.c: `inkan dkim rotate` (dkim.c hands over argv from "rotate") */
int cmd_dkim_rotate(int argc, char **argv);
/* cmd_arc - inkan arc verify|seal (arc.c) */
int cmd_arc(int argc, char **argv);
/* spf_lint.c: `inkan spf lint ...`; spf.c's cmd_spf hands over argv
 * starting at "lint" */
int cmd_spf_lint(int argc, char **argv);
/* provision.c, domain.c: sending-domain provisioning and verification */
int cmd_provision(int argc, char **argv);
int cmd_domain(int argc, char **argv);
int cmd_report(int argc, char **argv);
/* report_send.c: `inkan report generate` and `inkan report send` (cmd_report
 * hands over argv starting at the subcommand) */
int cli_report_generate(int argc, char **argv);
int cli_report_send(int argc, char **argv);
/* report_sim.c: `inkan report simulate` (argv[0] the subcommand) */
int cli_report_simulate(int argc, char **argv);
/* cli_report_open_db - open the report store (path NULL: the default,
 * as 'inkan domain'); NULL after printing why */
struct ink_store *cli_report_open_db(const char *path);
/* cli_parse_dkim_algs - "ed25519,rsa2048" into algs; count, or -1 after printing */
int cli_parse_dkim_algs(const char *arg, enum ink_profile_keyalg *algs, size_t max);
/* cli_read_file - whole file of at most max bytes (caller frees); 0 or -1 after printing */
int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len);
/* cli_write_file - write a file with mode; excl refuses to replace one.  0 or -1 after printing */
int cli_write_file(const char *path, const void *buf, size_t len, unsigned mode, int excl);
/*
 * cli_secret_write - write a secret file (a private key) at path: created
 * under a temporary name next to it with O_CREAT|O_EXCL|O_NOFOLLOW and
 * mode 0600, then moved into place.  An existing path (file or symlink)
 * is refused unless force, which replaces the name (never what a symlink
 * points to).  0, or -1 after printing why (nothing left behind).
 */
int cli_secret_write(const char *path, const void *buf, size_t len, int force);
/* Largest --trust-anchor file read (root keys: a few KB). */
#define CLI_TRUST_ANCHOR_MAX (1u << 20)
/*
 * cli_file_limit - before a library reads path for option what: it must
 * be a regular file (not /dev/zero, a pipe) of at most max bytes.  0, or
 * -1 after printing "WHAT PATH: why".
 */
int cli_file_limit(const char *what, const char *path, size_t max);
/*
 * cli_default_db_path - the store every command uses without --db:
 * $XDG_DATA_HOME/inkan/inkan.db, else ~/.local/share/inkan/inkan.db.
 * Caller frees; NULL when neither variable is set (or out of memory).
 */
char *cli_default_db_path(void);

/* How the driver ended a machine (set by cli_ended). */
struct cli_ended {
    int done;
    enum ink_next how;
};
/* cli_ended - an ink_driver_done_cb filling the struct cli_ended at arg */
void cli_ended(void *arg, struct ink_machine m, enum ink_next how);
/*
 * cli_stream_drive - stream the message on fd into machine mach running
 * in drv: read chunks of up to size bytes into buf, hand each to
 * push(arg, chunk, n) and let the driver answer what mach asks meanwhile
 * (a push that fails ends the reading); then end(arg) and run drv until
 * nothing is left to do.  Returns ink_driver_run()'s result; *read_errno
 * is the errno of a failed read (the message is then ended too), else 0.
 */
int cli_stream_drive(struct ink_driver *drv, struct ink_machine mach, int fd, uint8_t *buf,
                     size_t size, int (*push)(void *arg, const uint8_t *p, size_t n),
                     int (*end)(void *arg), void *arg, int *read_errno);
/*
 * cli_store_open - the store at path, or (path NULL) at the default
 * $XDG_DATA_HOME/inkan/inkan.db, else ~/.local/share/inkan/inkan.db.
 * readonly: an existing database is opened to read only (one the user
 * cannot write can still be shown).  NULL after printing why.
 */
struct ink_store;
struct ink_store *cli_store_open(const char *path, int readonly);
/* evaluations.c: `inkan evaluations list|replay` */
int cmd_evaluations(int argc, char **argv);
/* cli_profile_load - read and parse a sender profile, or NULL after printing why */
struct ink_profile *cli_profile_load(const char *path);

/* spf: `inkan spf` (spf.c) dispatches `inkan spf lint` to cmd_spf_lint
 * (spf_lint.c). */
int cmd_spf(int argc, char **argv);

/* ---- findings.c: the one finding printer ---- */
struct cli_findings_opts {
    const char *const *areas; /* text: group under these area headings
                               * (NULL-terminated), errors first within
                               * each; NULL: one list in the given order */
    int no_info;              /* leave out informational findings */
    int colour;               /* text: ANSI colours (a terminal) */
    int offsets;              /* JSON: "offset" and "length" of findings
                               * that have one */
    /* JSON: called for each finding written, with its index in the array
     * given and its object, to add a command's own keys; may be NULL */
    void (*extra)(void *arg, size_t i, json_t *obj);
    void *extra_arg;
};
/*
 * cli_print_findings - write n findings to out as text: per finding
 *   "  SEVERITY code (subject)", the message, and "fix: LINE" ("next:" for
 *   information), each further line of a multi-line fix indented under
 *   the first.  o may be NULL (all findings, in order, no colour).
 */
void cli_print_findings(FILE *out, const struct ink_finding *f, size_t n,
                        const struct cli_findings_opts *o);
/*
 * cli_findings_json - n findings as a JSON array of objects with keys
 * severity, area, code, message, subject, fix (null when absent) and,
 * with o->offsets, offset and length.  Caller decrefs; NULL on ENOMEM.
 */
json_t *cli_findings_json(const struct ink_finding *f, size_t n, const struct cli_findings_opts *o);

/* verify.c: `inkan verify` (inbound mail) */
int cmd_verify(int argc, char **argv);

/* milter.c: `inkan milter` (the milter daemon beside Postfix) */
int cmd_milter(int argc, char **argv);

/* check.c: `inkan check` */
int cmd_check(int argc, char **argv);

/* serve.c: `inkan serve`, `inkan token` */
int cmd_serve(int argc, char **argv);
int cmd_token(int argc, char **argv);

/* domain.c's face for the service (serve.c): the domain commands' work
 * without their option parsing and printing.  A struct dctx is one store
 * connection and its checker; one thread uses it at a time. */
struct dctx;
struct ink_store;
struct ink_store_event;
struct ink_vdomain;
/* cli_domains_open - open db (NULL: the default) and check with dns; NULL after printing */
struct dctx *cli_domains_open(const char *db, const struct ink_resolver_opts *dns);
/* cli_domains_set_auth_port - the port of the authoritative servers (default 53) */
void cli_domains_set_auth_port(struct dctx *c, int port);
/* cli_clock_real_pause - real seconds a pause of secs on the (INKAN_CLOCK_SPEED) clock takes */
double cli_clock_real_pause(int secs);
/* cli_domains_free - release; NULL is a no-op */
void cli_domains_free(struct dctx *c);
/* cli_domains_store - the context's store (owned by it) */
struct ink_store *cli_domains_store(struct dctx *c);
/* cli_domains_add - follow domain with a profile's records; 0, INK_STORE_EXISTS, -1 (err) */
int cli_domains_add(struct dctx *c, const char *domain, const char *profile_path,
                    const char *sub, struct ink_str *err);
/* cli_domains_verify - check and save now; *out the result (caller frees);
 * 0, INK_STORE_NOT_FOUND, -1 (err) */
int cli_domains_verify(struct dctx *c, const char *domain, struct ink_vdomain **out,
                       struct ink_str *err);
/* cli_domains_watch_once - one watch round; seconds to the next, or -1 */
int cli_domains_watch_once(struct dctx *c);
/* cli_domain_json - a domain as `domain status --json` (caller owns) */
json_t *cli_domain_json(const struct ink_vdomain *d, const struct ink_store_event *ev, size_t nev);

#endif
