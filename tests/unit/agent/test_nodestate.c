/* Unit tests for agent/nodestate: agent.json round-trips, corrupt
 * documents are refused whole, a corrupt file is moved aside on load, and
 * the password is never written. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/nodestate.h"
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

#define V1 "SCRAM-SHA-256$4096:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg="
#define V2 "SCRAM-SHA-256$4096:AAAAAAAAAAAAAAAAAAAAAA==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg="

static node_spec make_spec(const char *addr, const char *password, const char *db)
{
    char *json = xasprintf("{\"instance_id\":\"shop\",\"addr\":\"%s\",\"port\":5432,"
                           "\"master_username\":\"app\",\"master_verifier\":\"%s\",%s%s%s"
                           "\"settings\":{\"shared_buffers\":\"128MB\",\"work_mem\":\"4MB\"}}",
                           addr, password, db ? "\"db_name\":\"" : "", db ? db : "",
                           db ? "\"," : "");
    cJSON *o = cJSON_Parse(json);
    node_spec s;
    char err[200];
    if (!spec_from_json(o, &s, err, sizeof err)) {
        diag("bad fixture: %s", err);
        abort();
    }
    cJSON_Delete(o);
    free(json);
    return s;
}

static void test_round_trip(void)
{
    nodestate st = {0};
    node_spec a = make_spec("127.0.1.5", V1, "orders");
    node_spec b = make_spec("127.0.1.6", V2, NULL);
    nodestate_add(&st, "shop-1", NODE_GOAL_RUNNING, 3, 2, &a);
    nodestate_add(&st, "shop-2", NODE_GOAL_STOPPED, SPEC_MAX_COUNT, 0, &b);
    nodestate_add(&st, "gone-1", NODE_GOAL_ABSENT, 7, 1, NULL);
    char *text = nodestate_render(&st);
    ok(!strstr(text, "SCRAM-SHA-256") && !strstr(text, "master_verifier"),
       "rendered record holds no verifier");
    nodestate back;
    char err[300] = "";
    ok(nodestate_parse(text, strlen(text), &back, err, sizeof err), "rendered record parses");
    is_int(back.n, 3, "three records back");
    if (back.n == 3) {
        is_str(back.recs[0].node_id, "shop-1", "id");
        is_int(back.recs[0].goal, NODE_GOAL_RUNNING, "goal");
        is_int(back.recs[0].generation, 3, "generation");
        is_int(back.recs[0].restarts, 2, "restarts");
        ok(back.recs[0].has_spec && spec_same(&back.recs[0].spec, &a), "spec round-trips");
        ok(back.recs[0].spec.master_verifier == NULL, "verifier not restored");
        is_str(back.recs[0].spec.db_name, "orders", "db_name");
        ok(back.recs[1].has_spec && spec_same(&back.recs[1].spec, &b) &&
               back.recs[1].spec.db_name == NULL,
           "second spec without db_name");
        is_int(back.recs[1].generation, SPEC_MAX_COUNT, "largest generation is exact");
        ok(!back.recs[2].has_spec && back.recs[2].goal == NODE_GOAL_ABSENT,
           "absent record without a spec");
        char *again = nodestate_render(&back);
        is_str(again, text, "render(parse(render(x))) == render(x)");
        free(again);
    }
    nodestate_free(&back);
    free(text);
    nodestate_free(&st);
    spec_free(&a);
    spec_free(&b);
}

/* The Multi-AZ fields survive agent.json; the replication password does not. */
static void test_ha_round_trip(void)
{
    static const char json[] =
        "{\"instance_id\":\"shop\",\"addr\":\"127.0.1.5\",\"port\":5432,\"role\":\"standby\","
        "\"master_username\":\"app\",\"master_verifier\":\"SCRAM-SHA-256$4096:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg=\",\"supervise\":\"report\","
        "\"rebuild_seq\":4,\"replication\":{\"user\":\"rdsrepladmin\",\"password\":\"r-secret\"},"
        "\"upstream\":{\"node_id\":\"shop-a\",\"addr\":\"127.0.2.5\",\"port\":5433},"
        "\"sync_standbys\":[\"shop-b\"]}";
    cJSON *o = cJSON_Parse(json);
    node_spec s;
    char err[200] = "";
    if (!ok(spec_from_json(o, &s, err, sizeof err), "Multi-AZ spec parses")) {
        diag("%s", err);
        cJSON_Delete(o);
        return;
    }
    cJSON_Delete(o);
    nodestate st = {0};
    nodestate_add(&st, "shop-1", NODE_GOAL_RUNNING, 2, 0, &s);
    char *text = nodestate_render(&st);
    ok(!strstr(text, "r-secret") && !strstr(text, "SCRAM-SHA-256"), "no password nor verifier");
    nodestate back;
    ok(nodestate_parse(text, strlen(text), &back, err, sizeof err) && back.n == 1,
       "Multi-AZ record parses");
    if (back.n == 1) {
        node_spec *b = &back.recs[0].spec;
        ok(spec_same(b, &s), "Multi-AZ spec round-trips");
        ok(b->supervise_report && b->rebuild_seq == 4 && b->has_upstream &&
               b->upstream.port == 5433 && b->nsync == 1 && strcmp(b->sync_standbys[0], "shop-b") == 0,
           "fields back");
        ok(b->repl_user && strcmp(b->repl_user, "rdsrepladmin") == 0 && !b->repl_password,
           "replication user kept, password not");
    }
    nodestate_free(&back);
    free(text);
    nodestate_free(&st);
    spec_free(&s);
}

