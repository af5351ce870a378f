/*
 * ledger.c — expansion of compact postings into daily (or monthly) entries:
 * the schedule's day sums, the floor's catch-up entries, first and last dates.
 *
 * See ledger.h for the shape of a posting.  Everything here is a pure
 * function of the posting row, which is what makes the ledger reproducible:
 * a report over rows recorded by a moment is the report as it stood then.
 * Reading a row is posting_row.c; journal numbers and revrec._entries are
 * journal.c; the BEFORE INSERT check is ledger_check.c; the small SQL
 * helpers over one posting are ledger_sql.c.
 */
#include "revrec.h"
#include "ledger.h"
#include "money.h"
#include "schedule.h"

#include "miscadmin.h"
#include "utils/datetime.h"

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
