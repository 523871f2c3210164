"""A connected charger in a real browser: commission it in the portal, give the shown password to a
simulated charger that connects to the server's /ocpp route, watch the chargers list change by itself
(HTMX polling) when a resident swipes a card, see the dashboard count it, and send commands from the
charger's page with the charger's answers shown.

Some other chargers and sessions of the cooperative are put straight into the OCPP tables, so the
dashboard and the list look like a real garage (and the screenshots show one)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.members.models import Role
from ladeportal.simulator import SimulatedCharger
from tests.browser.conftest import DESKTOP, PHONE, new_page, shoot, sign_in
from tests.factories import make_member, make_org, make_site, make_tag, mobile_number
from tests.portal.ocpp_rows import charger, charging_session

pytestmark = pytest.mark.browser
RESIDENT_CARD = "04A1B2C3"


async def _garage(session: AsyncSession) -> tuple[str, str]:
    """Solsiden Borettslag: an administrator, a resident with a card, and a garage with six chargers."""
    org = await make_org(session, legal_name="Solsiden Borettslag")
    admin = mobile_number()
    await make_member(session, org, admin, role=Role.org_admin, name="Kari Nordmann")
    resident = await make_member(session, org, name="Ola Nordmann")
    await make_tag(session, org, resident, uid=RESIDENT_CARD)
    site = await make_site(session, org, name="Garasje Nord")
    now = utcnow()
    plass = {}
    for n, statuses in (
        (1, ("Available", "Available")),
        (2, ("Charging", "Available")),
        (3, ("Available", "Charging")),
        (4, ("Available", "Available")),
        (5, ("Faulted", "Available")),
    ):
        plass[n] = await charger(session, site, f"EVB-P{n:02d}", seen=now, statuses=statuses, name=f"Plass {n}")
    await charger(session, site, "EVB-P06", seen=now - timedelta(hours=3), name="Plass 6")
    await charging_session(session, site, plass[2], now - timedelta(minutes=50), running_wh=9400)
    await charging_session(session, site, plass[3], now - timedelta(minutes=20), running_wh=3100, connector=2)
    for days in range(1, 4):
        await charging_session(
            session,
            site,
            plass[1],
            now - timedelta(days=days, hours=2),
            energy_wh=11_800 * days,
            cost_minor=4130 * days,
            currency="NOK",
        )
    return admin, site.name


async def test_a_connected_charger_answers_commands_and_its_status_is_live(
    server: str, browser: Browser, session: AsyncSession
) -> None:
    phone, site_name = await _garage(session)
    page = await new_page(browser)
    await sign_in(page, server, session, phone, shot=True)

    await page.get_by_role("link", name="Ladere", exact=True).click()
    await page.get_by_role("link", name="Legg til lader").click()
    await page.get_by_label("Anlegg").select_option(label=site_name)
    await page.get_by_label("Laderens ID (OCPP-ID)").fill("SIM-0014")
    await page.get_by_label("Navn").fill("Plass 14")
    await page.get_by_role("button", name="Legg til lader").click()
    await expect(page.get_by_test_id("ocpp-url")).to_contain_text("/ocpp/SIM-0014")
    password = await page.get_by_test_id("ocpp-password").inner_text()
    await page.get_by_role("link", name="Gå til laderen").click()
    await page.get_by_role("button", name="Aktiver").click()
    await expect(page.get_by_role("status").first).to_contain_text("aktiv")
    charger_url = page.url
    cp_id = charger_url.rstrip("/").rsplit("/", 1)[1]

    sim = SimulatedCharger(
        server.replace("http://", "ws://") + "/ocpp",
        "SIM-0014",
        password,
        connectors=2,
        call_timeout=20,
        reconnect_delay=0.5,
    )
    try:
        await sim.connect(within=30)

        # The list refreshes itself: the new charger turns Available, then Charging after the swipe.
        await page.get_by_role("link", name="Ladere", exact=True).click()
        row = page.locator(f"#cp-{cp_id}")
        await expect(row).to_have_attribute("data-state", "available")
        transaction = await sim.swipe(RESIDENT_CARD, connector=1)
        assert transaction is not None and transaction.transaction_id is not None
        await expect(row).to_have_attribute("data-state", "charging")
        await expect(row).to_contain_text("1: Lading pågår")
        await shoot(page, "chargers.png")

        # The dashboard counts it with the rest of the garage.
        await page.get_by_role("link", name="Oversikt", exact=True).click()
        await expect(page.get_by_test_id("count-charging")).to_have_text("3")
        await expect(page.get_by_test_id("count-available")).to_have_text("2")
        await expect(page.get_by_test_id("count-faulted")).to_have_text("1")
        await expect(page.get_by_test_id("count-offline")).to_have_text("1")
        await expect(page.get_by_test_id("sessions-today")).to_have_text("3")
        await shoot(page, "dashboard.png")
        # The same signed-in browser, narrowed to a phone's width.
        await page.set_viewport_size(PHONE)
        await page.reload()
        phone_page = page
        await expect(phone_page.get_by_role("button", name="Meny")).to_be_visible()
        await expect(phone_page.get_by_test_id("count-charging")).to_have_text("3")
        await shoot(phone_page, "dashboard-phone.png", full_page=True)
        await page.set_viewport_size(DESKTOP)

        # Commands from the charger's page, each with the charger's answer.
        await page.goto(charger_url)
        await expect(page.get_by_test_id("connector-1")).to_contain_text("Lading pågår")
        await expect(page.get_by_test_id("session-active")).to_have_count(1)
        result = page.locator("#command-result").get_by_test_id("command-result")

        async def send(kind: str, answer: str) -> None:
            # Two commands may get the same answer: wait for this command's own response first.
            async with page.expect_response(lambda r: r.url.endswith(f"/commands/{kind}")):
                await page.get_by_test_id(f"cmd-{kind}").click()
            await expect(result).to_have_text(f"Laderen svarte: {answer}.")

        await page.locator("#unlock-connector").select_option("2")
        await send("unlock", "Låst opp")
        await page.locator("#avail-connector").select_option("2")
        await page.locator("#avail-type").select_option("Inoperative")
        await send("availability", "Godtatt")
        # Stopping the resident's session asks first (a browser dialog), then shows the charger's answer.
        page.once("dialog", lambda dialog: dialog.accept())
        async with page.expect_response(lambda r: r.url.endswith("/stop")):
            await page.get_by_test_id("cmd-remote-stop").click()
        await expect(page.locator("#sessions-result")).to_have_text("Laderen svarte: Godtatt.")
        # A hard restart asks first and says what it does; the answer comes after the confirmation.
        await page.locator("#reset-type").select_option("Hard")
        await page.get_by_test_id("cmd-reset").click()
        await expect(page.get_by_test_id("command-confirm")).to_contain_text("Starte laderen på nytt?")
        async with page.expect_response(lambda r: r.url.endswith("/commands/reset")):
            await page.get_by_test_id("confirm-command").click()
        await expect(result).to_have_text("Laderen svarte: Godtatt.")
        sent = ("UnlockConnector", "ChangeAvailability", "RemoteStopTransaction", "Reset")
        # Only the page's commands, in order (the server may send its own, such as an access list).
        assert [action for action, _ in sim.received_calls if action in sent] == list(sent)
        await shoot(page, "charger.png", full_page=True)

        await page.reload()
        # The log lists each command once (the server may add its own, such as an access list after the reboot).
        for label in ("Lås opp kontakt", "Endre tilgjengelighet", "Fjernstopp", "Start på nytt"):
            await expect(page.get_by_test_id("command-row").filter(has_text=label)).to_have_count(1)
        # At a phone's width the charger page, with its tools, fits the screen (tables scroll in their box).
        await page.set_viewport_size(PHONE)
        await page.reload()
        await expect(page.get_by_test_id("cmd-firmware")).to_be_visible()
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await page.set_viewport_size(DESKTOP)
    finally:
        await sim.close()
