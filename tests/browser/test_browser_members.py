"""User management in a real browser: add a user by number, import a CSV with errors and then the
fixed file, create a group, claim an unknown tag swiped on a simulated charger, and block a member
so that the charger refuses the tag. With LADEPORTAL_SCREENSHOTS=1 it refreshes docs/screenshots/."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, FilePayload, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.history_models import UnknownTagSighting
from ladeportal.members.models import Role
from ladeportal.orgs.models import Organization
from ladeportal.simulator import SimulatedCharger
from tests.browser.conftest import shoot, sign_in
from tests.factories import make_charger, make_member, make_org, make_site, mobile_number

pytestmark = pytest.mark.browser


async def _signed_in(server: str, browser: Browser, session: AsyncSession, org: Organization) -> Page:
    phone = mobile_number()
    await make_member(session, org, phone, role=Role.org_admin, name="Kari Styreleder")
    page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="nb-NO")
    await sign_in(page, server, session, phone)
    return page


async def test_add_a_user_import_a_file_and_create_a_group(
    server: str, browser: Browser, session: AsyncSession
) -> None:
    org = await make_org(session, legal_name="Solsiden Borettslag")
    await make_site(session, org, name="Garasje Nord")
    page = await _signed_in(server, browser, session, org)

    await page.get_by_role("link", name="Grupper", exact=True).click()
    await page.get_by_role("link", name="Ny gruppe").click()
    await page.get_by_role("button", name="Lagre").click()  # no name: the error shows, nothing saved
    await expect(page.locator("#e-name")).to_be_visible()
    await page.get_by_label("Navn").fill("Garasje B")
    await page.get_by_label("Beskrivelse").fill("Beboere med plass i garasje B")
    await page.get_by_label("Bare på anleggene og laderne som er valgt nedenfor").check()
    await page.get_by_label("Garasje Nord").check()
    await page.get_by_role("button", name="Lagre").click()
    await expect(page.get_by_role("cell", name="Garasje Nord")).to_be_visible()

    await page.get_by_role("link", name="Brukere", exact=True).click()
    await page.get_by_role("link", name="Legg til bruker").click()
    await page.get_by_label("Mobilnummer").fill("22 12 34 56")  # a landline: explained next to the field
    await page.get_by_role("button", name="Legg til bruker").click()
    await expect(page.locator("#e-phone")).to_contain_text("ikke et mobilnummer")
    new_phone = mobile_number()
    await page.get_by_label("Mobilnummer").fill(f"{new_phone[3:6]} {new_phone[6:8]} {new_phone[8:]}")
    await page.get_by_label("Navn").fill("Ola Nordmann")
    await page.get_by_role("button", name="Legg til bruker").click()
    await expect(page.get_by_role("status").first).to_contain_text("Ola Nordmann er lagt til")

    rows = [
        f"{mobile_number()};Per Hansen;per@example.no;Garasje B;04A1B2C3;B-12",
        f"{mobile_number()};Lise Berg;;;;",
        "912;Feil Nummer;;;;",
        f"{mobile_number()};Ukjent Gruppe;;Garasje Z;;",
    ]
    bad = ("Mobilnummer;Navn;E-post;Gruppe;RFID;Parkeringsplass\n" + "\n".join(rows)).encode()
    await page.goto(f"{server}/portal/o/{org.id}/users/import")
    await page.set_input_files("#f-file", files=FilePayload(name="beboere.csv", mimeType="text/csv", buffer=bad))
    await page.get_by_role("button", name="Sjekk filen").click()
    await expect(page.get_by_test_id("import-row")).to_have_count(4)
    await expect(page.locator('[data-status="error"]')).to_have_count(2)
    await expect(page.get_by_text("Ingen gruppe heter «Garasje Z»; opprett den først.").first).to_be_visible()
    await shoot(page, "import.png", full_page=True)

    fixed = bad.replace(b"912;", f"{mobile_number()};".encode()).replace(b"Garasje Z", b"Garasje B")
    await page.get_by_role("link", name="Last opp en annen fil").click()
    await page.set_input_files("#f-file", files=FilePayload(name="beboere.csv", mimeType="text/csv", buffer=fixed))
    await page.get_by_role("button", name="Sjekk filen").click()
    await expect(page.locator('[data-status="error"]')).to_have_count(0)
    await page.uncheck("input[name=send_invites]")
    await page.get_by_role("button", name="Importer 4 rader").click()
    await expect(page.get_by_text("Importen er ferdig.")).to_be_visible()
    await expect(page.get_by_test_id("count-added")).to_have_text("4")
    await page.get_by_role("link", name="Ferdig").click()
    await expect(page.get_by_test_id("user-row")).to_have_count(6)
    await shoot(page, "users.png", full_page=True)

    await page.get_by_role("link", name="Grupper", exact=True).click()
    await expect(page.get_by_role("link", name="2 medlemmer")).to_be_visible()
    await shoot(page, "groups.png", full_page=True)


async def test_claim_a_tag_swiped_on_a_charger_then_block_the_member(
    server: str, browser: Browser, session: AsyncSession
) -> None:
    org = await make_org(session, legal_name="Solsiden Borettslag")
    charger = await make_charger(session, await make_site(session, org, name="Garasje Nord"), "SOLSIDEN-01")
    member_phone = mobile_number()
    member = await make_member(session, org, member_phone, name="Per Hansen")
    page = await _signed_in(server, browser, session, org)
    sim = SimulatedCharger(
        server.replace("http://", "ws://") + "/ocpp",
        "SOLSIDEN-01",
        charger.password,
        connectors=2,
        meter_interval=0,
        call_timeout=5,
    )
    try:
        await sim.connect(within=10)
        assert (await sim.authorize("04C0FFEE"))["status"] == "Invalid"
        await session.commit()
        assert await session.scalar(select(UnknownTagSighting.uid)) == "04C0FFEE"

        await page.get_by_role("link", name="RFID", exact=True).click()
        row = page.locator('[data-testid="unknown-tag"][data-uid="04C0FFEE"]')
        await expect(row).to_be_visible()
        await expect(page.get_by_test_id("sync-row")).to_have_count(1)
        await shoot(page, "rfid.png", full_page=True)
        await row.get_by_label("Medlemmets mobilnummer").fill(member_phone)
        await row.get_by_role("button", name="Ta i bruk 04C0FFEE").click()
        await expect(page.get_by_role("status").first).to_contain_text("Brikke 04C0FFEE er registrert.")
        await expect(page.locator('[data-testid="tag-row"][data-uid="04C0FFEE"]')).to_contain_text("Per Hansen")
        assert (await sim.authorize("04C0FFEE"))["status"] == "Accepted"

        await page.goto(f"{server}/portal/o/{org.id}/users/{member.id}")
        await page.get_by_role("link", name="Sperr", exact=True).click()
        await expect(page.get_by_text("kan ikke lenger lade")).to_be_visible()
        await page.get_by_role("button", name="Sperr", exact=True).click()
        await expect(page.get_by_role("status").first).to_contain_text("Per Hansen er sperret")
        assert (await sim.authorize("04C0FFEE"))["status"] == "Blocked"
        assert await sim.swipe("04C0FFEE", connector=1) is None
    finally:
        await sim.close()
