/*
 * schedule.c — allocation strategies, the month-to-days spread,
 * and the SQL functions revrec.schedule and revrec.monthly_schedule.
 *
 * Arithmetic: products such as A * d_i reach beyond int64 for large amounts,
 * so shares are computed in 128-bit integers and rounded half away from zero
 * on minor units.  Amounts are non-negative inside the strategies; a negative
 * amount is scheduled as its absolute value and negated by the caller.
 */
#include "revrec.h"
#include "money.h"
#include "schedule.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"

static const char *const strategy_names[RR_N_STRATEGIES] = {
	"daily_rate_even_months",
	"month_fraction_even_months",
	"thirty_day_even_months",
	"daily",
	"odoo_month",
	"odoo_full_months",
	"odoo_day",
	"erpnext_days",
	"erpnext_months",
};

#define CUMULATIVE_SUFFIX "+cumulative"

bool
rr_strategy_code_valid(int code)
{
	return code >= 0 && (code & ~(RR_STRATEGY_RULE_MASK | RR_SPREAD_CUMULATIVE)) == 0
		&& RR_STRATEGY_RULE(code) < RR_N_STRATEGIES;
}

const char *
rr_strategy_codes_hint(void)
{
	return "sched_strategy is 0 (daily_rate_even_months), 1 (month_fraction_even_months), "
		"2 (thirty_day_even_months), 3 (daily), 4 (odoo_month), 5 (odoo_full_months), 6 (odoo_day), "
		"7 (erpnext_days) or 8 (erpnext_months), plus 16 for the cumulative day spread.";
}

int
rr_strategy_from_name(const char *name, const char *argname)
{
	int			i;
	size_t		len = strlen(name);
	size_t		sl = strlen(CUMULATIVE_SUFFIX);
	int			flag = 0;

	if (len > sl && strcmp(name + len - sl, CUMULATIVE_SUFFIX) == 0)
	{
		flag = RR_SPREAD_CUMULATIVE;
		len -= sl;
	}
	for (i = 0; i < RR_N_STRATEGIES; i++)
		if (strlen(strategy_names[i]) == len && strncmp(name, strategy_names[i], len) == 0)
			return i | flag;
	ereport(ERROR,
			(errcode(ERRCODE_RR_UNKNOWN_STRATEGY),
			 errmsg("unknown allocation strategy \"%s\" in argument \"%s\"", name, argname),
			 errhint("Use one of daily_rate_even_months, month_fraction_even_months, thirty_day_even_months, daily, "
					 "odoo_month, odoo_full_months, odoo_day, erpnext_days, erpnext_months, "
					 "optionally followed by +cumulative (cumulative day spread).")));
	return RR_DAILY_RATE_EVEN_MONTHS;	/* keep compiler quiet */
}

char *
rr_strategy_name(int code)
{
	Assert(rr_strategy_code_valid(code));
	return psprintf("%s%s", strategy_names[RR_STRATEGY_RULE(code)],
					(code & RR_SPREAD_CUMULATIVE) ? CUMULATIVE_SUFFIX : "");
}

void
rr_check_period(DateADT start, DateADT end)
{
	if (DATE_NOT_FINITE(start) || DATE_NOT_FINITE(end))
		ereport(ERROR,
				(errcode(ERRCODE_RR_INVALID_PERIOD),
				 errmsg("service period must have finite dates (arguments \"service_start\" and \"service_end\")")));
	if (end < start)
		ereport(ERROR,
				(errcode(ERRCODE_RR_INVALID_PERIOD),
				 errmsg("service_end %s is before service_start %s",
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(end))),
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(start)))),
				 errhint("A service period includes both ends; a one-day period has service_start = service_end.")));
	if ((int64) end - (int64) start + 1 > RR_MAX_PERIOD_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_RR_INVALID_PERIOD),
				 errmsg("service period of %lld days is too long", (long long) ((int64) end - start + 1)),
				 errdetail("A service period may span at most %d days (1,000 years).", RR_MAX_PERIOD_DAYS)));
}

static inline void
ymd(DateADT d, int *y, int *m, int *dd)
{
	j2date(d + POSTGRES_EPOCH_JDATE, y, m, dd);
}

static inline DateADT
mkdate(int y, int m, int d)
{
	return date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
}

static inline int
days_in_month(int y, int m)
{
	return day_tab[isleap(y) ? 1 : 0][m - 1];
}

