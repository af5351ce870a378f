#!/usr/bin/env bash
# Sources benchmark (issue 20): a Stripe billing history already in
# PostgreSQL (stripe-sync-engine's stripe.invoices, the API objects in
# _raw_data) backfilled into revrec by revrec.sync_source('stripe'), beside
# the native load of the same documents: COPY of the very invoices and lines
# the backfill wrote into revrec's own tables of a fresh database, in one
# transaction (posting at COMMIT).
#
#   bash bench/sources.sh [LINES]          default 100000 (10 lines an invoice)
#   RUNS=3 bash bench/sources.sh 100000
#   BENCH_RESULTS=FILE                     also append the medians as key=value lines
#
# Printed, medians of the runs:
#   backfill lines/s    lines / wall time of sync_source (read, map, post: batches
#                       of 100 invoices in a subtransaction, one posting each)
#   copy lines/s        lines / wall time of BEGIN; COPY customer, product,
#                       invoice, invoice_line; COMMIT
#   ratio               copy lines/s / backfill lines/s
# and checks on the last run: every invoice mapped, none refused, the ledgers
# of the backfill and the COPY identical, revrec.verify() empty; then the
# billing system's own INSERT of the same invoices, timed unattached, with
# capture only (map sync) and with mapping at its COMMIT (map commit).
source "$(dirname "$0")/../scripts/common.sh"

LINES=${1:-${SOURCE_LINES:-100000}}
RUNS=${RUNS:-3}
PER=10
INVOICES=$(( (LINES + PER - 1) / PER ))

ensure_packages
build_install
throwaway_cluster

CSV=$WORK/sources_csv
mkdir -p "$CSV"; chown "$PG_OS_USER" "$CSV"
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
now() { date +%s.%N; }

# the sync engine's table (migrations 0042/0048/0050 shape), filled with
# finalized invoices of 10 lines each: monthly and annual subscriptions,
# some discounted, some prorated, one-off items, 500 customers, USD/EUR/JPY
stripe_db() {
    psql_q -d "$1" >/dev/null <<SQL
CREATE EXTENSION revrec;
CREATE SCHEMA stripe;
CREATE TABLE stripe.invoices (
    _raw_data jsonb, _last_synced_at timestamptz, _updated_at timestamptz DEFAULT now(), _account_id text,
    id text GENERATED ALWAYS AS ((_raw_data->>'id')::text) STORED PRIMARY KEY,
    status text GENERATED ALWAYS AS ((_raw_data->>'status')::text) STORED,
    customer text GENERATED ALWAYS AS ((_raw_data->>'customer')::text) STORED,
    currency text GENERATED ALWAYS AS ((_raw_data->>'currency')::text) STORED,
    lines jsonb GENERATED ALWAYS AS (_raw_data->'lines') STORED,
    created integer GENERATED ALWAYS AS ((_raw_data->>'created')::integer) STORED);
CREATE TABLE stripe.credit_notes (
    _raw_data jsonb, _last_synced_at timestamptz, _account_id text,
    id text GENERATED ALWAYS AS ((_raw_data->>'id')::text) STORED PRIMARY KEY);
CREATE TABLE stripe.gen (_raw_data jsonb);
INSERT INTO stripe.gen (_raw_data)
SELECT jsonb_build_object('id', 'in_' || i, 'object', 'invoice', 'customer', 'cus_' || (i % 500),
           'customer_name', 'Customer ' || (i % 500), 'currency', cur, 'status', 'paid', 'number', 'N-' || i,
           'created', t0, 'status_transitions', jsonb_build_object('finalized_at', t0 + 3600),
           'lines', jsonb_build_object('object', 'list', 'has_more', false, 'data',
               (SELECT jsonb_agg(jsonb_build_object('id', 'il_' || i || '_' || k, 'object', 'line_item',
                    'amount', CASE WHEN cur = 'jpy' THEN 1000 * k ELSE 2500 * k + (i % 7) END,
                    'currency', cur, 'description', 'line ' || k, 'proration', k = 9,
                    'period', jsonb_build_object('start', t0, 'end',
                        CASE WHEN k = 10 THEN t0 WHEN k % 3 = 0 THEN t0 + 365 * 86400 ELSE t0 + 30 * 86400 END),
                    'pricing', jsonb_build_object('price_details', jsonb_build_object('product', 'prod_' || (k % 4))),
                    'discount_amounts', CASE WHEN k % 4 = 1 THEN jsonb_build_array(jsonb_build_object('amount', CASE WHEN cur = 'jpy' THEN 100 ELSE 250 END))
                                             ELSE '[]'::jsonb END))
                  FROM generate_series(1, $PER) k)))
  FROM (SELECT i, (ARRAY['usd', 'usd', 'eur', 'jpy'])[1 + i % 4] AS cur,
               extract(epoch FROM timestamptz '2025-01-01' + (i % 540) * interval '1 day')::bigint AS t0
          FROM generate_series(1, $INVOICES) i) g;
INSERT INTO stripe.invoices (_raw_data, _last_synced_at) SELECT _raw_data, now() FROM stripe.gen;
ANALYZE stripe.invoices;
SQL
}

