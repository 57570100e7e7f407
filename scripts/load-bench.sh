#!/usr/bin/env bash
# Load benchmark of the provider API with 100,000 orders on file.
#
#   scripts/load-bench.sh            # SQLite (default backend)
#   scripts/load-bench.sh postgres   # PostgreSQL at $BEIAN_BENCH_DATABASE_URL (a fresh database is created)
#
# Seeds the database with `beian bench-seed`, starts `beian serve` (release build) and drives it
# with wrk from a second process on loopback: GET /healthz (the framework's ceiling), GET one
# order, the review queue's first page, order creation, and the pages (applicant's home and
# order, reviewer's queue and order, a filtered queue, two wizard steps, the admin dashboard and
# audit log) signed in through the sign-in form. Prints throughput and p99 latency.
# Env: ORDERS (default 100000), DURATION (default 10s), CONNECTIONS (default 32).
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"
orders="${ORDERS:-100000}"
duration="${DURATION:-10s}"
conns="${CONNECTIONS:-32}"
. scripts/bench-lib.sh

echo "== seeding $orders orders ($backend)"
seed_database

BEIAN_LOG=warn BEIAN_WORKERS=1 "$bin" serve --data-dir "$work" --listen "127.0.0.1:$port" "${db_args[@]}" 2>"$work/server.log" &
server_pid=$!
wait_up

# Each thread creates orders for its own half of the spare subjects, each subject once.
{ ids_lua "$spare"; cat <<LUA
local n = 0
function setup(thread)
  thread:set("tid", n)
  n = n + 1
end
function init(args)
  load_ids()
  pos = 0
end
function request()
  local k = 2 * pos + tid
  pos = pos + 1
  if k >= ids then k = tid end
  return wrk.format("POST", "/api/v1/orders", { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer $applicant" }, '{"subject_id":"' .. id(k) .. '"}')
end
LUA
} > "$work/create.lua"

random_orders_script "$work/random.lua"


echo "== $backend, $orders orders on file, wrk -t2 -c$conns -d$duration on loopback"
url="http://127.0.0.1:$port"
run "GET /healthz" "$url/healthz"
run "GET /api/v1/orders/{id}" -H "Authorization: Bearer $applicant" "$url/api/v1/orders/$order"
run "GET /api/v1/orders/{random of all}" -s "$work/random.lua" "$url"
run "GET /api/v1/review/queue (page 1)" -H "Authorization: Bearer $reviewer" "$url/api/v1/review/queue?limit=50"
run "POST /api/v1/orders (create)" -s "$work/create.lua" "$url"

# The pages, signed in through the sign-in form like a browser (session cookie).
page_cookie() { # email -> "beian_session=…"
  local jar="$work/jar-$1"
  local token
  token="$(curl -sf -c "$jar" "$url/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1)"
  curl -sf -b "$jar" -c "$jar" -o /dev/null --data-urlencode "email=$1" --data-urlencode "password=load-bench-password" \
    --data-urlencode "csrf_token=$token" "$url/login"
  awk '$6 == "beian_session" {print "beian_session=" $7}' "$jar"
}
applicant_cookie="$(page_cookie load-applicant@bench.local)"
reviewer_cookie="$(page_cookie load-reviewer@bench.local)"
run "page /app (home)" -H "Cookie: $applicant_cookie" "$url/app"
run "page /app/orders/{id}" -H "Cookie: $applicant_cookie" "$url/app/orders/$order"
run "page /app/subjects/{id} (subject, orders, filed sites)" -H "Cookie: $applicant_cookie" "$url/app/subjects/$subject"
run "page /review (queue, 50 rows)" -H "Cookie: $reviewer_cookie" "$url/review"
run "page /review/orders/{id}" -H "Cookie: $reviewer_cookie" "$url/review/orders/$order"
run "page /review?subject=… (filtered queue)" -H "Cookie: $reviewer_cookie" "$url/review?state=submitted&subject=%E9%98%BF%E9%87%8C"
run "page /app/orders/{draft}/edit/websites (wizard step + rules)" -H "Cookie: $applicant_cookie" "$url/app/orders/$draft/edit/websites"
run "page /app/orders/{draft}/edit/confirm (rules + documents)" -H "Cookie: $applicant_cookie" "$url/app/orders/$draft/edit/confirm"
admin_cookie="$(page_cookie load-admin@bench.local)"
run "page /admin (dashboard, computed in the background)" -H "Cookie: $admin_cookie" "$url/admin"
run "page /admin/audit" -H "Cookie: $admin_cookie" "$url/admin/audit"
echo "(reproduce: scripts/load-bench.sh $backend)"
