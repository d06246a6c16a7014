/* clusterwf: see clusterwf.h. */
#include "controlplane/domain/clusterwf.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/agents.h"
#include "controlplane/core/health.h"
#include "controlplane/core/lifecycle.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/failover.h"
#include "controlplane/domain/ha.h"
#include "controlplane/domain/stopstart.h"
#include "controlplane/net/subnetgroup.h"
#include "controlplane/notify/events.h"
#include "controlplane/wf/wfsteps.h"
#include "lib/log.h"
#include "lib/util.h"

/* ---- helpers ---- */

static bool emit(region *r, const char *cluster_id, const char *event, const char *detail)
{
    char *arn = cluster_arn(r, cluster_id);
    bool ok = events_emit_source(r, "db-cluster", cluster_id, arn, event, detail);
    free(arn);
    return ok;
}

/* The node of member instance id (its only node); false if none. */
static bool member_node(region *r, const char *id, store_instance *in, store_node *n)
{
    bool found = false;
    memset(n, 0, sizeof *n);
    if (!store_instance_get(r->st, id, in, &found) || !in->primary_node)
        return false;
    store_node_get(r->st, in->primary_node, n, &found);
    return found;
}

static char *json_ids(const char *a, const char *b)
{
    cJSON *arr = cJSON_CreateArray();
    if (a)
        cJSON_AddItemToArray(arr, cJSON_CreateString(a));
    if (b)
        cJSON_AddItemToArray(arr, cJSON_CreateString(b));
    char *s = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    return s;
}

static bool node_by_data(wf_ctx *c, const char *key, store_node *out)
{
    const char *id = wf_data_str(c, key);
    bool found = false;
    memset(out, 0, sizeof *out);
    if (id)
        store_node_get(c->r->st, id, out, &found);
    return found;
}

/* ---- cluster_reader: a reader member's create ---- */

static wf_result reader_place(wf_ctx *c)
{
    region *r = c->r;
    store_instance *in = c->in;
    if (in->primary_node)
        return WF_NEXT; /* placed before a restart */
    cluster_row cl;
    if (!in->cluster_id || !cluster_get(r, in->cluster_id, &cl))
        return wf_fail(c, "the cluster of %s is gone", in->id);
    store_instance w = {0};
    store_node wn = {0};
    bool have = member_node(r, cl.writer, &w, &wn);
    const agent_node_report *rep = have ? agents_node_report(r->agents, wn.agent_id, wn.id) : NULL;
    wf_result res = WF_WAIT;
    char addr[32] = "";
    const char *agent = agents_in_az(r->agents, in->az, r->cfg.agent_timeout_ms);
    /* The writer must run (and know the replication role) first. */
    if (rep && rep->state == AGENT_NODE_RUNNING && agent &&
        subnetgroup_pick_addr(r, in, in->az, addr, sizeof addr)) {
        if (!addr[0]) {
            res = wf_fail(c, "no free address in the DB subnet group's subnets in %s", in->az);
        } else {
            char *label = region_random_label(6);
            store_node n = {
                .id = xasprintf("%s-%s", in->id, label),
                .instance_id = in->id,
                .agent_id = (char *)agent,
                .role = ROLE_STANDBY,
                .goal = GOAL_RUNNING,
                .addr = addr,
                .port = in->port,
                .generation = 1,
                .created_ms = region_now_ms(r),
                .upstream = wn.id,
                .supervise = SUPERVISE_RESTART,
                .sync_standbys = (char *)"[]",
            };
            free(label);
            if (store_node_insert(r->st, &n)) {
                LOG_INFO("cluster reader placed cluster=%s instance=%s node=%s az=%s upstream=%s",
                         cl.id, in->id, n.id, in->az, wn.id);
                in->primary_node = n.id;
                c->dirty = true;
                res = WF_NEXT;
            } else {
                free(n.id);
            }
        }
    }
    store_node_clear(&wn);
    store_instance_clear(&w);
    cluster_clear(&cl);
    return res;
}

static wf_result reader_finish(wf_ctx *c)
{
    if (!lifecycle_apply(c->in->id, &c->in->status, STATUS_AVAILABLE))
        return wf_fail(c, "cannot become available from %s",
                       instance_status_name(c->in->status));
    events_emit(c->r, c->in->id, "RDS-EVENT-0005", NULL);
    c->dirty = true;
    return WF_NEXT;
}

