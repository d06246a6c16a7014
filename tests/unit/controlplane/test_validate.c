/* Unit tests for controlplane/validate: each rule as a table of named
 * accepted and refused values, with the AWS code and (where RDS's wording
 * is known) the exact message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/validate.h"
#include "lib/tap.h"
#include "lib/util.h"

#define OK AWSERR_NONE
#define IPV AWSERR_INVALID_PARAMETER_VALUE
#define IPC AWSERR_INVALID_PARAMETER_COMBINATION
#define MISSING AWSERR_MISSING_PARAMETER

static bool v_instance_id(const char *s, awserr *e)
{
    return validate_db_instance_id(s, "DBInstanceIdentifier", e);
}
static bool v_snapshot_id(const char *s, awserr *e)
{
    return validate_db_snapshot_id(s, "FinalDBSnapshotIdentifier", e);
}

typedef bool (*str_rule)(const char *, awserr *);

static const char *const ID_MSG =
    "The parameter DBInstanceIdentifier is not a valid identifier. Identifiers must begin with a "
    "letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen "
    "or contain two consecutive hyphens.";
static const char *const USER_CHARS_MSG =
    "The parameter MasterUsername is not a valid identifier. Identifiers must begin with a letter; "
    "must contain only ASCII letters, digits, and underscores.";
static const char *const PW_CHARS_MSG =
    "The parameter MasterUserPassword is not a valid password. Only printable ASCII characters "
    "besides '/', '@', '\"', ' ' may be used.";

static const struct {
    const char *name;
    str_rule rule;
    const char *in;
    awserr_code want;
    const char *message; /* NULL: not checked */
} str_cases[] = {
    /* DBInstanceIdentifier */
    {"id: simple", v_instance_id, "shop", OK, NULL},
    {"id: one letter", v_instance_id, "a", OK, NULL},
    {"id: hyphens and digits", v_instance_id, "my-db-2", OK, NULL},
    {"id: uppercase allowed", v_instance_id, "MyDB", OK, NULL},
    {"id: 63 chars", v_instance_id,
     "a12345678901234567890123456789012345678901234567890123456789012", OK, NULL},
    {"id: 64 chars", v_instance_id,
     "a123456789012345678901234567890123456789012345678901234567890123", IPV,
     "The parameter DBInstanceIdentifier is not a valid identifier because it is longer than 63 "
     "characters."},
    {"id: digit first", v_instance_id, "1db", IPV, ID_MSG},
    {"id: hyphen first", v_instance_id, "-db", IPV, ID_MSG},
    {"id: trailing hyphen", v_instance_id, "db-", IPV, ID_MSG},
    {"id: double hyphen", v_instance_id, "my--db", IPV, ID_MSG},
    {"id: underscore", v_instance_id, "my_db", IPV, ID_MSG},
    {"id: dot", v_instance_id, "my.db", IPV, ID_MSG},
    {"id: space", v_instance_id, "my db", IPV, ID_MSG},
    {"id: non-ascii", v_instance_id, "caf\xC3\xA9", IPV, ID_MSG},
    {"id: empty", v_instance_id, "", MISSING, NULL},
    {"id: NULL", v_instance_id, NULL, MISSING, NULL},
    /* snapshot identifiers */
    {"snap: simple", v_snapshot_id, "shop-final", OK, NULL},
    {"snap: 255 chars ok", v_snapshot_id, NULL /* filled in main */, OK, NULL},
    {"snap: automated prefix", v_snapshot_id, "rds:shop-2026-01-01-00-00", IPV,
     "The parameter FinalDBSnapshotIdentifier is not a valid identifier: the prefix 'rds:' is "
     "reserved for automated snapshots."},
    {"snap: double hyphen", v_snapshot_id, "a--b", IPV, NULL},
    {"snap: trailing hyphen", v_snapshot_id, "a-", IPV, NULL},
    {"snap: colon", v_snapshot_id, "a:b", IPV, NULL},
    /* MasterUsername */
    {"user: simple", validate_master_username, "app", OK, NULL},
    {"user: underscore and digits", validate_master_username, "app_user_1", OK, NULL},
    {"user: postgres allowed", validate_master_username, "postgres", OK, NULL},
    {"user: 16 chars", validate_master_username, "abcdefghijklmnop", OK, NULL},
    {"user: 17 chars", validate_master_username, "abcdefghijklmnopq", IPV,
     "The parameter MasterUsername is not a valid identifier because it is longer than 16 "
     "characters."},
    {"user: digit first", validate_master_username, "1app", IPV, USER_CHARS_MSG},
    {"user: underscore first", validate_master_username, "_app", IPV, USER_CHARS_MSG},
    {"user: hyphen", validate_master_username, "app-user", IPV, USER_CHARS_MSG},
    {"user: reserved select", validate_master_username, "select", IPV,
     "MasterUsername select cannot be used as it is a reserved word used by the engine"},
    {"user: reserved USER uppercase", validate_master_username, "USER", IPV,
     "MasterUsername USER cannot be used as it is a reserved word used by the engine"},
    {"user: reserved first in list", validate_master_username, "all", IPV, NULL},
    {"user: reserved last in list", validate_master_username, "with", IPV, NULL},
    {"user: reserved table", validate_master_username, "Table", IPV, NULL},
    {"user: reserved current_user", validate_master_username, "current_user", IPV, NULL},
    {"user: type/function reserved join", validate_master_username, "join", IPV, NULL},
    {"user: admin", validate_master_username, "admin", IPV,
     "MasterUsername admin cannot be used as it is a reserved word used by the engine"},
    {"user: rdsadmin", validate_master_username, "rdsadmin", IPV, NULL},
    {"user: rdsrepladmin", validate_master_username, "rdsrepladmin", IPV, NULL},
    {"user: rdstopmgr", validate_master_username, "rdstopmgr", IPV, NULL},
    {"user: rds_superuser", validate_master_username, "rds_superuser", IPV, NULL},
    {"user: pg_ prefix", validate_master_username, "pg_monitor", IPV, NULL},
    {"user: public", validate_master_username, "PUBLIC", IPV, NULL},
    {"user: non-reserved keyword ok", validate_master_username, "owner", OK, NULL},
    {"user: word containing a keyword ok", validate_master_username, "selector", OK, NULL},
    {"user: empty", validate_master_username, "", MISSING, NULL},
    /* MasterUserPassword */
    {"pw: 8 chars", validate_master_password, "abcdefgh", OK, NULL},
    {"pw: symbols allowed", validate_master_password, "p!#$%^&*()_+-=[]{}|;:,.<>?~`'\\", OK, NULL},
    {"pw: 7 chars", validate_master_password, "abcdefg", IPV,
     "The parameter MasterUserPassword is not a valid password because it is shorter than 8 "
     "characters."},
    {"pw: slash", validate_master_password, "abcd/efgh", IPV, PW_CHARS_MSG},
    {"pw: at", validate_master_password, "abcd@efgh", IPV, PW_CHARS_MSG},
    {"pw: double quote", validate_master_password, "abcd\"efgh", IPV, PW_CHARS_MSG},
    {"pw: space", validate_master_password, "abcd efgh", IPV, PW_CHARS_MSG},
    {"pw: tab", validate_master_password, "abcd\tefgh", IPV, PW_CHARS_MSG},
    {"pw: non-ascii", validate_master_password, "abcd\xC3\xA9" "fgh", IPV, PW_CHARS_MSG},
    {"pw: DEL", validate_master_password, "abcd\x7F" "efgh", IPV, PW_CHARS_MSG},
    {"pw: empty", validate_master_password, "", MISSING, NULL},
    {"pw: 128 chars", validate_master_password, NULL /* filled in main */, OK, NULL},
    {"pw: 129 chars", validate_master_password, NULL /* filled in main */, IPV,
     "The parameter MasterUserPassword is not a valid password because it is longer than 128 "
     "characters."},
    /* DBName */
    {"dbname: simple", validate_db_name, "shop", OK, NULL},
    {"dbname: underscores", validate_db_name, "shop_db_2", OK, NULL},
    {"dbname: postgres allowed", validate_db_name, "postgres", OK, NULL},
    {"dbname: digit first", validate_db_name, "2shop", IPV,
     "The parameter DBName is not a valid identifier. Identifiers must begin with a letter; must "
     "contain only ASCII letters, digits, and underscores."},
    {"dbname: hyphen", validate_db_name, "my-db", IPV, NULL},
    {"dbname: reserved", validate_db_name, "order", IPV,
     "DBName order cannot be used as it is a reserved word used by the engine"},
    {"dbname: template1", validate_db_name, "template1", IPV, NULL},
    {"dbname: rdsadmin", validate_db_name, "RDSADMIN", IPV, NULL},
    {"dbname: 63 chars", validate_db_name,
     "a12345678901234567890123456789012345678901234567890123456789012", OK, NULL},
    {"dbname: 64 chars", validate_db_name,
     "a123456789012345678901234567890123456789012345678901234567890123", IPV, NULL},
    /* StorageType */
    {"storage: gp2", validate_storage_type, "gp2", OK, NULL},
    {"storage: gp3", validate_storage_type, "gp3", OK, NULL},
    {"storage: io1", validate_storage_type, "io1", OK, NULL},
    {"storage: io2", validate_storage_type, "io2", OK, NULL},
    {"storage: standard", validate_storage_type, "standard", OK, NULL},
    {"storage: gp4", validate_storage_type, "gp4", IPV,
     "Invalid storage type: gp4. Valid values: gp2, gp3, io1, io2, standard."},
    {"storage: uppercase", validate_storage_type, "GP2", IPV, NULL},
    {"storage: empty", validate_storage_type, "", IPV, NULL},
    /* DBInstanceClass */
    {"class: db.t3.micro", validate_db_instance_class, "db.t3.micro", OK, NULL},
    {"class: db.m5.large", validate_db_instance_class, "db.m5.large", OK, NULL},
    {"class: db.r6g.16xlarge", validate_db_instance_class, "db.r6g.16xlarge", OK, NULL},
    {"class: db.m7g.2xlarge", validate_db_instance_class, "db.m7g.2xlarge", OK, NULL},
    {"class: no db prefix", validate_db_instance_class, "t3.micro", IPV,
     "Invalid DB Instance class: t3.micro"},
    {"class: missing size", validate_db_instance_class, "db.t3", IPV, NULL},
    {"class: empty size", validate_db_instance_class, "db.t3.", IPV, NULL},
    {"class: uppercase", validate_db_instance_class, "db.T3.micro", IPV, NULL},
    {"class: extra part", validate_db_instance_class, "db.t3.micro.x", IPV, NULL},
    {"class: unknown but well-formed", validate_db_instance_class, "db.x9.huge", IPC,
     "RDS does not support creating a DB instance with the following combination: "
     "DBInstanceClass=db.x9.huge, Engine=postgres. For supported combinations of instance class "
     "and database engine version, see the documentation."},
    {"class: t3.nano not offered", validate_db_instance_class, "db.t3.nano", IPC, NULL},
    {"class: empty", validate_db_instance_class, "", MISSING, NULL},
    /* PreferredBackupWindow */
    {"bw: 30 minutes", validate_backup_window, "03:00-03:30", OK, NULL},
    {"bw: long window", validate_backup_window, "01:00-09:00", OK, NULL},
    {"bw: wraps midnight", validate_backup_window, "23:45-00:15", OK, NULL},
    {"bw: 23:59 end", validate_backup_window, "23:00-23:59", OK, NULL},
    {"bw: 29 minutes", validate_backup_window, "03:00-03:29", IPV,
     "The backup window must be at least 30 minutes."},
    {"bw: wraps but 29 minutes", validate_backup_window, "23:46-00:15", IPV, NULL},
    {"bw: equal ends", validate_backup_window, "03:00-03:00", IPV, NULL},
    {"bw: hour 24", validate_backup_window, "24:00-24:30", IPV,
     "Invalid value '24:00-24:30' for parameter PreferredBackupWindow: must be in the format "
     "hh24:mi-hh24:mi, in UTC, e.g. 03:00-03:30."},
    {"bw: minute 60", validate_backup_window, "03:60-04:30", IPV, NULL},
    {"bw: one-digit hour", validate_backup_window, "3:00-03:30", IPV, NULL},
    {"bw: trailing text", validate_backup_window, "03:00-03:30x", IPV, NULL},
    {"bw: wrong separator", validate_backup_window, "03:00~03:30", IPV, NULL},
    {"bw: with days", validate_backup_window, "mon:03:00-mon:03:30", IPV, NULL},
    {"bw: empty", validate_backup_window, "", IPV, NULL},
    {"bw: NULL", validate_backup_window, NULL, IPV, NULL},
    /* PreferredMaintenanceWindow */
    {"mw: 30 minutes", validate_maintenance_window, "sun:05:00-sun:05:30", OK, NULL},
    {"mw: across days", validate_maintenance_window, "tue:23:30-wed:00:30", OK, NULL},
    {"mw: wraps the week", validate_maintenance_window, "sun:23:45-mon:00:15", OK, NULL},
    {"mw: capitalised days", validate_maintenance_window, "Mon:01:00-Mon:02:00", OK, NULL},
    {"mw: 23h59", validate_maintenance_window, "mon:00:00-mon:23:59", OK, NULL},
    {"mw: 24 hours", validate_maintenance_window, "mon:00:00-tue:00:00", IPV,
     "The maintenance window must be less than 24 hours."},
    {"mw: a week minus 10 minutes", validate_maintenance_window, "mon:00:10-mon:00:00", IPV, NULL},
    {"mw: 29 minutes", validate_maintenance_window, "sun:05:00-sun:05:29", IPV,
     "The maintenance window must be at least 30 minutes."},
    {"mw: equal ends", validate_maintenance_window, "sun:05:00-sun:05:00", IPV, NULL},
    {"mw: bad day", validate_maintenance_window, "sus:05:00-sun:05:30", IPV, NULL},
    {"mw: long day name", validate_maintenance_window, "sunday:05:00-sunday:05:30", IPV, NULL},
    {"mw: no days", validate_maintenance_window, "05:00-05:30", IPV, NULL},
    {"mw: bad hour", validate_maintenance_window, "sun:25:00-sun:25:30", IPV, NULL},
    {"mw: truncated", validate_maintenance_window, "sun:05:00-sun:05:3", IPV, NULL},
    /* EnableCloudwatchLogsExports entries */
    {"log: postgresql", validate_log_export_type, "postgresql", OK, NULL},
    {"log: upgrade", validate_log_export_type, "upgrade", OK, NULL},
    {"log: iam-db-auth-error", validate_log_export_type, "iam-db-auth-error", OK, NULL},
    {"log: mysql's audit", validate_log_export_type, "audit", IPV, NULL},
    {"log: empty", validate_log_export_type, "", IPV, NULL},
};

