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
#include "common/int.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
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

		CHECK_FOR_INTERRUPTS();

		if (lo > b)
			break;
		if (x <= y)
		{
			if (x == lo && y == hi)
				sum += p->smonths[i];
			else
			{
				RrSpread	sp;

				rr_spread_init(&sp, p->smonths[i], lo, hi, p->strategy);
				sum += rr_spread_sum(&sp, x, y);
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
 * recognized stay two movements instead of netting into one.  The movements
 * are collected, then summed per key by sorting (a hand-made posting can
 * have any number of accounts), and come out in the order each key was
 * first met.
 */
typedef struct CatchItem
{
	int16		account;
	bool		debit;
	bool		sched;
	int64		amount;
	int			order;			/* position of its key's first movement */
} CatchItem;

typedef struct CatchUp
{
	int			n;
	int			max;
	CatchItem  *a;
	CatchItem	inline_a[16];
	DateADT		from;			/* earliest original date caught up */
} CatchUp;

static void
catchup_add(CatchUp *c, int16 account, int64 amount, DateADT date, bool sched)
{
	CatchItem  *it;

	if (amount == 0)
		return;
	if (date < c->from)
		c->from = date;
	if (c->n == c->max)
	{
		CatchItem  *a = palloc(sizeof(CatchItem) * (size_t) c->max * 2);

		memcpy(a, c->a, sizeof(CatchItem) * c->n);
		if (c->a != c->inline_a)
			pfree(c->a);
		c->a = a;
		c->max *= 2;
	}
	it = &c->a[c->n];
	it->account = account;
	it->debit = amount > 0;
	it->sched = sched;
	it->amount = amount;
	it->order = c->n;
	c->n++;
}

static int
catch_key_cmp(const void *x, const void *y)
{
	const CatchItem *a = x,
			   *b = y;

	if (a->account != b->account)
		return a->account < b->account ? -1 : 1;
	if (a->debit != b->debit)
		return a->debit ? 1 : -1;
	if (a->sched != b->sched)
		return a->sched ? 1 : -1;
	return (a->order > b->order) - (a->order < b->order);
}

static int
catch_order_cmp(const void *x, const void *y)
{
	const CatchItem *a = x,
			   *b = y;

	return (a->order > b->order) - (a->order < b->order);
}

/* Sum the movements per key (O(n log n)); keys in order of first movement. */
static void
catchup_merge(CatchUp *c)
{
	int			i,
				k = 0;

	if (c->n < 2)
		return;
	qsort(c->a, c->n, sizeof(CatchItem), catch_key_cmp);
	for (i = 0; i < c->n; i++)
	{
		CatchItem  *it = &c->a[i];

		if (k > 0 && c->a[k - 1].account == it->account && c->a[k - 1].debit == it->debit &&
			c->a[k - 1].sched == it->sched)
			c->a[k - 1].amount = rr_add_minor(c->a[k - 1].amount, it->amount);
		else
			c->a[k++] = *it;
	}
	c->n = k;
	qsort(c->a, c->n, sizeof(CatchItem), catch_order_cmp);
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

		CHECK_FOR_INTERRUPTS();
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
			c.max = lengthof(c.inline_a);
			c.a = c.inline_a;
			c.from = p->floor;
			for (i = 0; i < p->nentries; i++)
			{
				CHECK_FOR_INTERRUPTS();
				if ((DateADT) p->entries[3 * i] < p->floor)
					catchup_add(&c, (int16) p->entries[3 * i + 1], p->entries[3 * i + 2],
								(DateADT) p->entries[3 * i], false);
			}
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
			catchup_merge(&c);
			for (i = 0; i < c.n; i++)
				emit(fn, arg, p->floor, c.a[i].account, c.a[i].amount, true, c.from);
		}
		lo = Max(from, p->floor);
	}

	for (i = 0; i < p->nentries; i++)
	{
		DateADT		d = (DateADT) p->entries[3 * i];

		CHECK_FOR_INTERRUPTS();
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

			CHECK_FOR_INTERRUPTS();
			if (mhi >= a)
			{
				RrSpread	sp;
				DateADT		d;

				if (mlo > b)
					break;
				rr_spread_init(&sp, p->smonths[i], mlo, mhi, p->strategy);
				if (by_month)
				{
					/* month totals straight from the month amount: no day loop */
					DateADT		x = Max(mlo, a);
					DateADT		y = Min(mhi, b);
					int64		before = 0,
								after = 0;

					if (p->split > x)
						before = rr_spread_sum(&sp, x, Min(y, p->split - 1));
					if (p->split <= y)
						after = rr_spread_sum(&sp, Max(x, p->split), y);
					emit(fn, arg, x, p->before, before, false, 0);
					emit(fn, arg, x, p->after, after, false, 0);
					emit(fn, arg, x, p->credit, -(before + after), false, 0);
				}
				else
					for (d = Max(mlo, a); d <= Min(mhi, b); d++)
					{
						CHECK_FOR_INTERRUPTS();
						emit_sched_day(p, fn, arg, d, rr_spread_sum(&sp, d, d));
					}
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

/* ---------- reading a posting: every field is hostile ---------- */

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
 * A posting reaches C as a whole revrec.posting row: read back from the
 * table, about to be inserted (the BEFORE INSERT trigger), or given to a SQL
 * function by any caller, who can build it by hand (ROW(...)::revrec.posting)
 * with any value in any field.  So rr_posting_from_values checks every field
 * before the ledger's arithmetic runs on it; see ledger.h for what it
 * guarantees.
 */
static void pg_attribute_noreturn()
malformed(RrPostingOrigin origin, const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(origin == RR_POSTING_STORED ? ERRCODE_DATA_CORRUPTED : ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("revrec.posting row is malformed: %s", what),
			 detail ? errdetail_internal("%s", detail) : 0,
			 origin == RR_POSTING_STORED
			 ? errhint("The row was stored while revrec's BEFORE INSERT check on revrec.posting was bypassed.")
			 : errhint("Postings are written by revrec itself; pass rows read from revrec.posting.")));
}

static char *
date_text(DateADT d)
{
	return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d)));
}

