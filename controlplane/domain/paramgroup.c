/* paramgroup: see paramgroup.h. */
#include "controlplane/domain/paramgroup.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "controlplane/core/agents.h"
#include "controlplane/core/pgcatalog.h"
#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/validate.h"
#include "lib/log.h"
#include "lib/util.h"

static const char paramgroup_sql[] =
    "CREATE TABLE IF NOT EXISTS db_parameter_groups("
    " name TEXT PRIMARY KEY, family TEXT NOT NULL, description TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS db_parameters("
    " grp TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, method TEXT NOT NULL,"
    " PRIMARY KEY(grp, name));";

/* What the default group holds beyond PostgreSQL's defaults, as RDS's
 * default.postgres15 shows them (Source "system"); agents.c applies the
 * same numbers as the node's base settings. */
static const struct {
    const char *name, *value;
} system_rows[] = {
    {"effective_cache_size", "{DBInstanceClassMemory/16384}"},
    {"maintenance_work_mem", "GREATEST({DBInstanceClassMemory*1024/63963136},65536)"},
    {"max_connections", "LEAST({DBInstanceClassMemory/9531392},5000)"},
    {"shared_buffers", "{DBInstanceClassMemory/32768}"},
};

static const char *system_value(const char *name)
{
    for (size_t i = 0; i < sizeof system_rows / sizeof system_rows[0]; i++)
        if (strcmp(system_rows[i].name, name) == 0)
            return system_rows[i].value;
    return NULL;
}

bool paramgroup_open(region *r)
{
    char *msg = NULL;
    if (sqlite3_exec(store_sqlite(r->st), paramgroup_sql, NULL, NULL, &msg) != SQLITE_OK) {
        LOG_ERROR("paramgroup schema failed err=\"%s\"", msg ? msg : "?");
        sqlite3_free(msg);
        return false;
    }
    char *cache = xasprintf("%s/pg-describe-config.txt", r->home);
    r->pgcat = pgcatalog_load(NULL, cache);
    free(cache);
    return r->pgcat != NULL;
}

void paramgroup_close(region *r)
{
    pgcatalog_free(r->pgcat);
    r->pgcat = NULL;
}

/* ---- names and rows ---- */

static char *default_name(const region *r)
{
    return xasprintf("default.postgres%s", r->pg_major);
}

static char *family_name(const region *r)
{
    return xasprintf("postgres%s", r->pg_major);
}

static bool is_default(const region *r, const char *name)
{
    char *d = default_name(r);
    bool same = strcmp(d, name) == 0;
    free(d);
    return same;
}

/* 1-255 letters, digits, hyphens; a letter first; no "--", no trailing '-'. */
static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && c != '-')
            return false;
        if (c == '-' && (i + 1 == n || s[i + 1] == '-'))
            return false;
    }
    return true;
}

typedef struct {
    char *family, *description;
} group_row;

static void group_row_clear(group_row *g)
{
    free(g->family);
    free(g->description);
    memset(g, 0, sizeof *g);
}

/* The group by lowercase name: true when it exists (the default always). */
static bool group_get(region *r, const char *name, group_row *out)
{
    memset(out, 0, sizeof *out);
    if (is_default(r, name)) {
        out->family = family_name(r);
        out->description = xasprintf("Default parameter group for postgres%s", r->pg_major);
        return true;
    }
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT family, description FROM "
                                             "db_parameter_groups WHERE name = ?");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, name);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        out->family = sqlrow_text(st, 0);
        out->description = sqlrow_text(st, 1);
    }
    sqlite3_finalize(st);
    return found;
}

/* Rows of a group as {name: {"value": v, "method": m}}; a new object. */
static cJSON *group_rows(region *r, const char *name)
{
    cJSON *o = cJSON_CreateObject();
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT name, value, method FROM db_parameters "
                                             "WHERE grp = ? ORDER BY name");
    if (!st)
        return o;
    sqlrow_bind_text(st, 1, name);
    while (sqlite3_step(st) == SQLITE_ROW) {
        cJSON *row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "value", (const char *)sqlite3_column_text(st, 1));
        cJSON_AddStringToObject(row, "method", (const char *)sqlite3_column_text(st, 2));
        cJSON_AddItemToObject(o, (const char *)sqlite3_column_text(st, 0), row);
    }
    sqlite3_finalize(st);
    return o;
}

