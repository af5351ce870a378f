-- revrec.schedule / revrec.monthly_schedule: the worked examples
-- to the cent, edge cases of every strategy, currencies of 0, 2, 3 and 4
-- decimals, and every kind of bad input with its SQLSTATE.
--
-- Every expected value below was checked by hand against the formulas in README "Recognition";
-- the comments give the arithmetic (amounts in minor units).
SET datestyle = 'ISO, YMD';

-- summary(): one row per calendar month: the month amount from
-- monthly_schedule, the covered days, the amount of every day but the last
-- (per_day, NULL when the days before the last are not all equal), the last
-- covered day's amount, and whether the days sum to the month amount.
-- (The month of a day is computed on dates, not with date_trunc, whose
-- timestamp does not reach the last dates a date can hold.)
CREATE FUNCTION summary(a numeric, s date, e date,
                        strat text DEFAULT 'daily_rate_even_months', cur text DEFAULT 'USD')
RETURNS TABLE (month date, month_amount numeric, days int, per_day numeric,
               last_day numeric, days_sum_ok boolean)
LANGUAGE sql AS $$
    WITH d AS (
        SELECT day, amount,
               day = max(day) OVER (PARTITION BY mon) AS is_last, mon
        FROM revrec.schedule(a, s, e, strat, cur),
             LATERAL (SELECT day - extract(day FROM day)::int + 1) x(mon)
    )
    SELECT m.month, m.amount, count(d.day)::int,
           CASE WHEN count(DISTINCT d.amount) FILTER (WHERE NOT d.is_last) <= 1
                THEN min(d.amount) FILTER (WHERE NOT d.is_last) END,
           min(d.amount) FILTER (WHERE d.is_last),
           sum(d.amount) = m.amount
    FROM revrec.monthly_schedule(a, s, e, strat, cur) m
    JOIN d ON d.mon = m.month
    GROUP BY m.month, m.amount
    ORDER BY m.month
$$;

-- try(): run a query, report 'ok' or the error's SQLSTATE and message.
CREATE FUNCTION try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

CREATE TABLE strategies (strategy text PRIMARY KEY);
INSERT INTO strategies VALUES ('daily_rate_even_months'), ('month_fraction_even_months'),
                              ('thirty_day_even_months'), ('daily');

---------------------------------------------------------------------------
-- An annual line, the default strategy (README "Recognition"): $1,080.00 over 2024-07-01..2025-06-30, default
-- strategy: every month $90.00; May 2025 30 x 2.90 + 3.00; June 2025 30 x 3.00;
-- February 2025 27 x 3.21 + 3.33.
SELECT * FROM summary(1080.00, '2024-07-01', '2025-06-30');
SELECT day, amount FROM revrec.schedule(1080.00, '2024-07-01', '2025-06-30')
WHERE day BETWEEN '2025-05-01' AND '2025-06-30' ORDER BY day;
SELECT day, amount FROM revrec.schedule(1080.00, '2024-07-01', '2025-06-30')
WHERE day BETWEEN '2025-02-01' AND '2025-02-28' ORDER BY day;
SELECT count(*) AS days, sum(amount) AS total, min(day), max(day)
FROM revrec.schedule(1080.00, '2024-07-01', '2025-06-30');
-- named arguments, as the contract says
SELECT sum(amount) FROM revrec.schedule(amount => 1080.00, service_start => '2024-07-01',
    service_end => '2025-06-30', strategy => 'daily_rate_even_months', currency => 'USD');

-- Example 2: GBP 1,809.68, 2025-01-16..2025-04-15, month_fraction_even_months:
-- weights 16/31, 1, 1, 15/30; January 309.68, February 600.00, March 600.00, April 300.00.
SELECT * FROM revrec.monthly_schedule(1809.68, '2025-01-16', '2025-04-15',
                                      'month_fraction_even_months', 'GBP');
SELECT * FROM summary(1809.68, '2025-01-16', '2025-04-15', 'month_fraction_even_months', 'GBP');

