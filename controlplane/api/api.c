/* api: see api.h. */
#include "controlplane/api/api.h"

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/api/actions.h"
#include "controlplane/api/auth.h"
#include "controlplane/api/iam.h"
#include "controlplane/api/liveview.h"
#include "controlplane/api/restoreobj.h"
#include "controlplane/api/unknown.h"
#include "controlplane/core/agents.h"
#include "controlplane/domain/iamdblogin.h"
#include "controlplane/domain/telemetry.h"
#include "controlplane/net/dnssync.h"
#include "controlplane/net/ec2.h"
#include "controlplane/core/kms.h"
#include "controlplane/core/secrets.h"
#include "controlplane/core/query.h"
#include "controlplane/core/region.h"
#include "controlplane/core/restoretoken.h"
#include "controlplane/core/tlsca.h"
#include "controlplane/core/render.h"
#include "controlplane/notify/sns.h"
#include "controlplane/notify/sqs.h"
#include "controlplane/obs/cwlapi.h"
#include "controlplane/obs/piapi.h"
#include "controlplane/obs/cloudwatch.h"
#include "controlplane/view/nodespec.h"
#include "lib/agentmac.h"
#include "lib/httpguard.h"
#include "lib/log.h"
#include "lib/util.h"

struct api {
    region *r;
    struct evhttp *http;
    httpguard *guard;
    liveview *view;
};

/* The API's connections (httpguard.h): a request's line and headers
 * within 10 s of its first byte and all of it within 30 s, whatever the
 * pace of its bytes; keep-alive idle 30 s; at most three quarters of the
 * descriptor budget (lib/fdguard.h), 32 to 4096, the one waiting
 * longest closed for a new one. Agents' heartbeats come through the same
 * door: a new connection is never refused while an older one is only
 * waiting, and an agent's keep-alive connection, used every heartbeat,
 * is never the one waiting longest in a flood. */
static const httpguard_config api_conn_limits = {
    .header_ms = 10000,
    .request_ms = 30000,
    .idle_ms = 30000,
    .share_pct = 75,
    .min_conns = 32,
    .max_conns = 4096,
};

static char *api_request_id(void)
{
    char *h = region_random_label(32);
    char *id = xasprintf("%.8s-%.4s-4%.3s-a%.3s-%.12s", h, h + 8, h + 12, h + 15, h + 18);
    free(h);
    return id;
}

static void api_send(struct evhttp_request *req, int status, const char *ctype, const char *body)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", ctype);
    struct evbuffer *out = evbuffer_new();
    evbuffer_add(out, body, strlen(body));
    const char *reason = status == 200   ? "OK"
                         : status == 403 ? "Forbidden"
                         : status == 404 ? "Not Found"
                         : status == 409 ? "Conflict"
                         : status == 405 ? "Method Not Allowed"
                         : status >= 500 ? "Server Error"
                                         : "Bad Request";
    evhttp_send_reply(req, status, reason, out);
    evbuffer_free(out);
}

/* Schedules a workflow pass right away (the cron event, made active). */
static void api_kick(region *r)
{
    r->slow_pass_now = true;
    if (r->cron)
        event_active(r->cron, EV_TIMEOUT, 1);
}

static bool wants_json(struct evhttp_request *req)
{
    const char *accept =
        evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");
    return accept && strstr(accept, "application/json") != NULL;
}

/* Copies the request body out of its evbuffer; NULL if over max. */
static char *api_body(struct evhttp_request *req, size_t max, size_t *len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    if (n > max)
        return NULL;
    char *b = xmalloc(n + 1);
    evbuffer_copyout(in, b, n);
    b[n] = '\0';
    *len = n;
    return b;
}

/* The action table of the Query request's Version: RDS (also when no
 * Version is given), SNS or SQS; *xmlns gets its XML namespace. NULL for
 * an unknown action or version. */
static const action_def *api_find_action(const char *action, const char *version,
                                         const char **xmlns)
{
    *xmlns = NULL;
    if (!version || strcmp(version, "2014-10-31") == 0)
        return actions_find(action);
    if (strcmp(version, SNS_API_VERSION) == 0) {
        *xmlns = SNS_XMLNS;
        return sns_actions_find(action);
    }
    if (strcmp(version, SQS_API_VERSION) == 0) {
        *xmlns = "http://queue.amazonaws.com/doc/2012-11-05/";
        return sqs_actions_find(action);
    }
    return NULL;
}

