"""What one charger's page shows: connectors, current and recent sessions (energy, cost, meter flags),
status history, the last firmware/diagnostics/data-transfer messages and the commands sent with their
results. Every query is bounded (a charger accumulates years of history)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.history_models import ChargerCommand, ChargerNotification, CommandState, ConnectorStatusEvent
from ladeportal.chargers.maintenance import LatestStatus, latest_statuses
from ladeportal.chargers.models import ChargePoint
from ladeportal.chargers.power import grid_limit_w, live_power
from ladeportal.chargers.services import get_charge_point
from ladeportal.db.base import utcnow
from ladeportal.i18n import N_
from ladeportal.members.models import Membership, User
from ladeportal.orgs.models import Site
from ladeportal.sessions.models import ChargingSession, SessionState
from ladeportal.web.portal.readmodels import charger_state

RECENT_SESSIONS = 10
HISTORY = 20
COMMANDS = 10
# Rows read for the command log: automatic access-list pushes fold into one line per run, so a few
# lines may stand for many rows.
COMMAND_ROWS = 200
NOTIFICATIONS = 10


# Commands as the portal names them; others show their OCPP action name.
COMMAND_LABELS = {
    "Reset": N_("Restart"),
    "UnlockConnector": N_("Unlock connector"),
    "ChangeAvailability": N_("Change availability"),
    "RemoteStartTransaction": N_("Remote start"),
    "RemoteStopTransaction": N_("Remote stop"),
    "SendLocalList": N_("Send access list"),
    "UpdateFirmware": N_("Firmware update"),
    "GetDiagnostics": N_("Diagnostics upload"),
}
# What the charger reports while it updates its firmware or uploads its diagnostics (OCPP 1.6 enums).
MAINTENANCE_LABELS = {
    "Idle": N_("Idle"),
    "Downloading": N_("Downloading"),
    "Downloaded": N_("Downloaded"),
    "DownloadFailed": N_("Download failed"),
    "Installing": N_("Installing"),
    "Installed": N_("Installed"),
    "InstallationFailed": N_("Installation failed"),
    "Uploading": N_("Uploading"),
    "Uploaded": N_("Uploaded"),
    "UploadFailed": N_("Upload failed"),
}
COMMAND_STATES = {
    CommandState.queued: N_("Waiting"),
    CommandState.sent: N_("Waiting for the answer"),
    CommandState.answered: N_("Done"),
    CommandState.failed: N_("Refused"),
    CommandState.timeout: N_("No answer"),
    CommandState.not_connected: N_("Not connected"),
}


def local_input_value(moment: datetime, time_zone: str) -> str:
    """A moment as a datetime-local form field shows it, in the site's time zone."""
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%dT%H:%M")


