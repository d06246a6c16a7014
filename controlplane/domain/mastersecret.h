/* mastersecret: RDS's managed master password (ManageMasterUserPassword)
 * on top of Secrets Manager (core/secrets.h).
 *
 * The region generates the password, keeps it as the secret
 * "rds!db-<uuid>" ({"username","password"}, owned by "rds", RDS's
 * description and tags) under MasterUserSecretKmsKeyId or the default
 * alias/aws/secretsmanager key, and sets the instance's master verifier
 * from it, the path of --master-user-password (the agent applies it on its
 * next heartbeat). The instance's extra keeps MasterUserSecret
 * {SecretArn, SecretStatus, KmsKeyId}, which Describe shows. Everything
 * runs in the caller's transaction. */
#ifndef RDSIM_MASTERSECRET_H
#define RDSIM_MASTERSECRET_H

#include <stdbool.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"
#include "controlplane/core/region.h"
#include "controlplane/core/secrets.h"
#include "controlplane/core/store.h"

typedef struct cJSON cJSON;

#define INSTEXTRA_MASTER_SECRET "MasterUserSecret" /* object, as Describe shows it */

/* A new managed password for in (its id and master_username set): the
 * secret is created, in->master_verifier replaced, extra gets
 * MasterUserSecret. kms_ref may be NULL. */
bool mastersecret_create(region *r, store_instance *in, const char *kms_ref, cJSON *extra,
                         awserr *err);
/* Deletes in's secret (if any, now) and removes MasterUserSecret from extra. */
bool mastersecret_drop(region *r, const char *instance_id, cJSON *extra, awserr *err);
/* ModifyDBInstance's ManageMasterUserPassword, MasterUserSecretKmsKeyId
 * and RotateMasterUserPassword on in and extra (before MasterUserPassword
 * is applied): turns management on (a new secret and verifier) or off
 * (the secret deleted; MasterUserPassword required), rotates (needs
 * ApplyImmediately), and refuses MasterUserPassword while managed.
 * *changed set when something was asked. */
bool mastersecret_read_modify(region *r, const params *p, store_instance *in, cJSON *extra,
                              bool now, bool *changed, awserr *err);

/* The rotator (sm_rotate_fn) for secrets_set_rotator: ctx is the region. */
bool mastersecret_rotate(void *ctx, const char *instance_id, const char *username,
                         const char *password, sm_err *err);

#endif
