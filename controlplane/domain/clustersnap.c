/* clustersnap: see clustersnap.h. The db_snapshots half is snaprow.c's,
 * the children snapjob.c's; this file holds the cluster's side. */
#include "controlplane/domain/clustersnap.h"
#include "controlplane/domain/clusterpg.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "controlplane/core/instextra.h"
#include "controlplane/core/quotas.h"
#include "controlplane/core/region.h"
#include "controlplane/core/restags.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/validate.h"
#include "controlplane/domain/abstore.h"
#include "controlplane/domain/autobackup.h"
#include "controlplane/domain/clusterapi.h"
#include "controlplane/domain/instrow.h"
#include "controlplane/domain/snapshot.h"
#include "controlplane/domain/snaprow.h"
#include "controlplane/net/instnet.h"
#include "controlplane/notify/events.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

/* One cluster snapshot: its db_snapshots row and its cluster's side. */
typedef struct {
    char *id; /* the API's DBClusterSnapshotIdentifier */
    snaprow s;
    char *cluster_id, *cluster_resource_id;
    int64_t cluster_created_ms;
    /* An automated snapshot only: the base backup it is (abstore.h). */
    char *base_rid, *base_id;
} csnap;

static void csnap_clear(csnap *c)
{
    free(c->id);
    snaprow_clear(&c->s);
    free(c->cluster_id);
    free(c->cluster_resource_id);
    free(c->base_rid);
    free(c->base_id);
    memset(c, 0, sizeof *c);
}

static char *row_name(const char *api_id)
{
    return xasprintf("%s%s", SNAPROW_CLUSTER_PREFIX, api_id);
}

/* Both rows of api_id; false (c empty) when either is absent. */
static bool csnap_get(region *r, const char *api_id, csnap *c)
{
    memset(c, 0, sizeof *c);
    char *name = row_name(api_id);
    bool found = snaprow_get(r, name, &c->s);
    free(name);
    if (!found)
        return false;
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT cluster_id, cluster_resource_id,"
                                             " cluster_created_ms FROM db_cluster_snapshots"
                                             " WHERE id=?");
    found = false;
    if (st) {
        sqlrow_bind_text(st, 1, api_id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            c->cluster_id = sqlrow_text(st, 0);
            c->cluster_resource_id = sqlrow_text(st, 1);
            c->cluster_created_ms = sqlite3_column_int64(st, 2);
            found = c->cluster_id && c->cluster_resource_id;
        }
        sqlite3_finalize(st);
    }
    c->id = xstrdup(api_id);
    if (!found)
        csnap_clear(c);
    return found;
}

static bool side_insert(region *r, const char *api_id, const char *cluster_id,
                        const char *resource_id, int64_t created_ms)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "INSERT INTO db_cluster_snapshots(id, cluster_id,"
                                             " cluster_resource_id, cluster_created_ms)"
                                             " VALUES(?,?,?,?)");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, api_id);
    sqlrow_bind_text(st, 2, cluster_id);
    sqlrow_bind_text(st, 3, resource_id);
    sqlite3_bind_int64(st, 4, created_ms);
    return sqlrow_run(st);
}

static char *csnap_arn(region *r, const char *api_id)
{
    return xasprintf("arn:aws:rds:%s:%s:cluster-snapshot:%s", r->cfg.name, r->cfg.account,
                     api_id);
}

/* The snapshot a parameter names: its identifier or its ARN, lowercase,
 * malloc'd. A value holding a ':' that is neither a cluster-snapshot ARN
 * nor an automated snapshot's "rds:" prefix names nothing a tenant can
 * reach: "" then. */
static char *api_id_from(const char *value)
{
    region_arn a;
    const char *sid = region_arn_parse(value, &a) ? region_arn_resource_id(&a, "cluster-snapshot:")
                                                  : value;
    size_t plen = sizeof CLUSTERSNAP_AUTO_PREFIX - 1;
    const char *rest =
        sid && strncasecmp(sid, CLUSTERSNAP_AUTO_PREFIX, plen) == 0 ? sid + plen : sid;
    if (!sid || strchr(rest, ':'))
        return xstrdup("");
    return str_lower(xstrdup(sid));
}

static bool not_found(awserr *err, const char *id)
{
    return awserr_set(err, AWSERR_DB_CLUSTER_SNAPSHOT_NOT_FOUND, "DBClusterSnapshot %s not found.",
                      id);
}

static bool already(awserr *err, const char *id)
{
    return awserr_set(err, AWSERR_DB_CLUSTER_SNAPSHOT_ALREADY_EXISTS,
                      "Cannot create the cluster snapshot because one with the identifier %s "
                      "already exists.", id);
}

static bool commit_or_fail(region *r, awserr *err)
{
    if (store_commit(r->st))
        return true;
    store_rollback(r->st);
    return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
}

/* ---- the DBClusterSnapshot shape ---- */

