#!/usr/bin/env bash
# Durability: SIGKILL the controlplane mid-create and mid-delete, an agent,
# and a postmaster; take the whole region down and up. The store's
# workflows and goals must bring every instance back to where it belongs,
# with no orphan process or directory.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

region_up || bail "the region did not start"
ok 0 "region up"

# kill9 PID: SIGKILL, then wait until it is really gone (zombies count as
# gone: the dead do not answer).
kill9() { kill -KILL "$1" 2>/dev/null; poll 10 gone "$1"; }

# The AZ an instance's node lives in.
az_of() {
  rdsctl describe-db-instances --db-instance-identifier "$1" |
    jq -r '.DBInstances[0].AvailabilityZone'
}

# ---- (a) controlplane killed right after a create is accepted --------------

out=$(create_instance crash-a)
ok $? "create crash-a"
is "$(jqs "$out" .DBInstance.DBInstanceStatus)" creating "the create was answered with creating"
cp=$(cp_pid)
kill9 "$cp"
ok $? "controlplane (pid $cp) killed with SIGKILL right after"
check "region.sh up restarts it" region_restart
isnt "$(cp_pid)" "$cp" "a new controlplane pid"
like "$(grep -c RDS_API_PORT="$RDS_API_PORT" "$RDS_HOME/region.env")" '^1$' \
  "on the same API port ($RDS_API_PORT)"
poll 60 status_is crash-a available
ok $? "crash-a still becomes available"
is "$(sql crash-a "SELECT 'reachable'")" reachable "crash-a is reachable through its endpoint"
is "$(node_dirs | wc -l)" 1 "one node directory"
is "$(our_postgres | wc -l)" 1 "one postgres"

# ---- (b) controlplane killed right after a delete is accepted --------------

out=$(rdsctl delete-db-instance --db-instance-identifier crash-a --skip-final-snapshot)
is "$(jqs "$out" .DBInstance.DBInstanceStatus)" deleting "the delete was answered with deleting"
cp=$(cp_pid)
kill9 "$cp"
ok $? "controlplane killed with SIGKILL right after"
check "region.sh up restarts it" region_restart
poll 60 status_is crash-a gone
ok $? "crash-a is gone"
is "$(node_dirs)" "" "its node directory is removed"
is "$(our_postgres | xargs)" "" "no orphan postgres"
is "$(instance_ids)" "" "nothing listed"

# ---- (c) an agent killed: postgres keeps running, the agent adopts it ------

out=$(create_instance crash-c)
ok $? "create crash-c"
poll 60 status_is crash-c available
ok $? "crash-c available"
check "a row written" sql crash-c "CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')"
az=$(az_of crash-c)
pm=$(postmaster_pid crash-c)
like "$pm" '^[0-9]+$' "crash-c's postmaster pid ($pm)"
agent=$(agent_pid "$az")
kill9 "$agent"
ok $? "the agent of $az (pid $agent) killed with SIGKILL"
check "postgres keeps running without its agent" running "$pm"
is "$(sql crash-c "SELECT v FROM t")" kept "psql still works"
is "$(status_of crash-c)" available "the instance is still available"
check "region.sh up restarts the agent" region_restart
new_agent=$(agent_pid "$az")
isnt "$new_agent" "$agent" "a new agent pid ($new_agent)"
poll 20 grep -q "postmaster adopted node_id=crash-c-[a-z0-9]* pid=$pm " "$RDS_HOME/logs/agent-$az.log"
ok $? "the new agent adopts the running postmaster"
is "$(postmaster_pid crash-c)" "$pm" "the postmaster pid is unchanged"
check "... and the process is the same one" running "$pm"
is "$(status_of crash-c)" available "the instance stays available"
is "$(sql crash-c "SELECT v FROM t")" kept "psql works"

# ---- (c2) the controlplane's kept probe connection terminated ---------------
# Issue 18: the probe keeps one connection per node. An administrator ending
# its backend breaks that connection only: a fresh connect follows at once
# and no probe failure is counted against a server that is fine.