/* {name: value} of a group's rows; a new object. */
static cJSON *group_values(region *r, const char *name)
{
    cJSON *rows = group_rows(r, name);
    cJSON *o = cJSON_CreateObject();
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        cJSON_AddStringToObject(o, row->string,
                                cJSON_GetObjectItemCaseSensitive(row, "value")->valuestring);
    }
    cJSON_Delete(rows);
    return o;
}

static const char *extra_str(const cJSON *extra, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(extra, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The wanted and applied groups of an instance (malloc'd). */
static void instance_groups(region *r, const cJSON *extra, char **want, char **applied)
{
    const char *w = extra_str(extra, "DBParameterGroupName");
    const char *a = extra_str(extra, "ParamGroupApplied");
    *want = w ? xstrdup(w) : default_name(r);
    *applied = xstrdup(a ? a : *want);
}

/* What the nodes run with now: {name: raw value} (see paramgroup.h). */
static cJSON *values_now(region *r, const cJSON *extra)
{
    char *want, *applied;
    instance_groups(r, extra, &want, &applied);
    cJSON *rows = group_rows(r, applied);
    const cJSON *boot = cJSON_GetObjectItemCaseSensitive(extra, "ParamBoot");
    cJSON *out = cJSON_CreateObject();
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        const pgparam *p = pgcatalog_find(r->pgcat, row->string);
        const char *method = cJSON_GetObjectItemCaseSensitive(row, "method")->valuestring;
        bool now = p && !pgcatalog_is_static(p) && strcmp(method, "immediate") == 0;
        const char *v = now ? cJSON_GetObjectItemCaseSensitive(row, "value")->valuestring
                            : extra_str(boot, row->string);
        if (v)
            cJSON_AddStringToObject(out, row->string, v);
    }
    /* Parameters reset since the boot: a static one keeps its value until
     * the restart; a dynamic one goes back to the default at once. */
    const cJSON *b;
    cJSON_ArrayForEach(b, boot) {
        if (!cJSON_IsString(b) || cJSON_GetObjectItemCaseSensitive(rows, b->string))
            continue;
        const pgparam *p = pgcatalog_find(r->pgcat, b->string);
        if (p && pgcatalog_is_static(p))
            cJSON_AddStringToObject(out, b->string, b->valuestring);
    }
    cJSON_Delete(rows);
    free(want);
    free(applied);
    return out;
}

/* The same maps (as sets of name=value)? */
static bool same_values(const cJSON *a, const cJSON *b)
{
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
        return false;
    const cJSON *x;
    cJSON_ArrayForEach(x, a) {
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
        if (!cJSON_IsString(y) || strcmp(x->valuestring, y->valuestring) != 0)
            return false;
    }
    return true;
}

/* ---- per instance ---- */

static void set_extra_str(cJSON *extra, const char *key, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(extra, key);
    cJSON_AddStringToObject(extra, key, v);
}

static bool read_group_param(region *r, const params *p, char **name, awserr *err)
{
    const char *g = params_get(p, "DBParameterGroupName");
    *name = NULL;
    if (!g)
        return true;
    char *lower = str_lower(xstrdup(g));
    group_row row;
    bool found = group_get(r, lower, &row);
    char *fam = family_name(r);
    bool fam_ok = found && strcmp(row.family, fam) == 0;
    free(fam);
    group_row_clear(&row);
    if (!found) {
        awserr_set(err, AWSERR_DB_PARAMETER_GROUP_NOT_FOUND, "DBParameterGroup not found: %s",
                   lower);
        free(lower);
        return false;
    }
    if (!fam_ok) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                   "The parameter group %s is not of family postgres%s.", lower, r->pg_major);
        free(lower);
        return false;
    }
    *name = lower;
    return true;
}

bool paramgroup_read_create(region *r, const params *p, cJSON *extra, awserr *err)
{
    char *name = NULL;
    if (!read_group_param(r, p, &name, err))
        return false;
    if (!name)
        name = default_name(r);
    set_extra_str(extra, "DBParameterGroupName", name);
    set_extra_str(extra, "ParamGroupApplied", name);
    cJSON_DeleteItemFromObjectCaseSensitive(extra, "ParamBoot");
    cJSON_AddItemToObject(extra, "ParamBoot", group_values(r, name));
    free(name);
    return true;
}

