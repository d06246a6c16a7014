#!/usr/bin/env bash
# DB parameter groups (issue 6) against a real region: the actions and
# their AWS errors, values checked against PostgreSQL's own parameter
# list, a dynamic change that reaches `SHOW` in the running server without
# a restart (ParameterApplyStatus applying → in-sync), a static one and a
# formula that wait for a reboot (pending-reboot → in-sync), a group swap
# on ModifyDBInstance, paging of describe-db-parameters, and the real aws
# CLI.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

region_up || bail "the region did not start"
ok 0 "region up"

describe() { rdsctl describe-db-instances --db-instance-identifier "$1" | jq -r ".DBInstances[0]$2"; }
apply_status() { describe "$1" '.DBParameterGroups[0].ParameterApplyStatus'; }
apply_is() { [ "$(apply_status "$1")" = "$2" ]; }
show_is() { [ "$(sql "$1" "SHOW $2")" = "$3" ]; }
Q='Version=2014-10-31'
# modify GROUP NAME VALUE METHOD: the raw API's answer ("200 -" or "STATUS CODE").
modify() {
  api "Action=ModifyDBParameterGroup&$Q&DBParameterGroupName=$1&Parameters.Parameter.1.ParameterName=$2&Parameters.Parameter.1.ParameterValue=$3&Parameters.Parameter.1.ApplyMethod=$4"
}

# ---- groups ------------------------------------------------------------------------

out=$(rdsctl create-db-parameter-group --db-parameter-group-name web-pg \
  --db-parameter-group-family postgres15 --description "web tier")
ok $? "rdsctl create-db-parameter-group"
is "$(jqs "$out" .DBParameterGroup.DBParameterGroupArn)" \
  "arn:aws:rds:us-east-1:123456789012:pg:web-pg" "the group's ARN"
is "$(api "Action=CreateDBParameterGroup&$Q&DBParameterGroupName=web-pg&DBParameterGroupFamily=postgres15&Description=x")" \
  "400 DBParameterGroupAlreadyExists" "the same name again: DBParameterGroupAlreadyExists"
is "$(api "Action=CreateDBParameterGroup&$Q&DBParameterGroupName=old&DBParameterGroupFamily=postgres14&Description=x")" \
  "400 InvalidParameterValue" "family postgres14: InvalidParameterValue"
is "$(api "Action=CreateDBParameterGroup&$Q&DBParameterGroupName=bad--name&DBParameterGroupFamily=postgres15&Description=x")" \
  "400 InvalidParameterValue" "a bad name: InvalidParameterValue"
is "$(rdsctl describe-db-parameter-groups | jq -r '[.DBParameterGroups[].DBParameterGroupName] | join(" ")')" \
  "default.postgres15 web-pg" "describe-db-parameter-groups: the default and ours"
is "$(api "Action=DescribeDBParameterGroups&$Q&DBParameterGroupName=nope")" \
  "404 DBParameterGroupNotFound" "an unknown group: DBParameterGroupNotFound"

# ---- values checked against PostgreSQL's list ---------------------------------------

is "$(modify web-pg no_such_thing 1 immediate)" "400 InvalidParameterValue" "an unknown name: InvalidParameterValue"
is "$(modify web-pg work_mem lots immediate)" "400 InvalidParameterValue" "work_mem=lots: InvalidParameterValue"
is "$(modify web-pg work_mem 3TB immediate)" "400 InvalidParameterValue" "work_mem=3TB (out of range): InvalidParameterValue"
is "$(modify web-pg enable_seqscan maybe immediate)" "400 InvalidParameterValue" "a bad boolean: InvalidParameterValue"
is "$(modify web-pg wal_level minimal pending-reboot)" "400 InvalidParameterValue" "wal_level (rdsim's): InvalidParameterValue"
is "$(modify web-pg port 5433 pending-reboot)" "400 InvalidParameterValue" "port: InvalidParameterValue"
is "$(modify web-pg archive_command true immediate)" "400 InvalidParameterValue" "archive_command: InvalidParameterValue"
is "$(modify web-pg max_connections 50 immediate)" "400 InvalidParameterCombination" \
  "a static parameter with immediate: InvalidParameterCombination"
