#!/usr/bin/env bash
# Memory under clients that stall mid-body: the receiver's RSS before, while CLIENTS clients
# each send a request head and part of a 1 MiB body then stall, and after the body timeout
# has closed them. Also opens IDLE idle connections and times GET /summary meanwhile.
#
#   Benchmarks/stalling-clients.sh [CLIENTS] [IDLE]     (defaults: 400 stalling, 1100 idle)
#
# RECEIVER names the binary (default: .build/debug/receiver; build it first).
set -euo pipefail

CLIENTS=${1:-400}
IDLE=${2:-1100}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RECEIVER=${RECEIVER:-$ROOT/.build/debug/receiver}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/stalling-XXXXXX")
PID=""
cleanup() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

"$RECEIVER" serve --port 0 --db "$WORK/receiver.sqlite" --body-timeout 5 >"$WORK/out" 2>"$WORK/err" &
PID=$!
for _ in $(seq 100); do grep -q "listening on" "$WORK/out" 2>/dev/null && break; sleep 0.1; done
PORT=$(grep -o '127.0.0.1:[0-9]*' "$WORK/out" | cut -d: -f2)
rss() { awk '/VmRSS/ {print int($2/1024) " MB"}' "/proc/$PID/status"; }
echo "receiver pid $PID port $PORT: RSS at start $(rss)"

python3 - "$PORT" "$CLIENTS" "$IDLE" "$PID" <<'PY'
import socket, sys, time, urllib.request
port, clients, idle, pid = map(int, sys.argv[1:5])
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"): return int(line.split()[1]) // 1024
stalled = []
for _ in range(clients):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /api/telemetry HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n" + b"x" * 600_000)
    stalled.append(s)
peak = rss()
idlers = []
for _ in range(idle):
    try: idlers.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    except OSError as error: print("idle connection refused:", error); break
start = time.time()
try:
    urllib.request.urlopen(f"http://127.0.0.1:{port}/summary", timeout=10).read()
    print(f"GET /summary with {len(stalled)} stalling and {len(idlers)} idle connections open: {time.time() - start:.3f} s")
except Exception as error:
    print(f"GET /summary failed after {time.time() - start:.1f} s: {error}")
for _ in range(8):
    time.sleep(1)
    peak = max(peak, rss())
print(f"peak RSS while stalling: {peak} MB")
closed = 0
for s in stalled:
    s.setblocking(False)
    try:
        if s.recv(1) == b"": closed += 1
    except BlockingIOError: pass
    except OSError: closed += 1
print(f"stalling clients closed by the receiver: {closed} of {len(stalled)}")
PY
sleep 2
echo "RSS after the body timeout: $(rss)"
grep -c "closing a slow connection" "$WORK/err" | sed 's/^/slow connections closed (log lines): /'
grep -m1 "connections open, the limit" "$WORK/err" || true