/* EC2's Query protocol (aws ec2), on the same endpoint: Version 2016-11-15. */
static void api_ec2(api *a, struct evhttp_request *req, const params *p, bool json,
                    const char *rid)
{
    char *out = NULL;
    int status = 400;
    bool mutated = false;
    ec2_handle(a->r, p, json, rid, &out, &status, &mutated);
    api_send(req, status, json ? "application/json" : "text/xml", out);
    free(out);
    if (mutated) {
        /* Security group rules reach the agents with the next goals. */
        dnssync_apply(a->r);
        api_kick(a->r);
    }
}

/* CloudWatch in any of its wire formats (obs/cloudwatch.h): awsJson1_0
 * (X-Amz-Target), rpc-v2-cbor (its path) or Query (Version 2010-08-01,
 * qp parsed). */
static void api_cloudwatch(api *a, struct evhttp_request *req, cwproto proto, const char *op,
                           const params *qp, const char *rid)
{
    size_t len = 0;
    char *body = proto == CWPROTO_QUERY ? NULL : api_body(req, CWPROTO_MAX_BODY, &len);
    uint8_t *out = NULL;
    size_t out_len = 0;
    const char *ctype = "application/x-amz-json-1.0";
    int status = 400;
    char qerr[96];
    const char *enc =
        evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Encoding");
    bool gz = enc && strstr(enc, "gzip") != NULL;
    cloudwatch_serve(a->r, proto, op, (const uint8_t *)body, len, gz, qp, rid, &out, &out_len,
                     &ctype, &status, qerr, sizeof qerr);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", ctype);
    evhttp_add_header(h, "x-amzn-RequestId", rid);
    if (proto == CWPROTO_CBOR)
        evhttp_add_header(h, "smithy-protocol", "rpc-v2-cbor");
    if (qerr[0])
        evhttp_add_header(h, "x-amzn-query-error", qerr);
    struct evbuffer *buf = evbuffer_new();
    evbuffer_add(buf, out, out_len);
    evhttp_send_reply(req, status, status == 200 ? "OK" : status >= 500 ? "Server Error"
                                                 : status == 404 ? "Not Found" : status == 403 ? "Forbidden" : "Bad Request",
                      buf);
    evbuffer_free(buf);
    free(out);
    free(body);
}