is "$(modify web-pg shared_buffers '%7BDBInstanceClassMemory%2F%7D' pending-reboot)" "400 InvalidParameterValue" \
  "a formula that does not parse: InvalidParameterValue"
is "$(modify default.postgres15 work_mem 8MB immediate)" "400 InvalidDBParameterGroupState" \
  "the default group cannot be modified"
many="Action=ModifyDBParameterGroup&$Q&DBParameterGroupName=web-pg"
for i in $(seq 1 21); do
  many="$many&Parameters.Parameter.$i.ParameterName=work_mem&Parameters.Parameter.$i.ParameterValue=${i}MB&Parameters.Parameter.$i.ApplyMethod=immediate"
done
is "$(api "$many")" "400 InvalidParameterValue" "21 parameters in one call: InvalidParameterValue"
is "$(modify web-pg log_min_duration_statement 250 immediate)" "200 -" "log_min_duration_statement=250"

# ---- an instance in the group -------------------------------------------------------

create_instance pgi --db-parameter-group-name web-pg >/dev/null
ok $? "create pgi with --db-parameter-group-name web-pg"
is "$(api "Action=CreateDBInstance&$Q&DBInstanceIdentifier=nopg&DBInstanceClass=db.t3.micro&Engine=postgres&MasterUsername=app&MasterUserPassword=secret-pass-1&AllocatedStorage=20&DBParameterGroupName=nope")" \
  "404 DBParameterGroupNotFound" "create with an unknown group: DBParameterGroupNotFound"
poll 180 status_is pgi available
ok $? "pgi available" || bail "no instance"
is "$(describe pgi '.DBParameterGroups[0].DBParameterGroupName')" web-pg "DBParameterGroups names web-pg"
poll 30 apply_is pgi in-sync
ok $? "ParameterApplyStatus in-sync"
is "$(sql pgi 'SHOW log_min_duration_statement')" 250ms "the group's value is in PostgreSQL from the start"
pm=$(postmaster_pid pgi)

# A dynamic parameter: a reload, no restart.
out=$(rdsctl modify-db-parameter-group --db-parameter-group-name web-pg \
  --parameters "ParameterName=work_mem,ParameterValue=8MB,ApplyMethod=immediate")
ok $? "rdsctl modify-db-parameter-group work_mem=8MB immediate"
is "$(jqs "$out" .DBParameterGroupName)" web-pg "it answers with the group's name"
poll 30 show_is pgi work_mem 8MB
ok $? "SHOW work_mem says 8MB"
poll 30 apply_is pgi in-sync
ok $? "and the instance is in-sync"
is "$(postmaster_pid pgi)" "$pm" "without a restart (same postmaster)"

# Static parameters and a formula: they wait for a reboot.
before=$(sql pgi 'SHOW max_connections')
# A formula's braces need the JSON form (aws's shorthand refuses them too).
out=$(rdsctl modify-db-parameter-group --db-parameter-group-name web-pg --parameters \
  '[{"ParameterName": "max_connections", "ParameterValue": "50", "ApplyMethod": "pending-reboot"},
    {"ParameterName": "shared_buffers", "ParameterValue": "{DBInstanceClassMemory/65536}",
     "ApplyMethod": "pending-reboot"}]')
ok $? "max_connections=50 and shared_buffers={DBInstanceClassMemory/65536} pending-reboot"
poll 10 apply_is pgi pending-reboot
ok $? "ParameterApplyStatus pending-reboot"
is "$(sql pgi 'SHOW max_connections')" "$before" "max_connections unchanged before the reboot"
is "$(api "Action=DeleteDBParameterGroup&$Q&DBParameterGroupName=web-pg")" "400 InvalidDBParameterGroupState" \
  "deleting a group in use: InvalidDBParameterGroupState"
is "$(api "Action=DeleteDBParameterGroup&$Q&DBParameterGroupName=default.postgres15")" "400 InvalidDBParameterGroupState" \
  "deleting the default group: InvalidDBParameterGroupState"
