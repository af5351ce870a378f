-- The currencies revrec knows (contract: code, exponent).  It mirrors the
-- compiled-in table, which is what amounts are checked against.
CREATE TABLE revrec.currency (
    code     text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
    exponent smallint NOT NULL CHECK (exponent BETWEEN 0 AND 4),
    name     text NOT NULL
);
