"""Read models for the users, groups and RFID pages: what the tables show, each in a few queries
that filter by the organisation first (so another tenant's rows cannot appear).

The members domain has no read functions for these yet (member counts per group, a paged tag list
with owners, unknown tags seen on this organisation's chargers, per-charger local list state); they
are read-only and live here until the domain wants them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.history_models import ChargerCommand, CommandState, UnknownTagSighting
from ladeportal.chargers.models import ChargePoint, ChargerLocalList, CommissioningState
from ladeportal.db.base import utcnow
from ladeportal.members.access import TagRefusal
from ladeportal.members.local_list import local_list_version
from ladeportal.members.models import (
    GroupChargePoint,
    GroupSite,
    IdTag,
    Membership,
    User,
    UserGroup,
)
from ladeportal.members.tag_state import refusal_of, works_condition
from ladeportal.orgs.models import Site

TAG_PAGE_SIZE = 50
UNKNOWN_LIMIT = 50


@dataclass
class GroupRow:
    group: UserGroup
    members: int
    sites: list[str]
    chargers: list[str]


async def group_rows(session: AsyncSession, org_id: uuid.UUID) -> list[GroupRow]:
    groups = list(
        (
            await session.scalars(
                select(UserGroup)
                .where(UserGroup.organization_id == org_id, UserGroup.deleted_at.is_(None))
                .order_by(UserGroup.is_default.desc(), UserGroup.name)
            )
        ).all()
    )
    counts = dict(
        (
            await session.execute(
                select(Membership.group_id, func.count())
                .where(Membership.organization_id == org_id, Membership.removed_at.is_(None))
                .group_by(Membership.group_id)
            )
        ).all()
    )
    site_names: dict[uuid.UUID, list[str]] = {g.id: [] for g in groups}
    for group_id, name in await session.execute(
        select(GroupSite.group_id, Site.name)
        .join(Site, Site.id == GroupSite.site_id)
        .where(Site.organization_id == org_id)
        .order_by(Site.name)
    ):
        site_names.setdefault(group_id, []).append(name)
    charger_names: dict[uuid.UUID, list[str]] = {g.id: [] for g in groups}
    for group_id, cp_name, ocpp_id in await session.execute(
        select(GroupChargePoint.group_id, ChargePoint.name, ChargePoint.ocpp_id)
        .join(ChargePoint, ChargePoint.id == GroupChargePoint.charge_point_id)
        .where(ChargePoint.organization_id == org_id)
        .order_by(ChargePoint.name, ChargePoint.ocpp_id)
    ):
        charger_names.setdefault(group_id, []).append(cp_name or ocpp_id)
    rows = []
    for group in groups:
        # Members without a group belong to the default group (stored as NULL).
        members = counts.get(group.id, 0) + (counts.get(None, 0) if group.is_default else 0)
        rows.append(GroupRow(group, members, site_names.get(group.id, []), charger_names.get(group.id, [])))
    return rows


async def chargers_of(session: AsyncSession, org_id: uuid.UUID) -> list[ChargePoint]:
    return list(
        (
            await session.scalars(
                select(ChargePoint)
                .where(
                    ChargePoint.organization_id == org_id, ChargePoint.commissioning_state != CommissioningState.retired
                )
                .order_by(ChargePoint.name, ChargePoint.ocpp_id)
            )
        ).all()
    )


@dataclass
class TagRow:
    tag: IdTag
    member_id: uuid.UUID | None
    member_name: str | None
    member_phone: str | None
    group_name: str | None
    refusal: TagRefusal | None = None  # None: the tag works; see members.tag_state


@dataclass
class TagPage:
    items: list[TagRow]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // TAG_PAGE_SIZE))


async def tag_page(
    session: AsyncSession, org_id: uuid.UUID, *, text: str = "", state: str = "", page: int = 1
) -> TagPage:
    conditions: list[ColumnElement[bool]] = [IdTag.organization_id == org_id]
    now = utcnow()
    # "Active" and "Blocked" as chargers see them: a blocked member's card is not active.
    if state == "active":
        conditions.append(works_condition(now))
    elif state == "blocked":
        conditions.append(~works_condition(now))
    elif state == "visitor":
        conditions.append(IdTag.membership_id.is_(None))
    if text:
        uid = "".join(ch for ch in text if ch not in " :-").upper()
        like = f"%{text.replace('%', '').replace('_', '')}%"
        conditions.append(
            or_(IdTag.uid.contains(uid, autoescape=True), IdTag.label.ilike(like), Membership.name.ilike(like))
        )
    base = (
        # The member's name as this organisation knows it (the membership's, not the person's own).
        select(
            IdTag, Membership.id, Membership.name, User.phone, UserGroup.name, Membership.state, Membership.removed_at
        )
        .outerjoin(Membership, Membership.id == IdTag.membership_id)
        .outerjoin(User, User.id == Membership.user_id)
        .outerjoin(UserGroup, UserGroup.id == IdTag.group_id)
        .where(*conditions)
    )
    total = int(await session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    rows = await session.execute(base.order_by(IdTag.uid).limit(TAG_PAGE_SIZE).offset((page - 1) * TAG_PAGE_SIZE))
    return TagPage(
        [
            TagRow(tag, member_id, name, phone, group, refusal_of(tag, state, removed_at is not None, now))
            for tag, member_id, name, phone, group, state, removed_at in rows.all()
        ],
        total,
        page,
    )


@dataclass
class Sighting:
    id: int
    uid: str
    charger: str
    first_seen_at: datetime
    last_seen_at: datetime
    seen_count: int


async def unknown_tags(session: AsyncSession, org_id: uuid.UUID) -> list[Sighting]:
    """UIDs swiped on this organisation's chargers that no organisation has registered since."""
    registered = select(IdTag.id).where(IdTag.uid == UnknownTagSighting.uid).exists()
    rows = await session.execute(
        select(UnknownTagSighting, ChargePoint.name, ChargePoint.ocpp_id)
        .join(ChargePoint, ChargePoint.id == UnknownTagSighting.charge_point_id)
        .where(ChargePoint.organization_id == org_id, ~registered)
        .order_by(UnknownTagSighting.last_seen_at.desc(), UnknownTagSighting.id)
        .limit(UNKNOWN_LIMIT)
    )
    return [
        Sighting(s.id, s.uid, name or ocpp_id, s.first_seen_at, s.last_seen_at, s.seen_count)
        for s, name, ocpp_id in rows.all()
    ]


