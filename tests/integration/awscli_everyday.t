#!/usr/bin/env bash
# Issue 14 item 4: the `aws rds` commands a PostgreSQL user runs every day,
# through the real aws CLI (v1, botocore parsing our XML). Every read
# (describe/list) runs four ways: --output json (shape checked with jq),
# --output table (a known title or cell), --output text (a known line) and
# --query with --output text (an exact value); every change runs once, the
# output formats taken in turn. Bounded: one Single-AZ db.t3.micro for the
# whole script, plus one restored instance at a time (from a snapshot,
# then to a point in time). Calls rdsim lacks are TAP TODOs naming them.
# The aws waiters poll every 30 s, so each is called once the state is
# reached (seen through rdsctl) and must succeed at its first check.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v aws >/dev/null; then
  echo "1..0 # SKIP the aws CLI is not installed"
  exit 0
fi
export AWS_PAGER=

region_up || bail "the region did not start"
ok 0 "region up"

# a ARGS...: the aws CLI against our region (output format in ARGS).
a() { aws --endpoint-url "$API" "$@"; }

# run_as FORMAT DESC TEST ARGS...: `aws rds ARGS --output FORMAT`; one TAP
# line: exit 0 and TEST (a shell snippet reading $out) true. Sets out.
run_as() {
  local fmt=$1 desc=$2 test=$3; shift 3
  out=$(a rds "$@" --output "$fmt" 2>"$T_OUT")
  local rc=$?
  if [ "$rc" -eq 0 ] && eval "$test" >/dev/null 2>&1; then
    ok 0 "$desc ($fmt)"
  else
    ok 1 "$desc ($fmt)"
    echo "#   exit $rc; test: $test"
    { cat "$T_OUT"; printf '%s\n' "$out"; } | head -20 | sed 's/^/#   /'
  fi
}

# Tests on $out for each format.
j() { jq -e "$1" <<<"$out"; }                 # a jq filter that is true
t() { grep -qF -- "$1" <<<"$out"; }            # a table cell or title
x() { grep -qE -- "$1" <<<"$out"; }            # a text line (regex)

# read4 NAME JQ TABLE TEXT-RE QUERY WANT -- ARGS...: a read four ways.
read4() {
  local name=$1 jqf=$2 tbl=$3 txt=$4 q=$5 want=$6; shift 7
  run_as json "$name" "j '$jqf'" "$@"
  run_as table "$name" "t '$tbl'" "$@"
  run_as text "$name" "x '$txt'" "$@"
  local got
  got=$(a rds "$@" --output text --query "$q" 2>"$T_OUT")
  is "$got" "$want" "$name --query '$q'"
}

# aws_call CALL JQ ARGS...: aws rds ARGS... with --output json, its shape checked with JQ.
aws_call() {
  local call=$1 jqf=$2; shift 2
  run_as json "aws rds $1 ($call)" "j '$jqf'" "$@"
}

SUB=$(rdsctl ec2 describe-subnets | jq -r '[.Subnets[] | select(.AvailabilityZone | test("a$|b$")) | .SubnetId] | join(" ")')
TOPIC=$(rdsctl sns create-topic --name everyday | jq -r .TopicArn)
ACCOUNT_ARN=arn:aws:rds:$RDS_REGION
# shellcheck disable=SC2206
SUBS=($SUB)

# ---- discovery --------------------------------------------------------------------

read4 "describe-db-engine-versions" '.DBEngineVersions[0].DBParameterGroupFamily == "postgres15"' \
  DescribeDBEngineVersions '^DBENGINEVERSIONS' 'DBEngineVersions[0].Engine' postgres \
  -- describe-db-engine-versions --engine postgres
read4 "describe-orderable-db-instance-options" \
  '[.OrderableDBInstanceOptions[] | select(.DBInstanceClass == "db.t3.micro")] | length > 0' \
  DescribeOrderableDBInstanceOptions '^ORDERABLEDBINSTANCEOPTIONS' \
  'OrderableDBInstanceOptions[0].Engine' postgres \
  -- describe-orderable-db-instance-options --engine postgres --db-instance-class db.t3.micro
