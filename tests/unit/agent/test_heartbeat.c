/* Unit tests for agent/heartbeat and agent/spec: reply parsing (whole-reply
 * refusals versus per-entry errors), spec validation, request rendering. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "agent/heartbeat.h"
#include "agent/spec.h"
#include "lib/tap.h"
#include "lib/util.h"

#define SPEC_OK                                                                        \
    "{\"instance_id\":\"shop\",\"addr\":\"127.0.1.5\",\"port\":5432,\"role\":\"primary\"," \
    "\"master_username\":\"app\",\"master_verifier\":\"SCRAM-SHA-256$4096:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg=\",\"db_name\":\"orders\","    \
    "\"settings\":{\"shared_buffers\":\"128MB\"}}"

static void test_spec(void)
{
    static const struct {
        const char *name;
        const char *json;
        bool ok;
    } cases[] = {
        {"full spec", SPEC_OK, true},
        {"minimal spec", "{\"instance_id\":\"s\",\"addr\":\"127.1.2.3\",\"port\":1,"
                         "\"master_username\":\"u\"}", true},
        {"null db_name", "{\"instance_id\":\"s\",\"addr\":\"127.1.2.3\",\"port\":1,"
                         "\"master_username\":\"u\",\"db_name\":null}", true},
        {"addr outside loopback", "{\"instance_id\":\"s\",\"addr\":\"10.0.0.1\",\"port\":1,"
                                  "\"master_username\":\"u\"}", false},
        {"addr not an address", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1; rm\",\"port\":1,"
                                "\"master_username\":\"u\"}", false},
        {"port 0", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":0,"
                   "\"master_username\":\"u\"}", false},
        {"port 65536", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":65536,"
                       "\"master_username\":\"u\"}", false},
        {"port fractional", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":5432.5,"
                            "\"master_username\":\"u\"}", false},
        {"port as string", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":\"5432\","
                           "\"master_username\":\"u\"}", false},
        {"username with a quote", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                                  "\"master_username\":\"a'b\"}", false},
        {"username starting with a digit", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\","
                                           "\"port\":1,\"master_username\":\"1a\"}", false},
        {"db_name with a quote", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                                 "\"master_username\":\"u\",\"db_name\":\"x\\\"y\"}", false},
        {"verifier with a newline", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                                    "\"master_username\":\"u\",\"master_verifier\":\"a\\nb\"}",
         false},
        {"plaintext password instead of a verifier", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                           "\"master_username\":\"u\",\"master_verifier\":\"hunter22\"}", false},
        {"empty verifier", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                           "\"master_username\":\"u\",\"master_verifier\":\"\"}", false},
        {"managed setting", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                            "\"master_username\":\"u\",\"settings\":{\"port\":\"1\"}}", false},
        {"file-moving setting", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                                "\"master_username\":\"u\",\"settings\":{\"hba_file\":\"/x\"}}",
         false},
        {"setting value with a newline",
         "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,\"master_username\":\"u\","
         "\"settings\":{\"work_mem\":\"1\\ninclude = '/etc/x'\"}}", false},
        {"setting key with a space", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                                     "\"master_username\":\"u\",\"settings\":{\"a b\":\"1\"}}",
         false},
        {"setting value an object", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                                    "\"master_username\":\"u\",\"settings\":{\"a\":{}}}", false},
        {"bool setting", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                         "\"master_username\":\"u\",\"settings\":{\"fsync\":true}}", true},
        {"role with capitals", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                               "\"master_username\":\"u\",\"role\":\"Primary\"}", false},
        {"instance id with a slash", "{\"instance_id\":\"a/b\",\"addr\":\"127.0.0.1\",\"port\":1,"
                                     "\"master_username\":\"u\"}", false},
        {"not an object", "[]", false},
        /* Multi-AZ fields */
        {"standby with upstream and replication",
         "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,\"master_username\":\"u\","
         "\"role\":\"standby\",\"supervise\":\"restart\",\"rebuild_seq\":2,"
         "\"replication\":{\"user\":\"rdsrepladmin\",\"password\":\"r'p:w\"},"
         "\"upstream\":{\"node_id\":\"s-a\",\"addr\":\"127.0.2.5\",\"port\":5432}}", true},
        {"primary with sync standbys, supervise report",
         "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,\"master_username\":\"u\","
         "\"supervise\":\"report\",\"sync_standbys\":[\"s-b\",\"s-c\"]}", true},
        {"empty sync list", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                            "\"master_username\":\"u\",\"sync_standbys\":[]}", true},
        {"replication without password (agent.json)",
         "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,\"master_username\":\"u\","
         "\"replication\":{\"user\":\"r\"}}", true},
        {"supervise unknown", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                              "\"master_username\":\"u\",\"supervise\":\"ignore\"}", false},
        {"rebuild_seq negative", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                                 "\"master_username\":\"u\",\"rebuild_seq\":-1}", false},
        {"rebuild_seq fractional", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                                   "\"master_username\":\"u\",\"rebuild_seq\":1.5}", false},
        {"replication user with a quote",
         "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,\"master_username\":\"u\","
         "\"replication\":{\"user\":\"a'b\",\"password\":\"x\"}}", false},
        {"replication password with a newline",
         "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,\"master_username\":\"u\","
         "\"replication\":{\"user\":\"r\",\"password\":\"a\\nb\"}}", false},
        {"replication not an object", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                                      "\"master_username\":\"u\",\"replication\":\"r\"}", false},
        {"upstream outside loopback",
         "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,\"master_username\":\"u\","
         "\"upstream\":{\"node_id\":\"a\",\"addr\":\"10.0.0.1\",\"port\":1}}", false},
        {"upstream bad node id",
         "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,\"master_username\":\"u\","
         "\"upstream\":{\"node_id\":\"../a\",\"addr\":\"127.0.0.2\",\"port\":1}}", false},
        {"upstream without port",
         "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,\"master_username\":\"u\","
         "\"upstream\":{\"node_id\":\"a\",\"addr\":\"127.0.0.2\"}}", false},
        {"sync standby with a quote", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                                      "\"master_username\":\"u\",\"sync_standbys\":[\"a\\\"b\"]}",
         false},
        {"sync standbys duplicate", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                                    "\"master_username\":\"u\",\"sync_standbys\":[\"a\",\"a\"]}",
         false},
        {"sync method unknown", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                                "\"master_username\":\"u\",\"sync_method\":\"all\"}", false},
        {"sync method not a string", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                                     "\"master_username\":\"u\",\"sync_method\":1}", false},
        {"sync standbys not an array", "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
                                       "\"master_username\":\"u\",\"sync_standbys\":\"a\"}", false},
        {"sync standbys too many",
         "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,\"master_username\":\"u\","
         "\"sync_standbys\":[\"a1\",\"a2\",\"a3\",\"a4\",\"a5\",\"a6\",\"a7\",\"a8\",\"a9\","
         "\"a10\",\"a11\",\"a12\",\"a13\",\"a14\",\"a15\",\"a16\",\"a17\"]}", false},
        {"replication setting is the agent's",
         "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,\"master_username\":\"u\","
         "\"settings\":{\"synchronous_commit\":\"off\"}}", false},
        {"primary_conninfo is the agent's",
         "{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,\"master_username\":\"u\","
         "\"settings\":{\"primary_conninfo\":\"host=x\"}}", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *o = cJSON_Parse(cases[i].json);
        node_spec s;
        char err[200] = "";
        bool got = spec_from_json(o, &s, err, sizeof err);
        ok(got == cases[i].ok && (got || (err[0] && !strstr(err, "a\nb"))), cases[i].name);
        if (got)
            spec_free(&s);
        cJSON_Delete(o);
    }
    ok(!spec_from_json(NULL, &(node_spec){0}, (char[64]){0}, 64), "NULL spec refused");
}

