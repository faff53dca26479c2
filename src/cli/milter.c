/*
 * milter.c - `inkan milter --config FILE [-f]` and `inkan milter
 * --check-config FILE`: read the daemon's configuration (inkan/milter.h),
 * its policy and its DNS source, then serve Postfix/Sendmail over the
 * milter protocol until SIGTERM (docs/milter.md).
 *
 * With `rotations: DB` the DKIM key rotations of that store
 * (docs/dkim-rotation.md) decide which of a domain's keys sign: the old
 * ones while a rotation is PUBLISH_NEW, the new ones from ACTIVE on (their
 * key files, named in the store, are added to the signer's keys).  The
 * store is read at start and on SIGHUP, and looked at every
 * rotation-recheck seconds: when what signs has changed, the daemon
 * reloads as on SIGHUP (a new signer with the keys; open connections
 * finish with the old one).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "inkan/milter.h"
#include "inkan/policy.h"
#include "inkan/rotate.h"
#include "inkan/store.h"

enum { OPT_CONFIG = CLI_OPT_FIRST_FREE, OPT_CHECK };

static void milter_usage(FILE *fp)
{
    fprintf(fp,
            "usage: inkan milter --config FILE [-f] [-v]\n"
            "       inkan milter --check-config FILE\n\n"
            "The milter daemon beside Postfix or Sendmail: each inbound message is\n"
            "evaluated (SPF, DKIM, DMARC, iprev, ARC) as it arrives, forged\n"
            "Authentication-Results carrying our authserv-id are removed, ours is\n"
            "added, and the local policy's verdict is acted on (550 5.7.1 reject,\n"
            "quarantine, 451 tempfail).  Outbound mail (internal networks, authenticated\n"
            "clients) is DKIM-signed with the From domain's keys, held by a forked\n"
            "signer process.  Configuration: docs/milter.md, man inkan.\n\n"
            "  --config FILE        the YAML configuration\n"
            "  -f                   stay in the foreground (else: detach, pid_file)\n"
            "  -v                   log each message's verdict to stderr\n"
            "  --check-config FILE  validate the configuration, its policy and DNS\n"
            "                       source, print 'ok' and exit\n\n"
            "Exit status: 0 stopped cleanly (or the configuration is valid),\n"
            "1 operational error (bad configuration, socket in use), 2 usage error.\n");
}

/* rotations_read - each domain's latest rotation from the store at path
 * (opened read-only: the milter never writes it); 0 or -1 with why */
static int rotations_read(const char *path, struct ink_rotation ***v, size_t *n,
                          struct ink_str *err)
{
    struct ink_store *st = ink_store_sqlite_open_readonly(path, err);
    int rc;

    *v = NULL;
    *n = 0;
    if (st == NULL)
        return -1;
    rc = ink_store_rotation_list(st, NULL, 1, v, n, err);
    ink_store_free(st);
    return rc < 0 ? -1 : 0;
}

/* rotations_state - what the rotations make sign, as one comparable
 * string ("domain:id:new|old;..."; caller frees), NULL on ENOMEM */
static char *rotations_state(struct ink_rotation *const *v, size_t n)
{
    struct ink_str s = INK_STR_INIT;
    size_t i;

    ink_str_puts(&s, "");
    for (i = 0; i < n; i++)
        ink_str_printf(&s, "%s:%lld:%s;", v[i]->domain, (long long)v[i]->id,
                       ink_rotation_signing_new(v[i]) ? "new" : "old");
    return ink_str_steal(&s);
}

/* has_selector - whether sel is one of the n keys k */
static int has_selector(const struct ink_rot_key *k, size_t n, const char *sel)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(k[i].selector, sel) == 0)
            return 1;
    return 0;
}

/* rotations_apply - mark the keys of each rotated domain that do not sign
 * now inactive, and add the signing side's key files the configuration
 * lacks.  0, or -1 after printing. */
