#!/usr/bin/env bash
# SigV4 on the API (issue 12, item 1): the region's own credentials work
# for the aws CLI, botocore and rdsctl; a wrong secret, no signature, an
# unknown key, a stale or tampered request are refused with AWS's codes
# and do nothing; the region-operator actions and KMS key deletion are
# out of reach unsigned; the agents' key may only decrypt; the key files
# are root's and the store holds no plaintext secret.
. "$(dirname "$0")/lib.sh"

if ! command -v aws >/dev/null || ! python3 -c 'import botocore' 2>/dev/null; then
  echo "1..0 # SKIP the aws CLI or botocore is not installed"
  exit 0
fi
export AWS_PAGER=
CLIENT="python3 $ROOT/tests/integration/sigv4_client.py"

region_up || bail "the region did not start"
ok 0 "region up"

# ---- the files -------------------------------------------------------------
mode() { stat -c %a "$1"; }
is "$(mode "$RDS_HOME/aws")" 700 "RDS_HOME/aws is 0700"
is "$(mode "$RDS_HOME/aws/credentials")" 600 "the credentials file is 0600"
is "$(mode "$RDS_HOME/aws/config")" 600 "the config file is 0600"
is "$(mode "$RDS_HOME/aws/agent.env")" 600 "the agents' key file is 0600"
like "$T_KEY" '^AKIA[A-Z2-7]{16}$' "the administrator's key id is AKIA + 16"
like "$T_SECRET" '^[A-Za-z0-9+/]{40}$' "its secret is 40 characters"
grep -q "endpoint_url = http://127.0.0.1:$RDS_API_PORT" "$RDS_HOME/aws/config"
ok $? "the config names the endpoint"
AGENT_KEY=$(sed -n 's/^AWS_ACCESS_KEY_ID=//p' "$RDS_HOME/aws/agent.env")
AGENT_SECRET=$(sed -n 's/^AWS_SECRET_ACCESS_KEY=//p' "$RDS_HOME/aws/agent.env")
isnt "$AGENT_KEY" "$T_KEY" "the agents have a key of their own"
store_has() { cat "$RDS_HOME"/controlplane/controlplane.db* | grep -qaF -- "$1"; }
store_has "$T_KEY"
ok $? "the store knows the administrator's key id"
! store_has "$T_SECRET" && ! store_has "$AGENT_SECRET"
ok $? "no secret in plaintext in the store (or its WAL)"
! grep -qF -- "$T_SECRET" "$RDS_HOME"/logs/*.log
ok $? "no secret in the logs"

# ---- signed clients work ---------------------------------------------------
check "aws rds describe-db-instances with the region's credentials" \
  aws --endpoint-url "$API" rds describe-db-instances
is "$($CLIENT "$API" 'Action=DescribeDBInstances&Version=2014-10-31')" "200 -" \
  "botocore's SigV4Auth: 200"
is "$($CLIENT --presign 60 "$API" 'Action=DescribeDBInstances&Version=2014-10-31')" "200 -" \
  "botocore's SigV4QueryAuth (presigned GET): 200"
check "rdsctl signs with the same credentials" rdsctl describe-db-instances
is "$(api 'Action=DescribeDBInstances')" "200 -" "curl --aws-sigv4: 200"

# ---- refusals ----------------------------------------------------------------
err_of() { "$@" 2>&1 | sed -n 's/.*An error occurred (\([A-Za-z]*\)).*/\1/p' | head -1; }
is "$(AWS_ACCESS_KEY_ID=$T_KEY AWS_SECRET_ACCESS_KEY=wrong-secret-wrong-secret-wrong-secret-xx \
  err_of aws --endpoint-url "$API" rds describe-db-instances)" SignatureDoesNotMatch \
  "aws CLI with a wrong secret: SignatureDoesNotMatch"
is "$(err_of aws --endpoint-url "$API" --no-sign-request rds describe-db-instances)" \
  MissingAuthenticationToken "aws CLI unsigned: MissingAuthenticationToken"
is "$(AWS_ACCESS_KEY_ID=AKIAAAAAAAAAAAAAAAAA AWS_SECRET_ACCESS_KEY=x \
  err_of aws --endpoint-url "$API" rds describe-db-instances)" InvalidClientTokenId \
  "aws CLI with an unknown key: InvalidClientTokenId"
is "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -d 'Action=DescribeDBInstances' "$API")" 403 \
  "unsigned: HTTP 403"
is "$(curl -s -m 10 -H 'Accept: application/json' -H 'Authorization: AWS4-HMAC-SHA256 Credential=x' \
  -d 'Action=DescribeDBInstances' "$API" | jq -r .Error.Code)" IncompleteSignature \
  "a partial Authorization header: IncompleteSignature"
is "$($CLIENT --skew -400 "$API" 'Action=DescribeDBInstances')" "400 RequestExpired" \
  "signed 400 s ago: RequestExpired"
is "$($CLIENT --skew 400 "$API" 'Action=DescribeDBInstances')" "400 RequestExpired" \
  "signed 400 s ahead: RequestExpired"
