#!/usr/bin/env bash
# api.sh keeps the API contract (gateway/openapi.yaml) and what is generated
# from it in step, with pinned tools the script installs itself:
#
#   api.sh generate   the Go client (client/client.gen.go, oapi-codegen, pinned
#                     in tools/go.mod) and the TypeScript types of the pages'
#                     scripts (gateway/web/api.d.ts, openapi-typescript)
#   api.sh check      what make test runs: Redocly's lint (recommended rules,
#                     redocly.yaml), the committed generated files are what the
#                     document generates, and the pages' scripts type-check
#                     (tsc --checkJs) against the generated types
#
# npm tools are pinned in tools/node/package-lock.json and installed with
# `npm ci` into tools/node/node_modules (once; again when the lock changes).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[api] %s\n' "$*" >&2; }

NODE_DIR="$ROOT/tools/node"
DOC=gateway/openapi.yaml
CLIENT=client/client.gen.go
TYPES=gateway/web/api.d.ts

node_tools() {
  command -v npm > /dev/null || { log "npm is required (apt-get install npm; .ci/run installs it)"; exit 1; }
  local stamp="$NODE_DIR/node_modules/.installed"
  if [[ ! -f "$stamp" || "$NODE_DIR/package-lock.json" -nt "$stamp" ]]; then
    log "installing the pinned npm tools (npm ci in tools/node)"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error > /dev/null)
    touch "$stamp"
  fi
}

# gen_client DIR writes the Go client into DIR.
gen_client() {
  (cd client && go tool -modfile=../tools/go.mod oapi-codegen -config oapi-codegen.yaml -o "$1/client.gen.go" "../$DOC")
}

# gen_types FILE writes the TypeScript types into FILE.
gen_types() {
  "$NODE_DIR/node_modules/.bin/openapi-typescript" "$DOC" --output "$1" > /dev/null 2>&1 ||
    { "$NODE_DIR/node_modules/.bin/openapi-typescript" "$DOC" --output "$1"; exit 1; }
}

case "${1:-check}" in
  generate)
    node_tools
    log "Go client: $CLIENT"
    gen_client "$ROOT/client"
    log "TypeScript types: $TYPES"
    gen_types "$TYPES"
    ;;
  check)
    node_tools
    log "redocly lint (recommended rules)"
    # Node 20 prints a notice that later releases need Node 22: not a finding.
    if ! out="$("$NODE_DIR/node_modules/.bin/redocly" lint --config redocly.yaml "$DOC" 2>&1)"; then
      printf '%s\n' "$out" >&2
      exit 1
    fi
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    log "the generated client and types are current"
    gen_client "$tmp"
    gen_types "$tmp/api.d.ts"
    stale=0
    cmp -s "$tmp/client.gen.go" "$CLIENT" || { log "$CLIENT is stale: run scripts/api.sh generate"; stale=1; }
    cmp -s "$tmp/api.d.ts" "$TYPES" || { log "$TYPES is stale: run scripts/api.sh generate"; stale=1; }
    ((stale == 0)) || exit 1
    log "the pages' scripts type-check against the contract (tsc --checkJs)"
    "$NODE_DIR/node_modules/.bin/tsc" -p tools/tsconfig.json
    ;;
  *)
    echo "usage: $0 generate|check" >&2
    exit 2
    ;;
esac
