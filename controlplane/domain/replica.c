/* replica: see replica.h. */
#include "controlplane/domain/replica.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/core/health.h"
#include "controlplane/core/instextra.h"
#include "controlplane/core/instsecret.h"
#include "controlplane/core/lifecycle.h"
#include "controlplane/core/region.h"
#include "controlplane/core/restags.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/validate.h"
#include "controlplane/domain/ha.h"
#include "controlplane/domain/instrow.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/notify/events.h"
#include "controlplane/wf/wfsteps.h"
#include "controlplane/wf/workflow.h"
#include "lib/log.h"
#include "lib/util.h"

/* ---- pure rules ---- */

replica_verdict replica_check_create(instance_status src_status, int64_t src_retention,
                                     int src_depth, int src_replicas)
{
    if (src_status != STATUS_AVAILABLE)
        return REPLICA_SOURCE_NOT_AVAILABLE;
    if (src_depth == 0 && src_retention <= 0)
        return REPLICA_SOURCE_NO_BACKUPS;
    if (src_depth + 1 > REPLICA_MAX_DEPTH)
        return REPLICA_TOO_DEEP;
    if (src_replicas >= (src_depth == 0 ? REPLICA_MAX_PER_SOURCE : REPLICA_MAX_PER_CASCADED))
        return REPLICA_TOO_MANY;
    return REPLICA_OK;
}

void replica_slot_name(const char *id, char out[REPLICA_SLOT_MAX])
{
    static const char prefix[] = "rdsrr_";
    size_t n = strlen(id);
    size_t keep = n <= 63 - (sizeof prefix - 1) ? n : 40;
    size_t o = 0;
    memcpy(out, prefix, sizeof prefix - 1);
    o = sizeof prefix - 1;
    for (size_t i = 0; i < keep; i++) {
        char c = id[i];
        out[o++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a')
                   : (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c
                                                                      : '_';
    }
    if (keep < n) {
        uint64_t h = 1469598103934665603ULL; /* FNV-1a: a name, not a secret */
        for (size_t i = 0; i < n; i++)
            h = (h ^ (unsigned char)id[i]) * 1099511628211ULL;
        o += (size_t)snprintf(out + o, REPLICA_SLOT_MAX - o, "_%016llx", (unsigned long long)h);
    }
    out[o] = '\0';
}

void replica_standby_slot_name(const char *id, char out[REPLICA_SLOT_MAX])
{
    /* An instance id never holds "--", so "<id>--s" is no instance's. */
    char *k = xasprintf("%s--s", id);
    replica_slot_name(k, out);
    free(k);
}

/* ---- the store ---- */

char *replica_source_of(const store_instance *in)
{
    cJSON *x = instextra_parse(in);
    const char *s = instextra_str(x, INSTEXTRA_REPLICA_SOURCE);
    char *out = s && *s ? xstrdup(s) : NULL;
    cJSON_Delete(x);
    return out;
}

int replica_list(region *r, const char *source_id, bool live_only, char ***ids)
{
    *ids = NULL;
    sqlite3_stmt *st = sqlrow_cached(
        r->st, "SELECT id FROM instances WHERE json_valid(extra) AND "
               "json_extract(extra, '$." INSTEXTRA_REPLICA_SOURCE "') = ?1 AND "
               "(?2 = 0 OR status <> 'deleting') ORDER BY id");
    if (!st)
        return -1;
    sqlrow_bind_text(st, 1, source_id);
    sqlite3_bind_int(st, 2, live_only ? 1 : 0);
    int n = 0, cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            *ids = xrealloc(*ids, (size_t)cap * sizeof **ids);
        }
        (*ids)[n++] = sqlrow_text(st, 0);
    }
    sqlrow_release(r->st, st);
    if (rc != SQLITE_DONE) {
        LOG_ERROR("cannot list read replicas source=%s", source_id);
        replica_list_free(*ids, n);
        *ids = NULL;
        return -1;
    }
    return n;
}

