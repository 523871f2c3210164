"""Starting and stopping from the app, for the signed-in person's own membership.

A start sends RemoteStartTransaction with the member's app identity (identity.py) after the same
access decision an RFID swipe gets. The page sends a request key made when the start form was shown:
a double tap or a repeated post finds the first request and sends nothing more; while a start on a
connector waits for its car, another start there is refused. After the charger accepted, the request
becomes "started" when the charger's StartTransaction with that idTag arrives, or "no_car" when it
does not arrive within the configured wait.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ladeportal.chargers.commands import ChargerNotConnected, CommandTimedOut, send_command
from ladeportal.chargers.models import ChargePoint, CommissioningState
from ladeportal.chargers.remote import remote_stop
from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.enduser.identity import app_id_tag
from ladeportal.enduser.models import AppStartRequest
from ladeportal.enduser.places import is_online, membership_of, memberships_of
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.members.access import INVOICE_OVERDUE, AccessStatus, decide_access
from ladeportal.platform.audit import Actor
from ladeportal.sessions.models import ChargingSession, SessionState

PENDING = ("pending", "accepted")
KEY_MAX = 64


@dataclass(frozen=True)
class StartSettings:
    heartbeat_seconds: int
    wait_for_car: timedelta
    command_timeout: float | None = None


def _refusal(reason: str) -> ValidationFailed:
    if reason == INVOICE_OVERDUE:
        return ValidationFailed(
            "Charging is blocked because an invoice is overdue. Pay it to charge again.",
            code="app.start_invoice_overdue",
        )
    return ValidationFailed(
        "You may not charge at this charger (your access is blocked, expired or does not include it).",
        code="app.start_not_allowed",
    )


async def _charger(session: AsyncSession, org_id: uuid.UUID, cp_id: uuid.UUID) -> ChargePoint:
    cp = await session.scalar(
        select(ChargePoint)
        .options(selectinload(ChargePoint.connectors))
        .where(ChargePoint.id == cp_id, ChargePoint.organization_id == org_id)
    )
    if cp is None or cp.commissioning_state != CommissioningState.active:
        raise NotFound("No such charger.", code="app.charger_not_found")
    return cp


async def start_charging(
    session: AsyncSession,
    user_id: uuid.UUID,
    membership_id: uuid.UUID,
    cp_id: uuid.UUID,
    connector: int,
    request_key: str,
    cfg: StartSettings,
) -> AppStartRequest:
    key = (request_key or "").strip()
    if not key or len(key) > KEY_MAX:
        raise ValidationFailed("Reload the page and try again.", code="app.start_key_missing")
    item = await membership_of(session, user_id, membership_id)
    org_id = item.org.id
    cp = await _charger(session, org_id, cp_id)
    if connector not in {c.number for c in cp.connectors}:
        raise NotFound("No such connector.", code="app.charger_not_found")
    earlier = await session.scalar(select(AppStartRequest).where(AppStartRequest.request_key == key))
    if earlier is not None:
        if earlier.membership_id != membership_id:
            raise ValidationFailed("Reload the page and try again.", code="app.start_key_missing")
        return earlier
    now = utcnow()
    busy = await session.scalar(
        select(AppStartRequest.id).where(
            AppStartRequest.charge_point_id == cp.id,
            AppStartRequest.connector_number == connector,
            AppStartRequest.outcome.in_(PENDING),
            AppStartRequest.created_at > now - cfg.wait_for_car,
        )
    )
    running = await session.scalar(
        select(ChargingSession.id).where(
            ChargingSession.charge_point_id == cp.id,
            ChargingSession.connector_number == connector,
            ChargingSession.state == SessionState.active,
        )
    )
    if busy is not None or running is not None:
        raise Conflict("Someone is already charging or starting at this connector.", code="app.connector_busy")
    if not is_online(cp, now, cfg.heartbeat_seconds):
        raise Conflict("The charger is offline. Try again later or use your card.", code="app.charger_offline")
    actor = Actor(label=f"app:{item.membership.id}", user_id=user_id)
    tag = await app_id_tag(session, actor, item.membership)
    decision = await decide_access(session, org_id, cp.site_id, tag.uid, now, charge_point_id=cp.id)
    if decision.status != AccessStatus.accepted:
        raise _refusal(decision.reason)
    row = AppStartRequest(
        id=uuid.uuid4(),
        request_key=key,
        membership_id=membership_id,
        organization_id=org_id,
        charge_point_id=cp.id,
        connector_number=connector,
        id_tag=tag.uid,
        created_at=now,
        outcome="pending",
    )
    try:
        async with unit_of_work(session):
            session.add(row)
    except IntegrityError:
        # The same tap arrived twice at once: the first one sends the command.
        first = await session.scalar(select(AppStartRequest).where(AppStartRequest.request_key == key))
        if first is None or first.membership_id != membership_id:
            raise
        return first
    outcome = "accepted"
    try:
        result = await send_command(
            session,
            actor,
            org_id,
            cp.id,
            "RemoteStartTransaction",
            {"connectorId": connector, "idTag": tag.uid},
            timeout_s=cfg.command_timeout,
        )
        if not result.accepted:
            outcome = "rejected"
    except ChargerNotConnected:
        outcome = "offline"
    except CommandTimedOut:
        outcome = "no_answer"
    async with unit_of_work(session):
        stored = await session.get(AppStartRequest, row.id)
        assert stored is not None
        stored.outcome = outcome
    return stored


async def _own_request(session: AsyncSession, user_id: uuid.UUID, request_id: uuid.UUID) -> AppStartRequest:
    mine = [m.membership.id for m in await memberships_of(session, user_id)]
    row = await session.scalar(
        select(AppStartRequest).where(AppStartRequest.id == request_id, AppStartRequest.membership_id.in_(mine))
    )
    if row is None:
        raise NotFound("No such start.", code="app.start_not_found")
    return row


async def start_progress(
    session: AsyncSession, user_id: uuid.UUID, request_id: uuid.UUID, wait_for_car: timedelta
) -> AppStartRequest:
    """The start as it stands: an accepted start turns into "started" with its session once the
    charger's StartTransaction arrived, or "no_car" after the wait."""
    row = await _own_request(session, user_id, request_id)
    if row.outcome != "accepted":
        return row
    found = await session.scalar(
        select(ChargingSession.id)
        .where(
            ChargingSession.charge_point_id == row.charge_point_id,
            ChargingSession.connector_number == row.connector_number,
            ChargingSession.id_tag == row.id_tag,
            ChargingSession.started_at >= row.created_at - timedelta(minutes=2),
        )
        .order_by(ChargingSession.id.desc())
        .limit(1)
    )
    now = utcnow()
    if found is None and now < row.created_at + wait_for_car:
        return row
    async with unit_of_work(session):
        row.outcome = "started" if found is not None else "no_car"
        row.session_id = found
    return row


