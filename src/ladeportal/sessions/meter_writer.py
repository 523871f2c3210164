"""Write-behind for meter readings: the samples of many chargers go to the database in one
transaction, and each charger's MeterValues is acknowledged only after that transaction commits.

With one commit per message the database's fsync is the limit (a few hundred per second); grouping
whatever arrived while the previous commit was running gives thousands of messages per second with
the same durability. There is no artificial delay: a lone message is written at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update

from ladeportal.db.engine import Database
from ladeportal.sessions.anomalies import MeterState
from ladeportal.sessions.models import ChargingSession, MeterReading

log = logging.getLogger(__name__)
_readings = cast(Table, MeterReading.__table__)
_sessions = cast(Table, ChargingSession.__table__)
# Core statements built once; the hot path only binds values.
_INSERT = insert(_readings)
_UPDATE = (
    update(_sessions)
    .where(_sessions.c.id == bindparam("b_id"))
    .values(meter_last_wh=bindparam("b_last"), segment_start_wh=bindparam("b_segment"),
            energy_carried_wh=bindparam("b_carried"), anomalies=bindparam("b_anomalies"))
)


@dataclass(slots=True)
class _Item:
    rows: list[dict[str, Any]]
    state: MeterState | None
    done: asyncio.Future[None]


class MeterWriter:
    def __init__(self, db: Database, max_batch: int = 2000) -> None:
        self._db = db
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="meter-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if not item.done.done():
                item.done.set_exception(ConnectionAbortedError("gateway stopping"))

    async def record(self, rows: list[dict[str, Any]], state: MeterState | None) -> None:
        """Store readings (and the session's new meter state) durably; returns after the commit."""
        if self._task is None:
            raise RuntimeError("MeterWriter not started")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Item(rows, state, done))
        await done

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write(batch)
            except Exception:
                if len(batch) == 1:
                    log.exception("storing meter values failed")
                    _settle(batch, failed=True)
                    continue
                # One bad item must not fail the others: write them one by one.
                for item in batch:
                    try:
                        await self._write([item])
                    except Exception as exc:
                        log.exception("storing meter values failed")
                        if not item.done.done():
                            item.done.set_exception(exc)
                    else:
                        _settle([item])
            else:
                _settle(batch)

    async def _write(self, batch: list[_Item]) -> None:
        rows = [row for item in batch for row in item.rows]
        # The latest state per session wins when one batch holds several messages of a transaction.
        states = {item.state.session_id: item.state for item in batch if item.state is not None}
        # A Core connection, not an ORM session: this path runs thousands of times per second.
        async with self._db.engine.begin() as conn:
            if rows:
                await conn.execute(_INSERT, rows)
            if states:
                await conn.execute(_UPDATE, [
                    {"b_id": s.session_id, "b_last": s.meter_last_wh, "b_segment": s.segment_start_wh,
                     "b_carried": s.energy_carried_wh, "b_anomalies": list(s.anomalies)}
                    for s in states.values()
                ])


def _settle(batch: list[_Item], failed: bool = False) -> None:
    for item in batch:
        if not item.done.done():
            if failed:
                item.done.set_exception(RuntimeError("storing meter values failed"))
            else:
                item.done.set_result(None)
