#!/usr/bin/env bash
# DescribeDBInstances with many instances (issue 18, the API part), in one run:
#  1. a throwaway region (tests/integration/lib.sh), or the caller's when
#     BENCH_REGION=keep (bench/scale.sh: RDS_HOME, API and the region's
#     credentials already set, its instances already there);
#  2. its own region: one real instance `api-one` (db.t3.micro, Single-AZ),
#     stopped through the API, then metadata-only copies of it inserted by
#     bench/api_rows.c through the store's store_instance_insert: stopped,
#     no node, no process — rows the Describe path reads as it reads any;
#  3. at 50 rows, then at 1,000: BENCH_REQUESTS (300) signed
#     DescribeDBInstances of one instance (api-one, or the first with
#     BENCH_REGION=keep) and as many of a page of 100 (MaxRecords=100),
#     over one keep-alive HTTP connection (the client checks it is reused),
#     signing outside the timed part: p50/p99 wall time, requests/second
#     (back to back, one client), and the controlplane's CPU per request
#     (utime+stime from /proc before and after each loop).
# Prints nproc, the CPU model and the load average beside the figures.
# Run after `make`. Prints figures only; asserts nothing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REQS=${BENCH_REQUESTS:-300}
B=$ROOT/build/default

echo "machine: $(nproc) CPU, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"

# shellcheck source=tests/integration/lib.sh
. "$ROOT/tests/integration/lib.sh"
clk=$(getconf CLK_TCK)
cp_cpu() { awk -v c="$clk" '{ print ($14 + $15) / c }' "/proc/$(cp_pid)/stat"; }

# measure LABEL BODY: the loop, its figures on one line.
measure() {
  local label=$1 body=$2 before after out idle0 t0 t1
  # The controlplane's own rate with no request (its cron grows with the
  # rows: scale.sh's part), taken off the loop's CPU for the net figure.
  idle0=$(cp_cpu)
  sleep 3
  before=$(cp_cpu)
  t0=$EPOCHREALTIME
  out=$(python3 - "$API" "$REQS" "$body" <<'EOF'
import http.client, sys, time, urllib.parse
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.session import Session
url, n, body = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
u = urllib.parse.urlsplit(url)
s = Session()
creds, region = s.get_credentials(), s.get_config_variable("region")
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
lat, sock, reused, size = [], None, 0, 0
t_all = time.perf_counter()
for i in range(n + 10):
    r = AWSRequest(method="POST", url=url, data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(creds, "rds", region).add_auth(r)
    h = dict(r.headers)
    if i == 10:
        t_all = time.perf_counter()
    t0 = time.perf_counter()
    conn.request("POST", u.path or "/", body=body, headers=h)
    resp = conn.getresponse()
    data = resp.read()
    dt = (time.perf_counter() - t0) * 1000
    if resp.status != 200:
        sys.exit("HTTP %d: %s" % (resp.status, data[:300]))
    if i >= 10:                      # the first ten warm up
        lat.append(dt)
        reused += conn.sock is sock
    sock, size = conn.sock, len(data)
wall = time.perf_counter() - t_all
lat.sort()
print("p50 %.2f ms  p99 %.2f ms  max %.2f ms  %.0f req/s  %d B  keep-alive %d/%d"
      % (lat[len(lat) // 2], lat[max(0, int(len(lat) * 0.99) - 1)], lat[-1],
         n / wall, size, reused, n))
EOF
)
  after=$(cp_cpu)
  t1=$EPOCHREALTIME
  printf '  %-26s %s  cp CPU %s us/req\n' "$label" "$out" \
    "$(awk -v i="$idle0" -v a="$before" -v b="$after" -v t0="$t0" -v t1="$t1" -v n="$((REQS + 10))" \
      'BEGIN { net = (b - a) - (a - i) / 3 * (t1 - t0); if (net < 0) net = 0;
               printf "%.0f (net of idle %.0f%% of a core: %.0f)", (b - a) * 1e6 / n, (a - i) / 3 * 100, net * 1e6 / n }')"
}

# run_at ROWS ONE: both loops, with the load average.
run_at() {
  echo "rows in the store: $1 (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  measure "one instance" "Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=$2"
  measure "page of 100 (MaxRecords)" "Action=DescribeDBInstances&Version=2014-10-31&MaxRecords=100"
  # BENCH_PERF=DIR: the page loop again under perf record (DWARF call graphs:
  # the build keeps no frame pointers), DIR/perf-ROWS.data.
  if [ -n "${BENCH_PERF:-}" ]; then
    perf record -q --call-graph dwarf,16384 -p "$(cp_pid)" -o "$BENCH_PERF/perf-$1.data" 2>/dev/null &
    local perf=$!
    sleep 1
    measure "page of 100 (under perf)" "Action=DescribeDBInstances&Version=2014-10-31&MaxRecords=100"
    kill -INT "$perf"
    wait "$perf" || true
  fi
}

if [ "${BENCH_REGION:-}" = keep ]; then
  one=$(rdsctl describe-db-instances | jq -r '.DBInstances[0].DBInstanceIdentifier')
  run_at "$(rdsctl describe-db-instances | jq '.DBInstances | length')+" "$one"
  exit 0
fi

scratch=$(mktemp -d /tmp/rdsim-api-bench.XXXXXX)
trap 'rm -rf "$scratch"; cleanup' EXIT
cc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT" -I"$(pg_config --includedir)" \
  -o "$scratch/api_rows" "$ROOT/bench/api_rows.c" "$B/libcp.a" "$B/librdsim.a" \
  -levent -levent_openssl -lcares -lcjson -lcbor -lz -lsqlite3 -lpq -lssl -lcrypto -lm
T_USER=benchuser T_PASS=benchpass-1234
region_up >/dev/null || { echo "bench: the region did not start" >&2; exit 1; }
create_instance api-one >/dev/null
poll 300 status_is api-one available || { echo "bench: api-one not available" >&2; exit 1; }
rdsctl stop-db-instance --db-instance-identifier api-one >/dev/null
poll 300 status_is api-one stopped || { echo "bench: api-one did not stop" >&2; exit 1; }

rows=$("$scratch/api_rows" "$RDS_HOME/controlplane/controlplane.db" api-one api-row- 1 50)
run_at "$rows" api-one
rows=$("$scratch/api_rows" "$RDS_HOME/controlplane/controlplane.db" api-one api-row- 50 1000)
run_at "$rows" api-one
