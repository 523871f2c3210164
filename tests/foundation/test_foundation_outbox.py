"""The outbox and periodic jobs: each task done once across several processes, retries with back-off."""

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.jobs import outbox, periodic
from ladeportal.jobs.models import OutboxTask, PeriodicJobRun, TaskState

done: list[tuple[int, dict[str, Any]]] = []
attempts: dict[str, int] = {}


@outbox.task_handler("test.record")
async def _record(db: Database, payload: dict[str, Any], ctx: outbox.TaskContext) -> None:
    await asyncio.sleep(0)  # let other workers interleave
    done.append((ctx.task_id, payload))


@outbox.task_handler("test.flaky")
async def _flaky(db: Database, payload: dict[str, Any], ctx: outbox.TaskContext) -> None:
    attempts[payload["key"]] = ctx.attempt
    if ctx.attempt < 2:
        raise RuntimeError("provider unavailable")


@outbox.task_handler("test.permanent")
async def _permanent(db: Database, payload: dict[str, Any], ctx: outbox.TaskContext) -> None:
    raise outbox.PermanentFailure("recipient gone")


async def _enqueue(db: Database, kind: str, n: int, **kw: Any) -> None:
    async with db.session() as s:
        for i in range(n):
            await outbox.enqueue(s, kind, {"i": i, **kw})
        await s.commit()


async def test_enqueue_is_part_of_the_callers_transaction(db: Database) -> None:
    async with db.session() as s:
        await outbox.enqueue(s, "test.record", {"i": 1})
        await s.rollback()
    async with db.session() as s:
        assert (await s.scalars(select(OutboxTask))).all() == []


async def test_dedupe_key_makes_a_second_enqueue_a_no_op(db: Database) -> None:
    async with db.session() as s:
        await outbox.enqueue(s, "test.record", {"i": 1}, dedupe_key="sms:login:1")
        await outbox.enqueue(s, "test.record", {"i": 2}, dedupe_key="sms:login:1")
        await s.commit()
        rows = (await s.scalars(select(OutboxTask))).all()
    assert [r.payload for r in rows] == [{"i": 1}]


async def test_concurrent_workers_run_each_task_exactly_once(db: Database, database_url: str) -> None:
    done.clear()
    await _enqueue(db, "test.record", 60)
    # Separate engines = separate connections, as separate processes would have.
    workers = [Database(database_url) for _ in range(4)]
    try:

        async def drain(w: Database, name: str) -> None:
            while await outbox.run_due_tasks(w, name, limit=5):
                pass

        await asyncio.gather(*(drain(w, f"w{i}") for i, w in enumerate(workers)))
    finally:
        for w in workers:
            await w.dispose()
    ids = [task_id for task_id, _ in done]
    assert len(ids) == 60 and len(set(ids)) == 60
    async with db.session() as s:
        states = (await s.scalars(select(OutboxTask.state))).all()
    assert set(states) == {TaskState.done}


async def test_failed_task_is_retried_later_with_backoff(db: Database) -> None:
    await _enqueue(db, "test.flaky", 1, key="a")
    assert await outbox.run_due_tasks(db, "w") == 1
    async with db.session() as s:
        task = await s.scalar(select(OutboxTask))
        assert task is not None
        assert task.state == TaskState.pending and task.attempts == 1
        assert "provider unavailable" in (task.last_error or "")
        assert task.run_after > utcnow() + timedelta(seconds=5)
    # Not due yet: nothing runs.
    assert await outbox.run_due_tasks(db, "w") == 0
    async with db.session() as s:
        await s.execute(update(OutboxTask).values(run_after=utcnow() - timedelta(seconds=1)))
        await s.commit()
    assert await outbox.run_due_tasks(db, "w") == 1
    async with db.session() as s:
        task = await s.scalar(select(OutboxTask))
        assert task is not None and task.state == TaskState.done and task.last_error is None
    assert attempts["a"] == 2


async def test_permanent_failure_and_attempt_limit_stop_retries(db: Database) -> None:
    await _enqueue(db, "test.permanent", 1)
    async with db.session() as s:
        await outbox.enqueue(s, "test.flaky", {"key": "b"}, max_attempts=1)
        await outbox.enqueue(s, "test.unknown-kind", {})
        await s.commit()
    assert await outbox.run_due_tasks(db, "w") == 3
    async with db.session() as s:
        rows = {t.kind: t for t in (await s.scalars(select(OutboxTask))).all()}
    assert rows["test.permanent"].state == TaskState.failed
    assert rows["test.flaky"].state == TaskState.failed
    assert "no handler" in (rows["test.unknown-kind"].last_error or "")


async def test_a_task_whose_worker_died_is_claimed_again_after_its_lease(db: Database) -> None:
    done.clear()
    await _enqueue(db, "test.record", 1)
    claimed = await outbox.claim(db, "dead-worker")
    assert len(claimed) == 1
    assert await outbox.run_due_tasks(db, "w2") == 0  # lease still held
    async with db.session() as s:
        await s.execute(update(OutboxTask).values(lease_until=utcnow() - timedelta(seconds=1)))
        await s.commit()
    assert await outbox.run_due_tasks(db, "w2") == 1
    assert len(done) == 1


async def test_a_periodic_job_runs_once_per_period_across_processes(db: Database, database_url: str) -> None:
    runs: list[str] = []

    async def job(_: Database) -> None:
        runs.append("ran")

    jobs = [periodic.PeriodicJob("test.every-hour", timedelta(hours=1), job)]
    others = [Database(database_url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(periodic.run_due_jobs(d, jobs) for d in [db, *others]))
        assert sum(len(r) for r in results) == 1
        assert runs == ["ran"]
        # Same period again: nothing.
        assert await periodic.run_due_jobs(db, jobs) == []
    finally:
        for d in others:
            await d.dispose()
    async with db.session() as s:
        row = await s.get(PeriodicJobRun, "test.every-hour")
        assert row is not None and row.next_run_at > utcnow() + timedelta(minutes=59)


async def test_a_failing_periodic_job_records_its_error(db: Database) -> None:
    async def broken(_: Database) -> None:
        raise ValueError("price feed down")

    await periodic.run_due_jobs(db, [periodic.PeriodicJob("test.broken", timedelta(minutes=5), broken)])
    async with db.session() as s:
        row = await s.get(PeriodicJobRun, "test.broken")
        assert row is not None and "price feed down" in (row.last_error or "")
