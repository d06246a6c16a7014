/* Unit tests for controlplane/core/restags (the tags of non-instance RDS
 * resources) and api/unknown (the answer for a service not served): the
 * tag rules as a table, storage, and the store's triggers that delete a
 * resource's tags (and a snapshot's attributes) with its row. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/api/unknown.h"
#include "controlplane/core/restags.h"
#include "controlplane/core/store.h"
#include "lib/tap.h"
#include "lib/util.h"

static params *parse(const char *body)
{
    awserr e = {0};
    return params_parse(body, strlen(body), &e);
}

static const struct {
    const char *name;
    const char *existing;
    const char *body;
    const char *want; /* NULL: refused with InvalidParameterValue */
} merge_cases[] = {
    {"one tag", NULL, "Tags.Tag.1.Key=env&Tags.Tag.1.Value=dev",
     "[{\"Key\":\"env\",\"Value\":\"dev\"}]"},
    {"an empty value is a value", NULL, "Tags.Tag.1.Key=k&Tags.Tag.1.Value=",
     "[{\"Key\":\"k\",\"Value\":\"\"}]"},
    {"no Value is \"\"", NULL, "Tags.Tag.1.Key=k", "[{\"Key\":\"k\",\"Value\":\"\"}]"},
    {"an equal key is replaced", "[{\"Key\":\"env\",\"Value\":\"dev\"}]",
     "Tags.Tag.1.Key=env&Tags.Tag.1.Value=prod", "[{\"Key\":\"env\",\"Value\":\"prod\"}]"},
    {"aws: is reserved", NULL, "Tags.Tag.1.Key=aws%3Ax&Tags.Tag.1.Value=1", NULL},
    {"AWS: is reserved too", NULL, "Tags.Tag.1.Key=AWS%3Ax&Tags.Tag.1.Value=1", NULL},
    {"an empty key", NULL, "Tags.Tag.1.Key=&Tags.Tag.1.Value=1", NULL},
    {"a gap in the positions", NULL, "Tags.Tag.2.Key=k", NULL},
};

static void test_merge(void)
{
    for (size_t i = 0; i < sizeof merge_cases / sizeof merge_cases[0]; i++) {
        params *p = parse(merge_cases[i].body);
        awserr e = {0};
        char *got = restags_merge(p, merge_cases[i].existing, &e);
        if (merge_cases[i].want)
            is_str(got, merge_cases[i].want, merge_cases[i].name);
        else
            ok(!got && e.code == AWSERR_INVALID_PARAMETER_VALUE, merge_cases[i].name);
        free(got);
        params_free(p);
    }
    /* 51 tags: over the limit. */
    char body[4096] = "";
    size_t off = 0;
    for (int i = 1; i <= RESTAGS_MAX + 1; i++)
        off += (size_t)snprintf(body + off, sizeof body - off, "%sTags.Tag.%d.Key=k%d",
                                i > 1 ? "&" : "", i, i);
    params *p = parse(body);
    awserr e = {0};
    char *got = restags_merge(p, NULL, &e);
    ok(!got && e.code == AWSERR_INVALID_PARAMETER_VALUE, "51 tags: refused (at most 50)");
    params_free(p);

    p = parse("TagKeys.member.1=a&TagKeys.member.2=zz");
    got = restags_remove(p, "[{\"Key\":\"a\",\"Value\":\"1\"},{\"Key\":\"b\",\"Value\":\"2\"}]",
                         &e);
    is_str(got, "[{\"Key\":\"b\",\"Value\":\"2\"}]", "remove: a key, an unknown key ignored");
    free(got);
    params_free(p);
}

