/* The workflow engine and its registered kinds: the tables are exactly the
 * ones stores were written with (kind, step, next, in order), the registry
 * refuses unsound tables, and the engine runs a kind's skip and on_fail
 * callbacks against a real store. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/domain/wfkinds.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/failover.h"
#include "controlplane/domain/instwf.h"
#include "controlplane/domain/maint.h"
#include "controlplane/domain/stopstart.h"
#include "controlplane/net/dnssync.h"
#include "controlplane/wf/wfsteps.h"
#include "controlplane/wf/workflow.h"
#include "dns/zone.h"
#include "lib/tap.h"
#include "lib/util.h"

/* What the code before the kinds were split stored: {kind, step, next}. */
static const char *const want[][3] = {
    {"create", "place", "wait_running"},
    {"create", "wait_running", "standby"},
    {"create", "standby", "wait_healthy"},
    {"create", "wait_healthy", "finish"},
    {"create", "finish", NULL},
    {"delete", "final_snapshot", "remove_nodes"},
    {"delete", "remove_nodes", "wait_gone"},
    {"delete", "wait_gone", "finish"},
    {"delete", "finish", NULL},
    {"modify", "apply", "wait_running"},
    {"modify", "wait_running", "finish"},
    {"modify", "finish", NULL},
    {"reboot", "restart", "wait_running"},
    {"reboot", "wait_running", "finish"},
    {"reboot", "finish", NULL},
    {"failover", "promote", "wait_promoted"},
    {"failover", "wait_promoted", "flip"},
    {"failover", "flip", NULL},
    {"switchover", "fence", "wait_fenced"},
    {"switchover", "wait_fenced", "promote"},
    {"switchover", "promote", "wait_promoted"},
    {"switchover", "wait_promoted", "flip"},
    {"switchover", "flip", NULL},
    {"replica_switchover", "flip", NULL},
    {"stop", "stop_nodes", "wait_stopped"},
    {"stop", "wait_stopped", "finish"},
    {"stop", "finish", NULL},
    {"start", "start_nodes", "wait_running"},
    {"start", "wait_running", "finish"},
    {"start", "finish", NULL},
    {"convert", "standby", "wait_healthy"},
    {"convert", "wait_healthy", "finish"},
    {"convert", "finish", NULL},
    {"maintain", "begin", "wait_standby"},
    {"maintain", "wait_standby", "prepare_switch"},
    {"maintain", "prepare_switch", "fence"},
    {"maintain", "fence", "wait_fenced"},
    {"maintain", "wait_fenced", "promote"},
    {"maintain", "promote", "wait_promoted"},
    {"maintain", "wait_promoted", "flip"},
    {"maintain", "flip", "wait_running"},
    {"maintain", "wait_running", "wait_healthy"},
    {"maintain", "wait_healthy", "finish"},
    {"maintain", "finish", NULL},
    {"recover", "restore", "wait_running"},
    {"recover", "wait_running", "finish"},
    {"recover", "finish", NULL},
    {"promote", "wait_primary", "finish"},
    {"promote", "finish", NULL},
    {"cluster_reader", "place", "wait_running"},
    {"cluster_reader", "wait_running", "finish"},
    {"cluster_reader", "finish", NULL},
    /* clufix: isolate (fence + detach the readers) before the promotion; a
     * workflow stored at any older step still finds it (wait_fenced now
     * goes through the isolation too). */
    {"cluster_failover", "isolate", "wait_isolated"},
    {"cluster_failover", "wait_isolated", "pick"},
    {"cluster_failover", "pick", "promote"},
    {"cluster_failover", "promote", "wait_promoted"},
    {"cluster_failover", "wait_promoted", "flip"},
    {"cluster_failover", "flip", NULL},
    {"cluster_switchover", "fence", "wait_fenced"},
    {"cluster_switchover", "wait_fenced", "isolate"},
    {"cluster_switchover", "isolate", "wait_isolated"},
    {"cluster_switchover", "wait_isolated", "pick"},
    {"cluster_switchover", "pick", "promote"},
    {"cluster_switchover", "promote", "wait_promoted"},
    {"cluster_switchover", "wait_promoted", "flip"},
    {"cluster_switchover", "flip", NULL},
};
#define NWANT ((int)(sizeof want / sizeof want[0]))

