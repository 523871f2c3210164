"""CALLs from the central system: remote start/stop, configuration, triggers, errors."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.simulator.conftest import CentralSystem


async def test_remote_start_is_accepted_and_starts_then_remote_stop_stops(
    central: CentralSystem, make_charger: Any
) -> None:
    charger = make_charger()
    async with asyncio.timeout(10):
        await charger.connect()
        reply = await central.call("CP-1", "RemoteStartTransaction", {"connectorId": 1, "idTag": "04A1B2C3"})
        assert reply == [3, "cs-1", {"status": "Accepted"}]
        starts = await central.wait_for("StartTransaction")
        busy = await central.call("CP-1", "RemoteStartTransaction", {"connectorId": 1, "idTag": "04D5E6F7"})
        unknown = await central.call("CP-1", "RemoteStopTransaction", {"transactionId": 99})
        stop_reply = await central.call("CP-1", "RemoteStopTransaction", {"transactionId": 1001})
        stops = await central.wait_for("StopTransaction")
    assert (starts[0]["connectorId"], starts[0]["idTag"]) == (1, "04A1B2C3")
    assert busy[2] == {"status": "Rejected"}
    assert unknown[2] == {"status": "Rejected"}
    assert stop_reply[2] == {"status": "Accepted"}
    assert (stops[0]["transactionId"], stops[0]["reason"]) == (1001, "Remote")
    assert ("RemoteStartTransaction", {"connectorId": 1, "idTag": "04A1B2C3"}) in charger.received_calls


async def test_configuration_is_read_and_changed(central: CentralSystem, make_charger: Any) -> None:
    charger = make_charger()
    async with asyncio.timeout(10):
        await charger.connect()
        got = await central.call("CP-1", "GetConfiguration", {"key": ["HeartbeatInterval", "Nope"]})
        changes = [
            await central.call("CP-1", "ChangeConfiguration", {"key": key, "value": value})
            for key, value in [
                ("MeterValueSampleInterval", "30"),
                ("NumberOfConnectors", "4"),
                ("Frobnicate", "1"),
                ("HeartbeatInterval", "soon"),
            ]
        ]
        everything = await central.call("CP-1", "GetConfiguration", {})
    assert got[2] == {
        "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
        "unknownKey": ["Nope"],
    }
    assert [c[2]["status"] for c in changes] == ["Accepted", "Rejected", "NotSupported", "Rejected"]
    assert charger.config.get_int("MeterValueSampleInterval") == 30
    assert len(everything[2]["configurationKey"]) > 20 and "unknownKey" not in everything[2]


async def test_trigger_clear_cache_data_transfer_and_availability(central: CentralSystem, make_charger: Any) -> None:
    charger = make_charger()
    async with asyncio.timeout(10):
        await charger.connect()
        await charger.swipe("04A1B2C3", connector=1)
        assert "04A1B2C3" in charger.auth_cache.entries
        trigger = await central.call("CP-1", "TriggerMessage", {"requestedMessage": "Heartbeat"})
        await central.wait_for("Heartbeat")
        meter = await central.call("CP-1", "TriggerMessage", {"requestedMessage": "MeterValues", "connectorId": 1})
        triggered = await central.wait_for("MeterValues")
        cleared = await central.call("CP-1", "ClearCache", {})
        cache_after_clear = dict(charger.auth_cache.entries)
        echo = await central.call("CP-1", "DataTransfer", {"vendorId": "Ladeportal", "data": "ping"})
        other = await central.call("CP-1", "DataTransfer", {"vendorId": "Acme"})
        inoperative = {"type": "Inoperative"}
        scheduled = await central.call("CP-1", "ChangeAvailability", {"connectorId": 1, **inoperative})
        accepted = await central.call("CP-1", "ChangeAvailability", {"connectorId": 2, **inoperative})
        await charger.swipe("04A1B2C3", connector=1)  # the session ends: the scheduled change applies
    assert trigger[2] == meter[2] == {"status": "Accepted"}
    assert triggered[0]["meterValue"][0]["sampledValue"][0]["context"] == "Trigger"
    assert cleared[2] == {"status": "Accepted"} and cache_after_clear == {}
    assert echo[2] == {"status": "Accepted", "data": "ping"}
    assert other[2] == {"status": "UnknownVendorId"}
    assert (scheduled[2], accepted[2]) == ({"status": "Scheduled"}, {"status": "Accepted"})
    statuses = [(s["connectorId"], s["status"]) for s in central.calls("StatusNotification")]
    assert statuses[-2:] == [(2, "Unavailable"), (1, "Unavailable")]


async def test_unlock_and_reset(central: CentralSystem, make_charger: Any) -> None:
    charger = make_charger()
    async with asyncio.timeout(10):
        await charger.connect()
        await charger.swipe("04A1B2C3", connector=1)
        unlock = await central.call("CP-1", "UnlockConnector", {"connectorId": 1})
        missing = await central.call("CP-1", "UnlockConnector", {"connectorId": 9})
        await central.wait_for("StopTransaction")
        await charger.swipe("04D5E6F7", connector=2)
        reset = await central.call("CP-1", "Reset", {"type": "Soft"})
        await central.wait_for("BootNotification", 2)
    assert (unlock[2], missing[2], reset[2]) == (
        {"status": "Unlocked"},
        {"status": "NotSupported"},
        {"status": "Accepted"},
    )
    assert [s["reason"] for s in central.calls("StopTransaction")] == ["UnlockCommand", "SoftReset"]


async def test_unknown_or_malformed_calls_get_call_errors(central: CentralSystem, make_charger: Any) -> None:
    charger = make_charger()
    async with asyncio.timeout(10):
        await charger.connect()
        unknown = await central.call("CP-1", "Frobnicate", {})
        missing = await central.call("CP-1", "RemoteStartTransaction", {"connectorId": 1})
        bad_type = await central.call("CP-1", "Reset", {"type": "Sideways"})
        await charger.heartbeat()  # the connection survives all of that
    assert unknown[:3] == [4, "cs-1", "NotImplemented"]
    assert missing[:3] == [4, "cs-2", "ProtocolError"]
    assert bad_type[:3] == [4, "cs-3", "PropertyConstraintViolation"]