static int rotations_apply(struct ink_milter_config *cfg, struct ink_rotation *const *v, size_t n)
{
    size_t i, j, k;

    for (i = 0; i < n; i++) {
        const struct ink_rotation *r = v[i];
        int fresh = ink_rotation_signing_new(r);
        const struct ink_rot_key *side = fresh ? r->newk : r->oldk;
        size_t nside = fresh ? r->nnew : r->nold, active = 0;

        if (nside == 0)
            continue; /* a first key not active yet: the configuration decides */
        for (j = 0; j < nside; j++) {
            struct ink_milter_key *grown;
            int known = 0;
            if (side[j].key_file == NULL)
                continue;
            for (k = 0; k < cfg->nkeys; k++)
                if (strcasecmp(cfg->keys[k].domain, r->domain) == 0 &&
                    strcmp(cfg->keys[k].selector, side[j].selector) == 0)
                    known = 1;
            if (known)
                continue;
            if (cfg->nkeys >= INK_MILTER_KEYS_MAX) {
                cli_error("milter: rotations: more than %d signing keys with %s's",
                          INK_MILTER_KEYS_MAX, r->domain);
                return -1;
            }
            grown = realloc(cfg->keys, (cfg->nkeys + 1) * sizeof(*grown));
            if (grown == NULL) {
                cli_error("milter: out of memory");
                return -1;
            }
            cfg->keys = grown;
            memset(&cfg->keys[cfg->nkeys], 0, sizeof(cfg->keys[0]));
            cfg->keys[cfg->nkeys].domain = strdup(r->domain);
            cfg->keys[cfg->nkeys].selector = strdup(side[j].selector);
            cfg->keys[cfg->nkeys].key = strdup(side[j].key_file);
            cfg->nkeys++;
            if (cfg->keys[cfg->nkeys - 1].domain == NULL ||
                cfg->keys[cfg->nkeys - 1].selector == NULL ||
                cfg->keys[cfg->nkeys - 1].key == NULL) {
                cli_error("milter: out of memory");
                return -1;
            }
        }
        for (k = 0; k < cfg->nkeys; k++) {
            if (strcasecmp(cfg->keys[k].domain, r->domain) != 0)
                continue;
            cfg->keys[k].inactive = !has_selector(side, nside, cfg->keys[k].selector);
            if (!cfg->keys[k].inactive)
                active++;
        }
        if (active == 0) {
            /* better the keys configured than none: say so */
            fprintf(stderr, "inkan milter: rotation %lld of %s (%s): no key file for the "
                            "selectors that sign now; signing with the configured keys\n",
                    (long long)r->id, r->domain, ink_rot_phase_name(r->phase));
            for (k = 0; k < cfg->nkeys; k++)
                if (strcasecmp(cfg->keys[k].domain, r->domain) == 0)
                    cfg->keys[k].inactive = 0;
            continue;
        }
        fprintf(stderr, "inkan milter: rotation %lld of %s (%s): signing with the %s keys:",
                (long long)r->id, r->domain, ink_rot_phase_name(r->phase), fresh ? "new" : "old");
        for (k = 0; k < cfg->nkeys; k++)
            if (strcasecmp(cfg->keys[k].domain, r->domain) == 0 && !cfg->keys[k].inactive)
                fprintf(stderr, " %s", cfg->keys[k].selector);
        fputc('\n', stderr);
    }
    return 0;
}

/* rotations_load - read the store cfg->rotations names and apply it;
 * *state gets what signs (caller frees).  0, or -1 after printing. */
static int rotations_load(struct ink_milter_config *cfg, char **state)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_rotation **v = NULL;
    size_t n = 0;
    int rc = -1;

    *state = NULL;
    if (rotations_read(cfg->rotations, &v, &n, &err) < 0)
        cli_error("milter: rotations %s: %s", cfg->rotations, ink_str_cstr(&err));
    else if (rotations_apply(cfg, v, n) == 0) {
        *state = rotations_state(v, n);
        if (*state == NULL)
            cli_error("milter: out of memory");
        else
            rc = 0;
    }
    ink_rotations_free(v, n);
    ink_str_free(&err);
    return rc;
}

