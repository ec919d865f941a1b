#!/usr/bin/env bash
# supervise.sh RUNDIR NAME CMD [ARGS...] runs CMD and restarts it whenever it
# exits, with a backoff from 1 s to 30 s (reset after 60 s of good health),
# until it is told to stop: SIGTERM (or RUNDIR/NAME.stop) stops CMD — TERM,
# then KILL after 10 s — and the supervisor. The child's pid is kept in
# RUNDIR/NAME.child, each start is logged to stderr.
set -uo pipefail
run_dir="$1" name="$2"
shift 2
child=""
stopping=false

stop() {
  stopping=true
  if [[ -n "$child" ]] && kill -0 "$child" 2> /dev/null; then
    kill -TERM "$child" 2> /dev/null
    for _ in $(seq 1 50); do
      kill -0 "$child" 2> /dev/null || break
      sleep 0.2
    done
    kill -KILL "$child" 2> /dev/null
  fi
  rm -f "${run_dir}/${name}.child"
  exit 0
}
trap stop TERM INT

backoff=1
while true; do
  started=$SECONDS
  "$@" &
  child=$!
  printf '%s' "$child" > "${run_dir}/${name}.child"
  printf '[supervise] %s started (pid %s)\n' "$name" "$child" >&2
  wait "$child"
  rc=$?
  $stopping && exit 0
  [[ -f "${run_dir}/${name}.stop" ]] && exit 0
  printf '[supervise] %s exited (status %s); restarting in %ss\n' "$name" "$rc" "$backoff" >&2
  if ((SECONDS - started > 60)); then backoff=1; fi
  sleep "$backoff" &
  wait $!
  backoff=$((backoff * 2 > 30 ? 30 : backoff * 2))
done
