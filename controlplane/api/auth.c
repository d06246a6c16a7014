/* auth: see auth.h. */
#include "controlplane/api/auth.h"

#include <sys/queue.h>

#include <cjson/cJSON.h>
#include <ctype.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"
#include "controlplane/core/render.h"
#include "controlplane/obs/cwproto.h"
#include "lib/log.h"
#include "lib/sigv4.h"
#include "lib/util.h"

/* Headers beyond this are not a request we sign-check (libevent already
 * caps their total size). */
#define AUTH_MAX_HEADERS 128

/* What a request is: its protocol, and the IAM service:action it calls. */
typedef struct {
    auth_proto proto;
    char service[16];
    char action[128];
    char *resource; /* the ARN the request names (auth_resource), else NULL */
    bool json;      /* Query protocols: the client asked for JSON */
} auth_call;

/* The JSON exception names of the auth errors (KMS, SQS JSON). */
static const struct {
    awserr_code code;
    const char *json;
    int json_status;
} auth_json_names[] = {
    {AWSERR_MISSING_AUTHENTICATION_TOKEN, "MissingAuthenticationTokenException", 403},
    {AWSERR_INCOMPLETE_SIGNATURE, "IncompleteSignatureException", 400},
    {AWSERR_INVALID_CLIENT_TOKEN_ID, "UnrecognizedClientException", 400},
    {AWSERR_SIGNATURE_DOES_NOT_MATCH, "InvalidSignatureException", 400},
    {AWSERR_REQUEST_EXPIRED, "InvalidSignatureException", 400},
    {AWSERR_ACCESS_DENIED, "AccessDeniedException", 400},
};

static void auth_send(struct evhttp_request *req, int status, const char *ctype,
                      const char *body)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", ctype);
    struct evbuffer *out = evbuffer_new();
    evbuffer_add(out, body, strlen(body));
    evhttp_send_reply(req, status, status == 403 ? "Forbidden" : "Bad Request", out);
    evbuffer_free(out);
}

static char *auth_request_id(void)
{
    char *h = region_random_label(32);
    char *id = xasprintf("%.8s-%.4s-4%.3s-a%.3s-%.12s", h, h + 8, h + 12, h + 15, h + 18);
    free(h);
    return id;
}

/* The refusal, in the request's protocol. */
static void auth_refuse(struct evhttp_request *req, const auth_call *c, const awserr *err)
{
    char *rid = auth_request_id();
    evhttp_add_header(evhttp_request_get_output_headers(req), "x-amzn-RequestId", rid);
    int status = awserr_http_status(err->code);
    char *out = NULL;
    const char *ctype = "text/xml";
    if (c->proto == AUTH_PROTO_CW_JSON || c->proto == AUTH_PROTO_CW_CBOR) {
        size_t len = 0;
        char qerr[96];
        uint8_t *body = cwproto_encode_error(
            c->proto == AUTH_PROTO_CW_CBOR ? CWPROTO_CBOR : CWPROTO_JSON, err, rid, &len, &ctype,
            &status, qerr, sizeof qerr);
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        evhttp_add_header(h, "Content-Type", ctype);
        evhttp_add_header(h, "x-amzn-query-error", qerr);
        struct evbuffer *b = evbuffer_new();
        evbuffer_add(b, body, len);
        evhttp_send_reply(req, status, status == 403 ? "Forbidden" : "Bad Request", b);
        evbuffer_free(b);
        free(body);
        LOG_INFO("api refused service=%s action=%s status=%d code=%s why=\"%s\" request_id=%s",
                 c->service, c->action, status, awserr_wire_code(err->code), err->message, rid);
        free(rid);
        return;
    }
    if (c->proto == AUTH_PROTO_KMS || c->proto == AUTH_PROTO_SQS_JSON) {
        const char *name = awserr_wire_code(err->code);
        for (size_t i = 0; i < sizeof auth_json_names / sizeof auth_json_names[0]; i++)
            if (auth_json_names[i].code == err->code) {
                name = auth_json_names[i].json;
                status = auth_json_names[i].json_status;
            }
        cJSON *o = cJSON_CreateObject();
        char *type = c->proto == AUTH_PROTO_SQS_JSON ? xasprintf("com.amazonaws.sqs#%s", name)
                                                     : xstrdup(name);
        cJSON_AddStringToObject(o, "__type", type);
        cJSON_AddStringToObject(o, "message", err->message);
        out = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        free(type);
        if (c->proto == AUTH_PROTO_SQS_JSON) {
            /* botocore reports this (query-compatible) code for SQS. */
            char *q = xasprintf("%s;Sender", awserr_wire_code(err->code));
            evhttp_add_header(evhttp_request_get_output_headers(req), "x-amzn-query-error", q);
            free(q);
            status = awserr_http_status(err->code);
            ctype = "application/x-amz-json-1.0";
        } else {
            ctype = "application/x-amz-json-1.1";
        }
    } else if (c->proto == AUTH_PROTO_EC2 && !c->json) {
        sbuf b = {0};
        sbuf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>");
        render_xml_text(&b, awserr_wire_code(err->code));
        sbuf_puts(&b, "</Code><Message>");
        render_xml_text(&b, err->message);
        sbuf_puts(&b, "</Message></Error></Errors><RequestID>");
        render_xml_text(&b, rid);
        sbuf_puts(&b, "</RequestID></Response>\n");
        out = sbuf_take(&b);
    } else if (c->json) {
        out = render_json_error(err, rid);
        ctype = "application/json";
    } else {
        out = render_xml_error(err, rid);
    }
    auth_send(req, status, ctype, out);
    LOG_INFO("api refused service=%s action=%s status=%d code=%s why=\"%s\" request_id=%s",
             c->service, c->action, status, awserr_wire_code(err->code), err->message, rid);
    free(out);
    free(rid);
}

