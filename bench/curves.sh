#!/usr/bin/env bash
# Curves: how each storefront operation's cost grows with the catalogue,
# on PostgreSQL and on SQLite (issue 18).
#
#   bash bench/curves.sh     # full: 2k, 20k, 200k products × PostgreSQL, SQLite;
#                            # 7 operations × (5 s warm-up + 20 s), plus the
#                            # direct-SQL ceiling on PostgreSQL: about 30 min
#                            # of measuring plus the loads (on the 2-core VM,
#                            # loaded: 200k took 225 s into PostgreSQL, 93 s
#                            # into SQLite; 20k about 20 s each)
#   SIZES=2000 DBS=sqlite DURATION=3s WARMUP=1s bash bench/curves.sh   # a quick look, ~1 min after the build
#
# For each size: loads the catalogue into a fresh PostgreSQL database
# (${DB_PREFIX}curves_N) and a fresh SQLite file (`server seed --catalog`
# for the 2,000-product benchmark file, `server seed --generate N` for
# the others), starts the server on 127.0.0.1:$PORT with the catalogue
# cache off, and runs `loadgen curves`: Q1, Q2, Q3, Q3b, search with one
# and two words, categoryTree, at concurrency 16, with SQL statements,
# server and database CPU per request and the server's RssAnon peak, and
# the direct-SQL ceiling of Q1-Q3b on PostgreSQL. Then `loadgen report`
# writes the curves' section of bench/RESULTS.md and bench/curves.svg.
# The server is stopped by its PID; everything stops by itself. Wants a
# quiet machine. SERVER_BIN=/path skips building the server; OPS=Q3,Q3b
# measures only those.
#
# KEEP=1 keeps the loaded catalogues after the run and reuses them in the
# next KEEP=1 run, skipping the loads: the PostgreSQL database
# ${DB_PREFIX}curves_N and the SQLite file $KEEP_DIR/curves_N.db
# (KEEP_DIR: /tmp/savannah-curves unless set), each reused only when it
# holds N products, and brought up to this server's schema and search
# index first (`server migrate`). Drop them by hand when done.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SIZES=${SIZES:-2000,20000,200000}
DBS=${DBS:-postgres,sqlite}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-5s}
CONCURRENCY=${CONCURRENCY:-16}
OPS=${OPS:-}                       # a subset, such as OPS=Q3,Q3b (default: all)
PORT=${PORT:-18280}
OUT=${OUT:-$ROOT/bench/RESULTS.md}
SVG=${SVG:-$ROOT/bench/curves.svg}
POINTS=${POINTS:-$ROOT/bench/curves.jsonl}   # the raw points, kept beside the plot
KEEP=${KEEP:-}                     # 1: keep the loaded catalogues and reuse them
KEEP_DIR=${KEEP_DIR:-/tmp/savannah-curves}

services
build
: >"$POINTS"
loads=""
for size in ${SIZES//,/ }; do
  for db in ${DBS//,/ }; do
    reuse=
    case $db in
      postgres)
        name=${DB_PREFIX}curves_$size
        if [ -n "$KEEP" ] && [ "$(pg_products "$name")" = "$size" ]; then
          url=$(pg_url "$name") reuse=1
        else
          url=$(fresh_pg "$name")
        fi
        dsn=$url ;;
      sqlite)
        dir=$WORK
        [ -n "$KEEP" ] && dir=$KEEP_DIR && mkdir -p "$dir"
        file=$dir/curves_$size.db
        if [ -n "$KEEP" ] && [ "$(sqlite_products "$file")" = "$size" ]; then
          reuse=1
        else
          rm -f "$file"*
        fi
        url=sqlite://$file
        dsn= ;;
      *) log "DBS: postgres or sqlite, not $db"; exit 2 ;;
    esac
    if [ -n "$reuse" ]; then
      log "reusing $size products on $db (KEEP=1)"
      DATABASE_URL=$url "$SERVER_BIN" migrate >&2
      loads="$loads $size on $db: reused;"
    else
      log "loading $size products into $db"
      secs=$(load "$url" "$size" "${name:-}")
      log "loaded in ${secs}s"
      loads="$loads $size on $db: ${secs} s;"
    fi
    start_server "$url" "$PORT" CATALOG_CACHE=false
    "$LOADGEN_BIN" curves -url "http://127.0.0.1:$PORT/graphql" -dsn "$dsn" -pid "$SERVER_PID" \
      -db "$db" -size "$size" -concurrency "$CONCURRENCY" -duration "$DURATION" -warmup "$WARMUP" \
      -ops "$OPS" -results "$POINTS"
    stop_server
    if [ -z "$KEEP" ]; then
      if [ "$db" = postgres ]; then psql_ -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"; fi
      rm -f "$WORK/curves_$size.db"*
    fi
    name=
  done
done
"$LOADGEN_BIN" report -results "$POINTS" -out "$OUT" -svg "$SVG" \
  -note "${NOTE:-}${NOTE:+ }Catalogue loads (\`server seed\`, then VACUUM ANALYZE on PostgreSQL):$loads"
log "wrote $OUT and $SVG"
