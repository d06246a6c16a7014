#!/usr/bin/env bash
# Black-box test of bin/rds-agent against a fake controlplane
# (fake_controlplane.py): create, connect, two nodes on one port, agent
# kill -9 and adoption, supervisor restart, stop, delete, bad replies; then
# Multi-AZ with two more agents (two AZs): conversion to Multi-AZ, a standby
# built with pg_basebackup, synchronous replication, promotion, fencing of
# the old primary and its rejoin with pg_rewind, supervise=report, and the
# fencing of a SIGSTOPped postmaster.
# Prints TAP; run with `prove tests/integration/agent.t` after `make`.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AGENT_BIN="${RDS_AGENT_BIN:-$ROOT/bin/rds-agent}" # override to test a sanitizer build
FAKE="$ROOT/tests/integration/fake_controlplane.py"
BINDIR=$(pg_config --bindir)
PSQL="$BINDIR/psql"

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
# The agents' shared secret with the fake (agent/README.md "Trust").
(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$T/agent.key")
BASE="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1))"
FAKE_PID= AGENT_PID=

AGENT_B= AGENT_C=
cleanup() {
    for a in "$AGENT_PID" "$AGENT_B" "$AGENT_C"; do
        [ -n "$a" ] && { kill -9 "$a" && wait "$a"; } 2>/dev/null
    done
    [ -n "$FAKE_PID" ] && { kill "$FAKE_PID" && wait "$FAKE_PID"; } 2>/dev/null
    for pf in "$T"/*/nodes/*/data/postmaster.pid; do
        [ -f "$pf" ] || continue
        pid=$(head -1 "$pf")
        kill -CONT "$pid" 2>/dev/null # a SIGSTOPped one cannot shut down
        kill -QUIT "$pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 -- "-$pid" 2>/dev/null
    done
    if [ "$FAILED" -ne 0 ]; then
        for log in "$T"/agent*.log; do
            echo "# $(basename "$log"):"; sed 's/^/#   /' "$log" | tail -40
        done
    fi
    if [ -n "${KEEP_TMP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

# ---- helpers -------------------------------------------------------------

spec() { # spec ADDR PORT [DBNAME]
    local db=null
    [ -n "${3:-}" ] && db="\"$3\""
    printf '{"instance_id":"shop","addr":"%s","port":%s,"role":"primary","master_username":"app","master_verifier":"%s","db_name":%s,"settings":{"shared_buffers":"16MB","max_connections":"30"}}' \
        "$1" "$2" "$VERIFIER" "$db"
}
PW_SUFFIX=$RANDOM$RANDOM
PASSWORD="pw-$PW_SUFFIX"
# The spec carries the master password's SCRAM-SHA-256 verifier, never the
# password (issue 12), computed here as PostgreSQL does.
scram_verifier() {
    python3 -c 'import base64,hashlib,hmac,os,sys
p=sys.argv[1].encode(); s=os.urandom(16)
k=hashlib.pbkdf2_hmac("sha256",p,s,4096)
c=hmac.new(k,b"Client Key","sha256").digest(); v=hmac.new(k,b"Server Key","sha256").digest()
b=lambda x: base64.b64encode(x).decode()
print("SCRAM-SHA-256$4096:%s$%s:%s" % (b(s), b(hashlib.sha256(c).digest()), b(v)))' "$1"
}
VERIFIER=$(scram_verifier "$PASSWORD")

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
        --addr-base "$BASE" --home "$HOME_DIR" --heartbeat-ms 100 --key-file "$T/agent.key" \
        >> "$T/agent.log" 2>&1 &
    AGENT_PID=$!
}
hb_from_agent() { [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$T/last_heartbeat.json" 2>/dev/null)" = "$AGENT_PID" ]; }

# ---- start ------------------------------------------------------------------

python3 "$FAKE" "$T" > "$T/fake.log" 2>&1 &
FAKE_PID=$!
# A loaded machine can take seconds to start a Python; without the fake
# controlplane nothing below means anything.
if ! wait_for 60 test -s "$T/port"; then
  echo "Bail out! the fake controlplane did not start: $(tail -3 "$T/fake.log" | xargs)"
  exit 1
fi
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

# ---- the channel is authenticated (agent/README.md "Trust") ---------------------

check "the agent's requests are signed" bash -c "grep -q '^us-east-1a ok' '$T/auth.log' && ! grep -q '^us-east-1a bad' '$T/auth.log'"
check "no plain-text password on the wire" bash -c "grep -q master_verifier '$T/replies.log' && ! grep -q -- '$PASSWORD' '$T/heartbeats.log' '$T/replies.log'"
# Each reply below is one an attacker could make (or an honest controlplane
# that lost its rows): none may delete anything.
two_beats() {
    rm -f "$T/last_heartbeat.json"
    wait_for 10 test -s "$T/last_heartbeat.json"
    rm -f "$T/last_heartbeat.json"
    wait_for 10 test -s "$T/last_heartbeat.json"
}
untouched() {
    kill -0 "$AGENT_PID" && [ "$(pm_pid shop-1)" = "$PM1" ] && [ "$(pm_pid shop-2)" = "$PM2" ] &&
        [ -d "$HOME_DIR/nodes/shop-1/data" ] && [ -d "$HOME_DIR/nodes/shop-2/data" ]
}
echo '{"__unsigned":true,"interval_ms":100,"authoritative":true,"nodes":[]}' > "$T/goals.json"
two_beats
check "an unsigned authoritative empty reply: nothing deleted, nothing stopped" untouched
check "and the agent says it ignored it" grep -q 'reply not authenticated, ignored' "$T/agent.log"
echo '{"__wrong_key":true,"interval_ms":100,"authoritative":true,"nodes":[{"node_id":"shop-2","goal":"absent","generation":99}]}' > "$T/goals.json"
two_beats
check "a goal absent signed with another key: nothing deleted" untouched
echo '{"__plaintext":true,"interval_ms":100,"authoritative":true,"nodes":['"$(node_goal shop-2 stopped 9 "$A2" 5432 | sed 's/"master_username":"app",/"master_username":"app","master_password":"in-the-clear",/')"']}' > "$T/goals.json"
two_beats
plaintext_refused() { untouched && grep -q 'master_password in plain text' "$T/agent.log"; }
check "a reply with a plain-text password is refused as a whole" plaintext_refused
set_goals '[]'
two_beats
check "a genuine authoritative empty reply: the nodes are orphans, kept running" untouched
check "orphans are logged, not deleted" grep -q 'orphan node kept.*node_id=shop-2' "$T/agent.log"
check "and still reported" bash -c "$(declare -f hb_field hb_is); T='$T'; hb_is shop-1 state running && hb_is shop-2 state running"
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

# ==== Multi-AZ: two agents in two AZs, one fake controlplane ==================

HOME_B="$T/b" HOME_C="$T/c"
# Two more address ranges, distinct from BASE (whose shop-1 still runs) and
# from each other: the second octet moves.
IFS=. read -r _ O2 O3 <<< "$BASE"
BASE_B="127.$(( (O2 - 20 + 1) % 200 + 20 )).$O3"
BASE_C="127.$(( (O2 - 20 + 2) % 200 + 20 )).$O3"
AA="$BASE_B.5" AB="$BASE_C.5" # node ha-a starts in AZ b, ha-b in AZ c
RPW="r'p:w-$RANDOM$RANDOM" # a quote and a colon: both quoting levels used
start_ha_agent() { # start_ha_agent AZ BASE HOME
    "$AGENT_BIN" --controlplane "http://127.0.0.1:$CP_PORT" --az "$1" \
        --addr-base "$2" --home "$3" --heartbeat-ms 100 --key-file "$T/agent.key" \
        >> "$T/agent-$1.log" 2>&1 &
}
ha_goals() { # ha_goals AZ JSON-NODES-ARRAY
    printf '{"interval_ms":100,"authoritative":true,"nodes":%s}\n' "$2" > "$T/goals.tmp"
    mv "$T/goals.tmp" "$T/goals-$1.json"
}
# ha_node ID GOAL GEN ADDR ROLE EXTRA-SPEC-JSON (starting with a comma, or "")
ha_node() {
    printf '{"node_id":"%s","goal":"%s","generation":%s,"spec":{"instance_id":"ha","addr":"%s","port":5432,"role":"%s","master_username":"app","master_verifier":"%s","db_name":"orders","settings":{"shared_buffers":"16MB","max_connections":"30"}%s}}' \
        "$1" "$2" "$3" "$4" "$5" "$VERIFIER" "$6"
}
REPL=",\"replication\":{\"user\":\"rdsrepladmin\",\"password\":\"$RPW\"}"
up() { printf ',"upstream":{"node_id":"%s","addr":"%s","port":5432}' "$1" "$2"; }
sync_list() { printf ',"sync_standbys":[%s]' "$1"; }
hbx() { # hbx AZ ID FIELD: the field from that agent's last heartbeat
    python3 - "$T/last_heartbeat-$1.json" "$2" "$3" <<'PY'
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
hbx_is() { [ "$(hbx "$1" "$2" "$3")" = "$4" ]; }
ha_pm() { head -1 "$T/$1/nodes/$2/data/postmaster.pid" 2>/dev/null; } # ha_pm b|c ID
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# Replication as the primary sees it: "app_name state sync_state" lines.
repl_of() { sql "$1" 5432 postgres "SELECT application_name || ' ' || state || ' ' || sync_state FROM pg_stat_replication"; }
repl_has() { repl_of "$1" | grep -qx "$2"; }

ha_goals us-east-1b '[]'
ha_goals us-east-1c '[]'
start_ha_agent us-east-1b "$BASE_B" "$HOME_B"; AGENT_B=$!
start_ha_agent us-east-1c "$BASE_C" "$HOME_C"; AGENT_C=$!

# A Single-AZ primary first, then converted: the spec gains "replication"
# (generation 2) and a standby appears in the other AZ at once (it retries
# its base backup until the primary and the role are there).
ha_goals us-east-1b "[$(ha_node ha-a running 1 "$AA" primary ',"supervise":"restart","rebuild_seq":0')]"
check "ha: Single-AZ primary runs" wait_for 60 hbx_is us-east-1b ha-a state running
check "ha: role in effect reported: primary" hbx_is us-east-1b ha-a role primary
check "ha: replication settings on every node" sql_is "$AA" 5432 postgres \
    "SELECT string_agg(setting, ',' ORDER BY name) FROM pg_settings WHERE name IN ('wal_level','hot_standby','wal_log_hints','synchronous_commit','max_wal_senders')" \
    "on,25,on,replica,on"
PMA=$(ha_pm b ha-a)
t0=$(now_ms)
ha_goals us-east-1b "[$(ha_node ha-a running 2 "$AA" primary "$REPL$(sync_list '')")]"
ha_goals us-east-1c "[$(ha_node ha-b running 1 "$AB" standby "$REPL$(up ha-a "$AA")")]"
check "ha: conversion creates the replication role" wait_for 20 sql_is "$AA" 5432 postgres \
    "SELECT rolreplication AND rolcanlogin FROM pg_roles WHERE rolname = 'rdsrepladmin'" t
check "ha: conversion without a restart" test "$(ha_pm b ha-a)" = "$PMA"
check "ha: standby built by pg_basebackup and running" wait_for 60 hbx_is us-east-1c ha-b state running
t1=$(now_ms)
echo "# conversion -> standby running: $((t1 - t0)) ms"
check "ha: standby reports role standby" wait_for 10 hbx_is us-east-1c ha-b role standby
check "ha: standby never reported failed while waiting for its upstream" \
    bash -c "! grep -q '\"node_id\":\"ha-b\",\"state\":\"failed\"' '$T/heartbeats.log'"
check "ha: the standby is in recovery" sql_is "$AB" 5432 postgres "SELECT pg_is_in_recovery()" t
check "ha: primary streams to it (async while not listed)" wait_for 20 repl_has "$AA" "ha-b streaming async"
check "ha: replication password in no agent record, log or rdsim.conf" bash -c \
    "! grep -rqsF -- \"\$1\" '$HOME_B/agent.json' '$HOME_C/agent.json' '$T'/agent-*.log '$HOME_C/nodes/ha-b/data/rdsim.conf' '$HOME_C/nodes/ha-b/log'" _ "$RPW"
check "ha: replication password only in the 0600 passfile" \
    test "$(stat -c %a "$HOME_C/nodes/ha-b/repl.pgpass")" = 600

# Synchronous: listed in sync_standbys, applied by a reload.
ha_goals us-east-1b "[$(ha_node ha-a running 3 "$AA" primary "$REPL$(sync_list '"ha-b"')")]"
check "ha: sync_standbys makes it synchronous" wait_for 20 repl_has "$AA" "ha-b streaming sync"
check "ha: synchronous_standby_names set" sql_is "$AA" 5432 postgres "SHOW synchronous_standby_names" 'FIRST 1 ("ha-b")'
check "ha: applied by a reload, not a restart" test "$(ha_pm b ha-a)" = "$PMA"
sql "$AA" 5432 orders "CREATE TABLE t (id int primary key, at text); INSERT INTO t VALUES (1, 'on a')" >/dev/null
check "ha: a row committed on the primary is on the standby" wait_for 10 sql_is "$AB" 5432 orders "SELECT at FROM t WHERE id = 1" "on a"

# Failover: ha-b promoted (generation 2), ha-a fenced (goal stopped); the
# fake does both in one step, as the controlplane's promote step does.
PMB=$(ha_pm c ha-b)
t0=$(now_ms)
ha_goals us-east-1c "[$(ha_node ha-b running 2 "$AB" primary "$REPL$(sync_list '')")]"
ha_goals us-east-1b "[$(ha_node ha-a stopped 4 "$AA" primary "$REPL$(sync_list '"ha-b"')")]"
check "ha: promoted: role primary, running, generation 2" wait_for 20 bash -c \
    "$(declare -f hbx hbx_is); T='$T'; hbx_is us-east-1c ha-b role primary && hbx_is us-east-1c ha-b state running && hbx_is us-east-1c ha-b generation 2"
t1=$(now_ms)
echo "# goal changed -> promoted and reported: $((t1 - t0)) ms"
check "ha: the new primary accepts writes" sql_is "$AB" 5432 orders \
    "WITH i AS (INSERT INTO t VALUES (2, 'on b') RETURNING at) SELECT at FROM i" "on b"
check "ha: no longer in recovery" sql_is "$AB" 5432 postgres "SELECT pg_is_in_recovery()" f
check "ha: primary_conninfo gone from the configuration" sql_is "$AB" 5432 postgres "SHOW primary_conninfo" ""
check "ha: promoted in place (same postmaster)" test "$(ha_pm c ha-b)" = "$PMB"
check "ha: old primary fenced: stopped" wait_for 10 hbx_is us-east-1b ha-a state stopped
check "ha: old primary's postmaster gone" dead "$PMA"

# Rejoin: the old primary becomes the new primary's standby.
t0=$(now_ms)
ha_goals us-east-1b "[$(ha_node ha-a running 5 "$AA" standby "$REPL$(up ha-b "$AB")")]"
check "ha: old primary rejoins as a standby" wait_for 60 bash -c \
    "$(declare -f hbx hbx_is); T='$T'; hbx_is us-east-1b ha-a state running && hbx_is us-east-1b ha-a role standby"
t1=$(now_ms)
echo "# rejoin goal -> running standby: $((t1 - t0)) ms"
check "ha: rejoined by pg_rewind" hbx_is us-east-1b ha-a rejoin rewind
check "ha: rejoining was reported meanwhile" grep -q '"node_id":"ha-a","state":"rejoining"' "$T/heartbeats.log"
check "ha: the new primary streams to it" wait_for 20 repl_has "$AB" "ha-a streaming async"
check "ha: the new primary's rows reach it" wait_for 10 sql_is "$AA" 5432 orders "SELECT string_agg(at, ',' ORDER BY id) FROM t" "on a,on b"
ha_goals us-east-1c "[$(ha_node ha-b running 3 "$AB" primary "$REPL$(sync_list '"ha-a"')")]"
check "ha: and it becomes synchronous" wait_for 20 repl_has "$AB" "ha-a streaming sync"

# supervise=report: a crash is reported at once, not restarted.
ha_goals us-east-1c "[$(ha_node ha-b running 4 "$AB" primary "$REPL$(sync_list '"ha-a"'),\"supervise\":\"report\"")]"
wait_for 10 hbx_is us-east-1c ha-b generation 4
PMB=$(ha_pm c ha-b)
kill -9 "$PMB"
check "ha: supervise=report: crashed reported" wait_for 10 hbx_is us-east-1c ha-b state crashed
check "ha: crashed with last_exit" hbx_is us-east-1c ha-b last_exit "signal 9"
beats_after() { [ "$(grep -c '"agent_id":"us-east-1c"' "$T/heartbeats.log")" -ge "$1" ]; }
n_beats=$(grep -c '"agent_id":"us-east-1c"' "$T/heartbeats.log")
wait_for 10 beats_after $((n_beats + 10)) # ten more heartbeats, ~1 s
check "ha: still crashed ten heartbeats later, not restarted" bash -c \
    "$(declare -f hbx hbx_is); T='$T'; hbx_is us-east-1c ha-b state crashed && hbx_is us-east-1c ha-b pid null && hbx_is us-east-1c ha-b restarts 0"
check "ha: no new postmaster for it" bash -c "! kill -0 $PMB 2>/dev/null && [ \"\$(head -1 '$HOME_C/nodes/ha-b/data/postmaster.pid')\" = $PMB ]"
ha_goals us-east-1c "[$(ha_node ha-b running 5 "$AB" primary "$REPL$(sync_list '"ha-a"'),\"supervise\":\"restart\"")]"
check "ha: supervise back to restart: restarted" wait_for 30 bash -c \
    "$(declare -f hbx hbx_is); T='$T'; hbx_is us-east-1c ha-b state running && hbx_is us-east-1c ha-b restarts 1"

