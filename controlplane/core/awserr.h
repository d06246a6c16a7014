/* awserr: the AWS error vocabulary of the API.
 *
 * Handlers and validators report failures as an awserr (code + message).
 * awserr_http_status/awserr_wire_code/awserr_type are the one place that
 * maps an internal error to what goes on the wire (RDS-REFERENCE §7.3:
 * wire codes differ from botocore shape names; some keep "Fault"). */
#ifndef RDSIM_AWSERR_H
#define RDSIM_AWSERR_H

#include <stdbool.h>

typedef enum {
    AWSERR_NONE = 0,
    /* common errors */
    AWSERR_INVALID_PARAMETER_VALUE,
    AWSERR_INVALID_PARAMETER_COMBINATION,
    AWSERR_MISSING_PARAMETER,
    AWSERR_INVALID_ACTION,
    AWSERR_MISSING_ACTION,
    AWSERR_INVALID_QUERY_PARAMETER,
    AWSERR_MALFORMED_QUERY_STRING,
    AWSERR_INTERNAL_FAILURE,
    AWSERR_SERVICE_UNAVAILABLE,
    /* RDS errors */
    AWSERR_DB_INSTANCE_ALREADY_EXISTS,
    AWSERR_DB_INSTANCE_NOT_FOUND,
    AWSERR_INVALID_DB_INSTANCE_STATE,
    AWSERR_STORAGE_QUOTA_EXCEEDED,
    AWSERR_INSTANCE_QUOTA_EXCEEDED,
    AWSERR_INSUFFICIENT_DB_INSTANCE_CAPACITY,
    AWSERR_STORAGE_TYPE_NOT_SUPPORTED,
    AWSERR_DB_SNAPSHOT_ALREADY_EXISTS,
    AWSERR_DB_SNAPSHOT_NOT_FOUND,
    AWSERR_INVALID_DB_SNAPSHOT_STATE,
    AWSERR_SNAPSHOT_QUOTA_EXCEEDED,
    AWSERR_DB_PARAMETER_GROUP_NOT_FOUND,
    AWSERR_DB_SUBNET_GROUP_NOT_FOUND,
    AWSERR_KMS_KEY_NOT_ACCESSIBLE,
    AWSERR_INVALID_RESTORE,
    AWSERR_POINT_IN_TIME_RESTORE_NOT_ENABLED,
    AWSERR_DB_INSTANCE_AUTOMATED_BACKUP_NOT_FOUND,
    AWSERR_INVALID_DB_INSTANCE_AUTOMATED_BACKUP_STATE,
    AWSERR_DB_LOG_FILE_NOT_FOUND,
    AWSERR_SUBSCRIPTION_ALREADY_EXIST,
    AWSERR_SUBSCRIPTION_NOT_FOUND,
    AWSERR_SUBSCRIPTION_CATEGORY_NOT_FOUND,
    AWSERR_SOURCE_NOT_FOUND,
    AWSERR_SNS_TOPIC_ARN_NOT_FOUND,
    AWSERR_SNS_INVALID_TOPIC,
    AWSERR_EVENT_SUBSCRIPTION_QUOTA_EXCEEDED,
    AWSERR_OPTION_GROUP_NOT_FOUND,
    /* SNS and SQS errors (sns.h, sqs.h) */
    AWSERR_SNS_NOT_FOUND,
    AWSERR_SNS_INVALID_PARAMETER,
    AWSERR_SQS_QUEUE_DOES_NOT_EXIST,
    AWSERR_SQS_RECEIPT_HANDLE_INVALID,
    AWSERR_SQS_QUEUE_NAME_EXISTS,
    AWSERR_DB_SUBNET_GROUP_ALREADY_EXISTS,
    AWSERR_DB_SUBNET_GROUP_QUOTA_EXCEEDED,
    AWSERR_DB_SUBNET_QUOTA_EXCEEDED,
    AWSERR_DB_SUBNET_GROUP_NOT_ENOUGH_AZS,
    AWSERR_INVALID_SUBNET,
    AWSERR_INVALID_DB_SUBNET_GROUP_STATE,
    AWSERR_RESOURCE_NOT_FOUND,
    AWSERR_DB_PARAMETER_GROUP_ALREADY_EXISTS,
    AWSERR_INVALID_DB_PARAMETER_GROUP_STATE,
    AWSERR_DB_PARAMETER_GROUP_QUOTA_EXCEEDED,
    /* request authentication (api/auth.h; RDS-REFERENCE-2 §1.2) */
    AWSERR_MISSING_AUTHENTICATION_TOKEN,
    AWSERR_INCOMPLETE_SIGNATURE,
    AWSERR_INVALID_CLIENT_TOKEN_ID,
    AWSERR_SIGNATURE_DOES_NOT_MATCH,
    AWSERR_REQUEST_EXPIRED,
    AWSERR_ACCESS_DENIED,
    AWSERR_COUNT_
} awserr_code;

typedef struct {
    awserr_code code;
    char message[512];
} awserr;

/* Sets e (if not NULL) and returns false, so validators can
 * `return awserr_set(err, CODE, "...")`. */
bool awserr_set(awserr *e, awserr_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The code as it goes on the wire, e.g. "DBInstanceNotFound",
 * "DBSubnetGroupNotFoundFault". Never NULL. */
const char *awserr_wire_code(awserr_code code);
/* HTTP status: 400 for most, 404 for *NotFound, 500/503 for server faults. */
int awserr_http_status(awserr_code code);
/* "Sender" for client faults, "Receiver" for server faults. */
const char *awserr_type(awserr_code code);

#endif
