/* The heartbeat boundary: an agent's node state and role are parsed into
 * states.h's enums there; a state this controlplane does not know is
 * accepted (as before the enums) and matches no test; a malformed report
 * is a 400 that leaves the registry alone; the registry is bounded and a
 * full one forgets only an agent silent for the stale time (issue 13,
 * hole 6c); a heartbeat runs the cron's pass only when its report says
 * something new (issue 18); a reply kept from an earlier heartbeat is the
 * reply a fresh build gives, after every kind of change (issue 18). */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controlplane/core/agents.h"
#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "controlplane/view/nodespec.h"
#include "lib/agentmac.h"
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

static int beat(region *r, const char *body)
{
    int status = 0;
    static const uint8_t key[32] = {1};
    free(nodespec_heartbeat(r, "us-east-1a", key, body, strlen(body), &status));
    return status;
}

/* agents_record of agent `id` in az; true when recorded. */
static bool record(region *r, const char *id, const char *az)
{
    char *body = xasprintf("{\"agent_id\":\"%s\",\"az\":\"%s\",\"addr_base\":\"127.0.9\","
                           "\"nodes\":[]}", id, az);
    char got[AGENTS_ID_MAX], *err = NULL;
    bool done = agents_record(r, body, strlen(body), got, &err);
    free(err);
    free(body);
    return done;
}

static void test_bounded(void)
{
    region r = {.cfg = {.name = "us-east-1", .naz = 1, .azs = {"us-east-1a"}}};
    r.agents = agents_new();
    ok(!record(&r, "fake-1", "us-east-9z") && agents_count(r.agents) == 0,
       "an unknown AZ is refused, nothing registered");
    int in = 0;
    for (int i = 0; i < AGENTS_MAX; i++) {
        char id[32];
        snprintf(id, sizeof id, "ag-%d", i);
        in += record(&r, id, "us-east-1a");
    }
    is_int(in, AGENTS_MAX, "AGENTS_MAX agents registered");
    ok(record(&r, "ag-0", "us-east-1a"), "a known agent's heartbeat is taken when full");
    ok(!record(&r, "new-1", "us-east-1a") && agents_count(r.agents) == AGENTS_MAX &&
           agents_last_seen(r.agents, "new-1") == 0,
       "full of live agents: a new one is refused");
    int refused = 0;
    for (int i = 0; i < 1000; i++) {
        char id[32];
        snprintf(id, sizeof id, "flood-%d", i);
        refused += !record(&r, id, "us-east-1a");
    }
    ok(refused == 1000 && agents_count(r.agents) == AGENTS_MAX && agents_last_seen(r.agents, "ag-5") > 0,
       "1000 new ids: all refused, the live ones kept");
    agents_set_stale_ms(r.agents, 0); /* every agent counts as silent long enough */
    ok(record(&r, "new-1", "us-east-1a") && agents_count(r.agents) == AGENTS_MAX,
       "a stale agent makes room for a new one");
    ok(agents_last_seen(r.agents, "ag-1") == 0 && agents_last_seen(r.agents, "ag-0") > 0 &&
           agents_last_seen(r.agents, "ag-2") > 0,
       "... the one heard from least recently (ag-1, not ag-0 which beat again)");
    agents_free(r.agents);
}

static int passes;
static void count_pass(region *r)
{
    (void)r;
    passes++;
}

/* One heartbeat of agent us-east-1a with nodes (a JSON array); true when
 * it ran the cron's pass. */
static bool beat_passed(region *r, const char *nodes)
{
    char *body = xasprintf("{\"agent_id\":\"us-east-1a\",\"az\":\"us-east-1a\","
                           "\"addr_base\":\"127.0.1\",\"nodes\":%s}", nodes);
    int before = passes;
    beat(r, body);
    free(body);
    return passes > before;
}

/* Which heartbeats run a pass: a new agent, any field of a node report
 * changed, a node added or gone, an agent back from silence; not a
 * report like the last one, whatever its order. */
