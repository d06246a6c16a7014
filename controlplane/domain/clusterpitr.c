/* clusterpitr: see clusterpitr.h. */
#include "controlplane/domain/clusterpitr.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/autobackup.h"
#include "controlplane/domain/clusterapi.h"
#include "controlplane/domain/clustersnap.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

bool clusterpitr_is_backup_member(const char *cluster_id, const char *instance_id)
{
    char *first = cluster_member_id(cluster_id, 1);
    bool is = strcmp(first, instance_id) == 0;
    free(first);
    return is;
}

/* The resource id of c's first member (its backups' key), malloc'd, or
 * NULL when it is gone. */
static char *backup_rid(region *r, const char *cluster_id, store_instance *m)
{
    char *first = cluster_member_id(cluster_id, 1);
    bool found = false;
    store_instance_get(r->st, first, m, &found);
    free(first);
    return found && m->resource_id ? xstrdup(m->resource_id) : NULL;
}

void clusterpitr_render(region *r, const cluster_row *c, cJSON *o)
{
    store_instance m = {0};
    char *rid = backup_rid(r, c->id, &m);
    int64_t earliest = 0, latest = 0;
    if (c->backup_retention > 0 && autobackup_window(r, rid, &earliest, &latest)) {
        char buf[40];
        cJSON_AddStringToObject(o, "EarliestRestorableTime",
                                rclock_format(earliest, buf, sizeof buf));
        cJSON_AddStringToObject(o, "LatestRestorableTime", rclock_format(latest, buf, sizeof buf));
    }
    free(rid);
    store_instance_clear(&m);
}

/* The source's settings as a restore takes them (a snapshot's fields). */
static snaprow source_of(const cluster_row *c, const store_instance *m)
{
    return (snaprow){.engine_version = c->engine_version,
                     .db_class = c->db_class,
                     .allocated_storage = c->allocated_storage,
                     .storage_type = c->storage_type,
                     .iops = c->iops,
                     .master_username = c->master_username,
                     .master_verifier = m->master_verifier,
                     .db_name = c->db_name,
                     .port = c->port,
                     .encrypted = c->storage_encrypted,
                     .kms_key_id = c->kms_key_id};
}

static bool read_request(const params *p, const char **when, bool *latest, awserr *err)
{
    const char *sid = params_get(p, "SourceDBClusterIdentifier");
    const char *srid = params_get(p, "SourceDbClusterResourceId");
    if (sid && srid)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Specify either SourceDBClusterIdentifier or SourceDbClusterResourceId, "
                          "not both.");
    if ((!srid && !params_require(p, "SourceDBClusterIdentifier", err)) ||
        !params_require(p, "DBClusterIdentifier", err) ||
        !params_get_bool(p, "UseLatestRestorableTime", latest, NULL, err))
        return false;
    const char *type = params_get(p, "RestoreType");
    if (type && strcmp(type, "full-copy") != 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "RestoreType %s is not supported for Multi-AZ DB clusters: use "
                          "full-copy.", type);
    *when = params_get(p, "RestoreToTime");
    return true;
}

/* The id of the cluster whose DbClusterResourceId is rid (malloc'd; ""
 * when none: a cluster's automated backups go with it, so only a live
 * cluster's resource id names a source). */
static char *id_of_resource(region *r, const char *rid)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT id FROM db_clusters WHERE resource_id=?");
    char *id = NULL;
    if (st) {
        sqlrow_bind_text(st, 1, rid);
        if (sqlite3_step(st) == SQLITE_ROW)
            id = sqlrow_text(st, 0);
        sqlite3_finalize(st);
    }
    return id ? id : xstrdup("");
}

bool clusterpitr_action_restore(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *when = NULL;
    bool latest = false;
    if (!read_request(p, &when, &latest, err))
        return false;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    const char *srid = params_get(p, "SourceDbClusterResourceId");
    char *src_id = srid ? id_of_resource(r, srid)
                        : cluster_id_from(params_get(p, "SourceDBClusterIdentifier"));
    cluster_row src = {0}, c = {0};
    store_instance m = {0};
    char *rid = NULL;
    bool ok = cluster_get(r, src_id, &src);
    if (!ok)
        awserr_set(err, AWSERR_DB_CLUSTER_NOT_FOUND, "DBCluster %s not found.",
                   srid ? srid : src_id);
    else if (!(rid = backup_rid(r, src.id, &m)) || src.backup_retention <= 0)
        ok = awserr_set(err, AWSERR_INVALID_RESTORE, "DB cluster %s has no automated backups.",
                        src.id);
    else if (params_get(p, "KmsKeyId") && !src.storage_encrypted)
        /* KmsKeyId re-keys an encrypted source; of an unencrypted one
         * "the restore request is rejected" (the parameter's doc; the
         * code is rdsim's choice, as for an encrypted replica of an
         * unencrypted instance). A snapshot restore may encrypt. */
        ok = awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                        "Cannot restore the unencrypted DB cluster %s to an encrypted one: "
                        "KmsKeyId needs an encrypted source.", src.id);
    if (ok) {
        /* The source's window first (its errors before the new cluster's):
         * the writer a restore inserts is the first member. */
        char *id = str_lower(xstrdup(params_get(p, "DBClusterIdentifier")));
        char *writer = cluster_member_id(id, 1);
        snaprow s = source_of(&src, &m);
        ok = autobackup_restore_to(r, when, latest, rid, writer, err) &&
             clustersnap_restore_insert(r, p, &s, &c, err);
        free(writer);
        free(id);
    }
    if (ok && !store_commit(r->st))
        ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    if (!ok)
        store_rollback(r->st);
    if (ok) {
        LOG_INFO("cluster point-in-time restore accepted cluster=%s source=%s port=%lld", c.id,
                 src.id, (long long)c.port);
        cJSON_AddItemToObject(result, "DBCluster", clusterapi_render(r, &c));
    }
    cluster_clear(&c);
    cluster_clear(&src);
    store_instance_clear(&m);
    free(rid);
    free(src_id);
    return ok;
}
