"""Which chargers guests may use, what is held on their card, and the stickers' connector codes.

A charger is open to guests when it, or its whole site, is opened by the organisation's administrator.
Opening is refused unless guests can be priced there (a public price plan applies at the site) and
paid (the owner's Stripe account can take charges): a guest must never find a charger that cannot
bill them. Each connector of an open charger gets a short public code for its sticker; the code, not
the OCPP identity, is what the public sees.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.models import StripeAccount
from ladeportal.chargers.models import ChargePoint, CommissioningState, Connector
from ladeportal.chargers.services import get_charge_point
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.guests.models import GuestConnectorCode, GuestOpening, GuestSettings
from ladeportal.orgs.models import Organization, Site
from ladeportal.orgs.services import get_site
from ladeportal.platform.audit import Actor, record
from ladeportal.pricing.assignments import assigned_plan_id

DEFAULT_HOLD_MINOR = 500_00
MIN_HOLD_MINOR = 50_00
MAX_HOLD_MINOR = 5_000_00
# No 0/O, 1/I/L: a code is read off a sticker and may be typed by hand.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


async def hold_minor(session: AsyncSession, org_id: uuid.UUID) -> int:
    row = await session.get(GuestSettings, org_id)
    return row.hold_minor if row is not None else DEFAULT_HOLD_MINOR


async def set_hold(session: AsyncSession, actor: Actor, org_id: uuid.UUID, amount_minor: int) -> None:
    if not MIN_HOLD_MINOR <= amount_minor <= MAX_HOLD_MINOR:
        raise ValidationFailed(
            "The amount held must be between 50 and 5000.",
            field="hold",
            code="guest.hold_out_of_range",
            params={"low": MIN_HOLD_MINOR // 100, "high": MAX_HOLD_MINOR // 100},
        )
    async with unit_of_work(session):
        row = await session.get(GuestSettings, org_id)
        old = row.hold_minor if row else DEFAULT_HOLD_MINOR
        if row is None:
            session.add(GuestSettings(organization_id=org_id, hold_minor=amount_minor))
        else:
            row.hold_minor = amount_minor
        record(
            session, actor, "guest.hold_set", "organization", org_id, organization_id=org_id,
            old={"hold_minor": old}, new={"hold_minor": amount_minor},
        )  # fmt: skip


async def can_take_payments(session: AsyncSession, org_id: uuid.UUID) -> str | None:
    """The owner's Stripe account id when it can take card payments now, else None."""
    row = await session.scalar(select(StripeAccount).where(StripeAccount.organization_id == org_id))
    if row is None or row.account_id is None or not row.charges_enabled:
        return None
    return row.account_id


async def why_closed(session: AsyncSession, org_id: uuid.UUID, site_id: uuid.UUID) -> str | None:
    """The code of the reason guests cannot charge at the site, or None when they can."""
    if await assigned_plan_id(session, org_id, group_id=None, site_id=site_id) is None:
        return "guest.no_public_plan"
    if await can_take_payments(session, org_id) is None:
        return "guest.payments_not_ready"
    return None


def _refusal(reason: str) -> ValidationFailed:
    if reason == "guest.no_public_plan":
        return ValidationFailed(
            "Guests need a public price plan here first (Prices, public prices).", code=reason, field="open"
        )
    return ValidationFailed(
        "The organisation's Stripe account cannot take card payments yet (Payments).", code=reason, field="open"
    )


async def open_site(session: AsyncSession, actor: Actor, org_id: uuid.UUID, site_id: uuid.UUID) -> None:
    site = await get_site(session, org_id, site_id)
    reason = await why_closed(session, org_id, site.id)
    if reason:
        raise _refusal(reason)
    async with unit_of_work(session):
        if await session.scalar(select(GuestOpening.id).where(GuestOpening.site_id == site.id)) is None:
            session.add(GuestOpening(organization_id=org_id, site_id=site.id))
        chargers = await session.scalars(select(ChargePoint.id).where(ChargePoint.site_id == site.id))
        for cp_id in chargers.all():
            await _ensure_codes(session, org_id, cp_id)
        record(session, actor, "guest.site_opened", "site", site.id, organization_id=org_id)


async def open_charger(session: AsyncSession, actor: Actor, org_id: uuid.UUID, cp_id: uuid.UUID) -> None:
    cp = await get_charge_point(session, org_id, cp_id)
    reason = await why_closed(session, org_id, cp.site_id)
    if reason:
        raise _refusal(reason)
    async with unit_of_work(session):
        if await session.scalar(select(GuestOpening.id).where(GuestOpening.charge_point_id == cp.id)) is None:
            session.add(GuestOpening(organization_id=org_id, charge_point_id=cp.id))
        await _ensure_codes(session, org_id, cp.id)
        record(session, actor, "guest.charger_opened", "charge_point", cp.id, organization_id=org_id)


async def close_site(session: AsyncSession, actor: Actor, org_id: uuid.UUID, site_id: uuid.UUID) -> None:
    site = await get_site(session, org_id, site_id)
    async with unit_of_work(session):
        await session.execute(delete(GuestOpening).where(GuestOpening.site_id == site.id))
        record(session, actor, "guest.site_closed", "site", site.id, organization_id=org_id)


