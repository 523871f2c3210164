"""THE one module that talks to Stripe: every SDK call of the product goes through here.

The official SDK's async methods with its httpx client: nothing blocks the event loop. The SDK retries
network errors, 409 lock timeouts, 5xx and whatever Stripe marks Stripe-Should-Retry itself
(LADEPORTAL_STRIPE_MAX_NETWORK_RETRIES, with back-off, reusing the idempotency key); a plain 429,
which the SDK does not retry, is retried here as often, with back-off and jitter. What still fails
becomes a DomainError whose code the portal shows: payments.stripe_unavailable (try later), payments.stripe_rejected
(Stripe's code and param), payments.switched_off (no API key configured). Every call that changes
something at Stripe takes an idempotency key derived from the row it serves, so a repeated step gets
Stripe's first answer back.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast

import stripe

from ladeportal.errors import DomainError, ValidationFailed
from ladeportal.settings import Settings, get_settings

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0
# First wait after a 429, doubled on each further one (at most 8 s), with up to half again of jitter.
RATE_LIMIT_BACKOFF = 0.5
T = TypeVar("T")
PLATFORM = "platform"
CONNECT = "connect"


class PaymentsUnavailable(DomainError):
    """Stripe could not be reached or answered with an error after the SDK's retries."""

    kind = "unavailable"


@dataclass(frozen=True)
class AccountSnapshot:
    """What Stripe says about a connected account, in the fields the product keeps."""

    id: str
    country: str | None
    business_type: str | None
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    currently_due: tuple[str, ...]
    past_due: tuple[str, ...]
    eventually_due: tuple[str, ...]
    pending_verification: tuple[str, ...]
    current_deadline: datetime | None
    disabled_reason: str | None


@dataclass(frozen=True)
class VerifiedEvent:
    """A webhook event whose signature checked out, with the endpoint whose secret verified it."""

    id: str
    type: str
    account: str | None
    endpoint: str
    # The id of the object the event is about (acct_..., in_..., po_...), when it has one.
    object_id: str | None = None


@dataclass(frozen=True)
class InvoiceSnapshot:
    """What Stripe says about an invoice, in the fields the product keeps. Amounts in minor units;
    `tax` is the VAT Stripe worked out (inclusive and exclusive rates together)."""

    id: str
    status: str  # draft, open, paid, void, uncollectible
    number: str | None
    hosted_invoice_url: str | None
    invoice_pdf: str | None
    amount_due: int
    amount_paid: int
    total: int
    tax: int
    currency: str
    due_date: datetime | None
    attempt_count: int
    last_payment_error: str | None  # the decline code (or error code) of the last failed payment
    payment_intent: str | None
    paid_at: datetime | None
    finalized_at: datetime | None
    metadata: dict[str, str]
    voided_at: datetime | None = None


@dataclass(frozen=True)
class GuestCheckout:
    """A guest's Checkout Session and the state of the payment it made (none before the guest paid)."""

    id: str
    url: str | None
    status: str
    payment_intent_id: str | None
    intent_status: str | None
    amount_capturable: int


