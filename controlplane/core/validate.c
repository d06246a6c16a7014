/* validate: RDS for PostgreSQL's parameter rules as pure functions.
 *
 * Sources: botocore's RDS model (CreateDBInstanceMessage documentation),
 * the RDS User Guide (RDS-REFERENCE.md §1.2–1.3), and RDS's own error
 * messages where they are known from the wild (identifier, password,
 * storage size, reserved-word messages are quoted as RDS words them);
 * elsewhere the wording is ours and says what would be valid.
 *
 * Every function takes untrusted strings (NULL allowed: refused) and never
 * puts a password into a message. */
#include "controlplane/core/validate.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- identifiers --------------------------------------------------------- */

static bool is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* RDS's hyphenated identifiers (instances, snapshots, parameter groups):
 * letters, digits, hyphens; a letter first; no trailing hyphen; no "--". */
static bool hyphen_id_ok(const char *id)
{
    if (!is_alpha(id[0]))
        return false;
    for (const char *c = id; *c; c++) {
        if (!is_alpha(*c) && !is_digit(*c) && *c != '-')
            return false;
        if (c[0] == '-' && c[1] == '-')
            return false;
    }
    return id[strlen(id) - 1] != '-';
}

static bool hyphen_id_check(const char *id, const char *param, size_t max, awserr *err)
{
    if (id == NULL || id[0] == '\0')
        return awserr_set(err, AWSERR_MISSING_PARAMETER,
                          "The parameter %s must be provided and must not be blank.", param);
    if (strlen(id) > max)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter %s is not a valid identifier because it is longer than "
                          "%zu characters.",
                          param, max);
    if (!hyphen_id_ok(id))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter %s is not a valid identifier. Identifiers must begin with "
                          "a letter; must contain only ASCII letters, digits, and hyphens; and "
                          "must not end with a hyphen or contain two consecutive hyphens.",
                          param);
    return true;
}

bool validate_db_instance_id(const char *id, const char *param, awserr *err)
{
    return hyphen_id_check(id, param != NULL ? param : "DBInstanceIdentifier", 63, err);
}

bool validate_db_snapshot_id(const char *id, const char *param, awserr *err)
{
    if (param == NULL)
        param = "DBSnapshotIdentifier";
    /* Automated snapshots are named "rds:<instance>-<date>" by RDS itself;
     * the character rule below refuses ':' anyway, but a user who copies
     * such a name deserves to be told why. */
    if (id != NULL && strncasecmp(id, "rds:", 4) == 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter %s is not a valid identifier: the prefix 'rds:' is "
                          "reserved for automated snapshots.",
                          param);
    return hyphen_id_check(id, param, 255, err);
}

/* ---- reserved words ------------------------------------------------------
 *
 * PostgreSQL's key words marked "reserved" and "reserved (can be function
 * or type)" in the SQL Key Words appendix (src/include/parser/kwlist.h:
 * RESERVED_KEYWORD and TYPE_FUNC_NAME_KEYWORD), PostgreSQL 15 plus
 * system_user (reserved since 16). An unquoted one cannot name a role or a
 * database. Lowercase, sorted by strcmp for bsearch. */
static const char *const pg_reserved[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "binary", "both", "case", "cast", "check", "collate", "collation",
    "column", "concurrently", "constraint", "create", "cross", "current_catalog",
    "current_date", "current_role", "current_schema", "current_time", "current_timestamp",
    "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end",
    "except", "false", "fetch", "for", "foreign", "freeze", "from", "full", "grant", "group",
    "having", "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull",
    "join", "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp",
    "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order", "outer",
    "overlaps", "placing", "primary", "references", "returning", "right", "select",
    "session_user", "similar", "some", "symmetric", "system_user", "table", "tablesample",
    "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic",
    "verbose", "when", "where", "window", "with",
};

