/* The heartbeat boundary: an agent's node state and role are parsed into
 * states.h's enums there; a state this controlplane does not know is
 * accepted (as before the enums) and matches no test; a malformed report
 * is a 400 that leaves the registry alone; the registry is bounded and a
 * full one forgets only an agent silent for the stale time (issue 13,
 * hole 6c); a heartbeat runs the cron's pass only when its report says
 * something new (issue 18). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controlplane/core/agents.h"
#include "controlplane/core/region.h"
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

    agents_free(r.agents);
    store_close(r.st);
    fs_rm_rf(dir);
    free(path);
    return done_testing();
}