static void reader_on_fail(wf_ctx *c)
{
    wf_fail_instance(c, "RDS-EVENT-0278", "The DB instance creation failed.");
}

/* ---- cluster_failover / cluster_switchover ----
 * data: cluster, old (the writer's node), new (the promoted reader's node,
 * of this workflow's instance), other (the third node), old_instance. */

static wf_result fo_fence(wf_ctx *c)
{
    store_node old;
    if (!node_by_data(c, "old", &old))
        return wf_fail(c, "node %s is gone", wf_data_str(c, "old"));
    old.goal = GOAL_STOPPED;
    old.supervise = SUPERVISE_RESTART;
    old.generation++;
    bool ok = store_node_update(c->r->st, &old);
    store_node_clear(&old);
    return ok ? WF_NEXT : WF_WAIT;
}

static wf_result fo_wait_fenced(wf_ctx *c)
{
    store_node old;
    if (!node_by_data(c, "old", &old))
        return wf_fail(c, "node %s is gone", wf_data_str(c, "old"));
    const agent_node_report *rep = agents_node_report(c->r->agents, old.agent_id, old.id);
    bool done = (rep && rep->state == AGENT_NODE_STOPPED && rep->generation >= old.generation) ||
                !agents_alive(c->r->agents, old.agent_id, c->r->cfg.agent_timeout_ms) ||
                wall_ms() - c->w->step_started_ms > 10000;
    store_node_clear(&old);
    return done ? WF_NEXT : WF_WAIT;
}

/* The fence and the detach, in one commit (a crash failover) or after
 * the clean stop of a switchover: the old writer's goal becomes stopped
 * (its agent SIGKILLs a SIGSTOPped server) and BOTH readers lose their
 * upstream (a reload: primary_conninfo gone, their WAL receivers stop).
 * Once no reader streams from the old writer it cannot satisfy ANY 1 and
 * acknowledges nothing, whether its agent can fence it or not. */
static wf_result fo_isolate(wf_ctx *c)
{
    store_node old;
    if (!node_by_data(c, "old", &old))
        return wf_fail(c, "node %s is gone", wf_data_str(c, "old"));
    bool ok = true;
    if (old.goal != GOAL_STOPPED) {
        old.goal = GOAL_STOPPED;
        old.supervise = SUPERVISE_RESTART;
        old.generation++;
        ok = store_node_update(c->r->st, &old);
    }
    store_node_clear(&old);
    static const char *const readers[] = {"new", "other"};
    for (int i = 0; ok && i < 2; i++) {
        store_node rd;
        if (!node_by_data(c, readers[i], &rd))
            continue;
        if (rd.upstream) {
            wf_str_set(&rd.upstream, NULL);
            rd.generation++;
            ok = store_node_update(c->r->st, &rd);
        }
        store_node_clear(&rd);
    }
    if (ok)
        LOG_INFO("cluster failover isolating the old writer cluster=%s old=%s",
                 wf_data_str(c, "cluster"), wf_data_str(c, "old"));
    return ok ? WF_NEXT : WF_WAIT;
}

/* The monotonic ms stamp `name` of the data, set to now on first call. */
static int64_t data_mono(wf_ctx *c, const char *name, bool set)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->data, name);
    if (cJSON_IsNumber(v))
        return (int64_t)v->valuedouble;
    if (!set)
        return 0;
    int64_t now = mono_ms();
    cJSON_AddNumberToObject(c->data, name, (double)now);
    c->dirty = true; /* the engine saves the data of a waiting step only then */
    return now;
}

/* Between two probes of a reader whose WAL receiver is still stopping. */
#define FO_REPROBE_MS 20

/* A reader that can acknowledge nothing of the old writer any more, with
 * an LSN that no longer moves:
 *  - its agent is gone (a lost host: nothing more can be done for it);
 *  - the old writer was confirmed stopped (its whole server SIGKILLed)
 *    and the reader is down or was probed after that;
 *  - its agent applied the detach (generation) and either its server is
 *    not running (a SIGSTOPped standby is killed and restarted by its
 *    agent rather than reloaded: agent/node.c check_config) or a probe
 *    after that sees no WAL receiver.
 * A reader whose server is merely unreachable is NOT settled: a SIGSTOPped
 * server acknowledges the old writer's WAL again once resumed.
 *
 * "Probed after" is a probe that STARTED after that moment (health.h's
 * last_ok_started_ms): an answer read earlier but handled later may show
 * an LSN that moved since. The moment is stamped on the first pass that
 * sees the fact (the report already in), so a probe started later reads
 * the reader after it. When only such a probe is missing it is asked for
 * at once (health_probe_after), and its answer runs the workflow again:
 * the wait is one probe's round trip, not the probe interval plus the
 * next cron pass. */
