/* kms: keys, aliases, states, deletion on the region clock, crypto
 * operations, the master key file, envelope adapters, and the JSON 1.1
 * API's shapes and errors. */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controlplane/core/kms.h"
#include "controlplane/core/store.h"
#include "lib/envelope.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/tap.h"
#include "lib/util.h"

#define DAY_MS (86400 * (int64_t)1000)

static char dir[] = "/tmp/rdsim-kms-XXXXXX";
static int64_t offset_ms;

static kms *open_kms(const char *db_name, const char *master_name)
{
    char *db = xasprintf("%s/%s", dir, db_name);
    char *master = xasprintf("%s/%s", dir, master_name);
    kms_config cfg = {.region = "us-east-1", .account = "123456789012",
                      .master_key_path = master, .clock_offset_ms = &offset_ms};
    kms *k = kms_open_path(db, &cfg);
    free(db);
    free(master);
    return k;
}

/* Calls the API; returns the parsed reply (caller deletes) and *status. */
static cJSON *api(kms *k, const char *op, const char *body, int *status)
{
    char *target = xasprintf("TrentService.%s", op);
    char *reply = NULL;
    kms_api_handle(k, target, body, strlen(body), &reply, status);
    cJSON *j = cJSON_Parse(reply);
    free(reply);
    free(target);
    return j;
}

static const char *jstr(const cJSON *o, const char *path1, const char *path2)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, path1);
    if (path2)
        v = cJSON_GetObjectItemCaseSensitive(v, path2);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_master_key(void)
{
    kms *k = open_kms("a.db", "master.key");
    ok(k != NULL, "opens and creates a master key");
    char *path = xasprintf("%s/master.key", dir);
    struct stat sb;
    ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600 && sb.st_size == 32,
       "the master key file is 32 bytes, mode 0600");
    kms_key key;
    kms_err err = {0};
    ok(kms_key_create(k, "first", &key, &err), "CreateKey");
    uint8_t blob[KMS_BLOB_MAX], plain[KMS_PLAINTEXT_MAX];
    size_t blob_len = 0, plain_len = 0;
    ok(kms_encrypt(k, key.key_id, (const uint8_t *)"hello", 5, blob, &blob_len, NULL, &err),
       "Encrypt");
    kms_close(k);
    k = open_kms("a.db", "master.key");
    ok(k && kms_decrypt(k, blob, blob_len, NULL, plain, &plain_len, NULL, &err) &&
           plain_len == 5 && memcmp(plain, "hello", 5) == 0,
       "after a reopen the same master key decrypts");
    kms_close(k);

    /* The store alone (another master key) opens nothing. */
    k = open_kms("a.db", "other-master.key");
    ok(k && !kms_decrypt(k, blob, blob_len, NULL, plain, &plain_len, NULL, &err) &&
           err.code == KMS_INTERNAL,
       "a copy of the store with another master key decrypts nothing");
    kms_close(k);

    size_t dblen;
    char *dbpath = xasprintf("%s/a.db", dir);
    char *master = fs_read_all(path, 64, NULL);
    char *dbbytes = fs_read_all(dbpath, 1 << 24, &dblen);
    ok(master && dbbytes && !memmem(dbbytes, dblen, master, 32), "the master key is not in the store");
    free(master);
    free(dbbytes);
    free(dbpath);
    kms_key_clear(&key);

    chmod(path, 0644);
    log_set_level(LOG_LEVEL_ERROR + 1);
    ok(open_kms("a.db", "master.key") == NULL, "a master key readable by others is refused");
    chmod(path, 0600);
    char *shortp = xasprintf("%s/short.key", dir);
    fs_write_atomic(shortp, "tooshort", 8, 0600);
    ok(open_kms("a.db", "short.key") == NULL, "a master key of the wrong size is refused");
    log_set_level(LOG_LEVEL_WARN);
    free(shortp);
    free(path);
}

