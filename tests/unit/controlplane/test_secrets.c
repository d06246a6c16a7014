/* secrets: the secret store (values sealed under KMS data keys, bound to
 * their secret and version), staging labels, rotation through the RDS
 * rotator, scheduled deletion on the region clock, and the JSON API's
 * request validation and error shapes. */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/kms.h"
#include "controlplane/core/secrets.h"
#include "controlplane/core/store.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/tap.h"
#include "lib/util.h"

static char dir[] = "/tmp/rdsim-secrets-XXXXXX";
static int64_t offset_ms;
static store *st;
static kms *k;
static secrets *s;

/* The rotator stub: records the password, refuses when told to. */
static char rotated_pw[256];
static bool rotator_refuses;

static bool rotator(void *ctx, const char *instance_id, const char *username,
                    const char *password, sm_err *err)
{
    (void)ctx;
    if (rotator_refuses)
        return sm_err_set(err, SM_INVALID_REQUEST, "refused by the stub");
    if (strcmp(instance_id, "db1") != 0 || strcmp(username, "app") != 0)
        return sm_err_set(err, SM_INVALID_REQUEST, "wrong instance or user");
    snprintf(rotated_pw, sizeof rotated_pw, "%s", password);
    return true;
}

static cJSON *api(const char *op, const char *body, int *status)
{
    char *target = xasprintf("secretsmanager.%s", op);
    char *reply = NULL;
    sm_api_handle(s, target, body, strlen(body), &reply, status);
    cJSON *j = cJSON_Parse(reply);
    free(reply);
    free(target);
    return j;
}

