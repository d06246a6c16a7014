/* maint: see maint.h. */
#include "controlplane/domain/maint.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/instextra.h"
#include "controlplane/core/lifecycle.h"
#include "controlplane/core/region.h"
#include "controlplane/core/validate.h"
#include "controlplane/domain/failover.h"
#include "controlplane/domain/ha.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/domain/replica.h"
#include "controlplane/notify/events.h"
#include "controlplane/wf/wfsteps.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

/* ---- window arithmetic ---- */

#define MIN_MS 60000LL
#define WEEK_MS (7LL * 24 * 60 * MIN_MS)
/* 1970-01-05T00:00Z, the first Monday of the epoch (1970-01-01 was a
 * Thursday). */
#define FIRST_MONDAY_MS (4LL * 24 * 60 * MIN_MS)

/* ms since the Monday 00:00 UTC at or before t_ms (0 ≤ result < WEEK_MS). */
static int64_t week_offset(int64_t t_ms)
{
    return ((t_ms - FIRST_MONDAY_MS) % WEEK_MS + WEEK_MS) % WEEK_MS;
}

bool maint_window_contains(int start_min, int end_min, int64_t t_ms)
{
    int64_t off = week_offset(t_ms), s = start_min * MIN_MS, e = end_min * MIN_MS;
    if (s == e)
        return false;
    return s < e ? off >= s && off < e : off >= s || off < e;
}

int64_t maint_window_next_start(int start_min, int64_t t_ms)
{
    int64_t at = t_ms - week_offset(t_ms) + start_min * MIN_MS;
    while (at <= t_ms)
        at += WEEK_MS;
    return at;
}

bool maint_window_due(int start_min, int end_min, int64_t since_ms, int64_t now_ms)
{
    return maint_window_contains(start_min, end_min, now_ms) ||
           (since_ms < now_ms && maint_window_next_start(start_min, since_ms) <= now_ms);
}

/* ---- small helpers ---- */

static void set_str(char **field, const char *value)
{
    char *copy = value ? xstrdup(value) : NULL;
    free(*field);
    *field = copy;
}

static cJSON *json_obj(const char *text)
{
    cJSON *o = cJSON_Parse(text ? text : "{}");
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        o = cJSON_CreateObject();
    }
    return o;
}

static void json_store(char **field, const cJSON *o)
{
    char *text = cJSON_PrintUnformatted(o);
    free(*field);
    *field = text;
}

static const char *json_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool json_has_str(const cJSON *arr, const char *s)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
        if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0)
            return true;
    return false;
}

/* The meta value under "maint:<what>:<id>[:<action>]", "" when none
 * (malloc'd). */
static char *meta_get(region *r, const char *what, const char *id, const char *action)
{
    char *key = action ? xasprintf("maint:%s:%s:%s", what, id, action)
                       : xasprintf("maint:%s:%s", what, id);
    char *v = store_meta_get(r->st, key);
    free(key);
    return v ? v : xstrdup("");
}

static bool meta_set(region *r, const char *what, const char *id, const char *action,
                     const char *value)
{
    char *key = action ? xasprintf("maint:%s:%s:%s", what, id, action)
                       : xasprintf("maint:%s:%s", what, id);
    bool ok = store_meta_set(r->st, key, value);
    free(key);
    return ok;
}

/* ---- the actions offered ---- */

#define ACTION_DB_UPGRADE "db-upgrade"
#define ACTION_SYSTEM_UPDATE "system-update"

/* The installed version is a newer minor of the instance's major. */
static bool db_upgrade_offered(const region *r, const store_instance *in)
{
    size_t nmaj = strlen(r->pg_major);
    return strcmp(in->engine_version, r->pg_version) != 0 &&
           strncmp(in->engine_version, r->pg_major, nmaj) == 0 && in->engine_version[nmaj] == '.';
}

static bool system_update_offered(region *r, const store_instance *in)
{
    char *v = meta_get(r, "system", in->id, NULL);
    int64_t level = 0;
    if (*v && !str_to_int64(v, 0, INT64_MAX, &level))
        level = 0;
    free(v);
    return level < MAINT_SYSTEM_LEVEL;
}