static void test_keys(kms *k)
{
    kms_key a;
    kms_err err = {0};
    ok(kms_key_create(k, "orders key", &a, &err), "CreateKey");
    is_int(a.state, KMS_KEY_ENABLED, "a new key is Enabled");
    ok(strncmp(a.arn, "arn:aws:kms:us-east-1:123456789012:key/", 39) == 0 &&
           strcmp(a.arn + 39, a.key_id) == 0,
       "its ARN names region, account and key id");
    ok(kms_alias_create(k, "alias/orders", a.key_id, &err), "CreateAlias");
    char *alias_arn = xasprintf("arn:aws:kms:us-east-1:123456789012:alias/orders");
    const char *refs[] = {a.key_id, a.arn, "alias/orders", alias_arn};
    for (size_t i = 0; i < 4; i++) {
        kms_key d;
        char name[128];
        snprintf(name, sizeof name, "DescribeKey by %s", i == 0 ? "id" : i == 1 ? "ARN" : i == 2 ? "alias" : "alias ARN");
        ok(kms_key_describe(k, refs[i], &d, &err) && strcmp(d.key_id, a.key_id) == 0 &&
               strcmp(d.description, "orders key") == 0,
           name);
        kms_key_clear(&d);
    }
    free(alias_arn);
    struct {
        const char *ref;
        kms_errcode want;
    } bad[] = {
        {"nope", KMS_NOT_FOUND},
        {"12345678-1234-1234-1234-123456789012", KMS_NOT_FOUND},
        {"alias/missing", KMS_NOT_FOUND},
        {"arn:aws:kms:eu-west-1:123456789012:key/12345678-1234-1234-1234-123456789012", KMS_NOT_FOUND},
        {"arn:aws:kms:us-east-1:123456789012:thing/x", KMS_NOT_FOUND},
        {"", KMS_NOT_FOUND},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kms_key d;
        char name[160];
        snprintf(name, sizeof name, "DescribeKey '%s' → %s", bad[i].ref, kms_err_name(bad[i].want));
        ok(!kms_key_describe(k, bad[i].ref, &d, &err) && err.code == bad[i].want, name);
    }

    struct {
        const char *alias, *target;
        kms_errcode want;
    } aliases[] = {
        {"orders", a.key_id, KMS_INVALID_ALIAS_NAME},
        {"alias/", a.key_id, KMS_INVALID_ALIAS_NAME},
        {"alias/has space", a.key_id, KMS_INVALID_ALIAS_NAME},
        {"alias/aws/mine", a.key_id, KMS_INVALID_ALIAS_NAME},
        {"alias/orders", a.key_id, KMS_ALREADY_EXISTS},
        {"alias/second", "alias/orders", KMS_NOT_FOUND},
        {"alias/second", "12345678-1234-1234-1234-123456789012", KMS_NOT_FOUND},
        {"alias/second", a.arn, KMS_OK},
    };
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        char name[160];
        snprintf(name, sizeof name, "CreateAlias %s → %s", aliases[i].alias,
                 aliases[i].want ? kms_err_name(aliases[i].want) : "ok");
        err.code = KMS_OK;
        kms_alias_create(k, aliases[i].alias, aliases[i].target, &err);
        is_int(err.code, aliases[i].want, name);
    }

    /* The default RDS key. */
    kms_key rds, rds2;
    ok(kms_key_describe(k, "alias/aws/rds", &rds, &err) && rds.aws_managed &&
           rds.state == KMS_KEY_ENABLED,
       "alias/aws/rds is created on first use, AWS managed");
    ok(kms_key_describe(k, "arn:aws:kms:us-east-1:123456789012:alias/aws/rds", &rds2, &err) &&
           strcmp(rds.key_id, rds2.key_id) == 0,
       "and is the same key afterwards");
    ok(!kms_key_set_enabled(k, rds.key_id, false, &err) && err.code == KMS_ACCESS_DENIED,
       "an AWS managed key cannot be disabled");
    ok(!kms_key_schedule_deletion(k, rds.key_id, 7, NULL, &err) && err.code == KMS_ACCESS_DENIED,
       "nor scheduled for deletion");
    kms_key_clear(&rds);
    kms_key_clear(&rds2);
    kms_key_clear(&a);
}

