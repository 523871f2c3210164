"""The outbox: enqueue side effects inside a domain transaction, claim and run them in a worker.

Claiming is a compare-and-set UPDATE (state and lease checked in the WHERE clause), so when several
processes poll the same table each task is claimed by exactly one of them, on SQLite and PostgreSQL
alike, without a broker. A worker that dies mid-task leaves a lease that expires; the task is then
claimed again (at-least-once), so handlers must be idempotent (they use the task id as their key).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.jobs.models import OutboxTask, TaskState

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
Handler = Callable[[Database, dict[str, Any], "TaskContext"], Awaitable[None]]
_HANDLERS: dict[str, Handler] = {}


@dataclass(frozen=True)
class TaskContext:
    task_id: int
    attempt: int


class PermanentFailure(Exception):
    """Raised by a handler when retrying cannot help (e.g. the recipient no longer exists)."""


def task_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    run_after: datetime | None = None,
    max_attempts: int = 8,
) -> None:
    """Add a task to the caller's transaction; it becomes visible to workers when that commits."""
    values = {
        "kind": kind,
        "payload": payload,
        "dedupe_key": dedupe_key,
        "run_after": run_after or utcnow(),
        "max_attempts": max_attempts,
        "state": TaskState.pending,
        "attempts": 0,
        "created_at": utcnow(),
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(OutboxTask).values(**values)
    if dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    await session.execute(stmt)


def backoff(attempt: int) -> timedelta:
    """10 s, 20 s, 40 s ... capped at one hour."""
    return timedelta(seconds=min(3600, 10 * 2 ** max(0, attempt - 1)))


async def claim(db: Database, worker_id: str, limit: int = 10) -> list[OutboxTask]:
    now = utcnow()
    claimed: list[OutboxTask] = []
    async with db.session() as session:
        candidates = (
            await session.scalars(
                select(OutboxTask.id)
                .where(
                    or_(
                        (OutboxTask.state == TaskState.pending) & (OutboxTask.run_after <= now),
                        (OutboxTask.state == TaskState.running) & (OutboxTask.lease_until < now),
                    )
                )
                .order_by(OutboxTask.run_after, OutboxTask.id)
                .limit(limit)
            )
        ).all()
        for task_id in candidates:
            # Compare-and-set: only one process's UPDATE matches the row in its claimable state.
            result = await session.execute(
                update(OutboxTask)
                .where(
                    OutboxTask.id == task_id,
                    or_(
                        OutboxTask.state == TaskState.pending,
                        (OutboxTask.state == TaskState.running) & (OutboxTask.lease_until < now),
                    ),
                )
                .values(
                    state=TaskState.running,
                    claimed_by=worker_id,
                    lease_until=now + LEASE,
                    attempts=OutboxTask.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            await session.commit()
            if result.rowcount == 1:  # type: ignore[attr-defined]
                task = await session.get(OutboxTask, task_id, populate_existing=True)
                if task is not None:
                    claimed.append(task)
    return claimed


async def _finish(db: Database, task_id: int, worker_id: str, **values: Any) -> None:
    async with db.session() as session:
        await session.execute(
            update(OutboxTask).where(OutboxTask.id == task_id, OutboxTask.claimed_by == worker_id).values(**values)
        )
        await session.commit()


async def run_task(db: Database, task: OutboxTask, worker_id: str) -> None:
    handler = _HANDLERS.get(task.kind)
    if handler is None:
        await _finish(
            db,
            task.id,
            worker_id,
            state=TaskState.failed,
            last_error=f"no handler for {task.kind!r}",
            finished_at=utcnow(),
        )
        return
    try:
        await handler(db, dict(task.payload), TaskContext(task_id=task.id, attempt=task.attempts))
    except Exception as exc:
        error = "".join(traceback.format_exception_only(exc)).strip()
        permanent = isinstance(exc, PermanentFailure) or task.attempts >= task.max_attempts
        log.warning("outbox task %s (%s) failed on attempt %s: %s", task.id, task.kind, task.attempts, error)
        if permanent:
            await _finish(db, task.id, worker_id, state=TaskState.failed, last_error=error, finished_at=utcnow())
        else:
            await _finish(
                db,
                task.id,
                worker_id,
                state=TaskState.pending,
                last_error=error,
                run_after=utcnow() + backoff(task.attempts),
                lease_until=None,
            )
    else:
        await _finish(db, task.id, worker_id, state=TaskState.done, finished_at=utcnow(), last_error=None)


async def run_due_tasks(db: Database, worker_id: str, limit: int = 50) -> int:
    """Claim and run what is due; returns how many tasks ran."""
    tasks = await claim(db, worker_id, limit=limit)
    for task in tasks:
        await run_task(db, task, worker_id)
    return len(tasks)
