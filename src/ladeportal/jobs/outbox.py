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

from sqlalchemy import ColumnElement, case, literal, or_, select, update
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
# Claimed first, whatever their age (lower runs first; unlisted kinds get DEFAULT_PRIORITY). A person
# waits for a login code on a phone; a backlog of invitations or list syncs must not delay it.
KIND_PRIORITY: dict[str, int] = {"sms.send": 0, "email.send": 1}
DEFAULT_PRIORITY = 5


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


def _priority() -> ColumnElement[int]:
    if not KIND_PRIORITY:
        return literal(DEFAULT_PRIORITY)
    return case(*((OutboxTask.kind == kind, rank) for kind, rank in KIND_PRIORITY.items()), else_=DEFAULT_PRIORITY)


async def claim(
    db: Database, worker_id: str, limit: int = 10, *, capacity: Callable[[str], int] | None = None
) -> list[OutboxTask]:
    """Claim up to `limit` due tasks, most urgent kind first, then oldest first. With `capacity`
    (kind -> free slots) no more tasks of a kind are claimed than the worker can start now."""
    now = utcnow()
    claimed: list[OutboxTask] = []
    async with db.session() as session:
        # Read more than `limit` when capacities apply: some candidates may be of a kind that is full.
        rows = (
            await session.execute(
                select(OutboxTask.id, OutboxTask.kind)
                .where(
                    or_(
                        (OutboxTask.state == TaskState.pending) & (OutboxTask.run_after <= now),
                        (OutboxTask.state == TaskState.running) & (OutboxTask.lease_until < now),
                    )
                )
                .order_by(_priority(), OutboxTask.run_after, OutboxTask.id)
                .limit(limit if capacity is None else limit * 4)
            )
        ).all()
        await session.rollback()
        free: dict[str, int] = {}
        candidates = []
        for task_id, kind in rows:
            if capacity is not None:
                free.setdefault(kind, capacity(kind))
                if free[kind] <= 0:
                    continue
                free[kind] -= 1
            candidates.append(task_id)
            if len(candidates) >= limit:
                break
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


async def release(db: Database, task_id: int, worker_id: str) -> None:
    """Hand a claimed task back unrun (the worker is stopping): due at once for any other worker, and
    the attempt it was claimed with does not count."""
    async with db.session() as session:
        await session.execute(
            update(OutboxTask)
            .where(OutboxTask.id == task_id, OutboxTask.claimed_by == worker_id, OutboxTask.state == TaskState.running)
            .values(
                state=TaskState.pending,
                claimed_by=None,
                lease_until=None,
                run_after=utcnow(),
                attempts=OutboxTask.attempts - 1,
            )
        )
        await session.commit()


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
