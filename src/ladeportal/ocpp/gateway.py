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
# Close code for the old socket of a charger that connected again (reboot, network change).
REPLACED_CLOSE_CODE = 1000


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

    @property
    def transport_frame_limit(self) -> int:
        """What the WebSocket layer accepts: larger than the OCPP limit, so that a frame between the two
        is answered with a CALLERROR (connection kept) and only absurd frames close the socket."""
        return max(4 * self.max_frame_bytes, 1 << 20)

    async def start(self) -> None:
        self.meter_writer.start()
        self._tasks = [asyncio.create_task(self._flush_seen_forever(), name="ocpp-last-seen"),
                       asyncio.create_task(self._poll_commands_forever(), name="ocpp-command-poll")]
        charger_commands.register_channel(self)

    async def stop(self) -> None:
        charger_commands.unregister_channel(self)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for conn in list(self.connections.values()):
            conn.closed()
            with contextlib.suppress(Exception):
                await conn.link.close(1001, "Server going away")
        self.connections.clear()
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

    def seen(self, charge_point_id: uuid.UUID) -> None:
        self._seen[charge_point_id] = time.time()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- command channel (chargers.commands) ---------------------------------------------------------
    def holds(self, charge_point_id: uuid.UUID) -> bool:
        return charge_point_id in self.connections

    async def exchange(self, charge_point_id: uuid.UUID, action: str, payload: dict[str, Any],
                       timeout_s: float) -> charger_commands.Answer:
        conn = self.connections.get(charge_point_id)
        if conn is None:
            raise ConnectionError("charger not connected")
        reply = await conn.call(action, payload, timeout_s)
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
            await charger_commands.deliver_claimed(session, self, command_id, cp_id, action, payload,
                                                   self.settings.ocpp_command_timeout)

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