static bool action_offered(region *r, const store_instance *in, const char *action)
{
    if (strcmp(action, ACTION_DB_UPGRADE) == 0)
        return db_upgrade_offered(r, in);
    if (strcmp(action, ACTION_SYSTEM_UPDATE) == 0)
        return system_update_offered(r, in);
    return false;
}

static bool auto_minor_upgrade(const store_instance *in)
{
    return instextra_auto_minor_upgrade(in);
}

static const char *const maint_actions[] = {ACTION_SYSTEM_UPDATE, ACTION_DB_UPGRADE, NULL};

/* ---- the nodes' settings during a rolling change ---- */

void maint_node_settings(const store_instance *in, const char *node_id, char *cls,
                         size_t cls_size, int64_t *restart_seq)
{
    cJSON *extra = instextra_parse(in);
    const cJSON *roll = instextra_object(extra, INSTEXTRA_MAINT_ROLLING);
    if (json_has_str(cJSON_GetObjectItemCaseSensitive(roll, "nodes"), node_id)) {
        const char *c = json_str(roll, "class");
        const cJSON *seq = cJSON_GetObjectItemCaseSensitive(roll, "restart_seq");
        if (c)
            snprintf(cls, cls_size, "%s", c);
        if (cJSON_IsNumber(seq))
            *restart_seq = (int64_t)seq->valuedouble;
    }
    cJSON_Delete(extra);
}

/* ---- applying ---- */

/* Starts the "maintain" workflow for a class change and/or actions. */
static bool begin_maintain(region *r, store_instance *in, const char *cls, const cJSON *actions,
                           awserr *err)
{
    cJSON *data = cJSON_CreateObject();
    cJSON *fe = cJSON_AddArrayToObject(data, "finish_events");
    if (cls) {
        cJSON_AddStringToObject(data, "class", cls);
        events_emit(r, in->id, "RDS-EVENT-0012", NULL);
        cJSON_AddItemToArray(fe, cJSON_CreateString("RDS-EVENT-0014"));
    }
    cJSON *acts = cJSON_AddArrayToObject(data, "actions");
    const cJSON *a;
    bool patches = false;
    cJSON_ArrayForEach(a, actions) {
        if (!cJSON_IsString(a) || json_has_str(acts, a->valuestring))
            continue;
        cJSON_AddItemToArray(acts, cJSON_CreateString(a->valuestring));
        patches = true;
        if (strcmp(a->valuestring, ACTION_DB_UPGRADE) == 0)
            cJSON_AddStringToObject(data, "engine_version", r->pg_version);
    }
    if (patches) {
        events_emit(r, in->id, "RDS-EVENT-0026", NULL);
        cJSON_AddItemToArray(fe, cJSON_CreateString("RDS-EVENT-0027"));
        if (json_str(data, "engine_version"))
            cJSON_AddItemToArray(fe, cJSON_CreateString("RDS-EVENT-0047"));
    }
    bool ok = lifecycle_apply(in->id, &in->status, STATUS_MODIFYING) &&
              workflow_start(r, in->id, "maintain", data);
    cJSON_Delete(data);
    if (!ok)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    LOG_INFO("maintenance started instance=%s class=%s", in->id, cls ? cls : "-");
    return true;
}

