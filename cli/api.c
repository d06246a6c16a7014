/* api: see api.h. */
#include "cli/api.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/awscreds.h"
#include "lib/fsutil.h"
#include "lib/httpc.h"
#include "lib/util.h"

#define API_DEFAULT_ENDPOINT "http://127.0.0.1:8780"
#define API_DEFAULT_TIMEOUT_S 30
/* region.env is a handful of lines; anything bigger is not ours. */
#define API_REGION_ENV_MAX (64 * 1024)

bool api_endpoint_valid(const char *url)
{
    struct evhttp_uri *uri = evhttp_uri_parse(url);
    if (!uri)
        return false;
    const char *scheme = evhttp_uri_get_scheme(uri);
    const char *host = evhttp_uri_get_host(uri);
    bool good = scheme && strcmp(scheme, "http") == 0 && host && *host;
    evhttp_uri_free(uri);
    return good;
}

static bool api_port_valid(const char *s)
{
    int64_t port;
    return s && str_to_int64(s, 1, 65535, &port);
}

/* Finds RDS_API_PORT in shell-style KEY=VALUE lines ("export " and quotes
 * allowed). Returns a copy of the value or NULL. */
static char *api_region_env_port(const char *text)
{
    char *found = NULL;
    const char *line = text;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *p = line;
        while (p < line + len && isspace((unsigned char)*p))
            p++;
        if ((size_t)(line + len - p) > 7 && strncmp(p, "export ", 7) == 0)
            p += 7;
        static const char key[] = "RDS_API_PORT=";
        if ((size_t)(line + len - p) >= sizeof key - 1 && strncmp(p, key, sizeof key - 1) == 0) {
            p += sizeof key - 1;
            const char *v_end = line + len;
            while (v_end > p && isspace((unsigned char)v_end[-1]))
                v_end--;
            if (v_end - p >= 2 && (*p == '"' || *p == '\'') && v_end[-1] == *p) {
                p++;
                v_end--;
            }
            free(found);
            found = xstrndup(p, (size_t)(v_end - p)); /* the last assignment wins, as in sh */
        }
        line = end ? end + 1 : NULL;
    }
    return found;
}

char *api_endpoint_resolve(const char *flag_url, const char *env_endpoint,
                           const char *env_api_port, const char *env_rds_home)
{
    if (flag_url && *flag_url)
        return xstrdup(flag_url);
    if (env_endpoint && *env_endpoint)
        return xstrdup(env_endpoint);
    if (api_port_valid(env_api_port))
        return xasprintf("http://127.0.0.1:%s", env_api_port);
    char *path = xasprintf("%s/region.env", (env_rds_home && *env_rds_home) ? env_rds_home : "./run");
    size_t len;
    char *text = fs_read_all(path, API_REGION_ENV_MAX, &len);
    free(path);
    char *url = NULL;
    if (text) {
        char *port = api_region_env_port(text);
        if (api_port_valid(port))
            url = xasprintf("http://127.0.0.1:%s", port);
        free(port);
        free(text);
    }
    return url ? url : xstrdup(API_DEFAULT_ENDPOINT);
}

/* The credentials rdsctl signs with: the standard sources (awscreds.h),
 * else the region's own file, $RDS_HOME/aws/credentials (profile rdsim),
 * as the endpoint falls back to $RDS_HOME/region.env. */
static bool api_credentials(awscreds *c)
{
    const char *region = getenv("RDS_REGION");
    if (awscreds_load(c, region))
        return true;
    awscreds_clear(c);
    const char *home = getenv("RDS_HOME");
    char *path = xasprintf("%s/aws/credentials", (home && *home) ? home : "./run");
    bool ok = awscreds_load_file(c, path, "rdsim", region);
    free(path);
    return ok;
}

char **api_sign_headers(const char *endpoint, const char *service, const char *content_type,
                        const char *const *extra, const char *body)
{
    awscreds c;
    char **h = NULL;
    if (api_credentials(&c))
        h = awscreds_sign_post(&c, service, endpoint, content_type, extra, body, strlen(body),
                               (long long)time(NULL));
    awscreds_clear(&c);
    return h;
}

char *api_presign_url(const char *endpoint, const char *path, long long expires)
{
    awscreds c;
    char *url = NULL;
    if (api_credentials(&c)) {
        size_t n = strlen(endpoint);
        while (n > 0 && endpoint[n - 1] == '/')
            n--;
        char *full = xasprintf("%.*s%s", (int)n, endpoint, path);
        url = awscreds_presign_get(&c, "rds", full, expires, (long long)time(NULL));
        free(full);
    }
    awscreds_clear(&c);
    return url;
}

