#!/usr/bin/env bash
# Issue 13, hole 7: security groups that mean something. pg_hba.conf used
# to let every role in from 127.0.0.1 ("the region's own address"), and
# 127.0.0.1 is the source address of any local process on loopback, so
# every security group was bypassed by connecting from it. Now only the
# region's own roles (rdsadmin, rdsrepladmin: secrets the tenant never
# holds) come from 127.0.0.1; a tenant's roles match the groups' CIDRs.
#
# As the attacker: the master user and password, a Multi-AZ instance
# behind a group that allows only 127.N.201.0/24, a client on this host.
# From 127.0.0.1 the master user is refused; from 127.N.201.9 (through
# srcproxy.py, which binds that source address for psql) it works; the
# region's roles are refused from the group's range. The region's own
# connections keep working: health probes (a primary host lost is failed
# over), replication (synchronous standby, rebuilt after the loss),
# a forced failover. The default group (127.0.0.0/8) changes nothing.
# In namespace mode the same with the region's block P.0.0/24 for
# 127.0.0.0/24: this namespace's source is the gateway P.0.1 (lib.sh
# ROOT_SRC), the other sources are clients' host addresses (from_addr).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

PYTHON=$(command -v /usr/bin/python3 || command -v python3)
DEFAULT_SG=sg-00000000000000001

