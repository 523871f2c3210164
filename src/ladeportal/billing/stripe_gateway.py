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
from datetime import UTC, datetime
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
        return VerifiedEvent(id=str(event["id"]), type=str(event["type"]), account=account, endpoint=endpoint)
    raise ValidationFailed("The Stripe signature does not match this event.", code="payments.webhook_signature")
