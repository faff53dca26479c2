/*
 * resolver_server.c - the one parser of --dns HOST[:PORT] values (see
 * resolver_server.h), used by every backend that talks to a server.
 */
#include "resolver_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* dns_server_parse - "HOST[:PORT]" into a numeric address and port */
int dns_server_parse(const char *server, struct dns_server *out, struct ink_str *err)
{
    char host[DNS_SERVER_TEXT_MAX + 1];
    const char *port = NULL, *colon;
    size_t hl;
    struct addrinfo hints, *ai = NULL;
    unsigned long pn = DNS_SERVER_PORT_DEFAULT;
    int rc;

    memset(out, 0, sizeof(*out));
    if (strlen(server) > DNS_SERVER_TEXT_MAX) {
        ink_str_puts(err, "--dns: server address too long");
        return -1;
    }
    if (server[0] == '[') {
        const char *close = strchr(server, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
            ink_str_printf(err, "--dns '%s': write an IPv6 address as [ADDR]:PORT", server);
            return -1;
        }
        hl = (size_t)(close - server - 1);
        memcpy(host, server + 1, hl);
        host[hl] = '\0';
        if (close[1] == ':')
            port = close + 2;
    } else if ((colon = strchr(server, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
        hl = (size_t)(colon - server);
        memcpy(host, server, hl);
        host[hl] = '\0';
        port = colon + 1;
    } else {
        /* no colon, or a bare IPv6 address */
        memcpy(host, server, strlen(server) + 1);
    }
    if (port != NULL) {
        char *end;
        errno = 0;
        pn = strtoul(port, &end, 10);
        if (errno != 0 || end == port || *end != '\0' || pn == 0 || pn > 65535) {
            ink_str_printf(err, "--dns '%s': port '%s' is not a number from 1 to 65535", server,
                           port);
            return -1;
        }
    }
    if (host[0] == '\0') {
        ink_str_printf(err, "--dns '%s': no server address", server);
        return -1;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(host, NULL, &hints, &ai);
    if (rc != 0 || ai == NULL) {
        ink_str_printf(err, "--dns '%s': cannot resolve '%s': %s", server, host,
                       gai_strerror(rc));
        if (ai != NULL)
            freeaddrinfo(ai);
        return -1;
    }
    if (ai->ai_family == AF_INET) {
        out->family = AF_INET;
        out->addr4 = ((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;
        inet_ntop(AF_INET, &out->addr4, out->host, sizeof(out->host));
    } else if (ai->ai_family == AF_INET6) {
        out->family = AF_INET6;
        out->addr6 = ((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr;
        inet_ntop(AF_INET6, &out->addr6, out->host, sizeof(out->host));
    } else {
        freeaddrinfo(ai);
        ink_str_printf(err, "--dns '%s': '%s' is neither an IPv4 nor an IPv6 address", server,
                       host);
        return -1;
    }
    freeaddrinfo(ai);
    out->port = (unsigned)pn;
    return 0;
}