static void test_pass_when_changed(region *r)
{
    r->pass_hook = count_pass;
    r->cfg.agent_timeout_ms = 60000;
    static const char a[] = "{\"node_id\":\"p1\",\"state\":\"running\",\"role\":\"primary\","
                            "\"generation\":2,\"pid\":10,\"restarts\":0}";
    static const char b[] = "{\"node_id\":\"p2\",\"state\":\"running\",\"role\":\"standby\","
                            "\"generation\":1,\"pid\":11}";
    char *ab = xasprintf("[%s,%s]", a, b), *ba = xasprintf("[%s,%s]", b, a);
    static const struct {
        const char *name, *nodes;
        bool pass;
    } cases[] = {
        {"a new generation", "{\"node_id\":\"p1\",\"state\":\"running\",\"role\":\"primary\","
                             "\"generation\":3,\"pid\":10}", true},
        {"... then unchanged: no pass", "{\"node_id\":\"p1\",\"state\":\"running\","
                                        "\"role\":\"primary\",\"generation\":3,\"pid\":10}", false},
        {"a state changed", "{\"node_id\":\"p1\",\"state\":\"stopped\",\"role\":\"primary\","
                            "\"generation\":3,\"pid\":10}", true},
        {"a role changed", "{\"node_id\":\"p1\",\"state\":\"stopped\",\"role\":\"standby\","
                           "\"generation\":3,\"pid\":10}", true},
        {"a pid changed", "{\"node_id\":\"p1\",\"state\":\"stopped\",\"role\":\"standby\","
                          "\"generation\":3,\"pid\":12}", true},
        {"an error appeared", "{\"node_id\":\"p1\",\"state\":\"stopped\",\"role\":\"standby\","
                              "\"generation\":3,\"pid\":12,\"error\":\"x\"}", true},
        {"parameters_id changed", "{\"node_id\":\"p1\",\"state\":\"stopped\",\"role\":"
                                  "\"standby\",\"generation\":3,\"pid\":12,\"error\":\"x\","
                                  "\"parameters_id\":\"9\"}", true},
    };
    ok(beat_passed(r, ab), "a new agent's first heartbeat: a pass");
    ok(!beat_passed(r, ab), "the same report again: no pass");
    ok(!beat_passed(r, ba), "the same nodes in another order: no pass");
    char *only_a = xasprintf("[%s]", a);
    ok(beat_passed(r, only_a), "a node gone: a pass");
    ok(beat_passed(r, ab), "a node added: a pass");
    ok(beat_passed(r, "[]"), "every node gone: a pass");
    ok(!beat_passed(r, "[]"), "still none: no pass");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *one = xasprintf("[%s]", cases[i].nodes);
        ok(beat_passed(r, one) == cases[i].pass, cases[i].name);
        free(one);
    }
    char *last = xasprintf("[%s]", cases[sizeof cases / sizeof cases[0] - 1].nodes);
    r->cfg.agent_timeout_ms = 0; /* every gap between heartbeats is silence now */
    usleep(2000);
    ok(beat_passed(r, last), "the same report after the agent timeout: a pass");
    ok(agents_changed(r->agents, "nobody"), "an unknown agent counts as changed");
    r->cfg.agent_timeout_ms = 60000;
    ok(!beat_passed(r, last), "and again within it: no pass");
    r->pass_hook = NULL;
    free(last);
    free(only_a);
    free(ab);
    free(ba);
}

/* ---- the reply cache ---------------------------------------------------------- */

/* The reply to an empty report of us-east-1a under key (malloc'd). */
static char *reply_of(region *r, const uint8_t key[32])
{
    static const char body[] = "{\"agent_id\":\"us-east-1a\",\"az\":\"us-east-1a\","
                               "\"addr_base\":\"127.0.1\",\"nodes\":[]}";
    int status = 0;
    char *out = nodespec_heartbeat(r, "us-east-1a", key, body, strlen(body), &status);
    return status == 200 ? out : (free(out), xstrdup("status not 200"));
}

/* Every sealed string under node (a spec) replaced by its plaintext, the
 * label tried by the member's name (nodespec.h's labels). */
static void open_sealed(cJSON *o, const char *node_id, const uint8_t key[32])
{
    cJSON *c;
    cJSON_ArrayForEach(c, o) {
        if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
            open_sealed(c, node_id, key);
            continue;
        }
        if (!cJSON_IsString(c) || strncmp(c->valuestring, "v1:", 3) != 0)
            continue;
        static const char *const labels[] = {"replication", "master_password", "tls_key"};
        char *plain = NULL;
        for (size_t i = 0; i < 3 && !plain; i++) {
            char label[128];
            snprintf(label, sizeof label, "%s/%s", node_id, labels[i]);
            plain = agentmac_open(key, label, c->valuestring);
        }
        cJSON_SetValuestring(c, plain ? plain : "does not open");
        free(plain);
    }
}