static void add_time(cJSON *o, const char *name, int64_t ms)
{
    char buf[40];
    cJSON_AddStringToObject(o, name, rclock_format(ms, buf, sizeof buf));
}

static cJSON *csnap_render(region *r, const csnap *c)
{
    const snaprow *s = &c->s;
    cJSON *o = cJSON_CreateObject();
    cJSON *azs = cJSON_AddArrayToObject(o, "AvailabilityZones");
    for (int i = 0; i < CLUSTER_MEMBERS && i < r->cfg.naz; i++)
        cJSON_AddItemToArray(azs, cJSON_CreateString(r->cfg.azs[i]));
    cJSON_AddStringToObject(o, "DBClusterSnapshotIdentifier", c->id);
    cJSON_AddStringToObject(o, "DBClusterIdentifier", c->cluster_id);
    if (s->status != SNAP_CREATING)
        add_time(o, "SnapshotCreateTime", s->created_ms);
    cJSON_AddStringToObject(o, "Engine", "postgres");
    cJSON_AddStringToObject(o, "EngineMode", "provisioned");
    cJSON_AddNumberToObject(o, "AllocatedStorage", (double)s->allocated_storage);
    cJSON_AddStringToObject(o, "Status", snaprow_status_name(s->status));
    cJSON_AddNumberToObject(o, "Port", (double)s->port);
    add_time(o, "ClusterCreateTime", c->cluster_created_ms);
    cJSON_AddStringToObject(o, "MasterUsername", s->master_username);
    cJSON_AddStringToObject(o, "EngineVersion", s->engine_version);
    cJSON_AddStringToObject(o, "LicenseModel", "postgresql-license");
    cJSON_AddStringToObject(o, "SnapshotType", s->type);
    cJSON_AddNumberToObject(o, "PercentProgress", s->status == SNAP_AVAILABLE ? 100 : 0);
    cJSON_AddBoolToObject(o, "StorageEncrypted", s->encrypted);
    if (s->kms_key_id && s->encrypted)
        cJSON_AddStringToObject(o, "KmsKeyId", s->kms_key_id);
    char *arn = csnap_arn(r, c->id);
    cJSON_AddStringToObject(o, "DBClusterSnapshotArn", arn);
    free(arn);
    if (s->source && snaprow_is_cluster(s->source)) {
        char *src = csnap_arn(r, s->source + strlen(SNAPROW_CLUSTER_PREFIX));
        cJSON_AddStringToObject(o, "SourceDBClusterSnapshotArn", src);
        free(src);
    }
    cJSON_AddBoolToObject(o, "IAMDatabaseAuthenticationEnabled", false);
    char *name = row_name(c->id);
    char *tags = restags_get(r->st, "snapshot", name);
    free(name);
    cJSON *tl = cJSON_Parse(tags ? tags : "[]");
    free(tags);
    if (!cJSON_IsArray(tl)) {
        cJSON_Delete(tl);
        tl = cJSON_CreateArray();
    }
    cJSON_AddItemToObject(o, "TagList", tl);
    cJSON_AddStringToObject(o, "StorageType", s->storage_type);
    if (s->iops)
        cJSON_AddNumberToObject(o, "Iops", (double)s->iops);
    cJSON_AddStringToObject(o, "DbClusterResourceId", c->cluster_resource_id);
    return o;
}

static void answer(region *r, const char *api_id, cJSON *result)
{
    csnap c;
    if (csnap_get(r, api_id, &c)) {
        cJSON_AddItemToObject(result, "DBClusterSnapshot", csnap_render(r, &c));
        csnap_clear(&c);
    }
}

/* ---- CreateDBClusterSnapshot and the final snapshot ---- */