static bool reader_settled(wf_ctx *c, const store_node *rd, int64_t fenced_mono)
{
    region *r = c->r;
    if (!agents_alive(r->agents, rd->agent_id, r->cfg.agent_timeout_ms))
        return true;
    const node_health *v = health_get(r->health, rd->id);
    bool up = v && v->up;
    if (fenced_mono) {
        if (!up || v->last_ok_started_ms > fenced_mono)
            return true;
        health_probe_after(r->health, rd->id, fenced_mono + 1);
    }
    const agent_node_report *rep = agents_node_report(r->agents, rd->agent_id, rd->id);
    if (!rep || rep->generation < rd->generation)
        return false;
    if (rep->state != AGENT_NODE_RUNNING && rep->state != AGENT_NODE_PROMOTING)
        return true;
    char key[300];
    snprintf(key, sizeof key, "applied_%s", rd->id);
    int64_t applied = data_mono(c, key, true);
    bool probed_after = up && v->last_ok_started_ms > applied;
    if (probed_after && v->recv_pid == 0)
        return true;
    /* Not yet probed after the detach, or its receiver was still going:
     * the next probe now, or shortly after the last answer. */
    health_probe_after(r->health, rd->id,
                       probed_after ? v->last_ok_ms + FO_REPROBE_MS : applied + 1);
    return false;
}

#define FO_ISOLATE_MAX_MS 5000

static wf_result fo_wait_isolated(wf_ctx *c)
{
    store_node old;
    if (!node_by_data(c, "old", &old))
        return wf_fail(c, "node %s is gone", wf_data_str(c, "old"));
    const agent_node_report *rep = agents_node_report(c->r->agents, old.agent_id, old.id);
    bool fenced = rep && rep->state == AGENT_NODE_STOPPED && rep->generation >= old.generation;
    store_node_clear(&old);
    int64_t fenced_mono = fenced ? data_mono(c, "fenced_mono", true) : 0;
    bool settled = true;
    static const char *const readers[] = {"new", "other"};
    for (int i = 0; i < 2; i++) {
        store_node rd;
        if (!node_by_data(c, readers[i], &rd))
            continue;
        settled = reader_settled(c, &rd, fenced_mono) && settled;
        store_node_clear(&rd);
    }
    if (settled) {
        wf_data_stamp(c, "isolated_ms");
        LOG_INFO("cluster failover isolated cluster=%s old=%s fenced=%d",
                 wf_data_str(c, "cluster"), wf_data_str(c, "old"), fenced);
        return WF_NEXT;
    }
    if (wall_ms() - c->w->step_started_ms > FO_ISOLATE_MAX_MS) {
        LOG_WARN("cluster failover: readers not confirmed detached after %d ms, promoting "
                 "cluster=%s old=%s fenced=%d",
                 FO_ISOLATE_MAX_MS, wf_data_str(c, "cluster"), wf_data_str(c, "old"), fenced);
        wf_data_stamp(c, "isolated_ms");
        return WF_NEXT;
    }
    return WF_WAIT;
}

/* The LSN text "X/Y" as a number; 0 when unknown. */
static uint64_t lsn_value(const char *s)
{
    unsigned hi = 0, lo = 0;
    if (!s || sscanf(s, "%X/%X", &hi, &lo) != 2)
        return 0;
    return ((uint64_t)hi << 32) | lo;
}

/* Now that no reader moves: promote the ready reader with the highest
 * LSN, the one chosen at the start unless the other is further (or the
 * chosen one is no longer ready). A FailoverDBCluster with a target keeps
 * its target. */
