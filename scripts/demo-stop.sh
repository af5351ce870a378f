#!/usr/bin/env bash
# Stop the cluster `make demo` left running.
source "$(dirname "$0")/common.sh"
DEMO=$(demo_dir)
if [ -f "$DEMO/pg/data/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$DEMO/pg/data" -m fast -w stop >/dev/null && log "demo cluster stopped"
fi
rm -rf "$DEMO"
