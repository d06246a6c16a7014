#!/usr/bin/env bash
# An agent on another machine (issue 17 part 4; README "A region over
# several machines"). In namespace mode a host namespace stands in for the
# machine; to prove the agent needs nothing of the controlplane's machine
# but the network, region.sh's agent for us-east-1c is stopped and another
# one is started by hand, as an operator would on the other machine:
#   - its own copies of the binaries, its key file and agent.env (the two
#     files the operator carries over), its own home outside the region's;
#   - in a mount namespace where the region's home is an empty tmpfs, so a
#     read of any controlplane file (store, keys, logs, backups) fails;
#   - with only the flags the README lists (--controlplane URL --az
#     --addr-base --home --key-file --vpc-cidr --region-addrs).
# Then, across the "network": a Multi-AZ instance whose primary is on that
# host (DNS, psql by name from the clients' host), a forced failover away
# and back (replication both ways), a snapshot and its restore onto the
# host, a point-in-time restore onto it (the WAL archive fetched from the
# controlplane), and the agent's key refused when another AZ claims it.
# Needs root and `ip netns`; skipped otherwise.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_netns

export RDSIM_NET=netns
region_up || bail "the region did not start in namespace mode"
P="100.$((64 + RDS_NET))"
H=$(printf %s "$RDS_HOME" | sha256sum | cut -c1-8)
NS_C=rdsim-$H-us-east-1c

# ---- the operator's side: stop the local agent, set up "the other machine" ---
old=$(agent_pid us-east-1c)
kill -TERM "$old"
poll 10 gone "$old"
ok $? "region.sh's agent for us-east-1c stopped"
rm -f "$RDS_HOME/agents/us-east-1c.pid"

REMOTE=$(mktemp -d /tmp/rdsim-remote.XXXXXX)
chmod 711 "$REMOTE"
mkdir -p "$REMOTE/bin" "$REMOTE/home"
chmod 711 "$REMOTE/bin" "$REMOTE/home"
install -m 755 "$ROOT/bin/rds-agent" "$ROOT/bin/rds-backup" "$REMOTE/bin/"
install -m 644 "$ROOT/bin/pam_rdsim_iam.so" "$REMOTE/bin/"
install -m 600 "$RDS_HOME/controlplane/agent-keys/us-east-1c.key" "$REMOTE/agent.key"
install -m 600 "$RDS_HOME/aws/agent.env" "$REMOTE/agent.env"
remote_cleanup() {
  [ -n "${remote_pid:-}" ] && kill -KILL "$remote_pid" 2>/dev/null
  rm -rf "$REMOTE"
}
trap 'remote_cleanup; cleanup' EXIT

# The agent, its home, its binaries: nothing under $RDS_HOME or the repo
# (rds-backup, for restores, is found beside rds-agent).
start_remote() {
  ip netns exec "$NS_C" unshare -m --propagation private sh -c '
      mount -t tmpfs -o size=1m,mode=0700 rdsim-hidden "$1" || exit 97
      shift
      exec "$@"' sh "$RDS_HOME" \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin RDS_AGENT_CREDENTIALS="$REMOTE/agent.env" \
    "$REMOTE/bin/rds-agent" --controlplane "http://$P.0.1:$RDS_API_PORT" --az us-east-1c \
    --addr-base "$P.3" --home "$REMOTE/home" --key-file "$REMOTE/agent.key" \
    --pam-module "$REMOTE/bin/pam_rdsim_iam.so" \
    --vpc-cidr "$P.0.0/16" --region-addrs "$P.0.0/24" \
    </dev/null >>"$REMOTE/agent.log" 2>&1 &
  remote_pid=$!
  disown "$remote_pid" # its kill -9 below is ours: no job notice from bash
}
start_remote
agents_3() { scurl -sf "http://127.0.0.1:$RDS_API_PORT/healthz" | grep -q '"agents":3'; }
poll 30 agents_3
ok $? "the agent on the other machine registered with the controlplane"
agent_proc() {
  local p
  for p in $(ip netns pids "$NS_C"); do
    [ "$(readlink "/proc/$p/exe")" = "$REMOTE/bin/rds-agent" ] && echo "$p" && return 0
  done
  return 1
}
apid=$(agent_proc)
ok $? "it runs in the host's namespace ($apid)"
is "$(ls -A "/proc/$apid/root$RDS_HOME" 2>&1)" "" "the region's home is empty in its view"
isnt "$(ls -A "$RDS_HOME")" "" "(and not in ours)"

