#!/usr/bin/env bash
# Throughput of the health CSV import: a generated 1,000,000-row file of
# readings for the demo station's residents, imported into a fresh SQLite
# database by the release binary. Target: >= 50,000 rows/s.
# The last line is `rows_per_second=N`.
#
#   bash bench/health.sh            # ROWS=200000 bash bench/health.sh for a quick run
#   PORTAL_BIN=path bash bench/health.sh   # a binary built already
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-1000000}
# A target dir of its own: a release build here never blocks the debug builds.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/bench-target}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [[ -n ${PORTAL_BIN:-} ]]; then
    BIN=$PORTAL_BIN
else
    # The same features as bench/county.sh: one release build serves both.
    echo "building the release binary (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)..." >&2
    cargo build --release --quiet --features postgres
    BIN="$CARGO_TARGET_DIR/release/village-portal"
fi

echo "generating $ROWS rows..." >&2
python3 - "$ROWS" > "$WORK/readings.csv" <<'PY'
import sys
from datetime import datetime, timedelta

rows = int(sys.argv[1])
residents = [f"R{n:04d}" for n in range(3, 203)]  # the demo's 200 other residents
start = datetime(2024, 1, 1)  # older than the demo's last 12 months: no overlap
out = sys.stdout
out.write("resident_code,kind,value,value2,unit,taken_at,device\n")
buf = []
for i in range(rows):
    r = residents[i % len(residents)]
    step = i // len(residents)
    t = (start + timedelta(minutes=7 * step)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    k = step % 4
    if k == 0:
        buf.append(f"{r},bp,{110 + i % 50},{70 + i % 25},mm[Hg],{t},YE-680A\n")
    elif k == 1:
        buf.append(f"{r},glucose,{4 + (i % 40) / 10:.1f},,mmol/L,{t},GA-3\n")
    elif k == 2:
        buf.append(f"{r},weight,{50 + i % 40},,kg,{t},\n")
    else:
        buf.append(f"{r},heart_rate,{60 + i % 35},,/min,{t},\n")
    if len(buf) >= 10000:
        out.write("".join(buf))
        buf = []
out.write("".join(buf))
PY
ls -l "$WORK/readings.csv" | awk '{printf "file: %.1f MB\n", $5 / 1048576}' >&2

# A clean environment: only what this run sets.
run() {
    env -u PORTAL_DEMO_TOKEN -u PORTAL_DEMO_PASSWORD \
        DATABASE_URL="sqlite://$WORK/portal.db" \
        PORTAL_DEMO_PASSWORD=bench-password-1234 \
        PORTAL_DEMO_TOKEN=bench-token-0123456789abcdef0123456789 \
        RUST_LOG=warn "$BIN" "$@"
}
echo "loading the demo county..." >&2
run demo > /dev/null

start=$(date +%s.%N)
run import-health "$WORK/readings.csv" --station gengjing-hs | tee "$WORK/import.txt"
end=$(date +%s.%N)

grep -q "added $ROWS, duplicate 0, rejected 0" "$WORK/import.txt" || {
    echo "unexpected import result" >&2
    exit 1
}
python3 -c "import sys; rows, s = int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2]); print(f'wall time {s:.2f} s for {rows} rows (process start to exit)'); print(f'rows_per_second={rows / s:.0f}')" "$ROWS" "$start" "$end"
