#!/usr/bin/env bash
# Start or stop throwaway PostgreSQL and Redis servers for tests, on loopback
# and non-default ports, installing them from Debian's packages when missing;
# and Mailpit (a test SMTP server with an HTTP API), built with `go install`
# outside the module when missing (it must never enter go.mod).
#
#   eval "$(bash .ci/services.sh start)"   # exports TEST_DATABASE_URL, TEST_SMTP_URL…
#   bash .ci/services.sh stop
#   bash .ci/services.sh running           # exit 0 when all already answer
#
# Idempotent: "start" leaves running servers alone; "stop" stops only the
# servers started from $SVC_DIR, by their data directory and PID files.
set -euo pipefail

SVC_DIR=${SVC_DIR:-/tmp/savannah-ci}
PG_PORT=${PG_PORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}
PG_USER_OS=${PG_USER_OS:-postgres}   # initdb and pg_ctl refuse to run as root
PGDATA_DIR=$SVC_DIR/pg
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
MAILPIT_VERSION=${MAILPIT_VERSION:-v1.27.11}
MAILPIT_SMTP_PORT=${MAILPIT_SMTP_PORT:-51025}
MAILPIT_HTTP_PORT=${MAILPIT_HTTP_PORT:-58025}
MAILPIT_BIN=${MAILPIT_BIN:-$SVC_DIR/bin/mailpit}

log() { printf '[services] %s\n' "$*" >&2; }

install_pkgs() {
  local need=()
  [ -x "$PG_BIN/initdb" ] || need+=(postgresql-15)
  command -v redis-server >/dev/null || need+=(redis-server)
  [ ${#need[@]} -eq 0 ] && return 0
  log "apt-get install ${need[*]}"
  # Keep the packages' maintainer scripts from starting system-wide servers
  # on the default ports.
  local policy_created=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    policy_created=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  [ $policy_created -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

as_pg() { runuser -u "$PG_USER_OS" -- "$@"; }

start_pg() {
  id -u "$PG_USER_OS" >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER_OS"
  mkdir -p "$SVC_DIR"
  chmod 755 "$SVC_DIR"
  if [ ! -s "$PGDATA_DIR/PG_VERSION" ]; then
    install -d -o "$PG_USER_OS" -m 700 "$PGDATA_DIR"
    as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  [ -e "$SVC_DIR/pg.log" ] || install -o "$PG_USER_OS" -m 644 /dev/null "$SVC_DIR/pg.log"
  if as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
    log "postgres already running"
  else
    # A throwaway cluster: durability off for speed; socket in the data dir.
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$SVC_DIR/pg.log" -w -t 60 start \
      -o "-p $PG_PORT -h 127.0.0.1 -k $PGDATA_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
  fi
  for _ in $(seq 1 100); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break
    sleep 0.1
  done
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
  for db in savannah_test savannah_dev savannah_smoke; do
    "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 ||
      "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE $db"
  done
}

start_redis() {
  mkdir -p "$SVC_DIR/redis"
  if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
    log "redis already running"
  else
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
      --pidfile "$SVC_DIR/redis.pid" --logfile "$SVC_DIR/redis.log" --dir "$SVC_DIR/redis" \
      --save '' --appendonly no
  fi
  for _ in $(seq 1 100); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  log "redis did not start"
  cat "$SVC_DIR/redis.log" >&2
  return 1
}

mailpit_ready() { curl -fs -o /dev/null "http://127.0.0.1:$MAILPIT_HTTP_PORT/readyz" 2>/dev/null; }

start_mailpit() {
  if mailpit_ready; then
    log "mailpit already running"
    return 0
  fi
  if [ ! -x "$MAILPIT_BIN" ]; then
    # Built outside the module (from /): as a dependency of the project it
    # would raise shared modules and break the ent CLI. About 1-2 min cold.
    log "go install github.com/axllent/mailpit@$MAILPIT_VERSION"
    mkdir -p "$(dirname "$MAILPIT_BIN")"
    (cd / && GOBIN="$(dirname "$MAILPIT_BIN")" GOFLAGS=-buildvcs=false go install "github.com/axllent/mailpit@$MAILPIT_VERSION")
  fi
  mkdir -p "$SVC_DIR/mailpit"
  # Loopback only: its defaults listen on every interface.
  nohup "$MAILPIT_BIN" --listen "127.0.0.1:$MAILPIT_HTTP_PORT" --smtp "127.0.0.1:$MAILPIT_SMTP_PORT" \
    --database "$SVC_DIR/mailpit/mailpit.db" --max 5000 -q >"$SVC_DIR/mailpit.log" 2>&1 &
  echo $! >"$SVC_DIR/mailpit.pid"
  for _ in $(seq 1 100); do
    mailpit_ready && return 0
    sleep 0.1
  done
  log "mailpit did not start"
  cat "$SVC_DIR/mailpit.log" >&2
  return 1
}

stop_all() {
  if [ -s "$PGDATA_DIR/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null
  fi
  if [ -s "$SVC_DIR/redis.pid" ]; then
    pid=$(cat "$SVC_DIR/redis.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
    fi
    rm -f "$SVC_DIR/redis.pid"
  fi
  if [ -s "$SVC_DIR/mailpit.pid" ]; then
    pid=$(cat "$SVC_DIR/mailpit.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
    fi
    rm -f "$SVC_DIR/mailpit.pid"
  fi
}

pg=postgres://postgres@127.0.0.1:$PG_PORT
case "${1:-start}" in
  start)
    install_pkgs
    start_pg
    start_redis
    start_mailpit
    echo "export TEST_DATABASE_URL='$pg/savannah_test?sslmode=disable'"
    echo "export DEV_DATABASE_URL='$pg/savannah_dev?sslmode=disable'"
    echo "export SMOKE_DATABASE_URL='$pg/savannah_smoke?sslmode=disable'"
    echo "export TEST_REDIS_URL='redis://127.0.0.1:$REDIS_PORT/0'"
    echo "export TEST_SMTP_URL='smtp://127.0.0.1:$MAILPIT_SMTP_PORT?starttls=optional'"
    echo "export TEST_MAILPIT_API='http://127.0.0.1:$MAILPIT_HTTP_PORT'"
    ;;
  stop) stop_all ;;
  running)
    # Exit 0 when all servers already answer.
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null &&
      redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG &&
      mailpit_ready
    ;;
  *)
    echo "usage: $0 start|stop|running" >&2
    exit 2
    ;;
esac
