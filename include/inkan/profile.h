/*
 * inkan/profile.h - sender profiles: what a sending platform needs a
 * customer to publish (SPF include and IP ranges, DKIM selectors as keys
 * or CNAMEs, Return-Path/bounce, tracking, landing-page and image CNAMEs,
 * MX for a sending subdomain, DMARC defaults).
 *
 * A profile is a small YAML document (schema: docs/profiles.md).  The
 * parser takes bytes and returns a struct; it never reads a file.  Errors
 * name the line and column ("3:7: spf.include: expected a host name").
 */
#ifndef INKAN_PROFILE_H
#define INKAN_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* The schema version this parser reads ("profile: 1"). */
#define INK_PROFILE_VERSION 1
/* Largest profile document accepted. */
#define INK_PROFILE_SIZE_MAX (256u * 1024u)
/* Entries one list (includes, ranges, selectors, MX hosts, CNAMEs) may hold. */
#define INK_PROFILE_LIST_MAX 32
/* Longest scalar (name, description, address) accepted. */
#define INK_PROFILE_SCALAR_MAX 1024
/* Longest platform name (name:) and CNAME role (role:) accepted: they
 * are written into zone-file comments, the checklist and the terminal. */
#define INK_PROFILE_NAME_MAX 128
#define INK_PROFILE_ROLE_MAX 64
/* YAML nesting accepted (the schema needs 4): deeper documents are
 * refused as soon as the reader gets there, before any is built. */
#define INK_PROFILE_DEPTH_MAX 8

/* Where a record goes: relative to the sending domain (the --subdomain
 * under the customer's domain, or the domain itself), or to the
 * customer's own domain whatever the sending subdomain is. */
enum ink_profile_at {
    INK_PROFILE_AT_SENDING = 0,
    INK_PROFILE_AT_DOMAIN
};

/* DKIM key algorithms inkan can generate. */
enum ink_profile_keyalg {
    INK_PROFILE_KEY_DEFAULT = 0, /* "generate": the --dkim list decides */
    INK_PROFILE_KEY_RSA1024,
    INK_PROFILE_KEY_RSA2048,
    INK_PROFILE_KEY_RSA3072,
    INK_PROFILE_KEY_RSA4096,
    INK_PROFILE_KEY_ED25519
};

/* One DKIM selector: a key the customer generates with inkan (published
 * as TXT), or a CNAME to a key the platform hosts and rotates. */
struct ink_profile_dkim {
    char *selector;                /* a label, e.g. "s1" */
    char *cname;                   /* CNAME target, or NULL for a generated key */
    enum ink_profile_keyalg alg;   /* generated keys only */
    enum ink_profile_at at;
    unsigned line;                 /* where it was defined (for messages) */
};

/* A CNAME the platform needs: bounce, tracking, landing, images, other. */
struct ink_profile_cname {
    char *role;   /* "return-path", "tracking", "landing", "images" or free text */
    char *name;   /* owner, relative to the sending domain ("@" for itself) */
    char *target; /* the platform's host name */
    enum ink_profile_at at;
    unsigned line;
};

struct ink_profile_mx {
    uint16_t preference;
    char *exchange;
};

struct ink_profile {
    unsigned version;      /* INK_PROFILE_VERSION */
    char *name;            /* platform name, required */
    char *description;     /* or NULL */
    char *subdomain;       /* default sending subdomain label(s), or NULL */

    /* SPF: terms to merge into the sending domain's record */
    enum ink_profile_at spf_at;
    size_t n_include;
    char **include;        /* include: targets */
    size_t n_ip4, n_ip6;
    char **ip4;            /* "192.0.2.0/24" as written (validated) */
    char **ip6;
    char *spf_all;         /* "~all" (default) or "-all" for a new record */

    size_t n_dkim;
    struct ink_profile_dkim *dkim;

    size_t n_cname;
    struct ink_profile_cname *cname;

    /* MX for the sending (sub)domain */
    char *mx_name;         /* owner relative to the sending domain ("@") */
    enum ink_profile_at mx_at;
    size_t n_mx;
    struct ink_profile_mx *mx;

    /* DMARC defaults for a domain that has no record yet */
    int has_dmarc;
    char *dmarc_policy;    /* "none" unless the profile says otherwise */
    size_t n_rua, n_ruf;
    char **rua;            /* "mailto:..." URIs */
    char **ruf;
};

/*
 * ink_profile_parse - parse a YAML profile of len bytes.  Returns the
 * profile (caller frees with ink_profile_free), or NULL with
 * "LINE:COLUMN: reason" appended to err (1-based; untrusted text made
 * printable).  Unknown keys are errors (a typo must not silently drop a
 * record).  No text value may hold a control character (C0, DEL, C1) or
 * be longer than its limit above: every value ends up in a zone file, a
 * checklist or on a terminal.
 */
struct ink_profile *ink_profile_parse(const uint8_t *buf, size_t len, struct ink_str *err);

/* ink_profile_free - release; NULL is a no-op */
void ink_profile_free(struct ink_profile *p);

/* ink_profile_keyalg_name - "rsa2048", "ed25519", ...; "generate" for DEFAULT */
const char *ink_profile_keyalg_name(enum ink_profile_keyalg a);
/* ink_profile_keyalg_from_name - inverse (len bytes); -1 if unknown */
int ink_profile_keyalg_from_name(const char *s, size_t len);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
