/* clusterpg: DB cluster parameter groups (see clusterpg.h). The rows and
 * what members make of them are paramgroup's machinery (pgroup.h), under
 * the key clusterpg_key gives. */
#include "controlplane/domain/clusterpg.h"
#include "controlplane/domain/pgroup.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "controlplane/core/instextra.h"
#include "controlplane/core/region.h"
#include "controlplane/core/render.h"
#include "controlplane/core/restags.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/paramgroup.h"
#include "lib/log.h"
#include "lib/util.h"

#define CLUSTERPG_QUOTA 50

static cJSON *render(region *r, const char *name, const char *desc)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "DBClusterParameterGroupName", name);
    cJSON_AddStringToObject(o, "DBParameterGroupFamily", CLUSTERPG_FAMILY);
    cJSON_AddStringToObject(o, "Description", desc);
    char *arn = xasprintf("arn:aws:rds:%s:%s:cluster-pg:%s", r->cfg.name, r->cfg.account, name);
    cJSON_AddStringToObject(o, "DBClusterParameterGroupArn", arn);
    free(arn);
    return o;
}

/* The description of stored group `name` (lowercase), or NULL (malloc'd). */
static char *stored_desc(region *r, const char *name)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT description FROM "
                                             "db_cluster_parameter_groups WHERE name = ?");
    char *d = NULL;
    if (st) {
        sqlrow_bind_text(st, 1, name);
        if (sqlite3_step(st) == SQLITE_ROW)
            d = sqlrow_text(st, 0);
    }
    sqlite3_finalize(st);
    return d;
}

char *clusterpg_find(region *r, const char *name)
{
    if (!name)
        return NULL;
    char *low = str_lower(xstrdup(name));
    if (strcmp(low, CLUSTERPG_DEFAULT) == 0)
        return low;
    char *d = stored_desc(r, low);
    if (d) {
        free(d);
        return low;
    }
    free(low);
    return NULL;
}

char *clusterpg_key(const char *name)
{
    return xasprintf("%s%s", CLUSTERPG_KEY_PREFIX, name);
}

static int stored_count(region *r)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT count(*) FROM db_cluster_parameter_groups");
    int n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return n;
}

/* Inside the caller's transaction: the row and its Tags. */
static bool store_new(region *r, const params *p, const char *name, const char *desc,
                      const char *from, awserr *err)
{
    char *have = clusterpg_find(r, name);
    if (have) {
        free(have);
        return awserr_set(err, AWSERR_DB_PARAMETER_GROUP_ALREADY_EXISTS,
                          "Parameter group %s already exists", name);
    }
    if (stored_count(r) >= CLUSTERPG_QUOTA)
        return awserr_set(err, AWSERR_DB_PARAMETER_GROUP_QUOTA_EXCEEDED,
                          "The request would exceed the maximum of %d DB cluster parameter "
                          "groups.", CLUSTERPG_QUOTA);
    sqlite3_stmt *st = sqlrow_prepare(r->st, "INSERT INTO db_cluster_parameter_groups(name, "
                                             "family, description, created_ms) VALUES(?,?,?,?)");
    if (st) {
        sqlrow_bind_text(st, 1, name);
        sqlrow_bind_text(st, 2, CLUSTERPG_FAMILY);
        sqlrow_bind_text(st, 3, desc);
        sqlite3_bind_int64(st, 4, region_now_ms(r));
    }
    bool ran = sqlrow_run(st);
    if (ran && from) {
        char *fk = clusterpg_key(from), *tk = clusterpg_key(name);
        ran = pgroup_copy_rows(r, fk, tk);
        free(fk);
        free(tk);
    }
    if (!ran)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    return restags_create(r->st, "cluster-pg", name, p, err);
}

/* The new group `name` (lowercase; its rows copied from `from` unless
 * NULL) in one transaction, and the DBClusterParameterGroup answer. */
static bool create_group(region *r, const params *p, const char *name, const char *desc,
                         const char *from, cJSON *result, awserr *err)
{
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    bool ok = store_new(r, p, name, desc, from, err);
    if (ok && !store_commit(r->st))
        ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    if (!ok) {
        store_rollback(r->st);
        return false;
    }
    cJSON_AddItemToObject(result, "DBClusterParameterGroup", render(r, name, desc));
    LOG_INFO("cluster parameter group created group=%s from=%s", name, from ? from : "-");
    return true;
}

