/* server: the DNS transport: UDP and TCP sockets on a libevent loop.
 *
 * Moves bytes only; every answer comes from dns_process (process.h).
 * TCP follows RFC 7766 (2-byte length prefix, several queries per
 * connection, idle timeout, a connection limit). */
#ifndef RDSIM_DNS_SERVER_H
#define RDSIM_DNS_SERVER_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
typedef struct zone zone;
typedef struct dns_server dns_server;

/* Listens on addr:port for UDP and TCP (port 0: an ephemeral port, the
 * same for both). The zone is borrowed and may change between queries.
 * Returns NULL (logged) if a socket cannot be bound. */
dns_server *dns_server_new(struct event_base *base, zone *z, const char *addr, uint16_t port);
uint16_t dns_server_port(const dns_server *s);
void dns_server_free(dns_server *s);

#endif
