#!/usr/bin/env bash
# Black-box test of bin/rds-agent against a fake controlplane
# (fake_controlplane.py): create, connect, two nodes on one port, agent
# kill -9 and adoption, supervisor restart, stop, delete, bad replies.
# Prints TAP; run with `prove tests/integration/agent.t` after `make`.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AGENT_BIN="${RDS_AGENT_BIN:-$ROOT/bin/rds-agent}" # override to test a sanitizer build
FAKE="$ROOT/tests/integration/fake_controlplane.py"
BINDIR=$(pg_config --bindir)
PSQL="$BINDIR/psql"

echo "1..29"
N=0
FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }
check() { # check NAME COMMAND...: ok if the command succeeds
    local name=$1; shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}
# wait_for SECONDS COMMAND...: polls every 0.1 s until the command succeeds.
wait_for() {
    local deadline=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
    until "$@"; do
        [ $(( $(date +%s%N) / 1000000 )) -ge $deadline ] && return 1
        sleep 0.1
    done
}

T=$(mktemp -d /tmp/rdsim-agent-t.XXXXXX)
chmod 755 "$T" # the postgres user must traverse it when we are root
HOME_DIR="$T/agent"
BASE="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1))"
FAKE_PID= AGENT_PID=

cleanup() {
    [ -n "$AGENT_PID" ] && { kill -9 "$AGENT_PID" && wait "$AGENT_PID"; } 2>/dev/null
    [ -n "$FAKE_PID" ] && { kill "$FAKE_PID" && wait "$FAKE_PID"; } 2>/dev/null
    for pf in "$HOME_DIR"/nodes/*/data/postmaster.pid; do
        [ -f "$pf" ] || continue
        pid=$(head -1 "$pf")
        kill -QUIT "$pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    if [ "$FAILED" -ne 0 ]; then
        echo "# agent log:"; sed 's/^/#   /' "$T"/agent*.log 2>/dev/null | tail -40
    fi
    rm -rf "$T"
}
trap cleanup EXIT

# ---- helpers -------------------------------------------------------------

spec() { # spec ADDR PORT [DBNAME]
    local db=null
    [ -n "${3:-}" ] && db="\"$3\""
    printf '{"instance_id":"shop","addr":"%s","port":%s,"role":"primary","master_username":"app","master_password":"pw-%s","db_name":%s,"settings":{"shared_buffers":"16MB","max_connections":"30"}}' \
        "$1" "$2" "$PW_SUFFIX" "$db"
}
PW_SUFFIX=$RANDOM$RANDOM
PASSWORD="pw-$PW_SUFFIX"

set_goals() { # set_goals JSON-NODES-ARRAY [authoritative]
    printf '{"interval_ms":100,"authoritative":%s,"nodes":%s}\n' "${2:-true}" "$1" > "$T/goals.tmp"
    mv "$T/goals.tmp" "$T/goals.json"
}
node_goal() { # node_goal ID GOAL GEN ADDR PORT [DBNAME]
    printf '{"node_id":"%s","goal":"%s","generation":%s,"spec":%s}' "$1" "$2" "$3" "$(spec "$4" "$5" "${6:-}")"
}
hb_field() { # hb_field ID FIELD: prints the field from the last heartbeat
    python3 - "$T/last_heartbeat.json" "$1" "$2" <<'PY'
import json, sys
try:
    hb = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(1)
for n in hb.get("nodes", []):
    if n.get("node_id") == sys.argv[2]:
        v = n.get(sys.argv[3])
        print("null" if v is None else v)
        sys.exit(0)
print("missing")
PY
}
hb_is() { [ "$(hb_field "$1" "$2")" = "$3" ]; }
pm_pid() { head -1 "$HOME_DIR/nodes/$1/data/postmaster.pid" 2>/dev/null; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
dead() { ! alive "$1"; }
sql() { # sql ADDR PORT DB QUERY
    PGPASSWORD=$PASSWORD PGCONNECT_TIMEOUT=3 "$PSQL" -X -At \
        "host=$1 port=$2 user=app dbname=$3" -c "$4" 2>/dev/null
}
sql_is() { [ "$(sql "$1" "$2" "$3" "$4")" = "$5" ]; }
start_agent() {
    "$AGENT_BIN" --controlplane "http://127.0.0.1:$CP_PORT" --az us-east-1a \
        --addr-base "$BASE" --home "$HOME_DIR" --heartbeat-ms 100 \
        >> "$T/agent.log" 2>&1 &
    AGENT_PID=$!
}
hb_from_agent() { [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$T/last_heartbeat.json" 2>/dev/null)" = "$AGENT_PID" ]; }

# ---- start ------------------------------------------------------------------

python3 "$FAKE" "$T" > "$T/fake.log" 2>&1 &
FAKE_PID=$!
wait_for 10 test -s "$T/port"
CP_PORT=$(cat "$T/port")
set_goals '[]'
start_agent
check "agent heartbeats the controlplane" wait_for 10 hb_from_agent

# ---- create ---------------------------------------------------------------

A1="$BASE.5" A2="$BASE.6"
t0=$(date +%s%N)
set_goals "[$(node_goal shop-1 running 1 "$A1" 5432 orders)]"
check "goal running: heartbeat reports running" wait_for 60 hb_is shop-1 state running
t1=$(date +%s%N)
echo "# goal running -> reported running (initdb + start): $(( (t1 - t0) / 1000000 )) ms"
check "pid reported is the postmaster's" hb_is shop-1 pid "$(pm_pid shop-1)"
check "psql with the master password: SELECT 1" sql_is "$A1" 5432 postgres "SELECT 1" 1
check "db_name exists" sql_is "$A1" 5432 orders "SELECT current_database()" orders
check "settings applied" sql_is "$A1" 5432 postgres "SHOW max_connections" 30
check "wrong password refused" bash -c "! PGPASSWORD=wrong '$PSQL' -X -At 'host=$A1 port=5432 user=app dbname=postgres' -c 'SELECT 1' 2>/dev/null"
check "password in no agent file or log" bash -c "! grep -rqs -- '$PASSWORD' '$HOME_DIR/agent.json' '$T/agent.log' '$T/last_heartbeat.json' '$HOME_DIR/nodes/shop-1/log' && ! test -e '$HOME_DIR/nodes/shop-1/pwfile'"
if [ "$(id -u)" -eq 0 ]; then
    check "as root, postgres runs as the pg user" test "$(ps -o user= -p "$(pm_pid shop-1)")" = postgres
else
    check "not root: postgres runs as us" test "$(ps -o user= -p "$(pm_pid shop-1)")" = "$(id -un)"
fi

# ---- two nodes on one port --------------------------------------------------

set_goals "[$(node_goal shop-1 running 1 "$A1" 5432 orders),$(node_goal shop-2 running 1 "$A2" 5432)]"
check "second node on the same port, another address, runs" wait_for 60 hb_is shop-2 state running
check "both answer on port 5432" bash -c "[ \"\$(PGPASSWORD=$PASSWORD '$PSQL' -X -At 'host=$A1 port=5432 user=app dbname=postgres' -c 'SELECT host(inet_server_addr())')\" = '$A1' ] && [ \"\$(PGPASSWORD=$PASSWORD '$PSQL' -X -At 'host=$A2 port=5432 user=app dbname=postgres' -c 'SELECT host(inet_server_addr())')\" = '$A2' ]"

# ---- agent kill -9 and adoption ---------------------------------------------

PM1=$(pm_pid shop-1)
{ kill -9 "$AGENT_PID" && wait "$AGENT_PID"; } 2>/dev/null
check "agent killed: postgres keeps running" sql_is "$A1" 5432 postgres "SELECT 1" 1
start_agent
check "restarted agent reports running" wait_for 20 bash -c "$(declare -f hb_from_agent hb_field hb_is); T='$T' AGENT_PID=$AGENT_PID; hb_from_agent && hb_is shop-1 state running"
check "adopted with the same postmaster pid" test "$(hb_field shop-1 pid)" = "$PM1" -a "$(pm_pid shop-1)" = "$PM1"

# ---- supervisor ---------------------------------------------------------------

kill -9 "$PM1"
check "postmaster killed: supervisor restarts it (restarts=1)" wait_for 60 bash -c "$(declare -f hb_field hb_is); T='$T'; hb_is shop-1 restarts 1 && hb_is shop-1 state running"
check "new postmaster pid, crash reported" test "$(hb_field shop-1 pid)" != "$PM1" -a "$(hb_field shop-1 last_exit)" != null
check "restarted node answers" sql_is "$A1" 5432 orders "SELECT 1" 1

# ---- a settings change is applied by a restart ----------------------------------

set_goals "[$(node_goal shop-1 running 2 "$A1" 5432 orders | sed 's/"max_connections":"30"/"max_connections":"40"/'),$(node_goal shop-2 running 1 "$A2" 5432)]"
check "settings change applied by a restart" wait_for 30 sql_is "$A1" 5432 postgres "SHOW max_connections" 40
check "a configuration restart is not a crash" test "$(hb_field shop-1 restarts)" = 1 -a "$(hb_field shop-1 generation)" = 2

# ---- bad replies --------------------------------------------------------------

PM1=$(pm_pid shop-1) PM2=$(pm_pid shop-2)
GOOD=$(cat "$T/goals.json")
for bad in '{"__raw":"{not json"}' '{"__status":500}' '{"__raw":"{\"nodes\":{}}"}' \
           '{"__raw":"{\"authoritative\":true,\"nodes\":[{\"goal\":\"absent\"}]}"}'; do
    rm -f "$T/last_heartbeat.json"
    echo "$bad" > "$T/goals.json"
    wait_for 10 test -s "$T/last_heartbeat.json"
    rm -f "$T/last_heartbeat.json"
    wait_for 10 test -s "$T/last_heartbeat.json" # a second beat: the first reply was handled
done
check "bad replies: agent alive, nodes untouched" bash -c "kill -0 $AGENT_PID && [ \"\$(head -1 '$HOME_DIR/nodes/shop-1/data/postmaster.pid')\" = $PM1 ] && [ \"\$(head -1 '$HOME_DIR/nodes/shop-2/data/postmaster.pid')\" = $PM2 ]"
echo "$GOOD" > "$T/goals.json"

# ---- a node id the agent must refuse ------------------------------------------

set_goals "[$(node_goal shop-1 running 2 "$A1" 5432 orders | sed 's/"max_connections":"30"/"max_connections":"40"/'),$(node_goal shop-2 running 1 "$A2" 5432),$(node_goal ../evil running 1 "$BASE.9" 5432)]"
check "invalid node_id reported failed, nothing created" bash -c "$(declare -f hb_field hb_is wait_for); T='$T'; wait_for 10 hb_is ../evil state failed && [ ! -e '$HOME_DIR/evil' ] && [ \$(ls '$HOME_DIR/nodes' | wc -l) -eq 2 ]"

# ---- stop and delete ------------------------------------------------------------

S1="$(node_goal shop-1 running 2 "$A1" 5432 orders | sed 's/"max_connections":"30"/"max_connections":"40"/')"
set_goals "[$S1,$(node_goal shop-2 stopped 2 "$A2" 5432)]"
check "goal stopped: reported stopped" wait_for 30 hb_is shop-2 state stopped
check "stopped: postmaster gone" wait_for 10 dead "$PM2"
set_goals "[$S1,{\"node_id\":\"shop-2\",\"goal\":\"absent\",\"generation\":3}]"
reported_absent() {
    grep -q '"node_id":"shop-2","state":"absent"' "$T/heartbeats.log"
}
check "goal absent: reported absent" wait_for 30 reported_absent
check "absent node forgotten after the report" wait_for 10 hb_is shop-2 node_id missing
check "goal absent: directory removed" test ! -e "$HOME_DIR/nodes/shop-2"
check "other node still running" sql_is "$A1" 5432 postgres "SELECT 1" 1

# ---- SIGTERM: the agent exits, PostgreSQL stays -----------------------------------

PM1=$(pm_pid shop-1)
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
check "SIGTERM: agent exits cleanly" test $? -eq 0
AGENT_PID=
check "SIGTERM: postgres keeps running" bash -c "kill -0 $PM1 && [ \"\$(head -1 '$HOME_DIR/nodes/shop-1/data/postmaster.pid')\" = $PM1 ]"

exit $(( FAILED > 0 ))
