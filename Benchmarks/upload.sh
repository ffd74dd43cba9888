#!/usr/bin/env bash
# Upload: the release `uploader` against the release `receiver` on 127.0.0.1, end to end as a
# user runs it (verification of the whole spool, durable ledger, requests, ledger updates), and
# in the same run a `curl` loop posting the same entries with the same headers (one curl process
# per entry, the baseline), each against a fresh receiver.
#
#   Benchmarks/upload.sh [COUNT] [CONCURRENCY] [RUNS] [CURL_SAMPLE] [PER]  (defaults: 10000 default 3 1000 32)
#
# Each run uploads twice, each time to a fresh receiver with a fresh ledger: one entry per
# request (the protocol's default), then in pipelines of PER entries (`--entries-per-request`,
# docs/PROTOCOL.md section 7). CONCURRENCY "default" uses the uploader's default for each. Prints the machine and build; per run the
# uploader's time, its own counters (scan and verify seconds), CPU of uploader and receiver and
# peak RSS; the median; the curl loop's rate on its first CURL_SAMPLE entries; the ratio.
# Writes Benchmarks/results/upload-*.csv. About 1.5 minutes with the defaults on 2 quiet cores
# once the build is up to date.
. "$(dirname "$0")/lib.sh"
COUNT=${1:-10000}
CONCURRENCY=${2:-default}
RUNS=${3:-3}
CURL_SAMPLE=${4:-1000}
PER=${5:-32}
[ "$CURL_SAMPLE" -gt "$COUNT" ] && CURL_SAMPLE=$COUNT

bench_init upload
bench_build uploader receiver spool-bench-fixture

bench_ceiling
bench_spool "$WORK/spool" "$WORK/state" "$COUNT" "$WORK/curl"
sync

concurrency=()
[ "$CONCURRENCY" != default ] && concurrency=(--concurrency "$CONCURRENCY")
bench_csv mode run entries seconds entries_per_s peak_kib uploader_cpu_s receiver_cpu_s scan_s verify_s pipelines
printf '%-10s %-4s %-8s %-10s %-9s %-13s %-14s %-9s\n' mode run "wall s" entries/s "RSS MiB" "uploader CPU" "receiver CPU" "verify s"
: >"$WORK/runs"
for run in $(seq "$RUNS"); do
    # The two ways alternate within a run, so that both see the same drift of the host.
    for mode in single pipelined; do
        extra=()
        [ "$mode" = pipelined ] && extra=(--entries-per-request "$PER")
        bench_receiver "$WORK/receiver-$mode-$run.sqlite"
        read -r secs kib user sys < <(bench_time "$WORK/uploader.json" "$BIN/uploader" upload "$WORK/spool" --endpoint "$URL" \
            --ledger "$WORK/ledger-$mode-$run.sqlite" --json "${concurrency[@]}" "${extra[@]}")
        receiver_cpu=$(bench_cpu "$RECEIVER_PID")
        stored=$(bench_stored)
        bench_stop_receiver
        [ "$stored" = "$COUNT" ] || { echo "the receiver stored $stored of $COUNT entries"; cat "$WORK/uploader.json"; exit 1; }
        scan=$(sed -n 's/.*"scanSeconds" *: *\([0-9.e-]*\).*/\1/p' "$WORK/uploader.json")
        verified=$(sed -n 's/.*"verifySeconds" *: *\([0-9.e-]*\).*/\1/p' "$WORK/uploader.json")
        pipelines=$(sed -n 's/.*"pipelines" *: *\([0-9]*\).*/\1/p' "$WORK/uploader.json")
        rate=$(calc "$COUNT / $secs")
        echo "$mode $rate $kib" >>"$WORK/runs"
        bench_csv "$mode" "$run" "$COUNT" "$secs" "$rate" "$kib" "$(calc "$user + $sys")" "$receiver_cpu" "$scan" "$verified" "$pipelines"
        printf '%-10s %-4s %-8.2f %-10.0f %-9.1f %-13s %-14s %-9s\n' "$mode" "$run" "$secs" "$rate" "$(calc "$kib / 1024")" \
            "$(calc "$user + $sys") s" "$receiver_cpu s" "$verified"
    done
done
median() { awk -v m="$1" '$1 == m { print $'"$2"' }' "$WORK/runs" | bench_median; }
largest() { awk -v m="$1" '$1 == m { print $3 }' "$WORK/runs" | bench_max; }
rate=$(median single 2)
kib=$(largest single)
piped=$(median pipelined 2)
piped_kib=$(largest pipelined)

# The baseline: one curl process per entry, the same body and headers, against a fresh receiver.
bench_receiver "$WORK/receiver-curl.sqlite"
find "$WORK/curl" -name "*.headers" | sort | sed -n "1,${CURL_SAMPLE}p" >"$WORK/curl-sample"
start=$(date +%s.%N)
while read -r headers; do
    curl -s -o /dev/null --fail -X POST -H @"$headers" --data-binary @"${headers%.headers}.body" "$URL/api/telemetry"
done <"$WORK/curl-sample"
end=$(date +%s.%N)
curl_stored=$(bench_stored)
bench_stop_receiver
[ "$curl_stored" = "$CURL_SAMPLE" ] || { echo "the curl loop stored $curl_stored of $CURL_SAMPLE entries"; exit 1; }
curl_rate=$(calc "$CURL_SAMPLE / ($end - $start)")
bench_csv curl 1 "$CURL_SAMPLE" "$(calc "$end - $start")" "$curl_rate" "" "" "" "" "" ""

echo
printf '%-58s %10s\n' pipeline entries/s
printf '%-58s %10.0f\n' "uploader upload, $COUNT entries (median of $RUNS)" "$rate"
printf '%-58s %10.0f\n' "uploader upload --entries-per-request $PER (median of $RUNS)" "$piped"
printf '%-58s %10.0f\n' "curl loop, first $CURL_SAMPLE entries" "$curl_rate"
printf '%-58s %9.1fx\n' "ratio, one entry per request" "$(calc "$rate / $curl_rate")"
printf '%-58s %9.1fx\n' "ratio, pipelines of $PER" "$(calc "$piped / $curl_rate")"
printf '%-58s %10.1f\n' "uploader peak RSS, MiB (largest of $RUNS)" "$(calc "$kib / 1024")"
printf '%-58s %10.1f\n' "uploader peak RSS with pipelines, MiB (largest of $RUNS)" "$(calc "$piped_kib / 1024")"
printf '%-58s %10.0f\n' "ceiling: two Ed25519 checks per entry on $(nproc) cores" "$(calc "$CEILING_ALL / 2")"
printf '%-58s %9.0f%%\n' "one entry per request, share of the ceiling" "$(calc "200 * $rate / $CEILING_ALL")"
printf '%-58s %9.0f%%\n' "pipelines of $PER, share of the ceiling" "$(calc "200 * $piped / $CEILING_ALL")"
echo "CSV: ${CSV#"$ROOT"/}"
