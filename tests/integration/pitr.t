#!/usr/bin/env bash
# Automated backups and point-in-time restore of issue 5 against a real
# region: a writer records every commit with client-side bounds of its
# commit time; a restore to a time T between two commits holds exactly the
# commits before T, row by row — T inside a base-backup interval, and T
# after a failover (the archive follows the new timeline); backups of an
# encrypted instance hold no plaintext marker; retention on the region
# clock removes the old base backup and the WAL only it needed while the
# window stays restorable; a restore to LatestRestorableTime taken amid
# continuous commits holds every commit acknowledged before it and none
# begun after it (issue 19); retained backups of a deleted instance restore;
# N -> 0 removes them; a tampered WAL object and a disabled key fail
# cleanly; the API's errors; kill -9 of the controlplane keeps archiving.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

MARK="marker-$RANDOM-$RANDOM-plaintext"
err_code() { "$@" 2>&1 >/dev/null | sed -n 's/.*(\([A-Za-z]*\)).*/\1/p' | head -1; }
field() { rdsctl describe-db-instances --db-instance-identifier "$1" | jq -r ".DBInstances[0].$2 | if . == null then empty else . end"; }
rid_of() { field "$1" DbiResourceId; }
lrt() { field "$1" LatestRestorableTime; }
ab_dir() { echo "$RDS_HOME/backups/automated/$(rid_of "$1")"; }
has_lrt() { [ -n "$(lrt "$1")" ]; }
# lrt_past ID ISO: the latest restorable time is at or after ISO.
lrt_past() { local l; l=$(lrt "$1"); [ -n "$l" ] && [[ ! "$l" < "$2" ]]; }
offset_s() { rdsctl clock show | jq -r .OffsetSeconds; }
# iso REAL_EPOCH_SECONDS(.frac) OFFSET_S: region time as ISO 8601 with ms.
iso() { awk -v t="$1" -v o="$2" 'BEGIN { s = t + o; ms = int((s - int(s)) * 1000);
  printf "%s.%03dZ", strftime("%Y-%m-%dT%H:%M:%S", int(s), 1), ms }'; }
rows() { sql "$1" "SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM w"; }
bases() { ls "$(ab_dir "$1")/base/" 2>/dev/null | grep 'tar.env$' | sort; }
# new_base ID OLD-LIST: a base backup not in OLD-LIST is there.
new_base() { [ -n "$(comm -13 <(printf '%s\n' "$2") <(bases "$1"))" ]; }

# write ID FROM TO: one commit per row, with the real time just before and
# just after each commit in BEFORE[i] and AFTER[i].
declare -a BEFORE AFTER
write() {
  local id=$1 i addr
  addr=$(resolve "$(endpoint_of "$id")")
  for ((i = $2; i <= $3; i++)); do
    BEFORE[i]=$EPOCHREALTIME
    psql_at "$addr" "INSERT INTO w VALUES ($i)" >/dev/null || return 1
    AFTER[i]=$EPOCHREALTIME
    sleep 0.05
  done
}
# between K: a real time after commit K returned and before K+1 began.
between() { awk -v a="${AFTER[$1]}" -v b="${BEFORE[$(($1 + 1))]}" 'BEGIN { printf "%.3f", (a + b) / 2 }'; }
seq_csv() { seq -s, "$1" "$2"; }

# restore_to SRC TARGET TIME: a point-in-time restore, polled to available.
restore_to() {
  rdsctl restore-db-instance-to-point-in-time --source-db-instance-identifier "$1" \
    --target-db-instance-identifier "$2" --restore-time "$3" >/dev/null &&
    poll 240 status_is "$2" available
}

region_up || bail "the region did not start"
ok 0 "region up"

