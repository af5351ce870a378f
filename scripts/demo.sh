#!/usr/bin/env bash
# make demo: set-up, then the sample company's month-end close.
# The demo cluster keeps running afterwards so you can explore it; `make
# demo-stop` (or the next `make demo`) stops it.  On failure it is stopped.
source "$(dirname "$0")/common.sh"

ensure_packages gnuplot-nox
build_install

DEMO=$(demo_dir)
if [ -f "$DEMO/pg/data/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$DEMO/pg/data" -m fast -w stop >/dev/null 2>&1 || true
fi
rm -rf "$DEMO"
mkdir -p "$DEMO"; chmod 755 "$DEMO"
trap 'rc=$?; if [ $rc != 0 ]; then stop_cluster; fi; exit $rc' EXIT
start_cluster "$DEMO/pg"

OUT=$ROOT/out
mkdir -p "$OUT"; chmod 777 "$OUT"
t0=$(date +%s)
as_pg createdb revrec_demo
psql_q -d revrec_demo -c 'CREATE EXTENSION revrec'
log "generating and loading the sample company (500 customers, 10,000 invoice lines; posts at commit)"
as_pg env PGHOST="$PGHOST" PGPORT="$PGPORT" bash "$ROOT/bench/gen/load.sh" revrec_demo 42 10000 >&2
log "October 2026: credit notes, a void, manual journals"
psql_q -d revrec_demo -f "$ROOT/scripts/demo_month.sql" >/dev/null
log "month-end close"
as_pg psql -X -d revrec_demo -f "$ROOT/scripts/demo.sql"

log "exports and chart in $OUT"
for f in sequence xero quickbooks netsuite; do
    g=month; [ $f = sequence ] && g=day
    as_pg psql -X -q -d revrec_demo -v ON_ERROR_STOP=1 -c "COPY (SELECT * FROM revrec.export_$f(from_date => '2026-10-01', to_date => '2026-10-31', currency => 'USD', granularity => '$g')) TO STDOUT (FORMAT csv, HEADER)" >"$OUT/$f.csv"
done
as_pg psql -X -q -d revrec_demo -v ON_ERROR_STOP=1 -c "COPY (SELECT line FROM revrec.waterfall_csv('2026-10-31', 'USD', months => 24)) TO STDOUT" >"$OUT/waterfall.csv"
as_pg psql -X -q -At -F ' ' -d revrec_demo -v ON_ERROR_STOP=1 >"$OUT/revenue.dat" <<'SQL'
-- month, recognized (closed months), scheduled (months after the close), deferred at month end; USD thousands
SELECT to_char(m, 'YYYY-MM'),
       CASE WHEN m <= date '2026-10-01' THEN round(coalesce(r.recognized, 0) / 1000, 1) ELSE 0 END,
       CASE WHEN m > date '2026-10-01' THEN round(coalesce(r.recognized, 0) / 1000, 1) ELSE 0 END,
       round(coalesce(d.deferred, 0) / 1000, 1)
  FROM generate_series(date '2025-01-01', date '2027-12-01', interval '1 month') m
  LEFT JOIN (SELECT date_trunc('month', entry_date) AS m, sum(CASE direction WHEN 'credit' THEN amount ELSE -amount END) AS recognized
               FROM revrec.journal_report(from_date => '2025-01-01', to_date => '2027-12-31', currency => 'USD')
              WHERE account = 'recognized' GROUP BY 1) r USING (m)
  LEFT JOIN LATERAL (SELECT sum(remaining) AS deferred FROM revrec.deferred_revenue(as_of => (m + interval '1 month - 1 day')::date, currency => 'USD')) d ON true
 ORDER BY m;
SQL
gnuplot <<GP
set terminal pngcairo size 1100,550 font ",10"
set output "$OUT/revenue.png"
set title "Sample company (USD thousands): revenue recognized per month, scheduled after the close, and deferred revenue running off"
set style data histograms
set style histogram rowstacked
set style fill solid 0.6 border -1
set boxwidth 0.8
set xtics rotate by -60 font ",8"
set ylabel "USD thousands"
set format y "%.0f"
set key top left
set grid ytics
set arrow from 21.5, graph 0 to 21.5, graph 1 nohead dashtype 2
set label "close: Oct 2026" at 21.7, graph 0.95
plot "$OUT/revenue.dat" using 2:xtic(1) title "recognized (closed months)" lc rgb "#4a7ab5", \
     "" using 3 title "scheduled (after the close)" lc rgb "#a9c4e4", \
     "" using 0:4 with linespoints lw 2 pt 7 ps 0.6 lc rgb "#c0504d" title "deferred revenue balance (end of month)"
GP
ls -l "$OUT"
log "demo finished in $(( $(date +%s) - t0 )) s"
cat <<MSG

The demo database keeps running. Connect with:

    psql -h $PGHOST -p $PGPORT -U postgres revrec_demo

and try:

    SELECT * FROM revrec.journal_report(from_date => '2026-10-01', to_date => '2026-10-31', currency => 'USD') LIMIT 20;
    SELECT customer_id, sum(remaining) FROM revrec.deferred_revenue('2026-10-31', 'USD') GROUP BY 1 ORDER BY 2 DESC LIMIT 5;
    SELECT * FROM revrec.schedule(1080.00, '2024-07-01', '2025-06-30') WHERE day >= '2025-02-25' LIMIT 5;

Stop it with: make demo-stop
MSG
