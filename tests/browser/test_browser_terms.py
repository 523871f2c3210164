"""In the browser, on the demo: staff publish the drafted data processing agreement; the
cooperative's admin logs in, is shown the new terms first, accepts them and reaches the dashboard;
staff search and filter the console and look at the cooperative's portal read-only."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import Database
from ladeportal.demo import ADMIN_PHONE, OPERATOR_PHONE, load_demo
from tests.browser.conftest import new_page, shoot
from tests.portal.conftest import last_code

pytestmark = pytest.mark.browser


async def _log_in(page: Page, server: str, session: AsyncSession, phone: str) -> None:
    await page.goto(f"{server}/portal/")
    await page.get_by_label("Mobilnummer").fill(phone[3:])
    await page.get_by_role("button", name="Send kode").click()
    await expect(page.get_by_label("Kode")).to_be_visible()
    code = await last_code(session, phone)
    assert code is not None
    await page.get_by_label("Kode").fill(code)
    await page.get_by_role("button", name="Logg inn").click()


async def test_staff_publish_terms_and_the_admin_accepts_them_at_login(
    server: str, browser: Browser, session: AsyncSession, db: Database, tmp_path: str
) -> None:
    await load_demo(db, f"{tmp_path}/chargers.json")
    staff = await new_page(browser)
    await _log_in(staff, server, session, OPERATOR_PHONE)
    await staff.goto(f"{server}/portal/operator/terms")
    await expect(staff.get_by_role("heading", name="Vilkår", exact=True)).to_be_visible()
    await staff.get_by_role("link", name="Databehandleravtale").click()
    await staff.get_by_test_id("publish-confirm").check()
    await staff.get_by_test_id("publish").click()
    await expect(staff.get_by_text("Publisert. Administratorene ser vilkårene")).to_be_visible()
    await shoot(staff, "terms-staff-version.png")

    admin = await new_page(browser)
    await _log_in(admin, server, session, ADMIN_PHONE)
    await expect(admin.get_by_role("heading", name="Vilkår", exact=True)).to_be_visible()
    await expect(admin.get_by_test_id("terms-version")).to_have_count(2)  # the service terms and the new DPA
    await expect(admin.get_by_text("Ladeportal Drift AS").first).to_be_visible()
    await shoot(admin, "terms-admin-accept.png", full_page=True)
    await admin.get_by_test_id("terms-accept").click()
    await expect(admin.get_by_text("Bekreft at du godtar vilkårene")).to_be_visible()
    await admin.get_by_test_id("terms-confirm").check()
    await admin.get_by_test_id("terms-accept").click()
    await expect(admin.get_by_role("heading", name="Oversikt")).to_be_visible()
    await expect(admin.get_by_text("Vilkårene er godtatt for organisasjonen")).to_be_visible()

    await staff.reload()
    await expect(staff.get_by_test_id("acceptance-row")).to_have_count(1)
    await expect(staff.get_by_test_id("acceptance-row")).to_contain_text("Solbakken Borettslag")


async def test_the_console_searches_and_filters_and_staff_view_a_portal_read_only(
    server: str, browser: Browser, session: AsyncSession, db: Database, tmp_path: str
) -> None:
    await load_demo(db, f"{tmp_path}/chargers.json")
    staff = await new_page(browser)
    await _log_in(staff, server, session, OPERATOR_PHONE)
    await staff.goto(f"{server}/portal/operator/")
    await expect(staff.get_by_test_id("org-row")).to_have_count(1)
    await staff.get_by_test_id("console-search").fill("solbakk")
    await staff.get_by_label("Vilkår").select_option("waiting")
    await staff.get_by_test_id("console-apply").click()
    await expect(staff).to_have_url(re.compile(r"q=solbakk.*terms=waiting"))
    await expect(staff.get_by_test_id("org-row")).to_have_count(1)
    await expect(staff.get_by_test_id("org-row")).to_contain_text("Ikke godtatt")
    await shoot(staff, "console-list.png")
    await staff.get_by_label("Vilkår").select_option("accepted")
    await staff.get_by_test_id("console-apply").click()
    await expect(staff.get_by_text("Ingen organisasjon passer")).to_be_visible()

    await staff.goto(f"{server}/portal/operator/?q=solbakk")
    await staff.get_by_role("link", name="Solbakken Borettslag").click()
    await expect(staff.get_by_test_id("history-row").first).to_be_visible()
    await shoot(staff, "console-organisation.png", full_page=True)
    await staff.get_by_test_id("staff-view").click()
    banner = staff.get_by_test_id("staff-view-banner")
    await expect(banner).to_contain_text("Du ser portalen som plattformansatt – skrivebeskyttet")
    await staff.goto(staff.url.rstrip("/") + "/sites/new")
    await expect(banner).to_be_visible()
    await staff.get_by_label("Navn").first.fill("Garasje Sør")
    await staff.get_by_role("button", name=re.compile("Lagre|Opprett")).first.click()
    await expect(staff.get_by_text("Endringen ble ikke gjort")).to_be_visible()
    await shoot(staff, "console-read-only.png")
