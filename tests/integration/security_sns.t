#!/usr/bin/env bash
# SNS as a weapon (issue 13, hole 4), each attack as a tenant would make it
# with only an SNS subscription and the right to send requests, now refused,
# with the region serving throughout and an instance's row still there:
#  1. a subscriber that answers 1.5 GB (streamed, never allocated), one that
#     answers forever without a length, one that trickles its headers: the
#     controlplane's RSS stays bounded, /healthz and the API answer, the
#     delivery fails and is retried as SNS does;
#  2. SSRF: Subscribe to the region's own API or DNS port is InvalidParameter;
#     a name that resolves to the region is refused at delivery; a message
#     crafted as a CreateDBParameterGroup Query body, forwarded by a SigV4
#     signing proxy, creates nothing (the API reads a POST's parameters only
#     from a form-encoded body), while the aws CLI, boto3 and rdsctl work;
#  3. amplification: AWS's quotas (subscriptions per topic, topics per account,
#     RDS's 20 event subscriptions) with AWS's errors; a message stored once
#     per publish; finished deliveries, old events and SQS messages past SQS's
#     retention pruned on the region clock;
#  4. a name server that never answers: lookups do not stall the API.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

export RDS_DELIVERY_RETRY_MS=150
DNS_PORT_FILE=$(mktemp -u /tmp/rdsim-snsdns.XXXXXX)
python3 "$ROOT/tests/integration/sns_dns.py" --port-file "$DNS_PORT_FILE" >/dev/null 2>&1 &
DNS_PID=$!
HOSTILE_PIDS=
stop_helpers() {
  local p
  for p in $DNS_PID $HOSTILE_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -f "$DNS_PORT_FILE"
}
trap 'stop_helpers; cleanup' EXIT
poll 60 test -s "$DNS_PORT_FILE" || bail "the test name server did not start"
MAX_SUBS=5
MAX_TOPICS=12
export RDS_CP_ARGS="--sns-dns-servers 127.0.0.1:$(cat "$DNS_PORT_FILE") \
--sns-max-subscriptions-per-topic $MAX_SUBS --sns-max-topics $MAX_TOPICS"
region_up || bail "the region did not start"
ok 0 "region up (SNS names resolved by a test name server)"

