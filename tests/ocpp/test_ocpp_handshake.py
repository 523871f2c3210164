"""Opening handshake: subprotocol, Basic auth, unknown/retired chargers, rate limit, takeover."""

from __future__ import annotations

import asyncio

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from ladeportal.chargers.services import retire_charge_point, set_fallback_subprotocol
from ladeportal.db.engine import Database
from tests.factories import ACTOR
from tests.ocpp.conftest import RunningGateway, World, charger, eventually


async def _status_of(coro_factory: object) -> int:
    try:
        async with coro_factory:  # type: ignore[attr-defined]
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


async def test_authenticated_charger_gets_ocpp16(gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        assert c.ws.subprotocol == "ocpp1.6"
        assert (await c.ok("Heartbeat", {}))["currentTime"].endswith("Z")
        assert world.cp_uuid in gw.gateway.connections


async def _closed_after_handshake(url: str, ocpp_id: str, password: str, offered: list[str] | None) -> int | None:
    """Connect offering `offered` (None: no Sec-WebSocket-Protocol at all); the close code the server sends
    after completing the handshake without a subprotocol, or 101 if the connection is kept."""
    from websockets.asyncio.client import connect

    from tests.ocpp.conftest import basic

    async with connect(
        f"{url}/{ocpp_id}",
        subprotocols=offered,  # type: ignore[arg-type]
        additional_headers={"Authorization": basic(ocpp_id, password)},
        proxy=None,
    ) as ws:
        assert ws.subprotocol is None
        try:
            async with asyncio.timeout(10):
                await ws.send('[2,"hb","Heartbeat",{}]')
                await ws.recv()
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        return 101


async def test_no_common_subprotocol_completes_the_handshake_then_closes(
    gw: RunningGateway, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # OCPP-J: answer without Sec-WebSocket-Protocol, then close (1008 policy violation), and say why.
    assert await _closed_after_handshake(gw.url, world.cp_id, world.password, ["ocpp2.0.1"]) == 1008
    assert await _closed_after_handshake(gw.url, world.cp_id, world.password, None) == 1008
    assert any("closing: No subprotocol offered" in r.getMessage() for r in caplog.records)


async def test_a_charger_set_to_fall_back_to_16_is_spoken_to_without_a_subprotocol(
    db: Database, gw: RunningGateway, world: World
) -> None:
    async with db.session() as s:
        await set_fallback_subprotocol(s, ACTOR, world.org.id, world.cp_uuid, "ocpp1.6")
    assert await _closed_after_handshake(gw.url, world.cp_id, world.password, None) == 101
    # Only a charger that offers nothing: offering an unknown protocol still ends in a close.
    assert await _closed_after_handshake(gw.url, world.cp_id, world.password, ["ocpp2.0.1"]) == 1008
    # Per charger: the other charger of the site still follows OCPP-J.
    assert await _closed_after_handshake(gw.url, world.other_cp_id, world.other_password, None) == 1008


async def test_unknown_id_is_404(gw: RunningGateway, world: World) -> None:
    assert await _status_of(charger(gw.url, "NO-SUCH-CP", "whatever-password-1")) == 404


async def test_wrong_or_missing_password_is_401(gw: RunningGateway, world: World) -> None:
    assert await _status_of(charger(gw.url, world.cp_id, "wrong-password-0000")) == 401
    assert await _status_of(charger(gw.url, world.cp_id, None)) == 401
    # The other charger's (valid) password does not open this charger.
    assert await _status_of(charger(gw.url, world.cp_id, world.other_password)) == 401


async def test_username_must_equal_the_charger_id(gw: RunningGateway, world: World) -> None:
    from websockets.asyncio.client import connect

    from tests.ocpp.conftest import basic

    try:
        async with connect(
            f"{gw.url}/{world.cp_id}",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers={"Authorization": basic(world.other_cp_id, world.other_password)},
            proxy=None,
        ):
            status = 101
    except InvalidStatus as exc:
        status = exc.response.status_code
    assert status == 401


async def test_failed_attempts_are_rate_limited(gw: RunningGateway, world: World) -> None:
    statuses = [await _status_of(charger(gw.url, world.cp_id, f"wrong-password-{i:04d}")) for i in range(7)]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429, 429]
    # The limit throttles failures only: the right password is checked first and gets in.
    assert await _status_of(charger(gw.url, world.cp_id, world.password)) == 101


async def test_a_flood_of_wrong_passwords_keeps_neither_the_charger_nor_its_neighbours_out(
    gw: RunningGateway, world: World
) -> None:
    """Wrong guesses for CP-A from the address CP-A and CP-B share (one NAT router) run throughout."""
    flooding = True
    refused: list[int] = []

    async def flood(worker: int) -> None:
        n = 0
        while flooding:
            n += 1
            refused.append(await _status_of(charger(gw.url, world.cp_id, f"wrong-{worker}-{n:012d}")))

    floods = [asyncio.create_task(flood(i)) for i in range(4)]
    try:
        await eventually(lambda: refused.count(429) >= 10)  # the limiter has long tripped
        for _ in range(3):
            async with charger(gw.url, world.cp_id, world.password) as c:
                assert (await c.ok("Heartbeat", {}))["currentTime"]
            async with charger(gw.url, world.other_cp_id, world.other_password) as c:
                assert (await c.ok("Heartbeat", {}))["currentTime"]
    finally:
        flooding = False
        await asyncio.gather(*floods)
    assert set(refused) <= {401, 429}


async def test_unknown_ids_from_one_address_are_rate_limited(gw: RunningGateway, world: World) -> None:
    statuses = [await _status_of(charger(gw.url, f"SCAN-{i}", "x" * 20)) for i in range(6)]
    assert statuses == [404] * 5 + [429]


async def test_retired_charger_is_refused(db: Database, gw: RunningGateway, world: World) -> None:
    async with db.session() as s:
        await retire_charge_point(s, ACTOR, world.org.id, world.cp_uuid)
    assert await _status_of(charger(gw.url, world.cp_id, world.password)) == 403


async def test_unauthenticated_connection_never_displaces_the_charger(gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        assert await _status_of(charger(gw.url, world.cp_id, None)) == 401
        assert await _status_of(charger(gw.url, world.cp_id, "not-the-password-xx")) == 401
        assert (await c.ok("Heartbeat", {}))["currentTime"]
        assert gw.gateway.connections[world.cp_uuid] is not None


async def test_authenticated_reconnect_replaces_the_old_socket(gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as old:
        await eventually(lambda: world.cp_uuid in gw.gateway.connections)
        first = gw.gateway.connections[world.cp_uuid]
        async with charger(gw.url, world.cp_id, world.password) as new:
            with pytest.raises(ConnectionClosed):
                async with asyncio.timeout(10):
                    await old.ws.recv()
            assert (await new.ok("Heartbeat", {}))["currentTime"]
            # The Heartbeat was answered by the new socket's handler, so it is registered by now.
            assert gw.gateway.connections[world.cp_uuid] is not first
        # The new socket's departure removes it; the old one's late cleanup must not have.
        await eventually(lambda: world.cp_uuid not in gw.gateway.connections)
    assert world.cp_uuid not in gw.gateway.connections


async def test_wrong_path_is_404(gw: RunningGateway, world: World) -> None:
    base = gw.url.rsplit("/ocpp", 1)[0]
    assert await _status_of(charger(base + "/other", world.cp_id, world.password)) == 404
