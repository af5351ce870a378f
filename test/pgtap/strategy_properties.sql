-- Property tests of every allocation strategy (issue 18): the strategies of
-- the systems users migrate from (odoo_month, odoo_full_months, odoo_day,
-- erpnext_days, erpnext_months) and every strategy's "+cumulative" day
-- spread, next to the four original ones (README "Recognition"), over thousands of random cases
-- drawn as in schedule_properties.sql (amounts of both signs, 1 day to 100
-- years, 4000 BC to about 4,900,000 AD, currencies of 0 to 4 decimals).
-- Each property is one assertion over all the cases; a failure's "have"
-- names the first failing calls.

\set QUIET 1
SET client_min_messages = warning;
BEGIN;
SELECT plan(14);
DO $$ BEGIN PERFORM setseed(0.20250618); END $$;

\ir lib/schedule_cases.psql
ALTER TABLE cases ADD COLUMN strategy text;
UPDATE cases SET strategy = (ARRAY['daily_rate_even_months', 'month_fraction_even_months', 'thirty_day_even_months', 'daily',
                                   'odoo_month', 'odoo_full_months', 'odoo_day', 'erpnext_days', 'erpnext_months'])[1 + floor(r_strat * 9)::int]
                            || CASE WHEN r_strat * 18 - floor(r_strat * 9) * 2 >= 1 THEN '+cumulative' ELSE '' END;

-- The calendar, built independently of revrec: covered days d and calendar
-- days D of each month the period touches, its first and last covered day.
CREATE TEMP TABLE lay AS
SELECT x.id, x.mon, x.d, pg_temp.next_mon(x.mon) - x.mon AS dd,
       greatest(x.mon, c.s) AS lo, least(pg_temp.next_mon(x.mon) - 1, c.e) AS hi,
       row_number() OVER (PARTITION BY x.id ORDER BY x.mon) - 1 AS k,
       count(*) OVER (PARTITION BY x.id) AS nm
FROM (SELECT c.id, pg_temp.mon(c.s + k) AS mon, count(*) AS d
      FROM cases c, generate_series(0, c.e - c.s) k
      GROUP BY 1, 2) x JOIN cases c USING (id);

-- Odoo's day count (_get_deferred_diff_dates x 30), written here from its
-- definition: 30 a month; a month's last day counts as day 30.
CREATE FUNCTION pg_temp.mi(d date) RETURNS bigint IMMUTABLE LANGUAGE sql AS $$
    SELECT (CASE WHEN extract(year FROM d) < 0 THEN extract(year FROM d) + 1 ELSE extract(year FROM d) END)::bigint * 12
           + extract(month FROM d)::bigint $$;
CREATE FUNCTION pg_temp.d30(a date, b date) RETURNS bigint IMMUTABLE LANGUAGE sql AS $$
    SELECT (pg_temp.mi(b) - pg_temp.mi(a)) * 30
           + CASE WHEN b = pg_temp.next_mon(b) - 1 THEN 30 ELSE extract(day FROM b)::bigint END
           - CASE WHEN a = pg_temp.next_mon(a) - 1 THEN 30 ELSE extract(day FROM a)::bigint END $$;

-- "" when no case fails, else how many fail and the first five.
CREATE FUNCTION pg_temp.failures(ids int[]) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN coalesce(cardinality(ids), 0) = 0 THEN ''
           ELSE cardinality(ids) || ' failing case(s), e.g. ' ||
                (SELECT string_agg(format('#%s revrec.schedule(%s, %L, %L, %L, %L)',
                                          id, amount, s, e, strategy, currency), '; ' ORDER BY id)
                 FROM cases WHERE id = ANY (ids[1:5])) END
$$;

CREATE TEMP TABLE days AS
SELECT c.id, d.ord, d.day, d.amount, pg_temp.mon(d.day) AS mon
FROM cases c,
     revrec.schedule(c.amount, c.s, c.e, c.strategy, c.currency) WITH ORDINALITY d(day, amount, ord);
CREATE TEMP TABLE months AS
SELECT c.id, m.ord, m.month, m.amount
FROM cases c,
     revrec.monthly_schedule(c.amount, c.s, c.e, c.strategy, c.currency) WITH ORDINALITY m(month, amount, ord);