/* load - the configuration, its policy and resolver; 0 or -1 after printing */
static int load(const char *path, struct ink_milter_config **cfg, struct ink_policy **pol,
                struct ink_resolver **res, char **rot_state)
{
    uint8_t *buf;
    size_t len;
    struct ink_str err = INK_STR_INIT;
    char *copy = strdup(path);
    struct ink_resolver_opts ro;

    if (copy == NULL) {
        cli_error("milter: out of memory");
        return -1;
    }
    if (cli_file_limit("--config", path, INK_MILTER_CONFIG_SIZE_MAX) < 0 ||
        cli_read_file(path, INK_MILTER_CONFIG_SIZE_MAX, &buf, &len) < 0) {
        free(copy);
        return -1;
    }
    *cfg = ink_milter_config_parse(buf, len, dirname(copy), &err);
    free(buf);
    free(copy);
    if (*cfg == NULL) {
        cli_error("milter: %s:%s", path, ink_str_cstr(&err));
        ink_str_free(&err);
        return -1;
    }
    *rot_state = NULL;
    if ((*cfg)->rotations != NULL && rotations_load(*cfg, rot_state) < 0) {
        ink_str_free(&err);
        return -1;
    }
    if ((*cfg)->policy != NULL) {
        if (cli_file_limit("policy", (*cfg)->policy, INK_POLICY_SIZE_MAX) < 0 ||
            cli_read_file((*cfg)->policy, INK_POLICY_SIZE_MAX, &buf, &len) < 0) {
            ink_str_free(&err);
            return -1;
        }
        *pol = ink_policy_parse(buf, len, &err);
        free(buf);
        if (*pol == NULL) {
            cli_error("milter: policy %s:%s", (*cfg)->policy, ink_str_cstr(&err));
            ink_str_free(&err);
            return -1;
        }
    } else {
        *pol = ink_policy_default();
        if (*pol == NULL) {
            cli_error("milter: out of memory");
            return -1;
        }
    }
    ink_str_free(&err);
    memset(&ro, 0, sizeof(ro));
    ro.zone_file = (*cfg)->dns_zone;
    ro.server = (*cfg)->dns_server;
    ro.timeout_ms = (*cfg)->dns_timeout_ms;
    *res = cli_resolver_open(&ro);
    return *res != NULL ? 0 : -1;
}

/* start_signer - fork the signer with the configured keys (it alone
 * opens them, then drops to signer-user; root without one: nobody).
 * NULL without keys; -1 after printing why. */
static int start_signer(const struct ink_milter_config *cfg, struct ink_signer **out)
{
    struct ink_signer_keyfile kf[INK_MILTER_KEYS_MAX];
    char ids[INK_MILTER_KEYS_MAX][INK_SIGNER_ID_MAX + 1];
    struct ink_signer_config sc;
    struct ink_str err = INK_STR_INIT;
    size_t i;

    *out = NULL;
    if (cfg->nkeys == 0)
        return 0;
    for (i = 0; i < cfg->nkeys; i++) {
        ink_milter_key_id(i, ids[i], sizeof(ids[i]));
        kf[i].id = ids[i];
        kf[i].path = cfg->keys[i].key;
    }
    memset(&sc, 0, sizeof(sc));
    sc.keys = kf;
    sc.nkeys = cfg->nkeys;
    sc.user = cfg->signer_user;
    if (sc.user == NULL && geteuid() == 0)
        sc.user = "nobody";
    *out = ink_signer_start(&sc, &err);
    if (*out == NULL) {
        cli_error("milter: the signer process: %s", ink_str_cstr(&err));
        ink_str_free(&err);
        return -1;
    }
    ink_str_free(&err);
    return 0;
}

/* One environment with what it owns (the daemon frees it when its last
 * connection is done). */
