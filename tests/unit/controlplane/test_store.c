/* The store: migrations (a fresh store has the whole schema; a store at
 * the previous version, synthetic and as the old binary wrote it, migrates),
 * CRUD, the instance's meta keys going with it, transactions, reopen. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controlplane/core/store.h"

#include <sqlite3.h>
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/scram.h"
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
        .master_verifier = (char *)"SCRAM-SHA-256$4096:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg=", .port = 5432, .allocated_storage = 20,
        .storage_type = (char *)"gp3", .backup_retention = 1,
        .backup_window = (char *)"03:00-03:30", .maintenance_window = (char *)"mon:12:00-mon:12:30",
        .dns_ttl = -1, .created_ms = 1000,
    };
}

/* Every table and index of the schema, the modules' included. */
static const char *const schema_objects[] = {
    "meta", "instances", "nodes", "workflows", "events", "sns_topics", "sns_subscriptions",
    "event_subscriptions", "deliveries", "sqs_queues", "sqs_messages", "db_snapshots",
    "snapshot_restores",
    /* the step that took over the modules' CREATE TABLE IF NOT EXISTS */
    "kms_keys", "kms_aliases", "network_objects", "db_parameter_groups", "db_parameters",
    "ab_backups", "ab_bases", "ab_restores", "em_samples", "log_files", "log_chunks",
    "storage_state", "storage_samples",
    "access_keys", "iam_users", "iam_user_policies",
    "nodes_instance", "nodes_agent", "workflows_active", "events_date",
    "sns_subscriptions_topic", "deliveries_due", "sqs_messages_queue", "kms_aliases_key",
    "em_samples_ts", "storage_samples_ts", NULL};

/* The names in schema_objects that the store lacks, space-separated ("" if
 * none; malloc'd). */