void replica_list_free(char **ids, int n)
{
    for (int i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

/* The source of instance id (malloc'd) or NULL. */
static char *source_of_id(region *r, const char *id)
{
    store_instance in = {0};
    bool found = false;
    store_instance_get(r->st, id, &in, &found);
    char *s = found ? replica_source_of(&in) : NULL;
    store_instance_clear(&in);
    return s;
}

int replica_depth(region *r, const char *id)
{
    int d = 0;
    char *cur = source_of_id(r, id);
    /* The limit bounds a loop a damaged store could hold. */
    while (cur && d < 2 * REPLICA_MAX_DEPTH) {
        d++;
        char *next = source_of_id(r, cur);
        free(cur);
        cur = next;
    }
    free(cur);
    return d;
}

/* ---- CreateDBInstanceReadReplica ---- */

static bool verdict_error(replica_verdict v, const store_instance *src, awserr *err)
{
    switch (v) {
    case REPLICA_OK:
        return true;
    case REPLICA_SOURCE_NOT_AVAILABLE:
        return awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                          "DB Instance %s is not in available state (%s).", src->id,
                          instance_status_name(src->status));
    case REPLICA_SOURCE_NO_BACKUPS:
        return awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                          "Automated backups are not enabled for this database instance. To "
                          "enable automated backups, use ModifyDBInstance to set the backup "
                          "retention period to a non-zero value.");
    case REPLICA_TOO_MANY:
        return awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                          "DB Instance %s already has the maximum number of read replicas.",
                          src->id);
    case REPLICA_TOO_DEEP:
        return awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                          "Read replica %s is already %d levels below its source: no deeper "
                          "cascading read replica is allowed.", src->id, REPLICA_MAX_DEPTH);
    }
    return awserr_set(err, AWSERR_INTERNAL_FAILURE, "Unknown replica rule.");
}

/* The source may have a replica (limits, state) and the request's KMS key
 * is the source's. */
static bool create_allowed(region *r, const params *p, const store_instance *src, awserr *err)
{
    char **ids = NULL;
    int n = replica_list(r, src->id, true, &ids);
    replica_list_free(ids, n < 0 ? 0 : n);
    if (n < 0)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    int depth = replica_depth(r, src->id);
    if (!verdict_error(replica_check_create(src->status, src->backup_retention, depth, n), src,
                       err))
        return false;
    const char *key = params_get(p, "KmsKeyId");
    if (!key || !*key)
        return true;
    if (!src->storage_encrypted)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Cannot create an encrypted read replica of the unencrypted DB "
                          "instance %s.", src->id);
    char *arn = instrow_kms_arn(r, key, err);
    bool same = arn && src->kms_key_id && strcmp(arn, src->kms_key_id) == 0;
    free(arn);
    if (!same && err->code == AWSERR_NONE)
        awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                   "A read replica in the same Region is encrypted with its source's KMS key.");
    return same;
}

/* What the new row takes from its source beyond instrow_restore's: no
 * backups (invariant 4), the source as extra, rdsadmin's password and the
 * replication password (the data is a copy of the source's), the Tags. */
static bool finish_row(region *r, const params *p, store_instance *src, store_instance *out,
                       awserr *err)
{
    int64_t storage = src->allocated_storage;
    if (!params_get_int(p, "AllocatedStorage", 20, 65536, &storage, NULL, err))
        return false;
    if (storage < src->allocated_storage)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "A read replica's allocated storage must be at least its source's "
                          "(%lld).", (long long)src->allocated_storage);
    char *tags = restags_merge(p, "[]", err);
    if (!tags)
        return false;
    free(out->tags);
    out->tags = tags;
    out->allocated_storage = storage;
    out->backup_retention = 0;
    cJSON *x = instextra_parse(out);
    instextra_set_str(x, INSTEXTRA_REPLICA_SOURCE, src->id);
    instextra_store(out, x);
    cJSON_Delete(x);
    if (!src->repl_password || !*src->repl_password) {
        /* The source's primary learns the replication role from its spec. */
        free(src->repl_password);
        src->repl_password = region_random_label(24);
        if (!store_instance_update(r->st, src))
            return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    }
    free(out->repl_password);
    out->repl_password = xstrdup(src->repl_password);
    char *sealed = NULL;
    if (!instsecret_admin_share(r, src, out->resource_id, &sealed, NULL))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The instance's secrets could not be made.");
    free(out->admin_secret);
    out->admin_secret = sealed;
    free(out->admin_verifier);
    out->admin_verifier = xstrdup(src->admin_verifier ? src->admin_verifier : "");
    if (!store_instance_update(r->st, out))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    return true;
}

