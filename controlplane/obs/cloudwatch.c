/* cloudwatch: see cloudwatch.h. */
#include "controlplane/obs/cloudwatch.h"
#include "controlplane/obs/cwalarm.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

static const cw_op cw_ops[] = {
    {"PutMetricData", cw_put_metric_data},
    {"GetMetricStatistics", cw_get_metric_statistics},
    {"GetMetricData", cw_get_metric_data},
    {"ListMetrics", cw_list_metrics},
    /* alarms (cwalarm.h) */
    {"PutMetricAlarm", cw_put_metric_alarm},
    {"DescribeAlarms", cw_describe_alarms},
    {"DescribeAlarmsForMetric", cw_describe_alarms_for_metric},
    {"DescribeAlarmHistory", cw_describe_alarm_history},
    {"DeleteAlarms", cw_delete_alarms},
    {"SetAlarmState", cw_set_alarm_state},
    {"EnableAlarmActions", cw_enable_alarm_actions},
    {"DisableAlarmActions", cw_disable_alarm_actions},
};

const cw_op *cloudwatch_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof cw_ops / sizeof cw_ops[0]; i++)
        if (strcmp(cw_ops[i].name, name) == 0)
            return &cw_ops[i];
    return NULL;
}

void cloudwatch_serve(region *r, cwproto proto, const char *op, const uint8_t *body,
                      size_t len, bool gzipped, const params *qp, const char *request_id, uint8_t **out,
                      size_t *out_len, const char **ctype, int *status, char *qerr,
                      size_t qerr_size)
{
    int64_t t0 = mono_ms();
    awserr err = {0};
    cJSON *req = NULL, *result = NULL;
    uint8_t *inflated = NULL;
    const cw_op *def = cloudwatch_find(op);
    if (!def) {
        awserr_set(&err, AWSERR_INVALID_ACTION, "Could not find operation %.100s for version %s",
                   op ? op : "(none)", CWPROTO_VERSION);
        goto reply;
    }
    if (len > CWPROTO_MAX_BODY) {
        awserr_set(&err, AWSERR_INVALID_PARAMETER_VALUE, "The request body is too large.");
        goto reply;
    }
    if (gzipped && proto != CWPROTO_QUERY) {
        if (!cwproto_gunzip(body, len, &inflated, &len, &err))
            goto reply;
        body = inflated;
    }
    req = proto == CWPROTO_JSON   ? cwproto_decode_json((const char *)body, len, &err)
          : proto == CWPROTO_CBOR ? cwproto_decode_cbor(body, len, &err)
                                  : cwproto_decode_query(qp, &err);
    if (!req)
        goto reply;
    result = cJSON_CreateObject();
    if (!def->fn(r, req, result, &err) && err.code == AWSERR_NONE)
        awserr_set(&err, AWSERR_INTERNAL_FAILURE, "The request failed for an internal reason.");
reply:
    if (err.code != AWSERR_NONE) {
        *out = cwproto_encode_error(proto, &err, request_id, out_len, ctype, status, qerr,
                                    qerr_size);
        LOG_INFO("api service=cloudwatch action=%.100s status=%d code=%s ms=%lld request_id=%s",
                 op ? op : "(none)", *status, cwproto_error_info(err.code).code,
                 (long long)(mono_ms() - t0), request_id);
    } else {
        *status = 200;
        qerr[0] = '\0';
        *out = cwproto_encode(proto, def->name, result, request_id, out_len, ctype);
        LOG_INFO("api service=cloudwatch action=%s status=200 ms=%lld request_id=%s",
                 def->name, (long long)(mono_ms() - t0), request_id);
    }
    cJSON_Delete(result);
    cJSON_Delete(req);
    free(inflated);
}
