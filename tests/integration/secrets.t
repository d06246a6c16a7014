#!/usr/bin/env bash
# Issue 12, item 6: the managed master password. create-db-instance
# --manage-master-user-password makes the region generate the password and
# keep it as a Secrets Manager secret rds!db-<uuid>; `aws secretsmanager`
# reads it (get-secret-value, describe-secret, list-secrets), psql logs in
# with it, rotate-secret really changes it, and neither password is ever
# in the store or a log. Then user secrets, errors, and turning management
# off (the secret is deleted).
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
awssm() { aws --endpoint-url "$API" --output json secretsmanager "$@"; }
# sm_err ARGS...: a secretsmanager call that must fail: its stderr.
sm_err() { { awssm "$@" >/dev/null; } 2>&1; }
logs_in() { psql_at "$addr" "SELECT 1" postgres "$1" >/dev/null 2>&1; }

# ---- create with a managed password -------------------------------------------

out=$(awsrds create-db-instance --db-instance-identifier m1 --engine postgres \
  --db-instance-class db.t3.micro --master-username "$T_USER" --manage-master-user-password \
  --allocated-storage 20)
ok $? "create-db-instance --manage-master-user-password"
arn=$(jqs "$out" .DBInstance.MasterUserSecret.SecretArn)
like "$arn" "^arn:aws:secretsmanager:$RDS_REGION:[0-9]{12}:secret:rds!db-[0-9a-f-]{36}-[A-Za-z0-9]{6}\$" \
  "MasterUserSecret.SecretArn is rds!db-<uuid> with a 6-character suffix"
is "$(jqs "$out" .DBInstance.MasterUserSecret.SecretStatus)" active "SecretStatus active"
kms_arn=$(jqs "$out" .DBInstance.MasterUserSecret.KmsKeyId)
default_key=$(aws --endpoint-url "$API" --output json kms describe-key \
  --key-id alias/aws/secretsmanager | jq -r .KeyMetadata.Arn)
is "$kms_arn" "$default_key" "KmsKeyId is the key behind alias/aws/secretsmanager"
check "m1 available" poll 180 status_is m1 available
is "$(awsrds describe-db-instances --db-instance-identifier m1 |
  jq -r .DBInstances[0].MasterUserSecret.SecretArn)" "$arn" "describe shows MasterUserSecret"

# ---- read it and log in ----------------------------------------------------------

