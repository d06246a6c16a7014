#!/usr/bin/env bash
# Backups of Multi-AZ DB clusters (issue 15) with the aws CLI: cluster
# snapshots created, described, copied (tags) and deleted, kept apart from
# DB snapshots; a restore from a snapshot is a three-member cluster whose
# members all hold the snapshot's rows (on another port); DeleteDBCluster
# with a final snapshot; the cluster's automated backups give
# EarliestRestorableTime/LatestRestorableTime and a point-in-time restore
# (on another port) exact to a commit made after a cluster failover (the
# archiver followed the new writer); those backups listed as automated
# cluster snapshots (rds:<cluster>-<date>, not deletable, gone with the
# cluster); KmsKeyId on the restores (r1 encrypted from the unencrypted
# s1, its backups sealed under that key; a restore from r1's automated
# rds: snapshot keeps it; a copy of that rds: snapshot is manual, re-keyed
# by --kms-key-id, and outlives r1; a point-in-time restore of r1 re-keys; an
# unencrypted source's PITR or an unknown key refused); the cluster
# snapshot events; the API's errors. Polls go through `rdsctl call` (the aws CLI
# is too slow to poll with).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v aws >/dev/null; then
  echo "1..0 # SKIP the aws CLI is not installed"
  exit 0
fi

awsrds() { aws --endpoint-url "$API" --output json rds "$@"; }
# err CMD...: the AWS error code a call (aws CLI or rdsctl) fails with.
err() { "$@" 2>&1 >/dev/null | sed -n 's/.*(\([A-Za-z]*\)).*/\1/p' | head -1; }
rd_err() { err rdsctl "$@"; }
call() { rdsctl call "$@" 2>/dev/null; }
cluster_field() { call DescribeDBClusters DBClusterIdentifier="$1" | jq -r ".DBClusters[0].$2 // empty"; }
cluster_is() { [ "$(cluster_field "$1" Status)" = "$2" ]; }
cluster_gone() { ! call DescribeDBClusters DBClusterIdentifier="$1" >/dev/null; }
csnap_field() {
  call DescribeDBClusterSnapshots DBClusterSnapshotIdentifier="$1" |
    jq -r ".DBClusterSnapshots[0].$2 // empty"
}
csnap_is() { [ "$(csnap_field "$1" Status)" = "$2" ]; }
auto_of() { call DescribeDBClusterSnapshots DBClusterIdentifier="$1" SnapshotType=automated |
  jq -r '.DBClusterSnapshots[].DBClusterSnapshotIdentifier'; }
writer_of() { call DescribeDBClusters DBClusterIdentifier="$1" |
  jq -r '.DBClusters[0].DBClusterMembers[] | select(.IsClusterWriter) | .DBInstanceIdentifier'; }
members_of() { call DescribeDBClusters DBClusterIdentifier="$1" |
  jq -r '[.DBClusters[0].DBClusterMembers[].DBInstanceIdentifier] | sort | join(" ")'; }
members_available() {
  local m
  for m in $(members_of "$1"); do status_is "$m" available || return 1; done
}
# at MEMBER PORT SQL: one statement on a member, through its endpoint.
at() {
  local addr
  addr=$(resolve "$(endpoint_of "$1")")
  [ -n "$addr" ] || return 1
  PGPASSWORD=$T_PASS PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -At \
    "host=$addr port=$2 user=$T_USER dbname=orders" -c "$3"
}
rows() { at "$1" "$2" "SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM w"; }
seq_csv() { seq -s, "$1" "$2"; }
offset_s() { rdsctl clock show | jq -r .OffsetSeconds; }
iso() { awk -v t="$1" -v o="$2" 'BEGIN { s = t + o; ms = int((s - int(s)) * 1000);
  printf "%s.%03dZ", strftime("%Y-%m-%dT%H:%M:%S", int(s), 1), ms }'; }
lrt_past() { local l; l=$(cluster_field "$1" LatestRestorableTime); [ -n "$l" ] && [[ ! "$l" < "$2" ]]; }

