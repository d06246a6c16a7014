#!/usr/bin/env bash
# Issue 12, item 2: the agent channel is authenticated. Every attack the
# issue lists against it, as a local process without an agent's key would
# make it, against a real region: a forged heartbeat (no MAC, a wrong MAC,
# an unknown agent) gets no password; a forged "crashed" report makes no
# failover; a replayed genuine request is refused; and a fake controlplane
# on the API port while the real one is down, answering "authoritative,
# no nodes" unsigned or signed with a wrong key, deletes nothing.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

REQ="$ROOT/tests/integration/agent_request.py"
FAKE="$ROOT/tests/integration/fake_controlplane.py"
FAKE_PID=
T_TMP=$(mktemp -d /tmp/rdsim-agentauth.XXXXXX)
fake_stop() {
  [ -n "$FAKE_PID" ] && { kill "$FAKE_PID" && wait "$FAKE_PID"; } 2>/dev/null
  FAKE_PID=
}
trap 'fake_stop; rm -rf "$T_TMP"; cleanup' EXIT

region_up || bail "the region did not start"
ok 0 "region up"
KEYS="$RDS_HOME/controlplane/agent-keys"
HB="http://127.0.0.1:$RDS_API_PORT/agent/v1/heartbeat"
TM="http://127.0.0.1:$RDS_API_PORT/agent/v1/telemetry"
CPLOG="$RDS_HOME/logs/controlplane.log"

check "each agent has its own key, readable by this user only" bash -c \
  "[ \$(stat -c %a '$KEYS') = 700 ] && [ \$(ls '$KEYS'/*.key | wc -l) = 3 ] &&
   [ \$(stat -c %a '$KEYS'/us-east-1a.key) = 600 ] &&
   [ \$(md5sum '$KEYS'/*.key | cut -d' ' -f1 | sort -u | wc -l) = 3 ]"

out=$(create_instance maz --multi-az)
ok $? "create a Multi-AZ instance"
out=$(create_instance saz)
ok $? "create a Single-AZ instance"
poll 120 status_is maz available
ok $? "maz available"
poll 60 status_is saz available
ok $? "saz available"
check "a row in maz" sql maz "CREATE TABLE t (v text); INSERT INTO t VALUES ('maz-row')"
check "a row in saz" sql saz "CREATE TABLE t (v text); INSERT INTO t VALUES ('saz-row')"

AZ=$(rdsctl describe-db-instances --db-instance-identifier maz | jq -r '.DBInstances[0].AvailabilityZone')
like "$AZ" '^us-east-1[abc]$' "maz's primary is in $AZ"
i=$(( $(printf '%d' "'${AZ: -1}") - 96 ))
BASE="127.$RDS_NET.$i"
NODE=$(basename "$(dirname "$(dirname "$(ls "$RDS_HOME"/agents/"$AZ"/nodes/maz-*/data/postmaster.pid)")")")
like "$NODE" '^maz-' "its node on $AZ is $NODE"
PM=$(head -1 "$RDS_HOME/agents/$AZ/nodes/$NODE/data/postmaster.pid")

# ---- a forged heartbeat: an AZ name as agent_id, no or a wrong MAC ---------------

FORGED="{\"agent_id\":\"$AZ\",\"az\":\"$AZ\",\"addr_base\":\"$BASE\",\"nodes\":[]}"
r=$("$REQ" "$HB" "$FORGED")
is "$(head -1 <<<"$r")" 401 "a heartbeat without authentication is refused (401)"
like "$(sed -n 2p <<<"$r")" '^\{"error":' "with a JSON error"
check "and no password in the reply" bash -c "! grep -qF -- '$T_PASS' <<<'$r' && ! grep -q password <<<'$r'"
r=$("$REQ" "$HB" "$FORGED" --agent "$AZ")
is "$(head -1 <<<"$r")" 401 "an agent id without a MAC: 401"
r=$("$REQ" "$HB" "$FORGED" --agent "$AZ" --wrong-key)
is "$(head -1 <<<"$r")" 401 "a wrong MAC: 401"
like "$(sed -n 2p <<<"$r")" 'signature does not match' "saying the signature does not match"
check "no password in that reply either" bash -c "! grep -q password <<<'$r'"
r=$("$REQ" "$HB" "${FORGED//$AZ/us-east-1z}" --agent us-east-1z --wrong-key)
is "$(head -1 <<<"$r")" 403 "an agent without a key file is unknown: 403"
r=$("$REQ" "$HB" "$FORGED" --agent ../agent-keys/x --wrong-key)
is "$(head -1 <<<"$r")" 403 "an agent id naming a path: 403"
r=$("$REQ" "$TM" "{\"agent_id\":\"$AZ\",\"nodes\":[]}" --agent "$AZ" --wrong-key)
is "$(head -1 <<<"$r")" 401 "forged telemetry: 401"
check "the controlplane logs the refusals" grep -q 'agent request refused path=/agent/v1/heartbeat' "$CPLOG"

# ---- a forged "crashed" report: no failover ---------------------------------------

CRASHED="{\"agent_id\":\"$AZ\",\"az\":\"$AZ\",\"addr_base\":\"$BASE\",\"nodes\":[{\"node_id\":\"$NODE\",\"state\":\"crashed\",\"role\":\"primary\",\"pid\":null,\"restarts\":0,\"generation\":1000,\"last_exit\":\"signal 9\"}]}"
refused=0
for _ in $(seq 20); do
  for how in "" "--wrong-key"; do
    # shellcheck disable=SC2086 # $how is one flag or none
    [ "$(head -1 <<<"$("$REQ" "$HB" "$CRASHED" --agent "$AZ" $how)")" = 401 ] && refused=$((refused + 1))
  done
  sleep 0.05 # the detection window is 150 ms: spread the reports over it
