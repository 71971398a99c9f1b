#!/usr/bin/env bash
# The subscription benchmark, in one command (from the repository root or anywhere):
#
#   bash bench/ws.sh                          # full run: 2k, 8k and 16k sockets, SQLite and PostgreSQL + Redis
#   SIZES=200,2000 bash bench/ws.sh           # a quick look
#   DATABASES=sqlite SIZES=500 bash bench/ws.sh
#   SERVER_BIN=/path/to/server bash bench/ws.sh   # measure another build of the server
#
# For each database and each size it starts fresh servers on loopback
# (SQLite: one on 127.0.0.1:18180; PostgreSQL + Redis: two replicas on
# 18180 and 18181 sharing DATABASE_URL and REDIS_URL, the sockets split
# across both and every change made on the first), then runs
# `wsload run`: shape 1 (every socket watches one order), shape 2 (each
# socket its own order) and, at the first size, shape 3 (500 staff
# dashboards on orderEvents while orders are placed). The servers are
# stopped by their PIDs after each size and on exit. It writes the
# "Subscriptions at scale" section of bench/RESULTS.md (replacing an
# earlier one; bench/run.sh rewrites that file, so run this after it) and
# bench/subscriptions.svg.
#
# The store: a one-product catalogue whose variant tracks no stock (so
# 16k orders never run out), loaded with `server seed --catalog`, and a
# staff account made with `server create-admin`; the load generator signs
# in as it. Shape 2's orders are guest checkouts placed through GraphQL
# before the sockets open, kept between sizes of one database.
#
# Every process here may hold at most `ulimit -Hn` open files (20,000 on
# the reference machine): a server can hold at most ~16k sockets, and the
# load generator spreads its sockets over client processes of PER_PROCESS
# sockets each and over loopback source addresses 127.0.0.2… Servers get
# WS_MAX_SOCKETS and WS_MAX_SOCKETS_PER_ADDR well above the sizes (servers
# without those caps ignore them). Sockets refused (HTTP 503/429) or closed
# (1013/1008) are counted as failures, not fatal. Not run in CI: it wants
# a quiet machine and takes about 15 minutes at the full sizes.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SIZES=${SIZES:-2000,8000,16000}
DATABASES=${DATABASES:-sqlite,postgres}
PORT_A=${PORT_A:-18180}
PORT_B=${PORT_B:-18181}
RATE=${RATE:-1000}              # sockets opened per second
PER_PROCESS=${PER_PROCESS:-5000}
LOCAL_ADDRS=${LOCAL_ADDRS:-8}    # loopback source addresses 127.0.0.2…
DASHBOARDS=${DASHBOARDS:-500}
PLACE_FOR=${PLACE_FOR:-20s}
PLACE_WORKERS=${PLACE_WORKERS:-4}
TIMEOUT=${TIMEOUT:-30m}          # wsload gives up a size after this
OUT=${OUT:-$ROOT/bench/RESULTS.md}
SVG=${SVG:-$ROOT/bench/subscriptions.svg}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-55432}
DB=${DB:-wsbench_subscriptions}
WORK=$(mktemp -d /tmp/savannah-ws.XXXXXX)
ADMIN_EMAIL=wsload-admin@example.com
ADMIN_PASSWORD=wsload-$(openssl rand -hex 12)

log() { printf '[ws] %s\n' "$*" >&2; }

SERVER_PIDS=()
stop_servers() {
  for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  SERVER_PIDS=()
}
WSLOAD_PID=
cleanup() {
  # The load generator's client processes end when it does (their stdin
  # closes).
  [ -n "$WSLOAD_PID" ] && kill "$WSLOAD_PID" 2>/dev/null
  stop_servers
  rm -rf "$WORK"
}
trap cleanup EXIT
# Bash runs no trap while it waits for a command in the foreground, so
# the load generator runs in the background and is waited for: stopping
# this script (Ctrl-C, kill) then stops it and the servers too.
trap 'exit 130' INT TERM

# start_server PORT: one server with the environment already exported.
start_server() {
  local port=$1
  HTTP_ADDR=127.0.0.1:$port "$WORK/server" >>"$WORK/server-$port.log" 2>&1 &
  local pid=$!
  SERVER_PIDS+=("$pid")
  for _ in $(seq 1 200); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { tail -20 "$WORK/server-$port.log" >&2; return 1; }
    sleep 0.1
  done
  log "server on $port not ready"; tail -20 "$WORK/server-$port.log" >&2; return 1
}

log "building"
if [ -n "${SERVER_BIN:-}" ]; then
  cp "$SERVER_BIN" "$WORK/server"   # another build of the server, to compare
else
  go build -o "$WORK/server" ./server
fi
go build -o "$WORK/wsload" ./bench/wsload