# write CLUSTER FROM TO: one commit per row on the writer, the real time
# just before and just after each commit in BEFORE[i] and AFTER[i].
declare -a BEFORE AFTER
write() {
  local w i
  w=$(writer_of "$1")
  for ((i = $2; i <= $3; i++)); do
    BEFORE[i]=$EPOCHREALTIME
    at "$w" 5432 "INSERT INTO w VALUES ($i)" >/dev/null || return 1
    AFTER[i]=$EPOCHREALTIME
    sleep 0.05
  done
}
between() { awk -v a="${AFTER[$1]}" -v b="${BEFORE[$(($1 + 1))]}" 'BEGIN { printf "%.3f", (a + b) / 2 }'; }

region_up || bail "the region did not start"
ok 0 "region up"

awsrds create-db-cluster --db-cluster-identifier c1 --engine postgres \
  --db-cluster-instance-class db.t3.micro --allocated-storage 100 --storage-type io1 --iops 1000 \
  --master-username "$T_USER" --master-user-password "$T_PASS" --database-name orders \
  --backup-retention-period 1 >/dev/null
ok $? "create-db-cluster c1 (retention 1 day)"

# ---- errors before anything exists -------------------------------------------

is "$(rd_err create-db-cluster-snapshot --db-cluster-snapshot-identifier s0 --db-cluster-identifier nope)" \
  DBClusterNotFoundFault "snapshot of an unknown cluster"
is "$(rd_err describe-db-cluster-snapshots --db-cluster-snapshot-identifier nope)" \
  DBClusterSnapshotNotFoundFault "describe an unknown cluster snapshot"
is "$(rd_err delete-db-cluster-snapshot --db-cluster-snapshot-identifier nope)" \
  DBClusterSnapshotNotFoundFault "delete an unknown cluster snapshot"
is "$(rd_err create-db-cluster-snapshot --db-cluster-snapshot-identifier 1bad --db-cluster-identifier c1)" \
  InvalidParameterValue "a bad snapshot identifier"

check "c1 available" poll 240 cluster_is c1 available
w1=$(writer_of c1)
at "$w1" 5432 "CREATE TABLE w(id int PRIMARY KEY)" >/dev/null
ok $? "table made on c1's writer $w1"
write c1 1 10
ok $? "10 commits on c1"

diag "${SECONDS}s"
# ---- snapshots ------------------------------------------------------------------

s=$(awsrds create-db-cluster-snapshot --db-cluster-snapshot-identifier s1 --db-cluster-identifier c1 \
  --tags Key=team,Value=db)
ok $? "create-db-cluster-snapshot s1"
is "$(jqs "$s" .DBClusterSnapshot.Status)" creating "it starts creating"
like "$(jqs "$s" .DBClusterSnapshot.DBClusterSnapshotArn)" ':cluster-snapshot:s1$' "its ARN"
is "$(rd_err create-db-cluster-snapshot --db-cluster-snapshot-identifier s1 --db-cluster-identifier c1)" \
  DBClusterSnapshotAlreadyExistsFault "the same identifier again"
check "s1 available" poll 120 csnap_is s1 available
d=$(awsrds describe-db-cluster-snapshots --db-cluster-snapshot-identifier s1 | jq -c '.DBClusterSnapshots[0]')
is "$(jqs "$d" '[.DBClusterIdentifier, .SnapshotType, .PercentProgress, .StorageType, .AllocatedStorage, .Engine] | join(" ")')" \
  "c1 manual 100 io1 100 postgres" "the DBClusterSnapshot shape"
is "$(jqs "$d" .DbClusterResourceId)" "$(cluster_field c1 DbClusterResourceId)" "DbClusterResourceId is c1's"
is "$(jqs "$d" '.TagList | map(.Key + "=" + .Value) | join(",")')" "team=db" "its tags"
like "$(jqs "$d" .SnapshotCreateTime)" '^20[0-9-]+T' "SnapshotCreateTime once available"
is "$(rdsctl describe-db-cluster-snapshots --db-cluster-identifier c1 --snapshot-type manual |
  jq -r '[.DBClusterSnapshots[].DBClusterSnapshotIdentifier] | join(",")')" s1 "listed by cluster and type"
