/* dnssync: see dnssync.h. */
#include "controlplane/net/dnssync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "controlplane/core/sqlrow.h"
#include "controlplane/net/instnet.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "dns/zone.h"
#include "lib/log.h"
#include "lib/util.h"

typedef struct {
    char *name;
    bool cname;      /* else A */
    char *value;     /* target name or IPv4; a rotation's targets joined by ',' */
    int64_t ttl;
    bool rotate;     /* a CNAME answered in rotation over value's targets */
} dns_rec;

/* The reader endpoint's TTL: short, so a client that re-resolves for each
 * connection is spread over the readers and a reader taken out of the
 * rotation stops receiving connections within a second. */
#define DNSSYNC_READER_TTL 1

struct dnssync {
    dns_rec *recs;   /* what the zone holds now, as set by us */
    int n;
};

dnssync *dnssync_new(void)
{
    return xcalloc(1, sizeof(dnssync));
}

static void recs_free(dns_rec *recs, int n)
{
    for (int i = 0; i < n; i++) {
        free(recs[i].name);
        free(recs[i].value);
    }
    free(recs);
}

void dnssync_free(dnssync *d)
{
    if (!d)
        return;
    recs_free(d->recs, d->n);
    free(d);
}

static void recs_add(dns_rec **recs, int *n, char *name, bool cname, char *value, int64_t ttl)
{
    *recs = xrealloc(*recs, sizeof **recs * (size_t)(*n + 1));
    (*recs)[(*n)++] = (dns_rec){name, cname, value, ttl, false};
}

static const dns_rec *recs_find(const dns_rec *recs, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(recs[i].name, name) == 0)
            return &recs[i];
    return NULL;
}

static const store_node *node_in(const store_node *nodes, int nn, const char *id)
{
    for (int k = 0; id && k < nn; k++)
        if (strcmp(nodes[k].id, id) == 0)
            return &nodes[k];
    return NULL;
}

/* A Multi-AZ DB cluster's two endpoints (domain/cluster.h): the cluster
 * endpoint to the writer's node, the reader endpoint in rotation over
 * readers_up (the writer when no reader answers, as RDS's does). Read
 * straight from db_clusters: net/ sits below the domain layer. */
static bool dnssync_clusters(region *r, const store_node *nodes, int nn, dns_rec **recs, int *n)
{
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, "SELECT c.id, i.primary_node, c.readers_up FROM db_clusters c JOIN instances i"
               " ON i.id = c.writer WHERE c.status NOT IN ('creating', 'deleting')");
    if (!st)
        return false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const store_node *w = node_in(nodes, nn, (const char *)sqlite3_column_text(st, 1));
        if (!id || !w)
            continue;
        char *wname = region_node_name(r, w->agent_id, w->addr);
        recs_add(recs, n, xasprintf("%s.cluster-%s.%s", id, r->hash, r->apex), true,
                 xstrdup(wname), r->cfg.dns_ttl_s);
        cJSON *ups = cJSON_Parse((const char *)sqlite3_column_text(st, 2));
        sbuf b = {0};
        const cJSON *e;
        cJSON_ArrayForEach(e, ups)
        {
            const store_node *rn = cJSON_IsString(e) ? node_in(nodes, nn, e->valuestring) : NULL;
            if (!rn)
                continue;
            char *nm = region_node_name(r, rn->agent_id, rn->addr);
            sbuf_printf(&b, "%s%s", b.len ? "," : "", nm);
            free(nm);
        }
        cJSON_Delete(ups);
        char *targets = b.len ? sbuf_take(&b) : (sbuf_free(&b), xstrdup(wname));
        recs_add(recs, n, xasprintf("%s.cluster-ro-%s.%s", id, r->hash, r->apex), true, targets,
                 DNSSYNC_READER_TTL);
        (*recs)[*n - 1].rotate = strchr(targets, ',') != NULL;
        free(wname);
    }
    sqlite3_finalize(st);
    return true;
}