addr=$(resolve "$(endpoint_of crash-c)")
CPLOG="$RDS_HOME/logs/controlplane.log"
health_pid() {
  admin_psql "$addr" "SELECT pid FROM pg_stat_activity WHERE application_name = 'rdsim-health' ORDER BY backend_start DESC LIMIT 1"
}
has_health() { [ -n "$(health_pid)" ]; }
poll 10 has_health
fails0=$(grep -c "probe failed node=crash-c-" "$CPLOG")
# The probe replaces its connection every 2 s: terminate whichever is current.
terminate_health() {
  hp=$(health_pid)
  [ -n "$hp" ] && [ "$(admin_psql "$addr" "SELECT pg_terminate_backend($hp)")" = t ]
}
poll 10 terminate_health
ok $? "pg_terminate_backend of the probe's backend on crash-c ($hp)"
new_health() { local p; p=$(health_pid); [ -n "$p" ] && [ "$p" != "$hp" ]; }
poll 10 new_health
ok $? "the probe reconnected at once ($(health_pid))"
check "... saying why" poll 5 grep -q "probe connection lost, reconnecting node=crash-c-" "$CPLOG"
is "$(grep -c "probe failed node=crash-c-" "$CPLOG")" "$fails0" "... and counted no failure"

# ---- (d) a postmaster killed: its agent restarts it -------------------------

kill9 "$pm"
ok $? "the (adopted) postmaster killed with SIGKILL"
poll 30 sh -c "p=\$(cat $RDS_HOME/agents/$az/nodes/crash-c-*/data/postmaster.pid 2>/dev/null | head -1); [ -n \"\$p\" ] && [ \"\$p\" != $pm ] && kill -0 \$p"
ok $? "the agent starts a new postmaster"
poll 30 sql crash-c "SELECT 1"
ok $? "psql works again"
is "$(sql crash-c "SELECT v FROM t")" kept "the row is still there"
poll 30 status_is crash-c available
ok $? "the instance is available"

# Once more, now that the postmaster is the agent's own child.
pm=$(postmaster_pid crash-c)
kill9 "$pm"
ok $? "the (child) postmaster killed with SIGKILL"
poll 30 sh -c "p=\$(cat $RDS_HOME/agents/$az/nodes/crash-c-*/data/postmaster.pid 2>/dev/null | head -1); [ -n \"\$p\" ] && [ \"\$p\" != $pm ] && kill -0 \$p"
ok $? "the agent starts a new postmaster"
poll 30 sql crash-c "SELECT 1"
ok $? "psql works again"
poll 30 status_is crash-c available
ok $? "the instance is available"

# ---- (e) the whole region down and up ---------------------------------------

check "region down" region_stop
is "$(region_procs | xargs)" "" "no process of the region is left"
is "$(our_postgres | xargs)" "" "no postgres of ours is left"
check "region up again" region_restart
poll 60 status_is crash-c available
ok $? "crash-c available again (its agent restarted it from the store's goals)"
poll 30 sql crash-c "SELECT 1"
is "$(sql crash-c "SELECT v FROM t")" kept "psql works and the row is still there"
is "$(our_postgres | wc -l)" 1 "one postgres"

# ---- (f) a delete while the instance's host is down ------------------------
# The agent deletes data only on an explicit goal absent: the delete
# completes without it, the node's row stays buried until the host is back.

az=$(rdsctl describe-db-instances --db-instance-identifier crash-c | jq -r '.DBInstances[0].AvailabilityZone')
agent=$(agent_pid "$az")
kill9 "$agent"
ok $? "the agent of crash-c's host ($az) killed"
rdsctl delete-db-instance --db-instance-identifier crash-c --skip-final-snapshot >/dev/null
ok $? "delete-db-instance crash-c while its host is down"
poll 60 sh -c "! '$ROOT/bin/rdsctl' describe-db-instances --db-instance-identifier crash-c >/dev/null 2>&1"
ok $? "the delete completes without the host"
db="$RDS_HOME/controlplane/controlplane.db"
is "$(sqlite3 "$db" "SELECT count(*) FROM nodes WHERE instance_id='' AND goal='absent' AND id LIKE 'crash-c-%'")" 1 \
  "the node's row is buried (no instance, goal absent)"
is "$(node_dirs | grep -c '/crash-c-')" 1 "its data is still on the host"
check "region up: the host comes back" region_restart
poll 60 sh -c "[ \"\$(sqlite3 '$db' 'SELECT count(*) FROM nodes')\" = 0 ]"
ok $? "the buried row is removed once the agent reports the node gone"
is "$(node_dirs | grep -c '/crash-c-')" 0 "and the agent deleted the data"
is "$(our_postgres | wc -l)" 0 "no postgres of ours is left"

check "region down" region_stop
is "$(region_procs | xargs)" "" "no process of the region is left"

done_testing
