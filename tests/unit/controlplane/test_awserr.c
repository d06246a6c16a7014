/* Unit tests for controlplane/awserr: every code's wire string, HTTP status
 * and fault type, as botocore's RDS model and the Common Errors page give
 * them (the expected rows were copied from the model, not from awserr.c). */
#include <stdio.h>
#include <string.h>

#include "controlplane/core/awserr.h"
#include "lib/tap.h"

static const struct {
    awserr_code code;
    const char *wire;
    int http;
    const char *type;
} cases[] = {
    {AWSERR_INVALID_PARAMETER_VALUE, "InvalidParameterValue", 400, "Sender"},
    {AWSERR_INVALID_PARAMETER_COMBINATION, "InvalidParameterCombination", 400, "Sender"},
    {AWSERR_MISSING_PARAMETER, "MissingParameter", 400, "Sender"},
    {AWSERR_INVALID_ACTION, "InvalidAction", 400, "Sender"},
    {AWSERR_MISSING_ACTION, "MissingAction", 400, "Sender"},
    {AWSERR_INVALID_QUERY_PARAMETER, "InvalidQueryParameter", 400, "Sender"},
    {AWSERR_MALFORMED_QUERY_STRING, "MalformedQueryString", 404, "Sender"},
    {AWSERR_INTERNAL_FAILURE, "InternalFailure", 500, "Receiver"},
    {AWSERR_SERVICE_UNAVAILABLE, "ServiceUnavailable", 503, "Receiver"},
    {AWSERR_DB_INSTANCE_ALREADY_EXISTS, "DBInstanceAlreadyExists", 400, "Sender"},
    {AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstanceNotFound", 404, "Sender"},
    {AWSERR_INVALID_DB_INSTANCE_STATE, "InvalidDBInstanceState", 400, "Sender"},
    {AWSERR_STORAGE_QUOTA_EXCEEDED, "StorageQuotaExceeded", 400, "Sender"},
    {AWSERR_INSTANCE_QUOTA_EXCEEDED, "InstanceQuotaExceeded", 400, "Sender"},
    {AWSERR_INSUFFICIENT_DB_INSTANCE_CAPACITY, "InsufficientDBInstanceCapacity", 400, "Sender"},
    {AWSERR_STORAGE_TYPE_NOT_SUPPORTED, "StorageTypeNotSupported", 400, "Sender"},
    {AWSERR_DB_SNAPSHOT_ALREADY_EXISTS, "DBSnapshotAlreadyExists", 400, "Sender"},
    {AWSERR_DB_SNAPSHOT_NOT_FOUND, "DBSnapshotNotFound", 404, "Sender"},
    {AWSERR_INVALID_DB_SNAPSHOT_STATE, "InvalidDBSnapshotState", 400, "Sender"},
    {AWSERR_SNAPSHOT_QUOTA_EXCEEDED, "SnapshotQuotaExceeded", 400, "Sender"},
    {AWSERR_DB_PARAMETER_GROUP_NOT_FOUND, "DBParameterGroupNotFound", 404, "Sender"},
    {AWSERR_DB_SUBNET_GROUP_NOT_FOUND, "DBSubnetGroupNotFoundFault", 404, "Sender"},
    {AWSERR_KMS_KEY_NOT_ACCESSIBLE, "KMSKeyNotAccessibleFault", 400, "Sender"},
    {AWSERR_INVALID_RESTORE, "InvalidRestoreFault", 400, "Sender"},
    {AWSERR_POINT_IN_TIME_RESTORE_NOT_ENABLED, "PointInTimeRestoreNotEnabled", 400, "Sender"},
    {AWSERR_DB_INSTANCE_AUTOMATED_BACKUP_NOT_FOUND, "DBInstanceAutomatedBackupNotFound", 404,
     "Sender"},
    {AWSERR_INVALID_DB_INSTANCE_AUTOMATED_BACKUP_STATE, "InvalidDBInstanceAutomatedBackupState", 400,
     "Sender"},
    {AWSERR_DB_LOG_FILE_NOT_FOUND, "DBLogFileNotFoundFault", 404, "Sender"},
    {AWSERR_SUBSCRIPTION_ALREADY_EXIST, "SubscriptionAlreadyExist", 400, "Sender"},
    {AWSERR_SUBSCRIPTION_NOT_FOUND, "SubscriptionNotFound", 404, "Sender"},
    {AWSERR_SUBSCRIPTION_CATEGORY_NOT_FOUND, "SubscriptionCategoryNotFound", 404, "Sender"},
    {AWSERR_SOURCE_NOT_FOUND, "SourceNotFound", 404, "Sender"},
    {AWSERR_SNS_TOPIC_ARN_NOT_FOUND, "SNSTopicArnNotFound", 404, "Sender"},
    {AWSERR_SNS_INVALID_TOPIC, "SNSInvalidTopic", 400, "Sender"},
    {AWSERR_EVENT_SUBSCRIPTION_QUOTA_EXCEEDED, "EventSubscriptionQuotaExceeded", 400, "Sender"},
    {AWSERR_OPTION_GROUP_NOT_FOUND, "OptionGroupNotFoundFault", 404, "Sender"},
    {AWSERR_SHARED_SNAPSHOT_QUOTA_EXCEEDED, "SharedSnapshotQuotaExceeded", 400, "Sender"},
    {AWSERR_CERTIFICATE_NOT_FOUND, "CertificateNotFound", 404, "Sender"},
    {AWSERR_SNS_NOT_FOUND, "NotFound", 404, "Sender"},
    {AWSERR_SNS_INVALID_PARAMETER, "InvalidParameter", 400, "Sender"},
    {AWSERR_SNS_SUBSCRIPTION_LIMIT_EXCEEDED, "SubscriptionLimitExceeded", 403, "Sender"},
    {AWSERR_SNS_TOPIC_LIMIT_EXCEEDED, "TopicLimitExceeded", 403, "Sender"},
    {AWSERR_SQS_QUEUE_DOES_NOT_EXIST, "AWS.SimpleQueueService.NonExistentQueue", 400, "Sender"},
    {AWSERR_SQS_RECEIPT_HANDLE_INVALID, "ReceiptHandleIsInvalid", 400, "Sender"},
    {AWSERR_SQS_QUEUE_NAME_EXISTS, "QueueAlreadyExists", 400, "Sender"},
    {AWSERR_SNS_RESOURCE_NOT_FOUND, "ResourceNotFound", 404, "Sender"},
    {AWSERR_SQS_INVALID_ATTRIBUTE_NAME, "InvalidAttributeName", 400, "Sender"},
    {AWSERR_DB_SUBNET_GROUP_ALREADY_EXISTS, "DBSubnetGroupAlreadyExists", 400, "Sender"},
    {AWSERR_DB_SUBNET_GROUP_QUOTA_EXCEEDED, "DBSubnetGroupQuotaExceeded", 400, "Sender"},
    {AWSERR_DB_SUBNET_QUOTA_EXCEEDED, "DBSubnetQuotaExceededFault", 400, "Sender"},
    {AWSERR_DB_SUBNET_GROUP_NOT_ENOUGH_AZS, "DBSubnetGroupDoesNotCoverEnoughAZs", 400, "Sender"},
    {AWSERR_INVALID_SUBNET, "InvalidSubnet", 400, "Sender"},
    {AWSERR_INVALID_DB_SUBNET_GROUP_STATE, "InvalidDBSubnetGroupStateFault", 400, "Sender"},
    {AWSERR_RESOURCE_NOT_FOUND, "ResourceNotFoundFault", 404, "Sender"},
    {AWSERR_DB_PARAMETER_GROUP_ALREADY_EXISTS, "DBParameterGroupAlreadyExists", 400, "Sender"},
    {AWSERR_INVALID_DB_PARAMETER_GROUP_STATE, "InvalidDBParameterGroupState", 400, "Sender"},
    {AWSERR_DB_PARAMETER_GROUP_QUOTA_EXCEEDED, "DBParameterGroupQuotaExceeded", 400, "Sender"},
    /* request authentication (RDS-REFERENCE-2 §1.2) */
    {AWSERR_MISSING_AUTHENTICATION_TOKEN, "MissingAuthenticationToken", 403, "Sender"},
    {AWSERR_INCOMPLETE_SIGNATURE, "IncompleteSignature", 400, "Sender"},
    {AWSERR_INVALID_CLIENT_TOKEN_ID, "InvalidClientTokenId", 403, "Sender"},
    {AWSERR_SIGNATURE_DOES_NOT_MATCH, "SignatureDoesNotMatch", 403, "Sender"},
    {AWSERR_REQUEST_EXPIRED, "RequestExpired", 400, "Sender"},
    {AWSERR_ACCESS_DENIED, "AccessDenied", 403, "Sender"},
    /* IAM (botocore iam 2010-05-08: code, httpStatusCode) */
    {AWSERR_IAM_NO_SUCH_ENTITY, "NoSuchEntity", 404, "Sender"},
    {AWSERR_IAM_ENTITY_ALREADY_EXISTS, "EntityAlreadyExists", 409, "Sender"},
    {AWSERR_IAM_DELETE_CONFLICT, "DeleteConflict", 409, "Sender"},
    {AWSERR_IAM_LIMIT_EXCEEDED, "LimitExceeded", 409, "Sender"},
    {AWSERR_IAM_MALFORMED_POLICY_DOCUMENT, "MalformedPolicyDocument", 400, "Sender"},
    {AWSERR_IAM_INVALID_INPUT, "InvalidInput", 400, "Sender"},
    {AWSERR_VALIDATION_ERROR, "ValidationError", 400, "Sender"},
    {AWSERR_CW_INVALID_NEXT_TOKEN, "InvalidNextToken", 400, "Sender"},
    {AWSERR_CW_INVALID_FORMAT, "InvalidFormat", 400, "Sender"},
    {AWSERR_CW_LIMIT_EXCEEDED, "LimitExceeded", 400, "Sender"},
    {AWSERR_DB_CLUSTER_ALREADY_EXISTS, "DBClusterAlreadyExistsFault", 400, "Sender"},
    {AWSERR_DB_CLUSTER_NOT_FOUND, "DBClusterNotFoundFault", 404, "Sender"},
    {AWSERR_INVALID_DB_CLUSTER_STATE, "InvalidDBClusterStateFault", 400, "Sender"},
    {AWSERR_DB_CLUSTER_PARAMETER_GROUP_NOT_FOUND, "DBClusterParameterGroupNotFound", 404, "Sender"},
    {AWSERR_DB_CLUSTER_SNAPSHOT_ALREADY_EXISTS, "DBClusterSnapshotAlreadyExistsFault", 400, "Sender"},
    {AWSERR_DB_CLUSTER_SNAPSHOT_NOT_FOUND, "DBClusterSnapshotNotFoundFault", 404, "Sender"},
    {AWSERR_INVALID_DB_CLUSTER_SNAPSHOT_STATE, "InvalidDBClusterSnapshotStateFault", 400, "Sender"},
};

int main(void)
{
    char name[160];
    bool seen[AWSERR_COUNT_] = {false};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        seen[cases[i].code] = true;
        snprintf(name, sizeof name, "%s: wire code", cases[i].wire);
        is_str(awserr_wire_code(cases[i].code), cases[i].wire, name);
        snprintf(name, sizeof name, "%s: HTTP status", cases[i].wire);
        is_int(awserr_http_status(cases[i].code), cases[i].http, name);
        snprintf(name, sizeof name, "%s: fault type", cases[i].wire);
        is_str(awserr_type(cases[i].code), cases[i].type, name);
    }
    /* A code added to the enum must be added to the table above too. */
    for (int c = 1; c < AWSERR_COUNT_; c++) {
        snprintf(name, sizeof name, "enum value %d has an expected row in this test", c);
        ok(seen[c], name);
    }

    /* Values that should never reach the wire still give a valid reply. */
    is_str(awserr_wire_code(AWSERR_NONE), "InternalFailure", "NONE renders as InternalFailure");
    is_int(awserr_http_status(AWSERR_NONE), 500, "NONE is a 500");
    is_str(awserr_wire_code(AWSERR_COUNT_), "InternalFailure", "out-of-range code is safe");
    is_str(awserr_wire_code((awserr_code)-1), "InternalFailure", "negative code is safe");
    is_str(awserr_type((awserr_code)9999), "Receiver", "out-of-range type is Receiver");

    /* awserr_set */
    awserr e = {0};
    ok(!awserr_set(&e, AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", "shop"),
       "awserr_set returns false");
    is_int(e.code, AWSERR_DB_INSTANCE_NOT_FOUND, "awserr_set stores the code");
    is_str(e.message, "DBInstance shop not found.", "awserr_set formats the message");
    ok(!awserr_set(NULL, AWSERR_MISSING_PARAMETER, "x"), "awserr_set(NULL) returns false");

    char big[2000];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    awserr_set(&e, AWSERR_INVALID_PARAMETER_VALUE, "Invalid value '%s'", big);
    is_int(strlen(e.message), sizeof e.message - 1, "an over-long message is truncated");
    ok(strncmp(e.message, "Invalid value 'vvv", 18) == 0, "truncation keeps the beginning");
    return done_testing();
}
