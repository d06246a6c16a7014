#!/usr/bin/env bash
# bench/replica_lag.sh: a read replica's lag under pgbench (issue 15).
#
# Starts a throwaway region (as the tests do), a source and one read
# replica of it (CreateDBInstanceReadReplica), fills the source with
# pgbench -i -s BENCH_SCALE (default 10), then runs pgbench -c 4 for
# BENCH_SECONDS (default 60) while sampling every BENCH_INTERVAL seconds
# (default 0.5):
#   - ReplicaLag as DescribeDBInstances shows it (rdsim's member: the
#     controlplane's probe of the replica node, now() -
#     pg_last_xact_replay_timestamp(), whole seconds as RDS reports it);
#   - the same expression read on the replica directly, in ms;
#   - replay_lag of the replica's walsender in pg_stat_replication on the
#     source, in ms (PostgreSQL's own measure: time from the source's
#     flush to the replica's replay being acknowledged).
# Prints p50/p99/max of each, the tps, and the machine (nproc, load).
set -u
. "$(dirname "$0")/../tests/integration/lib.sh"
SCALE=${BENCH_SCALE:-10}
SECONDS_RUN=${BENCH_SECONDS:-60}
INTERVAL=${BENCH_INTERVAL:-0.5}

diag "machine: $(nproc) CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
region_up || bail "the region did not start"
create_instance src --backup-retention-period 1 >/dev/null || bail "create src"
poll 300 eval 'case "$(status_of src)" in available|backing-up) true ;; *) false ;; esac' ||
  bail "src not available"
rdsctl create-db-instance-read-replica --db-instance-identifier rr \
  --source-db-instance-identifier src >/dev/null || bail "create rr"
poll 300 status_is rr available || bail "rr not available"
src=$(resolve "$(endpoint_of src)")
rr=$(resolve "$(endpoint_of rr)")
PGPASSWORD=$T_PASS "$PG_BIN/pgbench" -q -i -s "$SCALE" -h "$src" -U "$T_USER" postgres \
  >/dev/null 2>&1 || bail "pgbench -i"

PGPASSWORD=$T_PASS "$PG_BIN/pgbench" -n -c 4 -j 2 -T "$SECONDS_RUN" -h "$src" -U "$T_USER" \
  postgres >"$RDS_HOME/pgbench.out" 2>&1 &
bench_pid=$!
api_lag=() pg_lag=() replay=()
while kill -0 "$bench_pid" 2>/dev/null; do
  v=$(rdsctl describe-db-instances --db-instance-identifier rr | jq -r '.DBInstances[0].ReplicaLag // empty')
  [ -n "$v" ] && api_lag+=("$((v * 1000))")
  v=$(psql_at "$rr" "SELECT round(extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)" 2>/dev/null)
  [ -n "$v" ] && pg_lag+=("$v")
  v=$(admin_psql "$src" "SELECT round(extract(epoch FROM replay_lag) * 1000) FROM pg_stat_replication WHERE application_name LIKE 'rr-%'" 2>/dev/null)
  [ -n "$v" ] && replay+=("$v")
  sleep "$INTERVAL"
done
wait "$bench_pid"
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$RDS_HOME/pgbench.out" | head -1)

pct() { # pct P VALUES...: the P-th percentile (nearest rank)
  local p=$1; shift
  printf '%s\n' "$@" | sort -g | awk -v p="$p" '{ v[NR] = $1 } END {
    i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print (NR ? v[i] : "n/a") }'
}
row() { # row NAME VALUES...
  local name=$1; shift
  printf '%-44s n=%-4s p50=%-7s p99=%-7s max=%s\n' "$name" "$#" "$(pct 50 "$@")" \
    "$(pct 99 "$@")" "$(pct 100 "$@")"
}
echo "pgbench -c 4 -j 2 -T $SECONDS_RUN (scale $SCALE) on the source: ${tps:-?} tps"
row "ReplicaLag (DescribeDBInstances, ms)" "${api_lag[@]}"
row "now() - pg_last_xact_replay_timestamp() ms" "${pg_lag[@]}"
row "pg_stat_replication.replay_lag (ms)" "${replay[@]}"
echo "machine: $(nproc) CPUs, load after: $(cut -d' ' -f1-3 /proc/loadavg)"
