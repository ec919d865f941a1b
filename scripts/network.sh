#!/usr/bin/env bash
# network.sh runs the local multi-department network on one machine the way
# departments run it on their own hosts: each department of network/orgs.tsv
# is a host of its own — its own state directory (DEPT_HOME), its own
# certificate authority, orderer (SmartBFT consenter), peer, chaincode server
# and gateway, all started by the department's node kit (scripts/dept.sh).
# Between departments only public material moves, through an exchange
# directory: organisation definitions, the genesis block, config updates to
# sign, the consortium secret sealed to each department's transport key.
#
# With network namespaces (the default when run as root; CHENGNUO_NETNS=0
# turns them off) each department is a Linux network namespace with its own
# address in 198.18.0.0/15 on a bridge this script creates and removes; every
# connection between departments crosses that bridge. Without, all listen on
# 127.0.0.1 with distinct ports.
#
# Usage: scripts/network.sh COMMAND
#   up           build what is missing, start every founding department, create the channel,
#                deploy the chaincode, start the gateways, load the demo catalog
#   down | clean stop every process (clean also removes the state and the namespaces)
#   status       every department's processes and their health
#   deploy       rebuild the chaincode; if it changed, every department installs and approves it
#   hosts        only make the founding departments' hosts (namespaces)
#   join KEY     a department of orgs.tsv that is not on the channel joins the running network
#   leave KEY    a department leaves the channel (a majority of the others' admins sign)
#   backup KEY [DIR]   an encrypted online backup of a department (default DIR: $STATE/backups/KEY;
#                the key, made on first use, in $STATE/backup-keys/KEY.key — on real hosts kept apart)
#   destroy KEY  the drill's lost host: the department's processes killed, its namespace and directory removed
#   restore KEY FILE   restore a department onto a fresh host from a backup: its processes come back
#                with the same identities, the peer and orderer resynchronise from the others, the gateway's
#                read model catches up, and the letters anchored after the backup are listed
#   pitr KEY TIME   point-in-time restore of a department's PostgreSQL store (two replicas) to TIME from
#                its WAL archive; the letters anchored after TIME are listed (and in $STATE/lost-KEY.csv)
#   env KEY      shell exports to use the peer CLI as that department's admin
#   dept KEY ARGS...  run scripts/dept.sh for that department (inside its namespace)
#
# Environment:
#   CHENGNUO_STATE      state dir (default: <repo>/.state)
#   CHENGNUO_BASE_PORT  every port is derived from it (default: 17000)
#   CHENGNUO_NETNS      1 = one network namespace per department, 0 = loopback (default: 1 as root)
#   CHENGNUO_WEBHOOK_<KEY>  a department gateway's registry webhook (e.g. CHENGNUO_WEBHOOK_POLICE)
#   CHENGNUO_REMINDER_WEBHOOK_<KEY>  where a department's reminders (requests due soon, overdue) are posted
#   CHENGNUO_REPLICAS_<KEY> 2: that department runs two gateway replicas sharing a PostgreSQL store
#                       (chosen at its gateway's first start; default 1, the embedded store)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${CHENGNUO_STATE:-${ROOT}/.state}"
BASE="${CHENGNUO_BASE_PORT:-17000}"
BIN="${STATE}/bin"
EXCHANGE="${STATE}/exchange"
DEPTS="${STATE}/depts"
LOGS="${STATE}/logs"

