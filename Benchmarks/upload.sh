#!/usr/bin/env bash
# Upload benchmark: the release `uploader` against the release `receiver` on 127.0.0.1, and a
# `curl` loop posting the same entries with the same headers, in the same run.
#
#   Benchmarks/upload.sh [COUNT] [CONCURRENCY]      (defaults: 10000 entries, concurrency 8)
#
# Prints entries/s for both, their ratio, and the uploader's peak RSS (GNU time -v).
# The ledger is durable: SQLite WAL with synchronous=FULL, attempts committed in batches.
set -euo pipefail

COUNT=${1:-10000}
CONCURRENCY=${2:-8}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-replay}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/upload-bench-XXXXXX")
RECEIVER_PID=""
cleanup() {
    if [ -n "$RECEIVER_PID" ]; then kill "$RECEIVER_PID" 2>/dev/null || true; wait "$RECEIVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time for the peak RSS" >&2
    apt-get install -y time >/dev/null
fi

echo "building release products (scratch path $SCRATCH)" >&2
for product in uploader receiver spool-bench-fixture; do
    swift build -c release --scratch-path "$SCRATCH" --product "$product" >/dev/null
done
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)

echo "writing $COUNT entries" >&2
"$BIN/spool-bench-fixture" "$WORK/spool" "$WORK/state" "$COUNT" "$WORK/curl" >&2

start_receiver() { # $1: database
    "$BIN/receiver" serve --host 127.0.0.1 --port 0 --db "$1" > "$WORK/receiver.out" 2>&1 &
    RECEIVER_PID=$!
    for _ in $(seq 1 200); do
        URL=$(grep -o 'http://[0-9.:]*' "$WORK/receiver.out" || true)
        [ -n "$URL" ] && return 0
        sleep 0.05
    done
    echo "receiver did not start: $(cat "$WORK/receiver.out")" >&2
    exit 1
}
stop_receiver() {
    kill "$RECEIVER_PID"; wait "$RECEIVER_PID" 2>/dev/null || true; RECEIVER_PID=""
}
stored() { curl -s "$URL/summary" | sed -n 's/.*"reports":\([0-9]*\).*/\1/p'; }
now() { date +%s.%N; }

# 1. The uploader (verify + ledger + HTTP), timed end to end as a user runs it.
start_receiver "$WORK/receiver-uploader.sqlite"
/usr/bin/time -v -o "$WORK/time.txt" "$BIN/uploader" upload "$WORK/spool" --endpoint "$URL" \
    --ledger "$WORK/ledger.sqlite" --concurrency "$CONCURRENCY" > "$WORK/uploader.out"
cat "$WORK/uploader.out"
UPLOADER_SECONDS=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$WORK/time.txt")
PEAK_KB=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")
UPLOADER_STORED=$(stored)
stop_receiver

# 2. A curl loop: one curl per entry, the same body and headers, against a fresh receiver.
start_receiver "$WORK/receiver-curl.sqlite"
CURL_START=$(now)
for headers in "$WORK"/curl/*.headers; do
    curl -s -o /dev/null --fail -X POST -H @"$headers" --data-binary @"${headers%.headers}.body" "$URL/api/telemetry"
done
CURL_END=$(now)
CURL_STORED=$(stored)
stop_receiver

CURL_SECONDS=$(awk -v a="$CURL_START" -v b="$CURL_END" 'BEGIN { print b - a }')
awk -v n="$COUNT" -v u="$UPLOADER_SECONDS" -v c="$CURL_SECONDS" -v kb="$PEAK_KB" -v us="$UPLOADER_STORED" -v cs="$CURL_STORED" -v conc="$CONCURRENCY" 'BEGIN {
    printf "entries:            %d (stored: uploader %d, curl %d)\n", n, us, cs
    printf "uploader:           %.2f s, %.0f entries/s (concurrency %d, verify + durable ledger included)\n", u, n / u, conc
    printf "curl loop:          %.2f s, %.0f entries/s\n", c, n / c
    printf "ratio:              %.1fx\n", (n / u) / (n / c)
    printf "uploader peak RSS:  %.1f MiB\n", kb / 1024
}'
