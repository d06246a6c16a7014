/* paramgroup: see paramgroup.h. */
#include "controlplane/domain/paramgroup.h"
#include "controlplane/domain/pgroup.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "controlplane/core/agents.h"
#include "controlplane/core/instextra.h"
#include "controlplane/core/pgcatalog.h"
#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/validate.h"
#include "lib/log.h"
#include "lib/util.h"

/* Tables db_parameter_groups and db_parameters: core/store.c's schema. */

/* What the default group holds beyond PostgreSQL's defaults (Source
 * "system"): the one statement of the memory settings every node runs with
 * (paramgroup_system_settings puts them in its spec), evaluated for the
 * node's class. `unit` is the formula's base unit. These are the numbers
 * nodes have run with since rdsim began, so an upgrade restarts none of
 * them; two differ from what RDS's default.postgres15 shows:
 * effective_cache_size is 3/4 of the class memory (RDS: half,
 * {DBInstanceClassMemory/16384}) and maintenance_work_mem divides before it
 * multiplies (RDS: {DBInstanceClassMemory*1024/63963136}). Listed in the
 * order of the spec's settings. */
static const struct {
    const char *name, *value, *unit;
} system_rows[] = {
    {"shared_buffers", "{DBInstanceClassMemory/32768}", "8kB"},
    {"max_connections", "LEAST({DBInstanceClassMemory/9531392},5000)", ""},
    {"effective_cache_size", "{DBInstanceClassMemory*3/32768}", "8kB"},
    {"maintenance_work_mem", "GREATEST({DBInstanceClassMemory/63963136*1024},65536)", "kB"},
};

/* RDS's own parameters' defaults (core/pgcatalog.c's rds_lines): read by
 * the controlplane, never given to PostgreSQL. rds.force_ssl is 1 from
 * PostgreSQL 15 on, the only major rdsim runs. */
static const struct {
    const char *name, *value;
} rds_rows[] = {
    {"rds.force_ssl", "1"},
};

const char *pgroup_system_value(const char *name)
{
    for (size_t i = 0; i < sizeof system_rows / sizeof system_rows[0]; i++)
        if (strcmp(system_rows[i].name, name) == 0)
            return system_rows[i].value;
    for (size_t i = 0; i < sizeof rds_rows / sizeof rds_rows[0]; i++)
        if (strcmp(rds_rows[i].name, name) == 0)
            return rds_rows[i].value;
    return NULL;
}

