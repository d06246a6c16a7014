#!/usr/bin/env bash
# Issue 15, read replicas, through the `aws` CLI: a replica of a
# Single-AZ source (data follows, writes refused with 25006, its slot on
# the source, StatusInfos, ReplicaLag), the restrictions' errors, a
# cascaded replica, a replica that lost its WAL (slot dropped, WAL
# switched away) rebuilt, promotion (writable, slot gone, the cascaded
# replica keeps following), a Multi-AZ source's failover followed without
# a rebuild (same postmaster, new timeline) after --force-failover and
# after a kill -9 of its primary, the source's new master password kept by
# a promoted replica, and a deleted source whose replica is promoted.
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
# aws_err ARGS...: an rds call that must fail; prints its stderr.
aws_err() { aws --endpoint-url "$API" --output json rds "$@" >/dev/null 2>"$T_OUT"; cat "$T_OUT"; }
describe() { awsrds describe-db-instances --db-instance-identifier "$1" | jq -r ".DBInstances[0]$2"; }
# rdsim's own members (ReplicaLag) are in rdsctl's JSON, not in the model.
rdescribe() { rdsctl describe-db-instances --db-instance-identifier "$1" | jq -r ".DBInstances[0]$2"; }
ready() { case "$(status_of "$1")" in available | backing-up) return 0 ;; esac; return 1; }
addr_of() { resolve "$(endpoint_of "$1")"; }
has_row() { [ "$(sql "$1" "SELECT count(*) FROM t WHERE v = '$2'")" = 1 ]; }
# SQLSTATE of a statement through the instance's endpoint.
sqlstate() {
  PGPASSWORD=$T_PASS PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -At -v VERBOSITY=verbose \
    "host=$(addr_of "$1") port=5432 user=$T_USER dbname=postgres" -c "$2" 2>&1 |
    sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\):.*/\1/p'
}
slots_on() { admin_psql "$(addr_of "$1")" "SELECT string_agg(slot_name, ' ' ORDER BY slot_name) FROM pg_replication_slots"; }
no_slot() { ! slots_on "$1" | grep -qw "$2"; }
# Polled: rdsctl (the aws CLI takes seconds to start on a loaded machine).
info_status() { rdescribe "$1" '.StatusInfos[0].Status // empty'; }
# event MESSAGE ID: an event of instance ID with that message.
event() {
  rdsctl describe-events --source-identifier "$2" --source-type db-instance --duration 60 |
    jq -e --arg m "$1" 'any(.Events[]; .Message == $m)' >/dev/null
}

# ---- sources -----------------------------------------------------------------

create_instance src --backup-retention-period 1 >/dev/null
ok $? "create src (Single-AZ)"
# At once (curl, not the aws CLI's start-up): src is still creating.
is "$(api "Action=CreateDBInstanceReadReplica&DBInstanceIdentifier=r0&SourceDBInstanceIdentifier=src")" \
  "400 InvalidDBInstanceState" "a replica of a source still creating: InvalidDBInstanceState"
create_instance nobk --backup-retention-period 0 >/dev/null
ok $? "create nobk (no automated backups)"
create_instance msrc --multi-az --backup-retention-period 1 >/dev/null
ok $? "create msrc (Multi-AZ)"

like "$(aws_err create-db-instance-read-replica --db-instance-identifier r0 \
  --source-db-instance-identifier nosuch)" "DBInstanceNotFound" "unknown source: DBInstanceNotFound"

poll 120 ready src || bail "src not available"
poll 120 ready nobk || bail "nobk not available"
like "$(aws_err create-db-instance-read-replica --db-instance-identifier r0 \
  --source-db-instance-identifier nobk)" "InvalidDBInstanceState" \
  "a replica of a source without backups: InvalidDBInstanceState"
like "$(aws_err create-db-instance-read-replica --db-instance-identifier nobk \
  --source-db-instance-identifier src)" "DBInstanceAlreadyExists" \
  "an existing identifier: DBInstanceAlreadyExists"
like "$(aws_err create-db-instance-read-replica --db-instance-identifier r0 \
  --source-db-instance-identifier src --kms-key-id alias/aws/rds)" "InvalidParameterCombination" \
  "a KMS key for an unencrypted source: InvalidParameterCombination"
