#!/usr/bin/env bash
# Benchmark of the TV pages on county-scale data, against nginx serving the
# very same bytes as static files, in one run.
#
#   bench/tv.sh
#
# What it does: installs wrk, nginx and curl from Debian when missing; builds
# the release binary (CARGO_TARGET_DIR=/tmp/bench-target, so debug builds in
# target/ are left alone); loads `demo --scale county` into a fresh SQLite
# database in a temporary folder; starts `village-portal serve`; fetches a
# generated village's home, a list page and an article page, saves those exact
# bytes for nginx; then runs wrk on each page against the portal and against
# nginx. Prints req/s, p50/p99 latency, the portal/nginx ratio per page, the
# portal's peak RSS, and last a line `min_ratio_vs_static=X.XX`.
#
# Environment:
#   BENCH_SECONDS      length of each wrk run (default 10)
#   BENCH_THREADS      wrk threads (default 2)
#   BENCH_CONNECTIONS  wrk connections (default 64)
#   BENCH_VILLAGE      generated village to measure (default t07v05; never one
#                      of 黄河路街道, whose demo alert would redirect TV pages)
#   PORTAL_BIN         use this village-portal binary instead of building one
#   BENCH_TARGET_DIR   cargo target folder for the build (default /tmp/bench-target)
#   BENCH_KEEP=1       keep the temporary folder (database, logs, pages)
#
# Exits non-zero when a step fails or a page does not answer 200. The targets
# (ratio >= 0.7 on every page, p99 <= 20 ms, RSS <= 150 MB) are reported,
# not enforced.

set -euo pipefail

SECS=${BENCH_SECONDS:-10}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-64}
VILLAGE=${BENCH_VILLAGE:-t07v05}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
    echo "bench: error: $*" >&2
    exit 1
}
say() { echo "bench: $*" >&2; }

[[ $SECS =~ ^[0-9]+$ && $SECS -gt 0 ]] || die "BENCH_SECONDS must be a positive whole number of seconds"
[[ $VILLAGE =~ ^[a-z0-9-]+$ ]] || die "BENCH_VILLAGE must be a place code"

