#!/usr/bin/env bash
# Issue 13, hole 5: connection floods. With only the right to open
# connections, an attacker held every API connection open by sending a
# byte a second (the 30 s timeout restarted on every byte), and at the
# descriptor limit the accept loops spun, writing hundreds of MB of log,
# while the API, DNS over TCP and every agent's heartbeat were dead.
#
# On a region whose controlplane has RLIMIT_NOFILE lowered to 200 (so 300
# clients are beyond every cap):
#  (a) the limit pushed under what the process needs (40) during a flood:
#      accept fails with EMFILE and pauses instead of spinning (CPU time
#      printed), its log lines are limited, the service is back when the
#      limit is and the flood stops;
#  (b) 300 slowloris clients (flood.py): each is closed by the server
#      within the 10 s head deadline; signed requests keep being answered
#      (p50/p99 printed), DNS answers over UDP and TCP, no agent misses a
#      heartbeat, the instance stays available, the log stays small;
# and afterwards the row written before the flood is there.
# Bounded: flood.py stops by itself; every wait is a poll.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

FLOOD="$ROOT/tests/integration/flood.py"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
log_bytes() { cat "$RDS_HOME"/logs/controlplane.log* 2>/dev/null | wc -c; }
hb_failures() { cat "$RDS_HOME"/logs/agent-*.log | grep -c 'heartbeat failed' || true; }
dns_tcp() { dig +tcp +short +time=3 +tries=1 @127.0.0.1 -p "$RDS_DNS_PORT" "$1" | tail -1; }
dns_udp() { dig +short +time=3 +tries=1 @127.0.0.1 -p "$RDS_DNS_PORT" "$1" | tail -1; }
field() { jqs "$1" ".$2"; }
# below A B: the number A is below B (and not empty).
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 < b + 0) }'; }
between() { below "$2" "$1" && below "$1" "$3"; }
# The API's count of connections closed by a deadline is at least N.
timed_out_ge() {
  local n
  n=$(curl -s -m 2 "http://127.0.0.1:$RDS_API_PORT/healthz" | jq -r '.connections.timed_out // 0')
  [ "${n:-0}" -ge "$1" ]
}
fds_ge() { [ "$(ls "/proc/$cp/fd" | wc -l)" -ge "$1" ]; }
# Lines about failed accepts: ours, and libevent's own when no error
# callback is set.
accept_lines() {
  cat "$RDS_HOME"/logs/controlplane.log* | grep -c -E 'accept failed|Error from accept' || true
}
accept_logged() { [ "$(accept_lines)" -gt "$lines0" ]; }
since_t0_ge() { below "$1" "$(elapsed "$t0" "$(now_s)")"; }
# The region's apex answers over TCP (SOA), from the controlplane's DNS.
apex_tcp() { dig +tcp +short +time=3 +tries=1 @127.0.0.1 -p "$RDS_DNS_PORT" "$RDS_REGION.rds.internal" SOA | grep -q .; }

region_up || bail "the region did not start"
ok 0 "region up"
cp=$(cp_pid)
soft0=$(prlimit --pid "$cp" --nofile -o SOFT --noheadings | tr -d ' ')
check "the controlplane's descriptor limit lowered to 200" prlimit --pid "$cp" --nofile=200:
diag "healthz before: $(curl -s -m 5 "http://127.0.0.1:$RDS_API_PORT/healthz")"

# ---- (a) the descriptor limit pushed under what the process needs ----------------

log0=$(log_bytes)
lines0=$(accept_lines)
python3 "$FLOOD" 127.0.0.1 "$RDS_API_PORT" --clients 300 --seconds 20 >"$T_OUT.b" 2>&1 &
flood=$!
check "the flood fills the API's share" poll 10 fds_ge 100
cpu0=$(cpu_ticks "$cp")
t0=$(now_s)
check "the limit dropped to 40: accept fails (EMFILE)" prlimit --pid "$cp" --nofile=40:
# Generous: on a loaded machine the flood's probes (new connections, the
# accepts that fail) can be slow to start.
check "accept failures are logged" poll 15 accept_logged
# A five-second window at the limit, over which the CPU time is measured.
poll 8 since_t0_ge 5
cpu_b=$(($(cpu_ticks "$cp") - cpu0))
span=$(elapsed "$t0" "$(now_s)")
check "the limit back to 200" prlimit --pid "$cp" --nofile=200:
wait "$flood"
b=$(tail -1 "$T_OUT.b")
lines=$(($(accept_lines) - lines0))
diag "flood at the limit: $b"
diag "controlplane at limit 40: cpu_s=$(awk -v t=$cpu_b 'BEGIN { print t / 100 }') in ${span} s, rss_kb=$(rss_kb "$cp"), log_bytes=$(($(log_bytes) - log0)), accept failure lines=$lines"
check "accept failures logged once per listener per 10 s, with a count ($lines lines)" \
  below "$lines" 7
