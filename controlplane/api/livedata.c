/* livedata: see livedata.h. */
#include "controlplane/api/livedata.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "controlplane/obs/cwstore.h"
#include "controlplane/view/instview.h"
#include "lib/util.h"

/* Copies the string member `from` of src into dst as `to` (absent stays
 * absent). */
static void copy_str(cJSON *dst, const char *to, const cJSON *src, const char *from)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, from);
    if (cJSON_IsString(v))
        cJSON_AddStringToObject(dst, to, v->valuestring);
}

static cJSON *instance_doc(region *r, const store_instance *in)
{
    cJSON *full = instview_render(r, in);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", in->id);
    copy_str(o, "status", full, "DBInstanceStatus");
    copy_str(o, "engine", full, "Engine");
    copy_str(o, "class", full, "DBInstanceClass");
    copy_str(o, "az", full, "AvailabilityZone");
    copy_str(o, "secondary_az", full, "SecondaryAvailabilityZone");
    cJSON_AddBoolToObject(o, "multi_az", in->multi_az);
    cJSON_AddStringToObject(o, "ha_state", ha_state_name(in->ha_state));
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(full, "Endpoint");
    if (ep)
        copy_str(o, "endpoint", ep, "Address");
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(full, "TagList");
    cJSON_AddItemToObject(o, "tags", cJSON_IsArray(tags) ? cJSON_Duplicate(tags, true)
                                                         : cJSON_CreateArray());
    cJSON_Delete(full);
    return o;
}

static void add_failovers(region *r, cJSON *list)
{
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, "SELECT instance_id, kind, state, data, created_ms FROM workflows"
               " WHERE kind IN ('failover','switchover','replica_switchover') ORDER BY id DESC LIMIT ?1");
    if (!st)
        return;
    sqlite3_bind_int(st, 1, LIVEDATA_MAX_FAILOVERS);
    while (sqlite3_step(st) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "instance", (const char *)sqlite3_column_text(st, 0));
        cJSON_AddStringToObject(o, "kind", (const char *)sqlite3_column_text(st, 1));
        cJSON_AddStringToObject(o, "state", (const char *)sqlite3_column_text(st, 2));
        cJSON_AddNumberToObject(o, "detected_ms", (double)sqlite3_column_int64(st, 4));
        cJSON *data = cJSON_Parse((const char *)sqlite3_column_text(st, 3));
        static const char *const stamps[] = {"promoted_ms", "flipped_ms"};
        for (size_t i = 0; i < sizeof stamps / sizeof stamps[0]; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, stamps[i]);
            if (cJSON_IsNumber(v))
                cJSON_AddNumberToObject(o, stamps[i], v->valuedouble);
        }
        cJSON_Delete(data);
        cJSON_AddItemToArray(list, o);
    }
    sqlite3_finalize(st);
}

cJSON *livedata_state(region *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "region", r->cfg.name);
    cJSON *list = cJSON_AddArrayToObject(root, "instances");
    char **ids = NULL;
    int n = store_instance_list(r->st, NULL, LIVEDATA_MAX_INSTANCES, &ids);
    for (int i = 0; i < n; i++) {
        store_instance in = {0};
        bool found = false;
        if (store_instance_get(r->st, ids[i], &in, &found) && found)
            cJSON_AddItemToArray(list, instance_doc(r, &in));
        store_instance_clear(&in);
        free(ids[i]);
    }
    free(ids);
    add_failovers(r, cJSON_AddArrayToObject(root, "failovers"));
    return root;
}

cJSON *livedata_events(region *r, int64_t after_id)
{
    cJSON *list = cJSON_CreateArray();
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, after_id < 0
                   ? "SELECT * FROM (SELECT id, source_id, source_type, event_id, message, date_ms"
                     " FROM events ORDER BY id DESC LIMIT ?2) ORDER BY id"
                   : "SELECT id, source_id, source_type, event_id, message, date_ms FROM events"
                     " WHERE id > ?1 ORDER BY id LIMIT ?2");
    if (!st)
        return list;
    if (after_id >= 0)
        sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, LIVEDATA_MAX_EVENTS);
    while (sqlite3_step(st) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, 0));
        static const char *const names[] = {"source_id", "source_type", "event_id", "message"};
        for (int i = 0; i < 4; i++) {
            const unsigned char *t = sqlite3_column_text(st, i + 1);
            cJSON_AddStringToObject(o, names[i], t ? (const char *)t : "");
        }
        cJSON_AddNumberToObject(o, "date_ms", (double)sqlite3_column_int64(st, 5));
        cJSON_AddItemToArray(list, o);
    }
    sqlite3_finalize(st);
    return list;
}

int64_t livedata_events_last_id(region *r)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT IFNULL(MAX(id), 0) FROM events");
    if (!st)
        return 0;
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return id;
}

/* The graphs: CloudWatch's AWS/RDS metrics by DBInstanceIdentifier, the
 * average of each 60 s period, shown in `unit` after dividing by `scale`. */
static const struct {
    const char *metric, *unit;
    double scale;
} graphs[] = {
    {"CPUUtilization", "%", 1},
    {"FreeableMemory", "MiB", 1048576},
    {"DatabaseConnections", "count", 1},
    {"WriteIOPS", "IOPS", 1},
};

cJSON *livedata_metrics(region *r, const char *instance_id)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "source", "CloudWatch AWS/RDS, 60 s averages");
    cJSON_AddStringToObject(root, "instance", instance_id);
    cJSON *series = cJSON_AddArrayToObject(root, "series");
    cJSON *dims = cJSON_CreateArray(), *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "Name", "DBInstanceIdentifier");
    cJSON_AddStringToObject(d, "Value", instance_id);
    cJSON_AddItemToArray(dims, d);
    awserr err = {0};
    char *canon = cwstore_dims_canon(dims, "Dimensions", &err);
    cJSON_Delete(dims);
    int64_t now_s = region_now_ms(r) / 1000;
    int64_t end = (now_s / 60 + 1) * 60, start = end - 3600 - 60; /* the last hour and this minute */
    for (size_t g = 0; g < sizeof graphs / sizeof graphs[0]; g++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", graphs[g].metric);
        cJSON_AddStringToObject(o, "unit", graphs[g].unit);
        cJSON *pts = cJSON_AddArrayToObject(o, "points");
        cJSON_AddItemToArray(series, o);
        cw_stat *st = NULL;
        int n = canon ? cwstore_stats(r->st, "AWS/RDS", graphs[g].metric, canon, NULL, start, end,
                                      60, now_s, 62, &st, &err)
                      : 0;
        for (int k = 0; k < n; k++) {
            if (st[k].n <= 0)
                continue;
            cJSON *p = cJSON_CreateArray();
            cJSON_AddItemToArray(p, cJSON_CreateNumber((double)st[k].ts * 1000.0));
            cJSON_AddItemToArray(p, cJSON_CreateNumber(st[k].sum / st[k].n / graphs[g].scale));
            cJSON_AddItemToArray(pts, p);
        }
        free(st);
    }
    free(canon);
    return root;
}
