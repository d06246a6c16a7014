#!/usr/bin/env bash
# What request signing costs (issue 12, item 1), in one run:
#  1. bench/sigv4_verify.c (built here against build/default's libraries):
#     CPU time per signature verification, per access key lookup (SQLite +
#     AES-GCM unseal) and per permission check, each the mean of
#     BENCH_N (20000) calls;
#  2. a throwaway region (tests/integration/lib.sh) and BENCH_REQUESTS
#     (500) signed DescribeDBInstances from one Python process (botocore's
#     SigV4Auth signs each; a new connection per request, as the aws CLI's
#     first call): median and p99 wall time end to end, signing included,
#     and the controlplane's CPU time per request over the loop.
# Run after `make`. Prints figures only; asserts nothing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${BENCH_N:-20000}
REQS=${BENCH_REQUESTS:-500}
B=$ROOT/build/default

scratch=$(mktemp -d /tmp/rdsim-sigv4-bench.XXXXXX)
cc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT" -I"$(pg_config --includedir)" \
  -o "$scratch/sigv4_verify" "$ROOT/bench/sigv4_verify.c" "$B/libcp.a" "$B/librdsim.a" \
  -levent -levent_openssl -lcares -lcjson -lsqlite3 -lpq -lssl -lcrypto -lm
echo "machine: $(nproc) CPU, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "micro (CPU time per call, mean of $N):"
echo "  $("$scratch/sigv4_verify" "$scratch" "$N")"
rm -rf "$scratch"

# shellcheck source=tests/integration/lib.sh
. "$ROOT/tests/integration/lib.sh"
region_up >/dev/null || { echo "bench: the region did not start" >&2; exit 1; }
clk=$(getconf CLK_TCK)
cp_cpu() { awk -v c="$clk" '{ print ($14 + $15) / c }' "/proc/$(cp_pid)/stat"; }
before=$(cp_cpu)
python3 - "$API" "$REQS" <<'EOF'
import sys, time, urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.session import Session
url, n = sys.argv[1], int(sys.argv[2])
s = Session()
creds, region = s.get_credentials(), s.get_config_variable("region")
body = b"Action=DescribeDBInstances&Version=2014-10-31"
lat = []
for i in range(n):
    t0 = time.perf_counter()
    r = AWSRequest(method="POST", url=url, data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(creds, "rds", region).add_auth(r)
    req = urllib.request.Request(url, data=body, headers=dict(r.headers))
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()
    lat.append((time.perf_counter() - t0) * 1000)
lat.sort()
print("end to end (signed DescribeDBInstances, %d requests): median %.2f ms, p99 %.2f ms"
      % (n, lat[len(lat) // 2], lat[int(len(lat) * 0.99) - 1]))
EOF
after=$(cp_cpu)
awk -v a="$before" -v b="$after" -v n="$REQS" \
  'BEGIN { printf "controlplane CPU per request (everything, not only auth): %.0f us\n", (b - a) * 1e6 / n }'
