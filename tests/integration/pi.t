#!/usr/bin/env bash
# Issue 16, item 4: Performance Insights through the real `aws` CLI. An
# instance created with --enable-performance-insights (its KMS key and
# retention shown, a bad retention refused with RDS's text); a slow
# statement running beside fast ones: DescribeDimensionKeys by db.sql
# ranks the slow one first, GetResourceMetrics db.load.avg by
# db.wait_event_type shows its Timeout load, GetDimensionKeyDetails gives
# its full text (a 70 kB statement kept to 64 KiB, shown to 4096 bytes);
# pg_stat_statements preloaded and made in rdsadmin's schema; the pi API's
# errors; modify off: NotAuthorizedException, its data deleted.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v aws >/dev/null; then
  echo "1..0 # SKIP the aws CLI is not installed"
  exit 0
fi
export AWS_PAGER=

region_up || bail "the region did not start"
ok 0 "region up"

awsrds() { aws --endpoint-url "$API" --output json rds "$@"; }
awspi() { aws --endpoint-url "$API" --output json pi "$@"; }
aws_err() { aws --endpoint-url "$API" --output json "$@" >/dev/null 2>"$T_OUT"; cat "$T_OUT"; }

# ---- create with PI on --------------------------------------------------------

like "$(aws_err rds create-db-instance --db-instance-identifier bad --engine postgres \
  --db-instance-class db.t3.micro --master-username "$T_USER" --master-user-password "$T_PASS" \
  --allocated-storage 20 --enable-performance-insights --performance-insights-retention-period 8)" \
  "InvalidParameterValue.*PerformanceInsightsRetentionPeriod" \
  "retention 8 days: InvalidParameterValue"
out=$(awsrds create-db-instance --db-instance-identifier pi1 --engine postgres \
  --db-instance-class db.t3.micro --master-username "$T_USER" --master-user-password "$T_PASS" \
  --allocated-storage 20 --enable-performance-insights --performance-insights-retention-period 7)
ok $? "create-db-instance --enable-performance-insights"
is "$(jqs "$out" .DBInstance.PerformanceInsightsEnabled)" true "PerformanceInsightsEnabled"
is "$(jqs "$out" .DBInstance.PerformanceInsightsRetentionPeriod)" 7 "PerformanceInsightsRetentionPeriod"
like "$(jqs "$out" .DBInstance.PerformanceInsightsKMSKeyId)" '^arn:aws:kms:.*:key/' \
  "PerformanceInsightsKMSKeyId: the aws/rds key's ARN"
RID=$(jqs "$out" .DBInstance.DbiResourceId)
poll 120 status_is pi1 available
ok $? "pi1 becomes available"

addr=$(resolve "$(endpoint_of pi1)")
is "$(psql_at "$addr" "SHOW shared_preload_libraries")" pg_stat_statements \
  "pg_stat_statements is preloaded on the node"
is "$(psql_at "$addr" "SHOW compute_query_id")" auto "compute_query_id auto (pg_stat_statements turns it on)"
poll 20 test "$(psql_at "$addr" "SELECT n.nspname || ' ' || pg_get_userbyid(n.nspowner) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'")" = "rdsadmin_pi rdsadmin"
ok $? "the sampler made the extension in schema rdsadmin_pi, owned by rdsadmin"

# ---- load: one slow statement beside fast ones ---------------------------------

LOADPIDS=()
stop_load() { local p; for p in "${LOADPIDS[@]}"; do kill "$p" 2>/dev/null; done; LOADPIDS=(); }
trap 'stop_load; cleanup' EXIT
# The slow one: a second's sleep, 25 times in one session (a Timeout wait).
psql_at "$addr" "$(for _ in $(seq 25); do echo "SELECT /* pi_slow_marker */ pg_sleep(1);"; done)" \
  >/dev/null 2>&1 &
LOADPIDS+=($!)
# The fast ones: 20,000 short statements in another session.
psql_at "$addr" "$(for _ in $(seq 20000); do echo "SELECT count(*) FROM generate_series(1, 50);"; done)" \
  >/dev/null 2>&1 &
LOADPIDS+=($!)
# A 70 kB statement (its comment survives pg_stat_statements' normalisation),
# with control characters, run twice: the second run finds its text there.
big="SELECT /* pi_big_marker $(head -c 70000 /dev/zero | tr '\0' x) */ pg_sleep(1.5), E'\\x01\\x1b[31m'"
(psql_at "$addr" "$big"; psql_at "$addr" "$big") >/dev/null 2>&1 &
LOADPIDS+=($!)

