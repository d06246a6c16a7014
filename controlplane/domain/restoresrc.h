/* restoresrc: where an agent reads a restore's objects (issue 17 part 4).
 *
 * A restore goal names the base backup's object (restore.path) and, for a
 * point in time, the WAL archive (restore.wal) in the backup store under
 * <RDS_HOME>/backups, which only the controlplane's machine has. When the
 * controlplane serves agents on another address (--agent-addr: namespace
 * mode, or agents on other machines), the goal names them instead as URLs
 * of the controlplane's own routes (core/restoretoken.h), which the agent's
 * rds-backup streams; in loopback mode the paths stay (rdsim's choice: the
 * agents there share the controlplane's filesystem, and the path is the
 * shorter road). */
#ifndef RDSIM_RESTORESRC_H
#define RDSIM_RESTORESRC_H

#include <stdbool.h>

#include "controlplane/core/region.h"

struct cJSON;

/* The restore sources of node_id right now, as its spec would name them:
 * *base the object's path, *wal the archive's directory or NULL (no point
 * in time). False (both NULL) when the node is unknown, not a live
 * primary, or its instance has no restore. The caller frees both. */
bool restoresrc_of_node(region *r, const char *node_id, char **base, char **wal);

/* Rewrites spec's "restore" member (if any) for node_id: path and wal
 * become URLs of the agents' door when --agent-addr is set and the
 * controlplane has its restore key; otherwise nothing changes. */
void restoresrc_spec_urls(region *r, const char *node_id, struct cJSON *spec);

/* The URL of one kind ("base" or "wal") of node_id's restore from source:
 * "http://<agent addr>:<api port>/agent/v1/restore/<node>/<token>/<kind>".
 * The caller frees it. */
char *restoresrc_url(region *r, const char *node_id, const char *kind, const char *source);

#endif
