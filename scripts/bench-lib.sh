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

# Lua for wrk that loads a file of ids (36 characters and a newline each, as bench-seed writes
# them) as one string and defines `id(k)`, the k-th id from 0, and `ids`, how many there are.
# One string, not a table of a million strings: collecting the garbage of each request then
# walked every one of them, and the pauses of wrk's own thread (tens of milliseconds) were
# counted as the server's latency (p99 45-108 ms at a million orders; 8-10 ms without them).
ids_lua() { # file
  cat <<LUA
local all, ids
local function load_ids()
  local f = assert(io.open("$1"))
  all = f:read("*a")
  f:close()
  assert(#all % 37 == 0, "$1: not one 36-character id per line")
  ids = #all / 37
end
local function id(k)
  local at = k * 37 + 1
  return all:sub(at, at + 35)
end
LUA
}

# Writes wrk's script for reading orders at random among all seeded ones (as the applicant).
random_orders_script() { # path
  { ids_lua "$orders_file"; cat <<LUA
function init(args)
  load_ids()
  math.randomseed(os.time() + math.random(1000))
end
function request()
  return wrk.format("GET", "/api/v1/orders/" .. id(math.random(0, ids - 1)), { ["Authorization"] = "Bearer $applicant" })
end
LUA
  } > "$1"
}
