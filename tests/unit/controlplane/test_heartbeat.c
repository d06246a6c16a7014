/* The heartbeat boundary: an agent's node state and role are parsed into
 * states.h's enums there; a state this controlplane does not know is
 * accepted (as before the enums) and matches no test; a malformed report
 * is a 400 that leaves the registry alone. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/core/agents.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/view/nodespec.h"
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

int main(void)
{
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

    agents_free(r.agents);
    store_close(r.st);
    fs_rm_rf(dir);
    free(path);
    return done_testing();
}