static wf_result fo_pick(wf_ctx *c)
{
    store_node nw, other;
    if (!node_by_data(c, "new", &nw))
        return wf_fail(c, "node %s is gone", wf_data_str(c, "new"));
    bool swap = false;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->data, "target")) &&
        node_by_data(c, "other", &other)) {
        health *h = c->r->health;
        const node_health *vn = health_get(h, nw.id), *vo = health_get(h, other.id);
        bool rn = ha_node_ready(c->r, h, &nw), ro = ha_node_ready(c->r, h, &other);
        uint64_t ln = vn ? lsn_value(vn->lsn) : 0, lo = vo ? lsn_value(vo->lsn) : 0;
        swap = ro && (!rn || lo > ln);
        LOG_INFO("cluster failover pick cluster=%s %s=%llu%s %s=%llu%s", wf_data_str(c, "cluster"),
                 nw.id, (unsigned long long)ln, rn ? "" : "(not ready)", other.id,
                 (unsigned long long)lo, ro ? "" : "(not ready)");
        if (swap) {
            cJSON_ReplaceItemInObjectCaseSensitive(c->data, "new", cJSON_CreateString(other.id));
            cJSON_ReplaceItemInObjectCaseSensitive(c->data, "other", cJSON_CreateString(nw.id));
        }
        store_node_clear(&other);
    }
    store_node_clear(&nw);
    return WF_NEXT;
}

/* The promotion, in one commit: the old writer fenced (if fo_isolate did
 * not), the chosen reader primary with the other as its ANY 1 standby,
 * and the other reader streaming from it already. The other attaches
 * while the chosen one is still a standby (cascading) and follows its
 * timeline switch at the promotion (upstream.follow,
 * recovery_target_timeline latest), so the new writer can have its
 * commits acknowledged from its first moment instead of after the flip
 * and one more heartbeat. Safe: the chosen reader's upstream is gone
 * since fo_isolate, so nothing of the old writer reaches the other
 * through it, and fo_pick chose it with the most WAL (a named target of
 * a switchover has it all: the clean stop shipped it to both). */
static wf_result fo_promote(wf_ctx *c)
{
    store_node old, nw, other;
    bool have_other = node_by_data(c, "other", &other);
    if (!node_by_data(c, "old", &old) || !node_by_data(c, "new", &nw)) {
        store_node_clear(&old);
        if (have_other)
            store_node_clear(&other);
        return wf_fail(c, "failover nodes of %s are gone", c->in->id);
    }
    bool fence = old.goal != GOAL_STOPPED; /* fo_isolate did it */
    old.goal = GOAL_STOPPED;
    old.supervise = SUPERVISE_RESTART;
    old.generation += fence;
    nw.role = ROLE_PRIMARY;
    wf_str_set(&nw.upstream, NULL);
    char *sync = json_ids(have_other ? other.id : NULL, NULL);
    wf_str_set(&nw.sync_standbys, have_other ? sync : "[]");
    free(sync);
    nw.supervise = SUPERVISE_RESTART;
    nw.generation++;
    bool attach = have_other && (!other.upstream || strcmp(other.upstream, nw.id) != 0);
    if (attach) {
        wf_str_set(&other.upstream, nw.id);
        other.generation++;
    }
    bool ok = (!fence || store_node_update(c->r->st, &old)) && store_node_update(c->r->st, &nw) &&
              (!attach || store_node_update(c->r->st, &other));
    if (ok) {
        wf_data_stamp(c, "promote_ms");
        LOG_INFO("cluster promoting cluster=%s new=%s old=%s other=%s", wf_data_str(c, "cluster"),
                 nw.id, old.id, have_other ? other.id : "-");
    }
    store_node_clear(&old);
    store_node_clear(&nw);
    if (have_other)
        store_node_clear(&other);
    return ok ? WF_NEXT : WF_WAIT;
}

/* failover.c's wait_promoted, for a node that may be another member's
 * (fo_pick may have chosen the other reader). */
static wf_result fo_wait_promoted(wf_ctx *c)
{
    store_node nw;
    if (!node_by_data(c, "new", &nw))
        return wf_fail(c, "node %s is gone", wf_data_str(c, "new"));
    const agent_node_report *rep = agents_node_report(c->r->agents, nw.agent_id, nw.id);
    bool promoted = rep && rep->generation >= nw.generation && rep->state == AGENT_NODE_RUNNING &&
                    rep->has_role && rep->role == ROLE_PRIMARY;
    bool failed = rep && rep->generation >= nw.generation && rep->state == AGENT_NODE_FAILED;
    char why[300];
    snprintf(why, sizeof why, "promotion of %s failed: %s", nw.id, rep ? rep->error : "");
    store_node_clear(&nw);
    if (failed)
        return wf_fail(c, "%s", why);
    if (promoted)
        wf_data_stamp(c, "promoted_ms");
    return promoted ? WF_NEXT : WF_WAIT;
}

