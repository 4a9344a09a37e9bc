#!/usr/bin/env bash
# Runs once, when the PostgreSQL volume is first created (docker-entrypoint-initdb.d).
# One login role per application, each owning its own database and unable to connect to
# another application's. The identity database is shared: the application roles may read
# and write its rows (granted below, for every table its owner creates), never its schema.
set -euo pipefail

# Passwords go in as psql variables (:'name' quotes them), never spliced into SQL text.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v identity_password="$IDENTITY_DB_PASSWORD" -v web_password="$WEB_DB_PASSWORD" \
  -v admin_password="$ADMIN_DB_PASSWORD" -v bot_password="$BOT_DB_PASSWORD" <<'SQL'
CREATE ROLE exchanger_identity LOGIN PASSWORD :'identity_password';
CREATE ROLE exchanger_web LOGIN PASSWORD :'web_password';
CREATE ROLE exchanger_admin LOGIN PASSWORD :'admin_password';
CREATE ROLE exchanger_bot LOGIN PASSWORD :'bot_password';

CREATE DATABASE exchanger_identity OWNER exchanger_identity;
CREATE DATABASE exchanger_web OWNER exchanger_web;
CREATE DATABASE exchanger_admin OWNER exchanger_admin;
CREATE DATABASE exchanger_bot OWNER exchanger_bot;

REVOKE ALL ON DATABASE exchanger_identity, exchanger_web, exchanger_admin, exchanger_bot FROM PUBLIC;
GRANT CONNECT ON DATABASE exchanger_identity TO exchanger_web, exchanger_admin, exchanger_bot;
-- The admin sets rates and reports on web data through the web application's services; its
-- rights on the web tables are granted by the web migrations (GrantStaffAccess): read the
-- rates, orders and ledger, add rates, use the outbox. Nothing else.
GRANT CONNECT ON DATABASE exchanger_web TO exchanger_admin;
SQL

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname exchanger_identity <<'SQL'
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO exchanger_web, exchanger_admin, exchanger_bot;
ALTER DEFAULT PRIVILEGES FOR ROLE exchanger_identity IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO exchanger_web, exchanger_admin, exchanger_bot;
ALTER DEFAULT PRIVILEGES FOR ROLE exchanger_identity IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO exchanger_web, exchanger_admin, exchanger_bot;
SQL

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname exchanger_web \
  -c "GRANT USAGE ON SCHEMA public TO exchanger_admin;"

for database in exchanger_web exchanger_admin exchanger_bot; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$database" \
    -c "REVOKE CREATE ON SCHEMA public FROM PUBLIC;"
done