/* The resource an RDS request names, for the policy check: the first of
 * these parameters it has, as the ARN of that resource type (an ARN given
 * in its place is taken as is; names lowercased, as RDS keeps them);
 * NULL ("*") when it names none. One resource per request: CreateDBInstance
 * is checked on its db: ARN only, not on the groups it also names. */
static char *auth_resource(region *r, const params *p)
{
    static const struct {
        const char *param, *type;
        bool lower;
    } kinds[] = {
        {"DBInstanceIdentifier", "db", true},  {"DBSnapshotIdentifier", "snapshot", true},
        {"DBParameterGroupName", "pg", true},  {"DBSubnetGroupName", "subgrp", true},
        {"SubscriptionName", "es", false},     {"ResourceName", NULL, false},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const char *v = params_get(p, kinds[i].param);
        if (!v || !*v)
            continue;
        if (strncmp(v, "arn:", 4) == 0)
            return xstrdup(v);
        if (!kinds[i].type)
            continue;
        char *arn = xasprintf("arn:aws:rds:%s:%s:%s:%s", r->cfg.name, r->cfg.account,
                              kinds[i].type, v);
        if (kinds[i].lower)
            for (char *c = arn; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        return arn;
    }
    return NULL;
}

/* The service and action of a request: the X-Amz-Target of the JSON
 * protocols, else Action and Version of the Query parameters (the body of
 * a POST, the query string of a GET). Unparsable parameters leave the
 * action "(none)": the handler answers those after authentication. */
static void auth_classify(region *r, struct evhttp_request *req, const char *body, size_t len,
                          auth_call *c)
{
    const char *target = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Amz-Target");
    const char *accept = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");
    c->json = accept && strstr(accept, "application/json");
    bool post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;
    snprintf(c->action, sizeof c->action, "(none)");
    if (post && target && strncmp(target, "TrentService.", 13) == 0) {
        c->proto = AUTH_PROTO_KMS;
        snprintf(c->service, sizeof c->service, "kms");
        snprintf(c->action, sizeof c->action, "%s", target + 13);
        return;
    }
    if (post && target && strncmp(target, "secretsmanager.", 15) == 0) {
        c->proto = AUTH_PROTO_KMS; /* the same JSON 1.1 error shape */
        snprintf(c->service, sizeof c->service, "secretsmanager");
        snprintf(c->action, sizeof c->action, "%s", target + 15);
        return;
    }
    if (post && target && strncmp(target, "PerformanceInsightsv20180227.", 29) == 0) {
        c->proto = AUTH_PROTO_KMS; /* JSON 1.1's error shape */
        snprintf(c->service, sizeof c->service, "pi");
        snprintf(c->action, sizeof c->action, "%s", target + 29);
        return;
    }
    if (post && target && strncmp(target, "AmazonSQS.", 10) == 0) {
        c->proto = AUTH_PROTO_SQS_JSON;
        snprintf(c->service, sizeof c->service, "sqs");
        snprintf(c->action, sizeof c->action, "%s", target + 10);
        return;
    }
    if (post && target && strncmp(target, CWPROTO_TARGET_PREFIX,
                                  strlen(CWPROTO_TARGET_PREFIX)) == 0) {
        c->proto = AUTH_PROTO_CW_JSON;
        snprintf(c->service, sizeof c->service, "cloudwatch");
        snprintf(c->action, sizeof c->action, "%s", target + strlen(CWPROTO_TARGET_PREFIX));
        return;
    }
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (post && path && strncmp(path, CWPROTO_CBOR_PATH, strlen(CWPROTO_CBOR_PATH)) == 0) {
        c->proto = AUTH_PROTO_CW_CBOR;
        snprintf(c->service, sizeof c->service, "cloudwatch");
        snprintf(c->action, sizeof c->action, "%s", path + strlen(CWPROTO_CBOR_PATH));
        return;
    }
    if (post && target) {
        /* A JSON service this endpoint does not serve (api/unknown.h):
         * refusals in JSON too; the service is the target's prefix up to
         * '_' or '.', lowercased ("DynamoDB_20120810.ListTables"). */
        c->proto = AUTH_PROTO_KMS;
        size_t n = strcspn(target, "_.");
        if (n >= sizeof c->service)
            n = sizeof c->service - 1;
        snprintf(c->service, sizeof c->service, "%.*s", (int)n, target);
        for (char *k = c->service; *k; k++)
            *k = (char)tolower((unsigned char)*k);
        const char *dot = strchr(target, '.');
        snprintf(c->action, sizeof c->action, "%s", dot ? dot + 1 : "(none)");
        return;
    }
    c->proto = AUTH_PROTO_QUERY;
    snprintf(c->service, sizeof c->service, "rds");
    const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    if (post && !params_form_ctype(evhttp_find_header(evhttp_request_get_input_headers(req),
                                                      "Content-Type")))
        return; /* api_query refuses it: no parameters are read from it */
    const char *src = post ? body : (q ? q : "");
    size_t src_len = post ? len : strlen(src);
    awserr ignored = {0};
    params *p = params_parse(src, src_len, &ignored);
    if (!p)
        return;
    const char *action = params_get(p, "Action");
    const char *version = params_get(p, "Version");
    if (action && *action)
        snprintf(c->action, sizeof c->action, "%s", action);
    if (version && strcmp(version, "2010-05-08") == 0) {
        snprintf(c->service, sizeof c->service, "iam");
    } else if (version && strcmp(version, "2011-06-15") == 0) {
        snprintf(c->service, sizeof c->service, "sts");
    } else if (version && strcmp(version, "2016-11-15") == 0) {
        c->proto = AUTH_PROTO_EC2;
        snprintf(c->service, sizeof c->service, "ec2");
    } else if (version && strcmp(version, "2010-03-31") == 0) {
        snprintf(c->service, sizeof c->service, "sns");
    } else if (version && strcmp(version, "2012-11-05") == 0) {
        snprintf(c->service, sizeof c->service, "sqs");
    } else if (version && strcmp(version, CWPROTO_VERSION) == 0) {
        snprintf(c->service, sizeof c->service, "cloudwatch");
    }
    if (strcmp(c->service, "rds") == 0)
        c->resource = auth_resource(r, p);
    params_free(p);
}

/* Authentication proper: err set and false when the request is refused. */
static bool auth_verify(region *r, const sigv4_request *rq, const char *scope_service,
                        principal *who, awserr *err)
{
    sigv4_auth a;
    char why[512];
    switch (sigv4_parse(rq, &a, why, sizeof why)) {
    case SIGV4_ABSENT:
        return awserr_set(err, AWSERR_MISSING_AUTHENTICATION_TOKEN,
                          "Request is missing Authentication Token");
    case SIGV4_MALFORMED:
        return awserr_set(err, AWSERR_INCOMPLETE_SIGNATURE, "%s", why);
    case SIGV4_PARSED:
        break;
    }
    char secret[PRINCIPAL_SECRET_LEN + 1];
    bool found = false;
    if (!principals_lookup(r->principals, a.access_key, who, secret, &found))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE,
                          "The request failed for an internal reason.");
    if (!found)
        return awserr_set(err, AWSERR_INVALID_CLIENT_TOKEN_ID,
                          "The security token included in the request is invalid.");
    /* Real time, not the region clock: advancing the simulated clock must
     * not expire (or revive) signatures. */
    sigv4_verdict v = sigv4_verify(rq, &a, secret, (int64_t)time(NULL), why, sizeof why);
    OPENSSL_cleanse(secret, sizeof secret);
    if (v == SIGV4_VERIFY_MISMATCH)
        return awserr_set(err, AWSERR_SIGNATURE_DOES_NOT_MATCH, "%s", why);
    if (v == SIGV4_VERIFY_EXPIRED)
        return awserr_set(err, AWSERR_REQUEST_EXPIRED, "%s", why);
    if (strcmp(a.region, r->cfg.name) != 0)
        return awserr_set(err, AWSERR_SIGNATURE_DOES_NOT_MATCH,
                          "Credential should be scoped to a valid region, not '%s'.", a.region);
    if (scope_service && strcmp(a.service, scope_service) != 0)
        return awserr_set(err, AWSERR_SIGNATURE_DOES_NOT_MATCH,
                          "Credential should be scoped to correct service: '%s'. ",
                          scope_service);
    return true;
}

