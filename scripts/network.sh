#!/usr/bin/env bash
# network.sh runs the local multi-department Fabric network natively: three
# etcdraft orderers, one peer per department org, the notary chaincode as a
# service, and one HTTP gateway per department.
#
# Usage: scripts/network.sh up|down|clean|status|deploy|committed|env ORG
#   deploy     rebuild the chaincode; if it changed, install it and bump the definition's sequence
#   committed  print the committed chaincode definition's sequence
#
# Environment:
#   CHENGNUO_STATE      state dir for crypto, ledgers, logs, pids (default: <repo>/.state)
#   CHENGNUO_BASE_PORT  every port is derived from it (default: 17000)
#   FABRIC_CACHE        where scripts/fabric-bin.sh keeps the Fabric binaries
#
# Ports (B = base port), all on 127.0.0.1:
#   orderer oN (N=1..3)  B+10N listen, B+10N+1 admin (channel participation), B+10N+2 operations
#   peer of org slot k   B+100+10k listen, +1 chaincode, +2 operations
#   chaincode server     B+200
#   gateway of slot k    B+80+k (HTTP)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${CHENGNUO_STATE:-${ROOT}/.state}"
BASE="${CHENGNUO_BASE_PORT:-17000}"
CHANNEL="chengnuo"
CC_NAME="notary"
WAIT_SECS="${CHENGNUO_WAIT_SECS:-60}"
# Fabric's default log format is coloured; log files want plain text.
LOG_FORMAT='%{time:2006-01-02 15:04:05.000 MST} [%{module}] %{shortfunc} -> %{level:.4s} %{message}'

CRYPTO="${STATE}/crypto"
CONFIG="${STATE}/config"
DATA="${STATE}/data"
LOGS="${STATE}/logs"
RUN="${STATE}/run"
BIN="${STATE}/bin"

ORD_DOMAIN="orderer.chengnuo.local"
ORD_ORG_DIR="${CRYPTO}/ordererOrganizations/${ORD_DOMAIN}"
ORD_TLS_CA="${ORD_ORG_DIR}/tlsca/tlsca.${ORD_DOMAIN}-cert.pem"
ORD_ADMIN_TLS="${ORD_ORG_DIR}/users/Admin@${ORD_DOMAIN}/tls"
CC_TLS_DIR="${CRYPTO}/peerOrganizations/cc.chengnuo.local/peers/notary.cc.chengnuo.local/tls"