ACCT=123456789012
CP_DB=$RDS_HOME/controlplane/controlplane.db
awsx() { aws --endpoint-url "$RDSCTL_ENDPOINT" "$@"; }
code_of() { "$@" 2>&1 >/dev/null | sed -n 's/.*An error occurred (\([^)]*\)).*/\1/p'; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$(cp_pid)/status"; }
healthz() { curl -s -m 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RDS_API_PORT/healthz"; }
api_ok() { rdsctl describe-db-instances >/dev/null 2>&1; }
db() { sqlite3 -readonly "$CP_DB" "$1"; }

# hostile MODE [--to URL]: starts sns_hostile.py; sets H_PORT and H_LOG.
hostile() {
  local mode=$1; shift
  H_LOG=$RDS_HOME/hostile-$mode.log
  rm -f "$RDS_HOME/hostile-$mode.port"
  python3 "$ROOT/tests/integration/sns_hostile.py" --mode "$mode" \
    --port-file "$RDS_HOME/hostile-$mode.port" --log "$H_LOG" "$@" >/dev/null 2>&1 &
  HOSTILE_PIDS="$HOSTILE_PIDS $!"
  poll 60 test -s "$RDS_HOME/hostile-$mode.port" || return 1
  H_PORT=$(cat "$RDS_HOME/hostile-$mode.port")
}

topic() { rdsctl sns create-topic --name "$1" | jq -r .TopicArn; }
sub() { rdsctl sns subscribe --topic-arn "$1" --protocol "$2" --notification-endpoint "$3" | jq -r .SubscriptionArn; }
# The delivery row of subscription ARN: "STATE ATTEMPTS LAST-ERROR".
row_of() {
  rdsctl sns list-deliveries --max-items 1000 --subscription-arn "$1" |
    jq -r '.Deliveries[0] | "\(.State) \(.Attempts) \(.LastError // "")"'
}
failed_once() { [ "$(row_of "$1" | cut -d' ' -f2)" -ge 1 ] 2>/dev/null; }

# ---- an instance and a row written before ---------------------------------------

create_instance v1 >/dev/null
ok $? "create v1"
check "v1 available" poll 240 status_is v1 available
check "a row written before the attacks" sql v1 "CREATE TABLE keep(v text); INSERT INTO keep VALUES ('before')"

# ---- 1. replies that never end -----------------------------------------------------

RSS0=$(rss_kb)
for mode in big endless; do
  hostile "$mode" || bail "no $mode responder"
  T=$(topic "reply-$mode")
  S=$(sub "$T" http "http://127.0.0.1:$H_PORT/")
  rdsctl sns publish --topic-arn "$T" --message "hello $mode" >/dev/null
  max=0 hz_bad=0 api_bad=0
  # Sample while the responder streams and the delivery fails and is retried.
  for _ in $(seq 1 40); do
    r=$(rss_kb); [ "$r" -gt "$max" ] && max=$r
    [ "$(healthz)" = 200 ] || hz_bad=$((hz_bad + 1))
    api_ok || api_bad=$((api_bad + 1))
    failed_once "$S" && [ "$(grep -c "^$mode [0-9]" "$H_LOG" 2>/dev/null)" -ge 2 ] && break
  done
  diag "$mode: controlplane RSS before ${RSS0} kB, max during ${max} kB; responder: $(grep "^$mode [0-9]" "$H_LOG" | head -2 | tr '\n' ' ')"
  ok $((max < RSS0 + 100000 ? 0 : 1)) "$mode reply: controlplane RSS stays bounded (max ${max} kB, under +100 MB)"
  is "$hz_bad/$api_bad" "0/0" "$mode reply: /healthz and DescribeDBInstances answered throughout"
  check "$mode reply: the delivery failed and is retried" poll 30 failed_once "$S"
  like "$(row_of "$S")" '^(pending|dead) [0-9]+ no answer' "$mode reply: its row says why"
  sent=$(grep "^$mode [0-9]" "$H_LOG" | head -1 | cut -d' ' -f2)
  ok $((${sent:-0} < 64 * 1024 * 1024 ? 0 : 1)) "$mode reply: reading stopped early (${sent:-?} bytes sent by the responder)"
done

hostile slow || bail "no slow responder"
T=$(topic reply-slow)
S=$(sub "$T" http "http://127.0.0.1:$H_PORT/")
rdsctl sns publish --topic-arn "$T" --message "hello slow" >/dev/null
check "trickled headers: the attempt fails on the 15 s total deadline" poll 40 failed_once "$S"
like "$(row_of "$S")" 'no answer' "trickled headers: its row says why"
is "$(healthz)" 200 "trickled headers: /healthz answers"

# ---- 2. SSRF ------------------------------------------------------------------------------

T=$(topic ssrf)
for ep in "http://127.0.0.1:$RDS_API_PORT/" "http://localhost:$RDS_API_PORT/" \
          "https://127.0.0.1:$RDS_API_PORT/" "http://[::1]:$RDS_API_PORT/" \
          "http://127.0.0.1:$RDS_DNS_PORT/" "http://0.0.0.0:$RDS_API_PORT/"; do
  is "$(code_of rdsctl sns subscribe --topic-arn "$T" --protocol "${ep%%:*}" --notification-endpoint "$ep")" \
    InvalidParameter "Subscribe to the region's own listener $ep: InvalidParameter"
done
is "$(rdsctl sns list-subscriptions-by-topic --topic-arn "$T" | jq '.Subscriptions | length')" 0 \
  "none of them was stored"

# A name only a name server knows, pointing at the region's API.
S=$(sub "$T" http "http://region.attacker.test:$RDS_API_PORT/")
like "$S" '^arn:aws:sns' "a name Subscribe cannot see through is accepted"
rdsctl sns publish --topic-arn "$T" --message "hello" >/dev/null
check "...and its delivery is refused once resolved to the region" poll 30 failed_once "$S"
like "$(row_of "$S")" "own listener" "...its row says why"
rdsctl sns unsubscribe --subscription-arn "$S" >/dev/null

# A signing proxy (a confused deputy) that forwards what it gets to the API.
hostile forward --to "http://127.0.0.1:$RDS_API_PORT/" || bail "no forwarder"
S=$(sub "$T" http "http://127.0.0.1:$H_PORT/")
# The Subject's "=" makes the envelope's first '&'-separated piece a NAME=VALUE pair.
CRAFTED='&Action=CreateDBParameterGroup&Version=2014-10-31&DBParameterGroupName=pwned&DBParameterGroupFamily=postgres15&Description=ssrf&x='
rdsctl sns publish --topic-arn "$T" --subject '=' --message "$CRAFTED" >/dev/null
check "the forwarder got the delivery and passed it on" poll 30 grep -q '^forward ' "$H_LOG"
like "$(grep '^forward ' "$H_LOG" | head -1)" '^forward 400 .*MissingAction' \
  "the API refused the forwarded delivery: MissingAction (a text/plain body is no Query)"
is "$(rdsctl describe-db-parameter-groups | jq -r '[.DBParameterGroups[].DBParameterGroupName | select(. == "pwned")] | length')" 0 \
  "no parameter group was created"

CLIENT="python3 $ROOT/tests/integration/sigv4_client.py"
is "$($CLIENT --header 'Content-Type:text/plain; charset=UTF-8' "$API" "${CRAFTED#&}")" "400 MissingAction" \
  "a signed text/plain POST of a Query body: MissingAction"
is "$($CLIENT "$API" 'Action=DescribeDBParameterGroups&Version=2014-10-31')" "200 -" \
  "the same client with a form-encoded body: 200"
check "aws rds (CLI) works" awsx rds describe-db-instances
check "aws sns (CLI) works" awsx sns list-topics
check "aws sqs (CLI, JSON protocol) works" awsx sqs list-queues
check "boto3 rds, sns and sqs work" python3 -c "
import boto3
kw = dict(endpoint_url='$RDSCTL_ENDPOINT')
boto3.client('rds', **kw).describe_db_parameter_groups()
boto3.client('sns', **kw).list_topics()
boto3.client('sqs', **kw).list_queues()"

# ---- 3. amplification -------------------------------------------------------------------------

T=$(topic fan)
for i in $(seq 1 $MAX_SUBS); do
  sub "$T" firehose "arn:aws:firehose:us-east-1:$ACCT:deliverystream/fan$i" >/dev/null
done
is "$(rdsctl sns list-subscriptions-by-topic --topic-arn "$T" | jq '.Subscriptions | length')" $MAX_SUBS \
  "$MAX_SUBS subscriptions on one topic"
is "$(code_of rdsctl sns subscribe --topic-arn "$T" --protocol firehose --notification-endpoint "arn:aws:firehose:us-east-1:$ACCT:deliverystream/fan99")" \
  SubscriptionLimitExceeded "one more: SubscriptionLimitExceeded"
n=$(rdsctl sns list-topics | jq '.Topics | length')
while [ "$n" -lt $MAX_TOPICS ]; do topic "filler$n" >/dev/null; n=$((n + 1)); done
is "$(code_of rdsctl sns create-topic --name one-too-many)" TopicLimitExceeded \
  "topic $((MAX_TOPICS + 1)): TopicLimitExceeded"
check "an existing topic's name still gives its ARN" rdsctl sns create-topic --name fan
for t in $(rdsctl sns list-topics | jq -r '.Topics[].TopicArn | select(test(":filler"))'); do
  rdsctl sns delete-topic --topic-arn "$t" >/dev/null
done
check "with the fillers deleted, a topic can be created again" rdsctl sns create-topic --name after-fillers
for i in $(seq 1 20); do
  rdsctl create-event-subscription --subscription-name "es$i" --sns-topic-arn "$T" >/dev/null || break
done
is "$(rdsctl describe-event-subscriptions | jq '.EventSubscriptionsList | length')" 20 "20 RDS event subscriptions"
is "$(code_of rdsctl create-event-subscription --subscription-name es21 --sns-topic-arn "$T")" \
  EventSubscriptionQuotaExceeded "the 21st: EventSubscriptionQuotaExceeded"
for i in $(seq 1 20); do rdsctl delete-event-subscription --subscription-name "es$i" >/dev/null; done

# Two 256 KiB publishes of control characters (6 bytes each once escaped).
python3 -c 'import sys; sys.stdout.write("\x01" * 262144)' >"$RDS_HOME/big-msg"
for _ in 1 2; do awsx sns publish --topic-arn "$T" --message "file://$RDS_HOME/big-msg" >/dev/null; done
fan_done() {
  [ "$(rdsctl sns list-deliveries --max-items 1000 --topic-arn "$T" --state delivered | jq '.Deliveries | length')" = $((2 * MAX_SUBS)) ]
}
check "the fan-out is delivered" poll 60 fan_done
is "$(db "SELECT count(*) FROM sns_messages WHERE topic_arn='$T'")" 2 "each message is stored once"
is "$(db "SELECT coalesce(sum(length(body)), 0) FROM deliveries WHERE topic_arn='$T'")" 0 \
  "the delivery rows carry no copy of it"
diag "firehose files: $(du -sk "$RDS_HOME/controlplane/firehose" | cut -f1) kB for $MAX_SUBS subscribers x 2 messages; store $(du -sk "$CP_DB" | cut -f1) kB"

QURL=$(rdsctl sqs create-queue --queue-name keep4d | jq -r .QueueUrl)
rdsctl sqs send-message --queue-url "$QURL" --message-body "kept four days" >/dev/null
queued() { db "SELECT count(*) FROM sqs_messages WHERE queue='keep4d'"; }
is "$(queued)" 1 "an SQS message is queued"

check "a day later (region clock)" rdsctl clock advance 25h
fan_pruned() {
  [ "$(rdsctl sns list-deliveries --max-items 1000 --topic-arn "$T" | jq '.Deliveries | length')" = 0 ] &&
    [ "$(db "SELECT count(*) FROM sns_messages WHERE topic_arn='$T'")" = 0 ]
}
check "finished deliveries and their messages are pruned" poll 30 fan_pruned
is "$(queued)" 1 "the SQS message is still there (SQS keeps 4 days)"
created_events() { db "SELECT count(*) FROM events WHERE source_id='v1' AND event_id='RDS-EVENT-0005'"; }
is "$(created_events)" 1 "v1's creation event is there"
check "two weeks later (region clock)" rdsctl clock advance 14d
creation_pruned() { [ "$(created_events)" = 0 ]; }
check "events older than 14 days are pruned (v1's creation)" poll 30 creation_pruned
sqs_pruned() { [ "$(queued)" = 0 ]; }
check "the SQS message is gone after its retention" poll 30 sqs_pruned
is "$(rdsctl describe-events --source-type db-instance --source-identifier v1 --duration 20160 | jq '[.Events[] | select(.EventId == "RDS-EVENT-0005")] | length')" 0 \
  "DescribeEvents shows none of them"

# ---- 4. a name server that never answers -------------------------------------------------------

T=$(topic blackhole)
SUBS=()
for i in $(seq 1 $MAX_SUBS); do
  SUBS+=("$(sub "$T" http "http://blackhole.n$i.attacker.test:8080/")")
done
rdsctl sns publish --topic-arn "$T" --message "into the void" >/dev/null
slow=0 worst=0
for _ in $(seq 1 20); do
  t0=$(now_s)
  [ "$(healthz)" = 200 ] || slow=$((slow + 1))
  api_ok || slow=$((slow + 1))
  worst=$(awk -v w="$worst" -v e="$(elapsed "$t0" "$(now_s)")" 'BEGIN { print (e > w ? e : w) }')
done
diag "slowest /healthz + DescribeDBInstances pair while the lookups hang: ${worst} s"
is "$slow" 0 "20 /healthz and 20 DescribeDBInstances answered (within 3 s each) while the lookups hang"
check "the lookups time out and the deliveries are retried" poll 30 failed_once "${SUBS[0]}"
like "$(row_of "${SUBS[0]}")" 'cannot resolve' "...its row says why"

# ---- afterwards ------------------------------------------------------------------------------------

is "$(healthz)" 200 "the region answers /healthz"
is "$(status_of v1)" available "v1 is available"
is "$(sql v1 "SELECT v FROM keep")" before "the row written before is still there"

done_testing