/* One line of where the failover's time went, ms from its start (the
 * workflow row's created_ms: the failover decided) to each stamp. */
static void fo_log_timeline(wf_ctx *c)
{
    static const char *const stamps[] = {"isolated_ms", "promote_ms", "promoted_ms",
                                         "flipped_ms"};
    char line[200] = "";
    size_t used = 0;
    for (size_t i = 0; i < sizeof stamps / sizeof stamps[0] && used < sizeof line; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->data, stamps[i]);
        int n = snprintf(line + used, sizeof line - used, " %.*s=%lld",
                         (int)(strlen(stamps[i]) - 3), stamps[i],
                         cJSON_IsNumber(v) ? (long long)v->valuedouble - c->w->created_ms : -1LL);
        used += n > 0 ? (size_t)n : 0;
    }
    LOG_INFO("cluster failover timeline cluster=%s kind=%s ms_from_start:%s",
             wf_data_str(c, "cluster"), c->w->kind, line);
}

static wf_result fo_flip(wf_ctx *c)
{
    store_node old, nw;
    if (!node_by_data(c, "old", &old) || !node_by_data(c, "new", &nw)) {
        store_node_clear(&old);
        return wf_fail(c, "failover nodes of %s are gone", c->in->id);
    }
    cluster_row cl;
    const char *cid = wf_data_str(c, "cluster");
    bool ok = cid && cluster_get(c->r, cid, &cl);
    if (ok) {
        wf_str_set(&cl.writer, nw.instance_id);
        cluster_status_apply(cl.id, &cl.status, CLUSTER_AVAILABLE);
        old.role = ROLE_STANDBY;
        wf_str_set(&old.upstream, nw.id);
        old.goal = GOAL_RUNNING;
        wf_str_set(&old.sync_standbys, "[]");
        old.supervise = SUPERVISE_RESTART;
        old.generation++;
        const char *other = wf_data_str(c, "other");
        char *sync = json_ids(other, old.id);
        wf_str_set(&nw.sync_standbys, sync);
        free(sync);
        nw.generation++;
        /* The other reader streams from the new writer from now on: its
         * agent rejoins it there (the timeline switch; pg_rewind finds
         * nothing to rewind on a reader that had no more WAL). */
        store_node ot;
        bool other_ok = true;
        if (other && node_by_data(c, "other", &ot)) {
            if (!ot.upstream || strcmp(ot.upstream, nw.id) != 0) { /* fo_promote did it */
                wf_str_set(&ot.upstream, nw.id);
                ot.generation++;
                other_ok = store_node_update(c->r->st, &ot);
            }
            store_node_clear(&ot);
        }
        char detail[160];
        snprintf(detail, sizeof detail, "Completed failover to DB instance: %s", nw.instance_id);
        ok = other_ok && store_node_update(c->r->st, &old) && store_node_update(c->r->st, &nw) &&
             cluster_update(c->r, &cl) && emit(c->r, cl.id, "RDS-EVENT-0071", detail);
        if (ok) {
            wf_data_stamp(c, "flipped_ms");
            LOG_INFO("cluster failover completed cluster=%s writer=%s node=%s", cl.id,
                     nw.instance_id, nw.id);
            fo_log_timeline(c);
        }
        cluster_clear(&cl);
    }
    store_node_clear(&old);
    store_node_clear(&nw);
    if (!cid)
        return wf_fail(c, "failover of %s names no cluster", c->in->id);
    return ok ? WF_NEXT : WF_WAIT;
}

/* A failover that cannot finish leaves the cluster available on whatever
 * writer it has; the monitor then sees a lost writer again (0069). */
static void fo_on_fail(wf_ctx *c)
{
    cluster_row cl;
    const char *cid = wf_data_str(c, "cluster");
    if (cid && cluster_get(c->r, cid, &cl)) {
        cluster_status_apply(cl.id, &cl.status, CLUSTER_AVAILABLE);
        cluster_update(c->r, &cl);
        emit(c->r, cl.id, "RDS-EVENT-0069", NULL);
        cluster_clear(&cl);
    }
}

/* ---- the kinds ---- */

static const wf_step reader_steps[] = {
    {"place", reader_place, "wait_running", WF_T_CREATE},
    {"wait_running", wf_step_wait_running, "finish", WF_T_CREATE},
    {"finish", reader_finish, NULL, 0},
};

