/* stopstart: see stopstart.h. */
#include "controlplane/domain/stopstart.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/agents.h"
#include "controlplane/core/lifecycle.h"
#include "controlplane/core/region.h"
#include "controlplane/domain/ha.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/domain/replica.h"
#include "controlplane/notify/events.h"
#include "controlplane/wf/wfsteps.h"
#include "lib/log.h"
#include "lib/util.h"

static char *stopped_key(const char *instance_id)
{
    return xasprintf("stopped_at:%s", instance_id);
}

bool stopstart_mark_stopped(region *r, const char *instance_id)
{
    char *key = stopped_key(instance_id);
    char val[32];
    snprintf(val, sizeof val, "%lld", (long long)region_now_ms(r));
    bool ok = store_meta_set(r->st, key, val);
    free(key);
    return ok;
}

int64_t stopstart_stopped_at(region *r, const char *instance_id)
{
    char *key = stopped_key(instance_id);
    char *val = store_meta_get(r->st, key);
    int64_t at = 0;
    if (!val || !str_to_int64(val, 0, INT64_MAX, &at))
        at = 0;
    free(val);
    free(key);
    return at;
}

/* RDS: "You can't stop a DB instance that has a read replica, or that is
 * a read replica" (User Guide, USER_StopInstance, Limitations); the
 * replica's text is the one AWS answers, the source's is rdsim's. */
static bool stop_allowed_by_replication(region *r, const store_instance *in, awserr *err)
{
    char *src = replica_source_of(in);
    bool is_replica = src != NULL;
    free(src);
    if (is_replica)
        return awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                          "Cannot stop or start a Read-Replica instance");
    char **ids = NULL;
    int n = replica_list(r, in->id, true, &ids);
    if (n > 0)
        awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                   "Cannot stop or start an instance that has Read-Replica instances (%s%s). "
                   "Promote or delete them first.", ids[0], n > 1 ? ", ..." : "");
    else if (n < 0)
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    replica_list_free(ids, n < 0 ? 0 : n);
    return n == 0;
}

bool stopstart_begin_stop(region *r, store_instance *in, awserr *err)
{
    if (!stop_allowed_by_replication(r, in, err))
        return false;
    if (in->status != STATUS_AVAILABLE)
        return awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                          "Instance %s is not in available state.", in->id);
    cJSON *data = cJSON_CreateObject();
    bool ok = lifecycle_apply(in->id, &in->status, STATUS_STOPPING) &&
              store_instance_update(r->st, in) && workflow_start(r, in->id, "stop", data);
    cJSON_Delete(data);
    if (!ok)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    LOG_INFO("stopping instance=%s", in->id);
    return true;
}

bool stopstart_begin_start(region *r, store_instance *in, bool automatic, awserr *err)
{
    if (in->status != STATUS_STOPPED)
        return awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                          "Instance %s is not stopped, it cannot be started.", in->id);
    cJSON *data = cJSON_CreateObject();
    cJSON *fe = cJSON_AddArrayToObject(data, "finish_events");
    cJSON_AddItemToArray(fe, cJSON_CreateString("RDS-EVENT-0088"));
    char *key = stopped_key(in->id);
    bool ok = lifecycle_apply(in->id, &in->status, STATUS_STARTING) &&
              (!automatic || events_emit(r, in->id, "RDS-EVENT-0154", NULL)) &&
              store_meta_set(r->st, key, "") && store_instance_update(r->st, in) &&
              workflow_start(r, in->id, "start", data);
    free(key);
    cJSON_Delete(data);
    if (!ok)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    LOG_INFO("starting instance=%s automatic=%d", in->id, automatic);
    return true;
}

/* ---- the workflows' steps ---- */

/* Every node's postgres is shut down cleanly (the synchronous standby list
 * stays as it is: a primary cannot acknowledge a commit its standby does
 * not have, so the standby is still a safe promotion target on start). */
