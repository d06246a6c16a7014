/* unknown: the answer to a request for a service this endpoint does not
 * serve, in that service's own protocol, so an SDK reports "unknown
 * operation" instead of failing to parse an RDS 404:
 *  - a JSON protocol request (X-Amz-Target "<Prefix>.<Op>" whose prefix
 *    is none of KMS, Secrets Manager, SQS): HTTP 400, the request's JSON
 *    content type, {"__type":"UnknownOperationException","message":…};
 *  - a Query request whose Version is no served API: api.c's Query path
 *    already answers InvalidAction in an XML ErrorResponse;
 *  - a REST request (a path other than "/") signed for a service named by
 *    its SigV4 credential scope: S3 (REST-XML) gets <Error> NotImplemented
 *    501, CloudFront and Route 53 (REST-XML) an ErrorResponse
 *    InvalidAction 400, every other service (REST-JSON) 404 with
 *    x-amzn-ErrorType and __type UnknownOperationException.
 * Pure: the caller sends the reply. */
#ifndef RDSIM_UNKNOWN_H
#define RDSIM_UNKNOWN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    int status;
    const char *content_type;
    const char *error_type; /* for x-amzn-ErrorType, or NULL */
    char *body;             /* malloc'd; unknown_reply_clear frees it */
} unknown_reply;

/* The reply to a JSON protocol request for target (any text; quoted
 * escaped and cut to 100 characters) with the request's Content-Type
 * (NULL or not JSON: application/x-amz-json-1.1). */
void unknown_for_target(const char *target, const char *content_type, const char *request_id,
                        unknown_reply *out);

/* The service of a SigV4 Authorization header's credential scope
 * ("Credential=AKID/20260101/us-east-1/<service>/aws4_request") into
 * service[0..len): false when the header is absent or has no such scope,
 * or the name is empty, too long or not [a-z0-9-]. */
bool unknown_scope_service(const char *authorization, char *service, size_t len);

/* The reply to a REST request (method and path as received) signed for
 * service. */
void unknown_for_path(const char *service, const char *method, const char *path,
                      const char *request_id, unknown_reply *out);

void unknown_reply_clear(unknown_reply *r);

#endif
