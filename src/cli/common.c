/*
 * common.c - shared pieces of the inkan subcommands: messages, the DNS
 * source options and opening the resolver they name, asking one
 * authoritative server, epochs read and shown.
 */
#include "cli.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "inkan/dns.h"
#include "inkan/dnsio.h"
#include "inkan/driver.h"
#include "inkan/store.h"

/* Longest --timeout accepted, in seconds. */
#define CLI_TIMEOUT_MAX_S 600
/* Most short-option letters a command may have (beside -h). */
#define CLI_SHORTOPTS_MAX 16
/* Longest message cli_error prints (a longer one is cut). */
#define CLI_MESSAGE_MAX 4096
/* Command names cli_set_argv0 keeps: one per level ("inkan dkim", then
 * "inkan dkim sign"), and the longest. */
#define CLI_ARGV0_LEVELS 2
#define CLI_ARGV0_MAX 64
/* Largest port number (--auth-port). */
#define CLI_PORT_MAX 65535
/* Room for "9999-12-31 23:59:59 UTC" and its NUL. */
#define CLI_TIME_TEXT_MAX 40

const char *cli_prog = "inkan";

/* cli_shown - a user's argument, printable and cut short (static) */
const char *cli_shown(const char *arg)
{
    /* each input byte takes at most 4 output bytes (\xHH), then "..." */
    static char slots[CLI_SHOWN_SLOTS][CLI_ECHO_MAX * 4 + 4];
    static size_t next;
    struct ink_str s = INK_STR_INIT;
    char *out = slots[next++ % CLI_SHOWN_SLOTS];

    if (ink_str_put_printable(&s, arg, strlen(arg), CLI_ECHO_MAX) < 0)
        snprintf(out, sizeof(slots[0]), "(out of memory)");
    else
        snprintf(out, sizeof(slots[0]), "%s", ink_str_cstr(&s));
    ink_str_free(&s);
    return out;
}

/* The command messages are about ("dkim sign"), or "" before one. */
static const char *cli_cmd = "";

/* cli_set_argv0 - argv[0] becomes "inkan NAME" (static storage) */
void cli_set_argv0(char **argv, const char *name)
{
    static char names[CLI_ARGV0_LEVELS][CLI_ARGV0_MAX];
    static size_t used;

    if (used >= CLI_ARGV0_LEVELS)
        return; /* deeper than any command: keep the name as typed */
    snprintf(names[used], sizeof(names[used]), "%s %s", cli_prog, name);
    argv[0] = names[used++];
    cli_cmd = argv[0] + strlen(cli_prog) + 1;
}

/* cli_error - print "inkan SUB: message" (see cli.h) */
void cli_error(const char *fmt, ...)
{
    char msg[CLI_MESSAGE_MAX];
    const char *m = msg;
    size_t n = strlen(cli_cmd);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* drop a leading "SUB: " or a leading part of it ("dkim: " under
     * "dkim sign"): the prefix printed below says it */
    while (n > 0) {
        if (strncmp(msg, cli_cmd, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ') {
            m = msg + n + 2;
            break;
        }
        while (n > 0 && cli_cmd[n - 1] != ' ')
            n--;
        while (n > 0 && cli_cmd[n - 1] == ' ')
            n--;
    }
    if (cli_cmd[0] != '\0')
        fprintf(stderr, "%s %s: %s\n", cli_prog, cli_cmd, m);
    else
        fprintf(stderr, "%s: %s\n", cli_prog, m);
}

/* option_named - whether the first n entries of table have one called name */
static int option_named(const struct option *table, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(table[i].name, name) == 0)
            return 1;
    return 0;
}

