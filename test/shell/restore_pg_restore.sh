#!/usr/bin/env bash
# Backup and restore with pg_dump -Fc and pg_restore: as it is, and with
# --single-transaction.  Identical tables and sequences, no message,
# revrec.verify() empty, new documents post.  (README "Backup and restore")
set -euo pipefail
source "$(dirname "$0")/lib/restore.sh"
company_db rr_pr_src
dump=$(mktemp /tmp/rr_pr.XXXXXX)
pg_dump -Fc -d rr_pr_src -f "$dump"
for opts in "" "--single-transaction"; do
    label="pg_restore${opts:+ $opts}"
    dropdb --if-exists rr_pr_dst; createdb rr_pr_dst
    err=$(pg_restore $opts -d rr_pr_dst "$dump" 2>&1) && rc=0 || rc=$?
    check "$label: exit 0, nothing printed" "$rc:$err" "0:"
    compare_dbs rr_pr_src rr_pr_dst "$label"
    verify_empty rr_pr_dst "$label"
    posts_new rr_pr_dst "$label"
done
# a plain --data-only dump into a database where revrec was created
dropdb rr_pr_dst; createdb rr_pr_dst; q -d rr_pr_dst -c 'CREATE EXTENSION revrec'
err=$(pg_dump --data-only -d rr_pr_src | psql -X -q -d rr_pr_dst 2>&1 >/dev/null) && rc=0 || rc=$?
check "pg_dump --data-only | psql: exit 0, nothing printed" "$rc:$err" "0:"
compare_dbs rr_pr_src rr_pr_dst "pg_dump --data-only"
verify_empty rr_pr_dst "pg_dump --data-only"
posts_new rr_pr_dst "pg_dump --data-only"
rm -f "$dump"; dropdb rr_pr_src; dropdb rr_pr_dst
