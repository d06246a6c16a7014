#!/usr/bin/env bash
# Issue 13, hole 1 (tenant -> root): code running as the pg OS user (what a
# tenant had through COPY ... TO PROGRAM before issue 12) plants symlinks
# and FIFOs in the node directory it owns, then makes the root agent
# rewrite the node's files (ModifyDBParameterGroup, RebootDBInstance), read
# its logs (telemetry), or restore a snapshot holding its planted links.
# Last, postmaster.pid naming a root process must not make region.sh down
# signal it. Each attack must leave the root-owned victims in this test's temp
# directory exactly as they were (contents, owner, mode), the agent must
# refuse in its log or write safely, and the instance must still answer
# with the row written before.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
  echo "1..0 # SKIP needs root (the attacks are the pg user's against the root agent)"
  exit 0
fi

Q='Version=2014-10-31'
describe() { rdsctl describe-db-instances --db-instance-identifier "$1" | jq -r ".DBInstances[0]$2"; }
apply_is() { [ "$(describe "$1" '.DBParameterGroups[0].ParameterApplyStatus')" = "$2" ]; }
show_is() { [ "$(sql "$1" "SHOW $2")" = "$3" ]; }
set_param() {
  rdsctl modify-db-parameter-group --db-parameter-group-name fs-pg \
    --parameters "ParameterName=$1,ParameterValue=$2,ApplyMethod=immediate" >/dev/null
}
# as_pg CMD...: the tenant's code execution: a command as the pg OS user.
as_pg() { (cd / && runuser -u "$PGU" -- "$@"); }
# fingerprint FILE: what must not change (contents hash, owner, mode).
fingerprint() {
  if [ -d "$1" ]; then
    echo "$(ls -A "$1" | sha256sum | cut -c1-16) $(stat -c '%U:%G %a' "$1")"
  else
    echo "$(sha256sum <"$1" | cut -c1-16) $(stat -c '%U:%G %a' "$1")"
  fi
}
logs_since() { tail -c +"$1" "$AGENT_LOG"; }

region_up || bail "the region did not start"
ok 0 "region up"

# The victims: root's files in a root-only directory of the test.
V=$(mktemp -d "$RDS_HOME/victims.XXXXXX")
chmod 755 "$V"
for f in conf1 conf2 conf3 secret; do
  echo "root-owned $f $RANDOM" >"$V/$f"
  chmod 644 "$V/$f"
