#!/usr/bin/env bash
# The ledger at scale: a ledger filled through the ledger's own API with COUNT delivered entries
# (`spool-bench-fixture ledger`: registered in batches of 10,000, one delivered attempt each,
# not by uploading), then `uploader status` timed as a whole process, and the ledger's size.
#
#   Benchmarks/ledger.sh [COUNT] [RUNS]     (defaults: 1000000 5)
#
# Prints the machine and build, the fill time, the median and largest `uploader status` time
# (after one warm-up) and the bytes per entry (ledger file after a checkpoint, WAL included).
# Baseline in the same run: a copy of the ledger without the counts it keeps per installation
# (as a ledger from before the "v4 entry counts" migration, which `uploader status` reads as it
# is, counting every entry), timed the same way; then the time that migration takes on it.
# Writes Benchmarks/results/ledger-*.csv. About 2 minutes with the defaults.
. "$(dirname "$0")/lib.sh"
COUNT=${1:-1000000}
RUNS=${2:-5}

bench_init ledger
bench_build uploader spool-bench-fixture

start=$(date +%s.%N)
"$BIN/spool-bench-fixture" ledger "$WORK/ledger.sqlite" "$COUNT" >/dev/null
fill=$(calc "$(date +%s.%N) - $start")
echo "filled a ledger with $COUNT delivered entries in $(printf %.1f "$fill") s"

status=("$BIN/uploader" status --ledger "$WORK/ledger.sqlite")
"${status[@]}" >"$WORK/status.out" # warm-up (and the WAL checkpointed by the last writer)
grep -q "delivered *$COUNT" "$WORK/status.out" || { echo "unexpected status:"; cat "$WORK/status.out"; exit 1; }
bench_csv run entries seconds peak_kib ledger_bytes
bytes=$(du -cb "$WORK"/ledger.sqlite* | tail -1 | cut -f1)
# status_runs LABEL LEDGER: RUNS timed `uploader status` of LEDGER (output in LABEL.out), times in $WORK/runs.
status_runs() {
    : >"$WORK/runs"
    for run in $(seq "$RUNS"); do
        read -r secs kib _ < <(bench_time "$WORK/$1.out" "$BIN/uploader" status --ledger "$2")
        echo "$secs" >>"$WORK/runs"
        bench_csv "$1-$run" "$COUNT" "$secs" "$kib" "$bytes"
    done
}
status_runs status "$WORK/ledger.sqlite"
echo "uploader status: median $(bench_median <"$WORK/runs") s, largest $(bench_max <"$WORK/runs") s ($RUNS runs); peak RSS $(calc "$kib / 1024") MiB"
after=$(bench_median <"$WORK/runs")

bench_need sqlite3
for file in "$WORK"/ledger.sqlite*; do cp "$file" "$WORK/before${file#"$WORK/ledger"}"; done
sqlite3 "$WORK/before.sqlite" "DROP TRIGGER entry_count_insert; DROP TRIGGER entry_count_delete; DROP TRIGGER entry_count_update;
    DROP TRIGGER entry_count_state; DROP TABLE entryCount; DROP TABLE heldSequence; DROP INDEX attempt_failed;
    DELETE FROM grdb_migrations WHERE identifier IN ('v4 entry counts', 'v5 state-only count updates');"
"$BIN/uploader" status --ledger "$WORK/before.sqlite" >"$WORK/before.out"
cmp -s <(sed 1d "$WORK/before.out") <(sed 1d "$WORK/status.out") || { echo "the two ledgers' status differ:"; diff "$WORK/before.out" "$WORK/status.out"; exit 1; }
status_runs before "$WORK/before.sqlite"
echo "baseline, the same ledger without its kept counts: median $(bench_median <"$WORK/runs") s, largest $(bench_max <"$WORK/runs") s; ratio $(printf %.1f "$(calc "$(bench_median <"$WORK/runs") / $after")")x"
read -r secs kib _ < <(bench_time "$WORK/migrate.out" "$BIN/spool-bench-fixture" ledger "$WORK/before.sqlite" 0)
echo "migrating that ledger (counting its entries once): $secs s"
echo "ledger: $bytes bytes, $(calc "$bytes / $COUNT") bytes per entry (entry and attempt rows, indexes)"
sed -n '1,12p' "$WORK/status.out"
echo "CSV: ${CSV#"$ROOT"/}"
