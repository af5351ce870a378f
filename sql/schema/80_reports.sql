CREATE TYPE revrec.journal_report_row AS (
    journal_number text, entry_date date, source text, source_id text, customer_id text, product_id text,
    invoice_id text, invoice_number text, credit_note_id text, line_id text, account text, direction text,
    amount numeric, currency text, method text, narrative text, journal_type text, recorded_at timestamptz,
    customer_name text, product_name text);

-- Deferred revenue ------------------------------------------------------------
CREATE TYPE revrec.deferred_revenue_row AS (
    customer_id text, product_id text, source text, source_id text, line_id text, method text,
    service_start date, service_end date, invoiced numeric, recognized numeric, balance numeric,
    remaining numeric, current_portion numeric, noncurrent_portion numeric, age_bucket text,
    currency text, deferred_since date);

-- Waterfall -------------------------------------------------------------------
CREATE TYPE revrec.waterfall_row AS (
    customer_id text, product_id text, booked numeric, recognized numeric, remaining numeric,
    month date, amount numeric, currency text);
