#!/usr/bin/env bash
# The DNS-caching lab end to end (issue 4): `rdsctl lab dns-caching` on a
# small Multi-AZ instance with a 1-second endpoint TTL forces a failover
# while its client models write, and reports what each lived through.
#
# What must hold, whatever the machine's speed: the JSON has one row per
# client; the client honouring the TTL and the libpq multi-host client
# reach the new primary; the pool either does or stays stuck on the old
# node with read-only errors; the clients that cache forever never reach
# it within the run — they get "connection refused" while the old primary
# is down, then "read-only transaction" errors (25006) once it is back as a
# standby; the 30-second cache recovers, later than the TTL-honouring
# client; no write is acknowledged by a node that was not the primary; the
# SVG is well-formed XML with a lane per client. No wall-clock bound is
# asserted: the times are printed as diagnostics.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

region_up || bail "the region did not start"
ok 0 "region up"

# Well-formed XML: xmllint, else python3's parser.
xml_ok() {
  if command -v xmllint >/dev/null; then
    xmllint --noout "$1"
  else
    python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1"
  fi
}

lab() {
  rdsctl lab dns-caching --db-instance-identifier "$1" --master-user-password "$T_PASS" "${@:2}"
}

# client JSON NAME FILTER: a field of one client's row.
client() { jq -r --arg c "$2" ".Clients[] | select(.Client == \$c) | $3" "$1"; }

# ---- bad command lines --------------------------------------------------------

rdsctl lab >/dev/null 2>&1
is $? 252 "rdsctl lab without a lab name: usage error"
rdsctl lab dns-tuning --db-instance-identifier x --master-user-password y >/dev/null 2>&1
is $? 252 "an unknown lab: usage error"
rdsctl lab dns-caching --db-instance-identifier x >/dev/null 2>&1
is $? 252 "no --master-user-password: usage error"
lab x --duration 2 >/dev/null 2>&1
is $? 252 "--duration below 5 s: usage error"
out=$(lab nosuch 2>&1)
is $? 255 "an instance that does not exist: the run cannot start"
like "$out" "DBInstanceNotFound" "... DBInstanceNotFound is printed"

# ---- the lab -------------------------------------------------------------------

create_instance labdb --multi-az --dns-ttl 1 >/dev/null
ok $? "create a Multi-AZ instance with --dns-ttl 1"
poll 180 status_is labdb available
ok $? "it becomes available" || bail "no Multi-AZ instance: the lab cannot run"
old=$(resolve "$(endpoint_of labdb)")

J=$RDS_HOME/lab.json
S=$RDS_HOME/lab.svg
lab labdb --duration 40 --json "$J" --svg "$S" >"$RDS_HOME/lab.out" 2>"$RDS_HOME/lab.err"
rc=$?
sed 's/^/#   /' "$RDS_HOME/lab.out"
is "$rc" 0 "rdsctl lab dns-caching --duration 40: exit 0" || sed 's/^/#   /' "$RDS_HOME/lab.err"

# The real-runtime lanes need namespace mode (labrt.t); in loopback mode the
# lab says so and runs the models alone.
if [ "${RDS_NETMODE:-loopback}" != netns ]; then
  like "$(cat "$RDS_HOME/lab.err")" "need namespace mode" \
    "loopback mode: the lab says the real runtimes need namespace mode"
  is "$(jq '[.Clients[] | select(.Runtime)] | length' "$J")" 0 "... and runs none"
fi

clients="ttl cache-30s cache-forever pool sticky-address multi-host"
is "$(jq -r '[.Clients[] | select(.Runtime | not) | .Client] | join(" ")' "$J")" "$clients" "the JSON has one row per client model (the real runtimes: labrt.t)"
for c in $clients; do
  like "$(grep "^$c " "$RDS_HOME/lab.out")" "^$c +" "the table has a row for $c"
