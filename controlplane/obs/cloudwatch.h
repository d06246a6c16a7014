/* cloudwatch: the CloudWatch service on the region's endpoint — its
 * operation table and the one entry point the HTTP layer calls for any of
 * its three wire formats (cwproto.h).
 *
 * Operations (cwmetrics.c): PutMetricData, GetMetricStatistics,
 * GetMetricData, ListMetrics. A new operation is a row in the table in
 * cloudwatch.c (README.md, "For a new CloudWatch operation"). */
#ifndef RDSIM_CLOUDWATCH_H
#define RDSIM_CLOUDWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"
#include "controlplane/obs/cwproto.h"

typedef struct cJSON cJSON;
typedef struct region region;

typedef bool (*cw_op_fn)(region *r, const cJSON *req, cJSON *result, awserr *err);

typedef struct {
    const char *name;
    cw_op_fn fn;
} cw_op;

/* The operation named `name`, or NULL. */
const cw_op *cloudwatch_find(const char *name);

/* One request: op the operation (from X-Amz-Target, the CBOR path or
 * Query's Action; NULL or unknown: InvalidAction), the body in `proto`
 * (Query: qp holds the parsed parameters and body is unused; gzipped:
 * sent with Content-Encoding gzip, inflated first). Always
 * fills a reply: *out (malloc'd, *out_len bytes), *ctype, *status, and
 * qerr (the x-amzn-query-error value, "" for none). */
void cloudwatch_serve(region *r, cwproto proto, const char *op, const uint8_t *body,
                      size_t len, bool gzipped, const params *qp, const char *request_id, uint8_t **out,
                      size_t *out_len, const char **ctype, int *status, char *qerr,
                      size_t qerr_size);

/* The handlers (cwmetrics.c). */
bool cw_put_metric_data(region *r, const cJSON *req, cJSON *result, awserr *err);
bool cw_get_metric_statistics(region *r, const cJSON *req, cJSON *result, awserr *err);
bool cw_get_metric_data(region *r, const cJSON *req, cJSON *result, awserr *err);
bool cw_list_metrics(region *r, const cJSON *req, cJSON *result, awserr *err);

#endif
