#!/usr/bin/env bash
# test.sh runs every test: static checks, unit tests (with the race detector)
# and the integration tests, which start their own Fabric network (own state
# dir, base port CHENGNUO_E2E_BASE_PORT, default 37000) and always tear it down.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[test] %s\n' "$*" >&2; }

log "gofmt"
unformatted="$(gofmt -l .)"
if [[ -n "$unformatted" ]]; then
  printf 'gofmt would change:\n%s\n' "$unformatted" >&2
  exit 1
fi
log "go vet"
go vet ./...
# The scripts are linted on every run: a lint that runs only where it
# happens to be installed lets findings in (.ci/run installs shellcheck).
command -v shellcheck > /dev/null || { log "shellcheck is required (apt-get install shellcheck; .ci/run installs it)"; exit 1; }
log "shellcheck"
shellcheck scripts/*.sh network/builder/bin/* .ci/run

# The API contract lints clean, what is generated from it is current, and
# the pages' scripts type-check against it.
scripts/api.sh check

# The Fabric binaries are built (once, cached) before the clock of the
# integration tests starts.
scripts/fabric-bin.sh > /dev/null

log "unit tests (race detector)"
mapfile -t units < <(go list ./... | grep -v /integration)
go test -count=1 -race -cover "${units[@]}"
log "integration tests on a real network"
go test -count=1 -timeout 30m -v ./integration/ 2>&1 | grep -Ev '^=== (RUN|PAUSE|CONT)'
