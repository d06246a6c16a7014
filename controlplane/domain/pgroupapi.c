/* pgroupapi: the DB parameter group actions (Create, Describe, Modify,
 * Reset, Delete, DescribeDBParameters, DescribeEngineDefaultParameters);
 * what a group is and what an instance takes from it is paramgroup.c. */
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
#include "controlplane/core/render.h"
#include "controlplane/core/restags.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/validate.h"
#include "lib/log.h"
#include "lib/util.h"

/* ---- actions ---- */

static char *group_arn(const region *r, const char *name)
{
    return xasprintf("arn:aws:rds:%s:%s:pg:%s", r->cfg.name, r->cfg.account, name);
}

static cJSON *render_group(region *r, const char *name, const pgroup_row *g)
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

bool pgroup_copy_rows(region *r, const char *from, const char *to)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "INSERT INTO db_parameters(grp, name, value, method) "
                                             "SELECT ?1, name, value, method FROM db_parameters "
                                             "WHERE grp = ?2");
    if (st) {
        sqlrow_bind_text(st, 1, to);
        sqlrow_bind_text(st, 2, from);
    }
    return sqlrow_run(st);
}

/* Stores the new group `name` (lowercase) with its Tags and, when `from`
 * is not NULL, a copy of that group's parameters; the DBParameterGroup
 * answer. One transaction: false leaves nothing. */
static bool store_group(region *r, const params *p, const char *name, const char *fam,
                        const char *desc, const char *from, cJSON *result, awserr *err)
{
    pgroup_row row;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    bool ok = false;
    if (pgroup_get(r, name, &row)) {
        pgroup_row_clear(&row);
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
    if (!sqlrow_run(st) || (from && !pgroup_copy_rows(r, from, name))) {
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        goto done;
    }
    if (!restags_create(r->st, "pg", name, p, err))
        goto done;
    ok = true;
done:
    if (!ok) {
        store_rollback(r->st);
        return false;
    }
    if (!commit_or_fail(r, err)) /* rolls back itself */
        return false;
    pgroup_row gr = {.family = (char *)fam, .description = (char *)desc};
    cJSON_AddItemToObject(result, "DBParameterGroup", render_group(r, name, &gr));
    LOG_INFO("parameter group created group=%s from=%s", name, from ? from : "-");
    return true;
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
    if (!pgroup_name_ok(g))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter DBParameterGroupName is not a valid identifier. "
                          "Identifiers must begin with a letter; must contain only ASCII "
                          "letters, digits, and hyphens; and must not end with a hyphen or "
                          "contain two consecutive hyphens.");
    char *family = pgroup_family_name(r);
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
    bool ok = store_group(r, p, name, fam, desc, NULL, result, err);
    free(name);
    return ok;
}

bool paramgroup_action_copy(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *src = params_require(p, "SourceDBParameterGroupIdentifier", err);
    const char *g = src ? params_require(p, "TargetDBParameterGroupIdentifier", err) : NULL;
    const char *desc = g ? params_require(p, "TargetDBParameterGroupDescription", err) : NULL;
    if (!desc)
        return false;
    if (!pgroup_name_ok(g))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter TargetDBParameterGroupIdentifier is not a valid "
                          "identifier. Identifiers must begin with a letter; must contain only "
                          "ASCII letters, digits, and hyphens; and must not end with a hyphen or "
                          "contain two consecutive hyphens.");
    if (strlen(desc) > 1024)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Description must be at most 1024 characters.");
    /* The source: a name, or the ARN of a group of this region. */
    region_arn a;
    const char *sid = region_arn_parse(src, &a) ? region_arn_resource_id(&a, "pg:") : src;
    char *from = str_lower(xstrdup(sid ? sid : src));
    char *name = str_lower(xstrdup(g));
    pgroup_row row;
    bool ok = false;
    if (!pgroup_get(r, from, &row))
        awserr_set(err, AWSERR_DB_PARAMETER_GROUP_NOT_FOUND, "DBParameterGroup not found: %s",
                   from);
    else
        ok = store_group(r, p, name, row.family, desc, from, result, err);
    pgroup_row_clear(&row);
    free(from);
    free(name);
    return ok;
}

