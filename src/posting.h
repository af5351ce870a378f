/*
 * posting.h — the journal engine: documents in, postings out.
 */
#ifndef REVREC_POSTING_H
#define REVREC_POSTING_H

#include "postgres.h"

/*
 * Largest-remainder allocation: split `total` over n weights (>= 0) so that
 * shares are proportional and sum exactly to total; ties go to the earlier
 * weight.  All-zero weights: ERROR.
 */
extern void rr_allocate(int64 total, const int64 *weights, int n, int64 *shares);

#endif
