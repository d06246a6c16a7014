#!/usr/bin/env bash
# DB snapshots of issue 5 against a real region: a snapshot restores to
# the same rows and the snapshot's master password; an encrypted
# instance's snapshot and an encrypted copy hold no plaintext of a marker
# row (an unencrypted one does); restore from the encrypted copy is an
# encrypted instance; a disabled key refuses the restore
# (KMSKeyNotAccessibleFault); a tampered object fails the restore cleanly
# (instance failed, no data directory); delete with a final snapshot; the
# API's errors; the aws CLI.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

MARK="marker-$RANDOM-$RANDOM-plaintext"
STORE() { echo "$RDS_HOME/backups/snapshots/$1"; }

# err_code CMD...: the AWS error code an rdsctl call fails with.
err_code() { "$@" 2>&1 >/dev/null | sed -n 's/.*(\([A-Za-z]*\)).*/\1/p' | head -1; }
snap_status() {
  rdsctl describe-db-snapshots --db-snapshot-identifier "$1" 2>/dev/null |
    jq -r '.DBSnapshots[0].Status'
}
snap_is() { [ "$(snap_status "$1")" = "$2" ]; }
rows_of() { sql "$1" "SELECT string_agg(v, ',' ORDER BY id) FROM t" orders; }
in_store() { grep -rqa -- "$MARK" "$1"; }

region_up || bail "the region did not start"
ok 0 "region up"

key=$(rdsctl kms create-key --description snaptest | jq -r .KeyMetadata.Arn)
like "$key" '^arn:aws:kms:' "a customer KMS key"

create_instance src --db-name orders >/dev/null
ok $? "create src (unencrypted)"
create_instance enc --db-name orders --storage-encrypted --kms-key-id "$key" >/dev/null
ok $? "create enc (encrypted with the key)"
check "src available" poll 180 status_is src available
check "enc available" poll 180 status_is enc available

for i in src enc; do
  sql $i "CREATE TABLE t(id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'one'), (2, '$MARK'), (3, 'three')" orders >/dev/null
  ok $? "rows written to $i"
done
want="one,$MARK,three"

# ---- errors before anything exists -----------------------------------------

is "$(err_code rdsctl create-db-snapshot --db-snapshot-identifier s1 --db-instance-identifier nope)" \
  DBInstanceNotFound "snapshot of an unknown instance: DBInstanceNotFound"
is "$(err_code rdsctl create-db-snapshot --db-snapshot-identifier 1bad --db-instance-identifier src)" \
  InvalidParameterValue "a bad snapshot identifier: InvalidParameterValue"
is "$(err_code rdsctl describe-db-snapshots --db-snapshot-identifier nope)" DBSnapshotNotFound \
  "describe an unknown snapshot: DBSnapshotNotFound"
is "$(err_code rdsctl delete-db-snapshot --db-snapshot-identifier nope)" DBSnapshotNotFound \
  "delete an unknown snapshot: DBSnapshotNotFound"

# ---- snapshots ---------------------------------------------------------------

s=$(rdsctl create-db-snapshot --db-snapshot-identifier src-snap --db-instance-identifier src)
ok $? "create-db-snapshot src-snap"
is "$(jqs "$s" .DBSnapshot.Status)" creating "it starts creating"
rdsctl create-db-snapshot --db-snapshot-identifier enc-snap --db-instance-identifier enc >/dev/null
ok $? "create-db-snapshot enc-snap"
is "$(err_code rdsctl create-db-snapshot --db-snapshot-identifier src-snap --db-instance-identifier src)" \
  DBSnapshotAlreadyExists "the same identifier again: DBSnapshotAlreadyExists"
check "src-snap available" poll 120 snap_is src-snap available
check "enc-snap available" poll 120 snap_is enc-snap available
rdsctl wait db-snapshot-available --db-snapshot-identifier src-snap
ok $? "rdsctl wait db-snapshot-available"

d=$(rdsctl describe-db-snapshots --db-snapshot-identifier enc-snap)
is "$(jqs "$d" '.DBSnapshots[0] | "\(.Encrypted) \(.KmsKeyId) \(.SnapshotType) \(.DBInstanceIdentifier)"')" \
  "true $key manual enc" "enc-snap: encrypted with the instance's key, manual, of enc"
