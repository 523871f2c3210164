"""The hosted invoice page (an invoice's hosted_invoice_url) and its PDF, and the 3-D Secure challenge.

The page shows who bills (the on_behalf_of account's business name when set), the lines, the VAT, the
total and the due date, and while something is due a card form. Stripe's test cards behave as in
Stripe's test mode (see `cards`); a 3-D Secure card goes to a challenge page whose "Complete" pays and
whose "Fail" leaves the invoice open. Plain HTML, no JavaScript."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from ladeportal.stripe_standin import invoice_payments
from ladeportal.stripe_standin.cards import read_card
from ladeportal.stripe_standin.errors import StripeApiError
from ladeportal.stripe_standin.invoice_pdf import invoice_pdf
from ladeportal.stripe_standin.store import Store

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
_NO_STORE = {"Cache-Control": "no-store"}


def money(amount: int, currency: str) -> str:
    sign = "-" if amount < 0 else ""
    units, cents = divmod(abs(amount), 100)
    return f"{sign}{units:,}.{cents:02d} {currency.upper()}".replace(",", " ")


def day(timestamp: int | None) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).date().isoformat() if timestamp else ""


templates.env.filters["money"] = money
templates.env.filters["day"] = day


def page_context(store: Store, invoice: dict[str, Any]) -> dict[str, Any]:
    with store.lock:
        rates = store.objects.get("tax_rate", {})
        taxes = [
            {
                "label": f"{rates[t['tax_rate_details']['tax_rate']]['display_name']} "
                f"{rates[t['tax_rate_details']['tax_rate']]['percentage']} %"
                + (" (included)" if t["tax_behavior"] == "inclusive" else ""),
                "amount": t["amount"],
            }
            for t in invoice["total_taxes"]
        ]
    return {
        "invoice": invoice,
        "taxes": taxes,
        "merchant": invoice["account_name"] or store.platform_name,
        "payable": invoice_payments.payable(invoice),
    }


def routes(store: Store) -> list[Route]:
    def _invoice(token: str) -> dict[str, Any] | None:
        with store.lock:
            invoice_id = store.hosted_pages.get(token)
            invoice = store.objects.get("invoice", {}).get(invoice_id or "")
            return copy.deepcopy(invoice) if invoice else None

    def _page(request: Request, invoice: dict[str, Any], **extra: Any) -> Response:
        status = extra.pop("status", 200)
        context = {**page_context(store, invoice), "errors": {}, "message": None, **extra}
        return templates.TemplateResponse(request, "invoice.html", context, status_code=status, headers=_NO_STORE)

    async def show(request: Request) -> Response:
        invoice = _invoice(request.path_params["token"])
        if invoice is None:
            return _message(request, "This invoice link is not valid.", 404)
        return _page(request, invoice)

    async def pay(request: Request) -> Response:
        token = request.path_params["token"]
        invoice = _invoice(token)
        if invoice is None:
            return _message(request, "This invoice link is not valid.", 404)
        form = await request.form()
        fields = {k: v if isinstance(v, str) else "" for k, v in form.items()}
        card, errors = read_card(
            fields.get("number", ""), fields.get("expiry", ""), fields.get("cvc", ""), store.clock.now()
        )
        if card is None:
            return _page(request, invoice, errors=errors, values=fields, status=400)
        try:
            intent = invoice_payments.pay_with_card(store, invoice["id"], card)
        except StripeApiError as exc:
            return _page(request, _invoice(token) or invoice, message=exc.message, status=400)
        if intent["status"] == "requires_action":
            return RedirectResponse(intent["next_action"]["redirect_to_url"]["url"], status_code=303, headers=_NO_STORE)
        if intent["status"] == "succeeded":
            return RedirectResponse(f"/i/{token}", status_code=303, headers=_NO_STORE)
        error = intent["last_payment_error"]["message"]
        return _page(request, _invoice(token) or invoice, message=error, status=402)

    async def pdf(request: Request) -> Response:
        invoice = _invoice(request.path_params["token"])
        if invoice is None:
            return _message(request, "This invoice link is not valid.", 404)
        context = page_context(store, invoice)
        body = invoice_pdf(invoice, context["merchant"], context["taxes"], money, day)
        return Response(body, media_type="application/pdf", headers=_NO_STORE)

    async def show_challenge(request: Request) -> Response:
        found = invoice_payments.challenge(store, request.path_params["token"])
        if found is None:
            return _message(request, "This authentication is not pending.", 404)
        invoice, intent = found
        context = {
            "intent": intent,
            "merchant": invoice["account_name"] or store.platform_name,
            "what": f"invoice {invoice['number']}",
        }
        return templates.TemplateResponse(request, "challenge.html", context, headers=_NO_STORE)

    async def answer_challenge(request: Request) -> Response:
        found = invoice_payments.challenge(store, request.path_params["token"])
        if found is None:
            return _message(request, "This authentication is not pending.", 404)
        invoice, _ = found
        action = (await request.form()).get("action")
        if action not in ("complete", "fail"):
            return _message(request, "Choose “Complete” or “Fail”.", 400)
        intent = invoice_payments.finish_authentication(store, invoice["id"], passed=action == "complete")
        page_token = invoice["hosted_invoice_url"].rsplit("/", 1)[-1]
        if intent["status"] == "succeeded":
            return RedirectResponse(f"/i/{page_token}", status_code=303, headers=_NO_STORE)
        updated = _invoice(page_token) or invoice
        return _page(request, updated, message=intent["last_payment_error"]["message"], status=402)

    return [
        Route("/i/{token}", show, methods=["GET"]),
        Route("/i/{token}", pay, methods=["POST"]),
        Route("/i/{token}/pdf", pdf, methods=["GET"]),
        Route("/3ds/{token}", show_challenge, methods=["GET"]),
        Route("/3ds/{token}", answer_challenge, methods=["POST"]),
    ]


def _message(request: Request, text: str, status: int) -> Response:
    return templates.TemplateResponse(request, "message.html", {"text": text}, status_code=status, headers=_NO_STORE)
