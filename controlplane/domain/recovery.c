/* recovery: see recovery.h. */
#include "controlplane/domain/recovery.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/agents.h"
#include "controlplane/core/lifecycle.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/autobackup.h"
#include "controlplane/notify/events.h"
#include "controlplane/wf/wfsteps.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

/* The instance's primary is reported data-lost by its agent. */
static bool primary_data_lost(region *r, const store_instance *in)
{
    if (!in->primary_node)
        return false;
    store_node nd = {0};
    bool found = false;
    bool lost = false;
    if (store_node_get(r->st, in->primary_node, &nd, &found) && found) {
        const agent_node_report *rep = agents_node_report(r->agents, nd.agent_id, nd.id);
        lost = rep && rep->state == AGENT_NODE_DATA_LOST;
        if (lost)
            LOG_ERROR("primary's data lost instance=%s node=%s agent=%s error=\"%s\"", in->id,
                      nd.id, nd.agent_id, rep->error);
    }
    store_node_clear(&nd);
    return lost;
}

/* In the caller's transaction: recover (Single-AZ with a restorable
 * backup) or fail the instance. false when it is ha.c's to fail over, or
 * nothing could be changed. *started: a workflow was started. */
static bool recovery_begin(region *r, store_instance *in, bool *started)
{
    if (in->multi_az && in->ha_state == HA_HEALTHY)
        return false; /* domain/ha.c fails over to the synchronous standby */
    int64_t target = 0;
    /* A cluster member's backups are its cluster's (clusterpitr.h), never
     * a restore of this one member. */
    if (!in->multi_az && !in->cluster_id && autobackup_recover_record(r, in, &target)) {
        cJSON *data = cJSON_CreateObject();
        cJSON_AddNumberToObject(data, "target_ms", (double)target);
        cJSON *fin = cJSON_AddArrayToObject(data, "finish_events");
        cJSON_AddItemToArray(fin, cJSON_CreateString("RDS-EVENT-0021"));
        bool ok = lifecycle_apply(in->id, &in->status, STATUS_REBOOTING) &&
                  events_emit(r, in->id, "RDS-EVENT-0020", NULL) &&
                  workflow_start(r, in->id, "recover", data);
        cJSON_Delete(data);
        if (ok) {
            char t[40];
            LOG_WARN("recovering instance=%s from its automated backups target_real=%s", in->id,
                     rclock_format(target, t, sizeof t));
            *started = true;
        }
        return ok;
    }
    LOG_ERROR("instance failed: its primary's data is lost and no automated backup can "
              "restore it instance=%s retention=%lld multi_az=%s ha_state=%s", in->id,
              (long long)in->backup_retention, in->multi_az ? "yes" : "no",
              ha_state_name(in->ha_state));
    return lifecycle_apply(in->id, &in->status, STATUS_FAILED) &&
           events_emit(r, in->id, "RDS-EVENT-0031", NULL);
}

bool recovery_tick(region *r)
{
    char **ids = NULL;
    int nids = store_instance_list(r->st, NULL, 10000, &ids);
    bool any = false;
    for (int i = 0; i < nids; i++) {
        if (!store_begin(r->st))
            break;
        store_instance in = {0};
        store_workflow w = {0};
        bool found = false, busy = false;
        store_instance_get(r->st, ids[i], &in, &found);
        if (found)
            store_workflow_active_for(r->st, in.id, &w, &busy);
        store_workflow_clear(&w);
        bool changed = found && !busy && in.status == STATUS_AVAILABLE &&
                       primary_data_lost(r, &in) && recovery_begin(r, &in, &any);
        if (!(changed && store_instance_update(r->st, &in) && store_commit(r->st)))
            store_rollback(r->st);
        store_instance_clear(&in);
    }
    for (int i = 0; i < nids; i++)
        free(ids[i]);
    free(ids);
    return any;
}

bool recovery_active(region *r, const char *instance_id)
{
    store_workflow w = {0};
    bool found = false;
    bool active = store_workflow_active_for(r->st, instance_id, &w, &found) && found &&
                  w.kind && strcmp(w.kind, "recover") == 0;
    store_workflow_clear(&w);
    return active;
}

/* ---- the kind ---- */

/* The restore is recorded (autobackup_recover_record, with the status and
 * the workflow); a new generation makes the primary's agent apply the
 * spec that now carries it, with "initialized": false. */
static wf_result recovery_step_restore(wf_ctx *c)
{
    return wf_bump_nodes(c) ? WF_NEXT : WF_WAIT;
}

/* The restore is done: the spec loses it (and says initialized again). */
static wf_result recovery_step_finish(wf_ctx *c)
{
    autobackup_forget_restore(c->r, c->in->id);
    LOG_INFO("recovery complete instance=%s", c->in->id);
    return wf_step_finish_available(c);
}

static void recovery_on_fail(wf_ctx *c)
{
    autobackup_forget_restore(c->r, c->in->id);
    wf_on_fail_status(c);
}

static const wf_step recover_steps[] = {
    {"restore", recovery_step_restore, "wait_running", 0},
    {"wait_running", wf_step_wait_running, "finish", WF_T_CREATE},
    {"finish", recovery_step_finish, NULL, 0},
};

const wf_kind recovery_kinds[] = {
    {"recover", recover_steps, (int)(sizeof recover_steps / sizeof recover_steps[0]), NULL,
     recovery_on_fail},
    {NULL, NULL, 0, NULL, NULL},
};
