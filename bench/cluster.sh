#!/usr/bin/env bash
# bench/cluster.sh: Multi-AZ DB cluster figures of issue 15.
#
# Starts a throwaway region (tests/integration/lib.sh's region_up), creates
# one Multi-AZ DB cluster at default settings (cluster endpoint TTL 5 s,
# reader endpoint TTL 1 s, the default probe interval and detection), then:
#
# 1. Writer crashes (BENCH_CRASHES, default 20): SIGKILL of the writer's
#    postmaster while a probe loop writes; per crash, in seconds from the
#    kill:
#      detection       RDS-EVENT-0073 (failover started)'s Date
#      writable again  first INSERT acknowledged by another member, from a
#                      probe connected straight to the members' addresses
#                      (DNS plays no part); a commit whose wait for a reader
#                      was cancelled by the probe's statement_timeout
#                      (PostgreSQL's "canceling wait for synchronous
#                      replication" warning: committed locally, not
#                      replicated) is not an acknowledgement
#      DNS flipped     first answer of the cluster endpoint naming another
#                      node (dig, polled every ~10 ms by a loop of its own,
#                      so the writable probe's waits do not delay it)
#    then waits for the cluster to be whole again (the old writer a
#    streaming reader) before the next crash; acknowledged probe writes
#    missing on the final writer are counted (must be 0).
# 2. Reader-endpoint balance (BENCH_CONNECTIONS, default 1000): fresh
#    connections, each resolving the reader endpoint again (as a client
#    without a DNS cache does) and asking inet_server_addr(); the share of
#    each reader. Then the same number through ONE cached answer (a client
#    that resolved once): the DNS lab's lesson, all on one reader.
#
# Prints p50/p99 (nearest rank) and the machine. Usage: bench/cluster.sh
# (needs bin/ built: make). Raw rows in BENCH_OUT (default a temp dir).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CRASHES=${BENCH_CRASHES:-20}
CONNS=${BENCH_CONNECTIONS:-1000}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/rdsim-cluster.XXXXXX)}
mkdir -p "$OUT"

# shellcheck source=tests/integration/lib.sh
. "$ROOT/tests/integration/lib.sh"

say() { echo "bench: $*" >&2; }
C=bench
awsq() { rdsctl "$@"; }
cl() { rdsctl describe-db-clusters --db-cluster-identifier $C | jq -r ".DBClusters[0]$1"; }
writer() { cl '.DBClusterMembers[] | select(.IsClusterWriter) | .DBInstanceIdentifier'; }
member_pm() { ls "$RDS_HOME"/agents/*/nodes/"$1"-*/data/postmaster.pid 2>/dev/null | head -1; }
member_addr() { local pm; pm=$(member_pm "$1") && [ -n "$pm" ] && sed -n 6p "$pm"; }
q() { PGPASSWORD=$T_PASS PGCONNECT_TIMEOUT=${TMO:-2} "$PG_BIN/psql" -X -q -At \
  "host=$1 port=5432 user=$T_USER dbname=postgres" -c "$2" 2>/dev/null; }
# ack HOST SQL: q's answer, or nothing when the commit's wait for a reader was
# cancelled (committed locally only: not acknowledged).
ack() {
  local out
  out=$(PGPASSWORD=$T_PASS PGCONNECT_TIMEOUT=${TMO:-2} "$PG_BIN/psql" -X -q -At \
    "host=$1 port=5432 user=$T_USER dbname=postgres" -c "$2" 2>&1) || return 1
  case "$out" in *"canceling wait for synchronous replication"*) return 1 ;; esac
  printf '%s\n' "$out" | tail -1
}
ms_now() { date +%s%3N; }
dig1() { dig +short +time=1 +tries=1 @127.0.0.1 -p "$RDS_DNS_PORT" "$1" | tail -1; }

region_up || { say "the region did not start"; exit 1; }
say "region up in $RDS_HOME"
rdsctl create-db-cluster --db-cluster-identifier $C --engine postgres \
  --db-cluster-instance-class db.t3.micro --allocated-storage 100 --storage-type io1 \
  --iops 1000 --master-username "$T_USER" --master-user-password "$T_PASS" >/dev/null ||
  { say "create failed"; exit 1; }
cl_available() { [ "$(cl .Status)" = available ]; }
poll 300 cl_available || { say "the cluster did not become available"; exit 1; }
EP=$(cl .Endpoint); RO=$(cl .ReaderEndpoint)
q "$(dig1 "$EP")" 'CREATE TABLE w(id bigint primary key)' >/dev/null
say "cluster available: $EP / $RO"

# whole: every member answers; two are standbys streaming from the writer
# (its synchronous candidates: the archiver's walsender is async).
whole() {
  cl_available || return 1
  local wa; wa=$(member_addr "$(writer)") || return 1
  [ "$(q "$wa" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'
    AND sync_state <> 'async'")" = 2 ]
}

