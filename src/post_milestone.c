/*
 * post_milestone.c — milestones completed or un-completed after their
 * invoice posted (method `milestone`).
 *
 * A milestone's amount is recognized on the day it is marked complete (never
 * before the day it was last un-completed); un-completing it reverses that
 * on the day it happens (never before the day it was recognized); moving it
 * to another day moves its recognition.  A milestone changed several times in one
 * transaction moves from its first old date to its last new date (the
 * caller passes those).
 *
 * Once a credit note has re-priced the group (README "Credit notes"), its
 * open milestones share what the group has left deferred over all time, in
 * proportion to their amounts: completing one recognizes
 * round(left * amount / open amounts), the last one all that is left; its
 * completed milestones are then final (un-completing or moving one is
 * refused, RV014: what it recognized is no longer its amount).
 *
 * revrec._post_milestones(ids text[], old_dates date[], new_dates date[],
 *                         floor date, skip_invoices text[])
 */
#include "revrec.h"
#include "ledger.h"
#include "money.h"
#include "post_emit.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/numeric.h"

static const char *const milestone_query =
"SELECT i.customer_id, i.invoice_id, i.invoice_number, i.currency, i.accounting_date,"
"       coalesce(l.group_id, l.line_id) AS group_key, l.product_id, m.milestone_id, m.amount, q.old_date, q.new_date,"
"       (SELECT max(p.floor_date) FROM revrec.posting p WHERE p.customer_id = i.customer_id"
"           AND p.invoice_id = i.invoice_id AND p.line_id = coalesce(l.group_id, l.line_id)) AS group_floor,"
"       (SELECT date '2000-01-01' + max(p.entries[k])::integer FROM revrec.posting p, generate_subscripts(p.entries, 1) k"
"         WHERE p.customer_id = i.customer_id AND p.source = 'invoice' AND p.source_id = i.invoice_id"
"           AND p.reason = 'milestone' AND p.ref_id = m.milestone_id"
"           AND k % 3 = 1 AND p.entries[k + 1] = 3 AND p.entries[k + 2] > 0) AS last_undone"
"  FROM unnest($1, $2, $3) AS q(milestone_id, old_date, new_date)"
"  JOIN revrec.milestone m ON m.milestone_id = q.milestone_id"
"  JOIN revrec.invoice_line l ON l.line_id = m.line_id"
"  JOIN revrec.invoice i ON i.invoice_id = l.invoice_id"
" WHERE i.status = 'issued' AND q.old_date IS DISTINCT FROM q.new_date"
"   AND NOT (i.invoice_id = ANY (coalesce($4, '{}')))"
"   AND EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'"
"                  AND p.source_id = i.invoice_id AND p.reason = 'issue')"
" ORDER BY m.milestone_id";

/* the groups' lines, locked in order: completions of one group post one after the other */
static const char *const lock_query =
"SELECT 1 FROM revrec.invoice_line l"
" WHERE l.line_id IN (SELECT coalesce(l2.group_id, l2.line_id) FROM revrec.milestone m"
"                       JOIN revrec.invoice_line l2 ON l2.line_id = m.line_id WHERE m.milestone_id = ANY ($1))"
" ORDER BY l.line_id FOR NO KEY UPDATE OF l";

/*
 * The group's completed milestones and what it has left billed (its issue
 * postings less its credit notes', plus their voids'): completed milestones
 * recognize at most that, as usage does (post_usage.c).
 */
static const char *const limit_query =
"SELECT (SELECT coalesce(sum(m.amount), 0) FROM revrec.milestone m JOIN revrec.invoice_line l ON l.line_id = m.line_id"
"         WHERE l.invoice_id = $2 AND coalesce(l.group_id, l.line_id) = $3 AND m.completed_on IS NOT NULL) AS done,"
"       " RR_GROUP_BILLED_SQL " AS billed";

/*
 * A group's state for a change of one of its milestones: whether a credit
 * note has re-priced it, what it has left deferred over all time (what its
 * open milestones will recognize), and the amounts of its open milestones:
 * those open in the table and those completed in this call not posted yet
 * ($4, this one included).
 */