/* In the caller's transaction: a `creating` snapshot of c's writer. */
static bool snap_from_cluster(region *r, const cluster_row *c, const char *api_id,
                              char **row_id, awserr *err)
{
    csnap old;
    if (csnap_get(r, api_id, &old)) {
        csnap_clear(&old);
        return already(err, api_id);
    }
    store_instance w = {0};
    bool found = false;
    store_instance_get(r->st, c->writer, &w, &found);
    if (!found)
        return awserr_set(err, AWSERR_INVALID_DB_CLUSTER_STATE,
                          "DbCluster %s has no writer to snapshot.", c->id);
    char *name = row_name(api_id);
    /* snapshot.c's own path: the writer is an ordinary primary. */
    bool ok = snapshot_begin_final(r, &w, name, err) &&
              (side_insert(r, api_id, c->id, c->resource_id, c->created_ms) ||
               awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored."));
    store_instance_clear(&w);
    if (ok && row_id)
        *row_id = name;
    else
        free(name);
    if (ok)
        LOG_INFO("cluster snapshot accepted id=%s cluster=%s writer=%s", api_id, c->id,
                 c->writer);
    return ok;
}

bool clustersnap_begin_final(region *r, const cluster_row *c, const char *api_id,
                             char **row_id, awserr *err)
{
    return snap_from_cluster(r, c, api_id, row_id, err);
}

bool clustersnap_action_create(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *sid = params_require(p, "DBClusterSnapshotIdentifier", err);
    if (!sid || !validate_db_snapshot_id(sid, "DBClusterSnapshotIdentifier", err))
        return false;
    const char *cid = params_require(p, "DBClusterIdentifier", err);
    if (!cid)
        return false;
    char *id = str_lower(xstrdup(sid)), *cl = cluster_id_from(cid), *name = row_name(id);
    cluster_row c = {0};
    bool ok = false;
    if (!store_begin(r->st)) {
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
        goto out;
    }
    if (!cluster_get(r, cl, &c))
        awserr_set(err, AWSERR_DB_CLUSTER_NOT_FOUND, "DBCluster %s not found.", cl);
    else if (c.status != CLUSTER_AVAILABLE)
        awserr_set(err, AWSERR_INVALID_DB_CLUSTER_STATE,
                   "Cannot create a snapshot because the DB cluster %s is not currently in the "
                   "available state.", cl);
    else
        ok = snap_from_cluster(r, &c, id, NULL, err) &&
             restags_create(r->st, "snapshot", name, p, err);
    if (!ok) {
        store_rollback(r->st);
        goto out;
    }
    ok = commit_or_fail(r, err);
    if (ok)
        answer(r, id, result);
out:
    cluster_clear(&c);
    free(id);
    free(cl);
    free(name);
    return ok;
}

/* ---- automated cluster snapshots ----
 * RDS lists a Multi-AZ DB cluster's automated backups as cluster
 * snapshots named rds:<cluster>-YYYY-MM-DD-HH-MM, SnapshotType automated,
 * kept for BackupRetentionPeriod and deleted with the cluster (User Guide,
 * USER_WorkingWithAutomatedBackups; ARN cluster-snapshot:rds:...). In
 * rdsim they are the base backups of the cluster's automated backups
 * (clusterpitr.h: its first member's, taken from the writer) that
 * abjob.c keeps: no row of their own, so they go when retention prunes
 * their base or the cluster's backups are removed with it, and nothing
 * can leave one behind.
 *
 * Names are unique, as RDS's are. RDS takes one a day; rdsim takes one on
 * demand and its clock jumps, so two bases can start in one minute. The
 * first of a minute (by start) has the plain name, the n-th (n >= 2)
 * rds:<cluster>-YYYY-MM-DD-HH-MM-n: rdsim's own choice, as no RDS
 * documentation names a second one. A member's bases are taken one after
 * the other, so their starts differ. A name depends only on the bases of
 * its minute that started before it (a failed or unfinished base never
 * counts), and those outlive it: retention keeps every earlier base of a
 * kept base's minute (clustersnap_auto_keep, called by abjob.c's prune),
 * so a name never changes while its base exists, and what a copy
 * (CopyDBClusterSnapshot) or a restore accepted under it finds it still.
 * The rule keeps RDS's plain name for the usual one base a minute, at the
 * cost of a few extra bases kept when a retention window ends inside a
 * busy minute. */

void clustersnap_auto_name(const char *cluster_id, int64_t region_ms, int nth, char *out,
                           size_t cap)
{
    time_t t = (time_t)(region_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    int n = snprintf(out, cap, CLUSTERSNAP_AUTO_PREFIX "%s-%04d-%02d-%02d-%02d-%02d", cluster_id,
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
    if (nth > 1 && n > 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n, "-%d", nth);
}

/* The rank (1 for the first) of a base that started at start_real_ms
 * among the bases b[0..n) that started in the same region minute. */
static int minute_nth(const abstore_clock *clk, const abstore_base *b, int n,
                      int64_t start_real_ms)
{
    int64_t minute = abstore_clock_to_region(clk, start_real_ms) / 60000;
    int nth = 1;
    for (int i = 0; i < n; i++)
        if (b[i].start_ms < start_real_ms &&
            abstore_clock_to_region(clk, b[i].start_ms) / 60000 == minute)
            nth++;
    return nth;
}

void clustersnap_auto_keep(const abstore_clock *clk, const abstore_base *b, int n, bool *keep)
{
    /* One pass: what a kept base keeps is of its own minute, so already
     * kept by any later base of that minute. */
    for (int i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        int64_t minute = abstore_clock_to_region(clk, b[i].start_ms) / 60000;
        for (int k = 0; k < n; k++)
            if (b[k].start_ms < b[i].start_ms &&
                abstore_clock_to_region(clk, b[k].start_ms) / 60000 == minute)
                keep[k] = true;
    }
}

/* The automated snapshot of c's base backup b (of m, its first member)
 * as a csnap (owned): the settings a restore takes are the cluster's and
 * m's now, as a point-in-time restore takes them (clusterpitr.c). */
static void auto_csnap(const cluster_row *c, const store_instance *m, const abstore_base *b,
                       int64_t start_region_ms, int nth, csnap *out)
{
    char name[180];
    clustersnap_auto_name(c->id, start_region_ms, nth, name, sizeof name);
    *out = (csnap){
        .id = xstrdup(name),
        .s = {.id = row_name(name),
              .instance_id = xstrdup(c->writer),
              .type = xstrdup("automated"),
              .status = SNAP_AVAILABLE,
              .created_ms = start_region_ms,
              .encrypted = c->storage_encrypted,
              .kms_key_id = c->kms_key_id ? xstrdup(c->kms_key_id) : NULL,
              .engine_version = xstrdup(c->engine_version),
              .db_class = xstrdup(c->db_class),
              .master_username = xstrdup(c->master_username),
              .master_verifier = m->master_verifier ? xstrdup(m->master_verifier) : NULL,
              .db_name = c->db_name ? xstrdup(c->db_name) : NULL,
              .port = c->port,
              .allocated_storage = c->allocated_storage,
              .storage_type = xstrdup(c->storage_type),
              .iops = c->iops,
              .size_bytes = b->size_bytes},
        .cluster_id = xstrdup(c->id),
        .cluster_resource_id = xstrdup(c->resource_id),
        .cluster_created_ms = c->created_ms,
        .base_rid = xstrdup(m->resource_id),
        .base_id = xstrdup(b->id),
    };
}

/* Calls fn for each automated snapshot of cluster_id (every cluster when
 * NULL), oldest first per cluster; stops when fn returns false. fn may
 * take c's strings (leaving NULLs). */
typedef bool (*auto_fn)(region *r, csnap *c, void *arg);

static void auto_each_of(region *r, const char *cluster_id, const abstore_clock *clk,
                         auto_fn fn, void *arg, bool *go)
{
    cluster_row c;
    if (!cluster_get(r, cluster_id, &c))
        return;
    store_instance m = {0};
    bool found = false;
    char *first = cluster_member_id(c.id, 1);
    if (c.backup_retention > 0)
        store_instance_get(r->st, first, &m, &found);
    free(first);
    abstore_base *b = NULL;
    int n = found && m.resource_id ? abstore_bases(r, m.resource_id, AB_BASE_AVAILABLE, &b) : 0;
    for (int i = 0; i < n && *go; i++) {
        csnap a;
        auto_csnap(&c, &m, &b[i], abstore_clock_to_region(clk, b[i].start_ms),
                   minute_nth(clk, b, n, b[i].start_ms), &a);
        *go = fn(r, &a, arg);
        csnap_clear(&a);
    }
    abstore_bases_free(b, n < 0 ? 0 : n);
    store_instance_clear(&m);
    cluster_clear(&c);
}

static void auto_each(region *r, const char *cluster_id, auto_fn fn, void *arg)
{
    abstore_clock clk = abstore_clock_load(r);
    bool go = true;
    if (cluster_id) {
        auto_each_of(r, cluster_id, &clk, fn, arg, &go);
    } else {
        char **ids = NULL;
        int n = cluster_list(r, NULL, REGION_INSTANCE_QUOTA, &ids);
        for (int i = 0; i < n && go; i++)
            auto_each_of(r, ids[i], &clk, fn, arg, &go);
        cluster_ids_free(ids, n < 0 ? 0 : n);
    }
    free(clk.h);
}

typedef struct {
    const char *want;
    csnap found; /* taken from the listing; id NULL until found */
} auto_find;

static bool auto_find_one(region *r, csnap *c, void *arg)
{
    (void)r;
    auto_find *f = arg;
    if (strcmp(c->id, f->want) != 0)
        return true;
    f->found = *c;
    memset(c, 0, sizeof *c);
    return false;
}

static bool is_auto_id(const char *api_id)
{
    return strncmp(api_id, CLUSTERSNAP_AUTO_PREFIX, sizeof CLUSTERSNAP_AUTO_PREFIX - 1) == 0;
}

/* The automated snapshot api_id (lowercase) names, into *out (owned);
 * false (out empty) when it names none. */
static bool auto_get(region *r, const char *api_id, csnap *out)
{
    memset(out, 0, sizeof *out);
    if (!is_auto_id(api_id))
        return false;
    auto_find f = {.want = api_id};
    auto_each(r, NULL, auto_find_one, &f);
    *out = f.found;
    return out->id != NULL;
}

char *clustersnap_object(region *r, const char *row_id)
{
    if (!snaprow_is_cluster(row_id) || !is_auto_id(row_id + strlen(SNAPROW_CLUSTER_PREFIX)))
        return snaprow_object(r, row_id);
    const char *api_id = row_id + strlen(SNAPROW_CLUSTER_PREFIX);
    csnap c;
    char *obj = auto_get(r, api_id, &c) ? abstore_base_object(r, c.base_rid, c.base_id) : NULL;
    csnap_clear(&c);
    return obj;
}

/* Is api_id (lowercase) one of the listed automated snapshots? */
static bool auto_exists(region *r, const char *api_id)
{
    csnap c;
    bool found = auto_get(r, api_id, &c);
    csnap_clear(&c);
    return found;
}

void clustersnap_auto_emit(region *r, const char *instance_id, int64_t start_real_ms,
                           const char *event_id)
{
    store_instance in = {0};
    bool found = false;
    store_instance_get(r->st, instance_id, &in, &found);
    if (found && in.cluster_id && in.resource_id) {
        abstore_clock clk = abstore_clock_load(r);
        abstore_base *b = NULL;
        int n = abstore_bases(r, in.resource_id, AB_BASE_AVAILABLE, &b);
        char name[180], *arn;
        clustersnap_auto_name(in.cluster_id, abstore_clock_to_region(&clk, start_real_ms),
                              minute_nth(&clk, b, n < 0 ? 0 : n, start_real_ms), name,
                              sizeof name);
        abstore_bases_free(b, n < 0 ? 0 : n);
        arn = csnap_arn(r, name);
        events_emit_source(r, "db-cluster-snapshot", name, arn, event_id, NULL);
        free(arn);
        free(clk.h);
    }
    store_instance_clear(&in);
}

/* ---- DescribeDBClusterSnapshots ---- */

/* The request's selectors and Filters (db-cluster-id,
 * db-cluster-snapshot-id, snapshot-type, engine): each given one must
 * match; a filter's values are alternatives. */
typedef struct {
    const char *cluster, *snapshot, *type, *resource;
    const char **vals[3];
    int nvals[3];
} csnap_filter;

static const char *const filter_names[3] = {"db-cluster-id", "db-cluster-snapshot-id",
                                            "snapshot-type"};

static void filter_free(csnap_filter *f)
{
    for (int k = 0; k < 3; k++)
        free(f->vals[k]);
}

static bool read_filters(const params *p, csnap_filter *f, awserr *err)
{
    return params_get_filters(p, filter_names, 3, f->vals, f->nvals, err);
}

static bool csnap_matches(const csnap_filter *f, const csnap *c)
{
    return (!f->cluster || strcmp(f->cluster, c->cluster_id) == 0) &&
           (!f->snapshot || strcmp(f->snapshot, c->id) == 0) &&
           (!f->type || strcmp(f->type, c->s.type) == 0) &&
           (!f->resource || strcmp(f->resource, c->cluster_resource_id) == 0) &&
           params_filter_has(f->vals[0], f->nvals[0], c->cluster_id) &&
           params_filter_has(f->vals[1], f->nvals[1], c->id) &&
           params_filter_has(f->vals[2], f->nvals[2], c->s.type);
}

/* The listing's cursor: the filter, the page (offset, max) and where it is. */
typedef struct {
    const csnap_filter *f;
    int64_t offset, max, seen;
    cJSON *list;
    bool more;
} csnap_page;

static bool page_take(region *r, csnap *c, void *arg)
{
    csnap_page *pg = arg;
    if (!csnap_matches(pg->f, c))
        return true;
    if (pg->seen >= pg->offset && cJSON_GetArraySize(pg->list) < pg->max)
        cJSON_AddItemToArray(pg->list, csnap_render(r, c));
    else if (pg->seen >= pg->offset)
        pg->more = true;
    pg->seen++;
    return !pg->more;
}

/* Appends the matching snapshots from offset on, at most max, manual ones
 * (by creation) then automated ones (by cluster, then creation); *more
 * when some were left. */
static bool list_matching(region *r, const csnap_filter *f, int64_t offset, int64_t max,
                          cJSON *list, bool *more)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT c.id FROM db_cluster_snapshots c JOIN"
                                             " db_snapshots s ON s.id = 'cluster:' || c.id"
                                             " ORDER BY s.created_ms, c.id");
    if (!st)
        return false;
    csnap_page pg = {.f = f, .offset = offset, .max = max, .list = list};
    while (!pg.more && sqlite3_step(st) == SQLITE_ROW) {
        char *id = sqlrow_text(st, 0);
        csnap c;
        if (id && csnap_get(r, id, &c)) {
            page_take(r, &c, &pg);
            csnap_clear(&c);
        }
        free(id);
    }
    sqlite3_finalize(st);
    bool want_auto = (!f->type || strcmp(f->type, "automated") == 0) &&
                     params_filter_has(f->vals[2], f->nvals[2], "automated");
    if (!pg.more && want_auto)
        auto_each(r, f->cluster, page_take, &pg);
    *more = pg.more;
    return true;
}

bool clustersnap_action_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    int64_t max = 0, offset = 0;
    if (!params_get_paging(p, &max, &offset, err))
        return false;
    const char *want_c = params_get(p, "DBClusterIdentifier");
    const char *want_s = params_get(p, "DBClusterSnapshotIdentifier");
    char *cl = want_c ? cluster_id_from(want_c) : NULL;
    char *sid = want_s ? api_id_from(want_s) : NULL;
    csnap_filter f = {.cluster = cl, .snapshot = sid, .type = params_get(p, "SnapshotType"),
                      .resource = params_get(p, "DbClusterResourceId")};
    bool ok = true;
    if (f.type && strcmp(f.type, "manual") != 0 && strcmp(f.type, "automated") != 0 &&
        strcmp(f.type, "shared") != 0 && strcmp(f.type, "public") != 0 &&
        strcmp(f.type, "awsbackup") != 0)
        ok = awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid snapshot type: %s", f.type);
    ok = ok && read_filters(p, &f, err);
    cJSON *list = ok ? cJSON_AddArrayToObject(result, "DBClusterSnapshots") : NULL;
    bool more = false;
    if (ok && !list_matching(r, &f, offset, max, list, &more))
        ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    if (ok && sid && cJSON_GetArraySize(list) == 0 && offset == 0)
        ok = not_found(err, want_s);
    if (ok && more) {
        char marker[24];
        snprintf(marker, sizeof marker, "%lld",
                 (long long)(offset + cJSON_GetArraySize(list)));
        cJSON_AddStringToObject(result, "Marker", marker);
    }
    filter_free(&f);
    free(cl);
    free(sid);
    return ok;
}

