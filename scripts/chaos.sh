#!/usr/bin/env bash
# chaos.sh runs the fault scenarios of the integration tests ten times
# longer than `make test` does (600 letters from 40 clients each, with
# CHENGNUO_CHAOS=1) on a throwaway network of their own (base port
# CHENGNUO_CHAOS_BASE_PORT, default 57000) and prints one table: the fault,
# the letters, the HTTP requests made (client retries included), how many
# of them the client saw fail, letters answered 202 (stored, anchored in the
# background), letters lost, letters anchored twice, and the seconds from
# the fault until the part was back and a new letter anchored. The
# disk-full and power-cut scenarios add their rows.
# A lost or doubled letter, or a client left without an answer, fails the run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
command -v jq > /dev/null || { echo "jq is required (apt-get install jq)" >&2; exit 1; }
scripts/fabric-bin.sh > /dev/null
table="$(mktemp -t chengnuo-chaos-XXXXXX.jsonl)"
log="${TMPDIR:-/tmp}/chengnuo-chaos.log"
trap 'rm -f "$table"' EXIT
rc=0
CHENGNUO_CHAOS=1 CHENGNUO_CHAOS_TABLE="$table" CHENGNUO_E2E_BASE_PORT="${CHENGNUO_CHAOS_BASE_PORT:-57000}" \
  go test -count=1 -timeout 80m -v \
  -run '^(TestGatewayKilledMidStream|TestReplicaKilledOtherCarriesOn|TestOrdererKilledUnderStream|TestPeerKilledUnderStream|TestChaincodeServerKilledUnderStream|TestStoreDiskFull|TestRestartAfterHostsKilled)$' \
  ./integration/ 2>&1 | tee "$log" | grep -E '^(--- |FAIL|ok |PASS)|fault row|integration:' || rc=$?
if ((rc != 0)); then
  echo "--- what failed (the whole output: ${log})"
  grep -v '^=== ' "$log" | grep -B1 -A15 -E '^\s*--- FAIL' | head -80
fi
echo
{
  printf 'fault\tletters\trequests\tfailures\taccepted 202\tlost\tdoubled\trecover (s)\n'
  jq -r '[.fault, .letters, .requests, "\(.failures) (\(if .requests > 0 then (.failures * 1000 / .requests | floor) / 10 else 0 end) %)", .accepted202, .lost, .doubled, (.recoverSeconds * 10 | round / 10)] | @tsv' "$table"
} | column -t -s $'\t'
exit "$rc"