def parse_local_input(raw: str, time_zone: str) -> datetime | None:
    """A datetime-local form value, read in the site's time zone; None if it is not one."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=ZoneInfo(time_zone)) if moment.tzinfo is None else moment


def delivered_wh(s: ChargingSession) -> int:
    """Energy so far: the final figure once stopped, the running total while charging."""
    if s.energy_wh is not None:
        return s.energy_wh
    return max(0, s.energy_carried_wh + s.meter_last_wh - s.segment_start_wh)


@dataclass
class CommandLine:
    """One line of the command log: a command a person sent, or a run of consecutive automatic
    access-list pushes folded together (`command` is the latest of the run, `count` its length)."""

    command: ChargerCommand
    sender_name: str | None = None  # the name this organisation knows the sender by
    sender_phone: str | None = None  # when it knows no name
    count: int = 1

    @property
    def automatic(self) -> bool:
        return self.command.actor_user_id is None

    @property
    def folded(self) -> bool:
        return self.count > 1


def _automatic_push(command: ChargerCommand) -> bool:
    return command.actor_user_id is None and command.action == "SendLocalList"


async def command_log(session: AsyncSession, org_id: uuid.UUID, cp_id: uuid.UUID) -> list[CommandLine]:
    """The latest commands, newest first, with who sent each; automatic pushes of the access list
    (one per member, tag or group change, possibly dozens a day) fold into one line per run so that
    what a person did stands out."""
    rows = (
        await session.scalars(
            select(ChargerCommand)
            .where(ChargerCommand.organization_id == org_id, ChargerCommand.charge_point_id == cp_id)
            .order_by(ChargerCommand.created_at.desc(), ChargerCommand.id.desc())
            .limit(COMMAND_ROWS)
        )
    ).all()
    lines: list[CommandLine] = []
    for row in rows:
        if lines and _automatic_push(row) and _automatic_push(lines[-1].command):
            lines[-1].count += 1
            continue
        if len(lines) == COMMANDS:
            break
        lines.append(CommandLine(command=row))
    senders = {line.command.actor_user_id for line in lines} - {None}
    if senders:
        known = (
            await session.execute(
                select(User.id, Membership.name, User.phone)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.organization_id == org_id, User.id.in_(senders))
            )
        ).all()
        by_user = {user_id: (name, phone) for user_id, name, phone in known}
        for line in lines:
            if line.command.actor_user_id in by_user:
                line.sender_name, line.sender_phone = by_user[line.command.actor_user_id]
    return lines


@dataclass
class ChargerStatus:
    """What the status card shows; the card refreshes itself every few seconds, so it reads no more."""

    charge_point: ChargePoint
    site_name: str
    time_zone: str
    state: str
    power_w: int  # drawn now by its running sessions
    site_id: uuid.UUID
    grid_limit_w: int | None


@dataclass
class ChargerDetail(ChargerStatus):
    active_sessions: list[ChargingSession]
    recent_sessions: list[ChargingSession]
    status_history: list[ConnectorStatusEvent]
    commands: list[CommandLine]
    notifications: list[ChargerNotification]
    maintenance: dict[str, LatestStatus] = field(default_factory=dict)


async def charger_status(
    session: AsyncSession, org_id: uuid.UUID, charger_id: uuid.UUID, heartbeat_seconds: int
) -> ChargerStatus:
    cp = await get_charge_point(session, org_id, charger_id)  # NotFound for other tenants' chargers
    site = await session.get(Site, cp.site_id)
    assert site is not None  # charge_points.site_id is a foreign key
    power = await live_power(session, org_id, charge_point_ids=[cp.id])
    return ChargerStatus(
        charge_point=cp,
        site_name=site.name,
        time_zone=site.time_zone,
        state=charger_state(cp, utcnow(), heartbeat_seconds),
        power_w=power.charger(cp.id),
        site_id=site.id,
        grid_limit_w=grid_limit_w(site.grid_limit_amps, site.grid_phases),
    )


async def charger_detail(
    session: AsyncSession, org_id: uuid.UUID, charger_id: uuid.UUID, heartbeat_seconds: int
) -> ChargerDetail:
    status = await charger_status(session, org_id, charger_id, heartbeat_seconds)
    cp = status.charge_point
    by_charger = (ChargingSession.organization_id == org_id, ChargingSession.charge_point_id == cp.id)
    # Running sessions are few (one per connector) but may have started long ago, so they are read
    # apart from the latest finished ones.
    active = (
        await session.scalars(
            select(ChargingSession)
            .where(*by_charger, ChargingSession.state == SessionState.active)
            .order_by(ChargingSession.connector_number)
        )
    ).all()
    recent = (
        await session.scalars(
            select(ChargingSession)
            .where(*by_charger, ChargingSession.state != SessionState.active)
            .order_by(ChargingSession.started_at.desc())
            .limit(RECENT_SESSIONS)
        )
    ).all()
    history = (
        await session.scalars(
            select(ConnectorStatusEvent)
            .where(ConnectorStatusEvent.charge_point_id == cp.id)
            .order_by(ConnectorStatusEvent.received_at.desc(), ConnectorStatusEvent.id.desc())
            .limit(HISTORY)
        )
    ).all()
    commands = await command_log(session, org_id, cp.id)
    notifications = (
        await session.scalars(
            select(ChargerNotification)
            .where(ChargerNotification.charge_point_id == cp.id)
            .order_by(ChargerNotification.received_at.desc(), ChargerNotification.id.desc())
            .limit(NOTIFICATIONS)
        )
    ).all()
    return ChargerDetail(
        charge_point=cp,
        site_name=status.site_name,
        time_zone=status.time_zone,
        state=status.state,
        power_w=status.power_w,
        site_id=status.site_id,
        grid_limit_w=status.grid_limit_w,
        active_sessions=list(active),
        recent_sessions=list(recent),
        status_history=list(history),
        commands=commands,
        notifications=list(notifications),
        maintenance=await latest_statuses(session, org_id, cp.id),
    )
