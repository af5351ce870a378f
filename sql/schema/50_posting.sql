-- Activity log.
CREATE TABLE revrec.activity (
    activity_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    who         text NOT NULL DEFAULT session_user,
    action      text NOT NULL,
    source      text,
    document_id text,
    customer_id text,
    entries     bigint NOT NULL DEFAULT 0,
    amount      numeric,
    currency    text,
    detail      text
);
