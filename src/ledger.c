/*
 * ledger.c — expansion of compact postings into daily (or monthly) entries,
 * journal numbers, and the BEFORE INSERT check of revrec.posting.
 *
 * See ledger.h for the shape of a posting.  Everything here is a pure
 * function of the posting row, which is what makes the ledger reproducible:
 * a report over rows recorded by a moment is the report as it stood then.
 */
#include "revrec.h"
#include "ledger.h"
#include "money.h"
#include "schedule.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/typcache.h"

/* ---------- schedule arithmetic over day ranges ---------- */

/* Sum of the schedule's day amounts over [a, b] (clipped to the period). */
int64
rr_sched_sum(const RrPosting *p, DateADT a, DateADT b)
{
	DateADT		ms;
	int			i;
	int64		sum = 0;

	a = Max(Max(a, p->sstart), p->sfrom);
	b = Min(b, p->send);
	if (a > b)
		return 0;
	ms = rr_month_start(p->sstart);
	for (i = 0; i < p->nmonths; i++)
	{
		DateADT		next = rr_next_month_start(ms);
		DateADT		lo = Max(ms, p->sstart);
		DateADT		hi = Min(next - 1, p->send);
		DateADT		x = Max(lo, a);
		DateADT		y = Min(hi, b);

		if (lo > b)
			break;
		if (x <= y)
		{
			if (x == lo && y == hi)
				sum += p->smonths[i];
			else
			{
				int64		nd = hi - lo + 1;
				int64		per = p->smonths[i] / nd;

				sum += per * (y - x + 1);
				if (y == hi)
					sum += p->smonths[i] - per * nd;
			}
		}
		ms = next;
	}
	return sum;
}

/* ---------- catch-up accumulation ---------- */

/*
 * Catch-up sums are kept per account, per direction and per origin (explicit
 * entries vs. the spread schedule), so that a catch-up shows the same gross
 * movements as the days it replaces: billed -> deferred and deferred ->
 * recognized stay two movements instead of netting into one.
 */
typedef struct AcctSum
{
	int16		account;
	bool		debit;
	bool		sched;
	int64		amount;
} AcctSum;

typedef struct CatchUp
{
	int			n;
	AcctSum		a[32];
	DateADT		from;			/* earliest original date caught up */
} CatchUp;

static void
catchup_add(CatchUp *c, int16 account, int64 amount, DateADT date, bool sched)
{
	int			i;
	bool		debit = amount > 0;

	if (amount == 0)
		return;
	if (date < c->from)
		c->from = date;
	for (i = 0; i < c->n; i++)
		if (c->a[i].account == account && c->a[i].debit == debit && c->a[i].sched == sched)
		{
			c->a[i].amount = rr_add_minor(c->a[i].amount, amount);
			return;
		}
	if (c->n >= (int) lengthof(c->a))
		elog(ERROR, "revrec: too many accounts in one posting");
	c->a[c->n].account = account;
	c->a[c->n].debit = debit;
	c->a[c->n].sched = sched;
	c->a[c->n].amount = amount;
	c->n++;
}

static void
emit(RrEntryFn fn, void *arg, DateADT d, int16 acct, int64 amount, bool catchup, DateADT cfrom)
{
	RrEntry		e;

	if (amount == 0)
		return;
	e.date = d;
	e.account = acct;
	e.amount = amount;
	e.catchup = catchup;
	e.catchup_from = cfrom;
	fn(arg, &e);
}

/* a schedule day: debit before/after by split, credit p->credit; negative swaps */
static inline void
emit_sched_day(const RrPosting *p, RrEntryFn fn, void *arg, DateADT d, int64 r)
{
	int16		debit = d < p->split ? p->before : p->after;

	if (r == 0)
		return;
	emit(fn, arg, d, debit, r, false, 0);
	emit(fn, arg, d, p->credit, -r, false, 0);
}

/* Sum of a month's day amounts over [x, y] (x <= y, inside the month). */
static inline int64
month_part_sum(int64 per, int64 lastamt, DateADT mhi, DateADT x, DateADT y)
{
	if (x > y)
		return 0;
	return per * (y - x + 1) + (y == mhi ? lastamt - per : 0);
}

