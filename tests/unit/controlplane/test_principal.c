/* principal: access keys made once and kept sealed (the same key after a
 * reopen, no plaintext secret in the store, another master key cannot
 * open them), lookups of unknown and malformed key ids, the permission
 * table (administrator, agents, users, operator actions) and the AWS
 * files' content and modes. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controlplane/core/principal.h"
#include "controlplane/core/store.h"
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

static char dir[] = "/tmp/rdsim-principal-XXXXXX";

static bool store_holds(store *st, const char *needle)
{
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(store_sqlite(st), "SELECT count(*) FROM access_keys WHERE "
                                         "instr(sealed, ?) > 0 OR instr(principal, ?) > 0",
                       -1, &q, NULL);
    sqlite3_bind_blob(q, 1, needle, (int)strlen(needle), SQLITE_STATIC);
    sqlite3_bind_text(q, 2, needle, -1, SQLITE_STATIC);
    int n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : -1;
    sqlite3_finalize(q);
    return n > 0;
}

static void test_keys(void)
{
    char *db = xasprintf("%s/cp.db", dir), *master = xasprintf("%s/master.key", dir);
    store *st = store_open(db);
    principals *p = principals_open(st, master, "123456789012");
    ok(p != NULL, "opens (the master key made)");
    principal admin, again, agent, got;
    char secret[PRINCIPAL_SECRET_LEN + 1], secret2[PRINCIPAL_SECRET_LEN + 1],
        agent_secret[PRINCIPAL_SECRET_LEN + 1], got_secret[PRINCIPAL_SECRET_LEN + 1];
    ok(principals_ensure(p, PRINCIPAL_ADMIN_NAME, PRINCIPAL_ADMIN, &admin, secret),
       "the administrator's key is made");
    is_int(strlen(admin.access_key_id), 20, "key id: 20 characters");
    ok(strncmp(admin.access_key_id, "AKIA", 4) == 0, "key id: AKIA...");
    is_int(strlen(secret), 40, "secret: 40 characters");
    is_str(admin.arn, "arn:aws:iam::123456789012:root", "the ARN: the account's root");
    ok(strncmp(admin.user_id, "AIDA", 4) == 0 && strlen(admin.user_id) == 21, "user id AIDA...");
    ok(principals_ensure(p, PRINCIPAL_AGENT_NAME, PRINCIPAL_AGENT, &agent, agent_secret),
       "the agents' key is made");
    ok(strcmp(agent.access_key_id, admin.access_key_id) != 0 && strcmp(agent_secret, secret),
       "... and differs");
    ok(!store_holds(st, secret) && !store_holds(st, agent_secret),
       "no secret in plaintext in the store");
    principals_close(p);
    store_close(st);

    st = store_open(db);
    p = principals_open(st, master, "123456789012");
    ok(principals_ensure(p, PRINCIPAL_ADMIN_NAME, PRINCIPAL_ADMIN, &again, secret2),
       "reopened: ensure again");
    is_str(again.access_key_id, admin.access_key_id, "the same key id, not a second key");
    is_str(secret2, secret, "the same secret, unsealed");
    bool found = false;
    ok(principals_lookup(p, agent.access_key_id, &got, got_secret, &found) && found,
       "lookup of the agents' key");
    is_int(got.kind, PRINCIPAL_AGENT, "... is the agents' principal");
    is_str(got_secret, agent_secret, "... with its secret");
    ok(principals_lookup(p, "AKIAAAAAAAAAAAAAAAAA", &got, got_secret, &found) && !found,
       "an unknown key id: not found");
    ok(principals_lookup(p, "x' OR '1'='1", &got, got_secret, &found) && !found,
       "a malformed key id: not found");
    ok(principals_lookup(p, "", &got, got_secret, &found) && !found, "an empty key id: not found");
    principals_close(p);

    /* Another master key: the rows are there but do not open. */
    char *other = xasprintf("%s/other.key", dir);
    p = principals_open(st, other, "123456789012");
    ok(!principals_lookup(p, admin.access_key_id, &got, got_secret, &found) && !found,
       "another master key: the secret does not open");
    principals_close(p);
    store_close(st);
    free(other);

    /* The files. */
    char *aws = xasprintf("%s/aws", dir), *cred = xasprintf("%s/aws/credentials", dir);
    char *env = xasprintf("%s/aws/agent.env", dir);
    ok(principal_write_aws_files(aws, "rdsim", "us-east-1", "http://127.0.0.1:1", &admin, secret),
       "the AWS files are written");
    ok(principal_write_env_file(env, "us-east-1", &agent, agent_secret), "the env file too");
    struct stat sa, sc, se;
    ok(stat(aws, &sa) == 0 && (sa.st_mode & 0777) == 0700, "the directory is 0700");
    ok(stat(cred, &sc) == 0 && (sc.st_mode & 0777) == 0600, "credentials is 0600");
    ok(stat(env, &se) == 0 && (se.st_mode & 0777) == 0600, "agent.env is 0600");
    char *text = fs_read_all(cred, 4096, NULL);
    char *want = xasprintf("[rdsim]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
                           admin.access_key_id, secret);
    is_str(text, want, "the credentials file's content");
    free(text);
    free(want);
    free(aws);
    free(cred);
    free(env);
    free(db);
    free(master);
}

