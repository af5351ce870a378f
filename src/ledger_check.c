/*
 * ledger_check.c — the BEFORE INSERT check of revrec.posting (balance per
 * date, first and last dates, the lock), and revrec._posting_balance, the same
 * balance rule for revrec.verify() over stored rows.
 */
#include "revrec.h"
#include "ledger.h"
#include "money.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

/* ---------- the BEFORE INSERT check of revrec.posting ---------- */

/*
 * Computes first_date/last_date from the posting itself, so they cannot lie,
 * checks that the explicit entries balance on every date, and refuses a
 * posting with any entry on or before the lock date (the floor a posting
 * carries must already lie after the lock).
 */
typedef struct CheckCache
{
	RrPostingCols cols;
	Datum	   *values;
	bool	   *nulls;
	int			attnums[2];		/* first_date, last_date */
	bool		lock_null;
	DateADT		lock;
} CheckCache;

static void
unbalanced(int64 date, int64 sum)
{
	ereport(ERROR,
			(errcode(ERRCODE_RR_UNBALANCED),
			 errmsg("posting does not balance on %s: debits minus credits = %lld minor units",
					DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum((DateADT) date))),
					(long long) sum)));
}

typedef struct DatedEntry
{
	int64		date;
	int			i;				/* position among the entries */
} DatedEntry;

static int
dated_entry_cmp(const void *x, const void *y)
{
	const DatedEntry *a = x,
			   *b = y;

	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

/*
 * Explicit entries must balance on each date; the first date (in entry
 * order) that does not is reported.  Few entries: compared pairwise; many (a
 * hand-written row): sorted by date, O(n log n).  Sums cannot overflow: the
 * row's debits and credits each fit in int64 (rr_posting_from_values).
 */
static bool
find_unbalanced(const RrPosting *p, int64 *date, int64 *net)
{
	int			i,
				j;

	if (p->nentries <= 16)
	{
		for (i = 0; i < p->nentries; i++)
		{
			int64		sum = 0;
			bool		seen = false;

			for (j = 0; j < i; j++)
				if (p->entries[3 * j] == p->entries[3 * i])
					seen = true;
			if (seen)
				continue;
			for (j = i; j < p->nentries; j++)
				if (p->entries[3 * j] == p->entries[3 * i])
					sum = rr_add_minor(sum, p->entries[3 * j + 2]);
			if (sum != 0)
			{
				*date = p->entries[3 * i];
				*net = sum;
				return true;
			}
		}
	}
	else
	{
		DatedEntry *e = palloc(sizeof(DatedEntry) * p->nentries);
		int			bad = -1;
		int64		bad_sum = 0;

		for (i = 0; i < p->nentries; i++)
		{
			e[i].date = p->entries[3 * i];
			e[i].i = i;
		}
		qsort(e, p->nentries, sizeof(DatedEntry), dated_entry_cmp);
		for (i = 0; i < p->nentries; i = j)
		{
			int64		sum = 0;

			CHECK_FOR_INTERRUPTS();
			for (j = i; j < p->nentries && e[j].date == e[i].date; j++)
				sum = rr_add_minor(sum, p->entries[3 * e[j].i + 2]);
			/* e[i] is the date's first entry */
			if (sum != 0 && (bad < 0 || e[i].i < e[bad].i))
			{
				bad = i;
				bad_sum = sum;
			}
		}
		if (bad >= 0)
		{
			*date = e[bad].date;
			*net = bad_sum;
		}
		pfree(e);
		return bad >= 0;
	}
	return false;
}

static void
check_balance(const RrPosting *p)
{
	int64		date,
				net;

	if (find_unbalanced(p, &date, &net))
		unbalanced(date, net);
}


PG_FUNCTION_INFO_V1(revrec_posting_check);
Datum
revrec_posting_check(PG_FUNCTION_ARGS)
{
	TriggerData *tg = (TriggerData *) fcinfo->context;
	TupleDesc	td;
	HeapTuple	tup;
	RrPosting	p;
	DateADT		first,
				last;
	CheckCache *cache;
	Datum		newvals[2];
	bool		newnulls[2] = {false, false};

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(tg->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(tg->tg_event) || !TRIGGER_FIRED_BY_INSERT(tg->tg_event))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
						errmsg("revrec._posting_check() must be a BEFORE INSERT row trigger")));
	td = tg->tg_relation->rd_att;
	tup = tg->tg_trigtuple;

	/*
	 * Once per statement (a trigger's fn_extra lives as long as the
	 * statement's executor state): column positions, and the lock date.  The
	 * lock query runs read-only, i.e. in the statement's own snapshot, so
	 * every row of the statement would read the same lock date anyway; a
	 * flush of 100,000 postings reads it once instead of 100,000 times.
	 */
	cache = (CheckCache *) fcinfo->flinfo->fn_extra;
	if (cache == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		cache = palloc0(sizeof(CheckCache));
		rr_posting_cols(td, &cache->cols);
		cache->values = palloc(sizeof(Datum) * td->natts);
		cache->nulls = palloc(sizeof(bool) * td->natts);
		cache->attnums[0] = SPI_fnumber(td, "first_date");
		cache->attnums[1] = SPI_fnumber(td, "last_date");
		MemoryContextSwitchTo(old);

		SPI_connect();
		if (SPI_execute("SELECT lock_date FROM revrec.settings", true, 2) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "revrec.settings must have exactly one row");
		cache->lock = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
													&cache->lock_null));
		SPI_finish();
		fcinfo->flinfo->fn_extra = cache;
	}
	heap_deform_tuple(tup, td, cache->values, cache->nulls);
	/* the one validation of a posting row: a stored posting is never malformed */
	rr_posting_from_values(cache->values, cache->nulls, &cache->cols, RR_POSTING_GIVEN, &p);
	check_balance(&p);

	if (!rr_posting_span(&p, &first, &last))
		ereport(ERROR, (errcode(ERRCODE_RR_INVALID_ARGUMENT),
						errmsg("posting has no entries")));

	/* the lock: nothing dated on or before settings.lock_date */
	if (!cache->lock_null && first <= cache->lock)
	{
		char	   *f = DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(first)));
		char	   *l = DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(cache->lock)));

		ereport(ERROR,
				(errcode(ERRCODE_RR_PERIOD_LOCKED),
				 errmsg("cannot post an entry dated %s: the period is locked through %s", f, l),
				 errhint("Date the entry after the lock date, or have an administrator move revrec.settings.lock_date.")));
	}

	newvals[0] = DateADTGetDatum(first);
	newvals[1] = DateADTGetDatum(last);
	tup = heap_modify_tuple_by_cols(tup, td, 2, cache->attnums, newvals, newnulls);
	return PointerGetDatum(tup);
}

