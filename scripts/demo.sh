#!/usr/bin/env bash
# The main job: builds libbeyla, shows what this kernel can do, then traces a real HTTP
# server (python3 http.server) while curl sends it requests, printing the spans; then runs the
# agent (`beyla run`) on the same server and scrapes its Prometheus endpoint.
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

# The same server under the long-running agent, configured as Beyla's users configure it
# (environment variables): spans printed, and RED metrics scraped from its /metrics.
prom=${BEYLA_DEMO_PROM_PORT:-19464}
echo "== beyla run (BEYLA_OPEN_PORT=$port BEYLA_PROMETHEUS_PORT=$prom BEYLA_TRACE_PRINTER=text)"
BEYLA_OPEN_PORT=$port BEYLA_PROMETHEUS_PORT=$prom BEYLA_TRACE_PRINTER=text OTEL_SERVICE_NAME=demo \
  "$beyla" run &
agent=$!
trap 'kill $agent 2>/dev/null || true; kill $server 2>/dev/null || true; rm -rf "$root"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$prom/metrics" && break; sleep 0.1; done
sleep 0.5
for i in 1 2 3 4 5; do curl -s -o /dev/null "http://127.0.0.1:$port/users/$i"; done
curl -s -o /dev/null "http://127.0.0.1:$port/index.html"
sleep 1.5
echo "== curl http://127.0.0.1:$prom/metrics (the same traffic: 5 requests on one route, 1 on another)"
curl -s "http://127.0.0.1:$prom/metrics" | grep -E '^http_server_request_duration_seconds_(count|sum)' || {
  echo "demo: no http_server_request_duration_seconds series in the scrape" >&2
  exit 1
}
kill -TERM $agent
wait $agent
