/* auth: the API's front door. Every request to POST / (or GET /) is
 * authenticated (SigV4, lib/sigv4.h) and authorized (principal_may)
 * before any handler sees it; a refusal is answered here, in the shape of
 * the request's protocol, and nothing else happens.
 *
 *   no Authorization, no X-Amz-* query   MissingAuthenticationToken 403
 *   malformed / incomplete                IncompleteSignature 400
 *   unknown access key                    InvalidClientTokenId 403
 *   wrong signature, scope or region      SignatureDoesNotMatch 403
 *   skew > 5 min from the REAL clock,     RequestExpired 400
 *     or a presigned URL past its expiry    (the region clock may be
 *                                           advanced; signatures are not)
 *   not permitted                         AccessDenied 403
 *
 * JSON protocols use their exception names (KMS: ...Exception, the
 * signature ones with 400 as AWS's JSON services do; SQS adds the Query
 * code in x-amzn-query-error; CloudWatch's JSON and CBOR as obs/cwproto.h
 * encodes errors). A CloudWatch call (IAM service "cloudwatch") must be
 * signed for the scope service "monitoring". The agent endpoints and /healthz are not routed
 * here. */
#ifndef RDSIM_AUTH_H
#define RDSIM_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/core/principal.h"
#include "controlplane/core/region.h"

struct evhttp_request;

typedef enum {
    AUTH_PROTO_QUERY,    /* RDS, SNS, SQS Query: ErrorResponse (XML or JSON) */
    AUTH_PROTO_EC2,      /* EC2 Query: Response/Errors */
    AUTH_PROTO_KMS,      /* JSON 1.1, TrentService.* and secretsmanager.* */
    AUTH_PROTO_SQS_JSON, /* JSON 1.0, AmazonSQS.*, query-compatible */
    AUTH_PROTO_CW_JSON,  /* CloudWatch JSON 1.0, GraniteServiceVersion20100801.* */
    AUTH_PROTO_CW_CBOR,  /* CloudWatch rpc-v2-cbor, /service/GraniteServiceVersion20100801/... */
} auth_proto;

/* Checks req as one call of <service>:<action> (see auth_classify).
 * true: *who is the caller, the handler may run. false: the refusal has
 * been sent (exactly one reply) and logged. */
bool auth_check(region *r, struct evhttp_request *req, principal *who);

/* The live view's login (api/liveview.h): req must be a GET carrying a
 * presigned SigV4 query (the X-Amz-* parameters, scope service "rds" of
 * this region, X-Amz-Expires at most max_expires seconds, unexpired on
 * the real clock) by a principal that may rds:DescribeDBInstances, the
 * permission that reads what the page shows. true with *who; false with
 * why (nothing is sent: the caller answers). */
bool auth_presigned_view(region *r, struct evhttp_request *req, int64_t max_expires,
                         principal *who, char *why, size_t why_len);

#endif
