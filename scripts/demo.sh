#!/usr/bin/env bash
# make demo: set-up, then a sample month-end close in a throwaway cluster.
source "$(dirname "$0")/common.sh"

ensure_packages gnuplot-nox
build_install
throwaway_cluster

as_pg createdb revrec_demo
psql_q -d revrec_demo -c 'CREATE EXTENSION revrec'
as_pg psql -X -v ON_ERROR_STOP=1 -d revrec_demo -f "$ROOT/scripts/demo.sql"
