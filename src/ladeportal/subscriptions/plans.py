"""Plans defined by platform staff, the default plan for organisations without one, and staff assigning a
plan (and a collection method) to an organisation. Every change is audited."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.orgs.models import Organization
from ladeportal.platform.audit import Actor, record
from ladeportal.subscriptions.models import Collection, OrgSubscription, PlanUnit, Proration, SubscriptionPlan
from ladeportal.subscriptions.pricing import MAX_TIERS, MAX_UNIT_PRICE_MINOR

CURRENCIES = ("NOK", "SEK")
MAX_MINIMUM_MINOR = 100_000_000


@dataclass(frozen=True)
class PlanInput:
    name: str
    unit: str
    currency: str
    # (up_to, unit_price_minor) ascending; the last up_to None.
    tiers: Sequence[tuple[int | None, int]]
    minimum_quarter_minor: int
    proration: str
    days_until_due: int = 14
    is_default: bool = False


def _invalid(message: str, field: str, code: str, **params: Any) -> ValidationFailed:
    return ValidationFailed(message, field=field, code=f"subscriptions.{code}", params=params)


def validated(data: PlanInput) -> dict[str, Any]:
    name = data.name.strip()
    if not 1 <= len(name) <= 120:
        raise _invalid("Give the plan a name (at most 120 characters).", "name", "name_invalid")
    if data.unit not in PlanUnit.__members__:
        raise _invalid("Choose per charger or per connector.", "unit", "unit_invalid")
    if data.currency not in CURRENCIES:
        raise _invalid("The currency is NOK or SEK.", "currency", "currency_invalid")
    if data.proration not in Proration.__members__:
        raise _invalid("Choose how chargers added during a quarter are billed.", "proration", "proration_invalid")
    if not 1 <= len(data.tiers) <= MAX_TIERS:
        raise _invalid("Give between 1 and 10 price tiers.", "tiers", "tiers_count", max=MAX_TIERS)
    previous = 0
    for number, (up_to, price) in enumerate(data.tiers, start=1):
        last = number == len(data.tiers)
        if not 0 <= price <= MAX_UNIT_PRICE_MINOR:
            raise _invalid("A tier's price is out of range.", "tiers", "tier_price", tier=number)
        if last and up_to is not None:
            raise _invalid("The last tier has no upper limit.", "tiers", "tier_last_open", tier=number)
        if not last and (up_to is None or up_to <= previous):
            raise _invalid("Each tier must end above the one before it.", "tiers", "tier_order", tier=number)
        previous = up_to or previous
    if not 0 <= data.minimum_quarter_minor <= MAX_MINIMUM_MINOR:
        raise _invalid("The minimum per quarter is out of range.", "minimum", "minimum_invalid")
    if not 1 <= data.days_until_due <= 90:
        raise _invalid("Days until due must be between 1 and 90.", "days_until_due", "days_invalid")
    return {
        "name": name,
        "unit": PlanUnit(data.unit),
        "currency": data.currency,
        "tiers": [{"up_to": up_to, "unit_price_minor": price} for up_to, price in data.tiers],
        "minimum_quarter_minor": data.minimum_quarter_minor,
        "proration": Proration(data.proration),
        "days_until_due": data.days_until_due,
        "is_default": data.is_default,
    }


async def create_plan(session: AsyncSession, actor: Actor, data: PlanInput) -> SubscriptionPlan:
    values = validated(data)
    async with unit_of_work(session):
        if await session.scalar(select(SubscriptionPlan.id).where(SubscriptionPlan.name == values["name"])):
            raise Conflict("A plan with this name exists.", field="name", code="subscriptions.plan_name_taken")
        if values["is_default"]:
            await session.execute(update(SubscriptionPlan).values(is_default=False))
        plan = SubscriptionPlan(**values)
        session.add(plan)
        await session.flush()
        record(session, actor, "subscription_plan.create", "subscription_plan", plan.id, new=_audit(values))
    return plan


def _audit(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}


async def make_default(session: AsyncSession, actor: Actor, plan_id: uuid.UUID) -> None:
    async with unit_of_work(session):
        plan = await get_plan(session, plan_id)
        await session.execute(update(SubscriptionPlan).values(is_default=False))
        plan.is_default = True
        record(session, actor, "subscription_plan.default", "subscription_plan", plan.id)


async def get_plan(session: AsyncSession, plan_id: uuid.UUID) -> SubscriptionPlan:
    plan = await session.get(SubscriptionPlan, plan_id)
    if plan is None:
        raise NotFound("No such plan.", code="subscriptions.plan_not_found")
    return plan


async def list_plans(session: AsyncSession) -> list[SubscriptionPlan]:
    return list(await session.scalars(select(SubscriptionPlan).order_by(SubscriptionPlan.name)))


async def default_plan(session: AsyncSession) -> SubscriptionPlan | None:
    return await session.scalar(select(SubscriptionPlan).where(SubscriptionPlan.is_default.is_(True)))


async def plan_of(session: AsyncSession, org_id: uuid.UUID) -> tuple[SubscriptionPlan | None, Collection]:
    """The organisation's plan (its own, else the default) and how it pays."""
    sub = await session.scalar(select(OrgSubscription).where(OrgSubscription.organization_id == org_id))
    plan = await session.get(SubscriptionPlan, sub.plan_id) if sub and sub.plan_id else None
    return plan or await default_plan(session), sub.collection if sub else Collection.send_invoice


async def assign_plan(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, plan_id: uuid.UUID, collection: str
) -> None:
    if collection not in Collection.__members__:
        raise _invalid("Choose how the organisation pays.", "collection", "collection_invalid")
    if collection == Collection.charge_automatically:
        # Saving a card (a Checkout Session in setup mode) is not built yet: an invoice charged
        # automatically without a card on file would only fail.
        raise _invalid("Card on file is not available yet; use invoice by e-mail.", "collection", "card_unavailable")
    async with unit_of_work(session):
        org = await session.get(Organization, org_id)
        if org is None:
            raise NotFound("No such organisation.", code="subscriptions.org_not_found")
        plan = await get_plan(session, plan_id)
        if plan.currency != org.currency:
            raise _invalid(
                "The plan's currency differs from the organisation's.",
                "plan",
                "currency_mismatch",
                plan=plan.currency,
                org=org.currency,
            )
        sub = await session.scalar(select(OrgSubscription).where(OrgSubscription.organization_id == org_id))
        old = {"plan_id": str(sub.plan_id) if sub else None, "collection": sub.collection.value if sub else None}
        if sub is None:
            sub = OrgSubscription(organization_id=org_id)
            session.add(sub)
        sub.plan_id = plan.id
        sub.collection = Collection(collection)
        new = {"plan_id": str(plan.id), "collection": collection}
        record(session, actor, "subscription.assign", "organization", org_id, organization_id=org_id, old=old, new=new)