static void api_query(api *a, struct evhttp_request *req, const principal *who)
{
    region *r = a->r;
    bool json = wants_json(req);
    char *rid = api_request_id();
    awserr err = {0};
    cJSON *result = NULL;
    params *p = NULL;
    char *body = NULL;
    const char *action = "(none)";
    const char *xmlns = NULL;
    int64_t t0 = mono_ms();
    size_t len = 0;
    if (evhttp_request_get_command(req) == EVHTTP_REQ_GET) {
        const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
        body = xstrdup(q ? q : "");
        len = strlen(body);
    } else {
        const char *ctype =
            evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
        if (!params_form_ctype(ctype)) {
            /* A body sent as something else (an SNS delivery's text/plain
             * JSON) is never read as an API call, whatever it contains. */
            awserr_set(&err, AWSERR_MISSING_ACTION,
                       "The request must contain the parameter Action: a POST's parameters "
                       "are read only from an application/x-www-form-urlencoded body, and "
                       "this one is %.100s.", ctype ? ctype : "without a Content-Type");
            goto reply;
        }
        body = api_body(req, QUERY_MAX_BODY, &len);
    }
    if (!body) {
        awserr_set(&err, AWSERR_MALFORMED_QUERY_STRING, "The request body is too large.");
        goto reply;
    }
    p = params_parse(body, len, &err);
    if (!p)
        goto reply;
    action = params_get(p, "Action");
    if (!action || !*action) {
        action = "(none)";
        awserr_set(&err, AWSERR_MISSING_ACTION, "The request must contain the parameter Action.");
        goto reply;
    }
    const char *version = params_get(p, "Version");
    if (version && strcmp(version, EC2_API_VERSION) == 0) {
        api_ec2(a, req, p, json, rid);
        LOG_INFO("api action=%s service=ec2 ms=%lld request_id=%s", action,
                 (long long)(mono_ms() - t0), rid);
        params_free(p);
        free(body);
        free(rid);
        return;
    }
    if (version && strcmp(version, CWPROTO_VERSION) == 0) {
        api_cloudwatch(a, req, CWPROTO_QUERY, action, p, rid);
        params_free(p);
        free(body);
        free(rid);
        return;
    }
    if (iam_is_version(version, &xmlns)) {
        /* IAM and STS: their handlers need the caller (api/iam.h). */
        result = cJSON_CreateObject();
        if (!iam_call(r, who, version, action, p, result, &err) && err.code == AWSERR_NONE)
            awserr_set(&err, AWSERR_INTERNAL_FAILURE, "The request failed for an internal reason.");
        goto reply;
    }
    const action_def *def = api_find_action(action, version, &xmlns);
    if (!def) {
        awserr_set(&err, AWSERR_INVALID_ACTION, "Could not find operation %s for version %s",
                   action, version ? version : "2014-10-31");
        goto reply;
    }
    if (!xmlns)
        params_set_empty_absent(p, true); /* RDS: "NAME=" is NAME absent (query.h) */
    result = cJSON_CreateObject();
    bool done = def->fn(r, p, result, &err);
    if (!done && err.code == AWSERR_NONE)
        awserr_set(&err, AWSERR_INTERNAL_FAILURE, "The request failed for an internal reason.");
    else if (done && err.code != AWSERR_NONE)
        LOG_ERROR("api action=%s succeeded with an error set (%s): a check's sense is inverted",
                  action, awserr_wire_code(err.code));
    if (def->mutates && err.code == AWSERR_NONE) {
        /* DNS follows the commit before anyone hears of it. */
        dnssync_apply(r);
        api_kick(r);
    }
reply:;
    char *out;
    int status = 200;
    if (err.code != AWSERR_NONE) {
        status = awserr_http_status(err.code);
        out = json ? render_json_error(&err, rid) : render_xml_error(&err, rid);
    } else {
        out = json ? render_json_result(result, rid)
                   : render_xml_result_ns(xmlns, action, result, rid);
    }
    api_send(req, status, json ? "application/json" : "text/xml", out);
    if (err.code != AWSERR_NONE)
        LOG_INFO("api action=%s status=%d code=%s ms=%lld request_id=%s", action, status,
                 awserr_wire_code(err.code), (long long)(mono_ms() - t0), rid);
    else
        LOG_INFO("api action=%s status=200 ms=%lld request_id=%s", action,
                 (long long)(mono_ms() - t0), rid);
    free(out);
    cJSON_Delete(result);
    params_free(p);
    free(body);
    free(rid);
}

/* ---- the agent channel (agent/README.md "Trust") ---- */

/* api_send with the reason phrases of the agent channel's statuses. */
static void api_agent_send(struct evhttp_request *req, int status, const char *body)
{
    struct evbuffer *out = evbuffer_new();
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/json");
    evbuffer_add(out, body, strlen(body));
    evhttp_send_reply(req, status,
                      status == 200   ? "OK"
                      : status == 401 ? "Unauthorized"
                      : status == 403 ? "Forbidden"
                      : status >= 500 ? "Server Error"
                                      : "Bad Request",
                      out);
    evbuffer_free(out);
}

/* Authenticates an agent's POST to path: the signature headers, then the
 * body's agent_id against the authenticated one. true with the agent id
 * and key; false when the refusal (401/403, JSON error) was sent. */
