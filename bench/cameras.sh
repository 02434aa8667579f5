#!/usr/bin/env bash
# Camera figures in one run, against a real RTSP camera (gst-rtsp-server,
# tests/support/rtsp_camera.py) and Debian's ffmpeg:
#   - grab + mask + resize + store per picture (the worker's own timing);
#   - CPU of the portal and its ffmpeg children for N cameras at the
#     interval (target: under 10% of one core for 50 cameras at 30 s);
#   - time from the first box's request to a playable live playlist
#     (target: under 4 s);
#   - the cameras list and a camera page served from the page cache, against
#     nginx serving the same bytes (when wrk and nginx are installed).
#
#   bench/cameras.sh
#
# Environment:
#   BENCH_CAMERAS          cameras to add (default 50)
#   BENCH_INTERVAL         seconds between pictures (default 30)
#   BENCH_MEASURE_SECONDS  how long CPU is measured after the first round (default 90)
#   BENCH_SECONDS          length of each wrk run (default 10)
#   PORTAL_BIN             use this village-portal binary instead of building one
#   BENCH_TARGET_DIR       cargo target folder for the build (default /tmp/bench-target)
#   BENCH_KEEP=1           keep the temporary folder
set -euo pipefail

CAMS=${BENCH_CAMERAS:-50}
INTERVAL=${BENCH_INTERVAL:-30}
MEASURE=${BENCH_MEASURE_SECONDS:-90}
SECS=${BENCH_SECONDS:-10}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PASSWORD=bench-password-1234

die() { echo "bench: error: $*" >&2; exit 1; }
command -v ffmpeg >/dev/null || die "ffmpeg is needed (apt-get install ffmpeg)"
/usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer", "1.0")' 2>/dev/null \
    || die "gst-rtsp-server is needed (apt-get install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-{base,good,ugly} gstreamer1.0-x)"
command -v curl >/dev/null || die "curl is needed"

if [ -z "${PORTAL_BIN:-}" ]; then
    export CARGO_TARGET_DIR=${BENCH_TARGET_DIR:-/tmp/bench-target}
    (cd "$ROOT" && cargo build --release --quiet)
    PORTAL_BIN=$CARGO_TARGET_DIR/release/village-portal
fi

TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "${BENCH_KEEP:-}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RTSP_PORT=$(free_port)
APP_PORT=$(free_port)
/usr/bin/python3 "$ROOT/tests/support/rtsp_camera.py" "$RTSP_PORT" cam bench-secret > "$TMP/rtsp.out" 2>"$TMP/rtsp.err" &
PIDS+=($!)
for _ in $(seq 1 50); do grep -q ready "$TMP/rtsp.out" && break; sleep 0.2; done
grep -q ready "$TMP/rtsp.out" || die "the RTSP camera did not start"

export DATABASE_URL="sqlite://$TMP/portal.db" PORTAL_DEMO_PASSWORD=$PASSWORD
"$PORTAL_BIN" demo > "$TMP/demo.log" 2>&1 || die "demo failed: $(tail -n 3 "$TMP/demo.log")"
PORTAL_BIND=127.0.0.1:$APP_PORT PORTAL_CAMERA_INTERVAL_SECONDS=$INTERVAL \
    RUST_LOG=info,village_portal::cameras=debug "$PORTAL_BIN" serve > "$TMP/serve.log" 2>&1 &
APP=$!
PIDS+=($APP)
BASE=http://127.0.0.1:$APP_PORT
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done

JAR=$TMP/jar
csrf() { curl -s -b "$JAR" -c "$JAR" "$BASE$1" | grep -o 'name="csrf_token" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//'; }
TOKEN=$(csrf /admin/login)
curl -s -b "$JAR" -c "$JAR" -o /dev/null -d "csrf_token=$TOKEN&username=admin&password=$PASSWORD" "$BASE/admin/login"
# Only the bench's cameras: the demo's test pictures would cost ffmpeg
# encoding, which real cameras do not.
TOKEN=$(csrf /admin/cameras)
for id in $(curl -s -b "$JAR" "$BASE/admin/cameras" | grep -o 'id="camera-[0-9]*"' | grep -o '[0-9]*'); do
    curl -s -b "$JAR" -o /dev/null -d "csrf_token=$TOKEN" "$BASE/admin/cameras/$id/delete"
done
VILLAGE_ID=$(curl -s -b "$JAR" "$BASE/admin/cameras/new" | grep -o '<option value="[0-9]*">宋家村' | grep -o '[0-9]*')
[ -n "$VILLAGE_ID" ] || die "no village 宋家村 in the camera form"
TOKEN=$(csrf /admin/cameras/new)
for n in $(seq 1 "$CAMS"); do
    curl -s -b "$JAR" -o /dev/null --data-urlencode "csrf_token=$TOKEN" --data-urlencode "village_id=$VILLAGE_ID" \
        --data-urlencode "name=摄像头$n" --data-urlencode "spot=路口$n" --data-urlencode "position=$n" \
        --data-urlencode "visibility=public" \
        --data-urlencode "rtsp_url=rtsp://cam:bench-secret@127.0.0.1:$RTSP_PORT/cam" "$BASE/admin/cameras"
