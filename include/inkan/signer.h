/*
 * inkan/signer.h - DKIM private keys kept in a process of their own
 * (issue 10 section 2; OpenSSH's and OpenSMTPD's privilege separation).
 *
 * ink_signer_start() forks a signer process over a socketpair.  Only the
 * signer opens the private key files (refusing files that are not regular
 * or that group or others may read), then drops to an unprivileged user
 * and answers "sign this SHA-256 header digest with key K" requests.  The
 * parent never reads key material: it learns each key's id, type, size
 * and public key record (for the d=/s=/a= tags and p= of DNS) and asks for
 * signatures.  A signer that dies or stops answering is reported, never
 * waited on past a named timeout.
 *
 * Wire format (both directions, over a SOCK_STREAM socketpair): a header
 * of INK_SIGNER_HDR_LEN bytes - version (INK_SIGNER_WIRE_VERSION), type,
 * two zero bytes, payload length (32-bit big-endian, at most
 * INK_SIGNER_PAYLOAD_MAX) - then the payload.
 *   signer -> parent at start: KEY (one per key: u8 type, u16 bits, u8
 *     id length, id, the key record text) ... then READY (empty), or
 *     ERROR (u8 code, text) when the signer cannot start.
 *   parent -> signer: SIGN (u8 id length, id, u8 digest length = 32,
 *     digest).  signer -> parent: SIG (the raw signature) or ERROR.
 * An ERROR never carries key material.
 */
#ifndef INKAN_SIGNER_H
#define INKAN_SIGNER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "inkan/dkim.h"
#include "inkan/dkim_key.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Wire format version; a message with another version is a bad request. */
#define INK_SIGNER_WIRE_VERSION 1
/* Bytes of a message header: version, type, 2 zero bytes, u32 length. */
#define INK_SIGNER_HDR_LEN 8
/* Largest payload either side accepts (a key record of an 8192-bit RSA
 * key is about 1.5 KB; a signature at most 1 KB). */
#define INK_SIGNER_PAYLOAD_MAX 8192
/* Longest key id. */
#define INK_SIGNER_ID_MAX 64
/* Keys one signer holds. */
#define INK_SIGNER_KEYS_MAX 64
/* Largest private key file the signer reads. */
#define INK_SIGNER_KEYFILE_MAX 65536
/* Milliseconds the parent waits for the signer to load its keys. */
#define INK_SIGNER_START_TIMEOUT_MS 10000
/* Milliseconds the parent waits for one signature (0 in the config). */
#define INK_SIGNER_REPLY_TIMEOUT_MS 5000

/* Outcomes of a request (also the ERROR codes on the wire). */
enum ink_signer_status {
    INK_SIGNER_OK = 0,
    INK_SIGNER_NO_KEY = 1,      /* the signer has no key of that id */
    INK_SIGNER_BAD_REQUEST = 2, /* malformed request (version, length, digest size) */
    INK_SIGNER_SIGN_FAILED = 3, /* the crypto library failed */
    INK_SIGNER_START_FAILED = 4,/* the signer could not load its keys or drop privileges */
    INK_SIGNER_DEAD = 5,        /* parent side: the signer exited or closed the socket */
    INK_SIGNER_TIMEOUT = 6,     /* parent side: no reply in time */
};

/* One key to load: its id and private key file (PEM). */
struct ink_signer_keyfile {
    const char *id;
    const char *path;
};

struct ink_signer_config {
    const struct ink_signer_keyfile *keys;
    size_t nkeys;          /* 1..INK_SIGNER_KEYS_MAX */
    const char *user;      /* drop to this user after loading the keys; NULL:
                            * stay (refused when running as root) */
    int reply_timeout_ms;  /* 0: INK_SIGNER_REPLY_TIMEOUT_MS */
};

/* What the parent knows of a key: never the private half. */
struct ink_signer_key {
    char id[INK_SIGNER_ID_MAX + 1];
    enum ink_dkim_keytype type;
    unsigned bits;
    char *record;          /* "v=DKIM1; k=...; p=..." */
    struct ink_signer *signer; /* back pointer, for ink_signer_dkim_sign */
};

struct ink_signer;

/*
 * ink_signer_start - fork the signer, which loads cfg's keys and drops to
 * cfg->user; returns once it is ready.  Caller owns the result
 * (ink_signer_stop).  NULL with the reason in err: a key file that cannot
 * be opened, is not a regular file, is readable by group or others, or is
 * not a key (the message names the file); an unknown user; a failed
 * privilege drop; the signer not answering.  Call it before starting
 * threads (it forks).
 */
struct ink_signer *ink_signer_start(const struct ink_signer_config *cfg, struct ink_str *err);
/* ink_signer_stop - close the socket, reap the signer; NULL is a no-op */
void ink_signer_stop(struct ink_signer *s);
/* ink_signer_pid - the signer process */
pid_t ink_signer_pid(const struct ink_signer *s);
/* ink_signer_fd - the parent's end of the socket (close-on-exec), for
 * tests of the wire format; requests go through ink_signer_sign */
int ink_signer_fd(const struct ink_signer *s);
/* ink_signer_key_count - keys loaded */
size_t ink_signer_key_count(const struct ink_signer *s);
/* ink_signer_key_at - key i (owned by s), or NULL */
struct ink_signer_key *ink_signer_key_at(struct ink_signer *s, size_t i);
/* ink_signer_key - the key of that id (owned by s), or NULL */
struct ink_signer_key *ink_signer_key(struct ink_signer *s, const char *id);

/*
 * ink_signer_sign - ask the signer to sign the INK_DKIM_DIGEST_LEN-byte
 * digest with key id; the raw signature is appended to sig.  INK_SIGNER_OK,
 * or another status with a sentence in why.  Once DEAD or TIMEOUT every
 * later call fails the same way (the stream is out of step).  Not for
 * several threads at once: callers serialize, or start a signer each.
 */
enum ink_signer_status ink_signer_sign(struct ink_signer *s, const char *id, const uint8_t *digest,
                                       size_t digest_len, struct ink_str *sig, struct ink_str *why);

/*
 * ink_signer_dkim_sign - an ink_dkim_sign_fn (inkan/dkim.h) for a key of
 * a signer: set sign_fn to it and sign_arg to the struct ink_signer_key.
 * Refuses an alg not matching the key's type.
 */
int ink_signer_dkim_sign(void *arg, enum ink_dkim_alg alg, const uint8_t *digest, struct ink_str *sig,
                         struct ink_str *why);

/* ink_signer_status_name - a word for a status */
const char *ink_signer_status_name(enum ink_signer_status st);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