bool paramgroup_open(region *r)
{
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

char *pgroup_default_name(const region *r)
{
    return xasprintf("default.postgres%s", r->pg_major);
}

char *pgroup_family_name(const region *r)
{
    return xasprintf("postgres%s", r->pg_major);
}

bool pgroup_is_default(const region *r, const char *name)
{
    char *d = pgroup_default_name(r);
    bool same = strcmp(d, name) == 0;
    free(d);
    return same;
}

/* 1-255 letters, digits, hyphens; a letter first; no "--", no trailing '-'. */
bool pgroup_name_ok(const char *s)
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

void pgroup_row_clear(pgroup_row *g)
{
    free(g->family);
    free(g->description);
    memset(g, 0, sizeof *g);
}

/* The group by lowercase name: true when it exists (the default always). */
bool pgroup_get(region *r, const char *name, pgroup_row *out)
{
    memset(out, 0, sizeof *out);
    if (pgroup_is_default(r, name)) {
        out->family = pgroup_family_name(r);
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
cJSON *pgroup_rows(region *r, const char *name)
{
    cJSON *o = cJSON_CreateObject();
    sqlite3_stmt *st = sqlrow_cached(r->st, "SELECT name, value, method FROM db_parameters "
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
    sqlrow_release(r->st, st);
    return o;
}

/* {name: value} of a group's rows; a new object. */
static cJSON *group_values(region *r, const char *name)
{
    cJSON *rows = pgroup_rows(r, name);
    cJSON *o = cJSON_CreateObject();
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        cJSON_AddStringToObject(o, row->string,
                                cJSON_GetObjectItemCaseSensitive(row, "value")->valuestring);
    }
    cJSON_Delete(rows);
    return o;
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The wanted and applied groups of an instance (malloc'd). */
void pgroup_instance_groups(region *r, const cJSON *extra, char **want, char **applied)
{
    const char *w = instextra_str(extra, INSTEXTRA_PARAM_GROUP);
    const char *a = instextra_str(extra, INSTEXTRA_PARAM_APPLIED);
    *want = w ? xstrdup(w) : pgroup_default_name(r);
    *applied = xstrdup(a ? a : *want);
}

/* What the nodes run with now: {name: raw value} (see paramgroup.h). */
static cJSON *values_now(region *r, const cJSON *extra)
{
    char *want, *applied;
    pgroup_instance_groups(r, extra, &want, &applied);
    cJSON *rows = pgroup_rows(r, applied);
    const cJSON *boot = instextra_object(extra, INSTEXTRA_PARAM_BOOT);
    cJSON *out = cJSON_CreateObject();
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        const pgparam *p = pgcatalog_find(r->pgcat, row->string);
        const char *method = cJSON_GetObjectItemCaseSensitive(row, "method")->valuestring;
        bool now = p && !pgcatalog_is_static(p) && strcmp(method, "immediate") == 0;
        const char *v = now ? cJSON_GetObjectItemCaseSensitive(row, "value")->valuestring
                            : str_of(boot, row->string);
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

static bool read_group_param(region *r, const params *p, char **name, awserr *err)
{
    const char *g = params_get(p, "DBParameterGroupName");
    *name = NULL;
    if (!g)
        return true;
    char *lower = str_lower(xstrdup(g));
    pgroup_row row;
    bool found = pgroup_get(r, lower, &row);
    char *fam = pgroup_family_name(r);
    bool fam_ok = found && strcmp(row.family, fam) == 0;
    free(fam);
    pgroup_row_clear(&row);
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
        name = pgroup_default_name(r);
    paramgroup_attach(r, extra, name);
    free(name);
    return true;
}

void paramgroup_attach(region *r, cJSON *extra, const char *key)
{
    instextra_set_str(extra, INSTEXTRA_PARAM_GROUP, key);
    instextra_set_str(extra, INSTEXTRA_PARAM_APPLIED, key);
    instextra_set_item(extra, INSTEXTRA_PARAM_BOOT, group_values(r, key));
}

void paramgroup_want(region *r, cJSON *extra, const char *key)
{
    /* Instances made before parameter groups: they run the default. */
    if (!instextra_str(extra, INSTEXTRA_PARAM_APPLIED)) {
        char *want, *applied;
        pgroup_instance_groups(r, extra, &want, &applied);
        instextra_set_str(extra, INSTEXTRA_PARAM_APPLIED, applied);
        free(want);
        free(applied);
    }
    instextra_set_str(extra, INSTEXTRA_PARAM_GROUP, key);
    LOG_INFO("parameter group wanted group=%s (applies at the next reboot)", key);
}

bool paramgroup_read_modify(region *r, const params *p, cJSON *extra, bool *changed, awserr *err)
{
    char *name = NULL;
    if (!read_group_param(r, p, &name, err))
        return false;
    if (!name)
        return true;
    paramgroup_want(r, extra, name);
    free(name);
    *changed = true;
    return true;
}

void paramgroup_on_restart(region *r, store_instance *in)
{
    cJSON *extra = instextra_parse(in);
    char *want, *applied;
    pgroup_instance_groups(r, extra, &want, &applied);
    instextra_set_str(extra, INSTEXTRA_PARAM_APPLIED, want);
    instextra_set_item(extra, INSTEXTRA_PARAM_BOOT, group_values(r, want));
    instextra_store(in, extra);
    cJSON_Delete(extra);
    free(want);
    free(applied);
}

/* The formula variables of a class (unknown: 1 GiB, 2 vCPUs). */
static pgcatalog_vars class_vars(const char *db_class)
{
    int64_t mib = validate_class_memory_mib(db_class);
    int vcpus = validate_class_vcpus(db_class);
    pgcatalog_vars v = {(mib > 0 ? mib : 1024) * 1024 * 1024, vcpus > 0 ? vcpus : 2, 0, 0};
    return v;
}

/* The formula variables of an instance. */
static pgcatalog_vars instance_vars(const store_instance *in)
{
    pgcatalog_vars v = class_vars(in->db_class);
    v.allocated_storage = in->allocated_storage * (1LL << 30);
    v.port = in->port;
    return v;
}

/* The most shared_buffers (8 kB pages) a node gets: 1/16 of this host's
 * memory, so a large simulated class still starts on one machine. 0 (no
 * cap) when host_bytes is unknown. */
static int64_t shared_buffers_cap(int64_t host_bytes)
{
    return host_bytes > 0 ? host_bytes / 16 / 8192 : 0;
}

cJSON *paramgroup_system_settings(const char *db_class, int64_t host_bytes)
{
    pgcatalog_vars vars = class_vars(db_class);
    int64_t cap = shared_buffers_cap(host_bytes);
    cJSON *s = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof system_rows / sizeof system_rows[0]; i++) {
        int64_t v = 0;
        char buf[32];
        pgcatalog_eval(system_rows[i].value, &vars, &v); /* always: test_nodespec.c */
        if (strcmp(system_rows[i].name, "shared_buffers") == 0) {
            if (cap > 0 && v > cap)
                v = cap;
            if (v < 2048)
                v = 2048; /* 16MB, so that a tiny host still starts a node */
        }
        /* Pages as whole MB, rounded down, as the spec has always said. */
        if (strcmp(system_rows[i].unit, "8kB") == 0)
            snprintf(buf, sizeof buf, "%lldMB", (long long)(v / 128));
        else
            snprintf(buf, sizeof buf, "%lld%s", (long long)v, system_rows[i].unit);
        cJSON_AddStringToObject(s, system_rows[i].name, buf);
    }
    return s;
}

/* name → value for PostgreSQL: a formula evaluated (shared_buffers capped
 * as the system rows' is). NULL when a formula does not evaluate (the
 * parameter is then left out). */
static char *deliver_value(const pgparam *p, const char *raw, const pgcatalog_vars *vars)
{
    if (!p || !pgcatalog_is_formula(raw))
        return xstrdup(raw);
    int64_t v;
    if (!pgcatalog_eval(raw, vars, &v))
        return NULL;
    int64_t cap = shared_buffers_cap((int64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE));
    if (strcmp(p->name, "shared_buffers") == 0 && cap > 0 && v > cap)
        v = cap;
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
    cJSON *extra = instextra_parse(in);
    cJSON *now = values_now(r, extra);
    pgcatalog_vars vars = instance_vars(in);
    cJSON *out = cJSON_CreateObject();
    uint64_t h = 14695981039346656037ULL;
    const cJSON *v;
    cJSON_ArrayForEach(v, now) {
        const pgparam *p = pgcatalog_find(r->pgcat, v->string);
        char *val = deliver_value(p, v->valuestring, &vars);
        if (!val || !p || !p->modifiable || strncmp(p->name, "rds.", 4) == 0) {
            free(val); /* rds.*: the controlplane's, not PostgreSQL's */
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

bool paramgroup_force_ssl(region *r, const store_instance *in)
{
    cJSON *extra = instextra_parse(in);
    cJSON *now = values_now(r, extra);
    const char *v = str_of(now, "rds.force_ssl");
    if (!v)
        v = pgroup_system_value("rds.force_ssl");
    bool on = v && (strcmp(v, "1") == 0 || strcasecmp(v, "on") == 0 ||
                    strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0);
    cJSON_Delete(now);
    cJSON_Delete(extra);
    return on;
}

void paramgroup_spec(region *r, const store_instance *in, cJSON *spec)
{
    char id[17];
    cJSON_AddItemToObject(spec, "parameters", spec_parameters(r, in, id));
    cJSON_AddStringToObject(spec, "parameters_id", id);
}

const char *paramgroup_apply_status(region *r, const store_instance *in)
{
    cJSON *extra = instextra_parse(in);
    char *want, *applied;
    pgroup_instance_groups(r, extra, &want, &applied);
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
    cJSON *extra = instextra_parse(in);
    char *want, *applied;
    pgroup_instance_groups(r, extra, &want, &applied);
    cJSON *pgs = cJSON_AddArrayToObject(o, "DBParameterGroups");
    cJSON *pg = cJSON_CreateObject();
    /* A Multi-AZ DB cluster's member runs its cluster's group (a key no
     * DB parameter group has); its own DB parameter group is the default. */
    char *shown = in->cluster_id ? pgroup_default_name(r) : xstrdup(want);
    cJSON_AddStringToObject(pg, "DBParameterGroupName", shown);
    free(shown);
    cJSON_AddStringToObject(pg, "ParameterApplyStatus", paramgroup_apply_status(r, in));
    cJSON_AddItemToArray(pgs, pg);
    cJSON_Delete(extra);
    free(want);
    free(applied);
}
