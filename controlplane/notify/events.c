/* events: see events.h. */
#include "controlplane/notify/events.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/notify/evsub.h"
#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/util.h"

typedef struct {
    const char *id;
    const char *categories;
    const char *message;
} event_def;

static const event_def event_table[] = {
    {"RDS-EVENT-0001", "backup", "Backing up DB instance."},
    {"RDS-EVENT-0002", "backup", "Finished DB instance backup."},
    {"RDS-EVENT-0003", "deletion", "DB instance deleted."},
    {"RDS-EVENT-0004", "availability", "DB instance shutdown."},
    {"RDS-EVENT-0005", "creation", "DB instance created."},
    {"RDS-EVENT-0006", "availability", "DB instance restarted."},
    {"RDS-EVENT-0012", "configuration change",
     "Applying modification to database instance class."},
    {"RDS-EVENT-0013", "failover", "Multi-AZ instance failover started."},
    {"RDS-EVENT-0014", "configuration change",
     "Finished applying modification to DB instance class."},
    {"RDS-EVENT-0015", "failover",
     "Multi-AZ failover to standby complete - DNS propagation may take a few minutes."},
    {"RDS-EVENT-0016", "configuration change", "Reset master credentials."},
    {"RDS-EVENT-0017", "configuration change",
     "Finished applying modification to allocated storage."},
    {"RDS-EVENT-0018", "configuration change", "Applying modification to allocated storage."},
    {"RDS-EVENT-0020", "recovery",
     "Recovery of the DB instance has started. Recovery time will vary with the amount of "
     "data to be recovered."},
    {"RDS-EVENT-0021", "recovery", "Recovery of the DB instance is complete."},
    {"RDS-EVENT-0024", "configuration change",
     "Applying modification to convert to a Multi-AZ DB instance."},
    {"RDS-EVENT-0025", "configuration change",
     "Finished applying modification to convert to a Multi-AZ DB instance."},
    {"RDS-EVENT-0026", "maintenance", "Applying off-line patches to DB instance."},
    {"RDS-EVENT-0027", "maintenance", "Finished applying off-line patches to DB instance."},
    {"RDS-EVENT-0028", "configuration change", "Disabled automated backups."},
    {"RDS-EVENT-0029", "configuration change",
     "Finished applying modification to convert to a standard (Single-AZ) DB instance."},
    {"RDS-EVENT-0030", "configuration change",
     "Applying modification to convert to a standard (Single-AZ) DB instance."},
    {"RDS-EVENT-0031", "failure",
     "DB instance put into failed state. RDS recommends that you initiate a "
     "point-in-time-restore."},
    {"RDS-EVENT-0032", "configuration change", "Enabled automated backups."},
    {"RDS-EVENT-0047", "maintenance", "Database instance patched."},
    {"RDS-EVENT-0049", "failover", "Multi-AZ instance failover completed."},
    {"RDS-EVENT-0052", "recovery", "Multi-AZ instance recovery started."},
    {"RDS-EVENT-0053", "recovery",
     "Multi-AZ instance recovery completed. Pending failover or activation."},
    {"RDS-EVENT-0087", "notification", "DB instance stopped."},
    {"RDS-EVENT-0088", "notification", "DB instance started."},
    {"RDS-EVENT-0154", "notification",
     "DB instance is being started due to it exceeding the maximum allowed time being stopped."},
    {"RDS-EVENT-0278", "failure", "The DB instance creation failed."},
    /* Read replicas (domain/replica.c). */
    {"RDS-EVENT-0045", "read replica", "Replication has stopped."},
    {"RDS-EVENT-0046", "read replica", "Replication for the Read Replica resumed."},
    {"RDS-EVENT-0057", "read replica", "Replication streaming has been terminated."},
    {"RDS-EVENT-0202", "read replica", "Read replica creation failed."},
    /* Enhanced Monitoring and storage (controlplane/telemetry.c, storage.c);
     * the messages with blanks are filled by the caller. */
    {"RDS-EVENT-0007", "low storage",
     "Allocated storage has been exhausted. Allocate additional storage to resolve."},
    {"RDS-EVENT-0078", "configuration change", "Monitoring Interval changed to 0."},
    {"RDS-EVENT-0089", "low storage",
     "The free storage capacity for DB instance is low."},
    {"RDS-EVENT-0217", "configuration change",
     "Applying autoscaling-initiated modification to allocated storage."},
    {"RDS-EVENT-0218", "configuration change",
     "Finished applying autoscaling-initiated modification to allocated storage."},
    {"RDS-EVENT-0221", "availability",
     "DB instance has reached the storage-full threshold, and the database has been shut "
     "down. You can increase the allocated storage to address this issue."},
    {"RDS-EVENT-0224", "failure",
     "The storage autoscaling request would exceed the maximum storage threshold."},
    {"RDS-EVENT-0225", "notification",
     "Storage size is approaching the maximum storage threshold."},
    /* db-cluster sources (domain/clusterwf.c; RDS-REFERENCE-2 §7) */
    {"RDS-EVENT-0069", "failover",
     "Cluster failover failed, check the health of your cluster instances and try again."},
    {"RDS-EVENT-0070", "failover", "Promoting previous primary again"},
    {"RDS-EVENT-0071", "failover", "Completed failover to DB instance"},
    {"RDS-EVENT-0072", "failover", "Started same AZ failover to DB instance"},
    {"RDS-EVENT-0073", "failover", "Started cross AZ failover to DB instance"},
    {"RDS-EVENT-0170", "creation", "DB cluster created."},
    /* db-cluster-snapshot sources (domain/snaprow.c, domain/clusterab.c; User Guide
     * USER_Events.Messages, "DB cluster snapshot events") */
    {"RDS-EVENT-0074", "backup", "Creating manual cluster snapshot."},
    {"RDS-EVENT-0075", "backup", "Manual cluster snapshot created."},
    {"RDS-EVENT-0168", "backup", "Creating automated cluster snapshot."},
    {"RDS-EVENT-0169", "backup", "Automated cluster snapshot created."},
    /* db-snapshot sources (events_emit_source) */
    {"RDS-EVENT-0040", "creation", "Creating manual snapshot."},
    {"RDS-EVENT-0041", "deletion", "Deleted user snapshot."},
    {"RDS-EVENT-0042", "creation", "Manual snapshot created."},
    {"RDS-EVENT-0043", "restoration", "Restored from snapshot"},
    {"RDS-EVENT-0019", "restoration", "Restored from DB instance"},
    {"RDS-EVENT-0196", "notification", "Started copy of snapshot."},
    {"RDS-EVENT-0197", "notification", "Finished copy of snapshot."},
};

