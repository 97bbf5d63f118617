#!/usr/bin/env bash
# Smoke test of `cablecare dev` (what `make run` starts), as a newcomer would use it:
# the Web UI answers HTTP 200, a worker polls task queue `cable-service`, and Ctrl-C (SIGINT)
# stops everything with exit code 0 within 30 s, leaving nothing listening.
# State goes to a temporary var/ so that the repository's own var/ is left alone.
#   scripts/smoke_dev.sh              # ports 7233 / 8233, as `make run`
#   SMOKE_PORT=17233 SMOKE_UI_PORT=18233 scripts/smoke_dev.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${SMOKE_PORT:-7233}
UI_PORT=${SMOKE_UI_PORT:-8233}
BIN=.venv/bin
work=$(mktemp -d)
export CABLECARE_VAR_DIR=$work/var
export DATABASE_URL=sqlite:///$work/var/cablecare.db
out=$work/dev.out
pid=

say() { echo "smoke: $*" >&2; }
fail() {
  say "FAILED: $*"
  say "--- cablecare dev output ---"
  tail -n 60 "$out" >&2 || true
  say "--- temporal server log ---"
  tail -n 30 "$CABLECARE_VAR_DIR/temporal-server.log" >&2 || true
  exit 1
}
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    sleep 5
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

elapsed() { awk -v s="$started" -v n="$EPOCHREALTIME" 'BEGIN { printf "%.1f", n - s }'; }
http_ok() {
  "$BIN/python" -c 'import sys, urllib.request
try:
    sys.exit(urllib.request.urlopen(sys.argv[1], timeout=2).status != 200)
except OSError:
    sys.exit(1)' "$1"
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for p in "$PORT" "$UI_PORT"; do
  if listening "$p"; then fail "port $p is already in use"; fi
done

started=$EPOCHREALTIME
"$BIN/cablecare" dev --port "$PORT" --ui-port "$UI_PORT" >"$out" 2>&1 &
pid=$!

# 1. The Web UI answers HTTP 200.
ok=
for _ in $(seq 1 240); do
  kill -0 "$pid" 2>/dev/null || fail "cablecare dev exited early"
  if http_ok "http://127.0.0.1:$UI_PORT/"; then
    ok=1
    break
  fi
  sleep 0.25
done
[[ -n $ok ]] || fail "the Web UI did not answer HTTP 200 on port $UI_PORT within 60 s"
say "Web UI answers HTTP 200 on :$UI_PORT after $(elapsed) s"

# 2. A worker polls task queue cable-service. --legacy-mode: the default (enhanced) describe
# answers from a cache that lags about 5 s behind (measured); the legacy one is current.
ok=
for _ in $(seq 1 120); do
  kill -0 "$pid" 2>/dev/null || fail "cablecare dev exited early"
  if "$BIN/temporal" task-queue describe --address "127.0.0.1:$PORT" \
    --task-queue cable-service --legacy-mode -o json 2>/dev/null |
    "$BIN/python" -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["pollers"] else 1)'; then
    ok=1
    break
  fi
  sleep 0.5
done
[[ -n $ok ]] || fail "no worker polls task queue cable-service within 60 s"
say "a worker polls cable-service after $(elapsed) s"
grep -q "http://localhost:$UI_PORT" "$out" || fail "the UI address is not printed"

# 2b. The Temporal Schedules of the scheduled duties are applied (issue 4).
schedules=$("$BIN/temporal" schedule list --address "127.0.0.1:$PORT" -o json 2>/dev/null |
  "$BIN/python" -c 'import json, sys; print(len(json.load(sys.stdin) or []))')
((schedules >= 4)) || fail "expected the 4 duty Schedules, found $schedules"
say "$schedules Schedules applied"

# 3. Ctrl-C: exit code 0 within 30 s, nothing left listening.
kill -INT "$pid"
stopping=$(date +%s)
while kill -0 "$pid" 2>/dev/null; do
  (($(date +%s) - stopping < 30)) || fail "cablecare dev still running 30 s after SIGINT"
  sleep 0.2
done
set +e
wait "$pid"
code=$?
set -e
pid=
((code == 0)) || fail "cablecare dev exited with code $code after SIGINT"
for p in "$PORT" "$UI_PORT"; do
  if listening "$p"; then fail "port $p is still listening after the stop"; fi
done
say "stopped cleanly (exit 0) in $(($(date +%s) - stopping)) s; ports $PORT and $UI_PORT are free"
say "OK"
