/* The DBInstance handlers' error precedence: a request with several bad
 * parameters gets the error of the check that runs first. CreateDBInstance
 * and ModifyDBInstance are split into one function per attribute group;
 * these cases pin the order those groups run in (the expected messages
 * were taken from the handlers before the split). Each case fails before
 * anything is written, so a bare store is all the region needs; the
 * modifies that pass render the instance, which logs that the parameter
 * group and automated backup tables are missing (harmless here). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/api/actions.h"
#include "controlplane/core/agents.h"
#include "controlplane/core/netstore.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "lib/tap.h"
#include "lib/util.h"

static region R;

/* Runs Action with body; returns the error (code NONE on success). */
static awserr call(const char *action, const char *body)
{
    awserr err = {0};
    params *p = params_parse(body, strlen(body), &err);
    if (!p)
        return err;
    const action_def *def = actions_find(action);
    cJSON *result = cJSON_CreateObject();
    if (def)
        def->fn(&R, p, result, &err);
    cJSON_Delete(result);
    params_free(p);
    return err;
}

static void seed_instance(void)
{
    store_instance in = {
        .id = (char *)"shop", .resource_id = (char *)"db-SHOP", .status = STATUS_AVAILABLE,
        .db_class = (char *)"db.t3.micro", .engine = (char *)"postgres",
        .engine_version = (char *)"15.18", .master_username = (char *)"app",
        .master_verifier = (char *)"SCRAM-SHA-256$4096:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg=", .port = 5432, .allocated_storage = 100,
        .storage_type = (char *)"gp3", .backup_retention = 1,
        .backup_window = (char *)"03:00-03:30",
        .maintenance_window = (char *)"mon:12:00-mon:12:30", .dns_ttl = -1,
        .tags = (char *)"[]", .pending = (char *)"{}", .extra = (char *)"{}",
        .created_ms = 1000, .ha_state = HA_NONE, .repl_password = (char *)"",
    };
    ok(store_begin(R.st) && store_instance_insert(R.st, &in) && store_commit(R.st),
       "an available instance to modify");
}

#define M "DBInstanceIdentifier=shop&"
#define C "DBInstanceIdentifier=new1&DBInstanceClass=db.t3.micro&Engine=postgres&" \
          "MasterUsername=app&MasterUserPassword=s3cret-pass&AllocatedStorage=20&"