static bool api_agent_auth(api *a, struct evhttp_request *req, const char *path,
                           const char *body, size_t len, char id[AGENTMAC_ID_MAX],
                           uint8_t key[AGENTMAC_KEY_LEN])
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    agents_auth_in in = {evhttp_find_header(h, AGENTMAC_H_AGENT),
                         evhttp_find_header(h, AGENTMAC_H_TIME),
                         evhttp_find_header(h, AGENTMAC_H_NONCE),
                         evhttp_find_header(h, AGENTMAC_H_SIG)};
    int status = 401;
    char *err = NULL;
    if (!agents_authenticate(a->r->agents, &in, path, body, len, key, &status, &err)) {
        api_agent_send(req, status, err);
        free(err);
        return false;
    }
    if (!agents_body_agent_is(body, len, in.agent_id)) {
        LOG_WARN("agent request refused path=%s agent=%s status=403 why=\"body names another "
                 "agent\"", path, in.agent_id);
        OPENSSL_cleanse(key, AGENTMAC_KEY_LEN);
        api_agent_send(req, 403,
                       "{\"error\":\"agent_id in the body is not the authenticated agent\"}");
        return false;
    }
    snprintf(id, AGENTMAC_ID_MAX, "%s", in.agent_id);
    return true;
}

/* Sends an agent's reply signed with its key, bound to the request's
 * nonce (lib/agentmac.h), so it is good for that request only. */
static void api_agent_reply(struct evhttp_request *req, const char *path, const char *id,
                            const uint8_t key[AGENTMAC_KEY_LEN], int status, const char *body)
{
    const char *nonce =
        evhttp_find_header(evhttp_request_get_input_headers(req), AGENTMAC_H_NONCE);
    char t[24], st[16], sig[AGENTMAC_SIG_HEX + 1];
    agentmac_time(wall_ms(), t);
    snprintf(st, sizeof st, "%d", status);
    agentmac_sign(key, AGENTMAC_REPLY, st, path, id, t, nonce ? nonce : "", body, strlen(body),
                  sig);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, AGENTMAC_H_TIME, t);
    evhttp_add_header(h, AGENTMAC_H_SIG, sig);
    api_agent_send(req, status, body);
}

static void api_heartbeat(api *a, struct evhttp_request *req)
{
    static const char path[] = "/agent/v1/heartbeat";
    size_t len = 0;
    char *body = api_body(req, 1024 * 1024, &len);
    char id[AGENTMAC_ID_MAX];
    uint8_t key[AGENTMAC_KEY_LEN];
    if (!body) {
        api_agent_send(req, 400, "{\"error\":\"body too large\"}");
        return;
    }
    if (!api_agent_auth(a, req, path, body, len, id, key)) {
        free(body);
        return;
    }
    int status = 400;
    char *out = nodespec_heartbeat(a->r, id, key, body, len, &status);
    api_agent_reply(req, path, id, key, status, out);
    OPENSSL_cleanse(key, sizeof key);
    free(out);
    free(body);
    /* The cron's pass already ran, before the reply (nodespec_heartbeat). */
}

/* An agent's telemetry (controlplane/telemetry.h): log chunks of up to
 * 256 KiB, escaped, plus samples, fit in 4 MiB. */
static void api_telemetry(api *a, struct evhttp_request *req)
{
    static const char path[] = "/agent/v1/telemetry";
    size_t len = 0;
    char *body = api_body(req, 4 * 1024 * 1024, &len);
    char id[AGENTMAC_ID_MAX];
    uint8_t key[AGENTMAC_KEY_LEN];
    if (!body) {
        api_agent_send(req, 400, "{\"error\":\"body too large\"}");
        return;
    }
    if (!api_agent_auth(a, req, path, body, len, id, key)) {
        free(body);
        return;
    }
    int status = 400;
    bool changed = false;
    char *out = telemetry_agent_post(a->r, body, len, &status, &changed);
    api_agent_reply(req, path, id, key, status, out);
    OPENSSL_cleanse(key, sizeof key);
    free(out);
    free(body);
    if (changed)
        api_kick(a->r);
}

/* An IAM database login to check (domain/iamdblogin.h), asked by the
 * agent of the node the login is on; small bodies only. */
