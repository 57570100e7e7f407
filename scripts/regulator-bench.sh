#!/usr/bin/env bash
# Load benchmark of the regulator's public query (like beian.miit.gov.cn) with 100,000 filed
# subjects (200,000 sites) on record.
#
#   scripts/regulator-bench.sh            # SQLite (default backend)
#   scripts/regulator-bench.sh postgres   # PostgreSQL at $BEIAN_BENCH_DATABASE_URL (a fresh database is created)
#
# Seeds with `beian regulator bench-seed` (the same record code a bureau approval runs), starts
# `beian regulator serve` (release build) and drives it with wrk on loopback: GET /healthz, the
# query by a random domain, by a random site number, and the query page. Prints throughput and
# p99 latency. Env: SUBJECTS (default 100000), DURATION (default 10s), CONNECTIONS (default 32).
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"
subjects="${SUBJECTS:-100000}"
duration="${DURATION:-10s}"
conns="${CONNECTIONS:-32}"
. scripts/bench-lib.sh

echo "== seeding $subjects filed subjects, two sites each ($backend)"
seed="$("$bin" regulator bench-seed --data-dir "$work" --subjects "$subjects" "${db_args[@]}" 2>/dev/null)"
field() { echo "$seed" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
echo "   seeded in $(field seconds | xargs printf '%.1f') s"
domains="$(field domains_file)"; numbers="$(field numbers_file)"

BEIAN_LOG=warn "$bin" regulator serve --data-dir "$work" --listen "127.0.0.1:$port" "${db_args[@]}" 2>"$work/server.log" &
server_pid=$!
wait_up

lua() { # file, query prefix
  cat <<LUA
local v = {}
function init(args)
  for line in io.lines("$1") do v[#v + 1] = line end
  math.randomseed(os.time() + math.random(100000))
end
function request()
  return wrk.format("GET", "$2" .. v[math.random(#v)])
end
LUA
}
lua "$domains" "/api/v1/query?domain=" > "$work/domain.lua"
# Numbers are UTF-8 (浙ICP备…): percent-encode them for the request line.
python3 -c 'import sys, urllib.parse; [print(urllib.parse.quote(l.strip())) for l in open(sys.argv[1]) if l.strip()]' "$numbers" > "$work/numbers.enc"
lua "$work/numbers.enc" "/api/v1/query?number=" > "$work/number.lua"
lua "$domains" "/query?domain=" > "$work/page.lua"


echo "== $backend, $subjects subjects on record, wrk -t2 -c$conns -d$duration on loopback"
url="http://127.0.0.1:$port"
run "GET /healthz" "$url/healthz"
run "GET /api/v1/query?domain={random}" -s "$work/domain.lua" "$url"
run "GET /api/v1/query?number={random}" -s "$work/number.lua" "$url"
run "GET /query?domain={random} (page)" -s "$work/page.lua" "$url"
echo "(reproduce: scripts/regulator-bench.sh $backend)"