bool replica_create(region *r, const params *p, const char *id, store_instance *out,
                    awserr *err)
{
    memset(out, 0, sizeof *out);
    const char *v = params_require(p, "SourceDBInstanceIdentifier", err);
    if (!v)
        return false;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    char *sid = region_instance_id_from(v);
    store_instance src = {0};
    bool found = false;
    store_instance_get(r->st, sid, &src, &found);
    bool ok = found || awserr_set(err, AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.",
                                  sid);
    ok = ok && create_allowed(r, p, &src, err);
    if (ok) {
        instrow_source s = {.db_class = src.db_class,
                            .port = src.port,
                            .encrypted = src.storage_encrypted,
                            .kms_key_id = src.kms_key_id,
                            .master_username = src.master_username,
                            .master_verifier = src.master_verifier,
                            .db_name = src.db_name,
                            .allocated_storage = src.allocated_storage,
                            .storage_type = src.storage_type,
                            .iops = src.iops};
        ok = instrow_restore(r, p, id, &s, out, err) && finish_row(r, p, &src, out, err);
    }
    if (ok && !store_commit(r->st))
        ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    if (ok)
        LOG_INFO("read replica created id=%s source=%s", id, src.id);
    else {
        store_rollback(r->st);
        store_instance_clear(out);
    }
    store_instance_clear(&src);
    free(sid);
    return ok;
}

/* ---- promotion ---- */

/* In the caller's transaction: in stops being a replica (its slot leaves
 * the source's spec, its node's spec becomes a primary's: the agent
 * promotes it) and runs the kind `promote`. */
static bool promote_row(region *r, store_instance *in, int64_t retention, const char *window)
{
    cJSON *x = instextra_parse(in);
    instextra_remove(x, INSTEXTRA_REPLICA_SOURCE);
    instextra_remove(x, INSTEXTRA_REPLICA_STATE);
    instextra_store(in, x);
    cJSON_Delete(x);
    in->backup_retention = retention;
    if (window) {
        free(in->backup_window);
        in->backup_window = xstrdup(window);
    }
    if (!lifecycle_apply(in->id, &in->status, STATUS_MODIFYING))
        return false;
    /* A Multi-AZ replica's standby followed the source, not this node:
     * no failover until ha.c has seen it synchronous with this one. */
    if (in->ha_state == HA_HEALTHY || in->ha_state == HA_BUILDING)
        ha_apply(in->id, &in->ha_state, HA_STANDBY_LOST);
    LOG_INFO("read replica promoted id=%s retention=%lld", in->id, (long long)retention);
    return events_emit(r, in->id, "RDS-EVENT-0057", NULL) && store_instance_update(r->st, in) &&
           workflow_start(r, in->id, "promote", NULL);
}

/* The replica may be promoted now: a replica, available, no workflow. */
static bool promotable(region *r, const store_instance *in, awserr *err)
{
    char *src = replica_source_of(in);
    bool is_replica = src != NULL;
    free(src);
    if (!is_replica)
        return awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                          "DB Instance %s is not a read replica.", in->id);
    store_workflow w = {0};
    bool busy = false;
    store_workflow_active_for(r->st, in->id, &w, &busy);
    store_workflow_clear(&w);
    if (in->status != STATUS_AVAILABLE || busy)
        return awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                          "DB Instance %s is not in available state (%s).", in->id,
                          instance_status_name(in->status));
    return true;
}

bool replica_promote(region *r, const params *p, const char *id, store_instance *out,
                     awserr *err)
{
    memset(out, 0, sizeof *out);
    int64_t retention = 1;
    if (!params_get_int(p, "BackupRetentionPeriod", 0, 35, &retention, NULL, err))
        return false;
    const char *bw = params_get(p, "PreferredBackupWindow");
    if (bw && !validate_backup_window(bw, err))
        return false;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    bool found = false;
    store_instance_get(r->st, id, out, &found);
    bool ok = found || awserr_set(err, AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.",
                                  id);
    ok = ok && promotable(r, out, err) &&
         (!bw || validate_windows_disjoint(bw, out->maintenance_window, err));
    if (ok && !(promote_row(r, out, retention, bw) && store_commit(r->st)))
        ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    if (!ok) {
        store_rollback(r->st);
        store_instance_clear(out);
    }
    return ok;
}