DateADT
rr_month_start(DateADT d)
{
	int			y,
				m,
				dd;

	ymd(d, &y, &m, &dd);
	return d - (dd - 1);
}

DateADT
rr_next_month_start(DateADT d)
{
	int			y,
				m,
				dd;

	ymd(d, &y, &m, &dd);
	return d - (dd - 1) + days_in_month(y, m);
}

int
rr_month_count(DateADT start, DateADT end)
{
	int			y1,
				m1,
				y2,
				m2,
				dd;

	ymd(start, &y1, &m1, &dd);
	ymd(end, &y2, &m2, &dd);
	return (y2 - y1) * 12 + (m2 - m1) + 1;
}

/* round(num / den) half away from zero, for num >= 0, den > 0 */
static inline int64
round_div(int128 num, int128 den)
{
	return (int64) ((2 * num + den) / (2 * den));
}

/*
 * Per touched month: covered days d[i] and calendar days D[i].
 * Returns the number of months.
 */
static int
month_layout(DateADT start, DateADT end, int *d, int *D)
{
	int			n = 0;
	DateADT		ms = rr_month_start(start);

	while (ms <= end)
	{
		int			y,
					m,
					dd;
		DateADT		next;
		DateADT		lo,
					hi;

		ymd(ms, &y, &m, &dd);
		D[n] = days_in_month(y, m);
		next = ms + D[n];
		lo = Max(ms, start);
		hi = Min(next - 1, end);
		d[n] = hi - lo + 1;
		n++;
		ms = next;
	}
	return n;
}

/*
 * The even-month strategies: partial months get their rounded share given by
 * weight num[i]/den[i] (out of the total weight), the full months share the
 * rest equally, the last full month taking the remainder; with no full month
 * the last month takes what the first did not.
 */
static void
even_months(int64 amount, int n, const int *d, const int *D, RrStrategy s,
			int N, int64 *months)
{
	int			i,
				full = 0,
				last_full = -1;
	int64		rest = amount;
	int128	wnum[2] = {0, 0};
	int128	L = 1,
				Wnum = 0;

	if (n == 1)
	{
		months[0] = amount;
		return;
	}
	for (i = 0; i < n; i++)
		if (d[i] == D[i])
		{
			full++;
			last_full = i;
		}

	/*
	 * Weights over a common denominator L.  Only the first and last month can
	 * be partial; daily_rate uses d_i / N directly.
	 */
	if (s != RR_DAILY_RATE_EVEN_MONTHS)
	{
		int			den0 = (d[0] == D[0]) ? 1 : (s == RR_MONTH_FRACTION_EVEN_MONTHS ? D[0] : 30);
		int			denl = (d[n - 1] == D[n - 1]) ? 1 : (s == RR_MONTH_FRACTION_EVEN_MONTHS ? D[n - 1] : 30);
		int			num0 = (d[0] == D[0]) ? 1 : (s == RR_MONTH_FRACTION_EVEN_MONTHS ? d[0] : Min(d[0], 30));
		int			numl = (d[n - 1] == D[n - 1]) ? 1 : (s == RR_MONTH_FRACTION_EVEN_MONTHS ? d[n - 1] : Min(d[n - 1], 30));

		L = (int128) den0 * denl;
		wnum[0] = (int128) num0 * (L / den0);
		wnum[1] = (int128) numl * (L / denl);
		/* middle months are full: weight 1 each */
		Wnum = wnum[0] + wnum[1] + (int128) (n - 2) * L;
	}

	for (i = 0; i < n; i++)
		months[i] = 0;

	for (i = 0; i < n; i += (n - 1))
	{
		int64		share;

		if (d[i] == D[i])
			continue;			/* full */
		if (full == 0 && i == n - 1)
			break;				/* no full month: last takes the rest below */
		if (s == RR_DAILY_RATE_EVEN_MONTHS)
			share = round_div((int128) amount * d[i], N);
		else
			share = round_div((int128) amount * wnum[i == 0 ? 0 : 1], Wnum);
		months[i] = share;
		rest -= share;
	}
	if (full == 0)
	{
		months[n - 1] = rest;
		return;
	}
	for (i = 0; i < n; i++)
		if (d[i] == D[i])
		{
			months[i] = rest / full;
			if (i == last_full)
				months[i] = rest - (rest / full) * (full - 1);
		}
}

