#!/usr/bin/env bash
# SNS topic and subscription attributes and tags, SQS queue attributes
# and tags, with the real `aws sns` / `aws sqs` (JSON protocol for SQS):
# what the Terraform aws provider calls for aws_sns_topic, aws_sqs_queue
# and aws_sns_topic_subscription (issue 14, item 1), and their refusals.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

region_up || bail "the region did not start"
ok 0 "region up"
A() { aws --endpoint-url "$API" --output json "$@" 2>&1; }
# code_of CMD...: the AWS error code of a failed aws call.
code_of() { "$@" 2>&1 | sed -nE 's/.*An error occurred \(([^)]*)\).*/\1/p' | head -1; }

# ---- SNS topics --------------------------------------------------------
out=$(A sns create-topic --name t1 --attributes DisplayName=Alerts --tags Key=team,Value=db)
TOPIC=$(jqs "$out" .TopicArn)
like "$TOPIC" "^arn:aws:sns:$RDS_REGION:[0-9]+:t1\$" "create-topic with Attributes and Tags"
ACCT=$(echo "$TOPIC" | cut -d: -f5)
attrs=$(A sns get-topic-attributes --topic-arn "$TOPIC")
is "$(jqs "$attrs" .Attributes.DisplayName)" Alerts "CreateTopic's DisplayName is stored"
is "$(jqs "$attrs" .Attributes.Owner)" "$ACCT" "Owner is the account"
is "$(jq -r .Attributes.Policy <<<"$attrs" | jq -r '.Id + " " + .Statement[0].Resource + " " + .Statement[0].Condition.StringEquals["AWS:SourceOwner"]')" \
  "__default_policy_ID $TOPIC $ACCT" "the default Policy names the topic and the account"
is "$(jq -r .Attributes.EffectiveDeliveryPolicy <<<"$attrs" | jq -r .http.defaultHealthyRetryPolicy.numRetries)" \
  3 "EffectiveDeliveryPolicy is SNS's default"
is "$(jqs "$attrs" '.Attributes | [.SubscriptionsConfirmed, .SubscriptionsPending, .SubscriptionsDeleted] | join(",")')" \
  "0,0,0" "subscription counts"
POL='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"SNS:Publish","Resource":"'$TOPIC'"}]}'
check "set-topic-attributes Policy" A sns set-topic-attributes --topic-arn "$TOPIC" \
  --attribute-name Policy --attribute-value "$POL"
check "set-topic-attributes DeliveryPolicy" A sns set-topic-attributes --topic-arn "$TOPIC" \
  --attribute-name DeliveryPolicy --attribute-value '{"http":{"defaultHealthyRetryPolicy":{"numRetries":5}}}'
check "set-topic-attributes KmsMasterKeyId" A sns set-topic-attributes --topic-arn "$TOPIC" \
  --attribute-name KmsMasterKeyId --attribute-value alias/aws/sns
attrs=$(A sns get-topic-attributes --topic-arn "$TOPIC")
is "$(jq -r .Attributes.Policy <<<"$attrs" | jq -r .Statement[0].Action)" SNS:Publish "the Policy set is returned"
is "$(jq -r .Attributes.EffectiveDeliveryPolicy <<<"$attrs" | jq -r .http.defaultHealthyRetryPolicy.numRetries)" \
  5 "... and the DeliveryPolicy is the effective one"
is "$(jqs "$attrs" .Attributes.KmsMasterKeyId)" alias/aws/sns "... and KmsMasterKeyId"
is "$(code_of A sns set-topic-attributes --topic-arn "$TOPIC" --attribute-name Policy --attribute-value '{nope')" \
  InvalidParameter "a Policy that is not JSON: InvalidParameter"
is "$(code_of A sns set-topic-attributes --topic-arn "$TOPIC" --attribute-name Bogus --attribute-value x)" \
  InvalidParameter "an unknown attribute: InvalidParameter"
is "$(code_of A sns set-topic-attributes --topic-arn "${TOPIC}x" --attribute-name DisplayName --attribute-value x)" \
  NotFound "a topic that does not exist: NotFound"
is "$(code_of A sns create-topic --name t2 --attributes Policy=notjson)" InvalidParameter \
  "CreateTopic with a bad Policy: InvalidParameter"
is "$(A sns list-topics | jq '[.Topics[] | select(.TopicArn | endswith(":t2"))] | length')" 0 \
  "... and no topic t2 was created"

