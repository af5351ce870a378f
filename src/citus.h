/*
 * citus.h — posting on a distributed revrec (docs/CITUS.md, src/citus.c).
 */
#ifndef REVREC_CITUS_H
#define REVREC_CITUS_H

extern bool rr_citus_active(void);
extern bool rr_citus_internal;
extern void revrec_citus_init(void);
extern void rr_citus_flushed(void);


/* src/citus_shard.c: posting on a worker against one shard group */
#include "access/htup.h"
#include "access/tupdesc.h"
extern bool rr_shard_mode;
extern void rr_shard_log(HeapTuple row, TupleDesc rowdesc);
extern int64 rr_shard_take_ids(int64 n);
extern int64 rr_shard_mark(void);

/* posting ids on a distributed revrec: a value of the sequence times 2^24, plus a count */
#define RR_ID_BLOCK_BITS 24
extern void revrec_citus_shard_init(void);

#endif
