-- revrec_gen: a deterministic generator of a B2B SaaS company's billing
-- documents, shaped like revrec's document tables (same column names), so
-- they can be written out with COPY ... TO and loaded into revrec with COPY.
--
--   \i bench/gen/company.sql
--   SELECT * FROM revrec_gen.generate(seed => 42, lines => 100000);
--   -- then revrec_gen.customer, .product, .credit_grant, .billing_schedule_line,
--   --      .invoice, .invoice_line, .usage, .milestone hold the documents.
--
-- It needs nothing but PostgreSQL (no revrec, no Python).  Everything is
-- set-based SQL; 1,000,000 lines take a few tens of seconds.
--
-- Determinism: every random choice is a hash of (seed, customer, month, what
-- is being chosen) -- hashint8extended(), not random() -- so the output does
-- not depend on the order rows are produced in (parallel plans, hash joins)
-- and growing the company adds customers without changing the existing ones.
-- Money is generated as integers of minor units and divided by 10^exponent
-- as numeric, rounded to the currency's scale: no float anywhere.
--
-- The company (fixed "today", default 2026-10-31, and the 24 months up to it):
--   * customers across USD (most), EUR, GBP, JPY, BHD and KWD (3 decimals);
--     some existed before the window, the others start during it, some churn;
--   * plans: monthly subscriptions billed monthly in advance, annual
--     subscriptions billed yearly in advance (some with premium support),
--     and enterprise customers on monthly billing schedules (revenue earned
--     before the invoice, invoiced two months later via schedule_line_id,
--     sometimes for a slightly different amount: a true-up);
--   * seats billed monthly in arrears for the previous calendar month;
--   * a usage commitment per month with daily usage rows (weekdays, summing
--     to at most ~70% of the line amount), quarterly minimum-commitment
--     true-ups (kind minimum_true_up);
--   * a setup fee (point in time, some with a go-live recognize_on) and a
--     professional-services project with 3-5 milestones (completed_on set for
--     most milestones that are past, null for the rest) on the first invoice;
--   * product-level discounts (kind discount, group_id = the charge line) and
--     invoice-level discounts (kind invoice_discount, never on an invoice
--     with a milestone project, whose milestones must sum to the group net);
--   * prepaid credit packs: a grant (credit_grant) sold on an invoice line,
--     then drawn down by credit_usage lines netted into the subscription
--     line, within its effective/expiry dates and never over its balance.
--
-- Exactly `lines` invoice lines: customers 1..k are generated (k at least
-- lines/20, more if they do not have enough lines), and the newest `lines`
-- lines are kept: the oldest invoices fall out, and the oldest kept invoice
-- keeps a prefix of its lines (a charge always precedes its discounts and
-- drawdowns, so a prefix is always a valid invoice).

DROP SCHEMA IF EXISTS revrec_gen CASCADE;
CREATE SCHEMA revrec_gen;

