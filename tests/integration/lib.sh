# Shared by the end-to-end tests (sourced): TAP output, polling, and a
# throwaway region on ephemeral ports in a temp dir, torn down on exit.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T_N=0
T_FAIL=0
T_OUT=$(mktemp /tmp/rdsim-t.XXXXXX)

# ok COND DESCRIPTION: COND is an exit status (0 = pass).
ok() {
  local cond=$1; shift
  T_N=$((T_N + 1))
  if [ "$cond" -eq 0 ]; then
    echo "ok $T_N - $*"
  else
    echo "not ok $T_N - $*"
    T_FAIL=$((T_FAIL + 1))
  fi
}

# check DESCRIPTION CMD...: passes when CMD succeeds; shows its output if not.
check() {
  local desc=$1; shift
  if "$@" >"$T_OUT" 2>&1; then
    ok 0 "$desc"
  else
    ok 1 "$desc"
    sed 's/^/#   /' "$T_OUT" | head -30
  fi
}

# is GOT WANT DESCRIPTION
is() {
  if [ "$1" = "$2" ]; then
    ok 0 "$3"
  else
    ok 1 "$3"
    echo "#          got: '$1'"
    echo "#     expected: '$2'"
  fi
}

diag() { echo "# $*"; }

done_testing() {
  echo "1..$T_N"
  [ "$T_FAIL" -eq 0 ]
}

# poll SECONDS CMD...: retries CMD every 50 ms until it succeeds; fails
# after SECONDS. The only way tests wait.
poll() {
  local secs=$1; shift
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.05
  done
}

rdsctl() { "$ROOT/bin/rdsctl" "$@"; }

# A region of our own: ephemeral API/DNS ports, a random 127.N network so
# regions of parallel tests do not meet.
region_up() {
  export RDS_HOME
  RDS_HOME=$(mktemp -d /tmp/rdsim-e2e.XXXXXX)
  chmod 755 "$RDS_HOME"
  export RDS_API_PORT=0 RDS_DNS_PORT=0 RDS_NET=$((RANDOM % 200 + 30))
  "$ROOT/scripts/region.sh" up >"$T_OUT" 2>&1 || { cat "$T_OUT"; return 1; }
  # shellcheck disable=SC1091
  . "$RDS_HOME/region.env"
  export RDS_API_PORT RDS_DNS_PORT
  export RDSCTL_ENDPOINT="http://127.0.0.1:$RDS_API_PORT"
  export RDSCTL_WAIT_DELAY=0.1
}

region_down() {
  [ -n "${RDS_HOME:-}" ] && [ -d "$RDS_HOME" ] || return 0
  "$ROOT/scripts/region.sh" down >/dev/null 2>&1 || true
  if [ -n "${KEEP_RDS_HOME:-}" ]; then
    echo "# kept $RDS_HOME"
  else
    rm -rf "$RDS_HOME"
  fi
}

# Processes whose command line mentions our region's home.
region_procs() { pgrep -f -- "$RDS_HOME" || true; }

cleanup() {
  region_down
  rm -f "$T_OUT"
}
trap cleanup EXIT

# jq on a JSON string: jqs JSON FILTER
jqs() { printf '%s' "$1" | jq -r "$2"; }

# The address a name resolves to through the region's DNS (last line of
# the CNAME chain), empty if none.
resolve() { dig +short @127.0.0.1 -p "$RDS_DNS_PORT" "$1" | tail -1; }
