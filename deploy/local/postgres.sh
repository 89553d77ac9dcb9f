#!/usr/bin/env bash
# Local PostgreSQL for Jiuzhu tests: one throwaway cluster, loopback only.
#
#   deploy/local/postgres.sh start    init (once) + start + create roles/dbs (idempotent)
#   deploy/local/postgres.sh stop     fast shutdown of this cluster (idempotent)
#   deploy/local/postgres.sh status   exit 0 when running, 3 when stopped
#   deploy/local/postgres.sh env      print `export JIUZHU_PG_...` lines
#
# Environment:
#   JIUZHU_STATE_DIR   state root (default $HOME/.cache/jiuzhu); the cluster
#                      lives in $JIUZHU_STATE_DIR/postgres (data/, sock/, postgres.log)
#   JIUZHU_PG_PORT     TCP port on 127.0.0.1 (default 15432)
#   JIUZHU_PG_SHARED_BUFFERS  shared_buffers (default 512MB)
#
# Uses the Debian PostgreSQL binaries (/usr/lib/postgresql/<ver>/bin, 15
# preferred); installs the `postgresql` package with apt-get when none is there.
# As root the server runs as the `postgres` OS user (PostgreSQL refuses root);
# as any other user it runs as that user.
#
# Credentials are for local development/tests only:
#   admin   jiuzhu/jiuzhu         LOGIN CREATEDB CREATEROLE (+ member of each service role)
#   service <svc>/<svc>           owns database jiuzhu_<svc> (the gateway too: gateway/gateway)
#   super   <os user>/postgres    TCP password; peer auth on the private unix socket
set -euo pipefail

# Every component with a database of its own: the five services and the gateway (the token
# issuer: users, clients, signing keys, its audit trail).
readonly SERVICES=(eligibility verification payment monitoring procurement gateway)
readonly ADMIN_ROLE=jiuzhu
readonly ADMIN_PASSWORD=jiuzhu
readonly SUPERUSER_PASSWORD=postgres
readonly START_TIMEOUT=60

