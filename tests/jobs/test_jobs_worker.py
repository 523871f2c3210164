"""The worker: tasks run concurrently with a limit per kind, login codes first, and a stopping worker
hands back what it could not finish so another worker takes it at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from ladeportal.db.engine import Database
from ladeportal.jobs import outbox
from ladeportal.jobs.models import OutboxTask, TaskState
from ladeportal.jobs.worker import KIND_CONCURRENCY, run_worker
from ladeportal.members.local_list import SYNC_TASK
from ladeportal.messaging.queue import SMS_TASK

# Failsafe only: generous for a loaded 2-core machine.
WITHIN = 20.0


class Slow:
    """A handler that runs until released, counting how many of its tasks run at once."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.running = 0
        self.most = 0
        self.started = 0

    async def __call__(self, db: Database, payload: dict[str, Any], ctx: outbox.TaskContext) -> None:
        self.running += 1
        self.started += 1
        self.most = max(self.most, self.running)
        try:
            await self.release.wait()
        finally:
            self.running -= 1


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> tuple[Slow, list[dict[str, Any]]]:
    import ladeportal.jobs.registry  # noqa: F401  (the worker imports it too; patch after it registered)

    slow, sent = Slow(), []

    async def send(db: Database, payload: dict[str, Any], ctx: outbox.TaskContext) -> None:
        sent.append(payload)

    monkeypatch.setitem(outbox._HANDLERS, SYNC_TASK, slow)
    monkeypatch.setitem(outbox._HANDLERS, SMS_TASK, send)
    return slow, sent


async def _enqueue(db: Database, kind: str, n: int = 1) -> None:
    async with db.session() as s:
        for i in range(n):
            await outbox.enqueue(s, kind, {"i": i})
        await s.commit()


@pytest.fixture
async def worker(db: Database) -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(db, stop, poll_seconds=0.05))
    yield stop
    stop.set()
    async with asyncio.timeout(WITHIN):
        await task


async def _until(condition: Any) -> None:
    async with asyncio.timeout(WITHIN):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_a_login_code_is_claimed_before_older_work_of_other_kinds(db: Database) -> None:
    await _enqueue(db, SYNC_TASK, 5)
    await _enqueue(db, SMS_TASK)
    [first] = await outbox.claim(db, "w", limit=1)
    assert first.kind == SMS_TASK


async def test_a_login_code_goes_out_while_list_syncs_wait_for_chargers(
    db: Database, handlers: tuple[Slow, list[dict[str, Any]]], worker: asyncio.Event
) -> None:
    slow, sent = handlers
    await _enqueue(db, SYNC_TASK, 4)
    await _until(lambda: slow.running == KIND_CONCURRENCY[SYNC_TASK])
    await _enqueue(db, SMS_TASK)
    await _until(lambda: sent)
    # The syncs were still running all along, never more of them at once than their kind's limit.
    assert slow.running == KIND_CONCURRENCY[SYNC_TASK] == slow.most
    slow.release.set()
    await _until(lambda: slow.started == 4 and slow.running == 0)


async def test_a_stopping_worker_hands_back_unfinished_tasks(
    db: Database, handlers: tuple[Slow, list[dict[str, Any]]]
) -> None:
    slow, _ = handlers
    await _enqueue(db, SYNC_TASK)
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(db, stop, poll_seconds=0.05))
    await _until(lambda: slow.running == 1)
    stop.set()
    async with asyncio.timeout(WITHIN):
        await task
    async with db.session() as s:
        row = (await s.scalars(select(OutboxTask))).one()
    assert (row.state, row.claimed_by, row.lease_until, row.attempts) == (TaskState.pending, None, None, 0)
    # Another worker takes it at once, not after the lease.
    [again] = await outbox.claim(db, "other-worker")
    assert again.id == row.id