bool paramgroup_read_modify(region *r, const params *p, cJSON *extra, bool *changed, awserr *err)
{
    char *name = NULL;
    if (!read_group_param(r, p, &name, err))
        return false;
    if (!name)
        return true;
    /* Instances made before parameter groups: they run the default. */
    if (!extra_str(extra, "ParamGroupApplied")) {
        char *want, *applied;
        instance_groups(r, extra, &want, &applied);
        set_extra_str(extra, "ParamGroupApplied", applied);
        free(want);
        free(applied);
    }
    set_extra_str(extra, "DBParameterGroupName", name);
    LOG_INFO("parameter group wanted group=%s (applies at the next reboot)", name);
    free(name);
    *changed = true;
    return true;
}

void paramgroup_on_restart(region *r, store_instance *in)
{
    cJSON *extra = cJSON_Parse(in->extra ? in->extra : "{}");
    if (!cJSON_IsObject(extra)) {
        cJSON_Delete(extra);
        extra = cJSON_CreateObject();
    }
    char *want, *applied;
    instance_groups(r, extra, &want, &applied);
    set_extra_str(extra, "ParamGroupApplied", want);
    cJSON_DeleteItemFromObjectCaseSensitive(extra, "ParamBoot");
    cJSON_AddItemToObject(extra, "ParamBoot", group_values(r, want));
    free(in->extra);
    in->extra = cJSON_PrintUnformatted(extra);
    cJSON_Delete(extra);
    free(want);
    free(applied);
}

/* The formula variables of an instance. */
static pgcatalog_vars instance_vars(const store_instance *in)
{
    int64_t mib = validate_class_memory_mib(in->db_class);
    if (mib <= 0)
        mib = 1024;
    int vcpus = validate_class_vcpus(in->db_class);
    pgcatalog_vars v = {mib * 1024 * 1024, vcpus > 0 ? vcpus : 2,
                        in->allocated_storage * (1LL << 30), in->port};
    return v;
}

/* name → value for PostgreSQL: a formula evaluated (shared_buffers capped
 * at 1/16 of this host's memory, as agents.c caps the class default, so a
 * large simulated class still starts on one machine). NULL when a formula
 * does not evaluate (the parameter is then left out). */
