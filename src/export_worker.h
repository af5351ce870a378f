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

/*
 * Directory under the data directory that holds finished exports, one
 * subdirectory per database (its OID): job ids are per database.
 */
#define RR_EXPORT_DIR "revrec_exports"

/*
 * Default of revrec.export_wait: seconds a worker waits for the transaction
 * that started it to end (commit: the job runs; rollback: it is abandoned at
 * once).  A worker that gives up on a transaction still open is started again
 * by that transaction's commit.
 */
#define RR_EXPORT_WAIT_SECONDS 60

/*
 * Field 4 of the advisory lock tag (database, job id high, job id low, this)
 * that orders a worker's decision to give up against the commit of the
 * transaction that started it; SQL's advisory locks use 1 and 2.
 */
#define RR_EXPORT_LOCK_SPACE 0x5252

/* Rows written (and committed as progress) per batch. */
#define RR_EXPORT_BATCH 10000

extern int	revrec_export_wait;

extern void revrec_export_init(void);
extern PGDLLEXPORT void revrec_export_worker_main(Datum arg);

#endif
