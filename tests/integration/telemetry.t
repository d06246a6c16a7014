#!/usr/bin/env bash
# Issue 6's Enhanced Monitoring, log files and storage against a real
# region whose storage unit is 1 MiB (--storage-unit-mib 1): the monitoring
# JSON has every RDSOSMetrics group with plausible numbers; the PostgreSQL
# log is listed and read back page by page with markers (rdsctl, the aws
# CLI, rdsctl logs tail --follow), equal to the file on the node; an
# instance whose data outgrows its 20 units goes storage-full and refuses
# writes, is given more storage, warns with RDS-EVENT-0089, and after the
# region clock moves past the 6-hour cooling-off autoscales one step
# (0217/0218).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROLE=arn:aws:iam::123456789012:role/rds-monitoring-role
ID=tel

# The aws CLI signs with the region's credentials (region.env, lib.sh).

export AWS_PAGER=

describe() { rdsctl describe-db-instances --db-instance-identifier "$ID"; }
field() { describe | jq -r ".DBInstances[0].$1 // empty"; }
# has_event TEXT: an event of the instance whose message contains TEXT
# (DescribeEvents shows messages, not event IDs).
has_event() {
  rdsctl describe-events --source-type db-instance --source-identifier "$ID" --duration 1440 |
    jq -e --arg t "$1" '[.Events[] | select(.Message | contains($t))] | length > 0'
}
# The real size of the node's data directory in bytes, as the agent counts it.
data_bytes() {
  local d
  for d in "$RDS_HOME"/agents/*/nodes/"$ID"-*/data; do
    [ -d "$d" ] && du -s -B1 "$d" | cut -f1 && return 0
  done
  return 1
}
latest_sample() { rdsctl monitoring get --db-instance-identifier "$ID"; }
has_sample() { [ "$(latest_sample | jq '.Samples | length')" = 1 ]; }

RDS_CP_ARGS="--storage-unit-mib 1" region_up || bail "the region did not start"
ok 0 "region up with a 1 MiB storage unit (API $RDS_API_PORT)"

# ---- validation (AWS's rules and messages) ---------------------------------

out=$(create_instance bad --monitoring-interval 7 --monitoring-role-arn "$ROLE" 2>&1)
like "$out" "InvalidParameterValue" "MonitoringInterval 7 is InvalidParameterValue"
out=$(create_instance bad --monitoring-interval 5 2>&1)
like "$out" "InvalidParameterCombination.*MonitoringRoleARN value is required" \
  "an interval without a role is InvalidParameterCombination"

# ---- create: 20 units (MiB) is less than a fresh data directory ------------

# No automated backups: a base backup's WAL switch alone adds 16 MiB to a
# data directory measured in 1 MiB units (autobackup.h), which would blur
# the storage steps below.
out=$(create_instance "$ID" --monitoring-interval 1 --monitoring-role-arn "$ROLE" \
  --enable-cloudwatch-logs-exports postgresql --max-allocated-storage 1000 \
  --backup-retention-period 0 2>&1)
ok $? "create-db-instance $ID with monitoring, log exports and autoscaling" || diag "$out"
is "$(field MonitoringInterval)" 1 "MonitoringInterval shown"
is "$(field MonitoringRoleArn)" "$ROLE" "MonitoringRoleArn shown"
like "$(field EnhancedMonitoringResourceArn)" \
  "^arn:aws:logs:us-east-1:123456789012:log-group:RDSOSMetrics:log-stream:db-" \
  "EnhancedMonitoringResourceArn names the RDSOSMetrics stream of the DbiResourceId"
is "$(field 'EnabledCloudwatchLogsExports | join(",")')" postgresql "EnabledCloudwatchLogsExports"