static const char *jstr(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The current (or given stage's) SecretString, malloc'd, or NULL with err. */
static char *value_of(const char *id, const char *stage, sm_err *err)
{
    cJSON *o = cJSON_CreateObject();
    char *v = NULL;
    if (secrets_get_value(s, id, NULL, stage, o, err))
        v = xstrdup(jstr(o, "SecretString"));
    cJSON_Delete(o);
    return v;
}

static void test_seal(void)
{
    sm_new n = {.name = "app/one", .value = "plain-value-6b1f0c", .description = "d"};
    char arn[SM_ARN_MAX], ver[SM_VERSION_ID_MAX];
    sm_err err = {0};
    ok(secrets_create(s, &n, arn, ver, NULL, &err), "CreateSecret");
    ok(strncmp(arn, "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/one-", 61) == 0 &&
           strlen(arn) == 61 + 6, "the ARN is name-<6 characters>");
    char *v = value_of("app/one", NULL, &err);
    is_str(v, "plain-value-6b1f0c", "the value reads back by name");
    free(v);
    v = value_of(arn, NULL, &err);
    is_str(v, "plain-value-6b1f0c", "and by ARN");
    free(v);
    ok(!secrets_create(s, &n, arn, ver, NULL, &err) && err.code == SM_EXISTS,
       "the same name again: ResourceExistsException");

    /* The store file holds no plaintext. */
    sqlite3_exec(store_sqlite(st), "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    char *path = xasprintf("%s/store.db", dir);
    size_t len = 0;
    char *bytes = fs_read_all(path, 1 << 24, &len);
    ok(bytes && !memmem(bytes, len, "plain-value-6b1f0c", 18), "the store file holds no plaintext");
    free(bytes);
    free(path);

    /* A sealed value moved to another secret does not open (bound to its ARN). */
    sm_new n2 = {.name = "app/two", .value = "second-value"};
    char arn2[SM_ARN_MAX], ver2[SM_VERSION_ID_MAX];
    ok(secrets_create(s, &n2, arn2, ver2, NULL, &err), "a second secret");
    char *sql = xasprintf("UPDATE sm_versions SET sealed = (SELECT sealed FROM sm_versions "
                          "WHERE arn = '%s'), wrapped = (SELECT wrapped FROM sm_versions WHERE "
                          "arn = '%s') WHERE arn = '%s'", arn, arn, arn2);
    ok(sqlite3_exec(store_sqlite(st), sql, NULL, NULL, NULL) == SQLITE_OK, "swap its sealed value");
    free(sql);
    v = value_of("app/two", NULL, &err);
    ok(!v && err.code == SM_DECRYPTION, "a value moved to another secret: DecryptionFailure");
    free(v);

    /* Under a customer key: disabled, nothing opens. */
    kms_key key;
    kms_err kerr = {0};
    ok(kms_key_create(k, "sm", &key, &kerr), "a customer key");
    sm_new n3 = {.name = "app/three", .value = "third-value", .kms_ref = key.key_id};
    char karn[KMS_ARN_MAX];
    ok(secrets_create(s, &n3, arn, ver, karn, &err) && strcmp(karn, key.arn) == 0,
       "a secret under it");
    ok(kms_key_set_enabled(k, key.key_id, false, &kerr), "disable the key");
    v = value_of("app/three", NULL, &err);
    ok(!v && err.code == SM_DECRYPTION, "its value no longer opens: DecryptionFailure");
    free(v);
    sm_new n4 = {.name = "app/four", .value = "x", .kms_ref = key.key_id};
    ok(!secrets_create(s, &n4, arn, ver, NULL, &err) && err.code == SM_ENCRYPTION,
       "a new secret under a disabled key: EncryptionFailure");
    kms_key_clear(&key);
    sm_new bad = {.name = "bad name", .value = "x"};
    ok(!secrets_create(s, &bad, arn, ver, NULL, &err) && err.code == SM_INVALID_PARAMETER,
       "a name with a space: InvalidParameterException");
    sm_new bang = {.name = "rds!db-x", .value = "x"};
    ok(!secrets_create(s, &bang, arn, ver, NULL, &err) && err.code == SM_INVALID_PARAMETER,
       "'!' is the RDS side's only");
}

static void test_labels_and_rotation(void)
{
    sm_err err = {0};
    char arn[SM_ARN_MAX], v1[SM_VERSION_ID_MAX], v2[SM_VERSION_ID_MAX], v3[SM_VERSION_ID_MAX];
    sm_new n = {.name = "labels", .value = "one"};
    ok(secrets_create(s, &n, arn, v1, NULL, &err), "create labels");
    ok(secrets_put_value(s, "labels", "two", NULL, arn, v2, &err), "PutSecretValue two");
    ok(secrets_put_value(s, "labels", "three", NULL, arn, v3, &err), "PutSecretValue three");
    char *cur = value_of("labels", "AWSCURRENT", &err), *prev = value_of("labels", "AWSPREVIOUS", &err);
    is_str(cur, "three", "AWSCURRENT is the last value");
    is_str(prev, "two", "AWSPREVIOUS the one before");
    free(cur);
    free(prev);
    cJSON *o = cJSON_CreateObject();
    ok(!secrets_get_value(s, "labels", v1, NULL, o, &err) && err.code == SM_NOT_FOUND,
       "the version without a label is gone");
    cJSON_Delete(o);
    ok(!secrets_rotate(s, "labels", NULL, arn, v1, &err) && err.code == SM_INVALID_REQUEST,
       "RotateSecret of a user secret: InvalidRequestException (no Lambda)");

    sm_new r = {.name = "rds!db-1", .value = "{\"username\":\"app\",\"password\":\"old-pw\"}",
                .owning_service = "rds", .instance_id = "db1"};
    ok(secrets_create(s, &r, arn, v1, NULL, &err), "an RDS secret");
    ok(!secrets_put_value(s, arn, "x", NULL, arn, v2, &err) && err.code == SM_INVALID_REQUEST,
       "PutSecretValue on it: InvalidRequestException");
    rotator_refuses = true;
    ok(!secrets_rotate(s, arn, NULL, arn, v2, &err), "a rotation the instance refuses fails");
    char *still = value_of(arn, NULL, &err);
    ok(still && strstr(still, "old-pw"), "... and changes nothing");
    free(still);
    rotator_refuses = false;
    ok(secrets_rotate(s, arn, NULL, arn, v2, &err), "RotateSecret");
    cur = value_of(arn, NULL, &err);
    cJSON *j = cJSON_Parse(cur);
    is_str(jstr(j, "password"), rotated_pw, "AWSCURRENT holds what the rotator applied");
    is_str(jstr(j, "username"), "app", "the username stays");
    ok(strlen(rotated_pw) == 28 && !strpbrk(rotated_pw, "/@\" '\\"), "28 characters, RDS's alphabet");
    cJSON_Delete(j);
    free(cur);
    prev = value_of(arn, "AWSPREVIOUS", &err);
    ok(prev && strstr(prev, "old-pw"), "AWSPREVIOUS holds the old password");
    free(prev);
    o = cJSON_CreateObject();
    ok(secrets_describe(s, arn, o, &err) && cJSON_IsTrue(cJSON_GetObjectItem(o, "RotationEnabled")) &&
           cJSON_GetObjectItem(o, "LastRotatedDate") &&
           cJSON_GetArraySize(cJSON_GetObjectItem(o, "VersionIdsToStages")) == 2,
       "DescribeSecret: rotation enabled, last rotated, two versions");
    is_str(jstr(o, "OwningService"), "rds", "OwningService rds");
    cJSON_Delete(o);
}

static void test_delete(void)
{
    sm_err err = {0};
    char arn[SM_ARN_MAX], ver[SM_VERSION_ID_MAX];
    sm_new n = {.name = "doomed", .value = "v"};
    ok(secrets_create(s, &n, arn, ver, NULL, &err), "create doomed");
    ok(!secrets_delete(s, "doomed", false, 3, NULL, NULL, NULL, &err) &&
           err.code == SM_INVALID_PARAMETER, "a recovery window of 3 days: refused");
    int64_t when = 0;
    ok(secrets_delete(s, "doomed", false, 7, NULL, NULL, &when, &err), "DeleteSecret, 7 days");
    char *v = value_of("doomed", NULL, &err);
    ok(!v && err.code == SM_INVALID_REQUEST, "its value: InvalidRequestException (marked)");
    free(v);
    ok(!secrets_create(s, &n, arn, ver, NULL, &err) && err.code == SM_INVALID_REQUEST,
       "its name cannot be reused while scheduled");
    cJSON *o = cJSON_CreateObject();
    ok(secrets_describe(s, "doomed", o, &err) && cJSON_GetObjectItem(o, "DeletedDate"),
       "DescribeSecret shows DeletedDate");
    cJSON_Delete(o);
    offset_ms += 8 * 86400 * (int64_t)1000;
    o = cJSON_CreateObject();
    ok(!secrets_describe(s, "doomed", o, &err) && err.code == SM_NOT_FOUND,
       "after the window (region clock): ResourceNotFoundException");
    cJSON_Delete(o);
    ok(secrets_create(s, &n, arn, ver, NULL, &err), "and the name is free again");
    ok(secrets_delete(s, "doomed", true, 0, NULL, NULL, NULL, &err), "force delete");
    o = cJSON_CreateObject();
    ok(!secrets_describe(s, "doomed", o, &err) && err.code == SM_NOT_FOUND, "gone at once");
    cJSON_Delete(o);
}

static void test_api(void)
{
    int status;
    cJSON *j = api("CreateSecret", "{\"Name\":\"api/a\",\"SecretString\":\"va\"}", &status);
    is_int(status, 200, "API CreateSecret");
    cJSON_Delete(j);
    static const struct {
        const char *op, *body, *type;
    } bad[] = {
        {"GetSecretValue", "{}", "InvalidParameterException"},
        {"GetSecretValue", "{\"SecretId\":\"\"}", "InvalidParameterException"},
        {"GetSecretValue", "{\"SecretId\":7}", "InvalidParameterException"},
        {"GetSecretValue", "{\"SecretId\":\"nope\"}", "ResourceNotFoundException"},
        {"GetSecretValue", "{\"SecretId\":\"api/a\",\"VersionStage\":\"AWSPENDING\"}",
         "ResourceNotFoundException"},
        {"DescribeSecret", "[1]", "InvalidRequestException"},
        {"DescribeSecret", "{not json", "InvalidRequestException"},
        {"ListSecrets", "{\"MaxResults\":0}", "InvalidParameterException"},
        {"ListSecrets", "{\"MaxResults\":101}", "InvalidParameterException"},
        {"ListSecrets", "{\"MaxResults\":1.5}", "InvalidParameterException"},
        {"ListSecrets", "{\"NextToken\":\"x\"}", "InvalidParameterException"},
        {"ListSecrets", "{\"Filters\":[{\"Key\":\"tag-key\",\"Values\":[\"a\"]}]}",
         "InvalidParameterException"},
        {"CreateSecret", "{\"Name\":\"b\",\"SecretBinary\":\"AAAA\"}", "InvalidParameterException"},
        {"CreateSecret", "{\"Name\":\"b\",\"SecretString\":\"\"}", "InvalidParameterException"},
        {"CreateSecret", "{\"Name\":\"b\",\"SecretString\":\"x\",\"ClientRequestToken\":\"short\"}",
         "InvalidParameterException"},
        {"CreateSecret", "{\"Name\":\"b\",\"SecretString\":\"x\",\"Tags\":[{\"Key\":\"aws:x\"}]}",
         "InvalidParameterException"},
        {"CreateSecret", "{\"Name\":\"api/a\",\"SecretString\":\"x\"}", "ResourceExistsException"},
        {"RotateSecret", "{\"SecretId\":\"api/a\"}", "InvalidRequestException"},
        {"RotateSecret", "{\"SecretId\":\"api/a\",\"RotationLambdaARN\":\"arn:x\"}",
         "InvalidRequestException"},
        {"DeleteSecret", "{\"SecretId\":\"api/a\",\"ForceDeleteWithoutRecovery\":true,"
                         "\"RecoveryWindowInDays\":7}", "InvalidParameterException"},
        {"DeleteSecret", "{\"SecretId\":\"rds!db-1\"}", "InvalidRequestException"},
        {"Nope", "{}", "UnknownOperationException"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = api(bad[i].op, bad[i].body, &status);
        char *name = xasprintf("%s %s: %s, 400", bad[i].op, bad[i].body, bad[i].type);
        ok(status == 400 && jstr(j, "__type") && strcmp(jstr(j, "__type"), bad[i].type) == 0 &&
               jstr(j, "message"), name);
        free(name);
        cJSON_Delete(j);
    }
    /* Paging: every secret once, in pages of 2. */
    int seen = 0, pages = 0;
    char *token = NULL;
    do {
        char *body = token ? xasprintf("{\"MaxResults\":2,\"NextToken\":\"%s\"}", token)
                           : xstrdup("{\"MaxResults\":2}");
        j = api("ListSecrets", body, &status);
        free(body);
        free(token);
        token = jstr(j, "NextToken") ? xstrdup(jstr(j, "NextToken")) : NULL;
        seen += cJSON_GetArraySize(cJSON_GetObjectItem(j, "SecretList"));
        pages++;
        cJSON_Delete(j);
    } while (token && pages < 20);
    j = api("ListSecrets", "{}", &status);
    is_int(seen, cJSON_GetArraySize(cJSON_GetObjectItem(j, "SecretList")),
           "pages of 2 list every secret once");
    cJSON_Delete(j);
    j = api("ListSecrets", "{\"Filters\":[{\"Key\":\"name\",\"Values\":[\"api/\"]}]}", &status);
    is_int(cJSON_GetArraySize(cJSON_GetObjectItem(j, "SecretList")), 1, "a name filter (prefix)");
    cJSON_Delete(j);
    j = api("ListSecrets", "{\"Filters\":[{\"Key\":\"name\",\"Values\":[\"!api/\"]}]}", &status);
    char *text = cJSON_PrintUnformatted(j);
    ok(cJSON_GetArraySize(cJSON_GetObjectItem(j, "SecretList")) > 1 && !strstr(text, "api/a"),
       "a negated name filter");
    free(text);
    cJSON_Delete(j);
}

int main(void)
{
    log_set_level(LOG_LEVEL_WARN);
    if (!mkdtemp(dir))
        return 1;
    char *db = xasprintf("%s/store.db", dir), *master = xasprintf("%s/master.key", dir);
    st = store_open(db);
    kms_config kc = {.region = "us-east-1", .account = "123456789012", .master_key_path = master,
                     .clock_offset_ms = &offset_ms};
    k = st ? kms_open(store_sqlite(st), &kc) : NULL;
    ok(k != NULL, "a store and its KMS");
    sm_config sc = {.region = "us-east-1", .account = "123456789012", .clock_offset_ms = &offset_ms};
    s = secrets_open(store_sqlite(st), k, &sc);
    secrets_set_rotator(s, rotator, NULL);
    test_seal();
    test_labels_and_rotation();
    test_delete();
    test_api();
    char *pw = secrets_random_password(8);
    ok(pw && strlen(pw) == 8, "a password of 8");
    free(pw);
    ok(!secrets_random_password(7) && !secrets_random_password(129), "lengths outside 8..128: none");
    is_str(sm_err_name(SM_NOT_FOUND), "ResourceNotFoundException", "error names");
    is_str(sm_err_name(SM_INTERNAL), "InternalServiceError", "... InternalServiceError");
    secrets_close(s);
    kms_close(k);
    store_close(st);
    free(db);
    free(master);
    fs_rm_rf(dir);
    return done_testing();
}
