/* sqs: see sqs.h. */
#include "controlplane/notify/sqs.h"

#include <cjson/cJSON.h>
#include <event2/http.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "controlplane/notify/snsmsg.h"
#include "controlplane/notify/sqsattr.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/util.h"

#define SQS_RECEIVE_MAX 10
#define SQS_VISIBILITY_MAX (12 * 3600)

static bool queue_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 80)
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
            return false;
    return true;
}

static char *queue_url(const region *r, const char *name)
{
    return xasprintf("http://127.0.0.1/%s/%s", r->cfg.account, name);
}

/* The queue's visibility timeout; -1 when it does not exist. */
static int queue_visibility(region *r, const char *name)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT visibility_s FROM sqs_queues WHERE name=?");
    if (!st)
        return -1;
    sqlrow_bind_text(st, 1, name);
    int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

static bool no_queue(awserr *err)
{
    return awserr_set(err, AWSERR_SQS_QUEUE_DOES_NOT_EXIST,
                      "The specified queue does not exist.");
}

/* The queue named by QueueUrl (its last path segment); *vis gets its
 * visibility timeout. Borrowed from p. */
const char *sqs_queue_from_url(region *r, const params *p, int *vis, awserr *err)
{
    const char *url = params_require(p, "QueueUrl", err);
    if (!url)
        return NULL;
    const char *name = strrchr(url, '/');
    name = name ? name + 1 : url;
    *vis = queue_visibility(r, name);
    if (*vis < 0)
        return no_queue(err), NULL;
    return name;
}

bool sqs_enqueue(region *r, const char *name, const char *body, awserr *err)
{
    if (queue_visibility(r, name) < 0)
        return no_queue(err);
    char *mid = snsmsg_uuid();
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, "INSERT INTO sqs_messages(queue,message_id,body,receipt,visible_ms,"
               "receive_count,sent_ms) VALUES(?,?,?,NULL,?,0,?)");
    bool ok = st != NULL;
    if (ok) {
        int64_t now = wall_ms();
        sqlrow_bind_text(st, 1, name);
        sqlrow_bind_text(st, 2, mid);
        sqlrow_bind_text(st, 3, body);
        sqlite3_bind_int64(st, 4, now);
        sqlite3_bind_int64(st, 5, now);
        ok = sqlrow_run(st);
    }
    free(mid);
    if (!ok)
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The message could not be stored.");
    return ok;
}

/* ---- handlers ---- */

static bool sqs_create_queue(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *name = params_require(p, "QueueName", err);
    if (!name)
        return false;
    if (!queue_name_ok(name))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Can only include alphanumeric characters, hyphens, or underscores. 1 "
                          "to 80 in length");
    int64_t vis;
    int have = queue_visibility(r, name);
    /* The attributes and tags checked (and, for an existing queue,
     * compared: CreateQueue is idempotent only for the same ones). */
    if (!store_begin(r->st))
        return false;
    bool ok = sqsattr_create(r, p, name, have >= 0, &vis, err);
    if (ok && have >= 0 && vis >= 0 && have != vis)
        ok = awserr_set(err, AWSERR_SQS_QUEUE_NAME_EXISTS,
                        "A queue already exists with the same name and a different value for "
                        "attribute VisibilityTimeout");
    if (ok && have < 0) {
        sqlite3_stmt *st = sqlrow_prepare(r->st, "INSERT INTO sqs_queues(name,visibility_s,"
                                                 "created_ms) VALUES(?,?,?)");
        ok = st != NULL;
        if (ok) {
            sqlrow_bind_text(st, 1, name);
            sqlite3_bind_int64(st, 2, vis >= 0 ? vis : SQS_DEFAULT_VISIBILITY_S);
            sqlite3_bind_int64(st, 3, region_now_ms(r));
            ok = sqlrow_run(st);
        }
    }
    if (!ok || !store_commit(r->st)) {
        store_rollback(r->st);
        return false;
    }
    char *url = queue_url(r, name);
    cJSON_AddStringToObject(result, "QueueUrl", url);
    free(url);
    return true;
}

static bool sqs_get_queue_url(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *name = params_require(p, "QueueName", err);
    if (!name)
        return false;
    if (queue_visibility(r, name) < 0)
        return no_queue(err);
    char *url = queue_url(r, name);
    cJSON_AddStringToObject(result, "QueueUrl", url);
    free(url);
    return true;
}

static bool sqs_list_queues(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)err;
    const char *prefix = params_get(p, "QueueNamePrefix");
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT name FROM sqs_queues ORDER BY name");
    if (!st)
        return false;
    cJSON *list = cJSON_CreateArray();
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (prefix && strncmp(name, prefix, strlen(prefix)) != 0)
            continue;
        char *url = queue_url(r, name);
        cJSON_AddItemToArray(list, cJSON_CreateString(url));
        free(url);
    }
    sqlite3_finalize(st);
    /* An empty list is omitted, as SQS does. */
    if (cJSON_GetArraySize(list) > 0)
        cJSON_AddItemToObject(result, "QueueUrls", list);
    else
        cJSON_Delete(list);
    return true;
}

