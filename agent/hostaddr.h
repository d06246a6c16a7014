/* hostaddr: a node's address made local on its host before its postmaster
 * binds it (README "Network modes", custom subnets).
 *
 * In loopback mode every node address is in 127.0.0.0/8, local already.
 * In namespace mode the host's default subnet (P.n.0/24) is made local by
 * region.sh (a `local` route on lo), but a subnet made later with
 * `ec2 create-subnet` is known only to the controlplane, which places
 * nodes in it. So before a start the agent (root in its host's namespace)
 * makes a node's address local when it is not: a `local ADDR/32 dev lo`
 * route in the local table, as `ip route replace local ADDR dev lo` would.
 * With arp_ignore 0 (a namespace's default) the host then answers ARP for
 * it on the region bridge, where every other namespace reaches the whole
 * VPC on-link (region.sh): the subnet needs no route anywhere else, and a
 * cut host link (netcut) cuts its custom subnets too.
 *
 * The route lives in the namespace, so it survives kill -9 of the agent;
 * a restarted agent re-adds it (idempotently) before any start. It is not
 * removed when a node is deleted: the address can only ever be in this
 * AZ (a subnet has one AZ), and the next node there reuses it.
 *
 * hostaddr_route_msg and hostaddr_ack are pure
 * (tests/unit/agent/test_hostaddr.c). */
#ifndef RDSIM_AGENT_HOSTADDR_H
#define RDSIM_AGENT_HOSTADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when a socket can be bound to addr (dotted IPv4) here. */
bool hostaddr_is_local(const char *addr);

/* addr (dotted IPv4) local here: true when it already was or the route
 * was added; false (logged) when addr is not an IPv4 address or the
 * kernel refused (not root: then the start fails as it would anyway).
 * The route's preferred source is the address this host sends from
 * toward region_cidr (the agent's --region-addrs, its link address
 * P.0.(10+n)): a connection from this host to a node on it (a replica
 * of a replica here, pg_rewind) then comes from the region's own block,
 * where pg_hba.conf lets the region's roles in, not from the node's own
 * address (the kernel's choice for a local route without a source). */
bool hostaddr_make_local(const char *addr, const char *region_cidr);

/* Writes into buf an RTM_NEWROUTE request (create or replace) for
 * `local addr_be/32 dev ifindex table local scope host [src src_be]`
 * (src_be 0: none), sequence seq. Returns its length, or 0 when cap is
 * too small. */
size_t hostaddr_route_msg(void *buf, size_t cap, uint32_t addr_be, uint32_t src_be, int ifindex,
                          uint32_t seq);

/* The kernel's answer to request seq: 0 for an acknowledgement, a
 * negative errno for a refusal, 1 when buf holds no answer to seq (read
 * on), -EBADMSG for a malformed buffer. */
int hostaddr_ack(const void *buf, size_t len, uint32_t seq);

#endif
