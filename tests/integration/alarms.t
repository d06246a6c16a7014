#!/usr/bin/env bash
# Issue 16, item 2: CloudWatch alarms with the stock aws CLI. An alarm on
# a custom metric (PutMetricData) fires at once to an SQS queue subscribed
# to an SNS topic with CloudWatch's Subject and Message, returns to OK on
# the region clock, SetAlarmState, Disable/EnableAlarmActions, the
# history and its paging, DescribeAlarms' filters, DeleteAlarms, the
# refusals, a hostile name through JSON, Query and CBOR; then an alarm on
# an instance's FreeStorageSpace (a 1 MiB storage unit, a table filling
# it) that fires when the table grows and returns to OK when the storage
# is raised (modify-db-instance --allocated-storage).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v aws >/dev/null; then
  echo "1..0 # SKIP the aws CLI is not installed"
  exit 0
fi
export AWS_PAGER=

RDS_CP_ARGS="--storage-unit-mib 1" region_up || bail "the region did not start"
ok 0 "region up with a 1 MiB storage unit"

A() { aws --endpoint-url "$API" --output json "$@"; }
cw() { A cloudwatch "$@"; }
# code_of CMD...: the AWS error code of a failed call.
code_of() { "$@" 2>&1 | sed -nE 's/.*An error occurred \(([^)]*)\).*/\1/p' | head -1; }
iso() { date -u -d "@$1" +%FT%TZ; }
rnow() { rdsctl clock show | jq -r '.Now // .RegionTime // empty' | xargs -I{} date -u -d {} +%s; }

# The instance is created while the API-only checks run.
ID=al1
create_instance "$ID" --allocated-storage 400 --backup-retention-period 0 >"$T_OUT.create" 2>&1 &
CREATE=$!

# ---- the topic and the queue that receives its notifications ---------------
TOPIC=$(A sns create-topic --name alarms | jq -r .TopicArn)
ACCT=$(cut -d: -f5 <<<"$TOPIC")
# Messages read stay invisible (12 h): each is read once, none deleted.
QURL=$(A sqs create-queue --queue-name alarmq --attributes VisibilityTimeout=43200 | jq -r .QueueUrl)
A sns subscribe --topic-arn "$TOPIC" --protocol sqs \
  --notification-endpoint "arn:aws:sqs:$RDS_REGION:$ACCT:alarmq" >/dev/null
ok $? "an SQS queue subscribed to topic alarms"
MSGS=$T_OUT.msgs
: >"$MSGS"
# drain: appends what the queue holds to $MSGS (one SNS envelope a line).
drain() {
  local out
  out=$(A sqs receive-message --queue-url "$QURL" --max-number-of-messages 10) || return 1
  jq -c '.Messages // [] | .[].Body | fromjson' <<<"$out" >>"$MSGS"
}
# got FILTER: an envelope whose decoded Message matches the jq FILTER.
got() { drain; jq -e -s "[.[] | (.Message | fromjson) as \$m | select($1)] | length > 0" "$MSGS" >/dev/null; }
# env FILTER: that envelope (the first), with Message decoded.
env_of() { jq -c -s "[.[] | .Message |= fromjson | .Message as \$m | select($1)][0]" "$MSGS"; }
state_of() { cw describe-alarms --alarm-names "$1" | jq -r '.MetricAlarms[0].StateValue'; }

