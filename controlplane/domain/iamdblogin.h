/* iamdblogin: the controlplane's side of an IAM database login (issue 12
 * item 5): POST /agent/v1/iam-auth, from an authenticated agent on behalf
 * of the PAM module in one of its nodes' postgres backends (agent/README.md
 * "IAM database authentication").
 *
 * Request body: {"agent_id", "node_id", "user", "token"}; the reply is
 * {"allow": true|false} (HTTP 200) for every well-formed question, so the
 * agent relays a plain yes/no. Allowed only when: the node exists and is
 * the asking agent's, its instance has IAMDatabaseAuthenticationEnabled,
 * and core/iamdbauth.h accepts the token for that instance's endpoint,
 * DbiResourceId and the user at the real time. Every decision is logged
 * with the instance, user, key id and reason, never the token. */
#ifndef RDSIM_IAMDBLOGIN_H
#define RDSIM_IAMDBLOGIN_H

#include <stddef.h>

#include "controlplane/core/region.h"

/* Answers one request body from agent agent_id (already authenticated).
 * Returns the reply (malloc'd JSON) and its HTTP status in *status: 200
 * with allow, 400 for a malformed body. */
char *iamdblogin_agent_post(region *r, const char *agent_id, const char *body, size_t len,
                            int *status);

#endif
