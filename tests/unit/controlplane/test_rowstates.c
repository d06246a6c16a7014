/* The row states that live with the module owning their table — a DB
 * snapshot's status (snaprow), an automated backup's and a base backup's
 * status (abstore), a delivery's state (delivery): each name table
 * round-trips, refuses unknown names, and holds byte for byte the names
 * the store held before the enums. Over a real store: rows written by the
 * modules read back, and a row whose state is no known name is left out
 * (logged), never a crash. */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/core/query.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/abstore.h"
#include "controlplane/domain/snaprow.h"
#include "controlplane/notify/delivery.h"
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

/* One enum under test, through int-typed adapters. */
typedef struct {
    const char *what;
    int count;
    const char *(*name)(int v);
    bool (*parse)(const char *s, int *v);
} rowstate_case;

#define ADAPT(type)                                                   \
    static const char *type##_n(int v) { return type##_name((type)v); } \
    static bool type##_p(const char *s, int *v)                       \
    {                                                                 \
        type t;                                                       \
        if (!type##_parse(s, &t))                                     \
            return false;                                             \
        *v = (int)t;                                                  \
        return true;                                                  \
    }
ADAPT(snaprow_status)
ADAPT(abstore_status)
ADAPT(abstore_base_status)
ADAPT(delivery_state)

static void walk(const rowstate_case *c)
{
    int good = 0, unique = 0;
    for (int v = 0; v < c->count; v++) {
        const char *n = c->name(v);
        int back = -1;
        good += n && n[0] != '(' && c->parse(n, &back) && back == v;
        bool dup = false;
        for (int w = 0; w < v; w++)
            dup |= strcmp(c->name(w), n) == 0;
        unique += !dup;
    }
    char name[120];
    snprintf(name, sizeof name, "%s: all %d values round-trip through their names", c->what,
             c->count);
    is_int(good, c->count, name);
    snprintf(name, sizeof name, "%s: names are unique", c->what);
    is_int(unique, c->count, name);
    static const char *const bad[] = {"", "bogus", "Available", "available ", "PENDING",
                                      "unknown", "(invalid)"};
    int refused = 0, v = 12345;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused += !c->parse(bad[i], &v) && v == 12345;
    refused += !c->parse(NULL, &v) && v == 12345;
    snprintf(name, sizeof name, "%s: unknown strings and NULL are refused", c->what);
    is_int(refused, (int)(sizeof bad / sizeof bad[0]) + 1, name);
    snprintf(name, sizeof name, "%s: an out-of-range value names itself invalid", c->what);
    is_str(c->name(c->count), "(invalid)", name);
}

static void names_as_stored(void)
{
    is_str(snaprow_status_name(SNAP_CREATING), "creating", "snapshot creating");
    is_str(snaprow_status_name(SNAP_AVAILABLE), "available", "snapshot available");
    is_str(snaprow_status_name(SNAP_FAILED), "failed", "snapshot failed");
    is_str(snaprow_status_name(SNAP_DELETED), "deleted", "snapshot deleted (answer only)");
    is_str(abstore_status_name(AB_ACTIVE), "active", "automated backup active");
    is_str(abstore_status_name(AB_RETAINED), "retained", "automated backup retained");
    is_str(abstore_status_name(AB_DELETING), "deleting", "automated backup deleting");
    is_str(abstore_base_status_name(AB_BASE_CREATING), "creating", "base backup creating");
    is_str(abstore_base_status_name(AB_BASE_AVAILABLE), "available", "base backup available");
    is_str(abstore_base_status_name(AB_BASE_FAILED), "failed", "base backup failed");
    is_str(delivery_state_name(DELIVERY_PENDING), "pending", "delivery pending");
    is_str(delivery_state_name(DELIVERY_DELIVERED), "delivered", "delivery delivered");
    is_str(delivery_state_name(DELIVERY_DEAD), "dead", "delivery dead");
}

static bool sql(region *r, const char *q)
{
    return sqlite3_exec(store_sqlite(r->st), q, NULL, NULL, NULL) == SQLITE_OK;
}

/* The first column of q's first row, or -1. */
static int count(region *r, const char *q)
{
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (sqlite3_prepare_v2(store_sqlite(r->st), q, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void snapshot_rows(region *r)
{
    snaprow s = {.id = (char *)"snap-ok", .instance_id = (char *)"db1",
                 .type = (char *)"manual", .status = SNAP_AVAILABLE, .created_ms = 1,
                 .engine_version = (char *)"15.18", .db_class = (char *)"db.t3.small",
                 .master_username = (char *)"u", .master_verifier = (char *)"v", .port = 5432,
                 .allocated_storage = 20, .storage_type = (char *)"gp3"};
    ok(snaprow_insert(r, &s), "a snapshot row is inserted");
    snaprow got;
    ok(snaprow_get(r, "snap-ok", &got) && got.status == SNAP_AVAILABLE &&
           strcmp(got.id, "snap-ok") == 0,
       "  ... and reads back available");
    snaprow_clear(&got);
    is_int(count(r, "SELECT count(*) FROM db_snapshots WHERE id='snap-ok' AND "
                    "status='available'"), 1,
       "  ... stored as the string 'available'");
    ok(sql(r, "INSERT INTO db_snapshots SELECT 'snap-odd', instance_id, resource_id, type,"
              " 'copying', created_ms, source, encrypted, kms_key_id, engine_version,"
              " db_class, master_username, master_password, db_name, port,"
              " allocated_storage, storage_type, iops, az, instance_created_ms, size_bytes,"
              " error, master_verifier FROM db_snapshots WHERE id='snap-ok'"),
       "a snapshot row with an unknown status");
    ok(!snaprow_get(r, "snap-odd", &got) && got.id == NULL,
       "  ... is treated as absent (and *out left empty)");
}

static void backup_rows(region *r)
{
    ok(sql(r, "INSERT INTO ab_backups(resource_id, instance_id, status, info, retention)"
              " VALUES('db-A','a','retained','{}',7),('db-B','b','archived','{}',7),"
              "('db-C','c','active','{}',1)"),
       "automated backup rows, one with an unknown status");
    abstore_row a;
    ok(abstore_get(r, "db-A", &a) && a.status == AB_RETAINED && a.retention == 7,
       "a retained row reads back retained");
    abstore_row_clear(&a);
    ok(!abstore_get(r, "db-B", &a), "the unknown status is treated as absent");
    abstore_row *rows = NULL;
    int n = abstore_list(r, &rows);
    ok(n == 2 && strcmp(rows[0].rid, "db-A") == 0 && strcmp(rows[1].rid, "db-C") == 0 &&
           rows[1].status == AB_ACTIVE,
       "the list leaves it out");
    abstore_list_free(rows, n);
    ok(sql(r, "INSERT INTO ab_bases(id, resource_id, status, start_ms) VALUES"
              "('b1','db-A','available',1),('b2','db-A','failed',2),('b3','db-A','creating',3)"),
       "base backup rows");
    abstore_base *b = NULL;
    n = abstore_bases(r, "db-A", AB_BASE_AVAILABLE, &b);
    ok(n == 1 && strcmp(b[0].id, "b1") == 0 && b[0].status == AB_BASE_AVAILABLE,
       "only the available base backup is listed as available");
    abstore_bases_free(b, n);
}

static int list_states(region *r, const char *body, char *seen, size_t len)
{
    awserr err = {0};
    params *p = params_parse(body, strlen(body), &err);
    cJSON *res = cJSON_CreateObject();
    int n = -1;
    seen[0] = '\0';
    if (p && delivery_action_list(r, p, res, &err)) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(res, "Deliveries");
        n = cJSON_GetArraySize(list);
        const cJSON *o;
        cJSON_ArrayForEach(o, list)
        {
            const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "State");
            size_t at = strlen(seen);
            snprintf(seen + at, len - at, "%s%s", at ? "," : "",
                     cJSON_IsString(s) ? s->valuestring : "?");
        }
    }
    cJSON_Delete(res);
    params_free(p);
    return n;
}

static void delivery_rows(region *r)
{
    ok(sql(r, "INSERT INTO deliveries(message_id, topic_arn, subscription_arn, protocol,"
              " endpoint, body, state, attempts, next_ms, created_ms) VALUES"
              "('m1','t','s','email','e','{}','pending',0,1,1),"
              "('m2','t','s','email','e','{}','bounced',1,1,1),"
              "('m3','t','s','email','e','{}','dead',5,1,1)"),
       "delivery rows, one with an unknown state");
    char seen[200];
    is_int(list_states(r, "Action=ListDeliveries", seen, sizeof seen), 2,
           "ListDeliveries leaves the unknown one out");
    is_str(seen, "pending,dead", "  ... and names the others as stored");
    is_int(list_states(r, "Action=ListDeliveries&State=dead", seen, sizeof seen), 1,
           "the State filter");
    is_int(list_states(r, "Action=ListDeliveries&State=bounced", seen, sizeof seen), -1,
           "an unknown State filter is refused");
    is_int(list_states(r, "Action=ListDeliveries&MaxItems=1", seen, sizeof seen), 1,
           "a page of one");
}

int main(void)
{
    const rowstate_case cases[] = {
        {"snaprow_status", SNAP_STATUS_COUNT, snaprow_status_n, snaprow_status_p},
        {"abstore_status", AB_STATUS_COUNT, abstore_status_n, abstore_status_p},
        {"abstore_base_status", AB_BASE_STATUS_COUNT, abstore_base_status_n,
         abstore_base_status_p},
        {"delivery_state", DELIVERY_STATE_COUNT, delivery_state_n, delivery_state_p},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        walk(&cases[i]);
    names_as_stored();

    char dir[] = "/tmp/rdsim-rowstates-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *db = xasprintf("%s/cp.db", dir);
    region r = {0};
    r.cfg.name = "us-east-1";
    r.cfg.account = "123456789012";
    r.home = dir;
    r.st = store_open(db);
    ok(r.st != NULL, "store");
    if (r.st) {
        snapshot_rows(&r);
        backup_rows(&r);
        delivery_rows(&r);
        store_close(r.st);
    }
    fs_rm_rf(dir);
    free(db);
    return done_testing();
}
