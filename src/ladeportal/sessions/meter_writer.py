"""Group commit: the small writes of many chargers go to the database in one transaction, and each
charger's message is acknowledged only after that transaction commits.

With one commit per message the database's commit (fsync on PostgreSQL, a WAL append and lock hand-off
on SQLite) and the per-statement round trips are the limit (a few hundred to a few thousand per
second); grouping whatever arrived while the previous commit was running gives many thousands of
messages per second with the same durability. There is no artificial delay: a lone message is written
at once.

`GroupCommit` is the engine: a caller submits an item together with the `BatchWriter` that knows how
to write a list of such items with a few multi-row statements. `MeterWriter` is the group commit with
the meter-reading writer; the OCPP gateway also sends BootNotification and StatusNotification through
it (chargers.status), so a reconnect storm and a meter-value burst share the same commits.

Ordering: a charger has one message in flight (OCPP), so one batch never holds two messages of the
same charger that could conflict, and a charger's next message is only read after this one committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ladeportal.db.engine import Database
from ladeportal.sessions import live_updates
from ladeportal.sessions.anomalies import MeterState
from ladeportal.sessions.models import ChargingSession, MeterReading

log = logging.getLogger(__name__)

# Writes `items` inside the caller's transaction and returns one result per item, in order.
BatchWriter = Callable[[AsyncConnection, list[Any]], Awaitable[Sequence[Any]]]

_readings = cast(Table, MeterReading.__table__)
_sessions = cast(Table, ChargingSession.__table__)
# Core statements built once; the hot path only binds values.
_INSERT = insert(_readings)
_UPDATE = (
    update(_sessions)
    .where(_sessions.c.id == bindparam("b_id"))
    .values(
        meter_last_wh=bindparam("b_last"),
        segment_start_wh=bindparam("b_segment"),
        energy_carried_wh=bindparam("b_carried"),
        anomalies=bindparam("b_anomalies"),
    )
)


@dataclass(slots=True)
class _Item:
    writer: BatchWriter
    value: Any
    done: asyncio.Future[Any]


class GroupCommit:
    def __init__(self, db: Database, max_batch: int = 2000) -> None:
        self._db = db
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._writing = False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="group-commit")

    async def stop(self, drain_seconds: float = 3.0) -> None:
        """Write what was already submitted (for at most `drain_seconds`), then stop; anything left
        fails, and its charger, never acknowledged, sends it again after reconnecting."""
        if self._task is not None:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + drain_seconds
            while (self._writing or not self._queue.empty()) and loop.time() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if not item.done.done():
                item.done.set_exception(ConnectionAbortedError("gateway stopping"))

    async def submit(self, writer: BatchWriter, value: Any) -> Any:
        """Write `value` with `writer` in the next group transaction; returns the writer's result for
        it once that transaction has committed (raises if it could not be stored)."""
        if self._task is None:
            raise RuntimeError("GroupCommit not started")
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Item(writer, value, done))
        return await done

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            self._writing = True
            try:
                await self._write_batch(batch)
            finally:
                self._writing = False

    async def _write_batch(self, batch: list[_Item]) -> None:
        try:
            results = await self._write(batch)
        except Exception as exc:
            if len(batch) == 1:
                log.exception("group commit failed")
                _fail(batch[0], exc)
                return
            # One bad item must not fail the others: write them one by one.
            for item in batch:
                try:
                    results = await self._write([item])
                except Exception as one_exc:
                    log.exception("group commit failed")
                    _fail(item, one_exc)
                else:
                    _settle([item], results)
        else:
            _settle(batch, results)

    async def _write(self, batch: list[_Item]) -> list[Any]:
        # Group by writer, keeping arrival order inside each group (dicts keep insertion order).
        groups: dict[BatchWriter, list[int]] = {}
        for index, item in enumerate(batch):
            groups.setdefault(item.writer, []).append(index)
        results: list[Any] = [None] * len(batch)
        # A Core connection, not an ORM session: this path runs thousands of times per second.
        async with self._db.engine.begin() as conn:
            for writer, indexes in groups.items():
                written = await writer(conn, [batch[i].value for i in indexes])
                for i, result in zip(indexes, written, strict=True):
                    results[i] = result
        return results


def _settle(batch: list[_Item], results: list[Any]) -> None:
    for item, result in zip(batch, results, strict=True):
        if not item.done.done():
            item.done.set_result(result)


def _fail(item: _Item, exc: BaseException) -> None:
    if not item.done.done():
        item.done.set_exception(exc)


async def write_meter_batch(
    conn: AsyncConnection,
    items: list[tuple[list[dict[str, Any]], MeterState | None]],
) -> list[None]:
    rows = [row for item_rows, _ in items for row in item_rows]
    # The latest state per session wins when one batch holds several messages of a transaction.
    states = {state.session_id: state for _, state in items if state is not None}
    if rows:
        await conn.execute(_INSERT, rows)
    if states:
        await conn.execute(
            _UPDATE,
            [
                {
                    "b_id": s.session_id,
                    "b_last": s.meter_last_wh,
                    "b_segment": s.segment_start_wh,
                    "b_carried": s.energy_carried_wh,
                    "b_anomalies": list(s.anomalies),
                }
                for s in states.values()
            ],
        )
    return [None] * len(items)


class MeterWriter(GroupCommit):
    async def record(self, rows: list[dict[str, Any]], state: MeterState | None) -> None:
        """Store readings (and the session's new meter state) durably; returns after the commit."""
        await self.submit(write_meter_batch, (rows, state))
        if state is not None:
            live_updates.notify(state.session_id)
