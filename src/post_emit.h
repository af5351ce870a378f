/*
 * post_emit.h — what every posting engine shares: the entry builder, the
 * usage limit, and the one way a revrec.posting row is written.
 *
 * Every posting engine (post_invoice.c, post_simple.c, ...) describes a
 * posting as an RrPostingOut and puts it into a sink; the sink fills a row
 * of revrec.posting by column NAME (positions are looked up in the table's
 * descriptor, so the table may gain or reorder columns) and, on
 * rr_sink_flush(), inserts every row put so far with one
 * INSERT INTO revrec.posting (...) SELECT ... FROM <the rows>, the rows
 * being handed to the executor as an ephemeral named relation.  Columns the
 * engines never set (posting_id, recorded_at, recorded_by, recorded_xid)
 * take their defaults; the ledger's BEFORE INSERT trigger checks each row.
 *
 * Call inside an SPI connection (SPI_connect .. SPI_finish).
 */
#ifndef REVREC_POST_EMIT_H
#define REVREC_POST_EMIT_H

#include "postgres.h"
#include "utils/date.h"
#include "access/htup.h"
#include "access/tupdesc.h"

typedef struct RrPostingOut
{
	/* NULL: SQL NULL (customer_id, source, source_id, currency, reason required) */
	const char *customer_id;
	const char *source;			/* invoice, billing_schedule, credit_note, standalone */
	const char *source_id;
	const char *invoice_id;
	const char *invoice_number;
	const char *credit_note_id;
	const char *line_id;
	const char *product_id;
	const char *currency;
	const char *method;
	const char *journal_type;	/* NULL: 'system' */
	const char *reason;
	const char *ref_id;
	const char *narrative;
	bool		has_floor;
	DateADT		floor_date;
	int			nentries;		/* triples (date, account, signed amount) */
	const int64 *entries;
	/* the spread schedule, when has_sched */
	bool		has_sched;
	DateADT		sched_start;
	DateADT		sched_end;
	bool		has_sched_amount;
	int64		sched_amount;
	int16		sched_strategy; /* < 0: NULL */
	int			nmonths;		/* 0: NULL (computed from the strategy when read) */
	const int64 *sched_months;
	bool		has_split;
	DateADT		sched_split;
	int16		sched_before;	/* 0: NULL */
	int16		sched_after;
	int16		sched_credit;
	bool		has_sched_from;
	DateADT		sched_from;
} RrPostingOut;

/*
 * Engines that post onto an invoice group already posted (usage, milestones)
 * read group rows whose first columns are: 1 customer_id, 2 invoice_id,
 * 3 invoice_number, 4 currency, 5 the accounting date, 6 the group's line_id,
 * 7 product_id.  rr_out_for_group fills those fields of o (o zeroed first),
 * source "invoice", method and reason (both `kind`), no strategy, and the
 * floor (has_floor: the caller's floor date).
 */
extern void rr_out_for_group(RrPostingOut *o, HeapTuple t, TupleDesc td, const char *kind,
							 bool has_floor, DateADT floor_date);

/*
 * SQL expression: what an invoice group has left billed ($1 customer_id,
 * $2 invoice_id, $3 the group's line_id): its issue postings less its credit
 * notes' (plus their voids').  Usage and completed milestones recognize at
 * most that.
 */
#define RR_GROUP_BILLED_SQL \
"(SELECT coalesce(sum(revrec._account_sum(p.entries, 1::smallint)), 0)::bigint FROM revrec.posting p" \
"  WHERE p.customer_id = $1 AND p.line_id = $3" \
"    AND ((p.source = 'invoice' AND p.source_id = $2 AND p.reason = 'issue')" \
"         OR (p.source = 'credit_note' AND p.invoice_id = $2)))"

/* ---------- the entry builder: (date, account, signed amount) triples ---------- */
typedef struct RrEntries
{
	int			n;				/* int64 values used (3 per entry) */
	int			max;
	int64	   *v;
} RrEntries;

/* Add one entry (debit > 0, credit < 0); a zero amount adds nothing. */
extern void rr_entry_add(RrEntries *e, DateADT d, int16 acct, int64 amount);

/*
 * The journal rule for a group of net amount A with accounting date T recognized on
 * explicit days (d[i], x[i]): on T debit billed A, credit unbilled what was
 * earned before T and deferred the rest; each day credit recognized,
 * debiting unbilled before T and deferred from T on.
 */
extern void rr_recognition_entries(RrEntries *e, DateADT T, int64 A, int n, const DateADT *d, const int64 *x);

/*
 * A change of an already-posted group's recognition (usage arriving,
 * milestones completed or un-completed): each day's recognition as above,
 * and what moved before T reclassified deferred -> unbilled on T.
 */
extern void rr_recognition_delta(RrEntries *e, DateADT T, int n, const DateADT *d, const int64 *x);

/*
 * The usage limit, for every path that posts usage: usage of a group may not
 * exceed (nor have the other sign of) the group's net amount A.  RV014.
 */
extern void rr_check_usage_limit(const char *invoice_id, const char *group_key, int64 used, int64 A, int exponent);

/*
 * Whether the documents have their allocation_strategy columns (revrec 0.3):
 * a database still on 0.1/0.2 SQL posts with this library, by the setting
 * alone.  The caller is connected to SPI.
 */
extern bool rr_has_strategy_columns(void);

/* ---------- the sink ---------- */
typedef struct RrPostingSink RrPostingSink;

/*
 * A stored posting (a row of SELECT p.* FROM revrec.posting p, read through
 * SPI) as an RrPostingOut, fields found by name, for engines that derive
 * new postings from posted ones (voids, re-pricing).  Strings and arrays are
 * palloc'd copies; *posting_id receives the row's id.
 */
extern void rr_posting_out_from_row(HeapTuple t, TupleDesc td, RrPostingOut *o, int64 *posting_id);

extern RrPostingSink *rr_sink_begin(void);
extern void rr_sink_put(RrPostingSink *s, const RrPostingOut *o);
/* Insert every row put since the last flush; returns how many. */
extern uint64 rr_sink_flush(RrPostingSink *s);

/* SPI_execute; a user-facing error is rethrown without revrec's SQL as context */
extern int rr_spi_execute_user_error(const char *sql, bool read_only);
extern int rr_spi_execute_args_user_error(const char *sql, int nargs, Oid *types, Datum *args, const char *nulls,
										  bool read_only);

#endif
