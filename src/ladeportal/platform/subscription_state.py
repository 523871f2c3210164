"""Each organisation's platform subscription in one word, for the operator console's list and filters.

The subscription area fills this in from its own tables; an organisation without a subscription is
`none`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ladeportal.db.base import utcnow
from ladeportal.orgs.models import Organization
from ladeportal.subscriptions.models import OrgSubscription, SubInvoiceState, SubscriptionInvoice, SubscriptionPlan


class SubscriptionState(StrEnum):
    none = "none"  # no subscription (yet)
    active = "active"  # invoices paid or not yet due
    past_due = "past_due"  # an invoice is overdue or its card payment failed
    cancelled = "cancelled"


async def subscription_states(
    session: AsyncSession, org_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, SubscriptionState]:
    """The state of each given organisation (missing keys mean `none`), in one query: past_due when an
    open subscription invoice is past its due date or its card payment failed; active when it is on a
    plan (its own, or the default plan in its currency); none otherwise."""
    ids = list(org_ids)
    if not ids:
        return {}
    default = aliased(SubscriptionPlan)
    overdue = (
        select(func.count())
        .where(
            SubscriptionInvoice.organization_id == Organization.id,
            SubscriptionInvoice.state.in_((SubInvoiceState.open, SubInvoiceState.uncollectible)),
            or_(SubscriptionInvoice.due_at < utcnow(), SubscriptionInvoice.payment_failed_at.is_not(None)),
        )
        .correlate(Organization)
        .scalar_subquery()
    )
    on_plan = or_(OrgSubscription.plan_id.is_not(None), default.id.is_not(None))
    state = case((overdue > 0, SubscriptionState.past_due.value), (on_plan, SubscriptionState.active.value))
    rows = await session.execute(
        select(Organization.id, state)
        .outerjoin(OrgSubscription, OrgSubscription.organization_id == Organization.id)
        .outerjoin(
            default,
            and_(
                OrgSubscription.plan_id.is_(None),
                default.is_default.is_(True),
                default.currency == Organization.currency,
            ),
        )
        .where(Organization.id.in_(ids))
    )
    return {org_id: SubscriptionState(value) for org_id, value in rows.all() if value}