/* Role names RDS for PostgreSQL keeps for itself, or PostgreSQL refuses
 * as role names ("public", "none"). Choices, since RDS publishes no list:
 *  - "rdsadmin", "rdsrepladmin", "rdstopmgr": RDS's own roles;
 *  - "admin": RDS answers "MasterUsername admin cannot be used as it is a
 *    reserved word used by the engine" for PostgreSQL engines;
 *  - "postgres" is ALLOWED: it is the RDS console's default master user
 *    for PostgreSQL and countless tutorials use it;
 *  - prefixes "rds_" (rds_superuser, rds_replication, rds_iam, ...) and
 *    "pg_" (PostgreSQL: role names starting with pg_ are reserved) are
 *    refused below. */
static const char *const rds_reserved_users[] = {
    "admin", "none", "public", "rdsadmin", "rdsrepladmin", "rdstopmgr",
};

/* Database names that exist on every RDS for PostgreSQL instance and so
 * cannot be created again. "postgres" is allowed: RDS always creates it,
 * and DBName=postgres simply names it. */
static const char *const rds_reserved_dbs[] = {
    "rdsadmin", "template0", "template1",
};

static int str_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

static bool in_list(const char *lower, const char *const *list, size_t n)
{
    return bsearch(lower, list, n, sizeof list[0], str_cmp) != NULL;
}

/* Lowercase copy for the reserved-word lookups; PostgreSQL folds unquoted
 * names to lowercase, so SELECT and select are the same word. */
static void lower_copy(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

bool validate_reserved_word(const char *name)
{
    if (name == NULL)
        return false;
    char lower[64];
    if (strlen(name) >= sizeof lower)
        return false;
    lower_copy(lower, sizeof lower, name);
    return in_list(lower, pg_reserved, sizeof pg_reserved / sizeof pg_reserved[0]);
}

/* letters, digits, underscores, a letter first: PostgreSQL-safe names. */
static bool word_id_ok(const char *s)
{
    if (!is_alpha(s[0]))
        return false;
    for (; *s; s++)
        if (!is_alpha(*s) && !is_digit(*s) && *s != '_')
            return false;
    return true;
}

bool validate_master_username(const char *name, awserr *err)
{
    if (name == NULL || name[0] == '\0')
        return awserr_set(err, AWSERR_MISSING_PARAMETER,
                          "The parameter MasterUsername must be provided and must not be blank.");
    if (strlen(name) > 16)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter MasterUsername is not a valid identifier because it is "
                          "longer than 16 characters.");
    if (!word_id_ok(name))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter MasterUsername is not a valid identifier. Identifiers "
                          "must begin with a letter; must contain only ASCII letters, digits, and "
                          "underscores.");
    char lower[17];
    lower_copy(lower, sizeof lower, name);
    if (validate_reserved_word(lower) ||
        in_list(lower, rds_reserved_users,
                sizeof rds_reserved_users / sizeof rds_reserved_users[0]) ||
        strncmp(lower, "rds_", 4) == 0 || strncmp(lower, "pg_", 3) == 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "MasterUsername %s cannot be used as it is a reserved word used by the "
                          "engine",
                          name);
    return true;
}

bool validate_master_password(const char *pw, awserr *err)
{
    if (pw == NULL || pw[0] == '\0')
        return awserr_set(err, AWSERR_MISSING_PARAMETER,
                          "The parameter MasterUserPassword must be provided and must not be "
                          "blank.");
    size_t len = strlen(pw);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)pw[i];
        if (c <= 0x20 || c >= 0x7F || c == '/' || c == '"' || c == '@')
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "The parameter MasterUserPassword is not a valid password. Only "
                              "printable ASCII characters besides '/', '@', '\"', ' ' may be "
                              "used.");
    }
    if (len < 8)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter MasterUserPassword is not a valid password because it is "
                          "shorter than 8 characters.");
    if (len > 128)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter MasterUserPassword is not a valid password because it is "
                          "longer than 128 characters.");
    return true;
}

bool validate_db_name(const char *name, awserr *err)
{
    if (name == NULL || name[0] == '\0')
        return awserr_set(err, AWSERR_MISSING_PARAMETER,
                          "The parameter DBName must be provided and must not be blank.");
    if (strlen(name) > 63)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter DBName is not a valid identifier because it is longer "
                          "than 63 characters.");
    if (!word_id_ok(name))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter DBName is not a valid identifier. Identifiers must begin "
                          "with a letter; must contain only ASCII letters, digits, and "
                          "underscores.");
    char lower[64];
    lower_copy(lower, sizeof lower, name);
    if (validate_reserved_word(lower) ||
        in_list(lower, rds_reserved_dbs, sizeof rds_reserved_dbs / sizeof rds_reserved_dbs[0]))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "DBName %s cannot be used as it is a reserved word used by the engine",
                          name);
    return true;
}