poll 180 status_is "$ID" storage-full
ok $? "the instance goes storage-full: its data outgrew 20 MiB" || diag "status $(status_of "$ID")"
check "RDS-EVENT-0007 (storage exhausted)" has_event "Allocated storage has been exhausted"
check "RDS-EVENT-0221 (storage-full threshold)" has_event "reached the storage-full threshold"
addr=$(resolve "$(endpoint_of "$ID")")
ro_write() { ! psql_at "$addr" "CREATE TABLE IF NOT EXISTS t(x int)" >/dev/null 2>&1; }
poll 30 ro_write
ok $? "writes are refused while the storage is full"
like "$(psql_at "$addr" "CREATE TABLE t(x int)" 2>&1)" "read-only transaction" \
  "... with PostgreSQL's read-only error"

# ---- Enhanced Monitoring ----------------------------------------------------

poll 30 has_sample
ok $? "rdsctl monitoring get returns a sample"
s=$(latest_sample | jq '.Samples[0]')
for g in cpuUtilization loadAverageMinute memory diskIO fileSys network processList tasks swap; do
  check "group $g present" jq -e --arg g "$g" 'has($g)' <<<"$s"
done
is "$(jqs "$s" .instanceID)" "$ID" "instanceID"
is "$(jqs "$s" .engine)" POSTGRES "engine"
like "$(jqs "$s" .timestamp)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "timestamp"
check "cpuUtilization.total in 0..100" jq -e '.cpuUtilization.total >= 0 and .cpuUtilization.total <= 100' <<<"$s"
check "cpu parts add up to about 100" jq -e '(.cpuUtilization | .idle + .user + .system + .nice + .wait + .irq + .steal) | . > 95 and . < 105' <<<"$s"
check "memory.total > memory.free > 0" jq -e '.memory.total > .memory.free and .memory.free > 0' <<<"$s"
check "loadAverageMinute.one >= 0" jq -e '.loadAverageMinute.one >= 0' <<<"$s"
check "tasks.total counts running+sleeping" jq -e '.tasks.total >= .tasks.running + .tasks.sleeping and .tasks.total > 0' <<<"$s"
check "swap.total >= swap.free" jq -e '.swap.total >= .swap.free' <<<"$s"
check "network lists lo" jq -e '[.network[].interface] | index("lo") != null' <<<"$s"
check "diskIO has the rdsdev device" jq -e '.diskIO[0].device == "rdsdev" and .diskIO[0].util >= 0' <<<"$s"
check "fileSys usedPercent in 0..100" jq -e '.fileSys[0].usedPercent > 0 and .fileSys[0].usedPercent <= 100' <<<"$s"
pm=$(postmaster_pid "$ID")
check "processList holds the postmaster ($pm) and its children" \
  jq -e --argjson pm "$pm" '([.processList[] | select(.id == $pm)] | length == 1) and
    ([.processList[] | select(.parentID == $pm)] | length >= 3) and
    ([.processList[] | select(.rss > 0 and .vss >= .rss)] | length >= 3)' <<<"$s"
two_samples() {
  [ "$(rdsctl monitoring get --db-instance-identifier "$ID" --start-time "$(date -u -d '-1 hour' +%FT%TZ)" \
    --end-time "$(date -u -d '+1 hour' +%FT%TZ)" | jq '.Samples | length')" -ge 3 ]
}
poll 30 two_samples
ok $? "a time range returns the samples taken every second"
rdsctl modify-db-instance --db-instance-identifier "$ID" --monitoring-interval 0 >/dev/null
ok $? "modify-db-instance --monitoring-interval 0 (no --apply-immediately needed)"
is "$(field MonitoringInterval)" 0 "MonitoringInterval is 0 at once"
is "$(field EnhancedMonitoringResourceArn)" "" "no EnhancedMonitoringResourceArn when off"
check "RDS-EVENT-0078 (monitoring interval changed)" has_event "Monitoring Interval changed to 0."
rdsctl modify-db-instance --db-instance-identifier "$ID" --monitoring-interval 1 \
  --monitoring-role-arn "$ROLE" >/dev/null
ok $? "monitoring back on"
out=$(rdsctl monitoring get --db-instance-identifier nope 2>&1)
like "$out" "DBInstanceNotFound" "monitoring get of an unknown instance: DBInstanceNotFound"

