#!/usr/bin/env bash
# bench/backup.sh: snapshot throughput against plain pg_basebackup (issues 5, 19).
#
# Starts a throwaway region (as the tests do), creates an instance and an
# encrypted one, and for each pgbench scale in BENCH_SCALES (default
# "20 66": about 300 MiB and 1 GiB, so fixed and per-byte costs show
# apart) fills both with pgbench -i -s SCALE, then:
#   1. measures the disk's normal speed at that size: a plain sequential
#      write + fsync of as many bytes (dd conv=fsync) in the region's home;
#   2. times, BENCH_RUNS times each (default 3), on the same disk:
#      - plain:  pg_basebackup -D - -Ft -X fetch > file, then sync (the
#                baseline, run by the operator's own login);
#      - rdsim:  CreateDBSnapshot of the unencrypted instance until
#                available (SHA-256 chunks);
#      - rdsim encrypted: the same for the encrypted instance
#                (AES-256-GCM, data key wrapped by the KMS);
#   3. prints the medians: seconds, MB/s (MiB of the baseline's tar per
#      second), and the ratio baseline seconds / snapshot seconds (the
#      target is >= 1.0), the baseline's own MB/s beside it.
# A ratio is only as good as its baseline: when the baseline ran below
# half the disk's normal speed (a busy machine), no ratio is printed and
# the line says why. The snapshot times include the API call, the
# controlplane's pick-up and the describe polling (0.05 s).
set -u
. "$(dirname "$0")/../tests/integration/lib.sh"
SCALES=${BENCH_SCALES:-20 66}
RUNS=${BENCH_RUNS:-3}

region_up || bail "the region did not start"
key=$(rdsctl kms create-key --description bench | jq -r .KeyMetadata.Arn)
create_instance plain >/dev/null || bail "create plain"
create_instance enc --storage-encrypted --kms-key-id "$key" >/dev/null || bail "create enc"
poll 300 status_is plain available && poll 300 status_is enc available || bail "not available"
addr=$(resolve "$(endpoint_of plain)")
eaddr=$(resolve "$(endpoint_of enc)")
# The baseline is the operator's own pg_basebackup: since the master user
# is no superuser (RDS's role model), the bench grants it REPLICATION as
# rdsadmin, which RDS's master user cannot get; the snapshots read as
# rdsadmin, as every region backup does.
admin_psql "$addr" "ALTER ROLE \"$T_USER\" REPLICATION" >/dev/null || bail "grant REPLICATION"

snap_is() {
  [ "$(rdsctl describe-db-snapshots --db-snapshot-identifier "$1" | jq -r '.DBSnapshots[0].Status')" = "$2" ]
}

# settle: a CHECKPOINT on both instances, so that no measured backup's
# own fast checkpoint flushes what pgbench -i, autovacuum or an earlier
# run left dirty. Without it the encrypted instance's snapshot paid for
# all of its pgbench -i data (its first checkpoint) while the plain one
# found its instance just checkpointed by the baseline before it.
settle() {
  admin_psql "$addr" CHECKPOINT >/dev/null && admin_psql "$eaddr" CHECKPOINT >/dev/null ||
    bail "CHECKPOINT"
}

# disk_mbs MIB: MB/s of a sequential write + fsync of MIB MiB on this disk.
disk_mbs() {
  local f=$RDS_HOME/disk.probe t0 t
  t0=$(now_s)
  dd if=/dev/zero of="$f" bs=1M count="$1" conv=fsync status=none || bail "dd"
  t=$(elapsed "$t0" "$(now_s)")
  rm -f "$f"
  awk -v mb="$1" -v t="$t" 'BEGIN { printf "%.0f", mb / t }'
}

printf '%-6s %-26s %8s %8s %8s  %s\n' MiB method seconds MB/s ratio note
for scale in $SCALES; do
  for a in "$addr" "$eaddr"; do
    PGPASSWORD=$T_PASS "$PG_BIN/pgbench" -q -i -s "$scale" -h "$a" -U "$T_USER" postgres \
      >/dev/null 2>&1 || bail "pgbench -i -s $scale on $a"
  done
  declare -a base=() rd=() rde=()
  bytes=0
  for n in $(seq "$RUNS"); do
    settle
    t0=$(now_s)
    PGPASSWORD=$T_PASS "$PG_BIN/pg_basebackup" -h "$addr" -U "$T_USER" -D - -Ft -X fetch \
      --checkpoint=fast >"$RDS_HOME/plain.tar" || bail "pg_basebackup"
    sync -f "$RDS_HOME/plain.tar"
    base+=("$(elapsed "$t0" "$(now_s)")")
    bytes=$(stat -c %s "$RDS_HOME/plain.tar")
    rm -f "$RDS_HOME/plain.tar"
    for i in plain enc; do
      id="$i-$scale-$n"
      settle
      t0=$(now_s)
      rdsctl create-db-snapshot --db-snapshot-identifier "$id" --db-instance-identifier $i >/dev/null
      poll 900 snap_is "$id" available || bail "snapshot $id"
      t=$(elapsed "$t0" "$(now_s)")
      if [ $i = plain ]; then rd+=("$t"); else rde+=("$t"); fi
      rdsctl delete-db-snapshot --db-snapshot-identifier "$id" >/dev/null
    done
  done
  mb=$((bytes / 1048576))
  disk=$(disk_mbs "$mb")
  b=$(median "${base[@]}") p=$(median "${rd[@]}") e=$(median "${rde[@]}")
  awk -v b="$b" -v p="$p" -v e="$e" -v mb="$mb" -v disk="$disk" 'BEGIN {
    bm = mb / b
    slow = bm < disk / 2
    printf "%-6d %-26s %8s %8s %8s  %s\n", mb, "dd conv=fsync (the disk)", "", disk, "", ""
    printf "%-6d %-26s %8.2f %8.0f %8s  %s\n", mb, "pg_basebackup > file", b, bm, "1.00", ""
    note = sprintf("baseline %.0f MB/s", bm)
    if (slow)
      note = sprintf("no ratio: the baseline ran at %.0f MB/s, under half the disk (%d MB/s)", bm, disk)
    printf "%-6d %-26s %8.2f %8.0f %8s  %s\n", mb, "snapshot (SHA-256)", p, mb / p,
           slow ? "-" : sprintf("%.2f", b / p), note
    printf "%-6d %-26s %8.2f %8.0f %8s  %s\n", mb, "snapshot (AES-256-GCM)", e, mb / e,
           slow ? "-" : sprintf("%.2f", b / e), note
  }'
done
diag "medians of $RUNS runs; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
done_testing
