"""Periodic jobs (price fetching, reminders): each run claimed by exactly one process.

A job's next due time lives in periodic_job_runs; a process runs the job only if its compare-and-set
UPDATE moves next_run_at forward from the value it read, so two workers never run the same period.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.jobs.models import PeriodicJobRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    run: Callable[[Database], Awaitable[object]]


_JOBS: dict[str, PeriodicJob] = {}


def periodic(
    name: str, every: timedelta
) -> Callable[[Callable[[Database], Awaitable[object]]], Callable[[Database], Awaitable[object]]]:
    def register(fn: Callable[[Database], Awaitable[object]]) -> Callable[[Database], Awaitable[object]]:
        _JOBS[name] = PeriodicJob(name=name, every=every, run=fn)
        return fn

    return register


def registered_jobs() -> list[PeriodicJob]:
    return [_JOBS[k] for k in sorted(_JOBS)]


async def _claim(db: Database, job: PeriodicJob) -> bool:
    now = utcnow()
    async with db.session() as session:
        row = await session.get(PeriodicJobRun, job.name)
        if row is None:
            session.add(PeriodicJobRun(name=job.name, next_run_at=now))
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
            row = await session.get(PeriodicJobRun, job.name, populate_existing=True)
            if row is None:
                return False
        if row.next_run_at > now:
            return False
        result = await session.execute(
            update(PeriodicJobRun)
            .where(PeriodicJobRun.name == job.name, PeriodicJobRun.next_run_at == row.next_run_at)
            .values(next_run_at=now + job.every, last_started_at=now)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def run_due_jobs(db: Database, jobs: list[PeriodicJob] | None = None) -> list[str]:
    """Run every job whose time has come and that this process won; returns the names run."""
    ran = []
    for job in jobs if jobs is not None else registered_jobs():
        if not await _claim(db, job):
            continue
        ran.append(job.name)
        error: str | None = None
        try:
            await job.run(db)
        except Exception as exc:
            error = "".join(traceback.format_exception_only(exc)).strip()
            log.exception("periodic job %s failed", job.name)
        async with db.session() as session:
            await session.execute(
                update(PeriodicJobRun)
                .where(PeriodicJobRun.name == job.name)
                .values(last_finished_at=utcnow(), last_error=error)
            )
            await session.commit()
    return ran


async def job_status(db: Database) -> list[PeriodicJobRun]:
    async with db.session() as session:
        return list((await session.scalars(select(PeriodicJobRun).order_by(PeriodicJobRun.name))).all())