static char *deliver_value(const pgparam *p, const char *raw, const pgcatalog_vars *vars)
{
    if (!p || !pgcatalog_is_formula(raw))
        return xstrdup(raw);
    int64_t v;
    if (!pgcatalog_eval(raw, vars, &v))
        return NULL;
    if (strcmp(p->name, "shared_buffers") == 0) {
        int64_t host = (int64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
        int64_t cap = host / 16 / 8192;
        if (host > 0 && v > cap)
            v = cap;
    }
    if (v < (int64_t)p->min)
        v = (int64_t)p->min;
    if (v > (int64_t)p->max)
        v = (int64_t)p->max;
    return xasprintf("%lld", (long long)v);
}

/* FNV-1a, 64 bits. */
static uint64_t fnv(const char *s, uint64_t h)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* The spec's parameters and their id (hex). */
static cJSON *spec_parameters(region *r, const store_instance *in, char id[17])
{
    cJSON *extra = cJSON_Parse(in->extra ? in->extra : "{}");
    cJSON *now = values_now(r, extra);
    pgcatalog_vars vars = instance_vars(in);
    cJSON *out = cJSON_CreateObject();
    uint64_t h = 14695981039346656037ULL;
    const cJSON *v;
    cJSON_ArrayForEach(v, now) {
        const pgparam *p = pgcatalog_find(r->pgcat, v->string);
        char *val = deliver_value(p, v->valuestring, &vars);
        if (!val || !p || !p->modifiable) {
            free(val);
            continue;
        }
        /* PostgreSQL's names are case-insensitive; the agent takes lowercase. */
        char *key = str_lower(xstrdup(p->name));
        cJSON_AddStringToObject(out, key, val);
        h = fnv(key, h);
        h = fnv("=", h);
        h = fnv(val, h);
        h = fnv("\n", h);
        free(key);
        free(val);
    }
    snprintf(id, 17, "%016llx", (unsigned long long)h);
    cJSON_Delete(now);
    cJSON_Delete(extra);
    return out;
}

void paramgroup_spec(region *r, const store_instance *in, cJSON *spec)
{
    char id[17];
    cJSON_AddItemToObject(spec, "parameters", spec_parameters(r, in, id));
    cJSON_AddStringToObject(spec, "parameters_id", id);
}

static const char *apply_status(region *r, const store_instance *in)
{
    cJSON *extra = cJSON_Parse(in->extra ? in->extra : "{}");
    char *want, *applied;
    instance_groups(r, extra, &want, &applied);
    cJSON *now = values_now(r, extra);
    cJSON *after = group_values(r, want);
    bool pending = strcmp(want, applied) != 0 || !same_values(now, after);
    cJSON_Delete(now);
    cJSON_Delete(after);
    cJSON_Delete(extra);
    free(want);
    free(applied);
    if (pending)
        return "pending-reboot";
    char id[17];
    cJSON_Delete(spec_parameters(r, in, id));
    store_node *nodes = NULL;
    int n = store_node_list(r->st, in->id, NULL, &nodes);
    bool applying = false;
    for (int i = 0; i < n; i++) {
        if (nodes[i].goal != GOAL_RUNNING)
            continue;
        const agent_node_report *rep =
            agents_node_report(r->agents, nodes[i].agent_id, nodes[i].id);
        if (rep && rep->state == AGENT_NODE_RUNNING && strcmp(rep->parameters_id, id) != 0)
            applying = true;
    }
    store_node_list_free(nodes, n < 0 ? 0 : n);
    return applying ? "applying" : "in-sync";
}

void paramgroup_render(region *r, const store_instance *in, cJSON *o)
{
    cJSON *extra = cJSON_Parse(in->extra ? in->extra : "{}");
    char *want, *applied;
    instance_groups(r, extra, &want, &applied);
    cJSON *pgs = cJSON_AddArrayToObject(o, "DBParameterGroups");
    cJSON *pg = cJSON_CreateObject();
    cJSON_AddStringToObject(pg, "DBParameterGroupName", want);
    cJSON_AddStringToObject(pg, "ParameterApplyStatus", apply_status(r, in));
    cJSON_AddItemToArray(pgs, pg);
    cJSON_Delete(extra);
    free(want);
    free(applied);
}

/* ---- actions ---- */

static char *group_arn(const region *r, const char *name)
{
    return xasprintf("arn:aws:rds:%s:%s:pg:%s", r->cfg.name, r->cfg.account, name);
}

static cJSON *render_group(region *r, const char *name, const group_row *g)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "DBParameterGroupName", name);
    cJSON_AddStringToObject(o, "DBParameterGroupFamily", g->family);
    cJSON_AddStringToObject(o, "Description", g->description);
    char *arn = group_arn(r, name);
    cJSON_AddStringToObject(o, "DBParameterGroupArn", arn);
    free(arn);
    return o;
}

static bool commit_or_fail(region *r, awserr *err)
{
    if (store_commit(r->st))
        return true;
    store_rollback(r->st);
    return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
}

static int group_count(region *r)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT count(*) FROM db_parameter_groups");
    int n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return n;
}

bool paramgroup_action_create(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *g = params_require(p, "DBParameterGroupName", err);
    if (!g)
        return false;
    const char *fam = params_require(p, "DBParameterGroupFamily", err);
    if (!fam)
        return false;
    const char *desc = params_require(p, "Description", err);
    if (!desc)
        return false;
    if (!name_ok(g))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter DBParameterGroupName is not a valid identifier. "
                          "Identifiers must begin with a letter; must contain only ASCII "
                          "letters, digits, and hyphens; and must not end with a hyphen or "
                          "contain two consecutive hyphens.");
    char *family = family_name(r);
    bool fam_ok = strcmp(fam, family) == 0;
    free(family);
    if (!fam_ok)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "ParameterGroupFamily %s is not supported in this region: it runs "
                          "PostgreSQL %s (family postgres%s).", fam, r->pg_major, r->pg_major);
    if (strlen(desc) > 1024)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Description must be at most 1024 characters.");
    char *name = str_lower(xstrdup(g));
    bool ok = false;
    group_row row;
    if (!store_begin(r->st)) {
        free(name);
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    }
    if (group_get(r, name, &row)) {
        group_row_clear(&row);
        awserr_set(err, AWSERR_DB_PARAMETER_GROUP_ALREADY_EXISTS,
                   "Parameter group %s already exists", name);
        goto done;
    }
    if (group_count(r) >= PARAMGROUP_QUOTA) {
        awserr_set(err, AWSERR_DB_PARAMETER_GROUP_QUOTA_EXCEEDED,
                   "The request would exceed the maximum of %d DB parameter groups.",
                   PARAMGROUP_QUOTA);
        goto done;
    }
    sqlite3_stmt *st = sqlrow_prepare(r->st, "INSERT INTO db_parameter_groups(name, family, "
                                             "description, created_ms) VALUES(?,?,?,?)");
    if (st) {
        sqlrow_bind_text(st, 1, name);
        sqlrow_bind_text(st, 2, fam);
        sqlrow_bind_text(st, 3, desc);
        sqlite3_bind_int64(st, 4, region_now_ms(r));
    }
    if (!sqlrow_run(st)) {
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        goto done;
    }
    ok = commit_or_fail(r, err);
    if (ok) {
        group_row gr = {.family = (char *)fam, .description = (char *)desc};
        cJSON_AddItemToObject(result, "DBParameterGroup", render_group(r, name, &gr));
        LOG_INFO("parameter group created group=%s", name);
    }
