# Shared by bench/curves.sh, bench/checkout.sh and bench/journey.sh
# (sourced, not run): building, loading a catalogue, and starting and
# stopping the server by its PID. Servers listen on 127.0.0.1 only.

# A failing step inside $(...) (a load, a fresh database) stops the script.
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CATALOG=${CATALOG:-$ROOT/../shared/bench/catalog.json}
CATALOG_SIZE=${CATALOG_SIZE:-2000}   # products in $CATALOG
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-55432}
DB_PREFIX=${DB_PREFIX:-bench18_}
WORK=$(mktemp -d /tmp/savannah-bench.XXXXXX)
SERVER_PID=

log() { printf '[bench] %s\n' "$*" >&2; }
psql_() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qAt "$@"; }
pg_url() { echo "postgres://postgres@127.0.0.1:$PG_PORT/$1?sslmode=disable"; }

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT

# build: the server and the load generator, unless SERVER_BIN and
# LOADGEN_BIN name binaries already built from this tree.
build() {
  SERVER_BIN=${SERVER_BIN:-}
  LOADGEN_BIN=${LOADGEN_BIN:-}
  if [ -z "$SERVER_BIN" ]; then
    log "building the server"
    (cd "$ROOT" && go build -o "$WORK/server" ./server)
    SERVER_BIN=$WORK/server
  fi
  if [ -z "$LOADGEN_BIN" ]; then
    (cd "$ROOT" && go build -o "$WORK/loadgen" ./bench/loadgen)
    LOADGEN_BIN=$WORK/loadgen
  fi
  export SEED_DEMO=false LOG_LEVEL=warn
  # Production requires a signing key; a throwaway one for this run.
  JWT_PRIVATE_KEY=$(openssl genpkey -algorithm ed25519)
  export JWT_PRIVATE_KEY
}

# load URL SIZE [PGDB]: a catalogue of SIZE products into the (empty)
# database at URL (PostgreSQL database PGDB, analysed after): the
# benchmark file when SIZE is its size, else the generator. Prints the
# seconds it took.
load() {
  local url=$1 size=$2 pgdb=${3:-} t0 t1
  t0=$(date +%s.%N)
  if [ "$size" = "$CATALOG_SIZE" ] && [ -f "$CATALOG" ]; then
    DATABASE_URL=$url "$SERVER_BIN" seed --catalog "$CATALOG" >&2
  else
    [ "$size" = "$CATALOG_SIZE" ] && log "no $CATALOG: generating $size products instead"
    DATABASE_URL=$url "$SERVER_BIN" seed --generate "$size" >&2
  fi
  if [ -n "$pgdb" ]; then psql_ -d "$pgdb" -c "VACUUM ANALYZE"; fi
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }'
}

# pg_products NAME: the products in the PostgreSQL database NAME, or
# nothing when it or its products table is missing.
pg_products() {
  psql_ -d "$1" -c "SELECT count(*) FROM products" 2>/dev/null || true
}

# sqlite_products FILE: the products in the SQLite file FILE, or nothing
# when it is missing, unreadable or sqlite3 is not installed.
sqlite_products() {
  [ -f "$1" ] && command -v sqlite3 >/dev/null || return 0
  sqlite3 -readonly "$1" "SELECT count(*) FROM products" 2>/dev/null || true
}

# fresh_pg NAME: drops and creates the scratch database NAME; prints its URL.
fresh_pg() {
  psql_ -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)"
  psql_ -c "CREATE DATABASE $1"
  pg_url "$1"
}

# start_server URL PORT [ENV=VALUE...]: the server in production mode on
# 127.0.0.1:PORT over the database at URL, rate limits exempt for
# loopback; waits until it is ready. Sets SERVER_PID.
start_server() {
  local url=$1 port=$2
  shift 2
  env DATABASE_URL="$url" HTTP_ADDR="127.0.0.1:$port" APP_ENV=production AUTO_MIGRATE=false \
    RATE_LIMIT_EXEMPT=127.0.0.1/32 REDIS_URL= "$@" \
    "$SERVER_BIN" >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$WORK/server.log" >&2; return 1; }
    sleep 0.1
  done
  log "the server did not get ready"; tail -20 "$WORK/server.log" >&2
  return 1
}

# services: PostgreSQL (and Redis) through .ci/services.sh, left alone when
# already running.
services() {
  bash "$ROOT/.ci/services.sh" running >/dev/null 2>&1 || eval "$(bash "$ROOT/.ci/services.sh" start)"
}
