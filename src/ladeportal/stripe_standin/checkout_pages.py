"""The hosted Checkout page of a session (its `url`) and its 3-D Secure challenge: a guest at a public
charger pays with a card (Stripe's test cards, see `cards`) and is sent to the session's success_url,
with `{CHECKOUT_SESSION_ID}` filled in as Stripe does. Plain HTML, no JavaScript."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ladeportal.stripe_standin import checkout
from ladeportal.stripe_standin.cards import read_card
from ladeportal.stripe_standin.errors import StripeApiError
from ladeportal.stripe_standin.invoice_pages import templates
from ladeportal.stripe_standin.store import Store

_NO_STORE = {"Cache-Control": "no-store"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _merchant(store: Store, session_id: str) -> str:
    with store.lock:
        data = store.internal[session_id]["intent_data"]
        account_id = data["on_behalf_of"] or store.internal[session_id]["account"]
        account = store.accounts.get(account_id) if account_id else None
        if account is None:
            return store.platform_name
        name: str = account["business_profile"]["name"] or account["company"]["name"] or store.platform_name
        return name


def _done(session: dict[str, Any]) -> str:
    return str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])


def routes(store: Store) -> list[Route]:
    def _page(request: Request, session: dict[str, Any], **extra: Any) -> Response:
        status = extra.pop("status", 200)
        context = {
            "session": session,
            "items": checkout.line_items(store, session["id"]),
            "merchant": _merchant(store, session["id"]),
            "errors": {},
            "message": None,
            "values": {"email": session["customer_email"] or ""},
            **extra,
        }
        return templates.TemplateResponse(request, "checkout.html", context, status_code=status, headers=_NO_STORE)

    def _missing(request: Request) -> Response:
        return templates.TemplateResponse(
            request, "message.html", {"text": "This checkout link is not valid."}, status_code=404, headers=_NO_STORE
        )

    async def show(request: Request) -> Response:
        session = checkout.open_session(store, request.path_params["session"])
        if session is None:
            return _missing(request)
        return _page(request, session)

    async def pay(request: Request) -> Response:
        session = checkout.open_session(store, request.path_params["session"])
        if session is None:
            return _missing(request)
        form = await request.form()
        fields = {k: v if isinstance(v, str) else "" for k, v in form.items()}
        card, errors = read_card(
            fields.get("number", ""), fields.get("expiry", ""), fields.get("cvc", ""), store.clock.now()
        )
        email = session["customer_email"] or fields.get("email", "").strip()
        if not _EMAIL.match(email):
            errors["email"] = "Your email address is invalid."
        if card is None or errors:
            return _page(request, session, errors=errors, values=fields, status=400)
        try:
            intent = checkout.pay_session(store, session["id"], card, email)
        except StripeApiError as exc:
            return _page(
                request, checkout.open_session(store, session["id"]) or session, message=exc.message, status=400
            )
        if intent["status"] == "requires_action":
            url = intent["next_action"]["redirect_to_url"]["url"]
            return RedirectResponse(url, status_code=303, headers=_NO_STORE)
        if intent["status"] in ("succeeded", "requires_capture"):
            return RedirectResponse(_done(session), status_code=303, headers=_NO_STORE)
        return _page(request, session, message=intent["last_payment_error"]["message"], values=fields, status=402)

    async def show_challenge(request: Request) -> Response:
        found = checkout.session_of_challenge(store, request.path_params["token"])
        if found is None:
            return _missing(request)
        session, intent = found
        context = {"intent": intent, "merchant": _merchant(store, session["id"]), "what": "card payment"}
        return templates.TemplateResponse(request, "challenge.html", context, headers=_NO_STORE)

    async def answer_challenge(request: Request) -> Response:
        found = checkout.session_of_challenge(store, request.path_params["token"])
        if found is None:
            return _missing(request)
        session, _ = found
        action = (await request.form()).get("action")
        if action not in ("complete", "fail"):
            return _missing(request)
        intent = checkout.finish_session_authentication(store, session["id"], passed=action == "complete")
        if intent["status"] in ("succeeded", "requires_capture"):
            return RedirectResponse(_done(session), status_code=303, headers=_NO_STORE)
        current = checkout.open_session(store, session["id"]) or session
        return _page(request, current, message=intent["last_payment_error"]["message"], status=402)

    return [
        Route("/c/pay/{session}", show, methods=["GET"]),
        Route("/c/pay/{session}", pay, methods=["POST"]),
        Route("/c/3ds/{token}", show_challenge, methods=["GET"]),
        Route("/c/3ds/{token}", answer_challenge, methods=["POST"]),
    ]
