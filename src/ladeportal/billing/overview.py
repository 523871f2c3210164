"""For platform staff: every organisation's payments state and switch date, searched and paged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.account_status import PaymentsState
from ladeportal.billing.deadlines import days_left
from ladeportal.billing.models import InvoicingSwitchDate, StripeAccount
from ladeportal.errors import ValidationFailed
from ladeportal.limits import MAX_PAGE, MAX_PAGE_SIZE, MAX_SEARCH_CHARS
from ladeportal.orgs.models import Organization


@dataclass(frozen=True)
class OverviewRow:
    org_id: uuid.UUID
    name: str
    country: str
    state: PaymentsState
    deadline: datetime | None  # Stripe's requirements.current_deadline
    switch_date: date | None
    days_left: int | None
    currently_due: int


@dataclass(frozen=True)
class OverviewPage:
    rows: list[OverviewRow]
    total: int
    offset: int
    limit: int


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def operator_payments_overview(
    session: AsyncSession, *, query: str | None, state: PaymentsState | None, offset: int, limit: int
) -> OverviewPage:
    """Organisations (not archived) by switch date (soonest first, none last), then name. `query`
    matches the name or the organisation number; `state` keeps one state."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationFailed(
            f"The page size must be between 1 and {MAX_PAGE_SIZE}.",
            field="limit",
            code="search.page_size_range",
            params={"limit": MAX_PAGE_SIZE},
        )
    if not 0 <= offset <= MAX_PAGE * MAX_PAGE_SIZE:
        raise ValidationFailed("The offset is out of range.", field="offset", code="search.offset_range")
    stored_state = func.coalesce(StripeAccount.state, PaymentsState.not_started.value)
    conditions: list[ColumnElement[bool]] = [Organization.archived_at.is_(None)]
    text = (query or "").strip()[:MAX_SEARCH_CHARS]
    if text:
        pattern = _like(text.lower())
        conditions.append(
            or_(
                func.lower(Organization.legal_name).like(pattern, escape="\\"),
                Organization.org_number.like(_like(text.replace(" ", "")), escape="\\"),
            )
        )
    if state is not None:
        conditions.append(stored_state == state.value)
    base = (
        select(
            Organization.id,
            Organization.legal_name,
            Organization.country,
            Organization.time_zone,
            stored_state.label("state"),
            StripeAccount.current_deadline,
            StripeAccount.currently_due,
            InvoicingSwitchDate.switch_date,
        )
        .outerjoin(StripeAccount, StripeAccount.organization_id == Organization.id)
        .outerjoin(InvoicingSwitchDate, InvoicingSwitchDate.organization_id == Organization.id)
        .where(*conditions)
    )
    total = int(await session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    result = await session.execute(
        base.order_by(
            InvoicingSwitchDate.switch_date.is_(None),
            InvoicingSwitchDate.switch_date,
            Organization.legal_name,
            Organization.id,
        )
        .offset(offset)
        .limit(limit)
    )
    rows = [
        OverviewRow(
            org_id=org_id,
            name=name,
            country=country,
            state=PaymentsState(row_state),
            deadline=deadline,
            switch_date=switch_date,
            days_left=days_left(switch_date, time_zone),
            currently_due=len(due or ()),
        )
        for org_id, name, country, time_zone, row_state, deadline, due, switch_date in result
    ]
    return OverviewPage(rows=rows, total=total, offset=offset, limit=limit)
