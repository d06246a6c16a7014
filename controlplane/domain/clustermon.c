/* clustermon: clusterwf.h's monitor (clusterwf_tick), one cluster per
 * transaction, recomputed from the store and the probes on every pass so
 * a controlplane crash anywhere is resumed by the next pass. */
#include "controlplane/domain/clusterwf.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/health.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/ha.h"
#include "controlplane/notify/events.h"
#include "lib/log.h"
#include "lib/util.h"

typedef struct {
    region *r;
    health *h;
    cluster_row c;
    int n;
    store_instance mi[CLUSTER_MEMBERS];
    store_node nd[CLUSTER_MEMBERS];
    bool has_node[CLUSTER_MEMBERS];
    int w;          /* the writer's index, -1 if unknown */
    bool changed;
} mon;

static bool emit(region *r, const char *cluster_id, const char *event, const char *detail)
{
    char *arn = cluster_arn(r, cluster_id);
    bool ok = events_emit_source(r, "db-cluster", cluster_id, arn, event, detail);
    free(arn);
    return ok;
}

static void mon_load(mon *m)
{
    char **ids = NULL;
    int n = cluster_members(m->r, m->c.id, &ids);
    m->w = -1;
    for (int i = 0; i < n && m->n < CLUSTER_MEMBERS; i++) {
        bool found = false;
        int k = m->n;
        if (!store_instance_get(m->r->st, ids[i], &m->mi[k], &found))
            continue;
        if (m->mi[k].primary_node)
            store_node_get(m->r->st, m->mi[k].primary_node, &m->nd[k], &m->has_node[k]);
        if (m->c.writer && strcmp(m->c.writer, m->mi[k].id) == 0)
            m->w = k;
        m->n++;
    }
    cluster_ids_free(ids, n < 0 ? 0 : n);
}

static void mon_clear(mon *m)
{
    for (int i = 0; i < m->n; i++) {
        store_instance_clear(&m->mi[i]);
        if (m->has_node[i])
            store_node_clear(&m->nd[i]);
    }
    cluster_clear(&m->c);
}

/* A failover (or a create, delete...) of a member owns the cluster. */
static bool mon_member_failing_over(mon *m)
{
    bool any = false;
    for (int i = 0; i < m->n; i++) {
        store_workflow w = {0};
        bool active = false;
        if (store_workflow_active_for(m->r->st, m->mi[i].id, &w, &active) && active &&
            strncmp(w.kind, "cluster_", 8) == 0 && strcmp(w.kind, CLUSTERWF_READER_KIND) != 0)
            any = true;
        store_workflow_clear(&w);
    }
    return any;
}

static bool all_members(const mon *m, instance_status st)
{
    if (m->n != CLUSTER_MEMBERS)
        return false;
    for (int i = 0; i < m->n; i++)
        if (m->mi[i].status != st)
            return false;
    return true;
}

/* The reader endpoint answers the readers whose last probe answered from
 * a server in recovery. */
static void mon_readers_up(mon *m)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < m->n; i++) {
        if (i == m->w || !m->has_node[i])
            continue;
        const node_health *v = health_get(m->h, m->nd[i].id);
        if (v && v->up && v->fails == 0 && v->in_recovery)
            cJSON_AddItemToArray(arr, cJSON_CreateString(m->nd[i].id));
    }
    char *s = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    if (strcmp(s, m->c.readers_up ? m->c.readers_up : "[]") != 0) {
        LOG_INFO("cluster reader endpoint cluster=%s readers=%s", m->c.id, s);
        free(m->c.readers_up);
        m->c.readers_up = s;
        m->changed = true;
    } else {
        free(s);
    }
}

/* The writer lists both readers (ANY 1) and holds supervise=report, so a
 * crash is failed over rather than restarted on the old timeline. */