done:
    if (!ok)
        store_rollback(r->st);
    free(name);
    return ok;
}

/* MaxRecords 20..100 (default 100) and Marker (an offset we gave). */
static bool read_paging(const params *p, int64_t *max, int64_t *offset, awserr *err)
{
    bool has = false;
    *max = 100;
    if (!params_get_int(p, "MaxRecords", INT32_MIN, INT32_MAX, max, &has, err))
        return false;
    if (has && (*max < 20 || *max > 100))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid value %lld for MaxRecords. Must be between 20 and 100",
                          (long long)*max);
    *offset = 0;
    const char *m = params_get(p, "Marker");
    if (m && *m && !str_to_int64(m, 0, 1 << 30, offset))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid Marker: %.64s", m);
    return true;
}

bool paramgroup_action_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    int64_t max, off;
    if (!read_paging(p, &max, &off, err))
        return false;
    const char *g = params_get(p, "DBParameterGroupName");
    cJSON *list = cJSON_CreateArray();
    group_row row;
    if (g) {
        char *name = str_lower(xstrdup(g));
        bool found = group_get(r, name, &row);
        if (found)
            cJSON_AddItemToArray(list, render_group(r, name, &row));
        group_row_clear(&row);
        if (!found) {
            awserr_set(err, AWSERR_DB_PARAMETER_GROUP_NOT_FOUND,
                       "DBParameterGroup not found: %s", name);
            free(name);
            cJSON_Delete(list);
            return false;
        }
        free(name);
    } else {
        char *d = default_name(r);
        group_get(r, d, &row);
        cJSON_AddItemToArray(list, render_group(r, d, &row));
        group_row_clear(&row);
        free(d);
        sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT name, family, description FROM "
                                                 "db_parameter_groups ORDER BY name");
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            group_row gr = {.family = sqlrow_text(st, 1), .description = sqlrow_text(st, 2)};
            cJSON_AddItemToArray(list, render_group(r, (const char *)sqlite3_column_text(st, 0),
                                                    &gr));
            group_row_clear(&gr);
        }
        sqlite3_finalize(st);
    }
    cJSON *page = cJSON_AddArrayToObject(result, "DBParameterGroups");
    int n = cJSON_GetArraySize(list);
    for (int i = (int)off; i < n && i < off + max; i++)
        cJSON_AddItemToArray(page, cJSON_Duplicate(cJSON_GetArrayItem(list, i), true));
    if (off + max < n) {
        char m[32];
        snprintf(m, sizeof m, "%lld", (long long)(off + max));
        cJSON_AddStringToObject(result, "Marker", m);
    }
    cJSON_Delete(list);
    return true;
}

/* The instance that uses (or will use, or still runs with) a group, or
 * NULL; malloc'd. */
static char *group_user(region *r, const char *name)
{
    char **ids = NULL;
    int n = store_instance_list(r->st, NULL, 100000, &ids);
    char *user = NULL;
    for (int i = 0; i < n; i++) {
        store_instance in = {0};
        bool found = false;
        if (!user && store_instance_get(r->st, ids[i], &in, &found) && found) {
            cJSON *extra = cJSON_Parse(in.extra ? in.extra : "{}");
            char *want, *applied;
            instance_groups(r, extra, &want, &applied);
            if (strcmp(want, name) == 0 || strcmp(applied, name) == 0)
                user = xstrdup(in.id);
            free(want);
            free(applied);
            cJSON_Delete(extra);
        }
        store_instance_clear(&in);
        free(ids[i]);
    }
    free(ids);
    return user;
}

/* Loads a user group for a change: false with NotFound, or
 * InvalidDBParameterGroupState for the default group. */