typedef bool (*int_rule)(int64_t, awserr *);

static const struct {
    const char *name;
    int_rule rule;
    int64_t in;
    awserr_code want;
    const char *message;
} int_cases[] = {
    {"port: 5432", validate_port, 5432, OK, NULL},
    {"port: 1150", validate_port, 1150, OK, NULL},
    {"port: 65535", validate_port, 65535, OK, NULL},
    {"port: 1149", validate_port, 1149, IPV,
     "Invalid value '1149' for parameter Port: must be between 1150 and 65535."},
    {"port: 65536", validate_port, 65536, IPV, NULL},
    {"port: 0", validate_port, 0, IPV, NULL},
    {"port: negative", validate_port, -5432, IPV, NULL},
    {"retention: 0", validate_backup_retention, 0, OK, NULL},
    {"retention: 1", validate_backup_retention, 1, OK, NULL},
    {"retention: 35", validate_backup_retention, 35, OK, NULL},
    {"retention: 36", validate_backup_retention, 36, IPV,
     "Invalid value '36' for parameter BackupRetentionPeriod: must be between 0 and 35."},
    {"retention: -1", validate_backup_retention, -1, IPV, NULL},
    {"monitoring: 0", validate_monitoring_interval, 0, OK, NULL},
    {"monitoring: 1", validate_monitoring_interval, 1, OK, NULL},
    {"monitoring: 60", validate_monitoring_interval, 60, OK, NULL},
    {"monitoring: 2", validate_monitoring_interval, 2, IPV, NULL},
    {"monitoring: 120", validate_monitoring_interval, 120, IPV, NULL},
    {"pi: 7", validate_pi_retention, 7, OK, NULL},
    {"pi: 31", validate_pi_retention, 31, OK, NULL},
    {"pi: 93", validate_pi_retention, 93, OK, NULL},
    {"pi: 713", validate_pi_retention, 713, OK, NULL},
    {"pi: 731", validate_pi_retention, 731, OK, NULL},
    {"pi: 94", validate_pi_retention, 94, IPV, NULL},
    {"pi: 744 (24 months)", validate_pi_retention, 744, IPV, NULL},
    {"pi: 0", validate_pi_retention, 0, IPV, NULL},
};

