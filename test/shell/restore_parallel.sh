#!/usr/bin/env bash
# pg_restore -j N cannot restore revrec (it loads every table and sets every
# sequence in parallel, in no order; revrec needs the activity log before the
# documents and the sequences last): it stops before writing any table, with
# an error naming pg_restore without -j.  A restore without -j then works,
# into that database (its sequences, set by the refused one, start again) or
# a new one, identically.  (README "Backup and restore")
set -euo pipefail
source "$(dirname "$0")/lib/restore.sh"
company_db rr_pj_src
dump=$(mktemp /tmp/rr_pj.XXXXXX)
pg_dump -Fc -d rr_pj_src -f "$dump"
fresh=$(fresh_tables)
for j in 2 2 2 4; do
    dropdb --force --if-exists rr_pj_dst; createdb rr_pj_dst
    err=$(pg_restore -j $j -d rr_pj_dst "$dump" 2>&1) && rc=0 || rc=$?
    check "pg_restore -j $j: exits non-zero" "$([ $rc != 0 ] && echo yes)" "yes"
    check "pg_restore -j $j: the error names pg_restore without -j" \
        "$(grep -c 'pg_restore -j cannot restore revrec' <<<"$err" | sed 's/^[1-9][0-9]*$/some/')/$(grep -c 'HINT:  Restore without -j: pg_restore -d DB FILE' <<<"$err" | sed 's/^[1-9][0-9]*$/some/')" "some/some"
    check "pg_restore -j $j: no other error" "$(grep -E '^(ERROR|pg_restore: error)' <<<"$err" | grep -v 'pg_restore -j cannot restore revrec' || true)" ""
    check "pg_restore -j $j: no table written" "$(table_fingerprint rr_pj_dst)" "$fresh"
done
# the refused restore set the sequences (nothing can refuse a setval); revrec
# holds nothing, so a restore without -j into that same database starts them
# again and works
err=$(pg_restore -d rr_pj_dst "$dump" 2>&1) && rc=0 || rc=$?
check "pg_restore without -j after a refused -j, same database: exit 0, nothing printed" "$rc:$err" "0:"
compare_dbs rr_pj_src rr_pj_dst "pg_restore without -j after a refused -j"
verify_empty rr_pj_dst "pg_restore without -j after a refused -j"
# and into a new database
dropdb --force rr_pj_dst; createdb rr_pj_dst
err=$(pg_restore -d rr_pj_dst "$dump" 2>&1) && rc=0 || rc=$?
check "pg_restore without -j into a new database: exit 0, nothing printed" "$rc:$err" "0:"
compare_dbs rr_pj_src rr_pj_dst "pg_restore without -j"
verify_empty rr_pj_dst "pg_restore without -j"
rm -f "$dump"; dropdb --force rr_pj_src || true; dropdb --force rr_pj_dst || true