def _at(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def invoice_snapshot_of(invoice: Mapping[str, Any], last_payment_error: str | None = None) -> InvoiceSnapshot:
    transitions = invoice.get("status_transitions") or {}
    payments = ((invoice.get("payments") or {}).get("data")) or []
    intent = ((payments[0].get("payment") or {}).get("payment_intent")) if payments else None
    return InvoiceSnapshot(
        id=str(invoice["id"]),
        status=str(invoice.get("status") or "draft"),
        number=invoice.get("number"),
        hosted_invoice_url=invoice.get("hosted_invoice_url"),
        invoice_pdf=invoice.get("invoice_pdf"),
        amount_due=int(invoice.get("amount_due") or 0),
        amount_paid=int(invoice.get("amount_paid") or 0),
        total=int(invoice.get("total") or 0),
        tax=sum(int(t.get("amount") or 0) for t in invoice.get("total_taxes") or ()),
        currency=str(invoice.get("currency") or "").upper(),
        due_date=_at(invoice.get("due_date")),
        attempt_count=int(invoice.get("attempt_count") or 0),
        last_payment_error=last_payment_error,
        payment_intent=str(intent) if intent else None,
        paid_at=_at(transitions.get("paid_at")),
        finalized_at=_at(transitions.get("finalized_at")),
        voided_at=_at(transitions.get("voided_at")),
        metadata={str(k): str(v) for k, v in (invoice.get("metadata") or {}).items()},
    )


def _names(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (value or ()))


def snapshot_of(account: Mapping[str, Any]) -> AccountSnapshot:
    requirements = account.get("requirements") or {}
    deadline = requirements.get("current_deadline")
    return AccountSnapshot(
        id=str(account["id"]),
        country=account.get("country"),
        business_type=account.get("business_type"),
        charges_enabled=bool(account.get("charges_enabled")),
        payouts_enabled=bool(account.get("payouts_enabled")),
        details_submitted=bool(account.get("details_submitted")),
        currently_due=_names(requirements.get("currently_due")),
        past_due=_names(requirements.get("past_due")),
        eventually_due=_names(requirements.get("eventually_due")),
        pending_verification=_names(requirements.get("pending_verification")),
        current_deadline=datetime.fromtimestamp(int(deadline), UTC) if deadline else None,
        disabled_reason=requirements.get("disabled_reason") or None,
    )


def switched_off() -> ValidationFailed:
    return ValidationFailed(
        "Payments are not set up on this platform (no Stripe API key).", code="payments.switched_off"
    )


def _domain_error(exc: stripe.StripeError, what: str) -> DomainError:
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError | stripe.APIError):
        log.warning("stripe: %s failed after retries: %s", what, exc)
        return PaymentsUnavailable(
            "Stripe cannot be reached right now; try again in a few minutes.", code="payments.stripe_unavailable"
        )
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        log.error("stripe: %s refused the platform's API key: %s", what, exc)
    code = exc.code or type(exc).__name__
    param = getattr(exc, "param", None) or ""
    return ValidationFailed(
        f"Stripe refused the request ({code}{': ' + param if param else ''}): {exc.user_message or exc}",
        code="payments.stripe_rejected",
        params={"stripe_code": code, "param": param},
    )