/* A date field: a valid finite date, or (infinite_ok) also +/-infinity. */
static DateADT
posting_date(Datum d, bool infinite_ok, const char *field, RrPostingOrigin origin)
{
	DateADT		v = DatumGetDateADT(d);

	if (infinite_ok ? !RR_DATE_OK(v) : !RR_DATE_FINITE(v))
		malformed(origin, psprintf("%s is %s", field, DATE_NOT_FINITE(v) ? date_text(v) : "out of range"),
				  psprintf("%s must be a finite date between 4713-11-24 BC and 5874897-12-31.", field));
	return v;
}

/* An account field: a ledger account id, 1..32767 (smallint, and ids start at 1). */
static int16
posting_account(int64 v, const char *field, RrPostingOrigin origin)
{
	if (v < 1 || v > PG_INT16_MAX)
		malformed(origin, psprintf("%s names account %lld", field, (long long) v),
				  "Ledger account ids are smallint values of 1 or more.");
	return (int16) v;
}

/* A bigint[] field: one-dimensional (or empty) without NULL elements; read in place. */
static int64 *
posting_array(Datum d, const char *field, RrPostingOrigin origin, int *n)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);

	if (ARR_ELEMTYPE(arr) != INT8OID)
		malformed(origin, psprintf("%s is not a bigint[]", field), NULL);
	if (ARR_NDIM(arr) == 0)
	{
		*n = 0;
		return NULL;
	}
	if (ARR_NDIM(arr) != 1)
		malformed(origin, psprintf("%s has %d dimensions", field, ARR_NDIM(arr)),
				  "Posting arrays are one-dimensional.");
	if (array_contains_nulls(arr))
		malformed(origin, psprintf("%s has a NULL element", field), NULL);
	*n = ArrayGetNItems(1, ARR_DIMS(arr));
	return (int64 *) ARR_DATA_PTR(arr);
}

/* Add a movement's magnitude to a running total of debits or credits. */
static void
posting_total(int64 *total, int64 magnitude, RrPostingOrigin origin)
{
	if (pg_add_s64_overflow(*total, magnitude, total))
		malformed(origin, "its amounts are too large",
				  psprintf("The debits (and the credits) of a posting, its schedule's month amounts counted in both, must sum to at most %lld minor units.",
						   (long long) PG_INT64_MAX));
}

/* A month amount or an entry amount: anything but INT64_MIN (whose negation overflows). */
static int64
posting_amount(int64 v, const char *field, RrPostingOrigin origin)
{
	if (v == PG_INT64_MIN)
		malformed(origin, psprintf("%s holds %lld", field, (long long) v),
				  "Amounts are int64 minor units other than -2^63.");
	return v;
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
	ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
					errmsg("revrec.posting has no column \"%s\"", name)));
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

