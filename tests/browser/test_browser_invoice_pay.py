"""A month of charging invoiced and paid, in a real browser against the Stripe stand-in: the finance
user prepares the preview, approves it on the confirmation page and watches the progress until the
invoice is made; the member opens the link from the SMS (read from the outbox, as a phone would get
it), pays on Stripe's hosted page with a card that is declined (the page says so), then with one that
works; Stripe's webhook reaches the server, the worker re-reads the invoice, and the finance user's
invoice page says "Betalt". The invoices page is saved as docs/screenshots/invoicing.png."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import date

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import Database
from ladeportal.jobs.models import OutboxTask
from ladeportal.members.models import User
from ladeportal.stripe_standin.server import StandinServer
from tests.billing.invoicing_fixtures import finance_user, invoicing_org, members_with_sessions
from tests.browser.conftest import PHONE, WAIT_MS, new_page, shoot, sign_in
from tests.browser.stripe_standin_fixtures import standin, standin_port  # noqa: F401  (fixtures)
from tests.browser.test_browser_phone import MEASURE

pytestmark = pytest.mark.browser

MONTH = date(2026, 11, 1)
LINK = re.compile(r"https?://\S+")


async def invoice_link(session: AsyncSession, phone: str) -> str | None:
    """The link in the invoice SMS queued for `phone` (the console provider "sends" it)."""
    payloads = (
        await session.scalars(
            select(OutboxTask.payload).where(OutboxTask.kind == "sms.send").order_by(OutboxTask.id.desc())
        )
    ).all()
    await session.commit()
    for payload in payloads:
        if payload.get("to") == phone and payload.get("purpose") == "invoice":
            found = LINK.search(str(payload.get("text", "")))
            return found.group(0) if found else None
    return None


async def wait_for_link(session: AsyncSession, phone: str) -> str:
    deadline = time.monotonic() + WAIT_MS / 1000  # a limit for a hung worker, not a measurement
    while (link := await invoice_link(session, phone)) is None:
        assert time.monotonic() < deadline, "no invoice SMS was queued"
        await asyncio.sleep(0.2)
    return link


async def pay(page: Page, number: str) -> None:
    await page.get_by_label("Card number").fill(number)
    await page.get_by_label("Expiry (MM/YY)").fill("12/34")
    await page.get_by_label("CVC").fill("123")
    await page.get_by_role("button", name="Pay").click()


async def reload_until(page: Page, test_id: str, text: str) -> None:
    """The invoice page has no live refresh: reload it (as a person would) until `text` is shown."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while text not in await page.get_by_test_id(test_id).inner_text():
        assert time.monotonic() < deadline, f"{text!r} never appeared"
        await asyncio.sleep(0.3)
        await page.reload()


async def test_a_member_pays_the_invoice_from_the_sms_link(
    standin: StandinServer,  # noqa: F811  (the fixture imported above)
    server: str,
    browser: Browser,
    db: Database,
    session: AsyncSession,
) -> None:
    # (`standin` first: its settings must be in place before the server starts.)
    world = await invoicing_org(db, session, standin)
    [member] = await members_with_sessions(session, world, month=MONTH, members=1, sessions_each=2)
    finance = await finance_user(session, world.org)
    phones = dict((await session.execute(select(User.id, User.phone))).all())
    await session.commit()
    member_phone, finance_phone = phones[member.user_id], phones[finance.user_id]
    assert member_phone and finance_phone

    # The finance user: the preview, then "Godkjenn og send" on its confirmation page.
    page = await new_page(browser)
    await sign_in(page, server, session, finance_phone)
    await page.get_by_role("link", name="Fakturering", exact=True).click()
    await expect(page.get_by_test_id("runs-empty")).to_contain_text("Ingen fakturaer ennå")
    await page.get_by_label("Måned").fill("2026-11")
    await page.get_by_role("button", name="Lag forhåndsvisning").click()
    await expect(page.get_by_test_id("preview-count")).to_have_text("1")
    await expect(page.get_by_test_id("draft")).to_contain_text("Beboer 1")
    await page.get_by_test_id("approve-link").click()
    await expect(page.get_by_test_id("approve-summary")).to_contain_text("1 faktura")
    await page.get_by_test_id("approve-confirm").click()
    # The progress card refreshes itself every 2 s until the worker has made the invoice.
    await expect(page.get_by_test_id("run-progress")).to_have_text("1 av 1 fakturaer")
    await expect(page.get_by_test_id("progress-card").locator('[data-state="done"]')).to_be_visible()

    # The member's phone gets the link to Stripe's page; a declined card first, then one that works.
    link = await wait_for_link(session, member_phone)
    assert link.startswith(standin.url)
    phone_page = await new_page(browser)
    await phone_page.goto(link)
    await pay(phone_page, "4000 0000 0000 0002")
    await expect(phone_page.get_by_text("Your card was declined.")).to_be_visible()
    await pay(phone_page, "4242 4242 4242 4242")
    await expect(phone_page.get_by_role("button", name="Pay")).to_have_count(0)

    # Stripe's webhook reaches the server and the worker re-reads the invoice: the page says "Betalt".
    await page.get_by_role("link", name="Vis fakturaene").click()
    await expect(page.get_by_test_id("invoice-row")).to_have_count(1)
    await page.get_by_test_id("invoice-link").click()
    await reload_until(page, "invoice-state", "Betalt")
    await expect(page.get_by_test_id("paid")).to_contain_text("betalt")
    await page.get_by_role("link", name="Fakturaer", exact=True).first.click()
    await expect(page.get_by_test_id("invoice-row")).to_contain_text("Betalt")
    await shoot(page, "invoicing.png", full_page=True)

    # Every page of the section fits a 390 px phone (wide tables scroll inside their own box).
    await page.get_by_test_id("invoice-link").click()
    invoice_url = page.url
    base = invoice_url.split("/invoicing/", 1)[0] + "/invoicing"
    await page.set_viewport_size(PHONE)
    for tail in ("", "/invoices", "/outstanding", "/payouts", "/export", "/settings", "/items/new"):
        await fits(page, base + tail)
    await fits(page, invoice_url)
    await fits(page, invoice_url + "/credit")
    await fits(page, base + f"/members/{member.id}")


async def fits(page: Page, url: str) -> None:
    await page.goto(url)
    await expect(page.locator("h1.page-title")).to_be_visible()
    size = await page.evaluate(MEASURE)
    assert size["page"] <= size["viewport"], f"{url} scrolls sideways: {size}"
    assert size["shown"] > 0 and size["text"] <= size["shown"], f"{url}: title clipped: {size}"
