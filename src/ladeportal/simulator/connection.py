"""One websocket session of a charger: Basic auth, CALL/CALLRESULT pairing, incoming CALLs."""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from ladeportal.simulator.frames import (
    CallErrorReply,
    ConnectionLost,
    MessageIds,
    MessageType,
    Payload,
    call,
    call_error,
    call_result,
)

logger = logging.getLogger(__name__)

SUBPROTOCOL = Subprotocol("ocpp1.6")
IncomingCall = Callable[[str, str, Payload], Coroutine[Any, Any, None]]


class FrameLog:
    """What went over the wire, decoded, for tests and debugging (bounded for long runs)."""

    def __init__(self, maxlen: int = 2000) -> None:
        self.frames: collections.deque[tuple[str, list[Any]]] = collections.deque(maxlen=maxlen)

    def add(self, direction: str, frame: list[Any]) -> None:
        self.frames.append((direction, frame))

    def sent_calls(self, action: str | None = None) -> list[list[Any]]:
        return [
            frame
            for direction, frame in self.frames
            if direction == "sent" and frame[0] == MessageType.CALL and action in (None, frame[2])
        ]


def basic_auth_header(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


class OcppConnection:
    def __init__(
        self,
        url: str,
        charge_point_id: str,
        password: str | None,
        on_call: IncomingCall,
        log: FrameLog,
        call_timeout: float = 30.0,
        compression: str | None = None,
    ) -> None:
        self.uri = f"{url.rstrip('/')}/{quote(charge_point_id, safe='')}"
        self._charge_point_id = charge_point_id
        self._password = password
        self._on_call = on_call
        self._log = log
        self._call_timeout = call_timeout
        self._compression = compression
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        # OCPP-J allows one CALL in flight per direction; the lock queues the others.
        self._call_lock = asyncio.Lock()
        self._pending: tuple[str, str, asyncio.Future[Payload]] | None = None
        self._ids = MessageIds()
        self.closed = asyncio.Event()

    async def open(self, open_timeout: float = 10.0) -> None:
        headers = {}
        if self._password is not None:
            headers["Authorization"] = basic_auth_header(self._charge_point_id, self._password)
        self._ws = await connect(
            self.uri,
            subprotocols=[SUBPROTOCOL],
            additional_headers=headers,
            compression=self._compression,
            open_timeout=open_timeout,
            proxy=None,  # chargers talk to their central system directly, never via HTTP_PROXY
        )
        if self._ws.subprotocol != SUBPROTOCOL:
            await self._ws.close()
            raise ConnectionLost(f"server did not agree to {SUBPROTOCOL}")
        self.closed.clear()
        self._reader = asyncio.create_task(self._read(self._ws))

    @property
    def is_open(self) -> bool:
        return self._ws is not None and not self.closed.is_set()

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def call(self, action: str, payload: Payload) -> Payload:
        async with self._call_lock:
            ws = self._ws
            if ws is None or self.closed.is_set():
                raise ConnectionLost(action)
            message_id = self._ids.next()
            future: asyncio.Future[Payload] = asyncio.get_running_loop().create_future()
            self._pending = (message_id, action, future)
            try:
                await self._send(ws, [MessageType.CALL, message_id, action, payload], call(message_id, action, payload))
                async with asyncio.timeout(self._call_timeout):
                    return await future
            finally:
                self._pending = None

    async def send_result(self, message_id: str, payload: Payload) -> None:
        if self._ws is not None:
            await self._send(self._ws, [MessageType.CALLRESULT, message_id, payload], call_result(message_id, payload))

    async def send_error(self, message_id: str, code: str, description: str = "") -> None:
        if self._ws is not None:
            await self._send(
                self._ws,
                [MessageType.CALLERROR, message_id, code, description, {}],
                call_error(message_id, code, description),
            )

    async def _send(self, ws: ClientConnection, frame: list[Any], text: str) -> None:
        self._log.add("sent", frame)
        try:
            await ws.send(text)
        except ConnectionClosed as exc:
            raise ConnectionLost(str(exc)) from exc

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for message in ws:
                self._receive(message)
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()
            if self._pending is not None and not self._pending[2].done():
                self._pending[2].set_exception(ConnectionLost(self._pending[1]))

    def _receive(self, message: str | bytes) -> None:
        try:
            frame = json.loads(message)
            kind, message_id = frame[0], frame[1]
        except (ValueError, TypeError, IndexError, KeyError):
            logger.warning("%s: malformed frame ignored: %r", self._charge_point_id, message)
            return
        self._log.add("received", frame)
        if kind == MessageType.CALL and len(frame) == 4:
            task = asyncio.create_task(self._on_call(message_id, frame[2], frame[3]))
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
            return
        pending = self._pending
        if pending is None or pending[0] != message_id or pending[2].done():
            # A late reply to a CALL that timed out, or a stray one: never answer a reply.
            return
        if kind == MessageType.CALLRESULT and len(frame) >= 3:
            pending[2].set_result(frame[2] if isinstance(frame[2], dict) else {})
        elif kind == MessageType.CALLERROR and len(frame) >= 4:
            details = frame[4] if len(frame) > 4 and isinstance(frame[4], dict) else {}
            pending[2].set_exception(CallErrorReply(pending[1], str(frame[2]), str(frame[3]), details))
        # Any other message type number is ignored, as OCPP-J prescribes.
