"""The operator's payments overview: every organisation's Stripe registration state, Stripe's
deadline and the invoicing switch date with the days left; searching, filtering by state, and setting
the switch date of one or several organisations (confirmed first; billing.deadlines audits it).

Staff only (`OperatorPage`): anyone else gets 404, as for a page that does not exist."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from ladeportal.billing.account_status import PaymentsState
from ladeportal.billing.deadlines import set_invoicing_switch_date
from ladeportal.billing.overview import operator_payments_overview
from ladeportal.errors import DomainError, ValidationFailed
from ladeportal.i18n import N_, ngettext
from ladeportal.limits import MAX_PAGE, MAX_SEARCH_CHARS
from ladeportal.orgs.models import Organization
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import OperatorPage
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.pages.payments import STATE_COLOURS, STATE_LABELS
from ladeportal.web.portal.templating import render

router = APIRouter()

PAGE = "/portal/operator/payments"
PAGE_SIZE = 50
NONE_SELECTED = N_("Select at least one organisation.")
DATE_INVALID = N_("Enter the date as 2027-01-31, or leave it empty to remove the switch date.")


def _state(raw: str | None) -> PaymentsState | None:
    try:
        return PaymentsState(raw) if raw else None
    except ValueError:
        return None


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) <= MAX_PAGE else 1


@router.get(PAGE)
async def overview(request: Request, viewer: OperatorPage, session: SessionDep) -> Response:
    params = request.query_params
    query = (params.get("q") or "").strip()[:MAX_SEARCH_CHARS]
    state = _state(params.get("state"))
    page = _page_number(params.get("page"))
    result = await operator_payments_overview(
        session, query=query or None, state=state, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    return render(
        request,
        "portal/operator/payments.html",
        {
            "result": result,
            "filters": {"q": query, "state": state.value if state else ""},
            "page": page,
            "has_next": result.offset + len(result.rows) < result.total,
            "state_labels": STATE_LABELS,
            "state_colours": STATE_COLOURS,
            "errors": {},
        },
    )


def _parse(form_ids: list[str], raw_date: str) -> tuple[list[uuid.UUID], date | None]:
    try:
        ids = list(dict.fromkeys(uuid.UUID(v) for v in form_ids))
    except ValueError:
        ids = []
    if not ids:
        raise ValidationFailed(NONE_SELECTED, field="orgs", code="payments.no_orgs")
    try:
        switch_date = date.fromisoformat(raw_date) if raw_date else None
    except ValueError:
        raise ValidationFailed(DATE_INVALID, field="switch_date", code="payments.switch_date_invalid") from None
    return ids, switch_date


@router.post(f"{PAGE}/switch-date")
async def set_switch_date(request: Request, viewer: OperatorPage, session: SessionDep) -> Response:
    form = await request.form()
    raw_date = str(form.get("switch_date") or "").strip()
    try:
        ids, switch_date = _parse([str(v) for v in form.getlist("orgs")], raw_date)
    except ValidationFailed as exc:
        return redirect(request, PAGE, error_text(exc), level="danger")
    if form.get("confirm") != "1":
        names = (
            await session.scalars(
                select(Organization.legal_name).where(Organization.id.in_(ids)).order_by(Organization.legal_name)
            )
        ).all()
        return render(
            request,
            "portal/operator/payments_confirm.html",
            {"ids": ids, "names": names, "switch_date": switch_date, "raw_date": raw_date},
        )
    try:
        changed = await set_invoicing_switch_date(session, ids, switch_date, staff_id=viewer.user.id)
    except DomainError as exc:
        await session.rollback()
        return redirect(request, PAGE, error_text(exc), level="danger")
    message = (
        ngettext(
            "The switch date is set for %(num)d organisation.",
            "The switch date is set for %(num)d organisations.",
            changed,
        )
        if switch_date
        else ngettext(
            "The switch date is removed for %(num)d organisation.",
            "The switch date is removed for %(num)d organisations.",
            changed,
        )
    )
    return redirect(request, PAGE, message % {"num": changed})
