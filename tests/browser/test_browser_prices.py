"""The Prices page in a real browser: an admin creates a fixed price for residents and a spot price for
guests, assigns them, and uses the calculator (HTMX swaps the result in); screenshot docs/screenshots/prices.png."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.groups import create_group
from ladeportal.members.models import Role
from ladeportal.pricing import services
from tests.browser.conftest import PHONE, new_page, shoot, sign_in
from tests.factories import ACTOR, make_member, make_org, make_site, mobile_number

pytestmark = pytest.mark.browser


async def test_an_admin_creates_plans_assigns_them_and_uses_the_calculator(
    server: str, browser: Browser, session: AsyncSession
) -> None:
    org = await make_org(session, legal_name="Solsiden Borettslag")
    await make_site(session, org, name="Garasje Nord", price_area="NO1")
    await create_group(session, ACTOR, org.id, "Beboere")
    phone = mobile_number()
    await make_member(session, org, phone, role=Role.org_admin, name="Kari Nordmann")
    page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="nb-NO")
    await sign_in(page, server, session, phone)

    await page.get_by_role("navigation").get_by_role("link", name="Priser", exact=True).click()
    await expect(page.get_by_role("heading", name="Priser")).to_be_visible()
    await page.get_by_role("link", name="Ny plan").first.click()
    await page.get_by_label("Navn", exact=True).fill("Beboere")
    await page.get_by_label("Pris per kWh (NOK)", exact=True).fill("-2,50")
    await page.get_by_role("button", name="Lag plan").click()  # a negative price: shown, nothing saved
    await expect(page.locator("#e-price_per_kwh")).to_have_text("Kan ikke være negativ.")
    await page.get_by_label("Pris per kWh (NOK)", exact=True).fill("2,50")
    await page.get_by_label("Tidsavgift per time (NOK)").fill("20")
    await page.get_by_label("Gratis minutter først").fill("240")
    await page.get_by_role("button", name="Lag plan").click()
    await expect(page.get_by_role("heading", name="Beboere")).to_be_visible()
    await expect(page.get_by_test_id("plan-description").first).to_have_text(
        "kr 2,50 per kWh inkl. mva, kr 20 per time etter 4 timer"
    )

    await page.get_by_role("navigation").get_by_role("link", name="Priser", exact=True).click()
    await page.get_by_role("link", name="Ny plan").first.click()
    await page.get_by_label("Navn", exact=True).fill("Gjester")
    await page.get_by_label("Spotpris pluss påslag").check()
    await expect(page.get_by_label("Pris per kWh (NOK)", exact=True)).to_be_hidden()  # only the chosen kind shows
    await page.get_by_label("Påslag per kWh (NOK)").fill("0,30")
    await page.get_by_label("Tak per kWh (valgfritt)").fill("5")
    await page.get_by_label("Reservepris per kWh (NOK)").fill("3")
    await page.get_by_role("button", name="Lag plan").click()
    await expect(page.get_by_test_id("plan-description").first).to_contain_text("spotpris (NO1) + kr 0,30 per kWh")

    await page.get_by_role("link", name="Hvem betaler etter hvilken plan").first.click()
    await page.get_by_label("Gruppe", exact=True).select_option(label="Beboere")
    await page.locator("#f-group_plan_id").select_option(label="Beboere")
    await page.get_by_role("button", name="Tildel").first.click()
    await expect(page.get_by_test_id("group-assignment")).to_have_count(1)
    await page.locator("#f-public_site_id").select_option(label="Garasje Nord")
    await page.locator("#f-public_plan_id").select_option(label="Gjester")
    await page.get_by_role("button", name="Tildel").last.click()
    await expect(page.get_by_test_id("public-assignment")).to_contain_text("Garasje Nord")

    await page.get_by_role("navigation").get_by_role("link", name="Priser", exact=True).click()
    await expect(page.get_by_test_id("plan-card")).to_have_count(2)
    calculator = page.get_by_test_id("calculator")
    await calculator.get_by_label("Plan").select_option(label="Gjester")
    await calculator.get_by_role("button", name="Beregn").click()
    result = page.get_by_test_id("quote-result")
    await expect(result).to_contain_text("reservepris")  # no spot prices stored in the test database
    await calculator.get_by_label("Plan").select_option(label="Beboere")
    await calculator.get_by_role("button", name="Beregn").click()
    await expect(result).to_contain_text("30,0 kWh fra")
    await expect(result).to_contain_text("koster kr 255,00 inkl. mva (kr 204,00 eks. mva)")
    assert "/prices/calculator" not in page.url  # swapped in place by HTMX, not a page load
    await shoot(page, "prices.png", full_page=True)


async def test_an_admin_sets_a_groups_price_on_its_page_at_phone_width(
    server: str, browser: Browser, session: AsyncSession
) -> None:
    org = await make_org(session, legal_name="Solsiden Borettslag")
    await make_site(session, org, name="Garasje Nord", price_area="NO1")
    await create_group(session, ACTOR, org.id, "Beboere")
    for name, price in (("Standard", "2.50"), ("Gratis", "0")):
        await services.create_plan(session, ACTOR, org.id, name, {"energy": {"type": "fixed", "price_per_kwh": price}})
    phone = mobile_number()
    await make_member(session, org, phone, role=Role.org_admin, name="Kari Nordmann")
    page = await new_page(browser, PHONE)
    await sign_in(page, server, session, phone)

    await page.goto(f"{server}/portal/o/{org.id}/groups")
    await page.get_by_role("link", name="Beboere", exact=True).click()
    await expect(page.get_by_role("heading", name="Hva gruppen betaler")).to_be_visible()
    await page.get_by_label("Hvor").select_option(label="Alle anlegg")
    await page.get_by_label("Plan", exact=True).select_option(label="Standard")
    await page.get_by_role("button", name="Lagre plan").click()
    everywhere = page.locator('[data-testid="group-price"][data-site="all"]')
    await expect(everywhere).to_contain_text("«Standard»")
    await expect(everywhere).to_contain_text("kr 2,50 per kWh inkl. mva")
    await page.get_by_label("Hvor").select_option(label="Garasje Nord")
    await page.get_by_label("Plan", exact=True).select_option(label="Gratis")
    await page.get_by_role("button", name="Lagre plan").click()
    garage = page.get_by_test_id("group-price").filter(has_text="Garasje Nord")
    await expect(garage).to_contain_text("Gratis lading")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    await garage.get_by_role("link", name="Fjern").click()  # asks first, and says what is paid afterwards
    await expect(page.get_by_test_id("afterwards")).to_have_text(
        "Etterpå betaler Beboere etter «Standard» på Garasje Nord: kr 2,50 per kWh inkl. mva."
    )
    await page.get_by_role("button", name="Fjern").click()
    await expect(garage).to_contain_text("(planen for alle anlegg)")
    await expect(garage).to_contain_text("kr 2,50 per kWh inkl. mva")