key=$(rdsctl kms create-key --description pitr | jq -r .KeyMetadata.Arn)
like "$key" '^arn:aws:kms:' "a customer KMS key"
create_instance src --multi-az >/dev/null
ok $? "create src (Multi-AZ, retention 1 day)"
create_instance enc --storage-encrypted --kms-key-id "$key" >/dev/null
ok $? "create enc (encrypted)"
# available_seen ID: one Describe; true once ID is `available`. An
# `available` without LatestRestorableTime (retention 1) is counted in
# NO_LRT[ID]: RDS shows it as soon as the first backup exists (issue 14).
declare -A NO_LRT
available_seen() {
  local d
  d=$(rdsctl describe-db-instances --db-instance-identifier "$1" 2>/dev/null) || return 1
  [ "$(jqs "$d" '.DBInstances[0].DBInstanceStatus')" = available ] || return 1
  [ -n "$(jqs "$d" '.DBInstances[0].LatestRestorableTime // empty')" ] ||
    NO_LRT[$1]=$((${NO_LRT[$1]:-0} + 1))
  return 0
}
check "src available" poll 240 available_seen src
check "enc available" poll 240 available_seen enc
is "${NO_LRT[src]:-0}" 0 "src: LatestRestorableTime as soon as it is available (first base backup done)"
is "${NO_LRT[enc]:-0}" 0 "enc: LatestRestorableTime as soon as it is available"
check "src still has a latest restorable time" has_lrt src
like "$(rdsctl describe-events --source-type db-instance --source-identifier src | jq -r '[.Events[].Message] | join("|")')" \
  'Backing up DB instance.*Finished DB instance backup' "events 0001 and 0002"

for i in src enc; do
  sql $i "CREATE TABLE w(id int PRIMARY KEY); CREATE TABLE m(v text)" >/dev/null
  ok $? "tables made on $i"
done
sql enc "INSERT INTO m VALUES ('$MARK')" >/dev/null
sql src "INSERT INTO m VALUES ('$MARK')" >/dev/null

# ---- a restore in the middle of a base-backup interval -----------------------

write src 1 30
ok $? "30 commits on src"
off=$(offset_s)
t1=$(iso "$(between 17)" "$off")
diag "restore time $t1 (between commits 17 and 18)"
check "the archive reaches past it" poll 60 lrt_past src "$t1"
lag=$(awk -v l="$(date -u -d "$(lrt src)" +%s.%N)" -v n="$EPOCHREALTIME" -v o="$off" 'BEGIN { printf "%.2f", n + o - l }')
diag "LatestRestorableTime lags the region clock by ${lag}s"
check "restore src to the middle" restore_to src at17 "$t1"
is "$(rows at17)" "$(seq_csv 1 17)" "at17 holds exactly commits 1..17"
is "$(field at17 StorageEncrypted)" false "at17 is as unencrypted as src"

# ---- across a failover ------------------------------------------------------------

az0=$(field src AvailabilityZone)
rdsctl reboot-db-instance --db-instance-identifier src --force-failover >/dev/null
ok $? "failover of src"
check "src available after the failover" poll 240 status_is src available
isnt "$(field src AvailabilityZone)" "$az0" "the primary moved"
write src 31 60
ok $? "30 more commits after the failover"
t2=$(iso "$(between 44)" "$(offset_s)")
check "the archive reaches past the post-failover time" poll 60 lrt_past src "$t2"
check "restore src to after the failover" restore_to src at44 "$t2"
is "$(rows at44)" "$(seq_csv 1 44)" "at44 holds exactly commits 1..44 (across the new timeline)"

