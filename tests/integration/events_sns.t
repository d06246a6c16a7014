#!/usr/bin/env bash
# RDS event subscriptions delivered through the region's SNS (issue 6):
# a subscription to a Multi-AZ instance's failover events delivers each
# event exactly once to a local HTTP receiver, an sqs queue, an email
# spool, a firehose stream and a lambda command when a forced failover
# happens; a receiver that is down gets its message once it is back; a
# controlplane killed with -9 while deliveries are pending loses none; a
# subscriber that always fails ends as a dead-letter record;
# the AWS error codes of the subscription API; the real `aws sns` and
# `aws sqs` against the endpoint (visibility timeout, delete-message).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# Retries after 0.15, 0.3, 0.6, 1.2, 2.4, 4.5, 4.5 s (the default: 1 s base),
# so a dead letter takes seconds; a receiver down for a few seconds is far
# from the eighth attempt.
export RDS_DELIVERY_RETRY_MS=150
region_up || bail "the region did not start"
ok 0 "region up"

ACCT=123456789012
CP_HOME=$RDS_HOME/controlplane
RECV_OUT=$RDS_HOME/received.jsonl
RECV_PORT_FILE=$RDS_HOME/receiver.port
TOPIC=arn:aws:sns:us-east-1:$ACCT:db-events
QURL=http://127.0.0.1/$ACCT/db-events-q
export AWS_PAGER=
awsx() { aws --endpoint-url "$RDSCTL_ENDPOINT" "$@"; }

# ---- the receiver ----------------------------------------------------------------

RECV_PID=
receiver_up() { # [PORT]
  rm -f "$RECV_PORT_FILE"
  python3 "$ROOT/tests/integration/sns_receiver.py" --port "${1:-0}" \
    --port-file "$RECV_PORT_FILE" --out "$RECV_OUT" >/dev/null 2>&1 &
  RECV_PID=$!
  # python's start-up can take seconds on a loaded machine
  poll 60 test -s "$RECV_PORT_FILE"
}
receiver_down() { kill "$RECV_PID" 2>/dev/null; wait "$RECV_PID" 2>/dev/null; RECV_PID=; }

# How many envelopes the receiver got with Message containing TEXT.
received() { [ -f "$RECV_OUT" ] && grep -cF -- "$1" "$RECV_OUT" || echo 0; }
received_is() { [ "$(received "$1")" = "$2" ]; }

# Messages in a receive-message reply on stdin (an empty reply prints nothing).
nmsgs() { jq -n '[inputs][0].Messages // [] | length'; }

# Delivery rows: deliveries FILTER-ARGS... | jq
deliveries() { rdsctl sns list-deliveries --max-items 1000 "$@"; }
delivery_state() { # MESSAGE-ID PROTOCOL
  deliveries | jq -r --arg m "$1" --arg p "$2" \
    '[.Deliveries[] | select(.MessageId == $m and .Protocol == $p)][0].State // "none"'
}
delivery_attempts() {
  deliveries | jq -r --arg m "$1" --arg p "$2" \
    '[.Deliveries[] | select(.MessageId == $m and .Protocol == $p)][0].Attempts // 0'
}
state_is() { [ "$(delivery_state "$1" "$2")" = "$3" ]; }
attempted() { [ "$(delivery_attempts "$1" "$2")" -ge 1 ]; }

receiver_up
ok $? "the HTTP receiver listens" || bail "no HTTP receiver"
RECV_PORT=$(cat "$RECV_PORT_FILE")

# ---- topic, queue, subscriptions -------------------------------------------------

