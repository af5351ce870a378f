/*
 * citus.h — posting on a distributed revrec (docs/CITUS.md, src/citus.c).
 */
#ifndef REVREC_CITUS_H
#define REVREC_CITUS_H

extern bool rr_citus_active(void);
extern bool rr_citus_internal;
extern void revrec_citus_init(void);
extern void rr_citus_flushed(void);
extern void rr_citus_lock_lines(const char *keys_sql, int nargs, Oid *types, Datum *args, const char *nulls);

#endif
