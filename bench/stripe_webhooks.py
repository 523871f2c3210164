"""Benchmark (not a test): how fast `POST /webhooks/stripe` answers Stripe, and whether /healthz stays
fast while webhooks pour in. Stripe gives up on an endpoint that answers slowly, so the request only
checks the signature and stores the event with its outbox task; the work is the worker's.

A real server (`ladeportal serve`, the worker switched off so only the request path is measured) on a
fresh database; signed `account.updated` events (each a new id, one in ten a repeat of an earlier
one) are posted by `--concurrency` clients while one client polls /healthz. Figures of the same run:
/healthz alone, then /healthz and the webhooks together.

    PYTHONPATH=. .venv/bin/python bench/stripe_webhooks.py                       # SQLite in a temp dir
    PYTHONPATH=. .venv/bin/python bench/stripe_webhooks.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/lp_bench_webhooks

A PostgreSQL database named by --database-url is dropped and created afresh.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

SECRET = "whsec_bench_connect"  # noqa: S105 - a signing secret made up for this run
PLATFORM_SECRET = "whsec_bench_platform"  # noqa: S105
ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _signed(event_id: str, account: str) -> tuple[bytes, dict[str, str]]:
    event = {
        "id": event_id,
        "object": "event",
        "type": "account.updated",
        "account": account,
        "api_version": "2026-10-28",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": {"id": account, "object": "account", "charges_enabled": False}},
    }
    body = json.dumps(event).encode()
    stamp = int(time.time())
    digest = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={stamp},v1={digest}", "Content-Type": "application/json"}


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


async def _healthz(client: httpx.AsyncClient, stop: asyncio.Event, samples: list[float], limit: int) -> None:
    while not stop.is_set() and len(samples) < limit:
        began = time.perf_counter()
        response = await client.get("/healthz")
        samples.append(time.perf_counter() - began)
        response.raise_for_status()
        await asyncio.sleep(0.01)


async def _poster(client: httpx.AsyncClient, queue: asyncio.Queue[str], seen: list[str], times: list[float]) -> None:
    account = f"acct_bench{uuid.uuid4().hex[:14]}"
    while True:
        try:
            event_id = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        body, headers = _signed(event_id, account)
        began = time.perf_counter()
        response = await client.post("/webhooks/stripe", content=body, headers=headers)
        times.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise SystemExit(f"webhook answered {response.status_code}: {response.text[:200]}")
        seen.append(event_id)


async def _measure(base: str, events: int, concurrency: int) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        idle: list[float] = []
        await _healthz(client, asyncio.Event(), idle, 200)

        ids = [f"evt_bench{n:012d}" for n in range(events)]
        queue: asyncio.Queue[str] = asyncio.Queue()
        for n, event_id in enumerate(ids):
            queue.put_nowait(ids[n - 7] if n % 10 == 9 else event_id)  # one in ten is a repeat
        seen: list[str] = []
        times: list[float] = []
        busy: list[float] = []
        stop = asyncio.Event()
        began = time.perf_counter()
        probe = asyncio.create_task(_healthz(client, stop, busy, 10**9))
        await asyncio.gather(*(_poster(client, queue, seen, times) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
        stop.set()
        await probe
    idle_p50, idle_p95 = _percentiles(idle)
    busy_p50, busy_p95 = _percentiles(busy)
    hook_p50, hook_p95 = _percentiles(times)
    return {
        "webhooks": len(times),
        "webhooks_per_s": round(len(times) / elapsed),
        "webhook_p50_ms": round(hook_p50, 1),
        "webhook_p95_ms": round(hook_p95, 1),
        "healthz_idle_p50_ms": round(idle_p50, 2),
        "healthz_idle_p95_ms": round(idle_p95, 2),
        "healthz_busy_p50_ms": round(busy_p50, 2),
        "healthz_busy_p95_ms": round(busy_p95, 2),
        "healthz_p95_ratio": round(busy_p95 / idle_p95, 1),
    }


def _fresh_postgres(url: str) -> None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    name = parsed.database
    subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=True)
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        if url.startswith("postgresql"):
            _fresh_postgres(url)
        port = _free_port()
        env = {
            **os.environ,
            "LADEPORTAL_DATABASE_URL": url,
            "LADEPORTAL_PORT": str(port),
            "LADEPORTAL_RUN_WORKER_IN_PROCESS": "false",
            "LADEPORTAL_STRIPE_WEBHOOK_SECRET": PLATFORM_SECRET,
            "LADEPORTAL_STRIPE_CONNECT_WEBHOOK_SECRET": SECRET,
            "LADEPORTAL_LOG_LEVEL": "WARNING",
        }
        subprocess.run([str(BIN / "ladeportal"), "db", "upgrade"], env=env, check=True, capture_output=True)
        server = subprocess.Popen([str(BIN / "ladeportal"), "serve", "--no-migrate"], env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(120):
                try:
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
            result = asyncio.run(_measure(base, args.events, args.concurrency))
        finally:
            server.terminate()
            server.wait(timeout=30)
    result["database"] = "postgresql" if url.startswith("postgresql") else "sqlite"
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
