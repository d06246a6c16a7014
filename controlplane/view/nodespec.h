/* nodespec: the controlplane's side of the heartbeat protocol
 * (agent/README.md) — every node's goal and spec, built from the store on
 * each reply, so a reply is never staler than the last commit.
 *
 * A spec gathers what the layers below decide: the instance row and its
 * node (address, role, credentials), the memory settings of the class
 * (paramgroup's system rows; a rolling class change or restart runs ahead
 * on some nodes, maint.h), the parameter group's values, the Multi-AZ part
 * (replication, upstream, sync standbys), the allowed client blocks
 * (instnet.h) and, on a primary, what to restore from (snapshot.h,
 * autobackup.h). The registry of agents (core/agents.h) only records the
 * reports. */
#ifndef RDSIM_NODESPEC_H
#define RDSIM_NODESPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/core/store.h"

typedef struct cJSON cJSON;
typedef struct region region;
typedef struct nodespec_cache nodespec_cache;

/* Handles one heartbeat body of agent_id, already authenticated with key
 * (core/agents.h: agents_authenticate, and the body's agent_id checked):
 * agents_record, then one pass of the cron (region.h's pass_hook, when
 * set) so that what this report decides — a crash failed over, a fence
 * confirmed, a promotion seen — is in this very reply rather than in the
 * agent's next one, then the reply. The reply's node list is kept per
 * agent and sent again while the store's state tables (store_generation)
 * and key are unchanged: the same bytes a fresh build gives, but for the
 * sealed values (sealed once, not again with a fresh IV). The pass runs only when the report
 * says something new (agents_changed) or the agent hosts a member of a
 * cluster failing over: a report like the last one decides nothing the
 * cron's own timer would not (issue 18). Its interval_ms is
 * AGENTS_HEARTBEAT_HURRY_MS while the agent hosts a member of a cluster
 * that is failing over (each of the failover's steps then reaches the
 * hosts within that), AGENTS_HEARTBEAT_MS otherwise. Returns the reply body (malloc'd, the
 * caller's) and sets *status to 200; or, for a malformed report, 400 with
 * agents_record's JSON error (the registry is then unchanged). The secrets
 * of the reply (master password, replication password) are sealed under
 * key (lib/agentmac.h, labels "<node_id>/master_password" and
 * "<node_id>/replication"): no plain-text secret is ever on the wire. A
 * node the agent reports that has no row for that agent here is an orphan:
 * logged once, never given a goal (the agent keeps it as it is). */
char *nodespec_heartbeat(region *r, const char *agent_id, const uint8_t key[32], const char *body,
                         size_t len, int *status);

/* Frees the heartbeat replies kept in r->spec_cache (nodespec_heartbeat
 * makes it; main frees it before the store closes), and sets it NULL: the
 * next heartbeat builds afresh. NULL-safe. */
void nodespec_cache_free(region *r);

/* The "settings" of node_id's spec (a new object): the system rows for
 * the class the node runs with (shared_buffers capped by host_bytes, see
 * paramgroup_system_settings), rdsim.restart_seq (its change restarts the
 * node: RebootDBInstance), and default_transaction_read_only "on" while
 * the instance is storage-full. */
cJSON *nodespec_settings(const store_instance *in, const char *node_id, int64_t host_bytes);

/* The CA id of in (extra: in's parsed extra column): its
 * CACertificateIdentifier, TLSCA_DEFAULT when none was set. Points into
 * extra or is static. */
const char *nodespec_ca_id(const store_instance *in, const cJSON *extra);

#endif