static const char *const group_state_query =
"SELECT EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = $1 AND p.invoice_id = $2 AND p.line_id = $3"
"                  AND p.source = 'credit_note') AS credited,"
"       -(SELECT coalesce(sum(revrec._account_sum(p.entries, 2::smallint)), 0) FROM revrec.posting p"
"          WHERE p.customer_id = $1 AND p.invoice_id = $2 AND p.line_id = $3"
"            AND ((p.source = 'invoice' AND p.source_id = $2) OR p.source = 'credit_note'))::bigint AS undated,"
"       (SELECT coalesce(sum(m.amount), 0) FROM revrec.milestone m JOIN revrec.invoice_line l ON l.line_id = m.line_id"
"         WHERE l.invoice_id = $2 AND coalesce(l.group_id, l.line_id) = $3"
"           AND (m.completed_on IS NULL OR m.milestone_id = ANY ($4))) AS open";

/* round(left * a / open), half away from zero; open <= a: all that is left */
static int64
share_of(int64 left, int64 a, int64 open)
{
	int128		num;
	int128		q;

	if (open <= a || open <= 0)
		return left;
	num = (int128) left * a;
	q = num / open;
	if ((num % open) * 2 >= open)
		q++;
	else if ((num % open) * 2 <= -open)
		q--;
	return (int64) q;
}

static char *
minor_str(int64 v, int exponent)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(rr_minor_to_numeric(v, exponent))));
}

