/* ha: see ha.h. */
#include "controlplane/domain/ha.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/agents.h"
#include "controlplane/notify/events.h"
#include "controlplane/core/health.h"
#include "controlplane/core/lifecycle.h"
#include "controlplane/core/region.h"
#include "controlplane/core/tlsca.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/replica.h"
#include "controlplane/net/subnetgroup.h"
#include "controlplane/wf/workflow.h"
#include "lib/log.h"
#include "lib/util.h"

const ha_move ha_moves[] = {
    {HA_NONE, HA_BUILDING, "a standby is placed (create or modify with MultiAZ)"},
    {HA_BUILDING, HA_HEALTHY, "the standby streams and the primary reports it synchronous"},
    {HA_BUILDING, HA_STANDBY_LOST, "the standby failed while being built"},
    {HA_HEALTHY, HA_STANDBY_LOST, "the standby is lost: synchronous replication relaxed"},
    {HA_HEALTHY, HA_FAILING_OVER, "the primary is lost (or a failover was asked) while the "
                                "standby is synchronous"},
    {HA_STANDBY_LOST, HA_BUILDING, "the standby is back or replaced, catching up"},
    {HA_FAILING_OVER, HA_BUILDING, "the standby is promoted; the old primary rejoins as standby"},
    {HA_FAILING_OVER, HA_HEALTHY, "a planned failover was abandoned before promotion"},
    {HA_BUILDING, HA_NONE, "converted to Single-AZ"},
    {HA_HEALTHY, HA_NONE, "converted to Single-AZ"},
    {HA_STANDBY_LOST, HA_NONE, "converted to Single-AZ"},
};
const int ha_move_count = (int)(sizeof ha_moves / sizeof ha_moves[0]);

static const char *state_name(int st)
{
    return ha_state_name((ha_state)st);
}

static const transition_table ha_table = {
    .what = "ha",
    .name = state_name,
    .moves = ha_moves,
    .nmoves = (int)(sizeof ha_moves / sizeof ha_moves[0]),
};

bool ha_allowed(ha_state from, ha_state to)
{
    return transition_allowed(&ha_table, (int)from, (int)to);
}

bool ha_apply(const char *instance_id, ha_state *state, ha_state to)
{
    if (!transition_check(&ha_table, instance_id, (int)*state, (int)to))
        return false;
    *state = to;
    return true;
}

bool ha_promotion_allowed(ha_state at_loss, bool standby_sync)
{
    return at_loss == HA_HEALTHY && standby_sync;
}

/* ---- one instance ---- */

typedef struct {
    region *r;
    health *h;
    store_instance *in;
    store_node *nodes;
    int n;
    store_node *primary;
    store_node *standby;   /* the current standby (role standby, goal running), or NULL */
    bool changed;
} ha_ctx;

/* Replaces *field with a copy of value (which may alias *field). */
static void set_str(char **field, const char *value)
{
    char *copy = value ? xstrdup(value) : NULL;
    free(*field);
    *field = copy;
}

static bool node_save(ha_ctx *c, store_node *n)
{
    n->generation++;
    c->changed = true;
    return store_node_update(c->r->st, n);
}

/* true if the agent says the node is down although its goal is running. */
static bool reported_down(const ha_ctx *c, const store_node *n)
{
    const agent_node_report *rep = agents_node_report(c->r->agents, n->agent_id, n->id);
    return rep && (rep->state == AGENT_NODE_CRASHED || rep->state == AGENT_NODE_FAILED ||
                   rep->state == AGENT_NODE_DATA_LOST ||
                   (rep->state == AGENT_NODE_STOPPED && rep->generation >= n->generation));
}

static bool node_lost(const ha_ctx *c, const store_node *n)
{
    region *r = c->r;
    return reported_down(c, n) ||
           health_is_down(c->h, n->id, r->cfg.detect_ms, 3) ||
           (!agents_alive(r->agents, n->agent_id, r->cfg.agent_timeout_ms) &&
            health_is_down(c->h, n->id, 0, 2));
}