bool clusterpg_action_create(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *g = params_require(p, "DBClusterParameterGroupName", err);
    const char *fam = g ? params_require(p, "DBParameterGroupFamily", err) : NULL;
    const char *desc = fam ? params_require(p, "Description", err) : NULL;
    if (!desc)
        return false;
    if (!pgroup_name_ok(g))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter DBClusterParameterGroupName is not a valid "
                          "identifier. Identifiers must begin with a letter; must contain only "
                          "ASCII letters, digits, and hyphens; and must not end with a hyphen "
                          "or contain two consecutive hyphens.");
    if (strcmp(fam, CLUSTERPG_FAMILY) != 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "DBParameterGroupFamily %s is not supported for Multi-AZ DB clusters "
                          "here: only %s.", fam, CLUSTERPG_FAMILY);
    if (strlen(desc) > 1024)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Description must be at most 1024 characters.");
    char *name = str_lower(xstrdup(g));
    bool ok = create_group(r, p, name, desc, NULL, result, err);
    free(name);
    return ok;
}

bool clusterpg_action_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    int64_t max, off;
    if (!params_get_paging(p, &max, &off, err))
        return false;
    const char *g = params_get(p, "DBClusterParameterGroupName");
    char *only = NULL;
    if (g && !(only = clusterpg_find(r, g)))
        return awserr_set(err, AWSERR_DB_PARAMETER_GROUP_NOT_FOUND,
                          "DBClusterParameterGroup not found: %s", g);
    cJSON *list = cJSON_CreateArray();
    if (!only || strcmp(only, CLUSTERPG_DEFAULT) == 0)
        cJSON_AddItemToArray(list, render(r, CLUSTERPG_DEFAULT,
                                          "Default cluster parameter group for postgres15"));
    if (!only || strcmp(only, CLUSTERPG_DEFAULT) != 0) {
        sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT name, description FROM "
                                                 "db_cluster_parameter_groups WHERE ?1 IS NULL "
                                                 "OR name = ?1 ORDER BY name");
        if (st && only)
            sqlrow_bind_text(st, 1, only);
        while (st && sqlite3_step(st) == SQLITE_ROW)
            cJSON_AddItemToArray(list, render(r, (const char *)sqlite3_column_text(st, 0),
                                              (const char *)sqlite3_column_text(st, 1)));
        sqlite3_finalize(st);
    }
    free(only);
    render_page(result, "DBClusterParameterGroups", list, off, max);
    cJSON_Delete(list);
    return true;
}

/* A cluster that uses group `name`, or whose members still run with it
 * (a swap waiting for a reboot), or NULL (malloc'd). */
static char *group_user(region *r, const char *name)
{
    char *key = clusterpg_key(name);
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, "SELECT id FROM db_clusters WHERE lower(param_group) = ?1 UNION "
               "SELECT cluster_id FROM instances WHERE cluster_id IS NOT NULL AND "
               "json_valid(extra) AND json_extract(extra, '$." INSTEXTRA_PARAM_APPLIED
               "') = ?2 ORDER BY 1 LIMIT 1");
    char *id = NULL;
    if (st) {
        sqlrow_bind_text(st, 1, name);
        sqlrow_bind_text(st, 2, key);
        if (sqlite3_step(st) == SQLITE_ROW)
            id = sqlrow_text(st, 0);
    }
    sqlite3_finalize(st);
    free(key);
    return id;
}

bool clusterpg_action_delete(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    const char *g = params_require(p, "DBClusterParameterGroupName", err);
    if (!g)
        return false;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    bool ok = false;
    char *name = clusterpg_find(r, g), *user = NULL;
    if (!name)
        awserr_set(err, AWSERR_DB_PARAMETER_GROUP_NOT_FOUND,
                   "DBClusterParameterGroup not found: %s", g);
    else if (strcmp(name, CLUSTERPG_DEFAULT) == 0)
        awserr_set(err, AWSERR_INVALID_DB_PARAMETER_GROUP_STATE,
                   "Default DBClusterParameterGroup cannot be deleted: %s", name);
    else if ((user = group_user(r, name)))
        awserr_set(err, AWSERR_INVALID_DB_PARAMETER_GROUP_STATE,
                   "One or more DB clusters are still members of this parameter group %s, so "
                   "the group cannot be deleted (%s).", name, user);
    else {
        sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM db_cluster_parameter_groups "
                                                 "WHERE name = ?");
        if (st)
            sqlrow_bind_text(st, 1, name);
        char *key = clusterpg_key(name);
        bool ran = sqlrow_run(st) && pgroup_delete_rows(r, key);
        free(key);
        if (!ran || !store_commit(r->st))
            awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        else
            ok = true;
    }
    if (!ok)
        store_rollback(r->st);
    else
        LOG_INFO("cluster parameter group deleted group=%s", name);
    free(user);
    free(name);
    return ok;
}

/* ---- parameters ---- */

