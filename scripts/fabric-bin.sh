#!/usr/bin/env bash
# fabric-bin.sh builds the pinned Hyperledger Fabric v2.5.0 binaries from the Go
# module proxy into a cache outside git, and reuses them when present.
#
# Usage: scripts/fabric-bin.sh            # build if missing, print the bin dir
# Env:   FABRIC_CACHE  cache root (default: ${XDG_CACHE_HOME:-$HOME/.cache}/chengnuo)
set -euo pipefail

# v2.5.0 is served by the proxy only as this pseudo-version (the module path has
# no /v2 suffix, so the release tag is not a valid module version).
readonly FABRIC_VERSION="v1.4.0-rc1.0.20230401164317-bd8e24856939"
readonly FABRIC_LABEL="2.5.0"
readonly TOOLS=(peer orderer configtxgen cryptogen osnadmin configtxlator discover)

cache_root="${FABRIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/chengnuo}"
bin_dir="${cache_root}/fabric-${FABRIC_LABEL}/bin"
stamp="${bin_dir}/.stamp"
want_stamp="${FABRIC_VERSION} $(go env GOVERSION)"

log() { printf '[fabric-bin] %s\n' "$*" >&2; }

complete() {
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want_stamp" ]] || return 1
  local t
  for t in "${TOOLS[@]}"; do [[ -x "${bin_dir}/${t}" ]] || return 1; done
  [[ -d "${bin_dir}/../sampleconfig" ]] || return 1
}

if complete; then
  printf '%s\n' "$bin_dir"
  exit 0
fi

log "building Fabric ${FABRIC_LABEL} (${FABRIC_VERSION}) into ${bin_dir}"
log "this takes about 2-4 minutes the first time on 2 cores; later runs reuse the cache"
mod_dir="${cache_root}/fabric-${FABRIC_LABEL}/module"
mkdir -p "$mod_dir" "$bin_dir"
cat > "${mod_dir}/go.mod" <<MOD
module chengnuo.local/fabricbin

go 1.26

require github.com/hyperledger/fabric ${FABRIC_VERSION}
MOD
cat > "${mod_dir}/tools.go" <<'GO'
//go:build tools

package fabricbin

import (
	_ "github.com/hyperledger/fabric/cmd/configtxgen"
	_ "github.com/hyperledger/fabric/cmd/configtxlator"
	_ "github.com/hyperledger/fabric/cmd/cryptogen"
	_ "github.com/hyperledger/fabric/cmd/discover"
	_ "github.com/hyperledger/fabric/cmd/orderer"
	_ "github.com/hyperledger/fabric/cmd/osnadmin"
	_ "github.com/hyperledger/fabric/cmd/peer"
)
GO
(
  cd "$mod_dir"
  export GOFLAGS=-mod=mod GOWORK=off
  log "resolving module graph"
  go mod tidy >/dev/null 2>&1 || go mod download github.com/hyperledger/fabric
  stale=true
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want_stamp" ]] && stale=false
  for t in "${TOOLS[@]}"; do
    if [[ "$stale" == false && -x "${bin_dir}/${t}" ]]; then continue; fi
    log "go build ${t}"
    go build -trimpath -o "${bin_dir}/${t}" "github.com/hyperledger/fabric/cmd/${t}"
  done
  src="$(go list -m -f '{{.Dir}}' github.com/hyperledger/fabric)"
  rm -rf "${bin_dir}/../sampleconfig"
  cp -r "${src}/sampleconfig" "${bin_dir}/../sampleconfig"
  chmod -R u+w "${bin_dir}/../sampleconfig"
)
printf '%s' "$want_stamp" > "$stamp"
log "done"
printf '%s\n' "$bin_dir"
