#!/usr/bin/env bash
# What SQLite's synchronous=FULL costs against NORMAL on the two writes that
# matter: the health CSV import (20,000-row transactions) and a clerk's draft
# save (one small transaction each). Each is run on a fresh database per
# setting; prints one line per measurement.
#
#   PORTAL_BIN=target/debug/village-portal bash bench/durability.sh   # reuse a build
#   ROWS=100000 SAVES=200 bash bench/durability.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-100000}
SAVES=${SAVES:-200}
if [ -z "${PORTAL_BIN:-}" ]; then
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/bench-target}
    cargo build --release --quiet
    PORTAL_BIN="$CARGO_TARGET_DIR/release/village-portal"
fi
WORK=$(mktemp -d)
SERVER=""
cleanup() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

python3 - "$ROWS" > "$WORK/readings.csv" <<'PY'
import sys
from datetime import datetime, timedelta
rows = int(sys.argv[1])
residents = [f"R{n:04d}" for n in range(3, 203)]
start = datetime(2024, 1, 1)
out = sys.stdout
out.write("resident_code,kind,value,value2,unit,taken_at,device\n")
for i in range(rows):
    r = residents[i % len(residents)]
    t = (start + timedelta(minutes=7 * (i // len(residents)))).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    out.write(f"{r},weight,{50 + i % 40},,kg,{t},\n")
PY

run() {
    env -u PORTAL_DEMO_TOKEN DATABASE_URL="$DB_URL" PORTAL_DEMO_PASSWORD=bench-password-1234 \
        RUST_LOG=warn "$PORTAL_BIN" "$@"
}

for SYNC in full normal; do
    rm -rf "$WORK/db" && mkdir -p "$WORK/db"
    DB_URL="sqlite://$WORK/db/portal.db?synchronous=$SYNC"
    run demo >/dev/null
    start=$(date +%s.%N)
    run import-health "$WORK/readings.csv" --station gengjing-hs >/dev/null
    end=$(date +%s.%N)
    python3 -c "import sys; r=$ROWS; s=$end-$start; print(f'import synchronous={sys.argv[1]} rows={r} seconds={s:.2f} rows_per_second={r/s:.0f}')" "$SYNC"

    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    run serve --bind "127.0.0.1:$PORT" >/dev/null 2>&1 &
    SERVER=$!
    for _ in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then break; fi
        sleep 0.1
    done
    python3 - "$PORT" "$SAVES" "$SYNC" <<'PY'
import http.cookiejar, re, sys, time, urllib.parse, urllib.request
port, saves, sync = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = f"http://127.0.0.1:{port}"
jar = http.cookiejar.CookieJar()
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
def get(path):
    return opener.open(base + path).read().decode()
def post(path, fields):
    data = urllib.parse.urlencode(fields).encode()
    try:
        return opener.open(base + path, data).status
    except urllib.error.HTTPError as e:
        return e.code
def csrf(page):
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
post("/admin/login", {"csrf_token": csrf(get("/admin/login")), "username": "clerk", "password": "bench-password-1234"})
token = csrf(get("/admin/articles/new"))
times = []
for i in range(saves):
    t = time.perf_counter()
    status = post("/admin/articles/new", {"csrf_token": token, "section": "notices", "scope": "village",
                                          "title": f"测试草稿 {i}", "body": "<p>" + "村里的事。" * 40 + "</p>"})
    times.append(time.perf_counter() - t)
    assert status == 303, status
times.sort()
print(f"draft_save synchronous={sync} saves={saves} median_ms={times[len(times)//2]*1000:.2f} p95_ms={times[int(len(times)*0.95)]*1000:.2f}")
PY
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
done
