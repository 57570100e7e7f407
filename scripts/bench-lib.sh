# Shared by scripts/load-bench.sh, instances-bench.sh and regulator-bench.sh (sourced, not run): wrk, the
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

# Seeds $orders orders and 200,000 spare subjects with `beian bench-seed` and sets what the
# runs need from its answer: applicant, reviewer (API tokens), order, draft, subject (ids),
# spare and orders_file (files of ids, one a line).
seed_database() {
  seed="$("$bin" bench-seed --data-dir "$work" --orders "$orders" --spare-subjects 200000 "${db_args[@]}" 2>/dev/null)"
  echo "$seed" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("   seeded in %.1f s" % d["seconds"])'
  field() { echo "$seed" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
  applicant="$(field applicant_token)"; reviewer="$(field reviewer_token)"; order="$(field order_id)"
  spare="$(field spare_subjects_file)"; draft="$(field draft_order_id)"; subject="$(field subject_id)"
  orders_file="$(field orders_file)"
  if [ "$backend" = postgres ]; then
    # Let the fresh database settle before anything is measured: the vacuum autovacuum would
    # start on the new tables mid-run, and a checkpoint of the load's dirty pages.
    psql "${db_args[1]}" -qc 'VACUUM' -c 'CHECKPOINT' >/dev/null
  fi
}

# Writes wrk's script for reading orders at random among all seeded ones (as the applicant).
random_orders_script() { # path
  cat > "$1" <<LUA
local ids = {}
function init(args)
  for line in io.lines("$orders_file") do ids[#ids + 1] = line end
  math.randomseed(os.time() + math.random(1000))
end
function request()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", "/api/v1/orders/" .. id, { ["Authorization"] = "Bearer $applicant" })
end
LUA
}