static const struct {
    const char *name;
    const char *type;
    int64_t gib;
    awserr_code want;
    const char *message;
} storage_cases[] = {
    {"gp2 20", "gp2", 20, OK, NULL},
    {"gp2 19", "gp2", 19, IPV, "Invalid storage size for engine name postgres and storage type gp2: 19"},
    {"gp3 65536", "gp3", 65536, OK, NULL},
    {"gp3 65537", "gp3", 65537, IPV, NULL},
    {"io1 100", "io1", 100, OK, NULL},
    {"io1 99", "io1", 99, IPV, NULL},
    {"io2 65536", "io2", 65536, OK, NULL},
    {"standard 5", "standard", 5, OK, NULL},
    {"standard 4", "standard", 4, IPV, NULL},
    {"standard 3072", "standard", 3072, OK, NULL},
    {"standard 3073", "standard", 3073, IPV, NULL},
    {"negative", "gp3", -20, IPV, NULL},
    {"unknown type", "ssd", 100, IPV, "Invalid storage type: ssd. Valid values: gp2, gp3, io1, io2, standard."},
    {"NULL type", NULL, 100, IPV, NULL},
};

static const struct {
    const char *name;
    const char *type;
    int64_t gib;
    bool has;
    int64_t iops;
    awserr_code want;
    const char *message;
} iops_cases[] = {
    {"gp2 without", "gp2", 100, false, 0, OK, NULL},
    {"gp2 with", "gp2", 100, true, 3000, IPC, NULL},
    {"standard with", "standard", 100, true, 1000, IPC, NULL},
    {"gp3 without", "gp3", 20, false, 0, OK, NULL},
    {"gp3 below 400 GiB", "gp3", 399, true, 12000, IPC,
     "You can't specify IOPS or storage throughput for engine postgres and a storage size less "
     "than 400."},
    {"gp3 at 400 GiB 12000", "gp3", 400, true, 12000, OK, NULL},
    {"gp3 64000", "gp3", 1000, true, 64000, OK, NULL},
    {"gp3 64001", "gp3", 1000, true, 64001, IPV, NULL},
    {"gp3 11999", "gp3", 1000, true, 11999, IPV, NULL},
    {"io1 without", "io1", 100, false, 0, IPC, NULL},
    {"io1 1000 on 100 (10x)", "io1", 100, true, 1000, OK, NULL},
    {"io1 5000 on 100 (50x)", "io1", 100, true, 5000, OK, NULL},
    {"io1 5001 on 100 (>50x)", "io1", 100, true, 5001, IPV,
     "Invalid iops to storage (GB) ratio for engine name postgres and storage type io1: 50.0100"},
    {"io1 1000 on 2000 (0.5x)", "io1", 2000, true, 1000, OK, NULL},
    {"io1 1000 on 2001 (<0.5x)", "io1", 2001, true, 1000, IPV, NULL},
    {"io1 999", "io1", 100, true, 999, IPV, NULL},
    {"io2 256000", "io2", 65536, true, 256000, OK, NULL},
    {"io2 256001", "io2", 65536, true, 256001, IPV, NULL},
    {"io1 zero storage", "io1", 0, true, 1000, IPV, NULL},
    {"unknown type", "xx", 100, true, 1000, IPV, NULL},
};

