-- 0.2: the subledger's trial balance at a date (new in 0.2, see
-- sql/revrec--0.1--0.2.sql).
CREATE OR REPLACE FUNCTION revrec.trial_balance(as_of date, currency text DEFAULT NULL)
    RETURNS TABLE (currency_code text, account text, name text, normal_balance text,
                   debits numeric, credits numeric, balance numeric)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT p.currency, a.code, a.name, a.normal_balance,
           sum(e.amount) FILTER (WHERE e.direction = 'debit'),
           sum(e.amount) FILTER (WHERE e.direction = 'credit'),
           sum(CASE WHEN e.direction = a.normal_balance THEN e.amount ELSE -e.amount END)
      FROM revrec.posting p
     CROSS JOIN LATERAL revrec._entries(p, NULL, trial_balance.as_of, true) e
      JOIN revrec.ledger_account a ON a.account_id = e.account_id
     WHERE p.first_date <= trial_balance.as_of
       AND (trial_balance.currency IS NULL OR p.currency = trial_balance.currency)
     GROUP BY 1, 2, 3, 4
     ORDER BY 1, 2;
END;

COMMENT ON FUNCTION revrec.trial_balance(date, text) IS
    'debits, credits and balance (in the account''s normal direction) of every ledger account at a date, per currency';
