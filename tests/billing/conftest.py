"""Billing tests run the product's Stripe code (the official SDK) against the project's Stripe stand-in
over HTTP: one stand-in per test module, the settings pointed at it. Webhook deliveries are signed the
way Stripe signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.models import StripeAccount
from ladeportal.members.models import Membership, Role, User
from ladeportal.orgs.models import Organization
from ladeportal.settings import get_settings
from ladeportal.stripe_standin.server import StandinConfig, StandinServer
from tests.factories import make_member, mobile_number
from tests.portal.conftest import app, client, two_orgs  # noqa: F401  (fixtures)

PLATFORM_SECRET = "whsec_platform_billing_tests"
CONNECT_SECRET = "whsec_connect_billing_tests"
RETURN_URL = "http://portal.test/portal/payments/return"
REFRESH_URL = "http://portal.test/portal/payments/refresh"


@pytest.fixture(scope="module")
def standin() -> Iterator[StandinServer]:
    config = StandinConfig(
        webhook_url=None,
        platform_webhook_secret=PLATFORM_SECRET,
        connect_webhook_secret=CONNECT_SECRET,
        verify_delay_seconds=0.0,
        state_file=None,
    )
    with StandinServer(config) as server:
        yield server


def point_settings_at(monkeypatch: pytest.MonkeyPatch, url: str, api_key: str, retries: int = 2) -> None:
    monkeypatch.setenv("LADEPORTAL_STRIPE_API_KEY", api_key)
    monkeypatch.setenv("LADEPORTAL_STRIPE_API_BASE", url)
    monkeypatch.setenv("LADEPORTAL_STRIPE_WEBHOOK_SECRET", PLATFORM_SECRET)
    monkeypatch.setenv("LADEPORTAL_STRIPE_CONNECT_WEBHOOK_SECRET", CONNECT_SECRET)
    monkeypatch.setenv("LADEPORTAL_STRIPE_MAX_NETWORK_RETRIES", str(retries))
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def stripe_settings(standin: StandinServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Before the app is made (autouse fixtures come first), so the app's settings see the stand-in too."""
    point_settings_at(monkeypatch, standin.url, standin.api_key)
    yield
    get_settings.cache_clear()


def signed(event: dict[str, Any], secret: str, *, at: int | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a delivery as Stripe makes it: t=<unix time>,v1=<HMAC-SHA256 of t.body>."""
    body = json.dumps(event)
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), {"stripe-signature": f"t={timestamp},v1={digest}", "content-type": "application/json"}


def account_event(account_id: str, *, event_id: str | None = None, **object_fields: Any) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": "account.updated",
        "account": account_id,
        "created": int(time.time()),
        "livemode": False,
        "api_version": "2025-01-27.acacia",
        "pending_webhooks": 1,
        "data": {"object": {"id": account_id, "object": "account", **object_fields}},
    }


async def staff_member(session: AsyncSession, org: Organization, role: Role = Role.org_admin) -> Membership:
    return await make_member(session, org, mobile_number(), role=role)


async def stored_account(session: AsyncSession, org_id: uuid.UUID) -> StripeAccount | None:
    row = await session.scalar(
        select(StripeAccount).where(StripeAccount.organization_id == org_id).execution_options(populate_existing=True)
    )
    await session.commit()
    return row


async def set_language(session: AsyncSession, membership: Membership, language: str) -> None:
    await session.execute(update(User).where(User.id == membership.user_id).values(language=language))
    await session.commit()


async def standin_accounts(standin: StandinServer, org_id: uuid.UUID) -> list[dict[str, Any]]:
    """The stand-in's accounts made for one organisation (by the metadata the product sends)."""
    found = []
    async with httpx.AsyncClient(base_url=standin.url, auth=(standin.api_key, "")) as http:
        params: dict[str, Any] = {"limit": 100}
        while True:
            page = (await http.get("/v1/accounts", params=params)).json()
            found += [a for a in page["data"] if (a.get("metadata") or {}).get("organization_id") == str(org_id)]
            if not page["has_more"]:
                return found
            params["starting_after"] = page["data"][-1]["id"]
