#!/usr/bin/env bash
# The client suite: the npm clients storefronts and dashboards use
# (Apollo Client, urql with graphcache, graphql-ws, GraphQL Code Generator),
# unmodified, against a real Savannah server started here on loopback.
#
#   bash clients/run.sh                    # SQLite, in a temporary directory
#   DATABASE_URL=postgres://… REDIS_URL=redis://… bash clients/run.sh
#
# Installs the pinned packages (npm ci), generates typed documents from the
# committed schema and the contract and compiles them under tsc --strict,
# builds and starts the server (seeded demo store plus an ADMIN account),
# runs `node --test`, and stops the server by its PID.
set -euo pipefail
cd "$(dirname "$0")"
export GOFLAGS="${GOFLAGS:--buildvcs=false}" GOTOOLCHAIN=local
PORT=${CLIENTS_PORT:-18601}
WORK=$(mktemp -d /tmp/savannah-clients.XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '[clients] %s\n' "$*"; }

log "npm ci"
npm ci --no-audit --no-fund --loglevel=error
log "codegen, then tsc --strict on what it generated"
npx graphql-codegen --config codegen.yml --silent
npx tsc --project tsconfig.json

log "build and start the server on 127.0.0.1:$PORT"
(cd .. && go build -o "$WORK/savannah" ./server)
export DATABASE_URL=${DATABASE_URL:-sqlite://$WORK/savannah.db}
export HTTP_ADDR=127.0.0.1:$PORT LOG_LEVEL=${LOG_LEVEL:-warn} DATA_DIR=$WORK/data
export PUBLIC_URL=http://127.0.0.1:$PORT
# The suite's own requests come from one address: a bucket big enough for
# the suite, so that only the test that asks for throttling meets it.
export RATE_LIMIT_CAPACITY=${RATE_LIMIT_CAPACITY:-100000}
# Short WebSocket timers, so the keep-alive and init-timeout tests take
# seconds; the tests read them back.
export WS_INIT_TIMEOUT=1s WS_PING_INTERVAL=1s
export SAVANNAH_WS_INIT_TIMEOUT_MS=1000 SAVANNAH_WS_PING_MS=1000
if [[ $DATABASE_URL == postgres* ]]; then
  "$WORK/savannah" migrate >"$WORK/migrate.log" 2>&1
fi
ADMIN_EMAIL=clients-admin-$$@example.com ADMIN_PASSWORD=clients-suite-password-1
"$WORK/savannah" serve >"$WORK/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  curl -fs "$PUBLIC_URL/readyz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$WORK/server.log"; echo "server exited"; exit 1; }
  sleep 0.1
done
curl -fsS "$PUBLIC_URL/readyz" >/dev/null
"$WORK/savannah" create-admin --email "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" >"$WORK/admin.log" 2>&1 ||
  { cat "$WORK/admin.log"; exit 1; }

log "node --test"
SAVANNAH_URL=$PUBLIC_URL SAVANNAH_ADMIN_EMAIL=$ADMIN_EMAIL SAVANNAH_ADMIN_PASSWORD=$ADMIN_PASSWORD \
  npm test || { tail -50 "$WORK/server.log"; exit 1; }
