"""Malformed input: the right CALLERROR (1.6 spelling), the connection stays open, nothing is stored."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from websockets.exceptions import ConnectionClosed

from ladeportal.db.engine import Database
from ladeportal.sessions.models import ChargingSession
from tests.ocpp.conftest import MAX_FRAME, RunningGateway, World, charger, ts


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("not json", [4, "-1", "FormationViolation", "Invalid JSON", {}]),
        ('{"a": 1}', [4, "-1", "FormationViolation", "A message is a JSON array [type, id, ...]", {}]),
        ('[2, "x1"]', [4, "-1", "FormationViolation", "A message is a JSON array [type, id, ...]", {}]),
        (
            '[2, 17, "Heartbeat", {}]',
            [4, "-1", "FormationViolation", "The message id is a string of 1-36 characters", {}],
        ),
        ('[2, "x2", "Heartbeat"]', [4, "x2", "FormationViolation", "A CALL is [2, id, action, payload]", {}]),
        ('[2, "x3", "Heartbeat", []]', [4, "x3", "FormationViolation", "The payload of a CALL is a JSON object", {}]),
        ('["2", "x4", "Heartbeat", {}]', [4, "x4", "FormationViolation", "The message type is a number", {}]),
        ('[2, "x5", "FlyToMoon", {}]', [4, "x5", "NotImplemented", "Unknown action FlyToMoon", {}]),
        (
            '[2, "x6", "SecurityEventNotification", {"type": "x", "timestamp": "2026-01-01T00:00:00Z"}]',
            [4, "x6", "NotSupported", "SecurityEventNotification is not supported", {}],
        ),
        (
            '[2, "x7", "BootNotification", {"chargePointVendor": "V"}]',
            [4, "x7", "ProtocolError", "payload must contain ['chargePointModel'] properties", {}],
        ),
        (
            '[2, "x8", "BootNotification", {"chargePointVendor": 5, "chargePointModel": "M"}]',
            [4, "x8", "TypeConstraintViolation", "chargePointVendor must be string", {}],
        ),
        (
            '[2, "x9", "MeterValues", {"connectorId": 1, "meterValue": []}]',
            [4, "x9", "OccurenceConstraintViolation", "meterValue must contain at least 1 items", {}],
        ),
        (
            '[2, "x10", "Heartbeat", {"extra": 1}]',
            [4, "x10", "FormationViolation", "payload must not contain {'extra'} properties", {}],
        ),
    ],
)
async def test_malformed_frame_gets_exact_callerror_and_connection_survives(
    gw: RunningGateway, world: World, raw: str, expected: list[object]
) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        await c.send_raw(raw)
        assert await c.recv() == expected
        assert (await c.ok("Heartbeat", {}))["currentTime"]


async def test_bad_timestamp_is_property_violation_and_stores_nothing(
    db: Database, gw: RunningGateway, world: World
) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        frame = await c.call(
            "StartTransaction", {"connectorId": 1, "idTag": "04A1B2C3", "meterStart": 0, "timestamp": "yesterday"}
        )
        assert frame[2] == "PropertyConstraintViolation"
        frame = await c.call(
            "StartTransaction", {"connectorId": 1, "idTag": "04A1B2C3", "meterStart": "12", "timestamp": ts(0)}
        )
        assert frame[2] == "TypeConstraintViolation"
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(ChargingSession)) == 0


async def test_a_frame_over_the_limit_closes_with_1009_and_the_charger_comes_back(
    gw: RunningGateway, world: World
) -> None:
    payload = {"vendorId": "v", "data": "x" * MAX_FRAME}
    async with charger(gw.url, world.cp_id, world.password) as c:
        await c.send_raw(json.dumps([2, "big-1", "DataTransfer", payload]))
        with pytest.raises(ConnectionClosed) as closed:
            await c.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009  # message too big
    async with charger(gw.url, world.cp_id, world.password) as c:
        assert (await c.ok("Heartbeat", {}))["currentTime"]


async def test_binary_frame_and_unknown_type_and_stray_reply(gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        await c.send_raw(b"\x00\x01")
        assert await c.recv() == [4, "-1", "FormationViolation", "OCPP-J frames are text, not binary", {}]
        # An unknown message type and a reply to nothing are ignored, never answered.
        await c.send_raw('[7, "u1", "Heartbeat", {}]')
        await c.send_raw('[3, "nobody-asked", {}]')
        await c.send_raw('[4, "nobody-asked", "GenericError", "", {}]')
        # The next answer is the Heartbeat's: nothing was sent for the three frames above.
        assert (await c.call("Heartbeat", {}, "after"))[:2] == [3, "after"]
