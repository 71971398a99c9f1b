#!/usr/bin/env bash
# The benchmark, in one command (from the repository root or anywhere):
#
#   bash bench/run.sh                 # full run: Q1-Q3 at concurrency 16 and 64, 20 s each
#   DURATION=5s WARMUP=2s bash bench/run.sh   # a quick look
#
# Starts PostgreSQL (and Redis) through .ci/services.sh, builds the server
# and the load generator, loads ../shared/bench/catalog.json into a fresh
# database with `server seed --catalog`, starts the server on loopback,
# warms up, drives the three operations, replays the same SQL directly for
# the ceiling, then (CACHED_PASS=1, the default) drives the same operations
# again with the catalogue cache on, and writes bench/RESULTS.md. The server is stopped by its
# PID on exit. Not run in CI: it takes about five minutes and wants a
# quiet machine.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
CATALOG=${CATALOG:-$ROOT/../shared/bench/catalog.json}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-5s}
CONCURRENCY=${CONCURRENCY:-16,64}
PORT=${PORT:-18080}
OUT=${OUT:-$ROOT/bench/RESULTS.md}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-55432}
WORK=$(mktemp -d /tmp/savannah-bench.XXXXXX)
DB=savannah_bench
DSN="postgres://postgres@127.0.0.1:$PG_PORT/$DB?sslmode=disable"

log() { printf '[bench] %s\n' "$*" >&2; }

eval "$(bash .ci/services.sh start)"

log "building"
go build -o "$WORK/server" ./server
go build -o "$WORK/loadgen" ./bench/loadgen

log "fresh database $DB"
"$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
"$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE $DB"

export DATABASE_URL=$DSN SEED_DEMO=false LOG_LEVEL=warn
# Production requires a signing key; a throwaway one for this run.
JWT_PRIVATE_KEY=$(openssl genpkey -algorithm ed25519)
export JWT_PRIVATE_KEY
log "loading $CATALOG"
"$WORK/server" seed --catalog "$CATALOG"
"$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$DB" -qc "VACUUM ANALYZE"

# Production settings, rate limit exempt for the load generator's
# address, and the catalogue cache off: the numbers are the database path,
# not cache hits.
log "starting the server on 127.0.0.1:$PORT"
HTTP_ADDR=127.0.0.1:$PORT APP_ENV=production AUTO_MIGRATE=false \
  RATE_LIMIT_EXEMPT=127.0.0.1/32 CATALOG_CACHE=${CATALOG_CACHE:-false} \
  "$WORK/server" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
cleanup() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.1
done
curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null

# The report replaces $OUT; the sections other scripts generated
# (bench/curves.sh, checkout.sh, journey.sh) are kept.
[ -f "$OUT" ] && cp "$OUT" "$WORK/previous.md"
"$WORK/loadgen" -url "http://127.0.0.1:$PORT/graphql" -dsn "$DSN" -catalog "$CATALOG" \
  -pid "$SERVER_PID" -duration "$DURATION" -warmup "$WARMUP" -concurrency "$CONCURRENCY" \
  -out "$OUT" -note "${NOTE:-}"

if [ "${CACHED_PASS:-1}" = 1 ]; then
  # A second pass with the catalogue cache on: what anonymous shoppers get
  # when the catalogue is not changing.
  log "restarting the server with the catalogue cache on"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  HTTP_ADDR=127.0.0.1:$PORT APP_ENV=production AUTO_MIGRATE=false \
    RATE_LIMIT_EXEMPT=127.0.0.1/32 CATALOG_CACHE=true \
    "$WORK/server" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  "$WORK/loadgen" -url "http://127.0.0.1:$PORT/graphql" -catalog "$CATALOG" \
    -pid "$SERVER_PID" -duration "$DURATION" -warmup "$WARMUP" -concurrency "${CACHED_CONCURRENCY:-16}" \
    -section "With the catalogue cache on (in process), same operations" -out "$WORK/cached.md"
  cat "$WORK/cached.md" >>"$OUT"
fi
if [ -f "$WORK/previous.md" ]; then
  "$WORK/loadgen" report -keep -from "$WORK/previous.md" -out "$OUT"
fi
log "wrote $OUT"