bool
rr_posting_span(const RrPosting *p, DateADT *first, DateADT *last)
{
	bool		any = false;
	int			i;
	DateADT		lo = 0,
				hi = 0;

	for (i = 0; i < p->nentries; i++)
	{
		DateADT		d = (DateADT) p->entries[3 * i];

		if (p->entries[3 * i + 2] == 0)
			continue;
		if (!any || d < lo)
			lo = d;
		if (!any || d > hi)
			hi = d;
		any = true;
	}
	if (p->has_sched && Max(p->sstart, p->sfrom) <= p->send)
	{
		DateADT		s = Max(p->sstart, p->sfrom);

		if (!any || s < lo)
			lo = s;
		if (!any || p->send > hi)
			hi = p->send;
		any = true;
	}
	if (!any)
		return false;
	if (p->has_floor)
	{
		lo = Max(lo, p->floor);
		hi = Max(hi, p->floor);
	}
	*first = lo;
	*last = hi;
	return true;
}

void
rr_posting_expand(const RrPosting *p, DateADT from, DateADT to, bool by_month,
				  RrEntryFn fn, void *arg)
{
	DateADT		lo = from;
	int			i;

	if (p->has_floor)
	{
		/* entries before the floor become one catch-up entry per account on it */
		if (p->floor >= from && p->floor <= to)
		{
			CatchUp		c;

			c.n = 0;
			c.from = p->floor;
			for (i = 0; i < p->nentries; i++)
				if ((DateADT) p->entries[3 * i] < p->floor)
					catchup_add(&c, (int16) p->entries[3 * i + 1], p->entries[3 * i + 2],
								(DateADT) p->entries[3 * i], false);
			if (p->has_sched && Max(p->sstart, p->sfrom) < p->floor)
			{
				DateADT		s = Max(p->sstart, p->sfrom);
				/* split may be -infinity (INT32_MIN): no day is before it */
				int64		b = p->split > s ? rr_sched_sum(p, s, Min(p->floor, p->split) - 1) : 0;
				int64		a = rr_sched_sum(p, Max(s, p->split), p->floor - 1);

				catchup_add(&c, p->before, b, s, true);
				catchup_add(&c, p->after, a, Max(s, p->split), true);
				catchup_add(&c, p->credit, -(a + b), s, true);
			}
			for (i = 0; i < c.n; i++)
				emit(fn, arg, p->floor, c.a[i].account, c.a[i].amount, true, c.from);
		}
		lo = Max(from, p->floor);
	}

	for (i = 0; i < p->nentries; i++)
	{
		DateADT		d = (DateADT) p->entries[3 * i];

		if (d >= lo && d <= to)
			emit(fn, arg, d, (int16) p->entries[3 * i + 1], p->entries[3 * i + 2], false, 0);
	}

	if (p->has_sched)
	{
		DateADT		a = Max(Max(lo, p->sstart), p->sfrom);
		DateADT		b = Min(to, p->send);
		DateADT		ms = rr_month_start(p->sstart);

		for (i = 0; i < p->nmonths && a <= b; i++)
		{
			DateADT		next = rr_next_month_start(ms);
			DateADT		mlo = Max(ms, p->sstart);
			DateADT		mhi = Min(next - 1, p->send);

			if (mhi >= a)
			{
				int64		nd = mhi - mlo + 1;
				int64		per = p->smonths[i] / nd;
				int64		lastamt = p->smonths[i] - per * (nd - 1);
				DateADT		d;

				if (mlo > b)
					break;
				if (by_month)
				{
					/* month totals straight from the month amount: no day loop */
					DateADT		x = Max(mlo, a);
					DateADT		y = Min(mhi, b);
					int64		before = 0,
								after = 0;

					if (p->split > x)
						before = month_part_sum(per, lastamt, mhi, x, Min(y, p->split - 1));
					if (p->split <= y)
						after = month_part_sum(per, lastamt, mhi, Max(x, p->split), y);
					emit(fn, arg, x, p->before, before, false, 0);
					emit(fn, arg, x, p->after, after, false, 0);
					emit(fn, arg, x, p->credit, -(before + after), false, 0);
				}
				else
					for (d = Max(mlo, a); d <= Min(mhi, b); d++)
						emit_sched_day(p, fn, arg, d, d == mhi ? lastamt : per);
			}
			ms = next;
		}
	}
}

/* ---------- journal numbers ---------- */

static void
append_escaped(StringInfo buf, const char *s)
{
	for (; *s; s++)
	{
		if (*s == '/')
			appendStringInfoString(buf, "%2F");
		else if (*s == '%')
			appendStringInfoString(buf, "%25");
		else
			appendStringInfoChar(buf, *s);
	}
}

