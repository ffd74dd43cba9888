# Shared by the benchmark scripts (source it): one release build in the package's own .build,
# the machine and load printed at the start, medians, a CSV per run, receivers started and stopped.
#
#   . "$(dirname "$0")/lib.sh"; bench_init NAME; bench_build PRODUCT...

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RESULTS=${RESULTS:-$ROOT/Benchmarks/results}
BENCH_PIDS=()

# bench_init NAME: a scratch folder ($WORK), the run's CSV ($CSV) and cleanup on exit.
bench_init() {
    BENCH_NAME=$1
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/$BENCH_NAME-XXXXXX")
    mkdir -p "$RESULTS"
    CSV="$RESULTS/$BENCH_NAME-$(date -u +%Y%m%dT%H%M%SZ).csv"
    trap bench_cleanup EXIT
    bench_machine
}

bench_cleanup() {
    local pid
    for pid in "${BENCH_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}

# The machine as the figures depend on it: cores, memory, load at the start, commit.
bench_machine() {
    local load commit
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load average $load at start; $(uname -r); commit $commit"
    BENCH_LOAD=${load%% *}
}

# bench_need COMMAND [DEBIAN_PACKAGE]: installs the package when the command is missing.
bench_need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "installing ${2:-$1}" >&2
    apt-get install -y -qq "${2:-$1}" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "${2:-$1}" >/dev/null; }
}

# bench_build PRODUCT...: the products in release mode, in the package's .build (one build
# serves every benchmark; -j 1 keeps memory low on a shared machine). Sets $BIN.
bench_build() {
    local product started first=$1
    started=$(date +%s)
    # NO_BUILD=1: use the release binaries as they are (say so: they may not match the sources).
    [ "${NO_BUILD:-0}" = 1 ] && set --
    for product in "$@"; do
        (cd "$ROOT" && swift build -c release -j 1 --product "$product" 2>&1 | grep -E "error|warning: unre" >&2) || true
    done
    BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)
    for product in "$@"; do
        [ -x "$BIN/$product" ] || { echo "release build of $product failed" >&2; exit 1; }
    done
    # `make release` builds the same folder with the Swift runtime linked in (what ships).
    local linkage="Swift runtime linked statically, as make release ships it"
    # grep without -q reads all of ldd's output: no SIGPIPE for pipefail to report.
    if ldd "$BIN/$first" 2>/dev/null | grep libswiftCore >/dev/null; then linkage="Swift runtime linked dynamically"; fi
    if [ "${NO_BUILD:-0}" = 1 ]; then
        echo "build: release ($BIN) as it was (NO_BUILD=1), $linkage, $(swift --version 2>/dev/null | head -1 | sed 's/ (.*//')"
    else
        echo "build: release ($BIN), $linkage, $(swift --version 2>/dev/null | head -1 | sed 's/ (.*//'), $(($(date +%s) - started)) s to bring up to date"
    fi
}

bench_need /usr/bin/time time

# bench_time OUT COMMAND...: runs COMMAND with stdout to OUT; prints "SECONDS PEAK_KIB USER_S SYS_S".
bench_time() {
    local out=$1 start end
    shift
    start=$(date +%s.%N)
    /usr/bin/time -f '%M %U %S' -o "$WORK/.time" "$@" >"$out"
    end=$(date +%s.%N)
    echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }') $(tail -1 "$WORK/.time")"
}

# Median of the numbers on stdin (one per line).
bench_median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Largest number on stdin.
bench_max() { sort -g | tail -1; }

calc() { awk "BEGIN { print $1 }"; }

# bench_ceiling: Ed25519 verifications per second with swift-crypto on this machine now, on one
# core and on all of them (`spool-bench-fixture ceiling`, median of 3), the limit of anything that
# checks signatures: sets $CEILING_ONE and $CEILING_ALL and prints them. The CPU model of a
# shared VM differs from one host to the next, so a figure is only read against this.
bench_ceiling() {
    local runs
    runs=$(for _ in 1 2 3; do "$BIN/spool-bench-fixture" ceiling 20000; done)
    CEILING_ONE=$(echo "$runs" | cut -d' ' -f1 | bench_median)
    CEILING_ALL=$(echo "$runs" | cut -d' ' -f2 | bench_median)
    echo "ceiling: Ed25519 (swift-crypto) $(printf '%.0f' "$CEILING_ONE")/s on one core, $(printf '%.0f' "$CEILING_ALL")/s on all $(nproc); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
}

# bench_link FROM TO: a copy of folder FROM, hard links where the file system allows.
bench_link() { cp -al "$1" "$2" 2>/dev/null || { rm -rf "$2" && cp -a "$1" "$2"; }; }

