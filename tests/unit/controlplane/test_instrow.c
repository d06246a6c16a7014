/* Unit tests for controlplane/domain/instrow, the one builder of a new
 * instance's row, over a real store in a temp dir: a restored instance
 * (from a snapshot, through snapshot_restore, and through instrow_restore
 * as the point-in-time restore calls it) gets RDS's random backup and
 * maintenance windows like a create, a given PreferredBackupWindow, and
 * the network settings of its request (DBSubnetGroupName,
 * VpcSecurityGroupIds, PubliclyAccessible) as DBInstance shows them. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/domain/wfkinds.h"
#include "controlplane/core/agents.h"
#include "controlplane/core/instextra.h"
#include "controlplane/core/kms.h"
#include "controlplane/core/query.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/core/validate.h"
#include "controlplane/domain/instrow.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/domain/snapshot.h"
#include "controlplane/domain/snaprow.h"
#include "controlplane/net/ec2.h"
#include "controlplane/net/instnet.h"
#include "controlplane/net/subnetgroup.h"
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

static region R;

/* A describe-config line, so the parameter catalogue loads without postgres. */
static const char catalogue[] =
    "work_mem\tuser\tResource Usage / Memory\tINTEGER\t0\t64\t2147483647\tSets the maximum "
    "memory to be used for query workspaces.\t\n";

static params *parse(const char *body)
{
    awserr err = {0};
    return params_parse(body, strlen(body), &err);
}

/* An EC2 call; returns the value of <tag> in its answer (malloc'd). */
static char *ec2_call(const char *body, const char *tag)
{
    params *p = parse(body);
    char *out = NULL, *open = xasprintf("<%s>", tag), *v = NULL;
    int status = 0;
    bool mutated = false;
    ec2_handle(&R, p, false, "req-1", &out, &status, &mutated);
    const char *a = out ? strstr(out, open) : NULL;
    if (a) {
        a += strlen(open);
        v = xstrndup(a, strcspn(a, "<"));
    }
    free(open);
    free(out);
    params_free(p);
    return v ? v : xstrdup("");
}

static bool window_in_block(const char *w, int first_start, int last_start)
{
    int h1, m1, h2, m2;
    if (sscanf(w, "%d:%d-%d:%d", &h1, &m1, &h2, &m2) != 4)
        return false;
    int start = h1 * 60 + m1, end = h2 * 60 + m2;
    return start >= first_start && start <= last_start && start % 30 == 0 && end == start + 30;
}

/* "ddd:hh:mm-ddd:hh:mm": 30 minutes of one day, starting 12:00-19:00. */
static bool maintenance_ok(const char *w)
{
    static const char *days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    char d1[4], d2[4];
    int h1, m1, h2, m2;
    if (sscanf(w, "%3s:%d:%d-%3s:%d:%d", d1, &h1, &m1, d2, &h2, &m2) != 6 || strlen(w) != 19)
        return false;
    bool day = false;
    for (int i = 0; i < 7; i++)
        day |= strncmp(w, days[i], 3) == 0 && strncmp(w + 10, days[i], 3) == 0;
    int start = h1 * 60 + m1, end = h2 * 60 + m2;
    awserr err = {0};
    return day && validate_maintenance_window(w, &err) && start >= 12 * 60 &&
           start <= 19 * 60 && start % 30 == 0 && end == start + 30;
}

/* The DBInstance members instnet renders for in. */
static cJSON *network_of(const store_instance *in)
{
    cJSON *o = cJSON_CreateObject();
    instnet_render_sgs(in, o);
    instnet_render_subnet_group(&R, in, o);
    return o;
}

static bool restore(const char *body, const char *id, store_instance *out, awserr *err)
{
    instrow_source src = {.db_class = "db.t3.micro", .port = 5432, .master_username = "admin",
                          .master_verifier = "SCRAM-SHA-256$4096:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg=", .db_name = "orders",
                          .allocated_storage = 20, .storage_type = "gp3"};
    params *p = parse(body);
    bool ok = store_begin(R.st) && instrow_restore(&R, p, id, &src, out, err);
    if (ok)
        ok = store_commit(R.st);
    else
        store_rollback(R.st);
    params_free(p);
    return ok;
}

