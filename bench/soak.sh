#!/usr/bin/env bash
# Memory soak: the county-scale demo on SQLite, TV traffic over every kind of
# page of many villages (16 connections) and back-office writes (a write
# every 5 s) for SOAK_MINUTES (default 30); the portal's RSS is sampled every
# 30 s. After minute 5 it must stay within 10% of its value at minute 5:
# the run exits 1 otherwise, or when any request failed.
#
#   bench/soak.sh                         # 30 minutes
#   SOAK_MINUTES=10 PORTAL_BIN=... bench/soak.sh
#
# Needs wrk, curl and
# python3. Prints one line per sample: `minute=M rss_mb=X`, then the verdict.

set -euo pipefail

MINUTES=${SOAK_MINUTES:-30}
CONNS=${SOAK_CONNECTIONS:-16}
NVILLAGES=${BENCH_VILLAGES:-216}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PASSWORD=soak-password-1234

die() {
    echo "soak: error: $*" >&2
    exit 1
}
[[ $MINUTES =~ ^[0-9]+$ && $MINUTES -gt 5 ]] || die "SOAK_MINUTES must be more than 5"
for t in wrk curl python3; do command -v $t >/dev/null || die "$t is not installed"; done
if [[ -n ${PORTAL_BIN:-} ]]; then
    BIN=$PORTAL_BIN
else
    TARGET=${BENCH_TARGET_DIR:-/tmp/bench-target}
    (cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build --release --quiet) || die "release build failed"
    BIN=$TARGET/release/village-portal
fi

WORK=$(mktemp -d /tmp/vp-soak.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [[ ${BENCH_KEEP:-} == 1 ]] && echo "soak: kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT
for v in $(env | sed -n 's/^\(PORTAL_[A-Z_]*\)=.*/\1/p'); do [[ $v == PORTAL_BIN ]] || unset "$v"; done
export PORTAL_DEMO_PASSWORD=$PASSWORD PORTAL_TRUST_PROXY=true
export DATABASE_URL="sqlite://$WORK/portal.db"

echo "soak: loading the county-scale demo" >&2
RUST_LOG=warn "$BIN" demo --scale county >"$WORK/demo.log" 2>&1 || die "demo failed: $(tail -n 3 "$WORK/demo.log")"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$PORT" >"$WORK/portal.log" 2>&1 &
PORTAL=$!
PIDS+=($PORTAL)
for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done

# Every kind of TV page of the villages, with the evening's skew.
python3 - "$NVILLAGES" "$PORT" "$WORK/traffic.txt" <<'EOF'
import random, re, sys, urllib.request
n, port, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
codes = ["t%02dv%02d" % (t, v) for t in range(1, 41) for v in range(1, 19)][:n]
paths = []
for c in codes:
    body = urllib.request.urlopen("http://127.0.0.1:%s/tv/v/%s/notices" % (port, c)).read().decode()
    art = re.search(r"/tv/v/%s/a/\d+" % c, body).group(0)
    paths += ["/tv/v/" + c, "/tv/v/%s/notices" % c, "/tv/v/%s/notices?page=2" % c, "/tv/v/%s/news" % c,
              "/tv/v/%s/party" % c, "/tv/v/%s/affairs" % c, "/tv/v/%s/videos" % c, art]
kinds = [40, 14, 4, 10, 4, 4, 6, 18]
vw = [1.0 / (r + 1) ** 0.8 for r in range(len(codes))]
random.seed(10)
lines = [paths[random.choices(range(len(codes)), vw)[0] * 8 + random.choices(range(8), kinds)[0]]
         for _ in range(50000)]
open(out, "w").write("\n".join(lines) + "\n")
EOF
cat >"$WORK/traffic.lua" <<'EOF'
local paths = {}
for line in io.lines(os.getenv("BENCH_TRAFFIC")) do paths[#paths + 1] = line end
local i = 0
function init(args) math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16)); i = math.random(#paths) end
function request() i = i % #paths + 1; return wrk.format("GET", paths[i]) end
EOF
export BENCH_TRAFFIC=$WORK/traffic.txt

SECONDS_TOTAL=$((MINUTES * 60))
wrk -t2 -c"$CONNS" -d"${SECONDS_TOTAL}s" --latency -s "$WORK/traffic.lua" "http://127.0.0.1:$PORT" >"$WORK/wrk.txt" 2>&1 &
PIDS+=($!)
WRK=$!
python3 "$ROOT/bench/backoffice.py" "http://127.0.0.1:$PORT" --password "$PASSWORD" \
    --seconds "$SECONDS_TOTAL" --rate 0.2 >"$WORK/writer.txt" 2>&1 &
PIDS+=($!)
WRITER=$!

rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$PORTAL/status"; }
AT5=
WORST=0
for ((s = 30; s <= SECONDS_TOTAL; s += 30)); do
    sleep 30
    kill -0 "$PORTAL" 2>/dev/null || die "the portal died (see $WORK/portal.log)"
    r=$(rss)
    echo "minute=$(awk -v s=$s 'BEGIN { printf "%.1f", s / 60 }') rss_mb=$r"
    if ((s == 300)); then AT5=$r; fi
    if [[ -n $AT5 ]]; then
        WORST=$(python3 -c "print(max($WORST, abs($r - $AT5) / $AT5 * 100))")
    fi
done
wait "$WRK" || true
wait "$WRITER" || true
grep -E "Requests/sec|Non-2xx|Socket errors|^\s+99%" "$WORK/wrk.txt" | sed 's/^/soak: /'
echo "soak: writer: $(tail -n 1 "$WORK/writer.txt")"
echo "rss_at_minute_5_mb=$AT5 max_drift_after_minute_5_percent=$(printf '%.1f' "$WORST")"
bad=$(grep -cE "Non-2xx|Socket errors" "$WORK/wrk.txt" || true)
python3 -c "import sys; sys.exit(0 if $WORST <= 10 else 1)" || die "RSS drifted more than 10% after minute 5"
[[ $bad == 0 ]] || die "some requests failed (see above)"
grep -q "errors=0" "$WORK/writer.txt" || die "some back-office writes failed"
echo "soak: ok"