static bool load_modifiable(region *r, const params *p, char **name, awserr *err)
{
    const char *g = params_require(p, "DBParameterGroupName", err);
    if (!g)
        return false;
    *name = str_lower(xstrdup(g));
    group_row row;
    bool found = group_get(r, *name, &row);
    group_row_clear(&row);
    bool ok = true;
    if (!found)
        ok = awserr_set(err, AWSERR_DB_PARAMETER_GROUP_NOT_FOUND,
                        "DBParameterGroup not found: %s", *name);
    else if (is_default(r, *name))
        ok = awserr_set(err, AWSERR_INVALID_DB_PARAMETER_GROUP_STATE,
                        "Default parameter groups cannot be modified: %s", *name);
    if (!ok) {
        free(*name);
        *name = NULL;
    }
    return ok;
}

bool paramgroup_action_delete(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    const char *g = params_require(p, "DBParameterGroupName", err);
    if (!g)
        return false;
    char *name = str_lower(xstrdup(g));
    bool ok = false;
    char *user = NULL;
    group_row row;
    if (!store_begin(r->st)) {
        free(name);
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    }
    bool found = group_get(r, name, &row);
    group_row_clear(&row);
    if (!found) {
        awserr_set(err, AWSERR_DB_PARAMETER_GROUP_NOT_FOUND, "DBParameterGroup not found: %s",
                   name);
        goto done;
    }
    if (is_default(r, name)) {
        awserr_set(err, AWSERR_INVALID_DB_PARAMETER_GROUP_STATE,
                   "Default DBParameterGroup cannot be deleted: %s", name);
        goto done;
    }
    user = group_user(r, name);
    if (user) {
        awserr_set(err, AWSERR_INVALID_DB_PARAMETER_GROUP_STATE,
                   "One or more database instances are still members of this parameter group "
                   "%s, so the group cannot be deleted (%s).", name, user);
        goto done;
    }
    sqlite3_stmt *a = sqlrow_prepare(r->st, "DELETE FROM db_parameters WHERE grp = ?");
    if (a)
        sqlrow_bind_text(a, 1, name);
    sqlite3_stmt *b = NULL;
    bool ran = sqlrow_run(a);
    if (ran) {
        b = sqlrow_prepare(r->st, "DELETE FROM db_parameter_groups WHERE name = ?");
        if (b)
            sqlrow_bind_text(b, 1, name);
        ran = sqlrow_run(b);
    }
    if (!ran) {
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        goto done;
    }
    ok = commit_or_fail(r, err);
    if (ok)
        LOG_INFO("parameter group deleted group=%s", name);
done:
    if (!ok)
        store_rollback(r->st);
    free(user);
    free(name);
    return ok;
}

int paramgroup_check_params(const pgcatalog *cat, const params *p, bool need_value,
                            awserr *err)
{
    int n = params_count_structs(p, "Parameters", "Parameter", err);
    if (n < 0)
        return -1;
    if (n > PARAMGROUP_MAX_MODIFY) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "A maximum of %d parameters can be modified in a single request; %d were "
                   "given.", PARAMGROUP_MAX_MODIFY, n);
        return -1;
    }
    for (int i = 1; i <= n; i++) {
        const char *name = params_get_struct_field(p, "Parameters", "Parameter", i,
                                                   "ParameterName");
        const char *value = params_get_struct_field(p, "Parameters", "Parameter", i,
                                                    "ParameterValue");
        const char *method = params_get_struct_field(p, "Parameters", "Parameter", i,
                                                     "ApplyMethod");
        if (!name || !*name) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "Parameter %d has no ParameterName.", i);
            return -1;
        }
        const pgparam *pp = NULL;
        if (need_value) {
            if (!value) {
                awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                           "Parameter %s has no ParameterValue.", name);
                return -1;
            }
            if (!pgcatalog_check(cat, name, value, &pp, err))
                return -1;
        } else {
            pp = pgcatalog_find(cat, name);
            if (!pp) {
                awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                           "Could not find parameter with name: %.100s", name);
                return -1;
            }
        }
        if (method && strcmp(method, "immediate") != 0 && strcmp(method, "pending-reboot") != 0) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "Invalid ApplyMethod %.64s: use immediate or pending-reboot.", method);
            return -1;
        }
        if (method && strcmp(method, "immediate") == 0 && pgcatalog_is_static(pp)) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                       "cannot use immediate apply method for static parameter %s", pp->name);
            return -1;
        }
    }
    return n;
}

