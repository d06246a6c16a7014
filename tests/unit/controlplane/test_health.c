/* The probe's view: streaks of synchronous streaming per walsender, and a
 * standby's receiver runs (what ha.c's "in sync" and "stuck" rules read);
 * the tick's probes follow the node rows, also when it reads them only
 * after the store changed (issue 18). */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/core/health.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

static const health_replica *rep_of(const node_health *v, const char *name)
{
    for (int i = 0; i < v->nreplicas; i++)
        if (strcmp(v->replicas[i].name, name) == 0)
            return &v->replicas[i];
    return NULL;
}

static void primary_streaks(void)
{
    node_health v = {0};
    health_view_update(&v, "f", "0/3000000", "sb-1 streaming sync 101 0", "", 1000);
    const health_replica *r = rep_of(&v, "sb-1");
    ok(r && r->streak == 1 && r->pid == 101 && r->lag_bytes == 0, "first sync probe: streak 1");
    health_view_update(&v, "f", "0/3000100", "sb-1 streaming sync 101 256", "", 1200);
    health_view_update(&v, "f", "0/3000200", "sb-1 streaming sync 101 0", "", 1400);
    r = rep_of(&v, "sb-1");
    ok(r && r->streak == 3 && r->lag_bytes == 0, "same walsender three probes: streak 3");
    is_int(v.norecv_since_ms, 0, "a primary is never 'not streaming'");

    health_view_update(&v, "f", "0/3000300", "sb-1 streaming sync 202 0", "", 1600);
    r = rep_of(&v, "sb-1");
    ok(r && r->streak == 1, "a new walsender (reconnect) starts a new streak");
    health_view_update(&v, "f", "0/3000300", "sb-1 catchup sync 202 9000", "", 1800);
    r = rep_of(&v, "sb-1");
    ok(r && r->streak == 0 && r->lag_bytes == 9000, "catchup breaks the streak");
    health_view_update(&v, "f", "0/3000300", "sb-1 streaming async 202 0", "", 2000);
    ok(rep_of(&v, "sb-1")->streak == 0, "async is no streak");
    health_view_update(&v, "f", "0/3000300", "", "", 2200);
    is_int(v.nreplicas, 0, "no walsender: no replica");
    health_view_update(&v, "f", "0/3000300", "sb-1 streaming sync 202 0", "", 2400);
    ok(rep_of(&v, "sb-1")->streak == 1, "a replica that was absent starts again at 1");

    health_view_update(&v, "f", "0/1",
                       "sb-1 streaming sync 7 0,sb-2 streaming potential 8 -1,junk,,x y", "", 2600);
    is_int(v.nreplicas, 2, "two well-formed rows, malformed ones skipped");
    ok(rep_of(&v, "sb-2") && rep_of(&v, "sb-2")->lag_bytes == -1, "unknown lag is -1");
}

static void standby_receiver(void)
{
    node_health v = {0};
    health_view_update(&v, "t", "0/2000000", "", "", 5000);
    is_int(v.norecv_since_ms, 5000, "standby without receiver: not streaming since now");
    health_view_update(&v, "t", "0/2000000", "", "starting 0", 5200);
    is_int(v.norecv_since_ms, 5000, "still not streaming: the first time is kept");
    health_view_update(&v, "t", "0/2000000", "", "streaming 333", 5400);
    ok(v.norecv_since_ms == 0 && v.recv_pid == 333 && v.recv_since_ms == 5400,
       "streaming: since recorded, not-streaming cleared");
    health_view_update(&v, "t", "0/2000100", "", "streaming 333", 5600);
    is_int(v.recv_since_ms, 5400, "same receiver: since kept");
    health_view_update(&v, "t", "0/2000100", "", "streaming 334", 5800);
    is_int(v.recv_since_ms, 5800, "a new receiver restarts the run");
    health_view_update(&v, "t", "0/2000100", "", "waiting 334", 6000);
    ok(v.recv_pid == 0 && v.recv_since_ms == 0 && v.norecv_since_ms == 6000,
       "a receiver that waits is not streaming");
    health_view_update(&v, "f", "0/2000100", "", "", 6200);
    is_int(v.norecv_since_ms, 0, "promoted: no longer a standby that does not stream");
    health_view_update(&v, "t", "0/0", "", "streaming notanumber", 6400);
    ok(v.recv_pid == 0 && v.norecv_since_ms == 6400, "malformed receiver row: not streaming");
}