#define real wfkinds_all

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void test_real_tables(void)
{
    region r = {0};
    ok(workflow_register(&r, real), "the four subsystems' kinds register");
    ok(workflow_tables_consistent(&r), "every workflow step's next step exists");
    int matched = 0, total = 0;
    for (int i = 0; i < NWANT; i++) {
        const wf_kind *k = workflow_kind(&r, want[i][0]);
        bool found = false;
        for (int j = 0; k && j < k->nsteps; j++)
            found |= strcmp(k->steps[j].step, want[i][1]) == 0 &&
                     same(k->steps[j].next, want[i][2]);
        matched += found;
    }
    for (const wf_kind *const *t = real; *t; t++)
        for (const wf_kind *k = *t; k->name; k++)
            total += k->nsteps;
    is_int(matched, NWANT, "every stored (kind, step, next) is still there");
    is_int(total, NWANT, "and nothing else");
    /* A workflow starts at its kind's first step. */
    const char *first[][2] = {{"create", "place"},      {"delete", "final_snapshot"},
                              {"modify", "apply"},      {"reboot", "restart"},
                              {"failover", "promote"},  {"switchover", "fence"},
                              {"stop", "stop_nodes"},   {"start", "start_nodes"},
                              {"convert", "standby"},   {"maintain", "begin"}};
    int firsts = 0;
    for (int i = 0; i < 10; i++) {
        const wf_kind *k = workflow_kind(&r, first[i][0]);
        firsts += k && strcmp(k->steps[0].step, first[i][1]) == 0;
    }
    is_int(firsts, 10, "each kind starts where it did");
    ok(!workflow_kind(&r, "nosuch"), "an unknown kind is not found");

    /* maintain's skip: a Single-AZ run passes over the standby and the
     * switchover. */
    const wf_kind *m = workflow_kind(&r, "maintain");
    cJSON *single = cJSON_Parse("{\"single\":true}"), *multi = cJSON_Parse("{}");
    int skipped = 0, skipped_multi = 0;
    for (int j = 0; m && j < m->nsteps; j++) {
        skipped += m->skip(&m->steps[j], single);
        skipped_multi += m->skip(&m->steps[j], multi);
    }
    is_int(skipped, 8, "Single-AZ maintain skips all but begin, wait_running, finish");
    is_int(skipped_multi, 0, "Multi-AZ maintain skips nothing");
    cJSON_Delete(single);
    cJSON_Delete(multi);
    ok(workflow_kind(&r, "create")->on_fail && !workflow_kind(&r, "delete")->on_fail,
       "create fails its instance, delete leaves it");
}

/* ---- a kind of the test's own, run by the engine ---- */

static int fail_calls;

static wf_result t_next(wf_ctx *c)
{
    cJSON_AddBoolToObject(c->data, "ran_a", true);
    return WF_NEXT;
}
static wf_result t_never(wf_ctx *c)
{
    cJSON_AddBoolToObject(c->data, "ran_b", true);
    return WF_NEXT;
}
static wf_result t_fail(wf_ctx *c)
{
    return wf_fail(c, "failed on purpose %s", "here");
}
static bool t_skip(const wf_step *s, const cJSON *data)
{
    return strcmp(s->step, "b") == 0 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "skip_b"));
}
static void t_on_fail(wf_ctx *c)
{
    fail_calls++;
    ok(strcmp(c->why, "failed on purpose here") == 0, "on_fail sees the step's why");
    ok(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->data, "ran_a")) &&
           !cJSON_GetObjectItemCaseSensitive(c->data, "ran_b"),
       "a ran, b was skipped (its data kept across steps)");
    ok(c->in->id && strcmp(c->in->id, "shop") == 0, "on_fail gets the instance row");
}