async def own_session(session: AsyncSession, user_id: uuid.UUID, session_id: int) -> ChargingSession:
    """One of the person's own sessions (any of their memberships); anyone else's is a 404."""
    mine = [m.membership.id for m in await memberships_of(session, user_id)]
    row = await session.scalar(
        select(ChargingSession).where(ChargingSession.id == session_id, ChargingSession.membership_id.in_(mine))
    )
    if row is None:
        raise NotFound("No such session.", code="session.not_found")
    return row


async def stop_charging(
    session: AsyncSession, user_id: uuid.UUID, session_id: int, command_timeout: float | None = None
) -> bool:
    """Ask the charger to stop the person's session; True when the charger accepted. The session ends
    when its StopTransaction arrives."""
    row = await own_session(session, user_id, session_id)
    if row.state != SessionState.active:
        raise Conflict("The session has already ended.", code="session.already_ended")
    actor = Actor(label=f"app:{row.membership_id}", user_id=user_id)
    try:
        result = await remote_stop(
            session, actor, row.organization_id, row.charge_point_id, row.id, timeout_s=command_timeout
        )
    except ChargerNotConnected as exc:
        raise Conflict(
            "The charger is offline, so it cannot be stopped from here. Unplug the car to stop.",
            code="app.stop_offline",
        ) from exc
    except CommandTimedOut as exc:
        raise Conflict("The charger did not answer. Try again in a moment.", code="app.stop_no_answer") from exc
    return result.accepted