# c1's automated backups, as RDS lists them: rds:<cluster>-<date> cluster snapshots.
check "c1's first automated cluster snapshot is listed" poll 120 eval '[ -n "$(auto_of c1)" ]'
a1=$(auto_of c1)
like "$a1" '^rds:c1-20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]-[0-9][0-9]-[0-9][0-9]$' "named rds:c1-YYYY-MM-DD-HH-MM"
d=$(awsrds describe-db-cluster-snapshots --db-cluster-snapshot-identifier "$a1" | jq -c '.DBClusterSnapshots[0]')
is "$(jqs "$d" '[.DBClusterIdentifier, .SnapshotType, .Status, .Engine] | join(" ")')" \
  "c1 automated available postgres" "describe-db-cluster-snapshots by its name: automated, available"
like "$(jqs "$d" .DBClusterSnapshotArn)" ":cluster-snapshot:rds:c1-" "its ARN is cluster-snapshot:rds:..."
is "$(rdsctl describe-db-cluster-snapshots --db-cluster-identifier c1 |
  jq -r '[.DBClusterSnapshots[].SnapshotType] | unique | join(",")')" "automated,manual" \
  "with no SnapshotType, manual and automated ones are listed"
is "$(rdsctl describe-db-cluster-snapshots --db-cluster-identifier c1 --snapshot-type manual |
  jq -r '[.DBClusterSnapshots[].SnapshotType] | unique | join(",")')" manual "manual only lists manual ones"
is "$(err awsrds delete-db-cluster-snapshot --db-cluster-snapshot-identifier "$a1")" \
  InvalidDBClusterSnapshotStateFault "delete-db-cluster-snapshot of an automated one: refused"
is "$(auto_of c1 | head -1)" "$a1" "and it is still there"
is "$(rdsctl describe-db-snapshots --snapshot-type automated | jq '.DBSnapshots | length')" 0 \
  "no cluster snapshot is listed as a DB snapshot"
# Cluster snapshot events (source type db-cluster-snapshot), as RDS lists them.
ev=$(awsrds describe-events --source-type db-cluster-snapshot --duration 600 |
  jq -r '[.Events[] | "\(.SourceIdentifier)=\(.Message)"] | join(";")')
like "$ev" "s1=Creating manual cluster snapshot[.]" "RDS-EVENT-0074 for s1"
like "$ev" "s1=Manual cluster snapshot created[.]" "RDS-EVENT-0075 for s1"
like "$ev" "$a1=Automated cluster snapshot created[.]" "RDS-EVENT-0169 for $a1"
is "$(awsrds describe-events --source-type db-cluster-snapshot --source-identifier s1 --duration 600 |
  jq -r '[.Events[].SourceType] | unique | join(",")')" db-cluster-snapshot "their SourceType"
is "$(rdsctl describe-db-cluster-snapshots --db-cluster-identifier nope | jq '.DBClusterSnapshots | length')" 0 \
  "none of another cluster"
is "$(rdsctl describe-db-snapshots | jq '.DBSnapshots | length')" 0 "DescribeDBSnapshots does not list it"
is "$(rd_err delete-db-snapshot --db-snapshot-identifier cluster:s1)" DBSnapshotNotFound \
  "no DB snapshot action reaches it"

c=$(awsrds copy-db-cluster-snapshot --source-db-cluster-snapshot-identifier s1 \
  --target-db-cluster-snapshot-identifier s1-copy --copy-tags)
ok $? "copy-db-cluster-snapshot s1 -> s1-copy --copy-tags"
like "$(jqs "$c" .DBClusterSnapshot.SourceDBClusterSnapshotArn)" ':cluster-snapshot:s1$' "the copy names its source"
check "s1-copy available" poll 120 csnap_is s1-copy available
is "$(csnap_field s1-copy 'TagList | map(.Key) | join(",")')" team "the copy has the source's tags"
is "$(rd_err copy-db-cluster-snapshot --source-db-cluster-snapshot-identifier nope --target-db-cluster-snapshot-identifier x)" \
  DBClusterSnapshotNotFoundFault "copy of an unknown snapshot"
