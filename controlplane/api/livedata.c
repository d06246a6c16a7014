/* livedata: see livedata.h. */
#include "controlplane/api/livedata.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
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
               " WHERE kind IN ('failover','switchover') ORDER BY id DESC LIMIT ?1");
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

/* The number s.a.b of an Enhanced Monitoring sample, or -1 (none of
 * them is negative). */
static double sample_num(const cJSON *s, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, a), b);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

cJSON *livedata_metrics(region *r, const char *instance_id)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "source", "enhanced-monitoring");
    cJSON_AddStringToObject(root, "instance", instance_id);
    cJSON *series = cJSON_AddArrayToObject(root, "series");
    cJSON *cpu = cJSON_CreateObject(), *mem = cJSON_CreateObject();
    cJSON_AddStringToObject(cpu, "name", "CPU");
    cJSON_AddStringToObject(cpu, "unit", "%");
    cJSON *cpu_pts = cJSON_AddArrayToObject(cpu, "points");
    cJSON_AddStringToObject(mem, "name", "Free memory");
    cJSON_AddStringToObject(mem, "unit", "MiB");
    cJSON *mem_pts = cJSON_AddArrayToObject(mem, "points");
    cJSON_AddItemToArray(series, cpu);
    cJSON_AddItemToArray(series, mem);
    /* The newest 360 samples (an hour at 10 s), oldest first. */
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, "SELECT * FROM (SELECT ts_ms, sample FROM em_samples WHERE instance_id=?1"
               " ORDER BY ts_ms DESC LIMIT 360) ORDER BY ts_ms");
    if (!st)
        return root;
    sqlrow_bind_text(st, 1, instance_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        double t = (double)sqlite3_column_int64(st, 0);
        cJSON *s = cJSON_Parse((const char *)sqlite3_column_text(st, 1));
        double c = sample_num(s, "cpuUtilization", "total");
        double m = sample_num(s, "memory", "free"); /* KiB, as RDSOSMetrics */
        if (c >= 0) {
            cJSON *p = cJSON_CreateArray();
            cJSON_AddItemToArray(p, cJSON_CreateNumber(t));
            cJSON_AddItemToArray(p, cJSON_CreateNumber(c));
            cJSON_AddItemToArray(cpu_pts, p);
        }
        if (m >= 0) {
            cJSON *p = cJSON_CreateArray();
            cJSON_AddItemToArray(p, cJSON_CreateNumber(t));
            cJSON_AddItemToArray(p, cJSON_CreateNumber(m / 1024.0));
            cJSON_AddItemToArray(mem_pts, p);
        }
        cJSON_Delete(s);
    }
    sqlite3_finalize(st);
    return root;
}