static char *schema_missing(store *s)
{
    char *out = xstrdup("");
    for (int i = 0; schema_objects[i]; i++) {
        sqlite3_stmt *st = NULL;
        sqlite3_prepare_v2(store_sqlite(s), "SELECT 1 FROM sqlite_master WHERE name=?", -1, &st,
                           NULL);
        sqlite3_bind_text(st, 1, schema_objects[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW) {
            char *more = xasprintf("%s%s ", out, schema_objects[i]);
            free(out);
            out = more;
        }
        sqlite3_finalize(st);
    }
    return out;
}

static int schema_version_of(store *s)
{
    char *v = store_meta_get(s, "schema_version");
    int n = atoi(v ? v : "0");
    free(v);
    return n;
}

static int count_rows(store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (sqlite3_prepare_v2(store_sqlite(s), sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* A store at the previous version without the modules' tables (as if no
 * module had run yet) migrates to the current one and gains them. */
static void test_migrate_synthetic(const char *dir)
{
    char *path = xasprintf("%s/v4.db", dir);
    store *s = store_open(path);
    ok(s != NULL, "v4 (synthetic): a store to wind back");
    ok(sqlite3_exec(store_sqlite(s),
                    "DROP TABLE kms_keys; DROP TABLE kms_aliases; DROP TABLE network_objects;"
                    "DROP TABLE db_parameter_groups; DROP TABLE db_parameters;"
                    "DROP TABLE ab_backups; DROP TABLE ab_bases; DROP TABLE ab_restores;"
                    "DROP TABLE em_samples; DROP TABLE log_files; DROP TABLE log_chunks;"
                    "DROP TABLE storage_state; DROP TABLE storage_samples;"
                    "ALTER TABLE instances DROP COLUMN master_verifier;"
                    "ALTER TABLE instances DROP COLUMN admin_secret;"
                    "ALTER TABLE instances DROP COLUMN admin_verifier;"
                    "ALTER TABLE db_snapshots DROP COLUMN master_verifier;"
                    "DROP INDEX instances_cluster; ALTER TABLE instances DROP COLUMN cluster_id;"
                    "DROP TABLE db_clusters;"
                    "UPDATE meta SET value='4' WHERE key='schema_version';",
                    NULL, NULL, NULL) == SQLITE_OK,
       "v4 (synthetic): the modules' tables dropped, version set back to 4");
    store_close(s);
    s = store_open(path);
    ok(s != NULL, "v4 (synthetic): opens");
    is_int(schema_version_of(s), STORE_SCHEMA_VERSION, "v4 (synthetic): migrated to the current version");
    char *missing = schema_missing(s);
    is_str(missing, "", "v4 (synthetic): every table and index is there");
    free(missing);
    store_close(s);
    free(path);
}

/* The upgrade fixture: a store the old binary (schema 4) wrote, with the
 * modules' tables made by the modules, rows in them, and a create
 * workflow mid-step. It migrates without losing a row. */
static void test_migrate_fixture(const char *dir)
{
    const char *dump = "tests/integration/fixtures/upgrade-9c99fdb/controlplane.sql";
    char *sql = fs_read_all(dump, 1 << 22, NULL);
    if (!sql) {
        ok(false, "v4 (old binary): the fixture is readable (run from the top of the tree)");
        return;
    }
    char *path = xasprintf("%s/old.db", dir);
    sqlite3 *db = NULL;
    bool loaded = sqlite3_open(path, &db) == SQLITE_OK &&
                  sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(db);
    free(sql);
    ok(loaded, "v4 (old binary): the fixture's dump loads");
    store *s = store_open(path);
    ok(s != NULL, "v4 (old binary): opens");
    if (s) {
        is_int(schema_version_of(s), STORE_SCHEMA_VERSION, "v4 (old binary): migrated");
        char *missing = schema_missing(s);
        is_str(missing, "", "v4 (old binary): every table and index is there");
        free(missing);
        is_int(count_rows(s, "SELECT count(*) FROM network_objects WHERE kind='sg'"), 1,
               "v4 (old binary): the module rows kept (the default security group)");
        store_workflow w = {0};
        bool found = false;
        ok(store_workflow_active_for(s, "upg", &w, &found) && found,
           "v4 (old binary): the pending workflow is still active");
        is_str(w.step, "wait_running", "v4 (old binary): at the step it was killed at");
        store_workflow_clear(&w);
    }
    store_close(s);
    free(path);
}

/* Deleting an instance deletes its meta keys, and only its own. */
static void test_delete_meta(const char *dir)
{
    char *path = xasprintf("%s/meta.db", dir);
    store *s = store_open(path);
    store_instance a = sample("web");
    store_instance b = sample("web-2");
    b.resource_id = (char *)"db-WEB2";
    ok(store_instance_insert(s, &a) && store_instance_insert(s, &b), "delete: two instances");
    static const char *const gone[] = {"maint:system:web", "maint:optin:web:system-update",
                                       "maint:optin:web:db-upgrade", "stopped_at:web",
                                       "kms_lost_at:web", NULL};
    static const char *const kept[] = {"maint:system:web-2", "maint:optin:web-2:system-update",
                                       "stopped_at:web-2", "kms_lost_at:web-2",
                                       "maint:checked_at", "stopped_at:web2", NULL};
    bool set = true;
    for (int i = 0; gone[i]; i++)
        set = set && store_meta_set(s, gone[i], "1");
    for (int i = 0; kept[i]; i++)
        set = set && store_meta_set(s, kept[i], "1");
    ok(set, "delete: meta keys of both set");
    ok(store_begin(s) && store_instance_delete(s, "web"), "delete web in a transaction");
    store_rollback(s);
    char *v = store_meta_get(s, "stopped_at:web");
    is_str(v, "1", "delete: a rolled-back delete keeps the keys");
    free(v);
    ok(store_begin(s) && store_instance_delete(s, "web") && store_commit(s), "delete web");
    int left = 0;
    for (int i = 0; gone[i]; i++) {
        v = store_meta_get(s, gone[i]);
        left += v != NULL;
        free(v);
    }
    is_int(left, 0, "delete: every meta key of web is gone");
    int kept_n = 0;
    for (int i = 0; kept[i]; i++) {
        v = store_meta_get(s, kept[i]);
        kept_n += v != NULL;
        free(v);
    }
    is_int(kept_n, 6, "delete: web-2's keys and the region's stay");
    ok(store_instance_insert(s, &a), "delete: a new web under the same identifier");
    v = store_meta_get(s, "maint:system:web");
    is_str(v, NULL, "delete: it inherits no maintenance level");
    free(v);
    ok(store_instance_delete(s, "web-2"), "delete outside a transaction (its own savepoint)");
    v = store_meta_get(s, "stopped_at:web-2");
    is_str(v, NULL, "delete: web-2's keys gone too");
    free(v);
    store_close(s);
    free(path);
}

/* Issue 18: statements are cached and reused. A reused statement must not
 * keep a read transaction open: a second connection's write is seen at the
 * next call; a read inside a walk of the same table sees every row; begin
 * and commit through the cache still make one transaction. */
static void test_stmt_cache(const char *dir)
{
    char *path = xasprintf("%s/cache.db", dir);
    store *s = store_open(path), *o = store_open(path);
    store_instance a = sample("c1"), b = sample("c2");
    b.resource_id = (char *)"db-C2";
    ok(s && o && store_instance_insert(s, &a) && store_instance_insert(s, &b),
       "cache: two instances, two connections");
    store_instance got = {0};
    bool found = false;
    int seen = 0;
    for (int round = 0; round < 3; round++) {
        store_instance_get(s, "c1", &got, &found);
        seen += found && got.status == (round == 0 ? a.status : STATUS_STOPPED);
        store_instance_clear(&got);
        store_instance w = a;
        w.status = STATUS_STOPPED;
        store_instance_update(o, &w);
    }
    is_int(seen, 3, "cache: another connection's update is seen by the next get");
    char **ids = NULL;
    int n = store_instance_list(s, NULL, 10, &ids), inner = 0;
    for (int i = 0; i < n; i++) {
        inner += store_instance_get(s, ids[i], &got, &found) && found;
        store_instance_clear(&got);
        char **again = NULL;
        int m = store_instance_list(s, ids[i], 10, &again);
        inner += m == n - 1 - i;
        for (int j = 0; j < m; j++)
            free(again[j]);
        free(again);
        free(ids[i]);
    }
    free(ids);
    is_int(inner, 4, "cache: gets and lists inside a walk see every row");
    ok(store_begin(s) && store_instance_delete(s, "c2"), "cache: a delete in a transaction");
    store_rollback(s);
    ok(store_instance_get(o, "c2", &got, &found) && found, "cache: rolled back, c2 is there");
    store_instance_clear(&got);
    ok(store_begin(s) && store_instance_delete(s, "c2") && store_commit(s),
       "cache: begin and commit again");
    store_instance_get(o, "c2", &got, &found);
    ok(!found, "cache: committed, c2 is gone for the other connection");
    store_close(o);
    store_close(s);
    free(path);
}

/* Runs sql on s's connection directly (not through the store's API, as
 * the modules with tables of their own do); true on success. */
static bool exec_sql(store *s, const char *sql)
{
    return sqlite3_exec(store_sqlite(s), sql, NULL, NULL, NULL) == SQLITE_OK;
}

/* Issue 18: store_generation moves on every write to a state table and on
 * a rollback, and stays on a read and on a write to an observation table
 * (metrics, events), which the idle region makes every second. */
static void test_generation(const char *dir)
{
    char *path = xasprintf("%s/gen.db", dir);
    store *s = store_open(path);
    store_instance a = sample("g1");
    ok(s && store_instance_insert(s, &a), "gen: an instance");
    uint64_t g = store_generation(s);
    store_instance got = {0};
    bool found = false;
    store_instance_get(s, "g1", &got, &found);
    ok(store_generation(s) == g, "gen: a read leaves it");
    got.status = STATUS_AVAILABLE;
    ok(store_instance_update(s, &got) && store_generation(s) != g,
       "gen: an instance row updated moves it");
    g = store_generation(s);
    ok(store_instance_update(s, &got) && store_generation(s) != g,
       "gen: even an update to the same values (a row written)");
    g = store_generation(s);
    store_event ev = {.source_id = (char *)"g1", .source_type = (char *)"db-instance",
                      .event_id = (char *)"RDS-EVENT-0001", .message = (char *)"m",
                      .categories = (char *)"[]", .date_ms = 1,
                      .source_arn = (char *)"arn:aws:rds:us-east-1:1:db:g1"};
    ok(store_event_insert(s, &ev) &&
           exec_sql(s, "INSERT INTO cw_metrics(namespace,name,dims,last_s) VALUES('A','B','',1)") &&
           exec_sql(s, "INSERT INTO cw_points(metric,res,unit,ts,n,sum,min,max) "
                       "VALUES(1,60,'None',0,1,1,1,1)") &&
           store_generation(s) == g,
       "gen: events and metrics (observations) leave it");
    ok(exec_sql(s, "INSERT INTO network_objects(kind,id,doc) VALUES('sg','sg-1','{}')") &&
           store_generation(s) != g,
       "gen: a module's own state table (network_objects) moves it");
    g = store_generation(s);
    ok(store_meta_set(s, "k", "v") && store_generation(s) != g, "gen: meta moves it");
    g = store_generation(s);
    ok(store_meta_set(s, "maint:checked_at", "5") &&
           exec_sql(s, "INSERT OR REPLACE INTO storage_state(instance_id, low_since_ms, "
                       "last_change_ms, allocated_seen, warned_low, warned_max, warned_cap) "
                       "VALUES('g1', 0, 0, 20, 0, 0, 0)") &&
           store_generation(s) == g,
       "gen: the jobs' bookkeeping (maintenance's mark, storage_state) leaves it");
    ok(store_meta_set(s, "k", "w") && store_generation(s) != g,
       "gen: ... and the next meta write moves it again");
    g = store_generation(s);
    ok(store_begin(s) && store_in_transaction(s), "gen: in a transaction");
    store_rollback(s);
    ok(!store_in_transaction(s) && store_generation(s) == g,
       "gen: a rollback of a transaction that wrote nothing leaves it");
    ok(store_begin(s) && store_meta_set(s, "k", "x"), "gen: a transaction writes");
    g = store_generation(s);
    store_rollback(s);
    ok(store_generation(s) != g, "gen: its rollback moves it again");
    g = store_generation(s);
    ok(store_begin(s) && store_meta_set(s, "k", "y") && store_commit(s) &&
           store_generation(s) != g,
       "gen: a committed transaction's write moves it");
    g = store_generation(s);
    ok(store_begin(s), "gen: begin after a commit");
    store_rollback(s);
    ok(store_generation(s) == g, "gen: an empty rollback after a commit leaves it");
    ok(store_node_delete(s, "none") && store_generation(s) == g,
       "gen: a delete that matched no row leaves it");
    store_instance_clear(&got);
    store_close(s);
    free(path);
}

/* Issue 12: a store written before schema 6 holds plaintext master
 * passwords; opening it leaves only verifiers. The file is 0600. */
static void test_no_plaintext(const char *dir)
{
    char *path = xasprintf("%s/plain.db", dir);
    store *s = store_open(path);
    store_instance a = sample("old");
    ok(s && store_instance_insert(s, &a), "plaintext: an instance");
    ok(sqlite3_exec(store_sqlite(s),
                    "UPDATE instances SET master_password='old-Secret-pw1', master_verifier='';"
                    "INSERT INTO ab_backups(resource_id, instance_id, status, info, retention)"
                    " VALUES('db-OLD', 'old', 'active',"
                    " '{\"MasterUsername\":\"app\",\"MasterUserPassword\":\"old-Secret-pw1\"}', 1);",
                    NULL, NULL, NULL) == SQLITE_OK,
       "plaintext: a row and an automated backup as an old binary wrote them");
    store_close(s);
    chmod(path, 0644);
    s = store_open(path);
    struct stat st;
    ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "store file narrowed to 0600");
    store_instance got = {0};
    bool found = false;
    ok(s && store_instance_get(s, "old", &got, &found) && found &&
           scram_check("old-Secret-pw1", got.master_verifier),
       "plaintext: the verifier was computed from it");
    store_instance_clear(&got);
    is_int(count_rows(s, "SELECT count(*) FROM instances WHERE master_password <> ''"), 0,
           "plaintext: emptied");
    is_int(count_rows(s, "SELECT count(*) FROM ab_backups WHERE info LIKE '%old-Secret%'"
                         " OR info NOT LIKE '%MasterUserVerifier%'"), 0,
           "plaintext: the automated backup keeps only the verifier");
    store_close(s);
    free(path);
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
    char *missing = schema_missing(s);
    is_str(missing, "", "a fresh store has every table and index of the schema");
    free(missing);
    store_close(s);

    test_migrate_synthetic(dir);
    test_migrate_fixture(dir);
    test_delete_meta(dir);
    test_no_plaintext(dir);
    test_stmt_cache(dir);
    test_generation(dir);
    fs_rm_rf(dir);
    free(path);
    return done_testing();
}
