#!/usr/bin/env bash
# County-scale benchmark: TV traffic over many villages and every kind of TV
# page with an evening skew, against nginx serving the very same bytes, in
# three phases, on SQLite (one instance) and on PostgreSQL (two instances
# behind nginx).
#
#   bench/county.sh
#
# Phases (each: wrk on the portal, then wrk on nginx's copy, writes running
# through both):
#   idle        no writes
#   backoffice  a clerk signs in, saves drafts and submits: 5 writes/s
#   approvals   the same, plus one approval every 5 s in a measured village
#               and one county-wide notice half-way through the portal's run
#   notice      the stampede: back-office work, and a county-wide notice one
#               second into a short run (NOTICE_SECONDS, default 4), so most
#               of the run is every village's pages refilling at once
# Per phase it prints req/s, p50/p99 of both, the portal/nginx ratio, the
# page-cache hit rate (from /healthz/cache), pages rendered, requests
# that waited for another's render and requests answered from a page's
# older copy while it rendered anew, the portal's peak RSS and non-2xx
# answers. Needs wrk, nginx, curl, python3 (Debian's).
#
# Environment:
#   BENCH_SECONDS      each wrk run (default 10)
#   NOTICE_SECONDS     the notice phase's wrk run (default 4)
#   BENCH_CONNECTIONS  wrk connections (default 64)
#   BENCH_VILLAGES     villages in the traffic (default 216, t01v01..)
#   BENCH_ENGINES      "sqlite postgres" (default), or one of them
#   BENCH_PG_URL       PostgreSQL server to create a scratch database on
#                      (default postgres://postgres:postgres@127.0.0.1:5432/postgres)
#   PORTAL_BIN         the binary (built with --features postgres for PostgreSQL);
#                      else built in BENCH_TARGET_DIR (default /tmp/bench-target)
#   BENCH_KEEP=1       keep the temporary folder
# Targets (reported, not enforced): ratio >= 0.9, p99 <= 20 ms, RSS <= 100 MB.

set -euo pipefail

SECS=${BENCH_SECONDS:-10}
NOTICE_SECS=${NOTICE_SECONDS:-4}
CONNS=${BENCH_CONNECTIONS:-64}
NVILLAGES=${BENCH_VILLAGES:-216}
ENGINES=${BENCH_ENGINES:-sqlite postgres}
PG_URL=${BENCH_PG_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PASSWORD=bench-password-1234

die() {
    echo "county: error: $*" >&2
    exit 1
}
say() { echo "county: $*" >&2; }

[[ $SECS =~ ^[0-9]+$ && $SECS -gt 0 ]] || die "BENCH_SECONDS must be a positive whole number"
[[ $NVILLAGES =~ ^[0-9]+$ && $NVILLAGES -gt 0 && $NVILLAGES -le 720 ]] || die "BENCH_VILLAGES must be 1..720"
for t in wrk curl python3; do command -v $t >/dev/null || die "$t is not installed (apt-get install wrk curl python3)"; done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $NGINX ]] || die "nginx is not installed (apt-get install nginx)"

if [[ -n ${PORTAL_BIN:-} ]]; then
    BIN=$PORTAL_BIN
else
    TARGET=${BENCH_TARGET_DIR:-/tmp/bench-target}
    say "building the release binary in $TARGET"
    (cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build --release --quiet --features postgres) || die "release build failed"
    BIN=$TARGET/release/village-portal
fi
[[ -x $BIN ]] || die "no binary at $BIN"

WORK=$(mktemp -d /tmp/vp-county.XXXXXX)
chmod 755 "$WORK"
PIDS=()
PG_DB=
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [[ -n $PG_DB ]]; then psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
    if [[ ${BENCH_KEEP:-} == 1 ]]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
for v in $(env | sed -n 's/^\(PORTAL_[A-Z_]*\)=.*/\1/p'); do [[ $v == PORTAL_BIN ]] || unset "$v"; done
export PORTAL_DEMO_PASSWORD=$PASSWORD PORTAL_TRUST_PROXY=true
export PORTAL_SECRET=county-bench-secret-0123456789abcdef0123

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_up() {
    for _ in $(seq 1 150); do
        curl -fs -o /dev/null "http://127.0.0.1:$1/healthz" && return 0
        sleep 0.2
    done
    die "nothing answers on port $1 (logs in $WORK)"
}

