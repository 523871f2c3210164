"""Connection, boot, heartbeat and reconnect against a real socket."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from tests.simulator.conftest import CURRENT_TIME, CentralSystem, until


async def test_boot_sends_basic_auth_subprotocol_and_exact_frames(central: CentralSystem, make_charger: Any) -> None:
    charger = make_charger("CP-1", connectors=1)
    async with asyncio.timeout(10):
        await charger.connect()
        await central.wait_for("StatusNotification", 2)

    request = central.requests[0]
    assert request.path == "/ocpp/CP-1"
    assert request.headers["Sec-WebSocket-Protocol"] == "ocpp1.6"
    expected = base64.b64encode(b"CP-1:s3cret-s3cret-s3cret").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert [frame for _, frame in central.frames] == [
        [
            2,
            "1",
            "BootNotification",
            {
                "chargePointVendor": "Ladeportal",
                "chargePointModel": "SIM-22",
                "chargePointSerialNumber": "CP-1",
                "firmwareVersion": "1.0.0",
            },
        ],
        [
            2,
            "2",
            "StatusNotification",
            {
                "connectorId": 0,
                "errorCode": "NoError",
                "status": "Available",
                "timestamp": "2025-03-01T10:00:00.000Z",
            },
        ],
        [
            2,
            "3",
            "StatusNotification",
            {
                "connectorId": 1,
                "errorCode": "NoError",
                "status": "Available",
                "timestamp": "2025-03-01T10:00:00.000Z",
            },
        ],
    ]
    assert charger.registration == "Accepted"
    assert charger.last_reply("BootNotification") == {
        "currentTime": CURRENT_TIME,
        "interval": 300,
        "status": "Accepted",
    }


async def test_heartbeat_follows_the_interval_the_server_returns(central: CentralSystem, make_charger: Any) -> None:
    central.boot_replies.append({"currentTime": CURRENT_TIME, "interval": 1, "status": "Accepted"})
    charger = make_charger()
    assert charger.config.get_int("HeartbeatInterval") == 300
    async with asyncio.timeout(30):
        await charger.connect()
        assert charger.config.get_int("HeartbeatInterval") == 1
        # Unprompted beats: with the 300 s default none would come before the generous timeout.
        await central.wait_for("Heartbeat", 2, within=25)
    assert central.calls("Heartbeat")[:2] == [{}, {}]
    assert central.actions()[:4] == ["BootNotification"] + ["StatusNotification"] * 3  # then the beats
    assert charger.last_reply("Heartbeat") == {"currentTime": CURRENT_TIME}


async def test_pending_and_rejected_boot_are_retried_after_the_interval(
    central: CentralSystem, make_charger: Any
) -> None:
    central.boot_replies += [
        {"currentTime": CURRENT_TIME, "interval": 1, "status": "Rejected"},
        {"currentTime": CURRENT_TIME, "interval": 1, "status": "Pending"},
    ]
    charger = make_charger()
    async with asyncio.timeout(10):
        connecting = asyncio.create_task(charger.connect())
        await central.wait_for("BootNotification", 1)
        await asyncio.sleep(0.5)
        assert not connecting.done()  # still waiting out the Rejected interval
        assert central.actions() == ["BootNotification"]  # nothing else before acceptance
        await connecting
    assert len(central.calls("BootNotification")) == 3
    assert charger.registration == "Accepted"


async def test_trigger_message_cuts_a_pending_wait_short(central: CentralSystem, make_charger: Any) -> None:
    central.boot_replies.append({"currentTime": CURRENT_TIME, "interval": 60, "status": "Pending"})
    charger = make_charger()
    async with asyncio.timeout(10):
        connecting = asyncio.create_task(charger.connect())
        await central.wait_for("BootNotification", 1)
        reply = await central.call("CP-1", "TriggerMessage", {"requestedMessage": "BootNotification"})
        assert reply[2] == {"status": "Accepted"}
        await connecting
    assert len(central.calls("BootNotification")) == 2


async def test_reconnects_without_a_new_boot_after_the_server_closes(central: CentralSystem, make_charger: Any) -> None:
    charger = make_charger()
    async with asyncio.timeout(10):
        await charger.connect()
        await central.connections["CP-1"].close()
        await until(lambda: charger.connects == 2 and charger.online)
        await charger.heartbeat()
    assert len(central.requests) == 2
    assert len(central.calls("BootNotification")) == 1  # a network blip is not a reboot
    assert central.actions()[-1] == "Heartbeat"


async def test_reconnects_when_the_server_comes_back(central: CentralSystem, make_charger: Any) -> None:
    charger = make_charger()
    async with asyncio.timeout(10):
        await charger.connect()
        await central.stop()
        await until(lambda: not charger.online)
        await asyncio.sleep(0.2)  # a few refused connects in between
        assert charger.last_connect_error is not None
        await central.start_on(central.port)
        await until(lambda: charger.online)
    assert charger.connects == 2


async def test_call_error_replies_are_recorded_and_transaction_messages_retried(
    central: CentralSystem, make_charger: Any
) -> None:
    central.overrides["Heartbeat"] = [("error", "InternalError")]
    central.overrides["StartTransaction"] = [("error", "InternalError")]
    charger = make_charger()
    charger.config.set("TransactionMessageRetryInterval", "0")
    async with asyncio.timeout(10):
        await charger.connect()
        await charger.data_transfer("Ladeportal", "ping", "x")
        try:
            await charger.heartbeat()
        except Exception as exc:
            assert type(exc).__name__ == "CallErrorReply"
        transaction = await charger.swipe("04A1B2C3", connector=1)
    assert [error.code for error in charger.call_errors] == ["InternalError", "InternalError"]
    assert len(central.calls("StartTransaction")) == 2  # the same start, retried
    assert central.calls("StartTransaction")[0] == central.calls("StartTransaction")[1]
    assert transaction is not None and transaction.transaction_id == 1001
    assert charger.online
