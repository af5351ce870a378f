/*
 * export_worker.h — asynchronous GL exports in a dynamic background worker.
 *
 * revrec.export_async() inserts a job row and calls revrec._export_launch(),
 * which registers a dynamic background worker (no shared_preload_libraries
 * needed).  The worker connects to the same database, waits until the job
 * row is visible (the caller's transaction commits first), runs the export
 * as the role that asked for it through a WITH HOLD cursor, and writes the
 * CSV in committed batches so that revrec.export_job shows progress; the
 * file is renamed into place only on success.
 */
#ifndef REVREC_EXPORT_WORKER_H
#define REVREC_EXPORT_WORKER_H

#include "postgres.h"

/* Directory under the data directory that holds finished exports. */
#define RR_EXPORT_DIR "revrec_exports"

/* Seconds the worker waits for its job row to become visible. */
#define RR_EXPORT_WAIT_SECONDS 60

/* Rows written (and committed as progress) per batch. */
#define RR_EXPORT_BATCH 10000

extern PGDLLEXPORT void revrec_export_worker_main(Datum arg);

#endif
