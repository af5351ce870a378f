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
} Summary;

/*
 * Balances of p up to as_of (per system account), and the revenue it
 * recognizes after as_of up to horizon (near) and after it (far), computed
 * from month amounts, never days.
 */
extern void rr_summarize(const RrPosting *p, DateADT as_of, DateADT horizon, Summary *s);

#endif
