#!/usr/bin/env bash
# bench/pitr.sh: point-in-time restore time against plain PostgreSQL, and
# LatestRestorableTime's lag under steady writes (issue 5).
#
# Starts a throwaway region (as the tests do) and one instance, waits for
# its first base backup, then fills it with pgbench -i -s BENCH_SCALE
# (default 60, about 1 GiB) and runs pgbench for BENCH_SECONDS (default
# 60) while sampling, once a second, how far LatestRestorableTime trails
# the region clock (the issue's target: <= 5 s; RDS's is 5 minutes).
#
# Then a restore to a time near the end, two ways, from the same base
# backup (taken before the fill, so the whole fill is replayed) and the
# same WAL:
#   - plain:  tar -x of the base backup, then postgres with
#             restore_command cp, recovery_target_time, promote, until
#             pg_controldata says "in production" (the baseline; the base
#             backup and WAL are first opened to plain files, untimed);
#   - rdsim:  RestoreDBInstanceToPointInTime until the new instance is
#             available (opening and verifying the sealed objects, the same
#             replay, the agent's start and the endpoint).
# Prints the seconds of each and the ratio rdsim/plain (target <= 1.2).
set -u
. "$(dirname "$0")/../tests/integration/lib.sh"
SCALE=${BENCH_SCALE:-60}
SECONDS_RUN=${BENCH_SECONDS:-60}
PG_USER=${PG_USER:-postgres}

region_up || bail "the region did not start"
create_instance src >/dev/null || bail "create src"
poll 300 status_is src available || bail "src not available"
lrt() {
  rdsctl describe-db-instances --db-instance-identifier src |
    jq -r '.DBInstances[0].LatestRestorableTime // empty'
}
poll 300 eval '[ -n "$(lrt)" ]' || bail "no first base backup"
addr=$(resolve "$(endpoint_of src)")
PGPASSWORD=$T_PASS "$PG_BIN/pgbench" -q -i -s "$SCALE" -h "$addr" -U "$T_USER" postgres \
  >/dev/null 2>&1 || bail "pgbench -i"
size=$(psql_at "$addr" "SELECT pg_database_size('postgres')")
diag "database size $((size / 1048576)) MiB (scale $SCALE)"

# ---- LatestRestorableTime lag under steady writes ----------------------------

PGPASSWORD=$T_PASS "$PG_BIN/pgbench" -n -c 4 -j 2 -T "$SECONDS_RUN" -h "$addr" -U "$T_USER" \
  postgres >"$RDS_HOME/pgbench.out" 2>&1 &
bench_pid=$!
off=$(rdsctl clock show | jq -r .OffsetSeconds)
lags=()
while kill -0 "$bench_pid" 2>/dev/null; do
  l=$(lrt)
  now=$EPOCHREALTIME
  lags+=("$(awk -v n="$now" -v o="$off" -v l="$(date -u -d "$l" +%s.%N)" 'BEGIN { printf "%.3f", n + o - l }')")
  sleep 1
done
wait "$bench_pid"
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$RDS_HOME/pgbench.out" | head -1)
p95() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { i = int(NR * 0.95 + 0.5); if (i < 1) i = 1; print v[i] }'; }
max() { printf '%s\n' "$@" | sort -g | tail -1; }
diag "pgbench: ${tps} tps for ${SECONDS_RUN} s"

# ---- the restore -----------------------------------------------------------------

target_real=$(awk -v t="$EPOCHREALTIME" 'BEGIN { printf "%.3f", t - 2 }')
poll 60 eval '[[ ! "$(lrt)" < "$(date -u -d @$target_real +%Y-%m-%dT%H:%M:%S)" ]]' ||
  bail "the archive does not reach the target"
target_iso=$(awk -v t="$target_real" -v o="$off" 'BEGIN { s = t + o;
  printf "%s.%03dZ", strftime("%Y-%m-%dT%H:%M:%S", int(s), 1), int((s - int(s)) * 1000) }')
target_pg=$(date -u -d "@$target_real" '+%Y-%m-%d %H:%M:%S.%3N+00')
rid=$(rdsctl describe-db-instances --db-instance-identifier src | jq -r '.DBInstances[0].DbiResourceId')
store="$RDS_HOME/backups/automated/$rid"
base=$(ls "$store/base/"*.tar.env | sort | head -1)
walbytes=$(du -sb "$store/wal" | cut -f1)
diag "base backup $(basename "$base") ($(( $(stat -c %s "$base") / 1048576 )) MiB), archive $((walbytes / 1048576)) MiB"

# The baseline's inputs, opened to plain files (untimed).
plain="$RDS_HOME/plain"
mkdir -p "$plain/wal" && chown -R "$PG_USER:" "$plain" 2>/dev/null
"$ROOT/bin/rds-backup" open --in "$base" --out "$plain/base.tar" || bail "open base"
for f in "$store"/wal/*.env; do
  n=$(basename "$f" .env)
  case $n in *.partial) n=${n%.partial}; [ -e "$store/wal/$n.env" ] && continue;; esac
  "$ROOT/bin/rds-backup" open --in "$f" --out "$plain/wal/$n" || bail "open $f"
  [[ $n == *history ]] || truncate -s 16M "$plain/wal/$n"
done
chown -R "$PG_USER:" "$plain" 2>/dev/null
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi; }

sync
t0=$(now_s)
as_pg mkdir "$plain/data" && as_pg chmod 700 "$plain/data" &&
  as_pg tar -x -f "$plain/base.tar" -C "$plain/data" || bail "tar -x"
rm -f "$plain/data/standby.signal"
as_pg touch "$plain/data/recovery.signal"
as_pg "$PG_BIN/postgres" -D "$plain/data" -c listen_addresses= -c "unix_socket_directories=$plain" \
  -c port=5999 -c "restore_command=cp '$plain/wal/%f' '%p'" -c "recovery_target_time=$target_pg" \
  -c recovery_target_action=promote -c synchronous_standby_names= -c logging_collector=off \
  -c ssl=off >"$plain/recovery.log" 2>&1 &
pg=$!
# Promoted: recovery.signal gone (a primary's base backup says "in
# production" from the start) and the control file in production.
promoted() {
  [ ! -e "$plain/data/recovery.signal" ] &&
    "$PG_BIN/pg_controldata" "$plain/data" | grep -q "in production"
}
poll 1800 promoted || bail "plain recovery"
t_plain=$(elapsed "$t0" "$(now_s)")
kill -INT "$(head -1 "$plain/data/postmaster.pid")" # a fast shutdown of the postmaster
wait "$pg"

t0=$(now_s)
rdsctl restore-db-instance-to-point-in-time --source-db-instance-identifier src \
  --target-db-instance-identifier back --restore-time "$target_iso" >/dev/null || bail "restore"
poll 1800 status_is back available || bail "back not available"
t_rdsim=$(elapsed "$t0" "$(now_s)")

echo "LatestRestorableTime lag under pgbench (${#lags[@]} samples, ${tps} tps):"
printf '  median %ss  p95 %ss  max %ss  (target <= 5 s; RDS: 5 min)\n' \
  "$(median "${lags[@]}")" "$(p95 "${lags[@]}")" "$(max "${lags[@]}")"
printf '%-44s %8s %8s\n' "point-in-time restore" seconds ratio
printf '%-44s %8.2f %8s\n' "plain: tar -x + PostgreSQL replay" "$t_plain" 1.00
awk -v p="$t_plain" -v r="$t_rdsim" 'BEGIN {
  printf "%-44s %8.2f %8.2f\n", "rdsim: RestoreDBInstanceToPointInTime", r, r / p }'
region_down
