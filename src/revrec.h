/*
 * revrec.h — project-wide definitions: version and revrec's own SQLSTATEs.
 *
 * Errors raised by revrec carry SQLSTATEs of class "RV" so that a billing
 * system can tell them apart from PostgreSQL's own errors; the README lists
 * them all.  Standard SQLSTATEs are used where PostgreSQL already has one
 * that fits exactly (foreign-key violations, privileges, ...).
 */
#ifndef REVREC_H
#define REVREC_H

#include "postgres.h"

/* the library's version: the Makefile passes EXTVERSION */
#ifndef REVREC_VERSION
#define REVREC_VERSION "unknown"
#endif

/*
 * Products of an amount and a weight (schedules, allocation) are exact in
 * PostgreSQL's own 128-bit integer, int128 (c.h); revrec is not built without it.
 */
#ifndef HAVE_INT128
#error "revrec needs a compiler with a 128-bit integer type (PostgreSQL's int128)"
#endif

#define ERRCODE_RR_UNKNOWN_CURRENCY		MAKE_SQLSTATE('R','V','0','0','1')
#define ERRCODE_RR_TOO_MANY_DECIMALS	MAKE_SQLSTATE('R','V','0','0','2')
#define ERRCODE_RR_AMOUNT_OUT_OF_RANGE	MAKE_SQLSTATE('R','V','0','0','3')
#define ERRCODE_RR_INVALID_PERIOD		MAKE_SQLSTATE('R','V','0','0','4')
#define ERRCODE_RR_UNKNOWN_STRATEGY		MAKE_SQLSTATE('R','V','0','0','5')
#define ERRCODE_RR_INVALID_ARGUMENT		MAKE_SQLSTATE('R','V','0','0','6')
#define ERRCODE_RR_UNBALANCED			MAKE_SQLSTATE('R','V','0','1','0')
#define ERRCODE_RR_PERIOD_LOCKED		MAKE_SQLSTATE('R','V','0','1','1')
#define ERRCODE_RR_LEDGER_IMMUTABLE		MAKE_SQLSTATE('R','V','0','1','2')
#define ERRCODE_RR_DOCUMENT_POSTED		MAKE_SQLSTATE('R','V','0','1','3')
#define ERRCODE_RR_INVALID_DOCUMENT		MAKE_SQLSTATE('R','V','0','1','4')
#define ERRCODE_RR_OVER_CREDIT			MAKE_SQLSTATE('R','V','0','2','0')
#define ERRCODE_RR_GRANT				MAKE_SQLSTATE('R','V','0','2','1')
#define ERRCODE_RR_RESTORE				MAKE_SQLSTATE('R','V','0','4','0')
#define ERRCODE_RR_CITUS				MAKE_SQLSTATE('R','V','0','6','0')

#endif