struct owned_env {
    struct ink_milter_env env; /* first: the daemon hands back &env */
    struct ink_milter_config *cfg;
    struct ink_policy *pol;
    struct ink_resolver *res;
    struct ink_signer *signer;
    char *rot_state; /* what the rotation store made sign (rotations_state) */
};

/* What a reload needs. */
struct reload_ctx {
    const char *path; /* absolute */
    int verbose;
};

/* free_env - release an environment and what it owns */
static void free_env(void *arg, struct ink_milter_env *env)
{
    struct owned_env *o = (struct owned_env *)env;

    (void)arg;
    if (o == NULL)
        return;
    ink_signer_stop(o->signer);
    ink_resolver_free(o->res);
    ink_policy_free(o->pol);
    ink_milter_config_free(o->cfg);
    free(o->rot_state);
    free(o);
}

/* recheck - every rotation-recheck seconds: whether the rotation store
 * now makes other keys sign than env was loaded with (1) or not (0; also
 * when the store cannot be read: the running keys stay) */
static int recheck(void *arg, const struct ink_milter_env *env)
{
    const struct owned_env *o = (const struct owned_env *)env;
    struct ink_str err = INK_STR_INIT;
    struct ink_rotation **v = NULL;
    size_t n = 0;
    char *now;
    int changed = 0;

    (void)arg;
    if (o->cfg->rotations == NULL)
        return 0;
    if (rotations_read(o->cfg->rotations, &v, &n, &err) < 0) {
        fprintf(stderr, "inkan milter: rotations %s: %s (the running keys stay)\n",
                o->cfg->rotations, ink_str_cstr(&err));
    } else if ((now = rotations_state(v, n)) != NULL) {
        changed = o->rot_state == NULL || strcmp(now, o->rot_state) != 0;
        free(now);
    }
    ink_rotations_free(v, n);
    ink_str_free(&err);
    return changed;
}

/* reload_env - SIGHUP: the configuration, policy, DNS source and keys
 * read again; NULL (the reason printed, and in err) when one is wrong */
static struct ink_milter_env *reload_env(void *arg, struct ink_str *err)
{
    const struct reload_ctx *rc = arg;
    struct owned_env *o = calloc(1, sizeof(*o));

    if (o == NULL) {
        (void)ink_str_printf(err, "out of memory");
        return NULL;
    }
    if (load(rc->path, &o->cfg, &o->pol, &o->res, &o->rot_state) < 0 ||
        start_signer(o->cfg, &o->signer) < 0) {
        (void)ink_str_printf(err, "%s: see the message above", rc->path);
        free_env(NULL, &o->env);
        return NULL;
    }
    o->env.cfg = o->cfg;
    o->env.policy = o->pol;
    o->env.resolver = o->res;
    o->env.signer = o->signer;
    o->env.verbose = rc->verbose;
    o->env.recheck = o->cfg->rotations != NULL ? recheck : NULL;
    return &o->env;
}

/* write_pid - the pid file (replaced) */
static int write_pid(const char *path)
{
    char line[32];
    int n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());

    return cli_write_file(path, line, (size_t)n, 0644, 0);
}