async def close_charger(session: AsyncSession, actor: Actor, org_id: uuid.UUID, cp_id: uuid.UUID) -> None:
    cp = await get_charge_point(session, org_id, cp_id)
    async with unit_of_work(session):
        await session.execute(delete(GuestOpening).where(GuestOpening.charge_point_id == cp.id))
        record(session, actor, "guest.charger_closed", "charge_point", cp.id, organization_id=org_id)


async def _ensure_codes(session: AsyncSession, org_id: uuid.UUID, cp_id: uuid.UUID) -> None:
    numbers = (await session.scalars(select(Connector.number).where(Connector.charge_point_id == cp_id))).all()
    have = set(
        (
            await session.scalars(
                select(GuestConnectorCode.connector_number).where(GuestConnectorCode.charge_point_id == cp_id)
            )
        ).all()
    )
    for number in sorted(set(numbers) - have):
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if await session.get(GuestConnectorCode, code) is None:
                break
        session.add(
            GuestConnectorCode(code=code, organization_id=org_id, charge_point_id=cp_id, connector_number=number)
        )
    await session.flush()


async def is_open(session: AsyncSession, cp: ChargePoint) -> bool:
    found = await session.scalar(
        select(GuestOpening.id)
        .where(or_(GuestOpening.charge_point_id == cp.id, GuestOpening.site_id == cp.site_id))
        .limit(1)
    )
    return found is not None and cp.commissioning_state == CommissioningState.active


@dataclass(frozen=True)
class PublicConnector:
    """A connector as a guest (or its sticker) may see it: no OCPP identity."""

    code: str
    organization_id: uuid.UUID
    org_name: str
    currency: str
    time_zone: str
    site_id: uuid.UUID
    site_name: str
    charge_point_id: uuid.UUID
    charger_name: str
    connector_number: int


async def public_connector(session: AsyncSession, code: str) -> PublicConnector:
    """The connector behind a sticker's code while it is open to guests; NotFound otherwise."""
    text = (code or "").strip().upper()[: CODE_LENGTH * 2]
    row = await session.execute(
        select(GuestConnectorCode, ChargePoint, Site, Organization)
        .join(ChargePoint, ChargePoint.id == GuestConnectorCode.charge_point_id)
        .join(Site, Site.id == ChargePoint.site_id)
        .join(Organization, Organization.id == ChargePoint.organization_id)
        .where(GuestConnectorCode.code == text, ChargePoint.organization_id == GuestConnectorCode.organization_id)
    )
    found = row.one_or_none()
    if found is None or not await is_open(session, found[1]):
        raise NotFound("This charger is not open to guests.", code="guest.not_open")
    code_row, cp, site, org = found
    return PublicConnector(
        code=code_row.code,
        organization_id=org.id,
        org_name=org.legal_name,
        currency=org.currency,
        time_zone=site.time_zone,
        site_id=site.id,
        site_name=site.name,
        charge_point_id=cp.id,
        charger_name=cp.name or code_row.code,
        connector_number=code_row.connector_number,
    )


@dataclass(frozen=True)
class Sticker:
    code: str
    charger_name: str
    site_name: str
    connector_number: int


async def stickers(session: AsyncSession, org_id: uuid.UUID) -> list[Sticker]:
    """One sticker per connector of every charger open to guests (codes made for new connectors)."""
    async with unit_of_work(session):
        open_sites = select(GuestOpening.site_id).where(GuestOpening.organization_id == org_id)
        open_cps = select(GuestOpening.charge_point_id).where(GuestOpening.organization_id == org_id)
        cps = (
            await session.execute(
                select(ChargePoint.id, ChargePoint.name, Site.name)
                .join(Site, Site.id == ChargePoint.site_id)
                .where(
                    ChargePoint.organization_id == org_id,
                    ChargePoint.commissioning_state == CommissioningState.active,
                    or_(ChargePoint.site_id.in_(open_sites), ChargePoint.id.in_(open_cps)),
                )
                .order_by(Site.name, ChargePoint.name)
            )
        ).all()
        result: list[Sticker] = []
        for cp_id, cp_name, site_name in cps:
            await _ensure_codes(session, org_id, cp_id)
            codes = await session.execute(
                select(GuestConnectorCode.code, GuestConnectorCode.connector_number)
                .where(GuestConnectorCode.charge_point_id == cp_id, GuestConnectorCode.organization_id == org_id)
                .order_by(GuestConnectorCode.connector_number)
            )
            result += [Sticker(code, cp_name or "", site_name, number) for code, number in codes.all()]
    return result


async def openings(session: AsyncSession, org_id: uuid.UUID) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """The open sites and the individually opened chargers of the organisation."""
    rows = (
        await session.execute(
            select(GuestOpening.site_id, GuestOpening.charge_point_id).where(GuestOpening.organization_id == org_id)
        )
    ).all()
    return {s for s, _ in rows if s}, {c for _, c in rows if c}


def not_found() -> NotFound:
    return NotFound("This charger is not open to guests.", code="guest.not_open")