static void test_reply(void)
{
    static const struct {
        const char *name;
        const char *body;
        bool ok;
        size_t n;
        int bad_entries;
    } cases[] = {
        {"one good goal",
         "{\"interval_ms\":250,\"authoritative\":true,\"nodes\":[{\"node_id\":\"shop-1\","
         "\"goal\":\"running\",\"generation\":3,\"spec\":" SPEC_OK "}]}", true, 1, 0},
        {"empty list", "{\"nodes\":[]}", true, 0, 0},
        {"absent without spec",
         "{\"nodes\":[{\"node_id\":\"a\",\"goal\":\"absent\",\"generation\":2}]}", true, 1, 0},
        {"running without spec is an entry error",
         "{\"nodes\":[{\"node_id\":\"a\",\"goal\":\"running\",\"generation\":2}]}", true, 1, 1},
        {"bad node id is an entry error",
         "{\"nodes\":[{\"node_id\":\"../a\",\"goal\":\"absent\",\"generation\":2}]}", true, 1, 1},
        {"bad goal is an entry error",
         "{\"nodes\":[{\"node_id\":\"a\",\"goal\":\"up\",\"generation\":2}]}", true, 1, 1},
        {"bad generation is an entry error",
         "{\"nodes\":[{\"node_id\":\"a\",\"goal\":\"absent\",\"generation\":\"2\"}]}", true, 1, 1},
        {"garbage", "{not json", false, 0, 0},
        {"empty body", "", false, 0, 0},
        {"not an object", "[]", false, 0, 0},
        {"no nodes", "{\"authoritative\":true}", false, 0, 0},
        {"nodes not an array", "{\"nodes\":{}}", false, 0, 0},
        {"entry without node_id", "{\"nodes\":[{\"goal\":\"absent\"}]}", false, 0, 0},
        {"entry not an object", "{\"nodes\":[1]}", false, 0, 0},
        {"node_id not a string", "{\"nodes\":[{\"node_id\":5}]}", false, 0, 0},
        {"duplicate node_id",
         "{\"nodes\":[{\"node_id\":\"a\",\"goal\":\"absent\",\"generation\":1},"
         "{\"node_id\":\"a\",\"goal\":\"absent\",\"generation\":1}]}", false, 0, 0},
        {"authoritative not a bool", "{\"authoritative\":1,\"nodes\":[]}", false, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        heartbeat_reply r;
        char err[200] = "";
        bool got = heartbeat_parse_reply(cases[i].body, strlen(cases[i].body), &r, err, sizeof err);
        int bad = 0;
        for (size_t j = 0; j < r.n; j++)
            bad += r.goals[j].error != NULL;
        ok(got == cases[i].ok && r.n == cases[i].n && bad == cases[i].bad_entries &&
               (got || err[0]),
           cases[i].name);
        heartbeat_reply_free(&r);
    }
    heartbeat_reply r;
    char err[200];
    const char *body = "{\"interval_ms\":250,\"authoritative\":true,\"nodes\":[{\"node_id\":"
                       "\"shop-1\",\"goal\":\"stopped\",\"generation\":3,\"spec\":" SPEC_OK "}]}";
    ok(heartbeat_parse_reply(body, strlen(body), &r, err, sizeof err) && r.interval_ms == 250 &&
           r.authoritative && r.goals[0].goal == NODE_GOAL_STOPPED &&
           r.goals[0].generation == 3 && r.goals[0].has_spec &&
           strcmp(r.goals[0].spec.master_verifier, "SCRAM-SHA-256$4096:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg=") == 0 && r.goals[0].spec.port == 5432,
       "fields of a good reply");
    heartbeat_reply_free(&r);
    body = "{\"interval_ms\":1,\"nodes\":[]}";
    ok(heartbeat_parse_reply(body, strlen(body), &r, err, sizeof err) && r.interval_ms == 0 &&
           !r.authoritative,
       "interval out of range ignored; authoritative defaults to false");
    heartbeat_reply_free(&r);
    /* The length is respected: a valid prefix of a longer buffer. */
    body = "{\"nodes\":[]}GARBAGE";
    ok(heartbeat_parse_reply(body, 12, &r, err, sizeof err), "length bounds the parse");
    heartbeat_reply_free(&r);
}

static void test_request(void)
{
    cJSON *o = cJSON_Parse(SPEC_OK);
    node_spec s;
    char err[200];
    spec_from_json(o, &s, err, sizeof err);
    cJSON_Delete(o);
    node_report reps[] = {
        {.node_id = "shop-1", .state = NODE_RUNNING, .goal = NODE_GOAL_RUNNING, .pid = 4567,
         .spec = &s, .generation = 3, .restarts = 1, .last_exit = "signal 9",
         .role = NODE_ROLE_PRIMARY, .rejoin = "rewind"},
        {.node_id = "gone", .state = NODE_ABSENT, .goal = NODE_GOAL_ABSENT},
    };
    char rid[] = "../x", rerr[] = "invalid node_id";
    heartbeat_rejected rej = {rid, rerr};
    heartbeat_agent a = {"us-east-1a", "us-east-1a", "127.0.1", 1234, 1790000000000};
    char *body = heartbeat_render_request(&a, reps, 2, &rej, 1);
    ok(!strstr(body, "\"pw\""), "request carries no password");
    cJSON *root = cJSON_Parse(body);
    cJSON *nodes = cJSON_GetObjectItem(root, "nodes");
    cJSON *n0 = cJSON_GetArrayItem(nodes, 0), *n1 = cJSON_GetArrayItem(nodes, 1),
          *n2 = cJSON_GetArrayItem(nodes, 2);
    ok(root && cJSON_GetArraySize(nodes) == 3, "three node entries");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(root, "agent_id")), "us-east-1a", "agent_id");
    ok(cJSON_GetObjectItem(root, "started_at_ms")->valuedouble == 1790000000000.0, "started_at_ms");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(n0, "state")), "running", "state");
    ok(cJSON_GetObjectItem(n0, "pid")->valueint == 4567, "pid");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(n0, "addr")), "127.0.1.5", "addr");
    ok(cJSON_GetObjectItem(n0, "port")->valueint == 5432, "port");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(n0, "role")), "primary", "role in effect");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(n0, "rejoin")), "rewind", "rejoin method");
    ok(cJSON_IsNull(cJSON_GetObjectItem(n1, "role")) && cJSON_IsNull(cJSON_GetObjectItem(n1, "rejoin")),
       "unknown role and no rejoin: null");
    ok(cJSON_GetObjectItem(n0, "restarts")->valueint == 1, "restarts");
    ok(cJSON_IsNull(cJSON_GetObjectItem(n0, "error")), "error null");
    ok(cJSON_GetObjectItem(n0, "generation")->valueint == 3, "generation");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(n0, "last_exit")), "signal 9", "last_exit");
    ok(cJSON_IsNull(cJSON_GetObjectItem(n1, "pid")) && cJSON_IsNull(cJSON_GetObjectItem(n1, "addr")),
       "absent node: pid and addr null");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(n2, "state")), "failed", "rejected is failed");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(n2, "error")), "invalid node_id",
           "rejected carries its error");
    cJSON_Delete(root);
    free(body);
    spec_free(&s);
}

