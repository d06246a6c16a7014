#!/usr/bin/env bash
# Issue 15, Multi-AZ read replicas: a replica created with --multi-az
# (MultiAZ, SecondaryAvailabilityZone, a standby streaming from the source
# on its own slot), rows reaching both nodes; a kill -9 of the replica's
# active host (its AZ's agent and the postmaster's process group, as
# `rdsctl chaos --kinds host`): the endpoint flips to the standby, rows
# written on the source after it come through the endpoint, writes still
# refused (25006); modify --multi-az on a Single-AZ replica adds a standby,
# a class change restarts both; a promoted Multi-AZ replica's standby is
# synchronous with it.
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
describe() { awsrds describe-db-instances --db-instance-identifier "$1" | jq -r ".DBInstances[0]$2"; }
ready() { case "$(status_of "$1")" in available | backing-up) return 0 ;; esac; return 1; }
addr_of() { resolve "$(endpoint_of "$1")"; }
has_row() { [ "$(sql "$1" "SELECT count(*) FROM t WHERE v = '$2'")" = 1 ]; }
# has_row_at ADDR V: the row on the node at ADDR (as rdsadmin, over TCP).
has_row_at() { [ "$(admin_psql "$1" "SELECT count(*) FROM t WHERE v = '$2'")" = 1 ]; }
sqlstate() {
  PGPASSWORD=$T_PASS PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -At -v VERBOSITY=verbose \
    "host=$(addr_of "$1") port=5432 user=$T_USER dbname=postgres" -c "$2" 2>&1 |
    sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\):.*/\1/p'
}
slots_on() { admin_psql "$(addr_of "$1")" "SELECT string_agg(slot_name, ' ' ORDER BY slot_name) FROM pg_replication_slots WHERE active"; }
# Every address of the instance's running nodes, one a line.
node_addrs() {
  local pm
  for pm in "$RDS_HOME"/agents/*/nodes/"$1"-*/data/postmaster.pid; do
    [ -f "$pm" ] && running "$(head -1 "$pm")" && sed -n 6p "$pm"
  done
  return 0
}
standby_addr() { node_addrs "$1" | grep -vxF "$(addr_of "$1")" | head -1; }
pm_of() { # the postmaster pid of the node behind ID's endpoint
  local d
  d=$(admin_psql "$(addr_of "$1")" "SHOW data_directory") && head -1 "$d/postmaster.pid"
}

create_instance src --backup-retention-period 1 >/dev/null
ok $? "create src (Single-AZ)"
poll 120 ready src || bail "src not available"
sql src "CREATE TABLE t(v text PRIMARY KEY); INSERT INTO t VALUES ('before')" >/dev/null
ok $? "a table on src"

out=$(awsrds create-db-instance-read-replica --db-instance-identifier rm \
  --source-db-instance-identifier src --multi-az)
ok $? "create-db-instance-read-replica rm --multi-az"
is "$(jqs "$out" .DBInstance.MultiAZ)" true "MultiAZ true in the reply"
awsrds create-db-instance-read-replica --db-instance-identifier rs \
  --source-db-instance-identifier src >/dev/null
ok $? "create-db-instance-read-replica rs (Single-AZ)"
poll 180 ready rm || bail "rm not available"
out=$(awsrds describe-db-instances --db-instance-identifier rm)
is "$(jqs "$out" '.DBInstances[0].MultiAZ')" true "rm: MultiAZ true"
saz=$(jqs "$out" '.DBInstances[0].SecondaryAvailabilityZone // empty')
az=$(jqs "$out" '.DBInstances[0].AvailabilityZone')
ok "$([ -n "$saz" ] && [ "$saz" != "$az" ]; echo $?)" "rm: SecondaryAvailabilityZone $saz, not $az"
is "$(node_addrs rm | wc -l)" 2 "rm has two running nodes"

sql src "INSERT INTO t VALUES ('r1')" >/dev/null
poll 30 has_row rm r1
ok $? "a row written on src appears through rm's endpoint"
sb=$(standby_addr rm)
poll 30 has_row_at "$sb" r1
ok $? "and on rm's standby ($sb)"
like "$(slots_on src)" "rdsrr_rm__s" "the standby streams from src through its own slot"
is "$(sqlstate rm "INSERT INTO t VALUES ('no')")" 25006 "a write on rm: 25006"
is "$(api "Action=RebootDBInstance&DBInstanceIdentifier=rm&ForceFailover=true")" \
  "400 InvalidParameterCombination" "reboot --force-failover of a replica: InvalidParameterCombination"

# ---- the replica's active host lost ----
old=$(addr_of rm)
pm=$(pm_of rm)
ag=$(agent_pid "$az")
kill -9 "$ag" && kill -9 -- "-$pm"
ok $? "kill -9 of rm's active host (agent $ag, postmaster $pm and its children)"
poll 60 eval '[ "$(addr_of rm)" = "$sb" ] && ready rm'
ok $? "rm's endpoint flipped to its standby ($old -> $(addr_of rm))"
is "$(describe rm .AvailabilityZone)" "$saz" "rm's AvailabilityZone is the standby's"
sql src "INSERT INTO t VALUES ('r2')" >/dev/null
poll 30 has_row rm r2
ok $? "a row written on src after the flip appears through rm's endpoint"
is "$(sqlstate rm "INSERT INTO t VALUES ('no')")" 25006 "a write on rm after the flip: 25006"
has_row src r2
ok $? "src itself untouched (no failover of the source)"

