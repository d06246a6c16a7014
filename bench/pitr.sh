#!/usr/bin/env bash
# bench/pitr.sh: point-in-time restore time against plain PostgreSQL, and
# LatestRestorableTime's lag under a saturating write load (issues 5, 19).
#
# For each scale in BENCH_SCALES (default "20 70": about 300 MiB and
# 1 GiB, so fixed costs and per-byte costs show apart), in a throwaway
# region (as the tests do) with one instance:
#
#  1. waits for its first base backup, then fills it with pgbench -i -s
#     SCALE (the WAL of the whole fill lies between that base backup and
#     the restore target, so the restore replays it all);
#  2. pgbench -c BENCH_CLIENTS (default 4 x the CPUs: enough to saturate
#     this machine) for BENCH_SECONDS (default 30) with archiving on,
#     while LatestRestorableTime's lag behind the region clock is sampled
#     every BENCH_INTERVAL (default 0.25) s: p50/p95/max (target p95 <= 1 s);
#  3. the same restore two ways, from the same base backup and WAL:
#       plain: tar -x of the base backup, then postgres with restore_command
#              cp, recovery_target_time, promote, until pg_controldata says
#              "in production" (the baseline; its inputs are first opened
#              to plain files, untimed);
#       rdsim: RestoreDBInstanceToPointInTime until the new instance is
#              available (opening the sealed objects, the same replay, the
#              agent's start, the endpoint);
#     both with the baseline's own MB/s (base + WAL bytes over its seconds)
#     beside the ratio (target <= 1.1);
#  4. BackupRetentionPeriod 0 (the archiver stops), then the same pgbench
#     again: tps without archiving, beside step 2's, same run.
# `uptime` is printed before and after: the figures are upper bounds on a
# shared machine.
set -u
. "$(dirname "$0")/../tests/integration/lib.sh"
SCALES=${BENCH_SCALES:-20 70}
SECONDS_RUN=${BENCH_SECONDS:-30}
CLIENTS=${BENCH_CLIENTS:-$((4 * $(nproc)))}
INTERVAL=${BENCH_INTERVAL:-0.25}
PG_USER=${PG_USER:-postgres}

