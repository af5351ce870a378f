#!/usr/bin/env bash
# make test: set-up, then every pg_regress, isolation and pgTAP test.
# Ends with one line "N passed, N failed" and exits non-zero on any failure.
# Counting: one per pg_regress test, one per isolation spec, one per pgTAP assertion.
source "$(dirname "$0")/common.sh"

ensure_packages
build_install
throwaway_cluster

PGXS_DIR=$(dirname "$(dirname "$(dirname "$($PG_CONFIG --pgxs)")")")
T=$WORK/t
mkdir -p "$T"
cp -r "$ROOT/test" "$T/test"
cp -r "$ROOT/expected" "$T/test/expected"   # pg_regress and isolation read <inputdir>/expected
cp "$ROOT/README.md" "$T/README.md"   # test/shell/readme.sh runs its SQL examples
mkdir -p "$T/demo"                     # test/shell/demo.sh runs the demo's SQL
cp -r "$ROOT/bench/gen" "$ROOT/scripts/demo_month.sql" "$ROOT/scripts/demo.sql" "$T/demo/"
chown -R "$PG_OS_USER" "$T"
passed=0; failed=0

# REVREC_ACCEPT=1 (developers only): copy new outputs over expected/, to be
# read with `git diff` before committing.
accept() {
    [ "${REVREC_ACCEPT:-}" = 1 ] || return 0
    local f
    for f in "$T/$1"/results/*.out; do
        [ -f "$f" ] && cp "$f" "$ROOT/expected/$(basename "$f")"
    done
}

# REVREC_TEST_SKIP (an extended regex, e.g. 'crash\.sh|bad_input'): leave out
# the test files whose name matches (used by slow runs such as make valgrind).
keep() { grep -vE "${REVREC_TEST_SKIP:-^\$}" || true; }

count_regress() {  # count_regress LOGFILE
    local p f n
    p=$(grep -cE '\.\.\. ok|^ok ' "$1" || true)
    # every test line that is not "ok" failed (FAILED, or a diff that could
    # not run: a missing expected file must not pass unnoticed)
    n=$(grep -cE '^(test|     ) *[^ ]+ +\.\.\. ' "$1" || true)
    f=$(grep -cE '^not ok ' "$1" || true)
    f=$((f + (n > p ? n - p : 0)))
    passed=$((passed + p)); failed=$((failed + f))
    log "$2: $p passed, $f failed"
}

tests=$(cd "$ROOT/test/sql" 2>/dev/null && ls *.sql 2>/dev/null | keep | sed 's/\.sql$//' | sort || true)
if [ -n "$tests" ]; then
    log "pg_regress"
    rc=0
    as_pg "$PGXS_DIR/src/test/regress/pg_regress" --inputdir="$T/test" --outputdir="$T/regress" \
        --bindir="$PGBIN" --load-extension=revrec --dbname=revrec_regress $tests >"$T/regress.log" 2>&1 || rc=$?
    grep -E '\.\.\. |tests? (passed|failed)' "$T/regress.log" || cat "$T/regress.log"
    accept regress
    count_regress "$T/regress.log" pg_regress
    [ $rc = 0 ] || { [ -f "$T/regress/regression.diffs" ] && head -c 20000 "$T/regress/regression.diffs"; \
                     grep -qE 'FAILED|^not ok ' "$T/regress.log" || failed=$((failed + 1)); }
fi

specs=$(cd "$ROOT/test/specs" 2>/dev/null && ls *.spec 2>/dev/null | keep | sed 's/\.spec$//' | sort || true)
if [ -n "$specs" ]; then
    log "isolation"
    rc=0
    as_pg "$PGXS_DIR/src/test/isolation/pg_isolation_regress" --inputdir="$T/test" --outputdir="$T/iso" \
        --bindir="$PGBIN" --load-extension=revrec --dbname=revrec_isolation $specs >"$T/iso.log" 2>&1 || rc=$?
    grep -E '\.\.\. |tests? (passed|failed)' "$T/iso.log" || cat "$T/iso.log"
    accept iso
    count_regress "$T/iso.log" isolation
    [ $rc = 0 ] || { [ -f "$T/iso/regression.diffs" ] && head -c 20000 "$T/iso/regression.diffs"; \
                     grep -qE 'FAILED|^not ok ' "$T/iso.log" || failed=$((failed + 1)); }
fi

# pgTAP: every file gets a fresh database cloned from a template that has
# both extensions, so files may commit (deferred posting triggers fire at commit).
if ls "$ROOT"/test/pgtap/*.sql >/dev/null 2>&1; then
    log "pgTAP"
    as_pg createdb revrec_tap_tpl
    psql_q -d revrec_tap_tpl -c 'CREATE EXTENSION pgtap; CREATE EXTENSION revrec;'
    n=0
    for f in "$T"/test/pgtap/*.sql; do
        n=$((n + 1)); db=revrec_tap_$n; name=$(basename "$f")
        [ -n "$(echo "$name" | keep)" ] || continue
        as_pg createdb -T revrec_tap_tpl "$db"
        rc=0
        as_pg pg_prove --verbose -d "$db" "$f" >"$T/tap_$n.log" 2>&1 || rc=$?
        p=$(grep -cE '^ok ' "$T/tap_$n.log" || true)
        f_=$(grep -cE '^not ok ' "$T/tap_$n.log" || true)
        if [ $rc != 0 ]; then
            grep -vE '^ok ' "$T/tap_$n.log" | head -n 60
            [ "$f_" -gt 0 ] || f_=1   # died before its plan finished
        fi
        passed=$((passed + p)); failed=$((failed + f_))
        printf 'pgtap %-40s %4d passed, %d failed\n' "$name" "$p" "$f_"
        as_pg dropdb "$db"
    done
fi

# Shell tests: whole-cluster scenarios (dump/restore, crash recovery).  Each
# prints TAP-style "ok"/"not ok" lines; a script that fails without saying
# why counts as one failure.
if ls "$ROOT"/test/shell/*.sh >/dev/null 2>&1; then
    log "shell tests"
    for f in "$T"/test/shell/*.sh; do
        name=$(basename "$f"); rc=0
        [ -n "$(echo "$name" | keep)" ] || continue
        as_pg env PGBIN="$PGBIN" PGDATA="$CLUSTER_DIR/data" bash "$f" >"$T/$name.log" 2>&1 || rc=$?
        p=$(grep -cE '^ok ' "$T/$name.log" || true)
        f_=$(grep -cE '^not ok ' "$T/$name.log" || true)
        if [ $rc != 0 ] || [ "$f_" -gt 0 ]; then
            tail -n 30 "$T/$name.log"
            [ "$f_" -gt 0 ] || f_=1
        fi
        passed=$((passed + p)); failed=$((failed + f_))
        printf 'shell %-40s %4d passed, %d failed\n' "$name" "$p" "$f_"
    done
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
