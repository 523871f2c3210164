"""Whether a member's charging is refused because an invoice is overdue: when the organisation set
`block_after_days`, a member with an open (or uncollectible) invoice whose due date is more than that
many days ago is blocked. Paying the invoice (state paid) lifts it at the next decision, as does a void.

Kept apart from `overdue.py` (reminders and messages) so the access decision imports only tables. Days
are counted by the UTC date of `at`: at the boundary a block starts at most a few hours early or late.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import BillingSettings, Invoice, InvoiceState

UNPAID_STATES = (InvoiceState.open, InvoiceState.uncollectible)


async def overdue_block(session: AsyncSession, org_id: uuid.UUID, membership_id: uuid.UUID, at: datetime) -> bool:
    """True when the member is blocked for an overdue invoice. One query, through the index on
    invoices.membership_id (a member has a handful of invoices); the settings row is joined by its key."""
    row = (
        await session.execute(
            select(BillingSettings.block_after_days, func.min(Invoice.due_date))
            .join(BillingSettings, BillingSettings.organization_id == Invoice.organization_id)
            .where(
                Invoice.membership_id == membership_id,
                Invoice.organization_id == org_id,
                Invoice.state.in_(UNPAID_STATES),
                Invoice.due_date.is_not(None),
                BillingSettings.block_after_days.is_not(None),
            )
            .group_by(BillingSettings.block_after_days)
        )
    ).first()
    if row is None or row[0] is None or row[1] is None:
        return False
    block_after_days, oldest_due = int(row[0]), row[1]
    return (at.date() - oldest_due).days > block_after_days


async def overdue_members(session: AsyncSession, org_id: uuid.UUID, at: datetime) -> set[uuid.UUID]:
    """Every member of the organisation that `overdue_block` would block at `at` (for the chargers'
    local authorisation lists); empty when the organisation does not block."""
    block_after_days = await session.scalar(
        select(BillingSettings.block_after_days).where(BillingSettings.organization_id == org_id)
    )
    if block_after_days is None:
        return set()
    threshold = at.date() - timedelta(days=int(block_after_days))
    rows = await session.scalars(
        select(Invoice.membership_id)
        .where(
            Invoice.organization_id == org_id,
            Invoice.state.in_(UNPAID_STATES),
            Invoice.due_date < threshold,
        )
        .distinct()
    )
    return set(rows)
