#!/usr/bin/env bash
# Maintenance (issue 6) against a real region: a queued class change shown
# in PendingModifiedValues, not applied before the maintenance window and
# applied when the region clock enters it (events 0012/0014); a later
# ApplyImmediately applying queued values; a kill -9 of the controlplane
# mid-apply; a Multi-AZ class change applied standby first then switched
# over, with a writer that keeps committing; pending maintenance actions
# (system-update) listed, applied at once and in the next window, their
# errors, and the aws CLI.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

region_up || bail "the region did not start"
ok 0 "region up"

describe() { rdsctl describe-db-instances --db-instance-identifier "$1" | jq -r ".DBInstances[0]$2"; }
arn_of() { describe "$1" .DBInstanceArn; }

# has_message ID MESSAGE-PREFIX: an event of the instance in the last 30 days.
has_message() {
  rdsctl describe-events --source-identifier "$1" --source-type db-instance --duration 43200 |
    jq -e --arg m "$2" 'any(.Events[]; .Message | startswith($m))' >/dev/null
}

# window_in DAYS: a 30-minute maintenance window at 20:00 UTC on the day
# DAYS days after the region clock's now (never inside the backup window).
window_in() {
  local now day
  now=$(rdsctl clock show | jq -r .Now)
  day=$(date -u -d "$now + $1 days" +%a | tr 'A-Z' 'a-z')
  echo "$day:20:00-$day:20:30"
}

class_is() { [ "$(describe "$1" .DBInstanceClass)" = "$2" ]; }
pending_of() { describe "$1" ".PendingModifiedValues.$2 // empty"; }
no_pending() { [ -z "$(pending_of "$1" "$2")" ]; }

# Actions pending for an instance, "action:opt-in" space-separated.
actions_of() {
  rdsctl describe-pending-maintenance-actions --resource-identifier "$(arn_of "$1")" |
    jq -r '[.PendingMaintenanceActions[]?.PendingMaintenanceActionDetails[] |
            "\(.Action):\(.OptInStatus // "-")"] | join(" ")'
}
no_actions() { [ -z "$(actions_of "$1")" ]; }

create_instance mt >/dev/null
ok $? "create mt (Single-AZ)"
create_instance mz --multi-az --dns-ttl 1 >/dev/null
ok $? "create mz (Multi-AZ, endpoint TTL 1 s)"
poll 180 status_is mt available
ok $? "mt available" || bail "no instance"

# ---- a queued class change waits for the window ----------------------------------

w=$(window_in 2)
out=$(rdsctl modify-db-instance --db-instance-identifier mt --preferred-maintenance-window "$w")
ok $? "maintenance window $w (about two days ahead on the region clock)"
out=$(rdsctl modify-db-instance --db-instance-identifier mt --db-instance-class db.t3.small)
ok $? "modify-db-instance --db-instance-class db.t3.small (no --apply-immediately)"
is "$(jqs "$out" .DBInstance.PendingModifiedValues.DBInstanceClass)" db.t3.small \
  "the reply shows PendingModifiedValues.DBInstanceClass"
is "$(jqs "$out" .DBInstance.DBInstanceClass)" db.t3.micro "the class is still db.t3.micro"
out=$(rdsctl modify-db-instance --db-instance-identifier mt --allocated-storage 30)
ok $? "modify-db-instance --allocated-storage 30 (queued as well)"
is "$(pending_of mt AllocatedStorage)" 30 "PendingModifiedValues.AllocatedStorage 30"
rdsctl clock advance 1h >/dev/null
ok $? "clock advance 1h (still before the window)"
is "$(status_of mt)" available "still available after a cron pass"
is "$(pending_of mt DBInstanceClass)" db.t3.small "the class change is still pending"
is "$(describe mt .DBInstanceClass)" db.t3.micro "and not applied"
has_message mt "Applying modification to database instance class" && r=1 || r=0
is "$r" 0 "no RDS-EVENT-0012 yet"

