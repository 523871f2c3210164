"""RFID sessions: Authorize, StartTransaction, MeterValues, StopTransaction with exact payloads."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.simulator.conftest import CentralSystem, FakeClock


def status(connector: int, value: str, at: str) -> list[Any]:
    return ["StatusNotification", {"connectorId": connector, "errorCode": "NoError", "status": value, "timestamp": at}]


def sampled(energy: str, soc: str, context: str = "Sample.Periodic") -> list[dict[str, str]]:
    def value(v: str, measurand: str, unit: str, **extra: str) -> dict[str, str]:
        return {
            "value": v,
            "context": context,
            "format": "Raw",
            "measurand": measurand,
            "location": "Outlet",
            "unit": unit,
            **extra,
        }

    return [
        value(energy, "Energy.Active.Import.Register", "Wh"),
        value("11040.0", "Power.Active.Import", "W"),
        *(value("16.0", "Current.Import", "A", phase=p) for p in ("L1", "L2", "L3")),
        *(value("230.0", "Voltage", "V", phase=f"{p}-N") for p in ("L1", "L2", "L3")),
        {**value(soc, "SoC", "Percent"), "location": "EV"},
    ]


def register(value: str, context: str) -> dict[str, str]:
    return {
        "value": value,
        "context": context,
        "format": "Raw",
        "measurand": "Energy.Active.Import.Register",
        "location": "Outlet",
        "unit": "Wh",
    }


async def test_swipe_charges_samples_and_stops_with_the_right_meter_values(
    central: CentralSystem, make_charger: Any, clock: FakeClock
) -> None:
    charger = make_charger()
    async with asyncio.timeout(10):
        await charger.connect()
        await central.wait_for("StatusNotification", 3)
        mark = len(central.frames)
        transaction = await charger.swipe("04A1B2C3", connector=1)
        clock.advance(60)
        await charger.meter_tick(1)
        clock.advance(30)
        stopped = await charger.swipe("04A1B2C3", connector=1)
        await charger.plug_out(1)

    assert transaction is stopped and transaction.transaction_id == 1001
    t0, t1, t2 = "2025-03-01T10:00:00.000Z", "2025-03-01T10:01:00.000Z", "2025-03-01T10:01:30.000Z"
    assert [frame[2:] for _, frame in central.frames[mark:]] == [
        ["Authorize", {"idTag": "04A1B2C3"}],
        status(1, "Preparing", t0),
        ["StartTransaction", {"connectorId": 1, "idTag": "04A1B2C3", "meterStart": 0, "timestamp": t0}],
        status(1, "Charging", t0),
        # 11,040 W for 60 s = 184 Wh; the register is in Wh, as the unit says.
        [
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": 1001,
                "meterValue": [{"timestamp": t1, "sampledValue": sampled("184", "20.3")}],
            },
        ],
        [
            "StopTransaction",
            {
                "transactionId": 1001,
                "idTag": "04A1B2C3",
                "meterStop": 276,
                "timestamp": t2,
                "reason": "Local",
                "transactionData": [
                    {"timestamp": t0, "sampledValue": [register("0", "Transaction.Begin")]},
                    {"timestamp": t2, "sampledValue": [register("276", "Transaction.End")]},
                ],
            },
        ],
        status(1, "Finishing", t2),
        status(1, "Available", t2),
    ]
    assert len(sampled("0", "0")) == 9  # the benchmark's MeterValues shape


async def test_unknown_tag_is_refused_without_a_transaction(central: CentralSystem, make_charger: Any) -> None:
    charger = make_charger()
    async with asyncio.timeout(10):
        await charger.connect()
        assert await charger.swipe("DEADBEEF", connector=2) is None
    assert central.calls("Authorize") == [{"idTag": "DEADBEEF"}]
    assert central.calls("StartTransaction") == []
    assert charger.last_reply("Authorize") == {"idTagInfo": {"status": "Invalid"}}


async def test_unplugging_ends_the_transaction_as_ev_disconnected(
    central: CentralSystem, make_charger: Any, clock: FakeClock
) -> None:
    charger = make_charger()
    async with asyncio.timeout(10):
        await charger.connect()
        await charger.plug_in(2)
        await charger.swipe("04D5E6F7", connector=2)
        clock.advance(3600)
        await charger.plug_out(2)
    stop = central.calls("StopTransaction")[0]
    assert (stop["reason"], stop["meterStop"], stop["transactionId"]) == ("EVDisconnected", 11040, 1001)
    assert [s["status"] for s in central.calls("StatusNotification") if s["connectorId"] == 2] == [
        "Available",
        "Preparing",
        "Charging",
        "Available",
    ]


async def test_periodic_meter_values_follow_the_sample_interval(central: CentralSystem, make_charger: Any) -> None:
    charger = make_charger(meter_interval=1)
    async with asyncio.timeout(10):
        await charger.connect()
        await charger.swipe("04A1B2C3", connector=1)
        values = await central.wait_for("MeterValues", 2, within=5)
    assert all(v["transactionId"] == 1001 and len(v["meterValue"][0]["sampledValue"]) == 9 for v in values)


async def test_start_rejected_by_the_central_system_is_stopped_as_deauthorized(
    central: CentralSystem, make_charger: Any
) -> None:
    central.overrides["Authorize"] = [{"idTagInfo": {"status": "Accepted"}}]
    charger = make_charger()
    async with asyncio.timeout(10):
        await charger.connect()
        await charger.swipe("BLOCKED1", connector=1)  # Authorize says yes, StartTransaction says no
        stops = await central.wait_for("StopTransaction", 1)
    assert stops[0]["reason"] == "DeAuthorized"
    assert stops[0]["transactionId"] == 1001