out=$(rdsctl sns create-topic --name db-events)
is "$(jqs "$out" .TopicArn)" "$TOPIC" "rdsctl sns create-topic"
out=$(rdsctl sqs create-queue --queue-name db-events-q --attributes VisibilityTimeout=30)
is "$(jqs "$out" .QueueUrl)" "$QURL" "rdsctl sqs create-queue"
mkdir -p "$CP_HOME/lambda"
cat >"$CP_HOME/lambda/on-event" <<SH
#!/bin/sh
cat >>"$CP_HOME/lambda/on-event.out"
echo >>"$CP_HOME/lambda/on-event.out"
SH
chmod +x "$CP_HOME/lambda/on-event"
sub() { rdsctl sns subscribe --topic-arn "$TOPIC" --protocol "$1" --notification-endpoint "$2" | jq -r .SubscriptionArn; }
HTTP_SUB=$(sub http "http://127.0.0.1:$RECV_PORT/sns")
like "$HTTP_SUB" "^$TOPIC:" "subscribe http"
like "$(sub sqs "arn:aws:sqs:us-east-1:$ACCT:db-events-q")" "^$TOPIC:" "subscribe sqs"
like "$(sub email ops@example.com)" "^$TOPIC:" "subscribe email"
like "$(sub firehose "arn:aws:firehose:us-east-1:$ACCT:deliverystream/audit")" "^$TOPIC:" "subscribe firehose"
like "$(sub lambda "arn:aws:lambda:us-east-1:$ACCT:function:on-event")" "^$TOPIC:" "subscribe lambda"
is "$(sub http "http://127.0.0.1:$RECV_PORT/sns")" "$HTTP_SUB" "subscribing again gives the same ARN"
is "$(rdsctl sns list-subscriptions-by-topic --topic-arn "$TOPIC" | jq '.Subscriptions | length')" 5 \
  "five subscriptions on the topic"

# ---- the subscription API's errors ---------------------------------------------------

create_instance maz --multi-az --dns-ttl 1 >/dev/null
ok $? "create a Multi-AZ instance"

code_of() { "$@" 2>&1 >/dev/null | sed -n 's/.*An error occurred (\([^)]*\)).*/\1/p'; }
is "$(code_of rdsctl create-event-subscription --subscription-name x --sns-topic-arn "arn:aws:sns:us-east-1:$ACCT:nope")" \
  SNSTopicArnNotFound "a topic that does not exist: SNSTopicArnNotFound"
is "$(code_of rdsctl create-event-subscription --subscription-name x --sns-topic-arn not-an-arn)" \
  SNSInvalidTopic "a malformed topic ARN: SNSInvalidTopic"
is "$(code_of rdsctl create-event-subscription --subscription-name x --sns-topic-arn "$TOPIC" --event-categories nonsense)" \
  SubscriptionCategoryNotFound "an unknown category: SubscriptionCategoryNotFound"
is "$(code_of rdsctl create-event-subscription --subscription-name x --sns-topic-arn "$TOPIC" --source-type db-instance --source-ids ghost)" \
  SourceNotFound "an unknown source: SourceNotFound"
is "$(code_of rdsctl describe-event-subscriptions --subscription-name ghost)" \
  SubscriptionNotFound "describe an unknown one: SubscriptionNotFound"

out=$(rdsctl create-event-subscription --subscription-name maz-failover --sns-topic-arn "$TOPIC" \
  --source-type db-instance --source-ids maz --event-categories failover)
ok $? "create-event-subscription (db-instance maz, failover)"
is "$(jqs "$out" .EventSubscription.Status)" active "status active"
is "$(jqs "$out" '.EventSubscription.SourceIdsList | join(",")')" maz "SourceIdsList"
is "$(jqs "$out" '.EventSubscription.EventCategoriesList | join(",")')" failover "EventCategoriesList"
is "$(code_of rdsctl create-event-subscription --subscription-name maz-failover --sns-topic-arn "$TOPIC")" \
  SubscriptionAlreadyExist "the same name again: SubscriptionAlreadyExist"
out=$(rdsctl create-event-subscription --subscription-name off --sns-topic-arn "$TOPIC" --no-enabled)
is "$(jqs "$out" .EventSubscription.Enabled)" false "a disabled subscription (nothing may arrive through it)"
out=$(rdsctl modify-event-subscription --subscription-name off --event-categories creation)
is "$(jqs "$out" '.EventSubscription.EventCategoriesList | join(",")')" creation "modify-event-subscription: categories"
out=$(rdsctl remove-source-identifier-from-subscription --subscription-name maz-failover --source-identifier maz)
is "$(jqs "$out" '.EventSubscription.SourceIdsList // [] | length')" 0 "remove-source-identifier-from-subscription"
out=$(rdsctl add-source-identifier-to-subscription --subscription-name maz-failover --source-identifier maz)
is "$(jqs "$out" '.EventSubscription.SourceIdsList | join(",")')" maz "add-source-identifier-to-subscription"
is "$(rdsctl describe-event-subscriptions | jq '.EventSubscriptionsList | length')" 2 "describe-event-subscriptions lists both"