/* reply with its secrets opened (malloc'd): what the agent acts on. */
static char *opened(const char *reply, const uint8_t key[32])
{
    cJSON *j = cJSON_Parse(reply);
    cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(j, "nodes")) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(g, "node_id");
        if (cJSON_IsString(id))
            open_sealed(g, id->valuestring, key);
    }
    char *out = j ? cJSON_PrintUnformatted(j) : xstrdup("not JSON");
    cJSON_Delete(j);
    return out;
}

/* The reply now (kept or built), compared with a fresh build after
 * forgetting every kept reply; both opened. True when equal; *was_out
 * (malloc'd) is the opened reply, for the caller's next comparison. */
static bool same_as_fresh(region *r, const uint8_t key[32], const char *name, char **was_out)
{
    char *now = reply_of(r, key);
    nodespec_cache_free(r);
    char *fresh = reply_of(r, key);
    char *a = opened(now, key), *b = opened(fresh, key);
    bool same = strcmp(a, b) == 0;
    is_str(a, b, name);
    free(now);
    free(fresh);
    free(b);
    *was_out = a;
    return same;
}

/* got and unwanted differ (both strings). */
static void isnt_str(const char *got, const char *unwanted, const char *name)
{
    if (!ok(strcmp(got, unwanted) != 0, name))
        diag("got '%s', which it must not be", got);
}

static bool exec_sql(region *r, const char *sql)
{
    return sqlite3_exec(store_sqlite(r->st), sql, NULL, NULL, NULL) == SQLITE_OK;
}

/* A kept reply is sent again only while nothing it was built from
 * changed: after each change below, the reply equals a fresh build and
 * differs from the one before the change. */
