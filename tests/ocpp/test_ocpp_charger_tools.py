"""A charger's tools over a real socket: remote start for a member and remote stop, firmware update and
diagnostics upload with the status notifications they bring, retirement and a new password."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from websockets.exceptions import ConnectionClosed

from ladeportal.chargers import maintenance, remote
from ladeportal.chargers.credentials import generate_password
from ladeportal.chargers.history_models import ChargerCommand, CommandState
from ladeportal.chargers.services import retire_charge_point, rotate_credential
from ladeportal.db.engine import Database
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.members.models import TagState
from ladeportal.members.services import block_member
from ladeportal.members.tags import set_tag_state
from ladeportal.sessions import anomalies
from ladeportal.sessions.models import ChargingSession, SessionState
from ladeportal.simulator import SimulatedCharger
from tests.factories import ACTOR, make_member, make_org, make_tag
from tests.ocpp.conftest import RunningGateway, World, charger, eventually, ts
from tests.ocpp.test_ocpp_handshake import _status_of


async def until(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Wait for something the charger does after its answer (a StartTransaction, a notification)."""
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110 - the state is in the database, nothing to wait on
            await asyncio.sleep(0.05)


def simulated(gw: RunningGateway, world: World) -> SimulatedCharger:
    return SimulatedCharger(gw.url, world.cp_id, world.password, connectors=2, meter_interval=0, call_timeout=5)


async def test_remote_start_for_a_member_and_remote_stop_reach_a_simulated_charger(
    db: Database, gw: RunningGateway, world: World
) -> None:
    sim = simulated(gw, world)
    try:
        await sim.connect(within=10)
        async with db.session() as s:
            started = await remote.remote_start(s, ACTOR, world.org.id, world.cp_uuid, 2, world.member.id, timeout_s=10)
        assert started.accepted and started.response == {"status": "Accepted"}
        assert ("RemoteStartTransaction", {"connectorId": 2, "idTag": world.tag.uid}) in sim.received_calls

        async def running() -> bool:
            async with db.session() as s:
                rows = await remote.running_on(s, world.org.id, world.cp_uuid, 2)
            return bool(rows)

        await until(running)
        async with db.session() as s:
            (row,) = await remote.running_on(s, world.org.id, world.cp_uuid, 2)
            assert (row.membership_id, row.id_tag) == (world.member.id, world.tag.uid)
            stopped = await remote.remote_stop(s, ACTOR, world.org.id, world.cp_uuid, row.id, timeout_s=10)
        assert stopped.accepted
        assert ("RemoteStopTransaction", {"transactionId": row.id}) in sim.received_calls

        async def ended() -> bool:
            async with db.session() as s:
                state = await s.scalar(select(ChargingSession.state).where(ChargingSession.id == row.id))
            return state == SessionState.stopped

        await until(ended)
        async with db.session() as s:
            with pytest.raises(Conflict):  # nothing left to stop
                await remote.remote_stop(s, ACTOR, world.org.id, world.cp_uuid, row.id)
    finally:
        await sim.close()


async def test_remote_start_is_refused_before_sending_when_the_member_may_not_charge(
    db: Database, gw: RunningGateway, world: World
) -> None:
    async with db.session() as s:
        untagged = await make_member(s, world.org, name="Uten Brikke")
        blocked_only = await make_member(s, world.org, name="Sperret Brikke")
        tag = await make_tag(s, world.org, blocked_only)
        await set_tag_state(s, ACTOR, world.org.id, tag.id, TagState.blocked)
        blocked_member = await make_member(s, world.org, name="Sperret Medlem")
        await make_tag(s, world.org, blocked_member)
        await block_member(s, ACTOR, world.org.id, blocked_member.id)
        stranger_org = await make_org(s)
        stranger = await make_member(s, stranger_org)
        await make_tag(s, stranger_org, stranger)

        for member in (untagged, blocked_only, blocked_member):
            with pytest.raises(ValidationFailed) as refused:
                await remote.remote_start(s, ACTOR, world.org.id, world.cp_uuid, 1, member.id)
            assert refused.value.field == "member"
        with pytest.raises(ValidationFailed):
            await remote.remote_start(s, ACTOR, world.org.id, world.cp_uuid, 9, world.member.id)
        with pytest.raises(NotFound):  # another organisation's member
            await remote.remote_start(s, ACTOR, world.org.id, world.cp_uuid, 1, stranger.id)
        with pytest.raises(NotFound):  # another organisation's charger
            await remote.remote_start(s, ACTOR, stranger_org.id, world.cp_uuid, 1, stranger.id)
        with pytest.raises(NotFound):
            await remote.remote_stop(s, ACTOR, stranger_org.id, world.cp_uuid, 1)
        # Nothing was sent: the access decision comes first.
        assert await s.scalar(select(func.count()).select_from(ChargerCommand)) == 0
        names = {c.name for c in await remote.start_candidates(s, world.org.id)}
        assert names == {world.member.name}
        assert await remote.members_without_tag(s, world.org.id, "uten") == ["Uten Brikke"]


