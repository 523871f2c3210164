"""OCPP 1.6 handlers for what a charger says about itself; each translates and calls the chargers area."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ladeportal.chargers.models import CommissioningState
from ladeportal.chargers.status import (
    BootInfo,
    StatusReport,
    record_notification,
    write_boot_batch,
    write_status_batch,
)
from ladeportal.db.base import utcnow
from ladeportal.ocpp.clock import now_iso
from ladeportal.sessions.meter import parse_timestamp

if TYPE_CHECKING:
    from ladeportal.ocpp.connection import ChargerConnection
    from ladeportal.ocpp.versions import Payload

# A pending charger asks again after this long, so an admin's activation takes effect soon.
PENDING_RETRY_SECONDS = 60


async def boot_notification(conn: ChargerConnection, p: Payload) -> Payload:
    info = BootInfo(
        vendor=p["chargePointVendor"],
        model=p["chargePointModel"],
        serial_number=p.get("chargePointSerialNumber") or p.get("chargeBoxSerialNumber"),
        firmware_version=p.get("firmwareVersion"),
        protocol=conn.version.subprotocol,
    )
    # Group commit: a reconnect storm's boots share transactions (acknowledged after the commit).
    state = await conn.gateway.writes.submit(write_boot_batch, (conn.identity.charge_point_id, info, utcnow()))
    if state == CommissioningState.active:
        return {"status": "Accepted", "currentTime": now_iso(), "interval": conn.gateway.heartbeat_interval}
    if state == CommissioningState.pending:
        return {
            "status": "Pending",
            "currentTime": now_iso(),
            "interval": min(PENDING_RETRY_SECONDS, conn.gateway.heartbeat_interval),
        }
    return {"status": "Rejected", "currentTime": now_iso(), "interval": conn.gateway.heartbeat_interval}


async def heartbeat(conn: ChargerConnection, p: Payload) -> Payload:
    # Liveness is already noted by the connection; no database work on the most frequent message.
    return {"currentTime": now_iso()}


async def status_notification(conn: ChargerConnection, p: Payload) -> Payload:
    reported = p.get("timestamp")
    await conn.check_connector("StatusNotification", p["connectorId"], p)
    await conn.gateway.writes.submit(
        write_status_batch,
        StatusReport(
            conn.identity.charge_point_id,
            p["connectorId"],
            p["status"],
            p["errorCode"],
            p.get("info"),
            p.get("vendorErrorCode"),
            parse_timestamp(reported) if reported else None,
            utcnow(),
        ),
    )
    return {}


async def data_transfer(conn: ChargerConnection, p: Payload) -> Payload:
    async with conn.gateway.db.session() as session:
        await record_notification(session, conn.identity.charge_point_id, "data_transfer", None, dict(p))
    # No vendor extensions are implemented; the charger learns so instead of assuming acceptance.
    return {"status": "UnknownVendorId"}


async def diagnostics_status_notification(conn: ChargerConnection, p: Payload) -> Payload:
    async with conn.gateway.db.session() as session:
        await record_notification(session, conn.identity.charge_point_id, "diagnostics", p["status"])
    return {}


async def firmware_status_notification(conn: ChargerConnection, p: Payload) -> Payload:
    async with conn.gateway.db.session() as session:
        await record_notification(session, conn.identity.charge_point_id, "firmware", p["status"])
    return {}