/* ---- storage -------------------------------------------------------------- */

typedef struct {
    const char *type;
    int64_t min_gib, max_gib;
} storage_row;

/* RDS for PostgreSQL allocated storage ranges (GiB) per storage type. */
static const storage_row storage_types[] = {
    {"gp2", 20, 65536},
    {"gp3", 20, 65536},
    {"io1", 100, 65536},
    {"io2", 100, 65536},
    {"standard", 5, 3072},
};

bool validate_storage_type_at(size_t i, const char **type, int64_t *min_gib, int64_t *max_gib)
{
    if (i >= sizeof storage_types / sizeof storage_types[0])
        return false;
    *type = storage_types[i].type;
    *min_gib = storage_types[i].min_gib;
    *max_gib = storage_types[i].max_gib;
    return true;
}

static const storage_row *storage_find(const char *type)
{
    if (type == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof storage_types / sizeof storage_types[0]; i++)
        if (strcmp(storage_types[i].type, type) == 0)
            return &storage_types[i];
    return NULL;
}

bool validate_storage_type(const char *type, awserr *err)
{
    if (storage_find(type) == NULL)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid storage type: %.64s. Valid values: gp2, gp3, io1, io2, standard.",
                          type != NULL ? type : "");
    return true;
}

bool validate_allocated_storage(const char *storage_type, int64_t gib, awserr *err)
{
    const storage_row *r = storage_find(storage_type);
    if (r == NULL)
        return validate_storage_type(storage_type, err);
    if (gib < r->min_gib || gib > r->max_gib)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid storage size for engine name postgres and storage type %s: "
                          "%" PRId64,
                          r->type, gib);
    return true;
}

bool validate_iops(const char *storage_type, int64_t gib, bool has_iops, int64_t iops,
                   awserr *err)
{
    const storage_row *r = storage_find(storage_type);
    if (r == NULL)
        return validate_storage_type(storage_type, err);
    bool provisioned = strcmp(r->type, "io1") == 0 || strcmp(r->type, "io2") == 0;
    if (provisioned) {
        if (!has_iops)
            return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                              "You must specify Iops for storage type %s.", r->type);
        if (iops < 1000 || iops > 256000)
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "Invalid IOPS value %" PRId64 " for engine name postgres and "
                              "storage type %s: must be between 1000 and 256000.",
                              iops, r->type);
        /* 0.5 <= iops/gib <= 50, in integers: 2*iops >= gib, iops <= 50*gib. */
        if (gib <= 0 || 2 * iops < gib || iops > 50 * gib)
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "Invalid iops to storage (GB) ratio for engine name postgres and "
                              "storage type %s: %.4f",
                              r->type, gib > 0 ? (double)iops / (double)gib : 0.0);
        return true;
    }
    if (!has_iops)
        return true;
    if (strcmp(r->type, "gp3") != 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Iops can't be specified for storage type %s.", r->type);
    /* gp3 below 400 GiB has a fixed baseline of 3000 IOPS. */
    if (gib < 400)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "You can't specify IOPS or storage throughput for engine postgres and a "
                          "storage size less than 400.");
    if (iops < 12000 || iops > 64000)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid IOPS value %" PRId64 " for engine name postgres and storage "
                          "type gp3: must be between 12000 and 64000.",
                          iops);
    if (iops > 500 * gib)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid iops to storage (GB) ratio for engine name postgres and storage "
                          "type gp3: %.4f",
                          (double)iops / (double)gib);
    return true;
}

/* ---- small ranges --------------------------------------------------------- */

bool validate_port(int64_t port, awserr *err)
{
    if (port < 1150 || port > 65535)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid value '%" PRId64 "' for parameter Port: must be between 1150 "
                          "and 65535.",
                          port);
    return true;
}

