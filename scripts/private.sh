#!/usr/bin/env bash
# Developer tool: run a command (e.g. `make test`) in a private mount
# namespace whose PostgreSQL extension and library directories are copies, so
# that `make install` from one work tree does not change what another work
# tree running tests at the same time sees.  Root only.
#   bash scripts/private.sh make test
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "scripts/private.sh needs root" >&2; exit 1; }
exec unshare --mount --propagation private bash -c '
    set -e
    d=$(mktemp -d /tmp/revrec-private.XXXXXX)
    trap "rm -rf $d" EXIT
    for dir in /usr/share/postgresql/15/extension /usr/lib/postgresql/15/lib; do
        mkdir -p "$d$dir"; cp -a "$dir/." "$d$dir/"; mount --bind "$d$dir" "$dir"
    done
    "$@"' private "$@"
