#!/bin/sh
# check-layers: the controlplane's folders form layers, and includes only go
# down.
#
#   scripts/check-layers.sh [ROOT]     (ROOT defaults to controlplane/)
#
# ROOT/LAYERS lists the folders from the lowest layer to the highest, one a
# line. A file may include headers from its own folder or from a folder
# listed before it; ROOT/main.c (which only wires) may include anything. The
# script fails, naming each offender, on:
#   - an #include "controlplane/<folder>/..." of a higher folder;
#   - a folder of ROOT that LAYERS does not list, or an include of one;
#   - any cycle between folders (tsort's loop report), whatever LAYERS says;
#   - a .c or .h over 1000 lines, or a function body over 150 lines.
# Exit 0 when the tree is clean, 1 otherwise.
set -eu
root=${1:-controlplane}
root=${root%/}
layers="$root/LAYERS"
[ -r "$layers" ] || { echo "check-layers: no $layers" >&2; exit 1; }
fail=0
rank() { awk -v f="$1" '$1 == f { print NR; found = 1 } END { if (!found) print 0 }' "$layers"; }

edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

for dir in "$root"/*/; do
    d=$(basename "$dir")
    [ "$(rank "$d")" -gt 0 ] || { echo "check-layers: folder $d is not in $layers"; fail=1; }
done

for f in $(find "$root" -mindepth 2 -name '*.[ch]' -o -mindepth 2 -name '*.inc' | sort); do
    from=$(basename "$(dirname "$f")")
    rf=$(rank "$from")
    # includes of the form "controlplane/<folder>/<file>"
    for inc in $(sed -n 's|^[[:space:]]*#[[:space:]]*include[[:space:]]*"controlplane/\([a-z0-9_]*\)/[^"]*".*|\1|p' "$f"); do
        [ "$inc" = "$from" ] && continue
        ri=$(rank "$inc")
        echo "$from $inc" >> "$edges"
        if [ "$ri" -eq 0 ]; then
            echo "check-layers: $f includes from $inc, which is not a layer"; fail=1
        elif [ "$ri" -gt "$rf" ]; then
            echo "check-layers: $f ($from) includes from $inc, a higher layer"; fail=1
        fi
    done
done

if [ -s "$edges" ]; then
    loops=$(sort -u "$edges" | tsort 2>&1 >/dev/null || true)
    if [ -n "$loops" ]; then
        echo "check-layers: a cycle between folders:"; echo "$loops" | sed 's/^/  /'; fail=1
    fi
fi

# Size: no file over 1000 lines, no function over 150. A function body runs
# from a line that opens with "{" in column 0 to the next "}" in column 0
# (the project's style: braces of functions on lines of their own).
for f in $(find "$root" -name '*.[ch]' | sort); do
    n=$(wc -l < "$f")
    [ "$n" -le 1000 ] || { echo "check-layers: $f has $n lines (over 1000)"; fail=1; }
    awk -v f="$f" '
        /^\{/ { start = NR; name = prev }
        /^\}/ && start { if (NR - start - 1 > 150) { printf "check-layers: %s:%d: %s is %d lines (over 150)\n", f, start, name, NR - start - 1; bad = 1 } start = 0 }
        { prev = $0 }
        END { exit bad }' "$f" || fail=1
done

[ "$fail" -eq 0 ] && echo "check-layers: $root is layered ($(tr '\n' ' ' < "$layers"))"
exit "$fail"
