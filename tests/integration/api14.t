#!/usr/bin/env bash
# Issue 14, item 2, through the wire and the real `aws` CLI: empty means
# absent (CreateDBInstance exactly as Terraform sends it, EngineVersion=
# and DBName=), tags on every RDS resource type (stored from Create*,
# NotFound per type, gone with the resource), snapshot attributes and
# RDS's sharing rules, CopyDBParameterGroup, the discovery calls
# (DescribeAccountAttributes with real counts, option groups, valid
# modifications), and a request for a service rdsim does not serve
# answered in that service's own error shape.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v aws >/dev/null; then
  echo "1..0 # SKIP the aws CLI is not installed"
  exit 0
fi
export AWS_PAGER=

region_up || bail "the region did not start"
ok 0 "region up"

jqc() { printf "%s" "$1" | jq -c "$2"; }
awsrds() { aws --endpoint-url "$API" --output json rds "$@"; }
# aws_err SERVICE ARGS...: a call that must fail; prints its stderr.
aws_err() { aws --endpoint-url "$API" --output json "$@" >/dev/null 2>"$T_OUT"; cat "$T_OUT"; }
ACCT=$(aws --endpoint-url "$API" sts get-caller-identity | jq -r .Account)
ARN=arn:aws:rds:$RDS_REGION:$ACCT
tags_of() { awsrds list-tags-for-resource --resource-name "$1" | jq -c '[.TagList[] | [.Key, .Value]]'; }

# ---- 1. empty means absent ---------------------------------------------------

# CreateDBInstance's body as the Terraform provider sends it (§11.1).
tf_body="Action=CreateDBInstance&Version=2014-10-31&DBInstanceIdentifier=tf&Engine=postgres"
tf_body+="&EngineVersion=&DBName=&DBInstanceClass=db.t3.micro&MasterUsername=app"
tf_body+="&MasterUserPassword=s3cret-pass&AllocatedStorage=20&BackupRetentionPeriod=1"
tf_body+="&Tags.Tag.1.Key=owner&Tags.Tag.1.Value="
is "$(api "$tf_body")" "200 -" "CreateDBInstance with EngineVersion= and DBName= (Terraform's body)"
out=$(awsrds describe-db-instances --db-instance-identifier tf)
ver=$(awsrds describe-db-engine-versions --engine postgres | jq -r '.DBEngineVersions[0].EngineVersion')
major=${ver%%.*}
is "$(jqs "$out" '.DBInstances[0].EngineVersion')" "$ver" "EngineVersion= took the default ($ver)"
is "$(jqs "$out" '.DBInstances[0].DBName // "absent"')" absent "DBName= is no database name"
is "$(jqc "$out" '.DBInstances[0].TagList')" '[{"Key":"owner","Value":""}]' \
  "a tag's empty Value is kept (a value, not an absence)"
is "$(api 'Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=&MaxRecords=&Marker=')" \
  "200 -" "DescribeDBInstances with DBInstanceIdentifier=, MaxRecords=, Marker="
is "$(api 'Action=CreateDBParameterGroup&Version=2014-10-31&DBParameterGroupName=&DBParameterGroupFamily=x&Description=d')" \
  "400 MissingParameter" "a required parameter given empty: MissingParameter"
# Only an available instance gets as far as "what was asked": creating or
# backing-up (its first backup), it is InvalidDBInstanceState first.
poll 120 eval '[ "$(status_of tf)" = available ]'
is "$(api 'Action=ModifyDBInstance&Version=2014-10-31&DBInstanceIdentifier=tf&BackupRetentionPeriod=')" \
  "400 InvalidParameterCombination" "ModifyDBInstance with only empty values: no modifications requested"
poll 90 status_is tf available
ok $? "tf becomes available"

# ---- 2. tags on every resource type -----------------------------------------

out=$(awsrds create-db-parameter-group --db-parameter-group-name pg1 \
  --db-parameter-group-family "postgres$major" --description 'api14' --tags Key=team,Value=db)
ok $? "create-db-parameter-group --tags"
is "$(tags_of "$ARN:pg:pg1")" '[["team","db"]]' "pg: the Create's tags"
awsrds add-tags-to-resource --resource-name "$ARN:pg:pg1" --tags Key=env,Value=dev Key=team,Value=ops
is "$(tags_of "$ARN:pg:pg1")" '[["env","dev"],["team","ops"]]' "pg: add (an equal key replaced)"
awsrds remove-tags-from-resource --resource-name "$ARN:pg:pg1" --tag-keys env nope
is "$(tags_of "$ARN:pg:pg1")" '[["team","ops"]]' "pg: remove"
like "$(aws_err rds list-tags-for-resource --resource-name "$ARN:pg:nope")" \
  '\(DBParameterGroupNotFound\)' "pg: a missing group is DBParameterGroupNotFound"
