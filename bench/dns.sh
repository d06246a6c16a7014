#!/usr/bin/env bash
# bench/dns.sh: the built-in DNS server against NSD, in one run.
#
# Starts a throwaway region (ephemeral ports, its own 127.N network, temp
# home), creates a few instances, and exports what its DNS server answers
# (apex SOA/NS, each endpoint's CNAME and each node's A, as dig shows
# them) as an NSD zone file, so both servers serve the same records. Then,
# one after the other, each server pinned to one core with taskset and
# dnsperf pinned to another, loopback only:
#   - dnsperf for BENCH_SECONDS (default 10) against the server;
#   - qps and lost queries from dnsperf;
#   - the server's CPU time (utime+stime from /proc/<pid>/stat, summed over
#     the server's processes) during the run, per query;
# and prints the ratios rdsim/NSD. rds-controlplane also runs the API,
# the health prober and agents' heartbeats on the same loop: its CPU is
# shown as measured, and also net of its idle rate (measured before the
# run), since NSD has no such work.
#
# Last, the latency from a change to the new answer being served: each of
# BENCH_CHANGES (default 9) times each, a ModifyDBInstance DnsTtl change
# is made while bench/change_latency.py polls the endpoint (UDP, every
# ~0.2 ms) until the CNAME carries the new TTL: once as an HTTP POST from
# the poller (the API alone), once by running rdsctl (its start-up
# included). Printed: the median time from the start of the change to
# the first new answer, and to the change's reply.
#
# dnsperf and nsd are installed with apt-get when missing (bench-only, so
# not in scripts/install-deps.sh); a policy-rc.d keeps the nsd package from
# starting its system service. Our nsd runs from its own config in a temp
# dir on a free loopback port and is stopped on exit, as is the region.
#
# Usage: bench/dns.sh   (needs bin/ built: make)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_EACH=${BENCH_SECONDS:-10}
CHANGES=${BENCH_CHANGES:-9}
INSTANCES=${BENCH_INSTANCES:-3}
# Core for the servers, core for dnsperf (the last two cores).
NCPU=$(nproc)
SERVER_CPU=$((NCPU - 1))
CLIENT_CPU=$((NCPU > 1 ? NCPU - 2 : 0))
CLK_TCK=$(getconf CLK_TCK)
# The system python starts faster than a version manager's shim; the
# poller signs its API call with botocore, so it takes the first that has it.
PYTHON=
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import botocore' 2>/dev/null; then
    PYTHON=$(command -v "$p")
    break
  fi
done

# ---- tools ---------------------------------------------------------------------

NSD_BIN=$(command -v nsd || echo /usr/sbin/nsd)

