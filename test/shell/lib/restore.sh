# Shared by the backup/restore shell tests (sourced; not a test itself).
#
# company_db NAME   a database NAME holding a company with every document
#                   kind (test/pgtap/lib/random_company.psql, small), a lock,
#                   GL mappings for every target, a user ledger account, a
#                   renamed system account, manual journals, changed settings.
#                   Built once per cluster as the template rr_company_tpl.
# fingerprint DB    one line per dumped table of revrec (md5 of its rows in key
#                   order) and per sequence (its last value): two databases
#                   with equal fingerprints hold identical revrec data.
# check NAME GOT EXPECTED / compare_dbs A B LABEL / verify_empty DB LABEL
# posts_new DB LABEL  the database posts a new invoice (exactly once).
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

company_db() {
    if [ "$(q -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = 'rr_company_tpl'")" = 0 ]; then
        createdb rr_company_tpl_tmp
        q -d rr_company_tpl_tmp -c 'CREATE EXTENSION revrec' >/dev/null
        (cd "$TESTS_DIR/pgtap" && psql -X -q -v ON_ERROR_STOP=1 -d rr_company_tpl_tmp \
            -v seed=0.4242 -v n1=40 -v n2=20 -v ncn=15 <<'SQL' >/dev/null
\ir lib/random_company.psql
UPDATE revrec.ledger_account SET name = 'Revenue (recognised)' WHERE code = 'recognized';
INSERT INTO revrec.ledger_account (code, name, normal_balance) VALUES ('services', 'Services revenue', 'credit');
INSERT INTO revrec.gl_account_map (target, account_code, external_account)
SELECT t, a.code, t || '-' || a.account_id FROM revrec.ledger_account a, unnest(ARRAY['xero', 'quickbooks', 'netsuite']) t;
SELECT revrec.post_manual_journal('2025-02-28', 'Reclass to services',
    '[{"account":"recognized","direction":"debit","amount":"100"},{"account":"services","direction":"credit","amount":"100"}]',
    'USD', 'C01');
UPDATE revrec.settings SET xero_tax_rate = 'Tax Exempt', netsuite_subsidiary = 'Parent', lock_date = '2025-01-31';
SQL
        )
        q -d postgres -c 'ALTER DATABASE rr_company_tpl_tmp RENAME TO rr_company_tpl' >/dev/null
    fi
    dropdb --if-exists "$1"
    createdb -T rr_company_tpl "$1"
}

fingerprint() {
    q -d "$1" <<'SQL'
CREATE FUNCTION pg_temp.rr_hash(t regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text;
BEGIN
    EXECUTE format('SELECT md5(coalesce(string_agg(t::text, %L ORDER BY t::text), %L)) FROM %s t', '|', '', t) INTO h;
    RETURN h;
END $$;
SELECT format('table %s %s', c.relname, pg_temp.rr_hash(c.oid))
  FROM pg_extension e, unnest(e.extconfig) x(oid) JOIN pg_class c ON c.oid = x.oid
 WHERE e.extname = 'revrec' AND c.relkind = 'r'
 ORDER BY c.relname;
SELECT format('sequence %s %s', c.relname, s.last_value)
  FROM pg_extension e, unnest(e.extconfig) x(oid) JOIN pg_class c ON c.oid = x.oid
  JOIN pg_sequences s ON s.schemaname = 'revrec' AND s.sequencename = c.relname
 WHERE e.extname = 'revrec'
 ORDER BY c.relname;
SQL
}

# compare_dbs SRC DST LABEL: one ok line per table and sequence
compare_dbs() {
    local a b line key
    a=$(fingerprint "$1"); b=$(fingerprint "$2")
    while IFS= read -r line; do
        key=$(cut -d' ' -f1,2 <<<"$line")
        check "$3: $key identical" "$(grep "^$key " <<<"$b")" "$line"
    done <<<"$a"
}

verify_empty() {
    check "$2: revrec.verify() finds nothing" "$(q -d "$1" -c "SELECT string_agg(v::text, '; ') FROM revrec.verify() v")" ""
}

posts_new() {
    q -d "$1" -c "INSERT INTO revrec.customer VALUES ('RNEW', 'New after restore');
        BEGIN; INSERT INTO revrec.invoice VALUES ('RNEW-1', 'RNEW-1', 'RNEW', 'USD', '2025-03-01');
        INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('RNEW-1-1', 'RNEW-1', 'SETUP', 10); COMMIT;" >/dev/null 2>&1 || true
    check "$2: a new invoice posts once" \
        "$(q -d "$1" -c "SELECT count(*) || '/' || coalesce(bool_and(posting_id > (SELECT max(posting_id) FROM revrec.posting WHERE source_id <> 'RNEW-1')), false) FROM revrec.posting WHERE source_id = 'RNEW-1'")" "1/true"
}

# Extra clusters (pg_dumpall, replication): extra_cluster NAME [postgresql.conf lines...]
# starts a cluster on a private socket directory and port and prints nothing;
# its PGHOST/PGPORT are in EXTRA_HOST[NAME]/EXTRA_PORT[NAME].  stop_extras
# (installed as the EXIT trap) stops and removes every one started.
declare -A EXTRA_HOST EXTRA_PORT
EXTRA_ROOT=$(mktemp -d /tmp/revrec-extra.XXXXXX)
stop_extras() {
    local d
    for d in "$EXTRA_ROOT"/*/data; do
        [ -f "$d/postmaster.pid" ] && "$PGBIN/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1
    done
    rm -rf "$EXTRA_ROOT"
}
trap stop_extras EXIT
extra_cluster() {
    local name=$1 dir=$EXTRA_ROOT/$1 port; shift
    port=$((20000 + RANDOM % 20000))
    mkdir -p "$dir"
    "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; return 1; }
    { echo "listen_addresses = ''"; echo "unix_socket_directories = '$dir'"; echo "port = $port"
      echo "fsync = off"; printf '%s\n' "$@"; } >>"$dir/data/postgresql.conf"
    "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null || { tail -20 "$dir/server.log"; return 1; }
    EXTRA_HOST[$name]=$dir; EXTRA_PORT[$name]=$port
}

# fresh_fingerprint DB: the table lines of a fingerprint (sequences left out)
# of DB; compare with those of a database where revrec was just created, to
# check that a refused restore wrote nothing.
table_fingerprint() { fingerprint "$1" | grep '^table '; }
fresh_tables() {
    if [ -z "${FRESH_TABLES:-}" ]; then
        dropdb --if-exists rr_fresh_ref; createdb rr_fresh_ref; q -d rr_fresh_ref -c 'CREATE EXTENSION revrec' >/dev/null
        FRESH_TABLES=$(table_fingerprint rr_fresh_ref); dropdb rr_fresh_ref
    fi
    printf '%s\n' "$FRESH_TABLES"
}
# trigger_states DB: every trigger on revrec's tables and whether it fires (O, A, R, D)
trigger_states() {
    q -d "$1" -c "SELECT string_agg(c.relname || '.' || t.tgname || '=' || t.tgenabled::text, ' ' ORDER BY c.relname, t.tgname)
                    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                   WHERE c.relnamespace = 'revrec'::regnamespace AND NOT t.tgisinternal"
}
