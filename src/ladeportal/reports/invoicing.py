"""What the members' invoices of a report's months came to: invoiced, paid, credited and outstanding.

Read from the invoicing tables with the organisation named in the query. Invoices are per member and
month, not per site or charger, so a report filtered by site, charger or group has no invoice figures.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import Invoice, InvoiceState
from ladeportal.reports.periods import Period, ReportFilter

# A pending invoice is still being made at Stripe and a void one was cancelled: neither is owed.
_COUNTED = (InvoiceState.open, InvoiceState.paid, InvoiceState.uncollectible)


@dataclass(frozen=True)
class InvoiceFigures:
    currency: str
    invoices: int
    invoiced_minor: int
    paid_minor: int
    credited_minor: int
    outstanding_minor: int
    # The months (first days) whose invoices are counted: those the period touches.
    first_month: Any
    last_month: Any

    def as_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "invoices": self.invoices,
            "invoiced_minor": self.invoiced_minor,
            "paid_minor": self.paid_minor,
            "credited_minor": self.credited_minor,
            "outstanding_minor": self.outstanding_minor,
            "months": {"first": self.first_month.isoformat(), "last": self.last_month.isoformat()},
        }


async def invoice_figures(
    session: AsyncSession, org_id: uuid.UUID, period: Period, flt: ReportFilter, currency: str
) -> InvoiceFigures | None:
    """The invoices of the months the period touches, or None when the filter cannot be applied to them."""
    if flt.site_id is not None or flt.charge_point_id is not None or flt.group_id is not None:
        return None
    first, last = period.start.replace(day=1), period.end.replace(day=1)
    inv = Invoice
    open_left = inv.total_minor - inv.amount_paid_minor - inv.amount_credited_minor
    query = select(
        func.count(),
        func.coalesce(func.sum(inv.total_minor), 0),
        func.coalesce(func.sum(inv.amount_paid_minor), 0),
        func.coalesce(func.sum(inv.amount_credited_minor), 0),
        func.coalesce(
            func.sum(case((inv.state == InvoiceState.open, case((open_left > 0, open_left), else_=0)), else_=0)), 0
        ),
    ).where(
        inv.organization_id == org_id,
        inv.currency == currency,
        inv.state.in_(_COUNTED),
        inv.period_month >= first,
        inv.period_month <= last,
    )
    if flt.membership_id is not None:
        query = query.where(inv.membership_id == flt.membership_id)
    count, invoiced, paid, credited, outstanding = (await session.execute(query)).one()
    return InvoiceFigures(
        currency=currency,
        invoices=int(count),
        invoiced_minor=int(invoiced),
        paid_minor=int(paid),
        credited_minor=int(credited),
        outstanding_minor=int(outstanding),
        first_month=first,
        last_month=last,
    )
