"""The platform's subscription in a real browser against the Stripe stand-in, on the demo's data: staff
make the current quarter's invoices after confirming and watch the progress; the cooperative's admin sees
the plan, the price of the next quarter and the invoice, pays it on Stripe's page (a declined card first,
then one that works), and the portal shows it paid once Stripe's webhook has reached the server.
Screenshots: docs/screenshots/subscription-staff.png and subscription-owner.png."""

from __future__ import annotations

import asyncio
import time

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import Database
from ladeportal.demo import ADMIN_PHONE, OPERATOR_PHONE, load_demo
from ladeportal.stripe_standin.server import StandinServer
from tests.browser.conftest import PHONE, WAIT_MS, new_page, shoot
from tests.browser.stripe_standin_fixtures import standin, standin_port  # noqa: F401  (fixtures)
from tests.browser.test_browser_phone import MEASURE
from tests.portal.conftest import last_code

pytestmark = pytest.mark.browser


async def log_in(page: Page, server: str, session: AsyncSession, phone: str) -> None:
    await page.goto(f"{server}/portal/")
    await page.get_by_label("Mobilnummer").fill(phone[3:])
    await page.get_by_role("button", name="Send kode").click()
    await expect(page.get_by_label("Kode")).to_be_visible()
    code = await last_code(session, phone)
    assert code is not None
    await page.get_by_label("Kode").fill(code)
    await page.get_by_role("button", name="Logg inn").click()
    await expect(page.get_by_label("Kode")).to_have_count(0)


async def pay(page: Page, number: str) -> None:
    await page.get_by_label("Card number").fill(number)
    await page.get_by_label("Expiry (MM/YY)").fill("12/34")
    await page.get_by_label("CVC").fill("123")
    await page.get_by_role("button", name="Pay").click()


async def test_staff_run_the_quarter_and_the_admin_pays_the_invoice(
    standin: StandinServer,  # noqa: F811  (first: its settings must be in place before the server starts)
    server: str,
    browser: Browser,
    db: Database,
    session: AsyncSession,
    tmp_path: str,
) -> None:
    demo = await load_demo(db, f"{tmp_path}/chargers.json")
    staff = await new_page(browser)
    await log_in(staff, server, session, OPERATOR_PHONE)
    await staff.goto(f"{server}/portal/operator/subscriptions")
    await expect(staff.get_by_test_id("plans")).to_contain_text("Standard")
    await staff.get_by_test_id("run-quarter").click()
    await expect(staff.get_by_test_id("run-confirm")).to_contain_text("1 organisasjoner")
    await staff.get_by_role("button", name="Lag fakturaene").click()
    # The progress card refreshes itself every 2 s until the worker has made the invoice.
    await expect(staff.get_by_test_id("run-progress")).to_contain_text("1 av 1 fakturaer laget")
    await expect(staff.get_by_test_id("subscription-run")).to_contain_text("Avsluttet")
    await shoot(staff, "subscription-staff.png", full_page=True)

    admin = await new_page(browser)
    await log_in(admin, server, session, ADMIN_PHONE)
    page_url = f"{server}/portal/o/{demo.organization_id}/subscription"
    await admin.goto(page_url)
    if await admin.get_by_role("button", name="Senere").count():  # the demo's new terms, accepted later
        await admin.get_by_role("button", name="Senere").click()
        await admin.goto(page_url)
    await expect(admin.get_by_test_id("subscription-plan")).to_contain_text("Standard")
    await expect(admin.get_by_test_id("subscription-prices")).to_contain_text("Nr. 1-10: kr 99,00 per lader og måned")
    await expect(admin.get_by_test_id("subscription-invoice")).to_contain_text("Åpen")
    await admin.get_by_test_id("pay-link").click()
    await pay(admin, "4000 0000 0000 0002")
    await expect(admin.get_by_text("Your card was declined.")).to_be_visible()
    await pay(admin, "4242 4242 4242 4242")
    await expect(admin.get_by_role("button", name="Pay")).to_have_count(0)

    await admin.goto(page_url)
    deadline = time.monotonic() + WAIT_MS / 1000
    while "Betalt" not in await admin.get_by_test_id("subscription-invoice").inner_text():
        assert time.monotonic() < deadline, "the invoice never showed paid"
        await asyncio.sleep(0.3)
        await admin.reload()
    await expect(admin.get_by_test_id("pay-link")).to_have_count(0)
    await shoot(admin, "subscription-owner.png", full_page=True)

    # The page fits a 390 px phone.
    await admin.set_viewport_size(PHONE)
    await admin.reload()
    size = await admin.evaluate(MEASURE)
    assert size["page"] <= size["viewport"], f"the subscription page scrolls sideways: {size}"
