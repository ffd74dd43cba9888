#!/usr/bin/env bash
# Receiver ingest measured from outside: `wrk` (Debian package, installed when missing) drives
# the release receiver on 127.0.0.1 with pre-built signed requests of distinct entries
# (`spool-bench-fixture requests`, Benchmarks/ingest.lua): for SECONDS new entries (each
# verified and stored durably before the answer; ENTRIES must outlast the run, which the
# receiver's count of 201 answers checks), then for SECONDS the same again (all duplicates).
#
#   Benchmarks/ingest.sh [ENTRIES] [CONNECTIONS] [RUNS] [SECONDS] [PER]   (defaults: 100000 32 3 10 32)
#
# Then, on a fresh receiver, for SECONDS new entries in pipelines of PER entry requests each
# (docs/PROTOCOL.md section 7; 2 x ENTRIES entries signed for it; 8 connections), counted in
# entries per second.
#
# Prints the machine and build; per run requests/s, latency percentiles and the receiver's CPU
# use (CPU seconds per wall second: 2.0 is both cores); the medians; the receiver's own answer
# counts. Writes Benchmarks/results/ingest-*.csv. About 3.5 minutes with the defaults (signing
# the 300,000 entries takes about 35 s of it).
. "$(dirname "$0")/lib.sh"
ENTRIES=${1:-100000}
CONNECTIONS=${2:-32}
RUNS=${3:-3}
SECONDS_EACH=${4:-10}
PER=${5:-32}
# A pipeline holds PER entries: a few connections keep the receiver busy.
PIPELINE_CONNECTIONS=8
THREADS=2

bench_init ingest
bench_need wrk
bench_build receiver spool-bench-fixture
bench_ceiling
echo "load generator: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $THREADS threads, $CONNECTIONS connections, on the same cores as the receiver"

# wrk_run MODE DURATION LIMIT [FILE CONNECTIONS]: one wrk run over the first LIMIT requests of
# FILE (default: the single entry requests); prints its RESULT fields and the receiver's CPU per second.
wrk_run() {
    local before after
    before=$(bench_cpu "$RECEIVER_PID")
    wrk -t "$THREADS" -c "${5:-$CONNECTIONS}" -d "$2" --timeout 10s -s "$ROOT/Benchmarks/ingest.lua" "$URL/api/telemetry" \
        -- "${4:-$WORK/requests.tsv}" "$THREADS" "$1" "$3" >"$WORK/wrk.out"
    after=$(bench_cpu "$RECEIVER_PID")
    local result seconds
    result=$(grep '^RESULT' "$WORK/wrk.out" | cut -d' ' -f2-) || { cat "$WORK/wrk.out"; exit 1; }
    seconds=$(echo "$result" | sed 's/.*seconds=\([0-9.]*\).*/\1/')
    echo "$result cpu_per_s=$(calc "($after - $before) / $seconds")"
}
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# record_run KIND RUN ENTRIES_PER_REQUEST RESULT: one row of the table, the CSV and the runs file.
record_run() {
    local r=$4 requests seconds rate errors
    requests=$(field requests "$r")
    seconds=$(field seconds "$r")
    rate=$(calc "$requests * $3 / $seconds")
    errors=$(($(field non2xx "$r") + $(field socket_errors "$r")))
    echo "$1 $rate $(field p50_ms "$r") $(field p90_ms "$r") $(field p99_ms "$r")" >>"$WORK/runs"
    bench_csv "$1" "$2" "$requests" "$seconds" "$rate" "$(field p50_ms "$r")" "$(field p90_ms "$r")" "$(field p99_ms "$r")" \
        "$(field max_ms "$r")" "$(field non2xx "$r")" "$(field socket_errors "$r")" "$(field cpu_per_s "$r")"
    printf '%-10s %-4s %-9s %-11.0f %-8s %-8s %-8s %-8s %-12s\n' "$1" "$2" "$requests" "$rate" \
        "$(field p50_ms "$r")" "$(field p90_ms "$r")" "$(field p99_ms "$r")" "$errors" "$(field cpu_per_s "$r")"
}

