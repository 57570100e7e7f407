#!/usr/bin/env bash
# The same outside check of both OpenAPI documents: schemathesis (from PyPI) generates requests
# from each service's /api/openapi.json — the provider's and the regulator simulator's — and
# checks every answer against the document: no 5xx, statuses, content types, headers and bodies
# as documented, invalid input refused, deleted things gone, unsupported methods refused. Two
# passes per service: signed in (an admin's API token at the provider, an admin's bearer token
# at the regulator), and without credentials (nothing that needs a sign-in answers without one).
#
# Left out, and why: `positive_data_acceptance` (the services check more than JSON Schema can
# say — a certificate's check digit, a province's rules — and refuse with a stable code, which
# that check counts as a failure), and `ignored_auth` in the signed-in pass (the provider takes a
# session cookie *or* a token: with a valid token in every request, a request whose generated
# cookie is invalid is rightly accepted; the unsigned pass checks sign-in instead). A missing
# If-Match may be answered 428 (scripts/schemathesis.toml).
#
#   scripts/schemathesis.sh [provider-url] [regulator-url]   (a running `beian demo`; defaults
#                                                              http://127.0.0.1:8080 and :8090)
# SCHEMATHESIS_SEED (default 2026) and SCHEMATHESIS_EXAMPLES (default 20) vary the run.
set -euo pipefail
config="$(cd "$(dirname "$0")" && pwd)/schemathesis.toml"
base="${1:-http://127.0.0.1:8080}"
reg="${2:-http://127.0.0.1:8090}"
seed="${SCHEMATHESIS_SEED:-2026}"
examples="${SCHEMATHESIS_EXAMPLES:-20}"
password="beian-demo-2026"
command -v schemathesis >/dev/null || { echo "schemathesis.sh: schemathesis is not installed (pip install 'schemathesis==4.32.5')" >&2; exit 1; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

# The provider: an admin's session, then an API token made with it.
curl -sf -c "$work/jar" -H 'content-type: application/json' \
  -d "{\"email\":\"admin@demo.beian.local\",\"password\":\"$password\"}" "$base/api/v1/auth/login" >"$work/login.json"
csrf="$(json csrf_token <"$work/login.json")"
provider_token="$(curl -sf -b "$work/jar" -H "x-csrf-token: $csrf" -H 'content-type: application/json' \
  -d '{"name":"schemathesis"}' "$base/api/v1/tokens" | json token)"
# The regulator: the demo's admin for every province.
regulator_token="$(curl -sf -H 'content-type: application/json' \
  -d "{\"username\":\"miit-admin\",\"password\":\"$password\"}" "$reg/api/v1/bureau/login" | json token)"

failed=0
run() { # name url checks [header]
  local name="$1" url="$2" checks="$3"; shift 3
  echo "== schemathesis: $name"
  # Run inside the scratch folder: schemathesis keeps a cache folder in its working directory.
  if (cd "$work" && schemathesis --config-file "$config" run "$url/api/openapi.json" "$@" --checks "$checks" -n "$examples" --seed "$seed" \
    --no-color --output-truncate true >"$work/out" 2>&1); then
    sed -n '/^Test cases:/,/^$/p' "$work/out" | sed 's/^/   /'
  else
    cat "$work/out"
    failed=1
  fi
}
signed="not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,missing_required_header,unsupported_method,allow_header_conformance,use_after_free,ensure_resource_availability"
unsigned="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,ignored_auth"
run "provider, signed in" "$base" "$signed" -H "Authorization: Bearer $provider_token"
run "provider, not signed in" "$base" "$unsigned"
run "regulator, signed in" "$reg" "$signed" -H "Authorization: Bearer $regulator_token"
run "regulator, not signed in" "$reg" "$unsigned"
exit "$failed"
