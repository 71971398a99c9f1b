#!/usr/bin/env bash
# The two-replica proof, on one machine, in about a minute:
#
#   bash scripts/two-replicas.sh
#
# Two api processes (A and B, `serve --role api`) and one worker
# (`serve --role worker`) over one PostgreSQL database and one Redis, with
# email going to Mailpit (services from .ci/services.sh). Then, with the
# client side in scripts/proof:
#   (a) orders: N orders placed through A and B alternately; every
#       notification (SMS and email to the customer, email to the store) is
#       SENT exactly once, after one attempt, and Mailpit holds each email
#       exactly once;
#   (b) rate limits: a client's bucket emptied through A is empty on B;
#   (c) rolling restart under load: requests go round-robin to the
#       replicas in rotation whose /readyz answers 200 (polled every
#       100 ms, as a load balancer does) while A, then B, is taken out of
#       rotation, gets SIGTERM PRESTOP seconds later (as Kubernetes'
#       endpoint removal and preStop sleep do), must exit 0, and is started
#       again; not one request may fail.
# Exits non-zero on any failed check. Everything listens on 127.0.0.1;
# every process it starts is stopped by its PID on exit.
#
# Settings: ORDERS (10); DRAIN_DELAY (SHUTDOWN_DRAIN_DELAY of the apis,
# 1s: a stopping replica answers /readyz 503 but keeps accepting for this
# long, longer than the poll interval); PRESTOP (0: readiness polling and
# the drain delay alone move traffic away; N takes a replica out of
# rotation N seconds before its SIGTERM, as a preStop sleep does); KEEP=1
# keeps the work directory and logs.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}" GOTOOLCHAIN=local

ORDERS=${ORDERS:-10}
DRAIN_DELAY=${DRAIN_DELAY:-1s}
PRESTOP=${PRESTOP:-0}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}
REDIS_DB=${REDIS_DB:-11}            # this proof's own Redis database, flushed at start
PORT_A=${PORT_A:-18501} PORT_B=${PORT_B:-18502} PORT_W=${PORT_W:-18503}
DB=savannah_replicas
RUN=$(date +%s)-$$
WORK=$(mktemp -d /tmp/savannah-replicas.XXXXXX)
A=http://127.0.0.1:$PORT_A B=http://127.0.0.1:$PORT_B W=http://127.0.0.1:$PORT_W

log() { printf '\n[two-replicas] %s\n' "$*"; }
fail() { printf '\n[two-replicas] FAIL: %s\n' "$*" >&2; exit 1; }

