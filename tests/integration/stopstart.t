#!/usr/bin/env bash
# stop-db-instance / start-db-instance (issue 6's maintenance part) against a
# real region: statuses and events as RDS shows them, the PostgreSQL
# servers really down while stopped and the data there after a start,
# InvalidDBInstanceState where RDS refuses, a Multi-AZ instance that stops
# without a failover and is Multi-AZ (a forced failover works) after the
# start, and the automatic start after 7 days on the region clock.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

region_up || bail "the region did not start"
ok 0 "region up"

describe() { rdsctl describe-db-instances --db-instance-identifier "$1" | jq -r ".DBInstances[0]$2"; }

# has_event ID EVENT-ID: the instance has an event of that id in the last day.
has_event() {
  rdsctl describe-events --source-identifier "$1" --source-type db-instance --duration 1440 |
    jq -e --arg e "$2" 'any(.Events[]; .Message as $m | ($e == "0087" and $m == "DB instance stopped.")
      or ($e == "0088" and $m == "DB instance started.")
      or ($e == "0154" and ($m | startswith("DB instance is being started due to")))
      or ($e == "0013" and ($m | startswith("Multi-AZ instance failover started"))))' >/dev/null
}

# has_event_after ID MESSAGE-PREFIX ISO
has_event_after() {
  rdsctl describe-events --source-identifier "$1" --source-type db-instance --duration 60 |
    jq -e --arg m "$2" --arg t "$3" 'any(.Events[]; (.Message | startswith($m)) and .Date >= $t)' >/dev/null
}

# Postmasters running for an instance's nodes.
postmasters_of() {
  local pm n=0
  for pm in "$RDS_HOME"/agents/*/nodes/"$1"-*/data/postmaster.pid; do
    [ -f "$pm" ] && running "$(head -1 "$pm")" && n=$((n + 1))
  done
  echo "$n"
}

create_instance ss >/dev/null
ok $? "create ss (Single-AZ)"
create_instance ssm --multi-az >/dev/null
ok $? "create ssm (Multi-AZ)"
poll 180 status_is ss available
ok $? "ss available" || bail "no instance"
check "a row written" sql ss "CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')"

# ---- refused where RDS refuses -------------------------------------------------

is "$(api 'Action=StartDBInstance&Version=2014-10-31&DBInstanceIdentifier=ss')" \
  "400 InvalidDBInstanceState" "start of an available instance: InvalidDBInstanceState"
is "$(api 'Action=StopDBInstance&Version=2014-10-31&DBInstanceIdentifier=nope')" \
  "404 DBInstanceNotFound" "stop of an unknown instance: DBInstanceNotFound"
is "$(api 'Action=StopDBInstance&Version=2014-10-31')" "400 MissingParameter" \
  "stop without an identifier: MissingParameter"

# ---- stop ------------------------------------------------------------------------

out=$(rdsctl stop-db-instance --db-instance-identifier ss)
ok $? "rdsctl stop-db-instance"
is "$(jqs "$out" .DBInstance.DBInstanceStatus)" stopping "the reply says stopping"
poll 60 status_is ss stopped
ok $? "then stopped"
is "$(postmasters_of ss)" 0 "no postmaster runs for ss"
poll 10 has_event ss 0087
ok $? "RDS-EVENT-0087 DB instance stopped."
restart=$(describe ss .AutomaticRestartTime)
created=$(date -u +%s)
restart_s=$(date -u -d "$restart" +%s 2>/dev/null || echo 0)
d=$((restart_s - created - 7 * 86400))
ok $([ "${d#-}" -le 120 ] && echo 0 || echo 1) "AutomaticRestartTime is 7 days ahead ($restart)"
is "$(api 'Action=StopDBInstance&Version=2014-10-31&DBInstanceIdentifier=ss')" \
  "400 InvalidDBInstanceState" "stop of a stopped instance: InvalidDBInstanceState"
is "$(api 'Action=RebootDBInstance&Version=2014-10-31&DBInstanceIdentifier=ss')" \
  "400 InvalidDBInstanceState" "reboot of a stopped instance: InvalidDBInstanceState"

