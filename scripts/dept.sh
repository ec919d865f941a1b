#!/usr/bin/env bash
# dept.sh is a department's node kit: everything one department's operator
# runs on the department's own host. The department's state directory
# (DEPT_HOME) holds its certificate authority, its identities and keys, its
# ledgers, its store and logs — and of other departments only public
# material they handed over (organisation definitions, the channel's blocks,
# signed config updates, the consortium secret sealed to this department).
# No private key ever leaves DEPT_HOME.
#
# Usage: DEPT_HOME=DIR scripts/dept.sh COMMAND [ARGS]
#   init KEY MSPID DOMAIN NAME SLOT IP PREFIX  create the CA and every identity; write org.json
#                                          (NAME as people name the department, PREFIX its
#                                          letter numbers' prefix, 文号前缀, e.g. 虎市监承)
#   definition                             print the organisation definition (public; carry it to the others)
#   start | stop | status                  the department's processes (CA, orderer, peer, chaincode server, gateway)
#   start-nodes                            the CA, orderer and peer only
#   start-cc PACKAGE_ID                    the chaincode server (admits only this department's peer)
#   start-gateway                          the HTTP gateway (CHENGNUO_GATEWAY_REPLICAS=2: two replicas
#                                          sharing a PostgreSQL store, started here too; chosen once)
#   join-orderer BLOCK                     the orderer joins the channel (channel participation API)
#   join-peer BLOCK                        the peer joins the channel
#   package-cc                             build this department's chaincode package; print its path
#   install-cc PKG                         install it on the peer; print the package id
#   approve-cc LABEL SEQ PKGID             approve the chaincode definition for this department
#   commit-cc LABEL SEQ ORGDEF...          commit it, endorsed by this peer and those of ORGDEF...
#   committed                              the committed definition's label and sequence
#   import ORGDEF...                       keep other departments' definitions (their TLS CAs become trusted)
#   genesis OUT                            the channel's genesis block from this and the imported definitions
#   fetch-config OUT                       the channel's current config block
#   propose-join ORGDEF OUT                the config update adding a department (org + BFT consenter)
#   propose-leave MSPID OUT                the config update removing one
#   describe-update FILE                   what a config update would change, in plain words
#   sign-update FILE [--yes]               show what a config update changes, then sign it as this
#                                          department's admin (in place) once confirmed
#   submit-update FILE [--yes]             show it, then sign and submit it once confirmed
#   height                                 the orderer's block height on the channel
#   wait-discovery N                       wait until discovery sees N peers and can plan an endorsement
#   new-secret                             create the consortium secret (the first department only)
#   run NAME                               one process in the foreground (systemd's ExecStart)
#   seal-secret ORGDEF OUT                 seal the consortium secret to another department's transport key,
#                                          signed by this department's admin
#   secret-fingerprint                     the consortium secret's fingerprint (tell it to the recipient)
#   open-secret FILE FROMKEY FINGERPRINT   take the consortium secret sealed to this department by the
#                                          department FROMKEY (imported), if its fingerprint is FINGERPRINT
#   systemd OUTDIR                         unit files for a real host (systemd supervises the processes; with
#                                          CHENGNUO_BACKUP_DIR and CHENGNUO_BACKUP_KEY, a backup timer too:
#                                          CHENGNUO_BACKUP_SCHEDULE, default daily 02:30, CHENGNUO_BACKUP_KEEP 14)
#   peer-env                               exports to use the peer CLI as this department's admin
#   account-add USERNAME ROLE[,ROLE] [NAME] a person's workbench account (/console/); prints the
#                                          one-time password on its last line
#   backup DIR KEYFILE [KEEP]              an online, consistent, encrypted backup of this department into
#                                          DIR (the store, read model and event checkpoint as snapshots; keys,
#                                          certificates, secret, definition, configuration; a PostgreSQL store
#                                          by pg_dump); the oldest beyond KEEP (14) removed. The ledger is not
#                                          in it: the peer and orderer resynchronise from the others
#   restore FILE KEYFILE                   put a backup in place on a fresh host (DEPT_HOME must not exist;
#                                          every part is checked first); scripts/network.sh restore does the rest
#   pitr TIME [CSV]                        point-in-time restore of a PostgreSQL store (two replicas): the
#                                          newest base backup before TIME, replayed with the archived log up
#                                          to TIME (see wal-archive; recovery point: its TIMEOUT); then as
#                                          reconcile: the letters after
#                                          TIME listed from the ledger and marked lost
#   wal-archive DIR [TIMEOUT]              archive a PostgreSQL store's log to DIR (a second disk) from now on,
#                                          a written segment at least every TIMEOUT s (60); a restore onto a new
#                                          host then recovers the letters from it, not from the older dump
#   reconcile [HEIGHT [CSV]]               after a restore, once the gateway runs and its peer and read model
#                                          have HEIGHT blocks: list the letters anchored after the backup (from
#                                          the ledger) and mark them lost in the store
#   wait-peer HEIGHT                       wait until the peer has HEIGHT blocks
#
# Environment: DEPT_HOME (required), CHENGNUO_BASE_PORT (17000), FABRIC_BIN and
# CHENGNUO_BIN (binaries; default: built by the scripts), CHENGNUO_NETNS (the
# network namespace this host is, or empty).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${DEPT_HOME:?DEPT_HOME must name the department state directory}"
BASE="${CHENGNUO_BASE_PORT:-17000}"
CHANNEL="chengnuo"
CC_NAME="notary"
WAIT_SECS="${CHENGNUO_WAIT_SECS:-60}"
LOG_FORMAT='%{time:2006-01-02 15:04:05.000 MST} [%{module}] %{shortfunc} -> %{level:.4s} %{message}'
LOGS="${DEPT_HOME}/logs"
RUN="${DEPT_HOME}/run"
DATA="${DEPT_HOME}/data"

log() { printf '[dept %s] %s\n' "${KEY:-?}" "$*" >&2; }
die() {
  printf '[dept %s] ERROR: %s\n' "${KEY:-?}" "$*" >&2
  exit 1
}

# The department's settings, written by init (empty before it).
KEY="" MSPID="" DOMAIN="" NAME="" PREFIX="" SLOT=0 IP=127.0.0.1
if [[ -f "${DEPT_HOME}/dept.env" ]]; then
  # shellcheck source=/dev/null
  source "${DEPT_HOME}/dept.env"
fi

# Ports, all derived from the base port and the department's slot. On real
# hosts every department may use the same slot; on one machine the slots keep
# the loopback ports apart.
ca_port() { echo $((BASE + 300 + SLOT)); }
ca_ops_port() { echo $((BASE + 310 + SLOT)); }
orderer_port() { echo $((BASE + 10 + 10 * SLOT)); }
peer_port() { echo $((BASE + 100 + 10 * SLOT)); }
cc_port() { echo $((BASE + 200 + SLOT)); }
gateway_port() { echo $((BASE + 80 + SLOT)); }
gateway2_port() { echo $((BASE + 70 + SLOT)); }
# The gateways' operations listeners (/metrics): the department's monitoring.
gateway_ops_port() { echo $((BASE + 340 + SLOT)); }
gateway2_ops_port() { echo $((BASE + 350 + SLOT)); }
pg_port() { echo $((BASE + 330 + SLOT)); }
# debug_listen OFFSET: with CHENGNUO_PPROF=1, the loopback address at which a
# gateway (400), chaincode server (450) or peer (460) serves /debug/pprof;
# else nothing.
debug_listen() {
  if [[ "${CHENGNUO_PPROF:-0}" == 1 ]]; then echo "127.0.0.1:$((BASE + $1 + SLOT))"; fi
}

fabric_bin() {
  if [[ -z "${FABRIC_BIN:-}" ]]; then
    FABRIC_BIN="$("${ROOT}/scripts/fabric-bin.sh")"
  fi
  SAMPLECONFIG="$(cd "${FABRIC_BIN}/../sampleconfig" && pwd)"
  export PATH="${FABRIC_BIN}:${PATH}"
}

chengnuo_bin() {
  BIN="${CHENGNUO_BIN:-${ROOT}/.state/bin}"
  [[ -x "${BIN}/chengnuo" ]] || die "project binaries missing in ${BIN} (scripts/network.sh builds them)"
}

# ---------------------------------------------------------------- processes

running() {
  local pidf="${RUN}/$1.pid" pid
  [[ -f "$pidf" ]] || return 1
  pid="$(cat "$pidf")"
  [[ -n "$pid" && -d "/proc/${pid}" ]] || return 1
  grep -q supervise.sh "/proc/${pid}/cmdline" 2> /dev/null
}

# pid_alive FILE: the process named in FILE exists and is not a zombie.
pid_alive() {
  local pid
  pid="$(cat "$1" 2> /dev/null)" || return 1
  [[ -n "$pid" && -r "/proc/${pid}/stat" ]] || return 1
  [[ "$(sed 's/^.*) //' "/proc/${pid}/stat" 2> /dev/null | cut -d' ' -f1)" != "Z" ]]
}

# supervisor_alive NAME: the supervisor has not exited. Unlike `running`, it
# does not read the command line, which is briefly nohup's or env's while
# they exec into supervise.sh.
supervisor_alive() { pid_alive "${RUN}/$1.pid"; }

child_pid() { cat "${RUN}/$1.child" 2> /dev/null || true; }

alive() { pid_alive "${RUN}/$1.child"; }

tail_log() {
  local f="${LOGS}/$1.log"
  if [[ -f "$f" ]]; then
    printf -- '--- last lines of %s ---\n' "$f" >&2
    tail -n 25 "$f" >&2
    printf -- '---\n' >&2
  fi
}

# port_in_use PORT [HOST]: something listens there (HOST: this department's address).
port_in_use() { (exec 3<> "/dev/tcp/${2:-$IP}/$1") 2> /dev/null; }

# proc NAME: what process NAME is — PROC_CMD, PROC_ENV (its whole
# environment besides PATH and HOME), PROC_PORT (to check before start) on
# PROC_HOST. `start` (supervise.sh) and `run` (systemd) use the same.
proc() {
  PROC_HOST="$IP"
  PROC_ENV=()
  case "$1" in
    ca | orderer | peer) fabric_bin ;;
    chaincode | gateway | gateway2) chengnuo_bin ;;
    postgres) pg_bin ;;
    *) die "unknown process $1 (want ca, orderer, peer, chaincode, gateway, gateway2 or postgres)" ;;
  esac
  "proc_$1"
  go_runtime_env "$1"
}

# go_runtime_env NAME: adds the Go runtime's settings for process NAME to
# PROC_ENV.
# - GOMEMLIMIT: under load (make bench, issue 10) the nodes' heaps grow and
#   Go's default collector lets each double before collecting, taking the
#   four-department network past 1.5 GB resident; a soft limit per kind (the
#   collector works harder near it, never fails) holds it under.
# - GOMAXPROCS: the local network runs some twenty Go processes on one
#   host. Each, by default, schedules on as many threads as the host has
#   cores and wakes a second thread whenever a goroutine becomes ready while
#   one runs: on a shared, virtualised host those cross-thread wake-ups cost
#   more than the parallelism gives. One thread for every node, chaincode
#   server and CA took the network's CPU per letter at 300 clients from
#   4.1-5.2 to 3.7-4.2 ms (interleaved pairs of fresh networks). The
#   gateways keep every core: they serve public verification, and with one
#   thread it stopped at 13,600/s against 16,300-18,000/s with two. So do
#   the peers, now that letters come in batches: a peer endorsing while it
#   commits a block no longer waits for its one thread. Seven rounds of
#   fresh networks (letters at 600 clients, then an open loop at 800/s):
#   p99 0.64-1.13 s, median 0.83, with two threads against 0.67-1.21 s,
#   median 0.94, with one (lower in six rounds of seven), at the same CPU
#   per letter (1.67-1.92 ms against 1.59-2.07); the orderers with two as
#   well were no better (0.66-1.51 s). A node alone on its own machine
#   should keep the default (unset the variable).
# CHENGNUO_GOMEMLIMIT_<NAME> (e.g. _PEER=256MiB) and CHENGNUO_GOMAXPROCS_<NAME>
# (e.g. _PEER=2; empty: all cores) override; postgres is not a Go program.
go_runtime_env() {
  local limit procs=1 var
  case "$1" in
    peer) limit=160MiB procs= ;;
    orderer) limit=96MiB ;;
    gateway | gateway2) limit=128MiB procs= ;;
    chaincode | ca) limit=48MiB ;;
    *) return 0 ;;
  esac
  var="CHENGNUO_GOMEMLIMIT_${1^^}"
  PROC_ENV+=("GOMEMLIMIT=${!var:-$limit}")
  var="CHENGNUO_GOMAXPROCS_${1^^}"
  procs="${!var-$procs}"
  if [[ -n "$procs" ]]; then
    PROC_ENV+=("GOMAXPROCS=${procs}")
  fi
}