static const wf_step t_steps[] = {
    {"a", t_next, "b", 0},
    {"b", t_never, "c", 0},
    {"c", t_fail, NULL, 0},
};
static const wf_kind t_kinds[] = {
    {"t", t_steps, 3, t_skip, t_on_fail},
    {NULL, NULL, 0, NULL, NULL},
};
static const wf_step bad_steps[] = {
    {"a", t_next, "missing", 0},
};
static const wf_kind bad_kinds[] = {
    {"bad", bad_steps, 1, NULL, NULL},
    {NULL, NULL, 0, NULL, NULL},
};

static void test_registry_refuses(void)
{
    region r = {0};
    const wf_kind *const dup[] = {t_kinds, t_kinds, NULL};
    ok(!workflow_register(&r, dup) && !r.wf_kinds, "a kind registered twice is refused");
    const wf_kind *const bad[] = {bad_kinds, NULL};
    ok(!workflow_register(&r, bad) && !r.wf_kinds, "a next step that does not exist is refused");
    const wf_kind *const none[] = {NULL};
    ok(!workflow_register(&r, none), "no kinds at all is refused");
}

static void test_engine(const char *dir)
{
    char *path = xasprintf("%s/cp.db", dir);
    region r = {.cfg = {.name = "us-east-1", .dns_suffix = "rds.internal", .naz = 0,
                        .create_timeout_ms = 60000}};
    r.st = store_open(path);
    r.hash = xstrdup("abc");
    r.apex = xstrdup("us-east-1.rds.internal");
    r.zone = zone_new(r.apex, "ns.us-east-1.rds.internal", "127.0.0.1", 1, 5);
    r.dns = dnssync_new();
    const wf_kind *const tables[] = {t_kinds, NULL};
    ok(r.st && workflow_register(&r, tables), "a store and the test's kind");
    store_instance in = {
        .id = (char *)"shop", .resource_id = (char *)"db-ABC", .status = STATUS_AVAILABLE,
        .db_class = (char *)"db.t3.micro", .engine = (char *)"postgres",
        .engine_version = (char *)"15.18", .master_username = (char *)"app",
        .master_verifier = (char *)"SCRAM-SHA-256$4096:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg=", .port = 5432, .allocated_storage = 20,
        .storage_type = (char *)"gp3", .backup_window = (char *)"03:00-03:30",
        .maintenance_window = (char *)"mon:12:00-mon:12:30", .dns_ttl = -1, .created_ms = 1000,
    };
    cJSON *data = cJSON_Parse("{\"skip_b\":true}");
    ok(store_begin(r.st) && store_instance_insert(r.st, &in) &&
           workflow_start(&r, "shop", "t", data) && store_commit(r.st),
       "a workflow of a registered kind starts");
    ok(!workflow_start(&r, "shop", "nosuch", NULL), "an unknown kind does not");
    store_workflow w = {0};
    bool found = false;
    ok(store_workflow_active_for(r.st, "shop", &w, &found) && found && strcmp(w.step, "a") == 0,
       "it starts at the first step");
    store_workflow_clear(&w);
    is_int(workflow_run_all(&r), 0, "one pass runs it to its end");
    is_int(fail_calls, 1, "the kind's on_fail ran once");
    ok(store_workflow_active_for(r.st, "shop", &w, &found) && !found, "nothing left active");
    cJSON_Delete(data);
    dnssync_free(r.dns);
    zone_free(r.zone);
    store_close(r.st);
    free(r.hash);
    free(r.apex);
    free(path);
}

int main(void)
{
    test_real_tables();
    test_registry_refuses();
    char dir[] = "/tmp/rdsim-wf-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    test_engine(dir);
    char *rm = xasprintf("rm -rf %s", dir);
    if (system(rm) != 0)
        diag("could not remove %s", dir);
    free(rm);
    return done_testing();
}
