#!/usr/bin/env bash
# IAM database authentication (issue 12, item 5) against a real region:
# create-db-instance --enable-iam-database-authentication (Describe shows
# it), a role granted rds_iam logs in with `aws rds generate-db-auth-token`
# through PostgreSQL's PAM -> pam_rdsim_iam.so -> its agent -> the
# controlplane's /agent/v1/iam-auth; an expired token (botocore, 20 minutes
# ago), a token for another user, a garbage token, a password and an IAM
# user without rds-db:connect are refused; with the policy it is allowed;
# --no-enable-iam-database-authentication refuses tokens again; no token
# in any log.
. "$(dirname "$0")/lib.sh"

if ! command -v aws >/dev/null || ! python3 -c 'import botocore' 2>/dev/null; then
  echo "1..0 # SKIP the aws CLI or botocore is not installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "1..0 # SKIP needs root (the agent writes /etc/pam.d/rdsim-iam)"
  exit 0
fi
export AWS_PAGER=

region_up || bail "the region did not start"
ok 0 "region up"
aws() { command aws --endpoint-url "$API" "$@"; }
ACCOUNT=$(aws sts get-caller-identity | jq -r .Account)

# iam_login ADDR USER TOKEN: select current_user with a token as password.
iam_login() {
  PGPASSWORD=$3 PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -q -At \
    "host=$1 port=5432 user=$2 dbname=postgres sslmode=require" -c "SELECT current_user"
}
refused() { ! iam_login "$@" >/dev/null 2>&1; }
token() { aws rds generate-db-auth-token --hostname "$EP" --port 5432 --username "$1" \
  --region "$RDS_REGION"; }
# A token botocore made 20 minutes ago (its clock patched).
old_token() {
  python3 - "$EP" 5432 "$1" "$RDS_REGION" <<'PY'
import datetime, sys
from unittest import mock
import botocore.session
host, port, user, region = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
then = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
client = botocore.session.get_session().create_client("rds", region_name=region)
with mock.patch("botocore.auth.get_current_datetime", side_effect=lambda *a, **k: then):
    print(client.generate_db_auth_token(host, port, user))
PY
}
iam_flag() {
  aws rds describe-db-instances --db-instance-identifier "$1" |
    jq -r '.DBInstances[0].IAMDatabaseAuthenticationEnabled'
}

out=$(aws rds create-db-instance --db-instance-identifier iam1 --engine postgres \
  --db-instance-class db.t3.micro --master-username "$T_USER" --master-user-password "$T_PASS" \
  --allocated-storage 20 --enable-iam-database-authentication)
is "$(jq -r .DBInstance.IAMDatabaseAuthenticationEnabled <<<"$out")" true \
  "create-db-instance --enable-iam-database-authentication: in the answer"
check "iam1 available" poll 180 status_is iam1 available
is "$(iam_flag iam1)" true "describe-db-instances: IAMDatabaseAuthenticationEnabled true"
EP=$(endpoint_of iam1)
addr=$(resolve "$EP")
like "$addr" "^$NODE_RE\\." "iam1 resolves ($addr)"
RID=$(aws rds describe-db-instances --db-instance-identifier iam1 | jq -r '.DBInstances[0].DbiResourceId')

check "a role granted rds_iam, and another" psql_at "$addr" \
  "CREATE ROLE iam_app LOGIN; GRANT rds_iam TO iam_app; CREATE ROLE iam_other LOGIN; GRANT rds_iam TO iam_other; CREATE ROLE pw_user LOGIN PASSWORD 'pw-user-pass-1'"
hba_has_pam() { grep -q '+rds_iam.*pam pamservice=rdsim-iam' "$RDS_HOME"/agents/*/nodes/*/data/pg_hba.conf; }
check "pg_hba sends rds_iam members to PAM" poll 20 hba_has_pam
check "the PAM service names the module" grep -q "pam_rdsim_iam.so" /etc/pam.d/rdsim-iam

TOK=$(token iam_app)
like "$TOK" "^$EP:5432/\\?Action=connect&DBUser=iam_app&X-Amz-Algorithm=AWS4-HMAC-SHA256&" \
  "generate-db-auth-token: a presigned rds-db URL"
is "$(iam_login "$addr" iam_app "$TOK")" iam_app "psql with the token logs iam_app in"
is "$(iam_login "$addr" iam_app "$TOK")" iam_app "... and again (a token is good for 15 minutes)"
check "an expired token (made 20 minutes ago) is refused" refused "$addr" iam_app "$(old_token iam_app)"
check "iam_app's token as iam_other is refused" refused "$addr" iam_other "$TOK"
check "a garbage token is refused" refused "$addr" iam_app "garbage-$RANDOM"
check "an empty password is refused" refused "$addr" iam_app ""
check "a token for another port is refused" refused "$addr" iam_app \
  "$(aws rds generate-db-auth-token --hostname "$EP" --port 5433 --username iam_app --region "$RDS_REGION")"
is "$(iam_login "$addr" iam_other "$(token iam_other)")" iam_other "iam_other with its own token"
like "$(iam_login "$addr" iam_app nope 2>&1)" \
  'PAM authentication failed for user "iam_app"' "a bad token: PAM authentication failed, as on RDS"