: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
STATE_ROOT=${JIUZHU_STATE_DIR:-$HOME/.cache/jiuzhu}
[[ $STATE_ROOT == /* ]] || STATE_ROOT=$PWD/$STATE_ROOT
# Work from / so the server user never trips over an unreadable cwd.
cd /
PG_PORT=${JIUZHU_PG_PORT:-15432}
PG_HOST=127.0.0.1
PG_STATE=$STATE_ROOT/postgres
PGDATA_DIR=$PG_STATE/data
SOCK_DIR=$PG_STATE/sock
LOG_FILE=$PG_STATE/postgres.log

if [[ $EUID -eq 0 ]]; then
  RUN_AS=postgres
else
  RUN_AS=$(id -un)
fi
# Name of the bootstrap superuser: the OS user running the server, so that
# peer authentication on the unix socket works without a password.
SUPERUSER=$RUN_AS

log() { printf '[postgres.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

now_us() { echo "${EPOCHREALTIME/./}"; }
elapsed() { # elapsed <start_us> -> "12.3"
  local d=$(( $(now_us) - $1 ))
  printf '%d.%d' $(( d / 1000000 )) $(( (d % 1000000) / 100000 ))
}

with_lock() { # serialise start/stop on the same state dir
  mkdir -p "$PG_STATE"
  exec 9>"$PG_STATE/.lock"
  if ! flock -w 120 9; then
    die "another postgres.sh holds $PG_STATE/.lock"
  fi
}

# Run a command as the server's OS user.
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    runuser -u "$RUN_AS" -- "$@"
  else
    "$@"
  fi
}

find_bin_dir() {
  if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
    echo /usr/lib/postgresql/15/bin
    return 0
  fi
  local d best=""
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x $d/initdb ]] || continue
    if [[ -z $best ]] || (( $(basename "$(dirname "$d")") > $(basename "$(dirname "$best")") )); then
      best=$d
    fi
  done
  [[ -n $best ]] && echo "$best"
}

ensure_installed() {
  BIN_DIR=$(find_bin_dir || true)
  if [[ -z ${BIN_DIR:-} ]]; then
    [[ $EUID -eq 0 ]] || die "PostgreSQL server binaries not found and not root: install the 'postgresql' package"
    log "PostgreSQL not installed; installing the Debian 'postgresql' package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold postgresql
    BIN_DIR=$(find_bin_dir || true)
    [[ -n ${BIN_DIR:-} ]] || die "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb was found"
  fi
}

# The server user must be able to reach the state dir. /root is usually 0700,
# so when needed grant search (x, not read) permission on the blocking
# ancestors; that lets the postgres user traverse them but not list them.
ensure_traversable() {
  [[ $EUID -eq 0 ]] || return 0
  local path=$1 dir="" part
  local -a parts
  IFS=/ read -r -a parts <<< "${path#/}"
  for part in "${parts[@]}"; do
    [[ -n $part ]] || continue
    dir=$dir/$part
    [[ -d $dir ]] || break
    if ! runuser -u "$RUN_AS" -- test -x "$dir"; then
      log "granting search permission (o+x) on $dir so the '$RUN_AS' user can reach $PG_STATE"
      chmod o+x "$dir"
    fi
  done
}

pg_running() { # our cluster (by its data dir / postmaster.pid) is running
  [[ -f $PGDATA_DIR/PG_VERSION && -f $PGDATA_DIR/postmaster.pid ]] || return 1
  pid_is_postgres "$(head -n 1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)" || return 1
  as_pg "$BIN_DIR/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1
}

# pid_is_postgres PID: a live (not zombie) process named postgres.
pid_is_postgres() {
  local pid=$1 st=""
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/stat ]] || return 1
  # /proc/PID/stat is "PID (comm) STATE ..."; Z (zombie) / X (dead) don't count.
  st=$(sed -n 's/^[0-9]* (\(.*\)) \([A-Za-z]\) .*/\1 \2/p' "/proc/$pid/stat" 2>/dev/null || true)
  [[ $st == postgres\ [^ZX] ]]
}

# After a crash, a kill -9 or a machine handed back, postmaster.pid (and the
# socket lock file) may name a PID that is dead, a zombie, or now some other
# process; pg_ctl and the postmaster would then refuse to start. Drop them.
clear_stale_pidfile() {
  local f pid
  for f in "$PGDATA_DIR/postmaster.pid" "$SOCK_DIR"/.s.PGSQL.*.lock; do
    [[ -f $f ]] || continue
    pid=$(head -n 1 "$f" 2>/dev/null || true)
    if ! pid_is_postgres "$pid"; then
      log "removing stale $f (pid ${pid:-?} is not a running postgres)"
      rm -f "$f" "${f%.lock}"
    fi
  done
}

port_answers() {
  "$BIN_DIR/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -t 2 >/dev/null 2>&1
}

show_log_tail() {
  if [[ -f $LOG_FILE ]]; then
    log "last 50 lines of $LOG_FILE:"
    tail -n 50 "$LOG_FILE" >&2 || true
  else
    log "no server log at $LOG_FILE"
  fi
}

write_conf() {
  # Regenerated on every start so that a changed JIUZHU_PG_PORT applies.
  local tmp=$PG_STATE/jiuzhu.conf.tmp
  cat > "$tmp" <<EOF
# Generated by deploy/local/postgres.sh on every start; edits are overwritten.
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$SOCK_DIR'
unix_socket_permissions = 0700
max_connections = 300
# Throwaway test cluster: durability is traded for speed. A crash of the
# machine may corrupt it; delete $PG_STATE and start again.
fsync = off
synchronous_commit = off
full_page_writes = off
# Room for a benchmark's working set (a county's million payroll lines and their indexes):
# with the default 128MB the payroll's per-line index lookups start missing the cache halfway
# through and the calculation slows as it goes. JIUZHU_PG_SHARED_BUFFERS overrides it.
shared_buffers = ${JIUZHU_PG_SHARED_BUFFERS:-512MB}
max_wal_size = 4GB
# The data sits in memory or on SSD: a random page costs about what a sequential one does. With
# the default (4) the planner scans a whole table of many months' payroll lines rather than
# read one run's lines through its index.
random_page_cost = 1.1
log_timezone = 'UTC'
timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
EOF
  if [[ $EUID -eq 0 ]]; then
    chown "$RUN_AS": "$tmp"
  fi
  chmod 0600 "$tmp"
  mv -f "$tmp" "$PGDATA_DIR/jiuzhu.conf"
}

init_cluster() {
  log "initialising cluster in $PGDATA_DIR"
  local pwfile=$PG_STATE/pwfile.tmp
  (umask 077 && printf '%s\n' "$SUPERUSER_PASSWORD" > "$pwfile")
  [[ $EUID -ne 0 ]] || chown "$RUN_AS": "$pwfile"  # initdb reads it as the server user
  if ! as_pg "$BIN_DIR/initdb" -D "$PGDATA_DIR" -U "$SUPERUSER" --pwfile="$pwfile" \
        -E UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 \
        > "$PG_STATE/initdb.log" 2>&1; then
    rm -f "$pwfile"
    cat "$PG_STATE/initdb.log" >&2
    rm -rf "$PGDATA_DIR"
    die "initdb failed"
  fi
  rm -f "$pwfile"
  printf "\ninclude_if_exists = 'jiuzhu.conf'\n" | as_pg tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null
}

psql_super() { # psql as the bootstrap superuser over the private unix socket
  as_pg "$BIN_DIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK_DIR" -p "$PG_PORT" \
    -U "$SUPERUSER" -d postgres "$@"
}

provision() {
  # Roles and databases, idempotently. Passwords are re-set every time so a
  # cluster that drifted gets back to the documented dev credentials.
  local sql svc
  sql="SET client_min_messages = warning;
SELECT format('CREATE ROLE %I', '$ADMIN_ROLE') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ADMIN_ROLE')
\\gexec
ALTER ROLE $ADMIN_ROLE LOGIN CREATEDB CREATEROLE PASSWORD '$ADMIN_PASSWORD';
GRANT pg_signal_backend TO $ADMIN_ROLE;
"
  for svc in "${SERVICES[@]}"; do
    sql+="SELECT format('CREATE ROLE %I', '$svc') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$svc')
\\gexec
ALTER ROLE $svc LOGIN PASSWORD '$svc';
GRANT $svc TO $ADMIN_ROLE;
SELECT format('CREATE DATABASE %I OWNER %I', 'jiuzhu_$svc', '$svc') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'jiuzhu_$svc')
\\gexec
"
  done
  psql_super -f - <<< "$sql" >/dev/null
}

