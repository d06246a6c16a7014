#!/usr/bin/env bash
# bench/scale.sh: a fleet of idle Multi-AZ instances on one box (issue 18).
#
# In one throwaway region (tests/integration/lib.sh: ephemeral ports, its
# own 127.N network, temp home):
#   1. BENCH_INSTANCES (default 50) Multi-AZ instances created at once:
#      the seconds until all are available, then until every one has its
#      standby synchronous (RDS-EVENT-0053);
#   2. idle cost over BENCH_IDLE_SECONDS (default 60), no client at all:
#      CPU of the whole region and of the controlplane, in percent of one
#      core, with the breakdown by process kind (bench/proccpu.py: utime +
#      stime from /proc, reaped children through their parent's cutime);
#   3. memory per Multi-AZ instance, as proportional set size, split into
#      PostgreSQL's shared memory and the rest (bench/proccpu.py mem);
#   4. the API: bench/api.sh (issue 18's API part, another change) if it
#      exists, run with BENCH_REGION=keep on this region (and
#      RDSCTL_ENDPOINT, the AWS_* files exported) to measure this fleet;
#      otherwise a line says it was skipped;
#   5. BENCH_CRASHES (default 20) kill -9 of a primary and BENCH_HOSTS
#      (default 20) host losses with the rest of the fleet idle, through
#      `rdsctl chaos` (one writer): DNS flipped p50/p99 (nearest rank);
#   6. the CPU-hog minute: nproc+1 busy loops for BENCH_HOG_SECONDS
#      (default 60, each bounded by timeout), then the number of failovers
#      (RDS-EVENT-0013) the whole fleet saw meanwhile: must be 0.
# Prints nproc, the CPU model and the load average beside the figures.
# Nothing here asserts a time; the exit status is 1 only when a step
# could not run, or when the hog caused a failover.
#
# Usage: bench/scale.sh (after make). While developing: BENCH_INSTANCES=10
# BENCH_CRASHES=3 BENCH_HOSTS=3 BENCH_IDLE_SECONDS=30.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${BENCH_INSTANCES:-50}
CRASHES=${BENCH_CRASHES:-20}
HOSTS=${BENCH_HOSTS:-20}
IDLE=${BENCH_IDLE_SECONDS:-60}
HOG=${BENCH_HOG_SECONDS:-60}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/rdsim-scale.XXXXXX)}
mkdir -p "$OUT"

# shellcheck source=tests/integration/lib.sh
. "$ROOT/tests/integration/lib.sh"