read4 "describe-event-categories" \
  '[.EventCategoriesMapList[] | select(.SourceType == "db-instance")] | length == 1' \
  DescribeEventCategories '^EVENTCATEGORIESMAPLIST' \
  "EventCategoriesMapList[?SourceType=='db-instance'].SourceType" db-instance \
  -- describe-event-categories
aws_call DescribeAccountAttributes '[.AccountQuotas[].AccountQuotaName] | index("DBInstances") != null' \
  describe-account-attributes
aws_call DescribeCertificates '[.Certificates[].CertificateIdentifier] | index("rds-ca-rsa2048-g1") != null' \
  describe-certificates
aws_call DescribeOptionGroups '[.OptionGroupsList[].OptionGroupName] | index("default:postgres-15") != null' \
  describe-option-groups --engine-name postgres

# ---- parameter and subnet groups ----------------------------------------------------

run_as json "create-db-parameter-group" '[ "$(jq -r .DBParameterGroup.DBParameterGroupFamily <<<"$out")" = postgres15 ]' \
  create-db-parameter-group --db-parameter-group-name everyday-pg \
  --db-parameter-group-family postgres15 --description "everyday"
run_as text "modify-db-parameter-group" "x '^everyday-pg$'" modify-db-parameter-group \
  --db-parameter-group-name everyday-pg \
  --parameters ParameterName=work_mem,ParameterValue=8192,ApplyMethod=immediate \
  ParameterName=log_min_duration_statement,ParameterValue=250,ApplyMethod=immediate
read4 "describe-db-parameter-groups" '.DBParameterGroups[0].Description == "everyday"' \
  DescribeDBParameterGroups '^DBPARAMETERGROUPS' 'DBParameterGroups[0].DBParameterGroupName' \
  everyday-pg -- describe-db-parameter-groups --db-parameter-group-name everyday-pg
read4 "describe-db-parameters --source user" \
  '[.Parameters[].ParameterName] | sort == ["log_min_duration_statement","work_mem"]' \
  work_mem '^PARAMETERS.*work_mem' "Parameters[?ParameterName=='work_mem'].ParameterValue" 8192 \
  -- describe-db-parameters --db-parameter-group-name everyday-pg --source user
run_as table "reset-db-parameter-group (one parameter)" "t ResetDBParameterGroup" \
  reset-db-parameter-group --db-parameter-group-name everyday-pg \
  --parameters ParameterName=log_min_duration_statement,ApplyMethod=immediate
is "$(a rds describe-db-parameters --db-parameter-group-name everyday-pg --source user \
  --query 'Parameters[].ParameterName' --output text)" work_mem "... only work_mem is left user-set"
# (The CLI pages through it and keeps only EngineDefaults.Parameters, as
# botocore's paginator does against RDS.)
read4 "describe-engine-default-parameters" '[.EngineDefaults.Parameters[].ParameterName] | index("work_mem") != null' \
  DescribeEngineDefaultParameters '^PARAMETERS.*work_mem' \
  "EngineDefaults.Parameters[?ParameterName=='work_mem'].IsModifiable" True \
  -- describe-engine-default-parameters --db-parameter-group-family postgres15

run_as json "create-db-subnet-group" '[ "$(jq -r ".DBSubnetGroup.Subnets | length" <<<"$out")" = 2 ]' \
  create-db-subnet-group --db-subnet-group-name everyday-sn \
  --db-subnet-group-description "two AZs" --subnet-ids "${SUBS[@]}"
read4 "describe-db-subnet-groups" '.DBSubnetGroups[0].SubnetGroupStatus == "Complete"' \
  DescribeDBSubnetGroups '^DBSUBNETGROUPS' 'DBSubnetGroups[0].DBSubnetGroupDescription' \
  "two AZs" -- describe-db-subnet-groups --db-subnet-group-name everyday-sn