bool maint_begin(region *r, store_instance *in, cJSON *pending, const cJSON *actions,
                 bool allow_workflow, awserr *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(pending, "BackupRetentionPeriod");
    if (cJSON_IsNumber(v)) {
        int64_t ret = (int64_t)v->valuedouble;
        if ((ret == 0) != (in->backup_retention == 0))
            events_emit(r, in->id, ret == 0 ? "RDS-EVENT-0028" : "RDS-EVENT-0032", NULL);
        in->backup_retention = ret;
        cJSON_DeleteItemFromObjectCaseSensitive(pending, "BackupRetentionPeriod");
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(pending, "AllocatedStorage");
    const char *stype = json_str(pending, "StorageType");
    const cJSON *iops = cJSON_GetObjectItemCaseSensitive(pending, "Iops");
    if (cJSON_IsNumber(st) && (int64_t)st->valuedouble != in->allocated_storage) {
        events_emit(r, in->id, "RDS-EVENT-0018", NULL);
        events_emit(r, in->id, "RDS-EVENT-0017", NULL);
        in->allocated_storage = (int64_t)st->valuedouble;
    }
    if (stype) {
        set_str(&in->storage_type, stype);
        if (!cJSON_IsNumber(iops))
            in->iops = 0; /* as the immediate path: a new type without Iops has none */
    }
    if (cJSON_IsNumber(iops))
        in->iops = (int64_t)iops->valuedouble;
    cJSON_DeleteItemFromObjectCaseSensitive(pending, "AllocatedStorage");
    cJSON_DeleteItemFromObjectCaseSensitive(pending, "StorageType");
    cJSON_DeleteItemFromObjectCaseSensitive(pending, "Iops");
    /* A queued certificate rotation (api/instmodify.c): the nodes get
     * certificates of the new CA with their next spec, by a reload. */
    const char *ca = json_str(pending, "CACertificateIdentifier");
    if (ca) {
        cJSON *extra = instextra_parse(in);
        instextra_set_str(extra, INSTEXTRA_CA_CERT, ca);
        instextra_store(in, extra);
        cJSON_Delete(extra);
        LOG_INFO("certificate rotation instance=%s ca=%s", in->id, ca);
        cJSON_DeleteItemFromObjectCaseSensitive(pending, "CACertificateIdentifier");
    }
    if (!allow_workflow)
        return true;
    const char *cls = json_str(pending, "DBInstanceClass");
    if (cls && strcmp(cls, in->db_class) == 0) {
        cJSON_DeleteItemFromObjectCaseSensitive(pending, "DBInstanceClass");
        cls = NULL;
    }
    if (cls || cJSON_GetArraySize(actions) > 0)
        return begin_maintain(r, in, cls, actions, err);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pending, "MultiAZ")) && !in->multi_az &&
        r->cfg.naz >= 2) {
        cJSON *data = cJSON_CreateObject();
        cJSON_AddBoolToObject(data, "multi_az", true);
        cJSON *fe = cJSON_AddArrayToObject(data, "finish_events");
        cJSON_AddItemToArray(fe, cJSON_CreateString("RDS-EVENT-0025"));
        bool ok = events_emit(r, in->id, "RDS-EVENT-0024", NULL) &&
                  lifecycle_apply(in->id, &in->status, STATUS_MODIFYING) &&
                  workflow_start(r, in->id, "convert", data);
        cJSON_Delete(data);
        if (!ok)
            return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    }
    return true;
}

/* The "maintain" workflow's last step: records what was applied (class,
 * engine version, system level), clears the opt-ins and the pending class. */
static bool maint_finish(region *r, store_instance *in, const cJSON *data)
{
    const char *cls = json_str(data, "class");
    if (cls)
        set_str(&in->db_class, cls);
    const char *ver = json_str(data, "engine_version");
    if (ver)
        set_str(&in->engine_version, ver);
    cJSON *extra = instextra_parse(in);
    if (instextra_has(extra, INSTEXTRA_MAINT_ROLLING)) {
        instextra_remove(extra, INSTEXTRA_MAINT_ROLLING);
        instextra_store(in, extra);
    }
    cJSON_Delete(extra);
    cJSON *pending = json_obj(in->pending);
    const char *pc = json_str(pending, "DBInstanceClass");
    if (pc && strcmp(pc, in->db_class) == 0) {
        cJSON_DeleteItemFromObjectCaseSensitive(pending, "DBInstanceClass");
        json_store(&in->pending, pending);
    }
    cJSON_Delete(pending);
    bool ok = true;
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(data, "actions")) {
        if (!cJSON_IsString(a))
            continue;
        ok = ok && meta_set(r, "optin", in->id, a->valuestring, "");
        if (strcmp(a->valuestring, ACTION_SYSTEM_UPDATE) == 0) {
            char lvl[24];
            snprintf(lvl, sizeof lvl, "%d", MAINT_SYSTEM_LEVEL);
            ok = ok && meta_set(r, "system", in->id, NULL, lvl);
        }
    }
    LOG_INFO("maintenance finished instance=%s class=%s engine_version=%s", in->id, in->db_class,
             in->engine_version);
    return ok;
}