# The villages of the traffic, and the paths of each (every kind of TV page).
villages() {
    python3 - "$NVILLAGES" <<'EOF'
import sys
n = int(sys.argv[1])
out = []
for t in range(1, 41):
    for v in range(1, 19):
        out.append("t%02dv%02d" % (t, v))
print("\n".join(out[:n]))
EOF
}

# pages PORT: writes $WORK/pages.txt (every path) and saves each page's
# bytes under $WORK/www for nginx.
pages() {
    local port=$1 v id
    : >"$WORK/pages.txt"
    mkdir -p "$WORK/www"
    chmod 755 "$WORK/www"
    for v in $(villages); do
        id=$(curl -fs "http://127.0.0.1:$port/tv/v/$v/notices" | grep -o "/tv/v/$v/a/[0-9]*" | head -n 1 || true)
        [[ -n $id ]] || die "no article on /tv/v/$v/notices"
        printf '%s\n' "/tv/v/$v" "/tv/v/$v/notices" "/tv/v/$v/notices?page=2" "/tv/v/$v/news" \
            "/tv/v/$v/party" "/tv/v/$v/affairs" "/tv/v/$v/videos" "$id" >>"$WORK/pages.txt"
    done
    while read -r p; do
        local f="$WORK/www$p.html"
        mkdir -p "$(dirname "$f")"
        code=$(curl -s -o "$f" -w '%{http_code}' "http://127.0.0.1:$port$p")
        [[ $code == 200 ]] || die "GET $p answered $code"
    done <"$WORK/pages.txt"
    chmod -R a+rX "$WORK/www"
    # The evening: a few villages and the home page draw most of the traffic.
    python3 - "$WORK/pages.txt" "$WORK/traffic.txt" <<'EOF'
import random, sys
paths = [l.strip() for l in open(sys.argv[1]) if l.strip()]
kinds = [40, 14, 4, 10, 4, 4, 6, 18]  # home, notices, page 2, news, party, affairs, videos, article
n = len(paths) // 8
vw = [1.0 / (r + 1) ** 0.8 for r in range(n)]
random.seed(10)
out = []
for _ in range(50000):
    v = random.choices(range(n), vw)[0]
    k = random.choices(range(8), kinds)[0]
    out.append(paths[v * 8 + k])
open(sys.argv[2], "w").write("\n".join(out) + "\n")
EOF
}

