/* Unit tests for controlplane/domain/clustersnap and clusterpitr over a
 * real store in a temp dir (no agents, no children): a cluster snapshot is
 * a db_snapshots row "cluster:<id>" plus its cluster's side, listed by
 * DescribeDBClusterSnapshots and never by the DB snapshot actions; its
 * errors; a restore inserts three members whose writer's spec restores
 * the snapshot's object, on the requested port; the cluster's backups are
 * its first member's; deleting the snapshot's row takes its side along;
 * KmsKeyId on both restores; automated snapshots (base backups) named
 * uniquely within a minute and restored from their base alone; retention
 * keeps a minute's earlier bases while a later one stays, so names never
 * move; CopyDBClusterSnapshot of an automated one is a manual copy of its
 * base's object. */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/agents.h"
#include "controlplane/core/kms.h"
#include "controlplane/core/query.h"
#include "controlplane/core/region.h"
#include "controlplane/core/restoretoken.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/cluster.h"
#include "controlplane/domain/abstore.h"
#include "controlplane/domain/autobackup.h"
#include "controlplane/domain/clusterapi.h"
#include "controlplane/domain/clusterpitr.h"
#include "controlplane/domain/clustersnap.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/domain/restoresrc.h"
#include "controlplane/domain/snapshot.h"
#include "controlplane/domain/snaprow.h"
#include "controlplane/domain/wfkinds.h"
#include "controlplane/net/ec2.h"
#include "controlplane/net/subnetgroup.h"
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

static region R;

static const char catalogue[] =
    "work_mem\tuser\tResource Usage / Memory\tINTEGER\t0\t64\t2147483647\tSets the maximum "
    "memory to be used for query workspaces.\t\n";

typedef bool (*action_fn)(region *, const params *, cJSON *, awserr *);

/* Runs an action on a form body; the error code's wire name ("" on
 * success) into code, the result kept in *out (owned) when given. */
static const char *run(action_fn fn, const char *body, cJSON **out)
{
    static char code[64];
    awserr err = {0};
    params *p = params_parse(body, strlen(body), &err);
    cJSON *result = cJSON_CreateObject();
    bool ok = p && fn(&R, p, result, &err);
    snprintf(code, sizeof code, "%s", ok ? "" : awserr_wire_code(err.code));
    params_free(p);
    if (out)
        *out = result;
    else
        cJSON_Delete(result);
    return code;
}

/* An EC2 call; the value of <tag> in its answer (malloc'd). */
static char *ec2_call(const char *body, const char *tag)
{
    awserr err = {0};
    params *p = params_parse(body, strlen(body), &err);
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
    return v;
}

/* A DB subnet group "trio" over the region's three AZs. */
static bool make_trio(void)
{
    char *sn[3];
    for (int i = 0; i < 3; i++) {
        char *body = xasprintf("Action=CreateSubnet&Version=2016-11-15&AvailabilityZone=%s&"
                               "CidrBlock=127.0.%d.0%%2F24", R.cfg.azs[i], 101 + i);
        sn[i] = ec2_call(body, "subnetId");
        free(body);
    }
    char *body = xasprintf("DBSubnetGroupName=trio&DBSubnetGroupDescription=trio&"
                           "SubnetIds.SubnetIdentifier.1=%s&SubnetIds.SubnetIdentifier.2=%s&"
                           "SubnetIds.SubnetIdentifier.3=%s", sn[0] ? sn[0] : "", sn[1] ? sn[1] : "",
                           sn[2] ? sn[2] : "");
    bool ok = strcmp(run(subnetgroup_action_create, body, NULL), "") == 0;
    free(body);
    for (int i = 0; i < 3; i++)
        free(sn[i]);
    return ok;
}