# bench_spool SPOOL STATE COUNT [CURL_DIR]: a spool of COUNT entries written by the real spool
# writer (three durable publishes each: about 4 ms per entry). With SPOOL_CACHE=DIR, a spool of
# COUNT entries written there by an earlier run is copied instead (hard links), and a new one is
# kept there for the next run; say so, since its entries are older than the run.
bench_spool() {
    local spool=$1 state=$2 count=$3 curl=${4:-}
    local cached=${SPOOL_CACHE:-}/$count${curl:+-curl}
    if [ -n "${SPOOL_CACHE:-}" ] && [ -f "$cached/complete" ]; then
        echo "spool: $count entries from SPOOL_CACHE ($cached)" >&2
        bench_link "$cached/spool" "$spool"
        cp -a "$cached/state" "$state"
        [ -z "$curl" ] || bench_link "$cached/curl" "$curl"
        return 0
    fi
    echo "writing $count entries with the spool writer" >&2
    "$BIN/spool-bench-fixture" "$spool" "$state" "$count" ${curl:+"$curl"} >/dev/null
    if [ -n "${SPOOL_CACHE:-}" ]; then
        rm -rf "$cached" && mkdir -p "$cached"
        bench_link "$spool" "$cached/spool"
        cp -a "$state" "$cached/state"
        [ -z "$curl" ] || bench_link "$curl" "$cached/curl"
        touch "$cached/complete"
    fi
}

# bench_csv FIELD...: one comma-separated row of the run's CSV.
bench_csv() {
    local IFS=,
    echo "$*" >>"$CSV"
}

# bench_receiver DATABASE [OPTIONS...]: starts the release receiver on 127.0.0.1 (a free port);
# sets $URL and $RECEIVER_PID.
bench_receiver() {
    local db=$1
    shift
    "$BIN/receiver" serve --host 127.0.0.1 --port 0 --db "$db" "$@" >"$WORK/receiver.out" 2>&1 &
    RECEIVER_PID=$!
    BENCH_PIDS+=("$RECEIVER_PID")
    URL=""
    for _ in $(seq 1 400); do
        URL=$(grep -o 'http://[0-9.:]*' "$WORK/receiver.out" || true)
        [ -n "$URL" ] && return 0
        sleep 0.05
    done
    echo "receiver did not start: $(cat "$WORK/receiver.out")" >&2
    exit 1
}

bench_stop_receiver() {
    kill "$RECEIVER_PID" 2>/dev/null || true
    wait "$RECEIVER_PID" 2>/dev/null || true
    RECEIVER_PID=""
}

# CPU seconds (user + system) a process has used so far.
bench_cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; }

# Reports the receiver holds (GET /summary).
bench_stored() { curl -s "$URL/summary" | sed -n 's/.*"reports":\([0-9]*\).*/\1/p'; }

# bench_plot CSV SVG TITLE XCOLUMN XLABEL YLABEL SERIES...: an SVG line plot from a CSV with a
# header row; each SERIES is COLUMN=LABEL. Plain SVG text, written by Python's standard library.
bench_plot() {
    python3 - "$@" <<'PY'
import csv, sys
path, out, title, xcol, xlabel, ylabel, *series = sys.argv[1:]
rows = list(csv.DictReader(open(path)))
series = [s.split("=", 1) for s in series]
xs = [float(r[xcol]) for r in rows]
ys = {c: [float(r[c]) for r in rows] for c, _ in series}
W, H, L, R, T, B = 640, 400, 70, 160, 40, 50
xmax = max(xs) or 1
ymax = max(max(v) for v in ys.values()) or 1
def px(x): return L + (W - L - R) * x / xmax
def py(y): return H - B - (H - T - B) * y / ymax
colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<text x="{W / 2 - R / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
       f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>',
       f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>',
       f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">{xlabel}</text>',
       f'<text x="16" y="{(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 {(T + H - B) / 2})">{ylabel}</text>']
for i in range(5):
    x, y = xmax * i / 4, ymax * i / 4
    svg.append(f'<text x="{px(x)}" y="{H - B + 16}" text-anchor="middle">{x:,.0f}</text>')
    svg.append(f'<text x="{L - 6}" y="{py(y) + 4}" text-anchor="end">{y:.2f}</text>')
    svg.append(f'<line x1="{L}" y1="{py(y)}" x2="{W - R}" y2="{py(y)}" stroke="#ddd"/>')
for n, (c, label) in enumerate(series):
    color = colors[n % len(colors)]
    points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys[c]))
    svg.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"/>')
    for x, y in zip(xs, ys[c]):
        svg.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}"/>')
    svg.append(f'<line x1="{W - R + 10}" y1="{T + 20 * n + 10}" x2="{W - R + 30}" y2="{T + 20 * n + 10}" stroke="{color}" stroke-width="2"/>')
    svg.append(f'<text x="{W - R + 36}" y="{T + 20 * n + 14}">{label}</text>')
svg.append("</svg>")
open(out, "w").write("\n".join(svg) + "\n")
PY
}