ORG_KEYS=() ORG_MSP=() ORG_DOMAIN=() ORG_NAME=() ORG_PREFIX=() ORG_ROLE=() ORG_SLOT=() ORG_FOUNDING=()
while IFS=$'\t' read -r key msp domain name prefix role slot founding; do
  [[ -z "$key" || "$key" == \#* ]] && continue
  ORG_KEYS+=("$key") ORG_MSP+=("$msp") ORG_DOMAIN+=("$domain") ORG_NAME+=("$name") ORG_PREFIX+=("$prefix") ORG_ROLE+=("$role")
  ORG_SLOT+=("$slot") ORG_FOUNDING+=("$founding")
done < "${ROOT}/network/orgs.tsv"

log() { printf '[network] %s\n' "$*" >&2; }
die() {
  printf '[network] ERROR: %s\n' "$*" >&2
  exit 1
}

org_index() {
  local i
  for i in "${!ORG_KEYS[@]}"; do
    if [[ "${ORG_KEYS[$i]}" == "$1" || "${ORG_MSP[$i]}" == "$1" ]]; then
      echo "$i"
      return 0
    fi
  done
  die "unknown department '$1' (known: ${ORG_KEYS[*]})"
}

# ---------------------------------------------------------------- hosts

# Network namespaces: the mode is fixed when the state dir is created.
netns_mode() {
  local f="${STATE}/netns"
  if [[ ! -f "$f" ]]; then
    local want="${CHENGNUO_NETNS:-}"
    if [[ -z "$want" ]]; then
      if [[ "$(id -u)" == 0 ]] && command -v ip > /dev/null; then want=1; else want=0; fi
    fi
    mkdir -p "$STATE"
    printf '%s' "$want" > "$f"
  fi
  [[ "$(cat "$f")" == 1 ]]
}

# The namespaces' subnet: 198.18.N.0/24 with N from the base port, so that
# networks on different base ports (make up, tests, benchmarks) do not meet.
subnet() { echo "198.18.$(((BASE / 1000) % 256))"; }
bridge() { echo "cnbr${BASE}"; }
ns_name() { echo "cn${BASE}-$1"; }

dept_ip() {
  if netns_mode; then echo "$(subnet).$((10 + ORG_SLOT[$1]))"; else echo 127.0.0.1; fi
}

# host_up I: the department's host — a namespace with its loopback and one
# veth leg on the bridge.
host_up() {
  local i="$1" ns br veth
  netns_mode || return 0
  ns="$(ns_name "${ORG_KEYS[$i]}")"
  br="$(bridge)"
  veth="cv${BASE}${ORG_SLOT[$i]}"
  if ! ip link show "$br" > /dev/null 2>&1; then
    ip link add "$br" type bridge
    ip addr add "$(subnet).1/24" dev "$br"
    ip link set "$br" up
  fi
  if ! ip netns list | grep -qw "$ns"; then
    ip netns add "$ns"
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$br"
    ip link set "$veth" up
    ip -n "$ns" addr add "$(dept_ip "$i")/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" route add default via "$(subnet).1"
    log "host ${ns}: $(dept_ip "$i") on bridge ${br}"
  fi
  # The network's ports are kept out of the host's ephemeral range: an
  # outgoing connection that happened to get, say, the peer's operations
  # port as its local port would make the peer's restart fail to listen.
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_reserved_ports="${BASE}-$((BASE + 499))"
}

hosts_down() {
  local i ns
  netns_mode || return 0
  for i in "${!ORG_KEYS[@]}"; do
    ns="$(ns_name "${ORG_KEYS[$i]}")"
    if ip netns list | grep -qw "$ns"; then ip netns delete "$ns"; fi
    ip link delete "cv${BASE}${ORG_SLOT[$i]}" 2> /dev/null || true
  done
  if ip link show "$(bridge)" > /dev/null 2>&1; then ip link delete "$(bridge)"; fi
}

# dept I ARGS...: the department's node kit, on the department's host.
dept() {
  local i="$1"
  shift
  local envs=(DEPT_HOME="${DEPTS}/${ORG_KEYS[$i]}" CHENGNUO_BASE_PORT="$BASE" CHENGNUO_BIN="$BIN"
    FABRIC_BIN="$FABRIC_BIN")
  if netns_mode; then
    ip netns exec "$(ns_name "${ORG_KEYS[$i]}")" env "${envs[@]}" "${ROOT}/scripts/dept.sh" "$@"
  else
    env "${envs[@]}" "${ROOT}/scripts/dept.sh" "$@"
  fi
}

# ---------------------------------------------------------------- binaries

build_project() {
  local new="${BIN}/.new" b
  mkdir -p "$new"
  log "building project binaries into ${BIN}"
  # One go build for the three: the packages build in parallel. The
  # version stamp only exists in the chaincode package.
  # The public page's in-browser verifier builds alongside (WebAssembly).
  (cd "$ROOT" && GOOS=js GOARCH=wasm go build -trimpath -buildvcs=false -ldflags "-s -w" \
    -o "$new/chengnuo.wasm" ./cmd/chengnuo-wasm) &
  local wasm=$!
  (cd "$ROOT" && go build -trimpath -buildvcs=false \
    -ldflags "-X github.com/chengnuo/chengnuo/chaincode.Version=${CHENGNUO_CC_VERSION:-dev}" \
    -o "$new/" ./cmd/chengnuo-gateway ./cmd/chengnuo ./cmd/chengnuo-cc) || die "go build failed"
  wait "$wasm" || die "go build of the WebAssembly verifier failed"
  for b in chengnuo-gateway chengnuo-cc chengnuo; do
    if ! cmp -s "${new}/${b}" "${BIN}/${b}"; then mv "${new}/${b}" "${BIN}/${b}"; fi
  done
  mkdir -p "${BIN}/web"
  local exec_js goroot
  goroot="$(go env GOROOT)"
  exec_js="${goroot}/lib/wasm/wasm_exec.js"
  [[ -f "$exec_js" ]] || exec_js="${goroot}/misc/wasm/wasm_exec.js"
  cmp -s "$exec_js" "${BIN}/web/wasm_exec.js" || cp "$exec_js" "${BIN}/web/wasm_exec.js"
  if ! cmp -s "${new}/chengnuo.wasm" "${BIN}/web/chengnuo.wasm"; then mv "${new}/chengnuo.wasm" "${BIN}/web/chengnuo.wasm"; fi
  rm -rf "$new"
}

ensure_bins() {
  FABRIC_BIN="$("${ROOT}/scripts/fabric-bin.sh")"
  export FABRIC_BIN
  build_project
}

check_base() {
  local f="${STATE}/base_port"
  if [[ -f "$f" && "$(cat "$f")" != "$BASE" ]]; then
    die "state dir ${STATE} was created for base port $(cat "$f"), not ${BASE}; use that port or run 'clean' first"
  fi
  mkdir -p "$STATE" "$EXCHANGE" "$DEPTS" "$LOGS"
  printf '%s' "$BASE" > "$f"
}

# ---------------------------------------------------------------- the story of a department

# init_dept I: the department's host, CA and identities; its definition
# goes to the exchange.
init_dept() {
  local i="$1" key="${ORG_KEYS[$1]}"
  host_up "$i"
  dept "$i" init "$key" "${ORG_MSP[$i]}" "${ORG_DOMAIN[$i]}" "${ORG_NAME[$i]}" "${ORG_SLOT[$i]}" "$(dept_ip "$i")" "${ORG_PREFIX[$i]}"
  dept "$i" definition > "${EXCHANGE}/${key}.json.new"
  mv "${EXCHANGE}/${key}.json.new" "${EXCHANGE}/${key}.json"
}

exchanged_defs() {
  local i
  for i in "$@"; do echo "${EXCHANGE}/${ORG_KEYS[$i]}.json"; done
}

on_channel() { [[ -f "${DEPTS}/${ORG_KEYS[$1]}/joined" ]]; }

members() {
  local i
  for i in "${!ORG_KEYS[@]}"; do
    if on_channel "$i"; then echo "$i"; fi
  done
}

founders() {
  local i
  for i in "${!ORG_KEYS[@]}"; do
    if [[ "${ORG_FOUNDING[$i]}" == yes ]]; then echo "$i"; fi
  done
}

roles_of() {
  case "${ORG_MSP[$1]}" in
    JusticeMSP) echo "clerk,auditor,catalog-admin" ;;
    CreditMSP) echo "clerk,auditor,credit-officer" ;;
    *) echo "clerk,auditor" ;;
  esac
}

