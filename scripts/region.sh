#!/usr/bin/env bash
# Starts, stops and shows a local region: one rds-controlplane and one
# rds-agent per Availability Zone, all under $RDS_HOME.
#
#   scripts/region.sh up       start whatever is not running (idempotent; also
#                              how to recover after kill -9 of any process)
#   scripts/region.sh down     stop everything, PostgreSQL servers included
#   scripts/region.sh status   show what runs (and the network mode)
#   scripts/region.sh netcut AZ / netheal AZ
#                              namespace mode: take the AZ host's link to the
#                              region bridge down / up again (the partition
#                              primitive; README "Network modes"); AZ
#                              `controlplane` is the root namespace's link
#                              (the bridge's uplink port): every host and
#                              the clients lose the controlplane and its DNS
#   scripts/region.sh partition AZ / unpartition AZ
#                              namespace mode: cut the AZ host from the
#                              controlplane and from the other hosts, by
#                              blackhole routes on both sides, while the
#                              clients' host still reaches it
#   scripts/region.sh netdelay AZ MS / netloss AZ PERCENT / netclear AZ
#                              namespace mode: delay (MS each way) or drop
#                              (PERCENT of the packets each way) on the AZ
#                              host's link; netclear removes both (a cut
#                              link stays cut: that is netheal's)
#   scripts/region.sh client CMD [ARG...]
#                              namespace mode: run CMD on the clients' host
#                              (rdsim-<hash>-cl, P.0.5), whose resolv.conf
#                              names the region's DNS at P.0.1:53
#
# Environment (defaults): RDS_HOME (./run), RDS_API_PORT (8780; 0 picks a
# free port), RDS_DNS_PORT (8753; 0 likewise), RDS_REGION (us-east-1),
# RDS_NET (0: AZ n's hosts get 127.$RDS_NET.n.x; pick another to run
# regions side by side), RDS_DNS_TTL (5), RDS_LOG_LEVEL (info),
# RDS_DELIVERY_RETRY_MS (1000: SNS's first retry delay), RDS_CP_ARGS
# (more controlplane flags, e.g. "--storage-unit-mib 1"). A restart
# in an existing home (after a crash) reuses the ports and network the
# region had unless they are given; the ports in use land in
# $RDS_HOME/region.env.
#
# Credentials: the controlplane makes the region administrator's access
# key on first start and writes $RDS_HOME/aws/credentials and
# $RDS_HOME/aws/config (profile rdsim, with region and endpoint_url), 0600
# in a 0700 directory; region.env exports AWS_SHARED_CREDENTIALS_FILE,
# AWS_CONFIG_FILE and AWS_PROFILE, so `. run/region.env; aws rds ...`
# signs with them. The agents get only the path of $RDS_HOME/aws/agent.env
# (a key allowed nothing but kms:Decrypt, for restores), never a key in
# their own environment, which PostgreSQL inherits.
#
# A home PostgreSQL cannot reach (as root, a clone in /root, mode 0700):
# the nodes' trees must be traversable by the pg user, and the store must
# stay root's. So when the pg user cannot traverse $RDS_HOME, `up` keeps
# the store, keys, credentials and logs in $RDS_HOME and puts only the
# agents' trees in $RDS_NODE_ROOT/<hash of the home's path>/agents
# (default /var/lib/rdsim; root's, 0711), with $RDS_HOME/agents a symlink
# to it, and the PAM module PostgreSQL loads in .../lib. See the README.
#
# Network modes (README "Network modes"): RDSIM_NET=loopback (every host a
# 127.$RDS_NET.n range on the machine's loopback) or RDSIM_NET=netns (each
# AZ host in a network namespace of its own, joined to the region's bridge;
# needs root and `ip netns`). Unset: the mode the home was made in, else
# loopback. In namespace mode RDS_NET (0..63) picks the region's block
# 100.(64+RDS_NET).0.0/16 out of 100.64.0.0/10 (shared address space, never
# routed on the machine's own network):
#   P.0.0/24   the region's link network on the bridge: the root namespace's
#              end P.0.1 (the controlplane's address for agents, the source
#              of its probes and backups; the API and DNS on port 53 there),
#              the clients' host P.0.5, host n's end P.0.(10+n);
#   P.n.0/24   AZ n's node addresses, local inside host n's namespace only
#              (a `local` route on its lo), routed via P.0.(10+n) from the
#              root namespace and from the other hosts.
# The namespaces are rdsim-<hash of the home>-sw (the bridge) and
# rdsim-<hash>-<az> (a host); the root namespace holds only the veth
# rdsr<hash>, whose peer is in -sw, so deleting the namespaces removes every
# link of the region. `down` deletes them; `up` first removes those of any
# home that no longer exists (a crashed run's, see /run/rdsim-netns).
#
# A failed `up` stops the processes it started itself (and only those).
set -Eeuo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin=${RDS_BIN:-$here/bin}
home=${RDS_HOME:-./run}
mkdir -p "$home"
home=$(cd "$home" && pwd)
# Empty means "not given": a restart then reuses the ports the region had.
api_port=${RDS_API_PORT:-}
dns_port=${RDS_DNS_PORT:-}
region=${RDS_REGION:-us-east-1}
# The hosts' network is part of the region: agents restarted later must
# get the same addresses, so the first `up` records it.
if [ -z "${RDS_NET:-}" ] && [ -f "$home/net.env" ]; then
  # shellcheck disable=SC1091
  . "$home/net.env"