is "$(rdsctl describe-db-snapshots --db-instance-identifier src | jq -r '[.DBSnapshots[].DBSnapshotIdentifier] | join(" ")')" \
  src-snap "filter by instance"
is "$(rdsctl describe-db-snapshots --snapshot-type automated | jq '.DBSnapshots | length')" 0 \
  "no automated snapshots"
is "$(rdsctl describe-db-snapshots --filters Name=db-snapshot-id,Values=enc-snap | jq -r '.DBSnapshots[0].DBSnapshotIdentifier')" \
  enc-snap "filter db-snapshot-id"
like "$(rdsctl describe-events --source-type db-snapshot --source-identifier src-snap | jq -r '[.Events[].Message] | join("|")')" \
  'Creating manual snapshot.*Manual snapshot created' "events 0040 and 0042"

check "the unencrypted snapshot holds the marker in the clear" in_store "$(STORE src-snap)"
check "the encrypted snapshot holds no plaintext marker" eval '! in_store "$(STORE enc-snap)"'

# ---- restore -----------------------------------------------------------------

rdsctl restore-db-instance-from-db-snapshot --db-instance-identifier back \
  --db-snapshot-identifier src-snap >/dev/null
ok $? "restore src-snap as back"
rdsctl restore-db-instance-from-db-snapshot --db-instance-identifier back-enc \
  --db-snapshot-identifier enc-snap >/dev/null
ok $? "restore enc-snap as back-enc"
is "$(err_code rdsctl restore-db-instance-from-db-snapshot --db-instance-identifier src --db-snapshot-identifier src-snap)" \
  DBInstanceAlreadyExists "restore onto an existing name: DBInstanceAlreadyExists"
check "back available" poll 180 status_is back available
check "back-enc available" poll 180 status_is back-enc available
is "$(rows_of back)" "$want" "back holds the snapshot's rows (with the snapshot's password)"
is "$(rows_of back-enc)" "$want" "back-enc holds the encrypted snapshot's rows"
is "$(rdsctl describe-db-instances --db-instance-identifier back-enc | jq -r '.DBInstances[0] | "\(.StorageEncrypted) \(.KmsKeyId)"')" \
  "true $key" "back-enc is encrypted with the snapshot's key"
for i in back back-enc; do rdsctl delete-db-instance --db-instance-identifier $i --skip-final-snapshot >/dev/null; done

# ---- an encrypted copy of an unencrypted snapshot -----------------------------

rdsctl copy-db-snapshot --source-db-snapshot-identifier src-snap \
  --target-db-snapshot-identifier src-copy --kms-key-id "$key" >/dev/null
ok $? "copy-db-snapshot src-snap --kms-key-id"
check "src-copy available" poll 120 snap_is src-copy available
is "$(rdsctl describe-db-snapshots --db-snapshot-identifier src-copy | jq -r '.DBSnapshots[0].Encrypted')" \
  true "the copy is encrypted"
check "the encrypted copy holds no plaintext marker" eval '! in_store "$(STORE src-copy)"'
rdsctl restore-db-instance-from-db-snapshot --db-instance-identifier from-copy \
  --db-snapshot-identifier src-copy >/dev/null
ok $? "restore the encrypted copy"
check "from-copy available" poll 180 status_is from-copy available
is "$(rows_of from-copy)" "$want" "from-copy holds the rows"
is "$(rdsctl describe-db-instances --db-instance-identifier from-copy | jq -r '.DBInstances[0].StorageEncrypted')" \
  true "restored from an encrypted copy: an encrypted instance"
rdsctl delete-db-instance --db-instance-identifier from-copy --skip-final-snapshot >/dev/null

# ---- a disabled key, a tampered object ----------------------------------------

rdsctl kms disable-key --key-id "$key" >/dev/null
ok $? "disable the key"
is "$(err_code rdsctl restore-db-instance-from-db-snapshot --db-instance-identifier nokey --db-snapshot-identifier enc-snap)" \
  KMSKeyNotAccessibleFault "restore under a disabled key: KMSKeyNotAccessibleFault"
is "$(status_of nokey)" gone "and no instance was made"
rdsctl kms enable-key --key-id "$key" >/dev/null