backfill=(); copy=(); ratio=()
for run in $(seq 1 "$RUNS"); do
    as_pg dropdb --if-exists rr_src; as_pg createdb rr_src
    stripe_db rr_src
    psql_q -d rr_src -c "SELECT revrec.attach_source('stripe', 'stripe')" >/dev/null
    t0=$(now)
    res=$(psql_q -At -F ' ' -d rr_src -c "SELECT mapped, unchanged, refused FROM revrec.sync_source('stripe')")
    t1=$(now)
    read -r mapped unchanged refused <<<"$res"
    lines=$(psql_q -At -d rr_src -c "SELECT count(*) FROM revrec.invoice_line WHERE kind = 'charge'")
    all_lines=$(psql_q -At -d rr_src -c "SELECT count(*) FROM revrec.invoice_line")
    bt=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')

    # the same documents, COPY'd into a fresh database
    for t in customer product invoice invoice_line; do
        psql_q -d rr_src -c "\\copy (SELECT * FROM revrec.$t) TO '$CSV/$t.csv' WITH (FORMAT csv)"
    done
    as_pg dropdb --if-exists rr_copy; as_pg createdb rr_copy
    psql_q -d rr_copy -c 'CREATE EXTENSION revrec'
    t0=$(now)
    psql_q -d rr_copy <<SQL
BEGIN;
\\copy revrec.customer FROM '$CSV/customer.csv' WITH (FORMAT csv)
\\copy revrec.product FROM '$CSV/product.csv' WITH (FORMAT csv)
\\copy revrec.invoice FROM '$CSV/invoice.csv' WITH (FORMAT csv)
\\copy revrec.invoice_line FROM '$CSV/invoice_line.csv' WITH (FORMAT csv)
COMMIT;
SQL
    t1=$(now)
    ct=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
    br=$(awk -v l="$lines" -v t="$bt" 'BEGIN {printf "%d", l / t}')
    cr=$(awk -v l="$lines" -v t="$ct" 'BEGIN {printf "%d", l / t}')
    ra=$(awk -v b="$br" -v c="$cr" 'BEGIN {printf "%.1f", c / b}')
    log "run $run: $lines lines ($all_lines with discount lines) in $mapped invoices ($refused refused): backfill ${bt}s = $br lines/s; COPY ${ct}s = $cr lines/s; COPY is ${ra}x"
    backfill+=("$br"); copy+=("$cr"); ratio+=("$ra")
done

# checks on the last run: both ledgers identical, verify() empty on both
# (the postings themselves, without ids, times and who: the daily entries of
# 100,000 lines would not fit one string)
fp="SELECT md5(string_agg(h, '' ORDER BY h)) FROM (SELECT md5((to_jsonb(p) - ARRAY['posting_id', 'recorded_at', 'recorded_by',
               'recorded_xid'])::text) AS h FROM revrec.posting p) x"
same=$([ "$(psql_q -At -d rr_src -c "$fp")" = "$(psql_q -At -d rr_copy -c "$fp")" ] && echo yes || echo NO)
vs=$(psql_q -At -d rr_src -c 'SELECT count(*) FROM revrec.verify()')
vc=$(psql_q -At -d rr_copy -c 'SELECT count(*) FROM revrec.verify()')
t0=$(now)
again=$(psql_q -At -F ' ' -d rr_src -c "SELECT mapped, unchanged, refused FROM revrec.sync_source('stripe')")
t1=$(now)
rt=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
log "ledgers identical: $same; verify() problems: backfill $vs, copy $vc; a second sync_source (replay, nothing changed): $again in ${rt}s"
as_pg dropdb rr_src; as_pg dropdb rr_copy

# the billing system's own writes with revrec attached: the same invoices
# inserted (one INSERT of all rows, as a sync engine backfill would) into
# stripe.invoices unattached, attached with map = sync (capture only), and
# attached with map = commit (capture, then mapping and posting at COMMIT)
live=()
for mode in none sync commit; do
    as_pg dropdb --if-exists rr_live; as_pg createdb rr_live
    stripe_db rr_live
    psql_q -d rr_live -c "TRUNCATE stripe.invoices" >/dev/null
    [ "$mode" = none ] || psql_q -d rr_live -c "SELECT revrec.attach_source('stripe', 'stripe', '{\"map\": \"$mode\"}')" >/dev/null
    t0=$(now)
    psql_q -d rr_live -c "INSERT INTO stripe.invoices (_raw_data, _last_synced_at) SELECT _raw_data, now() FROM stripe.gen"
    t1=$(now)
    posted=$(psql_q -At -d rr_live -c "SELECT count(*) FROM revrec.invoice_line WHERE kind = 'charge'")
    lt=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
    log "billing write of $lines lines, revrec ${mode/none/not attached}: ${lt}s ($posted lines posted)"
    live+=("$lt")
done
as_pg dropdb rr_live

if [ -n "${BENCH_RESULTS:-}" ]; then
    printf 'sources.%s=%s\n' lines "$lines" backfill_lines_per_s "$(median "${backfill[@]}")" \
        copy_lines_per_s "$(median "${copy[@]}")" ratio "$(median "${ratio[@]}")" ledgers_identical "$same" \
        replay_s "$rt" runs "$RUNS" write_plain_s "${live[0]}" write_capture_s "${live[1]}" write_commit_s "${live[2]}" >>"$BENCH_RESULTS"
fi
echo
echo "revrec sources benchmark: $lines Stripe invoice lines ($INVOICES invoices) backfilled by sync_source (median of $RUNS runs)"
printf '%9s %16s %16s %8s %10s %8s\n' lines backfill_lines/s copy_lines/s ratio identical replay_s
printf '%9s %16s %16s %8s %10s %8s\n' "$lines" "$(median "${backfill[@]}")" "$(median "${copy[@]}")" "$(median "${ratio[@]}")x" "$same" "$rt"
echo "copy: the same invoices and lines COPY'd into revrec's tables in one transaction (posted at COMMIT)"
echo "the billing system's INSERT of the same $INVOICES invoices: ${live[0]}s unattached, ${live[1]}s with capture only (map sync),"
echo "${live[2]}s with capture and mapping at COMMIT (one run each)"