/* The standby is usable for a promotion: its agent is alive and our probe
 * answered recently. */
static bool standby_ready(const ha_ctx *c, const store_node *s)
{
    const node_health *v = health_get(c->h, s->id);
    return v && v->up && v->in_recovery &&
           agents_alive(c->r->agents, s->agent_id, c->r->cfg.agent_timeout_ms);
}

bool ha_node_lost(region *r, health *h, const store_node *n)
{
    ha_ctx c = {.r = r, .h = h};
    return node_lost(&c, n);
}

bool ha_node_ready(region *r, health *h, const store_node *n)
{
    ha_ctx c = {.r = r, .h = h};
    return standby_ready(&c, n);
}

/* Picks an AZ other than the primary's with an alive agent, preferring
 * the instance's secondary AZ. NULL if none. */
static const char *pick_standby_az(const ha_ctx *c)
{
    region *r = c->r;
    const char *paz = c->primary->agent_id;
    if (c->in->secondary_az && strcmp(c->in->secondary_az, paz) != 0 &&
        agents_in_az(r->agents, c->in->secondary_az, r->cfg.agent_timeout_ms) &&
        subnetgroup_az_ok(r, c->in, c->in->secondary_az))
        return c->in->secondary_az;
    for (int i = 0; i < r->cfg.naz; i++)
        if (strcmp(r->cfg.azs[i], paz) != 0 &&
            agents_in_az(r->agents, r->cfg.azs[i], r->cfg.agent_timeout_ms) &&
            subnetgroup_az_ok(r, c->in, r->cfg.azs[i]))
            return r->cfg.azs[i];
    return NULL;
}

/* Places a new standby node streaming from the primary. */
static void place_standby(ha_ctx *c)
{
    region *r = c->r;
    const char *az = pick_standby_az(c);
    if (!az)
        return; /* no other AZ has a host now: try on a later pass */
    char addr[32] = "";
    if (!subnetgroup_pick_addr(r, c->in, az, addr, sizeof addr) || !addr[0])
        return;
    char *label = region_random_label(6);
    store_node s = {
        .id = xasprintf("%s-%s", c->in->id, label),
        .instance_id = c->in->id,
        .agent_id = (char *)az,
        .role = ROLE_STANDBY,
        .goal = GOAL_RUNNING,
        .addr = addr,
        .port = c->in->port,
        .generation = 1,
        .created_ms = region_now_ms(r),
        .upstream = c->primary->id,
        .supervise = SUPERVISE_RESTART,
        .sync_standbys = (char *)"[]",
    };
    free(label);
    if (store_node_insert(r->st, &s)) {
        LOG_INFO("standby placed instance=%s node=%s az=%s addr=%s upstream=%s", c->in->id, s.id,
                 az, addr, c->primary->id);
        set_str(&c->in->secondary_az, az);
        c->changed = true;
    }
    free(s.id);
}

/* Retires the standby: goal absent, so its agent removes it; the row goes
 * when the agent reports it gone (ha_reap). */
static void retire_standby(ha_ctx *c, const char *why)
{
    store_node *s = c->standby;
    LOG_INFO("standby retired instance=%s node=%s why=\"%s\"", c->in->id, s->id, why);
    s->goal = GOAL_ABSENT;
    s->role = ROLE_RETIRED;
    node_save(c, s);
    c->standby = NULL;
}

static bool sync_lists(const store_node *p, const char *standby)
{
    cJSON *arr = cJSON_Parse(p->sync_standbys ? p->sync_standbys : "[]");
    bool found = false;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
        found |= cJSON_IsString(e) && strcmp(e->valuestring, standby) == 0;
    cJSON_Delete(arr);
    return found;
}