bool paramgroup_action_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    int64_t max, off;
    if (!params_get_paging(p, &max, &off, err))
        return false;
    const char *g = params_get(p, "DBParameterGroupName");
    cJSON *list = cJSON_CreateArray();
    pgroup_row row;
    if (g) {
        char *name = str_lower(xstrdup(g));
        bool found = pgroup_get(r, name, &row);
        if (found)
            cJSON_AddItemToArray(list, render_group(r, name, &row));
        pgroup_row_clear(&row);
        if (!found) {
            awserr_set(err, AWSERR_DB_PARAMETER_GROUP_NOT_FOUND,
                       "DBParameterGroup not found: %s", name);
            free(name);
            cJSON_Delete(list);
            return false;
        }
        free(name);
    } else {
        char *d = pgroup_default_name(r);
        pgroup_get(r, d, &row);
        cJSON_AddItemToArray(list, render_group(r, d, &row));
        pgroup_row_clear(&row);
        free(d);
        sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT name, family, description FROM "
                                                 "db_parameter_groups ORDER BY name");
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            pgroup_row gr = {.family = sqlrow_text(st, 1), .description = sqlrow_text(st, 2)};
            cJSON_AddItemToArray(list, render_group(r, (const char *)sqlite3_column_text(st, 0),
                                                    &gr));
            pgroup_row_clear(&gr);
        }
        sqlite3_finalize(st);
    }
    render_page(result, "DBParameterGroups", list, off, max);
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
            cJSON *extra = instextra_parse(&in);
            char *want, *applied;
            pgroup_instance_groups(r, extra, &want, &applied);
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
    pgroup_row row;
    bool found = pgroup_get(r, *name, &row);
    pgroup_row_clear(&row);
    bool ok = true;
    if (!found)
        ok = awserr_set(err, AWSERR_DB_PARAMETER_GROUP_NOT_FOUND,
                        "DBParameterGroup not found: %s", *name);
    else if (pgroup_is_default(r, *name))
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
    pgroup_row row;
    if (!store_begin(r->st)) {
        free(name);
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    }
    bool found = pgroup_get(r, name, &row);
    pgroup_row_clear(&row);
    if (!found) {
        awserr_set(err, AWSERR_DB_PARAMETER_GROUP_NOT_FOUND, "DBParameterGroup not found: %s",
                   name);
        goto done;
    }
    if (pgroup_is_default(r, name)) {
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
    sqlite3_stmt *b = NULL;
    bool ran = pgroup_delete_rows(r, name);
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

bool pgroup_delete_rows(region *r, const char *key)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM db_parameters WHERE grp = ?");
    if (st)
        sqlrow_bind_text(st, 1, key);
    return sqlrow_run(st);
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

bool pgroup_set_rows(region *r, const char *key, const params *p, awserr *err)
{
    int n = paramgroup_check_params(r->pgcat, p, true, err);
    if (n == 0)
        awserr_set(err, AWSERR_MISSING_PARAMETER,
                   "The request must contain the parameter Parameters.");
    if (n <= 0)
        return false;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    bool ok = true;
    for (int i = 1; ok && i <= n; i++) {
        const pgparam *pp = pgcatalog_find(
            r->pgcat, params_get_struct_field(p, "Parameters", "Parameter", i, "ParameterName"));
        const char *value = params_get_struct_field(p, "Parameters", "Parameter", i,
                                                    "ParameterValue");
        sqlite3_stmt *st = sqlrow_prepare(r->st, "INSERT OR REPLACE INTO db_parameters(grp, "
                                                 "name, value, method) VALUES(?,?,?,?)");
        if (st) {
            sqlrow_bind_text(st, 1, key);
            sqlrow_bind_text(st, 2, pp->name);
            sqlrow_bind_text(st, 3, value);
            sqlrow_bind_text(st, 4, method_of(p, i, pp));
        }
        ok = sqlrow_run(st);
        if (ok)
            LOG_INFO("parameter set group=%s name=%s method=%s", key, pp->name,
                     method_of(p, i, pp));
    }
    if (!ok) {
        store_rollback(r->st);
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    }
    return commit_or_fail(r, err);
}

bool paramgroup_action_modify(region *r, const params *p, cJSON *result, awserr *err)
{
    char *name = NULL;
    if (!load_modifiable(r, p, &name, err))
        return false;
    bool ok = pgroup_set_rows(r, name, p, err);
    if (ok)
        cJSON_AddStringToObject(result, "DBParameterGroupName", name);
    free(name);
    return ok;
}

bool pgroup_reset_rows(region *r, const char *key, const params *p, awserr *err)
{
    bool all = false, has_all = false;
    int n = 0;
    if (!params_get_bool(p, "ResetAllParameters", &all, &has_all, err) ||
        (n = paramgroup_check_params(r->pgcat, p, false, err)) < 0)
        return false;
    if (all && n > 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Specify either ResetAllParameters or a list of parameters, not "
                          "both.");
    if (!has_all && n == 0)
        all = true; /* "By default, all parameters in the DB parameter group are reset" */
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    bool ok = !all || pgroup_delete_rows(r, key);
    for (int i = 1; ok && !all && i <= n; i++) {
        const pgparam *pp = pgcatalog_find(
            r->pgcat, params_get_struct_field(p, "Parameters", "Parameter", i, "ParameterName"));
        sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM db_parameters WHERE grp = ? AND "
                                                 "name = ?");
        if (st) {
            sqlrow_bind_text(st, 1, key);
            sqlrow_bind_text(st, 2, pp->name);
        }
        ok = sqlrow_run(st);
    }
    if (!ok) {
        store_rollback(r->st);
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    }
    if (!commit_or_fail(r, err))
        return false;
    LOG_INFO("parameter group reset group=%s all=%d count=%d", key, all, n);
    return true;
}

bool paramgroup_action_reset(region *r, const params *p, cJSON *result, awserr *err)
{
    char *name = NULL;
    if (!load_modifiable(r, p, &name, err))
        return false;
    bool ok = pgroup_reset_rows(r, name, p, err);
    if (ok)
        cJSON_AddStringToObject(result, "DBParameterGroupName", name);
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

bool pgroup_describe_rows(region *r, const params *p, const char *group, cJSON *result,
                          awserr *err)
{
    int64_t max, off;
    if (!params_get_paging(p, &max, &off, err))
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
    cJSON *rows = group ? pgroup_rows(r, group) : cJSON_CreateObject();
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
        const char *sys = pgroup_system_value(pp->name);
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
    pgroup_row row;
    bool found = pgroup_get(r, name, &row);
    pgroup_row_clear(&row);
    bool ok = found ? pgroup_describe_rows(r, p, name, result, err)
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
    char *family = pgroup_family_name(r);
    bool fam_ok = strcmp(fam, family) == 0;
    free(family);
    if (!fam_ok)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "ParameterGroupFamily %s is not supported in this region.", fam);
    cJSON *d = cJSON_AddObjectToObject(result, "EngineDefaults");
    cJSON_AddStringToObject(d, "DBParameterGroupFamily", fam);
    return pgroup_describe_rows(r, p, NULL, d, err);
}