class StripeGateway:
    """The platform's Stripe client; one per configuration (see `gateway()`)."""

    def __init__(self, settings: Settings) -> None:
        key = settings.stripe_api_key.get_secret_value()
        if not key:
            raise switched_off()
        base = settings.stripe_api_base.rstrip("/") if settings.stripe_api_base else None
        self._client = stripe.StripeClient(
            key,
            base_addresses={"api": base, "connect": base, "files": base} if base else None,
            http_client=stripe.HTTPXClient(timeout=TIMEOUT_SECONDS),
            max_network_retries=settings.stripe_max_network_retries,
        )
        self._rate_limit_retries = settings.stripe_max_network_retries
        # Tax rates made or found once per process: percentage in basis points -> txr_... id.
        self._tax_rates: dict[int, str] = {}

    async def _retrying(self, call: Callable[[], Awaitable[T]]) -> T:
        """`call`, again after a back-off when Stripe answers 429: the SDK retries a rate limit only when
        Stripe marks it Stripe-Should-Retry. The call keeps its idempotency key, so a retry never
        makes a second object."""
        for attempt in range(self._rate_limit_retries + 1):
            try:
                return await call()
            except stripe.RateLimitError:
                if attempt == self._rate_limit_retries:
                    raise
                await asyncio.sleep(min(RATE_LIMIT_BACKOFF * 2**attempt, 8.0) * (1 + random.random() / 2))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """`call` with the 429 retries, Stripe's errors turned into the product's (`what` names the step
        in the log and the message)."""
        try:
            return await self._retrying(call)
        except stripe.StripeError as exc:
            raise _domain_error(exc, what) from exc

    async def _every_page(
        self, what: str, list_page: Callable[[dict[str, Any]], Awaitable[Any]], params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Every object of a Stripe list, page after page (bounded: 1000 pages of 100)."""
        found: list[dict[str, Any]] = []
        params = {**params, "limit": 100}
        for _ in range(1000):
            page = await self._call(what, lambda: list_page(dict(params)))
            found.extend(obj.to_dict() for obj in page.data)
            if not page.has_more or not page.data:
                break
            params["starting_after"] = page.data[-1].id
        return found

    async def create_express_account(
        self, *, idempotency_key: str, country: str, business_type: str, metadata: Mapping[str, str]
    ) -> AccountSnapshot:
        try:
            account = await self._retrying(
                lambda: self._client.v1.accounts.create_async(
                    params={
                        "type": "express",
                        "country": country,
                        "business_type": business_type,
                        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
                        "metadata": dict(metadata),
                    },
                    options={"idempotency_key": idempotency_key},
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, "creating an account") from exc
        return snapshot_of(account.to_dict())

    async def retrieve_account(self, account_id: str) -> AccountSnapshot:
        try:
            account = await self._retrying(lambda: self._client.v1.accounts.retrieve_async(account_id))
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"reading account {account_id}") from exc
        return snapshot_of(account.to_dict())

    async def prefill_account(self, account_id: str, values: Mapping[str, Any], *, idempotency_key: str) -> None:
        """Fill in what the platform knows of the owner (name, organisation number, e-mail) before
        the board member sees Stripe's form."""
        try:
            await self._retrying(
                lambda: self._client.v1.accounts.update_async(
                    account_id, params=cast(Any, dict(values)), options={"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"filling in account {account_id}") from exc

    async def create_account_link(
        self, account_id: str, *, refresh_url: str, return_url: str, idempotency_key: str
    ) -> str:
        try:
            link = await self._retrying(
                lambda: self._client.v1.account_links.create_async(
                    params={
                        "account": account_id,
                        "type": "account_onboarding",
                        "refresh_url": refresh_url,
                        "return_url": return_url,
                    },
                    options={"idempotency_key": idempotency_key},
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"making an onboarding link for {account_id}") from exc
        return str(link.url)

    async def create_login_link(self, account_id: str, *, idempotency_key: str) -> str:
        try:
            link = await self._retrying(
                lambda: self._client.v1.accounts.login_links.create_async(
                    account_id, options={"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"making a dashboard link for {account_id}") from exc
        return str(link.url)

    # -- guests at public chargers: a card hold on behalf of the owner's account, captured later -----

    async def create_guest_checkout(
        self,
        *,
        amount_minor: int,
        currency: str,
        description: str,
        account_id: str,
        fee_minor: int,
        success_url: str,
        cancel_url: str,
        metadata: Mapping[str, str],
        locale: str | None,
        idempotency_key: str,
    ) -> GuestCheckout:
        """A Checkout Session (payment mode) that only authorises `amount_minor`; the payment methods are
        left to the account's settings, so wallets appear where they are enabled."""
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": amount_minor,
                        "product_data": {"name": description[:250]},
                    },
                }
            ],
            "payment_intent_data": {
                "capture_method": "manual",
                "on_behalf_of": account_id,
                "transfer_data": {"destination": account_id},
                "application_fee_amount": fee_minor,
                "description": description[:250],
                "metadata": dict(metadata),
            },
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": dict(metadata),
        }
        if locale:
            params["locale"] = locale
        try:
            session = await self._retrying(
                lambda: self._client.v1.checkout.sessions.create_async(
                    params=cast(Any, params), options={"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, "making a guest checkout") from exc
        return await self._guest_checkout_of(session.to_dict())

    async def retrieve_guest_checkout(self, session_id: str) -> GuestCheckout:
        """The session and the state of its payment intent, read now."""
        try:
            session = await self._retrying(lambda: self._client.v1.checkout.sessions.retrieve_async(session_id))
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"reading checkout {session_id}") from exc
        return await self._guest_checkout_of(session.to_dict())

    async def _guest_checkout_of(self, data: Mapping[str, Any]) -> GuestCheckout:
        intent_id = data.get("payment_intent")
        if isinstance(intent_id, Mapping):
            intent_id = intent_id.get("id")
        status = capturable = None
        if intent_id:
            pid = str(intent_id)
            try:
                intent = await self._retrying(lambda: self._client.v1.payment_intents.retrieve_async(pid))
            except stripe.StripeError as exc:
                raise _domain_error(exc, f"reading payment {pid}") from exc
            status = str(intent.status)
            capturable = int(intent.amount_capturable or 0)
        return GuestCheckout(
            id=str(data["id"]),
            url=str(data["url"]) if data.get("url") else None,
            status=str(data.get("status") or ""),
            payment_intent_id=str(intent_id) if intent_id else None,
            intent_status=status,
            amount_capturable=capturable or 0,
        )

    async def capture_payment(self, intent_id: str, *, amount_minor: int, fee_minor: int, idempotency_key: str) -> str:
        """Capture `amount_minor` of a hold (the rest is released); returns the intent's new status."""
        try:
            intent = await self._retrying(
                lambda: self._client.v1.payment_intents.capture_async(
                    intent_id,
                    params={"amount_to_capture": amount_minor, "application_fee_amount": fee_minor},
                    options={"idempotency_key": idempotency_key},
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"capturing {intent_id}") from exc
        return str(intent.status)

    async def cancel_payment(self, intent_id: str, *, idempotency_key: str) -> str:
        """Release a hold in full (nothing to pay)."""
        try:
            intent = await self._retrying(
                lambda: self._client.v1.payment_intents.cancel_async(
                    intent_id, params={"cancellation_reason": "abandoned"}, options={"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"releasing {intent_id}") from exc
        return str(intent.status)

    # -- members' invoices: made by the platform on behalf of the owner's account -------------------

    async def ensure_customer(
        self,
        *,
        name: str,
        phone: str | None,
        email: str | None,
        metadata: Mapping[str, str],
        idempotency_key: str,
        locale: str | None = None,
    ) -> str:
        """A platform customer for one membership (the key comes from its billing_customers row, so a
        repeated step gets the first customer back); returns its cus_... id."""
        params: dict[str, Any] = {"name": name[:256], "metadata": dict(metadata)}
        if phone:
            params["phone"] = phone
        if email:
            params["email"] = email
        if locale:
            params["preferred_locales"] = [locale]
        try:
            customer = await self._retrying(
                lambda: self._client.v1.customers.create_async(
                    params=cast(Any, params), options={"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, "making a customer") from exc
        return str(customer.id)

    async def update_customer(
        self, customer_id: str, *, name: str, email: str | None, locale: str | None, idempotency_key: str
    ) -> None:
        """The customer's name, e-mail and language as the membership has them now (an e-mail or a
        language removed is emptied at Stripe)."""
        params: dict[str, Any] = {
            "name": name[:256],
            "email": email or "",
            "preferred_locales": [locale] if locale else "",
        }
        await self._call(
            f"updating customer {customer_id}",
            lambda: self._client.v1.customers.update_async(
                customer_id, params=cast(Any, params), options={"idempotency_key": idempotency_key}
            ),
        )

    async def ensure_tax_rate(self, rate_bp: int) -> str:
        """The platform's inclusive "MVA" tax rate of `rate_bp` basis points (2500: 25 %): an active one
        found at Stripe, else made once; remembered for the process."""
        found = self._tax_rates.get(rate_bp)
        if found is not None:
            return found
        percentage = rate_bp / 100
        try:
            page = await self._retrying(
                lambda: self._client.v1.tax_rates.list_async(params={"active": True, "inclusive": True, "limit": 100})
            )
            for rate in page.data:
                if rate.display_name == "MVA" and float(rate.percentage) == percentage:
                    self._tax_rates[rate_bp] = str(rate.id)
                    return str(rate.id)
            text = f"{rate_bp // 100}" if rate_bp % 100 == 0 else f"{rate_bp / 100:.2f}"
            rate = await self._retrying(
                lambda: self._client.v1.tax_rates.create_async(
                    params={
                        "display_name": "MVA",
                        "percentage": cast(Any, text),
                        "inclusive": True,
                        "country": "NO",
                        "tax_type": "vat",
                        "description": f"MVA {text} %",
                    },
                    options={"idempotency_key": f"txr:mva:{rate_bp}:inclusive"},
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, "finding the MVA tax rate") from exc
        self._tax_rates[rate_bp] = str(rate.id)
        return str(rate.id)

    async def create_invoice(
        self,
        *,
        customer: str,
        currency: str,
        days_until_due: int,
        on_behalf_of: str,
        application_fee_amount: int,
        description: str | None,
        footer: str | None,
        metadata: Mapping[str, str],
        idempotency_key: str,
    ) -> InvoiceSnapshot:
        """A draft `send_invoice` invoice made by the platform on behalf of the owner's account: the owner
        is the merchant, the money goes to it and the platform keeps `application_fee_amount`."""
        params: dict[str, Any] = {
            "customer": customer,
            "currency": currency.lower(),
            "collection_method": "send_invoice",
            "days_until_due": days_until_due,
            "on_behalf_of": on_behalf_of,
            "transfer_data": {"destination": on_behalf_of},
            "auto_advance": False,
            "metadata": dict(metadata),
        }
        if application_fee_amount:
            params["application_fee_amount"] = application_fee_amount
        if description:
            params["description"] = description
        if footer:
            params["footer"] = footer
        try:
            invoice = await self._retrying(
                lambda: self._client.v1.invoices.create_async(
                    params=cast(Any, params), options={"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, "making an invoice") from exc
        return invoice_snapshot_of(invoice.to_dict())

    async def find_invoice(self, customer: str, metadata_key: str, value: str) -> InvoiceSnapshot | None:
        """The customer's invoice whose metadata says `metadata_key` = `value`: finds an invoice made
        by a step that crashed before its id was stored, after Stripe forgot the idempotency key."""
        params: dict[str, Any] = {"customer": customer, "limit": 100}
        try:
            while True:
                page = await self._retrying(lambda: self._client.v1.invoices.list_async(params=cast(Any, params)))
                for invoice in page.data:
                    found = invoice.to_dict()
                    if (found.get("metadata") or {}).get(metadata_key) == value:
                        return invoice_snapshot_of(found)
                if not page.has_more or not page.data:
                    return None
                params["starting_after"] = page.data[-1].id
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"looking for the invoices of {customer}") from exc

    async def invoice_line_keys(self, invoice_id: str, metadata_key: str) -> set[str]:
        """The `metadata_key` values of an invoice's lines (which of our lines are on it already)."""
        params: dict[str, Any] = {"limit": 100}
        keys: set[str] = set()
        try:
            while True:
                page = await self._retrying(
                    lambda: self._client.v1.invoices.line_items.list_async(invoice_id, params=cast(Any, params))
                )
                for line in page.data:
                    value = (line.to_dict().get("metadata") or {}).get(metadata_key)
                    if value is not None:
                        keys.add(str(value))
                if not page.has_more or not page.data:
                    return keys
                params["starting_after"] = page.data[-1].id
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"reading the lines of {invoice_id}") from exc

    async def create_invoice_item(
        self,
        *,
        customer: str,
        invoice: str,
        amount: int,
        currency: str,
        description: str,
        period: tuple[datetime, datetime] | None,
        tax_rates: list[str],
        metadata: Mapping[str, str],
        idempotency_key: str,
    ) -> str:
        """One line of a draft invoice: `amount` is the line's gross (prices include VAT, the tax rates
        are inclusive); returns the ii_... id."""
        params: dict[str, Any] = {
            "customer": customer,
            "invoice": invoice,
            "amount": amount,
            "currency": currency.lower(),
            "description": description[:500],
            "tax_rates": list(tax_rates),
            "metadata": dict(metadata),
        }
        if period is not None:
            params["period"] = {"start": int(period[0].timestamp()), "end": int(period[1].timestamp())}
        try:
            item = await self._retrying(
                lambda: self._client.v1.invoice_items.create_async(
                    params=cast(Any, params), options={"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"adding a line to {invoice}") from exc
        return str(item.id)

    async def finalize_invoice(self, invoice_id: str, *, idempotency_key: str) -> InvoiceSnapshot:
        try:
            invoice = await self._retrying(
                lambda: self._client.v1.invoices.finalize_invoice_async(
                    invoice_id, options={"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"finalizing {invoice_id}") from exc
        return invoice_snapshot_of(invoice.to_dict())

    async def retrieve_invoice(self, invoice_id: str) -> InvoiceSnapshot:
        """The invoice as Stripe has it now; for an open invoice whose payment failed, with the code of
        the last failure (read from its payment intent)."""
        try:
            invoice = (await self._retrying(lambda: self._client.v1.invoices.retrieve_async(invoice_id))).to_dict()
            snapshot = invoice_snapshot_of(invoice)
            intent_id = snapshot.payment_intent
            if snapshot.status not in ("open", "uncollectible") or not snapshot.attempt_count or not intent_id:
                return snapshot
            intent = await self._retrying(lambda: self._client.v1.payment_intents.retrieve_async(intent_id))
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"reading invoice {invoice_id}") from exc
        error = intent.to_dict().get("last_payment_error") or {}
        code = error.get("decline_code") or error.get("code")
        return invoice_snapshot_of(invoice, str(code)[:80] if code else None)

    async def void_invoice(self, invoice_id: str, *, idempotency_key: str) -> InvoiceSnapshot:
        try:
            invoice = await self._retrying(
                lambda: self._client.v1.invoices.void_invoice_async(
                    invoice_id, options={"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"voiding {invoice_id}") from exc
        return invoice_snapshot_of(invoice.to_dict())

    async def mark_uncollectible(self, invoice_id: str, *, idempotency_key: str) -> InvoiceSnapshot:
        try:
            invoice = await self._retrying(
                lambda: self._client.v1.invoices.mark_uncollectible_async(
                    invoice_id, options={"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"marking {invoice_id} uncollectible") from exc
        return invoice_snapshot_of(invoice.to_dict())

    async def create_credit_note(
        self,
        invoice_id: str,
        *,
        amount_minor: int,
        memo: str,
        idempotency_key: str,
        refund_id: str | None = None,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> CreditNoteSnapshot:
        """A credit note for `amount_minor` (VAT included, spread over the invoice's lines by Stripe). On an
        open invoice it lowers what is due; on a paid one it records `refund_id`, a refund made before."""
        params: dict[str, Any] = {"invoice": invoice_id, "amount": amount_minor, "memo": memo}
        if reason:
            params["reason"] = reason
        if refund_id:
            params["refunds"] = [{"refund": refund_id, "amount_refunded": amount_minor}]
        if metadata:
            params["metadata"] = dict(metadata)
        try:
            note = await self._retrying(
                lambda: self._client.v1.credit_notes.create_async(
                    params=cast(Any, params), options={"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"crediting {invoice_id}") from exc
        return credit_note_snapshot_of(note.to_dict())

    async def create_refund(
        self,
        payment_intent: str,
        *,
        amount_minor: int,
        idempotency_key: str,
        reverse_transfer: bool = False,
        refund_application_fee: bool = False,
        metadata: Mapping[str, str] | None = None,
    ) -> RefundSnapshot:
        params: dict[str, Any] = {
            "payment_intent": payment_intent,
            "amount": amount_minor,
            "reason": "requested_by_customer",
            "reverse_transfer": reverse_transfer,
            "refund_application_fee": refund_application_fee,
        }
        if metadata:
            params["metadata"] = dict(metadata)
        try:
            refund = await self._retrying(
                lambda: self._client.v1.refunds.create_async(
                    params=cast(Any, params), options={"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"refunding {payment_intent}") from exc
        data = refund.to_dict()
        return RefundSnapshot(
            id=str(data["id"]),
            status=str(data.get("status") or ""),
            amount=int(data.get("amount") or 0),
            transfer_reversal=data.get("transfer_reversal"),
        )

    # -- the platform's own invoices to organisations (their subscription) ---------------------------

    async def ensure_vat_rate(self, rate_bp: int, country: str) -> str:
        """The platform's exclusive VAT rate for `country` ("MVA" in NO, "Moms" in SE) of `rate_bp`: an
        active one found at Stripe, else made once; remembered for the process."""
        name = "Moms" if country == "SE" else "MVA"
        cache_key = -(rate_bp * 1000 + (1 if country == "SE" else 0)) - 1  # apart from the inclusive rates
        found = self._tax_rates.get(cache_key)
        if found is not None:
            return found
        percentage = rate_bp / 100
        try:
            page = await self._retrying(
                lambda: self._client.v1.tax_rates.list_async(params={"active": True, "inclusive": False, "limit": 100})
            )
            for rate in page.data:
                if rate.display_name == name and float(rate.percentage) == percentage and rate.country == country:
                    self._tax_rates[cache_key] = str(rate.id)
                    return str(rate.id)
            text = f"{rate_bp // 100}" if rate_bp % 100 == 0 else f"{rate_bp / 100:.2f}"
            rate = await self._retrying(
                lambda: self._client.v1.tax_rates.create_async(
                    params={
                        "display_name": name,
                        "percentage": cast(Any, text),
                        "inclusive": False,
                        "country": country,
                        "tax_type": "vat",
                        "description": f"{name} {text} %",
                    },
                    options={"idempotency_key": f"txr:{country}:{rate_bp}:exclusive"},
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, "finding the VAT tax rate") from exc
        self._tax_rates[cache_key] = str(rate.id)
        return str(rate.id)

    async def create_platform_invoice(
        self,
        *,
        customer: str,
        currency: str,
        collection_method: str,
        days_until_due: int,
        description: str | None,
        metadata: Mapping[str, str],
        idempotency_key: str,
    ) -> InvoiceSnapshot:
        """A draft invoice of the platform itself (no connected account): the platform bills the customer."""
        params: dict[str, Any] = {
            "customer": customer,
            "currency": currency.lower(),
            "collection_method": collection_method,
            "auto_advance": False,
            "metadata": dict(metadata),
        }
        if collection_method == "send_invoice":
            params["days_until_due"] = days_until_due
        if description:
            params["description"] = description
        try:
            invoice = await self._retrying(
                lambda: self._client.v1.invoices.create_async(
                    params=cast(Any, params), options={"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, "making a platform invoice") from exc
        return invoice_snapshot_of(invoice.to_dict())

    async def send_invoice(self, invoice_id: str, *, idempotency_key: str) -> None:
        """Stripe e-mails a finalized `send_invoice` invoice to its customer."""
        try:
            await self._retrying(
                lambda: self._client.v1.invoices.send_invoice_async(
                    invoice_id, options={"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"sending {invoice_id}") from exc

    async def list_payouts(
        self, account_id: str, *, starting_after: str | None = None, limit: int = 100
    ) -> tuple[list[PayoutSnapshot], bool]:
        """One page of the connected account's payouts, newest first, and whether more follow."""
        params: dict[str, Any] = {"limit": limit}
        if starting_after:
            params["starting_after"] = starting_after
        try:
            page = await self._retrying(
                lambda: self._client.v1.payouts.list_async(
                    params=cast(Any, params), options={"stripe_account": account_id}
                )
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"listing the payouts of {account_id}") from exc
        return [payout_snapshot_of(p.to_dict()) for p in page.data], bool(page.has_more)

    async def payout_payments(self, account_id: str, payout_id: str) -> list[PayoutPayment]:
        """What a payout of a connected account carried, per balance transaction, each traced back to the
        platform's payment intent where it came from a destination charge: the account's payment
        `py_` -> its `source_transfer` -> the transfer's `source_transaction` (the platform's charge)."""
        transactions = await self._every_page(
            f"reading the balance transactions of payout {payout_id}",
            lambda params: self._client.v1.balance_transactions.list_async(
                params=cast(Any, params), options={"stripe_account": account_id}
            ),
            {"payout": payout_id, "expand": ["data.source.source_transfer.source_transaction"]},
        )
        return [payout_payment_of(txn) for txn in transactions if txn.get("type") != "payout"]

    async def retrieve_payout(self, account_id: str, payout_id: str) -> PayoutSnapshot:
        try:
            payout = await self._retrying(
                lambda: self._client.v1.payouts.retrieve_async(payout_id, options={"stripe_account": account_id})
            )
        except stripe.StripeError as exc:
            raise _domain_error(exc, f"reading payout {payout_id}") from exc
        return payout_snapshot_of(payout.to_dict())


@dataclass(frozen=True)
class CreditNoteSnapshot:
    id: str
    status: str  # issued, void
    number: str | None
    total: int
    pre_payment_amount: int
    post_payment_amount: int
    pdf: str | None


def credit_note_snapshot_of(note: Mapping[str, Any]) -> CreditNoteSnapshot:
    return CreditNoteSnapshot(
        id=str(note["id"]),
        status=str(note.get("status") or ""),
        number=note.get("number"),
        total=int(note.get("total") or 0),
        pre_payment_amount=int(note.get("pre_payment_amount") or 0),
        post_payment_amount=int(note.get("post_payment_amount") or 0),
        pdf=note.get("pdf"),
    )


@dataclass(frozen=True)
class RefundSnapshot:
    id: str
    status: str  # pending, succeeded, failed, canceled, requires_action
    amount: int
    transfer_reversal: str | None


@dataclass(frozen=True)
class PayoutSnapshot:
    """A payout of a connected account to its bank, as Stripe describes it now."""

    id: str
    amount: int
    currency: str
    status: str  # pending, in_transit, paid, failed, canceled
    arrival_date: date
    created: datetime
    details: dict[str, Any]


def payout_snapshot_of(payout: Mapping[str, Any]) -> PayoutSnapshot:
    arrival = datetime.fromtimestamp(int(payout.get("arrival_date") or payout.get("created") or 0), UTC)
    return PayoutSnapshot(
        id=str(payout["id"]),
        amount=int(payout.get("amount") or 0),
        currency=str(payout.get("currency") or "").upper(),
        status=str(payout.get("status") or ""),
        arrival_date=arrival.date(),
        created=datetime.fromtimestamp(int(payout.get("created") or 0), UTC),
        details={
            key: payout.get(key)
            for key in ("method", "type", "automatic", "destination", "description", "failure_code", "failure_message")
        },
    )


@dataclass(frozen=True)
class PayoutPayment:
    """One balance transaction a payout carried: its net amount for the owner, and the platform's
    payment intent it leads back to (None for anything but a destination charge's payment)."""

    transaction_id: str
    type: str
    net: int
    payment_intent: str | None


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def payout_payment_of(txn: Mapping[str, Any]) -> PayoutPayment:
    charge = _object(_object(_object(txn.get("source")).get("source_transfer")).get("source_transaction"))
    intent = charge.get("payment_intent")
    if isinstance(intent, Mapping):
        intent = intent.get("id")
    return PayoutPayment(
        transaction_id=str(txn["id"]),
        type=str(txn.get("type") or ""),
        net=int(txn.get("net") or 0),
        payment_intent=str(intent) if intent else None,
    )


_GATEWAYS: dict[tuple[str, str | None, int], StripeGateway] = {}


def gateway(settings: Settings | None = None) -> StripeGateway:
    """The gateway for the current settings; ValidationFailed(payments.switched_off) without a key."""
    settings = settings or get_settings()
    key = (
        settings.stripe_api_key.get_secret_value(),
        settings.stripe_api_base,
        settings.stripe_max_network_retries,
    )
    found = _GATEWAYS.get(key)
    if found is None:
        found = _GATEWAYS[key] = StripeGateway(settings)
    return found


def verify_event(payload: bytes, signature: str | None, settings: Settings | None = None) -> VerifiedEvent:
    """The event in `payload` if `signature` (the Stripe-Signature header) was made with the platform's
    or the Connect endpoint's signing secret within Stripe's tolerance (300 s); ValidationFailed
    otherwise. Needs no API key and makes no call to Stripe."""
    settings = settings or get_settings()
    secrets = (
        (PLATFORM, settings.stripe_webhook_secret.get_secret_value()),
        (CONNECT, settings.stripe_connect_webhook_secret.get_secret_value()),
    )
    for endpoint, secret in secrets:
        if not secret or not signature:
            continue
        try:
            event = stripe.Webhook.construct_event(payload, signature, secret).to_dict()
        except stripe.SignatureVerificationError:
            continue
        except ValueError:  # the body is not JSON
            break
        if not event.get("id") or not event.get("type"):
            break  # signed, but not an event
        data_object = (event.get("data") or {}).get("object") or {}
        account = event.get("account") or (data_object.get("id") if data_object.get("object") == "account" else None)
        object_id = data_object.get("id")
        return VerifiedEvent(
            id=str(event["id"]),
            type=str(event["type"]),
            account=account,
            endpoint=endpoint,
            object_id=str(object_id) if object_id else None,
        )
    raise ValidationFailed("The Stripe signature does not match this event.", code="payments.webhook_signature")
