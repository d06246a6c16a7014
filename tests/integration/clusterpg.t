#!/usr/bin/env bash
# Issue 15, DB cluster parameter groups that configure a Multi-AZ DB
# cluster, through the real `aws` CLI: ModifyDBClusterParameterGroup and
# its errors (unknown name, bad value, a replication setting, immediate on
# a static parameter, the default group), a dynamic change that reaches
# `SHOW` on all three members without a restart, a static one that leaves
# every member pending-reboot until RebootDBCluster applies it on all
# three, DescribeDBClusterParameters (--source user, paging),
# DescribeEngineDefaultClusterParameters, ResetDBClusterParameterGroup,
# CopyDBClusterParameterGroup (parameters and its own Tags), a group in use
# not deleted, ModifyDBCluster switching the group (pending-reboot, then
# the new group's values), rdsctl's mirrors, and a reset max_connections
# that a reboot brings to all three members (the readers' hot standby
# floor). One cluster.
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
aws_err() { aws --endpoint-url "$API" --output json rds "$@" >/dev/null 2>"$T_OUT"; cat "$T_OUT"; }
C=cpg
cl() { rdsctl describe-db-clusters --db-cluster-identifier $C | jq -r ".DBClusters[0]$1"; }
cl_status_is() { [ "$(cl .Status)" = "$1" ]; }
# Every member's DBClusterParameterGroupStatus is $1.
members_are() {
  [ "$(cl ' | [.DBClusterMembers[].DBClusterParameterGroupStatus] | unique | join(" ")')" = "$1" ] &&
    [ "$(cl '.DBClusterMembers | length')" = 3 ]
}
member_addr() {
  local pm
  for pm in "$RDS_HOME"/agents/*/nodes/"$1"-*/data/postmaster.pid; do
    [ -f "$pm" ] && sed -n 6p "$pm" && return 0
  done
  return 1
}
member_pid() {
  local pm
  for pm in "$RDS_HOME"/agents/*/nodes/"$1"-*/data/postmaster.pid; do
    [ -f "$pm" ] && head -1 "$pm" && return 0
  done
  return 1
}
# SHOW $1 on each member, space-separated, in member order.
show_all() {
  local i out=""
  for i in 1 2 3; do
    out+="$(psql_at "$(member_addr $C-instance-$i)" "SHOW $1") "
  done
  echo "${out% }"
}
show_all_is() { [ "$(show_all "$1")" = "$2 $2 $2" ]; }
pids() { echo "$(member_pid $C-instance-1) $(member_pid $C-instance-2) $(member_pid $C-instance-3)"; }
user_params() {
  awsrds describe-db-cluster-parameters --db-cluster-parameter-group-name "$1" --source user |
    jq -r '[.Parameters[] | .ParameterName + "=" + .ParameterValue] | join(" ")'
}
mod() { # GROUP NAME VALUE METHOD
  awsrds modify-db-cluster-parameter-group --db-cluster-parameter-group-name "$1" \
    --parameters "ParameterName=$2,ParameterValue=$3,ApplyMethod=$4"
}
mod_err() {
  aws_err modify-db-cluster-parameter-group --db-cluster-parameter-group-name "$1" \
    --parameters "ParameterName=$2,ParameterValue=$3,ApplyMethod=$4"
}

# ---- 1. a group and ModifyDBClusterParameterGroup's errors -------------------------

awsrds create-db-cluster-parameter-group --db-cluster-parameter-group-name cpg-a \
  --db-parameter-group-family postgres15 --description "group a" >/dev/null
ok $? "CreateDBClusterParameterGroup cpg-a"
like "$(mod_err cpg-a no_such_thing 1 immediate)" "InvalidParameterValue" \
  "an unknown parameter: InvalidParameterValue"
like "$(mod_err cpg-a work_mem lots immediate)" "InvalidParameterValue" \
  "a bad value: InvalidParameterValue"
like "$(mod_err cpg-a synchronous_standby_names '*' immediate)" "InvalidParameterValue" \
  "synchronous_standby_names stays the cluster's: InvalidParameterValue"
like "$(mod_err cpg-a max_connections 150 immediate)" "InvalidParameterCombination" \
  "immediate on a static parameter: InvalidParameterCombination"
like "$(mod_err default.postgres15 work_mem 8MB immediate)" "InvalidDBParameterGroupState" \
  "the default group cannot be modified"