-- ---------------------------------------------------------------------------
-- Output tables: same column names (and order) as revrec's document tables.
CREATE UNLOGGED TABLE revrec_gen.customer (
    customer_id text PRIMARY KEY,
    name        text NOT NULL
);
CREATE UNLOGGED TABLE revrec_gen.product (
    product_id         text PRIMARY KEY,
    name               text NOT NULL,
    recognition_method text NOT NULL,
    category           text
);
CREATE UNLOGGED TABLE revrec_gen.invoice (
    invoice_id      text PRIMARY KEY,
    invoice_number  text,
    customer_id     text NOT NULL,
    currency        text NOT NULL,
    accounting_date date NOT NULL,
    status          text NOT NULL
);
CREATE UNLOGGED TABLE revrec_gen.billing_schedule_line (
    schedule_line_id   text PRIMARY KEY,
    customer_id        text NOT NULL,
    product_id         text NOT NULL,
    currency           text NOT NULL,
    amount             numeric NOT NULL,
    service_start      date NOT NULL,
    service_end        date NOT NULL,
    recognition_method text
);
CREATE UNLOGGED TABLE revrec_gen.credit_grant (
    grant_id       text PRIMARY KEY,
    customer_id    text NOT NULL,
    currency       text NOT NULL,
    amount         numeric NOT NULL,
    effective_date date NOT NULL,
    expires_on     date
);
CREATE UNLOGGED TABLE revrec_gen.invoice_line (
    line_id            text PRIMARY KEY,
    invoice_id         text NOT NULL,
    customer_id        text,
    product_id         text,
    amount             numeric NOT NULL,
    kind               text NOT NULL,
    group_id           text,
    billing            text NOT NULL,
    service_start      date,
    service_end        date,
    recognition_method text,
    recognize_on       date,
    schedule_line_id   text,
    grant_id           text,
    ssp                numeric,
    description        text
);
CREATE UNLOGGED TABLE revrec_gen.usage (
    line_id     text NOT NULL,
    customer_id text,
    usage_date  date NOT NULL,
    amount      numeric NOT NULL
);
CREATE UNLOGGED TABLE revrec_gen.milestone (
    milestone_id text PRIMARY KEY,
    line_id      text NOT NULL,
    customer_id  text,
    name         text NOT NULL,
    amount       numeric NOT NULL,
    completed_on date
);

-- ---------------------------------------------------------------------------
-- Helpers.

