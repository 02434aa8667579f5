#!/usr/bin/env bash
# static/tv.js against shared/TV.md: ES3 syntax only (`acorn --ecma3` must
# parse it) and at most 3 KB minified (terser -c -m). acorn and terser come
# from npm into a cache directory (target/tvjs-tools; TVJS_TOOLS overrides),
# installed once. Without node/npm: skipped, or a failure under CI=true.
# Usage: scripts/check-tvjs.sh [FILE]   (default static/tv.js)
set -euo pipefail
if [ $# -gt 0 ]; then JS="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; else JS=static/tv.js; fi
cd "$(dirname "$0")/.."

LIMIT=3072
TOOLS="${TVJS_TOOLS:-${CARGO_TARGET_DIR:-target}/tvjs-tools}"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if [ "${CI:-}" = true ]; then
        echo "check-tvjs: node and npm are needed (Debian: apt-get install nodejs npm)" >&2
        exit 1
    fi
    echo "skipped: node/npm not installed, $JS not checked (Debian: apt-get install nodejs npm)"
    exit 0
fi

BIN="$TOOLS/node_modules/.bin"
if [ ! -x "$BIN/acorn" ] || [ ! -x "$BIN/terser" ]; then
    echo "installing acorn and terser into $TOOLS"
    mkdir -p "$TOOLS"
    npm install --no-save --no-audit --no-fund --no-package-lock --loglevel=error \
        --prefix "$TOOLS" acorn@8 terser@5 >/dev/null
fi

status=0
if "$BIN/acorn" --ecma3 --silent "$JS"; then
    echo "$JS: ES3 syntax ok (acorn --ecma3)"
else
    echo "$JS: not ES3 (acorn --ecma3 cannot parse it; see above)" >&2
    status=1
fi

if ! minified=$("$BIN/terser" "$JS" -c -m); then
    echo "$JS: terser failed" >&2
    exit 1
fi
bytes=$(printf '%s' "$minified" | wc -c | tr -d ' ')
if [ "$bytes" -le "$LIMIT" ]; then
    echo "$JS: $bytes bytes minified (limit $LIMIT)"
else
    echo "$JS: $bytes bytes minified, over the limit of $LIMIT" >&2
    status=1
fi
exit $status