done
chmod 600 "$V/secret"
echo "SECRET-$RANDOM-$RANDOM" >"$V/secret"
mkdir -m 755 "$V/dir"
echo "root-owned dir file" >"$V/dir/keep"
declare -A BEFORE
remember() { local f; for f in "$@"; do BEFORE[$f]=$(fingerprint "$V/$f"); done; }
remember conf1 conf2 conf3 secret dir dir/keep
# intact [NAME...]: those victims (default: all) as they were; prints what changed.
intact() {
  local f bad=0
  [ $# -gt 0 ] || set -- "${!BEFORE[@]}"
  for f in "$@"; do
    if [ "$(fingerprint "$V/$f")" != "${BEFORE[$f]}" ]; then
      echo "$f: was ${BEFORE[$f]}, now $(fingerprint "$V/$f")"
      bad=1
    fi
  done
  return $bad
}
victims_intact() { intact && [ "$(ls -A "$V/dir")" = keep ]; }

check "create-db-parameter-group fs-pg" rdsctl create-db-parameter-group \
  --db-parameter-group-name fs-pg --db-parameter-group-family postgres15 --description fs
create_instance fs1 --db-parameter-group-name fs-pg >/dev/null
ok $? "create fs1"
check "fs1 available" poll 180 status_is fs1 available
check "a row written" sql fs1 "CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')"
ND=$(echo "$RDS_HOME"/agents/*/nodes/fs1-*)
[ -d "$ND/data" ] || bail "no node directory for fs1"
PGU=$(stat -c %U "$ND")
AZ=$(basename "$(dirname "$(dirname "$ND")")")
AGENT_LOG=$RDS_HOME/logs/agent-$AZ.log
APID=$(agent_pid "$AZ")
diag "node $ND, pg user $PGU, agent pid $APID"
isnt "$PGU" root "the node directory is the pg user's"
row_kept() { [ "$(sql fs1 'SELECT v FROM t')" = kept ]; }

# ---- 1. a symlink at the temp name ----------------------------------------------
# The agent used to write <file>.tmp.<its pid> with O_CREAT|O_TRUNC, then
# rename it and chown the final name: through a symlink both hit the target.

check "pg user plants rdsim-params.conf.tmp.<agent pid> -> a root file" \
  as_pg ln -s "$V/conf1" "$ND/data/rdsim-params.conf.tmp.$APID"
check "modify-db-parameter-group work_mem=5MB (the agent rewrites rdsim-params.conf)" \
  set_param work_mem 5MB
check "the change reaches PostgreSQL" poll 30 show_is fs1 work_mem 5MB
check "the root file is unchanged (contents, owner, mode)" intact conf1
check "rdsim-params.conf is a regular file of the pg user's" \
  test -f "$ND/data/rdsim-params.conf" -a ! -L "$ND/data/rdsim-params.conf" -a \
  "$(stat -c %U "$ND/data/rdsim-params.conf")" = "$PGU"
rm -f "$ND/data/rdsim-params.conf.tmp.$APID"

# ---- 2. a symlink at the final name ------------------------------------------------

check "pg user replaces rdsim-params.conf by a symlink -> a root file" \
  as_pg ln -sf "$V/conf2" "$ND/data/rdsim-params.conf"
check "work_mem=6MB" set_param work_mem 6MB
check "the change reaches PostgreSQL" poll 30 show_is fs1 work_mem 6MB
check "the root file is unchanged" intact conf2
check "rdsim-params.conf is a regular file again" \
  test -f "$ND/data/rdsim-params.conf" -a ! -L "$ND/data/rdsim-params.conf"

# ---- 3. a FIFO at the final name: the agent must not block on it ----------------------

check "pg user replaces rdsim-params.conf by a FIFO" \
  as_pg sh -c "rm -f '$ND/data/rdsim-params.conf' && mkfifo '$ND/data/rdsim-params.conf'"
check "work_mem=7MB" set_param work_mem 7MB
# release: a hung agent (it opens the FIFO more than once) for what follows.
release() {
  local i
  for i in 1 2 3 4 5 6; do
    [ -p "$1" ] || return 0
    timeout 2 sh -c "echo >'$1'"
  done
}
check "the change reaches PostgreSQL (the agent did not hang on the FIFO)" \
  poll 30 show_is fs1 work_mem 7MB || release "$ND/data/rdsim-params.conf"
check "rdsim-params.conf is a regular file again" test -f "$ND/data/rdsim-params.conf"
check "the instance is in-sync" poll 30 apply_is fs1 in-sync

# ---- 4. the log directory is a symlink: the agent must not ship root's file -------------

hour=$(date -u -d '-1 hour' +%Y-%m-%d-%H)
mkdir -m 755 "$V/logs"
ln -s "$V/secret" "$V/logs/postgresql.log.$hour"
remember logs
check "pg user swaps log/ for a symlink to a root directory holding a log-named link to a secret" \
  as_pg sh -c "mv '$ND/log' '$ND/log.real' && ln -s '$V/logs' '$ND/log'"
# A statement that fails is logged: once it is shipped, a telemetry round
# after the swap is over (postgres keeps its open file in log.real).
marker="fs_marker_$RANDOM"
sql fs1 "SELECT $marker" >/dev/null 2>&1
shipped_marker() {
  local name
  for name in $(rdsctl describe-db-log-files --db-instance-identifier fs1 |
    jq -r '.DescribeDBLogFiles[].LogFileName'); do
    rdsctl download-db-log-file-portion --db-instance-identifier fs1 --log-file-name "$name" \
      --number-of-lines 1000 | jq -r .LogFileData
  done >"$RDS_HOME/shipped.out"
  grep -q "$marker" "$RDS_HOME/shipped.out"
}
secret_shipped() { shipped_marker; grep -q "$(cat "$V/secret")" "$RDS_HOME/shipped.out"; }
poll 20 secret_shipped
ok $((! $?)) "the secret never reaches DownloadDBLogFilePortion"
check "the root file and directory are unchanged" intact secret logs
check "pg user puts log/ back" as_pg sh -c "rm '$ND/log' && mv '$ND/log.real' '$ND/log'"

# ---- 5. the data directory is a symlink during a reboot ---------------------------------

mark=$(($(stat -c %s "$AGENT_LOG") + 1))
check "pg user swaps data/ for a symlink to a root directory" \
  as_pg sh -c "mv '$ND/data' '$ND/data.real' && ln -s '$V/dir' '$ND/data'"
check "reboot-db-instance fs1" rdsctl reboot-db-instance --db-instance-identifier fs1
refused() { logs_since "$mark" | grep 'fs1-' | grep -Eq 'refus|data directory lost'; }
check "the agent refuses, logged" poll 30 refused
check "the root directory is unchanged (contents, owner, mode)" intact dir dir/keep
check "... and holds nothing new" test "$(ls -A "$V/dir")" = keep
logs_since "$mark" | grep 'fs1-' | grep 'refus' | head -2 | sed 's/^/# /'
check "pg user puts data/ back" as_pg sh -c "rm '$ND/data' && mv '$ND/data.real' '$ND/data'"
# The refused start failed the node, so the reboot fails the instance
# (RDS-EVENT-0031), as for any node that cannot start; the agent retries
# and the data, put back, is served again.
settled() { status_is fs1 failed || status_is fs1 available; }
check "the reboot ends (failed, or available if the agent's retry won the race)" poll 60 settled
diag "fs1 is $(status_of fs1) after the refused reboot"
check "the row written before is there, served by the restarted node" poll 60 row_kept

# ---- 6. a restore: tar members that are symlinks, ../ paths, a device node ------------------
# rds-backup restore (root, --owner) on objects sealed from crafted tars
# (`rds-backup seal`). tar must run as the pg
# user: nothing may land outside the target, and no device node (which
# only root can make) may appear.

T=$RDS_HOME/restore-attack
mkdir -p "$T/node"
chmod 755 "$T"
chown "$PGU:" "$T/node"
chmod 700 "$T/node"
python3 - "$T" "$V" <<'PY'
import io, sys, tarfile
t_dir, v = sys.argv[1], sys.argv[2]
def make(name, members):
    with tarfile.open(f"{t_dir}/{name}.tar", "w") as t:
        for m in members:
            ti = tarfile.TarInfo(m["name"])
            for k, val in m.items():
                if k not in ("name", "data"):
                    setattr(ti, k, val)
            data = m.get("data", b"")
            if ti.type == tarfile.REGTYPE:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            else:
                t.addfile(ti)
make("clean", [{"name": "PG_VERSION", "data": b"15\n"}, {"name": "base", "type": tarfile.DIRTYPE, "mode": 0o700},
               {"name": "base/f", "data": b"row\n"}])
make("links", [{"name": "PG_VERSION", "data": b"15\n"},
               {"name": "evil", "type": tarfile.SYMTYPE, "linkname": f"{v}/dir"},
               {"name": "evil/pwned", "data": b"pwned\n"},
               {"name": "rel", "type": tarfile.SYMTYPE, "linkname": "../.."},
               {"name": "rel/pwned-rel", "data": b"pwned\n"},
               {"name": "../escape", "data": b"escaped\n"},
               {"name": "hard", "type": tarfile.LNKTYPE, "linkname": f"{v}/conf3"}])
make("dev", [{"name": "PG_VERSION", "data": b"15\n"},
             {"name": "disk", "type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3, "mode": 0o666}])
PY
for o in clean links dev; do
  "$ROOT/bin/rds-backup" seal --in "$T/$o.tar" --out "$T/$o.obj" >"$T/$o.seal.log" 2>&1 ||
    diag "sealing $o failed"
done
restore() {
  rm -rf "$T/node/data"
  "$ROOT/bin/rds-backup" restore --in "$T/$1.obj" --data "$T/node/data" \
    --owner "$(id -u "$PGU"):$(id -g "$PGU")" >"$T/$1.log" 2>&1
}
check "a clean backup restores" restore clean
is "$(stat -c %U "$T/node/data" "$T/node/data/base/f" | sort -u)" "$PGU" \
  "its files are the pg user's (tar ran as the pg user; no chown -R)"
restore links
ok $((! $?)) "a backup with symlink, ../ and hard-link members fails to restore"
sed 's/^/#   /' "$T/links.log" | head -5
check "nothing was written through the symlinks or outside the target" \
  test ! -e "$V/dir/pwned" -a ! -e "$T/pwned-rel" -a ! -e "$T/escape" -a ! -e "$T/node/escape"
check "no data directory appears" test ! -e "$T/node/data"
restore dev
ok $((! $?)) "a backup with a device node fails to restore (only root can mknod)"
sed 's/^/#   /' "$T/dev.log" | head -3
check "no device node anywhere below the node" test -z "$(find "$T/node" ! -type d ! -type f ! -type l)"
check "the victims are unchanged" victims_intact

# ---- afterwards -------------------------------------------------------------------------

check "the API answers" api_alive
check "the victims are as they were" victims_intact

# ---- 7. postmaster.pid naming a root process, then region.sh down --------------------------
# region.sh down signals the pid each postmaster.pid names: the pg user's
# file. It must not end a root process on that word.

sleep 600 &
victim_pid=$!
pm_file=$ND/data/postmaster.pid
real_pm=$(head -1 "$pm_file")
check "pg user rewrites postmaster.pid to name a root process ($victim_pid)" \
  as_pg sh -c "{ echo $victim_pid; tail -n +2 '$pm_file'; } >'$pm_file.new' && mv '$pm_file.new' '$pm_file'"
check "region.sh down" region_stop
check "the root process is alive (not signalled)" running "$victim_pid"
kill "$victim_pid" 2>/dev/null
kill -INT "$real_pm" 2>/dev/null # not stopped by region.sh: its pid file lies
poll 30 gone "$real_pm"
done_testing
