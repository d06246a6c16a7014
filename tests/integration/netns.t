#!/usr/bin/env bash
# Namespace mode (issue 17 part 1): a region whose AZ hosts are network
# namespaces on a region bridge (scripts/region.sh, README "Network
# modes"). Its nodes listen on the region block's addresses inside their
# host's namespace only (nothing on 127.x, nothing in the root namespace);
# the controlplane, DNS and clients reach them by routing; cutting one
# host's link makes its node unreachable while the other AZ's stays
# reachable, and healing it brings it back; the agents' door on the
# gateway (the one new listener) refuses unsigned requests and is the only
# thing a host can reach there; a crashed run's namespaces are swept;
# `down` and the cleanup leave no namespace, veth or marker behind.
# Needs root and `ip netns`; skipped otherwise.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_netns

export RDSIM_NET=netns
region_up || bail "the region did not start in namespace mode"
P="100.$((64 + RDS_NET))"
H=$(printf %s "$RDS_HOME" | sha256sum | cut -c1-8)
NS_A=rdsim-$H-us-east-1a
NS_B=rdsim-$H-us-east-1b
ok 0 "region up in namespace mode (block $P.0.0/16)"

st=$("$ROOT/scripts/region.sh" status)
like "$st" "network: netns \(block $P\.0\.0/16" "status shows the namespace mode and block"
like "$st" "host us-east-1a: namespace $NS_A, nodes $P\.1\.0/24, link up" "status shows host a's namespace"
nslist=$(ip netns list)
for az in a b c; do
  like "$nslist" "rdsim-$H-us-east-1$az" "namespace of host us-east-1$az exists"
done
like "$nslist" "rdsim-$H-sw" "the bridge's namespace exists"

# The agent runs inside its host's namespace, not the root one.
netns_of() { readlink "/proc/$1/ns/net"; }
ns_inode() { ip netns exec "$1" readlink /proc/self/ns/net; }
is "$(netns_of "$(agent_pid us-east-1a)")" "$(ns_inode "$NS_A")" "agent us-east-1a runs in $NS_A"
isnt "$(netns_of "$(agent_pid us-east-1a)")" "$(netns_of $$)" "not in the root namespace"

# ---- two instances, one per AZ ----------------------------------------------
check "create ia in us-east-1a" create_instance ia --availability-zone us-east-1a
check "create ib in us-east-1b" create_instance ib --availability-zone us-east-1b
poll 120 status_is ia available
ok $? "ia becomes available"
poll 120 status_is ib available
ok $? "ib becomes available"
A=$(resolve "$(endpoint_of ia)")
B=$(resolve "$(endpoint_of ib)")
like "$A" "^$P\.1\.[0-9]+\$" "ia's endpoint resolves to a namespace address of host a ($A)"
like "$B" "^$P\.2\.[0-9]+\$" "ib's endpoint resolves to a namespace address of host b ($B)"
is "$(psql_at "$A" 'select inet_server_addr()')" "$A" "psql reaches ia at $A by routing"
is "$(psql_at "$B" 'select inet_server_addr()')" "$B" "psql reaches ib at $B"
is "$(psql_at "$A" 'select inet_client_addr()')" "$P.0.1" "a root-namespace client arrives from the gateway $P.0.1"

# Nothing of the nodes in the root namespace: no listener, no local address,
# and the loopback twin of the address is nobody.
root_5432=$(ss -Hltn "sport = :5432" | awk '{ print $4 }' | grep -F "$P." || true)
is "$root_5432" "" "no node listens in the root namespace"
like "$(ip netns exec "$NS_A" ss -Hltn "sport = :5432")" "$A:5432" "ia listens inside $NS_A"
like "$(ip route get "$A")" "via $P\.0\.11 " "the root namespace routes $A via host a's link"
twin="127.${A#100.}"
psql_at "$twin" 'select 1' >/dev/null 2>&1
isnt $? 0 "ia is not reachable at $twin"
# Host b cannot bind host a's addresses: they are local in $NS_A only.
like "$(ip netns exec "$NS_B" ip route get "$A")" "via $P\.0\.11 " "host b routes to ia through the bridge"

# ---- the partition primitive ------------------------------------------------
check "netcut us-east-1a" "$ROOT/scripts/region.sh" netcut us-east-1a
like "$("$ROOT/scripts/region.sh" status)" "host us-east-1a: .*link down" "status shows host a's link down"
PGCONNECT_TIMEOUT=2 psql_at "$A" 'select 1' >/dev/null 2>&1
isnt $? 0 "ia is unreachable from the root namespace while its link is cut"
is "$(psql_at "$B" 'select 1')" 1 "ib in the other AZ stays reachable"
ip netns exec "$NS_B" timeout 3 bash -c "exec 3<>/dev/tcp/$A/5432" 2>/dev/null
isnt $? 0 "host b cannot reach ia either"
check "netheal us-east-1a" "$ROOT/scripts/region.sh" netheal us-east-1a
ia_back() { [ "$(psql_at "$A" 'select 1')" = 1 ]; }
poll 30 ia_back
ok $? "ia reachable again once healed"
poll 60 status_is ia available
ok $? "ia is available after the heal"