bool validate_backup_retention(int64_t days, awserr *err)
{
    if (days < 0 || days > 35)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid value '%" PRId64 "' for parameter BackupRetentionPeriod: must "
                          "be between 0 and 35.",
                          days);
    return true;
}

bool validate_monitoring_interval(int64_t seconds, awserr *err)
{
    static const int64_t valid[] = {0, 1, 5, 10, 15, 30, 60};
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        if (seconds == valid[i])
            return true;
    return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                      "Invalid value '%" PRId64 "' for parameter MonitoringInterval: must be one "
                      "of 0, 1, 5, 10, 15, 30, 60.",
                      seconds);
}

bool validate_pi_retention(int64_t days, awserr *err)
{
    if (days == 7 || days == 731 || (days >= 31 && days <= 31 * 23 && days % 31 == 0))
        return true;
    return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                      "Invalid value '%" PRId64 "' for parameter "
                      "PerformanceInsightsRetentionPeriod: must be 7, 731, or 31 times a number "
                      "of months from 1 to 23 (31, 62, ..., 713).",
                      days);
}

bool validate_log_export_type(const char *type, awserr *err)
{
    static const char *const valid[] = {"postgresql", "upgrade", "iam-db-auth-error"};
    for (size_t i = 0; type != NULL && i < sizeof valid / sizeof valid[0]; i++)
        if (strcmp(type, valid[i]) == 0)
            return true;
    return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                      "You cannot use the log type '%.64s' with engine postgres. Supported log "
                      "types: postgresql, upgrade, iam-db-auth-error.",
                      type != NULL ? type : "");
}

/* ---- instance classes ------------------------------------------------------ */

typedef struct {
    const char *name;
    int vcpus;
    int memory_gib;
} class_row;

/* The classes this region offers, with vCPUs and memory (GiB) as AWS
 * publishes them for RDS: burstable t3/t4g, general purpose
 * m5/m6g/m6i/m7g, memory optimised r5/r6g/r6i. One list, expanded twice
 * (rows and the NULL-terminated name list) so the two cannot disagree. */
#define CLASS_TABLE(X) \
    X("db.t3.micro", 2, 1) \
    X("db.t3.small", 2, 2) \
    X("db.t3.medium", 2, 4) \
    X("db.t3.large", 2, 8) \
    X("db.t3.xlarge", 4, 16) \
    X("db.t3.2xlarge", 8, 32) \
    \
    X("db.t4g.micro", 2, 1) \
    X("db.t4g.small", 2, 2) \
    X("db.t4g.medium", 2, 4) \
    X("db.t4g.large", 2, 8) \
    X("db.t4g.xlarge", 4, 16) \
    X("db.t4g.2xlarge", 8, 32) \
    \
    X("db.m5.large", 2, 8) \
    X("db.m5.xlarge", 4, 16) \
    X("db.m5.2xlarge", 8, 32) \
    X("db.m5.4xlarge", 16, 64) \
    X("db.m5.8xlarge", 32, 128) \
    X("db.m5.12xlarge", 48, 192) \
    X("db.m5.16xlarge", 64, 256) \
    X("db.m5.24xlarge", 96, 384) \
    \
    X("db.m6g.large", 2, 8) \
    X("db.m6g.xlarge", 4, 16) \
    X("db.m6g.2xlarge", 8, 32) \
    X("db.m6g.4xlarge", 16, 64) \
    X("db.m6g.8xlarge", 32, 128) \
    X("db.m6g.12xlarge", 48, 192) \
    X("db.m6g.16xlarge", 64, 256) \
    \
    X("db.m6i.large", 2, 8) \
    X("db.m6i.xlarge", 4, 16) \
    X("db.m6i.2xlarge", 8, 32) \
    X("db.m6i.4xlarge", 16, 64) \
    X("db.m6i.8xlarge", 32, 128) \
    X("db.m6i.12xlarge", 48, 192) \
    X("db.m6i.16xlarge", 64, 256) \
    X("db.m6i.24xlarge", 96, 384) \
    X("db.m6i.32xlarge", 128, 512) \
    \
    X("db.m7g.large", 2, 8) \
    X("db.m7g.xlarge", 4, 16) \
    X("db.m7g.2xlarge", 8, 32) \
    X("db.m7g.4xlarge", 16, 64) \
    X("db.m7g.8xlarge", 32, 128) \
    X("db.m7g.12xlarge", 48, 192) \
    X("db.m7g.16xlarge", 64, 256) \
    \
    X("db.r5.large", 2, 16) \
    X("db.r5.xlarge", 4, 32) \
    X("db.r5.2xlarge", 8, 64) \
    X("db.r5.4xlarge", 16, 128) \
    X("db.r5.8xlarge", 32, 256) \
    X("db.r5.12xlarge", 48, 384) \
    X("db.r5.16xlarge", 64, 512) \
    X("db.r5.24xlarge", 96, 768) \
    \
    X("db.r6g.large", 2, 16) \
    X("db.r6g.xlarge", 4, 32) \
    X("db.r6g.2xlarge", 8, 64) \
    X("db.r6g.4xlarge", 16, 128) \
    X("db.r6g.8xlarge", 32, 256) \
    X("db.r6g.12xlarge", 48, 384) \
    X("db.r6g.16xlarge", 64, 512) \
    \
    X("db.r6i.large", 2, 16) \
    X("db.r6i.xlarge", 4, 32) \
    X("db.r6i.2xlarge", 8, 64) \
    X("db.r6i.4xlarge", 16, 128) \
    X("db.r6i.8xlarge", 32, 256) \
    X("db.r6i.12xlarge", 48, 384) \
    X("db.r6i.16xlarge", 64, 512) \
    X("db.r6i.24xlarge", 96, 768) \
    X("db.r6i.32xlarge", 128, 1024)