fi
net=${RDS_NET:-0}
# The mode is part of the home too (its store's VPC is that mode's), read
# whether or not RDS_NET was given.
recorded_mode=
if [ -f "$home/net.env" ]; then
  recorded_mode=$(sed -n 's/^RDS_NETMODE=\(loopback\|netns\)$/\1/p' "$home/net.env")
fi
mode=${RDSIM_NET:-${recorded_mode:-loopback}}
case $mode in
  loopback | netns) ;;
  *) echo "region: RDSIM_NET must be loopback or netns, not $mode" >&2; exit 2 ;;
esac
log_level=${RDS_LOG_LEVEL:-info}
azs=("${region}a" "${region}b" "${region}c")

# ---- namespace mode ---------------------------------------------------------

nshash=$(printf %s "$home" | sha256sum | cut -c1-8)
ns_sw=rdsim-$nshash-sw
ns_cl=rdsim-$nshash-cl
root_if=rdsr$nshash
netns_marks=/run/rdsim-netns
ns_of() { echo "rdsim-$nshash-$1"; }
block() { echo "100.$((64 + net))"; }

# netns_usable: root, and a namespace can be made and entered here.
netns_usable() {
  [ "$(id -u)" = 0 ] || return 1
  local probe=rdsim-probe-$$
  ip netns add "$probe" 2>/dev/null || return 1
  ip netns exec "$probe" true 2>/dev/null
  local rc=$?
  ip netns del "$probe" 2>/dev/null || true
  return $rc
}

ns_exists() { [ -e "/run/netns/$1" ]; }

# ns_delete NS: ends what still runs in NS (a postgres a crashed agent left)
# and deletes it, with its links.
ns_delete() {
  ns_exists "$1" || return 0
  local pid
  for pid in $(ip netns pids "$1" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  ip netns del "$1" 2>/dev/null || true
  rm -rf "/etc/netns/$1"
}

# netns_sweep: a crashed run's namespaces (their home is gone) are removed
# before they can hold an address block another region wants.
netns_sweep() {
  local mark h old
  for mark in "$netns_marks"/*; do
    [ -f "$mark" ] || continue
    h=${mark##*/}
    old=$(cat "$mark")
    [ -d "$old" ] && continue
    for ns in /run/netns/rdsim-"$h"-*; do [ -e "$ns" ] && ns_delete "${ns##*/}"; done
    ip link del "rdsr$h" 2>/dev/null || true
    rm -f "$mark"
  done
}

# vpc_onlink NS DEV: the whole VPC on-link on NS's link to the bridge
# (NS empty: the root namespace). A custom subnet's addresses (ec2
# create-subnet) are made local on its AZ's host by the agent as it starts
# a node there (agent/hostaddr.h), and a host answers ARP for its local
# addresses (arp_ignore 0), so they need no route of their own anywhere:
# nothing to add when a subnet is made, nothing lost by kill -9 or a
# restart, and netcut cuts them with their host. The default subnets keep
# their `via` routes, more specific.
vpc_onlink() {
  ip ${1:+-n "$1"} route replace "$(block).0.0/16" dev "$2" scope link
}