done
echo "cameras=$CAMS interval_s=$INTERVAL"

# One round to fill every camera, then CPU over the measured window.
sleep $((INTERVAL + 5))
# utime+stime of the portal itself, and of its ended children (ffmpeg).
own() { awk '{print $14+$15}' "/proc/$APP/stat"; }
children() { awk '{print $16+$17}' "/proc/$APP/stat"; }
HZ=$(getconf CLK_TCK)
grabs() { grep -c 'grabbed, masked, resized and stored in' "$TMP/serve.log" || true; }
O0=$(own); C0=$(children); G0=$(grabs)
sleep "$MEASURE"
O1=$(own); C1=$(children); G1=$(grabs)
share() { awk -v d="$1" -v hz="$HZ" -v s="$MEASURE" 'BEGIN { printf "%.1f", d / hz / s * 100 }'; }
CPU=$(share $((O1 - O0 + C1 - C0)))
echo "cpu_portal_percent=$(share $((O1 - O0))) cpu_ffmpeg_percent=$(share $((C1 - C0)))"
GRABS=$((G1 - G0))
MS=$( (grep -o 'stored in [0-9]* ms' "$TMP/serve.log" || true) | (grep -o '[0-9]*' || true) | sort -n)
median() { awk '{a[NR]=$1} END { if (NR) print a[int((NR+1)/2)]; else print "n/a" }'; }
p90() { awk '{a[NR]=$1} END { i = int(NR * 0.9 + 0.5); if (i < 1) i = 1; if (NR) print a[i]; else print "n/a" }'; }
# Expected in the window: every camera once an interval.
echo "grabs_in_window=$GRABS expected=$((CAMS * MEASURE / INTERVAL)) grab_ms_p50=$(echo "$MS" | median) grab_ms_p90=$(echo "$MS" | p90)"
echo "cpu_ms_per_picture=$(awk -v d=$((O1 - O0 + C1 - C0)) -v hz="$HZ" -v g="$GRABS" 'BEGIN { if (g) printf "%.0f", d / hz / g * 1000; else print "n/a" }')"
echo "cpu_percent_of_one_core=$CPU (portal and its ffmpeg children, ${MEASURE}s, target < 10)"

# Live: from the first request to a playlist with a segment.
CAM=$(curl -s "$BASE/tv/v/songjia/cameras" | grep -o '/tv/v/songjia/cameras/[0-9]*"' | head -n 1 | tr -d '"')
LIVE=$(curl -s "$BASE$CAM" | grep -o '/tv/v/songjia/cameras/[0-9]*/live.m3u8?t=[^"]*' | head -n 1)
[ -n "$LIVE" ] || die "no live address on $CAM"
START=$(date +%s.%N)
for _ in $(seq 1 100); do
    if curl -s "$BASE$LIVE" | grep -q EXTINF; then break; fi
    sleep 0.1
done
END=$(date +%s.%N)
echo "live_first_playlist_s=$(awk -v a="$START" -v b="$END" 'BEGIN { printf "%.2f", b - a }') (target < 4)"

if command -v wrk >/dev/null && command -v nginx >/dev/null; then
    mkdir -p "$TMP/www/list" "$TMP/www/cam" "$TMP/www/home" "$TMP/www/notices" "$TMP/nginx"
    # The village's home and a notices list: the other TV pages' ratio, in the same run.
    curl -s "$BASE/tv/v/songjia" > "$TMP/www/home/index.html"
    curl -s "$BASE/tv/v/songjia/notices" > "$TMP/www/notices/index.html"
    curl -s "$BASE/tv/v/songjia/cameras" > "$TMP/www/list/index.html"
    curl -s "$BASE$CAM" > "$TMP/www/cam/index.html"
    NG_PORT=$(free_port)
    cat > "$TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
events { worker_connections 1024; }
http { access_log off; sendfile on; default_type text/html;
  client_body_temp_path $TMP/nginx; proxy_temp_path $TMP/nginx; fastcgi_temp_path $TMP/nginx; uwsgi_temp_path $TMP/nginx; scgi_temp_path $TMP/nginx;
  server { listen 127.0.0.1:$NG_PORT; root $TMP/www; } }
EOF
    nginx -c "$TMP/nginx/nginx.conf"
    PIDS+=($(cat "$TMP/nginx/nginx.pid"))
    rate() { wrk -t2 -c64 -d"${SECS}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
    for page in "home /tv/v/songjia" "notices /tv/v/songjia/notices" "list /tv/v/songjia/cameras" "camera $CAM"; do
        set -- $page
        P=$(rate "$BASE$2"); N=$(rate "http://127.0.0.1:$NG_PORT/$1/")
        echo "page=$1 portal_rps=$P nginx_rps=$N ratio=$(awk -v p="$P" -v n="$N" 'BEGIN { printf "%.2f", p / n }')"
    done
    nginx -c "$TMP/nginx/nginx.conf" -s stop || true
else
    echo "page cache vs nginx: skipped (apt-get install wrk nginx)"
fi
