"""What the person looks back at in the app: their sessions with the stored price breakdown, their
invoices with the pay link, and their RFID cards (the app identity is not a card and is left out).
Every query is limited to the person's own memberships."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import Invoice, InvoiceState
from ladeportal.chargers.models import ChargePoint
from ladeportal.enduser.charging import own_session
from ladeportal.enduser.identity import app_tag_ids
from ladeportal.enduser.places import MemberOf, memberships_of
from ladeportal.errors import Conflict, NotFound
from ladeportal.members.models import IdTag, TagState
from ladeportal.members.tags import set_tag_state
from ladeportal.orgs.models import Site
from ladeportal.platform.audit import Actor
from ladeportal.sessions.models import ChargingSession

PAGE = 30


@dataclass(frozen=True)
class SessionItem:
    id: int
    org: str
    charger: str
    started_at: datetime
    stopped_at: datetime | None
    energy_wh: int | None
    cost_minor: int | None
    currency: str | None
    active: bool
    time_zone: str


@dataclass(frozen=True)
class InvoiceItem:
    id: uuid.UUID
    org: str
    number: str | None
    period: datetime | Any
    state: str
    total_minor: int
    currency: str
    due_date: Any
    pay_url: str | None


@dataclass(frozen=True)
class TagItem:
    id: uuid.UUID
    org: str
    membership_id: uuid.UUID
    uid: str
    label: str | None
    blocked: bool


def _orgs(items: list[MemberOf]) -> dict[uuid.UUID, str]:
    return {m.membership.id: m.org.legal_name for m in items}


async def my_sessions(session: AsyncSession, user_id: uuid.UUID, limit: int = PAGE) -> list[SessionItem]:
    orgs = _orgs(await memberships_of(session, user_id))
    if not orgs:
        return []
    rows = await session.execute(
        select(ChargingSession, ChargePoint.name, ChargePoint.ocpp_id, Site.time_zone)
        .join(ChargePoint, ChargePoint.id == ChargingSession.charge_point_id)
        .join(Site, Site.id == ChargingSession.site_id)
        .where(ChargingSession.membership_id.in_(list(orgs)))
        .order_by(ChargingSession.started_at.desc())
        .limit(limit)
    )
    return [
        SessionItem(
            cs.id,
            orgs.get(cs.membership_id, "") if cs.membership_id else "",
            name or ocpp_id,
            cs.started_at,
            cs.stopped_at,
            cs.energy_wh,
            cs.cost_total_minor,
            cs.currency,
            cs.stopped_at is None,
            time_zone,
        )
        for cs, name, ocpp_id, time_zone in rows.all()
    ]


@dataclass(frozen=True)
class SessionLines:
    session: ChargingSession
    lines: list[dict[str, Any]]
    plan_name: str | None


async def my_session_detail(session: AsyncSession, user_id: uuid.UUID, session_id: int) -> SessionLines:
    cs = await own_session(session, user_id, session_id)
    snapshot = cs.cost_snapshot or {}
    plan = snapshot.get("plan")
    return SessionLines(cs, list(snapshot.get("lines") or []), plan.get("name") if isinstance(plan, dict) else None)


async def my_invoices(session: AsyncSession, user_id: uuid.UUID, limit: int = PAGE) -> list[InvoiceItem]:
    orgs = _orgs(await memberships_of(session, user_id))
    if not orgs:
        return []
    rows = await session.scalars(
        select(Invoice)
        .where(Invoice.membership_id.in_(list(orgs)), Invoice.state != InvoiceState.pending)
        .order_by(Invoice.period_month.desc(), Invoice.created_at.desc())
        .limit(limit)
    )
    return [
        InvoiceItem(
            inv.id,
            orgs[inv.membership_id],
            inv.number,
            inv.period_month,
            inv.state.value,
            inv.total_minor,
            inv.currency,
            inv.due_date,
            inv.hosted_url if inv.state == InvoiceState.open else None,
        )
        for inv in rows
    ]


async def my_tags(session: AsyncSession, user_id: uuid.UUID) -> list[TagItem]:
    orgs = _orgs(await memberships_of(session, user_id))
    if not orgs:
        return []
    hidden = await app_tag_ids(session, list(orgs))
    rows = await session.scalars(
        select(IdTag).where(IdTag.membership_id.in_(list(orgs))).order_by(IdTag.created_at, IdTag.uid)
    )
    return [
        TagItem(t.id, orgs[t.membership_id], t.membership_id, t.uid, t.label, t.state != TagState.active)
        for t in rows
        if t.id not in hidden and t.membership_id is not None
    ]


async def mark_tag_lost(session: AsyncSession, user_id: uuid.UUID, tag_id: uuid.UUID) -> IdTag:
    """Block one of the person's own cards at once through the tag service (audited, local lists
    updated). Another person's card, or the app identity, is a 404."""
    mine = {t.id: t for t in await my_tags(session, user_id)}
    item = mine.get(tag_id)
    if item is None:
        raise NotFound("No such card.", code="app.tag_not_found")
    if item.blocked:
        raise Conflict("This card is already blocked.", code="app.tag_already_blocked")
    membership = await session.get(IdTag, tag_id)
    assert membership is not None
    org_id = membership.organization_id
    actor = Actor(label=f"app:{item.membership_id}", user_id=user_id)
    return await set_tag_state(session, actor, org_id, tag_id, TagState.blocked)