awsrds delete-db-instance --db-instance-identifier nobk --skip-final-snapshot >/dev/null
sql src "CREATE TABLE t(v text PRIMARY KEY); INSERT INTO t VALUES ('before')" >/dev/null
ok $? "a table on src"

# ---- a replica of a Single-AZ source -----------------------------------------

out=$(awsrds create-db-instance-read-replica --db-instance-identifier r1 \
  --source-db-instance-identifier "$(describe src .DBInstanceArn)" \
  --db-instance-class db.t3.small --tags Key=team,Value=read)
ok $? "create-db-instance-read-replica r1 (source by ARN)"
is "$(jqs "$out" .DBInstance.ReadReplicaSourceDBInstanceIdentifier)" src "r1's source in the answer"
is "$(jqs "$out" .DBInstance.BackupRetentionPeriod)" 0 "r1 has no automated backups"
poll 120 status_is r1 available || bail "r1 not available"
ok 0 "r1 available"
# Built while r1 is looked at.
# A smaller class than its source's: max_connections is the source's.
awsrds create-db-instance-read-replica --db-instance-identifier r2 \
  --source-db-instance-identifier r1 --db-instance-class db.t3.micro >/dev/null
ok $? "create r2, a replica of r1 (cascading), of a smaller class"
poll 120 ready msrc || bail "msrc not available"
awsrds create-db-instance-read-replica --db-instance-identifier mr \
  --source-db-instance-identifier msrc >/dev/null
ok $? "create mr, a replica of the Multi-AZ msrc"
isnt "$(addr_of r1)" "$(addr_of src)" "r1 has its own endpoint in DNS"
poll 20 has_row r1 before
ok $? "a row written before the replica is on it"
sql src "INSERT INTO t VALUES ('after')" >/dev/null
poll 20 has_row r1 after
ok $? "a row written on src appears on r1"
is "$(sqlstate r1 "INSERT INTO t VALUES ('nope')")" 25006 "a write on r1: SQLSTATE 25006"
is "$(describe src '.ReadReplicaDBInstanceIdentifiers | join(",")')" r1 \
  "src lists r1 in ReadReplicaDBInstanceIdentifiers"
poll 20 eval '[ "$(info_status r1)" = replicating ]'
ok $? "r1 StatusInfos: read replication replicating"
event "Replication for the Read Replica resumed." r1
ok $? "RDS-EVENT-0046 on r1"
is "$(describe r1 '.StatusInfos[0] | .StatusType + " " + (.Normal | tostring)')" \
  "read replication true" "StatusInfos' StatusType and Normal"
is "$(describe r1 '.TagList[0].Value')" read "r1's tags"
poll 10 eval '[ -n "$(rdescribe r1 ".ReplicaLag // empty")" ]'
ok $? "r1 ReplicaLag present ($(rdescribe r1 '.ReplicaLag // "none"') s)"
like "$(slots_on src)" "rdsrr_r1" "a physical slot named after r1 on src"
is "$(admin_psql "$(addr_of src)" "SELECT sync_state FROM pg_stat_replication WHERE application_name LIKE 'r1-%'")" \
  async "r1 streams asynchronously"

# ---- StopDBInstance: "You can't stop a DB instance that has a read replica, or
# that is a read replica" (User Guide, USER_StopInstance) ----------------------
like "$(aws_err stop-db-instance --db-instance-identifier r1)" \
  "InvalidDBInstanceState.*Cannot stop or start a Read-Replica instance" "stop-db-instance of a replica: refused"
like "$(aws_err stop-db-instance --db-instance-identifier src)" \
  "InvalidDBInstanceState.*has Read-Replica instances" "stop-db-instance of a replica's source: refused"
is "$(describe src .DBInstanceStatus)/$(describe r1 .DBInstanceStatus)" available/available \
  "both still available"

# ---- a cascaded replica, and the Multi-AZ source's replica --------------------

poll 120 status_is r2 available || bail "r2 not available"
is "$(describe r2 .ReadReplicaSourceDBInstanceIdentifier)" r1 "r2's source is r1"
is "$(sql r2 "SHOW max_connections")" "$(sql r1 "SHOW max_connections")" \
  "r2 runs with r1's max_connections"
