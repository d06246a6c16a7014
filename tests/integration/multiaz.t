#!/usr/bin/env bash
# Multi-AZ end to end (issue 3): a synchronous standby in another AZ;
# kill -9 of the primary with writers running and no acknowledged write
# lost; the endpoint follows the new primary; the old node rejoins as a
# synchronous standby; forced failover; standby loss keeps the primary
# writable and is repaired; Single-AZ force-failover refused; conversion
# to Multi-AZ without downtime; the controlplane killed mid-failover
# converges; a short run of every fault kind through `rdsctl chaos`.
#
# The writers and faults are `rdsctl chaos`'s (cli/chaos.c); its JSON says
# how many acknowledged writes are missing and how many a fenced node
# acknowledged, both of which must be 0.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

region_up || bail "the region did not start"
ok 0 "region up"

# A short TTL keeps the writers' wait for the flip (they honour the TTL)
# short; the bench measures at the default TTL.
TTL=1
CHAOS_TIMEOUT=90

# ---- helpers -----------------------------------------------------------------

describe() { rdsctl describe-db-instances --db-instance-identifier "$1" | jq -r ".DBInstances[0]$2"; }

# An ISO 8601 instant in the region clock's format (the region clock is the
# wall clock here: nobody advances it).
iso_now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

# event_since ID MESSAGE-PREFIX ISO: an event of ID starting with the
# message, dated at or after ISO.
event_since() {
  rdsctl describe-events --source-identifier "$1" --source-type db-instance --duration 60 |
    jq -e --arg m "$2" --arg t "$3" \
      'any(.Events[]; (.Message | startswith($m)) and .Date >= $t)' >/dev/null
}

# Every address of the instance's running nodes, one a line.
node_addrs() {
  local pm
  for pm in "$RDS_HOME"/agents/*/nodes/"$1"-*/data/postmaster.pid; do
    [ -f "$pm" ] && running "$(head -1 "$pm")" && sed -n 6p "$pm"
  done
  return 0
}

# The postmaster.pid of the node listening on ADDR.
pidfile_of_addr() {
  local pm
  for pm in "$RDS_HOME"/agents/*/nodes/*/data/postmaster.pid; do
    [ -f "$pm" ] && [ "$(sed -n 6p "$pm")" = "$1" ] && { echo "$pm"; return 0; }
  done
  return 1
}

primary_addr() { resolve "$(endpoint_of "$1")"; }

# The address of the node that is not the primary.
standby_addr() {
  local p
  p=$(primary_addr "$1")
  node_addrs "$1" | grep -vxF "$p" | head -1
}

# The standbys' walsenders (not the WAL archiver's, controlplane/domain/abjob.c).
sync_state_on() {
  psql_at "$1" "SELECT string_agg(sync_state, ',') FROM pg_stat_replication WHERE application_name <> 'rdsim_archiver'"
}
is_sync() { [ "$(sync_state_on "$1")" = sync ]; }
in_recovery() { psql_at "$1" "SELECT pg_is_in_recovery()"; }

# A write through the endpoint that must finish in a few seconds (a
# primary waiting for a lost synchronous standby would block forever).
write_ok() {
  local addr
  addr=$(primary_addr "$1") && [ -n "$addr" ] &&
    timeout 3 env PGPASSWORD="$T_PASS" PGCONNECT_TIMEOUT=2 "$PG_BIN/psql" -X -q -At \
      "host=$addr port=5432 user=$T_USER dbname=postgres" \
      -c "CREATE TABLE IF NOT EXISTS probe (at timestamptz); INSERT INTO probe VALUES (now())"
}

# chaos ID JSON-FILE ARGS...: the harness; its output lands in the TAP
# stream as comments.
chaos() {
  local id=$1 json=$2; shift 2
  rdsctl chaos --db-instance-identifier "$id" --master-user-password "$T_PASS" \
    --timeout-per-fault "$CHAOS_TIMEOUT" --json "$json" "$@" 2>&1 | sed 's/^/#   /'
  return "${PIPESTATUS[0]}"
}