static int count_rows(const char *sql)
{
    sqlite3_stmt *st = sqlrow_prepare(R.st, sql);
    int n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

static void set_available(const char *id)
{
    cluster_row c;
    if (!cluster_get(&R, id, &c))
        return;
    c.status = CLUSTER_AVAILABLE;
    cluster_update(&R, &c);
    store_instance in = {0};
    bool found = false;
    store_instance_get(R.st, c.writer, &in, &found);
    in.status = STATUS_AVAILABLE;
    if (found)
        store_instance_update(R.st, &in);
    store_instance_clear(&in);
    cluster_clear(&c);
}

static int64_t retention_of(const char *instance_id)
{
    store_instance in = {0};
    bool found = false;
    store_instance_get(R.st, instance_id, &in, &found);
    int64_t v = found ? in.backup_retention : -1;
    store_instance_clear(&in);
    return v;
}

static void test_snapshots(void)
{
    is_str(run(clusterapi_create, "DBClusterIdentifier=c1&Engine=postgres&"
               "DBClusterInstanceClass=db.t3.micro&AllocatedStorage=100&StorageType=io1&"
               "Iops=1000&MasterUsername=app&MasterUserPassword=s3cret-pass&"
               "BackupRetentionPeriod=3&DBSubnetGroupName=trio", NULL), "", "CreateDBCluster c1");
    ok(retention_of("c1-instance-1") == 3 && retention_of("c1-instance-2") == 0 &&
           retention_of("c1-instance-3") == 0,
       "the cluster's retention is its first member's only");
    ok(clusterpitr_is_backup_member("c1", "c1-instance-1") &&
           !clusterpitr_is_backup_member("c1", "c1-instance-2"),
       "clusterpitr_is_backup_member");
    is_str(run(clustersnap_action_create, "DBClusterSnapshotIdentifier=s1&DBClusterIdentifier=c1",
               NULL), "InvalidDBClusterStateFault", "no snapshot of a creating cluster");
    set_available("c1");
    cJSON *res = NULL;
    is_str(run(clustersnap_action_create, "DBClusterSnapshotIdentifier=S1&DBClusterIdentifier=c1&"
               "Tags.Tag.1.Key=k&Tags.Tag.1.Value=v", &res), "", "CreateDBClusterSnapshot S1");
    const cJSON *snap = cJSON_GetObjectItem(res, "DBClusterSnapshot");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(snap, "DBClusterSnapshotIdentifier")), "s1",
           "the identifier is lowercased");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(snap, "Status")), "creating", "creating");
    cJSON_Delete(res);
    ok(count_rows("SELECT count(*) FROM db_snapshots WHERE id='cluster:s1' AND "
                  "instance_id='c1-instance-1'") == 1,
       "its db_snapshots row is cluster:s1, of the writer");
    is_str(run(clustersnap_action_create, "DBClusterSnapshotIdentifier=s1&DBClusterIdentifier=c1",
               NULL), "DBClusterSnapshotAlreadyExistsFault", "the same identifier again");
    is_str(run(clustersnap_action_create, "DBClusterSnapshotIdentifier=s2&DBClusterIdentifier=nope",
               NULL), "DBClusterNotFoundFault", "an unknown cluster");
    is_str(run(snapshot_action_describe, "DBSnapshotIdentifier=cluster:s1", NULL),
           "DBSnapshotNotFound", "DescribeDBSnapshots does not see it");
    is_str(run(snapshot_action_delete, "DBSnapshotIdentifier=arn:aws:rds:us-east-1:123456789012:"
               "snapshot:cluster:s1", NULL), "DBSnapshotNotFound",
           "nor does DeleteDBSnapshot by ARN");
    is_str(run(clustersnap_action_restore, "DBClusterIdentifier=r1&SnapshotIdentifier=s1&"
               "Engine=postgres", NULL), "InvalidDBClusterSnapshotStateFault",
           "no restore from a creating snapshot");
    is_str(run(clustersnap_action_delete, "DBClusterSnapshotIdentifier=s1", NULL),
           "InvalidDBClusterSnapshotStateFault", "no delete while creating");
    ok(store_begin(R.st) && snaprow_finish(&R, "cluster:s1", true, 10, NULL, 1) &&
           store_commit(R.st), "the snapshot made");
    res = NULL;
    is_str(run(clustersnap_action_describe, "DBClusterSnapshotIdentifier=arn:aws:rds:us-east-1:"
               "123456789012:cluster-snapshot:s1", &res), "", "described by its ARN");
    const cJSON *list = cJSON_GetObjectItem(res, "DBClusterSnapshots");
    snap = cJSON_GetArrayItem(list, 0);
    ok(cJSON_GetArraySize(list) == 1 &&
           strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(snap, "DBClusterIdentifier")), "c1") == 0 &&
           strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(snap, "Status")), "available") == 0 &&
           cJSON_GetObjectItem(snap, "PercentProgress")->valueint == 100,
       "available, of c1, 100%%");
    cJSON_Delete(res);
    is_str(run(clustersnap_action_describe, "SnapshotType=bogus", NULL), "InvalidParameterValue",
           "a bad SnapshotType");
    is_str(run(clustersnap_action_describe, "Filters.Filter.1.Name=nope&"
               "Filters.Filter.1.Values.Value.1=x", NULL), "InvalidParameterValue",
           "an unknown filter");
}

