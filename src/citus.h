/*
 * citus.h — posting on a distributed revrec (docs/CITUS.md, src/citus.c).
 */
#ifndef REVREC_CITUS_H
#define REVREC_CITUS_H

#include "nodes/parsenodes.h"

extern bool rr_citus_active(void);
extern bool rr_citus_internal;
extern void revrec_citus_init(void);
extern void rr_citus_flushed(void);
extern void rr_citus_check_keys(void);
extern void rr_citus_commit(void);
extern int	rr_pin_search_path(void);
extern void rr_unpin_search_path(int level);
extern bool rr_citus_planning(Query *parse);
extern void rr_citus_planned(bool outer);


/* src/citus_shard.c: posting on a worker against one shard group */
#include "access/htup.h"
#include "access/tupdesc.h"
extern bool rr_shard_mode;
extern void rr_shard_log(HeapTuple row, TupleDesc rowdesc);

extern void revrec_citus_shard_init(void);

#endif
