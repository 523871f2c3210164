"""What the portal's public charging page reads: the organisation's sites and chargers with whether
guests may use them and why not, and its guests' payments, newest first. Every query names the
organisation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint, CommissioningState
from ladeportal.guests.models import GuestCharge
from ladeportal.guests.places import openings, why_closed
from ladeportal.messaging.redact import mask_phone
from ladeportal.orgs.models import Site

PAYMENTS_SHOWN = 100


@dataclass(frozen=True)
class ChargerRow:
    id: uuid.UUID
    name: str
    opened: bool


@dataclass(frozen=True)
class SiteRow:
    id: uuid.UUID
    name: str
    opened: bool
    closed_reason: str | None
    chargers: list[ChargerRow]


async def site_rows(session: AsyncSession, org_id: uuid.UUID) -> list[SiteRow]:
    open_sites, open_chargers = await openings(session, org_id)
    sites = (await session.scalars(select(Site).where(Site.organization_id == org_id).order_by(Site.name))).all()
    chargers = (
        await session.execute(
            select(ChargePoint.id, ChargePoint.site_id, ChargePoint.name, ChargePoint.ocpp_id)
            .where(ChargePoint.organization_id == org_id, ChargePoint.commissioning_state != CommissioningState.retired)
            .order_by(ChargePoint.name)
        )
    ).all()
    result = []
    for site in sites:
        rows = [
            ChargerRow(cp_id, name or ocpp_id, cp_id in open_chargers)
            for cp_id, sid, name, ocpp_id in chargers
            if sid == site.id
        ]
        result.append(
            SiteRow(site.id, site.name, site.id in open_sites, await why_closed(session, org_id, site.id), rows)
        )
    return result


@dataclass(frozen=True)
class PaymentRow:
    id: uuid.UUID
    created_at: datetime
    charger_name: str
    connector_number: int
    phone: str
    state: str
    hold_minor: int
    cost_minor: int | None
    captured_minor: int | None
    shortfall_minor: int | None
    currency: str
    session_id: int | None
    failure: str | None


async def guest_payments(session: AsyncSession, org_id: uuid.UUID, limit: int = PAYMENTS_SHOWN) -> list[PaymentRow]:
    rows = await session.execute(
        select(GuestCharge, ChargePoint.name)
        .join(ChargePoint, ChargePoint.id == GuestCharge.charge_point_id)
        .where(GuestCharge.organization_id == org_id, GuestCharge.state != "verified")
        .order_by(GuestCharge.created_at.desc())
        .limit(limit)
    )
    return [
        PaymentRow(
            id=g.id,
            created_at=g.created_at,
            charger_name=name or g.code,
            connector_number=g.connector_number,
            phone=mask_phone(g.phone),
            state=g.state,
            hold_minor=g.hold_minor,
            cost_minor=g.cost_minor,
            captured_minor=g.captured_minor,
            shortfall_minor=g.shortfall_minor,
            currency=g.currency,
            session_id=g.session_id,
            failure=g.failure,
        )
        for g, name in rows.all()
    ]