rdsctl clock advance 4d >/dev/null
ok $? "clock advance 4d (past the window's start)"
poll 120 class_is mt db.t3.small
ok $? "the class is applied in the window"
poll 120 status_is mt available
ok $? "mt available again"
poll 10 no_pending mt DBInstanceClass
ok $? "PendingModifiedValues.DBInstanceClass is gone"
is "$(pending_of mt AllocatedStorage)" "" "PendingModifiedValues.AllocatedStorage is gone"
is "$(describe mt .AllocatedStorage)" 30 "AllocatedStorage is 30"
check "RDS-EVENT-0012 Applying modification to database instance class" \
  has_message mt "Applying modification to database instance class"
check "RDS-EVENT-0014 Finished applying modification to DB instance class" \
  has_message mt "Finished applying modification to DB instance class"
check "RDS-EVENT-0017 storage" has_message mt "Finished applying modification to allocated storage"
check "the server answers after the restart" sql mt "SELECT 1"

# ---- ApplyImmediately applies what is queued; kill -9 mid-apply --------------------

rdsctl modify-db-instance --db-instance-identifier mt --db-instance-class db.t3.medium >/dev/null
ok $? "queue db.t3.medium"
is "$(pending_of mt DBInstanceClass)" db.t3.medium "pending db.t3.medium"
out=$(rdsctl modify-db-instance --db-instance-identifier mt --backup-retention-period 3 --apply-immediately)
ok $? "a later modify with --apply-immediately (backup retention)"
is "$(jqs "$out" .DBInstance.DBInstanceStatus)" modifying "it applies the queued class: modifying"
cp=$(cp_pid)
kill -KILL "$cp" && poll 10 gone "$cp"
ok $? "kill -9 of the controlplane mid-apply"
region_restart
ok $? "region up again"
poll 120 class_is mt db.t3.medium
ok $? "the class change resumed and applied"
poll 120 status_is mt available
ok $? "mt available"
poll 10 no_pending mt DBInstanceClass
ok $? "nothing pending"

# ---- Multi-AZ: standby first, a switchover, writes keep succeeding ----------------

poll 240 status_is mz available
ok $? "mz available" || bail "no Multi-AZ instance"
ha_healthy() { rdsctl describe-db-instances --db-instance-identifier mz |
  jq -e '.DBInstances[0].SecondaryAvailabilityZone != null' >/dev/null; }
check "mz has a standby AZ" ha_healthy
check "a table for the writer" sql mz "CREATE TABLE w (id int PRIMARY KEY, at timestamptz DEFAULT now())"
az_before=$(describe mz .AvailabilityZone)
log="$RDS_HOME/writer.log"
stop="$RDS_HOME/writer.stop"
(
  # Bounded: at most 3000 attempts, each with a 2 s connect timeout.
  for i in $(seq 1 3000); do
    [ -e "$stop" ] && break
    if PGCONNECT_TIMEOUT=2 sql mz "INSERT INTO w (id) VALUES ($i)" >/dev/null 2>&1; then
      echo "$i ok"
    else
      echo "$i fail"
    fi >>"$log"
  done
) &
writer=$!
oks() { grep -c ' ok$' "$log" 2>/dev/null || echo 0; }
at_least_oks() { [ "$(oks)" -ge "$1" ]; }
poll 60 at_least_oks 5
ok $? "the writer commits before the change"
out=$(rdsctl modify-db-instance --db-instance-identifier mz --db-instance-class db.t3.small --apply-immediately)
ok $? "modify-db-instance mz --db-instance-class db.t3.small --apply-immediately"
poll 30 status_is mz modifying
ok $? "mz modifying"
poll 300 status_is mz available
ok $? "mz available again"
before_end=$(oks)
poll 60 at_least_oks $((before_end + 5))
ok $? "the writer commits after the change"
touch "$stop"
wait "$writer"
total=$(wc -l <"$log")
fails=$(grep -c ' fail$' "$log" || true)
diag "writer: $total attempts, $fails failed (the switchover)"
ok $([ "$fails" -le $((total / 2)) ] && echo 0 || echo 1) "most writes succeeded throughout ($fails of $total failed)"
is "$(describe mz .DBInstanceClass)" db.t3.small "mz's class is db.t3.small"
isnt "$(describe mz .AvailabilityZone)" "$az_before" "the primary moved to the other AZ ($az_before → $(describe mz .AvailabilityZone))"
is "$(describe mz '.PendingModifiedValues.DBInstanceClass // empty')" "" "nothing pending"
n=$(sql mz "SELECT count(*) FROM w")
acked=$(grep -c ' ok$' "$log")
ok $([ "${n:-0}" -ge "$acked" ] && echo 0 || echo 1) "every acknowledged write is there ($n rows, $acked acknowledged)"
# The order of events: the class change began, the standby ran ahead, the
# switchover started and completed, the change finished.
order=$(rdsctl describe-events --source-identifier mz --source-type db-instance --duration 60 |
  jq -r '[.Events[].Message | select(startswith("Applying modification to database instance class")
    or startswith("Multi-AZ instance failover started") or startswith("Multi-AZ instance failover completed")
    or startswith("Finished applying modification to DB instance class"))] | map(.[0:20]) | join("|")')
