"""A tiny OCPP 1.6 central system on a real socket, so the simulator is tested end to end."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

Reply = dict[str, Any] | tuple[str, str]  # a CALLRESULT payload, or ("error", code) for a CALLERROR
CURRENT_TIME = "2025-03-01T12:00:00.000Z"


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class CentralSystem:
    def __init__(self) -> None:
        self.frames: list[tuple[str, list[Any]]] = []  # (charge point id, frame) as received
        self.requests: list[Any] = []
        self.connections: dict[str, ServerConnection] = {}
        self.valid_tags = {"04A1B2C3", "04D5E6F7"}
        self.boot_replies: list[dict[str, Any]] = []  # consumed first, then Accepted
        self.overrides: dict[str, list[Reply]] = {}  # per action, consumed in order
        self.transaction_ids = itertools.count(1001)
        self._replies: dict[str, asyncio.Future[list[Any]]] = {}
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self.server: Server | None = None
        self.port = 0
        self.url = ""

    async def start(self) -> None:
        await self.start_on(0)

    async def start_on(self, port: int) -> None:
        self.server = await serve(self._handle, "127.0.0.1", port, subprotocols=[Subprotocol("ocpp1.6")])
        self.port = self.server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}/ocpp"

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def calls(self, action: str | None = None, cp_id: str | None = None) -> list[dict[str, Any]]:
        return [
            frame[3]
            for who, frame in self.frames
            if frame[0] == 2 and action in (None, frame[2]) and cp_id in (None, who)
        ]

    def actions(self) -> list[str]:
        return [frame[2] for _, frame in self.frames if frame[0] == 2]

    async def wait_for(self, action: str, count: int = 1, within: float = 5.0) -> list[dict[str, Any]]:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.calls(action)) >= count)
        return self.calls(action)

    async def call(self, cp_id: str, action: str, payload: dict[str, Any], within: float = 5.0) -> list[Any]:
        """Send a CALL to a charger and return its whole reply frame."""
        message_id = f"cs-{next(self._ids)}"
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._replies[message_id] = future
        await self.connections[cp_id].send(json.dumps([2, message_id, action, payload]))
        async with asyncio.timeout(within):
            return await future

    def _reply_for(self, action: str, payload: dict[str, Any]) -> Reply:
        queued = self.overrides.get(action)
        if queued:
            return queued.pop(0)
        if action == "BootNotification":
            if self.boot_replies:
                return self.boot_replies.pop(0)
            return {"currentTime": CURRENT_TIME, "interval": 300, "status": "Accepted"}
        if action == "Heartbeat":
            return {"currentTime": CURRENT_TIME}
        if action in ("Authorize", "StopTransaction"):
            status = "Accepted" if payload.get("idTag") in self.valid_tags else "Invalid"
            return {"idTagInfo": {"status": status}}
        if action == "StartTransaction":
            status = "Accepted" if payload["idTag"] in self.valid_tags else "Invalid"
            return {"transactionId": next(self.transaction_ids), "idTagInfo": {"status": status}}
        if action == "DataTransfer":
            return {"status": "Accepted"}
        return {}

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        cp_id = ws.request.path.rsplit("/", 1)[-1]
        self.requests.append(ws.request)
        self.connections[cp_id] = ws
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                frame = json.loads(message)
                if frame[0] in (3, 4) and frame[1] in self._replies:
                    self._replies.pop(frame[1]).set_result(frame)
                    continue
                reply = self._reply_for(frame[2], frame[3])
                if isinstance(reply, tuple):
                    await ws.send(json.dumps([4, frame[1], reply[1], "", {}]))
                else:
                    await ws.send(json.dumps([3, frame[1], reply]))
                # Recorded after answering, so a waiting test sees the reply's effects too.
                async with self._changed:
                    self.frames.append((cp_id, frame))
                    self._changed.notify_all()


@pytest.fixture
async def central() -> AsyncIterator[CentralSystem]:
    system = CentralSystem()
    await system.start()
    yield system
    await system.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 3, 1, 10, 0, 0, tzinfo=UTC))


@pytest.fixture
async def make_charger(central: CentralSystem, clock: FakeClock) -> AsyncIterator[Callable[..., Any]]:
    """Builds chargers pointed at the test central system; closes them after the test."""
    from ladeportal.simulator import SimulatedCharger

    made: list[SimulatedCharger] = []

    def factory(cp_id: str = "CP-1", **kwargs: Any) -> SimulatedCharger:
        options: dict[str, Any] = {
            "password": "s3cret-s3cret-s3cret",
            "connectors": 2,
            "meter_interval": 0,
            "clock": clock,
            "reconnect_delay": 0.05,
            "call_timeout": 3.0,
        }
        options.update(kwargs)
        charger = SimulatedCharger(central.url, cp_id, **options)
        made.append(charger)
        return charger

    yield factory
    for charger in made:
        async with asyncio.timeout(5):
            await charger.close()


async def until(predicate: Callable[[], bool], within: float = 5.0) -> None:
    """Poll for state with no event to wait on (connection counters, online flags)."""
    for _ in range(int(within / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise TimeoutError("condition not met")