/* ---- DeleteDBClusterSnapshot ---- */

/* Opens the transaction and reads the snapshot param names: a manual one,
 * or with with_auto an automated one too (which has no row: c->base_id
 * set). */
static bool begin_snapshot(region *r, const params *p, const char *param, bool with_auto,
                           csnap *c, awserr *err)
{
    memset(c, 0, sizeof *c);
    const char *v = params_require(p, param, err);
    if (!v)
        return false;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    char *id = api_id_from(v);
    bool found = csnap_get(r, id, c) || (with_auto && auto_get(r, id, c));
    if (!found) {
        store_rollback(r->st);
        if (auto_exists(r, id)) /* RDS deletes those itself, by retention */
            awserr_set(err, AWSERR_INVALID_DB_CLUSTER_SNAPSHOT_STATE,
                       "Only manual snapshots may be deleted: %s is an automated snapshot.", v);
        else
            not_found(err, v);
    }
    free(id);
    return found;
}

bool clustersnap_action_delete(region *r, const params *p, cJSON *result, awserr *err)
{
    csnap c;
    if (!begin_snapshot(r, p, "DBClusterSnapshotIdentifier", false, &c, err))
        return false;
    bool ok = false;
    if (c.s.status != SNAP_AVAILABLE && c.s.status != SNAP_FAILED) {
        awserr_set(err, AWSERR_INVALID_DB_CLUSTER_SNAPSHOT_STATE,
                   "Cannot delete the cluster snapshot because it is in %s state.",
                   snaprow_status_name(c.s.status));
        store_rollback(r->st);
        goto out;
    }
    /* The trigger of migration 15 deletes the cluster's side and the tags. */
    sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM db_snapshots WHERE id=?");
    if (st)
        sqlrow_bind_text(st, 1, c.s.id);
    if (!st || !sqlrow_run(st)) {
        store_rollback(r->st);
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        goto out;
    }
    ok = commit_or_fail(r, err);
    if (ok) {
        char *dir = snaprow_dir(r, c.s.id);
        fs_rm_rf(dir); /* one object: quick; a leftover is only disk */
        free(dir);
        c.s.status = SNAP_DELETED;
        cJSON_AddItemToObject(result, "DBClusterSnapshot", csnap_render(r, &c));
        LOG_INFO("cluster snapshot deleted id=%s", c.id);
    }
out:
    csnap_clear(&c);
    return ok;
}

