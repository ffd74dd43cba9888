#!/usr/bin/env bash
# The spooler stays cheap as the spool grows: `spooler collect` as a whole process on the demo
# configuration (spooler.conf) with an empty spool and with COUNT entries already in it; a
# prune of those COUNT entries by a spool limit; `spooler run` idle between reports.
#
#   Benchmarks/spooler.sh [COUNT] [RUNS] [IDLE_SECONDS]     (defaults: 100000 21 60)
#
# Prints the machine and build; collect's p50 and p90 wall time and peak RSS for both spools and
# their ratio; the prune's time; CPU seconds and the largest RSS of `spooler run` over
# IDLE_SECONDS (from /proc). BEFORE=BINARY also times that spooler (an earlier build) on the same
# large spool first, for a before and after in the same run. Writes Benchmarks/results/spooler-*.csv. Writing the COUNT entries
# with the spool writer (each durable) is most of the run: about 5 minutes with the defaults.
. "$(dirname "$0")/lib.sh"
COUNT=${1:-100000}
RUNS=${2:-21}
IDLE_SECONDS=${3:-60}

bench_init spooler
bench_build spooler spool-bench-fixture
CONFIG=$ROOT/spooler.conf
# The large spool's collects: the demo configuration with a byte limit that holds all COUNT
# entries (about 1 KB each), so every one of them is in the spool while collect runs.
sed -e "s#^max_spool_bytes.*#max_spool_bytes = 1GB#" -e "s#Examples/#$ROOT/Examples/#g" "$CONFIG" >"$WORK/big.conf"
percentile() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.5); if (i < 1) i = 1; print v[i] }'; }

# collect_runs LABEL SPOOL STATE [SPOOLER [CONFIG]]: RUNS timed collects; prints p50, p90 and the largest RSS.
collect_runs() {
    local secs kib run
    : >"$WORK/runs"
    for run in $(seq "$RUNS"); do
        # stderr (the configuration line collect prints) is kept apart from the figures.
        read -r secs kib _ < <(bench_time "$WORK/collect.out" "${4:-$BIN/spooler}" collect --config "${5:-$CONFIG}" --spool "$2" --state "$3" 2>>"$WORK/collect.err")
        echo "$secs $kib" >>"$WORK/runs"
        bench_csv collect "$1" "$run" "$secs" "$kib"
    done
    echo "$(cut -d' ' -f1 "$WORK/runs" | percentile 50) $(cut -d' ' -f1 "$WORK/runs" | percentile 90) $(cut -d' ' -f2 "$WORK/runs" | bench_max)"
}

bench_csv what spool run seconds peak_kib
"$BIN/spooler" collect --config "$CONFIG" --spool "$WORK/small" --state "$WORK/small-state" >/dev/null 2>&1 # identity, page cache
read -r small50 small90 smallkib < <(collect_runs small "$WORK/small" "$WORK/small-state")
echo "collect, demo configuration, spool of up to $((RUNS + 1)) entries: p50 $small50 s, p90 $small90 s, peak RSS $(calc "$smallkib / 1024") MiB"

start=$(date +%s.%N)
# Hard links from SPOOL_CACHE are safe here: collect adds files and prune unlinks them, neither
# writes into an existing file.
bench_spool "$WORK/big" "$WORK/big-state" "$COUNT"
echo "(spool of $COUNT entries ready in $(printf %.0f "$(calc "$(date +%s.%N) - $start")") s)"
if [ -n "${BEFORE:-}" ]; then
    "$BEFORE" collect --config "$WORK/big.conf" --spool "$WORK/big" --state "$WORK/big-state" >/dev/null 2>&1
    read -r old50 old90 oldkib < <(collect_runs before-big "$WORK/big" "$WORK/big-state" "$BEFORE" "$WORK/big.conf")
    echo "collect by $BEFORE, spool of $COUNT entries: p50 $old50 s, p90 $old90 s, peak RSS $(calc "$oldkib / 1024") MiB"
fi
"$BIN/spooler" collect --config "$WORK/big.conf" --spool "$WORK/big" --state "$WORK/big-state" >/dev/null 2>&1
read -r big50 big90 bigkib < <(collect_runs big "$WORK/big" "$WORK/big-state" "$BIN/spooler" "$WORK/big.conf")
echo "collect, demo configuration (max_spool_bytes = 1GB), spool of $COUNT entries: p50 $big50 s, p90 $big90 s, peak RSS $(calc "$bigkib / 1024") MiB"
echo "ratio of the p50s (large / small): $(printf %.2f "$(calc "$big50 / $small50")")"

# A byte limit the spool passes by far: one collect removes (nearly) all COUNT entries.
sed -e "s#^max_spool_bytes.*#max_spool_bytes = 100KB#" -e "s#Examples/#$ROOT/Examples/#g" "$CONFIG" >"$WORK/prune.conf"
before=$(ls "$WORK/big" | grep -c '\.json\.gz$')
read -r secs kib _ < <(bench_time "$WORK/prune.out" "$BIN/spooler" collect --config "$WORK/prune.conf" --spool "$WORK/big" --state "$WORK/big-state")
after=$(ls "$WORK/big" | grep -c '\.json\.gz$')
bench_csv prune big 1 "$secs" "$kib"
echo "prune by max_spool_bytes: $before entries -> $after in $secs s (peak RSS $(calc "$kib / 1024") MiB)"

# `spooler run` between reports (the small spool's last report is recent: the next is a day away).
"$BIN/spooler" run --config "$CONFIG" --spool "$WORK/small" --state "$WORK/small-state" >"$WORK/run.out" 2>&1 &
RUN_PID=$!
BENCH_PIDS+=("$RUN_PID")
sleep 2
cpu0=$(bench_cpu "$RUN_PID")
rss=0
for _ in $(seq "$IDLE_SECONDS"); do
    sleep 1
    now=$(awk '/VmRSS/ { print $2 }' "/proc/$RUN_PID/status")
    [ "$now" -gt "$rss" ] && rss=$now
done
cpu1=$(bench_cpu "$RUN_PID")
bench_csv run-idle small 1 "$IDLE_SECONDS" "$rss"
echo "spooler run, idle for $IDLE_SECONDS s: $(calc "$cpu1 - $cpu0") CPU seconds, largest RSS $(calc "$rss / 1024") MiB"
echo "CSV: ${CSV#"$ROOT"/}"