static void set_sync(ha_ctx *c, const char *standby)
{
    store_node *p = c->primary;
    char *json;
    if (standby) {
        cJSON *arr = cJSON_CreateArray();
        cJSON_AddItemToArray(arr, cJSON_CreateString(standby));
        json = cJSON_PrintUnformatted(arr);
        cJSON_Delete(arr);
    } else {
        json = xstrdup("[]");
    }
    if (strcmp(p->sync_standbys ? p->sync_standbys : "[]", json) != 0) {
        LOG_INFO("synchronous standbys instance=%s primary=%s list=%s", c->in->id, p->id, json);
        free(p->sync_standbys);
        p->sync_standbys = json;
        node_save(c, p);
    } else {
        free(json);
    }
}

static void set_supervise(ha_ctx *c, store_node *n, node_supervise mode)
{
    if (n->supervise != mode) {
        n->supervise = mode;
        node_save(c, n);
    }
}

/* Deletes retired nodes once their agent has removed them; a retired node
 * whose host has been gone past the replacement delay is buried
 * (store_node_bury): its row waits for the host, whose agent deletes the
 * data only on that explicit goal. */
static void ha_reap(ha_ctx *c)
{
    region *r = c->r;
    for (int i = 0; i < c->n; i++) {
        store_node *n = &c->nodes[i];
        if (n->role != ROLE_RETIRED)
            continue;
        const agent_node_report *rep = agents_node_report(r->agents, n->agent_id, n->id);
        bool alive = agents_alive(r->agents, n->agent_id, r->cfg.agent_timeout_ms);
        if ((rep && rep->state == AGENT_NODE_ABSENT) || (alive && !rep)) {
            LOG_INFO("retired node removed instance=%s node=%s", c->in->id, n->id);
            store_node_delete(r->st, n->id);
            tlsca_node_forget(r->tls, n->id);
            c->changed = true;
        } else if (!alive && mono_ms() - agents_last_seen(r->agents, n->agent_id) >
                                 r->cfg.standby_replace_ms) {
            LOG_INFO("retired node buried until its host returns instance=%s node=%s",
                     c->in->id, n->id);
            store_node_bury(r->st, n);
            c->changed = true;
        }
    }
}

/* The primary's agent has applied the node's current goal (and so its
 * supervise mode: the agent records a goal before it acts on it). */
static bool goal_applied(const ha_ctx *c, const store_node *n)
{
    const agent_node_report *rep = agents_node_report(c->r->agents, n->agent_id, n->id);
    return rep && rep->generation >= n->generation;
}

/* The probe of n answered last time and has not failed since. */
static bool probe_up(const ha_ctx *c, const store_node *n)
{
    const node_health *v = health_get(c->h, n->id);
    return v && v->up && v->fails == 0;
}

int64_t ha_not_streaming_ms(const node_health *standby, const node_health *primary,
                            bool primary_up, int64_t now)
{
    if (!standby || !primary || !standby->up || !standby->in_recovery ||
        standby->norecv_since_ms == 0 || !primary_up)
        return 0;
    int64_t since = standby->norecv_since_ms;
    if (standby->up_since_ms > since)
        since = standby->up_since_ms;
    if (primary->up_since_ms > since)
        since = primary->up_since_ms;
    return now - since;
}

static int64_t not_streaming_ms(const ha_ctx *c, const store_node *s)
{
    return ha_not_streaming_ms(health_get(c->h, s->id), health_get(c->h, c->primary->id),
                               probe_up(c, c->primary), mono_ms());
}

/* A standby its agent runs on the current goal, whose primary is up, but
 * that has not streamed for standby_stream_ms cannot follow its primary —
 * a rejoin that left it on a diverged timeline, say (pg_rewind can say
 * "no rewind required" for a node that was restarted in recovery). A
 * fresh base backup is the cure. */