/* The stored group DBClusterParameterGroupName names, for a change: false
 * with DBParameterGroupNotFound, or InvalidDBParameterGroupState for the
 * default group. *key (malloc'd) is its rows' key, *name its name. */
static bool load_modifiable(region *r, const params *p, char **name, char **key, awserr *err)
{
    const char *g = params_require(p, "DBClusterParameterGroupName", err);
    if (!g)
        return false;
    *name = clusterpg_find(r, g);
    if (!*name)
        return awserr_set(err, AWSERR_DB_PARAMETER_GROUP_NOT_FOUND,
                          "DBClusterParameterGroup not found: %s", g);
    if (strcmp(*name, CLUSTERPG_DEFAULT) == 0) {
        free(*name);
        *name = NULL;
        return awserr_set(err, AWSERR_INVALID_DB_PARAMETER_GROUP_STATE,
                          "Default parameter groups cannot be modified: %s", CLUSTERPG_DEFAULT);
    }
    *key = clusterpg_key(*name);
    return true;
}

/* Modify (reset false) or Reset: the rows change; the members of every
 * cluster using the group see it through paramgroup_spec (dynamic ones at
 * once, the rest pending-reboot). */
static bool change(region *r, const params *p, bool reset, cJSON *result, awserr *err)
{
    char *name = NULL, *key = NULL;
    if (!load_modifiable(r, p, &name, &key, err))
        return false;
    bool ok = reset ? pgroup_reset_rows(r, key, p, err) : pgroup_set_rows(r, key, p, err);
    if (ok)
        cJSON_AddStringToObject(result, "DBClusterParameterGroupName", name);
    free(name);
    free(key);
    return ok;
}

bool clusterpg_action_modify(region *r, const params *p, cJSON *result, awserr *err)
{
    return change(r, p, false, result, err);
}

bool clusterpg_action_reset(region *r, const params *p, cJSON *result, awserr *err)
{
    return change(r, p, true, result, err);
}

bool clusterpg_action_describe_parameters(region *r, const params *p, cJSON *result,
                                          awserr *err)
{
    const char *g = params_require(p, "DBClusterParameterGroupName", err);
    if (!g)
        return false;
    char *name = clusterpg_find(r, g);
    if (!name)
        return awserr_set(err, AWSERR_DB_PARAMETER_GROUP_NOT_FOUND,
                          "DBClusterParameterGroup not found: %s", g);
    char *key = clusterpg_key(name);
    bool ok = pgroup_describe_rows(r, p, key, result, err);
    free(key);
    free(name);
    return ok;
}

bool clusterpg_action_engine_defaults(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *fam = params_require(p, "DBParameterGroupFamily", err);
    if (!fam)
        return false;
    if (strcmp(fam, CLUSTERPG_FAMILY) != 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "DBParameterGroupFamily %s is not supported for Multi-AZ DB clusters "
                          "here: only %s.", fam, CLUSTERPG_FAMILY);
    cJSON *d = cJSON_AddObjectToObject(result, "EngineDefaults");
    cJSON_AddStringToObject(d, "DBParameterGroupFamily", fam);
    return pgroup_describe_rows(r, p, NULL, d, err);
}

bool clusterpg_action_copy(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *src = params_require(p, "SourceDBClusterParameterGroupIdentifier", err);
    const char *g = src ? params_require(p, "TargetDBClusterParameterGroupIdentifier", err)
                        : NULL;
    const char *desc = g ? params_require(p, "TargetDBClusterParameterGroupDescription", err)
                         : NULL;
    if (!desc)
        return false;
    if (!pgroup_name_ok(g))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter TargetDBClusterParameterGroupIdentifier is not a valid "
                          "identifier. Identifiers must begin with a letter; must contain only "
                          "ASCII letters, digits, and hyphens; and must not end with a hyphen "
                          "or contain two consecutive hyphens.");
    if (strlen(desc) > 1024)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Description must be at most 1024 characters.");
    /* The source: a name, or the ARN of a cluster group of this region. */
    region_arn a;
    const char *sid = region_arn_parse(src, &a) ? region_arn_resource_id(&a, "cluster-pg:")
                                                : src;
    char *from = sid ? clusterpg_find(r, sid) : NULL;
    if (!from)
        return awserr_set(err, AWSERR_DB_PARAMETER_GROUP_NOT_FOUND,
                          "DBClusterParameterGroup not found: %s", src);
    if (strcmp(from, CLUSTERPG_DEFAULT) == 0) {
        free(from);
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "You can't copy a default DB cluster parameter group: create one "
                          "(CreateDBClusterParameterGroup) instead.");
    }
    char *name = str_lower(xstrdup(g));
    bool ok = create_group(r, p, name, desc, from, result, err);
    free(name);
    free(from);
    return ok;
}
