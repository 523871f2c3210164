"""End to end through `ladeportal serve`'s shape: the FastAPI app under uvicorn, the gateway on its
/ocpp route, the JSON API, and the simulated charger from ladeportal.simulator."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from ladeportal.db.engine import Database
from ladeportal.ocpp.uvicorn_protocol import OcppWebSocketProtocol
from ladeportal.platform.api_tokens import create_api_token
from ladeportal.sessions.models import ChargingSession, SessionState
from ladeportal.settings import load_settings
from ladeportal.simulator import SimulatedCharger
from ladeportal.web.app import create_app
from tests.factories import ACTOR, make_org
from tests.ocpp.conftest import World


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def served(db: Database) -> AsyncIterator[str]:
    settings = load_settings(database_url=db.url, run_worker_in_process=False, ocpp_command_timeout=5.0)
    app = create_app(settings, db=db)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            lifespan="on",
            log_level="warning",
            ws=OcppWebSocketProtocol,
            ws_max_size=settings.ocpp_max_frame_bytes,
        )
    )
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        async with asyncio.timeout(15):
            await task


async def test_rfid_swipe_yields_a_session_with_the_right_energy(db: Database, served: str, world: World) -> None:
    clock = FakeClock()
    sim = SimulatedCharger(
        f"ws://{served}/ocpp", world.cp_id, world.password, connectors=2, clock=clock, meter_interval=0, call_timeout=5
    )
    try:
        await sim.connect(within=10)
        transaction = await sim.swipe("04A1B2C3", connector=1)
        assert transaction is not None
        clock.now += timedelta(minutes=20)
        await sim.meter_tick(1)
        clock.now += timedelta(minutes=25)
        await sim.swipe("04A1B2C3", connector=1)
    finally:
        await sim.close()
    assert transaction.meter_stop is not None and transaction.meter_stop > transaction.meter_start
    async with db.session() as s:
        row = await s.scalar(select(ChargingSession).where(ChargingSession.id == transaction.transaction_id))
    assert row is not None and row.state == SessionState.stopped
    assert row.energy_wh == transaction.meter_stop - transaction.meter_start
    assert row.started_at == datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
    assert row.stopped_at == datetime(2026, 3, 1, 18, 45, tzinfo=UTC)
    assert (row.membership_id, row.anomalies) == (world.member.id, [])


async def test_remote_start_from_the_api_reaches_the_charger(db: Database, served: str, world: World) -> None:
    async with db.session() as s:
        token = await create_api_token(s, ACTOR, world.org.id, "ops", ["read", "write"])
        outsider_org = await make_org(s)
        outsider = await create_api_token(s, ACTOR, outsider_org.id, "ops", ["read", "write"])
    sim = SimulatedCharger(
        f"ws://{served}/ocpp", world.cp_id, world.password, connectors=2, meter_interval=0, call_timeout=5
    )
    path = f"/api/v1/orgs/{world.org.id}/chargers/{world.cp_uuid}/commands"
    try:
        await sim.connect(within=10)
        async with httpx.AsyncClient(base_url=f"http://{served}", timeout=10) as http:
            answer = await http.post(
                f"{path}/RemoteStartTransaction",
                json={"idTag": "04A1B2C3", "connectorId": 1},
                headers={"Authorization": f"Bearer {token.secret}"},
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["state"] == "answered" and answer.json()["response"] == {"status": "Accepted"}
            assert ("RemoteStartTransaction", {"idTag": "04A1B2C3", "connectorId": 1}) in sim.received_calls
            # Another organisation's admin cannot even see that the charger exists.
            stranger = await http.post(
                f"{path}/Reset", json={"type": "Hard"}, headers={"Authorization": f"Bearer {outsider.secret}"}
            )
            assert stranger.status_code == 404
            bad = await http.post(
                f"{path}/Reset", json={"type": "Gentle"}, headers={"Authorization": f"Bearer {token.secret}"}
            )
            assert bad.status_code == 422
            log = await http.get(path, headers={"Authorization": f"Bearer {token.secret}"})
            assert [c["action"] for c in log.json()] == ["RemoteStartTransaction"]
        async with asyncio.timeout(10):
            while not sim.transactions or sim.transactions[0].transaction_id is None:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        await sim.close()
    async with db.session() as s:
        row = await s.get(ChargingSession, sim.transactions[0].transaction_id)
    assert row is not None and row.id_tag == "04A1B2C3" and row.connector_number == 1


async def test_handshake_refusals_on_the_app_route(served: str, world: World, caplog: pytest.LogCaptureFixture) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    from tests.ocpp.conftest import basic

    async def status(ident: str, password: str, protocols: list[str]) -> int | str:
        try:
            async with connect(
                f"ws://{served}/ocpp/{ident}",
                subprotocols=protocols,  # type: ignore[arg-type]
                additional_headers={"Authorization": basic(ident, password)},
                proxy=None,
            ) as ws:
                if ws.subprotocol is None:
                    # OCPP-J: the handshake completes without a subprotocol, then the server closes.
                    with pytest.raises(ConnectionClosed) as closed:
                        async with asyncio.timeout(10):
                            await ws.recv()
                    return f"closed {closed.value.rcvd.code if closed.value.rcvd else None}"
                assert ws.subprotocol == "ocpp1.6"
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    caplog.set_level("INFO")
    assert await status(world.cp_id, world.password, ["ocpp1.6"]) == 101
    assert await status(world.cp_id, "wrong-password-0000", ["ocpp1.6"]) == 401
    assert await status("NOPE", "wrong-password-0000", ["ocpp1.6"]) == 404
    assert await status(world.cp_id, world.password, ["ocpp2.0.1"]) == "closed 1008"
    # Refusals are routine: logged, but never as errors.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any("refused: 401" in r.getMessage() for r in caplog.records)


async def test_the_app_route_takes_a_stop_with_twelve_hours_of_data_and_closes_larger_frames(
    db: Database, served: str, world: World
) -> None:
    import json

    from websockets.exceptions import ConnectionClosed

    from tests.ocpp.conftest import MAX_FRAME, charger
    from tests.ocpp.test_ocpp_transactions import start, ts, twelve_hours_of_transaction_data

    url = f"ws://{served}/ocpp"
    async with charger(url, world.cp_id, world.password) as c:
        tx = (await start(c, meter_start=1000))["transactionId"]
        frame = await c.call(
            "StopTransaction",
            {
                "transactionId": tx,
                "meterStop": 1000 + 720 * 150,
                "timestamp": ts(0, hour=22),
                "transactionData": twelve_hours_of_transaction_data(1000),
            },
        )
        assert frame[0] == 3, frame[:4]
        # The same limit as `ladeportal gateway`: beyond it the socket is closed (1009), not answered.
        await c.send_raw(json.dumps([2, "big", "DataTransfer", {"vendorId": "v", "data": "x" * MAX_FRAME}]))
        with pytest.raises(ConnectionClosed) as closed:
            await c.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    async with db.session() as s:
        row = await s.get(ChargingSession, tx)
    assert row is not None and row.state == SessionState.stopped and row.energy_wh == 720 * 150
