/* api: one call to the rdsim controlplane, and where to find it.
 *
 * A call is `POST /` with a form-encoded AWS Query body and
 * `Accept: application/json`; the controlplane answers with the result
 * object as JSON ({"DBInstance":{..},"ResponseMetadata":{..}}) or, with an
 * HTTP status >= 400, {"Error":{"Type","Code","Message"},"RequestId"}.
 * This module turns that into an api_reply and prints failures exactly as
 * the aws CLI does; it never exits. */
#ifndef RDSIM_CLI_API_H
#define RDSIM_CLI_API_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/query.h"

struct cJSON;

typedef struct {
    const char *endpoint; /* "http://127.0.0.1:8780" (no trailing path needed) */
    bool debug;           /* print request (passwords redacted) and reply to stderr */
    int timeout_s;        /* 0: 30 s */
    const char *version;  /* the API's Version; NULL: RDS's 2014-10-31 */
} api_client;

typedef enum {
    API_OK,            /* result holds the reply without ResponseMetadata */
    API_SERVICE_ERROR, /* error_code/error_message hold the service's error */
    API_CONNECT_ERROR, /* nothing answered (refused, reset, timed out) */
} api_status;

typedef struct {
    api_status status;
    int http_status;
    struct cJSON *result; /* API_OK: owned; never NULL on API_OK */
    char *error_code;     /* API_SERVICE_ERROR: owned */
    char *error_message;  /* API_SERVICE_ERROR: owned */
} api_reply;

/* Sends action with params. Always fills *reply (free with
 * api_reply_free). A 2xx reply that is not a JSON object, or an error reply
 * without a parsable body, becomes API_SERVICE_ERROR with the HTTP status
 * as the code, as botocore does. */
api_status api_call(const api_client *client, const char *action, const query *params,
                    api_reply *reply);
void api_reply_free(api_reply *reply);

/* Parses an HTTP reply (status, body) into *reply. Exposed for tests. */
void api_parse_reply(int http_status, const char *body, api_reply *reply);

/* Prints the aws CLI's message for a failed call to f:
 * "\nAn error occurred (Code) when calling the Action operation: Message\n"
 * or "\nCould not connect to the endpoint URL: \"http://h:p/\"\n". */
void api_print_error(const api_client *client, const char *action, const api_reply *reply,
                     FILE *f);

/* The endpoint to use, by precedence: flag_url (--endpoint-url), env
 * RDSCTL_ENDPOINT, http://127.0.0.1:$RDS_API_PORT, RDS_API_PORT from
 * ${RDS_HOME:-./run}/region.env, http://127.0.0.1:8780. The env values are
 * passed in (NULL when unset) so tests need not touch the environment.
 * Returns a string the caller frees. */
char *api_endpoint_resolve(const char *flag_url, const char *env_endpoint,
                           const char *env_api_port, const char *env_rds_home);

/* True if url is a plain http URL with a host ("http://h:p[/path]"). */
bool api_endpoint_valid(const char *url);

/* SigV4 headers (name, value, ..., NULL; awscreds_headers_free) for a
 * POST of body to endpoint: extra (may be NULL) then X-Amz-Date and
 * Authorization, signed with the caller's credentials (AWS_ACCESS_KEY_ID/
 * AWS_SECRET_ACCESS_KEY, else AWS_SHARED_CREDENTIALS_FILE + AWS_PROFILE,
 * else $RDS_HOME/aws/credentials [rdsim]). NULL when there are none: the
 * request goes unsigned and the region answers MissingAuthenticationToken. */
/* endpoint + path (e.g. "/view/login") presigned for service rds with
 * rdsctl's credentials, good for `expires` seconds (sigv4.h's presigned
 * form; awscreds_presign_get). Caller frees; NULL when there are no
 * credentials or the endpoint is malformed. */
char *api_presign_url(const char *endpoint, const char *path, long long expires);

char **api_sign_headers(const char *endpoint, const char *service, const char *content_type,
                        const char *const *extra, const char *body);

#endif