region_up || bail "the region did not start"
ok 0 "region up (API $RDS_API_PORT, DNS $RDS_DNS_PORT, nodes $NODE_NET, ${RDS_NETMODE:-loopback})"
IN=$NODE_NET.201.9   # inside the group's rule
OUT=$NODE_NET.203.9  # outside every rule
# Another address of the region's own block, not the region's source.
OWN2=$OWN_NET.0.2
LOCAL_RE=${ROOT_SRC//./\\.}

# hba_from SOURCE ADDR USER: what pg_hba.conf says to USER from SOURCE
# ("allowed" or "refused: ...", tests/integration/pgsource.py).
hba_from() { from_addr "$1" "$PYTHON" "$ROOT/tests/integration/pgsource.py" "$1" "$2" 5432 "$3" postgres; }
refused_from() { [[ $(hba_from "$@") == refused:* ]]; }
allowed_from() { [ "$(hba_from "$@")" = allowed ]; }
# sql_from SOURCE ADDR SQL: psql as the master user, connecting from SOURCE.
sql_from() {
  PGPASSWORD=$T_PASS PGCONNECT_TIMEOUT=5 from_addr "$1" "$PYTHON" "$ROOT/tests/integration/srcproxy.py" \
    "$1" "$2" 5432 -- "$PG_BIN/psql" -X -q -At \
    "host=127.0.0.1 port={port} user=$T_USER dbname=postgres" -c "$3"
}
# psql as the master user from this namespace ($ROOT_SRC, the kernel's source):
# the error text, or "connected".
from_localhost() {
  local out
  out=$(psql_at "$1" "SELECT 'connected'" 2>&1)
  printf '%s\n' "$out" | tail -1
}
primary_addr() { resolve "$(endpoint_of "$1")"; }
primary_is() { [ "$(primary_addr sg1)" = "$1" ]; }
localhost_connects() { [ "$(from_localhost "$1")" = connected ]; }
node_addrs() {
  local pm
  for pm in "$RDS_HOME"/agents/*/nodes/"$1"-*/data/postmaster.pid; do
    [ -f "$pm" ] && running "$(head -1 "$pm")" && sed -n 6p "$pm"
  done
  return 0
}
pidfile_of_addr() {
  local pm
  for pm in "$RDS_HOME"/agents/*/nodes/*/data/postmaster.pid; do
    [ -f "$pm" ] && [ "$(sed -n 6p "$pm")" = "$1" ] && { echo "$pm"; return 0; }
  done
  return 1
}
# The standbys' sync states on the primary, as the master user (pg_monitor)
# from inside the group.
sync_of() {
  sql_from "$IN" "$1" "SELECT string_agg(sync_state, ',') FROM pg_stat_replication WHERE application_name <> 'rdsim_archiver'"
}
is_sync() { [ "$(sync_of "$(primary_addr sg1)")" = sync ]; }
row_is() { [ "$(sql_from "$IN" "$(primary_addr sg1)" "SELECT v FROM kept WHERE k = 1")" = "$1" ]; }
iso_now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
event_since() {
  rdsctl describe-events --source-identifier "$1" --source-type db-instance --duration 60 |
    jq -e --arg m "$2" --arg t "$3" \
      'any(.Events[]; (.Message | startswith($m)) and .Date >= $t)' >/dev/null
}

# ---- a group that allows only one /24, a Multi-AZ instance behind it ---------

SG=$(rdsctl ec2 create-security-group --group-name app --description "app tier" | jq -r .GroupId)
like "$SG" '^sg-[0-9a-f]{17}$' "create-security-group"
check "authorize tcp 5432 from $NODE_NET.201.0/24 only" \
  rdsctl ec2 authorize-security-group-ingress --group-id "$SG" --protocol tcp --port 5432 \
  --cidr "$NODE_NET.201.0/24"
create_instance sg1 --multi-az --vpc-security-group-ids "$SG" >/dev/null
ok $? "create a Multi-AZ instance in that group"
poll 240 status_is sg1 available
ok $? "sg1 available: the health probes (rdsadmin from $ROOT_SRC) reach it" ||
  bail "no instance: the rest cannot run"
P=$(primary_addr sg1)
like "$P" "^$NODE_RE\\." "the endpoint resolves ($P)"

# ---- the attack: the master user from this host ($ROOT_SRC) ------------------

like "$(from_localhost "$P")" "no pg_hba.conf entry for host \"$LOCAL_RE\", user \"$T_USER\"" \
  "the master user from $ROOT_SRC is refused (it connected before: the security group bypassed)"
check "... the same at pg_hba.conf for a raw client from $ROOT_SRC" refused_from "$ROOT_SRC" "$P" "$T_USER"
check "... and from $OWN2 (another address of the region's block, outside the group)" \
  refused_from "$OWN2" "$P" "$T_USER"
check "a client from $OUT (outside every rule) is refused" refused_from "$OUT" "$P" "$T_USER"
is "$(sql_from "$IN" "$P" "SELECT 'in'")" in "the master user from $IN (inside the rule) logs in"
check "and writes a row" sql_from "$IN" "$P" "CREATE TABLE kept (k int PRIMARY KEY, v text); INSERT INTO kept VALUES (1, 'before')"

# ---- the region's roles are never let in from the group's range ---------------

like "$(hba_from "$IN" "$P" rdsadmin)" '^refused: pg_hba.conf rejects connection' \
  "rdsadmin from $IN (inside the rule) is rejected"
like "$(hba_from "$IN" "$P" rdsrepladmin)" '^refused: pg_hba.conf rejects connection' \
  "rdsrepladmin from $IN (inside the rule) is rejected"
check "rdsadmin from $ROOT_SRC reaches its password check (the region's probes)" \
  allowed_from "$ROOT_SRC" "$P" rdsadmin
check "rdsrepladmin from $ROOT_SRC reaches its password check (the standby's stream)" \
  allowed_from "$ROOT_SRC" "$P" rdsrepladmin

# ---- replication, health and failover still work ------------------------------

poll 60 is_sync
ok $? "the standby streams as rdsrepladmin: sync_state sync on the primary"
since=$(iso_now)
out=$(rdsctl reboot-db-instance --db-instance-identifier sg1 --force-failover)
ok $? "reboot-db-instance --force-failover"
poll 90 status_is sg1 available
ok $? "then available"
poll 20 event_since sg1 "Multi-AZ instance failover completed" "$since"
ok $? "RDS-EVENT-0049 (failover completed)"
P2=$(primary_addr sg1)
isnt "$P2" "$P" "the endpoint moved to the other node ($P2)"
poll 60 is_sync
ok $? "the old primary streams again as a synchronous standby (pg_rewind or a rebuild as rdsrepladmin)"
poll 60 event_since sg1 "Multi-AZ instance recovery completed" "$since"
ok $? "RDS-EVENT-0053: the pair is healthy again (the probes see the standby in sync)"
poll 10 row_is before
ok $? "the row written before is there on the new primary"

# The primary's host lost: only the health probes (rdsadmin from
# $ROOT_SRC) can see it, and they must fail it over.
ppf=$(pidfile_of_addr "$P2")
p_az=$(basename "$(dirname "$(dirname "$(dirname "$(dirname "$ppf")")")")")
ppm=$(head -1 "$ppf")
pagent=$(agent_pid "$p_az")
since=$(iso_now)
kill -KILL "$pagent"
kill -KILL -- "-$ppm"
ok $? "the primary's host ($p_az) lost: agent $pagent and postgres $ppm killed"
poll 60 event_since sg1 "Multi-AZ instance failover completed" "$since"
ok $? "the health probes saw it: failover completed"
poll 20 primary_is "$P"
ok $? "the endpoint is the surviving node again ($P)"
poll 20 row_is before
ok $? "the row is there"
check "region.sh up brings the host back" region_restart
poll 120 is_sync
ok $? "the lost node is rebuilt and synchronous again"
is "$(status_of sg1)" available "sg1 available"
is "$(grep -c 'probe failed node=sg1-.*pg_hba' "$RDS_HOME"/logs/controlplane.log 2>/dev/null)" 0 \
  "no health probe was refused by pg_hba.conf"

# ---- afterwards: the attacker still out, the data and the region intact ------

P3=$(primary_addr sg1)
like "$(from_localhost "$P3")" 'no pg_hba.conf entry' "the master user from $ROOT_SRC still refused after the failovers"
check "rdsadmin from $IN still rejected" refused_from "$IN" "$P3" rdsadmin
check "the API answers" api_alive
is "$(sql_from "$IN" "$P3" "SELECT v FROM kept WHERE k = 1")" before "the row written before is still there"

# ---- the default group (the VPC): nothing changes -------------------------

rdsctl modify-db-instance --db-instance-identifier sg1 --vpc-security-group-ids "$DEFAULT_SG" \
  --apply-immediately >/dev/null
ok $? "modify to the VPC's default group"
poll 30 localhost_connects "$P3"
ok $? "with the default group the master user connects from $ROOT_SRC again"
like "$(hba_from "$IN" "$P3" rdsadmin)" '^refused: pg_hba.conf rejects connection' \
  "rdsadmin from $IN still rejected under the default group"

rdsctl delete-db-instance --db-instance-identifier sg1 --skip-final-snapshot >/dev/null
poll 90 status_is sg1 gone
ok $? "sg1 deleted"
done_testing