static void api_iam_auth(api *a, struct evhttp_request *req)
{
    static const char path[] = "/agent/v1/iam-auth";
    size_t len = 0;
    char *body = api_body(req, 16 * 1024, &len);
    char id[AGENTMAC_ID_MAX];
    uint8_t key[AGENTMAC_KEY_LEN];
    if (!body) {
        api_agent_send(req, 400, "{\"error\":\"body too large\"}");
        return;
    }
    if (!api_agent_auth(a, req, path, body, len, id, key)) {
        OPENSSL_cleanse(body, len);
        free(body);
        return;
    }
    int status = 400;
    char *out = iamdblogin_agent_post(a->r, id, body, len, &status);
    api_agent_reply(req, path, id, key, status, out);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(body, len);
    free(out);
    free(body);
}

/* The JSON 1.1 services on this endpoint that need nothing of the HTTP
 * exchange but the body and the X-Amz-Target: each a prefix, its body
 * bound, the error type its service answers a too-large body with, and its
 * handler. */
typedef void (*json_serve_fn)(region *r, const char *target, const char *body, size_t len,
                              char **out, int *status);

static void serve_kms(region *r, const char *target, const char *body, size_t len, char **out,
                      int *status)
{
    kms_api_handle(r->kms, target, body, len, out, status);
}

static void serve_pi(region *r, const char *target, const char *body, size_t len, char **out,
                     int *status)
{
    pi_api_handle(r, target, body, len, out, status);
}

typedef struct {
    const char *prefix;
    size_t max_body;
    const char *too_large; /* the whole reply to a body over max_body */
    json_serve_fn serve;
} json_service;

static const json_service json_services[] = {
    {"TrentService.", KMS_API_MAX_BODY,
     "{\"__type\":\"SerializationException\",\"message\":\"The request body is too large.\"}",
     serve_kms},
    {PI_API_PREFIX, PI_API_MAX_BODY,
     "{\"__type\":\"InvalidArgumentException\",\"Message\":\"The request body is too "
     "large.\"}",
     serve_pi},
    {"Logs_20140328.", CWL_API_MAX_BODY,
     "{\"__type\":\"InvalidParameterException\",\"message\":\"The request body is too "
     "large.\"}",
     cwl_api_handle},
};

static const json_service *json_service_for(const char *target)
{
    for (size_t i = 0; i < sizeof json_services / sizeof json_services[0]; i++)
        if (strncmp(target, json_services[i].prefix, strlen(json_services[i].prefix)) == 0)
            return &json_services[i];
    return NULL;
}

/* One JSON 1.1 call of a service of json_services[] (aws kms, pi, logs). */
static void api_json11(api *a, struct evhttp_request *req, const json_service *svc,
                       const char *target)
{
    size_t len = 0;
    char *body = api_body(req, svc->max_body, &len);
    char *out = NULL;
    int status = 400;
    if (!body)
        out = xstrdup(svc->too_large);
    else
        svc->serve(a->r, target, body, len, &out, &status);
    api_send(req, status, "application/x-amz-json-1.1", out ? out : "{}");
    free(out);
    free(body);
}

/* Secrets Manager's JSON 1.1 protocol (aws secretsmanager), on the same
 * endpoint. Its mutations may change an instance (rotation): a kick. */
static void api_sm(api *a, struct evhttp_request *req, const char *target)
{
    size_t len = 0;
    char *body = api_body(req, SM_API_MAX_BODY, &len);
    char *out = NULL;
    int status = 400;
    if (!body)
        out = xstrdup("{\"__type\":\"InvalidRequestException\",\"message\":\"The request "
                      "body is too large.\"}");
    else
        sm_api_handle(a->r->secrets, target, body, len, &out, &status);
    api_send(req, status, "application/x-amz-json-1.1", out ? out : "{}");
    if (out)
        OPENSSL_cleanse(out, strlen(out));
    free(out);
    if (body)
        OPENSSL_cleanse(body, len);
    free(body);
    if (status == 200 && strcmp(target, "secretsmanager.RotateSecret") == 0)
        api_kick(a->r);
}

/* SQS's JSON 1.0 protocol (aws sqs), on the same endpoint. The
 * x-amzn-query-error header carries the Query error code, which botocore
 * reports for this awsQueryCompatible service. */
