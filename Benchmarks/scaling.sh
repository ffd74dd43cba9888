#!/usr/bin/env bash
# Verify and upload time against spool size: spools of the first N of MAX entries (hard links
# into one spool written by the real spool writer), `spooler verify` (median of RUNS) and
# `uploader upload` to a fresh release receiver (one run) for each N; a CSV and an SVG plot
# made from it. Both should be straight lines through the origin: cost per entry constant.
#
#   Benchmarks/scaling.sh [SIZES] [RUNS]     (defaults: "1000 10000 25000 50000 100000" 3)
#
# Writes Benchmarks/results/scaling-*.csv and docs/scaling.svg (with docs/scaling.csv, the CSV
# it was drawn from). About 8 minutes on 2 quiet cores (writing 100,000 durable entries is half).
. "$(dirname "$0")/lib.sh"
SIZES=${1:-1000 10000 25000 50000 100000}
RUNS=${2:-3}
MAX=$(echo "$SIZES" | tr ' ' '\n' | sort -n | tail -1)

bench_init scaling
bench_build spooler uploader receiver spool-bench-fixture

bench_ceiling
bench_spool "$WORK/spool" "$WORK/state" "$MAX"
"$BIN/spooler" pubkey --state "$WORK/state" --allowed-signers >"$WORK/allowed_signers"

bench_csv entries verify_s verify_peak_kib upload_s upload_peak_kib
printf '%-9s %-10s %-13s %-10s %-13s\n' entries "verify s" "verify MiB" "upload s" "upload MiB"
for n in $SIZES; do
    spool="$WORK/spool-$n"
    mkdir -p "$spool"
    (cd "$WORK/spool" && ls | grep -E '\.json\.gz(\.sig)?$' | sort | sed -n "1,$((2 * n))p" | xargs ln -t "$spool")
    sync
    verify=("$BIN/spooler" verify --spool "$spool" --allowed-signers "$WORK/allowed_signers")
    "${verify[@]}" >/dev/null
    : >"$WORK/runs"
    for _ in $(seq "$RUNS"); do
        read -r secs kib _ < <(bench_time "$WORK/verify.out" "${verify[@]}")
        tail -1 "$WORK/verify.out" | grep -q 'no problems' || { cat "$WORK/verify.out"; exit 1; }
        echo "$secs $kib" >>"$WORK/runs"
    done
    verify_s=$(cut -d' ' -f1 "$WORK/runs" | bench_median)
    verify_kib=$(cut -d' ' -f2 "$WORK/runs" | bench_max)
    bench_receiver "$WORK/receiver-$n.sqlite"
    read -r upload_s upload_kib _ < <(bench_time "$WORK/upload.out" "$BIN/uploader" upload "$spool" --endpoint "$URL" --ledger "$WORK/ledger-$n.sqlite" --json)
    stored=$(bench_stored)
    bench_stop_receiver
    [ "$stored" = "$n" ] || { echo "the receiver stored $stored of $n entries"; exit 1; }
    rm -rf "$spool" "$WORK/receiver-$n.sqlite"* "$WORK/ledger-$n.sqlite"*
    bench_csv "$n" "$verify_s" "$verify_kib" "$upload_s" "$upload_kib"
    printf '%-9s %-10.3f %-13.1f %-10.3f %-13.1f\n' "$n" "$verify_s" "$(calc "$verify_kib / 1024")" "$upload_s" "$(calc "$upload_kib / 1024")"
done
cp "$CSV" "$ROOT/docs/scaling.csv"
bench_plot "$ROOT/docs/scaling.csv" "$ROOT/docs/scaling.svg" "Time against spool size ($(nproc) cores, load $BENCH_LOAD at start)" \
    entries "entries in the spool" seconds "verify_s=spooler verify" "upload_s=uploader upload"
echo "CSV: ${CSV#"$ROOT"/}; plot: docs/scaling.svg (from docs/scaling.csv)"
