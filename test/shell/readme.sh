#!/usr/bin/env bash
# Every SQL example of the README runs as written, in order, in a fresh
# database: the ```sql blocks are extracted in order and run one after the
# other with ON_ERROR_STOP (one "ok" per block).  A block that cannot run as
# written (a placeholder, a server path) is marked in the README by the line
# <!-- not run --> right before it, and is skipped (and counted as such).
set -uo pipefail
readme=${README:-$(dirname "$0")/../../README.md}
[ -f "$readme" ] || { echo "not ok - README.md not found at $readme"; exit 1; }
db=revrec_readme
dir=$(mktemp -d)
trap 'rm -rf "$dir"; dropdb --if-exists "$db" >/dev/null 2>&1' EXIT
# one file per block: NNN.sql (to run) or NNN.skip, with its line number
awk -v dir="$dir" '
    /^<!-- not run -->[[:space:]]*$/ { skip = 1; next }
    /^```sql[[:space:]]*$/ && !inblock { inblock = 1; n++; f = sprintf("%s/%03d.%s", dir, n, skip ? "skip" : "sql");
                                         printf "-- README.md line %d\n", NR + 1 > f; skip = 0; next }
    /^```[[:space:]]*$/ && inblock { inblock = 0; close(f); next }
    inblock { print > f; next }
    /[^[:space:]]/ { skip = 0 }
' "$readme"
blocks=$(ls "$dir" | wc -l)
[ "$blocks" -gt 0 ] || { echo "not ok - no sql block found in the README"; exit 1; }
dropdb --if-exists "$db" >/dev/null 2>&1
createdb "$db" || { echo "not ok - createdb"; exit 1; }
psql -X -q -d "$db" -c 'CREATE EXTENSION revrec' || { echo "not ok - CREATE EXTENSION"; exit 1; }
ran=0; skipped=0
for f in "$dir"/*; do
    line=$(head -n 1 "$f" | sed 's/.*line //')
    case "$f" in
        *.skip) skipped=$((skipped + 1)); continue ;;
    esac
    if out=$(cd "$dir" && psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$f" 2>&1 >/dev/null); then
        echo "ok - README sql block at line $line runs"
    else
        echo "not ok - README sql block at line $line runs"
        echo "$out" | sed 's/^/#   /' | head -n 20
    fi
    ran=$((ran + 1))
done
if [ "$ran" -gt 0 ] && [ "$skipped" -lt "$ran" ]; then
    echo "ok - $ran README sql blocks ran, $skipped marked not run"
else
    echo "not ok - $ran README sql blocks ran, $skipped marked not run (most must run)"
fi