static bool sqs_delete_queue(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    int vis;
    const char *name = sqs_queue_from_url(r, p, &vis, err);
    if (!name || !store_begin(r->st))
        return false;
    sqlite3_stmt *a = sqlrow_prepare(r->st, "DELETE FROM sqs_messages WHERE queue=?");
    bool ok = a != NULL;
    if (ok) {
        sqlrow_bind_text(a, 1, name);
        ok = sqlrow_run(a);
    }
    sqlite3_stmt *b = ok ? sqlrow_prepare(r->st, "DELETE FROM sqs_queues WHERE name=?") : NULL;
    ok = b != NULL;
    if (ok) {
        sqlrow_bind_text(b, 1, name);
        ok = sqlrow_run(b);
    }
    if (ok && store_commit(r->st))
        return true;
    store_rollback(r->st);
    return false;
}

static void md5_hex(const char *s, char out[33])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(s, strlen(s), d, &n, EVP_md5(), NULL);
    for (unsigned i = 0; i < n && i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static bool sqs_send_message(region *r, const params *p, cJSON *result, awserr *err)
{
    int vis;
    const char *name = sqs_queue_from_url(r, p, &vis, err);
    if (!name)
        return false;
    const char *body = params_require(p, "MessageBody", err);
    if (!body)
        return false;
    if (strlen(body) > SQS_MESSAGE_MAX)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "One or more parameters are invalid. Reason: Message must be shorter "
                          "than 262144 bytes.");
    if (!sqs_enqueue(r, name, body, err))
        return false;
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT message_id FROM sqs_messages WHERE "
                                             "rowid=last_insert_rowid()");
    char md5[33] = "";
    md5_hex(body, md5);
    cJSON_AddStringToObject(result, "MD5OfMessageBody", md5);
    if (st && sqlite3_step(st) == SQLITE_ROW)
        cJSON_AddStringToObject(result, "MessageId", (const char *)sqlite3_column_text(st, 0));
    if (st)
        sqlite3_finalize(st);
    return true;
}

/* Hides row id until `until` with a new receipt handle, which it returns
 * (caller frees); NULL on a store error. */
static char *message_take(region *r, int64_t id, int64_t until)
{
    char *label = region_random_label(48);
    char *receipt = xasprintf("%lld.%s", (long long)id, label);
    free(label);
    sqlite3_stmt *st = sqlrow_prepare(r->st, "UPDATE sqs_messages SET receipt=?, visible_ms=?, "
                                             "receive_count=receive_count+1 WHERE id=?");
    bool ok = st != NULL;
    if (ok) {
        sqlrow_bind_text(st, 1, receipt);
        sqlite3_bind_int64(st, 2, until);
        sqlite3_bind_int64(st, 3, id);
        ok = sqlrow_run(st);
    }
    if (!ok) {
        free(receipt);
        return NULL;
    }
    return receipt;
}

static bool sqs_receive_message(region *r, const params *p, cJSON *result, awserr *err)
{
    int vis;
    const char *name = sqs_queue_from_url(r, p, &vis, err);
    if (!name)
        return false;
    int64_t max = 1, v = vis;
    if (!params_get_int(p, "MaxNumberOfMessages", 1, SQS_RECEIVE_MAX, &max, NULL, err) ||
        !params_get_int(p, "VisibilityTimeout", 0, SQS_VISIBILITY_MAX, &v, NULL, err) ||
        !params_get_int(p, "WaitTimeSeconds", 0, 20, &(int64_t){0}, NULL, err))
        return false;
    int64_t now = wall_ms();
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, "SELECT id, message_id, body, receive_count, sent_ms FROM sqs_messages "
               "WHERE queue=? AND visible_ms <= ? ORDER BY id LIMIT ?");
    if (!st || !store_begin(r->st)) {
        if (st)
            sqlite3_finalize(st);
        return false;
    }
    sqlrow_bind_text(st, 1, name);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, max);
    cJSON *list = cJSON_CreateArray();
    bool ok = true;
    while (ok && sqlite3_step(st) == SQLITE_ROW) {
        const char *body = (const char *)sqlite3_column_text(st, 2);
        char *receipt = message_take(r, sqlite3_column_int64(st, 0), now + v * 1000);
        ok = receipt != NULL;
        if (!ok)
            break;
        char md5[33] = "", buf[24];
        md5_hex(body, md5);
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "MessageId", (const char *)sqlite3_column_text(st, 1));
        cJSON_AddStringToObject(m, "ReceiptHandle", receipt);
        cJSON_AddStringToObject(m, "MD5OfBody", md5);
        cJSON_AddStringToObject(m, "Body", body);
        cJSON *attrs = cJSON_AddObjectToObject(m, "Attributes");
        snprintf(buf, sizeof buf, "%d", sqlite3_column_int(st, 3) + 1);
        cJSON_AddStringToObject(attrs, "ApproximateReceiveCount", buf);
        snprintf(buf, sizeof buf, "%lld", (long long)sqlite3_column_int64(st, 4));
        cJSON_AddStringToObject(attrs, "SentTimestamp", buf);
        cJSON_AddItemToArray(list, m);
        free(receipt);
    }
    sqlite3_finalize(st);
    if (!ok || !store_commit(r->st)) {
        store_rollback(r->st);
        cJSON_Delete(list);
        return false;
    }
    if (cJSON_GetArraySize(list) > 0)
        cJSON_AddItemToObject(result, "Messages", list);
    else
        cJSON_Delete(list);
    return true;
}