/* cli_getopt - the next own option; the shared ones handled (see cli.h) */
int cli_getopt(const struct cli_optset *set, int argc, char **argv)
{
    static const struct option shared_dns[] = {CLI_DNS_LONGOPTS, {NULL, 0, NULL, 0}};
    static struct option merged[CLI_LONGOPTS_MAX + 1];
    size_t n = 0, i;
    char optstring[CLI_SHORTOPTS_MAX + 3] = ":h";
    int c, d;

    if (set->shorts != NULL) {
        assert(strlen(set->shorts) <= CLI_SHORTOPTS_MAX);
        strcat(optstring, set->shorts);
    }
    /* the command's own options, then the shared ones it takes */
    for (i = 0; set->own != NULL && set->own[i].name != NULL; i++) {
        assert(n < CLI_LONGOPTS_MAX);
        merged[n++] = set->own[i];
    }
    for (i = 0; set->dns != NULL && shared_dns[i].name != NULL; i++) {
        assert(n < CLI_LONGOPTS_MAX);
        merged[n++] = shared_dns[i];
    }
    if (set->json != NULL && !option_named(merged, n, "json")) {
        assert(n < CLI_LONGOPTS_MAX);
        merged[n++] = (struct option){"json", no_argument, NULL, CLI_OPT_JSON};
    }
    if (!option_named(merged, n, "help")) {
        assert(n < CLI_LONGOPTS_MAX);
        merged[n++] = (struct option){"help", no_argument, NULL, CLI_OPT_HELP};
    }
    merged[n] = (struct option){NULL, 0, NULL, 0};

    opterr = 0; /* every message comes from here, in one format */
    for (;;) {
        c = getopt_long(argc, argv, optstring, merged, NULL);
        if (c == -1)
            return -1;
        if (c == 'h' || c == CLI_OPT_HELP) {
            set->usage(stdout);
            return CLI_GETOPT_HELP;
        }
        if (c == ':' || c == '?') {
            /* the word at fault: the last one getopt read */
            const char *w = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
            char shortopt[3] = {'-', (char)optopt, '\0'};

            if (optopt > 0 && optopt < 128 && strncmp(w, "--", 2) != 0)
                w = shortopt; /* a short option, maybe inside -xyz */
            if (c == ':')
                cli_error("%s needs a value (see '%s --help')", cli_shown(w), argv[0]);
            else if (optopt >= CLI_OPT_ZONE) /* a value given to a flag: --json=x */
                cli_error("'%s': the option takes no value (see '%s --help')", cli_shown(w),
                          argv[0]);
            else
                cli_error("unknown option '%s' (see '%s --help')", cli_shown(w), argv[0]);
            return CLI_GETOPT_USAGE;
        }
        if (set->dns != NULL && (d = cli_dns_option(set->dns, c, optarg)) != 0) {
            if (d < 0)
                return CLI_GETOPT_USAGE;
            continue;
        }
        if (set->json != NULL && c == CLI_OPT_JSON) {
            *set->json = 1;
            continue;
        }
        return c;
    }
}

/* cli_dns_option - take one DNS source option into opts */
int cli_dns_option(struct ink_resolver_opts *opts, int opt, const char *arg)
{
    char *end;
    double secs;

    switch (opt) {
    case CLI_OPT_ZONE:
        if (arg[0] == '\0') {
            cli_error("--zone: empty file name");
            return -1;
        }
        opts->zone_file = arg;
        return 1;
    case CLI_OPT_DNS:
        if (arg[0] == '\0') {
            cli_error("--dns: empty server address");
            return -1;
        }
        opts->server = arg;
        return 1;
    case CLI_OPT_ORIGIN:
        if (arg[0] == '\0') {
            cli_error("--origin: empty name");
            return -1;
        }
        opts->origin = arg;
        return 1;
    case CLI_OPT_TRUST_ANCHOR:
        /* checked now: with --zone it would be read by nobody, and a
         * typo must not pass for "validated" */
        if (arg[0] == '\0' || access(arg, R_OK) != 0) {
            cli_error("--trust-anchor: %s: %s", arg[0] ? arg : "''",
                      arg[0] ? strerror(errno) : "empty file name");
            return -1;
        }
        if (cli_file_limit("--trust-anchor", arg, CLI_TRUST_ANCHOR_MAX) < 0)
            return -1;
        opts->trust_anchor = arg;
        return 1;
    case CLI_OPT_TIMEOUT:
        errno = 0;
        secs = strtod(arg, &end);
        if (errno != 0 || end == arg || *end != '\0' || !(secs > 0) || secs > CLI_TIMEOUT_MAX_S) {
            cli_error("--timeout: '%s' is not a number of seconds above 0 and at most %d", arg,
                      CLI_TIMEOUT_MAX_S);
            return -1;
        }
        opts->timeout_ms = (int)(secs * 1000.0);
        if (opts->timeout_ms < 1)
            opts->timeout_ms = 1;
        return 1;
    default:
        return 0;
    }
}

/* cli_resolver_open - open the named resolver or say why not */
struct ink_resolver *cli_resolver_open(const struct ink_resolver_opts *opts)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_resolver *r;

    if (opts->zone_file != NULL && opts->server != NULL) {
        cli_error("--zone and --dns cannot be used together");
        return NULL;
    }
    if (opts->zone_file != NULL && opts->trust_anchor != NULL) {
        cli_error("--trust-anchor does not apply to --zone (a zone file's answers are not "
                  "DNSSEC-validated): give --dns or neither");
        return NULL;
    }
    r = ink_resolver_open(opts, &err);
    if (r == NULL)
        cli_error("%s", err.len ? ink_str_cstr(&err) : "cannot open a DNS resolver");
    ink_str_free(&err);
    return r;
}

/* cli_query_timeout - --timeout, else the resolver's default (ms) */
int cli_query_timeout(const struct ink_resolver_opts *opts)
{
    return opts->timeout_ms ? opts->timeout_ms : INK_RESOLVER_TIMEOUT_MS_DEFAULT;
}

/* cli_server_string - "ADDR:PORT" / "[ADDR6]:PORT"; caller frees */
char *cli_server_string(int family, const uint8_t *addr, int port)
{
    char ip[CLI_IP_TEXT_MAX];
    struct ink_str s = INK_STR_INIT;

    ink_ip_format(family, addr, ip, sizeof(ip));
    if (ink_str_printf(&s, family == 6 ? "[%s]:%d" : "%s:%d", ip, port) < 0) {
        ink_str_free(&s);
        return NULL;
    }
    return ink_str_steal(&s);
}

