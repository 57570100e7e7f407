#!/usr/bin/env bash
# The provider API at two sizes, side by side: scripts/load-bench.sh with 10,000 and with
# 1,000,000 orders on file (same backend, same wrk settings), and for every endpoint and page
# the 1M figure as a share of the 10k one — how much the size of the database costs.
#
#   scripts/scale-bench.sh            # SQLite
#   scripts/scale-bench.sh postgres   # PostgreSQL at $BEIAN_BENCH_DATABASE_URL
# Env: SMALL (default 10000), LARGE (default 1000000), DURATION, CONNECTIONS as load-bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"
small="${SMALL:-10000}"
large="${LARGE:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for n in "$small" "$large"; do
  echo "== $n orders"
  ORDERS="$n" scripts/load-bench.sh "$backend" | tee "$work/$n.txt"
done
python3 - "$work/$small.txt" "$work/$large.txt" "$small" "$large" <<'PY'
import re, sys
line = re.compile(r"^(.*?)\s+([\d.]+)\s+req/s\s+p99\s+(\S+)\s+non-2xx\s+(\S+)")
def read(path):
    out = {}
    for l in open(path, encoding="utf-8"):
        m = line.match(l.rstrip("\n"))
        if m:
            out[m.group(1).strip()] = (float(m.group(2)), m.group(3), m.group(4))
    return out
def ms(p):
    m = re.match(r"([\d.]+)(us|ms|s)$", p)
    if not m:
        return None
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
a, b = read(sys.argv[1]), read(sys.argv[2])
small, large = int(sys.argv[3]), int(sys.argv[4])
print()
print(f"{'':36} {small:>11,} {large:>11,}   {'1M/10k':>7}   {'p99 ' + format(small, ','):>12} {'p99 ' + format(large, ','):>14}")
for name, (rps_a, p99_a, err_a) in a.items():
    if name not in b:
        continue
    rps_b, p99_b, err_b = b[name]
    ratio = rps_b / rps_a if rps_a else 0
    flag = "" if err_a == "0" and err_b == "0" else f"   non-2xx {err_a}/{err_b}"
    print(f"{name[:36]:36} {rps_a:>11,.0f} {rps_b:>11,.0f}   {ratio:>6.0%}   {p99_a:>12} {p99_b:>14}{flag}")
PY
echo "(req/s; reproduce: scripts/scale-bench.sh $backend)"