static bool standby_stuck(const ha_ctx *c, const store_node *s)
{
    const agent_node_report *rep = agents_node_report(c->r->agents, s->agent_id, s->id);
    return rep && rep->state == AGENT_NODE_RUNNING && goal_applied(c, s) &&
           not_streaming_ms(c, s) > c->r->cfg.standby_stream_ms;
}

/* The standby is synchronous for good, not for one lucky probe: the same
 * walsender streamed as `sync` on HA_SYNC_STREAK probes in a row, its
 * receiver is streaming, and its flush is close to the primary's WAL. */
#define HA_SYNC_STREAK 3
#define HA_SYNC_LAG_MAX (16LL * 1024 * 1024)
static bool standby_in_sync(const ha_ctx *c, const health_replica *rep, const store_node *s)
{
    const node_health *v = health_get(c->h, s->id);
    return rep->streak >= HA_SYNC_STREAK && rep->lag_bytes >= 0 &&
           rep->lag_bytes <= HA_SYNC_LAG_MAX && v && v->up && v->recv_pid != 0;
}

static void ha_building(ha_ctx *c)
{
    region *r = c->r;
    store_node *s = c->standby;
    if (!s) {
        place_standby(c);
        return;
    }
    /* A standby whose host has been gone too long, or that failed to
     * build, is replaced by a fresh one. */
    const agent_node_report *arep = agents_node_report(r->agents, s->agent_id, s->id);
    bool host_gone = !agents_alive(r->agents, s->agent_id, r->cfg.agent_timeout_ms) &&
                     mono_ms() - agents_last_seen(r->agents, s->agent_id) > r->cfg.standby_replace_ms;
    if (host_gone || (arep && arep->state == AGENT_NODE_FAILED &&
                      arep->generation >= s->generation)) {
        retire_standby(c, host_gone ? "host lost" : arep->error);
        set_sync(c, NULL);
        place_standby(c);
        return;
    }
    /* The primary went down before the standby was synchronous: nothing
     * may be promoted, so its own agent brings it back. */
    if (reported_down(c, c->primary)) {
        set_supervise(c, c->primary, SUPERVISE_RESTART);
        return;
    }
    if (standby_stuck(c, s)) {
        LOG_WARN("standby not streaming, rebuilding it instance=%s node=%s for_ms=%lld",
                 c->in->id, s->id, (long long)not_streaming_ms(c, s));
        s->rebuild_seq++;
        node_save(c, s);
        return;
    }
    const health_replica *rep = health_replica_of(c->h, c->primary->id, s->id);
    if (!rep || !rep->streaming)
        return;
    if (!sync_lists(c->primary, s->id)) {
        set_sync(c, s->id); /* invariant 1: only once it streams */
        return;
    }
    if (!standby_in_sync(c, rep, s))
        return;
    /* From `healthy` on, a crashed primary is failed over, not restarted:
     * its agent must hold supervise=report before we say so, or a crash in
     * between would be restarted on the old timeline while the standby is
     * promoted. */
    set_supervise(c, c->primary, SUPERVISE_REPORT);
    if (goal_applied(c, c->primary) && ha_apply(c->in->id, &c->in->ha_state, HA_HEALTHY)) {
        events_emit(r, c->in->id, "RDS-EVENT-0053", NULL);
        c->changed = true;
    }
}

ha_verdict ha_judge(const ha_view *v)
{
    if (v->primary_lost) {
        /* Silence all round (no agent reported a crash, and the standby does
         * not answer, or answers only since the primary went silent): the
         * controlplane may be the one cut off. */
        if (!v->primary_reported_down && !(v->standby_answers && v->primary_failed_seen))
            return HA_HOLD;
        return v->standby_ready ? HA_FAILOVER : HA_RESTART;
    }
    if (v->standby_lost)
        return v->primary_answers && v->standby_failed_seen ? HA_STANDBY_GONE : HA_HOLD;
    return HA_KEEP;
}

