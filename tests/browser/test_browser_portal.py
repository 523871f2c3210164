"""The portal in a real browser: sign in with the SMS code, navigate, create a site, commission a
charger, switch language; screenshots of the main pages go to docs/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.models import Role
from tests.factories import make_member, make_org, mobile_number
from tests.portal.conftest import last_code

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


async def test_an_admin_signs_in_creates_a_site_commissions_a_charger_and_switches_language(
    server: str, browser: Browser, session: AsyncSession
) -> None:
    org = await make_org(session, legal_name="Solsiden Borettslag")
    phone = mobile_number()
    await make_member(session, org, phone, role=Role.org_admin, name="Kari Nordmann")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="nb-NO")

    await page.goto(f"{server}/portal/")
    await page.get_by_label("Mobilnummer").fill(phone[3:])
    await page.screenshot(path=SHOTS / "login.png")
    await page.get_by_role("button", name="Send kode").click()
    await expect(page.get_by_label("Kode")).to_be_visible()
    code = await last_code(session, phone)
    assert code is not None
    await page.get_by_label("Kode").fill(code)
    await page.get_by_role("button", name="Logg inn").click()
    await expect(page.get_by_role("heading", name="Oversikt")).to_be_visible()

    await page.get_by_role("link", name="Anlegg", exact=True).click()
    await page.get_by_role("link", name="Nytt anlegg").first.click()
    await page.get_by_role("button", name="Lagre").click()  # empty name: the error shows, nothing saved
    await expect(page.locator(".invalid-feedback")).to_be_visible()
    await page.get_by_label("Navn").fill("Garasje Nord")
    await page.get_by_label("Gateadresse").fill("Solsidevegen 2")
    await page.get_by_label("Nettgrense (A)").fill("63")
    await page.get_by_role("button", name="Lagre").click()
    await expect(page.get_by_role("cell", name="Garasje Nord", exact=True)).to_be_visible()
    await page.screenshot(path=SHOTS / "sites.png")

    await page.get_by_role("link", name="Ladere", exact=True).click()
    await page.get_by_role("link", name="Legg til lader").click()
    await page.get_by_label("Anlegg").select_option(label="Garasje Nord")
    await page.get_by_label("Laderens ID (OCPP-ID)").fill("SIM-0001")
    await page.get_by_label("Navn").fill("Plass 14")
    await page.get_by_role("button", name="Legg til lader").click()
    await expect(page.get_by_test_id("ocpp-url")).to_contain_text("/ocpp/SIM-0001")
    password = await page.get_by_test_id("ocpp-password").inner_text()
    assert len(password) == 20
    await page.get_by_role("link", name="Gå til laderen").click()
    await page.get_by_role("button", name="Aktiver").click()
    await expect(page.get_by_role("status").first).to_contain_text("aktiv")
    await page.screenshot(path=SHOTS / "charger.png", full_page=True)

    await page.get_by_role("link", name="Ladere", exact=True).click()
    await expect(page.get_by_test_id("charger-row")).to_have_count(1)
    await page.screenshot(path=SHOTS / "chargers.png")

    await page.get_by_test_id("account-menu").click()
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="Chargers")).to_be_visible()
    await page.get_by_role("link", name="Dashboard", exact=True).click()
    await expect(page.get_by_text("Energy this month")).to_be_visible()
    await page.screenshot(path=SHOTS / "dashboard-en.png")

    phone_page = await browser.new_page(viewport={"width": 390, "height": 844})
    await phone_page.context.add_cookies(await page.context.cookies())
    await phone_page.goto(page.url)
    await expect(phone_page.get_by_role("button", name="Menu")).to_be_visible()
    await phone_page.screenshot(path=SHOTS / "dashboard-phone.png")