v=$(awssm get-secret-value --secret-id "$arn")
ok $? "get-secret-value by ARN"
PW1=$(jqs "$v" .SecretString | jq -r .password)
is "$(jqs "$v" .SecretString | jq -r .username)" "$T_USER" "the secret's username is the master user"
ok $((${#PW1} < 20)) "the password is long (${#PW1} characters)"
is "$(jqs "$v" '.VersionStages | join(",")')" AWSCURRENT "the version is AWSCURRENT"
name=$(jqs "$v" .Name)
is "$(awssm get-secret-value --secret-id "$name" | jq -r .SecretString | jq -r .password)" "$PW1" \
  "get-secret-value by name"
addr=$(resolve "$(endpoint_of m1)")
check "psql logs in with the secret's password" poll 30 logs_in "$PW1"

d=$(awssm describe-secret --secret-id "$name")
ok $? "describe-secret"
is "$(jqs "$d" .OwningService)" rds "OwningService rds"
is "$(jqs "$d" .RotationEnabled)" true "RotationEnabled"
like "$(jqs "$d" .Description)" "primary RDS DB instance: arn:aws:rds:.*:db:m1" "RDS's description"
is "$(jqs "$d" '[.Tags[] | select(.Key == "aws:rds:primaryDBInstanceArn") | .Value] | .[0]')" \
  "arn:aws:rds:$RDS_REGION:$(echo "$arn" | cut -d: -f5):db:m1" \
  "tag aws:rds:primaryDBInstanceArn"
is "$(awssm list-secrets | jq -r '[.SecretList[].Name] | join(",")')" "$name" "list-secrets lists it"
is "$(awssm list-secrets --filters Key=name,Values=rds! | jq -r '.SecretList | length')" 1 \
  "list-secrets --filters name=rds! finds it"
is "$(awssm list-secrets --filters Key=name,Values=nothing | jq -r '.SecretList | length')" 0 \
  "a name filter that matches nothing lists nothing"

# ---- rotate ---------------------------------------------------------------------

r=$(awssm rotate-secret --secret-id "$arn")
ok $? "rotate-secret"
v2=$(awssm get-secret-value --secret-id "$arn")
PW2=$(jqs "$v2" .SecretString | jq -r .password)
isnt "$PW2" "$PW1" "the current value has a new password"
is "$(jqs "$v2" .VersionId)" "$(jqs "$r" .VersionId)" "AWSCURRENT is the rotation's version"
prev=$(awssm get-secret-value --secret-id "$arn" --version-stage AWSPREVIOUS)
is "$(jqs "$prev" .SecretString | jq -r .password)" "$PW1" "AWSPREVIOUS holds the old password"
check "the new password logs in" poll 30 logs_in "$PW2"
logs_in "$PW1"
ok $(($? == 0)) "the old password is refused"
check "m1 stays available" status_is m1 available

# ---- the store is the truth: kill -9 and back ------------------------------------

pid=$(cp_pid)
kill -KILL "$pid"
poll 20 gone "$pid"
check "the controlplane comes back after kill -9" region_restart
is "$(awssm get-secret-value --secret-id "$arn" | jq -r .SecretString | jq -r .password)" "$PW2" \
  "the secret's current value survived"
check "and still logs in" poll 30 logs_in "$PW2"

# ---- user secrets --------------------------------------------------------------

USER_VAL="user-secret-$RANDOM-value"
c=$(awssm create-secret --name app/db --secret-string "$USER_VAL" --description "mine")
ok $? "create-secret app/db"
is "$(jqs "$c" .Name)" app/db "... named app/db"
is "$(awssm get-secret-value --secret-id app/db | jq -r .SecretString)" "$USER_VAL" "its value reads back"
awssm put-secret-value --secret-id app/db --secret-string "$USER_VAL-2" >/dev/null
ok $? "put-secret-value"
is "$(awssm get-secret-value --secret-id app/db --version-stage AWSPREVIOUS | jq -r .SecretString)" \
  "$USER_VAL" "the old value is AWSPREVIOUS"
like "$(sm_err rotate-secret --secret-id app/db)" InvalidRequestException \
  "rotate-secret of a user secret (no Lambda): InvalidRequestException"
is "$(awssm list-secrets --max-results 1 | jq -r '.SecretList | length')" 1 "list-secrets --max-results 1"
tok=$(awssm list-secrets --max-results 1 --no-paginate | jq -r '.NextToken // empty')
isnt "$tok" "" "... with a NextToken"
awssm delete-secret --secret-id app/db --force-delete-without-recovery >/dev/null
ok $? "delete-secret --force-delete-without-recovery"

# ---- errors --------------------------------------------------------------------

like "$(sm_err get-secret-value --secret-id no-such-secret)" ResourceNotFoundException \
  "an unknown secret: ResourceNotFoundException"
like "$(sm_err describe-secret --secret-id app/db)" ResourceNotFoundException "a deleted one too"
like "$(sm_err create-secret --name "$name" --secret-string x)" 'InvalidParameterException|ResourceExistsException' \
  "an rds! name cannot be taken"
like "$(sm_err delete-secret --secret-id "$arn")" InvalidRequestException \
  "the RDS secret cannot be deleted through Secrets Manager"
like "$(sm_err put-secret-value --secret-id "$arn" --secret-string x)" InvalidRequestException \
  "nor written"
like "$(awsrds create-db-instance --db-instance-identifier m2 --engine postgres \
  --db-instance-class db.t3.micro --master-username "$T_USER" --manage-master-user-password \
  --master-user-password "$T_PASS" --allocated-storage 20 2>&1 >/dev/null)" \
  InvalidParameterCombination "both password options: InvalidParameterCombination"
like "$(awsrds modify-db-instance --db-instance-identifier m1 --master-user-password "$T_PASS" \
  --apply-immediately 2>&1 >/dev/null)" InvalidParameterCombination \
  "a plain new password while managed: refused"
like "$(awsrds modify-db-instance --db-instance-identifier m1 --no-manage-master-user-password \
  --apply-immediately 2>&1 >/dev/null)" InvalidParameterCombination \
  "turning management off without a new password: refused"

# ---- who may read it: principal_may with service secretsmanager ------------------

key=$(aws --endpoint-url "$API" iam create-user --user-name lister >/dev/null &&
  aws --endpoint-url "$API" iam create-access-key --user-name lister)
AK=$(jqs "$key" .AccessKey.AccessKeyId)
SK=$(jqs "$key" .AccessKey.SecretAccessKey)
printf '%s' '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:ListSecrets","Resource":"*"}]}' \
  >"$RDS_HOME/lister.json"
check "a user allowed secretsmanager:ListSecrets only" \
  aws --endpoint-url "$API" iam put-user-policy --user-name lister --policy-name list \
  --policy-document "file://$RDS_HOME/lister.json"
as_lister() { AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK "$@"; }
is "$(as_lister awssm list-secrets | jq -r '.SecretList | length')" 1 "the user lists secrets"
out=$(as_lister awssm get-secret-value --secret-id "$arn" 2>&1)
like "$out" "AccessDeniedException" "but get-secret-value is AccessDenied"
like "$out" "not authorized to perform: secretsmanager:GetSecretValue" "... with AWS's message"
is "$(AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=wrong-secret-0000000000000000000000000000 \
  awssm list-secrets 2>&1 | grep -o 'InvalidSignatureException\|SignatureDoesNotMatch' | head -1)" \
  InvalidSignatureException "a wrong secret: InvalidSignatureException"

# ---- nothing in the clear --------------------------------------------------------

hits=$(grep -rlaF -e "$PW1" -e "$PW2" -e "$USER_VAL" "$RDS_HOME" 2>/dev/null)
is "$hits" "" "no file under the region home (store, logs) holds a password or secret value"

# ---- management off: the secret goes -----------------------------------------------

m=$(awsrds modify-db-instance --db-instance-identifier m1 --no-manage-master-user-password \
  --master-user-password "$T_PASS" --apply-immediately)
ok $? "modify --no-manage-master-user-password --master-user-password"
is "$(jqs "$m" '.DBInstance.MasterUserSecret // "none"')" none "MasterUserSecret is gone"
like "$(sm_err describe-secret --secret-id "$arn")" ResourceNotFoundException "the secret is deleted"
check "the given password logs in" poll 30 logs_in "$T_PASS"

# ---- management on by modify, then delete the instance ----------------------------

m=$(awsrds modify-db-instance --db-instance-identifier m1 --manage-master-user-password \
  --apply-immediately)
ok $? "modify --manage-master-user-password"
arn2=$(jqs "$m" .DBInstance.MasterUserSecret.SecretArn)
PW3=$(awssm get-secret-value --secret-id "$arn2" | jq -r .SecretString | jq -r .password)
check "the new managed password logs in" poll 30 logs_in "$PW3"
rdsctl modify-db-instance --db-instance-identifier m1 --rotate-master-user-password \
  --apply-immediately >/dev/null
ok $? "rdsctl modify-db-instance --rotate-master-user-password --apply-immediately"
PW4=$(awssm get-secret-value --secret-id "$arn2" | jq -r .SecretString | jq -r .password)
isnt "$PW4" "$PW3" "the secret has a new password"
check "which logs in" poll 30 logs_in "$PW4"
like "$(rdsctl modify-db-instance --db-instance-identifier m1 --rotate-master-user-password 2>&1)" \
  InvalidParameterCombination "without --apply-immediately: refused"
awsrds delete-db-instance --db-instance-identifier m1 --skip-final-snapshot >/dev/null
ok $? "delete m1"
like "$(sm_err describe-secret --secret-id "$arn2")" ResourceNotFoundException \
  "deleting the instance deletes its secret"

hits=$(grep -rlaF -e "$PW3" -e "$PW4" "$RDS_HOME" 2>/dev/null)
is "$hits" "" "nor the later passwords"

region_down
done_testing