-- Example 3: EUR 3,600.00, 2025-03-10..2025-06-09 (92 days), default strategy:
-- March round(360000*22/92) = 86087, June round(360000*9/92) = 35217,
-- April and May (360000-86087-35217)/2 = 119348 each.
SELECT count(*) AS days FROM revrec.schedule(3600.00, '2025-03-10', '2025-06-09', currency => 'EUR');
SELECT * FROM revrec.monthly_schedule(3600.00, '2025-03-10', '2025-06-09', currency => 'EUR');
SELECT * FROM summary(3600.00, '2025-03-10', '2025-06-09', cur => 'EUR');

-- Example 4: JPY 100,000, 2025-01-01..2025-01-03, daily: 33,333 / 33,333 / 33,334.
SELECT * FROM revrec.schedule(100000, '2025-01-01', '2025-01-03', 'daily', 'JPY');
SELECT * FROM revrec.monthly_schedule(100000, '2025-01-01', '2025-01-03', 'daily', 'JPY');

---------------------------------------------------------------------------
-- One-day period: the whole amount on that day, whatever the strategy.
SELECT s.strategy, d.* FROM strategies s,
    revrec.schedule(100.00, '2025-03-15', '2025-03-15', s.strategy) d ORDER BY 1;
SELECT s.strategy, m.* FROM strategies s,
    revrec.monthly_schedule(-0.01, '2025-03-15', '2025-03-15', s.strategy) m ORDER BY 1;

-- A period inside one month: the month takes everything; 10000 over 11 days
-- is 909 a day and 10000 - 10*909 = 910 on the last day.
SELECT s.strategy, m.* FROM strategies s,
    summary(100.00, '2025-03-10', '2025-03-20', s.strategy) m ORDER BY 1;

-- Two partial months, no full month: 100.00 over 2025-01-20..2025-02-10
-- (12 days of January's 31, 10 of February's 28, N = 22); the last month
-- takes the amount less the first.
--   daily_rate:     round(10000*12/22) = round(5454.55) = 5455; February 4545
--   month_fraction: weights 12/31, 10/28: 12*28/(12*28+10*31) = 336/646,
--                   round(10000*336/646) = round(5201.24) = 5201; February 4799
--   thirty_day:     weights 12/30, 10/30: same as daily_rate, 5455 / 4545
--   daily:          round(10000*12/22) - 0 = 5455; 10000 - 5455 = 4545
-- days: 5455/12 = 454 (x11) + 461; 4545/10 = 454 (x9) + 459;
--       5201/12 = 433 (x11) + 438; 4799/10 = 479 (x9) + 488.
SELECT s.strategy, m.* FROM strategies s,
    summary(100.00, '2025-01-20', '2025-02-10', s.strategy) m ORDER BY 1, 2;

---------------------------------------------------------------------------
-- Leap days are ordinary days.
-- February 29 alone.
SELECT s.strategy, d.* FROM strategies s,
    revrec.schedule(29.00, '2024-02-29', '2024-02-29', s.strategy) d ORDER BY 1;
-- 366.00 over the leap year 2024: daily is exactly 1.00 a day (so February
-- 29.00); the even-month strategies give every month 36600/12 = 3050, which
-- February spreads as 3050/29 = 105 (x28) + 110.
SELECT * FROM summary(366.00, '2024-01-01', '2024-12-31', 'daily');
SELECT count(*), min(amount), max(amount) FROM revrec.schedule(366.00, '2024-01-01', '2024-12-31', 'daily');
SELECT * FROM summary(366.00, '2024-01-01', '2024-12-31') WHERE month = '2024-02-01';
-- A partial leap February: 100.00 over 2024-02-10..2024-03-09 (20 of 29 days,
-- then 9 of 31; N = 29):
--   daily_rate / thirty_day (20/30 vs 9/30) / daily: round(10000*20/29) = round(6896.55) = 6897; 3103
--   month_fraction: 20*31/(20*31+9*29) = 620/881, round(10000*620/881) = round(7037.46) = 7037; 2963
SELECT s.strategy, m.* FROM strategies s,
    summary(100.00, '2024-02-10', '2024-03-09', s.strategy) m ORDER BY 1, 2;