/*
 * Odoo's day count between two dates (_get_deferred_diff_dates, times 30):
 * 30 a month, the day of the month as is, except a month's last day, which
 * counts as day 30.  Additive: diff30(a, b) + diff30(b, c) = diff30(a, c).
 */
static int64
diff30(DateADT from, DateADT to)
{
	int			y1,
				m1,
				d1,
				y2,
				m2,
				d2;

	ymd(from, &y1, &m1, &d1);
	ymd(to, &y2, &m2, &d2);
	if (d1 == days_in_month(y1, m1))
		d1 = 30;
	if (d2 == days_in_month(y2, m2))
		d2 = 30;
	return ((int64) (y2 - y1) * 12 + (m2 - m1)) * 30 + (d2 - d1);
}

/*
 * Month i gets min(round(a * w_i / W), what is left), the last month takes
 * the rest (Odoo and ERPNext "Days": each period rounded, the last period
 * the remainder).  The cap only matters where the peer would give the last
 * month a negative amount (an amount of fewer minor units than months).
 */
static void
weighted_rest_last(int64 a, int n, const int64 *w, int64 W, int64 *months)
{
	int64		rest = a;
	int			i;

	for (i = 0; i < n - 1; i++)
	{
		int64		share = W > 0 ? round_div((int128) a * w[i], W) : 0;

		share = Min(share, rest);
		months[i] = share;
		rest -= share;
	}
	months[n - 1] = rest;
}

/* round(10 * num / den) for num >= 0, den > 0: a ratio in tenths, half up */
static inline int64
tenths(int64 num, int64 den)
{
	return round_div((int128) num * 10, den);
}

/*
 * ERPNext "Months" (calculate_monthly_amount): the period lasts
 * round(n * (end - start) / (last day of end's month - first of start's
 * month), 1) months; a month is A / that, rounded; a month not covered
 * whole gets round((d - 1) / (D - 1), 1) of it; no month more than what is
 * left; the month of the end takes the rest.
 */
static void
erpnext_months(int64 a, DateADT start, DateADT end, int n, int64 *months)
{
	DateADT		first = rr_month_start(start);
	DateADT		lastday = rr_next_month_start(end) - 1;
	int64		am10 = tenths((int64) n * (end - start), lastday - first);
	/* under a month (am10 < 10) a month's amount exceeds a: cap it before it leaves 128 bits */
	int128	m128 = am10 > 0 ? ((int128) a * 20 + am10) / (2 * (int128) am10) : a;
	int64		monthly = (int64) (m128 < a ? m128 : a);
	int64		rest = a;
	DateADT		ms = first;
	int			i;

	for (i = 0; i < n - 1; i++)
	{
		DateADT		next = rr_next_month_start(ms);
		DateADT		lo = Max(ms, start);
		DateADT		hi = next - 1;	/* not the last month: covered to its end */
		int64		m = Min(monthly, rest);

		if (lo != ms)
			m = round_div((int128) m * tenths(hi - lo, hi - ms), 10);
		months[i] = m;
		rest -= m;
		ms = next;
	}
	months[n - 1] = rest;
}

void
rr_month_amounts(int64 amount, DateADT start, DateADT end, int strategy,
				 int64 *months)
{
	int			n = rr_month_count(start, end);
	int		   *d = palloc(sizeof(int) * n);
	int		   *D = palloc(sizeof(int) * n);
	int			N = end - start + 1;
	bool		neg = amount < 0;
	int64		a = neg ? -amount : amount;
	int			rule = RR_STRATEGY_RULE(strategy);
	int			i;

	month_layout(start, end, d, D);

	if (n == 1)
		months[0] = a;
	else if (rule == RR_DAILY)
	{
		int64		prev = 0;
		int64		c = 0;

		for (i = 0; i < n; i++)
		{
			int64		cum;

			c += d[i];
			cum = round_div((int128) a * c, N);
			months[i] = cum - prev;
			prev = cum;
		}
	}
	else if (rule == RR_ODOO_MONTH || rule == RR_ODOO_FULL_MONTHS ||
			 rule == RR_ODOO_DAY || rule == RR_ERPNEXT_DAYS)
	{
		int64	   *w = palloc(sizeof(int64) * n);
		int64		W = 0;
		DateADT		ms = rr_month_start(start);

		for (i = 0; i < n; i++)
		{
			DateADT		next = rr_next_month_start(ms);
			DateADT		lo = Max(ms, start);
			DateADT		hi = Min(next - 1, end);

			if (rule == RR_ODOO_MONTH)
				w[i] = diff30(lo, hi + 1);
			else if (rule == RR_ODOO_FULL_MONTHS)
				w[i] = hi + 1 == next ? 1 : 0;	/* begun months whole; the end's only if it ends on its last day */
			else
				w[i] = d[i];
			W += w[i];
			ms = next;
		}
		if (rule == RR_ODOO_MONTH)
			W = diff30(start, end + 1);
		weighted_rest_last(a, n, w, W, months);
		pfree(w);
	}
	else if (rule == RR_ERPNEXT_MONTHS)
		erpnext_months(a, start, end, n, months);
	else
		even_months(a, n, d, D, (RrStrategy) rule, N, months);

	if (neg)
		for (i = 0; i < n; i++)
			months[i] = -months[i];
	pfree(d);
	pfree(D);
}

