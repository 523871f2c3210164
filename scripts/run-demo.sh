#!/usr/bin/env bash
# `make run`: migrate, load the demo, serve on LADEPORTAL_HOST:LADEPORTAL_PORT (default
# http://127.0.0.1:8000) and connect simulated chargers.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export LADEPORTAL_DATABASE_URL="${LADEPORTAL_DATABASE_URL:-sqlite+aiosqlite:///var/ladeportal.db}"
# Exported, so the server, its public URL (unless LADEPORTAL_PUBLIC_URL is set) and this script agree.
export LADEPORTAL_HOST="${LADEPORTAL_HOST:-127.0.0.1}"
export LADEPORTAL_PORT="${LADEPORTAL_PORT:-8000}"
mkdir -p var

"$BIN/ladeportal" db upgrade
"$BIN/ladeportal" demo --credentials-file var/demo-chargers.json

# Where this machine reaches the server (loopback when it listens on every interface), and the address
# it gives people and chargers; both from the settings, so nothing here guesses differently.
urls=$("$BIN/python" -c 'from ladeportal.settings import get_settings, local_url
s = get_settings()
print(local_url(s.host, s.port), s.public_url)')
read -r LOCAL_URL PUBLIC_URL <<<"$urls"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$BIN/ladeportal" serve --no-migrate &
pids+=($!)

for _ in $(seq 1 60); do
    if "$BIN/python" -c "import httpx,sys; sys.exit(httpx.get('$LOCAL_URL/readyz').status_code != 200)" 2>/dev/null; then
        break
    fi
    sleep 0.5
done

"$BIN/ladeportal" simulate --url "ws://${LOCAL_URL#http://}/ocpp" --credentials var/demo-chargers.json \
    --tags "$(cat var/demo-chargers.tags)" --scenario demo --seed 1 &
pids+=($!)

cat <<MSG

  Ladeportal is running at $PUBLIC_URL
  Log in with +47 91 00 00 01 (board admin); the one-time code appears in this log.
  Simulated chargers DEMO-A1..A3 and DEMO-B1..B2 are connected over OCPP 1.6.
  Stop with Ctrl-C.

MSG
wait -n "${pids[@]}"
