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
/* from's rdsadmin password sealed anew for resource_id (a Multi-AZ DB
 * cluster's members share one: the readers are physical copies of the
 * writer). *sealed and *verifier as instsecret_admin_new's. */
bool instsecret_admin_share(region *r, const store_instance *from, const char *resource_id,
                            char **sealed, char **verifier);
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