/* ---- CopyDBClusterSnapshot ---- */

static bool copy_insert(region *r, const params *p, const csnap *src, const char *id,
                        const char *kms_arn, awserr *err)
{
    char *name = row_name(id);
    snaprow s = src->s;
    s.id = name;
    s.type = (char *)"manual";
    s.status = SNAP_CREATING;
    s.source = src->s.id;
    s.created_ms = region_now_ms(r);
    s.size_bytes = 0;
    s.error = NULL;
    if (kms_arn) {
        s.encrypted = true;
        s.kms_key_id = (char *)kms_arn;
    }
    bool copy = false;
    bool ok = params_get_bool(p, "CopyTags", &copy, NULL, err);
    char *tags = ok && copy ? restags_get(r->st, "snapshot", src->s.id) : NULL;
    if (ok && (!snaprow_insert(r, &s) ||
               !side_insert(r, id, src->cluster_id, src->cluster_resource_id,
                            src->cluster_created_ms) ||
               (tags && !restags_put(r->st, "snapshot", name, tags))))
        ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    ok = ok && restags_create(r->st, "snapshot", name, p, err);
    free(tags);
    free(name);
    return ok;
}

bool clustersnap_action_copy(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *tid = params_require(p, "TargetDBClusterSnapshotIdentifier", err);
    if (!tid || !validate_db_snapshot_id(tid, "TargetDBClusterSnapshotIdentifier", err))
        return false;
    const char *kms_ref = params_get(p, "KmsKeyId");
    csnap src, old;
    /* An automated source too: copying one is how RDS keeps it beyond
     * retention (the copy is manual; its object is a copy of the base's,
     * clustersnap_object). */
    if (!begin_snapshot(r, p, "SourceDBClusterSnapshotIdentifier", true, &src, err))
        return false;
    char *id = str_lower(xstrdup(tid)), *arn = NULL;
    bool ok = false;
    if (src.s.status != SNAP_AVAILABLE)
        awserr_set(err, AWSERR_INVALID_DB_CLUSTER_SNAPSHOT_STATE,
                   "Cluster snapshot %s is not in available state.", src.id);
    else if (csnap_get(r, id, &old)) {
        csnap_clear(&old);
        already(err, id);
    } else if (snaprow_count(r) >= QUOTA_MANUAL_SNAPSHOTS)
        awserr_set(err, AWSERR_SNAPSHOT_QUOTA_EXCEEDED,
                   "Cannot create more than %d manual snapshots", QUOTA_MANUAL_SNAPSHOTS);
    else if (!kms_ref || (arn = instrow_kms_arn(r, kms_ref, err)))
        ok = copy_insert(r, p, &src, id, arn, err);
    if (ok)
        ok = commit_or_fail(r, err);
    else
        store_rollback(r->st);
    if (ok) {
        LOG_INFO("cluster snapshot copy accepted id=%s source=%s encrypted=%d", id, src.id,
                 arn != NULL || src.s.encrypted);
        answer(r, id, result);
    }
    free(arn);
    free(id);
    csnap_clear(&src);
    return ok;
}