static void test_corrupt(void)
{
    static const char good_spec[] =
        "{\"instance_id\":\"s\",\"addr\":\"127.0.0.2\",\"port\":5432,\"master_username\":\"app\"}";
    static const struct {
        const char *name;
        const char *text;
        bool ok;
    } cases[] = {
        {"empty document list", "{\"version\":1,\"nodes\":[]}", true},
        {"empty file", "", false},
        {"truncated", "{\"version\":1,\"nodes\":[{\"node_id\":\"a\"", false},
        {"not an object", "[1,2]", false},
        {"wrong version", "{\"version\":2,\"nodes\":[]}", false},
        {"missing version", "{\"nodes\":[]}", false},
        {"nodes not an array", "{\"version\":1,\"nodes\":{}}", false},
        {"node not an object", "{\"version\":1,\"nodes\":[3]}", false},
        {"bad node id",
         "{\"version\":1,\"nodes\":[{\"node_id\":\"../x\",\"goal\":\"absent\",\"generation\":1,"
         "\"restarts\":0}]}",
         false},
        {"bad goal",
         "{\"version\":1,\"nodes\":[{\"node_id\":\"a\",\"goal\":\"dancing\",\"generation\":1,"
         "\"restarts\":0}]}",
         false},
        {"negative generation",
         "{\"version\":1,\"nodes\":[{\"node_id\":\"a\",\"goal\":\"absent\",\"generation\":-1,"
         "\"restarts\":0}]}",
         false},
        {"generation too large",
         "{\"version\":1,\"nodes\":[{\"node_id\":\"a\",\"goal\":\"absent\",\"generation\":1e15,"
         "\"restarts\":0}]}",
         false},
        {"fractional restarts",
         "{\"version\":1,\"nodes\":[{\"node_id\":\"a\",\"goal\":\"absent\",\"generation\":1,"
         "\"restarts\":0.5}]}",
         false},
        {"running without spec",
         "{\"version\":1,\"nodes\":[{\"node_id\":\"a\",\"goal\":\"running\",\"generation\":1,"
         "\"restarts\":0}]}",
         false},
        {"absent without spec",
         "{\"version\":1,\"nodes\":[{\"node_id\":\"a\",\"goal\":\"absent\",\"generation\":1,"
         "\"restarts\":0}]}",
         true},
        {"binary bytes", "\x01\x02\xff\xfe", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nodestate st;
        char err[300] = "";
        bool got = nodestate_parse(cases[i].text, strlen(cases[i].text), &st, err, sizeof err);
        ok(got == cases[i].ok && (got || (st.n == 0 && err[0])), cases[i].name);
        nodestate_free(&st);
    }
    /* Templated cases that need a valid spec around the broken part. */
    char *dup = xasprintf("{\"version\":1,\"nodes\":[{\"node_id\":\"a\",\"goal\":\"running\","
                          "\"generation\":1,\"restarts\":0,\"spec\":%s},{\"node_id\":\"a\","
                          "\"goal\":\"running\",\"generation\":1,\"restarts\":0,\"spec\":%s}]}",
                          good_spec, good_spec);
    nodestate st;
    char err[300];
    ok(!nodestate_parse(dup, strlen(dup), &st, err, sizeof err), "duplicate node_id refused");
    free(dup);
    char *bad_spec = xasprintf(
        "{\"version\":1,\"nodes\":[{\"node_id\":\"a\",\"goal\":\"running\",\"generation\":1,"
        "\"restarts\":0,\"spec\":{\"instance_id\":\"s\",\"addr\":\"10.0.0.1\",\"port\":5432,"
        "\"master_username\":\"app\"}}]}");
    ok(!nodestate_parse(bad_spec, strlen(bad_spec), &st, err, sizeof err),
       "spec outside loopback refused");
    free(bad_spec);
}

static void test_load_save(void)
{
    char dir[] = "/tmp/rdsim-nodestate-XXXXXX";
    if (!ok(mkdtemp(dir) != NULL, "temp dir"))
        return;
    char *path = xasprintf("%s/agent.json", dir);
    char *aside = xasprintf("%s/agent.json.corrupt", dir);
    nodestate st;
    ok(nodestate_load(path, &st) && st.n == 0, "missing file loads as empty");
    nodestate_free(&st);

    node_spec a = make_spec("127.0.1.5", V1, NULL);
    nodestate_add(&st, "shop-1", NODE_GOAL_RUNNING, 1, 0, &a);
    ok(nodestate_save(path, &st), "save");
    struct stat sb;
    ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "saved 0600");
    nodestate_free(&st);
    ok(nodestate_load(path, &st) && st.n == 1 && strcmp(st.recs[0].node_id, "shop-1") == 0,
       "load what was saved");
    nodestate_free(&st);
    size_t len = 0;
    char *raw = fs_read_all(path, 1 << 20, &len);
    ok(raw && !strstr(raw, "SCRAM-SHA-256"), "no verifier on disk");
    free(raw);

    fs_write_atomic(path, "{\"version\":1,\"nodes\":[", 21, 0600);
    ok(nodestate_load(path, &st) && st.n == 0, "corrupt file loads as empty");
    ok(!fs_exists(path) && fs_exists(aside), "corrupt file moved aside");
    nodestate_free(&st);

    spec_free(&a);
    fs_rm_rf(dir);
    free(path);
    free(aside);
}

int main(void)
{
    test_round_trip();
    test_ha_round_trip();
    test_corrupt();
    test_load_save();
    return done_testing();
}