# ---- LatestRestorableTime never ahead of the sealed WAL (issue 19) ----------------
# Under continuous commits the archiver moves the restorable time every
# tick; a restore to the value Describe shows mid-stream holds every
# commit acknowledged before it and none begun after it.
wlog="$RDS_HOME/stream.log"
: >"$wlog"
stream() { # ID FROM: commits until $RDS_HOME/stream.stop exists; "i before after" lines
  local addr i=$2
  addr=$(resolve "$(endpoint_of "$1")")
  until [ -e "$RDS_HOME/stream.stop" ]; do
    local b=$EPOCHREALTIME
    psql_at "$addr" "INSERT INTO w VALUES ($i)" >/dev/null || return 1
    echo "$i $b $EPOCHREALTIME" >>"$wlog"
    i=$((i + 1))
  done
}
streamed() { [ "$(wc -l <"$wlog")" -ge 20 ]; }
# streamed_past T: 3 commits began more than 0.5 s after real time T.
streamed_past() { [ "$(awk -v t="$1" '$2 > t + 0.5' "$wlog" | wc -l)" -ge 3 ]; }
stream src 1001 &
stream_pid=$!
check "the stream commits" poll 60 streamed
off=$(offset_s)
tl=$(lrt src)
tl_real=$(awk -v l="$(date -u -d "$tl" +%s.%N)" -v o="$off" 'BEGIN { printf "%.3f", l - o }')
check "the stream goes on past it" poll 60 streamed_past "$tl_real"
touch "$RDS_HOME/stream.stop"
wait "$stream_pid"
diag "LatestRestorableTime $tl taken mid-stream; $(wc -l <"$wlog") commits streamed"
check "restore src to that LatestRestorableTime" restore_to src atl "$tl"
got=$(rows atl | tr , '\n' | awk '$1 > 1000')
must=$(awk -v t="$tl_real" '$3 < t { print $1 }' "$wlog")
never=$(awk -v t="$tl_real" '$2 > t { print $1 }' "$wlog")
is "$(comm -23 <(sort <<<"$must") <(sort <<<"$got") | wc -l)" 0 \
  "atl holds every commit acknowledged before the restorable time ($(wc -w <<<"$must") of them)"
is "$(comm -12 <(sort <<<"$never") <(sort <<<"$got") | wc -l)" 0 \
  "atl holds no commit begun after it ($(wc -w <<<"$never") of them)"
for i in at17 at44 atl; do rdsctl delete-db-instance --db-instance-identifier $i --skip-final-snapshot >/dev/null; done
# The streamed rows go again: the retention checks below count w's rows.
sql src "DELETE FROM w WHERE id > 1000" >/dev/null
ok $? "the streamed rows deleted from src"

# ---- encryption ---------------------------------------------------------------

check "enc's archive reaches its marker" poll 60 lrt_past enc "$(iso "$EPOCHREALTIME" "$(offset_s)")"
check "src's backups hold the marker in the clear (the grep works)" grep -rqa -- "$MARK" "$(ab_dir src)"
check "enc's backups hold no plaintext marker" eval '! grep -rqa -- "$MARK" "$(ab_dir enc)"'
is "$(rdsctl describe-db-instance-automated-backups --db-instance-identifier enc | jq -r '.DBInstanceAutomatedBackups[0] | "\(.Status) \(.Encrypted) \(.KmsKeyId)"')" \
  "active true $key" "describe-db-instance-automated-backups: active, encrypted with the key"
rdsctl kms disable-key --key-id "$key" >/dev/null
is "$(err_code rdsctl restore-db-instance-to-point-in-time --source-db-instance-identifier enc --target-db-instance-identifier enc2 --use-latest-restorable-time)" \
  KMSKeyNotAccessibleFault "PITR under a disabled key: KMSKeyNotAccessibleFault"
check "enc, whose key is disabled, becomes inaccessible-encryption-credentials-recoverable" \
  poll 60 status_is enc inaccessible-encryption-credentials-recoverable
rdsctl kms enable-key --key-id "$key" >/dev/null
check "enabling the key makes it available again" poll 60 status_is enc available

# ---- errors -------------------------------------------------------------------

early=$(iso "$(awk -v t="$EPOCHREALTIME" 'BEGIN { print t - 86400 * 3 }')" "$(offset_s)")
is "$(err_code rdsctl restore-db-instance-to-point-in-time --source-db-instance-identifier src --target-db-instance-identifier x1 --restore-time "$early")" \
  InvalidRestoreFault "a time before the window: InvalidRestoreFault"
is "$(err_code rdsctl restore-db-instance-to-point-in-time --source-db-instance-identifier src --target-db-instance-identifier x1 --restore-time "$t1" --use-latest-restorable-time)" \
  InvalidParameterCombination "both RestoreTime and UseLatestRestorableTime"