#define CLASS_ROW(n, v, m) {n, v, m},
#define CLASS_NAME(n, v, m) n,
static const class_row classes[] = {CLASS_TABLE(CLASS_ROW)};
static const char *const class_names[] = {CLASS_TABLE(CLASS_NAME) NULL};

#define CLASS_COUNT (sizeof classes / sizeof classes[0])

static const class_row *class_find(const char *cls)
{
    if (cls == NULL)
        return NULL;
    for (size_t i = 0; i < CLASS_COUNT; i++)
        if (strcmp(classes[i].name, cls) == 0)
            return &classes[i];
    return NULL;
}

/* "db.<family>.<size>": family a lowercase letter then letters/digits,
 * size lowercase letters/digits. */
static bool class_format_ok(const char *cls)
{
    if (strncmp(cls, "db.", 3) != 0)
        return false;
    const char *c = cls + 3;
    if (!(*c >= 'a' && *c <= 'z'))
        return false;
    while ((*c >= 'a' && *c <= 'z') || is_digit(*c))
        c++;
    if (*c != '.' || c[1] == '\0')
        return false;
    for (c++; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || is_digit(*c)))
            return false;
    return true;
}

bool validate_db_instance_class(const char *cls, awserr *err)
{
    if (cls == NULL || cls[0] == '\0')
        return awserr_set(err, AWSERR_MISSING_PARAMETER,
                          "The parameter DBInstanceClass must be provided and must not be blank.");
    if (strlen(cls) > 64 || !class_format_ok(cls))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid DB Instance class: %.64s",
                          cls);
    if (class_find(cls) == NULL)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "RDS does not support creating a DB instance with the following "
                          "combination: DBInstanceClass=%s, Engine=postgres. For supported "
                          "combinations of instance class and database engine version, see the "
                          "documentation.",
                          cls);
    return true;
}

int64_t validate_class_memory_mib(const char *cls)
{
    const class_row *r = class_find(cls);
    return r != NULL ? (int64_t)r->memory_gib * 1024 : 0;
}

int validate_class_vcpus(const char *cls)
{
    const class_row *r = class_find(cls);
    return r != NULL ? r->vcpus : 0;
}

const char *const *validate_class_list(void)
{
    return class_names;
}

/* ---- windows --------------------------------------------------------------
 *
 * Both windows are UTC. A backup window is daily and may wrap midnight
 * ("23:45-00:15"); a maintenance window is weekly and may wrap the week
 * ("sun:23:45-mon:00:15"). Equal start and end is a zero-length window,
 * not a full day. */