run_as text "modify-db-subnet-group" "x '^DBSUBNETGROUP.*renamed'" modify-db-subnet-group \
  --db-subnet-group-name everyday-sn --db-subnet-group-description renamed \
  --subnet-ids "${SUBS[@]}"

# ---- an instance ----------------------------------------------------------------------

run_as json "create-db-instance" '[ "$(jq -r .DBInstance.DBInstanceStatus <<<"$out")" = creating ]' \
  create-db-instance --db-instance-identifier everyday --engine postgres \
  --db-instance-class db.t3.micro --master-username "$T_USER" \
  --master-user-password "$T_PASS" --allocated-storage 20 --backup-retention-period 1 \
  --db-parameter-group-name everyday-pg --db-subnet-group-name everyday-sn \
  --tags Key=team,Value=data
check "everyday becomes available" poll 240 status_is everyday available
check "wait db-instance-available (first check)" \
  timeout 25 aws --endpoint-url "$API" rds wait db-instance-available --db-instance-identifier everyday
# RDS shows LatestRestorableTime as soon as the first backup exists, i.e.
# by the time the instance is available (boto3 must not see None).
like "$(a rds describe-db-instances --db-instance-identifier everyday \
  --query 'DBInstances[0].LatestRestorableTime' --output text)" '^20[0-9]{2}-' \
  "LatestRestorableTime is there once available"
read4 "describe-db-instances" \
  '.DBInstances[0] | .DBInstanceStatus == "available" and .Endpoint.Port == 5432 and .DBSubnetGroup.DBSubnetGroupName == "everyday-sn"' \
  DescribeDBInstances '^DBINSTANCES' 'DBInstances[0].DBParameterGroups[0].DBParameterGroupName' \
  everyday-pg -- describe-db-instances --db-instance-identifier everyday
read4 "describe-db-instances --filters" '.DBInstances | length == 1' everyday '^DBINSTANCES' \
  'length(DBInstances)' 1 -- describe-db-instances --filters Name=engine,Values=postgres
ARN=$(a rds describe-db-instances --db-instance-identifier everyday --output text \
  --query 'DBInstances[0].DBInstanceArn')
like "$ARN" "^$ACCOUNT_ARN:[0-9]+:db:everyday$" "DBInstanceArn"

run_as table "modify-db-instance" "t ModifyDBInstance" modify-db-instance \
  --db-instance-identifier everyday --backup-retention-period 2 \
  --preferred-backup-window 03:00-03:30 --apply-immediately
is "$(a rds describe-db-instances --db-instance-identifier everyday --output text \
  --query 'DBInstances[0].[BackupRetentionPeriod,PreferredBackupWindow]')" "2	03:00-03:30" \
  "... retention 2, backup window 03:00-03:30"
run_as text "reboot-db-instance" "x '^DBINSTANCE.*rebooting'" reboot-db-instance \
  --db-instance-identifier everyday
check "available after the reboot" poll 120 status_is everyday available

# ---- tags -------------------------------------------------------------------------------

run_as json "add-tags-to-resource" '[ -z "$out" ]' add-tags-to-resource \
  --resource-name "$ARN" --tags Key=env,Value=test Key=owner,Value=ops
read4 "list-tags-for-resource" '[.TagList[].Key] | sort == ["env","owner","team"]' TagList \
  '^TAGLIST' "TagList[?Key=='env'].Value" test -- list-tags-for-resource --resource-name "$ARN"
run_as text "remove-tags-from-resource" '[ -z "$out" ]' remove-tags-from-resource \
  --resource-name "$ARN" --tag-keys owner env
is "$(a rds list-tags-for-resource --resource-name "$ARN" --query 'TagList[].Key' --output text)" \
  team "... only team is left"

# ---- events and subscriptions ---------------------------------------------------------

read4 "describe-events" '[.Events[].Message] | index("DB instance created.") != null' \
  DescribeEvents '^EVENTS' "Events[?Message=='DB instance restarted.'] | [0].SourceIdentifier" \
  everyday -- describe-events --source-type db-instance --source-identifier everyday \
  --duration 60