# ---- modify --multi-az on a Single-AZ replica ----
poll 120 ready rs || bail "rs not available"
awsrds modify-db-instance --db-instance-identifier rs --multi-az --apply-immediately >/dev/null
ok $? "modify-db-instance rs --multi-az"
poll 120 eval '[ "$(describe rs .MultiAZ)" = true ] && ready rs'
ok $? "rs is Multi-AZ"
is "$(node_addrs rs | wc -l)" 2 "rs has two running nodes"
sql src "INSERT INTO t VALUES ('r3')" >/dev/null
poll 30 has_row_at "$(standby_addr rs)" r3
ok $? "a row written on src reaches rs's standby"
awsrds modify-db-instance --db-instance-identifier rs --db-instance-class db.t3.small \
  --apply-immediately >/dev/null
ok $? "modify-db-instance rs --db-instance-class db.t3.small"
poll 120 eval '[ "$(describe rs .DBInstanceClass)" = db.t3.small ] && ready rs'
ok $? "rs runs as db.t3.small"
sql src "INSERT INTO t VALUES ('r4')" >/dev/null
poll 30 has_row rs r4
ok $? "rows reach rs's endpoint after its restart"
poll 30 has_row_at "$(standby_addr rs)" r4
ok $? "and its standby"

# ---- rs's standby cannot stream (its slot dropped, its WAL switched away) ----
# It answers queries but will never catch up: lost (0052) and rebuilt from
# a new base backup (0053), never kept as a stale standby. src's agent is
# paused so it neither makes the slot again nor lets the login back in
# while the WAL is switched away (as replicas.t's lost-WAL part).
sb_pm() { # the postmaster pid of rs's standby node
  local pm sa
  sa=$(standby_addr rs)
  for pm in "$RDS_HOME"/agents/*/nodes/rs-*/data/postmaster.pid; do
    [ -f "$pm" ] && [ "$(sed -n 6p "$pm")" = "$sa" ] && head -1 "$pm" && return 0
  done
  return 1
}
rs_events() { # how many events of rs carry message $1
  rdsctl describe-events --source-identifier rs --source-type db-instance --duration 60 |
    jq --arg m "$1" '[.Events[] | select(.Message == $m)] | length'
}
M52="Multi-AZ instance recovery started."
M53="Multi-AZ instance recovery completed. Pending failover or activation."
n52=$(rs_events "$M52") n53=$(rs_events "$M53")
old_sb=$(sb_pm)
srcaddr=$(addr_of src)
srcagent=$(agent_pid "$(describe src .AvailabilityZone)")
drop_rs_s() {
  admin_psql "$srcaddr" "SELECT pg_terminate_backend(active_pid, 5000) IS NOT NULL, pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'rdsrr_rs__s'" >/dev/null &&
    ! admin_psql "$srcaddr" "SELECT slot_name FROM pg_replication_slots" | grep -qx rdsrr_rs__s
}
kill -STOP "$srcagent"
admin_psql "$srcaddr" "ALTER ROLE rdsrepladmin NOLOGIN" >/dev/null
poll 10 drop_rs_s
ok $? "rs's standby slot rdsrr_rs__s dropped on src"
admin_psql "$srcaddr" "SELECT pg_logical_emit_message(false, 'rdsim', 'x'), pg_switch_wal() FROM generate_series(1, 20)" >/dev/null &&
  admin_psql "$srcaddr" "CHECKPOINT" >/dev/null
ok $? "20 WAL segments switched and a checkpoint on src"
admin_psql "$srcaddr" "ALTER ROLE rdsrepladmin LOGIN" >/dev/null
kill -CONT "$srcagent"
poll 60 eval '[ "$(rs_events "$M52")" -gt "$n52" ]'
ok $? "RDS-EVENT-0052 on rs: its standby is lost"
poll 120 eval 'p=$(sb_pm) && [ "$p" != "$old_sb" ]'
ok $? "rs's standby rebuilt (a new postmaster: $old_sb -> $(sb_pm))"
sql src "INSERT INTO t VALUES ('r5')" >/dev/null
poll 60 has_row_at "$(standby_addr rs)" r5
ok $? "the rebuilt standby streams from src"
poll 30 eval 'slots_on src | grep -qw rdsrr_rs__s'
ok $? "through its slot again"
poll 60 eval '[ "$(rs_events "$M53")" -gt "$n53" ]'
ok $? "RDS-EVENT-0053 on rs"
has_row rs r5
ok $? "rs itself kept streaming"

# The old node rejoins as the standby if its host is back within
# --standby-replace-ms, else a new standby replaces it: either streams
# from src.
check "region.sh up brings rm's old host back" region_restart
poll 90 eval '[ "$(node_addrs rm | wc -l)" = 2 ]'
ok $? "rm has a standby again"
poll 30 has_row_at "$(standby_addr rm)" r3
ok $? "it streams from src"
poll 30 eval 'slots_on src | grep -qw rdsrr_rm__s'
ok $? "through its slot"

# ---- promotion: the standby follows the promoted node, synchronous ----
awsrds promote-read-replica --db-instance-identifier rm >/dev/null
ok $? "promote-read-replica rm"
poll 60 eval '[ "$(describe rm ".ReadReplicaSourceDBInstanceIdentifier // \"none\"")" = none ] && ready rm'
ok $? "rm promoted"
sql rm "INSERT INTO t VALUES ('w1')" >/dev/null
ok $? "rm is writable"
sync_on() { admin_psql "$(addr_of rm)" "SELECT string_agg(sync_state, ',') FROM pg_stat_replication WHERE application_name <> 'rdsim_archiver'"; }
poll 120 eval '[ "$(sync_on)" = sync ]'
ok $? "rm's standby is synchronous with it ($(sync_on))"
poll 30 has_row_at "$(standby_addr rm)" w1
ok $? "a write on rm is on its standby"
poll 30 eval '! admin_psql "$(addr_of src)" "SELECT slot_name FROM pg_replication_slots" | grep -q rdsrr_rm'
ok $? "rm's slots on src dropped"

done_testing
