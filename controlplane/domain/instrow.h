/* instrow: the one builder of a new DB instance's row, for
 * CreateDBInstance, RestoreDBInstanceFromDBSnapshot and
 * RestoreDBInstanceToPointInTime.
 *
 * Whoever makes an instance reads and checks its own request, then hands
 * the settings to instrow_insert, which adds what every new instance gets
 * the same way: a fresh DbiResourceId, `creating`, the engine and the
 * installed version, the creation time, RDS's random backup and
 * maintenance windows unless given (never overlapping), the KMS key's
 * ARN, the replication password of a Multi-AZ instance; then inserts the
 * row and starts its create workflow. A restore (instrow_restore) takes
 * its settings from its source under the request's overrides, network
 * settings included, as RDS's restore actions accept them. */
#ifndef RDSIM_INSTROW_H
#define RDSIM_INSTROW_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"
#include "controlplane/core/store.h"

typedef struct region region;

/* Inside the caller's transaction. req holds the request's settings,
 * read and checked, borrowed: id (lowercase), db_class, master_username,
 * master_verifier (the SCRAM verifier, instsecret.h), db_name, port, allocated_storage, storage_type, iops,
 * max_allocated_storage, multi_az, az, backup_retention,
 * deletion_protection, storage_encrypted with kms_key_id the key's
 * reference (id, ARN or alias), dns_ttl, tags (NULL: "[]"), extra (NULL:
 * "{}"), backup_window and maintenance_window (NULL: RDS's random
 * default; a default maintenance window avoids a given backup window).
 * Other fields of req are ignored.
 * Fails, in this order: the windows overlap (InvalidParameterCombination),
 * DBInstanceAlreadyExists, InstanceQuotaExceeded, KMSKeyNotAccessible (an
 * encrypted instance's key must be enabled now), InternalFailure. On
 * success the row is stored with its create workflow and *out holds it
 * (owned: store_instance_clear), with a fresh rdsadmin secret; on
 * failure *out is empty. */
bool instrow_insert(region *r, const store_instance *req, store_instance *out, awserr *err);

/* The same, starting workflow `kind` instead of "create" (a Multi-AZ DB
 * cluster's readers, clusterwf.h); req->cluster_id is kept, and a member
 * gets a replication password as a Multi-AZ instance does. */
bool instrow_insert_kind(region *r, const store_instance *req, const char *kind,
                         store_instance *out, awserr *err);

/* What a restored instance takes from its source (a snapshot, or an
 * instance's automated backups), before the request's overrides. */
typedef struct {
    const char *db_class;
    int64_t port;
    bool encrypted;
    const char *kms_key_id;
    const char *master_username, *master_verifier, *db_name; /* the source's verifier */
    int64_t allocated_storage;
    const char *storage_type;
    int64_t iops;
} instrow_source;

/* Inside the caller's transaction: reads the request's settings
 * (DBInstanceClass, Port, MultiAZ, AvailabilityZone, DeletionProtection,
 * DnsTtl, PreferredBackupWindow, PubliclyAccessible, VpcSecurityGroupIds,
 * DBSubnetGroupName, DBParameterGroupName) over src's, then
 * instrow_insert. id is the new instance's (lowercase). On success *out
 * holds the stored row (owned). */
bool instrow_restore(region *r, const params *p, const char *id, const instrow_source *src,
                     store_instance *out, awserr *err);

/* The ARN of an enabled KMS key named by ref, or NULL with
 * KMSKeyNotAccessibleFault. Malloc'd. */
char *instrow_kms_arn(region *r, const char *ref, awserr *err);

/* RDS's defaults (malloc'd): a random 30-minute backup window in the
 * 8-hour block 03:00-11:00, and a random 30-minute maintenance window,
 * starting 12:00-19:00 on a random day. */
char *instrow_default_backup_window(void);
char *instrow_default_maintenance_window(void);

#endif