is "$(tags_of "$ARN:pg:default.postgres$major")" '[]' "pg: the default group has no tags"

awsrds modify-db-parameter-group --db-parameter-group-name pg1 \
  --parameters ParameterName=work_mem,ParameterValue=8192,ApplyMethod=immediate >/dev/null
out=$(awsrds copy-db-parameter-group --source-db-parameter-group-identifier "$ARN:pg:pg1" \
  --target-db-parameter-group-identifier pg2 --target-db-parameter-group-description copy \
  --tags Key=copied,Value=yes)
is "$(jqs "$out" .DBParameterGroup.DBParameterGroupFamily)" "postgres$major" \
  "copy-db-parameter-group (source by ARN): the family"
is "$(awsrds describe-db-parameters --db-parameter-group-name pg2 --source user |
  jq -r '.Parameters[] | select(.ParameterName == "work_mem") | .ParameterValue')" 8192 \
  "... the user-set parameters copied"
is "$(tags_of "$ARN:pg:pg2")" '[["copied","yes"]]' "... its own tags, not the source's"
like "$(aws_err rds copy-db-parameter-group --source-db-parameter-group-identifier nope \
  --target-db-parameter-group-identifier pg3 --target-db-parameter-group-description x)" \
  '\(DBParameterGroupNotFound\)' "copy of a missing group: DBParameterGroupNotFound"
like "$(aws_err rds copy-db-parameter-group --source-db-parameter-group-identifier pg1 \
  --target-db-parameter-group-identifier pg2 --target-db-parameter-group-description x)" \
  '\(DBParameterGroupAlreadyExists\)' "copy onto an existing group: DBParameterGroupAlreadyExists"
awsrds delete-db-parameter-group --db-parameter-group-name pg2
awsrds create-db-parameter-group --db-parameter-group-name pg2 \
  --db-parameter-group-family "postgres$major" --description again >/dev/null
is "$(tags_of "$ARN:pg:pg2")" '[]' "pg: a group deleted and made again has no old tags"

subnets=$(aws --endpoint-url "$API" ec2 describe-subnets | jq -r '[.Subnets[].SubnetId] | join(" ")')
# shellcheck disable=SC2086
awsrds create-db-subnet-group --db-subnet-group-name sg1 --db-subnet-group-description d \
  --subnet-ids $subnets --tags Key=net,Value=a >/dev/null
ok $? "create-db-subnet-group --tags"
is "$(tags_of "$ARN:subgrp:sg1")" '[["net","a"]]' "subgrp: the Create's tags"
like "$(aws_err rds list-tags-for-resource --resource-name "$ARN:subgrp:nope")" \
  '\(DBSubnetGroupNotFoundFault\)' "subgrp: a missing group is DBSubnetGroupNotFoundFault"
awsrds delete-db-subnet-group --db-subnet-group-name sg1
like "$(aws_err rds add-tags-to-resource --resource-name "$ARN:subgrp:sg1" --tags Key=a,Value=b)" \
  '\(DBSubnetGroupNotFoundFault\)' "subgrp: tags of a deleted group refused"

topic=$(aws --endpoint-url "$API" sns create-topic --name api14 | jq -r .TopicArn)
awsrds create-event-subscription --subscription-name es1 --sns-topic-arn "$topic" \
  --tags Key=page,Value=oncall >/dev/null
ok $? "create-event-subscription --tags"
is "$(tags_of "$ARN:es:es1")" '[["page","oncall"]]' "es: the Create's tags"
awsrds modify-event-subscription --subscription-name es1 --no-enabled >/dev/null
is "$(tags_of "$ARN:es:es1")" '[["page","oncall"]]' "es: a Modify keeps them"
awsrds delete-event-subscription --subscription-name es1 >/dev/null
like "$(aws_err rds list-tags-for-resource --resource-name "$ARN:es:es1")" \
  '\(SubscriptionNotFound\)' "es: a deleted subscription is SubscriptionNotFound"

is "$(tags_of "$ARN:og:default:postgres-$major")" '[]' "og: the default option group"
like "$(aws_err rds list-tags-for-resource --resource-name "$ARN:og:nope")" \
  '\(OptionGroupNotFoundFault\)' "og: a missing group is OptionGroupNotFoundFault"
like "$(aws_err rds list-tags-for-resource --resource-name "$ARN:cluster:c1")" \
  '\(InvalidParameterValue\)' "a type rdsim does not keep: InvalidParameterValue"
like "$(aws_err rds list-tags-for-resource --resource-name "arn:aws:rds:eu-west-9:$ACCT:pg:pg1")" \
  '\(InvalidParameterValue\)' "another region's ARN: InvalidParameterValue"
is "$(tags_of "$ARN:db:tf")" '[["owner",""]]' "db: tags as before"

# ---- 3. snapshots: tags and the restore attribute ----------------------------