static void test_permissions(void)
{
    principal admin = {.kind = PRINCIPAL_ADMIN}, agent = {.kind = PRINCIPAL_AGENT},
              user = {.kind = PRINCIPAL_USER};
    snprintf(agent.arn, sizeof agent.arn, "arn:aws:iam::123456789012:user/rdsim-agent");
    const struct {
        const principal *who;
        const char *service, *action;
        bool allowed;
        const char *name;
    } cases[] = {
        {&admin, "rds", "CreateDBInstance", true, "admin: rds:CreateDBInstance"},
        {&admin, "rds", "AdvanceRegionClock", true, "admin: the region clock"},
        {&admin, "kms", "ScheduleKeyDeletion", true, "admin: kms:ScheduleKeyDeletion"},
        {&agent, "kms", "Decrypt", true, "agent: kms:Decrypt"},
        {&agent, "kms", "Encrypt", false, "agent: not kms:Encrypt"},
        {&agent, "kms", "ScheduleKeyDeletion", false, "agent: not kms:ScheduleKeyDeletion"},
        {&agent, "rds", "CreateDBInstance", false, "agent: not rds:CreateDBInstance"},
        {&agent, "rds", "DescribeDBInstances", false, "agent: not even describe"},
        {&agent, "rds", "AdvanceRegionClock", false, "agent: not the region clock"},
        {&agent, "sqs", "Decrypt", false, "agent: the service matters"},
        {&user, "rds", "DescribeDBInstances", false, "user: nothing without a policy"},
        {&user, "sts", "GetCallerIdentity", true, "user: sts:GetCallerIdentity"},
        {&agent, "sts", "GetCallerIdentity", true, "agent: sts:GetCallerIdentity"},
        {&agent, "iam", "CreateUser", false, "agent: not iam:CreateUser"},
        {&user, "iam", "ListUsers", false, "user: not iam:ListUsers"},
        {&admin, "iam", "CreateUser", true, "admin: iam:CreateUser"},
        {&user, "rds", "AdvanceRegionClock", false, "user: never the region clock"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[512] = "";
        is_int(principal_may(NULL, cases[i].who, cases[i].service, cases[i].action, NULL, why,
                             sizeof why),
               cases[i].allowed, cases[i].name);
    }
    char why[512];
    principal_may(NULL, &agent, "rds", "CreateDBInstance", NULL, why, sizeof why);
    is_str(why, "User: arn:aws:iam::123456789012:user/rdsim-agent is not authorized to perform: "
                "rds:CreateDBInstance because no identity-based policy allows the "
                "rds:CreateDBInstance action",
           "AccessDenied's message has AWS's shape");
    ok(principal_is_operator_action("rds", "AdvanceRegionClock"), "AdvanceRegionClock: operator");
    ok(principal_is_operator_action("sns", "ListDeliveries"), "ListDeliveries: operator");
    ok(!principal_is_operator_action("rds", "CreateDBInstance"), "CreateDBInstance: customer");
}

/* An IAM user: its key (kind user, ARN with its path), its inline
 * policies read from the store by principal_may, its keys listed and
 * deleted, the region's keys out of a user's reach. */
static void test_users(void)
{
    char *db = xasprintf("%s/users.db", dir), *master = xasprintf("%s/master.key", dir);
    store *st = store_open(db);
    principals *p = principals_open(st, master, "123456789012");
    sqlite3 *h = store_sqlite(st);
    ok(sqlite3_exec(h, "INSERT INTO iam_users VALUES('bob','AIDAEXAMPLEEXAMPLE12','/team/',1);"
                       "INSERT INTO iam_user_policies VALUES('bob','p1','{\"Statement\":"
                       "[{\"Effect\":\"Allow\",\"Action\":\"rds:*\",\"Resource\":"
                       "\"arn:aws:rds:*:*:db:web-*\"},{\"Effect\":\"Deny\",\"Action\":"
                       "\"rds:DeleteDBInstance\",\"Resource\":\"*\"}]}');",
                    NULL, NULL, NULL) == SQLITE_OK,
       "a user and a policy");
    principal bob, got, admin;
    char secret[PRINCIPAL_SECRET_LEN + 1], got_secret[PRINCIPAL_SECRET_LEN + 1];
    ok(principals_user_key_create(p, "bob", "AIDAEXAMPLEEXAMPLE12", "/team/", &bob, secret),
       "a key for the user");
    bool found = false;
    ok(principals_lookup(p, bob.access_key_id, &got, got_secret, &found) && found,
       "lookup of the user's key");
    is_int(got.kind, PRINCIPAL_USER, "... an IAM user");
    is_str(got.arn, "arn:aws:iam::123456789012:user/team/bob", "... its ARN with its path");
    is_str(got_secret, secret, "... its secret");
    char why[512] = "";
    ok(principal_may(p, &got, "rds", "RebootDBInstance",
                     "arn:aws:rds:us-east-1:123456789012:db:web-1", why, sizeof why),
       "policy: rds:* on db:web-* allows a reboot of web-1");
    ok(!principal_may(p, &got, "rds", "RebootDBInstance",
                      "arn:aws:rds:us-east-1:123456789012:db:db-1", why, sizeof why),
       "... not of db-1");
    is_str(why, "User: arn:aws:iam::123456789012:user/team/bob is not authorized to perform: "
                "rds:RebootDBInstance on resource: arn:aws:rds:us-east-1:123456789012:db:db-1 "
                "because no identity-based policy allows the rds:RebootDBInstance action",
           "... AWS's implicit-deny message");
    ok(!principal_may(p, &got, "rds", "DeleteDBInstance",
                      "arn:aws:rds:us-east-1:123456789012:db:web-1", why, sizeof why),
       "the Deny beats the Allow");
    const char *tail = "with an explicit deny in an identity-based policy";
    ok(strlen(why) > strlen(tail) && strcmp(why + strlen(why) - strlen(tail), tail) == 0,
       "... AWS's explicit-deny message");
    char *long_arn = xasprintf("arn:aws:rds:us-east-1:123456789012:db:web-%03000d", 1);
    ok(!principal_may(p, &got, "rds", "RebootDBInstance", long_arn, why, sizeof why),
       "a resource over PRINCIPAL_RESOURCE_MAX: denied unevaluated");
    free(long_arn);
    ok(!principal_may(p, &got, "rds", "AdvanceRegionClock", NULL, why, sizeof why),
       "an operator action: never a user's");
    ok(principal_may(p, &got, "sts", "GetCallerIdentity", NULL, why, sizeof why),
       "sts:GetCallerIdentity: always");
    principal_key_info *keys = NULL;
    is_int(principals_user_keys(p, "bob", &keys), 1, "the user has one key");
    ok(keys && strcmp(keys[0].access_key_id, bob.access_key_id) == 0, "... that one");
    free(keys);
    ok(principals_ensure(p, PRINCIPAL_ADMIN_NAME, PRINCIPAL_ADMIN, &admin, got_secret),
       "the administrator's key");
    ok(principals_user_key_delete(p, "bob", admin.access_key_id, &found) && !found,
       "the administrator's key is no user's to delete");
    ok(principals_user_key_delete(p, "bob", bob.access_key_id, &found) && found,
       "the user's key is deleted");
    ok(principals_lookup(p, bob.access_key_id, &got, got_secret, &found) && !found,
       "... and no longer found");
    principals_close(p);
    store_close(st);
    free(db);
    free(master);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    test_keys();
    test_permissions();
    test_users();
    fs_rm_rf(dir);
    return done_testing();
}