static const char *method_of(const params *p, int i, const pgparam *pp)
{
    const char *m = params_get_struct_field(p, "Parameters", "Parameter", i, "ApplyMethod");
    if (m)
        return m;
    return pgcatalog_is_static(pp) ? "pending-reboot" : "immediate";
}

bool paramgroup_action_modify(region *r, const params *p, cJSON *result, awserr *err)
{
    char *name = NULL;
    if (!load_modifiable(r, p, &name, err))
        return false;
    int n = paramgroup_check_params(r->pgcat, p, true, err);
    if (n == 0)
        awserr_set(err, AWSERR_MISSING_PARAMETER,
                   "The request must contain the parameter Parameters.");
    if (n <= 0) {
        free(name);
        return false;
    }
    if (!store_begin(r->st)) {
        free(name);
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    }
    bool ok = true;
    for (int i = 1; ok && i <= n; i++) {
        const pgparam *pp = pgcatalog_find(
            r->pgcat, params_get_struct_field(p, "Parameters", "Parameter", i, "ParameterName"));
        const char *value = params_get_struct_field(p, "Parameters", "Parameter", i,
                                                    "ParameterValue");
        sqlite3_stmt *st = sqlrow_prepare(r->st, "INSERT OR REPLACE INTO db_parameters(grp, "
                                                 "name, value, method) VALUES(?,?,?,?)");
        if (st) {
            sqlrow_bind_text(st, 1, name);
            sqlrow_bind_text(st, 2, pp->name);
            sqlrow_bind_text(st, 3, value);
            sqlrow_bind_text(st, 4, method_of(p, i, pp));
        }
        ok = sqlrow_run(st);
        if (ok)
            LOG_INFO("parameter set group=%s name=%s method=%s", name, pp->name,
                     method_of(p, i, pp));
    }
    if (!ok) {
        store_rollback(r->st);
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    } else {
        ok = commit_or_fail(r, err);
    }
    if (ok)
        cJSON_AddStringToObject(result, "DBParameterGroupName", name);
    free(name);
    return ok;
}

bool paramgroup_action_reset(region *r, const params *p, cJSON *result, awserr *err)
{
    char *name = NULL;
    if (!load_modifiable(r, p, &name, err))
        return false;
    bool all = false, has_all = false;
    int n = 0;
    if (!params_get_bool(p, "ResetAllParameters", &all, &has_all, err) ||
        (n = paramgroup_check_params(r->pgcat, p, false, err)) < 0) {
        free(name);
        return false;
    }
    if (all && n > 0) {
        free(name);
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Specify either ResetAllParameters or a list of parameters, not "
                          "both.");
    }
    if (!has_all && n == 0)
        all = true; /* "By default, all parameters in the DB parameter group are reset" */
    if (!store_begin(r->st)) {
        free(name);
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    }
    bool ok = true;
    if (all) {
        sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM db_parameters WHERE grp = ?");
        if (st)
            sqlrow_bind_text(st, 1, name);
        ok = sqlrow_run(st);
    }
    for (int i = 1; ok && !all && i <= n; i++) {
        const pgparam *pp = pgcatalog_find(
            r->pgcat, params_get_struct_field(p, "Parameters", "Parameter", i, "ParameterName"));
        sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM db_parameters WHERE grp = ? AND "
                                                 "name = ?");
        if (st) {
            sqlrow_bind_text(st, 1, name);
            sqlrow_bind_text(st, 2, pp->name);
        }
        ok = sqlrow_run(st);
    }
    if (!ok) {
        store_rollback(r->st);
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    } else {
        ok = commit_or_fail(r, err);
    }
    if (ok) {
        LOG_INFO("parameter group reset group=%s all=%d count=%d", name, all, n);
        cJSON_AddStringToObject(result, "DBParameterGroupName", name);
    }
    free(name);
    return ok;
}

/* One Parameter shape. value NULL: none shown. */
static cJSON *render_param(const pgparam *pp, const char *value, const char *source,
                           const char *method)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ParameterName", pp->name);
    if (value)
        cJSON_AddStringToObject(o, "ParameterValue", value);
    cJSON_AddStringToObject(o, "Description", pp->description);
    cJSON_AddStringToObject(o, "Source", source);
    cJSON_AddStringToObject(o, "ApplyType", pgcatalog_is_static(pp) ? "static" : "dynamic");
    cJSON_AddStringToObject(o, "DataType", pgcatalog_data_type(pp));
    char *allowed = pgcatalog_allowed_values(pp);
    if (allowed)
        cJSON_AddStringToObject(o, "AllowedValues", allowed);
    free(allowed);
    cJSON_AddBoolToObject(o, "IsModifiable", pp->modifiable);
    cJSON_AddStringToObject(o, "ApplyMethod", method);
    return o;
}