# ---- a forced failover is delivered once to every subscriber ------------------------

poll 240 status_is maz available
ok $? "maz available" || bail "no Multi-AZ instance"
recovered() {
  rdsctl describe-events --source-type db-instance --source-identifier maz --duration 60 |
    jq -r '.Events[].Message' | grep -q '^Multi-AZ instance recovery completed'
}
poll 60 recovered
ok $? "the standby is synchronous (RDS-EVENT-0053)"
is "$(received RDS-EVENT)" 0 "no event delivered before the failover (creation is not subscribed)"

rdsctl reboot-db-instance --db-instance-identifier maz --force-failover >/dev/null
ok $? "reboot-db-instance --force-failover"
poll 90 status_is maz available
ok $? "available again"
failover_events() {
  rdsctl describe-events --source-type db-instance --source-identifier maz --duration 60 |
    jq '[.Events[] | select(.EventCategories | index("failover"))] | length'
}
NFAIL=$(failover_events)
like "$NFAIL" '^[1-9]' "the failover recorded $NFAIL failover-category events"
poll 30 received_is RDS-EVENT-0049 1
ok $? "http: RDS-EVENT-0049 (failover completed) arrived"
is "$(received RDS-EVENT-0013)" 1 "http: RDS-EVENT-0013 (failover started) arrived"
is "$(received RDS-EVENT)" "$NFAIL" "http: exactly one envelope per failover event"
is "$(jq -r 'select(.Message | contains("RDS-EVENT")) | .Type' "$RECV_OUT" | sort -u)" Notification \
  "each is a Notification envelope"
is "$(jq -r 'select(.Message | contains("RDS-EVENT-0049")) | .Subject' "$RECV_OUT")" \
  "RDS Notification Message" "Subject as RDS sends it"
is "$(jq -r 'select(.Message | contains("RDS-EVENT-0049")) | .Message | fromjson | ."Source ID"' "$RECV_OUT")" \
  maz "Message is RDS's JSON (Source ID maz)"
is "$(jq -r 'select(.Message | contains("RDS-EVENT")) | ._type' "$RECV_OUT" | sort -u)" Notification \
  "x-amz-sns-message-type header"
http_ids=$(jq -r 'select(.Message | contains("RDS-EVENT")) | .MessageId' "$RECV_OUT" | sort)

poll 10 sh -c "[ \$(grep -c X-Amz-Sns-Message-Id '$CP_HOME/mail/ops@example.com' 2>/dev/null) = $NFAIL ]"
ok $? "email: $NFAIL messages in the spool $CP_HOME/mail/ops@example.com"
is "$(grep '^X-Amz-Sns-Message-Id' "$CP_HOME/mail/ops@example.com" | awk '{print $2}' | sort)" \
  "$http_ids" "email: the same MessageIds as http"
poll 10 sh -c "[ \$(wc -l <'$CP_HOME/firehose/audit') = $NFAIL ]"
ok $? "firehose: $NFAIL JSON lines"
poll 10 sh -c "[ \$(grep -c '\"EventSource\":\"aws:sns\"' '$CP_HOME/lambda/on-event.out' 2>/dev/null) = $NFAIL ]"
ok $? "lambda: the command read $NFAIL Lambda events on stdin"

msgs=$(rdsctl sqs receive-message --queue-url "$QURL" --max-number-of-messages 10)
is "$(jqs "$msgs" '.Messages | length')" "$NFAIL" "sqs: $NFAIL messages in the queue"
is "$(jqs "$msgs" '[.Messages[].Body | fromjson | .MessageId] | sort | join("\n")')" "$http_ids" \
  "sqs: the same MessageIds"
is "$(rdsctl sqs receive-message --queue-url "$QURL" | nmsgs)" 0 \
  "sqs: received messages are invisible for the visibility timeout"
