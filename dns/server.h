/* server: the DNS transport: UDP and TCP sockets on a libevent loop.
 *
 * Moves bytes only; every answer comes from dns_process (process.h).
 * TCP follows RFC 7766 (2-byte length prefix, several queries per
 * connection answered in order, a 10 s idle timeout that only a
 * complete query resets, at most 256 connections or a quarter of the
 * descriptor budget (lib/fdguard.h), the one idle longest closed to make
 * room, bounded buffers). Accept pauses when descriptors run out.
 * Queries are logged at DEBUG only. */
#ifndef RDSIM_DNS_SERVER_H
#define RDSIM_DNS_SERVER_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
typedef struct zone zone;
typedef struct dns_server dns_server;

/* Listens on addr:port (addr numeric, IPv4 or IPv6) for UDP and TCP
 * (port 0: an ephemeral port, the
 * same for both). The zone is borrowed and may change between queries.
 * Returns NULL (logged) if a socket cannot be bound. */
dns_server *dns_server_new(struct event_base *base, zone *z, const char *addr, uint16_t port);
uint16_t dns_server_port(const dns_server *s);
/* Sets the TCP idle timeout (default 10 000 ms) for connections accepted
 * from now on; a connection that completes no query for that long is
 * closed, however many bytes it sends. */
void dns_server_set_tcp_idle_ms(dns_server *s, unsigned ms);

/* Counters since dns_server_new, for metrics and tests. */
typedef struct {
    uint64_t udp_queries;   /* datagrams received */
    uint64_t tcp_queries;   /* length-prefixed messages received */
    uint64_t answers;       /* responses sent (or queued, for TCP) */
    uint64_t dropped;       /* no answer: short, QR=1, source port 0 */
    uint64_t tcp_accepted;  /* connections served */
    uint64_t tcp_evicted;   /* connections closed to make room for a new one */
} dns_server_stats;
void dns_server_get_stats(const dns_server *s, dns_server_stats *out);
void dns_server_free(dns_server *s);

#endif