is "$order" "Applying modificatio|Multi-AZ instance fa|Multi-AZ instance fa|Finished applying mo" \
  "events: 0012, 0013, 0049, 0014 in that order"

# ---- pending maintenance actions ---------------------------------------------------

is "$(actions_of mt)" "system-update:-" "mt has a system-update pending"
out=$(rdsctl describe-pending-maintenance-actions)
ok $? "describe-pending-maintenance-actions (all)"
is "$(jqs "$out" '[.PendingMaintenanceActions[].ResourceIdentifier] | length')" 2 "both instances listed"
is "$(api "Action=ApplyPendingMaintenanceAction&Version=2014-10-31&ResourceIdentifier=arn:aws:rds:us-east-1:123456789012:db:nope&ApplyAction=system-update&OptInType=immediate")" \
  "404 ResourceNotFoundFault" "an unknown ARN: ResourceNotFoundFault"
is "$(api "Action=ApplyPendingMaintenanceAction&Version=2014-10-31&ResourceIdentifier=$(arn_of mt)&ApplyAction=system-update&OptInType=later")" \
  "400 InvalidParameterValue" "a bad OptInType: InvalidParameterValue"
is "$(api "Action=ApplyPendingMaintenanceAction&Version=2014-10-31&ResourceIdentifier=$(arn_of mt)&ApplyAction=db-upgrade&OptInType=immediate")" \
  "400 InvalidParameterValue" "an action that is not pending: InvalidParameterValue"
is "$(api "Action=ApplyPendingMaintenanceAction&Version=2014-10-31&ResourceIdentifier=$(arn_of mt)&ApplyAction=system-update")" \
  "400 MissingParameter" "no OptInType: MissingParameter"

pid_before=$(postmaster_pid mt)
out=$(rdsctl apply-pending-maintenance-action --resource-identifier "$(arn_of mt)" \
  --apply-action system-update --opt-in-type immediate)
ok $? "apply-pending-maintenance-action system-update immediate"
is "$(jqs "$out" '.ResourcePendingMaintenanceActions.PendingMaintenanceActionDetails[0].OptInStatus')" \
  immediate "the reply shows OptInStatus immediate"
poll 120 no_actions mt
ok $? "then nothing is pending for mt"
poll 120 status_is mt available
ok $? "mt available"
isnt "$(postmaster_pid mt)" "$pid_before" "the node really restarted"
check "RDS-EVENT-0026 off-line patches" has_message mt "Applying off-line patches"
check "RDS-EVENT-0027 finished" has_message mt "Finished applying off-line patches"

mzarn=$(arn_of mz)
rdsctl apply-pending-maintenance-action --resource-identifier "$mzarn" --apply-action system-update \
  --opt-in-type next-maintenance >/dev/null
ok $? "mz: system-update next-maintenance"
is "$(actions_of mz)" "system-update:next-maintenance" "listed with OptInStatus next-maintenance"
rdsctl apply-pending-maintenance-action --resource-identifier "$mzarn" --apply-action system-update \
  --opt-in-type undo-opt-in >/dev/null
ok $? "undo-opt-in"
is "$(actions_of mz)" "system-update:-" "the opt-in is gone"
w=$(window_in 2)
rdsctl modify-db-instance --db-instance-identifier mz --preferred-maintenance-window "$w" >/dev/null
ok $? "mz window $w"
out=$(rdsctl apply-pending-maintenance-action --resource-identifier "$mzarn" --apply-action system-update \
  --opt-in-type next-maintenance)
