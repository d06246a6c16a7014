/* telemetry: the controlplane's side of POST /agent/v1/telemetry
 * (agent/telemetry.h, wire format in agent/README.md).
 *
 * For each node an agent reports, it finds the node's instance in the
 * store (the agent's instance_id is not trusted) and, in one transaction:
 * stores the Enhanced Monitoring sample of a primary (monitoring.h), the
 * node's log files (logfiles.h), and the primary's data size (storage.h).
 * The reply gives each node its monitoring interval (the instance's, for
 * its primary; 0 for a standby) and the log bytes held per file. */
#ifndef RDSIM_TELEMETRY_H
#define RDSIM_TELEMETRY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct region region;
/* Handles one body. Returns the reply (malloc'd) with *status 200, or 400
 * with {"error": ...} for a malformed body. *changed: an instance row
 * changed (status or storage), so workflows and goals should run. */
char *telemetry_agent_post(region *r, const char *body, size_t len, int *status, bool *changed);

#endif