static const struct {
    const char *name, *action, *body;
    awserr_code code;
    const char *message;
} cases[] = {
    {"modify: unsupported before state and values", "ModifyDBInstance",
     M "EngineVersion=16&AllocatedStorage=abc", AWSERR_INVALID_PARAMETER_COMBINATION,
     "Modifying EngineVersion is not supported in this region yet."},
    {"modify: DeletionProtection parsed before the numbers", "ModifyDBInstance",
     M "DeletionProtection=maybe&AllocatedStorage=abc", AWSERR_INVALID_PARAMETER_VALUE,
     "Invalid value 'maybe' for parameter DeletionProtection: must be true or false."},
    {"modify: every number parsed before any is checked", "ModifyDBInstance",
     M "BackupRetentionPeriod=99&DnsTtl=x", AWSERR_INVALID_PARAMETER_VALUE,
     "Invalid value 'x' for parameter DnsTtl: must be an integer."},
    {"modify: retention before storage", "ModifyDBInstance",
     M "BackupRetentionPeriod=99&StorageType=floppy", AWSERR_INVALID_PARAMETER_VALUE,
     "Invalid value '99' for parameter BackupRetentionPeriod: must be between 0 and 35."},
    {"modify: storage before max storage", "ModifyDBInstance",
     M "AllocatedStorage=50&MaxAllocatedStorage=10", AWSERR_INVALID_PARAMETER_VALUE,
     "Invalid storage size for engine name postgres: allocated storage can't be decreased "
     "(from 100 to 50)."},
    {"modify: max storage before DNS TTL", "ModifyDBInstance",
     M "MaxAllocatedStorage=101&DnsTtl=-5", AWSERR_INVALID_PARAMETER_VALUE,
     "Invalid max storage size for engine name postgres: 101. It must be at least 10% more "
     "than AllocatedStorage."},
    {"modify: DNS TTL before windows", "ModifyDBInstance",
     M "DnsTtl=-5&PreferredBackupWindow=25:00-26:00", AWSERR_INVALID_PARAMETER_VALUE,
     "DnsTtl must be a whole number of seconds from 0 to 86400."},
    {"modify: windows before monitoring", "ModifyDBInstance",
     M "PreferredBackupWindow=25:00-26:00&MonitoringInterval=7", AWSERR_INVALID_PARAMETER_VALUE,
     "Invalid value '25:00-26:00' for parameter PreferredBackupWindow: must be in the format "
     "hh24:mi-hh24:mi, in UTC, e.g. 03:00-03:30."},
    {"modify: monitoring before log exports", "ModifyDBInstance",
     M "MonitoringInterval=7&CloudwatchLogsExportConfiguration.EnableLogTypes.member.1=audit",
     AWSERR_INVALID_PARAMETER_VALUE,
     "Invalid value '7' for parameter MonitoringInterval: must be one of 0, 1, 5, 10, 15, 30, 60."},
    {"modify: log exports before the class", "ModifyDBInstance",
     M "CloudwatchLogsExportConfiguration.EnableLogTypes.member.1=audit&DBInstanceClass=db.x",
     AWSERR_INVALID_PARAMETER_COMBINATION,
     "You cannot use the log types 'audit' with engine version postgres 15.18. For supported "
     "log types, see the documentation."},
    {"modify: the class before Multi-AZ", "ModifyDBInstance",
     M "DBInstanceClass=db.x&MultiAZ=perhaps", AWSERR_INVALID_PARAMETER_VALUE,
     "Invalid DB Instance class: db.x"},
    {"modify: a class change and Multi-AZ at once", "ModifyDBInstance",
     M "DBInstanceClass=db.m5.large&MultiAZ=true&ApplyImmediately=true",
     AWSERR_INVALID_PARAMETER_COMBINATION,
     "Change the instance class and Multi-AZ in separate requests here."},
    {"modify: nothing asked", "ModifyDBInstance", M "ApplyImmediately=true",
     AWSERR_INVALID_PARAMETER_COMBINATION, "No modifications were requested"},
    {"create: the engine before the class", "CreateDBInstance",
     "DBInstanceIdentifier=new1&DBInstanceClass=db.x&Engine=mysql",
     AWSERR_INVALID_PARAMETER_VALUE,
     "Invalid DB engine: mysql. This region runs the postgres engine only."},
    {"create: the password before the storage", "CreateDBInstance",
     "DBInstanceIdentifier=new1&DBInstanceClass=db.t3.micro&Engine=postgres&"
     "MasterUsername=app&AllocatedStorage=x",
     AWSERR_INVALID_PARAMETER_VALUE,
     "The parameter MasterUserPassword must be provided and must not be blank."},
    {"create: the storage type before the port", "CreateDBInstance",
     C "StorageType=floppy&Port=1", AWSERR_INVALID_PARAMETER_VALUE,
     "Invalid storage type: floppy. Valid values: gp2, gp3, io1, io2, standard."},
    {"create: Multi-AZ with an AZ before the KMS key", "CreateDBInstance",
     C "MultiAZ=true&AvailabilityZone=us-east-1a&KmsKeyId=k", AWSERR_INVALID_PARAMETER_COMBINATION,
     "Requesting a specific availability zone is not valid for Multi-AZ instances."},
    {"create: windows before tags", "CreateDBInstance",
     C "PreferredMaintenanceWindow=xyz&Tags.Tag.1.Key=aws:x", AWSERR_INVALID_PARAMETER_VALUE,
     "Invalid value 'xyz' for parameter PreferredMaintenanceWindow: must be in the format "
     "ddd:hh24:mi-ddd:hh24:mi, in UTC, with days mon, tue, wed, thu, fri, sat, sun, e.g. "
     "sun:05:00-sun:05:30."},
    {"create: tags before monitoring", "CreateDBInstance",
     C "Tags.Tag.1.Key=aws:x&MonitoringInterval=7", AWSERR_INVALID_PARAMETER_VALUE,
     "Tag keys starting with 'aws:' are reserved for AWS use."},
    {"create: monitoring before log exports", "CreateDBInstance",
     C "MonitoringInterval=7&EnableCloudwatchLogsExports.member.1=audit",
     AWSERR_INVALID_PARAMETER_VALUE,
     "Invalid value '7' for parameter MonitoringInterval: must be one of 0, 1, 5, 10, 15, 30, 60."},
    {"create: disjoint windows last of the reads", "CreateDBInstance",
     C "PreferredBackupWindow=12:00-12:30&PreferredMaintenanceWindow=mon:12:00-mon:12:30",
     AWSERR_INVALID_PARAMETER_COMBINATION,
     "The backup window and maintenance window must not overlap."},
};