# ---- log files --------------------------------------------------------------

psql_at "$addr" "DO \$\$ BEGIN FOR i IN 1..40 LOOP RAISE LOG 'rdsim-tel-line %', i; END LOOP; END \$\$" \
  >/dev/null 2>&1
ok $? "40 lines logged through RAISE LOG"
logfile() {
  rdsctl describe-db-log-files --db-instance-identifier "$ID" |
    jq -r '.DescribeDBLogFiles | map(.LogFileName) | sort | last // empty'
}
name=$(logfile)
like "$name" '^error/postgresql\.log\.[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}$' \
  "describe-db-log-files names the file as RDS does ($name)"
ondisk=$(ls "$RDS_HOME"/agents/*/nodes/"$ID"-*/log/"${name#error/}")
shipped() {
  rdsctl download-db-log-file-portion --db-instance-identifier "$ID" --log-file-name "$name" \
    --number-of-lines 200 | jq -r .LogFileData | grep -q 'rdsim-tel-line 40$'
}
poll 30 shipped
ok $? "the last logged line is served"
# Page through the whole file, 7 lines at a time.
marker=0 pages=0 pagefile=$RDS_HOME/pages.out
: >"$pagefile"
while :; do
  p=$(rdsctl download-db-log-file-portion --db-instance-identifier "$ID" --log-file-name "$name" \
    --marker "$marker" --number-of-lines 7) || break
  jq -j .LogFileData <<<"$p" >>"$pagefile"
  marker=$(jqs "$p" .Marker)
  pages=$((pages + 1))
  [ "$(jqs "$p" .AdditionalDataPending)" = true ] || break
  [ $pages -lt 500 ] || break
done
check "paging took several pages ($pages)" test "$pages" -gt 3
check "the pages put together equal the file on the node" \
  cmp "$pagefile" <(head -c "$(stat -c %s "$pagefile")" "$ondisk")
check "every logged line came back, in order" \
  diff <(grep -oE 'LOG:  rdsim-tel-line [0-9]+' "$pagefile" | cut -c7-) <(seq 1 40 | sed 's/^/rdsim-tel-line /')
is "$(rdsctl download-db-log-file-portion --db-instance-identifier "$ID" --log-file-name "$name" \
  --number-of-lines 2 | jq -j .LogFileData | wc -l)" 2 "--number-of-lines 2 without a marker: the last 2 lines"
out=$(rdsctl download-db-log-file-portion --db-instance-identifier "$ID" \
  --log-file-name error/postgresql.log.2001-01-01-00 2>&1)
is "$?" 254 "an unknown log file: exit 254"
like "$out" "DBLogFileNotFoundFault" "... DBLogFileNotFoundFault"
out=$(aws --endpoint-url "$API" --output json rds describe-db-log-files --db-instance-identifier "$ID")
is "$(jq -r '.DescribeDBLogFiles[-1].LogFileName' <<<"$out")" "$name" "aws rds describe-db-log-files"
out=$(aws --endpoint-url "$API" --output text rds download-db-log-file-portion \
  --db-instance-identifier "$ID" --log-file-name "$name" --starting-token 0)
like "$out" "rdsim-tel-line 40" "aws rds download-db-log-file-portion --starting-token 0 (paginated)"

is "$(api "Action=DownloadDBLogFilePortion&DBInstanceIdentifier=$ID")" "400 MissingParameter" \
  "DownloadDBLogFilePortion without LogFileName: MissingParameter"
is "$(api "Action=DownloadDBLogFilePortion&DBInstanceIdentifier=$ID&LogFileName=$name&Marker=x1")" \
  "400 InvalidParameterValue" "a Marker that is not ours: InvalidParameterValue"
is "$(api "Action=DownloadDBLogFilePortion&DBInstanceIdentifier=$ID&LogFileName=$name&NumberOfLines=0")" \
  "400 InvalidParameterValue" "NumberOfLines 0: InvalidParameterValue"
is "$(api "Action=DescribeDBLogFiles&DBInstanceIdentifier=nope")" "404 DBInstanceNotFound" \
  "DescribeDBLogFiles of an unknown instance: DBInstanceNotFound"
