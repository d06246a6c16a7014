#!/usr/bin/env bash
# bench/pi.sh: what Performance Insights costs, and what a failover costs it.
#
# Starts a throwaway region (tests/integration/lib.sh's), creates one
# Multi-AZ instance with --enable-performance-insights, and runs a load on
# it for BENCH_SECONDS (default 120): BENCH_SLOW (default 4) sessions
# looping pg_sleep(0.2) and BENCH_FAST (default 4) sessions of short
# selects. Then prints:
#   - the controlplane's CPU time (user + system, from /proc) over the run,
#     and per instance-hour at that rate, beside a quiet run of the same
#     length with PI off (the same region, the instance idle, PI modified off);
#   - the store's growth: PI rows and used bytes (sqlite's dbstat) per
#     instance-hour at 1 s, and what an hour folds to (per minute);
#   - the median and p99 latency of signed GetResourceMetrics (db.load.avg by
#     db.sql, 1 s points) and DescribeDimensionKeys over the run's window
#     (curl, BENCH_CALLS each, default 20);
#   - a forced failover under the load: the seconds without a sample around
#     it (the sampler follows the new primary).
# Nothing asserts; the machine's load is printed with the figures.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${BENCH_SECONDS:-120}
SLOW=${BENCH_SLOW:-4}
FAST=${BENCH_FAST:-4}
CALLS=${BENCH_CALLS:-20}

# shellcheck source=tests/integration/lib.sh
. "$ROOT/tests/integration/lib.sh"
say() { echo "bench: $*" >&2; }
command -v sqlite3 >/dev/null || { say "needs the sqlite3 CLI"; exit 1; }

region_up || { say "the region did not start"; exit 1; }
create_instance pb --multi-az >/dev/null || { say "create failed"; exit 1; }
poll 300 status_is pb available || { say "pb did not become available"; exit 1; }
aws --endpoint-url "$API" rds modify-db-instance --db-instance-identifier pb \
  --enable-performance-insights >/dev/null || { say "modify failed"; exit 1; }
RID=$(rdsctl describe-db-instances --db-instance-identifier pb | jq -r '.DBInstances[0].DbiResourceId')
DB="$RDS_HOME/controlplane/controlplane.db"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$(cp_pid)/stat"; }
HZ=$(getconf CLK_TCK)
pi_rows() { sqlite3 "$DB" "SELECT count(*) FROM pi_samples"; }
pi_bytes() {
  sqlite3 "$DB" "SELECT coalesce(sum(pgsize - unused), 0) FROM dbstat WHERE name IN ('pi_samples', 'pi_keys', 'pi_sql') OR name LIKE 'sqlite_autoindex_pi_%'"
}

PIDS=()
load_start() {
  local i
  for i in $(seq "$SLOW"); do
    # one session of 200 sleeps at a time; `sql` resolves the endpoint
    # anew, so after a failover the loop reaches the new primary
    (while :; do sql pb "$(for _ in $(seq 200); do echo "SELECT /* bench slow $i */ pg_sleep(0.2);"; done)" >/dev/null 2>&1; done) &
    PIDS+=($!)
  done
  for i in $(seq "$FAST"); do
    (while :; do sql pb "$(for _ in $(seq 2000); do echo "SELECT count(*) FROM generate_series(1, 100);"; done)" >/dev/null 2>&1; done) &
    PIDS+=($!)
  done
}
load_stop() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; PIDS=(); }
trap 'load_stop; cleanup' EXIT

# ---- PI on, under load ----
say "PI on, load for ${SECS}s"
t0=$(date +%s); c0=$(cpu_ticks); r0=$(pi_rows); b0=$(pi_bytes)
load_start
sleep "$SECS"
c1=$(cpu_ticks); r1=$(pi_rows); b1=$(pi_bytes); t1=$(date +%s)
cpu_on=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')

