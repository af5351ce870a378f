-- Documents: what a billing system writes.  Every per-customer table
-- carries customer_id; on child rows revrec fills it from the parent.
CREATE TABLE revrec.customer (
    customer_id text PRIMARY KEY,
    name        text NOT NULL
);

CREATE TABLE revrec.product (
    product_id         text PRIMARY KEY,
    name               text NOT NULL,
    recognition_method text NOT NULL DEFAULT 'straight_line'
        CHECK (recognition_method IN ('straight_line', 'usage', 'point_in_time', 'milestone')),
    category           text,
    -- the straight-line strategy of this product's lines (NULL: settings.allocation_strategy)
    allocation_strategy text CONSTRAINT product_allocation_strategy_known CHECK (regexp_replace(allocation_strategy, '\+cumulative$', '') IN (
        'daily_rate_even_months', 'month_fraction_even_months', 'thirty_day_even_months', 'daily',
        'odoo_month', 'odoo_full_months', 'odoo_day', 'erpnext_days', 'erpnext_months'))
);

CREATE TABLE revrec.invoice (
    invoice_id      text PRIMARY KEY,
    invoice_number  text,
    customer_id     text NOT NULL,      -- references customer (checked per statement, 65_references.sql)
    currency        text NOT NULL,      -- references currency (idem)
    accounting_date date NOT NULL,
    status          text NOT NULL DEFAULT 'issued' CHECK (status IN ('draft', 'issued', 'void')),
    void_date       date,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, invoice_id)
);

