-- Property tests of revrec.schedule and revrec.monthly_schedule
-- over thousands of random cases: amounts of both signs from one minor unit
-- to the largest accepted, periods of 1 day to 100 years starting anywhere
-- from 4000 BC to about 4,900,000 AD, every strategy, currencies of 0, 2, 3
-- and 4 decimals.  setseed() makes every run draw the same cases.
--
-- Each property is one assertion over all the cases; when it fails, its
-- "have" shows how many cases fail and the first few of them, so a failure
-- can be replayed by hand with revrec.schedule(amount, s, e, strategy, currency).
--
-- Dates are handled as dates only (no date_trunc or interval arithmetic,
-- whose timestamps stop at 294276 AD).

\set QUIET 1
SET client_min_messages = warning;
BEGIN;
SELECT plan(17);
DO $$ BEGIN PERFORM setseed(0.20250301); END $$;

\ir lib/schedule_cases.psql
ALTER TABLE cases ADD COLUMN strategy text;
UPDATE cases SET strategy = (ARRAY['daily_rate_even_months', 'month_fraction_even_months',
                                   'thirty_day_even_months', 'daily'])[1 + floor(r_strat * 4)::int];

-- "" when no case fails, else how many fail and the first five.
CREATE FUNCTION pg_temp.failures(ids int[]) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN coalesce(cardinality(ids), 0) = 0 THEN ''
           ELSE cardinality(ids) || ' failing case(s), e.g. ' ||
                (SELECT string_agg(format('#%s revrec.schedule(%s, %L, %L, %L, %L)',
                                          id, amount, s, e, strategy, currency), '; ' ORDER BY id)
                 FROM cases WHERE id = ANY (ids[1:5])) END
$$;

-- What revrec returns ------------------------------------------------------
CREATE TEMP TABLE days AS
SELECT c.id, d.ord, d.day, d.amount, pg_temp.mon(d.day) AS mon,
       least(c.e, pg_temp.next_mon(d.day) - 1) AS mlast      -- last covered day of its month
FROM cases c,
     revrec.schedule(c.amount, c.s, c.e, c.strategy, c.currency) WITH ORDINALITY d(day, amount, ord);
CREATE TEMP TABLE months AS
SELECT c.id, m.ord, m.month, m.amount
FROM cases c,
     revrec.monthly_schedule(c.amount, c.s, c.e, c.strategy, c.currency) WITH ORDINALITY m(month, amount, ord);

-- days per calendar month, aggregated once
CREATE TEMP TABLE dm AS
SELECT id, mon, count(*) AS d, sum(amount) AS total,
       min(amount) FILTER (WHERE day < mlast) AS lo, max(amount) FILTER (WHERE day < mlast) AS hi,
       min(amount) FILTER (WHERE day = mlast) AS last_amount,
       count(*) FILTER (WHERE day = mlast) AS n_last
FROM days GROUP BY id, mon;

-- The calendar, built independently of revrec: covered days d and calendar
-- days D of each month the period touches.
CREATE TEMP TABLE lay AS
SELECT id, mon, d, pg_temp.next_mon(mon) - mon AS dd
FROM (SELECT c.id, pg_temp.mon(c.s + k) AS mon, count(*) AS d
      FROM cases c, generate_series(0, c.e - c.s) k
      GROUP BY 1, 2) x;

SELECT diag(format('%s cases, %s days, %s months; periods of %s to %s days from %s to %s',
                   (SELECT count(*) FROM cases), (SELECT count(*) FROM days),
                   (SELECT count(*) FROM months), (SELECT min(n) FROM cases),
                   (SELECT max(n) FROM cases), (SELECT min(s) FROM cases), (SELECT max(e) FROM cases)));

-- 1. One row per day of the period, consecutive dates in order.
SELECT is(pg_temp.failures(ARRAY(
    SELECT c.id FROM cases c LEFT JOIN days d USING (id)
    GROUP BY c.id, c.n, c.s
    HAVING count(d.day) <> c.n OR bool_or(d.day <> c.s + (d.ord - 1)::int)
    ORDER BY 1)), '',
    'schedule: exactly one row per day of [service_start, service_end], consecutive, in order');

-- 2. The days sum exactly to the amount.
SELECT is(pg_temp.failures(ARRAY(
    SELECT c.id FROM cases c LEFT JOIN (SELECT id, sum(amount) AS t FROM days GROUP BY id) d USING (id)
    WHERE d.t IS DISTINCT FROM c.amount ORDER BY 1)), '',
    'schedule: the days sum exactly to the amount');

