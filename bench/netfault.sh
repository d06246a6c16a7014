#!/usr/bin/env bash
# bench/netfault.sh: every fault kind, mixed, in namespace mode (issue 17).
#
# Starts a throwaway region in namespace mode (each AZ host a network
# namespace; the writers on the clients' host), creates one Multi-AZ
# instance at default settings (endpoint TTL 5 s) and runs `rdsctl chaos`
# with BENCH_FAULTS (default 104) faults drawn in seeded rounds over
# BENCH_KINDS (default: every kind, process and network: crash, host, hang,
# cpkill, forced, partition-primary, partition-standby,
# partition-controlplane, az-outage, flap, partition-relaxed, latency,
# loss), BENCH_WRITERS (default 4) writers, seed BENCH_SEED (default 1).
# A run stops at a fault that does not recover; the bench then goes on with
# a fresh instance (at most 6 runs) until it has the faults it wants.
# Prints per kind: count, recovered, failed over, and p50/p99 (nearest
# rank, over the recovered faults that have the figure) of detection
# (RDS-EVENT-0013, or 0052 for a fault that moves nothing), writable
# again, DNS flipped and client downtime; then the totals — acknowledged
# writes, missing (must be 0), acknowledged by a fenced node (must be 0).
# Exits 1 when either total is not 0.
#
# Needs root and `ip netns` (namespace mode) and bin/ built (make). The
# chaos JSON of every run is kept in BENCH_OUT (default: a temp dir).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FAULTS=${BENCH_FAULTS:-104}
WRITERS=${BENCH_WRITERS:-4}
SEED=${BENCH_SEED:-1}
KINDS=${BENCH_KINDS:-crash,host,hang,cpkill,forced,partition-primary,partition-standby,partition-controlplane,az-outage,flap,partition-relaxed,latency,loss}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/rdsim-netfault.XXXXXX)}
mkdir -p "$OUT"

# shellcheck source=tests/integration/lib.sh
. "$ROOT/tests/integration/lib.sh"

say() { echo "bench: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
  say "namespace mode needs root"
  exit 2
fi
export RDSIM_NET=netns
region_up || { say "the region did not start in namespace mode"; exit 1; }
say "region up in $RDS_HOME (namespace mode, block 100.$((64 + RDS_NET)).0.0/16)"

INSTANCE_N=0
INSTANCE=
new_instance() {
  INSTANCE_N=$((INSTANCE_N + 1))
  INSTANCE=nf$INSTANCE_N
  create_instance "$INSTANCE" --multi-az >/dev/null || { say "create $INSTANCE failed"; return 1; }
  poll 300 status_is "$INSTANCE" available || { say "$INSTANCE did not become available"; return 1; }
  say "Multi-AZ instance $INSTANCE available: $(endpoint_of "$INSTANCE")"
}

new_instance || exit 1
got=0 attempt=0 files=()
t0=$(date +%s)
while [ "$got" -lt "$FAULTS" ] && [ $attempt -lt 6 ]; do
  attempt=$((attempt + 1))
  if [ "$(status_of "$INSTANCE")" != available ]; then
    say "$INSTANCE is $(status_of "$INSTANCE"); starting over with a fresh instance"
    new_instance || break
  fi
  f=$OUT/run-$attempt.json
  say "$((FAULTS - got)) faults on $INSTANCE (run $attempt; progress in $OUT/run-$attempt.log)"
  rdsctl chaos --db-instance-identifier "$INSTANCE" --master-user-password "$T_PASS" \
    --kinds "$KINDS" --faults $((FAULTS - got)) --writers "$WRITERS" \
    --seed $((SEED + attempt - 1)) --json "$f" >"$OUT/run-$attempt.txt" 2>"$OUT/run-$attempt.log"
  rc=$?
  [ $rc -eq 0 ] || say "rdsctl chaos exited $rc: $(jq -r '[.Faults[] | select(.Recovered | not) | .Error] | join("; ")' "$f" 2>/dev/null)"
  [ -s "$f" ] || continue
  files+=("$f")
  got=$((got + $(jq '.Faults | length' "$f")))
done
elapsed=$(($(date +%s) - t0))
region_stop
[ ${#files[@]} -gt 0 ] || { say "no results"; exit 1; }
ALL=$OUT/all.json
jq -s '{Faults: [.[].Faults[]],
        Totals: (reduce .[].Totals as $t ({}; . as $a | $t | with_entries(.value = (($a[.key] // 0) + (.value // 0)))))}' \
  "${files[@]}" >"$ALL"

# pct KIND FIELD P: nearest-rank percentile over the kind's recovered
# faults that have the field; "-" if none.
pct() {
  jq -r --arg k "$1" --arg f "$2" --argjson p "$3" '
    [.Faults[] | select(.Kind == $k and .Recovered) | .[$f] | select(. != null)] | sort as $v
    | ($v | length) as $n
    | if $n == 0 then "-" else $v[([(($p / 100 * $n) | ceil) - 1, 0] | max)] | tostring end' "$ALL"
}
cnt() { jq -r --arg k "$1" "[.Faults[] | select(.Kind == \$k) | $2] | length" "$ALL"; }

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
printf '\nNetwork and process faults, mixed: rdsim on %s × %s, %s writers on the clients'"'"' host, endpoint TTL 5 s\n' \
  "$(nproc)" "$cpu" "$WRITERS"
printf '%s faults in %s s over %s runs (seeds %s..%s); load average at the end: %s\n\n' \
  "$(jq '.Faults | length' "$ALL")" "$elapsed" "${#files[@]}" "$SEED" "$((SEED + attempt - 1))" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-23s %5s %5s %5s  %-13s %-13s %-13s %-13s\n' kind n recov fo "detect 50/99" \
  "writable" "DNS flipped" "downtime"
IFS=, read -r -a kinds <<<"$KINDS"
for k in "${kinds[@]}"; do
  [ "$(cnt "$k" .)" -gt 0 ] || continue
  pair() { printf '%s/%s' "$(pct "$k" "$1" 50)" "$(pct "$k" "$1" 99)"; }
  printf '%-23s %5s %5s %5s  %-13s %-13s %-13s %-13s\n' "$k" "$(cnt "$k" .)" \
    "$(cnt "$k" 'select(.Recovered)')" "$(cnt "$k" 'select(.FailedOver)')" \
    "$(pair DetectionSeconds)" "$(pair WritableSeconds)" "$(pair DnsFlipSeconds)" \
    "$(pair ClientDowntimeSeconds)"
done
missing=$(jq -r '.Totals.MissingWrites' "$ALL")
fenced=$(jq -r '.Totals.FencedAcks' "$ALL")
printf '\nfailures: %s\n' "$(jq -r '[.Faults[] | select(.Recovered | not) | "\(.Kind) #\(.Index): \(.Error)"] | join("; ") | if . == "" then "none" else . end' "$ALL")"
printf 'acknowledged writes %s, missing %s, acknowledged by a fenced node %s\n' \
  "$(jq -r '.Totals.AcknowledgedWrites' "$ALL")" "$missing" "$fenced"
printf 'raw results: %s\n' "$OUT"
[ "$missing" = 0 ] && [ "$fenced" = 0 ]