const char *const events_categories[] = {
    "availability", "backup", "configuration change", "creation", "deletion", "failover",
    "failure", "low storage", "maintenance", "notification", "read replica", "recovery",
    "restoration", "security", "security patching", NULL,
};

bool events_lookup(const char *event_id, const char **message, const char **categories)
{
    for (size_t i = 0; i < sizeof event_table / sizeof event_table[0]; i++) {
        if (strcmp(event_table[i].id, event_id) == 0) {
            *message = event_table[i].message;
            *categories = event_table[i].categories;
            return true;
        }
    }
    return false;
}

bool events_emit(region *r, const char *instance_id, const char *event_id, const char *detail)
{
    char *arn = region_instance_arn(r, instance_id);
    bool ok = events_emit_source(r, "db-instance", instance_id, arn, event_id, detail);
    free(arn);
    return ok;
}

bool events_emit_source(region *r, const char *source_type, const char *source_id,
                        const char *arn, const char *event_id, const char *detail)
{
    const char *message, *cats;
    if (!events_lookup(event_id, &message, &cats)) {
        LOG_ERROR("unknown event id=%s", event_id);
        return false;
    }
    cJSON *arr = cJSON_CreateArray();
    cJSON_AddItemToArray(arr, cJSON_CreateString(cats));
    char *cats_json = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    store_event e = {
        .source_id = (char *)source_id,
        .source_type = (char *)source_type,
        .event_id = (char *)event_id,
        .message = (char *)(detail ? detail : message),
        .categories = cats_json,
        .date_ms = region_now_ms(r),
        .source_arn = (char *)arn,
    };
    /* The event and its notifications' delivery rows commit together,
     * also when the caller has no transaction open (a savepoint is one). */
    sqlite3 *db = store_sqlite(r->st);
    bool ok = sqlite3_exec(db, "SAVEPOINT events_emit", NULL, NULL, NULL) == SQLITE_OK;
    ok = ok && store_event_insert(r->st, &e) &&
         evsub_fanout(r, e.source_type, e.source_id, e.source_arn, e.event_id, e.message,
                      e.categories, e.date_ms);
    if (!ok)
        sqlite3_exec(db, "ROLLBACK TO events_emit", NULL, NULL, NULL);
    sqlite3_exec(db, "RELEASE events_emit", NULL, NULL, NULL);
    if (ok)
        LOG_INFO("event %s=%s id=%s", source_type, source_id, event_id);
    free(cats_json);
    return ok;
}

bool events_prune(region *r, int *n)
{
    *n = 0;
    sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM events WHERE date_ms < ?");
    if (!st)
        return false;
    sqlite3_bind_int64(st, 1, region_now_ms(r) - EVENTS_KEEP_MS);
    if (!sqlrow_run(st))
        return false;
    *n = sqlite3_changes(store_sqlite(r->st));
    return true;
}