CREATE TABLE revrec.billing_schedule_line (
    schedule_line_id   text PRIMARY KEY,
    customer_id        text NOT NULL REFERENCES revrec.customer,
    product_id         text NOT NULL REFERENCES revrec.product,
    currency           text NOT NULL REFERENCES revrec.currency,
    amount             numeric NOT NULL,
    service_start      date NOT NULL,
    service_end        date NOT NULL,
    recognition_method text CHECK (recognition_method IN ('straight_line', 'point_in_time')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    -- NULL: the product's, else settings.allocation_strategy
    allocation_strategy text CONSTRAINT billing_schedule_line_allocation_strategy_known CHECK (regexp_replace(allocation_strategy, '\+cumulative$', '') IN (
        'daily_rate_even_months', 'month_fraction_even_months', 'thirty_day_even_months', 'daily',
        'odoo_month', 'odoo_full_months', 'odoo_day', 'erpnext_days', 'erpnext_months')),
    UNIQUE (customer_id, schedule_line_id),
    CONSTRAINT billing_schedule_line_service_end_not_before_start CHECK (service_end >= service_start)
);

CREATE TABLE revrec.credit_grant (
    grant_id       text PRIMARY KEY,
    customer_id    text NOT NULL REFERENCES revrec.customer,
    currency       text NOT NULL REFERENCES revrec.currency,
    amount         numeric NOT NULL CONSTRAINT credit_grant_amount_positive CHECK (amount > 0),
    effective_date date NOT NULL,
    expires_on     date,
    UNIQUE (customer_id, grant_id),
    CONSTRAINT credit_grant_expires_not_before_effective CHECK (expires_on IS NULL OR expires_on >= effective_date)
);

CREATE TABLE revrec.invoice_line (
    line_id            text PRIMARY KEY,
    invoice_id         text NOT NULL,   -- references invoice (checked per statement)
    customer_id        text,
    product_id         text,            -- references product (idem)
    amount             numeric NOT NULL,
    kind               text NOT NULL DEFAULT 'charge'
        CHECK (kind IN ('charge', 'discount', 'invoice_discount', 'minimum_true_up', 'credit_usage')),
    group_id           text,
    billing            text NOT NULL DEFAULT 'in_advance' CHECK (billing IN ('in_advance', 'in_arrears')),
    service_start      date,
    service_end        date,
    recognition_method text CHECK (recognition_method IN ('straight_line', 'usage', 'point_in_time', 'milestone')),
    recognize_on       date,
    schedule_line_id   text REFERENCES revrec.billing_schedule_line,
    grant_id           text REFERENCES revrec.credit_grant,
    ssp                numeric CONSTRAINT invoice_line_ssp_not_negative CHECK (ssp IS NULL OR ssp >= 0),
    description        text,
    -- NULL: the product's, else settings.allocation_strategy (a group follows its primary line)
    allocation_strategy text CONSTRAINT invoice_line_allocation_strategy_known CHECK (regexp_replace(allocation_strategy, '\+cumulative$', '') IN (
        'daily_rate_even_months', 'month_fraction_even_months', 'thirty_day_even_months', 'daily',
        'odoo_month', 'odoo_full_months', 'odoo_day', 'erpnext_days', 'erpnext_months')),
    CONSTRAINT invoice_line_service_end_not_before_start
        CHECK (service_end IS NULL OR service_start IS NULL OR service_end >= service_start),
    CONSTRAINT invoice_line_discount_kinds_negative
        CHECK (kind NOT IN ('discount', 'invoice_discount', 'credit_usage') OR amount < 0),
    CONSTRAINT invoice_line_credit_usage_names_grant CHECK (kind <> 'credit_usage' OR grant_id IS NOT NULL)
);

CREATE INDEX invoice_line_invoice_id ON revrec.invoice_line (invoice_id);

CREATE INDEX invoice_line_grant ON revrec.invoice_line (grant_id) WHERE grant_id IS NOT NULL;

CREATE INDEX invoice_line_schedule ON revrec.invoice_line (schedule_line_id) WHERE schedule_line_id IS NOT NULL;

CREATE TABLE revrec.usage (
    usage_id    bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    line_id     text NOT NULL,          -- references invoice_line (checked per statement)
    customer_id text,
    usage_date  date NOT NULL,
    amount      numeric NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX usage_line ON revrec.usage (line_id);

CREATE TABLE revrec.milestone (
    milestone_id text PRIMARY KEY,
    line_id      text NOT NULL REFERENCES revrec.invoice_line,
    customer_id  text,
    name         text NOT NULL,
    amount       numeric NOT NULL,
    completed_on date
);

CREATE INDEX milestone_line ON revrec.milestone (line_id);

-- Documents waiting to be posted at the end of the transaction that wrote them.
-- Rows live only inside the transaction that wrote them (the flush deletes
-- them), so other sessions never see them and a crash loses nothing: the
-- table is unlogged and has no index, so queuing 100,000 lines is cheap;
-- the flush removes duplicates.
CREATE UNLOGGED TABLE revrec.pending (
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    customer_id text NOT NULL,
    doc_kind    text NOT NULL,
    doc_id      text NOT NULL,
    old_date    date,
    new_date    date
);

CREATE TABLE revrec.pending_flush (
    xid xid8 PRIMARY KEY
);

-- Credit notes.
CREATE TABLE revrec.credit_note (
    credit_note_id     text PRIMARY KEY,
    credit_note_number text,
    customer_id        text NOT NULL REFERENCES revrec.customer,
    invoice_id         text REFERENCES revrec.invoice,
    currency           text NOT NULL REFERENCES revrec.currency,
    credit_date        date NOT NULL,
    status             text NOT NULL DEFAULT 'issued' CHECK (status IN ('draft', 'issued', 'void')),
    void_date          date,
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, credit_note_id)
);

CREATE TABLE revrec.credit_note_line (
    credit_note_line_id text PRIMARY KEY,
    credit_note_id      text NOT NULL REFERENCES revrec.credit_note,
    customer_id         text,
    line_id             text REFERENCES revrec.invoice_line,
    product_id          text REFERENCES revrec.product,
    amount              numeric NOT NULL CONSTRAINT credit_note_line_amount_positive CHECK (amount > 0),
    description         text,
    CONSTRAINT credit_note_line_names_line_or_product CHECK (line_id IS NOT NULL OR product_id IS NOT NULL)
);

CREATE INDEX credit_note_line_note ON revrec.credit_note_line (credit_note_id);

CREATE INDEX credit_note_line_line ON revrec.credit_note_line (line_id) WHERE line_id IS NOT NULL;

-- Every document date is a real day: 'infinity' is no accounting date.
ALTER TABLE revrec.invoice ADD CONSTRAINT invoice_dates_finite
    CHECK (isfinite(accounting_date) AND (void_date IS NULL OR isfinite(void_date)));

ALTER TABLE revrec.invoice_line ADD CONSTRAINT invoice_line_dates_finite
    CHECK ((service_start IS NULL OR isfinite(service_start)) AND (service_end IS NULL OR isfinite(service_end))
           AND (recognize_on IS NULL OR isfinite(recognize_on)));

ALTER TABLE revrec.usage ADD CONSTRAINT usage_date_finite CHECK (isfinite(usage_date));

ALTER TABLE revrec.milestone ADD CONSTRAINT milestone_date_finite CHECK (completed_on IS NULL OR isfinite(completed_on));

ALTER TABLE revrec.credit_note ADD CONSTRAINT credit_note_dates_finite
    CHECK (isfinite(credit_date) AND (void_date IS NULL OR isfinite(void_date)));

ALTER TABLE revrec.credit_grant ADD CONSTRAINT credit_grant_dates_finite
    CHECK (isfinite(effective_date) AND (expires_on IS NULL OR isfinite(expires_on)));

ALTER TABLE revrec.billing_schedule_line ADD CONSTRAINT billing_schedule_dates_finite
    CHECK (isfinite(service_start) AND isfinite(service_end));

-- Identifiers: never empty, at most 200 characters (they are index keys:
-- a longer one would fail deep inside an index, at commit).
ALTER TABLE revrec.customer ADD CONSTRAINT customer_id_not_empty_max_200
    CHECK (customer_id <> '' AND length(customer_id) <= 200);
ALTER TABLE revrec.product ADD CONSTRAINT product_id_not_empty_max_200
    CHECK (product_id <> '' AND length(product_id) <= 200);
ALTER TABLE revrec.invoice ADD CONSTRAINT invoice_ids_not_empty_max_200
    CHECK (invoice_id <> '' AND length(invoice_id) <= 200
           AND (invoice_number IS NULL OR (invoice_number <> '' AND length(invoice_number) <= 200)));
ALTER TABLE revrec.invoice_line ADD CONSTRAINT invoice_line_ids_not_empty_max_200
    CHECK (line_id <> '' AND length(line_id) <= 200 AND (group_id IS NULL OR (group_id <> '' AND length(group_id) <= 200)));
ALTER TABLE revrec.milestone ADD CONSTRAINT milestone_id_not_empty_max_200
    CHECK (milestone_id <> '' AND length(milestone_id) <= 200);
ALTER TABLE revrec.credit_note ADD CONSTRAINT credit_note_ids_not_empty_max_200
    CHECK (credit_note_id <> '' AND length(credit_note_id) <= 200
           AND (credit_note_number IS NULL OR (credit_note_number <> '' AND length(credit_note_number) <= 200)));
ALTER TABLE revrec.credit_note_line ADD CONSTRAINT credit_note_line_id_not_empty_max_200
    CHECK (credit_note_line_id <> '' AND length(credit_note_line_id) <= 200);
ALTER TABLE revrec.credit_grant ADD CONSTRAINT credit_grant_id_not_empty_max_200
    CHECK (grant_id <> '' AND length(grant_id) <= 200);
ALTER TABLE revrec.billing_schedule_line ADD CONSTRAINT schedule_line_id_not_empty_max_200
    CHECK (schedule_line_id <> '' AND length(schedule_line_id) <= 200);

-- Document numbers are unique: a sync that retries a document under a new
-- id cannot post it twice.
CREATE UNIQUE INDEX invoice_number_unique ON revrec.invoice (invoice_number);
CREATE UNIQUE INDEX credit_note_number_unique ON revrec.credit_note (credit_note_number);