/* The parameters of a group (NULL: the engine defaults) after the Source
 * and parameter-name filters, paged into result. */
static bool describe_params(region *r, const params *p, const char *group, cJSON *result,
                            awserr *err)
{
    int64_t max, off;
    if (!read_paging(p, &max, &off, err))
        return false;
    const char *source = params_get(p, "Source");
    if (source && strcmp(source, "user") != 0 && strcmp(source, "system") != 0 &&
        strcmp(source, "engine-default") != 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid Source %.64s: use user, system or engine-default.", source);
    int nf = params_count_structs(p, "Filters", "Filter", err);
    if (nf < 0)
        return false;
    const char **names = NULL;
    int nnames = -1; /* no name filter */
    for (int i = 1; i <= nf; i++) {
        const char *fname = params_get_struct_field(p, "Filters", "Filter", i, "Name");
        if (!fname || strcmp(fname, "parameter-name") != 0)
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "Unrecognized filter name: %s. The only supported filter is "
                              "parameter-name.", fname ? fname : "(none)");
        char prefix[64];
        snprintf(prefix, sizeof prefix, "Filters.Filter.%d.Values", i);
        free(names);
        nnames = params_get_list(p, prefix, "Value", &names, err);
        if (nnames < 0)
            return false;
    }
    cJSON *rows = group ? group_rows(r, group) : cJSON_CreateObject();
    cJSON *page = cJSON_AddArrayToObject(result, "Parameters");
    int64_t seen = 0;
    bool more = false;
    for (size_t i = 0; i < pgcatalog_count(r->pgcat); i++) {
        const pgparam *pp = pgcatalog_at(r->pgcat, i);
        if (nnames >= 0) {
            bool match = false;
            for (int k = 0; k < nnames; k++)
                match |= strcasecmp(names[k], pp->name) == 0;
            if (!match)
                continue;
        }
        const cJSON *row = cJSON_GetObjectItemCaseSensitive(rows, pp->name);
        const char *sys = system_value(pp->name);
        const char *src = row ? "user" : sys ? "system" : "engine-default";
        if (source && strcmp(source, src) != 0)
            continue;
        if (seen++ < off)
            continue;
        if (cJSON_GetArraySize(page) >= max) {
            more = true;
            break;
        }
        const char *value = row ? cJSON_GetObjectItemCaseSensitive(row, "value")->valuestring
                                : sys;
        const char *method = row ? cJSON_GetObjectItemCaseSensitive(row, "method")->valuestring
                                 : "pending-reboot";
        cJSON_AddItemToArray(page, render_param(pp, value, src, method));
    }
    if (more) {
        char m[32];
        snprintf(m, sizeof m, "%lld", (long long)(off + max));
        cJSON_AddStringToObject(result, "Marker", m);
    }
    free(names);
    cJSON_Delete(rows);
    return true;
}

bool paramgroup_action_describe_parameters(region *r, const params *p, cJSON *result,
                                           awserr *err)
{
    const char *g = params_require(p, "DBParameterGroupName", err);
    if (!g)
        return false;
    char *name = str_lower(xstrdup(g));
    group_row row;
    bool found = group_get(r, name, &row);
    group_row_clear(&row);
    bool ok = found ? describe_params(r, p, name, result, err)
                    : awserr_set(err, AWSERR_DB_PARAMETER_GROUP_NOT_FOUND,
                                 "DBParameterGroup not found: %s", name);
    free(name);
    return ok;
}

bool paramgroup_action_engine_defaults(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *fam = params_require(p, "DBParameterGroupFamily", err);
    if (!fam)
        return false;
    char *family = family_name(r);
    bool fam_ok = strcmp(fam, family) == 0;
    free(family);
    if (!fam_ok)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "ParameterGroupFamily %s is not supported in this region.", fam);
    cJSON *d = cJSON_AddObjectToObject(result, "EngineDefaults");
    cJSON_AddStringToObject(d, "DBParameterGroupFamily", fam);
    return describe_params(r, p, NULL, d, err);
}