p95() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { i = int(NR * 0.95 + 0.5); if (i < 1) i = 1; print v[i] }'; }
max() { printf '%s\n' "$@" | sort -g | tail -1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi; }
lrt() {
  rdsctl describe-db-instances --db-instance-identifier src |
    jq -r '.DBInstances[0].LatestRestorableTime // empty'
}
pgbench_run() { # OUT: tps of a run of SECONDS_RUN
  PGPASSWORD=$T_PASS "$PG_BIN/pgbench" -n -c "$CLIENTS" -j "$(nproc)" -T "$SECONDS_RUN" \
    -h "$addr" -U "$T_USER" postgres >"$1" 2>&1
}
tps_of() { sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$1" | head -1; }

one_scale() {
  local scale=$1
  region_up || bail "the region did not start"
  create_instance src >/dev/null || bail "create src"
  poll 300 status_is src available || bail "src not available"
  poll 300 eval '[ -n "$(lrt)" ]' || bail "no first base backup"
  addr=$(resolve "$(endpoint_of src)")
  PGPASSWORD=$T_PASS "$PG_BIN/pgbench" -q -i -s "$scale" -h "$addr" -U "$T_USER" postgres \
    >/dev/null 2>&1 || bail "pgbench -i"
  local size
  size=$(psql_at "$addr" "SELECT pg_database_size('postgres')")
  echo "## scale $scale: database $((size / 1048576)) MiB; pgbench -c $CLIENTS for ${SECONDS_RUN} s"

  # ---- 2. lag under a saturating load, archiving on ----------------------
  pgbench_run "$RDS_HOME/pgbench-on.out" &
  local bench_pid=$! off l now
  off=$(rdsctl clock show | jq -r .OffsetSeconds)
  local lags=()
  while kill -0 "$bench_pid" 2>/dev/null; do
    l=$(lrt)
    now=$EPOCHREALTIME
    lags+=("$(awk -v n="$now" -v o="$off" -v l="$(date -u -d "$l" +%s.%N)" \
      'BEGIN { printf "%.3f", n + o - l }')")
    sleep "$INTERVAL"
  done
  wait "$bench_pid"
  local tps_on
  tps_on=$(tps_of "$RDS_HOME/pgbench-on.out")

  # ---- 3. the restore, both ways ---------------------------------------------
  local target_real target_iso target_pg rid store base walbytes basebytes
  target_real=$(awk -v t="$EPOCHREALTIME" 'BEGIN { printf "%.3f", t - 1 }')
  poll 60 eval '[[ ! "$(lrt)" < "$(date -u -d @$target_real +%Y-%m-%dT%H:%M:%S)" ]]' ||
    bail "the archive does not reach the target"
  target_iso=$(awk -v t="$target_real" -v o="$off" 'BEGIN { s = t + o;
    printf "%s.%03dZ", strftime("%Y-%m-%dT%H:%M:%S", int(s), 1), int((s - int(s)) * 1000) }')
  target_pg=$(date -u -d "@$target_real" '+%Y-%m-%d %H:%M:%S.%3N+00')
  rid=$(rdsctl describe-db-instances --db-instance-identifier src | jq -r '.DBInstances[0].DbiResourceId')
  store="$RDS_HOME/backups/automated/$rid"
  base=$(ls "$store/base/"*.tar.env | sort | head -1)

  local plain="$RDS_HOME/plain"
  mkdir -p "$plain/wal" && chown -R "$PG_USER:" "$plain" 2>/dev/null
  "$ROOT/bin/rds-backup" open --in "$base" --out "$plain/base.tar" || bail "open base"
  local f n
  for f in "$store"/wal/*.env; do
    n=$(basename "$f" .env)
    case $n in *.partial) n=${n%.partial}; [ -e "$store/wal/$n.env" ] && continue;; esac
    "$ROOT/bin/rds-backup" open --in "$f" --out "$plain/wal/$n" || bail "open $f"
    [[ $n == *history ]] || truncate -s 16M "$plain/wal/$n"
  done
  chown -R "$PG_USER:" "$plain" 2>/dev/null
  basebytes=$(stat -c %s "$plain/base.tar")
  walbytes=$(du -sb "$plain/wal" | cut -f1)

  sync
  local t0 t_plain t_rdsim pg
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
  rm -rf "$plain"
  sync

  t0=$(now_s)
  rdsctl restore-db-instance-to-point-in-time --source-db-instance-identifier src \
    --target-db-instance-identifier back --restore-time "$target_iso" >/dev/null || bail "restore"
  poll 1800 status_is back available || bail "back not available"
  t_rdsim=$(elapsed "$t0" "$(now_s)")

  # ---- 4. the same load without archiving --------------------------------------
  rdsctl delete-db-instance --db-instance-identifier back --skip-final-snapshot >/dev/null
  rdsctl modify-db-instance --db-instance-identifier src --backup-retention-period 0 \
    --apply-immediately >/dev/null || bail "retention 0"
  poll 120 eval '! pgrep -f -- "archive .*--spool $RDS_HOME/" >/dev/null' || bail "archiver still runs"
  pgbench_run "$RDS_HOME/pgbench-off.out"
  local tps_off
  tps_off=$(tps_of "$RDS_HOME/pgbench-off.out")

  printf 'LatestRestorableTime lag, %d samples: p50 %ss  p95 %ss  max %ss  (target p95 <= 1 s)\n' \
    "${#lags[@]}" "$(median "${lags[@]}")" "$(p95 "${lags[@]}")" "$(max "${lags[@]}")"
  awk -v a="$tps_on" -v b="$tps_off" 'BEGIN {
    printf "pgbench tps: archiving on %.0f, off %.0f (on/off %.3f)\n", a, b, (b > 0 ? a / b : 0) }'
  printf '%-40s %8s %10s %8s\n' "restore (base $((basebytes / 1048576)) MiB + WAL $((walbytes / 1048576)) MiB)" seconds "MB/s" ratio
  awk -v p="$t_plain" -v r="$t_rdsim" -v b="$((basebytes + walbytes))" 'BEGIN {
    printf "%-40s %8.2f %10.0f %8.2f\n", "plain: tar -x + PostgreSQL replay", p, b / p / 1e6, 1
    printf "%-40s %8.2f %10.0f %8.2f\n", "rdsim: RestoreDBInstanceToPointInTime", r, b / r / 1e6, r / p }'
  region_down
}

echo "# $(nproc) CPUs; $(uptime)"
for s in $SCALES; do
  one_scale "$s"
done
echo "# $(uptime)"
