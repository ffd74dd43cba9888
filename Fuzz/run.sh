#!/usr/bin/env bash
# Fuzzes the entry reader (gzip members, SSHSIG, metadata, allowed_signers) with libFuzzer and
# AddressSanitizer, starting from the committed test vector.
# Usage: Fuzz/run.sh [SECONDS]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-60}
export TELEMETRYSPOOL_FUZZ=1
SCRATCH=.build-fuzz
swift build --scratch-path "$SCRATCH" --product entry-fuzzer -c debug --sanitize=fuzzer --sanitize=address >/dev/null
BIN=$(swift build --scratch-path "$SCRATCH" -c debug --show-bin-path)

CORPUS=$(mktemp -d)
trap 'rm -rf "$CORPUS"' EXIT
# Seed: the vector entry and its signature, with the two-byte split prefix the target expects.
python3 - "$CORPUS/vector" <<'PY'
import sys
gz = open("Tests/SpoolFormatTests/Vectors/entry.json.gz", "rb").read()
sig = open("Tests/SpoolFormatTests/Vectors/entry.json.gz.sig", "rb").read()
open(sys.argv[1], "wb").write(len(gz).to_bytes(2, "big") + gz + sig)
PY
"$BIN/entry-fuzzer" "$CORPUS" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -print_final_stats=1