done
is "$refused" 40 "forty forged crashed reports over 1 s, all refused"
primary_moved() {
  [ "$(rdsctl describe-db-instances --db-instance-identifier maz |
       jq -r '.DBInstances[0].AvailabilityZone')" != "$AZ" ] || ! status_is maz available
}
# A failover takes ~150 ms: watch 3 s for one (wrongly) happening.
steady_3s() { ! poll 3 primary_moved; }
check "no failover, nor any other status, for 3 s" steady_3s
is "$(status_of maz)" available "maz stays available"
is "$(rdsctl describe-db-instances --db-instance-identifier maz | jq -r '.DBInstances[0].AvailabilityZone')" \
  "$AZ" "its primary is still in $AZ (no failover)"
is "$(head -1 "$RDS_HOME/agents/$AZ/nodes/$NODE/data/postmaster.pid")" "$PM" "the same postmaster runs"
is "$(sql maz "SELECT pg_is_in_recovery()")" f "and it is the writable primary"

# ---- a replayed genuine request ----------------------------------------------------

# A genuine telemetry request, signed with the agent's key (as if sniffed):
# accepted once, with a signed reply; the same bytes again are refused.
r=$("$REQ" "$TM" "{\"agent_id\":\"$AZ\",\"nodes\":[]}" --agent "$AZ" --key "$KEYS/$AZ.key" \
  --save "$T_TMP/tm.req" --check-reply)
is "$(head -1 <<<"$r")" 200 "a genuine telemetry request is accepted"
is "$(tail -1 <<<"$r")" "reply-auth ok" "and its reply is signed for it"
r=$("$REQ" "$TM" - --replay "$T_TMP/tm.req")
is "$(head -1 <<<"$r")" 401 "replayed: 401"
like "$(sed -n 2p <<<"$r")" 'replay' "as a replay"
# A genuine heartbeat whose report the registry refuses (an AZ not in the
# region: nothing recorded), so the test does not disturb the real agent.
GEN="{\"agent_id\":\"$AZ\",\"az\":\"eu-west-9a\",\"addr_base\":\"$BASE\",\"nodes\":[]}"
r=$("$REQ" "$HB" "$GEN" --agent "$AZ" --key "$KEYS/$AZ.key" --save "$T_TMP/hb.req" --check-reply)
is "$(head -1 <<<"$r")" 400 "a genuine heartbeat is authenticated (then judged: 400, unknown az)"
is "$(tail -1 <<<"$r")" "reply-auth ok" "its reply is signed too"
r=$("$REQ" "$HB" - --replay "$T_TMP/hb.req")
is "$(head -1 <<<"$r")" 401 "the same heartbeat replayed: 401"
r=$("$REQ" "$HB" "{\"agent_id\":\"us-east-1b\",\"az\":\"us-east-1b\",\"addr_base\":\"$BASE\",\"nodes\":[]}" \
  --agent "$AZ" --key "$KEYS/$AZ.key")
is "$(head -1 <<<"$r")" 403 "an agent's key cannot report for another agent id"

# ---- a fake controlplane on the API port while the real one is down ---------------

count_dirs=$(node_dirs | wc -l)
is "$count_dirs" 3 "three node directories (maz: 2, saz: 1)"
PMS=$(our_postgres | sort | xargs)
cp=$(cp_pid)
kill -TERM "$cp"
poll 10 gone "$cp"
ok $? "the real controlplane is down"
FD="$T_TMP/fake"
mkdir -p "$FD"
echo '{"interval_ms":100,"authoritative":true,"nodes":[]}' >"$FD/goals.json"
python3 "$FAKE" "$FD" "$RDS_API_PORT" >"$T_TMP/fake.log" 2>&1 &
FAKE_PID=$!
poll 30 test -s "$FD/port"
ok $? "a fake controlplane listens on the API port ($RDS_API_PORT)"
beats() { [ "$(wc -l <"$FD/heartbeats.log" 2>/dev/null || echo 0)" -ge "$1" ]; }
poll 20 beats 30
ok $? "the agents heartbeat to it and get 'authoritative, no nodes', unsigned"
is "$(node_dirs | wc -l)" "$count_dirs" "no node directory deleted"
is "$(our_postgres | sort | xargs)" "$PMS" "no postmaster stopped"
check "the agents say they ignored the replies" \
  grep -q 'reply not authenticated, ignored' "$RDS_HOME/logs/agent-$AZ.log"
# The same, signed with a key that is not the agents'.
(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$FD/agent.key")
n=$(wc -l <"$FD/heartbeats.log")
poll 20 beats $((n + 30))
ok $? "30 more heartbeats, answered signed with a wrong key"
is "$(node_dirs | wc -l)" "$count_dirs" "still no node directory deleted"
is "$(our_postgres | sort | xargs)" "$PMS" "still no postmaster stopped"
fake_stop
check "the real controlplane comes back" region_restart
poll 60 status_is maz available
ok $? "maz is available"
poll 60 status_is saz available
ok $? "saz is available"
is "$(sql maz "SELECT v FROM t")" maz-row "maz kept its row"
is "$(sql saz "SELECT v FROM t")" saz-row "saz kept its row"
is "$(node_dirs | wc -l)" "$count_dirs" "the same node directories"
is "$(our_postgres | sort | xargs)" "$PMS" "the same postmasters (no initdb, no restart)"

# ---- nothing secret in the agents' logs -------------------------------------------

check "no password in any agent log" bash -c "! grep -qF -- '$T_PASS' '$RDS_HOME'/logs/agent-*.log"

done_testing
