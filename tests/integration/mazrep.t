#!/usr/bin/env bash
# Issue 15, Multi-AZ read replicas: a replica created with --multi-az
# (MultiAZ, SecondaryAvailabilityZone, a standby streaming from the source
# on its own slot), rows reaching both nodes; a kill -9 of the replica's
# active host (its AZ's agent and the postmaster's process group, as
# `rdsctl chaos --kinds host`): the endpoint flips to the standby, rows
# written on the source after it come through the endpoint, writes still
# refused (25006); once it has a standby again, a reboot --force-failover
# makes the same flip on request; modify --multi-az on a Single-AZ replica adds a standby,
# a class change restarts both; a promoted Multi-AZ replica's standby is
# synchronous with it. A standby whose WAL receiver is stopped (SIGSTOP)
# is lost and rebuilt.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

M13="Multi-AZ instance failover started."
M49="Multi-AZ instance failover completed."
M52="Multi-AZ instance recovery started."
M53="Multi-AZ instance recovery completed. Pending failover or activation."
M45="Replication has stopped."

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
events_of() { # how many events of instance $1 carry message $2
  rdsctl describe-events --source-identifier "$1" --source-type db-instance --duration 60 |
    jq --arg m "$2" '[.Events[] | select(.Message == $m)] | length'
}
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

# ---- the replica's active host lost ----
old=$(addr_of rm)
pm=$(pm_of rm)
ag=$(agent_pid "$az")
rm53=$(events_of rm "$M53") # its standby in place again: one more
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
rs_events() { events_of rs "$1"; }
n52=$(rs_events "$M52") n53=$(rs_events "$M53")
old_sb=$(sb_pm)
srcaddr=$(addr_of src)
srcagent=$(agent_pid "$(describe src .AvailabilityZone)")
kill -STOP "$srcagent"
admin_psql "$srcaddr" "ALTER ROLE rdsrepladmin NOLOGIN" >/dev/null
poll 10 drop_slot "$srcaddr" rdsrr_rs__s
ok $? "rs's standby slot rdsrr_rs__s dropped on src"
# 20 segments switched away (wal_keep_size is 16) and a checkpoint; the
# other replicas' slots may still hold them, so the loss is awaited while
# the standby cannot log in at all (its login and slot kept away by the
# paused agent; src itself answers its probes meanwhile, so no failover).
switch_wal_away "$srcaddr"
ok $? "20 WAL segments switched and a checkpoint on src"
poll 60 eval '[ "$(rs_events "$M52")" -gt "$n52" ]'
ok $? "RDS-EVENT-0052 on rs: its standby is lost"
admin_psql "$srcaddr" "ALTER ROLE rdsrepladmin LOGIN" >/dev/null
kill -CONT "$srcagent"
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

# ---- rs's standby's WAL receiver stalled (SIGSTOP) ----
# pg_stat_wal_receiver still shows it streaming, but it does not move
# while src writes: lost (0052) and rebuilt, as one that has no receiver.
n52=$(rs_events "$M52") n53=$(rs_events "$M53")
old_sb=$(sb_pm)
wpid=$(admin_psql "$(standby_addr rs)" "SELECT pid FROM pg_stat_wal_receiver WHERE status = 'streaming'")
trap 'kill -CONT "$wpid" 2>/dev/null; cleanup' EXIT
kill -STOP "$wpid"
ok $? "kill -STOP of the walreceiver ($wpid) of rs's standby"
sql src "INSERT INTO t VALUES ('s1')" >/dev/null
poll 60 eval '[ "$(rs_events "$M52")" -gt "$n52" ]'
ok $? "RDS-EVENT-0052 on rs: its standby's receiver stalled"
# Its walsender on src says "streaming" until wal_sender_timeout: that is
# no recovery.
is "$(rs_events "$M53")" "$n53" "no RDS-EVENT-0053 before the standby is rebuilt"
# The rebuild stops the server: a stopped child would hold its fast
# shutdown until the agent's SIGKILL, so let it go on now.
kill -CONT "$wpid"
poll 120 eval 'p=$(sb_pm) && [ "$p" != "$old_sb" ]'
ok $? "rs's standby rebuilt (a new postmaster: $old_sb -> $(sb_pm))"
poll 60 has_row_at "$(standby_addr rs)" s1
ok $? "the rebuilt standby has the row written during the stall"
poll 60 eval '[ "$(rs_events "$M53")" -gt "$n53" ]'
ok $? "RDS-EVENT-0053 on rs"

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

