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
log "this takes about 2 minutes the first time on 2 cores (more on a slow module proxy); later runs reuse the cache"
mkdir -p "$bin_dir"

# prepare MODULE VERSION NAME TOOLS...: one small module that requires
# MODULE@VERSION and imports its tools, with its module graph resolved.
prepare() {
  local module="$1" version="$2" name="$3"
  shift 3
  local mod_dir="${cache_root}/fabric-${FABRIC_LABEL}/module-${name}" t
  mkdir -p "$mod_dir"
  printf 'module chengnuo.local/%sbin\n\ngo 1.26\n\nrequire %s %s\n' "$name" "$module" "$version" > "${mod_dir}/go.mod"
  {
    printf '//go:build tools\n\npackage %sbin\n\nimport (\n' "$name"
    for t in "$@"; do printf '\t_ "%s/cmd/%s"\n' "$module" "$t"; done
    printf ')\n'
  } > "${mod_dir}/tools.go"
  (
    cd "$mod_dir"
    go mod tidy > /dev/null 2>&1 || go mod download "$module"
  )
}

# build MODULE NAME TOOLS...: every tool of the module in one go build
# (the packages compile once, in parallel, and the links run side by side),
# without symbol tables or DWARF (stack traces and profiles keep their
# function names), printing how far along it is.
build() {
  local module="$1" name="$2"
  shift 2
  local mod_dir="${cache_root}/fabric-${FABRIC_LABEL}/module-${name}" pkgs=() t total compiled=0 line
  for t in "$@"; do pkgs+=("${module}/cmd/${t}"); done
  (
    cd "$mod_dir"
    total="$(go list -deps "${pkgs[@]}" 2> /dev/null | wc -l)"
    log "compiling ${name}: $* (${total} packages)"
    go build -v -trimpath -ldflags "-s -w" -o "${bin_dir}/" "${pkgs[@]}" 2>&1 | while IFS= read -r line; do
      if [[ "$line" == "#"* || "$line" == *".go:"* || "$line" == *" "* ]]; then
        printf '%s\n' "$line" >&2 # a compiler's message, not a package name
      else
        compiled=$((compiled + 1))
        if ((compiled % 100 == 0)); then log "  ${name}: ${compiled}/${total} packages compiled"; fi
      fi
    done
    # The pipeline's status is the while loop's: check the binaries.
    for t in "$@"; do [[ -x "${bin_dir}/${t}" ]] || { log "go build of ${t} failed"; exit 1; }; done
  )
}

export GOFLAGS=-mod=mod GOWORK=off
t0=$SECONDS
log "1/4 resolving Fabric's module graph"
prepare github.com/hyperledger/fabric "$FABRIC_VERSION" fabric "${TOOLS[@]}"
# Fabric CA's modules download while Fabric compiles.
prepare github.com/hyperledger/fabric-ca "$FABRIC_CA_VERSION" fabricca "${CA_TOOLS[@]}" &
ca_prepared=$!
log "2/4 building Fabric ($((SECONDS - t0)) s so far)"
build github.com/hyperledger/fabric fabric "${TOOLS[@]}"
wait "$ca_prepared"
log "3/4 building Fabric CA ($((SECONDS - t0)) s so far)"
# The CA's SQLite (cgo) compiles in a fraction of the time without
# optimisation and debug information; the CA touches its database only to
# enrol and register identities.
CGO_CFLAGS="${CGO_CFLAGS:--O1 -g0}" build github.com/hyperledger/fabric-ca fabricca "${CA_TOOLS[@]}"
log "4/4 sample configuration ($((SECONDS - t0)) s so far)"
src="$(cd "${cache_root}/fabric-${FABRIC_LABEL}/module-fabric" && GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' github.com/hyperledger/fabric)"
rm -rf "${bin_dir}/../sampleconfig"
cp -r "${src}/sampleconfig" "${bin_dir}/../sampleconfig"
chmod -R u+w "${bin_dir}/../sampleconfig"
printf '%s' "$want_stamp" > "$stamp"
log "done in $((SECONDS - t0)) s"
printf '%s\n' "$bin_dir"
