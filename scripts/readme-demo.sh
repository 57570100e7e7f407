#!/usr/bin/env bash
# Proves the README's product command as a newcomer would meet it: runs the command exactly as
# the README's "On a fresh machine" section writes it (read from README.md, so the two cannot
# drift), with a temporary data folder and free ports appended, waits until both services
# answer /healthz, runs scripts/walkthrough.sh against them, then scripts/schemathesis.sh (both
# OpenAPI documents checked by an outside fuzzer; skipped when schemathesis is not installed,
# unless BEIAN_REQUIRE_SCHEMATHESIS=1), and stops them. `.ci/run` calls it; it fails when the
# command, the services, the walkthrough or the schemathesis run fail.
#
#   scripts/readme-demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# The first `cargo run` line of the README's first ```sh block is the product command.
cmd="$(awk '/^```sh$/ { inside = 1; next } /^```$/ { if (inside) exit } inside && /cargo run/ { print; exit }' README.md)"
if [ -z "$cmd" ]; then
  echo "readme-demo: README.md has no \`cargo run\` line in its first sh block" >&2
  exit 1
fi
case "$cmd" in
  *" -- demo"*) ;;
  *) echo "readme-demo: the README's product command does not run the demo: $cmd" >&2; exit 1 ;;
esac

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
provider_port="$(free_port)"
regulator_port="$(free_port)"
data="$(mktemp -d)"
log="$data.log"
pid=""
stop() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$data" "$log"
}
trap stop EXIT

echo "== README product command: $cmd (data in $data, ports $provider_port/$regulator_port)"
# `exec` makes the shell become cargo, so the pid is the process to stop.
bash -c "exec $cmd --data-dir '$data' --listen 127.0.0.1:$provider_port --regulator-listen 127.0.0.1:$regulator_port" \
  >"$log" 2>&1 &
pid=$!

# A cold release build may take a while before the services start.
for _ in $(seq 1 1800); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "readme-demo: the product command exited before serving:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  if curl -sf "http://127.0.0.1:$provider_port/healthz" >/dev/null 2>&1 \
    && curl -sf "http://127.0.0.1:$regulator_port/healthz" >/dev/null 2>&1; then
    break
  fi
  sleep 1
done
if ! curl -sf "http://127.0.0.1:$regulator_port/healthz" >/dev/null 2>&1; then
  echo "readme-demo: the services did not answer /healthz in time:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi

echo "== scripts/walkthrough.sh"
if ! scripts/walkthrough.sh "http://127.0.0.1:$provider_port" "http://127.0.0.1:$regulator_port"; then
  echo "readme-demo: the walkthrough failed; the demo's log:" >&2
  tail -n 60 "$log" >&2
  exit 1
fi
if command -v schemathesis >/dev/null; then
  if ! scripts/schemathesis.sh "http://127.0.0.1:$provider_port" "http://127.0.0.1:$regulator_port"; then
    echo "readme-demo: the schemathesis run failed" >&2
    exit 1
  fi
elif [ "${BEIAN_REQUIRE_SCHEMATHESIS:-0}" = 1 ]; then
  echo "readme-demo: schemathesis is required (BEIAN_REQUIRE_SCHEMATHESIS=1) but not installed" >&2
  exit 1
else
  echo "== schemathesis not installed: the OpenAPI check is skipped (pip install 'schemathesis==4.32.5')"
fi
echo "== README product command, walkthrough and OpenAPI check: ok"
