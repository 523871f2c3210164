"""Offline periods: queued transaction messages replay in order with their original timestamps."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.simulator.conftest import CentralSystem, FakeClock


async def test_messages_queued_offline_replay_in_order_with_original_timestamps(
    central: CentralSystem, make_charger: Any, clock: FakeClock
) -> None:
    charger = make_charger()
    async with asyncio.timeout(10):
        await charger.connect()
        await charger.swipe("04A1B2C3", connector=1)
        await charger.go_offline()
        mark = len(central.frames)
        clock.advance(60)
        await charger.meter_tick(1)
        clock.advance(60)
        await charger.meter_tick(1)
        clock.advance(30)
        await charger.swipe("04A1B2C3", connector=1)
        await charger.plug_out(1)
        assert len(central.frames) == mark  # nothing leaks while offline
        assert [item.action for item in charger.outbox.items] == ["MeterValues", "MeterValues", "StopTransaction"]
        clock.advance(600)  # the network comes back ten minutes later
        await charger.go_online()
        await central.wait_for("StatusNotification", 6)

    replayed = [frame for _, frame in central.frames[mark:]]
    assert [frame[2] for frame in replayed] == [
        "MeterValues",
        "MeterValues",
        "StopTransaction",
        "StatusNotification",
    ]
    meter_1, meter_2, stop, unplugged = (frame[3] for frame in replayed)
    assert meter_1["transactionId"] == meter_2["transactionId"] == stop["transactionId"] == 1001
    assert meter_1["meterValue"][0]["timestamp"] == "2025-03-01T10:01:00.000Z"
    assert meter_1["meterValue"][0]["sampledValue"][0]["value"] == "184"
    assert meter_2["meterValue"][0]["timestamp"] == "2025-03-01T10:02:00.000Z"
    assert meter_2["meterValue"][0]["sampledValue"][0]["value"] == "368"
    assert (stop["timestamp"], stop["meterStop"], stop["reason"]) == ("2025-03-01T10:02:30.000Z", 460, "Local")
    # The unplug is reported as it is now: statuses are state, not history.
    assert (unplugged["connectorId"], unplugged["status"]) == (1, "Available")
    assert central.calls("BootNotification") == central.calls("BootNotification")[:1]  # no reboot
    assert len(central.requests) == 2


async def test_local_list_authorizes_offline_and_the_start_is_sent_later(
    central: CentralSystem, make_charger: Any, clock: FakeClock
) -> None:
    central.valid_tags.add("LOCAL001")
    charger = make_charger()
    full_list = {
        "listVersion": 3,
        "updateType": "Full",
        "localAuthorizationList": [
            {"idTag": "LOCAL001", "idTagInfo": {"status": "Accepted"}},
            {"idTag": "BLOCKED9", "idTagInfo": {"status": "Blocked"}},
        ],
    }
    async with asyncio.timeout(10):
        await charger.connect()
        reply = await central.call("CP-1", "SendLocalList", full_list)
        assert reply == [3, "cs-1", {"status": "Accepted"}]
        assert (await central.call("CP-1", "GetLocalListVersion", {}))[2] == {"listVersion": 3}
        stale = {"listVersion": 2, "updateType": "Differential", "localAuthorizationList": []}
        assert (await central.call("CP-1", "SendLocalList", stale))[2] == {"status": "VersionMismatch"}
        assert charger.local_list.version == 3
        assert set(charger.local_list.entries) == {"LOCAL001", "BLOCKED9"}

        await charger.go_offline()
        clock.advance(60)
        transaction = await charger.swipe("LOCAL001", connector=2)
        assert await charger.swipe("BLOCKED9", connector=1) is None
        assert await charger.swipe("NOTKNOWN", connector=1) is None  # AllowOfflineTxForUnknownId off
        assert transaction is not None and transaction.transaction_id is None
        clock.advance(120)
        await charger.swipe("LOCAL001", connector=2)
        await charger.go_online()

    assert central.calls("Authorize") == []
    assert central.calls("StartTransaction") == [
        {"connectorId": 2, "idTag": "LOCAL001", "meterStart": 0, "timestamp": "2025-03-01T10:01:00.000Z"},
    ]
    stop = central.calls("StopTransaction")[0]
    assert (stop["transactionId"], stop["timestamp"], stop["meterStop"]) == (
        1001,
        "2025-03-01T10:03:00.000Z",
        368,
    )
    assert transaction.transaction_id == 1001


async def test_differential_update_adds_and_removes_entries(central: CentralSystem, make_charger: Any) -> None:
    charger = make_charger()
    async with asyncio.timeout(10):
        await charger.connect()
        await central.call(
            "CP-1",
            "SendLocalList",
            {
                "listVersion": 1,
                "updateType": "Full",
                "localAuthorizationList": [{"idTag": "A", "idTagInfo": {"status": "Accepted"}}],
            },
        )
        reply = await central.call(
            "CP-1",
            "SendLocalList",
            {
                "listVersion": 2,
                "updateType": "Differential",
                "localAuthorizationList": [{"idTag": "A"}, {"idTag": "B", "idTagInfo": {"status": "Accepted"}}],
            },
        )
    assert reply[2] == {"status": "Accepted"}
    assert (charger.local_list.version, list(charger.local_list.entries)) == (2, ["B"])


async def test_reboot_sends_a_new_boot_and_keeps_queued_messages(central: CentralSystem, make_charger: Any) -> None:
    charger = make_charger()
    async with asyncio.timeout(10):
        await charger.connect()
        await charger.swipe("04A1B2C3", connector=1)
        await charger.reboot()
    assert len(central.calls("BootNotification")) == 2
    assert central.calls("StopTransaction")[0]["reason"] == "Reboot"
    assert charger.boots == 2 and charger.connects == 2