async def get_sighting(session: AsyncSession, org_id: uuid.UUID, sighting_id: int) -> UnknownTagSighting | None:
    return await session.scalar(
        select(UnknownTagSighting)
        .join(ChargePoint, ChargePoint.id == UnknownTagSighting.charge_point_id)
        .where(UnknownTagSighting.id == sighting_id, ChargePoint.organization_id == org_id)
    )


@dataclass
class SyncRow:
    charger: ChargePoint
    sent_version: int | None
    state: str  # in_sync, pending, failed, never
    at: datetime | None


async def local_list_sync(session: AsyncSession, org_id: uuid.UUID) -> tuple[int, list[SyncRow]]:
    """The organisation's list version and, per active charger, the last SendLocalList it got."""
    version = await local_list_version(session, org_id)
    chargers = [c for c in await chargers_of(session, org_id) if c.commissioning_state == CommissioningState.active]
    latest = (
        select(ChargerCommand.charge_point_id, func.max(ChargerCommand.id).label("id"))
        .where(ChargerCommand.organization_id == org_id, ChargerCommand.action == "SendLocalList")
        .group_by(ChargerCommand.charge_point_id)
        .subquery()
    )
    commands = {
        c.charge_point_id: c
        for c in (await session.scalars(select(ChargerCommand).join(latest, latest.c.id == ChargerCommand.id))).all()
    }
    held: dict[uuid.UUID, int] = {
        cp_id: held_version
        for cp_id, held_version in (
            await session.execute(
                select(ChargerLocalList.charge_point_id, ChargerLocalList.version).where(
                    ChargerLocalList.charge_point_id.in_([cp.id for cp in chargers])
                )
            )
        ).all()
    }
    rows = []
    for cp in chargers:
        command = commands.get(cp.id)
        if held.get(cp.id, 0) >= max(1, version):
            # What the charger confirmed holding decides, whatever the last command was.
            rows.append(SyncRow(cp, held[cp.id], "in_sync", command.finished_at if command else None))
            continue
        if command is None:
            rows.append(SyncRow(cp, None, "never", None))
            continue
        sent = int((command.payload or {}).get("listVersion", 0))
        accepted = command.state == CommandState.answered and (command.response or {}).get("status") == "Accepted"
        if command.state in (CommandState.queued, CommandState.sent):
            state = "pending"
        elif not accepted:
            state = "failed"
        else:
            # The sync always sends the current version (at least 1), so an older one means a change
            # is still on its way to this charger.
            state = "in_sync" if sent >= max(1, version) else "pending"
        rows.append(SyncRow(cp, sent, state, command.finished_at or command.created_at))
    return version, rows
