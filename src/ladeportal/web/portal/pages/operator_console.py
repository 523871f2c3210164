"""The operator console (/portal/operator/): every organisation with search and filters, and the
staff actions taken on an organisation's behalf (each with a reason, in its audit trail).
Staff only (`OperatorPage`): anyone else gets 404."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.i18n import N_, gettext
from ladeportal.platform.console import (
    ACTIVITY_FILTERS,
    CHARGER_FILTERS,
    INACTIVE_DAYS,
    STRIPE_STATES,
    ConsoleQuery,
    console_page,
)
from ladeportal.platform.history import HISTORY_PAGE, org_history
from ladeportal.platform.subscription_state import SubscriptionState
from ladeportal.terms.acceptance import extend_deadline
from ladeportal.terms.reading import terms_for
from ladeportal.terms.standing import local_today
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import OperatorPage
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import form_values
from ladeportal.web.portal.security import settings_of
from ladeportal.web.portal.templating import render

router = APIRouter()

STRIPE_LABELS = {
    "not_started": N_("Not started"),
    "in_progress": N_("In progress"),
    "waiting_for_stripe": N_("Waiting for Stripe"),
    "action_needed": N_("Action needed"),
    "ready": N_("Ready"),
    "restricted": N_("Restricted"),
}
CHARGER_LABELS = {"offline": N_("Some offline"), "all_online": N_("All online"), "none": N_("No chargers")}
SUBSCRIPTION_LABELS = {
    SubscriptionState.none: N_("None"),
    SubscriptionState.active: N_("Active"),
    SubscriptionState.past_due: N_("Past due"),
    SubscriptionState.cancelled: N_("Cancelled"),
}
ACTIVITY_LABELS = {"active": N_("Active in 90 days"), "inactive": N_("Inactive for 90 days")}
assert set(CHARGER_LABELS) == set(CHARGER_FILTERS) and set(STRIPE_LABELS) == set(STRIPE_STATES)
assert set(ACTIVITY_LABELS) == set(ACTIVITY_FILTERS) and INACTIVE_DAYS == 90


@router.get("/portal/operator/")
async def console(request: Request, viewer: OperatorPage, session: SessionDep) -> Response:
    query = ConsoleQuery.parse(dict(request.query_params))
    page = await console_page(session, query, settings_of(request).ocpp_heartbeat_interval)
    params = {k: v for k, v in query.__dict__.items() if k != "page" and v}
    return render(
        request,
        "portal/operator/organizations.html",
        {
            "result": page,
            "query": query,
            "params": params,
            "stripe_labels": STRIPE_LABELS,
            "charger_labels": CHARGER_LABELS,
            "subscription_labels": {k.value: v for k, v in SUBSCRIPTION_LABELS.items()},
            "activity_labels": ACTIVITY_LABELS,
        },
    )


async def organisation_extras(session: AsyncSession, org_id: uuid.UUID, time_zone: str, page: int) -> dict[str, Any]:
    """What the organisation's console page shows besides its overview: terms and history."""
    page = max(1, min(page, 100_000))
    events, total = await org_history(session, org_id, page)
    return {
        "terms": await terms_for(session, org_id),
        "today": local_today(time_zone),
        "events": events,
        "history_page": page,
        "history_pages": max(1, -(-total // HISTORY_PAGE)),
        "history_total": total,
    }


@router.post("/portal/operator/orgs/{org_id}/terms/{version_id}/extend")
async def extend(
    request: Request, org_id: uuid.UUID, version_id: uuid.UUID, viewer: OperatorPage, session: SessionDep
) -> Response:
    values = await form_values(request)
    back = f"/portal/operator/orgs/{org_id}"
    try:
        try:
            new_date = date.fromisoformat(values.get("accept_by", ""))
        except ValueError:
            raise ValidationFailed("Not a date.", field="accept_by", code="terms.date_invalid") from None
        await extend_deadline(session, viewer.actor, org_id, version_id, new_date, values.get("reason", ""))
    except ValidationFailed as exc:
        return redirect(request, back, error_text(exc), "danger")
    except NotFound:
        raise
    return redirect(request, back, gettext("The date is extended for this organisation."))
