#!/usr/bin/env bash
# `make run`: migrate, load the demo, start the Stripe stand-in, serve on LADEPORTAL_HOST:LADEPORTAL_PORT
# (default http://127.0.0.1:8000) and connect simulated chargers.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export LADEPORTAL_DATABASE_URL="${LADEPORTAL_DATABASE_URL:-sqlite+aiosqlite:///var/ladeportal.db}"
# Exported, so the server, its public URL (unless LADEPORTAL_PUBLIC_URL is set) and this script agree.
export LADEPORTAL_HOST="${LADEPORTAL_HOST:-127.0.0.1}"
export LADEPORTAL_PORT="${LADEPORTAL_PORT:-8000}"
mkdir -p var

# Payments in the demo: the server talks to the Stripe stand-in (a local server that speaks Stripe's
# API), never to Stripe. Its test key and the two webhook signing secrets are shared with the server here.
# With a Stripe key of your own in the environment, the demo uses it (and Stripe) instead.
STANDIN_PORT="${LADEPORTAL_STRIPE_STANDIN_PORT:-12111}"
USE_STANDIN=no
if [ -z "${LADEPORTAL_STRIPE_API_KEY:-}" ]; then
    USE_STANDIN=yes
    export LADEPORTAL_STRIPE_API_KEY="sk_test_ladeportal_demo"
    export LADEPORTAL_STRIPE_API_BASE="http://127.0.0.1:$STANDIN_PORT"
    export LADEPORTAL_STRIPE_WEBHOOK_SECRET="whsec_ladeportal_demo_platform"
    export LADEPORTAL_STRIPE_CONNECT_WEBHOOK_SECRET="whsec_ladeportal_demo_connect"
fi

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

# Started first so the server's first Stripe call finds it; events go to the server's webhook endpoint
# (retried by the stand-in until the server answers). Verification of submitted details takes ~3 s.
if [ "$USE_STANDIN" = yes ]; then
    "$BIN/ladeportal" stripe-standin --host 127.0.0.1 --port "$STANDIN_PORT" \
        --webhook-url "$LOCAL_URL/webhooks/stripe" \
        --platform-webhook-secret "$LADEPORTAL_STRIPE_WEBHOOK_SECRET" \
        --connect-webhook-secret "$LADEPORTAL_STRIPE_CONNECT_WEBHOOK_SECRET" \
        --verify-delay 3 --state-file var/stripe-standin.json &
    standin_pid=$!
    pids+=("$standin_pid")
    standin_up=no
    for _ in $(seq 1 60); do
        kill -0 "$standin_pid" 2>/dev/null || break  # it stopped (it says why)
        if "$BIN/python" -c "import httpx,sys; sys.exit(httpx.get('$LADEPORTAL_STRIPE_API_BASE/_standin/events', timeout=2).status_code != 200)" 2>/dev/null; then
            standin_up=yes
            break
        fi
        sleep 0.5
    done
    if [ "$standin_up" != yes ]; then
        echo "The Stripe stand-in did not start on port $STANDIN_PORT; choose another with LADEPORTAL_STRIPE_STANDIN_PORT." >&2
        exit 1
    fi
fi

# The demo cooperative ready to invoice: registered and onboarded at the stand-in (as the portal's
# Payments page and the stand-in's form would), and last month's invoice run open for approval.
"$BIN/python" -c 'from ladeportal.demo import main_invoicing; main_invoicing()' \
    $([ "$USE_STANDIN" = yes ] && echo "$LADEPORTAL_STRIPE_API_BASE") ||
    echo "The demo's invoicing was not prepared (see above); the rest of the demo runs." >&2

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
  Payments: $( [ "$USE_STANDIN" = yes ] && echo "a Stripe stand-in runs at $LADEPORTAL_STRIPE_API_BASE (state in var/stripe-standin.json);
  the cooperative is registered there, with no real Stripe account involved." || echo "Stripe, with the key from LADEPORTAL_STRIPE_API_KEY." )
  Invoicing: last month's invoice run waits for approval; log in as finance (+47 91 00 00 02) to preview
  and approve it. Each resident's SMS (in this log) carries the link to the invoice's payment page.
  Stop with Ctrl-C.

MSG
wait -n "${pids[@]}"
