#!/usr/bin/env bash
# Issue 13, hole 2: silent data loss. A node whose data directory
# disappears (or is emptied) was initialised again, empty, by its agent,
# and the instance stayed `available` with no event. Done here as the
# attacker (or the failing disk) would — with what code running as the pg
# OS user can do: remove or empty the node's directory and kill the
# postmaster — on:
#   (a) Single-AZ, BackupRetentionPeriod 0, node directory removed: the
#       instance becomes `failed` with RDS-EVENT-0031, never serves an empty
#       database, and no initdb runs;
#   (b) Single-AZ, retention 0, data directory emptied (PG_VERSION and
#       global/ gone) while its agent was down, the agent restarted: the
#       same;
#   (c) Single-AZ, retention 1: RDS-EVENT-0020, restored from its automated
#       backups to the latest restorable time (same identifier, endpoint
#       and address), RDS-EVENT-0021, `available`, the row is back;
#   (d) Multi-AZ: the primary's agent killed, its node directory removed,
#       its postmaster killed, the agent restarted: a failover (0013, 0049),
#       the row is there, the lost node is rebuilt as the standby by a base
#       backup (never initdb) and synchronous again (0053).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

describe() { rdsctl describe-db-instances --db-instance-identifier "$1" | jq -r ".DBInstances[0]$2"; }
iso_now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
# event_since ID MESSAGE-PREFIX ISO
event_since() {
  rdsctl describe-events --source-identifier "$1" --source-type db-instance --duration 60 |
    jq -e --arg m "$2" --arg t "$3" \
      'any(.Events[]; (.Message | startswith($m)) and .Date >= $t)' >/dev/null
}
node_dir() { ls -d "$RDS_HOME"/agents/"$2"/nodes/"$1"-* 2>/dev/null | head -1; }
initdb_runs() { grep -c "job started node_id=$1 job=initdb" "$RDS_HOME/logs/agent-$2.log"; }
kill9() { kill -KILL "$1" 2>/dev/null; poll 10 gone "$1"; }

# watch ID STATUS SECONDS: polls until ID's status is STATUS; meanwhile
# every answer of the endpoint must be the row written before (an empty
# database answering is the hole). Sets SEEN (statuses seen, in order) and
# EMPTY (answers that were not the row).
watch() {
  local id=$1 want=$2 deadline=$((SECONDS + $3)) st out
  SEEN="" EMPTY=0
  while [ $SECONDS -lt "$deadline" ]; do
    st=$(status_of "$id")
    [ -n "$st" ] && [ "${SEEN##* }" != "$st" ] && SEEN="$SEEN $st"
    if out=$(sql "$id" "SELECT count(*) FROM t WHERE v = 'kept'" 2>&1); then
      [ "$out" = 1 ] || EMPTY=$((EMPTY + 1))
    elif [[ $out == *"does not exist"* ]]; then
      EMPTY=$((EMPTY + 1))
    fi
    [ "$st" = "$want" ] && return 0
    sleep 0.2
  done
  return 1
}

region_up || bail "the region did not start"
ok 0 "region up"

create_instance la --backup-retention-period 0 >/dev/null
ok $? "create la (Single-AZ, retention 0)"
create_instance le --backup-retention-period 0 >/dev/null
ok $? "create le (Single-AZ, retention 0)"
create_instance lr --backup-retention-period 1 >/dev/null
ok $? "create lr (Single-AZ, retention 1)"
create_instance mz --multi-az --backup-retention-period 0 >/dev/null
ok $? "create mz (Multi-AZ, retention 0)"
for i in la le lr; do
  check "$i available" poll 240 status_is $i available
done
check "mz available" poll 300 status_is mz available
for i in la le lr mz; do
  check "a row written on $i" sql $i "CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')"
done

# ---- (a) Single-AZ, retention 0: the node directory removed ----------------------

az=$(describe la .AvailabilityZone)
dir=$(node_dir la "$az")
node=$(basename "$dir")
pm=$(postmaster_pid la)
since=$(iso_now)
rm -rf "$dir"
kill9 "$pm"
ok $? "la: $dir removed, its postmaster ($pm) killed"
watch la failed 60
ok $? "la becomes failed (statuses seen:$SEEN)"
is "$EMPTY" 0 "la never answered with an empty database"
check "RDS-EVENT-0031 (put into failed state)" poll 10 event_since la "DB instance put into failed state" "$since"
is "$(initdb_runs "$node" "$az")" 1 "no initdb after the loss (only the create's)"
check "the agent reports the node data-lost" \
  grep -q "data directory lost, not re-initialising node_id=$node" "$RDS_HOME/logs/agent-$az.log"
ok "$([ ! -e "$dir/data/PG_VERSION" ]; echo $?)" "no cluster was made in its place"
is "$(status_of la)" failed "la stays failed"

# ---- (b) Single-AZ, retention 0: emptied while the agent is down; agent restarted -----

