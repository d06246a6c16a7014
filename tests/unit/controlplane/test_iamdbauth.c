/* iamdbauth: botocore's generate_db_auth_token form (the reference
 * vector), then tokens verified against keys in a store: good, expired,
 * not yet valid, another user, another host or port, tampered, an
 * unknown key, over-long expiry, garbage, and an IAM user's key with and
 * without rds-db:connect. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/iamdbauth.h"
#include "controlplane/core/store.h"
#include "lib/fsutil.h"
#include "lib/sigv4.h"
#include "lib/tap.h"
#include "lib/util.h"

static char dir[] = "/tmp/rdsim-iamdbauth-XXXXXX";

/* A token as botocore makes it: host:port/?<presigned query>. */
static char *token(const char *host, int port, const char *user, const char *key,
                   const char *secret, const char *region, int64_t t, int64_t expires)
{
    char *hp = xasprintf("%s:%d", host, port), *q = xasprintf("Action=connect&DBUser=%s", user);
    sigv4_header h = {"host", hp};
    sigv4_request rq = {"GET", "/", q, &h, 1, "", 0};
    sigv4_key k = {key, secret, region, "rds-db"};
    char amz[17];
    sigv4_amz_date(t, amz);
    char *query = sigv4_presign_query(&rq, &k, amz, expires);
    char *tok = xasprintf("%s/?%s", hp, query);
    free(query);
    free(q);
    free(hp);
    return tok;
}

static void test_botocore_vector(void)
{
    int64_t t = 0;
    ok(sigv4_parse_amz_date("20240102T030405Z", &t), "the vector's clock");
    char *tok = token("mydb.abcdefghijkl.us-east-1.rds.amazonaws.com", 5432, "iam_user",
                      "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", t,
                      900);
    is_str(tok,
           "mydb.abcdefghijkl.us-east-1.rds.amazonaws.com:5432/?Action=connect&DBUser=iam_user&"
           "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240102%2Fus-east-1%"
           "2Frds-db%2Faws4_request&X-Amz-Date=20240102T030405Z&X-Amz-Expires=900&"
           "X-Amz-SignedHeaders=host&X-Amz-Signature="
           "0d49d711ea4496678575f0d69bd9a3e2ccdf478b69ea330936a218324932ac82",
           "the token botocore's generate_db_auth_token makes (RDS-REFERENCE-2 §3)");
    free(tok);
}