# ---- API latency over the window ----
call() {
  SERVICE=pi scurl -s -o /dev/null -w '%{time_total}\n' -H "X-Amz-Target: PerformanceInsightsv20180227.$1" \
    -H 'Content-Type: application/x-amz-json-1.1' --data-binary "$2" "$API"
}
grm="{\"ServiceType\":\"RDS\",\"Identifier\":\"$RID\",\"StartTime\":$t0,\"EndTime\":$t1,\"PeriodInSeconds\":1,\"MetricQueries\":[{\"Metric\":\"db.load.avg\",\"GroupBy\":{\"Group\":\"db.sql\"}}]}"
ddk="{\"ServiceType\":\"RDS\",\"Identifier\":\"$RID\",\"StartTime\":$t0,\"EndTime\":$t1,\"Metric\":\"db.load.avg\",\"GroupBy\":{\"Group\":\"db.sql\"}}"
lat_grm=(); lat_ddk=()
for _ in $(seq "$CALLS"); do lat_grm+=("$(call GetResourceMetrics "$grm")"); lat_ddk+=("$(call DescribeDimensionKeys "$ddk")"); done
p99() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { i = int(NR * 0.99 + 0.999); if (i < 1) i = 1; print v[i] }'; }

# ---- a failover under the load ----
say "forced failover under load"
rdsctl reboot-db-instance --db-instance-identifier pb --force-failover >/dev/null
tf=$(date +%s)
poll 120 status_is pb available
sleep 10
tg=$(date +%s)
load_stop
# empty A B: the seconds in [A, B) with no sample of any key.
empty() {
  sqlite3 "$DB" "WITH RECURSIVE s(t) AS (SELECT $1 UNION ALL SELECT t + 1 FROM s WHERE t + 1 < $2)
    SELECT count(*) FROM s WHERE NOT EXISTS (SELECT 1 FROM pi_samples p WHERE p.t = s.t AND p.span = 1)"
}
gap=$(empty $((tf - 5)) "$tg")
base=$(empty $((t0 + 5)) "$t1")
# The primaries the sampler connected to (the second: the new one).
follows=$(grep -o 'pi sampler connected .* node=[^ ]*' "$RDS_HOME"/logs/controlplane.log | sort -u | wc -l)

# ---- PI off, the same length, idle ----
aws --endpoint-url "$API" rds modify-db-instance --db-instance-identifier pb \
  --no-enable-performance-insights >/dev/null
c2=$(cpu_ticks); sleep "$SECS"; c3=$(cpu_ticks)
cpu_off=$(awk -v a="$c2" -v b="$c3" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')

secs=$((t1 - t0))
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "run: ${secs}s, $SLOW slow + $FAST fast sessions, Multi-AZ instance"
echo "controlplane CPU: PI on under load ${cpu_on}s; PI off idle ${cpu_off}s (same length)"
awk -v on="$cpu_on" -v off="$cpu_off" -v s="$secs" \
  'BEGIN { printf "  per instance-hour: %.1f s with PI on, %.1f s off (%.2f%% of a core for PI)\n", on * 3600 / s, off * 3600 / s, (on - off) * 100 / s }'
awk -v r="$((r1 - r0))" -v b="$((b1 - b0))" -v s="$secs" \
  'BEGIN { printf "store: %d rows, %d bytes in %ds: %.0f rows, %.0f kB per instance-hour at 1 s (folded to minutes after an hour: /60)\n", r, b, s, r * 3600 / s, b * 3600 / s / 1024 }'
echo "GetResourceMetrics (${secs}s at 1 s, by db.sql): median $(median "${lat_grm[@]}")s p99 $(p99 "${lat_grm[@]}")s"
echo "DescribeDimensionKeys (db.sql): median $(median "${lat_ddk[@]}")s p99 $(p99 "${lat_ddk[@]}")s"
echo "failover: seconds without a sample in [failover - 5 s, available + 10 s) ($((tg - tf + 5)) s): $gap (before it, under the same load: $base of $((t1 - t0 - 5))); the sampler connected to $follows primaries"