static void ha_start_failover(ha_ctx *c)
{
    store_node *p = c->primary, *s = c->standby;
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "old", p->id);
    cJSON_AddStringToObject(data, "new", s->id);
    if (ha_apply(c->in->id, &c->in->ha_state, HA_FAILING_OVER) &&
        events_emit(c->r, c->in->id, "RDS-EVENT-0013", NULL) &&
        workflow_start(c->r, c->in->id, "failover", data)) {
        LOG_INFO("failover started instance=%s old=%s new=%s", c->in->id, p->id, s->id);
        c->changed = true;
    }
    cJSON_Delete(data);
}

static void ha_healthy(ha_ctx *c)
{
    region *r = c->r;
    store_node *p = c->primary, *s = c->standby;
    if (!s) {
        if (ha_apply(c->in->id, &c->in->ha_state, HA_STANDBY_LOST))
            c->changed = true;
        return;
    }
    /* A standby that answers but stopped streaming blocks every commit:
     * the same as a lost one. (Only while the primary answers its probes,
     * so that a primary loss, which also stops the stream, is a failover.) */
    ha_view v = {
        .primary_lost = node_lost(c, p),
        .primary_reported_down = reported_down(c, p),
        .primary_answers = probe_up(c, p),
        .standby_answers = probe_up(c, s),
        .standby_ready = standby_ready(c, s),
    };
    bool s_stuck = !v.primary_lost && not_streaming_ms(c, s) > 2 * r->cfg.detect_ms;
    v.standby_lost = !v.primary_lost && (node_lost(c, s) || s_stuck);
    const node_health *ph = health_get(c->h, p->id), *sh = health_get(c->h, s->id);
    int64_t s_back = sh ? sh->up_since_ms : 0, p_back = ph ? ph->up_since_ms : 0;
    v.primary_failed_seen = ph && sh && s_back &&
                            (s_back <= ph->first_fail_ms || ph->last_fail_started_ms >= s_back);
    v.standby_failed_seen = s_stuck || reported_down(c, s) ||
                            (ph && sh && p_back &&
                             (p_back <= sh->first_fail_ms || sh->last_fail_started_ms >= p_back));
    switch (ha_judge(&v)) {
    case HA_KEEP:
        break;
    case HA_FAILOVER:
        if (ha_promotion_allowed(c->in->ha_state, true))
            ha_start_failover(c);
        break;
    case HA_RESTART:
        if (ha_apply(c->in->id, &c->in->ha_state, HA_STANDBY_LOST)) {
            /* Nothing can be promoted: the primary's own host must bring it
             * back, so its agent restarts it again. */
            LOG_WARN("primary lost but standby not ready instance=%s primary=%s standby=%s",
                     c->in->id, p->id, s->id);
            set_sync(c, NULL);
            set_supervise(c, p, SUPERVISE_RESTART);
            c->changed = true;
        }
        break;
    case HA_STANDBY_GONE:
        /* Keep the primary writable: relax synchronous replication while no
         * standby is healthy (pg_auto_failover's wait_primary). Failover is
         * off until a standby is synchronous again. */
        if (ha_apply(c->in->id, &c->in->ha_state, HA_STANDBY_LOST)) {
            set_sync(c, NULL);
            set_supervise(c, p, SUPERVISE_RESTART);
            events_emit(r, c->in->id, "RDS-EVENT-0052", NULL);
            c->changed = true;
        }
        break;
    case HA_HOLD:
        /* The primary is probed again from now on, so that a standby back
         * from the same silence is judged on a fresh answer. */
        if (v.primary_lost && v.standby_ready && s_back)
            health_probe_after(c->h, p->id, s_back);
        if (v.standby_lost && v.primary_answers && p_back)
            health_probe_after(c->h, s->id, p_back);
        /* Logged at debug: it repeats on every pass of the outage. */
        LOG_DEBUG("no node answers, holding instance=%s primary=%s standby=%s", c->in->id, p->id,
                  s->id);
        break;
    }
}