PG_FUNCTION_INFO_V1(revrec_post_milestones);
Datum
revrec_post_milestones(PG_FUNCTION_ARGS)
{
	Oid			types[4] = {TEXTARRAYOID, DATEARRAYOID, DATEARRAYOID, TEXTARRAYOID};
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	DateADT		today = GetSQLCurrentDate();
	RrPostingSink *sink;
	SPITupleTable *rows;
	uint64		i,
				nrows,
				posted = 0;
	int			k;

	for (k = 0; k < 3; k++)
		if (PG_ARGISNULL(k))
			PG_RETURN_INT64(0);
	for (k = 0; k < 3; k++)
		args[k] = PG_GETARG_DATUM(k);
	args[3] = PG_ARGISNULL(4) ? (Datum) 0 : PG_GETARG_DATUM(4);
	nulls[3] = PG_ARGISNULL(4) ? 'n' : ' ';

	SPI_connect();
	sink = rr_sink_begin();
	if (SPI_execute_with_args(lock_query, 1, types, args, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "revrec: locking the milestone groups failed");
	if (SPI_execute_with_args(milestone_query, 4, types, args, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "revrec: reading milestones failed");
	rows = SPI_tuptable;
	nrows = SPI_processed;
	for (i = 0; i < nrows; i++)
	{
		HeapTuple	t = rows->vals[i];
		TupleDesc	td = rows->tupdesc;
		RrPostingOut o;
		RrEntries	e = {0, 0, NULL};
		bool		isnull,
					old_null,
					new_null;
		DateADT		T = DatumGetDateADT(SPI_getbinval(t, td, 5, &isnull));
		DateADT		old_date = DatumGetDateADT(SPI_getbinval(t, td, 10, &old_null));
		DateADT		new_date = DatumGetDateADT(SPI_getbinval(t, td, 11, &new_null));
		DateADT		d[2];
		int64		x[2];
		int			n = 0;
		int64		a;

		CHECK_FOR_INTERRUPTS();
		rr_out_for_group(&o, t, td, "milestone", !PG_ARGISNULL(3), PG_ARGISNULL(3) ? 0 : PG_GETARG_DATEADT(3));
		o.ref_id = SPI_getvalue(t, td, 8);
		{
			/* never floored before the group's own postings (a lock moved back) */
			DateADT		gf = DatumGetDateADT(SPI_getbinval(t, td, 12, &isnull));

			if (!isnull && (!o.has_floor || gf > o.floor_date))
			{
				o.has_floor = true;
				o.floor_date = gf;
			}
		}
		a = rr_numeric_to_minor(DatumGetNumeric(SPI_getbinval(t, td, 9, &isnull)),
								rr_currency_exponent(o.currency, "invoice.currency"), "milestone.amount");
		{
			/*
			 * The day it was last un-done: its recognition since is dated no
			 * earlier (un-done on day U, completed again as of an earlier day
			 * X, it would count twice from X to U).
			 */
			bool		lu_null;
			DateADT		lu = DatumGetDateADT(SPI_getbinval(t, td, 13, &lu_null));

			if (!lu_null && !old_null && lu > old_date)
				old_date = lu;	/* where its recognition actually is */
			if (!lu_null && !new_null && lu > new_date)
				new_date = lu;
		}
		{
			Oid			stypes[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID};
			Datum		sargs[4];
			Datum	   *pend = palloc(sizeof(Datum) * (nrows - i));
			int			npend = 0;
			uint64		j;
			bool		credited;

			/* the completions of this group still to post in this call, this one first */
			for (j = i; j < nrows; j++)
			{
				bool		jo,
							jn;

				(void) SPI_getbinval(rows->vals[j], td, 10, &jo);
				(void) SPI_getbinval(rows->vals[j], td, 11, &jn);
				if (jo && !jn && strcmp(SPI_getvalue(rows->vals[j], td, 2), o.invoice_id) == 0
					&& strcmp(SPI_getvalue(rows->vals[j], td, 6), o.line_id) == 0)
					pend[npend++] = CStringGetTextDatum(SPI_getvalue(rows->vals[j], td, 8));
			}
			sargs[0] = CStringGetTextDatum(o.customer_id);
			sargs[1] = CStringGetTextDatum(o.invoice_id);
			sargs[2] = CStringGetTextDatum(o.line_id);
			sargs[3] = PointerGetDatum(construct_array(pend, npend, TEXTOID, -1, false, TYPALIGN_INT));
			if (SPI_execute_with_args(group_state_query, 4, stypes, sargs, NULL, false, 0)
				!= SPI_OK_SELECT
				|| SPI_processed != 1)
				elog(ERROR, "revrec: reading the milestone group failed");
			credited = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			if (credited && !old_null)
				ereport(ERROR,
						(errcode(ERRCODE_RR_INVALID_DOCUMENT),
						 errmsg("milestone %s of invoice %s cannot be %s: a credit note has re-priced its group",
								o.ref_id, o.invoice_id, new_null ? "un-completed" : "moved to another day"),
						 errdetail("What it recognized on %s is no longer its amount, so its recognition is final.",
								   DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(old_date)))),
						 errhint("Correct the invoice with a credit note, or the ledger with a manual journal.")));
			if (credited)
			{
				int64		left = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
				int64		open = rr_numeric_to_minor(DatumGetNumeric(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull)),
													  rr_currency_exponent(o.currency, "invoice.currency"), "milestone.amount");

				a = share_of(Max(left, 0), a, open);
				d[n] = new_date;
				x[n++] = a;
				rr_recognition_delta(&e, T, n, d, x);
				o.nentries = e.n / 3;
				o.entries = e.v;
				if (o.nentries > 0)
				{
					rr_sink_put(sink, &o);
					/* the next completion of the group reads what this one left */
					posted += rr_sink_flush(sink);
				}
				continue;
			}
		}
		if (!old_null)
		{
			/*
			 * Un-completed: un-done on the day it happens, never before it was
			 * recognized.  Moved to another day: the recognition moves, off
			 * its old day (reversed later, the milestone would count twice
			 * from its new day to the reversal).
			 */
			d[n] = !new_null ? old_date : today > old_date ? today : old_date;
			x[n++] = -a;
		}
		if (!new_null)
		{
			d[n] = new_date;
			x[n++] = a;
		}
		if (!new_null)
		{
			Oid			ltypes[3] = {TEXTOID, TEXTOID, TEXTOID};
			Datum		largs[3] = {CStringGetTextDatum(o.customer_id), CStringGetTextDatum(o.invoice_id),
			CStringGetTextDatum(o.line_id)};
			int			exponent = rr_currency_exponent(o.currency, "invoice.currency");
			int64		done,
						billed;

			if (SPI_execute_with_args(limit_query, 3, ltypes, largs, NULL, false, 0) != SPI_OK_SELECT
				|| SPI_processed != 1)
				elog(ERROR, "revrec: reading the milestone limit failed");
			done = rr_numeric_to_minor(DatumGetNumeric(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)),
									   exponent, "milestone.amount");
			billed = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
			if (billed >= 0 && done > billed)
				ereport(ERROR,
						(errcode(ERRCODE_RR_INVALID_DOCUMENT),
						 errmsg("completed milestones of invoice %s group %s recognize %s, more than the %s it has left billed",
								o.invoice_id, o.line_id, minor_str(done, exponent), minor_str(billed, exponent)),
						 errhint("Completed milestones may add up to at most what their line bills, net of its discounts and credit notes.")));
		}
		rr_recognition_delta(&e, T, n, d, x);
		o.nentries = e.n / 3;
		o.entries = e.v;
		if (o.nentries > 0)
			rr_sink_put(sink, &o);
	}
	posted += rr_sink_flush(sink);
	SPI_finish();
	PG_RETURN_INT64((int64) posted);
}