awsrds delete-db-cluster-snapshot --db-cluster-snapshot-identifier s1-copy >/dev/null
ok $? "delete-db-cluster-snapshot s1-copy"
is "$(rd_err describe-db-cluster-snapshots --db-cluster-snapshot-identifier s1-copy)" \
  DBClusterSnapshotNotFoundFault "s1-copy is gone"
[ ! -e "$RDS_HOME/backups/snapshots/cluster:s1-copy" ]
ok $? "and so is its object"

diag "${SECONDS}s"
# ---- restore from the snapshot (on another port), a cluster failover meanwhile --

like "$(awsrds restore-db-cluster-from-snapshot --db-cluster-identifier r2 --snapshot-identifier s1 \
  --engine postgres --db-cluster-parameter-group-name nope 2>&1 >/dev/null)" DBClusterParameterGroupNotFound \
  "restore with an unknown cluster parameter group"
rdsctl create-db-cluster-parameter-group --db-cluster-parameter-group-name rpg \
  --db-parameter-group-family postgres15 --description r >/dev/null
key=$(rdsctl kms create-key --description r1 | jq -r .KeyMetadata.Arn)
key2=$(rdsctl kms create-key --description e2 | jq -r .KeyMetadata.Arn)
like "$key2" '^arn:aws:kms:' "two customer KMS keys"
is "$(err awsrds restore-db-cluster-from-snapshot --db-cluster-identifier r2 --snapshot-identifier s1 \
  --engine postgres --kms-key-id alias/nope)" KMSKeyNotAccessibleFault "restore with an unknown KMS key"
r=$(awsrds restore-db-cluster-from-snapshot --db-cluster-identifier r1 --snapshot-identifier s1 \
  --engine postgres --port 5433 --db-cluster-parameter-group-name rpg --kms-key-id "$key")
ok $? "restore-db-cluster-from-snapshot s1 -> r1 on port 5433, --kms-key-id"
is "$(jqs "$r" '.DBCluster.DBClusterParameterGroup')" rpg "r1 has the cluster parameter group it was given"
is "$(jqs "$r" '"\(.DBCluster.StorageEncrypted) \(.DBCluster.KmsKeyId)"')" "true $key" \
  "r1 is encrypted with the key, though s1 is not"
is "$(jqs "$r" '.DBCluster.DBClusterMembers | length')" 3 "r1 has three members"
is "$(rd_err restore-db-cluster-from-snapshot --db-cluster-identifier r2 --snapshot-identifier nope --engine postgres)" \
  DBClusterSnapshotNotFoundFault "restore from an unknown snapshot"
is "$(rd_err restore-db-cluster-from-snapshot --db-cluster-identifier c1 --snapshot-identifier s1 --engine postgres)" \
  DBClusterAlreadyExistsFault "restore onto an existing cluster"

# The automated backups must follow the writer: c1 fails over, and the
# restore below is to a time after it, so its WAL spans both writers.
check "c1 has a restorable window" poll 60 lrt_past c1 "2000-01-01T00:00:00Z"
like "$(cluster_field c1 EarliestRestorableTime)" '^20[0-9-]+T' "EarliestRestorableTime"
check "failover-db-cluster c1 accepted" poll 60 call FailoverDBCluster DBClusterIdentifier=c1
check "c1 has a new writer" poll 120 eval '[ "$(writer_of c1)" != "$w1" ] && cluster_is c1 available'
write c1 11 20
ok $? "10 commits on c1's new writer $(writer_of c1)"
t1=$(iso "$(between 15)" "$(offset_s)")
diag "restore time $t1 (between commits 15 and 16, after the failover)"