static void test_restore(void)
{
    is_str(run(clustersnap_action_restore, "DBClusterIdentifier=r1&SnapshotIdentifier=s1&"
               "Engine=mysql", NULL), "InvalidParameterValue", "a restore of another engine");
    is_str(run(clustersnap_action_restore, "DBClusterIdentifier=c1&SnapshotIdentifier=s1&"
               "Engine=postgres", NULL), "DBClusterAlreadyExistsFault", "onto an existing cluster");
    is_str(run(clustersnap_action_restore, "DBClusterIdentifier=r1&SnapshotIdentifier=s1&"
               "Engine=postgres&StorageType=gp2", NULL), "StorageTypeNotSupported",
           "a storage type no cluster has");
    cJSON *res = NULL;
    is_str(run(clustersnap_action_restore, "DBClusterIdentifier=r1&SnapshotIdentifier=s1&"
               "Engine=postgres&Port=5433&DBSubnetGroupName=trio", &res), "",
           "RestoreDBClusterFromSnapshot r1");
    const cJSON *c = cJSON_GetObjectItem(res, "DBCluster");
    ok(cJSON_GetObjectItem(c, "Port")->valueint == 5433 &&
           cJSON_GetArraySize(cJSON_GetObjectItem(c, "DBClusterMembers")) == 3,
       "three members on port 5433");
    cJSON_Delete(res);
    cJSON *spec = cJSON_CreateObject();
    snapshot_spec_restore(&R, "r1-instance-1", spec);
    const char *path = cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "restore"), "path"));
    ok(path && strstr(path, "/snapshots/cluster:s1/base.tar.env"),
       "the writer's spec restores the snapshot's object");
    /* Issue 17 part 4: paths in loopback mode; with --agent-addr, a URL
     * of the agents' door whose token is that node's, kind's and path's. */
    char *saved = xstrdup(path);
    restoresrc_spec_urls(&R, "r1-instance-1-1", spec);
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "restore"), "path")),
           saved, "no --agent-addr: the path stays");
    R.cfg.agent_addr = "100.64.0.1";
    R.api_port = 8780;
    memset(R.restore_key, 3, sizeof R.restore_key);
    R.restore_key_ok = true;
    restoresrc_spec_urls(&R, "r1-instance-1-1", spec);
    const char *url = cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "restore"), "path"));
    char tok[RESTORETOKEN_HEX + 1] = "";
    const char *pre = "http://100.64.0.1:8780/agent/v1/restore/r1-instance-1-1/";
    ok(url && strncmp(url, pre, strlen(pre)) == 0 && strlen(url) == strlen(pre) + 64 + 5 &&
           strcmp(url + strlen(url) - 5, "/base") == 0,
       "with --agent-addr: a URL of the agents' door");
    if (url && strlen(url) == strlen(pre) + 64 + 5)
        snprintf(tok, sizeof tok, "%.64s", url + strlen(pre));
    ok(restoretoken_check(R.restore_key, "r1-instance-1-1", "base", saved, tok),
       "its token is the node's, for the base, for that object");
    ok(!restoretoken_check(R.restore_key, "r1-instance-2-1", "base", saved, tok),
       "and not another node's");
    R.cfg.agent_addr = NULL;
    R.restore_key_ok = false;
    free(saved);
    cJSON_Delete(spec);
    spec = cJSON_CreateObject();
    snapshot_spec_restore(&R, "r1-instance-2", spec);
    ok(!cJSON_GetObjectItem(spec, "restore"), "a reader's does not (it is built from the writer)");
    cJSON_Delete(spec);
    clustersnap_forget_restores(&R, "r1");
    spec = cJSON_CreateObject();
    snapshot_spec_restore(&R, "r1-instance-1", spec);
    ok(!cJSON_GetObjectItem(spec, "restore"), "forgotten when the cluster is deleted");
    cJSON_Delete(spec);
    is_str(run(clusterpitr_action_restore, "DBClusterIdentifier=p1&SourceDBClusterIdentifier=c1&"
               "UseLatestRestorableTime=true&DBSubnetGroupName=trio", NULL), "InvalidRestoreFault",
           "no point-in-time restore before the first backup");
    is_str(run(clusterpitr_action_restore, "DBClusterIdentifier=p1&SourceDBClusterIdentifier=nope&"
               "UseLatestRestorableTime=true", NULL), "DBClusterNotFoundFault",
           "nor of an unknown cluster");
    is_str(run(clusterpitr_action_restore, "DBClusterIdentifier=p1&SourceDBClusterIdentifier=c1&"
               "RestoreType=copy-on-write&UseLatestRestorableTime=true", NULL),
           "InvalidParameterValue", "copy-on-write");
    is_str(run(clustersnap_action_delete, "DBClusterSnapshotIdentifier=s1", NULL), "",
           "DeleteDBClusterSnapshot s1");
    ok(count_rows("SELECT count(*) FROM db_cluster_snapshots") == 0 &&
           count_rows("SELECT count(*) FROM db_snapshots") == 0,
       "both rows are gone");
    is_str(run(clustersnap_action_describe, "DBClusterSnapshotIdentifier=s1", NULL),
           "DBClusterSnapshotNotFoundFault", "s1 is no more");
}