static void test_reply_cache(region *r)
{
    static const uint8_t key[32] = {7}, key2[32] = {8};
    store_instance in = {
        .id = (char *)"c1", .resource_id = (char *)"db-C1", .status = STATUS_AVAILABLE,
        .db_class = (char *)"db.t3.micro", .engine = (char *)"postgres",
        .engine_version = (char *)"15.18", .master_username = (char *)"app",
        .master_verifier = (char *)"SCRAM-SHA-256$4096:x$y:z", .port = 5432,
        .allocated_storage = 20, .storage_type = (char *)"gp3", .backup_retention = 1,
        .backup_window = (char *)"03:00-03:30", .maintenance_window = (char *)"mon:12:00-mon:12:30",
        .dns_ttl = -1, .created_ms = 1000, .multi_az = true, .primary_node = (char *)"c1-a",
        .repl_password = (char *)"repl-secret", .ha_state = HA_NONE};
    store_node a = {.id = (char *)"c1-a", .instance_id = (char *)"c1",
                    .agent_id = (char *)"us-east-1a", .role = ROLE_PRIMARY, .goal = GOAL_RUNNING,
                    .addr = (char *)"127.0.1.10", .port = 5432, .generation = 1,
                    .sync_standbys = (char *)"[\"c1-b\"]"};
    store_node b = {.id = (char *)"c1-b", .instance_id = (char *)"c1",
                    .agent_id = (char *)"us-east-1a", .role = ROLE_STANDBY, .goal = GOAL_RUNNING,
                    .addr = (char *)"127.0.1.11", .port = 5432, .generation = 1,
                    .upstream = (char *)"c1-a", .sync_standbys = (char *)"[]"};
    ok(store_instance_insert(r->st, &in) && store_node_insert(r->st, &a) &&
           store_node_insert(r->st, &b),
       "cache: an instance with a primary and a standby on us-east-1a");
    nodespec_cache_free(r);
    char *first = reply_of(r, key), *again = reply_of(r, key);
    ok(strstr(first, "\"c1-b\"") && strstr(first, "password_sealed"),
       "cache: the reply has both nodes and a sealed secret");
    is_str(again, first, "cache: nothing changed: the same bytes again (kept, sealed once)");
    nodespec_cache_free(r);
    char *fresh = reply_of(r, key);
    isnt_str(fresh, first, "cache: a fresh build seals anew (so the test tells them apart)");
    char *o1 = opened(first, key), *o2 = opened(fresh, key), *was = NULL, *now = NULL;
    is_str(o2, o1, "cache: ... and opened, it is the same reply");
    free(first);
    free(again);
    free(fresh);
    free(o2);
    was = o1;

    /* Each change: its name, what it does. */
#define CHANGED(name)                                                                              \
    do {                                                                                           \
        same_as_fresh(r, key, "cache: " name ": the same as a fresh build", &now);                 \
        isnt_str(now, was, "cache: " name ": the reply shows it");                                 \
        free(was);                                                                                 \
        was = now;                                                                                 \
    } while (0)
    in.status = STATUS_STORAGE_FULL;
    ok(store_instance_update(r->st, &in), "cache: the instance storage-full");
    CHANGED("an instance row");
    b.generation = 2;
    b.goal = GOAL_STOPPED;
    ok(store_node_update(r->st, &b), "cache: the standby stopped");
    CHANGED("a node row");
    a.sync_standbys = (char *)"[]";
    ok(store_node_update(r->st, &a), "cache: the primary's sync standbys emptied");
    CHANGED("the primary's sync standbys");
    ok(exec_sql(r, "INSERT INTO ab_restores(instance_id, base_path, wal_dir, target_ms) "
                   "VALUES('c1', '/b', '/w', 1000)"),
       "cache: a point-in-time restore row (a module's own table, plain SQL)");
    CHANGED("a module's table");
    /* A read mid-transaction is not kept: rolled back, the reply is the
     * committed state's. */
    ok(store_begin(r->st), "cache: begin");
    in.status = STATUS_AVAILABLE;
    store_instance_update(r->st, &in);
    char *mid = reply_of(r, key), *mid_o = opened(mid, key);
    isnt_str(mid_o, was, "cache: inside the transaction the reply shows its write");
    store_rollback(r->st);
    char *after = reply_of(r, key), *after_o = opened(after, key);
    is_str(after_o, was, "cache: rolled back: the committed state again, not the kept read");
    free(mid);
    free(mid_o);
    free(after);
    free(after_o);
    /* The key the secrets are sealed under. */
    char *k1 = reply_of(r, key), *k2 = reply_of(r, key2), *k2o = opened(k2, key2);
    char *k1o = opened(k1, key);
    ok(strstr(k2o, "repl-secret") && strcmp(k2o, k1o) == 0,
       "cache: a new agent key: sealed under it (opens with it), same reply");
    free(k1);
    free(k2);
    free(k2o);
    free(k1o);
    ok(store_node_delete(r->st, "c1-b"), "cache: the standby's row deleted");
    CHANGED("a node gone");
    ok(store_instance_delete(r->st, "c1") && store_node_delete(r->st, "c1-a"),
       "cache: the instance and its primary deleted");
    CHANGED("every node gone");
#undef CHANGED
    free(was);
    nodespec_cache_free(r);
    ok(r->spec_cache == NULL, "cache: freed");
}

