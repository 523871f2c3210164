"""SIGTERM on real processes: `serve`, `gateway` and `worker` stop within 10 s, close charger sockets with
1012 (service restart, which chargers retry) and hand back the outbox task they were running."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from websockets.exceptions import ConnectionClosed

from ladeportal.db.engine import Database
from ladeportal.jobs.models import OutboxTask, TaskState
from ladeportal.messaging.queue import queue_sms
from tests.ocpp.conftest import World, charger

pytestmark = pytest.mark.slow

# The bound the task sets for a SIGTERM'd process (the usual grace before SIGKILL).
SHUTDOWN_BOUND_SECONDS = 10.0
# Failsafe for start-up on a loaded machine; not an expectation.
START_WITHIN = 90.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def _silent_sms_provider() -> AsyncIterator[str]:
    """An SMS provider that accepts the request and never answers: a task stuck mid-send."""

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            await reader.read(-1)
        writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/sms"
    finally:
        server.close()


async def _start(args: list[str], database_url: str, tmp_path: Path, **env: str) -> asyncio.subprocess.Process:
    environment = {
        **os.environ,
        "LADEPORTAL_DATABASE_URL": database_url,
        "LADEPORTAL_LOG_FORMAT": "json",
        "LADEPORTAL_WORKER_POLL_SECONDS": "0.1",
        **env,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ladeportal.cli.main",
        *args,
        env=environment,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _terminate(process: asyncio.subprocess.Process) -> tuple[float, str]:
    """SIGTERM; returns the seconds until the process exited and its log."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(SHUTDOWN_BOUND_SECONDS * 3):
            _, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
    return time.monotonic() - started, stderr.decode()


async def _claimed(db: Database, task_id: int) -> None:
    async with asyncio.timeout(START_WITHIN):
        while True:
            async with db.session() as s:
                state = await s.scalar(select(OutboxTask.state).where(OutboxTask.id == task_id))
            if state == TaskState.running:
                return
            await asyncio.sleep(0.1)


async def _queue_login_code(db: Database) -> int:
    async with db.session() as s:
        await queue_sms(
            s, "+4791234567", "Your code: 123456", purpose="login_code", dedupe_key="shutdown-test-login-code"
        )
        await s.commit()
        task_id = await s.scalar(select(OutboxTask.id).where(OutboxTask.dedupe_key == "shutdown-test-login-code"))
    assert task_id is not None
    return int(task_id)


async def _task(db: Database, task_id: int) -> OutboxTask:
    async with db.session() as s:
        task = await s.get(OutboxTask, task_id)
    assert task is not None
    return task


# uvicorn re-raises the signal once it has shut down cleanly, so `serve` may end "killed by SIGTERM".
CLEAN_EXIT = (0, -signal.SIGTERM)


def _errors(log: str) -> list[str]:
    lines = []
    for line in log.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if str(entry.get("level", "")).lower() in ("error", "critical"):
            lines.append(line)
    return lines


async def _close_code_after_sigterm(
    url: str,
    world: World,
    process: asyncio.subprocess.Process,
) -> tuple[int | None, float, str]:
    """Connect a charger (retrying while the server starts), SIGTERM the server, return the close code."""
    async with asyncio.timeout(START_WITHIN):
        while True:
            assert process.returncode is None, "the server exited before it served"
            try:
                async with charger(url, world.cp_id, world.password) as c:
                    assert (await c.ok("Heartbeat", {}))["currentTime"]
                    terminating = asyncio.create_task(_terminate(process))
                    with pytest.raises(ConnectionClosed) as closed:
                        async with asyncio.timeout(SHUTDOWN_BOUND_SECONDS * 3):
                            # The server may still send a call (a local list catching up) before it closes.
                            while True:
                                await c.ws.recv()
                    elapsed, log = await terminating
                    return (closed.value.rcvd.code if closed.value.rcvd else None), elapsed, log
            except OSError:
                await asyncio.sleep(0.2)


async def test_serve_stops_on_sigterm_closes_chargers_with_1012_and_hands_back_its_task(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    port = _free_port()
    task_id = await _queue_login_code(db)
    async with _silent_sms_provider() as sms_url:
        process = await _start(
            ["serve", "--no-migrate", "--port", str(port)],
            database_url,
            tmp_path,
            LADEPORTAL_RUN_WORKER_IN_PROCESS="true",
            LADEPORTAL_SMS_PROVIDER="http",
            LADEPORTAL_SMS_API_URL=sms_url,
            LADEPORTAL_SMS_API_TOKEN="user:secret",
        )
        await _claimed(db, task_id)
        # A refused handshake on the way: routine, so never logged as an error.
        from websockets.exceptions import InvalidStatus

        with pytest.raises(InvalidStatus):
            async with charger(f"ws://127.0.0.1:{port}/ocpp", world.cp_id, "wrong-password-0000"):
                pass
        code, elapsed, log = await _close_code_after_sigterm(f"ws://127.0.0.1:{port}/ocpp", world, process)
    assert code == 1012
    assert elapsed < SHUTDOWN_BOUND_SECONDS, log
    assert process.returncode in CLEAN_EXIT, log
    assert _errors(log) == []
    task = await _task(db, task_id)
    assert (task.state, task.claimed_by, task.attempts) == (TaskState.pending, None, 0)


async def test_gateway_stops_on_sigterm_and_closes_chargers_with_1012(
    database_url: str, world: World, tmp_path: Path
) -> None:
    port = _free_port()
    process = await _start(
        ["gateway", "--no-migrate", "--host", "127.0.0.1", "--port", str(port)], database_url, tmp_path
    )
    code, elapsed, log = await _close_code_after_sigterm(f"ws://127.0.0.1:{port}/ocpp", world, process)
    assert code == 1012
    assert elapsed < SHUTDOWN_BOUND_SECONDS, log
    assert process.returncode == 0, log


async def test_worker_stops_on_sigterm_and_hands_back_the_task_it_was_running(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    task_id = await _queue_login_code(db)
    async with _silent_sms_provider() as sms_url:
        process = await _start(
            ["worker"],
            database_url,
            tmp_path,
            LADEPORTAL_SMS_PROVIDER="http",
            LADEPORTAL_SMS_API_URL=sms_url,
            LADEPORTAL_SMS_API_TOKEN="user:secret",
        )
        await _claimed(db, task_id)
        elapsed, log = await _terminate(process)
    assert elapsed < SHUTDOWN_BOUND_SECONDS, log
    assert process.returncode == 0, log
    task = await _task(db, task_id)
    assert (task.state, task.claimed_by, task.lease_until, task.attempts) == (TaskState.pending, None, None, 0)
