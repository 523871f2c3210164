"""The hosted onboarding form filled in by a real browser (Chromium through Playwright), by its labels."""

from __future__ import annotations

import shutil

import pytest
import stripe

from ladeportal.stripe_standin.server import StandinServer
from tests.stripe_standin.conftest import config

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (scripts/require.sh chromium)")
async def test_a_board_member_fills_in_and_submits_the_form() -> None:
    from playwright.async_api import async_playwright

    async with StandinServer(config(verify_delay_seconds=3600)) as standin:
        client = stripe.StripeClient(
            standin.api_key, base_addresses={"api": standin.url}, http_client=stripe.HTTPXClient()
        )
        account = await client.v1.accounts.create_async({"type": "express", "company": {"name": "Solsiden borettslag"}})
        link = await client.v1.account_links.create_async(
            {
                "account": account.id,
                "type": "account_onboarding",
                "refresh_url": f"{standin.url}/refresh",
                "return_url": f"{standin.url}/back-in-the-portal",
            }
        )
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            page = await browser.new_page()
            await page.goto(link.url)
            assert await page.get_by_label("Legal business name").input_value() == "Solsiden borettslag"
            await page.get_by_label("Business type").select_option("non_profit")
            for label, value in (
                ("Organisation number", "987654321"),
                ("Street address", "Solveien 1"),
                ("Postal code", "0123"),
                ("City", "Oslo"),
                ("Business website", "https://solsiden.example.no"),
                ("First name", "Kari"),
                ("Last name", "Nordmann"),
                ("E-mail", "kari@example.no"),
                ("Phone", "+4791234567"),
                ("Date of birth", "1970-05-17"),
                ("IBAN", "NO93 8601 1117 947"),
                ("Account holder name", "Solsiden borettslag"),
            ):
                await page.get_by_label(label).fill(value)
            await page.get_by_label("Industry").select_option("5552")
            await page.get_by_label("I accept the Stripe Connected Account Agreement").check()
            await page.get_by_role("button", name="Submit").click()
            await page.wait_for_url(f"{standin.url}/back-in-the-portal")
            await browser.close()

        submitted = await client.v1.accounts.retrieve_async(account.id)
        assert submitted.details_submitted is True
        assert submitted.requirements.currently_due == []
        assert submitted.requirements.pending_verification
        standin.advance_time(3600)
        assert (await client.v1.accounts.retrieve_async(account.id)).charges_enabled is True
