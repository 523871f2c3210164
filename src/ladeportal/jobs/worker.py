"""The worker loop: runs due outbox tasks and periodic jobs until stopped.

It runs inside `ladeportal serve` (a background asyncio task) or alone as `ladeportal worker`;
any number of them may run against one database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

from ladeportal.db.engine import Database
from ladeportal.jobs import outbox, periodic

log = logging.getLogger(__name__)


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def run_worker(db: Database, stop: asyncio.Event, poll_seconds: float = 1.0) -> None:
    import ladeportal.jobs.registry  # noqa: F401  (registers every area's handlers and jobs)

    worker_id = worker_identity()
    log.info("worker %s started", worker_id)
    while not stop.is_set():
        try:
            ran = await outbox.run_due_tasks(db, worker_id)
            await periodic.run_due_jobs(db)
        except Exception:
            # A database hiccup must not kill the loop; the next poll retries.
            log.exception("worker loop error")
            ran = 0
        if ran:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
    log.info("worker %s stopped", worker_id)