static void test_verify(void)
{
    char *db = xasprintf("%s/cp.db", dir), *master = xasprintf("%s/master.key", dir);
    store *st = store_open(db);
    principals *p = principals_open(st, master, "123456789012");
    principal admin, bob, eve;
    char as[PRINCIPAL_SECRET_LEN + 1], bs[PRINCIPAL_SECRET_LEN + 1], es[PRINCIPAL_SECRET_LEN + 1];
    ok(principals_ensure(p, PRINCIPAL_ADMIN_NAME, PRINCIPAL_ADMIN, &admin, as), "admin key");
    ok(sqlite3_exec(store_sqlite(st),
                    "INSERT INTO iam_users VALUES('bob','AIDAEXAMPLEEXAMPLE12','/',1);"
                    "INSERT INTO iam_users VALUES('eve','AIDAEXAMPLEEXAMPLE13','/',1);"
                    "INSERT INTO iam_user_policies VALUES('bob','db','{\"Statement\":"
                    "[{\"Effect\":\"Allow\",\"Action\":\"rds-db:connect\",\"Resource\":"
                    "\"arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABC/*\"}]}');"
                    "INSERT INTO iam_user_policies VALUES('eve','ro','{\"Statement\":"
                    "[{\"Effect\":\"Allow\",\"Action\":\"rds:Describe*\",\"Resource\":\"*\"}]}');",
                    NULL, NULL, NULL) == SQLITE_OK,
       "users bob (rds-db:connect on db-ABC) and eve (rds:Describe* only)");
    ok(principals_user_key_create(p, "bob", "AIDAEXAMPLEEXAMPLE12", "/", &bob, bs), "bob's key");
    ok(principals_user_key_create(p, "eve", "AIDAEXAMPLEEXAMPLE13", "/", &eve, es), "eve's key");

    const char *host = "mydb.abc.us-east-1.rds.example";
    iamdbauth_target t = {host, 5432, "us-east-1", "123456789012", "db-ABC", "app"};
    int64_t now = 1800000000;
    char why[512], kid[PRINCIPAL_KEY_ID_LEN + 1];
    char arn[256];
    iamdbauth_arn(&t, arn, sizeof arn);
    is_str(arn, "arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABC/app", "the dbuser ARN");

    char *tok = token(host, 5432, "app", admin.access_key_id, as, "us-east-1", now - 60, 900);
    ok(iamdbauth_verify(p, &t, tok, now, why, sizeof why, kid), "admin's fresh token: allowed");
    is_str(kid, admin.access_key_id, "... its key id reported");
    ok(!iamdbauth_verify(p, &t, tok, now + 900, why, sizeof why, NULL),
       "the same token 16 minutes after it was made: refused");
    ok(strstr(why, "expired") != NULL, "... as expired");
    t.user = "other";
    ok(!iamdbauth_verify(p, &t, tok, now, why, sizeof why, NULL), "a login as another user: refused");
    t.user = "ap\np";
    ok(!iamdbauth_verify(p, &t, tok, now, why, sizeof why, NULL), "a user with a newline: refused");
    t.user = "app";
    t.port = 5433;
    ok(!iamdbauth_verify(p, &t, tok, now, why, sizeof why, NULL), "another port: refused");
    t.port = 5432;
    t.endpoint = "other.abc.us-east-1.rds.example";
    ok(!iamdbauth_verify(p, &t, tok, now, why, sizeof why, NULL), "another host: refused");
    t.endpoint = host;
    char *bad = xstrdup(tok);
    char *sig = strstr(bad, "X-Amz-Signature=") + 16;
    sig[0] = sig[0] == 'a' ? 'b' : 'a';
    ok(!iamdbauth_verify(p, &t, bad, now, why, sizeof why, NULL), "a changed signature: refused");
    free(bad);
    bad = xstrdup(tok);
    char *u = strstr(bad, "DBUser=app");
    memcpy(u, "DBUser=apq", 10);
    t.user = "apq";
    ok(!iamdbauth_verify(p, &t, bad, now, why, sizeof why, NULL),
       "DBUser changed after signing: refused");
    is_str(why, "token's signature does not match its key", "... signature mismatch");
    t.user = "app";
    free(bad);
    free(tok);

    tok = token(host, 5432, "app", admin.access_key_id, as, "us-east-1", now + 600, 900);
    ok(!iamdbauth_verify(p, &t, tok, now, why, sizeof why, NULL), "dated 10 min ahead: refused");
    free(tok);
    tok = token(host, 5432, "app", admin.access_key_id, as, "us-east-1", now, 3600);
    ok(!iamdbauth_verify(p, &t, tok, now, why, sizeof why, NULL), "X-Amz-Expires 3600: refused");
    free(tok);
    tok = token(host, 5432, "app", admin.access_key_id, as, "eu-west-1", now, 900);
    ok(!iamdbauth_verify(p, &t, tok, now, why, sizeof why, NULL), "another region: refused");
    free(tok);
    tok = token(host, 5432, "app", "AKIAAAAAAAAAAAAAAAAA", as, "us-east-1", now, 900);
    ok(!iamdbauth_verify(p, &t, tok, now, why, sizeof why, NULL), "an unknown key: refused");
    free(tok);
    tok = token(host, 5432, "app", admin.access_key_id, bs, "us-east-1", now, 900);
    ok(!iamdbauth_verify(p, &t, tok, now, why, sizeof why, NULL),
       "admin's key id signed with bob's secret: refused");
    free(tok);
    const char *garbage[] = {"", "garbage", "mydb.abc.us-east-1.rds.example:5432/?",
                             "mydb.abc.us-east-1.rds.example:5432/?Action=connect&DBUser=app",
                             "mydb.abc.us-east-1.rds.example:5432/?Action=connect&DBUser=%zz",
                             "mydb.abc.us-east-1.rds.example:5432/x?Action=connect", NULL};
    for (int i = 0; garbage[i]; i++)
        ok(!iamdbauth_verify(p, &t, garbage[i], now, why, sizeof why, NULL),
           "garbage refused");
    char *huge = xmalloc(IAMDBAUTH_TOKEN_MAX + 2);
    memset(huge, 'a', IAMDBAUTH_TOKEN_MAX + 1);
    huge[IAMDBAUTH_TOKEN_MAX + 1] = '\0';
    ok(!iamdbauth_verify(p, &t, huge, now, why, sizeof why, NULL), "an over-long token: refused");
    free(huge);

    tok = token(host, 5432, "app", bob.access_key_id, bs, "us-east-1", now, 900);
    ok(iamdbauth_verify(p, &t, tok, now, why, sizeof why, NULL),
       "bob (rds-db:connect on db-ABC/*): allowed");
    t.resource_id = "db-XYZ";
    ok(!iamdbauth_verify(p, &t, tok, now, why, sizeof why, NULL),
       "bob on another instance: refused");
    ok(strstr(why, "rds-db:connect") != NULL, "... AccessDenied naming rds-db:connect");
    t.resource_id = "db-ABC";
    free(tok);
    tok = token(host, 5432, "app", eve.access_key_id, es, "us-east-1", now, 900);
    ok(!iamdbauth_verify(p, &t, tok, now, why, sizeof why, NULL),
       "eve (no rds-db:connect), her own valid key: refused");
    free(tok);
    principals_close(p);
    store_close(st);
    free(db);
    free(master);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    test_botocore_vector();
    test_verify();
    fs_rm_rf(dir);
    return done_testing();
}
