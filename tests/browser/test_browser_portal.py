"""The portal in a real browser: sign in with the SMS code, create a site (with a refused empty form
first), visit every section in the navigation, and switch language both ways."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.models import Role
from tests.browser.conftest import new_page, shoot, sign_in
from tests.factories import make_member, make_org, mobile_number

pytestmark = pytest.mark.browser


async def test_an_admin_creates_a_site_visits_every_section_and_switches_language(
    server: str, browser: Browser, session: AsyncSession
) -> None:
    org = await make_org(session, legal_name="Solsiden Borettslag")
    phone = mobile_number()
    await make_member(session, org, phone, role=Role.org_admin, name="Kari Nordmann")
    page = await new_page(browser)
    await sign_in(page, server, session, phone)

    await page.get_by_role("link", name="Anlegg", exact=True).click()
    await page.get_by_role("link", name="Nytt anlegg").first.click()
    await page.get_by_role("button", name="Lagre").click()  # empty name: the error shows, nothing saved
    await expect(page.locator(".invalid-feedback")).to_be_visible()
    await page.get_by_label("Navn").fill("Garasje Nord")
    await page.get_by_label("Gateadresse").fill("Solsidevegen 2")
    await page.get_by_label("Nettgrense (A)").fill("63")
    await page.get_by_role("button", name="Lagre").click()
    await expect(page.get_by_role("cell", name="Garasje Nord", exact=True)).to_be_visible()
    await shoot(page, "sites.png")

    # Every section the navigation offers opens as a page of its own, marked as the current one.
    nav = page.locator("#nav-menu a.nav-link")
    names = [name.strip() for name in await nav.all_inner_texts()]
    assert {"Oversikt", "Anlegg", "Ladere", "Innstillinger"} <= set(names), names
    for name in names:
        await nav.get_by_text(name, exact=True).click()
        await expect(page.locator('#nav-menu a[aria-current="page"]')).to_have_text(name)
        await expect(page.locator("h1.page-title")).to_be_visible()
        for failure in ("Noe gikk galt hos oss", "Vi finner ikke den siden"):
            await expect(page.get_by_text(failure)).to_have_count(0)

    await page.get_by_role("link", name="Ladere", exact=True).click()
    await page.get_by_test_id("account-menu").click()
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="Chargers")).to_be_visible()
    await page.get_by_role("link", name="Dashboard", exact=True).click()
    await expect(page.get_by_text("Energy this month")).to_be_visible()
    await expect(page.get_by_text("Sessions today")).to_be_visible()
    await expect(page.get_by_test_id("energy-month")).to_have_text("0.0 kWh")
    await shoot(page, "dashboard-en.png")

    await page.get_by_test_id("account-menu").click()
    await page.get_by_role("button", name="Norsk bokmål").click()
    await expect(page.get_by_role("heading", name="Oversikt")).to_be_visible()
    await expect(page.get_by_text("Energi denne måneden")).to_be_visible()
    await expect(page.get_by_test_id("energy-month")).to_have_text("0,0 kWh")
