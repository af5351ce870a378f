/*
 * schedule.h — the schedule engine: an amount over a service period becomes
 * one amount per calendar month (by an allocation strategy, SPEC 3.1), and
 * each month's amount is spread over its covered days.  All in int64 minor
 * units; every split sums back to its total exactly.
 *
 * The journal engine builds every recognition schedule from these pieces:
 * a posted schedule is stored as its month amounts (RrSchedule), and days
 * are expanded from it when read, with RrDayIter.
 */
#ifndef REVREC_SCHEDULE_H
#define REVREC_SCHEDULE_H

#include "postgres.h"
#include "utils/date.h"

typedef enum RrStrategy
{
	RR_DAILY_RATE_EVEN_MONTHS = 0,	/* default */
	RR_MONTH_FRACTION_EVEN_MONTHS,
	RR_THIRTY_DAY_EVEN_MONTHS,
	RR_DAILY
} RrStrategy;

/* Longest service period accepted, in days (1,000 years). */
#define RR_MAX_PERIOD_DAYS 365250

/* Strategy by its SQL name; ERROR (RV005) naming argname when unknown. */
extern RrStrategy rr_strategy_from_name(const char *name, const char *argname);
extern const char *rr_strategy_name(RrStrategy s);

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
							 RrStrategy strategy, int64 *months);

/*
 * Iterate the days of a schedule given by its month amounts: each month's
 * amount a over its d covered days gives trunc(a / d) a day and the last
 * covered day takes the rest.  Days whose amount is zero are still returned.
 */
typedef struct RrDayIter
{
	DateADT		start;
	DateADT		end;
	const int64 *months;
	int			nmonths;
	int			mi;				/* current month index */
	DateADT		day;			/* next day to return */
	DateADT		mlast;			/* last covered day of the current month */
	int64		per_day;		/* trunc(a / d) of the current month */
	int64		last_day_amount;	/* what the last covered day takes */
} RrDayIter;

extern void rr_day_iter_init(RrDayIter *it, DateADT start, DateADT end,
							 const int64 *months, int nmonths);
extern bool rr_day_iter_next(RrDayIter *it, DateADT *day, int64 *amount);

#endif