check "r1 available" poll 240 cluster_is r1 available
check "its members available" poll 60 members_available r1
is "$(cluster_field r1 Port)" 5433 "r1's port is 5433"
for m in $(members_of r1); do
  is "$(rows "$m" 5433)" "$(seq_csv 1 10)" "$m holds the snapshot's rows"
done
is "$(at "$(writer_of r1)" 5433 'SELECT pg_is_in_recovery()')" f "r1's writer is a primary"
is "$(resolve "$(cluster_field r1 Endpoint)")" "$(resolve "$(endpoint_of "$(writer_of r1)")")" \
  "r1's cluster endpoint resolves to its writer"
check "r1's reader endpoint resolves" poll 30 eval '[ -n "$(resolve "$(cluster_field r1 ReaderEndpoint)")" ]'

diag "${SECONDS}s"
# ---- r1's automated backups: under its key, restored from rds:, re-keyed by PITR --

check "r1's first automated cluster snapshot is listed" poll 120 eval '[ -n "$(auto_of r1)" ]'
ar=$(auto_of r1 | head -1)
is "$(csnap_field "$ar" KmsKeyId)" "$key" "$ar is encrypted with r1's key"
r1rid=$(call DescribeDBInstances DBInstanceIdentifier=r1-instance-1 | jq -r '.DBInstances[0].DbiResourceId')
check "r1's base backups are sealed under its key" \
  eval 'grep -qaF -- "$key" "$RDS_HOME/backups/automated/$r1rid/base/"*.tar.env'
# Copying an automated snapshot is how RDS keeps it beyond retention.
cp=$(awsrds copy-db-cluster-snapshot --source-db-cluster-snapshot-identifier "$ar" \
  --target-db-cluster-snapshot-identifier ar-copy --kms-key-id "$key2")
ok $? "copy-db-cluster-snapshot $ar -> ar-copy --kms-key-id (another key)"
is "$(jqs "$cp" '"\(.DBClusterSnapshot.SnapshotType) \(.DBClusterSnapshot.KmsKeyId) \(.DBClusterSnapshot.DBClusterIdentifier)"')" \
  "manual $key2 r1" "the copy is manual, of r1, under the other key"
like "$(jqs "$cp" .DBClusterSnapshot.SourceDBClusterSnapshotArn)" ":cluster-snapshot:$ar\$" \
  "its source is $ar"
is "$(err awsrds copy-db-cluster-snapshot --source-db-cluster-snapshot-identifier "$ar" \
  --target-db-cluster-snapshot-identifier rds:mine)" InvalidParameterValue "a copy named rds:...: refused"
a=$(awsrds restore-db-cluster-from-snapshot --db-cluster-identifier a2 --snapshot-identifier "$ar" \
  --engine postgres)
ok $? "restore-db-cluster-from-snapshot $ar -> a2"
is "$(jqs "$a" '"\(.DBCluster.StorageEncrypted) \(.DBCluster.KmsKeyId) \(.DBCluster.DBClusterMembers | length)"')" \
  "true $key 3" "a2: three members, r1's key kept (no --kms-key-id)"
is "$(err awsrds restore-db-cluster-to-point-in-time --source-db-cluster-identifier c1 \
  --db-cluster-identifier e2 --use-latest-restorable-time --kms-key-id "$key2")" InvalidParameterCombination \
  "PITR of the unencrypted c1 with --kms-key-id: refused"
check "r1 has a restorable window" poll 60 lrt_past r1 "2000-01-01T00:00:00Z"
e=$(awsrds restore-db-cluster-to-point-in-time --source-db-cluster-identifier r1 \
  --db-cluster-identifier e2 --use-latest-restorable-time --kms-key-id "$key2")
ok $? "restore-db-cluster-to-point-in-time r1 -> e2 --kms-key-id (another key)"
is "$(jqs "$e" '"\(.DBCluster.StorageEncrypted) \(.DBCluster.KmsKeyId)"')" "true $key2" \
  "e2 is encrypted with the other key"