# --- tools -------------------------------------------------------------------
NGINX=$(command -v nginx || true)
[[ -z $NGINX && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[[ -n $NGINX ]] || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
    say "installing ${missing[*]} from Debian"
    SUDO=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || die "need root or sudo to install ${missing[*]}"
        SUDO=(sudo)
    fi
    "${SUDO[@]}" apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi
[[ -x $NGINX ]] || die "nginx is not installed"
command -v wrk >/dev/null || die "wrk is not installed"

# --- binary ------------------------------------------------------------------
if [[ -n ${PORTAL_BIN:-} ]]; then
    BIN=$PORTAL_BIN
    [[ -x $BIN ]] || die "PORTAL_BIN=$BIN is not an executable"
    say "using $BIN"
else
    TARGET=${BENCH_TARGET_DIR:-/tmp/bench-target}
    say "building the release binary in $TARGET"
    (cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build --release --quiet) || die "release build failed"
    BIN=$TARGET/release/village-portal
fi

# --- a fresh database with the county-scale demo ------------------------------
WORK=$(mktemp -d /tmp/vp-bench.XXXXXX)
PORTAL_PID=
NGINX_PID=
cleanup() {
    [[ -n $PORTAL_PID ]] && kill "$PORTAL_PID" 2>/dev/null && wait "$PORTAL_PID" 2>/dev/null
    [[ -n $NGINX_PID ]] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    if [[ ${BENCH_KEEP:-} == 1 ]]; then
        say "kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# Only the settings chosen here reach the portal.
for v in $(env | sed -n 's/^\(PORTAL_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export DATABASE_URL="sqlite://$WORK/portal.db"
export PORTAL_DEMO_PASSWORD=bench-password-1234

say "loading the county-scale demo (demo --scale county)"
started=$(date +%s.%N)
RUST_LOG=warn "$BIN" demo --scale county >"$WORK/demo.log" 2>&1 || {
    cat "$WORK/demo.log" >&2
    die "demo --scale county failed"
}
took=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
grep -E "county-scale|households" "$WORK/demo.log" | sed 's/^/bench:   /' >&2 || true
echo "demo --scale county took ${took} s (database $(du -sh "$WORK" | cut -f1))"

# --- the portal ----------------------------------------------------------------
free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    die "no free port found"
}

PORT=$(free_port)
RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$PORT" >"$WORK/portal.log" 2>&1 &
PORTAL_PID=$!
for _ in $(seq 1 100); do
    curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
    kill -0 "$PORTAL_PID" 2>/dev/null || {
        cat "$WORK/portal.log" >&2
        die "the portal did not start"
    }
    sleep 0.2
done
curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" || die "the portal does not answer /healthz"

# --- the pages, saved byte for byte --------------------------------------------
WWW=$WORK/www
mkdir -p "$WWW"
# nginx workers may run as another user: let them read the pages.
chmod 755 "$WORK" "$WWW"

# fetch NAME PATH: saves the body as $WWW/NAME; fails unless 200.
fetch() {
    local code
    code=$(curl -s -o "$WWW/$1" -D "$WORK/$1.headers" -w '%{http_code}' "http://127.0.0.1:$PORT$2") || code=000
    [[ $code == 200 ]] || die "GET $2 answered $code, not 200 (see $WORK/$1.headers; BENCH_KEEP=1 keeps it)"
    chmod 644 "$WWW/$1"
}

NAMES=(home list article)
declare -A PATHS
PATHS[home]=/tv/v/$VILLAGE
PATHS[list]="/tv/v/$VILLAGE/notices?page=2"
fetch home "${PATHS[home]}"
fetch list "${PATHS[list]}"
id=$(grep -oE "/tv/v/$VILLAGE/a/[0-9]+" "$WWW/list" | head -n 1 | sed 's#.*/##' || true)
[[ -n $id ]] || die "no article link on ${PATHS[list]}"
PATHS[article]=/tv/v/$VILLAGE/a/$id
fetch article "${PATHS[article]}"
for n in "${NAMES[@]}"; do
    ct=$(tr -d '\r' <"$WORK/$n.headers" | sed -n 's/^[Cc]ontent-[Tt]ype: //p' | tail -n 1)
    [[ $ct == "text/html; charset=utf-8" ]] || say "note: ${PATHS[$n]} is served as '$ct'"
done

# --- nginx with the same bytes ---------------------------------------------------
NPORT=$(free_port)
while [[ $NPORT == "$PORT" ]]; do NPORT=$(free_port); done
mkdir -p "$WORK/nginx/tmp" "$WORK/nginx/logs"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    types { }
    default_type "text/html; charset=utf-8";
    server {
        listen 127.0.0.1:$NPORT;
        root $WWW;
    }
}
EOF
"$NGINX" -p "$WORK/nginx" -e "$WORK/nginx/logs/error.log" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx/logs/stdout.log" 2>&1 &
NGINX_PID=$!
for _ in $(seq 1 50); do
    curl -fs -o /dev/null "http://127.0.0.1:$NPORT/home" && break
    kill -0 "$NGINX_PID" 2>/dev/null || {
        cat "$WORK/nginx/logs/"*.log >&2
        die "nginx did not start"
    }
    sleep 0.1
done
for n in "${NAMES[@]}"; do
    code=$(curl -s -o "$WORK/$n.nginx" -w '%{http_code}' "http://127.0.0.1:$NPORT/$n") || code=000
    [[ $code == 200 ]] || die "nginx answered $code for /$n"
    cmp -s "$WORK/$n.nginx" "$WWW/$n" || die "nginx does not serve the same bytes for /$n"
done

# --- wrk ------------------------------------------------------------------------
# run_wrk URL: prints "req_per_s p50_ms p99_ms non2xx errors"
run_wrk() {
    local out
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency "$1" 2>&1) || {
        echo "$out" >&2
        die "wrk failed on $1"
    }
    echo "$out" >>"$WORK/wrk.log"
    awk '
        function ms(v) {
            if (v ~ /us$/) return v / 1000
            if (v ~ /ms$/) return v + 0
            if (v ~ /s$/) return v * 1000
            return v + 0
        }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        $1 == "Requests/sec:" { rps = $2 }
        /Non-2xx or 3xx responses:/ { bad = $NF }
        /Socket errors:/ { gsub(",", ""); err = $4 + $6 + $8 + $10 }
        END { printf "%.1f %.2f %.2f %d %d\n", rps, p50, p99, bad, err }
    ' <<<"$out"
}

say "wrk -t$THREADS -c$CONNS -d${SECS}s --latency on each page, portal then nginx"
# A short warm-up of the portal on every page first.
for n in "${NAMES[@]}"; do
    wrk -t1 -c4 -d1s "http://127.0.0.1:$PORT${PATHS[$n]}" >/dev/null 2>&1 || true
done

declare -A P N
for n in "${NAMES[@]}"; do
    P[$n]=$(run_wrk "http://127.0.0.1:$PORT${PATHS[$n]}")
    N[$n]=$(run_wrk "http://127.0.0.1:$NPORT/$n")
done
HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$PORTAL_PID/status")
RSS_KB=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PORTAL_PID/status")

# --- report ------------------------------------------------------------------------
echo
echo "village-portal vs nginx (same bytes), wrk -t$THREADS -c$CONNS -d${SECS}s, $(nproc) CPUs"
printf '%-8s %-28s %7s | %10s %8s %8s | %10s %8s %8s | %6s\n' \
    page path bytes "portal r/s" p50ms p99ms "nginx r/s" p50ms p99ms ratio
min_ratio=
max_p99=0
problems=()
for n in "${NAMES[@]}"; do
    read -r prps pp50 pp99 pbad perr <<<"${P[$n]}"
    read -r nrps np50 np99 nbad nerr <<<"${N[$n]}"
    ratio=$(awk -v a="$prps" -v b="$nrps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    printf '%-8s %-28s %7s | %10s %8s %8s | %10s %8s %8s | %6s\n' \
        "$n" "${PATHS[$n]}" "$(wc -c <"$WWW/$n")" "$prps" "$pp50" "$pp99" "$nrps" "$np50" "$np99" "$ratio"
    ((pbad + perr == 0)) || problems+=("portal $n: $pbad non-2xx answers, $perr socket errors")
    ((nbad + nerr == 0)) || problems+=("nginx $n: $nbad non-2xx answers, $nerr socket errors")
    min_ratio=$(awk -v a="$ratio" -v m="${min_ratio:-999}" 'BEGIN { printf "%.2f", (a < m ? a : m) }')
    max_p99=$(awk -v a="$pp99" -v m="$max_p99" 'BEGIN { printf "%.2f", (a > m ? a : m) }')
done
hwm_mb=$(awk -v k="$HWM_KB" 'BEGIN { printf "%.1f", k / 1024 }')
echo "portal peak RSS (VmHWM): ${hwm_mb} MB (VmRSS now $(awk -v k="$RSS_KB" 'BEGIN { printf "%.1f", k / 1024 }') MB)"
verdict() { awk -v ok="$1" 'BEGIN { print (ok ? "met" : "NOT met") }'; }
echo "targets: ratio >= 0.70 on every page: $(verdict "$(awk -v r="$min_ratio" 'BEGIN { print (r >= 0.7) }')" ) (min ${min_ratio});" \
    "p99 <= 20 ms at $CONNS connections: $(verdict "$(awk -v p="$max_p99" 'BEGIN { print (p <= 20) }')") (max ${max_p99} ms);" \
    "RSS <= 150 MB: $(verdict "$(awk -v m="$hwm_mb" 'BEGIN { print (m <= 150) }')") (${hwm_mb} MB)"
for p in "${problems[@]}"; do echo "warning: $p"; done
echo "min_ratio_vs_static=${min_ratio}"