# ---- SNS tags ----------------------------------------------------------
is "$(A sns list-tags-for-resource --resource-arn "$TOPIC" | jq -c '[.Tags[] | .Key + "=" + .Value]')" \
  '["team=db"]' "CreateTopic's tags"
check "tag-resource" A sns tag-resource --resource-arn "$TOPIC" --tags Key=env,Value=test Key=team,Value=ops
is "$(A sns list-tags-for-resource --resource-arn "$TOPIC" | jq -c '[.Tags[] | .Key + "=" + .Value] | sort')" \
  '["env=test","team=ops"]' "tags added and replaced"
check "untag-resource" A sns untag-resource --resource-arn "$TOPIC" --tag-keys env
is "$(A sns list-tags-for-resource --resource-arn "$TOPIC" | jq -c '[.Tags[] | .Key]')" '["team"]' "tag removed"
is "$(code_of A sns tag-resource --resource-arn "$TOPIC" --tags Key=aws:x,Value=y)" InvalidParameter \
  "an aws: tag key: InvalidParameter"
is "$(code_of A sns list-tags-for-resource --resource-arn "${TOPIC}zz")" ResourceNotFound \
  "tags of a topic that does not exist: ResourceNotFound"

# ---- SQS over JSON ------------------------------------------------------
out=$(A sqs create-queue --queue-name q1 --attributes DelaySeconds=5,MessageRetentionPeriod=86400,VisibilityTimeout=40 \
  --tags team=db,env=test)
QURL=$(jqs "$out" .QueueUrl)
like "$QURL" "/q1\$" "create-queue (JSON) with Attributes and tags maps"
attrs=$(A sqs get-queue-attributes --queue-url "$QURL" --attribute-names All)
is "$(jqs "$attrs" '.Attributes | [.DelaySeconds, .MessageRetentionPeriod, .VisibilityTimeout, .MaximumMessageSize, .SqsManagedSseEnabled] | join(",")')" \
  "5,86400,40,262144,true" "get-queue-attributes All: the set ones and the defaults"
is "$(jqs "$attrs" .Attributes.QueueArn)" "arn:aws:sqs:$RDS_REGION:$ACCT:q1" "QueueArn"
is "$(jqs "$(A sqs get-queue-attributes --queue-url "$QURL" --attribute-names DelaySeconds)" '.Attributes | keys | join(",")')" \
  DelaySeconds "one attribute asked: one returned"
check "set-queue-attributes" A sqs set-queue-attributes --queue-url "$QURL" \
  --attributes '{"VisibilityTimeout":"0","Policy":"{\"Version\":\"2012-10-17\"}"}'
attrs=$(A sqs get-queue-attributes --queue-url "$QURL" --attribute-names VisibilityTimeout Policy)
is "$(jqs "$attrs" '.Attributes.VisibilityTimeout + " " + .Attributes.Policy')" '0 {"Version":"2012-10-17"}' "... stored"
is "$(code_of A sqs set-queue-attributes --queue-url "$QURL" --attributes DelaySeconds=901)" \
  InvalidParameterValue "DelaySeconds 901: InvalidParameterValue"
is "$(code_of A sqs get-queue-attributes --queue-url "$QURL" --attribute-names Nope)" \
  InvalidAttributeName "an unknown attribute name: InvalidAttributeName"
is "$(code_of A sqs create-queue --queue-name q1 --attributes DelaySeconds=6)" \
  QueueAlreadyExists "create-queue again with another DelaySeconds: QueueAlreadyExists"
is "$(jqs "$(A sqs create-queue --queue-name q1 --attributes DelaySeconds=5)" .QueueUrl)" "$QURL" \
  "... with the same one (the others not named): the same URL"
is "$(code_of A sqs create-queue --queue-name q1 --attributes VisibilityTimeout=30)" \
  QueueAlreadyExists "... with VisibilityTimeout 30, while it is 0: QueueAlreadyExists"
is "$(A sqs list-queue-tags --queue-url "$QURL" | jq -c '.Tags')" '{"team":"db","env":"test"}' "CreateQueue's tags"
check "tag-queue" A sqs tag-queue --queue-url "$QURL" --tags team=ops
check "untag-queue" A sqs untag-queue --queue-url "$QURL" --tag-keys env
is "$(A sqs list-queue-tags --queue-url "$QURL" | jq -c '.Tags')" '{"team":"ops"}' "tags changed"