start_gateway() {
  local i="$1" var reminders replicas
  var="CHENGNUO_WEBHOOK_$(tr '[:lower:]' '[:upper:]' <<< "${ORG_KEYS[$i]}")"
  reminders="CHENGNUO_REMINDER_WEBHOOK_$(tr '[:lower:]' '[:upper:]' <<< "${ORG_KEYS[$i]}")"
  replicas="CHENGNUO_REPLICAS_$(tr '[:lower:]' '[:upper:]' <<< "${ORG_KEYS[$i]}")"
  CHENGNUO_GATEWAY_REPLICAS="${!replicas:-}" \
    CHENGNUO_VERIFY_WEBHOOK="${!var:-}" CHENGNUO_REMINDER_WEBHOOK="${!reminders:-}" CHENGNUO_CERT_ROOTS="${STATE}/applicant-ca/ca.pem" \
    CHENGNUO_DETAILS_RETENTION="${CHENGNUO_DETAILS_RETENTION:-1m}" \
    CHENGNUO_MAINTAIN_EVERY="${CHENGNUO_MAINTAIN_EVERY:-30s}" \
    CHENGNUO_PUBLIC_RATE="${CHENGNUO_PUBLIC_RATE:-20}" \
    dept "$i" start-gateway "$(roles_of "$i")"
}

# hand_secret FROM TO: FROM seals the consortium secret to TO's transport
# key; TO opens it. Only the sealed file crosses.
# The sealed file is signed by FROM's admin; TO checks the signature against
# FROM's CA and the fingerprint FROM tells it (on real hosts: over the phone).
hand_secret() {
  local from="$1" to="$2" sealed="${EXCHANGE}/secret-for-${ORG_KEYS[$2]}.pem" fp
  [[ -f "${DEPTS}/${ORG_KEYS[$to]}/secret/consortium.secret" ]] && return 0
  rm -f "$sealed"
  dept "$from" seal-secret "${EXCHANGE}/${ORG_KEYS[$to]}.json" "$sealed"
  fp="$(dept "$from" secret-fingerprint)"
  dept "$to" open-secret "$sealed" "${ORG_KEYS[$from]}" "$fp"
}

# install_cc I: department I packages its chaincode (its own server's
# address) and installs it; the package id is kept for approve_cc and
# start_cc.
install_cc() {
  local label pkg
  read -r label pkg < <(dept "$1" package-cc)
  dept "$1" install-cc "$pkg" > "${DEPTS}/${ORG_KEYS[$1]}/cc/installed.id"
}