# check_chaos JSON NAME: the verdicts of a run.
check_chaos() {
  local json=$1 name=$2
  is "$(jq -r '.Totals.MissingWrites' "$json")" 0 "$name: no acknowledged write missing"
  is "$(jq -r '.Totals.FencedAcks' "$json")" 0 "$name: no write acknowledged by a fenced node"
  is "$(jq -r '[.Faults[] | select(.Recovered)] | length' "$json")" \
    "$(jq -r '.Totals.FaultsInjected' "$json")" "$name: every fault recovered"
  like "$(jq -r '.Totals.AcknowledgedWrites' "$json")" '^[1-9][0-9]*$' "$name: writes were acknowledged"
}

# ---- create: Multi-AZ, and a Single-AZ one beside it -------------------------

out=$(create_instance maz --multi-az --dns-ttl "$TTL")
ok $? "create-db-instance --multi-az"
is "$(jqs "$out" .DBInstance.MultiAZ)" true "the reply says MultiAZ"
out=$(create_instance saz --dns-ttl "$TTL")
ok $? "create a Single-AZ instance beside it"
poll 180 status_is maz available
ok $? "maz becomes available" || bail "no Multi-AZ instance: the rest cannot run"
is "$(describe maz .MultiAZ)" true "describe: MultiAZ true"
az1=$(describe maz .AvailabilityZone)
saz1=$(describe maz .SecondaryAvailabilityZone)
like "$saz1" '^us-east-1[a-c]$' "describe: a SecondaryAvailabilityZone ($saz1)"
isnt "$az1" "$saz1" "the standby is in another AZ than the primary ($az1)"
p=$(primary_addr maz)
like "$p" "^$NODE_RE\." "the endpoint resolves ($p)"
poll 20 is_sync "$p"
ok $? "pg_stat_replication on the primary: one standby, sync_state sync"
s=$(standby_addr maz)
is "$(in_recovery "$s")" t "the other node ($s) is a standby in recovery"
is "$(psql_at "$p" "SHOW synchronous_commit")" on "synchronous_commit = on"
like "$(psql_at "$p" "SHOW synchronous_standby_names")" '.+' "synchronous_standby_names is set"
poll 30 event_since maz "Multi-AZ instance recovery completed" "1970"
ok $? "RDS-EVENT-0053 once the standby is synchronous"
check "a write through the endpoint" write_ok maz

# ---- the controlplane's probes keep their connection (issue 18) --------------
#
# A fresh login every probe interval (200 ms) started some 5 backends a
# second on every node; the kept connection starts one per HEALTH_FRESH_MS
# (2 s). The window is a measurement, not a wait: a loaded machine only
# slows the probes, which lowers the count either way.
sessions_on() { admin_psql "$1" "SELECT sum(sessions) FROM pg_stat_database"; }
s0=$(sessions_on "$p")
sleep 4
s1=$(sessions_on "$p")
n=$((s1 - s0))
if [ "$n" -le 6 ]; then ok 0 "backends started on the idle primary in 4 s: $n (at most 6)"
else ok 1 "backends started on the idle primary in 4 s: $n (at most 6)"
  diag "$(admin_psql "$p" "SELECT application_name, backend_start FROM pg_stat_activity WHERE backend_type = 'client backend'")"
fi
like "$(admin_psql "$p" "SELECT rolpassword FROM pg_authid WHERE rolname = 'rdsadmin'")" \
  '^SCRAM-SHA-256[$]16:' "rdsadmin's verifier has 16 PBKDF2 iterations (a random password)"
like "$(admin_psql "$p" "SELECT rolpassword FROM pg_authid WHERE rolname = '$T_USER'")" \
  '^SCRAM-SHA-256[$]4096:' "the master user's keeps 4,096"

# ---- kill -9 of the primary with writers running ----------------------------