# ---- a Multi-AZ instance with its primary there -------------------------------
# RDS refuses --availability-zone with --multi-az: created there, then
# converted (the standby goes to another AZ).
check "create far in us-east-1c" create_instance far --availability-zone us-east-1c
poll 180 status_is far available
ok $? "far becomes available"
addr=$(resolve "$(endpoint_of far)")
like "$addr" "^$P\.3\.[0-9]+\$" "its endpoint resolves to the other machine's node range ($addr)"
ls "$REMOTE"/home/nodes/far-*/data/PG_VERSION >/dev/null 2>&1
ok $? "its data directory is in the remote agent's home"
client() { "$ROOT/scripts/region.sh" client "$@"; }
cpsql() {
  client env PGPASSWORD="$T_PASS" PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -XAtq \
    "host=$1 user=$T_USER dbname=postgres" -c "$2"
}
check "a write from the clients' host, by name" \
  cpsql "$(endpoint_of far)" "CREATE TABLE t (v int); INSERT INTO t VALUES (1)"
is "$(sql far 'SELECT sum(v) FROM t')" 1 "read back through the region's DNS"

# Replication crosses the network: fail over away from the host and back.
in_sync() {
  [ "$(rdsctl describe-db-instances --db-instance-identifier far |
    jq -r '.DBInstances[0] | "\(.DBInstanceStatus) \(.SecondaryAvailabilityZone // "")"')" = "available $1" ]
}
check "modify far --multi-az" rdsctl modify-db-instance --db-instance-identifier far --multi-az --apply-immediately
has_standby() {
  rdsctl describe-db-instances --db-instance-identifier far |
    jq -e '.DBInstances[0] | .DBInstanceStatus == "available" and .MultiAZ and (.SecondaryAvailabilityZone // "") != ""' >/dev/null
}
poll 180 has_standby
ok $? "far is Multi-AZ with a standby"
sec=$(rdsctl describe-db-instances --db-instance-identifier far | jq -r '.DBInstances[0].SecondaryAvailabilityZone')
like "$sec" "^us-east-1[ab]\$" "the standby is on a local host ($sec)"
check "reboot --force-failover (to $sec)" rdsctl reboot-db-instance --db-instance-identifier far --force-failover
on_az() {
  [ "$(rdsctl describe-db-instances --db-instance-identifier far |
    jq -r '.DBInstances[0] | "\(.DBInstanceStatus) \(.AvailabilityZone)"')" = "available $1" ]
}
poll 120 on_az "$sec"
ok $? "the primary moved to $sec"
check "a write on the new primary" sql far "INSERT INTO t VALUES (10)"
standby_streams() {
  [ "$(sql far "SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')")" = 1 ]
}
poll 120 standby_streams
ok $? "the remote host's node streams from it as the synchronous standby"
# RDS refuses a forced failover until the standby is back in sync
# (InvalidDBInstanceState): ask until it is accepted.
failover_accepted() { rdsctl reboot-db-instance --db-instance-identifier far --force-failover; }
poll 120 failover_accepted
ok $? "reboot --force-failover (back), once the standby is in sync"
poll 120 on_az us-east-1c
ok $? "the primary is back on the other machine"
is "$(sql far 'SELECT sum(v) FROM t')" 11 "no acknowledged write lost on the way"
poll 120 in_sync "$sec"
ok $? "Multi-AZ in sync again"

# ---- backups across the network -----------------------------------------------
check "create-db-snapshot" rdsctl create-db-snapshot --db-instance-identifier far \
  --db-snapshot-identifier far-s1
snap_ok() {
  [ "$(rdsctl describe-db-snapshots --db-snapshot-identifier far-s1 | jq -r '.DBSnapshots[0].Status')" = available ]
}
poll 180 snap_ok
ok $? "the snapshot (read from the remote node by the controlplane) is available"
check "restore it onto the other machine" rdsctl restore-db-instance-from-db-snapshot \
  --db-instance-identifier far2 --db-snapshot-identifier far-s1 --availability-zone us-east-1c
# A restore ends available or failed: wait for either, then say which.
settled() { case "$(status_of "$1")" in available | failed | incompatible-restore) return 0 ;; esac; return 1; }
poll 180 settled far2
is "$(status_of far2)" available "the restore is available"
like "$(resolve "$(endpoint_of far2)")" "^$P\.3\.[0-9]+\$" "on the other machine's node range"
is "$(sql far2 'SELECT sum(v) FROM t')" 11 "with the snapshot's rows (the object fetched from the controlplane)"

check "a marker for the point-in-time restore" sql far "INSERT INTO t VALUES (100)"
lrt_after() {
  local lrt
  lrt=$(rdsctl describe-db-instances --db-instance-identifier far | jq -r '.DBInstances[0].LatestRestorableTime // empty')
  [ -n "$lrt" ] && [ "$(date -d "$lrt" +%s)" -gt "$1" ]
}
mark=$(date +%s)
poll 60 lrt_after "$mark"
ok $? "LatestRestorableTime passes the marker (the archiver streams from the remote node)"
check "point-in-time restore onto the other machine" rdsctl restore-db-instance-to-point-in-time \
  --source-db-instance-identifier far --target-db-instance-identifier far3 \
  --use-latest-restorable-time --availability-zone us-east-1c