char *
rr_journal_number(const char *source, const char *source_id,
				  const char *product_id, DateADT day)
{
	StringInfoData buf;
	int			y,
				m,
				d;
	const char *prefix = "MJ";

	if (strcmp(source, "invoice") == 0)
		prefix = "INV";
	else if (strcmp(source, "credit_note") == 0)
		prefix = "CN";
	else if (strcmp(source, "billing_schedule") == 0)
		prefix = "BS";
	j2date(day + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	initStringInfo(&buf);
	appendStringInfo(&buf, "%s-", prefix);
	append_escaped(&buf, source_id);
	appendStringInfoChar(&buf, '/');
	if (product_id)
		append_escaped(&buf, product_id);
	appendStringInfo(&buf, "/%04d-%02d", y, m);
	return buf.data;
}

/* ---------- reading a posting from SQL arguments ---------- */

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
		elog(ERROR, "revrec: bigint[] expected");
	if (!array_contains_nulls(arr) && ARR_NDIM(arr) == 1)
	{
		*n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
		return (int64 *) ARR_DATA_PTR(arr);
	}
	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, n);
	out = palloc(sizeof(int64) * (*n));
	for (i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							errmsg("revrec: null element in a posting array")));
		out[i] = DatumGetInt64(elems[i]);
	}
	return out;
}

/*
 * A posting arrives as a whole revrec.posting row.  Column positions are
 * looked up by name once per call site and kept in fn_extra (or computed
 * from the relation in the trigger), so the table may gain columns.
 */

typedef struct PostingRowCache
{
	Oid			typid;
	int32		typmod;
	TupleDesc	td;
	RrPostingCols cols;
	Datum	   *values;
	bool	   *nulls;
} PostingRowCache;

static int
colnum(TupleDesc td, const char *name)
{
	int			i;

	for (i = 0; i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
			return i;
	}
	elog(ERROR, "revrec.posting has no column \"%s\"", name);
	return -1;
}

void
rr_posting_cols(TupleDesc td, RrPostingCols *c)
{
	c->floor_date = colnum(td, "floor_date");
	c->entries = colnum(td, "entries");
	c->sched_start = colnum(td, "sched_start");
	c->sched_end = colnum(td, "sched_end");
	c->sched_amount = colnum(td, "sched_amount");
	c->sched_strategy = colnum(td, "sched_strategy");
	c->sched_months = colnum(td, "sched_months");
	c->sched_split = colnum(td, "sched_split");
	c->sched_before = colnum(td, "sched_before");
	c->sched_after = colnum(td, "sched_after");
	c->sched_credit = colnum(td, "sched_credit");
	c->sched_from = colnum(td, "sched_from");
	c->source = colnum(td, "source");
	c->source_id = colnum(td, "source_id");
	c->product_id = colnum(td, "product_id");
	c->currency = colnum(td, "currency");
}

#define V(col) (v[c->col])
#define N(col) (n[c->col])

void
rr_posting_from_values(const Datum *v, const bool *n, const RrPostingCols *c, RrPosting *p)
{
	memset(p, 0, sizeof(*p));
	p->sfrom = DATEVAL_NOBEGIN;
	p->has_floor = !N(floor_date);
	p->floor = p->has_floor ? DatumGetDateADT(V(floor_date)) : 0;
	if (!N(entries))
	{
		int			cnt;

		p->entries = int8_array(DatumGetArrayTypeP(V(entries)), &cnt);
		if (cnt % 3 != 0)
			ereport(ERROR, (errcode(ERRCODE_RR_INVALID_ARGUMENT),
							errmsg("posting entries must be (date, account, amount) triples")));
		p->nentries = cnt / 3;
	}
	p->has_sched = !N(sched_start);
	if (p->has_sched)
	{
		if (N(sched_end) || N(sched_before) || N(sched_after) || N(sched_credit) ||
			(N(sched_months) && (N(sched_amount) || N(sched_strategy))))
			ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
							errmsg("a posting with sched_start needs sched_end, sched_before, sched_after, sched_credit and either sched_months or sched_amount and sched_strategy")));
		p->sstart = DatumGetDateADT(V(sched_start));
		p->send = DatumGetDateADT(V(sched_end));
		rr_check_period(p->sstart, p->send);
		p->nmonths = rr_month_count(p->sstart, p->send);
		if (!N(sched_months))
		{
			int			cnt;

			p->smonths = int8_array(DatumGetArrayTypeP(V(sched_months)), &cnt);
			if (cnt != p->nmonths)
				ereport(ERROR, (errcode(ERRCODE_RR_INVALID_ARGUMENT),
								errmsg("posting has %d month amounts for a period of %d months", cnt, p->nmonths)));
		}
		else
		{
			int16		strat = DatumGetInt16(V(sched_strategy));

			if (strat < 0 || strat > RR_DAILY)
				ereport(ERROR, (errcode(ERRCODE_RR_UNKNOWN_STRATEGY),
								errmsg("unknown allocation strategy code %d", strat)));
			p->smonths = palloc(sizeof(int64) * p->nmonths);
			rr_month_amounts(DatumGetInt64(V(sched_amount)), p->sstart, p->send,
							 (RrStrategy) strat, p->smonths);
		}
		p->split = N(sched_split) ? DATEVAL_NOBEGIN : DatumGetDateADT(V(sched_split));
		p->before = DatumGetInt16(V(sched_before));
		p->after = DatumGetInt16(V(sched_after));
		p->credit = DatumGetInt16(V(sched_credit));
		p->sfrom = N(sched_from) ? DATEVAL_NOBEGIN : DatumGetDateADT(V(sched_from));
	}
}

