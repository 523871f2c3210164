"""Every charger-initiated OCPP 1.6 message, positive and negative, with exact frames where fixed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ladeportal.chargers.history_models import ChargerNotification, ConnectorStatusEvent, UnknownTagSighting
from ladeportal.chargers.models import ChargePoint, Connector
from ladeportal.chargers.services import activate_charge_point
from ladeportal.db.engine import Database
from tests.factories import ACTOR, make_tag
from tests.ocpp.conftest import RunningGateway, World, charger, ts

BOOT = {
    "chargePointVendor": "Easee",
    "chargePointModel": "Home",
    "chargePointSerialNumber": "SN-1",
    "firmwareVersion": "1.2.3",
}


async def test_boot_of_active_charger_is_accepted_and_stored(db: Database, gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        answer = await c.ok("BootNotification", BOOT)
    assert answer["status"] == "Accepted"
    assert answer["interval"] == 120
    assert datetime.fromisoformat(answer["currentTime"]) - datetime.now(UTC) < timedelta(seconds=5)
    async with db.session() as s:
        cp = await s.get(ChargePoint, world.cp_uuid)
    assert cp is not None
    assert (cp.vendor, cp.model, cp.serial_number, cp.firmware_version, cp.ocpp_protocol) == (
        "Easee",
        "Home",
        "SN-1",
        "1.2.3",
        "ocpp1.6",
    )
    assert cp.last_boot_at is not None


async def test_pending_charger_gets_pending_until_activated(db: Database, gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.pending_cp_id, world.pending_password) as c:
        assert (await c.ok("BootNotification", BOOT))["status"] == "Pending"
        async with db.session() as s:
            cp = await s.scalar(select(ChargePoint).where(ChargePoint.ocpp_id == world.pending_cp_id))
            assert cp is not None
            await activate_charge_point(s, ACTOR, world.org.id, cp.id)
        assert (await c.ok("BootNotification", BOOT))["status"] == "Accepted"


async def test_heartbeat_exact_frame(gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        frame = await c.call("Heartbeat", {}, message_id="hb-1")
    assert frame[:2] == [3, "hb-1"]
    assert list(frame[2]) == ["currentTime"]


async def test_status_notification_updates_connector_and_keeps_history(
    db: Database, gw: RunningGateway, world: World
) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        assert await c.call(
            "StatusNotification",
            {"connectorId": 1, "status": "Charging", "errorCode": "NoError", "timestamp": ts(1)},
            "s1",
        ) == [3, "s1", {}]
        await c.ok(
            "StatusNotification",
            {
                "connectorId": 1,
                "status": "Faulted",
                "errorCode": "GroundFailure",
                "vendorErrorCode": "E42",
                "timestamp": ts(2),
            },
        )
        # A late (queued) older notification lands in history but does not overwrite the newer status.
        await c.ok(
            "StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError", "timestamp": ts(0)}
        )
        await c.ok("StatusNotification", {"connectorId": 0, "status": "Available", "errorCode": "NoError"})
    async with db.session() as s:
        conn = await s.scalar(
            select(Connector).where(Connector.charge_point_id == world.cp_uuid, Connector.number == 1)
        )
        history = (await s.scalars(select(ConnectorStatusEvent).order_by(ConnectorStatusEvent.id))).all()
    assert conn is not None and (conn.status, conn.error_code) == ("Faulted", "GroundFailure")
    assert [(h.connector_number, h.status) for h in history] == [
        (1, "Charging"),
        (1, "Faulted"),
        (1, "Available"),
        (0, "Available"),
    ]
    assert history[1].vendor_error_code == "E42"


async def test_status_notification_with_bad_enum_is_rejected(gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        frame = await c.call("StatusNotification", {"connectorId": 1, "status": "Sleeping", "errorCode": "NoError"})
    assert frame[0] == 4 and frame[2] == "PropertyConstraintViolation"


async def test_authorize_statuses_and_unknown_tag_sightings(db: Database, gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        accepted = {"idTagInfo": {"status": "Accepted"}}
        assert await c.call("Authorize", {"idTag": "04A1B2C3"}, "a1") == [3, "a1", accepted]
        assert await c.call("Authorize", {"idTag": "04DEAD01"}, "a2") == [3, "a2", {"idTagInfo": {"status": "Blocked"}}]
        assert await c.call("Authorize", {"idTag": "FFEE0011"}, "a3") == [3, "a3", {"idTagInfo": {"status": "Invalid"}}]
        await c.ok("Authorize", {"idTag": "ffee0011"})
        too_long = await c.call("Authorize", {"idTag": "X" * 21})
        assert too_long[0] == 4 and too_long[2] == "PropertyConstraintViolation"
    async with db.session() as s:
        seen = (await s.scalars(select(UnknownTagSighting))).all()
    assert [(x.uid, x.seen_count, x.charge_point_id) for x in seen] == [("FFEE0011", 2, world.cp_uuid)]
    assert seen[0].first_seen_at <= seen[0].last_seen_at


async def test_authorize_gives_expiry_date_when_known(db: Database, gw: RunningGateway, world: World) -> None:
    from ladeportal.members.groups import default_group

    expiry = datetime(2030, 1, 1, tzinfo=UTC)
    async with db.session() as s:
        group = await default_group(s, world.org.id)
        await make_tag(s, world.org, None, uid="0A0B0C0D", group_id=group.id, expires_at=expiry)
    async with charger(gw.url, world.cp_id, world.password) as c:
        answer = await c.ok("Authorize", {"idTag": "0A0B0C0D"})
    assert answer == {"idTagInfo": {"status": "Accepted", "expiryDate": "2030-01-01T00:00:00Z"}}


async def test_data_transfer_and_notifications_are_recorded(db: Database, gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        assert await c.call("DataTransfer", {"vendorId": "com.example", "messageId": "x", "data": "42"}, "d1") == [
            3,
            "d1",
            {"status": "UnknownVendorId"},
        ]
        assert await c.call("DiagnosticsStatusNotification", {"status": "Uploaded"}, "d2") == [3, "d2", {}]
        assert await c.call("FirmwareStatusNotification", {"status": "Installed"}, "d3") == [3, "d3", {}]
        bad = await c.call("FirmwareStatusNotification", {"status": "Exploded"})
        assert bad[2] == "PropertyConstraintViolation"
    async with db.session() as s:
        rows = (await s.scalars(select(ChargerNotification).order_by(ChargerNotification.id))).all()
    assert [(r.kind, r.status) for r in rows] == [
        ("data_transfer", None),
        ("diagnostics", "Uploaded"),
        ("firmware", "Installed"),
    ]
    assert rows[0].data == {"vendorId": "com.example", "messageId": "x", "data": "42"}
