# Shared by scripts/load-bench.sh and scripts/regulator-bench.sh (sourced, not run): wrk, the
# release build, a throw-away PostgreSQL database, clean-up, and the one-line result printer.
# Expects: backend (sqlite|postgres), conns, duration; sets bin, work, port, db_args, server_pid.

command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -q wrk >/dev/null; }
cargo build --release -p beian --quiet
bin="${CARGO_TARGET_DIR:-target}/release/beian"
work="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
db_args=()
if [ "$backend" = postgres ]; then
  base="${BEIAN_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  name="beian_bench_$RANDOM$RANDOM"
  psql "$base" -qc "CREATE DATABASE $name" >/dev/null
  db_args=(--database-url "${base%/*}/$name")
fi
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [ "$backend" = postgres ] && psql "$base" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Waits until the service on $port answers /healthz.
wait_up() {
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "the service did not start; see $work/server.log" >&2; return 1
}

run() { # name, wrk args...
  local name="$1"; shift
  local out
  out="$(wrk -t2 -c"$conns" -d"$duration" --latency "$@")"
  local rps p99 errors
  rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  p99="$(echo "$out" | awk '$1 == "99%" {print $2}')"
  errors="$(echo "$out" | awk '/Non-2xx/ {print $5}')"
  printf "%-36s %12s req/s   p99 %9s   non-2xx %s\n" "$name" "$rps" "$p99" "${errors:-0}"
}