static void api_sqs(api *a, struct evhttp_request *req, const char *target)
{
    size_t len = 0;
    char *body = api_body(req, QUERY_MAX_BODY, &len);
    char *out = NULL;
    int status = 400;
    const char *qerr = "InvalidParameterValue";
    if (!body)
        out = xstrdup("{\"__type\":\"com.amazonaws.sqs#InvalidParameterValue\",\"message\":"
                      "\"The request body is too large.\"}");
    else
        sqs_json_handle(a->r, target, body, len, &out, &status, &qerr);
    if (qerr) {
        char *h = xasprintf("%s;Sender", qerr);
        evhttp_add_header(evhttp_request_get_output_headers(req), "x-amzn-query-error", h);
        free(h);
    }
    api_send(req, status, "application/x-amz-json-1.0", out ? out : "{}");
    free(out);
    free(body);
}

/* A request for a service this endpoint does not serve: that service's
 * own "unknown operation" error (api/unknown.h). target NULL: a REST
 * request signed for `service`. */
static void api_unknown(struct evhttp_request *req, const char *target, const char *service,
                        const char *path)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    char *rid = api_request_id();
    unknown_reply u = {0};
    if (target)
        unknown_for_target(target, evhttp_find_header(in, "Content-Type"), rid, &u);
    else
        unknown_for_path(service,
                         evhttp_request_get_command(req) == EVHTTP_REQ_GET ? "GET" : "POST",
                         path ? path : "/", rid, &u);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "x-amzn-RequestId", rid);
    if (u.error_type)
        evhttp_add_header(h, "x-amzn-ErrorType", u.error_type);
    api_send(req, u.status, u.content_type, u.body);
    LOG_INFO("api unknown service=%s target=%s status=%d request_id=%s", service ? service : "-",
             target ? "yes" : "no", u.status, rid);
    unknown_reply_clear(&u);
    free(rid);
}

