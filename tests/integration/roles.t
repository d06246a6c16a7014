#!/usr/bin/env bash
# Issue 12, items 3 and 4 against a real region: RDS's role model inside
# the database (rdsadmin the bootstrap superuser, the master user an
# rds_superuser member and not a superuser, refused what RDS refuses), no
# plaintext password at rest (the store is root's, nothing in any log or
# the store), ModifyDBInstance --master-user-password on a running
# instance, and a restored snapshot keeping the source's password.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# Passwords of this run only, so a grep can find any copy of them.
T_PASS="Roles-a$RANDOM-first-pw"
NEW_PASS="Roles-b$RANDOM-second-pw"

err_of() { "$@" 2>&1 >/dev/null; }
snap_is() {
  [ "$(rdsctl describe-db-snapshots --db-snapshot-identifier "$1" 2>/dev/null |
    jq -r '.DBSnapshots[0].Status')" = "$2" ]
}
# as_user ADDR USER PASSWORD SQL: one statement as another role.
as_user() {
  PGPASSWORD=$3 PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -At \
    "host=$1 port=5432 user=$2 dbname=postgres" -c "$4"
}
logs_in() { psql_at "$addr" "SELECT 1" postgres "$1" >/dev/null 2>&1; }

region_up || bail "the region did not start"
ok 0 "region up"

create_instance r1 --db-name orders >/dev/null
ok $? "create r1"
check "r1 available" poll 180 status_is r1 available
addr=$(resolve "$(endpoint_of r1)")
like "$addr" '^127\.' "r1 resolves"

# ---- the roles ------------------------------------------------------------------

is "$(psql_at "$addr" "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")" f \
  "the master user is not a superuser"
is "$(psql_at "$addr" "SELECT rolcreatedb AND rolcreaterole AND NOT rolreplication FROM pg_roles WHERE rolname = current_user")" t \
  "the master user has CREATEDB and CREATEROLE, not REPLICATION"
is "$(psql_at "$addr" "SELECT pg_has_role(current_user, 'rds_superuser', 'member')")" t \
  "the master user is a member of rds_superuser"
is "$(psql_at "$addr" "SELECT string_agg(b.rolname, ',' ORDER BY b.rolname) FROM pg_auth_members m JOIN pg_roles a ON a.oid = m.member JOIN pg_roles b ON b.oid = m.roleid WHERE a.rolname = 'rds_superuser'")" \
  "pg_checkpoint,pg_monitor,pg_signal_backend,rds_password,rds_replication" \
  "rds_superuser holds RDS's roles (pg_monitor brings the read-all ones)"
is "$(psql_at "$addr" "SELECT rolsuper FROM pg_roles WHERE rolname = 'rdsadmin'")" t \
  "rdsadmin is the superuser"
is "$(psql_at "$addr" "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'template0'")" rdsadmin \
  "rdsadmin owns the cluster (template0)"
is "$(psql_at "$addr" "SELECT count(*) FROM pg_roles WHERE rolname IN ('rds_replication', 'rds_iam') AND NOT rolcanlogin")" 2 \
  "rds_replication and rds_iam exist, without login"
is "$(psql_at "$addr" "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'orders'")" "$T_USER" \
  "the master user owns its database"

# ---- what the master user may do --------------------------------------------------

check "CREATE DATABASE" psql_at "$addr" "CREATE DATABASE made_by_master"
check "CREATE ROLE" psql_at "$addr" "CREATE ROLE other LOGIN PASSWORD 'other-pw-123'"
check "a table in postgres' public schema" psql_at "$addr" "CREATE TABLE t(i int)"
check "a trusted extension" psql_at "$addr" "CREATE EXTENSION pgcrypto" orders

# Another role's session is visible in full (pg_monitor).
PGPASSWORD=other-pw-123 "$PG_BIN/psql" -X -q -At "host=$addr port=5432 user=other dbname=postgres" \
  -c "SELECT pg_sleep(60) /* other-session */" >/dev/null 2>&1 &
bg=$!
others_query() {
  [ "$(psql_at "$addr" "SELECT count(*) FROM pg_stat_activity WHERE usename = 'other' AND query LIKE '%other-session%'")" = 1 ]
}
check "the master user reads another role's pg_stat_activity" poll 20 others_query
check "and may terminate it (pg_signal_backend)" \
  psql_at "$addr" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'other'"
wait "$bg" 2>/dev/null

# ---- what the master user may not do (as on RDS) ------------------------------