static void test_states(kms *k)
{
    kms_key a;
    kms_err err = {0};
    kms_key_create(k, "", &a, &err);
    uint8_t blob[KMS_BLOB_MAX], plain[KMS_PLAINTEXT_MAX];
    size_t blob_len = 0, n = 0;
    ok(kms_encrypt(k, a.key_id, (const uint8_t *)"secret", 6, blob, &blob_len, NULL, &err),
       "Encrypt while Enabled");
    ok(kms_key_set_enabled(k, a.arn, false, &err), "DisableKey");
    ok(!kms_encrypt(k, a.key_id, (const uint8_t *)"x", 1, blob + 200, &n, NULL, &err) &&
           err.code == KMS_DISABLED && kms_err_key_inaccessible(err.code),
       "a disabled key encrypts nothing (DisabledException)");
    ok(!kms_decrypt(k, blob, blob_len, NULL, plain, &n, NULL, &err) && err.code == KMS_DISABLED,
       "nor decrypts");
    ok(kms_key_set_enabled(k, a.key_id, false, &err), "DisableKey again is fine");
    ok(kms_key_set_enabled(k, a.key_id, true, &err) &&
           kms_decrypt(k, blob, blob_len, NULL, plain, &n, NULL, &err) && n == 6,
       "EnableKey recovers");

    ok(!kms_key_schedule_deletion(k, a.key_id, 6, NULL, &err) && err.code == KMS_VALIDATION,
       "a 6-day window is refused");
    ok(!kms_key_schedule_deletion(k, a.key_id, 31, NULL, &err) && err.code == KMS_VALIDATION,
       "a 31-day window is refused");
    kms_key p;
    int64_t before = rclock_now_ms(offset_ms);
    ok(kms_key_schedule_deletion(k, a.key_id, 7, &p, &err) &&
           p.state == KMS_KEY_PENDING_DELETION && p.pending_days == 7,
       "ScheduleKeyDeletion 7 days");
    ok(p.deletion_ms >= before + 7 * DAY_MS && p.deletion_ms <= rclock_now_ms(offset_ms) + 7 * DAY_MS,
       "DeletionDate is 7 days ahead on the region clock");
    kms_key_clear(&p);
    ok(!kms_decrypt(k, blob, blob_len, NULL, plain, &n, NULL, &err) &&
           err.code == KMS_INVALID_STATE && kms_err_key_inaccessible(err.code),
       "a key pending deletion decrypts nothing (KMSInvalidStateException)");
    ok(!kms_key_set_enabled(k, a.key_id, true, &err) && err.code == KMS_INVALID_STATE,
       "nor can be enabled");
    ok(!kms_key_schedule_deletion(k, a.key_id, 7, NULL, &err) && err.code == KMS_INVALID_STATE,
       "nor scheduled twice");
    ok(!kms_alias_create(k, "alias/late", a.key_id, &err) && err.code == KMS_INVALID_STATE,
       "nor get a new alias");
    ok(kms_key_cancel_deletion(k, a.key_id, &p, &err) && p.state == KMS_KEY_DISABLED,
       "CancelKeyDeletion leaves the key Disabled");
    kms_key_clear(&p);
    ok(!kms_key_cancel_deletion(k, a.key_id, NULL, &err) && err.code == KMS_INVALID_STATE,
       "CancelKeyDeletion of a key not pending is refused");
    kms_key_set_enabled(k, a.key_id, true, &err);

    /* Tampering and key mix-ups. */
    blob[blob_len - 1] ^= 1;
    ok(!kms_decrypt(k, blob, blob_len, NULL, plain, &n, NULL, &err) &&
           err.code == KMS_INVALID_CIPHERTEXT,
       "a tampered blob is InvalidCiphertextException");
    blob[blob_len - 1] ^= 1;
    ok(!kms_decrypt(k, blob, 10, NULL, plain, &n, NULL, &err) && err.code == KMS_INVALID_CIPHERTEXT,
       "a short blob is InvalidCiphertextException");
    kms_key b;
    kms_key_create(k, "other", &b, &err);
    ok(!kms_decrypt(k, blob, blob_len, b.key_id, plain, &n, NULL, &err) &&
           err.code == KMS_INCORRECT_KEY,
       "Decrypt naming another key is IncorrectKeyException");

    /* Deletion happens on the region clock. */
    kms_alias_create(k, "alias/doomed", a.key_id, &err);
    kms_key_schedule_deletion(k, a.key_id, 7, NULL, &err);
    offset_ms += 6 * DAY_MS;
    kms_key d;
    ok(kms_key_describe(k, a.key_id, &d, &err) && d.state == KMS_KEY_PENDING_DELETION,
       "6 days later the key is still pending");
    kms_key_clear(&d);
    offset_ms += DAY_MS + 1000;
    ok(!kms_key_describe(k, a.key_id, &d, &err) && err.code == KMS_NOT_FOUND,
       "after 7 days the key is gone");
    ok(!kms_key_describe(k, "alias/doomed", &d, &err) && err.code == KMS_NOT_FOUND,
       "and its aliases with it");
    ok(!kms_decrypt(k, blob, blob_len, NULL, plain, &n, NULL, &err) && err.code == KMS_NOT_FOUND,
       "and what it protected no longer decrypts");
    ok(kms_key_describe(k, b.key_id, &d, &err), "other keys stay");
    kms_key_clear(&d);
    kms_key_clear(&b);
    kms_key_clear(&a);
}

typedef struct {
    sbuf *b;
} mem_sink;

static bool sink_sbuf(void *ctx, const void *buf, size_t len)
{
    sbuf_append(ctx, buf, len);
    return true;
}

typedef struct {
    const char *p;
    size_t len, pos;
} mem_src;

