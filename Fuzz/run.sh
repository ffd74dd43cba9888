#!/usr/bin/env bash
# Fuzzes every reader of untrusted input with libFuzzer and AddressSanitizer, each from seeds
# built out of the committed test vectors (Fuzz/seeds/ and below):
#   entry-fuzzer    the entry reader (gzip members, SSHSIG, metadata)
#   config-fuzzer   the spooler's configuration parser
#   signers-fuzzer  the allowed_signers parser
#   request-fuzzer  the receiver's reading of an entry request (headers, body, request line)
# Usage: Fuzz/run.sh [SECONDS-PER-TARGET] [TARGET...]   (default 60 s, all four targets)
# Prints libFuzzer's final statistics for each target; exits non-zero on the first crash.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(entry-fuzzer config-fuzzer signers-fuzzer request-fuzzer)
export TELEMETRYSPOOL_FUZZ=1
SCRATCH=.build-fuzz
# -Xswiftc -sanitize=fuzzer instruments every Swift module the same way in every product build
# (with --sanitize alone, a second product's build recompiled the libraries without coverage).
for target in "${TARGETS[@]}"; do
  swift build --scratch-path "$SCRATCH" --product "$target" -c debug --sanitize=fuzzer --sanitize=address \
    -Xswiftc -sanitize=fuzzer >/dev/null
done
BIN=$(swift build --scratch-path "$SCRATCH" -c debug --show-bin-path)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for target in "${TARGETS[@]}"; do
  corpus="$WORK/$target"
  mkdir -p "$corpus"
  [ -d "Fuzz/seeds/$target" ] && cp "Fuzz/seeds/$target"/* "$corpus"/
  python3 - "$target" "$corpus" <<'PY'
import base64, gzip, sys
target, corpus = sys.argv[1], sys.argv[2]
v = "Tests/SpoolFormatTests/Vectors/"
gz, sig = open(v + "entry.json.gz", "rb").read(), open(v + "entry.json.gz.sig", "rb").read()
if target == "entry-fuzzer":
    # The two-byte split prefix the target expects, then the .json.gz and the .sig.
    open(corpus + "/vector", "wb").write(len(gz).to_bytes(2, "big") + gz + sig)
    # The metadata line alone where the .json.gz goes: mutations of it reach both metadata readers.
    metadata = gzip.decompress(gz).split(b"\n", 1)[0]
    open(corpus + "/metadata-line", "wb").write(len(metadata).to_bytes(2, "big") + metadata)
elif target == "request-fuzzer":
    metadata, body = gzip.decompress(gz).split(b"\n", 1)
    blob = b"".join(l for l in sig.splitlines() if not l.startswith(b"-----"))
    digest = open(v + "expected-digest.txt", "rb").read().strip()
    fields = [b"/api/telemetry", base64.b64encode(metadata), blob, digest, b"application/json", body]
    open(corpus + "/vector", "wb").write(b"\0".join(fields))
PY
  echo "== $target: $SECONDS_TO_RUN s"
  "$BIN/$target" "$corpus" -max_total_time="$SECONDS_TO_RUN" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$WORK/$target-" 2>&1 | grep -E "^(stat::|==|SUMMARY|Done)|ERROR|crash|deadly" || true
  if ls "$WORK/$target-"* >/dev/null 2>&1; then
    mkdir -p Fuzz/artifacts && cp "$WORK/$target-"* Fuzz/artifacts/
    echo "$target: crash; reproducer in Fuzz/artifacts/" >&2
    exit 1
  fi
done