/*
 * revrec._posting_balance(p revrec.posting, OUT unbalanced_on date, OUT net
 * bigint, OUT accounts smallint[]): what revrec.verify() checks of a stored
 * posting without expanding its days.  unbalanced_on is the first date whose
 * explicit entries do not net to zero (the BEFORE INSERT check's rule; the
 * spread schedule balances each day by construction) and net their sum, both
 * NULL when every date balances; accounts the distinct accounts it names,
 * in ascending order.
 */
PG_FUNCTION_INFO_V1(revrec_posting_balance);
Datum
revrec_posting_balance(PG_FUNCTION_ARGS)
{
	RrPosting	p;
	int64		date,
				net;
	TupleDesc	td;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	Datum	   *accts;
	int			nacct = 0;
	int			i,
				j;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	rr_posting_from_arg(fcinfo, 0, &p);
	if (find_unbalanced(&p, &date, &net))
	{
		values[0] = DateADTGetDatum((DateADT) date);
		values[1] = Int64GetDatum(net);
	}
	else
		nulls[0] = nulls[1] = true;

	accts = palloc(sizeof(Datum) * (p.nentries + 3));
	for (i = 0; i < p.nentries + 3; i++)
	{
		int16		a;

		CHECK_FOR_INTERRUPTS();
		if (i < p.nentries)
			a = (int16) p.entries[3 * i + 1];
		else if (!p.has_sched)
			break;
		else
			a = i == p.nentries ? p.before : i == p.nentries + 1 ? p.after : p.credit;
		/* kept in ascending order: insert a only if not there */
		for (j = 0; j < nacct && DatumGetInt16(accts[j]) < a; j++)
			;
		if (j < nacct && DatumGetInt16(accts[j]) == a)
			continue;
		memmove(&accts[j + 1], &accts[j], sizeof(Datum) * (nacct - j));
		accts[j] = Int16GetDatum(a);
		nacct++;
	}
	values[2] = PointerGetDatum(construct_array(accts, nacct, INT2OID, sizeof(int16), true, TYPALIGN_SHORT));

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("revrec._posting_balance must return a composite")));
	td = BlessTupleDesc(td);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}