/* The IAM service name of a Query API version. */
static const char *api_service_of(const char *version)
{
    if (version && strcmp(version, "2010-03-31") == 0)
        return "sns";
    if (version && strcmp(version, "2012-11-05") == 0)
        return "sqs";
    if (version && strcmp(version, "2016-11-15") == 0)
        return "ec2";
    return "rds";
}

/* Python's http.client reason phrases for the statuses a proxy or a
 * broken server may send without a parsable error body. */
static const char *api_reason_phrase(int status)
{
    static const struct {
        int status;
        const char *phrase;
    } phrases[] = {
        {400, "Bad Request"},          {401, "Unauthorized"},
        {403, "Forbidden"},            {404, "Not Found"},
        {405, "Method Not Allowed"},   {408, "Request Timeout"},
        {413, "Request Entity Too Large"}, {429, "Too Many Requests"},
        {500, "Internal Server Error"}, {501, "Not Implemented"},
        {502, "Bad Gateway"},          {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
    };
    for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++)
        if (phrases[i].status == status)
            return phrases[i].phrase;
    return "Unknown";
}

static void api_set_error(api_reply *reply, const char *code, const char *message)
{
    reply->status = API_SERVICE_ERROR;
    reply->error_code = xstrdup(code);
    reply->error_message = xstrdup(message);
}

void api_parse_reply(int http_status, const char *body, api_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    reply->http_status = http_status;
    if (http_status == 0) {
        reply->status = API_CONNECT_ERROR;
        return;
    }
    cJSON *doc = cJSON_Parse(body ? body : "");
    if (http_status >= 200 && http_status < 300 && cJSON_IsObject(doc)) {
        cJSON_DeleteItemFromObjectCaseSensitive(doc, "ResponseMetadata");
        reply->status = API_OK;
        reply->result = doc;
        return;
    }
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(doc, "Error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "Code");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(err, "Message");
    char status_code[16];
    snprintf(status_code, sizeof status_code, "%d", http_status);
    if (http_status >= 300 && cJSON_IsString(code)) {
        api_set_error(reply, code->valuestring,
                      cJSON_IsString(message) ? message->valuestring : "Unknown");
    } else if (http_status >= 300) {
        api_set_error(reply, status_code, api_reason_phrase(http_status));
    } else {
        api_set_error(reply, status_code, "the controlplane's reply is not a JSON object");
    }
    cJSON_Delete(doc);
}

void api_reply_free(api_reply *reply)
{
    cJSON_Delete(reply->result);
    free(reply->error_code);
    free(reply->error_message);
    memset(reply, 0, sizeof *reply);
}

api_status api_call(const api_client *client, const char *action, const query *params,
                    api_reply *reply)
{
    char *body = query_encode_version(action, client->version, params, false);
    if (client->debug) {
        char *shown = query_encode_version(action, client->version, params, true);
        fprintf(stderr, "rdsctl: POST %s body=%s\n", client->endpoint, shown);
        free(shown);
    }
    static const char ctype[] = "application/x-www-form-urlencoded; charset=utf-8";
    char **signed_headers = api_sign_headers(client->endpoint, api_service_of(client->version),
                                             ctype, NULL, body);
    httpc_opts opts = {
        .method = "POST",
        .content_type = ctype,
        .headers = (const char *const *)signed_headers,
        .accept = "application/json",
        .body = body,
        .body_len = strlen(body),
        .timeout_s = client->timeout_s > 0 ? client->timeout_s : API_DEFAULT_TIMEOUT_S,
    };
    char *resp = NULL;
    size_t resp_len = 0;
    int status = httpc_request_sync(client->endpoint, &opts, &resp, &resp_len);
    if (client->debug)
        fprintf(stderr, "rdsctl: HTTP %d, %zu bytes: %s\n", status, resp_len, resp ? resp : "");
    api_parse_reply(status, resp, reply);
    awscreds_headers_free(signed_headers);
    free(resp);
    free(body);
    return reply->status;
}

void api_print_error(const api_client *client, const char *action, const api_reply *reply,
                     FILE *f)
{
    if (reply->status == API_CONNECT_ERROR) {
        size_t n = strlen(client->endpoint);
        bool slash = n > 0 && client->endpoint[n - 1] == '/';
        fprintf(f, "\nCould not connect to the endpoint URL: \"%s%s\"\n", client->endpoint,
                slash ? "" : "/");
    } else if (reply->status == API_SERVICE_ERROR) {
        fprintf(f, "\nAn error occurred (%s) when calling the %s operation: %s\n",
                reply->error_code, action, reply->error_message);
    }
}
