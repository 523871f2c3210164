"""With scripts off, "Stop" on the charger page still asks before it stops: the button opens a page
with the question; cancelling sends nothing, confirming sends the stop to the connected charger."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.services import activate_charge_point, add_charge_point
from ladeportal.members.models import Role
from ladeportal.simulator import SimulatedCharger
from tests.browser.conftest import DESKTOP, WAIT_MS, sign_in
from tests.factories import ACTOR, make_member, make_org, make_site, make_tag, mobile_number

pytestmark = pytest.mark.browser
CARD = "04D1E2F3"


async def test_without_scripts_stop_asks_on_a_page_first(server: str, browser: Browser, session: AsyncSession) -> None:
    org = await make_org(session, legal_name="Solsiden Borettslag")
    admin = mobile_number()
    await make_member(session, org, admin, role=Role.org_admin, name="Kari Nordmann")
    await make_tag(session, org, await make_member(session, org, name="Ola Nordmann"), uid=CARD)
    site = await make_site(session, org, name="Garasje Nord")
    new = await add_charge_point(session, ACTOR, org.id, site.id, "SIM-NOJS", name="Plass 8", connectors=1)
    await activate_charge_point(session, ACTOR, org.id, new.charge_point.id)
    page = await browser.new_page(viewport=DESKTOP, locale="nb-NO", java_script_enabled=False)
    page.set_default_timeout(WAIT_MS)
    sim = SimulatedCharger(
        server.replace("http://", "ws://") + "/ocpp", "SIM-NOJS", new.password, connectors=1, call_timeout=20
    )
    try:
        await sim.connect(within=30)
        transaction = await sim.swipe(CARD, connector=1)
        assert transaction is not None and transaction.transaction_id is not None
        await sign_in(page, server, session, admin)
        await page.goto(f"{server}/portal/o/{org.id}/chargers/{new.charge_point.id}")

        await page.get_by_test_id("cmd-remote-stop").click()
        await expect(page.get_by_test_id("stop-confirm")).to_contain_text("Stoppe ladingen på kontakt 1?")
        await page.get_by_role("link", name="Avbryt").click()
        await expect(page.get_by_test_id("session-active")).to_have_count(1)
        assert "RemoteStopTransaction" not in [action for action, _ in sim.received_calls]

        await page.get_by_test_id("cmd-remote-stop").click()
        await page.get_by_test_id("confirm-stop").click()
        await expect(page.get_by_text("Laderen svarte: Godtatt.")).to_be_visible()
        assert [action for action, _ in sim.received_calls].count("RemoteStopTransaction") == 1
    finally:
        await sim.close()
