-- What a user would write without revrec: daily_rate_even_months
-- in plain SQL with generate_series and window functions, for a 2-decimal
-- currency, with the same interface as revrec.schedule:
--   a partial month gets round(A * d / N), the full months share the rest,
--   trunc(R / F) each and the remainder on the last full month (with no full
--   month the last month takes A less the first); a month amount a over its d
--   covered days is trunc(a / d) a day, the last covered day taking the rest.
-- numeric's round() is half away from zero and trunc() is toward zero, as
-- the rules give for both signs.  bench/schedule.sh checks that it returns
-- exactly what revrec.schedule returns.
CREATE SCHEMA IF NOT EXISTS bench;

CREATE FUNCTION bench.plain_schedule(a numeric, s date, e date)
RETURNS TABLE (day date, amount numeric)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
WITH days AS (
    SELECT g::date AS day, date_trunc('month', g)::date AS mon
    FROM generate_series(s::timestamp, e::timestamp, interval '1 day') g
), months AS (
    SELECT mon, count(*) AS d, max(day) AS last_day,
           (mon + interval '1 month')::date - mon AS dd
    FROM days GROUP BY mon
), m AS (
    SELECT months.*,
           sum(d) OVER () AS n,
           count(*) FILTER (WHERE d = dd) OVER () AS f,
           max(mon) FILTER (WHERE d = dd) OVER () AS last_full,
           max(mon) OVER () AS last_mon
    FROM months
), shares AS (
    SELECT m.*, CASE WHEN d < dd AND NOT (f = 0 AND mon = last_mon)
                     THEN round(a * d / n, 2) END AS share
    FROM m
), rest AS (
    SELECT shares.*, a - coalesce(sum(share) OVER (), 0) AS r FROM shares
), month_amounts AS (
    SELECT mon, d, last_day,
           CASE WHEN share IS NOT NULL THEN share
                WHEN f = 0 THEN r
                WHEN mon = last_full THEN r - (f - 1) * trunc(r / f, 2)
                ELSE trunc(r / f, 2) END AS ma
    FROM rest
)
SELECT days.day,
       CASE WHEN days.day = month_amounts.last_day
            THEN ma - (d - 1) * trunc(ma / d, 2)
            ELSE trunc(ma / d, 2) END
FROM days JOIN month_amounts USING (mon)
ORDER BY days.day
$$;

-- Wall-clock time of one query in the backend (no result transfer): the
-- query returns one number (the rows it counted).
CREATE FUNCTION bench.time_ms(q text, OUT ms float8, OUT n bigint) LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
BEGIN
    t0 := clock_timestamp();
    EXECUTE q INTO n;
    ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
END
$$;