/* see ledger.h */
void
rr_posting_from_values(const Datum *v, const bool *n, const RrPostingCols *c,
					   RrPostingOrigin origin, RrPosting *p)
{
	int64		debits = 0,
				credits = 0,
				sched_abs = 0;
	int			i;

	memset(p, 0, sizeof(*p));
	p->sfrom = DATEVAL_NOBEGIN;

	/* the text fields the C code reads (journal numbers, exponents) */
	if (N(source) || N(source_id) || N(currency))
		malformed(origin, "source, source_id and currency must not be null", NULL);
	{
		text	   *cur = DatumGetTextPP(V(currency));
		char		code[4];

		if (VARSIZE_ANY_EXHDR(cur) != 3)
			malformed(origin, "currency is not a three-letter code", NULL);
		memcpy(code, VARDATA_ANY(cur), 3);
		code[3] = '\0';
		if (rr_currency_exponent_or_neg(code) < 0)
			malformed(origin, psprintf("unknown currency \"%s\"", code),
					  "revrec knows the ISO 4217 currencies listed in revrec.currency.");
	}

	p->has_floor = !N(floor_date);
	if (p->has_floor)
		p->floor = posting_date(V(floor_date), false, "floor_date", origin);

	if (!N(entries))
	{
		int			cnt;

		p->entries = posting_array(V(entries), "entries", origin, &cnt);
		if (cnt % 3 != 0)
			malformed(origin, psprintf("entries has %d elements", cnt),
					  "entries holds (date, account, amount) triples: its length is a multiple of 3.");
		p->nentries = cnt / 3;
		for (i = 0; i < p->nentries; i++)
		{
			int64		d = p->entries[3 * i];
			int64		amt = posting_amount(p->entries[3 * i + 2], "entries", origin);

			CHECK_FOR_INTERRUPTS();
			/* the dates are day numbers from 2000-01-01, as DateADT */
			if (d < DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE || d >= DATE_END_JULIAN - POSTGRES_EPOCH_JDATE)
				malformed(origin, psprintf("entry %d is dated %lld", i + 1, (long long) d),
						  "Entry dates are day numbers from 2000-01-01 of finite dates between 4713-11-24 BC and 5874897-12-31.");
			(void) posting_account(p->entries[3 * i + 1], "entries", origin);
			if (amt > 0)
				posting_total(&debits, amt, origin);
			else
				posting_total(&credits, -amt, origin);
		}
	}

	p->has_sched = !N(sched_start);
	if (p->has_sched)
	{
		if (N(sched_end) || N(sched_before) || N(sched_after) || N(sched_credit))
			malformed(origin, "its schedule is incomplete",
					  "A posting with sched_start needs sched_end, sched_before, sched_after and sched_credit.");
		if (N(sched_months) && (N(sched_amount) || N(sched_strategy)))
			malformed(origin, "its schedule has no amounts",
					  "A posting with sched_start needs sched_months, or sched_amount and sched_strategy.");
		p->sstart = posting_date(V(sched_start), false, "sched_start", origin);
		p->send = posting_date(V(sched_end), false, "sched_end", origin);
		if (p->send < p->sstart)
			malformed(origin, psprintf("sched_end %s is before sched_start %s", date_text(p->send), date_text(p->sstart)),
					  NULL);
		if ((int64) p->send - p->sstart + 1 > RR_MAX_PERIOD_DAYS)
			malformed(origin, psprintf("its schedule spans %lld days", (long long) p->send - p->sstart + 1),
					  psprintf("A schedule spans at most %d days (1,000 years).", RR_MAX_PERIOD_DAYS));
		p->nmonths = rr_month_count(p->sstart, p->send);
		if (!N(sched_strategy))
		{
			/* with sched_months, the code only chooses the day spread */
			int16		strat = DatumGetInt16(V(sched_strategy));

			if (!rr_strategy_code_valid(strat))
				malformed(origin, psprintf("unknown allocation strategy code %d", strat),
						  rr_strategy_codes_hint());
			p->strategy = strat;
		}
		if (!N(sched_months))
		{
			int			cnt;

			p->smonths = posting_array(V(sched_months), "sched_months", origin, &cnt);
			if (cnt != p->nmonths)
				malformed(origin, psprintf("sched_months has %d amounts for a period of %d months", cnt, p->nmonths),
						  psprintf("The schedule %s to %s touches %d calendar months; sched_months has one amount per month.",
								   date_text(p->sstart), date_text(p->send), p->nmonths));
		}
		else
		{
			p->smonths = palloc(sizeof(int64) * p->nmonths);
			rr_month_amounts(posting_amount(DatumGetInt64(V(sched_amount)), "sched_amount", origin),
							 p->sstart, p->send, p->strategy, p->smonths);
		}
		for (i = 0; i < p->nmonths; i++)
		{
			int64		m = posting_amount(p->smonths[i], "sched_months", origin);

			posting_total(&sched_abs, m < 0 ? -m : m, origin);
		}
		/* each schedule day is one debit and one credit */
		posting_total(&debits, sched_abs, origin);
		posting_total(&credits, sched_abs, origin);

		p->split = N(sched_split) ? DATEVAL_NOBEGIN : posting_date(V(sched_split), true, "sched_split", origin);
		p->before = posting_account(DatumGetInt16(V(sched_before)), "sched_before", origin);
		p->after = posting_account(DatumGetInt16(V(sched_after)), "sched_after", origin);
		p->credit = posting_account(DatumGetInt16(V(sched_credit)), "sched_credit", origin);
		p->sfrom = N(sched_from) ? DATEVAL_NOBEGIN : posting_date(V(sched_from), true, "sched_from", origin);
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
	HeapTupleHeader th;
	Oid			typid;
	int32		typmod;
	PostingRowCache *cache = (PostingRowCache *) fcinfo->flinfo->fn_extra;
	HeapTupleData tuple;

	/* callers answer a NULL posting themselves; this is the safety net */
	if (PG_ARGISNULL(argno))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("revrec: the posting argument must not be null")));
	th = PG_GETARG_HEAPTUPLEHEADER(argno);
	typid = HeapTupleHeaderGetTypeId(th);
	typmod = HeapTupleHeaderGetTypMod(th);
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
	rr_posting_from_values(cache->values, cache->nulls, &cache->cols, RR_POSTING_GIVEN, p);
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
	/* monthly buckets, in order of first entry */
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
	HTAB	   *index;			/* BucketKey -> bucket, once there are many */
} ExpandState;