# Department orgs, from network/orgs.tsv: key, MSP id, domain, name, role, slot.
ORG_KEYS=() ORG_MSP=() ORG_DOMAIN=() ORG_NAME=() ORG_ROLE=() ORG_SLOT=()
while IFS=$'\t' read -r key msp domain name role slot; do
  [[ -z "$key" || "$key" == \#* ]] && continue
  ORG_KEYS+=("$key") ORG_MSP+=("$msp") ORG_DOMAIN+=("$domain") ORG_NAME+=("$name") ORG_ROLE+=("$role") ORG_SLOT+=("$slot")
done < "${ROOT}/network/orgs.tsv"

log() { printf '[network] %s\n' "$*" >&2; }
die() { printf '[network] ERROR: %s\n' "$*" >&2; exit 1; }

orderer_port() { echo $((BASE + 10 * $1)); }
peer_port() { echo $((BASE + 100 + 10 * ORG_SLOT[$1])); }
cc_port() { echo $((BASE + 200)); }
gateway_port() { echo $((BASE + 80 + ORG_SLOT[$1])); }

org_index() {
  local i
  for i in "${!ORG_KEYS[@]}"; do
    if [[ "${ORG_KEYS[$i]}" == "$1" || "${ORG_MSP[$i]}" == "$1" ]]; then echo "$i"; return 0; fi
  done
  die "unknown org '$1' (known: ${ORG_KEYS[*]})"
}
peer_dir() { echo "${CRYPTO}/peerOrganizations/${ORG_DOMAIN[$1]}/peers/peer0.${ORG_DOMAIN[$1]}"; }
user_dir() { echo "${CRYPTO}/peerOrganizations/${ORG_DOMAIN[$1]}/users/$2@${ORG_DOMAIN[$1]}"; }
peer_tls_ca() { echo "$(peer_dir "$1")/tls/ca.crt"; }

# ---------------------------------------------------------------- binaries

# fabric_path puts the pinned Fabric binaries on PATH, building them once.
fabric_path() {
  local fabric_bin
  fabric_bin="$("${ROOT}/scripts/fabric-bin.sh")"
  FABRIC_BIN="$fabric_bin"
  SAMPLECONFIG="$(cd "${fabric_bin}/../sampleconfig" && pwd)"
  export PATH="${fabric_bin}:${PATH}"
}

# build_project builds the gateway and chaincode server, replacing a binary
# only when its bytes change, so an unchanged build restarts nothing.
build_project() {
  local new="${BIN}/.new" b
  mkdir -p "$new"
  log "building project binaries into ${BIN}"
  (cd "$ROOT" && go build -trimpath -buildvcs=false -o "$new/" ./cmd/chengnuo-gateway ./cmd/chengnuo &&
    go build -trimpath -buildvcs=false \
      -ldflags "-X github.com/chengnuo/chengnuo/chaincode.Version=${CHENGNUO_CC_VERSION:-dev}" \
      -o "$new/" ./cmd/chengnuo-cc) || die "go build failed"
  for b in chengnuo-gateway chengnuo-cc chengnuo; do
    if ! cmp -s "${new}/${b}" "${BIN}/${b}"; then mv "${new}/${b}" "${BIN}/${b}"; fi
  done
  rm -rf "$new"
}

ensure_bins() {
  fabric_path
  build_project
}

# ---------------------------------------------------------------- processes

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# running NAME: true if the pid file names a live process of our binary.
running() {
  local pidf="${RUN}/$1.pid" cmdf="${RUN}/$1.cmd" pid
  [[ -f "$pidf" && -f "$cmdf" ]] || return 1
  pid="$(cat "$pidf")"
  [[ -n "$pid" && -r "/proc/${pid}/cmdline" ]] || return 1
  tr '\0' ' ' < "/proc/${pid}/cmdline" | grep -qF -- "$(cat "$cmdf")"
}

# alive NAME: the process of the pid file exists and has not exited. Unlike
# `running`, it does not read the command line, which is briefly empty while
# nohup, env and setsid exec into the binary.
alive() {
  local pidf="${RUN}/$1.pid" pid state
  [[ -f "$pidf" ]] || return 1
  pid="$(cat "$pidf")"
  [[ -r "/proc/${pid}/stat" ]] || return 1
  state="$(sed 's/^.*) //' "/proc/${pid}/stat" 2> /dev/null | cut -d' ' -f1)"
  [[ -n "$state" && "$state" != "Z" ]]
}

tail_log() {
  local f="${LOGS}/$1.log"
  if [[ -f "$f" ]]; then
    printf -- '--- last lines of %s ---\n' "$f" >&2
    tail -n 25 "$f" >&2
    printf -- '---\n' >&2
  fi
}

# start_proc NAME PORT BINARY [ARGS...] — environment comes from the caller's
# PROC_ENV array; the process gets a clean environment plus PROC_ENV only.
start_proc() {
  local name="$1" port="$2" bin="$3"
  shift 3
  if running "$name"; then
    log "${name} already running (pid $(cat "${RUN}/${name}.pid"))"
    return 0
  fi
  if port_in_use "$port"; then
    die "cannot start ${name}: port ${port} on 127.0.0.1 is in use by another process (set CHENGNUO_BASE_PORT to move the network)"
  fi
  mkdir -p "$LOGS" "$RUN"
  printf '%s' "$bin" > "${RUN}/${name}.cmd"
  nohup env -i PATH="$PATH" HOME="$HOME" "${PROC_ENV[@]}" setsid "$bin" "$@" \
    >> "${LOGS}/${name}.log" 2>&1 < /dev/null &
  echo $! > "${RUN}/${name}.pid"
  log "started ${name} (pid $!, log ${LOGS}/${name}.log)"
}

# wait_until NAME DESCRIPTION CMD... — bounded wait; fails fast if NAME died.
wait_until() {
  local name="$1" what="$2" deadline=$((SECONDS + WAIT_SECS))
  shift 2
  until "$@" > /dev/null 2>&1; do
    if [[ -n "$name" ]] && ! alive "$name"; then
      tail_log "$name"
      die "${name} exited while waiting for ${what}"
    fi
    if ((SECONDS >= deadline)); then
      [[ -n "$name" ]] && tail_log "$name"
      die "timed out after ${WAIT_SECS}s waiting for ${what}"
    fi
    sleep 0.3
  done
}

http_ok() { curl -fsS --max-time 2 "$1"; }

stop_proc() {
  local name="$1" pidf="${RUN}/$1.pid" pid i
  [[ -f "$pidf" ]] || return 0
  pid="$(cat "$pidf")"
  if running "$name"; then
    kill -TERM "$pid" 2> /dev/null || true
    for ((i = 0; i < 50; i++)); do
      running "$name" || break
      sleep 0.2
    done
    if running "$name"; then
      log "${name} did not stop in 10s; killing"
      kill -KILL "$pid" 2> /dev/null || true
    fi
    log "stopped ${name} (pid ${pid})"
  fi
  rm -f "$pidf" "${RUN}/${name}.cmd"
}

# ---------------------------------------------------------------- config

check_base() {
  local f="${STATE}/base_port"
  if [[ -f "$f" && "$(cat "$f")" != "$BASE" ]]; then
    die "state dir ${STATE} was created for base port $(cat "$f"), not ${BASE}; use that port or run 'clean' first"
  fi
  mkdir -p "$STATE"
  printf '%s' "$BASE" > "$f"
}

gen_crypto() {
  if [[ -d "$CRYPTO" ]]; then return 0; fi
  log "generating crypto material (cryptogen)"
  cryptogen generate --config "${ROOT}/network/crypto-config.yaml" --output "${CRYPTO}.tmp" > /dev/null
  mv "${CRYPTO}.tmp" "$CRYPTO"
}

render_configtx() {
  local orgs="" refs="" i
  for i in "${!ORG_KEYS[@]}"; do
    local msp="${ORG_MSP[$i]}"
    orgs+="  - &${msp}
    Name: ${msp}
    ID: ${msp}
    MSPDir: ${CRYPTO}/peerOrganizations/${ORG_DOMAIN[$i]}/msp
    Policies:
      Readers: {Type: Signature, Rule: \"OR('${msp}.admin', '${msp}.peer', '${msp}.client')\"}
      Writers: {Type: Signature, Rule: \"OR('${msp}.admin', '${msp}.client')\"}
      Admins: {Type: Signature, Rule: \"OR('${msp}.admin')\"}
      Endorsement: {Type: Signature, Rule: \"OR('${msp}.peer')\"}
    AnchorPeers:
      - {Host: 127.0.0.1, Port: $(peer_port "$i")}
"
    refs+="${refs:+, }*${msp}"
  done
  local tmpl
  tmpl="$(cat "${ROOT}/network/configtx.yaml.tmpl")"
  tmpl="${tmpl//@ORGS@/"$orgs"}"
  tmpl="${tmpl//@ORG_REFS@/"$refs"}"
  tmpl="${tmpl//@CRYPTO@/$CRYPTO}"
  tmpl="${tmpl//@O1_PORT@/"$(orderer_port 1)"}"
  tmpl="${tmpl//@O2_PORT@/"$(orderer_port 2)"}"
  tmpl="${tmpl//@O3_PORT@/"$(orderer_port 3)"}"
  printf '%s\n' "$tmpl"
}

gen_config() {
  mkdir -p "${CONFIG}/peer" "${CONFIG}/orderer" "${CONFIG}/configtx"
  # Stock core.yaml with two changes: no Docker endpoint, and our ccaas builder.
  sed -e 's|endpoint: unix:///var/run/docker.sock|endpoint: ""|' \
    -e "s|name: ccaas_builder|name: chengnuo-ccaas|" \
    -e "s|path: /opt/hyperledger/ccaas_builder|path: ${ROOT}/network/builder|" \
    -e "s|           - CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG|           - CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG\n           - CHENGNUO_CC_CLIENT_CERT\n           - CHENGNUO_CC_CLIENT_KEY|" \
    "${SAMPLECONFIG}/core.yaml" > "${CONFIG}/peer/core.yaml"
  grep -q "path: ${ROOT}/network/builder" "${CONFIG}/peer/core.yaml" || die "could not configure the external builder in core.yaml"
  grep -q "CHENGNUO_CC_CLIENT_KEY" "${CONFIG}/peer/core.yaml" || die "could not configure the builder's environment in core.yaml"
  cp "${SAMPLECONFIG}/orderer.yaml" "${CONFIG}/orderer/orderer.yaml"
  render_configtx > "${CONFIG}/configtx/configtx.yaml"
  if [[ ! -f "${CONFIG}/genesis.block" ]]; then
    log "creating the genesis block of channel ${CHANNEL}"
    configtxgen -configPath "${CONFIG}/configtx" -profile ChengnuoChannel -channelID "$CHANNEL" \
      -outputBlock "${CONFIG}/genesis.block" 2> "${LOGS}/configtxgen.log" || { tail_log configtxgen; die "configtxgen failed"; }
  fi
}

# ---------------------------------------------------------------- nodes

start_orderer() {
  local n="$1" port dir
  port="$(orderer_port "$n")"
  dir="${ORD_ORG_DIR}/orderers/o${n}.${ORD_DOMAIN}"
  mkdir -p "${DATA}/o${n}"
  PROC_ENV=(
    FABRIC_CFG_PATH="${CONFIG}/orderer"
    FABRIC_LOGGING_SPEC="INFO:orderer.common.broadcast=ERROR"
    FABRIC_LOGGING_FORMAT="$LOG_FORMAT"
    ORDERER_GENERAL_LISTENADDRESS=127.0.0.1
    ORDERER_GENERAL_LISTENPORT="$port"
    ORDERER_GENERAL_LOCALMSPID=OrdererMSP
    ORDERER_GENERAL_LOCALMSPDIR="${dir}/msp"
    ORDERER_GENERAL_BOOTSTRAPMETHOD=none
    ORDERER_GENERAL_TLS_ENABLED=true
    ORDERER_GENERAL_TLS_CERTIFICATE="${dir}/tls/server.crt"
    ORDERER_GENERAL_TLS_PRIVATEKEY="${dir}/tls/server.key"
    ORDERER_GENERAL_TLS_ROOTCAS="[${dir}/tls/ca.crt]"
    ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE="${dir}/tls/server.crt"
    ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY="${dir}/tls/server.key"
    ORDERER_GENERAL_CLUSTER_ROOTCAS="[${dir}/tls/ca.crt]"
    ORDERER_CHANNELPARTICIPATION_ENABLED=true
    ORDERER_ADMIN_LISTENADDRESS="127.0.0.1:$((port + 1))"
    ORDERER_ADMIN_TLS_ENABLED=true
    ORDERER_ADMIN_TLS_CERTIFICATE="${dir}/tls/server.crt"
    ORDERER_ADMIN_TLS_PRIVATEKEY="${dir}/tls/server.key"
    ORDERER_ADMIN_TLS_ROOTCAS="[${dir}/tls/ca.crt]"
    ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true
    ORDERER_ADMIN_TLS_CLIENTROOTCAS="[${dir}/tls/ca.crt]"
    ORDERER_OPERATIONS_LISTENADDRESS="127.0.0.1:$((port + 2))"
    ORDERER_METRICS_PROVIDER=disabled
    ORDERER_FILELEDGER_LOCATION="${DATA}/o${n}/ledger"
    ORDERER_CONSENSUS_WALDIR="${DATA}/o${n}/etcdraft/wal"
    ORDERER_CONSENSUS_SNAPDIR="${DATA}/o${n}/etcdraft/snapshot"
  )
  start_proc "orderer-o${n}" "$port" "${FABRIC_BIN}/orderer"
}

start_peer() {
  local i="$1" port dir key
  port="$(peer_port "$i")"
  dir="$(peer_dir "$i")"
  key="${ORG_KEYS[$i]}"
  mkdir -p "${DATA}/peer-${key}"
  PROC_ENV=(
    FABRIC_CFG_PATH="${CONFIG}/peer"
    FABRIC_LOGGING_SPEC="INFO"
    FABRIC_LOGGING_FORMAT="$LOG_FORMAT"
    CORE_PEER_ID="peer0.${ORG_DOMAIN[$i]}"
    CORE_PEER_LOCALMSPID="${ORG_MSP[$i]}"
    CORE_PEER_MSPCONFIGPATH="${dir}/msp"
    CORE_PEER_LISTENADDRESS="127.0.0.1:${port}"
    CORE_PEER_ADDRESS="127.0.0.1:${port}"
    CORE_PEER_CHAINCODELISTENADDRESS="127.0.0.1:$((port + 1))"
    CORE_PEER_CHAINCODEADDRESS="127.0.0.1:$((port + 1))"
    CORE_PEER_GOSSIP_BOOTSTRAP="127.0.0.1:${port}"
    CORE_PEER_GOSSIP_EXTERNALENDPOINT="127.0.0.1:${port}"
    # A peer that joins before the others probes their anchor peers too
    # early (they do not trust its TLS CA yet); the stock 25 s retry would
    # leave discovery partial for that long after every fresh start.
    CORE_PEER_GOSSIP_RECONNECTINTERVAL=2s
    CORE_PEER_TLS_ENABLED=true
    CORE_PEER_TLS_CERT_FILE="${dir}/tls/server.crt"
    CORE_PEER_TLS_KEY_FILE="${dir}/tls/server.key"
    CORE_PEER_TLS_ROOTCERT_FILE="${dir}/tls/ca.crt"
    CORE_PEER_FILESYSTEMPATH="${DATA}/peer-${key}"
    CORE_LEDGER_SNAPSHOTS_ROOTDIR="${DATA}/peer-${key}/snapshots"
    CORE_OPERATIONS_LISTENADDRESS="127.0.0.1:$((port + 2))"
    CORE_METRICS_PROVIDER=disabled
    CORE_CHAINCODE_EXECUTETIMEOUT=30s
    # The peer's own TLS credentials authenticate it to the chaincode server.
    CHENGNUO_CC_CLIENT_CERT="${dir}/tls/server.crt"
    CHENGNUO_CC_CLIENT_KEY="${dir}/tls/server.key"
  )
  start_proc "peer-${key}" "$port" "${FABRIC_BIN}/peer" node start
}

# as_admin I CMD... runs a peer CLI command as org I's admin against its peer.
as_admin() {
  local i="$1"
  shift
  env FABRIC_CFG_PATH="${CONFIG}/peer" \
    FABRIC_LOGGING_SPEC=WARNING \
    CORE_PEER_LOCALMSPID="${ORG_MSP[$i]}" \
    CORE_PEER_MSPCONFIGPATH="$(user_dir "$i" Admin)/msp" \
    CORE_PEER_ADDRESS="127.0.0.1:$(peer_port "$i")" \
    CORE_PEER_TLS_ENABLED=true \
    CORE_PEER_TLS_ROOTCERT_FILE="$(peer_tls_ca "$i")" \
    "$@"
}

ORDERER_ARGS=(-o "127.0.0.1:$(orderer_port 1)" --tls --cafile "$ORD_TLS_CA")

# osn N SUBCOMMAND ARGS... runs osnadmin against orderer N's admin endpoint
# with the orderer org admin's TLS client certificate.
osn() {
  local n="$1" sub="$2"
  shift 2
  osnadmin channel "$sub" -o "127.0.0.1:$(($(orderer_port "$n") + 1))" --ca-file "$ORD_TLS_CA" \
    --client-cert "${ORD_ADMIN_TLS}/client.crt" --client-key "${ORD_ADMIN_TLS}/client.key" "$@"
}

orderer_has_channel() {
  osn "$1" list --channelID "$CHANNEL" 2> /dev/null | grep -q '"status": *"active"'
}

join_channel() {
  local n i out
  for n in 1 2 3; do
    if osn "$n" list --channelID "$CHANNEL" 2> /dev/null | grep -q '^Status: 200'; then
      continue
    fi
    log "orderer o${n} joins channel ${CHANNEL}"
    out="$(osn "$n" join --channelID "$CHANNEL" --config-block "${CONFIG}/genesis.block" 2>&1)" || true
    grep -q '^Status: 201' <<< "$out" || die "orderer o${n} could not join channel ${CHANNEL}: ${out}"
  done
  for n in 1 2 3; do
    wait_until "orderer-o${n}" "orderer o${n} to activate channel ${CHANNEL}" orderer_has_channel "$n"
  done
  for i in "${!ORG_KEYS[@]}"; do
    if as_admin "$i" peer channel getinfo -c "$CHANNEL" > /dev/null 2>&1; then
      continue
    fi
    log "peer of ${ORG_MSP[$i]} joins channel ${CHANNEL}"
    as_admin "$i" peer channel join -b "${CONFIG}/genesis.block" > "${LOGS}/join-${ORG_KEYS[$i]}.log" 2>&1 \
      || { tail_log "join-${ORG_KEYS[$i]}"; die "peer of ${ORG_MSP[$i]} could not join ${CHANNEL}"; }
  done
}

# ---------------------------------------------------------------- chaincode

json_pem() { awk 'NF { sub(/\r$/, ""); printf "%s\\n", $0 }' "$1"; }

# cc_label names the package after the chaincode binary's hash, so changed
# chaincode gets a new package (and package id) and unchanged code none.
cc_label() { echo "${CC_NAME}_$(sha256sum "${BIN}/chengnuo-cc" | cut -c1-12)"; }

cc_package() {
  local label="$1" pkg="${STATE}/cc/$1.tar.gz" tmp
  if [[ -f "$pkg" ]]; then echo "$pkg"; return 0; fi
  mkdir -p "${STATE}/cc"
  tmp="$(mktemp -d)"
  cat > "${tmp}/connection.json" << JSON
{"address":"127.0.0.1:$(cc_port)","dial_timeout":"10s","tls_required":true,"client_auth_required":false,"root_cert":"$(json_pem "${CC_TLS_DIR}/ca.crt")"}
JSON
  printf '{"type":"ccaas","label":"%s"}\n' "$label" > "${tmp}/metadata.json"
  tar -C "$tmp" --owner=0 --group=0 --numeric-owner --mtime='2024-01-01' -czf "${tmp}/code.tar.gz" connection.json
  tar -C "$tmp" --owner=0 --group=0 --numeric-owner --mtime='2024-01-01' -czf "$pkg" metadata.json code.tar.gz
  rm -rf "$tmp"
  echo "$pkg"
}

committed_field() {
  # committed_field FIELD: the committed definition's version or sequence, or "".
  as_admin 0 peer lifecycle chaincode querycommitted -C "$CHANNEL" -n "$CC_NAME" -O json 2> /dev/null \
    | jq -r ".$1 // empty" 2> /dev/null || true
}

start_cc() {
  local package_id="$1" label="$2"
  if running chaincode && [[ "$(cat "${RUN}/chaincode.id" 2> /dev/null)" != "$package_id" ]]; then
    log "chaincode package changed; restarting the chaincode server"
    stop_proc chaincode
  fi
  # The chaincode server admits exactly the departments' peers: their TLS
  # certificates are pinned (a leaf in the pool verifies only itself), so
  # other certificates of the same TLS CAs (users, admins) are refused.
  local i certs="${CONFIG}/cc-client-certs.pem" cas="${CONFIG}/cc-client-cas.pem"
  : > "$certs"
  : > "$cas"
  for i in "${!ORG_KEYS[@]}"; do
    cat "$(peer_dir "$i")/tls/server.crt" >> "$certs"
    cat "$(peer_tls_ca "$i")" >> "$cas"
  done
  PROC_ENV=(
    CHAINCODE_CLIENT_CAS="$cas"
    CHAINCODE_CLIENT_CERTS="$certs"
    CHAINCODE_ID="$package_id"
    CHAINCODE_LISTEN="127.0.0.1:$(cc_port)"
    CHAINCODE_TLS_CERT="${CC_TLS_DIR}/server.crt"
    CHAINCODE_TLS_KEY="${CC_TLS_DIR}/server.key"
  )
  start_proc chaincode "$(cc_port)" "${BIN}/chengnuo-cc"
  printf '%s' "$package_id" > "${RUN}/chaincode.id"
  wait_until chaincode "the chaincode server on port $(cc_port)" port_in_use "$(cc_port)"
}

deploy_cc() {
  local label pkg package_id i seq current approvals
  label="$(cc_label)"
  pkg="$(cc_package "$label")"
  package_id="$(as_admin 0 peer lifecycle chaincode calculatepackageid "$pkg")"
  for i in "${!ORG_KEYS[@]}"; do
    if ! as_admin "$i" peer lifecycle chaincode queryinstalled -O json 2> /dev/null | grep -q "\"${package_id}\""; then
      log "installing ${label} on the peer of ${ORG_MSP[$i]}"
      as_admin "$i" peer lifecycle chaincode install "$pkg" > "${LOGS}/install.log" 2>&1 \
        || { tail_log install; die "install on ${ORG_MSP[$i]} failed"; }
    fi
  done
  start_cc "$package_id" "$label"

  current="$(committed_field version)"
  if [[ "$current" == "$label" ]]; then
    log "chaincode ${CC_NAME} ${label} is already committed"
    return 0
  fi
  seq="$(committed_field sequence)"
  seq=$((${seq:-0} + 1))
  log "deploying chaincode ${CC_NAME} ${label} as sequence ${seq}"
  approvals="$(as_admin 0 peer lifecycle chaincode checkcommitreadiness -C "$CHANNEL" -n "$CC_NAME" \
    -v "$label" --sequence "$seq" -O json 2> /dev/null || echo '{}')"
  for i in "${!ORG_KEYS[@]}"; do
    if [[ "$(jq -r ".approvals.${ORG_MSP[$i]} // false" <<< "$approvals")" == "true" ]]; then
      continue
    fi
    # The first transactions after channel creation may meet a raft election
    # still in progress: retry for a bounded time.
    wait_until "" "approval of ${label} by ${ORG_MSP[$i]}" \
      as_admin "$i" peer lifecycle chaincode approveformyorg "${ORDERER_ARGS[@]}" -C "$CHANNEL" -n "$CC_NAME" \
      -v "$label" --package-id "$package_id" --sequence "$seq" --waitForEventTimeout 20s
  done
  local peers=()
  for i in "${!ORG_KEYS[@]}"; do
    peers+=(--peerAddresses "127.0.0.1:$(peer_port "$i")" --tlsRootCertFiles "$(peer_tls_ca "$i")")
  done
  as_admin 0 peer lifecycle chaincode commit "${ORDERER_ARGS[@]}" -C "$CHANNEL" -n "$CC_NAME" \
    -v "$label" --sequence "$seq" "${peers[@]}" --waitForEventTimeout 30s > "${LOGS}/commit.log" 2>&1 \
    || { tail_log commit; die "chaincode commit failed"; }
  log "chaincode ${CC_NAME} ${label} committed (sequence ${seq})"
}

# discovered I: org I's peer sees every department peer on the channel and
# can plan an endorsement for the notary chaincode — what a gateway needs to
# submit. Without this, the first submits after a fresh start can fail.
discovered() {
  local i="$1" udir
  udir="$(user_dir "$i" User1)/msp"
  local args=(--peerTLSCA "$(peer_tls_ca "$i")" --userKey "${udir}/keystore/priv_sk"
    --userCert "$(ls "${udir}"/signcerts/*.pem)" --MSP "${ORG_MSP[$i]}")
  [[ "$(discover "${args[@]}" peers --channel "$CHANNEL" --server "127.0.0.1:$(peer_port "$i")" | jq length)" \
    == "${#ORG_KEYS[@]}" ]] || return 1
  discover "${args[@]}" endorsers --channel "$CHANNEL" --server "127.0.0.1:$(peer_port "$i")" \
    --chaincode "$CC_NAME" | jq -e '.[0].Layouts | length > 0'
}

wait_discovery() {
  local i
  for i in "${!ORG_KEYS[@]}"; do
    wait_until "peer-${ORG_KEYS[$i]}" "discovery at ${ORG_MSP[$i]} to see every peer and the chaincode" discovered "$i"
  done
}

# ---------------------------------------------------------------- gateways

# gen_secrets creates, once, the consortium secret of applicant keys (shared
# by every department) and each gateway's API keys.
gen_secrets() {
  local i roles
  if [[ ! -f "${STATE}/consortium.secret" ]]; then
    (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "${STATE}/consortium.secret")
  fi
  # A demo applicant CA stands in for the electronic-signature CAs that
  # issue applicants' certificates (chengnuo enrol issues one).
  "${BIN}/chengnuo" ca --dir "${STATE}/applicant-ca" > /dev/null
  for i in "${!ORG_KEYS[@]}"; do
    roles="clerk,auditor"
    [[ "${ORG_MSP[$i]}" == "JusticeMSP" ]] && roles+=",catalog-admin"
    [[ "${ORG_MSP[$i]}" == "CreditMSP" ]] && roles+=",credit-officer"
    "${BIN}/chengnuo" apikeys --dir "${STATE}/gateways/${ORG_KEYS[$i]}" --roles "$roles" > /dev/null
  done
}

# webhook_of KEY: the registry webhook configured for an org's gateway by
# CHENGNUO_WEBHOOK_<KEY> (e.g. CHENGNUO_WEBHOOK_POLICE), or nothing.
webhook_of() {
  local var
  var="CHENGNUO_WEBHOOK_$(tr '[:lower:]' '[:upper:]' <<< "$1")"
  printf '%s' "${!var:-}"
}

start_gateway() {
  local i="$1" key port udir
  key="${ORG_KEYS[$i]}"
  port="$(gateway_port "$i")"
  udir="$(user_dir "$i" User1)"
  mkdir -p "${DATA}/gateway-${key}"
  PROC_ENV=(
    CHENGNUO_ORGAN_NAME="${ORG_NAME[$i]}"
    CHENGNUO_STORE="${DATA}/gateway-${key}/letters.db"
    CHENGNUO_APPLICANT_SECRET_FILE="${STATE}/consortium.secret"
    CHENGNUO_API_KEYS_FILE="${STATE}/gateways/${key}/api-keys.json"
    CHENGNUO_VERIFY_WEBHOOK="$(webhook_of "$key")"
    CHENGNUO_CERT_ROOTS="${STATE}/applicant-ca/ca.pem"
    CHENGNUO_DETAILS_RETENTION="${CHENGNUO_DETAILS_RETENTION:-1m}"
    CHENGNUO_MAINTAIN_EVERY="${CHENGNUO_MAINTAIN_EVERY:-30s}"
    CHENGNUO_PUBLIC_RATE="${CHENGNUO_PUBLIC_RATE:-20}"
    CHENGNUO_LISTEN="127.0.0.1:${port}"
    CHENGNUO_MSP_ID="${ORG_MSP[$i]}"
    CHENGNUO_PEER_ENDPOINT="127.0.0.1:$(peer_port "$i")"
    CHENGNUO_PEER_TLS_CA="$(peer_tls_ca "$i")"
    CHENGNUO_CERT="$(ls "${udir}"/msp/signcerts/*.pem)"
    CHENGNUO_KEY="${udir}/msp/keystore/priv_sk"
    CHENGNUO_CHANNEL="$CHANNEL"
    CHENGNUO_CHAINCODE="$CC_NAME"
  )
  start_proc "gateway-${key}" "$port" "${BIN}/chengnuo-gateway"
}

# load_demo_catalog publishes, through the justice bureau's gateway, every
# item of network/demo-catalog.json that is not in the catalog yet.
load_demo_catalog() {
  local url key n code published=0 i
  url="http://127.0.0.1:$(gateway_port "$(org_index JusticeMSP)")/v1/catalog/items"
  key="$(sed -n 's/^CATALOG_ADMIN_KEY=//p' "${STATE}/gateways/justice/keys.env")"
  n="$(jq length "${ROOT}/network/demo-catalog.json")"
  for ((i = 0; i < n; i++)); do
    code="$(jq -r ".[$i].code" "${ROOT}/network/demo-catalog.json")"
    if curl -fsS --max-time 10 "${url}/${code}" > /dev/null 2>&1; then continue; fi
    jq -c ".[$i]" "${ROOT}/network/demo-catalog.json" \
      | curl -fsS --max-time 60 -H "Authorization: Bearer ${key}" -H 'Content-Type: application/json' \
        --data-binary @- "$url" > /dev/null || die "could not publish demo catalog item ${code}"
    published=$((published + 1))
  done
  log "demo catalog: ${published} item(s) published, ${n} in the file"
}

# ---------------------------------------------------------------- commands

cmd_up() {
  local t0=$SECONDS i n
  command -v jq > /dev/null || die "jq is required (apt-get install jq)"
  command -v curl > /dev/null || die "curl is required (apt-get install curl)"
  check_base
  mkdir -p "$LOGS" "$RUN" "$DATA"
  ensure_bins
  gen_crypto
  gen_config
  for n in 1 2 3; do start_orderer "$n"; done
  for i in "${!ORG_KEYS[@]}"; do start_peer "$i"; done
  for n in 1 2 3; do
    wait_until "orderer-o${n}" "orderer o${n} health" http_ok "http://127.0.0.1:$(($(orderer_port "$n") + 2))/healthz"
  done
  for i in "${!ORG_KEYS[@]}"; do
    wait_until "peer-${ORG_KEYS[$i]}" "peer of ${ORG_MSP[$i]} health" http_ok "http://127.0.0.1:$(($(peer_port "$i") + 2))/healthz"
  done
  join_channel
  deploy_cc
  wait_discovery
  gen_secrets
  for i in "${!ORG_KEYS[@]}"; do
    if running "gateway-${ORG_KEYS[$i]}" && { [[ "${RUN}/gateway-${ORG_KEYS[$i]}.pid" -ot "${BIN}/chengnuo-gateway" ]] ||
      [[ "${RUN}/gateway-${ORG_KEYS[$i]}.pid" -ot "${STATE}/gateways/${ORG_KEYS[$i]}/api-keys.json" ]]; }; then
      log "gateway binary or keys changed; restarting gateway-${ORG_KEYS[$i]}"
      stop_proc "gateway-${ORG_KEYS[$i]}"
    fi
    start_gateway "$i"
  done
  for i in "${!ORG_KEYS[@]}"; do
    wait_until "gateway-${ORG_KEYS[$i]}" "gateway of ${ORG_MSP[$i]} to be ready" \
      http_ok "http://127.0.0.1:$(gateway_port "$i")/readyz"
  done
  load_demo_catalog
  log "network up in $((SECONDS - t0))s"
  print_table
}

print_table() {
  local i
  # The department's Chinese name goes last: CJK characters break column widths.
  printf '\n%-9s %-12s %-24s %-17s %s\n' "ORG" "MSP ID" "GATEWAY" "PEER" "DEPARTMENT"
  for i in "${!ORG_KEYS[@]}"; do
    printf '%-9s %-12s %-24s %-17s %s\n' "${ORG_KEYS[$i]}" "${ORG_MSP[$i]}" \
      "http://127.0.0.1:$(gateway_port "$i")" "127.0.0.1:$(peer_port "$i")" "${ORG_NAME[$i]} (${ORG_ROLE[$i]})"
  done
  printf '\nchannel %s, chaincode %s; orderers 127.0.0.1:%s,%s,%s\n' "$CHANNEL" "$CC_NAME" \
    "$(orderer_port 1)" "$(orderer_port 2)" "$(orderer_port 3)"
  printf 'logs: %s   state: %s\n' "$LOGS" "$STATE"
  printf 'API keys: %s/gateways/<org>/keys.env (clerk, auditor; catalog-admin at justice, credit-officer at credit)\n' "$STATE"
}

all_procs() {
  local i n
  for i in "${!ORG_KEYS[@]}"; do echo "gateway-${ORG_KEYS[$i]}"; done
  echo chaincode
  for i in "${!ORG_KEYS[@]}"; do echo "peer-${ORG_KEYS[$i]}"; done
  for n in 3 2 1; do echo "orderer-o${n}"; done
}

cmd_down() {
  local p
  [[ -d "$RUN" ]] || { log "nothing running (no ${RUN})"; return 0; }
  for p in $(all_procs); do stop_proc "$p"; done
  log "network stopped"
}

cmd_clean() {
  cmd_down
  if [[ -d "$STATE" ]]; then
    rm -rf "$STATE"
    log "removed ${STATE}"
  fi
}

cmd_status() {
  local p health url i n rc=0
  printf '%-16s %-8s %-8s %s\n' "PROCESS" "PID" "STATE" "HEALTH"
  for p in $(all_procs); do
    url=""
    case "$p" in
      gateway-*) i="$(org_index "${p#gateway-}")"; url="http://127.0.0.1:$(gateway_port "$i")/readyz" ;;
      peer-*) i="$(org_index "${p#peer-}")"; url="http://127.0.0.1:$(($(peer_port "$i") + 2))/healthz" ;;
      orderer-o*) n="${p#orderer-o}"; url="http://127.0.0.1:$(($(orderer_port "$n") + 2))/healthz" ;;
    esac
    if running "$p"; then
      health="-"
      if [[ -n "$url" ]]; then
        if http_ok "$url" > /dev/null 2>&1; then health="healthy"; else health="UNHEALTHY"; rc=1; fi
      elif port_in_use "$(cc_port)"; then
        health="listening"
      fi
      printf '%-16s %-8s %-8s %s\n' "$p" "$(cat "${RUN}/${p}.pid")" "running" "$health"
    else
      printf '%-16s %-8s %-8s %s\n' "$p" "-" "stopped" "-"
      rc=1
    fi
  done
  return "$rc"
}

cmd_deploy() {
  check_base
  ensure_bins
  deploy_cc
}

# cmd_env ORG prints shell exports to use the peer CLI as that org's admin.
cmd_env() {
  local i
  i="$(org_index "${1:?usage: network.sh env ORG}")"
  cat << EOF
export PATH="$("${ROOT}/scripts/fabric-bin.sh"):\$PATH"
export FABRIC_CFG_PATH="${CONFIG}/peer"
export CORE_PEER_LOCALMSPID="${ORG_MSP[$i]}"
export CORE_PEER_MSPCONFIGPATH="$(user_dir "$i" Admin)/msp"
export CORE_PEER_ADDRESS="127.0.0.1:$(peer_port "$i")"
export CORE_PEER_TLS_ENABLED=true
export CORE_PEER_TLS_ROOTCERT_FILE="$(peer_tls_ca "$i")"
export ORDERER_ADDRESS="127.0.0.1:$(orderer_port 1)"
export ORDERER_TLS_CA="${ORD_TLS_CA}"
EOF
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  clean) cmd_clean ;;
  status) cmd_status ;;
  deploy) cmd_deploy ;;
  committed) fabric_path && committed_field sequence ;;
  env) cmd_env "${2:-}" ;;
  *)
    echo "usage: $0 up|down|clean|status|deploy|committed|env ORG" >&2
    exit 2
    ;;
esac
