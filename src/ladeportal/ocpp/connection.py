"""One charger's connection, independent of the web server that carries it.

Calls from the charger are handled one at a time in arrival order (the transport awaits `receive`
before reading the next frame), which is what OCPP requires and what keeps a charger's transaction
messages ordered. Our own requests to the charger go one at a time too (`call` holds a lock).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from ladeportal.ocpp import frames
from ladeportal.ocpp.auth import ChargerIdentity
from ladeportal.ocpp.frames import Call, Fault, Reply, RpcFault
from ladeportal.ocpp.validation import validate
from ladeportal.ocpp.versions import ProtocolVersion

if TYPE_CHECKING:
    from ladeportal.ocpp.gateway import Gateway
    from ladeportal.sessions.anomalies import MeterState

log = logging.getLogger(__name__)


class Link(Protocol):
    """What the core needs from a WebSocket implementation."""

    async def send(self, text: str) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


class ChargerConnection:
    # Slots keep an idle connection small: 10,000 of them must fit in a few hundred MB with the socket.
    __slots__ = (
        "_flagged",
        "_lock",
        "_pending",
        "connectors",
        "gateway",
        "identity",
        "link",
        "transactions",
        "version",
    )

    def __init__(self, gateway: Gateway, identity: ChargerIdentity, version: ProtocolVersion, link: Link) -> None:
        self.gateway = gateway
        self.identity = identity
        self.version = version
        self.link = link
        # Running meter accounting of this charger's open transactions, loaded from the database on
        # first use (so a restart loses nothing) and dropped when a write fails.
        self.transactions: dict[int, MeterState] | None = None
        self._lock: asyncio.Lock | None = None
        self._pending: tuple[str, asyncio.Future[Reply]] | None = None
        # The charger's connector numbers (as at the handshake; read again when one is missing) and the
        # (action, connector) pairs already flagged as unknown.
        self.connectors: frozenset[int] = identity.connectors
        self._flagged: set[tuple[str, int]] | None = None

    async def check_connector(self, action: str, connector: int, payload: dict[str, Any]) -> bool:
        """Whether the charger has this connector in the portal. A message naming one it has not is still
        handled (never refused for a business reason) but flagged for the owner, once per connection
        and action, so a charger repeating it every minute does not flood the list."""
        from ladeportal.sessions.services import UNKNOWN_CONNECTOR_REASON, connector_numbers, record_orphan

        if connector in self.connectors:
            return True
        async with self.gateway.db.session() as session:
            # Read again when missing: a connector added since the first read counts at once.
            self.connectors = await connector_numbers(session, self.identity.ref)
            if connector in self.connectors:
                return True
            if self._flagged is None:
                self._flagged = set()
            if (action, connector) not in self._flagged:
                self._flagged.add((action, connector))
                await record_orphan(
                    session, self.identity.ref, action, payload.get("transactionId"), UNKNOWN_CONNECTOR_REASON, payload
                )
        return False

    async def receive(self, data: str | bytes) -> None:
        self.gateway.seen(self.identity.charge_point_id)
        if isinstance(data, bytes):
            await self._send_fault(RpcFault(Fault.formation, "OCPP-J frames are text, not binary"))
            return
        # Both servers refuse larger frames themselves (closing with 1009); this check holds for any
        # other ASGI server, and answers rather than closes.
        limit = self.gateway.max_frame_bytes
        if len(data) * 4 > limit and len(data.encode("utf-8")) > limit:
            await self._send_fault(
                RpcFault(Fault.formation, f"Frame larger than {limit} bytes", frames.message_id_prefix(data))
            )
            return
        try:
            message = frames.parse(data)
        except RpcFault as fault:
            await self._send_fault(fault)
            return
        if message is None:
            return
        if isinstance(message, Reply):
            self._resolve(message)
            return
        await self._dispatch(message)

    async def _dispatch(self, message: Call) -> None:
        entry = self.version.incoming.get(message.action)
        try:
            if entry is None:
                if message.action in self.version.known_but_unsupported:
                    raise RpcFault(Fault.not_supported, f"{message.action} is not supported", message.message_id)
                raise RpcFault(Fault.not_implemented, f"Unknown action {message.action}", message.message_id)
            validate(entry.validate_request, message.payload, message.message_id)
            result = await entry.handler(self, message.payload)
        except RpcFault as fault:
            fault.message_id = message.message_id
            await self._send_fault(fault)
        except Exception:
            # A database outage and the like: the charger retries a CALLERROR, which is what we want.
            log.exception("handling %s from %s failed", message.action, self.identity.ocpp_id)
            await self._send_fault(RpcFault(Fault.internal, "Internal error", message.message_id))
        else:
            await self.link.send(frames.call_result(message.message_id, result))

    async def _send_fault(self, fault: RpcFault) -> None:
        await self.link.send(
            frames.call_error(fault.message_id, self.version.error_code(fault.fault), fault.description)
        )

    def _resolve(self, reply: Reply) -> None:
        pending = self._pending
        if pending is not None and pending[0] == reply.message_id and not pending[1].done():
            pending[1].set_result(reply)
        else:
            log.info("%s answered unknown message %s", self.identity.ocpp_id, reply.message_id)

    async def call(
        self,
        action: str,
        payload: dict[str, Any],
        timeout_s: float,
        before_send: Callable[[], Awaitable[None]] | None = None,
    ) -> Reply:
        """Send a request to the charger and wait for its answer; requests queue behind each other.
        `before_send` runs once it is this request's turn, right before sending, and may raise to drop it.

        Raises TimeoutError (waiting in the queue counts) or ConnectionError when the socket closes.
        """
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with asyncio.timeout(timeout_s), self._lock:
            if before_send is not None:
                await before_send()
            message_id = str(uuid.uuid4())
            future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
            self._pending = (message_id, future)
            try:
                await self.link.send(frames.call(message_id, action, payload))
                return await future
            finally:
                self._pending = None

    def closed(self) -> None:
        """The socket is gone: fail a request that waits for an answer."""
        if self._pending is not None and not self._pending[1].done():
            self._pending[1].set_exception(ConnectionError("charger disconnected"))