/* Changes that pass: each group writes where it should (the row at once,
 * or pending for the maintenance window). */
static void test_modify_applies(void)
{
    awserr err = call("ModifyDBInstance",
                      M "DeletionProtection=true&BackupRetentionPeriod=7&DnsTtl=30&"
                        "MaxAllocatedStorage=500&PreferredBackupWindow=05:00-05:30&"
                        "AllocatedStorage=200&DBInstanceClass=db.m5.large&"
                        "CopyTagsToSnapshot=true");
    is_int(err.code, AWSERR_NONE, "a modify of many groups passes");
    if (err.code != AWSERR_NONE)
        diag("%s", err.message);
    store_instance in = {0};
    bool found = false;
    ok(store_instance_get(R.st, "shop", &in, &found) && found, "the row is there");
    ok(in.deletion_protection, "DeletionProtection at once");
    is_int(in.backup_retention, 7, "a retention change that keeps backups on is at once");
    is_int(in.dns_ttl, 30, "DnsTtl at once");
    is_int(in.max_allocated_storage, 500, "MaxAllocatedStorage at once");
    is_str(in.backup_window, "05:00-05:30", "the backup window at once");
    is_int(in.allocated_storage, 100, "storage waits for the window");
    cJSON *pending = cJSON_Parse(in.pending);
    cJSON *extra = cJSON_Parse(in.extra);
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(pending, "AllocatedStorage");
    const cJSON *pc = cJSON_GetObjectItemCaseSensitive(pending, "DBInstanceClass");
    ok(cJSON_IsNumber(ps) && ps->valuedouble == 200, "AllocatedStorage pending");
    ok(cJSON_IsString(pc) && strcmp(pc->valuestring, "db.m5.large") == 0,
       "DBInstanceClass pending");
    ok(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(extra, "CopyTagsToSnapshot")),
       "a flag in extra");
    cJSON_Delete(pending);
    cJSON_Delete(extra);
    store_instance_clear(&in);

    err = call("ModifyDBInstance", M "BackupRetentionPeriod=0");
    is_int(err.code, AWSERR_NONE, "turning backups off passes");
    ok(store_instance_get(R.st, "shop", &in, &found) && found, "the row again");
    is_int(in.backup_retention, 7, "and waits for the window (an outage in RDS)");
    pending = cJSON_Parse(in.pending);
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(pending, "BackupRetentionPeriod");
    ok(cJSON_IsNumber(pr) && pr->valuedouble == 0, "BackupRetentionPeriod pending");
    ok(cJSON_GetObjectItemCaseSensitive(pending, "AllocatedStorage") != NULL,
       "what was queued before stays queued");
    cJSON_Delete(pending);
    store_instance_clear(&in);
}

int main(void)
{
    char dir[] = "/tmp/rdsim-instances-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *path = xasprintf("%s/cp.db", dir);
    R.st = store_open(path);
    ok(R.st != NULL, "store");
    R.agents = agents_new();
    R.cfg.name = "us-east-1";
    R.cfg.account = "123456789012";
    R.cfg.azs[0] = "us-east-1a";
    R.cfg.azs[1] = "us-east-1b";
    R.cfg.naz = 2;
    R.pg_version = (char *)"15.18";
    R.pg_major = (char *)"15";
    seed_instance();

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        awserr err = call(cases[i].action, cases[i].body);
        is_int(err.code, cases[i].code, cases[i].name);
        is_str(err.message, cases[i].message, cases[i].name);
    }
    test_modify_applies();

    agents_free(R.agents);
    store_close(R.st);
    unlink(path);
    char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
    unlink(wal);
    unlink(shm);
    free(wal);
    free(shm);
    rmdir(dir);
    free(path);
    return done_testing();
}
