"""Public charging (listed under Prices): which sites and chargers guests may use, the amount held on a
guest's card, the stickers to print (a QR code per connector) and the guests' payments with their
state, a failed capture among them. For the administrator and the finance contact; only the
administrator opens and closes chargers or changes the amount. Anyone else gets 404."""

from __future__ import annotations

import uuid
from functools import lru_cache

import segno
from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.errors import DomainError
from ladeportal.guests import places
from ladeportal.guests.listing import guest_payments, site_rows
from ladeportal.i18n import N_, gettext
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal import flash
from ladeportal.web.portal.access import AdminPage, OrgContext, StaffPage
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.forms import form_values
from ladeportal.web.portal.nav import ORDER, NavSection, register_section
from ladeportal.web.portal.security import settings_of
from ladeportal.web.portal.templating import render

router = APIRouter()
PATH = "/public-charging"
register_section(NavSection("public_charging", N_("Public charging"), PATH, ORDER["prices"] + 1, icon="currency"))

STATE_LABELS = {
    "paying": N_("Waiting for payment"),
    "authorised": N_("Card hold in place"),
    "charging": N_("Charging"),
    "settling": N_("Being settled"),
    "done": N_("Paid"),
    "capture_failed": N_("Capture failed"),
    "expired": N_("Not paid"),
}
STATE_COLOURS = {
    "paying": "secondary",
    "authorised": "azure",
    "charging": "blue",
    "settling": "yellow",
    "done": "green",
    "capture_failed": "red",
    "expired": "secondary",
}
CLOSED_REASONS = {
    "guest.no_public_plan": N_("No public price plan applies here"),
    "guest.payments_not_ready": N_("The Stripe account cannot take card payments yet"),
}


def _base(here: OrgContext) -> str:
    return f"{here.base}{PATH}"


@router.get("/portal/o/{org_id}" + PATH)
async def page(request: Request, here: StaffPage, session: SessionDep) -> Response:
    context = {
        "sites": await site_rows(session, here.org.id),
        "hold_minor": await places.hold_minor(session, here.org.id),
        "low": places.MIN_HOLD_MINOR // 100,
        "high": places.MAX_HOLD_MINOR // 100,
        "payments": await guest_payments(session, here.org.id),
        "state_labels": STATE_LABELS,
        "payment_colours": STATE_COLOURS,
        "closed_reasons": CLOSED_REASONS,
        "base_path": _base(here),
    }
    return render(request, "portal/public_charging/index.html", context)


@router.post("/portal/o/{org_id}" + PATH + "/hold")
async def set_hold(request: Request, here: AdminPage, session: SessionDep) -> Response:
    values = await form_values(request)
    try:
        raw = values.get("hold", "").replace(" ", "")
        # Anything but whole digits is out of range, with the same message as a number that is.
        whole = int(raw) if raw.isdigit() and len(raw) < 9 else -1
        await places.set_hold(session, here.actor, here.org.id, whole * 100)
    except DomainError as exc:
        return flash.redirect(request, _base(here), error_text(exc), level="danger")
    return flash.redirect(request, _base(here), gettext("The amount held on guests' cards is saved."))


async def _change(
    request: Request, here: OrgContext, session: SessionDep, kind: str, target: uuid.UUID, opening: bool
) -> Response:
    actions = {
        ("site", True): places.open_site,
        ("site", False): places.close_site,
        ("charger", True): places.open_charger,
        ("charger", False): places.close_charger,
    }
    try:
        await actions[(kind, opening)](session, here.actor, here.org.id, target)
    except DomainError as exc:
        if exc.kind == "not_found":
            raise
        return flash.redirect(request, _base(here), error_text(exc), level="danger")
    message = gettext("Open to guests.") if opening else gettext("Closed to guests.")
    return flash.redirect(request, _base(here), message)


@router.post("/portal/o/{org_id}" + PATH + "/sites/{site_id}/open")
async def open_site(request: Request, here: AdminPage, session: SessionDep, site_id: uuid.UUID) -> Response:
    return await _change(request, here, session, "site", site_id, True)


@router.post("/portal/o/{org_id}" + PATH + "/sites/{site_id}/close")
async def close_site(request: Request, here: AdminPage, session: SessionDep, site_id: uuid.UUID) -> Response:
    return await _change(request, here, session, "site", site_id, False)


@router.post("/portal/o/{org_id}" + PATH + "/chargers/{cp_id}/open")
async def open_charger(request: Request, here: AdminPage, session: SessionDep, cp_id: uuid.UUID) -> Response:
    return await _change(request, here, session, "charger", cp_id, True)


@router.post("/portal/o/{org_id}" + PATH + "/chargers/{cp_id}/close")
async def close_charger(request: Request, here: AdminPage, session: SessionDep, cp_id: uuid.UUID) -> Response:
    return await _change(request, here, session, "charger", cp_id, False)


@lru_cache(maxsize=512)
def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG (error correction M: a sticker survives some wear)."""
    return str(segno.make_qr(url, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff"))


@router.get("/portal/o/{org_id}" + PATH + "/stickers")
async def stickers(request: Request, here: StaffPage, session: SessionDep) -> Response:
    public_url = settings_of(request).public_url.rstrip("/")
    items = [
        {"sticker": s, "url": f"{public_url}/app/c/{s.code}", "svg": qr_svg(f"{public_url}/app/c/{s.code}")}
        for s in await places.stickers(session, here.org.id)
    ]
    return render(request, "portal/public_charging/stickers.html", {"items": items, "base_path": _base(here)})