run_as json "create-event-subscription" '[ "$(jq -r .EventSubscription.Status <<<"$out")" = active ]' \
  create-event-subscription --subscription-name everyday-es --sns-topic-arn "$TOPIC" \
  --source-type db-instance --event-categories availability failover \
  --source-ids everyday
read4 "describe-event-subscriptions" '.EventSubscriptionsList[0].SnsTopicArn == "'"$TOPIC"'"' \
  DescribeEventSubscriptions '^EVENTSUBSCRIPTIONSLIST' 'EventSubscriptionsList[0].SourceType' \
  db-instance -- describe-event-subscriptions --subscription-name everyday-es
run_as table "modify-event-subscription" "t ModifyEventSubscription" modify-event-subscription \
  --subscription-name everyday-es --event-categories availability --no-enabled
is "$(a rds describe-event-subscriptions --subscription-name everyday-es --output text \
  --query 'EventSubscriptionsList[0].[Enabled,join(`,`,EventCategoriesList)]')" "False	availability" \
  "... disabled, availability only"
run_as text "delete-event-subscription" "x '^EVENTSUBSCRIPTION.*everyday-es'" \
  delete-event-subscription --subscription-name everyday-es

# ---- log files --------------------------------------------------------------------------

read4 "describe-db-log-files" '.DescribeDBLogFiles | length > 0' DescribeDBLogFiles \
  '^DESCRIBEDBLOGFILES' 'length(DescribeDBLogFiles) > `0`' True \
  -- describe-db-log-files --db-instance-identifier everyday
LOG=$(a rds describe-db-log-files --db-instance-identifier everyday --output text \
  --query 'DescribeDBLogFiles[-1].LogFileName')
like "$LOG" '^error/postgresql\.log\.' "a log file name like RDS's"
run_as json "download-db-log-file-portion" '[ "$(jq -r ".LogFileData | length > 0" <<<"$out")" = true ]' \
  download-db-log-file-portion --db-instance-identifier everyday --log-file-name "$LOG" \
  --starting-token 0
run_as text "download-db-log-file-portion" "x 'LOG:'" download-db-log-file-portion \
  --db-instance-identifier everyday --log-file-name "$LOG" --starting-token 0

# ---- maintenance ------------------------------------------------------------------------

# rdsim offers every instance on older binaries a system-update.
read4 "describe-pending-maintenance-actions" \
  '.PendingMaintenanceActions[0].PendingMaintenanceActionDetails[0].Action == "system-update"' \
  DescribePendingMaintenanceActions '^PENDINGMAINTENANCEACTIONDETAILS[[:space:]]+system-update' \
  'PendingMaintenanceActions[0].ResourceIdentifier' "$ARN" \
  -- describe-pending-maintenance-actions --resource-identifier "$ARN"
run_as json "apply-pending-maintenance-action next-maintenance" \
  '[ "$(jq -r ".ResourcePendingMaintenanceActions.PendingMaintenanceActionDetails[0].OptInStatus" <<<"$out")" = next-maintenance ]' \
  apply-pending-maintenance-action --resource-identifier "$ARN" --apply-action system-update \
  --opt-in-type next-maintenance
run_as text "apply-pending-maintenance-action undo-opt-in" "x '^RESOURCEPENDINGMAINTENANCEACTIONS'" \
  apply-pending-maintenance-action --resource-identifier "$ARN" --apply-action system-update \
  --opt-in-type undo-opt-in
is "$(a rds describe-pending-maintenance-actions --resource-identifier "$ARN" --output text \
  --query 'PendingMaintenanceActions[0].PendingMaintenanceActionDetails[0].OptInStatus')" None \
  "... no opt-in left"

# ---- snapshots --------------------------------------------------------------------------

