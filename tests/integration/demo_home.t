#!/usr/bin/env bash
# Issue 14 item 5, the first five minutes: `make demo` from a clone in a
# home PostgreSQL cannot traverse (root's /root is 0700). A copy of the
# clone's scripts and binaries under a fresh 0700 directory runs
# scripts/demo.sh (the region, a Multi-AZ instance, psql through DNS, a
# failover, a reboot, a delete); the nodes live under RDS_NODE_ROOT (a
# temp dir here, /var/lib/rdsim by default), the store stays in the home,
# root's. Then a start that fails (agents that exit at once) stops what it
# started and leaves no process. Needs root (the pg user is another user).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
  echo "1..0 # SKIP needs root (PostgreSQL runs as another user only under root)"
  exit 0
fi

PRIV=$(mktemp -d /tmp/rdsim-e2e-0700.XXXXXX)
chmod 700 "$PRIV"
NODE_ROOT=$(mktemp -d /tmp/rdsim-e2e-nodes.XXXXXX)
chmod 711 "$NODE_ROOT"
CLONE=$PRIV/rdsim
mkdir -p "$CLONE/scripts"
cp -a "$ROOT/bin" "$CLONE/bin"
cp -a "$ROOT/scripts/." "$CLONE/scripts/"
export RDS_HOME=$CLONE/run/demo RDS_NODE_ROOT=$NODE_ROOT RDS_NET
RDS_NET=$(free_net) || bail "no free 127.N network"
unset RDS_API_PORT RDS_DNS_PORT
diag "clone $CLONE (0700 parent), node root $NODE_ROOT"

# Besides lib.sh's cleanup (which ends what names $RDS_HOME): the
# postmasters run in the node root, and the temp dirs go.
demo_cleanup() {
  local pid
  for pid in $(pgrep -f -- "$NODE_ROOT" || true); do kill -KILL "$pid" 2>/dev/null; done
  cleanup
  rm -rf "$PRIV" "$NODE_ROOT"
}
trap demo_cleanup EXIT

# What still runs from this clone or its nodes (a command line naming
# them, or a process working inside them).
leftovers() {
  {
    pgrep -f -- "$CLONE/" || true
    pgrep -f -- "$NODE_ROOT/" || true
    local p
    for p in /proc/[0-9]*; do
      case "$(readlink "$p/cwd" 2>/dev/null)" in "$CLONE"/* | "$NODE_ROOT"/*) echo "${p#/proc/}" ;; esac
    done
  } | sort -un | grep -vx "$$" || true
}

pg_user=$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)
if runuser -u "$pg_user" -- test -x "$CLONE" 2>/dev/null; then
  ok 1 "the pg user cannot traverse the clone (precondition)"
else
  ok 0 "the pg user cannot traverse the clone (precondition)"
fi

# ---- the demo -----------------------------------------------------------------

(cd "$CLONE" && timeout 400 scripts/demo.sh) >"$T_OUT" 2>&1
rc=$?
if ! is "$rc" 0 "scripts/demo.sh from a clone under a 0700 directory exits 0"; then
  tail -n 25 "$T_OUT" | sed 's/^/#   /'
fi
out=$(cat "$T_OUT")
like "$out" "nodes live in $NODE_ROOT/[0-9a-f]{16}/agents" "region.sh says where the nodes went"
like "$out" "endpoint moved after [0-9]+ ms" "the failover moved the endpoint"
like "$out" "rows kept: 2" "the rows survived the failover and the reboot"
like "$out" "status: NXDOMAIN" "the deleted instance's name is gone"
like "$out" "region down" "the demo stopped its region"
is "$(leftovers | wc -l)" 0 "nothing of the demo still runs"

# ---- what lives where -----------------------------------------------------------

hash=$(printf %s "$RDS_HOME" | sha256sum | cut -c1-16)
is "$(readlink "$RDS_HOME/agents")" "$NODE_ROOT/$hash/agents" "the home's agents/ is a symlink to the node root"
is "$(stat -c '%U %a' "$NODE_ROOT/$hash")" "root 711" "the node tree is root's, 0711 (traverse only)"
is "$(stat -c '%U %a' "$NODE_ROOT/$hash/agents/${RDS_REGION:-us-east-1}a")" "root 711" "an agent's home is root's, 0711"
is "$(stat -c '%U %a' "$NODE_ROOT/$hash/lib/pam_rdsim_iam.so")" "root 644" \
  "PostgreSQL's PAM module has a readable copy there"
is "$(stat -c '%U %a' "$RDS_HOME/controlplane")" "root 700" "the store stays in the home, root's, 0700"
if runuser -u "$pg_user" -- test -r "$RDS_HOME/controlplane/store.db" 2>/dev/null ||
   runuser -u "$pg_user" -- ls "$RDS_HOME/controlplane" >/dev/null 2>&1; then
  ok 1 "the pg user cannot reach the store"
else
  ok 0 "the pg user cannot reach the store"
fi

# A second `up` in the same home reuses the node tree (no second move).
(cd "$CLONE" && scripts/region.sh up) >"$T_OUT" 2>&1
is "$?" 0 "region.sh up again in that home"
check "the agents run with the PAM module copy" \
  grep -qF -- "--pam-module $NODE_ROOT/$hash/lib/pam_rdsim_iam.so" \
  <(for p in $(pgrep -f -- "$RDS_HOME/agents/"); do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done)
(cd "$CLONE" && scripts/region.sh down) >"$T_OUT" 2>&1
is "$(leftovers | wc -l)" 0 "region.sh down: nothing left"

# ---- a start that fails stops what it started ----------------------------------

# Agents that exit at once: the controlplane starts, no agent registers.
FAKE=$PRIV/badbin
mkdir -p "$FAKE"
ln -s "$CLONE/bin/rds-controlplane" "$FAKE/rds-controlplane"
printf '#!/bin/sh\necho "rds-agent: broken on purpose" >&2\nexit 1\n' >"$FAKE/rds-agent"
chmod 755 "$FAKE/rds-agent"
t0=$(now_s)
(cd "$CLONE" && RDS_BIN=$FAKE scripts/region.sh up) >"$T_OUT" 2>&1
rc=$?
t1=$(now_s)
isnt "$rc" 0 "region.sh up with agents that cannot start fails"
out=$(cat "$T_OUT")
like "$out" "agents did not register" "it says the agents did not register"
like "$out" "broken on purpose" "it shows the agents' last log line"
like "$out" "stopped what this start began \(4 processes\)" "it stops the controlplane and agents it started"
is "$(leftovers | wc -l)" 0 "no process of the failed start remains"
diag "failed up took $(elapsed "$t0" "$t1") s (agents that exit are not waited for)"

# The demo itself, failing at the start: its trap stops the region too.
(cd "$CLONE" && RDS_BIN=$FAKE timeout 120 scripts/demo.sh) >"$T_OUT" 2>&1
isnt "$?" 0 "a demo whose region cannot start fails"
is "$(leftovers | wc -l)" 0 "and leaves nothing running"

done_testing
