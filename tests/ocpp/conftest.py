"""Fixtures for the OCPP gateway tests: a populated organisation and a gateway on a real socket."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import Server

from ladeportal.db.engine import Database
from ladeportal.members.models import IdTag, Membership, TagState
from ladeportal.members.tags import set_tag_state
from ladeportal.ocpp.gateway import Gateway
from ladeportal.ocpp.websocket_server import start_server
from ladeportal.orgs.models import Organization, Site
from ladeportal.settings import Settings, load_settings
from tests.factories import ACTOR, make_charger, make_member, make_org, make_site, make_tag

# Failsafes, not expectations: generous so a loaded CI machine (2 cores, whole suite) does not trip them.
RECV_TIMEOUT = 10.0
# The gateways under test run with the shipped frame limit, the one both servers enforce.
MAX_FRAME = load_settings().ocpp_max_frame_bytes


@dataclass
class World:
    org: Organization
    site: Site
    cp_id: str
    cp_uuid: Any
    password: str
    other_cp_id: str
    other_password: str
    pending_cp_id: str
    pending_password: str
    member: Membership
    tag: IdTag
    blocked_tag: IdTag


@pytest.fixture
async def world(db: Database) -> World:
    async with db.session() as s:
        org = await make_org(s)
        site = await make_site(s, org)
        cp = await make_charger(s, site, "CP-A")
        other = await make_charger(s, site, "CP-B")
        pending = await make_charger(s, site, "CP-PENDING", active=False)
        member = await make_member(s, org)
        tag = await make_tag(s, org, member, uid="04A1B2C3")
        blocked = await make_tag(s, org, member, uid="04DEAD01")
        await set_tag_state(s, ACTOR, org.id, blocked.id, TagState.blocked)
    return World(
        org,
        site,
        "CP-A",
        cp.charge_point.id,
        cp.password,
        "CP-B",
        other.password,
        "CP-PENDING",
        pending.password,
        member,
        tag,
        blocked,
    )


def gateway_settings(db: Database) -> Settings:
    return load_settings(
        database_url=db.url, ocpp_heartbeat_interval=120, ocpp_auth_failures_per_minute=5, ocpp_command_timeout=10.0
    )


@dataclass
class RunningGateway:
    gateway: Gateway
    server: Server
    url: str


@asynccontextmanager
async def running_gateway(db: Database) -> AsyncIterator[RunningGateway]:
    gateway = Gateway(db, gateway_settings(db))
    await gateway.start()
    server = await start_server(gateway, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1] if server.sockets else 0
    try:
        yield RunningGateway(gateway, server, f"ws://127.0.0.1:{port}/ocpp")
    finally:
        server.close()
        await gateway.stop()
        await server.wait_closed()


@pytest.fixture
async def gw(db: Database) -> AsyncIterator[RunningGateway]:
    async with running_gateway(db) as running:
        yield running


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Charger:
    """A bare test client: sends exact frames and reads exact frames."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._n = 0

    async def send_raw(self, text: str | bytes) -> None:
        await self.ws.send(text)

    async def recv(self) -> list[Any]:
        async with asyncio.timeout(RECV_TIMEOUT):
            return json.loads(await self.ws.recv())  # type: ignore[no-any-return]

    async def call(self, action: str, payload: dict[str, Any], message_id: str | None = None) -> list[Any]:
        self._n += 1
        mid = message_id or f"m{self._n}"
        await self.ws.send(json.dumps([2, mid, action, payload]))
        frame = await self.recv()
        assert frame[1] == mid, frame
        return frame

    async def ok(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        frame = await self.call(action, payload)
        assert frame[0] == 3, frame
        return frame[2]  # type: ignore[no-any-return]


@asynccontextmanager
async def charger(
    url: str,
    ocpp_id: str,
    password: str | None,
    subprotocols: list[str] | None = None,
) -> AsyncIterator[Charger]:
    headers = {"Authorization": basic(ocpp_id, password)} if password is not None else {}
    async with connect(
        f"{url}/{ocpp_id}",
        subprotocols=subprotocols or ["ocpp1.6"],  # type: ignore[list-item]
        additional_headers=headers,
        open_timeout=5,
        proxy=None,
    ) as ws:
        yield Charger(ws)


ChargerFactory = Callable[..., Any]


async def eventually(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Wait until `condition()` holds. The server registers a socket in its handler, which runs after
    the client has seen the handshake answer (and unregisters it after the client saw the close), so
    the registry is checked by polling, never right after connect/close."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - the registry is a plain dict, nothing to wait on
            await asyncio.sleep(0.01)


def ts(minute: int, hour: int = 10, day: int = 1) -> str:
    return f"2026-03-{day:02d}T{hour:02d}:{minute:02d}:00Z"
