# Shared by the end-to-end tests (sourced): TAP output, polling, and a
# throwaway region on ephemeral ports in a temp dir, torn down on exit
# (also when a test fails half-way: nothing of ours may outlive it).
#
# A test sources this file, calls region_up, asserts with ok/check/is/
# like/todo, waits only through poll, and ends with done_testing (the plan
# comes last, so the count never needs maintaining).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T_N=0
T_FAIL=0
T_OUT=$(mktemp /tmp/rdsim-t.XXXXXX)
PG_BIN=$(pg_config --bindir)

# The master credentials the tests give their instances.
T_USER=app
T_PASS='s3cret-pass'

# ---- TAP ------------------------------------------------------------------

# ok COND DESCRIPTION: COND is an exit status (0 = pass). With T_TODO set
# (see todo), a failure is a TAP TODO and does not fail the script.
ok() {
  local cond=$1; shift
  T_N=$((T_N + 1))
  local directive=
  [ -n "${T_TODO:-}" ] && directive=" # TODO $T_TODO"
  if [ "$cond" -eq 0 ]; then
    echo "ok $T_N - $*$directive"
  else
    echo "not ok $T_N - $*$directive"
    [ -n "$directive" ] || T_FAIL=$((T_FAIL + 1))
  fi
  return "$cond"
}

# todo REASON CMD...: runs one assertion as a known bug (TAP TODO).
todo() {
  local T_TODO=$1; shift
  "$@"
}

# check DESCRIPTION CMD...: passes when CMD succeeds; shows its output if not.
check() {
  local desc=$1; shift
  if "$@" >"$T_OUT" 2>&1; then
    ok 0 "$desc"
  else
    ok 1 "$desc"
    sed 's/^/#   /' "$T_OUT" | head -30
    return 1
  fi
}

# is GOT WANT DESCRIPTION
is() {
  if [ "$1" = "$2" ]; then
    ok 0 "$3"
  else
    ok 1 "$3"
    echo "#          got: '$1'"
    echo "#     expected: '$2'"
    return 1
  fi
}

# isnt GOT UNWANTED DESCRIPTION
isnt() {
  if [ "$1" != "$2" ]; then
    ok 0 "$3"
  else
    ok 1 "$3"
    echo "#     got '$1', which it must not be"
    return 1
  fi
}

# like GOT EXTENDED-REGEX DESCRIPTION
like() {
  if [[ $1 =~ $2 ]]; then
    ok 0 "$3"
  else
    ok 1 "$3"
    printf '%s\n' "$1" | head -20 | sed 's/^/#          got: /'
    echo "#     expected: /$2/"
    return 1
  fi
}

diag() { echo "# $*"; }

# has_line TEXT LINE: TEXT has LINE as one whole line (for check).
has_line() { grep -qxF -- "$2" <<<"$1" || { printf '%s\n' "$1"; return 1; }; }

done_testing() {
  echo "1..$T_N"
  [ "$T_FAIL" -eq 0 ]
}

# Skips the rest of a script whose region could not start.
bail() {
  echo "Bail out! $*"
  exit 1
}

# ---- waiting and timing ----------------------------------------------------

# poll SECONDS CMD...: retries CMD every 50 ms until it succeeds; fails
# after SECONDS. The only way tests wait.
poll() {
  local secs=$1; shift
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.05
  done
}

# tick_until CMD...: advance the region clock a minute, poll CMD for one
# node reading (telemetry every 10 s: a region-clock minute closes the
# CloudWatch minute at the next one, obs/cwcollect.h), up to 8 times.
tick_until() {
  local i
  for i in 1 2 3 4 5 6 7 8; do
    rdsctl clock advance 1m >/dev/null
    poll 12 "$@" && return 0
  done
  return 1
}

# Wall-clock seconds as a decimal, for the measurements the issue asks for.
now_s() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# ---- processes -------------------------------------------------------------

# A process that exists and is not a zombie (a killed process remains a
# zombie until init reaps it, and kill -0 succeeds on one).
running() {
  local pid=$1 stat
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ]
}
gone() { ! running "$1"; }

# ---- the region ------------------------------------------------------------

rdsctl() { "$ROOT/bin/rdsctl" "$@"; }

# need_netns: a test of namespace mode skips itself (TAP "1..0 # SKIP")
# unless it runs as root where a network namespace can be made.
need_netns() {
  local probe=rdsim-probe-$$
  if [ "$(id -u)" != 0 ] || ! ip netns add "$probe" 2>/dev/null; then
    echo "1..0 # SKIP needs root and ip netns"
    exit 0
  fi
  ip netns del "$probe"
}

