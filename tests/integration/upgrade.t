#!/usr/bin/env bash
# Upgrade: a store written by the code before the controlplane's
# restructuring (commit 9c99fdb, schema version 4), holding a create
# workflow that was mid-step (wait_running) when its controlplane was
# killed with SIGKILL, is opened by this code, migrated, and the workflow
# finishes: the instance becomes available, its endpoint resolves through
# the region's DNS and it answers SQL.
#
# The fixture (fixtures/upgrade-9c99fdb/, made by fixtures/make-upgrade.sh
# with the old tree) is the store's `sqlite3 .dump` and region.env. The
# instance's node has a fixed port, 5432, on a per-node loopback address
# 127.N.<az>.<host>; N is the network the old region ran on, so the dump's
# "127.N." is rewritten to a free network of ours (the addresses are plain
# text in the store, nowhere else). The step's start time is set to now:
# the upgrade is a restart a moment after the kill, not days later (the
# step would otherwise time out, as it would for the old code too).
# The agents start with empty homes: the node was never built (the kill
# came before any agent report), so they build it from its goal.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

FIX=$ROOT/tests/integration/fixtures/upgrade-9c99fdb
# shellcheck disable=SC1091
. "$FIX/region.env"

export RDS_HOME RDS_NET RDS_API_PORT=0 RDS_DNS_PORT=0 RDS_REGION=$FIX_REGION
RDS_HOME=$(mktemp -d /tmp/rdsim-e2e.XXXXXX)
chmod 755 "$RDS_HOME"
RDS_NET=$(free_net) || bail "no free network"
db=$RDS_HOME/controlplane/controlplane.db
mkdir -p "$RDS_HOME/controlplane"

sed "s/'127\.$FIX_NET\./'127.$RDS_NET./g" "$FIX/controlplane.sql" | sqlite3 "$db"
ok $? "the old store rebuilt from the fixture (network 127.$FIX_NET -> 127.$RDS_NET)"
is "$(sqlite3 "$db" "SELECT value FROM meta WHERE key='schema_version'")" 4 \
  "it is at schema version 4 (made by $FIX_COMMIT)"
is "$(sqlite3 "$db" "SELECT kind || '/' || step || '/' || state FROM workflows WHERE instance_id='$FIX_INSTANCE'")" \
  "$FIX_KIND/$FIX_STEP/active" "its $FIX_KIND workflow is active at $FIX_STEP"
sqlite3 "$db" "UPDATE workflows SET step_started_ms = CAST(strftime('%s','now') AS INTEGER) * 1000
  WHERE state = 'active'"

"$ROOT/scripts/region.sh" up >"$T_OUT" 2>&1 || { sed 's/^/#   /' "$T_OUT"; bail "the region did not start"; }
ok 0 "the new controlplane and agents start on it"
# shellcheck disable=SC1091
. "$RDS_HOME/region.env"
export RDS_API_PORT RDS_DNS_PORT
export RDSCTL_ENDPOINT="http://127.0.0.1:$RDS_API_PORT"
export RDSCTL_WAIT_DELAY=0.1
API="http://127.0.0.1:$RDS_API_PORT/"
diag "region home $RDS_HOME (KEEP_RDS_HOME=1 keeps it)"

v=$(sqlite3 "$db" "SELECT value FROM meta WHERE key='schema_version'")
ok $([ "$v" -gt 4 ] && echo 0 || echo 1) "the store is migrated (schema version $v)"
is "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE name IN ('kms_keys','network_objects',
  'db_parameters','ab_backups','em_samples','log_files','storage_state')")" 7 \
  "the modules' tables are there"

poll 180 status_is "$FIX_INSTANCE" available
ok $? "$FIX_INSTANCE becomes available" || bail "the pending workflow did not finish"
is "$(sqlite3 "$db" "SELECT state FROM workflows WHERE instance_id='$FIX_INSTANCE' AND kind='$FIX_KIND'")" \
  done "the $FIX_KIND workflow is done"
ep=$(endpoint_of "$FIX_INSTANCE")
like "$ep" "^$FIX_INSTANCE\." "it has an endpoint ($ep)"
like "$(resolve "$ep")" "^127\.$RDS_NET\.[0-9]+\.[0-9]+$" "the endpoint resolves to the node's address"
is "$(sql "$FIX_INSTANCE" "SELECT 'upgraded'")" upgraded "a SQL query works through the endpoint"
is "$(sql "$FIX_INSTANCE" "SELECT current_user")" "$FIX_USER" "as the master user the old store holds"

done_testing
