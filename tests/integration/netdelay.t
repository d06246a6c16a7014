#!/usr/bin/env bash
# Latency and loss on a host's link (issue 17 part 2): `region.sh netdelay
# AZ MS` / `netloss AZ PERCENT` / `netclear AZ` in namespace mode (the
# kernel has no sch_netem: an NFQUEUE held by scripts/netdelay.py and a
# statistic drop on the region bridge, scripts/README.md "Latency and
# loss"). The mechanism: a round trip through a delayed link takes at
# least twice the delay, a 100 % loss is a dead link, the settings show in
# status, bad input is refused, a dead delayer fails open, netclear and
# down leave nothing. Then on a Multi-AZ instance: a slow link on the
# primary's host (100 ms each way) for ~10 s fails nothing over and writes
# commit; a dead one (100 % loss) does fail over; 30 % loss is reported
# (what happens depends on which packets the dice drop: only its
# deterministic part is asserted). Needs root and `ip netns`.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_netns
if ! command -v iptables >/dev/null; then
  echo "1..0 # SKIP needs iptables (scripts/install-deps.sh)"
  exit 0
fi

export RDSIM_NET=netns
region_up || bail "the region did not start in namespace mode"
P="100.$((64 + RDS_NET))"
ok 0 "region up in namespace mode (block $P.0.0/16)"

region() { "$ROOT/scripts/region.sh" "$@"; }
host_status() { region status | grep "host $1:"; }

# rtt_ms ADDR: one TCP round trip from the root namespace, in ms: a connect
# to a port nobody listens on is refused by one RST (empty: no answer in 3 s).
rtt_ms() {
  local t0 t1
  t0=$EPOCHREALTIME
  if timeout 3 bash -c "exec 3<>/dev/tcp/$1/9" 2>/dev/null; then return 1; fi
  t1=$EPOCHREALTIME
  # A timeout (124) is no answer; a refusal took one round trip.
  awk -v a="$t0" -v b="$t1" 'BEGIN { d = (b - a) * 1000; if (d < 2900) printf "%d", d }'
}

# ---- the mechanism, on host c (no node there yet) ----------------------------

C=$P.0.13
base=$(rtt_ms "$C")
like "$base" '^[0-9]+$' "host c answers a connect at once before shaping (${base} ms)"
check "netdelay us-east-1c 100" region netdelay us-east-1c 100
dpid=$(cat "$RDS_HOME/netdelay-us-east-1c.pid")
like "$(host_status us-east-1c)" "link up, delay 100 ms\$" "status shows the delay"
r=$(rtt_ms "$C")
like "$r" '^[0-9]+$' "host c still answers through the delay"
# A lower bound only: the delay cannot be shorter, a loaded machine longer.
[ -n "$r" ] && [ "$r" -ge 200 ]
ok $? "a round trip takes at least 2 x 100 ms ($r ms): both directions are delayed"
other=$(rtt_ms "$P.0.12")
like "$other" '^[0-9]+$' "host b is not delayed by host c's shaping (${other} ms)"
[ -n "$other" ] && [ "$other" -lt 200 ]
ok $? "... its round trip is under the 200 ms host c's takes"

check "netloss us-east-1c 100" region netloss us-east-1c 100
like "$(host_status us-east-1c)" "delay 100 ms, loss 100 %\$" "status shows delay and loss together"
is "$(rtt_ms "$C")" "" "100 % loss: host c does not answer at all"
check "netloss us-east-1c 30" region netloss us-east-1c 30
like "$(host_status us-east-1c)" "loss 30 %\$" "a new loss replaces the old one"
check "netclear us-east-1c" region netclear us-east-1c
like "$(host_status us-east-1c)" "link up\$" "netclear: status shows no shaping"
like "$(rtt_ms "$C")" '^[0-9]+$' "host c answers again"
poll 10 gone "$dpid"
ok $? "netclear stopped the delayer"

# Bad input: usage errors (exit 2), nothing changed.
for args in "netdelay us-east-1c abc" "netdelay us-east-1c -5" "netdelay us-east-1c 99999999999999999999" "netdelay zz 5" \
  "netloss us-east-1c 101" "netloss us-east-1c" "netclear nowhere"; do
  # shellcheck disable=SC2086 # the words are the arguments
  region $args >/dev/null 2>&1
  is $? 2 "region.sh $args: usage error (exit 2)"
done
like "$(host_status us-east-1c)" "link up\$" "and nothing was shaped"

# Fail open: a delayer that dies leaves the link fast, never cut.
check "netdelay us-east-1c 300" region netdelay us-east-1c 300
dpid=$(cat "$RDS_HOME/netdelay-us-east-1c.pid")
kill -KILL "$dpid"
poll 10 gone "$dpid"
like "$(host_status us-east-1c)" "delay 300 ms \(delayer not running: not delayed\)" \
  "status says the delayer is gone"
r=$(rtt_ms "$C")
[ -n "$r" ] && [ "$r" -lt 600 ]
ok $? "the link passes packets at once without its delayer ($r ms, not >= 600)"
check "netclear after a dead delayer" region netclear us-east-1c

# ---- a Multi-AZ instance -------------------------------------------------------