wait_ready() {
  local deadline=$(( SECONDS + START_TIMEOUT ))
  until port_answers; do
    if (( SECONDS >= deadline )); then
      return 1
    fi
    sleep 0.2
  done
}

cmd_start() {
  local t0
  t0=$(now_us)
  ensure_installed

  clear_stale_pidfile
  if pg_running; then
    if ! wait_ready; then
      show_log_tail
      die "cluster in $PGDATA_DIR is running but 127.0.0.1:$PG_PORT does not answer (port changed? run stop first)"
    fi
    provision
    log "already running ($PGDATA_DIR, 127.0.0.1:$PG_PORT); reused"
    log "start took $(elapsed "$t0")s"
    return 0
  fi
  if port_answers; then
    # Someone else's PostgreSQL on our port: reuse it only if our admin works.
    if PGPASSWORD=$ADMIN_PASSWORD "$BIN_DIR/psql" -X -q -h "$PG_HOST" -p "$PG_PORT" \
          -U "$ADMIN_ROLE" -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
      log "a PostgreSQL not from $PGDATA_DIR already serves 127.0.0.1:$PG_PORT and accepts $ADMIN_ROLE; reusing it"
      return 0
    fi
    die "port 127.0.0.1:$PG_PORT is taken by a PostgreSQL that is not this cluster; set JIUZHU_PG_PORT"
  fi

  mkdir -p "$STATE_ROOT"
  ensure_traversable "$STATE_ROOT"
  mkdir -p "$PG_STATE"
  if [[ $EUID -eq 0 ]]; then
    chown "$RUN_AS": "$PG_STATE"
  fi
  chmod 0700 "$PG_STATE"
  as_pg mkdir -p "$SOCK_DIR"

  if [[ ! -f $PGDATA_DIR/PG_VERSION ]]; then
    init_cluster
  elif [[ $EUID -eq 0 ]]; then
    chown -R "$RUN_AS": "$PG_STATE"
  fi
  write_conf

  log "starting PostgreSQL ($(basename "$(dirname "$BIN_DIR")")) on 127.0.0.1:$PG_PORT, log $LOG_FILE"
  # 9>&-: the server must not inherit (and so hold) our flock.
  if ! as_pg "$BIN_DIR/pg_ctl" start -D "$PGDATA_DIR" -l "$LOG_FILE" -w -t "$START_TIMEOUT" >/dev/null 2>&1 9>&- \
      || ! wait_ready; then
    show_log_tail
    die "PostgreSQL failed to start or did not become ready within ${START_TIMEOUT}s"
  fi
  provision
  log "ready on 127.0.0.1:$PG_PORT; start took $(elapsed "$t0")s"
}