static bool sqs_delete_message(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    int vis;
    const char *name = sqs_queue_from_url(r, p, &vis, err);
    const char *receipt = name ? params_require(p, "ReceiptHandle", err) : NULL;
    if (!receipt)
        return false;
    sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM sqs_messages WHERE queue=? AND "
                                             "receipt=?");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, name);
    sqlrow_bind_text(st, 2, receipt);
    if (!sqlrow_run(st))
        return false;
    if (sqlrow_changes(r->st) == 0)
        return awserr_set(err, AWSERR_SQS_RECEIPT_HANDLE_INVALID,
                          "The input receipt handle \"%s\" is not a valid receipt handle.",
                          receipt);
    return true;
}

static const action_def sqs_table[] = {
    {"CreateQueue", sqs_create_queue, false},
    {"GetQueueUrl", sqs_get_queue_url, false},
    {"ListQueues", sqs_list_queues, false},
    {"DeleteQueue", sqs_delete_queue, false},
    {"SendMessage", sqs_send_message, false},
    {"ReceiveMessage", sqs_receive_message, false},
    {"DeleteMessage", sqs_delete_message, false},
    {"GetQueueAttributes", sqsattr_get_queue_attributes, false},
    {"SetQueueAttributes", sqsattr_set_queue_attributes, false},
    {"TagQueue", sqsattr_tag_queue, false},
    {"UntagQueue", sqsattr_untag_queue, false},
    {"ListQueueTags", sqsattr_list_queue_tags, false},
};

const action_def *sqs_actions_find(const char *name)
{
    for (size_t i = 0; i < sizeof sqs_table / sizeof sqs_table[0]; i++)
        if (strcmp(sqs_table[i].name, name) == 0)
            return &sqs_table[i];
    return NULL;
}

/* ---- JSON 1.0 ---- */

/* The flattened item name of a JSON list member (the sqs model's
 * locationName), or NULL for NAME.member.N. */
static const char *list_item_name(const char *member)
{
    static const char *const map[][2] = {
        {"AttributeNames", "AttributeName"},
        {"TagKeys", "TagKey"},
        {"MessageAttributeNames", "MessageAttributeName"},
        {"MessageSystemAttributeNames", "MessageSystemAttributeName"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], member) == 0)
            return map[i][1];
    return NULL;
}

/* The JSON request as Query pairs: strings and numbers as Name=value,
 * Attributes {k: v} as Attribute.N.Name/Value, tags {k: v} as
 * Tag.N.Key/Value, AttributeNames [..] as AttributeName.N (and the other
 * lists of list_item_name), other arrays of strings as Name.member.N. Returns the form body (caller frees) or NULL when the
 * body is not a JSON object of such members. */
