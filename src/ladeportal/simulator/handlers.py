"""Answers to the CALLs a central system sends to a charge point (OCPP 1.6 chapter 5).

Each handler returns the reply payload and, optionally, what to do once the reply is sent
(a remote start must be confirmed before the StartTransaction goes out)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ladeportal.simulator.frames import HandlerError, Payload

if TYPE_CHECKING:
    from ladeportal.simulator.charger import SimulatedCharger

Followup = Callable[[], Awaitable[None]]
Handler = Callable[["SimulatedCharger", Payload], Awaitable[tuple[Payload, Followup | None]]]


async def remote_start(charger: SimulatedCharger, payload: Payload) -> tuple[Payload, Followup | None]:
    id_tag = str(payload["idTag"])
    wanted = payload.get("connectorId")
    candidates = [wanted] if wanted is not None else list(charger.connectors)
    free = [
        n
        for n in candidates
        if n in charger.connectors and charger.connectors[n].operative and not charger.connectors[n].busy
    ]
    if not free:
        return {"status": "Rejected"}, None
    connector_id = free[0]

    async def start() -> None:
        if charger.config.get_bool("AuthorizeRemoteTxRequests"):
            info = await charger.authorize(id_tag)
            if info.get("status") != "Accepted":
                return
        if not charger.connectors[connector_id].plugged:
            await charger.plug_in(connector_id)
        await charger.start_transaction(connector_id, id_tag)

    return {"status": "Accepted"}, start


async def remote_stop(charger: SimulatedCharger, payload: Payload) -> tuple[Payload, Followup | None]:
    transaction_id = int(payload["transactionId"])
    for connector in charger.connectors.values():
        transaction = connector.transaction
        if connector.busy and transaction is not None and transaction.transaction_id == transaction_id:

            async def stop(connector_id: int = connector.connector_id) -> None:
                await charger.stop_transaction(connector_id, reason="Remote")

            return {"status": "Accepted"}, stop
    return {"status": "Rejected"}, None


async def reset(charger: SimulatedCharger, payload: Payload) -> tuple[Payload, Followup | None]:
    kind = payload["type"]
    if kind not in ("Hard", "Soft"):
        raise HandlerError("PropertyConstraintViolation", f"type {kind!r}")

    async def reboot() -> None:
        await charger.reboot(reason=f"{kind}Reset")

    return {"status": "Accepted"}, reboot


async def unlock_connector(charger: SimulatedCharger, payload: Payload) -> tuple[Payload, Followup | None]:
    connector_id = int(payload["connectorId"])
    connector = charger.connectors.get(connector_id)
    if connector is None:
        return {"status": "NotSupported"}, None
    if not connector.busy:
        return {"status": "Unlocked"}, None

    async def stop() -> None:
        await charger.stop_transaction(connector_id, reason="UnlockCommand")

    return {"status": "Unlocked"}, stop


async def change_availability(charger: SimulatedCharger, payload: Payload) -> tuple[Payload, Followup | None]:
    connector_id = int(payload["connectorId"])
    kind = payload["type"]
    if kind not in ("Inoperative", "Operative"):
        raise HandlerError("PropertyConstraintViolation", f"type {kind!r}")
    if connector_id != 0 and connector_id not in charger.connectors:
        return {"status": "Rejected"}, None
    targets = list(charger.connectors.values()) if connector_id == 0 else [charger.connectors[connector_id]]
    operative = kind == "Operative"
    if connector_id == 0:
        charger.operative = operative
    status = "Accepted"
    changed = []
    for connector in targets:
        if not operative and connector.busy:
            connector.pending_inoperative = True  # applied when the transaction ends
            status = "Scheduled"
            continue
        connector.pending_inoperative = False
        if connector.operative != operative:
            connector.operative = operative
            changed.append(connector.connector_id)

    async def report() -> None:
        if connector_id == 0:
            await charger.send_charge_point_status()
        for n in changed:
            idle = "Preparing" if charger.connectors[n].plugged else "Available"
            await charger.set_status(n, idle if operative else "Unavailable")

    return {"status": status}, report


async def get_configuration(charger: SimulatedCharger, payload: Payload) -> tuple[Payload, Followup | None]:
    keys = payload.get("key")
    if keys is not None and not isinstance(keys, list):
        raise HandlerError("TypeConstraintViolation", "key must be an array")
    known, unknown = charger.config.report(keys)
    reply: Payload = {"configurationKey": known}
    if unknown:
        reply["unknownKey"] = unknown
    return reply, None


async def change_configuration(charger: SimulatedCharger, payload: Payload) -> tuple[Payload, Followup | None]:
    return {"status": charger.config.change(str(payload["key"]), str(payload["value"]))}, None


TRIGGERABLE = (
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
)


async def trigger_message(charger: SimulatedCharger, payload: Payload) -> tuple[Payload, Followup | None]:
    requested = payload["requestedMessage"]
    connector_id = payload.get("connectorId")
    if requested not in TRIGGERABLE:
        return {"status": "NotImplemented"}, None
    if connector_id is not None and connector_id != 0 and connector_id not in charger.connectors:
        return {"status": "Rejected"}, None
    targets = [connector_id] if connector_id else list(charger.connectors)

    async def send() -> None:
        if requested == "BootNotification":
            if charger.registration == "Accepted":
                await charger.boot_notification()
            else:
                charger.wake_boot()  # the boot loop sends it, so it can act on the answer
        elif requested == "Heartbeat":
            await charger.heartbeat()
        elif requested in ("DiagnosticsStatusNotification", "FirmwareStatusNotification"):
            await charger.call(requested, {"status": "Idle"})
        elif requested == "StatusNotification":
            if connector_id == 0:
                await charger.send_charge_point_status()
            for n in targets:
                await charger.set_status(n, charger.connectors[n].status)
        else:
            for n in targets:
                await charger.meter_tick(n, context="Trigger")

    return {"status": "Accepted"}, send


async def clear_cache(charger: SimulatedCharger, payload: Payload) -> tuple[Payload, Followup | None]:
    charger.auth_cache.clear()
    return {"status": "Accepted"}, None


async def get_local_list_version(charger: SimulatedCharger, payload: Payload) -> tuple[Payload, Followup | None]:
    if not charger.config.get_bool("LocalAuthListEnabled"):
        return {"listVersion": -1}, None  # -1: no local list on this charger
    return {"listVersion": charger.local_list.version}, None


async def send_local_list(charger: SimulatedCharger, payload: Payload) -> tuple[Payload, Followup | None]:
    version = int(payload["listVersion"])
    update_type = payload["updateType"]
    items = payload.get("localAuthorizationList") or []
    if not charger.config.get_bool("LocalAuthListEnabled"):
        return {"status": "NotSupported"}, None
    if len(items) > charger.config.get_int("SendLocalListMaxLength"):
        return {"status": "Failed"}, None
    max_length = charger.config.get_int("LocalAuthListMaxLength")
    return {"status": charger.local_list.apply(version, update_type, items, max_length)}, None


async def data_transfer(charger: SimulatedCharger, payload: Payload) -> tuple[Payload, Followup | None]:
    if payload["vendorId"] != charger.data_transfer_vendor:
        return {"status": "UnknownVendorId"}, None
    reply: Payload = {"status": "Accepted"}
    if "data" in payload:
        reply["data"] = payload["data"]  # an echo lets a central system test the round trip
    return reply, None


async def update_firmware(charger: SimulatedCharger, payload: Payload) -> tuple[Payload, Followup | None]:
    """Accept (UpdateFirmware has an empty answer) and report the steps a real charger reports; the
    simulator downloads nothing and keeps its firmware version."""
    if not str(payload.get("location") or ""):
        raise HandlerError("PropertyConstraintViolation", "location is required")

    async def progress() -> None:
        for status in ("Downloading", "Downloaded", "Installing", "Installed"):
            await charger.call("FirmwareStatusNotification", {"status": status})

    return {}, progress


async def get_diagnostics(charger: SimulatedCharger, payload: Payload) -> tuple[Payload, Followup | None]:
    """Name the file it would upload and report the upload (nothing is sent anywhere)."""
    if not str(payload.get("location") or ""):
        raise HandlerError("PropertyConstraintViolation", "location is required")

    async def progress() -> None:
        for status in ("Uploading", "Uploaded"):
            await charger.call("DiagnosticsStatusNotification", {"status": status})

    return {"fileName": f"diagnostics-{charger.charge_point_id}.log"}, progress


def _fixed(reply: Payload) -> Handler:
    """Features a real charger may lack: answer validly without pretending to do them."""

    async def handler(charger: SimulatedCharger, payload: Payload) -> tuple[Payload, Followup | None]:
        return dict(reply), None

    return handler


HANDLERS: dict[str, Handler] = {
    "RemoteStartTransaction": remote_start,
    "RemoteStopTransaction": remote_stop,
    "Reset": reset,
    "UnlockConnector": unlock_connector,
    "ChangeAvailability": change_availability,
    "GetConfiguration": get_configuration,
    "ChangeConfiguration": change_configuration,
    "TriggerMessage": trigger_message,
    "ClearCache": clear_cache,
    "GetLocalListVersion": get_local_list_version,
    "SendLocalList": send_local_list,
    "DataTransfer": data_transfer,
    "ReserveNow": _fixed({"status": "Rejected"}),
    "CancelReservation": _fixed({"status": "Rejected"}),
    "SetChargingProfile": _fixed({"status": "Rejected"}),
    "ClearChargingProfile": _fixed({"status": "Unknown"}),
    "GetCompositeSchedule": _fixed({"status": "Rejected"}),
    "GetDiagnostics": get_diagnostics,
    "UpdateFirmware": update_firmware,
}