bool replica_on_delete(region *r, const char *source_id, awserr *err)
{
    char **ids = NULL;
    int n = replica_list(r, source_id, true, &ids);
    if (n < 0)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        store_instance in = {0};
        bool found = false;
        store_instance_get(r->st, ids[i], &in, &found);
        /* A replica being built or changed cannot become a primary now:
         * the source stays until it can (RDS promotes, never orphans). */
        ok = found && promotable(r, &in, err);
        if (ok && !promote_row(r, &in, 1, NULL))
            ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        if (!ok && err->code == AWSERR_INVALID_DB_INSTANCE_STATE)
            awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                       "Cannot delete DB Instance %s while its read replica %s is %s.", source_id,
                       ids[i], instance_status_name(in.status));
        store_instance_clear(&in);
    }
    replica_list_free(ids, n);
    return ok;
}

bool replica_share_verifier(region *r, const char *source_id, const char *verifier)
{
    char **ids = NULL;
    int n = replica_list(r, source_id, false, &ids);
    bool ok = n >= 0;
    for (int i = 0; i < n && ok; i++) {
        store_instance in = {0};
        bool found = false;
        ok = store_instance_get(r->st, ids[i], &in, &found);
        if (ok && found && (!in.master_verifier || strcmp(in.master_verifier, verifier) != 0)) {
            free(in.master_verifier);
            in.master_verifier = xstrdup(verifier);
            ok = store_instance_update(r->st, &in);
            if (ok)
                LOG_INFO("replica master verifier follows source=%s replica=%s", source_id,
                         ids[i]);
        }
        store_instance_clear(&in);
        /* Chains are at most REPLICA_MAX_DEPTH deep (invariant 2). */
        ok = ok && replica_share_verifier(r, ids[i], verifier);
    }
    replica_list_free(ids, n > 0 ? n : 0);
    return ok;
}

/* The kind `promote`: the primary node out of recovery, then available. */
static wf_result promote_wait_primary(wf_ctx *c)
{
    const node_health *v = c->in->primary_node ? health_get(c->r->health, c->in->primary_node)
                                               : NULL;
    return v && v->up && !v->in_recovery ? WF_NEXT : WF_WAIT;
}

static const wf_step promote_steps[] = {
    {"wait_primary", promote_wait_primary, "finish", WF_T_CREATE},
    {"finish", wf_step_finish_available, NULL, 0},
};

const wf_kind replica_kinds[] = {
    {"promote", promote_steps, 2, NULL, wf_on_fail_status},
    {NULL, NULL, 0, NULL, NULL},
};

/* ---- DBInstance ---- */

void replica_render(region *r, const store_instance *in, cJSON *o)
{
    char **ids = NULL;
    int n = replica_list(r, in->id, false, &ids);
    cJSON *list = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(list, cJSON_CreateString(ids[i]));
    replica_list_free(ids, n < 0 ? 0 : n);
    cJSON_ReplaceItemInObjectCaseSensitive(o, "ReadReplicaDBInstanceIdentifiers", list);
    cJSON *x = instextra_parse(in);
    const char *src = instextra_str(x, INSTEXTRA_REPLICA_SOURCE);
    if (src && *src) {
        cJSON_AddStringToObject(o, "ReadReplicaSourceDBInstanceIdentifier", src);
        const cJSON *stt = instextra_object(x, INSTEXTRA_REPLICA_STATE);
        const char *status = instextra_str(stt, "Status");
        if (status) {
            cJSON *infos = cJSON_AddArrayToObject(o, "StatusInfos");
            cJSON *si = cJSON_CreateObject();
            cJSON_AddStringToObject(si, "StatusType", "read replication");
            cJSON_AddBoolToObject(si, "Normal", strcmp(status, "replicating") == 0);
            cJSON_AddStringToObject(si, "Status", status);
            const char *msg = instextra_str(stt, "Message");
            if (msg && *msg)
                cJSON_AddStringToObject(si, "Message", msg);
            cJSON_AddItemToArray(infos, si);
        }
        /* rdsim's: RDS publishes ReplicaLag as a CloudWatch metric only. */
        const node_health *v = in->primary_node ? health_get(r->health, in->primary_node) : NULL;
        if (v && v->up && v->in_recovery && v->replay_lag_ms >= 0)
            cJSON_AddNumberToObject(o, "ReplicaLag", (double)(v->replay_lag_ms / 1000));
    }
    cJSON_Delete(x);
}

