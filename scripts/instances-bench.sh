#!/usr/bin/env bash
# What a second instance buys: one and then two `beian serve` processes on one PostgreSQL
# database (same keys, same document folder), each time behind the same round-robin proxy
# (nginx from Debian), driven by wrk from a fourth process on this machine. For every run it
# prints the rate, the p99 and the CPU time each request cost the service, the database and the
# proxy (from /proc, summed over their processes), so a deployment of several machines can be
# sized from them.
#
#   scripts/instances-bench.sh     # PostgreSQL at $BEIAN_BENCH_DATABASE_URL (a fresh database)
# Env: ORDERS (default 1000000), DURATION (default 10s), CONNECTIONS (default 32).
set -euo pipefail
cd "$(dirname "$0")/.."
backend=postgres
orders="${ORDERS:-1000000}"
duration="${DURATION:-10s}"
conns="${CONNECTIONS:-32}"
. scripts/bench-lib.sh
command -v nginx >/dev/null || { echo "installing nginx-light"; apt-get install -y -q nginx-light >/dev/null; }

echo "== seeding $orders orders ($backend)"
seed_database
port2=$((port + 1)) proxy1=$((port + 2)) proxy2=$((port + 3))

BEIAN_LOG=warn BEIAN_WORKERS=1 "$bin" serve --data-dir "$work" --listen "127.0.0.1:$port" "${db_args[@]}" 2>"$work/server.log" &
server_pid=$!
wait_up
BEIAN_LOG=warn BEIAN_WORKERS=1 "$bin" serve --data-dir "$work" --listen "127.0.0.1:$port2" "${db_args[@]}" 2>"$work/server2.log" &
server2_pid=$!
proxy_pid=""
trap 'kill $server2_pid $proxy_pid 2>/dev/null || true; cleanup' EXIT
port="$port2" wait_up

# One proxy process, two front doors: :proxy1 sends everything to the first instance,
# :proxy2 alternates between both. Kept-alive upstream connections, as a production proxy has.
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1;
error_log $work/nginx/error.log warn;
pid $work/nginx/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  upstream one { server 127.0.0.1:$port; keepalive 64; }
  upstream two { server 127.0.0.1:$port; server 127.0.0.1:$port2; keepalive 64; }
  server {
    listen 127.0.0.1:$proxy1;
    location / { proxy_pass http://one; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  server {
    listen 127.0.0.1:$proxy2;
    location / { proxy_pass http://two; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' 2>"$work/nginx/stderr.log" &
proxy_pid=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$proxy2/healthz" >/dev/null && break; sleep 0.1; done

# CPU ticks (user + system) of the processes named $1 (comm, exact) or of the pids given.
ticks() {
  local pids
  if [ "$1" = "-p" ]; then shift; pids="$*"; else pids="$(pgrep -x "$1" | tr '\n' ' ')"; fi
  local t=0 p f
  for p in $pids; do
    f="$(cat "/proc/$p/stat" 2>/dev/null)" || continue
    f="${f##*) }"
    t=$((t + $(echo "$f" | awk '{print $12 + $13}')))
  done
  echo "$t"
}
hz="$(getconf CLK_TCK)"

measure() { # name, wrk args...
  local name="$1"; shift
  local s0 d0 p0 s1 d1 p1 out rps p99 total
  s0="$(ticks -p "$server_pid" "$server2_pid")" d0="$(ticks postgres)" p0="$(ticks nginx)"
  out="$(wrk -t2 -c"$conns" -d"$duration" --latency "$@")"
  s1="$(ticks -p "$server_pid" "$server2_pid")" d1="$(ticks postgres)" p1="$(ticks nginx)"
  rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  p99="$(echo "$out" | awk '$1 == "99%" {print $2}')"
  total="$(echo "$out" | awk '/requests in/ {print $1}')"
  python3 - "$name" "$rps" "$p99" "$total" "$hz" $((s1 - s0)) $((d1 - d0)) $((p1 - p0)) <<'PY'
import sys
name, rps, p99, total, hz, s, d, p = sys.argv[1:]
total, hz = int(total), int(hz)
us = lambda t: int(t) / hz / total * 1e6
print(f"{name:44} {float(rps):>9,.0f} req/s  p99 {p99:>8}   CPU per request: service {us(s):5.0f} µs  database {us(d):5.0f} µs  proxy {us(p):4.0f} µs")
PY
}

echo "== PostgreSQL, $orders orders on file, wrk -t2 -c$conns -d$duration on loopback"
random_orders_script "$work/random.lua"
for target in "direct to one instance:$port" "proxy, one instance:$proxy1" "proxy, two instances:$proxy2"; do
  label="${target%:*}" url="http://127.0.0.1:${target##*:}"
  measure "GET /healthz ($label)" "$url/healthz"
  measure "random order read ($label)" -s "$work/random.lua" "$url"
done
echo "(reproduce: scripts/instances-bench.sh)"
