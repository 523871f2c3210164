"""What the owner's Subscription page shows: the plan and its price list, what the next invoice will cost
for this installation before anything is billed, how it pays, and past invoices. Every query names the
organisation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.orgs.models import Organization
from ladeportal.subscriptions.counting import added_last_quarter, unit_counts
from ladeportal.subscriptions.models import (
    Collection,
    PlanUnit,
    Proration,
    SubscriptionInvoice,
    SubscriptionPlan,
)
from ladeportal.subscriptions.plans import plan_of
from ladeportal.subscriptions.pricing import Quote, quarter_quote, tiers_of
from ladeportal.subscriptions.quarters import Quarter, current_quarter


@dataclass(frozen=True)
class OwnerView:
    plan: SubscriptionPlan | None
    collection: Collection
    quarter: Quarter  # the quarter of the next invoice
    quantity: int
    quote: Quote | None
    invoices: list[SubscriptionInvoice]


async def owner_view(session: AsyncSession, org: Organization, now: datetime) -> OwnerView:
    plan, collection = await plan_of(session, org.id)
    if plan is not None and plan.currency != org.currency:
        plan = None
    invoices = list(
        await session.scalars(
            select(SubscriptionInvoice)
            .where(SubscriptionInvoice.organization_id == org.id)
            .order_by(SubscriptionInvoice.quarter.desc())
            .limit(40)
        )
    )
    quarter = current_quarter(now, org.time_zone)
    if any(i.quarter == str(quarter) for i in invoices):
        quarter = quarter.next()
    if plan is None:
        return OwnerView(None, collection, quarter, 0, None, invoices)
    unit = PlanUnit(plan.unit)
    quantity = (await unit_counts(session, [org.id], unit))[unit].get(org.id, 0)
    added = []
    if plan.proration == Proration.prorate:
        added = (await added_last_quarter(session, quarter, [(org.id, org.time_zone, unit)])).get(org.id, [])
    quote = quarter_quote(
        tiers_of(plan.tiers),
        quantity,
        minimum_quarter_minor=plan.minimum_quarter_minor,
        currency=plan.currency,
        vat_rate_bp=org.vat_rate_bp,
        added=added,
    )
    return OwnerView(plan, collection, quarter, quantity, quote, invoices)


async def invoice_of(session: AsyncSession, org_id: uuid.UUID, invoice_id: uuid.UUID) -> SubscriptionInvoice | None:
    return await session.scalar(
        select(SubscriptionInvoice).where(
            SubscriptionInvoice.id == invoice_id, SubscriptionInvoice.organization_id == org_id
        )
    )
