#!/usr/bin/env bash
# Creates one role and one database per Jiuzhu service: database `jiuzhu_<svc>` owned by role `<svc>`.
#
# Run by the official postgres image from /docker-entrypoint-initdb.d/, once, on the first start of
# an empty data directory (see docker-compose.yml). Inputs, all from the container's environment:
#   JIUZHU_SERVICES        space-separated service names, e.g. "eligibility verification payment"
#   <SVC>_DB_PASSWORD      the password of role <svc> (upper-case name), e.g. ELIGIBILITY_DB_PASSWORD
# docker-compose.yml gives dev-only defaults for the passwords; anything beyond a developer's
# machine sets real ones. A missing password stops the init (the container exits) instead of
# creating a role without one.
#
# No service can reach another service's database: CONNECT on each database is revoked from PUBLIC
# and granted to its owner only.
set -euo pipefail

: "${JIUZHU_SERVICES:?JIUZHU_SERVICES must list the services (space-separated)}"

for svc in ${JIUZHU_SERVICES}; do
    if [[ ! "${svc}" =~ ^[a-z][a-z0-9_]*$ ]]; then
        echo "postgres-init: invalid service name '${svc}'" >&2
        exit 1
    fi
    password_var="${svc^^}_DB_PASSWORD"
    password="${!password_var:-}"
    if [[ -z "${password}" ]]; then
        echo "postgres-init: ${password_var} is not set" >&2
        exit 1
    fi
    database="jiuzhu_${svc}"
    echo "postgres-init: role '${svc}', database '${database}'"
    # psql variables (:"ident", :'literal') quote the names and the password safely.
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
        --set=role="${svc}" --set=password="${password}" --set=database="${database}" <<'SQL'
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') AS create_role \gset
\if :create_role
CREATE ROLE :"role" LOGIN PASSWORD :'password';
\else
ALTER ROLE :"role" LOGIN PASSWORD :'password';
\endif
SELECT NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'database') AS create_database \gset
\if :create_database
CREATE DATABASE :"database" OWNER :"role";
\endif
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT ALL PRIVILEGES ON DATABASE :"database" TO :"role";
SQL
done
