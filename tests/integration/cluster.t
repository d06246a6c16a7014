#!/usr/bin/env bash
# Issue 15, Multi-AZ DB clusters, through the real `aws` CLI: CreateDBCluster
# and its errors, three members in three AZs (one writer, two readable
# standbys), the cluster, reader and instance endpoints in the region's
# DNS, reads through the reader endpoint reaching both readers, writes on
# the writer, FailoverDBCluster to a named target, a writer kill -9 under
# a writer loop with no acknowledged write lost, a stopped reader that
# does not stop writes, a member's cluster-level ModifyDBInstance refused,
# and DeleteDBCluster (deletion protection first).
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
C=shop
# Polls read through rdsctl (a C client: the aws CLI's start-up, many times a
# second, would be most of the run); every call is made with the aws CLI
# at least once below.
cl() { rdsctl describe-db-clusters --db-cluster-identifier $C | jq -r ".DBClusters[0]$1"; }
cl_status_is() { [ "$(cl .Status)" = "$1" ]; }
writer() { cl '.DBClusterMembers[] | select(.IsClusterWriter) | .DBInstanceIdentifier'; }
# The address of the node of member instance $1 (its postmaster.pid).
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
create_args=(--db-cluster-identifier $C --engine postgres --db-cluster-instance-class db.t3.micro
  --allocated-storage 100 --storage-type io1 --iops 1000 --master-username "$T_USER"
  --master-user-password "$T_PASS" --backup-retention-period 1)

# ---- 1. CreateDBCluster's errors, then the cluster --------------------------

like "$(aws_err create-db-cluster --db-cluster-identifier x --engine postgres \
  --db-cluster-instance-class db.t3.micro --allocated-storage 100 --storage-type io1 \
  --master-username "$T_USER" --master-user-password "$T_PASS")" \
  "InvalidParameterCombination.*Iops is required" "no Iops: InvalidParameterCombination"
like "$(aws_err create-db-cluster --db-cluster-identifier x --engine postgres \
  --db-cluster-instance-class db.t3.micro --allocated-storage 100 --storage-type gp2 --iops 1000 \
  --master-username "$T_USER" --master-user-password "$T_PASS")" \
  "StorageTypeNotSupported" "gp2: StorageTypeNotSupported"
like "$(aws_err create-db-cluster --db-cluster-identifier x --engine aurora-mysql \
  --master-username "$T_USER" --master-user-password "$T_PASS")" \
  "InvalidParameterValue" "an engine other than postgres: InvalidParameterValue"
like "$(aws_err create-db-cluster "${create_args[@]}" --db-cluster-parameter-group-name nope)" \
  "DBClusterParameterGroupNotFound" "an unknown cluster parameter group"
like "$(aws_err describe-db-clusters --db-cluster-identifier nope)" "DBClusterNotFoundFault" \
  "DescribeDBClusters of an unknown cluster"

# DB cluster parameter groups: Create/Describe/Delete and their errors; the
# cluster is created with its own group.
PG=Shop-PG
like "$(awsrds create-db-cluster-parameter-group --db-cluster-parameter-group-name $PG \
  --db-parameter-group-family postgres15 --description 'shop <b>' --tags Key=k,Value=v |
  jq -r '.DBClusterParameterGroup | [.DBClusterParameterGroupName, .DBParameterGroupFamily,
  .DBClusterParameterGroupArn] | join(" ")')" \
  "^shop-pg postgres15 arn:aws:rds:$RDS_REGION:[0-9]{12}:cluster-pg:shop-pg$" \
  "CreateDBClusterParameterGroup: lowercase name, family, cluster-pg ARN"
PGARN=$(awsrds describe-db-cluster-parameter-groups --db-cluster-parameter-group-name shop-pg |
  jq -r '.DBClusterParameterGroups[0].DBClusterParameterGroupArn')
is "$(awsrds list-tags-for-resource --resource-name "$PGARN" |
  jq -r '.TagList | map(.Key + "=" + .Value) | join(",")')" "k=v" "the group's Tags, by its ARN"
like "$(aws_err create-db-cluster-parameter-group --db-cluster-parameter-group-name shop-pg \
  --db-parameter-group-family postgres15 --description d)" "DBParameterGroupAlreadyExists" \
  "a second group of the same name"
