/*
 * reports.h — per-posting summaries shared by the report functions.
 */
#ifndef REVREC_REPORTS_H
#define REVREC_REPORTS_H

#include "ledger.h"

typedef struct Summary
{
	DateADT		as_of;
	DateADT		horizon;
	int64		acct[5];		/* signed balances <= as_of: [1..4] system accounts, [0] others */
	int64		near;			/* recognized after as_of up to horizon */
	int64		far;			/* recognized after horizon */
	int64		deferred_later; /* deferred account movements after as_of */
	int64		undated;		/* deferred balance once every entry has run, credit
								 * positive: billed, with no date to recognize it */
} Summary;

/*
 * Balances of p up to as_of (per system account), the revenue it recognizes
 * after as_of up to horizon (near) and after it (far), and what its entries
 * leave in the deferred account at the end (undated: an open milestone's
 * amount, for one), computed from month amounts, never days.
 */
extern void rr_summarize(const RrPosting *p, DateADT as_of, DateADT horizon, Summary *s);

#endif