#define MIN_PER_DAY 1440
#define MIN_PER_WEEK (7 * MIN_PER_DAY)
#define WINDOW_MIN_MINUTES 30
/* RDS refuses maintenance windows of 24 hours or more. */
#define MAINTENANCE_MAX_MINUTES MIN_PER_DAY

static const char *const week_days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* "hh:mm" at s (exactly 5 chars, 00:00–23:59) → minutes of the day. */
static bool parse_hhmm(const char *s, int *minutes)
{
    if (!is_digit(s[0]) || !is_digit(s[1]) || s[2] != ':' || !is_digit(s[3]) || !is_digit(s[4]))
        return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59)
        return false;
    *minutes = h * 60 + m;
    return true;
}

/* "ddd:hh:mm" at s (exactly 9 chars, day in any case) → minutes of the
 * week from Monday 00:00. */
static bool parse_day_hhmm(const char *s, int *minutes)
{
    for (int d = 0; d < 7; d++) {
        if (strncasecmp(s, week_days[d], 3) == 0 && s[3] == ':') {
            int m;
            if (!parse_hhmm(s + 4, &m))
                return false;
            *minutes = d * MIN_PER_DAY + m;
            return true;
        }
    }
    return false;
}

bool validate_parse_backup_window(const char *w, int *start, int *end)
{
    if (w == NULL || strlen(w) != 11 || w[5] != '-')
        return false;
    return parse_hhmm(w, start) && parse_hhmm(w + 6, end);
}

bool validate_parse_maintenance_window(const char *w, int *start, int *end)
{
    if (w == NULL || strlen(w) != 19 || w[9] != '-')
        return false;
    return parse_day_hhmm(w, start) && parse_day_hhmm(w + 10, end);
}

/* Length of [start, end) on a circle of `period` minutes. */
static int circular_length(int start, int end, int period)
{
    return ((end - start) % period + period) % period;
}

bool validate_backup_window(const char *w, awserr *err)
{
    int start, end;
    if (!validate_parse_backup_window(w, &start, &end))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid value '%.64s' for parameter PreferredBackupWindow: must be in "
                          "the format hh24:mi-hh24:mi, in UTC, e.g. 03:00-03:30.",
                          w != NULL ? w : "");
    if (circular_length(start, end, MIN_PER_DAY) < WINDOW_MIN_MINUTES)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The backup window must be at least 30 minutes.");
    return true;
}

bool validate_maintenance_window(const char *w, awserr *err)
{
    int start, end;
    if (!validate_parse_maintenance_window(w, &start, &end))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid value '%.64s' for parameter PreferredMaintenanceWindow: must "
                          "be in the format ddd:hh24:mi-ddd:hh24:mi, in UTC, with days mon, tue, "
                          "wed, thu, fri, sat, sun, e.g. sun:05:00-sun:05:30.",
                          w != NULL ? w : "");
    int len = circular_length(start, end, MIN_PER_WEEK);
    if (len < WINDOW_MIN_MINUTES)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The maintenance window must be at least 30 minutes.");
    if (len >= MAINTENANCE_MAX_MINUTES)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The maintenance window must be less than 24 hours.");
    return true;
}

/* Two intervals [a, a+la) and [b, b+lb) on a circle of `period` overlap
 * when either starts inside the other. */
static bool circular_overlap(int a, int la, int b, int lb, int period)
{
    return ((b - a) % period + period) % period < la || ((a - b) % period + period) % period < lb;
}

bool validate_windows_disjoint(const char *backup, const char *maintenance, awserr *err)
{
    if (!validate_backup_window(backup, err) || !validate_maintenance_window(maintenance, err))
        return false;
    int bs, be, ms, me;
    validate_parse_backup_window(backup, &bs, &be);
    validate_parse_maintenance_window(maintenance, &ms, &me);
    int blen = circular_length(bs, be, MIN_PER_DAY);
    int mlen = circular_length(ms, me, MIN_PER_WEEK);
    /* The backup window recurs every day of the week. */
    for (int d = 0; d < 7; d++) {
        if (circular_overlap(d * MIN_PER_DAY + bs, blen, ms, mlen, MIN_PER_WEEK))
            return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                              "The backup window and maintenance window must not overlap.");
    }
    return true;
}