/* ---- a node's spec ---- */

/* "slots": the slots of the replicas of a top source, on each of its nodes
 * (its standby becomes the primary that must hold them on a failover). */
static void spec_slots(region *r, const store_instance *in, cJSON *spec)
{
    char **ids = NULL;
    int n = replica_list(r, in->id, true, &ids);
    if (n < 0)
        return; /* no "slots": the agent leaves them as they are */
    cJSON *arr = cJSON_AddArrayToObject(spec, "slots");
    for (int i = 0; i < n; i++) {
        char slot[REPLICA_SLOT_MAX];
        replica_slot_name(ids[i], slot);
        cJSON_AddItemToArray(arr, cJSON_CreateString(slot));
        /* A Multi-AZ replica's standby streams from here too, on its own. */
        store_instance ri = {0};
        bool found = false;
        store_instance_get(r->st, ids[i], &ri, &found);
        if (found && ri.ha_state != HA_NONE) {
            replica_standby_slot_name(ids[i], slot);
            cJSON_AddItemToArray(arr, cJSON_CreateString(slot));
        }
        store_instance_clear(&ri);
    }
    replica_list_free(ids, n);
}

/* A hot standby refuses to run with a lower max_connections than its
 * upstream's: a replica of a smaller class takes its source's, as RDS
 * overrides "incompatible" replica parameters. */
static void spec_max_connections(const store_instance *src, cJSON *spec)
{
    cJSON *set = cJSON_GetObjectItemCaseSensitive(spec, "settings");
    const cJSON *mine = cJSON_GetObjectItemCaseSensitive(set, "max_connections");
    int64_t host = (int64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
    cJSON *theirs = paramgroup_system_settings(src->db_class, host);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(theirs, "max_connections");
    if (cJSON_IsString(mine) && cJSON_IsString(t) &&
        strtoll(t->valuestring, NULL, 10) > strtoll(mine->valuestring, NULL, 10))
        cJSON_ReplaceItemInObjectCaseSensitive(set, "max_connections",
                                               cJSON_CreateString(t->valuestring));
    cJSON_Delete(theirs);
}

bool replica_spec(region *r, const store_node *nd, const store_instance *in, cJSON *spec)
{
    char *src = replica_source_of(in);
    bool mine = nd->role == ROLE_PRIMARY;
    /* The slots of its replicas, on the primary node only: a slot on a
     * Multi-AZ standby would hold its WAL for nobody. A replica's own
     * primary node (a hot standby) makes them too (invariant 3). */
    if (mine)
        spec_slots(r, in, spec);
    if (!src)
        return false;
    store_instance s = {0};
    store_node up = {0};
    bool found = false, upfound = false;
    /* A Multi-AZ replica's standby streams from the source's primary as
     * well, on its own slot (not cascaded: its failover is a flip). */
    bool standby = nd->role == ROLE_STANDBY && nd->goal == GOAL_RUNNING;
    if (mine || standby)
        store_instance_get(r->st, src, &s, &found);
    if (found && s.primary_node)
        store_node_get(r->st, s.primary_node, &up, &upfound);
    if (mine) {
        cJSON_ReplaceItemInObjectCaseSensitive(spec, "role", cJSON_CreateString("standby"));
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "upstream");
    }
    if (found)
        spec_max_connections(&s, spec);
    if (upfound) {
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "upstream");
        cJSON *u = cJSON_AddObjectToObject(spec, "upstream");
        cJSON_AddStringToObject(u, "node_id", up.id);
        cJSON_AddStringToObject(u, "addr", up.addr);
        cJSON_AddNumberToObject(u, "port", (double)up.port);
        char slot[REPLICA_SLOT_MAX];
        if (mine)
            replica_slot_name(in->id, slot);
        else
            replica_standby_slot_name(in->id, slot);
        cJSON_AddStringToObject(u, "slot", slot);
        cJSON_AddTrueToObject(u, "follow");
    }
    store_node_clear(&up);
    store_instance_clear(&s);
    free(src);
    return mine;
}

/* ---- the cron ---- */