for h in $(jqs "$msgs" '.Messages[].ReceiptHandle'); do
  rdsctl sqs delete-message --queue-url "$QURL" --receipt-handle "$h" || T_DEL_FAIL=1
done
ok "${T_DEL_FAIL:-0}" "sqs: delete-message of each"
is "$(code_of rdsctl sqs delete-message --queue-url "$QURL" --receipt-handle bogus)" \
  ReceiptHandleIsInvalid "sqs: a bad receipt handle"
is "$(deliveries --state delivered | jq '[.Deliveries[] | select(.EventSubscription == "maz-failover")] | length')" \
  $((NFAIL * 5)) "list-deliveries: every (event, subscriber) delivered"
is "$(deliveries | jq '[.Deliveries[] | select(.EventSubscription == "off")] | length')" 0 \
  "nothing through the disabled subscription"

# ---- a receiver that is down gets the message when it is back ------------------------

receiver_down
mid=$(awsx sns publish --topic-arn "$TOPIC" --subject down --message "while-down" | jq -r .MessageId)
like "$mid" '^[0-9a-f-]{36}$' "aws sns publish while the receiver is down"
poll 20 attempted "$mid" http
ok $? "the http delivery failed at least once"
is "$(delivery_state "$mid" http)" pending "... and stays pending"
like "$(deliveries --subscription-arn "$HTTP_SUB" | jq -r --arg m "$mid" '.Deliveries[] | select(.MessageId == $m) | .LastError')" \
  'refused|no answer|status' "... with the reason"
receiver_up "$RECV_PORT"
ok $? "the receiver is back on port $RECV_PORT"
poll 60 received_is while-down 1
ok $? "the message arrived after the receiver came back"
poll 10 state_is "$mid" http delivered
ok $? "the delivery is delivered"

# ---- kill -9 of the controlplane with a pending delivery ------------------------------

receiver_down
mid=$(rdsctl sns publish --topic-arn "$TOPIC" --message "across-a-crash" | jq -r .MessageId)
ok $? "publish while the receiver is down"
cp=$(cp_pid)
kill -KILL "$cp" && poll 10 gone "$cp"
ok $? "kill -9 the controlplane"
receiver_up "$RECV_PORT"
region_restart
ok $? "region up again"
poll 60 received_is across-a-crash 1
ok $? "the pending delivery resumed after the restart"
poll 10 state_is "$mid" http delivered
ok $? "... and is recorded delivered"
is "$(state_is "$mid" sqs delivered && echo yes)" yes "the sqs delivery of that message too"
is "$(rdsctl sqs receive-message --queue-url "$QURL" --max-number-of-messages 10 |
  jq '[.Messages[] | select(.Body | contains("across-a-crash"))] | length')" 1 \
  "one copy in the queue"

# ---- https (TLS, a self-signed certificate: rdsim does not verify) ----------------------

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -keyout "$RDS_HOME/tls.key" -out "$RDS_HOME/tls.crt" >/dev/null 2>&1
ok $? "a self-signed certificate"
python3 "$ROOT/tests/integration/sns_receiver.py" --port-file "$RDS_HOME/tls.port" \
  --out "$RDS_HOME/tls.jsonl" --cert "$RDS_HOME/tls.crt" --key "$RDS_HOME/tls.key" >/dev/null 2>&1 &
TLS_PID=$!
poll 60 test -s "$RDS_HOME/tls.port"
ok $? "an HTTPS receiver listens"
TT=$(rdsctl sns create-topic --name tls | jq -r .TopicArn)
awsx sns subscribe --topic-arn "$TT" --protocol https \
  --notification-endpoint "https://127.0.0.1:$(cat "$RDS_HOME/tls.port")/hook" >/dev/null
ok $? "aws sns subscribe --protocol https"
awsx sns publish --topic-arn "$TT" --message over-tls >/dev/null
poll 30 grep -q over-tls "$RDS_HOME/tls.jsonl"
ok $? "the https receiver got the envelope"
kill "$TLS_PID" 2>/dev/null

# ---- a subscriber that keeps failing ends as a dead-letter record ------------------

