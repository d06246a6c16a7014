#!/usr/bin/env bash
# bench/failover.sh: the failover time distribution of issue 3.
#
# Starts a throwaway region (tests/integration/lib.sh's: ephemeral ports,
# its own 127.N network, temp home), creates one Multi-AZ instance at
# default settings (endpoint TTL 5 s, the controlplane's default probe
# interval and detection threshold), and runs `rdsctl chaos` twice:
#   - BENCH_CRASHES (default 20) primary crashes  (--kinds crash: SIGKILL
#     of the primary's postmaster);
#   - BENCH_HOSTS (default 20) host losses        (--kinds host: SIGKILL of
#     the primary's agent and postgres; the host comes back after the
#     failover and the old node rejoins as the standby);
# each with BENCH_WRITERS (default 4) writers that resolve the endpoint
# through the region's DNS and honour its TTL. Then prints, per fault
# kind, p50 and p99 (nearest rank) of:
#   detection        fault -> RDS-EVENT-0013 (failover started)
#   writable again   fault -> first write acknowledged by the new primary
#                    (a probe connected to its address, so DNS plays no part)
#   DNS flipped      fault -> first DNS answer naming the new primary
#                    (polled every 15 ms)
#   client downtime  last write the old primary acknowledged -> first the
#                    new one acknowledged, for the TTL-honouring writers
#   recovery         fault -> RDS-EVENT-0053 (the standby synchronous again)
# with the totals (acknowledged writes, missing, acknowledged by a fenced
# node), the machine, and the published anchors side by side.
#
# Usage: bench/failover.sh   (needs bin/ built: make). The chaos JSON of
# every run is kept in BENCH_OUT (default: a temp dir, printed). A chaos
# run stops at a fault that does not recover; the bench then goes on with
# a fresh instance until it has the recovered faults it wants (at most 4
# runs per kind) and lists the failures.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CRASHES=${BENCH_CRASHES:-20}
HOSTS=${BENCH_HOSTS:-20}
WRITERS=${BENCH_WRITERS:-4}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/rdsim-failover.XXXXXX)}
mkdir -p "$OUT"

# shellcheck source=tests/integration/lib.sh
. "$ROOT/tests/integration/lib.sh"

say() { echo "bench: $*" >&2; }

region_up || { say "the region did not start"; exit 1; }
say "region up in $RDS_HOME (API $RDS_API_PORT, DNS $RDS_DNS_PORT)"

# new_instance: a fresh Multi-AZ instance at default settings, in INSTANCE.
INSTANCE_N=0
INSTANCE=
new_instance() {
  INSTANCE_N=$((INSTANCE_N + 1))
  INSTANCE=bench$INSTANCE_N
  create_instance "$INSTANCE" --multi-az >/dev/null || { say "create $INSTANCE failed"; return 1; }
  poll 300 status_is "$INSTANCE" available || { say "$INSTANCE did not become available"; return 1; }
  say "Multi-AZ instance $INSTANCE available: $(endpoint_of "$INSTANCE")"
}