-- 1,200.00 over 2024-02-29..2025-02-28 (366 days): February 2024 has 1 day,
-- then 12 full months, so the last full month takes the remainder:
--   daily_rate:     round(120000*1/366) = round(327.87) = 328; rest 119672,
--                   trunc(119672/12) = 9972 (x11), last 119672 - 11*9972 = 9980
--   month_fraction: weight 1/29, W = 12 + 1/29 = 349/29, round(120000/349) = round(343.84) = 344;
--                   rest 119656, 9971 (x11), last 9975
--   thirty_day:     weight 1/30, W = 361/30, round(120000/361) = round(332.41) = 332;
--                   rest 119668, 9972 (x11), last 9976
--   daily:          c = 1, 32, 62, ...: 328, round(120000*32/366) - 328 = 10492 - 328 = 10164, ...
SELECT s.strategy, m.month, m.amount FROM strategies s,
    revrec.monthly_schedule(1200.00, '2024-02-29', '2025-02-28', s.strategy) m
WHERE s.strategy <> 'daily' ORDER BY 1, 2;
SELECT m.*, sum(m.amount) OVER (ORDER BY m.month) AS cumulative
FROM revrec.monthly_schedule(1200.00, '2024-02-29', '2025-02-28', 'daily') m ORDER BY 1;

---------------------------------------------------------------------------
-- thirty_day_even_months on partial months of 31-day months: a partial
-- month weighs min(d, 30)/30, so 30 days of January weigh as a full month.
-- 100.00 over 2025-01-02..2025-03-31: weights 30/30, 1, 1:
--   round(10000/3) = 3333; rest 6667: 3333, 3334.
-- month_fraction on the same period: 30/31, W = 92/31, round(10000*30/92) = round(3260.87) = 3261;
--   rest 6739: 3369, 3370.
SELECT s.strategy, m.* FROM strategies s,
    revrec.monthly_schedule(100.00, '2025-01-02', '2025-03-31', s.strategy) m
WHERE s.strategy IN ('thirty_day_even_months', 'month_fraction_even_months') ORDER BY 1, 2;
-- ... and at the end: 2025-01-01..2025-03-30, March (30 of 31 days) weighs 1 and gets
-- round(10000/3) = 3333 as a partial month; January 3333 and February, the last full
-- month, 3334 (the remainder).
SELECT * FROM revrec.monthly_schedule(100.00, '2025-01-01', '2025-03-30', 'thirty_day_even_months');
-- A partial February: 2025-02-02..2025-04-30, 27 days weigh 27/30, W = 2.9:
--   round(10000*0.9/2.9) = round(3103.45) = 3103; rest 6897: 3448, 3449.
SELECT * FROM revrec.monthly_schedule(100.00, '2025-02-02', '2025-04-30', 'thirty_day_even_months');
-- 31 covered days of a 31-day partial month cannot happen (31 days is the
-- full month), but a 30-day partial month at both ends:
-- 2025-01-02..2025-03-30: weights 1, 1, 1 (W = 3): 3333, 3334 (the only full month), 3333.
SELECT * FROM revrec.monthly_schedule(100.00, '2025-01-02', '2025-03-30', 'thirty_day_even_months');

---------------------------------------------------------------------------
-- A negative amount (a discount) is the exact mirror of the positive one.
SELECT s.strategy, m.* FROM strategies s,
    summary(-100.00, '2025-01-20', '2025-02-10', s.strategy) m ORDER BY 1, 2;
SELECT * FROM summary(-1080.00, '2024-07-01', '2025-06-30') WHERE month IN ('2025-02-01', '2025-05-01', '2025-06-01');
-- every day of every strategy over a few periods, positive vs negative
SELECT s.strategy, p.a, bool_and(n.amount = -d.amount) AS mirrored, count(*) AS days
FROM strategies s,
     (VALUES (1080.00, '2024-07-01'::date, '2025-06-30'::date), (100.00, '2025-01-20', '2025-02-10'),
             (1200.00, '2024-02-29', '2025-02-28'), (0.07, '2025-01-30', '2025-03-02'),
             (12345.67, '2023-11-17', '2026-02-03')) p(a, s, e),
     revrec.schedule(p.a, p.s, p.e, s.strategy) d
     JOIN revrec.schedule(-p.a, p.s, p.e, s.strategy) n USING (day)
GROUP BY 1, 2 ORDER BY 1, 2;

-- Amounts smaller than the number of days: every day but the month's last is zero.
SELECT * FROM revrec.schedule(0.01, '2025-01-01', '2025-01-10');
SELECT * FROM summary(0.07, '2025-01-30', '2025-03-02', 'daily');

