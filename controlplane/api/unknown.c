/* unknown: see unknown.h. */
#include "controlplane/api/unknown.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

/* s as a JSON or XML string body: ASCII letters, digits and a few safe
 * punctuation marks kept, anything else '?', at most 100 characters. The
 * text is only echoed for the user, so a lossy copy is fine and can never
 * break the document it is put in. */
static char *quote_safe(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > 100)
        n = 100;
    char *out = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    strchr("._-/:", c) != NULL;
        out[i] = keep ? c : '?';
    }
    out[n] = '\0';
    return out;
}

void unknown_for_target(const char *target, const char *content_type, const char *request_id,
                        unknown_reply *out)
{
    (void)request_id;
    char *t = quote_safe(target);
    out->status = 400;
    out->content_type = content_type && strcmp(content_type, "application/x-amz-json-1.0") == 0
                            ? "application/x-amz-json-1.0"
                            : "application/x-amz-json-1.1";
    out->error_type = "UnknownOperationException";
    out->body = xasprintf("{\"__type\":\"UnknownOperationException\",\"message\":\"The operation "
                          "%s is not served by this endpoint.\"}",
                          t);
    free(t);
}

bool unknown_scope_service(const char *authorization, char *service, size_t len)
{
    if (!authorization || strncmp(authorization, "AWS4-HMAC-SHA256 ", 17) != 0)
        return false;
    const char *c = strstr(authorization, "Credential=");
    if (!c)
        return false;
    c += strlen("Credential=");
    /* AKID / date / region / service / aws4_request */
    for (int slash = 0; slash < 3; slash++) {
        c = strchr(c, '/');
        if (!c)
            return false;
        c++;
    }
    const char *end = strchr(c, '/');
    if (!end || end == c || (size_t)(end - c) >= len || strncmp(end, "/aws4_request", 13) != 0)
        return false;
    for (const char *k = c; k < end; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '-'))
            return false;
    memcpy(service, c, (size_t)(end - c));
    service[end - c] = '\0';
    return true;
}

void unknown_for_path(const char *service, const char *method, const char *path,
                      const char *request_id, unknown_reply *out)
{
    char *p = quote_safe(path);
    char *m = quote_safe(method);
    const char *rid = request_id ? request_id : "";
    out->error_type = NULL;
    if (strcmp(service, "s3") == 0) {
        out->status = 501;
        out->content_type = "application/xml";
        out->body = xasprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                              "NotImplemented</Code><Message>S3 is not served by this "
                              "endpoint (%s %s).</Message><RequestId>%s</RequestId></Error>",
                              m, p, rid);
    } else if (strcmp(service, "cloudfront") == 0 || strcmp(service, "route53") == 0) {
        out->status = 400;
        out->content_type = "text/xml";
        out->body = xasprintf("<?xml version=\"1.0\"?>\n<ErrorResponse><Error><Type>Sender</Type>"
                              "<Code>InvalidAction</Code><Message>%s is not served by this "
                              "endpoint (%s %s).</Message></Error><RequestId>%s</RequestId>"
                              "</ErrorResponse>",
                              service, m, p, rid);
    } else {
        out->status = 404;
        out->content_type = "application/json";
        out->error_type = "UnknownOperationException";
        out->body = xasprintf("{\"__type\":\"UnknownOperationException\",\"message\":\"%s is not "
                              "served by this endpoint (%s %s).\"}",
                              service, m, p);
    }
    free(p);
    free(m);
}

void unknown_reply_clear(unknown_reply *r)
{
    free(r->body);
    r->body = NULL;
}