CREATE TEMP TABLE dm AS
SELECT id, mon, sum(amount) AS total FROM days GROUP BY id, mon;

SELECT diag(format('%s cases over %s strategy names, %s days, %s months; periods of %s to %s days from %s to %s',
                   (SELECT count(*) FROM cases), (SELECT count(DISTINCT strategy) FROM cases),
                   (SELECT count(*) FROM days), (SELECT count(*) FROM months), (SELECT min(n) FROM cases),
                   (SELECT max(n) FROM cases), (SELECT min(s) FROM cases), (SELECT max(e) FROM cases)));

-- 1. Every strategy name and its +cumulative variant is drawn.
SELECT is((SELECT count(DISTINCT strategy) FROM cases), 18::bigint, 'the cases cover all 18 strategy names');

-- 2. One row per day of the period, consecutive dates in order.
SELECT is(pg_temp.failures(ARRAY(
    SELECT c.id FROM cases c LEFT JOIN days d USING (id)
    GROUP BY c.id, c.n, c.s
    HAVING count(d.day) <> c.n OR bool_or(d.day <> c.s + (d.ord - 1)::int)
    ORDER BY 1)), '',
    'schedule: exactly one row per day of [service_start, service_end], consecutive, in order');

-- 3. The days sum exactly to the amount.
SELECT is(pg_temp.failures(ARRAY(
    SELECT c.id FROM cases c LEFT JOIN (SELECT id, sum(amount) AS t FROM days GROUP BY id) d USING (id)
    WHERE d.t IS DISTINCT FROM c.amount ORDER BY 1)), '',
    'schedule: the days sum exactly to the amount');

-- 4. monthly_schedule: one row per month touched, in order, summing to the amount.
SELECT is(pg_temp.failures(ARRAY(
    SELECT c.id FROM cases c LEFT JOIN months m USING (id)
         LEFT JOIN (SELECT id, count(*) AS nm FROM lay GROUP BY id) l USING (id)
    GROUP BY c.id, c.amount, c.s, l.nm
    HAVING sum(m.amount) IS DISTINCT FROM c.amount
        OR min(m.month) FILTER (WHERE m.ord = 1) IS DISTINCT FROM pg_temp.mon(c.s)
        OR count(m.month) <> l.nm
    ORDER BY 1)), '',
    'monthly_schedule: one row per calendar month touched, summing exactly to the amount');

-- 5. The days of each month sum to that month of monthly_schedule.
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT coalesce(m.id, dm.id) FROM months m FULL JOIN dm ON dm.id = m.id AND dm.mon = m.month
    WHERE dm.total IS DISTINCT FROM m.amount ORDER BY 1)), '',
    'months summed from the days equal monthly_schedule');

-- 6. No day has the opposite sign of the amount (a zero amount: zero days).
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT c.id FROM cases c JOIN days d USING (id)
    WHERE (c.sgn <> 0 AND sign(d.amount) = -c.sgn) OR (c.sgn = 0 AND d.amount <> 0) ORDER BY 1)), '',
    'no day has the opposite sign of the amount');

-- 7. No month has the opposite sign of the amount.
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT c.id FROM cases c JOIN months m USING (id)
    WHERE (c.sgn <> 0 AND sign(m.amount) = -c.sgn) OR (c.sgn = 0 AND m.amount <> 0) ORDER BY 1)), '',
    'no month has the opposite sign of the amount');

-- 8. schedule(-A) is exactly -schedule(A) (first 600 cases).
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT coalesce(n.id, d.id)
    FROM (SELECT c.id, x.day, -x.amount AS amount FROM cases c,
                 revrec.schedule(-c.amount, c.s, c.e, c.strategy, c.currency) x WHERE c.id <= 600) n
    FULL JOIN (SELECT * FROM days WHERE id <= 600) d ON d.id = n.id AND d.day = n.day
    WHERE n.amount IS DISTINCT FROM d.amount ORDER BY 1)), '',
    'schedule(-A) is exactly -schedule(A)');