# netns_up: the bridge, one namespace per AZ host, the veths, addresses and
# routes; idempotent (what exists is kept: a postgres may run inside).
netns_up() {
  local p i j az ns
  p=$(block)
  netns_sweep
  mkdir -p "$netns_marks"
  printf '%s\n' "$home" >"$netns_marks/$nshash"
  if ! ns_exists "$ns_sw"; then
    # Another region (another home) must not hold this block.
    if ip -4 addr show | grep -q " $p\.0\.1/"; then
      echo "region: $p.0.0/16 is used by another region; pick another RDS_NET (0..63)" >&2
      return 1
    fi
    ip netns add "$ns_sw"
  fi
  # Each step below is idempotent, so an `up` interrupted half-way (or
  # after kill -9) completes the network on the next `up`.
  ip -n "$ns_sw" link set lo up
  ip -n "$ns_sw" link show br0 >/dev/null 2>&1 || ip -n "$ns_sw" link add br0 type bridge
  ip -n "$ns_sw" link set br0 up
  ip link show "$root_if" >/dev/null 2>&1 ||
    ip link add "$root_if" type veth peer name uplink netns "$ns_sw"
  ip -n "$ns_sw" link set uplink master br0
  ip -n "$ns_sw" link set uplink up
  ip addr replace "$p.0.1/24" dev "$root_if"
  ip link set "$root_if" up
  vpc_onlink "" "$root_if"
  client_ns_up "$p"
  i=1
  for az in "${azs[@]}"; do
    ns=$(ns_of "$az")
    ns_exists "$ns" || ip netns add "$ns"
    ip -n "$ns" link set lo up
    if ! ip -n "$ns_sw" link show "h$i" >/dev/null 2>&1; then
      ip -n "$ns" link del eth0 2>/dev/null || true
      ip -n "$ns_sw" link add "h$i" type veth peer name eth0 netns "$ns"
    fi
    ip -n "$ns_sw" link set "h$i" master br0
    ip -n "$ns_sw" link set "h$i" up
    ip -n "$ns" addr replace "$p.0.$((10 + i))/24" dev eth0
    ip -n "$ns" link set eth0 up
    vpc_onlink "$ns" eth0
    # The host's node range is local here and nowhere else. Its source is
    # the host's link address: a connection from this host to a node on
    # it (a replica of a replica, pg_rewind) comes from the region's own
    # block, as from 127.0.0.1 on loopback, not from the node's address.
    ip -n "$ns" route replace local "$p.$i.0/24" dev lo src "$p.0.$((10 + i))"
    ip route replace "$p.$i.0/24" via "$p.0.$((10 + i))" dev "$root_if"
    j=1
    for _ in "${azs[@]}"; do
      [ $j = $i ] || ip -n "$ns" route replace "$p.$j.0/24" via "$p.0.$((10 + j))" dev eth0
      j=$((j + 1))
    done
    i=$((i + 1))
  done
}

# client_ns_up P: the clients' host, rdsim-<hash>-cl at P.0.5 on the bridge:
# a machine in the VPC that is neither the controlplane nor a DB host, so a
# partition can cut a host from the controlplane and keep it reachable from
# clients (the chaos harness's writers, the lab's runtimes run here). Its
# resolv.conf (ip netns exec mounts /etc/netns/NS/*) names the region's DNS
# on the gateway, port 53; the API is at the gateway too (signed requests).
client_ns_up() {
  local p=$1 j=1
  ns_exists "$ns_cl" || ip netns add "$ns_cl"
  ip -n "$ns_cl" link set lo up
  if ! ip -n "$ns_sw" link show c0 >/dev/null 2>&1; then
    ip -n "$ns_cl" link del eth0 2>/dev/null || true
    ip -n "$ns_sw" link add c0 type veth peer name eth0 netns "$ns_cl"
  fi
  ip -n "$ns_sw" link set c0 master br0
  ip -n "$ns_sw" link set c0 up
  ip -n "$ns_cl" addr replace "$p.0.5/24" dev eth0
  ip -n "$ns_cl" link set eth0 up
  vpc_onlink "$ns_cl" eth0
  for _ in "${azs[@]}"; do
    ip -n "$ns_cl" route replace "$p.$j.0/24" via "$p.0.$((10 + j))" dev eth0
    j=$((j + 1))
  done
  mkdir -p "/etc/netns/$ns_cl"
  printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$p.0.1" >"/etc/netns/$ns_cl/resolv.conf"
}