bench_csv kind run requests seconds requests_per_s p50_ms p90_ms p99_ms max_ms non2xx socket_errors receiver_cpu_per_s
printf '%-10s %-4s %-9s %-11s %-8s %-8s %-8s %-8s %-12s\n' kind run requests entries/s p50_ms p90_ms p99_ms errors "receiver CPU/s"
for run in $(seq "$RUNS"); do
    # Each run signs its own entries (a new installation), so every request of it is new.
    "$BIN/spool-bench-fixture" requests "$WORK/requests.tsv" "$ENTRIES" >/dev/null
    bench_receiver "$WORK/receiver-$run.sqlite"
    for kind in new duplicate; do
        # The duplicates run cycles through the first eighth of what the new run stored (each wrk
        # thread sent its share of those unless one lagged far behind), and says how many of its
        # requests stored a new entry after all.
        if [ "$kind" = new ]; then r=$(wrk_run cycle "${SECONDS_EACH}s" "$ENTRIES"); else r=$(wrk_run cycle "${SECONDS_EACH}s" $((created / 8))); fi
        if [ "$kind" = duplicate ]; then
            after=$(curl -s "$URL/summary" | grep -o '"201":[0-9]*' | cut -d: -f2)
            [ "$after" = "$created" ] || echo "     (the duplicates run stored $((after - created)) new entries among its $(field requests "$r") requests)"
        fi
        if [ "$kind" = new ]; then
            # Every answer of this run must be a 201: a 200 would mean the entries ran out.
            sleep 1 # requests cut off when wrk stopped may still be committing
            created=$(curl -s "$URL/summary" | grep -o '"201":[0-9]*' | cut -d: -f2)
            [ "${created:-0}" -ge "$(field requests "$r")" ] ||
                { echo "only $created of $(field requests "$r") requests stored a new entry: pass more ENTRIES"; exit 1; }
        fi
        record_run "$kind" "$run" 1 "$r"
    done
    summary=$(curl -s "$URL/summary")
    bench_stop_receiver
    echo "     receiver's counts: $(echo "$summary" | grep -o '"byStatus":{[^}]*}')"

    # New entries in pipelines of PER: requests/s times PER is entries/s (the last line of the
    # file may hold fewer, and is never reached: the 201 count checks that the entries lasted).
    "$BIN/spool-bench-fixture" requests "$WORK/pipelines.tsv" $((2 * ENTRIES)) "$PER" >/dev/null
    bench_receiver "$WORK/receiver-pipelines-$run.sqlite"
    lines=$(wc -l <"$WORK/pipelines.tsv")
    r=$(wrk_run once "${SECONDS_EACH}s" "$lines" "$WORK/pipelines.tsv" "$PIPELINE_CONNECTIONS")
    sleep 1
    stored=$(curl -s "$URL/summary" | grep -o '"201":[0-9]*' | cut -d: -f2)
    summary=$(curl -s "$URL/summary")
    bench_stop_receiver
    requests=$(field requests "$r")
    [ "$requests" -lt "$lines" ] || { echo "the pipelined run used all $lines pipelines: pass more ENTRIES"; exit 1; }
    [ "${stored:-0}" -ge $((requests * PER)) ] || { echo "only $stored entries stored for $requests pipelines of $PER"; exit 1; }
    record_run pipelined "$run" "$PER" "$r"
    echo "     pipelines of $PER: $requests requests, $(calc "$requests / $(field seconds "$r")" | xargs printf '%.0f') requests/s; receiver's counts: $(echo "$summary" | grep -o '"byStatus":{[^}]*}')"
done

echo
printf '%-12s %-12s %-8s %-8s %-8s\n' "median of $RUNS" entries/s p50_ms p90_ms p99_ms
for kind in new duplicate pipelined; do
    printf '%-12s' "$kind"
    for column in 2 3 4 5; do
        printf ' %-8s' "$(awk -v k="$kind" -v c="$column" '$1 == k { print $c }' "$WORK/runs" | bench_median | awk '{ printf (NR && $1 > 100 ? "%.0f" : "%.2f"), $1 }')"
    done
    echo
done
echo "CSV: ${CSV#"$ROOT"/}"
echo "ceiling: one Ed25519 check per new entry on $(nproc) cores: $(printf '%.0f' "$CEILING_ALL")/s, shared with wrk"