/* Fence the old writer and detach both readers BEFORE promoting (the
 * order of pg_auto_failover): see fo_isolate. A switchover stops the old
 * writer cleanly first (its shutdown ships its WAL to the readers). */
static const wf_step failover_steps[] = {
    {"isolate", fo_isolate, "wait_isolated", 0},
    {"wait_isolated", fo_wait_isolated, "pick", 0},
    {"pick", fo_pick, "promote", 0},
    {"promote", fo_promote, "wait_promoted", 0},
    {"wait_promoted", fo_wait_promoted, "flip", WF_T_CREATE},
    {"flip", fo_flip, NULL, 0},
};

static const wf_step switchover_steps[] = {
    {"fence", fo_fence, "wait_fenced", 0},
    {"wait_fenced", fo_wait_fenced, "isolate", 0},
    {"isolate", fo_isolate, "wait_isolated", 0},
    {"wait_isolated", fo_wait_isolated, "pick", 0},
    {"pick", fo_pick, "promote", 0},
    {"promote", fo_promote, "wait_promoted", 0},
    {"wait_promoted", fo_wait_promoted, "flip", WF_T_CREATE},
    {"flip", fo_flip, NULL, 0},
};

const wf_kind clusterwf_kinds[] = {
    {CLUSTERWF_READER_KIND, reader_steps, WF_NSTEPS(reader_steps), NULL, reader_on_fail},
    {"cluster_failover", failover_steps, WF_NSTEPS(failover_steps), NULL, fo_on_fail},
    {"cluster_switchover", switchover_steps, WF_NSTEPS(switchover_steps), NULL, fo_on_fail},
    {NULL, NULL, 0, NULL, NULL},
};

/* ---- starting work on members ---- */

static bool busy(region *r, const char *id)
{
    store_workflow w = {0};
    bool active = false;
    store_workflow_active_for(r->st, id, &w, &active);
    store_workflow_clear(&w);
    return active;
}

bool clusterwf_start_delete(region *r, cluster_row *c, const cJSON *data)
{
    char **ids = NULL;
    int n = cluster_members(r, c->id, &ids);
    bool ok = n >= 0;
    for (int i = 0; ok && i < n; i++) {
        store_instance in = {0};
        bool found = false;
        if (!store_instance_get(r->st, ids[i], &in, &found))
            continue;
        store_workflow w = {0};
        bool active = false;
        while (ok && store_workflow_active_for(r->st, in.id, &w, &active) && active) {
            w.state = WF_STATE_SUPERSEDED;
            ok = store_workflow_update(r->st, &w);
            store_workflow_clear(&w);
        }
        if (in.status != STATUS_DELETING)
            ok = ok && lifecycle_apply(in.id, &in.status, STATUS_DELETING) &&
                 store_instance_update(r->st, &in) && workflow_start(r, in.id, "delete", data);
        store_instance_clear(&in);
    }
    cluster_ids_free(ids, n < 0 ? 0 : n);
    if (ok)
        LOG_INFO("cluster delete accepted cluster=%s members=%d", c->id, n);
    return ok;
}

bool clusterwf_start_members(region *r, cluster_row *c, const char *kind, awserr *err)
{
    char **ids = NULL;
    int n = cluster_members(r, c->id, &ids);
    bool ok = n >= 0;
    for (int i = 0; ok && i < n; i++) {
        store_instance in = {0};
        bool found = false;
        if (!store_instance_get(r->st, ids[i], &in, &found))
            continue;
        if (busy(r, in.id)) {
            ok = awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                            "DB instance %s is busy (a workflow is running).", in.id);
        } else if (strcmp(kind, "stop") == 0) {
            ok = stopstart_begin_stop(r, &in, err);
        } else if (strcmp(kind, "start") == 0) {
            ok = stopstart_begin_start(r, &in, false, err);
        } else {
            cJSON *data = cJSON_CreateObject();
            cJSON *fe = cJSON_AddArrayToObject(data, "finish_events");
            cJSON_AddItemToArray(fe, cJSON_CreateString("RDS-EVENT-0006"));
            ok = in.status == STATUS_AVAILABLE &&
                 lifecycle_apply(in.id, &in.status, STATUS_REBOOTING) &&
                 store_instance_update(r->st, &in) && workflow_start(r, in.id, "reboot", data);
            cJSON_Delete(data);
            if (!ok)
                awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                           "DB instance %s is not available.", in.id);
        }
        store_instance_clear(&in);
    }
    cluster_ids_free(ids, n < 0 ? 0 : n);
    if (n < 0)
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    return ok;
}

