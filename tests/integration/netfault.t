#!/usr/bin/env bash
# Network faults in the chaos harness (issue 17 part 2): a short seeded
# mix of partition-primary, partition-standby, partition-controlplane,
# az-outage, flap and partition-relaxed against a Multi-AZ instance in
# namespace mode, the writers on the clients' host. Every fault injected
# and healed; the kinds that must fail over did, the ones that must not
# did not (the controlplane cut off from every host holds); no
# acknowledged write missing, none acknowledged by a fenced node (the cut
# primary's commits hang on its unreachable synchronous standby). The
# harness refuses the network kinds in a loopback home, naming
# RDSIM_NET=netns. Needs root and `ip netns`; skipped otherwise.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_netns

# ---- a loopback home is refused, before anything is touched ------------------
lb=$(mktemp -d)
printf 'RDS_NETMODE=loopback\nRDS_DNS_PORT=1\n' >"$lb/region.env"
out=$(RDS_HOME=$lb "$ROOT/bin/rdsctl" chaos --db-instance-identifier x --master-user-password y \
  --kinds crash,flap --dns-port 1 2>&1)
rc=$?
rm -rf "$lb"
isnt "$rc" 0 "chaos --kinds flap in a loopback home fails"
like "$out" "RDSIM_NET=netns" "and says namespace mode is needed (RDSIM_NET=netns)"

export RDSIM_NET=netns
region_up || bail "the region did not start in namespace mode"
P="100.$((64 + RDS_NET))"
H=$(printf %s "$RDS_HOME" | sha256sum | cut -c1-8)
ok 0 "region up in namespace mode (block $P.0.0/16)"

# ---- the partition primitive by hand -------------------------------------------
NS_A=rdsim-$H-us-east-1a
NS_B=rdsim-$H-us-east-1b
check "partition us-east-1a" "$ROOT/scripts/region.sh" partition us-east-1a
like "$(ip -n "$NS_A" route)" "blackhole $P\.0\.1 " "host a blackholes the gateway"
like "$(ip -n "$NS_B" route)" "blackhole $P\.1\.0/24" "host b blackholes host a's nodes"
ip netns exec "$NS_A" timeout 3 bash -c "exec 3<>/dev/tcp/$P.0.1/$RDS_API_PORT" 2>/dev/null
isnt $? 0 "host a cannot reach the controlplane"
check "unpartition us-east-1a" "$ROOT/scripts/region.sh" unpartition us-east-1a
blackholes() {
  local az
  for az in a b c; do ip -n "rdsim-$H-us-east-1$az" route | grep blackhole || true; done
}
is "$(blackholes)" "" "no blackhole route is left after unpartition"
like "$(ip -n "$NS_B" route)" "$P\.1\.0/24 via $P\.0\.11 " "host b routes to host a again"
# The agent whose heartbeat failed at the cut heartbeats again (its request
# had stayed in flight for good, libevent never completing it).
hb_back() { grep 'heartbeat' "$RDS_HOME/logs/agent-us-east-1a.log" | tail -1 | grep -q 'heartbeat ok'; }
poll 20 hb_back
ok $? "host a's agent heartbeats again after the heal"

# ---- the instance --------------------------------------------------------------
out=$(create_instance nf --multi-az --dns-ttl 1)
ok $? "create-db-instance --multi-az"
poll 180 status_is nf available
ok $? "nf becomes available" || bail "no Multi-AZ instance: the rest cannot run"

# ---- the mix -------------------------------------------------------------------
KINDS=partition-primary,partition-standby,partition-controlplane,az-outage,flap,partition-relaxed,latency,loss
J=$RDS_HOME/chaos-net.json
rdsctl chaos --db-instance-identifier nf --master-user-password "$T_PASS" --faults 9 --seed 17 \
  --kinds "$KINDS" --timeout-per-fault 90 --json "$J" 2>&1 | sed 's/^/#   /'
ok "${PIPESTATUS[0]}" "rdsctl chaos --kinds $KINDS --faults 9: exit 0"

is "$(jq -r '.Totals.FaultsInjected' "$J")" 9 "9 faults injected"
is "$(jq -r '[.Faults[] | select(.Recovered)] | length' "$J")" 9 "every fault recovered"
is "$(jq -r '[.Faults[] | select(.Healed and .HealedSeconds != null)] | length' "$J")" 9 \
  "every fault was healed"
is "$(jq -r '[.Faults[].Kind] | unique | length' "$J")" 8 "every network kind ran"
is "$(jq -r '.Totals.MissingWrites' "$J")" 0 "no acknowledged write missing"
is "$(jq -r '.Totals.FencedAcks' "$J")" 0 "no write acknowledged by a fenced node"
like "$(jq -r '.Totals.AcknowledgedWrites' "$J")" '^[1-9][0-9]*$' "writes were acknowledged"
kind_all() { jq -r --arg k "$1" "[.Faults[] | select(.Kind == \$k) | $2] | all" "$J"; }
is "$(kind_all partition-primary .FailedOver)" true "partition-primary failed over"
is "$(kind_all az-outage .FailedOver)" true "az-outage failed over"
is "$(kind_all loss .FailedOver)" true "loss (100 %, the link up): failed over like a dead link"
is "$(kind_all latency '.FailedOver | not')" true "latency (100 ms each way): no failover on a slow link"
is "$(kind_all partition-controlplane '.FailedOver | not')" true \
  "partition-controlplane: no failover while the controlplane was cut off"
is "$(kind_all partition-controlplane '.DetectionSeconds == null and .RecoverySeconds == null')" \
  true "partition-controlplane: no Multi-AZ event either (sync never relaxed, before or after the heal)"
is "$(kind_all partition-standby '.FailedOver | not')" true "partition-standby: no failover"
is "$(kind_all partition-relaxed '.FailedOver | not')" true \
  "partition-relaxed: no failover with sync relaxed (nothing promotable)"
# The primary went on acknowledging writes through the relaxed partition:
# the clients still reached it, and the writes are all there (above).
is "$(kind_all partition-relaxed '.ClientDowntimeSeconds != null')" true \
  "partition-relaxed: the clients' downtime is measured"

# ---- nothing of the faults is left ---------------------------------------------
is "$(blackholes)" "" "no blackhole route is left in any host"
links=$(ip -n "rdsim-$H-sw" -o link show | grep -E '(uplink|h[0-9])@' | grep -c 'state DOWN' || true)
is "$links" 0 "every bridge port is up"
unlike_shaped() { ! "$ROOT/scripts/region.sh" status | grep -q 'delay\|loss'; }
unlike_shaped
ok $? "no link is left delayed or lossy"
is "$(status_of nf)" available "nf is available at the end"

check "region down" region_stop
done_testing