# start_proc NAME: runs the process under supervise.sh (it restarts on a
# crash) with a clean environment plus PROC_ENV.
start_proc() {
  local name="$1"
  if running "$name"; then
    log "${name} already running (supervisor pid $(cat "${RUN}/${name}.pid"))"
    return 0
  fi
  proc "$name"
  if port_in_use "$PROC_PORT" "$PROC_HOST"; then
    die "cannot start ${name}: port ${PROC_PORT} on ${PROC_HOST} is in use (set CHENGNUO_BASE_PORT to move the network)"
  fi
  mkdir -p "$LOGS" "$RUN"
  rm -f "${RUN}/${name}.stop"
  nohup env -i PATH="$PATH" HOME="$HOME" "${PROC_ENV[@]}" setsid "${ROOT}/scripts/supervise.sh" "$RUN" "$name" "${PROC_CMD[@]}" \
    >> "${LOGS}/${name}.log" 2>&1 < /dev/null &
  echo $! > "${RUN}/${name}.pid"
  log "started ${name} (supervisor pid $!, log ${LOGS}/${name}.log)"
}

# cmd_run NAME: the process in the foreground, for systemd's ExecStart.
cmd_run() {
  proc "$1"
  mkdir -p "$LOGS" "$RUN"
  exec env -i PATH="$PATH" HOME="$HOME" "${PROC_ENV[@]}" "${PROC_CMD[@]}"
}

stop_proc() {
  local name="$1" pid i
  [[ -f "${RUN}/${name}.pid" ]] || return 0
  pid="$(cat "${RUN}/${name}.pid")"
  touch "${RUN}/${name}.stop"
  if running "$name"; then
    kill -TERM "$pid" 2> /dev/null || true
    for ((i = 0; i < 75; i++)); do
      running "$name" || break
      sleep 0.2
    done
    if running "$name"; then
      kill -KILL "$pid" 2> /dev/null || true
      local child
      child="$(child_pid "$name")"
      if [[ -n "$child" ]]; then kill -KILL "$child" 2> /dev/null || true; fi
    fi
    log "stopped ${name}"
  fi
  rm -f "${RUN}/${name}.pid" "${RUN}/${name}.child"
}

wait_until() {
  local name="$1" what="$2" deadline=$((SECONDS + WAIT_SECS))
  shift 2
  until "$@" > /dev/null 2>&1; do
    if [[ -n "$name" ]] && ! supervisor_alive "$name"; then
      tail_log "$name"
      die "${name} is not running while waiting for ${what}"
    fi
    if ((SECONDS >= deadline)); then
      [[ -n "$name" ]] && tail_log "$name"
      die "timed out after ${WAIT_SECS}s waiting for ${what}"
    fi
    sleep 0.3
  done
}

http_ok() { curl -fsS --max-time 2 "$1"; }

# ---------------------------------------------------------------- CA and identities

# The CA listens on the host's loopback only: only this department enrolls.
# Its registrar's password is in its configuration file (0600), never on a
# command line.
proc_ca() {
  PROC_ENV=(
    FABRIC_CA_SERVER_OPERATIONS_LISTENADDRESS="127.0.0.1:$(ca_ops_port)"
    FABRIC_CA_SERVER_METRICS_PROVIDER=disabled
  )
  PROC_PORT="$(ca_port)"
  PROC_HOST=127.0.0.1
  PROC_CMD=("${FABRIC_BIN}/fabric-ca-server" start -H "${DEPT_HOME}/ca" --address 127.0.0.1 --port "$(ca_port)")
}

start_ca() {
  fabric_bin
  start_proc ca
  wait_until ca "the CA" http_ok "http://127.0.0.1:$(ca_ops_port)/healthz"
}

# ca_enroll NAME SECRET ARGS...: fabric-ca-client enroll as NAME. The
# secret goes in the URL of a client configuration file (0600, in a private
# temporary home, written by the shell's printf builtin), never in a
# process's arguments or environment, where any local user could read it.
ca_enroll() {
  local name="$1" secret="$2" home rc=0
  shift 2
  home="$(mktemp -d)"
  (umask 077 && printf 'url: http://%s:%s@127.0.0.1:%s\n' "$name" "$secret" "$(ca_port)" > "${home}/fabric-ca-client-config.yaml")
  fabric-ca-client enroll -H "$home" "$@" > /dev/null 2> "${LOGS}/ca-client.log" || rc=$?
  rm -rf "$home"
  ((rc == 0)) || { tail_log ca-client; die "fabric-ca-client enroll ${name} failed"; }
}

