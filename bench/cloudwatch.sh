#!/usr/bin/env bash
# CloudWatch metrics (issue 16, item 1): what they cost and how fast a day
# of them is read back.
#
#  1. Store growth per point: BENCH_METRICS metrics (default 12, what one
#     instance publishes) x 1,440 one-minute points (a day) are put with
#     PutMetricData (1,000 a call), timestamps over the last 24 h; the
#     store's size (database + WAL after a checkpoint) before and after.
#     Per instance-hour: 12 metrics x 4 dimension sets (instance, class,
#     engine, none) x 60 points.
#  2. GetMetricData latency for that day: BENCH_METRICS MetricStat queries
#     of 1,440 points each (Period 60, 24 h), BENCH_RUNS times (default 30)
#     through botocore (no CLI start-up in the figure): p50 and p99; and a
#     single-metric query.
#  3. Controlplane CPU: its utime+stime over BENCH_IDLE_S (default 120) with
#     one instance running (all its work: probes, telemetry, cron, and the
#     instance's 48 points a minute), and the CPU of writing those 48 points
#     alone (one PutMetricData of 48 values, timed from the server's log).
#
# Run after `make`; prints figures, asserts nothing.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/integration/lib.sh
. "$ROOT/tests/integration/lib.sh"
METRICS=${BENCH_METRICS:-12}
RUNS=${BENCH_RUNS:-30}
IDLE_S=${BENCH_IDLE_S:-120}

region_up || bail "region did not start"
trap region_down EXIT
DB=$RDS_HOME/controlplane/controlplane.db
[ -f "$DB" ] || diag "no $DB: store size not measured"

python3 - "$API" "$RDS_REGION" "$T_KEY" "$T_SECRET" "$METRICS" "$RUNS" <<'EOF' || exit 1
import sys, time, datetime, statistics, subprocess, os
import botocore.session
api, region, key, secret, metrics, runs = sys.argv[1:7]
metrics, runs = int(metrics), int(runs)
s = botocore.session.get_session()
cw = s.create_client("cloudwatch", region_name=region, endpoint_url=api,
                     aws_access_key_id=key, aws_secret_access_key=secret)
home = os.environ["RDS_HOME"]
def size():
    # The pages of the CloudWatch tables and their index (dbstat), not the
    # file: its size moves with the WAL and free pages.
    r = subprocess.run(["sqlite3", home + "/controlplane/controlplane.db",
                        "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'cw_%'"
                        " OR name LIKE 'sqlite_autoindex_cw_%'"], capture_output=True, text=True)
    return int(r.stdout.strip() or 0)
end = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
start = end - datetime.timedelta(days=1)
before = size()
t0 = time.monotonic()
for m in range(metrics):
    pts = [{"MetricName": "M%d" % m, "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "b1"}],
            "Timestamp": start + datetime.timedelta(minutes=i), "Value": float(i % 97), "Unit": "Count"}
           for i in range(1440)]
    for k in range(0, 1440, 1000):
        cw.put_metric_data(Namespace="Bench", MetricData=pts[k:k + 1000])
put_s = time.monotonic() - t0
after = size()
n = metrics * 1440
print("# fill: %d points in %.1f s (%.0f points/s through PutMetricData)" % (n, put_s, n / put_s))
print("store growth: %.0f bytes per point (60 s point + its 300/3600 s rollups), %d points" %
      ((after - before) / n, n))
print("store growth per instance-hour (12 metrics x 4 dimension sets x 60 points): %.2f MiB" %
      ((after - before) / n * 12 * 4 * 60 / 2**20))
q = [{"Id": "m%d" % m, "MetricStat": {"Metric": {"Namespace": "Bench", "MetricName": "M%d" % m,
      "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "b1"}]}, "Period": 60, "Stat": "Average"}}
     for m in range(metrics)]
for label, qs in (("%d metrics" % metrics, q), ("1 metric", q[:1])):
    lat = []
    for _ in range(runs):
        t = time.monotonic()
        r = cw.get_metric_data(MetricDataQueries=qs, StartTime=start, EndTime=end)
        lat.append((time.monotonic() - t) * 1000)
    got = sum(len(x["Values"]) for x in r["MetricDataResults"])
    lat.sort()
    print("GetMetricData, a day of %s (%d points): p50 %.1f ms, p99 %.1f ms over %d runs" %
          (label, got, statistics.median(lat), lat[min(len(lat) - 1, int(len(lat) * 0.99))], runs))
EOF

# The server's own time for those calls (its log: ms= of each GetMetricData).
for part in "1,$RUNS" "$((RUNS + 1)),\$"; do
grep -h "action=GetMetricData status=200" "$RDS_HOME"/logs/controlplane*.log 2>/dev/null |
  sed -n 's/.* ms=\([0-9]*\).*/\1/p' | sed -n "${part}p" | sort -n |
  awk '{ v[NR] = $1 } END { if (NR) printf "GetMetricData server time (log ms=, %d calls; 12 metrics first, then 1): p50 %d ms, max %d ms\n", NR, v[int((NR + 1) / 2)], v[NR] }'
done

# 3. CPU of the controlplane with one instance.
create_instance b1 >/dev/null
poll 240 status_is b1 available || bail "b1 not available"
ticks() { awk '{ print $14 + $15 }' "/proc/$(cp_pid)/stat"; }
hz=$(getconf CLK_TCK)
t1=$(ticks)
sleep "$IDLE_S"
t2=$(ticks)
awk -v a="$t1" -v b="$t2" -v hz="$hz" -v s="$IDLE_S" 'BEGIN {
  printf "controlplane CPU with one instance (everything it does): %.2f%% of a core, %.1f s per instance-hour\n",
    (b - a) / hz / s * 100, (b - a) / hz / s * 3600 }'
pts=$(sqlite3 "$DB" "SELECT count(*) FROM cw_points p JOIN cw_metrics m ON m.id = p.metric WHERE m.namespace = 'AWS/RDS' AND p.res = 60" 2>/dev/null)
echo "AWS/RDS 60 s points stored after ${IDLE_S}s: ${pts:-?}"
echo "# load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) on $(nproc) CPUs"