rdsctl copy-db-snapshot --source-db-snapshot-identifier src-snap \
  --target-db-snapshot-identifier bad-snap >/dev/null
check "a plain copy bad-snap available" poll 120 snap_is bad-snap available
obj="$(STORE bad-snap)/base.tar.env"
size=$(stat -c %s "$obj")
printf 'X' | dd of="$obj" bs=1 seek=$((size / 2)) conv=notrunc status=none
ok $? "one byte of bad-snap altered"
rdsctl restore-db-instance-from-db-snapshot --db-instance-identifier tampered \
  --db-snapshot-identifier bad-snap >/dev/null
ok $? "restore the tampered snapshot (accepted)"
check "the tampered restore fails" poll 120 status_is tampered failed
check "it left no data directory" eval '! ls -d "$RDS_HOME"/agents/*/nodes/tampered-*/data 2>/dev/null | grep -q .'
like "$(cat "$RDS_HOME"/agents/*/nodes/tampered-*/log/restore.log)" 'does not verify: corrupt' \
  "the restore log says the object does not verify"


# ---- kill -9 of the controlplane while a snapshot is made --------------------------

# The key was disabled above: domain/kmswatch.c may have made enc
# inaccessible-encryption-credentials-recoverable meanwhile, and makes it
# available again on its own once the key is enabled; wait for that.
check "enc available again after its key came back" poll 120 status_is enc available
rdsctl create-db-snapshot --db-snapshot-identifier crash-snap --db-instance-identifier enc >/dev/null
ok $? "create-db-snapshot crash-snap"
kill -KILL "$(cp_pid)"
check "controlplane killed" poll 10 gone "$(cp_pid)"
region_restart
ok $? "region.sh up again"
check "crash-snap becomes available after the restart" poll 120 snap_is crash-snap available
check "and no temporary file is left" eval '! ls "$(STORE crash-snap)" | grep -q tmp'
rdsctl kms disable-key --key-id "$key" >/dev/null
is "$(err_code rdsctl create-db-snapshot --db-snapshot-identifier nokey-snap --db-instance-identifier enc)" \
  KMSKeyNotAccessibleFault "a snapshot of an instance whose key is disabled: KMSKeyNotAccessibleFault"
rdsctl kms enable-key --key-id "$key" >/dev/null

# ---- delete with a final snapshot -----------------------------------------------

is "$(err_code rdsctl delete-db-instance --db-instance-identifier src)" InvalidParameterCombination \
  "delete without either flag: InvalidParameterCombination"
is "$(err_code rdsctl delete-db-instance --db-instance-identifier src --final-db-snapshot-identifier src-snap)" \
  DBSnapshotAlreadyExists "a final snapshot name in use: DBSnapshotAlreadyExists"
rdsctl delete-db-instance --db-instance-identifier src --final-db-snapshot-identifier src-final >/dev/null
ok $? "delete src with a final snapshot"
check "src is gone" poll 180 status_is src gone
is "$(snap_status src-final)" available "the final snapshot is available once the instance is gone"
check "the final snapshot holds the marker" in_store "$(STORE src-final)"

# ---- the aws CLI ----------------------------------------------------------------

if command -v aws >/dev/null; then
  # The aws CLI signs with the region's credentials (region.env, lib.sh).
  export AWS_PAGER=
  a=$(aws --endpoint-url "$API" --output json rds describe-db-snapshots --db-instance-identifier src)
  is "$(jqs "$a" '[.DBSnapshots[].DBSnapshotIdentifier] | sort | join(" ")')" "bad-snap src-copy src-final src-snap" \
    "aws rds describe-db-snapshots: manual snapshots (and copies, named after the source instance) outlive it"
  aws --endpoint-url "$API" --output json rds delete-db-snapshot --db-snapshot-identifier src-final >/dev/null
  ok $? "aws rds delete-db-snapshot"
  check "its object is gone" eval '[ ! -e "$(STORE src-final)" ]'
fi
is "$(err_code rdsctl delete-db-snapshot --db-snapshot-identifier src-final)" DBSnapshotNotFound \
  "a deleted snapshot is DBSnapshotNotFound"

done_testing