/* cli_server_resolver - uncached, forwarding to server only; caller frees */
struct ink_resolver *cli_server_resolver(const char *server, int timeout_ms)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_resolver *r = ink_resolver_unbound_new(server, timeout_ms, 1, &err);

    if (r == NULL)
        cli_error("cannot query %s: %s", server, err.len ? ink_str_cstr(&err) : "out of memory");
    ink_str_free(&err);
    return r;
}

/* cli_parse_auth_port - a port number 1-65535, or -1 after printing */
int cli_parse_auth_port(const char *arg)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || errno != 0 || v < 1 || v > CLI_PORT_MAX) {
        cli_error("--auth-port: '%s' is not a port number", cli_shown(arg));
        return -1;
    }
    return (int)v;
}

/* cli_parse_epoch - decimal seconds since 1970, or -1 */
int64_t cli_parse_epoch(const char *s)
{
    char *end;
    long long v;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > CLI_EPOCH_MAX)
        return -1;
    return (int64_t)v;
}

/* cli_fmt_time - t in UTC, in one of CLI_TIME_SLOTS static buffers */
const char *cli_fmt_time(int64_t t)
{
    static char bufs[CLI_TIME_SLOTS][CLI_TIME_TEXT_MAX];
    static unsigned k;
    char *b = bufs[k++ % CLI_TIME_SLOTS];
    time_t tt = (time_t)t;
    struct tm tm;

    if (t <= 0)
        return "-";
    if (gmtime_r(&tt, &tm) == NULL || strftime(b, CLI_TIME_TEXT_MAX, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        return "?";
    return b;
}

/* cli_stdout_is_tty - colour and progress only on a terminal */
int cli_stdout_is_tty(void)
{
    const char *nc = getenv("NO_COLOR");

    return isatty(STDOUT_FILENO) && (nc == NULL || nc[0] == '\0');
}

/* cli_file_limit - path must be a regular file of at most max bytes */
int cli_file_limit(const char *what, const char *path, size_t max)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        cli_error("%s %s: %s", what, path, strerror(errno));
        return -1;
    }
    /* a device or a pipe (/dev/zero, /dev/stdin) could be read forever */
    if (!S_ISREG(st.st_mode)) {
        cli_error("%s %s: not a regular file", what, path);
        return -1;
    }
    if ((uintmax_t)st.st_size > (uintmax_t)max) {
        cli_error("%s %s: larger than the %zu-byte limit", what, path, max);
        return -1;
    }
    return 0;
}

/* cli_default_db_path - $XDG_DATA_HOME/inkan/inkan.db or
 * ~/.local/share/inkan/inkan.db (caller frees; NULL when neither is set) */
char *cli_default_db_path(void)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    struct ink_str s = INK_STR_INIT;

    if (xdg != NULL && xdg[0] == '/')
        ink_str_printf(&s, "%s/inkan/inkan.db", xdg);
    else if (home != NULL && home[0] != '\0')
        ink_str_printf(&s, "%s/.local/share/inkan/inkan.db", home);
    else
        return NULL;
    return ink_str_steal(&s);
}

/* cli_ended - the driver is done with a machine: how, into arg */
void cli_ended(void *arg, struct ink_machine m, enum ink_next how)
{
    struct cli_ended *e = arg;

    (void)m;
    e->done = 1;
    e->how = how;
}

/* cli_stream_drive - read fd to its end into the machine, the driver
 * running alongside; the driver's result */
int cli_stream_drive(struct ink_driver *drv, struct ink_machine mach, int fd, uint8_t *buf,
                     size_t size, int (*push)(void *arg, const uint8_t *p, size_t n),
                     int (*end)(void *arg), void *arg, int *read_errno)
{
    *read_errno = 0;
    for (;;) {
        ssize_t n = read(fd, buf, size);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            *read_errno = errno;
            break;
        }
        if (n == 0)
            break;
        if (push(arg, buf, (size_t)n) < 0)
            break;
        /* queries start as soon as what they need is in: poll answers */
        (void)ink_driver_poke(drv, mach);
        (void)ink_driver_step(drv, 0);
    }
    (void)end(arg); /* after a failed push: -1 again, the machine FAILED */
    (void)ink_driver_poke(drv, mach);
    return ink_driver_run(drv);
}

/* cli_store_open - the named or default store (see cli.h) */
struct ink_store *cli_store_open(const char *path, int readonly)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_store *st;
    struct stat sb;
    char *def = NULL;

    if (path == NULL) {
        def = cli_default_db_path();
        if (def == NULL) {
            cli_error("no --db FILE given and neither XDG_DATA_HOME nor HOME is set");
            return NULL;
        }
        path = def;
    }
    /* a database not made yet is made (and then empty); a postgresql://
     * URI is PostgreSQL's */
    st = ink_store_open(path,
                        readonly && (ink_store_is_uri(path) ||
                                     !(stat(path, &sb) < 0 && errno == ENOENT)),
                        &err);
    if (st == NULL)
        cli_error("%s", ink_str_cstr(&err));
    ink_str_free(&err);
    free(def);
    return st;
}