/* ---- the workflow's steps ---- */

/* The current standby (role standby, goal running) of the instance, into
 * *out; false if none. */
static bool find_standby(region *r, const store_instance *in, store_node *out)
{
    store_node *nodes = NULL;
    int n = store_node_list(r->st, in->id, NULL, &nodes);
    bool found = false;
    for (int i = 0; i < n && !found; i++)
        if (nodes[i].role == ROLE_STANDBY && nodes[i].goal == GOAL_RUNNING) {
            *out = nodes[i];
            memset(&nodes[i], 0, sizeof nodes[i]);
            found = true;
        }
    store_node_list_free(nodes, n < 0 ? 0 : n);
    return found;
}

/* Bumps the node's generation; sync_standbys non-NULL replaces its list,
 * and restart sets its supervise mode to restart. */
static bool node_bump(region *r, const char *node_id, const char *sync_standbys, bool restart)
{
    store_node nd = {0};
    bool found = false;
    if (!store_node_get(r->st, node_id, &nd, &found) || !found)
        return false;
    if (sync_standbys)
        set_str(&nd.sync_standbys, sync_standbys);
    if (restart)
        nd.supervise = SUPERVISE_RESTART;
    nd.generation++;
    bool ok = store_node_update(r->st, &nd);
    store_node_clear(&nd);
    return ok;
}

/* Single-AZ: the one node restarts with the new class. Multi-AZ: the
 * standby restarts first, with synchronous replication relaxed while it is
 * away so the primary keeps committing (ha.c then rebuilds the sync). */
static wf_result maint_step_begin(wf_ctx *c)
{
    region *r = c->r;
    store_instance *in = c->in;
    cJSON *data = c->data;
    /* The nodes restart: pending parameter changes come with it. */
    paramgroup_on_restart(r, in);
    const char *cls = json_str(data, "class");
    /* A Multi-AZ read replica restarts both nodes at once: its standby
     * follows the source, it cannot be switched over to by promotion,
     * and no write waits on a replica. */
    char *src = replica_source_of(in);
    bool multi = in->multi_az && in->ha_state != HA_NONE && !src;
    free(src);
    if (!multi) {
        cJSON_AddBoolToObject(data, "single", true);
        if (cls)
            set_str(&in->db_class, cls);
        in->restart_seq++;
        c->dirty = true;
        return wf_bump_nodes(c) ? WF_NEXT : WF_WAIT;
    }
    if (in->ha_state != HA_HEALTHY || !in->primary_node)
        return WF_WAIT; /* the standby must be synchronous first: it will be promoted */
    store_node sb = {0};
    if (!find_standby(r, in, &sb))
        return WF_WAIT;
    cJSON_DeleteItemFromObjectCaseSensitive(data, "old");
    cJSON_DeleteItemFromObjectCaseSensitive(data, "new");
    cJSON_AddStringToObject(data, "old", in->primary_node);
    cJSON_AddStringToObject(data, "new", sb.id);
    cJSON *extra = instextra_parse(in);
    cJSON *roll = instextra_set_item(extra, INSTEXTRA_MAINT_ROLLING, cJSON_CreateObject());
    cJSON_AddStringToObject(roll, "class", cls ? cls : in->db_class);
    cJSON_AddNumberToObject(roll, "restart_seq", (double)(in->restart_seq + 1));
    cJSON *nodes = cJSON_AddArrayToObject(roll, "nodes");
    cJSON_AddItemToArray(nodes, cJSON_CreateString(sb.id));
    instextra_store(in, extra);
    cJSON_Delete(extra);
    bool ok = ha_apply(in->id, &in->ha_state, HA_STANDBY_LOST) &&
              node_bump(r, in->primary_node, "[]", true) && node_bump(r, sb.id, NULL, false);
    if (!ok)
        wf_fail(c, "cannot restart the standby %s first", sb.id);
    else
        LOG_INFO("maintenance: standby first instance=%s standby=%s class=%s", in->id, sb.id,
                 cls ? cls : in->db_class);
    store_node_clear(&sb);
    c->dirty = true;
    return ok ? WF_NEXT : WF_FAIL;
}