static bool src_mem(void *ctx, void *buf, size_t cap, size_t *got)
{
    mem_src *s = ctx;
    size_t n = s->len - s->pos < cap ? s->len - s->pos : cap;
    memcpy(buf, s->p + s->pos, n);
    s->pos += n;
    *got = n;
    return true;
}

static void test_envelope(kms *k)
{
    kms_key a;
    kms_err err = {0};
    kms_key_create(k, "backups", &a, &err);
    sbuf payload = {0};
    for (int i = 0; i < 20000; i++)
        sbuf_printf(&payload, "row %d MARKER-7f3a\n", i);
    kms_envelope_ctx ctx = {.k = k, .key_ref = a.key_id};
    envelope_opts o = {.wrap = kms_envelope_wrap, .wrap_ctx = &ctx};
    sbuf obj = {0};
    mem_src src = {payload.data, payload.len, 0};
    is_int(envelope_seal(&o, src_mem, &src, sink_sbuf, &obj, NULL), ENVELOPE_OK,
           "a backup object sealed under a KMS key");
    ok(!memmem(obj.data, obj.len, "MARKER-7f3a", 11), "no marker in the sealed object");
    ok(memmem(obj.data, obj.len, a.arn, strlen(a.arn)) != NULL, "the header names the key's ARN");
    sbuf out = {0};
    mem_src in = {obj.data, obj.len, 0};
    ok(envelope_open(src_mem, &in, kms_envelope_unwrap, &ctx, sink_sbuf, &out, NULL) == ENVELOPE_OK &&
           out.len == payload.len && memcmp(out.data, payload.data, out.len) == 0,
       "and opened again");
    sbuf_free(&out);
    kms_key_set_enabled(k, a.key_id, false, &err);
    in.pos = 0;
    ok(envelope_open(src_mem, &in, kms_envelope_unwrap, &ctx, sink_sbuf, &out, NULL) == ENVELOPE_KEY &&
           ctx.err.code == KMS_DISABLED && out.len == 0,
       "with the key disabled: ENVELOPE_KEY, DisabledException, nothing out");
    src.pos = 0;
    sbuf obj2 = {0};
    ok(envelope_seal(&o, src_mem, &src, sink_sbuf, &obj2, NULL) == ENVELOPE_KEY && obj2.len == 0,
       "nor can a new object be sealed");
    kms_key_set_enabled(k, a.key_id, true, &err);
    in.pos = 0;
    ok(envelope_open(src_mem, &in, kms_envelope_unwrap, &ctx, sink_sbuf, &out, NULL) == ENVELOPE_OK,
       "re-enabling recovers");
    sbuf_free(&out);
    sbuf_free(&obj2);
    sbuf_free(&obj);
    sbuf_free(&payload);
    kms_key_clear(&a);
}

