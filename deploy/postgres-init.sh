#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d).
# One instance holds the application database (POSTGRES_DB) and Temporal's two databases;
# their schemas are set up by the `temporal-schema` service.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;
SQL
