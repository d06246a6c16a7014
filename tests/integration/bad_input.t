#!/usr/bin/env bash
# Bad input against a real region: every case must get the exact AWS error
# code and HTTP status, and nothing may be created (no instance listed, no
# node directory, no postgres). Then raw HTTP abuse (malformed query
# strings, huge and binary bodies, other methods, the agent heartbeat with
# garbage): the controlplane must keep answering and the agents keep
# working (a valid instance is created afterwards).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

region_up || bail "the region did not start"
ok 0 "region up"

# Percent-encodes a value for a form body.
urlencode() {
  local s=$1 out= c h i
  local LC_ALL=C
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [a-zA-Z0-9.~_-]) out+=$c ;;
      *) printf -v h '%%%02X' "'$c"; out+=$h ;;
    esac
  done
  printf '%s' "$out"
}

# create_body [NAME=VALUE | NAME=] ...: a valid CreateDBInstance body
# with the given parameters replaced, added, or (NAME= with no value and
# a name in the defaults) removed; NAME=^ sends an empty value.
create_body() {
  local -a names=(Action Version DBInstanceIdentifier Engine DBInstanceClass MasterUsername
    MasterUserPassword AllocatedStorage)
  local -A v=([Action]=CreateDBInstance [Version]=2014-10-31 [DBInstanceIdentifier]=bad
    [Engine]=postgres [DBInstanceClass]=db.t3.micro [MasterUsername]=app
    [MasterUserPassword]=s3cret-pass [AllocatedStorage]=20)
  local a k
  for a in "$@"; do
    k=${a%%=*}
    [ -n "${v[$k]+set}" ] || names+=("$k")
    v[$k]=${a#*=}
  done
  local body= sep=
  for k in "${names[@]}"; do
    [ -z "${v[$k]}" ] && continue
    [ "${v[$k]}" = "^" ] && v[$k]=
    body+="$sep$k=$(urlencode "${v[$k]}")"
    sep='&'
  done
  printf '%s' "$body"
}

# body ACTION NAME=VALUE...: any action.
body() {
  local out="Action=$1&Version=2014-10-31" a
  shift
  for a in "$@"; do out+="&${a%%=*}=$(urlencode "${a#*=}")"; done
  printf '%s' "$out"
}

# nothing_created WANT-IDS WANT-NODES: the region holds exactly these
# instances (space-separated) and this many node directories.
nothing_created() {
  local ids nodes
  ids=$(instance_ids) || return 1
  nodes=$(node_dirs | wc -l)
  [ "$ids" = "$1" ] && [ "$nodes" -eq "$2" ] ||
    { echo "instances '$ids' (want '$1'), node dirs $nodes (want $2)"; return 1; }
}

# expect NAME "STATUS CODE" BODY [CURL ARGS]: one bad request; the error
# and, in the same assertion, that nothing new exists.
T_IDS=
T_NODES=0
expect() {
  local name=$1 want=$2 b=$3; shift 3
  local got
  got=$(api "$b" "$@")
  if [ "$got" = "$want" ] && nothing_created "$T_IDS" "$T_NODES" >"$T_OUT" 2>&1; then
    ok 0 "$name: $want"
  else
    ok 1 "$name: $want"
    echo "#          got: '$got'"
    sed 's/^/#   /' "$T_OUT"
  fi
}

long63=$(printf 'a%.0s' {1..63})
long64=$(printf 'a%.0s' {1..64})
IPV='400 InvalidParameterValue'
IPC='400 InvalidParameterCombination'
MP='400 MissingParameter'

# ---- CreateDBInstance refusals, on an empty region -------------------------

expect "identifier starting with a digit" "$IPV" "$(create_body DBInstanceIdentifier=1shop)"
expect "identifier with --" "$IPV" "$(create_body DBInstanceIdentifier=my--db)"
expect "identifier ending with a hyphen" "$IPV" "$(create_body DBInstanceIdentifier=mydb-)"
expect "identifier of 64 characters" "$IPV" "$(create_body DBInstanceIdentifier="$long64")"
expect "identifier with an underscore" "$IPV" "$(create_body DBInstanceIdentifier=my_db)"
expect "identifier with a dot" "$IPV" "$(create_body DBInstanceIdentifier=my.db)"
expect "identifier missing" "$MP" "$(create_body DBInstanceIdentifier=)"
expect "identifier empty" "$MP" "$(create_body DBInstanceIdentifier=^)"
expect "DBInstanceClass missing" "$MP" "$(create_body DBInstanceClass=)"
expect "Engine missing" "$MP" "$(create_body Engine=)"
expect "engine mysql" "$IPV" "$(create_body Engine=mysql)"
expect "unknown instance class db.z9.mega" "$IPC" "$(create_body DBInstanceClass=db.z9.mega)"
expect "malformed instance class" "$IPV" "$(create_body DBInstanceClass='t3 micro')"
expect "EngineVersion 9.6" "$IPC" "$(create_body EngineVersion=9.6)"
is "$(scurl -s -H 'Accept: application/json' --data-binary "$(create_body EngineVersion=9.6)" "$API" |
  jq -r .Error.Message)" "Cannot find version 9.6 for postgres" "... Cannot find version 9.6 for postgres"
expect "master username reserved (select)" "$IPV" "$(create_body MasterUsername=select)"
expect "master username reserved (rdsadmin)" "$IPV" "$(create_body MasterUsername=rdsadmin)"
expect "master username of 17 characters" "$IPV" "$(create_body MasterUsername=abcdefghijklmnopq)"
expect "master username starting with a digit" "$IPV" "$(create_body MasterUsername=1app)"
expect "master username missing" "$IPV" "$(create_body MasterUsername=)"
expect "password of 7 characters" "$IPV" "$(create_body MasterUserPassword=short12)"
expect "password with @" "$IPV" "$(create_body MasterUserPassword='abc@defgh1')"
expect 'password with "' "$IPV" "$(create_body MasterUserPassword='abc"defgh1')"
expect "password with /" "$IPV" "$(create_body MasterUserPassword='abc/defgh1')"
expect "password with a space" "$IPV" "$(create_body MasterUserPassword='abc defgh1')"
expect "password of 129 characters" "$IPV" "$(create_body MasterUserPassword="$long64$long64"x)"
expect "password missing" "$IPV" "$(create_body MasterUserPassword=)"
expect "storage 5 GiB on gp3" "$IPV" "$(create_body AllocatedStorage=5)"
expect "storage 65537 GiB on gp3" "$IPV" "$(create_body AllocatedStorage=65537)"
expect "storage not a number" "$IPV" "$(create_body AllocatedStorage=twenty)"
expect "storage 99 GiB on io1" "$IPV" "$(create_body StorageType=io1 AllocatedStorage=99 Iops=1000)"
expect "io1 without Iops" "$IPC" "$(create_body StorageType=io1 AllocatedStorage=100)"
expect "io1 with Iops/GiB above 50" "$IPV" "$(create_body StorageType=io1 AllocatedStorage=100 Iops=6000)"
expect "Iops on gp2" "$IPC" "$(create_body StorageType=gp2 Iops=3000)"
expect "unknown storage type" "$IPV" "$(create_body StorageType=ssd)"
expect "port 80" "$IPV" "$(create_body Port=80)"
expect "port 70000" "$IPV" "$(create_body Port=70000)"
expect "BackupRetentionPeriod 36" "$IPV" "$(create_body BackupRetentionPeriod=36)"
expect "BackupRetentionPeriod -1" "$IPV" "$(create_body BackupRetentionPeriod=-1)"
expect "DBName with a hyphen" "$IPV" "$(create_body DBName=my-db)"
expect "DBName of 64 characters" "$IPV" "$(create_body DBName="$long64")"
expect "MonitoringInterval 2" "$IPV" "$(create_body MonitoringInterval=2)"
expect "MonitoringInterval 60 without a role" "$IPC" "$(create_body MonitoringInterval=60)"
expect "MultiAZ=maybe" "$IPV" "$(create_body MultiAZ=maybe)"
expect "unknown AvailabilityZone" "$IPV" "$(create_body AvailabilityZone=mars-1a)"
expect "backup window overlapping maintenance" "$IPC" \
  "$(create_body PreferredBackupWindow=03:00-04:00 PreferredMaintenanceWindow=mon:03:30-mon:04:30)"
expect "malformed backup window" "$IPV" "$(create_body PreferredBackupWindow=3am-4am)"
expect "tag key aws:x" "$IPV" "$(create_body Tags.Tag.1.Key=aws:x Tags.Tag.1.Value=y)"
expect "list with a gap" "$IPV" "$(create_body Tags.Tag.2.Key=k Tags.Tag.2.Value=v)"

# ---- other actions with nothing to act on ----------------------------------

expect "delete a missing instance" "404 DBInstanceNotFound" \
  "$(body DeleteDBInstance DBInstanceIdentifier=nope SkipFinalSnapshot=true)"
expect "reboot a missing instance" "404 DBInstanceNotFound" \
  "$(body RebootDBInstance DBInstanceIdentifier=nope)"
expect "modify a missing instance" "404 DBInstanceNotFound" \
  "$(body ModifyDBInstance DBInstanceIdentifier=nope DeletionProtection=true)"
expect "describe a missing instance" "404 DBInstanceNotFound" \
  "$(body DescribeDBInstances DBInstanceIdentifier=nope)"
expect "delete with SkipFinalSnapshot and FinalDBSnapshotIdentifier" "$IPC" \
  "$(body DeleteDBInstance DBInstanceIdentifier=nope SkipFinalSnapshot=true FinalDBSnapshotIdentifier=snap)"
expect "delete with neither" "$IPC" "$(body DeleteDBInstance DBInstanceIdentifier=nope)"
expect "delete without an identifier" "$MP" "$(body DeleteDBInstance SkipFinalSnapshot=true)"
expect "DescribeDBInstances MaxRecords 10" "$IPV" "$(body DescribeDBInstances MaxRecords=10)"
expect "DescribeDBInstances MaxRecords 101" "$IPV" "$(body DescribeDBInstances MaxRecords=101)"
expect "DescribeEvents MaxRecords 10" "$IPV" "$(body DescribeEvents MaxRecords=10)"
expect "unknown filter" "$IPV" \
  "$(body DescribeDBInstances Filters.Filter.1.Name=color Filters.Filter.1.Values.Value.1=red)"

# ---- the protocol ----------------------------------------------------------

expect "unknown Action" "400 InvalidAction" "Action=LaunchRocket&Version=2014-10-31"
expect "missing Action" "400 MissingAction" "Version=2014-10-31"
expect "empty body" "400 MissingAction" ""
expect "wrong Version" "400 InvalidAction" "Action=DescribeDBInstances&Version=2012-01-01"
expect "an empty pair (&&)" "404 MalformedQueryString" "Action=DescribeDBInstances&&Version=2014-10-31"
expect "a name without =" "404 MalformedQueryString" "Action=DescribeDBInstances&oops"
expect "a pair with an empty name" "404 MalformedQueryString" "Action=DescribeDBInstances&=x"
expect "an encoded NUL" "404 MalformedQueryString" "Action=DescribeDBInstances&x=a%00b"
expect "an invalid percent-escape (%zz)" "404 MalformedQueryString" "Action=DescribeDBInstances&a=%zz"
expect "a repeated parameter name" "$IPV" "Action=DescribeDBInstances&Action=DescribeDBInstances"
expect "invalid UTF-8 in a value" "$IPV" "Action=DescribeDBInstances&DBInstanceIdentifier=%ff%fe"
expect "invalid UTF-8 in a name" "404 MalformedQueryString" \
  "$(printf 'Action=DescribeDBInstances&\xc3\x28=1')"
expect "1001 parameters" "$IPV" "Action=DescribeDBInstances$(printf '&p%d=1' {1..1000})"

big=$(mktemp /tmp/rdsim-big.XXXXXX)
{ printf 'Action=DescribeDBInstances&x='; head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' a; } >"$big"
got=$(scurl -s -m 10 -o /dev/null -w '%{http_code}' --data-binary @"$big" "$API")
rm -f "$big"
is "$got" 413 "a body over 1 MiB: 413"
check "... and the controlplane still answers" api_alive

got=$(scurl -s -m 10 "$API?Action=DescribeDBInstances&Version=2014-10-31")
like "$got" '^<DescribeDBInstancesResponse xmlns="http://rds\.amazonaws\.com/doc/2014-10-31/">' \
  "a GET with a query string works"
for m in PUT DELETE PATCH; do
  got=$(scurl -s -m 10 -o /dev/null -w '%{http_code}' -X "$m" -d 'Action=DescribeDBInstances' "$API")
  is "$got" 405 "$m is refused with 405"
done
is "$(scurl -s -m 10 -o /dev/null -w '%{http_code}' "${API}nowhere")" 404 "an unknown path: 404"

# Error shapes: XML by default, the same tree as JSON when asked.
xml=$(scurl -s -m 10 -d 'Action=RebootDBInstance&DBInstanceIdentifier=nope' "$API")
like "$xml" '^<ErrorResponse xmlns="http://rds\.amazonaws\.com/doc/2014-10-31/">' "XML error: ErrorResponse"
like "$xml" '<Error>[[:space:]]*<Type>Sender</Type>[[:space:]]*<Code>DBInstanceNotFound</Code>[[:space:]]*<Message>DBInstance nope not found\.</Message>[[:space:]]*</Error>' \
  "XML error: Type, Code, Message"
like "$xml" '</Error>[[:space:]]*<RequestId>[^<]+</RequestId>[[:space:]]*</ErrorResponse>' "XML error: RequestId"
ctype=$(scurl -s -m 10 -o /dev/null -w '%{content_type}' -d 'Action=Nope' "$API")
like "$ctype" '^text/xml' "XML error: Content-Type text/xml"
js=$(scurl -s -m 10 -H 'Accept: application/json' -d 'Action=RebootDBInstance&DBInstanceIdentifier=nope' "$API")
is "$(jqs "$js" '[.Error.Type, .Error.Code, .Error.Message] | join("|")')" \
  "Sender|DBInstanceNotFound|DBInstance nope not found." "JSON error: Type, Code, Message"
like "$(jqs "$js" .RequestId)" '^[a-z0-9-]{36}$' "JSON error: RequestId"

# Garbage bodies: fixed ones, then random ones (their seed is printed).
for g in $'\x00\x01\x02' $'\xff\xfe\xfd\xfc' '%%%%' '=&=&=' 'Action' $'Action=\x80' '{"Action":"DescribeDBInstances"}' \
  '<xml/>' "$(printf 'A%.0s' {1..5000})"; do
  got=$(printf '%s' "$g" | scurl -s -m 10 -o /dev/null -w '%{http_code}' --data-binary @- "$API")
  [[ $got =~ ^4[0-9][0-9]$ ]] || { ok 1 "garbage body gets a 4xx"; echo "#   body: $(printf '%q' "$g") got $got"; }
done
ok 0 "fixed garbage bodies: 4xx each"
seed=$RANDOM
diag "random bodies: seed $seed"
RANDOM=$seed
bad=0
for i in $(seq 1 30); do
  garbage=$(mktemp /tmp/rdsim-garbage.XXXXXX)
  head -c $((RANDOM % 3000 + 1)) /dev/urandom >"$garbage"
  got=$(scurl -s -m 10 -o /dev/null -w '%{http_code}' --data-binary @"$garbage" "$API")
  [[ $got =~ ^4[0-9][0-9]$ ]] || { bad=1; echo "#   random body $i: $got"; }
  rm -f "$garbage"
done
ok $bad "30 random binary bodies: 4xx each"
check "the controlplane still answers" api_alive
check "nothing was created by all that" nothing_created "" 0
is "$(our_postgres | xargs)" "" "no postgres of ours runs"

# ---- the agent heartbeat with garbage --------------------------------------

HB="http://127.0.0.1:$RDS_API_PORT/agent/v1/heartbeat"
for g in 'garbage{' '[]' '{}' '{"az":42}' 'null' '"x"' \
  "$(printf '[%.0s' {1..5000})" '{"az":"us-east-1a","nodes":"x"}' \
  '{"az":"us-east-1a","addr_base":"nonsense","nodes":[{"node_id":7}]}'; do
  got=$(printf '%s' "$g" | scurl -s -m 10 -o /dev/null -w '%{http_code}' \
    -H 'Content-Type: application/json' --data-binary @- "$HB")
  is "$got" 401 "unsigned heartbeat garbage $(printf '%.30s' "$g"): 401"
done
# Signed with the agent's own key (agent/README.md "Trust"), the parser
# judges: a body not naming the signer is 403, a malformed report 400.
KEY="$RDS_HOME/controlplane/agent-keys/us-east-1a.key"
for g in 'garbage{' '[]' '{"agent_id":"us-east-1b","az":"us-east-1a"}'; do
  is "$("$ROOT/tests/integration/agent_request.py" "$HB" "$g" --agent us-east-1a --key "$KEY" | head -1)" \
    403 "signed heartbeat not naming its agent $(printf '%.30s' "$g"): 403"
done
for g in '{"agent_id":"us-east-1a"}' '{"agent_id":"us-east-1a","az":42}' \
  '{"agent_id":"us-east-1a","az":"us-east-1a","addr_base":"127.1.1","nodes":"x"}' \
  '{"agent_id":"us-east-1a","az":"us-east-1a","addr_base":"nonsense","nodes":[{"node_id":7}]}' \
  '{"agent_id":"us-east-1a","az":"us-east-1a","addr_base":"127.1.1","nodes":[{"node_id":7}]}'; do
  is "$("$ROOT/tests/integration/agent_request.py" "$HB" "$g" --agent us-east-1a --key "$KEY" | head -1)" \
    400 "signed heartbeat garbage $(printf '%.40s' "${g#*,}"): 400"
done
check "the controlplane still answers" api_alive
is "$(scurl -s -m 5 "http://127.0.0.1:$RDS_API_PORT/healthz" | jq -r .agents)" 3 \
  "the three agents are still registered"

# ---- with an instance: conflicts -------------------------------------------

out=$(create_instance good)
ok $? "a valid create still works"
poll 60 status_is good available
ok $? "... and becomes available (the agents still work)"
T_IDS=good
T_NODES=1
check "exactly one instance and one node directory" nothing_created good 1
is "$(our_postgres | wc -l)" 1 "exactly one postgres"

expect "a duplicate create" "400 DBInstanceAlreadyExists" "$(create_body DBInstanceIdentifier=good)"
expect "a duplicate create, other case" "400 DBInstanceAlreadyExists" "$(create_body DBInstanceIdentifier=GOOD)"
expect "modify with no changes" "$IPC" "$(body ModifyDBInstance DBInstanceIdentifier=good)"
expect "modify BackupRetentionPeriod 36" "$IPV" \
  "$(body ModifyDBInstance DBInstanceIdentifier=good BackupRetentionPeriod=36)"
expect "modify storage down to 10" "$IPV" \
  "$(body ModifyDBInstance DBInstanceIdentifier=good AllocatedStorage=10 ApplyImmediately=true)"
expect "modify storage by less than 10%" "$IPV" \
  "$(body ModifyDBInstance DBInstanceIdentifier=good AllocatedStorage=21 ApplyImmediately=true)"
expect "modify to an unknown class" "$IPC" \
  "$(body ModifyDBInstance DBInstanceIdentifier=good DBInstanceClass=db.z9.mega)"
expect "reboot --force-failover on Single-AZ" "$IPC" \
  "$(body RebootDBInstance DBInstanceIdentifier=good ForceFailover=true)"
d=$(rdsctl describe-db-instances --db-instance-identifier good)
is "$(jqs "$d" '.DBInstances[0] | [.DBInstanceStatus, .AllocatedStorage, .BackupRetentionPeriod,
  .DBInstanceClass, (.PendingModifiedValues | length)] | join(" ")')" "available 20 1 db.t3.micro 0" \
  "the refused modifications changed nothing"

# A delete takes a few hundred milliseconds: the next two requests go on
# the same connection right behind it (curl --next), while the instance
# is still deleting.
seq_dir=$(mktemp -d /tmp/rdsim-seq.XXXXXX)
statuses=$(scurl -s -m 10 -H 'Accept: application/json' -o "$seq_dir/1" -w '%{http_code}\n' \
  --data-binary "$(body DeleteDBInstance DBInstanceIdentifier=good SkipFinalSnapshot=true)" "$API" \
  --next --aws-sigv4 "aws:amz:$RDS_REGION:rds" --user "$T_KEY:$T_SECRET" -s -m 10 -H 'Accept: application/json' -o "$seq_dir/2" -w '%{http_code}\n' \
  --data-binary "$(body DeleteDBInstance DBInstanceIdentifier=good SkipFinalSnapshot=true)" "$API" \
  --next --aws-sigv4 "aws:amz:$RDS_REGION:rds" --user "$T_KEY:$T_SECRET" -s -m 10 -H 'Accept: application/json' -o "$seq_dir/3" -w '%{http_code}\n' \
  --data-binary "$(body RebootDBInstance DBInstanceIdentifier=good)" "$API" | xargs)
codes=$(for f in 1 2 3; do jq -r '.Error.Code // "-"' "$seq_dir/$f"; done | xargs)
rm -rf "$seq_dir"
is "$statuses $codes" "200 400 400 - InvalidDBInstanceState InvalidDBInstanceState" \
  "delete good, then delete and reboot it while deleting: InvalidDBInstanceState"
poll 60 status_is good gone
ok $? "good is gone"
check "nothing left" nothing_created "" 0
check "the controlplane still answers" api_alive

check "region down" region_stop
is "$(region_procs | xargs)" "" "no process of the region is left"

done_testing