like "$(err_of psql_at "$addr" "COPY (SELECT 1) TO PROGRAM 'id'")" \
  'pg_execute_server_program|must be superuser' "COPY ... TO PROGRAM is refused"
like "$(err_of psql_at "$addr" "ALTER SYSTEM SET work_mem = '8MB'")" \
  'permission denied|must be superuser' "ALTER SYSTEM is refused"
like "$(err_of psql_at "$addr" "SELECT pg_read_file('/etc/passwd')")" \
  'permission denied' "pg_read_file('/etc/passwd') is refused"
like "$(err_of psql_at "$addr" "COPY t FROM '/etc/passwd'")" \
  'pg_read_server_files|must be superuser' "COPY from a server file is refused"
like "$(err_of psql_at "$addr" "CREATE EXTENSION file_fdw")" \
  'permission denied' "an untrusted extension (file_fdw) is refused"
like "$(err_of psql_at "$addr" "ALTER ROLE $T_USER SUPERUSER")" \
  'permission denied|must be superuser' "the master user cannot make itself a superuser"
like "$(err_of as_user "$addr" rdsadmin "$T_PASS" "SELECT 1")" \
  'password authentication failed|no pg_hba.conf entry|rejects' \
  "rdsadmin cannot be logged into with the master password"

# ---- the store and the region home are root's --------------------------------

db="$RDS_HOME/controlplane/controlplane.db"
is "$(stat -c %a "$db")" 600 "the store is mode 0600"
if [ "$(id -u)" = 0 ]; then
  out=$(runuser -u nobody -- sqlite3 "$db" "select id, master_verifier from instances" 2>&1)
  rc=$?
  ok $((rc == 0)) "nobody cannot select from the store"
  [ $rc -eq 0 ] && diag "$out"
  runuser -u nobody -- ls "$RDS_HOME" >/dev/null 2>&1
  ok $(($? == 0)) "nobody cannot list the region home"
  runuser -u nobody -- cat "$RDS_HOME/logs/controlplane.log" >/dev/null 2>&1
  ok $(($? == 0)) "nobody cannot read the region's logs"
else
  ok 0 "# SKIP not root: no other user to try"
fi
is "$(sqlite3 "$db" "select count(*) from instances where master_password <> '' or master_verifier not like 'SCRAM-SHA-256\$4096:%'")" 0 \
  "the store keeps only SCRAM verifiers"

# ---- ModifyDBInstance --master-user-password ------------------------------------

rdsctl modify-db-instance --db-instance-identifier r1 --master-user-password "$NEW_PASS" \
  --apply-immediately >/dev/null
ok $? "modify-db-instance --master-user-password"
check "the new password logs in" poll 30 logs_in "$NEW_PASS"
logs_in "$T_PASS"
ok $(($? == 0)) "the old password no longer does"
ev=$(rdsctl describe-events --source-type db-instance --source-identifier r1 |
  jq -r '[.Events[].Message] | join("|")')
like "$ev" 'Reset master credentials' "RDS-EVENT-0016 Reset master credentials"
like "$(err_of rdsctl modify-db-instance --db-instance-identifier r1 --master-user-password short)" \
  'InvalidParameterValue' "a bad new password is refused"
check "r1 stays available" status_is r1 available

# ---- a restored snapshot keeps the source's password -----------------------

rdsctl create-db-snapshot --db-snapshot-identifier r1-snap --db-instance-identifier r1 >/dev/null
ok $? "snapshot r1"
check "snapshot available" poll 120 snap_is r1-snap available
is "$(sqlite3 "$db" "select count(*) from db_snapshots where master_password <> ''")" 0 \
  "the snapshot row keeps no password"
rdsctl restore-db-instance-from-db-snapshot --db-instance-identifier r2 \
  --db-snapshot-identifier r1-snap >/dev/null
ok $? "restore r2 from it"
check "r2 available" poll 180 status_is r2 available
addr2=$(resolve "$(endpoint_of r2)")
is "$(psql_at "$addr2" "SELECT rolsuper FROM pg_roles WHERE rolname = current_user" postgres "$NEW_PASS")" f \
  "r2: the source's password logs in, still no superuser"

# ---- nothing secret at rest or in a log ---------------------------------------

hits=$(grep -rlaF -e "$T_PASS" -e "$NEW_PASS" "$RDS_HOME" 2>/dev/null)
is "$hits" "" "no file under the region home (logs, store, backups, node data) holds a password"

region_down
done_testing