static const char *str_of(const cJSON *o, const char *k)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
    return v ? v : "";
}

/* A customer key's ARN (static), disabled when !enabled. */
static const char *new_key(bool enabled)
{
    static char arn[2][KMS_ARN_MAX];
    kms_key k = {0};
    kms_err e = {0};
    bool ok = kms_key_create(R.kms, "t", &k, &e) &&
              (enabled || kms_key_set_enabled(R.kms, k.arn, false, &e));
    snprintf(arn[enabled], sizeof arn[0], "%s", ok ? k.arn : "none");
    kms_key_clear(&k);
    return arn[enabled];
}

static void test_restore_kms(void)
{
    const char *key = new_key(true), *off = new_key(false);
    is_str(run(clustersnap_action_restore, "DBClusterIdentifier=k1&SnapshotIdentifier=s1&"
               "Engine=postgres&KmsKeyId=alias/nope", NULL), "KMSKeyNotAccessibleFault",
           "KmsKeyId: an unknown key");
    char *body = xasprintf("DBClusterIdentifier=k1&SnapshotIdentifier=s1&Engine=postgres&"
                           "KmsKeyId=%s", off);
    is_str(run(clustersnap_action_restore, body, NULL), "KMSKeyNotAccessibleFault",
           "KmsKeyId: a disabled key");
    free(body);
    ok(count_rows("SELECT count(*) FROM db_clusters WHERE id='k1'") == 0,
       "neither left a cluster");
    body = xasprintf("DBClusterIdentifier=k1&SnapshotIdentifier=s1&Engine=postgres&"
                     "DBSubnetGroupName=trio&KmsKeyId=%s", key);
    cJSON *res = NULL;
    is_str(run(clustersnap_action_restore, body, &res), "",
           "RestoreDBClusterFromSnapshot of the unencrypted s1 with KmsKeyId");
    free(body);
    const cJSON *c = cJSON_GetObjectItem(res, "DBCluster");
    ok(cJSON_IsTrue(cJSON_GetObjectItem(c, "StorageEncrypted")) &&
           strcmp(str_of(c, "KmsKeyId"), key) == 0,
       "k1 is encrypted with the key");
    cJSON_Delete(res);
    store_instance m = {0};
    bool found = false;
    store_instance_get(R.st, "k1-instance-1", &m, &found);
    ok(found && m.storage_encrypted && m.kms_key_id && strcmp(m.kms_key_id, key) == 0,
       "so is its first member, whose backups abjob seals under its key");
    store_instance_clear(&m);
    res = NULL;
    is_str(run(clustersnap_action_restore, "DBClusterIdentifier=k2&SnapshotIdentifier=s1&"
               "Engine=postgres&DBSubnetGroupName=trio", &res), "", "without KmsKeyId");
    c = cJSON_GetObjectItem(res, "DBCluster");
    ok(cJSON_IsFalse(cJSON_GetObjectItem(c, "StorageEncrypted")) &&
           !cJSON_GetObjectItem(c, "KmsKeyId"),
       "an unencrypted snapshot gives an unencrypted cluster");
    cJSON_Delete(res);
    body = xasprintf("DBClusterIdentifier=p9&SourceDBClusterIdentifier=c1&"
                     "UseLatestRestorableTime=true&KmsKeyId=%s", key);
    is_str(run(clusterpitr_action_restore, body, NULL), "InvalidParameterCombination",
           "a point-in-time restore of the unencrypted c1 with KmsKeyId");
    free(body);
    body = xasprintf("DBClusterIdentifier=k3&SnapshotIdentifier=s1&Engine=postgres&"
                     "DBSubnetGroupName=trio&KmsKeyId=%s", key);
    is_str(run(clustersnap_action_restore, body, NULL), "", "k3 encrypted too");
    free(body);
}