/* Deform the composite argument argno of fcinfo into a posting. */
static PostingRowCache *posting_from_arg(FunctionCallInfo fcinfo, int argno, RrPosting *p);

void
rr_posting_from_arg(FunctionCallInfo fcinfo, int argno, RrPosting *p)
{
	posting_from_arg(fcinfo, argno, p);
}

static PostingRowCache *
posting_from_arg(FunctionCallInfo fcinfo, int argno, RrPosting *p)
{
	HeapTupleHeader th = PG_GETARG_HEAPTUPLEHEADER(argno);
	Oid			typid = HeapTupleHeaderGetTypeId(th);
	int32		typmod = HeapTupleHeaderGetTypMod(th);
	PostingRowCache *cache = (PostingRowCache *) fcinfo->flinfo->fn_extra;
	HeapTupleData tuple;

	if (cache == NULL || cache->typid != typid || cache->typmod != typmod)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		TupleDesc	td = lookup_rowtype_tupdesc(typid, typmod);

		cache = palloc0(sizeof(PostingRowCache));
		cache->typid = typid;
		cache->typmod = typmod;
		cache->td = CreateTupleDescCopy(td);
		ReleaseTupleDesc(td);
		rr_posting_cols(cache->td, &cache->cols);
		cache->values = palloc(sizeof(Datum) * cache->td->natts);
		cache->nulls = palloc(sizeof(bool) * cache->td->natts);
		fcinfo->flinfo->fn_extra = cache;
		MemoryContextSwitchTo(old);
	}
	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&(tuple.t_self));
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	heap_deform_tuple(&tuple, cache->td, cache->values, cache->nulls);
	rr_posting_from_values(cache->values, cache->nulls, &cache->cols, p);
	return cache;
}

/* ---------- revrec._entries: daily entries of one posting ---------- */

typedef struct ExpandState
{
	ReturnSetInfo *rsinfo;
	const char *source;
	const char *source_id;
	const char *product_id;
	int			exponent;
	DateADT		jmonth;			/* month of the cached journal number */
	Datum		jnumber;
	Datum		debit;
	Datum		credit;
	bool		monthly;
	DateADT		to;
	/* monthly buckets */
	int			nb;
	int			maxb;
	struct Bucket
	{
		DateADT		month;
		int16		account;
		bool		is_debit;
		int64		amount;
		bool		catchup;
		DateADT		catchup_from;
	}		   *b;
} ExpandState;

static Datum
journal_number_datum(ExpandState *st, DateADT day)
{
	DateADT		ms = rr_month_start(day);

	if (ms != st->jmonth || st->jnumber == (Datum) 0)
	{
		st->jmonth = ms;
		st->jnumber = CStringGetTextDatum(rr_journal_number(st->source, st->source_id,
															 st->product_id, day));
	}
	return st->jnumber;
}

static void
put_row(ExpandState *st, DateADT d, int16 account, bool is_debit, int64 amount,
		bool catchup, DateADT cfrom)
{
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};

	values[0] = journal_number_datum(st, d);
	values[1] = DateADTGetDatum(d);
	values[2] = Int16GetDatum(account);
	values[3] = is_debit ? st->debit : st->credit;
	values[4] = NumericGetDatum(rr_minor_to_numeric(amount, st->exponent));
	if (catchup)
		values[5] = DateADTGetDatum(cfrom);
	else
		nulls[5] = true;
	tuplestore_putvalues(st->rsinfo->setResult, st->rsinfo->setDesc, values, nulls);
}