# ---- reboot --force-failover: the standby takes over as the replica ----
# The same flip as a lost node's (ha.c), on request: the endpoint moves,
# the new active node streams from src through the replica's own slot,
# the old node becomes the standby on the standby's slot.
slot_at() { admin_psql "$1" "SELECT slot_name FROM pg_stat_wal_receiver WHERE status = 'streaming'"; }
rm_is_healthy() { # both nodes stream from src, each on its own slot
  [ "$(slot_at "$(addr_of rm)")" = rdsrr_rm ] && [ "$(slot_at "$(standby_addr rm)")" = rdsrr_rm__s ]
}
poll 30 rm_is_healthy
ok $? "rm's active node streams on rdsrr_rm, its standby on rdsrr_rm__s"
poll 60 eval '[ "$(events_of rm "$M53")" -gt "$rm53" ]'
ok $? "RDS-EVENT-0053 on rm: its standby is in place again"
sb=$(standby_addr rm) az=$(describe rm .AvailabilityZone) saz=$(describe rm .SecondaryAvailabilityZone)
n13=$(events_of rm "$M13") n49=$(events_of rm "$M49") n52=$(events_of rm "$M52")
n53=$(events_of rm "$M53") n45=$(events_of rm "$M45")
old=$(addr_of rm)
out=$(awsrds reboot-db-instance --db-instance-identifier rm --force-failover)
ok $? "reboot-db-instance rm --force-failover"
is "$(jqs "$out" .DBInstance.DBInstanceStatus)" rebooting "rm is rebooting"
poll 60 eval '[ "$(addr_of rm)" = "$sb" ] && ready rm'
ok $? "rm's endpoint moved to its standby ($old -> $(addr_of rm))"
is "$(describe rm .AvailabilityZone)/$(describe rm .SecondaryAvailabilityZone)" "$saz/$az" \
  "rm's AZs swapped"
sql src "INSERT INTO t VALUES ('f1')" >/dev/null
poll 30 has_row rm f1
ok $? "a row written on src after the failover appears through rm's endpoint"
is "$(sqlstate rm "INSERT INTO t VALUES ('no')")" 25006 "a write on rm after the failover: 25006"
poll 30 has_row_at "$old" f1
ok $? "the old node ($old), now the standby, streams from src too"
poll 30 rm_is_healthy
ok $? "the slots follow the roles: rdsrr_rm on the new active node, rdsrr_rm__s on the old"
poll 30 eval '[ "$(events_of rm "$M13")" -gt "$n13" ] && [ "$(events_of rm "$M49")" -gt "$n49" ] && [ "$(events_of rm "$M52")" -gt "$n52" ]'
ok $? "RDS-EVENT-0013, 0049 and 0052 on rm"
poll 60 eval '[ "$(events_of rm "$M53")" -gt "$n53" ]'
ok $? "RDS-EVENT-0053 on rm: its new standby streams"
is "$(describe rm '.StatusInfos[0] | "\(.Status) \(.Normal)"')" "replicating true" \
  "rm's StatusInfos: replicating"
# rdsim's own member: in rdsctl's JSON, not in the CLI's model.
rlag() { rdsctl describe-db-instances --db-instance-identifier rm | jq -r '.DBInstances[0].ReplicaLag | numbers'; }
poll 10 eval '[ -n "$(rlag)" ]'
ok $? "rm has a ReplicaLag ($(rlag) s)"
is "$(events_of rm "$M45")" "$n45" "no RDS-EVENT-0045 on rm"

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
