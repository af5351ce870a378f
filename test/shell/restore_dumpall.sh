#!/usr/bin/env bash
# pg_dumpall | psql from one cluster into a new one (roles, then databases).
set -euo pipefail
source "$(dirname "$0")/lib/restore.sh"
extra_cluster src; extra_cluster dst
( export PGHOST=${EXTRA_HOST[src]} PGPORT=${EXTRA_PORT[src]}; company_db rr_da; dropdb rr_company_tpl ) >/dev/null
err=$(PGHOST=${EXTRA_HOST[src]} PGPORT=${EXTRA_PORT[src]} pg_dumpall \
      | PGHOST=${EXTRA_HOST[dst]} PGPORT=${EXTRA_PORT[dst]} psql -X -q -d postgres 2>&1 >/dev/null) && rc=0 || rc=$?
# the one message pg_dumpall's script always prints: the restoring role exists already
err=$(grep -v 'role "postgres" already exists' <<<"$err" || true)
check "pg_dumpall | psql: exit 0, nothing printed" "$rc:$err" "0:"
a=$(PGHOST=${EXTRA_HOST[src]} PGPORT=${EXTRA_PORT[src]} fingerprint rr_da)
b=$(PGHOST=${EXTRA_HOST[dst]} PGPORT=${EXTRA_PORT[dst]} fingerprint rr_da)
while IFS= read -r line; do
    key=$(cut -d' ' -f1,2 <<<"$line")
    check "pg_dumpall: $key identical" "$(grep "^$key " <<<"$b")" "$line"
done <<<"$a"
export PGHOST=${EXTRA_HOST[dst]} PGPORT=${EXTRA_PORT[dst]}
verify_empty rr_da "pg_dumpall"
posts_new rr_da "pg_dumpall"