done
is "$(jq -r .Failover.Happened "$J")" true "a failover happened"
is "$(jq -r .Failover.Forced "$J")" true "... forced through RebootDBInstance"
is "$(jq -r .Failover.OldPrimary "$J")" "$old" "the old primary is the address the endpoint had"
new=$(jq -r .Failover.NewPrimary "$J")
isnt "$new" "$old" "the new primary is another node ($new)"
is "$(resolve "$(endpoint_of labdb)")" "$new" "... the one the endpoint resolves to now"
is "$(jq -r .DnsTtl "$J")" 1 "the endpoint's TTL was 1 s"
is "$(jq -r .NegativeTtl "$J")" 5 "a name that does not exist is cached negatively for 5 s (SOA MINIMUM)"
like "$(jq -r .Failover.DnsFlipSeconds "$J")" '^[0-9.]+$' "the DNS flip was seen"
like "$(jq -r .Failover.StandbyBackSeconds "$J")" '^[0-9.]+$' "RDS-EVENT-0053 was seen (old primary back)"

for c in ttl multi-host cache-30s; do
  is "$(client "$J" "$c" .Recovered)" true "$c reached the new primary"
done
# The pool reconnects with the TTL honoured, but keeps a connection that
# gets "read-only" errors: if one of its lookups during the outage still
# got the old answer and the old node was back as a standby within that
# TTL, its connections stay there. Either outcome is honest; nothing else is.
pool_rec=$(client "$J" pool .Recovered)
pool_ro=$(client "$J" pool .Failed.ReadOnly)
ok "$( [ "$pool_rec" = true ] || [ "$pool_ro" -gt 0 ]; echo $?)" \
  "pool: reached the new primary, or is stuck on the old one with read-only errors (recovered $pool_rec, read-only $pool_ro)"
for c in cache-forever sticky-address; do
  is "$(client "$J" "$c" .Recovered)" false "$c never reached the new primary"
  like "$(client "$J" "$c" .Failed.ReadOnly)" '^[1-9][0-9]*$' \
    "$c: read-only errors from the old primary back as a standby"
  like "$(client "$J" "$c" .Failed.Refused)" '^[1-9][0-9]*$' "$c: refused while it was down"
done
ttl_s=$(client "$J" ttl .RecoverySeconds)
c30_s=$(client "$J" cache-30s .RecoverySeconds)
ok "$(awk -v a="$ttl_s" -v b="$c30_s" 'BEGIN { print (b > a) ? 0 : 1 }')" \
  "the 30-second cache recovered later ($c30_s s) than the TTL-honouring client ($ttl_s s)"
is "$(jq '[.Clients[].WrongNode] | add' "$J")" 0 "no write acknowledged by a node that was not the primary"
is "$(client "$J" multi-host .Failed.Refused)" 0 "multi-host: never refused (libpq moves to the next host)"
is "$(psql_at "$old" "SELECT pg_is_in_recovery()")" t "the old primary is a standby now (hence read-only)"
diag "recovery (s): $(jq -r '[.Clients[] | "\(.Client)=\(.RecoverySeconds)"] | join(" ")' "$J")"
diag "DNS flip $(jq -r .Failover.DnsFlipSeconds "$J") s, old primary back $(jq -r .Failover.StandbyBackSeconds "$J") s after the failover"

check "the SVG is well-formed XML" xml_ok "$S"
for c in $clients; do
  check "the SVG has a lane for $c" grep -q ">$c</text>" "$S"
done
check "the SVG marks the failover" grep -q "RDS-EVENT-0013" "$S"

# ---- waiting for a failover that does not come ----------------------------------

poll 60 status_is labdb available
lab labdb --no-failover --duration 5 --json "$RDS_HOME/quiet.json" >/dev/null 2>&1
is $? 1 "--no-failover and no failover within --duration: exit 1"
is "$(jq -r .Failover.Happened "$RDS_HOME/quiet.json")" false "... the JSON says no failover happened"
is "$(jq '[.Clients[].Writes] | min > 0' "$RDS_HOME/quiet.json")" true "... every client wrote"

check "region down" region_stop
is "$(region_procs | xargs)" "" "no process of the region is left"

done_testing