like "$(mod_err nope work_mem 8MB immediate)" "DBParameterGroupNotFound" \
  "an unknown group: DBParameterGroupNotFound"
like "$(aws_err reset-db-cluster-parameter-group --db-cluster-parameter-group-name cpg-a \
  --reset-all-parameters --parameters ParameterName=work_mem,ApplyMethod=immediate)" \
  "InvalidParameterCombination" "reset: all and a list together refused"
is "$(user_params cpg-a)" "" "nothing user-set after the refused requests"

# ---- 2. the cluster, then a dynamic change on all three members ----------------------

awsrds create-db-cluster --db-cluster-identifier $C --engine postgres \
  --db-cluster-instance-class db.t3.micro --allocated-storage 100 --storage-type io1 --iops 1000 \
  --master-username "$T_USER" --master-user-password "$T_PASS" --backup-retention-period 1 \
  --db-cluster-parameter-group-name cpg-a >/dev/null
ok $? "CreateDBCluster with cpg-a"
poll 150 cl_status_is available; ok $? "the cluster is available"
poll 30 members_are in-sync; ok $? "every member in-sync"
is "$(show_all work_mem)" "4MB 4MB 4MB" "work_mem is the default on the three members"
before=$(pids)
is "$(mod cpg-a work_mem 12MB immediate | jq -r .DBClusterParameterGroupName)" cpg-a \
  "ModifyDBClusterParameterGroup work_mem immediate answers the group's name"
mod cpg-a log_min_duration_statement 250 immediate >/dev/null
poll 60 show_all_is work_mem 12MB; ok $? "work_mem 12MB on all three members: $(show_all work_mem)"
poll 30 show_all_is log_min_duration_statement 250ms
ok $? "log_min_duration_statement too"
is "$(pids)" "$before" "no member restarted"
poll 30 members_are in-sync; ok $? "the members are in-sync"

# ---- 3. a static change: pending-reboot until RebootDBCluster --------------------------

mod cpg-a max_connections 150 pending-reboot >/dev/null
ok $? "max_connections 150 pending-reboot"
poll 10 members_are pending-reboot; ok $? "every member pending-reboot"
isnt "$(show_all max_connections)" "150 150 150" "not applied before the reboot"
awsrds reboot-db-cluster --db-cluster-identifier $C >/dev/null
ok $? "RebootDBCluster"
poll 150 cl_status_is available; ok $? "available after the reboot"
poll 60 show_all_is max_connections 150; ok $? "max_connections 150 on all three"
poll 30 members_are in-sync; ok $? "in-sync after the reboot"
is "$(show_all work_mem)" "12MB 12MB 12MB" "the dynamic change survives the reboot"

# ---- 4. describe, engine defaults, reset ---------------------------------------------

is "$(user_params cpg-a)" "log_min_duration_statement=250 max_connections=150 work_mem=12MB" \
  "DescribeDBClusterParameters --source user"
out=$(awsrds describe-db-cluster-parameters --db-cluster-parameter-group-name cpg-a \
  --source engine-default --max-items 5)
is "$(jq -r '.Parameters | length' <<<"$out")" 5 "paging: a first page of 5"
is "$(jq -r '[.Parameters[].Source] | unique | join(" ")' <<<"$out")" engine-default \
  "--source engine-default"
isnt "$(jq -r '.NextToken // ""' <<<"$out")" "" "and a token for the next"
is "$(api "Action=DescribeDBClusterParameters&Version=2014-10-31&DBClusterParameterGroupName=cpg-a&MaxRecords=20&Marker=20")" \
  "200 -" "MaxRecords/Marker on the wire"
is "$(api "Action=DescribeDBClusterParameters&Version=2014-10-31&DBClusterParameterGroupName=cpg-a&Source=mine")" \
  "400 InvalidParameterValue" "a bad Source: InvalidParameterValue"
like "$(aws_err describe-db-cluster-parameters --db-cluster-parameter-group-name nope)" \
  "DBParameterGroupNotFound" "DescribeDBClusterParameters of an unknown group"
# --no-paginate: the CLI's paginator keeps only EngineDefaults.Parameters
# (botocore lists no non-aggregate keys for it), whatever the server says.
first=$(awsrds describe-engine-default-cluster-parameters --no-paginate --max-records 20 --db-parameter-group-family postgres15)
out=$(awsrds describe-engine-default-cluster-parameters --db-parameter-group-family postgres15)
is "$(jq -r '.EngineDefaults.DBParameterGroupFamily' <<<"$first")" postgres15 \
  "DescribeEngineDefaultClusterParameters: the family"