# enroll NAME TYPE DIR HOSTS: register (once) and enroll an identity with a
# signing certificate (DIR/msp) and a TLS certificate (DIR/tls). The CA
# makes the enrolment secret and prints it; it stays in this shell.
enroll() {
  local name="$1" type="$2" dir="$3" hosts="$4" secret out
  local url names="C=CN,O=${DOMAIN},OU=${KEY}"
  url="http://127.0.0.1:$(ca_port)"
  if [[ -d "${dir}/msp/signcerts" ]]; then return 0; fi
  out="$(FABRIC_CA_CLIENT_HOME="${DEPT_HOME}/ca-client" fabric-ca-client register -u "$url" \
    --mspdir "${DEPT_HOME}/ca-client/registrar" --id.name "$name" --id.type "$type" 2> "${LOGS}/ca-client.log")" ||
    { tail_log ca-client; die "fabric-ca-client register ${name} failed"; }
  secret="$(sed -n 's/^Password: //p' <<< "$out")"
  [[ -n "$secret" ]] || die "the CA did not give ${name} an enrolment secret"
  ca_enroll "$name" "$secret" --mspdir "${dir}/msp" --csr.cn "$name" --csr.names "$names" --csr.hosts "$hosts"
  ca_enroll "$name" "$secret" --mspdir "${dir}/tls-enroll" --enrollment.profile tls \
    --csr.cn "$name" --csr.names "$names" --csr.hosts "$hosts"
  mkdir -p "${dir}/tls"
  (umask 077 && cp "${dir}"/tls-enroll/keystore/*_sk "${dir}/tls/server.key")
  cp "${dir}/tls-enroll/signcerts/cert.pem" "${dir}/tls/server.crt"
  cp "${DEPT_HOME}/msp/tlscacerts/ca.pem" "${dir}/tls/ca.crt"
  rm -rf "${dir}/tls-enroll"
  cp "${DEPT_HOME}/msp/config.yaml" "${dir}/msp/config.yaml"
  rm -f "${dir}"/msp/IssuerPublicKey "${dir}"/msp/IssuerRevocationPublicKey
  mv "${dir}"/msp/keystore/*_sk "${dir}/msp/keystore/key.pem"
  # fabric-ca-client names the root after the CA's address; NodeOUs name it ca.pem.
  rm -f "${dir}"/msp/cacerts/*.pem
  cp "${DEPT_HOME}/msp/cacerts/ca.pem" "${dir}/msp/cacerts/ca.pem"
  mkdir -p "${dir}/msp/tlscacerts"
  cp "${DEPT_HOME}/msp/tlscacerts/ca.pem" "${dir}/msp/tlscacerts/ca.pem"
}

# ca_server_config: the CA's configuration file (0600), written before its
# first init, with the registrar's password from registrar.pw — so that
# neither init nor start needs it on a command line (-b). Settings not
# given take Fabric CA's defaults.
ca_server_config() {
  local pw
  pw="$(< "${DEPT_HOME}/ca/registrar.pw")"
  (umask 077 && cat > "${DEPT_HOME}/ca/fabric-ca-server-config.yaml") << YAML
version: 1.5.15
port: $(ca_port)
tls:
  enabled: false
crl:
  expiry: 24h
registry:
  maxenrollments: -1
  identities:
    - name: registrar
      pass: "${pw}"
      type: client
      affiliation: ""
      attrs:
        hf.Registrar.Roles: "*"
        hf.Registrar.DelegateRoles: "*"
        hf.Revoker: true
        hf.IntermediateCA: true
        hf.GenCRL: true
        hf.Registrar.Attributes: "*"
        hf.AffiliationMgr: true
db:
  type: sqlite3
  datasource: fabric-ca-server.db
signing:
  default:
    usage: [digital signature]
    expiry: 8760h
  profiles:
    tls:
      usage: [signing, key encipherment, server auth, client auth, key agreement]
      expiry: 8760h
csr:
  cn: ca.${DOMAIN}
  keyrequest: {algo: ecdsa, size: 256}
  names:
    - {C: CN, O: "${DOMAIN}"}
  hosts: [ca.${DOMAIN}, localhost, 127.0.0.1]
  ca:
    expiry: 131400h
    pathlength: 1
cfg:
  identities:
    passwordattempts: 10
YAML
}

node_ous() {
  local ou
  printf 'NodeOUs:\n  Enable: true\n'
  for ou in Client:client Peer:peer Admin:admin Orderer:orderer; do
    printf '  %sOUIdentifier:\n    Certificate: cacerts/ca.pem\n    OrganizationalUnitIdentifier: %s\n' "${ou%%:*}" "${ou#*:}"
  done
}

cmd_init() {
  local key="$1" msp="$2" domain="$3" name="$4" slot="$5" ip="$6" prefix="${7:-}"
  [[ -n "$prefix" || -f "${DEPT_HOME}/dept.env" ]] || die "init: the letter-number prefix (文号前缀, e.g. 虎市监承) is required"
  mkdir -p "$DEPT_HOME" "$LOGS" "$RUN" "$DATA"
  if [[ ! -f "${DEPT_HOME}/dept.env" ]]; then
    printf 'KEY=%q\nMSPID=%q\nDOMAIN=%q\nNAME=%q\nPREFIX=%q\nSLOT=%q\nIP=%q\n' "$key" "$msp" "$domain" "$name" "$prefix" "$slot" "$ip" > "${DEPT_HOME}/dept.env"
  fi
  # shellcheck source=/dev/null
  source "${DEPT_HOME}/dept.env"
  fabric_bin
  chengnuo_bin
  if [[ ! -f "${DEPT_HOME}/ca/ca-cert.pem" ]]; then
    log "creating the certificate authority of ${MSPID}"
    (umask 077 && mkdir -p "${DEPT_HOME}/ca" && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "${DEPT_HOME}/ca/registrar.pw")
    ca_server_config > /dev/null
    fabric-ca-server init -H "${DEPT_HOME}/ca" > "${LOGS}/ca-init.log" 2>&1 || { tail_log ca-init; die "fabric-ca-server init failed"; }
  fi
  # The CA's directory holds its key and the registrar's password: this
  # department's only.
  chmod 700 "${DEPT_HOME}/ca"
  chmod 600 "${DEPT_HOME}/ca/fabric-ca-server-config.yaml"
  mkdir -p "${DEPT_HOME}/msp/cacerts" "${DEPT_HOME}/msp/tlscacerts"
  cp "${DEPT_HOME}/ca/ca-cert.pem" "${DEPT_HOME}/msp/cacerts/ca.pem"
  cp "${DEPT_HOME}/ca/ca-cert.pem" "${DEPT_HOME}/msp/tlscacerts/ca.pem"
  node_ous > "${DEPT_HOME}/msp/config.yaml"
  start_ca
  if [[ ! -d "${DEPT_HOME}/ca-client/registrar/signcerts" ]]; then
    local pw
    pw="$(< "${DEPT_HOME}/ca/registrar.pw")"
    ca_enroll registrar "$pw" --mspdir "${DEPT_HOME}/ca-client/registrar"
  fi
  local hosts
  hosts="peer0.${DOMAIN},${IP},127.0.0.1,localhost"
  enroll peer0 peer "${DEPT_HOME}/peer" "$hosts"
  enroll orderer0 orderer "${DEPT_HOME}/orderer" "orderer0.${DOMAIN},${IP},127.0.0.1,localhost"
  enroll admin admin "${DEPT_HOME}/admin" "admin.${DOMAIN}"
  enroll gateway client "${DEPT_HOME}/gateway" "gateway.${DOMAIN}"
  enroll ccserver client "${DEPT_HOME}/ccserver" "chaincode.${DOMAIN},${IP},127.0.0.1,localhost"
  # The transport key the consortium secret is sealed to (SM2).
  mkdir -p "${DEPT_HOME}/secret"
  if [[ ! -f "${DEPT_HOME}/secret/transport.key" ]]; then
    "${BIN}/chengnuo" keygen --out "${DEPT_HOME}/secret/transport.key" > /dev/null
  fi
  write_definition
  log "${MSPID} initialised in ${DEPT_HOME}"
}

# write_definition writes org.json: the public part of the department that
# the others need — MSP and TLS roots, NodeOUs, endpoints, the orderer's
# consenter identity and TLS certificates, the transport key.
write_definition() {
  jq -n --arg key "$KEY" --arg msp "$MSPID" --arg domain "$DOMAIN" --arg name "$NAME" --arg prefix "$PREFIX" \
    --arg ip "$IP" --argjson slot "$SLOT" \
    --argjson peerPort "$(peer_port)" --argjson ordererPort "$(orderer_port)" --argjson gatewayPort "$(gateway_port)" \
    --rawfile ca "${DEPT_HOME}/msp/cacerts/ca.pem" --rawfile tlsca "${DEPT_HOME}/msp/tlscacerts/ca.pem" \
    --rawfile ordererIdentity "${DEPT_HOME}/orderer/msp/signcerts/cert.pem" \
    --rawfile ordererTLS "${DEPT_HOME}/orderer/tls/server.crt" \
    --rawfile peerTLS "${DEPT_HOME}/peer/tls/server.crt" \
    --rawfile transport "${DEPT_HOME}/secret/transport.key.pub" \
    '{key: $key, mspId: $msp, domain: $domain, name: $name, numberPrefix: $prefix, slot: $slot,
      ca: $ca, tlsCA: $tlsca, nodeOUs: true,
      peer: {host: $ip, port: $peerPort, tlsCert: $peerTLS},
      orderer: {host: $ip, port: $ordererPort, identity: $ordererIdentity, tlsCert: $ordererTLS},
      gateway: ("http://" + $ip + ":" + ($gatewayPort | tostring)),
      transportKey: $transport}' > "${DEPT_HOME}/org.json"
}

cmd_definition() { cat "${DEPT_HOME}/org.json"; }

# ---------------------------------------------------------------- nodes

# tls_roots: every known department's TLS CA (this one's and those of the
# definitions in DEPT_HOME/orgs), as one file.
tls_roots() {
  local out="${DEPT_HOME}/config/tls-roots.pem" f
  mkdir -p "${DEPT_HOME}/config"
  cp "${DEPT_HOME}/msp/tlscacerts/ca.pem" "$out"
  for f in "${DEPT_HOME}"/orgs/*.json; do
    [[ -f "$f" ]] || continue
    jq -j .tlsCA "$f" >> "$out"
  done
  echo "$out"
}

peer_core_yaml() {
  mkdir -p "${DEPT_HOME}/config/peer"
  sed -e 's|endpoint: unix:///var/run/docker.sock|endpoint: ""|' \
    -e "s|name: ccaas_builder|name: chengnuo-ccaas|" \
    -e "s|path: /opt/hyperledger/ccaas_builder|path: ${ROOT}/network/builder|" \
    -e "s|^\\( *\\)- CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG|&\\n\\1- CHENGNUO_CC_CLIENT_CERT\\n\\1- CHENGNUO_CC_CLIENT_KEY|" \
    -e "s|enableHistoryDatabase: true|enableHistoryDatabase: false|" \
    "${SAMPLECONFIG}/core.yaml" > "${DEPT_HOME}/config/peer/core.yaml"
  grep -q "path: ${ROOT}/network/builder" "${DEPT_HOME}/config/peer/core.yaml" || die "could not configure the external builder in core.yaml"
  grep -q "CHENGNUO_CC_CLIENT_KEY" "${DEPT_HOME}/config/peer/core.yaml" || die "could not configure the builder's environment in core.yaml"
  # No history database: the chaincode never asks for a key's history (the
  # blocks hold every version), and it would cost every peer an index write
  # per key written. Fabric 3.1's write batching and GetMultipleStates stay
  # on (the sample's defaults), which the chaincode's batch anchoring uses.
  grep -q "enableHistoryDatabase: false" "${DEPT_HOME}/config/peer/core.yaml" || die "could not turn off the history database in core.yaml"
}

proc_orderer() {
  local port roots
  port="$(orderer_port)"
  roots="$(tls_roots)"
  mkdir -p "${DATA}/orderer" "${DEPT_HOME}/config/orderer"
  cp "${SAMPLECONFIG}/orderer.yaml" "${DEPT_HOME}/config/orderer/orderer.yaml"
  PROC_ENV=(
    FABRIC_CFG_PATH="${DEPT_HOME}/config/orderer"
    FABRIC_LOGGING_SPEC="INFO:orderer.common.broadcast=ERROR"
    FABRIC_LOGGING_FORMAT="$LOG_FORMAT"
    ORDERER_GENERAL_LISTENADDRESS="$IP"
    ORDERER_GENERAL_LISTENPORT="$port"
    ORDERER_GENERAL_LOCALMSPID="$MSPID"
    ORDERER_GENERAL_LOCALMSPDIR="${DEPT_HOME}/orderer/msp"
    ORDERER_GENERAL_BOOTSTRAPMETHOD=none
    ORDERER_GENERAL_TLS_ENABLED=true
    ORDERER_GENERAL_TLS_CERTIFICATE="${DEPT_HOME}/orderer/tls/server.crt"
    ORDERER_GENERAL_TLS_PRIVATEKEY="${DEPT_HOME}/orderer/tls/server.key"
    ORDERER_GENERAL_TLS_ROOTCAS="[${roots}]"
    ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE="${DEPT_HOME}/orderer/tls/server.crt"
    ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY="${DEPT_HOME}/orderer/tls/server.key"
    ORDERER_GENERAL_CLUSTER_ROOTCAS="[${roots}]"
    ORDERER_CHANNELPARTICIPATION_ENABLED=true
    ORDERER_ADMIN_LISTENADDRESS="127.0.0.1:$((port + 1))"
    ORDERER_ADMIN_TLS_ENABLED=true
    ORDERER_ADMIN_TLS_CERTIFICATE="${DEPT_HOME}/orderer/tls/server.crt"
    ORDERER_ADMIN_TLS_PRIVATEKEY="${DEPT_HOME}/orderer/tls/server.key"
    ORDERER_ADMIN_TLS_ROOTCAS="[${DEPT_HOME}/msp/tlscacerts/ca.pem]"
    ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true
    ORDERER_ADMIN_TLS_CLIENTROOTCAS="[${DEPT_HOME}/msp/tlscacerts/ca.pem]"
    ORDERER_OPERATIONS_LISTENADDRESS="${IP}:$((port + 2))"
    ORDERER_METRICS_PROVIDER=prometheus
    ORDERER_FILELEDGER_LOCATION="${DATA}/orderer/ledger"
    ORDERER_CONSENSUS_WALDIR="${DATA}/orderer/wal"
    ORDERER_CONSENSUS_SNAPDIR="${DATA}/orderer/snapshot"
  )
  PROC_PORT="$port"
  PROC_CMD=("${FABRIC_BIN}/orderer")
}

proc_peer() {
  local port
  port="$(peer_port)"
  peer_core_yaml
  mkdir -p "${DATA}/peer"
  PROC_ENV=(
    FABRIC_CFG_PATH="${DEPT_HOME}/config/peer"
    FABRIC_LOGGING_SPEC="INFO"
    FABRIC_LOGGING_FORMAT="$LOG_FORMAT"
    CORE_PEER_ID="peer0.${DOMAIN}"
    CORE_PEER_LOCALMSPID="$MSPID"
    CORE_PEER_MSPCONFIGPATH="${DEPT_HOME}/peer/msp"
    CORE_PEER_LISTENADDRESS="${IP}:${port}"
    CORE_PEER_ADDRESS="${IP}:${port}"
    CORE_PEER_CHAINCODELISTENADDRESS="${IP}:$((port + 1))"
    CORE_PEER_CHAINCODEADDRESS="${IP}:$((port + 1))"
    CORE_PEER_GOSSIP_BOOTSTRAP="${IP}:${port}"
    CORE_PEER_GOSSIP_EXTERNALENDPOINT="${IP}:${port}"
    # A peer that joins before the others probes their anchor peers too
    # early; the stock 25 s retry would leave discovery partial that long.
    CORE_PEER_GOSSIP_RECONNECTINTERVAL=2s
    # How long the peer tries to pull a block's private data it lacks
    # before committing the block without it. A department restored onto a
    # new host sets it to 0 while it catches up: the private data of its
    # own implicit collection was only on its lost peer.
    CORE_PEER_GOSSIP_PVTDATA_PULLRETRYTHRESHOLD="${CHENGNUO_PVTDATA_PULL_RETRY:-60s}"
    CORE_PEER_TLS_ENABLED=true
    CORE_PEER_TLS_CERT_FILE="${DEPT_HOME}/peer/tls/server.crt"
    CORE_PEER_TLS_KEY_FILE="${DEPT_HOME}/peer/tls/server.key"
    CORE_PEER_TLS_ROOTCERT_FILE="${DEPT_HOME}/peer/tls/ca.crt"
    CORE_PEER_FILESYSTEMPATH="${DATA}/peer"
    CORE_LEDGER_SNAPSHOTS_ROOTDIR="${DATA}/peer/snapshots"
    CORE_OPERATIONS_LISTENADDRESS="${IP}:$((port + 2))"
    CORE_METRICS_PROVIDER=prometheus
    CORE_CHAINCODE_EXECUTETIMEOUT=30s
    # A launch waits this long for the chaincode server to announce the
    # package the peer expects. Fabric's 300 s is meant for building
    # chaincode images; here the server is already up (dialling it takes at
    # most connection.json's 10 s). A launch that cannot succeed — a server
    # restarted for a redeploy announcing the next package before the
    # definition is committed — holds the state's read lock while it waits,
    # so block commits wait too: with 300 s a peer stopped committing for
    # five minutes (seen in the redeploy integration test).
    CORE_CHAINCODE_STARTUPTIMEOUT=15s
    CORE_PEER_PROFILE_ENABLED="$([[ -n "$(debug_listen 460)" ]] && echo true || echo false)"
    CORE_PEER_PROFILE_LISTENADDRESS="$(debug_listen 460)"
    # The peer's own TLS credentials authenticate it to its chaincode server.
    CHENGNUO_CC_CLIENT_CERT="${DEPT_HOME}/peer/tls/server.crt"
    CHENGNUO_CC_CLIENT_KEY="${DEPT_HOME}/peer/tls/server.key"
  )
  PROC_PORT="$port"
  PROC_CMD=("${FABRIC_BIN}/peer" node start)
}

cmd_start_nodes() {
  fabric_bin
  start_ca
  start_proc orderer
  start_proc peer
  wait_until orderer "the orderer's health" http_ok "http://${IP}:$(($(orderer_port) + 2))/healthz"
  wait_until peer "the peer's health" http_ok "http://${IP}:$(($(peer_port) + 2))/healthz"
}

# as_admin CMD...: a peer CLI command as this department's admin.
as_admin() { env "${ADMIN_ENV[@]}" FABRIC_LOGGING_SPEC=WARNING "$@"; }

# admin_env sets ADMIN_ENV: the peer CLI's settings as this department's
# admin (as_admin uses them, peer-env prints them).
admin_env() {
  ADMIN_ENV=(
    FABRIC_CFG_PATH="${DEPT_HOME}/config/peer"
    CORE_PEER_LOCALMSPID="$MSPID"
    CORE_PEER_MSPCONFIGPATH="$(admin_msp)"
    CORE_PEER_ADDRESS="${IP}:$(peer_port)"
    CORE_PEER_TLS_ENABLED=true
    CORE_PEER_TLS_ROOTCERT_FILE="${DEPT_HOME}/peer/tls/ca.crt"
  )
}

# admin_msp: the admin's MSP directory with the org's NodeOUs config.
admin_msp() { echo "${DEPT_HOME}/admin/msp"; }

orderer_args() {
  echo -o "${IP}:$(orderer_port)" --tls --cafile "${DEPT_HOME}/msp/tlscacerts/ca.pem"
}

osn() {
  local sub="$1"
  shift
  osnadmin channel "$sub" -o "127.0.0.1:$(($(orderer_port) + 1))" --ca-file "${DEPT_HOME}/msp/tlscacerts/ca.pem" \
    --client-cert "${DEPT_HOME}/admin/tls/server.crt" --client-key "${DEPT_HOME}/admin/tls/server.key" "$@"
}

orderer_has_channel() { osn list --channelID "$CHANNEL" 2> /dev/null | grep -q '"status": *"active"'; }

# cmd_join_orderer BLOCK: the orderer joins the channel unless it is on it.
# Right after a start (a restart after a crash above all) its admin API
# may not answer yet, or not know its channels yet: it is asked again.
cmd_join_orderer() {
  local block="$1" out deadline=$((SECONDS + WAIT_SECS))
  fabric_bin
  while true; do
    if osn list --channelID "$CHANNEL" 2> /dev/null | grep -q '^Status: 200'; then
      log "the orderer is on channel ${CHANNEL} already"
      return 0
    fi
    out="$(osn join --channelID "$CHANNEL" --config-block "$block" 2>&1)" || true
    if grep -q '^Status: 201' <<< "$out"; then
      log "the orderer joined ${CHANNEL}"
      return 0
    fi
    grep -q 'already exists' <<< "$out" && return 0
    ((SECONDS < deadline)) || die "the orderer could not join ${CHANNEL}: ${out}"
    sleep 1
  done
}

# cmd_height: the orderer's block height on the channel.
cmd_height() {
  fabric_bin
  osn list --channelID "$CHANNEL" | sed -n '/^{/,$p' | jq -r .height
}

# cmd_wait_peer N: wait until the peer has N blocks (after a join or a
# restore, it pulls them from the orderers).
cmd_wait_peer() {
  local want="${1:?wait-peer HEIGHT}" deadline=$((SECONDS + ${CHENGNUO_CATCHUP_SECS:-600})) h
  fabric_bin
  admin_env
  while :; do
    h="$(as_admin peer channel getinfo -c "$CHANNEL" 2> /dev/null | sed -n 's/^Blockchain info: //p' | jq -r '.height // 0' 2> /dev/null || echo 0)"
    ((${h:-0} >= want)) && break
    ((SECONDS < deadline)) || die "the peer has ${h:-0} of ${want} blocks after ${CHENGNUO_CATCHUP_SECS:-600} s"
    sleep 0.5
  done
  log "the peer has ${h} blocks"
}

cmd_wait_orderer() {
  fabric_bin
  wait_until orderer "the orderer to be active on ${CHANNEL}" orderer_has_channel
}

peer_on_channel() { as_admin peer channel getinfo -c "$CHANNEL" > /dev/null 2>&1; }

cmd_join_peer() {
  local block="$1" i
  fabric_bin
  peer_core_yaml
  for ((i = 0; i < 20; i++)); do
    if peer_on_channel; then
      log "the peer is on channel ${CHANNEL}"
      return 0
    fi
    if as_admin peer channel join -b "$block" > "${LOGS}/join.log" 2>&1; then
      log "the peer joined ${CHANNEL}"
      return 0
    fi
    # "ledger already exists": a join that was half done before a crash.
    grep -q "already exists" "${LOGS}/join.log" && return 0
    sleep 1
  done
  tail_log join
  die "the peer could not join ${CHANNEL}"
}

# ---------------------------------------------------------------- chaincode

json_pem() { awk 'NF { sub(/\r$/, ""); printf "%s\\n", $0 }' "$1"; }

# cmd_package_cc: this department's ccaas package — its own chaincode
# server's address and TLS root — labelled after the chaincode binary.
cmd_package_cc() {
  local label pkg tmp
  chengnuo_bin
  label="${CC_NAME}_$(sha256sum "${BIN}/chengnuo-cc" | cut -c1-12)"
  pkg="${DEPT_HOME}/cc/${label}.tar.gz"
  if [[ ! -f "$pkg" ]]; then
    mkdir -p "${DEPT_HOME}/cc"
    tmp="$(mktemp -d)"
    cat > "${tmp}/connection.json" << JSON
{"address":"${IP}:$(cc_port)","dial_timeout":"10s","tls_required":true,"client_auth_required":false,"root_cert":"$(json_pem "${DEPT_HOME}/msp/tlscacerts/ca.pem")"}
JSON
    printf '{"type":"ccaas","label":"%s"}\n' "$label" > "${tmp}/metadata.json"
    tar -C "$tmp" --owner=0 --group=0 --numeric-owner --mtime='2024-01-01' -czf "${tmp}/code.tar.gz" connection.json
    tar -C "$tmp" --owner=0 --group=0 --numeric-owner --mtime='2024-01-01' -czf "$pkg" metadata.json code.tar.gz
    rm -rf "$tmp"
  fi
  printf '%s %s\n' "$label" "$pkg"
}

cmd_install_cc() {
  local pkg="$1" id
  fabric_bin
  peer_core_yaml
  id="$(as_admin peer lifecycle chaincode calculatepackageid "$pkg")"
  if ! as_admin peer lifecycle chaincode queryinstalled -O json 2> /dev/null | grep -q "\"${id}\""; then
    as_admin peer lifecycle chaincode install "$pkg" > "${LOGS}/install.log" 2>&1 || { tail_log install; die "install failed"; }
    log "installed ${id}"
  fi
  echo "$id"
}

# proc_chaincode: this department's chaincode server, which admits exactly
# this department's peer (its TLS certificate is pinned).
proc_chaincode() {
  [[ -f "${DEPT_HOME}/cc/package.id" ]] || die "no chaincode package installed yet"
  PROC_ENV=(
    CHAINCODE_ID="$(cat "${DEPT_HOME}/cc/package.id")"
    CHAINCODE_LISTEN="${IP}:$(cc_port)"
    CHAINCODE_TLS_CERT="${DEPT_HOME}/ccserver/tls/server.crt"
    CHAINCODE_TLS_KEY="${DEPT_HOME}/ccserver/tls/server.key"
    CHAINCODE_CLIENT_CAS="${DEPT_HOME}/msp/tlscacerts/ca.pem"
    CHAINCODE_CLIENT_CERTS="${DEPT_HOME}/peer/tls/server.crt"
    CHAINCODE_DEBUG_LISTEN="$(debug_listen 450)"
  )
  PROC_PORT="$(cc_port)"
  PROC_CMD=("${BIN}/chengnuo-cc")
}

cmd_start_cc() {
  local id="$1"
  mkdir -p "${DEPT_HOME}/cc" "$RUN"
  if running chaincode && [[ "$(cat "${RUN}/chaincode.id" 2> /dev/null)" != "$id" ]]; then
    log "chaincode package changed; restarting the chaincode server"
    stop_proc chaincode
  fi
  printf '%s' "$id" > "${DEPT_HOME}/cc/package.id"
  start_proc chaincode
  printf '%s' "$id" > "${RUN}/chaincode.id"
  wait_until chaincode "the chaincode server" port_in_use "$(cc_port)"
}

# cmd_committed: the committed definition's label and sequence, or an
# empty line if none is committed. A peer that does not answer (just
# restarted, still opening its ledger) is asked again: "no answer" must not
# read as "nothing committed", or `up` would approve sequence 1 again.
cmd_committed() {
  local out err="${LOGS}/committed.log" deadline=$((SECONDS + WAIT_SECS))
  fabric_bin
  peer_core_yaml
  mkdir -p "$LOGS"
  while ! out="$(as_admin peer lifecycle chaincode querycommitted -C "$CHANNEL" -n "$CC_NAME" -O json 2> "$err")"; do
    if grep -q "namespace ${CC_NAME} is not defined" "$err"; then
      echo
      return 0
    fi
    ((SECONDS < deadline)) || die "the peer does not say which chaincode is committed: $(tail -n 3 "$err")"
    sleep 1
  done
  jq -r '"\(.version) \(.sequence)"' <<< "$out"
}

# cmd_approve_cc LABEL SEQ PACKAGEID [ORGDEF...]: this department approves
# the definition. The approval goes to its own orderer first; a retry goes
# to the next department's orderer (from their definitions): a BFT orderer
# that is resynchronising may drop what it was sent, and any consenter
# orders a transaction.
cmd_approve_cc() {
  local label="$1" seq="$2" id="$3" f key
  shift 3
  fabric_bin
  peer_core_yaml
  APPROVE_ORDERERS=("${IP}:$(orderer_port)|${DEPT_HOME}/msp/tlscacerts/ca.pem")
  if (($# > 0)); then
    chengnuo_bin
    mkdir -p "${DEPT_HOME}/config/roots"
    for f in "$@"; do
      key="$(def_field key "$f")"
      def_field tlsCA "$f" > "${DEPT_HOME}/config/roots/${key}.pem"
      APPROVE_ORDERERS+=("$(def_field orderer "$f")|${DEPT_HOME}/config/roots/${key}.pem")
    done
  fi
  APPROVE_TRY=0
  wait_until "" "approval of ${label} by ${MSPID}" approve_once "$label" "$seq" "$id"
  log "approved ${label} (sequence ${seq})"
}

# approve_once LABEL SEQ PACKAGEID: one approval, unless the peer already
# has this department's approval of the definition (an approval ordered
# after the CLI stopped waiting for it: approving it again is refused as
# "unchanged content").
approve_once() {
  local o="${APPROVE_ORDERERS[$((APPROVE_TRY % ${#APPROVE_ORDERERS[@]}))]}"
  APPROVE_TRY=$((APPROVE_TRY + 1))
  if ((APPROVE_TRY > 1)) && as_admin peer lifecycle chaincode checkcommitreadiness -C "$CHANNEL" -n "$CC_NAME" -v "$1" \
    --sequence "$2" --output json 2> /dev/null | jq -e --arg m "$MSPID" '.approvals[$m] == true' > /dev/null; then
    return 0
  fi
  as_admin peer lifecycle chaincode approveformyorg -o "${o%%|*}" --tls --cafile "${o#*|}" -C "$CHANNEL" -n "$CC_NAME" \
    -v "$1" --package-id "$3" --sequence "$2" --waitForEventTimeout 30s
}

# cmd_commit_cc LABEL SEQ ORGDEF...: commit the definition, endorsed by this
# department's peer and those of the given definitions.
cmd_commit_cc() {
  local label="$1" seq="$2" f peers=()
  shift 2
  fabric_bin
  peer_core_yaml
  chengnuo_bin
  peers+=(--peerAddresses "${IP}:$(peer_port)" --tlsRootCertFiles "${DEPT_HOME}/peer/tls/ca.crt")
  mkdir -p "${DEPT_HOME}/config/roots"
  local key
  for f in "$@"; do
    # Fields of a validated definition: the key is letters and digits.
    key="$(def_field key "$f")"
    def_field tlsCA "$f" > "${DEPT_HOME}/config/roots/${key}.pem"
    peers+=(--peerAddresses "$(def_field peer "$f")" --tlsRootCertFiles "${DEPT_HOME}/config/roots/${key}.pem")
  done
  # shellcheck disable=SC2046
  as_admin peer lifecycle chaincode commit $(orderer_args) -C "$CHANNEL" -n "$CC_NAME" \
    -v "$label" --sequence "$seq" "${peers[@]}" --waitForEventTimeout 60s > "${LOGS}/commit.log" 2>&1 ||
    { tail_log commit; die "chaincode commit failed"; }
  log "committed ${label} (sequence ${seq})"
}

# ---------------------------------------------------------------- config updates

cmd_fetch_config() {
  local out="$1"
  fabric_bin
  peer_core_yaml
  # shellcheck disable=SC2046
  as_admin peer channel fetch config "$out" $(orderer_args) -c "$CHANNEL" > "${LOGS}/fetch.log" 2>&1 ||
    { tail_log fetch; die "could not fetch the channel config"; }
}

# cmd_describe_update FILE: what the update would change in the channel as
# it is now, in plain words.
cmd_describe_update() {
  local update="$1" cfg
  [[ -f "$update" ]] || die "no update file ${update}"
  chengnuo_bin
  cfg="$(mktemp)"
  cmd_fetch_config "$cfg"
  printf 'The update %s, for channel %s, would:\n' "$(basename "$update")" "$CHANNEL"
  "${BIN}/chengnuo" node describe-update --config "$cfg" "$update" || { rm -f "$cfg"; die "cannot read ${update} as a config update"; }
  rm -f "$cfg"
}

# confirm_update FILE [--yes] ACTION: shows what the update changes and asks
# this department's admin to confirm ACTION; --yes confirms for scripts.
confirm_update() {
  local update="$1" yes="$2" action="$3" answer
  cmd_describe_update "$update"
  if [[ "$yes" == --yes ]]; then
    log "${action} confirmed by --yes"
    return 0
  fi
  [[ -t 0 ]] || die "refusing to ${action} without confirmation: read the changes above, then run again with --yes"
  read -r -p "${action} as ${MSPID}'s admin? Type yes: " answer
  [[ "$answer" == yes ]] || die "not confirmed; nothing signed"
}

cmd_sign_update() {
  local update="${1:?sign-update FILE [--yes]}"
  fabric_bin
  peer_core_yaml
  confirm_update "$update" "${2:-}" "sign $(basename "$update")"
  as_admin peer channel signconfigtx -f "$update" > "${LOGS}/sign.log" 2>&1 || { tail_log sign; die "could not sign ${update}"; }
  log "signed ${update} as ${MSPID}'s admin"
}

cmd_submit_update() {
  local update="${1:?submit-update FILE [--yes]}"
  fabric_bin
  peer_core_yaml
  confirm_update "$update" "${2:-}" "sign and submit $(basename "$update")"
  # shellcheck disable=SC2046
  as_admin peer channel update -f "$update" -c "$CHANNEL" $(orderer_args) > "${LOGS}/update.log" 2>&1 ||
    { cat "${LOGS}/update.log" >&2; return 1; }
  log "submitted ${update}"
}

# ---------------------------------------------------------------- the consortium secret

# cmd_seal_secret DEF OUT: the consortium secret sealed to the transport key
# of the department DEF defines, signed by this department's admin.
cmd_seal_secret() {
  local def="$1" out="$2"
  chengnuo_bin
  "${BIN}/chengnuo" secret seal --from-def "${DEPT_HOME}/org.json" --to-def "$def" \
    --admin-cert "${DEPT_HOME}/admin/msp/signcerts/cert.pem" --admin-key "${DEPT_HOME}/admin/msp/keystore/key.pem" \
    --in "${DEPT_HOME}/secret/consortium.secret" --out "$out" > /dev/null
}

cmd_secret_fingerprint() {
  chengnuo_bin
  "${BIN}/chengnuo" secret fingerprint --in "${DEPT_HOME}/secret/consortium.secret"
}

# cmd_open_secret FILE FROMKEY FINGERPRINT: take the consortium secret if the
# imported department FROMKEY's admin signed it and its fingerprint is the
# one FROMKEY told this department.
cmd_open_secret() {
  local file="$1" from="$2" fp="$3"
  [[ "$from" =~ ^[a-z][a-z0-9]{1,15}$ && -f "${DEPT_HOME}/orgs/${from}.json" ]] ||
    die "open-secret FILE FROMKEY FINGERPRINT: ${from} is not an imported department"
  chengnuo_bin
  (umask 077 && "${BIN}/chengnuo" secret open --self-def "${DEPT_HOME}/org.json" --from-def "${DEPT_HOME}/orgs/${from}.json" \
    --key "${DEPT_HOME}/secret/transport.key" --fingerprint "$fp" --in "$file" --out "${DEPT_HOME}/secret/consortium.secret" > /dev/null)
  log "took the consortium secret from ${from} (fingerprint ${fp})"
}

cmd_new_secret() {
  [[ -f "${DEPT_HOME}/secret/consortium.secret" ]] && return 0
  (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "${DEPT_HOME}/secret/consortium.secret")
  log "created the consortium secret"
}

# ---------------------------------------------------------------- channel

# cmd_import DEF...: keep other departments' definitions (public material)
# in DEPT_HOME/orgs; their TLS CAs become trusted by this department's nodes
# at their next start. Each is validated as data first (chengnuo node
# import); one that fails, or claims this department's name, refuses the
# whole import and changes nothing.
cmd_import() {
  chengnuo_bin
  "${BIN}/chengnuo" node import --home "$DEPT_HOME" "$@" > /dev/null || die "import refused"
}

# def_field FIELD DEF: one field of a definition, validated as a whole first.
def_field() { "${BIN}/chengnuo" node show-def --field "$1" "$2"; }

# render_configtx DIR DEF...: configtx.yaml for the given departments, and
# their MSP directories, from validated definitions (chengnuo node configtx).
render_configtx() {
  local out="$1"
  shift
  chengnuo_bin
  "${BIN}/chengnuo" node configtx --template "${ROOT}/network/configtx.yaml.tmpl" --out "$out" \
    --block-interval "${CHENGNUO_BLOCK_INTERVAL:-250ms}" "$@" || die "cannot render the channel configuration"
}

# cmd_genesis OUT: the channel's genesis block from this department's and
# the imported definitions (the founding departments).
cmd_genesis() {
  local out="$1" f defs=("${DEPT_HOME}/org.json")
  fabric_bin
  for f in "${DEPT_HOME}"/orgs/*.json; do [[ -f "$f" ]] && defs+=("$f"); done
  rm -rf "${DEPT_HOME}/config/configtx"
  render_configtx "${DEPT_HOME}/config/configtx" "${defs[@]}"
  configtxgen -configPath "${DEPT_HOME}/config/configtx" -profile ChengnuoChannel -channelID "$CHANNEL" \
    -outputBlock "$out" > "${LOGS}/configtxgen.log" 2>&1 || { tail_log configtxgen; die "configtxgen failed"; }
  log "genesis block of ${CHANNEL} for ${#defs[@]} departments: ${out}"
}

# cmd_propose_join DEF OUT: the config update that adds the department of
# DEF to the channel — as an application organisation, an orderer
# organisation and a SmartBFT consenter, with the block validation policy
# recomputed for the new quorum (chengnuo node propose-join). The result is
# unsigned; each department's admin signs it (sign-update) until the
# channel's Admins policy (MAJORITY) is met, and one submits it.
cmd_propose_join() {
  local def="$1" out="$2" w="${DEPT_HOME}/config/update" msp
  fabric_bin
  peer_core_yaml
  chengnuo_bin
  rm -rf "$w"
  mkdir -p "$w"
  msp="$(def_field mspId "$def")" || die "${def} is not a valid definition"
  render_configtx "${w}/new" "$def"
  configtxgen -configPath "${w}/new" -printOrg "$msp" > "${w}/org.json" 2> "${LOGS}/configtxgen.log" ||
    { tail_log configtxgen; die "configtxgen -printOrg failed"; }
  cmd_fetch_config "${w}/config.pb"
  "${BIN}/chengnuo" node propose-join --config "${w}/config.pb" --org "${w}/org.json" --def "$def" --out "$out" ||
    die "cannot propose adding ${msp}"
  log "proposed adding ${msp}: ${out} (unsigned)"
}

# cmd_propose_leave MSPID OUT: the config update that removes a department.
cmd_propose_leave() {
  local msp="$1" out="$2" w="${DEPT_HOME}/config/update"
  fabric_bin
  peer_core_yaml
  chengnuo_bin
  rm -rf "$w"
  mkdir -p "$w"
  cmd_fetch_config "${w}/config.pb"
  "${BIN}/chengnuo" node propose-leave --config "${w}/config.pb" --msp "$msp" --out "$out" || die "cannot propose removing ${msp}"
  log "proposed removing ${msp}: ${out} (unsigned)"
}

# discovered N: this department's peer sees N peers on the channel and can
# plan an endorsement for the chaincode — what its gateway needs to submit.
discovered() {
  local n="$1" args
  args=(--peerTLSCA "${DEPT_HOME}/peer/tls/ca.crt" --userKey "${DEPT_HOME}/gateway/msp/keystore/key.pem"
    --userCert "${DEPT_HOME}/gateway/msp/signcerts/cert.pem" --MSP "$MSPID")
  [[ "$(discover "${args[@]}" peers --channel "$CHANNEL" --server "${IP}:$(peer_port)" | jq length)" -ge "$n" ]] || return 1
  discover "${args[@]}" endorsers --channel "$CHANNEL" --server "${IP}:$(peer_port)" \
    --chaincode "$CC_NAME" | jq -e '.[0].Layouts | length > 0'
}

cmd_wait_discovery() {
  fabric_bin
  wait_until peer "discovery at ${MSPID} to see $1 peers and the chaincode" discovered "$1"
}

# ---------------------------------------------------------------- gateway

# replicas: how many gateway replicas the department runs. Chosen at the
# gateway's first start (CHENGNUO_GATEWAY_REPLICAS, default 1) and kept in
# DEPT_HOME/gateway/replicas: one replica keeps its letters in an embedded
# store, two share a PostgreSQL database, and the letters do not move from
# one to the other by themselves.
replicas() { cat "${DEPT_HOME}/gateway/replicas" 2> /dev/null || echo 1; }

# proc_gateway / proc_gateway2: the department's HTTP gateway replicas.
# Their settings (webhook, applicant certificate roots, retention) live in
# DEPT_HOME/gateway.env.
proc_gateway() { gateway_proc 1 "$(gateway_port)" "$(gateway_ops_port)"; }
proc_gateway2() { gateway_proc 2 "$(gateway2_port)" "$(gateway2_ops_port)"; }

gateway_proc() {
  local replica="$1" port="$2" ops="$3"
  if [[ -f "${DEPT_HOME}/gateway.env" ]]; then
    # shellcheck source=/dev/null
    source "${DEPT_HOME}/gateway.env"
  fi
  PROC_ENV=(
    CHENGNUO_ORGAN_NAME="$NAME"
    CHENGNUO_NUMBER_PREFIX="$PREFIX"
    CHENGNUO_PUBLIC_URL="${CHENGNUO_PUBLIC_URL:-http://${IP}:$(gateway_port)}"
    CHENGNUO_STORE="${DATA}/gateway/letters.db"
    CHENGNUO_APPLICANT_SECRET_FILE="${DEPT_HOME}/secret/consortium.secret"
    CHENGNUO_API_KEYS_FILE="${DEPT_HOME}/gateway/api-keys.json"
    CHENGNUO_VERIFY_WEBHOOK="${CHENGNUO_VERIFY_WEBHOOK:-}"
    CHENGNUO_REMINDER_WEBHOOK="${CHENGNUO_REMINDER_WEBHOOK:-}"
    CHENGNUO_CERT_ROOTS="${CHENGNUO_CERT_ROOTS:-}"
    CHENGNUO_DETAILS_RETENTION="${CHENGNUO_DETAILS_RETENTION:-1m}"
    CHENGNUO_MAINTAIN_EVERY="${CHENGNUO_MAINTAIN_EVERY:-30s}"
    CHENGNUO_PUBLIC_RATE="${CHENGNUO_PUBLIC_RATE:-20}"
    CHENGNUO_BATCH_LINGER="${CHENGNUO_BATCH_LINGER:-}"
    CHENGNUO_BATCH_WORKERS="${CHENGNUO_BATCH_WORKERS:-}"
    CHENGNUO_ENDORSER_REFRESH="${CHENGNUO_ENDORSER_REFRESH:-}"
    CHENGNUO_LISTEN="${IP}:${port}"
    CHENGNUO_OPS_LISTEN="${IP}:${ops}"
    CHENGNUO_OPERATOR_TOKEN_FILE="${DEPT_HOME}/gateway/operator.token"
    CHENGNUO_WEBHOOK_SECRET_FILE="${DEPT_HOME}/gateway/webhook.secret"
    CHENGNUO_DEBUG_LISTEN="$(debug_listen $((400 + 10 * (replica - 1))))"
    CHENGNUO_MSP_ID="$MSPID"
    CHENGNUO_PEER_ENDPOINT="${IP}:$(peer_port)"
    CHENGNUO_PEER_TLS_CA="${DEPT_HOME}/peer/tls/ca.crt"
    CHENGNUO_CERT="${DEPT_HOME}/gateway/msp/signcerts/cert.pem"
    CHENGNUO_KEY="${DEPT_HOME}/gateway/msp/keystore/key.pem"
    CHENGNUO_CHANNEL="$CHANNEL"
    CHENGNUO_CHAINCODE="$CC_NAME"
  )
  if (($(replicas) > 1)); then
    # The replicas share the PostgreSQL store; each keeps its own read
    # model and event checkpoint.
    PROC_ENV+=(
      CHENGNUO_STORE="postgres://chengnuo@${IP}:$(pg_port)/chengnuo?sslmode=disable"
      PGPASSFILE="${DEPT_HOME}/postgres/pgpass"
      CHENGNUO_INDEX="${DATA}/gateway/replica${replica}.index"
      CHENGNUO_CHECKPOINT="${DATA}/gateway/replica${replica}.checkpoint"
    )
  fi
  PROC_PORT="$port"
  PROC_CMD=("${BIN}/chengnuo-gateway")
}

# cmd_start_gateway [ROLES]: API keys (once), then the gateway replicas
# (and, for two, the PostgreSQL server first). The environment's
# CHENGNUO_VERIFY_WEBHOOK, CHENGNUO_CERT_ROOTS, CHENGNUO_DETAILS_RETENTION,
# CHENGNUO_MAINTAIN_EVERY, CHENGNUO_PUBLIC_RATE, CHENGNUO_BATCH_LINGER,
# CHENGNUO_BATCH_WORKERS and CHENGNUO_ENDORSER_REFRESH are kept in
# DEPT_HOME/gateway.env for later (re)starts.
cmd_start_gateway() {
  local roles="${1:-clerk,auditor}" v want="${CHENGNUO_GATEWAY_REPLICAS:-}"
  chengnuo_bin
  "${BIN}/chengnuo" apikeys --dir "${DEPT_HOME}/gateway" --roles "$roles" > /dev/null
  # The operator token lets this host's operator create the first workbench
  # accounts (account-add); it never leaves the host.
  if [[ ! -s "${DEPT_HOME}/gateway/operator.token" ]]; then
    (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "${DEPT_HOME}/gateway/operator.token")
  fi
  # The secret that signs the gateway's calls to the department's registry
  # and reminder webhook: give it to those systems (package registry says
  # how they check a call).
  if [[ ! -f "${DEPT_HOME}/gateway/webhook.secret" ]]; then
    (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "${DEPT_HOME}/gateway/webhook.secret")
  fi
  if [[ ! -f "${DEPT_HOME}/gateway/replicas" ]]; then
    [[ -z "$want" || "$want" == 1 || "$want" == 2 ]] || die "CHENGNUO_GATEWAY_REPLICAS must be 1 or 2, got ${want}"
    echo "${want:-1}" > "${DEPT_HOME}/gateway/replicas"
  elif [[ -n "$want" && "$want" != "$(replicas)" ]]; then
    die "this department runs $(replicas) gateway replica(s) with its letters in that store; changing to ${want} needs the letters moved first"
  fi
  local envf="${DEPT_HOME}/gateway.env"
  : > "${envf}.new"
  for v in CHENGNUO_VERIFY_WEBHOOK CHENGNUO_REMINDER_WEBHOOK CHENGNUO_CERT_ROOTS CHENGNUO_DETAILS_RETENTION CHENGNUO_MAINTAIN_EVERY CHENGNUO_PUBLIC_RATE CHENGNUO_BATCH_LINGER CHENGNUO_BATCH_WORKERS CHENGNUO_ENDORSER_REFRESH; do
    [[ -n "${!v:-}" ]] && printf '%s=%q\n' "$v" "${!v}" >> "${envf}.new"
  done
  if cmp -s "${envf}.new" "$envf"; then rm -f "${envf}.new"; else mv "${envf}.new" "$envf"; fi
  mkdir -p "${DATA}/gateway"
  local names=(gateway) name
  if (($(replicas) > 1)); then
    start_postgres
    restore_postgres
    names+=(gateway2)
  fi
  for name in "${names[@]}"; do
    if running "$name" && [[ "${RUN}/${name}.pid" -ot "${BIN}/chengnuo-gateway" || "${RUN}/${name}.pid" -ot "${DEPT_HOME}/gateway/api-keys.json" || "${RUN}/${name}.pid" -ot "$envf" ]]; then
      log "gateway binary, keys or settings changed; restarting ${name}"
      stop_proc "$name"
    fi
    start_proc "$name"
  done
  wait_gateways
}

# wait_gateways: every gateway replica answers ready.
wait_gateways() {
  wait_until gateway "the gateway to be ready" http_ok "http://${IP}:$(gateway_port)/readyz"
  if (($(replicas) > 1)); then
    wait_until gateway2 "the second gateway replica to be ready" http_ok "http://${IP}:$(gateway2_port)/readyz"
  fi
}

# stop_store: the gateway replicas, then the PostgreSQL server they share.
stop_store() {
  stop_proc gateway2
  stop_proc gateway
  stop_proc postgres
}

# ---------------------------------------------------------------- PostgreSQL

# pg_bin: PG_BIN, the directory of Debian's PostgreSQL server programs
# (installed here when missing and allowed: root with apt-get).
pg_bin() {
  PG_BIN="$(find_pg_bin)"
  if [[ -z "$PG_BIN" ]] && [[ "$(id -u)" == 0 ]] && command -v apt-get > /dev/null; then
    log "installing Debian's postgresql"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql > /dev/null 2>&1 ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql > /dev/null; }
    PG_BIN="$(find_pg_bin)"
  fi
  [[ -n "$PG_BIN" ]] || die "PostgreSQL's server is not installed (apt-get install postgresql)"
}

find_pg_bin() {
  local d
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k4 -n -r); do
    [[ -x "${d}/initdb" ]] && { echo "$d"; return; }
  done
  command -v initdb > /dev/null && dirname "$(command -v initdb)"
  return 0
}

# as_pg CMD...: CMD as the server's owner (PostgreSQL refuses to run as root).
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

# wal_archive: where PostgreSQL's write-ahead log is archived, with the base
# backups it is replayed onto (continuous protection, point-in-time
# restore): CHENGNUO_WAL_ARCHIVE, else the setting kept in
# DEPT_HOME/postgres/archive.env (wal-archive DIR), else DEPT_HOME/wal-archive.
# It should be a second disk or another host's mount: the default, beside
# the department's state, protects from mistakes and a broken database, not
# from losing the disk. Backups leave the archive out (it is the other copy).
wal_archive() {
  local WAL_ARCHIVE=""
  # shellcheck source=/dev/null
  [[ -f "${DEPT_HOME}/postgres/archive.env" ]] && source "${DEPT_HOME}/postgres/archive.env"
  echo "${CHENGNUO_WAL_ARCHIVE:-${WAL_ARCHIVE:-${DEPT_HOME}/wal-archive}}"
}

# wal_timeout: how often, at least, a written log segment is archived (s).
wal_timeout() {
  local WAL_TIMEOUT=""
  # shellcheck source=/dev/null
  [[ -f "${DEPT_HOME}/postgres/archive.env" ]] && source "${DEPT_HOME}/postgres/archive.env"
  echo "${CHENGNUO_WAL_TIMEOUT:-${WAL_TIMEOUT:-60}}"
}

# cmd_wal_archive DIR [TIMEOUT]: archive the log to DIR from now on (kept
# in DEPT_HOME/postgres/archive.env; a running server restarts with it and
# takes a base backup there).
cmd_wal_archive() {
  local dir="${1:?wal-archive DIR [TIMEOUT]}" timeout="${2:-60}"
  (($(replicas) > 1)) || die "this department keeps its letters in bbolt: there is no log to archive"
  [[ "$dir" == /* ]] || die "wal-archive: DIR must be an absolute path"
  [[ "$timeout" =~ ^[1-9][0-9]*$ ]] || die "wal-archive: TIMEOUT must be a number of seconds"
  mkdir -p "${DEPT_HOME}/postgres"
  printf 'WAL_ARCHIVE=%q\nWAL_TIMEOUT=%q\n' "$dir" "$timeout" > "${DEPT_HOME}/postgres/archive.env"
  if running postgres; then
    pg_bin
    stop_store
    start_postgres
    start_proc gateway
    start_proc gateway2
    wait_gateways
  fi
  log "the log is archived to ${dir} (a written segment at least every ${timeout} s)"
}

# proc_postgres: the department's PostgreSQL server, on its own address. Its
# write-ahead log is archived segment by segment (a segment is closed at
# least every CHENGNUO_WAL_TIMEOUT seconds, 60, when anything was written:
# the recovery point), copied then renamed, fsynced, never overwritten with
# different bytes.
proc_postgres() {
  local pgdata="${DATA}/postgres" arch
  arch="$(wal_archive)/wal"
  PROC_CMD=("${PG_BIN}/postgres" -D "$pgdata" -c "listen_addresses=${IP}" -p "$(pg_port)"
    -c "unix_socket_directories=${pgdata}" -c "max_connections=100" -c "shared_buffers=32MB"
    -c "wal_level=replica" -c "archive_mode=on" -c "archive_timeout=$(wal_timeout)"
    -c "archive_command=if [ -f '${arch}/%f' ]; then cmp -s '%p' '${arch}/%f'; else cp '%p' '${arch}/%f.part' && sync '${arch}/%f.part' && mv '${arch}/%f.part' '${arch}/%f'; fi")
  [[ "$(id -u)" == 0 ]] && PROC_CMD=(setpriv --reuid=postgres --regid=postgres --init-groups -- "${PROC_CMD[@]}")
  PROC_PORT="$(pg_port)"
}

# start_postgres: a cluster of its own (once: a role with a random
# password, kept in a pgpass file for the gateways; password logins from
# this host's address only), then the server, then the database.
start_postgres() {
  pg_bin
  local pgdata="${DATA}/postgres" conf="${DEPT_HOME}/postgres" d
  mkdir -p "$conf"
  # A restore onto a new host whose log archive survived (another disk): the
  # store comes back from the archive, to its last archived segment, not
  # from the older dump of the backup.
  if [[ ! -f "${pgdata}/PG_VERSION" && -f "${DEPT_HOME}/postgres.dump" ]] && compgen -G "$(wal_archive)/base/*Z/backup_label" > /dev/null; then
    recover_from_archive
    return
  fi
  mkdir -p "$pgdata"
  if [[ ! -f "${pgdata}/PG_VERSION" ]]; then
    local pw
    pw="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    umask 077
    printf '%s\n' "$pw" > "${conf}/password"
    printf '%s:%s:*:chengnuo:%s\n' "$IP" "$(pg_port)" "$pw" > "${conf}/pgpass"
    if [[ "$(id -u)" == 0 ]]; then
      # The server's owner must reach its directory: traverse-only rights on the way.
      d="$pgdata"
      while d="$(dirname "$d")" && [[ "$d" != / ]]; do chmod o+x "$d"; done
      chown -R postgres:postgres "$pgdata"
      cp "${conf}/password" "${DATA}/postgres.pw" && chown postgres "${DATA}/postgres.pw"
    else
      cp "${conf}/password" "${DATA}/postgres.pw"
    fi
    as_pg "${PG_BIN}/initdb" -D "$pgdata" -U chengnuo --pwfile="${DATA}/postgres.pw" --auth-local=scram-sha-256 \
      --auth-host=scram-sha-256 --encoding=UTF8 --locale=C > "${LOGS}/postgres-init.log" 2>&1 ||
      { tail -n 20 "${LOGS}/postgres-init.log" >&2; die "initdb failed"; }
    rm -f "${DATA}/postgres.pw"
    printf 'local all chengnuo scram-sha-256\nhost all chengnuo %s/32 scram-sha-256\n' "$IP" > "${pgdata}/pg_hba.conf"
    [[ "$(id -u)" == 0 ]] && chown postgres:postgres "${pgdata}/pg_hba.conf"
    umask 022
  fi
  # Base backups (pg_basebackup) use a replication connection.
  if ! grep -q '^host replication chengnuo' "${pgdata}/pg_hba.conf"; then
    printf 'host replication chengnuo %s/32 scram-sha-256\n' "$IP" >> "${pgdata}/pg_hba.conf"
  fi
  mkdir -p "$(wal_archive)/wal" "$(wal_archive)/base"
  if [[ "$(id -u)" == 0 ]]; then chown postgres:postgres "$(wal_archive)/wal"; fi
  start_proc postgres
  wait_until postgres "PostgreSQL to accept connections" \
    env PGPASSFILE="${conf}/pgpass" "${PG_BIN}/psql" -h "$IP" -p "$(pg_port)" -U chengnuo -d postgres -Atc 'select 1'
  if ! PGPASSFILE="${conf}/pgpass" "${PG_BIN}/psql" -h "$IP" -p "$(pg_port)" -U chengnuo -d postgres -Atc \
    "select 1 from pg_database where datname = 'chengnuo'" | grep -q 1; then
    PGPASSFILE="${conf}/pgpass" "${PG_BIN}/createdb" -h "$IP" -p "$(pg_port)" -U chengnuo chengnuo
    log "created the database chengnuo"
  fi
  # The archive's first base backup: point-in-time restore is possible
  # from the first start on.
  compgen -G "$(wal_archive)/base/*Z/backup_label" > /dev/null || base_backup
}

# pg_sql SQL: one query as the store's role, unaligned.
pg_sql() {
  PGPASSFILE="${DEPT_HOME}/postgres/pgpass" "${PG_BIN}/psql" -h "$IP" -p "$(pg_port)" -U chengnuo -d chengnuo -Atqc "$1"
}

# base_backup [KEEP]: a base backup of the running cluster into the WAL
# archive (with the log it needs); the oldest beyond KEEP removed, and the
# archived log only they needed.
base_backup() {
  local keep="${1:-${CHENGNUO_BACKUP_KEEP:-14}}" dir name b oldest first
  dir="$(wal_archive)/base"
  name="$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$dir"
  PGPASSFILE="${DEPT_HOME}/postgres/pgpass" "${PG_BIN}/pg_basebackup" -h "$IP" -p "$(pg_port)" -U chengnuo \
    -D "${dir}/${name}.part" -X fetch --checkpoint=fast > "${LOGS}/pg-basebackup.log" 2>&1 ||
    { tail -n 20 "${LOGS}/pg-basebackup.log" >&2; rm -rf "${dir}/${name}.part"; die "pg_basebackup failed"; }
  mv "${dir}/${name}.part" "${dir}/${name}"
  log "base backup ${dir}/${name} ($(du -sh "${dir}/${name}" | cut -f1))"
  for b in $(find "$dir" -mindepth 1 -maxdepth 1 -type d -name '*Z' | sort | head -n "-${keep}"); do rm -rf "$b"; done
  oldest="$(find "$dir" -mindepth 1 -maxdepth 1 -type d -name '*Z' | sort | head -n1)"
  first="$(sed -n 's/^START WAL LOCATION: .* (file \([0-9A-F]*\))$/\1/p' "${oldest}/backup_label")"
  if [[ -n "$first" ]]; then "${PG_BIN}/pg_archivecleanup" "$(wal_archive)/wal" "$first"; fi
}

# cmd_pitr TIME [CSV]: point-in-time restore of the PostgreSQL store. The
# store goes back to TIME (e.g. "2026-12-07 10:15:00+08"): the newest base
# backup from before it, replayed with the archived log up to it. The
# cluster as it was is kept aside, never removed. The letters anchored after
# the recovery point are then listed from the ledger and marked lost
# (reconcile), as after a restore; the gateways' event checkpoints start
# over, so that the inbox is rebuilt from the ledger's events.
cmd_pitr() {
  local target="${1:?pitr TIME [CSV]}" csv="${2:-}" pgdata="${DATA}/postgres" base="" b t started aside seg
  (($(replicas) > 1)) || die "this department keeps its letters in bbolt: restore a backup instead (restore FILE KEYFILE)"
  pg_bin
  chengnuo_bin
  t="$(date -u -d "$target" +%s 2> /dev/null)" || die "pitr: cannot read the time ${target}"
  for b in $(find "$(wal_archive)/base" -mindepth 1 -maxdepth 1 -type d -name '*Z' | sort); do
    started="$(sed -n 's/^START TIME: //p' "${b}/backup_label")"
    (($(date -u -d "$started" +%s) < t)) && base="$b"
  done
  [[ -n "$base" ]] || die "pitr: no base backup in $(wal_archive)/base is older than ${target}"
  # A running server first closes and archives its current log segment, so
  # that everything written up to now can be replayed.
  if running postgres; then
    seg="$(pg_sql "select pg_walfile_name(pg_switch_wal())")"
    wait_until postgres "the log up to ${seg} to be archived" pg_archived "$seg"
  fi
  stop_store
  # The cluster as it was is kept aside (a lost disk leaves none).
  aside="${DATA}/postgres.before-pitr-$(date -u +%Y%m%dT%H%M%SZ)"
  if [[ -d "$pgdata" ]]; then mv "$pgdata" "$aside"; else aside="none"; fi
  rm -f "${DATA}"/gateway/replica*.checkpoint
  log "restoring PostgreSQL from base backup $(basename "$base") to ${target} (the cluster as it was: ${aside})"
  replay_archive "$base" "recovery_target_time = '$(date -u -d "$target" '+%Y-%m-%d %H:%M:%S.%N+00')'"
  start_proc gateway
  start_proc gateway2
  wait_gateways
  # The restored timeline's first base backup.
  base_backup
  cmd_reconcile 0 "$csv"
}

# replay_archive BASE [TARGET]: the cluster from base backup BASE, its log
# replayed from the archive (up to TARGET, a recovery_target setting; to
# the end of the archive without one), then promoted and running.
replay_archive() {
  local base="$1" target="${2:-}" pgdata="${DATA}/postgres" d
  cp -a "$base" "$pgdata"
  if [[ "$(id -u)" == 0 ]]; then
    # The server's owner must reach its directory: traverse-only rights on the way.
    d="$pgdata"
    while d="$(dirname "$d")" && [[ "$d" != / ]]; do chmod o+x "$d"; done
  fi
  : > "${pgdata}/recovery.signal"
  # An earlier pitr's settings came along in the base backup: only this
  # recovery's own apply.
  sed -i '/^\(restore_command\|recovery_target[a-z_]*\) *=/d' "${pgdata}/postgresql.auto.conf"
  {
    printf "restore_command = 'cp \"%s/wal/%%f\" \"%%p\"'\n" "$(wal_archive)"
    [[ -n "$target" ]] && printf '%s\n' "$target"
    printf "recovery_target_action = 'promote'\n"
  } >> "${pgdata}/postgresql.auto.conf"
  if [[ "$(id -u)" == 0 ]]; then chown -R postgres:postgres "$pgdata"; fi
  chmod 700 "$pgdata"
  local logf="${LOGS}/postgres.log" seen=0 deadline=$((SECONDS + WAIT_SECS))
  [[ -f "$logf" ]] && seen="$(wc -l < "$logf")"
  start_proc postgres
  until pg_promoted; do
    # No transaction after TARGET in the archive (nothing was written
    # since, or the archive ends there): PostgreSQL refuses to stop short
    # of the target, and the archive's end is the state at TARGET.
    if [[ -n "$target" ]] && tail -n "+$((seen + 1))" "$logf" 2> /dev/null | grep -q 'recovery ended before configured recovery target was reached'; then
      log "no transaction in the archive after the target: recovering to the archive's end"
      stop_proc postgres
      rm -rf "$pgdata"
      replay_archive "$base"
      return
    fi
    if ((SECONDS >= deadline)); then
      tail_log postgres
      die "timed out after ${WAIT_SECS}s waiting for PostgreSQL to replay its archived log"
    fi
    sleep 0.3
  done
}

# recover_from_archive: on a new host, the store from the surviving archive:
# the newest base backup and every archived log segment after it. The
# backup's dump is kept aside, unused; the letters after the last archived
# segment are what reconcile lists.
recover_from_archive() {
  local base
  base="$(find "$(wal_archive)/base" -mindepth 1 -maxdepth 1 -type d -name '*Z' | sort | tail -n1)"
  log "recovering PostgreSQL from the log archive $(wal_archive): base backup $(basename "$base") and the log after it"
  mkdir -p "$DATA"
  replay_archive "$base"
  mv "${DEPT_HOME}/postgres.dump" "${DEPT_HOME}/postgres.dump.superseded"
  log "recovered the letters from the log archive (last archived segment $(find "$(wal_archive)/wal" -maxdepth 1 -type f \
    -name '[0-9A-F]*' ! -name '*.*' -printf '%f\n' | sort | tail -n1))"
  rm -f "${DATA}"/gateway/replica*.checkpoint
  base_backup
}

# pg_archived SEGMENT: the archiver has archived SEGMENT (or a later one).
pg_archived() {
  local last
  last="$(pg_sql "select coalesce(last_archived_wal, '') from pg_stat_archiver")"
  [[ -n "$last" && ! "$last" < "$1" ]]
}

# pg_promoted: the server has finished recovery and takes writes.
pg_promoted() { [[ "$(pg_sql "select pg_is_in_recovery()" 2> /dev/null)" == f ]]; }

# ---------------------------------------------------------------- status, stop

procs() { echo gateway gateway2 chaincode peer orderer ca postgres; }

cmd_stop() {
  local p
  for p in $(procs); do stop_proc "$p"; done
}

health_url() {
  case "$1" in
    gateway) echo "http://${IP}:$(gateway_port)/readyz" ;;
    gateway2) echo "http://${IP}:$(gateway2_port)/readyz" ;;
    peer) echo "http://${IP}:$(($(peer_port) + 2))/healthz" ;;
    orderer) echo "http://${IP}:$(($(orderer_port) + 2))/healthz" ;;
    ca) echo "http://127.0.0.1:$(ca_ops_port)/healthz" ;;
  esac
}

cmd_status() {
  local p url health rc=0
  for p in $(procs); do
    url="$(health_url "$p")"
    if running "$p" && alive "$p"; then
      health="-"
      if [[ -n "$url" ]]; then
        if http_ok "$url" > /dev/null 2>&1; then health="healthy"; else health="UNHEALTHY"; rc=1; fi
      elif [[ "$p" == chaincode ]] && port_in_use "$(cc_port)"; then
        health="listening"
      elif [[ "$p" == postgres ]] && port_in_use "$(pg_port)"; then
        health="listening"
      fi
      printf '%-9s %-10s %-8s %-8s %s\n' "$KEY" "$p" "$(child_pid "$p")" "running" "$health"
    elif [[ -f "${RUN}/${p}.pid" ]]; then
      printf '%-9s %-10s %-8s %-8s %s\n' "$KEY" "$p" "-" "DOWN" "-"
      rc=1
    fi
  done
  return "$rc"
}

# cmd_systemd OUTDIR: unit files for a department's real host. systemd
# restarts a crashed process; the environment is what `start` would set.
cmd_systemd() {
  local out="$1" p
  fabric_bin
  chengnuo_bin
  mkdir -p "$out"
  local extra=()
  (($(replicas) > 1)) && extra=(gateway2 postgres)
  for p in ca orderer peer chaincode gateway "${extra[@]}"; do
    cat > "${out}/chengnuo-${KEY}-${p}.service" << UNIT
[Unit]
Description=chengnuo ${NAME} (${MSPID}) ${p}
After=network-online.target
Wants=network-online.target
$([[ "$p" == peer ]] && echo "After=chengnuo-${KEY}-orderer.service")
$([[ "$p" == gateway* ]] && echo "After=chengnuo-${KEY}-peer.service chengnuo-${KEY}-chaincode.service")

[Service]
Type=simple
Environment=DEPT_HOME=${DEPT_HOME}
Environment=CHENGNUO_BASE_PORT=${BASE}
Environment=CHENGNUO_BIN=${BIN}
Environment=FABRIC_BIN=${FABRIC_BIN}
ExecStart=${ROOT}/scripts/dept.sh run ${p}
StandardOutput=append:${LOGS}/${p}.log
StandardError=append:${LOGS}/${p}.log
Restart=always
RestartSec=2
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
UNIT
  done
  # The backup schedule is a setting: CHENGNUO_BACKUP_SCHEDULE (a systemd
  # calendar, default every day at 02:30), CHENGNUO_BACKUP_DIR and
  # CHENGNUO_BACKUP_KEY (the key file, kept apart), CHENGNUO_BACKUP_KEEP.
  if [[ -n "${CHENGNUO_BACKUP_DIR:-}" && -n "${CHENGNUO_BACKUP_KEY:-}" ]]; then
    cat > "${out}/chengnuo-${KEY}-backup.service" << UNIT
[Unit]
Description=chengnuo ${NAME} (${MSPID}) backup
After=chengnuo-${KEY}-gateway.service

[Service]
Type=oneshot
Environment=DEPT_HOME=${DEPT_HOME}
Environment=CHENGNUO_BASE_PORT=${BASE}
Environment=CHENGNUO_BIN=${BIN}
Environment=CHENGNUO_BACKUP_KEEP=${CHENGNUO_BACKUP_KEEP:-14}
ExecStart=${ROOT}/scripts/dept.sh backup ${CHENGNUO_BACKUP_DIR} ${CHENGNUO_BACKUP_KEY}
StandardOutput=append:${LOGS}/backup.log
StandardError=append:${LOGS}/backup.log
UNIT
    cat > "${out}/chengnuo-${KEY}-backup.timer" << UNIT
[Unit]
Description=chengnuo ${NAME} (${MSPID}) backup schedule

[Timer]
OnCalendar=${CHENGNUO_BACKUP_SCHEDULE:-*-*-* 02:30:00}
Persistent=true
RandomizedDelaySec=300

[Install]
WantedBy=timers.target
UNIT
  fi
  log "wrote systemd units to ${out}"
}

# cmd_account_add USERNAME ROLE[,ROLE] [NAME]: a person's workbench account;
# the one-time password is the last line printed. The gateway must run.
cmd_account_add() {
  local user="${1:?account-add USERNAME ROLE[,ROLE] [NAME]}" roles="${2:?account-add USERNAME ROLE[,ROLE] [NAME]}" name="${3:-}"
  chengnuo_bin
  "${BIN}/chengnuo" account-add --ops "http://${IP}:$(gateway_ops_port)" --token-file "${DEPT_HOME}/gateway/operator.token" \
    --name "$name" "$user" "$roles"
}

cmd_backup() {
  local dir="${1:?backup DIR KEYFILE [KEEP]}" key="${2:?backup DIR KEYFILE [KEEP]}" keep="${3:-${CHENGNUO_BACKUP_KEEP:-14}}" extra=()
  chengnuo_bin
  if (($(replicas) > 1)); then
    # The letters are in PostgreSQL (pg_dump); the first replica's read
    # model and event checkpoint are the gateway's snapshot.
    pg_bin
    export PATH="${PG_BIN}:${PATH}" PGPASSFILE="${DEPT_HOME}/postgres/pgpass"
    extra=(--pg-url "postgres://chengnuo@${IP}:$(pg_port)/chengnuo?sslmode=disable"
      --index-path data/gateway/replica1.index --checkpoint-path data/gateway/replica1.checkpoint)
  fi
  "${BIN}/chengnuo" backup create --home "$DEPT_HOME" --ops "http://${IP}:$(gateway_ops_port)" \
    --token-file "${DEPT_HOME}/gateway/operator.token" --key "$key" --out "$dir" --keep "$keep" --name "$KEY" "${extra[@]}"
  # With PostgreSQL, each backup is also a new base for point-in-time restore.
  if (($(replicas) > 1)); then base_backup "$keep"; fi
}

cmd_restore() {
  local file="${1:?restore FILE KEYFILE}" key="${2:?restore FILE KEYFILE}"
  chengnuo_bin
  "${BIN}/chengnuo" backup restore --in "$file" --key "$key" --home "$DEPT_HOME"
  # A second replica starts from the first one's read model and checkpoint.
  if [[ -f "${DEPT_HOME}/data/gateway/replica1.index" ]]; then
    cp "${DEPT_HOME}/data/gateway/replica1.index" "${DEPT_HOME}/data/gateway/replica2.index"
    if [[ -f "${DEPT_HOME}/data/gateway/replica1.checkpoint" ]]; then
      cp "${DEPT_HOME}/data/gateway/replica1.checkpoint" "${DEPT_HOME}/data/gateway/replica2.checkpoint"
    fi
  fi
}

# restore_postgres: a PostgreSQL store's dump from a restored backup goes
# into the fresh cluster's empty database before any gateway starts.
restore_postgres() {
  local dump="${DEPT_HOME}/postgres.dump"
  [[ -f "$dump" ]] || return 0
  PGPASSFILE="${DEPT_HOME}/postgres/pgpass" "${PG_BIN}/pg_restore" -h "$IP" -p "$(pg_port)" -U chengnuo -d chengnuo \
    --no-owner --exit-on-error "$dump" > "${LOGS}/pg-restore.log" 2>&1 || { tail -n 20 "${LOGS}/pg-restore.log" >&2; die "pg_restore failed"; }
  mv "$dump" "${dump}.restored"
  log "restored the letters into PostgreSQL"
}

cmd_reconcile() {
  local height="${1:-0}"
  chengnuo_bin
  "${BIN}/chengnuo" backup reconcile --ops "http://${IP}:$(gateway_ops_port)" \
    --token-file "${DEPT_HOME}/gateway/operator.token" --height "$height" ${2:+--csv "$2"}
}

cmd_peer_env() {
  local kv
  fabric_bin
  # shellcheck disable=SC2016 # $PATH is for the shell that evaluates this
  printf 'export PATH="%s:$PATH"\n' "$FABRIC_BIN"
  for kv in "${ADMIN_ENV[@]}"; do printf 'export %s="%s"\n' "${kv%%=*}" "${kv#*=}"; done
  cat << EOF
export ORDERER_ADDRESS="${IP}:$(orderer_port)"
export ORDERER_TLS_CA="${DEPT_HOME}/msp/tlscacerts/ca.pem"
EOF
}

if [[ -n "${MSPID:-}" ]]; then admin_env; fi
cmd="${1:-}"
shift || true
case "$cmd" in
  init) cmd_init "$@" ;;
  definition) cmd_definition ;;
  start-nodes) cmd_start_nodes ;;
  join-orderer) cmd_join_orderer "$@" ;;
  wait-orderer) cmd_wait_orderer ;;
  height) cmd_height ;;
  wait-peer) cmd_wait_peer "$@" ;;
  join-peer) cmd_join_peer "$@" ;;
  package-cc) cmd_package_cc ;;
  install-cc) cmd_install_cc "$@" ;;
  start-cc) cmd_start_cc "$@" ;;
  approve-cc) cmd_approve_cc "$@" ;;
  commit-cc) cmd_commit_cc "$@" ;;
  committed) cmd_committed ;;
  fetch-config) cmd_fetch_config "$@" ;;
  sign-update) cmd_sign_update "$@" ;;
  describe-update) cmd_describe_update "$@" ;;
  secret-fingerprint) cmd_secret_fingerprint ;;
  account-add) cmd_account_add "$@" ;;
  backup) cmd_backup "$@" ;;
  pitr) cmd_pitr "$@" ;;
  wal-archive) cmd_wal_archive "$@" ;;
  restore) cmd_restore "$@" ;;
  reconcile) cmd_reconcile "$@" ;;
  submit-update) cmd_submit_update "$@" ;;
  new-secret) cmd_new_secret ;;
  seal-secret) cmd_seal_secret "$@" ;;
  open-secret) cmd_open_secret "$@" ;;
  start-gateway) cmd_start_gateway "$@" ;;
  stop) cmd_stop ;;
  stop-proc) stop_proc "$1" ;;
  status) cmd_status ;;
  systemd) cmd_systemd "$@" ;;
  peer-env) cmd_peer_env ;;
  run) cmd_run "$1" ;;
  genesis) cmd_genesis "$@" ;;
  import) cmd_import "$@" ;;
  wait-discovery) cmd_wait_discovery "$@" ;;
  propose-join) cmd_propose_join "$@" ;;
  propose-leave) cmd_propose_leave "$@" ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2
    exit 2
    ;;
esac