cat >"$WORK/traffic.lua" <<'EOF'
local paths = {}
for line in io.lines(os.getenv("BENCH_TRAFFIC")) do paths[#paths + 1] = line end
local i = 0
function init(args) math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16)); i = math.random(#paths) end
function request() i = i % #paths + 1; return wrk.format("GET", paths[i]) end
EOF
export BENCH_TRAFFIC=$WORK/traffic.txt

# nginx: the static copy on $STATIC, and for PostgreSQL the load balancer
# on $LB in front of the instances given.
start_nginx() {
    local upstream="" p
    for p in "$@"; do upstream+="        server 127.0.0.1:$p max_fails=1 fail_timeout=10s;"$'\n'; done
    local lb=""
    if [[ $# -gt 0 ]]; then
        lb="    upstream portal {
$upstream        keepalive 64;
    }
    server {
        listen 127.0.0.1:$LB;
        location / {
            proxy_pass http://portal;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header Host \$host;
            # The bench's back office signs in from many offices (see backoffice.py).
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_next_upstream error timeout;
        }
    }"
    fi
    cat >"$WORK/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    default_type text/html;
    client_body_temp_path $WORK/body;
    proxy_temp_path $WORK/proxy;
    fastcgi_temp_path $WORK/fastcgi;
    uwsgi_temp_path $WORK/uwsgi;
    scgi_temp_path $WORK/scgi;
    server {
        listen 127.0.0.1:$STATIC;
        root $WORK/www;
        location / { try_files "\$uri\$is_args\$args.html" =404; }
    }
$lb
}
EOF
    "$NGINX" -p "$WORK" -c "$WORK/nginx.conf" 2>"$WORK/nginx.stderr" &
    PIDS+=($!)
    NGINX_PID=$!
    sleep 0.5
}

# rss_sampler FILE PID...: peak RSS in kB of any of the PIDs, every 0.5 s.
rss_sampler() {
    local file=$1
    shift
    while :; do
        for p in "$@"; do awk '/^VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null; done >>"$file"
        sleep 0.5
    done
}

stats_sum() { # "hits stale misses waits" summed over the instances' ports
    local p
    for p in "$@"; do curl -fs "http://127.0.0.1:$p/healthz/cache" || echo '{}'; echo; done |
        python3 -c 'import json, sys
s = [json.loads(l) for l in sys.stdin if l.strip()]
print(*(sum(j.get(k, 0) for j in s) for k in ("hits", "stale", "misses", "waits")))'
}

# wrk_run PORT OUT SECONDS: one wrk run, its summary as "rps p50 p99 non2xx".
wrk_run() {
    wrk -t2 -c"$CONNS" -d"${3}s" --latency -s "$WORK/traffic.lua" "http://127.0.0.1:$1" >"$2" 2>&1 || true
    python3 - "$2" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*%s\s+([\d.]+)(us|ms|s)\s*$" % label, t, re.M)
    if not m: return float("nan")
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
rps = re.search(r"Requests/sec:\s+([\d.]+)", t)
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
n = int(bad.group(1)) if bad else 0
if errs: n += sum(int(x) for x in errs.groups())
print("%.0f %.2f %.2f %d" % (float(rps.group(1)) if rps else 0, ms("50%"), ms("99%"), n))
EOF
}

phase() { # phase NAME TARGET_PORT PIDS... (the instances' ports in $PORTS)
    local name=$1 target=$2
    shift 2
    local writer_args=() secs=$SECS
    case $name in
        backoffice) writer_args=(--rate 5) ;;
        approvals) writer_args=(--rate 5 --approve-every 5 --approve-places "$APPROVE" --county-notice-at $((SECS / 2))) ;;
        notice)
            secs=$NOTICE_SECS
            writer_args=(--rate 5 --county-notice-at 1)
            ;;
    esac
    read -r h0 s0 m0 w0 < <(stats_sum $PORTS)
    : >"$WORK/rss.$name"
    rss_sampler "$WORK/rss.$name" "$@" &
    local sampler=$!
    local writer=
    if [[ $name != idle ]]; then
        python3 "$ROOT/bench/backoffice.py" "http://127.0.0.1:$target" --password "$PASSWORD" \
            --seconds $((2 * secs + 1)) "${writer_args[@]}" >"$WORK/writer.$name" 2>&1 &
        writer=$!
        # The writer signs in first; its county notice counts from its start.
        [[ $name == notice ]] || sleep 1
    fi
    read -r prps pp50 pp99 pbad < <(wrk_run "$target" "$WORK/wrk.portal.$name" "$secs")
    read -r h1 s1 m1 w1 < <(stats_sum $PORTS)
    read -r nrps np50 np99 nbad < <(wrk_run "$STATIC" "$WORK/wrk.nginx.$name" "$secs")
    local wrote="-"
    if [[ -n $writer ]]; then
        wait "$writer" || say "the back-office writer reported errors: $(cat "$WORK/writer.$name")"
        wrote=$(tail -n 1 "$WORK/writer.$name")
    fi
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    local rss hit ratio
    rss=$(sort -n "$WORK/rss.$name" | tail -n 1)
    hit=$(python3 -c "h=$h1-$h0; m=$m1-$m0; print('%.3f' % (h/(h+m) if h+m else 0))")
    local stale=$((s1 - s0))
    ratio=$(python3 -c "print('%.2f' % ($prps/$nrps if $nrps else 0))")
    printf '%-9s %-10s portal %7s req/s p50 %6s p99 %7s ms | nginx %7s req/s p50 %6s p99 %7s ms | ratio %s | hit %s renders %s waited %s older %s | peak RSS %s MB | non-2xx %s | %s\n' \
        "$ENGINE" "$name" "$prps" "$pp50" "$pp99" "$nrps" "$np50" "$np99" "$ratio" "$hit" \
        "$((m1 - m0))" "$((w1 - w0))" "$stale" \
        "$(awk -v k="${rss:-0}" 'BEGIN { printf "%.1f", k / 1024 }')" "$((pbad + nbad))" "$wrote"
}