sql src "INSERT INTO t VALUES ('cascade')" >/dev/null
poll 20 has_row r2 cascade
ok $? "a row written on src reaches r2 through r1"
r2_slot_active() { [ "$(admin_psql "$(addr_of r1)" "SELECT active FROM pg_replication_slots WHERE slot_name = 'rdsrr_r2'")" = t ]; }
poll 30 r2_slot_active
ok $? "r2 streams through its slot on r1, a hot standby"

# ---- lost WAL: the slot dropped and the WAL switched away ----------------------

r1pid=$(postmaster_pid r1)
# The walreceiver comes back within wal_retrieve_retry_interval and src's
# agent makes the slot (and the login) again within 10 s: both kept out
# while the WAL r1 needs is switched away (the agent paused, not killed).
srcaddr=$(addr_of src)
srcagent=$(agent_pid "$(rdescribe src .AvailabilityZone)")
kill -STOP "$srcagent"
admin_psql "$srcaddr" "ALTER ROLE rdsrepladmin NOLOGIN" >/dev/null
poll 10 drop_slot "$srcaddr" rdsrr_r1
ok $? "r1's slot dropped on src"
switch_wal_away "$srcaddr"
ok $? "20 WAL segments switched and a checkpoint on src"
admin_psql "$srcaddr" "ALTER ROLE rdsrepladmin LOGIN" >/dev/null
kill -CONT "$srcagent"
poll 40 eval '[ "$(info_status r1)" = error ]'
ok $? "r1 StatusInfos: error ($(rdescribe r1 '.StatusInfos[0].Message // empty' | cut -c1-60))"
poll 60 eval '[ "$(info_status r1)" = replicating ]'
ok $? "r1 rebuilt: replicating again"
event "Replication has stopped." r1
ok $? "RDS-EVENT-0045 on r1"
sql src "INSERT INTO t VALUES ('rebuilt')" >/dev/null
poll 20 has_row r1 rebuilt
ok $? "r1 follows src again"
isnt "$(postmaster_pid r1)" "$r1pid" "r1 was rebuilt (a new postmaster)"

# ---- the source's master password changed: its replicas' rows follow -----------

# r1 and r2 share src's data (the ALTER ROLE streams to them); their rows
# take the new verifier, so r1's promotion keeps the new password (its
# agent sets the row's verifier once it is a primary).
NEWPW='n3w-s3cret-pass'
awsrds modify-db-instance --db-instance-identifier src --master-user-password "$NEWPW" \
  --apply-immediately >/dev/null
ok $? "modify-db-instance src --master-user-password"
poll 30 eval 'T_PASS=$NEWPW sql r1 "SELECT 1" >/dev/null 2>&1'
ok $? "the new password logs in on r1 (streamed from src)"

# ---- promotion -------------------------------------------------------------------

poll 60 status_is mr available || bail "mr not available"
out=$(awsrds promote-read-replica --db-instance-identifier r1)
ok $? "promote-read-replica r1"
is "$(jqs "$out" .DBInstance.DBInstanceStatus)" modifying "r1 modifying"
like "$(aws_err promote-read-replica --db-instance-identifier src)" "InvalidDBInstanceState" \
  "promoting an instance that is no replica: InvalidDBInstanceState"
poll 90 ready r1
ok $? "r1 promoted ($(status_of r1))"
is "$(describe r1 '.ReadReplicaSourceDBInstanceIdentifier // "none"')" none "r1 has no source"
is "$(describe r1 .BackupRetentionPeriod)" 1 "r1's backup retention 1 (the default)"
T_PASS=$NEWPW sql r1 "INSERT INTO t VALUES ('promoted')" >/dev/null
ok $? "r1 is writable (the new password)"
poll 20 no_slot src rdsrr_r1
ok $? "r1's slot dropped on src"
T_PASS=$NEWPW poll 60 has_row r2 promoted
ok $? "r2 keeps following r1 after its promotion"
is "$(describe src '.ReadReplicaDBInstanceIdentifiers | length')" 0 "src has no replica"

# ---- a Multi-AZ source's failover is followed ---------------------------------

