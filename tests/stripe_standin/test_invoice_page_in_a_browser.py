"""The hosted invoice page paid by a real browser (Chromium through Playwright), by its labels."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
import stripe

from ladeportal.stripe_standin.server import StandinServer
from tests.stripe_standin.conftest import config, sdk_client
from tests.stripe_standin.test_invoice_payments import open_invoice

if TYPE_CHECKING:
    from playwright.async_api import Page

Opened = tuple["Page", StandinServer, stripe.StripeClient, stripe.Invoice]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("chromium") is None, reason="Chromium is not installed (scripts/require.sh chromium)"
    ),
]


@pytest.fixture
async def page_and_invoice() -> AsyncIterator[Opened]:
    from playwright.async_api import async_playwright

    async with StandinServer(config()) as standin:
        client = sdk_client(standin)
        invoice = await asyncio.to_thread(open_invoice, standin, client)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=shutil.which("chromium"), args=["--headless", "--no-sandbox"]
            )
            page = await browser.new_page()
            await page.goto(str(invoice.hosted_invoice_url))
            yield page, standin, client, invoice
            await browser.close()


async def _pay(page: Page, number: str) -> None:
    await page.get_by_label("Card number").fill(number)
    await page.get_by_label("Expiry (MM/YY)").fill("12/34")
    await page.get_by_label("CVC").fill("123")
    await page.get_by_role("button", name="Pay").click()


async def test_a_member_pays_with_4242(
    page_and_invoice: Opened,
) -> None:
    page, _, client, invoice = page_and_invoice
    assert await page.get_by_role("heading").first.inner_text() == "Invoice from Solsiden borettslag"
    await _pay(page, "4242 4242 4242 4242")
    await page.get_by_role("status").filter(has_text="This invoice is paid").wait_for()
    assert (await client.v1.invoices.retrieve_async(invoice.id)).status == "paid"


async def test_0002_is_declined(
    page_and_invoice: Opened,
) -> None:
    page, standin, client, invoice = page_and_invoice
    await _pay(page, "4000 0000 0000 0002")
    assert await page.get_by_role("alert").inner_text() == "Your card was declined."
    current = await client.v1.invoices.retrieve_async(invoice.id)
    assert (current.status, current.attempt_count) == ("open", 1)
    assert len(standin.events("invoice.payment_failed")) == 1


async def test_3155_passes_the_3d_secure_challenge(
    page_and_invoice: Opened,
) -> None:
    page, _, client, invoice = page_and_invoice
    await _pay(page, "4000 0025 0000 3155")
    await page.get_by_role("heading", name="3-D Secure authentication").wait_for()
    assert (await client.v1.invoices.retrieve_async(invoice.id)).status == "open"
    await page.get_by_role("button", name="Complete").click()
    await page.get_by_role("status").filter(has_text="This invoice is paid").wait_for()
    assert (await client.v1.invoices.retrieve_async(invoice.id)).status == "paid"


async def test_a_guest_pays_on_the_checkout_page() -> None:
    from playwright.async_api import async_playwright

    from tests.stripe_standin.test_checkout_sessions import session
    from tests.stripe_standin.test_invoices_api import onboarded

    async with StandinServer(config()) as standin:
        client = sdk_client(standin)
        owner = await asyncio.to_thread(onboarded, standin, client)
        created = await asyncio.to_thread(session, client, owner.id)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=shutil.which("chromium"), args=["--headless", "--no-sandbox"]
            )
            page = await browser.new_page()
            await page.route("https://portal.test/**", lambda route: route.fulfill(body="back in the portal"))
            await page.goto(str(created.url))
            await page.get_by_label("Email").fill("guest@example.com")
            await _pay(page, "4242 4242 4242 4242")
            await page.wait_for_url(f"https://portal.test/guest/done?session={created.id}")
            await browser.close()
        done = await client.v1.checkout.sessions.retrieve_async(created.id)
        assert done.status == "complete"
        intent = await client.v1.payment_intents.retrieve_async(str(done.payment_intent))
        assert intent.status == "requires_capture"
