# Shared set-up for `make citus-test` and bench/citus/posting.sh (sourced, not run):
# a Citus coordinator and workers, and a plain single node, on loopback ports
# ports chosen by the callers (CITUS_PORT_BASE, default 5531) with their
# sockets and data under $CITUS_TMP-* (default /tmp/citus2).  Root only (the
# clusters run as postgres).  Every cluster started here is stopped by
# citus_stop_all (the callers' EXIT trap).

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CITUS_NODES=()          # data dirs of the clusters started, for citus_stop_all
CITUS_TMP=${CITUS_TMP:-/tmp/citus2}
CITUS_PORT_BASE=${CITUS_PORT_BASE:-5531}

# citus_available: Citus's library and extension script are installed.
citus_available() {
    [ -f "$($PG_CONFIG --pkglibdir)/citus.so" ] && [ -f "$($PG_CONFIG --sharedir)/extension/citus.control" ]
}

# citus_start NAME PORT PRELOAD: initdb and start a cluster in $CITUS_TMP-NAME
# listening on 127.0.0.1:PORT (and a socket in the same directory).
citus_start() {
    local name=$1 port=$2 preload=$3 dir=$CITUS_TMP-$1
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    local PGHOST=$dir PGPORT=$port
    rm -rf "$dir"; mkdir -p "$dir"; chown "$PG_OS_USER" "$dir"; chmod 755 "$dir"
    as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; return 1; }
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
port = $port
shared_preload_libraries = '$preload'
fsync = off
synchronous_commit = off
full_page_writes = off
max_worker_processes = 16
max_connections = 100
max_prepared_transactions = 100
shared_buffers = 256MB
work_mem = 64MB
maintenance_work_mem = 256MB
max_wal_size = 4GB
track_commit_timestamp = on
wal_level = logical
CONF
    # Citus moves and splits shards with logical replication by default: a
    # build that lists the libraries allowed as logical decoding output
    # plugins (output_plugin_libraries; not every PostgreSQL has it) must list
    # Citus's
    local plugins
    if plugins=$(as_pg "$PGBIN/postgres" -D "$dir/data" -C output_plugin_libraries 2>/dev/null) && [ -n "$plugins" ]; then
        echo "output_plugin_libraries = '$plugins, citus'" >>"$dir/data/postgresql.conf"
    fi
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null \
        || { cat "$dir/server.log" >&2; return 1; }
    CITUS_NODES+=("$dir")
}

citus_stop_all() {
    local d
    for d in "${CITUS_NODES[@]+"${CITUS_NODES[@]}"}"; do
        as_pg "$PGBIN/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null 2>&1 || true
    done
    CITUS_NODES=()
}

# cpsql PORT [psql args]: psql as postgres to 127.0.0.1:PORT, stopping on errors.
cpsql() { local PGPORT=$1 PGHOST=127.0.0.1; shift; as_pg psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# citus_cluster COORD_PORT WORKER_PORT...: start a coordinator and workers
# (shared_preload_libraries = citus,revrec), create database revrec on each,
# CREATE EXTENSION citus there and register the workers.
citus_cluster() {
    local coord=$1 p; shift
    citus_start "coord-$coord" "$coord" citus,revrec
    for p in "$@"; do citus_start "worker-$p" "$p" citus,revrec; done
    for p in "$coord" "$@"; do
        cpsql "$p" -d postgres -c "CREATE DATABASE revrec"
        cpsql "$p" -d revrec -c "CREATE EXTENSION citus"
    done
    cpsql "$coord" -d revrec -c "SELECT pg_catalog.citus_set_coordinator_host('127.0.0.1', $coord)" >/dev/null
    for p in "$@"; do
        cpsql "$coord" -d revrec -c "SELECT pg_catalog.citus_add_node('127.0.0.1', $p)" >/dev/null
    done
}