static void
expand_cb(void *arg, const RrEntry *e)
{
	ExpandState *st = (ExpandState *) arg;
	bool		is_debit = e->amount > 0;
	int64		amount = is_debit ? e->amount : -e->amount;

	if (!st->monthly)
	{
		put_row(st, e->date, e->account, is_debit, amount, e->catchup, e->catchup_from);
		return;
	}
	else
	{
		DateADT		ms = rr_month_start(e->date);
		int			i;

		for (i = st->nb - 1; i >= 0; i--)
		{
			struct Bucket *b = &st->b[i];

			if (b->month == ms && b->account == e->account && b->is_debit == is_debit)
			{
				b->amount = rr_add_minor(b->amount, amount);
				if (e->catchup && (!b->catchup || e->catchup_from < b->catchup_from))
				{
					b->catchup = true;
					b->catchup_from = e->catchup_from;
				}
				return;
			}
		}
		if (st->nb == st->maxb)
		{
			st->maxb = st->maxb ? st->maxb * 2 : 32;
			st->b = st->b ? repalloc(st->b, sizeof(struct Bucket) * st->maxb)
				: palloc(sizeof(struct Bucket) * st->maxb);
		}
		st->b[st->nb].month = ms;
		st->b[st->nb].account = e->account;
		st->b[st->nb].is_debit = is_debit;
		st->b[st->nb].amount = amount;
		st->b[st->nb].catchup = e->catchup;
		st->b[st->nb].catchup_from = e->catchup_from;
		st->nb++;
	}
}

/*
 * revrec._entries(p revrec.posting, from_date date, to_date date, monthly boolean)
 *   returns table(journal_number text, entry_date date, account_id smallint,
 *                 direction text, amount numeric, catchup_from date)
 */
PG_FUNCTION_INFO_V1(revrec_entries);
Datum
revrec_entries(PG_FUNCTION_ARGS)
{
	ExpandState st;
	RrPosting	p;
	DateADT		from,
				to;
	PostingRowCache *rc;
	const RrPostingCols *c;
	const Datum *v;
	const bool *n;

	memset(&st, 0, sizeof(st));
	st.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	if (PG_ARGISNULL(0))
		elog(ERROR, "revrec._entries: posting must not be null");
	rc = posting_from_arg(fcinfo, 0, &p);
	c = &rc->cols;
	v = rc->values;
	n = rc->nulls;
	st.source = TextDatumGetCString(V(source));
	st.source_id = TextDatumGetCString(V(source_id));
	st.product_id = N(product_id) ? NULL : TextDatumGetCString(V(product_id));
	st.exponent = rr_currency_exponent(TextDatumGetCString(V(currency)), "currency");
	from = PG_ARGISNULL(1) ? DATEVAL_NOBEGIN : PG_GETARG_DATEADT(1);
	to = PG_ARGISNULL(2) ? DATEVAL_NOEND : PG_GETARG_DATEADT(2);
	st.monthly = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
	st.to = to;
	st.debit = CStringGetTextDatum("debit");
	st.credit = CStringGetTextDatum("credit");

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	rr_posting_expand(&p, from, to, st.monthly, expand_cb, &st);

	if (st.monthly)
	{
		int			i;

		/* a month row is dated the last day of its month inside the range */
		for (i = 0; i < st.nb; i++)
		{
			struct Bucket *b = &st.b[i];
			DateADT		d = Min(rr_next_month_start(b->month) - 1, to);

			put_row(&st, d, b->account, b->is_debit, b->amount, b->catchup, b->catchup_from);
		}
	}
	return (Datum) 0;
}

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
	int			i,
				j;
	CheckCache *cache;
	Datum		newvals[2];
	bool		newnulls[2] = {false, false};

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(tg->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(tg->tg_event) || !TRIGGER_FIRED_BY_INSERT(tg->tg_event))
		elog(ERROR, "revrec_posting_check: must be a BEFORE INSERT row trigger");
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
	rr_posting_from_values(cache->values, cache->nulls, &cache->cols, &p);

	/* explicit entries must balance on each date */
	for (i = 0; i < p.nentries; i++)
	{
		int64		sum = 0;
		bool		seen = false;

		for (j = 0; j < i; j++)
			if (p.entries[3 * j] == p.entries[3 * i])
				seen = true;
		if (seen)
			continue;
		for (j = i; j < p.nentries; j++)
			if (p.entries[3 * j] == p.entries[3 * i])
				sum = rr_add_minor(sum, p.entries[3 * j + 2]);
		if (sum != 0)
			ereport(ERROR,
					(errcode(ERRCODE_RR_UNBALANCED),
					 errmsg("posting does not balance on %s: debits minus credits = %lld minor units",
							DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum((DateADT) p.entries[3 * i]))),
							(long long) sum)));
	}

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
 * revrec._posting_sum(p revrec.posting, from_date date, to_date date) returns bigint
 * What a posting recognized over [from, to] before any floor shift: its
 * schedule days plus the credits to recognized among its explicit entries.
 */
