/*
 * inkan/milter.h - `inkan milter`: the daemon that sits beside Postfix
 * (or Sendmail) on the milter protocol (libmilter).  Inbound mail is fed
 * to one message machine (inkan/inbound.h) per message as it arrives;
 * at end of message the verdict of the local policy (inkan/policy.h) is
 * acted on and our Authentication-Results replaces forged ones.
 *
 * Two parts: the configuration (YAML, parsed from memory, every error
 * naming the key and its line) and the daemon (ink_milter_run).
 */
#ifndef INKAN_MILTER_H
#define INKAN_MILTER_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/policy.h"
#include "inkan/resolver.h"
#include "inkan/signer.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Largest configuration file accepted. */
#define INK_MILTER_CONFIG_SIZE_MAX (256u * 1024u)
/* YAML nesting accepted (top mapping, signing list, one key's mapping). */
#define INK_MILTER_CONFIG_DEPTH_MAX 4
/* Longest scalar (a path, a socket spec, a domain). */
#define INK_MILTER_SCALAR_MAX 1024
/* Entries of internal_networks. */
#define INK_MILTER_NETWORKS_MAX 256
/* Entries of signing. */
#define INK_MILTER_KEYS_MAX 64
/* DNS timeout bounds (seconds) and default. */
#define INK_MILTER_DNS_TIMEOUT_MAX 60
#define INK_MILTER_DNS_TIMEOUT_DEFAULT 5

/* One address range (internal-networks). */
struct ink_milter_cidr {
    int family;          /* 4 or 6 (ink_ip_parse) */
    uint8_t addr[16];
    unsigned prefix;
};

/* Seconds between looks at the rotation store (rotation-recheck):
 * default and largest; 0 looks only at start and on SIGHUP. */
#define INK_MILTER_RECHECK_DEFAULT 60
#define INK_MILTER_RECHECK_MAX 86400

/* One signing key (signing, or added from the rotation store). */
struct ink_milter_key {
    char *domain;        /* d= (lower case) */
    char *selector;      /* s= */
    char *key;           /* private key file (read by the signer only) */
    int inactive;        /* a rotation of the domain says another selector
                          * signs now: held, not used (docs/dkim-rotation.md) */
};

struct ink_milter_config {
    char *socket;        /* "inet:PORT@HOST" or "unix:/path" */
    char *authserv_id;   /* or NULL: the policy's */
    char *policy;        /* policy file (docs/policy.md), or NULL: the default policy */
    char *pid_file;      /* or NULL */
    char *dns_zone;      /* dns.zone: zone file, or NULL */
    char *dns_server;    /* dns.server: HOST[:PORT], or NULL */
    int dns_timeout_ms;  /* dns.timeout (seconds in the file) */
    size_t nnetworks;
    struct ink_milter_cidr *networks;
    size_t nkeys;
    struct ink_milter_key *keys;
    char *signer_user;   /* signer-user: the signer drops to it, or NULL */
    int quarantine_header; /* quarantine: header (1): an X-Inkan-Quarantine field
                            * instead of Postfix's hold queue (hold, 0, the default) */
    char *rotations;       /* rotations: the store `inkan dkim rotate --db` writes,
                            * or NULL: no rotation is followed */
    int rotation_recheck_s; /* rotation-recheck: seconds between looks at it */
};

/*
 * ink_milter_config_parse - the YAML bytes (len, no NUL needed); relative
 * paths are taken from base_dir (the configuration file's directory; NULL:
 * as written).  Caller owns the result (ink_milter_config_free).  NULL
 * with "LINE:COL: KEY: why" in err.
 */
struct ink_milter_config *ink_milter_config_parse(const uint8_t *buf, size_t len,
                                                  const char *base_dir, struct ink_str *err);
/* ink_milter_config_free - release; NULL is a no-op */
void ink_milter_config_free(struct ink_milter_config *c);

/* ink_milter_internal - whether the address text ip is in one of the
 * configured internal networks (1) or not (0) */
int ink_milter_internal(const struct ink_milter_config *c, const char *ip);

/* ink_milter_key_id - the signer's id of cfg->keys[i] ("key1", ...) into
 * out (at least INK_SIGNER_ID_MAX + 1 bytes) */
void ink_milter_key_id(size_t i, char *out, size_t cap);

/* What the daemon runs with (the caller keeps each alive until
 * ink_milter_run returns). */
struct ink_milter_env {
    const struct ink_milter_config *cfg;
    const struct ink_policy *policy;
    struct ink_resolver *resolver; /* used only by the generation's driver thread */
    struct ink_signer *signer;     /* holds cfg->keys[i] as id "keyI+1" (ink_milter_key_id),
                                    * or NULL: outbound mail is not signed */
    int verbose;                   /* log each message's verdict to stderr */
    /* recheck - called every cfg->rotation_recheck_s seconds (when both
     * are set) with the reload argument: 1 when what signs has changed
     * (a rotation went ACTIVE), and the daemon then reloads as on
     * SIGHUP; 0 when not.  May be NULL. */
    int (*recheck)(void *arg, const struct ink_milter_env *env);
};

/* ink_milter_reload_fn - a new environment for SIGHUP (config, policy,
 * resolver, signer read again), or NULL with why in err (the running one
 * stays) */
typedef struct ink_milter_env *(*ink_milter_reload_fn)(void *arg, struct ink_str *err);
/* ink_milter_free_fn - release an environment no connection uses any more */
typedef void (*ink_milter_free_fn)(void *arg, struct ink_milter_env *env);

/*
 * ink_milter_run - register with libmilter, listen on env->cfg->socket
 * and serve until SIGTERM/SIGINT.  SIGHUP calls reload (may be NULL) and
 * makes its environment current for new connections; connections open
 * at the time finish with theirs, which free_env (may be NULL) releases
 * after their last.  The socket is not changed by a reload.  Signals go
 * to the calling thread (it waits for them), libmilter runs in another.
 * 0 on a clean stop; -1 with the reason in err (socket in use, libmilter
 * refused the registration).
 */
int ink_milter_run(struct ink_milter_env *env, ink_milter_reload_fn reload,
                   ink_milter_free_fn free_env, void *arg, struct ink_str *err);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