/* Buckets are searched linearly up to this many, through a hash table beyond. */
#define LINEAR_BUCKETS 32

typedef struct BucketKey
{
	DateADT		month;
	int16		account;
	bool		is_debit;
} BucketKey;

typedef struct BucketIndexEntry
{
	BucketKey	key;
	int			bucket;
} BucketIndexEntry;

static void
bucket_index_add(ExpandState *st, int i)
{
	BucketKey	k;
	BucketIndexEntry *e;
	bool		found;

	memset(&k, 0, sizeof(k));	/* padding is hashed too */
	k.month = st->b[i].month;
	k.account = st->b[i].account;
	k.is_debit = st->b[i].is_debit;
	e = hash_search(st->index, &k, HASH_ENTER, &found);
	e->bucket = i;
}

static int
bucket_find(ExpandState *st, DateADT month, int16 account, bool is_debit)
{
	int			i;

	if (st->index)
	{
		BucketKey	k;
		BucketIndexEntry *e;

		memset(&k, 0, sizeof(k));
		k.month = month;
		k.account = account;
		k.is_debit = is_debit;
		e = hash_search(st->index, &k, HASH_FIND, NULL);
		return e ? e->bucket : -1;
	}
	for (i = st->nb - 1; i >= 0; i--)
	{
		struct Bucket *b = &st->b[i];

		if (b->month == month && b->account == account && b->is_debit == is_debit)
			return i;
	}
	return -1;
}

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
		int			i = bucket_find(st, ms, e->account, is_debit);

		if (i >= 0)
		{
			struct Bucket *b = &st->b[i];

			b->amount = rr_add_minor(b->amount, amount);
			if (e->catchup && (!b->catchup || e->catchup_from < b->catchup_from))
			{
				b->catchup = true;
				b->catchup_from = e->catchup_from;
			}
			return;
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
		if (st->index)
			bucket_index_add(st, st->nb - 1);
		else if (st->nb > LINEAR_BUCKETS)
		{
			HASHCTL		ctl;

			ctl.keysize = sizeof(BucketKey);
			ctl.entrysize = sizeof(BucketIndexEntry);
			ctl.hcxt = CurrentMemoryContext;
			st->index = hash_create("revrec monthly buckets", 4 * LINEAR_BUCKETS, &ctl,
									HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
			for (i = 0; i < st->nb; i++)
				bucket_index_add(st, i);
		}
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
	{
		/* no posting, no entries */
		InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
		return (Datum) 0;
	}
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

			CHECK_FOR_INTERRUPTS();
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
	posting_from_arg(fcinfo, 0, &p);
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
	posting_from_arg(fcinfo, 0, &p);
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
	posting_from_arg(fcinfo, 0, &p);
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

/* revrec._journal_number(source, source_id, product_id, day) */
PG_FUNCTION_INFO_V1(revrec_journal_number);
Datum
revrec_journal_number(PG_FUNCTION_ARGS)
{
	DateADT		day;

	/* product_id may be null (a journal without a product); the rest may not */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	day = PG_GETARG_DATEADT(3);
	if (!RR_DATE_FINITE(day))
		ereport(ERROR,
				(errcode(ERRCODE_RR_INVALID_ARGUMENT),
				 errmsg("journal number for day %s: the day must be a finite date",
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(day)))),
				 errdetail("A journal number names the entry's month.")));
	PG_RETURN_TEXT_P(cstring_to_text(rr_journal_number(text_to_cstring(PG_GETARG_TEXT_PP(0)),
													   text_to_cstring(PG_GETARG_TEXT_PP(1)),
													   PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)),
													   day)));
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
