#!/usr/bin/env bash
# Issue 16, item 3: RDS's log export to CloudWatch Logs, with the real aws
# CLI. A Multi-AZ instance created with --enable-cloudwatch-logs-exports
# postgresql gets group /aws/rds/instance/<id>/postgresql and stream <id>;
# a statement psql just ran (an error, with its STATEMENT line in the same
# event) shows up in FilterLogEvents and GetLogEvents; filter patterns
# (quoted phrases, ?alternatives, -exclusions; JSON refused);
# `aws logs tail --follow` (CLI v2, Debian's /usr/bin/aws) prints a line
# logged after it started; the controlplane killed -9 and restarted
# exports nothing twice and skips nothing; modify disable/enable (what is
# logged while disabled is not exported); after a forced failover the new
# primary's lines continue in the same stream; Enhanced Monitoring's
# samples in RDSOSMetrics; users' own groups with
# PutLogEvents; retention on the region clock; AWS's error types.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v aws >/dev/null; then
  echo "1..0 # SKIP the aws CLI is not installed"
  exit 0
fi
export AWS_PAGER=

ID=lg
GROUP=/aws/rds/instance/$ID/postgresql
awslogs() { aws --endpoint-url "$API" --output json logs "$@"; }
awsrds() { aws --endpoint-url "$API" --output json rds "$@"; }
aws_err() { aws --endpoint-url "$API" --output json "$@" >/dev/null 2>"$T_OUT"; cat "$T_OUT"; }
# logs_call OP JSON: one Logs call signed by curl (the polls; checks use the CLI).
logs_call() {
  SERVICE=logs scurl -sS -H "X-Amz-Target: Logs_20140328.$1" \
    -H 'Content-Type: application/x-amz-json-1.1' --data-binary "$2" "$API"
}
# events TEXT: the group's events whose message holds TEXT (a quoted phrase).
events() {
  logs_call FilterLogEvents "$(jq -nc --arg g "$GROUP" --arg p "\"$1\"" \
    '{logGroupName: $g, filterPattern: $p}')"
}
count() { events "$1" | jq '.events | length'; }
has() { [ "$(count "$1")" -ge 1 ]; }
exports() { rdsctl describe-db-instances --db-instance-identifier "$ID" |
  jq -c '.DBInstances[0].EnabledCloudwatchLogsExports // []'; }
# A statement that fails logs ERROR and STATEMENT (log_min_error_statement).
fail_sql() { sql "$ID" "SELECT 1/0 AS $1" >/dev/null 2>&1; return 0; }
# The primary's newest log file holds TEXT (shipped by the agent).
shipped() {
  local f
  f=$(rdsctl describe-db-log-files --db-instance-identifier "$ID" |
    jq -r '.DescribeDBLogFiles | sort_by(.LastWritten) | last | .LogFileName')
  [ -n "$f" ] && rdsctl download-db-log-file-portion --db-instance-identifier "$ID" \
    --log-file-name "$f" --number-of-lines 200 | jq -r .LogFileData | grep -q "$1"
}

region_up || bail "the region did not start"
ok 0 "region up"

# ---- RDS's validation ------------------------------------------------------------

like "$(aws_err rds create-db-instance --db-instance-identifier bad --engine postgres \
  --db-instance-class db.t3.micro --master-username "$T_USER" --master-user-password "$T_PASS" \
  --allocated-storage 20 --enable-cloudwatch-logs-exports postgresql audit general)" \
  "InvalidParameterCombination.*You cannot use the log types 'audit', 'general' with engine version postgres" \
  "unknown log types: InvalidParameterCombination naming each"

out=$(create_instance "$ID" --multi-az --backup-retention-period 0 \
  --enable-cloudwatch-logs-exports postgresql --monitoring-interval 1 \
  --monitoring-role-arn arn:aws:iam::123456789012:role/rds-monitoring-role 2>&1)
ok $? "create-db-instance $ID Multi-AZ with --enable-cloudwatch-logs-exports postgresql" ||
  diag "$out"
poll 180 status_is "$ID" available
ok $? "$ID available" || bail "no instance"
is "$(exports)" '["postgresql"]' "EnabledCloudwatchLogsExports"

# ---- the group, the stream, a statement psql just ran -----------------------------

is "$(awslogs describe-log-groups --log-group-name-prefix /aws/rds/instance/ |
  jq -r '[.logGroups[].logGroupName] | join(",")')" "$GROUP" "describe-log-groups: the group"