installed_id() { cat "${DEPTS}/${ORG_KEYS[$1]}/cc/installed.id"; }
start_cc() { dept "$1" start-cc "$(installed_id "$1")"; }
approve_cc() {
  local defs
  mapfile -t defs < <(other_defs "$1")
  dept "$1" approve-cc "$APPROVE_LABEL" "$APPROVE_SEQ" "$(installed_id "$1")" "${defs[@]}"
}

# other_defs I: the definitions of the members other than I.
other_defs() {
  local m
  for m in $(members); do [[ "$m" == "$1" ]] || printf '%s\n' "${EXCHANGE}/${ORG_KEYS[$m]}.json"; done
}

# deploy_cc: every member installs its own package and approves; then
# each (re)starts its chaincode server and the definition is committed with
# a majority's endorsements. A peer sends its transactions to the package of
# the committed definition, and a server announces one package: between a
# server's restart and the commit, that department's endorsements wait for
# a package nobody serves (CORE_CHAINCODE_STARTUPTIMEOUT bounds the wait).
# Restarting the servers last, after every approval, keeps that window to
# the commit itself.
deploy_cc() {
  local i label current seq first others=()
  mapfile -t ms < <(members)
  first="${ms[0]}"
  local committed
  committed="$(dept "$first" committed)" || die "cannot tell which chaincode is committed"
  read -r current seq <<< "$committed"
  label="notary_$(sha256sum "${BIN}/chengnuo-cc" | cut -c1-12)"
  for i in "${ms[@]}"; do mkdir -p "${DEPTS}/${ORG_KEYS[$i]}/cc"; done
  each install_cc "${ms[@]}"
  if [[ "$current" == "$label" ]]; then
    each start_cc "${ms[@]}"
    log "chaincode ${label} is already committed (sequence ${seq})"
    return 0
  fi
  seq=$((${seq:-0} + 1))
  APPROVE_LABEL="$label" APPROVE_SEQ="$seq"
  each approve_cc "${ms[@]}"
  each start_cc "${ms[@]}"
  for i in "${ms[@]:1}"; do others+=("${EXCHANGE}/${ORG_KEYS[$i]}.json"); done
  dept "$first" commit-cc "$label" "$seq" "${others[@]}"
}

load_demo_catalog() {
  local i url key n code published=0
  i="$(org_index JusticeMSP)"
  url="http://$(dept_ip "$i"):$((BASE + 80 + ORG_SLOT[i]))/v1/catalog/items"
  key="$(sed -n 's/^CATALOG_ADMIN_KEY=//p' "${DEPTS}/justice/gateway/keys.env")"
  n="$(jq length "${ROOT}/network/demo-catalog.json")"
  for ((i = 0; i < n; i++)); do
    code="$(jq -r ".[$i].code" "${ROOT}/network/demo-catalog.json")"
    if curl -fsS --max-time 10 "${url}/${code}" > /dev/null 2>&1; then continue; fi
    # The key goes to curl in a config file descriptor, never as an
    # argument: any local user can read a process's arguments.
    jq -c ".[$i]" "${ROOT}/network/demo-catalog.json" |
      curl -fsS --max-time 60 --config <(printf 'header = "Authorization: Bearer %s"\n' "$key") \
        -H 'Content-Type: application/json' --data-binary @- "$url" > /dev/null ||
      die "could not publish demo catalog item ${code}"
    published=$((published + 1))
  done
  log "demo catalog: ${published} item(s) published, ${n} in the file"
  load_calendars
}