---------------------------------------------------------------------------
-- Currencies.
-- 3 decimals: BHD 100.000 over three days, daily: 33.333, 33.333, 33.334.
SELECT * FROM revrec.schedule(100.000, '2025-01-01', '2025-01-03', 'daily', 'BHD');
-- KWD 1,000.001 over 2025, default: 1000001/12 = 83333 (x11), December 83338;
-- January 83333/31 = 2688 (x30) + 2693.
SELECT * FROM summary(1000.001, '2025-01-01', '2025-12-31', cur => 'KWD') WHERE month IN ('2025-01-01', '2025-11-01', '2025-12-01');
SELECT sum(amount) FROM revrec.schedule(1000.001, '2025-01-01', '2025-12-31', currency => 'KWD');
-- 0 decimals: JPY 1,000 over 2025: 83 a month (x11) and December 87;
-- January 83/31 = 2 (x30) + 23.
SELECT * FROM summary(1000, '2025-01-01', '2025-12-31', cur => 'JPY') WHERE month IN ('2025-01-01', '2025-12-01');
-- KRW 10 over 2025-01-30..2025-02-02 (2 + 2 days): 5 and 5, days 2 + 3 each month.
SELECT * FROM revrec.schedule(10, '2025-01-30', '2025-02-02', 'daily', 'KRW');
-- JPY written with zero decimals is fine; 100.00 JPY is 100 yen.
SELECT * FROM revrec.schedule(100.00, '2025-01-01', '2025-01-02', 'daily', 'JPY');
-- 4 decimals: CLF 1.0000 over three days, daily: 0.3333, 0.3333, 0.3334.
SELECT * FROM revrec.schedule(1, '2025-01-01', '2025-01-03', 'daily', 'CLF');
-- Fewer decimals than the currency has are padded; trailing zeros beyond it are not decimals.
SELECT * FROM revrec.monthly_schedule(5, '2025-01-01', '2025-01-31', currency => 'USD');
SELECT * FROM revrec.monthly_schedule(5.000000, '2025-01-01', '2025-01-31', currency => 'USD');

---------------------------------------------------------------------------
-- Extremes that must work.
-- the largest amount (2^63-1 minor units) over a year and a day, both signs
SELECT sum(amount), count(*) FROM revrec.schedule(92233720368547758.07, '2024-01-01', '2025-01-01');
SELECT sum(amount), count(*) FROM revrec.schedule(-92233720368547758.07, '2024-01-01', '2025-01-01', 'daily');
SELECT * FROM revrec.monthly_schedule(92233720368547758.07, '2024-12-15', '2025-01-14', 'month_fraction_even_months');
-- the longest period: 365,250 days (1,000 years)
SELECT count(*), sum(amount), min(day), max(day)
FROM revrec.schedule(1000000.00, '2000-01-01', date '2000-01-01' + 365249);
SELECT count(*), sum(amount) FROM revrec.monthly_schedule(1000000.00, '2000-01-01', date '2000-01-01' + 365249, 'thirty_day_even_months');
-- the first and last dates PostgreSQL accepts, and the year 1 BC (a leap year)
SELECT * FROM summary(100.00, '4713-11-24 BC', '4713-12-05 BC');
SELECT * FROM summary(100.00, '5874897-12-20', '5874897-12-31', 'daily');
SELECT * FROM summary(100.00, '0001-02-20 BC', '0001-03-05 BC', 'month_fraction_even_months');
SELECT * FROM summary(100.00, '0001-12-25 BC', '0001-01-05', 'daily');