static bool add_base(const char *rid, const char *id, int64_t start_ms)
{
    sqlite3_stmt *st = sqlrow_prepare(R.st, "INSERT INTO ab_bases(id, resource_id, status,"
                                            " start_ms, end_ms, size_bytes)"
                                            " VALUES(?,?,'available',?,?,1)");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, id);
    sqlrow_bind_text(st, 2, rid);
    sqlite3_bind_int64(st, 3, start_ms);
    sqlite3_bind_int64(st, 4, start_ms + 1000);
    return sqlrow_run(st);
}

/* The automated snapshots of cluster as "name|KmsKeyId,..." (malloc'd). */
static char *autos_of(const char *cluster)
{
    char *body = xasprintf("DBClusterIdentifier=%s&SnapshotType=automated", cluster);
    cJSON *res = NULL;
    run(clustersnap_action_describe, body, &res);
    free(body);
    char *out = xstrdup("");
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(res, "DBClusterSnapshots"))
    {
        char *next = xasprintf("%s%s%s|%s", out, *out ? "," : "",
                               str_of(s, "DBClusterSnapshotIdentifier"), str_of(s, "KmsKeyId"));
        free(out);
        out = next;
    }
    cJSON_Delete(res);
    return out;
}

static void test_automated(void)
{
    /* k3 (encrypted): three bases, two of them in 2030-01-02 10:05. */
    store_instance m = {0};
    bool found = false;
    store_instance_get(R.st, "k3-instance-1", &m, &found);
    const int64_t t = 1893578700000; /* 2030-01-02T10:05:00Z */
    ok(found && store_begin(R.st) && abstore_upsert_active(&R, &m) &&
           add_base(m.resource_id, "b1", t + 1000) && add_base(m.resource_id, "b2", t + 30000) &&
           add_base(m.resource_id, "b3", t + 61000) && store_commit(R.st),
       "k3's automated backups: three bases");
    char *want = xasprintf("rds:k3-2030-01-02-10-05|%s,rds:k3-2030-01-02-10-05-2|%s,"
                           "rds:k3-2030-01-02-10-06|%s", m.kms_key_id, m.kms_key_id,
                           m.kms_key_id);
    char *got = autos_of("k3");
    is_str(got, want, "listed with unique names, the second of a minute -2, with k3's key");
    free(got);
    free(want);
    cJSON *res = NULL;
    is_str(run(clustersnap_action_restore, "DBClusterIdentifier=a1&Engine=postgres&"
               "SnapshotIdentifier=rds:k3-2030-01-02-10-05-2&DBSubnetGroupName=trio", &res), "",
           "RestoreDBClusterFromSnapshot of an automated snapshot");
    const cJSON *c = cJSON_GetObjectItem(res, "DBCluster");
    ok(cJSON_IsTrue(cJSON_GetObjectItem(c, "StorageEncrypted")) &&
           strcmp(str_of(c, "KmsKeyId"), m.kms_key_id) == 0 &&
           cJSON_GetArraySize(cJSON_GetObjectItem(c, "DBClusterMembers")) == 3,
       "three members, encrypted with the source's key (no KmsKeyId)");
    cJSON_Delete(res);
    cJSON *spec = cJSON_CreateObject();
    snapshot_spec_restore(&R, "a1-instance-1", spec);
    autobackup_spec_restore(&R, "a1-instance-1", spec);
    const cJSON *rs = cJSON_GetObjectItem(spec, "restore");
    char *obj = abstore_base_object(&R, m.resource_id, "b2");
    ok(strcmp(str_of(rs, "path"), obj) == 0 && !cJSON_GetObjectItem(rs, "wal") &&
           !cJSON_GetObjectItem(rs, "target"),
       "its writer restores that base's object alone (no WAL, no target)");
    free(obj);
    cJSON_Delete(spec);
    store_instance w = {0};
    found = false;
    store_instance_get(R.st, "a1-instance-1", &w, &found);
    ok(found && w.master_verifier && m.master_verifier &&
           strcmp(w.master_verifier, m.master_verifier) == 0,
       "with the source's master user verifier");
    store_instance_clear(&w);
    is_str(run(clustersnap_action_restore, "DBClusterIdentifier=a2&Engine=postgres&"
               "SnapshotIdentifier=rds:k3-2030-01-02-10-07", NULL),
           "DBClusterSnapshotNotFoundFault", "an automated name with no base");
    is_str(run(clustersnap_action_delete, "DBClusterSnapshotIdentifier=rds:k3-2030-01-02-10-05-2",
               NULL), "InvalidDBClusterSnapshotStateFault", "still not deletable");
    store_instance_clear(&m);
}