describe() { rdsctl describe-db-instances --db-instance-identifier "$1" | jq -r ".DBInstances[0]$2"; }
iso_now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
# event_since ID MESSAGE-PREFIX ISO: an event of ID with that message at or after ISO.
event_since() {
  rdsctl describe-events --source-identifier "$1" --source-type db-instance --duration 60 |
    jq -e --arg m "$2" --arg t "$3" \
      'any(.Events[]; (.Message | startswith($m)) and .Date >= $t)' >/dev/null
}
failed_over_since() {
  event_since "$1" "Multi-AZ instance failover started" "$2" ||
    event_since "$1" "Multi-AZ instance failover completed" "$2"
}
write_ok() {
  local addr
  addr=$(resolve "$(endpoint_of "$1")") && [ -n "$addr" ] &&
    timeout 10 env PGPASSWORD="$T_PASS" PGCONNECT_TIMEOUT=8 "$PG_BIN/psql" -X -q -At \
      "host=$addr port=5432 user=$T_USER dbname=postgres" \
      -c "CREATE TABLE IF NOT EXISTS t (at timestamptz); INSERT INTO t VALUES (now())"
}
retrans() { nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ { print $2 }'; }

check "create maz --multi-az" create_instance maz --multi-az --dns-ttl 1
poll 240 status_is maz available
ok $? "maz becomes available" || bail "no Multi-AZ instance"
poll 60 event_since maz "Multi-AZ instance recovery completed" "1970"
ok $? "its standby is synchronous (RDS-EVENT-0053)"
az=$(describe maz .AvailabilityZone)
like "$az" '^us-east-1[abc]$' "the primary is in $az"

# Latency: 100 ms each way on the primary's host for ~10 s.
since=$(iso_now)
check "netdelay $az 100 (the primary's host)" region netdelay "$az" 100
n=0 fails=0 t_end=$((SECONDS + 10))
while [ $SECONDS -lt $t_end ]; do
  if write_ok maz >/dev/null 2>&1; then n=$((n + 1)); else fails=$((fails + 1)); fi
done
is "$fails" 0 "every write over the slow link committed ($n writes in ~10 s)"
[ "$n" -gt 0 ]
ok $? "writes were made ($n)"
failed_over_since maz "$since"
isnt $? 0 "no failover on a slow link (no RDS-EVENT-0013/0049)"
is "$(describe maz .AvailabilityZone)" "$az" "the primary stayed in $az"
is "$(status_of maz)" available "maz stayed available"
check "netclear $az" region netclear "$az"

# Loss 30 %: report what the dice did; assert only that it heals.
since=$(iso_now)
r0=$(retrans)
check "netloss $az 30" region netloss "$az" 30
n=0 fails=0 t_end=$((SECONDS + 10))
while [ $SECONDS -lt $t_end ]; do
  if write_ok maz >/dev/null 2>&1; then n=$((n + 1)); else fails=$((fails + 1)); fi
done
r1=$(retrans)
fo=no
failed_over_since maz "$since" && fo=yes
diag "30 % loss each way for ~10 s: $n writes committed, $fails failed, $((r1 - r0)) TCP segments retransmitted from the root namespace, failover: $fo"
check "netclear $az" region netclear "$az"
poll 120 status_is maz available
ok $? "maz is available again after the lossy link heals"
az=$(describe maz .AvailabilityZone)
poll 60 write_ok maz
ok $? "writes commit again"

# A dead link: 100 % loss on the primary's host fails over. Only from a
# healthy Multi-AZ state: a standby that pg_stat_replication shows as sync
# but that the controlplane has not yet seen streaming on 3 probes in a row
# (ha.c's HA_SYNC_STREAK) may not be promoted, and a primary lost before
# then is left to its own host (no failover, by design). Whether the lossy
# link failed over or cost the standby (0052), RDS-EVENT-0053 is the last
# Multi-AZ event once failover is possible again.
ha_recovered() {
  rdsctl describe-events --source-identifier maz --source-type db-instance --duration 60 |
    jq -e '[.Events[] | select(.Message | startswith("Multi-AZ instance"))] | last |
      .Message | startswith("Multi-AZ instance recovery completed")' >/dev/null
}
poll 120 ha_recovered
ok $? "Multi-AZ is healthy again before the next fault (RDS-EVENT-0053 is the last)"
since=$(iso_now)
check "netloss $az 100 (the primary's host: a dead link)" region netloss "$az" 100
poll 60 event_since maz "Multi-AZ instance failover started" "$since"
ok $? "a dead link fails over (RDS-EVENT-0013)"
poll 60 event_since maz "Multi-AZ instance failover completed" "$since"
ok $? "RDS-EVENT-0049"
isnt "$(describe maz .AvailabilityZone)" "$az" "the primary left $az"
poll 60 write_ok maz
ok $? "writes commit on the new primary"
check "netclear $az" region netclear "$az"

# ---- down leaves nothing ---------------------------------------------------------

check "netdelay us-east-1c 50 before down" region netdelay us-east-1c 50
dpid=$(cat "$RDS_HOME/netdelay-us-east-1c.pid")
check "region down" region_stop
poll 10 gone "$dpid"
ok $? "down ended the delayer"
[ ! -e "$RDS_HOME/netdelay-us-east-1c.pid" ]
ok $? "and removed its pid file"
H=$(printf %s "$RDS_HOME" | sha256sum | cut -c1-8)
is "$(ip netns list | grep -F "rdsim-$H-" || true)" "" "no namespace of the region is left"

done_testing
