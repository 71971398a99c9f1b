#!/usr/bin/env bash
# The shopper-journey mix (issue 18): what a store owner would see.
#
#   bash bench/journey.sh                  # full: 32 shoppers for 60 s on PostgreSQL: about 2 min after the build
#   DURATION=5s bash bench/journey.sh      # a quick look
#   DB=sqlite bash bench/journey.sh        # on SQLite
#
# Loads the benchmark catalogue into a fresh database (${DB_PREFIX}journey,
# or a SQLite file), starts the server on 127.0.0.1:$PORT with the
# catalogue cache on (in process), and runs `loadgen journey`: each of
# CONCURRENCY shoppers loops over browse 70 % (Q1 20, Q2 30, Q3 20),
# search 15 % (one word 10, two words 5), cart writes 10 % (add a line,
# creating the cart; change a line's quantity) and checkout 5 % (place
# the cart built so far as a guest). Reports p99 and errors per
# operation and the catalogue cache's hit rate, into the section
# "journey" of bench/RESULTS.md.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DB=${DB:-postgres}
CONCURRENCY=${CONCURRENCY:-32}
DURATION=${DURATION:-60s}
PORT=${PORT:-18282}
OUT=${OUT:-$ROOT/bench/RESULTS.md}

services
build
case $DB in
  postgres) name=${DB_PREFIX}journey; url=$(fresh_pg "$name") ;;
  sqlite) name=; url=sqlite://$WORK/journey.db ;;
  *) log "DB: postgres or sqlite, not $DB"; exit 2 ;;
esac
log "loading the benchmark catalogue into $DB"
load "$url" "$CATALOG_SIZE" "$name" >/dev/null
start_server "$url" "$PORT" CATALOG_CACHE=true
"$LOADGEN_BIN" journey -url "http://127.0.0.1:$PORT/graphql" -db "$DB" \
  -concurrency "$CONCURRENCY" -duration "$DURATION" -out "$WORK/journey.md"
stop_server
if [ -n "$name" ]; then psql_ -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"; fi
{
  echo "## Shopper-journey mix"
  echo
  echo "\`bash bench/journey.sh\`, the 2,000-product catalogue."
  echo
  "$LOADGEN_BIN" report -machine
  echo
  cat "$WORK/journey.md"
} >"$WORK/section.md"
"$LOADGEN_BIN" report -splice "journey-$DB" -from "$WORK/section.md" -out "$OUT"
log "wrote $OUT"
