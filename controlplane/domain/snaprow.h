/* snaprow: one DB snapshot as the store and the backup store hold it —
 * its db_snapshots row (the truth; the table is made by core/store.c's
 * migrations), its ARN, and the directory and object that hold its bytes,
 * <RDS_HOME>/backups/snapshots/<id>/base.tar.env. Shared by the API
 * handlers (snapshot.c) and the children that make the objects
 * (snapjob.c). */
#ifndef RDSIM_SNAPROW_H
#define RDSIM_SNAPROW_H

#include <stdbool.h>
#include <stdint.h>

typedef struct region region;
typedef struct sqlite3_stmt sqlite3_stmt;

/* A snapshot's Status (db_snapshots.status). SNAP_DELETED is never
 * stored: DeleteDBSnapshot's answer shows the row it removed as deleted.
 * snaprow_status_name(v) is the store/API name (a static string; an
 * out-of-range value names itself "(invalid)"); snaprow_status_parse(name,
 * &v) is true and sets v for one of the names, false (v untouched) for any
 * other string or NULL. */
typedef enum {
    SNAP_CREATING,
    SNAP_AVAILABLE,
    SNAP_FAILED,
    SNAP_DELETED,
    SNAP_STATUS_COUNT
} snaprow_status;
const char *snaprow_status_name(snaprow_status s);
bool snaprow_status_parse(const char *name, snaprow_status *out);

/* A db_snapshots row. Strings are owned (snaprow_clear frees them). */
typedef struct {
    char *id, *instance_id, *resource_id, *type;
    snaprow_status status;
    int64_t created_ms;
    char *source; /* a copy: the source snapshot's id */
    bool encrypted;
    char *kms_key_id, *engine_version, *db_class, *master_username, *master_verifier, *db_name;
    int64_t port, allocated_storage;
    char *storage_type;
    int64_t iops;
    char *az;
    int64_t instance_created_ms, size_bytes;
    char *error;
} snaprow;

/* A DB cluster snapshot's row is named SNAPROW_CLUSTER_PREFIX "<id>"
 * (clustersnap.h); the DB snapshot actions neither list nor accept one.
 * snaprow_is_cluster: is id such a name? */
#define SNAPROW_CLUSTER_PREFIX "cluster:"
bool snaprow_is_cluster(const char *id);

/* The columns snaprow_read reads, in its order: "SELECT " SNAPROW_COLS. */
#define SNAPROW_COLS                                                                          \
    "id, instance_id, resource_id, type, status, created_ms, source, encrypted, kms_key_id,"  \
    " engine_version, db_class, master_username, master_verifier, db_name, port,"             \
    " allocated_storage, storage_type, iops, az, instance_created_ms, size_bytes, error"

void snaprow_clear(snaprow *s);
/* The current row of a SELECT SNAPROW_COLS statement into *s (owned).
 * False (logged, *s empty) when the row's status is no name of
 * snaprow_status: the caller treats the row as absent. */
bool snaprow_read(sqlite3_stmt *st, snaprow *s);
/* The row of id into *out; false (and *out empty) when there is none or
 * its status is unknown (logged). */
bool snaprow_get(region *r, const char *id, snaprow *out);
/* Inserts s; false on a store error (logged). */
bool snaprow_insert(region *r, const snaprow *s);
/* How many snapshots the region holds. */
int snaprow_count(region *r);
/* Ends a `creating` snapshot in the caller's transaction: `available`
 * (size, created now) or `failed` (error). False on a store error. */
bool snaprow_finish(region *r, const char *id, bool ok, int64_t size, const char *error,
                    int64_t created_ms);

/* Names and paths; each malloc'd. */
char *snaprow_arn(region *r, const char *id);
char *snaprow_dir(region *r, const char *id);
char *snaprow_object(region *r, const char *id);
/* The KMS endpoint the children use: this controlplane's own API. */
char *snaprow_kms_url(region *r);

/* An event of the snapshot (source type db-snapshot). A DB cluster
 * snapshot's row gets RDS's cluster snapshot event instead (source type
 * db-cluster-snapshot, its API id): 0074 for 0040, 0075 for 0042, none
 * for the others (RDS lists none for a deletion or a copy). */
void snaprow_emit(region *r, const char *id, const char *event_id, const char *detail);

#endif