static void test_windows(void)
{
    char *seen_backup[12], *seen_maint[12];
    bool all_valid = true;
    int distinct = 0;
    for (int i = 0; i < 12; i++) {
        char id[16];
        snprintf(id, sizeof id, "win%d", i);
        store_instance in = {0};
        awserr err = {0};
        bool ok = restore("Action=RestoreDBInstanceToPointInTime", id, &in, &err);
        awserr e = {0};
        all_valid &= ok && window_in_block(in.backup_window, 3 * 60, 10 * 60) &&
                     maintenance_ok(in.maintenance_window) &&
                     validate_windows_disjoint(in.backup_window, in.maintenance_window, &e);
        seen_backup[i] = xstrdup(ok ? in.backup_window : "");
        seen_maint[i] = xstrdup(ok ? in.maintenance_window : "");
        for (int k = 0; k < i; k++)
            if (strcmp(seen_backup[k], seen_backup[i]) != 0 ||
                strcmp(seen_maint[k], seen_maint[i]) != 0) {
                distinct++;
                break;
            }
        store_instance_clear(&in);
    }
    ok(all_valid, "twelve restores: each a valid 30-minute backup window in 03:00-10:30 and a "
                  "maintenance window in 12:00-19:30 of one day, not overlapping");
    ok(distinct > 0, "the windows are RDS's random ones, not one fixed pair");
    for (int i = 0; i < 12; i++) {
        free(seen_backup[i]);
        free(seen_maint[i]);
    }

    store_instance in = {0};
    awserr err = {0};
    ok(restore("Action=RestoreDBInstanceToPointInTime&PreferredBackupWindow=12:00-17:00",
               "givenwin", &in, &err),
       "a restore with PreferredBackupWindow");
    is_str(in.backup_window, "12:00-17:00", "  ... keeps it");
    awserr e = {0};
    ok(in.maintenance_window && maintenance_ok(in.maintenance_window) &&
           validate_windows_disjoint(in.backup_window, in.maintenance_window, &e),
       "  ... and its random maintenance window moves clear of it");
    store_instance_clear(&in);
    err = (awserr){0};
    ok(!restore("Action=RestoreDBInstanceToPointInTime&PreferredBackupWindow=3:00", "badwin",
                &in, &err) &&
           err.code == AWSERR_INVALID_PARAMETER_VALUE,
       "a malformed PreferredBackupWindow: InvalidParameterValue");
}