-- 3. monthly_schedule sums exactly to the amount, one row per month touched, in order.
SELECT is(pg_temp.failures(ARRAY(
    SELECT c.id FROM cases c LEFT JOIN months m USING (id)
         LEFT JOIN (SELECT id, count(*) AS nm FROM lay GROUP BY id) l USING (id)
    GROUP BY c.id, c.amount, c.s, l.nm
    HAVING sum(m.amount) IS DISTINCT FROM c.amount
        OR min(m.month) FILTER (WHERE m.ord = 1) IS DISTINCT FROM pg_temp.mon(c.s)
        OR count(m.month) <> l.nm
    UNION
    SELECT id FROM (SELECT id, month, lag(month) OVER (PARTITION BY id ORDER BY ord) AS prev FROM months) m
    WHERE prev IS NOT NULL AND month <> pg_temp.next_mon(prev)
    ORDER BY 1)), '',
    'monthly_schedule: one row per calendar month touched, in order, summing exactly to the amount');

-- 4. The days of each month sum to that month of monthly_schedule.
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT coalesce(m.id, dm.id) FROM months m FULL JOIN dm ON dm.id = m.id AND dm.mon = m.month
    WHERE dm.total IS DISTINCT FROM m.amount ORDER BY 1)), '',
    'months summed from the days equal monthly_schedule');

-- 5. No day has the opposite sign of the amount (and a zero amount gives zero days).
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT c.id FROM cases c JOIN days d USING (id)
    WHERE (c.sgn <> 0 AND sign(d.amount) = -c.sgn) OR (c.sgn = 0 AND d.amount <> 0) ORDER BY 1)), '',
    'no day has the opposite sign of the amount');

-- 6. No month has the opposite sign of the amount.
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT c.id FROM cases c JOIN months m USING (id)
    WHERE (c.sgn <> 0 AND sign(m.amount) = -c.sgn) OR (c.sgn = 0 AND m.amount <> 0) ORDER BY 1)), '',
    'no month has the opposite sign of the amount');

-- 7. Within a month every day but the last covered one has the same amount.
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT id FROM dm WHERE lo <> hi OR n_last <> 1 ORDER BY 1)), '',
    'day amounts within a month differ only on the month''s last covered day');

-- 8. The spread exactly: a month amount a over d covered days is trunc(a/d)
--    a day and the last covered day takes a - (d-1)*trunc(a/d) (in integer minor units).
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT c.id FROM cases c JOIN dm USING (id)
    WHERE (dm.d > 1 AND dm.lo * 10::numeric ^ c.exponent
                        <> div(dm.total * 10::numeric ^ c.exponent, dm.d))
       OR dm.last_amount <> dm.total - (dm.d - 1) * coalesce(dm.lo, 0)
    ORDER BY 1)), '',
    'each month spreads as trunc(a / d) a day, the last covered day taking the rest');

-- 9. The even-month strategies: every full month has the same amount
--    trunc(R / F), R being what the partial months leave and F the number of
--    full months, except the last full month, which takes R - (F-1)*trunc(R/F).
SELECT is(pg_temp.failures(ARRAY(
    WITH f AS (
        SELECT c.id, c.exponent, m.month, m.amount, l.d = l.dd AS is_full
        FROM cases c JOIN months m USING (id) JOIN lay l ON l.id = m.id AND l.mon = m.month
        WHERE c.strategy <> 'daily'
    ), g AS (
        SELECT f.*, c.amount - coalesce(sum(f.amount) FILTER (WHERE NOT is_full) OVER w0, 0) AS r_left,
               count(*) FILTER (WHERE is_full) OVER w0 AS nfull,
               max(month) FILTER (WHERE is_full) OVER w0 AS last_full
        FROM f JOIN cases c USING (id)
        WINDOW w0 AS (PARTITION BY f.id)
    ), h AS (
        SELECT g.*, r_left * 10::numeric ^ exponent AS r_minor FROM g
    )
    SELECT DISTINCT id FROM h
    WHERE is_full AND amount * 10::numeric ^ exponent
                   <> CASE WHEN month = last_full THEN r_minor - (nfull - 1) * div(r_minor, nfull)
                           ELSE div(r_minor, nfull) END
    ORDER BY 1)), '',
    'even-month strategies: every full month gets trunc(R/F), the last full month also the remainder');