# run_chaos KIND N: N recovered faults of KIND, in as many chaos runs as it
# takes (at most 4): a run stops at the first fault that does not recover,
# and the instance may then be left failed, so the next run gets a fresh
# instance. The runs' faults are merged into $OUT/KIND.json.
new_instance || exit 1
run_chaos() {
  local kind=$1 want=$2 got=0 attempt=0 files=()
  while [ "$got" -lt "$want" ] && [ $attempt -lt 4 ]; do
    attempt=$((attempt + 1))
    if [ "$(status_of "$INSTANCE")" != available ]; then
      say "$INSTANCE is $(status_of "$INSTANCE"); starting over with a fresh instance"
      new_instance || return 1
    fi
    local f=$OUT/$kind-$attempt.json
    say "$((want - got)) × $kind on $INSTANCE (run $attempt; progress in $OUT/$kind-$attempt.log)"
    rdsctl chaos --db-instance-identifier "$INSTANCE" --master-user-password "$T_PASS" \
      --kinds "$kind" --faults $((want - got)) --writers "$WRITERS" --seed "$attempt" \
      --json "$f" >"$OUT/$kind-$attempt.txt" 2>"$OUT/$kind-$attempt.log"
    local rc=$?
    [ $rc -eq 0 ] || say "rdsctl chaos exited $rc: $(jq -r '[.Faults[] | select(.Recovered | not) | .Error] | join("; ")' "$f" 2>/dev/null)"
    [ -s "$f" ] || continue
    files+=("$f")
    got=$((got + $(jq '[.Faults[] | select(.Recovered)] | length' "$f")))
  done
  [ ${#files[@]} -gt 0 ] || return 1
  jq -s '{Faults: [.[].Faults[]],
          Totals: (reduce .[].Totals as $t ({}; . as $a | $t | with_entries(.value = (($a[.key] // 0) + (.value // 0)))))}' \
    "${files[@]}" >"$OUT/$kind.json"
}
run_chaos crash "$CRASHES"
run_chaos host "$HOSTS"
region_stop

# pct FILE FIELD P: nearest-rank percentile of a per-fault field, over the
# faults that have it; "-" if none.
pct() {
  jq -r --arg f "$2" --argjson p "$3" '
    [.Faults[] | select(.Recovered) | .[$f] | select(. != null)] | sort as $v | ($v | length) as $n
    | if $n == 0 then "-" else
        $v[([(($p / 100 * $n) | ceil) - 1, 0] | max)] | tostring end' "$1"
}
count() { jq -r "$2" "$1" 2>/dev/null || echo "?"; }

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
C=$OUT/crash.json H=$OUT/host.json
for f in "$C" "$H"; do [ -s "$f" ] || { say "no results in $f"; exit 1; }; done

printf '\nFailover benchmark: rdsim on %s × %s (nproc %s), %s writers, endpoint TTL 5 s\n' \
  "$(nproc)" "$cpu" "$(nproc)" "$WRITERS"
printf '%s primary crashes (%s recovered), %s host losses (%s recovered); percentiles over the recovered\n\n' \
  "$(count "$C" .Totals.FaultsInjected)" "$(count "$C" .Totals.FaultsRecovered)" \
  "$(count "$H" .Totals.FaultsInjected)" "$(count "$H" .Totals.FaultsRecovered)"
printf '%-44s %10s %10s %10s %10s\n' "seconds from the fault" "crash p50" "crash p99" "host p50" "host p99"
row() {
  printf '%-44s %10s %10s %10s %10s\n' "$1" "$(pct "$C" "$2" 50)" "$(pct "$C" "$2" 99)" \
    "$(pct "$H" "$2" 50)" "$(pct "$H" "$2" 99)"
}
row "detection (RDS-EVENT-0013)" DetectionSeconds
row "writable again (new primary acks a write)" WritableSeconds
row "DNS flipped (endpoint -> new primary)" DnsFlipSeconds
row "failover completed (RDS-EVENT-0049)" FailoverCompletedSeconds
row "client downtime (TTL-honouring writers)" ClientDowntimeSeconds
row "standby synchronous again (RDS-EVENT-0053)" RecoverySeconds
printf '\nfailures (crash runs): %s\n' "$(jq -r '[.Faults[] | select(.Recovered | not) | "\(.Index): \(.Error)"] | join("; ") | if . == "" then "none" else . end' "$C")"
printf 'failures (host runs):  %s\n' "$(jq -r '[.Faults[] | select(.Recovered | not) | "\(.Index): \(.Error)"] | join("; ") | if . == "" then "none" else . end' "$H")"
printf 'acknowledged writes %s + %s, missing %s + %s, acknowledged by a fenced node %s + %s\n' \
  "$(count "$C" .Totals.AcknowledgedWrites)" "$(count "$H" .Totals.AcknowledgedWrites)" \
  "$(count "$C" .Totals.MissingWrites)" "$(count "$H" .Totals.MissingWrites)" \
  "$(count "$C" .Totals.FencedAcks)" "$(count "$H" .Totals.FencedAcks)"
cat <<'EOT'

Anchors (published figures, defaults):
  Amazon RDS Multi-AZ DB instance failover        60-120 s
  Amazon RDS Multi-AZ DB cluster failover          < 35 s
  Patroni (ttl 30 s, loop_wait 10 s)               ~ 45 s
  pg_auto_failover, detecting a lost node          20-30 s
Target here: writable again and DNS flipped p99 <= 2 s after a crash,
<= 3 s after a host loss, with no acknowledged write lost.
EOT
printf '\nraw results: %s\n' "$OUT"
