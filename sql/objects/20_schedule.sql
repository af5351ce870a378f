-- Schedule engine: pure, immutable C functions.
CREATE OR REPLACE FUNCTION revrec.schedule(
    amount numeric, service_start date, service_end date,
    strategy text DEFAULT 'daily_rate_even_months', currency text DEFAULT 'USD')
    RETURNS TABLE (day date, amount numeric)
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    ROWS 365
    AS 'MODULE_PATHNAME', 'revrec_schedule';

COMMENT ON FUNCTION revrec.schedule(numeric, date, date, text, text) IS
    'recognition schedule: one row per day of [service_start, service_end], summing exactly to amount';

CREATE OR REPLACE FUNCTION revrec.monthly_schedule(
    amount numeric, service_start date, service_end date,
    strategy text DEFAULT 'daily_rate_even_months', currency text DEFAULT 'USD')
    RETURNS TABLE (month date, amount numeric)
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    ROWS 12
    AS 'MODULE_PATHNAME', 'revrec_monthly_schedule';

COMMENT ON FUNCTION revrec.monthly_schedule(numeric, date, date, text, text) IS
    'recognition schedule by calendar month (month = first day of the month)';
