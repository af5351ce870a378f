#!/usr/bin/env bash
# Backup and restore, the plain way: pg_dump | psql into a new database (no
# option, no step beyond it).  Every table and sequence of revrec comes back
# identical, nothing is printed, revrec.verify() finds nothing, and the
# restored database posts new documents.  (README "Backup and restore")
set -euo pipefail
source "$(dirname "$0")/lib/restore.sh"
company_db rr_rp_src
dropdb --if-exists rr_rp_dst; createdb rr_rp_dst
err=$(pg_dump -d rr_rp_src | psql -X -q -d rr_rp_dst 2>&1 >/dev/null) && rc=0 || rc=$?
check "pg_dump | psql: exit 0" "$rc" "0"
check "pg_dump | psql: nothing printed" "$err" ""
compare_dbs rr_rp_src rr_rp_dst "pg_dump | psql"
verify_empty rr_rp_dst "pg_dump | psql"
posts_new rr_rp_dst "pg_dump | psql"
verify_empty rr_rp_dst "pg_dump | psql, then a new invoice"

# the same into a database where revrec was created first (the restore's
# CREATE EXTENSION IF NOT EXISTS does nothing then)
dropdb rr_rp_dst; createdb rr_rp_dst; q -d rr_rp_dst -c 'CREATE EXTENSION revrec'
err=$(pg_dump -d rr_rp_src | psql -X -q -d rr_rp_dst 2>&1 >/dev/null) && rc=0 || rc=$?
check "pg_dump | psql into an existing revrec: exit 0, nothing printed" "$rc:$err" "0:"
compare_dbs rr_rp_src rr_rp_dst "into an existing revrec"
verify_empty rr_rp_dst "into an existing revrec"
dropdb rr_rp_src; dropdb rr_rp_dst