like "$(aws_err create-db-cluster-parameter-group --db-cluster-parameter-group-name other \
  --db-parameter-group-family postgres14 --description d)" "InvalidParameterValue" \
  "family postgres14 refused"
like "$(aws_err create-db-cluster-parameter-group --db-cluster-parameter-group-name 1bad--name \
  --db-parameter-group-family postgres15 --description d)" "InvalidParameterValue" \
  "a bad group name refused"
like "$(aws_err describe-db-cluster-parameter-groups --db-cluster-parameter-group-name nope)" \
  "DBParameterGroupNotFound" "DescribeDBClusterParameterGroups of an unknown group"
like "$(aws_err delete-db-cluster-parameter-group --db-cluster-parameter-group-name \
  default.postgres15)" "InvalidDBParameterGroupState" "the default group cannot be deleted"
is "$(awsrds describe-db-cluster-parameter-groups --max-records 20 |
  jq -r '[.DBClusterParameterGroups[].DBClusterParameterGroupName] | join(" ")')" \
  "default.postgres15 shop-pg" "DescribeDBClusterParameterGroups lists the default and the new one"
is "$(awsrds describe-db-cluster-parameter-groups --db-cluster-parameter-group-name SHOP-PG |
  jq -r '.DBClusterParameterGroups[0].Description')" "shop <b>" "one group by name, any case"
rdsctl create-db-cluster-parameter-group --db-cluster-parameter-group-name tmp-pg \
  --db-parameter-group-family postgres15 --description t >/dev/null
is "$(rdsctl describe-db-cluster-parameter-groups |
  jq -r '[.DBClusterParameterGroups[].DBClusterParameterGroupName] | join(" ")')" \
  "default.postgres15 shop-pg tmp-pg" "rdsctl create and describe cluster parameter groups"
rdsctl delete-db-cluster-parameter-group --db-cluster-parameter-group-name tmp-pg >/dev/null
ok $? "rdsctl delete-db-cluster-parameter-group"
create_args+=(--db-cluster-parameter-group-name $PG)

out=$(awsrds create-db-cluster "${create_args[@]}" --deletion-protection)
is "$(jq -r .DBCluster.Status <<<"$out")" creating "CreateDBCluster answers creating"
like "$(aws_err create-db-cluster "${create_args[@]}")" "DBClusterAlreadyExistsFault" \
  "a second cluster of the same name"
t0=$(now_s)
poll 120 cl_status_is available || diag "status $(cl .Status)"
ok $? "the cluster becomes available ($(elapsed "$t0" "$(now_s)") s)"
out=$(awsrds describe-db-clusters --db-cluster-identifier $C)
is "$(jq -r '[.DBClusters[0].DBClusterMembers[].DBInstanceIdentifier] | sort | join(" ")' <<<"$out")" \
  "$C-instance-1 $C-instance-2 $C-instance-3" "three members named as RDS names them"
is "$(writer)" "$C-instance-1" "instance-1 is the writer"
is "$(jq -r '.DBClusters[0].DBClusterParameterGroup' <<<"$out")" shop-pg \
  "the cluster shows its cluster parameter group"
like "$(aws_err delete-db-cluster-parameter-group --db-cluster-parameter-group-name shop-pg)" \
  "InvalidDBParameterGroupState" "a group in use cannot be deleted"
is "$(jq -r '.DBClusters[0] | [.MultiAZ, .StorageType, .Iops, .AllocatedStorage, .Engine] | join(" ")' \
  <<<"$out")" "true io1 1000 100 postgres" "MultiAZ, storage and engine in the DBCluster shape"
is "$(jq -r '.DBClusters[0].AvailabilityZones | unique | length' <<<"$out")" 3 "three AZs"
members=$(awsrds describe-db-instances | jq -r --arg c $C \
  '[.DBInstances[] | select(.DBClusterIdentifier == $c) | .AvailabilityZone] | unique | length')
is "$members" 3 "each member in its own AZ, with its DBClusterIdentifier"
EP=$(jq -r '.DBClusters[0].Endpoint' <<<"$out")
RO=$(jq -r '.DBClusters[0].ReaderEndpoint' <<<"$out")
like "$EP" "^$C\.cluster-[a-z0-9]+\.$RDS_REGION\." "the cluster endpoint's name"
like "$RO" "^$C\.cluster-ro-[a-z0-9]+\.$RDS_REGION\." "the reader endpoint's name"