/* count of rows of sql (one integer column) */
static int count(store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(store_sqlite(s), sql, -1, &st, NULL);
    int n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

static bool exec(store *s, const char *sql)
{
    return sqlite3_exec(store_sqlite(s), sql, NULL, NULL, NULL) == SQLITE_OK;
}

static void test_store(void)
{
    char dir[] = "/tmp/rdsim-restags-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *path = xasprintf("%s/controlplane.db", dir);
    store *s = store_open(path);
    ok(s != NULL, "store opened");

    char *t = restags_get(s, "pg", "g1");
    is_str(t, "[]", "no tags: []");
    free(t);
    ok(exec(s, "INSERT INTO db_parameter_groups VALUES('g1','postgres15','d',0)"), "a group");
    ok(restags_put(s, "pg", "g1", "[{\"Key\":\"a\",\"Value\":\"1\"}]"), "put");
    ok(restags_put(s, "es", "g1", "[{\"Key\":\"b\",\"Value\":\"2\"}]"), "same name, other type");
    t = restags_get(s, "pg", "g1");
    is_str(t, "[{\"Key\":\"a\",\"Value\":\"1\"}]", "get");
    free(t);
    ok(exec(s, "DELETE FROM db_parameter_groups WHERE name='g1'"), "group deleted");
    is_int(count(s, "SELECT count(*) FROM resource_tags WHERE type='pg'"), 0,
           "trigger: the group's tags went with it");
    is_int(count(s, "SELECT count(*) FROM resource_tags WHERE type='es'"), 1,
           "trigger: another type's tags of the same name stay");

    ok(exec(s, "INSERT INTO event_subscriptions VALUES('g1','arn',NULL,'[]','[]',1,0)"),
       "a subscription");
    ok(exec(s, "REPLACE INTO event_subscriptions VALUES('g1','arn2',NULL,'[]','[]',0,0)"),
       "the subscription rewritten (ModifyEventSubscription's REPLACE)");
    is_int(count(s, "SELECT count(*) FROM resource_tags WHERE type='es'"), 1,
           "REPLACE keeps the tags");
    ok(exec(s, "DELETE FROM event_subscriptions"), "subscription deleted");
    is_int(count(s, "SELECT count(*) FROM resource_tags"), 0, "trigger: es tags gone");

    ok(exec(s, "INSERT INTO network_objects VALUES('dbsubnetgroup','sg1','{}')") &&
           exec(s, "INSERT INTO network_objects VALUES('vpc','sg1','{}')") &&
           restags_put(s, "subgrp", "sg1", "[{\"Key\":\"a\",\"Value\":\"1\"}]"),
       "a subnet group with tags, and a vpc of the same id");
    ok(exec(s, "DELETE FROM network_objects WHERE kind='vpc'"), "the vpc deleted");
    is_int(count(s, "SELECT count(*) FROM resource_tags"), 1, "the group's tags stay");
    ok(exec(s, "DELETE FROM network_objects WHERE kind='dbsubnetgroup'"), "the group deleted");
    is_int(count(s, "SELECT count(*) FROM resource_tags"), 0, "trigger: subgrp tags gone");

    ok(exec(s, "INSERT INTO db_snapshots(id, instance_id, type, status, created_ms, encrypted,"
               " engine_version, db_class, master_username, master_password, port,"
               " allocated_storage, storage_type, iops, instance_created_ms, size_bytes)"
               " VALUES('s1','db','manual','available',0,0,'15','c','u','',5432,20,'gp2',0,0,0)") &&
           exec(s, "INSERT INTO db_snapshot_attributes VALUES('s1','restore','123456789012')") &&
           restags_put(s, "snapshot", "s1", "[{\"Key\":\"a\",\"Value\":\"1\"}]"),
       "a snapshot, shared, with tags");
    ok(exec(s, "DELETE FROM db_snapshots"), "snapshot deleted");
    is_int(count(s, "SELECT count(*) FROM resource_tags") +
               count(s, "SELECT count(*) FROM db_snapshot_attributes"),
           0, "trigger: its tags and attributes gone");

    ok(restags_put(s, "og", "x", "[{\"Key\":\"a\",\"Value\":\"1\"}]") &&
           restags_put(s, "og", "x", "[]"),
       "put [] ...");
    is_int(count(s, "SELECT count(*) FROM resource_tags"), 0, "... removes the row");
    store_close(s);
    unlink(path);
    char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
    unlink(wal);
    unlink(shm);
    free(wal);
    free(shm);
    rmdir(dir);
    free(path);
}

static void test_unknown(void)
{
    unknown_reply u = {0};
    unknown_for_target("DynamoDB_20120810.ListTables", "application/x-amz-json-1.0", "r1", &u);
    ok(u.status == 400 && strcmp(u.content_type, "application/x-amz-json-1.0") == 0 &&
           strstr(u.body, "\"__type\":\"UnknownOperationException\"") != NULL,
       "JSON target: 400, the request's JSON 1.0, __type UnknownOperationException");
    unknown_reply_clear(&u);
    unknown_for_target("X\"}<evil>", NULL, "r1", &u);
    ok(strstr(u.body, "\"}<") == NULL && strcmp(u.content_type, "application/x-amz-json-1.1") == 0,
       "JSON target: a hostile target cannot break the document; JSON 1.1 by default");
    unknown_reply_clear(&u);

    char svc[32];
    ok(unknown_scope_service("AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/lambda/"
                             "aws4_request, SignedHeaders=host, Signature=ab",
                             svc, sizeof svc) &&
           strcmp(svc, "lambda") == 0,
       "scope: the service of a SigV4 credential scope");
    ok(!unknown_scope_service(NULL, svc, sizeof svc), "scope: no header");
    ok(!unknown_scope_service("AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1", svc,
                              sizeof svc),
       "scope: truncated");
    ok(!unknown_scope_service("AWS4-HMAC-SHA256 Credential=AKIA/d/r/La<b/aws4_request", svc,
                              sizeof svc),
       "scope: a name outside [a-z0-9-]");
    ok(!unknown_scope_service("AWS4-HMAC-SHA256 Credential=AKIA/d/r/"
                              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/aws4_request",
                              svc, sizeof svc),
       "scope: a name too long for the buffer");

    unknown_for_path("s3", "GET", "/bucket", "r2", &u);
    ok(u.status == 501 && strstr(u.body, "<Code>NotImplemented</Code>") != NULL,
       "REST s3: NotImplemented 501 in <Error>");
    unknown_reply_clear(&u);
    unknown_for_path("lambda", "GET", "/2015-03-31/functions", "r3", &u);
    ok(u.status == 404 && u.error_type && strcmp(u.error_type, "UnknownOperationException") == 0,
       "REST-JSON: 404 with x-amzn-ErrorType UnknownOperationException");
    unknown_reply_clear(&u);
    unknown_for_path("route53", "GET", "/2013-04-01/hostedzone", "r4", &u);
    ok(u.status == 400 && strstr(u.body, "<Code>InvalidAction</Code>") != NULL,
       "REST-XML route53: ErrorResponse InvalidAction");
    unknown_reply_clear(&u);
}

int main(void)
{
    test_merge();
    test_store();
    test_unknown();
    return done_testing();
}
