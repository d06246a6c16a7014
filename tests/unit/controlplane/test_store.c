/* The store: migrations, CRUD, transactions, reopen after close. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/core/store.h"

#include <sqlite3.h>
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

/* The first column of the first row of sql, as a malloc'd string. */
static char *column(store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    if (sqlite3_prepare_v2(store_sqlite(s), sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        out = xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static store_instance sample(const char *id)
{
    return (store_instance){
        .id = (char *)id, .resource_id = (char *)"db-ABC", .status = STATUS_CREATING,
        .db_class = (char *)"db.t3.micro", .engine = (char *)"postgres",
        .engine_version = (char *)"15.18", .master_username = (char *)"app",
        .master_password = (char *)"s3cret-pass", .port = 5432, .allocated_storage = 20,
        .storage_type = (char *)"gp3", .backup_retention = 1,
        .backup_window = (char *)"03:00-03:30", .maintenance_window = (char *)"mon:12:00-mon:12:30",
        .dns_ttl = -1, .created_ms = 1000,
    };
}

int main(void)
{
    char dir[] = "/tmp/rdsim-store-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *path = xasprintf("%s/cp.db", dir);
    store *s = store_open(path);
    ok(s != NULL, "a new store opens and migrates");
    char *v = store_meta_get(s, "schema_version");
    is_int(atoi(v ? v : "0"), STORE_SCHEMA_VERSION, "schema version recorded");
    free(v);

    store_instance a = sample("shop");
    ok(store_begin(s) && store_instance_insert(s, &a) && store_commit(s), "insert committed");
    store_instance b = sample("shop");
    b.resource_id = (char *)"db-OTHER";
    ok(store_begin(s), "begin");
    ok(!store_instance_insert(s, &b), "a duplicate id is refused");
    store_rollback(s);

    store_instance got = {0};
    bool found = false;
    ok(store_instance_get(s, "shop", &got, &found) && found, "get finds it");
    is_str(got.master_username, "app", "fields round-trip");
    is_int(got.dns_ttl, -1, "negative values round-trip");
    is_str(got.tags, "[]", "defaults for JSON fields");
    is_int(got.status, STATUS_CREATING, "status round-trips");
    is_int(got.ha_state, HA_NONE, "ha_state round-trips");
    got.status = STATUS_STORAGE_FULL;
    got.ha_state = HA_STANDBY_LOST;
    ok(store_instance_update(s, &got), "update");
    store_instance_clear(&got);
    ok(store_instance_get(s, "shop", &got, &found), "get again");
    is_int(got.status, STATUS_STORAGE_FULL, "update visible");
    is_int(got.ha_state, HA_STANDBY_LOST, "ha_state update visible");
    store_instance_clear(&got);
    /* The columns hold the names older code wrote, byte for byte. */
    char *raw = column(s, "SELECT status || '|' || ha_state FROM instances WHERE id='shop'");
    is_str(raw, "storage-full|standby_lost", "the store keeps the names");
    free(raw);

    ok(store_begin(s) && store_instance_insert(s, &(store_instance){0}) == false, "a row without required fields is refused");
    store_rollback(s);
    store_instance c = sample("zeta");
    c.resource_id = (char *)"db-Z";
    ok(store_instance_insert(s, &c), "second instance");
    char **ids = NULL;
    int n = store_instance_list(s, NULL, 10, &ids);
    is_int(n, 2, "list sees both");
    if (n == 2)
        ok(strcmp(ids[0], "shop") == 0 && strcmp(ids[1], "zeta") == 0, "ordered by id");
    for (int i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    n = store_instance_list(s, "shop", 10, &ids);
    is_int(n, 1, "list after a marker");
    for (int i = 0; i < n; i++)
        free(ids[i]);
    free(ids);

    store_node nd = {.id = (char *)"shop-1", .instance_id = (char *)"shop",
                     .agent_id = (char *)"us-east-1a", .role = ROLE_PRIMARY,
                     .goal = GOAL_RUNNING, .addr = (char *)"127.0.1.2", .port = 5432,
                     .generation = 1};
    ok(store_node_insert(s, &nd), "node insert");
    store_node nd2 = nd;
    nd2.id = (char *)"zeta-1";
    ok(!store_node_insert(s, &nd2), "two nodes cannot share an address");
    bool used = false;
    ok(store_addr_in_use(s, "127.0.1.2", &used) && used, "address in use");
    ok(store_addr_in_use(s, "127.0.1.3", &used) && !used, "address free");
    store_node *nodes = NULL;
    n = store_node_list(s, NULL, "us-east-1a", &nodes);
    is_int(n, 1, "nodes by agent");
    store_node_list_free(nodes, n);
    raw = column(s, "SELECT role || '|' || goal || '|' || supervise FROM nodes");
    is_str(raw, "primary|running|restart", "node names as stored before the enums");
    free(raw);

    store_workflow w = {.instance_id = (char *)"shop", .kind = (char *)"create",
                        .step = (char *)"place", .state = WF_STATE_ACTIVE, .created_ms = 1,
                        .step_started_ms = 1};
    ok(store_workflow_insert(s, &w) && w.id > 0, "workflow insert gives an id");
    store_workflow act = {0};
    ok(store_workflow_active_for(s, "shop", &act, &found) && found, "active workflow found");
    is_str(act.step, "place", "its step");
    is_int(act.state, WF_STATE_ACTIVE, "its state");
    act.state = WF_STATE_DONE;
    ok(store_workflow_update(s, &act), "workflow update");
    store_workflow_clear(&act);
    ok(store_workflow_active_for(s, "shop", &act, &found) && !found, "no active workflow left");
    raw = column(s, "SELECT group_concat(state) FROM workflows");
    is_str(raw, "done", "workflow state as stored before the enums");
    free(raw);

    store_event e = {.source_id = (char *)"shop", .source_type = (char *)"db-instance",
                     .event_id = (char *)"RDS-EVENT-0005", .message = (char *)"DB instance created.",
                     .categories = (char *)"[\"creation\"]", .date_ms = 5000};
    ok(store_event_insert(s, &e), "event insert");
    store_event *evs = NULL;
    n = store_event_list(s, "shop", "db-instance", 0, 10000, 0, 10, &evs);
    is_int(n, 1, "event listed in its window");
    store_event_list_free(evs, n);
    n = store_event_list(s, NULL, NULL, 6000, 10000, 0, 10, &evs);
    is_int(n, 0, "event outside the window not listed");
    store_event_list_free(evs, n);
    /* A row holding a name no enum knows is refused, logged, not a crash. */
    sqlite3_exec(store_sqlite(s), "UPDATE instances SET status='bogus' WHERE id='zeta';"
                 "INSERT INTO nodes(id,instance_id,agent_id,role,goal,addr,port,generation,"
                 "created_ms) VALUES('zeta-1','zeta','us-east-1a','primary','sideways',"
                 "'127.0.1.9',5432,1,2);"
                 "INSERT INTO workflows(instance_id,kind,step,state,data,created_ms,"
                 "step_started_ms) VALUES('zeta','create','place','active',  '{}',1,1);"
                 "INSERT INTO workflows(instance_id,kind,step,state,data,created_ms,"
                 "step_started_ms) VALUES('shop','create','place','paused','{}',1,1);",
                 NULL, NULL, NULL);
    ok(!store_instance_get(s, "zeta", &got, &found) && !found, "an unknown status is refused");
    store_instance_clear(&got);
    n = store_node_list(s, NULL, "us-east-1a", &nodes);
    is_int(n, 1, "a node with an unknown goal is left out of a list");
    store_node_list_free(nodes, n);
    store_node bad = {0};
    ok(!store_node_get(s, "zeta-1", &bad, &found) && !found, "and not found by get");
    store_workflow *ws = NULL;
    n = store_workflow_list_active(s, &ws);
    is_int(n, 1, "the active workflows still list (an unknown state is not active)");
    store_workflow_list_free(ws, n);
    sqlite3_exec(store_sqlite(s), "UPDATE instances SET status='available' WHERE id='zeta';"
                 "DELETE FROM nodes WHERE id='zeta-1';", NULL, NULL, NULL);
    store_close(s);

    s = store_open(path);
    ok(s != NULL, "reopens");
    ok(store_instance_get(s, "zeta", &got, &found) && found, "data survives reopen");
    store_instance_clear(&got);
    store_close(s);
    fs_rm_rf(dir);
    free(path);
    return done_testing();
}