J=$RDS_HOME/chaos-crash.json
chaos maz "$J" --faults 1 --kinds crash --writers 4
ok $? "rdsctl chaos --kinds crash: exit 0"
check_chaos "$J" crash
old=$(jq -r '.Faults[0].OldPrimary.Address' "$J")
is "$(describe maz .AvailabilityZone)" "$saz1" "the primary moved to the former secondary AZ"
is "$(describe maz .SecondaryAvailabilityZone)" "$az1" "... and the secondary is the old primary's AZ"
p=$(primary_addr maz)
isnt "$p" "$old" "the endpoint resolves to another node ($p)"
is "$(in_recovery "$p")" f "... which is the new primary (not in recovery)"
is "$(jq -r '.Faults[0].NewPrimary.Address' "$J")" "$p" "... the one the writers reached"
is "$(in_recovery "$old")" t "the old node ($old) came back as a standby"
poll 20 is_sync "$p"
ok $? "... synchronous (sync_state sync on the new primary)"
like "$(jq -r '.Faults[0].DetectionSeconds' "$J")" '^[0-9.]+$' "detection measured"
diag "crash: detect $(jq -r '.Faults[0].DetectionSeconds' "$J") s, writable $(jq -r '.Faults[0].WritableSeconds' "$J") s, DNS $(jq -r '.Faults[0].DnsFlipSeconds' "$J") s"

# ---- forced failover ------------------------------------------------------------

az_before=$(describe maz .AvailabilityZone)
since=$(iso_now)
out=$(rdsctl reboot-db-instance --db-instance-identifier maz --force-failover)
ok $? "reboot-db-instance --force-failover"
is "$(jqs "$out" .DBInstance.DBInstanceStatus)" rebooting "status rebooting"
poll 60 status_is maz available
ok $? "then available"
isnt "$(describe maz .AvailabilityZone)" "$az_before" "the AZs swapped"
poll 10 event_since maz "Multi-AZ instance failover started" "$since"
ok $? "RDS-EVENT-0013 (failover started)"
poll 10 event_since maz "Multi-AZ instance failover completed" "$since"
ok $? "RDS-EVENT-0049 (failover completed)"
poll 60 event_since maz "Multi-AZ instance recovery completed" "$since"
ok $? "RDS-EVENT-0053: the old primary is a synchronous standby again"
J=$RDS_HOME/chaos-forced.json
chaos maz "$J" --faults 1 --kinds forced
ok $? "rdsctl chaos --kinds forced (writers running): exit 0"
check_chaos "$J" forced

# ---- standby loss -------------------------------------------------------------

s=$(standby_addr maz)
spf=$(pidfile_of_addr "$s")
s_az=$(basename "$(dirname "$(dirname "$(dirname "$(dirname "$spf")")")")")
spm=$(head -1 "$spf")
sagent=$(agent_pid "$s_az")
since=$(iso_now)
kill -KILL "$sagent"
kill -KILL -- "-$spm"
ok $? "the standby's host ($s_az) lost: agent $sagent and postgres $spm killed"
poll 15 write_ok maz
ok $? "the primary stays writable (a write finishes within seconds)"
poll 20 event_since maz "Multi-AZ instance recovery started" "$since"
ok $? "RDS-EVENT-0052 (recovery started)"
is "$(status_of maz)" available "the instance stays available"
check "region.sh up brings the host back" region_restart
poll 90 event_since maz "Multi-AZ instance recovery completed" "$since"
ok $? "RDS-EVENT-0053: the standby is repaired"
p=$(primary_addr maz)
poll 20 is_sync "$p"
ok $? "sync_state sync again"
check "writes still work" write_ok maz

# ---- a standby that runs but cannot stream is rebuilt ------------------------
# (What a rejoin that leaves a diverged timeline looks like from outside: the
# standby answers, but never streams.) Point its WAL receiver nowhere.

s=$(standby_addr maz)
spm=$(head -1 "$(pidfile_of_addr "$s")")
since=$(iso_now)
admin_psql "$s" "ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=1 connect_timeout=1'" &&
  admin_psql "$s" "SELECT pg_reload_conf()" >/dev/null