/* ---- both restores ---- */

/* The request's overrides of the source's settings. */
typedef struct {
    const char *id, *cls, *stype;
    char *pg; /* the stored name of DBClusterParameterGroupName, or NULL */
    char *kms_arn; /* KmsKeyId's key, enabled, or NULL */
    int64_t port, iops;
    bool has_port, has_iops, protect;
} restore_req;

static bool restore_read(region *r, const params *p, restore_req *q, awserr *err)
{
    q->id = params_require(p, "DBClusterIdentifier", err);
    if (!q->id || !validate_db_instance_id(q->id, "DBClusterIdentifier", err))
        return false;
    if (strlen(q->id) > 52) /* its members' names, "-instance-N", must fit in 63 */
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "DBClusterIdentifier %s is too long for a Multi-AZ DB cluster.", q->id);
    const char *pg = params_get(p, "DBClusterParameterGroupName");
    if (pg && !(q->pg = clusterpg_find(r, pg)))
        return awserr_set(err, AWSERR_DB_CLUSTER_PARAMETER_GROUP_NOT_FOUND,
                          "DBClusterParameterGroup not found: %s", pg);
    /* The key the new cluster is encrypted with, whatever the source's
     * (RestoreDBClusterFromSnapshot's KmsKeyId); unknown or not enabled:
     * KMSKeyNotAccessibleFault, as CopyDBClusterSnapshot answers. */
    const char *key = params_get(p, "KmsKeyId");
    if (key && !(q->kms_arn = instrow_kms_arn(r, key, err)))
        return false;
    q->cls = params_get(p, "DBClusterInstanceClass");
    q->stype = params_get(p, "StorageType");
    if ((q->cls && !validate_db_instance_class(q->cls, err)) ||
        !params_get_int(p, "Port", 1150, 65535, &q->port, &q->has_port, err) ||
        !params_get_int(p, "Iops", 0, 1 << 30, &q->iops, &q->has_iops, err) ||
        (q->has_port && !validate_port(q->port, err)) ||
        !params_get_bool(p, "DeletionProtection", &q->protect, NULL, err))
        return false;
    if (q->stype && strcmp(q->stype, "io1") != 0 && strcmp(q->stype, "io2") != 0 &&
        strcmp(q->stype, "gp3") != 0)
        return awserr_set(err, AWSERR_STORAGE_TYPE_NOT_SUPPORTED,
                          "Storage type %s is not supported for Multi-AZ DB clusters: use io1, "
                          "io2 or gp3.", q->stype);
    return true;
}

