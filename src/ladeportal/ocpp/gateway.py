"""The gateway: the live connections of this process and the services they share (authentication,
the meter write-behind, liveness flushing, command delivery). Both transports drive the same object.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from ladeportal.chargers import commands as charger_commands
from ladeportal.chargers.status import record_last_seen
from ladeportal.db.engine import Database
from ladeportal.ocpp.auth import Authenticator
from ladeportal.ocpp.connection import ChargerConnection
from ladeportal.sessions.meter_writer import MeterWriter
from ladeportal.settings import Settings

log = logging.getLogger(__name__)
LAST_SEEN_FLUSH_SECONDS = 15.0
COMMAND_POLL_SECONDS = 0.5
# How often this gateway looks for chargers it holds whose local list is behind (see local_list_sync).
LOCAL_LIST_CATCH_UP_SECONDS = 15.0
# Close code for the old socket of a charger that connected again (reboot, network change).
REPLACED_CLOSE_CODE = 1000
# Close code when this process stops: 1012 "service restart", which chargers retry.
SHUTDOWN_CLOSE_CODE = 1012
# Policy violation: the charger's access was revoked (retired, new password); it must not reconnect as it was.
REVOKED_CLOSE_CODE = 1008
CLOSE_WAIT_SECONDS = 3.0


class Gateway:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.max_frame_bytes = settings.ocpp_max_frame_bytes
        self.heartbeat_interval = settings.ocpp_heartbeat_interval
        self.auth = Authenticator(db, settings.ocpp_auth_failures_per_minute)
        # One group commit for meter values, boots and status notifications (see meter_writer).
        self.meter_writer = MeterWriter(db)
        self.writes = self.meter_writer
        self.connections: dict[uuid.UUID, ChargerConnection] = {}
        # Liveness in memory, written every few seconds: a Heartbeat must not cost a database write.
        self._seen: dict[uuid.UUID, float] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        self.meter_writer.start()
        self._tasks = [
            asyncio.create_task(self._flush_seen_forever(), name="ocpp-last-seen"),
            asyncio.create_task(self._poll_commands_forever(), name="ocpp-command-poll"),
            asyncio.create_task(self._catch_up_local_lists_forever(), name="ocpp-local-lists"),
        ]
        charger_commands.register_channel(self)

    async def stop(self) -> None:
        """Close every charger socket with 1012 (service restart: chargers reconnect, to another
        instance or to this one once it is back), then flush what is buffered. Bounded, so a process
        told to stop is gone within seconds even if chargers do not answer the close."""
        charger_commands.unregister_channel(self)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        connections = list(self.connections.values())
        self.connections.clear()
        for conn in connections:
            conn.closed()
        if connections:
            closing = [
                asyncio.ensure_future(conn.link.close(SHUTDOWN_CLOSE_CODE, "Service restart")) for conn in connections
            ]
            _, late = await asyncio.wait(closing, timeout=CLOSE_WAIT_SECONDS)
            for task in late:
                task.cancel()
            for task in closing:  # collect results so no "exception never retrieved" is logged
                if not task.cancelled() and task.done():
                    task.exception()
        await self.meter_writer.stop()
        await self._flush_seen()

    # -- connections -------------------------------------------------------------------------------
    def attach(self, conn: ChargerConnection) -> None:
        """Register an authenticated connection; an older socket of the same charger is closed."""
        key = conn.identity.charge_point_id
        old = self.connections.get(key)
        self.connections[key] = conn
        if old is not None and old is not conn:
            old.closed()
            log.info("%s reconnected; closing its previous socket", conn.identity.ocpp_id)
            self._spawn(old.link.close(REPLACED_CLOSE_CODE, "Replaced by a new connection"))

    def detach(self, conn: ChargerConnection) -> None:
        conn.closed()
        # Only if still current: the old socket of a reconnected charger must not remove the new one.
        if self.connections.get(conn.identity.charge_point_id) is conn:
            del self.connections[conn.identity.charge_point_id]

    def drop(self, charge_point_id: uuid.UUID, reason: str) -> None:
        """Close a charger's socket that may no longer be used (retired, or its password replaced)."""
        conn = self.connections.pop(charge_point_id, None)
        if conn is not None:
            conn.closed()
            log.info("%s disconnected: %s", conn.identity.ocpp_id, reason)
            self._spawn(conn.link.close(REVOKED_CLOSE_CODE, reason))

    def seen(self, charge_point_id: uuid.UUID) -> None:
        self._seen[charge_point_id] = time.time()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- command channel (chargers.commands) ---------------------------------------------------------
    def holds(self, charge_point_id: uuid.UUID) -> bool:
        return charge_point_id in self.connections

    async def exchange(
        self,
        charge_point_id: uuid.UUID,
        action: str,
        payload: dict[str, Any],
        timeout_s: float,
        before_send: charger_commands.BeforeSend | None = None,
    ) -> charger_commands.Answer:
        conn = self.connections.get(charge_point_id)
        if conn is None:
            raise ConnectionError("charger not connected")
        reply = await conn.call(action, payload, timeout_s, before_send)
        if reply.error_code is not None:
            return charger_commands.Answer(reply.payload, reply.error_code, reply.error_description)
        command = conn.version.commands.get(action)
        if command is not None and reply.payload is not None:
            try:
                command.validate_response(reply.payload)
            except Exception as exc:
                return charger_commands.Answer(reply.payload, "InvalidResponse", str(exc)[:255])
        return charger_commands.Answer(reply.payload)

    async def _poll_commands_forever(self) -> None:
        while True:
            await asyncio.sleep(COMMAND_POLL_SECONDS)
            if not self.connections:
                continue
            try:
                async with self.db.session() as session:
                    claimed = await charger_commands.claim_queued(session, self)
                for row in claimed:
                    self._spawn(self._deliver(row.id, row.charge_point_id, row.action, row.payload))
            except Exception:
                log.exception("polling queued charger commands failed")

    async def _deliver(self, command_id: int, cp_id: uuid.UUID, action: str, payload: dict[str, Any]) -> None:
        async with self.db.session() as session:
            await charger_commands.deliver_claimed(
                session, self, command_id, cp_id, action, payload, self.settings.ocpp_command_timeout
            )

    async def _catch_up_local_lists_forever(self) -> None:
        from ladeportal.members.local_list_sync import catch_up_held

        attempted: dict[uuid.UUID, tuple[int, float]] = {}
        while True:
            await asyncio.sleep(LOCAL_LIST_CATCH_UP_SECONDS)
            if not self.connections:
                continue
            try:
                await catch_up_held(self.db, attempted)
            except Exception:
                log.exception("local list catch-up failed")
            for cp_id in [cp_id for cp_id in attempted if cp_id not in self.connections]:
                del attempted[cp_id]

    # -- liveness ------------------------------------------------------------------------------------
    async def _flush_seen_forever(self) -> None:
        while True:
            await asyncio.sleep(LAST_SEEN_FLUSH_SECONDS)
            try:
                await self._flush_seen()
            except Exception:
                log.exception("writing charger liveness failed")

    async def _flush_seen(self) -> None:
        if not self._seen:
            return
        seen, self._seen = self._seen, {}
        async with self.db.session() as session:
            await record_last_seen(session, {k: datetime.fromtimestamp(v, UTC) for k, v in seen.items()})