is "$(awslogs describe-log-streams --log-group-name "$GROUP" |
  jq -r '[.logStreams[].logStreamName] | join(",")')" "$ID" "one stream, named by the instance"

check "a new instance's log is exported from its first line (the server's start)" \
  has "database system is ready to accept connections"

M1=logs_marker_one_$$
fail_sql "$M1"
poll 30 has "$M1"
ok $? "a failed statement appears in filter-log-events within 30 s"
out=$(awslogs filter-log-events --log-group-name "$GROUP" --filter-pattern "\"$M1\"")
ev=$(jqs "$out" '.events[0].message')
like "$ev" "^[0-9-]+ [0-9:.]+ UTC \[[0-9]+\] ERROR:  division by zero" \
  "the event starts with PostgreSQL's prefix and the ERROR"
like "$ev" "STATEMENT:  SELECT 1/0 AS $M1" "... and keeps its STATEMENT line (one event per message)"
prefix_ms=$(date -u -d "${ev:0:23} UTC" +%s%3N)
is "$(jqs "$out" '.events[0].timestamp')" "$prefix_ms" "the event's timestamp is its prefix's"
like "$(awslogs get-log-events --log-group-name "$GROUP" --log-stream-name "$ID" \
  --start-from-head | jq -r '.events[].message')" "$M1" "get-log-events --start-from-head has it"

# ---- Enhanced Monitoring in RDSOSMetrics ------------------------------------------------

rid=$(rdsctl describe-db-instances --db-instance-identifier "$ID" | jq -r '.DBInstances[0].DbiResourceId')
em_sample() {
  logs_call GetLogEvents "{\"logGroupName\":\"RDSOSMetrics\",\"logStreamName\":\"$rid\",\"limit\":1}" |
    jq -e --arg id "$ID" '.events[0].message | fromjson | .instanceID == $id and .engine == "POSTGRES"'
}
poll 30 em_sample
ok $? "an Enhanced Monitoring sample in RDSOSMetrics, stream $rid (the DbiResourceId)"
is "$(logs_call DescribeLogGroups '{"logGroupNamePrefix":"RDSOSMetrics"}' |
  jq '.logGroups[0].retentionInDays')" 30 "RDSOSMetrics kept 30 days"

# ---- filter patterns -------------------------------------------------------------

# pattern PATTERN: how many of the group's events match (signed curl: quick).
pattern() {
  logs_call FilterLogEvents "$(jq -nc --arg g "$GROUP" --arg p "$1" \
    '{logGroupName: $g, filterPattern: $p}')" | jq '.events | length'
}
is "$(pattern "?no_such_thing_xyz ?$M1")" 1 "?alternatives"
is "$(pattern "\"division by zero\" -$M1")" 0 "-exclusion"
is "$(pattern "ERROR $M1")" 1 "terms ANDed"
like "$(aws_err logs filter-log-events --log-group-name "$GROUP" \
  --filter-pattern '{ $.level = "ERROR" }')" "InvalidParameterException.*JSON" \
  "a JSON pattern is refused clearly"

# ---- aws logs tail --follow (CLI v2) ------------------------------------------------

if [ -x /usr/bin/aws ] && /usr/bin/aws --version 2>&1 | grep -q '^aws-cli/2'; then
  tail_out=$RDS_HOME/tail.out
  timeout 60 /usr/bin/aws --endpoint-url "$API" logs tail "$GROUP" --follow --since 5m \
    --format short >"$tail_out" 2>&1 &
  tail_pid=$!
  poll 20 grep -q "$M1" "$tail_out"
  ok $? "aws logs tail --follow prints what is there"
  M5=logs_marker_tail_$$
  fail_sql "$M5"
  poll 40 grep -q "$M5" "$tail_out"
  ok $? "... and a statement logged after it started (its 5 s polling)" || diag "$(tail -3 "$tail_out")"
  kill "$tail_pid" 2>/dev/null
  wait "$tail_pid" 2>/dev/null
else
  ok 0 "# SKIP aws CLI v2 (Debian's awscli) is not installed"
  ok 0 "# SKIP aws CLI v2 (Debian's awscli) is not installed"
fi

# ---- kill -9 and restart: nothing twice, nothing skipped -------------------------