is "$(err_code rdsctl restore-db-instance-to-point-in-time --source-db-instance-identifier nope --target-db-instance-identifier x1 --use-latest-restorable-time)" \
  DBInstanceNotFound "an unknown source: DBInstanceNotFound"
is "$(err_code rdsctl restore-db-instance-to-point-in-time --source-db-instance-identifier src --target-db-instance-identifier enc --use-latest-restorable-time)" \
  DBInstanceAlreadyExists "onto an existing name: DBInstanceAlreadyExists"
is "$(err_code rdsctl restore-db-instance-to-point-in-time --source-db-instance-identifier src --target-db-instance-identifier x1 --restore-time yesterday)" \
  InvalidParameterValue "a malformed time: InvalidParameterValue"
is "$(status_of x1)" gone "no instance was made by a refused restore"

# ---- kill -9 of the controlplane: archiving goes on -------------------------------

kill -KILL "$(cp_pid)"
check "controlplane killed" poll 10 gone "$(cp_pid)"
region_restart
ok $? "region.sh up again"
sql src "INSERT INTO w VALUES (1000)" >/dev/null
ok $? "a commit after the restart"
t3=$(iso "$EPOCHREALTIME" "$(offset_s)")
check "the archive reaches past it after the restart" poll 60 lrt_past src "$t3"

# ---- retention on the region clock ------------------------------------------------

# A backup window around the current time of day, the maintenance window
# twelve hours away, so that after each advance a daily backup is due.
now_s=$(awk -v t="$EPOCHREALTIME" -v o="$(offset_s)" 'BEGIN { print int(t + o) }')
bw=$(date -u -d "@$now_s" +%H:%M)-$(date -u -d "@$((now_s + 3600))" +%H:%M)
mw=$(date -u -d "@$((now_s + 43200))" +%a:%H:%M | tr 'A-Z' 'a-z')-$(date -u -d "@$((now_s + 43200 + 1800))" +%a:%H:%M | tr 'A-Z' 'a-z')
rdsctl modify-db-instance --db-instance-identifier src --preferred-backup-window "$bw" \
  --preferred-maintenance-window "$mw" --apply-immediately >/dev/null
ok $? "backup window $bw, maintenance window $mw"
b0=$(bases src)
first_wal=$(ls "$(ab_dir src)/wal" | grep -E '^[0-9A-F]{24}(\.partial)?\.env$' | sort | head -1)
# The next base backup (of the standby: it starts at the last checkpoint
# replayed) starts in a later segment, so retention has WAL to drop.
admin_psql "$(resolve "$(endpoint_of src)")" "SELECT pg_switch_wal()" >/dev/null &&
  sql src "CHECKPOINT" >/dev/null
ok $? "pg_switch_wal and CHECKPOINT on src"
diag "base backups: $(echo $b0); the oldest archived segment is $first_wal"
rdsctl clock advance 2d >/dev/null
ok $? "clock advanced 2 days"
check "a daily base backup is taken in the window" poll 120 new_base src "$b0"
b1=$(bases src)
sql src "INSERT INTO w VALUES (2000)" >/dev/null
rdsctl clock advance 2d >/dev/null
ok $? "clock advanced 2 more days"
check "another daily base backup" poll 120 new_base src "$b1"
oldest=$(head -1 <<<"$b0")
pruned() { ! bases src | grep -qxF "$oldest" && [ ! -e "$(ab_dir src)/wal/$first_wal" ]; }
check "retention removed the oldest base backup and the WAL only it needed" poll 60 pruned
is "$(bases src | wc -l)" 2 "two base backups are left: the one before the window's start and the newest"
win=$(rdsctl describe-db-instance-automated-backups --db-instance-identifier src)
earliest=$(jqs "$win" '.DBInstanceAutomatedBackups[0].RestoreWindow.EarliestTime')
diag "restore window $earliest .. $(jqs "$win" '.DBInstanceAutomatedBackups[0].RestoreWindow.LatestTime')"
check "restore to the window's earliest time" restore_to src early "$earliest"
is "$(rows early)" "$(seq_csv 1 60),1000,2000" "the window's start is restorable: every commit made before it"
rdsctl delete-db-instance --db-instance-identifier early --skip-final-snapshot >/dev/null

