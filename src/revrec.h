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

#define REVREC_VERSION "0.1"

#define ERRCODE_RR_UNKNOWN_CURRENCY		MAKE_SQLSTATE('R','V','0','0','1')
#define ERRCODE_RR_TOO_MANY_DECIMALS	MAKE_SQLSTATE('R','V','0','0','2')
#define ERRCODE_RR_AMOUNT_OUT_OF_RANGE	MAKE_SQLSTATE('R','V','0','0','3')
#define ERRCODE_RR_INVALID_PERIOD		MAKE_SQLSTATE('R','V','0','0','4')
#define ERRCODE_RR_UNKNOWN_STRATEGY		MAKE_SQLSTATE('R','V','0','0','5')
#define ERRCODE_RR_INVALID_ARGUMENT		MAKE_SQLSTATE('R','V','0','0','6')

#endif