/* The standby runs the new settings and is synchronous again: the
 * instance takes them on (the fenced old primary restarts with them) and
 * the planned switchover begins. */
static wf_result maint_step_prepare_switch(wf_ctx *c)
{
    region *r = c->r;
    store_instance *in = c->in;
    cJSON *data = c->data;
    if (in->ha_state != HA_HEALTHY)
        return WF_WAIT;
    store_node sb = {0};
    if (!find_standby(r, in, &sb))
        return WF_WAIT;
    const char *want = json_str(data, "new");
    if (!want || strcmp(sb.id, want) != 0) {
        /* ha.c replaced the standby meanwhile: it restarts with the new
         * settings too before it may be promoted. */
        cJSON *extra = instextra_parse(in);
        cJSON *nodes = cJSON_GetObjectItemCaseSensitive(
            instextra_object(extra, INSTEXTRA_MAINT_ROLLING), "nodes");
        if (cJSON_IsArray(nodes) && !json_has_str(nodes, sb.id))
            cJSON_AddItemToArray(nodes, cJSON_CreateString(sb.id));
        instextra_store(in, extra);
        cJSON_Delete(extra);
        cJSON_DeleteItemFromObjectCaseSensitive(data, "new");
        cJSON_AddStringToObject(data, "new", sb.id);
        node_bump(r, sb.id, NULL, false);
        store_node_clear(&sb);
        c->dirty = true;
        return WF_WAIT;
    }
    store_node_clear(&sb);
    cJSON *extra = instextra_parse(in);
    const cJSON *roll = instextra_object(extra, INSTEXTRA_MAINT_ROLLING);
    const char *cls = json_str(roll, "class");
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(roll, "restart_seq");
    if (cls)
        set_str(&in->db_class, cls);
    if (cJSON_IsNumber(seq))
        in->restart_seq = (int64_t)seq->valuedouble;
    instextra_remove(extra, INSTEXTRA_MAINT_ROLLING);
    instextra_store(in, extra);
    cJSON_Delete(extra);
    c->dirty = true;
    if (!ha_apply(in->id, &in->ha_state, HA_FAILING_OVER))
        return WF_FAIL;
    events_emit(r, in->id, "RDS-EVENT-0013", NULL);
    LOG_INFO("maintenance: switching over instance=%s to=%s", in->id, json_str(data, "new"));
    return WF_NEXT;
}

/* Multi-AZ: the standby restarted with the new settings and is
 * synchronous again. */
static wf_result maint_step_wait_standby(wf_ctx *c)
{
    wf_result res = wf_step_wait_running(c);
    if (res == WF_NEXT && c->in->ha_state != HA_HEALTHY)
        res = WF_WAIT;
    return res;
}

static wf_result maint_step_wait_healthy(wf_ctx *c)
{
    return c->in->ha_state == HA_HEALTHY ? WF_NEXT : WF_WAIT;
}

static wf_result maint_step_finish(wf_ctx *c)
{
    if (!maint_finish(c->r, c->in, c->data))
        return WF_WAIT;
    c->dirty = true;
    return wf_step_finish_available(c);
}

/* A Single-AZ "maintain" (data.single) has no standby to run ahead and
 * nothing to switch over: only begin, wait_running and finish run. */
static bool maint_skip(const wf_step *def, const cJSON *data)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "single")) &&
           strcmp(def->step, "begin") != 0 && strcmp(def->step, "wait_running") != 0 &&
           strcmp(def->step, "finish") != 0;
}

/* Single-AZ: begin → wait_running → finish. Multi-AZ: the standby first,
 * then a planned switchover to it (failover.h's steps), then the old
 * primary. */