/* The new cluster's row: the source's settings under q's. Owned. */
static void restore_row(region *r, const restore_req *q, const snaprow *s, bool encrypted,
                        char *tags, char *extra, cluster_row *c)
{
    *c = (cluster_row){
        .id = str_lower(xstrdup(q->id)),
        .status = CLUSTER_CREATING,
        .engine = xstrdup("postgres"),
        .engine_version = xstrdup(s->engine_version),
        .db_class = xstrdup(q->cls ? q->cls : s->db_class),
        .allocated_storage = s->allocated_storage,
        .storage_type = xstrdup(q->stype ? q->stype : s->storage_type),
        .iops = q->has_iops ? q->iops : s->iops,
        .master_username = xstrdup(s->master_username),
        .db_name = s->db_name ? xstrdup(s->db_name) : NULL,
        .port = q->has_port ? q->port : s->port,
        .backup_retention = 1,
        .backup_window = instrow_default_backup_window(),
        .maintenance_window = instrow_default_maintenance_window(),
        .deletion_protection = q->protect,
        .storage_encrypted = encrypted,
        .param_group = xstrdup(q->pg ? q->pg : CLUSTERPG_DEFAULT),
        .readers_up = xstrdup("[]"),
        .tags = tags,
        .extra = extra,
        .created_ms = region_now_ms(r),
    };
}

