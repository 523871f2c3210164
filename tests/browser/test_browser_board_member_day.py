"""A board member's day in Norwegian, on a laptop and on a phone: sign in, add a resident by mobile
number, set a group's price on its page, open a charger and see its live power, start a session
remotely for a resident on a connected (simulated) charger and see it running, find it on the sessions
page and export it as CSV. Every page on the way is read for English words that the Norwegian UI
never uses: an untranslated string shows up here before a resident sees it."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.groups import create_group
from ladeportal.members.models import Role
from ladeportal.pricing import services
from ladeportal.simulator import SimulatedCharger
from tests.browser.conftest import DESKTOP, PHONE, new_page, sign_in
from tests.factories import ACTOR, make_charger, make_member, make_org, make_site, make_tag, mobile_number

pytestmark = pytest.mark.browser

# Words of the English UI (and of OCPP) that Norwegian text never contains.
ENGLISH = re.compile(
    r"\b(Charging|Accepted|Rejected|Preparing|Available|Unavailable|Faulted|Save|Cancel|Delete|Sessions|Users|"
    r"Settings|Dashboard|error|Invalid|must|the)\b"
)
RESIDENT_CARD = "04D4A7E1"


async def no_english(page: Page) -> None:
    text = await page.evaluate("document.body.innerText")
    found = sorted({m.group(0) for m in ENGLISH.finditer(text)})
    assert found == [], f"English on {page.url}: {found}"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["laptop", "phone"])
async def test_a_board_members_day_in_norwegian(
    server: str, browser: Browser, session: AsyncSession, viewport: ViewportSize
) -> None:
    org = await make_org(session, legal_name="Solsiden Borettslag")
    site = await make_site(session, org, name="Garasje Nord", price_area="NO1")
    await create_group(session, ACTOR, org.id, "Beboere")
    await services.create_plan(
        session, ACTOR, org.id, "Standard", {"energy": {"type": "fixed", "price_per_kwh": "2.50"}}
    )
    resident = await make_member(session, org, name="Ola Nordmann")
    await make_tag(session, org, resident, uid=RESIDENT_CARD)
    charger = await make_charger(session, site, "SOLSIDEN-07")
    phone = mobile_number()
    await make_member(session, org, phone, role=Role.org_admin, name="Kari Nordmann")
    base = f"{server}/portal/o/{org.id}"

    page = await new_page(browser, viewport)
    await sign_in(page, server, session, phone)
    await no_english(page)

    # A new resident, by mobile number.
    await page.goto(f"{base}/users")
    await no_english(page)
    await page.get_by_role("link", name="Legg til bruker").click()
    await no_english(page)
    new_phone = mobile_number()
    await page.get_by_label("Mobilnummer").fill(f"{new_phone[3:6]} {new_phone[6:8]} {new_phone[8:]}")
    await page.get_by_label("Navn").fill("Per Hansen")
    await page.get_by_role("button", name="Legg til bruker").click()
    await expect(page.get_by_role("status").first).to_contain_text("Per Hansen er lagt til")
    await no_english(page)

    # The group's price, on the group's page.
    await page.goto(f"{base}/groups")
    await no_english(page)
    await page.get_by_role("link", name="Beboere", exact=True).click()
    await expect(page.get_by_role("heading", name="Hva gruppen betaler")).to_be_visible()
    await page.get_by_label("Hvor").select_option(label="Alle anlegg")
    await page.get_by_label("Plan", exact=True).select_option(label="Standard")
    await page.get_by_role("button", name="Lagre plan").click()
    await expect(page.locator('[data-testid="group-price"][data-site="all"]')).to_contain_text("«Standard»")
    await no_english(page)

    sim = SimulatedCharger(
        server.replace("http://", "ws://") + "/ocpp",
        "SOLSIDEN-07",
        charger.password,
        connectors=2,
        meter_interval=0,
        call_timeout=20,
        reconnect_delay=0.5,
    )
    try:
        await sim.connect(within=30)
        # The charger's page: start charging for the resident, watch it run and draw power.
        await page.goto(f"{base}/chargers/{charger.charge_point.id}")
        await expect(page.get_by_test_id("connector-1")).to_contain_text("Ledig")
        await no_english(page)
        await page.locator("#member-q").fill("Ola")
        await expect(page.get_by_test_id("start-member")).to_contain_text("Ola Nordmann")
        await page.locator("#start-connector").select_option("1")
        await page.get_by_test_id("cmd-remote-start").click()
        await expect(page.locator("#start-result")).to_contain_text("Laderen svarte: Godtatt.")
        await expect(page.get_by_test_id("connector-1")).to_contain_text("Lading pågår")  # the card polls itself
        await sim.meter_tick(1)
        await expect(page.get_by_test_id("charger-power")).to_have_text("11,0 kW")
        await no_english(page)
        await page.reload()
        await expect(page.get_by_test_id("session-active")).to_have_count(1)
        await expect(page.get_by_test_id("command-row").filter(has_text="Kari Nordmann")).to_have_count(1)
        await no_english(page)

        # The sessions page finds it; the export carries it.
        await page.goto(f"{base}/sessions")
        await expect(page.get_by_role("heading", name="Ladeøkter")).to_be_visible()
        row = page.get_by_test_id("session-row").filter(has_text="Ola Nordmann")
        await expect(row).to_have_count(1)
        await no_english(page)
        await page.get_by_role("link", name="Eksporter").click()
        async with page.expect_download() as info:
            await page.get_by_test_id("export-csv").click()
        download = await info.value
        path = await download.path()
        assert "Ola Nordmann" in path.read_text(encoding="utf-8-sig")
    finally:
        await sim.close()