-- 9. monthly_schedule(-A) is exactly -monthly_schedule(A) (first 1000 cases).
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT coalesce(n.id, m.id)
    FROM (SELECT c.id, x.month, -x.amount AS amount FROM cases c,
                 revrec.monthly_schedule(-c.amount, c.s, c.e, c.strategy, c.currency) x WHERE c.id <= 1000) n
    FULL JOIN (SELECT * FROM months WHERE id <= 1000) m ON m.id = n.id AND m.month = n.month
    WHERE n.amount IS DISTINCT FROM m.amount ORDER BY 1)), '',
    'monthly_schedule(-A) is exactly -monthly_schedule(A)');

-- 10. A +cumulative variant has the month amounts of its strategy (first 1000 cases).
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT c.id FROM cases c
    JOIN LATERAL revrec.monthly_schedule(c.amount, c.s, c.e,
                 CASE WHEN c.strategy LIKE '%+cumulative' THEN replace(c.strategy, '+cumulative', '')
                      ELSE c.strategy || '+cumulative' END, c.currency) WITH ORDINALITY x(month, amount, ord) ON true
    JOIN months m ON m.id = c.id AND m.ord = x.ord
    WHERE c.id <= 1000 AND (m.month, m.amount) IS DISTINCT FROM (x.month, x.amount) ORDER BY 1)), '',
    'a +cumulative variant recognizes the same months as its strategy');

-- The day spread, written here from its definition.  A day's weight is 1, or
-- for odoo_month and odoo_full_months Odoo's day count from it to the next
-- day; C(x) = weight of the month's covered days up to x, W = C(last).  A
-- month whose covered days weigh nothing spreads by 1 a day.
CREATE TEMP TABLE spread AS
SELECT d.id, d.day, d.amount, c.exponent, c.strategy LIKE '%+cumulative' AS cumulative,
       l.hi, m.amount * 10::numeric ^ c.exponent AS a,
       CASE WHEN w.thirty THEN pg_temp.d30(d.day, d.day + 1) ELSE 1 END AS wt,
       CASE WHEN w.thirty THEN pg_temp.d30(l.lo, d.day + 1) ELSE d.day - l.lo + 1 END AS cw,
       CASE WHEN w.thirty THEN pg_temp.d30(l.lo, l.hi + 1) ELSE l.hi - l.lo + 1 END AS wsum
FROM days d JOIN cases c USING (id)
JOIN lay l ON l.id = d.id AND l.mon = d.mon
JOIN months m ON m.id = d.id AND m.month = d.mon
CROSS JOIN LATERAL (SELECT c.strategy ~ '^odoo_(month|full_months)' AND pg_temp.d30(l.lo, l.hi + 1) > 0 AS thirty) w
WHERE d.id <= 1500 AND c.n <= 4000;

-- round(p / q) half away from zero, any sign of p (q > 0)
CREATE FUNCTION pg_temp.rnd(p numeric, q numeric) RETURNS numeric IMMUTABLE LANGUAGE sql AS $$
    SELECT sign(p) * div(2 * abs(p) + q, 2 * q) $$;

-- 11. Default spread: trunc(a * w / W) a day, the last covered day the rest.
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT id FROM (
        SELECT s.*, a - coalesce(sum(trunc(a * wt / wsum)) FILTER (WHERE day < hi) OVER (PARTITION BY id, hi), 0) AS last_amt
        FROM spread s WHERE NOT cumulative) x
    WHERE amount * 10::numeric ^ exponent <> CASE WHEN day = hi THEN last_amt ELSE trunc(a * wt / wsum) END
    ORDER BY 1)), '',
    'default day spread: trunc(a * w / W) a day, the last covered day taking the rest');

-- 12. +cumulative: the days up to x recognize round(a * C(x) / W) in all.
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT id FROM (
        SELECT s.*, sum(amount) OVER (PARTITION BY id, hi ORDER BY day) * 10::numeric ^ exponent AS upto
        FROM spread s WHERE cumulative) x
    WHERE upto <> pg_temp.rnd(a * cw, wsum)
    ORDER BY 1)), '',
    '+cumulative day spread: the days up to x sum to round(a * C(x) / W)');

