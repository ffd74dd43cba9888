#!/usr/bin/env bash
# Crash campaign: SIGKILL at random moments, then count what was lost or stored twice.
#
#   Reliability/crash-campaign.sh [COLLECT_KILLS] [UPLOAD_KILLS] [ENTRIES]   (defaults: 1000 200 300)
#
# 1. `spooler collect`, run in a loop, is killed with SIGKILL COLLECT_KILLS times, after a random
#    20-150 ms. After every kill `spooler verify` must report nothing but leftovers of an
#    interrupted write; the number of committed entries must never go down (an entry lost); at the
#    end one collect cleans up and continues the chain, and verify is clean. Entries whose
#    metadata records the same sequence (one report written twice, under any name) are duplicates.
# 2. ENTRIES entries are uploaded to a real receiver that drops 10 % of connections (half before
#    and half after storing: `receiver serve --drop-rate 0.1`), and the uploader is killed with
#    SIGKILL UPLOAD_KILLS times after a random 50-400 ms. Then uploads run to completion; entries
#    lost (spooled but not stored) and duplicates stored at the receiver must both be 0.
# Prints one summary line per part; exits non-zero when a figure is not 0. BIN=DIR picks the
# binaries (default: a debug build of this package).
set -euo pipefail
COLLECT_KILLS=${1:-1000}
UPLOAD_KILLS=${2:-200}
ENTRIES=${3:-300}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${BIN:-}" ]; then
  (cd "$ROOT" && for p in spooler uploader receiver; do swift build --product "$p" >/dev/null; done)
  BIN=$(cd "$ROOT" && swift build --show-bin-path)
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/crash-campaign-XXXXXX")
RECEIVER_PID=""
cleanup() {
  [ -n "$RECEIVER_PID" ] && { kill "$RECEIVER_PID" 2>/dev/null || true; wait "$RECEIVER_PID" 2>/dev/null || true; }
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
failed=0

# Kills a command run in its own session (so the kill reaches it wherever it is) after $1 ms.
kill_after() {
  local ms=$1; shift
  setsid bash -c "$*" >/dev/null 2>&1 &
  local pid=$!
  sleep "$(awk -v ms="$ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Prints "ENTRIES NONLEFTOVER_PROBLEMS LEFTOVERS" from verify --json.
verify_counts() {
  "$BIN/spooler" verify --spool spool --state state --json 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)
codes = [p["code"] for p in r.get("problems", [])]
bad = [c for c in codes if not c.startswith("leftover_")]
print(r["entries"], len(bad), len(codes) - len(bad))
if bad: print(r["problems"], file=sys.stderr)'
}

echo "== spooler collect: $COLLECT_KILLS kills" >&2
"$BIN/spooler" collect --spool spool --state state >/dev/null 2>&1
previous=1; lost=0; bad_rounds=0; leftover_rounds=0
start=$(date +%s)
for round in $(seq 1 "$COLLECT_KILLS"); do
  kill_after "$((RANDOM % 131 + 20))" "while :; do '$BIN/spooler' collect --spool spool --state state; done"
  read -r entries bad leftovers < <(verify_counts)
  [ "$bad" -gt 0 ] && bad_rounds=$((bad_rounds + 1))
  [ "$leftovers" -gt 0 ] && leftover_rounds=$((leftover_rounds + 1))
  [ "$entries" -lt "$previous" ] && lost=$((lost + previous - entries))
  previous=$entries
done
"$BIN/spooler" collect --spool spool --state state >/dev/null 2>&1
read -r entries bad leftovers < <(verify_counts)
duplicates=$(python3 - spool <<'PY'
import collections, gzip, json, os, sys
seen = collections.Counter()
for name in os.listdir(sys.argv[1]):
    if name.endswith(".json.gz"):
        metadata, body = gzip.decompress(open(os.path.join(sys.argv[1], name), "rb").read()).split(b"\n", 1)
        m = json.loads(metadata)
        seen[(m["installation"], m["sequence"])] += 1
print(sum(n - 1 for n in seen.values()))
PY
)
echo "collect: $COLLECT_KILLS SIGKILLs in $(( $(date +%s) - start )) s; $entries entries committed; entries lost: $lost; duplicates: $duplicates; rounds where verify reported anything but leftovers: $bad_rounds; rounds with leftovers (cleaned by the next collect): $leftover_rounds; final verify: $([ "$bad$leftovers" = 00 ] && echo clean || echo "$bad problems, $leftovers leftovers")"
[ "$lost$duplicates$bad_rounds$bad$leftovers" = 00000 ] || failed=1

echo "== uploader: $UPLOAD_KILLS kills against a receiver dropping 10 % of connections" >&2
rm -rf spool state
for _ in $(seq 1 "$ENTRIES"); do "$BIN/spooler" collect --spool spool --state state >/dev/null 2>&1; done
spooled=$(ls spool | grep -c '\.json\.gz$')
"$BIN/receiver" serve --host 127.0.0.1 --port 0 --db receiver.sqlite --drop-rate 0.1 > receiver.out 2>&1 &
RECEIVER_PID=$!
URL=""
for _ in $(seq 1 200); do URL=$(grep -o 'http://[0-9.:]*' receiver.out || true); [ -n "$URL" ] && break; sleep 0.05; done
[ -n "$URL" ] || { echo "receiver did not start: $(cat receiver.out)" >&2; exit 1; }
UPLOAD="'$BIN/uploader' upload spool --ledger ledger.sqlite --endpoint $URL --retry-base 0.05 --retry-cap 0.5 --max-wait 2"
start=$(date +%s)
for round in $(seq 1 "$UPLOAD_KILLS"); do
  kill_after "$((RANDOM % 351 + 50))" "$UPLOAD"
done
for _ in $(seq 1 30); do
  if bash -c "$UPLOAD" >/dev/null 2>&1; then break; fi
done
read -r stored distinct redelivered < <(sqlite3 -separator ' ' receiver.sqlite "SELECT count(*), count(DISTINCT installation || '-' || sequence), coalesce(sum(duplicates), 0) FROM report")
echo "uploader: $UPLOAD_KILLS SIGKILLs in $(( $(date +%s) - start )) s, 10 % of connections dropped; $spooled entries spooled, $stored stored; entries lost: $((spooled - distinct)); duplicates stored: $((stored - distinct)); deliveries the receiver recognised as repeats (answered, not stored again): $redelivered"
[ "$((spooled - distinct))$((stored - distinct))" = 00 ] || failed=1
exit $failed