az=$(describe le .AvailabilityZone)
dir=$(node_dir le "$az")
node=$(basename "$dir")
pm=$(postmaster_pid le)
since=$(iso_now)
kill9 "$(agent_pid "$az")"
ok $? "le: the agent of $az killed"
rm -rf "$dir"/data/PG_VERSION "$dir"/data/global "$dir"/data/base
kill9 "$pm"
ok $? "le: its data directory emptied (PG_VERSION, global/, base/), its postmaster killed"
check "the agent restarted" region_restart
watch le failed 60
ok $? "le becomes failed (statuses seen:$SEEN)"
is "$EMPTY" 0 "le never answered with an empty database"
check "RDS-EVENT-0031" poll 10 event_since le "DB instance put into failed state" "$since"
is "$(initdb_runs "$node" "$az")" 1 "no initdb after the loss"
ok "$([ ! -e "$dir/data/PG_VERSION" ]; echo $?)" "the emptied directory was not re-initialised"
is "$(status_of la)" failed "la is still failed after the agent restart"

# ---- (c) Single-AZ, retention 1: restored from its automated backups ---------------

lrt() { describe "$1" '.LatestRestorableTime // empty'; }
lrt_past() { local l; l=$(lrt "$1"); [ -n "$l" ] && [[ ! "$l" < "$2" ]]; }
written=$(iso_now)
check "lr: a second row" sql lr "INSERT INTO t VALUES ('later')"
check "lr: the archive reaches past it" poll 90 lrt_past lr "$(iso_now)"
az=$(describe lr .AvailabilityZone)
dir=$(node_dir lr "$az")
node=$(basename "$dir")
addr=$(resolve "$(endpoint_of lr)")
endpoint=$(endpoint_of lr)
pm=$(postmaster_pid lr)
since=$(iso_now)
rm -rf "$dir/data"
kill9 "$pm"
ok $? "lr: $dir/data removed, its postmaster ($pm) killed"
watch lr rebooting 60
ok $? "lr goes to rebooting while it is restored (statuses seen:$SEEN)"
check "RDS-EVENT-0020 (recovery started)" poll 10 event_since lr "Recovery of the DB instance has started" "$since"
watch lr available 240
ok $? "lr available again (statuses seen:$SEEN)"
is "$EMPTY" 0 "lr never answered with an empty database"
check "RDS-EVENT-0021 (recovery complete)" poll 10 event_since lr "Recovery of the DB instance is complete" "$since"
is "$(sql lr "SELECT string_agg(v, ',' ORDER BY v) FROM t")" "kept,later" "both rows are back"
check "and it takes writes" sql lr "INSERT INTO t VALUES ('after')"
check "its archive goes on past the recovery (LatestRestorableTime advances)" \
  poll 90 lrt_past lr "$(iso_now)"
is "$(endpoint_of lr)" "$endpoint" "the same endpoint"
is "$(resolve "$(endpoint_of lr)")" "$addr" "the same address"
is "$(initdb_runs "$node" "$az")" 1 "restored, not initdb'd"
ok "$(! event_since lr "DB instance put into failed state" "$since"; echo $?)" "no failed-state event"
diag "written at $written; LatestRestorableTime now $(lrt lr)"

# ---- (d) Multi-AZ: the primary's node lost while its agent is down ------------------

paz=$(describe mz .AvailabilityZone)
dir=$(node_dir mz "$paz")
node=$(basename "$dir")
pm=$(postmaster_pid mz) || pm=$(head -1 "$dir/data/postmaster.pid")
since=$(iso_now)
kill9 "$(agent_pid "$paz")"
ok $? "mz: the agent of the primary's AZ ($paz) killed"
rm -rf "$dir"
kill9 "$pm"
ok $? "mz: the primary's node directory removed, its postmaster killed"
check "the agent restarted" region_restart
check "a failover: RDS-EVENT-0049" poll 90 event_since mz "Multi-AZ instance failover completed" "$since"
check "mz available" poll 60 status_is mz available
isnt "$(describe mz .AvailabilityZone)" "$paz" "the primary moved to the other AZ"
is "$(sql mz "SELECT v FROM t")" kept "the row is there"
check "the lost node is rebuilt as the standby (RDS-EVENT-0053)" \
  poll 180 event_since mz "Multi-AZ instance recovery completed" "$since"
ok "$([ -e "$dir/data/standby.signal" ] && [ -e "$dir/data/PG_VERSION" ]; echo $?)" \
  "the lost node's directory holds a standby again"
is "$(initdb_runs "$node" "$paz")" 1 "no initdb after the loss (a base backup)"
# Either the agent's own rebuild of a lost standby, or the rejoin the
# controlplane orders for the old primary (pg_rewind has nothing to rewind,
# so a base backup): both copy from the upstream, neither runs initdb.
check "the agent rebuilt it from its upstream" \
  grep -Eq "(rebuilding a lost standby from its upstream|base backup) node_id=$node" \
  "$RDS_HOME/logs/agent-$paz.log"
check "and it writes, synchronously" sql mz "INSERT INTO t VALUES ('after')"

# ---- the region -----------------------------------------------------------------

check "the API answers" api_alive
is "$(status_of la)" failed "la still failed"
is "$(status_of le)" failed "le still failed"
check "a failed instance can be deleted" \
  rdsctl delete-db-instance --db-instance-identifier la --skip-final-snapshot
check "la is gone" poll 60 status_is la gone

done_testing
