/* cwlapi: CloudWatch Logs' JSON 1.1 protocol (`aws logs`, X-Amz-Target
 * "Logs_20140328.<Operation>", SigV4 service `logs`, IAM logs:<Op>
 * checked at the door by api/auth.c).
 *
 * Operations: CreateLogGroup, DeleteLogGroup, DescribeLogGroups,
 * CreateLogStream, DescribeLogStreams, PutLogEvents, PutRetentionPolicy,
 * DeleteRetentionPolicy (cwlapi.c); GetLogEvents, FilterLogEvents
 * (cwlread.c). Errors are {"__type": <shape>, "message"} with HTTP 400:
 * ResourceNotFoundException, ResourceAlreadyExistsException,
 * InvalidParameterException, LimitExceededException,
 * UnrecognizedClientException... (500: ServiceUnavailableException when
 * the store fails). Storage and bounds: cwlstore.h.
 *
 * Tokens are opaque to clients and checked here: GetLogEvents'
 * "f/<ts>/<id>" (events after that key) and "b/<ts>/<id>" (before it),
 * FilterLogEvents' "<ts>/<id>", the Describe calls' "o/<offset>". */
#ifndef RDSIM_CWLAPI_H
#define RDSIM_CWLAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct region region;
typedef struct cJSON cJSON;

#define CWL_API_MAX_BODY (1024 * 1024)
#define CWL_MAX_GROUPS 1000
#define CWL_MAX_STREAMS 1000        /* per group */
#define CWL_SCAN_MAX 200000         /* events one FilterLogEvents call reads */
#define CWL_REPLY_MAX (1024 * 1024) /* message bytes in one reply */

/* Handles one request; *reply (malloc'd JSON) and *status always set. */
void cwl_api_handle(region *r, const char *target, const char *body, size_t len, char **reply,
                    int *status);

/* ---- shared by cwlapi.c and cwlread.c ---- */

typedef struct {
    const char *type;   /* NULL: no error */
    char message[512];
    int status;
} cwl_err;

bool cwl_fail(cwl_err *e, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Members; false with InvalidParameterException when of the wrong type
 * or out of range. Absent leaves *out unchanged (and NULL for strings). */
bool cwl_arg_str(const cJSON *in, const char *name, bool required, const char **out, cwl_err *e);
bool cwl_arg_int(const cJSON *in, const char *name, int64_t lo, int64_t hi, int64_t *out,
                 bool *present, cwl_err *e);
bool cwl_arg_bool(const cJSON *in, const char *name, bool *out, cwl_err *e);
/* logGroupName, or the name in logGroupIdentifier (a name or an ARN);
 * the group must exist. */
bool cwl_arg_group(region *r, const cJSON *in, const char **out, char *buf, size_t buflen,
                   cwl_err *e);

bool cwl_op_get_events(region *r, const cJSON *in, cJSON *out, cwl_err *e);
bool cwl_op_filter_events(region *r, const cJSON *in, cJSON *out, cwl_err *e);

#endif
