"""Guest pages of the app: a guest scans a connector's sticker (/app/c/<code>), sees the price first,
confirms a mobile number with an SMS code, pays a card hold on Stripe's page and follows the charge on
a live page, from which the same phone can stop it. The receipt page is reached by the SMS's link.

The guest is no member: the charge is reached only with the browser cookie set when the number was
confirmed (anyone else gets 404), and nothing about members or other guests is shown.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from ladeportal import i18n
from ladeportal.auth.codes import CodeSecrets
from ladeportal.auth.limits import Requester
from ladeportal.billing.stripe_gateway import gateway
from ladeportal.errors import DomainError, NotFound
from ladeportal.guests.charges import begin_charge, charge_of_browser, confirm_payment, start_checkout, stop_charge
from ladeportal.guests.models import ChargeState, GuestCharge
from ladeportal.guests.phone_check import request_guest_code, verify_guest_code
from ladeportal.guests.views import Offer, charge_view, offer
from ladeportal.i18n import N_
from ladeportal.members.phone import display_mobile
from ladeportal.web.deps import SessionDep, get_db
from ladeportal.web.enduser.templating import render
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.security import (
    attach_csrf_cookie,
    attach_device_cookie,
    client_address,
    cookie_name,
    csrf_token,
    device_id,
    set_cookie,
    settings_of,
    verify_csrf,
)

router = APIRouter()
GUEST_COOKIE = "lp_guest"
GUEST_COOKIE_MAX_AGE = 3 * 86400
NO_STORE = {"Cache-Control": "no-store"}
CsrfChecked = Depends(verify_csrf)

# Why a charge ended without charging, in the guest's words.
FAILURES = {
    "guest.no_car": N_("No car was plugged in, so charging did not start."),
    "guest.start_rejected": N_("The charger refused to start."),
    "charger.not_connected": N_("The charger is offline."),
    "charger.no_answer": N_("The charger did not answer."),
}


def _token(request: Request) -> str | None:
    return request.cookies.get(cookie_name(request, GUEST_COOKIE))


def _page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    full = {"csrf_token": csrf_token(request), "failures": FAILURES, "states": ChargeState, **context}
    response = render(request, template, full, status_code=status_code, headers=NO_STORE)
    attach_csrf_cookie(request, response)
    attach_device_cookie(request, response)
    return response


def _not_open(request: Request) -> Response:
    return _page(request, "enduser/guest/closed.html", {}, status_code=404)


def _secrets(request: Request) -> CodeSecrets:
    settings = settings_of(request)
    return CodeSecrets(settings.secret_key.get_secret_value(), settings.public_url)


async def _offer_or_none(session: SessionDep, code: str) -> Offer | None:
    try:
        return await offer(session, code, i18n.current_language())
    except NotFound:
        return None


@router.get("/app/c/{code}")
async def connector_page(request: Request, code: str, session: SessionDep) -> Response:
    found = await _offer_or_none(session, code)
    if found is None:
        return _not_open(request)
    return _page(request, "enduser/guest/offer.html", {"offer": found, "step": "phone", "phone": "", "error": None})


@router.post("/app/c/{code}/code", dependencies=[CsrfChecked])
async def ask_code(
    request: Request, code: str, session: SessionDep, phone: Annotated[str, Form(max_length=40)] = ""
) -> Response:
    found = await _offer_or_none(session, code)
    if found is None:
        return _not_open(request)
    requester = Requester.of(client_address(request), device_id(request))
    try:
        normalised = await request_guest_code(
            session,
            phone,
            requester,
            _secrets(request),
            org_name=found.connector.org_name,
            language=i18n.current_language(),
        )
    except DomainError as exc:
        context = {"offer": found, "step": "phone", "phone": phone, "error": error_text(exc)}
        return _page(
            request, "enduser/guest/offer.html", context, status_code=429 if exc.kind == "rate_limited" else 422
        )
    context = {
        "offer": found,
        "step": "code",
        "phone": normalised,
        "shown_phone": display_mobile(normalised),
        "error": None,
    }
    return _page(request, "enduser/guest/offer.html", context)


@router.post("/app/c/{code}/verify", dependencies=[CsrfChecked])
async def check_code(
    request: Request,
    code: str,
    session: SessionDep,
    phone: Annotated[str, Form(max_length=40)] = "",
    answer: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    found = await _offer_or_none(session, code)
    if found is None:
        return _not_open(request)
    try:
        confirmed = await verify_guest_code(session, phone, answer, _secrets(request))
    except DomainError as exc:
        context = {
            "offer": found,
            "step": "code",
            "phone": phone,
            "shown_phone": display_mobile(phone) if phone.startswith("+") else phone,
            "error": error_text(exc),
        }
        return _page(request, "enduser/guest/offer.html", context, status_code=422)
    token = secrets.token_urlsafe(32)
    row = await begin_charge(session, found.connector, confirmed, i18n.current_language(), token)
    response = RedirectResponse(f"/app/guest/{row.id}", status_code=303)
    set_cookie(request, response, GUEST_COOKIE, token, max_age=GUEST_COOKIE_MAX_AGE)
    return response


async def _charge(request: Request, session: SessionDep, charge_id: uuid.UUID) -> GuestCharge:
    return await charge_of_browser(session, charge_id, _token(request))


@router.get("/app/guest/{charge_id}")
async def charge_page(request: Request, charge_id: uuid.UUID, session: SessionDep) -> Response:
    row = await _charge(request, session, charge_id)
    view = await charge_view(session, row)
    return _page(request, "enduser/guest/charge.html", {"view": view, "error": None})


@router.get("/app/guest/{charge_id}/status")
async def charge_status(request: Request, charge_id: uuid.UUID, session: SessionDep) -> Response:
    """The live part of the charge page alone, fetched every few seconds by guest.js."""
    row = await _charge(request, session, charge_id)
    view = await charge_view(session, row)
    return _page(request, "enduser/guest/_status.html", {"view": view})


@router.get("/app/guest/{charge_id}/checkout")
async def checkout(request: Request, charge_id: uuid.UUID, session: SessionDep) -> Response:
    """To Stripe's payment page. A link, not a form: the pages' CSP allows forms to post only to this
    site, and a form's redirect to Stripe would be blocked. Safe to repeat: the Checkout Session is
    keyed by the charge, so a second visit gets the same one, and it moves no money by itself."""
    await session.commit()
    settings = settings_of(request)
    try:
        url = await start_checkout(get_db(request), gateway(settings), settings, charge_id, _token(request))
    except NotFound:
        raise
    except DomainError as exc:
        row = await _charge(request, session, charge_id)
        view = await charge_view(session, row)
        return _page(request, "enduser/guest/charge.html", {"view": view, "error": error_text(exc)}, status_code=422)
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


@router.get("/app/guest/{charge_id}/paid")
async def paid(request: Request, charge_id: uuid.UUID, session: SessionDep) -> Response:
    """Stripe's success redirect: the session is re-read from Stripe (the webhook may be later)."""
    await session.commit()
    # When Stripe cannot be asked now, the webhook confirms it later; the page shows "waiting".
    with contextlib.suppress(DomainError):
        await confirm_payment(get_db(request), gateway(settings_of(request)), charge_id)
    return RedirectResponse(f"/app/guest/{charge_id}", status_code=303)


@router.post("/app/guest/{charge_id}/stop", dependencies=[CsrfChecked])
async def stop(request: Request, charge_id: uuid.UUID, session: SessionDep) -> Response:
    try:
        await stop_charge(session, charge_id, _token(request))
    except NotFound:
        raise
    except DomainError as exc:
        row = await _charge(request, session, charge_id)
        view = await charge_view(session, row)
        return _page(request, "enduser/guest/charge.html", {"view": view, "error": error_text(exc)}, status_code=409)
    return RedirectResponse(f"/app/guest/{charge_id}", status_code=303)


@router.get("/app/r/{token}")
async def receipt(request: Request, token: str, session: SessionDep) -> Response:
    row = await session.scalar(select(GuestCharge).where(GuestCharge.receipt_token == token[:60]))
    if row is None or row.state != ChargeState.done:
        raise NotFound("No such receipt.", code="guest.charge_not_found")
    view = await charge_view(session, row)
    return _page(request, "enduser/guest/receipt.html", {"view": view})