sql msrc "CREATE TABLE t(v text PRIMARY KEY); INSERT INTO t VALUES ('m1')" >/dev/null
poll 20 has_row mr m1
ok $? "a row written on msrc appears on mr"
mrpid=$(postmaster_pid mr)
tli() { admin_psql "$(addr_of mr)" "SELECT received_tli FROM pg_stat_wal_receiver"; }
tli0=$(tli)
old=$(addr_of msrc)
# RDS-EVENT-0053s of msrc: one more once its old primary rejoined in sync.
recovered() {
  rdsctl describe-events --source-identifier msrc --source-type db-instance --duration 60 |
    jq '[.Events[] | select(.Message | startswith("Multi-AZ instance recovery completed"))] | length'
}
n0=$(recovered)
awsrds reboot-db-instance --db-instance-identifier msrc --force-failover >/dev/null
ok $? "reboot-db-instance msrc --force-failover"
poll 60 eval '[ "$(addr_of msrc)" != "$old" ] && status_is msrc available'
ok $? "msrc failed over"
sql msrc "INSERT INTO t VALUES ('m2')" >/dev/null
poll 30 has_row mr m2
ok $? "a row written after the failover appears on mr"
is "$(postmaster_pid mr)" "$mrpid" "mr was not rebuilt (same postmaster)"
poll 10 eval '[ "$(tli)" -gt "$tli0" ]'
ok $? "mr follows the new timeline ($tli0 -> $(tli))"
like "$(slots_on msrc)" "rdsrr_mr" "mr's slot on msrc's new primary"

# A kill -9 of msrc's primary host (its AZ's agent and the postmaster's
# process group, `rdsctl chaos --kinds host`): a failover no one asked for;
# mr follows the new primary without a rebuild. It waits for msrc to be
# Multi-AZ again: until then a crashed primary is restarted in place
# (domain/ha.c, supervise=restart), not failed over.
pm_of() { # pm_of ID: the postmaster pid of the node behind ID's endpoint
  local d
  d=$(admin_psql "$(addr_of "$1")" "SHOW data_directory") && head -1 "$d/postmaster.pid"
}
poll 90 eval '[ "$(recovered)" -gt "$n0" ]'
ok $? "msrc Multi-AZ again: its old primary rejoined as a synchronous standby"
old=$(addr_of msrc)
pm=$(pm_of msrc)
ag=$(agent_pid "$(rdescribe msrc .AvailabilityZone)")
kill -9 "$ag" && kill -9 -- "-$pm"
ok $? "kill -9 of msrc's primary host (agent $ag, postmaster $pm and its children)"
poll 90 eval '[ "$(addr_of msrc)" != "$old" ] && status_is msrc available'
ok $? "msrc failed over after the crash"
sql msrc "INSERT INTO t VALUES ('m3')" >/dev/null
poll 30 has_row mr m3
ok $? "a row written after the crash failover appears on mr"
is "$(postmaster_pid mr)" "$mrpid" "mr was not rebuilt (same postmaster)"

# ---- the source deleted: its replica promoted ---------------------------------

awsrds delete-db-instance --db-instance-identifier msrc --skip-final-snapshot >/dev/null
ok $? "delete msrc"
poll 60 eval '[ "$(rdescribe mr ".ReadReplicaSourceDBInstanceIdentifier // \"none\"")" = none ] && ready mr'
ok $? "mr promoted to a standalone instance"
sql mr "INSERT INTO t VALUES ('standalone')" >/dev/null
ok $? "mr is writable"
poll 60 status_is msrc gone
ok $? "msrc deleted"

# ---- a replica deleted: its slot goes --------------------------------------------

poll 20 r2_slot_active
ok $? "r2 still streams through its slot on r1, now a primary"
# That slot was made by the SQL that also sets r1's master verifier from
# its row (agent/node.c roles_ensure): the promotion kept the new password.
T_PASS=$NEWPW sql r1 "SELECT 1" >/dev/null
ok $? "r1 promoted: the source's new master password still logs in"
! sql r1 "SELECT 1" >/dev/null 2>&1
ok $? "r1 promoted: the old one does not"
like "$(aws_err delete-db-instance --db-instance-identifier r2 --final-db-snapshot-identifier r2-final)" \
  InvalidParameterCombination "no final snapshot of a read replica"
awsrds delete-db-instance --db-instance-identifier r2 --skip-final-snapshot >/dev/null
ok $? "delete r2"
poll 30 no_slot r1 rdsrr_r2
ok $? "r2's slot dropped on r1"

done_testing