static void test_network(const char *sg)
{
    store_instance in = {0};
    awserr err = {0};
    char *body = xasprintf("Action=RestoreDBInstanceToPointInTime&DBSubnetGroupName=Apps&"
                           "VpcSecurityGroupIds.VpcSecurityGroupId.1=%s&"
                           "AvailabilityZone=us-east-1b",
                           sg);
    ok(restore(body, "netpitr", &in, &err), "a restore into a subnet group with a security group");
    free(body);
    cJSON *o = network_of(&in);
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "DBSubnetGroup");
    const cJSON *gn = cJSON_GetObjectItemCaseSensitive(g, "DBSubnetGroupName");
    is_str(cJSON_IsString(gn) ? gn->valuestring : NULL, "apps", "  ... its DBSubnetGroup is it");
    const cJSON *sgs = cJSON_GetObjectItemCaseSensitive(o, "VpcSecurityGroups");
    const cJSON *first = cJSON_GetArrayItem(sgs, 0);
    const cJSON *sid = cJSON_GetObjectItemCaseSensitive(first, "VpcSecurityGroupId");
    ok(cJSON_GetArraySize(sgs) == 1 && cJSON_IsString(sid) && strcmp(sid->valuestring, sg) == 0,
       "  ... its VpcSecurityGroups are the request's");
    ok(!instnet_public(&in), "  ... not publicly accessible (a group of its own, as RDS)");
    cJSON_Delete(o);
    store_instance_clear(&in);

    ok(restore("Action=RestoreDBInstanceToPointInTime&PubliclyAccessible=false", "netdefault",
               &in, &err),
       "a restore with no network settings");
    o = network_of(&in);
    sgs = cJSON_GetObjectItemCaseSensitive(o, "VpcSecurityGroups");
    sid = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(sgs, 0), "VpcSecurityGroupId");
    gn = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "DBSubnetGroup"),
                                          "DBSubnetGroupName");
    ok(cJSON_IsString(sid) && strcmp(sid->valuestring, EC2_DEFAULT_SG_ID) == 0 &&
           cJSON_IsString(gn) && strcmp(gn->valuestring, SUBNETGROUP_DEFAULT) == 0,
       "  ... is in the default group with the VPC's default security group");
    ok(!instnet_public(&in), "  ... and PubliclyAccessible=false is kept");
    ok(!instextra_iam_db_auth(&in), "  ... IAM database authentication off by default");
    cJSON_Delete(o);
    store_instance_clear(&in);
    ok(restore("Action=RestoreDBInstanceToPointInTime&EnableIAMDatabaseAuthentication=true",
               "iamrestore", &in, &err) && instextra_iam_db_auth(&in),
       "a restore with EnableIAMDatabaseAuthentication=true keeps it");
    store_instance_clear(&in);
    err = (awserr){0};
    ok(!restore("Action=RestoreDBInstanceToPointInTime&EnableIAMDatabaseAuthentication=maybe",
                "iambad", &in, &err) && err.code == AWSERR_INVALID_PARAMETER_VALUE,
       "EnableIAMDatabaseAuthentication=maybe: InvalidParameterValue");

    static const struct {
        const char *name, *body;
        awserr_code code;
    } refused[] = {
        {"an unknown DBSubnetGroupName: DBSubnetGroupNotFoundFault",
         "Action=X&DBSubnetGroupName=nope", AWSERR_DB_SUBNET_GROUP_NOT_FOUND},
        {"an unknown security group: InvalidParameterValue",
         "Action=X&VpcSecurityGroupIds.VpcSecurityGroupId.1=sg-00000000000000bad",
         AWSERR_INVALID_PARAMETER_VALUE},
        {"an AZ the group does not cover: InvalidParameterCombination",
         "Action=X&DBSubnetGroupName=apps&AvailabilityZone=us-east-1c",
         AWSERR_INVALID_PARAMETER_COMBINATION},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        err = (awserr){0};
        ok(!restore(refused[i].body, "refused", &in, &err) && err.code == refused[i].code,
           refused[i].name);
    }
    bool found = true;
    store_instance_get(R.st, "refused", &in, &found);
    ok(!found, "a refused restore leaves no row");
    store_instance_clear(&in);
}

/* The real RestoreDBInstanceFromDBSnapshot path, from an available row. */
static void test_snapshot_restore(const char *sg)
{
    snaprow s = {.id = (char *)"snap1", .instance_id = (char *)"gone",
                 .resource_id = (char *)"db-GONE", .type = (char *)"manual",
                 .status = SNAP_AVAILABLE, .created_ms = 1,
                 .engine_version = (char *)"15.18", .db_class = (char *)"db.t3.small",
                 .master_username = (char *)"admin", .master_verifier = (char *)"SCRAM-SHA-256$4096:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg=",
                 .port = 6543, .allocated_storage = 20, .storage_type = (char *)"gp3",
                 .instance_created_ms = 1};
    ok(snaprow_insert(&R, &s), "an available snapshot row");
    char *body = xasprintf("Action=RestoreDBInstanceFromDBSnapshot&DBSnapshotIdentifier=snap1&"
                           "DBSubnetGroupName=apps&VpcSecurityGroupIds.VpcSecurityGroupId.1=%s&"
                           "PubliclyAccessible=true",
                           sg);
    params *p = parse(body);
    store_instance in = {0};
    awserr err = {0};
    ok(snapshot_restore(&R, p, "fromsnap", &in, &err), "snapshot_restore with network settings");
    ok(in.port == 6543 && strcmp(in.db_class, "db.t3.small") == 0 &&
           in.status == STATUS_CREATING && strncmp(in.resource_id, "db-", 3) == 0,
       "  ... the snapshot's settings, `creating`, a fresh DbiResourceId");
    ok(window_in_block(in.backup_window, 3 * 60, 10 * 60) && maintenance_ok(in.maintenance_window),
       "  ... random windows like a create (not a fixed 03:00-03:30)");
    cJSON *o = network_of(&in);
    const cJSON *gn = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(o, "DBSubnetGroup"), "DBSubnetGroupName");
    const cJSON *sid = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "VpcSecurityGroups"), 0),
        "VpcSecurityGroupId");
    ok(cJSON_IsString(gn) && strcmp(gn->valuestring, "apps") == 0 && cJSON_IsString(sid) &&
           strcmp(sid->valuestring, sg) == 0 && instnet_public(&in),
       "  ... its DBSubnetGroup, VpcSecurityGroups and PubliclyAccessible are the request's");
    cJSON_Delete(o);
    store_instance stored = {0};
    bool found = false;
    store_instance_get(R.st, "fromsnap", &stored, &found);
    ok(found && strcmp(stored.backup_window, in.backup_window) == 0 &&
           strcmp(stored.extra, in.extra) == 0,
       "  ... as stored");
    store_instance_clear(&stored);
    cJSON *spec = cJSON_CreateObject();
    snapshot_spec_restore(&R, "fromsnap", spec);
    ok(cJSON_GetObjectItemCaseSensitive(spec, "restore") != NULL,
       "  ... and its primary's spec restores from the snapshot");
    cJSON_Delete(spec);
    store_instance_clear(&in);
    params_free(p);
    free(body);
}