install_tools() {
  local need=()
  command -v dnsperf >/dev/null || need+=(dnsperf)
  [ -x "$NSD_BIN" ] || need+=(nsd)
  [ ${#need[@]} -eq 0 ] && return 0
  echo "bench: installing ${need[*]}" >&2
  local sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  # The nsd package starts its service on install unless policy-rc.d says
  # no (101); put one in place only for the install if there is none.
  local policy=/usr/sbin/policy-rc.d made_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    made_policy=1
  fi
  local rc=0
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${need[@]}" >&2 || rc=$?
  [ -n "$made_policy" ] && $sudo rm -f "$policy"
  NSD_BIN=$(command -v nsd || echo /usr/sbin/nsd)
  return $rc
}

# ---- the region (tests/integration/lib.sh's throwaway one) -----------------------

# shellcheck source=tests/integration/lib.sh
. "$ROOT/tests/integration/lib.sh"
WORK=$(mktemp -d /tmp/rdsim-bench.XXXXXX)
NSD_PID=
bench_cleanup() {
  if [ -n "$NSD_PID" ] && running "$NSD_PID"; then
    kill -TERM "$NSD_PID" 2>/dev/null || true
    poll 5 gone "$NSD_PID" || kill -KILL "$NSD_PID" 2>/dev/null || true
  fi
  cleanup
  rm -rf "$WORK"
}
trap bench_cleanup EXIT

free_port() {
  "$PYTHON" -c 'import socket
for _ in range(50):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        u.close(); t.close()'
}

# CPU ticks (utime+stime) of the processes given.
cpu_ticks() {
  local total=0 pid stat
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    # After "comm)": state is field 3, utime 14, stime 15 of the full line.
    set -- $stat
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}

# A process and all its descendants (NSD's server is a grandchild: main
# -> xfrd/reload -> server).
tree_pids() {
  local pid
  echo "$1"
  for pid in $(pgrep -P "$1"); do
    tree_pids "$pid"
  done
}

# The server's processes: the controlplane, or nsd's whole tree.
server_pids() {
  if [ "$1" = rdsim ]; then
    cp_pid
  else
    tree_pids "$NSD_PID"
  fi
}

# run_dnsperf NAME PORT: prints "qps lost cpu_ticks completed avg_latency_s".
run_dnsperf() {
  local name=$1 port=$2 before after out
  # shellcheck disable=SC2046
  before=$(cpu_ticks $(server_pids "$name"))
  out=$(taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$port" -d "$WORK/queries" \
    -l "$SECONDS_EACH" -c 4 -q 200 2>&1)
  # shellcheck disable=SC2046
  after=$(cpu_ticks $(server_pids "$name"))
  local qps completed lost lat
  qps=$(sed -n 's/^ *Queries per second: *\([0-9.]*\).*/\1/p' <<<"$out")
  completed=$(sed -n 's/^ *Queries completed: *\([0-9]*\).*/\1/p' <<<"$out")
  lost=$(sed -n 's/^ *Queries lost: *\([0-9]*\).*/\1/p' <<<"$out")
  if [ -z "$qps" ]; then
    echo "bench: dnsperf against $name failed:" >&2
    echo "$out" >&2
    exit 1
  fi
  lat=$(sed -n 's/^ *Average Latency (s): *\([0-9.]*\).*/\1/p' <<<"$out")
  echo "$qps ${lost:-0} $((after - before)) ${completed:-0} ${lat:-0}"
}

# ---- setup ------------------------------------------------------------------------

install_tools || { echo "bench: could not install dnsperf/nsd" >&2; exit 1; }
[ -x "$ROOT/bin/rds-controlplane" ] || { echo "bench: build first (make)" >&2; exit 1; }
region_up || { echo "bench: the region did not start" >&2; exit 1; }
APEX=us-east-1.rds.internal
d() { dig +time=2 +tries=1 @127.0.0.1 -p "$RDS_DNS_PORT" "$@"; }

for i in $(seq 1 "$INSTANCES"); do
  create_instance "bench$i" >/dev/null
done
for i in $(seq 1 "$INSTANCES"); do
  poll 120 status_is "bench$i" available || { echo "bench: bench$i not available" >&2; exit 1; }
done

# The zone as our server answers it, and the queries: each endpoint (a
# CNAME chased to an A), each node, the apex SOA and NS, a missing name.
{
  echo "\$ORIGIN $APEX."
  d +noall +answer "$APEX" SOA
  d +noall +answer +additional "$APEX" NS
  for i in $(seq 1 "$INSTANCES"); do
    d +noall +answer "$(endpoint_of "bench$i")"
  done
} | awk 'NF && !seen[$0]++' >"$WORK/zone"
: >"$WORK/queries"
for i in $(seq 1 "$INSTANCES"); do
  ep=$(endpoint_of "bench$i")
  node=$(d +short "$ep" | head -1)
  printf '%s A\n%s A\n%s A\n' "$ep" "$ep" "$node" >>"$WORK/queries"
done
printf '%s SOA\n%s NS\nnosuch.%s A\n' "$APEX" "$APEX" "$APEX" >>"$WORK/queries"

# ---- NSD on a free port, same zone --------------------------------------------------

NSD_PORT=$(free_port)
cat >"$WORK/nsd.conf" <<EOT
server:
  ip-address: 127.0.0.1
  port: $NSD_PORT
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$WORK"
  database: ""
  zonelistfile: "$WORK/zone.list"
  xfrdfile: "$WORK/xfrd.state"
  xfrdir: "$WORK"
  pidfile: "$WORK/nsd.pid"
  logfile: "$WORK/nsd.log"
  verbosity: 1
  hide-version: yes
  # Debian's NSD limits responses per source (RRL); one local client
  # would be rate limited.
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: $APEX
  zonefile: "$WORK/zone"
EOT
taskset -c "$SERVER_CPU" "$NSD_BIN" -d -c "$WORK/nsd.conf" >>"$WORK/nsd.log" 2>&1 &
NSD_PID=$!
nsd_up() { dig +time=1 +tries=1 +short @127.0.0.1 -p "$NSD_PORT" "$APEX" SOA | grep -q .; }
poll 20 nsd_up || { echo "bench: nsd did not start:" >&2; cat "$WORK/nsd.log" >&2; exit 1; }

# Both servers must say the same thing for the comparison to mean anything.
mismatch=0
while read -r name type; do
  a=$(d +noall +answer "$name" "$type" | sort)
  b=$(dig +time=2 +tries=1 @127.0.0.1 -p "$NSD_PORT" +noall +answer "$name" "$type" | sort)
  [ "$a" = "$b" ] || { mismatch=1; echo "bench: answers differ for $name $type" >&2; }
done < <(sort -u "$WORK/queries")
[ $mismatch -eq 0 ] || echo "bench: warning: the two servers' answers differ (above)" >&2

# The controlplane and all its threads on the server core.
taskset -a -cp "$SERVER_CPU" "$(cp_pid)" >/dev/null

# rds-controlplane's own background rate (API cron, probes, heartbeats).
idle_s=3
t0=$(cpu_ticks "$(cp_pid)")
sleep "$idle_s"
t1=$(cpu_ticks "$(cp_pid)")
idle_per_s=$(awk -v a="$t0" -v b="$t1" -v s="$idle_s" 'BEGIN { printf "%.3f", (b - a) / s }')

# ---- the runs ------------------------------------------------------------------------

r=$(run_dnsperf rdsim "$RDS_DNS_PORT") || exit 1
n=$(run_dnsperf nsd "$NSD_PORT") || exit 1
read -r r_qps r_lost r_ticks r_done r_lat <<<"$r"
read -r n_qps n_lost n_ticks n_done n_lat <<<"$n"

# ---- change -> new answer ----------------------------------------------------------------

ep=$(endpoint_of bench1)
# change_latency KIND TTL: "served_ms replied_ms" for one TTL change made
# by an HTTP POST from the poller itself (api) or by running rdsctl.
change_latency() {
  local how=()
  if [ "$1" = api ]; then
    how=(--post "$API" "Action=ModifyDBInstance&Version=2014-10-31&DBInstanceIdentifier=bench1&DnsTtl=$2&ApplyImmediately=true")
  else
    how=("$ROOT/bin/rdsctl" modify-db-instance --db-instance-identifier bench1 --dns-ttl "$2" --apply-immediately)
  fi
  "$PYTHON" "$ROOT/bench/change_latency.py" "$RDS_DNS_PORT" "$ep" "$2" "${how[@]}"
}
declare -A served replied
for kind in api rdsctl; do
  for k in $(seq 1 "$CHANGES"); do
    ttl=$((100 + k))
    [ "$kind" = api ] && ttl=$((200 + k))
    out=$(change_latency "$kind" "$ttl") || { echo "bench: TTL $ttl never served" >&2; exit 1; }
    read -r s_ms r_ms <<<"$out"
    served[$kind]+="$s_ms "
    replied[$kind]+="$r_ms "
  done
done

# ---- report ---------------------------------------------------------------------------------

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
awk -v rq="$r_qps" -v rl="$r_lost" -v rt="$r_ticks" -v rd="$r_done" -v ra="$r_lat" \
    -v nq="$n_qps" -v nl="$n_lost" -v nt="$n_ticks" -v nd="$n_done" -v na="$n_lat" \
    -v hz="$CLK_TCK" -v idle="$idle_per_s" -v secs="$SECONDS_EACH" \
    -v ncpu="$NCPU" -v model="$cpu_model" -v sc="$SERVER_CPU" -v cc="$CLIENT_CPU" 'BEGIN {
  r_us = rt / hz / rd * 1e6; n_us = nt / hz / nd * 1e6
  r_net = (rt - idle * secs) / hz / rd * 1e6
  printf "machine: %d CPUs, %s; servers on CPU %d, dnsperf on CPU %d, %d s each\n", ncpu, model, sc, cc, secs
  printf "%-7s %10s %10s %8s %12s %14s\n", "server", "qps", "completed", "lost", "latency ms", "CPU us/query"
  printf "%-7s %10.0f %10d %8d %12.3f %14.2f   (%.2f net of idle %.2f ticks/s)\n", "rdsim", rq, rd, rl, ra * 1000, r_us, r_net, idle
  printf "%-7s %10.0f %10d %8d %12.3f %14.2f\n", "nsd", nq, nd, nl, na * 1000, n_us
  printf "ratio rdsim/nsd: qps %.2f, CPU per query %.2f (net of idle %.2f)\n", rq / nq, r_us / n_us, r_net / n_us
}'
for kind in api rdsctl; do
  # shellcheck disable=SC2086
  printf 'change -> new answer via %-6s (modify --dns-ttl, %d runs): median %s ms, max %s ms; reply median %s ms\n' \
    "$kind" "$CHANGES" "$(median ${served[$kind]})" \
    "$(printf '%s\n' ${served[$kind]} | sort -g | tail -1)" "$(median ${replied[$kind]})"
done