# ---- start -----------------------------------------------------------------------

out=$(rdsctl start-db-instance --db-instance-identifier ss)
ok $? "rdsctl start-db-instance"
is "$(jqs "$out" .DBInstance.DBInstanceStatus)" starting "the reply says starting"
poll 60 status_is ss available
ok $? "then available"
is "$(sql ss "SELECT v FROM t")" kept "the row is there"
poll 10 has_event ss 0088
ok $? "RDS-EVENT-0088 DB instance started."
is "$(describe ss .AutomaticRestartTime)" null "no AutomaticRestartTime once running"

# ---- Multi-AZ: no failover on stop, Multi-AZ again after the start ---------------

poll 180 status_is ssm available
ok $? "ssm available" || bail "no Multi-AZ instance"
az=$(describe ssm .AvailabilityZone)
rdsctl stop-db-instance --db-instance-identifier ssm >/dev/null
ok $? "stop ssm"
poll 60 status_is ssm stopped
ok $? "ssm stopped"
is "$(postmasters_of ssm)" 0 "neither node's postmaster runs"
sleep_check_s=3
poll "$sleep_check_s" has_event ssm 0013
isnt $? 0 "no failover while stopped (no RDS-EVENT-0013 within ${sleep_check_s} s)"
started=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
rdsctl start-db-instance --db-instance-identifier ssm >/dev/null
ok $? "start ssm"
poll 90 status_is ssm available
ok $? "ssm available again"
is "$(describe ssm .AvailabilityZone)" "$az" "the primary stayed in $az"
poll 60 has_event_after ssm "Multi-AZ instance recovery completed" "$started"
ok $? "RDS-EVENT-0053: the standby proved synchronous again after the start"
check "a write through the endpoint" sql ssm "CREATE TABLE IF NOT EXISTS w (v int); INSERT INTO w VALUES (1)"
out=$(rdsctl reboot-db-instance --db-instance-identifier ssm --force-failover 2>&1)
ok $? "a forced failover is accepted (the standby is synchronous again)" || diag "$out"
poll 90 status_is ssm available
ok $? "... and completes"
isnt "$(describe ssm .AvailabilityZone)" "$az" "the AZs swapped"

# ---- 7 days stopped: started by the region ---------------------------------------

rdsctl stop-db-instance --db-instance-identifier ss >/dev/null
poll 60 status_is ss stopped
ok $? "ss stopped again"
rdsctl clock advance 6d >/dev/null
poll 3 status_is ss starting
isnt $? 0 "after 6 days it is still stopped"
rdsctl clock advance 25h >/dev/null
ok $? "clock advanced past 7 days"
poll 60 status_is ss available
ok $? "ss started by itself"
poll 10 has_event ss 0154
ok $? "RDS-EVENT-0154 (started: stopped too long)"
is "$(sql ss "SELECT v FROM t")" kept "the row is still there"

# ---- a stopped instance deleted: a new one under its identifier starts clean -----
# (its meta keys, stopped_at:<id> among them, go with the instance row)

rdsctl stop-db-instance --db-instance-identifier ss >/dev/null
poll 60 status_is ss stopped
ok $? "ss stopped once more"
rdsctl delete-db-instance --db-instance-identifier ss --skip-final-snapshot >/dev/null
ok $? "the stopped ss deleted"
poll 60 status_is ss gone
ok $? "ss is gone"
is "$(sqlite3 "$RDS_HOME/controlplane/controlplane.db" "SELECT group_concat(key, ' ') FROM meta
  WHERE key IN ('stopped_at:ss', 'maint:system:ss', 'kms_lost_at:ss')
  OR substr(key, 1, 15) = 'maint:optin:ss:'")" "" "no meta key of ss is left in the store"
create_instance ss >/dev/null
ok $? "create a new ss under the same identifier"
poll 180 status_is ss available
ok $? "the new ss becomes available"
is "$(describe ss .AutomaticRestartTime)" null "and carries no restart time"

check "region down" region_stop
is "$(region_procs | xargs)" "" "no process of the region is left"

done_testing
