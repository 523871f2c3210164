"""Starting and stopping a session from the portal or the API, for one of the organisation's members.

A remote start sends RemoteStartTransaction with the idTag of one of the member's own tags, after the
same access decision an RFID swipe gets (members/access.py): what the charger then sends in its
StartTransaction is authorised, priced and billed exactly like that swipe. A member without a usable
tag cannot be started for: there is no idTag that is theirs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.commands import CommandResult, send_command
from ladeportal.chargers.models import ChargePoint, CommissioningState
from ladeportal.chargers.services import get_charge_point
from ladeportal.db.base import utcnow
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.members.access import AccessStatus, decide_access
from ladeportal.members.models import IdTag, Membership, MembershipState, TagState, User
from ladeportal.platform.audit import Actor
from ladeportal.sessions.models import ChargingSession, SessionState

CANDIDATES = 20


@dataclass(frozen=True, slots=True)
class Candidate:
    """A member who can be started for: someone with at least one active tag."""

    membership_id: uuid.UUID
    name: str | None
    phone: str | None
    tag_uid: str


def _usable_tag(org_id: uuid.UUID) -> tuple[ColumnElement[bool], ...]:
    now = utcnow()
    return (
        IdTag.organization_id == org_id,
        IdTag.state == TagState.active,
        or_(IdTag.expires_at.is_(None), IdTag.expires_at > now),
    )


async def start_candidates(
    session: AsyncSession, org_id: uuid.UUID, search: str | None = None, limit: int = CANDIDATES
) -> list[Candidate]:
    """Members of the organisation who are not blocked and have an active tag, by name or mobile number;
    one row each (their first tag)."""
    name = func.coalesce(Membership.name, User.name)
    first_tag = (
        select(IdTag.membership_id, func.min(IdTag.uid).label("uid"))
        .where(*_usable_tag(org_id), IdTag.membership_id.is_not(None))
        .group_by(IdTag.membership_id)
        .subquery()
    )
    query = (
        select(Membership.id, name, User.phone, first_tag.c.uid)
        .join(User, User.id == Membership.user_id)
        .join(first_tag, first_tag.c.membership_id == Membership.id)
        .where(
            Membership.organization_id == org_id,
            Membership.removed_at.is_(None),
            Membership.state != MembershipState.blocked,
        )
        .order_by(func.lower(func.coalesce(name, User.phone)), Membership.id)
        .limit(limit)
    )
    text = (search or "").strip().lower()
    if text:
        pattern = f"%{text}%"
        digits = "".join(ch for ch in text if ch.isdigit())
        matches = [func.lower(name).like(pattern)]
        if digits:
            matches.append(User.phone.like(f"%{digits}%"))
        query = query.where(or_(*matches))
    return [Candidate(*row) for row in (await session.execute(query)).all()]


async def members_without_tag(session: AsyncSession, org_id: uuid.UUID, search: str, limit: int = 5) -> list[str]:
    """Names (or numbers) of members who match the search but have no active tag: the portal says why
    they cannot be started for instead of leaving them out silently."""
    text = search.strip().lower()
    if not text:
        return []
    name = func.coalesce(Membership.name, User.name)
    has_tag = select(IdTag.id).where(*_usable_tag(org_id), IdTag.membership_id == Membership.id).exists()
    matches = [func.lower(name).like(f"%{text}%")]
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits:
        matches.append(User.phone.like(f"%{digits}%"))
    rows = (
        await session.execute(
            select(name, User.phone)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organization_id == org_id, Membership.removed_at.is_(None), ~has_tag, or_(*matches))
            .order_by(func.lower(func.coalesce(name, User.phone)))
            .limit(limit)
        )
    ).all()
    return [label or phone or "" for label, phone in rows]


async def _member_tag(session: AsyncSession, org_id: uuid.UUID, membership_id: uuid.UUID) -> str:
    membership = await session.scalar(
        select(Membership).where(
            Membership.id == membership_id, Membership.organization_id == org_id, Membership.removed_at.is_(None)
        )
    )
    if membership is None:
        raise NotFound("No such member.", code="member.not_found")
    uid = await session.scalar(
        select(IdTag.uid).where(*_usable_tag(org_id), IdTag.membership_id == membership.id).order_by(IdTag.uid).limit(1)
    )
    if uid is None:
        raise ValidationFailed(
            "This member has no active tag, so a session cannot be started for them. Give them a tag first.",
            field="member",
            code="remote.member_without_tag",
        )
    return uid


def _connector(cp: ChargePoint, number: int) -> int:
    if number not in {c.number for c in cp.connectors}:
        raise ValidationFailed("Choose a connector.", field="connector", code="remote.connector_required")
    return number


async def remote_start(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    cp_id: uuid.UUID,
    connector: int,
    membership_id: uuid.UUID,
    *,
    timeout_s: float | None = None,
) -> CommandResult:
    """Ask the charger to start charging on `connector` for the member, if the access rules let the
    member's tag charge at this charger (else ValidationFailed, and nothing is sent)."""
    cp = await get_charge_point(session, org_id, cp_id)
    number = _connector(cp, connector)
    if cp.commissioning_state != CommissioningState.active:
        raise Conflict("The charger is not active.", field="connector", code="charger.not_active")
    uid = await _member_tag(session, org_id, membership_id)
    decision = await decide_access(session, org_id, cp.site_id, uid, utcnow(), charge_point_id=cp.id)
    if decision.status != AccessStatus.accepted:
        raise ValidationFailed(
            "This member may not charge at this charger (blocked, expired or not in a group that may use it).",
            field="member",
            code="remote.access_denied",
        )
    return await send_command(
        session,
        actor,
        org_id,
        cp.id,
        "RemoteStartTransaction",
        {"connectorId": number, "idTag": uid},
        timeout_s=timeout_s,
    )


async def running_session(
    session: AsyncSession, org_id: uuid.UUID, cp_id: uuid.UUID, transaction_id: int
) -> ChargingSession:
    row = await session.scalar(
        select(ChargingSession).where(
            ChargingSession.id == transaction_id,
            ChargingSession.organization_id == org_id,
            ChargingSession.charge_point_id == cp_id,
        )
    )
    if row is None:
        raise NotFound("No such session.", code="session.not_found")
    if row.state != SessionState.active:
        raise Conflict("The session has already ended.", field="transaction", code="session.already_ended")
    return row


async def remote_stop(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    cp_id: uuid.UUID,
    transaction_id: int,
    *,
    timeout_s: float | None = None,
) -> CommandResult:
    """Ask the charger to stop the running session (its transaction id is the session id); the session
    ends when the charger sends its StopTransaction."""
    cp = await get_charge_point(session, org_id, cp_id)
    row = await running_session(session, org_id, cp.id, transaction_id)
    return await send_command(
        session, actor, org_id, cp.id, "RemoteStopTransaction", {"transactionId": row.id}, timeout_s=timeout_s
    )


async def running_on(
    session: AsyncSession, org_id: uuid.UUID, cp_id: uuid.UUID, connector: int | None = None
) -> list[ChargingSession]:
    """The sessions running on the charger (on one connector, if given): what a restart or an unlock
    would end."""
    query = (
        select(ChargingSession)
        .where(
            ChargingSession.organization_id == org_id,
            ChargingSession.charge_point_id == cp_id,
            ChargingSession.state == SessionState.active,
        )
        .order_by(ChargingSession.connector_number)
    )
    if connector:
        query = query.where(ChargingSession.connector_number == connector)
    return list((await session.scalars(query)).all())