/* Records a new replication state in extra, with its event. */
static void state_set(store_instance *in, cJSON *x, const char *status,
                      const char *msg, int64_t rebuilt_ms)
{
    cJSON *st = cJSON_CreateObject();
    cJSON_AddStringToObject(st, "Status", status);
    if (msg)
        cJSON_AddStringToObject(st, "Message", msg);
    if (rebuilt_ms)
        cJSON_AddNumberToObject(st, "RebuiltMs", (double)rebuilt_ms);
    instextra_set_item(x, INSTEXTRA_REPLICA_STATE, st);
    instextra_store(in, x);
}

/* One replica: streaming or not, and what that changes. */
static bool tick_one(region *r, store_instance *in)
{
    char *src = replica_source_of(in);
    store_instance s = {0};
    bool found = false;
    if (src)
        store_instance_get(r->st, src, &s, &found);
    free(src);
    const node_health *v = in->primary_node ? health_get(r->health, in->primary_node) : NULL;
    const node_health *uv = found && s.primary_node ? health_get(r->health, s.primary_node) : NULL;
    /* A receiver that is there but has not moved while the upstream was
     * ahead (health_stall_update: an idle source never counts) is lost
     * WAL's twin: timed on every pass, so asked before any return. */
    int64_t stalled_ms = v && v->recv_pid && uv
                             ? health_recv_stalled_ms(r->health, in->primary_node, s.primary_node)
                             : 0;
    store_instance_clear(&s);
    if (!v || !v->known || !v->up || !v->in_recovery)
        return false;
    cJSON *x = instextra_parse(in);
    const cJSON *stt = instextra_object(x, INSTEXTRA_REPLICA_STATE);
    const char *status = instextra_str(stt, "Status");
    int64_t rebuilt = instextra_int(stt, "RebuiltMs", 0);
    int64_t now = wall_ms();
    bool changed = false;
    bool stalled = stalled_ms >= REPLICA_ERROR_MS;
    bool norecv = !v->recv_pid && v->norecv_since_ms &&
                  mono_ms() - v->norecv_since_ms >= REPLICA_ERROR_MS;
    if (v->recv_pid && !stalled) {
        if (!status || strcmp(status, "replicating") != 0) {
            state_set(in, x, "replicating", NULL, 0);
            events_emit(r, in->id, "RDS-EVENT-0046", NULL);
            changed = true;
        }
    } else if (uv && uv->up && (stalled || norecv) &&
               (!rebuilt || now - rebuilt >= REPLICA_REBUILD_EVERY_MS)) {
        /* Lost WAL (the slot gone, wal_keep_size passed), a timeline it
         * cannot follow, or a receiver that hangs: a fresh base backup,
         * never a stale replica. */
        if (!status || strcmp(status, "error") != 0)
            events_emit(r, in->id, "RDS-EVENT-0045", NULL);
        store_node nd = {0};
        bool nfound = false;
        store_node_get(r->st, in->primary_node, &nd, &nfound);
        if (nfound) {
            nd.rebuild_seq++;
            store_node_update(r->st, &nd);
            LOG_WARN("read replica not streaming, rebuilding id=%s node=%s rebuild_seq=%lld "
                     "stalled_ms=%lld",
                     in->id, nd.id, (long long)nd.rebuild_seq, (long long)stalled_ms);
        }
        store_node_clear(&nd);
        state_set(in, x, "error",
                  "Replication stopped: the replica could not stream from its source; it is "
                  "being rebuilt from a new base backup.", now);
        changed = true;
    }
    cJSON_Delete(x);
    return changed;
}

void replica_tick(region *r)
{
    sqlite3_stmt *st = sqlrow_cached(
        r->st, "SELECT id FROM instances WHERE json_valid(extra) AND "
               "json_extract(extra, '$." INSTEXTRA_REPLICA_SOURCE "') IS NOT NULL AND "
               "status = 'available' ORDER BY id");
    if (!st)
        return;
    char **ids = NULL;
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        ids = xrealloc(ids, (size_t)(n + 1) * sizeof *ids);
        ids[n++] = sqlrow_text(st, 0);
    }
    sqlrow_release(r->st, st);
    for (int i = 0; i < n; i++) {
        if (!store_begin(r->st))
            break;
        store_instance in = {0};
        bool found = false;
        store_instance_get(r->st, ids[i], &in, &found);
        if (found && tick_one(r, &in) && store_instance_update(r->st, &in))
            store_commit(r->st);
        else
            store_rollback(r->st);
        store_instance_clear(&in);
    }
    replica_list_free(ids, n);
}