static const wf_step maintain_steps[] = {
    {"begin", maint_step_begin, "wait_standby", WF_T_CREATE},
    {"wait_standby", maint_step_wait_standby, "prepare_switch", WF_T_CREATE},
    {"prepare_switch", maint_step_prepare_switch, "fence", WF_T_CREATE},
    {"fence", failover_step_fence, "wait_fenced", 0},
    {"wait_fenced", failover_step_wait_fenced, "promote", 0},
    {"promote", failover_step_promote, "wait_promoted", 0},
    {"wait_promoted", failover_step_wait_promoted, "flip", WF_T_CREATE},
    {"flip", failover_step_flip, "wait_running", 0},
    {"wait_running", wf_step_wait_running, "wait_healthy", WF_T_CREATE},
    {"wait_healthy", maint_step_wait_healthy, "finish", WF_T_CREATE},
    {"finish", maint_step_finish, NULL, 0},
};

const wf_kind maint_kinds[] = {
    {"maintain", maintain_steps, (int)(sizeof maintain_steps / sizeof maintain_steps[0]),
     maint_skip, wf_on_fail_status},
    {NULL, NULL, 0, NULL, NULL},
};

/* ---- the cron ---- */

/* What the window applies to one instance: its opted-in actions and, with
 * AutoMinorVersionUpgrade, an offered db-upgrade. */
static cJSON *due_actions(region *r, const store_instance *in)
{
    cJSON *acts = cJSON_CreateArray();
    for (int i = 0; maint_actions[i]; i++) {
        const char *a = maint_actions[i];
        if (!action_offered(r, in, a))
            continue;
        char *opt = meta_get(r, "optin", in->id, a);
        bool due = strcmp(opt, "next-maintenance") == 0 ||
                   (strcmp(a, ACTION_DB_UPGRADE) == 0 && auto_minor_upgrade(in));
        free(opt);
        if (due)
            cJSON_AddItemToArray(acts, cJSON_CreateString(a));
    }
    return acts;
}

static bool tick_one(region *r, const char *id, int64_t since, int64_t now)
{
    if (!store_begin(r->st))
        return false;
    store_instance in = {0};
    bool found = false, busy = false, started = false;
    store_workflow w = {0};
    int ws = 0, we = 0;
    cJSON *pending = NULL, *acts = NULL;
    if (!store_instance_get(r->st, id, &in, &found) || !found ||
        in.status != STATUS_AVAILABLE ||
        !validate_parse_maintenance_window(in.maintenance_window, &ws, &we) ||
        !maint_window_due(ws, we, since, now))
        goto done;
    if (!store_workflow_active_for(r->st, in.id, &w, &busy) || busy)
        goto done;
    pending = json_obj(in.pending);
    acts = due_actions(r, &in);
    if (cJSON_GetArraySize(pending) == 0 && cJSON_GetArraySize(acts) == 0)
        goto done;
    LOG_INFO("maintenance window instance=%s window=%s pending=%d actions=%d", in.id,
             in.maintenance_window, cJSON_GetArraySize(pending), cJSON_GetArraySize(acts));
    awserr err = {0};
    if (maint_begin(r, &in, pending, acts, true, &err)) {
        json_store(&in.pending, pending);
        started = store_instance_update(r->st, &in) && store_commit(r->st);
    }
done:
    if (!started)
        store_rollback(r->st);
    store_workflow_clear(&w);
    cJSON_Delete(pending);
    cJSON_Delete(acts);
    store_instance_clear(&in);
    return started;
}