# ---- 1. writer crashes ---------------------------------------------------------
: >"$OUT/crashes.tsv"
: >"$OUT/acked"
id=0
for n in $(seq 1 "$CRASHES"); do
  poll 120 whole || { say "crash $n: the cluster is not whole; stopping"; break; }
  W=$(writer); WA=$(member_addr "$W"); PM=$(member_pm "$W")
  others=()
  for m in $C-instance-1 $C-instance-2 $C-instance-3; do
    [ "$m" != "$W" ] && others+=("$(member_addr "$m")")
  done
  # a few writes before the crash, acknowledged on the writer
  for _ in 1 2 3; do id=$((id + 1)); q "$WA" "INSERT INTO w VALUES ($id)" >/dev/null && echo $id >>"$OUT/acked"; done
  t0=$(ms_now)
  kill -9 "$(head -1 "$PM")"
  rm -f "$OUT/flipped"
  ( while [ $(( $(ms_now) - t0 )) -le 60000 ]; do
      a=$(dig1 "$EP")
      if [ -n "$a" ] && [ "$a" != "$WA" ]; then echo $(( $(ms_now) - t0 )) >"$OUT/flipped"; break; fi
      sleep 0.01
    done ) &
  dnsloop=$!
  writable=""
  while [ -z "$writable" ] && [ $(( $(ms_now) - t0 )) -le 60000 ]; do
    for a in "${others[@]}"; do
      id=$((id + 1))
      if [ "$(TMO=1 ack "$a" "SET statement_timeout='300ms'; INSERT INTO w VALUES ($id); SELECT 1")" = 1 ]; then
        echo $id >>"$OUT/acked"; writable=$(( $(ms_now) - t0 )); break
      fi
    done
  done
  wait "$dnsloop"
  flipped=$(cat "$OUT/flipped" 2>/dev/null)
  ev=$(rdsctl describe-events --source-type db-cluster --source-identifier $C --duration 10 |
    jq -r '[.Events[] | select(.Message | startswith("Started cross AZ failover")) | .Date] | last // empty')
  det=""
  [ -n "$ev" ] && det=$(( $(date -d "$ev" +%s%3N) - t0 ))
  printf '%s\t%s\t%s\t%s\n' "$n" "${det:--}" "${writable:--}" "${flipped:--}" >>"$OUT/crashes.tsv"
  say "crash $n ($W): detection ${det:-?} ms, writable ${writable:-?} ms, DNS ${flipped:-?} ms"
done
poll 120 whole
FA=$(member_addr "$(writer)")
q "$FA" 'SELECT id FROM w' | sort >"$OUT/have"
missing=$(comm -23 <(sort "$OUT/acked") "$OUT/have" | wc -l)

# ---- 2. reader-endpoint balance --------------------------------------------------
: >"$OUT/fresh"
for _ in $(seq 1 "$CONNS"); do q "$(dig1 "$RO")" 'SELECT inet_server_addr()' >>"$OUT/fresh"; done
cached=$(dig1 "$RO")
: >"$OUT/cached"
for _ in $(seq 1 "$CONNS"); do q "$cached" 'SELECT inet_server_addr()' >>"$OUT/cached"; done
region_stop

pct() { # column p
  awk -F'\t' -v c="$1" '$c != "-" { print $c / 1000 }' "$OUT/crashes.tsv" | sort -g |
    awk -v p="$2" '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
      r = int((p / 100) * NR + 0.999999); if (r < 1) r = 1; printf "%.2f", v[r] }'
}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
printf '\nMulti-AZ DB cluster benchmark: rdsim on %s × %s, load %s\n' "$(nproc)" "$cpu" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s writer crashes (%s measured)\n\n' "$CRASHES" "$(wc -l <"$OUT/crashes.tsv")"
printf '%-46s %8s %8s\n' "seconds from the kill -9" p50 p99
printf '%-46s %8s %8s\n' "detection (RDS-EVENT-0073)" "$(pct 2 50)" "$(pct 2 99)"
printf '%-46s %8s %8s\n' "writable again (a reader acks a write)" "$(pct 3 50)" "$(pct 3 99)"
printf '%-46s %8s %8s\n' "DNS flipped (cluster endpoint -> new writer)" "$(pct 4 50)" "$(pct 4 99)"
printf 'acknowledged probe writes %s, missing on the final writer %s\n\n' \
  "$(wc -l <"$OUT/acked")" "$missing"
printf 'reader endpoint, %s fresh connections (one DNS query each):\n' "$CONNS"
sort "$OUT/fresh" | uniq -c | awk -v n="$CONNS" '{ printf "  %-20s %5d  %5.1f%%\n", $2, $1, 100 * $1 / n }'
printf 'the same through one cached answer (a client that resolved once):\n'
sort "$OUT/cached" | uniq -c | awk -v n="$CONNS" '{ printf "  %-20s %5d  %5.1f%%\n", $2, $1, 100 * $1 / n }'
printf '\nAnchor: RDS documents Multi-AZ DB cluster failover as "typically under 35 seconds".\n'
printf 'raw results: %s\n' "$OUT"