check "the controlplane log grew under 1 MiB" below $(($(log_bytes) - log0)) 1048576
check "the controlplane did not spin (CPU ${cpu_b} ticks in ${span} s)" below "$cpu_b" 250
check "the API answers when the flood stops" poll 15 api_alive
check "DNS over TCP answers when the flood stops" poll 15 apex_tcp

# ---- an instance and a row -------------------------------------------------------

create_instance fl1 >/dev/null
ok $? "create fl1"
check "fl1 available" poll 180 status_is fl1 available
check "a row written" sql fl1 "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before the flood')"
endpoint=$(endpoint_of fl1)
addr=$(resolve "$endpoint")
like "$addr" '^127\.' "fl1 resolves over UDP"
is "$(dns_tcp "$endpoint")" "$addr" "and over TCP"

# ---- (b) slowloris beyond the cap -----------------------------------------------

hb0=$(hb_failures)
log0=$(log_bytes)
cpu0=$(cpu_ticks "$cp")
python3 "$FLOOD" 127.0.0.1 "$RDS_API_PORT" --clients 300 --seconds 24 >"$T_OUT.a" 2>&1 &
flood=$!
# Past the 10 s head deadline: the first wave has been cut, the flood goes on.
poll 20 timed_out_ge 50
during_udp=$(dns_udp "$endpoint")
during_tcp=$(dns_tcp "$endpoint")
during_hz=$(curl -s -m 5 "http://127.0.0.1:$RDS_API_PORT/healthz")
during_status=$(status_of fl1)
rss=$(rss_kb "$cp")
wait "$flood"
a=$(tail -1 "$T_OUT.a")
diag "slowloris: $a"
diag "healthz during: $during_hz"
diag "controlplane during the flood: rss_kb=$rss cpu_s=$(awk -v t=$(($(cpu_ticks "$cp") - cpu0)) 'BEGIN { print t / 100 }') log_bytes=$(($(log_bytes) - log0))"
is "$(field "$a" connected)" 300 "300 slowloris connections opened"
is "$(field "$a" server_closed)" 300 "every one was closed by the server"
check "each lived until the head deadline (10 s) and no longer, trickling or not" \
  between "$(field "$a" max_life_s)" 9 13
probes=$(field "$a" probes)
check "signed requests kept being sent ($probes)" below 19 "$probes"
is "$(field "$a" probe_ok)" "$probes" "every signed DescribeDBInstances answered 200"
check "their p99 stays under 2 s (p50 $(field "$a" p50_ms) ms, p99 $(field "$a" p99_ms) ms)" \
  below "$(field "$a" p99_ms)" 2000
is "$during_udp" "$addr" "DNS over UDP answered during the flood"
is "$during_tcp" "$addr" "DNS over TCP answered during the flood"
is "$during_status" available "the API described fl1 as available during the flood"
is "$(hb_failures)" "$hb0" "no agent heartbeat failed during the flood"
check "the controlplane log grew under 1 MiB" below $(($(log_bytes) - log0)) 1048576

# ---- the region intact -----------------------------------------------------------

check "the limit back to $soft0" prlimit --pid "$cp" --nofile="$soft0":
is "$(cp_pid)" "$cp" "the same controlplane throughout"
is "$(status_of fl1)" available "fl1 available"
is "$(sql fl1 "SELECT v FROM kept")" "before the flood" "the row written before is there"
rm -f "$T_OUT.a" "$T_OUT.b"
done_testing
