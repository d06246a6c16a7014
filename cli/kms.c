/* kms: see kms.h.
 *
 * The flags go through args.h like every other command (so --x=VALUE,
 * repeated flags and integer checks behave the same), into a query list
 * keyed by JSON member name, which is then turned into the JSON body
 * using each spec's type. lib/httpc cannot send extra headers, so the one
 * request this module makes is built on evhttp here. */
#include "cli/kms.h"

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api.h"
#include "cli/exitcode.h"
#include "lib/awscreds.h"
#include "lib/rclock.h"

#define KMS_CLI_TIMEOUT_S 30
#define KMS_CLI_MAX_PAGES 10000

#define K_STR(f, p, h) {f, p, ARG_STRING, NULL, NULL, false, h}
#define K_REQ(f, p, h) {f, p, ARG_STRING, NULL, NULL, true, h}
#define K_INT(f, p, h) {f, p, ARG_INT, NULL, NULL, false, h}
#define K_BOOL(f, p, h) {f, p, ARG_BOOL, NULL, NULL, false, h}
#define K_END {NULL, NULL, 0, NULL, NULL, false, NULL}

/* Flag tables in the order of the operation's members in botocore's
 * kms model. */
static const arg_spec create_key_flags[] = {
    K_STR("description", "Description", "A description of the key (up to 8192 characters)"),
    K_STR("key-usage", "KeyUsage", "ENCRYPT_DECRYPT (the only usage rdsim supports)"),
    K_STR("key-spec", "KeySpec", "SYMMETRIC_DEFAULT (the only spec rdsim supports)"),
    K_STR("origin", "Origin", "AWS_KMS (the only origin rdsim supports)"),
    K_BOOL("multi-region", "MultiRegion", "Multi-Region key (not supported)"),
    K_END,
};

static const arg_spec key_id_flags[] = {
    K_REQ("key-id", "KeyId", "Key id, key ARN, alias name or alias ARN"),
    K_END,
};

static const arg_spec key_only_flags[] = {
    K_REQ("key-id", "KeyId", "Key id or key ARN"),
    K_END,
};

static const arg_spec list_keys_flags[] = {
    K_INT("limit", "Limit", "Page size (1-1000); turns off automatic paging"),
    K_STR("marker", "Marker", "Start after this marker; turns off automatic paging"),
    K_END,
};

static const arg_spec list_aliases_flags[] = {
    K_STR("key-id", "KeyId", "Only the aliases of this key (id or ARN)"),
    K_INT("limit", "Limit", "Page size (1-1000); turns off automatic paging"),
    K_STR("marker", "Marker", "Start after this marker; turns off automatic paging"),
    K_END,
};

static const arg_spec create_alias_flags[] = {
    K_REQ("alias-name", "AliasName", "alias/<name>; alias/aws/ is reserved"),
    K_REQ("target-key-id", "TargetKeyId", "Key id or key ARN"),
    K_END,
};

static const arg_spec schedule_flags[] = {
    K_REQ("key-id", "KeyId", "Key id or key ARN"),
    K_INT("pending-window-in-days", "PendingWindowInDays", "Days before deletion, 7-30 (30)"),
    K_END,
};

