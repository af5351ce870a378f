# Shared set-up for `make demo`, `make test` and `make bench` (sourced, not run).
#
# Installs what is missing (as root, with apt), builds and installs the
# extension, and runs a throwaway PostgreSQL 15 cluster as an unprivileged
# user on a unix socket in a private temporary directory.  The cluster is
# stopped by an EXIT trap, so a failed run does not leave a server behind, and
# clusters left by a run that was killed half-way are cleaned up by the next.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGBIN=/usr/lib/postgresql/15/bin
PG_CONFIG=$PGBIN/pg_config
PACKAGES=(postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap
          libtap-parser-sourcehandler-pgtap-perl)
IS_ROOT=0; [ "$(id -u)" = 0 ] && IS_ROOT=1

log() { printf '==> %s\n' "$*" >&2; }

# ensure_packages [extra packages...]
ensure_packages() {
    local missing=() p
    for p in "${PACKAGES[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ $IS_ROOT = 1 ]; then
        log "installing ${missing[*]}"
        # another apt run (unattended upgrades, a second make) holds the dpkg
        # lock: wait for it (up to 10 minutes) instead of failing
        apt-get -o DPkg::Lock::Timeout=600 update -qq
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
    else
        echo "missing Debian packages: ${missing[*]}" >&2
        echo "run 'make demo' or 'make test' once as root, or: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
}

# build_install: compile with -Werror and install into PostgreSQL 15.
build_install() {
    log "building revrec"
    make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" >/dev/null
    if [ $IS_ROOT = 1 ]; then
        make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
    elif sudo -n true 2>/dev/null; then
        sudo make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
    else
        make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" install >/dev/null || {
            echo "cannot install into $($PG_CONFIG --sharedir): run as root or with sudo" >&2; exit 1; }
    fi
}

# The OS user that owns the throwaway cluster: postgres when we are root
# (PostgreSQL refuses to run as root), else ourselves.
if [ $IS_ROOT = 1 ]; then
    PG_OS_USER=postgres
    id "$PG_OS_USER" >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_OS_USER"
    as_pg() { runuser -u "$PG_OS_USER" -- env PGHOST="${PGHOST:-}" PGPORT="${PGPORT:-}" PGUSER=postgres PGDATABASE="${PGDATABASE:-postgres}" "$@"; }
else
    PG_OS_USER=$(id -un)
    as_pg() { env PGUSER=postgres "$@"; }
fi

# Clusters whose owning script is gone (killed half-way) are stopped and removed.
cleanup_stale() {
    local d owner
    for d in /tmp/revrec-pg.*; do
        [ -d "$d" ] || continue
        owner=$(cat "$d/owner.pid" 2>/dev/null || echo 0)
        if [ "$owner" != 0 ] && kill -0 "$owner" 2>/dev/null; then continue; fi
        if [ -f "$d/data/postmaster.pid" ]; then
            as_pg "$PGBIN/pg_ctl" -D "$d/data" -m immediate -w stop >/dev/null 2>&1 || true
        fi
        rm -rf "$d" 2>/dev/null || true
    done
}

# start_cluster DIR: initdb + start on a unix socket in DIR; exports PGHOST/PGPORT/PGUSER.
start_cluster() {
    local dir=$1
    mkdir -p "$dir"
    chown "$PG_OS_USER" "$dir"
    chmod 755 "$dir"
    PGPORT=$((20000 + RANDOM % 20000))
    as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
port = $PGPORT
fsync = off
synchronous_commit = off
full_page_writes = off
max_worker_processes = 16
max_connections = 50
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
# reports as_of a moment read commit times (README "Installing")
track_commit_timestamp = on
CONF
    # REVREC_POSTGRES: a program run instead of postgres (a wrapper that execs it
    # under valgrind or with sanitizer options: scripts/memcheck.sh).
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
        ${REVREC_POSTGRES:+-p "$REVREC_POSTGRES"} -w start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    export PGHOST=$dir PGPORT PGUSER=postgres
    CLUSTER_DIR=$dir
}

stop_cluster() {
    [ -n "${CLUSTER_DIR:-}" ] || return 0
    as_pg "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

# throwaway_cluster: a cluster in a fresh temp dir, stopped and removed on exit.
throwaway_cluster() {
    cleanup_stale
    WORK=$(mktemp -d /tmp/revrec-pg.XXXXXX)
    echo $$ >"$WORK/owner.pid"
    chmod 755 "$WORK"
    trap 'rc=$?; stop_cluster; if [ $rc != 0 ] && [ -f "$WORK/pg/server.log" ]; then
              echo "--- last lines of the server log:" >&2; tail -n 15 "$WORK/pg/server.log" >&2; fi
          if [ -n "${REVREC_KEEP_SERVER_LOG:-}" ]; then cp "$WORK/pg/server.log" "$REVREC_KEEP_SERVER_LOG" || true; fi
          rm -rf "$WORK"; exit $rc' EXIT
    trap 'exit 130' INT TERM
    start_cluster "$WORK/pg"
}

psql_q() { as_pg psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# demo_dir: where `make demo` keeps its cluster, one per user and checkout, so
# that a demo never stops or replaces another user's (or another clone's).
demo_dir() {
    echo "/tmp/revrec-demo-$(id -u)-$(printf '%s' "$ROOT" | md5sum | cut -c1-8)"
}

