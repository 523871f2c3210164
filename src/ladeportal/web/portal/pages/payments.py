"""Payments (linked from Settings, the navigation and the dashboard): the organisation's Stripe Express
account, for the board (org_admin) and the finance contact; anyone else gets 404.

The page says in plain words how far the registration is and what happens at the invoicing switch
date. Registration itself happens on Stripe's hosted pages: "Start" and "Continue" send the browser
to a fresh AccountLink (billing.onboarding), Stripe sends it back to `/return` (the account is re-read
from Stripe and the new state shown) or, when a link has expired or was already used, to `/refresh`,
which makes a new link at once. Bank account numbers are entered on Stripe's pages, never here.
Without a Stripe API key payments are switched off: the page says so and offers nothing to press.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from ladeportal.billing.account_status import PaymentsState, PaymentsStatus, disabled_reason_label, requirement_labels
from ladeportal.billing.deadlines import invoicing_deadline
from ladeportal.billing.onboarding import express_dashboard_link, onboarding_link, payments_status, sync_account
from ladeportal.errors import DomainError
from ladeportal.i18n import N_, gettext
from ladeportal.web.deps import SessionDep, get_db
from ladeportal.web.portal.access import OrgContext, StaffPage
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.nav import ORDER, NavSection, register_section
from ladeportal.web.portal.security import settings_of
from ladeportal.web.portal.templating import render

router = APIRouter()
PATH = "/payments"
register_section(NavSection("payments", N_("Payments"), PATH, ORDER["payouts"]))

# The state in words a board member understands (headline), and what it means for them.
STATE_LABELS = {
    PaymentsState.not_started: N_("Not started"),
    PaymentsState.in_progress: N_("Registration in progress"),
    PaymentsState.waiting_for_stripe: N_("Waiting for Stripe"),
    PaymentsState.action_needed: N_("Action needed"),
    PaymentsState.ready: N_("Ready to receive payments"),
    PaymentsState.restricted: N_("Restricted"),
}
STATE_TEXTS = {
    PaymentsState.not_started: N_(
        "The organisation is not registered with Stripe yet. Registration takes about 10 minutes: the "
        "organisation's details, a board member's details and the bank account the money is paid out to."
    ),
    PaymentsState.in_progress: N_("The registration is started but not finished. Still needed:"),
    PaymentsState.waiting_for_stripe: N_(
        "Everything is submitted. Stripe is checking the details; this usually takes a few minutes, "
        "sometimes a few days. There is nothing to do now."
    ),
    PaymentsState.action_needed: N_("Stripe needs more information:"),
    PaymentsState.ready: N_(
        "Everything is in place: payments for charging can be paid out to the organisation's bank account."
    ),
    PaymentsState.restricted: N_("Stripe has restricted the account:"),
}
# Tabler colours of the state badge.
STATE_COLOURS = {
    PaymentsState.not_started: "secondary",
    PaymentsState.in_progress: "yellow",
    PaymentsState.waiting_for_stripe: "azure",
    PaymentsState.action_needed: "orange",
    PaymentsState.ready: "green",
    PaymentsState.restricted: "red",
}
START_LABEL = N_("Stripe's registration pages open now.")
DASHBOARD_LABEL = N_("The Stripe Express dashboard opens now.")
# States in which the registration on Stripe's pages can be started or continued.
CAN_CONTINUE = frozenset({PaymentsState.in_progress, PaymentsState.action_needed, PaymentsState.restricted})


def _error_status(exc: DomainError) -> int:
    """503 while Stripe cannot be reached (try again later); 422 when Stripe or the domain refused."""
    return 503 if exc.code == "payments.stripe_unavailable" else 422


def payments_enabled(request: Request) -> bool:
    return bool(settings_of(request).stripe_api_key.get_secret_value())


def _absolute(request: Request, here: OrgContext, tail: str) -> str:
    return f"{settings_of(request).public_url.rstrip('/')}{here.base}{PATH}/{tail}"


def _words(status: PaymentsStatus) -> dict[str, object]:
    """What is due (past due first) and why the account is restricted, in the reader's words."""
    due = requirement_labels((*status.past_due, *status.currently_due))
    reason = gettext(disabled_reason_label(status.disabled_reason)) if status.disabled_reason else None
    return {"due": [gettext(label) for label in due], "reason": reason}