PG_FUNCTION_INFO_V1(revrec_posting_sum);
Datum
revrec_posting_sum(PG_FUNCTION_ARGS)
{
	RrPosting	p;
	DateADT		from = PG_GETARG_DATEADT(1);
	DateADT		to = PG_GETARG_DATEADT(2);
	int64		sum = 0;
	int			i;

	posting_from_arg(fcinfo, 0, &p);
	if (p.has_sched && p.credit == RR_ACCT_RECOGNIZED)
		sum = rr_sched_sum(&p, from, to);
	for (i = 0; i < p.nentries; i++)
		if (p.entries[3 * i + 1] == RR_ACCT_RECOGNIZED && p.entries[3 * i] >= from && p.entries[3 * i] <= to)
			sum = rr_add_minor(sum, -p.entries[3 * i + 2]);
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

		if (mlo <= mhi)
		{
			int64		nd = mhi - Max(ms, p->sstart) + 1;
			int64		per = p->smonths[i] / nd;
			int64		lastamt = p->smonths[i] - per * (nd - 1);
			int64		sum = month_part_sum(per, lastamt, mhi, mlo, mhi);

			st->count += 2 * ((per != 0 ? (int64) (mhi - mlo) : 0) + (lastamt != 0 ? 1 : 0));
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

	posting_from_arg(fcinfo, 0, &p);
	rr_posting_stats(&p, &count, &debits);
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "revrec._posting_stats must return a composite");
	td = BlessTupleDesc(td);
	values[0] = Int64GetDatum(count);
	values[1] = Int64GetDatum(debits);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

/* revrec._journal_number(source, source_id, product_id, day) */
PG_FUNCTION_INFO_V1(revrec_journal_number);
Datum
revrec_journal_number(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(rr_journal_number(text_to_cstring(PG_GETARG_TEXT_PP(0)),
													   text_to_cstring(PG_GETARG_TEXT_PP(1)),
													   PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)),
													   PG_GETARG_DATEADT(3))));
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
	DateADT		T = PG_GETARG_DATEADT(0);
	ArrayType  *da = PG_GETARG_ARRAYTYPE_P(1);
	int			nd,
				na,
				i,
				k = 0;
	Datum	   *de;
	bool	   *dn;
	int64	   *x = int8_array(PG_GETARG_ARRAYTYPE_P(2), &na);
	int64		R = 0;
	Datum	   *out;

	deconstruct_array(da, DATEOID, 4, true, TYPALIGN_INT, &de, &dn, &nd);
	if (nd != na)
		elog(ERROR, "revrec._recognition_delta: dates and amounts differ in length");
	out = palloc(sizeof(Datum) * (6 * nd + 6));
	for (i = 0; i < nd; i++)
	{
		DateADT		d = DatumGetDateADT(de[i]);

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
	int64	   *v = int8_array(PG_GETARG_ARRAYTYPE_P(0), &n);
	Datum	   *out = palloc(sizeof(Datum) * Max(n, 1));

	for (i = 0; i < n; i++)
		out[i] = Int64GetDatum(i % 3 == 2 ? -rr_check_minor(v[i]) : v[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* revrec._account_sum(entries bigint[], account smallint): signed sum on one account */
PG_FUNCTION_INFO_V1(revrec_account_sum);
Datum
revrec_account_sum(PG_FUNCTION_ARGS)
{
	int			n,
				i;
	int64	   *v = int8_array(PG_GETARG_ARRAYTYPE_P(0), &n);
	int16		acct = PG_GETARG_INT16(1);
	int64		sum = 0;

	for (i = 0; i + 2 < n; i += 3)
		if (v[i + 1] == acct)
			sum = rr_add_minor(sum, v[i + 2]);
	PG_RETURN_INT64(sum);
}
