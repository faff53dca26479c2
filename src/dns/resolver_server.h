/*
 * resolver_server.h - parsing a --dns HOST[:PORT] value into a numeric
 * address and port, shared by the libunbound and c-ares backends so both
 * accept and refuse exactly the same spellings with the same messages.
 * Internal to src/dns/.
 */
#ifndef INKAN_RESOLVER_SERVER_H
#define INKAN_RESOLVER_SERVER_H

#include <netinet/in.h>

#include "inkan/str.h"

/* Longest HOST[:PORT] accepted for --dns. */
#define DNS_SERVER_TEXT_MAX 300
/* Default DNS port. */
#define DNS_SERVER_PORT_DEFAULT 53

/* A server to send queries to. */
struct dns_server {
    int family;                   /* AF_INET or AF_INET6 */
    struct in_addr addr4;         /* AF_INET */
    struct in6_addr addr6;        /* AF_INET6 */
    unsigned port;                /* 1..65535 */
    char host[INET6_ADDRSTRLEN];  /* numeric address in text */
};

/*
 * dns_server_parse - turn "HOST[:PORT]", "[V6]:PORT" or a bare IPv6
 * address into *out.  A host name is looked up once with getaddrinfo (the
 * first address wins).  0, or -1 with a reason naming the value in err.
 */
int dns_server_parse(const char *server, struct dns_server *out, struct ink_str *err);

#endif