rdsctl reboot-db-instance --db-instance-identifier pgi >/dev/null
ok $? "reboot pgi"
poll 120 status_is pgi available
ok $? "available again"
poll 30 show_is pgi max_connections 50
ok $? "SHOW max_connections says 50"
is "$(sql pgi 'SHOW shared_buffers')" 128MB "shared_buffers = 1 GiB / 65536 pages of 8 kB = 128MB (db.t3.micro)"
poll 30 apply_is pgi in-sync
ok $? "in-sync after the reboot"
is "$(sql pgi 'SHOW work_mem')" 8MB "work_mem kept"

# ---- describe-db-parameters -----------------------------------------------------------

is "$(rdsctl describe-db-parameters --db-parameter-group-name web-pg --source user |
  jq -r '[.Parameters[] | .ParameterName + "=" + .ParameterValue] | join(" ")')" \
  "log_min_duration_statement=250 max_connections=50 shared_buffers={DBInstanceClassMemory/65536} work_mem=8MB" \
  "--source user lists what we set"
p=$(rdsctl describe-db-parameters --db-parameter-group-name web-pg --source user |
  jq -c '.Parameters[] | select(.ParameterName == "max_connections") | [.ApplyType, .DataType, .IsModifiable, .Source]')
is "$p" '["static","integer",true,"user"]' "max_connections is static, integer, modifiable"
all=$(rdsctl describe-db-parameters --db-parameter-group-name web-pg | jq '.Parameters | length')
ok $([ "$all" -gt 250 ] && echo 0 || echo 1) "all pages: $all parameters (PostgreSQL 15's list)"
page1=$(rdsctl describe-db-parameters --db-parameter-group-name web-pg --max-records 20)
is "$(jqs "$page1" '.Parameters | length')" 20 "--max-records 20: 20 parameters"
marker=$(jqs "$page1" .Marker)
page2=$(rdsctl describe-db-parameters --db-parameter-group-name web-pg --max-records 20 --marker "$marker")
isnt "$(jqs "$page2" '.Parameters[0].ParameterName')" "$(jqs "$page1" '.Parameters[0].ParameterName')" \
  "the Marker gives the next page"
is "$(api "Action=DescribeDBParameters&$Q&DBParameterGroupName=web-pg&MaxRecords=5")" "400 InvalidParameterValue" \
  "MaxRecords 5: InvalidParameterValue"
is "$(rdsctl describe-db-parameters --db-parameter-group-name default.postgres15 --source system |
  jq -r '.Parameters[] | select(.ParameterName == "shared_buffers") | .ParameterValue')" \
  "{DBInstanceClassMemory/32768}" "the default group shows RDS's formula for shared_buffers"
is "$(rdsctl describe-engine-default-parameters --db-parameter-group-family postgres15 |
  jq -r '.EngineDefaults.Parameters | length')" 100 "describe-engine-default-parameters: a page of 100"

# ---- reset ------------------------------------------------------------------------------

rdsctl reset-db-parameter-group --db-parameter-group-name web-pg \
  --parameters "ParameterName=work_mem,ApplyMethod=immediate" >/dev/null
ok $? "reset work_mem"
poll 30 show_is pgi work_mem 4MB
ok $? "SHOW work_mem is back to PostgreSQL's 4MB"

# ---- a group swap waits for a reboot ------------------------------------------------------

rdsctl create-db-parameter-group --db-parameter-group-name other-pg \
  --db-parameter-group-family postgres15 --description other >/dev/null
modify other-pg work_mem 16MB immediate >/dev/null
out=$(rdsctl modify-db-instance --db-instance-identifier pgi --db-parameter-group-name other-pg --apply-immediately)
ok $? "modify-db-instance --db-parameter-group-name other-pg"
is "$(jqs "$out" '.DBInstance.DBParameterGroups[0] | .DBParameterGroupName + " " + .ParameterApplyStatus')" \
  "other-pg pending-reboot" "other-pg, pending-reboot"
is "$(sql pgi 'SHOW work_mem')" 4MB "the old group still applies"
rdsctl reboot-db-instance --db-instance-identifier pgi >/dev/null
poll 120 status_is pgi available
ok $? "rebooted"
poll 30 show_is pgi work_mem 16MB
ok $? "other-pg's work_mem applies after the reboot"
poll 30 apply_is pgi in-sync
ok $? "in-sync"
is "$(sql pgi 'SHOW max_connections')" "$before" "web-pg's max_connections is gone"
is "$(api "Action=DeleteDBParameterGroup&$Q&DBParameterGroupName=web-pg")" "200 -" "web-pg, no longer used, is deleted"

