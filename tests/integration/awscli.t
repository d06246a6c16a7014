#!/usr/bin/env bash
# The user path through the real `aws` CLI (botocore parses our XML and
# our error codes): create, describe, errors, modify, reboot, events,
# engine versions, delete, and both waiters. The aws waiters poll every
# 30 s, so each is called only once the state is reached (seen through
# rdsctl) and must succeed at its first check: `timeout` turns a second
# round into a failure instead of a long wait.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v aws >/dev/null; then
  echo "1..0 # SKIP the aws CLI is not installed"
  exit 0
fi
# The aws CLI signs with the region's credentials (region.env, lib.sh).
export AWS_PAGER=

region_up || bail "the region did not start"
ok 0 "region up"

# awsrds ARGS...: aws rds against our region, JSON output.
awsrds() { aws --endpoint-url "$API" --output json rds "$@"; }

# aws_err ARGS...: runs a call that must fail; prints its stderr and sets
# AWS_RC to its exit status.
aws_err() {
  awsrds "$@" >/dev/null 2>"$T_OUT"
  AWS_RC=$?
  cat "$T_OUT"
}

out=$(awsrds create-db-instance --db-instance-identifier web --engine postgres \
  --db-instance-class db.t3.micro --master-username app --master-user-password 's3cret-pass' \
  --allocated-storage 20)
ok $? "aws rds create-db-instance"
is "$(jqs "$out" .DBInstance.DBInstanceStatus)" creating "the answer (XML via botocore) says creating"
is "$(jqs "$out" .DBInstance.DBInstanceIdentifier)" web "... for web"

poll 60 status_is web available
ok $? "web becomes available"
check "aws rds wait db-instance-available succeeds at its first check" \
  timeout 25 aws --endpoint-url "$API" rds wait db-instance-available --db-instance-identifier web

out=$(awsrds describe-db-instances)
ok $? "aws rds describe-db-instances"
is "$(jqs "$out" '.DBInstances | length')" 1 "one instance"
is "$(jqs "$out" '.DBInstances[0].DBInstanceStatus')" available "status available"
ep=$(jqs "$out" '.DBInstances[0].Endpoint.Address')
like "$ep" '^web\.[a-z0-9]+\.us-east-1\.rds\.internal$' "Endpoint.Address"
is "$(jqs "$out" '.DBInstances[0].Endpoint.Port')" 5432 "Endpoint.Port is a number, 5432"
is "$(jqs "$out" '.DBInstances[0].AllocatedStorage | type')" number "AllocatedStorage parsed as a number"
is "$(jqs "$out" '.DBInstances[0].MultiAZ | type')" boolean "MultiAZ parsed as a boolean"
is "$(jqs "$out" '.DBInstances[0].VpcSecurityGroups | length')" 1 "lists parsed (VpcSecurityGroups)"
addr=$(resolve "$ep")
is "$(psql_at "$addr" "SELECT 40 + 2")" 42 "psql reaches the endpoint aws described"

err=$(aws_err describe-db-instances --db-instance-identifier nope)
isnt "$AWS_RC" 0 "describe a missing instance: non-zero exit"
like "$err" '\(DBInstanceNotFound\)' "... (DBInstanceNotFound)"
err=$(aws_err describe-db-instances --max-records 5)
isnt "$AWS_RC" 0 "--max-records 5: non-zero exit"
like "$err" '\(InvalidParameterValue\).*20 and 100' "... (InvalidParameterValue), 20 to 100"
err=$(aws_err create-db-instance --db-instance-identifier 1bad --engine postgres \
  --db-instance-class db.t3.micro --master-username app --master-user-password 's3cret-pass' \
  --allocated-storage 20)
like "$err" '\(InvalidParameterValue\)' "a bad identifier: (InvalidParameterValue)"
err=$(aws_err create-db-instance --db-instance-identifier web --engine postgres \
  --db-instance-class db.t3.micro --master-username app --master-user-password 's3cret-pass' \
  --allocated-storage 20)
like "$err" '\(DBInstanceAlreadyExists\)' "a second web: (DBInstanceAlreadyExists)"

out=$(awsrds modify-db-instance --db-instance-identifier web --backup-retention-period 3 \
  --deletion-protection --apply-immediately)
ok $? "aws rds modify-db-instance"
is "$(jqs "$out" .DBInstance.BackupRetentionPeriod)" 3 "BackupRetentionPeriod 3"
is "$(jqs "$out" .DBInstance.DeletionProtection)" true "DeletionProtection true"
err=$(aws_err delete-db-instance --db-instance-identifier web --skip-final-snapshot)
like "$err" '\(InvalidParameterCombination\).*Cannot delete protected DB Instance' \
  "a protected delete: (InvalidParameterCombination)"
out=$(awsrds modify-db-instance --db-instance-identifier web --no-deletion-protection)
is "$(jqs "$out" .DBInstance.DeletionProtection)" false "--no-deletion-protection"

out=$(awsrds reboot-db-instance --db-instance-identifier web)
is "$(jqs "$out" .DBInstance.DBInstanceStatus)" rebooting "aws rds reboot-db-instance: rebooting"
poll 60 status_is web available
ok $? "available after the reboot"

out=$(awsrds describe-events --source-type db-instance --source-identifier web)
ok $? "aws rds describe-events"
msgs=$(jqs "$out" '.Events[].Message')
check "... DB instance created." has_line "$msgs" "DB instance created."
check "... DB instance restarted." has_line "$msgs" "DB instance restarted."
like "$(jqs "$out" '.Events[0].Date')" '^20[0-9][0-9]-' "... dates parsed"

out=$(awsrds describe-db-engine-versions --engine postgres)
ok $? "aws rds describe-db-engine-versions"
like "$(jqs "$out" '.DBEngineVersions[0].EngineVersion')" '^15\.[0-9]+$' "PostgreSQL 15.x"
is "$(jqs "$out" '.DBEngineVersions[0].DBParameterGroupFamily')" postgres15 "family postgres15"
out=$(awsrds describe-orderable-db-instance-options --engine postgres --db-instance-class db.t3.micro)
ok $? "aws rds describe-orderable-db-instance-options"
like "$(jqs "$out" '[.OrderableDBInstanceOptions[].StorageType] | join(" ")')" 'gp3' \
  "... offers gp3 for db.t3.micro"
out=$(aws --endpoint-url "$API" --output text rds describe-db-instances \
  --query 'DBInstances[].DBInstanceStatus')
is "$out" available "--output text with --query"

out=$(awsrds delete-db-instance --db-instance-identifier web --skip-final-snapshot)
is "$(jqs "$out" .DBInstance.DBInstanceStatus)" deleting "aws rds delete-db-instance: deleting"
poll 60 status_is web gone
ok $? "web is gone"
check "aws rds wait db-instance-deleted succeeds at its first check" \
  timeout 25 aws --endpoint-url "$API" rds wait db-instance-deleted --db-instance-identifier web
is "$(jqs "$(awsrds describe-db-instances)" '.DBInstances | length')" 0 "describe lists nothing"
is "$(node_dirs)" "" "no node directory left"

check "region down" region_stop
is "$(region_procs | xargs)" "" "no process of the region is left"

done_testing
