-- The extension installs into schema revrec, reports its version, and
-- DROP EXTENSION removes every object it created.
SELECT revrec.version();
SELECT count(*) > 150 AS knows_iso_currencies FROM revrec.currency;
SELECT code, exponent FROM revrec.currency WHERE code IN ('USD','JPY','BHD','KWD','CLF','EUR','GBP','KRW','JOD','OMR','TND') ORDER BY code;
SELECT rolname FROM pg_roles WHERE rolname LIKE 'revrec\_%' ORDER BY 1;
DROP EXTENSION revrec;
SELECT count(*) AS objects_left FROM pg_namespace WHERE nspname = 'revrec';
SELECT count(*) AS functions_left FROM pg_proc WHERE proname IN ('schedule', 'monthly_schedule', 'version') AND pronamespace::regnamespace::text = 'revrec';
CREATE EXTENSION revrec;
SELECT revrec.version();
