# revrec — PGXS build.  `make demo` and `make test` do all the set-up (see README).

EXTENSION  = revrec
EXTVERSION = 0.2
MODULE_big = revrec
OBJS       = src/revrec.o src/money.o src/schedule.o src/ledger.o src/posting.o src/reports.o src/deferred.o src/export_worker.o src/exports.o src/keyhash.o src/activity.o

# The install script of the current version is assembled from the numbered
# parts in sql/src so that each concept keeps its own file.  Released
# versions are frozen: their full scripts (sql/revrec--0.1.sql) and the
# upgrade scripts (sql/revrec--A--B.sql) are written once and shipped as they are.
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA       = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*.sql))

PG_CFLAGS  = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare -Isrc

REGRESS      = $(sort $(notdir $(basename $(wildcard test/sql/*.sql))))
REGRESS_OPTS = --inputdir=test --load-extension=revrec
ISOLATION      = $(sort $(notdir $(basename $(wildcard test/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test --load-extension=revrec

EXTRA_CLEAN = sql/$(EXTENSION)--$(EXTVERSION).sql results output_iso regression.diffs regression.out

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
else
all:
	@echo "PostgreSQL 15 server headers not found: run 'make demo' or 'make test' (they install them), or apt-get install postgresql-server-dev-15" >&2; exit 1
endif

# PGXS does not track headers: every object depends on all of them.
$(OBJS): $(wildcard src/*.h)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(sort $(wildcard sql/src/*.sql))
	cat $^ > $@

.PHONY: demo demo-stop test bench valgrind ubsan fuzz
demo:
	bash scripts/demo.sh
demo-stop:
	bash scripts/demo-stop.sh
test:
	bash scripts/test.sh
bench:
	bash scripts/bench.sh
valgrind:
	bash scripts/memcheck.sh valgrind
ubsan:
	bash scripts/memcheck.sh ubsan
fuzz:
	bash scripts/fuzz.sh