# ---- deleting: retained backups, and N -> 0 ---------------------------------------------

rid=$(rid_of enc)
rdsctl delete-db-instance --db-instance-identifier enc --skip-final-snapshot \
  --no-delete-automated-backups >/dev/null
ok $? "delete enc keeping its automated backups"
check "enc is gone" poll 180 status_is enc gone
is "$(rdsctl describe-db-instance-automated-backups --dbi-resource-id "$rid" | jq -r '.DBInstanceAutomatedBackups[0].Status')" \
  retained "its automated backups are retained"
is "$(err_code rdsctl delete-db-instance-automated-backup --dbi-resource-id "$(rid_of src)")" \
  InvalidDBInstanceAutomatedBackupState "an active instance's backups cannot be deleted that way"
rdsctl restore-db-instance-to-point-in-time --source-dbi-resource-id "$rid" \
  --target-db-instance-identifier enc-back --use-latest-restorable-time >/dev/null
ok $? "restore the deleted enc from its retained backups, to the latest restorable time"
check "enc-back available" poll 240 status_is enc-back available
is "$(sql enc-back "SELECT v FROM m")" "$MARK" "enc-back holds enc's last commit"
is "$(field enc-back StorageEncrypted)" true "and is encrypted like enc"
rdsctl delete-db-instance --db-instance-identifier enc-back --skip-final-snapshot >/dev/null

# ---- a tampered WAL object -----------------------------------------------------------

obj=$(ls "$RDS_HOME/backups/automated/$rid"/wal/*.env | grep -E '/[0-9A-F]{24}\.env$' | sort | tail -1)
size=$(stat -c %s "$obj")
printf 'X' | dd of="$obj" bs=1 seek=$((size / 2)) conv=notrunc status=none
ok $? "one byte of $(basename "$obj") altered"
rdsctl restore-db-instance-to-point-in-time --source-dbi-resource-id "$rid" \
  --target-db-instance-identifier tampered --use-latest-restorable-time >/dev/null
ok $? "restore over the tampered archive (accepted)"
check "the restore fails" poll 120 status_is tampered failed
check "it left no data directory" eval '! ls -d "$RDS_HOME"/agents/*/nodes/tampered-*/data 2>/dev/null | grep -q .'
like "$(cat "$RDS_HOME"/agents/*/nodes/tampered-*/log/restore.log)" 'does not verify' \
  "the restore log says an archived WAL file does not verify"

rdsctl delete-db-instance-automated-backup --dbi-resource-id "$rid" >/dev/null
ok $? "delete-db-instance-automated-backup"
is "$(err_code rdsctl describe-db-instance-automated-backups --dbi-resource-id "$rid")" \
  DBInstanceAutomatedBackupNotFound "and they are gone"
check "the store holds nothing of them" poll 30 eval "[ ! -e '$RDS_HOME/backups/automated/$rid' ]"

srid=$(rid_of src)
rdsctl modify-db-instance --db-instance-identifier src --backup-retention-period 0 \
  --apply-immediately >/dev/null
ok $? "retention of src to 0"
check "src's automated backups are removed" poll 30 eval "[ ! -e '$RDS_HOME/backups/automated/$srid' ]"
is "$(lrt src)" "" "and it has no latest restorable time"
is "$(err_code rdsctl restore-db-instance-to-point-in-time --source-db-instance-identifier src --target-db-instance-identifier x1 --use-latest-restorable-time)" \
  PointInTimeRestoreNotEnabled "retention 0: PointInTimeRestoreNotEnabled"

# ---- the aws CLI ------------------------------------------------------------------------

if command -v aws >/dev/null; then
  # The aws CLI signs with the region's credentials (region.env, lib.sh).
  export AWS_PAGER=
  out=$(aws --endpoint-url "$API" --output json rds describe-db-instance-automated-backups 2>&1)
  ok $? "aws rds describe-db-instance-automated-backups"
  is "$(jqs "$out" '.DBInstanceAutomatedBackups | length')" 0 "none left"
fi

done_testing