# pi_conns N: the sampler's connections to the node number N.
pi_conns() { [ "$(psql_at "$addr" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'rdsim-pi'")" = "$1" ]; }
range() { echo "--start-time $(($(date +%s) - 300)) --end-time $(($(date +%s) + 1))"; }
# shellcheck disable=SC2046
top_sql() { awspi describe-dimension-keys --service-type RDS --identifier "$RID" $(range) \
  --metric db.load.avg --group-by Group=db.sql --max-results 25; }
slow_first() { top_sql | jq -e '.Keys[0].Dimensions["db.sql.statement"] | test("pi_slow_marker")'; }
pi_conns 1
ok $? "one persistent sampler connection (application_name rdsim-pi)"
poll 60 slow_first
ok $? "describe-dimension-keys by db.sql ranks the slow statement first"
keys=$(top_sql)
diag "top statements: $(jq -c '[.Keys[] | {t: .Total, s: (.Dimensions["db.sql.statement"] // "")[0:40]}]' <<<"$keys")"
slow_id=$(jq -r '.Keys[0].Dimensions["db.sql.id"]' <<<"$keys")
like "$slow_id" '^[0-9A-F]{40}$' "db.sql.id: 40 hex digits"
is "$(jq '.Keys[0].Total > 0' <<<"$keys")" true "its Total is positive: $(jq .Keys[0].Total <<<"$keys")"
# A statement first sampled before pg_stat_statements has its entry (its
# first run not finished) is stored with its own text, then replaced by the
# normalised one at the next sample that sees it.
normalised() { [[ "$(top_sql | jq -r '.Keys[0].Dimensions["db.sql.statement"]')" =~ ^SELECT\ /\*\ pi_slow_marker\ \*/\ pg_sleep\(\$1\)$ ]]; }
poll 30 normalised
ok $? "the statement is pg_stat_statements' normalised text" ||
  diag "$(top_sql | jq -r '.Keys[0].Dimensions["db.sql.statement"]')"
is "$(jq -r '.Keys[0].Dimensions["db.sql.db_id"]' <<<"$keys" | grep -cE '^-?[0-9]+$')" 1 \
  "db.sql.db_id is the query id"

# shellcheck disable=SC2046
metrics() { awspi get-resource-metrics --service-type RDS --identifier "$RID" $(range) \
  --period-in-seconds 1 --metric-queries '[{"Metric":"db.load.avg","GroupBy":{"Group":"db.wait_event_type"}}]'; }
m=$(metrics)
ok $? "get-resource-metrics db.load.avg by db.wait_event_type"
is "$(jq '[.MetricList[0].DataPoints[].Value] | max >= 1' <<<"$m")" true \
  "the total load reaches at least one session"
is "$(jq '[.MetricList[] | select(.Key.Dimensions["db.wait_event_type.name"] == "Timeout") | .DataPoints[].Value] | add > 0' <<<"$m")" true \
  "the Timeout wait (pg_sleep) carries load"
is "$(jq '(.AlignedEndTime - .AlignedStartTime) - (.MetricList[0].DataPoints | length) | . >= 0 and . <= 2' <<<"$m")" true \
  "one point a second over the aligned range"

d=$(awspi get-dimension-key-details --service-type RDS --identifier "$RID" --group db.sql \
  --group-identifier "$slow_id")
is "$(jq -r '.Dimensions[0].Value' <<<"$d")" 'SELECT /* pi_slow_marker */ pg_sleep($1)' \
  "get-dimension-key-details: the full statement"
is "$(jq -r '.Dimensions[0].Status' <<<"$d")" AVAILABLE "... AVAILABLE"

big_keys() { top_sql | jq -e '[.Keys[] | select(.Dimensions["db.sql.statement"] | test("pi_big_marker"))] | length > 0'; }
big_full() {
  local id
  id=$(top_sql | jq -r '.Keys[] | select(.Dimensions["db.sql.statement"] | test("pi_big_marker")) | .Dimensions["db.sql.id"]' | head -1)
  [ -n "$id" ] || return 1
  awspi get-dimension-key-details --service-type RDS --identifier "$RID" --group db.sql \
    --group-identifier "$id" | jq -e '.Dimensions[0].Value | length > 60000'
}
poll 40 big_full
ok $? "the 70 kB statement's full text (from pg_stat_statements) is kept"
id=$(top_sql | jq -r '.Keys[] | select(.Dimensions["db.sql.statement"] | test("pi_big_marker")) | .Dimensions["db.sql.id"]' | head -1)
full=$(awspi get-dimension-key-details --service-type RDS --identifier "$RID" --group db.sql --group-identifier "$id")
is "$(jq '.Dimensions[0].Value | utf8bytelength <= 65535' <<<"$full")" true \
  "... bounded to 64 KiB ($(jq '.Dimensions[0].Value | utf8bytelength' <<<"$full") bytes)"
is "$(top_sql | jq '[.Keys[] | .Dimensions["db.sql.statement"] | select(test("pi_big_marker")) | utf8bytelength] | max <= 4096')" true \
  "describe-dimension-keys shows at most 4096 bytes of it"
stop_load

# ---- the other calls and the errors -------------------------------------------

dims=$(awspi list-available-resource-dimensions --service-type RDS --identifier "$RID" --metrics db.load)
is "$(jq -c '[.MetricDimensions[0].Groups[].Group] | sort' <<<"$dims")" \
  '["db","db.host","db.sql","db.sql_tokenized","db.user","db.wait_event","db.wait_event_type"]' \
  "list-available-resource-dimensions: db.load's groups"
# shellcheck disable=SC2046
u=$(awspi describe-dimension-keys --service-type RDS --identifier "$RID" $(range) \
  --metric db.load.avg --group-by Group=db.user)
is "$(jq -r '.Keys[0].Dimensions["db.user.name"]' <<<"$u")" "$T_USER" "by db.user: the master user"
# shellcheck disable=SC2046
like "$(aws_err pi describe-dimension-keys --service-type RDS --identifier db-NOSUCHRESOURCE0000000000 \
  $(range) --metric db.load.avg --group-by Group=db.sql)" "NotAuthorizedException" \
  "an unknown resource: NotAuthorizedException"
# shellcheck disable=SC2046
like "$(aws_err pi get-resource-metrics --service-type RDS --identifier "$RID" $(range) \
  --period-in-seconds 7 --metric-queries '[{"Metric":"db.load.avg"}]')" \
  "InvalidArgumentException" "PeriodInSeconds 7: InvalidArgumentException"
like "$(aws_err pi get-resource-metrics --service-type RDS --identifier "$RID" \
  --start-time 2000 --end-time 1000 --metric-queries '[{"Metric":"db.load.avg"}]')" \
  "InvalidArgumentException" "StartTime after EndTime: InvalidArgumentException"
# shellcheck disable=SC2046
like "$(aws_err pi describe-dimension-keys --service-type RDS --identifier "$RID" $(range) \
  --metric db.load.avg --group-by Group=db.nope)" "InvalidArgumentException" \
  "an unknown group: InvalidArgumentException"

# ---- modify off -----------------------------------------------------------------

like "$(aws_err rds modify-db-instance --db-instance-identifier pi1 \
  --performance-insights-retention-period 30)" "InvalidParameterValue" \
  "modify: retention 30 days refused"
out=$(awsrds modify-db-instance --db-instance-identifier pi1 --performance-insights-retention-period 62)
is "$(jqs "$out" .DBInstance.PerformanceInsightsRetentionPeriod)" 62 "modify: retention 62 (2 months)"
out=$(awsrds modify-db-instance --db-instance-identifier pi1 --no-enable-performance-insights)
is "$(jqs "$out" .DBInstance.PerformanceInsightsEnabled)" false "modify --no-enable-performance-insights"
is "$(jqs "$out" '.DBInstance.PerformanceInsightsKMSKeyId // "absent"')" absent "... no key shown"
# shellcheck disable=SC2046
like "$(aws_err pi describe-dimension-keys --service-type RDS --identifier "$RID" $(range) \
  --metric db.load.avg --group-by Group=db.sql)" "NotAuthorizedException" \
  "PI off: NotAuthorizedException"
poll 10 pi_conns 0
ok $? "the sampler's connection is closed"
# Asked about the five minutes before it is on again: a sample the new
# sampler takes at once (any session active then) is not the old data.
t_on=$(date +%s)
awsrds modify-db-instance --db-instance-identifier pi1 --enable-performance-insights >/dev/null
is "$(awspi describe-dimension-keys --service-type RDS --identifier "$RID" \
  --start-time $((t_on - 300)) --end-time "$t_on" \
  --metric db.load.avg --group-by Group=db.sql | jq '.Keys | length')" 0 \
  "on again: turning PI off deleted its data"

done_testing