static const struct {
    const char *name;
    const char *backup, *maint;
    awserr_code want;
} disjoint_cases[] = {
    {"apart", "03:00-03:30", "sun:05:00-sun:05:30", OK},
    {"touching end to start", "03:00-03:30", "wed:03:30-wed:04:00", OK},
    {"touching start to end", "03:30-04:00", "wed:03:00-wed:03:30", OK},
    {"overlap on a weekday", "03:00-04:00", "wed:03:30-wed:04:30", IPC},
    {"maintenance inside backup", "01:00-09:00", "fri:02:00-fri:02:30", IPC},
    {"backup inside maintenance", "03:00-03:30", "mon:01:00-mon:08:00", IPC},
    {"backup wraps midnight into sunday/monday", "23:45-00:15", "mon:00:00-mon:00:30", IPC},
    {"maintenance wraps the week", "00:00-00:30", "sun:23:45-mon:00:15", IPC},
    {"both wrap, apart", "23:00-23:30", "sun:23:40-mon:00:10", OK},
    {"bad backup format", "3:00-03:30", "sun:05:00-sun:05:30", IPV},
    {"bad maintenance format", "03:00-03:30", "sun:5:00-sun:05:30", IPV},
};

static const struct {
    const char *cls;
    int64_t mib;
    int vcpus;
} class_cases[] = {
    {"db.t3.micro", 1024, 2},     {"db.t3.small", 2048, 2},     {"db.t3.medium", 4096, 2},
    {"db.t3.large", 8192, 2},     {"db.t3.xlarge", 16384, 4},   {"db.t3.2xlarge", 32768, 8},
    {"db.t4g.micro", 1024, 2},    {"db.m5.large", 8192, 2},     {"db.m5.xlarge", 16384, 4},
    {"db.m5.24xlarge", 393216, 96}, {"db.m6g.large", 8192, 2},  {"db.m6i.32xlarge", 524288, 128},
    {"db.m7g.16xlarge", 262144, 64}, {"db.r5.large", 16384, 2}, {"db.r5.xlarge", 32768, 4},
    {"db.r6g.4xlarge", 131072, 16}, {"db.r6i.32xlarge", 1048576, 128},
    {"db.x9.huge", 0, 0},         {"", 0, 0},                   {NULL, 0, 0},
};

