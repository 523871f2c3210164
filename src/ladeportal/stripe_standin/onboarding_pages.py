"""The hosted pages: an AccountLink's onboarding form and a login link's small Express dashboard.

An AccountLink is single-use and lives 300 s: opening it starts a form session and marks it used;
opening it again, or after it expired, sends the browser to the link's refresh_url, like Stripe. The
form is plain HTML (no JavaScript): "Save and finish later" keeps what was filled and goes to the
return_url; "Submit" needs every field that is still due, submits the details for verification and
goes to the return_url."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from ladeportal.stripe_standin.account_changes import add_bank_account, save_details, submit_details
from ladeportal.stripe_standin.accounts import apply_update, satisfy
from ladeportal.stripe_standin.errors import StripeApiError
from ladeportal.stripe_standin.ids import new_token
from ladeportal.stripe_standin.onboarding_form import (
    BUSINESS_TYPE_LABELS,
    COVERED,
    MCC_CHOICES,
    FormInput,
    account_params,
    read_form,
    representative_provided,
)
from ladeportal.stripe_standin.store import Store

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
_NO_STORE = {"Cache-Control": "no-store"}


def routes(store: Store) -> list[Route]:
    async def open_link(request: Request) -> Response:
        token = request.path_params["token"]
        with store.lock:
            link = store.account_links.get(token)
            if link is None or link["account"] != request.path_params["account"]:
                return _message(request, "This link is not valid.", 404)
            if link["used"] or store.clock.now() > link["expires_at"]:
                return RedirectResponse(link["refresh_url"], status_code=302, headers=_NO_STORE)
            link["used"] = True
            session = new_token(24)
            store.form_sessions[session] = {"token": session, "link": token, "account": link["account"], "ended": False}
        store.changed()
        return RedirectResponse(f"/onboarding/{session}", status_code=303, headers=_NO_STORE)

    def _session(session_token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        with store.lock:
            session = store.form_sessions.get(session_token)
            if session is None:
                return None
            return copy.deepcopy(session), copy.deepcopy(store.account_links[session["link"]])

    async def show_form(request: Request) -> Response:
        found = _session(request.path_params["session"])
        if found is None:
            return _message(request, "This onboarding session is not valid.", 404)
        session, link = found
        if session["ended"]:
            return RedirectResponse(link["refresh_url"], status_code=303, headers=_NO_STORE)
        return _form(request, session, None)

    async def post_form(request: Request) -> Response:
        found = _session(request.path_params["session"])
        if found is None:
            return _message(request, "This onboarding session is not valid.", 404)
        session, link = found
        if session["ended"]:
            return RedirectResponse(link["refresh_url"], status_code=303, headers=_NO_STORE)
        form = await request.form()
        entry = read_form({k: v for k, v in form.items() if isinstance(v, str)})
        action = form.get("action")
        if action not in ("save", "submit"):
            entry.errors["action"] = "Choose “Save and finish later” or “Submit”."
        if entry.errors:
            return _form(request, session, entry, status=400)
        account_id = session["account"]
        mutate = _mutation(store, entry, request)
        if action == "submit":
            with store.lock:
                trial = copy.deepcopy(store.accounts[account_id])
            try:
                mutate(trial)
            except StripeApiError as exc:
                entry.errors["form"] = exc.message
                return _form(request, session, entry, status=400)
            missing = sorted(set(trial["requirements"]["currently_due"]) & COVERED)
            if missing:
                entry.errors["form"] = "Still needed: " + ", ".join(missing)
                return _form(request, session, entry, status=400)
        try:
            save_details(store, account_id, mutate)
        except StripeApiError as exc:
            entry.errors["form"] = exc.message
            return _form(request, session, entry, status=400)
        if entry.values["business_type"] or any(entry.values.values()):
            _remember(store, account_id, entry)
        if action == "submit":
            submit_details(store, account_id, leave_due=[], user_agent=request.headers.get("user-agent"))
        with store.lock:
            store.form_sessions[session["token"]]["ended"] = True
        store.changed()
        return RedirectResponse(link["return_url"], status_code=303, headers=_NO_STORE)

    async def dashboard(request: Request) -> Response:
        with store.lock:
            login = store.login_links.get(request.path_params["token"])
            if login is None or login["account"] != request.path_params["account"]:
                return _message(request, "This login link is not valid.", 404)
            account = copy.deepcopy(store.accounts[login["account"]])
        return templates.TemplateResponse(request, "dashboard.html", {"account": account}, headers=_NO_STORE)

    def _form(request: Request, session: dict[str, Any], entry: FormInput | None, status: int = 200) -> Response:
        with store.lock:
            account = copy.deepcopy(store.accounts[session["account"]])
            remembered = dict(store.onboarding_details.get(session["account"], {}))
        values = _prefill(account, remembered)
        if entry is not None:
            values.update({k: v for k, v in entry.values.items() if v})
        context = {
            "account": account,
            "values": values,
            "errors": entry.errors if entry else {},
            "tos_accepted": account["tos_acceptance"]["date"] is not None or bool(entry and entry.tos),
            "bank_account": (account["external_accounts"]["data"] or [None])[0],
            "mcc_choices": MCC_CHOICES,
            "business_types": BUSINESS_TYPE_LABELS,
            "action": f"/onboarding/{session['token']}",
        }
        return templates.TemplateResponse(request, "onboarding.html", context, status_code=status, headers=_NO_STORE)

    return [
        Route("/setup/s/{account}/{token}", open_link, methods=["GET"]),
        Route("/onboarding/{session}", show_form, methods=["GET"]),
        Route("/onboarding/{session}", post_form, methods=["POST"]),
        Route("/express/{account}/{token}", dashboard, methods=["GET"]),
    ]


def _mutation(store: Store, entry: FormInput, request: Request) -> Any:
    ip = request.client.host if request.client else "127.0.0.1"
    user_agent = request.headers.get("user-agent", "")

    def mutate(account: dict[str, Any]) -> None:
        params = account_params(
            entry, account["business_type"], ip=ip, user_agent=user_agent, now=store.clock.timestamp()
        )
        apply_update(account, params)
        if (account["business_type"] or "company") != "individual":
            satisfy(account, representative_provided(entry.values))
        if entry.iban:
            add_bank_account(account, iban=entry.iban, holder=entry.values["account_holder_name"])

    return mutate


def _remember(store: Store, account_id: str, entry: FormInput) -> None:
    keep = ("first_name", "last_name", "email", "phone", "dob", "account_holder_name")
    with store.lock:
        details = store.onboarding_details.setdefault(account_id, {})
        details.update({k: entry.values[k] for k in keep if entry.values[k]})


def _prefill(account: dict[str, Any], remembered: dict[str, str]) -> dict[str, str]:
    person = account.get("individual") or {}
    address = (person.get("address") if account["business_type"] == "individual" else None) or account["company"][
        "address"
    ]
    values = {
        "business_type": account["business_type"] or "",
        "company_name": account["company"]["name"] or account["business_profile"]["name"] or "",
        "address_line1": address.get("line1") or "",
        "postal_code": address.get("postal_code") or "",
        "city": address.get("city") or "",
        "mcc": account["business_profile"]["mcc"] or "",
        "url": account["business_profile"]["url"] or "",
        "product_description": account["business_profile"]["product_description"] or "",
        "email": account["email"] or "",
    }
    for key in ("first_name", "last_name", "email", "phone"):
        if person.get(key):
            values[key] = person[key]
    values.update({k: v for k, v in remembered.items() if v})
    return values


def _message(request: Request, text: str, status: int) -> Response:
    return templates.TemplateResponse(request, "message.html", {"text": text}, status_code=status, headers=_NO_STORE)
