#!/usr/bin/env bash
# The DNS-caching lab's real runtimes (issue 17 part 3, docs/lab.md "Real
# runtimes"): in namespace mode `rdsctl lab dns-caching` runs, beside its
# C models, real client stacks on the clients' host — a JVM with the JDBC
# driver and its default DNS cache, the same with networkaddress.cache.ttl
# as AWS advises, HikariCP, psycopg2, a glibc getaddrinfo client and the
# same behind dnsmasq — each given the endpoint's name only.
#
# What must hold (bounds derived from the caches' TTLs, plus one lane
# attempt's own timeouts, LANE_S; no speed is asserted):
#  - every real lane wrote before the failover (FirstWriteSeconds < 0);
#  - the lanes with no cache of their own (psycopg2, glibc) reach the new
#    primary at most DnsTtl + LANE_S after DNS flipped; the one behind
#    dnsmasq with --min-cache-ttl M at most max(DnsTtl, M) + LANE_S after;
#    the JVM with cache.ttl=5 at most 5 + LANE_S after;
#  - the JVM with its default cache keeps the old address until the answer
#    it looked up at its first connection is 30 s old: it recovers no
#    earlier than 30 s after its first attempt, and no later than 30 s
#    after its first write plus LANE_S;
#  - HikariCP either reaches the new primary or stays on the old node with
#    read-only errors (as the `pool` model);
#  - no write is acknowledged by a node that was not the primary, and the
#    lab leaves no process on the clients' host.
# Needs root and `ip netns` (skipped otherwise); java, the JDBC and
# HikariCP jars, psycopg2 and dnsmasq are installed by
# scripts/install-deps.sh, and their absence FAILS here.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_netns

LANE_S=8     # one lane attempt: connect timeout 2 s + query/socket timeout 3 s + pauses
JVM_TTL=5    # LABRUNTIMES_JVM_TTL_S
JVM_DEFAULT=30
MIN_TTL=10   # --resolver-min-ttl: dnsmasq's --min-cache-ttl

# ---- what the lanes need is installed -------------------------------------------
check "java is installed" command -v java
check "the JVM lanes are compiled (make)" test -f "$ROOT/build/$(cat "$ROOT/bin/.variant")/lab-java/LabJdbc.class"
for j in postgresql HikariCP slf4j-api slf4j-nop; do
  check "Debian's $j.jar" test -f "/usr/share/java/$j.jar"
done
check "Debian's python3-psycopg2" /usr/bin/python3 -c 'import psycopg2'
check "dnsmasq is installed" bash -c 'command -v dnsmasq || test -x /usr/sbin/dnsmasq'

export RDSIM_NET=netns
region_up || bail "the region did not start in namespace mode"
ok 0 "region up in namespace mode"
H=$(printf %s "$RDS_HOME" | sha256sum | cut -c1-8)
CL=rdsim-$H-cl

rdsctl lab dns-caching --db-instance-identifier x --master-user-password y --no-runtimes \
  --duration 1 >/dev/null 2>&1
is $? 252 "--no-runtimes parses; --duration below 5 s is still a usage error"

create_instance rtdb --multi-az --dns-ttl 1 >/dev/null
ok $? "create a Multi-AZ instance with --dns-ttl 1"
poll 180 status_is rtdb available
ok $? "it becomes available" || bail "no Multi-AZ instance: the lab cannot run"

J=$RDS_HOME/labrt.json
S=$RDS_HOME/labrt.svg
rdsctl lab dns-caching --db-instance-identifier rtdb --master-user-password "$T_PASS" \
  --duration 50 --resolver-min-ttl "$MIN_TTL" --json "$J" --svg "$S" \
  >"$RDS_HOME/labrt.out" 2>"$RDS_HOME/labrt.err"