static void api_request(struct evhttp_request *req, void *arg)
{
    api *a = arg;
    httpguard_request_begin(a->guard, req);
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_POST) {
        awserr e = {0};
        awserr_set(&e, AWSERR_INVALID_ACTION, "Only GET and POST are supported.");
        char *rid = api_request_id();
        char *out = wants_json(req) ? render_json_error(&e, rid) : render_xml_error(&e, rid);
        api_send(req, 405, wants_json(req) ? "application/json" : "text/xml", out);
        free(out);
        free(rid);
        return;
    }
    char scope[64];
    bool scope_rest = unknown_scope_service(
        evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization"), scope,
        sizeof scope);
    if (path && strcmp(path, "/agent/v1/heartbeat") == 0 && cmd == EVHTTP_REQ_POST) {
        api_heartbeat(a, req);
    } else if (path && strcmp(path, "/agent/v1/telemetry") == 0 && cmd == EVHTTP_REQ_POST) {
        api_telemetry(a, req);
    } else if (path && strcmp(path, "/agent/v1/iam-auth") == 0 && cmd == EVHTTP_REQ_POST) {
        api_iam_auth(a, req);
    } else if (path && strncmp(path, RESTORETOKEN_PATH, strlen(RESTORETOKEN_PATH)) == 0 &&
               cmd == EVHTTP_REQ_GET) {
        /* A restore's objects, to its node's agent (api/restoreobj.h):
         * the capability is in the path, not SigV4 nor the agent MAC (the
         * agent's rds-backup child holds no agent key). */
        restoreobj_serve(a->r, a->guard, req, path);
    } else if (path && strcmp(path, TLSCA_BUNDLE_PATH) == 0 && cmd == EVHTTP_REQ_GET) {
        /* The CA bundle, public like RDS's truststore (core/tlsca.h). */
        size_t len = 0;
        const char *pem = tlsca_bundle(a->r->tls, &len);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                          "application/x-pem-file");
        struct evbuffer *out = evbuffer_new();
        evbuffer_add(out, pem, len);
        evhttp_send_reply(req, 200, "OK", out);
        evbuffer_free(out);
    } else if (path && strcmp(path, "/healthz") == 0) {
        httpguard_stats st;
        httpguard_get_stats(a->guard, &st);
        char *body = xasprintf("{\"status\":\"ok\",\"agents\":%d,\"connections\":{\"open\":%zu,"
                               "\"cap\":%zu,\"evicted\":%llu,\"timed_out\":%llu}}\n",
                               agents_count(a->r->agents), st.open, httpguard_cap(a->guard),
                               (unsigned long long)st.evicted, (unsigned long long)st.timed_out);
        api_send(req, 200, "application/json", body);
        free(body);
    } else if (liveview_is_path(path)) {
        /* The live view: its own presigned login and session cookie
         * (api/liveview.h), never the SigV4 header door below. */
        liveview_request(a->view, req, path);
    } else if (scope_rest && (!path || strcmp(path, "/") == 0 || path[0] == '\0') &&
               strcmp(scope, "s3") == 0) {
        api_unknown(req, NULL, scope, path); /* S3's ListBuckets is GET / */
    } else if (!path || strcmp(path, "/") == 0 || path[0] == '\0') {
        /* Every service on this endpoint: nothing runs unsigned (auth.h). */
        principal who;
        if (!auth_check(a->r, req, &who))
            return;
        const char *target =
            evhttp_find_header(evhttp_request_get_input_headers(req), "X-Amz-Target");
        const json_service *svc =
            cmd == EVHTTP_REQ_POST && target ? json_service_for(target) : NULL;
        if (svc)
            api_json11(a, req, svc, target);
        else if (cmd == EVHTTP_REQ_POST && target && strncmp(target, "secretsmanager.", 15) == 0)
            api_sm(a, req, target);
        else if (cmd == EVHTTP_REQ_POST && target && strncmp(target, "AmazonSQS.", 10) == 0)
            api_sqs(a, req, target);
        else if (cmd == EVHTTP_REQ_POST && target &&
                 strncmp(target, CWPROTO_TARGET_PREFIX, strlen(CWPROTO_TARGET_PREFIX)) == 0) {
            char *rid = api_request_id();
            api_cloudwatch(a, req, CWPROTO_JSON, target + strlen(CWPROTO_TARGET_PREFIX), NULL,
                           rid);
            free(rid);
        } else if (target)
            api_unknown(req, target, NULL, NULL);
        else
            api_query(a, req, &who);
    } else if (cmd == EVHTTP_REQ_POST && path &&
               strncmp(path, CWPROTO_CBOR_PATH, strlen(CWPROTO_CBOR_PATH)) == 0) {
        /* CloudWatch's rpc-v2-cbor: signed like every call (auth.h). */
        principal who;
        if (!auth_check(a->r, req, &who))
            return;
        char *rid = api_request_id();
        api_cloudwatch(a, req, CWPROTO_CBOR, path + strlen(CWPROTO_CBOR_PATH), NULL, rid);
        free(rid);
    } else if (scope_rest) {
        api_unknown(req, NULL, scope, path);
    } else {
        api_send(req, 404, "text/plain", "not found\n");
    }
}

api *api_start(region *r, const char *addr, uint16_t port, uint16_t *bound)
{
    api *a = xcalloc(1, sizeof *a);
    a->r = r;
    a->http = evhttp_new(r->base);
    /* Every method reaches us, so the others get an AWS-shaped 405; a body
     * over the Query limit is refused by libevent with 413. */
    evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_max_body_size(a->http, QUERY_MAX_BODY);
    evhttp_set_max_headers_size(a->http, 64 * 1024);
    evhttp_set_timeout(a->http, 30);
    evhttp_set_gencb(a->http, api_request, a);
    a->guard = httpguard_bind(r->base, a->http, addr, port, &api_conn_limits, bound);
    if (!a->guard) {
        LOG_ERROR("api bind failed addr=%s port=%u", addr, port);
        api_stop(a);
        return NULL;
    }
    a->view = liveview_new(r, a->guard);
    if (!a->view) {
        api_stop(a);
        return NULL;
    }
    LOG_INFO("api listening addr=%s port=%u max_connections=%zu", addr, *bound,
             httpguard_cap(a->guard));
    return a;
}

void api_stop(api *a)
{
    if (!a)
        return;
    liveview_free(a->view); /* its streams, before evhttp frees their connections */
    if (a->http)
        evhttp_free(a->http);
    httpguard_free(a->guard); /* after evhttp_free: see httpguard.h */
    free(a);
}