int main(void)
{
    test_bounded();
    char dir[] = "/tmp/rdsim-hb-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *path = xasprintf("%s/cp.db", dir);
    region r = {.cfg = {.name = "us-east-1", .naz = 1, .azs = {"us-east-1a"}}};
    r.st = store_open(path);
    r.agents = agents_new();
    ok(r.st && r.agents, "a store and a registry");

    is_int(beat(&r, "{\"agent_id\":\"us-east-1a\",\"az\":\"us-east-1a\",\"addr_base\":\"127.0.1\","
                    "\"nodes\":[{\"node_id\":\"n1\",\"state\":\"running\",\"role\":\"primary\","
                    "\"generation\":3},{\"node_id\":\"n2\",\"state\":\"levitating\"},"
                    "{\"node_id\":\"n3\",\"state\":\"crashed\",\"role\":\"leader\"}]}"),
           200, "a heartbeat is accepted");
    const agent_node_report *n1 = agents_node_report(r.agents, "us-east-1a", "n1");
    ok(n1 && n1->state == AGENT_NODE_RUNNING && n1->has_role && n1->role == ROLE_PRIMARY &&
           n1->generation == 3,
       "a known state and role are parsed");
    const agent_node_report *n2 = agents_node_report(r.agents, "us-east-1a", "n2");
    ok(n2 && n2->state == AGENT_NODE_OTHER && !n2->has_role,
       "an unknown state is kept as OTHER, a missing role as none");
    const agent_node_report *n3 = agents_node_report(r.agents, "us-east-1a", "n3");
    ok(n3 && n3->state == AGENT_NODE_CRASHED && !n3->has_role, "an unknown role is no role");

    is_int(beat(&r, "{\"agent_id\":\"us-east-1a\",\"az\":\"us-east-1a\",\"addr_base\":\"127.0.1\","
                    "\"nodes\":[{\"node_id\":\"n1\",\"state\":7}]}"),
           400, "a state that is not a string is a 400");
    n1 = agents_node_report(r.agents, "us-east-1a", "n1");
    ok(n1 && n1->state == AGENT_NODE_RUNNING, "and leaves the registry as it was");
    is_int(beat(&r, "{\"agent_id\":\"us-east-1a\",\"az\":\"us-east-1a\",\"addr_base\":\"127.0.1\","
                    "\"nodes\":[{\"node_id\":\"n1\","
                    "\"state\":\"a-state-name-far-too-long-for-any-agent\"}]}"),
           400, "a state name too long is a 400, as before");
    test_pass_when_changed(&r);
    test_reply_cache(&r);

    /* Authentication (agents_authenticate): key files by agent id. */
    char *keys = xasprintf("%s/keys", dir);
    char *kf = xasprintf("%s/us-east-1a.key", keys);
    fs_mkdir_p(keys, 0700);
    static const char hex[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    FILE *f = fopen(kf, "w");
    fputs(hex, f);
    fclose(f);
    chmod(kf, 0600);
    uint8_t key[32], got[32];
    agentmac_key_parse(hex, 64, key);
    const char *body = "{\"agent_id\":\"us-east-1a\"}";
    const char *hbpath = "/agent/v1/heartbeat";
    char t[24], nonce[AGENTMAC_NONCE_HEX + 1], sig[AGENTMAC_SIG_HEX + 1];
    agentmac_time(wall_ms(), t);
    agentmac_nonce(nonce);
    agentmac_sign(key, AGENTMAC_REQUEST, "POST", hbpath, "us-east-1a", t, nonce, body,
                  strlen(body), sig);
    agents_auth_in in = {"us-east-1a", t, nonce, sig};
    int status = 0;
    char *err = NULL;
    ok(!agents_authenticate(r.agents, &in, hbpath, body, strlen(body), got, &status, &err) &&
           status == 403,
       "no key directory: every agent is unknown (403)");
    free(err);
    agents_set_key_dir(r.agents, keys);
    ok(agents_authenticate(r.agents, &in, hbpath, body, strlen(body), got, &status, &err) &&
           memcmp(got, key, 32) == 0,
       "a signed request authenticates, with the agent's key");
    err = NULL;
    ok(!agents_authenticate(r.agents, &in, hbpath, body, strlen(body), got, &status, &err) &&
           status == 401 && strstr(err, "replay"),
       "the same request again: 401 replay");
    free(err);
    agents_auth_in none = {NULL, NULL, NULL, NULL};
    ok(!agents_authenticate(r.agents, &none, hbpath, body, strlen(body), got, &status, &err) &&
           status == 401 && strstr(err, "\"error\""),
       "no headers: 401 with a JSON error");
    free(err);
    agents_auth_in other = {"us-east-1b", t, nonce, sig};
    ok(!agents_authenticate(r.agents, &other, hbpath, body, strlen(body), got, &status, &err) &&
           status == 403,
       "an agent without a key file: 403");
    free(err);
    agents_auth_in dots = {"..", t, nonce, sig};
    ok(!agents_authenticate(r.agents, &dots, hbpath, body, strlen(body), got, &status, &err) &&
           status == 403,
       "an id that is no name: 403");
    free(err);
    chmod(kf, 0644);
    agentmac_nonce(nonce);
    agentmac_sign(key, AGENTMAC_REQUEST, "POST", hbpath, "us-east-1a", t, nonce, body,
                  strlen(body), sig);
    ok(!agents_authenticate(r.agents, &in, hbpath, body, strlen(body), got, &status, &err) &&
           status == 403,
       "a key file others can read is no key: 403");
    free(err);
    ok(agents_body_agent_is(body, strlen(body), "us-east-1a") &&
           !agents_body_agent_is(body, strlen(body), "us-east-1b") &&
           !agents_body_agent_is("[", 1, "us-east-1a"),
       "the body's agent_id is compared");
    free(kf);
    free(keys);

    nodespec_cache_free(&r);
    agents_free(r.agents);
    store_close(r.st);
    fs_rm_rf(dir);
    free(path);
    return done_testing();
}