bool clusterwf_bump_nodes(region *r, const cluster_row *c)
{
    char **ids = NULL;
    int n = cluster_members(r, c->id, &ids);
    bool ok = n >= 0;
    for (int i = 0; ok && i < n; i++) {
        store_instance in = {0};
        store_node nd;
        if (member_node(r, ids[i], &in, &nd)) {
            nd.generation++;
            ok = store_node_update(r->st, &nd);
            store_node_clear(&nd);
        }
        store_instance_clear(&in);
    }
    cluster_ids_free(ids, n < 0 ? 0 : n);
    return ok;
}

bool clusterwf_start_failover(region *r, cluster_row *c, const char *target, bool planned,
                              awserr *err)
{
    health *h = r->health;
    char **ids = NULL;
    int n = cluster_members(r, c->id, &ids);
    store_instance mi[CLUSTER_MEMBERS] = {{0}};
    store_node nd[CLUSTER_MEMBERS];
    int w = -1, pick = -1, nm = 0;
    bool target_seen = target == NULL;
    memset(nd, 0, sizeof nd);
    for (int i = 0; i < n && nm < CLUSTER_MEMBERS; i++) {
        if (!member_node(r, ids[i], &mi[nm], &nd[nm])) {
            store_instance_clear(&mi[nm]);
            continue;
        }
        if (strcmp(mi[nm].id, c->writer) == 0)
            w = nm;
        nm++;
    }
    cluster_ids_free(ids, n < 0 ? 0 : n);
    uint64_t best = 0;
    for (int i = 0; i < nm; i++) {
        if (i == w)
            continue;
        bool wanted = !target || strcmp(target, mi[i].id) == 0;
        target_seen |= target && strcmp(target, mi[i].id) == 0;
        const node_health *v = health_get(h, nd[i].id);
        uint64_t lsn = v ? lsn_value(v->lsn) : 0;
        if (wanted && mi[i].status == STATUS_AVAILABLE && ha_node_ready(r, h, &nd[i]) &&
            (pick < 0 || lsn > best)) {
            pick = i;
            best = lsn;
        }
    }
    bool ok = false;
    if (w < 0)
        awserr_set(err, AWSERR_INVALID_DB_CLUSTER_STATE, "DbCluster %s has no writer node.",
                   c->id);
    else if (!target_seen || (target && strcmp(target, c->writer) == 0))
        awserr_set(err, target_seen ? AWSERR_INVALID_PARAMETER_VALUE : AWSERR_DB_INSTANCE_NOT_FOUND,
                   "%s is not a reader of the DB cluster %s.", target, c->id);
    else if (pick < 0)
        awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                   "No reader of the DB cluster %s can be promoted now.", c->id);
    else {
        cJSON *data = cJSON_CreateObject();
        cJSON_AddStringToObject(data, "cluster", c->id);
        cJSON_AddStringToObject(data, "old", nd[w].id);
        cJSON_AddStringToObject(data, "old_instance", mi[w].id);
        cJSON_AddStringToObject(data, "new", nd[pick].id);
        if (target)
            cJSON_AddTrueToObject(data, "target");
        for (int i = 0; i < nm; i++)
            if (i != w && i != pick)
                cJSON_AddStringToObject(data, "other", nd[i].id);
        char detail[160];
        snprintf(detail, sizeof detail, "Started cross AZ failover to DB instance: %s",
                 mi[pick].id);
        ok = !busy(r, mi[pick].id) && cluster_status_apply(c->id, &c->status,
                                                           CLUSTER_FAILING_OVER) &&
             workflow_start(r, mi[pick].id, planned ? "cluster_switchover" : "cluster_failover",
                            data) &&
             emit(r, c->id, "RDS-EVENT-0073", detail);
        cJSON_Delete(data);
        if (ok)
            LOG_INFO("cluster failover started cluster=%s old=%s new=%s lsn=%llu planned=%d",
                     c->id, mi[w].id, mi[pick].id, (unsigned long long)best, planned);
        else
            awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                       "DB instance %s is busy; try again.", mi[pick].id);
    }
    for (int i = 0; i < nm; i++) {
        store_instance_clear(&mi[i]);
        store_node_clear(&nd[i]);
    }
    return ok;
}