# ---- 2. DNS and traffic -------------------------------------------------------

A1=$(member_addr $C-instance-1); A2=$(member_addr $C-instance-2); A3=$(member_addr $C-instance-3)
is "$(resolve "$EP")" "$A1" "the cluster endpoint names the writer's node"
is "$(resolve "$(endpoint_of $C-instance-2)")" "$A2" "an instance endpoint names its own node"
seen=""
for _ in $(seq 1 12); do
  a=$(resolve "$RO")
  seen+="$a "
done
like "$seen" "$A2" "the reader endpoint answers instance-2"
like "$seen" "$A3" "and instance-3"
unlike() { ! grep -q -- "$2" <<<"$1"; }
check "the reader endpoint never answers the writer" unlike "$seen" "$A1"
ttl=$(dig +noall +answer @127.0.0.1 -p "$RDS_DNS_PORT" "$RO" | awk 'NR == 1 { print $2 }')
is "$ttl" 1 "the reader endpoint's TTL is 1 s"
# The rotation moves on A questions only: rdsctl dns lookup's SOA question
# (and a resolver's AAAA) between two A questions must not skip a reader.
ro_a() { dig +noall +answer @127.0.0.1 -p "$RDS_DNS_PORT" "$RO" A | awk '$4 == "CNAME" { print $5; exit }'; }
ro_other() { dig +noall +answer @127.0.0.1 -p "$RDS_DNS_PORT" "$RO" "$1" >/dev/null; }
alternate=0
prev=$(ro_a)
for _ in $(seq 1 6); do
  ro_other SOA; ro_other AAAA; ro_other SOA
  next=$(ro_a)
  [ -n "$next" ] && [ "$next" != "$prev" ] && alternate=$((alternate + 1))
  prev=$next
done
is "$alternate" 6 "consecutive A lookups of the reader endpoint get the other reader, SOA/AAAA questions in between"

psql_host() { PGPASSWORD=$T_PASS PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -At \
  "host=$1 port=5432 user=$T_USER dbname=postgres" -c "$2"; }
is "$(psql_host "$(resolve "$EP")" 'CREATE TABLE t(id int primary key); INSERT INTO t VALUES (1);
  SELECT pg_is_in_recovery()')" f "a write through the cluster endpoint"
like "$(psql_host "$(resolve "$EP")" 'SHOW synchronous_standby_names')" \
  "^ANY 1 \\(\"$C-instance-2-[a-z0-9]*\", \"$C-instance-3-[a-z0-9]*\"\\)$" \
  "the writer waits for ANY 1 of its two readers"
reads=""
for _ in $(seq 1 10); do
  reads+="$(psql_host "$(resolve "$RO")" 'SELECT pg_is_in_recovery() || inet_server_addr()::text') "
done
like "$reads" "true$A2/" "fresh connections to the reader endpoint reach instance-2 (a standby)"
like "$reads" "true$A3/" "and instance-3"
check "none reaches the writer" unlike "$reads" "false"
poll 10 psql_host "$A2" 'SELECT 1/count(*) FROM t' ; ok $? "the write is on a reader"

# ---- 3. a member's cluster-level settings are the cluster's ----------------------

like "$(aws_err modify-db-instance --db-instance-identifier $C-instance-2 --allocated-storage 200 \
  --apply-immediately)" "InvalidParameterCombination.*ModifyDBCluster" \
  "ModifyDBInstance of a member's storage is refused"
like "$(aws_err delete-db-instance --db-instance-identifier $C-instance-2 --skip-final-snapshot)" \
  "InvalidDBInstanceState.*member" "DeleteDBInstance of a member is refused"
like "$(aws_err stop-db-instance --db-instance-identifier $C-instance-1)" \
  "InvalidDBInstanceState.*member" "StopDBInstance of a member is refused"

# ---- 4. FailoverDBCluster to a named target ------------------------------------

like "$(aws_err failover-db-cluster --db-cluster-identifier $C \
  --target-db-instance-identifier nope)" "DBInstanceNotFound" "a target that is no member"
out=$(awsrds failover-db-cluster --db-cluster-identifier $C \
  --target-db-instance-identifier $C-instance-3)