static char *json_to_form(const char *body, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return NULL;
    }
    sbuf b = {0};
    bool ok = true;
    const cJSON *m;
    cJSON_ArrayForEach(m, root)
    {
        /* Member names are the client's too: only model-like names pass. */
        if (strspn(m->string, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") !=
            strlen(m->string)) {
            ok = false;
            break;
        }
        char *v = NULL;
        if (cJSON_IsString(m))
            v = xstrdup(m->valuestring);
        else if (cJSON_IsNumber(m))
            v = xasprintf("%lld", (long long)m->valuedouble);
        else if (cJSON_IsBool(m))
            v = xstrdup(cJSON_IsTrue(m) ? "true" : "false");
        if (v) {
            char *e = evhttp_uriencode(v, -1, 1);
            sbuf_printf(&b, "%s%s=%s", b.len ? "&" : "", m->string, e ? e : "");
            free(e);
            free(v);
            continue;
        }
        /* Maps and lists take the Query protocol's flattened names
         * (the sqs model's locationNames); sqsattr.h reads those. */
        const char *flat = NULL, *kf = "Name", *vf = "Value";
        if (cJSON_IsNull(m))
            continue; /* null: absent */
        if (cJSON_IsObject(m) && strcmp(m->string, "Attributes") == 0)
            flat = "Attribute";
        else if (cJSON_IsObject(m) && (strcmp(m->string, "tags") == 0 ||
                                       strcmp(m->string, "Tags") == 0))
            flat = "Tag", kf = "Key";
        else if (cJSON_IsArray(m))
            flat = list_item_name(m->string);
        else
            ok = false;
        int i = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, m)
        {
            i++;
            if (!ok || !cJSON_IsString(c)) {
                ok = false;
                break;
            }
            char *ev = evhttp_uriencode(c->valuestring, -1, 1);
            if (cJSON_IsObject(m)) {
                char *ek = evhttp_uriencode(c->string, -1, 1);
                sbuf_printf(&b, "%s%s.%d.%s=%s&%s.%d.%s=%s", b.len ? "&" : "", flat, i, kf,
                            ek ? ek : "", flat, i, vf, ev ? ev : "");
                free(ek);
            } else if (flat) {
                sbuf_printf(&b, "%s%s.%d=%s", b.len ? "&" : "", flat, i, ev ? ev : "");
            } else {
                sbuf_printf(&b, "%s%s.member.%d=%s", b.len ? "&" : "", m->string, i, ev ? ev : "");
            }
            free(ev);
        }
        if (!ok)
            break;
    }
    cJSON_Delete(root);
    if (!ok) {
        sbuf_free(&b);
        return NULL;
    }
    return sbuf_take(&b);
}

/* The error's shape name in the sqs model (the __type). */
static const char *json_type(awserr_code code)
{
    switch (code) {
    case AWSERR_SQS_QUEUE_DOES_NOT_EXIST: return "QueueDoesNotExist";
    case AWSERR_SQS_RECEIPT_HANDLE_INVALID: return "ReceiptHandleIsInvalid";
    case AWSERR_SQS_QUEUE_NAME_EXISTS: return "QueueNameExists";
    case AWSERR_SQS_INVALID_ATTRIBUTE_NAME: return "InvalidAttributeName";
    case AWSERR_MISSING_PARAMETER: return "MissingParameter";
    case AWSERR_INVALID_ACTION: return "UnsupportedOperation";
    case AWSERR_INTERNAL_FAILURE: return "InternalError";
    default: return "InvalidParameterValue";
    }
}

void sqs_json_handle(region *r, const char *target, const char *body, size_t len, char **reply,
                     int *status, const char **query_error)
{
    awserr err = {0};
    cJSON *result = cJSON_CreateObject();
    params *p = NULL;
    const char *op = strchr(target, '.') ? strchr(target, '.') + 1 : target;
    const action_def *def = sqs_actions_find(op);
    char *form = len ? json_to_form(body, len) : xstrdup("");
    if (!def)
        awserr_set(&err, AWSERR_INVALID_ACTION, "The action %s is not valid for this endpoint.",
                   op);
    else if (!form)
        awserr_set(&err, AWSERR_INVALID_PARAMETER_VALUE, "The request body is not valid JSON.");
    else if ((p = params_parse(form, strlen(form), &err)) != NULL &&
             !def->fn(r, p, result, &err) && err.code == AWSERR_NONE)
        awserr_set(&err, AWSERR_INTERNAL_FAILURE, "The request failed for an internal reason.");
    if (err.code == AWSERR_NONE) {
        *reply = cJSON_PrintUnformatted(result);
        *status = 200;
        *query_error = NULL;
    } else {
        cJSON *e = cJSON_CreateObject();
        char *type = xasprintf("com.amazonaws.sqs#%s", json_type(err.code));
        cJSON_AddStringToObject(e, "__type", type);
        cJSON_AddStringToObject(e, "message", err.message);
        *reply = cJSON_PrintUnformatted(e);
        cJSON_Delete(e);
        free(type);
        *status = awserr_http_status(err.code) == 404 ? 400 : awserr_http_status(err.code);
        *query_error = awserr_wire_code(err.code);
        LOG_INFO("sqs action=%s code=%s", op, awserr_wire_code(err.code));
    }
    params_free(p);
    free(form);
    cJSON_Delete(result);
}

bool sqs_prune(region *r, int *n)
{
    *n = 0;
    sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM sqs_messages WHERE sent_ms < ?");
    if (!st)
        return false;
    sqlite3_bind_int64(st, 1, region_now_ms(r) - SQS_RETENTION_MS);
    if (!sqlrow_run(st))
        return false;
    *n = sqlite3_changes(store_sqlite(r->st));
    return true;
}