sql_ok() { [ "$(psql_at "$(resolve "$(endpoint_of "$1")")" "$2")" = "$3" ]; }
psql_at "$(resolve "$(endpoint_of everyday)")" "CREATE TABLE t(v text); INSERT INTO t VALUES ('kept')" >/dev/null
ok $? "a row in everyday"
run_as json "create-db-snapshot" '[ "$(jq -r .DBSnapshot.Status <<<"$out")" = creating ]' \
  create-db-snapshot --db-instance-identifier everyday --db-snapshot-identifier everyday-s1
snap_available() { [ "$(rdsctl describe-db-snapshots --db-snapshot-identifier "$1" | jq -r '.DBSnapshots[0].Status')" = available ]; }
check "everyday-s1 becomes available" poll 120 snap_available everyday-s1
check "wait db-snapshot-available (first check)" \
  timeout 25 aws --endpoint-url "$API" rds wait db-snapshot-available --db-snapshot-identifier everyday-s1
read4 "describe-db-snapshots" '.DBSnapshots[0] | .Engine == "postgres" and .SnapshotType == "manual"' \
  DescribeDBSnapshots '^DBSNAPSHOTS' 'DBSnapshots[0].DBInstanceIdentifier' everyday \
  -- describe-db-snapshots --db-snapshot-identifier everyday-s1
aws_call DescribeDBSnapshotAttributes \
  '.DBSnapshotAttributesResult | .DBSnapshotIdentifier == "everyday-s1" and .DBSnapshotAttributes[0].AttributeName == "restore"' \
  describe-db-snapshot-attributes --db-snapshot-identifier everyday-s1
run_as text "copy-db-snapshot" "x '^DBSNAPSHOT.*everyday-s2'" copy-db-snapshot \
  --source-db-snapshot-identifier everyday-s1 --target-db-snapshot-identifier everyday-s2
check "everyday-s2 becomes available" poll 120 snap_available everyday-s2
run_as table "restore-db-instance-from-db-snapshot" "t RestoreDBInstanceFromDBSnapshot" \
  restore-db-instance-from-db-snapshot --db-instance-identifier everyday-r1 \
  --db-snapshot-identifier everyday-s2 --db-instance-class db.t3.micro
check "everyday-r1 becomes available" poll 240 status_is everyday-r1 available
check "everyday-r1 holds the row" sql_ok everyday-r1 "SELECT v FROM t" kept
got=$(a rds delete-db-snapshot --db-snapshot-identifier everyday-s2 --output text \
  --query 'DBSnapshot.Status' 2>"$T_OUT")
is "$got" deleted "delete-db-snapshot --query DBSnapshot.Status"
run_as json "delete-db-snapshot" '[ "$(jq -r .DBSnapshot.DBSnapshotIdentifier <<<"$out")" = everyday-s1 ]' \
  delete-db-snapshot --db-snapshot-identifier everyday-s1
is "$(a rds describe-db-snapshots --db-instance-identifier everyday --snapshot-type manual \
  --query 'length(DBSnapshots)' --output text)" 0 "no manual snapshot left"

# ---- automated backups and point-in-time restore --------------------------------------

read4 "describe-db-instance-automated-backups" '.DBInstanceAutomatedBackups[0].Status == "active"' \
  DescribeDBInstanceAutomatedBackups '^DBINSTANCEAUTOMATEDBACKUPS' \
  'DBInstanceAutomatedBackups[0].DBInstanceIdentifier' everyday \
  -- describe-db-instance-automated-backups --db-instance-identifier everyday
run_as json "delete-db-instance (the snapshot restore)" \
  '[ "$(jq -r .DBInstance.DBInstanceStatus <<<"$out")" = deleting ]' \
  delete-db-instance --db-instance-identifier everyday-r1 --skip-final-snapshot
check "everyday-r1 is gone" poll 120 status_is everyday-r1 gone
check "wait db-instance-deleted (first check)" \
  timeout 25 aws --endpoint-url "$API" rds wait db-instance-deleted --db-instance-identifier everyday-r1