/* ---- a Multi-AZ read replica (issue 15) ----
 * Its standby streams from the source's primary on its own slot
 * (replica.c), asynchronously: no write is ever acknowledged on a
 * replica, so none can be lost. It is healthy once it streams; its
 * failover is a flip of the roles and the endpoint, no promotion. */

/* The source's current primary node (a copy), or NULL. */
static char *replica_upstream(const ha_ctx *c)
{
    char *src = replica_source_of(c->in);
    store_instance si = {0};
    bool found = false;
    if (src)
        store_instance_get(c->r->st, src, &si, &found);
    char *up = found && si.primary_node ? xstrdup(si.primary_node) : NULL;
    store_instance_clear(&si);
    free(src);
    return up;
}

/* The standby streams from the source's current primary, at its current
 * goal (a rebuild asked is applied first), and its receiver is not one
 * that stalled (whose walsender still says "streaming" until
 * wal_sender_timeout). */
static bool replica_standby_streams(const ha_ctx *c, const store_node *s)
{
    char *up = replica_upstream(c);
    bool ok = false;
    if (up && goal_applied(c, s)) {
        const health_replica *rep = health_replica_of(c->h, up, s->id);
        const node_health *v = health_get(c->h, s->id);
        ok = rep && rep->streaming && v && v->up && v->in_recovery && v->recv_pid != 0 &&
             health_recv_stalled_ms(c->h, s->id, up) <= c->r->cfg.standby_stream_ms;
    }
    free(up);
    return ok;
}

/* The standby answers, runs its current goal, the source's primary is up,
 * yet for standby_stream_ms it has had no walreceiver (its slot lost, the
 * WAL it needs gone, a timeline it cannot follow) or one that has not
 * moved while the source's primary was ahead of it (a stalled receiver:
 * health_stall_update, never an idle source): it cannot become an
 * up-to-date replica, so it is lost and rebuilt — never kept as a standby
 * a flip would turn into a stale replica. Called on every pass that
 * judges the standby, so that a stall's run is timed. */
static bool replica_standby_stuck(const ha_ctx *c, const store_node *s)
{
    const agent_node_report *rep = agents_node_report(c->r->agents, s->agent_id, s->id);
    const node_health *v = health_get(c->h, s->id);
    if (!rep || rep->state != AGENT_NODE_RUNNING || !goal_applied(c, s) || !v || !v->up ||
        !v->in_recovery)
        return false;
    char *up = replica_upstream(c);
    const node_health *uv = up ? health_get(c->h, up) : NULL;
    bool stuck = false;
    if (v->recv_pid != 0)
        stuck = up && health_recv_stalled_ms(c->h, s->id, up) > c->r->cfg.standby_stream_ms;
    else
        stuck = uv && uv->up && uv->fails == 0 && v->norecv_since_ms != 0 &&
                mono_ms() - v->norecv_since_ms > c->r->cfg.standby_stream_ms;
    free(up);
    return stuck;
}

/* Rebuilds a stuck standby from a fresh base backup (its agent takes one
 * when rebuild_seq moves). */
static void replica_rebuild_standby(ha_ctx *c, store_node *s)
{
    const node_health *v = health_get(c->h, s->id);
    LOG_WARN("read replica standby not streaming, rebuilding it instance=%s node=%s "
             "receiver=%lld stalled_at=%s",
             c->in->id, s->id, (long long)(v ? v->recv_pid : 0),
             v && v->recv_pid && v->stall_lsn[0] ? v->stall_lsn : "-");
    s->rebuild_seq++;
    node_save(c, s);
}