def _status_context(request: Request, status: PaymentsStatus) -> dict[str, object]:
    enabled = payments_enabled(request)
    return {
        "enabled": enabled,
        "status": status,
        "words": _words(status),
        "state_labels": STATE_LABELS,
        "state_texts": STATE_TEXTS,
        "state_colours": STATE_COLOURS,
        "can_start": enabled and status.state == PaymentsState.not_started,
        "can_continue": enabled and status.state in CAN_CONTINUE,
        "can_open_dashboard": enabled and status.details_submitted,
    }


async def _page(
    request: Request,
    here: OrgContext,
    session: SessionDep,
    *,
    status: PaymentsStatus | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    deadline = await invoicing_deadline(session, here.org.id)
    if status is None:
        status = await payments_status(session, here.org.id)
    return render(
        request,
        "portal/payments/index.html",
        {**_status_context(request, status), "deadline": deadline, "error": error},
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


async def _to_stripe(request: Request, here: OrgContext, session: SessionDep, *, from_form: bool) -> Response:
    """A fresh AccountLink (the account is created first when there is none) and the browser sent to it:
    by a redirect, or after a form through a page that moves on by itself (see `_forward`)."""
    if not payments_enabled(request):
        return RedirectResponse(f"{here.base}{PATH}", status_code=303)
    await session.commit()  # ends the request's read, so what follows sees what the operation stored
    try:
        url = await onboarding_link(
            get_db(request),
            here.org.id,
            actor_user_id=here.viewer.user.id,
            return_url=_absolute(request, here, "return"),
            refresh_url=_absolute(request, here, "refresh"),
        )
    except DomainError as exc:
        # Stripe unreachable or refusing: the page with the reason, never an error page.
        return await _page(request, here, session, error=error_text(exc), status_code=_error_status(exc))
    return _forward(request, url, START_LABEL) if from_form else RedirectResponse(url, status_code=303)


def _forward(request: Request, url: str, label: str) -> Response:
    """Send the browser on to Stripe. Not a redirect: the portal's content security policy allows
    forms to post only to the portal itself, which browsers apply to a redirect that answers a form,
    so the answer is a page that moves on by itself (Refresh), with a link for the reader as well."""
    return render(
        request,
        "portal/payments/forward.html",
        {"url": url, "label": label},
        headers={"Refresh": f"0; url={url}", "Cache-Control": "no-store"},
    )


@router.get(f"/portal/o/{{org_id}}{PATH}")
async def payments_page(request: Request, here: StaffPage, session: SessionDep) -> Response:
    if request.query_params.get("partial") == "status" and payments_enabled(request):
        # The state and the switch date alone, for their refresh while Stripe checks the details.
        deadline = await invoicing_deadline(session, here.org.id)
        status = await payments_status(session, here.org.id)
        return render(
            request,
            "portal/payments/_status.html",
            {**_status_context(request, status), "deadline": deadline},
            headers={"Cache-Control": "no-store"},
        )
    return await _page(request, here, session)


@router.post(f"/portal/o/{{org_id}}{PATH}/start")
async def start(request: Request, here: StaffPage, session: SessionDep) -> Response:
    return await _to_stripe(request, here, session, from_form=True)


@router.get(f"/portal/o/{{org_id}}{PATH}/refresh")
async def refresh(request: Request, here: StaffPage, session: SessionDep) -> Response:
    # Stripe sends the browser here when a link has expired or was used already; a person whose
    # portal session is gone signs in first and comes back here (the login page's `next`).
    return await _to_stripe(request, here, session, from_form=False)


@router.get(f"/portal/o/{{org_id}}{PATH}/return")
async def returned(request: Request, here: StaffPage, session: SessionDep) -> Response:
    if not payments_enabled(request):
        return await _page(request, here, session)
    await session.commit()
    try:
        status = await sync_account(get_db(request), here.org.id)
    except DomainError as exc:
        # The state last known is still worth showing, with the reason it may be out of date.
        return await _page(request, here, session, error=error_text(exc), status_code=_error_status(exc))
    return await _page(request, here, session, status=status)


@router.post(f"/portal/o/{{org_id}}{PATH}/dashboard")
async def express_dashboard(request: Request, here: StaffPage, session: SessionDep) -> Response:
    if not payments_enabled(request):
        return RedirectResponse(f"{here.base}{PATH}", status_code=303)
    await session.commit()
    try:
        url = await express_dashboard_link(get_db(request), here.org.id, actor_user_id=here.viewer.user.id)
    except DomainError as exc:
        return await _page(request, here, session, error=error_text(exc), status_code=_error_status(exc))
    return _forward(request, url, DASHBOARD_LABEL)