poll 240 settled far3
is "$(status_of far3)" available "the point-in-time restore is available"
is "$(sql far3 'SELECT sum(v) FROM t')" 111 "with the marker (WAL replayed from the controlplane's archive)"

# ---- the restore objects' routes under attack -----------------------------------
# The goals name the objects as URLs of the controlplane's agents' door,
# each with a capability for one node, one kind, one source
# (controlplane/api/restoreobj.h). The agent keeps its goals in agent.json.
goal_of() {
  jq -r --arg i "$1" --arg m "$2" '[.. | objects | select(.instance_id? == $i) | .restore[$m]? // empty][0] // empty' \
    "$REMOTE/home/agent.json"
}
rget() { ip netns exec "$NS_C" curl -s --path-as-is -m 20 -o "${2:-/dev/null}" -w '%{http_code}' "$1"; }
base2=$(goal_of far2 path)
like "$base2" "^http://$P\.0\.1:$RDS_API_PORT/agent/v1/restore/[A-Za-z0-9-]+/[0-9a-f]{64}/base\$" \
  "far2's goal names its snapshot as a URL of the agents' door"
wal3=$(goal_of far3 wal)
like "$wal3" "/agent/v1/restore/[A-Za-z0-9-]+/[0-9a-f]{64}/wal\$" "far3's goal names its WAL archive as a URL"
IFS=/ read -r _ _ hostport _ _ _ node2 tok2 _ <<<"$base2"
IFS=/ read -r _ _ _ _ _ _ node3 tok3 _ <<<"$wal3"
door="http://$hostport/agent/v1/restore"
is "$(rget "$base2" "$REMOTE/got.env")" 200 "the agent's own URL is served"
cmp -s "$REMOTE/got.env" "$RDS_HOME/backups/snapshots/far-s1/base.tar.env"
ok $? "byte for byte the snapshot's object"
is "$(rget "$wal3/" "$REMOTE/list.json")" 200 "far3's archive listing is served"
jq -e '.objects | length > 0 and all(test("^[0-9A-F]+(\\.partial|\\.history)?\\.env$"))' "$REMOTE/list.json" >/dev/null
ok $? "it lists WAL object names only"
is "$(rget "$door/$node3/$tok2/base")" 403 "far2's token used for far3's node: 403"
is "$(rget "$door/$node2/$tok2/wal/")" 403 "far2's base token used for the WAL: 403"
forged="${tok2:0:63}$( [ "${tok2:63:1}" = 0 ] && echo 1 || echo 0)"
is "$(rget "$door/$node2/$forged/base")" 403 "a forged token (last digit changed): 403"
is "$(rget "$door/$node2/${tok2:0:40}/base")" 403 "a truncated token: 403"
is "$(rget "$door/$node2/base")" 400 "no token: 400"
is "$(rget "$wal3/../../../controlplane/kms-master.key")" 400 "a path traversal as a WAL name: 400"
is "$(rget "$wal3/..%2f..%2f..%2fcontrolplane%2fkms-master.key")" 400 "an escaped traversal: 400"
is "$(rget "$door/nosuchnode-1/$tok2/base")" 403 "a node that does not exist: 403"
is "$(curl -s -m 20 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$RDS_API_PORT/agent/v1/restore/$node2/$tok2/base")" 404 \
  "POST is not a route"
is "$(status_of far2)/$(status_of far3)" "available/available" "and nothing changed"

# ---- trust: the key is the machine's identity ----------------------------------
# The same key claimed for another AZ: the controlplane finds the key by
# agent id, so this agent's key does not sign for us-east-1a.
code=$(ip netns exec "$NS_C" curl -s -m 5 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  --data '{"agent_id":"us-east-1a","az":"us-east-1a","addr_base":"'"$P"'.1","nodes":[]}' \
  "http://$P.0.1:$RDS_API_PORT/agent/v1/heartbeat")
is "$code" 401 "an unsigned heartbeat from the other machine is refused"
is "$(status_of far)" available "and changed nothing"

# ---- the agent restarted (kill -9) on its machine adopts its nodes -------------
kill -KILL "$apid"
poll 10 gone "$apid"
start_remote
poll 60 agents_3
ok $? "the remote agent restarted after kill -9"
poll 60 in_sync "$sec"
ok $? "far is available and in sync after the agent's restart"
is "$(sql far 'SELECT sum(v) FROM t')" 111 "its data intact"

# ---- deleting everything, then the machine goes --------------------------------
for id in far far2 far3; do
  rdsctl delete-db-instance --db-instance-identifier "$id" --skip-final-snapshot >/dev/null
done
poll 120 status_is far gone && poll 120 status_is far2 gone && poll 120 status_is far3 gone
ok $? "the instances are deleted"
no_remote_nodes() { ! ls "$REMOTE"/home/nodes/*/data/PG_VERSION >/dev/null 2>&1; }
poll 60 no_remote_nodes
ok $? "and their nodes removed from the other machine"
is "$(rget "$base2")" 403 "far2's URL died with its restore"

done_testing