/* Retention's naming rule: b[k] as k3's bases b1..b3 above. */
static void test_auto_keep(void)
{
    const int64_t t = 1893578700000; /* 2030-01-02T10:05:00Z */
    abstore_base b[3] = {{.id = (char *)"b1", .start_ms = t + 1000},
                         {.id = (char *)"b2", .start_ms = t + 30000},
                         {.id = (char *)"b3", .start_ms = t + 61000}};
    abstore_clock clk = {0};
    bool keep[3] = {false, true, true};
    clustersnap_auto_keep(&clk, b, 3, keep);
    ok(keep[0] && keep[1] && keep[2],
       "b1 is kept while b2 (-2, of its minute) is: b2's name cannot move to the plain one");
    bool keep2[3] = {false, false, true};
    clustersnap_auto_keep(&clk, b, 3, keep2);
    ok(!keep2[0] && !keep2[1] && keep2[2], "a minute whose bases all go goes whole");
    bool keep3[3] = {true, false, true};
    clustersnap_auto_keep(&clk, b, 3, keep3);
    ok(keep3[0] && !keep3[1] && keep3[2], "a later base of a minute is not kept for an earlier");
    /* The region clock 2 min ahead: minutes are the region's. */
    abstore_clock ahead = {.current = 120000};
    bool keep4[3] = {false, true, false};
    clustersnap_auto_keep(&ahead, b, 3, keep4);
    ok(keep4[0] && keep4[1] && !keep4[2], "minutes on the region clock");
}