static void test_api(kms *k)
{
    int status;
    cJSON *r = api(k, "CreateKey", "{\"Description\":\"via api\"}", &status);
    is_int(status, 200, "API CreateKey");
    char *id = xstrdup(jstr(r, "KeyMetadata", "KeyId") ? jstr(r, "KeyMetadata", "KeyId") : "");
    is_str(jstr(r, "KeyMetadata", "KeyState"), "Enabled", "KeyMetadata.KeyState");
    is_str(jstr(r, "KeyMetadata", "KeyManager"), "CUSTOMER", "KeyMetadata.KeyManager");
    ok(cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "KeyMetadata"), "CreationDate")),
       "CreationDate is epoch seconds");
    cJSON_Delete(r);

    char *body = xasprintf("{\"KeyId\":\"%s\"}", id);
    char *sched = xasprintf("{\"KeyId\":\"%s\",\"PendingWindowInDays\":3}", id);
    char *sched_default = xasprintf("{\"KeyId\":\"%s\"}", id);
    struct {
        const char *op, *body;
        int status;
        const char *type; /* __type, or NULL for 200 */
    } cases[] = {
        {"DescribeKey", body, 200, NULL},
        {"DescribeKey", "{}", 400, "ValidationException"},
        {"DescribeKey", "{\"KeyId\":5}", 400, "SerializationException"},
        {"DescribeKey", "{\"KeyId\":\"nope\"}", 400, "NotFoundException"},
        {"DescribeKey", "not json", 400, "SerializationException"},
        {"DescribeKey", "[1,2]", 400, "SerializationException"},
        {"Unknown", "{}", 400, "UnknownOperationException"},
        {"CreateKey", "{\"KeySpec\":\"RSA_2048\"}", 400, "UnsupportedOperationException"},
        {"CreateKey", "{\"MultiRegion\":true}", 400, "UnsupportedOperationException"},
        {"ListKeys", "{\"Limit\":0}", 400, "ValidationException"},
        {"ListKeys", "{\"Limit\":1.5}", 400, "SerializationException"},
        {"ListKeys", "{\"Limit\":1e300}", 400, "SerializationException"},
        {"ListKeys", "{\"Marker\":\"garbage\"}", 400, "InvalidMarkerException"},
        {"ListKeys", "", 200, NULL},
        {"ListAliases", "{}", 200, NULL},
        {"CreateAlias", "{\"AliasName\":\"alias/x\"}", 400, "ValidationException"},
        {"ScheduleKeyDeletion", sched, 400, "ValidationException"},
        {"GenerateDataKey", body, 400, "ValidationException"},
        {"GenerateDataKey", "{\"KeyId\":\"alias/aws/rds\",\"KeySpec\":\"AES_512\"}", 400, "ValidationException"},
        {"GenerateDataKey", "{\"KeyId\":\"alias/aws/rds\",\"NumberOfBytes\":2000}", 400, "ValidationException"},
        {"GenerateDataKey", "{\"KeyId\":\"alias/aws/rds\",\"NumberOfBytes\":32,\"KeySpec\":\"AES_256\"}", 400, "ValidationException"},
        {"Encrypt", "{\"KeyId\":\"alias/aws/rds\",\"Plaintext\":\"not base64!\"}", 400, "SerializationException"},
        {"Encrypt", "{\"KeyId\":\"alias/aws/rds\",\"Plaintext\":\"\"}", 400, "ValidationException"},
        {"Decrypt", "{\"CiphertextBlob\":\"AAAA\"}", 400, "InvalidCiphertextException"},
        {"DisableKey", body, 200, NULL},
        {"Encrypt", NULL, 400, "DisabledException"},
        {"EnableKey", body, 200, NULL},
        {"ScheduleKeyDeletion", sched_default, 200, NULL},
        {"Encrypt", NULL, 400, "KMSInvalidStateException"},
        {"CancelKeyDeletion", body, 200, NULL},
    };
    char *enc = xasprintf("{\"KeyId\":\"%s\",\"Plaintext\":\"aGVsbG8=\"}", id);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *b = cases[i].body ? cases[i].body : enc;
        r = api(k, cases[i].op, b, &status);
        char name[200];
        snprintf(name, sizeof name, "API %s %.60s → %d %s", cases[i].op, b, cases[i].status,
                 cases[i].type ? cases[i].type : "");
        ok(r && status == cases[i].status &&
               (cases[i].type ? jstr(r, "__type", NULL) && strcmp(jstr(r, "__type", NULL), cases[i].type) == 0 &&
                                    jstr(r, "message", NULL)
                              : !cJSON_GetObjectItem(r, "__type")),
           name);
        if (strcmp(cases[i].op, "ScheduleKeyDeletion") == 0 && status == 200) {
            const cJSON *w = cJSON_GetObjectItem(r, "PendingWindowInDays");
            ok(cJSON_IsNumber(w) && w->valueint == 30 && strncmp(jstr(r, "KeyId", NULL), "arn:", 4) == 0,
               "ScheduleKeyDeletion defaults to 30 days and answers with the ARN");
        }
        cJSON_Delete(r);
    }
    char *missing_target = NULL;
    int st2;
    kms_api_handle(k, "CreateKey", "{}", 2, &missing_target, &st2);
    ok(st2 == 400 && strstr(missing_target, "UnknownOperationException"), "a target without TrentService. is unknown");
    free(missing_target);
    kms_api_handle(k, NULL, "{}", 2, &missing_target, &st2);
    ok(st2 == 400, "no target at all is refused");
    free(missing_target);

    /* Encrypt/Decrypt and GenerateDataKey round trips through the API
     * (the key is Disabled after CancelKeyDeletion: enable it first). */
    cJSON_Delete(api(k, "EnableKey", body, &status));
    r = api(k, "Encrypt", enc, &status);
    const char *blob = jstr(r, "CiphertextBlob", NULL);
    char *dec = xasprintf("{\"CiphertextBlob\":\"%s\"}", blob ? blob : "");
    cJSON_Delete(r);
    r = api(k, "Decrypt", dec, &status);
    is_str(jstr(r, "Plaintext", NULL), "aGVsbG8=", "API Encrypt then Decrypt");
    cJSON_Delete(r);
    free(dec);
    r = api(k, "GenerateDataKey", "{\"KeyId\":\"alias/aws/rds\",\"KeySpec\":\"AES_256\"}", &status);
    const char *p64 = jstr(r, "Plaintext", NULL), *c64 = jstr(r, "CiphertextBlob", NULL);
    ok(status == 200 && p64 && strlen(p64) == 44 && c64, "API GenerateDataKey AES_256");
    dec = xasprintf("{\"CiphertextBlob\":\"%s\",\"KeyId\":\"alias/aws/rds\"}", c64 ? c64 : "");
    cJSON *r2 = api(k, "Decrypt", dec, &status);
    ok(p64 && jstr(r2, "Plaintext", NULL) && strcmp(jstr(r2, "Plaintext", NULL), p64) == 0,
       "its blob decrypts to its plaintext");
    cJSON_Delete(r2);
    cJSON_Delete(r);
    free(dec);

    /* Paging. */
    int total = 0, pages = 0;
    char *marker = NULL;
    do {
        char *b = marker ? xasprintf("{\"Limit\":1,\"Marker\":\"%s\"}", marker) : xstrdup("{\"Limit\":1}");
        r = api(k, "ListKeys", b, &status);
        free(b);
        free(marker);
        marker = jstr(r, "NextMarker", NULL) ? xstrdup(jstr(r, "NextMarker", NULL)) : NULL;
        total += cJSON_GetArraySize(cJSON_GetObjectItem(r, "Keys"));
        bool truncated = cJSON_IsTrue(cJSON_GetObjectItem(r, "Truncated"));
        if (truncated != (marker != NULL))
            total = -1000;
        pages++;
        cJSON_Delete(r);
    } while (marker && pages < 100);
    r = api(k, "ListKeys", "{}", &status);
    int all = cJSON_GetArraySize(cJSON_GetObjectItem(r, "Keys"));
    ok(!cJSON_IsTrue(cJSON_GetObjectItem(r, "Truncated")) && !jstr(r, "NextMarker", NULL),
       "a page that holds every key is not truncated");
    cJSON_Delete(r);
    ok(all > 2 && total == all && pages == all, "ListKeys pages one by one through every key");
    char *filter = xasprintf("{\"KeyId\":\"%s\"}", id);
    cJSON_Delete(api(k, "CreateAlias", "{\"AliasName\":\"alias/api\",\"TargetKeyId\":\"alias/aws/rds\"}", &status));
    is_int(status, 400, "CreateAlias onto an alias is refused");
    char *ca = xasprintf("{\"AliasName\":\"alias/api\",\"TargetKeyId\":\"%s\"}", id);
    cJSON_Delete(api(k, "CreateAlias", ca, &status));
    is_int(status, 200, "API CreateAlias");
    r = api(k, "ListAliases", filter, &status);
    cJSON *items = cJSON_GetObjectItem(r, "Aliases");
    ok(cJSON_GetArraySize(items) == 1 &&
           strcmp(jstr(cJSON_GetArrayItem(items, 0), "AliasName", NULL), "alias/api") == 0 &&
           strcmp(jstr(cJSON_GetArrayItem(items, 0), "AliasArn", NULL),
                  "arn:aws:kms:us-east-1:123456789012:alias/api") == 0,
       "ListAliases --key-id shows that key's aliases");
    cJSON_Delete(r);
    free(ca);
    free(filter);
    free(enc);
    free(body);
    free(sched);
    free(sched_default);
    free(id);
}

