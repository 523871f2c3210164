"""The worker loop: runs due outbox tasks and periodic jobs until stopped.

It runs inside `ladeportal serve` (a background asyncio task) or alone as `ladeportal worker`;
any number of them may run against one database.

Tasks run concurrently, a bounded number per kind, so one slow kind (a list sync waiting for chargers)
never holds up another (a login code someone waits for); periodic jobs run beside them, never in their
way. On stop the worker takes no new work, lets running tasks finish for a few seconds and hands the
rest back (`outbox.release`), so another worker takes them at once instead of after the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

from ladeportal.db.engine import Database
from ladeportal.jobs import outbox, periodic
from ladeportal.jobs.models import OutboxTask

log = logging.getLogger(__name__)

# Tasks of one kind running at once in one worker; unlisted kinds get DEFAULT_CONCURRENCY.
KIND_CONCURRENCY: dict[str, int] = {"sms.send": 8, "email.send": 4, "ocpp.sync_local_list": 2}
DEFAULT_CONCURRENCY = 4
# After a stop, running tasks get this long before they are cancelled and handed back. With the
# server's own grace it keeps a SIGTERM'd process well inside the usual 10 s before SIGKILL.
STOP_GRACE_SECONDS = 3.0


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class OutboxRunner:
    def __init__(self, db: Database, worker_id: str) -> None:
        self.db = db
        self.worker_id = worker_id
        self.running: dict[asyncio.Task[None], OutboxTask] = {}
        self.changed = asyncio.Event()

    def capacity(self, kind: str) -> int:
        busy = sum(1 for task in self.running.values() if task.kind == kind)
        return KIND_CONCURRENCY.get(kind, DEFAULT_CONCURRENCY) - busy

    async def start_due(self) -> int:
        """Claim what is due and what fits, start it; returns how many tasks were started."""
        tasks = await outbox.claim(self.db, self.worker_id, limit=32, capacity=self.capacity)
        for task in tasks:
            job = asyncio.create_task(outbox.run_task(self.db, task, self.worker_id), name=f"outbox-{task.id}")
            self.running[job] = task
            job.add_done_callback(self._done)
        return len(tasks)

    def _done(self, job: asyncio.Task[None]) -> None:
        self.running.pop(job, None)
        if not job.cancelled() and job.exception() is not None:
            log.error("outbox task runner failed", exc_info=job.exception())
        self.changed.set()

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        if self.running:
            await asyncio.wait(list(self.running), timeout=grace)
        unfinished = dict(self.running)
        for job in unfinished:
            job.cancel()
        for job, task in unfinished.items():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await job
            try:
                await outbox.release(self.db, task.id, self.worker_id)
                log.info("outbox task %s (%s) handed back on stop", task.id, task.kind)
            except Exception:
                log.exception("handing back outbox task %s failed; its lease will expire", task.id)


async def _periodic_forever(db: Database, stop: asyncio.Event, poll_seconds: float) -> None:
    while not stop.is_set():
        try:
            await periodic.run_due_jobs(db)
        except Exception:
            log.exception("periodic jobs failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)


async def run_worker(db: Database, stop: asyncio.Event, poll_seconds: float = 1.0) -> None:
    import ladeportal.jobs.registry  # noqa: F401  (registers every area's handlers and jobs)

    worker_id = worker_identity()
    log.info("worker %s started", worker_id)
    runner = OutboxRunner(db, worker_id)
    jobs = asyncio.create_task(_periodic_forever(db, stop, poll_seconds), name="periodic-jobs")
    stopping = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            runner.changed.clear()
            try:
                started = await runner.start_due()
            except Exception:
                # A database hiccup must not kill the loop; the next poll retries.
                log.exception("worker loop error")
                started = 0
            if started:
                continue
            # Sleep until the poll is due, a task finishes (its slot may admit a waiting task) or stop.
            changed = asyncio.create_task(runner.changed.wait())
            await asyncio.wait({changed, stopping}, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            changed.cancel()
    finally:
        stopping.cancel()
        # A periodic job gets the same grace as the tasks; its period is lost if it must be cancelled.
        await asyncio.gather(runner.stop(), asyncio.wait({jobs}, timeout=STOP_GRACE_SECONDS))
        jobs.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await jobs
    log.info("worker %s stopped", worker_id)