bool clustersnap_restore_insert(region *r, const params *p, const snaprow *src, cluster_row *c,
                                awserr *err)
{
    memset(c, 0, sizeof *c);
    restore_req q = {0};
    char *tags = restore_read(r, p, &q, err) ? restags_merge(p, NULL, err) : NULL;
    if (!tags) {
        free(q.pg);
        free(q.kms_arn);
        return false;
    }
    cJSON *extra = instextra_new();
    bool ok = instnet_read_create(r, p, NULL, true, extra, err);
    char *extra_json = cJSON_PrintUnformatted(extra);
    cJSON_Delete(extra);
    /* KmsKeyId's key, else an encrypted source's, else none (the
     * parameter's documented rules). The members are encrypted with it,
     * so abjob.c seals their backups and snapshots under it, as any
     * encrypted instance's; the writer unseals the source under its own
     * key (the object names it). */
    bool encrypted = q.kms_arn || src->encrypted;
    restore_row(r, &q, src, encrypted, tags, extra_json, c);
    ok = ok && validate_windows_disjoint(c->backup_window, c->maintenance_window, err) &&
         validate_iops(c->storage_type, c->allocated_storage, true, c->iops, err);
    clusterapi_members m = {
        .db_class = c->db_class, .storage_type = c->storage_type,
        .master_username = src->master_username, .master_verifier = src->master_verifier,
        .db_name = src->db_name,
        .kms_key_id = q.kms_arn ? q.kms_arn : src->encrypted ? src->kms_key_id : NULL,
        .port = c->port, .allocated_storage = c->allocated_storage, .iops = c->iops,
        .encrypted = encrypted,
    };
    ok = ok && clusterapi_insert(r, c, &m, err);
    free(q.pg);
    free(q.kms_arn);
    if (!ok)
        cluster_clear(c);
    return ok;
}

void clustersnap_forget_restores(region *r, const char *cluster_id)
{
    /* Both restores record the first member, the writer they insert. */
    char *first = cluster_member_id(cluster_id, 1);
    snapshot_forget_restore(r, first);
    autobackup_forget_restore(r, first);
    free(first);
}

/* ---- RestoreDBClusterFromSnapshot ---- */

/* In the caller's transaction: the writer restores the snapshot's object
 * (snapshot_restores, read by snapshot_spec_restore when its node's spec
 * is built). */
static bool restore_record(region *r, const char *writer, const char *row_id, awserr *err)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "INSERT OR REPLACE INTO snapshot_restores("
                                             "instance_id, snapshot_id) VALUES(?,?)");
    if (st) {
        sqlrow_bind_text(st, 1, writer);
        sqlrow_bind_text(st, 2, row_id);
    }
    return (st && sqlrow_run(st)) ||
           awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
}

bool clustersnap_action_restore(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *engine = params_require(p, "Engine", err);
    if (!engine || !params_require(p, "DBClusterIdentifier", err))
        return false;
    if (strcmp(engine, "postgres") != 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid DB engine: %s. The snapshot is of a postgres DB cluster.",
                          engine);
    csnap src;
    if (!begin_snapshot(r, p, "SnapshotIdentifier", true, &src, err))
        return false;
    cluster_row c = {0};
    bool ok = src.s.status == SNAP_AVAILABLE;
    if (!ok)
        awserr_set(err, AWSERR_INVALID_DB_CLUSTER_SNAPSHOT_STATE,
                   "Cluster snapshot %s is not in available state.", src.id);
    ok = ok && clustersnap_restore_insert(r, p, &src.s, &c, err);
    /* An automated snapshot is its base backup: the writer restores that
     * object alone, to the base's end, as it restores a manual one. */
    if (ok && src.base_id)
        ok = autobackup_restore_base(r, src.base_rid, src.base_id, c.writer, err);
    else if (ok)
        ok = restore_record(r, c.writer, src.s.id, err);
    if (ok)
        ok = commit_or_fail(r, err);
    else
        store_rollback(r->st);
    if (ok) {
        LOG_INFO("cluster restore accepted cluster=%s snapshot=%s port=%lld", c.id, src.id,
                 (long long)c.port);
        cJSON_AddItemToObject(result, "DBCluster", clusterapi_render(r, &c));
    }
    cluster_clear(&c);
    csnap_clear(&src);
    return ok;
}