# client CMD...: CMD on the clients' host, with rdsctl pointed at the
# gateway (its name resolution is the region's DNS, through resolv.conf).
client() {
  [ "$mode" = netns ] || { echo "region: client needs namespace mode (RDSIM_NET=netns)" >&2; exit 2; }
  ns_exists "$ns_cl" || { echo "region: the region's network is not up" >&2; exit 1; }
  [ $# -gt 0 ] || { echo "usage: $0 client CMD [ARG...]" >&2; exit 2; }
  local port
  port=$(sed -n 's/^RDS_API_PORT=\([0-9]*\)$/\1/p' "$home/region.env" 2>/dev/null)
  [ -n "$port" ] || { echo "region: the region is not up ($home/region.env)" >&2; exit 1; }
  exec ip netns exec "$ns_cl" env RDSCTL_ENDPOINT="http://$(block).0.1:$port" \
    RDS_DNS_SERVER="$(block).0.1" RDS_DNS_PORT=53 "$@"
}

netns_down() {
  local az
  ns_delete "$ns_cl"
  for az in "${azs[@]}"; do ns_delete "$(ns_of "$az")"; done
  ns_delete "$ns_sw"
  ip link del "$root_if" 2>/dev/null || true
  rm -f "$netns_marks/$nshash"
}

# az_index AZ: 1 for the first AZ (also "a"), ... ; empty if none.
az_index() {
  local i=1 az
  for az in "${azs[@]}"; do
    if [ "$1" = "$az" ] || [ "$region$1" = "$az" ]; then echo $i; return 0; fi
    i=$((i + 1))
  done
  return 1
}

# netlink AZ up|down: the host's port on the region bridge (AZ
# `controlplane`: the root namespace's, uplink).
netlink() {
  [ "$mode" = netns ] || { echo "region: netcut/netheal need namespace mode (RDSIM_NET=netns)" >&2; exit 2; }
  ns_exists "$ns_sw" || { echo "region: the region's network is not up" >&2; exit 1; }
  if [ "${1:-}" = controlplane ]; then
    ip -n "$ns_sw" link set uplink "$2"
    echo "region: controlplane link $2"
    return 0
  fi
  local i
  i=$(az_index "${1:-}") || { echo "region: unknown AZ ${1:-} (one of ${azs[*]} or controlplane)" >&2; exit 2; }
  ip -n "$ns_sw" link set "h$i" "$2"
  echo "region: ${azs[$((i - 1))]} link $2"
}

# partition AZ on|off: host i cut from the gateway (the controlplane, its
# probes, the DNS) and from every other host, by blackhole routes in its
# namespace and the mirror routes in the others' (a blackhole for a
# locally sent packet fails the send; nothing answers, nothing is
# rejected on the wire). The clients' host (P.0.5) still reaches it: the
# split-brain case. `off` puts back the routes netns_up made. Idempotent.
partition() {
  [ "$mode" = netns ] || { echo "region: partition needs namespace mode (RDSIM_NET=netns)" >&2; exit 2; }
  local i j p ns other az
  i=$(az_index "${1:-}") || { echo "region: unknown AZ ${1:-} (one of ${azs[*]})" >&2; exit 2; }
  ns_exists "$ns_sw" || { echo "region: the region's network is not up" >&2; exit 1; }
  p=$(block)
  ns=$(ns_of "${azs[$((i - 1))]}")
  if [ "$2" = on ]; then
    ip -n "$ns" route replace blackhole "$p.0.1/32"
  else
    ip -n "$ns" route del blackhole "$p.0.1/32" 2>/dev/null || true
  fi
  j=1
  for az in "${azs[@]}"; do
    if [ "$j" != "$i" ]; then
      other=$(ns_of "$az")
      if [ "$2" = on ]; then
        ip -n "$ns" route replace blackhole "$p.0.$((10 + j))/32"
        ip -n "$ns" route replace blackhole "$p.$j.0/24"
        ip -n "$other" route replace blackhole "$p.0.$((10 + i))/32"
        ip -n "$other" route replace blackhole "$p.$i.0/24"
      else
        ip -n "$ns" route del blackhole "$p.0.$((10 + j))/32" 2>/dev/null || true
        ip -n "$ns" route replace "$p.$j.0/24" via "$p.0.$((10 + j))" dev eth0
        ip -n "$other" route del blackhole "$p.0.$((10 + i))/32" 2>/dev/null || true
        ip -n "$other" route replace "$p.$i.0/24" via "$p.0.$((10 + i))" dev eth0
      fi
    fi
    j=$((j + 1))
  done
  echo "region: ${azs[$((i - 1))]} partition $2"
}

# ---- latency and loss (README "Network modes", scripts/README.md) -----------
# The kernel here has no sch_netem, so a host's link is shaped in the
# bridge's namespace: br_netfilter passes every bridged IPv4 packet through
# that namespace's iptables FORWARD chain, where the packets into and out
# of port hN jump to the chain RDSIM-hN. Loss is a `statistic` match that
# drops (PERCENT % of the packets in each direction, like netem on both
# ends of a cable: a ping round trip then loses 1-(1-p)^2); delay is an
# NFQUEUE (queue N) that scripts/netdelay.py, running in that namespace,
# releases MS ms later (in each direction: a round trip grows by 2*MS).
# Shaping in the bridge rather than on the host's own eth0 matters: a
# packet held at a host's OUTPUT hook still belongs to its socket, and TCP
# Small Queues then lets ~2 packets per delay through (measured: 57 kB/s
# at 50 ms); past the veth it is orphaned and only the delay remains.
# The rules carry their own settings (comments), so status reads them back;
# deleting the namespace (down) deletes rules and delayer alike.
netshape_chain() { echo "RDSIM-h$1"; }
netdelay_pidfile() { echo "$home/netdelay-$1.pid"; }
sw_ipt() { ip netns exec "$ns_sw" iptables -w "$@"; }

# netshape_prepare AZ: sets $i to the AZ's index; the chain exists and the
# host's two directions jump to it.
netshape_prepare() {
  [ "$mode" = netns ] || { echo "region: netdelay/netloss/netclear need namespace mode (RDSIM_NET=netns)" >&2; exit 2; }
  i=$(az_index "${1:-}") || { echo "region: unknown AZ ${1:-} (one of ${azs[*]})" >&2; exit 2; }
  ns_exists "$ns_sw" || { echo "region: the region's network is not up" >&2; exit 1; }
  command -v iptables >/dev/null || { echo "region: netdelay/netloss need iptables (scripts/install-deps.sh)" >&2; exit 1; }
  ip netns exec "$ns_sw" sysctl -qw net.bridge.bridge-nf-call-iptables=1 || {
    echo "region: this kernel does not pass bridged packets to iptables (br_netfilter)" >&2; exit 1; }
  local c
  c=$(netshape_chain "$i")
  sw_ipt -n -L "$c" >/dev/null 2>&1 || sw_ipt -N "$c"
  sw_ipt -C FORWARD -m physdev --physdev-in "h$i" -j "$c" 2>/dev/null ||
    sw_ipt -A FORWARD -m physdev --physdev-in "h$i" -j "$c"
  sw_ipt -C FORWARD -m physdev --physdev-out "h$i" --physdev-is-bridged -j "$c" 2>/dev/null ||
    sw_ipt -A FORWARD -m physdev --physdev-out "h$i" --physdev-is-bridged -j "$c"
}

# netshape_get I delay|loss: the setting the chain's rules carry, 0 if none.
netshape_get() {
  local v
  v=$(sw_ipt -S "$(netshape_chain "$1")" 2>/dev/null | sed -n "s/.*--comment \"\{0,1\}rdsim-$2=\([0-9]*\).*/\1/p" | head -1)
  echo "${v:-0}"
}

# netshape_apply I DELAY_MS LOSS_PCT: the chain holds exactly these (loss
# first: a dropped packet is never delayed); the delayer runs iff DELAY_MS > 0.
netshape_apply() {
  local n=$1 ms=$2 pct=$3 c pf
  c=$(netshape_chain "$n")
  pf=$(netdelay_pidfile "${azs[$((n - 1))]}")
  stop_pid "$pf"
  sw_ipt -F "$c"
  if [ "$pct" -gt 0 ]; then
    if [ "$pct" -ge 100 ]; then
      sw_ipt -A "$c" -m comment --comment "rdsim-loss=$pct" -j DROP
    else
      sw_ipt -A "$c" -m comment --comment "rdsim-loss=$pct" -m statistic --mode random \
        --probability "$(printf '0.%02d' "$pct")" -j DROP
    fi
  fi
  [ "$ms" -gt 0 ] || return 0
  # --queue-bypass: with no delayer bound, packets pass at once (fail open;
  # netdelay.py invariant 2), never a silent cut.
  sw_ipt -A "$c" -m comment --comment "rdsim-delay=$ms" -j NFQUEUE --queue-num "$n" --queue-bypass
  ip netns exec "$ns_sw" setsid "$here/scripts/netdelay.py" "$n" "$ms" \
    </dev/null >>"$home/logs/netdelay.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$pf"
  # Until the delayer has bound its queue, --queue-bypass lets packets
  # through at once: return only when the delay is in effect.
  wait_for 10 queue_bound_or_dead "$n" "$pid"
  queue_bound "$n" || {
    echo "region: the delayer did not bind queue $n (see $home/logs/netdelay.log): not delayed" >&2
    exit 1
  }
}

# queue_bound N: a process holds nfnetlink queue N in the bridge's namespace.
queue_bound() {
  # shellcheck disable=SC2016 # awk's own $1
  ip netns exec "$ns_sw" awk -v q="$1" '$1 == q { f = 1 } END { exit !f }' \
    /proc/net/netfilter/nfnetlink_queue
}
queue_bound_or_dead() { queue_bound "$1" || ! running "$2"; }

# netshape AZ delay|loss|clear [VALUE]
netshape() {
  local i what=$2 val=${3:-} ms pct
  netshape_prepare "$1"
  ms=$(netshape_get "$i" delay)
  pct=$(netshape_get "$i" loss)
  case $what in
    delay)
      if ! [[ $val =~ ^[0-9]{1,5}$ ]] || ((10#$val > 60000)); then echo "region: netdelay AZ MS (0..60000)" >&2; exit 2; fi
      ms=$((10#$val)) ;;
    loss)
      if ! [[ $val =~ ^[0-9]{1,3}$ ]] || ((10#$val > 100)); then echo "region: netloss AZ PERCENT (0..100)" >&2; exit 2; fi
      pct=$((10#$val)) ;;
    clear) ms=0 pct=0 ;;
  esac
  mkdir -p "$home/logs"
  netshape_apply "$i" "$ms" "$pct"
  echo "region: ${azs[$((i - 1))]} link delay ${ms} ms, loss ${pct} %"
}

# netshape_status I AZ: ", delay N ms, loss P %" when shaped, else nothing.
netshape_status() {
  local ms pct out=
  ms=$(netshape_get "$1" delay)
  pct=$(netshape_get "$1" loss)
  if [ "$ms" -gt 0 ]; then
    out=", delay $ms ms"
    alive "$(netdelay_pidfile "$2")" || out="$out (delayer not running: not delayed)"
  fi
  [ "$pct" -gt 0 ] && out="$out, loss $pct %"
  echo "$out"
}

# A process that exists and is not a zombie: a killed process stays a
# zombie until init reaps it, and kill -0 still succeeds on one.
running() {
  local pid=$1 stat
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ]
}

alive() { [ -f "$1" ] && running "$(cat "$1")"; }
not_running() { ! running "$1"; }

# postmaster_of PID DATA: PID is a postgres running on DATA and not root's.
# postmaster.pid is the pg user's file (issue 13): whatever pid it names
# (the controlplane's, init's) must not be signalled on its word.
postmaster_of() {
  [[ $1 =~ ^[0-9]+$ ]] && [ "$(stat -c %u "/proc/$1" 2>/dev/null)" != 0 ] &&
    [ -n "$(stat -c %u "/proc/$1" 2>/dev/null)" ] &&
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "postgres -D $2 "
}

# Polls a command until it succeeds or `secs` pass; no fixed sleeps.
wait_for() {
  local secs=$1; shift
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.05
  done
}

# pg_user: the user the agents run PostgreSQL as when we are root (the
# agent's default: postgres, else nobody).
pg_user() { id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody; }

# pg_can_traverse DIR: the pg user can search DIR and all its ancestors.
pg_can_traverse() { runuser -u "$(pg_user)" -- test -x "$1" 2>/dev/null; }

# place_agents: as root, when the pg user cannot reach $home, the agents'
# trees (nodes, PostgreSQL's data) go to a root-owned, traversable
# directory outside it; $home/agents becomes a symlink there. Sets
# pam_module to a copy of the PAM module PostgreSQL can read (or empty).
pam_module=
place_agents() {
  [ "$(id -u)" = 0 ] || return 0
  pg_can_traverse "$home" && [ ! -L "$home/agents" ] && return 0
  local root=${RDS_NODE_ROOT:-/var/lib/rdsim} hash dir
  hash=$(printf %s "$home" | sha256sum | cut -c1-16)
  dir=$root/$hash
  # Root's all the way: no directory another user owns or a symlink in
  # the path we create (a pg user must not redirect root's writes).
  mkdir -p "$root" "$dir"
  local d
  for d in "$root" "$dir"; do
    if [ -L "$d" ] || [ "$(stat -c %u "$d")" != 0 ]; then
      echo "region: $d must be a directory owned by root (not a symlink)" >&2
      return 1
    fi
  done
  chmod 711 "$root" "$dir"
  if ! pg_can_traverse "$dir"; then
    echo "region: the pg user $(pg_user) cannot traverse $dir; set RDS_NODE_ROOT to a directory it can reach" >&2
    return 1
  fi
  printf '%s\n' "$home" >"$dir/home"
  if [ -L "$home/agents" ]; then
    [ "$(readlink "$home/agents")" = "$dir/agents" ] || {
      echo "region: $home/agents points to $(readlink "$home/agents"), expected $dir/agents" >&2
      return 1
    }
  elif [ -d "$home/agents" ]; then
    # A home made before (e.g. a failed first `up`): move it out once,
    # never from under a running agent.
    local az
    for az in "${azs[@]}"; do
      if alive "$home/agents/$az.pid"; then
        echo "region: agent $az runs from $home/agents, which the pg user cannot reach; run region.sh down first" >&2
        return 1
      fi
    done
    if [ -e "$dir/agents" ]; then
      echo "region: both $home/agents and $dir/agents exist; remove the one you do not need" >&2
      return 1
    fi
    mv "$home/agents" "$dir/agents"
    ln -s "$dir/agents" "$home/agents"
  else
    mkdir -p "$dir/agents"
    ln -s "$dir/agents" "$home/agents"
  fi
  if [ -f "$bin/pam_rdsim_iam.so" ]; then
    mkdir -p "$dir/lib" && chmod 755 "$dir/lib"
    install -m 644 "$bin/pam_rdsim_iam.so" "$dir/lib/pam_rdsim_iam.so"
    pam_module=$dir/lib/pam_rdsim_iam.so
  fi
  echo "region: $home is not reachable by the pg user $(pg_user); nodes live in $dir/agents"
}

# What this `up` started (pid files): stopped again if it fails.
started=()
up_failed() {
  local f
  for f in "${started[@]}"; do stop_pid "$f"; done
  [ ${#started[@]} -eq 0 ] || echo "region: stopped what this start began (${#started[@]} processes)" >&2
}

agents_registered() {
  curl -sf "http://127.0.0.1:$api_port/healthz" | grep -q "\"agents\":${#azs[@]}"
}

# Registered, or an agent has already exited (no use waiting for it).
agents_settled() {
  agents_registered && return 0
  local az
  for az in "${azs[@]}"; do alive "$home/agents/$az.pid" || return 0; done
  return 1
}

up() {
  # Interrupted or failing anywhere: stop what this start began.
  trap 'echo "region: up failed at line $LINENO: $BASH_COMMAND" >&2; up_failed' ERR
  trap 'up_failed; exit 130' INT TERM
  mkdir -p "$home/logs" "$home/controlplane"
  if [ -n "$recorded_mode" ] && [ "$recorded_mode" != "$mode" ] && [ -e "$home/controlplane/controlplane.db" ]; then
    echo "region: $home was made in $recorded_mode mode; RDSIM_NET=$mode cannot reuse it" >&2
    exit 1
  fi
  local cp_host=127.0.0.1 net_args=()
  if [ "$mode" = netns ]; then
    if ! [[ $net =~ ^[0-9]+$ ]] || [ "$net" -gt 63 ]; then
      echo "region: in namespace mode RDS_NET must be 0..63 (the block 100.(64+N).0.0/16)" >&2
      exit 2
    fi
    netns_usable || { echo "region: namespace mode needs root and a working 'ip netns'" >&2; exit 1; }
    netns_up
    cp_host=$(block).0.1
    net_args=(--vpc-cidr "$(block).0.0/16" --region-cidr "$(block).0.0/24" --agent-addr "$cp_host")
  fi
  place_agents
  mkdir -p "$home/agents"
  printf 'RDS_NET=%s\nRDS_NETMODE=%s\n' "$net" "$mode" >"$home/net.env"
  # The region's home is root's (issue 12): the store, keys, logs and
  # backups only root reads. PostgreSQL runs as an unprivileged user when
  # we are root: it may traverse (0711, no listing) the home and agents/ to
  # reach its own node directories (0700, its own) and nothing else.
  chmod 711 "$home" "$home/agents"
  chmod 700 "$home/logs" "$home/controlplane"
  if ! alive "$home/controlplane.pid"; then
    # A restarted controlplane comes back on the ports it had, so running
    # agents and clients find it again (also when the ports were ephemeral).
    if [ -f "$home/ports.env" ]; then
      local given_api=$api_port given_dns=$dns_port
      # shellcheck disable=SC1091
      . "$home/ports.env"
      [ -n "$given_api" ] && [ "$given_api" != 0 ] && api_port=$given_api || api_port=$RDS_API_PORT
      [ -n "$given_dns" ] && [ "$given_dns" != 0 ] && dns_port=$given_dns || dns_port=$RDS_DNS_PORT
    fi
    api_port=${api_port:-8780}
    dns_port=${dns_port:-8753}
    rm -f "$home/ports.env"
    # shellcheck disable=SC2086 # RDS_CP_ARGS is a list of flags
    setsid env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
      "$bin/rds-controlplane" --home "$home/controlplane" --region "$region" \
      --aws-dir "$home/aws" --certs-dir "$home/certs" \
      --api-port "$api_port" --dns-port "$dns_port" --dns-ttl "${RDS_DNS_TTL:-5}" \
      --port-file "$home/ports.env" --log-level "$log_level" \
      --delivery-retry-ms "${RDS_DELIVERY_RETRY_MS:-1000}" ${net_args[@]+"${net_args[@]}"} ${RDS_CP_ARGS:-} \
      </dev/null >>"$home/logs/controlplane.log" 2>&1 &
    echo $! >"$home/controlplane.pid"
    started+=("$home/controlplane.pid")
    if ! wait_for 20 test -s "$home/ports.env"; then
      echo "region: the controlplane did not start; see $home/logs/controlplane.log" >&2
      tail -n 3 "$home/logs/controlplane.log" | sed 's/^/  /' >&2
      up_failed
      exit 1
    fi
  fi
  # shellcheck disable=SC1091
  . "$home/ports.env"
  api_port=$RDS_API_PORT
  dns_port=$RDS_DNS_PORT
  local i=1
  # Each agent's secret (agent/README.md "Trust"): made once, kept where
  # only this user reads it; the controlplane finds it by agent id.
  local keys="$home/controlplane/agent-keys"
  (umask 077 && mkdir -p "$keys") && chmod 700 "$keys"
  for az in "${azs[@]}"; do
    if [ ! -s "$keys/$az.key" ]; then
      (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$keys/$az.key.tmp" &&
        mv "$keys/$az.key.tmp" "$keys/$az.key")
    fi
    if ! alive "$home/agents/$az.pid"; then
      mkdir -p "$home/agents/$az"
      chmod 711 "$home/agents/$az"
      # Namespace mode: the agent (and so its postgres) runs inside its
      # host's namespace and reaches the controlplane at the gateway.
      local in_ns=() base="127.$net.$i" agent_net=()
      if [ "$mode" = netns ]; then
        in_ns=(ip netns exec "$(ns_of "$az")")
        base="$(block).$i"
        agent_net=(--vpc-cidr "$(block).0.0/16" --region-addrs "$(block).0.0/24")
      fi
      ${in_ns[@]+"${in_ns[@]}"} setsid env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
        -u AWS_PROFILE -u AWS_SHARED_CREDENTIALS_FILE -u AWS_CONFIG_FILE \
        RDS_AGENT_CREDENTIALS="$home/aws/agent.env" \
        "$bin/rds-agent" --controlplane "http://$cp_host:$api_port" --az "$az" \
        --addr-base "$base" --home "$home/agents/$az" --log-level "$log_level" \
        --key-file "$keys/$az.key" ${pam_module:+--pam-module "$pam_module"} \
        ${agent_net[@]+"${agent_net[@]}"} \
        </dev/null >>"$home/logs/agent-$az.log" 2>&1 &
      echo $! >"$home/agents/$az.pid"
      started+=("$home/agents/$az.pid")
    fi
    i=$((i + 1))
  done
  wait_for 20 agents_settled || true
  if ! agents_registered; then
    echo "region: agents did not register; see $home/logs/" >&2
    tail -qn 1 "$home"/logs/agent-*.log 2>/dev/null | sed "s/^/  /" >&2
    up_failed
    exit 1
  fi
  cat >"$home/region.env" <<EOT
RDS_HOME=$home
RDS_API_PORT=$api_port
RDS_DNS_PORT=$dns_port
RDS_REGION=$region
RDS_NET=$net
RDS_NETMODE=$mode
$(if [ "$mode" = netns ]; then printf 'RDS_GATEWAY=%s\nRDS_CLIENT_NS=%s\n' "$(block).0.1" "$ns_cl"; fi)
export AWS_SHARED_CREDENTIALS_FILE=$home/aws/credentials
export AWS_CONFIG_FILE=$home/aws/config
export AWS_PROFILE=rdsim
EOT
  trap - ERR INT TERM
  echo "region $region up: API http://127.0.0.1:$api_port  DNS 127.0.0.1:$dns_port  network $mode  home $home"
}

# Stops a process by pid file: TERM, then KILL if it lingers.
stop_pid() {
  local pidfile=$1
  if alive "$pidfile"; then
    local pid
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 10 not_running "$pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

down() {
  for az in "${azs[@]}"; do stop_pid "$home/agents/$az.pid"; done
  stop_pid "$home/controlplane.pid"
  # Agents leave PostgreSQL running on purpose (a restarted agent adopts
  # it); a region going down stops every server: fast shutdown, then
  # immediate, then kill.
  local pm
  for pm in "$home"/agents/*/nodes/*/data/postmaster.pid; do
    [ -f "$pm" ] || continue
    local pid
    pid=$(head -1 "$pm")
    running "$pid" || continue
    if ! postmaster_of "$pid" "$(dirname "$pm")"; then
      echo "not signalling pid $pid named by $pm: not a postgres of that data directory" >&2
      continue
    fi
    kill -INT "$pid" 2>/dev/null || true
    if ! wait_for 15 not_running "$pid"; then
      kill -QUIT "$pid" 2>/dev/null || true
      wait_for 5 not_running "$pid" || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  # Whatever mode the home is in now: a namespace left by an earlier
  # namespace-mode run goes too.
  if [ "$(id -u)" = 0 ]; then netns_down; fi
  rm -f "$home"/netdelay-*.pid
  rm -f "$home/region.env"
  echo "region down"
}

status() {
  local state
  alive "$home/controlplane.pid" && state="running (pid $(cat "$home/controlplane.pid"))" || state="stopped"
  echo "controlplane: $state"
  for az in "${azs[@]}"; do
    alive "$home/agents/$az.pid" && state="running (pid $(cat "$home/agents/$az.pid"))" || state="stopped"
    echo "agent $az: $state"
  done
  local n=0 pm
  for pm in "$home"/agents/*/nodes/*/data/postmaster.pid; do
    [ -f "$pm" ] && running "$(head -1 "$pm")" && n=$((n + 1))
  done
  echo "postgres servers: $n"
  if [ "$mode" = netns ]; then
    local i=1 az st
    echo "network: netns (block $(block).0.0/16, controlplane at $(block).0.1; RDSIM_NET=loopback for the other mode)"
    for az in "${azs[@]}"; do
      st=missing
      if ns_exists "$(ns_of "$az")"; then
        st=$(ip -n "$ns_sw" -o link show "h$i" 2>/dev/null | grep -q 'state UP\|,UP' && echo "link up" || echo "link down")
      fi
      ns_exists "$ns_sw" && st="$st$(netshape_status "$i" "$az")"
      echo "  host $az: namespace $(ns_of "$az"), nodes $(block).$i.0/24, $st"
      i=$((i + 1))
    done
    echo "  clients: namespace $ns_cl at $(block).0.5, DNS $(block).0.1:53 (region.sh client CMD)"
  else
    echo "network: loopback (hosts 127.$net.N; RDSIM_NET=netns for namespaces)"
  fi
  [ -f "$home/region.env" ] && cat "$home/region.env"
  return 0
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  client) shift; client "$@" ;;
  netcut) netlink "${2:-}" down ;;
  netheal) netlink "${2:-}" up ;;
  partition) partition "${2:-}" on ;;
  unpartition) partition "${2:-}" off ;;
  netdelay) netshape "${2:-}" delay "${3:-}" ;;
  netloss) netshape "${2:-}" loss "${3:-}" ;;
  netclear) netshape "${2:-}" clear ;;
  *) echo "usage: $0 up|down|status|netcut AZ|netheal AZ|partition AZ|unpartition AZ|netdelay AZ MS|netloss AZ PERCENT|netclear AZ|client CMD..." >&2; exit 2 ;;
esac
