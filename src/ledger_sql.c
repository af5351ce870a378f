/*
 * ledger_sql.c — small SQL-callable helpers over one posting or an array of
 * amounts: _posting_sum, _posting_stats (and rr_posting_stats, used by the
 * activity log), _recognition_delta, _negate_amounts, _account_sum.
 */
#include "revrec.h"
#include "ledger.h"
#include "money.h"
#include "schedule.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

/* ---------- reading arrays of amounts ---------- */

/*
 * A bigint[] argument of the small SQL helpers (_negate_amounts,
 * _account_sum, _recognition_delta): any shape is read flat, a NULL element
 * is an error.  Returns the elements in place when it can.
 */
static int64 *
int8_array(ArrayType *arr, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	int64	   *out;
	int			i;

	if (ARR_NDIM(arr) == 0)
	{
		*n = 0;
		return NULL;
	}
	if (ARR_ELEMTYPE(arr) != INT8OID)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("revrec: bigint[] expected")));
	if (!array_contains_nulls(arr) && ARR_NDIM(arr) == 1)
	{
		*n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
		return (int64 *) ARR_DATA_PTR(arr);
	}
	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, n);
	out = palloc(sizeof(int64) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							errmsg("revrec: null element in an array of amounts")));
		out[i] = DatumGetInt64(elems[i]);
	}
	return out;
}

/*
 * revrec._posting_sum(p revrec.posting, from_date date, to_date date) returns bigint
 * What a posting recognized over [from, to] before any floor shift: its
 * schedule days plus the credits to recognized among its explicit entries.
 */
PG_FUNCTION_INFO_V1(revrec_posting_sum);
Datum
revrec_posting_sum(PG_FUNCTION_ARGS)
{
	RrPosting	p;
	DateADT		from;
	DateADT		to;
	int64		sum = 0;
	int			i;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	from = PG_GETARG_DATEADT(1);
	to = PG_GETARG_DATEADT(2);
	rr_posting_from_arg(fcinfo, 0, &p);
	if (p.has_sched && p.credit == RR_ACCT_RECOGNIZED)
		sum = rr_sched_sum(&p, from, to);
	for (i = 0; i < p.nentries; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (p.entries[3 * i + 1] == RR_ACCT_RECOGNIZED && p.entries[3 * i] >= from && p.entries[3 * i] <= to)
			sum = rr_add_minor(sum, -p.entries[3 * i + 2]);
	}
	PG_RETURN_INT64(sum);
}

/* ---------- small SQL helpers ---------- */

typedef struct StatsState
{
	int64		count;
	int64		debits;
} StatsState;

static void
stats_cb(void *arg, const RrEntry *e)
{
	StatsState *st = (StatsState *) arg;

	st->count++;
	if (e->amount > 0)
		st->debits = rr_add_minor(st->debits, e->amount);
}

/*
 * Count and debits of the entries dated on or after lo of a posting whose
 * floor is before lo (or that has none), from month amounts without a day
 * loop: a schedule day with an amount is one debit and one credit.
 */
static void
stats_from(const RrPosting *p, DateADT lo, StatsState *st)
{
	int			i;
	DateADT		ms;

	for (i = 0; i < p->nentries; i++)
		if (p->entries[3 * i + 2] != 0 && (DateADT) p->entries[3 * i] >= lo)
		{
			CHECK_FOR_INTERRUPTS();
			st->count++;
			if (p->entries[3 * i + 2] > 0)
				st->debits = rr_add_minor(st->debits, p->entries[3 * i + 2]);
		}
	if (!p->has_sched)
		return;
	ms = rr_month_start(p->sstart);
	for (i = 0; i < p->nmonths; i++)
	{
		DateADT		next = rr_next_month_start(ms);
		DateADT		mlo = Max(Max(Max(ms, p->sstart), p->sfrom), lo);
		DateADT		mhi = Min(next - 1, p->send);

		CHECK_FOR_INTERRUPTS();
		if (mlo <= mhi)
		{
			RrSpread	sp;
			int64		sum;

			rr_spread_init(&sp, p->smonths[i], Max(ms, p->sstart), mhi, p->strategy);
			sum = rr_spread_sum(&sp, mlo, mhi);
			st->count += 2 * rr_spread_nonzero(&sp, mlo, mhi);
			st->debits = rr_add_minor(st->debits, sum < 0 ? -sum : sum);
		}
		ms = next;
	}
}

/* see ledger.h */
void
rr_posting_stats(const RrPosting *p, int64 *count, int64 *debits)
{
	StatsState	st = {0, 0};

	if (p->has_floor)
	{
		/* the floor day (catch-ups and its own entries) day by day, later days from month amounts */
		rr_posting_expand(p, p->floor, p->floor, false, stats_cb, &st);
		if (!DATE_IS_NOEND(p->floor))
			stats_from(p, p->floor + 1, &st);
	}
	else
		stats_from(p, DATEVAL_NOBEGIN, &st);
	*count = st.count;
	*debits = st.debits;
}

