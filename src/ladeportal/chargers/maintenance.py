"""Firmware updates (UpdateFirmware) and diagnostics uploads (GetDiagnostics), and what the charger
reported about them since (FirmwareStatusNotification, DiagnosticsStatusNotification).

Both commands go through `commands.send_command`, so they are logged, audited and queued like every
other command; the charger's later notifications are stored by the OCPP handlers in
`charger_notifications` (chargers/status.py) and read back here, newest first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.commands import CommandResult, send_command
from ladeportal.chargers.history_models import ChargerNotification
from ladeportal.chargers.services import get_charge_point
from ladeportal.errors import ValidationFailed
from ladeportal.platform.audit import Actor

# Kinds under which the handlers store the notifications.
FIRMWARE = "firmware"
DIAGNOSTICS = "diagnostics"
# Schemes chargers download firmware from and upload diagnostics to (OCPP 1.6 leaves it to the vendor).
FIRMWARE_SCHEMES = ("http", "https", "ftp", "ftps")
DIAGNOSTICS_SCHEMES = ("http", "https", "ftp", "ftps", "sftp")
MAX_URL = 512


def check_location(value: str | None, field: str, schemes: tuple[str, ...]) -> str:
    text = (value or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if (
        not text
        or len(text) > MAX_URL
        or parts is None
        or parts.scheme.lower() not in schemes
        or not parts.hostname
        or any(c.isspace() for c in text)
    ):
        raise ValidationFailed(
            "Enter a full address that starts with http://, https:// or ftp://.",
            field=field,
            code="charger.address_invalid",
        )
    return text


def _iso(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValidationFailed("Choose a date and time.", field="retrieve_at", code="charger.moment_required")
    return at.isoformat().replace("+00:00", "Z")


async def update_firmware(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    cp_id: uuid.UUID,
    location: str,
    retrieve_at: datetime,
    *,
    timeout_s: float | None = None,
) -> CommandResult:
    """Ask the charger to download firmware from `location` from `retrieve_at` on and install it.
    It reports progress with FirmwareStatusNotification (Downloading, Installed, InstallationFailed...)."""
    await get_charge_point(session, org_id, cp_id)  # NotFound first: another tenant learns nothing more
    url = check_location(location, "location", FIRMWARE_SCHEMES)
    payload = {"location": url, "retrieveDate": _iso(retrieve_at)}
    return await send_command(session, actor, org_id, cp_id, "UpdateFirmware", payload, timeout_s=timeout_s)


async def request_diagnostics(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    cp_id: uuid.UUID,
    location: str,
    *,
    timeout_s: float | None = None,
) -> CommandResult:
    """Ask the charger to upload its diagnostics file to `location`; it answers with the file name and
    reports the upload with DiagnosticsStatusNotification (Uploading, Uploaded, UploadFailed)."""
    await get_charge_point(session, org_id, cp_id)
    url = check_location(location, "location", DIAGNOSTICS_SCHEMES)
    return await send_command(session, actor, org_id, cp_id, "GetDiagnostics", {"location": url}, timeout_s=timeout_s)


@dataclass(frozen=True, slots=True)
class LatestStatus:
    status: str | None
    received_at: datetime


async def latest_statuses(session: AsyncSession, org_id: uuid.UUID, cp_id: uuid.UUID) -> dict[str, LatestStatus]:
    """The newest firmware and diagnostics status the charger reported, by kind (absent: never)."""
    cp = await get_charge_point(session, org_id, cp_id)
    latest: dict[str, LatestStatus] = {}
    for kind in (FIRMWARE, DIAGNOSTICS):
        row = (
            await session.execute(
                select(ChargerNotification.status, ChargerNotification.received_at)
                .where(ChargerNotification.charge_point_id == cp.id, ChargerNotification.kind == kind)
                .order_by(ChargerNotification.received_at.desc(), ChargerNotification.id.desc())
                .limit(1)
            )
        ).first()
        if row is not None:
            latest[kind] = LatestStatus(row.status, row.received_at)
    return latest