all_unique() {
  logs_call FilterLogEvents "{\"logGroupName\":\"$GROUP\"}" |
    jq -e '[.events[].message] | length == (unique | length)' >/dev/null
}
addr=$(resolve "$(endpoint_of "$ID")") # the DNS server is the controlplane's
kill -9 "$(cp_pid)"
M2=logs_marker_two_$$
psql_at "$addr" "SELECT 1/0 AS $M2" >/dev/null 2>&1 # the agent holds the bytes meanwhile
region_restart || bail "restart failed"
poll 30 has "$M2"
ok $? "after kill -9 and a restart, a statement from the outage is exported"
is "$(count "$M1")" 1 "the earlier statement exported once"
check "no event exported twice" all_unique

# ---- modify: disable, enable ---------------------------------------------------------

out=$(awsrds modify-db-instance --db-instance-identifier "$ID" --apply-immediately \
  --cloudwatch-logs-export-configuration '{"DisableLogTypes":["postgresql"]}' 2>&1)
ok $? "modify: DisableLogTypes postgresql" || diag "$out"
is "$(exports)" '[]' "EnabledCloudwatchLogsExports is empty"
M3=logs_marker_off_$$
fail_sql "$M3"
poll 30 shipped "$M3"
ok $? "a statement logged while disabled reaches the log file"
out=$(awsrds modify-db-instance --db-instance-identifier "$ID" --apply-immediately \
  --cloudwatch-logs-export-configuration '{"EnableLogTypes":["postgresql"]}' 2>&1)
ok $? "modify: EnableLogTypes postgresql" || diag "$out"
M4=logs_marker_on_$$
fail_sql "$M4"
poll 30 has "$M4"
ok $? "re-enabled: a new statement is exported"
is "$(count "$M3")" 0 "what was logged while disabled is not"

# ---- failover: the new primary continues the stream --------------------------------------

out=$(rdsctl reboot-db-instance --db-instance-identifier "$ID" --force-failover 2>&1)
ok $? "reboot-db-instance --force-failover" || diag "$out"
failed_over() {
  rdsctl describe-events --source-type db-instance --source-identifier "$ID" --duration 60 |
    jq -e '[.Events[] | select(.Message | contains("failover completed"))] | length > 0'
}
poll 90 failed_over
ok $? "failover completed"
M6=logs_marker_failover_$$
poll 60 sql "$ID" "SELECT 1"
log_and_find() { fail_sql "$1" && has "$1"; }
poll 30 log_and_find "$M6"
ok $? "the new primary's statement is exported"
is "$(events "$M6" | jq -r '.events[0].logStreamName')" "$ID" "... into the same stream"
is "$(logs_call DescribeLogStreams "{\"logGroupName\":\"$GROUP\"}" | jq '.logStreams | length')" 1 \
  "still one stream"

# ---- users' own groups, errors ------------------------------------------------------------

awslogs create-log-group --log-group-name app >/dev/null
ok $? "create-log-group app"
like "$(aws_err logs create-log-group --log-group-name app)" "ResourceAlreadyExistsException" \
  "again: ResourceAlreadyExistsException"
logs_call CreateLogStream '{"logGroupName":"app","logStreamName":"web"}' >/dev/null
now_ms=$(rdsctl clock show | jq -r '.Now' | xargs -I{} date -u -d {} +%s%3N)
awslogs put-log-events --log-group-name app --log-stream-name web \
  --log-events "timestamp=$now_ms,message=hello from the app" >/dev/null
ok $? "put-log-events"
is "$(awslogs get-log-events --log-group-name app --log-stream-name web |
  jq -r '.events[0].message')" "hello from the app" "get-log-events reads it back"
like "$(aws_err logs describe-log-streams --log-group-name nope)" "ResourceNotFoundException" \
  "a missing group: ResourceNotFoundException"
like "$(aws_err logs put-retention-policy --log-group-name "$GROUP" --retention-in-days 2)" \
  "InvalidParameterException" "retention 2 days: InvalidParameterException"

# ---- retention on the region clock ------------------------------------------------------------

awslogs put-retention-policy --log-group-name "$GROUP" --retention-in-days 1
ok $? "put-retention-policy 1 day"
is "$(logs_call DescribeLogGroups "{\"logGroupNamePrefix\":\"$GROUP\"}" |
  jq '.logGroups[0].retentionInDays')" 1 "retentionInDays shown"
rdsctl clock advance 49h >/dev/null
ok $? "region clock advanced 49 hours"
gone() { [ "$(count "$M1")" = 0 ]; }
poll 30 gone
ok $? "events older than a day on the region clock are gone"

done_testing