-- 13. odoo_day and erpnext_days: month i gets min(round(A * d_i / N), what is
--     left), the last month the rest; odoo_full_months: weight 1 a month
--     begun, the end month 0 unless the period ends on its last day;
--     odoo_month: weight = Odoo's day count of the month's part, W = that of
--     the period.  Exact integers, here independently of revrec.
CREATE TEMP TABLE ref AS
WITH w AS (
    SELECT l.id, l.mon, l.k, l.nm, c.am, c.sgn, c.exponent, c.strategy,
           CASE WHEN c.strategy ~ '^(odoo_day|erpnext_days)' THEN l.d
                WHEN c.strategy ~ '^odoo_full_months' THEN (l.hi = pg_temp.next_mon(l.mon) - 1)::int
                ELSE pg_temp.d30(l.lo, l.hi + 1) END::numeric AS w,
           CASE WHEN c.strategy ~ '^odoo_month' THEN pg_temp.d30(c.s, c.e + 1) END::numeric AS wline
    FROM lay l JOIN cases c USING (id)
    WHERE c.strategy ~ '^(odoo_|erpnext_days)'
), s AS (
    SELECT w.*, coalesce(wline, sum(w) OVER (PARTITION BY id)) AS wt FROM w
), t AS (
    SELECT s.*, CASE WHEN wt > 0 THEN div(2 * am * w + wt, 2 * wt) ELSE 0 END AS share FROM s
), u AS (
    SELECT t.*, least(sum(share) OVER (PARTITION BY id ORDER BY k), am) AS cum FROM t
)
SELECT id, mon, sgn * (CASE WHEN k = nm - 1 THEN am - coalesce(lag(cum) OVER (PARTITION BY id ORDER BY k), 0)
                            ELSE cum - coalesce(lag(cum) OVER (PARTITION BY id ORDER BY k), 0) END)
                / 10::numeric ^ exponent AS amount
FROM u;
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT r.id FROM ref r LEFT JOIN months m ON m.id = r.id AND m.month = r.mon
    WHERE r.amount IS DISTINCT FROM m.amount ORDER BY 1)), '',
    'odoo_day, erpnext_days, odoo_full_months, odoo_month equal their rules written independently');

-- 14. erpnext_months: the period lasts round(n * (e - s) / (last day of e's
--     month - first of s's month), 1) months, a month A / that, rounded; a
--     first month not covered whole gets round((d - 1) / (D - 1), 1) of it;
--     no month more than what is left; the end month the rest.
CREATE TEMP TABLE ref2 AS
WITH p AS (
    SELECT c.id, c.am, c.sgn, c.exponent, c.s, c.e,
           count(*) AS nm,
           div(2 * 10 * count(*) * (c.e - c.s) + (pg_temp.next_mon(c.e) - 1 - pg_temp.mon(c.s)),
               2 * greatest(pg_temp.next_mon(c.e) - 1 - pg_temp.mon(c.s), 1)) AS am10
    FROM cases c JOIN lay l USING (id)
    WHERE c.strategy ~ '^erpnext_months'
    GROUP BY c.id
), q AS (
    SELECT p.*, CASE WHEN am10 > 0 THEN div(2 * 10 * am + am10, 2 * am10) ELSE am END AS monthly FROM p
), r AS (
    SELECT q.*, l.mon, l.k, l.lo, l.hi,
           CASE WHEN l.lo = l.mon THEN least(monthly, am)
                ELSE div(2 * least(monthly, am) * div(2 * 10 * (l.hi - l.lo) + (l.hi - l.mon), 2 * (l.hi - l.mon)) + 10, 20)
           END AS first_amt
    FROM q JOIN lay l USING (id)
), u AS (
    SELECT r.*, least(first_value(first_amt) OVER (PARTITION BY id ORDER BY k) + k * monthly, am) AS cum FROM r
)
SELECT id, mon, sgn * (CASE WHEN nm = 1 THEN am
                            WHEN k = nm - 1 THEN am - coalesce(lag(cum) OVER (PARTITION BY id ORDER BY k), 0)
                            ELSE cum - coalesce(lag(cum) OVER (PARTITION BY id ORDER BY k), 0) END)
                / 10::numeric ^ exponent AS amount
FROM u;
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT r.id FROM ref2 r LEFT JOIN months m ON m.id = r.id AND m.month = r.mon
    WHERE r.amount IS DISTINCT FROM m.amount ORDER BY 1)), '',
    'erpnext_months equals its rule written independently');

SELECT * FROM finish();
ROLLBACK;
