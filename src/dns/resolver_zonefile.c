/*
 * resolver_zonefile.c - the zone-file resolver backend (--zone FILE):
 * reads an RFC 1035 master file, parses it with the core's zone-file
 * parser into an in-memory zone and answers from that zone through the
 * memzone backend, so answers come back exactly as an authoritative
 * server would give them (CNAME chains, NODATA vs NXDOMAIN, wildcards).
 */
#include "inkan/dnsio.h"
#include "inkan/zonefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* First read buffer size; doubled as the file turns out longer. */
#define ZONE_READ_CHUNK 65536

/* read_file - the whole file at path into *out (caller frees *out).
 * 0, or -1 with "PATH: reason" in err. */
static int read_file(const char *path, struct ink_str *out, struct ink_str *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        ink_str_printf(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    for (;;) {
        ssize_t n;
        if (out->len >= INK_ZONEFILE_FILE_MAX) {
            ink_str_printf(err, "%s: zone file larger than %zu bytes", path,
                           INK_ZONEFILE_FILE_MAX);
            close(fd);
            return -1;
        }
        if (ink_str_reserve(out, ZONE_READ_CHUNK) < 0) {
            ink_str_printf(err, "%s: out of memory reading the file", path);
            close(fd);
            return -1;
        }
        n = read(fd, out->buf + out->len, out->cap - out->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ink_str_printf(err, "%s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        out->buf[out->len] = '\0';
    }
    close(fd);
    return 0;
}

/* ink_resolver_zonefile_new - read and parse path; caller owns the resolver */
struct ink_resolver *ink_resolver_zonefile_new(const char *path, const char *origin,
                                               struct ink_str *err)
{
    struct ink_str text = INK_STR_INIT;
    struct ink_memzone *z;
    struct ink_resolver *r;

    if (read_file(path, &text, err) < 0) {
        ink_str_free(&text);
        return NULL;
    }
    z = ink_memzone_new();
    if (z == NULL) {
        ink_str_printf(err, "%s: out of memory", path);
        ink_str_free(&text);
        return NULL;
    }
    if (ink_zonefile_parse((const uint8_t *)text.buf, text.len, path, origin, z, err) < 0) {
        ink_memzone_free(z);
        ink_str_free(&text);
        return NULL;
    }
    ink_str_free(&text);
    r = ink_resolver_memzone_new(z, 1);
    if (r == NULL) {
        ink_str_printf(err, "%s: out of memory", path);
        ink_memzone_free(z);
    }
    return r;
}