BT=$(rdsctl sns create-topic --name broken | jq -r .TopicArn)
printf '#!/bin/sh\ncat >/dev/null\nexit 3\n' >"$CP_HOME/lambda/refuse"
chmod +x "$CP_HOME/lambda/refuse"
rdsctl sns subscribe --topic-arn "$BT" --protocol lambda \
  --notification-endpoint "arn:aws:lambda:us-east-1:$ACCT:function:refuse" >/dev/null
mid=$(rdsctl sns publish --topic-arn "$BT" --message doomed | jq -r .MessageId)
poll 90 state_is "$mid" lambda dead
ok $? "a lambda that always fails: the delivery ends dead"
is "$(delivery_attempts "$mid" lambda)" 8 "... after 8 attempts"
like "$(deliveries --state dead | jq -r --arg m "$mid" '.Deliveries[] | select(.MessageId == $m) | .LastError')" \
  'status 3' "... with the command's exit status as the last error"

# ---- the real aws CLI ----------------------------------------------------------------

is "$(awsx sns list-topics | jq -r '.Topics[].TopicArn' | sort | paste -sd ' ')" "$BT $TOPIC $TT" \
  "aws sns list-topics"
is "$(awsx sns list-subscriptions-by-topic --topic-arn "$TOPIC" | jq '.Subscriptions | length')" 5 \
  "aws sns list-subscriptions-by-topic"
is "$(awsx sns get-topic-attributes --topic-arn "$TOPIC" | jq -r .Attributes.SubscriptionsConfirmed)" 5 \
  "aws sns get-topic-attributes"
is "$(code_of awsx sns publish --topic-arn "arn:aws:sns:us-east-1:$ACCT:nope" --message x)" NotFound \
  "aws sns publish to no topic: NotFound"
is "$(code_of awsx sns subscribe --topic-arn "$TOPIC" --protocol https --notification-endpoint http://x)" \
  InvalidParameter "an https subscription to an http URL: InvalidParameter"
is "$(code_of awsx sns subscribe --topic-arn "$TOPIC" --protocol pigeon --notification-endpoint x)" \
  InvalidParameter "an unknown protocol: InvalidParameter"
awsx sqs create-queue --queue-name cli-q >/dev/null
ok $? "aws sqs create-queue"
CQ=$(awsx sqs get-queue-url --queue-name cli-q | jq -r .QueueUrl)
is "$CQ" "http://127.0.0.1/$ACCT/cli-q" "aws sqs get-queue-url"
awsx sqs send-message --queue-url "$CQ" --message-body hello >/dev/null
ok $? "aws sqs send-message"
r1=$(awsx sqs receive-message --queue-url "$CQ" --visibility-timeout 2)
is "$(jqs "$r1" '.Messages[0].Body')" hello "aws sqs receive-message (visibility timeout 2 s)"
poll 20 sh -c "aws --endpoint-url '$RDSCTL_ENDPOINT' sqs receive-message --queue-url '$CQ' --visibility-timeout 60 --attribute-names All > '$RDS_HOME/r2.json' && grep -q ReceiptHandle '$RDS_HOME/r2.json'"
ok $? "visible again after the timeout"
is "$(jq -r '.Messages[0].Attributes.ApproximateReceiveCount' "$RDS_HOME/r2.json")" 2 "ApproximateReceiveCount 2"
is "$(awsx sqs receive-message --queue-url "$CQ" | nmsgs)" 0 "hidden for the 60 s of the second receive"
awsx sqs delete-message --queue-url "$CQ" --receipt-handle "$(jq -r '.Messages[0].ReceiptHandle' "$RDS_HOME/r2.json")"
ok $? "aws sqs delete-message"
is "$(code_of awsx sqs get-queue-url --queue-name ghost)" AWS.SimpleQueueService.NonExistentQueue \
  "aws sqs get-queue-url of no queue"

rdsctl delete-event-subscription --subscription-name off >/dev/null
ok $? "delete-event-subscription"
awsx sns delete-topic --topic-arn "$TOPIC"
ok $? "aws sns delete-topic"
is "$(rdsctl describe-event-subscriptions --subscription-name maz-failover | jq -r '.EventSubscriptionsList[0].Status')" \
  topic-not-exist "a subscription whose topic is gone says topic-not-exist"

receiver_down
done_testing
