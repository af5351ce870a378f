-- Asynchronous exports: revrec.export_async() returns a job id at
-- once; a dynamic background worker (src/export_worker.c) writes the file
-- under <PGDATA>/revrec_exports/<database oid>, revrec.export_job shows
-- progress, completion is announced with NOTIFY revrec_export, '<job id>',
-- and revrec.export_download(token) returns the file while its token is
-- valid.  Files of expired tokens are removed by the next worker (each one
-- cleans up when it starts and when it ends) or by revrec.export_cleanup().
CREATE TABLE revrec._export_job (
    job_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    format           text NOT NULL,
    arguments        jsonb NOT NULL,
    query            text NOT NULL,
    status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    rows_done        bigint NOT NULL DEFAULT 0,
    rows_total       bigint,
    error            text,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    started_at       timestamptz,
    finished_at      timestamptz,
    requested_by     text NOT NULL,
    worker_pid       integer,
    file_name        text,
    file_bytes       bigint,
    sha256           text,
    token            text UNIQUE,
    token_expires_at timestamptz,
    requested_by_session text NOT NULL DEFAULT session_user   -- the login role: the per-role cap counts by it
);

COMMENT ON TABLE revrec._export_job IS
    'export jobs; written only by revrec.export_async() and its background worker; read revrec.export_job';