# ---- an alarm on a custom metric fires at once -------------------------------
NOW=$(rnow)
[ -n "$NOW" ] || NOW=$(date +%s)
cw put-metric-data --namespace App/Queue --metric-data \
  "[{\"MetricName\":\"Depth\",\"Dimensions\":[{\"Name\":\"Q\",\"Value\":\"orders\"}],\"Timestamp\":$((NOW - 60)),\"Value\":100},
    {\"MetricName\":\"Depth\",\"Dimensions\":[{\"Name\":\"Q\",\"Value\":\"orders\"}],\"Timestamp\":$((NOW - 120)),\"Value\":100}]"
ok $? "PutMetricData: Depth 100 in the last two minutes"
check "PutMetricAlarm q-high (Maximum > 50, 1 of 2, notBreaching, alarm and OK actions)" \
  cw put-metric-alarm --alarm-name q-high --alarm-description "queue depth" \
  --namespace App/Queue --metric-name Depth --dimensions Name=Q,Value=orders \
  --statistic Maximum --period 60 --evaluation-periods 2 --datapoints-to-alarm 1 \
  --threshold 50 --comparison-operator GreaterThanThreshold --treat-missing-data notBreaching \
  --alarm-actions "$TOPIC" --ok-actions "$TOPIC" --tags Key=team,Value=db
a=$(cw describe-alarms --alarm-names q-high | jq -c '.MetricAlarms[0]')
is "$(jqs "$a" .StateValue)" ALARM "evaluated at once: ALARM"
like "$(jqs "$a" .StateReason)" \
  '^Threshold Crossed: [12] out of the last [12] datapoints \[100\.0 \([0-9]{2}/[0-9]{2}/[0-9]{2} [0-9:]{8}\).*\] (was|were) greater than the threshold \(50\.0\).*\(minimum 1 datapoint for INSUFFICIENT_DATA -> ALARM transition\)\.$' \
  "StateReason as CloudWatch writes it"
is "$(jqs "$a" '.StateReasonData | fromjson | [.version, .statistic, .period, .threshold] | @csv')" \
  '"1.0","Maximum",60,50' "StateReasonData: statistic, period, threshold"
is "$(jqs "$a" '[.AlarmArn, .ActionsEnabled, .EvaluationPeriods, .DatapointsToAlarm, .TreatMissingData, .Dimensions[0].Value] | @csv')" \
  "\"arn:aws:cloudwatch:$RDS_REGION:$ACCT:alarm:q-high\",true,2,1,\"notBreaching\",\"orders\"" \
  "DescribeAlarms: ARN, ActionsEnabled, periods, TreatMissingData, dimensions"
poll 20 got '$m.AlarmName == "q-high" and $m.NewStateValue == "ALARM"'
ok $? "the ALARM notification reaches the SQS queue through SNS"
e=$(env_of '$m.AlarmName == "q-high" and $m.NewStateValue == "ALARM"')
like "$(jqs "$e" .Subject)" '^ALARM: "q-high" in .+$' "Subject: ALARM: \"q-high\" in <Region>"
is "$(jqs "$e" '.Message | [.AlarmName, .AlarmDescription, .AWSAccountId, .OldStateValue, .AlarmArn] | @csv')" \
  "\"q-high\",\"queue depth\",\"$ACCT\",\"INSUFFICIENT_DATA\",\"arn:aws:cloudwatch:$RDS_REGION:$ACCT:alarm:q-high\"" \
  "Message: AlarmName, AlarmDescription, AWSAccountId, OldStateValue, AlarmArn"
like "$(jqs "$e" .Message.StateChangeTime)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}\+0000$' \
  "StateChangeTime as CloudWatch writes it"
like "$(jqs "$e" .Message.NewStateReason)" '^Threshold Crossed: ' "NewStateReason"
is "$(jqs "$e" '.Message.Trigger | [.MetricName, .Namespace, .StatisticType, .Statistic, .Period, .EvaluationPeriods, .ComparisonOperator, .Threshold, (.Dimensions[0] | tojson)] | @csv')" \
  '"Depth","App/Queue","Statistic","MAXIMUM",60,2,"GreaterThanThreshold",50,"{""value"":""orders"",""name"":""Q""}"' \
  "Trigger: metric, statistic in capitals, period, operator, threshold, lower-case dimension keys"
like "$(jqs "$e" .Message.Trigger.TreatMissingData)" "^- TreatMissingData: +notBreaching$" \
  "Trigger.TreatMissingData as CloudWatch writes it"

# ---- back to OK on the region clock ------------------------------------------
rdsctl clock advance 3m >/dev/null
NOW=$(rnow)
cw put-metric-data --namespace App/Queue --metric-name Depth --dimensions Q=orders \
  --timestamp "$((NOW - 60))" --value 5
poll 30 got '$m.AlarmName == "q-high" and $m.NewStateValue == "OK"'
ok $? "three minutes later (region clock) the alarm returns to OK and says so"
e=$(env_of '$m.AlarmName == "q-high" and $m.NewStateValue == "OK"')
like "$(jqs "$e" .Subject)" '^OK: "q-high" in ' "Subject: OK: ..."
is "$(jqs "$e" .Message.OldStateValue)" ALARM "OldStateValue ALARM"

# ---- SetAlarmState, actions off and on ---------------------------------------
check "SetAlarmState ALARM" cw set-alarm-state --alarm-name q-high --state-value ALARM \
  --state-reason "manual test" --state-reason-data '{"why":"test"}'
poll 20 got '$m.NewStateReason == "manual test"'
ok $? "SetAlarmState's transition runs the alarm actions"
nact() { cw describe-alarm-history --alarm-name q-high --history-item-type Action | jq '.AlarmHistoryItems | length'; }
# The data keep the alarm OK from here on (the minute's evaluation never
# says ALARM): a SetAlarmState to OK first, then ALARM, is a transition
# whatever the evaluation did in between.
check "DisableAlarmActions" cw disable-alarm-actions --alarm-names q-high nope
is "$(cw describe-alarms --alarm-names q-high | jq .MetricAlarms[0].ActionsEnabled)" false "ActionsEnabled false"
n0=$(nact)
cw set-alarm-state --alarm-name q-high --state-value OK --state-reason reset >/dev/null
check "SetAlarmState ALARM with actions disabled" cw set-alarm-state --alarm-name q-high --state-value ALARM \
  --state-reason silent
silent() { cw describe-alarm-history --alarm-name q-high --history-item-type StateUpdate |
  jq -e '[.AlarmHistoryItems[] | select(.HistoryData | fromjson | .newState.stateReason == "silent")] | length == 1'; }
check "... recorded as a StateUpdate" silent
is "$(nact)" "$n0" "... and no action ran"
check "EnableAlarmActions" cw enable-alarm-actions --alarm-names q-high
cw set-alarm-state --alarm-name q-high --state-value OK --state-reason reset >/dev/null
cw set-alarm-state --alarm-name q-high --state-value ALARM --state-reason loud
poll 20 got '$m.NewStateReason == "loud"'
ok $? "actions enabled again: the next transition notifies"
drain
is "$(jq -s '[.[] | .Message | fromjson | select(.NewStateReason == "silent")] | length' "$MSGS")" 0 \
  "nothing was sent for the silent transition"

# ---- history -----------------------------------------------------------------
h=$(cw describe-alarm-history --alarm-name q-high --scan-by TimestampAscending)
is "$(jqs "$h" '.AlarmHistoryItems[0] | [.HistoryItemType, .HistorySummary, .AlarmType] | @csv')" \
  '"ConfigurationUpdate","Alarm ""q-high"" created","MetricAlarm"' "history: the creation first (ascending)"
check "history: StateUpdate INSUFFICIENT_DATA -> ALARM" jq -e \
  '[.AlarmHistoryItems[] | select(.HistorySummary == "Alarm updated from INSUFFICIENT_DATA to ALARM")] | length == 1' <<<"$h"
check "history: the action with its topic and MessageId" jq -e --arg t "$TOPIC" \
  '[.AlarmHistoryItems[] | select(.HistorySummary == "Successfully executed action " + $t) | .HistoryData | fromjson | .publishedMessage.messageId | length > 0] | all and length >= 3' <<<"$h"
p1=$(cw describe-alarm-history --alarm-name q-high --max-records 2 --no-paginate)
tok=$(jqs "$p1" .NextToken)
p2=$(cw describe-alarm-history --alarm-name q-high --max-records 2 --next-token "$tok" --no-paginate)
is "$(jq -rn --argjson a "$p1" --argjson b "$p2" '[$a.AlarmHistoryItems | length, ($b.AlarmHistoryItems | length), ($a.AlarmHistoryItems[1].Timestamp >= $b.AlarmHistoryItems[0].Timestamp)] | @csv')" \
  "2,2,true" "history paging: MaxRecords 2 and NextToken, newest first"
is "$(cw describe-alarm-history --alarm-name q-high --end-date "$(iso $((NOW - 86400)))" | jq '.AlarmHistoryItems | length')" 0 \
  "history: EndDate before the alarm existed gives nothing"

# ---- DescribeAlarms filters, DescribeAlarmsForMetric -------------------------
check "a second alarm without actions (LessThanOrEqualToThreshold, missing)" \
  cw put-metric-alarm --alarm-name other --namespace App/Queue --metric-name Lag \
  --statistic Average --period 300 --evaluation-periods 1 --threshold 1 \
  --comparison-operator LessThanOrEqualToThreshold
is "$(state_of other)" INSUFFICIENT_DATA "no data: INSUFFICIENT_DATA"
like "$(cw describe-alarms --alarm-names other | jq -r .MetricAlarms[0].StateReason)" \
  '^(Unchecked: Initial alarm creation|Insufficient Data: 1 datapoint was unknown\.)$' "its StateReason"
is "$(cw describe-alarms --alarm-name-prefix q- | jq -c '[.MetricAlarms[].AlarmName]')" '["q-high"]' "AlarmNamePrefix"
is "$(cw describe-alarms --state-value INSUFFICIENT_DATA | jq -c '[.MetricAlarms[].AlarmName]')" '["other"]' "StateValue"
is "$(cw describe-alarms --action-prefix "arn:aws:sns:$RDS_REGION" | jq -c '[.MetricAlarms[].AlarmName]')" '["q-high"]' "ActionPrefix"
p=$(cw describe-alarms --max-records 1 --no-paginate)
is "$(jq -c '[.MetricAlarms[].AlarmName, (.NextToken != null)]' <<<"$p")" '["other",true]' "MaxRecords 1: a page and a NextToken"
is "$(cw describe-alarms --max-records 1 --next-token "$(jqs "$p" .NextToken)" --no-paginate | jq -c '[.MetricAlarms[].AlarmName]')" \
  '["q-high"]' "... the NextToken gives the next"
is "$(cw describe-alarms-for-metric --namespace App/Queue --metric-name Depth --dimensions Name=Q,Value=orders | jq -c '[.MetricAlarms[].AlarmName]')" \
  '["q-high"]' "DescribeAlarmsForMetric"

# ---- refusals ----------------------------------------------------------------
base=(--namespace App/Queue --metric-name Depth --statistic Maximum --period 60 --evaluation-periods 1)
is "$(code_of cw put-metric-alarm --alarm-name b1 "${base[@]}" --threshold 1 \
  --comparison-operator LessThanLowerOrGreaterThanUpperThreshold)" InvalidParameterValue "a band operator is refused"
is "$(code_of cw put-metric-alarm --alarm-name b2 --evaluation-periods 1 --threshold 1 \
  --comparison-operator GreaterThanThreshold \
  --metrics '[{"Id":"m1","MetricStat":{"Metric":{"Namespace":"App/Queue","MetricName":"Depth"},"Period":60,"Stat":"Sum"}}]')" \
  InvalidParameterValue "metric math (Metrics) is refused"
like "$(cw put-metric-alarm --alarm-name b3 "${base[@]}" --threshold 1 --comparison-operator GreaterThanThreshold \
  --alarm-actions "arn:aws:sns:xx-west-9:$ACCT:alarms" 2>&1)" "InvalidParameterValue.*Invalid region xx-west-9" \
  "an action in another region is refused"
is "$(code_of cw put-metric-alarm --alarm-name b4 "${base[@]}" --threshold 1 --comparison-operator GreaterThanThreshold \
  --alarm-actions "arn:aws:automate:$RDS_REGION:ec2:stop")" InvalidParameterValue "a non-SNS action is refused"
is "$(code_of cw put-metric-alarm --alarm-name b5 "${base[@]}" --datapoints-to-alarm 2 --threshold 1 \
  --comparison-operator GreaterThanThreshold)" InvalidParameterValue "DatapointsToAlarm > EvaluationPeriods"
is "$(code_of cw put-metric-alarm --alarm-name b6 "${base[@]}" --comparison-operator GreaterThanThreshold)" \
  MissingParameter "no Threshold: MissingParameter"
is "$(code_of cw put-metric-alarm --alarm-name b7 "${base[@]}" --threshold 1 --comparison-operator GreaterThanThreshold \
  --extended-statistic p99 --statistic Maximum)" InvalidParameterValue "ExtendedStatistic refused clearly"
is "$(code_of cw put-metric-alarm --alarm-name "$(printf 'tab\there')" "${base[@]}" --threshold 1 \
  --comparison-operator GreaterThanThreshold)" InvalidParameterValue "a control character in a name"
is "$(code_of cw set-alarm-state --alarm-name nope --state-value OK --state-reason x)" ResourceNotFound \
  "SetAlarmState of an unknown alarm"
is "$(code_of cw set-alarm-state --alarm-name q-high --state-value OK --state-reason x --state-reason-data 'not json')" \
  InvalidFormat "StateReasonData that is not JSON: InvalidFormat"
is "$(code_of cw delete-alarms --alarm-names q-high nope)" ResourceNotFound "DeleteAlarms with an unknown name"
is "$(cw describe-alarms --alarm-names q-high | jq '.MetricAlarms | length')" 1 "... deletes nothing"
is "$(code_of cw describe-alarms --next-token zz)" InvalidNextToken "a bad NextToken"
is "$(cw describe-alarms | jq '[.MetricAlarms[].AlarmName] | map(select(startswith("b"))) | length')" 0 \
  "no refused alarm was created"

# ---- a hostile name and description, in JSON, Query and CBOR ----------------
HN='x"<b>&amp;'"'"'\ é'
HD=$'line1\n</Description><script>alert(1)</script>'
check "PutMetricAlarm with a hostile name and description" cw put-metric-alarm --alarm-name "$HN" \
  --alarm-description "$HD" "${base[@]}" --threshold 1000 --comparison-operator GreaterThanThreshold \
  --alarm-actions "$TOPIC"
is "$(cw describe-alarms --alarm-names "$HN" | jq -r '.MetricAlarms[0] | .AlarmName + "|" + .AlarmDescription')" \
  "$HN|$HD" "JSON: the name and description come back intact"
xml=$(SERVICE=monitoring scurl -s -m 10 --data-urlencode "AlarmNames.member.1=$HN" \
  --data "Action=DescribeAlarms&Version=2010-08-01" "$API")
is "$(python3 -c 'import sys, xml.dom.minidom as m
d = m.parseString(sys.stdin.read())
n = d.getElementsByTagName("MetricAlarms")[0].getElementsByTagName("AlarmName")[0]
print(n.firstChild.data)' <<<"$xml")" "$HN" "Query: well-formed XML with the name intact"
cw set-alarm-state --alarm-name "$HN" --state-value ALARM --state-reason hostile >/dev/null
poll 20 got '$m.NewStateReason == "hostile"'
ok $? "the hostile alarm's notification arrives"
is "$(jqs "$(env_of '$m.NewStateReason == "hostile"')" '.Message.AlarmName')" "$HN" "... its Message is JSON with the name intact"
cbor_desc() {
  python3 -c '
import struct, sys
def h(major, n):
    if n < 24: return bytes([major << 5 | n])
    return bytes([major << 5 | 25]) + struct.pack(">H", n)
def s(v): b = v.encode(); return h(3, len(b)) + b
sys.stdout.buffer.write(h(5, 1) + s("AlarmNames") + h(4, 1) + s(sys.argv[1]))' "$1" >"$T_OUT.req"
  SERVICE=monitoring scurl -s -m 10 -o "$T_OUT.rep" -w '%{http_code}' -H 'smithy-protocol: rpc-v2-cbor' \
    -H 'Content-Type: application/cbor' -H 'Accept: application/cbor' --data-binary "@$T_OUT.req" \
    "${API}service/GraniteServiceVersion20100801/operation/DescribeAlarms"
}
is "$(cbor_desc "$HN")" 200 "CBOR: DescribeAlarms answers"
check "CBOR: the reply holds the name and its state" \
  python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.exit(not (sys.argv[2].encode() in d and b"StateValue" in d))' \
  "$T_OUT.rep" "$HN"
check "DeleteAlarms" cw delete-alarms --alarm-names "$HN" other
is "$(cw describe-alarms | jq -c '[.MetricAlarms[].AlarmName]')" '["q-high"]' "deleted alarms are gone"
is "$(cw describe-alarm-history --alarm-name other --history-item-type ConfigurationUpdate | jq -r '.AlarmHistoryItems[0].HistorySummary')" \
  'Alarm "other" deleted' "... and their history says so"

# ---- FreeStorageSpace of an instance -----------------------------------------
wait "$CREATE"
ok $? "create-db-instance $ID (400 units of 1 MiB)" || diag "$(cat "$T_OUT.create")"

# ---- the store is the truth: a kill -9 and a restart -------------------------
kill -9 "$(cp_pid)"
poll 10 gone "$(cp_pid)"
region_restart || bail "the region did not restart"
is "$(cw describe-alarms --alarm-names q-high | jq -r '.MetricAlarms[0] | [.StateValue != null, .ActionsEnabled] | @csv')" \
  "true,true" "after kill -9: the alarm is there, actions enabled"

fss() { # the newest FreeStorageSpace point of the instance (bytes), or nothing
  local e
  e=$(($(rnow) + 60))
  cw get-metric-statistics --namespace AWS/RDS --metric-name FreeStorageSpace \
    --dimensions Name=DBInstanceIdentifier,Value=$ID --start-time "$(iso $((e - 900)))" \
    --end-time "$(iso "$e")" --period 60 --statistics Minimum |
    jq -r '.Datapoints | sort_by(.Timestamp) | last | .Minimum // empty'
}
has_fss() { [ -n "$(fss)" ]; }
tick_until has_fss
ok $? "FreeStorageSpace is measured"
F=$(fss)
# The table costs its own size and as much WAL again; dropping it gives
# back the table's files, while PostgreSQL keeps the WAL segments for reuse
# (min_wal_size): the threshold lies between the two.
TH=$(awk -v f="$F" 'BEGIN { printf "%.0f", f - 120 * 1048576 }')
check "PutMetricAlarm on FreeStorageSpace < free - 120 MiB ($TH)" \
  cw put-metric-alarm --alarm-name storage-low --namespace AWS/RDS --metric-name FreeStorageSpace \
  --dimensions Name=DBInstanceIdentifier,Value=$ID --statistic Minimum --period 60 \
  --evaluation-periods 1 --threshold "$TH" --comparison-operator LessThanThreshold \
  --treat-missing-data ignore --alarm-actions "$TOPIC" --ok-actions "$TOPIC"
sql "$ID" "CREATE TABLE fill AS SELECT repeat('x', 900) AS pad FROM generate_series(1, 90000)" >/dev/null
ok $? "a 90,000-row table (about 85 MiB) fills the storage"
below() { awk -v v="$(fss)" -v t="$TH" 'BEGIN { exit !(v != "" && v < t) }'; }
tick_until below
ok $? "FreeStorageSpace falls below the threshold ($(fss) < $TH)"
# Each tick closes a minute (the one that holds the low point first; the
# storage stays full, so every later one is low too): on a busy machine the
# reading may land in the minute after the one `below` saw.
tick_until got '$m.AlarmName == "storage-low" and $m.NewStateValue == "ALARM"'
ok $? "the storage alarm fires to the SQS queue" ||
  diag "storage-low: $(cw describe-alarms --alarm-names storage-low | jq -c '.MetricAlarms[0] | [.StateValue, .StateReason]')"
e=$(env_of '$m.AlarmName == "storage-low" and $m.NewStateValue == "ALARM"')
is "$(jqs "$e" '.Message.Trigger | [.MetricName, .Namespace, .Statistic, .Dimensions[0].value] | @csv')" \
  "\"FreeStorageSpace\",\"AWS/RDS\",\"MINIMUM\",\"$ID\"" "its Trigger names the instance's metric"
like "$(jqs "$e" .Message.NewStateReason)" 'was less than the threshold' "its reason: less than the threshold"
# The way back to OK is what an RDS user does about low storage: add some.
# (Dropping the table would not do: it gives back its files, but PostgreSQL
# keeps the WAL the load wrote — recycled segments, 80 to 170 MiB here from
# one run to the next — so FreeStorageSpace would not return by an amount a
# test could rely on.) 400 more units put the free space 400 MiB higher.
out=$(rdsctl modify-db-instance --db-instance-identifier "$ID" --allocated-storage 800 \
  --apply-immediately)
is "$(jqs "$out" .DBInstance.AllocatedStorage)" 800 "modify-db-instance --allocated-storage 800 --apply-immediately"
above() { awk -v v="$(fss)" -v t="$TH" 'BEGIN { exit !(v != "" && v >= t) }'; }
tick_until above
ok $? "FreeStorageSpace is back above the threshold ($(fss) >= $TH)"
tick_until got '$m.AlarmName == "storage-low" and $m.NewStateValue == "OK"'
ok $? "the storage alarm returns to OK, delivered to the SQS queue"
is "$(state_of storage-low)" OK "describe-alarms: storage-low is OK"

region_down
done_testing