for ENGINE in $ENGINES; do
    STATIC=$(free_port)
    LB=$(free_port)
    case $ENGINE in
        sqlite) export DATABASE_URL="sqlite://$WORK/portal.db" ;;
        postgres)
            command -v psql >/dev/null || die "psql is not installed"
            PG_DB=vp_county_$$
            psql -q "$PG_URL" -c "CREATE DATABASE $PG_DB" >/dev/null || die "cannot create $PG_DB on $PG_URL"
            export DATABASE_URL="${PG_URL%/*}/$PG_DB"
            ;;
        *) die "unknown engine $ENGINE" ;;
    esac
    say "$ENGINE: loading the county-scale demo"
    started=$(date +%s)
    RUST_LOG=warn "$BIN" demo --scale county >"$WORK/demo.$ENGINE.log" 2>&1 || {
        tail -n 5 "$WORK/demo.$ENGINE.log" >&2
        die "demo --scale county failed"
    }
    say "$ENGINE: loaded in $(($(date +%s) - started)) s"
    # Behind the load balancer the writer plays an office's own proxy: the
    # portal takes the address two hops from the right (README, security).
    if [[ $ENGINE == postgres ]]; then export PORTAL_TRUSTED_PROXY_HOPS=2; else unset PORTAL_TRUSTED_PROXY_HOPS; fi
    A=$(free_port)
    RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$A" >"$WORK/portal-a.$ENGINE.log" 2>&1 &
    PIDS+=($!)
    INSTANCE_PIDS=($!)
    wait_up "$A"
    PORTS=$A
    if [[ $ENGINE == postgres ]]; then
        B=$(free_port)
        RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$B" >"$WORK/portal-b.$ENGINE.log" 2>&1 &
        PIDS+=($!)
        INSTANCE_PIDS+=($!)
        wait_up "$B"
        PORTS="$A $B"
    fi
    say "$ENGINE: fetching $NVILLAGES villages x 8 pages"
    pages "$A"
    # Approvals go to the most watched villages (the skew's first ones).
    APPROVE=$(python3 - "$DATABASE_URL" <<'EOF'
import sys, subprocess
url = sys.argv[1]
codes = ["t01v%02d" % v for v in range(1, 6)]
q = "SELECT id FROM places WHERE code IN (%s) ORDER BY code" % ",".join("'%s'" % c for c in codes)
if url.startswith("sqlite://"):
    import sqlite3
    rows = sqlite3.connect(url[len("sqlite://"):]).execute(q).fetchall()
    print(",".join(str(r[0]) for r in rows))
else:
    print(subprocess.check_output(["psql", "-Atc", q, url], text=True).strip().replace("\n", ","))
EOF
)
    if [[ $ENGINE == postgres ]]; then start_nginx $PORTS; TARGET=$LB; else start_nginx; TARGET=$A; fi
    for _ in $(seq 1 50); do curl -fs -o /dev/null "http://127.0.0.1:$STATIC/tv/v/t01v01.html" 2>/dev/null && break; sleep 0.1; done
    [[ $ENGINE == postgres ]] && wait_up "$LB"
    # Warm the caches once, as an evening would: every page on every
    # instance (each keeps its own), then the evening's traffic.
    for p in $PORTS; do
        BENCH_TRAFFIC=$WORK/pages.txt wrk -t2 -c16 -d4s -s "$WORK/traffic.lua" "http://127.0.0.1:$p" >/dev/null 2>&1 || true
    done
    wrk -t2 -c16 -d3s -s "$WORK/traffic.lua" "http://127.0.0.1:$TARGET" >/dev/null 2>&1 || true
    for name in idle backoffice approvals notice; do
        phase "$name" "$TARGET" "${INSTANCE_PIDS[@]}"
    done
    for p in "${INSTANCE_PIDS[@]}" "$NGINX_PID"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    PIDS=()
    if [[ -n $PG_DB ]]; then psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; PG_DB=; fi
done
