#!/usr/bin/env bash
# make valgrind / make ubsan: the whole test suite (scripts/test.sh) against a
# throwaway cluster whose postgres runs under valgrind memcheck, or with the
# extension built with UndefinedBehaviorSanitizer.
#
#   bash scripts/private.sh make valgrind     # or: make ubsan
#
# valgrind: one log per process in out/memcheck-valgrind/vg/; afterwards every
#   error is counted, and the run fails if any error's stack goes through
#   revrec.so.  Errors elsewhere (postgres itself, libc) are listed apart and do
#   not fail the run.  Suppressions: test/valgrind.supp.
# ubsan: the run fails on any "runtime error" in the server log.
# Either way the run also fails when the suite fails.
#
# Environment:
#   REVREC_TEST_SKIP  extended regex of test file names to leave out; valgrind
#                     defaults to 'schedule_properties|crash\.sh' (see
#                     test/README.md for timings); set it empty to run all
#   REVREC_MEMCHECK_DIR  where logs go (default out/memcheck-MODE)
set -euo pipefail
MODE=${1:?usage: memcheck.sh valgrind|ubsan}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGBIN=/usr/lib/postgresql/15/bin
OUT=${REVREC_MEMCHECK_DIR:-$ROOT/out/memcheck-$MODE}
PG_OS_USER=postgres; [ "$(id -u)" = 0 ] || PG_OS_USER=$(id -un)

rm -rf "$OUT"; mkdir -p "$OUT"
# The instrumented objects must not outlive this run (a later plain `make`
# would otherwise install them): clean before and after.
make -C "$ROOT" -s clean >/dev/null
trap 'make -C "$ROOT" -s clean >/dev/null 2>&1 || true' EXIT

case $MODE in
valgrind)
    command -v valgrind >/dev/null || {
        if [ "$(id -u)" = 0 ]; then apt-get install -y -qq valgrind >/dev/null; else echo "install valgrind" >&2; exit 1; fi; }
    mkdir -p "$OUT/vg"
    # The property test (hundreds of thousands of schedule days) and the
    # kill -9 test (a 200,000-line COPY) take hours under valgrind; they are
    # left out unless REVREC_TEST_SKIP is set (REVREC_TEST_SKIP= runs all).
    export REVREC_TEST_SKIP=${REVREC_TEST_SKIP-}
    # the whole suite, with the two big tests scaled down (5% of the random
    # schedule cases, a 5,000-line COPY to kill) so it runs in minutes, not hours
    export PGOPTIONS="${PGOPTIONS:-} -c revrec.test_scale=${REVREC_TEST_SCALE:-0.05}"
    export REVREC_CRASH_LINES=${REVREC_CRASH_LINES:-5000}
    # Symbols and line numbers for revrec's own frames; -Og keeps it fast enough.
    export COPT="-Og -g3 -fno-omit-frame-pointer"
    # No --error-exitcode: a backend exiting with it would make the postmaster
    # restart the cluster.  Processes the server starts through a shell
    # (COPY FROM PROGRAM) are left alone.
    cat >"$OUT/postgres" <<EOF
#!/bin/sh
exec valgrind --quiet --tool=memcheck --trace-children=yes \\
    --trace-children-skip='/bin/*,/usr/bin/*' \\
    --track-origins=yes --read-var-info=no --leak-check=no --num-callers=40 \\
    --suppressions="$ROOT/test/valgrind.supp" \\
    --error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END \\
    --log-file="$OUT/vg/%p.log" \\
    "$PGBIN/postgres" "\$@"
EOF
    ;;
ubsan)
    export COPT="-fsanitize=undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -fno-wrapv"
    export PG_LDFLAGS=-fsanitize=undefined
    cat >"$OUT/postgres" <<EOF
#!/bin/sh
UBSAN_OPTIONS=print_stacktrace=1 exec "$PGBIN/postgres" "\$@"
EOF
    ;;
*) echo "unknown mode $MODE" >&2; exit 2 ;;
esac
chmod 755 "$OUT/postgres"
chown -R "$PG_OS_USER" "$OUT"

export REVREC_POSTGRES=$OUT/postgres
export REVREC_KEEP_SERVER_LOG=$OUT/server.log
export PGCTLTIMEOUT=1200                # pg_ctl start/stop under valgrind
export PG_TEST_TIMEOUT_DEFAULT=1800     # isolationtester's wait for a step

start=$(date +%s)
suite_rc=0
bash "$ROOT/scripts/test.sh" || suite_rc=$?
secs=$(( $(date +%s) - start ))
echo "==> $MODE: suite took ${secs}s (exit $suite_rc)"

bad=0
case $MODE in
valgrind)
    # Split every log into its error blocks (between the markers).
    total=0; ours=0
    : >"$OUT/revrec-errors.txt"; : >"$OUT/other-errors.txt"
    for f in "$OUT"/vg/*.log; do
        [ -f "$f" ] || continue
        awk -v ours="$OUT/revrec-errors.txt" -v other="$OUT/other-errors.txt" -v file="$(basename "$f")" '
            /VALGRINDERROR-BEGIN/ { inb = 1; blk = "== " file "\n"; next }
            /VALGRINDERROR-END/   { inb = 0; out = (blk ~ /revrec\.so/) ? ours : other; printf "%s\n", blk >> out; next }
            inb { blk = blk $0 "\n" }' "$f"
    done
    # (grep exits 1 when a run has no error at all: not a failure)
    total=$({ grep -c '^== ' "$OUT/revrec-errors.txt" "$OUT/other-errors.txt" || true; } | awk -F: '{ s += $2 } END { print s + 0 }')
    ours=$(grep -c '^== ' "$OUT/revrec-errors.txt" || true)
    nlogs=$(ls "$OUT"/vg/*.log 2>/dev/null | wc -l)
    echo "==> valgrind: $nlogs process logs, $total errors, $ours through revrec.so"
    if [ "$ours" != 0 ]; then
        echo "--- errors through revrec.so ($OUT/revrec-errors.txt):"; head -n 200 "$OUT/revrec-errors.txt"; bad=1
    fi
    if [ "$((total - ours))" != 0 ]; then
        echo "--- $((total - ours)) errors outside revrec.so (not failing; $OUT/other-errors.txt), first ones:"
        head -n 60 "$OUT/other-errors.txt"
    fi
    ;;
ubsan)
    n=$(grep -c 'runtime error' "$OUT/server.log" || true)
    echo "==> ubsan: $n runtime errors in the server log"
    if [ "$n" != 0 ]; then grep -A 20 'runtime error' "$OUT/server.log" | head -n 100; bad=1; fi
    ;;
esac
if grep -q 'terminated by signal' "$OUT/server.log" 2>/dev/null; then
    echo "--- server processes that died of a signal (crash.sh kills one on purpose):"; grep 'terminated by signal' "$OUT/server.log"
fi
[ $bad = 0 ] && [ $suite_rc = 0 ]
