"""Transactions: where the money comes from. Duplicates, offline replay, orphans, restarts, meter sanity."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from ladeportal.db.engine import Database
from ladeportal.sessions import anomalies
from ladeportal.sessions.meter import unpack
from ladeportal.sessions.models import ChargingSession, MeterReading, OrphanMessage, SessionState
from tests.ocpp.conftest import Charger, RunningGateway, World, charger, running_gateway, ts


def nine_values(register_wh: int, context: str = "Sample.Periodic") -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = [
        {"value": str(register_wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh", "context": context}
    ]
    for phase in ("L1", "L2", "L3"):
        values.append({"value": "230.1", "measurand": "Voltage", "unit": "V", "phase": phase, "context": context})
        values.append({"value": "15.9", "measurand": "Current.Import", "unit": "A", "phase": phase, "context": context})
    values.append({"value": "11000", "measurand": "Power.Active.Import", "unit": "W", "context": context})
    values.append({"value": "55", "measurand": "SoC", "unit": "Percent", "location": "EV", "context": context})
    return values[:9]


def meter_values(tx: int | None, minute: int, register_wh: int, connector: int = 1) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "connectorId": connector,
        "meterValue": [{"timestamp": ts(minute), "sampledValue": nine_values(register_wh)}],
    }
    if tx is not None:
        payload["transactionId"] = tx
    return payload


async def start(
    c: Charger, meter_start: int = 1000, minute: int = 0, tag: str = "04A1B2C3", connector: int = 1
) -> dict[str, Any]:
    return await c.ok(
        "StartTransaction", {"connectorId": connector, "idTag": tag, "meterStart": meter_start, "timestamp": ts(minute)}
    )


async def stop(c: Charger, tx: int, meter_stop: int, minute: int = 30, **extra: Any) -> dict[str, Any]:
    return await c.ok(
        "StopTransaction", {"transactionId": tx, "meterStop": meter_stop, "timestamp": ts(minute), **extra}
    )


def twelve_hours_of_transaction_data(start_wh: int) -> list[dict[str, Any]]:
    """What a charger with one-minute sampling sends in a 12-hour StopTransaction (~300 KB)."""
    return [
        {
            "timestamp": ts(minute % 60, hour=10 + minute // 60, day=1 + (10 + minute // 60) // 24),
            "sampledValue": nine_values(start_wh + minute * 150),
        }
        for minute in range(1, 12 * 60 + 1)
    ]


async def session_row(db: Database, tx: int) -> ChargingSession:
    async with db.session() as s:
        row = await s.get(ChargingSession, tx)
    assert row is not None
    return row


@pytest.fixture
def priced(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    async def fake_price(session: object, charging_session: ChargingSession) -> None:
        calls.append(charging_session.id)
        charging_session.cost_total_minor = charging_session.energy_wh or 0
        charging_session.currency = "NOK"

    monkeypatch.setattr("ladeportal.sessions.services.price_finished_session", fake_price)
    return calls


async def test_rfid_session_from_start_to_stop(
    db: Database, gw: RunningGateway, world: World, priced: list[int]
) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        started = await start(c, meter_start=1000)
        tx = started["transactionId"]
        assert started["idTagInfo"] == {"status": "Accepted"}
        assert await c.call("MeterValues", meter_values(tx, 10, 4000), "mv1") == [3, "mv1", {}]
        stopped = await stop(
            c,
            tx,
            9000,
            idTag="04A1B2C3",
            reason="Local",
            transactionData=[{"timestamp": ts(30), "sampledValue": [{"value": "9000", "context": "Transaction.End"}]}],
        )
    assert stopped == {"idTagInfo": {"status": "Accepted"}}
    row = await session_row(db, tx)
    assert row.state == SessionState.stopped
    assert (row.meter_start_wh, row.meter_stop_wh, row.energy_wh) == (1000, 9000, 8000)
    assert row.started_at.isoformat() == "2026-03-01T10:00:00+00:00"
    assert row.stopped_at is not None and row.stopped_at.isoformat() == "2026-03-01T10:30:00+00:00"
    assert (row.membership_id, row.tag_id, row.stop_reason) == (world.member.id, world.tag.id, "Local")
    assert row.anomalies == []
    assert priced == [tx] and row.cost_total_minor == 8000
    async with db.session() as s:
        readings = (await s.scalars(select(MeterReading).order_by(MeterReading.id))).all()
    assert [(r.session_id, r.energy_wh, len(r.samples)) for r in readings] == [(tx, 4000, 9), (tx, 9000, 1)]
    first = [unpack(x) for x in readings[0].samples]
    assert first[1] == {
        "measurand": "Voltage",
        "value": "230.1",
        "unit": "V",
        "context": "Sample.Periodic",
        "location": "Outlet",
        "format": "Raw",
        "phase": "L1",
    }
    assert first[0]["measurand"] == "Energy.Active.Import.Register"


async def test_duplicate_start_returns_same_transaction(db: Database, gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        first = await start(c)
        again = await start(c)  # resent with a new message id after a lost answer
    assert first == again
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(ChargingSession)) == 1


async def test_duplicate_stop_is_acknowledged_and_bills_once(
    db: Database, gw: RunningGateway, world: World, priced: list[int]
) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        tx = (await start(c))["transactionId"]
        assert await stop(c, tx, 5000) == {}
        assert await stop(c, tx, 5000) == {}
    async with charger(gw.url, world.cp_id, world.password) as c:  # after a reboot, resent once more
        assert await stop(c, tx, 5000, idTag="04A1B2C3") == {"idTagInfo": {"status": "Accepted"}}
    row = await session_row(db, tx)
    assert row.energy_wh == 4000 and priced == [tx] and row.anomalies == []


async def test_offline_queue_replayed_with_old_timestamps(db: Database, gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        # Two whole sessions that happened while offline, sent in order after reconnecting.
        tx1 = (
            await c.ok(
                "StartTransaction",
                {"connectorId": 1, "idTag": "04A1B2C3", "meterStart": 100, "timestamp": "2026-02-01T08:00:00Z"},
            )
        )["transactionId"]
        await c.ok(
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": tx1,
                "meterValue": [
                    {"timestamp": "2026-02-01T08:15:00Z", "sampledValue": [{"value": "1100"}]},
                    {"timestamp": "2026-02-01T08:30:00Z", "sampledValue": [{"value": "2100"}]},
                ],
            },
        )
        await c.ok("StopTransaction", {"transactionId": tx1, "meterStop": 3100, "timestamp": "2026-02-01T08:45:00Z"})
        tx2 = (
            await c.ok(
                "StartTransaction",
                {"connectorId": 1, "idTag": "04A1B2C3", "meterStart": 3100, "timestamp": "2026-02-01T12:00:00Z"},
            )
        )["transactionId"]
        await c.ok("StopTransaction", {"transactionId": tx2, "meterStop": 3600, "timestamp": "2026-02-01T12:10:00Z"})
    one, two = await session_row(db, tx1), await session_row(db, tx2)
    assert (one.energy_wh, one.started_at.hour, one.stopped_at and one.stopped_at.minute) == (3000, 8, 45)
    assert (two.energy_wh, two.anomalies) == (500, [])


async def test_transaction_survives_a_server_restart(db: Database, world: World) -> None:
    async with running_gateway(db) as first, charger(first.url, world.cp_id, world.password) as c:
        tx = (await start(c, meter_start=2000))["transactionId"]
        await c.ok("MeterValues", meter_values(tx, 5, 2500))
    # New process, new gateway; the charger does not boot again, it just carries on.
    async with running_gateway(db) as second, charger(second.url, world.cp_id, world.password) as c:
        await c.ok("MeterValues", meter_values(tx, 10, 3000))
        await c.ok("MeterValues", meter_values(tx, 15, 100))  # meter reset after the outage
        assert await stop(c, tx, 600) == {}
    row = await session_row(db, tx)
    assert row.energy_wh == 1000 + 600 and anomalies.METER_RESET in row.anomalies


async def test_blocked_tag_is_answered_blocked_but_energy_is_recorded(
    db: Database, gw: RunningGateway, world: World
) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        started = await start(c, tag="04DEAD01")
        assert started["idTagInfo"] == {"status": "Blocked"}
        await stop(c, started["transactionId"], 2500)
        unknown = await start(c, tag="0BADBEEF", connector=2)
        assert unknown["idTagInfo"] == {"status": "Invalid"}
    row = await session_row(db, started["transactionId"])
    assert (row.auth_status, row.energy_wh, row.anomalies) == ("Blocked", 1500, [anomalies.TAG_NOT_ACCEPTED])


async def test_another_chargers_transaction_is_never_touched(db: Database, gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as a:
        tx = (await start(a))["transactionId"]
        async with charger(gw.url, world.other_cp_id, world.other_password) as b:
            assert await b.call(
                "StopTransaction", {"transactionId": tx, "meterStop": 99999, "timestamp": ts(5)}, "evil"
            ) == [3, "evil", {}]
            assert await b.call("MeterValues", meter_values(tx, 6, 99999), "evil2") == [3, "evil2", {}]
        await a.ok("MeterValues", meter_values(tx, 7, 1500))
        await stop(a, tx, 2000)
    row = await session_row(db, tx)
    assert (row.energy_wh, row.anomalies) == (1000, [])
    async with db.session() as s:
        orphans = (await s.scalars(select(OrphanMessage).order_by(OrphanMessage.id))).all()
        readings = await s.scalar(select(func.count()).select_from(MeterReading))
    assert [(o.action, o.transaction_id) for o in orphans] == [("StopTransaction", tx), ("MeterValues", tx)]
    assert readings == 1


async def test_orphan_stop_and_meter_values_are_acknowledged_and_parked(
    db: Database, gw: RunningGateway, world: World
) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        assert await stop(c, -1, 500) == {}
        assert await stop(c, 424242, 500, idTag="04A1B2C3") == {"idTagInfo": {"status": "Accepted"}}
        assert await c.ok("MeterValues", meter_values(777, 1, 10)) == {}
        # Without a transaction, meter values are ordinary connector data, not orphans.
        assert await c.ok("MeterValues", meter_values(None, 2, 10)) == {}
    async with db.session() as s:
        orphans = (await s.scalars(select(OrphanMessage).order_by(OrphanMessage.id))).all()
        loose = (await s.scalars(select(MeterReading))).all()
    assert [(o.action, o.transaction_id, o.resolved_at) for o in orphans] == [
        ("StopTransaction", -1, None),
        ("StopTransaction", 424242, None),
        ("MeterValues", 777, None),
    ]
    assert orphans[0].payload["meterStop"] == 500
    assert [(r.session_id, r.energy_wh) for r in loose] == [(None, 10)]


async def test_meter_stop_below_meter_start_is_flagged(db: Database, gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        tx = (await start(c, meter_start=5000))["transactionId"]
        assert await stop(c, tx, 4000) == {}
    row = await session_row(db, tx)
    assert (row.energy_wh, row.anomalies) == (0, [anomalies.STOP_BELOW_START])


async def test_kwh_units_and_missing_register(db: Database, gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        tx = (await start(c, meter_start=10000))["transactionId"]
        await c.ok(
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": tx,
                "meterValue": [{"timestamp": ts(5), "sampledValue": [{"value": "12.5", "unit": "kWh"}]}],
            },
        )
        await c.ok(
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": tx,
                "meterValue": [
                    {"timestamp": ts(6), "sampledValue": [{"value": "230", "measurand": "Voltage", "unit": "V"}]}
                ],
            },
        )
        # A charger that sends kWh but calls it Wh.
        await c.ok(
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": tx,
                "meterValue": [{"timestamp": ts(7), "sampledValue": [{"value": "13.25", "unit": "Wh"}]}],
            },
        )
        await stop(c, tx, 14000)
    row = await session_row(db, tx)
    assert row.energy_wh == 4000
    assert set(row.anomalies) == {anomalies.KWH_CONVERTED, anomalies.MISSING_REGISTER, anomalies.KWH_MISLABELLED}


async def test_start_value_zero_after_offline_start_is_rebased(db: Database, gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        first = (await start(c, meter_start=40000, minute=0))["transactionId"]
        await stop(c, first, 50000, minute=10)
        second = (await start(c, meter_start=0, minute=20))["transactionId"]
        await stop(c, second, 55000, minute=40)
    row = await session_row(db, second)
    assert (row.energy_wh, row.anomalies) == (5000, [anomalies.START_ZERO_REBASED])


async def test_new_start_closes_a_session_whose_stop_was_lost(db: Database, gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        lost = (await start(c, meter_start=1000, minute=0))["transactionId"]
        await c.ok("MeterValues", meter_values(lost, 10, 1800))
        new = (await start(c, meter_start=2000, minute=30))["transactionId"]
    old = await session_row(db, lost)
    assert old.state == SessionState.stopped and old.stop_reason == "NoStopReceived"
    assert (old.energy_wh, old.anomalies) == (1000, [anomalies.NO_STOP_RECEIVED])
    assert (await session_row(db, new)).state == SessionState.active


async def test_a_stop_with_twelve_hours_of_transaction_data_is_stored(
    db: Database, gw: RunningGateway, world: World
) -> None:
    data = twelve_hours_of_transaction_data(1000)
    async with charger(gw.url, world.cp_id, world.password) as c:
        tx = (await start(c, meter_start=1000, minute=0))["transactionId"]
        frame = await c.call(
            "StopTransaction",
            {"transactionId": tx, "meterStop": 1000 + 720 * 150, "timestamp": ts(0, hour=22), "transactionData": data},
        )
        assert len(json.dumps(data)) > 250_000
        assert frame[0] == 3, frame[:4]
    row = await session_row(db, tx)
    assert (row.state, row.energy_wh) == (SessionState.stopped, 720 * 150)
    async with db.session() as s:
        assert (
            await s.scalar(select(func.count()).select_from(MeterReading).where(MeterReading.session_id == tx)) == 720
        )