cmd_stop() {
  BIN_DIR=$(find_bin_dir || true)
  if [[ -z ${BIN_DIR:-} || ! -f $PGDATA_DIR/PG_VERSION ]]; then
    log "not running (no cluster in $PGDATA_DIR)"
    return 0
  fi
  if ! pg_running; then
    log "not running ($PGDATA_DIR)"
    return 0
  fi
  local t0
  t0=$(now_us)
  if ! as_pg "$BIN_DIR/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w -t 60 >/dev/null; then
    show_log_tail
    die "pg_ctl stop failed"
  fi
  log "stopped ($PGDATA_DIR) in $(elapsed "$t0")s"
}

cmd_status() {
  BIN_DIR=$(find_bin_dir || true)
  if [[ -z ${BIN_DIR:-} ]]; then
    echo "postgres: not installed"
    return 3
  fi
  if pg_running; then
    local pid
    pid=$(head -n 1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null || echo '?')
    if port_answers; then
      echo "postgres: running (pid $pid, 127.0.0.1:$PG_PORT, data $PGDATA_DIR)"
      return 0
    fi
    echo "postgres: running (pid $pid, data $PGDATA_DIR) but 127.0.0.1:$PG_PORT does not answer"
    return 1
  fi
  if port_answers; then
    echo "postgres: stopped ($PGDATA_DIR), but another server answers on 127.0.0.1:$PG_PORT"
    return 3
  fi
  echo "postgres: stopped (data $PGDATA_DIR)"
  return 3
}

cmd_env() {
  local svc upper
  echo "export JIUZHU_PG_ADMIN_URL=postgresql+asyncpg://$ADMIN_ROLE:$ADMIN_PASSWORD@$PG_HOST:$PG_PORT/postgres"
  for svc in "${SERVICES[@]}"; do
    upper=${svc^^}
    echo "export JIUZHU_PG_URL_$upper=postgresql+asyncpg://$svc:$svc@$PG_HOST:$PG_PORT/jiuzhu_$svc"
  done
}

usage() {
  echo "usage: $0 {start|stop|status|env}" >&2
  exit 2
}

case "${1:-}" in
  start) with_lock; cmd_start ;;
  stop) with_lock; cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) usage ;;
esac