bool maint_tick(region *r)
{
    int64_t now = region_now_ms(r);
    char *v = store_meta_get(r->st, "maint:checked_at");
    int64_t since = now;
    bool have = v && *v && str_to_int64(v, 0, INT64_MAX, &since);
    if (!have)
        since = now;
    free(v);
    char **ids = NULL;
    int n = store_instance_list(r->st, NULL, 10000, &ids);
    bool any = false;
    for (int i = 0; i < n; i++)
        any |= tick_one(r, ids[i], since, now);
    for (int i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    if (n >= 0 && (!have || now != since)) {
        char buf[24];
        snprintf(buf, sizeof buf, "%lld", (long long)now);
        store_meta_set(r->st, "maint:checked_at", buf);
    }
    return any;
}

/* ---- the API ---- */

/* The ResourcePendingMaintenanceActions of one instance, or NULL when it
 * has none. */
static cJSON *render_resource(region *r, const store_instance *in)
{
    cJSON *details = cJSON_CreateArray();
    int64_t now = region_now_ms(r);
    int ws = 0, we = 0;
    bool win = validate_parse_maintenance_window(in->maintenance_window, &ws, &we);
    for (int i = 0; maint_actions[i]; i++) {
        const char *a = maint_actions[i];
        if (!action_offered(r, in, a))
            continue;
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "Action", a);
        char *opt = meta_get(r, "optin", in->id, a);
        bool auto_applied = strcmp(a, ACTION_DB_UPGRADE) == 0 && auto_minor_upgrade(in);
        char date[40];
        if (*opt)
            cJSON_AddStringToObject(d, "OptInStatus", opt);
        if (strcmp(opt, "immediate") == 0) {
            cJSON_AddStringToObject(d, "CurrentApplyDate", rclock_format(now, date, sizeof date));
        } else if ((strcmp(opt, "next-maintenance") == 0 || auto_applied) && win) {
            int64_t at = maint_window_contains(ws, we, now) ? now
                                                            : maint_window_next_start(ws, now);
            cJSON_AddStringToObject(d, "CurrentApplyDate", rclock_format(at, date, sizeof date));
        }
        if (auto_applied && win)
            cJSON_AddStringToObject(d, "AutoAppliedAfterDate",
                                    rclock_format(maint_window_next_start(ws, now), date,
                                                  sizeof date));
        char *desc = strcmp(a, ACTION_DB_UPGRADE) == 0
                         ? xasprintf("Upgrade to PostgreSQL %s (the region's installed minor "
                                     "version; restarts the nodes, standby first)",
                                     r->pg_version)
                         : xasprintf("rdsim system update %d: restart of the nodes on the "
                                     "region's PostgreSQL %s binaries, standby first",
                                     MAINT_SYSTEM_LEVEL, r->pg_version);
        cJSON_AddStringToObject(d, "Description", desc);
        free(desc);
        free(opt);
        cJSON_AddItemToArray(details, d);
    }
    if (cJSON_GetArraySize(details) == 0) {
        cJSON_Delete(details);
        return NULL;
    }
    cJSON *res = cJSON_CreateObject();
    char *arn = region_instance_arn(r, in->id);
    cJSON_AddStringToObject(res, "ResourceIdentifier", arn);
    free(arn);
    cJSON_AddItemToObject(res, "PendingMaintenanceActionDetails", details);
    return res;
}

/* The instance an ARN names (lowercased id into *in); ResourceNotFoundFault
 * otherwise. */
static bool load_by_arn(region *r, const char *arn, store_instance *in, awserr *err)
{
    char *id = region_instance_arn_id(r, arn);
    bool found = false;
    if (id && *id)
        store_instance_get(r->st, id, in, &found);
    free(id);
    if (!found)
        return awserr_set(err, AWSERR_RESOURCE_NOT_FOUND, "The specified resource ID %s was not "
                          "found.", arn);
    return true;
}