is "$($CLIENT --skew -200 "$API" 'Action=DescribeDBInstances')" "200 -" \
  "signed 200 s ago (within 5 min): 200"
is "$($CLIENT --presign 60 --skew -120 "$API" 'Action=DescribeDBInstances')" "400 RequestExpired" \
  "a presigned URL past X-Amz-Expires: RequestExpired"
is "$($CLIENT --send 'Action=DeleteDBInstance&DBInstanceIdentifier=x&SkipFinalSnapshot=true' \
  "$API" 'Action=DescribeDBInstances')" "403 SignatureDoesNotMatch" \
  "a body changed after signing: SignatureDoesNotMatch"
is "$($CLIENT --header 'X-Amz-Meta:a' --send-header 'X-Amz-Meta:b' "$API" \
  'Action=DescribeDBInstances')" "403 SignatureDoesNotMatch" \
  "a signed header changed after signing: SignatureDoesNotMatch"

# ---- the clock: skew is measured against real time ---------------------------
check "rdsctl clock advance 2h (the administrator)" rdsctl clock advance 2h
is "$($CLIENT "$API" 'Action=DescribeDBInstances')" "200 -" \
  "a request signed now still verifies with the region clock 2 h ahead"
off=$(rdsctl clock show | jq -r .OffsetSeconds)
is "$off" 7200 "the region clock is 2 h ahead"
code=$(curl -s -m 10 -H 'Accept: application/json' -d 'Action=AdvanceRegionClock&Duration=86400' \
  "$API" | jq -r .Error.Code)
is "$code" MissingAuthenticationToken "AdvanceRegionClock unsigned: refused"
is "$(rdsctl clock show | jq -r .OffsetSeconds)" "$off" "... and the clock did not move"

# ---- KMS -----------------------------------------------------------------------
key=$(aws --endpoint-url "$API" kms create-key --description auth-t | jq -r .KeyMetadata.KeyId)
like "$key" '^[0-9a-f-]{36}$' "aws kms create-key (signed)"
is "$(err_of aws --endpoint-url "$API" --no-sign-request kms schedule-key-deletion \
  --key-id "$key" --pending-window-in-days 7)" MissingAuthenticationTokenException \
  "kms schedule-key-deletion unsigned: refused"
is "$(aws --endpoint-url "$API" kms describe-key --key-id "$key" | jq -r .KeyMetadata.KeyState)" \
  Enabled "... and the key is still Enabled"

# ---- the agents' principal ---------------------------------------------------
as_agent() { AWS_ACCESS_KEY_ID=$AGENT_KEY AWS_SECRET_ACCESS_KEY=$AGENT_SECRET "$@"; }
is "$(as_agent err_of aws --endpoint-url "$API" rds create-db-instance \
  --db-instance-identifier nope --engine postgres --db-instance-class db.t3.micro \
  --master-username app --master-user-password s3cret-pass --allocated-storage 20)" \
  AccessDenied "the agents' key on rds:CreateDBInstance: AccessDenied"
out=$(as_agent aws --endpoint-url "$API" rds describe-db-instances 2>&1)
like "$out" "not authorized to perform: rds:DescribeDBInstances" \
  "AccessDenied names the principal and the action"
is "$(as_agent err_of aws --endpoint-url "$API" kms schedule-key-deletion --key-id "$key" \
  --pending-window-in-days 7)" AccessDeniedException \
  "the agents' key on kms:ScheduleKeyDeletion: AccessDeniedException"
is "$(as_agent $CLIENT --key "$AGENT_KEY" --secret "$AGENT_SECRET" "$API" \
  'Action=AdvanceRegionClock&Duration=60')" "403 AccessDenied" \
  "the agents' key on AdvanceRegionClock: AccessDenied"
# (aws CLI v1 takes blob arguments raw: fileb:// for the ciphertext.)
aws --endpoint-url "$API" kms encrypt --key-id "$key" --plaintext hello |
  jq -r .CiphertextBlob | base64 -d >"$RDS_HOME/blob"
out=$(as_agent aws --endpoint-url "$API" kms decrypt --ciphertext-blob "fileb://$RDS_HOME/blob" |
  jq -r .Plaintext)
is "$out" aGVsbG8= "the agents' key may kms:Decrypt (what a restore needs)"
is "$(aws --endpoint-url "$API" kms describe-key --key-id "$key" | jq -r .KeyMetadata.KeyState)" \
  Enabled "the key is still Enabled after every refused call"
is "$(instance_ids)" "" "nothing was created by a refused call"

# ---- restart keeps the keys --------------------------------------------------
kill -TERM "$(cp_pid)"
poll 20 gone "$(cp_pid)"
region_restart || bail "restart failed"
is "$(aws_cred aws_access_key_id)" "$T_KEY" "a restarted controlplane keeps the administrator's key"
check "and the aws CLI still works" aws --endpoint-url "$API" rds describe-db-instances

done_testing