int main(void)
{
    char dir[] = "/tmp/rdsim-instrow-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *home = xasprintf("%s/controlplane", dir);
    fs_mkdir_p(home, 0700);
    char *cache = xasprintf("%s/pg-describe-config.txt", home);
    fs_write_atomic(cache, catalogue, strlen(catalogue), 0600);
    char *path = xasprintf("%s/cp.db", home);
    R.cfg.name = "us-east-1";
    R.cfg.account = "123456789012";
    R.cfg.azs[0] = "us-east-1a";
    R.cfg.azs[1] = "us-east-1b";
    R.cfg.azs[2] = "us-east-1c";
    R.cfg.naz = 3;
    R.home = home;
    R.pg_version = (char *)"15.18";
    R.pg_major = (char *)"15";
    R.st = store_open(path);
    char *mk = xasprintf("%s/kms-master.key", home);
    kms_config kc = {.region = "us-east-1", .account = "123456789012", .master_key_path = mk};
    R.kms = R.st ? kms_open(store_sqlite(R.st), &kc) : NULL;
    free(mk);
    R.agents = agents_new();
    ok(R.st && ec2_open(&R) && paramgroup_open(&R) && workflow_register(&R, wfkinds_all), "a region's store, network and parameters");

    char *sn1 = ec2_call("Action=CreateSubnet&Version=2016-11-15&AvailabilityZone=us-east-1a&"
                         "CidrBlock=127.0.101.0%2F24", "subnetId");
    char *sn2 = ec2_call("Action=CreateSubnet&Version=2016-11-15&AvailabilityZone=us-east-1b&"
                         "CidrBlock=127.0.102.0%2F24", "subnetId");
    char *sg = ec2_call("Action=CreateSecurityGroup&Version=2016-11-15&GroupName=apps&"
                        "GroupDescription=apps", "groupId");
    char *body = xasprintf("Action=CreateDBSubnetGroup&DBSubnetGroupName=apps&"
                           "DBSubnetGroupDescription=apps&SubnetIds.SubnetIdentifier.1=%s&"
                           "SubnetIds.SubnetIdentifier.2=%s",
                           sn1, sn2);
    params *p = parse(body);
    cJSON *result = cJSON_CreateObject();
    awserr err = {0};
    ok(strncmp(sg, "sg-", 3) == 0 && subnetgroup_action_create(&R, p, result, &err),
       "a security group and a DB subnet group over two AZs");
    cJSON_Delete(result);
    params_free(p);
    free(body);

    test_windows();
    test_network(sg);
    test_snapshot_restore(sg);

    char *w = instrow_default_backup_window();
    ok(window_in_block(w, 3 * 60, 10 * 60), "instrow_default_backup_window: a slot of 03:00-10:30");
    free(w);
    w = instrow_default_maintenance_window();
    ok(maintenance_ok(w), "instrow_default_maintenance_window: a slot of 12:00-19:30, one day");
    free(w);

    paramgroup_close(&R);
    free(sn1);
    free(sn2);
    free(sg);
    fs_rm_rf(dir);
    free(path);
    free(cache);
    free(home);
    return done_testing();
}
