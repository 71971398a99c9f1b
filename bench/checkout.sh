#!/usr/bin/env bash
# Checkout throughput on PostgreSQL (issue 18): placeOrder through HTTP.
#
#   bash bench/checkout.sh                     # full: 1,000 guests + the race, twice: about 3 min after the build
#   CUSTOMERS=100 HOT_BUYERS=40 HOT_STOCK=10 bash bench/checkout.sh   # a quick look
#   PASSES=on PORT=18381 DB_PREFIX=me_ OUT=/tmp/me.md bash bench/checkout.sh   # one pass, beside another run
#
# Loads the benchmark catalogue into a fresh database (${DB_PREFIX}checkout),
# starts the server on 127.0.0.1:$PORT (catalogue cache off), and runs
# `loadgen checkout`: CUSTOMERS distinct guests (guest checkout with an
# email contact, cash on delivery), each with a 3-line cart, placing their
# orders at concurrency 16; then HOT_BUYERS buyers each with one unit of a
# hot variant whose stock is set to HOT_STOCK, all at once, and checks
# from the database that exactly HOT_STOCK sold. pg_stat_activity and
# pg_locks are sampled during the orders. Then it sets
# `ALTER DATABASE ... SET synchronous_commit = off` on the benchmark
# database (nothing else), restarts the server so its connections take
# it, and runs the same again: the difference is what waiting for the WAL
# flush costs. Writes the section "checkout" of bench/RESULTS.md.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

CUSTOMERS=${CUSTOMERS:-1000}
CONCURRENCY=${CONCURRENCY:-16}
HOT_BUYERS=${HOT_BUYERS:-200}
HOT_STOCK=${HOT_STOCK:-50}
PORT=${PORT:-18281}
PASSES=${PASSES:-on off}   # the synchronous_commit settings to run, in order
OUT=${OUT:-$ROOT/bench/RESULTS.md}

services
build
name=${DB_PREFIX}checkout
url=$(fresh_pg "$name")
log "loading the benchmark catalogue"
load "$url" "$CATALOG_SIZE" "$name" >/dev/null
frag=$WORK/checkout.md
for pass in $PASSES; do
  psql_ -c "ALTER DATABASE $name SET synchronous_commit = $pass"
  start_server "$url" "$PORT" CATALOG_CACHE=false
  log "placeOrder, synchronous_commit = $pass"
  "$LOADGEN_BIN" checkout -url "http://127.0.0.1:$PORT/graphql" -dsn "$url" -pid "$SERVER_PID" \
    -customers "$CUSTOMERS" -concurrency "$CONCURRENCY" -hot-buyers "$HOT_BUYERS" -hot-stock "$HOT_STOCK" \
    -out "$frag"
  stop_server
done
psql_ -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"
{
  echo "## Checkout throughput"
  echo
  echo "\`bash bench/checkout.sh\` on PostgreSQL, the 2,000-product catalogue, guest checkout (email contact, cash on delivery), catalogue cache off. The second pass runs on the same database after the first, with \`synchronous_commit = off\` set for the benchmark database only (ALTER DATABASE), so a commit does not wait for its WAL flush."
  echo
  "$LOADGEN_BIN" report -machine
  echo
  cat "$frag"
} >"$WORK/section.md"
"$LOADGEN_BIN" report -splice checkout -from "$WORK/section.md" -out "$OUT"
log "wrote $OUT"
