#!/usr/bin/env bash
# Streams one million generated resident-ID numbers through `beian id check` on one core
# and prints the wall time. Usage: scripts/bench-id-check.sh [LINES]
set -euo pipefail
cd "$(dirname "$0")/.."
lines="${1:-1000000}"
cargo build --release -p beian --quiet
input="$(mktemp)"
trap 'rm -f "$input"' EXIT
python3 - "$lines" > "$input" <<'PY'
import sys
weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
check = "10X98765432"
regions = ["110105", "330106", "440305", "510104", "110103"]
out = sys.stdout
for i in range(int(sys.argv[1])):
    body = "%s%04d%02d%02d%03d" % (regions[i % 5], 1950 + i % 60, 1 + i % 12, 1 + i % 28, i % 1000)
    out.write(body + check[sum(int(a) * w for a, w in zip(body, weights)) % 11] + "\n")
PY
bin="${CARGO_TARGET_DIR:-target}/release/beian"
start=$(date +%s.%N)
taskset -c 0 "$bin" id check < "$input" > /dev/null
end=$(date +%s.%N)
python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); n=int(sys.argv[3]); print(f'beian id check: {n} lines in {s:.3f} s on one core = {n/s/1e6:.2f} M lines/s')" "$start" "$end" "$lines"