# ---- the agents' door on the gateway (the one new listener) -------------------
from_ns() { ip netns exec "$NS_A" "$@"; }
code=$(from_ns curl -s -m 5 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  --data '{"agent_id":"us-east-1a","az":"us-east-1a","addr_base":"'"$P"'.1","nodes":[]}' \
  "http://$P.0.1:$RDS_API_PORT/agent/v1/heartbeat")
is "$code" 401 "an unsigned heartbeat from a host namespace is refused (401)"
code=$(from_ns curl -s -m 5 -o /dev/null -w '%{http_code}' \
  --data 'Action=DeleteDBInstance&DBInstanceIdentifier=ib&SkipFinalSnapshot=true' \
  "http://$P.0.1:$RDS_API_PORT/")
like "$code" '^4[0-9][0-9]$' "an unsigned API call through the gateway is refused ($code)"
is "$(status_of ib)" available "and changed nothing"
from_ns dig +time=1 +tries=1 @"$P.0.1" -p "$RDS_DNS_PORT" "$(endpoint_of ia)" >/dev/null 2>&1
isnt $? 0 "the DNS server's own port is not reachable from a host namespace (loopback only)"
gw=$(ss -Hltn | awk '{ print $4 }' | grep -F "$P." | sort -t: -k2n | tr '\n' ' ')
is "$gw" "$P.0.1:53 $P.0.1:$RDS_API_PORT " "the gateway listens on TCP for the API port and DNS (53) only"
gwu=$(ss -Hlun | awk '{ print $4 }' | grep -F "$P." | sort -u | tr '\n' ' ')
is "$gwu" "$P.0.1:53 " "and on UDP for DNS (53) only"

# ---- the clients' host: resolv.conf names the gateway's DNS ---------------------
CL=rdsim-$H-cl
like "$(ip netns list)" "$CL" "the clients' namespace exists"
like "$("$ROOT/scripts/region.sh" status)" "clients: namespace $CL at $P\.0\.5, DNS $P\.0\.1:53" \
  "status shows the clients' host"
client() { "$ROOT/scripts/region.sh" client "$@"; }
is "$(client getent ahostsv4 "$(endpoint_of ia)" | awk 'NR == 1 { print $1 }')" "$A" \
  "glibc on the clients' host resolves ia's endpoint through resolv.conf"
is "$(client dig +short @"$P.0.1" "$(endpoint_of ib)" | tail -1)" "$B" "dig @$P.0.1 port 53 answers too"
is "$(client env PGPASSWORD="$T_PASS" PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -XAtq \
  "host=$(endpoint_of ia) user=$T_USER dbname=postgres" -c 'select inet_client_addr()')" \
  "$P.0.5" "psql on the clients' host reaches ia by name, from $P.0.5"
is "$(client "$ROOT/bin/rdsctl" describe-db-instances --db-instance-identifier ib |
  jq -r '.DBInstances[0].DBInstanceStatus')" available "rdsctl on the clients' host signs through the gateway"
# Hostile packets at the gateway's DNS: garbage and a truncated header.
client bash -c "printf '\\x00\\x01garbage' >/dev/udp/$P.0.1/53; printf '\\xff' >/dev/udp/$P.0.1/53" || true
is "$(client dig +short +time=2 +tries=1 @"$P.0.1" "$(endpoint_of ib)" | tail -1)" "$B" \
  "the gateway's DNS answers after hostile packets"

# ---- a crash: kill -9 of everything, then up again ----------------------------
for p in $(cp_pid) $(agent_pid us-east-1a) $(agent_pid us-east-1b) $(agent_pid us-east-1c); do
  kill -KILL "$p"
done
poll 10 gone "$(cp_pid)"
check "region.sh up after kill -9 reuses the network" region_restart
poll 60 ia_back
ok $? "ia reachable after the restart"
is "$(psql_at "$B" 'select 1')" 1 "ib reachable after the restart"

# A crashed run elsewhere: its home is gone, its namespaces and marker left.
ip netns add rdsim-0badcafe-sw
mkdir -p /run/rdsim-netns
echo /nonexistent/rdsim-home >/run/rdsim-netns/0badcafe
check "up sweeps a crashed run's namespaces" region_restart
ns_left() { ip netns list | grep -q rdsim-0badcafe; }
! ns_left
ok $? "the stale namespace is gone"
[ ! -e /run/rdsim-netns/0badcafe ]
ok $? "and its marker"

# ---- down leaves nothing ------------------------------------------------------
check "region down" region_stop
nslist=$(ip netns list | grep -F "rdsim-$H-" || true)
is "$nslist" "" "no namespace of the region is left"
links=$(ip -o link show | grep -F "rdsr$H" || true)
is "$links" "" "no veth of the region is left in the root namespace"
addrs=$(ip -4 -o addr show | grep -F " $P.0.1/" || true)
is "$addrs" "" "the gateway address is gone"
routes=$(ip route | grep -F "$P." || true)
is "$routes" "" "no route to the block is left"
[ ! -e "/run/rdsim-netns/$H" ]
ok $? "no marker is left"
[ ! -e "/etc/netns/$CL" ]
ok $? "no resolv.conf of the clients' host is left"
procs=$(our_postgres)
is "$procs" "" "no postgres of the region runs"

done_testing
