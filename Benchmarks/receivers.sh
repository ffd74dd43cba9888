#!/usr/bin/env bash
# Receivers benchmark: two receivers sharing one PostgreSQL database next to one receiver on
# SQLite, fed by the same two uploaders in the same run.
#
#   Benchmarks/receivers.sh [COUNT] [CONCURRENCY]   (defaults: 4000 entries per uploader, concurrency 8)
#
# Two spools of COUNT entries each (one installation each) are written once. Then, twice:
#   SQLite:     both uploaders at once against one `receiver serve --db FILE`;
#   PostgreSQL: uploader 1 against receiver 1, uploader 2 against receiver 2, both receivers
#               `receiver serve --database postgres://...` on one database.
# Prints the stored reports/s of each (all reports stored, counted by the receivers' store, divided
# by the wall time from the uploaders' start until both finished), the machine and the build.
# The PostgreSQL server is a throwaway one (initdb in a temporary folder, a free port of
# 127.0.0.1) with PostgreSQL's durable defaults: fsync and synchronous_commit on.
set -euo pipefail

COUNT=${1:-4000}
CONCURRENCY=${2:-8}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PG=/usr/lib/postgresql/15/bin
WORK=$(mktemp -d /tmp/receivers-bench-XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    if [ -f "$WORK/pg/data/postmaster.pid" ]; then as_postgres "$PG/pg_ctl" -D "$WORK/pg/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: run its server tools as the postgres user then.
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then (cd /tmp && runuser -u postgres -- "$@"); else "$@"; fi
}

if [ ! -x "$PG/pg_ctl" ]; then
    echo "installing postgresql-15" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
fi

echo "building release products (swift build -c release -j 1, in .build/release)" >&2
(cd "$ROOT" && swift build -c release -j 1 >/dev/null)
BIN=$(cd "$ROOT" && swift build -c release -j 1 --show-bin-path)

echo "writing 2 x $COUNT entries" >&2
"$BIN/spool-bench-fixture" "$WORK/spool-1" "$WORK/state-1" "$COUNT" >&2
"$BIN/spool-bench-fixture" "$WORK/spool-2" "$WORK/state-2" "$COUNT" >&2

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

echo "starting a throwaway PostgreSQL" >&2
mkdir -p "$WORK/pg"
if [ "$(id -u)" -eq 0 ]; then chmod 711 "$WORK"; chown postgres: "$WORK/pg"; fi
as_postgres "$PG/initdb" -D "$WORK/pg/data" -A trust -U postgres -E UTF8 --no-instructions >/dev/null
PG_PORT=$(free_port)
as_postgres "$PG/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1" start >/dev/null
"$PG/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres bench
DATABASE="postgres://postgres@127.0.0.1:$PG_PORT/bench"

# Starts a receiver with the given store arguments; sets URL (not in a subshell: PIDS must keep it).
start_receiver() {
    local out="$WORK/receiver-${#PIDS[@]}.out"
    "$BIN/receiver" serve --host 127.0.0.1 --port 0 "$@" >"$out" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 400); do
        url=$(grep -o 'http://[0-9.:]*' "$out" || true)
        if [ -n "$url" ]; then URL=$url; return 0; fi
        sleep 0.05
    done
    echo "receiver did not start: $(cat "$out")" >&2
    exit 1
}
stop_receivers() {
    for pid in "${PIDS[@]}"; do kill "$pid"; wait "$pid" 2>/dev/null || true; done
    PIDS=()
}
stored() { curl -s "$1/summary" | sed -n 's/.*"reports":\([0-9]*\).*/\1/p' | tail -1; }
now() { date +%s.%N; }

# Runs both uploaders at once, uploader N to the Nth URL given; prints the seconds taken.
upload_both() { # $1 $2: endpoints, $3: ledger tag
    local start end
    start=$(now)
    "$BIN/uploader" upload "$WORK/spool-1" --endpoint "$1" --ledger "$WORK/ledger-$3-1.sqlite" --concurrency "$CONCURRENCY" >"$WORK/up-$3-1.out" &
    local first=$!
    "$BIN/uploader" upload "$WORK/spool-2" --endpoint "$2" --ledger "$WORK/ledger-$3-2.sqlite" --concurrency "$CONCURRENCY" >"$WORK/up-$3-2.out" &
    local second=$!
    wait "$first"
    wait "$second"
    end=$(now)
    awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}

echo "SQLite: one receiver, both uploaders" >&2
start_receiver --db "$WORK/receiver.sqlite"
SQLITE_URL=$URL
SQLITE_SECONDS=$(upload_both "$SQLITE_URL" "$SQLITE_URL" sqlite)
SQLITE_STORED=$(stored "$SQLITE_URL")
stop_receivers

echo "PostgreSQL: two receivers on one database, one uploader each" >&2
start_receiver --database "$DATABASE"
PG_URL_1=$URL
start_receiver --database "$DATABASE"
PG_URL_2=$URL
PG_SECONDS=$(upload_both "$PG_URL_1" "$PG_URL_2" postgres)
PG_STORED=$("$PG/psql" -X -tA -d "$DATABASE" -c "SELECT count(*) FROM report")
stop_receivers

echo "load:       $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min averages, at the end)"
echo "machine:    $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem:/ { print $2 }') GiB"
echo "build:      $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown), release, $(swift --version 2>/dev/null | head -1)"
echo "postgresql: $("$PG/postgres" --version), fsync on, synchronous_commit on"
awk -v n=$((2 * COUNT)) -v s="$SQLITE_SECONDS" -v p="$PG_SECONDS" -v ss="$SQLITE_STORED" -v ps="$PG_STORED" -v conc="$CONCURRENCY" 'BEGIN {
    printf "entries:    %d (2 uploaders x %d, concurrency %d each)\n", n, n / 2, conc
    printf "%-36s %8s %8s %12s\n", "setup", "stored", "seconds", "reports/s"
    printf "%-36s %8d %8.2f %12.0f\n", "1 receiver, SQLite", ss, s, ss / s
    printf "%-36s %8d %8.2f %12.0f\n", "2 receivers, 1 PostgreSQL database", ps, p, ps / p
}'