lrt_after_row() { local l; l=$(a rds describe-db-instances --db-instance-identifier everyday \
  --query 'DBInstances[0].LatestRestorableTime' --output text); [[ "$l" > "$1" ]]; }
ROW_AT=$(date -u +%Y-%m-%dT%H:%M:%S.000Z -d "@$(( $(date +%s) + $(rdsctl clock show | jq -r '.OffsetSeconds | floor') ))")
check "the archive reaches past the row" poll 60 lrt_after_row "$ROW_AT"
run_as text "restore-db-instance-to-point-in-time" "x '^DBINSTANCE.*everyday-pitr'" \
  restore-db-instance-to-point-in-time --source-db-instance-identifier everyday \
  --target-db-instance-identifier everyday-pitr --use-latest-restorable-time \
  --db-instance-class db.t3.micro
check "everyday-pitr becomes available" poll 240 status_is everyday-pitr available
check "everyday-pitr holds the row" sql_ok everyday-pitr "SELECT v FROM t" kept
got=$(a rds delete-db-instance --db-instance-identifier everyday-pitr --skip-final-snapshot \
  --delete-automated-backups --output text --query 'DBInstance.DBInstanceStatus' 2>"$T_OUT")
is "$got" deleting "delete-db-instance --query DBInstance.DBInstanceStatus"

# ---- stop and start ---------------------------------------------------------------------

run_as json "stop-db-instance" '[ "$(jq -r .DBInstance.DBInstanceStatus <<<"$out")" = stopping ]' \
  stop-db-instance --db-instance-identifier everyday
check "everyday is stopped" poll 120 status_is everyday stopped
run_as table "start-db-instance" "t StartDBInstance" start-db-instance --db-instance-identifier everyday
check "everyday is available again" poll 240 status_is everyday available
check "... with its row" sql_ok everyday "SELECT v FROM t" kept

# ---- the end: delete with a final snapshot, groups after it --------------------------

run_as text "delete-db-instance --final-db-snapshot-identifier" "x '^DBINSTANCE.*deleting'" \
  delete-db-instance --db-instance-identifier everyday --final-db-snapshot-identifier everyday-final
check "everyday is gone" poll 240 status_is everyday gone
check "everyday-pitr is gone" poll 120 status_is everyday-pitr gone
check "wait db-instance-deleted (first check)" \
  timeout 25 aws --endpoint-url "$API" rds wait db-instance-deleted --db-instance-identifier everyday
is "$(a rds describe-db-snapshots --db-snapshot-identifier everyday-final \
  --query 'DBSnapshots[0].Status' --output text)" available "the final snapshot is available"
run_as json "delete-db-snapshot (final)" '[ -n "$out" ]' delete-db-snapshot \
  --db-snapshot-identifier everyday-final
got=$(a rds delete-db-parameter-group --db-parameter-group-name everyday-pg --output json 2>"$T_OUT")
ok $? "delete-db-parameter-group (json, empty answer)"
is "$got" "" "... prints nothing"
run_as text "delete-db-subnet-group" '[ -z "$out" ]' delete-db-subnet-group \
  --db-subnet-group-name everyday-sn
is "$(a rds describe-db-parameter-groups --query "length(DBParameterGroups[?DBParameterGroupName=='everyday-pg'])" --output text)" \
  0 "the parameter group is gone"
is "$(a rds describe-db-subnet-groups --query "length(DBSubnetGroups[?DBSubnetGroupName=='everyday-sn'])" --output text)" \
  0 "the subnet group is gone"

# ---- errors keep their shape in every format --------------------------------------------

for fmt in json table text; do
  err=$(a rds describe-db-instances --db-instance-identifier nope --output "$fmt" 2>&1 >/dev/null)
  rc=$?
  isnt "$rc" 0 "a missing instance ($fmt): exit $rc"
  like "$err" '\(DBInstanceNotFound\)' "... (DBInstanceNotFound)"
done

is "$(node_dirs)" "" "no node directory left"
check "region down" region_stop
is "$(region_procs | xargs)" "" "no process of the region is left"

done_testing