/* Issue 18: the kept connection is reused, but a fresh connect comes at
 * least every HEALTH_FRESH_MS (the postmaster's liveness). */
static void probe_plan(void)
{
    static const struct {
        const char *name;
        bool kept_ok;
        int64_t age_ms;
        health_plan want;
    } cases[] = {
        {"kept and young: reuse", true, 200, HEALTH_REUSE},
        {"kept, just made: reuse", true, 0, HEALTH_REUSE},
        {"kept, last moment: reuse", true, HEALTH_FRESH_MS - 1, HEALTH_REUSE},
        {"kept but old: a fresh connect", true, HEALTH_FRESH_MS, HEALTH_CONNECT},
        {"no usable connection: connect", false, 200, HEALTH_CONNECT},
        {"clock went back: connect", true, -5, HEALTH_CONNECT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        is_int(health_probe_plan(cases[i].kept_ok, cases[i].age_ms), cases[i].want,
               cases[i].name);
    ok(HEALTH_FRESH_MS <= 2000, "a hung postmaster alone is seen within 2 s of fresh connects");
}

/* A fresh connect's timeout bounds each round trip, the whole login
 * capped at HEALTH_CONNECT_ROUNDS timeouts (a slow link is not a dead one). */
static void connect_wait(void)
{
    static const struct {
        const char *name;
        int64_t started, now, want;
    } cases[] = {
        {"just started: one timeout", 1000, 1000, 500},
        {"a step later, 100 ms each way: a full timeout again", 1000, 1200, 500},
        {"third round trip at 800 ms: still a full timeout", 1000, 1800, 500},
        {"near the cap: what is left", 1000, 2800, 200},
        {"at the cap: none left", 1000, 3000, 0},
        {"past the cap: none left", 1000, 9000, 0},
        {"clock went back: at most one timeout", 1000, 500, 500},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        is_int(health_connect_wait_ms(cases[i].started, cases[i].now, 500), cases[i].want,
               cases[i].name);
}

/* A broken kept connection is retried once, uncounted; a fresh connect's
 * failure and every timeout count (ha.c's rules read those counts). */
static void fail_action(void)
{
    is_int(health_fail_action_of(true, false), HEALTH_FAIL_RETRY,
           "kept connection broken (EOF, terminated): retry a fresh connect");
    is_int(health_fail_action_of(true, true), HEALTH_FAIL_COUNT,
           "kept connection timed out (hung server): counted at once");
    is_int(health_fail_action_of(false, false), HEALTH_FAIL_COUNT,
           "fresh connect refused: counted");
    is_int(health_fail_action_of(false, true), HEALTH_FAIL_COUNT, "fresh connect timed out: counted");
}

/* A receiver that exists but does not move: a stall only while its
 * upstream is ahead, measured from the first pass that saw it behind at
 * that LSN; an idle upstream never counts. */
static void receiver_stall(void)
{
    node_health sb = {0}, up = {0};
    health_view_update(&up, "f", "0/5000000", "", "", 1000);
    up.up = true;
    health_view_update(&sb, "t", "0/5000000", "", "streaming 77", 1000);
    sb.up = true;
    is_int(health_stall_update(&sb, &up, 1000), 0, "caught up: no stall");
    is_int(health_stall_update(&sb, &up, 60000), 0, "an idle upstream for a minute: no stall");
    is_int(sb.stall_since_ms, 0, "and no run started");

    health_view_update(&up, "f", "0/5000100", "", "", 61000);
    is_int(health_stall_update(&sb, &up, 61000), 0,
           "the upstream writes after an idle minute: a run starts, not a stall yet");
    is_int(sb.stall_since_ms, 61000, "the run starts now, not when the standby last moved");
    is_int(health_stall_update(&sb, &up, 66000), 5000, "behind at the same LSN: 5 s stalled");

    health_view_update(&sb, "t", "0/5000080", "", "streaming 77", 67000);
    is_int(health_stall_update(&sb, &up, 67000), 0, "it moved (still behind): the run restarts");
    is_int(health_stall_update(&sb, &up, 69000), 2000, "counted from the move");
    health_view_update(&sb, "t", "0/5000080", "", "streaming 78", 69500);
    is_int(health_stall_update(&sb, &up, 70000), 0, "a new receiver restarts the run");

    up.up = false;
    is_int(health_stall_update(&sb, &up, 80000), 0, "the upstream does not answer: no stall");
    up.up = true;
    health_stall_update(&sb, &up, 81000);
    is_int(health_stall_update(&sb, NULL, 90000), 0, "unknown upstream: no stall");
    health_stall_update(&sb, &up, 91000);
    health_view_update(&sb, "t", "0/5000080", "", "", 92000);
    is_int(health_stall_update(&sb, &up, 99000), 0,
           "no receiver at all: not a stall (norecv_since_ms's case)");
    health_view_update(&sb, "t", "0/5000080", "", "streaming 79", 100000);
    strcpy(up.lsn, "garbage");
    is_int(health_stall_update(&sb, &up, 100000), 0, "an unreadable LSN: no stall");
}

/* Whether the tick keeps a probe of node_id that may run (a wish for a
 * probe is granted only to those). */
static bool probed(health *h, const char *node_id)
{
    return health_probe_after(h, node_id, mono_ms());
}

/* health_tick reads the node rows again only when store_generation moved:
 * a node added, stopped, started again, or gone is followed at the next
 * tick; a tick with nothing changed keeps the probes as they are. The
 * nodes' addresses have no server: no probe ever answers here. */
static void tick_follows_rows(void)
{
    char dir[] = "/tmp/rdsim-health-XXXXXX";
    ok(mkdtemp(dir) != NULL, "tick: temp dir");
    char *path = xasprintf("%s/cp.db", dir);
    region r = {.cfg = {.name = "us-east-1"}};
    r.st = store_open(path);
    r.base = event_base_new();
    health *h = health_new(&r, (health_config){.interval_ms = 200, .timeout_ms = 1000});
    store_instance in = {
        .id = (char *)"h1", .resource_id = (char *)"db-H1", .status = STATUS_AVAILABLE,
        .db_class = (char *)"db.t3.micro", .engine = (char *)"postgres",
        .engine_version = (char *)"15.18", .master_username = (char *)"app", .port = 5432,
        .allocated_storage = 20, .storage_type = (char *)"gp3",
        .backup_window = (char *)"03:00-03:30", .maintenance_window = (char *)"mon:12:00-mon:12:30",
        .dns_ttl = -1, .created_ms = 1};
    store_node a = {.id = (char *)"h1-a", .instance_id = (char *)"h1",
                    .agent_id = (char *)"us-east-1a", .role = ROLE_PRIMARY, .goal = GOAL_RUNNING,
                    .addr = (char *)"127.0.0.1", .port = 1, .generation = 1};
    ok(r.st && r.base && store_instance_insert(r.st, &in) && store_node_insert(r.st, &a),
       "tick: an instance with one node");
    health_tick(h);
    ok(probed(h, "h1-a"), "tick: the node is probed");
    health_tick(h);
    ok(probed(h, "h1-a"), "tick: nothing changed: still probed");
    a.goal = GOAL_STOPPED;
    ok(store_node_update(r.st, &a), "tick: the node stopped");
    health_tick(h);
    ok(!probed(h, "h1-a"), "tick: ... no longer probed");
    health_tick(h);
    ok(!probed(h, "h1-a"), "tick: ... nor at the next tick");
    a.goal = GOAL_RUNNING;
    store_node b = a;
    b.id = (char *)"h1-b";
    b.addr = (char *)"127.0.0.2";
    ok(store_node_update(r.st, &a) && store_node_insert(r.st, &b),
       "tick: the node running again, a second one added");
    health_tick(h);
    ok(probed(h, "h1-a") && probed(h, "h1-b"), "tick: both probed");
    ok(store_node_delete(r.st, "h1-a"), "tick: the first node's row deleted");
    health_tick(h);
    ok(!probed(h, "h1-a") && probed(h, "h1-b"), "tick: its probe forgotten, the other kept");
    health_free(h);
    event_base_free(r.base);
    store_close(r.st);
    fs_rm_rf(dir);
    free(path);
}

int main(void)
{
    tick_follows_rows();
    primary_streaks();
    standby_receiver();
    probe_plan();
    fail_action();
    connect_wait();
    receiver_stall();
    return done_testing();
}
