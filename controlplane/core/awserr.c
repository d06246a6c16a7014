/* awserr: the one table that maps an internal error to its AWS wire form.
 *
 * Every row was checked against botocore's RDS model
 * (data/rds/2014-10-31/service-2.json, shape "error": {code,
 * httpStatusCode, senderFault}) for the RDS faults, and against the AWS
 * Common Errors page for the protocol-level ones (RDS-REFERENCE §7.3).
 * The wire code is NOT the shape name: DBInstanceNotFoundFault goes out as
 * "DBInstanceNotFound", but a few shapes keep the suffix on the wire
 * (DBSubnetGroupNotFoundFault, KMSKeyNotAccessibleFault, ...). Clients
 * (aws CLI waiters, boto3's exception classes) match on these exact
 * strings, so they must never be derived by string surgery. */
#include "controlplane/core/awserr.h"

#include <stdarg.h>
#include <stdio.h>

typedef struct {
    const char *wire;   /* <Code> on the wire */
    int http;           /* HTTP status of the response */
    bool sender;        /* true: client fault ("Sender"); false: "Receiver" */
} awserr_row;

/* Designated initialisers keep each row tied to its enum value whatever
 * the order; test_awserr checks that no code was left without a row. */
static const awserr_row awserr_table[AWSERR_COUNT_] = {
    /* AWSERR_NONE should never reach the wire; if a bug renders it, the
     * client sees an honest server fault rather than an empty code. */
    [AWSERR_NONE] = {"InternalFailure", 500, false},

    /* Common errors (AWS Common Errors page). */
    [AWSERR_INVALID_PARAMETER_VALUE] = {"InvalidParameterValue", 400, true},
    [AWSERR_INVALID_PARAMETER_COMBINATION] = {"InvalidParameterCombination", 400, true},
    [AWSERR_MISSING_PARAMETER] = {"MissingParameter", 400, true},
    [AWSERR_INVALID_ACTION] = {"InvalidAction", 400, true},
    [AWSERR_MISSING_ACTION] = {"MissingAction", 400, true},
    [AWSERR_INVALID_QUERY_PARAMETER] = {"InvalidQueryParameter", 400, true},
    /* 404 is what the Common Errors page lists for this one. */
    [AWSERR_MALFORMED_QUERY_STRING] = {"MalformedQueryString", 404, true},
    [AWSERR_INTERNAL_FAILURE] = {"InternalFailure", 500, false},
    [AWSERR_SERVICE_UNAVAILABLE] = {"ServiceUnavailable", 503, false},

    /* RDS faults (botocore model; shape name in the comment when the
     * wire code differs from it by more than the "Fault" suffix). */
    [AWSERR_DB_INSTANCE_ALREADY_EXISTS] = {"DBInstanceAlreadyExists", 400, true},
    [AWSERR_DB_INSTANCE_NOT_FOUND] = {"DBInstanceNotFound", 404, true},
    [AWSERR_INVALID_DB_INSTANCE_STATE] = {"InvalidDBInstanceState", 400, true},
    [AWSERR_DB_CLUSTER_ALREADY_EXISTS] = {"DBClusterAlreadyExistsFault", 400, true},
    [AWSERR_DB_CLUSTER_NOT_FOUND] = {"DBClusterNotFoundFault", 404, true},
    [AWSERR_INVALID_DB_CLUSTER_STATE] = {"InvalidDBClusterStateFault", 400, true},
    [AWSERR_DB_CLUSTER_PARAMETER_GROUP_NOT_FOUND] = {"DBClusterParameterGroupNotFound", 404,
                                                     true},
    [AWSERR_DB_CLUSTER_SNAPSHOT_ALREADY_EXISTS] = {"DBClusterSnapshotAlreadyExistsFault", 400,
                                                   true},
    [AWSERR_DB_CLUSTER_SNAPSHOT_NOT_FOUND] = {"DBClusterSnapshotNotFoundFault", 404, true},
    [AWSERR_INVALID_DB_CLUSTER_SNAPSHOT_STATE] = {"InvalidDBClusterSnapshotStateFault", 400,
                                                  true},
    [AWSERR_STORAGE_QUOTA_EXCEEDED] = {"StorageQuotaExceeded", 400, true},
    [AWSERR_INSTANCE_QUOTA_EXCEEDED] = {"InstanceQuotaExceeded", 400, true},
    [AWSERR_INSUFFICIENT_DB_INSTANCE_CAPACITY] = {"InsufficientDBInstanceCapacity", 400, true},
    [AWSERR_STORAGE_TYPE_NOT_SUPPORTED] = {"StorageTypeNotSupported", 400, true},
    [AWSERR_DB_SNAPSHOT_ALREADY_EXISTS] = {"DBSnapshotAlreadyExists", 400, true},
    [AWSERR_DB_SNAPSHOT_NOT_FOUND] = {"DBSnapshotNotFound", 404, true},
    [AWSERR_INVALID_DB_SNAPSHOT_STATE] = {"InvalidDBSnapshotState", 400, true},
    [AWSERR_SNAPSHOT_QUOTA_EXCEEDED] = {"SnapshotQuotaExceeded", 400, true},
    [AWSERR_DB_PARAMETER_GROUP_NOT_FOUND] = {"DBParameterGroupNotFound", 404, true},
    [AWSERR_DB_SUBNET_GROUP_NOT_FOUND] = {"DBSubnetGroupNotFoundFault", 404, true},
    [AWSERR_KMS_KEY_NOT_ACCESSIBLE] = {"KMSKeyNotAccessibleFault", 400, true},
    [AWSERR_INVALID_RESTORE] = {"InvalidRestoreFault", 400, true},
    [AWSERR_POINT_IN_TIME_RESTORE_NOT_ENABLED] = {"PointInTimeRestoreNotEnabled", 400, true},
    [AWSERR_DB_INSTANCE_AUTOMATED_BACKUP_NOT_FOUND] = {"DBInstanceAutomatedBackupNotFound", 404,
                                                       true},
    [AWSERR_INVALID_DB_INSTANCE_AUTOMATED_BACKUP_STATE] = {
        "InvalidDBInstanceAutomatedBackupState", 400, true},
    [AWSERR_DB_LOG_FILE_NOT_FOUND] = {"DBLogFileNotFoundFault", 404, true},
    [AWSERR_SUBSCRIPTION_ALREADY_EXIST] = {"SubscriptionAlreadyExist", 400, true},
    [AWSERR_SUBSCRIPTION_NOT_FOUND] = {"SubscriptionNotFound", 404, true},
    [AWSERR_SUBSCRIPTION_CATEGORY_NOT_FOUND] = {"SubscriptionCategoryNotFound", 404, true},
    [AWSERR_SOURCE_NOT_FOUND] = {"SourceNotFound", 404, true},
    [AWSERR_SNS_TOPIC_ARN_NOT_FOUND] = {"SNSTopicArnNotFound", 404, true},
    [AWSERR_SNS_INVALID_TOPIC] = {"SNSInvalidTopic", 400, true},
    [AWSERR_CERTIFICATE_NOT_FOUND] = {"CertificateNotFound", 404, true},
    [AWSERR_EVENT_SUBSCRIPTION_QUOTA_EXCEEDED] = {"EventSubscriptionQuotaExceeded", 400, true},
    [AWSERR_OPTION_GROUP_NOT_FOUND] = {"OptionGroupNotFoundFault", 404, true},
    [AWSERR_SHARED_SNAPSHOT_QUOTA_EXCEEDED] = {"SharedSnapshotQuotaExceeded", 400, true},

    /* SNS (botocore sns 2010-03-31) and SQS (sqs 2012-11-05: the query
     * codes that its awsQueryCompatible header carries). */
    [AWSERR_SNS_NOT_FOUND] = {"NotFound", 404, true},
    [AWSERR_SNS_INVALID_PARAMETER] = {"InvalidParameter", 400, true},
    [AWSERR_SNS_SUBSCRIPTION_LIMIT_EXCEEDED] = {"SubscriptionLimitExceeded", 403, true},
    [AWSERR_SNS_TOPIC_LIMIT_EXCEEDED] = {"TopicLimitExceeded", 403, true},
    [AWSERR_SQS_QUEUE_DOES_NOT_EXIST] = {"AWS.SimpleQueueService.NonExistentQueue", 400, true},
    [AWSERR_SQS_RECEIPT_HANDLE_INVALID] = {"ReceiptHandleIsInvalid", 400, true},
    [AWSERR_SQS_QUEUE_NAME_EXISTS] = {"QueueAlreadyExists", 400, true},
    [AWSERR_SNS_RESOURCE_NOT_FOUND] = {"ResourceNotFound", 404, true},
    [AWSERR_SQS_INVALID_ATTRIBUTE_NAME] = {"InvalidAttributeName", 400, true},
    [AWSERR_DB_SUBNET_GROUP_ALREADY_EXISTS] = {"DBSubnetGroupAlreadyExists", 400, true},
    [AWSERR_DB_SUBNET_GROUP_QUOTA_EXCEEDED] = {"DBSubnetGroupQuotaExceeded", 400, true},
    [AWSERR_DB_SUBNET_QUOTA_EXCEEDED] = {"DBSubnetQuotaExceededFault", 400, true},
    [AWSERR_DB_SUBNET_GROUP_NOT_ENOUGH_AZS] = {"DBSubnetGroupDoesNotCoverEnoughAZs", 400, true},
    [AWSERR_INVALID_SUBNET] = {"InvalidSubnet", 400, true},
    [AWSERR_INVALID_DB_SUBNET_GROUP_STATE] = {"InvalidDBSubnetGroupStateFault", 400, true},
    [AWSERR_RESOURCE_NOT_FOUND] = {"ResourceNotFoundFault", 404, true},
    [AWSERR_DB_PARAMETER_GROUP_ALREADY_EXISTS] = {"DBParameterGroupAlreadyExists", 400, true},
    [AWSERR_INVALID_DB_PARAMETER_GROUP_STATE] = {"InvalidDBParameterGroupState", 400, true},
    [AWSERR_DB_PARAMETER_GROUP_QUOTA_EXCEEDED] = {"DBParameterGroupQuotaExceeded", 400, true},

    /* Request authentication: the Common Errors page and RDS-REFERENCE-2
     * §1.2 (Query services). */
    [AWSERR_MISSING_AUTHENTICATION_TOKEN] = {"MissingAuthenticationToken", 403, true},
    [AWSERR_INCOMPLETE_SIGNATURE] = {"IncompleteSignature", 400, true},
    [AWSERR_INVALID_CLIENT_TOKEN_ID] = {"InvalidClientTokenId", 403, true},
    [AWSERR_SIGNATURE_DOES_NOT_MATCH] = {"SignatureDoesNotMatch", 403, true},
    [AWSERR_REQUEST_EXPIRED] = {"RequestExpired", 400, true},
    [AWSERR_ACCESS_DENIED] = {"AccessDenied", 403, true},

    /* IAM: botocore's iam 2010-05-08 model (error code, httpStatusCode);
     * ValidationError is what IAM answers for a value outside a shape's
     * pattern or length. */
    [AWSERR_IAM_NO_SUCH_ENTITY] = {"NoSuchEntity", 404, true},
    [AWSERR_IAM_ENTITY_ALREADY_EXISTS] = {"EntityAlreadyExists", 409, true},
    [AWSERR_IAM_DELETE_CONFLICT] = {"DeleteConflict", 409, true},
    [AWSERR_IAM_LIMIT_EXCEEDED] = {"LimitExceeded", 409, true},
    [AWSERR_IAM_MALFORMED_POLICY_DOCUMENT] = {"MalformedPolicyDocument", 400, true},
    [AWSERR_IAM_INVALID_INPUT] = {"InvalidInput", 400, true},
    [AWSERR_VALIDATION_ERROR] = {"ValidationError", 400, true},
    /* CloudWatch (botocore cloudwatch 2010-08-01: InvalidNextToken,
     * InvalidFormatFault, LimitExceededFault). */
    [AWSERR_CW_INVALID_NEXT_TOKEN] = {"InvalidNextToken", 400, true},
    [AWSERR_CW_INVALID_FORMAT] = {"InvalidFormat", 400, true},
    [AWSERR_CW_LIMIT_EXCEEDED] = {"LimitExceeded", 400, true},
};

/* An out-of-range value (memory corruption, a cast gone wrong) or a row
 * someone forgot is answered as InternalFailure, never a crash. */
static const awserr_row *awserr_row_of(awserr_code code)
{
    if ((int)code < 0 || code >= AWSERR_COUNT_ || awserr_table[code].wire == NULL)
        return &awserr_table[AWSERR_INTERNAL_FAILURE];
    return &awserr_table[code];
}

bool awserr_set(awserr *e, awserr_code code, const char *fmt, ...)
{
    if (e == NULL)
        return false;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    /* vsnprintf truncates an over-long message (e.g. one quoting a
     * client's huge value) and always NUL-terminates. */
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return false;
}

const char *awserr_wire_code(awserr_code code)
{
    return awserr_row_of(code)->wire;
}

int awserr_http_status(awserr_code code)
{
    return awserr_row_of(code)->http;
}

const char *awserr_type(awserr_code code)
{
    return awserr_row_of(code)->sender ? "Sender" : "Receiver";
}