static void replica_building(ha_ctx *c)
{
    region *r = c->r;
    store_node *s = c->standby;
    if (!s) {
        place_standby(c);
        return;
    }
    const agent_node_report *arep = agents_node_report(r->agents, s->agent_id, s->id);
    bool host_gone = !agents_alive(r->agents, s->agent_id, r->cfg.agent_timeout_ms) &&
                     mono_ms() - agents_last_seen(r->agents, s->agent_id) > r->cfg.standby_replace_ms;
    if (host_gone || (arep && arep->state == AGENT_NODE_FAILED &&
                      arep->generation >= s->generation)) {
        retire_standby(c, host_gone ? "host lost" : arep->error);
        place_standby(c);
        return;
    }
    if (replica_standby_stuck(c, s)) {
        replica_rebuild_standby(c, s);
        return;
    }
    if (replica_standby_streams(c, s) && ha_apply(c->in->id, &c->in->ha_state, HA_HEALTHY)) {
        events_emit(r, c->in->id, "RDS-EVENT-0053", NULL);
        c->changed = true;
    }
}

/* The replica's node is lost and its standby answers: the standby is the
 * replica now (it already streams from the source); the old node, when
 * its host returns, is the standby (its spec: the source, the standby's
 * slot). The node that becomes active keeps its generation: only its
 * slot changes, a reload (agent/README.md "upstream.slot"). */
static void replica_flip(ha_ctx *c)
{
    region *r = c->r;
    store_node *p = c->primary, *s = c->standby;
    if (!ha_apply(c->in->id, &c->in->ha_state, HA_FAILING_OVER))
        return;
    events_emit(r, c->in->id, "RDS-EVENT-0013", NULL);
    s->role = ROLE_PRIMARY;
    set_str(&s->upstream, NULL);
    set_str(&s->sync_standbys, "[]");
    s->supervise = SUPERVISE_RESTART;
    p->role = ROLE_STANDBY;
    set_str(&p->upstream, s->id);
    p->goal = GOAL_RUNNING;
    set_str(&p->sync_standbys, "[]");
    p->supervise = SUPERVISE_RESTART;
    if (!store_node_update(r->st, s) || !node_save(c, p)) {
        /* All or nothing: ha_tick rolls the pass back, the next redoes it. */
        c->changed = false;
        c->primary = c->standby = NULL;
        return;
    }
    set_str(&c->in->primary_node, s->id);
    set_str(&c->in->az, s->agent_id);
    set_str(&c->in->secondary_az, p->agent_id);
    ha_apply(c->in->id, &c->in->ha_state, HA_BUILDING);
    /* As failover_step_flip: completed, and the old node's recovery as
     * the standby starts (0053 once it streams: replica_building). */
    events_emit(r, c->in->id, "RDS-EVENT-0049", NULL);
    events_emit(r, c->in->id, "RDS-EVENT-0052", NULL);
    LOG_INFO("read replica failover instance=%s active=%s old=%s az=%s", c->in->id, s->id,
             p->id, s->agent_id);
    c->primary = s;
    c->standby = p;
    c->changed = true;
}

static void replica_healthy(ha_ctx *c)
{
    store_node *p = c->primary, *s = c->standby;
    if (!s) {
        if (ha_apply(c->in->id, &c->in->ha_state, HA_STANDBY_LOST))
            c->changed = true;
        return;
    }
    /* A restart the instance asked for (a reboot, maintenance: both
     * nodes at once) is no loss. */
    if (c->in->status != STATUS_AVAILABLE)
        return;
    if (node_lost(c, p)) {
        if (standby_ready(c, s))
            replica_flip(c);
        else if (ha_apply(c->in->id, &c->in->ha_state, HA_STANDBY_LOST))
            c->changed = true; /* its own host must bring the replica back */
        return;
    }
    bool stuck = !node_lost(c, s) && replica_standby_stuck(c, s);
    if ((stuck || node_lost(c, s)) && ha_apply(c->in->id, &c->in->ha_state, HA_STANDBY_LOST)) {
        events_emit(c->r, c->in->id, "RDS-EVENT-0052", NULL);
        c->changed = true;
    }
    if (stuck)
        replica_rebuild_standby(c, s);
}