/* ---------- spreading a month over its days ---------- */

/* 30/360 weight of day d: Odoo's day count from d to the next day */
static inline int
day_weight30(DateADT d)
{
	int			y,
				m,
				dd,
				D;

	ymd(d, &y, &m, &dd);
	D = days_in_month(y, m);
	if (dd + 1 == D)
		return 30 - dd;			/* the day before the last: up to day 30 */
	return 1;
}

/* cumulative weight of [s->lo, x] */
static inline int64
cum_weight(const RrSpread *s, DateADT x)
{
	if (x < s->lo)
		return 0;
	return s->thirty ? diff30(s->lo, x + 1) : (int64) (x - s->lo + 1);
}

/* round(a * c / W) half away from zero, any sign of a */
static inline int64
cum_amount(const RrSpread *s, int64 c)
{
	int64		m = s->a < 0 ? -s->a : s->a;
	int64		r = round_div((int128) m * c, s->W);

	return s->a < 0 ? -r : r;
}

void
rr_spread_init(RrSpread *s, int64 a, DateADT lo, DateADT hi, int strategy)
{
	int			rule = RR_STRATEGY_RULE(strategy);
	int			w;

	s->a = a;
	s->lo = lo;
	s->hi = hi;
	s->cumulative = (strategy & RR_SPREAD_CUMULATIVE) != 0;
	s->thirty = rule == RR_ODOO_MONTH || rule == RR_ODOO_FULL_MONTHS;
	s->W = cum_weight(s, hi);
	if (s->W <= 0)
	{
		s->thirty = false;
		s->W = hi - lo + 1;
	}
	/* C division truncates toward zero; a weight above W never occurs */
	for (w = 0; w < 4; w++)
		s->t[w] = w <= s->W ? (int64) (((int128) a * w) / s->W) : 0;
	if (!s->thirty)
		s->last = a - s->t[1] * (s->W - 1);
	else
	{
		DateADT		d;
		int64		sum = 0;

		for (d = lo; d < hi; d++)
			sum += s->t[day_weight30(d)];
		s->last = a - sum;
	}
}

int64
rr_spread_sum(const RrSpread *s, DateADT x, DateADT y)
{
	x = Max(x, s->lo);
	y = Min(y, s->hi);
	if (x > y)
		return 0;
	if (s->cumulative)
		return cum_amount(s, cum_weight(s, y)) - cum_amount(s, cum_weight(s, x - 1));
	if (!s->thirty)
		return s->t[1] * (y - x + 1) + (y == s->hi ? s->last - s->t[1] : 0);
	else
	{
		DateADT		d;
		int64		sum = 0;

		for (d = x; d <= y; d++)
			sum += d == s->hi ? s->last : s->t[day_weight30(d)];
		return sum;
	}
}

int64
rr_spread_nonzero(const RrSpread *s, DateADT x, DateADT y)
{
	DateADT		d;
	int64		count = 0;

	x = Max(x, s->lo);
	y = Min(y, s->hi);
	if (x > y)
		return 0;
	if (!s->cumulative && !s->thirty)
		return (s->t[1] != 0 ? (int64) (Min(y, s->hi - 1) - x + 1) : 0)
			+ (y == s->hi && s->last != 0 ? 1 : 0);
	for (d = x; d <= y; d++)
		if (rr_spread_sum(s, d, d) != 0)
			count++;
	return count;
}