/* Calls made inside the caller's transaction roll back with it. */
static void test_transactions(void)
{
    char *path = xasprintf("%s/tx.db", dir);
    store *st = store_open(path); /* the schema holds the KMS's tables */
    sqlite3 *db = store_sqlite(st);
    char *master = xasprintf("%s/master.key", dir);
    kms_config cfg = {.region = "us-east-1", .account = "123456789012", .master_key_path = master};
    kms *k = kms_open(db, &cfg);
    ok(k != NULL, "kms_open on a borrowed handle");
    kms_key a;
    kms_err err = {0};
    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    ok(kms_key_create(k, "inside", &a, &err), "CreateKey inside the caller's transaction");
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    kms_key d;
    ok(!kms_key_describe(k, a.key_id, &d, &err) && err.code == KMS_NOT_FOUND,
       "rolled back with it");
    kms_key_clear(&a);
    kms_close(k);
    store_close(st);
    free(master);
    free(path);
}

/* Key policy, rotation, tags and description (kmsmeta.c), through the API
 * as the Terraform provider calls them. */
static void test_meta(kms *k)
{
    int status;
    cJSON *r = api(k, "CreateKey", "{\"Description\":\"meta\",\"Policy\":\"{\\\"Statement\\\":"
                                   "[{\\\"Effect\\\":\\\"Allow\\\"}]}\",\"Tags\":[{\"TagKey\":"
                                   "\"team\",\"TagValue\":\"db\"}]}", &status);
    is_int(status, 200, "CreateKey with Policy and Tags");
    char *id = xstrdup(jstr(r, "KeyMetadata", "KeyId") ? jstr(r, "KeyMetadata", "KeyId") : "");
    cJSON_Delete(r);
    char *b = xasprintf("{\"KeyId\":\"%s\"}", id);
    r = api(k, "GetKeyPolicy", b, &status);
    is_str(jstr(r, "Policy", NULL), "{\"Statement\":[{\"Effect\":\"Allow\"}]}",
           "GetKeyPolicy: the policy as it was given");
    is_str(jstr(r, "PolicyName", NULL), "default", "... named default");
    cJSON_Delete(r);
    r = api(k, "ListResourceTags", b, &status);
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItem(r, "Tags"));
    is_str(text, "[{\"TagKey\":\"team\",\"TagValue\":\"db\"}]", "ListResourceTags: CreateKey's tags");
    ok(cJSON_IsFalse(cJSON_GetObjectItem(r, "Truncated")), "... not truncated");
    free(text);
    cJSON_Delete(r);
    r = api(k, "GetKeyRotationStatus", b, &status);
    ok(status == 200 && cJSON_IsFalse(cJSON_GetObjectItem(r, "KeyRotationEnabled")),
       "rotation is off for a new customer key");
    cJSON_Delete(r);

    char *rot = xasprintf("{\"KeyId\":\"%s\",\"RotationPeriodInDays\":90}", id);
    char *rot_bad = xasprintf("{\"KeyId\":\"%s\",\"RotationPeriodInDays\":30}", id);
    char *pol_bad = xasprintf("{\"KeyId\":\"%s\",\"PolicyName\":\"default\",\"Policy\":\"{]\"}", id);
    char *pol_name = xasprintf("{\"KeyId\":\"%s\",\"PolicyName\":\"other\",\"Policy\":\"{}\"}", id);
    char *pol_ok = xasprintf("{\"KeyId\":\"%s\",\"PolicyName\":\"default\",\"Policy\":"
                             "\"{\\\"Statement\\\":[{}]}\"}", id);
    char *tag = xasprintf("{\"KeyId\":\"%s\",\"Tags\":[{\"TagKey\":\"team\",\"TagValue\":\"ops\"},"
                          "{\"TagKey\":\"env\",\"TagValue\":\"\"}]}", id);
    char *tag_aws = xasprintf("{\"KeyId\":\"%s\",\"Tags\":[{\"TagKey\":\"aws:x\",\"TagValue\":\"1\"}]}", id);
    char *untag = xasprintf("{\"KeyId\":\"%s\",\"TagKeys\":[\"team\",\"absent\"]}", id);
    char *descr = xasprintf("{\"KeyId\":\"%s\",\"Description\":\"renamed\"}", id);
    struct {
        const char *op, *body;
        int status;
        const char *type;
    } cases[] = {
        {"EnableKeyRotation", rot, 200, NULL},
        {"EnableKeyRotation", rot_bad, 400, "ValidationException"},
        {"EnableKeyRotation", "{\"KeyId\":\"nope\"}", 400, "NotFoundException"},
        {"PutKeyPolicy", pol_bad, 400, "MalformedPolicyDocumentException"},
        {"PutKeyPolicy", pol_name, 400, "NotFoundException"},
        {"PutKeyPolicy", pol_ok, 200, NULL},
        {"PutKeyPolicy", b, 400, "ValidationException"},
        {"TagResource", tag, 200, NULL},
        {"TagResource", tag_aws, 400, "TagException"},
        {"TagResource", b, 400, "ValidationException"},
        {"UntagResource", untag, 200, NULL},
        {"UpdateKeyDescription", descr, 200, NULL},
        {"GetKeyPolicy", "{\"KeyId\":\"alias/aws/rds\"}", 200, NULL},
        {"PutKeyPolicy", "{\"KeyId\":\"alias/aws/rds\",\"Policy\":\"{\\\"Statement\\\":[{}]}\"}",
         400, "AccessDeniedException"},
        {"ListKeyPolicies", b, 200, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        r = api(k, cases[i].op, cases[i].body, &status);
        const char *type = jstr(r, "__type", NULL);
        char *name = xasprintf("%s case %zu: %d %s", cases[i].op, i, cases[i].status,
                               cases[i].type ? cases[i].type : "ok");
        ok(status == cases[i].status &&
               (cases[i].type ? type && strcmp(type, cases[i].type) == 0 : type == NULL),
           name);
        free(name);
        cJSON_Delete(r);
    }
    r = api(k, "GetKeyRotationStatus", b, &status);
    const cJSON *days = cJSON_GetObjectItem(r, "RotationPeriodInDays");
    const cJSON *next = cJSON_GetObjectItem(r, "NextRotationDate");
    ok(cJSON_IsTrue(cJSON_GetObjectItem(r, "KeyRotationEnabled")) && cJSON_IsNumber(days) &&
           days->valueint == 90 && cJSON_IsNumber(next) && strstr(jstr(r, "KeyId", NULL), "arn:"),
       "GetKeyRotationStatus: enabled, 90 days, a next date, the key's ARN");
    cJSON_Delete(r);
    r = api(k, "GetKeyPolicy", b, &status);
    is_str(jstr(r, "Policy", NULL), "{\"Statement\":[{}]}", "PutKeyPolicy replaced the policy");
    cJSON_Delete(r);
    r = api(k, "ListResourceTags", b, &status);
    text = cJSON_PrintUnformatted(cJSON_GetObjectItem(r, "Tags"));
    is_str(text, "[{\"TagKey\":\"env\",\"TagValue\":\"\"}]",
           "TagResource replaced team's value, UntagResource removed it; an absent key is no error");
    free(text);
    cJSON_Delete(r);
    r = api(k, "DescribeKey", b, &status);
    is_str(jstr(r, "KeyMetadata", "Description"), "renamed", "UpdateKeyDescription");
    cJSON_Delete(r);
    r = api(k, "GetKeyRotationStatus", "{\"KeyId\":\"alias/aws/rds\"}", &status);
    ok(cJSON_IsTrue(cJSON_GetObjectItem(r, "KeyRotationEnabled")),
       "an AWS managed key rotates (yearly)");
    cJSON_Delete(r);
    r = api(k, "DisableKey", b, &status);
    cJSON_Delete(r);
    r = api(k, "DisableKeyRotation", b, &status);
    is_str(jstr(r, "__type", NULL), "DisabledException", "rotation of a disabled key: DisabledException");
    cJSON_Delete(r);
    r = api(k, "EnableKey", b, &status);
    cJSON_Delete(r);
    r = api(k, "DisableKeyRotation", b, &status);
    is_int(status, 200, "DisableKeyRotation");
    cJSON_Delete(r);
    r = api(k, "GetKeyRotationStatus", b, &status);
    ok(cJSON_IsFalse(cJSON_GetObjectItem(r, "KeyRotationEnabled")) &&
           !cJSON_GetObjectItem(r, "RotationPeriodInDays"), "... off again, no period shown");
    cJSON_Delete(r);
    /* The key's row goes with the key at the end of its waiting period. */
    char *sched = xasprintf("{\"KeyId\":\"%s\",\"PendingWindowInDays\":7}", id);
    r = api(k, "ScheduleKeyDeletion", sched, &status);
    cJSON_Delete(r);
    r = api(k, "GetKeyPolicy", b, &status);
    is_int(status, 200, "GetKeyPolicy works while pending deletion");
    cJSON_Delete(r);
    r = api(k, "TagResource", tag, &status);
    is_str(jstr(r, "__type", NULL), "KMSInvalidStateException",
           "TagResource while pending deletion: KMSInvalidStateException");
    cJSON_Delete(r);
    offset_ms += 8 * DAY_MS;
    r = api(k, "ListKeys", "{}", &status);
    cJSON_Delete(r);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(kms_db(k), "SELECT count(*) FROM kms_key_meta WHERE key_id = ?", -1, &st,
                       NULL);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    ok(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0,
       "a deleted key's policy, rotation and tags are deleted with it");
    sqlite3_finalize(st);
    free(sched);
    free(rot);
    free(rot_bad);
    free(pol_bad);
    free(pol_name);
    free(pol_ok);
    free(tag);
    free(tag_aws);
    free(untag);
    free(descr);
    free(b);
    free(id);
}

int main(void)
{
    log_set_level(LOG_LEVEL_WARN);
    if (!mkdtemp(dir))
        return 1;
    test_master_key();
    kms *k = open_kms("kms.db", "master.key");
    ok(k != NULL, "open");
    test_keys(k);
    test_states(k);
    test_envelope(k);
    test_api(k);
    test_meta(k);
    kms_close(k);
    test_transactions();
    is_str(kms_err_name(KMS_INVALID_STATE), "KMSInvalidStateException", "error names");
    ok(!kms_err_key_inaccessible(KMS_INVALID_CIPHERTEXT), "a bad blob is not an inaccessible key");
    fs_rm_rf(dir);
    return done_testing();
}