/* Builds the record set the store implies. false on a store error. */
static bool dnssync_desired(region *r, dns_rec **out, int *nout)
{
    dns_rec *recs = NULL;
    int n = 0;
    store_node *nodes = NULL;
    int nn = store_node_list(r->st, NULL, NULL, &nodes);
    if (nn < 0)
        return false;
    for (int i = 0; i < nn; i++)
        recs_add(&recs, &n, region_node_name(r, nodes[i].agent_id, nodes[i].addr), false,
                 xstrdup(nodes[i].addr), r->cfg.node_ttl_s);
    char *after = NULL;
    bool ok = true;
    for (;;) {
        char **ids = NULL;
        int ni = store_instance_list(r->st, after, 500, &ids);
        if (ni < 0) {
            ok = false;
            break;
        }
        for (int i = 0; i < ni; i++) {
            store_instance in = {0};
            bool found;
            if (store_instance_get(r->st, ids[i], &in, &found) && in.primary_node &&
                in.status != STATUS_CREATING && in.status != STATUS_DELETING) {
                for (int k = 0; k < nn; k++) {
                    if (strcmp(nodes[k].id, in.primary_node) == 0) {
                        int64_t ttl = in.dns_ttl >= 0 ? in.dns_ttl : r->cfg.dns_ttl_s;
                        recs_add(&recs, &n, region_endpoint_name(r, in.id), true,
                                 region_node_name(r, nodes[k].agent_id, nodes[k].addr), ttl);
                        /* PubliclyAccessible: a second name, the same target. */
                        if (instnet_public(&in))
                            recs_add(&recs, &n, region_public_endpoint_name(r, in.id), true,
                                     region_node_name(r, nodes[k].agent_id, nodes[k].addr), ttl);
                        break;
                    }
                }
            }
            store_instance_clear(&in);
        }
        free(after);
        after = ni > 0 ? xstrdup(ids[ni - 1]) : NULL;
        for (int i = 0; i < ni; i++)
            free(ids[i]);
        free(ids);
        if (ni < 500)
            break;
    }
    free(after);
    if (ok)
        ok = dnssync_clusters(r, nodes, nn, &recs, &n);
    store_node_list_free(nodes, nn);
    if (!ok) {
        recs_free(recs, n);
        return false;
    }
    *out = recs;
    *nout = n;
    return true;
}

static bool set_rotation(region *r, const dns_rec *w)
{
    char *copy = xstrdup(w->value), *save = NULL;
    const char *targets[ZONE_ROTATION_MAX];
    size_t n = 0;
    for (char *t = strtok_r(copy, ",", &save); t && n < ZONE_ROTATION_MAX;
         t = strtok_r(NULL, ",", &save))
        targets[n++] = t;
    bool ok = zone_set_cname_rotation(r->zone, w->name, targets, n, (uint32_t)w->ttl);
    free(copy);
    return ok;
}

bool dnssync_apply(region *r)
{
    dnssync *d = r->dns;
    dns_rec *want = NULL;
    int nwant = 0;
    if (!dnssync_desired(r, &want, &nwant))
        return false;
    uint32_t before = zone_serial(r->zone);
    for (int i = 0; i < d->n; i++)
        if (!recs_find(want, nwant, d->recs[i].name)) {
            zone_remove(r->zone, d->recs[i].name);
            LOG_INFO("dns remove name=%s", d->recs[i].name);
        }
    for (int i = 0; i < nwant; i++) {
        const dns_rec *w = &want[i];
        const dns_rec *have = recs_find(d->recs, d->n, w->name);
        if (have && have->cname == w->cname && have->ttl == w->ttl &&
            strcmp(have->value, w->value) == 0)
            continue;
        bool ok = w->rotate  ? set_rotation(r, w)
                   : w->cname ? zone_set_cname(r->zone, w->name, w->value, (uint32_t)w->ttl)
                              : zone_set_a(r->zone, w->name, w->value, (uint32_t)w->ttl);
        if (!ok)
            LOG_ERROR("dns set failed name=%s value=%s", w->name, w->value);
        else
            LOG_INFO("dns set name=%s %s=%s ttl=%lld", w->name, w->cname ? "cname" : "a",
                     w->value, (long long)w->ttl);
    }
    recs_free(d->recs, d->n);
    d->recs = want;
    d->n = nwant;
    uint32_t after = zone_serial(r->zone);
    if (after != before) {
        char buf[16];
        snprintf(buf, sizeof buf, "%u", after);
        store_meta_set(r->st, "dns_serial", buf);
    }
    return true;
}