async def test_firmware_update_and_diagnostics_upload_store_the_chargers_reports(
    db: Database, gw: RunningGateway, world: World
) -> None:
    sim = simulated(gw, world)
    try:
        await sim.connect(within=10)
        async with db.session() as s:
            firmware = await maintenance.update_firmware(
                s,
                ACTOR,
                world.org.id,
                world.cp_uuid,
                "https://firmware.example.com/v2.bin",
                datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
                timeout_s=10,
            )
            diagnostics = await maintenance.request_diagnostics(
                s, ACTOR, world.org.id, world.cp_uuid, "ftp://logs.example.com/upload/", timeout_s=10
            )
        assert firmware.state == CommandState.answered and firmware.response == {}
        assert diagnostics.response == {"fileName": f"diagnostics-{world.cp_id}.log"}
        assert (
            "UpdateFirmware",
            {"location": "https://firmware.example.com/v2.bin", "retrieveDate": "2026-03-01T10:00:00Z"},
        ) in sim.received_calls

        async def reported() -> bool:
            async with db.session() as s:
                latest = await maintenance.latest_statuses(s, world.org.id, world.cp_uuid)
            return (
                latest.get("firmware") and latest["firmware"].status,
                latest.get("diagnostics") and latest["diagnostics"].status,
            ) == ("Installed", "Uploaded")

        await until(reported)
    finally:
        await sim.close()


async def test_status_notifications_are_stored_and_the_latest_wins(
    db: Database, gw: RunningGateway, world: World
) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        for status in ("Downloading", "DownloadFailed"):
            assert await c.ok("FirmwareStatusNotification", {"status": status}) == {}
        assert await c.ok("DiagnosticsStatusNotification", {"status": "UploadFailed"}) == {}
        bad = await c.call("FirmwareStatusNotification", {"status": "Exploded"})
        assert bad[0] == 4  # not a 1.6 status: refused by the schema, nothing stored
    async with db.session() as s:
        latest = await maintenance.latest_statuses(s, world.org.id, world.cp_uuid)
        assert {k: v.status for k, v in latest.items()} == {"firmware": "DownloadFailed", "diagnostics": "UploadFailed"}
        outsider = await make_org(s)
        with pytest.raises(NotFound):
            await maintenance.latest_statuses(s, outsider.id, world.cp_uuid)


async def test_firmware_and_diagnostics_refuse_bad_addresses_and_other_tenants(db: Database, world: World) -> None:
    when = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    async with db.session() as s:
        for url in (
            "",
            "firmware.bin",
            "file:///etc/passwd",
            "https://",
            "javascript:alert(1)",
            "https://x.example/a b",
            "https://x.example/" + "a" * 600,
        ):
            with pytest.raises(ValidationFailed):
                await maintenance.update_firmware(s, ACTOR, world.org.id, world.cp_uuid, url, when)
            with pytest.raises(ValidationFailed):
                await maintenance.request_diagnostics(s, ACTOR, world.org.id, world.cp_uuid, url)
        with pytest.raises(ValidationFailed):
            await maintenance.update_firmware(
                s, ACTOR, world.org.id, world.cp_uuid, "https://x.example/f", datetime(2026, 3, 1, 10, 0)
            )  # naive: which time zone?
        outsider = await make_org(s)
        with pytest.raises(NotFound):
            await maintenance.update_firmware(s, ACTOR, outsider.id, world.cp_uuid, "https://x.example/f", when)
        with pytest.raises(NotFound):
            await maintenance.request_diagnostics(s, ACTOR, outsider.id, world.cp_uuid, "https://x.example/f")
        assert await s.scalar(select(func.count()).select_from(ChargerCommand)) == 0


async def test_retiring_ends_the_open_session_and_refuses_the_charger(
    db: Database, gw: RunningGateway, world: World
) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        started = await c.ok(
            "StartTransaction", {"connectorId": 1, "idTag": world.tag.uid, "meterStart": 1000, "timestamp": ts(0)}
        )
        tx = started["transactionId"]
        await c.ok(
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": tx,
                "meterValue": [{"timestamp": ts(30), "sampledValue": [{"value": "4500"}]}],
            },
        )
    async with db.session() as s:
        await retire_charge_point(s, ACTOR, world.org.id, world.cp_uuid)
        row = await s.get(ChargingSession, tx)
        assert row is not None
        assert (row.state, row.energy_wh, row.meter_stop_wh, row.stop_reason) == (
            SessionState.stopped,
            3500,
            4500,
            "Other",
        )
        assert anomalies.NO_STOP_RECEIVED in row.anomalies
        with pytest.raises(Conflict):
            await retire_charge_point(s, ACTOR, world.org.id, world.cp_uuid)
    assert await _status_of(charger(gw.url, world.cp_id, world.password)) == 403


async def test_a_new_password_is_easy_to_type_and_the_old_one_stops_working(
    db: Database, gw: RunningGateway, world: World
) -> None:
    for _ in range(50):
        password = generate_password()
        # Four groups of four, lower case letters and digits without 0/o, 1/l/i; at most 20 bytes (OCPP 1.6).
        assert re.fullmatch(r"[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}", password), password
        assert 16 <= len(password.encode()) <= 20
    async with charger(gw.url, world.cp_id, world.password) as open_socket:
        await eventually(lambda: gw.gateway.holds(world.cp_uuid))
        async with db.session() as s:
            new = await rotate_credential(s, ACTOR, world.org.id, world.cp_uuid)
            outsider = await make_org(s)
            with pytest.raises(NotFound):
                await rotate_credential(s, ACTOR, outsider.id, world.cp_uuid)
        # The socket opened with the old password does not outlive it.
        with pytest.raises(ConnectionClosed) as closed:
            await open_socket.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert new != world.password
    assert await _status_of(charger(gw.url, world.cp_id, world.password)) == 401
    async with charger(gw.url, world.cp_id, new) as c:
        assert "currentTime" in await c.ok("Heartbeat", {})
