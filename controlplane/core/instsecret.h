/* instsecret: an instance's passwords as the region keeps them (issue 12).
 *
 * The master password exists only in the request that sets it: the store
 * keeps its SCRAM-SHA-256 verifier (lib/scram.h), which the agent sets with
 * ALTER ROLE … PASSWORD '<verifier>'. The controlplane's own logins (health
 * probes, the WAL archiver, base backups, snapshots) use the internal
 * `rdsadmin` role, whose random per-instance password is kept sealed under
 * the KMS master key (AES-256-GCM, the instance's resource id as associated
 * data, so a blob cannot be moved to another instance); the agent gets only
 * its verifier. Neither the password nor the blob is ever logged. */
#ifndef RDSIM_INSTSECRET_H
#define RDSIM_INSTSECRET_H

#include <stdbool.h>

#include "controlplane/core/region.h"
#include "controlplane/core/store.h"

#define INSTSECRET_ADMIN_USER "rdsadmin"

/* A fresh rdsadmin password for the instance with resource_id: *sealed
 * (base64) and *verifier, both malloc'd. false (logged) when sealing or
 * the verifier fails. */
bool instsecret_admin_new(region *r, const char *resource_id, char **sealed, char **verifier);
/* A read replica (issue 15) is a copy of its source's data, rdsadmin's
 * role included: *sealed (malloc'd) is src's rdsadmin password sealed
 * again for resource_id (the verifier stays src's). false (logged) when
 * src's does not open. */
bool instsecret_admin_copy(region *r, const store_instance *src, const char *resource_id,
                           char **sealed);
/* rdsadmin's password of in, malloc'd (instsecret_free it), or NULL (logged)
 * when in has none (made before schema 6) or the blob does not open. */
char *instsecret_admin_password(region *r, const store_instance *in);
/* An rdsadmin secret for every instance without one (stored before schema
 * 6), each in its own transaction; once at start, after the KMS opened.
 * A node built before has no rdsadmin role: the probes fail until the
 * instance is re-created; a node not built yet (a create cut short) gets
 * the role model. false (logged) when the store fails. */
bool instsecret_backfill(region *r);
/* Wipes and frees a password; NULL is fine. */
void instsecret_free(char *password);

#endif
