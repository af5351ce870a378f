#!/usr/bin/env bash
# README "Reference" lists every public object of schema revrec (functions,
# tables, views not starting with _), and names nothing that does not exist.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/../.." && pwd)   # the test tree, with README.md beside test/
source "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

ref=$(awk '/^## Reference$/ {on=1; next} /^## / {on=0} on' "$HERE/README.md")
check "README has a Reference section" "$([ -n "$ref" ] && echo yes || echo no)" "yes"
dropdb --if-exists rr_reference; createdb rr_reference
q -d rr_reference -c 'CREATE EXTENSION revrec'
missing=""
while read -r kind name; do
    case $kind in
        f) grep -qF "\`revrec.$name(" <<<"$ref" || missing="$missing function $name;" ;;
        *) grep -qF "\`revrec.$name\`" <<<"$ref" || missing="$missing relation $name;" ;;
    esac
done < <(q -d rr_reference -F ' ' -c "SELECT 'f', proname FROM pg_proc WHERE pronamespace = 'revrec'::regnamespace AND proname !~ '^_'
                                     UNION SELECT relkind::text, relname FROM pg_class
                                      WHERE relnamespace = 'revrec'::regnamespace AND relkind IN ('r', 'v') AND relname !~ '^_'")
check "every public function, table and view is in the Reference" "$missing" ""
stale=""
for name in $(grep -oE '`revrec\.[a-z_]+' <<<"$ref" | sed 's/`revrec\.//' | sort -u); do
    n=$(q -d rr_reference -c "SELECT count(*) FROM (SELECT proname FROM pg_proc WHERE pronamespace = 'revrec'::regnamespace AND proname = '$name'
                              UNION ALL SELECT relname FROM pg_class WHERE relnamespace = 'revrec'::regnamespace AND relname = '$name') x")
    [ "$n" -gt 0 ] || stale="$stale $name"
done
check "the Reference names no object that does not exist" "$stale" ""
dropdb rr_reference
