"""A board member registers the cooperative with Stripe, in Norwegian, against the Stripe stand-in:
Settings -> Payments, "Start", part of Stripe's onboarding form, "Save and finish later", back on the
portal with what is still due; later "Continue" (a new link), the rest of the form, "Submit"; the
portal says Stripe is checking, and once the stand-in has verified the details its webhook reaches the
server, the worker re-reads the account and the page shows the cooperative ready to receive payments.
The days left to the invoicing switch date are on the dashboard and the payments page throughout."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.deadlines import local_today, set_invoicing_switch_date
from ladeportal.members.models import Role
from ladeportal.members.services import make_operator
from ladeportal.stripe_standin.server import StandinServer
from tests.browser.conftest import new_page, sign_in
from tests.browser.stripe_standin_fixtures import standin, standin_port  # noqa: F401  (fixtures)
from tests.factories import ACTOR, make_member, make_org, mobile_number

pytestmark = pytest.mark.browser

# Words of the English UI that the Norwegian portal pages never contain (Stripe's own pages are English).
ENGLISH = re.compile(r"\b(Payments|Settings|Dashboard|Registration|Ready|Waiting|Continue|days left|the)\b")
STANDIN_VERIFY_DELAY = 2.0  # long enough to see "waiting for Stripe"


async def no_english(page: Page) -> None:
    text = await page.evaluate("document.body.innerText")
    found = sorted({m.group(0) for m in ENGLISH.finditer(text)})
    assert found == [], f"English on {page.url}: {found}"


async def test_a_board_member_registers_the_cooperative_with_stripe(
    standin: StandinServer,  # noqa: F811  (the fixture imported above)
    server: str,
    browser: Browser,
    session: AsyncSession,
) -> None:
    # (`standin` first: its settings must be in place before the server starts.)
    org = await make_org(session, legal_name="Solbakken Borettslag", kind="housing_cooperative")
    phone = mobile_number()
    await make_member(session, org, phone, role=Role.org_admin, name="Maja Styreleder")
    staff = await make_operator(session, ACTOR, mobile_number(), "Plattform Drift")
    await set_invoicing_switch_date(
        session, [org.id], local_today(org.time_zone) + timedelta(days=30), staff_id=staff.user_id
    )

    page = await new_page(browser)
    await sign_in(page, server, session, phone)
    card = page.get_by_test_id("payments-card")
    await expect(card).to_contain_text("Ikke startet")
    await expect(card).to_contain_text("30 dager igjen")

    # Settings -> Payments.
    await page.get_by_role("link", name="Innstillinger").click()
    await page.get_by_test_id("settings-payments").click()
    await expect(page.get_by_role("heading", name="Betalinger")).to_be_visible()
    await expect(page.get_by_test_id("days-left")).to_have_text("30 dager igjen")
    await no_english(page)

    # Stripe's form: part of it, then "Save and finish later".
    await page.get_by_role("button", name="Start registrering").click()
    await expect(page.get_by_role("heading", name=re.compile("Set up payouts"))).to_be_visible()
    assert page.url.startswith(standin.url)
    await page.get_by_label("Legal business name").fill("Solbakken Borettslag")
    await page.get_by_label("First name").fill("Maja")
    await page.get_by_label("Last name").fill("Styreleder")
    await page.get_by_role("button", name="Save and finish later").click()

    headline = page.get_by_test_id("payments-headline")
    await expect(headline).to_have_text("Registrering påbegynt")
    due = page.get_by_test_id("payments-due")
    await expect(due).to_contain_text("En bankkonto for utbetalinger")
    await expect(page.get_by_test_id("days-left")).to_have_text("30 dager igjen")
    await no_english(page)

    # Later: a new link, the rest of the form, "Submit".
    await page.get_by_role("button", name="Fortsett registreringen").click()
    await expect(page.get_by_label("Legal business name")).to_have_value("Solbakken Borettslag")
    await page.get_by_label("Organisation number").fill("923609016")
    await page.get_by_label("Street address").fill("Solbakkveien 1")
    await page.get_by_label("Postal code").fill("0580")
    await page.get_by_label("City").fill("Oslo")
    await page.get_by_label("Industry").select_option("5552")
    await page.get_by_label("Business website").fill("https://solbakken.example")
    await page.get_by_label("E-mail").fill("styret@solbakken.example")
    await page.get_by_label("Phone").fill("+4791000001")
    await page.get_by_label("Date of birth").fill("1970-05-17")
    await page.get_by_label("IBAN").fill("NO93 8601 1117 947")
    await page.get_by_label("Account holder name").fill("Solbakken Borettslag")
    await page.get_by_label("I accept the Stripe Connected Account Agreement").check()
    await page.get_by_role("button", name="Submit").click()

    # Back on the portal while Stripe checks; the card updates itself when the webhook's news is in.
    await expect(headline).to_have_text("Venter på Stripe")
    await no_english(page)
    await expect(headline).to_have_text("Klar til å motta betalinger")
    await expect(page.get_by_test_id("payments-due")).to_have_count(0)
    await expect(page.get_by_role("button", name="Åpne Stripe Express-dashbordet")).to_be_visible()
    await expect(page.get_by_test_id("payments-next")).to_contain_text("Du trenger ikke gjøre noe mer")
    await expect(page.get_by_test_id("days-left")).to_have_text("30 dager igjen")
    await no_english(page)
    assert [d for d in standin.deliveries() if d.get("status_code") == 200]  # the news came by webhook

    await page.goto(f"{server}/portal/o/{org.id}/")
    await expect(card).to_contain_text("Klar til å motta betalinger")
    await expect(card).to_contain_text("30 dager igjen")