/* The authenticated channel: sealed secrets open, plain ones are refused,
 * and a reply authenticates only against its own request. */
static void test_sealed(void)
{
    uint8_t key[AGENTMAC_KEY_LEN] = {7}, other[AGENTMAC_KEY_LEN] = {8};
    char *rpw = agentmac_seal(key, "n1/replication", "r-secret");
    char *good = xasprintf(
        "{\"nodes\":[{\"node_id\":\"n1\",\"goal\":\"running\",\"generation\":1,\"spec\":"
        "{\"instance_id\":\"s\",\"addr\":\"127.0.1.5\",\"port\":5432,\"master_username\":\"u\","
        "\"master_verifier\":\"SCRAM-SHA-256$4096:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg=\","
        "\"replication\":{\"user\":\"rdsrepladmin\",\"password_sealed\":\"%s\"}}}]}", rpw);
    heartbeat_reply r;
    char err[200] = "";
    ok(heartbeat_parse_sealed_reply(good, strlen(good), key, &r, err, sizeof err) && r.n == 1 &&
           !r.goals[0].error && r.goals[0].spec.repl_password &&
           strcmp(r.goals[0].spec.repl_password, "r-secret") == 0,
       "sealed replication password opens");
    heartbeat_reply_free(&r);
    ok(!heartbeat_parse_sealed_reply(good, strlen(good), other, &r, err, sizeof err) &&
           strstr(err, "does not open"),
       "another agent's key: the whole reply is refused");
    /* A seal moved to another node does not open there. */
    char *moved = xstrdup(good);
    memcpy(strstr(moved, "\"n1\""), "\"n2\"", 4);
    ok(!heartbeat_parse_sealed_reply(moved, strlen(moved), key, &r, err, sizeof err),
       "a seal moved to another node is refused");
    const char *plain = "{\"nodes\":[{\"node_id\":\"n1\",\"goal\":\"running\",\"generation\":1,"
                        "\"spec\":{\"instance_id\":\"s\",\"addr\":\"127.0.1.5\",\"port\":5432,"
                        "\"master_username\":\"u\",\"master_password\":\"m-secret\"}}]}";
    ok(!heartbeat_parse_sealed_reply(plain, strlen(plain), key, &r, err, sizeof err) &&
           strstr(err, "plain text"),
       "a master password in the reply refuses it");
    char *mpw = agentmac_seal(key, "n1/master_password", "m-secret");
    char *sealed_mpw = xasprintf(
        "{\"nodes\":[{\"node_id\":\"n1\",\"goal\":\"running\",\"generation\":1,\"spec\":"
        "{\"instance_id\":\"s\",\"addr\":\"127.0.1.5\",\"port\":5432,\"master_username\":\"u\","
        "\"master_password_sealed\":\"%s\"}}]}", mpw);
    ok(!heartbeat_parse_sealed_reply(sealed_mpw, strlen(sealed_mpw), key, &r, err, sizeof err),
       "even sealed: the master password never travels");
    free(sealed_mpw);
    ok(!heartbeat_parse_sealed_reply("[]", 2, key, &r, err, sizeof err), "not an object: refused");

    /* The TLS key (issue 14): sealed like the replication password. */
    static const char pem_key[] = "-----BEGIN PRIVATE KEY-----\nREVG\n-----END PRIVATE KEY-----\n";
    char *tk = agentmac_seal(key, "n1/tls_key", pem_key);
    static const char tls_head[] =
        "{\"nodes\":[{\"node_id\":\"n1\",\"goal\":\"running\",\"generation\":1,\"spec\":"
        "{\"instance_id\":\"s\",\"addr\":\"127.0.1.5\",\"port\":5432,\"master_username\":\"u\","
        "\"tls\":{\"ca\":\"rds-ca-rsa2048-g1\",\"cert\":"
        "\"-----BEGIN CERTIFICATE-----\\nQUJD\\n-----END CERTIFICATE-----\\n\",";
    char *tls_good = xasprintf("%s\"key_sealed\":\"%s\"}}}]}", tls_head, tk);
    ok(heartbeat_parse_sealed_reply(tls_good, strlen(tls_good), key, &r, err, sizeof err) &&
           r.n == 1 && !r.goals[0].error && r.goals[0].spec.tls_key &&
           strcmp(r.goals[0].spec.tls_key, pem_key) == 0,
       "a sealed TLS key opens");
    heartbeat_reply_free(&r);
    ok(!heartbeat_parse_sealed_reply(tls_good, strlen(tls_good), other, &r, err, sizeof err),
       "a TLS key sealed for another agent: refused");
    char *tls_plain = xasprintf("%s\"key\":\"-----BEGIN PRIVATE KEY-----\\nREVG\\n"
                                "-----END PRIVATE KEY-----\\n\"}}}]}", tls_head);
    ok(!heartbeat_parse_sealed_reply(tls_plain, strlen(tls_plain), key, &r, err, sizeof err) &&
           strstr(err, "plain text"),
       "a TLS key in plain text refuses the reply");
    free(tls_plain);
    free(tls_good);
    free(tk);

    heartbeat_auth h;
    const char *body = "{\"agent_id\":\"us-east-1a\"}";
    heartbeat_auth_request(&h, key, "us-east-1a", HEARTBEAT_PATH, body, strlen(body),
                           1790000000000LL);
    ok(strcmp(h.headers[0], AGENTMAC_H_AGENT) == 0 && h.headers[1] == h.agent_id &&
           h.headers[8] == NULL,
       "request headers for httpc");
    ok(agentmac_verify(key, AGENTMAC_REQUEST, "POST", HEARTBEAT_PATH, "us-east-1a", h.time, h.nonce,
                       body, strlen(body), h.sig, 1790000000000LL, NULL) == AGENTMAC_OK,
       "the request verifies as the controlplane checks it");
    char t[24], sig[AGENTMAC_SIG_HEX + 1];
    agentmac_time(1790000000100LL, t);
    agentmac_sign(key, AGENTMAC_REPLY, "200", HEARTBEAT_PATH, "us-east-1a", t, h.nonce, good,
                  strlen(good), sig);
    is_int(heartbeat_auth_reply(&h, key, 200, t, sig, good, strlen(good), 1790000000200LL),
           AGENTMAC_OK, "its reply authenticates");
    is_int(heartbeat_auth_reply(&h, key, 200, NULL, NULL, good, strlen(good), 1790000000200LL),
           AGENTMAC_MISSING, "an unsigned reply does not");
    is_int(heartbeat_auth_reply(&h, other, 200, t, sig, good, strlen(good), 1790000000200LL),
           AGENTMAC_BAD_SIGNATURE, "nor one checked with another key");
    heartbeat_auth h2;
    heartbeat_auth_request(&h2, key, "us-east-1a", HEARTBEAT_PATH, body, strlen(body),
                           1790000000000LL);
    is_int(heartbeat_auth_reply(&h2, key, 200, t, sig, good, strlen(good), 1790000000200LL),
           AGENTMAC_BAD_SIGNATURE, "a reply replayed to another request does not");
    is_int(heartbeat_auth_reply(&h, key, 200, t, sig, "{\"nodes\":[]}", 12, 1790000000200LL),
           AGENTMAC_BAD_SIGNATURE, "a reply body swapped does not");
    free(moved);
    free(good);
    free(mpw);
    free(rpw);
}

int main(void)
{
    test_spec();
    test_reply();
    test_request();
    test_sealed();
    return done_testing();
}