static const struct {
    const char *name;
    bool maintenance;
    const char *in;
    bool ok;
    int start, end;
} parse_cases[] = {
    {"backup start/end", false, "03:00-03:30", true, 180, 210},
    {"backup wrap", false, "23:45-00:15", true, 1425, 15},
    {"maintenance monday is day 0", true, "mon:00:00-mon:00:30", true, 0, 30},
    {"maintenance sunday", true, "sun:23:45-mon:00:15", true, 6 * 1440 + 1425, 15},
    {"maintenance wednesday", true, "WED:10:05-wed:11:00", true, 2 * 1440 + 605, 2 * 1440 + 660},
    {"backup malformed", false, "03:00-3:30", false, 0, 0},
    {"maintenance malformed", true, "xyz:03:00-mon:03:30", false, 0, 0},
};

int main(void)
{
    char name[200];
    char snap255[256], pw128[129], pw129[130];
    memset(snap255, 'a', 255);
    snap255[255] = '\0';
    memset(pw128, 'x', 128);
    pw128[128] = '\0';
    memset(pw129, 'x', 129);
    pw129[129] = '\0';

    for (size_t i = 0; i < sizeof str_cases / sizeof str_cases[0]; i++) {
        const char *in = str_cases[i].in;
        if (strcmp(str_cases[i].name, "snap: 255 chars ok") == 0)
            in = snap255;
        else if (strcmp(str_cases[i].name, "pw: 128 chars") == 0)
            in = pw128;
        else if (strcmp(str_cases[i].name, "pw: 129 chars") == 0)
            in = pw129;
        awserr e = {0};
        bool r = str_cases[i].rule(in, &e);
        snprintf(name, sizeof name, "%s", str_cases[i].name);
        if (str_cases[i].want == OK) {
            ok(r, name);
            if (!r)
                diag("refused: %s", e.message);
        } else {
            ok(!r && e.code == str_cases[i].want, name);
            if (r || e.code != str_cases[i].want)
                diag("code %d: %s", e.code, e.message);
            if (str_cases[i].message) {
                snprintf(name, sizeof name, "%s: message", str_cases[i].name);
                is_str(e.message, str_cases[i].message, name);
            }
        }
    }
    /* Snapshot ids allow 255, not 256; instance ids stop at 63. */
    char snap256[257];
    memset(snap256, 'a', 256);
    snap256[256] = '\0';
    ok(!validate_db_snapshot_id(snap256, NULL, NULL), "snap: 256 chars refused (err NULL ok)");
    ok(!validate_db_instance_id(snap255, NULL, NULL), "id: 255 chars refused");
    awserr e = {0};
    validate_db_instance_id("1x", "TargetDBInstanceIdentifier", &e);
    ok(strstr(e.message, "The parameter TargetDBInstanceIdentifier ") == e.message,
       "id: message names the given parameter");
    validate_master_password("bad pw with space", &e);
    ok(strstr(e.message, "space") == NULL && strstr(e.message, "bad pw") == NULL,
       "pw: message never contains the password");

    for (size_t i = 0; i < sizeof int_cases / sizeof int_cases[0]; i++) {
        awserr ie = {0};
        bool r = int_cases[i].rule(int_cases[i].in, &ie);
        ok(int_cases[i].want == OK ? r : (!r && ie.code == int_cases[i].want), int_cases[i].name);
        if (int_cases[i].message) {
            snprintf(name, sizeof name, "%s: message", int_cases[i].name);
            is_str(ie.message, int_cases[i].message, name);
        }
    }

    for (size_t i = 0; i < sizeof storage_cases / sizeof storage_cases[0]; i++) {
        awserr se = {0};
        bool r = validate_allocated_storage(storage_cases[i].type, storage_cases[i].gib, &se);
        snprintf(name, sizeof name, "allocated storage: %s", storage_cases[i].name);
        ok(storage_cases[i].want == OK ? r : (!r && se.code == storage_cases[i].want), name);
        if (storage_cases[i].message) {
            snprintf(name, sizeof name, "allocated storage: %s: message", storage_cases[i].name);
            is_str(se.message, storage_cases[i].message, name);
        }
    }

    for (size_t i = 0; i < sizeof iops_cases / sizeof iops_cases[0]; i++) {
        awserr ie = {0};
        bool r = validate_iops(iops_cases[i].type, iops_cases[i].gib, iops_cases[i].has,
                               iops_cases[i].iops, &ie);
        snprintf(name, sizeof name, "iops: %s", iops_cases[i].name);
        ok(iops_cases[i].want == OK ? r : (!r && ie.code == iops_cases[i].want), name);
        if (r != (iops_cases[i].want == OK) || (!r && ie.code != iops_cases[i].want))
            diag("code %d: %s", ie.code, ie.message);
        if (iops_cases[i].message) {
            snprintf(name, sizeof name, "iops: %s: message", iops_cases[i].name);
            is_str(ie.message, iops_cases[i].message, name);
        }
    }

    for (size_t i = 0; i < sizeof disjoint_cases / sizeof disjoint_cases[0]; i++) {
        awserr de = {0};
        bool r = validate_windows_disjoint(disjoint_cases[i].backup, disjoint_cases[i].maint, &de);
        snprintf(name, sizeof name, "windows: %s", disjoint_cases[i].name);
        ok(disjoint_cases[i].want == OK ? r : (!r && de.code == disjoint_cases[i].want), name);
    }
    awserr de = {0};
    validate_windows_disjoint("03:00-04:00", "wed:03:30-wed:04:30", &de);
    is_str(de.message, "The backup window and maintenance window must not overlap.",
           "windows: overlap message");

    for (size_t i = 0; i < sizeof class_cases / sizeof class_cases[0]; i++) {
        const char *c = class_cases[i].cls;
        snprintf(name, sizeof name, "class memory: %s", c ? c : "(null)");
        is_int(validate_class_memory_mib(c), class_cases[i].mib, name);
        snprintf(name, sizeof name, "class vcpus: %s", c ? c : "(null)");
        is_int(validate_class_vcpus(c), class_cases[i].vcpus, name);
    }
    /* Every listed class is valid and has a size; the list is NULL-ended. */
    const char *const *list = validate_class_list();
    size_t n = 0;
    bool all_ok = true;
    for (; list[n] != NULL; n++) {
        if (!validate_db_instance_class(list[n], NULL) || validate_class_memory_mib(list[n]) < 1024 ||
            validate_class_vcpus(list[n]) < 2) {
            all_ok = false;
            diag("bad class row: %s", list[n]);
        }
    }
    ok(all_ok && n >= 40, "class list: every class valid with memory and vCPUs");
    is_str(list[0], "db.t3.micro", "class list: starts with db.t3.micro");

    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        int s = -1, en = -1;
        bool r = parse_cases[i].maintenance
                     ? validate_parse_maintenance_window(parse_cases[i].in, &s, &en)
                     : validate_parse_backup_window(parse_cases[i].in, &s, &en);
        snprintf(name, sizeof name, "parse window: %s", parse_cases[i].name);
        ok(r == parse_cases[i].ok &&
               (!r || (s == parse_cases[i].start && en == parse_cases[i].end)),
           name);
    }

    /* Reserved-word helper */
    ok(validate_reserved_word("Select"), "reserved: Select");
    ok(validate_reserved_word("system_user"), "reserved: system_user");
    ok(!validate_reserved_word("postgres"), "reserved: postgres is not a key word");
    ok(!validate_reserved_word("name"), "reserved: non-reserved key word 'name'");
    ok(!validate_reserved_word(NULL), "reserved: NULL");
    return done_testing();
}
