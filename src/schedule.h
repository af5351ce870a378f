/*
 * schedule.h — the schedule engine: an amount over a service period becomes
 * one amount per calendar month (by an allocation strategy), and
 * each month's amount is spread over its covered days.  All in int64 minor
 * units; every split sums back to its total exactly.
 *
 * The posting engines build every recognition schedule from these pieces:
 * a posted schedule is stored as its month amounts (the sched_months of a
 * revrec.posting row, RrPosting.smonths in ledger.h), and its days are
 * expanded from them when read, each month by RrSpread (ledger.c; RrDayIter
 * where a caller walks the days one by one).
 */
#ifndef REVREC_SCHEDULE_H
#define REVREC_SCHEDULE_H

#include "postgres.h"
#include "utils/date.h"

/*
 * A strategy CODE, as stored in revrec.posting.sched_strategy: the low four
 * bits name the month rule, bit RR_SPREAD_CUMULATIVE the day spread.  Codes
 * are forever (posted ledgers): 0..3 are the v0.1 strategies with the
 * default spread; new rules take new numbers, never old ones.
 */
typedef enum RrStrategy
{
	RR_DAILY_RATE_EVEN_MONTHS = 0,	/* default */
	RR_MONTH_FRACTION_EVEN_MONTHS = 1,
	RR_THIRTY_DAY_EVEN_MONTHS = 2,
	RR_DAILY = 3,
	RR_ODOO_MONTH = 4,			/* Odoo "Months": 30/360 day count */
	RR_ODOO_FULL_MONTHS = 5,	/* Odoo "Full Months": begun months whole */
	RR_ODOO_DAY = 6,			/* Odoo "Days": per period round(A * d / N) */
	RR_ERPNEXT_DAYS = 7,		/* ERPNext "Days": as RR_ODOO_DAY */
	RR_ERPNEXT_MONTHS = 8		/* ERPNext "Months" */
} RrStrategy;

#define RR_N_STRATEGIES			9
#define RR_STRATEGY_RULE_MASK	0x0F
/* the day spread: cumulative rounding instead of "last day takes the rest" */
#define RR_SPREAD_CUMULATIVE	0x10
#define RR_STRATEGY_RULE(code)	((code) & RR_STRATEGY_RULE_MASK)

/* Whether a stored strategy code is one revrec knows. */
extern bool rr_strategy_code_valid(int code);
/* One line listing the valid codes, for error details. */
extern const char *rr_strategy_codes_hint(void);

/* Longest service period accepted, in days (1,000 years). */
#define RR_MAX_PERIOD_DAYS 365250

/*
 * Strategy code by its SQL name (a strategy, optionally followed by
 * "+cumulative" for the cumulative day spread); ERROR (RV005) naming argname
 * when unknown.
 */
extern int	rr_strategy_from_name(const char *name, const char *argname);
/* SQL name of a valid code (palloc'd) */
extern char *rr_strategy_name(int code);

/*
 * Validate a service period (finite, start <= end, not longer than
 * RR_MAX_PERIOD_DAYS); ERROR (RV004) naming the arguments otherwise.
 */
extern void rr_check_period(DateADT start, DateADT end);

/* Number of calendar months the period [start, end] touches. */
extern int	rr_month_count(DateADT start, DateADT end);

/* First day of the month containing d, and of the month after it. */
extern DateADT rr_month_start(DateADT d);
extern DateADT rr_next_month_start(DateADT d);

/*
 * Month amounts of `amount` over [start, end] by `strategy`: months[i] is the
 * amount of the i-th calendar month touched (rr_month_count entries).
 * A negative amount is scheduled as its absolute value and negated.
 */
extern void rr_month_amounts(int64 amount, DateADT start, DateADT end,
							 int strategy, int64 *months);

/*
 * The day spread of one month amount `a` over the covered days [lo, hi] of
 * one calendar month.  Each day has a weight: 1, or for the Odoo month
 * strategies its 30/360 day count (every month counts 30; the difference of
 * Odoo's own day count between the day and the next).  By default a day
 * gets trunc(a * w / W) and the last covered day takes the rest; with
 * RR_SPREAD_CUMULATIVE the days up to d get round(a * C(d) / W) in all, C
 * the cumulative weight.  A month whose covered days weigh nothing (one
 * 30th of a 31-day month) spreads by 1 a day.
 */
typedef struct RrSpread
{
	int64		a;
	DateADT		lo;
	DateADT		hi;
	bool		thirty;			/* 30/360 weights (else 1 a day) */
	bool		cumulative;
	int64		W;				/* total weight of [lo, hi] */
	int64		t[4];			/* trunc(a * w / W) by weight (0..3) */
	int64		last;			/* what hi takes (truncating spread) */
} RrSpread;

extern void rr_spread_init(RrSpread *s, int64 a, DateADT lo, DateADT hi, int strategy);
/* Sum of the days [x, y] (clipped to [lo, hi]). */
extern int64 rr_spread_sum(const RrSpread *s, DateADT x, DateADT y);
/* How many of the days [x, y] (clipped) have a non-zero amount. */
extern int64 rr_spread_nonzero(const RrSpread *s, DateADT x, DateADT y);

/*
 * Iterate the days of a schedule given by its month amounts, each month
 * spread over its covered days by RrSpread (strategy: the code whose spread
 * applies).  Days whose amount is zero are still returned.
 */
typedef struct RrDayIter
{
	DateADT		start;
	DateADT		end;
	const int64 *months;
	int			nmonths;
	int			strategy;
	int			mi;				/* current month index */
	DateADT		day;			/* next day to return */
	DateADT		mlast;			/* last covered day of the current month */
	RrSpread	sp;				/* the current month's spread */
} RrDayIter;

extern void rr_day_iter_init(RrDayIter *it, DateADT start, DateADT end,
							 const int64 *months, int nmonths, int strategy);
extern bool rr_day_iter_next(RrDayIter *it, DateADT *day, int64 *amount);

#endif