---------------------------------------------------------------------------
-- Bad input: an error with its own SQLSTATE, naming the argument.
SELECT c AS "case", try(q) AS result FROM (VALUES
    ('end before start',      $$SELECT revrec.schedule(1.00, '2025-02-01', '2025-01-31')$$),
    ('null amount',           $$SELECT revrec.schedule(NULL, '2025-01-01', '2025-01-31')$$),
    ('null service_start',    $$SELECT revrec.schedule(1.00, NULL, '2025-01-31')$$),
    ('null service_end',      $$SELECT revrec.schedule(1.00, '2025-01-01', NULL)$$),
    ('null strategy',         $$SELECT revrec.schedule(1.00, '2025-01-01', '2025-01-31', NULL)$$),
    ('null currency',         $$SELECT revrec.schedule(1.00, '2025-01-01', '2025-01-31', 'daily', NULL)$$),
    ('unknown strategy',      $$SELECT revrec.schedule(1.00, '2025-01-01', '2025-01-31', 'Daily')$$),
    ('empty strategy',        $$SELECT revrec.schedule(1.00, '2025-01-01', '2025-01-31', '')$$),
    ('unknown currency',      $$SELECT revrec.schedule(1.00, '2025-01-01', '2025-01-31', 'daily', 'XYZ')$$),
    ('lower-case currency',   $$SELECT revrec.schedule(1.00, '2025-01-01', '2025-01-31', 'daily', 'usd')$$),
    ('no-minor-unit code',    $$SELECT revrec.schedule(1.00, '2025-01-01', '2025-01-31', 'daily', 'XAU')$$),
    ('1.001 USD',             $$SELECT revrec.schedule(1.001, '2025-01-01', '2025-01-31')$$),
    ('1.5 JPY',               $$SELECT revrec.schedule(1.5, '2025-01-01', '2025-01-31', 'daily', 'JPY')$$),
    ('1.0001 BHD',            $$SELECT revrec.schedule(1.0001, '2025-01-01', '2025-01-31', 'daily', 'BHD')$$),
    ('0.00001 CLF',           $$SELECT revrec.schedule(0.00001, '2025-01-01', '2025-01-31', 'daily', 'CLF')$$),
    ('NaN',                   $$SELECT revrec.schedule('NaN', '2025-01-01', '2025-01-31')$$),
    ('Infinity amount',       $$SELECT revrec.schedule('Infinity', '2025-01-01', '2025-01-31')$$),
    ('-Infinity amount',      $$SELECT revrec.schedule('-Infinity', '2025-01-01', '2025-01-31')$$),
    ('infinity end',          $$SELECT revrec.schedule(1.00, '2025-01-01', 'infinity')$$),
    ('-infinity start',       $$SELECT revrec.schedule(1.00, '-infinity', '2025-01-31')$$),
    ('1e20 USD',              $$SELECT revrec.schedule(1e20, '2025-01-01', '2025-01-31')$$),
    ('2^63 minor units',      $$SELECT revrec.schedule(92233720368547758.08, '2025-01-01', '2025-01-31')$$),
    ('-2^63 minor units',     $$SELECT revrec.schedule(-92233720368547758.08, '2025-01-01', '2025-01-31')$$),
    ('365,251 days',          $$SELECT revrec.schedule(1.00, '2000-01-01', date '2000-01-01' + 365250)$$),
    ('whole date range',      $$SELECT revrec.schedule(1.00, '4713-11-24 BC', '5874897-12-31')$$),
    ('monthly: end < start',  $$SELECT revrec.monthly_schedule(1.00, '2025-02-01', '2025-01-31')$$),
    ('monthly: 1.5 JPY',      $$SELECT revrec.monthly_schedule(1.5, '2025-01-01', '2025-01-31', 'daily', 'JPY')$$),
    ('monthly: null end',     $$SELECT revrec.monthly_schedule(1.00, '2025-01-01', NULL)$$),
    ('monthly: bad strategy', $$SELECT revrec.monthly_schedule(1.00, '2025-01-01', '2025-01-31', 'straight_line')$$)
) v(c, q);
-- the same through psql's own error report (message, detail and hint)
\set VERBOSITY default
SELECT * FROM revrec.schedule(1.001, '2025-01-01', '2025-01-31');
SELECT * FROM revrec.schedule(1.00, '2025-02-01', '2025-01-31');
SELECT * FROM revrec.schedule(1.00, '2025-01-01', '2025-01-31', 'daily', 'XYZ');
\set VERBOSITY sqlstate
SELECT * FROM revrec.schedule(1.00, '2025-01-01', '2025-01-31', 'monthly');
\set VERBOSITY default

-- The functions are immutable, parallel safe and not strict (a NULL is an error, not an empty result).
SELECT proname, provolatile, proparallel, proisstrict, proretset
FROM pg_proc WHERE pronamespace = 'revrec'::regnamespace
  AND proname IN ('schedule', 'monthly_schedule') ORDER BY 1;

DROP TABLE strategies;
DROP FUNCTION summary(numeric, date, date, text, text);
DROP FUNCTION try(text);