is "$(jq -r .DBCluster.Status <<<"$out")" failing-over "FailoverDBCluster answers failing-over"
writer_is() { [ "$(writer)" = "$1" ] && cl_status_is available; }
poll 60 writer_is $C-instance-3; ok $? "instance-3 becomes the writer"
is "$(resolve "$EP")" "$A3" "the cluster endpoint follows it"
wr_ok() { [ "$(psql_host "$(resolve "$EP")" 'INSERT INTO t VALUES (2) ON CONFLICT DO NOTHING;
  SELECT pg_is_in_recovery()')" = f ]; }
poll 30 wr_ok; ok $? "writable through the cluster endpoint after the failover"
standby_of() { [ "$(psql_host "$1" 'SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM t WHERE id = 2)')" = t ]; }
poll 60 standby_of "$A1"; ok $? "the old writer rejoined as a reader and has the new write"
poll 60 standby_of "$A2"; ok $? "the other reader follows the new writer"

is "$(awsrds reboot-db-cluster --db-cluster-identifier $C | jq -r .DBCluster.Status)" rebooting \
  "RebootDBCluster answers rebooting"
poll 90 cl_status_is available; ok $? "available again after the reboot, writer $(writer)"
poll 30 wr_ok; ok $? "and writable"

# ---- 5. writer kill -9 and a hung writer, under writers (rdsctl chaos) -------------

# The chaos harness's writers go through the cluster endpoint; its checker
# counts acknowledged writes missing at the end and writes acknowledged by
# a fenced (old) writer. Seed 1 orders the two faults.
rdsctl chaos --db-cluster-identifier $C --master-user-password "$T_PASS" --kinds crash,hang \
  --faults 2 --seed 1 --json "$RDS_HOME/chaos.json" >"$T_OUT.chaos" 2>&1
rc=$?
is "$rc" 0 "rdsctl chaos --db-cluster-identifier: a writer kill -9 and a hung writer recovered" ||
  sed 's/^/#   /' "$T_OUT.chaos" | tail -20
is "$(jq -r '.Totals.MissingWrites' "$RDS_HOME/chaos.json")" 0 \
  "no acknowledged write lost ($(jq -r .Totals.AcknowledgedWrites "$RDS_HOME/chaos.json") acknowledged)"
is "$(jq -r '.Totals.FencedAcks' "$RDS_HOME/chaos.json")" 0 "no write acknowledged by a fenced writer"
diag "chaos: $(jq -c '[.Faults[] | {k: .Kind, detect: .DetectionSeconds, writable: .WritableSeconds, dns: .DnsFlipSeconds}]' "$RDS_HOME/chaos.json" 2>/dev/null)"
evs=$(awsrds describe-events --source-type db-cluster --source-identifier $C --duration 60)
is "$(jq -r '[.Events[] | select(.Message | startswith("Completed failover"))] | length' <<<"$evs")" 3 \
  "three completed failovers (RDS-EVENT-0071), one named and two automatic" ||
  diag "$(jq -r '.Events[] | .Date + " " + .Message' <<<"$evs")"

# ---- 6. a stopped reader does not stop writes -------------------------------------

readers_back() {
  local m w; w=$(writer)
  for m in $C-instance-1 $C-instance-2 $C-instance-3; do
    [ "$m" = "$w" ] || standby_of "$(member_addr "$m")" || return 1
  done
}
poll 60 readers_back; ok $? "the old writers rejoined as readers, with the first writes"

# ---- 5b. split brain: a hung writer host and a hung reader -----------------------
#
# The writer's whole server AND its agent SIGSTOPped (a hung host: nobody can
# fence it), one reader's server SIGSTOPped too, a session held open on the
# writer. After the failover both are resumed and the held session commits:
# the old writer must not get that commit acknowledged (the hung reader's WAL
# receiver, still connected to it, must not ack it), nor may the row exist
# on the new writer's timeline.
server_pids() { echo "$1" $(pgrep -P "$1"); }
W=$(writer)
RA=$(awsrds describe-db-clusters --db-cluster-identifier $C |
  jq -r '[.DBClusters[0].DBClusterMembers[] | select(.IsClusterWriter | not) | .DBInstanceIdentifier][0]')
waz=$(basename "$(dirname "$(dirname "$(ls -d "$RDS_HOME"/agents/*/nodes/"$W"-*)")")")
wpids=$(server_pids "$(member_pid "$W")"); rapids=$(server_pids "$(member_pid "$RA")")
held_in="$RDS_HOME/held.in"; mkfifo "$held_in"
PGPASSWORD=$T_PASS "$PG_BIN/psql" -X -At "host=$(member_addr "$W") port=5432 user=$T_USER dbname=postgres" \
  <"$held_in" >"$RDS_HOME/held.out" 2>&1 &
held=$!
exec 7>"$held_in"
echo "SELECT 'held';" >&7
held_ready() { grep -q '^held$' "$RDS_HOME/held.out"; }
poll 10 held_ready; ok $? "a session held open on writer $W"
wpids=$(server_pids "$(member_pid "$W")") # now with the held session's backend
kill -STOP "$(agent_pid "$waz")" $wpids $rapids
writer_moved() { [ "$(writer)" != "$W" ] && cl_status_is available; }
poll 60 writer_moved; ok $? "failed over from the hung writer host $W (reader $RA hung too) to $(writer)"
echo "INSERT INTO t VALUES (7001);" >&7
echo "SELECT 'after';" >&7
kill -CONT $wpids 2>/dev/null
kill -CONT $rapids 2>/dev/null
# Give a resumed WAL receiver every chance to ack before the old writer's
# agent comes back (and fences it): poll for an answer of the held session.
held_answered() { grep -q "after\|INSERT\|terminat\|closed\|lost" "$RDS_HOME/held.out"; }
poll 5 held_answered
kill -CONT "$(agent_pid "$waz")"
exec 7>&-
held_gone() { ! kill -0 "$held" 2>/dev/null; }
poll 30 held_gone || kill "$held"
wait "$held" 2>/dev/null
if grep -q '^INSERT 0 1$' "$RDS_HOME/held.out"; then
  ok 1 "the fenced old writer acknowledged nothing: $(tr '\n' ' ' <"$RDS_HOME/held.out")"
else
  ok 0 "the fenced old writer acknowledged nothing"
  diag "held session: $(tr '\n' ' ' <"$RDS_HOME/held.out")"
fi
poll 60 readers_back; ok $? "the old writer and $RA rejoined as readers"
is "$(psql_host "$(resolve "$EP")" 'SELECT count(*) FROM t WHERE id = 7001')" 0 \
  "the unacknowledged write is not on the new writer's timeline"
R=$(awsrds describe-db-clusters --db-cluster-identifier $C |
  jq -r '[.DBClusters[0].DBClusterMembers[] | select(.IsClusterWriter | not) | .DBInstanceIdentifier][0]')
rpid=$(member_pid "$R")
kill -STOP "$rpid"
is "$(psql_host "$(resolve "$EP")" "SET statement_timeout = '10s'; INSERT INTO t VALUES (5000);
  SELECT count(*) FROM t WHERE id = 5000")" 1 "a write commits while reader $R is stopped"
kill -CONT "$rpid"

# ---- 7. DeleteDBCluster ------------------------------------------------------------

like "$(aws_err delete-db-cluster --db-cluster-identifier $C --skip-final-snapshot)" \
  "InvalidParameterCombination.*protected" "deletion protection is honoured"
is "$(awsrds modify-db-cluster --db-cluster-identifier $C --no-deletion-protection \
  --backup-retention-period 7 --apply-immediately |
  jq -r '.DBCluster | [.DeletionProtection, .BackupRetentionPeriod] | join(" ")')" "false 7" \
  "ModifyDBCluster turns deletion protection off and sets the backup retention"
is "$(awsrds delete-db-cluster --db-cluster-identifier $C --skip-final-snapshot |
  jq -r .DBCluster.Status)" deleting "DeleteDBCluster answers deleting"
cluster_gone() { rdsctl describe-db-clusters --db-cluster-identifier $C 2>&1 | grep -q DBClusterNotFound; }
poll 60 cluster_gone; ok $? "the cluster is gone"
is "$(awsrds describe-db-instances | jq '.DBInstances | length')" 0 "and its members"
is "$(dns_rcode "$EP")" NXDOMAIN "its endpoint is out of the zone"
awsrds delete-db-cluster-parameter-group --db-cluster-parameter-group-name shop-pg
ok $? "the group, no longer in use, is deleted"
like "$(aws_err describe-db-cluster-parameter-groups --db-cluster-parameter-group-name shop-pg)" \
  "DBParameterGroupNotFound" "and is gone"

done_testing
