#!/usr/bin/env bash
# The guided tour `make demo` runs: a local region, a Multi-AZ instance
# created through the API, reached through the region's own DNS by a real
# psql, its primary killed (the endpoint moves to the standby), rebooted,
# and deleted. Leaves nothing running unless DEMO_KEEP=1.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
export RDS_HOME=${RDS_HOME:-$here/run/demo}
export RDS_API_PORT=${RDS_API_PORT:-0} RDS_DNS_PORT=${RDS_DNS_PORT:-0}
rdsctl="$here/bin/rdsctl"
db=demo
pw='demo-pass-123'

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

cleanup() {
  if [ -z "${DEMO_KEEP:-}" ]; then
    say "Stopping the region"
    "$here/scripts/region.sh" down
  else
    echo "The region is still running (DEMO_KEEP=1); stop it with: RDS_HOME=$RDS_HOME scripts/region.sh down"
  fi
}

say "Starting a local region: a controlplane and one agent per Availability Zone"
trap cleanup EXIT
"$here/scripts/region.sh" up
# shellcheck disable=SC1091
. "$RDS_HOME/region.env"
export RDSCTL_ENDPOINT="http://127.0.0.1:$RDS_API_PORT"

say "Creating a Multi-AZ PostgreSQL instance (a synchronous standby in another AZ)"
"$rdsctl" delete-db-instance --db-instance-identifier "$db" --skip-final-snapshot >/dev/null 2>&1 &&
  "$rdsctl" wait db-instance-deleted --db-instance-identifier "$db" || true
start=$(date +%s.%N)
run "$rdsctl" create-db-instance --db-instance-identifier "$db" --engine postgres \
  --db-instance-class db.t3.micro --master-username app --master-user-password "$pw" \
  --allocated-storage 20 --multi-az --dns-ttl 1 --output table
run "$rdsctl" wait db-instance-available --db-instance-identifier "$db"
end=$(date +%s.%N)
awk -v a="$start" -v b="$end" 'BEGIN { printf "available after %.1f s (RDS takes minutes)\n", b - a }'

say "Describing it (the same JSON shape as aws rds describe-db-instances)"
desc=$("$rdsctl" describe-db-instances --db-instance-identifier "$db")
echo "$desc" | jq '.DBInstances[0] | {DBInstanceIdentifier, DBInstanceStatus, Endpoint, AvailabilityZone, DBInstanceClass}'
endpoint=$(echo "$desc" | jq -r '.DBInstances[0].Endpoint.Address')

say "Resolving the endpoint through the region's DNS server"
run dig @127.0.0.1 -p "$RDS_DNS_PORT" "$endpoint" +noall +answer
addr=$(dig +short @127.0.0.1 -p "$RDS_DNS_PORT" "$endpoint" | tail -1)

say "Connecting with psql to $addr:5432 as the master user"
export PGPASSWORD=$pw
run psql "host=$addr port=5432 user=app dbname=postgres" -v ON_ERROR_STOP=1 -c \
  "CREATE TABLE IF NOT EXISTS visits(at timestamptz DEFAULT now()); INSERT INTO visits DEFAULT VALUES; SELECT count(*) AS visits, inet_server_addr() AS server FROM visits;"

say "Killing the primary's postmaster (kill -9): the standby takes over and DNS follows"
pm=$(grep -l "^$addr\$" "$RDS_HOME"/agents/*/nodes/*/data/postmaster.pid | head -1)
kill -9 "$(head -1 "$pm")"
t0=$(date +%s%N)
while [ "$(dig +short @127.0.0.1 -p "$RDS_DNS_PORT" "$endpoint" | tail -1)" = "$addr" ]; do sleep 0.02; done
echo "endpoint moved after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
run dig @127.0.0.1 -p "$RDS_DNS_PORT" "$endpoint" +noall +answer
addr=$(dig +short @127.0.0.1 -p "$RDS_DNS_PORT" "$endpoint" | tail -1)
run psql "host=$addr port=5432 user=app dbname=postgres" -Atc "INSERT INTO visits DEFAULT VALUES; SELECT 'rows on the new primary ' || inet_server_addr() || ': ' || count(*) FROM visits"
"$rdsctl" describe-db-instances --db-instance-identifier "$db" | jq -c '.DBInstances[0] | {DBInstanceStatus, AvailabilityZone, SecondaryAvailabilityZone}'

say "Rebooting it (a real postmaster restart)"
run "$rdsctl" reboot-db-instance --db-instance-identifier "$db" --output text
run "$rdsctl" wait db-instance-available --db-instance-identifier "$db"
run psql "host=$addr port=5432 user=app dbname=postgres" -Atc "SELECT 'rows kept: ' || count(*) FROM visits"

say "Events"
run "$rdsctl" describe-events --source-type db-instance --source-identifier "$db" --output table

say "Deleting it"
run "$rdsctl" delete-db-instance --db-instance-identifier "$db" --skip-final-snapshot --output text
run "$rdsctl" wait db-instance-deleted --db-instance-identifier "$db"
run dig @127.0.0.1 -p "$RDS_DNS_PORT" "$endpoint" +noall +comments | grep -m1 status
