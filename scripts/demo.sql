-- What the extension can already show (the sample company comes with the subledger).
\pset footer off
\echo
\echo revrec version:
SELECT revrec.version();
\echo
\echo 'A $1,080.00 annual subscription, 2024-07-01..2025-06-30, by month (SPEC example 1):'
SELECT month, amount FROM revrec.monthly_schedule(1080.00, '2024-07-01', '2025-06-30');
\echo 'February 2025 of the same schedule, by day:'
SELECT day, amount FROM revrec.schedule(1080.00, '2024-07-01', '2025-06-30') WHERE day >= '2025-02-01' AND day < '2025-03-01';
\echo 'EUR 3,600.00 over 2025-03-10..2025-06-09, each strategy:'
SELECT s.strategy, m.month, m.amount
FROM unnest(ARRAY['daily_rate_even_months','month_fraction_even_months','thirty_day_even_months','daily']) AS s(strategy),
     revrec.monthly_schedule(3600.00, '2025-03-10', '2025-06-09', s.strategy, 'EUR') AS m;
