/* sockdiag: a node's own TCP traffic, the raw material of
 * NetworkReceiveThroughput and NetworkTransmitThroughput
 * (controlplane/obs/cwcollect.h).
 *
 * Every telemetry second the agent dumps the TCP sockets of its network
 * namespace through netlink (NETLINK_SOCK_DIAG, inet_diag with
 * INET_DIAG_INFO: struct tcp_info's tcpi_bytes_received and
 * tcpi_bytes_acked) and keeps, per node, the sockets whose local address
 * is the node's (its clients' connections, replication and probes served
 * by its postmaster), by inode: a socket's bytes count once; one that is
 * gone counts the bytes of its last sample. Lost: the bytes of a
 * connection that opened and closed between two samples (one second).
 * No privilege is needed to read tcp_info of one's own namespace.
 *
 * sdg_parse is pure (tests/unit/agent/test_sockdiag.c: crafted replies). */
#ifndef RDSIM_AGENT_SOCKDIAG_H
#define RDSIM_AGENT_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One socket of the node: its inode and cumulative bytes. */
typedef void (*sdg_visit_fn)(void *arg, uint32_t inode, uint64_t rx, uint64_t tx);

/* One netlink reply buffer: calls visit for each IPv4 TCP socket whose
 * local address is addr_be (network order) and whose tcp_info holds both
 * counters. Returns 1 at NLMSG_DONE, 0 when more buffers follow, -1 on an
 * error message or a malformed buffer (what was visited stays visited). */
int sdg_parse(const void *buf, size_t len, uint32_t addr_be, sdg_visit_fn visit, void *arg);

typedef struct {
    uint32_t inode;
    uint64_t rx, tx;
    bool seen;
} sdg_sock;

/* Per node: live sockets by inode and the bytes of those gone. */
typedef struct {
    sdg_sock *s;
    size_t n, cap;
    uint64_t gone_rx, gone_tx;
} sdg_table;

/* One sample for the node at addr (dotted IPv4): updates t; false when the
 * dump failed (t unchanged). */
bool sdg_sample(sdg_table *t, const char *addr);
/* Applies one dump's visits (sdg_begin, visits through sdg_visit, sdg_end):
 * exposed for the unit test. */
void sdg_begin(sdg_table *t);
void sdg_visit(void *t, uint32_t inode, uint64_t rx, uint64_t tx);
void sdg_end(sdg_table *t);
/* Cumulative bytes received and sent by the node's sockets. */
void sdg_totals(const sdg_table *t, uint64_t *rx, uint64_t *tx);
void sdg_free(sdg_table *t);

#endif
