#!/usr/bin/env bash
# fabric-bin.sh builds the pinned Hyperledger Fabric v3.1.1 binaries and
# Fabric CA v1.5.15 from the Go module proxy into a cache outside git, and
# reuses them when present.
#
# Usage: scripts/fabric-bin.sh            # build if missing, print the bin dir
# Env:   FABRIC_CACHE  cache root (default: ${XDG_CACHE_HOME:-$HOME/.cache}/chengnuo)
set -euo pipefail

# v3.1.1 is served by the proxy only as this pseudo-version (the module path
# has no /v3 suffix, so the release tag is not a valid module version).
readonly FABRIC_VERSION="v1.4.0-rc1.0.20250510200036-435a7f1a780a"
readonly FABRIC_LABEL="3.1.1"
readonly FABRIC_CA_VERSION="v1.5.15"
readonly TOOLS=(peer orderer configtxgen osnadmin configtxlator discover)
readonly CA_TOOLS=(fabric-ca-server fabric-ca-client)

cache_root="${FABRIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/chengnuo}"
bin_dir="${cache_root}/fabric-${FABRIC_LABEL}/bin"
stamp="${bin_dir}/.stamp"
want_stamp="${FABRIC_VERSION} ${FABRIC_CA_VERSION} $(go env GOVERSION)"

log() { printf '[fabric-bin] %s\n' "$*" >&2; }

complete() {
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want_stamp" ]] || return 1
  local t
  for t in "${TOOLS[@]}" "${CA_TOOLS[@]}"; do [[ -x "${bin_dir}/${t}" ]] || return 1; done
  [[ -d "${bin_dir}/../sampleconfig" ]] || return 1
}

if complete; then
  printf '%s\n' "$bin_dir"
  exit 0
fi

log "building Fabric ${FABRIC_LABEL} (${FABRIC_VERSION}) and Fabric CA ${FABRIC_CA_VERSION} into ${bin_dir}"
log "this takes about 4-6 minutes the first time on 2 cores; later runs reuse the cache"
mkdir -p "$bin_dir"

# build MODULE VERSION PKGDIR TOOLS...: one small module that requires
# MODULE@VERSION, then one go build per tool.
build() {
  local module="$1" version="$2" name="$3"
  shift 3
  local mod_dir="${cache_root}/fabric-${FABRIC_LABEL}/module-${name}" t
  mkdir -p "$mod_dir"
  {
    printf 'module chengnuo.local/%sbin\n\ngo 1.26\n\nrequire %s %s\n' "$name" "$module" "$version"
  } > "${mod_dir}/go.mod"
  {
    printf '//go:build tools\n\npackage %sbin\n\nimport (\n' "$name"
    for t in "$@"; do printf '\t_ "%s/cmd/%s"\n' "$module" "$t"; done
    printf ')\n'
  } > "${mod_dir}/tools.go"
  (
    cd "$mod_dir"
    export GOFLAGS=-mod=mod GOWORK=off
    log "resolving ${module} ${version}"
    go mod tidy > /dev/null 2>&1 || go mod download "$module"
    for t in "$@"; do
      log "go build ${t}"
      go build -trimpath -o "${bin_dir}/${t}" "${module}/cmd/${t}"
    done
  )
}

build github.com/hyperledger/fabric "$FABRIC_VERSION" fabric "${TOOLS[@]}"
build github.com/hyperledger/fabric-ca "$FABRIC_CA_VERSION" fabricca "${CA_TOOLS[@]}"
src="$(cd "${cache_root}/fabric-${FABRIC_LABEL}/module-fabric" && GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' github.com/hyperledger/fabric)"
rm -rf "${bin_dir}/../sampleconfig"
cp -r "${src}/sampleconfig" "${bin_dir}/../sampleconfig"
chmod -R u+w "${bin_dir}/../sampleconfig"
printf '%s' "$want_stamp" > "$stamp"
log "done"
printf '%s\n' "$bin_dir"
