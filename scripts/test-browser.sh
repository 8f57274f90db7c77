#!/usr/bin/env bash
# End-to-end tests of the web cabinet in headless Chromium.
#
# Installs what is missing (Debian's chromium, playwright-core from npm), builds the server,
# starts it on a temporary SQLite database and a free loopback port with partners and an
# operator created through the CLI, runs tests/browser with node's test runner, and stops it.
# Screenshots of every page land in artifacts/screenshots/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium >/dev/null
fi

if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/axe-core ]; then
  echo "== installing playwright-core and axe-core"
  (cd tests/browser && { npm ci --no-audit --no-fund || npm install --no-audit --no-fund; })
fi

if [ "${E2E_SKIP_BUILD:-0}" != 1 ]; then
  echo "== building simo-backend"
  cargo build --quiet --workspace --all-targets  # same feature set as cargo test: no rebuild
fi
BIN="$ROOT/target/debug/simo-backend"

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
export SIMO_DATABASE_URL="sqlite://$WORK/simo.db?mode=rwc"
export SIMO_LISTEN="127.0.0.1:$PORT"
export SIMO_PUBLIC_URL="http://127.0.0.1:$PORT"
export SIMO_SMS_PROVIDER=log
export SIMO_LOG="info,sqlx=warn"
# The scenarios' webhook receiver listens on loopback; look for its events often.
export SIMO_WEBHOOK_ALLOW_PRIVATE=true
export SIMO_WEBHOOK_POLL_MS=100

echo "== creating partners and an operator with the CLI"
"$BIN" partner create --inn 7707083893 --name "ООО Весна" --full-name "Общество с ограниченной ответственностью «Весна»" \
  --password "vesna-password" > "$WORK/partner-a.json"
"$BIN" partner create --inn 7736207543 --name "ООО Лето" --full-name "Общество с ограниченной ответственностью «Лето»" \
  --password "leto-password" > "$WORK/partner-b.json"
"$BIN" operator create --login ops --password "operator-password" > /dev/null

echo "== starting the server on port $PORT"
"$BIN" serve > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  if curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/server.log"; exit 1; fi
  sleep 0.1
done

mkdir -p artifacts/screenshots
export E2E_BASE="http://127.0.0.1:$PORT"
export E2E_SERVER_LOG="$WORK/server.log"
export E2E_PARTNER_A="$WORK/partner-a.json"
export E2E_PARTNER_B="$WORK/partner-b.json"
export E2E_SCREENSHOTS="$ROOT/artifacts/screenshots"

echo "== running the browser scenarios"
status=0
(cd tests/browser && node --test --test-concurrency=1 cabinet.test.mjs) || status=$?
if [ "$status" -ne 0 ]; then
  echo "== server log (last 40 lines)"
  tail -n 40 "$WORK/server.log"
fi
exit "$status"