-- r(seed, key, n): a deterministic pseudo-random integer in [0, n).
CREATE FUNCTION revrec_gen.r(seed int, k bigint, n bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ((hashint8extended(k, seed) % n) + n) % n $$;

-- key(customer, month, tag): distinct keys for distinct choices.
CREATE FUNCTION revrec_gen.k(c bigint, m int, tag int) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (c * 64 + m) * 256 + tag $$;

-- minor units -> numeric amount with exactly the currency's decimals
CREATE FUNCTION revrec_gen.amt(minor bigint, e int) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT round(minor::numeric / (10::numeric ^ e), e) $$;

-- Currencies: share of customers (percent), exponent, minor units per US
-- cent (as an exact ratio), and the unit list prices are rounded to.
CREATE TABLE revrec_gen.currency_mix (
    code text PRIMARY KEY, exponent int, lo int, hi int, per_cent_num bigint, per_cent_den bigint, unit bigint);
INSERT INTO revrec_gen.currency_mix VALUES
    ('USD', 2,  0, 70,   1,   1,   100),    -- 70%
    ('EUR', 2, 70, 82,  92, 100,   100),    -- 12%
    ('GBP', 2, 82, 91,  79, 100,   100),    --  9%
    ('JPY', 0, 91, 96,   3,   2,   100),    --  5%  (150 yen per dollar, prices in 100 yen)
    ('BHD', 3, 96, 98, 376, 100,  1000),    --  2%  (0.376 BHD per dollar, 1000 fils)
    ('KWD', 3, 98, 100, 307, 100, 1000);    --  2%

CREATE TABLE revrec_gen.words (kind text, i int, w text, PRIMARY KEY (kind, i));
INSERT INTO revrec_gen.words
SELECT 'a', o - 1, w FROM unnest('{Blue,Northern,Bright,Silver,Summit,Harbor,Granite,Rapid,Clear,Golden,Iron,Quiet,Red,Open,Prime,Cedar,Atlas,Nova,Vertex,Polar}'::text[]) WITH ORDINALITY u(w, o)
UNION ALL
SELECT 'b', o - 1, w FROM unnest('{Analytics,Logistics,Health,Robotics,Foods,Capital,Media,Energy,Retail,Systems,Labs,Networks,Studios,Freight,Pharma,Insurance,Software,Holdings,Telecom,Mobility}'::text[]) WITH ORDINALITY u(w, o)
UNION ALL
SELECT 'c', o - 1, w FROM unnest('{Ltd,Inc,GmbH,LLC,SA,plc,BV,KK,WLL,Co}'::text[]) WITH ORDINALITY u(w, o);

-- Working tables (rebuilt by generate()).
CREATE UNLOGGED TABLE revrec_gen.w_cust (
    c int PRIMARY KEY, customer_id text, name text, currency text, e int, unit bigint,
    per_cent_num bigint, per_cent_den bigint,
    s int, last_m int, plan text, anchor int, tier text, price bigint,
    disc_pct int, seats boolean, seat_price bigint, seats0 int,
    usage boolean, commit bigint, mincommit boolean,
    setup boolean, setup_fee bigint, golive boolean,
    ps boolean, ps_amount bigint, ps_n int,
    has_grant boolean, grant_amount bigint, support boolean);
CREATE UNLOGGED TABLE revrec_gen.w_line (
    c int, m int, slot int, inv_date date,
    line_id text, invoice_id text, customer_id text, currency text, e int,
    product_id text, amount bigint, kind text, group_id text, billing text,
    service_start date, service_end date, recognition_method text, recognize_on date,
    schedule_line_id text, grant_id text, description text);

-- ---------------------------------------------------------------------------
-- Customers lo+1 .. hi and all their candidate invoice lines.
CREATE FUNCTION revrec_gen._customers(seed int, lo int, hi int, today date)
    RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    w0 date := (date_trunc('month', today) - interval '23 months')::date;   -- month 0
    n  bigint;
BEGIN
    INSERT INTO revrec_gen.w_cust
    SELECT c, customer_id, name, cm.code, cm.exponent, cm.unit, cm.per_cent_num, cm.per_cent_den,
           s, last_m, plan, anchor,
           CASE WHEN usd < 500 THEN 'SUB-STARTER' WHEN usd < 2000 THEN 'SUB-GROWTH' ELSE 'SUB-ENTERPRISE' END,
           -- monthly list price, in whole units of the currency (100 yen)
           greatest(1, (usd * 100 * cm.per_cent_num / cm.per_cent_den) / cm.unit) * cm.unit,
           CASE WHEN revrec_gen.r(seed, revrec_gen.k(c, 63, 6), 100) < 25
                THEN (ARRAY[10, 15, 20])[1 + revrec_gen.r(seed, revrec_gen.k(c, 63, 7), 3)] ELSE 0 END,
           plan <> 'schedule' AND revrec_gen.r(seed, revrec_gen.k(c, 63, 8), 100) < 35,
           -- seat price: $15..$60 a month, in minor units (any value of the minor unit)
           (1500 + 100 * revrec_gen.r(seed, revrec_gen.k(c, 63, 9), 46)) * cm.per_cent_num / cm.per_cent_den,
           3 + revrec_gen.r(seed, revrec_gen.k(c, 63, 10), 40)::int,
           revrec_gen.r(seed, revrec_gen.k(c, 63, 11), 100) < 12,
           greatest(1, (usd * 40 * cm.per_cent_num / cm.per_cent_den) / cm.unit) * cm.unit,
           revrec_gen.r(seed, revrec_gen.k(c, 63, 12), 100) < 50,
           revrec_gen.r(seed, revrec_gen.k(c, 63, 13), 100) < 60,
           greatest(1, (usd * 150 * cm.per_cent_num / cm.per_cent_den) / cm.unit) * cm.unit,
           revrec_gen.r(seed, revrec_gen.k(c, 63, 14), 100) < 30,
           revrec_gen.r(seed, revrec_gen.k(c, 63, 15), 100) < 15,
           -- project: 5,000 .. 80,000 dollars, to the minor unit
           (500000 + 100 * revrec_gen.r(seed, revrec_gen.k(c, 63, 16), 75000)) * cm.per_cent_num / cm.per_cent_den,
           3 + revrec_gen.r(seed, revrec_gen.k(c, 63, 17), 3)::int,
           plan <> 'schedule' AND revrec_gen.r(seed, revrec_gen.k(c, 63, 18), 100) < 12,
           greatest(1, (usd * 300 * cm.per_cent_num / cm.per_cent_den) / cm.unit) * cm.unit,
           plan = 'annual' AND revrec_gen.r(seed, revrec_gen.k(c, 63, 19), 100) < 30
      FROM (SELECT c, format('C%s', lpad(c::text, 6, '0')) AS customer_id,
                   concat_ws(' ', wa.w, wb.w, wc.w) AS name,
                   revrec_gen.r(seed, revrec_gen.k(c, 63, 1), 100) AS cur_pick,
                   s, least(23, CASE WHEN revrec_gen.r(seed, revrec_gen.k(c, 63, 3), 100) < 12
                                     THEN s + 3 + revrec_gen.r(seed, revrec_gen.k(c, 63, 4), 24)::int
                                     ELSE 23 END) AS last_m,
                   CASE WHEN p < 30 THEN 'annual' WHEN p < 92 THEN 'monthly' ELSE 'schedule' END AS plan,
                   1 + revrec_gen.r(seed, revrec_gen.k(c, 63, 5), 28)::int AS anchor,
                   -- monthly list price in dollars: 100 .. 5,000, skewed low
                   (100 + revrec_gen.r(seed, revrec_gen.k(c, 63, 20), 70) * revrec_gen.r(seed, revrec_gen.k(c, 63, 20), 70)) AS usd
              FROM generate_series(lo + 1, hi) c,
                   LATERAL (SELECT CASE WHEN revrec_gen.r(seed, revrec_gen.k(c, 63, 2), 100) < 40 THEN 0
                                        ELSE 1 + revrec_gen.r(seed, revrec_gen.k(c, 63, 21), 23)::int END AS s,
                                   revrec_gen.r(seed, revrec_gen.k(c, 63, 22), 100) AS p) x,
                   LATERAL (SELECT w FROM revrec_gen.words WHERE kind = 'a' AND i = revrec_gen.r(seed, revrec_gen.k(c, 63, 23), 20)) wa,
                   LATERAL (SELECT w FROM revrec_gen.words WHERE kind = 'b' AND i = revrec_gen.r(seed, revrec_gen.k(c, 63, 24), 20)) wb,
                   LATERAL (SELECT w FROM revrec_gen.words WHERE kind = 'c' AND i = revrec_gen.r(seed, revrec_gen.k(c, 63, 25), 10)) wc
           ) x
      JOIN revrec_gen.currency_mix cm ON x.cur_pick >= cm.lo AND x.cur_pick < cm.hi;

    -- one candidate invoice per customer and month (dated on the customer's
    -- anchor day), from its first month to two months after its last
    WITH inv AS (
        SELECT cu.*, m,
               (w0 + make_interval(months => m))::date AS ms,                       -- month start
               (w0 + make_interval(months => m + 1))::date - 1 AS me,               -- month end
               (w0 + make_interval(months => m))::date + cu.anchor - 1 AS d,        -- invoice date
               format('INV%s-%s', lpad(cu.c::text, 6, '0'),
                      to_char(w0 + make_interval(months => m), 'YYMM')) AS iid
          FROM revrec_gen.w_cust cu, generate_series(cu.s, least(23, cu.last_m + 2)) m
         WHERE cu.c > lo AND cu.c <= hi),
    sub AS (   -- the subscription charge of the invoice, if any (slot 1)
        SELECT inv.*,
               CASE WHEN plan = 'monthly' AND m <= last_m THEN price
                    WHEN plan = 'annual' AND m <= last_m AND (m - s) % 12 = 0 THEN price * 108 / 10 / unit * unit
               END AS sub_amount,
               CASE WHEN plan = 'monthly' THEN (d + interval '1 month')::date - 1
                    ELSE (d + interval '1 year')::date - 1 END AS sub_end
          FROM inv),
    draws AS (  -- prepaid credit drawdowns: 25% of each subscription charge while the grant runs, capped
        SELECT sub.c, sub.m,
               least(sum(want) OVER w, grant_amount) - least(coalesce(sum(want) OVER w, 0) - want, grant_amount) AS draw
          FROM (SELECT sub.*, sub.sub_amount * (100 - disc_pct) / 100 / 4 AS want,
                       first_value(d) OVER (PARTITION BY c ORDER BY m) AS g_from
                  FROM sub WHERE has_grant) sub
         WHERE sub.sub_amount IS NOT NULL AND sub.m > sub.s
           AND sub.d <= (sub.g_from + interval '1 year')::date - 1
        WINDOW w AS (PARTITION BY sub.c ORDER BY sub.m)),
    lines AS (
        -- 1 subscription
        SELECT c, m, 1 AS slot, d, iid, tier AS product, sub_amount AS amount, 'charge' AS kind, NULL AS grp,
               'in_advance' AS billing, d AS ss, sub_end AS se, NULL::text AS method, NULL::date AS recognize_on,
               NULL AS sched, NULL AS grant_id,
               CASE plan WHEN 'annual' THEN 'Annual subscription' ELSE 'Monthly subscription' END AS descr
          FROM sub WHERE sub_amount IS NOT NULL
        UNION ALL  -- 2 product-level discount on it
        SELECT c, m, 2, d, iid, tier, -(sub_amount * disc_pct / 100), 'discount', iid || '-1',
               'in_advance', d, sub_end, NULL, NULL, NULL, NULL, format('%s%% discount', disc_pct)
          FROM sub WHERE sub_amount IS NOT NULL AND disc_pct > 0
        UNION ALL  -- 3 seats, previous calendar month, in arrears
        SELECT c, m, 3, d, iid, 'SEATS',
               (seats0 + (m - s) / 2 + revrec_gen.r(seed, revrec_gen.k(c, m, 30), 6)) * seat_price,
               'charge', NULL, 'in_arrears',
               (ms - interval '1 month')::date, ms - 1, NULL, NULL, NULL, NULL, 'Seats used last month'
          FROM inv WHERE seats AND m > s AND m <= last_m + 1
        UNION ALL  -- 4 usage commitment for the calendar month, usage rows added later
        SELECT c, m, 4, d, iid, 'API-USAGE', commit, 'charge', NULL, 'in_advance', ms, me,
               NULL, NULL, NULL, NULL, 'API usage (monthly commitment)'
          FROM inv WHERE usage AND m <= last_m
        UNION ALL  -- 5 prepaid credit drawdown, netted into the subscription
        SELECT sub.c, sub.m, 5, d, iid, tier, -dr.draw, 'credit_usage', iid || '-1', 'in_advance', d, sub_end,
               NULL, NULL, NULL, format('G%s', lpad(sub.c::text, 6, '0')), 'Prepaid credits applied'
          FROM sub JOIN draws dr ON dr.c = sub.c AND dr.m = sub.m WHERE dr.draw > 0
        UNION ALL  -- 6 quarterly minimum-commitment true-up for the last quarter
        SELECT c, m, 6, d, iid, 'MIN-COMMIT',
               greatest(1, commit * 3 * (5 + revrec_gen.r(seed, revrec_gen.k(c, m, 31), 36)) / 100),
               'minimum_true_up', NULL, 'in_arrears', (ms - interval '3 months')::date, ms - 1,
               NULL, NULL, NULL, NULL, 'Minimum commitment true-up'
          FROM inv WHERE usage AND mincommit AND m > s AND (m - s) % 3 = 0 AND m <= last_m + 1
        UNION ALL  -- 7 setup fee on the first invoice
        SELECT c, m, 7, d, iid, 'SETUP', setup_fee, 'charge', NULL, 'in_advance', d, d, NULL,
               CASE WHEN golive THEN d + 14 + revrec_gen.r(seed, revrec_gen.k(c, m, 32), 32)::int END,
               NULL, NULL, 'Onboarding and setup'
          FROM inv WHERE setup AND m = s AND m <= last_m
        UNION ALL  -- 8 professional-services project (milestones added later)
        SELECT c, m, 8, d, iid, 'PS-PROJECT', ps_amount, 'charge', NULL, 'in_advance', d, d + 30 * ps_n,
               NULL, NULL, NULL, NULL, 'Implementation project'
          FROM inv WHERE ps AND m = s AND m <= last_m
        UNION ALL  -- 9 invoice of a billing schedule line, two months later
        SELECT c, m, 9, d, iid, 'SUB-ENTERPRISE',
               CASE WHEN revrec_gen.r(seed, revrec_gen.k(c, m, 33), 100) < 10
                    THEN price + (revrec_gen.r(seed, revrec_gen.k(c, m, 34), 11) - 5) * price / 100
                    ELSE price END,
               'charge', NULL, 'in_arrears', (ms - interval '2 months')::date, (ms - interval '1 month')::date - 1,
               NULL, NULL, format('BS%s-%s', lpad(c::text, 6, '0'), to_char(ms - interval '2 months', 'YYMM')),
               NULL, 'Scheduled billing'
          FROM inv WHERE plan = 'schedule' AND m - 2 >= s AND m - 2 <= last_m
        UNION ALL  -- 10 credit pack sale (the grant's own sale)
        SELECT c, m, 10, d, iid, 'CREDIT-PACK', grant_amount, 'charge', NULL, 'in_advance',
               d, (d + interval '1 year')::date - 1, NULL, NULL, NULL, NULL, 'Prepaid credit pack'
          FROM inv WHERE has_grant AND m = s AND m <= last_m
        UNION ALL  -- 11 premium support with an annual subscription
        SELECT c, m, 11, d, iid, 'SUPPORT', greatest(1, sub_amount / 5 / unit) * unit, 'charge', NULL, 'in_advance',
               d, sub_end, NULL, NULL, NULL, NULL, 'Premium support'
          FROM sub WHERE sub_amount IS NOT NULL AND support)
    INSERT INTO revrec_gen.w_line
    SELECT l.c, l.m, l.slot, l.d, l.iid || '-' || l.slot, l.iid, cu.customer_id, cu.currency, cu.e,
           l.product, l.amount, l.kind, l.grp, l.billing, l.ss, l.se, l.method, l.recognize_on,
           l.sched, l.grant_id, l.descr
      FROM lines l JOIN revrec_gen.w_cust cu ON cu.c = l.c
     WHERE l.amount <> 0;

    -- 12 invoice-level discount: 5% of the invoice's charges, on 8% of the
    -- invoices that have a subscription and no milestone project
    INSERT INTO revrec_gen.w_line
    SELECT c, m, 12, min(inv_date), invoice_id || '-12', invoice_id, min(customer_id), min(currency), min(e),
           NULL, -(sum(amount) FILTER (WHERE kind = 'charge') / 20), 'invoice_discount', NULL, 'in_advance',
           NULL, NULL, NULL, NULL, NULL, NULL, 'Loyalty discount'
      FROM revrec_gen.w_line
     WHERE c > lo AND c <= hi
     GROUP BY c, m, invoice_id
    HAVING bool_or(slot = 1) AND NOT bool_or(slot IN (8, 9))
       AND revrec_gen.r(seed, revrec_gen.k(c, m, 35), 100) < 8
       AND sum(amount) FILTER (WHERE kind = 'charge') / 20 > 0;

    SELECT count(*) INTO n FROM revrec_gen.w_line WHERE c > lo AND c <= hi;
    RETURN n;
END $$;

-- ---------------------------------------------------------------------------
-- generate(seed, lines): fill the output tables with exactly `lines` invoice lines.
CREATE FUNCTION revrec_gen.generate(seed int, lines int, today date DEFAULT '2026-10-31')
    RETURNS TABLE (what text, n_rows bigint)
    LANGUAGE plpgsql AS $$
DECLARE
    target int := greatest(5, lines / 20);   -- customers
    k      int := 0;
    total  bigint := 0;
    more   int;
    w0     date := (date_trunc('month', today) - interval '23 months')::date;
BEGIN
    IF lines < 1 THEN
        RAISE EXCEPTION 'lines must be positive';
    END IF;
    TRUNCATE revrec_gen.customer, revrec_gen.product, revrec_gen.invoice, revrec_gen.billing_schedule_line,
             revrec_gen.credit_grant, revrec_gen.invoice_line, revrec_gen.usage, revrec_gen.milestone,
             revrec_gen.w_cust, revrec_gen.w_line;

    -- enough customers for `lines` lines, and at least `target` of them
    more := target;
    LOOP
        total := total + revrec_gen._customers(seed, k, k + more, today);
        k := k + more;
        EXIT WHEN total >= lines;
        -- about 20 lines a customer; ask for a little more than needed
        more := greatest(5, ((lines - total) / 15)::int + 1);
    END LOOP;
    ANALYZE revrec_gen.w_line;

    -- the newest `lines` lines: oldest invoices fall out, the oldest kept one keeps a prefix
    INSERT INTO revrec_gen.invoice_line
    SELECT line_id, invoice_id, customer_id, product_id, revrec_gen.amt(amount, e), kind, group_id, billing,
           service_start, service_end, recognition_method, recognize_on, schedule_line_id, grant_id, NULL, description
      FROM (SELECT l.*, row_number() OVER (ORDER BY inv_date DESC, invoice_id DESC, slot) AS rn
              FROM revrec_gen.w_line l) x
     WHERE rn <= lines
     ORDER BY invoice_id, slot;

    INSERT INTO revrec_gen.customer
    SELECT customer_id, name FROM revrec_gen.w_cust ORDER BY c;

    INSERT INTO revrec_gen.product VALUES
        ('SUB-STARTER',    'Starter plan',                  'straight_line', 'subscription'),
        ('SUB-GROWTH',     'Growth plan',                   'straight_line', 'subscription'),
        ('SUB-ENTERPRISE', 'Enterprise plan',               'straight_line', 'subscription'),
        ('SEATS',          'Additional seats',              'straight_line', 'subscription'),
        ('SUPPORT',        'Premium support',               'straight_line', 'subscription'),
        ('API-USAGE',      'API calls',                     'usage',         'usage'),
        ('MIN-COMMIT',     'Minimum commitment true-up',    'point_in_time', 'usage'),
        ('SETUP',          'Onboarding and setup fee',      'point_in_time', 'services'),
        ('PS-PROJECT',     'Implementation project',        'milestone',     'services'),
        ('CREDIT-PACK',    'Prepaid credit pack',           'straight_line', 'credits');

    INSERT INTO revrec_gen.invoice
    SELECT invoice_id, format('INV-%s', to_char(row_number() OVER (ORDER BY d, invoice_id), 'FM00000000')),
           customer_id, currency, d, 'issued'
      FROM (SELECT l.invoice_id, min(l.customer_id) AS customer_id, min(w.currency) AS currency, min(w.inv_date) AS d
              FROM revrec_gen.invoice_line l JOIN revrec_gen.w_line w ON w.line_id = l.line_id
             GROUP BY l.invoice_id) i
     ORDER BY invoice_id;

    -- grants of the kept customers: effective on the first invoice date, for a year
    INSERT INTO revrec_gen.credit_grant
    SELECT format('G%s', lpad(cu.c::text, 6, '0')), cu.customer_id, cu.currency, revrec_gen.amt(cu.grant_amount, cu.e),
           g.d, (g.d + interval '1 year')::date - 1
      FROM revrec_gen.w_cust cu
      CROSS JOIN LATERAL (SELECT (w0 + make_interval(months => cu.s))::date + cu.anchor - 1 AS d) g
     WHERE cu.has_grant
     ORDER BY cu.c;

    -- billing schedules: one line per calendar month of an enterprise customer's term
    INSERT INTO revrec_gen.billing_schedule_line
    SELECT format('BS%s-%s', lpad(cu.c::text, 6, '0'), to_char(w0 + make_interval(months => m), 'YYMM')),
           cu.customer_id, 'SUB-ENTERPRISE', cu.currency, revrec_gen.amt(cu.price, cu.e),
           (w0 + make_interval(months => m))::date, (w0 + make_interval(months => m + 1))::date - 1, 'straight_line'
      FROM revrec_gen.w_cust cu, generate_series(cu.s, cu.last_m) m
     WHERE cu.plan = 'schedule'
     ORDER BY 1;

    -- usage: each weekday of the line's month up to today, 0..0.9/30 of the
    -- commitment a day, so the month's usage stays under 70% of the line
    INSERT INTO revrec_gen.usage
    SELECT w.line_id, w.customer_id, day,
           revrec_gen.amt(w.amount * revrec_gen.r(seed, revrec_gen.k(w.c, w.m, 40) * 32 + extract(day FROM day)::int, 900) / 27000, w.e)
      FROM revrec_gen.w_line w
      JOIN revrec_gen.invoice_line l ON l.line_id = w.line_id,
           generate_series(w.service_start, least(w.service_end, today), interval '1 day') g(ts),
           LATERAL (SELECT g.ts::date AS day) dd
     WHERE w.slot = 4 AND extract(isodow FROM day) < 6
       AND w.amount * revrec_gen.r(seed, revrec_gen.k(w.c, w.m, 40) * 32 + extract(day FROM day)::int, 900) / 27000 > 0
     ORDER BY w.line_id, day;

    -- milestones: equal parts (the last takes the remainder), planned every
    -- 30 days; a past milestone is completed (a few days late) unless it slipped
    INSERT INTO revrec_gen.milestone
    SELECT w.line_id || '-M' || j, w.line_id, w.customer_id,
           (ARRAY['Kick-off', 'Design sign-off', 'Integration', 'User acceptance', 'Go-live'])[j + 5 - n],
           revrec_gen.amt(CASE WHEN j < n THEN w.amount / n ELSE w.amount - (n - 1) * (w.amount / n) END, w.e),
           CASE WHEN planned + late <= today AND revrec_gen.r(seed, revrec_gen.k(w.c, w.m, 50 + j), 100) >= 15
                THEN planned + late END
      FROM revrec_gen.w_line w
      JOIN revrec_gen.invoice_line l ON l.line_id = w.line_id
      JOIN revrec_gen.w_cust cu ON cu.c = w.c,
           LATERAL (SELECT cu.ps_n AS n) nn,
           generate_series(1, nn.n) j,
           LATERAL (SELECT w.inv_date + 30 * j AS planned,
                           revrec_gen.r(seed, revrec_gen.k(w.c, w.m, 60 + j), 15)::int AS late) p
     WHERE w.slot = 8
     ORDER BY w.line_id, j;

    ANALYZE revrec_gen.customer, revrec_gen.invoice, revrec_gen.invoice_line, revrec_gen.usage,
            revrec_gen.milestone, revrec_gen.credit_grant, revrec_gen.billing_schedule_line;
    RETURN QUERY
    SELECT 'customers', count(*) FROM revrec_gen.customer
    UNION ALL SELECT 'products', count(*) FROM revrec_gen.product
    UNION ALL SELECT 'credit grants', count(*) FROM revrec_gen.credit_grant
    UNION ALL SELECT 'billing schedule lines', count(*) FROM revrec_gen.billing_schedule_line
    UNION ALL SELECT 'invoices', count(*) FROM revrec_gen.invoice
    UNION ALL SELECT 'invoice lines', count(*) FROM revrec_gen.invoice_line
    UNION ALL SELECT 'usage rows', count(*) FROM revrec_gen.usage
    UNION ALL SELECT 'milestones', count(*) FROM revrec_gen.milestone;
END $$;

-- Line mix, for the curious: SELECT * FROM revrec_gen.mix();
CREATE FUNCTION revrec_gen.mix() RETURNS TABLE (kind text, product_id text, currency text, lines bigint)
    LANGUAGE sql AS $$
    SELECT l.kind, l.product_id, i.currency, count(*)
      FROM revrec_gen.invoice_line l JOIN revrec_gen.invoice i USING (invoice_id)
     GROUP BY ROLLUP (l.kind, l.product_id, i.currency) ORDER BY 1, 2, 3 $$;