bool auth_check(region *r, struct evhttp_request *req, principal *who)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    char *body = xmalloc(len + 1);
    evbuffer_copyout(in, body, len);
    body[len] = '\0';
    auth_call c = {0};
    auth_classify(r, req, body, len, &c);

    sigv4_header hs[AUTH_MAX_HEADERS];
    size_t nh = 0;
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next)
    {
        if (nh < AUTH_MAX_HEADERS)
            hs[nh++] = (sigv4_header){kv->key, kv->value};
    }
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    sigv4_request rq = {
        .method = evhttp_request_get_command(req) == EVHTTP_REQ_GET ? "GET" : "POST",
        .path = evhttp_uri_get_path(uri),
        .query = evhttp_uri_get_query(uri),
        .headers = hs,
        .n_headers = nh,
        .body = body,
        .body_len = len,
    };
    awserr err = {0};
    bool ok = nh < AUTH_MAX_HEADERS && auth_verify(r, &rq, strcmp(c.service, "cloudwatch") == 0 ? "monitoring" : NULL, who, &err);
    if (nh >= AUTH_MAX_HEADERS)
        awserr_set(&err, AWSERR_INCOMPLETE_SIGNATURE, "Too many headers.");
    char why[sizeof err.message];
    if (ok && !principal_may(r->principals, who, c.service, c.action, c.resource, why,
                             sizeof why)) {
        awserr_set(&err, AWSERR_ACCESS_DENIED, "%s", why);
        ok = false;
    }
    if (!ok)
        auth_refuse(req, &c, &err);
    free(c.resource);
    free(body);
    return ok;
}

