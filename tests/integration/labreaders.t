#!/usr/bin/env bash
# The DNS lab's reader-endpoint lesson (issue 15): `rdsctl lab
# reader-endpoint` on a Multi-AZ DB cluster. Four lanes open fresh
# connections through the reader endpoint (TTL 1 s, answered in rotation
# over the two readers); the lane that looks the name up for every
# connection spreads over both readers, the lane that caches forever lands
# every connection on one. Then the reader the cache-forever lane is on is
# stopped (SIGSTOP) for a few seconds: the cache-forever lane never reaches
# the other reader and fails; the no-cache lane is served by the other
# reader (the region drops the stopped one from the rotation). Numbers are
# printed as diagnostics; no wall-clock bound is asserted.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

region_up || bail "the region did not start"
ok 0 "region up"

C=labro
cl() { rdsctl describe-db-clusters --db-cluster-identifier $C | jq -r ".DBClusters[0]$1"; }
rdsctl create-db-cluster --db-cluster-identifier $C --engine postgres \
  --db-cluster-instance-class db.t3.micro --allocated-storage 100 --storage-type io1 \
  --iops 1000 --master-username "$T_USER" --master-user-password "$T_PASS" >/dev/null
ok $? "create-db-cluster $C"
cl_available() { [ "$(cl .Status)" = available ]; }
poll 300 cl_available
ok $? "$C available"
RO=$(cl .ReaderEndpoint)
# Both readers in the rotation before the run.
two_readers() {
  local seen
  # A queries only (rdsctl dns lookup also asks SOA, which turns the rotation too)
  seen=$(for _ in $(seq 1 6); do dig +short +time=1 +tries=1 @127.0.0.1 -p "$RDS_DNS_PORT" "$RO" A | tail -1; done | sort -u | wc -l)
  [ "$seen" -ge 2 ]
}
poll 60 two_readers
ok $? "the reader endpoint answers two readers" ||
  diag "$(rdsctl dns lookup "$RO" 2>&1; rdsctl describe-db-clusters --db-cluster-identifier $C 2>&1 | head -40)"

is "$(rdsctl lab reader-endpoint --db-cluster-identifier $C 2>&1 >/dev/null; echo $?)" \
  "$(printf 'usage: rdsctl lab reader-endpoint --db-cluster-identifier C --master-user-password PW [...]\nrdsctl: error: the following arguments are required: --master-user-password\n252')" \
  "no password: usage, 252"
rdsctl lab reader-endpoint --db-cluster-identifier nope --master-user-password x >/dev/null 2>"$T_OUT"
is "$?" 255 "an unknown cluster: 255"

J="$RDS_HOME/ro.json"
out=$(rdsctl lab reader-endpoint --db-cluster-identifier $C --master-user-password "$T_PASS" \
  --connections 60 --stop-seconds 8 --json "$J" 2>"$T_OUT")
ok $? "lab reader-endpoint ran"
diag "$out"
diag "$(cat "$T_OUT")"
lane() { jq -r --arg n "$1" ".lanes[] | select(.name == \$n) | $2" "$J"; }
is "$(lane no-cache '.phase1.connections')" 60 "no-cache: 60 connections"
is "$(lane no-cache '.phase1.readers | length')" 2 "no-cache: spread over both readers"
check "... neither over 80 % ($(lane no-cache '.phase1.readers | tostring'))" \
  jq -e '.lanes[0].phase1.readers | [.[]] | max <= 48' "$J"
is "$(lane cache-forever '.phase1.readers | length')" 1 "cache-forever: every connection on one reader"
is "$(lane cache-forever '.phase1.connections')" 60 "... 60 of them"
STOPPED=$(jq -r .stopped_reader "$J")
is "$(lane cache-forever '.phase1.readers | keys[0]')" "$STOPPED" "the stopped reader is cache-forever's"
is "$(lane cache-forever '.phase2.connections')" 0 "reader stopped: cache-forever connects nowhere"
check "... and fails ($(lane cache-forever .phase2.failed) failed)" \
  test "$(lane cache-forever .phase2.failed)" -ge 1
is "$(lane cache-forever '.phase2.moved_after_ms')" null "... never reaching the other reader"
check "no-cache is served by the other reader ($(lane no-cache '.phase2.readers | tostring'), after $(lane no-cache .phase2.moved_after_ms) ms)" \
  jq -e --arg s "$STOPPED" '.lanes[0].phase2 | .moved_after_ms != null and ([.readers | to_entries[] | select(.key != $s) | .value] | add) > 0' "$J"
# The stopped reader was resumed: it answers again.
member_addrs() { for pm in "$RDS_HOME"/agents/*/nodes/"$C"-instance-*/data/postmaster.pid; do sed -n 6p "$pm"; done; }
member_addrs | grep -qx "$STOPPED"
ok $? "the stopped reader is one of $C's members"
resumed() { [ "$(PGPASSWORD=$T_PASS PGCONNECT_TIMEOUT=3 "$PG_BIN/psql" -X -At "host=$STOPPED user=$T_USER dbname=postgres" -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ]; }
poll 30 resumed
ok $? "the stopped reader was resumed and answers as a reader"

done_testing