static void mon_writer_settings(mon *m)
{
    if (m->w < 0 || !m->has_node[m->w])
        return;
    store_node *wn = &m->nd[m->w];
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < m->n; i++)
        if (i != m->w && m->has_node[i])
            cJSON_AddItemToArray(arr, cJSON_CreateString(m->nd[i].id));
    char *want = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    bool save = false;
    if (strcmp(want, wn->sync_standbys ? wn->sync_standbys : "[]") != 0) {
        LOG_INFO("cluster synchronous standbys cluster=%s writer=%s list=%s", m->c.id, wn->id,
                 want);
        free(wn->sync_standbys);
        wn->sync_standbys = want;
        want = NULL;
        save = true;
    }
    free(want);
    if (wn->supervise != SUPERVISE_REPORT) {
        wn->supervise = SUPERVISE_REPORT;
        save = true;
    }
    if (save) {
        wn->generation++;
        store_node_update(m->r->st, wn);
        m->changed = true;
    }
}

static void mon_available(mon *m)
{
    if (m->w < 0 || !m->has_node[m->w])
        return;
    store_node *wn = &m->nd[m->w];
    if (!ha_node_lost(m->r, m->h, wn)) {
        mon_writer_settings(m);
        return;
    }
    awserr err = {0};
    if (clusterwf_start_failover(m->r, &m->c, NULL, false, &err)) {
        m->changed = true;
        return;
    }
    /* Nothing can be promoted: the writer's own host must bring it back. */
    if (wn->supervise != SUPERVISE_RESTART) {
        LOG_WARN("cluster writer lost, no reader ready cluster=%s writer=%s why=\"%s\"",
                 m->c.id, wn->id, err.message);
        wn->supervise = SUPERVISE_RESTART;
        wn->generation++;
        store_node_update(m->r->st, wn);
        emit(m->r, m->c.id, "RDS-EVENT-0069", NULL);
        m->changed = true;
    }
}

static void mon_eval(mon *m)
{
    mon_readers_up(m);
    cluster_status st = m->c.status, to = st;
    switch (st) {
    case CLUSTER_CREATING:
        if (all_members(m, STATUS_AVAILABLE)) {
            mon_writer_settings(m);
            to = CLUSTER_AVAILABLE;
        }
        break;
    case CLUSTER_AVAILABLE:
        mon_available(m);
        break;
    case CLUSTER_REBOOTING:
    case CLUSTER_MODIFYING:
    case CLUSTER_STARTING:
        if (all_members(m, STATUS_AVAILABLE))
            to = CLUSTER_AVAILABLE;
        break;
    case CLUSTER_STOPPING:
        if (all_members(m, STATUS_STOPPED))
            to = CLUSTER_STOPPED;
        break;
    default:
        break;
    }
    if (to != st && cluster_status_apply(m->c.id, &m->c.status, to)) {
        m->changed = true;
        if (st == CLUSTER_CREATING)
            emit(m->r, m->c.id, "RDS-EVENT-0170", NULL);
    }
}

static bool tick_one(region *r, health *h, const char *id)
{
    if (!store_begin(r->st))
        return false;
    mon m = {.r = r, .h = h};
    bool found = cluster_get(r, id, &m.c), any = false;
    if (found)
        mon_load(&m);
    if (found && m.c.status == CLUSTER_DELETING) {
        if (m.n == 0 && cluster_delete(r, id)) {
            LOG_INFO("cluster deleted cluster=%s", id);
            m.changed = true;
        }
    } else if (found && !mon_member_failing_over(&m)) {
        mon_eval(&m);
        if (m.changed && !cluster_update(r, &m.c))
            m.changed = false;
    }
    if (m.changed && store_commit(r->st))
        any = true;
    else
        store_rollback(r->st);
    mon_clear(&m);
    return any;
}

bool clusterwf_tick(region *r, health *h)
{
    char **ids = NULL;
    int n = cluster_list(r, NULL, 100000, &ids);
    bool any = false;
    for (int i = 0; i < n; i++)
        any |= tick_one(r, h, ids[i]);
    cluster_ids_free(ids, n < 0 ? 0 : n);
    return any;
}
