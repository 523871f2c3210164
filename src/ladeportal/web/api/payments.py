"""An organisation's payments state (Stripe Connect) and its invoicing switch date, for its staff."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel

from ladeportal.billing.account_status import PaymentsState
from ladeportal.billing.deadlines import invoicing_deadline
from ladeportal.billing.onboarding import payments_status
from ladeportal.web.deps import OrgStaff, SessionDep

router = APIRouter(tags=["payments"])


class PaymentsOut(BaseModel):
    state: PaymentsState
    account_id: str | None
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    currently_due: list[str]
    past_due: list[str]
    pending_verification: list[str]
    deadline: datetime | None
    disabled_reason: str | None
    synced_at: datetime | None
    last_error_code: str | None
    switch_date: date | None
    days_left: int | None


@router.get("/orgs/{org_id}/payments", response_model=PaymentsOut)
async def get_payments(principal: OrgStaff, session: SessionDep) -> PaymentsOut:
    """The state as Stripe last described it (webhooks keep it current) and the switch date; days
    are counted in the organisation's time zone."""
    deadline = await invoicing_deadline(session, principal.organization_id)
    status = await payments_status(session, principal.organization_id)
    return PaymentsOut(
        state=status.state,
        account_id=status.account_id,
        charges_enabled=status.charges_enabled,
        payouts_enabled=status.payouts_enabled,
        details_submitted=status.details_submitted,
        currently_due=list(status.currently_due),
        past_due=list(status.past_due),
        pending_verification=list(status.pending_verification),
        deadline=status.deadline,
        disabled_reason=status.disabled_reason,
        synced_at=status.synced_at,
        last_error_code=status.last_error_code,
        switch_date=deadline.switch_date,
        days_left=deadline.days_left,
    )
