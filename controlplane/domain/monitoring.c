/* monitoring: see monitoring.h.
 *
 * Table (in core/store.c's schema): em_samples(instance_id, ts_ms, sample) with
 * ts_ms on the region clock and sample the RDSOSMetrics JSON text. */
#include "controlplane/domain/monitoring.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/instextra.h"
#include "controlplane/core/region.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

/* Through the store's statement cache (issue 18: these run for every
 * node's telemetry, every second); every statement goes back with
 * store_stmt_release (step_done does). */
static sqlite3_stmt *prep(region *r, const char *sql)
{
    return store_stmt_cached(r->st, sql);
}

static bool step_done(region *r, sqlite3_stmt *st)
{
    int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
    if (st && rc != SQLITE_DONE)
        LOG_ERROR("sql step failed rc=%d", rc);
    store_stmt_release(r->st, st);
    return rc == SQLITE_DONE;
}

int monitoring_interval(const store_instance *in)
{
    return (int)instextra_monitoring_interval(in);
}

char *monitoring_resource_arn(const region *r, const store_instance *in)
{
    return xasprintf("arn:aws:logs:%s:%s:log-group:RDSOSMetrics:log-stream:%s", r->cfg.name,
                     r->cfg.account, in->resource_id);
}

static void set_str(cJSON *o, const char *k, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    cJSON_AddStringToObject(o, k, v);
}

bool monitoring_record(region *r, const store_instance *in, cJSON *os)
{
    int64_t now = region_now_ms(r);
    char ts[40];
    rclock_format(now, ts, sizeof ts);
    /* RDS's timestamps have whole seconds: "2026-11-24T06:12:03Z". */
    char *dot = strchr(ts, '.');
    if (dot)
        snprintf(dot, sizeof ts - (size_t)(dot - ts), "Z");
    set_str(os, "instanceID", in->id);
    set_str(os, "instanceResourceID", in->resource_id);
    set_str(os, "timestamp", ts);
    char *text = cJSON_PrintUnformatted(os);
    sqlite3_stmt *st = prep(r, "INSERT INTO em_samples(instance_id, ts_ms, sample) VALUES(?1,?2,?3)");
    if (st) {
        sqlite3_bind_text(st, 1, in->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_text(st, 3, text, -1, SQLITE_TRANSIENT);
    }
    free(text);
    bool ok = step_done(r, st);
    st = prep(r, "DELETE FROM em_samples WHERE instance_id=?1 AND ts_ms < ?2");
    if (st) {
        sqlite3_bind_text(st, 1, in->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, now - MONITORING_RETENTION_MS);
    }
    return step_done(r, st) && ok;
}

bool monitoring_prune_orphans(region *r)
{
    return step_done(r, prep(r, "DELETE FROM em_samples WHERE instance_id NOT IN "
                             "(SELECT id FROM instances)"));
}

bool monitoring_action_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *id = params_get(p, "DBInstanceIdentifier");
    if (!id || !*id)
        return awserr_set(err, AWSERR_MISSING_PARAMETER,
                          "The request must contain the parameter DBInstanceIdentifier");
    int64_t start = 0, end = INT64_MAX;
    const char *s = params_get(p, "StartTime"), *e = params_get(p, "EndTime");
    if (s && !rclock_parse(s, &start))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid StartTime: %s", s);
    if (e && !rclock_parse(e, &end))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid EndTime: %s", e);
    if (start > end)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "StartTime must be before EndTime.");
    char *lower = str_lower(xstrdup(id));
    store_instance in = {0};
    bool found = false;
    store_instance_get(r->st, lower, &in, &found);
    free(lower);
    if (!found) {
        store_instance_clear(&in);
        return awserr_set(err, AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", id);
    }
    bool range = s || e;
    cJSON_AddStringToObject(result, "DBInstanceIdentifier", in.id);
    cJSON_AddNumberToObject(result, "MonitoringInterval", monitoring_interval(&in));
    char *arn = monitoring_resource_arn(r, &in);
    cJSON_AddStringToObject(result, "EnhancedMonitoringResourceArn", arn);
    free(arn);
    cJSON *list = cJSON_AddArrayToObject(result, "Samples");
    sqlite3_stmt *st = prep(r, range ? "SELECT sample FROM em_samples WHERE instance_id=?1 AND"
                                       " ts_ms >= ?2 AND ts_ms <= ?3 ORDER BY ts_ms LIMIT ?4"
                                     : "SELECT sample FROM em_samples WHERE instance_id=?1"
                                       " ORDER BY ts_ms DESC LIMIT 1");
    if (st) {
        sqlite3_bind_text(st, 1, in.id, -1, SQLITE_TRANSIENT);
        if (range) {
            sqlite3_bind_int64(st, 2, start);
            sqlite3_bind_int64(st, 3, end);
            sqlite3_bind_int(st, 4, MONITORING_MAX_RESULTS);
        }
        while (sqlite3_step(st) == SQLITE_ROW) {
            cJSON *one = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
            if (one)
                cJSON_AddItemToArray(list, one);
        }
        store_stmt_release(r->st, st);
    }
    store_instance_clear(&in);
    return true;
}
