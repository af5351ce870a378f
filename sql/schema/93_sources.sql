-- Sources: billing systems whose own tables revrec follows (README "Sources").
-- One row per attached kind of billing system.
CREATE TABLE revrec.source (
    kind          text PRIMARY KEY CONSTRAINT source_kind_known CHECK (kind IN ('stripe', 'killbill', 'lago')),
    source_schema text NOT NULL,
    options       jsonb NOT NULL DEFAULT '{}' CONSTRAINT source_options_object CHECK (jsonb_typeof(options) = 'object'),
    attached_at   timestamptz NOT NULL DEFAULT now(),
    attached_by   text NOT NULL DEFAULT session_user,
    synced_at     timestamptz
);

-- Source rows revrec refused: retried when the row changes, when revrec's
-- settings or the source's options change, and by sync_source().
CREATE TABLE revrec.source_error (
    source     text NOT NULL,
    document   text NOT NULL CHECK (document IN ('invoice', 'credit_note')),
    key        text NOT NULL,
    error      text NOT NULL,
    sqlstate   text NOT NULL,
    detail     text,
    hint       text,
    first_seen timestamptz NOT NULL DEFAULT now(),
    last_seen  timestamptz NOT NULL DEFAULT now(),
    attempts   integer NOT NULL DEFAULT 1,
    PRIMARY KEY (source, document, key)
);

-- What revrec last mapped of each source document (a digest of the source
-- row): an unchanged row delivered again is skipped without being read twice.
CREATE TABLE revrec._source_state (
    source    text NOT NULL,
    document  text NOT NULL,
    key       text NOT NULL,
    digest    text NOT NULL,
    mapped_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, document, key)
);

-- Which source wrote each revrec document (an invoice, the invoice of lines
-- added later <id>+<n>, a credit note): a source voids, adds to and credits
-- only its own documents, never those revrec_writer or another source wrote
-- under an id it knows.  Kept when the source is detached.
CREATE TABLE revrec._source_document (
    document text NOT NULL CHECK (document IN ('invoice', 'credit_note')),
    id       text NOT NULL,
    source   text NOT NULL,
    PRIMARY KEY (document, id)
);

-- Changes captured by the triggers on the source tables, mapped at the end
-- of the transaction that wrote them (or by sync_source()).
CREATE TABLE revrec._source_change (
    xid      xid8 NOT NULL DEFAULT pg_current_xact_id(),
    source   text NOT NULL,
    document text NOT NULL,
    key      text NOT NULL
);
CREATE INDEX _source_change_xid ON revrec._source_change (xid);

-- One row per transaction that captured a change: its deferred trigger maps
-- them at commit.
CREATE TABLE revrec._source_flush (
    xid xid8 PRIMARY KEY
);

SELECT pg_catalog.pg_extension_config_dump('revrec.source', '');
SELECT pg_catalog.pg_extension_config_dump('revrec.source_error', '');
SELECT pg_catalog.pg_extension_config_dump('revrec._source_state', '');
SELECT pg_catalog.pg_extension_config_dump('revrec._source_document', '');
SELECT pg_catalog.pg_extension_config_dump('revrec._source_change', '');