# A 127.N network nobody listens on or has an agent for, so regions of
# parallel tests (and other people's regions) never meet.
free_net() {
  local n tries=0
  if [ "${RDSIM_NET:-}" = netns ]; then
    # Namespace mode: a block 100.(64+N).0.0/16 no region holds (its
    # gateway address is in the root namespace while one does).
    while [ $tries -lt 100 ]; do
      n=$((RANDOM % 64))
      tries=$((tries + 1))
      ip -4 -o addr show | grep -q " 100\.$((64 + n))\.0\.1/" && continue
      echo "$n"
      return 0
    done
    return 1
  fi
  while [ $tries -lt 100 ]; do
    n=$((RANDOM % 200 + 30))
    tries=$((tries + 1))
    ss -Hltn 2>/dev/null | grep -q " 127\.$n\." && continue
    pgrep -f -- "--addr-base 127\.$n\." >/dev/null && continue
    echo "$n"
    return 0
  done
  return 1
}

# A region of our own: ephemeral API/DNS ports, a free 127.N network, a
# fresh home. Sets RDS_HOME, RDS_API_PORT, RDS_DNS_PORT, RDS_NET and
# RDSCTL_ENDPOINT.
region_up() {
  export RDS_HOME
  RDS_HOME=$(mktemp -d /tmp/rdsim-e2e.XXXXXX)
  chmod 755 "$RDS_HOME"
  export RDS_API_PORT=0 RDS_DNS_PORT=0 RDS_NET
  RDS_NET=$(free_net) || return 1
  "$ROOT/scripts/region.sh" up >"$T_OUT" 2>&1 || { sed 's/^/#   /' "$T_OUT"; return 1; }
  # The region's own credentials (region.env exports the AWS_* file
  # variables); nothing from the caller's environment may override them.
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_REGION
  # shellcheck disable=SC1091
  . "$RDS_HOME/region.env"
  export RDS_API_PORT RDS_DNS_PORT RDS_REGION AWS_PAGER=
  export RDSCTL_ENDPOINT="http://127.0.0.1:$RDS_API_PORT"
  # The first two octets of every node address (README "Network modes"):
  # NODE_NET "127.30" or "100.94", NODE_RE as a regex, NODE_DASH as in
  # node names (ip-127-30-1-2).
  if [ "${RDS_NETMODE:-loopback}" = netns ]; then
    NODE_NET="100.$((64 + RDS_NET))"
  else
    NODE_NET="127.$RDS_NET"
  fi
  NODE_RE=${NODE_NET//./\\.}
  NODE_DASH=${NODE_NET//./-}
  # The VPC's block, the first two octets of the region's own block
  # ($OWN_NET.0.0/24: no subnet may overlap it) and the address a client
  # in this (the root) namespace arrives from: 127.0.0.0/8, 127.0 and
  # 127.0.0.1 on loopback; in namespace mode P.0.0/16, P and the gateway
  # P.0.1.
  if [ "${RDS_NETMODE:-loopback}" = netns ]; then
    VPC_CIDR="$NODE_NET.0.0/16" OWN_NET=$NODE_NET ROOT_SRC="$NODE_NET.0.1"
  else
    VPC_CIDR=127.0.0.0/8 OWN_NET=127.0 ROOT_SRC=127.0.0.1
  fi
  T_KEY=$(aws_cred aws_access_key_id)
  T_SECRET=$(aws_cred aws_secret_access_key)
  export RDSCTL_WAIT_DELAY=0.1
  API="http://127.0.0.1:$RDS_API_PORT/"
  diag "region home $RDS_HOME (KEEP_RDS_HOME=1 keeps it)"
}

# from_addr SRC CMD...: CMD as a client that may bind the source address
# SRC (a VPC address of no node: srcproxy.py, pgsource.py). On loopback
# every 127.x is this machine's. In namespace mode SRC is added to the
# clients' host (rdsim-<hash>-cl), which then answers ARP for it on the
# region bridge where every namespace reaches the VPC on-link, and CMD
# runs there: a client machine at SRC. SRC $ROOT_SRC (the gateway, this
# namespace's own) runs CMD here.
from_addr() {
  local src=$1; shift
  if [ "${RDS_NETMODE:-loopback}" = netns ] && [ "$src" != "$ROOT_SRC" ]; then
    ip -n "$RDS_CLIENT_NS" addr replace "$src/32" dev lo || return 1
    ip netns exec "$RDS_CLIENT_NS" "$@"
  else
    "$@"
  fi
}

# aws_cred NAME: a value of the rdsim profile in the region's credentials file.
aws_cred() {
  awk -F' *= *' -v k="$1" '/^\[/ { s = ($0 == "[rdsim]") } s && $1 == k { print $2 }' \
    "$RDS_HOME/aws/credentials"
}

# scurl [CURL ARGS]: curl signing (SigV4) with the region's administrator
# key, as service SERVICE (default rds).
scurl() {
  curl --aws-sigv4 "aws:amz:$RDS_REGION:${SERVICE:-rds}" --user "$T_KEY:$T_SECRET" "$@"
}

# region.sh up again in the same home (restarts only what is down, on the
# same ports and network).
region_restart() {
  "$ROOT/scripts/region.sh" up >"$T_OUT" 2>&1 || { sed 's/^/#   /' "$T_OUT"; return 1; }
}

# region.sh down, keeping the home for inspection.
region_stop() {
  "$ROOT/scripts/region.sh" down >"$T_OUT" 2>&1 || { sed 's/^/#   /' "$T_OUT"; return 1; }
}

# Processes whose command line mentions our region's home.
# Every process of the region: those whose command line names our unique
# home, and those working inside it (a postmaster's children are named
# "postgres: walsender …" but run in the node's data directory).
region_procs() {
  {
    pgrep -f -- "$RDS_HOME" || true
    local p
    for p in /proc/[0-9]*; do
      case "$(readlink "$p/cwd" 2>/dev/null)" in "$RDS_HOME"/*) echo "${p#/proc/}" ;; esac
    done
  } | sort -un
}

# Postmasters of our region (their command line names the data directory).
our_postgres() { pgrep -f -- "postgres -D $RDS_HOME/" || true; }

# Node directories left on the hosts.
node_dirs() {
  local d
  for d in "$RDS_HOME"/agents/*/nodes/*; do
    [ -e "$d" ] && echo "$d"
  done
  return 0
}

cp_pid() { cat "$RDS_HOME/controlplane.pid"; }
agent_pid() { cat "$RDS_HOME/agents/$1.pid"; }

# Everything down and the home removed, whatever state the test left.
region_down() {
  [ -n "${RDS_HOME:-}" ] && [ -d "$RDS_HOME" ] || return 0
  "$ROOT/scripts/region.sh" down >/dev/null 2>&1 || true
  # Namespace mode: no namespace of this home may outlive the test, even
  # when region.sh down could not run whole.
  local h ns
  h=$(printf %s "$RDS_HOME" | sha256sum | cut -c1-8)
  for ns in /run/netns/rdsim-"$h"-*; do
    [ -e "$ns" ] || continue
    for pid in $(ip netns pids "${ns##*/}" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "${ns##*/}" 2>/dev/null
  done
  ip link del "rdsr$h" 2>/dev/null
  rm -f "/run/rdsim-netns/$h"
  # A failed test may have left processes region.sh no longer knows of
  # (a pid file overwritten, a postmaster without its directory): they
  # all name our unique home, so end them by pid.
  local pid
  for pid in $(region_procs); do
    [ "$pid" != $$ ] && kill -KILL "$pid" 2>/dev/null
  done
  if [ "$T_FAIL" -ne 0 ]; then
    echo "# logs of the failed run:"
    tail -n 15 "$RDS_HOME"/logs/*.log 2>/dev/null | sed 's/^/#   /'
  fi
  if [ -n "${KEEP_RDS_HOME:-}" ]; then
    echo "# kept $RDS_HOME"
  else
    rm -rf "$RDS_HOME"
  fi
}

cleanup() {
  region_down
  rm -f "$T_OUT"
}
trap cleanup EXIT
# Interrupted (prove killed, ^C): exit, which runs the cleanup above.
trap 'exit 130' INT TERM HUP

# ---- asking the region -----------------------------------------------------

# jq on a JSON string: jqs JSON FILTER
jqs() { printf '%s' "$1" | jq -r "$2"; }

# An instance's status, or "gone" when DescribeDBInstances says
# DBInstanceNotFound; empty when the API does not answer.
status_of() {
  local out rc
  out=$(rdsctl describe-db-instances --db-instance-identifier "$1" 2>&1)
  rc=$?
  if [ $rc -eq 0 ]; then
    jqs "$out" '.DBInstances[0].DBInstanceStatus'
  elif [[ $out == *"(DBInstanceNotFound)"* ]]; then
    echo gone
  fi
}

# status_is ID STATUS: for poll.
status_is() { [ "$(status_of "$1")" = "$2" ]; }

# Identifiers of every instance, space-separated, sorted.
instance_ids() {
  rdsctl describe-db-instances | jq -r '[.DBInstances[].DBInstanceIdentifier] | sort | join(" ")'
}

# create_instance ID [more rdsctl flags]: the issue's create command.
create_instance() {
  local id=$1; shift
  rdsctl create-db-instance --db-instance-identifier "$id" --engine postgres \
    --db-instance-class db.t3.micro --master-username "$T_USER" \
    --master-user-password "$T_PASS" --allocated-storage 20 "$@"
}

endpoint_of() {
  rdsctl describe-db-instances --db-instance-identifier "$1" |
    jq -r '.DBInstances[0].Endpoint.Address // empty'
}

# The address a name resolves to through the region's DNS (last line of
# the CNAME chain), empty if none.
resolve() { dig +short +time=2 +tries=2 @127.0.0.1 -p "$RDS_DNS_PORT" "$1" | tail -1; }

# The DNS status (NOERROR, NXDOMAIN, ...) of a name.
dns_rcode() {
  dig +time=2 +tries=2 @127.0.0.1 -p "$RDS_DNS_PORT" "$1" |
    sed -n 's/.*status: \([A-Z]*\),.*/\1/p'
}

# psql_at ADDR SQL [DBNAME [PASSWORD]]: one statement, unaligned output.
psql_at() {
  PGPASSWORD=${4:-$T_PASS} PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -At \
    "host=$1 port=5432 user=$T_USER dbname=${3:-postgres}" -c "$2"
}

# sql ID SQL [DBNAME]: through the instance's endpoint, resolved by our DNS.
sql() {
  local addr
  addr=$(resolve "$(endpoint_of "$1")")
  [ -n "$addr" ] || { echo "no address for $1" >&2; return 1; }
  psql_at "$addr" "$2" "${3:-postgres}"
}

# drop_slot ADDR SLOT: the slot's walsender ended and the slot dropped on
# the server at ADDR; true once it is gone (poll it: the walsender may
# take its slot back before the drop).
drop_slot() {
  admin_psql "$1" "SELECT pg_terminate_backend(active_pid, 5000) IS NOT NULL, pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$2'" >/dev/null &&
    ! admin_psql "$1" "SELECT slot_name FROM pg_replication_slots" | grep -qx "$2"
}

# switch_wal_away ADDR: 20 WAL segments switched (the agent's wal_keep_size
# is 16) and a checkpoint, so a standby without a slot loses its WAL.
switch_wal_away() {
  admin_psql "$1" "SELECT pg_logical_emit_message(false, 'rdsim', 'x'), pg_switch_wal() FROM generate_series(1, 20)" >/dev/null &&
    admin_psql "$1" "CHECKPOINT" >/dev/null
}

# admin_psql ADDR SQL: as rdsadmin, the region operator's login (what no
# master user may do: pg_switch_wal, ALTER SYSTEM): over the node's unix
# socket as the pg OS user (peer authentication), as the agent connects.
admin_psql() {
  local pm port sock owner
  for pm in "$RDS_HOME"/agents/*/nodes/*/data/postmaster.pid; do
    [ -f "$pm" ] && [ "$(sed -n 6p "$pm")" = "$1" ] || continue
    port=$(sed -n 4p "$pm")
    sock=$(sed -n 5p "$pm")
    owner=$(stat -c %U "$pm")
    if [ "$(id -u)" = 0 ] && [ "$owner" != root ]; then
      (cd / && runuser -u "$owner" -- "$PG_BIN/psql" -X -q -At -h "$sock" -p "$port" \
        -U rdsadmin -d postgres -c "$2")
    else
      "$PG_BIN/psql" -X -q -At -h "$sock" -p "$port" -U rdsadmin -d postgres -c "$2"
    fi
    return
  done
  echo "no node listens on $1" >&2
  return 1
}

# The postmaster's pid of an instance's (only) node.
postmaster_pid() {
  local pm
  for pm in "$RDS_HOME"/agents/*/nodes/"$1"-*/data/postmaster.pid; do
    [ -f "$pm" ] && head -1 "$pm" && return 0
  done
  return 1
}

# api BODY [CURL ARGS]: POSTs a form body to the API asking for JSON;
# prints "HTTP-STATUS ERROR-CODE" ("200 -" on success, "STATUS ?" when
# the body is not an AWS JSON error).
api() {
  local body=$1; shift
  local out status
  out=$(scurl -s -m 10 -o "$T_OUT.body" -w '%{http_code}' -H 'Accept: application/json' \
    --data-binary "$body" "$@" "$API")
  status=$out
  if [ "$status" = 200 ]; then
    echo "200 -"
  else
    echo "$status $(jq -r '.Error.Code // "?"' "$T_OUT.body" 2>/dev/null || echo '?')"
  fi
  rm -f "$T_OUT.body"
}

# The controlplane still answers.
api_alive() { [ "$(api 'Action=DescribeDBInstances')" = "200 -" ]; }
