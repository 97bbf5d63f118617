#!/bin/sh
# Temporal's schema on PostgreSQL, the maintained layout of temporalio/samples-server `compose/`.
# Safe to re-run: setup-schema -v 0.0 only creates the version table, update-schema applies
# the versions that are missing. The databases themselves come from postgres-init.sh.
set -eu
: "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
SCHEMA=/etc/temporal/schema/postgresql/v12
for db in temporal temporal_visibility; do
  case $db in
    temporal) dir=$SCHEMA/temporal/versioned ;;
    *) dir=$SCHEMA/visibility/versioned ;;
  esac
  temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 -u "$POSTGRES_USER" --db "$db" \
    setup-schema -v 0.0
  temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 -u "$POSTGRES_USER" --db "$db" \
    update-schema -d "$dir"
done
echo "Temporal schema is up to date"