static wf_result stopstart_step_stop_nodes(wf_ctx *c)
{
    /* After the start the standby must prove again that it is synchronous
     * (ha.c's building), and the health views from before the stop must
     * not look like a primary lost: no failover until then. */
    ha_state ha = c->in->ha_state;
    if ((ha == HA_HEALTHY || ha == HA_BUILDING) &&
        ha_apply(c->in->id, &c->in->ha_state, HA_STANDBY_LOST))
        c->dirty = true;
    return wf_move_goals(c, GOAL_RUNNING, GOAL_STOPPED) ? WF_NEXT : WF_WAIT;
}

static wf_result stopstart_step_wait_stopped(wf_ctx *c)
{
    store_node *nodes = NULL;
    int n = store_node_list(c->r->st, c->in->id, NULL, &nodes);
    if (n < 0)
        return WF_WAIT;
    wf_result res = WF_NEXT;
    for (int i = 0; i < n; i++) {
        if (nodes[i].goal != GOAL_STOPPED)
            continue;
        const agent_node_report *rep =
            agents_node_report(c->r->agents, nodes[i].agent_id, nodes[i].id);
        if (!rep || rep->generation < nodes[i].generation || rep->state != AGENT_NODE_STOPPED)
            res = WF_WAIT;
    }
    store_node_list_free(nodes, n);
    return res;
}

static wf_result stopstart_step_stop_finish(wf_ctx *c)
{
    if (!lifecycle_apply(c->in->id, &c->in->status, STATUS_STOPPED))
        return wf_fail(c, "cannot become stopped from %s", instance_status_name(c->in->status));
    if (!stopstart_mark_stopped(c->r, c->in->id))
        return WF_WAIT;
    events_emit(c->r, c->in->id, "RDS-EVENT-0087", NULL);
    c->dirty = true;
    return WF_NEXT;
}

static wf_result stopstart_step_start_nodes(wf_ctx *c)
{
    paramgroup_on_restart(c->r, c->in);
    c->dirty = true;
    return wf_move_goals(c, GOAL_STOPPED, GOAL_RUNNING) ? WF_NEXT : WF_WAIT;
}

bool stopstart_tick(region *r)
{
    char **ids = NULL;
    int n = store_instance_list(r->st, NULL, 10000, &ids);
    bool any = false;
    int64_t now = region_now_ms(r);
    for (int i = 0; i < n; i++) {
        int64_t at = stopstart_stopped_at(r, ids[i]);
        if (at == 0 || now - at < STOPSTART_MAX_STOPPED_MS || !store_begin(r->st))
            continue;
        store_instance in = {0};
        bool found = false;
        awserr err = {0};
        if (store_instance_get(r->st, ids[i], &in, &found) && found &&
            in.status == STATUS_STOPPED && stopstart_begin_start(r, &in, true, &err) &&
            store_commit(r->st)) {
            LOG_INFO("instance stopped for 7 days: starting it instance=%s", in.id);
            any = true;
        } else {
            store_rollback(r->st);
        }
        store_instance_clear(&in);
    }
    for (int i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    return any;
}

/* ---- the kinds ---- */

static const wf_step stop_steps[] = {
    {"stop_nodes", stopstart_step_stop_nodes, "wait_stopped", 0},
    {"wait_stopped", stopstart_step_wait_stopped, "finish", WF_T_CREATE},
    {"finish", stopstart_step_stop_finish, NULL, 0},
};

static const wf_step start_steps[] = {
    {"start_nodes", stopstart_step_start_nodes, "wait_running", 0},
    {"wait_running", wf_step_wait_running, "finish", WF_T_CREATE},
    {"finish", wf_step_finish_available, NULL, 0},
};

const wf_kind stopstart_kinds[] = {
    {"stop", stop_steps, WF_NSTEPS(stop_steps), NULL, wf_on_fail_status},
    {"start", start_steps, WF_NSTEPS(start_steps), NULL, wf_on_fail_status},
    {NULL, NULL, 0, NULL, NULL},
};