# ---- Multi-AZ: both nodes get the parameters ----------------------------------------------

# The addresses of an instance's nodes (from the agents' rdsim.conf).
node_addrs() {
  sed -n "s/^listen_addresses = '\(.*\)'/\1/p" "$RDS_HOME"/agents/*/nodes/"$1"-*/data/rdsim.conf 2>/dev/null
}
# every_node_shows ID SETTING VALUE: SHOW on every node (primary and standby) says VALUE.
every_node_shows() {
  local a n=0
  for a in $(node_addrs "$1"); do
    [ "$(psql_at "$a" "SHOW $2")" = "$3" ] || return 1
    n=$((n + 1))
  done
  [ "$n" -eq 2 ]
}
create_instance pgm --multi-az --db-parameter-group-name other-pg >/dev/null
ok $? "create pgm (Multi-AZ) in other-pg"
poll 240 status_is pgm available
ok $? "pgm available"
poll 30 every_node_shows pgm work_mem 16MB
ok $? "primary and standby both have other-pg's work_mem"
modify other-pg work_mem 24MB immediate >/dev/null
poll 30 every_node_shows pgm work_mem 24MB
ok $? "a dynamic change reaches both nodes"
poll 30 apply_is pgm in-sync
ok $? "pgm in-sync"

# ---- the real aws CLI ------------------------------------------------------------------------

if command -v aws >/dev/null; then
  # The aws CLI signs with the region's credentials (region.env, lib.sh).
  export AWS_PAGER=
  awsrds() { aws --endpoint-url "$API" --output json rds "$@"; }
  out=$(awsrds create-db-parameter-group --db-parameter-group-name aws-pg \
    --db-parameter-group-family postgres15 --description "from aws")
  is "$(jqs "$out" .DBParameterGroup.DBParameterGroupName)" aws-pg "aws rds create-db-parameter-group"
  out=$(awsrds modify-db-parameter-group --db-parameter-group-name aws-pg \
    --parameters '[{"ParameterName": "work_mem", "ParameterValue": "32MB", "ApplyMethod": "immediate"},
      {"ParameterName": "max_connections", "ParameterValue": "LEAST({DBInstanceClassMemory/9531392},5000)",
       "ApplyMethod": "pending-reboot"}]')
  is "$(jqs "$out" .DBParameterGroupName)" aws-pg "aws rds modify-db-parameter-group"
  is "$(awsrds describe-db-parameters --db-parameter-group-name aws-pg --source user |
    jq -r '[.Parameters[].ParameterName] | join(" ")')" "max_connections work_mem" \
    "aws rds describe-db-parameters (its paginator follows the Marker)"
  awsrds modify-db-parameter-group --db-parameter-group-name aws-pg \
    --parameters "ParameterName=shared_buffers,ParameterValue=128MB,ApplyMethod=immediate" >/dev/null 2>"$T_OUT"
  grep -q InvalidParameterCombination "$T_OUT"
  ok $? "aws sees InvalidParameterCombination"
  is "$(awsrds describe-db-parameter-groups --db-parameter-group-name aws-pg |
    jq -r '.DBParameterGroups[0].DBParameterGroupFamily')" postgres15 "aws rds describe-db-parameter-groups"
  awsrds delete-db-parameter-group --db-parameter-group-name aws-pg
  ok $? "aws rds delete-db-parameter-group"
else
  ok 0 "# SKIP the aws CLI is not installed"
fi

rdsctl delete-db-instance --db-instance-identifier pgi --skip-final-snapshot >/dev/null
rdsctl delete-db-instance --db-instance-identifier pgm --skip-final-snapshot >/dev/null
poll 120 eval '[ -z "$(instance_ids)" ]'
ok $? "pgi and pgm deleted"
is "$(api "Action=DeleteDBParameterGroup&$Q&DBParameterGroupName=other-pg")" "200 -" "other-pg deleted"

check "region down" region_stop
is "$(region_procs | xargs)" "" "no process of the region is left"

done_testing