# The store's one product: its variant tracks no stock.
cat >"$WORK/catalog.json" <<'EOF'
{"format": "bench-catalog/1", "currency": "KES",
 "categories": [{"id": 1, "slug": "bench", "name": "Bench", "description": "Orders for the subscription benchmark.", "parentId": null, "depth": 0, "position": 0, "path": ["bench"]}],
 "products": [{"id": 1, "slug": "bench-item", "name": "Bench item", "description": "An item that never runs out.", "categoryId": 1, "categorySlug": "bench",
   "variants": [{"sku": "BENCH-1", "name": "Bench item", "size": "M", "price": 10000, "stockOnHand": 0, "trackInventory": false}]}]}
EOF

# Production settings (so the effective limits are the production ones),
# a throwaway signing key, no rate limit for loopback, socket caps above
# the sizes.
export APP_ENV=production AUTO_MIGRATE=true SEED_DEMO=false LOG_LEVEL=warn \
  RATE_LIMIT_EXEMPT=127.0.0.0/8 WS_MAX_SOCKETS=${WS_MAX_SOCKETS:-60000} \
  WS_MAX_SOCKETS_PER_ADDR=${WS_MAX_SOCKETS_PER_ADDR:-60000}
JWT_PRIVATE_KEY=$(openssl genpkey -algorithm ed25519)
export JWT_PRIVATE_KEY

# prepare_store: migrate, load the catalogue, make the staff account.
prepare_store() {
  "$WORK/server" migrate >/dev/null
  "$WORK/server" seed --catalog "$WORK/catalog.json" >/dev/null
  "$WORK/server" create-admin --email "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" >/dev/null
}

# measure LABEL SIZE SHAPE3 URLS PIDS: one wsload run, its JSON numbered
# in run order (the report lists setups in that order).
RUNS=0
measure() {
  local label=$1 size=$2 dash=$3 urls=$4 pids=$5 tag
  tag=$(echo "$label" | tr -cd 'a-zA-Z0-9')
  RUNS=$((RUNS + 1))
  "$WORK/wsload" run -label "$label" -urls "$urls" -pids "$pids" \
    -email "$ADMIN_EMAIL" -password "$ADMIN_PASSWORD" -sockets "$size" \
    -rate "$RATE" -per-process "$PER_PROCESS" -local-addrs "$LOCAL_ADDRS" -dashboards "$dash" \
    -place-for "$PLACE_FOR" -place-workers "$PLACE_WORKERS" \
    -orders-file "$WORK/orders-$tag.txt" -timeout "$TIMEOUT" -out "$WORK/run-$(printf %03d $RUNS).json" &
  WSLOAD_PID=$!
  wait "$WSLOAD_PID" ||
    log "wsload failed for $label at $size sockets: that size is left out of the report"
  WSLOAD_PID=
}

IFS=, read -ra sizes <<<"$SIZES"
IFS=, read -ra databases <<<"$DATABASES"
for n in "${sizes[@]}"; do
  [ "$n" -gt $(($(ulimit -Hn) - 1000)) ] &&
    log "warning: $n sockets is near or above the open-file limit ($(ulimit -Hn)): a single SQLite server will refuse some"
done
for db in "${databases[@]}"; do
  case $db in
    sqlite)
      export DATABASE_URL="sqlite://$WORK/ws.db"
      unset REDIS_URL
      log "SQLite: preparing the store"
      prepare_store
      first=1
      for n in "${sizes[@]}"; do
        log "SQLite, $n sockets"
        start_server "$PORT_A"
        dash=0; [ $first = 1 ] && dash=$DASHBOARDS
        measure "SQLite, 1 replica" "$n" "$dash" "http://127.0.0.1:$PORT_A/graphql" "${SERVER_PIDS[0]}"
        stop_servers
        first=0
      done
      ;;
    postgres)
      eval "$(bash .ci/services.sh start)"
      "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
      "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE $DB"
      export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/$DB?sslmode=disable"
      export REDIS_URL=$TEST_REDIS_URL
      log "PostgreSQL: preparing the store"
      prepare_store
      first=1
      for n in "${sizes[@]}"; do
        log "PostgreSQL + Redis, two replicas, $n sockets"
        start_server "$PORT_A"
        start_server "$PORT_B"
        dash=0; [ $first = 1 ] && dash=$DASHBOARDS
        measure "PostgreSQL + Redis, 2 replicas" "$n" "$dash" \
          "http://127.0.0.1:$PORT_A/graphql,http://127.0.0.1:$PORT_B/graphql" "${SERVER_PIDS[0]},${SERVER_PIDS[1]}"
        stop_servers
        first=0
      done
      ;;
    *) log "unknown database $db (want sqlite or postgres)"; exit 2 ;;
  esac
done

"$WORK/wsload" report -out "$WORK/section.md" -svg "$SVG" -note "${NOTE:-}" "$WORK"/run-*.json
# Replace an earlier "Subscriptions at scale" section (up to the next
# level-2 heading), or append one.
if [ -f "$OUT" ]; then
  awk '/^## Subscriptions at scale$/ {skip=1; next} skip && /^## / {skip=0} !skip' "$OUT" >"$WORK/results.md"
else
  : >"$WORK/results.md"
fi
{ cat "$WORK/results.md"; echo; cat "$WORK/section.md"; } | cat -s >"$OUT"
log "wrote $OUT and $SVG"