const kms_cli_subcommand kms_cli_subcommands[] = {
    {"create-key", "CreateKey", "Creates a symmetric encryption key.", create_key_flags, NULL},
    {"describe-key", "DescribeKey", "Describes a key; alias/aws/rds is created on first use.",
     key_id_flags, NULL},
    {"list-keys", "ListKeys", "Lists the keys (all pages).", list_keys_flags, "Keys"},
    {"list-aliases", "ListAliases", "Lists the aliases (all pages).", list_aliases_flags,
     "Aliases"},
    {"create-alias", "CreateAlias", "Gives a key an alias.", create_alias_flags, NULL},
    {"disable-key", "DisableKey", "Disables a key: nothing it protects can be read.",
     key_only_flags, NULL},
    {"enable-key", "EnableKey", "Enables a disabled key.", key_only_flags, NULL},
    {"schedule-key-deletion", "ScheduleKeyDeletion",
     "Schedules a key's deletion in 7-30 days (region clock); unusable meanwhile.",
     schedule_flags, NULL},
    {"cancel-key-deletion", "CancelKeyDeletion",
     "Cancels a scheduled deletion; the key comes back disabled.", key_only_flags, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

const arg_spec kms_cli_flags[] = {K_END};

const kms_cli_subcommand *kms_cli_find(const char *name)
{
    for (const kms_cli_subcommand *sc = kms_cli_subcommands; sc->name; sc++)
        if (strcmp(sc->name, name) == 0)
            return sc;
    return NULL;
}

/* ------------------------------------------------------- the request */

static const arg_spec *kms_cli_spec_for(const arg_spec *flags, const char *param)
{
    for (const arg_spec *s = flags; s->flag; s++)
        if (s->param && strcmp(s->param, param) == 0)
            return s;
    return NULL;
}

static args_status kms_cli_build(const kms_cli_subcommand *sc, int argc, char *const *argv,
                                 cJSON **body, bool *explicit_page, sbuf *err)
{
    query params = {0}, opts = {0};
    *body = NULL;
    args_status st = args_parse(sc->flags, argc, argv, &params, &opts, err);
    if (st == ARGS_OK) {
        *body = cJSON_CreateObject();
        for (size_t i = 0; i < params.len; i++) {
            const query_param *q = &params.items[i];
            const arg_spec *s = kms_cli_spec_for(sc->flags, q->name);
            if (s && s->type == ARG_INT)
                cJSON_AddNumberToObject(*body, q->name, strtod(q->value, NULL));
            else if (s && s->type == ARG_BOOL)
                cJSON_AddBoolToObject(*body, q->name, strcmp(q->value, "true") == 0);
            else
                cJSON_AddStringToObject(*body, q->name, q->value);
        }
        *explicit_page = query_get(&params, "Limit") || query_get(&params, "Marker");
    }
    query_free(&params);
    query_free(&opts);
    return st;
}

args_status kms_cli_build_body(const kms_cli_subcommand *sc, int argc, char *const *argv,
                               char **body, bool *explicit_page, sbuf *err)
{
    cJSON *j;
    *body = NULL;
    args_status st = kms_cli_build(sc, argc, argv, &j, explicit_page, err);
    if (st == ARGS_OK)
        *body = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return st;
}

/* ------------------------------------------------------------ HTTP */

typedef struct {
    struct event_base *base;
    int status;
    sbuf body;
} kms_cli_http;

static void kms_cli_http_done(struct evhttp_request *req, void *arg)
{
    kms_cli_http *h = arg;
    h->status = req ? evhttp_request_get_response_code(req) : 0;
    if (req && h->status > 0) {
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        size_t n = evbuffer_get_length(in);
        if (n > 0)
            sbuf_append(&h->body, (const char *)evbuffer_pullup(in, (ssize_t)n), n);
    }
    event_base_loopbreak(h->base);
}

int kms_cli_post(const char *endpoint, const char *operation, const char *body, int timeout_s,
                 char **reply)
{
    *reply = NULL;
    kms_cli_http h = {0};
    struct evhttp_uri *uri = evhttp_uri_parse(endpoint);
    const char *host = uri ? evhttp_uri_get_host(uri) : NULL;
    const char *scheme = uri ? evhttp_uri_get_scheme(uri) : NULL;
    struct evhttp_connection *conn = NULL;
    if (!host || !scheme || strcmp(scheme, "http") != 0)
        goto done;
    int port = evhttp_uri_get_port(uri);
    if (port < 0)
        port = 80;
    h.base = event_base_new();
    if (!h.base)
        goto done;
    conn = evhttp_connection_base_new(h.base, NULL, host, (unsigned short)port);
    evhttp_connection_set_timeout(conn, timeout_s > 0 ? timeout_s : KMS_CLI_TIMEOUT_S);
    evhttp_connection_set_retries(conn, 0);
    struct evhttp_request *req = evhttp_request_new(kms_cli_http_done, &h);
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
    char hostport[300], target[128];
    snprintf(hostport, sizeof hostport, "%s:%d", host, port);
    snprintf(target, sizeof target, "TrentService.%s", operation);
    evhttp_add_header(hdr, "Host", hostport);
    evhttp_add_header(hdr, "Connection", "close");
    evhttp_add_header(hdr, "Content-Type", "application/x-amz-json-1.1");
    evhttp_add_header(hdr, "X-Amz-Target", target);
    const char *extra[] = {"X-Amz-Target", target, NULL};
    char **sig = api_sign_headers(endpoint, "kms", "application/x-amz-json-1.1", extra, body);
    /* The extra headers come back first; the rest are the signature's. */
    for (char **kv = sig ? sig + 2 : NULL; kv && kv[0] && kv[1]; kv += 2)
        evhttp_add_header(hdr, kv[0], kv[1]);
    awscreds_headers_free(sig);
    evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
    /* On failure evhttp_make_request frees req and calls nothing. */
    if (evhttp_make_request(conn, req, EVHTTP_REQ_POST, "/") == 0)
        event_base_dispatch(h.base);
done:
    /* Freed here, after the loop, never inside the request's callback. */
    if (conn)
        evhttp_connection_free(conn);
    if (h.base)
        event_base_free(h.base);
    if (uri)
        evhttp_uri_free(uri);
    *reply = h.body.data ? sbuf_take(&h.body) : xstrdup("");
    return h.status;
}

/* The reply to an api_reply, so that errors print as every other
 * command's do. __type may carry a namespace ("com.amazonaws.kms#X"). */
static void kms_cli_parse_reply(int status, const char *text, api_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    reply->http_status = status;
    if (status == 0) {
        reply->status = API_CONNECT_ERROR;
        return;
    }
    cJSON *doc = *text ? cJSON_Parse(text) : cJSON_CreateObject();
    if (status >= 200 && status < 300 && cJSON_IsObject(doc)) {
        reply->status = API_OK;
        reply->result = doc;
        return;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(doc, "__type");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(doc, "message");
    if (!cJSON_IsString(msg))
        msg = cJSON_GetObjectItemCaseSensitive(doc, "Message");
    reply->status = API_SERVICE_ERROR;
    if (cJSON_IsString(type)) {
        const char *hash = strrchr(type->valuestring, '#');
        reply->error_code = xstrdup(hash ? hash + 1 : type->valuestring);
    } else {
        reply->error_code = xasprintf("%d", status);
    }
    reply->error_message = xstrdup(cJSON_IsString(msg) ? msg->valuestring : "Unknown");
    cJSON_Delete(doc);
}

/* -------------------------------------------------------- the output */

void kms_cli_show_dates(cJSON *v)
{
    static const char *const names[] = {"CreationDate", "DeletionDate", "LastUpdatedDate",
                                        "ValidTo"};
    cJSON *next;
    for (cJSON *c = v ? v->child : NULL; c; c = next) {
        next = c->next; /* c may be replaced (freed) below */
        if (cJSON_IsNumber(c) && c->string) {
            for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
                if (strcmp(c->string, names[i]) != 0)
                    continue;
                char buf[40];
                rclock_format((int64_t)(c->valuedouble * 1000.0 + 0.5), buf, sizeof buf);
                cJSON_ReplaceItemInObjectCaseSensitive(v, names[i], cJSON_CreateString(buf));
                break;
            }
        } else {
            kms_cli_show_dates(c);
        }
    }
}

/* ------------------------------------------------------------ the run */

static int kms_cli_usage(const char *message)
{
    sbuf names = {0};
    for (const kms_cli_subcommand *sc = kms_cli_subcommands; sc->name; sc++)
        sbuf_printf(&names, "%s%s", sc == kms_cli_subcommands ? "" : " | ", sc->name);
    fprintf(stderr, "usage: rdsctl kms <subcommand> [parameters]\n  subcommands: %s\n"
                    "rdsctl: error: %s\n", names.data, message);
    sbuf_free(&names);
    return CLI_EXIT_USAGE;
}

static void kms_cli_help(const kms_cli_subcommand *sc)
{
    printf("usage: rdsctl kms %s [parameters]\n\n%s\nAPI operation: TrentService.%s\n",
           sc->name, sc->help, sc->operation);
    if (sc->flags[0].flag)
        printf("\nParameters:\n");
    for (const arg_spec *s = sc->flags; s->flag; s++) {
        char left[120];
        if (s->type == ARG_BOOL)
            snprintf(left, sizeof left, "--%s | --no-%s", s->flag, s->flag);
        else
            snprintf(left, sizeof left, "--%s <%s>", s->flag, s->type == ARG_INT ? "integer" : "string");
        printf("  %-40s %s%s\n", left, s->required ? "(required) " : "", s->help);
    }
}

/* Calls the operation, following NextMarker when the subcommand pages and
 * the user did not page by hand; *result gets the (merged) reply. */
static int kms_cli_call(const cli_ctx *ctx, const kms_cli_subcommand *sc, cJSON *body,
                        bool paginate, cJSON **result)
{
    api_client client = {.endpoint = ctx->endpoint, .debug = ctx->debug};
    *result = NULL;
    char *last_marker = NULL;
    int rc = CLI_EXIT_OK;
    for (int page = 0;; page++) {
        char *text = cJSON_PrintUnformatted(body);
        if (ctx->debug)
            fprintf(stderr, "rdsctl: POST %s X-Amz-Target: TrentService.%s body=%s\n",
                    ctx->endpoint, sc->operation, text);
        char *out = NULL;
        int status = kms_cli_post(ctx->endpoint, sc->operation, text, KMS_CLI_TIMEOUT_S, &out);
        if (ctx->debug)
            fprintf(stderr, "rdsctl: HTTP %d: %s\n", status, out);
        free(text);
        api_reply reply;
        kms_cli_parse_reply(status, out, &reply);
        free(out);
        if (reply.status != API_OK) {
            api_print_error(&client, sc->operation, &reply, stderr);
            rc = reply.status == API_SERVICE_ERROR ? CLI_EXIT_SERVICE_ERROR : CLI_EXIT_FAILURE;
            api_reply_free(&reply);
            break;
        }
        cJSON *got = reply.result;
        reply.result = NULL;
        api_reply_free(&reply);
        if (!paginate) {
            *result = got;
            break;
        }
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(got, "NextMarker");
        char *next = cJSON_IsString(m) && m->valuestring[0] ? xstrdup(m->valuestring) : NULL;
        cJSON_DeleteItemFromObjectCaseSensitive(got, "NextMarker");
        cJSON_DeleteItemFromObjectCaseSensitive(got, "Truncated");
        if (!*result) {
            *result = got;
        } else {
            cJSON *items = cJSON_DetachItemFromObjectCaseSensitive(got, sc->page_key);
            cJSON *into = cJSON_GetObjectItemCaseSensitive(*result, sc->page_key);
            while (cJSON_IsArray(items) && cJSON_IsArray(into) && items->child)
                cJSON_AddItemToArray(into, cJSON_DetachItemFromArray(items, 0));
            cJSON_Delete(items);
            cJSON_Delete(got);
        }
        if (next && ((last_marker && strcmp(next, last_marker) == 0) || page + 1 >= KMS_CLI_MAX_PAGES)) {
            fprintf(stderr, "\nError during pagination: The same next token was received twice: "
                            "{'Marker': '%s'}\n", next);
            free(next);
            cJSON_Delete(*result);
            *result = NULL;
            rc = CLI_EXIT_FAILURE;
            break;
        }
        free(last_marker);
        last_marker = next;
        if (!next)
            break;
        cJSON_DeleteItemFromObjectCaseSensitive(body, "Marker");
        cJSON_AddStringToObject(body, "Marker", next);
    }
    free(last_marker);
    return rc;
}

int kms_cli_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv)
{
    (void)cmd;
    if (argc < 1)
        return kms_cli_usage("the following arguments are required: subcommand");
    const kms_cli_subcommand *sc = kms_cli_find(argv[0]);
    if (!sc) {
        char *msg = xasprintf("argument subcommand: Invalid choice: '%s'", argv[0]);
        int rc = kms_cli_usage(msg);
        free(msg);
        return rc;
    }
    if (argc >= 2 && strcmp(argv[1], "help") == 0) {
        kms_cli_help(sc);
        return CLI_EXIT_OK;
    }
    sbuf err = {0};
    cJSON *body = NULL;
    bool explicit_page = false;
    args_status st = kms_cli_build(sc, argc - 1, argv + 1, &body, &explicit_page, &err);
    if (st != ARGS_OK) {
        int rc = CLI_EXIT_USAGE;
        if (st == ARGS_USAGE_ERROR)
            rc = kms_cli_usage(err.data);
        else
            fprintf(stderr, "\n%s\n", err.data);
        sbuf_free(&err);
        return rc;
    }
    sbuf_free(&err);
    cJSON *result = NULL;
    int rc = kms_cli_call(ctx, sc, body, sc->page_key && !explicit_page, &result);
    if (rc == CLI_EXIT_OK) {
        kms_cli_show_dates(result);
        sbuf out = {0};
        output_render(ctx->output, result, sc->operation, ctx->width, &out);
        if (out.len)
            fwrite(out.data, 1, out.len, stdout);
        fflush(stdout);
        sbuf_free(&out);
    }
    cJSON_Delete(result);
    cJSON_Delete(body);
    return rc;
}