/* c->primary and c->standby from c->nodes. */
static void find_nodes(ha_ctx *c)
{
    for (int i = 0; i < c->n; i++) {
        store_node *n = &c->nodes[i];
        if (c->in->primary_node && strcmp(n->id, c->in->primary_node) == 0)
            c->primary = n;
        else if (n->role == ROLE_STANDBY && n->goal == GOAL_RUNNING && !c->standby)
            c->standby = n;
    }
}

ha_flip_result ha_replica_failover(region *r, health *h, store_instance *in)
{
    char *src = replica_source_of(in);
    bool replica = src != NULL;
    free(src);
    if (!replica || in->ha_state != HA_HEALTHY)
        return HA_FLIP_CANNOT;
    ha_ctx c = {.r = r, .h = h, .in = in};
    c.n = store_node_list(r->st, in->id, NULL, &c.nodes);
    find_nodes(&c);
    ha_flip_result res = HA_FLIP_CANNOT;
    if (c.n < 0)
        res = HA_FLIP_WAIT;
    else if (c.primary && c.standby) {
        /* Only onto a standby that is a replica already: it answers in
         * recovery and streams from the source's primary now. */
        res = HA_FLIP_WAIT;
        if (standby_ready(&c, c.standby) && replica_standby_streams(&c, c.standby)) {
            replica_flip(&c);
            if (c.changed)
                res = HA_FLIP_DONE;
        }
    }
    store_node_list_free(c.nodes, c.n < 0 ? 0 : c.n);
    return res;
}

static void ha_eval(ha_ctx *c)
{
    find_nodes(c);
    if (!c->primary)
        return;
    ha_reap(c);
    ha_state st = c->in->ha_state;
    char *src = replica_source_of(c->in);
    bool replica = src != NULL;
    free(src);
    if (replica && st == HA_BUILDING)
        replica_building(c);
    else if (replica && st == HA_HEALTHY)
        replica_healthy(c);
    else if (st == HA_BUILDING)
        ha_building(c);
    else if (st == HA_HEALTHY)
        ha_healthy(c);
    else if (st == HA_STANDBY_LOST) {
        if (ha_apply(c->in->id, &c->in->ha_state, HA_BUILDING))
            c->changed = true;
    }
}

bool ha_tick(region *r, health *h)
{
    char **ids = NULL;
    int nids = store_instance_list(r->st, NULL, 10000, &ids);
    bool any = false;
    for (int i = 0; i < nids; i++) {
        if (!store_begin(r->st))
            break;
        store_instance in = {0};
        bool found = false, busy = false;
        store_workflow w = {0};
        store_instance_get(r->st, ids[i], &in, &found);
        /* Failovers and deletes run as workflows and own the instance. */
        if (found && store_workflow_active_for(r->st, in.id, &w, &busy) && busy &&
            (strcmp(w.kind, "failover") == 0 || strcmp(w.kind, "switchover") == 0 ||
             strcmp(w.kind, "replica_switchover") == 0 || strcmp(w.kind, "delete") == 0))
            found = false;
        store_workflow_clear(&w);
        if (!found || in.ha_state == HA_NONE || in.status == STATUS_DELETING ||
            in.status == STATUS_FAILED ||
            lifecycle_is_stopped(in.status)) {
            store_rollback(r->st);
            store_instance_clear(&in);
            continue;
        }
        ha_ctx c = {.r = r, .h = h, .in = &in};
        c.n = store_node_list(r->st, in.id, NULL, &c.nodes);
        if (c.n > 0)
            ha_eval(&c);
        if (c.changed && store_instance_update(r->st, &in) && store_commit(r->st))
            any = true;
        else
            store_rollback(r->st);
        store_node_list_free(c.nodes, c.n < 0 ? 0 : c.n);
        store_instance_clear(&in);
    }
    for (int i = 0; i < nids; i++)
        free(ids[i]);
    free(ids);
    return any;
}