-- 10. monthly_schedule equals the month formulas of README "Recognition", implemented here
--     independently in exact integer arithmetic (round half away from zero of
--     p/q >= 0 is div(2p + q, 2q)).  Weights over L = 377580 = lcm(28, 29, 30, 31):
--     daily_rate w = d (W = N); month_fraction w = d/D; thirty_day w = min(d, 30)/30;
--     a full month weighs 1.
CREATE TEMP TABLE ref AS
WITH l AS (
    SELECT c.id, c.strategy, c.am, c.sgn, c.n, c.exponent, l.mon, l.d, l.dd, l.d = l.dd AS is_full,
           sum(l.d) OVER (PARTITION BY c.id ORDER BY l.mon) AS cum,
           count(*) OVER (PARTITION BY c.id) AS nm,
           count(*) FILTER (WHERE l.d = l.dd) OVER (PARTITION BY c.id) AS nfull,
           max(l.mon) OVER (PARTITION BY c.id) AS last_mon,
           max(l.mon) FILTER (WHERE l.d = l.dd) OVER (PARTITION BY c.id) AS last_full,
           CASE WHEN c.strategy = 'daily_rate_even_months' THEN l.d
                WHEN l.d = l.dd THEN 377580
                WHEN c.strategy = 'month_fraction_even_months' THEN l.d * (377580 / l.dd)
                ELSE least(l.d, 30) * (377580 / 30) END::numeric AS w
    FROM cases c JOIN lay l USING (id)
), s AS (
    SELECT l.*, sum(w) OVER (PARTITION BY id) AS wsum,
           CASE WHEN strategy <> 'daily' AND NOT is_full AND NOT (nfull = 0 AND mon = last_mon)
                THEN div(2 * am * w + sum(w) OVER (PARTITION BY id), 2 * sum(w) OVER (PARTITION BY id))
           END AS share
    FROM l
), t AS (
    SELECT s.*, am - coalesce(sum(share) OVER (PARTITION BY id), 0) AS rest FROM s
)
SELECT id, mon,
       sgn * CASE
           WHEN strategy = 'daily' THEN div(2 * am * cum + n, 2 * n) - div(2 * am * (cum - d) + n, 2 * n)
           WHEN share IS NOT NULL THEN share
           WHEN nfull = 0 THEN rest                                   -- last month, no full month
           WHEN mon = last_full THEN rest - (nfull - 1) * div(rest, nfull)
           ELSE div(rest, nfull) END / 10::numeric ^ exponent AS amount
FROM t;
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT coalesce(m.id, r.id) FROM months m FULL JOIN ref r ON r.id = m.id AND r.mon = m.month
    WHERE r.amount IS DISTINCT FROM m.amount ORDER BY 1)), '',
    'monthly_schedule equals an independent implementation of the month formulas of README "Recognition"');

-- 11. Amounts come back with exactly the currency's number of decimals.
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT c.id FROM cases c JOIN days d USING (id) WHERE scale(d.amount) <> c.exponent
    UNION
    SELECT DISTINCT c.id FROM cases c JOIN months m USING (id) WHERE scale(m.amount) <> c.exponent
    ORDER BY 1)), '',
    'every amount has exactly the currency''s number of decimals');

-- 12. A negative amount is scheduled as its absolute value and negated (first 600 cases).
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT coalesce(n.id, d.id)
    FROM (SELECT c.id, x.day, -x.amount AS amount FROM cases c,
                 revrec.schedule(-c.amount, c.s, c.e, c.strategy, c.currency) x WHERE c.id <= 600) n
    FULL JOIN (SELECT * FROM days WHERE id <= 600) d ON d.id = n.id AND d.day = n.day
    WHERE n.amount IS DISTINCT FROM d.amount ORDER BY 1)), '',
    'schedule(-A) is exactly -schedule(A)');

-- 13. The same call gives the same rows in the same order (first 300 cases, called again).
SELECT is(pg_temp.failures(ARRAY(
    SELECT DISTINCT coalesce(n.id, d.id)
    FROM (SELECT c.id, x.* FROM cases c,
                 revrec.schedule(c.amount, c.s, c.e, c.strategy, c.currency) WITH ORDINALITY x(day, amount, ord)
          WHERE c.id <= 300) n
    FULL JOIN (SELECT * FROM days WHERE id <= 300) d ON d.id = n.id AND d.ord = n.ord
    WHERE (n.day, n.amount) IS DISTINCT FROM (d.day, d.amount) ORDER BY 1)), '',
    'schedule is deterministic');

-- Bad input, over random cases ----------------------------------------------
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;

-- 14. One decimal more than the currency has (a non-zero last digit) is RV002.
SELECT is(pg_temp.failures(ARRAY(
    SELECT id FROM cases
    WHERE id <= 500 AND pg_temp.sqlstate_of(format(
            'SELECT count(*) FROM revrec.schedule(%s, %L, %L, %L, %L)',
            amount + CASE WHEN sgn < 0 THEN -7 ELSE 7 END / 10::numeric ^ (exponent + 1), s, e, strategy, currency)) <> 'RV002'
    ORDER BY 1)), '',
    'an amount with more decimals than its currency is an error RV002');

-- 15. service_end before service_start is RV004.
SELECT is(pg_temp.failures(ARRAY(
    SELECT id FROM cases
    WHERE id <= 500 AND pg_temp.sqlstate_of(format(
            'SELECT count(*) FROM revrec.monthly_schedule(%s, %L, %L, %L, %L)',
            amount, s, s - 1 - (id % 400), strategy, currency)) <> 'RV004'
    ORDER BY 1)), '',
    'service_end before service_start is an error RV004');

SELECT throws_ok($$SELECT count(*) FROM revrec.schedule(1.00, '2000-01-01', date '2000-01-01' + 365250)$$,
                 'RV004', NULL, 'a period longer than 1,000 years is an error RV004');
SELECT throws_ok($$SELECT count(*) FROM revrec.schedule(92233720368547758.08, '2025-01-01', '2025-12-31')$$,
                 'RV003', NULL, 'an amount beyond 2^63-1 minor units is an error RV003');

SELECT * FROM finish();
ROLLBACK;
