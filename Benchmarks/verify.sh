#!/usr/bin/env bash
# Benchmark: `spooler verify` against the stock pipeline (gzip -t + zcat | ssh-keygen -Y verify
# per entry), in the same run, on a spool of COUNT entries written by the real spool writer.
# Usage: Benchmarks/verify.sh [COUNT] [STOCK_SAMPLE]
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-10000}
SAMPLE=${2:-300}

command -v /usr/bin/time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time; }

swift build -c release --product spooler >/dev/null
swift build -c release --product spool-bench-fixture >/dev/null
BIN=$(swift build -c release --show-bin-path)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

calc() { awk "BEGIN { print $1 }"; }
peak_kib() { grep 'Maximum resident set size' "$1" | awk '{print $NF}'; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; build: release; median of 3 runs after one warm-up"
printf '%-8s %-12s %-14s %-12s\n' entries "verify s" "entries/s" "peak RSS (KiB)"
for n in $((COUNT / 10)) $((COUNT / 2)) "$COUNT"; do
  rm -rf "$WORK/spool" "$WORK/state"
  "$BIN/spool-bench-fixture" "$WORK/spool" "$WORK/state" "$n" >/dev/null
  sync
  "$BIN/spooler" verify --spool "$WORK/spool" --state "$WORK/state" >/dev/null # warm the page cache
  : > "$WORK/runs"
  for run in 1 2 3; do
    start=$(date +%s.%N)
    /usr/bin/time -v "$BIN/spooler" verify --spool "$WORK/spool" --state "$WORK/state" >"$WORK/verify.out" 2>"$WORK/time.txt"
    end=$(date +%s.%N)
    tail -1 "$WORK/verify.out" | grep -q 'no problems' || { echo "verify found problems"; cat "$WORK/verify.out"; exit 1; }
    echo "$(calc "$end - $start") $(peak_kib "$WORK/time.txt")" >> "$WORK/runs"
  done
  secs=$(sort -n "$WORK/runs" | sed -n 2p | cut -d' ' -f1)
  rss=$(sort -n -k2 "$WORK/runs" | tail -1 | cut -d' ' -f2)
  ours_rate=$(calc "$n / $secs")
  printf '%-8s %-12.3f %-14.0f %-12s\n' "$n" "$secs" "$ours_rate" "$rss"
done

# The stock pipeline on a sample of the largest spool, scaled to entries per second.
"$BIN/spooler" pubkey --state "$WORK/state" --allowed-signers > "$WORK/allowed_signers"
ID=$(cut -d' ' -f1 "$WORK/allowed_signers")
find "$WORK/spool" -name '*.json.gz' | sort > "$WORK/all"
head -n "$SAMPLE" "$WORK/all" > "$WORK/sample"
start=$(date +%s.%N)
while read -r f; do
  gzip -t "$f"
  zcat "$f" | ssh-keygen -Y verify -f "$WORK/allowed_signers" -I "$ID" -n telemetry-spool-entry@v1 -s "$f.sig" >/dev/null 2>&1
done < "$WORK/sample"
end=$(date +%s.%N)
stock_secs=$(calc "$end - $start")
stock_rate=$(calc "$SAMPLE / $stock_secs")

echo
printf '%-46s %12s\n' "pipeline" "entries/s"
printf '%-46s %12.0f\n' "spooler verify ($COUNT entries)" "$ours_rate"
printf '%-46s %12.0f\n' "gzip -t + zcat | ssh-keygen -Y verify ($SAMPLE sampled)" "$stock_rate"
printf '%-46s %12.1fx\n' "ratio" "$(calc "$ours_rate / $stock_rate")"
