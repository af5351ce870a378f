/*
 * ledger.h — compact ledger storage and its expansion into daily entries
 * (ledger.c), reading a row (posting_row.c), journal numbers and
 * revrec._entries (journal.c), the ledger's check (ledger_check.c) and the
 * small SQL helpers (ledger_sql.c).
 *
 * A posting (one row of revrec.posting) is an immutable fact holding
 *   - explicit entries: (date, account, signed amount) triples, debit > 0,
 *     credit < 0, balancing per date;
 *   - optionally one spread schedule: an amount over [start, end] by
 *     allocation strategy (or by explicit month amounts), recognized day by
 *     day as "debit <before> if day < split else <after>, credit <credit>";
 *   - a floor date: every entry dated before it is posted on it instead,
 *     summed per account into one catch-up entry (period locks, voids).
 * Days are expanded from it when read, so a year-long schedule costs one row.
 */
#ifndef REVREC_LEDGER_H
#define REVREC_LEDGER_H

#include "postgres.h"
#include "fmgr.h"
#include "access/tupdesc.h"
#include "utils/date.h"

#define RR_ACCT_BILLED		1
#define RR_ACCT_DEFERRED	2
#define RR_ACCT_RECOGNIZED	3
#define RR_ACCT_UNBILLED	4

typedef struct RrPosting
{
	bool		has_floor;
	DateADT		floor;
	int			nentries;		/* number of triples */
	int64	   *entries;		/* 3 * nentries: date, account, signed amount */
	bool		has_sched;
	DateADT		sstart;
	DateADT		send;
	int			nmonths;
	int64	   *smonths;		/* month amounts (computed or stored) */
	int			strategy;		/* code whose day spread applies (0 without one) */
	DateADT		split;
	int16		before;
	int16		after;
	int16		credit;
	DateADT		sfrom;			/* window: schedule days before it are not part of this posting */
} RrPosting;

/* One expanded entry.  catchup_from is set (>= 0 valid) on a floor catch-up. */
typedef struct RrEntry
{
	DateADT		date;
	int16		account;
	int64		amount;			/* signed: debit > 0, credit < 0 */
	bool		catchup;
	DateADT		catchup_from;
} RrEntry;

typedef void (*RrEntryFn) (void *arg, const RrEntry *e);

/*
 * Expand every entry dated in [from, to] (after the floor shift), calling fn.
 * by_month: the schedule's days are not expanded; fn gets each month's total
 * per account instead (dated inside the month), which sums to the same
 * monthly amounts per account and direction as the days would.
 */
extern void rr_posting_expand(const RrPosting *p, DateADT from, DateADT to, bool by_month,
							  RrEntryFn fn, void *arg);

/* Sum of the spread schedule's day amounts over [a, b]. */
extern int64 rr_sched_sum(const RrPosting *p, DateADT a, DateADT b);

/* First and last entry date after the floor shift; false when it posts nothing. */
extern bool rr_posting_span(const RrPosting *p, DateADT *first, DateADT *last);

/*
 * Column positions of a revrec.posting row (looked up by name, so the table
 * may gain columns), for callers that read postings themselves.
 */
typedef struct RrPostingCols
{
	int			floor_date,
				entries,
				sched_start,
				sched_end,
				sched_amount,
				sched_strategy,
				sched_months,
				sched_split,
				sched_before,
				sched_after,
				sched_credit,
				sched_from,
				source,
				source_id,
				product_id,
				currency;
} RrPostingCols;

extern void rr_posting_cols(TupleDesc td, RrPostingCols *c);

/*
 * Where a posting row comes from: it decides the SQLSTATE of a malformed row.
 * A row read back from revrec.posting passed the BEFORE INSERT check, so a
 * malformed one is corruption (XX001); a row given as an argument, or about
 * to be inserted, is the caller's mistake (22023).
 */
typedef enum RrPostingOrigin
{
	RR_POSTING_STORED,			/* read from revrec.posting */
	RR_POSTING_GIVEN			/* a function argument, or a row being inserted */
} RrPostingOrigin;

/*
 * Deform-free reading of a revrec.posting row (values and nulls by column,
 * positions from rr_posting_cols) into p, treating every field as hostile:
 * ERROR "revrec.posting row is malformed: ..." unless the arrays are
 * one-dimensional without NULL elements, entries are (date, account, amount)
 * triples with valid finite dates and accounts in 1..32767, the schedule's
 * period is valid and its month amounts match it, its strategy code is known,
 * no amount is INT64_MIN, and the debits (and credits) of the explicit
 * entries plus the schedule's absolute month amounts fit in int64, so no sum
 * the ledger forms over one posting can overflow.  This is the one
 * validation: the BEFORE INSERT trigger of revrec.posting runs it too, so a
 * stored posting is never malformed.
 */
extern void rr_posting_from_values(const Datum *v, const bool *n, const RrPostingCols *c,
								   RrPostingOrigin origin, RrPosting *p);

/*
 * How many entries a posting expands to and the sum of its debits, without
 * materializing them (the activity log).
 */
extern void rr_posting_stats(const RrPosting *p, int64 *count, int64 *debits);

/*
 * Read the revrec.posting row passed as argument argno of fcinfo (validated as
 * above; the caller has checked PG_ARGISNULL(argno)).  The row's columns stay
 * readable in the returned cache (kept in fn_extra) until the next call.
 */
typedef struct RrPostingRow
{
	Oid			typid;
	int32		typmod;
	TupleDesc	td;
	RrPostingCols cols;
	Datum	   *values;
	bool	   *nulls;
} RrPostingRow;

extern const RrPostingRow *rr_posting_from_arg(FunctionCallInfo fcinfo, int argno, RrPosting *p);

/*
 * Date checks shared by the SQL entry points: a valid finite date
 * (PostgreSQL's range, 4713 BC to 5874897 AD), or that or +/-infinity.
 */
#define RR_DATE_FINITE(d)	IS_VALID_DATE(d)
#define RR_DATE_OK(d)		(IS_VALID_DATE(d) || DATE_NOT_FINITE(d))

/* "INV-<id>/<product>/<YYYY-MM>", ids with '/' or '%' percent-escaped. */
extern char *rr_journal_number(const char *source, const char *source_id,
							   const char *product_id, DateADT day);

#endif