is "$(jq -r '.EngineDefaults.Parameters[] | select(.ParameterName == "shared_buffers") | .Source' \
  <<<"$out")" system "and the system rows"
like "$(aws_err describe-engine-default-cluster-parameters --db-parameter-group-family postgres14)" \
  "InvalidParameterValue" "another family: InvalidParameterValue"
awsrds reset-db-cluster-parameter-group --db-cluster-parameter-group-name cpg-a \
  --parameters ParameterName=log_min_duration_statement,ApplyMethod=immediate >/dev/null
ok $? "ResetDBClusterParameterGroup of one parameter"
poll 60 show_all_is log_min_duration_statement -1; ok $? "back to the default on all three"
is "$(user_params cpg-a)" "max_connections=150 work_mem=12MB" "the others stay"

# ---- 5. copy, delete in use --------------------------------------------------------

out=$(awsrds copy-db-cluster-parameter-group --source-db-cluster-parameter-group-identifier cpg-a \
  --target-db-cluster-parameter-group-identifier CPG-B \
  --target-db-cluster-parameter-group-description "group b" --tags Key=team,Value=b)
is "$(jq -r '.DBClusterParameterGroup | [.DBClusterParameterGroupName, .Description] | join(" ")' \
  <<<"$out")" "cpg-b group b" "CopyDBClusterParameterGroup: the copy, lowercase"
BARN=$(jq -r .DBClusterParameterGroup.DBClusterParameterGroupArn <<<"$out")
is "$(user_params cpg-b)" "max_connections=150 work_mem=12MB" "the copy has the source's parameters"
is "$(awsrds list-tags-for-resource --resource-name "$BARN" |
  jq -r '.TagList | map(.Key + "=" + .Value) | join(",")')" "team=b" "and its own Tags"
like "$(aws_err copy-db-cluster-parameter-group --source-db-cluster-parameter-group-identifier cpg-a \
  --target-db-cluster-parameter-group-identifier cpg-b --target-db-cluster-parameter-group-description x)" \
  "DBParameterGroupAlreadyExists" "a copy onto an existing name"
like "$(aws_err copy-db-cluster-parameter-group --source-db-cluster-parameter-group-identifier \
  default.postgres15 --target-db-cluster-parameter-group-identifier cpg-c \
  --target-db-cluster-parameter-group-description x)" "InvalidParameterValue" \
  "the default group cannot be copied"
like "$(aws_err copy-db-cluster-parameter-group --source-db-cluster-parameter-group-identifier nope \
  --target-db-cluster-parameter-group-identifier cpg-c --target-db-cluster-parameter-group-description x)" \
  "DBParameterGroupNotFound" "an unknown source"
like "$(aws_err delete-db-cluster-parameter-group --db-cluster-parameter-group-name cpg-a)" \
  "InvalidDBParameterGroupState" "a group in use cannot be deleted"

# ---- 6. ModifyDBCluster switches the group -----------------------------------------

mod cpg-b work_mem 20MB immediate >/dev/null
ok $? "work_mem 20MB in cpg-b (no cluster uses it yet)"
is "$(show_all work_mem)" "12MB 12MB 12MB" "the members keep cpg-a's value"
like "$(aws_err modify-db-cluster --db-cluster-identifier $C --db-cluster-parameter-group-name nope \
  --apply-immediately)" "DBClusterParameterGroupNotFound" "ModifyDBCluster to an unknown group"
is "$(awsrds modify-db-cluster --db-cluster-identifier $C --db-cluster-parameter-group-name cpg-b \
  --apply-immediately | jq -r .DBCluster.DBClusterParameterGroup)" cpg-b \
  "ModifyDBCluster --db-cluster-parameter-group-name cpg-b"
poll 10 members_are pending-reboot; ok $? "every member pending-reboot after the switch"
is "$(show_all work_mem)" "12MB 12MB 12MB" "still cpg-a's values until the reboot"
like "$(aws_err delete-db-cluster-parameter-group --db-cluster-parameter-group-name cpg-a)" \
  "InvalidDBParameterGroupState" "cpg-a is not deleted while the members still run it"
like "$(aws_err modify-db-instance --db-instance-identifier $C-instance-2 \
  --db-parameter-group-name default.postgres15 --apply-immediately)" \
  "InvalidParameterCombination.*ModifyDBCluster" "a member's own parameter group is refused"