/* cmd_milter - inkan milter */
int cmd_milter(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, OPT_CONFIG},
        {"check-config", required_argument, NULL, OPT_CHECK},
        {NULL, 0, NULL, 0},
    };
    const struct cli_optset set = {.own = longopts, .usage = milter_usage, .shorts = "fv"};
    const char *config = NULL, *check = NULL;
    int opt, fg = 0, verbose = 0, rc = INK_EXIT_OK;
    struct ink_milter_config *cfg = NULL;
    struct ink_policy *pol = NULL;
    struct ink_resolver *res = NULL;
    struct ink_signer *signer = NULL;
    struct owned_env *o;
    struct reload_ctx rctx;
    char *abs = NULL, *rot_state = NULL;
    struct ink_str err = INK_STR_INIT;

    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        switch (opt) {
        case OPT_CONFIG:
            config = optarg;
            break;
        case OPT_CHECK:
            check = optarg;
            break;
        case 'f':
            fg = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case CLI_GETOPT_HELP:
            return INK_EXIT_OK;
        default:
            return INK_EXIT_USAGE;
        }
    }
    if (optind < argc || (config == NULL) == (check == NULL)) {
        cli_error("milter: give --config FILE or --check-config FILE (one of them)");
        return INK_EXIT_USAGE;
    }
    if (load(check != NULL ? check : config, &cfg, &pol, &res, &rot_state) < 0) {
        rc = INK_EXIT_OPERR;
        goto out;
    }
    if (check != NULL) {
        /* the keys are checked by the signer that would hold them */
        if (start_signer(cfg, &signer) < 0) {
            rc = INK_EXIT_OPERR;
            goto out;
        }
        printf("ok: %s (socket %s, %zu internal network%s, %zu signing key%s)\n", check,
               cfg->socket, cfg->nnetworks, cfg->nnetworks == 1 ? "" : "s", cfg->nkeys,
               cfg->nkeys == 1 ? "" : "s");
        goto out;
    }
    /* SIGHUP reads the file again, after the daemon left its directory */
    abs = realpath(config, NULL);
    if (abs == NULL) {
        cli_error("milter: %s: %s", config, strerror(errno));
        rc = INK_EXIT_OPERR;
        goto out;
    }
    if (!fg) {
        pid_t pid = fork();

        if (pid < 0) {
            cli_error("milter: fork: %s", strerror(errno));
            rc = INK_EXIT_OPERR;
            goto out;
        }
        if (pid > 0)
            goto out; /* the parent is done; the daemon goes on */
        (void)setsid();
        if (chdir("/") < 0) {
            /* never fails for "/"; a daemon must not hold its start directory */
        }
        {
            int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

            if (nul >= 0) {
                (void)dup2(nul, STDIN_FILENO);
                (void)dup2(nul, STDOUT_FILENO);
                if (!verbose)
                    (void)dup2(nul, STDERR_FILENO);
                if (nul > STDERR_FILENO)
                    close(nul);
            }
        }
    }
    /* the signer is forked before libmilter starts its threads */
    if (start_signer(cfg, &signer) < 0) {
        rc = INK_EXIT_OPERR;
        goto out;
    }
    if (cfg->pid_file != NULL && write_pid(cfg->pid_file) < 0) {
        rc = INK_EXIT_OPERR;
        goto out;
    }
    o = calloc(1, sizeof(*o));
    if (o == NULL) {
        cli_error("milter: out of memory");
        rc = INK_EXIT_OPERR;
        goto out;
    }
    /* the environment is the daemon's from here */
    o->cfg = cfg;
    o->pol = pol;
    o->res = res;
    o->signer = signer;
    o->env.cfg = cfg;
    o->env.policy = pol;
    o->env.resolver = res;
    o->env.signer = signer;
    o->env.verbose = verbose;
    o->env.recheck = cfg->rotations != NULL ? recheck : NULL;
    o->rot_state = rot_state;
    rot_state = NULL;
    rctx.path = abs;
    rctx.verbose = verbose;
    {
        /* the pid file of the start configuration (a reload does not move it) */
        char *pid_file = cfg->pid_file != NULL ? strdup(cfg->pid_file) : NULL;

        cfg = NULL;
        pol = NULL;
        res = NULL;
        signer = NULL;
        if (ink_milter_run(&o->env, reload_env, free_env, &rctx, &err) < 0) {
            cli_error("milter: %s", ink_str_cstr(&err));
            rc = INK_EXIT_OPERR;
        }
        if (pid_file != NULL)
            (void)unlink(pid_file);
        free(pid_file);
    }
out:
    free(abs);
    free(rot_state);
    ink_signer_stop(signer);
    ink_str_free(&err);
    ink_resolver_free(res);
    ink_policy_free(pol);
    ink_milter_config_free(cfg);
    return rc;
}