/*
 * revrec._posting_stats(p revrec.posting) returns table(entries bigint, debits bigint):
 * rr_posting_stats of one posting, for SQL (tests check the log against it).
 */
PG_FUNCTION_INFO_V1(revrec_posting_stats);
Datum
revrec_posting_stats(PG_FUNCTION_ARGS)
{
	RrPosting	p;
	int64		count,
				debits;
	TupleDesc	td;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	rr_posting_from_arg(fcinfo, 0, &p);
	rr_posting_stats(&p, &count, &debits);
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("revrec._posting_stats must return a composite")));
	td = BlessTupleDesc(td);
	values[0] = Int64GetDatum(count);
	values[1] = Int64GetDatum(debits);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

/*
 * revrec._recognition_delta(t date, dates date[], amounts bigint[]) returns bigint[]
 * Entries for recognition days added to an already posted group with
 * accounting date t (usage arriving, milestones completed or un-completed):
 * each day credits recognized from unbilled (before t) or deferred, and what
 * lands before t is reclassified deferred -> unbilled on t, as if it had been
 * known when the invoice posted.
 */
PG_FUNCTION_INFO_V1(revrec_recognition_delta);
Datum
revrec_recognition_delta(PG_FUNCTION_ARGS)
{
	DateADT		T;
	int			nd,
				na,
				i,
				k = 0;
	Datum	   *de;
	bool	   *dn;
	int64	   *x;
	int64		R = 0;
	Datum	   *out;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	T = PG_GETARG_DATEADT(0);
	if (!RR_DATE_FINITE(T))
		ereport(ERROR, (errcode(ERRCODE_RR_INVALID_ARGUMENT),
						errmsg("revrec._recognition_delta: the accounting date must be a finite date")));
	x = int8_array(PG_GETARG_ARRAYTYPE_P(2), &na);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), DATEOID, 4, true, TYPALIGN_INT, &de, &dn, &nd);
	if (nd != na)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("revrec._recognition_delta: %d dates but %d amounts", nd, na)));
	/* six values a day and six for the reclassification: sized in 64 bits */
	out = palloc(sizeof(Datum) * ((Size) 6 * nd + 6));
	for (i = 0; i < nd; i++)
	{
		DateADT		d = DatumGetDateADT(de[i]);

		CHECK_FOR_INTERRUPTS();
		if (dn[i] || !RR_DATE_FINITE(d))
			ereport(ERROR, (errcode(ERRCODE_RR_INVALID_ARGUMENT),
							errmsg("revrec._recognition_delta: recognition date %d is %s", i + 1,
								   dn[i] ? "null" : "not a finite date")));
		if (rr_check_minor(x[i]) == 0)
			continue;
		if (d < T)
			R = rr_add_minor(R, x[i]);
		out[k++] = Int64GetDatum(d);
		out[k++] = Int64GetDatum(d < T ? RR_ACCT_UNBILLED : RR_ACCT_DEFERRED);
		out[k++] = Int64GetDatum(x[i]);
		out[k++] = Int64GetDatum(d);
		out[k++] = Int64GetDatum(RR_ACCT_RECOGNIZED);
		out[k++] = Int64GetDatum(-x[i]);
	}
	if (R != 0)
	{
		out[k++] = Int64GetDatum(T);
		out[k++] = Int64GetDatum(RR_ACCT_DEFERRED);
		out[k++] = Int64GetDatum(R);
		out[k++] = Int64GetDatum(T);
		out[k++] = Int64GetDatum(RR_ACCT_UNBILLED);
		out[k++] = Int64GetDatum(-R);
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(out, k, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* revrec._negate_amounts(entries bigint[]): the same triples with amounts negated */
PG_FUNCTION_INFO_V1(revrec_negate_amounts);
Datum
revrec_negate_amounts(PG_FUNCTION_ARGS)
{
	int			n,
				i;
	int64	   *v;
	Datum	   *out;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	v = int8_array(PG_GETARG_ARRAYTYPE_P(0), &n);
	out = palloc(sizeof(Datum) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		out[i] = Int64GetDatum(i % 3 == 2 ? -rr_check_minor(v[i]) : v[i]);
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(out, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* revrec._account_sum(entries bigint[], account smallint): signed sum on one account */
PG_FUNCTION_INFO_V1(revrec_account_sum);
Datum
revrec_account_sum(PG_FUNCTION_ARGS)
{
	int			n,
				i;
	int64	   *v;
	int16		acct;
	int64		sum = 0;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	v = int8_array(PG_GETARG_ARRAYTYPE_P(0), &n);
	acct = PG_GETARG_INT16(1);
	for (i = 0; i + 2 < n; i += 3)
	{
		CHECK_FOR_INTERRUPTS();
		if (v[i + 1] == acct)
			sum = rr_add_minor(sum, v[i + 2]);
	}
	PG_RETURN_INT64(sum);
}
