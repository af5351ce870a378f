/*
 * reports.c — per-posting summaries for the month-end reports.
 *
 * The reports aggregate with plain SQL GROUP BY (so they can run across Citus
 * workers); what they need from each posting is computed here from month
 * amounts, never by expanding days.
 */
#include "revrec.h"
#include "ledger.h"
#include "reports.h"
#include "money.h"
#include "schedule.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"


static void
summary_cb(void *arg, const RrEntry *e)
{
	Summary    *s = (Summary *) arg;

	if (e->date <= s->as_of)
	{
		int			k = (e->account >= 1 && e->account <= 4) ? e->account : 0;

		s->acct[k] = rr_add_minor(s->acct[k], e->amount);
	}
	else if (e->account == RR_ACCT_RECOGNIZED)
	{
		if (e->date <= s->horizon)
			s->near = rr_add_minor(s->near, -e->amount);
		else
			s->far = rr_add_minor(s->far, -e->amount);
	}
	else if (e->account == RR_ACCT_DEFERRED)
		s->deferred_later = rr_add_minor(s->deferred_later, e->amount);
}

/*
 * Balances of p up to as_of, what it recognizes after as_of (up to the
 * horizon, and after it), and the deferred balance its entries leave at the
 * end: billed revenue that no entry recognizes (a milestone not completed
 * yet), summed over a group's postings.  Month totals are emitted on the first day of
 * their part of the range, so each side of as_of (and of the horizon) is
 * expanded separately: a month that as_of cuts in two must not count wholly
 * on one side.
 */
void
rr_summarize(const RrPosting *p, DateADT as_of, DateADT horizon, Summary *s)
{
	memset(s, 0, sizeof(*s));
	s->as_of = as_of;
	s->horizon = horizon;
	rr_posting_expand(p, DATEVAL_NOBEGIN, as_of, true, summary_cb, s);
	if (!DATE_IS_NOEND(as_of) && horizon > as_of && !DATE_IS_NOEND(horizon))
	{
		rr_posting_expand(p, as_of + 1, horizon, true, summary_cb, s);
		rr_posting_expand(p, horizon + 1, DATEVAL_NOEND, true, summary_cb, s);
	}
	else if (!DATE_IS_NOEND(as_of))
		rr_posting_expand(p, as_of + 1, DATEVAL_NOEND, true, summary_cb, s);
	s->undated = -rr_add_minor(s->acct[RR_ACCT_DEFERRED], s->deferred_later);
}

/*
 * revrec._posting_summary(p revrec.posting, as_of date, horizon date)
 *   returns (billed, deferred, recognized, unbilled, other, future_near, future_far, undated bigint)
 * Balances are signed (debit positive) over entries dated up to as_of; the
 * futures are recognized revenue (credit positive) after as_of; undated is
 * the deferred balance (credit positive) once every entry has run.
 */
PG_FUNCTION_INFO_V1(revrec_posting_summary);
Datum
revrec_posting_summary(PG_FUNCTION_ARGS)
{
	RrPosting	p;
	Summary		s;
	TupleDesc	td;
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	rr_posting_from_arg(fcinfo, 0, &p);
	rr_summarize(&p, PG_GETARG_DATEADT(1), PG_GETARG_DATEADT(2), &s);
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("revrec._posting_summary must return a composite")));
	td = BlessTupleDesc(td);
	values[0] = Int64GetDatum(s.acct[RR_ACCT_BILLED]);
	values[1] = Int64GetDatum(s.acct[RR_ACCT_DEFERRED]);
	values[2] = Int64GetDatum(s.acct[RR_ACCT_RECOGNIZED]);
	values[3] = Int64GetDatum(s.acct[RR_ACCT_UNBILLED]);
	values[4] = Int64GetDatum(s.acct[0]);
	values[5] = Int64GetDatum(s.near);
	values[6] = Int64GetDatum(s.far);
	values[7] = Int64GetDatum(s.undated);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

/*
 * Recognized revenue per month, in order of first entry.  A posting's months
 * are few and found by a linear search; a hand-made posting with entries in
 * many months gets a hash table once there are LINEAR_MONTHS of them.
 */
typedef struct MonthSums
{
	int			n;
	int			max;
	DateADT    *month;
	int64	   *amount;
	HTAB	   *index;			/* month -> position, once there are many */
} MonthSums;

#define LINEAR_MONTHS 64

typedef struct MonthIndexEntry
{
	DateADT		month;
	int			pos;
} MonthIndexEntry;

static void
month_index_add(MonthSums *m, int pos)
{
	MonthIndexEntry *e = hash_search(m->index, &m->month[pos], HASH_ENTER, NULL);

	e->pos = pos;
}

static int
month_find(const MonthSums *m, DateADT ms)
{
	int			i;

	if (m->n > 0 && m->month[m->n - 1] == ms)
		return m->n - 1;
	if (m->index)
	{
		MonthIndexEntry *e = hash_search(m->index, &ms, HASH_FIND, NULL);

		return e ? e->pos : -1;
	}
	for (i = 0; i < m->n; i++)
		if (m->month[i] == ms)
			return i;
	return -1;
}

static void
month_cb(void *arg, const RrEntry *e)
{
	MonthSums  *m = (MonthSums *) arg;
	DateADT		ms;
	int			i;

	if (e->account != RR_ACCT_RECOGNIZED)
		return;
	ms = rr_month_start(e->date);
	i = month_find(m, ms);
	if (i >= 0)
	{
		m->amount[i] = rr_add_minor(m->amount[i], -e->amount);
		return;
	}
	if (m->n == m->max)
	{
		m->max = m->max ? 2 * m->max : 16;
		m->month = m->month ? repalloc(m->month, sizeof(DateADT) * m->max) : palloc(sizeof(DateADT) * m->max);
		m->amount = m->amount ? repalloc(m->amount, sizeof(int64) * m->max) : palloc(sizeof(int64) * m->max);
	}
	m->month[m->n] = ms;
	m->amount[m->n] = -e->amount;
	m->n++;
	if (m->index)
		month_index_add(m, m->n - 1);
	else if (m->n > LINEAR_MONTHS)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(DateADT);
		ctl.entrysize = sizeof(MonthIndexEntry);
		ctl.hcxt = CurrentMemoryContext;
		m->index = hash_create("revrec months", 4 * LINEAR_MONTHS, &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		for (i = 0; i < m->n; i++)
			month_index_add(m, i);
	}
}

/*
 * revrec._recognition_by_month(p revrec.posting, from_date date, to_date date)
 *   returns table(month date, amount bigint)
 * Revenue recognized (credit positive, minor units) per calendar month.
 */
PG_FUNCTION_INFO_V1(revrec_recognition_by_month);
Datum
revrec_recognition_by_month(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RrPosting	p;
	MonthSums	m = {0, 0, NULL, NULL, NULL};
	int			i;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (PG_ARGISNULL(0))
		return (Datum) 0;		/* no posting, no revenue */
	rr_posting_from_arg(fcinfo, 0, &p);
	rr_posting_expand(&p, PG_ARGISNULL(1) ? DATEVAL_NOBEGIN : PG_GETARG_DATEADT(1),
					  PG_ARGISNULL(2) ? DATEVAL_NOEND : PG_GETARG_DATEADT(2), true, month_cb, &m);
	for (i = 0; i < m.n; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		CHECK_FOR_INTERRUPTS();
		if (m.amount[i] == 0)
			continue;
		values[0] = DateADTGetDatum(m.month[i]);
		values[1] = Int64GetDatum(m.amount[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