# ---- subscriptions ------------------------------------------------------
out=$(A sns subscribe --topic-arn "$TOPIC" --protocol sqs --notification-endpoint "arn:aws:sqs:$RDS_REGION:$ACCT:q1" \
  --attributes RawMessageDelivery=true --return-subscription-arn)
SUB=$(jqs "$out" .SubscriptionArn)
like "$SUB" "^$TOPIC:" "subscribe sqs with RawMessageDelivery"
attrs=$(A sns get-subscription-attributes --subscription-arn "$SUB")
is "$(jqs "$attrs" '.Attributes | [.RawMessageDelivery, .PendingConfirmation, .Protocol, .TopicArn, .Owner] | join(",")')" \
  "true,false,sqs,$TOPIC,$ACCT" "get-subscription-attributes"
check "publish" A sns publish --topic-arn "$TOPIC" --message "raw hello"
# take: the body of the next message of q1, deleted.
take() {
  local m
  m=$(A sqs receive-message --queue-url "$QURL")
  [ -n "$(jqs "$m" '.Messages[0].ReceiptHandle // empty')" ] || return 1
  A sqs delete-message --queue-url "$QURL" --receipt-handle "$(jqs "$m" .Messages[0].ReceiptHandle)" >/dev/null
  jqs "$m" .Messages[0].Body
}
raw_arrived() { [ "$(take)" = "raw hello" ]; }
wrapped_arrived() { [ "$(take | jq -r .Message 2>/dev/null)" = wrapped ]; }
poll 20 raw_arrived
ok $? "RawMessageDelivery: the queue gets the message itself"
check "set-subscription-attributes RawMessageDelivery=false" A sns set-subscription-attributes \
  --subscription-arn "$SUB" --attribute-name RawMessageDelivery --attribute-value false
check "set-subscription-attributes FilterPolicy" A sns set-subscription-attributes \
  --subscription-arn "$SUB" --attribute-name FilterPolicy --attribute-value '{"k":["v"]}'
attrs=$(A sns get-subscription-attributes --subscription-arn "$SUB")
is "$(jqs "$attrs" '.Attributes | [.RawMessageDelivery, .FilterPolicy, .FilterPolicyScope] | join(" ")')" \
  'false {"k":["v"]} MessageAttributes' "... stored"
check "publish again" A sns publish --topic-arn "$TOPIC" --message "wrapped"
poll 20 wrapped_arrived
ok $? "without RawMessageDelivery the queue gets the envelope"
out=$(A sns subscribe --topic-arn "$TOPIC" --protocol email --notification-endpoint a@b.c \
  --attributes RawMessageDelivery=true)
is "$(code_of echo "$out")" InvalidParameter "RawMessageDelivery on an email subscription: InvalidParameter"
is "$(code_of A sns set-subscription-attributes --subscription-arn "$SUB" --attribute-name RawMessageDelivery --attribute-value maybe)" \
  InvalidParameter "RawMessageDelivery=maybe: InvalidParameter"
is "$(code_of A sns get-subscription-attributes --subscription-arn "${TOPIC}:nope")" NotFound \
  "attributes of a subscription that does not exist: NotFound"

# ---- the store is the truth -------------------------------------------
check "unsubscribe" A sns unsubscribe --subscription-arn "$SUB"
check "delete-topic" A sns delete-topic --topic-arn "$TOPIC"
check "delete-queue" A sqs delete-queue --queue-url "$QURL"
db=$RDS_HOME/controlplane/controlplane.db
is "$(sqlite3 "$db" "SELECT (SELECT count(*) FROM sns_attributes) || ',' || (SELECT count(*) FROM sqs_attributes) || ',' || (SELECT count(*) FROM resource_tags WHERE type IN ('sns','sqs'))")" \
  "0,0,0" "attributes and tags went with their topic, subscription and queue"
out=$(A sqs create-queue --queue-name q1)
out=$(A sqs list-queue-tags --queue-url "$QURL")
is "${out:-no tags}" "no tags" "a new queue of the same name has no old tags"
is "$(jqs "$(A sqs get-queue-attributes --queue-url "$QURL" --attribute-names DelaySeconds)" .Attributes.DelaySeconds)" \
  0 "... nor old attributes"

done_testing