# Fencing a hung (SIGSTOPped) primary: gone within ~3 s of the goal.
wait_for 10 repl_has "$AB" "ha-a streaming sync"
PMB=$(ha_pm c ha-b)
kill -STOP "$PMB"
t0=$(now_ms)
ha_goals us-east-1c "[$(ha_node ha-b stopped 6 "$AB" primary "$REPL$(sync_list '"ha-a"')")]"
check "ha: SIGSTOPped postmaster fenced within 3 s" wait_for 3 dead "$PMB"
t1=$(now_ms)
echo "# fence goal -> SIGSTOPped postmaster gone: $((t1 - t0)) ms"
check "ha: no process of its group left" bash -c "! kill -0 -- -$PMB 2>/dev/null"
check "ha: fenced node reported stopped" wait_for 5 hbx_is us-east-1c ha-b state stopped

# A hang under supervise=report: the controlplane's probe, on a connection
# it keeps, is answered by a backend (not stopped), so the agent reports it.
ha_goals us-east-1c "[$(ha_node ha-b running 7 "$AB" primary "$REPL$(sync_list '"ha-a"'),\"supervise\":\"report\"")]"
check "ha: restarted after the fence (crash recovery)" wait_for 30 bash -c \
    "$(declare -f hbx hbx_is); T='$T'; hbx_is us-east-1c ha-b state running && hbx_is us-east-1c ha-b generation 7"
PMB=$(ha_pm c ha-b)
kill -STOP "$PMB"
check "ha: SIGSTOPped postmaster under supervise=report: reported crashed" \
    wait_for 5 hbx_is us-east-1c ha-b state crashed
check "ha: with last_exit saying so, and its pid (still alive)" bash -c \
    "$(declare -f hbx hbx_is); T='$T'; hbx_is us-east-1c ha-b last_exit 'stopped (SIGSTOP)' && hbx_is us-east-1c ha-b pid $PMB"
t0=$(now_ms)
ha_goals us-east-1c "[$(ha_node ha-b stopped 8 "$AB" primary "$REPL$(sync_list '"ha-a"')")]"
check "ha: the hung, crashed node fenced within 3 s" wait_for 3 dead "$PMB"
t1=$(now_ms)
echo "# fence goal -> hung postmaster gone: $((t1 - t0)) ms"
check "ha: and reported stopped" wait_for 5 hbx_is us-east-1c ha-b state stopped

echo "1..$N"
exit $(( FAILED > 0 ))