is "$(PGPASSWORD=pw-user-pass-1 PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -q -At \
  "host=$addr port=5432 user=pw_user dbname=postgres sslmode=require" -c 'SELECT current_user')" \
  pw_user "a role without rds_iam still logs in with its password"

# ---- an IAM user: refused without rds-db:connect, allowed with it ----------------
aws iam create-user --user-name dbbob >/dev/null
key=$(aws iam create-access-key --user-name dbbob)
BK=$(jq -r .AccessKey.AccessKeyId <<<"$key")
BS=$(jq -r .AccessKey.SecretAccessKey <<<"$key")
as_bob() { AWS_ACCESS_KEY_ID=$BK AWS_SECRET_ACCESS_KEY=$BS "$@"; }
BTOK=$(as_bob token iam_app)
like "$BTOK" "X-Amz-Credential=$BK" "a token signed with dbbob's key"
check "dbbob without rds-db:connect is refused" refused "$addr" iam_app "$BTOK"
cat >"$RDS_HOME/dbconnect.json" <<JSON
{"Version": "2012-10-17",
 "Statement": [{"Effect": "Allow", "Action": "rds-db:connect",
   "Resource": "arn:aws:rds-db:$RDS_REGION:$ACCOUNT:dbuser:$RID/iam_app"}]}
JSON
check "put-user-policy rds-db:connect on iam1's iam_app" \
  aws iam put-user-policy --user-name dbbob --policy-name db --policy-document "file://$RDS_HOME/dbconnect.json"
is "$(iam_login "$addr" iam_app "$BTOK")" iam_app "dbbob with rds-db:connect: allowed"
check "... but not as iam_other (the policy names iam_app)" refused "$addr" iam_other "$(as_bob token iam_other)"

# ---- the agent channel's endpoint: signed, and the node must be the agent's ----
REQ="$ROOT/tests/integration/agent_request.py"
IA="http://127.0.0.1:$RDS_API_PORT/agent/v1/iam-auth"
KEYS="$RDS_HOME/controlplane/agent-keys"
ndir=$(node_dirs | head -1)
NODE=$(basename "$ndir")
OWNER=$(basename "$(dirname "$(dirname "$ndir")")")
OTHER=$(ls "$KEYS" | sed 's/\.key$//' | grep -vx "$OWNER" | head -1)
q() { printf '{"agent_id":"%s","node_id":"%s","user":"iam_app","token":"%s"}' "$1" "$NODE" "$2"; }
like "$("$REQ" "$IA" "$(q "$OWNER" "$TOK")" | head -1)" '^401' "iam-auth unsigned: 401"
like "$("$REQ" "$IA" "$(q "$OWNER" "$TOK")" --agent "$OWNER" --wrong-key | head -1)" '^401' \
  "iam-auth with a wrong key: 401"
like "$("$REQ" "$IA" "$(q "$OWNER" "$TOK")" --agent "$OWNER" --key "$KEYS/$OWNER.key")" \
  '"allow":true' "iam-auth from the node's agent, good token: allow"
like "$("$REQ" "$IA" "$(q "$OTHER" "$TOK")" --agent "$OTHER" --key "$KEYS/$OTHER.key")" \
  '"allow":false' "iam-auth from another agent for this node: deny"
like "$("$REQ" "$IA" '{"agent_id":"'"$OWNER"'","node_id":5}' --agent "$OWNER" --key "$KEYS/$OWNER.key" | head -1)" \
  '^400' "iam-auth malformed: 400"

# ---- turned off: tokens refused ------------------------------------------------
out=$(aws rds modify-db-instance --db-instance-identifier iam1 \
  --no-enable-iam-database-authentication --apply-immediately)
is "$(jq -r .DBInstance.IAMDatabaseAuthenticationEnabled <<<"$out")" false \
  "modify --no-enable-iam-database-authentication: applied at once"
is "$(iam_flag iam1)" false "describe: IAMDatabaseAuthenticationEnabled false"
check "a fresh token is refused once it is off" refused "$addr" iam_app "$(token iam_app)"
like "$("$REQ" "$IA" "$(q "$OWNER" "$(token iam_app)")" --agent "$OWNER" --key "$KEYS/$OWNER.key")" \
  '"allow":false' "... and the controlplane says no to the node's own agent"
hba_no_pam() { ! hba_has_pam; }
check "pg_hba no longer has the PAM rule" poll 20 hba_no_pam
check "... and the agent's socket is gone" poll 20 eval '! ls "$RDS_HOME"/agents/*/nodes/*/iamauth.sock >/dev/null 2>&1'
out=$(aws rds modify-db-instance --db-instance-identifier iam1 \
  --enable-iam-database-authentication --apply-immediately)
token_works() { [ "$(iam_login "$addr" iam_app "$(token iam_app)" 2>/dev/null)" = iam_app ]; }
check "turned on again: tokens log in" poll 30 token_works

# ---- nothing of a token in any log ------------------------------------------------
sig=${TOK##*X-Amz-Signature=}
is "$(grep -rl -- "$sig" "$RDS_HOME/logs" "$RDS_HOME"/agents/*/nodes/*/log 2>/dev/null | wc -l)" 0 \
  "no token signature in any region or postgres log"

done_testing