bool maint_action_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    int64_t max;
    if (!params_get_paging(p, &max, NULL, err))
        return false;
    const char *rid = params_get(p, "ResourceIdentifier");
    cJSON *list = cJSON_AddArrayToObject(result, "PendingMaintenanceActions");
    /* Filters: db-instance-id (identifiers or ARNs); db-cluster-id matches
     * nothing (no clusters here). */
    int nf = params_count_structs(p, "Filters", "Filter", err);
    if (nf < 0)
        return false;
    cJSON *ids = NULL;
    for (int i = 1; i <= nf; i++) {
        const char *name = params_get_struct_field(p, "Filters", "Filter", i, "Name");
        if (!name || (strcmp(name, "db-instance-id") != 0 && strcmp(name, "db-cluster-id") != 0)) {
            cJSON_Delete(ids);
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Unrecognized filter name: %s",
                              name ? name : "");
        }
        if (!ids)
            ids = cJSON_CreateArray();
        if (strcmp(name, "db-cluster-id") == 0)
            continue;
        char *prefix = xasprintf("Filters.Filter.%d.Values", i);
        const char **vals = NULL;
        int nv = params_get_list(p, prefix, "Value", &vals, err);
        free(prefix);
        if (nv < 0) {
            cJSON_Delete(ids);
            return false;
        }
        for (int j = 0; j < nv; j++) {
            char *id = region_instance_id_from(vals[j]);
            cJSON_AddItemToArray(ids, cJSON_CreateString(id));
            free(id);
        }
        free(vals);
    }
    if (rid) {
        store_instance in = {0};
        bool ok = load_by_arn(r, rid, &in, err);
        if (ok && (!ids || json_has_str(ids, in.id))) {
            cJSON *res = render_resource(r, &in);
            if (res)
                cJSON_AddItemToArray(list, res);
        }
        store_instance_clear(&in);
        cJSON_Delete(ids);
        return ok;
    }
    const char *marker = params_get(p, "Marker");
    char **names = NULL;
    int n = store_instance_list(r->st, marker, 10000, &names);
    int count = 0;
    const char *last = NULL;
    for (int i = 0; i < n; i++) {
        if (ids && !json_has_str(ids, names[i]))
            continue;
        store_instance in = {0};
        bool found = false;
        cJSON *res = NULL;
        if (store_instance_get(r->st, names[i], &in, &found) && found)
            res = render_resource(r, &in);
        store_instance_clear(&in);
        if (res && count == max) {
            cJSON_Delete(res);
            cJSON_AddStringToObject(result, "Marker", last);
            break;
        }
        if (res) {
            cJSON_AddItemToArray(list, res);
            count++;
            last = names[i];
        }
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    cJSON_Delete(ids);
    return n >= 0 ? true
                  : awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
}

bool maint_action_apply(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *rid = params_require(p, "ResourceIdentifier", err);
    const char *action = rid ? params_require(p, "ApplyAction", err) : NULL;
    const char *opt = action ? params_require(p, "OptInType", err) : NULL;
    if (!opt)
        return false;
    if (strcmp(opt, "immediate") != 0 && strcmp(opt, "next-maintenance") != 0 &&
        strcmp(opt, "undo-opt-in") != 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid value %.64s for OptInType: must be immediate, "
                          "next-maintenance or undo-opt-in.", opt);
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    store_instance in = {0};
    char *have = NULL;
    bool ok = false;
    if (!load_by_arn(r, rid, &in, err))
        goto done;
    if (!action_offered(r, &in, action)) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "The pending maintenance action %.64s is not available for %s.", action,
                   rid);
        goto done;
    }
    have = meta_get(r, "optin", in.id, action);
    if (strcmp(have, "immediate") == 0) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "The maintenance action %.64s is already being applied to %s.", action, in.id);
        goto done;
    }
    if (strcmp(opt, "immediate") == 0) {
        if (in.status != STATUS_AVAILABLE) {
            awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                       "Instance %s is not in available state.", in.id);
            goto done;
        }
        cJSON *acts = cJSON_CreateArray();
        cJSON_AddItemToArray(acts, cJSON_CreateString(action));
        /* The action alone: queued modifications wait for their window. */
        bool begun = begin_maintain(r, &in, NULL, acts, err);
        cJSON_Delete(acts);
        if (!begun || !store_instance_update(r->st, &in))
            goto done;
    }
    if (!meta_set(r, "optin", in.id, action, strcmp(opt, "undo-opt-in") == 0 ? "" : opt)) {
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        goto done;
    }
    cJSON *res = render_resource(r, &in);
    if (!res) {
        res = cJSON_CreateObject();
        char *arn = region_instance_arn(r, in.id);
        cJSON_AddStringToObject(res, "ResourceIdentifier", arn);
        free(arn);
        cJSON_AddArrayToObject(res, "PendingMaintenanceActionDetails");
    }
    if (!store_commit(r->st)) {
        cJSON_Delete(res);
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        goto done;
    }
    cJSON_AddItemToObject(result, "ResourcePendingMaintenanceActions", res);
    LOG_INFO("maintenance action instance=%s action=%s opt_in=%s", in.id, action, opt);
    ok = true;
done:
    if (!ok)
        store_rollback(r->st);
    free(have);
    store_instance_clear(&in);
    return ok;
}
