#!/usr/bin/env bash
# IAM users and policies, STS (issue 12, item 1): the administrator makes a
# user, a key and a policy allowing only rds:DescribeDBInstances with the
# aws CLI; with the user's key describe works and everything else is
# AccessDenied with AWS's message; an explicit Deny beats an Allow; IAM
# and the region-operator actions stay the administrator's whatever the
# policy says; a deleted key is InvalidClientTokenId; get-caller-identity
# answers for both.
. "$(dirname "$0")/lib.sh"

if ! command -v aws >/dev/null || ! python3 -c 'import botocore' 2>/dev/null; then
  echo "1..0 # SKIP the aws CLI or botocore is not installed"
  exit 0
fi
export AWS_PAGER=
CLIENT="python3 $ROOT/tests/integration/sigv4_client.py"

region_up || bail "the region did not start"
ok 0 "region up"
# (aws CLI v1 ignores the config's endpoint_url for some services.)
aws() { command aws --endpoint-url "$API" "$@"; }
ACCOUNT=$(aws sts get-caller-identity | jq -r .Account)
like "$ACCOUNT" '^[0-9]{12}$' "sts get-caller-identity (administrator): the account"
is "$(aws sts get-caller-identity | jq -r .Arn)" "arn:aws:iam::$ACCOUNT:root" \
  "... the administrator is the account's root"

err_of() { "$@" 2>&1 | sed -n 's/.*An error occurred (\([A-Za-z]*\)).*/\1/p' | head -1; }

# ---- the administrator sets a user up --------------------------------------
out=$(aws iam create-user --user-name alice)
is "$(jq -r .User.Arn <<<"$out")" "arn:aws:iam::$ACCOUNT:user/alice" "iam create-user: the ARN"
like "$(jq -r .User.UserId <<<"$out")" '^AIDA[A-Z2-7]{17}$' "... a user id AIDA..."
is "$(err_of aws iam create-user --user-name ALICE)" EntityAlreadyExists \
  "a second user of the same name (any case): EntityAlreadyExists"
is "$(err_of aws iam create-user --user-name 'bad name')" ValidationError \
  "a name outside [\\w+=,.@-]: ValidationError"
is "$(err_of aws iam get-user --user-name nobody)" NoSuchEntity "get-user of no one: NoSuchEntity"
is "$(aws iam get-user --user-name alice | jq -r .User.UserName)" alice "iam get-user"
is "$(aws iam list-users | jq -r '[.Users[].UserName] | join(",")')" alice "iam list-users"
key=$(aws iam create-access-key --user-name alice)
AK=$(jq -r .AccessKey.AccessKeyId <<<"$key")
SK=$(jq -r .AccessKey.SecretAccessKey <<<"$key")
like "$AK" '^AKIA[A-Z2-7]{16}$' "iam create-access-key: AKIA..."
is "$(aws iam list-access-keys --user-name alice | jq -r '.AccessKeyMetadata[0].AccessKeyId')" \
  "$AK" "iam list-access-keys"