ok $? "next-maintenance again"
like "$(jqs "$out" '.ResourcePendingMaintenanceActions.PendingMaintenanceActionDetails[0].CurrentApplyDate')" \
  'T20:00:00' "CurrentApplyDate is the window's start"
rdsctl clock advance 1h >/dev/null
is "$(actions_of mz)" "system-update:next-maintenance" "not applied before the window"
rdsctl clock advance 4d >/dev/null
ok $? "clock advance 4d"
poll 300 no_actions mz
ok $? "applied in the window: nothing pending for mz"
poll 300 status_is mz available
ok $? "mz available"

# ---- db-upgrade: an instance on an older minor than the region runs ----------------
# The region has one PostgreSQL (pg_config --version): an instance whose
# store row says an older minor of it is what a region upgraded under its
# instances looks like (apt upgraded the binaries; the running postmasters
# are the old ones until a restart). The store is edited with the
# controlplane down.

installed=$(describe mt .EngineVersion)
older="${installed%%.*}.0"
cp=$(cp_pid)
kill -TERM "$cp" && poll 30 gone "$cp"
ok $? "controlplane stopped"
python3 - "$RDS_HOME/controlplane/controlplane.db" "$older" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE instances SET engine_version = ? WHERE id = 'mt'", (sys.argv[2],))
db.commit()
PY
ok $? "mt's EngineVersion set to $older in the store"
region_restart
ok $? "region up again"
poll 30 api_alive
is "$(actions_of mt)" "db-upgrade:-" "mt is offered a db-upgrade"
out=$(rdsctl describe-pending-maintenance-actions --filters Name=db-instance-id,Values=mt)
like "$(jqs "$out" '.PendingMaintenanceActions[0].PendingMaintenanceActionDetails[0].Description')" \
  "$installed" "its description names the installed version $installed"
isnt "$(jqs "$out" '.PendingMaintenanceActions[0].PendingMaintenanceActionDetails[0].AutoAppliedAfterDate // empty')" \
  "" "AutoMinorVersionUpgrade (default true): AutoAppliedAfterDate is set"
rdsctl modify-db-instance --db-instance-identifier mt --no-auto-minor-version-upgrade >/dev/null
ok $? "--no-auto-minor-version-upgrade"
w=$(window_in 2)
rdsctl modify-db-instance --db-instance-identifier mt --preferred-maintenance-window "$w" >/dev/null
ok $? "mt window $w"
rdsctl clock advance 4d >/dev/null
rdsctl describe-db-instances >/dev/null
is "$(status_of mt)" available "the window passed without an upgrade"
is "$(describe mt .EngineVersion)" "$older" "still $older"
rdsctl modify-db-instance --db-instance-identifier mt --auto-minor-version-upgrade >/dev/null
ok $? "--auto-minor-version-upgrade"
w=$(window_in 2)
rdsctl modify-db-instance --db-instance-identifier mt --preferred-maintenance-window "$w" >/dev/null
rdsctl clock advance 4d >/dev/null
ok $? "clock advance 4d past the next window"
engine_is() { [ "$(describe mt .EngineVersion)" = "$1" ]; }
poll 120 engine_is "$installed"
ok $? "the minor upgrade was applied in the window: $installed"
poll 120 status_is mt available
ok $? "mt available"
poll 10 no_actions mt
ok $? "nothing pending"
check "RDS-EVENT-0047 Database instance patched." has_message mt "Database instance patched."

# ---- the aws CLI -------------------------------------------------------------------

if command -v aws >/dev/null; then
  # The aws CLI signs with the region's credentials (region.env, lib.sh).
  export AWS_PAGER=
  out=$(aws --endpoint-url "$API" --output json rds describe-pending-maintenance-actions 2>&1)
  ok $? "aws rds describe-pending-maintenance-actions"
  is "$(jqs "$out" '.PendingMaintenanceActions | length')" 0 "nothing pending any more"
  out=$(aws --endpoint-url "$API" --output json rds apply-pending-maintenance-action \
    --resource-identifier "arn:aws:rds:us-east-1:123456789012:db:nope" --apply-action system-update \
    --opt-in-type immediate 2>&1)
  like "$out" "ResourceNotFoundFault" "aws rds apply-pending-maintenance-action: ResourceNotFoundFault"
else
  ok 0 "# SKIP the aws CLI is not installed"
fi

done_testing