rdsctl reboot-db-cluster --db-cluster-identifier $C >/dev/null
ok $? "rdsctl reboot-db-cluster"
poll 150 cl_status_is available; ok $? "available after the reboot"
poll 60 show_all_is work_mem 20MB; ok $? "cpg-b's work_mem on all three"
poll 30 members_are in-sync; ok $? "in-sync"
awsrds delete-db-cluster-parameter-group --db-cluster-parameter-group-name cpg-a
ok $? "cpg-a deleted once no member runs it"

# ---- 7. rdsctl's mirrors -------------------------------------------------------------

rdsctl modify-db-cluster-parameter-group --db-cluster-parameter-group-name cpg-b \
  --parameters ParameterName=work_mem,ParameterValue=24MB,ApplyMethod=immediate >/dev/null
ok $? "rdsctl modify-db-cluster-parameter-group"
is "$(rdsctl describe-db-cluster-parameters --db-cluster-parameter-group-name cpg-b --source user |
  jq -r '[.Parameters[].ParameterName] | join(" ")')" "max_connections work_mem" \
  "rdsctl describe-db-cluster-parameters --source user"
poll 60 show_all_is work_mem 24MB; ok $? "rdsctl's change on all three"
rdsctl reset-db-cluster-parameter-group --db-cluster-parameter-group-name cpg-b \
  --reset-all-parameters >/dev/null
ok $? "rdsctl reset-db-cluster-parameter-group --reset-all-parameters"
poll 60 show_all_is work_mem 4MB; ok $? "work_mem back to the default on all three"
poll 10 members_are pending-reboot; ok $? "max_connections' reset waits for a reboot"
is "$(show_all max_connections)" "150 150 150" "until then the members keep 150"

# ---- 8. the reset applied by a reboot: the readers too -------------------------------
# The readers' control files recorded the writer's 150, and PostgreSQL 15
# refuses a hot standby configured with less. A reader that starts before
# it replayed the writer's parameter change runs on the agent's floor (the
# control file's 150), then restarts once to 112 when its control file
# says 112 (agent/nodeconf.h "hot standby floor"). All three end at the
# group's value, as RebootDBCluster promises.

quorum() { psql_at "$1" "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'quorum'"; }
quorum_is() { [ "$(quorum "$1")" = "$2" ]; }
awsrds reboot-db-cluster --db-cluster-identifier $C >/dev/null
ok $? "RebootDBCluster after the reset"
poll 150 cl_status_is available; ok $? "available after the reboot"
# db.t3.micro: LEAST({DBInstanceClassMemory/9531392},5000) = 112.
poll 180 show_all_is max_connections 112
ok $? "max_connections back to the class default on all three: $(show_all max_connections)"
poll 60 members_are in-sync; ok $? "in-sync after the reboot"
writer=$(cl '.DBClusterMembers[] | select(.IsClusterWriter) | .DBInstanceIdentifier')
waddr=$(member_addr "$writer")
poll 30 quorum_is "$waddr" 2; ok $? "both readers stream to the writer as quorum standbys: $(quorum "$waddr")"
out=$(PGPASSWORD=$T_PASS PGCONNECT_TIMEOUT=5 timeout 60 "$PG_BIN/psql" -X -q -At \
  "host=$waddr port=5432 user=$T_USER dbname=postgres" \
  -c "CREATE TABLE hsfloor AS SELECT 42 AS x" -c "SELECT x FROM hsfloor" 2>&1)
is "$out" 42 "a write on the writer commits (a synchronous reader acknowledged it)"
diag "hot standby floors set/lifted: $(cat "$RDS_HOME"/logs/agent-*.log 2>/dev/null |
  grep -c 'hot standby floor set')/$(cat "$RDS_HOME"/logs/agent-*.log 2>/dev/null |
  grep -c 'hot standby floor no longer needed')"

# ---- 9. cleanup -----------------------------------------------------------------------

awsrds delete-db-cluster --db-cluster-identifier $C --skip-final-snapshot >/dev/null
ok $? "DeleteDBCluster"
gone_cluster() { [ "$(api "Action=DescribeDBClusters&Version=2014-10-31&DBClusterIdentifier=$C")" = "404 DBClusterNotFoundFault" ]; }
poll 120 gone_cluster; ok $? "the cluster is gone"
awsrds delete-db-cluster-parameter-group --db-cluster-parameter-group-name cpg-b
ok $? "cpg-b deleted"

done_testing
