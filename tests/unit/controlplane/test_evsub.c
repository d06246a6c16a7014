/* evsub_matches: which events an RDS event subscription takes. */
#include <cjson/cJSON.h>
#include <stdio.h>

#include "controlplane/notify/evsub.h"
#include "lib/tap.h"

typedef struct {
    const char *name;
    bool enabled;
    const char *type;    /* NULL: any */
    const char *ids;     /* JSON array */
    const char *cats;    /* JSON array */
    const char *ev_type;
    const char *ev_id;
    const char *ev_cats;
    bool want;
} match_case;

static const match_case cases[] = {
    {"empty subscription takes everything", true, NULL, "[]", "[]", "db-instance", "a",
     "[\"failover\"]", true},
    {"disabled takes nothing", false, NULL, "[]", "[]", "db-instance", "a", "[\"failover\"]",
     false},
    {"source type equal", true, "db-instance", "[]", "[]", "db-instance", "a", "[\"backup\"]",
     true},
    {"source type differs", true, "db-snapshot", "[]", "[]", "db-instance", "a", "[\"backup\"]",
     false},
    {"source id listed", true, "db-instance", "[\"a\",\"b\"]", "[]", "db-instance", "b",
     "[\"backup\"]", true},
    {"source id not listed", true, "db-instance", "[\"a\"]", "[]", "db-instance", "c",
     "[\"backup\"]", false},
    {"category shared", true, NULL, "[]", "[\"failover\",\"availability\"]", "db-instance", "a",
     "[\"availability\"]", true},
    {"category not shared", true, NULL, "[]", "[\"failover\"]", "db-instance", "a",
     "[\"backup\"]", false},
    {"every rule at once", true, "db-instance", "[\"a\"]", "[\"failover\"]", "db-instance", "a",
     "[\"failover\"]", true},
    {"id right, category wrong", true, "db-instance", "[\"a\"]", "[\"failover\"]",
     "db-instance", "a", "[\"creation\"]", false},
    {"an event without categories and a category filter", true, NULL, "[]", "[\"failover\"]",
     "db-instance", "a", "[]", false},
    {"NULL arrays mean any", true, NULL, NULL, NULL, "db-instance", "a", "[\"x\"]", true},
};

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const match_case *c = &cases[i];
        cJSON *ids = c->ids ? cJSON_Parse(c->ids) : NULL;
        cJSON *cats = c->cats ? cJSON_Parse(c->cats) : NULL;
        cJSON *ev = cJSON_Parse(c->ev_cats);
        ok(evsub_matches(c->enabled, c->type, ids, cats, c->ev_type, c->ev_id, ev) == c->want,
           c->name);
        cJSON_Delete(ids);
        cJSON_Delete(cats);
        cJSON_Delete(ev);
    }
    return done_testing();
}