/* Set the iterator on month it->mi, whose first covered day is it->day. */
static void
day_iter_month(RrDayIter *it)
{
	DateADT		next = rr_next_month_start(it->day);

	it->mlast = Min(next - 1, it->end);
	rr_spread_init(&it->sp, it->months[it->mi], it->day, it->mlast, it->strategy);
}

void
rr_day_iter_init(RrDayIter *it, DateADT start, DateADT end,
				 const int64 *months, int nmonths, int strategy)
{
	it->start = start;
	it->end = end;
	it->months = months;
	it->nmonths = nmonths;
	it->strategy = strategy;
	it->mi = 0;
	it->day = start;
	if (nmonths > 0)
		day_iter_month(it);
}

bool
rr_day_iter_next(RrDayIter *it, DateADT *day, int64 *amount)
{
	if (it->day > it->end || it->mi >= it->nmonths)
		return false;
	*day = it->day;
	*amount = rr_spread_sum(&it->sp, it->day, it->day);
	if (it->day == it->mlast)
	{
		it->day++;
		it->mi++;
		if (it->day <= it->end && it->mi < it->nmonths)
			day_iter_month(it);
	}
	else
		it->day++;
	return true;
}

/*
 * Shared argument handling of revrec.schedule / revrec.monthly_schedule:
 * (amount numeric, service_start date, service_end date, strategy text, currency text)
 */
typedef struct ScheduleArgs
{
	int64		amount;
	DateADT		start;
	DateADT		end;
	int			strategy;
	int			exponent;
	int			nmonths;
	int64	   *months;
} ScheduleArgs;

static void
schedule_args(FunctionCallInfo fcinfo, ScheduleArgs *a)
{
	static const char *const names[] = {"amount", "service_start", "service_end", "strategy", "currency"};
	char	   *cur;
	int			i;

	for (i = 0; i < 5; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(i == 1 || i == 2 ? ERRCODE_RR_INVALID_PERIOD : ERRCODE_RR_INVALID_ARGUMENT),
					 errmsg("argument \"%s\" must not be null", names[i])));

	cur = text_to_cstring(PG_GETARG_TEXT_PP(4));
	a->exponent = rr_currency_exponent(cur, "currency");
	a->amount = rr_numeric_to_minor(PG_GETARG_NUMERIC(0), a->exponent, "amount");
	a->start = PG_GETARG_DATEADT(1);
	a->end = PG_GETARG_DATEADT(2);
	rr_check_period(a->start, a->end);
	a->strategy = rr_strategy_from_name(text_to_cstring(PG_GETARG_TEXT_PP(3)), "strategy");
	a->nmonths = rr_month_count(a->start, a->end);
	a->months = palloc(sizeof(int64) * a->nmonths);
	rr_month_amounts(a->amount, a->start, a->end, a->strategy, a->months);
}

/* revrec.schedule(...) returns table(day date, amount numeric): one row per day. */
PG_FUNCTION_INFO_V1(revrec_schedule);
Datum
revrec_schedule(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ScheduleArgs a;
	RrDayIter	it;
	DateADT		day;
	int64		amt;
	int64		prev_amt = 0;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	bool		have_prev = false;

	schedule_args(fcinfo, &a);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	rr_day_iter_init(&it, a.start, a.end, a.months, a.nmonths, a.strategy);
	while (rr_day_iter_next(&it, &day, &amt))
	{
		CHECK_FOR_INTERRUPTS();
		/* most days of a month share one amount: build its numeric once */
		if (!have_prev || amt != prev_amt)
		{
			values[1] = NumericGetDatum(rr_minor_to_numeric(amt, a.exponent));
			prev_amt = amt;
			have_prev = true;
		}
		values[0] = DateADTGetDatum(day);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* revrec.monthly_schedule(...) returns table(month date, amount numeric). */
PG_FUNCTION_INFO_V1(revrec_monthly_schedule);
Datum
revrec_monthly_schedule(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ScheduleArgs a;
	DateADT		ms;
	int			i;

	schedule_args(fcinfo, &a);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	ms = rr_month_start(a.start);
	for (i = 0; i < a.nmonths; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		CHECK_FOR_INTERRUPTS();
		values[0] = DateADTGetDatum(ms);
		values[1] = NumericGetDatum(rr_minor_to_numeric(a.months[i], a.exponent));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		ms = rr_next_month_start(ms);
	}
	return (Datum) 0;
}