# load_calendars: the official calendars of working days (network/calendars/),
# each published once (a year already on the ledger is left as it is: a
# correction is the justice bureau's new version, not a restart's).
load_calendars() {
  local i url key f year
  i="$(org_index JusticeMSP)"
  url="http://$(dept_ip "$i"):$((BASE + 80 + ORG_SLOT[i]))/v1/calendar"
  key="$(sed -n 's/^CATALOG_ADMIN_KEY=//p' "${DEPTS}/justice/gateway/keys.env")"
  for f in "${ROOT}"/network/calendars/*.json; do
    year="$(basename "$f" .json)"
    if curl -fsS --max-time 10 "${url}/${year}" > /dev/null 2>&1; then continue; fi
    curl -fsS --max-time 60 --config <(printf 'header = "Authorization: Bearer %s"\n' "$key") -X PUT \
      -H 'Content-Type: application/json' --data-binary @"$f" "${url}/${year}" > /dev/null ||
      die "could not publish the calendar of ${year}"
    log "calendar of ${year} published"
  done
}

# write_network_json: where everything is, for the demo, tests and benchmarks.
write_network_json() {
  local i rows=()
  for i in $(members); do
    rows+=("$(jq -n --arg key "${ORG_KEYS[$i]}" --arg msp "${ORG_MSP[$i]}" --arg name "${ORG_NAME[$i]}" --arg prefix "${ORG_PREFIX[$i]}" \
      --arg ip "$(dept_ip "$i")" --arg home "${DEPTS}/${ORG_KEYS[$i]}" \
      --arg ns "$(netns_mode && ns_name "${ORG_KEYS[$i]}")" \
      --arg gateway "http://$(dept_ip "$i"):$((BASE + 80 + ORG_SLOT[i]))" \
      --arg gateway2 "$([[ "$(cat "${DEPTS}/${ORG_KEYS[$i]}/gateway/replicas" 2> /dev/null)" == 2 ]] &&
        echo "http://$(dept_ip "$i"):$((BASE + 70 + ORG_SLOT[i]))")" \
      --arg ops "http://$(dept_ip "$i"):$((BASE + 340 + ORG_SLOT[i]))" \
      --arg ops2 "$([[ "$(cat "${DEPTS}/${ORG_KEYS[$i]}/gateway/replicas" 2> /dev/null)" == 2 ]] &&
        echo "http://$(dept_ip "$i"):$((BASE + 350 + ORG_SLOT[i]))")" \
      --arg peer "$(dept_ip "$i"):$((BASE + 100 + 10 * ORG_SLOT[i]))" \
      --arg orderer "$(dept_ip "$i"):$((BASE + 10 + 10 * ORG_SLOT[i]))" \
      '{key: $key, mspId: $msp, name: $name, numberPrefix: $prefix, ip: $ip, netns: $ns, home: $home, gateway: $gateway, gateways: ([$gateway, $gateway2] | map(select(. != ""))), operations: ([$ops, $ops2] | map(select(. != ""))), peer: $peer, orderer: $orderer}')")
  done
  printf '%s\n' "${rows[@]}" | jq -s --arg bridge "$(netns_mode && subnet).1" \
    '{channel: "chengnuo", chaincode: "notary", hostAddress: $bridge, departments: .}' > "${STATE}/network.json"
}

# ---------------------------------------------------------------- commands

# each FUNC I...: FUNC for every department index given, in parallel (the
# departments are independent hosts); fails if any fails.
each() {
  local f="$1" i p rc=0 pids=()
  shift
  for i in "$@"; do
    "$f" "$i" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  ((rc == 0)) || die "${f} failed for a department (see above)"
}

start_nodes() { dept "$1" start-nodes; }
import_defs() { dept "$1" import "${FOUNDING_DEFS[@]}"; }
join_orderer() { dept "$1" join-orderer "${EXCHANGE}/genesis.block" && dept "$1" wait-orderer; }
join_peer() { dept "$1" join-peer "${EXCHANGE}/genesis.block" && touch "${DEPTS}/${ORG_KEYS[$1]}/joined"; }
wait_discovery() { dept "$1" wait-discovery "$DISCOVER_N"; }

cmd_up() {
  local t0=$SECONDS i f
  command -v jq > /dev/null || die "jq is required (apt-get install jq)"
  command -v curl > /dev/null || die "curl is required (apt-get install curl)"
  check_base
  ensure_bins
  # The founding departments, and after a restart every department on the
  # channel (one that joined later comes back too).
  mapfile -t fs < <({
    founders
    members
  } | sort -nu)
  # 1. Each department, on its own host: CA, identities, definition.
  for i in "${fs[@]}"; do host_up "$i"; done
  each init_dept "${fs[@]}"
  log "$((SECONDS - t0))s: keys and definitions"
  # 2. Each takes the others' definitions (public material).
  mapfile -t FOUNDING_DEFS < <(exchanged_defs "${fs[@]}")
  each import_defs "${fs[@]}"
  # 3. The first founding department makes the genesis block from them.
  if [[ ! -f "${EXCHANGE}/genesis.block" ]]; then
    dept "${fs[0]}" genesis "${EXCHANGE}/genesis.block"
  fi
  # 4. Nodes; orderers join through the channel participation API, peers join.
  each start_nodes "${fs[@]}"
  log "$((SECONDS - t0))s: nodes started"
  each join_orderer "${fs[@]}"
  log "$((SECONDS - t0))s: orderers on the channel"
  each join_peer "${fs[@]}"
  log "$((SECONDS - t0))s: peers on the channel"
  # 5. The chaincode: each its own package and server; a majority commits.
  deploy_cc
  log "$((SECONDS - t0))s: chaincode committed"
  # 6. The consortium secret: made by the first, sealed to each other.
  dept "${fs[0]}" new-secret
  for i in "${fs[@]:1}"; do hand_secret "${fs[0]}" "$i"; done
  # 7. Gateways, once discovery sees every peer and the chaincode.
  "${BIN}/chengnuo" ca --dir "${STATE}/applicant-ca" > /dev/null
  DISCOVER_N="${#fs[@]}"
  each wait_discovery "${fs[@]}"
  log "$((SECONDS - t0))s: discovery complete"
  each start_gateway "${fs[@]}"
  log "$((SECONDS - t0))s: gateways ready"
  load_demo_catalog
  write_network_json
  log "network up in $((SECONDS - t0))s"
  print_table
}

# sign_and_submit UPDATE MEMBER...: the members' admins sign the update in
# turn until the channel's Admins policy (a majority of the departments) is
# met; the last one's signature comes with its submission.
# CHENGNUO_UPDATE_SIGNATURES (tests) gathers fewer, to see the update refused.
sign_and_submit() {
  local update="$1" signed=0 need m
  shift
  local ms=("$@")
  need="${CHENGNUO_UPDATE_SIGNATURES:-$((${#ms[@]} / 2 + 1))}"
  for m in "${ms[@]}"; do
    ((signed < need - 1)) || break
    # Each admin sees what the update changes before signing; here every
    # department is on this machine, so the script confirms for them.
    dept "$m" sign-update "$update" --yes
    signed=$((signed + 1))
  done
  local before
  before="$(dept "${ms[$signed]}" height)"
  dept "${ms[$signed]}" submit-update "$update" --yes
  # The orderers cut the config block after accepting it: wait until every
  # member's orderer has it, so that what follows sees the new config.
  local deadline=$((SECONDS + 60))
  for m in "${ms[@]}"; do
    until (($(dept "$m" height 2> /dev/null || echo 0) > before)); do
      ((SECONDS < deadline)) || die "the config update did not reach ${ORG_KEYS[$m]}'s orderer within 60 s"
      sleep 0.5
    done
  done
  log "$(basename "$update") applied with $((signed + 1)) of ${#ms[@]} admin signatures"
}

# cmd_leave KEY: a department leaves — removed from the channel's
# organisations and consenters by a majority of the departments' admins
# (its own signature among them or not), then its nodes stop.
cmd_leave() {
  local n m others=()
  n="$(org_index "$1")"
  on_channel "$n" || die "${ORG_KEYS[$n]} is not on the channel"
  ensure_bins
  for m in $(members); do [[ "$m" == "$n" ]] || others+=("$m"); done
  local update="${EXCHANGE}/leave-${ORG_KEYS[$n]}.pb"
  dept "${others[0]}" propose-leave "${ORG_MSP[$n]}" "$update"
  sign_and_submit "$update" "${others[@]}"
  rm -f "${DEPTS}/${ORG_KEYS[$n]}/joined"
  dept "$n" stop
  write_network_json
  log "${ORG_MSP[$n]} left the channel"
}

# cmd_join KEY: a new department joins the running network.
cmd_join() {
  local n m
  n="$(org_index "$1")"
  on_channel "$n" && { log "${ORG_KEYS[$n]} is on the channel already"; return 0; }
  check_base
  ensure_bins
  mapfile -t ms < <(members)
  ((${#ms[@]} > 0)) || die "no network to join (run up first)"
  # On its host, the new department makes its keys and definition; it
  # takes the members' definitions, the members take its own.
  init_dept "$n"
  mapfile -t defs < <(exchanged_defs "${ms[@]}" "$n")
  dept "$n" import "${defs[@]}"
  for m in "${ms[@]}"; do dept "$m" import "${EXCHANGE}/${ORG_KEYS[$n]}.json"; done
  # A member proposes the update; members' admins sign it.
  local update="${EXCHANGE}/join-${ORG_KEYS[$n]}.pb"
  dept "${ms[0]}" propose-join "${EXCHANGE}/${ORG_KEYS[$n]}.json" "$update"
  sign_and_submit "$update" "${ms[@]}"
  log "${ORG_MSP[$n]} added to the channel"
  # Its nodes start; its orderer joins from the latest config block and
  # catches up; its peer joins from the genesis block and catches up too.
  dept "$n" start-nodes
  dept "${ms[0]}" fetch-config "${EXCHANGE}/config-for-${ORG_KEYS[$n]}.block"
  dept "$n" join-orderer "${EXCHANGE}/config-for-${ORG_KEYS[$n]}.block"
  dept "$n" join-peer "${EXCHANGE}/genesis.block"
  touch "${DEPTS}/${ORG_KEYS[$n]}/joined"
  dept "$n" wait-orderer
  # Its chaincode: the committed definition, approved by it too.
  local label seq pkg id
  read -r label seq < <(dept "${ms[0]}" committed)
  read -r _ pkg < <(dept "$n" package-cc)
  id="$(dept "$n" install-cc "$pkg")"
  dept "$n" start-cc "$id"
  local defs
  mapfile -t defs < <(other_defs "$n")
  dept "$n" approve-cc "$label" "$seq" "$id" "${defs[@]}"
  hand_secret "${ms[0]}" "$n"
  dept "$n" wait-discovery "$((${#ms[@]} + 1))"
  start_gateway "$n"
  write_network_json
  log "${ORG_MSP[$n]} joined"
}

print_table() {
  local i
  printf '\n%-9s %-12s %-26s %-20s %s\n' "DEPT" "MSP ID" "GATEWAY" "PEER" "DEPARTMENT"
  for i in $(members); do
    printf '%-9s %-12s %-26s %-20s %s\n' "${ORG_KEYS[$i]}" "${ORG_MSP[$i]}" \
      "http://$(dept_ip "$i"):$((BASE + 80 + ORG_SLOT[i]))" "$(dept_ip "$i"):$((BASE + 100 + 10 * ORG_SLOT[i]))" \
      "${ORG_NAME[$i]} (${ORG_ROLE[$i]})"
    if [[ "$(cat "${DEPTS}/${ORG_KEYS[$i]}/gateway/replicas" 2> /dev/null)" == 2 ]]; then
      printf '%-9s %-12s %-26s %s\n' "" "" "http://$(dept_ip "$i"):$((BASE + 70 + ORG_SLOT[i]))" "(second replica; PostgreSQL store)"
    fi
  done
  printf '\nchannel chengnuo (SmartBFT, one orderer per department), chaincode notary\n'
  printf 'state: %s (one directory per department in depts/, public material in exchange/)\n' "$STATE"
  printf 'API keys: %s/depts/<dept>/gateway/keys.env; where everything is: %s/network.json\n' "$STATE" "$STATE"
}

inited() {
  local i
  for i in "${!ORG_KEYS[@]}"; do
    if [[ -f "${DEPTS}/${ORG_KEYS[$i]}/dept.env" ]]; then echo "$i"; fi
  done
}

cmd_down() {
  local i
  [[ -d "$DEPTS" ]] || {
    log "nothing running (no ${DEPTS})"
    return 0
  }
  FABRIC_BIN="${FABRIC_BIN:-$("${ROOT}/scripts/fabric-bin.sh")}"
  for i in $(inited); do
    if netns_mode && ! ip netns list | grep -qw "$(ns_name "${ORG_KEYS[$i]}")"; then
      # The host is gone; its processes, if any, are still ours to stop.
      env DEPT_HOME="${DEPTS}/${ORG_KEYS[$i]}" CHENGNUO_BIN="$BIN" FABRIC_BIN="$FABRIC_BIN" \
        "${ROOT}/scripts/dept.sh" stop || true
      continue
    fi
    dept "$i" stop || true
  done
  # The hosts go too; up makes them again with the same addresses.
  hosts_down
  log "network stopped"
}

cmd_clean() {
  if [[ -d "$STATE" ]]; then
    cmd_down
    rm -rf "$STATE"
    log "removed ${STATE}"
  fi
}

cmd_status() {
  local i rc=0
  FABRIC_BIN="$("${ROOT}/scripts/fabric-bin.sh")"
  printf '%-9s %-10s %-8s %-8s %s\n' "DEPT" "PROCESS" "PID" "STATE" "HEALTH"
  for i in $(inited); do
    if ! on_channel "$i" && netns_mode && ! ip netns list | grep -qw "$(ns_name "${ORG_KEYS[$i]}")"; then
      printf '%-9s (not on the channel; no host)\n' "${ORG_KEYS[$i]}"
      continue
    fi
    dept "$i" status || rc=1
  done
  return "$rc"
}

cmd_deploy() {
  check_base
  ensure_bins
  deploy_cc
}

backup_key() { echo "${STATE}/backup-keys/${ORG_KEYS[$1]}.key"; }

cmd_backup() {
  local n dir key
  n="$(org_index "$1")"
  dir="${2:-${STATE}/backups/${ORG_KEYS[$n]}}"
  key="$(backup_key "$n")"
  # Online, beside a running network: the binaries it runs, not a rebuild.
  FABRIC_BIN="$("${ROOT}/scripts/fabric-bin.sh")"
  [[ -x "${BIN}/chengnuo" ]] || die "no ${BIN}/chengnuo: run up first"
  if [[ ! -f "$key" ]]; then
    mkdir -p "$(dirname "$key")"
    "${BIN}/chengnuo" backup keygen --out "$key" >&2
  fi
  mkdir -p "$dir"
  dept "$n" backup "$dir" "$key"
}

cmd_destroy() {
  local n home ns f pid
  n="$(org_index "$1")"
  home="${DEPTS}/${ORG_KEYS[$n]}"
  # Killed, not stopped: a host that dies does not shut down.
  for f in "${home}"/run/*.pid "${home}"/run/*.child; do
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    if [[ -n "$pid" ]]; then kill -9 "$pid" 2> /dev/null || true; fi
  done
  if netns_mode; then
    ns="$(ns_name "${ORG_KEYS[$n]}")"
    if ip netns list | grep -qw "$ns"; then
      # Whatever still runs in the namespace goes with it.
      for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2> /dev/null || true; done
      ip netns delete "$ns"
    fi
    ip link delete "cv${BASE}${ORG_SLOT[$n]}" 2> /dev/null || true
  fi
  rm -rf "$home"
  log "${ORG_KEYS[$n]}'s host destroyed"
}

cmd_restore() {
  local n file home t0=$SECONDS m others=() label pkg id
  n="$(org_index "$1")"
  file="$2"
  home="${DEPTS}/${ORG_KEYS[$n]}"
  [[ -f "$file" ]] || die "no backup file ${file}"
  [[ ! -e "$home" ]] || die "${home} exists: a department is restored onto a fresh host only (refusing to overwrite it)"
  ensure_bins
  for m in $(members); do [[ "$m" == "$n" ]] || others+=("$m"); done
  ((${#others[@]} > 0)) || die "no other department to resynchronise from"
  host_up "$n"
  dept "$n" restore "$file" "$(backup_key "$n")"
  log "$((SECONDS - t0))s: files in place"
  # While it catches up, the peer does not wait for private data that only
  # the lost peer held (its own implicit collection): it is restarted with
  # the usual setting once it has every block.
  CHENGNUO_PVTDATA_PULL_RETRY=0s dept "$n" start-nodes
  # The orderer joins from the channel's latest configuration block, in
  # which it is a consenter, and pulls the blocks from the others; the
  # peer joins from the genesis block and catches up.
  dept "${others[0]}" fetch-config "${EXCHANGE}/config-for-restore-${ORG_KEYS[$n]}.block"
  dept "$n" join-orderer "${EXCHANGE}/config-for-restore-${ORG_KEYS[$n]}.block"
  dept "$n" join-peer "${EXCHANGE}/genesis.block"
  dept "$n" wait-orderer
  # The channel's height now, from another department: the restored peer
  # must have every block of it before the store is compared with the
  # ledger, or letters anchored after the backup would go unnoticed.
  local height
  height="$(dept "${others[0]}" height)"
  dept "$n" wait-peer "$height"
  dept "$n" stop-proc peer
  dept "$n" start-nodes
  log "$((SECONDS - t0))s: orderer and peer on the channel, ${height} blocks"
  read -r label pkg < <(dept "$n" package-cc)
  id="$(dept "$n" install-cc "$pkg")"
  [[ "$id" == "$(cat "${home}/cc/package.id" 2> /dev/null)" ]] || log "chaincode package ${label}: ${id} (was $(cat "${home}/cc/package.id" 2> /dev/null))"
  dept "$n" start-cc "$id"
  DISCOVER_N="$((${#others[@]} + 1))"
  dept "$n" wait-discovery "$DISCOVER_N"
  start_gateway "$n"
  log "$((SECONDS - t0))s: gateway up; reconciling the store with the ledger"
  dept "$n" reconcile "$height" "${STATE}/lost-${ORG_KEYS[$n]}.csv"
  write_network_json
  log "${ORG_KEYS[$n]} restored in $((SECONDS - t0))s"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  clean) cmd_clean ;;
  status) cmd_status ;;
  deploy) cmd_deploy ;;
  committed)
    FABRIC_BIN="$("${ROOT}/scripts/fabric-bin.sh")"
    read -r _ seq < <(dept "$(members | head -n1)" committed)
    echo "$seq"
    ;;
  hosts)
    check_base
    for i in $(founders); do host_up "$i"; done
    ;;
  join) cmd_join "${2:?usage: network.sh join KEY}" ;;
  backup) cmd_backup "${2:?usage: network.sh backup KEY [DIR]}" "${3:-}" ;;
  destroy) cmd_destroy "${2:?usage: network.sh destroy KEY}" ;;
  restore) cmd_restore "${2:?usage: network.sh restore KEY FILE}" "${3:?usage: network.sh restore KEY FILE}" ;;
  pitr)
    n="$(org_index "${2:?usage: network.sh pitr KEY TIME}")"
    # Beside a running network: the binaries it runs, not a rebuild.
    FABRIC_BIN="$("${ROOT}/scripts/fabric-bin.sh")"
    [[ -x "${BIN}/chengnuo" ]] || die "no ${BIN}/chengnuo: run up first"
    dept "$n" pitr "${3:?usage: network.sh pitr KEY TIME}" "${STATE}/lost-${ORG_KEYS[$n]}.csv"
    ;;
  leave) cmd_leave "${2:?usage: network.sh leave KEY}" ;;
  env)
    FABRIC_BIN="$("${ROOT}/scripts/fabric-bin.sh")"
    dept "$(org_index "${2:?usage: network.sh env KEY}")" peer-env
    ;;
  dept)
    FABRIC_BIN="$("${ROOT}/scripts/fabric-bin.sh")"
    n="$(org_index "${2:?usage: network.sh dept KEY ARGS...}")"
    shift 2
    dept "$n" "$@"
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2
    exit 2
    ;;
esac