rc=$?
sed 's/^/#   /' "$RDS_HOME/labrt.out"
is "$rc" 0 "rdsctl lab dns-caching in namespace mode: exit 0" || sed 's/^/#   /' "$RDS_HOME/labrt.err"
for f in "$RDS_HOME"/lab-rt/*.err; do
  [ -s "$f" ] && { diag "$f:"; head -5 "$f" | sed 's/^/#   /'; }
done

client() { jq -r --arg c "$1" ".Clients[] | select(.Client == \$c) | $2" "$J"; }
# le A B: A <= B (decimals)
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && b != "" && a + 0 <= b + 0) }'; }

runtimes="rt-jvm rt-jvm-ttl rt-hikaricp rt-psycopg2 rt-glibc rt-glibc-dnsmasq"
is "$(jq -r '[.Clients[] | select(.Runtime) | .Client] | join(" ")' "$J")" "$runtimes" \
  "the JSON has one row per real runtime, after the models"
is "$(jq -r '[.Clients[] | select(.Runtime | not) | .Client] | join(" ")' "$J")" \
  "ttl cache-30s cache-forever pool sticky-address multi-host resolver-min-ttl" \
  "... and the models ran in the same run"
is "$(client rt-jvm .Model)" cache-30s "rt-jvm is set beside the cache-30s model"
is "$(jq -r .Failover.Happened "$J")" true "a failover happened"
flip=$(jq -r .Failover.DnsFlipSeconds "$J")
ttl=$(jq -r .DnsTtl "$J")
like "$flip" '^[0-9.]+$' "the DNS flip was seen ($flip s)"
is "$ttl" 1 "the endpoint's TTL was 1 s"

for c in $runtimes; do
  like "$(grep "^$c " "$RDS_HOME/labrt.out")" "^$c +" "the table has a row for $c"
  fw=$(client "$c" .FirstWriteSeconds)
  ok "$(le "$fw" 0; echo $?)" "$c wrote through the endpoint's name before the failover ($fw s)"
  check "the SVG has a lane for $c" grep -q ">$c</text>" "$S"
done

# bounded CLIENT BOUND WHY: recovered, at most BOUND s after the failover.
bounded() {
  local rec rs
  rec=$(client "$1" .Recovered)
  rs=$(client "$1" .RecoverySeconds)
  is "$rec" true "$1 reached the new primary"
  ok "$(le "$rs" "$2"; echo $?)" "$1 recovered at $rs s <= $2 s ($3)"
}
nocache=$(awk -v f="$flip" -v t="$ttl" -v l="$LANE_S" 'BEGIN { print f + t + l }')
bounded rt-psycopg2 "$nocache" "no cache: the DNS flip + TTL + one attempt"
bounded rt-glibc "$nocache" "no cache: the DNS flip + TTL + one attempt"
dm=$(awk -v f="$flip" -v t="$ttl" -v m="$MIN_TTL" -v l="$LANE_S" \
  'BEGIN { print f + (t > m ? t : m) + l }')
bounded rt-glibc-dnsmasq "$dm" "dnsmasq's min-cache-ttl $MIN_TTL s after the flip + one attempt"
jt=$(awk -v f="$flip" -v t="$JVM_TTL" -v l="$LANE_S" 'BEGIN { print f + t + l }')
bounded rt-jvm-ttl "$jt" "networkaddress.cache.ttl=$JVM_TTL after the flip + one attempt"

# The JVM's default cache: the answer looked up at its first connection
# (not before its first attempt, not after its first write) is believed
# for 30 s, whatever the TTL.
fa=$(client rt-jvm .FirstAttemptSeconds)
fw=$(client rt-jvm .FirstWriteSeconds)
lo=$(awk -v a="$fa" -v c="$JVM_DEFAULT" 'BEGIN { print a + c }')
hi=$(awk -v w="$fw" -v c="$JVM_DEFAULT" -v l="$LANE_S" 'BEGIN { print w + c + l }')
jr=$(client rt-jvm .RecoverySeconds)
is "$(client rt-jvm .Recovered)" true "rt-jvm reached the new primary within the run"
ok "$(le "$lo" "$jr"; echo $?)" \
  "rt-jvm kept the old address until its cache expired: recovered at $jr s >= first attempt + 30 s = $lo s"
ok "$(le "$jr" "$hi"; echo $?)" "... and not later than its first write + 30 s + one attempt ($hi s)"
old_fail=$(( $(client rt-jvm .Failed.Refused) + $(client rt-jvm .Failed.ReadOnly) ))
ok "$( [ "$old_fail" -gt 0 ]; echo $?)" "rt-jvm: refused or read-only from the old node meanwhile ($old_fail)"
ok "$(le "$(client rt-jvm-ttl .RecoverySeconds)" "$jr"; echo $?)" \
  "the JVM with cache.ttl=$JVM_TTL recovered before the default JVM"

hk_rec=$(client rt-hikaricp .Recovered)
hk_ro=$(client rt-hikaricp .Failed.ReadOnly)
ok "$( [ "$hk_rec" = true ] || [ "$hk_ro" -gt 0 ]; echo $?)" \
  "HikariCP: reached the new primary, or kept its connections on the old node with read-only errors (recovered $hk_rec, read-only $hk_ro)"
is "$(jq '[.Clients[].WrongNode] | add' "$J")" 0 "no write acknowledged by a node that was not the primary"
unlike_garbage=$(grep -c "were not attempts" "$RDS_HOME/labrt.err")
is "$unlike_garbage" 0 "every line the runtimes printed was an attempt"
diag "recovery (s): $(jq -r '[.Clients[] | "\(.Client)=\(.RecoverySeconds)"] | join(" ")' "$J")"

is "$(ip netns pids "$CL" | xargs)" "" "the lab left no process on the clients' host"
check "the SVG is well-formed XML" python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$S"

check "region down" region_stop
is "$(region_procs | xargs)" "" "no process of the region is left"

done_testing