bool auth_presigned_view(region *r, struct evhttp_request *req, int64_t max_expires,
                         principal *who, char *why, size_t why_len)
{
    sigv4_header hs[AUTH_MAX_HEADERS];
    size_t nh = 0;
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next)
    {
        if (nh < AUTH_MAX_HEADERS)
            hs[nh++] = (sigv4_header){kv->key, kv->value};
    }
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    sigv4_request rq = {
        .method = "GET",
        .path = evhttp_uri_get_path(uri),
        .query = evhttp_uri_get_query(uri),
        .headers = hs,
        .n_headers = nh,
        .body = "",
        .body_len = 0,
    };
    sigv4_auth a;
    char msg[512];
    awserr err = {0};
    if (nh >= AUTH_MAX_HEADERS) {
        snprintf(why, why_len, "too many headers");
        return false;
    }
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET ||
        sigv4_parse(&rq, &a, msg, sizeof msg) != SIGV4_PARSED || !a.presigned) {
        snprintf(why, why_len, "not a presigned GET");
        return false;
    }
    if (a.expires > max_expires || strcmp(a.service, "rds") != 0) {
        snprintf(why, why_len, "X-Amz-Expires over %lld s, or a scope other than rds",
                 (long long)max_expires);
        return false;
    }
    if (!auth_verify(r, &rq, "rds", who, &err)) {
        snprintf(why, why_len, "%s: %s", awserr_wire_code(err.code), err.message);
        return false;
    }
    return principal_may(r->principals, who, "rds", "DescribeDBInstances", NULL, why, why_len);
}