is "$(api "Action=DescribeDBLogFiles&DBInstanceIdentifier=$ID&MaxRecords=5")" \
  "400 InvalidParameterValue" "DescribeDBLogFiles MaxRecords 5: InvalidParameterValue"
is "$(rdsctl describe-db-log-files --db-instance-identifier "$ID" --filename-contains 2001-01 |
  jq '.DescribeDBLogFiles | length')" 0 "--filename-contains filters"

# The controlplane killed: what it held survives, shipping resumes with no
# gap and no duplicate. It restarts without RDS_CP_ARGS: the 1 MiB unit is
# the region's, kept in its store.
cp=$(cp_pid)
kill -KILL "$cp" && poll 10 gone "$cp" && region_restart
ok $? "controlplane SIGKILLed and restarted"
psql_at "$addr" "DO \$\$ BEGIN RAISE LOG 'rdsim-tel-after-restart'; END \$\$" >/dev/null 2>&1
whole() {
  rdsctl download-db-log-file-portion --db-instance-identifier "$ID" --log-file-name "$name" \
    --marker 0 | jq -j .LogFileData >"$RDS_HOME/whole.out"
}
after_restart() { whole && grep -q rdsim-tel-after-restart "$RDS_HOME/whole.out"; }
poll 30 after_restart
ok $? "a line logged after the restart is served"
check "the file served equals the node's file (no gap, no duplicate)" \
  cmp "$RDS_HOME/whole.out" <(head -c "$(stat -c %s "$RDS_HOME/whole.out")" "$ondisk")
poll 30 has_sample
ok $? "monitoring samples are still there after the restart"

tail_out=$RDS_HOME/tail.out
rdsctl logs tail --db-instance-identifier "$ID" --lines 3 --follow --interval-ms 200 >"$tail_out" 2>&1 &
tail_pid=$!
psql_at "$addr" "DO \$\$ BEGIN RAISE LOG 'rdsim-tel-followed'; END \$\$" >/dev/null 2>&1
poll 30 grep -q rdsim-tel-followed "$tail_out"
ok $? "rdsctl logs tail --follow prints a line logged after it started"
kill "$tail_pid" 2>/dev/null
wait "$tail_pid" 2>/dev/null

# ---- storage: more room, the 90 % warning, then one autoscaling step -------

used=$(data_bytes)
# 92 % used: under the 10 % free line, a few MiB from full again.
target=$(( (used * 100 / 92 + 1048575) / 1048576 ))
[ "$target" -ge 22 ] || target=22
rdsctl modify-db-instance --db-instance-identifier "$ID" --allocated-storage "$target" \
  --apply-immediately >/dev/null
ok $? "modify-db-instance --allocated-storage $target (data uses $((used >> 20)) MiB) while storage-full"
poll 30 status_is "$ID" available
ok $? "available again once the allocation exceeds the use"
poll 30 psql_at "$addr" "CREATE TABLE IF NOT EXISTS t(x int)"
ok $? "writes work again"
poll 30 has_event "Provisioned Storage: $target MiB"
ok $? "RDS-EVENT-0089: free storage under 10 % of the new $target MiB"
rdsctl clock advance 7h >/dev/null
ok $? "region clock advanced 7 hours (past the 6-hour cooling-off and the 5 low minutes)"
grown() { [ "$(field AllocatedStorage)" -gt "$target" ]; }
poll 30 grown
ok $? "autoscaling grew the storage"
step=$(( (target + 9) / 10 ))
[ "$step" -ge 5 ] || step=5
is "$(field AllocatedStorage)" $((target + step)) "by max(5 units, 10 %) = $step (no growth to predict)"
check "RDS-EVENT-0217 (autoscaling applying)" has_event "Applying autoscaling-initiated"
check "RDS-EVENT-0218 (autoscaling finished)" has_event "Finished applying autoscaling-initiated"
is "$(status_of "$ID")" available "still available"

done_testing