static void test_auto_copy(void)
{
    store_instance m = {0};
    bool found = false;
    store_instance_get(R.st, "k3-instance-1", &m, &found);
    const char *src = "rds:k3-2030-01-02-10-05-2";
    char *body = xasprintf("SourceDBClusterSnapshotIdentifier=%s&"
                           "TargetDBClusterSnapshotIdentifier=k3-keep", src);
    cJSON *res = NULL;
    is_str(run(clustersnap_action_copy, body, &res), "", "CopyDBClusterSnapshot of an automated one");
    free(body);
    const cJSON *c = cJSON_GetObjectItem(res, "DBClusterSnapshot");
    char *arn = xasprintf("arn:aws:rds:us-east-1:123456789012:cluster-snapshot:%s", src);
    ok(strcmp(str_of(c, "SnapshotType"), "manual") == 0 &&
           strcmp(str_of(c, "Status"), "creating") == 0 &&
           strcmp(str_of(c, "DBClusterIdentifier"), "k3") == 0 &&
           strcmp(str_of(c, "SourceDBClusterSnapshotArn"), arn) == 0 &&
           strcmp(str_of(c, "KmsKeyId"), m.kms_key_id ? m.kms_key_id : "?") == 0,
       "the copy is manual, creating, of k3, from the automated one's ARN, under k3's key");
    free(arn);
    cJSON_Delete(res);
    char *obj = clustersnap_object(&R, "cluster:rds:k3-2030-01-02-10-05-2");
    char *want = abstore_base_object(&R, m.resource_id, "b2");
    ok(obj && strcmp(obj, want) == 0, "the copy's child reads the base's object");
    free(obj);
    free(want);
    obj = clustersnap_object(&R, "cluster:k3-keep");
    want = snaprow_object(&R, "cluster:k3-keep");
    ok(obj && strcmp(obj, want) == 0, "a manual snapshot's object is its own");
    free(obj);
    free(want);
    ok(clustersnap_object(&R, "cluster:rds:k3-2030-01-02-10-07") == NULL,
       "an automated name with no base has no object");
    body = xasprintf("SourceDBClusterSnapshotIdentifier=%s&"
                     "TargetDBClusterSnapshotIdentifier=rds:k3-mine", src);
    is_str(run(clustersnap_action_copy, body, NULL), "InvalidParameterValue",
           "a target named rds:...: refused");
    free(body);
    is_str(run(clustersnap_action_copy, "SourceDBClusterSnapshotIdentifier=rds:k3-2030-01-02-10-07&"
               "TargetDBClusterSnapshotIdentifier=k3-x", NULL),
           "DBClusterSnapshotNotFoundFault", "an automated name with no base: not found");
    /* The copy outlives its base: once made, it is an ordinary manual one. */
    bool began = store_begin(R.st);
    sqlite3_stmt *st = sqlrow_prepare(R.st, "UPDATE db_snapshots SET status='available'"
                                            " WHERE id='cluster:k3-keep'");
    ok(began && st && sqlrow_run(st) && (st = sqlrow_prepare(R.st, "DELETE FROM ab_bases WHERE id='b2'")) &&
           sqlrow_run(st) && store_commit(R.st),
       "the copy made, then retention prunes b2");
    is_str(run(clustersnap_action_describe, "DBClusterSnapshotIdentifier=k3-keep", NULL), "",
           "k3-keep is still described");
    is_str(run(clustersnap_action_restore, "DBClusterIdentifier=a3&Engine=postgres&"
               "SnapshotIdentifier=k3-keep&DBSubnetGroupName=trio", NULL), "",
           "and restored from");
    cJSON *spec = cJSON_CreateObject();
    snapshot_spec_restore(&R, "a3-instance-1", spec);
    want = snaprow_object(&R, "cluster:k3-keep");
    ok(strcmp(str_of(cJSON_GetObjectItem(spec, "restore"), "path"), want) == 0,
       "its writer restores the copy's own object");
    free(want);
    cJSON_Delete(spec);
    is_str(run(clustersnap_action_delete, "DBClusterSnapshotIdentifier=k3-keep", NULL), "",
           "and deleted, as any manual snapshot");
    store_instance_clear(&m);
}

int main(void)
{
    char dir[] = "/tmp/rdsim-clustersnap-XXXXXX";
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
    ok(R.st && ec2_open(&R) && paramgroup_open(&R) && workflow_register(&R, wfkinds_all),
       "a region's store, network and parameters");
    ok(make_trio(), "a DB subnet group over three AZs");
    test_snapshots();
    test_restore_kms();
    test_restore();
    test_automated();
    test_auto_keep();
    test_auto_copy();
    paramgroup_close(&R);
    agents_free(R.agents);
    kms_close(R.kms);
    store_close(R.st);
    fs_rm_rf(dir);
    free(path);
    free(cache);
    free(home);
    return done_testing();
}