store_has() { cat "$RDS_HOME"/controlplane/controlplane.db* | grep -qaF -- "$1"; }
! store_has "$SK"
ok $? "the user's secret is not in the store in plaintext"
! grep -qF -- "$SK" "$RDS_HOME"/logs/*.log
ok $? "... nor in the logs"

as_alice() { AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK "$@"; }
AK2=$(aws iam create-access-key --user-name alice | jq -r .AccessKey.AccessKeyId)
is "$(err_of aws iam create-access-key --user-name alice)" LimitExceeded \
  "a third key: LimitExceeded (2 per user)"
check "iam delete-access-key (the second)" aws iam delete-access-key --access-key-id "$AK2"

# ---- bad input to IAM: clean errors, nothing made -----------------------------
is "$(api 'Action=CreateUser&Version=2010-05-08')" "400 MissingParameter" \
  "CreateUser without UserName: MissingParameter"
is "$(api 'Action=CreateUser&Version=2010-05-08&UserName=x&Path=nope')" "400 ValidationError" \
  "a Path without slashes: ValidationError"
is "$(api 'Action=ListUsers&Version=2010-05-08&MaxItems=0')" "400 InvalidParameterValue" \
  "MaxItems 0: refused"
is "$(api "Action=CreateUser&Version=2010-05-08&UserName=$(printf 'a%.0s' $(seq 65))")" \
  "400 ValidationError" "a 65-character user name: ValidationError"
is "$(api 'Action=PutUserPolicy&Version=2010-05-08&UserName=alice&PolicyName=p&PolicyDocument=%7B%22Statement%22%3A%5B%5D%7D%00x')" \
  "404 MalformedQueryString" "a document with a NUL byte: refused by the Query parser"
is "$(api 'Action=PutUserPolicy&Version=2010-05-08&UserName=alice&PolicyName=p&PolicyDocument=%7B%22Statement%22%3A%5B%5D%7D')" \
  "400 MalformedPolicyDocument" "an empty Statement list: MalformedPolicyDocument"
is "$(api 'Action=PutUserPolicy&Version=2010-05-08&UserName=nobody&PolicyName=p&PolicyDocument=x')" \
  "404 NoSuchEntity" "a policy for no one: NoSuchEntity"
is "$(api 'Action=AssumeRole&Version=2011-06-15')" "400 InvalidAction" \
  "an STS action rdsim lacks: InvalidAction"
is "$(aws iam list-users | jq -r '[.Users[].UserName] | join(",")')" alice \
  "... and still only alice"

# ---- the store is the truth: a restart keeps users and keys -----------------
kill -TERM "$(cp_pid)"
poll 20 gone "$(cp_pid)"
region_restart || bail "restart failed"
is "$(aws iam get-user --user-name alice | jq -r .User.UserName)" alice \
  "after a restart: the user is there"
is "$(as_alice err_of aws rds describe-db-instances)" AccessDenied \
  "... and her key still verifies (AccessDenied, not InvalidClientTokenId: no policy yet)"
is "$(as_alice err_of aws rds describe-db-instances)" AccessDenied \
  "a user without a policy: AccessDenied"

cat >"$RDS_HOME/describe.json" <<'JSON'
{"Version": "2012-10-17",
 "Statement": [{"Effect": "Allow", "Action": "rds:DescribeDBInstances", "Resource": "*"}]}
JSON
check "iam put-user-policy (rds:DescribeDBInstances only)" \
  aws iam put-user-policy --user-name alice --policy-name describe \
  --policy-document "file://$RDS_HOME/describe.json"
is "$(aws iam get-user-policy --user-name alice --policy-name describe |
  jq -r '.PolicyDocument.Statement[0].Action')" rds:DescribeDBInstances \
  "iam get-user-policy gives the document back"
is "$(aws iam list-user-policies --user-name alice | jq -r '.PolicyNames | join(",")')" describe \
  "iam list-user-policies"
is "$(err_of aws iam put-user-policy --user-name alice --policy-name bad \
  --policy-document '{"Statement":{"Effect":"Allow","Action":"DescribeDBInstances","Resource":"*"}}')" \
  MalformedPolicyDocument "an action without a service prefix: MalformedPolicyDocument"
is "$(err_of aws iam put-user-policy --user-name alice --policy-name bad --policy-document 'nope')" \
  MalformedPolicyDocument "not JSON: MalformedPolicyDocument"

# ---- the user's key -----------------------------------------------------------
check "the user: rds describe-db-instances works" as_alice aws rds describe-db-instances
out=$(as_alice aws rds create-db-instance --db-instance-identifier by-alice --engine postgres \
  --db-instance-class db.t3.micro --master-username app --master-user-password s3cret-pass \
  --allocated-storage 20 2>&1)
like "$out" "\\(AccessDenied\\)" "the user: create-db-instance is AccessDenied"
like "$out" "User: arn:aws:iam::$ACCOUNT:user/alice is not authorized to perform: rds:CreateDBInstance on resource: arn:aws:rds:$RDS_REGION:$ACCOUNT:db:by-alice because no identity-based policy allows the rds:CreateDBInstance action" \
  "... with AWS's message (user, action, the instance's ARN)"
is "$(instance_ids)" "" "... and nothing was created"
out=$(as_alice aws kms list-keys 2>&1)
like "$out" "AccessDeniedException" "the user: kms list-keys is AccessDenied"
like "$out" "is not authorized to perform: kms:ListKeys because no identity-based policy allows the kms:ListKeys action" \
  "... with AWS's message"
is "$(as_alice err_of aws iam list-users)" AccessDenied "the user: IAM is the administrator's"
is "$(as_alice $CLIENT --key "$AK" --secret "$SK" "$API" 'Action=AdvanceRegionClock&Duration=60')" \
  "403 AccessDenied" "the user: AdvanceRegionClock is the administrator's"
is "$(as_alice aws sts get-caller-identity | jq -r .Arn)" "arn:aws:iam::$ACCOUNT:user/alice" \
  "the user: sts get-caller-identity names alice"
is "$(as_alice aws sts get-caller-identity | jq -r .UserId)" \
  "$(aws iam get-user --user-name alice | jq -r .User.UserId)" "... with her user id"

# ---- resource ARNs with wildcards ------------------------------------------------
cat >"$RDS_HOME/web.json" <<'JSON'
{"Version": "2012-10-17",
 "Statement": [{"Effect": "Allow", "Action": "rds:RebootDBInstance",
                "Resource": "arn:aws:rds:*:*:db:web-*"},
               {"Effect": "Allow", "Action": "rds:DeleteDBSnapshot",
                "Resource": ["arn:aws:rds:*:*:snapshot:keep-?"]}]}
JSON
check "iam put-user-policy (reboot web-*, delete snapshot keep-?)" aws iam put-user-policy \
  --user-name alice --policy-name web --policy-document "file://$RDS_HOME/web.json"
is "$(as_alice err_of aws rds reboot-db-instance --db-instance-identifier WEB-1)" \
  DBInstanceNotFound "reboot of web-1 (any case): allowed, reaches RDS (no such instance)"
out=$(as_alice aws rds reboot-db-instance --db-instance-identifier db-1 2>&1)
like "$out" "rds:RebootDBInstance on resource: arn:aws:rds:$RDS_REGION:$ACCOUNT:db:db-1 because" \
  "reboot of db-1: AccessDenied on its ARN"
is "$(as_alice err_of aws rds delete-db-snapshot --db-snapshot-identifier keep-1)" \
  DBSnapshotNotFound "delete of snapshot keep-1: allowed, reaches RDS"
like "$(as_alice aws rds delete-db-snapshot --db-snapshot-identifier keep-10 2>&1)" \
  "on resource: arn:aws:rds:$RDS_REGION:$ACCOUNT:snapshot:keep-10 because" \
  "delete of snapshot keep-10: AccessDenied ('?' is one character)"
check "iam delete-user-policy web" aws iam delete-user-policy --user-name alice --policy-name web

# ---- everything allowed, then an explicit Deny -------------------------------
cat >"$RDS_HOME/all.json" <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
JSON
cat >"$RDS_HOME/deny.json" <<'JSON'
{"Version": "2012-10-17",
 "Statement": [{"Effect": "Deny", "Action": ["rds:Describe*"], "Resource": "*"}]}
JSON
check "iam put-user-policy (Allow *)" aws iam put-user-policy --user-name alice \
  --policy-name all --policy-document "file://$RDS_HOME/all.json"
check "the user with Allow *: kms list-keys works" as_alice aws kms list-keys
is "$(as_alice err_of aws iam list-users)" AccessDenied "... but IAM is still the administrator's"
is "$(as_alice $CLIENT --key "$AK" --secret "$SK" "$API" 'Action=AdvanceRegionClock&Duration=60')" \
  "403 AccessDenied" "... and so is AdvanceRegionClock"
check "iam put-user-policy (Deny rds:Describe*)" aws iam put-user-policy --user-name alice \
  --policy-name deny --policy-document "file://$RDS_HOME/deny.json"
out=$(as_alice aws rds describe-db-instances 2>&1)
like "$out" "\\(AccessDenied\\)" "an explicit Deny beats the Allows"
like "$out" "is not authorized to perform: rds:DescribeDBInstances with an explicit deny in an identity-based policy" \
  "... with AWS's explicit-deny message"
check "iam delete-user-policy" aws iam delete-user-policy --user-name alice --policy-name deny
check "without the Deny, describe works again" as_alice aws rds describe-db-instances

# ---- deleting ---------------------------------------------------------------------
is "$(err_of aws iam delete-user --user-name alice)" DeleteConflict \
  "delete-user while it has keys: DeleteConflict"
check "iam delete-access-key" aws iam delete-access-key --user-name alice --access-key-id "$AK"
is "$(as_alice err_of aws rds describe-db-instances)" InvalidClientTokenId \
  "the deleted key: InvalidClientTokenId"
is "$(err_of aws iam delete-access-key --user-name alice --access-key-id "$AK")" NoSuchEntity \
  "deleting it again: NoSuchEntity"
is "$(err_of aws iam delete-access-key --user-name alice --access-key-id "$T_KEY")" NoSuchEntity \
  "the administrator's key is no user's: NoSuchEntity"
is "$(err_of aws iam delete-user --user-name alice)" DeleteConflict \
  "delete-user while it has policies: DeleteConflict"
check "iam delete-user-policy describe" aws iam delete-user-policy --user-name alice \
  --policy-name describe
check "iam delete-user-policy all" aws iam delete-user-policy --user-name alice --policy-name all
check "iam delete-user" aws iam delete-user --user-name alice
is "$(aws iam list-users | jq -r '.Users | length')" 0 "no user left"
check "the administrator still works" aws rds describe-db-instances

done_testing
