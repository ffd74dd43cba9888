#!/usr/bin/env bash
# `spooler verify` against the stock pipeline an auditor would use (per entry `gzip -t`, then
# `zcat | ssh-keygen -Y verify`), in the same run, on spools of COUNT/10, COUNT/2 and COUNT
# entries written by the real spool writer (bodies of about 1 KiB).
#
#   Benchmarks/verify.sh [COUNT] [RUNS] [STOCK_SAMPLE]     (defaults: 10000 3 300)
#
# Prints the machine and build, per size the median of RUNS timed runs (after one warm-up) and
# the largest peak RSS, the stock pipeline's rate on STOCK_SAMPLE entries and the ratio; writes
# Benchmarks/results/verify-*.csv. Takes about 1 minute with the defaults on a quiet 2-core
# machine once the release build is up to date (writing the spool is most of it).
. "$(dirname "$0")/lib.sh"
COUNT=${1:-10000}
RUNS=${2:-3}
SAMPLE=${3:-300}

bench_init verify
bench_need ssh-keygen openssh-client
bench_build spooler spool-bench-fixture

bench_ceiling
bench_spool "$WORK/spool" "$WORK/state" "$COUNT"
"$BIN/spooler" pubkey --state "$WORK/state" --allowed-signers >"$WORK/allowed_signers"

# prefix_spool N: the spool's first N entries, hard-linked into their own folder (a spool of
# N entries; checked against allowed_signers, as the state records all COUNT).
prefix_spool() {
    local dir="$WORK/spool-$1"
    if [ "$1" -eq "$COUNT" ]; then echo "$WORK/spool"; return; fi
    mkdir -p "$dir"
    (cd "$WORK/spool" && ls | grep -E '\.json\.gz(\.sig)?$' | sort | sed -n "1,$((2 * $1))p" | xargs ln -t "$dir")
    echo "$dir"
}

bench_csv entries run seconds entries_per_s peak_kib
printf '%-9s %-10s %-11s %-14s\n' entries "median s" entries/s "peak RSS MiB"
for n in $((COUNT / 10)) $((COUNT / 2)) "$COUNT"; do
    spool=$(prefix_spool "$n")
    sync
    verify=("$BIN/spooler" verify --spool "$spool" --allowed-signers "$WORK/allowed_signers")
    "${verify[@]}" >/dev/null # warms the page cache
    : >"$WORK/runs"
    for run in $(seq "$RUNS"); do
        read -r secs kib < <(bench_time "$WORK/verify.out" "${verify[@]}")
        tail -1 "$WORK/verify.out" | grep -q 'no problems' || { echo "verify found problems:"; cat "$WORK/verify.out"; exit 1; }
        echo "$secs $kib" >>"$WORK/runs"
        bench_csv "$n" "$run" "$secs" "$(calc "$n / $secs")" "$kib"
    done
    secs=$(cut -d' ' -f1 "$WORK/runs" | bench_median)
    kib=$(cut -d' ' -f2 "$WORK/runs" | bench_max)
    rate=$(calc "$n / $secs")
    printf '%-9s %-10.3f %-11.0f %-14.1f\n' "$n" "$secs" "$rate" "$(calc "$kib / 1024")"
done

# The stock pipeline on the first SAMPLE entries of the largest spool, scaled to entries/s.
ID=$(cut -d' ' -f1 "$WORK/allowed_signers")
(cd "$WORK/spool" && ls | grep -E '\.json\.gz$' | sort | sed -n "1,${SAMPLE}p") >"$WORK/sample"
start=$(date +%s.%N)
while read -r f; do
    gzip -t "$WORK/spool/$f"
    zcat "$WORK/spool/$f" | ssh-keygen -Y verify -f "$WORK/allowed_signers" -I "$ID" -n telemetry-spool-entry@v1 -s "$WORK/spool/$f.sig" >/dev/null 2>&1
done <"$WORK/sample"
end=$(date +%s.%N)
stock_rate=$(calc "$SAMPLE / ($end - $start)")
bench_csv stock 1 "$(calc "$end - $start")" "$stock_rate" ""

echo
printf '%-52s %10s\n' pipeline entries/s
printf '%-52s %10.0f\n' "spooler verify, $COUNT entries (median of $RUNS)" "$rate"
printf '%-52s %10.0f\n' "gzip -t + zcat | ssh-keygen -Y verify, $SAMPLE sampled" "$stock_rate"
printf '%-52s %9.1fx\n' ratio "$(calc "$rate / $stock_rate")"
printf '%-52s %10.0f\n' "ceiling: Ed25519 alone on all $(nproc) cores, same run" "$CEILING_ALL"
printf '%-52s %9.0f%%\n' "spooler verify, share of the ceiling" "$(calc "100 * $rate / $CEILING_ALL")"
echo "CSV: ${CSV#"$ROOT"/}"
