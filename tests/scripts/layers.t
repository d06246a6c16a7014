#!/bin/sh
# layers.t: scripts/check-layers.sh passes on the real controlplane/ and
# fails on trees that break each of its rules (so it can fail).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
check="$here/scripts/check-layers.sh"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; }
expect() { # expect pass|fail NAME ROOT [PATTERN]
    out=$("$check" "$3" 2>&1); rc=$?
    if [ "$1" = pass ] && [ $rc -eq 0 ]; then ok "$2"
    elif [ "$1" = fail ] && [ $rc -ne 0 ] && echo "$out" | grep -q -- "${4:-.}"; then ok "$2"
    else notok "$2"; echo "$out" | sed 's/^/# /'; fi
}
# A small tree: low below high, one include each way as the case needs.
mk() {
    rm -rf "$t/cp"; mkdir -p "$t/cp/low" "$t/cp/high"
    printf 'low\nhigh\n' > "$t/cp/LAYERS"
    printf '#include "controlplane/low/a.h"\nint a(void);\n' > "$t/cp/low/a.h"
    printf '#include "controlplane/low/a.h"\n' > "$t/cp/high/b.c"
}
echo "1..7"
expect pass "the real controlplane/ is layered" "$here/controlplane"
mk; expect pass "a downward include passes" "$t/cp"
mk; printf '#include "controlplane/high/b.h"\n' >> "$t/cp/low/a.h"
expect fail "an include of a higher folder fails" "$t/cp" "higher layer"
mk; printf 'high\nlow\n' > "$t/cp/LAYERS"; printf '#include "controlplane/high/b.h"\n' >> "$t/cp/low/a.h"
expect fail "a cycle between folders fails (tsort)" "$t/cp" "cycle"
mk; mkdir "$t/cp/stray"; expect fail "a folder not in LAYERS fails" "$t/cp" "not in"
mk; seq 1 1001 | sed 's/.*/int x&;/' > "$t/cp/low/big.c"
expect fail "a file over 1000 lines fails" "$t/cp" "over 1000"
mk; { echo 'int f(void)'; echo '{'; seq 1 151 | sed 's/.*/    x();/'; echo '}'; } > "$t/cp/low/long.c"
expect fail "a function over 150 lines fails" "$t/cp" "over 150"