declare -A PID=()
LOAD_PID="" WATCHDOG_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for name in "${!PID[@]}" load; do
    local pid=${PID[$name]:-}
    [ "$name" = load ] && pid=$LOAD_PID
    [ -n "$pid" ] || continue
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  [ -n "$WATCHDOG_PID" ] && kill "$WATCHDOG_PID" 2>/dev/null
  if [ $rc -ne 0 ]; then
    for f in "$WORK"/*.log; do
      [ -e "$f" ] || continue
      echo "--- last lines of $f"
      tail -n 15 "$f"
    done
  fi
  if [ "${KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# The whole run is bounded: past three minutes it stops itself.
(
  trap 'kill $s 2>/dev/null; exit 0' TERM
  sleep 180 & s=$!
  wait $s
  echo "[two-replicas] FAIL: over 3 minutes" >&2
  kill -TERM $$
) &
WATCHDOG_PID=$!

log "services"
eval "$(bash .ci/services.sh start)"
: "${TEST_SMTP_URL:?}" "${TEST_MAILPIT_API:?}"

log "building the server and the proof client"
CGO_ENABLED=0 go build -trimpath -ldflags "-X main.version=two-replicas" -o "$WORK/savannah" ./server
go build -o "$WORK/proof" ./scripts/proof

log "fresh database $DB, Redis database $REDIS_DB"
"$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" -n "$REDIS_DB" flushdb >/dev/null

# One configuration for every process, as one Deployment's ConfigMap and
# Secret would give it. Shoppers are told apart by X-Forwarded-For from
# loopback; the load and the staff come from an exempt network; the rate
# limit is small so that (b) empties a bucket in a few requests.
JWT_PRIVATE_KEY=$("$WORK/proof" keygen)
export JWT_PRIVATE_KEY
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/$DB?sslmode=disable" \
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT/$REDIS_DB" \
  AUTO_MIGRATE=false SEED_DEMO=true LOG_LEVEL=info \
  SHUTDOWN_TIMEOUT=10s SHUTDOWN_DRAIN_DELAY="$DRAIN_DELAY" \
  SMTP_URL="$TEST_SMTP_URL" SMTP_FROM="Savannah <orders@example.com>" \
  NOTIFY_ADMIN_EMAILS="ops-$RUN@example.com" \
  TRUSTED_PROXIES=127.0.0.1/32 RATE_LIMIT_EXEMPT=10.99.0.0/16 \
  QUERY_MAX_COST=600 RATE_LIMIT_CAPACITY=600 RATE_LIMIT_RESTORE_RATE=1

log "savannah migrate"
"$WORK/savannah" migrate >"$WORK/migrate.log" 2>&1 || fail "migrate failed"

# start NAME ROLE PORT: a server in the background, its PID in PID[NAME].
start() {
  HTTP_ADDR=127.0.0.1:$3 "$WORK/savannah" serve --role "$2" >>"$WORK/$1.log" 2>&1 &
  PID[$1]=$!
}
# wait_ready NAME URL: until /readyz answers 200, for 30 s at most.
wait_ready() {
  for _ in $(seq 1 300); do
    curl -fs -o /dev/null "$2/readyz" && return 0
    kill -0 "${PID[$1]}" 2>/dev/null || fail "$1 exited while starting"
    sleep 0.1
  done
  fail "$1 not ready after 30 s"
}
# stop NAME: SIGTERM and wait; graceful shutdown must exit 0.
stop() {
  local pid=${PID[$1]} rc=0
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  PID[$1]=""
  [ $rc -eq 0 ] || fail "$1 exited $rc after SIGTERM"
}

log "starting api A (seeds the demo store), then api B and the worker"
start A api "$PORT_A"; wait_ready A "$A"
start B api "$PORT_B"; start W worker "$PORT_W"
wait_ready B "$B"; wait_ready W "$W"
echo "A pid ${PID[A]} on $A, B pid ${PID[B]} on $B, worker pid ${PID[W]} on $W"
STAFF_EMAIL="staff-$RUN@example.com" STAFF_PASSWORD="Proof-staff-$RUN"
"$WORK/savannah" create-admin --email "$STAFF_EMAIL" --password "$STAFF_PASSWORD" >>"$WORK/migrate.log" 2>&1 ||
  fail "create-admin failed"

log "(a) $ORDERS orders through A and B: every notification delivered exactly once"
"$WORK/proof" orders -a "$A" -b "$B" -n "$ORDERS" -run "$RUN" -mailpit "$TEST_MAILPIT_API" \
  -admin-email "ops-$RUN@example.com" -staff-email "$STAFF_EMAIL" -staff-password "$STAFF_PASSWORD" -timeout 60s

log "(b) rate limits are shared"
"$WORK/proof" ratelimit -a "$A" -b "$B"

log "(c) rolling restart of A then B under load (drain delay $DRAIN_DELAY, out of rotation ${PRESTOP}s before SIGTERM)"
ROTATION=$WORK/out-of-rotation
: >"$ROTATION"
"$WORK/proof" load -backends "A=$A,B=$B" -concurrency 8 -poll 100ms -rotation-file "$ROTATION" -max-duration 90s &
LOAD_PID=$!
sleep 2
for name in A B; do
  url=$A port=$PORT_A
  [ $name = B ] && url=$B port=$PORT_B
  if [ "$PRESTOP" != 0 ]; then
    echo "$url" >"$ROTATION"
    sleep "$PRESTOP"
  fi
  echo "SIGTERM $name (pid ${PID[$name]})"
  stop $name
  echo "$name exited 0; starting it again"
  start $name api "$port"
  wait_ready $name "$url"
  : >"$ROTATION"
  sleep 2
done
kill -TERM "$LOAD_PID"
rc=0
wait "$LOAD_PID" || rc=$?
LOAD_PID=""
[ $rc -eq 0 ] || fail "requests failed during the rolling restart"

log "stopping: the worker and both apis exit 0 on SIGTERM"
stop W; stop A; stop B

log "all checks passed"