check "a2 available" poll 240 cluster_is a2 available
is "$(rows "$(writer_of a2)" 5433)" "$(seq_csv 1 10)" "a2 holds the rows written before $ar"
check "e2 available" poll 240 cluster_is e2 available
is "$(rows "$(writer_of e2)" 5433)" "$(seq_csv 1 10)" "e2 holds r1's rows (read from backups under $key)"
for x in a2 e2; do
  awsrds delete-db-cluster --db-cluster-identifier $x --skip-final-snapshot >/dev/null
  ok $? "delete-db-cluster $x"
done

diag "${SECONDS}s"
# ---- delete with a final snapshot -------------------------------------------

check "ar-copy available" poll 120 csnap_is ar-copy available
grep -qaF -- "$key2" "$RDS_HOME/backups/snapshots/cluster:ar-copy/base.tar.env"
ok $? "ar-copy's object is sealed under the other key"

is "$(rd_err delete-db-cluster --db-cluster-identifier r1)" InvalidParameterCombination \
  "delete needs a final snapshot or SkipFinalSnapshot"
is "$(rd_err delete-db-cluster --db-cluster-identifier r1 --final-db-snapshot-identifier s1)" \
  DBClusterSnapshotAlreadyExistsFault "a final snapshot's identifier must be new"
awsrds delete-db-cluster --db-cluster-identifier r1 --final-db-snapshot-identifier r1-final >/dev/null
ok $? "delete-db-cluster r1 with a final snapshot"

diag "${SECONDS}s"
# ---- a point-in-time restore, exact to a commit, across the failover -----------

check "the archive reaches past the restore time" poll 90 lrt_past c1 "$t1"
is "$(rd_err restore-db-cluster-to-point-in-time --source-db-cluster-identifier c1 --db-cluster-identifier x1 --restore-to-time 2001-01-01T00:00:00Z)" \
  InvalidRestoreFault "a time before the window"
is "$(rd_err restore-db-cluster-to-point-in-time --source-db-cluster-identifier c1 --db-cluster-identifier x1 --restore-to-time "$t1" --use-latest-restorable-time)" \
  InvalidParameterCombination "both RestoreToTime and UseLatestRestorableTime"
is "$(rd_err restore-db-cluster-to-point-in-time --source-db-cluster-identifier nope --db-cluster-identifier x1 --use-latest-restorable-time)" \
  DBClusterNotFoundFault "an unknown source cluster"
awsrds restore-db-cluster-to-point-in-time --source-db-cluster-identifier c1 \
  --db-cluster-identifier p1 --restore-to-time "$t1" --port 5434 >/dev/null
ok $? "restore-db-cluster-to-point-in-time c1 -> p1 at $t1, port 5434"
check "r1 gone" poll 120 cluster_gone r1
is "$(auto_of r1)" "" "r1's automated cluster snapshots went with it"
is "$(csnap_field r1-final Status)/$(csnap_field r1-final DBClusterIdentifier)/$(csnap_field r1-final Port)" \
  "available/r1/5433" "the final snapshot r1-final is available, of r1"
is "$(csnap_field ar-copy Status)/$(csnap_field ar-copy SnapshotType)/$(csnap_field ar-copy KmsKeyId)" \
  "available/manual/$key2" "ar-copy outlives r1 and its automated snapshots"
awsrds delete-db-cluster-snapshot --db-cluster-snapshot-identifier ar-copy >/dev/null
ok $? "delete-db-cluster-snapshot ar-copy"
check "p1 available" poll 240 cluster_is p1 available
is "$(rows "$(writer_of p1)" 5434)" "$(seq_csv 1 15)" "p1 holds exactly commits 1..15 (across the failover)"
check "a2 and e2 gone" poll 120 eval 'cluster_gone a2 && cluster_gone e2'
check "p1's members available" poll 60 members_available p1
for m in $(members_of p1); do
  [ "$m" = "$(writer_of p1)" ] && continue
  check "reader $m caught up: commits 1..15" poll 30 eval "[ \"\$(rows $m 5434)\" = '$(seq_csv 1 15)' ]"
done

done_testing