awsrds create-db-snapshot --db-instance-identifier tf --db-snapshot-identifier s1 \
  --tags Key=keep,Value=1 >/dev/null
ok $? "create-db-snapshot --tags"
snap_ok() { [ "$(awsrds describe-db-snapshots --db-snapshot-identifier "$1" |
  jq -r '.DBSnapshots[0].Status')" = available ]; }
poll 120 snap_ok s1
ok $? "s1 becomes available"
is "$(tags_of "$ARN:snapshot:s1")" '[["keep","1"]]' "snapshot: the Create's tags"
is "$(awsrds describe-db-snapshots --db-snapshot-identifier s1 | jq -c '.DBSnapshots[0].TagList')" \
  '[{"Key":"keep","Value":"1"}]' "... and in describe-db-snapshots' TagList"
awsrds modify-db-instance --db-instance-identifier tf --copy-tags-to-snapshot --apply-immediately \
  >/dev/null
out=$(awsrds create-db-snapshot --db-instance-identifier tf --db-snapshot-identifier s2)
is "$(jqc "$out" '.DBSnapshot.TagList')" '[{"Key":"owner","Value":""}]' \
  "CopyTagsToSnapshot: a snapshot without --tags gets the instance's tags"
attrs() { awsrds describe-db-snapshot-attributes --db-snapshot-identifier "$1" |
  jq -c '[.DBSnapshotAttributesResult.DBSnapshotAttributes[] | [.AttributeName, .AttributeValues]]'; }
is "$(attrs s1)" '[["restore",[]]]' "describe-db-snapshot-attributes: restore, shared with none"
out=$(awsrds modify-db-snapshot-attribute --db-snapshot-identifier s1 --attribute-name restore \
  --values-to-add 111122223333 444455556666)
is "$(jqc "$out" '.DBSnapshotAttributesResult.DBSnapshotAttributes[0].AttributeValues')" \
  '["111122223333","444455556666"]' "modify: two accounts added (the answer)"
awsrds modify-db-snapshot-attribute --db-snapshot-identifier s1 --attribute-name restore \
  --values-to-add all --values-to-remove 111122223333 >/dev/null
is "$(attrs "$ARN:snapshot:s1")" '[["restore",["444455556666","all"]]]' \
  "modify: public (all), one removed; described by ARN"
like "$(aws_err rds modify-db-snapshot-attribute --db-snapshot-identifier s1 \
  --attribute-name restore --values-to-add 12345)" '\(InvalidParameterValue\)' \
  "an account id of 5 digits: InvalidParameterValue"
like "$(aws_err rds modify-db-snapshot-attribute --db-snapshot-identifier s1 \
  --attribute-name copy --values-to-add all)" '\(InvalidParameterValue\)' \
  "an attribute other than restore: InvalidParameterValue"
like "$(aws_err rds describe-db-snapshot-attributes --db-snapshot-identifier nope)" \
  '\(DBSnapshotNotFound\)' "attributes of a missing snapshot: DBSnapshotNotFound"
many=$(for i in $(seq 100000000001 100000000020); do printf '%s ' "$i"; done)
# shellcheck disable=SC2086
like "$(aws_err rds modify-db-snapshot-attribute --db-snapshot-identifier s1 \
  --attribute-name restore --values-to-add $many)" '\(SharedSnapshotQuotaExceeded\)' \
  "21 accounts: SharedSnapshotQuotaExceeded"
is "$(attrs s1)" '[["restore",["444455556666","all"]]]' "... and nothing of it stored"

# Encrypted copies: never public; under the AWS managed key, never shared.
key=$(aws --endpoint-url "$API" kms create-key --description api14 | jq -r .KeyMetadata.KeyId)
awsrds copy-db-snapshot --source-db-snapshot-identifier s1 --target-db-snapshot-identifier s-cmk \
  --kms-key-id "$key" --copy-tags >/dev/null
awsrds copy-db-snapshot --source-db-snapshot-identifier s1 --target-db-snapshot-identifier s-aws \
  --kms-key-id alias/aws/rds --copy-tags --tags Key=own,Value=2 >/dev/null
is "$(tags_of "$ARN:snapshot:s-cmk")" '[["keep","1"]]' "copy-db-snapshot --copy-tags: the source's tags"
is "$(tags_of "$ARN:snapshot:s-aws")" '[["own","2"]]' "... replaced by the copy's own --tags"
poll 120 snap_ok s-cmk && poll 120 snap_ok s-aws
ok $? "two encrypted copies available (a customer key, alias/aws/rds)"
like "$(aws_err rds modify-db-snapshot-attribute --db-snapshot-identifier s-cmk \
  --attribute-name restore --values-to-add all)" '\(InvalidParameterValue\).*publicly' \
  "an encrypted snapshot cannot be public"
awsrds modify-db-snapshot-attribute --db-snapshot-identifier s-cmk --attribute-name restore \
  --values-to-add 111122223333 >/dev/null
ok $? "... but is shared with an account under a customer managed key"
like "$(aws_err rds modify-db-snapshot-attribute --db-snapshot-identifier s-aws \
  --attribute-name restore --values-to-add 111122223333)" '\(InvalidParameterValue\).*default' \
  "under the AWS managed key (alias/aws/rds) it cannot be shared at all"
awsrds delete-db-snapshot --db-snapshot-identifier s1 >/dev/null
db=$RDS_HOME/controlplane/controlplane.db
s1_left() { sqlite3 "$db" "SELECT (SELECT count(*) FROM db_snapshot_attributes WHERE snapshot_id='s1')
  + (SELECT count(*) FROM resource_tags WHERE type='snapshot' AND name='s1')
  + (SELECT count(*) FROM db_snapshots WHERE id='s1')"; }
s1_gone() { [ "$(s1_left)" = 0 ]; }
poll 60 s1_gone
is "$(s1_left)" 0 \
  "a deleted snapshot's row, attributes and tags are gone from the store"

# ---- 4. discovery --------------------------------------------------------------

out=$(awsrds describe-account-attributes)
ok $? "describe-account-attributes"
quota() { jqs "$out" ".AccountQuotas[] | select(.AccountQuotaName == \"$1\") | \"\(.Used)/\(.Max)\""; }
is "$(quota DBInstances)" "1/40" "DBInstances: 1 of 40"
is "$(quota AllocatedStorage)" "20/100000" "AllocatedStorage: 20 GiB used"
is "$(quota DBParameterGroups)" "2/50" "DBParameterGroups: pg1, pg2"
is "$(quota ManualSnapshots)" "3/100" "ManualSnapshots: s2 and the two copies"
is "$(quota DBSubnetGroups)" "0/50" "DBSubnetGroups: none left"
is "$(quota EventSubscriptions)" "0/20" "EventSubscriptions: none left"
out=$(awsrds describe-option-groups)
is "$(jqc "$out" '[.OptionGroupsList[] | [.OptionGroupName, .EngineName, .MajorEngineVersion]]')" \
  "[[\"default:postgres-$major\",\"postgres\",\"$major\"]]" "describe-option-groups: the default group"
is "$(awsrds describe-option-groups --engine-name mysql | jq '.OptionGroupsList | length')" 0 \
  "... none for another engine"
like "$(aws_err rds describe-option-groups --option-group-name nope)" \
  '\(OptionGroupNotFoundFault\)' "... a missing one: OptionGroupNotFoundFault"
is "$(awsrds describe-option-group-options --engine-name postgres | jq '.OptionGroupOptions | length')" \
  0 "describe-option-group-options: PostgreSQL has none"
out=$(awsrds describe-valid-db-instance-modifications --db-instance-identifier tf)
is "$(jqc "$out" '.ValidDBInstanceModificationsMessage.Storage[] | select(.StorageType == "gp3") | .StorageSize[0] | [.From, .To]')" \
  '[20,65536]' "describe-valid-db-instance-modifications: gp3 from the current 20 GiB"
like "$(aws_err rds describe-valid-db-instance-modifications --db-instance-identifier nope)" \
  '\(DBInstanceNotFound\)' "... of a missing instance: DBInstanceNotFound"

# ---- 5. a service rdsim does not serve ------------------------------------------

hdr=$T_OUT.h
body=$(SERVICE=dynamodb scurl -s -D "$hdr" -H 'Content-Type: application/x-amz-json-1.0' \
  -H 'X-Amz-Target: DynamoDB_20120810.ListTables' --data-binary '{}' "$API")
is "$(head -1 "$hdr" | awk '{print $2}') $(jqs "$body" .__type)" "400 UnknownOperationException" \
  "a JSON service's target: 400, __type UnknownOperationException"
like "$(grep -i '^content-type' "$hdr")" 'application/x-amz-json-1.0' "... in the request's JSON 1.0"
like "$(aws_err dynamodb list-tables)" 'UnknownOperationException' \
  "aws dynamodb list-tables: UnknownOperationException"
like "$(aws_err lambda list-functions)" 'UnknownOperationException' \
  "aws lambda list-functions (REST-JSON): UnknownOperationException"
like "$(aws_err s3api list-buckets)" 'NotImplemented' "aws s3api list-buckets: NotImplemented"
like "$(aws_err elasticache describe-cache-clusters)" '\(InvalidAction\)' \
  "aws elasticache (Query): InvalidAction"
ok "$(api_alive; echo $?)" "the API still answers"

awsrds delete-db-instance --db-instance-identifier tf --skip-final-snapshot >/dev/null
poll 90 status_is tf gone
ok $? "tf deleted"
done_testing