ok $? "the standby ($s) is pointed at a port where nothing listens"
poll 20 event_since maz "Multi-AZ instance recovery started" "$since"
ok $? "RDS-EVENT-0052: a standby that does not stream counts as lost"
check "the primary stays writable" write_ok maz
poll 60 event_since maz "Multi-AZ instance recovery completed" "$since"
ok $? "RDS-EVENT-0053: the standby was rebuilt and is synchronous again"
s2=$(standby_addr maz)
is "$s2" "$s" "the same node ($s2) ..."
isnt "$(head -1 "$(pidfile_of_addr "$s2")")" "$spm" "... with a new postmaster"
conninfo=$(psql_at "$s2" "SHOW primary_conninfo")
case "$conninfo" in *"port=1 "*|"") ok 1 "... and its own conninfo (got '$conninfo')" ;;
  *) ok 0 "... and its own conninfo again (a fresh base backup)" ;; esac
p=$(primary_addr maz)
poll 20 is_sync "$p"
ok $? "sync_state sync again"

# ---- Single-AZ: force-failover refused; conversion without downtime -----------

poll 60 status_is saz available
ok $? "saz available"
out=$(rdsctl reboot-db-instance --db-instance-identifier saz --force-failover 2>&1)
is "$?" 254 "Single-AZ --force-failover: a service error"
like "$out" "\(InvalidParameterCombination\)" "... InvalidParameterCombination"
is "$(status_of saz)" available "... and nothing happens"

# A writer loop through the endpoint during the conversion: every attempt
# must succeed.
wlog=$RDS_HOME/convert-writes.log
(
  ep=$(endpoint_of saz)
  while [ ! -f "$RDS_HOME/convert.stop" ]; do
    addr=$(resolve "$ep")
    if timeout 5 env PGPASSWORD="$T_PASS" PGCONNECT_TIMEOUT=3 "$PG_BIN/psql" -X -q -At \
      "host=$addr port=5432 user=$T_USER dbname=postgres" \
      -c "CREATE TABLE IF NOT EXISTS conv (v int); INSERT INTO conv VALUES (1)" >/dev/null 2>&1; then
      echo ok
    else
      echo fail
    fi
    sleep 0.05
  done >"$wlog"
) &
writer=$!
poll 10 grep -q ok "$wlog"
ok $? "writes flow before the conversion"
out=$(rdsctl modify-db-instance --db-instance-identifier saz --multi-az --apply-immediately)
ok $? "modify-db-instance --multi-az --apply-immediately"
is "$(jqs "$out" .DBInstance.DBInstanceStatus)" modifying "status modifying"
poll 180 sh -c "[ \"\$($ROOT/bin/rdsctl describe-db-instances --db-instance-identifier saz | jq -r '.DBInstances[0] | \"\(.DBInstanceStatus) \(.MultiAZ)\"')\" = 'available true' ]"
ok $? "then available with MultiAZ true"
touch "$RDS_HOME/convert.stop"
wait "$writer"
like "$(describe saz .SecondaryAvailabilityZone)" '^us-east-1[a-c]$' "a SecondaryAvailabilityZone"
p=$(primary_addr saz)
poll 20 is_sync "$p"
ok $? "the new standby is synchronous"
is "$(grep -c fail "$wlog")" 0 "no write failed during the conversion ($(grep -c ok "$wlog") succeeded)"

# ---- the controlplane killed mid-failover ------------------------------------

J=$RDS_HOME/chaos-cpkill.json
chaos maz "$J" --faults 1 --kinds cpkill
ok $? "rdsctl chaos --kinds cpkill: exit 0 (converged after the restart)"
check_chaos "$J" cpkill
is "$(status_of maz)" available "maz available"
is "$(describe maz .MultiAZ)" true "... Multi-AZ"

# ---- every fault kind --------------------------------------------------------

J=$RDS_HOME/chaos-all.json
chaos maz "$J" --faults 5 --seed 1
ok $? "rdsctl chaos --faults 5 --seed 1 (all kinds): exit 0"
check_chaos "$J" "full run"
is "$(jq -r '[.Faults[].Kind] | sort | join(",")' "$J")" "cpkill,crash,forced,hang,host" \
  "each kind once"

check "region down" region_stop
is "$(region_procs | xargs)" "" "no process of the region is left"

done_testing
