#!/usr/bin/env bash
# The main job: builds libbeyla, shows what this kernel can do, then traces a real HTTP
# server (python3 http.server) while curl sends it requests, printing the spans.
# Usage: scripts/demo.sh   (root: loading BPF needs it)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
beyla=build/examples/beyla

echo "== beyla caps"
"$beyla" caps

port=${BEYLA_DEMO_PORT:-18080}
root=$(mktemp -d)
echo "hello from libbeyla" > "$root/index.html"
/usr/bin/python3 -m http.server "$port" --bind 127.0.0.1 --directory "$root" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$root"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done

echo "== beyla trace --port $port (requests from curl)"
( sleep 1
  for i in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:$port/index.html?n=$i"; done
  curl -s -o /dev/null "http://127.0.0.1:$port/missing"
  curl -s -o /dev/null -X POST -d 'name=beyla' "http://127.0.0.1:$port/form" ) &
"$beyla" trace --port "$port" --pid $$ --duration 3 --format text