say() { echo "bench: $*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
region_pids() { echo "$(cp_pid) $(cat "$RDS_HOME"/agents/*.pid 2>/dev/null | tr '\n' ' ')"; }
iso_now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
# Events of every instance starting with MESSAGE since ISO.
count_events() {
  rdsctl describe-events --source-type db-instance --duration 60 |
    jq --arg m "$1" --arg t "$2" '[.Events[] | select((.Message | startswith($m)) and .Date >= $t)] | length'
}
synced() {
  rdsctl describe-events --source-type db-instance --duration 60 |
    jq -e --argjson n "$N" '[.Events[] | select(.Message | startswith("Multi-AZ instance recovery completed")) | .SourceIdentifier] | unique | length >= $n' >/dev/null
}
all_available() {
  [ "$(rdsctl describe-db-instances | jq '[.DBInstances[] | select(.DBInstanceStatus == "available")] | length')" -ge "$N" ]
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
say "machine: nproc $(nproc), $cpu, $(free -g | awk '/^Mem:/ {print $2}') GiB; load $(load)"

region_up || { say "the region did not start"; exit 1; }
say "region up in $RDS_HOME (API $RDS_API_PORT, DNS $RDS_DNS_PORT); results in $OUT"

# ---- 1. N Multi-AZ instances at once -----------------------------------------
t0=$(now_s)
for i in $(seq 1 "$N"); do
  create_instance "s$i" --multi-az >"$OUT/create-s$i.json" 2>&1 &
done
wait
t_accepted=$(elapsed "$t0" "$(now_s)")
poll 1800 all_available || say "not all available: $(rdsctl describe-db-instances | jq -r '[.DBInstances[].DBInstanceStatus] | group_by(.) | map("\(length) \(.[0])") | join(", ")')"
t_available=$(elapsed "$t0" "$(now_s)")
poll 1800 synced || say "not every standby synchronous"
t_synced=$(elapsed "$t0" "$(now_s)")
say "created: accepted $t_accepted s, all available $t_available s, all synchronous $t_synced s; load $(load)"

# ---- 2, 3. idle cost, memory ---------------------------------------------------
load_idle_before=$(load)
python3 "$ROOT/bench/proccpu.py" "$IDLE" $(region_pids) >"$OUT/idle.txt"
load_idle_after=$(load)
python3 "$ROOT/bench/proccpu.py" mem $(region_pids) >"$OUT/mem.txt"
idle_total=$(awk '$1 == "total" {print $2}' "$OUT/idle.txt")
idle_cp=$(awk '$1 == "controlplane" {print $2}' "$OUT/idle.txt")
read -r m_shm m_pg m_rest m_total <"$OUT/mem.txt"

# ---- 4. the API (bench/api.sh, if present) --------------------------------------
if [ -x "$ROOT/bench/api.sh" ]; then
  say "bench/api.sh against this region"
  # api.sh with BENCH_REGION=keep measures this running region (RDS_HOME,
  # API and the exported region.env) instead of starting one.
  BENCH_REGION=keep RDS_HOME=$RDS_HOME API=$API "$ROOT/bench/api.sh" >"$OUT/api.txt" 2>&1 || say "bench/api.sh failed (see $OUT/api.txt)"
else
  echo "bench/api.sh not present: API latency not measured here" >"$OUT/api.txt"
fi

# ---- 5. failovers with the fleet idle --------------------------------------------
chaos() {
  local kind=$1 n=$2 id=$3
  [ "$n" -gt 0 ] || return 0
  say "$n × $kind on $id (load $(load))"
  rdsctl chaos --db-instance-identifier "$id" --master-user-password "$T_PASS" --kinds "$kind" \
    --faults "$n" --writers 1 --json "$OUT/$kind.json" >"$OUT/$kind.txt" 2>"$OUT/$kind.log" ||
    say "chaos $kind exited $?: see $OUT/$kind.log"
}
pct() {
  [ -s "$1" ] || { echo -; return; }
  jq -r --argjson p "$2" '[.Faults[] | select(.Recovered) | .DnsFlipSeconds | select(. != null)] | sort as $v
    | ($v | length) as $n | if $n == 0 then "-" else $v[([(($p / 100 * $n) | ceil) - 1, 0] | max)] | tostring end' "$1"
}
recovered() { [ -s "$1" ] && jq -r '"\(.Totals.FaultsRecovered)/\(.Totals.FaultsInjected)"' "$1" || echo "0/0"; }
chaos crash "$CRASHES" s1
chaos host "$HOSTS" s2
# The host kind's restarts leave every agent up again; wait for the fleet.
poll 600 all_available || say "not all available after the faults"

# ---- 6. the CPU-hog minute ---------------------------------------------------------
since=$(iso_now)
load_hog_before=$(load)
pids=()
for _ in $(seq 0 "$(nproc)"); do
  timeout "$HOG" bash -c 'while :; do :; done' &
  pids+=($!)
done
wait "${pids[@]}" 2>/dev/null
load_hog_after=$(load)
hog_failovers=$(count_events "Multi-AZ instance failover started" "$since")
region_stop

printf '\nScale benchmark (issue 18): nproc %s, %s; %s Multi-AZ instances\n' "$(nproc)" "$cpu" "$N"
printf '%-58s %s\n' "created at once: all available / all synchronous (s)" "$t_available / $t_synced (load $load_idle_before)"
printf '%-58s %s\n' "idle CPU, whole region (% of one core, ${IDLE} s)" "$idle_total (load $load_idle_before -> $load_idle_after)"
printf '%-58s %s\n' "idle CPU, controlplane (% of one core)" "$idle_cp"
printf '%-58s %s\n' "memory per Multi-AZ instance, PSS MiB (pg shm + pg other + rest)" \
  "$(awk -v a="$m_shm" -v b="$m_pg" -v c="$m_rest" -v n="$N" 'BEGIN { printf "%.1f (%.1f + %.1f + %.1f)", (a+b+c)/n, a/n, b/n, c/n }')"
printf '%-58s %s / %s (%s recovered)\n' "kill -9 of a primary -> DNS flipped p50 / p99 (s)" "$(pct "$OUT/crash.json" 50)" "$(pct "$OUT/crash.json" 99)" "$(recovered "$OUT/crash.json")"
printf '%-58s %s / %s (%s recovered)\n' "host loss -> DNS flipped p50 / p99 (s)" "$(pct "$OUT/host.json" 50)" "$(pct "$OUT/host.json" 99)" "$(recovered "$OUT/host.json")"
printf '%-58s %s (load %s -> %s)\n' "failovers during ${HOG} s of $(($(nproc) + 1)) busy loops" "$hog_failovers" "$load_hog_before" "$load_hog_after"
echo
echo "idle CPU by process kind (% of one core, processes):"
sed 's/^/  /' "$OUT/idle.txt"
echo "API:"
sed 's/^/  /' "$OUT/api.txt" | tail -20
[ "$hog_failovers" = 0 ]
